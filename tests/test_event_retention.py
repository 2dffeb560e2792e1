"""Event registrations are not kept forever (GDPR): never confirmed, deleted after 7 days;
a year after their event, anonymised (the counts of past events stay) or, cancelled,
deleted; and a person of the CV library erased takes their registrations with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from connectences.clock import LOCAL_TZ
from connectences.cvtheque.erase import erase_candidate, export_candidate
from connectences.events import catalogue, registrations
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.mail import MailKind
from connectences.models import AuditLog, Candidate, EventRegistration
from tests import factories
from tests.helpers import mails_to, page_text
from tests.test_events import _form, _link, _token

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _event_at(when: datetime, days_ahead: int = 10, **overrides):
    with time_machine.travel(when, tick=False):
        day = (when.astimezone(LOCAL_TZ) + timedelta(days=days_ahead)).date()
        event = catalogue.create_event(db.session, _form(day, **overrides), by=None)
        db.session.commit()
        return event


def _register(event, name, email, *, at: datetime, confirm: bool = True, **extra):
    with time_machine.travel(at, tick=False):
        registration = registrations.register(
            db.session, event, {"name": name, "email": email, **extra}, ip="192.0.2.1"
        )
        db.session.commit()
        if confirm:
            token = _token(_link(email, MailKind.EVENT_CONFIRM))
            registration = registrations.confirm(db.session, token)
            db.session.commit()
        return registration.id


def _retention(now: datetime) -> dict:
    with time_machine.travel(now, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=now)
    db.session.expire_all()
    return counts


def _rows() -> dict[int, EventRegistration]:
    db.session.expire_all()
    return {r.id: r for r in db.session.scalars(select(EventRegistration))}


def test_unconfirmed_registrations_go_after_7_days():
    event = _event_at(START, days_ahead=30)
    typed = _register(event, "Inconnu", "quelquun@exemple.fr", at=START, confirm=False)
    kept = _register(event, "Ana", "ana@exemple.fr", at=START)
    assert _retention(START + timedelta(days=6))["event_registrations_unconfirmed_deleted"] == 0
    assert set(_rows()) == {typed, kept}
    counts = _retention(START + timedelta(days=7, hours=1))
    assert counts["event_registrations_unconfirmed_deleted"] == 1
    assert set(_rows()) == {kept}
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "data_retention").order_by(AuditLog.id.desc())
    ).first()
    assert entry.details["event_registrations_unconfirmed_deleted"] == 1


def test_a_year_after_the_event_registrations_are_anonymised_and_the_counts_stay(client, auth):
    event = _event_at(START, capacity="1")
    ana = _register(event, "Ana", "ana@exemple.fr", at=START, organisation="Boulangerie",
                    siret=factories.make_siret(4))  # fmt: skip
    ben = _register(event, "Ben", "ben@exemple.fr", at=START)  # waiting
    _register(event, "Dan", "dan@exemple.fr", at=START)  # waiting, then cancels
    with time_machine.travel(START, tick=False):
        registrations.cancel(db.session, _token(_link("dan@exemple.fr", MailKind.EVENT_REGISTERED)))
        db.session.commit()
    later = _event_at(START, days_ahead=200)  # a year after the first, not yet for this one
    eve = _register(later, "Ève", "eve@exemple.fr", at=START)
    ended = event.ends_at

    assert _retention(ended + timedelta(days=360))["event_registrations_anonymised"] == 0
    assert _rows()[ana].email == "ana@exemple.fr"

    counts = _retention(ended + timedelta(days=370))
    assert counts["event_registrations_anonymised"] == 2
    assert counts["event_registrations_deleted"] == 1
    rows = _rows()
    assert set(rows) == {ana, ben, eve}  # Dan's cancelled registration is gone
    for erased in (rows[ana], rows[ben]):
        assert (erased.name, erased.email, erased.organisation, erased.siret) == (
            "",
            "",
            None,
            None,
        )
    assert (rows[ana].status, rows[ben].status) == ("registered", "waiting")
    assert rows[eve].email == "eve@exemple.fr"
    # The staff pages still count who came, naming nobody.
    [(_, seated, waiting)] = [
        row for row in catalogue.staff_list(db.session) if row[0].id == event.id
    ]
    assert (seated, waiting) == (1, 1)
    with time_machine.travel(ended + timedelta(days=370), tick=False):
        auth.login("animateur")
        page = page_text(client.get(f"/animateur/evenements/{event.id}"))
    assert "1 inscrit sur 1 place" in page and "Données effacées" in page
    assert "ana@exemple.fr" not in page
    # A second run finds nothing more to erase.
    counts = _retention(ended + timedelta(days=371))
    assert counts["event_registrations_anonymised"] == 0
    assert counts["event_registrations_deleted"] == 0


def test_a_person_erased_from_the_cv_library_takes_their_registrations_along():
    factories.load(factories.document(candidates=[factories.candidate(email="lea@exemple.fr")]))
    person = db.session.scalar(select(Candidate).where(Candidate.email == "lea@exemple.fr"))
    now = datetime.now(UTC)
    event = _event_at(now, capacity="1", kind="job_dating", title="Job dating du port")
    _register(event, "Léa", "lea@exemple.fr", at=now)
    waiting = _register(event, "Ben", "ben@exemple.fr", at=now)
    exported = export_candidate(db.session, person)
    assert [r["event"] for r in exported["event_registrations"]] == ["Job dating du port"]

    erase_candidate(db.session, person, reason="demande de la personne")
    db.session.commit()
    rows = _rows()
    assert [r.email for r in rows.values()] == ["ben@exemple.fr"]
    # Her seat went to the person waiting, who is told.
    assert rows[waiting].status == "registered"
    assert mails_to("ben@exemple.fr")[-1].kind == MailKind.EVENT_PROMOTED


def test_the_retention_of_the_cv_library_leaves_registrations_to_their_own_rule():
    factories.load(factories.document(candidates=[factories.candidate(email="lea@exemple.fr")]))
    person = db.session.scalar(select(Candidate).where(Candidate.email == "lea@exemple.fr"))
    now = datetime.now(UTC)
    event = _event_at(now)
    kept = _register(event, "Léa", "lea@exemple.fr", at=now)
    erase_candidate(db.session, person, reason="retention", event_registrations=False)
    db.session.commit()
    assert set(_rows()) == {kept}
