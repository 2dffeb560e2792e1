"""The API's rate limit per token: counted in the database, so that every worker (here,
two application instances on one database) sees the same count; 429 with Retry-After."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from connectences import create_app
from connectences.accounts import throttle
from connectences.extensions import db
from tests import known_secrets
from tests.helpers import recorded_statements
from tests.test_api_v1 import _problem, bearer, token_for

LIMIT = 3


@pytest.fixture
def two_workers(app, monkeypatch):
    """The suite's application and a second one on the same database, both allowing
    LIMIT requests a minute per token."""
    monkeypatch.setitem(app.config, "API_MAX_REQUESTS", LIMIT)
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": known_secrets.SECRET_KEY,
            "API_MAX_REQUESTS": LIMIT,
        }
    )
    yield app.test_client(), other.test_client()
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_limit_is_shared_by_two_workers(two_workers, auth):
    first, second = two_workers
    secret = token_for(auth.create("animateur"), days=365)
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        statuses = [
            client.get("/api/v1/needs", headers=bearer(secret)).status_code
            for client in (first, second, first)
        ]
        assert statuses == [200, 200, 200]
        refused = second.get("/api/v1/needs", headers=bearer(secret))
        body = _problem(refused, 429)
        assert refused.headers["Retry-After"] == "60"
        assert "réessayez dans 60 s" in body["detail"]
        _problem(first.get("/api/v1/needs", headers=bearer(secret)), 429)
    with time_machine.travel(start + timedelta(seconds=45), tick=False):
        assert second.get("/api/v1/needs", headers=bearer(secret)).headers["Retry-After"] == "15"
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert first.get("/api/v1/needs", headers=bearer(secret)).status_code == 200


def test_each_token_has_its_own_count(two_workers, auth):
    first, second = two_workers
    one, other = (token_for(auth.create("animateur"), days=365) for _ in range(2))
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        for _ in range(LIMIT):
            assert first.get("/api/v1/needs", headers=bearer(one)).status_code == 200
        _problem(second.get("/api/v1/needs", headers=bearer(one)), 429)
        assert second.get("/api/v1/needs", headers=bearer(other)).status_code == 200


def test_a_refused_token_is_not_counted(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_REQUESTS", 1)
    for _ in range(3):
        _problem(client.get("/api/v1/needs", headers=bearer("cte_inconnu")), 401)


def test_the_counter_starts_a_new_window_once_the_last_is_over(app):
    policy = throttle.RatePolicy(limit=2, window_seconds=60)
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with app.app_context():
        key = throttle.api_key(999)
        waits = [
            throttle.take_request(db.session, key, policy, now=start + timedelta(seconds=s))
            for s in (0, 10, 20, 59, 60, 61)
        ]
        db.session.rollback()
    # Two in the window; then waits until its end; at 60 s the window still holds (its
    # boundary is kept), at 61 s a new one starts.
    assert waits == [None, None, 40, 1, 1, None]


def test_a_request_is_authenticated_and_counted_in_two_statements(client, auth):
    """The token is read with its owner in one statement; the count is one upsert that
    returns the window's count (no second read): the rest of the request is the page's."""
    secret = token_for(auth.create("animateur"), days=365)
    client.get("/api/v1/needs", headers=bearer(secret))  # its last use, recorded once
    with recorded_statements(lambda sql: "api_token" in sql or "login_throttle" in sql) as sent:
        assert client.get("/api/v1/needs", headers=bearer(secret)).status_code == 200
    assert len(sent) == 2, sent
    assert re.search(r'JOIN "?user"?', sent[0])
    assert "RETURNING" in sent[1]
