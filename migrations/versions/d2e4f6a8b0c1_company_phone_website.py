"""A company's own phone number and website

Revision ID: d2e4f6a8b0c1
Revises: e2b4d6f8a0c1
Create Date: 2026-12-07 14:40:00

Phones lived only on the company's contact persons; the animateurs phoning or going
door to door need the switchboard's or the shop's, and the website to prepare a visit.
Two nullable columns on ``company`` (not part of the interchange format).
"""

import sqlalchemy as sa
from alembic import op

revision = "d2e4f6a8b0c1"
down_revision = "e2b4d6f8a0c1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("website", sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("website")
        batch_op.drop_column("phone")
