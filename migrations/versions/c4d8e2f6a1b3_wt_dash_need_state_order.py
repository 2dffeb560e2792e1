"""dash: the needs board reads each state's newest needs from an index

The board and the animateur's home list needs by state (workflow order), newest first
in each: an index on (status, created_at, id) gives each state's first rows in that
order, without sorting the whole queue of 10,000 needs.

Revision ID: c4d8e2f6a1b3
Revises: b4d8e2f6a1c3
Create Date: 2026-12-05 05:05:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d8e2f6a1b3"
down_revision = "b4d8e2f6a1c3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_need_state_order", "need", ["status", "created_at", "id"], unique=False)


def downgrade():
    op.drop_index("ix_need_state_order", table_name="need")
