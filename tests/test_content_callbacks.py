""" "Être rappelé": the request goes to the animateur of the company's intercommunality,
is a contact the company asked for (shown, not counted by the guard), and the form is
throttled per address."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from connectences import territory
from connectences.content import callbacks
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.mail import MailKind
from connectences.models import CallbackRequest
from connectences.prospection.pressure import company_timeline, contact_pressure
from tests import factories
from tests.helpers import add_visit, count, mails_to, main_of, make_company, page_text

LEGE = "33236"  # Lège-Cap-Ferret, in the COBAN
FORM = {
    "name": "Marie Durand",
    "phone": "06 12 34 56 78",
    "best_time": "matin",
    "topic": "recrutement",
    "company_name": "",
    "commune": "",
}


@pytest.fixture
def team(auth):
    """An animateur for the COBAS, one for the COBAN, one for the whole Pays."""
    return {
        "cobas": auth.create("animateur", org_ref=factories.COBAS),
        "coban": auth.create("animateur", org_ref=factories.COBAN),
        "pays": auth.create("animateur"),
    }


def test_request_goes_to_the_animateur_of_the_communes_intercommunality(team):
    sent = callbacks.submit(db.session, {**FORM, "commune": "Lège-Cap-Ferret"}, ip="10.0.0.1")
    db.session.commit()
    assert sent.commune == LEGE and sent.animateur_id == team["coban"].id
    mails = mails_to(team["coban"].email)
    assert len(mails) == 1 and mails[0].kind == MailKind.CALLBACK_REQUEST
    # The number as French writes it, as the page shows it (not "0612345678").
    assert "rappelé(e) au 06 12 34 56 78, " in mails[0].body_text
    assert "/animateur/relances" in mails[0].body_text
    assert mails_to(team["cobas"].email) == [] and mails_to(team["pays"].email) == []


def test_a_known_company_is_linked_and_routed_by_its_own_commune(team):
    company = make_company(name="Boulangerie Durand", commune=factories.ARCACHON)
    sent = callbacks.submit(
        db.session,
        {**FORM, "company_name": "boulangerie  DURAND", "commune": "Arcachon (33120)"},
        ip="10.0.0.1",
    )
    assert sent.company_id == company.id and sent.animateur_id == team["cobas"].id


def test_without_commune_it_goes_to_the_animateur_of_the_whole_pays(team):
    sent = callbacks.submit(db.session, FORM, ip="10.0.0.1")
    assert sent.animateur_id == team["pays"].id


def test_an_intercommunality_without_animateur_falls_back(auth):
    whole_pays = auth.create("animateur")
    cobas = auth.create("animateur", org_ref=factories.COBAS)
    sent = callbacks.submit(db.session, {**FORM, "commune": "Lège-Cap-Ferret"}, ip="10.0.0.1")
    assert sent.animateur_id == whole_pays.id
    cobas.active = False
    db.session.commit()
    again = callbacks.submit(db.session, {**FORM, "commune": "Arcachon"}, ip="10.0.0.2")
    assert again.animateur_id == whole_pays.id


def test_a_known_company_without_local_animateur_goes_to_its_last_visitor(auth):
    visitor = auth.create("animateur", org_ref=factories.COBAS)
    company = make_company(name="Scierie", commune=LEGE)
    add_visit(company, visitor, date(2026, 10, 1))
    sent = callbacks.submit(
        db.session, {**FORM, "company_name": "Scierie", "commune": "Lège-Cap-Ferret"}, ip="1.2.3.4"
    )
    assert sent.animateur_id == visitor.id


def test_nobody_to_route_to_mails_every_animateur(auth):
    first = auth.create("animateur", org_ref=factories.COBAS)
    second = auth.create("animateur", org_ref=factories.COBAS)
    sent = callbacks.submit(db.session, {**FORM, "commune": "Lège-Cap-Ferret"}, ip="1.2.3.4")
    assert sent.animateur_id is None
    assert len(mails_to(first.email)) == 1 and len(mails_to(second.email)) == 1
    # Unassigned: every animateur sees it on their follow-ups.
    assert db.session.scalars(callbacks.open_for(second)).all() == [sent]


def test_a_request_is_on_the_timeline_and_not_counted_by_the_guard(auth):
    animateur = auth.create("animateur", org_ref=factories.COBAS)
    company = make_company(name="Boulangerie Durand")
    company.max_contacts_per_month = 1
    db.session.commit()
    callbacks.submit(
        db.session, {**FORM, "company_name": "Boulangerie Durand", "commune": "Arcachon"}, ip="x"
    )
    db.session.commit()
    events = company_timeline(db.session, company)
    assert [(e.kind, e.counted) for e in events] == [("rappel", False)]
    pressure = contact_pressure(db.session, company, on=datetime.now(UTC).date())
    assert pressure.decision == "ok" and pressure.contacts_this_month == 0
    assert callbacks.for_company(db.session, company.id)[0].animateur_id == animateur.id


def test_the_form_is_throttled_per_address(client, app, team):
    app.config["CALLBACK_MAX_REQUESTS"] = 3
    try:
        for n in range(3):
            response = client.post(
                "/etre-rappele",
                data={**FORM, "name": f"Personne {'ABC'[n]}"},
                environ_base={"REMOTE_ADDR": "203.0.113.7"},
            )
            assert response.status_code == 302
        refused = client.post(
            "/etre-rappele", data=FORM, environ_base={"REMOTE_ADDR": "203.0.113.7"}
        )
        assert refused.status_code == 429
        assert "Plusieurs demandes de rappel ont déjà été envoyées" in page_text(refused)
        assert count(CallbackRequest) == 3
        # Another address is not affected.
        other = client.post("/etre-rappele", data=FORM, environ_base={"REMOTE_ADDR": "203.0.113.8"})
        assert other.status_code == 302
        assert count(CallbackRequest) == 4
    finally:
        app.config["CALLBACK_MAX_REQUESTS"] = 5


def test_the_lock_ends_after_an_hour(team):
    start = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    for n in range(5):
        callbacks.submit(db.session, FORM, ip="198.51.100.1", now=start + timedelta(minutes=n))
    with pytest.raises(callbacks.TooManyRequests):
        callbacks.submit(db.session, FORM, ip="198.51.100.1", now=start + timedelta(minutes=10))
    later = callbacks.submit(db.session, FORM, ip="198.51.100.1", now=start + timedelta(hours=2))
    assert later.id is not None


def test_bad_input_gets_french_errors_by_field_and_nothing_is_written(client, team):
    response = client.post(
        "/etre-rappele",
        data={"name": "", "phone": "12", "best_time": "nuit", "topic": "<script>",
              "commune": "Atlantide"},
    )  # fmt: skip
    assert response.status_code == 422
    page = page_text(response)
    assert "Indiquez votre nom." in page
    assert "n'est pas un numéro de téléphone valide" in page
    assert "Choisissez le moment où vous rappeler." in page
    assert "Choisissez le sujet dont vous voulez parler." in page
    assert "Commune inconnue" in page
    assert count(CallbackRequest) == 0
    assert mails_to(team["pays"].email) == []


def test_confirmation_page_names_the_animateur_and_the_request_is_on_their_follow_ups(
    client, app, auth
):
    animateur = auth.create("animateur", org_ref=factories.COBAS, full_name="Léa Martin")
    response = client.post("/etre-rappele", data={**FORM, "commune": "Arcachon"})
    assert response.headers["Location"].endswith("/etre-rappele/merci")
    thanks = page_text(client.get("/etre-rappele/merci"))
    assert "Merci, Marie Durand" in thanks and "Léa Martin" in thanks
    assert "06 12 34 56 78" in thanks

    staff = app.test_client()
    auth.post_login(animateur.email, client=staff)
    page = main_of(staff.get("/animateur/relances"))
    assert "Demandes de rappel (1)" in page and "Marie Durand" in page
    request_id = db.session.query(CallbackRequest.id).scalar()
    # Another animateur cannot close someone else's request.
    other = app.test_client()
    auth.login("animateur", client=other, org_ref=factories.COBAN)
    assert other.post(f"/animateur/contenus/rappels/{request_id}").status_code == 404
    assert staff.post(f"/animateur/contenus/rappels/{request_id}").status_code == 302
    assert "Demandes de rappel (0)" in main_of(staff.get("/animateur/relances"))


def test_retention_deletes_requests_a_year_old(team):
    old = callbacks.submit(db.session, FORM, ip="a", now=datetime(2025, 11, 30, 9, 0, tzinfo=UTC))
    recent = callbacks.submit(db.session, FORM, ip="b", now=datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    db.session.commit()
    old_id, recent_id = old.id, recent.id
    now = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=now, dry_run=False)
    assert counts["callback_requests_deleted"] == 1
    db.session.expire_all()
    assert db.session.get(CallbackRequest, old_id) is None
    assert db.session.get(CallbackRequest, recent_id) is not None


def test_only_animateurs_close_a_request(client, auth, team):
    sent = callbacks.submit(db.session, FORM, ip="192.0.2.1")
    db.session.commit()
    for role in ("admin", "operator", "partner", "company", "candidate", "territoire"):
        auth.login(role)
        assert client.post(f"/animateur/contenus/rappels/{sent.id}").status_code == 403, role
        auth.logout()
    db.session.refresh(sent)
    assert sent.done_at is None


def test_the_callback_form_s_error_summary_names_each_field_by_its_label(client):
    """« Le sujet » in the summary, « De quoi voulez-vous parler ? » above the list: an
    owner listening to the summary could not find the field it named."""
    import re

    from tests.helpers import html_of

    refused = html_of(client.post("/etre-rappele", data={}))
    summary = re.search(r'<div[^>]*id="erreurs".*?</div>', refused, re.S).group(0)
    for label in ("Quand vous rappeler ?", "De quoi voulez-vous parler ?"):
        assert label in summary.replace("&#39;", "'"), label


def test_a_name_too_long_is_refused_with_the_length_typed_and_given_back_whole(client):
    """The view cut each field at 300 characters before the check: 6 599 typed were told
    « 300 saisis », and the text came back cut."""
    import re

    from tests.helpers import error_of, html_of

    name = "Léa Martin " * 599 + "Léa Martin"
    refused = client.post(
        "/etre-rappele",
        data={"name": name, "phone": "06 12 34 56 78", "best_time": "matin", "topic": "formation"},
    )
    assert refused.status_code == 422
    assert re.search(r"\(6\s599 saisis\)", error_of(refused, "name"))
    assert name.strip() in html_of(refused)
    assert count(CallbackRequest) == 0


def test_a_logged_in_owner_finds_their_name_and_company_already_there(app, client, auth):
    # Like the need form: the account's name, company and its commune are filled in.
    owner = auth.login("company", full_name="Sylvie Lafitte")
    company = db.session.get(type(owner), owner.id).companies[0]
    markup = client.get("/etre-rappele?sujet=recrutement").get_data(as_text=True)
    assert 'name="name" value="Sylvie Lafitte"' in markup
    assert f'value="{html.escape(company.name)}"' in markup
    assert f'value="{territory.get_commune(company.commune).label}"' in markup
    # What they typed, sent back with an error, is kept, not replaced by the account's.
    typed = {**FORM, "name": "Paul Autre", "phone": "pas un numéro", "company_name": ""}
    again = client.post("/etre-rappele", data=typed)
    markup = again.get_data(as_text=True)
    assert again.status_code == 422 and 'value="Paul Autre"' in markup
    assert 'value="Sylvie Lafitte"' not in markup
    assert f'value="{html.escape(company.name)}"' not in markup
    # Another role, or nobody, gets an empty form.
    auth.logout()
    auth.login("animateur", full_name="Anne Animatrice")
    assert 'value="Anne Animatrice"' not in client.get("/etre-rappele").get_data(as_text=True)
    anonymous = app.test_client().get("/etre-rappele").get_data(as_text=True)
    assert html.escape(company.name) not in anonymous and "Sylvie Lafitte" not in anonymous
