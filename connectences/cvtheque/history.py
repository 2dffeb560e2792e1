"""A person's history: every change of their record, by whom, in plain French."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.orm import Session

from connectences.contacts import email_key
from connectences.mail import MailKind
from connectences.models import Candidate, CandidateEvent, OutboxMessage, User
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


class FormerAddress(NamedTuple):
    """An address the profile held before its present one, and when it left it."""

    address: str
    left_at: datetime


# The history's record of an address the profile left (``CandidateEvent.details``): the
# person's change confirmed (``consent._take_pending_address``), the staff's restoring
# (``consent.restore_address``). Kept with the profile, erased with it (``erase``): as long as
# the person's data is kept (``RETENTION_DELETE_MONTHS`` after the last contact), the
# address taken from them can be given back, whatever became of the mail telling it.
LEFT_ADDRESS = "left_address"
# The mails that told an address it was left: the person's change
# (``consent._tell_former_address``), the staff's restoring (``consent.restore_address``). The
# only record of the changes made before the history kept the address left.
_LEFT_ADDRESS_MAILS = (MailKind.CV_ADDRESS_CHANGED, MailKind.CV_ADDRESS_RESTORED)


def former_addresses(session: Session, candidate: Candidate) -> list[FormerAddress]:
    """The addresses the profile left, the latest departure first, each once, its
    present address left out: read from its history (:data:`LEFT_ADDRESS`, kept as long as
    the profile), and from the envelopes of the mails that told each of them (a sent one
    is kept until the profile goes, a given-up one only ``MAIL_FAILED_RETENTION_DAYS``),
    in one statement. An address corrected before its confirmation
    (``consent.correct_unconfirmed_address``) or changed by the staff on the profile's form is
    not among them: neither was the person's proven mailbox taken from them."""
    left = CandidateEvent.details[LEFT_ADDRESS].as_string()
    told = select(OutboxMessage.to.label("address"), OutboxMessage.created_at.label("left_at"))
    told = told.where(
        OutboxMessage.candidate_id == candidate.id,
        OutboxMessage.kind.in_(_LEFT_ADDRESS_MAILS),
    )
    recorded = select(left, CandidateEvent.at).where(
        CandidateEvent.candidate_id == candidate.id, left.is_not(None)
    )
    both = union_all(told, recorded).subquery()
    rows = session.execute(select(both.c.address, both.c.left_at).order_by(both.c.left_at.desc()))
    present = email_key(candidate.email)
    found: dict[str, FormerAddress] = {}
    for address, left_at in rows:
        key = email_key(address)
        if key and key != present and key not in found:
            found[key] = FormerAddress(key, left_at)
    return list(found.values())
