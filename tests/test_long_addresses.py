"""An address too long gets the platform's French 414 page (a problem under /api/v1/),
before anything reads it; gunicorn lets such addresses reach the application, up to its
own request-line limit, past which (and for headers too large, and for every other
request gunicorn refuses with a 4xx: a malformed request line, method, version, header,
a broken chunked body...) the platform's worker answers with the same French pages
(gunicorn_worker)."""

from __future__ import annotations

import http.client
import inspect
import io
import json
import logging
import os
import socket
from ssl import SSLError
from urllib.parse import urlsplit

import pytest
from gunicorn import util
from gunicorn.http import errors as gunicorn_errors
from gunicorn.workers.base import Worker

from connectences import gunicorn_conf
from connectences.config import Defaults
from connectences.gunicorn_refusals import refusal_status
from connectences.gunicorn_worker import FrenchErrorsWorker
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
        # Whatever else gunicorn refuses itself, with its status, in French.
        for head, status_of_it in (
            (b"GARBAGE\r\n\r\n", 400),  # no request line
            (b"GET / HTTP/1.1\nHost: x\n\n", 400),  # bare LF
            (b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),  # method
            (b"GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400),  # protocol
            (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400),  # version
            (b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400),  # header name
            (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),  # header
            (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400),  # folding
            (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417),
        ):
            status, body = _raw(url, head)
            assert status == status_of_it, head
            assert "Requête incorrecte" in body and '<html lang="fr"' in body, head
            assert "Bad Request" not in body and "Invalid" not in body, head
        # A broken chunked body, refused as the application reads it (form, CSRF check).
        form = b"POST /connexion HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        form += b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        for chunks in (b"zz\r\nabc\r\n0\r\n\r\n", b"3\r\nabcXX0\r\n\r\n", b"3;\x01\r\nabc\r\n"):
            status, body = _raw(url, form + chunks)
            assert status == 400, chunks
            assert "Requête incorrecte" in body and '<html lang="fr"' in body, chunks
        # The worker is still there, serving.
        assert _get(url, "/")[0] == 200


def _instances_of_gunicorns_errors() -> list[BaseException]:
    """One instance of every exception gunicorn's HTTP parser defines (and of the TLS
    error it answers), its arguments filled with placeholders."""
    found = [SSLError(1, "bad record")]
    for kind in vars(gunicorn_errors).values():
        if isinstance(kind, type) and issubclass(kind, BaseException):
            required = [
                parameter
                for parameter in inspect.signature(kind.__init__).parameters.values()
                if parameter.name != "self"
                and parameter.default is inspect.Parameter.empty
                and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
            ]
            found.append(kind(*["x"] * len(required)))
    return found


class _Log:
    """gunicorn's logger, as a worker calls it: what was logged, by level."""

    def __init__(self):
        self.lines: list[tuple[str, str]] = []

    def _add(level):
        def log(self, message, *args, **kwargs):
            self.lines.append((level, message % args if args else message))

        return log

    warning, exception, debug, info = (
        _add("warning"),
        _add("exception"),
        _add("debug"),
        _add("info"),
    )

    def access(self, response, request, environ, request_time):
        self.lines.append(("access", response.status))


@pytest.mark.engine_free
def test_the_worker_answers_with_its_page_exactly_what_gunicorn_refuses_with_a_4xx(monkeypatch):
    # gunicorn's own handle_error decides each status; a new exception, or a status
    # changed in a gunicorn upgrade, fails here until gunicorn_refusals.STATUS_OF says the same.
    answered = []
    monkeypatch.setattr(
        util, "write_error", lambda sock, status, reason, mesg: answered.append(status)
    )
    worker = Worker.__new__(Worker)
    worker.log = _Log()
    checked = 0
    for exc in _instances_of_gunicorns_errors():
        Worker.handle_error(worker, None, None, ("127.0.0.1", 1), exc)
        status = answered.pop()
        expected = status if 400 <= status < 500 else None
        assert refusal_status(exc) == expected, (type(exc).__name__, status)
        checked += expected is not None
    assert checked >= 15  # request line, method, version, headers, chunks, proxy, limits...
    assert refusal_status(gunicorn_errors.InvalidResponseHeader("x")) is None  # the app's fault


def _worker_answering(app) -> tuple[FrenchErrorsWorker, _Log]:
    worker = FrenchErrorsWorker.__new__(FrenchErrorsWorker)
    worker.log, worker.wsgi = _Log(), app
    return worker, worker.log


def _handled(worker, exc, req=None) -> bytes:
    """What the worker writes to a client for ``exc``, read on the other end."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        worker.handle_error(req, ours, ("127.0.0.1", 4242), exc)
        ours.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := theirs.recv(65536):
            answer += chunk
    return answer


def test_the_worker_logs_a_refusal_as_gunicorn_and_leaves_its_5xx_to_it(app):
    worker, log = _worker_answering(app)
    answer = _handled(worker, gunicorn_errors.InvalidRequestMethod("G@T"))
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in answer and b'<html lang="fr"' in answer
    assert log.lines == [
        ("warning", "Invalid request from ip=127.0.0.1: Invalid HTTP method: 'G@T'")
    ]
    # A header the application sent that is invalid: gunicorn's 500, logged with its trace.
    log.lines.clear()
    answer = _handled(worker, gunicorn_errors.InvalidResponseHeader("X-Bad"))
    assert answer.startswith(b"HTTP/1.1 500 ") and b"lang=" not in answer
    assert [level for level, _ in log.lines] == ["exception"]


@pytest.mark.engine_free
def test_a_body_gunicorn_cannot_read_is_the_clients_400_not_a_500(app, client, caplog):
    class BrokenChunks(io.BytesIO):
        """gunicorn's body reader, meeting a chunk size that is not one."""

        def read(self, *args):
            raise gunicorn_errors.InvalidChunkSize(b"zz")

        readline = readinto = read

    caplog.set_level(logging.ERROR)
    for path in ("/connexion", "/api/v1/needs"):
        response = client.post(
            path,
            input_stream=BrokenChunks(),
            content_type="application/x-www-form-urlencoded",
            headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},  # as gunicorn says of it
        )
        assert response.status_code == 400, path
        assert "Requête incorrecte" in page_text(response), page_text(response)[:600]
    assert not caplog.records  # no application error logged
