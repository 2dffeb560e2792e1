"""Tombstones: what another platform synchronising by ``updated_since`` needs to delete
its copy of a record too (``Deletion`` rows, read by ``/api/v1/deletions``).

A record deleted for good leaves one (``record_deletion``). Public content (resources,
testimonials) is not deleted but leaves the public: unpublished, expired, withdrawn. For
the readers who only ever saw it public, that is a deletion too (``left_public``); when
it comes back, its tombstones go (``back_in_public``) and the record, changed since, is
sent again. No HTTP here; the caller commits with the change itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connectences.models import Deletion, utcnow

# The kinds of record a tombstone names: the API's collections.
KINDS = (
    "companies",
    "candidates",
    "operators",
    "partners",
    "needs",
    "leads",
    "referrals",
    "events",
    "resources",
    "directory",
    "testimonials",
)


def record_deletion(
    session: Session,
    kind: str,
    ref: str,
    *,
    company_id: int | None = None,
    operator_id: int | None = None,
    partner_id: int | None = None,
    now: datetime | None = None,
) -> Deletion:
    """Leave the tombstone of a record deleted in this transaction (the caller commits
    both together): ``kind`` is its collection, the ids say whose tokens reached it."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of record: {kind}")
    tombstone = Deletion(
        kind=kind,
        ref=ref,
        deleted_at=now or utcnow(),
        company_id=company_id,
        operator_id=operator_id,
        partner_id=partner_id,
    )
    session.add(tombstone)
    return tombstone


def left_public(session: Session, kind: str, ref: str, *, since: datetime | None = None) -> None:
    """The public record ``ref`` is public no more: its tombstone, unless one was already
    left after ``since`` (its last change: a daily job may say it twice)."""
    if since is not None:
        already = session.scalar(
            select(Deletion.id).where(
                Deletion.kind == kind, Deletion.ref == ref, Deletion.deleted_at >= since
            )
        )
        if already is not None:
            return
    record_deletion(session, kind, ref)


def back_in_public(session: Session, kind: str, ref: str) -> None:
    """The record ``ref`` is public again: its tombstones go (it is listed again, with a
    newer ``updated_at``, and must not be deleted by whoever reads both)."""
    session.execute(delete(Deletion).where(Deletion.kind == kind, Deletion.ref == ref))


def public_changed(session: Session, kind: str, ref: str, *, was: bool, now: bool) -> None:
    """After a change of the record ``ref`` that was public (``was``) and is (``now``)."""
    if was and not now:
        left_public(session, kind, ref)
    elif now and not was:
        back_in_public(session, kind, ref)
