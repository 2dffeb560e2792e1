"""A bundle placed company by company (``leads.record_placement(company_hours=...)``):
the companies agreed other hours than their needs' (7 h + 14 h became 10 h + 11 h); one
commitment per company is written with its own hours and its need's days, the operator
confirms hours other than the needs' (and again for another sharing), each company's
hours are refused beside their own field, and the person leaving one company gives back
that company's hours, not its need's."""

from __future__ import annotations

import copy
import math

import pytest

from connectences.exchange import export_document, import_document, validate
from connectences.extensions import db
from connectences.matching import week
from connectences.matching.data import candidate_from_model
from connectences.models import Candidate, Commitment, Lead, Need, Operator, Placement
from connectences.workflows import TransitionError
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead
from tests.helpers import by_ref, count, sent_on
from tests.test_follow_up import NOW, START, TODAY, frozen, people

__all__ = ["NOW", "frozen", "people"]  # the fixtures, used by name


def _bundle(people) -> Lead:
    """``ok`` proposed by ``ge`` for n1 (7 h on Tuesday) and n2 (14 h on Thursday)."""
    animateur, member = people
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
        actor=animateur,
    )
    sent_on(lead, START)
    flow.accept(db.session, lead, member)
    db.session.commit()
    return lead


def _record(lead, **kw) -> Placement:
    """``ok`` placed in both needs of ``lead`` (CDI from START), ``kw`` given or changed."""
    return flow.record_placement(
        db.session,
        lead,
        **{
            "candidate": by_ref(Candidate, "ok"),
            "needs": [by_ref(Need, "n1"), by_ref(Need, "n2")],
            "contract": "cdi",
            "start_date": START,
            **kw,
        },
    )


def _place(people, lead, n1_hours, n2_hours, **kw) -> Placement:
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    hours = {n1.id: n1_hours, n2.id: n2_hours}
    placement = _record(lead, company_hours=hours, actor=people[1], **kw)
    db.session.commit()
    return placement


def _confirmation(n1_hours, n2_hours) -> str:
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    return flow.placement_confirmation(
        by_ref(Candidate, "ok").id, n1_hours + n2_hours, [(n1, n1_hours), (n2, n2_hours)]
    )


def _held() -> list[tuple[float, list[str], int | None]]:
    return sorted(
        (c.hours_per_week, c.days, c.need_id) for c in by_ref(Candidate, "ok").commitments
    )


def test_each_company_s_hours_are_written_in_its_own_commitment(people):
    lead = _bundle(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    placement = _place(people, lead, 10, 11, confirmed=_confirmation(10, 11))
    assert _held() == [(10, ["tue"], n1.id), (11, ["thu"], n2.id)]
    assert placement.hours_per_week == 21
    assert flow.placement_hours(placement) == 21
    assert flow.placement_companies(placement) == (
        f"{n1.company.name} 10 h le mardi, {n2.company.name} 11 h le jeudi"
    )
    # The interchange exports one commitment per company, at its hours, valid; importing
    # the export again changes nothing (the placement's commitments kept as they are).
    exported = export_document(db.session)
    assert validate(exported) == []
    ok = next(c for c in exported["candidates"] if c["ref"] == "ok")
    assert sorted((c["hours_per_week"], tuple(c["days"])) for c in ok["commitments"]) == [
        (10, ("tue",)),
        (11, ("thu",)),
    ]
    assert import_document(copy.deepcopy(exported)).changed == 0
    assert _held() == [(10, ["tue"], n1.id), (11, ["thu"], n2.id)]


def test_other_hours_than_the_needs_are_confirmed_and_another_sharing_asked_again(people):
    """The same 21 h as the needs', shared otherwise (10 h + 11 h, not 7 h + 14 h): the
    operator is told each company's hours and confirms them; confirmed for 10 h + 11 h,
    sent as 11 h + 10 h, or with the total's confirmation only, it is asked again."""
    lead = _bundle(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    c1, c2 = n1.company.name, n2.company.name
    with pytest.raises(flow.PlacementOverWeek) as asked:
        _place(people, lead, 10, 11)
    db.session.rollback()
    first, second = sorted([(c1, "7 h"), (c2, "14 h")])
    assert asked.value.message.startswith(
        f"Les besoins choisis font 21 h par semaine en tout ({first[0]} {first[1]}, "
        f"{second[0]} {second[1]}), vous indiquez 21 h ("
    )
    assert (
        f": sera enregistré un engagement par entreprise, 10 h par semaine le mardi ({c1}) ; "
        f"11 h par semaine le jeudi ({c2})." in asked.value.message
    )
    assert asked.value.confirmation == _confirmation(10, 11)
    assert f"{c1} 10 h" in asked.value.split and f"{c2} 11 h" in asked.value.split
    total_only = flow.placement_confirmation(by_ref(Candidate, "ok").id, 21)
    for sent, confirmed in (((11, 10), _confirmation(10, 11)), ((10, 11), total_only)):
        with pytest.raises(flow.PlacementOverWeek) as again:
            _place(people, lead, *sent, confirmed=confirmed)
        db.session.rollback()
        assert again.value.confirmation == _confirmation(*sent)
    assert count(Commitment) == 0 and by_ref(Need, "n1").status == "propose"
    _place(people, lead, 11, 10, confirmed=_confirmation(11, 10))
    assert _held() == [(10, ["thu"], n2.id), (11, ["tue"], n1.id)]


def test_at_each_need_s_hours_nothing_is_asked(people):
    lead = _bundle(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    _place(people, lead, 7, 14)
    assert _held() == [(7, ["tue"], n1.id), (14, ["thu"], n2.id)]


@pytest.mark.parametrize("bad", [0, 0.5, 49, math.nan, math.inf, None])
def test_each_company_s_hours_are_refused_beside_their_own_field(people, bad):
    lead = _bundle(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    hours = {n1.id: 8} if bad is None else {n1.id: 8, n2.id: bad}
    with pytest.raises(TransitionError) as refused:
        _record(lead, company_hours=hours, confirmed="anything")
    db.session.rollback()
    assert refused.value.errors == {flow.company_hours_field(n2.id): flow.PLACEMENT_HOURS}
    assert count(Commitment) == 0 and by_ref(Need, "n2").status == "propose"


def test_every_wrong_company_s_hours_is_said_at_once(people):
    lead = _bundle(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    with pytest.raises(TransitionError) as refused:
        _record(lead, company_hours={n1.id: 0, n2.id: 60}, contract="")
    db.session.rollback()
    assert set(refused.value.errors) == {
        flow.company_hours_field(n1.id),
        flow.company_hours_field(n2.id),
        "contract",
    }


def test_a_total_and_each_company_s_hours_together_is_a_caller_s_mistake(people):
    lead = _bundle(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    with pytest.raises(ValueError):
        _record(lead, hours_per_week=21, company_hours={n1.id: 7, n2.id: 14})


def test_leaving_one_company_gives_back_its_own_hours(people):
    """Placed 10 h at n1's company (its need says 7 h) and 11 h at n2's: leaving n1's
    company frees 10 h, and the placement goes on at 11 h."""
    _animateur, member = people
    lead = _bundle(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    placement = _place(people, lead, 10, 11, confirmed=_confirmation(10, 11))
    last_day = TODAY.replace(day=10)
    flow.end_at_company(
        db.session, placement, n1.id, last_day=last_day, reason="Départ", actor=member
    )
    db.session.commit()
    ended = flow.company_commitment(placement, n1)
    assert ended.until == last_day and ended.hours_per_week == 10
    assert flow.placement_hours(placement) == 11
    assert flow.placement_companies(placement) == f"{n2.company.name} 11 h le jeudi"
    person = candidate_from_model(by_ref(Candidate, "ok"))
    assert week.free_hours(person, TODAY) == person.hours_max - 11
