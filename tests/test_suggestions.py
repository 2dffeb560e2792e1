"""Suggestions that help (issue #12): ROME codes for a need, skill chips, skills read in a CV."""

from __future__ import annotations

import pytest

from connectences import skills
from connectences.cvtheque.read_skills import skills_read_in_cv

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

ACCOUNTING_FAMILY = ("M12", "M16")


def test_rome_suggestions_for_a_bookkeeper_offer_no_unrelated_trade():
    suggested = skills.rome_suggestions(
        "Comptable 2 jours par semaine",
        ["saisie comptable", "rapprochements bancaires", "déclarations de TVA"],
    )
    codes = [code for code, _ in suggested]
    assert codes[0] == "M1203"
    assert "F1606" not in codes and "A1406" not in codes
    assert all(code.startswith(ACCOUNTING_FAMILY) for code in codes), suggested


def test_rome_suggestions_still_offer_something_for_an_unplaced_title():
    assert skills.rome_suggestions("Pâtisier", [])  # typo: fuzzy suggestions remain


def test_skill_chips_follow_the_trades_already_written():
    plain = [i["code"] for i in skills.suggest("sa", limit=8)]
    assert any(not code.startswith("M") for code in plain)  # without context: any trade
    after_payroll = skills.skill_suggestions("sa", ["paie", "DSN"], limit=8)
    assert after_payroll
    assert all(i["code"].startswith("M") for i in after_payroll), after_payroll
    labels = [i["label"].lower() for i in after_payroll]
    assert not {"sciage", "voilages", "ensileuse"} & set(labels)


def test_skill_chips_endpoint_reads_the_skills_written_before(client):
    response = client.get(
        "/deposer-mon-cv/suggestions", query_string={"q": "sa", "avant": "paie\nDSN"}
    )
    assert response.status_code == 200
    codes = [s["code"] for s in response.get_json()["suggestions"]]
    assert codes and all(code.startswith("M") for code in codes)


CV = """Marin Dupont
Né le 3 mars 1990, 12 rue des Pins 33120 Arcachon
Vendeur à Bordeaux de 2015 à 2019
Comptabilité, paie, tonte
Peintre en bâtiment"""


def test_skills_read_in_a_cv_leave_out_places_names_and_dates():
    read = [s.lower() for s in skills_read_in_cv(CV, [])]
    assert "comptabilité" in read and "paie" in read and "tonte" in read
    for not_a_skill in ("arcachon", "bordeaux", "marin", "mars"):
        assert not_a_skill not in read
    # The same words are skills where they are written as skills.
    assert "marin" in [i["label"].lower() for i in skills.extract_skills(CV)]


def test_skills_read_in_a_cv_skip_what_the_person_already_wrote():
    assert "paie" not in [s.lower() for s in skills_read_in_cv(CV, ["Paie"])]


def test_a_skill_on_the_line_after_a_name_is_still_read():
    read = skills_read_in_cv("Camille Navarre\nComptabilité, paie", [])
    assert read[:2] == ["Comptabilité", "paie"]
