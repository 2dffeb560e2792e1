"""Interchange v1.1 hard constraints: free hours and free days on the need's start.

The plain checks (``matching.constraints``), the scorer and the columnar index
must say the same thing at every boundary.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from connectences.bench.synth import Generator
from connectences.matching import week
from connectences.matching.constraints import hard_constraint_checks, passes_hard_constraints
from connectences.matching.data import CandidateData, CommitmentData
from connectences.matching.index import CandidateIndex
from connectences.matching.score import explanation, rank_candidates
from tests.test_match import START, make_cand, make_need

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


def tuesday(hours: float = 8, until: date | None = None, label: str | None = "GE Bassin Emploi"):
    return CommitmentData(hours_per_week=hours, days=frozenset({"tue"}), until=until, label=label)


def person(**kw) -> CandidateData:
    """Wants up to 24 h on Monday, Tuesday and Thursday; en mission."""
    base = dict(
        status="en_mission",
        hours_min=10.0,
        hours_max=24.0,
        days=frozenset({"mon", "tue", "thu"}),
    )
    base.update(kw)
    return make_cand(**base)


def failing(need, cand) -> list[str]:
    return [c.code for c in hard_constraint_checks(need, cand, 5.0) if not c.ok]


def agree(need, cand) -> bool:
    """The fast path, the index and the checks give the same verdict; return it."""
    slow = not failing(need, cand)
    fast = passes_hard_constraints(need, cand, 5.0)
    index = CandidateIndex.build([cand], distance=lambda a, b: 5.0)
    indexed = bool(index.top(need, None))
    assert slow == fast == indexed
    return slow


def test_free_hours_equal_to_the_need_hours_are_enough():
    cand = person(commitments=(tuesday(8),))  # 24 - 8 = 16 free
    assert agree(make_need(hours_per_week=16.0, days=frozenset({"thu"})), cand)
    assert not agree(make_need(hours_per_week=16.5, days=frozenset({"thu"})), cand)
    assert failing(make_need(hours_per_week=17.0, days=frozenset({"thu"})), cand) == ["hours"]


def test_a_commitment_ending_the_day_before_the_start_no_longer_counts():
    ended = person(hours_max=10.0, commitments=(tuesday(8, until=START - timedelta(days=1)),))
    need = make_need(hours_per_week=10.0, days=frozenset({"tue"}))
    assert agree(need, ended)
    assert week.week_sentence(ended, START) is None


def test_a_commitment_ending_on_the_start_day_still_counts():
    ending = person(hours_max=10.0, commitments=(tuesday(8, until=START),))
    assert not agree(make_need(hours_per_week=10.0, days=frozenset({"thu"})), ending)
    assert agree(make_need(hours_per_week=2.0, days=frozenset({"thu"})), ending)


def test_days_taken_are_not_free():
    cand = person(commitments=(tuesday(8),))
    need = make_need(hours_per_week=7.0, days=frozenset({"tue"}))
    assert not agree(need, cand)
    assert failing(need, cand) == ["days"]
    text = next(c.text for c in hard_constraint_checks(need, cand, 5.0) if c.code == "days")
    assert text == (
        "Aucun jour libre en commun : le besoin porte sur mardi. "
        "Déjà 8 h le mardi (GE Bassin Emploi) : reste 16 h, libre lundi et jeudi."
    )
    # A need on Tuesday and Thursday still fits on Thursday.
    assert agree(make_need(days=frozenset({"tue", "thu"})), cand)


def test_the_explanation_says_the_week_in_plain_french():
    cand = person(commitments=(tuesday(8),))
    need = make_need(hours_per_week=7.0, days=frozenset({"mon", "thu"}))
    checks = {c.code: c.text for c in hard_constraint_checks(need, cand, 5.0)}
    assert checks["hours"] == (
        "Déjà 8 h le mardi (GE Bassin Emploi) : reste 16 h, libre lundi et jeudi. "
        "Le besoin demande 7 h."
    )
    entries = {e["criterion"]: e for e in explanation(need, cand)}
    assert "Déjà 8 h le mardi (GE Bassin Emploi)" in entries["hours"]["text"]
    # 10 h wished at least, 8 held: 2 to 16 h still wished; 7 h is inside.
    assert entries["hours"]["points"] == 10
    assert "2 à 16 h encore souhaitées" in entries["hours"]["text"]
    assert entries["days"]["text"] == "Libre tous les jours du besoin (lundi, jeudi)."


def test_a_wish_already_met_by_the_work_held_says_up_to_not_zero():
    # 5 h wished at least, 8 held: whatever they take now is welcome, up to 16 h more.
    cand = person(hours_min=5.0, commitments=(tuesday(8),))
    need = make_need(hours_per_week=7.0, days=frozenset({"mon", "thu"}))
    text = {e["criterion"]: e for e in explanation(need, cand)}["hours"]["text"]
    assert "0 à" not in text
    assert "jusqu'à 16 h encore souhaitées" in text


def test_several_commitments_add_up():
    cand = person(
        commitments=(
            tuesday(8),
            CommitmentData(hours_per_week=12, days=frozenset({"mon"}), label="Boulangerie"),
        )
    )
    assert week.free_hours(cand, START) == 4.0
    assert week.free_days(cand, START) == frozenset({"thu"})
    assert week.week_sentence(cand, START) == (
        "Déjà 8 h le mardi (GE Bassin Emploi) et 12 h le lundi (Boulangerie) : "
        "reste 4 h, libre jeudi."
    )
    assert agree(make_need(hours_per_week=4.0, days=frozenset({"thu"})), cand)
    assert not agree(make_need(hours_per_week=5.0, days=frozenset({"thu"})), cand)


def test_the_work_ending_before_a_need_is_named_only_where_the_need_waits_for_it():
    """Four works end before the need (14 h on Monday) and leave 5 h free today. The
    need waits for the one on its Monday (2 h: 7 h free once over), and for 7 h more:
    the 8 h of the Friday's work. The sentence named all four, the Saturday's and the
    Sunday's too, whose time the need does not need."""
    today = START - timedelta(days=60)

    def ending(hours, day, label, days_before):
        until = START - timedelta(days=days_before)
        return CommitmentData(hours, frozenset({day}), until=until, label=label)

    monday = ending(2, "mon", "Mairie", 30)
    friday = ending(8, "fri", "Pharmacie", 20)
    saturday = ending(8, "sat", "Marché", 10)
    sunday = ending(1, "sun", "Club", 40)
    cand = person(commitments=(saturday, sunday, friday, monday))
    need = make_need(hours_per_week=14.0, days=frozenset({"mon"}))
    assert agree(need, cand)
    assert week.over_before(cand, need, today) == [monday, friday]
    assert week.start_sentence(cand, need, today) == (
        "Son travail de 2 h le lundi (Mairie) se termine le 02/01/2027 et celui de 8 h le "
        "vendredi (Pharmacie) le 12/01/2027, avant le début du besoin (01/02/2027)."
    )
    # Asking for the hours of both, the need waits for both (earliest end first).
    need = make_need(hours_per_week=20.0, days=frozenset({"mon"}))
    assert week.over_before(cand, need, today) == [monday, friday, saturday]
    # The hours free today are enough: the work on its Monday only.
    need = make_need(hours_per_week=5.0, days=frozenset({"mon"}))
    assert week.over_before(cand, need, today) == [monday]
    # The hours free once the Monday's work is over are enough: nothing else.
    need = make_need(hours_per_week=7.0, days=frozenset({"mon"}))
    assert week.over_before(cand, need, today) == [monday]
    # On another day, the hours alone: the fewest works freeing them.
    need = make_need(hours_per_week=12.0, days=frozenset({"thu"}))
    assert week.over_before(cand, need, today) == [friday]


def test_a_commitment_over_several_days_reads_as_french():
    weekend = CommitmentData(
        hours_per_week=8, days=frozenset({"fri", "sat", "sun"}), label="Traiteur"
    )
    cand = person(commitments=(weekend,))
    assert week.week_sentence(cand, START) == (
        "Déjà 8 h le vendredi, le samedi et le dimanche (Traiteur) : "
        "reste 16 h, libre lundi, mardi et jeudi."
    )
    two = CommitmentData(hours_per_week=6, days=frozenset({"thu", "mon"}))
    assert week.week_sentence(person(commitments=(two,)), START).startswith(
        "Déjà 6 h le lundi et le jeudi : "
    )


@pytest.mark.parametrize("status", ["disponible", "en_mission"])
def test_without_commitments_v1_behaviour_is_unchanged(status):
    cand = person(status=status, hours_max=20.0)
    need = make_need(hours_per_week=20.0)
    assert agree(need, cand)
    assert not agree(make_need(hours_per_week=21.0), cand)
    checks = {c.code: c.text for c in hard_constraint_checks(need, cand, 5.0)}
    assert checks["hours"] == (
        "Le candidat peut travailler jusqu'à 20 h par semaine, le besoin en demande 20 h."
    )
    entries = {e["criterion"]: e["text"] for e in explanation(need, cand)}
    assert entries["days"] == "Disponible tous les jours du besoin (mardi, jeudi)."


def test_week_is_full_only_with_open_ended_work():
    assert not week.is_full(person())
    assert week.is_full(person(commitments=(tuesday(23.5),)))  # 0,5 h left
    assert not week.is_full(person(commitments=(tuesday(23),)))  # 1 h left
    # Every day of the person's taken, even with hours left.
    three_days = CommitmentData(hours_per_week=9, days=frozenset({"mon", "tue", "thu"}))
    assert week.is_full(person(commitments=(three_days,)))
    # Work with an end gives its time back by itself: never "full".
    assert not week.is_full(person(commitments=(tuesday(24, until=START),)))


def test_index_agrees_with_the_scorer_when_people_hold_commitments():
    gen = Generator(seed=21, pool_size=500, codes=20)
    people = gen.candidates(1200)
    assert sum(1 for c in people if c.commitments) > 50
    # Give half of the available people a commitment too, to weigh on the scores.
    people = [
        replace(c, commitments=(tuesday(4, until=gen.start + timedelta(days=30)),))
        if i % 2 and c.status == "disponible"
        else c
        for i, c in enumerate(people)
    ]
    distance = lambda a, b: 0.0 if a == b else 12.0  # noqa: E731
    index = CandidateIndex.build(people, distance=distance)
    held = 0
    for need in gen.needs(30):
        expected = rank_candidates(need, people, limit=None, distance=distance)
        assert index.top(need, None) == [(r["candidate"], r["score"]) for r in expected]
        held += sum(1 for r in expected if index.get(r["candidate"]).commitments)
    assert held > 100


# --- work ending after the need's start --------------------------------------------


def _mairie(until, hours=20.0, days=("mon", "tue")):
    return CommitmentData(hours, frozenset(days), until=until, label="Mairie")


def test_work_counted_on_the_start_says_when_it_ends_and_what_is_free_then():
    """20 h at the Mairie leave 4 h on the start; they end on 14/02/2027, two weeks after
    it: the permanent need's lines say so, and the 24 h free from then on."""
    cand = person(commitments=(_mairie(date(2027, 2, 14)),))
    need = make_need(hours_per_week=10.0, days=frozenset({"thu"}))
    assert week.start_sentence(cand, need, START) == (
        "Déjà 20 h le lundi et le mardi (Mairie) : reste 4 h, libre jeudi. "
        "Ce travail se termine le 14/02/2027 : libre ensuite jusqu'à 24 h par semaine."
    )
    # The rule is unchanged: 4 h free on the start.
    assert failing(need, cand) == ["hours"]
    # Open-ended work says nothing of an end.
    lasting = person(commitments=(_mairie(None),))
    assert "se termine" not in week.start_sentence(lasting, need, START)


def test_the_end_names_the_work_unless_the_week_just_named_it_alone():
    """« Déjà 20 h le lundi (Mairie) : … Son travail de 20 h le lundi (Mairie) se
    termine … » said the same work twice in a row on the need's matches and « Compléter
    la semaine »: the week's sentence named it alone, « Ce travail » is enough. With
    other work named in between, or beside it in the week, the end names it."""
    need = make_need(hours_per_week=10.0, days=frozenset({"thu"}))
    alone = person(commitments=(_mairie(date(2027, 2, 14), days=("mon",)),))
    said = week.start_sentence(alone, need, START)
    assert said.count("(Mairie)") == 1
    assert said.endswith(
        "Ce travail se termine le 14/02/2027 : libre ensuite jusqu'à 24 h par semaine."
    )
    # Beside open-ended work, « ce travail » would not say which.
    club = CommitmentData(4.0, frozenset({"fri"}), label="Club")
    beside = person(commitments=(_mairie(date(2027, 2, 14), days=("mon",)), club))
    assert "Son travail de 20 h le lundi (Mairie) se termine le 14/02/2027" in (
        week.start_sentence(beside, need, START)
    )
    # Work over before the start is named just before: the end names its own work.
    today = START - timedelta(days=30)
    thursday = CommitmentData(
        4.0, frozenset({"thu"}), until=START - timedelta(days=5), label="Cantine"
    )
    after = person(commitments=(_mairie(date(2027, 2, 14), days=("mon",)), thursday))
    said = week.start_sentence(after, need, today)
    assert "Son travail de 4 h le jeudi (Cantine) se termine" in said
    assert "Son travail de 20 h le lundi (Mairie) se termine le 14/02/2027" in said


def test_a_fixed_term_need_over_before_the_work_ends_says_nothing_of_it():
    """A two-month CDD from 01/02/2027 ends on 31/03/2027 (``week.work_until``): work
    ending on 14/02 matters to it, work ending on 31/03 or later does not."""
    need = make_need(
        hours_per_week=10.0, days=frozenset({"thu"}), contract="cdd", duration_months=2
    )
    assert week.need_until(need) == date(2027, 3, 31)
    early = person(commitments=(_mairie(date(2027, 2, 14)),))
    assert "se termine le 14/02/2027 : libre ensuite" in week.start_sentence(early, need, START)
    for until in (date(2027, 3, 31), date(2027, 6, 30)):
        late = person(commitments=(_mairie(until),))
        assert week.start_sentence(late, need, START) == (
            "Déjà 20 h le lundi et le mardi (Mairie) : reste 4 h, libre jeudi."
        )
    # The same need with no duration is permanent: the end is said.
    permanent = replace(need, contract="cdi_temps_partage", duration_months=None)
    assert "se termine le 30/06/2027" in week.start_sentence(late, permanent, START)


def test_of_several_ends_the_nearest_is_said_with_what_is_free_then():
    """Work ending on 14/02 (8 h) and on 28/02 (6 h), and open-ended work (4 h on
    Friday): the nearest end, with the hours free then (the later work still counted)."""
    cand = person(
        commitments=(
            CommitmentData(6.0, frozenset({"tue"}), until=date(2027, 2, 28), label="Club"),
            CommitmentData(8.0, frozenset({"mon"}), until=date(2027, 2, 14), label="Mairie"),
            CommitmentData(4.0, frozenset({"fri"}), label="Cantine"),
        )
    )
    need = make_need(hours_per_week=10.0, days=frozenset({"thu"}))
    said = week.start_sentence(cand, need, START)
    assert said.endswith(
        ": reste 6 h, libre jeudi. Son travail de 8 h le lundi (Mairie) se termine le "
        "14/02/2027 : libre ensuite jusqu'à 14 h par semaine."
    )
    # Two ending on the same day are said together.
    same_day = person(
        commitments=(
            CommitmentData(6.0, frozenset({"tue"}), until=date(2027, 2, 14), label="Club"),
            CommitmentData(8.0, frozenset({"mon"}), until=date(2027, 2, 14), label="Mairie"),
        )
    )
    assert week.start_sentence(same_day, need, START).endswith(
        "Son travail de 6 h le mardi (Club) et celui de 8 h le lundi (Mairie) se terminent "
        "le 14/02/2027 : libre ensuite jusqu'à 24 h par semaine."
    )


def test_an_end_freeing_no_hour_says_the_end_alone():
    """30 h held for 24 h wished: once the 4 h end, 26 h still leave nothing free."""
    cand = person(
        commitments=(
            CommitmentData(26.0, frozenset({"mon"}), label="Usine"),
            CommitmentData(4.0, frozenset({"tue"}), until=date(2027, 2, 14), label="Club"),
        )
    )
    need = make_need(hours_per_week=4.0, days=frozenset({"thu"}))
    assert week.start_sentence(cand, need, START).endswith(
        "Son travail de 4 h le mardi (Club) se termine le 14/02/2027."
    )


def test_the_bundle_and_placement_sentences_say_the_end_the_same_way():
    """One function for every page: a bundle's job and a placement judge the end
    against their own last day (the longest need; the placement's term)."""
    cand = person(commitments=(_mairie(date(2027, 3, 14)),))
    short = make_need(days=frozenset({"thu"}), contract="cdd", duration_months=1)
    longer = make_need(ref="b2", days=frozenset({"thu"}), contract="cdd", duration_months=3)
    end = "Ce travail se termine le 14/03/2027"
    assert end not in week.start_sentence(cand, short, START)
    assert end in week.bundle_start_sentence(cand, [short, longer], START)
    assert end not in week.bundle_start_sentence(cand, [short, short], START)
    # A placement's term is the one the operator gives (``last_day``), else open-ended.
    assert end in week.placement_start_sentence(cand, [short], 4.0, START, START)
    placed = week.placement_start_sentence(
        cand, [short], 4.0, START, START, until=date(2027, 2, 28)
    )
    assert end not in placed
