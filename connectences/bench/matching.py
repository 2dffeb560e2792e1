"""`flask --app connectences bench matching`: speed of the matcher, measured.

``bench matching`` prints one JSON object per line, each with ``metric``,
``value`` (a median over repeated runs), ``unit`` and the sizes used:

- ``match_top20_ms``: top 20 for one need among N candidates, in-process index;
- ``match_naive_ms`` and ``match_speedup``: the same needs scored candidate by
  candidate (``score.rank_candidates``, rapidfuzz in a Python loop), same data;
- ``match_scaling_ms``: one line per candidate count, doubling;
- ``index_update_ms``: re-indexing one updated candidate;
- ``pool_ms``: from ``bench.pool.measure_pool``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import insert

from connectences import create_app, territory
from connectences.bench import emit
from connectences.bench.pool import measure_pool
from connectences.bench.synth import Generator, need_columns
from connectences.extensions import db
from connectences.matching import matches
from connectences.matching.index import CandidateIndex
from connectences.matching.score import rank_candidates
from connectences.models import Candidate, CandidateRome, CandidateSkill, Company, Need
from connectences.models.base import utcnow
from connectences.models.candidates import rome_code_rows
from connectences.skills import concept_of, normalize
from connectences.text import sort_key


def _median_ms(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), times


def run_matching(
    candidates: int = 100_000,
    repeats: int = 15,
    needs: int = 5,
    naive_repeats: int = 3,
    scaling: tuple[int, ...] = (12_500, 25_000, 50_000, 100_000, 200_000),
    pool_needs: int | None = 5000,
    seed: int = 7,
) -> list[dict]:
    """Run the matching benchmark; returns the records it printed."""

    records: list[dict] = []

    def out(record: dict) -> None:
        records.append(record)
        emit(record)

    gen = Generator(seed=seed)
    largest = max([candidates, *scaling]) if scaling else candidates
    people = gen.candidates(largest)
    need_list = gen.needs(needs)
    distance = territory.distance_km

    def top20_median(index: CandidateIndex) -> float:
        for need in need_list:  # warm the per-need caches (taxonomy lookups, distances)
            index.top(need, 20)
        per_need = [
            _median_ms(lambda need=need: index.top(need, 20), repeats)[0] for need in need_list
        ]
        return statistics.median(per_need)

    # Scaling: one index grown in place, measured at each size (also exercises adds).
    index = CandidateIndex(distance=distance, capacity=1024)
    added = 0
    measured: dict[int, float] = {}
    build_ms = 0.0
    for size in sorted(set(scaling) | {candidates}):
        start = time.perf_counter()
        for cand in people[added:size]:
            index.add(cand)
        build_ms += (time.perf_counter() - start) * 1000
        added = size
        measured[size] = top20_median(index)
        if size in scaling:
            out(
                {
                    "metric": "match_scaling_ms",
                    "value": round(measured[size], 3),
                    "unit": "ms",
                    "candidates": size,
                    "needs": needs,
                    "repeats": repeats,
                }
            )
        if size == candidates:
            main_index_ms = measured[size]
            out(
                {
                    "metric": "match_top20_ms",
                    "value": round(main_index_ms, 3),
                    "unit": "ms",
                    "candidates": candidates,
                    "needs": needs,
                    "repeats": repeats,
                    "target": 50,
                }
            )
            # The same needs, candidate by candidate, on the same data.
            subset = people[:candidates]
            naive = statistics.median(
                _median_ms(
                    lambda need=need, subset=subset: rank_candidates(
                        need, subset, 20, distance=distance
                    ),
                    naive_repeats,
                )[0]
                for need in need_list
            )
            out(
                {
                    "metric": "match_naive_ms",
                    "value": round(naive, 3),
                    "unit": "ms",
                    "candidates": candidates,
                    "needs": needs,
                    "repeats": naive_repeats,
                }
            )
            out(
                {
                    "metric": "match_speedup",
                    "value": round(naive / main_index_ms, 1),
                    "unit": "x",
                    "candidates": candidates,
                    "target": 20,
                }
            )
            # Re-indexing one candidate after it was confirmed or updated.
            victims = people[: min(200, candidates)]
            update_ms = statistics.median(
                _median_ms(lambda c=c: index.add(replace(c, hours_max=c.hours_max)), 1)[0]
                for c in victims
            )
            out(
                {
                    "metric": "index_update_ms",
                    "value": round(update_ms, 4),
                    "unit": "ms",
                    "candidates": candidates,
                    "updates": len(victims),
                }
            )
    out(
        {
            "metric": "index_build_ms",
            "value": round(build_ms, 1),
            "unit": "ms",
            "candidates": largest,
        }
    )
    if pool_needs:
        result = dict(measure_pool(n_needs=pool_needs))
        result.setdefault("metric", "pool_ms")
        result.setdefault("unit", "ms")
        out(result)
    return records


def write_candidates(session, people, now, extra=None) -> None:
    """Bulk-insert synthetic candidates (ids 1..n) and their skills, as the importer
    would store them (normalised skill and taxonomy concept).

    ``extra(i, candidate) -> dict`` adds or overrides columns of row ``i`` (identity,
    source, dates...), so that other benchmarks reuse the same data without copying this.
    """

    session.execute(
        insert(Candidate),
        [
            {
                "id": i,
                "ref": c.ref,
                "first_name": "Prénom",
                "last_name": "Nom",
                "sort_name": sort_key("Nom", "Prénom"),  # bulk: no validator
                "email": f"{c.ref}@exemple.fr",
                "commune": c.commune,
                "mobility_km": c.mobility_km,
                "rome": list(c.rome),
                "level": c.level,
                "hours_min": c.hours_min,
                "hours_max": c.hours_max,
                "days": sorted(c.days),
                "contracts": sorted(c.contracts),
                "available_from": c.available_from,
                "status": c.status,
                "consent": c.consent,
                "email_confirmed_at": now,
                "updated_at": now,
                **(extra(i, c) if extra else {}),
            }
            for i, c in enumerate(people, 1)
        ],
    )
    session.execute(
        insert(CandidateSkill),
        [
            {
                "candidate_id": i,
                "position": p,
                "label": text,
                "norm": normalize(text),
                "concept": concept_of(text),
            }
            for i, c in enumerate(people, 1)
            for p, text in enumerate(c.skills)
        ],
    )
    rome_rows = [row for i, c in enumerate(people, 1) for row in rome_code_rows(i, c.rome)]
    if rome_rows:
        session.execute(insert(CandidateRome), rome_rows)


def run_service(candidates: int = 20_000, repeats: int = 15, seed: int = 7) -> list[dict]:
    """``match_service_ms``: ``matches.match_need`` on a throw-away SQLite database.

    Rows are written with bulk inserts, then the service loads them into its
    index on the first call (``index_load_ms``); the measured calls include the
    version-stamp query that keeps the index in step with the tables.
    """

    records: list[dict] = []
    gen = Generator(seed=seed)
    people = gen.candidates(candidates)
    need = gen.need()
    with tempfile.TemporaryDirectory() as tmp:
        uri = "sqlite:///" + str(Path(tmp) / "bench.sqlite3")
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench-only"})
        with app.app_context():
            db.create_all()
            now = utcnow()
            company_id = db.session.execute(
                insert(Company).returning(Company.id),
                [
                    {
                        "ref": "entreprise-bench",
                        "name": "Banc d'essai",
                        "sort_name": sort_key("Banc d'essai"),
                        "siret": "90412345200016",
                        "siren": "904123452",
                        "commune": need.commune,
                    }
                ],
            ).scalar_one()
            db.session.execute(
                insert(Need),
                [
                    {
                        "ref": need.ref,
                        "company_id": company_id,
                        **need_columns(need),
                        "reason": need.reason,
                        "start": need.start,
                        "commune": need.commune,
                    }
                ],
            )
            write_candidates(db.session, people, now)
            db.session.commit()
            matches.forget_indexes()
            start = time.perf_counter()
            matches.match_need(need.ref)
            load_ms = (time.perf_counter() - start) * 1000
            value, _ = _median_ms(lambda: matches.match_need(need.ref), repeats)
            sizes = {"candidates": candidates, "repeats": repeats, "database": "sqlite"}
            for record in (
                {"metric": "index_load_ms", "value": round(load_ms, 1), "unit": "ms", **sizes},
                {"metric": "match_service_ms", "value": round(value, 3), "unit": "ms", **sizes},
            ):
                records.append(record)
                emit(record)
            matches.forget_indexes()
            db.session.remove()
            db.engine.dispose()
    return records
