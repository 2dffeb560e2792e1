"""Numbers as people type them: one reader for every hours and distance field."""

from __future__ import annotations

import pytest

from connectences.numbers import read_hours_per_week, read_number, too_precise

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
        ("8,333333", "h", None),  # more decimals than stored: refused (too_precise)
        ("8,555", "h", None),
        ("8,500", "h", 8.5),  # trailing zeros say nothing more
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


@pytest.mark.parametrize("typed", ["8h20", "7h10", "10h40", "8,33", "12,5 km", "0,12"])
def test_a_number_shown_back_reads_as_the_number_stored(typed):
    """What a field shows of a stored number (``decimal_input``) reads back as that same
    number: a form sent back unchanged changes nothing."""
    from connectences.typography import decimal_input

    stored = read_number(typed)
    assert read_number(decimal_input(stored)) == stored


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            "8,555",
            "« 8,555 » a trop de chiffres après la virgule, 2 au plus (par exemple 8,55 ou 8,56).",
        ),
        (
            "8.555 h",
            "« 8,555 » a trop de chiffres après la virgule, 2 au plus (par exemple 8,55 ou 8,56).",
        ),
        (
            "0,125",
            "« 0,125 » a trop de chiffres après la virgule, 2 au plus (par exemple 0,12 ou 0,13).",
        ),
        (
            "12,1250 km",
            "« 12,125 » a trop de chiffres après la virgule, 2 au plus (par exemple 12,12 ou 12,13).",
        ),
    ],
)
def test_a_number_typed_with_more_decimals_than_stored_is_refused_and_said(typed, said):
    """« 8,555 » was read as 8,55 (and confirmed to the operator as « 8,55 h »): a value
    nobody typed. Every reader refuses it, and one message says why."""
    assert read_number(typed) is None
    assert read_hours_per_week(typed) is None
    assert too_precise(typed) == said


@pytest.mark.parametrize("typed", ["8", "8,5", "8,55", "8,500", "8h20", "huit", "", None])
def test_a_number_within_the_decimals_stored_is_not_said_too_precise(typed):
    assert too_precise(typed) is None


def test_hours_per_month_typed_with_more_decimals_are_refused_too():
    assert read_hours_per_week("8,555", "mois") is None
    assert too_precise("8,555 h par mois").startswith("« 8,555 » a trop de chiffres")
