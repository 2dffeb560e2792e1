"""Incremental synchronisation through ``/api/v1``: what changed since a date, and the
tombstones of what was deleted since (``/api/v1/deletions``), each in the token's scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from connectences.cvtheque.erase import erase_candidate
from connectences.cvtheque.merge import merge_candidates
from connectences.extensions import db
from connectences.models import (
    Candidate,
    Company,
    Deletion,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Operator,
)
from connectences.needs.register import delete_unconfirmed
from tests import factories
from tests.helpers import by_ref
from tests.test_api_v1 import _problem, bearer, token_for

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(auth):
    owner = auth.create("company")
    users = {"company": owner, "other_company": auth.create("company")}
    for role in ("admin", "animateur", "operator"):
        users[role] = auth.create(role)
    factories.load(
        factories.document(
            candidates=[factories.candidate(ref="cv-1"), factories.candidate(ref="cv-2")],
            needs=[factories.need(ref="besoin-a", company=owner.companies[0].ref)],
        )
    )
    return {
        "tokens": {role: token_for(user) for role, user in users.items()},
        "company": owner.companies[0],
        "other_company": users["other_company"].companies[0],
        "operator": db.session.get(Operator, users["operator"].operator_id),
    }


def _deletions(client, token, kind, since="2026-01-01"):
    response = client.get(
        "/api/v1/deletions",
        query_string={"kind": kind, "updated_since": since},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(item["kind"], item["ref"]) for item in response.get_json()["items"]]


def _unconfirmed_need(company: Company, ref: str) -> None:
    db.session.add(
        factories.need_row(
            company, ref=ref, source="entreprise", created_at=T0 - timedelta(days=40)
        )
    )
    db.session.commit()


def test_an_erased_person_is_reported_to_the_staff_since_then(client, world):
    with time_machine.travel(T0, tick=False):
        erase_candidate(db.session, by_ref(Candidate, "cv-1"), reason="demande de la personne")
        db.session.commit()
    tokens = world["tokens"]
    assert _deletions(client, tokens["animateur"], "candidates") == [("candidates", "cv-1")]
    assert (
        _deletions(client, tokens["admin"], "candidates", since="2027-03-01T10:00:01+01:00") == []
    )
    refs = [
        i["ref"]
        for i in client.get("/api/v1/candidates", headers=bearer(tokens["admin"])).get_json()[
            "items"
        ]
    ]
    assert "cv-1" not in refs and "cv-2" in refs
    # The tombstone holds the ref only, nothing personal.
    row = db.session.scalar(db.select(Deletion))
    assert (row.kind, row.ref, row.deleted_at) == ("candidates", "cv-1", T0)
    _problem(
        client.get(
            "/api/v1/deletions",
            query_string={"kind": "candidates"},
            headers=bearer(tokens["company"]),
        ),
        403,
    )


def test_a_lead_naming_an_erased_person_changes(client, world):
    lead = Lead(operator=world["operator"])
    lead.needs.append(LeadNeed(need=by_ref(Need, "besoin-a")))
    lead.candidates.append(LeadCandidate(candidate=by_ref(Candidate, "cv-1")))
    db.session.add(lead)
    db.session.commit()
    db.session.execute(db.update(Lead).values(updated_at=T0 - timedelta(days=1)))
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        erase_candidate(db.session, by_ref(Candidate, "cv-1"), reason="retention")
        db.session.commit()
    body = client.get(
        "/api/v1/leads",
        query_string={"updated_since": T0.isoformat()},
        headers=bearer(world["tokens"]["operator"]),
    ).get_json()
    assert [(i["ref"], i["candidates"]) for i in body["items"]] == [(str(lead.id), [])]


def test_a_merged_away_record_is_a_tombstone(client, world):
    merge_candidates(db.session, by_ref(Candidate, "cv-2"), by_ref(Candidate, "cv-1"), actor=None)
    db.session.commit()
    assert _deletions(client, world["tokens"]["admin"], "candidates") == [("candidates", "cv-1")]


def test_a_deleted_need_is_reported_to_its_company_only(client, world):
    _unconfirmed_need(world["company"], "public-a")
    _unconfirmed_need(world["other_company"], "public-b")
    tokens = world["tokens"]
    # Before: not listed to the company, whose area does not show it either (until its
    # address is confirmed, a need sent on the public form is nobody's); its tombstone is
    # harmless to a copy that never held it.
    listed = client.get("/api/v1/needs", headers=bearer(tokens["company"])).get_json()["items"]
    assert "public-a" not in [i["ref"] for i in listed]
    with time_machine.travel(T0, tick=False):
        assert delete_unconfirmed(db.session, T0 - timedelta(days=30)) == 2
        db.session.commit()
    assert _deletions(client, tokens["company"], "needs") == [("needs", "public-a")]
    assert _deletions(client, tokens["other_company"], "needs") == [("needs", "public-b")]
    assert sorted(_deletions(client, tokens["animateur"], "needs")) == [
        ("needs", "public-a"),
        ("needs", "public-b"),
    ]
    assert _deletions(client, tokens["company"], "needs", since="2027-03-02") == []


def test_a_sync_round_mirrors_changes_and_deletions(client, world):
    """Another platform's loop: records changed since its last run, then tombstones since
    then; its copy ends equal to what the token reaches."""
    token = world["tokens"]["animateur"]
    copy = {
        i["ref"]: i
        for i in client.get("/api/v1/candidates", headers=bearer(token)).get_json()["items"]
    }
    last_run = "2027-03-01T09:00:00+00:00"
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        erase_candidate(db.session, by_ref(Candidate, "cv-2"), reason="demande")
        factories.load(factories.document(candidates=[factories.candidate(ref="cv-3")]))
    changed = client.get(
        "/api/v1/candidates", query_string={"updated_since": last_run}, headers=bearer(token)
    ).get_json()["items"]
    copy.update({i["ref"]: i for i in changed})
    for _, ref in _deletions(client, token, "candidates", since=last_run):
        copy.pop(ref)
    now = client.get("/api/v1/candidates", headers=bearer(token)).get_json()["items"]
    assert copy == {i["ref"]: i for i in now}
    assert sorted(copy) == ["cv-1", "cv-3"]


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({}, "/query/kind"),
        ({"kind": "vélos"}, "/query/kind"),
        ({"kind": "needs", "limit": 0}, "/query/limit"),
    ],
)
def test_bad_deletion_queries_are_422(client, world, query, pointer):
    response = client.get(
        "/api/v1/deletions", query_string=query, headers=bearer(world["tokens"]["admin"])
    )
    body = _problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == [pointer]
