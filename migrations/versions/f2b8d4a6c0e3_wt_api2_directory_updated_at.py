"""api2: last change of "Qui fait quoi" entries (incremental sync of /api/v1/directory)

Revision ID: f2b8d4a6c0e3
Revises: e7f1a3c5b9d2
Create Date: 2026-12-05 03:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f2b8d4a6c0e3"
down_revision = "e7f1a3c5b9d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("directory_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    # The last change known so far: the last publication, else the creation.
    op.execute(sa.text("UPDATE directory_entry SET updated_at = COALESCE(published_at, created_at)"))
    with op.batch_alter_table("directory_entry", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("directory_entry", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
