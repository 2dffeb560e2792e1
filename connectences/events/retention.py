"""How long event registrations are kept (``data_retention`` job, docs/rgpd.md T12).

- A registration whose address was never confirmed is deleted after
  ``UNCONFIRMED_TTL_DAYS`` (7), as the CV and need submissions never confirmed: anyone
  may have typed anyone's address, and its confirmation link lasts as long.
- ``EVENT_REGISTRATION_RETENTION_MONTHS`` (12) after an event ended, the people who
  came or waited lose their name, address, organisation and SIRET: the rows stay, so
  that the staff pages still count who came to past events (and a company's timeline
  still shows it registered); the cancelled ones, counted nowhere, are deleted, and the
  mails the registrations brought to an address that holds none any more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from connectences.events.catalogue import ACTIVE_STATUSES, PENDING
from connectences.events.registrations import REGISTRATION_MAILS
from connectences.models import Event, EventRegistration, OutboxMessage

# What an anonymised registration keeps for a name and an address (both required).
ERASED = ""


def delete_unconfirmed(session: Session, before: datetime) -> int:
    """Delete the registrations never confirmed and made before ``before``; how many."""
    return session.execute(
        delete(EventRegistration)
        .where(EventRegistration.status == PENDING, EventRegistration.created_at < before)
        .execution_options(synchronize_session=False)
    ).rowcount


def erase_past(session: Session, ended_before: datetime) -> tuple[int, int]:
    """For the events that ended before ``ended_before``: anonymise the registrations of
    the people seated or waiting, delete the others; (anonymised, deleted). Idempotent:
    a registration already anonymised is not counted again."""
    past = select(Event.id).where(Event.ends_at < ended_before).scalar_subquery()
    addresses = set(
        session.scalars(
            select(func.lower(EventRegistration.email)).where(
                EventRegistration.event_id.in_(past), EventRegistration.email != ERASED
            )
        )
    )
    deleted = session.execute(
        delete(EventRegistration)
        .where(
            EventRegistration.event_id.in_(past),
            EventRegistration.status.not_in(ACTIVE_STATUSES),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    anonymised = session.execute(
        update(EventRegistration)
        .where(
            EventRegistration.event_id.in_(past),
            EventRegistration.status.in_(ACTIVE_STATUSES),
            EventRegistration.email != ERASED,
        )
        .values(name=ERASED, email=ERASED, organisation=None, siret=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    # The mails of those registrations (their recipient and subject outlive the body):
    # those of an address that holds no registration any more.
    still = select(func.lower(EventRegistration.email)).where(EventRegistration.email != ERASED)
    session.execute(
        delete(OutboxMessage)
        .where(
            func.lower(OutboxMessage.to).in_(addresses),
            func.lower(OutboxMessage.to).not_in(still),
            OutboxMessage.kind.in_(REGISTRATION_MAILS),
        )
        .execution_options(synchronize_session=False)
    )
    return anonymised, deleted
