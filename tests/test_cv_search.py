"""The CV library search (cvtheque.search): each filter, fuzzy text, sorting, pages, bench."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectences.cvtheque.search import (
    MIN_PREFIX_WORD,
    NormVocabulary,
    SearchFilters,
    TermMatch,
    _shape,
    _term_hits,
    _term_params,
    communes_within,
    iter_candidates,
    resolve_text,
    search_candidates,
)
from connectences.extensions import db
from connectences.models import Candidate
from tests import factories as f
from tests.helpers import by_ref

ANDERNOS = "33005"  # COBAN
SALLES = "33498"  # Val de l'Eyre, 27 km from Arcachon
BORDEAUX = "33063"  # outside the Pays, 51 km from Arcachon


def _load(*items):
    f.load(f.document(candidates=list(items)))


def _refs(filters, **kwargs) -> list[str]:
    result = search_candidates(db.session, filters, per_page=200, **kwargs)
    return [hit.candidate.ref for hit in result.items]


def _touch(ref: str, days_ago: int) -> None:
    by_ref(Candidate, ref).updated_at = datetime(2027, 1, 1, tzinfo=UTC) - timedelta(days=days_ago)


@pytest.fixture
def library():
    """Five people who differ on the skills side; no target job unless said."""
    _load(
        f.candidate(ref="compta", skills=["Comptabilité générale", "facturation"], rome=[]),
        f.candidate(ref="jardin", skills=["jardinage", "taille de haies"], rome=[]),
        f.candidate(ref="aide", skills=["aide à domicile"], rome=[]),
        f.candidate(ref="cible", skills=["rigueur"], rome=["M1203"]),
        f.candidate(ref="anglais", skills=["anglais courant"], rome=[]),
    )
    db.session.commit()


@pytest.mark.parametrize(
    "text",
    ["comptabilité générale", "comptabilite", "Comptabilité", "compta", "comptabilté", "COMPTA"],
)
def test_text_finds_accents_typos_and_abbreviations(library, text):
    refs = _refs({"text": text})
    assert "compta" in refs
    assert not {"jardin", "aide", "anglais"} & set(refs)


def test_text_finds_target_jobs_and_words_the_taxonomy_does_not_know(library):
    # The person wants an accounting job without listing accounting skills.
    assert set(_refs({"text": "comptable"})) == {"compta", "cible"}
    assert _refs({"text": "anglais"}) == ["anglais"]
    assert _refs({"text": "anglias"}) == ["anglais"]  # swapped letters
    assert _refs({"text": "ang"}) == []  # three letters are not taken as an abbreviation
    assert _refs({"text": "jardinnage"}) == ["jardin"]
    assert _refs({"text": "xyzzy plomberie sous-marine"}) == []


def test_every_term_must_match(library):
    _load(f.candidate(ref="deux", skills=["comptabilité", "anglais"], rome=[]))
    assert _refs({"text": "compta, anglais"}) == ["deux"]
    assert set(_refs({"text": "compta"})) == {"compta", "cible", "deux"}


def test_relevance_puts_the_closest_skill_first_and_recent_sorts_by_update(library):
    _load(f.candidate(ref="anglais-seul", skills=["anglais"], rome=[]))
    _touch("anglais", 1)  # the longer skill was updated more recently
    _touch("anglais-seul", 30)
    db.session.commit()
    result = search_candidates(db.session, {"text": "anglais"}, sort="relevance")
    assert [h.candidate.ref for h in result.items] == ["anglais-seul", "anglais"]
    assert result.items[0].score == 100 and result.items[1].score < 100
    assert _refs({"text": "anglais"}, sort="recent") == ["anglais", "anglais-seul"]


def test_no_text_is_sorted_by_recency(library):
    for days, ref in enumerate(["aide", "compta", "jardin", "cible", "anglais"]):
        _touch(ref, days)
    db.session.commit()
    assert _refs({}) == ["aide", "compta", "jardin", "cible", "anglais"]
    assert all(h.score is None for h in search_candidates(db.session, {}).items)


def test_pagination_counts_everything_and_pages_do_not_overlap():
    _load(*[f.candidate(ref=f"p{i}") for i in range(7)])
    for i in range(7):
        _touch(f"p{i}", i)
    db.session.commit()
    pages = [
        search_candidates(db.session, {}, sort="recent", page=n, per_page=3) for n in (1, 2, 3)
    ]
    assert [p.total for p in pages] == [7, 7, 7]
    assert [p.pages for p in pages] == [3, 3, 3]
    seen = [h.candidate.ref for p in pages for h in p.items]
    assert seen == [f"p{i}" for i in range(7)]
    assert not pages[0].has_prev and pages[0].has_next and not pages[2].has_next
    assert search_candidates(db.session, {}, page=9, per_page=3).items == []


def _pair(field: str, inside, outside, **common) -> None:
    _load(
        f.candidate(ref="dedans", **{field: inside}, **common),
        f.candidate(ref="dehors", **{field: outside}, **common),
    )
    db.session.commit()


@pytest.mark.parametrize(
    "field, inside, outside, filters",
    [
        ("rome", ["K1302"], ["M1203"], {"rome": "K1302"}),
        ("rome", ["K1302"], ["M1203"], {"rome": "K13"}),
        ("commune", f.ARCACHON, f.LA_TESTE, {"commune": f.ARCACHON}),
        ("commune", ANDERNOS, f.ARCACHON, {"epci": f.COBAN}),
        ("commune", f.LA_TESTE, SALLES, {"near": f.ARCACHON, "radius_km": 10}),
        ("commune", SALLES, BORDEAUX, {"near": f.ARCACHON, "radius_km": 30}),
        ("level", "technicien", "employe_qualifie", {"level": "technicien"}),
        ("level", "cadre", "non_qualifie", {"level": "employe_qualifie"}),
        ("days", ["mon", "sat"], ["mon", "tue"], {"days": ("mon", "sat")}),
        ("contracts", ["cdd", "saisonnier"], ["cdi"], {"contract": "saisonnier"}),
        ("available_from", "2027-01-04", "2027-06-01", {"available_by": date(2027, 3, 1)}),
        ("status", "en_mission", "disponible", {"statuses": ("en_mission", "place")}),
        ("source", "Forum emploi", "job dating", {"source": "forum emploi"}),
    ],
)
def test_each_filter_narrows(field, inside, outside, filters):
    _pair(field, inside, outside)
    assert set(_refs({})) == {"dedans", "dehors"}
    assert _refs(filters) == ["dedans"]
    # The same filter with the free text: still only the one inside.
    assert _refs({**filters, "text": "facturation"}) == ["dedans"]


@pytest.mark.parametrize(
    "person, wanted, found",
    [
        ((10, 20), (5, 12), True),  # overlaps from below
        ((10, 20), (18, 30), True),  # overlaps from above
        ((10, 20), (12, 15), True),  # inside
        ((10, 20), (21, 30), False),
        ((10, 20), (1, 9), False),
    ],
)
def test_hours_filter_is_a_range_overlap(person, wanted, found):
    _load(f.candidate(ref="h", hours_min=person[0], hours_max=person[1]))
    refs = _refs({"hours_min": wanted[0], "hours_max": wanted[1]})
    assert (refs == ["h"]) is found


def test_rome_filter_also_reads_skills_placed_in_that_job():
    _load(
        f.candidate(ref="skill-only", skills=["comptabilité générale"], rome=[]),
        f.candidate(ref="rien", skills=["jardinage"], rome=[]),
    )
    assert _refs({"rome": "M1203"}) == ["skill-only"]


def test_confirmed_filter():
    _load(f.candidate(ref="oui"), f.candidate(ref="non"))
    by_ref(Candidate, "non").email_confirmed_at = None
    db.session.commit()
    assert _refs({"confirmed": True}) == ["oui"]
    assert _refs({"confirmed": False}) == ["non"]
    assert set(_refs({"confirmed": None})) == {"oui", "non"}


def test_filters_combine_with_and():
    _load(
        f.candidate(ref="tout", commune=f.ARCACHON, level="technicien", days=["mon", "sat"]),
        f.candidate(ref="niveau", commune=f.ARCACHON, level="non_qualifie", days=["mon", "sat"]),
        f.candidate(ref="lieu", commune=ANDERNOS, level="technicien", days=["mon", "sat"]),
    )
    filters = SearchFilters(epci=f.COBAS, level="employe_qualifie", days=("sat",))
    assert _refs(filters) == ["tout"]
    assert filters.as_dict() == {"epci": f.COBAS, "level": "employe_qualifie", "days": ["sat"]}


def test_communes_within_uses_the_reference_centres():
    near = communes_within(f.ARCACHON, 10)
    assert f.ARCACHON in near and f.LA_TESTE in near and f.GUJAN in near
    assert SALLES not in near and BORDEAUX not in near
    assert BORDEAUX in communes_within(f.ARCACHON, 60)
    assert communes_within("99999", 10) == ()


def test_resolve_text_gives_concepts_and_stored_norms(library):
    (term,) = resolve_text(db.session, "comptabilté")
    assert term.concepts.get("M1203", 0) >= 90
    assert "comptabilite generale" in term.norms
    assert term.romes.get("M1203")


def test_iter_candidates_returns_every_match_in_order(library):
    hits = list(iter_candidates(db.session, {"text": "compta"}, batch=1))
    assert {h.candidate.ref for h in hits} == {"compta", "cible"}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_unknown_sort_is_refused():
    with pytest.raises(ValueError):
        search_candidates(db.session, {}, sort="alphabet")


def test_bench_search_prints_one_json_line_per_shape(runner):
    result = runner.invoke(args=["bench", "search", "--size", "300", "--repeats", "1"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    metrics = [r["metric"] for r in records]
    assert metrics[0] == "search_build_ms"
    shapes = [m for m in metrics if m != "search_build_ms"]
    assert len(shapes) >= 6 and len(set(shapes)) == len(shapes)
    for name in (
        "search_text_ms",
        "search_text_radius_ms",
        "search_epci_level_hours_ms",
        "search_days_contract_ms",
        "search_no_filter_recent_ms",
        "search_deep_page_ms",
        "search_page_text_ms",  # the whole page over HTTP, logged in
        "search_page_no_filter_ms",
    ):
        assert name in shapes
    for record in records:
        assert record["unit"] == "ms" and isinstance(record["value"], int | float)
        assert record["candidates"] == 300
    by_name = {r["metric"]: r for r in records}
    assert by_name["search_no_filter_recent_ms"]["total"] == 300
    assert by_name["search_deep_page_ms"]["rows"] > 0


@pytest.mark.engine_free
@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abcéz ", min_size=1, max_size=9), max_size=40),
    word=st.text(alphabet="abcéz", min_size=1, max_size=6),
)
def test_a_query_word_finds_every_library_word_it_starts(words, word):
    # Found by bisection in the sorted words: the same as trying each of them.
    vocabulary = NormVocabulary(words)
    found = vocabulary.word_matches(word)
    starting = {w for w in vocabulary.words if w.startswith(word) and w != word}
    if len(word) >= MIN_PREFIX_WORD:
        assert starting <= set(found)
        assert all(found[w] == 0.9 for w in starting)
    else:
        assert not starting & {w for w, strength in found.items() if strength == 0.9}


def test_a_vocabulary_extended_leaves_the_one_it_came_from_as_it_was():
    first = NormVocabulary(["aide comptable", "cuisine"])
    second = first.extended(["aide a domicile", "aide comptable", "aide a domicile"])
    assert first.norms == ["aide comptable", "cuisine"]
    assert first.by_word["aide"] == [0] and "domicile" not in first.by_word
    assert second.norms == ["aide comptable", "cuisine", "aide a domicile"]
    assert second.words == sorted(second.by_word) and "domicile" in second.words
    assert set(second.match("aide")) == {"aide comptable", "aide a domicile"}
    assert set(second.match("domicile")) == {"aide a domicile"}
    fresh = NormVocabulary(second.norms)  # the same as reading the three norms anew
    assert (second.norm_words, second.by_word, second.words) == (
        fresh.norm_words,
        fresh.by_word,
        fresh.words,
    )
    assert first.extended(["cuisine"]) is first


def test_a_term_s_statement_is_built_once_per_shape_and_binds_its_own_values(library):
    """Two terms scored alike share one built statement (it cost 1.3 ms to build at each
    search); each search still binds, and finds, its own people."""
    jardin = TermMatch("jardin", concepts={}, norms={"jardinage": 100}, romes={})
    anglais = TermMatch("anglais", concepts={}, norms={"anglais courant": 100}, romes={})
    assert _shape(jardin) == _shape(anglais)
    assert _term_hits(0, _shape(jardin)) is _term_hits(0, _shape(anglais))
    assert _term_hits(1, _shape(jardin)) is not _term_hits(0, _shape(jardin))  # 2nd term
    assert _term_params(0, jardin, _shape(jardin)) == {"t0_norms_0": ["jardinage"]}
    for _ in range(2):  # again, with the statements already built
        assert _refs({"text": "jardinage"}) == ["jardin"]
        assert _refs({"text": "anglais"}) == ["anglais"]
        assert _refs({"text": "aide à domicile, anglais"}) == []


def test_a_term_the_law_forbids_is_left_out_of_the_search_and_said(library):
    from werkzeug.datastructures import MultiDict

    from connectences.cvtheque.profile import set_skills

    # Stored before the forms refused it: searching for it would sort people by it.
    _load(f.candidate(ref="ancien", skills=["Comptabilité"], rome=[]))
    set_skills(by_ref(Candidate, "ancien"), ["Comptabilité", "homme"])
    db.session.commit()
    filters, errors = SearchFilters.from_args(MultiDict({"q": "homme, comptabilité"}))
    assert filters.text == "comptabilité"
    assert [str(error) for error in errors] == [
        "Recherche : « homme » : la plateforme ne tient jamais compte du sexe (critère "
        "interdit par la loi, article L1132-1 du Code du travail). Retirez-le."
    ]
    assert _refs(filters) == _refs(SearchFilters(text="comptabilité"))
    assert "ancien" in _refs(filters) and "jardin" not in _refs(filters)
    alone, _ = SearchFilters.from_args(MultiDict({"q": "moins de 30 ans"}))
    assert alone.text == ""
    # A real skill sharing a word is searched as typed.
    kept, none = SearchFilters.from_args(MultiDict({"q": "femme de chambre, garde d'enfants"}))
    assert kept.text == "femme de chambre, garde d'enfants" and none == []
