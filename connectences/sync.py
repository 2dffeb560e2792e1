"""Records in the order another platform synchronises them, and the tombstones of the
deleted ones.

A list is read by last change, then id, so that a page ends at a key (updated_at, id)
and the next page starts right after it, whatever is written meanwhile (keyset
pagination, stable under inserts). A record deleted for good leaves a ``Deletion`` row
(its kind and ref, with the organisation whose tokens reached it), read the same way by
``deleted_at``: the other platform deletes its copy too. No HTTP here.

``updated_at`` is stamped when a transaction writes the row, not when it commits: a row
stamped at 10:00:00 and committed at 10:00:02 is not seen by a walk that read at
10:00:01, and a client taking 10:00:01 as its next ``updated_since`` never gets it. So
the walk tells the client where to start next (``next_since``): the moment its first
page was read, less ``OVERLAP``, longer than any write transaction lasts between its
stamp and its commit (and than the clocks of two hosts differ). What changed in the
overlap is given twice: at least once, never lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from connectences import sync_content
from connectences.accounts.scope import (
    API_ROLES,
    STAFF_ROLES,
    companies_reached,
    is_usable,
    organisations_reached,
)
from connectences.exchange.exporter import SHAREABLE_CANDIDATES, record_of
from connectences.models import (
    Candidate,
    Company,
    Deletion,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Referral,
    User,
)
from connectences.needs import register
from connectences.tombstones import KINDS, record_deletion

__all__ = ["KINDS", "record_deletion"]  # the tombstones, for the domain modules that delete

SyncKey = tuple[datetime, int]

# How far back of the moment a walk began its next one starts (see above): five times
# the longest a web or API request may write (gunicorn's 120 s timeout kills the worker
# and its transaction with it). A job or a command line that would hold a stamped row
# longer before committing stamps at its end, as an import does (``exchange.importer``).
OVERLAP = timedelta(minutes=10)


def next_since(walk_began: datetime) -> datetime:
    """The ``updated_since`` of the next walk of a list whose first page was read at
    ``walk_began``."""
    return walk_began - OVERLAP


def changed(
    session: Session,
    query: Select,
    column: Any,
    id_column: Any,
    *,
    since: datetime | None = None,
    after: SyncKey | None = None,
    limit: int = 50,
) -> tuple[list[Any], SyncKey | None]:
    """Up to ``limit`` rows of ``query`` whose ``column`` (their last change) is at or
    after ``since``, after the key ``after``; with the key of the last one when more
    follow. ``query`` already holds the caller's scope."""
    if since is not None:
        query = query.where(column >= since)
    if after is not None:
        moment, row_id = after
        query = query.where(or_(column > moment, and_(column == moment, id_column > row_id)))
    rows = list(session.scalars(query.order_by(column, id_column).limit(limit + 1)))
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    last = page[-1]
    return page, (getattr(last, column.key), getattr(last, id_column.key))


# --------------------------------------------------------------------------- scopes

# Who reads each kind of record through the API: as on the web, the staff everything, an
# organisation's members their own (a company account its companies and their needs, an
# operator its leads, a partner its referrals); the people of the CV library (personal
# data) only the staff.
READERS: dict[str, frozenset[str]] = {
    "companies": STAFF_ROLES | {"company"},
    "needs": STAFF_ROLES | {"company"},
    "candidates": STAFF_ROLES,
    "operators": STAFF_ROLES | {"operator"},
    "leads": STAFF_ROLES | {"operator"},
    "partners": STAFF_ROLES | {"partner"},
    "referrals": STAFF_ROLES | {"partner"},
    # Public content: whoever holds a token (what the public pages show, and no more).
    **dict.fromkeys(sync_content.KINDS, API_ROLES),
}
# The organisation that owns each kind of record: (role, model column, tombstone column).
_OWNERS: dict[str, tuple[str, Any, Any]] = {
    "companies": ("company", Company.id, Deletion.company_id),
    "needs": ("company", Need.company_id, Deletion.company_id),
    "operators": ("operator", Operator.id, Deletion.operator_id),
    "leads": ("operator", Lead.operator_id, Deletion.operator_id),
    "partners": ("partner", Partner.id, Deletion.partner_id),
    "referrals": ("partner", Referral.partner_id, Deletion.partner_id),
}
MODELS: dict[str, Any] = {
    "companies": Company,
    "needs": Need,
    "candidates": Candidate,
    "operators": Operator,
    "leads": Lead,
    "partners": Partner,
    "referrals": Referral,
    **sync_content.MODELS,
}
# Kinds named by their id (they have no ref of their own): the id, written as a string.
BY_ID = frozenset({"leads", "referrals", "events", "directory", "testimonials"})


def _reached(kind: str, user: User | None) -> frozenset[int] | None:
    """The ids of the organisations whose ``kind`` records ``user`` reaches (None: all)."""
    if not is_usable(user) or user.role not in READERS[kind]:
        return frozenset()
    if kind not in _OWNERS:
        return None  # staff only, and the staff reach everything
    role = _OWNERS[kind][0]
    return companies_reached(user) if role == "company" else organisations_reached(user, role)


def records_query(kind: str, user: User | None) -> Select:
    """The ``kind`` records ``user`` reaches (candidates: the shareable ones only)."""
    if kind in sync_content.KINDS:
        return sync_content.records_query(kind, user, READERS[kind])
    model = MODELS[kind]
    query = select(model)
    if kind == "candidates":
        query = query.where(*SHAREABLE_CANDIDATES)
    elif kind == "needs":
        query = query.options(joinedload(Need.company))
        if is_usable(user) and user.role == "company":
            # The needs its area shows, no more (a stranger's need under its SIRET).
            query = query.where(register.shown_to_company_account(user.id))
    elif kind == "leads":
        query = query.options(
            joinedload(Lead.operator),
            selectinload(Lead.needs).joinedload(LeadNeed.need),
            selectinload(Lead.candidates).joinedload(LeadCandidate.candidate),
        )
    elif kind == "referrals":
        query = query.options(joinedload(Referral.partner), joinedload(Referral.need))
    reached = _reached(kind, user)
    if reached is not None:
        query = query.where(_OWNERS[kind][1].in_(sorted(reached)))
    return query


def record_by_ref(session: Session, kind: str, user: User | None, ref: str) -> Any | None:
    """The ``kind`` record ``ref`` if ``user`` reaches it, else None (whether it exists
    elsewhere is not told)."""
    model = MODELS[kind]
    if kind in BY_ID:
        if not ref.isascii() or not ref.isdigit() or len(ref) > 12:
            return None
        condition = model.id == int(ref)
    else:
        column = sync_content.REF_COLUMNS.get(kind)
        condition = (model.ref if column is None else column) == ref
    return session.scalar(records_query(kind, user).where(condition))


def deletions_reached(kind: str, user: User | None) -> Select:
    """The tombstones of ``kind`` records that ``user`` would have reached, but for a ref
    made again that ``user`` reaches: a client applying the records, then the tombstones
    since its last synchronisation deleted the new record (public content loses its
    tombstones when it comes back, ``tombstones.back_in_public``)."""
    query = select(Deletion).where(Deletion.kind == kind)
    if kind not in BY_ID and kind not in sync_content.KINDS:
        again = select(MODELS[kind].ref)
        condition = records_query(kind, user).whereclause  # the scope, without loaders
        if condition is not None:
            again = again.where(condition)
        query = query.where(Deletion.ref.not_in(again))
    gone = sync_content.hidden_to_public(kind, user)
    if gone is not None:
        query = query.where(gone)
    reached = _reached(kind, user)
    if reached is not None:
        column = _OWNERS[kind][2] if kind in _OWNERS else Deletion.id
        query = query.where(column.in_(sorted(reached)))
    return query


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _lead(lead: Lead) -> dict[str, Any]:
    return {
        "ref": str(lead.id),
        "operator": lead.operator.ref,
        "status": lead.status,
        "is_bundle": lead.is_bundle,
        "needs": [line.need.ref for line in lead.needs],
        "candidates": [
            {"candidate": line.candidate.ref, "score": _number(line.score)}
            for line in lead.candidates
        ],
        "reasons": list(lead.reasons or []),
        "note": lead.note,
        "refusal_reason": lead.refusal_reason,
        "refusal_text": lead.refusal_text,
        "created_at": _moment(lead.created_at),
    }


def _referral(referral: Referral) -> dict[str, Any]:
    return {
        "ref": str(referral.id),
        "partner": referral.partner.ref,
        "need": referral.need.ref,
        "status": referral.status,
        "reasons": list(referral.reasons or []),
        "note": referral.note,
        "outcome": referral.outcome,
        "refusal_reason": referral.refusal_reason,
        "refusal_text": referral.refusal_text,
        "created_at": _moment(referral.created_at),
    }


def _number(value: float | None) -> float | int | None:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def as_record(kind: str, row: Any, user: User | None = None) -> dict[str, Any]:
    """A row as the API shows it (to ``user``): the interchange v1 fields (leads,
    referrals and the public content: their own), with its last change."""
    if kind in sync_content.KINDS:
        body = sync_content.as_record(kind, row, user)
    elif kind == "leads":
        body = _lead(row)
    elif kind == "referrals":
        body = _referral(row)
    else:
        body = record_of(kind, row)
        if kind == "needs":
            body["status"] = row.status  # where it is in its workflow (not interchanged)
        elif kind in ("operators", "partners"):
            # Switched off by the administrator (``organisations``): no new work. Not
            # interchanged (the spec has no such field), so the records say it here;
            # the change moves updated_at, so a synchronisation since then carries it.
            body["active"] = row.active
    return {**body, "updated_at": _moment(row.updated_at)}


def tombstone(row: Deletion) -> dict[str, Any]:
    """A tombstone as the API shows it."""
    return {"kind": row.kind, "ref": row.ref, "deleted_at": _moment(row.deleted_at)}
