"""How long prospection keeps what it notes about companies' people.

- A visit (its notes, topics, follow-up) is kept ``VISIT_RETENTION_MONTHS`` after its
  date, or after its planned follow-up if that is later; then deleted.
- A company's contacts (name, role, phone, e-mail) are kept
  ``COMPANY_CONTACT_RETENTION_MONTHS`` after the last contact with the company: its
  latest visit, letter or need, or its entry in the directory if nothing came since.
  Then they are deleted; the company (a legal person) stays in the directory.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from connectences.clock import local_date
from connectences.models import Company, CompanyContact, CompanyMailing, Need, Visit


def delete_old_visits(session: Session, before: date) -> int:
    """Delete the visits dated, and followed up if at all, before ``before``."""
    ids = session.scalars(
        select(Visit.id).where(
            Visit.visited_on < before,
            or_(Visit.follow_up_on.is_(None), Visit.follow_up_on < before),
        )
    ).all()
    if ids:
        # The needs found on a visit keep their history, without the link.
        session.execute(
            update(Need).where(Need.visit_id.in_(ids)).values(visit_id=None),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            delete(Visit).where(Visit.id.in_(ids)),
            execution_options={"synchronize_session": False},
        )
    return len(ids)


def delete_dormant_contacts(session: Session, before: datetime) -> int:
    """Delete the contacts of the companies without any contact since ``before``."""
    dormant = select(Company.id).where(
        Company.created_at < before,
        # A visit is dated by the day of Arcachon, the cutoff's local day (as the visits'
        # own rule): its UTC day was the day before from 22:00 or 23:00 UTC.
        ~exists().where(Visit.company_id == Company.id, Visit.visited_on >= local_date(before)),
        ~exists().where(CompanyMailing.company_id == Company.id, CompanyMailing.sent_at >= before),
        ~exists().where(
            Need.company_id == Company.id,
            or_(Need.created_at >= before, Need.updated_at >= before),
        ),
    )
    ids = session.scalars(
        select(CompanyContact.id).where(CompanyContact.company_id.in_(dormant))
    ).all()
    if ids:
        session.execute(
            delete(CompanyContact).where(CompanyContact.id.in_(ids)),
            execution_options={"synchronize_session": False},
        )
    return len(ids)
