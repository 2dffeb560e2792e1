"""Retention of the companies' side (docs/rgpd.md T3, T4, T8), applied by the
``data_retention`` job: closed needs lose their owner's details, visits and dormant
companies' contacts go, sent mails lose their body, mails given up are deleted. Each
rule is checked a day before and on its boundary, with the clock frozen. A rule in months
counts on the days of Arcachon (``clock.kept_since``): what is dated on a local day goes
from the start of its term day, 36 months later, whatever the hour it was dated."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from connectences.extensions import db
from connectences.mail import MailKind
from connectences.mail.outbox import Attachment, extras_of, stored_extras
from connectences.models import (
    AuditLog,
    Company,
    CompanyContact,
    CompanyMailing,
    Need,
    OutboxMessage,
    Transition,
    Visit,
)
from connectences.workflows import NeedState
from tests import factories
from tests.test_jobs import run

START = datetime(2024, 3, 15, 10, tzinfo=UTC)
THREE_YEARS = datetime(2027, 3, 15, 10, tzinfo=UTC)  # 36 months after START, to the second
# The term day of START begins: midnight in Arcachon (23:00 UTC the day before).
ON_TERM = datetime(2027, 3, 15, tzinfo=ZoneInfo("Europe/Paris"))


def _company() -> Company:
    with time_machine.travel(START, tick=False):
        item = factories.company()
        factories.load(factories.document(companies=[item]))
        company = db.session.scalar(select(Company).where(Company.ref == item["ref"]))
        company.contacts.append(CompanyContact(name="Jeanne Martin", email="jeanne@ent.fr"))
        db.session.commit()
    return company


def _need(company: Company, status: str, at: datetime = START) -> Need:
    with time_machine.travel(at, tick=False):
        item = factories.need(company=company.ref)
        factories.load(factories.document(needs=[item]))
        need = db.session.scalar(select(Need).where(Need.ref == item["ref"]))
        need.status = status
        need.owner_name, need.owner_email = "Paul Durand", "paul@ent.fr"
        need.owner_phone, need.notes = "05 56 00 00 00", "Le gérant part en retraite"
        db.session.commit()
    return need


def _visit(company: Company, on: date, follow_up_on: date | None = None) -> Visit:
    visit = Visit(
        company_id=company.id,
        channel="visite",
        visited_on=on,
        notes="Rencontré M. Durand",
        follow_up_on=follow_up_on,
    )
    db.session.add(visit)
    db.session.commit()
    return visit


def test_a_closed_need_loses_its_owner_details_three_years_after_its_last_activity():
    company = _company()
    closed = _need(company, NeedState.POURVU)
    still_open = _need(company, NeedState.EN_RECHERCHE)
    assert run("data_retention", ON_TERM - timedelta(seconds=1))["needs_erased"] == 0
    counts = run("data_retention", ON_TERM)
    assert counts["needs_erased"] == 1
    db.session.expire_all()
    assert (closed.owner_name, closed.owner_email, closed.owner_phone, closed.notes) == (
        None,
        None,
        None,
        None,
    )
    assert closed.title == "Comptabilité 1 jour par semaine"  # kept for the statistics
    assert still_open.owner_email == "paul@ent.fr"
    assert run("data_retention", THREE_YEARS + timedelta(days=1))["needs_erased"] == 0


def test_a_later_change_or_transition_of_a_closed_need_delays_its_erasure():
    company = _company()
    need = _need(company, NeedState.ABANDONNE)
    db.session.add(
        Transition(
            entity="need",
            entity_id=need.id,
            from_state="en_recherche",
            to_state="abandonne",
            at=START + timedelta(days=30),
        )
    )
    db.session.commit()
    assert run("data_retention", THREE_YEARS + timedelta(days=29))["needs_erased"] == 0
    assert run("data_retention", THREE_YEARS + timedelta(days=31))["needs_erased"] == 1


def test_the_words_typed_when_a_need_was_stopped_go_with_the_owner_s_details():
    # The owner stopping their need (owner_stop) or the animateur abandoning it types a
    # "précision" kept on the transition: the owner's own words, which may name people.
    company = _company()
    need = _need(company, NeedState.ABANDONNE)
    db.session.add(
        Transition(
            entity="need",
            entity_id=need.id,
            from_state="en_recherche",
            to_state="abandonne",
            reason_code="plus_besoin",
            reason_text="Mme Lopez, notre comptable, revient de congé maternité",
            at=START,
        )
    )
    db.session.commit()
    assert run("data_retention", THREE_YEARS + timedelta(seconds=1))["needs_erased"] == 1
    db.session.expire_all()
    steps = db.session.scalars(
        select(Transition).where(Transition.entity == "need", Transition.entity_id == need.id)
    ).all()
    assert [step.reason_text for step in steps] == [None] * len(steps)
    step = next(step for step in steps if step.to_state == "abandonne")
    # The reason's code stays for the observatory (abandonments by reason), not the words.
    assert (step.reason_code, step.reason_text, step.to_state) == (
        "plus_besoin",
        None,
        "abandonne",
    )
    assert run("data_retention", THREE_YEARS + timedelta(days=1))["needs_erased"] == 0


def test_visits_go_three_years_after_their_date_or_their_follow_up():
    company = _company()
    old = _visit(company, date(2024, 3, 14))
    on_the_day = _visit(company, date(2024, 3, 15))
    followed_later = _visit(company, date(2024, 1, 10), follow_up_on=date(2024, 6, 1))
    need = _need(company, NeedState.POURVU, at=datetime(2027, 1, 1, tzinfo=UTC))
    need.visit_id = old.id
    db.session.commit()
    old_id, day_id, later_id = old.id, on_the_day.id, followed_later.id
    counts = run("data_retention", ON_TERM - timedelta(seconds=1))
    assert counts["visits_deleted"] == 1
    remaining = set(db.session.scalars(select(Visit.id)).all())
    assert remaining == {day_id, later_id} and old_id not in remaining
    db.session.expire_all()
    assert need.visit_id is None and need.owner_email == "paul@ent.fr"
    # Visited on 15 March 2024: gone on 15 March 2027, its term day.
    assert run("data_retention", ON_TERM)["visits_deleted"] == 1
    assert run("data_retention", datetime(2027, 5, 31, 3, tzinfo=UTC))["visits_deleted"] == 0
    assert run("data_retention", datetime(2027, 6, 1, 3, tzinfo=UTC))["visits_deleted"] == 1


def test_a_company_contacts_go_three_years_after_the_last_contact_with_it():
    quiet = _company()
    visited = _company()
    written = _company()
    _visit(visited, date(2024, 9, 1))
    db.session.add(CompanyMailing(company_id=written.id, subject="Lettre", sent_at=START))
    db.session.add(
        CompanyMailing(
            company_id=written.id, subject="Lettre 2", sent_at=START + timedelta(days=200)
        )
    )
    db.session.commit()
    assert run("data_retention", ON_TERM - timedelta(seconds=1))["company_contacts_deleted"] == 0
    counts = run("data_retention", ON_TERM)
    assert counts["company_contacts_deleted"] == 1
    owners = set(db.session.scalars(select(CompanyContact.company_id)).all())
    assert owners == {visited.id, written.id}
    assert db.session.get(Company, quiet.id) is not None  # the company itself stays
    later = datetime(2027, 9, 2, tzinfo=UTC)
    assert run("data_retention", later)["company_contacts_deleted"] == 1  # visited on 2024-09-01
    assert set(db.session.scalars(select(CompanyContact.company_id)).all()) == {written.id}


def _mail(status: str, at: datetime) -> OutboxMessage:
    message = OutboxMessage(
        kind=MailKind.REMATCH,
        to="anim@pays.fr",
        subject="Nouveaux candidats",
        body_text="Camille Exemple, comptable",
        body_html="<p>Camille Exemple</p>",
        status=status,
        created_at=at,
        next_attempt_at=at,
        sent_at=at if status == "sent" else None,
        # A refusal names the recipient (sent before the sender cleared it on success).
        last_error="Destinataire refusé — anim@pays.fr: 550 5.1.1 No such user",
        # An attachment (an event's invitation names its registrant) goes with the body.
        headers=stored_extras(
            None, [Attachment("evenement-1.ics", "text/calendar", "ATTENDEE:mailto:a@b.fr")]
        ),
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_sent_bodies_are_blanked_after_a_year_and_failed_mails_deleted_after_three_months():
    now = datetime(2027, 6, 1, 3, tzinfo=UTC)
    sent = _mail("sent", now - timedelta(days=365, seconds=1))
    recent = _mail("sent", now - timedelta(days=365) + timedelta(seconds=1))
    failed = _mail("failed", now - timedelta(days=90, seconds=1))
    failed_recently = _mail("failed", now - timedelta(days=89))
    failed_recently_id = failed_recently.id
    # Blanked before last errors were: only its refusal is left to blank.
    blanked = _mail("sent", now - timedelta(days=400))
    blanked.body_text, blanked.body_html, blanked.headers = "", None, None
    db.session.commit()
    assert failed.id != failed_recently_id
    counts = run("data_retention", now)
    assert (counts["mail_bodies_blanked"], counts["mail_failed_deleted"]) == (2, 1)
    db.session.expire_all()
    assert (sent.body_text, sent.body_html, sent.subject) == ("", None, "Nouveaux candidats")
    assert (sent.last_error, blanked.last_error) == (None, None)
    assert extras_of(sent.headers) == ({}, [])
    assert recent.body_text == "Camille Exemple, comptable"
    assert extras_of(recent.headers)[1][0].content == "ATTENDEE:mailto:a@b.fr"
    assert set(db.session.scalars(select(OutboxMessage.id)).all()) == {
        sent.id,
        blanked.id,
        recent.id,
        failed_recently_id,
    }
    assert run("data_retention", now)["mail_bodies_blanked"] == 0


def test_periods_are_settings(app, monkeypatch):
    company = _company()
    _need(company, NeedState.REORIENTE)
    _visit(company, date(2024, 3, 15))
    monkeypatch.setitem(app.config, "NEEDS_RETENTION_MONTHS", 12)
    monkeypatch.setitem(app.config, "VISIT_RETENTION_MONTHS", 12)
    monkeypatch.setitem(app.config, "COMPANY_CONTACT_RETENTION_MONTHS", 12)
    counts = run("data_retention", datetime(2025, 3, 16, tzinfo=UTC))
    assert counts["needs_erased"] == counts["visits_deleted"] == 1
    assert counts["company_contacts_deleted"] == 1


def test_a_dry_run_counts_without_erasing_and_a_real_run_is_audited():
    company = _company()
    _need(company, NeedState.POURVU)
    _visit(company, date(2024, 3, 1))
    later = THREE_YEARS + timedelta(days=1)
    counts = run("data_retention", later, dry_run=True)
    assert (counts["needs_erased"], counts["visits_deleted"]) == (1, 1)
    assert counts["company_contacts_deleted"] == 1
    assert db.session.scalar(select(func.count(Visit.id))) == 1
    assert db.session.scalar(select(func.count(CompanyContact.id))) == 1
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0
    run("data_retention", later)
    (entry,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "data_retention"))
    assert entry.details["needs_erased"] == entry.details["visits_deleted"] == 1
    assert entry.details["company_contacts_deleted"] == 1
    assert db.session.scalar(select(func.count(CompanyContact.id))) == 0


def test_the_last_visit_is_compared_with_the_day_of_arcachon_not_of_utc():
    # Run at 00:30 in Arcachon on 1 September 2027 (22:30 UTC on 31 August), as
    # ``jobs run data_retention`` may be: the cutoff is 1 September 2024 00:30 there. A
    # visit on 31 August 2024 is older; compared with the UTC day of the cutoff (31
    # August) it counted as a contact since, and kept the contacts the visits' own rule
    # (a local day) treats as three years old.
    company = _company()
    _visit(company, date(2024, 8, 31))
    run_at = datetime(2027, 8, 31, 22, 30, tzinfo=UTC)
    assert run("data_retention", run_at)["company_contacts_deleted"] == 1
    assert db.session.scalars(select(CompanyContact.company_id)).all() == []
