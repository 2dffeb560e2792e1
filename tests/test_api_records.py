"""``/api/v1`` records beyond needs: each role's token reaches exactly what the same
person reaches on the web (a table of roles × endpoints × record owners), lists page by
cursor and filter by ``updated_since``, single records carry an ETag."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from connectences import organisations
from connectences.extensions import db
from connectences.models import (
    Candidate,
    Company,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Referral,
)
from tests import factories
from tests.helpers import by_ref
from tests.test_api_v1 import _problem, bearer, token_for


@pytest.fixture
def world(auth):
    """Each organisation-bound role's own records and another organisation's: companies
    (with a need each), operators (with a lead each), partners (with a referral each);
    a consenting candidate named by both leads; one user of every role, with a token."""
    users = {role: auth.create(role) for role in ("company", "operator", "partner")}
    own = {
        "companies": users["company"].companies[0].ref,
        "operators": db.session.get(Operator, users["operator"].operator_id).ref,
        "partners": db.session.get(Partner, users["partner"].partner_id).ref,
    }
    factories.load(
        factories.document(
            companies=[factories.company(ref="autre-entreprise")],
            operators=[factories.operator(ref="autre-operateur")],
            partners=[factories.partner(ref="autre-partenaire")],
            needs=[
                factories.need(ref="besoin-a", company=own["companies"]),
                factories.need(ref="besoin-b", company="autre-entreprise"),
            ],
            candidates=[factories.candidate(ref="cv-1")],
        )
    )
    person = by_ref(Candidate, "cv-1")
    records = {}
    for key, operator, partner, need in (
        ("own", own["operators"], own["partners"], "besoin-a"),
        ("other", "autre-operateur", "autre-partenaire", "besoin-b"),
    ):
        lead = Lead(operator=by_ref(Operator, operator), reasons=["Proche"])
        lead.needs.append(LeadNeed(need=by_ref(Need, need)))
        lead.candidates.append(LeadCandidate(candidate=person, score=72.0))
        referral = Referral(partner=by_ref(Partner, partner), need=by_ref(Need, need))
        db.session.add_all([lead, referral])
        db.session.flush()
        records[key] = {
            "companies": own["companies"] if key == "own" else "autre-entreprise",
            "needs": need,
            "operators": operator,
            "partners": partner,
            "leads": str(lead.id),
            "referrals": str(referral.id),
            "candidates": "cv-1",
        }
    db.session.commit()
    for role in ("admin", "animateur", "candidate", "territoire"):
        users[role] = auth.create(role)
    return {"tokens": {role: token_for(user) for role, user in users.items()}, **records}


KINDS = ("companies", "needs", "candidates", "operators", "partners", "leads", "referrals")
# What each role reaches of each kind: "all", "own" (its organisation's only), or nothing.
REACH = {
    "admin": dict.fromkeys(KINDS, "all"),
    "animateur": dict.fromkeys(KINDS, "all"),
    "company": {"companies": "own", "needs": "own"},
    "operator": {"operators": "own", "leads": "own"},
    "partner": {"partners": "own", "referrals": "own"},
    "candidate": {},
    "territoire": {},
}


# Each role's whole table in one test (a subtest per kind and owner): the world takes
# fifty times longer to build than its two requests, once per role instead of per case.
@pytest.mark.parametrize("role", REACH)
def test_each_role_reaches_exactly_its_records(client, world, subtests, role):
    headers = bearer(world["tokens"][role])
    for kind in KINDS:
        reach = REACH[role].get(kind)
        for owner in ("own", "other"):
            with subtests.test(kind=kind, owner=owner, reach=reach):
                _reaches(client, headers, kind, world[owner][kind], owner, reach)


def _reaches(client, headers, kind: str, ref: str, owner: str, reach: str | None) -> None:
    one = client.get(f"/api/v1/{kind}/{ref}", headers=headers)
    listed = client.get(f"/api/v1/{kind}", headers=headers)
    if reach is None:
        _problem(one, 403)
        _problem(listed, 403)
        return
    refs = [item["ref"] for item in listed.get_json()["items"]]
    if reach == "all" or owner == "own":
        assert one.status_code == 200, one.get_data(as_text=True)
        assert one.get_json()["ref"] == ref
        assert ref in refs
    else:  # another organisation's record: not confirmed to exist
        _problem(one, 404)
        assert ref not in refs


@pytest.mark.parametrize("role", ["company", "operator", "partner"])
def test_an_organisation_lists_only_its_own(client, world, role):
    headers = bearer(world["tokens"][role])
    for kind in REACH[role]:
        body = client.get(f"/api/v1/{kind}", headers=headers).get_json()
        assert [item["ref"] for item in body["items"]] == [world["own"][kind]]


def test_the_staff_list_everything(client, world):
    headers = bearer(world["tokens"]["animateur"])
    counts = {
        "companies": Company,
        "needs": Need,
        "operators": Operator,
        "partners": Partner,
        "leads": Lead,
        "referrals": Referral,
    }
    for kind, model in counts.items():
        body = client.get(f"/api/v1/{kind}", headers=headers).get_json()
        stored = db.session.scalar(select(db.func.count()).select_from(model))
        assert len(body["items"]) == stored >= 2


def test_only_shareable_candidates_are_listed(client, world):
    """The CV library shares the people who consented with a confirmed address, as the
    exchange export does; the others exist but stay home."""
    factories.load(factories.document(candidates=[factories.candidate(ref="cv-sans-accord")]))
    by_ref(Candidate, "cv-sans-accord").consent = False
    db.session.commit()
    headers = bearer(world["tokens"]["admin"])
    refs = [i["ref"] for i in client.get("/api/v1/candidates", headers=headers).get_json()["items"]]
    assert "cv-1" in refs and "cv-sans-accord" not in refs
    _problem(client.get("/api/v1/candidates/cv-sans-accord", headers=headers), 404)


def test_a_candidate_carries_its_commitments(client, world):
    commitment = {"label": "Boulangerie", "hours_per_week": 10, "days": ["mon"]}
    document = factories.document(
        candidates=[factories.candidate(ref="cv-engage", commitments=[commitment])]
    )
    factories.load({**document, "format": "connectences/v1.1"})
    body = client.get(
        "/api/v1/candidates/cv-engage", headers=bearer(world["tokens"]["animateur"])
    ).get_json()
    assert body["commitments"] == [commitment]
    assert body["email"] and body["consent"] is True


def test_a_lead_names_its_operator_needs_and_candidates(client, world):
    body = client.get(
        f"/api/v1/leads/{world['own']['leads']}", headers=bearer(world["tokens"]["operator"])
    ).get_json()
    assert body["operator"] == world["own"]["operators"]
    assert body["needs"] == ["besoin-a"]
    assert body["candidates"] == [{"candidate": "cv-1", "score": 72}]
    assert body["status"] == "envoye" and body["reasons"] == ["Proche"]


@pytest.mark.parametrize("ref", ["0", "99999999", "abc", "１２", "9" * 40, "-1"])
def test_odd_lead_refs_are_404_problems(client, world, ref):
    _problem(client.get(f"/api/v1/leads/{ref}", headers=bearer(world["tokens"]["admin"])), 404)


@pytest.mark.parametrize("kind", KINDS)
def test_every_record_has_an_etag(client, world, kind):
    headers = bearer(world["tokens"]["admin"])
    revalidated(client, f"/api/v1/{kind}/{world['own'][kind]}", headers)


def revalidated(client, url: str, headers: dict) -> str:
    """The ETag of the record at ``url``, checked to answer 304 when sent back."""
    first = client.get(url, headers=headers)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    return first.headers["ETag"]


def test_updated_since_and_cursor_walk_leads(client, world):
    moments = {world["own"]["leads"]: datetime(2027, 3, 1, tzinfo=UTC)}
    moments[world["other"]["leads"]] = datetime(2027, 3, 10, tzinfo=UTC)
    for ref, moment in moments.items():
        db.session.execute(db.update(Lead).where(Lead.id == int(ref)).values(updated_at=moment))
    db.session.commit()
    headers = bearer(world["tokens"]["admin"])
    since = client.get(
        "/api/v1/leads", query_string={"updated_since": "2027-03-05"}, headers=headers
    ).get_json()
    assert [i["ref"] for i in since["items"]] == [world["other"]["leads"]]
    first = client.get("/api/v1/leads", query_string={"limit": 1}, headers=headers).get_json()
    assert [i["ref"] for i in first["items"]] == [world["own"]["leads"]]
    second = client.get(
        "/api/v1/leads",
        query_string={"limit": 1, "cursor": first["next_cursor"]},
        headers=headers,
    ).get_json()
    assert [i["ref"] for i in second["items"]] == [world["other"]["leads"]]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(("kind", "side"), [("operators", "operator"), ("partners", "partner")])
def test_a_deactivated_organisation_says_so_and_reaches_an_incremental_sync(
    client, world, kind, side
):
    """``active`` (not interchanged) tells a client which operators and partners get no
    new work; switching one off moves its updated_at, so the next ``updated_since``
    synchronisation carries the change, to the staff and to its own members."""
    model = Operator if kind == "operators" else Partner
    db.session.execute(db.update(model).values(updated_at=datetime(2026, 1, 1, tzinfo=UTC)))
    db.session.commit()
    admin = bearer(world["tokens"]["admin"])
    listed = client.get(f"/api/v1/{kind}", headers=admin).get_json()["items"]
    assert listed and all(item["active"] is True for item in listed)

    organisations.deactivate(db.session, side, world["own"][kind])
    db.session.commit()
    since = {"updated_since": "2026-06-01"}
    for token in (admin, bearer(world["tokens"][side])):
        changed = client.get(f"/api/v1/{kind}", query_string=since, headers=token).get_json()
        assert [(i["ref"], i["active"]) for i in changed["items"]] == [(world["own"][kind], False)]
    single = client.get(f"/api/v1/{kind}/{world['other'][kind]}", headers=admin).get_json()
    assert single["active"] is True


@pytest.mark.parametrize("kind", KINDS)
def test_a_list_sends_the_records_as_the_schema_documents_them(client, world, kind):
    """A list answers its records without dumping them again through its schema: each
    item is the single record's body, and the documented schema would not change a
    field of it (no field left out, none added, none written otherwise)."""
    from connectences.web.api_v1 import SCHEMAS

    headers = bearer(world["tokens"]["admin"])
    listed = client.get(f"/api/v1/{kind}?limit=100", headers=headers)
    assert listed.status_code == 200 and listed.mimetype == "application/json"
    items = {item["ref"]: item for item in listed.get_json()["items"]}
    assert world["own"][kind] in items and world["other"][kind] in items
    schema = SCHEMAS[kind]()
    for ref, item in items.items():
        assert schema.dump(item) == item
        single = client.get(f"/api/v1/{kind}/{ref}", headers=headers)
        assert single.get_json() == item


def test_a_company_token_reads_only_the_needs_its_area_shows(client, auth):
    """Anyone may type a company's SIRET on the public form: the need a stranger sent is
    not the company's until an animateur attaches its author, and one whose address is not
    confirmed is nobody's. The company's area hid both; its API token listed and read them
    (a stranger's words in the company's own feed)."""
    owner = auth.create("company")
    company = owner.companies[0].ref
    factories.load(
        factories.document(
            needs=[
                factories.need(ref="besoin-du-patron", company=company),
                factories.need(ref="besoin-d-un-inconnu", company=company),
                factories.need(ref="besoin-non-confirme", company=company),
            ]
        )
    )
    by_ref(Need, "besoin-d-un-inconnu").owner_unattached = True
    unconfirmed = by_ref(Need, "besoin-non-confirme")
    unconfirmed.source, unconfirmed.owner_email = "entreprise", "quelquun@exemple.fr"
    db.session.commit()
    headers = bearer(token_for(owner))

    listed = client.get("/api/v1/needs", headers=headers).get_json()
    assert [item["ref"] for item in listed["items"]] == ["besoin-du-patron"]
    for hidden in ("besoin-d-un-inconnu", "besoin-non-confirme"):
        _problem(client.get(f"/api/v1/needs/{hidden}", headers=headers), 404)
    assert client.get("/api/v1/needs/besoin-du-patron", headers=headers).status_code == 200
