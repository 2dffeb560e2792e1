"""Events carry the SEQUENCE of their .ics

Revision ID: df5ebd9f3d81
Revises: d8e0f2a4c6b9
Create Date: 2026-12-11 09:00:00

An event moved to another day, time or place is mailed to its registrants with its .ics;
an agenda takes the new version only when its SEQUENCE is higher (RFC 5545 3.8.7.4). The
counter starts at 0 for every stored event (what their .ics implied so far).
"""

import sqlalchemy as sa
from alembic import op

revision = "df5ebd9f3d81"
down_revision = "d8e0f2a4c6b9"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "event", sa.Column("sequence", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("sequence")
