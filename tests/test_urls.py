"""Links in mails: one builder on the app's routes and BASE_URL, and every link in the
mails the platform writes opens a real page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BuildError

from connectences.accounts import invite, queue_invitation_mail
from connectences.cvtheque import consent
from connectences.extensions import db
from connectences.models import Candidate, OutboxMessage, Partner, User
from connectences.urls import external_url
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_referral
from tests import factories
from tests.helpers import resolve_link_requests
from tests.test_jobs import MONDAY, make_world, run
from tests.test_web_need_public import _form

LINK = re.compile(r"https?://[^\s<>\"']+")


def test_external_url_follows_base_url_outside_any_request(app, monkeypatch):
    assert external_url("needs.show", ref="b-12") == "http://localhost/animateur/besoins/b-12"
    monkeypatch.setitem(app.config, "BASE_URL", "https://emploi.pays-bassin.fr/plateforme/")
    assert (
        external_url("leads.show", lead_id=7)
        == "https://emploi.pays-bassin.fr/plateforme/operateur/propositions/7"
    )


def test_external_url_ignores_the_host_of_the_current_request(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://emploi.pays-bassin.fr")
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert external_url("observatory.index") == "https://emploi.pays-bassin.fr/territoire"


def test_external_url_reads_url_for_s_underscored_arguments(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://emploi.pays-bassin.fr/plateforme")
    assert (
        external_url("content.testimonials", _anchor="temoignage-2")
        == "https://emploi.pays-bassin.fr/plateforme/temoignages#temoignage-2"
    )
    assert external_url("content.testimonials", _anchor="a b") == (
        "https://emploi.pays-bassin.fr/plateforme/temoignages#a%20b"
    )
    assert external_url("content.testimonials", _scheme="http", _external=True) == (
        "http://emploi.pays-bassin.fr/plateforme/temoignages"
    )
    # Always absolute: asking for a path is a mistake, not silently ignored.
    with pytest.raises(ValueError):
        external_url("content.testimonials", _external=False)


def test_a_link_to_a_page_that_does_not_exist_fails_when_written(app):
    with pytest.raises(BuildError):
        external_url("needs.nowhere")
    with pytest.raises(BuildError):
        external_url("needs.show")  # a value the route needs is missing


def _opens_a_page(app, url: str) -> bool:
    parts = urlsplit(url)
    adapter = app.url_map.bind(parts.netloc, url_scheme=parts.scheme)
    try:
        adapter.match(parts.path, method="GET")
    except (NotFound, MethodNotAllowed):
        return False
    return True


def test_every_link_in_the_mails_opens_a_page(app, client):
    # The scheduler's mails: a lead reminder; then the lead accepted (the operator gets
    # the companies' contacts) and handed back (its sender told).
    world = make_world(MONDAY)
    assert run("lead_escalation", MONDAY + timedelta(days=3))["reminded"] == 1
    flow.accept(db.session, world["lead"])
    flow.hand_back(db.session, world["lead"], "Pas de candidat ce trimestre")
    # A referral, its reminder, and the mails of the CV library and of the accounts.
    partner = Partner(ref="ml", name="Mission Locale", kind="mission_locale", email="ml@ml.fr")
    db.session.add(partner)
    db.session.flush()
    # The company has an address: its owner is told whom to expect a call from.
    world["company"].contact_email = "boulangerie@exemple.fr"
    referral = send_referral(db.session, need=world["need"], partner=partner)
    referral.created_at = MONDAY
    db.session.commit()
    assert run("referral_reminders", MONDAY + timedelta(days=3))["reminded"] == 1
    factories.load(
        factories.document(candidates=[factories.candidate(ref="p1", email="lea@exemple.fr")])
    )
    person = db.session.scalars(select(Candidate).where(Candidate.ref == "p1")).one()
    person.email_confirmed_at = None
    consent.send_confirmation(db.session, person)
    person.email_confirmed_at = MONDAY
    consent.send_space_link(db.session, person.email, force=True)
    admin = db.session.scalars(select(User).where(User.role == "admin")).one()
    token = invite(db.session, "nouvelle@exemple.fr", "animateur", None, admin)
    queue_invitation_mail(db.session, "nouvelle@exemple.fr", token)
    db.session.commit()
    # A need posted on the public form, confirmed, and its owner's space link.
    owner = "claire@huitres-dupont.fr"
    assert client.post("/exprimer-un-besoin", data=_form()).status_code == 302
    confirm = LINK.search(
        db.session.scalars(select(OutboxMessage.body_text).order_by(OutboxMessage.id)).all()[-1]
    )
    assert client.post(urlsplit(confirm.group(0)).path).status_code == 302
    assert client.post("/entreprise/lien", data={"email": owner}).status_code == 302
    resolve_link_requests()

    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    kinds = {m.kind for m in messages}
    assert {
        "lead_reminder",
        "lead_accepted",
        "workflow_update",
        "referral_sent",
        "referral_reminder",
        "cv_confirm",
        "cv_space_link",
        "account_invitation",
        "need_confirm",
        "company_space_link",
        "need_news",
    } <= kinds
    checked = 0
    for message in messages:
        # Each of these mails sends its reader somewhere: a link lost on the way (a path
        # without its host) would leave none.
        assert LINK.search(message.body_text), message.kind
        for url in LINK.findall(message.body_text) + LINK.findall(message.body_html or ""):
            url = url.replace("&amp;", "&").rstrip(".,;)")
            assert url.startswith("http://localhost/"), (message.kind, url)
            assert _opens_a_page(app, url), (message.kind, url)
            checked += 1
    assert checked >= 2 * len(kinds)
