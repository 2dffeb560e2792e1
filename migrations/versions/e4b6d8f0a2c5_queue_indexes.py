"""The animateurs' queue in partial indexes of its own

Revision ID: e4b6d8f0a2c5
Revises: d2f4a6c8e0b1
Create Date: 2026-12-05 17:00:00

The animateur's home and the needs board read the newest needs of the queue (overall and
by state). Needs posted by companies and never confirmed are not in it, but the indexes
on (status, created_at, id) and (created_at) hold them: after 3,000 such needs (a day of
a spammed public form, or a load test) each of those reads walked them all first (0.6 ms
each, against 5 µs). These partial indexes hold the queue's needs only; the first
replaces the index on (status, created_at, id), which only the queue's reads used (the
needs waiting for their owner are few, and found by ix_need_status_queue).
"""

import sqlalchemy as sa
from alembic import op

revision = "e4b6d8f0a2c5"
down_revision = "d2f4a6c8e0b1"
branch_labels = None
depends_on = None

IN_QUEUE = sa.text("source != 'entreprise' OR owner_confirmed_at IS NOT NULL")


def upgrade():
    op.drop_index("ix_need_state_order", table_name="need")
    op.create_index(
        "ix_need_queue_state_order",
        "need",
        ["status", "created_at", "id"],
        unique=False,
        sqlite_where=IN_QUEUE,
        postgresql_where=IN_QUEUE,
    )
    op.create_index(
        "ix_need_queue_order",
        "need",
        ["created_at", "id"],
        unique=False,
        sqlite_where=IN_QUEUE,
        postgresql_where=IN_QUEUE,
    )


def downgrade():
    op.drop_index("ix_need_queue_order", table_name="need")
    op.drop_index("ix_need_queue_state_order", table_name="need")
    op.create_index("ix_need_state_order", "need", ["status", "created_at", "id"], unique=False)
