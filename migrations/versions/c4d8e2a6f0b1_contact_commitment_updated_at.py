"""Contacts and commitments carry their own read stamp (updated_at)

Revision ID: c4d8e2a6f0b1
Revises: b7e3d1f9a2c4
Create Date: 2026-12-07 10:00:00

A company's contact and a person's commitment were edited under the stamp of their
parent (the company, the person): a save was refused because another contact, the
company's preferences or the person's notes had been saved meanwhile. Each now has its
own ``updated_at`` (``workflows.unchanged_since``). The rows already there get the last
change known of them: a contact its company's, a commitment its creation.
"""

import sqlalchemy as sa
from alembic import op

revision = "c4d8e2a6f0b1"
down_revision = "b7e3d1f9a2c4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("company_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE company_contact SET updated_at = "
            "(SELECT company.updated_at FROM company WHERE company.id = company_contact.company_id)"
        )
    )
    op.execute(sa.text("UPDATE commitment SET updated_at = created_at"))
    with op.batch_alter_table("company_contact", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("company_contact", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
