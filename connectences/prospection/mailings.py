"""Newsletters (lettres d'information) sent to companies: a contact like a visit.

Only companies that consented receive it, and the contact-pressure guard applies:
the newsletter counts in the company's monthly cap, like any other contact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from connectences.accounts.audit import audit
from connectences.clock import local_today
from connectences.models import Company, CompanyMailing, User
from connectences.prospection.pressure import Pressure, check_contact
from connectences.prospection.visits import VisitError
from connectences.typography import too_long

SUBJECT_MAX = 200


def record_mailing(
    session: Session,
    company: Company,
    *,
    subject: str,
    by: User | None,
    sent_on: date | None = None,
    confirmed: bool = False,
    today: date | None = None,
    issue_id: int | None = None,
) -> tuple[CompanyMailing, Pressure]:
    """Record that a newsletter was sent to the company on ``sent_on`` (default today).

    ``issue_id`` names the issue when the platform sent it itself (``newsletter.issues``).
    Raises VisitError (no consent, no subject, a date in the future), or the guard's
    ContactRefused / ConfirmationRequired.
    """
    today = today or local_today()
    sent_on = sent_on or today
    subject = " ".join((subject or "").split())
    errors = {}
    if not company.newsletter_consent:
        errors["newsletter"] = (
            "Cette entreprise n'a pas accepté de recevoir la lettre d'information."
        )
    if not subject:
        errors["subject"] = "Indiquez l'objet de la lettre envoyée."
    elif too := too_long("L'objet", subject, SUBJECT_MAX):
        errors["subject"] = too
    if sent_on > today:
        errors["sent_on"] = "La date d'envoi ne peut pas être dans le futur."
    if errors:
        raise VisitError(errors)
    pressure = check_contact(session, company, on=sent_on, confirmed=confirmed)
    mailing = CompanyMailing(
        company_id=company.id,
        subject=subject,
        sent_at=datetime.combine(sent_on, time(12, 0), tzinfo=UTC),
        sent_by_id=by.id if by else None,
        issue_id=issue_id,
    )
    session.add(mailing)
    session.flush()
    audit(session, "company.mailing", actor=by, entity="company", entity_id=company.id)
    return mailing, pressure
