"""The people's target jobs as indexed rows (candidate_rome), and the search over them.

``Candidate.rome`` stays the record; ``candidate_rome`` must follow every write of it
(creation, edit, merge, erasure, bulk inserts of the benchmarks). The search reads
those rows and the skills' indexes: on a seeded library its pages, totals and scores
must be those of the rules it states (checked against a plain Python reading).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from connectences.bench.matching import write_candidates
from connectences.bench.synth import Generator
from connectences.cvtheque.erase import erase_candidate
from connectences.cvtheque.merge import merge_candidates
from connectences.cvtheque.profile import apply_profile
from connectences.cvtheque.search import (
    SearchFilters,
    communes_within,
    iter_candidates,
    resolve_text,
    search_candidates,
)
from connectences.extensions import db
from connectences.models import Candidate, CandidateRome
from connectences.vocab import LEVEL_RANK
from tests import factories as f
from tests.helpers import by_ref, recorded_statements


def _store(ref: str, **fields) -> Candidate:
    f.load(f.document(candidates=[f.candidate(ref=ref, **fields)]))
    return by_ref(Candidate, ref)


def _rows(candidate: Candidate) -> set[str]:
    return set(
        db.session.scalars(
            select(CandidateRome.code).where(CandidateRome.candidate_id == candidate.id)
        )
    )


def _found(**filters) -> set[str]:
    return {h.candidate.ref for h in iter_candidates(db.session, filters)}


def test_target_jobs_rows_follow_creation_edit_merge_and_erasure():
    person = _store("p1", rome=["M1203", "K1302"], skills=["rigueur"])
    assert _rows(person) == {"M1203", "K1302"}
    assert _found(rome="M1203") == {"p1"} and _found(text="M1203") == {"p1"}

    apply_profile(db.session, person, {"rome": "K1302 G1602"}, partial=True)
    db.session.commit()
    assert _rows(person) == {"K1302", "G1602"}
    assert _found(rome="M1203") == set()
    assert _found(rome="G1602") == {"p1"} and _found(rome="G16") == {"p1"}

    other = _store("p2", rome=["M1203", "G1602"], skills=["rigueur"])
    merge_candidates(db.session, person, other, actor=None)
    db.session.commit()
    assert _rows(person) == {"K1302", "G1602", "M1203"}
    assert db.session.scalars(select(CandidateRome.candidate_id)).all().count(person.id) == 3
    assert set(db.session.scalars(select(CandidateRome.candidate_id))) == {person.id}
    assert _found(rome="M1203") == {"p1"}

    erase_candidate(db.session, person, reason="test")
    db.session.commit()
    assert db.session.scalars(select(CandidateRome)).all() == []
    assert _found(rome="M1203") == set()


def test_a_code_listed_twice_is_one_row():
    person = _store("twice", rome=["M1203"])
    # The row of the kept code is replaced in the same flush as the new ones are added.
    person.rome = ["M1203", "K1302", "K1302", "M1203"]
    db.session.commit()
    assert _rows(person) == {"M1203", "K1302"}


# --- the search against a plain reading of its rules, on a seeded library -------------

BASE = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def seeded():
    people = Generator(seed=5).candidates(600)

    def extra(i: int, _c) -> dict:
        # Many people share an update time: the id must break those ties.
        return {"updated_at": BASE - timedelta(hours=i % 97)}

    write_candidates(db.session, people, BASE, extra=extra)
    db.session.commit()


def _starts(value: str | None, code: str) -> bool:
    return bool(value) and (value == code if len(code) >= 5 else value.startswith(code))


def _expected(filters: SearchFilters, sort: str) -> list[tuple[int, int | None]]:
    """(id, score) of every match, in order, read person by person in Python."""
    terms = resolve_text(db.session, filters.text) if filters.text else []
    near = communes_within(filters.near, filters.radius_km) if filters.near else None
    found = []
    for c in db.session.scalars(select(Candidate).options(selectinload(Candidate.skills))):
        concepts = [s.concept for s in c.skills if s.concept]
        if filters.rome and not any(_starts(v, filters.rome) for v in [*c.rome, *concepts]):
            continue
        if near is not None and c.commune not in near:
            continue
        if filters.level and LEVEL_RANK[c.level] < LEVEL_RANK[filters.level]:
            continue
        scores = [
            max(
                [t.norms.get(s.norm, 0) for s in c.skills]
                + [t.concepts.get(v, 0) for v in concepts]
                + [t.romes.get(v, 0) for v in c.rome]
            )
            for t in terms
        ]
        if 0 in scores:
            continue
        found.append((c, sum(scores) / len(terms) if terms else None))
    found.sort(key=lambda p: (p[0].updated_at, p[0].id), reverse=True)
    if terms and sort == "relevance":
        found.sort(key=lambda p: p[1], reverse=True)  # stable: ties keep the recency order
    return [(c.id, None if score is None else round(score)) for c, score in found]


SHAPES = [
    {"text": "comptabilité"},
    {"text": "comptabilité", "near": f.ARCACHON, "radius_km": 15},
    {"text": "aide à domicile"},
    {"text": "vente"},
    {"text": "cuisine", "near": f.LA_TESTE, "radius_km": 15},
    {"text": "vente, informatique"},  # two terms
    {"text": "compta"},
    {"text": "M1203"},
    {"text": "secrétariat", "level": "employe_qualifie"},
    {"rome": "M1203"},
    {"rome": "M12"},
    {"rome": "K13"},
    {"rome": "G160"},
    {"text": "comptabilité", "rome": "M12"},
    {"level": "technicien"},
    {"near": f.ARCACHON, "radius_km": 15},
]


# Every shape on one seeded library (a subtest each): searching writes nothing.
def test_search_pages_totals_and_scores_follow_the_rules(seeded, subtests):
    for shape in SHAPES:
        with subtests.test(**shape):
            _follows_the_rules(SearchFilters(**shape))


def _follows_the_rules(filters: SearchFilters) -> None:
    for sort in ("relevance", "recent"):
        expected = _expected(filters, sort)
        got = [(h.candidate.id, h.score) for h in iter_candidates(db.session, filters, sort=sort)]
        assert got == expected
        for page in (1, 3):
            result = search_candidates(db.session, filters, sort=sort, page=page, per_page=10)
            assert result.total == len(expected)
            assert [(h.candidate.id, h.score) for h in result.items] == expected[
                (page - 1) * 10 : page * 10
            ]


def test_the_seeded_library_gives_every_shape_something_to_find(seeded):
    # Otherwise the comparison above could pass on empty results.
    for shape in SHAPES:
        assert len(_expected(SearchFilters(**shape), "relevance")) >= 2, shape


def test_a_page_of_text_results_is_four_statements_and_no_commitment_loaded(seeded):
    search_candidates(db.session, {"text": "comptabilité"})  # the vocabulary is read once
    db.session.expunge_all()
    with recorded_statements() as statements:
        result = search_candidates(db.session, {"text": "comptabilité", "near": f.ARCACHON})
    assert result.items
    # The vocabulary's version, the ranked page with its total, the people, their skills.
    assert len(statements) == 4, statements
    # Work held is summed in the people's statement (the hours left), never loaded.
    held = [s for s in statements if "commitment" in s]
    assert len(held) == 1 and "sum(commitment.hours_per_week)" in held[0], held
    # Rows, not entities: nothing of a person is loaded beyond what the page shows.
    assert not hasattr(result.items[0].candidate, "commitments")
    assert db.session.identity_map.keys() == set()
