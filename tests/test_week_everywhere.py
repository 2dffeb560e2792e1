"""One person's week, said the same everywhere.

Random people (0 to 4 commitments: ended before, on or after a need's start, open-ended,
on overlapping days, some taking more hours than the person wants at most) read by every
place that shows or uses their free hours and free days on a date: each must give the
numbers of ``matching.week`` (the one owner), never negative hours, and the same verdict.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectences.clock import local_today
from connectences.cvtheque.commitments import (
    held_hours_hint,
    over_wished_hours,
    own_hours_warning,
    week_view,
)
from connectences.cvtheque.consent import space_token
from connectences.cvtheque.status import settle_status
from connectences.exchange.exporter import export_document
from connectences.extensions import db
from connectences.matching import week
from connectences.matching.constraints import hard_constraint_checks, passes_hard_constraints
from connectences.matching.data import (
    CandidateData,
    CommitmentData,
    NeedData,
    candidate_from_model,
)
from connectences.matching.index import DAY_BIT, CandidateIndex
from connectences.matching.pool import SkillKeys, _CandidateFit, _Sites
from connectences.matching.score import hours_points
from connectences.models import Candidate
from connectences.typography import hours_plain
from connectences.vocab import DAYS
from connectences.workflows.leads import over_free_time
from tests import factories as f
from tests.helpers import page_text
from tests.test_match import make_cand, make_need

START = date(2027, 3, 1)
SETTINGS = settings(max_examples=300, deadline=None, database=None, derandomize=True)

# Hours as people type them (whole, half and quarter hours), and as an interchange
# document may send them (any number: 7.333).
hours = st.one_of(
    st.integers(4, 192).map(lambda q: q / 4), st.integers(1000, 48000).map(lambda t: t / 1000)
)
day_sets = st.frozensets(st.sampled_from(list(DAYS)), min_size=1, max_size=4)
# Ended before the start, the day before, on it, after it, open-ended.
ends = st.sampled_from(
    [START - timedelta(30), START - timedelta(1), START, START + timedelta(1), None]
)


@st.composite
def commitments(draw):
    return CommitmentData(
        hours_per_week=draw(hours),
        days=draw(day_sets),
        until=draw(ends),
        label=draw(st.sampled_from([None, "GE Bassin Emploi"])),
    )


@st.composite
def people(draw, ref: str = "p1") -> CandidateData:
    hours_max = draw(st.integers(4, 192).map(lambda q: q / 4))
    hours_min = draw(st.integers(4, int(hours_max * 4)).map(lambda q: q / 4))
    return make_cand(
        ref=ref,
        status="en_mission",
        hours_min=hours_min,
        hours_max=hours_max,
        days=draw(st.frozensets(st.sampled_from(list(DAYS)), min_size=1)),
        commitments=tuple(draw(st.lists(commitments(), max_size=4))),
    )


def _need(hours_per_week: float, days: frozenset[str]) -> NeedData:
    return make_need(start=START, hours_per_week=hours_per_week, days=days)


def _bits(days) -> int:
    return sum(DAY_BIT[d] for d in days)


def _no_negative_hours(text: str) -> None:
    assert not re.search(r"-\s?\d", text), text


@pytest.mark.engine_free  # no SQL
@SETTINGS
@given(cand=people(), need_hours=hours, need_days=day_sets)
def test_every_reader_of_the_week_gives_the_owner_s_numbers(cand, need_hours, need_days):
    free = week.free_hours(cand, START)
    days = week.free_days(cand, START)
    need = _need(need_hours, need_days)

    # The columnar index: the same free hours (to the bit) and free days.
    index = CandidateIndex.build([cand], distance=lambda a, b: 5.0)
    index_hours, _wished, index_days = index.free(START)
    assert float(index_hours[0]) == free
    assert int(index_days[0]) == _bits(days)

    # The pool's columns: the same again.
    fits = _CandidateFit(
        [need],
        [frozenset()],
        [cand],
        SkillKeys(),
        _Sites([need.commune], [cand.commune], lambda a, b: 5.0),
        {0},
    )
    pool_hours, pool_days = fits._free_on(START.toordinal())
    assert float(pool_hours[0]) == free
    assert int(pool_days[0]) == _bits(days)

    # The hard constraints (why-not, fast path and index) read the same week.
    checks = {c.code: c for c in hard_constraint_checks(need, cand, 5.0)}
    assert checks["hours"].ok == week.hours_fit(need_hours, free)
    assert checks["days"].ok == bool(need_days & days)
    fits_all = all(c.ok for c in checks.values())
    assert passes_hard_constraints(need, cand, 5.0) == fits_all
    assert bool(index.top(need, None)) == fits_all

    # The week said in French: the hours left (never negative) and the free days.
    sentence = week.week_sentence(cand, START)
    if week.running(cand.commitments, START):
        assert f"reste {hours_plain(max(free, 0.0))}," in sentence
        said = f"libre {week.days_text(days)}." if days else "plus aucun jour libre."
        assert sentence.endswith(said)
        _no_negative_hours(sentence)
    else:
        assert sentence is None
        assert free == cand.hours_max and days == cand.days
    for check in checks.values():
        _no_negative_hours(check.text)

    # The score's hours: what is still wished at most is the free hours, said as above.
    _points, text = hours_points(need, cand)
    _no_negative_hours(text)
    if sentence:
        assert f"{hours_plain(max(free, 0.0))} encore souhaitées" in text, text


def _stored_people(count: int, seed: int, today: date) -> list[dict]:
    """``count`` people as an interchange v1.1 document gives them, commitments around
    ``today`` (ended before, the day before, on it, after it, open-ended), some over
    their hours at most, with quarter hours."""
    rng = random.Random(seed)  # noqa: S311 — synthetic data, never a secret
    out = []
    for n in range(count):
        hours_max = rng.randint(4, 192) / 4
        held = []
        for _ in range(rng.randint(0, 4)):
            until = rng.choice([-30, -1, 0, 1, None])
            held.append(
                {
                    "hours_per_week": rng.randint(4, 96) / 4,
                    "days": rng.sample(list(DAYS), rng.randint(1, 3)),
                    **(
                        {"until": (today + timedelta(until)).isoformat()}
                        if until is not None
                        else {}
                    ),
                    **({"label": f"Travail {n}"} if rng.random() < 0.5 else {}),
                }
            )
        out.append(
            f.candidate(
                ref=f"week-{n}",
                first_name="Inès",
                last_name=f"Semaine{n}",
                hours_min=min(rng.randint(4, 96) / 4, hours_max),
                hours_max=hours_max,
                days=rng.sample(list(DAYS), rng.randint(1, 7)),
                commitments=held,
            )
        )
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_every_page_and_warning_says_the_stored_week_as_the_owner(app, seed):
    today = local_today()
    f.load({"format": "connectences/v1.1", "candidates": _stored_people(30, seed, today)})
    exported = {c["ref"]: c for c in export_document(db.session)["candidates"]}
    seen = {"people": 0, "over": 0, "holding": 0}
    for candidate in db.session.scalars(select(Candidate).where(Candidate.ref.like("week-%"))):
        person = candidate_from_model(candidate)
        free = week.free_hours(person, today)
        left = week.hours_left(person, today)
        days = week.free_days(person, today)
        held = week.committed_hours(person, today)
        over = not week.hours_fit(held, person.hours_max)
        seen["people"] += 1
        seen["over"] += over
        seen["holding"] += bool(held)

        # The week page (staff, operator, the person's space): the same numbers, days.
        view = week_view(candidate, today)
        assert view.held_hours == held and view.free_hours == left >= 0
        assert {r.day for r in view.rows if r.state == "libre"} == {DAYS[d] for d in days}
        _no_negative_hours(view.summary)
        if over:
            assert "aucune heure libre" in view.summary
        elif view.current:
            assert f"reste {hours_plain(left)}" in view.summary

        # The placement form's warnings: over the free time, over the hours wished.
        for asked in (1.0, 7.5, left, left + 0.25):
            if asked < 1:
                continue
            warning = over_free_time(candidate, asked, [], today)
            assert (warning is None) == week.hours_fit(asked, free), (asked, free)
            if warning:
                _no_negative_hours(warning)
        assert (over_wished_hours(candidate, today) is not None) == over
        assert (own_hours_warning(candidate, today) is not None) == over
        hint = held_hours_hint(candidate, today)
        assert (hint is None) == (held == 0)

        # The export: a reader of the spec computes the same week from it.
        item = exported[candidate.ref]
        read = replace(
            person,
            hours_max=float(item["hours_max"]),
            days=frozenset(item["days"]),
            commitments=tuple(
                CommitmentData(
                    hours_per_week=float(c["hours_per_week"]),
                    days=frozenset(c["days"]),
                    until=date.fromisoformat(c["until"]) if c.get("until") else None,
                )
                for c in item.get("commitments", ())
            ),
        )
        assert week.free_hours(read, today) == pytest.approx(free, abs=week.HOURS_TOLERANCE)
        assert week.free_days(read, today) == days
    # The draw reached every case: people holding work, some over their hours at most.
    assert seen["people"] == 30 and seen["over"] and seen["holding"] > seen["over"]


def test_a_week_full_for_its_days_is_not_said_full_for_its_hours(client, app):
    """Open-ended work on every day the person offers fills their week (``week.is_full``)
    with hours still free: their space said « déjà pleine avec le nombre d'heures que vous
    souhaitez au plus » beside « reste 16 h, aucun jour libre », and asked for more hours
    where only other days would help."""
    f.load(
        {
            "format": "connectences/v1.1",
            "candidates": [
                f.candidate(
                    ref="ines",
                    hours_min=10,
                    hours_max=24,
                    days=["mon", "tue", "thu"],
                    commitments=[{"hours_per_week": 8, "days": ["mon", "tue", "thu"]}],
                ),
                f.candidate(
                    ref="lea",
                    hours_min=10,
                    hours_max=24,
                    days=["mon", "tue", "thu"],
                    commitments=[{"hours_per_week": 23.5, "days": ["mon"]}],
                ),
            ],
        }
    )
    ines = db.session.scalar(select(Candidate).where(Candidate.ref == "ines"))
    settle_status(db.session, ines)
    db.session.commit()
    assert ines.status == "place"
    page = page_text(client.get(f"/mon-cv/{space_token(ines)}"))
    assert "reste 16 h, aucun jour libre." in page
    assert "pleine avec le nombre d'heures" not in page
    assert (
        "votre semaine est déjà pleine : votre travail prend tous les jours où vous êtes "
        "disponible. Modifiez votre profil pour indiquer d'autres jours." in page
    )
    # Full for its hours (23,5 h held of 24 h): said as before.
    lea = db.session.scalar(select(Candidate).where(Candidate.ref == "lea"))
    settle_status(db.session, lea)
    db.session.commit()
    assert lea.status == "place"
    page = page_text(client.get(f"/mon-cv/{space_token(lea)}"))
    assert "votre semaine est déjà pleine avec le nombre d'heures que vous souhaitez" in page
