"""Every route has an owner rule: public on purpose, or the roles that reach it.

Walks ``app.url_map``: an endpoint that declares nothing fails here, and every declared
rule is enforced (each role outside a route's owners is refused it)."""

from __future__ import annotations

import pytest
from flask import Blueprint

from connectences import create_app
from connectences.extensions import db
from connectences.web.access import (
    ALL_ROLES,
    PUBLIC,
    TOKEN_BLUEPRINTS,
    guard_blueprint,
    route_roles,
    undeclared_endpoints,
)
from tests.helpers import api_token_of, sample_url
from tests.test_permissions import PUBLIC_ENDPOINTS


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_endpoint_declares_who_reaches_it(app):
    assert undeclared_endpoints(app) == []
    owners = {rule.endpoint: route_roles(app, rule.endpoint) for rule in app.url_map.iter_rules()}
    assert {endpoint for endpoint, roles in owners.items() if roles == PUBLIC} == PUBLIC_ENDPOINTS
    for endpoint, roles in owners.items():
        if roles != PUBLIC:
            assert roles and roles <= ALL_ROLES, endpoint
    # A few rules read as they should.
    assert owners["admin.index"] == {"admin"}
    assert owners["library.export"] == {"admin", "animateur"}
    assert owners["leads.show"] == {"operator"}
    assert owners["auth.logout"] == ALL_ROLES


def test_a_route_added_without_a_declaration_is_caught(tmp_path):
    other = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    other.add_url_rule("/oublie", "oublie", lambda: "rien")
    forgotten = Blueprint("oubli", __name__)
    forgotten.add_url_rule("/oubli/page", "page", lambda: "rien")
    other.register_blueprint(forgotten)
    assert undeclared_endpoints(other) == ["oubli.page", "oublie"]
    # Once the blueprint is guarded, it declares its owners.
    guarded = Blueprint("oubli_garde", __name__)
    guarded.add_url_rule("/oubli-garde/page", "page", lambda: "rien")
    guard_blueprint(guarded, "animateur")
    other.register_blueprint(guarded)
    assert route_roles(other, "oubli_garde.page") == {"animateur"}
    with other.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("role", sorted(ALL_ROLES))
def test_each_role_is_refused_every_route_it_does_not_own(app, auth, role):
    client = app.test_client()
    user = auth.login(role, client=client)

    def token() -> str:
        # Token-authenticated blueprints (the JSON API) get the same user's API token, a
        # fresh one each time: the admin's own routes may have revoked the last one.
        secret = api_token_of(user, days=1)
        db.session.commit()
        return secret

    wrong = []
    checked = 0
    for rule, method in _routes(app):
        roles = route_roles(app, rule.endpoint)
        if roles == PUBLIC or rule.endpoint == "auth.logout":  # logging out ends the run
            continue
        url = sample_url(app, rule)
        blueprint = rule.endpoint.rsplit(".", 1)[0]
        headers = {"Authorization": f"Bearer {token()}"} if blueprint in TOKEN_BLUEPRINTS else {}
        with client.open(url, method=method, headers=headers) as response:
            status = response.status_code
        db.session.rollback()
        if role in roles:
            # An owner is never turned away by the role guard (a missing record is a 404).
            if status == 403 and not rule.arguments:
                wrong.append(f"{method} {url}: owner refused")
        else:
            checked += 1
            if status != 403:
                wrong.append(f"{method} {url}: {status} for {role}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 10
