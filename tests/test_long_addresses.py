"""An address too long gets the platform's French 414 page (a problem under /api/v1/),
before anything reads it; gunicorn lets such addresses reach the application, up to its
own request-line limit, past which (and for headers too large) the platform's worker
answers with the same French page (gunicorn_worker)."""

from __future__ import annotations

import http.client
import json
import os
import socket
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


def _raw(url: str, head: bytes) -> tuple[int, str]:
    """Send ``head`` (a request's head, as bytes) on a raw socket; the status and text of
    the answer, read to the end (the server closes the connection)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(head)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.decode("utf-8", "replace")


def test_the_worker_renders_the_platforms_page_for_what_gunicorn_refuses(app):
    from connectences.gunicorn_worker import french_error_response

    for status, title in ((414, "Adresse trop longue"), (431, "Requête trop volumineuse")):
        response = french_error_response(app, status)
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status} ".encode())
        assert b"Content-Security-Policy: " in head and b"Connection: close" in head
        assert f"Content-Length: {len(body)}".encode() in head
        html = body.decode("utf-8")
        assert '<html lang="fr"' in html and 'class="error-page"' in html and title in html


@pytest.mark.slow
def test_through_gunicorn_every_refusal_of_a_long_request_is_the_platforms_page(app, tmp_path):
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
        # one with its English page; the platform does, in French.
        status, body = _get(url, "/" + "a" * 6_000)
        assert status == 414
        assert "Adresse trop longue" in body and '<html lang="fr"' in body
        # Past gunicorn's own limit (8190): refused by gunicorn, with the platform's page.
        status, body = _raw(url, b"GET /?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 414
        assert "Adresse trop longue" in body and '<html lang="fr"' in body
        assert "URI Too Long" not in body
        # A header past limit_request_field_size (a cookie piling up), or too many headers.
        for head in (
            b"GET / HTTP/1.1\r\nHost: x\r\nCookie: c=" + b"a" * 10_000 + b"\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-N%d: 1\r\n" % n for n in range(150))
            + b"\r\n",
        ):
            status, body = _raw(url, head)
            assert status == 431
            assert "Requête trop volumineuse" in body and '<html lang="fr"' in body
            assert "Header Fields" not in body
        # The worker is still there, serving.
        assert _get(url, "/")[0] == 200
