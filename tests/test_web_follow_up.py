"""A placement's follow-up on the lead page, through the client: the point to record
next, an answer "ne tient pas" with its last day and the need searched again or not,
who recorded each point, what a wrong date or a wrong user gets, and nothing changed
when refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import (
    Candidate,
    Commitment,
    FollowUpPoint,
    Need,
    OutboxMessage,
    Placement,
    Transition,
    User,
)
from connectences.workflows import leads as flow
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import by_ref, count, lead_by_refs, page_text

TODAY = local_today()
START = TODAY - timedelta(days=100)  # the 1-month and 3-month points are due


@pytest.fixture
def world(auth):
    """``ok`` placed by ``ge`` in n1 from START (an open-ended contract), the lead sent
    by an animateur; a member of ``ge`` logged in."""
    f.load(f.dispatch_document(candidates=[]))
    animateur = auth.create("animateur", email="anim@exemple.fr", full_name="Anne Imateur")
    workflows.transition(db.session, by_ref(Need, "n1"), workflows.NEED, "qualifie")
    lead = lead_by_refs(animateur, "n1", "ge", "ok")
    flow.accept(db.session, lead)
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1")],
        hours_per_week=7,
        contract="cdi",
        start_date=START,
    )
    db.session.commit()
    member = auth.login("operator", org_ref="ge", full_name="Olivia Opératrice")
    points = {p.months: p.id for p in placement.follow_ups}
    return {"lead": lead.id, "placement": placement.id, "points": points, "member": member}


def _url(world, months=None) -> str:
    url = f"/operateur/propositions/{world['lead']}"
    return url if months is None else f"{url}/suivi/{world['points'][months]}"


def _post(client, world, months, data):
    token = csrf_token_from(client.get(_url(world)).get_data(as_text=True))
    return client.post(_url(world, months), data={**data, "csrf_token": token} if token else data)


NOT_HOLDING = {"entreprise": "La personne ne vient plus", "personne": "", "tient": "non"}


def _stored(world) -> dict:
    """Everything an answer may change, read again."""
    db.session.expire_all()
    placement = db.session.get(Placement, world["placement"])
    commitment = db.session.scalars(
        select(Commitment).where(Commitment.placement_id == placement.id)
    ).one()
    return {
        "points": [(p.months, p.done_at, p.holds, p.done_by_id) for p in placement.follow_ups],
        "ended": (placement.ended_on, placement.ended_by),
        "until": commitment.until,
        "status": by_ref(Candidate, "ok").status,
        "need": by_ref(Need, "n1").status,
        "mails": count(OutboxMessage),
        "log": count(Transition),
    }


def test_a_later_point_sent_first_is_refused_naming_the_earlier_one(client, world):
    before = _stored(world)
    response = _post(client, world, 3, {**NOT_HOLDING, "relancer": "1"})
    assert response.status_code == 422
    assert "Enregistrez d'abord le suivi à 1 mois." in page_text(response)
    assert _stored(world) == before


def test_a_point_says_who_recorded_it_and_when_even_once_deleted(client, world):
    _post(client, world, 1, {"entreprise": "Bien", "tient": "oui"})
    page = page_text(client.get(_url(world)))
    assert f"Enregistré le {TODAY:%d/%m/%Y} par Olivia Opératrice" in page
    # An account deleted by hand in the database: the point keeps its answer.
    other = User(email="ancien@ge.fr", role="operator")
    db.session.add(other)
    db.session.flush()
    point = db.session.get(FollowUpPoint, world["points"][1])
    point.done_by_id = other.id
    db.session.commit()
    db.session.delete(other)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(FollowUpPoint, world["points"][1]).done_by_id is None
    page = page_text(client.get(_url(world)))
    assert f"Enregistré le {TODAY:%d/%m/%Y} (auteur inconnu)" in page
