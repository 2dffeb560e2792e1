"""Placements may end before their term; follow-up answers keep their author

Revision ID: fd46a60a8707
Revises: df5ebd9f3d81
Create Date: 2026-12-14 09:00:00

A follow-up answered "le recrutement ne tient pas" now ends its placement: its last day
(``placement.ended_on``) and what ended it (``placement.ended_by``), after which its
later points are no longer due. Each answer records who gave it
(``follow_up_point.done_by_id``, emptied when the account is deleted).

Nothing is backfilled: a placement answered "ne tient pas" before this revision has no
end date the platform knows (the answer had no effect); it stays open, and its next
point, answered "ne tient pas" again, ends it with every effect (the person's
commitment, their status, the need).
"""

import sqlalchemy as sa
from alembic import op

revision = "fd46a60a8707"
down_revision = "df5ebd9f3d81"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("follow_up_point", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_follow_up_point_done_by_id_user"),
            "user",
            ["done_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ended_by", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_column("ended_by")
        batch_op.drop_column("ended_on")

    with op.batch_alter_table("follow_up_point", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_follow_up_point_done_by_id_user"), type_="foreignkey"
        )
        batch_op.drop_column("done_by_id")
