"""The audit log: who did what security- or privacy-relevant, when, from where."""

from __future__ import annotations

from sqlalchemy.orm import Session

from connectences.models import AuditLog, User


def audit(
    session: Session,
    action: str,
    *,
    actor: User | int | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    ip: str | None = None,
    details: dict | None = None,
) -> AuditLog:
    """Add one audit entry to the session (committed with the change it records)."""
    actor_id = actor.id if isinstance(actor, User) else actor
    entry = AuditLog(
        action=action,
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        ip=(ip or None) and ip[:45],
        details=details or {},
    )
    session.add(entry)
    return entry
