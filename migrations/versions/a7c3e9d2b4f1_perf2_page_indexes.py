"""perf2: indexes for the staff pages at the size of a region

The needs board and the animateur's home count the queue by state from an index
(status, source, owner_confirmed_at); the observatory's cache reads the latest
need.updated_at; an animateur's open follow-ups come in date order from
(animateur_id, follow_up_closed_at, follow_up_on); the visits list counts by
(channel, outcome) from an index; an operator's inbox reads its
leads by (operator_id, status, created_at).

Revision ID: a7c3e9d2b4f1
Revises: 9d5f01f2e573
Create Date: 2026-12-04 23:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9d2b4f1"
down_revision = "9d5f01f2e573"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.create_index(
            "ix_need_status_queue", ["status", "source", "owner_confirmed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_need_updated_at"), ["updated_at"], unique=False)

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visit_follow_ups",
            ["animateur_id", "follow_up_closed_at", "follow_up_on"],
            unique=False,
        )
        batch_op.create_index("ix_visit_channel_outcome", ["channel", "outcome"], unique=False)

    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_operator_status", ["operator_id", "status", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_operator_status")

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_channel_outcome")
        batch_op.drop_index("ix_visit_follow_ups")

    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_updated_at"))
        batch_op.drop_index("ix_need_status_queue")
