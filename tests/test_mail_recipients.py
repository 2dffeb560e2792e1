"""Mails whose recipients are chosen among accounts reach only the accounts someone logs
in with (``users.WORKING_ACCOUNT``, ``users.is_working``): never an address invited and
never opened (typed by the staff, never confirmed), nor a disabled account."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from connectences.accounts.passwords import hash_password
from connectences.accounts.users import is_working
from connectences.content import callbacks
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute, report_failure
from connectences.mail import MailKind
from connectences.models import OutboxMessage
from tests import factories
from tests.helpers import add_visit, mails_to, make_company

FIRST_OF_MARCH = datetime(2026, 3, 1, 5, tzinfo=UTC)
CALL_BACK = {
    "name": "Marie Durand",
    "phone": "06 12 34 56 78",
    "best_time": "matin",
    "topic": "recrutement",
    "company_name": "",
}


def _kinds_to(address: str) -> list[str]:
    return [mail.kind for mail in mails_to(address)]


def test_the_one_owner_of_a_working_account(auth):
    opened = auth.create("animateur")
    invited = auth.create("animateur", password=None)
    disabled = auth.create("animateur")
    disabled.active = False
    assert [is_working(u) for u in (opened, invited, disabled, None)] == [
        True,
        False,
        False,
        False,
    ]


def test_the_monthly_report_reaches_only_the_officers_who_opened_their_account(auth):
    opened = auth.create("territoire", email="ouvert@cobas.example")
    auth.create("territoire", email="invite@cobas.example", password=None)
    disabled = auth.create("territoire", email="desactive@cobas.example")
    disabled.active = False
    db.session.commit()
    with time_machine.travel(FIRST_OF_MARCH, tick=False):
        counts = execute(JOBS_BY_ID["monthly_digest"], now=FIRST_OF_MARCH)
    assert counts == {"officers": 1, "mails": 1, "reports": 1}
    assert _kinds_to(opened.email) == [MailKind.OBSERVATORY_REPORT]
    assert mails_to("invite@cobas.example") == []
    assert mails_to("desactive@cobas.example") == []


def test_an_invitation_never_opened_gets_no_report_even_once_invited_again(auth):
    """Nobody has an account yet: no report is written nor recorded as sent, so that the
    officer who opens their account later gets the month's report."""
    invited = auth.create("territoire", email="invite@cobas.example", password=None)
    with time_machine.travel(FIRST_OF_MARCH, tick=False):
        counts = execute(JOBS_BY_ID["monthly_digest"], now=FIRST_OF_MARCH)
    assert counts == {"officers": 0, "mails": 0, "reports": 0}
    invited.password_hash = hash_password("un-mot-de-passe-choisi-2026")
    db.session.commit()
    with time_machine.travel(FIRST_OF_MARCH, tick=False):
        counts = execute(JOBS_BY_ID["monthly_digest"], now=FIRST_OF_MARCH)
    assert counts["mails"] == 1
    assert _kinds_to(invited.email) == [MailKind.OBSERVATORY_REPORT]


def test_a_failed_job_is_told_to_the_working_admins_only(auth):
    working = auth.create("admin", email="admin@connectences.example")
    auth.create("admin", email="nouvel.admin@connectences.example", password=None)
    disabled = auth.create("admin", email="ancien.admin@connectences.example")
    disabled.active = False
    db.session.commit()
    assert report_failure("backup", "2026-03-01", "disque plein", "Relancée.") == 1
    db.session.expire_all()
    assert _kinds_to(working.email) == [MailKind.JOB_FAILURE]
    assert mails_to("nouvel.admin@connectences.example") == []
    assert mails_to("ancien.admin@connectences.example") == []


def test_a_call_back_request_is_never_routed_to_an_animateur_invited_and_never_opened(auth):
    whole_pays = auth.create("animateur")
    invited = auth.create("animateur", org_ref=factories.COBAS, password=None)
    sent = callbacks.submit(
        db.session,
        {**CALL_BACK, "commune": "Arcachon"},
        ip="10.0.0.1",
    )
    db.session.commit()
    # Routed to an address nobody confirmed, the request was hidden from every other
    # animateur's follow-ups (theirs and the unassigned ones only).
    assert sent.animateur_id == whole_pays.id
    assert mails_to(invited.email) == []
    assert _kinds_to(whole_pays.email) == [MailKind.CALLBACK_REQUEST]


def test_a_call_back_request_is_not_routed_to_the_last_visitor_never_opened(auth):
    visitor = auth.create("animateur", org_ref=factories.COBAS)
    company = make_company(name="Scierie", commune="33236")
    add_visit(company, visitor, date(2026, 10, 1))
    # The visitor's account disabled: a new one invited (never opened) in the area.
    visitor.active = False
    invited = auth.create("animateur", org_ref=factories.COBAN, password=None)
    db.session.commit()
    sent = callbacks.submit(
        db.session,
        {**CALL_BACK, "company_name": "Scierie", "commune": "Lège-Cap-Ferret"},
        ip="10.0.0.2",
    )
    db.session.commit()
    assert sent.animateur_id is None
    assert mails_to(invited.email) == [] and mails_to(visitor.email) == []


def test_nobody_to_route_to_mails_every_working_animateur_only(auth):
    working = auth.create("animateur", org_ref=factories.COBAS)
    invited = auth.create("animateur", org_ref=factories.COBAS, password=None)
    callbacks.submit(
        db.session,
        {**CALL_BACK, "commune": "Lège-Cap-Ferret"},
        ip="10.0.0.3",
    )
    db.session.commit()
    assert _kinds_to(working.email) == [MailKind.CALLBACK_REQUEST]
    assert mails_to(invited.email) == []


def test_a_follow_up_reminder_reaches_no_account_nobody_opened(auth):
    """``jobs.tasks._user_email``, the recipient of every reminder to an account
    (alerts, follow-ups, expired resources, new matches), reads ``users.is_working``."""
    invited = auth.create("animateur", password=None)
    company = make_company(name="Scierie", commune="33236")
    visit = add_visit(company, invited, date(2026, 10, 1))
    visit.follow_up_on = date(2026, 10, 15)
    db.session.commit()
    moment = datetime(2026, 10, 16, 7, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        execute(JOBS_BY_ID["follow_ups"], now=moment)
    assert mails_to(invited.email) == []
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 0
