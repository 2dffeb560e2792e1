"""Structural checks of the shipped ROME taxonomy data, domains A, B, D, E, F, G and H.

The skills module trusts these files blindly at run time, so every rule it relies on
(one file per domain letter, well-formed codes, enough vocabulary per code, no code
defined twice) is enforced here rather than discovered in production.
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest

import connectences

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

ROME_DIR = Path(connectences.__file__).parent / "data" / "rome"

# Official labels of the ROME "grands domaines" (France Travail).
DOMAIN_LABELS = {
    "A": "Agriculture et Pêche, Espaces naturels et Espaces verts, Soins aux animaux",
    "B": "Arts et Façonnage d'ouvrages d'art",
    "D": "Commerce, Vente et Grande distribution",
    "E": "Communication, Média et Multimédia",
    "F": "Construction, Bâtiment et Travaux publics",
    "G": "Hôtellerie-Restauration, Tourisme, Loisirs et Animation",
    "H": "Industrie",
}

# A sample of official fiche labels the territory depends on: a typo or a wrong code
# here would silently break matching for whole trades.
ANCHOR_LABELS = {
    "A1201": "Bûcheronnage et élagage",
    "A1203": "Aménagement et entretien des espaces verts",
    "A1205": "Sylviculture",
    "A1404": "Aquaculture",
    "D1101": "Boucherie",
    "D1102": "Boulangerie - viennoiserie",
    "D1202": "Coiffure",
    "D1208": "Soins esthétiques et corporels",
    "E1107": "Organisation d'évènementiel",
    "F1602": "Électricité bâtiment",
    "F1603": "Installation d'équipements sanitaires et thermiques",
    "F1703": "Maçonnerie",
    "G1203": "Animation de loisirs auprès d'enfants ou d'adolescents",
    "G1602": "Personnel de cuisine",
    "G1703": "Réception en hôtellerie",
    "G1803": "Service en restauration",
    "H2205": "Première transformation de bois d'oeuvre",
}

CODE_RE = re.compile(r"^[A-N][0-9]{4}$")
MIN_TERMS = 18
# Words that belong to every job: a code carrying one alone would match anything.
GENERIC = {"polyvalent", "polyvalente", "autonome", "accueil", "rigueur", "dynamique", "motive"}


def _norm(term: str) -> str:
    decomposed = unicodedata.normalize("NFD", term.casefold())
    return " ".join("".join(c for c in decomposed if unicodedata.category(c) != "Mn").split())


def _load(letter: str) -> dict:
    return json.loads((ROME_DIR / f"{letter}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docs() -> dict[str, dict]:
    return {letter: _load(letter) for letter in DOMAIN_LABELS}


@pytest.mark.parametrize("letter", sorted(DOMAIN_LABELS))
def test_domain_file_header(letter):
    path = ROME_DIR / f"{letter}.json"
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert doc["domain"] == letter
    assert doc["label"] == DOMAIN_LABELS[letter]
    assert "France Travail" in doc["source"] and "ROME" in doc["source"]
    assert "Licence Ouverte" in doc["licence"]
    # Pretty-printed and written as real UTF-8, so diffs stay reviewable.
    assert "\n  " in text
    assert "\\u00" not in text
    assert isinstance(doc["codes"], list) and doc["codes"]


@pytest.mark.parametrize("letter", sorted(DOMAIN_LABELS))
def test_codes_are_well_formed_and_rich(letter):
    doc = _load(letter)
    for entry in doc["codes"]:
        code = entry["code"]
        assert CODE_RE.match(code), code
        assert code[0] == letter, code
        assert isinstance(entry["label"], str) and entry["label"].strip() == entry["label"]
        assert entry["label"]
        terms = entry["appellations"] + entry["skills"]
        assert entry["appellations"], f"{code} has no appellation"
        assert len(terms) >= MIN_TERMS, f"{code} has only {len(terms)} terms"
        for term in terms:
            assert isinstance(term, str) and term and term == term.strip(), (code, term)
            assert _norm(term) not in GENERIC, (code, term)
        normalised = [_norm(t) for t in terms]
        duplicates = {t for t in normalised if normalised.count(t) > 1}
        assert not duplicates, f"{code} repeats {duplicates}"


def test_no_code_defined_twice(docs):
    codes = [entry["code"] for doc in docs.values() for entry in doc["codes"]]
    assert len(codes) == len(set(codes))
    assert len(codes) >= 55


def test_official_labels_of_anchor_codes(docs):
    labels = {entry["code"]: entry["label"] for doc in docs.values() for entry in doc["codes"]}
    for code, label in ANCHOR_LABELS.items():
        assert labels.get(code) == label, code


def test_field_vocabulary_of_key_trades(docs):
    terms = {
        entry["code"]: {_norm(t) for t in entry["appellations"] + entry["skills"]}
        for doc in docs.values()
        for entry in doc["codes"]
    }
    assert {"front office", "night audit", "check-in"} <= terms["G1703"]
    assert {"capa travaux paysagers", "tonte", "taille de haies"} <= terms["A1203"]
    assert {"ostreiculteur / ostreicultrice", "naissain"} <= terms["A1404"]
    assert {"cdr", "chef / cheffe de rang"} <= terms["G1803"]
    assert {"cap boulanger", "bp boulanger"} <= terms["D1102"]
    assert {"plonge"} <= terms["G1605"]
