"""How long what a company said about a closed need is kept.

A need closed (filled, re-oriented, abandoned) with no activity (no change, no state
transition) for ``NEEDS_RETENTION_MONTHS`` loses what names or describes people: the
owner's name, address and phone, the animateur's notes and the owner's own words, those
of the need and those typed on its log when it moved (the "précision" of an owner stopping
it, of an animateur abandoning it). The need and its log stay, without them (the reason's
code stays), for the intercommunalities' statistics.
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
    ``before``, and the words of their log; return how many needs were blanked (each
    once: blank ones are skipped)."""
    its_log = (Transition.entity == "need", Transition.entity_id == Need.id)
    recent_transition = exists().where(*its_log, Transition.at >= before)
    words_logged = exists().where(*its_log, Transition.reason_text.is_not(None))
    ids = session.scalars(
        select(Need.id).where(
            Need.status.in_(CLOSED),
            Need.updated_at < before,
            ~recent_transition,
            or_(*(getattr(Need, field).is_not(None) for field in PERSONAL_FIELDS), words_logged),
        )
    ).all()
    if ids:
        session.execute(
            update(Need)
            .where(Need.id.in_(ids))
            .values({field: None for field in PERSONAL_FIELDS})
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Transition)
            .where(Transition.entity == "need", Transition.entity_id.in_(ids))
            .values(reason_text=None)
            .execution_options(synchronize_session=False)
        )
    return len(ids)
