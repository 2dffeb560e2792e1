"""Events record who came

Revision ID: 9316801b748e
Revises: 36fbc9f23fb5
Create Date: 2026-12-06 12:51:16

Once an event has begun, its organiser ticks who came among the registrants
(``event_registration.attended``, None until recorded) and counts the people who came
without registering (``event.walk_ins``); the event keeps when and by whom. Stored events
have no attendance recorded.
"""

import sqlalchemy as sa
from alembic import op

import connectences.models.base

revision = "9316801b748e"
down_revision = "36fbc9f23fb5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attendance_at", connectences.models.base.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("attendance_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("walk_ins", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_event_attendance_by_id_user"),
            "user",
            ["attendance_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("event_registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attended", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("event_registration", schema=None) as batch_op:
        batch_op.drop_column("attended")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_event_attendance_by_id_user"), type_="foreignkey")
        batch_op.drop_column("walk_ins")
        batch_op.drop_column("attendance_by_id")
        batch_op.drop_column("attendance_at")
