"""writes: the outbox's flood limits find an address's mails by an index

Every public form that mails someone first counts the mails of that kind already sent
to the address, in any case: ``lower(to)`` indexed (with the kind), instead of a pass
over the whole outbox, which keeps every mail sent.

Revision ID: b4d6f8a0c2e5
Revises: a7c3e9f1b5d2
Create Date: 2026-12-05 05:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b4d6f8a0c2e5"
down_revision = "a7c3e9f1b5d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_outbox_message_to_lower",
        "outbox_message",
        [sa.text('lower("to")'), "kind"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_outbox_message_to_lower", table_name="outbox_message")
