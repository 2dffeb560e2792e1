"""Seeding: import the demo document, then add what the interchange format does not carry
(addresses and contacts, accounts, visits, a lived-in history); safe to run again."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectences.clock import local_today
from connectences.demo.accounts import DemoAccount, demo_accounts, seed_accounts
from connectences.demo.common import DEMO_PREFIX, DEMO_SEED
from connectences.demo.companies import seed_contacts
from connectences.demo.content import seed_content
from connectences.demo.document import build_demo_document
from connectences.demo.events import seed_events
from connectences.demo.needs import progress_needs
from connectences.demo.visits import seed_visits
from connectences.exchange.importer import import_document
from connectences.exchange.validate import erased_refs
from connectences.models import Candidate, Commune, Company, Event, Need, User, Visit
from connectences.territory.load import load_reference


@dataclass
class DemoSummary:
    counts: dict[str, int]
    accounts: list[DemoAccount]
    created_accounts: list[str] = field(default_factory=list)
    created_visits: int = 0


def seed_demo(session: Session, *, seed: int = DEMO_SEED, today: date | None = None) -> DemoSummary:
    """Import the demo document, then add its contacts, accounts and visits; safe to run again.

    Raises `connectences.exchange.ExchangeError` when the document is refused
    (nothing is written then).
    """
    today = today or local_today()
    _ensure_reference(session)
    document = build_demo_document(seed, today)
    # A demo person erased since (from their space, or by the retention rules) stays
    # erased: the import would refuse the document that brings them back.
    gone = erased_refs(session, [item["ref"] for item in document["candidates"]])
    kept = [item for item in document["candidates"] if item["ref"] not in gone]
    import_document({**document, "candidates": kept}, session)
    session.flush()

    seed_contacts(session, document, seed)
    # The showcase person's account goes with them when they were erased.
    accounts = [
        account
        for account in demo_accounts(document)
        if not (account.role == "candidate" and account.org_ref in gone)
    ]
    created_accounts = seed_accounts(session, accounts)

    animateur_email = next(a.email for a in accounts if a.role == "animateur")
    animateur = session.scalar(select(User).where(User.email == animateur_email))
    created_visits = 0
    # Visits are seeded once: their dates follow the day of the first run, so a later
    # run would otherwise add the same visits on other days.
    already = session.scalar(select(func.count(Visit.id)).where(Visit.animateur_id == animateur.id))
    if not already:
        created_visits = seed_visits(session, document, seed, today, animateur)
        _backdate(session, seed, today)
        progress_needs(session, animateur)
    seed_content(session, animateur, today)
    seed_events(session, animateur, today, {a.email for a in accounts}, seed)
    session.commit()

    counts = {
        "entreprises": _count(session, Company),
        "besoins": _count(session, Need),
        "candidats": _count(session, Candidate),
        "visites": _count(session, Visit),
        "événements": _count(session, Event),
        "comptes": _count(session, User),
    }
    return DemoSummary(counts, accounts, created_accounts, created_visits)


def _backdate(session: Session, seed: int, today: date) -> None:
    """Spread the demo's creation dates over the past months, as a real register has them.

    Done once, with the visits: a need detected on a visit was recorded that day;
    the others came in over the last four months; people joined the CV library
    over the last ten. Companies existed before their first visit.
    """
    rng = random.Random(seed * 31 + 5)  # noqa: S311 — synthetic or sampled data, never a secret

    def moment(day: date) -> datetime:
        return datetime.combine(day, time(rng.randint(8, 17), rng.randrange(60)), tzinfo=UTC)

    first_visit = dict(
        session.execute(
            select(Visit.company_id, func.min(Visit.visited_on)).group_by(Visit.company_id)
        ).all()
    )
    for company in session.scalars(select(Company).where(Company.ref.startswith(DEMO_PREFIX))):
        day = first_visit.get(company.id, today) - timedelta(days=rng.randint(1, 30))
        company.created_at = company.updated_at = moment(day)
    for need in session.scalars(select(Need).where(Need.ref.startswith(DEMO_PREFIX))):
        if need.visit_id is not None:
            day = session.get(Visit, need.visit_id).visited_on
        else:
            day = today - timedelta(days=rng.randint(1, 120))
        need.created_at = need.updated_at = moment(day)
    for candidate in session.scalars(
        select(Candidate).where(Candidate.ref.startswith(DEMO_PREFIX))
    ):
        joined = moment(today - timedelta(days=rng.randint(1, 300)))
        candidate.created_at = candidate.updated_at = candidate.last_contact_at = joined
        if candidate.consent_at is not None:
            candidate.consent_at = joined
        if candidate.email_confirmed_at is not None:
            candidate.email_confirmed_at = joined


def _count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _ensure_reference(session: Session) -> None:
    """The demo needs the communes and intercommunalities; load them on an empty database."""
    if not _count(session, Commune):
        load_reference(session)
        session.flush()
