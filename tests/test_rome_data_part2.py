"""Structural rules of the shipped ROME taxonomy data, domains I to N.

The skills module reads these files as they are shipped; a malformed entry would
silently drop a job from matching, so the shape is checked here file by file.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from tests.test_rome_data_part1 import CODE_RE, MIN_TERMS

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

LETTERS = ["I", "J", "K", "L", "M", "N"]
DOMAIN_LABELS = {
    "I": "Installation et maintenance",
    "J": "Santé",
    "K": "Services à la personne et à la collectivité",
    "L": "Spectacle",
    "M": "Support à l'entreprise",
    "N": "Transport et logistique",
}


def _load(letter: str) -> dict:
    path = resources.files("connectences") / "data" / "rome" / f"{letter}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def files() -> dict[str, dict]:
    return {letter: _load(letter) for letter in LETTERS}


@pytest.mark.parametrize("letter", LETTERS)
def test_file_header(files, letter):
    data = files[letter]
    assert data["domain"] == letter
    assert data["label"] == DOMAIN_LABELS[letter]
    assert "France Travail" in data["source"] and "ROME" in data["source"]
    assert "Licence Ouverte" in data["licence"]
    assert isinstance(data["codes"], list) and data["codes"]


@pytest.mark.parametrize("letter", LETTERS)
def test_codes_well_formed_and_in_their_domain(files, letter):
    for entry in files[letter]["codes"]:
        assert set(entry) == {"code", "label", "appellations", "skills"}, entry["code"]
        assert CODE_RE.match(entry["code"]), entry["code"]
        assert entry["code"][0] == letter, entry["code"]
        assert entry["label"].strip() == entry["label"] and entry["label"], entry["code"]


@pytest.mark.parametrize("letter", LETTERS)
def test_every_code_has_enough_clean_terms(files, letter):
    for entry in files[letter]["codes"]:
        terms = entry["appellations"] + entry["skills"]
        assert len(terms) >= MIN_TERMS, (entry["code"], len(terms))
        assert entry["appellations"], entry["code"]
        for term in terms:
            assert isinstance(term, str) and term and term == term.strip(), (entry["code"], term)
        folded = [t.casefold() for t in terms]
        assert len(folded) == len(set(folded)), f"duplicate term in {entry['code']}"


def test_no_code_appears_twice(files):
    codes = [entry["code"] for data in files.values() for entry in data["codes"]]
    assert len(codes) == len(set(codes))
    assert len(codes) >= 60


def test_support_functions_are_covered(files):
    """The codes the TPEs ask for most (accounting, payroll, HR, secretariat) are present."""
    by_code = {entry["code"]: entry for data in files.values() for entry in data["codes"]}
    assert by_code["M1203"]["label"] == "Comptabilité"
    assert by_code["M1501"]["label"] == "Assistanat en ressources humaines"
    assert by_code["M1607"]["label"] == "Secrétariat"
    assert "paie" in by_code["M1501"]["skills"]
    assert "RRH" in by_code["M1503"]["appellations"]
