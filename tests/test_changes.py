"""Generations of watched data (``connectences.changes``) and the public home that keeps
its lists under one: every committed change of what it shows is seen at the next visit,
whoever made it, and a warm visit reads one row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, insert, select, update
from sqlalchemy.orm import Session

from connectences import changes, kept
from connectences.accounts import users
from connectences.clock import LOCAL_TZ
from connectences.content import showcase, testimonials
from connectences.events import catalogue
from connectences.extensions import db
from connectences.models import Event, Need, Testimonial, User
from tests import factories
from tests.helpers import make_company, page_text

HOME = showcase.HOME.name


def generation() -> int:
    db.session.rollback()  # what is committed
    return changes.generation(db.session, HOME)


def _testimonial(author: User, title: str = "Une comptable deux jours par semaine") -> Testimonial:
    if db.session.scalar(select(Need).where(Need.ref == "besoin-1")) is None:
        company = make_company(name="Boulangerie Durand")
        db.session.add(factories.need_row(company, ref="besoin-1", title="Comptable"))
        db.session.flush()
    made = testimonials.create(
        db.session,
        {
            "title": title,
            "need_ref": "besoin-1",
            "body": "Nous n'arrivions plus à suivre la compta.",
            "consent_by": "Marie Durand, gérante",
            "consent_on": "2026-11-12",
            "consent_scope": ["site"],
            "published": "1",
        },
        author=author,
    )
    db.session.commit()
    return made


def _event(title: str = "Petit déjeuner des entreprises", days_ahead: int = 10) -> Event:
    day = (datetime.now(LOCAL_TZ) + timedelta(days=days_ahead)).date()
    made = catalogue.create_event(
        db.session,
        {
            "kind": "petit_dejeuner",
            "title": title,
            "description": "Les aides à l'embauche.",
            "audience": "entreprises",
            "day": day.isoformat(),
            "start": "08:30",
            "end": "10:00",
            "place": "Salle des fêtes, Gujan-Mestras",
            "capacity": "20",
            "partners": [],
        },
        by=None,
    )
    db.session.commit()
    return made


def _animateur(auth, phone: str | None = "0556000001", name: str = "Claire Martin") -> User:
    user = auth.create("animateur", full_name=name)
    if phone:
        users.set_public_phone(db.session, user, phone, actor=user)
        db.session.commit()
    return user


def test_a_change_counts_once_committed_and_not_when_rolled_back(auth):
    author = auth.create("admin")
    start = generation()
    _event()
    assert generation() == start + 1
    db.session.add(
        Event(
            kind="forum",
            title="Annulé avant d'exister",
            starts_at=datetime.now(UTC),
            ends_at=datetime.now(UTC) + timedelta(hours=1),
            audience="tous",
            capacity=10,
        )
    )
    db.session.flush()
    db.session.rollback()
    assert generation() == start + 1
    _testimonial(author)
    assert generation() == start + 2


def test_only_the_accounts_the_home_shows_count(auth):
    start = generation()
    auth.create("admin")
    auth.create("operator")
    candidate_user = auth.create("candidate")
    assert generation() == start  # no animateur: the home's list cannot change

    claire = _animateur(auth)
    after_claire = generation()
    assert after_claire > start
    claire = db.session.get(User, claire.id)
    claire.session_version += 1  # not shown on the home
    db.session.commit()
    assert generation() == after_claire
    candidate_user = db.session.get(User, candidate_user.id)
    candidate_user.phone = "0556000009"  # a phone, but not an animateur's
    db.session.commit()
    assert generation() == after_claire

    users.set_public_phone(db.session, claire, "0556000002", actor=claire)
    db.session.commit()
    assert generation() == after_claire + 1
    claire = db.session.get(User, claire.id)
    claire.role = "admin"  # was an animateur: leaves the list
    db.session.commit()
    assert generation() == after_claire + 2


def test_a_deleted_animateur_counts_even_unloaded(auth):
    claire = _animateur(auth)
    before = generation()
    db.session.expire_all()
    db.session.delete(db.session.get(User, claire.id, populate_existing=True))
    db.session.expire(db.session.get(User, claire.id))
    db.session.commit()
    assert generation() == before + 1


def test_a_bulk_update_of_a_watched_class_counts(auth):
    _event()
    before = generation()
    db.session.execute(update(Event).values(place="Mairie d'Arès"))
    db.session.commit()
    assert generation() == before + 1


def test_a_bulk_insert_of_a_watched_class_counts(auth):
    """The bench seeds a region's needs with one INSERT: the pooled bundles must see them."""
    from connectences.matching.open_bundles import POOLED_NEEDS

    company = make_company()
    before = changes.generation(db.session, POOLED_NEEDS.name)
    db.session.execute(
        insert(Need),
        [
            {
                "ref": "bulk-1",
                "company_id": company.id,
                "title": "Comptabilité",
                "level": "employe_qualifie",
                "hours_per_week": 7,
                "contract": "cdi_temps_partage",
                "reason": "croissance",
                "start": datetime.now(UTC).date(),
            }
        ],
    )
    db.session.commit()
    assert changes.generation(db.session, POOLED_NEEDS.name) == before + 1


def test_an_unknown_or_doubled_watch_is_refused():
    with pytest.raises(ValueError):
        changes.generation(db.session, "personne")
    with pytest.raises(ValueError):
        changes.watch(HOME, {Event: None})


# The public home ------------------------------------------------------------------------


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return page_text(response)


def _elsewhere(app):
    """A session of its own engine: what another worker or host writes."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    return engine, Session(engine)


def test_the_home_sees_at_once_what_another_process_commits(app, client, auth):
    claire = _animateur(auth)
    author = auth.create("admin")
    story = _testimonial(author, title="Deux jours de compta par semaine")
    breakfast = _event(title="Petit déjeuner des entreprises")
    text = _home(client)
    assert "Claire Martin" in text and "05 56 00 00 01" in text
    assert "Deux jours de compta par semaine" in text
    assert "Petit déjeuner des entreprises" in text

    engine, other = _elsewhere(app)
    try:
        # The owner's agreement withdrawn, the event cancelled, the animateur gone:
        # written through another engine, this process keeps nothing of it.
        testimonials.withdraw(
            other, other.get(Testimonial, story.id), by=other.get(User, author.id)
        )
        other.get(Event, breakfast.id).cancelled_at = datetime.now(UTC)
        other.get(User, claire.id).active = False
        other.commit()
    finally:
        other.close()
        engine.dispose()
    text = _home(client)
    assert "Deux jours de compta par semaine" not in text
    assert "Petit déjeuner des entreprises" not in text
    assert "Claire Martin" not in text
    assert "Pas d'événement annoncé" in text


def test_a_warm_home_reads_one_row(app, client, auth):
    _animateur(auth)
    _event()
    _testimonial(auth.create("admin"))
    _home(client)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        text = _home(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert "Claire Martin" in text and "Petit déjeuner des entreprises" in text
    assert len(statements) == 1


def _driver_in_transaction(dbapi_connection) -> bool:
    if hasattr(dbapi_connection, "in_transaction"):  # sqlite3
        return dbapi_connection.in_transaction
    from psycopg.pq import TransactionStatus

    return dbapi_connection.info.transaction_status != TransactionStatus.IDLE


def test_a_generation_is_read_outside_any_transaction():
    """On PostgreSQL a transaction costs a BEGIN and a ROLLBACK, each a round trip: the
    read of one committed row needs neither (SQLite's driver opens none for a read)."""
    inside = []

    def after(connection, _cursor, statement, *_args):
        if "change_generation" in statement:
            inside.append(_driver_in_transaction(connection.connection.dbapi_connection))

    db.session.rollback()
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        before = changes.generation(db.session, HOME)
    finally:
        event.remove(db.engine, "after_cursor_execute", after)
    assert inside == [False]
    _event()  # commits a watched change
    assert changes.generation(db.session, HOME) == before + 1


def test_an_event_over_leaves_the_home_within_a_minute(client, monkeypatch):
    _event(title="Forum de l'emploi", days_ahead=1)
    now = datetime.now(UTC)
    clock = {"monotonic": 1000.0}
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock["monotonic"])
    assert "Forum de l'emploi" in _home(client)
    over = now + timedelta(days=3)
    monkeypatch.setattr(showcase.catalogue, "utcnow", lambda: over)
    assert "Forum de l'emploi" in _home(client)  # kept: nothing changed in the data
    clock["monotonic"] += showcase.READ_AGAIN_SECONDS + 1
    assert "Forum de l'emploi" not in _home(client)
