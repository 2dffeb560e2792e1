"""How long what a company said about a closed need is kept.

A need closed (filled, re-oriented, abandoned) with no activity (no change, no state
transition) for ``NEEDS_RETENTION_MONTHS`` loses what names or describes people: the
owner's name, address and phone, the animateur's notes and the owner's own words. The
need itself stays, without them, for the intercommunalities' statistics.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from connectences.models import Need, Transition
from connectences.workflows import NeedState

CLOSED = frozenset({NeedState.POURVU, NeedState.REORIENTE, NeedState.ABANDONNE})
PERSONAL_FIELDS = ("owner_name", "owner_email", "owner_phone", "notes", "reason_text")


def erase_closed_needs(session: Session, before: datetime) -> int:
    """Blank the personal fields of the closed needs whose last activity is before
    ``before``; return how many needs were blanked (each once: blank ones are skipped)."""
    recent_transition = exists().where(
        Transition.entity == "need", Transition.entity_id == Need.id, Transition.at >= before
    )
    ids = session.scalars(
        select(Need.id).where(
            Need.status.in_(CLOSED),
            Need.updated_at < before,
            ~recent_transition,
            or_(*(getattr(Need, field).is_not(None) for field in PERSONAL_FIELDS)),
        )
    ).all()
    if ids:
        session.execute(
            update(Need)
            .where(Need.id.in_(ids))
            .values({field: None for field in PERSONAL_FIELDS})
            .execution_options(synchronize_session=False)
        )
    return len(ids)
