"""How long a person stays in the library: 2 years after the last contact.

- 23 months without contact: the person is warned by mail, once per contact date
  (a person contacted again, then silent again, is warned again);
- 24 months: the profile and the CV file are deleted (``erase.erase_candidate``) on
  :func:`deletion_day`, counted on the days of Arcachon: the day the warning mail and the
  space promise, the first day the job (03:00) deletes (``clock.kept_since``);
- a submission whose address is never confirmed is deleted after 7 days.

The scheduler job ``data_retention`` (``jobs.tasks``) calls ``apply_retention``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences.clock import kept_since, term_day
from connectences.cvtheque import consent
from connectences.cvtheque.bulk_import import forget_old_imports
from connectences.cvtheque.erase import erase_candidate
from connectences.mail import MailKind, queue_template
from connectences.mail.outbox import platform_reply_to
from connectences.models import Candidate, JobNotice

WARN_MONTHS = 23
DELETE_MONTHS = 24
UNCONFIRMED_DAYS = 7
WARNING_KIND = "retention_warning"
REASON_STALE = "sans contact depuis 24 mois"
REASON_UNCONFIRMED = "adresse jamais confirmée"


def _aware(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def deletion_day(candidate: Candidate, delete_months: int = DELETE_MONTHS) -> date:
    """The local day the person is deleted if there is no contact before: the day of the
    last contact in Arcachon, ``delete_months`` later. The one day the warning, the space
    and the job (:func:`delete_stale`) name."""
    return term_day(_aware(candidate.last_contact_at), delete_months)


def warning_key(candidate: Candidate) -> str:
    """The notice key of a warning: the person and the contact date it is about."""
    return f"candidate:{candidate.id}:{candidate.last_contact_at.date().isoformat()}"


def came_back(session: Session, candidate: Candidate, now: datetime | None = None) -> bool:
    """The person opened their space: their 2 years start again (``consent.touch_on_visit``).

    True when they had been warned of their deletion for the contact this one replaces
    (the warning told them that opening their space keeps their profile: they are told
    it did)."""
    warned = (
        candidate.id is not None
        and session.scalar(
            select(JobNotice.id).where(
                JobNotice.kind == WARNING_KIND, JobNotice.key == warning_key(candidate)
            )
        )
        is not None
    )
    consent.touch_on_visit(session, candidate, now)
    return warned


def delete_stale(
    session: Session,
    now: datetime,
    *,
    delete_months: int = DELETE_MONTHS,
    dry_run: bool = False,
) -> tuple[int, int]:
    """Delete the people whose :func:`deletion_day` is today or past (in Arcachon);
    (people, files) deleted."""
    before = kept_since(now, delete_months)
    people = files = 0
    for candidate in session.scalars(
        select(Candidate).where(Candidate.last_contact_at < before).order_by(Candidate.id)
    ).all():
        # Their event registrations follow their own rule (events.retention): a person
        # silent in the library may still be seated at next week's job dating.
        files += erase_candidate(
            session, candidate, reason=REASON_STALE, now=now, dry_run=dry_run,
            event_registrations=False,
        )  # fmt: skip
        people += 1
    return people, files


def delete_unconfirmed(
    session: Session, now: datetime, *, days: int = UNCONFIRMED_DAYS, dry_run: bool = False
) -> tuple[int, int]:
    """Delete submissions never confirmed after ``days`` days; (people, files) deleted."""
    before = now - timedelta(days=days)
    people = files = 0
    for candidate in session.scalars(
        select(Candidate)
        .where(Candidate.email_confirmed_at.is_(None), Candidate.created_at <= before)
        .order_by(Candidate.id)
    ).all():
        files += erase_candidate(
            session, candidate, reason=REASON_UNCONFIRMED, now=now, dry_run=dry_run,
            event_registrations=False,
        )  # fmt: skip
        people += 1
    return people, files


def warn_stale(
    session: Session,
    now: datetime,
    *,
    warn_months: int = WARN_MONTHS,
    delete_months: int = DELETE_MONTHS,
) -> int:
    """Warn by mail, once per contact date, the people due for deletion within a month.

    The mail holds a fresh link to their space: opening it counts as a contact and
    keeps the profile (not sent to a person whose account is disabled: the link would
    not open). Returns how many were warned.
    """
    warn_before = kept_since(now, warn_months)
    delete_before = kept_since(now, delete_months)
    warned = 0
    for candidate in session.scalars(
        select(Candidate)
        .where(
            Candidate.last_contact_at < warn_before,
            Candidate.last_contact_at >= delete_before,
            Candidate.email_confirmed_at.is_not(None),
            # A person whose account an administrator disabled: the link would be
            # refused; the profile goes at its term.
            Candidate.id.not_in(consent.disabled_people()),
        )
        .order_by(Candidate.id)
    ).all():
        key = warning_key(candidate)
        if session.scalar(
            select(JobNotice.id).where(JobNotice.kind == WARNING_KIND, JobNotice.key == key)
        ):
            continue
        day = deletion_day(candidate, delete_months)
        queue_template(
            session,
            kind=MailKind.CV_RETENTION_WARNING,
            to=candidate.email,
            subject="Votre profil sera bientôt supprimé",
            template="cv_retention_warning",
            reply_to=platform_reply_to(),
            candidate_id=candidate.id,
            first_name=candidate.first_name,
            deletion_day=f"{day:%d/%m/%Y}",
            space_url=consent.space_url(candidate),
            days=consent.link_days(),
        )
        session.add(JobNotice(kind=WARNING_KIND, key=key, at=now))
        warned += 1
    return warned


def apply_retention(
    session: Session,
    now: datetime,
    *,
    warn_months: int = WARN_MONTHS,
    delete_months: int = DELETE_MONTHS,
    unconfirmed_days: int = UNCONFIRMED_DAYS,
    dry_run: bool = False,
) -> Counter:
    """Apply every retention rule of the library at ``now``; return what was done.

    Counts: ``deleted``, ``unconfirmed_deleted``, ``files_deleted``, ``warned``,
    ``imports_forgotten`` (the reports of bulk imports, ``bulk_import.forget_old_imports``).
    Idempotent: the deleted are gone, the warned have their notice. The caller
    commits (or rolls back a dry run: files are kept then).
    """
    counts = Counter(warned=0, deleted=0, unconfirmed_deleted=0, files_deleted=0)
    people, removed = delete_stale(session, now, delete_months=delete_months, dry_run=dry_run)
    counts["deleted"] += people
    counts["files_deleted"] += removed
    people, removed = delete_unconfirmed(session, now, days=unconfirmed_days, dry_run=dry_run)
    counts["unconfirmed_deleted"] += people
    counts["files_deleted"] += removed
    counts["imports_forgotten"] = forget_old_imports(session, now)
    session.flush()
    counts["warned"] += warn_stale(
        session, now, warn_months=warn_months, delete_months=delete_months
    )
    return counts
