"""List filters: one pattern (a frozen dataclass, ``from_args`` / ``as_args``) for the
needs board, the visits list, the CV library and the company directory."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from connectences.cvtheque.search import SearchFilters
from connectences.matching.filters import DEFAULT_MATCH_LIMIT, MAX_KM, MatchFilters
from connectences.needs.board import BoardFilters
from connectences.prospection.companies import DirectoryFilters
from connectences.prospection.visits import VisitFilters
from tests.factories import ARCACHON, COBAS

ROME_PROBLEM = "Code ROME : saisissez un code (M1203) ou son début (M12)."

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


def test_each_list_reads_its_filters_and_writes_back_the_same_arguments():
    board = MultiDict({"statut": "qualifie", "intercommunalite": COBAS, "q": " boulangerie "})
    assert BoardFilters.from_args(board)[0].as_args() == {
        "statut": "qualifie",
        "intercommunalite": COBAS,
        "q": "boulangerie",
    }
    directory = MultiDict({"q": "mie", "commune": ARCACHON, "naf": "10.71C"})
    assert DirectoryFilters.from_args(directory)[0].as_args() == {
        "q": "mie",
        "commune": ARCACHON,
        "naf": "10.71C",
    }
    visits = MultiDict({"canal": "telephone", "du": "2026-03-01", "animateur": "7"})
    filters, errors = VisitFilters.from_args(visits)
    assert errors == []
    assert filters.start == date(2026, 3, 1) and filters.animateur_id == 7
    assert filters.as_args() == {"animateur": "7", "canal": "telephone", "du": "2026-03-01"}
    library = MultiDict([("q", "cariste"), ("jours", "mon"), ("jours", "tue"), ("confirme", "non")])
    found, problems = SearchFilters.from_args(library)
    assert problems == []
    assert found.days == ("mon", "tue") and found.confirmed is False
    assert SearchFilters.from_args(MultiDict(found.as_args()))[0] == found


def test_unknown_values_are_dropped_and_bad_ones_reported():
    junk = MultiDict({"intercommunalite": "999", "commune": "00000", "canal": "pigeon"})
    filters, errors = DirectoryFilters.from_args(junk)
    assert filters.as_args() == {}
    assert [e.field for e in errors] == ["intercommunalite", "commune"]
    filters, errors = VisitFilters.from_args(MultiDict({"du": "32/13/2026", "canal": "pigeon"}))
    assert filters.as_args() == {}
    assert [str(e) for e in errors] == [
        "Canal : choisissez un canal de la liste.",
        "Du : Date de début invalide : « 32/13/2026 » n'existe pas dans le calendrier.",
    ]
    filters, problems = SearchFilters.from_args(MultiDict({"rome": "12", "niveau": "bac+12"}))
    assert filters.rome == "" and filters.level == "" and len(problems) == 2
    # A ROME code is a letter and digits: a wildcard or another script's digit is refused.
    for typed in ("M12%", "M12_", "K1\\", "M²³", "M١٢"):
        filters, problems = SearchFilters.from_args(MultiDict({"rome": typed}))
        assert filters.rome == "" and [str(p) for p in problems] == [ROME_PROBLEM], typed
    assert SearchFilters.from_args(MultiDict({"rome": "m12"}))[0].rome == "M12"
    matches, problems = MatchFilters.from_args(
        {"nombre": "500", "score_min": "250", "distance_max": "x"}
    )
    assert matches == MatchFilters(min_score=100, limit=DEFAULT_MATCH_LIMIT, max_km=None)
    assert [p.field for p in problems] == ["distance_max", "nombre"]
    # A whole number only, in ASCII digits; a long one is its bound.
    for typed in ("12,5", "12.5", "١٢", "1e3"):
        assert MatchFilters.from_args({"distance_max": typed})[1], typed
    assert MatchFilters.from_args({"distance_max": "9" * 5000})[0].max_km == MAX_KM
    assert MatchFilters.from_args({"distance_max": "-" + "9" * 20})[0].max_km == 0
    assert MatchFilters.from_args({"distance_max": "00000000040"})[0].max_km == 40
