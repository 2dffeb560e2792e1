"""An intercommunality officer chooses whether the observatory's monthly report is mailed
to them: the choice on their observatory page (their own account only), the scheduler's
job honouring it, and the way out named in every report mailed."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import User
from tests import factories
from tests.helpers import audit_entries, element_by_id, flashes_in, mails_to, page_text_of

CHOICE = "/territoire/rapport-mensuel"


def _choose(client, answer: str | None):
    data = {} if answer is None else {"rapport_mensuel": answer}
    return client.post(CHOICE, data=data, follow_redirects=True)


def test_an_officer_stops_and_restarts_the_monthly_report_on_their_page(client, auth):
    officer = auth.login("territoire")
    page = client.get("/territoire")
    section = page_text_of(element_by_id(page.get_data(as_text=True), "rapport-mensuel"))
    assert "Recevoir le rapport de chaque mois par e-mail" in section
    assert 'id="rapport-mensuel-oui" name="rapport_mensuel" value="oui" checked' in (
        element_by_id(page.get_data(as_text=True), "rapport-mensuel")
    )

    stopped = _choose(client, "non")
    assert stopped.status_code == 200
    assert "Vous ne recevrez plus le rapport mensuel par e-mail" in flashes_in(
        stopped, "rapport-mensuel"
    )
    assert db.session.get(User, officer.id).monthly_report is False
    (entry,) = audit_entries("user_monthly_report")
    assert (entry.actor_id, entry.entity_id, entry.details) == (
        officer.id,
        officer.id,
        {"monthly_report": False},
    )
    assert 'value="non" checked' in element_by_id(stopped.get_data(as_text=True), "rapport-mensuel")

    # Said again: nothing new to record.
    _choose(client, "non")
    assert len(audit_entries("user_monthly_report")) == 1

    restarted = _choose(client, "oui")
    assert "Vous recevrez le rapport de chaque mois par e-mail" in flashes_in(
        restarted, "rapport-mensuel"
    )
    assert db.session.get(User, officer.id).monthly_report is True


def test_a_choice_that_is_neither_yes_nor_no_changes_nothing(client, auth):
    officer = auth.login("territoire")
    for answer in (None, "", "peut-être", "NON", "non " * 200):
        refused = _choose(client, answer)
        assert refused.status_code == 200
        assert "Choisissez « Oui » ou « Non »." in flashes_in(refused, "rapport-mensuel")
        assert db.session.get(User, officer.id).monthly_report is True
    assert audit_entries("user_monthly_report") == []


def test_only_an_officer_chooses_and_only_for_themselves(app, client, auth):
    officer = auth.create("territoire", email="officier@cobas.example")
    for role in ("animateur", "admin", "operator", "partner", "company", "candidate"):
        other = app.test_client()
        auth.login(role, client=other, email=f"{role}@autre.example")
        refused = other.post(CHOICE, data={"rapport_mensuel": "non"})
        assert refused.status_code == 403, role
    # The staff read the observatory without the officer's choice on it.
    staff = app.test_client()
    auth.login("animateur", client=staff, email="anim2@autre.example")
    page = staff.get(f"/territoire/intercommunalites/{factories.COBAS}")
    assert page.status_code == 200
    assert 'id="rapport-mensuel"' not in page.get_data(as_text=True)
    # Not logged in: to the login page, nothing changed.
    anonymous = app.test_client().post(CHOICE, data={"rapport_mensuel": "non"})
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    # The form names no one: an officer's answer is about their own account only.
    second = app.test_client()
    auth.login("territoire", client=second, email="autre.officier@cobas.example")
    second.post(CHOICE, data={"rapport_mensuel": "non", "user_id": str(officer.id)})
    assert db.session.get(User, officer.id).monthly_report is True
    assert (
        db.session.scalars(
            db.select(User.monthly_report).where(User.email == "autre.officier@cobas.example")
        ).one()
        is False
    )


def test_the_monthly_job_skips_an_officer_who_said_no_and_names_the_way_out(auth):
    auth.create("territoire", email="oui@cobas.example")
    no = auth.create("territoire", email="non@cobas.example")
    no.monthly_report = False
    db.session.commit()
    first_of_march = datetime(2026, 3, 1, 5, tzinfo=UTC)
    with time_machine.travel(first_of_march, tick=False):
        counts = execute(JOBS_BY_ID["monthly_digest"], now=first_of_march)
    assert counts == {"officers": 1, "mails": 1, "reports": 1}
    assert mails_to("non@cobas.example") == []
    (mail,) = mails_to("oui@cobas.example")
    way_out = "/territoire#rapport-mensuel"
    assert "Pour ne plus recevoir ce rapport par e-mail : " in mail.body_text
    assert way_out in mail.body_text
    assert way_out in mail.body_html
