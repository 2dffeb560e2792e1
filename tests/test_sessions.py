"""Login sessions: logout that sticks, idle and absolute lifetimes, the password asked
again before sensitive actions, Strict-Transport-Security behind TLS."""

from __future__ import annotations

import html
import json
import re
import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from connectences.accounts.sessions import Lifetimes, open_session, purge_sessions
from connectences.extensions import db
from connectences.models import AuditLog, Candidate, LoginSession, OutboxMessage, User, utcnow
from tests import factories
from tests.fixtures_auth import PASSWORD
from tests.helpers import error_of, page_text

MINUTE = 60


def _later(minutes: float):
    return time_machine.travel(time.time() + minutes * MINUTE, tick=False)


# --------------------------------------------------------------------------- logout


def test_a_session_cookie_replayed_after_logout_is_anonymous(app, client, auth):
    auth.login("animateur")
    assert client.get("/animateur").status_code == 200
    stolen = client.get_cookie("session").value
    auth.logout()
    assert client.get("/animateur").status_code == 302
    # Someone who copied the cookie before the logout (a shared computer, a proxy log)
    # sends it again: the session is over on the server too.
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    response = attacker.get("/animateur")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")
    assert attacker.get("/accueil").status_code == 302


def test_another_device_stays_logged_in_after_a_logout_elsewhere(app, client, auth):
    user = auth.login("animateur")
    phone = app.test_client()
    auth.post_login(user.email, client=phone)
    auth.logout()
    assert phone.get("/animateur").status_code == 200


# --------------------------------------------------------------------------- lifetimes


def test_a_session_left_unused_expires_after_the_idle_lifetime(app, client, auth):
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    auth.login("animateur")
    with _later(20):
        assert client.get("/animateur").status_code == 200
    with _later(45):  # 25 minutes after the last use: still alive
        assert client.get("/animateur").status_code == 200
    with _later(45 + 31):
        response = client.get("/animateur")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_a_session_in_use_ends_after_the_absolute_lifetime(app, client, auth):
    assert app.config["SESSION_ABSOLUTE_MINUTES"] == 12 * 60
    auth.login("animateur")
    minutes = 0
    while minutes < 12 * 60 - 20:
        minutes += 20
        with _later(minutes):
            assert client.get("/animateur").status_code == 200, minutes
    with _later(12 * 60 + 1):
        assert client.get("/animateur").status_code == 302


def test_lifetimes_come_from_the_configuration(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    auth.login("animateur")
    with _later(6):
        assert client.get("/animateur").status_code == 302


def test_dead_sessions_are_purged_and_live_ones_kept(auth):
    user = auth.create("animateur")
    now = utcnow()
    lifetimes = Lifetimes(idle_minutes=30, absolute_minutes=720, recent_login_minutes=15)
    open_session(db.session, user, now=now - timedelta(hours=13))  # too old
    open_session(db.session, user, now=now - timedelta(minutes=40))  # idle
    open_session(db.session, user, now=now - timedelta(minutes=5))  # alive
    ended = db.session.scalars(select(LoginSession).order_by(LoginSession.id)).all()[-1]
    open_session(db.session, user, now=now)
    ended.ended_at = now
    db.session.commit()
    assert purge_sessions(db.session, lifetimes, now=now) == 3
    assert db.session.scalar(select(func.count(LoginSession.id))) == 1


# --------------------------------------------------------------------------- recent login


def _confirm(client, next_url: str, password: str = PASSWORD):
    return client.post(f"/confirmer-mot-de-passe?next={next_url}", data={"password": password})


def test_exporting_the_cv_library_asks_for_the_password_after_fifteen_minutes(client, auth):
    assert client.application.config["RECENT_LOGIN_MINUTES"] == 15
    factories.load(factories.document(candidates=[factories.candidate()]))
    auth.login("animateur")
    assert client.get("/animateur/cvtheque/export/csv?q=compta").status_code == 200
    with _later(16):
        response = client.get("/animateur/cvtheque/export/csv?q=compta")
        assert response.status_code == 302
        target = "/confirmer-mot-de-passe?next=/animateur/cvtheque/export/csv?q%3Dcompta"
        assert response.headers["Location"] == target
        page = client.get(response.headers["Location"])
        assert "Confirmer votre mot de passe" in page_text(page)
        assert "confirmez d'abord votre mot de passe" in page_text(page)
        exports = select(func.count(AuditLog.id)).where(AuditLog.action == "cv_export")
        assert db.session.scalar(exports) == 1
        wrong = _confirm(client, "/animateur/cvtheque/export/csv?q%3Dcompta", "mauvais")
        assert wrong.status_code == 400
        assert "Mot de passe incorrect." in error_of(wrong, "password")
        # Confirming records nothing: the summary says the confirmation failed.
        summary = page_text(wrong)
        assert "Confirmation impossible" in summary and "Rien n'a été enregistré" not in summary
        assert client.get("/animateur/cvtheque/export/csv?q=compta").status_code == 302
        right = _confirm(client, "/animateur/cvtheque/export/csv?q%3Dcompta")
        assert right.status_code == 302
        assert right.headers["Location"] == "/animateur/cvtheque/export/csv?q=compta"
        assert client.get(right.headers["Location"]).status_code == 200
    assert db.session.scalar(exports) == 2
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"reauth_failed", "reauthenticated"} <= actions


def test_a_wrong_password_counts_toward_the_login_lock(client, auth, app):
    auth.login("animateur")
    with _later(16):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            _confirm(client, "/animateur", "mauvais")
        locked = _confirm(client, "/animateur")
    assert locked.status_code == 429 and "Trop de tentatives" in page_text(locked)


def test_merging_people_asks_for_the_password_again(client, auth):
    factories.load(
        factories.document(candidates=[factories.candidate(ref="a"), factories.candidate(ref="b")])
    )
    a, b = (db.session.scalar(select(Candidate.id).where(Candidate.ref == r)) for r in "ab")
    auth.login("animateur")
    with _later(16):
        response = client.post(
            f"/animateur/cvtheque/doublons/{a}/{b}/fusionner",
            data={"keep": "a"},
            headers={"Referer": f"http://localhost/animateur/cvtheque/doublons/{a}/{b}"},
        )
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/confirmer-mot-de-passe?next=/animateur/cvtheque/doublons/{a}/{b}"
    )
    assert db.session.scalar(select(func.count(Candidate.id))) == 2
    # The choices sent are not lost: held, and given back on the page once the password
    # is confirmed, to be checked and sent again.
    with _later(16):
        back = _confirm(client, f"/animateur/cvtheque/doublons/{a}/{b}")
        assert back.headers["Location"] == f"/animateur/cvtheque/doublons/{a}/{b}"
        page = client.get(back.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Mot de passe confirmé : vérifiez ce que vous aviez saisi" in page_text(page)
    given = re.search(r"data-formulaire='([^']*)'", text)
    assert given and ["keep", "a"] in json.loads(html.unescape(given.group(1)))["fields"]


def test_reenabling_an_account_asks_for_the_password_again(client, auth):
    other = auth.create("partner", email="partenaire@exemple.fr")
    other.active = False
    db.session.commit()
    auth.login("admin")
    with _later(16):
        response = client.post(f"/admin/utilisateurs/{other.id}/reactiver")
        assert response.headers["Location"].startswith("/confirmer-mot-de-passe?next=/admin")
        db.session.expire_all()
        assert db.session.get(User, other.id).active is False
        assert _confirm(client, "/admin").status_code == 302
        assert client.post(f"/admin/utilisateurs/{other.id}/reactiver").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, other.id).active is True


def test_exporting_the_visits_asks_for_the_password_again(client, auth):
    auth.login("animateur")
    assert client.get("/animateur/visites/export.csv").status_code == 200
    with _later(16):
        response = client.get("/animateur/visites/export.csv?resultat=besoin")
        assert response.status_code == 302
        assert response.headers["Location"] == (
            "/confirmer-mot-de-passe?next=/animateur/visites/export.csv?resultat%3Dbesoin"
        )


def test_exporting_the_needs_asks_for_the_password_again(client, auth):
    auth.login("animateur")
    assert client.get("/animateur/besoins/export/csv").status_code == 200
    with _later(16):
        response = client.get("/animateur/besoins/export/xlsx?etat=nouveau")
        assert response.status_code == 302
        assert response.headers["Location"] == (
            "/confirmer-mot-de-passe?next=/animateur/besoins/export/xlsx?etat%3Dnouveau"
        )


@pytest.mark.parametrize("action", ["invite", "disable"])
def test_managing_accounts_asks_for_the_password_again(client, auth, action):
    other = auth.create("partner", email="partenaire@exemple.fr")
    auth.login("admin")
    with _later(16):
        if action == "invite":
            response = client.post(
                "/admin/invitations", data={"email": "nouveau@exemple.fr", "role": "animateur"}
            )
        else:
            response = client.post(f"/admin/utilisateurs/{other.id}/desactiver")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/confirmer-mot-de-passe?next=/admin")
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "nouveau@exemple.fr")) is None
    assert db.session.get(User, other.id).active is True
    # Once the password is given again, the same action goes through.
    if action == "disable":
        with _later(17):
            assert _confirm(client, "/admin").status_code == 302
            assert client.post(f"/admin/utilisateurs/{other.id}/desactiver").status_code == 302
        db.session.expire_all()
        assert db.session.get(User, other.id).active is False


def _failed_mail() -> OutboxMessage:
    message = OutboxMessage(
        kind="lead_sent", to="a@exemple.fr", subject="[Connect'ences] Une proposition",
        body_text="b", status="failed", attempts=9, last_error="550 5.1.1 mailbox unknown",
    )  # fmt: skip
    db.session.add(message)
    db.session.commit()
    return message


@pytest.mark.parametrize("action", ["phone", "requeue"])
def test_every_admin_change_asks_for_the_password_again(client, auth, action):
    """Setting an animateur's public phone (shown on the public home) and putting failed
    e-mails back in the queue (sent again, to people) were the admin's only changes done
    without the password asked again, like managing accounts and API tokens."""
    animateur = auth.create("animateur", email="anim@exemple.fr")
    mail = _failed_mail()
    if action == "phone":
        url, data = f"/admin/utilisateurs/{animateur.id}/telephone", {"phone": "05 56 12 34 56"}
    else:
        url, data = "/admin/courriels/relancer", {"message": str(mail.id)}

    def unchanged() -> bool:
        db.session.expire_all()
        phone = db.session.get(User, animateur.id).phone
        return phone is None and db.session.get(OutboxMessage, mail.id).status == "failed"

    auth.login("admin")
    with _later(16):
        response = client.post(url, data=data)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/confirmer-mot-de-passe?next=/admin")
        assert unchanged()
        wrong = _confirm(client, "/admin", "mauvais")
        assert wrong.status_code == 400
        assert "Mot de passe incorrect." in error_of(wrong, "password")
        refused = client.post(url, data=data)
        assert refused.headers["Location"].startswith("/confirmer-mot-de-passe")
        assert unchanged()
        assert _confirm(client, "/admin").status_code == 302
        assert client.post(url, data=data).headers["Location"].startswith("/admin")
    assert not unchanged()


def test_no_change_of_the_administration_goes_without_the_password_asked_again(app):
    """The rule the admin's actions follow, so that a new one does not forget it."""
    posts = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and "POST" in rule.methods
    ]
    assert "admin.set_phone" in posts and "admin.requeue_mail" in posts
    forgotten = [
        endpoint
        for endpoint in posts
        if not getattr(app.view_functions[endpoint], "asks_password_again", False)
    ]
    assert forgotten == []


def test_a_foreign_referer_never_becomes_the_way_back(client, auth):
    other = auth.create("partner")
    auth.login("admin")
    with _later(16):
        response = client.post(
            f"/admin/utilisateurs/{other.id}/desactiver",
            headers={"Referer": "https://ailleurs.example/piege"},
        )
    assert response.headers["Location"] == "/confirmer-mot-de-passe?next=/admin"


# --------------------------------------------------------------------------- transport


def test_strict_transport_security_over_tls_only_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# --------------------------------------------------------------------------- keep-alive


def test_the_keep_alive_needs_a_login(client):
    response = client.post("/api/session/prolonger")
    assert response.status_code == 401 and response.is_json


def test_the_keep_alive_keeps_a_session_being_typed_in_open(app, client, auth):
    """A visit noted on a doorstep: the page calls the keep-alive while the form is typed
    in (static/js/form-keep.js); once nobody types, the session ends as before."""
    auth.login("animateur")
    with _later(25):
        assert client.post("/api/session/prolonger").status_code == 204
    with _later(50):  # 50 minutes after the login, 25 after the call: still open
        assert client.get("/animateur").status_code == 200
    with _later(50 + 31):
        response = client.get("/animateur")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_every_page_of_a_logged_in_person_loads_the_keep_alive(app, client, auth, monkeypatch):
    assert 'id="garde-formulaire"' not in client.get("/").get_data(as_text=True)
    auth.login("animateur")

    def interval() -> int:
        body = client.get("/animateur").get_data(as_text=True)
        script = re.search(r'<script src="/static/js/form-keep\.js[^>]*>', body)
        assert script and 'data-prolonger="/api/session/prolonger"' in script.group(0)
        return int(re.search(r'data-intervalle="(\d+)"', script.group(0)).group(1))

    assert interval() == 300  # every five minutes at most, within the 30 idle minutes
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 6)
    assert interval() == 120  # a third of a shorter idle lifetime
