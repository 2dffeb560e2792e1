"""Passwords closed before the marker existed get it (their owners can reset them)

Revision ID: d9a4f1c7e3b5
Revises: c4d8e2a6f0b1
Create Date: 2026-12-07 12:00:00

« Désactiver mes anciens liens » closes the password of the account made from a
person's links (``roles.close_password``). Before ``passwords.CLOSED_HASH`` it left
``password_hash`` NULL, as an invitation never accepted: « Mot de passe oublié » skips
those, so the owner could never get back in. The accounts whose password was closed
are known by their audit entry ``password_closed`` (entity ``user``); those still
without a password get the marker. An account invited and never activated has no such
entry and stays as it is; one that chose a password since keeps it. Accounts closed
longer ago than the audit log is kept (``AUDIT_RETENTION_DAYS``) cannot be told apart
and stay as they are.

The downgrade leaves the marker: the code of the revision before reads it already.
"""

import sqlalchemy as sa
from alembic import op

revision = "d9a4f1c7e3b5"
down_revision = "c4d8e2a6f0b1"
branch_labels = None
depends_on = None

# ``connectences.accounts.passwords.CLOSED_HASH``, as it was when this was written.
CLOSED_HASH = "!closed"


def upgrade():
    # Written with tables of its own ("user" is a reserved word PostgreSQL wants quoted).
    user = sa.table("user", sa.column("id"), sa.column("password_hash"))
    audit_log = sa.table(
        "audit_log", sa.column("action"), sa.column("entity"), sa.column("entity_id")
    )
    closed = sa.select(audit_log.c.entity_id).where(
        audit_log.c.action == "password_closed",
        audit_log.c.entity == "user",
        audit_log.c.entity_id.is_not(None),
    )
    op.execute(
        user.update()
        .where(user.c.password_hash.is_(None), user.c.id.in_(closed))
        .values(password_hash=CLOSED_HASH)
    )


def downgrade():
    pass
