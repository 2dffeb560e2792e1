"""A need posted for a known company by a stranger to it: need.owner_unattached

Revision ID: c4e6a8b0d2f3
Revises: d5f7b9c1e3a6
Create Date: 2026-12-06 10:00:00

Anyone can type an existing company's SIRET on the public form. Such a need, posted by an
address that is none of the company's, is flagged until an animateur attaches its author
to the company (``needs.register.attach_owner``). Existing needs are left unflagged.
"""

import sqlalchemy as sa
from alembic import op

revision = "c4e6a8b0d2f3"
down_revision = "d5f7b9c1e3a6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner_unattached", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_column("owner_unattached")
