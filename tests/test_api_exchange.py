"""``/api/v1``: a need's route, the pools of open needs, and the interchange document
in (all or nothing, idempotent) and out, with the rules of ``flask exchange``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from connectences.exchange.exporter import export_document
from connectences.extensions import db
from connectences.matching.open_bundles import pool_open_needs
from connectences.matching.routing import route_need
from connectences.models import Company, Need
from tests import factories
from tests.helpers import audit_entries
from tests.test_api_v1 import _problem, bearer, token_for


@pytest.fixture
def tokens(auth):
    return {
        role: token_for(auth.create(role)) for role in ("admin", "animateur", "company", "operator")
    }


def _post(client, token, body, content_type="application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(
        "/api/v1/exchange", data=data, content_type=content_type, headers=bearer(token)
    )


def _document():
    return factories.document(
        operators=[factories.operator(ref="ge-1")],
        partners=[factories.partner(ref="ft-1")],
        companies=[factories.company(ref="ent-1"), factories.company(ref="ent-2")],
        candidates=[factories.candidate(ref="cv-1")],
        needs=[
            factories.need(ref="b-1", company="ent-1", days=["tue"]),
            factories.need(ref="b-2", company="ent-2", days=["thu"]),
        ],
    )


def test_an_import_creates_then_changes_nothing_the_second_time(client, tokens):
    document = _document()
    first = _post(client, tokens["animateur"], document)
    assert first.status_code == 200, first.get_data(as_text=True)
    counts = first.get_json()["counts"]
    assert counts["companies"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert counts["needs"]["created"] == 2
    again = _post(client, tokens["animateur"], document).get_json()["counts"]
    assert all(c["created"] == c["updated"] == 0 for c in again.values())
    assert again["needs"]["unchanged"] == 2
    # The first import is audited with its author; the idempotent one changed nothing.
    entries = audit_entries("exchange.import")
    assert len(entries) == 1 and entries[0].actor_id is not None


def test_a_refused_document_stores_nothing_and_points_at_each_error(client, tokens):
    document = _document()
    document["needs"][1]["hours_per_week"] = 99
    del document["companies"][0]["siret"]
    response = _post(client, tokens["admin"], document)
    body = _problem(response, 422)
    assert sorted(e["pointer"] for e in body["errors"]) == [
        "/companies/0/siret",
        "/needs/1/hours_per_week",
    ]
    assert all(e["detail"] for e in body["errors"])
    assert "rien n'a été enregistré" in body["detail"]
    assert db.session.scalars(select(Company.ref).where(Company.ref.like("ent-%"))).all() == []


@pytest.mark.parametrize("bad", [200, 201])
def test_a_refused_document_lists_its_first_200_errors_and_counts_the_others(client, tokens, bad):
    """120,000 bad SIRETs were answered with 120,000 errors: every one is counted, the
    first 200 listed, then one error at the document's pointer says how many are left."""
    document = factories.document(
        companies=[factories.company(ref=f"faux-{i}", siret="90412345200017") for i in range(bad)]
    )
    body = _problem(_post(client, tokens["admin"], document), 422)
    assert body["detail"] == f"Document refusé : {bad} erreurs, rien n'a été enregistré."
    listed = [f"/companies/{i}/siret" for i in range(200)]
    assert [e["pointer"] for e in body["errors"]] == listed + [""] * (bad - 200)
    assert body["errors"][199]["detail"] == "SIRET invalide (clé de contrôle)."
    if bad == 201:
        assert body["errors"][200]["detail"] == (
            "… et 1 autre erreur (seules les 200 premières sont listées)."
        )
    assert db.session.scalars(select(Company.ref).where(Company.ref.like("faux-%"))).all() == []


def test_a_document_with_a_skill_the_law_forbids_stores_nothing(client, tokens):
    document = _document()
    document["needs"][0]["skills"] = ["comptabilité générale", "moins de 30 ans"]
    body = _problem(_post(client, tokens["animateur"], document), 422)
    assert body["errors"] == [
        {
            "pointer": "/needs/0/skills/1",
            "detail": "« moins de 30 ans » : la plateforme ne tient jamais compte de l'âge "
            "(critère interdit par la loi, article L1132-1 du Code du travail). Retirez-le.",
        }
    ]
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0
    assert db.session.scalars(select(Company.ref).where(Company.ref.like("ent-%"))).all() == []


@pytest.mark.parametrize(
    "data",
    [b"{pas du json", b"\xff\xfe", b"[" * 100_000, b"[]", b'{"format": "autre"}', b""],
)
def test_a_broken_body_is_a_422_problem(client, tokens, data):
    body = _problem(_post(client, tokens["admin"], data), 422)
    assert body["errors"] and all("pointer" in e for e in body["errors"])


def test_import_and_export_are_for_the_staff(client, tokens):
    for role in ("company", "operator"):
        _problem(_post(client, tokens[role], _document()), 403)
        _problem(client.get("/api/v1/exchange", headers=bearer(tokens[role])), 403)
    assert db.session.scalars(select(Company.ref).where(Company.ref.like("ent-%"))).all() == []


def test_the_export_is_the_exchange_export_and_is_audited(client, tokens):
    factories.load(_document())
    response = client.get("/api/v1/exchange", headers=bearer(tokens["admin"]))
    assert response.status_code == 200
    assert response.get_json() == export_document(db.session)
    assert [e.details["needs"] for e in audit_entries("exchange.export")] == [2]
    # What comes out goes back in unchanged.
    again = _post(client, tokens["admin"], response.get_data()).get_json()["counts"]
    exported = response.get_json()
    assert {name: c["unchanged"] for name, c in again.items()} == {
        name: len(exported[name]) for name in again
    }
    assert sum(c["created"] + c["updated"] for c in again.values()) == 0


def test_the_api_export_is_the_cli_export_byte_for_byte(client, runner, tokens):
    doc = _document()
    doc["candidates"][0]["skills"] = ["Comptabilité générale", "paie"]  # not ASCII
    factories.load(doc)
    response = client.get("/api/v1/exchange", headers=bearer(tokens["admin"]))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    cli = runner.invoke(args=["exchange", "export"])
    assert cli.exit_code == 0, cli.output
    assert response.get_data() == cli.stdout_bytes
    assert response.get_data().startswith(b'{\n  "format": "connectences/v1.1",\n')


def test_a_need_route_is_the_routing_rule(client, tokens):
    factories.load(_document())
    body = client.get("/api/v1/needs/b-1/route", headers=bearer(tokens["animateur"])).get_json()
    assert body == route_need("b-1") and body["decision"] == "operator" and body["reasons"]
    _problem(client.get("/api/v1/needs/b-1/route", headers=bearer(tokens["company"])), 403)
    _problem(client.get("/api/v1/needs/nul/route", headers=bearer(tokens["admin"])), 404)


def test_a_route_without_any_partner_is_written_null_as_the_api_document_says(client, tokens):
    document = _document()
    del document["partners"]
    document["needs"][0].update(hours_per_week=35, contract="cdi")
    factories.load(document)
    body = client.get("/api/v1/needs/b-1/route", headers=bearer(tokens["animateur"])).get_json()
    assert body == route_need("b-1")
    assert body["decision"] == "reorientation" and body["partner"] is None
    assert "Aucun partenaire actif n'est enregistré" in body["reasons"][-1]
    # What the response carries, its OpenAPI document allows: a client that checks the
    # answer against it does not reject the null.
    spec = client.get("/api/v1/openapi.json").get_json()
    route_schema = spec["components"]["schemas"]["Route"]["properties"]
    assert route_schema["partner"]["type"] == ["string", "null"]
    assert route_schema["operator"]["type"] == "string"


def test_pools_bundle_the_open_needs(client, tokens):
    factories.load(_document())
    body = client.get("/api/v1/pools", headers=bearer(tokens["animateur"])).get_json()
    assert body == {**pool_open_needs(details=True), "next_cursor": None}
    assert [b["needs"] for b in body["bundles"]] == [["b-1", "b-2"]]
    assert db.session.scalar(select(func.count()).select_from(Need)) == 2
    _problem(client.get("/api/v1/pools", headers=bearer(tokens["operator"])), 403)


def test_the_interchange_pool_knows_no_do_not_solicit_choice(client, tokens, runner):
    """The spec's pool has no exception for a company that asked not to be prospected:
    the API's and the command line's pools bundle its needs as any other (the animateurs'
    page sets them apart, since no proposal may reach it: tests/test_web_bundles.py)."""
    from connectences.matching.open_bundles import open_need_bundles

    document = _document()
    for company in document["companies"]:
        company["do_not_solicit"] = True
    factories.load(document)
    body = client.get("/api/v1/pools", headers=bearer(tokens["animateur"])).get_json()
    assert [b["needs"] for b in body["bundles"]] == [["b-1", "b-2"]]
    assert body == {**pool_open_needs(details=True), "next_cursor": None}
    printed = runner.invoke(args=["pool", "--json"])
    assert printed.exit_code == 0, printed.output
    assert [b["needs"] for b in json.loads(printed.output)["bundles"]] == [["b-1", "b-2"]]
    # The bundles the platform proposes leave them out.
    assert open_need_bundles().bundles == []


def test_do_not_solicit_set_by_the_api_is_recorded_as_a_preferences_change(client, tokens, auth):
    """Found by a check: a document setting ``do_not_solicit`` left no
    ``company.preferences`` entry, so the company page named an older change as the last,
    and its planned follow-ups stayed open. Now it goes through ``set_preferences``."""
    from datetime import date

    from connectences.models import Visit
    from connectences.prospection.companies import (
        PREFERENCES_BY_IMPORT,
        preferences_last_set,
        set_preferences,
    )

    document = factories.document(companies=[factories.company(ref="ent-1")])
    assert _post(client, tokens["admin"], document).status_code == 200
    company = db.session.scalar(select(Company).where(Company.ref == "ent-1"))
    staff = auth.create("animateur", email="ancienne@pays.fr")
    set_preferences(
        db.session,
        company,
        do_not_solicit=False,
        newsletter_consent=True,
        max_contacts_per_month=None,
        actor=staff,
    )
    visit = Visit(
        company_id=company.id,
        animateur_id=staff.id,
        channel="porte_a_porte",
        visited_on=date(2026, 3, 2),
        follow_up_on=date(2026, 3, 16),
    )
    db.session.add(visit)
    db.session.commit()

    document["companies"][0]["do_not_solicit"] = True
    response = _post(client, tokens["animateur"], document)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["counts"]["companies"]["updated"] == 1
    db.session.expire_all()
    entries = audit_entries("company.preferences")
    assert len(entries) == 2
    last = entries[-1]
    assert last.entity_id == company.id and last.actor_id not in (None, staff.id)
    assert last.details["source"] == PREFERENCES_BY_IMPORT
    assert last.details["before"]["do_not_solicit"] is False
    # The other preferences are kept as they were.
    assert last.details["after"] == {
        "do_not_solicit": True,
        "newsletter_consent": True,
        "max_contacts_per_month": None,
    }
    assert db.session.get(Visit, visit.id).follow_up_closed_at is not None
    said = preferences_last_set(db.session, db.session.get(Company, company.id))
    assert said.by.endswith("(import d'un document d'échange)") and not said.by_owner
    assert "ancienne@pays.fr" not in said.by
    # The same document again changes nothing and writes no entry.
    assert _post(client, tokens["animateur"], document).status_code == 200
    assert len(audit_entries("company.preferences")) == 2
