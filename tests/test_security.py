"""Security headers everywhere, CSRF, body size limit, French error pages, no inline code."""

from __future__ import annotations

import html
import io
import re
import sqlite3

import pytest
from flask import send_file
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from connectences import create_app
from connectences.accounts import throttle
from connectences.extensions import db
from connectences.models import LoginThrottle, Need
from connectences.web.access import public
from tests.fixtures_auth import PASSWORD, csrf_token_from
from tests.helpers import PRODUCTION_VALUES

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def assert_security_headers(response) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]


@pytest.fixture
def bare_app(app):
    """A second app on the same database, not in TESTING mode (errors become pages),
    with a failing route and a download route added before its first request."""
    other = create_app(
        {
            "SECRET_KEY": "autre",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": True,
        }
    )

    @public
    def boom():
        raise RuntimeError("détail-interne-secret 42 /etc/passwd")

    @public
    def download():
        return send_file(
            io.BytesIO(b"a;b\n1;2\n"),
            mimetype="text/csv",
            as_attachment=True,
            download_name="export.csv",
        )

    @public
    def busy():
        raise OperationalError("UPDATE user", {}, sqlite3.OperationalError("database is locked"))

    @public
    def broken():
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("disk I/O error"))

    other.add_url_rule("/test-busy", "busy", busy)
    other.add_url_rule("/api/v1/test-busy", "api_busy", busy)
    other.add_url_rule("/test-broken", "broken", broken)
    other.add_url_rule("/test-boom", "boom", boom)
    other.add_url_rule("/test-download", "download", download)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/connexion",
        "/mise-en-relation",
        "/donnees-personnelles",
        "/health",
        "/page-qui-n-existe-pas",
        "/admin",
    ],
)
def test_security_headers_on_public_pages_errors_and_redirects(client, url):
    assert_security_headers(client.get(url))


def test_security_headers_on_static_files_and_forbidden_pages(client, auth):
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
        assert_security_headers(response)
    auth.login("candidate")
    forbidden = client.get("/admin")
    assert forbidden.status_code == 403
    assert_security_headers(forbidden)
    # Logged-in pages carry personal data: never stored by a cache.
    assert client.get("/candidat").headers["Cache-Control"] == "no-store"


def test_server_error_page_is_french_leaks_nothing_and_has_headers(bare_app):
    response = bare_app.test_client().get("/test-boom")
    assert response.status_code == 500
    body = text(response)
    assert "Erreur du serveur" in body and '<html lang="fr">' in body
    assert "secret" not in body and "RuntimeError" not in body and "Traceback" not in body
    assert_security_headers(response)


def test_downloads_have_the_headers(bare_app):
    with bare_app.test_client().get("/test-download") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert_security_headers(response)


def test_unknown_route_gives_a_french_404(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    body = text(response)
    assert "Page introuvable" in body and "Retour à l'accueil" in body
    assert '<html lang="fr">' in body


def test_wrong_method_gives_a_french_405(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert "Action non permise" in text(response)
    assert_security_headers(response)


def test_oversized_body_gives_a_french_413(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = client.post("/connexion", data={"email": "a@exemple.fr", "password": "x" * 5000})
    assert response.status_code == 413
    assert "Envoi trop volumineux" in text(response)
    # Without JavaScript (no check when the file is chosen), the way back to what was
    # typed is the browser's back button: the page says so.
    assert "bouton « Retour » de votre navigateur (ce que vous avez saisi y est encore)" in text(
        response
    )
    assert_security_headers(response)


def test_max_content_length_is_set_by_default(app):
    assert 1024 * 1024 <= app.config["MAX_CONTENT_LENGTH"] <= 20 * 1024 * 1024


def test_csrf_is_enforced_when_enabled(bare_app, auth):
    user = auth.create("animateur")
    client = bare_app.test_client()
    refused = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert "Le formulaire a expiré ou n'a pas pu être vérifié" in text(refused)
    assert_security_headers(refused)
    # With the token from the page, the same login goes through.
    response = auth.post_login(user.email, client=client)
    assert response.status_code == 302 and response.headers["Location"] == "/animateur"
    # Logging out without the token is refused too: the session stays open.
    assert client.post("/deconnexion").status_code == 400
    assert client.get("/animateur").status_code == 200
    token = csrf_token_from(client.get("/animateur").get_data(as_text=True))
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302
    assert client.get("/animateur").status_code == 302


def test_each_request_signs_the_form_token_of_its_own_session(app, client, auth, monkeypatch):
    """The tests run their requests in one outer app context, where Flask-WTF kept the
    token it signed on ``g``: after a login (which clears the session), pages still showed
    the token of the session before, and every form sent then was refused."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    auth.login("animateur")
    assert auth.logout().status_code == 302
    assert client.get("/animateur").status_code == 302


def test_every_page_works_without_inline_script_or_style(client, auth, app):
    pages = ["/", "/connexion", "/mise-en-relation", "/donnees-personnelles", "/nulle-part"]
    bodies = [client.get(url).get_data(as_text=True) for url in pages]
    for role in ("admin", "animateur", "operator", "partner", "company", "candidate", "territoire"):
        other = app.test_client()
        auth.login(role, client=other)
        bodies.append(other.get("/accueil", follow_redirects=True).get_data(as_text=True))
    for body in bodies:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
        assert not re.search(r"\sstyle=", body)
        assert not re.search(r"\son[a-z]+=", body)  # no inline event handler
        assert not re.search(r"(src|href)=\"(https?:)?//", body)  # nothing from another site


def test_forms_label_every_input(client, auth):
    auth.login("admin")
    body = client.get("/admin").get_data(as_text=True)
    inputs = re.findall(r"<(?:input|select|textarea)\b[^>]*>", body)
    ids = [re.search(r'\bid="([^"]+)"', tag) for tag in inputs if 'type="hidden"' not in tag]
    assert ids and all(ids)
    for match in ids:
        assert f'for="{match.group(1)}"' in body


def test_session_cookie_flags(client, auth):
    user = auth.create("animateur")
    response = auth.post_login(user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("CONNECTENCES_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CONNECTENCES_ENV", "production")
    prod = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **PRODUCTION_VALUES})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["REMEMBER_COOKIE_SECURE"] is True
    with prod.test_client() as client:
        response = client.get("/connexion")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    with prod.app_context():
        db.engine.dispose()


def test_health_reports_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_trusted_proxy_address_feeds_the_throttle(app, auth):
    user = auth.create("animateur")
    proxied = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "proxy",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TRUSTED_PROXIES": 1,
        }
    )
    client = proxied.test_client()
    client.post(
        "/connexion",
        data={"email": user.email, "password": "mauvais"},
        headers={"X-Forwarded-For": "203.0.113.77"},
    )
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert "ip:203.0.113.77" in keys and "ip:127.0.0.1" not in keys
    assert throttle.pair_key(user.email, "203.0.113.77") in keys
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_without_a_trusted_proxy_a_forged_forwarded_address_changes_no_count(client, auth, app):
    """The lock of an account from one address would be sidestepped by a new
    X-Forwarded-For on each try: without TRUSTED_PROXIES, the header is not read."""
    user = auth.create("animateur")
    assert app.config["TRUSTED_PROXIES"] == 0
    for attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post(
            "/connexion",
            data={"email": user.email, "password": "mauvais"},
            headers={"X-Forwarded-For": f"198.51.100.{attempt}"},
        )
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert not any("198.51.100." in key for key in keys)
    refused = client.post(
        "/connexion",
        data={"email": user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )
    assert refused.status_code == 429


def test_server_error_page_survives_a_broken_layout(bare_app, monkeypatch):
    import connectences.web.errors as errors

    def broken(*args, **kwargs):
        raise RuntimeError("le gabarit a échoué")

    monkeypatch.setattr(errors, "render_template", broken)
    response = bare_app.test_client().get("/test-boom")
    assert response.status_code == 500
    body = text(response)
    assert "Erreur du serveur" in body and "gabarit" not in body and "secret" not in body
    assert_security_headers(response)


def test_a_public_form_whose_token_expired_comes_back_filled_in(bare_app):
    """A busy owner's phone lost the session (browser closed, tab restored hours later):
    the need form and the CV form come back with what was typed, a fresh token and the
    reason at the top; nothing is stored. Sent again, the need goes through."""
    from tests.factories import public_need_form

    client = bare_app.test_client()
    typed = public_need_form(title="Paie du mardi pour la conserverie")
    expired = client.post("/exprimer-un-besoin", data={**typed, "csrf_token": "périmé"})
    page = text(expired)
    assert expired.status_code == 400
    assert "Le formulaire avait expiré" in page and "Rien n'a été enregistré" in page
    assert 'value="Paie du mardi pour la conserverie"' in expired.get_data(as_text=True)
    assert 'value="claire@huitres-dupont.fr"' in expired.get_data(as_text=True)
    with bare_app.app_context():
        assert db.session.scalar(select(func.count(Need.id))) == 0
    token = csrf_token_from(expired.get_data(as_text=True))
    sent = client.post("/exprimer-un-besoin", data={**typed, "csrf_token": token})
    assert sent.status_code == 302
    with bare_app.app_context():
        assert db.session.scalar(select(func.count(Need.id))) == 1
    cv = client.post("/deposer-mon-cv", data={"first_name": "Inès", "last_name": "Marchal"})
    assert cv.status_code == 400 and "Le formulaire avait expiré" in text(cv)
    assert 'value="Marchal"' in cv.get_data(as_text=True)
    # Any other form still answers with the error page.
    assert "Le formulaire a expiré ou n'a pas pu être vérifié" in text(
        client.post("/connexion", data={"email": "x@exemple.fr", "password": "y"})
    )


def test_a_database_busy_with_another_writer_answers_503_in_french(bare_app):
    # SQLite's single writer held past its busy timeout (a long import): the request
    # did nothing and may be sent again; any other database fault stays a 500.
    client = bare_app.test_client()
    busy = client.get("/test-busy")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    text = busy.get_data(as_text=True)
    assert "Plateforme momentanément occupée" in text and "réessayez" in text
    assert "database is locked" not in text
    broken = client.get("/test-broken")
    assert broken.status_code == 500 and "disk I/O" not in broken.get_data(as_text=True)
    api = client.get("/api/v1/test-busy")
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["title"] == "Service momentanément occupé"
