"""api: tombstones of deleted records, last change of operators and partners

Revision ID: e7f1a3c5b9d2
Revises: e7a1c4d9f2b3
Create Date: 2026-12-05 02:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7f1a3c5b9d2"
down_revision = "e7a1c4d9f2b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deletion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion")),
    )
    with op.batch_alter_table("deletion", schema=None) as batch_op:
        batch_op.create_index("ix_deletion_kind_at", ["kind", "deleted_at", "id"], unique=False)
    for table in ("operator", "partner"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        # The last change known so far is the creation.
        op.execute(sa.text(f"UPDATE {table} SET updated_at = created_at"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)


def downgrade():
    for table in ("partner", "operator"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("updated_at")
    with op.batch_alter_table("deletion", schema=None) as batch_op:
        batch_op.drop_index("ix_deletion_kind_at")
    op.drop_table("deletion")
