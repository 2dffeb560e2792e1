"""The follow-up of a placement as a rule of the domain: points answered in order, and an
answer "le recrutement ne tient pas" that ends the placement honestly (its last day, the
person's commitment and status, the later points, the need, the animateur told), or
changes nothing when refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from connectences import workflows
from connectences.accounts import create_user
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import (
    Candidate,
    CandidateEvent,
    Commitment,
    FollowUpPoint,
    Need,
    Operator,
    OutboxMessage,
    Placement,
    Transition,
)
from connectences.workflows import NEED, TransitionError
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead
from tests import factories as f
from tests.helpers import by_ref, count
from tests.known_secrets import PASSWORD

# Every test of this module lives on 15 June 2027, noon in Arcachon.
NOW = datetime(2027, 6, 15, 10, 0, tzinfo=UTC)
TODAY = date(2027, 6, 15)
START = date(2027, 1, 4)  # the 1-month and 3-month points are due, the 6-month one not yet


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people():
    """The animateur who sends the lead, and a member of the operator who answers it."""
    f.load(f.dispatch_document(candidates=[f.candidate(ref="other", days=["tue", "thu"])]))
    animateur = create_user(
        db.session, "anim@exemple.fr", "animateur", password=PASSWORD, full_name="Anne Imateur"
    )
    member = create_user(
        db.session,
        "olivia@ge.fr",
        "operator",
        password=PASSWORD,
        org_ref="ge",
        full_name="Olivia Opératrice",
    )
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), NEED, "qualifie")
    db.session.commit()
    return animateur, member


def _placed(people, *, contract="cdi", refs=("n1",), start=START, who="ok") -> Placement:
    """The candidate ``who`` placed by ``ge`` in the needs ``refs``, from ``start``."""
    animateur, member = people
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, r) for r in refs],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, who)],
        actor=animateur,
    )
    flow.accept(db.session, lead, member)
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, who),
        needs=[by_ref(Need, r) for r in refs],
        hours_per_week=7 * len(refs),
        contract=contract,
        start_date=start,
        actor=member,
    )
    db.session.commit()
    return placement


def _point(placement: Placement, months: int) -> FollowUpPoint:
    return next(p for p in placement.follow_ups if p.months == months)


def _answer(point, member, *, holds=True, **values):
    return flow.record_follow_up(
        db.session,
        point,
        company_feedback=values.pop("company_feedback", "Retour de l'entreprise"),
        candidate_feedback=values.pop("candidate_feedback", None),
        holds=holds,
        actor=member,
        **values,
    )


def _state(placement: Placement) -> dict:
    """What an answer may change, read again from the database."""
    db.session.expire_all()
    person = by_ref(Candidate, "ok")
    commitment = db.session.scalars(
        select(Commitment).where(Commitment.placement_id == placement.id)
    ).one()
    return {
        "points": [
            (p.months, p.done_at is not None, p.holds, p.done_by_id)
            for p in db.session.get(Placement, placement.id).follow_ups
        ],
        "ended": (placement.ended_on, placement.ended_by),
        "until": commitment.until,
        "status": person.status,
        "needs": {need.ref: need.status for need in db.session.scalars(select(Need))},
        "mails": count(OutboxMessage),
        "log": count(Transition),
        "history": count(CandidateEvent),
    }


# --- in order --------------------------------------------------------------------------


def test_a_point_waits_for_the_earlier_ones_and_names_the_first_to_record(people):
    placement = _placed(people)
    member = people[1]
    before = _state(placement)
    for months in (3, 6):
        with pytest.raises(TransitionError) as refused:
            _answer(_point(placement, months), member)
        assert refused.value.message == "Enregistrez d'abord le suivi à 1 mois."
        db.session.rollback()
    assert _state(placement) == before

    _answer(_point(placement, 1), member)
    db.session.commit()
    with pytest.raises(TransitionError, match=r"^Enregistrez d'abord le suivi à 3 mois\.$"):
        _answer(_point(placement, 6), member, holds=False)
    db.session.rollback()
    assert [p[1] for p in _state(placement)["points"]] == [True, False, False]
    assert flow.point_to_record(db.session.get(Placement, placement.id)).months == 3


def test_an_answer_records_its_author(people):
    placement = _placed(people)
    _answer(_point(placement, 1), people[1])
    db.session.commit()
    assert _state(placement)["points"][0] == (1, True, True, people[1].id)


# --- "ne tient pas" ----------------------------------------------------------------------


# --- what else reads the points ----------------------------------------------------------


def _run_follow_ups(now: datetime) -> dict:
    with time_machine.travel(now, tick=False):
        return execute(JOBS_BY_ID["follow_ups"], now=now)
