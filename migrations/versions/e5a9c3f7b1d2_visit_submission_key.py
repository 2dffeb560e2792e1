"""Visits from the online form carry the key of their sending, unique

Revision ID: e5a9c3f7b1d2
Revises: d4c1a7e9b3f5
Create Date: 2026-12-06 15:50:00

The animateur's visit form sent twice (a double click on « Enregistrer la visite », a
phone's retry on a flaky network) stored two identical visits, both counted towards the
company's monthly contact cap. The form now carries a one-time token, as the public need
form does (``submissions``); the visit keeps the key of its sending (token, animateur,
company and content, hashed) under a unique index, which only one of two simultaneous
inserts passes. A unique index, not a constraint: added in place on SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "e5a9c3f7b1d2"
down_revision = "d4c1a7e9b3f5"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("visit", sa.Column("submission_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_visit_submission_key"), "visit", ["submission_key"], unique=True)


def downgrade():
    op.drop_index(op.f("ix_visit_submission_key"), table_name="visit")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("submission_key")
