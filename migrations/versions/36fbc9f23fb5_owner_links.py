"""Owners may disable their company-space links

Revision ID: 36fbc9f23fb5
Revises: fd46a60a8707
Create Date: 2026-12-06 11:12:29

A company owner's space is opened by signed links sent to their address; each link now
carries the version of that address's links (``owner_links``, no row: version 0, every
link sent before this revision). "Désactiver tous mes liens" raises it, and a link of an
older version opens nothing.
"""

import sqlalchemy as sa
from alembic import op

import connectences.models.base

revision = "36fbc9f23fb5"
down_revision = "fd46a60a8707"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "owner_links",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revoked_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_owner_links")),
    )


def downgrade():
    op.drop_table("owner_links")
