"""Addresses of deleted accounts taken out of the audit log

Revision ID: c4e6a8b0d2f4
Revises: b3d5f7a9c1e2
Create Date: 2026-12-06 05:30:00

``user_created`` entries keep the address of the account they record. A person who
deleted their profile took their account with them, but the entry kept their address
(for the log's retention, a year): the right to erasure was not whole. Erasure now takes
the address out (``cvtheque.erase.forget_account_addresses``); this does the same for the
entries of accounts already gone.
"""

import sqlalchemy as sa
from alembic import op

revision = "c4e6a8b0d2f4"
down_revision = "b3d5f7a9c1e2"
branch_labels = None
depends_on = None

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("details", sa.JSON),
)
user = sa.table("user", sa.column("id", sa.Integer))


def upgrade():
    bind = op.get_bind()
    orphans = bind.execute(
        sa.select(audit_log.c.id, audit_log.c.details).where(
            audit_log.c.entity == "user",
            ~sa.exists().where(user.c.id == audit_log.c.entity_id),
        )
    ).all()
    for entry_id, details in orphans:
        if isinstance(details, dict) and "email" in details:
            kept = {k: v for k, v in details.items() if k != "email"}
            bind.execute(
                sa.update(audit_log).where(audit_log.c.id == entry_id).values(details=kept)
            )


def downgrade():
    pass  # an address taken out is not put back
