"""Free hours at their boundary: ``hours_max`` minus commitments is float arithmetic
(8 - 4.4 is 3.5999999999999996), yet the spec allows free hours equal to the need's
hours. Match, its explanation, the index and pool all compare through
``matching.week.hours_fit``."""

from __future__ import annotations

import json
from datetime import date

import pytest

from connectences.matching import week
from connectences.matching.data import CommitmentData
from connectences.matching.pool import pool
from tests.factories import candidate, candidate_data, company, document, load, need, need_data

V11 = "connectences/v1.1"

# (hours_max, commitments (hours, day), need's hours): free hours equal the need's
# hours on paper, a hair below in binary floats.
CASES = [
    pytest.param(8, [(4.4, "mon")], 3.6, id="8-4.4=3.6"),
    pytest.param(10, [(6.4, "mon")], 3.6, id="10-6.4=3.6"),
    pytest.param(30, [(1.3, "mon"), (9.4, "wed")], 19.3, id="30-1.3-9.4=19.3"),
]


def _load(hours_max, held, hours):
    person = candidate(
        ref="cv-juste",
        hours_min=1,
        hours_max=hours_max,
        commitments=[{"hours_per_week": h, "days": [day]} for h, day in held],
    )
    load(
        {
            **document(
                companies=[company(ref="entreprise-1")],
                candidates=[person],
                needs=[need(ref="besoin-juste", days=["tue"], hours_per_week=hours)],
            ),
            "format": V11,
        }
    )


@pytest.mark.parametrize(("hours_max", "held", "hours"), CASES)
def test_free_hours_equal_to_the_need_are_matched(runner, hours_max, held, hours):
    free = hours_max
    for h, _day in held:
        free -= h
    assert free < hours  # the float error this file is about
    _load(hours_max, held, hours)
    result = runner.invoke(args=["match", "besoin-juste", "--json"])
    assert result.exit_code == 0, result.output
    (found,) = json.loads(result.output)["matches"]
    assert found["candidate"] == "cv-juste"
    entry = next(e for e in found["explanation"] if e["criterion"] == "hours")
    # Within what the person still wants: full points, not "plus que souhaité".
    assert entry["points"] == 10
    assert "plus que" not in entry["text"]


@pytest.mark.parametrize(("hours_max", "held", "hours"), CASES)
def test_the_explanation_says_the_hours_fit(runner, hours_max, held, hours):
    _load(hours_max, held, hours)
    result = runner.invoke(args=["match", "besoin-juste", "--explain", "cv-juste", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["proposed"] is True, data["failed"]
    check = next(c for c in data["checks"] if c["code"] == "hours")
    assert check["ok"] is True
    assert "plus que son temps libre" not in check["text"]
    # The sentence and the decision agree: what is left is what the need asks.
    left = f"reste {str(hours).replace('.', ',')} h"
    assert left in check["text"]


def test_pool_counts_the_person_at_the_same_boundary():
    person = candidate_data(
        ref="cv-juste",
        hours_min=1.0,
        hours_max=8.0,
        days=frozenset({"mon", "tue", "thu"}),
        commitments=(CommitmentData(hours_per_week=4.4, days=frozenset({"mon"})),),
    )
    needs = [
        need_data(ref="a", company="co-a", hours_per_week=1.8, days=frozenset({"tue"})),
        need_data(ref="b", company="co-b", hours_per_week=1.8, days=frozenset({"thu"})),
    ]
    (bundle,) = pool(needs, [person], distance=lambda a, b: 0.0, epci_of=lambda c: None).bundles
    assert bundle.hours == pytest.approx(3.6)
    assert bundle.candidates == ("cv-juste",)


def test_a_week_is_not_full_when_exactly_one_hour_is_left():
    # 2.3 - 1.3 is 0.9999999999999998: one hour left on paper, room for a 1 h need.
    person = candidate_data(
        hours_min=1.0,
        hours_max=2.3,
        commitments=(CommitmentData(hours_per_week=1.3, days=frozenset({"tue"})),),
    )
    assert not week.is_full(person)
    assert week.hours_fit(1.0, week.free_hours(person, date(2027, 2, 1)))
