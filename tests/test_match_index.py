"""The columnar index gives exactly what the candidate-by-candidate scorer gives."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from connectences.bench.synth import Generator
from connectences.matching.index import CandidateIndex
from connectences.matching.score import rank_candidates


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


def test_ties_are_broken_by_ref_and_limit_keeps_the_best():
    gen = Generator(seed=8, pool_size=200, codes=5)
    base = gen.candidate()
    base = replace(base, status="disponible", consent=True)
    clones = [replace(base, ref=f"cv-{i:03d}") for i in (5, 3, 9, 1, 7)]
    need = replace(
        gen.need(),
        level=base.level,
        contract=next(iter(base.contracts)),
        days=base.days,
        hours_per_week=base.hours_max,
        start=base.available_from,
    )
    index = CandidateIndex.build(clones, distance=lambda a, b: 0.0)
    top = index.top(need, 3)
    assert [ref for ref, _ in top] == ["cv-001", "cv-003", "cv-005"]
    assert len({score for _, score in top}) == 1


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
