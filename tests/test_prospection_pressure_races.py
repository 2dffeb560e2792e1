"""Two people reaching the same company at the same instant (two tabs, two animateurs,
an animateur and an operator's lead): the company's monthly cap lets only as many
through as it accepts.

Each request counts the company's contacts, then writes its own. Both read before
either writes (the reads lined up by a barrier): without a lock both would see the
cap not reached and both contacts would be stored. The guard takes the company's lock
before counting, so the second waits for the first to commit and is refused. Run on
SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import func, select

from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Company, User, Visit
from connectences.prospection import pressure
from connectences.prospection.pressure import ContactRefused
from connectences.prospection.visits import VisitInput, log_visit
from tests import factories
from tests.helpers import at_once

# How long the first request waits for the second at the count: with the lock, the
# second cannot count before the first commits, so the barrier breaks after this.
LINE_UP_SECONDS = 3


def _lined_up(monkeypatch) -> None:
    """Each request waits for the other at its count of the company's contacts."""
    barrier = threading.Barrier(2, timeout=LINE_UP_SECONDS)
    real = pressure.company_contacts

    def count_together(session, company):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return real(session, company)

    monkeypatch.setattr(pressure, "company_contacts", count_together)


def _visit_in_own_session(app, company_id: int, email: str):
    """An animateur logging a call to the company, as a request does: its own session,
    committed when the guard lets it through."""

    def call():
        with app.app_context():
            session = db.session.session_factory()
            try:
                company = session.get(Company, company_id)
                animateur = session.scalars(select(User).where(User.email == email)).one()
                try:
                    log_visit(
                        session,
                        company,
                        VisitInput(channel="telephone", visited_on=local_today()),
                        animateur=animateur,
                        confirmed=True,
                    )
                except ContactRefused as refused:
                    session.rollback()
                    return refused
                session.commit()
                return "logged"
            finally:
                session.close()

    return call


def test_two_animateurs_calling_at_once_cannot_both_pass_the_cap(app, monkeypatch):
    company = factories.company(name="Boulangerie du Port")
    factories.load(factories.document(companies=[company]))
    stored = db.session.scalars(select(Company).where(Company.ref == company["ref"])).one()
    stored.max_contacts_per_month = 1
    for email in ("lea@exemple.fr", "marc@exemple.fr"):
        db.session.add(User(email=email, role="animateur", full_name=email))
    db.session.commit()
    company_id = stored.id
    db.session.remove()
    _lined_up(monkeypatch)

    outcomes = at_once(
        _visit_in_own_session(app, company_id, "lea@exemple.fr"),
        _visit_in_own_session(app, company_id, "marc@exemple.fr"),
    )

    assert sorted(map(type, outcomes), key=str) == sorted([str, ContactRefused], key=str)
    refused = next(o for o in outcomes if isinstance(o, ContactRefused))
    assert "au plus 1 contact par mois" in refused.message
    visits = db.session.scalar(
        select(func.count()).select_from(Visit).where(Visit.company_id == company_id)
    )
    assert visits == 1
