"""What a logged-in person typed is not lost when their session ends or their form's
security token is refused (web/held.py, accounts/held_forms.py): held for the same
account, given back once on the form's page (after the login), nothing carried out."""

from __future__ import annotations

import html
import io
import json
import re
import sqlite3
import time
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import FileStorage

from connectences.accounts import held_forms
from connectences.clock import local_today
from connectences.cvtheque import consent
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import Candidate, Company, LinkRequest, Need, Visit, utcnow
from connectences.web.held import DATABASE_BUSY, FORM_EXPIRED, HELD_KEY, LOGIN_NOTICE, NOTICES
from tests import factories
from tests.cv_helpers import form_data, make_pdf, post_multipart
from tests.fixtures_auth import csrf_token_from
from tests.helpers import count, make_company, page_text, read_guard_at
from tests.known_secrets import PASSWORD
from tests.test_owner_edit import _filled
from tests.test_web_need_public import CONFIRM_LINK, _last_mail_to, _post_and_confirm
from tests.test_web_need_public import _form as _need_form

MINUTE = 60
EXPIRED_NOTICE = "Votre session avait expiré : vérifiez puis enregistrez de nouveau."
TOKEN_NOTICE = NOTICES[FORM_EXPIRED]
FUTURE = (local_today() + timedelta(days=30)).isoformat()
VISIT_NOTES = "Le gérant veut un comptable le mardi ; rappeler après la saison."


def _later(minutes: float):
    return time_machine.travel(time.time() + minutes * MINUTE, tick=False)


def _spaces(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _restored(response) -> dict | None:
    """What the page gives the script to fill in (None when it gives nothing)."""
    found = re.search(r"data-formulaire='([^']*)'", response.get_data(as_text=True))
    return json.loads(html.unescape(found.group(1))) if found else None


def _fields(restored: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in restored["fields"]:
        out.setdefault(name, []).append(value)
    return out


def _held_files() -> list:
    return sorted(held_forms.held_forms_folder().glob("*"))


def _next_of(response) -> str:
    location = response.headers["Location"]
    assert location.startswith("/connexion?next="), location
    return unquote(location.split("next=", 1)[1])


def _visit_fields(company) -> dict:
    return {
        "entreprise": company.ref,
        "channel": "porte_a_porte",
        "visited_on": local_today().isoformat(),
        "topics": ["competences_partagees", "aides_relance"],
        "outcome": "besoin_detecte",
        "notes": VISIT_NOTES,
    }


def _need_fields(company_ref: str) -> dict:
    return {
        "entreprise": company_ref,
        "title": "Secrétariat le jeudi",
        "skills": "accueil téléphonique\nfacturation",
        "level": "employe_qualifie",
        "hours_per_week": "7",
        "days": ["tue", "thu"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": FUTURE,
        "notes": "Vu au comptoir avec la gérante.",
    }


@pytest.fixture(autouse=True)
def _no_held_form_left(app):
    yield
    held_forms.purge(held_forms.held_forms_folder(), now=utcnow() + timedelta(days=1))


# --------------------------------------------------------------------------- the session ended


def test_a_visit_sent_after_the_session_ended_comes_back_after_the_login(app, client, auth):
    user = auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    assert client.get(page).status_code == 200
    with _later(31):  # a doorstep conversation: the session ended while typing
        sent = client.post(page, data=_visit_fields(company), headers={"Referer": page})
        assert _next_of(sent) == page
        login = client.get(sent.headers["Location"])
        assert LOGIN_NOTICE in _spaces(page_text(login))
        assert count(Visit) == 0
        back = auth.post_login(user.email, next_url=sent.headers["Location"].split("next=")[1])
        assert back.status_code == 302 and back.headers["Location"] == page
        form = client.get(page)
        assert EXPIRED_NOTICE in _spaces(page_text(form))
        restored = _restored(form)
        assert restored["action"] == page
        typed = _fields(restored)
        assert typed["notes"] == [VISIT_NOTES] and typed["channel"] == ["porte_a_porte"]
        assert typed["topics"] == ["competences_partagees", "aides_relance"]
        assert "csrf_token" not in typed
        # Nothing was saved: the person checks and presses the button again.
        assert count(Visit) == 0
        # Given back once: the next opening of the page is a plain form, nothing is kept.
        again = client.get(page)
        assert _restored(again) is None and EXPIRED_NOTICE not in _spaces(page_text(again))
        assert _held_files() == []
        saved = client.post(page, data=_visit_fields(company))
    assert saved.status_code == 302 and count(Visit) == 1


def test_a_need_sent_after_the_session_ended_comes_back_on_its_page(app, client, auth):
    """The need form is sent to /animateur/besoins/nouveau: the page it was on (its
    company in the address) is the one the browser names in its Referer."""
    user = auth.login("animateur")
    company = make_company(name="Garage des Pins")
    page = f"/animateur/besoins/nouveau?entreprise={company.ref}"
    assert client.get(page).status_code == 200
    with _later(45):
        sent = client.post(
            "/animateur/besoins/nouveau",
            data=_need_fields(company.ref),
            headers={"Referer": f"http://localhost{page}"},
        )
        assert _next_of(sent) == page
        auth.post_login(user.email)
        form = client.get(page)
    assert EXPIRED_NOTICE in _spaces(page_text(form))
    typed = _fields(_restored(form))
    assert typed["title"] == ["Secrétariat le jeudi"] and typed["days"] == ["tue", "thu"]
    assert typed["notes"] == ["Vu au comptoir avec la gérante."]
    assert _restored(form)["action"] == "/animateur/besoins/nouveau"
    assert count(Need) == 0


def test_the_candidate_profile_comes_back_without_its_file(app, client, auth):
    auth.login("candidate")
    candidate = db.session.scalars(db.select(Candidate)).one()
    name_before = candidate.last_name
    page = "/candidat/mon-espace/modifier"
    assert client.get(page).status_code == 200
    email = auth.user.email
    with _later(40):
        sent = post_multipart(
            client,
            page,
            {
                "first_name": "Inès",
                "last_name": "Marchal-Nouveau",
                "skills": "paie\nfacturation",
                "days": "mon",
                "cv": FileStorage(
                    io.BytesIO(make_pdf("CV secret de Inès")),
                    "mon-cv.pdf",
                    content_type="application/pdf",
                ),
            },
        )
        assert _next_of(sent) == page
        # The held file says nothing of the PDF chosen.
        (held_file,) = _held_files()
        stored = held_file.read_text(encoding="utf-8")
        assert "Marchal-Nouveau" in stored
        assert "mon-cv.pdf" not in stored and "CV secret" not in stored and "%PDF" not in stored
        auth.post_login(email)
        form = client.get(page)
    assert EXPIRED_NOTICE in _spaces(page_text(form))
    typed = _fields(_restored(form))
    assert typed["last_name"] == ["Marchal-Nouveau"] and "cv" not in typed
    assert db.session.get(Candidate, candidate.id).last_name == name_before


def test_another_account_logging_in_on_the_same_browser_gets_nothing(app, client, auth):
    first = auth.login("animateur")
    second = auth.create("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    with _later(31):
        sent = client.post(page, data=_visit_fields(company), headers={"Referer": page})
        assert _next_of(sent) == page
        assert len(_held_files()) == 1
        # A colleague takes the phone and logs in: the form is not theirs.
        auth.post_login(second.email, next_url=sent.headers["Location"].split("next=")[1])
        form = client.get(page)
        assert _restored(form) is None and VISIT_NOTES not in form.get_data(as_text=True)
        assert EXPIRED_NOTICE not in _spaces(page_text(form))
        assert _held_files() == []  # forgotten, not kept for later
        auth.logout()
        # The first animateur logging in again afterwards finds nothing either.
        auth.post_login(first.email)
        assert _restored(client.get(page)) is None


def test_a_held_form_ends_after_its_time(app, client, auth):
    assert app.config["HELD_FORM_MINUTES"] == 60
    user = auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    with _later(31):
        client.post(page, data=_visit_fields(company), headers={"Referer": page})
        assert len(_held_files()) == 1
    with _later(31 + 61):
        auth.post_login(user.email)
        form = client.get(page)
        assert _restored(form) is None and EXPIRED_NOTICE not in _spaces(page_text(form))
        assert _held_files() == []


def test_passwords_and_security_tokens_are_never_held(app, client, auth):
    auth.login("animateur")
    with _later(31):
        sent = client.post(
            "/mot-de-passe",
            data={
                "csrf_token": "jeton-du-formulaire",
                "current": "ancien mot de passe secret",
                "password": "nouveau mot de passe secret",
                "confirm": "nouveau mot de passe secret",
            },
            headers={"Referer": "/mot-de-passe"},
        )
        assert _next_of(sent) == "/mot-de-passe"
        (held_file,) = _held_files()
        stored = held_file.read_text(encoding="utf-8")
    assert "secret" not in stored and "jeton-du-formulaire" not in stored
    assert json.loads(stored)["fields"] == []


def test_a_form_another_site_makes_the_browser_send_is_not_held(app, client, auth):
    auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    with _later(31):
        sent = client.post(
            page, data=_visit_fields(company), headers={"Origin": "https://ailleurs.example"}
        )
        assert sent.status_code == 302 and _held_files() == []
        sent = client.post(
            page, data=_visit_fields(company), headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert _held_files() == []
        # A Referer of another site names no page of this one: the form's own address does.
        sent = client.post(
            page, data=_visit_fields(company), headers={"Referer": "https://ailleurs.example/x"}
        )
        assert _next_of(sent) == page


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://[abc"}, {"Referer": "http://[abc/x"}, {"Referer": "https://[::1"}],
)
def test_a_malformed_origin_or_referer_is_no_server_error(app, client, auth, csrf_on, headers):
    """Headers no browser sends ("http://[abc") made urlsplit raise while the refused
    form was being held: they name no page of this site, like another site's (refused
    in French, or sent back to the form's own page)."""
    auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    sent = client.post(
        page, data={**_visit_fields(company), "csrf_token": "périmé"}, headers=headers
    )
    assert sent.status_code in (303, 400)
    assert count(Visit) == 0


def test_nothing_is_held_for_a_visitor_who_never_logged_in(app, client):
    sent = client.post("/animateur/visites/nouvelle", data={"notes": "bonjour"})
    assert sent.status_code == 302 and _held_files() == []
    with client.session_transaction() as session:
        assert HELD_KEY not in session


# --------------------------------------------------------------------------- the store


def test_the_store_holds_one_form_per_account_bounded_in_size(tmp_path):
    now = utcnow()
    until = now + timedelta(minutes=60)
    owner = "a" * 32
    form = held_forms.HeldForm("/p", "/p", (("notes", "un"),), "session")
    first = held_forms.hold(tmp_path, owner, form, until=until, now=now)
    second = held_forms.hold(tmp_path, owner, form, until=until, now=now)
    assert held_forms.find(tmp_path, first, now=now) is None  # forgotten by the second
    assert held_forms.find(tmp_path, second, now=now) == (owner, form)
    huge = held_forms.HeldForm("/p", "/p", (("notes", "x" * held_forms.MAX_CHARS),), "session")
    assert held_forms.hold(tmp_path, "b" * 32, huge, until=until, now=now) is None
    assert held_forms.hold(tmp_path, "../etc", form, until=until, now=now) is None
    assert held_forms.find(tmp_path, second, now=until) is None  # over: deleted
    assert list(tmp_path.iterdir()) == []
    third = held_forms.hold(tmp_path, owner, form, until=until, now=now)
    assert held_forms.purge(tmp_path, now=until, dry_run=True) == 1
    assert held_forms.find(tmp_path, third, now=now) is not None
    assert held_forms.purge(tmp_path, now=until) == 1 and list(tmp_path.iterdir()) == []


def test_the_data_retention_job_purges_held_forms_over_their_time(app):
    folder = held_forms.held_forms_folder()
    now = utcnow()
    form = held_forms.HeldForm("/p", "/p", (("notes", "un"),), "session")
    held_forms.hold(folder, "c" * 32, form, until=now + timedelta(minutes=10), now=now)
    live = held_forms.hold(folder, "d" * 32, form, until=now + timedelta(minutes=30), now=now)
    later = now + timedelta(minutes=20)
    assert execute(JOBS_BY_ID["data_retention"], now=later, dry_run=True)["held_forms_purged"] == 1
    assert len(list(folder.glob("*"))) == 2  # a dry run deletes nothing
    assert execute(JOBS_BY_ID["data_retention"], now=later)["held_forms_purged"] == 1
    assert len(list(folder.glob("*"))) == 1
    assert held_forms.find(folder, live, now=later) is not None


def test_a_wrong_password_at_login_keeps_the_held_form(app, client, auth):
    user = auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    with _later(31):
        client.post(page, data=_visit_fields(company), headers={"Referer": page})
        refused = auth.post_login(user.email, "pas le bon mot de passe")
        assert refused.status_code == 200
        auth.post_login(user.email, PASSWORD)
        assert _fields(_restored(client.get(page)))["notes"] == [VISIT_NOTES]


def test_a_login_after_an_action_returns_to_its_page_not_to_the_action(app, client):
    """Sent by someone the session does not name, nothing is held; the login still does
    not send them to the address of an action (a GET of it would be a 405)."""
    sent = client.post("/animateur/besoins/n1/statut", data={"etat": "abandonne"})
    assert sent.status_code == 302 and sent.headers["Location"] == "/connexion"
    sent = client.post(
        "/animateur/besoins/n1/statut",
        data={"etat": "abandonne"},
        headers={"Referer": "http://localhost/animateur/besoins/n1"},
    )
    assert sent.headers["Location"] == "/connexion?next=/animateur/besoins/n1"


# --------------------------------------------------------------------------- refused tokens


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_a_staff_form_whose_token_was_refused_comes_back_filled_in(app, client, auth, csrf_on):
    auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    sent = client.post(
        page, data={**_visit_fields(company), "csrf_token": "périmé"}, headers={"Referer": page}
    )
    assert sent.status_code == 303 and sent.headers["Location"] == page
    form = client.get(page)
    assert form.status_code == 200 and TOKEN_NOTICE in _spaces(page_text(form))
    assert _fields(_restored(form))["notes"] == [VISIT_NOTES]
    assert count(Visit) == 0


def test_a_need_whose_token_was_refused_comes_back_filled_in(app, client, auth, csrf_on):
    auth.login("animateur")
    company = make_company(name="Garage des Pins")
    page = f"/animateur/besoins/nouveau?entreprise={company.ref}"
    sent = client.post(
        "/animateur/besoins/nouveau",
        data={**_need_fields(company.ref), "csrf_token": "périmé"},
        headers={"Referer": page},
    )
    assert sent.status_code == 303 and sent.headers["Location"] == page
    form = client.get(page)
    assert TOKEN_NOTICE in _spaces(page_text(form))
    assert _fields(_restored(form))["title"] == ["Secrétariat le jeudi"]
    assert count(Need) == 0


def test_an_action_form_on_another_page_goes_back_to_that_page(app, client, auth, csrf_on):
    """A form whose address only receives (POST): its page is the one the browser names."""
    auth.login("animateur")
    factories.load(
        factories.document(
            companies=[factories.company(ref="c1")], needs=[factories.need(ref="n1", company="c1")]
        )
    )
    page = "/animateur/besoins/n1"
    sent = client.post(
        "/animateur/besoins/n1/statut",
        data={"etat": "abandonne", "motif": "budget", "csrf_token": "périmé"},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert sent.status_code == 303 and sent.headers["Location"] == page
    form = client.get(page)
    assert TOKEN_NOTICE in _spaces(page_text(form))
    assert _fields(_restored(form)) == {"etat": ["abandonne"], "motif": ["budget"]}
    assert db.session.scalars(db.select(Need.status)).one() != "abandonne"


def test_the_candidate_profile_whose_token_was_refused_is_shown_again(app, client, auth, csrf_on):
    """Under the session as by the personal link: the form again, as typed, with why."""
    auth.login("candidate")
    candidate = db.session.scalars(db.select(Candidate)).one()
    typed = {"first_name": "Inès", "last_name": "Marchal-Nouveau", "csrf_token": "périmé"}
    refused = client.post("/candidat/mon-espace/modifier", data=typed)
    auth.logout()
    by_link = client.post(f"/mon-cv/{consent.space_token(candidate)}/modifier", data=typed)
    for response in (refused, by_link):
        assert response.status_code == 400
        assert "Le formulaire avait expiré" in _spaces(page_text(response))
        assert "Requête incorrecte" not in page_text(response)
        assert 'value="Marchal-Nouveau"' in response.get_data(as_text=True)
    assert db.session.get(Candidate, candidate.id).last_name != "Marchal-Nouveau"


def test_the_company_space_forms_whose_token_was_refused_are_shown_again(app, client, monkeypatch):
    """No account holds what the owner typed in the space a link opens: each of its forms
    comes back as sent, with why, nothing done; sent again with a fresh token, it is."""
    need, space = _post_and_confirm(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    company = need.company
    edit, stop = f"{space}/besoins/{need.ref}/modifier", f"{space}/besoins/{need.ref}/arreter"
    preferences = f"{space}/preferences/{company.ref}"

    typed = {**_filled(client.get(edit)), "hours_per_week": "9", "csrf_token": "périmé"}
    refused = client.post(edit, data=typed)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Le formulaire avait expiré" in _spaces(page_text(refused))
    assert "Requête incorrecte" not in page_text(refused)
    assert 'name="hours_per_week" value="9"' in page
    # The read stamp sent comes back: the form is still guarded as it was first read.
    assert f'name="lu_le" value="{typed["lu_le"]}"' in page
    db.session.expire_all()
    assert db.session.get(Need, need.id).hours_per_week != 9
    again = {**typed, "csrf_token": csrf_token_from(page)}
    assert client.post(edit, data=again).status_code == 302
    db.session.expire_all()
    assert db.session.get(Need, need.id).hours_per_week == 9

    guard = read_guard_at(client, preferences)
    refused = client.post(
        preferences, data={**guard, "max_contacts_per_month": "4", "csrf_token": "périmé"}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Le formulaire avait expiré" in _spaces(page_text(refused))
    assert '<option value="4" selected>' in page
    assert f'name="lu_le" value="{guard["lu_le"]}"' in page
    db.session.expire_all()
    assert db.session.get(Company, company.id).max_contacts_per_month is None

    refused = client.post(stop, data={"motif": "budget", "csrf_token": "périmé"})
    assert refused.status_code == 400
    assert "Le formulaire avait expiré" in _spaces(page_text(refused))
    assert 'value="budget" checked' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Need, need.id).status == "nouveau"
    # A link refused answers as its page would, whatever the token.
    forged = client.post(stop.replace(space, space + "x"), data={"csrf_token": "périmé"})
    assert forged.status_code == 403
    assert "Le formulaire avait expiré" not in page_text(forged)


def test_the_confirmation_and_the_link_asked_whose_token_was_refused_are_shown_again(
    app, client, monkeypatch
):
    """The confirmation's button and « Recevoir un lien de suivi », without an account:
    their page again with why, nothing confirmed nor asked; the error page asked to reload,
    which sent the refused token again."""
    data = _need_form(owner_email="marie@exemple.fr")
    assert client.post("/exprimer-un-besoin", data=data).status_code == 302
    confirm = CONFIRM_LINK.search(_last_mail_to("marie@exemple.fr").body_text).group(1)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = client.post(confirm, data={"csrf_token": "périmé"})
    assert refused.status_code == 400
    assert "Le formulaire avait expiré" in _spaces(page_text(refused))
    assert "Je confirme mon besoin" in page_text(refused)
    need = db.session.scalars(db.select(Need)).one()
    assert need.owner_confirmed_at is None
    fresh = csrf_token_from(refused.get_data(as_text=True))
    assert client.post(confirm, data={"csrf_token": fresh}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Need, need.id).owner_confirmed_at is not None
    # A link tampered with is refused as on its page.
    forged = client.post(confirm + "x", data={"csrf_token": "périmé"})
    assert forged.status_code == 403

    refused = client.post(
        "/entreprise/lien", data={"email": "marie@exemple.fr", "csrf_token": "périmé"}
    )
    assert refused.status_code == 400
    assert "Le formulaire avait expiré" in _spaces(page_text(refused))
    assert 'value="marie@exemple.fr"' in refused.get_data(as_text=True)
    assert count(LinkRequest) == 0


def test_a_refused_token_after_the_session_ended_asks_to_log_in(app, client, auth, csrf_on):
    user = auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    with _later(31):
        sent = client.post(
            page, data={**_visit_fields(company), "csrf_token": "périmé"}, headers={"Referer": page}
        )
        assert _next_of(sent) == page
        logged = auth.post_login(user.email)
        assert logged.status_code == 302, page_text(logged)
        form = client.get(page)
    assert EXPIRED_NOTICE in _spaces(page_text(form))
    assert _fields(_restored(form))["notes"] == [VISIT_NOTES]


# --------------------------------------------------------------------------- the database busy


def _locked(*_args, **_kwargs):
    raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))


def test_a_staff_form_sent_while_the_database_was_busy_comes_back_filled_in(
    app, client, auth, monkeypatch
):
    # SQLite's single writer held past its timeout (a long import): nothing was stored,
    # and what the animateur typed on the doorstep is given back, not lost.
    auth.login("animateur")
    company = make_company(name="Boulangerie du Port")
    page = f"/animateur/visites/nouvelle?entreprise={company.ref}"
    monkeypatch.setattr("connectences.web.visits.prospection.log_visit", _locked)
    sent = client.post(page, data=_visit_fields(company), headers={"Referer": page})
    assert sent.status_code == 303 and sent.headers["Location"] == page
    assert sent.headers["Retry-After"] == "5"
    form = client.get(page)
    assert NOTICES[DATABASE_BUSY] in _spaces(page_text(form))
    assert _fields(_restored(form))["notes"] == [VISIT_NOTES]
    assert count(Visit) == 0


def test_a_public_form_sent_while_the_database_was_busy_is_shown_again_filled_in(
    client, monkeypatch
):
    monkeypatch.setattr("connectences.web.cv_public._store_submission", _locked)
    sent = client.post("/deposer-mon-cv", data=form_data(first_name="Zoé"))
    assert sent.status_code == 503 and sent.headers["Retry-After"] == "5"
    assert NOTICES[DATABASE_BUSY] in _spaces(page_text(sent))
    assert 'value="Zoé"' in sent.get_data(as_text=True)
    assert count(Candidate) == 0
