"""An address too long gets the platform's French 414 page (a problem under /api/v1/),
before anything reads it; gunicorn lets such addresses reach the application, up to its
own request-line limit, past which its English page remains (gunicorn_conf)."""

from __future__ import annotations

import http.client
import json
import os
from urllib.parse import urlsplit

import pytest

from connectences import gunicorn_conf
from connectences.config import Defaults
from tests.helpers import page_text

LIMIT = Defaults.MAX_URL_BYTES


def test_an_address_over_the_limit_gets_the_french_414_page(client):
    response = client.get("/" + "a" * 10_000)
    assert response.status_code == 414
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert 'class="error-page"' in html  # the platform's own error layout
    text = page_text(response)
    assert "Adresse trop longue" in text
    assert "Code de l'erreur : 414" in text
    assert "Retour à l'accueil" in text
    assert "URI Too Long" not in text and "Request Line" not in text


def test_the_limit_counts_the_query_string_and_spares_addresses_below_it(client):
    # A public page with a long (ignored) query string, just under the limit: served.
    below = "/?x=" + "a" * (LIMIT - len("/?x="))
    assert len(below) == LIMIT
    assert client.get(below).status_code == 200
    assert client.get(below + "a").status_code == 414


def test_an_anonymous_visitor_is_not_sent_to_login_with_the_long_address(client):
    response = client.get("/animateur/besoins?q=" + "b" * LIMIT)
    assert response.status_code == 414
    assert "Location" not in response.headers


def test_a_long_address_within_the_limit_leads_to_a_login_page_that_opens(client):
    # Escaped again in ``next``, the address would make the login page's own too long.
    response = client.get("/animateur/besoins?q=" + "%C3%A9" * 600)  # 3,600 bytes
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    assert client.get(response.headers["Location"]).status_code == 200
    # A usual one is kept, to come back to after logging in.
    response = client.get("/animateur/besoins?q=compta")
    assert "next=" in response.headers["Location"]


def test_a_logged_in_person_gets_the_page_in_their_layout(client, auth):
    auth.login("animateur")
    response = client.get("/animateur/besoins?q=" + "b" * LIMIT)
    assert response.status_code == 414
    assert "Adresse trop longue" in page_text(response)
    assert "Se déconnecter" in page_text(response)


def test_under_the_api_the_refusal_is_a_french_problem(client):
    response = client.get("/api/v1/needs?updated_since=" + "1" * LIMIT)
    assert response.status_code == 414
    assert response.mimetype == "application/problem+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["status"] == 414 and body["title"] == "Adresse trop longue"


def test_gunicorn_lets_every_address_the_app_refuses_reach_it():
    # The longest request line the app must see: method, address at the limit plus one,
    # HTTP version; gunicorn's own ceiling is 8190 bytes.
    longest = len("OPTIONS ") + LIMIT + 1 + len(" HTTP/1.1")
    assert longest < gunicorn_conf.limit_request_line <= 8190


def _get(url: str, path: str) -> tuple[int, str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.mark.slow
def test_through_gunicorn_the_page_is_the_platforms_up_to_gunicorns_own_limit(app, tmp_path):
    # Imported here: bench tooling (the same gunicorn the load bench starts).
    from connectences.bench.load import gunicorn

    env = {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CONNECTENCES_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-adresses-longues",
        "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])),
    }
    with gunicorn("connectences:create_app()", workers=1, ready_path="/", env=env) as url:
        # Past the app's limit, within gunicorn's: gunicorn's default (4094) answered this
        # one with its English page; now the platform does, in French.
        status, body = _get(url, "/" + "a" * 6_000)
        assert status == 414
        assert "Adresse trop longue" in body and '<html lang="fr"' in body
        # The residual, documented in gunicorn_conf: past 8190 bytes, gunicorn's own page.
        status, body = _get(url, "/" + "a" * 10_000)
        assert status == 414
        assert "Adresse trop longue" not in body
