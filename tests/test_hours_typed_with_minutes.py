"""Hours typed with minutes (« 8h20 ») are stored as the 8,33 the form shows back, for a
person's commitment and a person's hours as for a need's: sent back unchanged, the form
changes nothing. Numbers from a document are kept as sent."""

from __future__ import annotations

from connectences.cvtheque.commitments import read_commitment
from connectences.cvtheque.profile import changed_fields, clean_profile
from connectences.models import Candidate
from connectences.typography import decimal_input
from connectences.web.commitment_form import form_values


def test_a_commitment_typed_with_minutes_is_stored_as_its_form_shows_it():
    values = read_commitment(
        Candidate(commitments=[]), label="Ménage", hours="8h20", days=["mon"], start="", until=""
    )
    assert values.hours_per_week == 8.33
    assert decimal_input(values.hours_per_week) == "8,33"


def test_a_commitment_form_sent_back_unchanged_reads_the_same_hours():
    from connectences.models import Commitment

    held = Commitment(hours_per_week=8.33, days=["mon"], label="Ménage")
    shown = form_values(held)
    assert shown["heures"] == "8,33"
    again = read_commitment(
        Candidate(commitments=[]),
        label="Ménage",
        hours=shown["heures"],
        days=["mon"],
        start="",
        until="",
    )
    assert again.hours_per_week == held.hours_per_week


def test_a_persons_hours_typed_with_minutes_are_stored_as_the_form_shows_them():
    clean = clean_profile({"hours_min": "8h20", "hours_max": "20h40"}, partial=True)
    assert (clean["hours_min"], clean["hours_max"]) == (8.33, 20.67)
    person = Candidate(hours_min=clean["hours_min"], hours_max=clean["hours_max"])
    shown = {
        "hours_min": decimal_input(person.hours_min),
        "hours_max": decimal_input(person.hours_max),
    }
    assert shown == {"hours_min": "8,33", "hours_max": "20,67"}
    assert changed_fields(person, clean_profile(shown, partial=True)) == []


def test_hours_from_a_document_are_kept_as_sent():
    clean = clean_profile({"hours_min": 8.3333, "hours_max": 20.6667}, partial=True)
    assert (clean["hours_min"], clean["hours_max"]) == (8.3333, 20.6667)
