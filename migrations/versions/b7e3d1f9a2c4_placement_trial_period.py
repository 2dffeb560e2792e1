"""Placements keep their trial period (how it was set, its last day)

Revision ID: b7e3d1f9a2c4
Revises: e5a9c3f7b1d2
Create Date: 2026-12-06 18:00:00

A shared-time recruitment most often breaks at the end of the trial period: the operator
now gives it when recording a placement (the legal maximum proposed, an end agreed in the
contract, or none), and a follow-up point is planned a few days before it ends (a
``follow_up_point`` row with ``months`` 0). Two nullable columns: the placements recorded
before keep their points and stay without a trial, nothing is rewritten.
"""

import sqlalchemy as sa
from alembic import op

revision = "b7e3d1f9a2c4"
down_revision = "e5a9c3f7b1d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trial", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("trial_end", sa.Date(), nullable=True))


def downgrade():
    # The points planned before a trial's end go with the columns that explain them.
    op.execute("DELETE FROM follow_up_point WHERE months = 0")
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_column("trial_end")
        batch_op.drop_column("trial")
