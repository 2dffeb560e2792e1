"""A person's history: every change of their record, by whom, in plain French."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from connectences.models import Candidate, CandidateEvent, User
from connectences.models.base import utcnow


def record_event(
    session: Session,
    candidate: Candidate | int,
    kind: str,
    summary: str,
    *,
    actor: User | int | None = None,
    actor_label: str | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> CandidateEvent:
    """Add one history line for ``candidate`` (committed with the change it records).

    ``kind`` is a short stable code (``created``, ``updated``, ``confirmed``, ``status``,
    ``merged``, ``imported``, ``note``...); ``summary`` is the French sentence shown;
    ``actor_label`` is "la personne elle-même" style text when no user acted.
    """
    candidate_id = candidate if isinstance(candidate, int) else candidate.id
    actor_id = actor.id if isinstance(actor, User) else actor
    event = CandidateEvent(
        candidate_id=candidate_id,
        kind=kind,
        summary=summary,
        actor_id=actor_id,
        actor_label=actor_label,
        details=details or {},
        at=at or utcnow(),
    )
    session.add(event)
    return event


def events_query(candidate_id):
    """The person's history, most recent first (a page of it, or all of it)."""
    return (
        select(CandidateEvent)
        .where(CandidateEvent.candidate_id == candidate_id)
        .order_by(CandidateEvent.at.desc(), CandidateEvent.id.desc())
    )


_EVENTS_OF = events_query(bindparam("candidate_id"))
_LATEST_EVENTS = _EVENTS_OF.limit(bindparam("limit"))


def events_of(
    session: Session, candidate_id: int, limit: int | None = None
) -> list[CandidateEvent]:
    """The person's history, most recent first; its ``limit`` latest events only when
    given (a page showing the last few of a history that only grows)."""
    if limit is None:
        return list(session.scalars(_EVENTS_OF, {"candidate_id": candidate_id}))
    return list(session.scalars(_LATEST_EVENTS, {"candidate_id": candidate_id, "limit": limit}))


# The event a merge leaves on the profile it keeps (``merge.merge_candidates``), whose
# details name the ref it dropped.
MERGED = "merged"


def merged_into(session: Session, refs) -> dict[str, str]:
    """Of ``refs``, those of profiles merged away as duplicates: each with the ref of the
    profile the person lives under now (read from the kept profile's history)."""
    wanted = {ref for ref in refs if isinstance(ref, str)}
    if not wanted:
        return {}
    found: dict[str, str] = {}
    rows = session.execute(
        select(CandidateEvent.details, Candidate.ref)
        .join(Candidate, Candidate.id == CandidateEvent.candidate_id)
        .where(CandidateEvent.kind == MERGED)
        .order_by(CandidateEvent.at)
    )
    for details, kept in rows:
        dropped = (details or {}).get("dropped_ref")
        if dropped in wanted:
            found[dropped] = kept
    return found
