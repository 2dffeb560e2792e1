"""Outbox: a Reply-To per message (mails to companies answer to a person).

Revision ID: 5e1d2c3b4a90
Revises: 2b251bb802d2
Create Date: 2026-12-05 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1d2c3b4a90"
down_revision = "2b251bb802d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_to", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("reply_to")
