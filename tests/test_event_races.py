"""Two confirmations of event registrations at the same instant: the seats are counted
one after the other, so an event is never filled beyond its capacity, and a link
confirmed twice is decided once. Run on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from connectences.clock import LOCAL_TZ
from connectences.events import catalogue, registrations
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import Event, EventRegistration
from tests.helpers import mails_to
from tests.test_events import _form, _link, _register, _token


def _event(capacity: int):
    day = (datetime.now(LOCAL_TZ) + timedelta(days=10)).date()
    event = catalogue.create_event(db.session, _form(day, capacity=str(capacity)), by=None)
    db.session.commit()
    return event


def _statuses(event) -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.scalars(
            select(EventRegistration.status).where(EventRegistration.event_id == event.id)
        )
    )


def _at_once(app, *works) -> list[str]:
    """Run each ``work(session)`` in a thread of its own, on a session of its own that is
    committed after it (rolled back on an error); what each returned, or its error's
    repr, in the order they ended."""
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(work):
        with app.app_context():
            session = db.session.session_factory()
            try:
                outcome = work(session)
                session.commit()
            except Exception as error:  # noqa: BLE001 — reported by the callers' assertions
                session.rollback()
                outcome = repr(error)
            finally:
                session.close()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_people_confirming_the_last_seat_at_once_get_one_seat_and_one_wait(app, monkeypatch):
    """Each confirmation counts the seats, then waits (up to a second) for the other to
    have counted too before writing: were they not serialised, both would count the free
    seat and both take it. The event's row lock (PostgreSQL) or the write lock the
    confirmation's first write takes (SQLite) makes the second count once the first has
    committed."""
    event = _event(capacity=1)
    tokens = []
    for name, address in (("Ana Lopez", "ana@exemple.fr"), ("Ben Morel", "ben@exemple.fr")):
        _register(event, name, address)
        tokens.append(_token(_link(address, MailKind.EVENT_CONFIRM)))
    counted = threading.Barrier(2, timeout=1)
    count = registrations.seats_taken

    def seats_taken_then_wait(session, counted_event):
        number = count(session, counted_event)
        # The other confirmation waits for the lock: counted after this one.
        with contextlib.suppress(threading.BrokenBarrierError):
            counted.wait()
        return number

    monkeypatch.setattr(registrations, "seats_taken", seats_taken_then_wait)

    def confirm(token):
        return lambda session: registrations.confirm(session, token).status

    outcomes = _at_once(app, *(confirm(token) for token in tokens))
    assert sorted(outcomes) == ["registered", "waiting"]
    assert _statuses(event) == ["registered", "waiting"]


def test_a_link_confirmed_twice_at_once_keeps_its_seat_and_is_mailed_once(app):
    """The second request read the registration unconfirmed before the first, which took
    the last seat, committed: it must not decide again (the person put on the waiting
    list behind their own seat, mailed twice)."""
    event = _event(capacity=1)
    registration = _register(event, "Ana Lopez", "ana@exemple.fr")
    token = _token(_link("ana@exemple.fr", MailKind.EVENT_CONFIRM))
    second = db.session.session_factory()
    try:
        # Read by the second request (held: its session keeps what it read).
        held = registrations.for_confirmation(second, token)
        assert held.status == catalogue.PENDING
        registrations.confirm(db.session, token)
        db.session.commit()
        assert registrations.confirm(second, token).status == catalogue.SEATED
        second.commit()
    finally:
        second.close()
    assert _statuses(event) == ["registered"]
    db.session.expire_all()
    assert db.session.get(EventRegistration, registration.id).seated_at is not None
    kinds = [mail.kind for mail in mails_to("ana@exemple.fr")]
    assert kinds == [MailKind.EVENT_CONFIRM, MailKind.EVENT_REGISTERED]


def test_one_address_registering_twice_at_once_gets_one_registration(app, monkeypatch):
    """Two requests of the same address at the same instant (a double tap, two tabs):
    each reads whether the address is registered, then waits (up to a second) for the
    other to have read too. Were they not serialised, both would find nothing and both
    add a pending row, and confirming both links would give one person two seats. The
    throttle's counter of the address happens to serialise them as well: it is left out
    here, so that the registration's own lock (the event's row; SQLite: the write lock)
    is what is proven."""
    event = _event(capacity=2)
    event_id = event.id
    monkeypatch.setattr(registrations.throttle, "spend", lambda *args, **kwargs: None)
    read = threading.Barrier(2, timeout=1)

    def register(name):
        def work(session):
            scalar = session.scalar

            def scalar_then_wait(*args, **kwargs):
                found = scalar(*args, **kwargs)
                # The other request waits for the lock: it reads after this one commits.
                with contextlib.suppress(threading.BrokenBarrierError):
                    read.wait()
                return found

            session.scalar = scalar_then_wait
            data = {"name": name, "email": "ana@exemple.fr"}
            own_event = session.get(Event, event_id)
            return registrations.register(session, own_event, data, ip="192.0.2.1").status

        return work

    outcomes = _at_once(app, register("Ana Lopez"), register("Ana L"))
    assert outcomes == ["pending", "pending"]
    assert _statuses(event) == ["pending"]


def test_the_locked_event_is_read_as_committed_not_as_the_session_first_saw_it(app):
    """The event's lock decides seats on the event as it stands once locked: an event
    cancelled by another request after this one had read it is seen cancelled, and no
    registration or confirmation goes through on the copy read before."""
    event = _event(capacity=5)
    seen = db.session.get(Event, event.id)
    assert registrations.is_open(seen)
    with app.app_context():
        other = db.session.session_factory()
        other.get(Event, event.id).cancelled_at = datetime.now(LOCAL_TZ)
        other.commit()
        other.close()
    locked = registrations._locked_event(db.session, event.id)
    assert locked is seen and not registrations.is_open(locked)
    db.session.rollback()
