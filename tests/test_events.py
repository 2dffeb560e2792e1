"""Events: registration confirmed by e-mail, seats and waiting list, cancellation by the
registrant's own link promoting the next person, reminders the day before (once), the
.ics of an event and the calendar feed, the organiser's export, the company timeline,
the throttle per address and who may manage events."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import func, select

from connectences.clock import LOCAL_TZ
from connectences.events import catalogue, registrations
from connectences.events.calendar import summary
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.mail import MailKind
from connectences.mail.sender import deliver_due
from connectences.models import AuditLog, Event, EventRegistration, OutboxMessage, Partner
from connectences.prospection.pressure import company_timeline, contact_pressure
from connectences.signed import LinkError
from connectences.typography import time_slot
from tests import factories
from tests.helpers import (
    element_by_id,
    error_of,
    html_of,
    mails_to,
    make_company,
    page_text,
    page_text_of,
    read_guard_at,
    read_stamp_at,
    stamp_in,
)
from tests.test_mail import mail_port, server, start_server  # noqa: F401 (fixtures)
from tests.test_newsletter import quiet_smtp_server_log  # noqa: F401 (fixture)

LINK = re.compile(r"http://localhost(/evenements/inscription/(?:confirmer|annuler)/[^\s\"<]+)")


def _partner(name="France Travail Arcachon") -> Partner:
    item = factories.partner(name=name)
    factories.load(factories.document(partners=[item]))
    return db.session.scalar(select(Partner).where(Partner.ref == item["ref"]))


def _form(day, **overrides) -> dict:
    data = {
        "kind": "petit_dejeuner",
        "title": "Petit déjeuner des entreprises",
        "description": "Les aides à l'embauche en 2027.",
        "audience": "entreprises",
        "day": day.isoformat(),
        "start": "08:30",
        "end": "10:00",
        "place": "Salle des fêtes, Gujan-Mestras",
        "capacity": "2",
        "partners": [],
    }
    data.update(overrides)
    return data


def _event(days_ahead=10, **overrides) -> Event:
    day = (datetime.now(LOCAL_TZ) + timedelta(days=days_ahead)).date()
    event = catalogue.create_event(db.session, _form(day, **overrides), by=None)
    db.session.commit()
    return event


def _stamp(client, event: Event) -> str:
    """The read stamp of the event's edit form, as the page gives it now."""
    return read_stamp_at(client, f"/animateur/evenements/{event.id}/modifier")


def _link(address: str, kind: MailKind) -> str:
    """The path of the last link of ``kind`` mailed to ``address``."""
    mail = [m for m in mails_to(address) if m.kind == kind][-1]
    return LINK.findall(mail.body_text)[-1]


def _token(path: str) -> str:
    return path.rsplit("/", 1)[1]


def _title(response) -> str:
    """The page's <title>, without the platform's name."""
    found = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
    return found.group(1).split(" · ")[0].strip()


def _register(event, name, email, **extra) -> EventRegistration:
    registration = registrations.register(
        db.session, event, {"name": name, "email": email, **extra}, ip="192.0.2.1"
    )
    db.session.commit()
    return registration


def _confirmed(event, name, email, **extra) -> EventRegistration:
    _register(event, name, email, **extra)
    registration = registrations.confirm(db.session, _token(_link(email, MailKind.EVENT_CONFIRM)))
    db.session.commit()
    return registration


def test_a_registration_holds_no_seat_until_its_address_is_confirmed():
    event = _event()
    registration = _register(event, "Léa Martin", "Lea@Exemple.fr")
    assert registration.status == "pending" and registration.email == "lea@exemple.fr"
    assert registrations.seats_taken(db.session, event) == 0
    confirm_mail = mails_to("lea@exemple.fr")[-1]
    assert confirm_mail.kind == MailKind.EVENT_CONFIRM
    assert "Petit déjeuner des entreprises" in confirm_mail.body_text
    # Registering again resends the link, without a second row.
    _register(event, "Léa Martin", "lea@exemple.fr")
    assert len(db.session.scalars(select(EventRegistration)).all()) == 1
    assert [m.kind for m in mails_to("lea@exemple.fr")] == [MailKind.EVENT_CONFIRM] * 2


def test_over_capacity_goes_to_the_waiting_list_and_a_cancellation_promotes_the_next():
    event = _event(capacity="2")
    first = _confirmed(event, "Ana", "ana@exemple.fr")
    second = _confirmed(event, "Ben", "ben@exemple.fr")
    third = _confirmed(event, "Chloé", "chloe@exemple.fr")
    fourth = _confirmed(event, "David", "david@exemple.fr")
    assert [first.status, second.status, third.status, fourth.status] == [
        "registered", "registered", "waiting", "waiting"
    ]  # fmt: skip
    waiting_mail = mails_to("chloe@exemple.fr")[-1]
    assert waiting_mail.kind == MailKind.EVENT_REGISTERED
    assert "liste d'attente (1re position)" in waiting_mail.body_text
    # No seat to leave: the link takes them off the list.
    assert "Quittez la liste d'attente en un clic" in waiting_mail.body_text
    assert "laisser votre place" not in waiting_mail.body_text
    assert "Annulez en un clic pour laisser votre place" in mails_to("ana@exemple.fr")[-1].body_text
    assert "(2e position)" in mails_to("david@exemple.fr")[-1].body_text

    # Ben cancels with his own link: Chloé, first in line, takes the seat and is told.
    registrations.cancel(db.session, _token(_link("ben@exemple.fr", MailKind.EVENT_REGISTERED)))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(EventRegistration, second.id).status == "cancelled"
    assert db.session.get(EventRegistration, third.id).status == "registered"
    assert db.session.get(EventRegistration, fourth.id).status == "waiting"
    promoted = mails_to("chloe@exemple.fr")[-1]
    assert promoted.kind == MailKind.EVENT_PROMOTED
    assert "/evenements/inscription/annuler/" in promoted.body_text
    assert [m.kind for m in mails_to("david@exemple.fr")] == [
        MailKind.EVENT_CONFIRM, MailKind.EVENT_REGISTERED
    ]  # fmt: skip
    # Cancelling twice frees nothing more.
    registrations.cancel(db.session, _token(_link("ben@exemple.fr", MailKind.EVENT_REGISTERED)))
    db.session.commit()
    assert db.session.get(EventRegistration, fourth.id).status == "waiting"


def test_a_larger_capacity_seats_the_people_waiting():
    event = _event(capacity="1")
    _confirmed(event, "Ana", "ana@exemple.fr")
    waiting = _confirmed(event, "Ben", "ben@exemple.fr")
    assert waiting.status == "waiting"
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    registrations.update_event(db.session, event, _form(day, capacity="2"), by=None)
    db.session.commit()
    assert db.session.get(EventRegistration, waiting.id).status == "registered"
    assert mails_to("ben@exemple.fr")[-1].kind == MailKind.EVENT_PROMOTED


def test_forged_tampered_or_misused_links_are_refused(client):
    event = _event()
    _register(event, "Ana", "ana@exemple.fr")
    other = _register(event, "Ben", "ben@exemple.fr")
    confirm = _token(_link("ana@exemple.fr", MailKind.EVENT_CONFIRM))
    # Another registration's id in Ana's token breaks its signature.
    payload, rest = confirm.split(".", 1)
    forged = registrations.make_token("autre", {"r": other.id, "e": "ana@exemple.fr"})
    for token in (confirm[:-2] + "xx", forged, forged.split(".", 1)[0] + "." + rest):
        with pytest.raises(LinkError):
            registrations.confirm(db.session, token)
    # A confirmation link cannot cancel.
    with pytest.raises(LinkError):
        registrations.cancel(db.session, confirm)
    response = client.post(f"/evenements/inscription/annuler/{confirm}")
    assert response.status_code == 400
    assert "Ce lien n'est pas valide" in page_text(response)
    db.session.rollback()
    assert {r.status for r in db.session.scalars(select(EventRegistration))} == {"pending"}
    # Ana's own link confirms Ana, and only her.
    response = client.post(f"/evenements/inscription/confirmer/{confirm}", follow_redirects=True)
    assert response.status_code == 200 and "Inscription confirmée" in page_text(response)
    rows = db.session.execute(select(EventRegistration.email, EventRegistration.status)).all()
    statuses = {email: status for email, status in rows}
    assert statuses == {"ana@exemple.fr": "registered", "ben@exemple.fr": "pending"}


def test_the_links_show_a_button_before_acting(client):
    event = _event()
    _register(event, "Ana", "ana@exemple.fr")
    path = _link("ana@exemple.fr", MailKind.EVENT_CONFIRM)
    response = client.get(path)
    assert response.status_code == 200 and "Je confirme mon inscription" in page_text(response)
    assert db.session.scalar(select(EventRegistration.status)) == "pending"
    client.post(path)
    cancel = _link("ana@exemple.fr", MailKind.EVENT_REGISTERED)
    assert "J'annule mon inscription" in page_text(client.get(cancel))
    assert db.session.scalar(select(EventRegistration.status)) == "registered"
    assert "Inscription annulée" in page_text(client.post(cancel, follow_redirects=True))
    # The link opened again says so, and offers nothing more to do.
    assert "Inscription annulée" in page_text(client.get(cancel))
    assert db.session.scalar(select(EventRegistration.status)) == "cancelled"
    # So does the confirmation link, title and heading alike, with no .ics to add.
    response = client.get(path)
    assert _title(response) == "Inscription annulée" and "Inscription annulée" in page_text(
        response
    )
    assert ".ics" not in response.get_data(as_text=True)


def test_the_waiting_list_page_says_the_place_in_line_as_the_mail_does(client):
    """Found by a check: after « Je confirme mon inscription » on a full event, only the
    mail said the person's place in line; the page says it too, in the same words."""
    event = _event(capacity="1")
    _confirmed(event, "Ana", "ana@exemple.fr")
    _confirmed(event, "Ben", "ben@exemple.fr")  # first in line
    _register(event, "Chloé", "chloe@exemple.fr")
    path = _link("chloe@exemple.fr", MailKind.EVENT_CONFIRM)
    page = client.post(path, follow_redirects=True).get_data(as_text=True)
    place = "vous êtes sur la liste d'attente (2<sup>e</sup> position)"
    assert place in page
    mail = mails_to("chloe@exemple.fr")[-1]
    assert place in mail.body_html
    assert "vous êtes sur la liste d'attente (2e position)" in mail.body_text
    # The link opened again gives the place of today: Ben gone, Chloé is next.
    registrations.cancel(db.session, _token(_link("ben@exemple.fr", MailKind.EVENT_REGISTERED)))
    db.session.commit()
    again = client.get(path).get_data(as_text=True)
    assert "vous êtes sur la liste d'attente (1<sup>re</sup> position)" in again
    # A seated person's page says nothing of a waiting list.
    seated = page_text(client.get(_link("ana@exemple.fr", MailKind.EVENT_CONFIRM)))
    assert "Inscription confirmée" in seated and "position" not in seated


def test_the_cancellation_page_promises_the_seat_only_to_who_holds_one(client):
    event = _event(capacity="1")
    _confirmed(event, "Ana", "ana@exemple.fr")
    _confirmed(event, "Ben", "ben@exemple.fr")  # waiting
    seated = page_text(client.get(_link("ana@exemple.fr", MailKind.EVENT_REGISTERED)))
    waiting = page_text(client.get(_link("ben@exemple.fr", MailKind.EVENT_REGISTERED)))
    promise = "Votre place sera proposée à la première personne de la liste d'attente."
    assert promise in seated and promise not in waiting
    assert "J'annule mon inscription" in waiting


def test_public_registration_form_checks_fields_and_writes_nothing_when_wrong(client):
    event = _event()
    response = client.post(
        f"/evenements/{event.id}/inscription", data={"name": "", "email": "pas-une-adresse"}
    )
    assert response.status_code == 422
    text = page_text(response)
    assert "Indiquez votre nom." in text and "n'est pas une adresse e-mail valide" in text
    assert db.session.scalars(select(EventRegistration)).all() == []
    response = client.post(
        f"/evenements/{event.id}/inscription",
        data={"name": "Ana", "email": "ana@exemple.fr", "siret": "123"},
    )
    assert response.status_code == 422 and "Un SIRET compte 14 chiffres" in page_text(response)
    response = client.post(
        f"/evenements/{event.id}/inscription", data={"name": "Ana", "email": "ana@exemple.fr"}
    )
    assert response.status_code == 200 and "ana@exemple.fr" in page_text(response)


def test_registering_an_address_already_registered_discloses_nothing(client):
    event = _event()
    _confirmed(event, "Léa Martin", "lea@exemple.fr", organisation="Boulangerie Martin")
    _register(event, "Paul Attente", "paul@exemple.fr")  # pending

    def answer(address: str) -> str:
        response = client.post(
            f"/evenements/{event.id}/inscription", data={"name": "X", "email": address}
        )
        assert response.status_code == 200
        return page_text(response).replace(address, "ADRESSE")

    seated, pending, unknown = (
        answer(a) for a in ("lea@exemple.fr", "paul@exemple.fr", "nouveau@exemple.fr")
    )
    assert "Merci X !" in seated and "Léa Martin" not in seated and "Boulangerie" not in seated
    assert "Paul Attente" not in pending
    assert seated == pending == unknown
    # Léa's confirmed registration keeps what she typed.
    lea = db.session.scalar(
        select(EventRegistration).where(EventRegistration.email == "lea@exemple.fr")
    )
    assert (lea.name, lea.organisation, lea.status) == (
        "Léa Martin",
        "Boulangerie Martin",
        "registered",
    )


def test_a_stranger_s_details_do_not_stick_on_someone_else_s_registration(client, auth):
    company = make_company(name="Garage Dupuy")
    event = _event()
    _register(event, "Nom Farfelu", "victime@exemple.fr", organisation="Société bidon",
              siret=company.siret)  # fmt: skip
    # The address's owner registers with their own details, then confirms.
    _register(event, "Vraie Personne", "victime@exemple.fr", organisation="Vraie structure")
    row = db.session.scalar(select(EventRegistration))
    assert (row.name, row.organisation, row.siret) == ("Vraie Personne", "Vraie structure", None)
    assert "Bonjour Vraie Personne" in mails_to("victime@exemple.fr")[-1].body_text
    path = _link("victime@exemple.fr", MailKind.EVENT_CONFIRM)
    page = page_text(client.post(path, follow_redirects=True))
    assert "C'est noté, Vraie Personne" in page and "Farfelu" not in page
    db.session.expire_all()
    row = db.session.scalar(select(EventRegistration))
    assert row.status == "registered" and row.company_id is None
    assert (row.name, row.organisation, row.siret) == ("Vraie Personne", "Vraie structure", None)
    assert "Nom Farfelu" not in mails_to("victime@exemple.fr")[-1].body_text
    assert [e for e in company_timeline(db.session, company) if e.kind == "evenement"] == []
    # Once confirmed, another registration of that address changes nothing.
    _register(event, "Nom Farfelu", "victime@exemple.fr", siret=company.siret)
    db.session.expire_all()
    row = db.session.scalar(select(EventRegistration))
    assert (row.name, row.siret, row.company_id) == ("Vraie Personne", None, None)
    assert len(db.session.scalars(select(EventRegistration)).all()) == 1


def test_registrations_are_throttled_per_address(client):
    event = _event()
    for _ in range(registrations.PER_EMAIL.max_failures):
        response = client.post(
            f"/evenements/{event.id}/inscription", data={"name": "Ana", "email": "ana@exemple.fr"}
        )
        assert response.status_code == 200
    response = client.post(
        f"/evenements/{event.id}/inscription", data={"name": "Ana", "email": "ana@exemple.fr"}
    )
    assert response.status_code == 429
    assert "Trop d'inscriptions" in page_text(response)
    assert len(mails_to("ana@exemple.fr")) == registrations.PER_EMAIL.max_failures
    # Another address is not held back by Ana's.
    response = client.post(
        f"/evenements/{event.id}/inscription", data={"name": "Ben", "email": "ben@exemple.fr"}
    )
    assert response.status_code == 200


def test_registration_closes_when_the_event_has_started(client):
    event = _event(days_ahead=3)
    _register(event, "Léa", "lea@exemple.fr")
    late = _link("lea@exemple.fr", MailKind.EVENT_CONFIRM)
    with time_machine.travel(event.starts_at + timedelta(minutes=1), tick=False):
        response = client.post(
            f"/evenements/{event.id}/inscription", data={"name": "Ana", "email": "ana@exemple.fr"}
        )
        assert response.status_code == 409
        assert "Cet événement a commencé : les inscriptions sont closes." in page_text(response)
        # A confirmation link opened too late says so, with no button; pressed on a page
        # opened before, it confirms nothing.
        response = client.get(late)
        assert _title(response) == "Inscriptions closes"
        assert "Je confirme" not in page_text(response)
        response = client.post(late, follow_redirects=True)
        assert "les inscriptions sont closes" in page_text(response)
    rows = db.session.execute(select(EventRegistration.email, EventRegistration.status)).all()
    assert rows == [("lea@exemple.fr", "pending")]


def _run(job_id: str, now: datetime) -> dict:
    with time_machine.travel(now, tick=False):
        return execute(JOBS_BY_ID[job_id], now=now)


def test_a_webinar_link_goes_to_seated_people_only(client):
    event = _event(kind="webinaire", place="", link="https://visio.exemple.fr/salle-7",
                   capacity="1")  # fmt: skip
    _confirmed(event, "Ana", "ana@exemple.fr")
    _confirmed(event, "Ben", "ben@exemple.fr")  # waiting
    [ask, seated] = mails_to("ana@exemple.fr")
    assert "salle-7" not in ask.body_text and "salle-7" in seated.body_text
    assert all("salle-7" not in m.body_text for m in mails_to("ben@exemple.fr"))
    assert "salle-7" not in page_text(client.get(f"/evenements/{event.id}"))


def test_reminders_go_the_day_before_once_to_seated_people_only():
    event = _event(days_ahead=3, capacity="1")
    later = _event(days_ahead=5, title="Job dating de printemps", kind="job_dating")
    _confirmed(event, "Ana", "ana@exemple.fr")
    _confirmed(event, "Ben", "ben@exemple.fr")  # waiting
    _confirmed(later, "Chloé", "chloe@exemple.fr")
    start = event.starts_at.astimezone(LOCAL_TZ)
    two_days_before = (start - timedelta(days=2)).replace(hour=9, minute=0)
    assert _run("event_reminders", two_days_before.astimezone(UTC))["reminders"] == 0
    day_before = (start - timedelta(days=1)).replace(hour=9, minute=0).astimezone(UTC)
    assert _run("event_reminders", day_before)["reminders"] == 1
    assert _run("event_reminders", day_before + timedelta(hours=2))["reminders"] == 0
    reminders = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MailKind.EVENT_REMINDER)
    ).all()
    assert [m.to for m in reminders] == ["ana@exemple.fr"]
    assert "C'est demain" in reminders[0].body_text
    assert "de 8 h 30 à 10 h" in reminders[0].body_text


def test_the_ics_of_an_event_parses_back_with_its_facts(client):
    partner = _partner()
    event = _event(partners=[str(partner.id)], capacity="30")
    response = client.get(f"/evenements/{event.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.data)
    [item] = calendar.walk("VEVENT")
    assert str(item["summary"]) == "Petit déjeuner d'entreprises : Petit déjeuner des entreprises"
    assert item.decoded("dtstart") == event.starts_at
    assert item.decoded("dtend") == event.ends_at
    local = item.decoded("dtstart").astimezone(LOCAL_TZ)
    assert (local.hour, local.minute) == (8, 30)
    assert str(item["location"]) == "Salle des fêtes, Gujan-Mestras"
    assert str(item["url"]) == f"http://localhost/evenements/{event.id}"
    assert "France Travail Arcachon" in str(item["description"])
    # An edit keeps the UID: agendas update the event instead of adding a copy.
    uid = str(item["uid"])
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    registrations.update_event(db.session, event, _form(day, start="09:00"), by=None)
    db.session.commit()
    [again] = Calendar.from_ical(client.get(f"/evenements/{event.id}.ics").data).walk("VEVENT")
    assert str(again["uid"]) == uid
    assert again.decoded("dtstart").astimezone(LOCAL_TZ).hour == 9


def test_the_calendar_feed_lists_the_events_not_cancelled(client):
    first = _event(title="Webinaire aides", kind="webinaire", place="",
                   link="https://visio.exemple.fr/aides")  # fmt: skip
    second = _event(days_ahead=20, title="Job dating")
    cancelled = _event(days_ahead=30, title="Annulé")
    cancelled.cancelled_at = datetime.now(UTC)
    db.session.commit()
    response = client.get("/evenements/agenda.ics")
    assert response.status_code == 200
    items = Calendar.from_ical(response.data).walk("VEVENT")
    # A title that starts with its kind is not preceded by it again.
    assert sorted(str(i["summary"]) for i in items) == [
        "Petit déjeuner d'entreprises : Job dating",
        "Webinaire aides",
    ]
    webinar = next(i for i in items if "Webinaire" in str(i["summary"]))
    assert str(webinar["location"]) == "En ligne (lien envoyé aux personnes inscrites)"
    assert b"visio.exemple.fr" not in response.data
    assert {str(i["url"]) for i in items} == {
        f"http://localhost/evenements/{first.id}", f"http://localhost/evenements/{second.id}"
    }  # fmt: skip


def test_the_attendee_export_lists_seated_then_waiting_people(client, auth):
    company = make_company(name="Boulangerie du Port", contact_email="patron@boulangerie.fr")
    event = _event(capacity="1")
    _confirmed(event, "Ana", "ana@exemple.fr", organisation="=HYPERLINK(1)")
    _confirmed(event, "Paul", "patron@boulangerie.fr")
    auth.login("animateur")
    response = client.get(f"/animateur/evenements/{event.id}/inscrits.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(registrations.ATTENDEE_HEADERS)
    assert [row[:4] for row in rows[1:]] == [
        ["Inscrit", "Ana", "ana@exemple.fr", "'=HYPERLINK(1)"],
        ["Liste d'attente", "Paul", "patron@boulangerie.fr", None],
    ]
    assert rows[2][5] == company.name
    page = page_text(client.get(f"/animateur/evenements/{event.id}"))
    assert "1 inscrit sur 1 place " in page and "Liste d'attente (1)" in page


def test_a_company_that_registers_is_on_its_timeline_as_a_contact_it_asked_for(client, auth):
    company = make_company(name="Garage Dupuy")
    event = _event()
    registration = _confirmed(event, "Marc Dupuy", "marc@garage.fr", siret=company.siret)
    assert registration.company_id == company.id
    timeline = company_timeline(db.session, company)
    [entry] = [e for e in timeline if e.kind == "evenement"]
    assert entry.counted is False
    assert entry.channel_label == "Inscription à un événement"
    assert "Petit déjeuner des entreprises" in entry.summary and entry.by == "Marc Dupuy"
    pressure = contact_pressure(db.session, company, on=entry.on)
    assert pressure.contacts_this_month == 0 and pressure.decision == "ok"
    auth.login("animateur")
    page = page_text(client.get(f"/animateur/entreprises/{company.ref}"))
    assert "Inscription à un événement (non compté comme sollicitation)" in page
    assert "Par Marc Dupuy" in page
    # Without a SIRET, the company's own address finds it too.
    other = make_company(name="Fleurs Marine", contact_email="marine@fleurs.fr")
    assert _confirmed(event, "Marine", "marine@fleurs.fr").company_id == other.id
    assert _confirmed(event, "Inconnu", "x@ailleurs.fr").company_id is None
    # Once the organiser noted who came, the timeline says it.
    _begin(event)
    client.post(f"/animateur/evenements/{event.id}/presences", data={"present": []})
    [entry] = [e for e in company_timeline(db.session, company) if e.kind == "evenement"]
    # Said with a noun: « : pas venue » read as said of the registration, or of the
    # company, not of Marc Dupuy.
    assert entry.summary.endswith(" : absence constatée")


def test_staff_create_an_event_and_bad_input_is_refused_in_french(client, auth):
    partner = _partner()
    auth.login("animateur")
    day = (datetime.now(LOCAL_TZ) + timedelta(days=7)).date()
    bad = _form(day, title="", start="25:00", capacity="0", place="", link="http://x")
    bad["partners"] = ["999999"]
    response = client.post("/animateur/evenements/nouveau", data=bad)
    assert response.status_code == 422
    text = page_text(response)
    for message in (
        "Indiquez le titre de l'événement.",
        "Indiquez l'heure de début",
        "Indiquez le nombre de places",
        "Le lien doit être une adresse complète commençant par https://.",
        "Choisissez les partenaires dans la liste.",
    ):
        assert message in text, message
    assert db.session.scalars(select(Event)).all() == []
    good = _form(day, partners=[str(partner.id)])
    response = client.post("/animateur/evenements/nouveau", data=good)
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert [p.name for p in event.partners] == ["France Travail Arcachon"]
    assert event.starts_at.astimezone(LOCAL_TZ).strftime("%H:%M") == "08:30"
    public = page_text(client.get(f"/evenements/{event.id}"))
    assert "2 places disponibles" in public and "France Travail Arcachon" in public
    assert "Petit déjeuner des entreprises" in page_text(client.get("/evenements"))


def test_an_event_description_too_long_is_refused_in_french(client, auth):
    # Found by an audit: a 400,000-character presentation was published on the event's
    # page, the calendar feed and the newsletter; the resources stop at 20,000.
    auth.login("animateur")
    day = (datetime.now(LOCAL_TZ) + timedelta(days=7)).date()
    long = "Bla " * 5_000
    response = client.post("/animateur/evenements/nouveau", data=_form(day, description=long))
    assert response.status_code == 422
    text = page_text(response)
    assert "La présentation ne doit pas dépasser" in text and "caractères (19 999 saisis)" in text
    assert db.session.scalars(select(Event)).all() == []
    # The longest allowed is kept whole.
    most = "x" * catalogue.DESCRIPTION_MAX
    response = client.post("/animateur/evenements/nouveau", data=_form(day, description=most))
    assert response.status_code == 302
    assert db.session.scalar(select(Event)).description == most


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("yesterday", "est passée"),
        ("2100-01-01", "au plus tard"),
        ("9999-12-31", "Date invalide"),
    ],
)
def test_an_event_day_past_or_out_of_any_plan_is_refused(client, auth, typed, said):
    # Found by an audit: 9999-12-31 and past days were published on /evenements.
    auth.login("animateur")
    today = datetime.now(LOCAL_TZ).date()
    day = (today - timedelta(days=1)).isoformat() if typed == "yesterday" else typed
    data = {**_form(today), "day": day}
    response = client.post("/animateur/evenements/nouveau", data=data)
    assert response.status_code == 422
    assert said in page_text(response)
    assert db.session.scalars(select(Event)).all() == []


def test_an_event_edited_after_its_day_may_keep_that_day():
    past = datetime.now(LOCAL_TZ).date() - timedelta(days=3)
    values = catalogue.validate_event(_form(past), set(), stored_day=past)
    assert values["starts_at"].date() == past
    with pytest.raises(catalogue.EventError):
        catalogue.validate_event(_form(past - timedelta(days=1)), set(), stored_day=past)


@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
def test_other_roles_cannot_manage_events_or_see_attendees(client, auth, role):
    event = _event()
    auth.login(role)
    for url in (
        "/animateur/evenements",
        "/animateur/evenements/nouveau",
        f"/animateur/evenements/{event.id}",
        f"/animateur/evenements/{event.id}/inscrits.xlsx",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/animateur/evenements/{event.id}/annuler").status_code == 403
    event.starts_at = datetime.now(UTC) - timedelta(minutes=5)  # begun: attendance is open
    db.session.commit()
    refused = client.post(
        f"/animateur/evenements/{event.id}/presences", data={"sans_inscription": "4"}
    )
    assert refused.status_code == 403
    assert db.session.get(Event, event.id).cancelled_at is None
    assert db.session.get(Event, event.id).attendance_at is None
    assert client.post("/animateur/evenements/nouveau", data=_form(
        datetime.now(LOCAL_TZ).date() + timedelta(days=3))).status_code == 403  # fmt: skip
    assert len(db.session.scalars(select(Event)).all()) == 1


def test_cancelling_an_event_tells_everyone_and_closes_it(client, auth):
    event = _event(capacity="1")
    _confirmed(event, "Ana", "ana@exemple.fr")
    _confirmed(event, "Ben", "ben@exemple.fr")  # waiting
    _register(event, "Chloé", "chloe@exemple.fr")  # never confirmed: not told
    auth.login("animateur")
    response = client.post(f"/animateur/evenements/{event.id}/annuler", follow_redirects=True)
    assert "L'événement est annulé ; 2 personnes prévenues par e-mail." in page_text(response)
    for address in ("ana@exemple.fr", "ben@exemple.fr"):
        assert mails_to(address)[-1].kind == MailKind.EVENT_CANCELLED
    assert [m.kind for m in mails_to("chloe@exemple.fr")] == [MailKind.EVENT_CONFIRM]
    assert event.title not in page_text(client.get("/evenements"))
    assert Calendar.from_ical(client.get("/evenements/agenda.ics").data).walk("VEVENT") == []
    assert "Cet événement est annulé." in page_text(client.get(f"/evenements/{event.id}"))
    client.post(f"/animateur/evenements/{event.id}/annuler")  # twice: nobody told again
    assert len(mails_to("ana@exemple.fr")) == 3


def test_a_cancelled_event_no_longer_behaves_like_a_live_one(client):
    event = _event(capacity="1")
    _confirmed(event, "Ana", "ana@exemple.fr")
    _confirmed(event, "Ben", "ben@exemple.fr")  # waiting
    _register(event, "Chloé", "chloe@exemple.fr")  # never confirmed
    ana_confirm = _link("ana@exemple.fr", MailKind.EVENT_CONFIRM)
    ana_cancel = _link("ana@exemple.fr", MailKind.EVENT_REGISTERED)
    chloe_confirm = _link("chloe@exemple.fr", MailKind.EVENT_CONFIRM)
    registrations.cancel_event(db.session, event, by=None)
    db.session.commit()
    sorry = "est annulé par les organisateurs"

    # The .ics says so to the agendas that hold it (RFC 5545), and is no longer offered.
    response = client.get(f"/evenements/{event.id}.ics")
    [item] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(item["status"]) == "CANCELLED"
    assert "Ajouter à mon agenda" not in page_text(client.get(f"/evenements/{event.id}"))
    # A pending registrant's link says the event is cancelled, with no button to press;
    # a button pressed on a page opened before confirms nothing and says the same.
    response = client.get(chloe_confirm)
    assert response.status_code == 200 and _title(response) == "Événement annulé"
    assert sorry in page_text(response) and "Je confirme" not in page_text(response)
    response = client.post(chloe_confirm, follow_redirects=True)
    assert response.status_code == 200 and sorry in page_text(response)
    chloe = db.session.scalar(
        select(EventRegistration).where(EventRegistration.email == "chloe@exemple.fr")
    )
    assert chloe.status == "pending" and chloe.confirmed_at is None
    assert [m.kind for m in mails_to("chloe@exemple.fr")] == [MailKind.EVENT_CONFIRM]
    # The cancellation link promises no seat to the waiting list and offers nothing to do.
    response = client.get(ana_cancel)
    assert _title(response) == "Événement annulé" and sorry in page_text(response)
    assert "liste d'attente" not in page_text(response)
    assert "J'annule" not in page_text(response)
    # A confirmed registrant's page no longer says "we expect you", nor offers the .ics.
    response = client.get(ana_confirm)
    assert _title(response) == "Événement annulé" and sorry in page_text(response)
    assert "nous vous attendons" not in page_text(response)
    assert ".ics" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "title", "said"),
    [
        ("job_dating", "Job dating du printemps", "Job dating du printemps"),
        ("job_dating", "JOB DATING : hôtellerie", "JOB DATING : hôtellerie"),
        ("job_dating", "Recrutements de l'été", "Job dating : Recrutements de l'été"),
        ("webinaire", "Les aides à l'embauche", "Webinaire : Les aides à l'embauche"),
    ],
)
def test_the_ics_summary_names_the_kind_once(kind, title, said):
    assert summary(Event(kind=kind, title=title)) == said


def _ics_item(client, event):
    [item] = Calendar.from_ical(client.get(f"/evenements/{event.id}.ics").data).walk("VEVENT")
    return item


def test_moving_an_event_tells_the_people_seated_and_waiting_what_changed(client, auth):
    event = _event(capacity="1")
    old_slot = time_slot(event.starts_at, event.ends_at)
    _confirmed(event, "Ana", "ana@exemple.fr")
    _confirmed(event, "Ben", "ben@exemple.fr")  # waiting
    _confirmed(event, "Dan", "dan@exemple.fr")  # waiting, then cancels: not told
    registrations.cancel(db.session, _token(_link("dan@exemple.fr", MailKind.EVENT_REGISTERED)))
    _register(event, "Chloé", "chloe@exemple.fr")  # never confirmed: not told
    db.session.commit()
    before = _ics_item(client, event)
    assert int(before["sequence"]) == 0
    auth.login("animateur")

    form = page_text(client.get(f"/animateur/evenements/{event.id}/modifier"))
    assert "2 personnes inscrites seront prévenues par e-mail" in form
    new_day = event.starts_at.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    response = client.post(
        f"/animateur/evenements/{event.id}/modifier",
        data={
            "lu_le": _stamp(client, event),
            **_form(new_day, start="09:00", end="11:00", place="Mairie, Biganos", capacity="1"),
        },
        follow_redirects=True,
    )
    assert (
        "L'événement est modifié ; 2 personnes prévenues par e-mail "
        "du changement de date ou de lieu." in page_text(response)
    )
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    new_slot = time_slot(event.starts_at, event.ends_at)
    assert "de 9 h à 11 h" in new_slot and "de 8 h 30 à 10 h" in old_slot
    for address in ("ana@exemple.fr", "ben@exemple.fr"):
        mail = mails_to(address)[-1]
        text = mail.body_text.replace("\xa0", " ").replace("\u202f", " ")
        assert mail.kind == MailKind.EVENT_CHANGED
        assert f"Date et horaires : {old_slot} → {new_slot}" in text
        assert "Lieu : Salle des fêtes, Gujan-Mestras → Mairie, Biganos" in text
        assert f"http://localhost/evenements/{event.id}.ics" in text
        assert "/evenements/inscription/annuler/" in text
        assert "</del> → <strong>" in mail.body_html
    assert "sur la liste d'attente" in mails_to("ben@exemple.fr")[-1].body_text
    for address in ("chloe@exemple.fr", "dan@exemple.fr"):
        assert MailKind.EVENT_CHANGED not in [m.kind for m in mails_to(address)]
    # The same UID with a higher SEQUENCE: agendas replace the event they hold.
    after = _ics_item(client, event)
    assert str(after["uid"]) == str(before["uid"]) and int(after["sequence"]) == 1
    assert after.decoded("dtstart") == event.starts_at
    assert str(after["location"]) == "Mairie, Biganos"

    # A change of title, text or capacity tells nobody and leaves the SEQUENCE.
    sent = db.session.scalar(select(func.count(OutboxMessage.id)))
    response = client.post(
        f"/animateur/evenements/{event.id}/modifier",
        data={
            "lu_le": _stamp(client, event),
            **_form(
                new_day,
                start="09:00",
                end="11:00",
                place="Mairie, Biganos",
                capacity="1",
                title="Petit déjeuner de rentrée",
            ),
        },  # fmt: skip
        follow_redirects=True,
    )
    assert "L'événement est modifié." in page_text(response)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == sent
    assert int(_ics_item(client, event)["sequence"]) == 1


def test_a_change_is_mailed_with_the_event_as_an_invitation_that_moves_it(
    app,
    client,
    server,  # noqa: F811
    quiet_smtp_server_log,  # noqa: F811
):
    event = _event(capacity="1")
    _confirmed(event, "Ana", "ana@exemple.fr")
    _confirmed(event, "Ben", "ben@exemple.fr")  # waiting
    before = _ics_item(client, event)
    day = event.starts_at.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    form = _form(day, start="09:00", end="11:00", place="Mairie, Biganos", capacity="1")
    assert registrations.update_event(db.session, event, form, by=None) == 2
    db.session.commit()

    # Through the outbox and a real SMTP server, as every mail goes.
    report = deliver_due(db.session)
    assert report.sent >= 2 and report.failed == report.retried == 0
    changed = {
        str(m["To"]): m for m in server.parsed() if "Changement de date ou de lieu" in m["Subject"]
    }
    assert set(changed) == {"ana@exemple.fr", "ben@exemple.fr"}
    after = _ics_item(client, event)
    for address, partstat in (("ana@exemple.fr", "ACCEPTED"), ("ben@exemple.fr", "TENTATIVE")):
        message = changed[address]
        assert message.get_content_type() == "multipart/mixed"
        assert "Mairie, Biganos" in message.get_body(("plain",)).get_content()
        assert "L'invitation jointe à ce message" in message.get_body(("html",)).get_content()
        [part] = message.iter_attachments()
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        assert part.get_filename() == f"evenement-{event.id}.ics"
        raw = part.get_content()
        assert raw.startswith("BEGIN:VCALENDAR\r\n")  # its bytes as written (RFC 5545)
        invitation = Calendar.from_ical(raw)
        assert str(invitation["method"]) == "REQUEST"
        [item] = invitation.walk("VEVENT")
        # The event of the public .ics: same UID, the SEQUENCE it now has, the new facts.
        assert str(item["uid"]) == str(before["uid"]) == str(after["uid"])
        assert int(item["sequence"]) == int(after["sequence"]) == 1
        assert item.decoded("dtstart") == after.decoded("dtstart") == event.starts_at
        assert str(item["location"]) == "Mairie, Biganos"
        assert str(item["organizer"]) == f"mailto:{app.config['CONTACT_EMAIL']}"
        attendee = item["attendee"]
        assert str(attendee) == f"mailto:{address}"
        assert attendee.params["PARTSTAT"] == partstat
        assert attendee.params["RSVP"] == "FALSE"
    # The other mails of the event carry no attachment.
    others = [m for m in server.parsed() if "Changement de date ou de lieu" not in m["Subject"]]
    assert others and all(not list(m.iter_attachments()) for m in others)


def test_a_cancelled_event_moved_tells_nobody_and_cancelling_raises_the_sequence(client):
    event = _event()
    _confirmed(event, "Ana", "ana@exemple.fr")
    registrations.cancel_event(db.session, event, by=None)
    db.session.commit()
    assert int(_ics_item(client, event)["sequence"]) == 1
    assert registrations.to_tell_of_changes(db.session, event) == 0
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    told = registrations.update_event(db.session, event, _form(day, place="Ailleurs"), by=None)
    db.session.commit()
    assert told == 0
    assert [m.kind for m in mails_to("ana@exemple.fr")][-1] == MailKind.EVENT_CANCELLED


def test_the_attendee_export_asks_for_the_password_again_and_is_audited(client, auth):
    event = _event()
    _confirmed(event, "Ana", "ana@exemple.fr")
    auth.login("animateur")
    url = f"/animateur/evenements/{event.id}/inscrits.xlsx"
    start = datetime.now(UTC)
    # Still signed in (used every 25 minutes), but the password was typed an hour ago.
    for minutes in (25, 50, 60):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            response = client.get(url if minutes == 60 else "/animateur/evenements")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/confirmer-mot-de-passe?next={url}"
    assert (
        db.session.scalars(
            select(AuditLog).where(AuditLog.action == "event_attendees_export")
        ).all()
        == []
    )

    auth.login("animateur")
    assert client.get(url).status_code == 200
    [entry] = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "event_attendees_export")
    ).all()
    assert (entry.entity, entry.entity_id, entry.details["rows"]) == ("event", event.id, 1)
    assert entry.actor_id is not None and "ana@exemple.fr" not in str(entry.details)


def test_a_registration_is_not_tied_to_a_company_only_an_unconfirmed_need_knows(client):
    # The SIRET typed on the public need form, never confirmed: a provisional company,
    # which the registration must not anchor (nor keep from the retention job).
    siret = factories.make_siret(6543)
    data = factories.public_need_form(siret=siret, owner_email="x@exemple.fr")
    assert client.post("/exprimer-un-besoin", data=data).status_code == 302
    registration = _confirmed(_event(), "Marc Dupuy", "marc@garage.fr", siret=siret)
    assert registration.company_id is None


def test_cancelling_mails_the_event_as_a_cancellation_agendas_apply(
    client,
    server,  # noqa: F811
    quiet_smtp_server_log,  # noqa: F811
):
    event = _event()
    _confirmed(event, "Ana", "ana@exemple.fr")
    before = _ics_item(client, event)
    assert registrations.cancel_event(db.session, event, by=None) == 1
    db.session.commit()
    assert deliver_due(db.session).failed == 0
    [message] = [m for m in server.parsed() if "Événement annulé" in m["Subject"]]
    [part] = message.iter_attachments()
    assert part.get_content_type() == "text/calendar" and part.get_param("method") == "CANCEL"
    invitation = Calendar.from_ical(part.get_content())
    assert str(invitation["method"]) == "CANCEL"
    [item] = invitation.walk("VEVENT")
    # The same event for the agenda (UID), newer (SEQUENCE), and cancelled.
    assert str(item["uid"]) == str(before["uid"])
    assert int(item["sequence"]) == int(before["sequence"]) + 1
    assert str(item["status"]) == "CANCELLED"
    assert str(item["attendee"]) == "mailto:ana@exemple.fr"


def test_an_event_today_whose_start_has_passed_is_refused():
    # Published at 14:00 for 08:00 the same morning: on no list, nobody could come.
    now = datetime(2027, 6, 15, 14, 0, tzinfo=LOCAL_TZ)
    with time_machine.travel(now, tick=False):
        with pytest.raises(catalogue.EventError) as refused:
            catalogue.validate_event(_form(now.date(), start="08:00", end="09:00"), set())
        assert refused.value.errors == {
            "start": "L'heure de début est passée (il est 14:00) : indiquez une heure à venir."
        }
        later = catalogue.validate_event(_form(now.date(), start="18:00", end="19:00"), set())
        assert later["starts_at"].hour == 18
        # An event already under way keeps its day and hours when it is corrected.
        kept = catalogue.validate_event(
            _form(now.date(), start="08:00", end="09:00"), set(), stored_day=now.date()
        )
        assert kept["starts_at"].hour == 8


@pytest.mark.parametrize(
    "start, end, field",
    [("02:30", "04:00", "start"), ("01:30", "02:15", "end"), ("02:00", "02:45", "start")],
)
def test_an_hour_the_clocks_skip_is_refused(start, end, field):
    # 28 March 2027, 2 a.m.: clocks go to 3 a.m. "02:30 to 03:30" was stored as 03:30 to
    # 03:30, an event of no length, shown "de 3 h 30 à 3 h 30".
    day = date(2027, 3, 28)
    with (
        time_machine.travel(datetime(2027, 3, 1, tzinfo=LOCAL_TZ), tick=False),
        pytest.raises(catalogue.EventError) as refused,
    ):
        catalogue.validate_event(_form(day, start=start, end=end), set())
    assert "n'existe pas le 28/03/2027" in refused.value.errors[field]
    assert "passage à l'heure d'été" in refused.value.errors[field]


# --- attendance ---------------------------------------------------------------------------


def _begin(event) -> None:
    """The event began an hour ago (set directly: travelling in time ends the login)."""
    event = db.session.get(Event, event.id)
    event.starts_at = datetime.now(UTC) - timedelta(hours=1)
    event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.commit()


def _attendance_world():
    event = _event(capacity="2", days_ahead=2)
    ana = _confirmed(event, "Ana", "ana@exemple.fr")
    paul = _confirmed(event, "Paul", "paul@exemple.fr")
    lea = _confirmed(event, "Léa", "lea@exemple.fr")  # waiting: the event is full
    return event, ana, paul, lea


def test_the_organiser_records_who_came_once_the_event_has_begun(client, auth):
    event, ana, paul, lea = _attendance_world()
    assert lea.status == "waiting"
    auth.login("animateur")
    url = f"/animateur/evenements/{event.id}/presences"
    # Before it begins: nothing to tick, and a forged sending is refused in French.
    page = client.get(f"/animateur/evenements/{event.id}")
    assert 'name="present"' not in html_of(page)
    assert "une fois l'événement commencé" in page_text(page)
    early = client.post(url, data={"present": [str(ana.id)]})
    assert early.status_code == 422 and "une fois l'événement commencé" in page_text(early)
    assert db.session.get(Event, event.id).attendance_at is None
    _begin(event)
    page = html_of(client.get(f"/animateur/evenements/{event.id}"))
    assert page.count('name="present"') == 3
    # Ana came, Paul did not, Léa (waiting) came anyway, and two more without registering.
    done = client.post(url, data={"present": [str(ana.id), str(lea.id)], "sans_inscription": " 2 "})
    assert done.status_code == 302
    said = page_text(client.get(done.location))
    assert (
        "Présences enregistrées : 2 personnes inscrites venues, 2 personnes sans inscription ; 4 en tout."
        in said
    )
    assert (
        "2 personnes inscrites venues sur 3 inscrites, 2 personnes sans inscription : 4 en tout"
        in said
    )
    db.session.expire_all()
    assert [r.attended for r in (ana, paul, lea)] == [True, False, True]
    assert db.session.get(Event, event.id).walk_ins == 2
    # The export says who came.
    sheet = load_workbook(
        io.BytesIO(client.get(f"/animateur/evenements/{event.id}/inscrits.xlsx").data)
    ).active
    assert [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Oui",
        "Non",
        "Oui",
    ]


def test_at_the_door_each_name_ticks_its_box_and_the_save_button_stays_in_reach(client, auth):
    """On a phone at the door, the box alone (1.5 rem) was the only target, its label
    hidden, and the save button sat below both lists and the walk-ins field: the name is
    now the box's label (a whole line to tap), a search and a count of the ticks come with
    the page's script, and the button is held at the bottom of the screen (it names the
    form, outside which it stands). A list printed before the event had no column to
    tick on paper: it has one, of empty boxes, on paper only."""
    event, ana, paul, lea = _attendance_world()
    auth.login("animateur")
    before = html_of(client.get(f"/animateur/evenements/{event.id}"))
    assert 'id="chercher-inscrit"' not in before and "data-checkin-count" not in before
    # Printed before the event, the list has a column of empty boxes to tick on paper.
    assert before.count('<th scope="col" class="print-only">Venu ?</th>') == 2
    assert before.count('<td class="print-only sign-box"></td>') == 3
    _begin(event)
    page = html_of(client.get(f"/animateur/evenements/{event.id}"))
    for person in (ana, paul, lea):
        assert (
            f'<label for="present-{person.id}">{person.name}'
            '<span class="visually-hidden"> est venu·e</span></label>'
        ) in page
        assert page.count(f'for="present-{person.id}"') == 1
        # One line a person, its cells named once in the style sheet: 3,000 registrations
        # made a page of 1.8 MB with a name, a class and indentation in every cell.
        row = re.search(rf'<tr><td><input [^>]*id="present-{person.id}">.*?</tr>', page).group(0)
        assert (
            "\n" not in row
            and "data-label" not in row
            and "class=" not in row.replace('class="visually-hidden"', "")
        )
    assert '<table class="stack attendees attendance">' in page
    assert re.search(r'<input type="search" id="chercher-inscrit"[^>]*data-checkin-search>', page)
    assert re.search(
        r'<div class="sticky-action checkin-save no-print">\s*'
        r'<p class="checkin-count" data-checkin-count aria-live="polite" hidden></p>\s*'
        r'<button type="submit" form="presences" class="button">Enregistrer les présences</button>',
        page,
    )
    assert "js/event-checkin.js" in page
    # Sent from outside the form, the boxes and the walk-ins still reach it.
    done = client.post(
        f"/animateur/evenements/{event.id}/presences",
        data={"present": [str(paul.id)], "sans_inscription": "1"},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert [r.attended for r in (ana, paul, lea)] == [False, True, False]


def test_the_list_printed_before_the_event_leaves_off_the_screen_s_hint(client, auth):
    """« Les présences se noteront ici une fois l'événement commencé. » tells the screen's
    reader where the ticks will be; printed on the list taken to the door (its column of
    boxes to tick on paper) it said the opposite of the paper in hand."""
    event, *_ = _attendance_world()
    auth.login("animateur")
    page = html_of(client.get(f"/animateur/evenements/{event.id}"))
    hint = re.search(r'<p class="([^"]*)">Les présences se noteront ici', page)
    assert hint, "the hint is on the screen before the event"
    assert "no-print" in hint.group(1).split()
    # Its heading, with nothing under it on paper, is left off too...
    assert '<h2 id="titre-presences" class="no-print">Présences</h2>' in page
    print_css = (Path(client.application.static_folder) / "css" / "print.css").read_text()
    hidden = re.search(r"([^{}]*)\{\s*display: none !important;\s*\}", print_css)
    assert ".no-print" in hidden.group(1).replace(",", " ").split()
    # ... until the attendance recorded is printed under it.
    _begin(event)
    recorded = client.post(
        f"/animateur/evenements/{event.id}/presences", data={"sans_inscription": "1"}
    )
    assert recorded.status_code == 302
    page = html_of(client.get(f"/animateur/evenements/{event.id}"))
    assert '<h2 id="titre-presences">Présences</h2>' in page and "en tout" in page


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("deux", "Indiquez un nombre entier de personnes"),
        ("-3", "Indiquez un nombre entier de personnes"),
        ("2,5", "Indiquez un nombre entier de personnes"),
        ("١٢", "Indiquez un nombre entier de personnes"),
        ("100000", "Ce nombre paraît trop grand"),
    ],
)
def test_a_wrong_count_of_walk_ins_is_refused_beside_its_field_and_changes_nothing(
    client, auth, typed, said
):
    event, ana, paul, lea = _attendance_world()
    auth.login("animateur")
    _begin(event)
    refused = client.post(
        f"/animateur/evenements/{event.id}/presences",
        data={"present": [str(paul.id)], "sans_inscription": typed},
    )
    assert refused.status_code == 422
    assert said in error_of(refused, "sans_inscription")
    # What was ticked and typed is shown again.
    assert f'value="{paul.id}" id="present-{paul.id}" checked' in html_of(refused)
    db.session.expire_all()
    assert db.session.get(Event, event.id).attendance_at is None
    assert {r.attended for r in (ana, paul, lea)} == {None}


def test_attendance_names_only_this_events_registrants_and_not_a_cancelled_event(client, auth):
    event, ana, _, _ = _attendance_world()
    other = _event(days_ahead=2, title="Autre")
    outsider = _confirmed(other, "Marc", "marc@exemple.fr")
    auth.login("animateur")
    _begin(event)
    for forged in ([str(outsider.id)], ["x"], [str(ana.id), "999999"]):
        refused = client.post(
            f"/animateur/evenements/{event.id}/presences", data={"present": forged}
        )
        assert refused.status_code == 422, forged
        assert "n'est pas inscrite à cet événement" in page_text(refused)
    db.session.expire_all()
    assert outsider.attended is None and ana.attended is None
    registrations.cancel_event(db.session, db.session.get(Event, other.id), by=None)
    db.session.commit()
    refused = client.post(
        f"/animateur/evenements/{other.id}/presences", data={"present": [str(outsider.id)]}
    )
    assert refused.status_code == 422 and "a été annulé" in page_text(refused)


def test_an_evening_ending_at_midnight_ends_at_the_next_days_first_instant(client, auth):
    # Found by an outside check: "20:00–00:00" was refused (end before start).
    day = datetime.now(LOCAL_TZ).date() + timedelta(days=10)
    values = catalogue.validate_event(_form(day, start="20:00", end="00:00"), set())
    assert values["starts_at"].astimezone(LOCAL_TZ) == datetime(
        day.year, day.month, day.day, 20, tzinfo=LOCAL_TZ
    )
    assert values["ends_at"].astimezone(LOCAL_TZ) == datetime.combine(
        day + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ
    )
    assert time_slot(values["starts_at"], values["ends_at"]).endswith(", de 20 h à minuit")
    # Through the form, and back in the form as typed when edited.
    auth.login("animateur")
    response = client.post(
        "/animateur/evenements/nouveau", data=_form(day, start="20:00", end="00:00")
    )
    assert response.status_code == 302, page_text(response)
    event = db.session.scalars(select(Event)).one()
    assert catalogue.form_values(event)["end"] == "00:00"
    assert catalogue.form_values(event)["day"] == day.isoformat()


@pytest.mark.parametrize(("start", "end"), [("20:00", "19:00"), ("00:00", "00:00")])
def test_an_end_before_the_start_is_still_refused(start, end):
    day = datetime.now(LOCAL_TZ).date() + timedelta(days=10)
    with pytest.raises(catalogue.EventError) as refused:
        catalogue.validate_event(_form(day, start=start, end=end), set())
    assert refused.value.errors["end"].startswith("L'heure de fin doit suivre l'heure de début")


def test_a_capacity_lowered_under_the_seats_taken_keeps_them_and_says_so(client, auth):
    event = _event(capacity="3")
    for name in ("Ana", "Ben", "Chloé"):
        _confirmed(event, name, f"{name.lower().replace('é', 'e')}@exemple.fr")
    auth.login("animateur")
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    response = client.post(
        f"/animateur/evenements/{event.id}/modifier",
        data={"lu_le": _stamp(client, event), **_form(day, capacity="1")},
        follow_redirects=True,
    )
    assert (
        "Attention : 3 personnes ont déjà une place pour 1 place : personne ne perd la "
        "sienne, les prochaines inscriptions iront en liste d'attente." in page_text(response)
    )
    db.session.expire_all()
    assert registrations.seats_taken(db.session, event) == 3
    assert registrations.seats_over(db.session, event) == 2
    # The next person waits.
    assert _confirmed(event, "Dan", "dan@exemple.fr").status == "waiting"
    # A capacity that holds everyone says nothing of the kind.
    again = client.post(
        f"/animateur/evenements/{event.id}/modifier",
        data={"lu_le": _stamp(client, event), **_form(day, capacity="5")},
        follow_redirects=True,
    )
    assert "Attention" not in page_text(again)


def test_an_event_saved_from_a_page_read_before_another_save_is_refused(app, client, auth):
    # Two animateurs open the same event; one changes the place, the other the title.
    # The second save must not put the old place back (nor mail it to the registrants).
    event = _event()
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    first, second = _stamp(client, event), _stamp(other, event)
    url = f"/animateur/evenements/{event.id}/modifier"
    saved = client.post(url, data={**_form(day, place="Mairie, Biganos"), "lu_le": first})
    assert saved.status_code == 302
    typed = "Petit déjeuner de rentrée"
    response = other.post(url, data={**_form(day, title=typed), "lu_le": second})
    assert response.status_code == 422
    assert "modifié par quelqu'un d'autre" in page_text(response)
    assert f'value="{typed}"' in html.unescape(response.get_data(as_text=True))  # kept
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.place == "Mairie, Biganos"  # the first change kept
    assert event.title == "Petit déjeuner des entreprises"  # nothing of the second
    # Sent again from the page given back (read now), it is saved.
    again = other.post(
        url,
        data={**_form(day, place="Mairie, Biganos", title=typed), "lu_le": stamp_in(response)},
    )
    assert again.status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.place, event.title) == ("Mairie, Biganos", typed)


def test_an_event_refused_as_changed_meanwhile_says_what_it_holds_now(app, client, auth):
    """The event's refusal said only « modifié par quelqu'un d'autre », where a company's
    and a contact's say what they hold now: the animateur had to open the event in
    another tab to learn what the other save changed. It names the fields where the
    event differs from what was typed, with their values now, under one heading that
    asks nothing to be corrected and says once that nothing was saved."""
    partner = _partner()
    event = _event()
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    first, second = _stamp(client, event), _stamp(other, event)
    url = f"/animateur/evenements/{event.id}/modifier"
    theirs = _form(day, place="Mairie, Biganos", start="09:00", partners=[str(partner.id)])
    assert client.post(url, data={**theirs, "lu_le": first}).status_code == 302
    typed = "Petit déjeuner de rentrée"
    response = other.post(url, data={**_form(day, title=typed), "lu_le": second})
    assert response.status_code == 422
    summary = page_text_of(element_by_id(html_of(response), "erreurs"))
    assert summary.startswith(
        "Rien n'a été enregistré : Cet événement a été modifié par quelqu'un d'autre depuis "
        "que vous avez ouvert la page. Il indique maintenant : titre : « Petit déjeuner des "
        f"entreprises » ; date et horaire : {time_slot(event.starts_at, event.ends_at)} ; "
        "lieu : Mairie, Biganos ; partenaires : France Travail Arcachon. Ce que vous avez "
        "saisi est gardé ci-dessous"
    ), summary
    assert "9 h à 10 h" in summary
    assert "Corrigez" not in summary and "n'a pas été envoyé" not in summary
    assert summary.lower().count("rien n") == 1
    assert f'value="{typed}"' in html.unescape(response.get_data(as_text=True))  # kept


def test_an_event_sent_without_its_read_stamp_is_refused(client, auth):
    event = _event()
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    auth.login("animateur")
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = _form(day, title="Autre titre")
        if stamp is not None:
            data["lu_le"] = stamp
        response = client.post(f"/animateur/evenements/{event.id}/modifier", data=data)
        assert response.status_code == 422
        db.session.expire_all()
        assert db.session.get(Event, event.id).title == "Petit déjeuner des entreprises"


def test_an_event_stamped_since_for_its_attendance_is_saved_a_real_change_refused(
    app, client, auth
):
    # The form read, the event's attendance is recorded (outside the form's fields): its
    # stamp moved, but nothing the form edits changed, so the save loses nothing.
    event = _event()
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    url = f"/animateur/evenements/{event.id}/modifier"
    first, second = read_guard_at(client, url), read_guard_at(other, url)
    assert first.get("lu_valeurs")
    event.walk_ins = 3
    db.session.commit()
    assert event.updated_at.isoformat() != first["lu_le"]
    saved = client.post(url, data={**_form(day, place="Mairie, Biganos"), **first})
    assert saved.status_code == 302
    # Read before that save, the other page's fields changed meanwhile: refused.
    typed = "Petit déjeuner de rentrée"
    response = other.post(url, data={**_form(day, title=typed), **second})
    assert response.status_code == 422
    assert "modifié par quelqu'un d'autre" in page_text(response)
    assert f'value="{typed}"' in html.unescape(response.get_data(as_text=True))  # kept
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.place, event.title, event.walk_ins) == (
        "Mairie, Biganos",
        "Petit déjeuner des entreprises",
        3,
    )


def test_an_event_sent_again_with_what_it_holds_now_is_saved_another_change_refused(
    app, client, auth
):
    # Two tabs read the event; the first saves a new place and a partner. The second,
    # read before, sends exactly those values: nothing would be lost, it is saved.
    partner = _partner()
    db.session.commit()
    event = _event()
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    url = f"/animateur/evenements/{event.id}/modifier"
    first, second = read_guard_at(client, url), read_guard_at(other, url)
    same = _form(day, place="Mairie, Biganos", partners=[str(partner.id)])
    assert client.post(url, data={**same, **first}).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Event, event.id)
    stamp, sequence = saved.updated_at, saved.sequence
    mailed = db.session.scalar(select(func.count(OutboxMessage.id)))
    again = other.post(url, data={**same, **second})
    assert again.status_code == 302, page_text(again)
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.place, event.partner_ids, event.sequence) == (
        "Mairie, Biganos",
        [partner.id],
        sequence,
    )
    assert event.updated_at >= stamp
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == mailed
    # From that same stale page, anything else (here: no partner) is still refused.
    typed = "Petit déjeuner de rentrée"
    other_change = _form(day, place="Mairie, Biganos", title=typed)
    response = other.post(url, data={**other_change, **second})
    assert response.status_code == 422
    assert "modifié par quelqu'un d'autre" in page_text(response)
    assert f'value="{typed}"' in html.unescape(response.get_data(as_text=True))  # kept
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.title, event.partner_ids) == ("Petit déjeuner des entreprises", [partner.id])


def test_a_cancellation_link_opened_once_the_event_has_begun_changes_nothing(client, auth):
    """An old mail's link, once the event began: no seat can go to anyone any more, and
    cancelling turned someone recorded as present into a cancellation, gone from the
    counts of who came (then deleted by the retention)."""
    event, ana, _paul, _lea = _attendance_world()
    link = _link("ana@exemple.fr", MailKind.EVENT_REGISTERED)
    _begin(event)
    auth.login("animateur")
    client.post(f"/animateur/evenements/{event.id}/presences", data={"present": [str(ana.id)]})
    auth.logout()
    page = client.get(link)
    assert _title(page) == "Événement commencé"
    assert "J'annule" not in page_text(page)
    assert "a commencé : il n'y a plus d'inscription à annuler" in page_text(page)
    # Pressed on a page opened before: nothing cancelled, and the page says why.
    response = client.post(link, follow_redirects=True)
    assert "il n'y a plus d'inscription à annuler" in page_text(response)
    db.session.expire_all()
    kept = db.session.get(EventRegistration, ana.id)
    assert (kept.status, kept.attended, kept.cancelled_at) == ("registered", True, None)


def test_an_event_started_or_over_says_so_in_plain_words_without_a_form(client):
    event = _event(days_ahead=3)
    with time_machine.travel(event.starts_at + timedelta(minutes=1), tick=False):
        said = page_text(client.get(f"/evenements/{event.id}"))
        assert "Cet événement a commencé : les inscriptions sont closes." in said
        assert "Je m'inscris" not in said
    with time_machine.travel(event.ends_at + timedelta(days=1), tick=False):
        said = page_text(client.get(f"/evenements/{event.id}"))
        assert (
            f"Cet événement a eu lieu ({time_slot(event.starts_at, event.ends_at)}) : "
            "il n'est plus possible de s'y inscrire." in said
        )
        assert "Voir les prochains événements" in said and "Je m'inscris" not in said


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("0", "Indiquez le nombre de places, un nombre entier à partir de 1."),
        ("-5", "Indiquez le nombre de places, un nombre entier à partir de 1."),
        ("2,5", "Indiquez le nombre de places, un nombre entier à partir de 1."),
        ("99999999999999999999", "Ce nombre de places paraît trop grand : vérifiez-le"),
        ("10001", "(au plus 10\u202f000 places)"),
    ],
)
def test_a_wrong_number_of_places_is_refused_saying_what_is_wrong(typed, said):
    day = (datetime.now(LOCAL_TZ) + timedelta(days=10)).date()
    with pytest.raises(catalogue.EventError) as refused:
        catalogue.create_event(db.session, _form(day, capacity=typed), by=None)
    assert said in refused.value.errors["capacity"]
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_what_an_event_holds_now_is_shown_escaped(app, client, auth):
    """The refusal of a save made from a page read before another save cites the values
    the other save typed (title, presentation, place, partners' names from the
    interchange import): read as text, never as markup, in the error summary that
    joins and sets the refusal's words (``MeanwhileMessage``, ``typo``)."""
    hostile = '<img src=x onerror=alert(1)>"><b>gras</b> {{7*7}}'
    partner = _partner(name=f"Partenaire {hostile}")
    event = _event()
    day = event.starts_at.astimezone(LOCAL_TZ).date()
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    first, second = _stamp(client, event), _stamp(other, event)
    url = f"/animateur/evenements/{event.id}/modifier"
    theirs = _form(
        day,
        title=f"Titre {hostile}",
        description=f"Présentation {hostile}",
        place=f"Lieu {hostile}",
        partners=[str(partner.id)],
    )
    assert client.post(url, data={**theirs, "lu_le": first}).status_code == 302
    response = other.post(url, data={**_form(day), "lu_le": second})
    assert response.status_code == 422
    summary = element_by_id(html_of(response), "erreurs")
    for said in ("titre : « Titre", "présentation : « Présentation", "lieu : Lieu", "Partenaire"):
        assert f"{said} {hostile}" in html.unescape(page_text_of(summary)), said
    assert "<img" not in summary and "<b>" not in summary
    assert summary.count("&lt;img src=x onerror=alert(1)&gt;") == 4, summary


def test_the_registration_s_error_summary_names_its_fields_by_their_labels(client):
    """« SIRET » in the summary, « SIRET de votre entreprise » above the box."""
    from tests.helpers import html_of
    from tests.test_web_need_public import summary_label_mismatches

    event = _event()
    refused = client.post(
        f"/evenements/{event.id}/inscription",
        data={"name": "", "email": "x", "organisation": "É" * 500, "siret": "123"},
    )
    assert refused.status_code == 422
    assert 'href="#siret"' in html_of(refused)
    assert summary_label_mismatches(html_of(refused)) == []


def test_the_agenda_link_names_what_it_gives_without_jargon(client):
    # « .ics » means nothing to a company owner: the link says what the file is for.
    event = _event()
    text = page_text(client.get(f"/evenements/{event.id}"))
    assert "Ajouter à mon agenda (fichier pour Outlook, Google Agenda, iPhone…)" in text
    assert ".ics" not in text


def test_a_logged_in_owner_is_not_asked_again_who_they_are(app, client, auth):
    # Like the need form: their name, address, company and SIRET are already there.
    event = _event()
    owner = auth.login("company", full_name="Sylvie Lafitte")
    company = db.session.get(type(owner), owner.id).companies[0]
    markup = client.get(f"/evenements/{event.id}").get_data(as_text=True)
    assert 'name="name" value="Sylvie Lafitte"' in markup
    assert f'name="email" value="{owner.email}"' in markup
    assert f'value="{html.escape(company.name)}"' in markup
    assert f'name="siret" value="{company.siret}"' in markup
    # What they typed, sent back with an error, is kept, not replaced by the account's.
    typed = {"name": "Paul Autre", "email": "pas-une-adresse", "organisation": "", "siret": ""}
    again = client.post(f"/evenements/{event.id}/inscription", data=typed)
    markup = again.get_data(as_text=True)
    assert again.status_code == 422 and 'value="Paul Autre"' in markup
    assert 'value="Sylvie Lafitte"' not in markup and company.siret not in markup
    # Another role, or nobody, gets an empty form.
    auth.logout()
    auth.login("animateur", full_name="Anne Animatrice")
    staff_page = client.get(f"/evenements/{event.id}").get_data(as_text=True)
    assert 'value="Anne Animatrice"' not in staff_page
    anonymous = app.test_client().get(f"/evenements/{event.id}").get_data(as_text=True)
    assert company.siret not in anonymous and "Sylvie Lafitte" not in anonymous
