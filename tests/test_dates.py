"""Dates as people type them: one reader for every date field and filter, and the
window a plan may name."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from connectences import clock
from connectences.dates import (
    FIRST_DAY,
    LAST_DAY,
    add_months,
    commitment_day_problem,
    first_kept,
    period_end,
    placement_start_problem,
    read_date,
    read_instant,
    read_iso_date,
    read_typed_date,
    too_far_ahead,
    unread,
    years_from,
)

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2027-03-06", date(2027, 3, 6)),
        (" 06/03/2027 ", date(2027, 3, 6)),
        ("6/3/2027", date(2027, 3, 6)),
        ("1900-01-01", FIRST_DAY),
        ("2999-12-31", LAST_DAY),
        (date(2027, 3, 6), date(2027, 3, 6)),
        (datetime(2027, 3, 6, 14, 30), date(2027, 3, 6)),
        # No record is that far: their midnights and follow-ups overflow.
        ("0001-01-01", None),
        ("9999-12-31", None),
        (date(1, 1, 1), None),
        ("31/02/2027", None),
        ("2027-02-30", None),
        ("2027-3-6", None),
        ("hier", None),
        ("", None),
        (None, None),
    ],
)
def test_read_date(typed, expected):
    assert read_date(typed) == expected


def test_a_plan_reaches_three_years_ahead_at_most():
    today = date(2026, 12, 6)
    assert too_far_ahead(date(2029, 12, 6), today) is None
    assert "d'ici le 06/12/2029" in too_far_ahead(date(2029, 12, 7), today)
    assert years_from(date(2028, 2, 29), 1) == date(2029, 2, 28)


def test_a_placement_may_be_recorded_a_year_late_at_most():
    today = date(2026, 12, 6)
    assert placement_start_problem(date(2025, 12, 6), today) is None
    assert "avant le 06/12/2025" in placement_start_problem(date(2025, 12, 5), today)
    assert "au plus tard" in placement_start_problem(date(2030, 1, 1), today)


def test_a_commitment_spans_a_working_life_at_most():
    today = date(2026, 12, 6)
    what = "La date de début"
    assert commitment_day_problem(date(1976, 12, 6), today, what=what) is None
    assert commitment_day_problem(date(1976, 12, 5), today, what=what) == (
        "La date de début ne peut pas être avant le 06/12/1976 (50 ans en arrière au plus)."
    )
    assert "au plus tard" in commitment_day_problem(date(2030, 1, 1), today, what=what)


def test_why_a_text_gave_no_date_is_told_as_it_is():
    assert unread("hier") == "« hier » n'est pas une date (format attendu jj/mm/aaaa)"
    assert unread("31/02/2027") == "« 31/02/2027 » n'existe pas dans le calendrier"
    # A date input sends 9999-12-31 for the 31/12/9999 it shows: quoted as it was seen.
    assert unread("9999-12-31") == "« 31/12/9999 » est hors des dates possibles (1900 à 2999)"
    assert unread("2027-02-30") == "« 30/02/2027 » n'existe pas dans le calendrier"


@pytest.mark.parametrize(
    ("typed", "expected", "message"),
    [
        (" 06/03/2027 ", date(2027, 3, 6), None),
        ("", None, "Indiquez-la."),
        ("  ", None, "Indiquez-la."),
        (
            "29/02/2026",
            None,
            "Date de début invalide : « 29/02/2026 » n'existe pas dans le calendrier.",
        ),
        (
            "9999-12-31",
            None,
            "Date de début invalide : « 31/12/9999 » est hors des dates possibles (1900 à 2999).",
        ),
    ],
)
def test_one_reader_says_what_is_wrong_with_a_typed_date(typed, expected, message):
    assert read_typed_date(typed, "Date de début", missing="Indiquez-la.") == (expected, message)


def test_an_optional_date_left_empty_is_no_error():
    assert read_typed_date(None, "Date de fin") == (None, None)


@pytest.mark.parametrize(
    ("today", "months", "first"),
    [
        (date(2026, 3, 15), 24, date(2024, 3, 16)),
        # 29 February 2024 reaches its 24 months on the 28th: kept no longer that day.
        (date(2026, 2, 28), 24, date(2024, 3, 1)),
        (date(2026, 2, 27), 24, date(2024, 2, 28)),
        # On 28 February the last days of January are a month back too.
        (date(2027, 2, 28), 1, date(2027, 2, 1)),
        (date(2027, 4, 30), 1, date(2027, 4, 1)),
    ],
)
def test_first_kept_is_the_first_day_whose_term_is_still_ahead(today, months, first):
    assert first_kept(today, months) == first
    assert add_months(first, months) > today
    assert add_months(first - timedelta(days=1), months) <= today


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        # The day before the same day: 4 January + 1 month ends on 3 February.
        (date(2027, 1, 4), 1, date(2027, 2, 3)),
        (date(2027, 2, 1), 1, date(2027, 2, 28)),
        (date(2027, 1, 28), 1, date(2027, 2, 27)),
        # February has no 29th, 30th or 31st: the period ends on its last day, not the 27th.
        (date(2027, 1, 29), 1, date(2027, 2, 28)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        # A leap year's February has a 29th.
        (date(2028, 1, 29), 1, date(2028, 2, 28)),
        (date(2028, 1, 30), 1, date(2028, 2, 29)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2027, 3, 31), 1, date(2027, 4, 30)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 12, 15), 1, date(2028, 1, 14)),
        (date(2027, 5, 1), 12, date(2028, 4, 30)),
    ],
)
def test_a_period_of_months_ends_the_day_before_or_on_the_short_month_s_last_day(
    start, months, end
):
    assert period_end(start, months) == end


def test_consecutive_periods_never_overlap_nor_leave_a_day_out():
    """Every day of a year starts a period that ends on or after the day before the one
    that follows it: periods of the same length never end earlier for a later start."""
    for months in (1, 2, 3, 6):
        day = date(2027, 1, 1)
        while day < date(2029, 1, 1):
            nxt = day + timedelta(days=1)
            assert day <= period_end(day, months) <= period_end(nxt, months)
            day = nxt


def test_the_day_promised_is_the_day_the_rule_removes_on_local_days():
    """Finding: the retention rules compared UTC instants a number of months back, so a
    record went at the first run after the exact instant (usually the day after the one
    promised), and month ends were clamped in UTC (00:30 in Arcachon on 29 February is
    the 28th in UTC). A record dated at any hour of a local day is removed from the start
    of its term day, and kept the whole day before, whatever the hour of the run."""
    for months in (1, 12, 23, 24, 36):
        for day in (date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 31)):
            for hour in (0, 1, 12, 23):
                moment = datetime.combine(day, time(hour, 30), tzinfo=clock.LOCAL_TZ)
                term = clock.term_day(moment, months)
                assert term == add_months(day, months)
                for run in (time(0, 10), time(3), time(23, 50)):
                    on_term = datetime.combine(term, run, tzinfo=clock.LOCAL_TZ)
                    before = on_term - timedelta(days=1)
                    assert moment < clock.kept_since(on_term.astimezone(UTC), months)
                    assert moment >= clock.kept_since(before.astimezone(UTC), months)


# Python 3.11's fromisoformat reads every ISO 8601 form: a week's day, the basic form
# without dashes, an hour alone. Nobody documents them: each is refused, never another day.
UNDOCUMENTED = ["2026-W53-1", "2026W531", "20261207", "2026-12-07T10", "20261207T100000Z"]


@pytest.mark.parametrize("text", UNDOCUMENTED)
def test_the_undocumented_iso_forms_are_no_date_nor_instant(text):
    assert read_date(text) is None and read_iso_date(text) is None
    assert read_instant(text) is None and read_instant(text, offset_required=False) is None
    assert read_typed_date(text, "Date de début") == (
        None,
        f"Date de début invalide : « {text} » n'est pas une date (format attendu jj/mm/aaaa).",
    )


def test_a_date_is_read_as_documented():
    assert read_date("2026-12-07") == read_iso_date("2026-12-07") == date(2026, 12, 7)
    assert read_iso_date("07/12/2026") is None  # a program writes AAAA-MM-JJ
    assert read_iso_date("2026-02-30") is None and read_iso_date(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-07T10:30:00+01:00", datetime(2026, 12, 7, 9, 30, tzinfo=UTC)),
        ("2026-12-07T09:30:00Z", datetime(2026, 12, 7, 9, 30, tzinfo=UTC)),
        ("2026-12-07t09:30:00z", datetime(2026, 12, 7, 9, 30, tzinfo=UTC)),
        ("2026-12-07 09:30:00Z", datetime(2026, 12, 7, 9, 30, tzinfo=UTC)),
        ("2026-12-07T09:30:00.250Z", datetime(2026, 12, 7, 9, 30, 0, 250000, tzinfo=UTC)),
        ("2026-12-07T09:30:00.123456+00:00", datetime(2026, 12, 7, 9, 30, 0, 123456, tzinfo=UTC)),
    ],
)
def test_an_instant_is_read_as_rfc_3339_writes_it(text, expected):
    assert read_instant(text) == expected


@pytest.mark.parametrize(
    "text", ["2026-12-07T09:30Z", "2026-12-07T09:30:00+0100", "2026-12-07T25:00:00Z", "2026-12-07"]
)
def test_an_instant_not_written_as_rfc_3339_is_refused(text):
    assert read_instant(text) is None


def test_an_instant_without_offset_is_read_only_where_the_caller_allows_it():
    assert read_instant("2026-12-07T10:30:00") is None
    assert read_instant("2026-12-07T10:30:00", offset_required=False) == datetime(
        2026, 12, 7, 10, 30
    )
