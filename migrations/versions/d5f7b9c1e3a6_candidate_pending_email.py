"""A candidate's new address waits for its confirmation

Revision ID: d5f7b9c1e3a6
Revises: c4e6a8b0d2f4
Create Date: 2026-12-06 06:00:00

The personal space changed the address at once and refused one another profile held,
which told anyone with a space link who is in the library. The new address now waits in
``pending_email`` until it is confirmed from its mailbox.
"""

import sqlalchemy as sa
from alembic import op

revision = "d5f7b9c1e3a6"
down_revision = "c4e6a8b0d2f4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("candidate") as batch:
        batch.add_column(sa.Column("pending_email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("candidate") as batch:
        batch.drop_column("pending_email")
