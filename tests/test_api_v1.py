"""``/api/v1``: token authentication, scopes by role, pagination, ETags, problems."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from connectences.accounts import api_tokens
from connectences.extensions import db
from connectences.models import ApiToken, Need
from tests import factories
from tests.helpers import api_token_of, audit_entries

PROBLEM = "application/problem+json"


def token_for(user, days: int = 30) -> str:
    """A live token of ``user``, issued by a fresh admin (``api_token_of``: a role the
    API does not serve gets one issued before it refused them); its secret."""
    admin = db.session.scalar(select(type(user)).where(type(user).role == "admin"))
    if admin is None:
        from connectences.accounts import create_user

        admin = create_user(db.session, "admin-jetons@exemple.fr", "admin", password=None)
    secret = api_token_of(user, actor=admin, days=days)
    db.session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(auth):
    """Two companies with a need each; a company account owning the first; a candidate
    who fits both needs; one user of every role, each with a token."""
    owner = auth.create("company")
    own_company = owner.companies[0].ref
    other = factories.company(ref="autre-entreprise")
    factories.load(
        factories.document(
            companies=[other],
            needs=[
                factories.need(ref="besoin-a", company=own_company),
                factories.need(ref="besoin-b", company="autre-entreprise"),
            ],
            candidates=[factories.candidate(ref="cv-1")],
        )
    )
    users = {"company": owner}
    for role in ("admin", "animateur", "operator", "partner", "candidate", "territoire"):
        users[role] = auth.create(role)
    return {role: token_for(user) for role, user in users.items()}


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    return body


# Roles × endpoints × record owners: the expected status for each.
# "own" is the company account's need, "other" another company's.
SCOPES = [
    # role, url, expected status
    *[(role, "/api/v1/needs/besoin-a", 200) for role in ("admin", "animateur", "company")],
    *[(role, "/api/v1/needs/besoin-b", 200) for role in ("admin", "animateur")],
    ("company", "/api/v1/needs/besoin-b", 404),
    *[(role, "/api/v1/needs/besoin-a/matches", 200) for role in ("admin", "animateur")],
    ("company", "/api/v1/needs/besoin-a/matches", 403),
    *[
        (role, url, 403)
        for role in ("operator", "partner", "candidate", "territoire")
        for url in (
            "/api/v1/needs",
            "/api/v1/needs/besoin-a",
            "/api/v1/needs/besoin-b",
            "/api/v1/needs/besoin-a/matches",
        )
    ],
]


# One test per role (a subtest per address): the world is built once per role.
@pytest.mark.parametrize("role", sorted({role for role, _url, _status in SCOPES}))
def test_each_role_reaches_exactly_its_records(client, world, subtests, role):
    for url, status in [(url, status) for who, url, status in SCOPES if who == role]:
        with subtests.test(url=url, status=status):
            response = client.get(url, headers=bearer(world[role]))
            if status == 200:
                assert response.status_code == 200, response.get_data(as_text=True)
            else:
                _problem(response, status)


@pytest.mark.parametrize(
    ("role", "refs"),
    [
        ("admin", ["besoin-a", "besoin-b"]),
        ("animateur", ["besoin-a", "besoin-b"]),
        ("company", ["besoin-a"]),
    ],
)
def test_the_list_holds_only_the_needs_in_scope(client, world, role, refs):
    body = client.get("/api/v1/needs", headers=bearer(world[role])).get_json()
    assert sorted(item["ref"] for item in body["items"]) == refs
    assert body["next_cursor"] is None


def test_a_refused_role_is_audited(client, world):
    _problem(client.get("/api/v1/needs", headers=bearer(world["operator"])), 403)
    assert [e.details["path"] for e in audit_entries("api_access_refused")] == ["/api/v1/needs"]


def test_a_need_uses_the_interchange_field_names(client, world):
    body = client.get("/api/v1/needs/besoin-a", headers=bearer(world["admin"])).get_json()
    company = db.session.scalar(select(Need).where(Need.ref == "besoin-a")).company.ref
    # What was imported comes back under the same names, with its last change.
    imported = factories.need(ref="besoin-a", company=company)
    assert body == {**imported, "status": "nouveau", "updated_at": body["updated_at"]}
    assert datetime.fromisoformat(body["updated_at"]).tzinfo is not None


def test_matches_list_the_candidates_who_fit(client, world):
    body = client.get("/api/v1/needs/besoin-a/matches", headers=bearer(world["animateur"]))
    body = body.get_json()
    assert body["need"] == "besoin-a"
    # cv-1, and the candidate account's own profile (it fits too).
    assert len(body["matches"]) == 2 and "cv-1" in [m["candidate"] for m in body["matches"]]
    assert all(0 < m["score"] <= 100 and m["explanation"] for m in body["matches"])


def test_an_unknown_need_is_a_french_404_problem(client, world):
    for url in ("/api/v1/needs/inconnu", "/api/v1/needs/inconnu/matches"):
        body = _problem(client.get(url, headers=bearer(world["admin"])), 404)
        assert "inconnu" in body["detail"]
    _problem(client.get("/api/v1/nulle-part", headers=bearer(world["admin"])), 404)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("POST", "/api/v1/needs", 405),
        ("PUT", "/api/v1/exchange", 405),
        ("DELETE", "/api/v1/needs/besoin-a", 405),
        ("GET", "/api/v1/needs/" + "é" * 300, 404),
        ("GET", "/api/v1/needs/%00", 404),
    ],
)
def test_odd_requests_are_problems_never_500(client, world, method, url, status):
    response = client.open(url, method=method, headers=bearer(world["admin"]))
    assert response.status_code in (status, 400)
    _problem(response, response.status_code)


# --------------------------------------------------------------------------- tokens


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, "manquant"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "manquant"),
        ({"Authorization": "Bearer cte_faux"}, "inconnu"),
    ],
)
def test_missing_or_unknown_tokens_get_401(client, world, headers, words):
    response = client.get("/api/v1/needs", headers=headers)
    body = _problem(response, 401)
    assert words in body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_gets_401(client, world, auth):
    secret = token_for(auth.create("animateur"), days=1)
    assert client.get("/api/v1/needs", headers=bearer(secret)).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2)):
        body = _problem(client.get("/api/v1/needs", headers=bearer(secret)), 401)
    assert "expiré" in body["detail"]


def test_a_revoked_token_gets_401_at_once(client, world):
    secret = world["admin"]
    assert client.get("/api/v1/needs", headers=bearer(secret)).status_code == 200
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.secret_hash == api_tokens.hash_secret(secret))
    )
    assert token.last_used_at is not None
    api_tokens.revoke_token(db.session, token.id, actor=token.user)
    db.session.commit()
    body = _problem(client.get("/api/v1/needs", headers=bearer(secret)), 401)
    assert "révoqué" in body["detail"]


def test_a_session_cookie_does_not_open_the_api(client, auth):
    auth.login("admin")
    _problem(client.get("/api/v1/needs"), 401)


# --------------------------------------------------------------------------- sync


def _set_updated(ref: str, moment: datetime) -> None:
    db.session.execute(db.update(Need).where(Need.ref == ref).values(updated_at=moment))
    db.session.commit()


def test_cursor_pages_walk_every_need_once_in_change_order(client, world):
    company = factories.company(ref="troisieme")
    factories.load(
        factories.document(
            companies=[company],
            needs=[factories.need(ref=f"lot-{i}", company="troisieme") for i in range(5)],
        )
    )
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for i, ref in enumerate(["lot-3", "lot-0", "besoin-b", "lot-4", "besoin-a", "lot-1", "lot-2"]):
        _set_updated(ref, start + timedelta(hours=i // 2))  # pairs share an instant
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/needs", query_string=query, headers=bearer(world["admin"]))
        body = body.get_json()
        seen += [item["ref"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    ids = {n.ref: n.id for n in db.session.scalars(select(Need))}
    assert len(seen) == len(set(seen)) == 7 and set(seen) == set(ids)
    # Instants in order; within one instant, by id.
    items = _all(client, world)
    assert [i["ref"] for i in items] == seen
    keyed = [(datetime.fromisoformat(i["updated_at"]), ids[i["ref"]]) for i in items]
    assert keyed == sorted(keyed)


@pytest.mark.parametrize("row_id", [99999999999999999999999999, 2**31, 0, -3, True, "x"])
def test_a_cursor_naming_an_id_no_record_can_have_is_refused(client, world, row_id):
    # Found by an audit: an id past what the database holds was a 500 on every list.
    raw = json.dumps(["2026-01-01T00:00:00+00:00", row_id]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for path in ("/api/v1/needs", "/api/v1/leads", "/api/v1/deletions?kind=needs"):
        response = client.get(
            f"{path}{'&' if '?' in path else '?'}cursor={cursor}", headers=bearer(world["admin"])
        )
        assert response.status_code == 422, path
        assert "Curseur invalide" in response.get_data(as_text=True)


def _all(client, world) -> list[dict]:
    query = {"limit": 200}
    return client.get(
        "/api/v1/needs", query_string=query, headers=bearer(world["admin"])
    ).get_json()["items"]


def test_updated_since_keeps_the_needs_changed_since(client, world):
    _set_updated("besoin-a", datetime(2027, 1, 10, 8, 0, tzinfo=UTC))
    _set_updated("besoin-b", datetime(2027, 1, 20, 8, 0, tzinfo=UTC))
    headers = bearer(world["admin"])

    def refs(since: str) -> list[str]:
        body = client.get("/api/v1/needs", query_string={"updated_since": since}, headers=headers)
        assert body.status_code == 200, body.get_data(as_text=True)
        return [item["ref"] for item in body.get_json()["items"]]

    assert refs("2027-01-01") == ["besoin-a", "besoin-b"]
    assert refs("2027-01-15") == ["besoin-b"]
    assert refs("2027-01-20T09:00:00+01:00") == ["besoin-b"]  # the boundary is kept
    assert refs("2027-01-20T09:00:01") == []  # no offset: Paris time
    assert refs("2027-02-01") == []


@pytest.mark.parametrize(
    ("since", "refs"),
    [
        ("2027-01-20", ["besoin-b"]),
        ("2027-01-20T09:00:00+01:00", ["besoin-b"]),
        ("2027-01-20T08:00:00Z", ["besoin-b"]),
        ("2027-01-20T08:00:00.000001Z", []),
        ("2027-01-20T08:00:00.000000+00:00", ["besoin-b"]),  # a next_updated_since
    ],
)
def test_updated_since_reads_a_date_and_the_rfc_3339_instants(client, world, since, refs):
    _set_updated("besoin-a", datetime(2027, 1, 10, 8, 0, tzinfo=UTC))
    _set_updated("besoin-b", datetime(2027, 1, 20, 8, 0, tzinfo=UTC))
    body = client.get(
        "/api/v1/needs", query_string={"updated_since": since}, headers=bearer(world["admin"])
    )
    assert body.status_code == 200, body.get_data(as_text=True)
    assert [item["ref"] for item in body.get_json()["items"]] == refs


@pytest.mark.parametrize(
    "since", ["2027-W03-3", "20270120", "2027-01-20T09", "20270120T090000Z", "2027-01-20T09:00Z"]
)
def test_updated_since_in_an_undocumented_iso_form_is_refused_in_french(client, world, since):
    """``2027-W03-3`` (a week's Wednesday) and ``20270120`` were read by Python's
    fromisoformat as 20 January: a form the API's docs never promised, which a later
    version could not take back."""
    response = client.get(
        "/api/v1/needs", query_string={"updated_since": since}, headers=bearer(world["admin"])
    )
    body = _problem(response, 422)
    (error,) = body["errors"]
    assert error["pointer"] == "/query/updated_since"
    assert "AAAA-MM-JJ" in error["detail"] and "décalage" in error["detail"]


def test_a_cursor_whose_instant_is_no_rfc_3339_one_is_refused(client, world):
    forged = base64.urlsafe_b64encode(json.dumps(["2027-W03-3T00:00:00+00:00", 1]).encode())
    response = client.get(
        "/api/v1/needs",
        query_string={"cursor": forged.decode().rstrip("=")},
        headers=bearer(world["admin"]),
    )
    assert [e["pointer"] for e in _problem(response, 422)["errors"]] == ["/query/cursor"]


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({"cursor": "pas-un-curseur"}, "/query/cursor"),
        ({"cursor": "W10"}, "/query/cursor"),  # base64 of []
        ({"cursor": "WyJ4IiwgMV0"}, "/query/cursor"),  # ["x", 1]
        ({"cursor": "x" * 500}, "/query/cursor"),
        ({"updated_since": "hier"}, "/query/updated_since"),
        ({"updated_since": "2027-13-45"}, "/query/updated_since"),
        ({"updated_since": "0001-01-01"}, "/query/updated_since"),  # before year 1 in UTC
        ({"updated_since": "9999-12-31T23:59:59-05:00"}, "/query/updated_since"),
        ({"cursor": "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiwgMV0"}, "/query/cursor"),
        ({"cursor": "WyIyMDI3LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgdHJ1ZV0"}, "/query/cursor"),
        ({"limit": "0"}, "/query/limit"),
        ({"limit": "beaucoup"}, "/query/limit"),
        ({"limit": "100000"}, "/query/limit"),
    ],
)
def test_bad_parameters_are_422_problems_in_french(client, world, query, pointer):
    response = client.get("/api/v1/needs", query_string=query, headers=bearer(world["admin"]))
    body = _problem(response, 422)
    assert [error["pointer"] for error in body["errors"]] == [pointer]
    assert not any(word in body["detail"] for word in ("Not a valid", "Must be", "Invalid"))


# --------------------------------------------------------------------------- ETag


def test_etag_answers_304_until_the_need_changes(client, world):
    headers = bearer(world["company"])
    first = client.get("/api/v1/needs/besoin-a", headers=headers)
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    again = client.get("/api/v1/needs/besoin-a", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    need = db.session.scalar(select(Need).where(Need.ref == "besoin-a"))
    need.title = "Comptabilité deux jours par semaine"
    db.session.commit()
    changed = client.get("/api/v1/needs/besoin-a", headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["title"] == "Comptabilité deux jours par semaine"


# --------------------------------------------------------------------------- document


def test_the_openapi_document_lists_every_operation(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    operations = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    routes = {
        (method, re.sub(r"<(?:\w+:)?ref>", "{ref}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api_v1.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    kinds = ("companies", "needs", "candidates", "operators", "partners", "leads", "referrals")
    assert (
        operations
        == routes
        == {
            *((method, f"/api/v1/{kind}") for kind in kinds for method in ("GET",)),
            *(("GET", f"/api/v1/{kind}/{{ref}}") for kind in kinds),
            ("GET", "/api/v1/deletions"),
            *(("GET", f"/api/v1/{kind}") for kind in ("events", "resources")),
            *(("GET", f"/api/v1/{kind}/{{ref}}") for kind in ("events", "resources")),
            *(("GET", f"/api/v1/{kind}") for kind in ("directory", "testimonials")),
            ("GET", "/api/v1/needs/{ref}/matches"),
            ("GET", "/api/v1/needs/{ref}/route"),
            ("GET", "/api/v1/pools"),
            ("GET", "/api/v1/exchange"),
            ("POST", "/api/v1/exchange"),
            ("POST", "/api/v1/needs/{ref}/status"),
            ("POST", "/api/v1/needs/{ref}/qualification"),
            ("POST", "/api/v1/needs/{ref}/leads"),
            ("POST", "/api/v1/leads/{ref}/answer"),
        }
    )
    get_need = spec["paths"]["/api/v1/needs/{ref}"]["get"]["responses"]
    assert "ETag" in get_need["200"]["headers"] and "304" in get_need
    assert PROBLEM in get_need["404"]["content"]
    assert spec["components"]["securitySchemes"]["jeton"]["scheme"] == "bearer"


def test_the_api_keeps_the_strict_csp(client, world):
    response = client.get("/api/v1/needs", headers=bearer(world["admin"]))
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_api_sets_no_cookie(client, world):
    response = client.get("/api/v1/needs/besoin-a", headers=bearer(world["company"]))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
