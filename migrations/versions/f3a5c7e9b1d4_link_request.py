"""a personal link asked for is recorded, then resolved by the minute job

Revision ID: f3a5c7e9b1d4
Revises: e2c6a8b4d1f7
Create Date: 2026-12-07 02:00:00

The password reset, CV-space and company-space link forms answered the same page for
every address, but queueing the mail for a known address took longer than finding
nobody: enough to tell who has an account. The forms now record the request (one insert
whatever the address) in ``link_request``; the job that sends the outbox resolves it.
"""

import sqlalchemy as sa
from alembic import op

import connectences.models.base

revision = "f3a5c7e9b1d4"
down_revision = "e2c6a8b4d1f7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "link_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("created_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_request")),
    )


def downgrade():
    op.drop_table("link_request")
