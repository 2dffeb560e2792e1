"""Numbers as people type them: one reader for every hours and distance field."""

from __future__ import annotations

import pytest

from connectences.numbers import read_hours_per_week, read_number

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


@pytest.mark.parametrize(
    ("typed", "unit", "expected"),
    [
        ("8", "h", 8.0),
        ("8h", "h", 8.0),
        ("8 h", "h", 8.0),
        ("8 H", "h", 8.0),
        ("8,5", "h", 8.5),
        ("8.5", "h", 8.5),
        ("8h30", "h", 8.5),
        ("8h20", "h", 8.33),  # to the two decimals its field shows back, « 8,33 »
        ("8h40", "h", 8.67),
        ("8,333333", "h", 8.33),
        ("8 heures", "h", 8.0),
        ("20 km", "km", 20.0),
        ("20km", "km", 20.0),
        ("1 234", None, 1234.0),
        ("20 km", "h", None),
        ("8 h", "km", None),
        ("huit", "h", None),
        ("", "h", None),
        ("8h75", "h", None),
        ("-3", "h", -3.0),
        ("\u22125 km", "km", -5.0),
        ("- 3", "h", -3.0),
        ("3-", "h", None),
        ("--3", "h", None),
    ],
)
def test_read_number(typed, unit, expected):
    assert read_number(typed, unit) == expected


def test_hours_per_month_or_year_become_hours_per_week():
    assert read_hours_per_week("14") == 14.0
    assert read_hours_per_week("13", "mois") == 3.0
    assert read_hours_per_week("13 h par mois") == 3.0
    assert read_hours_per_week("8 h / mois") == pytest.approx(1.85)
    assert read_hours_per_week("104 h par an") == 2.0
    assert read_hours_per_week("104", "an") == 2.0
    assert read_hours_per_week("104 h par an", "mois") == 2.0  # the words typed win
    assert read_hours_per_week("beaucoup") is None


@pytest.mark.parametrize("typed", ["8h20", "7h10", "10h40", "8,333333", "12,5 km", "0,125"])
def test_a_number_shown_back_reads_as_the_number_stored(typed):
    """What a field shows of a stored number (``decimal_input``) reads back as that same
    number: a form sent back unchanged changes nothing."""
    from connectences.typography import decimal_input

    stored = read_number(typed)
    assert read_number(decimal_input(stored)) == stored
