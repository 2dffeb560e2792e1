"""need.created_by_id indexed: a company account's area finds the needs it sent

The logged-in owner's area lists the needs the account sent for a company it is not
attached to (``register.needs_sent_elsewhere``): without an index, a pass over every
need at each visit (38 ms at 10,000 needs on SQLite).

Revision ID: a9e1c3d5f7b2
Revises: f3a5c7e9b1d4
Create Date: 2026-12-07 05:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a9e1c3d5f7b2"
down_revision = "f3a5c7e9b1d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_need_created_by_id", "need", ["created_by_id"], unique=False)


def downgrade():
    op.drop_index("ix_need_created_by_id", table_name="need")
