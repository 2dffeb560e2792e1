"""The anonymous forms that send a mail are limited per sender's address and hour, each
by its setting, so that nobody relays mail through the platform; the refusal is in
French, keeps what was typed and sends nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connectences.accounts import link_requests
from connectences.extensions import db
from connectences.models import OutboxMessage
from tests.cv_helpers import form_data as cv_form
from tests.cv_helpers import post_multipart, private_cv_folder
from tests.helpers import resolve_link_requests
from tests.test_web_need_public import _form as need_form

REFUSED = "Trop d&#39;envois depuis votre connexion"
HERE = {"REMOTE_ADDR": "198.51.100.23"}
ELSEWHERE = {"REMOTE_ADDR": "198.51.100.24"}


def _mails() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_the_need_form_is_limited_per_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "NEED_FORM_MAX_REQUESTS", 2)
    for number in range(2):
        form = need_form(title=f"Besoin {number}", owner_email=f"victime{number}@exemple.org")
        assert client.post("/exprimer-un-besoin", data=form, environ_base=HERE).status_code == 302
    before = _mails()
    typed = need_form(title="Cliquez ici http://phishing.example", owner_email="v3@exemple.org")
    refused = client.post("/exprimer-un-besoin", data=typed, environ_base=HERE)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert REFUSED in page and "appelez-nous au" in page
    assert 'value="v3@exemple.org"' in page  # what was typed is kept
    assert _mails() == before
    # Someone else, from another address, is not held back.
    other = need_form(title="Besoin voisin", owner_email="voisin@exemple.org")
    assert client.post("/exprimer-un-besoin", data=other, environ_base=ELSEWHERE).status_code == 302


def test_correcting_the_address_counts_against_the_same_limit(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "NEED_FORM_MAX_REQUESTS", 3)
    assert (
        client.post("/exprimer-un-besoin", data=need_form(), environ_base=HERE).status_code == 302
    )
    for number in range(2):
        corrected = client.post(
            "/exprimer-un-besoin/envoye",
            data={"owner_email": f"victim{number}@exemple.org"},
            environ_base=HERE,
        )
        assert corrected.status_code == 302
    before = _mails()
    refused = client.post(
        "/exprimer-un-besoin/envoye", data={"owner_email": "victim9@exemple.org"}, environ_base=HERE
    )
    assert refused.status_code == 429
    assert REFUSED in refused.get_data(as_text=True)
    assert 'value="victim9@exemple.org"' in refused.get_data(as_text=True)
    assert _mails() == before


@pytest.fixture
def cv_dir(app, tmp_path, monkeypatch):
    yield from private_cv_folder(app, tmp_path, monkeypatch)


def test_the_cv_form_is_limited_per_address(app, client, monkeypatch, cv_dir):
    monkeypatch.setitem(app.config, "CV_FORM_MAX_REQUESTS", 2)
    for number in range(2):
        sent = post_multipart(client, "/deposer-mon-cv", cv_form(email=f"p{number}@exemple.org"))
        assert sent.status_code == 302
    before = _mails()
    refused = post_multipart(
        client, "/deposer-mon-cv", cv_form(email="p9@exemple.org", first_name="Dominique")
    )
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert REFUSED in page and 'value="Dominique"' in page
    assert "<title>Erreur — Déposer mon CV" in page  # heard first by a screen reader
    assert _mails() == before


def test_link_requests_share_one_limit_per_address(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_MAX_REQUESTS", 3)
    auth.create("animateur", email="anim@exemple.fr")
    for path, field in (
        ("/mot-de-passe-oublie", "email"),
        ("/mon-cv/lien", "email"),
        ("/entreprise/lien", "email"),
    ):
        response = client.post(path, data={field: "anim@exemple.fr"}, environ_base=HERE)
        assert response.status_code in (200, 302), path
    resolve_link_requests()
    before = _mails()
    for path in ("/mot-de-passe-oublie", "/mon-cv/lien", "/entreprise/lien"):
        refused = client.post(path, data={"email": "anim@exemple.fr"}, environ_base=HERE)
        assert refused.status_code == 429, path
        page = refused.get_data(as_text=True)
        assert REFUSED in page and 'value="anim@exemple.fr"' in page, path
    assert link_requests.pending(db.session) == 0  # a refusal records nothing
    assert resolve_link_requests() == 0 and _mails() == before
    fine = client.post(
        "/mot-de-passe-oublie", data={"email": "anim@exemple.fr"}, environ_base=ELSEWHERE
    )
    assert fine.status_code == 200 and resolve_link_requests() == 1
    assert _mails() == before + 1


def test_the_limits_are_settings(app):
    for name in ("NEED_FORM_MAX_REQUESTS", "CV_FORM_MAX_REQUESTS", "LINK_MAX_REQUESTS"):
        assert int(app.config[name]) > 0


def test_a_logged_in_company_counts_by_its_account_not_its_address(app, client, auth, monkeypatch):
    # Behind a mobile carrier's address shared with strangers, a logged-in owner was held
    # back by their sendings; their need mails nobody: the account is counted instead.
    monkeypatch.setitem(app.config, "NEED_FORM_MAX_REQUESTS", 2)
    stranger = app.test_client()
    for number in range(2):
        form = need_form(title=f"Voisin {number}", owner_email=f"voisin{number}@exemple.org")
        sent = stranger.post("/exprimer-un-besoin", data=form, environ_base=HERE)
        assert sent.status_code == 302
    assert (
        stranger.post("/exprimer-un-besoin", data=need_form(), environ_base=HERE).status_code == 429
    )
    owner = auth.login("company")
    siret = owner.companies[0].siret
    for number in range(2):
        mine = need_form(title=f"Mon besoin {number}", siret=siret, owner_email=owner.email)
        assert client.post("/exprimer-un-besoin", data=mine, environ_base=HERE).status_code == 302
    # Its own sendings are still bounded, by the same setting.
    third = need_form(title="Mon besoin 3", siret=siret, owner_email=owner.email)
    refused = client.post("/exprimer-un-besoin", data=third, environ_base=ELSEWHERE)
    assert refused.status_code == 429 and REFUSED in refused.get_data(as_text=True)
