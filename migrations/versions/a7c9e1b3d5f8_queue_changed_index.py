"""The queue's latest change read from a partial index

Revision ID: a7c9e1b3d5f8
Revises: f6c8e0a2b4d7
Create Date: 2026-12-05 19:10:00

The queue's counts by state (the home, the board) and the observatory's figures are kept
per process under a version of the needs. It held the highest need id and the latest
``updated_at`` of every need: each need a company posts and never confirms (the public
form, a load test's submissions) made them computed again, though none of them counts a
need outside the animateurs' queue. The version is now the queue's newest
(``updated_at``, id), read from the end of this index of the queue's needs alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c9e1b3d5f8"
down_revision = "f6c8e0a2b4d7"
branch_labels = None
depends_on = None

IN_QUEUE = sa.text("source != 'entreprise' OR owner_confirmed_at IS NOT NULL")


def upgrade():
    op.create_index(
        "ix_need_queue_changed",
        "need",
        ["updated_at", "id"],
        unique=False,
        sqlite_where=IN_QUEUE,
        postgresql_where=IN_QUEUE,
    )


def downgrade():
    op.drop_index("ix_need_queue_changed", table_name="need")
