"""The domain rules behind offline visits, called directly: the bounds of a phone's
recorded time, the order records are applied in, and the filters of a round."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from connectences.extensions import db
from connectences.prospection import offline
from connectences.prospection import round as rounds
from tests.helpers import add_visit, make_company

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
LIMITS = offline.Limits(
    now=NOW, today=date(2026, 12, 4), max_age=timedelta(days=30), clock_drift=timedelta(minutes=10)
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-04T09:00:00.000Z", datetime(2026, 12, 4, 9, 0, tzinfo=UTC)),
        ("2026-12-04T11:05:00+01:00", datetime(2026, 12, 4, 10, 5, tzinfo=UTC)),  # drift
        ("2026-11-04T10:00:01Z", datetime(2026, 11, 4, 10, 0, 1, tzinfo=UTC)),  # 30 days
    ],
)
def test_recorded_time_within_bounds_is_kept_in_utc(text, expected):
    assert offline.parse_recorded_at(text, LIMITS) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-12-04T10:10:01Z", "dans le futur"),
        ("2026-11-04T09:59:59Z", "plus de 30 jours"),
        ("2026-12-04T09:00:00", "fuseau horaire"),
        ("04/12/2026", "illisible"),
        # ISO 8601 forms Python reads, but not the RFC 3339 the phone writes.
        ("2026-W49-5T10:00:00Z", "illisible"),
        ("20261204T100000Z", "illisible"),
        ("2026-12-04T10Z", "illisible"),
        ("0001-01-01T00:00:00+14:00", "illisible"),  # no such instant: it was a 500
        ("9999-12-31T23:59:59-14:00", "illisible"),
        (1733306400, "manque"),
    ],
)
def test_recorded_time_out_of_bounds_is_refused_in_french(text, words):
    with pytest.raises(ValueError, match=words):
        offline.parse_recorded_at(text, LIMITS)


def test_records_are_applied_companies_first_then_visits_then_needs():
    records = [{"type": "besoin"}, {"type": "visite"}, "illisible", {"type": "entreprise"}]
    assert offline.order_records(records) == [
        {"type": "entreprise"},
        {"type": "visite"},
        {"type": "besoin"},
        "illisible",
    ]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("56", "56"), ("561", "56.1"), ("56 10", "56.10"), ("5610a", "56.10A"), ("restaurant", None)],
)
def test_naf_prefix(typed, stored):
    assert rounds.naf_prefix(typed) == stored


def test_round_filters_need_one_criterion_and_known_values():
    with pytest.raises(rounds.RoundError) as nothing:
        rounds.parse_filters("", "", False)
    assert "Choisissez une commune" in nothing.value.errors["commune"]
    with pytest.raises(rounds.RoundError) as bad:
        rounds.parse_filters("Atlantide", "cuisine", False)
    assert set(bad.value.errors) == {"commune", "naf"}
    assert rounds.parse_filters("Arcachon", "56", True) == rounds.RoundFilters("33009", "56", True)


def test_round_by_follow_up_due_keeps_only_this_animateurs_due_within_a_week(auth):
    me = auth.create("animateur")
    other = auth.create("animateur")
    today = date(2026, 12, 4)
    soon, later, others = make_company(), make_company(), make_company()
    for company, user, day in ((soon, me, 7), (later, me, 8), (others, other, 0)):
        add_visit(
            company,
            user,
            today - timedelta(days=40),
            channel="telephone",
            follow_up_on=today + timedelta(days=day),
        )
    db.session.commit()
    entries, more = rounds.round_entries(
        db.session,
        rounds.RoundFilters(follow_up_due=True),
        animateur_id=me.id,
        today=today,
        limit=10,
    )
    assert [e.company.id for e in entries] == [soon.id] and not more
    assert entries[0].follow_up_on == today + timedelta(days=7)
    assert entries[0].pressure.decision == "ok"
