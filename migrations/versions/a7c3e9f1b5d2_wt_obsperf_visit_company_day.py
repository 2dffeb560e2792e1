"""obsperf: the observatory counts a territory's visits from an index alone

Visits of the territory's companies over a period, by channel and animateur: an index
on (company, day, channel, animateur) answers them without reading the visits' rows.

Revision ID: a7c3e9f1b5d2
Revises: f2b8d4a6c0e3
Create Date: 2026-12-05 03:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9f1b5d2"
down_revision = "f2b8d4a6c0e3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_visit_company_day",
        "visit",
        ["company_id", "visited_on", "channel", "animateur_id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_visit_company_day", table_name="visit")
