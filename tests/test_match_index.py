"""The columnar index gives exactly what the candidate-by-candidate scorer gives."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from connectences.bench.synth import Generator
from connectences.matching.data import CommitmentData
from connectences.matching.index import CandidateIndex
from connectences.matching.score import rank_candidates

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


def _distance_with_unknowns(seed: int):
    """Distances from a seeded table, with some pairs unknown (None)."""
    rng = random.Random(seed)  # noqa: S311 — synthetic or sampled data, never a secret
    table: dict[tuple[str, str], float | None] = {}

    def distance(a: str, b: str) -> float | None:
        key = (a, b)
        if key not in table:
            roll = rng.random()
            # Whole kilometres hit the mobility boundaries exactly (5, 10, 15...).
            table[key] = None if roll < 0.1 else float(rng.randint(0, 45))
        return table[key]

    return distance


def _pairs(results):
    return [(r["candidate"], r["score"]) for r in results]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_index_equals_naive_scorer_on_random_data(seed):
    gen = Generator(seed=seed, pool_size=600, codes=25)
    people = gen.candidates(1500)
    distance = _distance_with_unknowns(seed)
    index = CandidateIndex.build(people, distance=distance)
    compared = 0
    for need in gen.needs(25):
        expected = rank_candidates(need, people, limit=None, distance=distance)
        got = index.top(need, limit=None)
        assert got == _pairs(expected), need
        compared += len(got)
        # Top 20 with explanations: the very same dicts.
        assert index.match(need, 20) == expected[:20]
    assert compared > 1000  # the data exercised the scorer, not just the filters


def test_incremental_add_update_remove_equals_a_fresh_build():
    gen = Generator(seed=11, pool_size=400, codes=15)
    people = gen.candidates(800)
    distance = _distance_with_unknowns(11)
    index = CandidateIndex.build(people[:500], distance=distance)
    rng = random.Random(5)  # noqa: S311 — synthetic or sampled data, never a secret
    current = {c.ref: c for c in people[:500]}
    for cand in people[500:]:
        index.add(cand)
        current[cand.ref] = cand
    for ref in rng.sample(sorted(current), 120):
        other = gen.candidate()
        changed = replace(other, ref=ref)
        index.update(changed)
        current[ref] = changed
    for ref in rng.sample(sorted(current), 60):
        assert index.remove(ref)
        del current[ref]
    assert not index.remove("cv-absent")
    assert len(index) == len(current)
    fresh = CandidateIndex.build(current.values(), distance=distance)
    for need in gen.needs(20):
        expected = _pairs(rank_candidates(need, current.values(), None, distance=distance))
        assert index.top(need, None) == expected
        assert fresh.top(need, None) == expected


def test_compaction_after_many_updates_keeps_results():
    gen = Generator(seed=4, pool_size=300, codes=10)
    people = gen.candidates(300)
    distance = _distance_with_unknowns(4)
    index = CandidateIndex.build(people, distance=distance)
    for _ in range(5):
        for cand in people:
            index.update(replace(cand, hours_max=cand.hours_max))
    assert len(index) == len(people)
    assert index.n < 6 * len(people)  # dead rows were dropped along the way
    for need in gen.needs(10):
        assert index.top(need, None) == _pairs(
            rank_candidates(need, people, None, distance=distance)
        )


def _person_and_a_need_they_fit(seed: int):
    """A matchable person and a need whose hard constraints they pass."""
    gen = Generator(seed=seed, pool_size=200, codes=5)
    base = replace(gen.candidate(), status="disponible", consent=True)
    need = replace(
        gen.need(),
        level=base.level,
        contract=next(iter(base.contracts)),
        days=base.days,
        hours_per_week=base.hours_max,
        start=base.available_from,
    )
    return base, need


def test_ties_are_broken_by_ref_and_limit_keeps_the_best():
    base, need = _person_and_a_need_they_fit(8)
    clones = [replace(base, ref=f"cv-{i:03d}") for i in (5, 3, 9, 1, 7)]
    index = CandidateIndex.build(clones, distance=lambda a, b: 0.0)
    top = index.top(need, 3)
    assert [ref for ref, _ in top] == ["cv-001", "cv-003", "cv-005"]
    assert len({score for _, score in top}) == 1


def test_a_ranking_read_in_slices_keeps_ties_in_ref_order_across_slices():
    """The need page reads a ranking lazily, a slice at a time: a group of equal scores
    larger than a slice, straddling its end, still comes whole and in ref order."""
    base, need = _person_and_a_need_they_fit(8)
    rng = random.Random(3)  # noqa: S311 — synthetic or sampled data, never a secret
    numbers = rng.sample(range(1000), 300)
    # Three scores: wishing fewer hours than the need gives fewer hour points.
    people = [
        replace(base, ref=f"cv-{n:04d}", hours_min=base.hours_max * (1 + k % 3))
        for k, n in enumerate(numbers)
    ]
    people = [replace(p, hours_max=max(p.hours_max, p.hours_min)) for p in people]
    index = CandidateIndex.build(people, distance=lambda a, b: 0.0)
    expected = _pairs(rank_candidates(need, people, limit=None, distance=lambda a, b: 0.0))
    assert len({score for _, score in expected}) >= 2 and len(expected) > 200
    ranking = index.ranking(need)
    assert len(ranking) == len(expected)
    assert list(ranking) == expected
    assert list(ranking)[:40] == expected[:40]  # read again: the same order
    # Rows rewritten after the ranking was taken (and compacted away) do not change it.
    for _ in range(4):
        for person in people:
            index.update(person)
    assert index.n < 4 * len(people)  # compacted
    assert list(ranking) == expected


def test_a_ranking_among_people_holding_work_keeps_their_order():
    gen = Generator(seed=12, pool_size=300, codes=8)
    people = gen.candidates(900)
    held = CommitmentData(hours_per_week=4.0, days=frozenset({"mardi"}))
    people = [replace(p, commitments=(held,)) if i % 7 == 0 else p for i, p in enumerate(people)]
    distance = _distance_with_unknowns(12)
    index = CandidateIndex.build(people, distance=distance)
    working = {p.ref for p in people if p.commitments}
    compared = 0
    for need in gen.needs(15):
        ranking = index.ranking(need)
        expected = [pair for pair in ranking if pair[0] in working]
        assert list(ranking.holding_work()) == expected
        compared += len(expected)
    assert compared > 20
    # Rows renumbered by a compaction since the ranking: the whole ranking, unfiltered.
    ranking = index.ranking(need)
    for _ in range(2):
        for person in people:
            index.update(person)
    assert list(ranking.holding_work()) == list(ranking)


def test_fuzzy_hits_kept_per_need_skill_take_in_the_terms_added_since():
    gen = Generator(seed=13, pool_size=2000, codes=12)
    people = gen.candidates(1200)
    distance = _distance_with_unknowns(13)
    index = CandidateIndex.build(people[:50], distance=distance)
    needs = gen.needs(30)
    for need in needs:
        index.top(need, None)  # the fuzzy hits of each need skill are kept
    known = len(index.keys_unknown), len(index.keys_all)
    for cand in people[50:]:
        index.add(cand)
    for need in needs:
        expected = rank_candidates(need, people, limit=None, distance=distance)
        assert index.top(need, None) == _pairs(expected), need
    # The comparison means something: terms added since were fuzzy hits of a need skill.
    added = set(index.keys_unknown[known[0] :]) | set(index.keys_all[known[1] :])
    assert any(term in added for _n, hits in index._fuzzy_memo.values() for term, _s in hits)


def test_a_kept_ranking_follows_every_write_to_the_index():
    """A need's ranking is kept until the next write: after an addition, an update and
    a removal it is the ranking of the candidates as they now are, never the old one."""
    gen = Generator(seed=17, pool_size=300, codes=6)
    people = gen.candidates(700)
    distance = _distance_with_unknowns(17)
    index = CandidateIndex.build(people[:600], distance=distance)
    needs = gen.needs(12)

    def check(current):
        for need in needs:
            expected = _pairs(rank_candidates(need, current, None, distance=distance))
            assert list(index.ranking(need)) == expected
            assert list(index.ranking(need)) == expected  # read again, from the kept one

    current = {c.ref: c for c in people[:600]}
    check(current.values())
    for cand in people[600:]:  # additions
        index.add(cand)
        current[cand.ref] = cand
    check(current.values())
    best = next(ref for need in needs for ref, _score in index.ranking(need))
    changed = replace(current[best], consent=False)  # an update that excludes them
    index.update(changed)
    current[best] = changed
    check(current.values())
    assert all(best not in dict(index.ranking(need)) for need in needs)
    gone = next(ref for need in needs for ref, _score in index.ranking(need))
    index.remove(gone)  # a removal
    del current[gone]
    check(current.values())


def test_fast_constraint_path_agrees_with_the_explained_checks():
    from connectences.matching.constraints import breaks_hard_constraint, hard_constraint_checks

    gen = Generator(seed=21, pool_size=200, codes=8)
    distance = _distance_with_unknowns(21)
    broken = kept = 0
    for need in gen.needs(15):
        for cand in gen.candidates(60):
            d = distance(cand.commune, need.commune)
            explained = any(not c.ok for c in hard_constraint_checks(need, cand, d))
            assert explained == breaks_hard_constraint(need, cand, d)
            broken += explained
            kept += not explained
    assert broken and kept


# Skills of a few trades, their specialities, related techniques, diplomas and
# jargon: many candidates get partial credit for two need skills or more, the rows
# the index only bounds and then recomputes with ``score.assign_meets``.
WITHIN_JOB_TEXTS = {
    "M1203": [
        "paie",
        "DSN",
        "Silae",
        "paie et DSN",
        "comptabilité fournisseurs",
        "lettrage",
        "comptabilité clients",
        "saisie comptable",
        "rapprochements bancaires",
        "TVA",
        "liasse fiscale",
        "BTS CG",
        "DCG",
        "compta",
        "comptabilité",
        "révision des comptes",
    ],
    "A1203": [
        "élagage",
        "grimpe",
        "taille de haies",
        "tonte",
        "débroussaillage",
        "arrosage",
        "pavage",
        "CAPa jardinier paysagiste",
        "plantations",
        "Certiphyto",
        "abattage",
    ],
    "G1602": [
        "cuisine",
        "pâtisserie",
        "cuisine traditionnelle",
        "produits de la mer",
        "grillades",
        "CAP cuisine",
        "garde-manger",
        "cuisine des poissons",
        "HACCP",
        "entremets",
    ],
}


@pytest.mark.parametrize("seed", [4, 5])
def test_index_equals_naive_scorer_on_within_job_skills(seed):
    rng = random.Random(seed)  # noqa: S311 — synthetic or sampled data, never a secret
    gen = Generator(seed=seed, pool_size=50, codes=5)
    base = gen.candidates(1)[0]
    codes = sorted(WITHIN_JOB_TEXTS)
    people = []
    for i in range(300):
        code = rng.choice(codes)
        texts = WITHIN_JOB_TEXTS[code] + rng.sample(WITHIN_JOB_TEXTS[rng.choice(codes)], 2)
        people.append(
            replace(
                base,
                ref=f"cv-{i:04d}",
                skills=tuple(rng.sample(texts, rng.randint(1, 4))),
                rome=(code,) if rng.random() < 0.7 else (),
                level=rng.choice(["employe_qualifie", "technicien"]),
                hours_min=float(rng.choice([4, 7, 14])),
                status="disponible",
                consent=True,
            )
        )
    need_base = gen.needs(1)[0]
    index = CandidateIndex.build(people, distance=lambda a, b: 0.0)
    flagged = 0
    for k in range(30):
        code = rng.choice(codes)
        need = replace(
            need_base,
            ref=f"besoin-{k}",
            rome=code,
            level="employe_qualifie",
            hours_per_week=7.0,
            days=base.days,
            contract=next(iter(base.contracts)),
            start=base.available_from,
            commune=base.commune,
            skills=tuple(rng.sample(WITHIN_JOB_TEXTS[code], rng.randint(2, 4))),
        )
        expected = rank_candidates(need, people, limit=None, distance=lambda a, b: 0.0)
        assert len(expected) > 100
        assert index.top(need, limit=None) == _pairs(expected), need
        for limit in (1, 3, 10):
            assert index.top(need, limit) == _pairs(expected[:limit]), (need, limit)
        rows = np.flatnonzero(index.hard_mask(need))
        flagged += int(index._parts(need, rows)[2].sum())
    assert flagged > 500  # the bound-then-recompute path was exercised


def test_the_matchable_version_moves_only_when_matchable_answers_otherwise():
    """What the pooled bundles are kept under (``open_bundles``): a person nobody may
    propose, or a write that changes nothing, leaves it."""
    people = Generator(seed=3).candidates(4)
    open_, closed = replace(people[0], status="disponible", consent=True), people[1]
    closed = replace(closed, status="place")
    index = CandidateIndex.build([open_, closed])
    seen = [index.matchable_version]

    def moved() -> bool:
        seen.append(index.matchable_version)
        return seen[-1] != seen[-2]

    index.add(open_)  # the same values again
    assert not moved()
    index.add(replace(closed, mobility_km=closed.mobility_km + 5))  # still not matchable
    assert not moved()
    assert index.remove(closed.ref) and not moved()
    index.add(replace(open_, mobility_km=open_.mobility_km + 5))
    assert moved()
    index.add(replace(open_, status="place"))  # no longer matchable
    assert moved() and open_.ref not in {c.ref for c in index.matchable()}
    index.add(replace(open_, status="disponible"))
    assert moved()
    index.add(replace(people[2], status="disponible", consent=True))  # a newcomer
    assert moved()
    assert index.remove(open_.ref) and moved()
    assert CandidateIndex().matchable_version not in seen  # another index: another value
