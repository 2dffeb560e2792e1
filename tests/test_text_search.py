"""The lists' text search (``listing.text_search``): the database folds a column as
Python folds what is typed, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select

from connectences.extensions import db
from connectences.listing import _Folded, fold_text, folded_words, text_search

STORED = [
    "Lège-Cap-Ferret",
    "LÈGE-CAP-FERRET",
    "L’ŒUVRE D’ANDERNOS",
    "Société Æther",
    "Straße",
    "e\u0301cole de La Teste-de-Buch",  # stored decomposed
    "Ça va, Noël à Gujan-Mestras",
    "100 %_\\ réduction",
    "Ñandú Ÿ",
]


@pytest.mark.parametrize("text", STORED)
def test_the_database_folds_a_column_as_python_folds_the_typed_text(text):
    assert db.session.scalar(select(_Folded(literal(text)))) == fold_text(text)


@pytest.mark.parametrize(
    "typed,found",
    [
        ("lege cap ferret", True),
        ("LEGE", True),
        ("Lège-Cap", True),
        ("cap-ferret lège", True),
        ("ferret arcachon", False),
        ("%", False),
        ("_", False),
        ("\\", False),
        ("", True),
    ],
)
def test_every_typed_word_is_found_without_accents_case_nor_wildcards(typed, found):
    condition = text_search([literal("Lège-Cap-Ferret"), literal("Boulangerie")], typed)
    assert bool(db.session.scalar(select(literal(1)).where(condition))) is found


def test_typed_words_are_folded():
    assert folded_words(" LÈGE-Cap  l’Œuvre Straße ") == ["lege", "cap", "l", "oeuvre", "strasse"]
