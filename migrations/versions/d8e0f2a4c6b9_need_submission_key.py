"""Needs from the public form carry the key of their sending, unique

Revision ID: d8e0f2a4c6b9
Revises: a7c3e5f9b1d4
Create Date: 2026-12-10 09:00:00

The public need form checked for an earlier identical need, then inserted: two sendings
of the same form at the same instant (a double click, a retried request) both passed the
check and stored two needs, each with its confirmation mail. The form now carries a
one-time token; the need keeps the key of its sending (token and content, hashed) under
a unique index, which only one of two simultaneous inserts passes. A unique index, not a
constraint: added in place on SQLite (a constraint would rebuild the table).
"""

import sqlalchemy as sa
from alembic import op

revision = "d8e0f2a4c6b9"
down_revision = "a7c3e5f9b1d4"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("need", sa.Column("submission_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_need_submission_key"), "need", ["submission_key"], unique=True)


def downgrade():
    op.drop_index(op.f("ix_need_submission_key"), table_name="need")
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_column("submission_key")
