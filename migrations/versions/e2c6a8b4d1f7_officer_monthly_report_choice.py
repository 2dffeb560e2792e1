"""An intercommunality officer chooses whether to receive the monthly report by e-mail

Revision ID: e2c6a8b4d1f7
Revises: d9a4f1c7e3b5
Create Date: 2026-12-06 23:00:00

The observatory's monthly report was mailed to every officer with no way to stop it. Each
account now says whether its officer wants it (``user.monthly_report``); every account
already there keeps receiving it until its officer says otherwise.
"""

import sqlalchemy as sa
from alembic import op

revision = "e2c6a8b4d1f7"
down_revision = "d9a4f1c7e3b5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("monthly_report", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("monthly_report")
