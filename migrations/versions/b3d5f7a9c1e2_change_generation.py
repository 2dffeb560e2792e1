"""Generations of watched data, shared by every process

Revision ID: b3d5f7a9c1e2
Revises: a7c9e1b3d5f8
Create Date: 2026-12-05 21:10:00

The public home's lists (the animateurs to call, the next events, the testimonials) are
kept by each worker under the generation of the data they come from: one row per watch of
``connectences.changes``, bumped in the transaction of every change it watches.
"""

import sqlalchemy as sa
from alembic import op

revision = "b3d5f7a9c1e2"
down_revision = "a7c9e1b3d5f8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "change_generation",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_generation")),
    )


def downgrade():
    op.drop_table("change_generation")
