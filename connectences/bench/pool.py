"""Benchmark of pooling: ``pool_ms`` over synthetic open part-time needs.

``flask --app connectences bench matching`` calls ``measure_pool``. The data are
synthetic but shaped like the territory: the 17 communes of the Pays (weighted
by size), about two needs per company, ROME codes drawn with a long tail from
the taxonomy, skills written from the taxonomy's own vocabulary (with a few
transversal ones such as "accueil" that link trades), part-time hours spread
over one to five days, and a CV library of candidates.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from datetime import date, timedelta

from connectences import territory
from connectences.matching.data import CandidateData, NeedData
from connectences.matching.pool import pool
from connectences.skills import taxonomy

# Rough weights of the communes of the Pays by population (INSEE code -> weight).
COMMUNE_WEIGHTS: dict[str, float] = {
    "33529": 26,  # La Teste-de-Buch
    "33199": 22,  # Gujan-Mestras
    "33009": 11,  # Arcachon
    "33005": 12,  # Andernos-les-Bains
    "33051": 11,  # Biganos
    "33284": 11,  # Mios
    "33236": 8,  # Lège-Cap-Ferret
    "33229": 7,  # Lanton
    "33527": 8,  # Le Teich
    "33019": 8,  # Audenge
    "33011": 7,  # Arès
    "33498": 8,  # Salles
    "33029": 6,  # Le Barp
    "33042": 6,  # Belin-Béliet
    "33555": 5,  # Marcheprime
    "33436": 1,  # Saint-Magne
    "33260": 1,  # Lugos
}
TRANSVERSAL_SKILLS = (
    "Accueil",
    "accueil client",
    "Bureautique",
    "relation clientèle",
    "encaissement",
    "Gestion des stocks",
    "travail en équipe",
)
HOURS = (4, 5, 6, 7, 8, 8, 10, 10, 12, 14, 14, 15, 16, 17.5, 20, 20, 21, 24, 25, 28, 30)
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat")
LEVELS = ("non_qualifie", "employe_qualifie", "employe_qualifie", "technicien", "cadre")
CONTRACTS = ("cdi_temps_partage", "cdi_temps_partage", "cdi", "cdd", "saisonnier")


def _vocabulary() -> dict[str, list[str]]:
    """Skill phrases per ROME code, taken from the taxonomy (the people's words)."""

    words: dict[str, list[str]] = {}
    for term in taxonomy().terms:
        if term.kind in ("skill", "appellation"):
            words.setdefault(term.code, []).append(term.label)
    return {code: labels for code, labels in words.items() if labels}


def synthetic_needs(n_needs: int, seed: int = 7) -> list[NeedData]:
    """``n_needs`` open part-time needs (under 35 h), reproducible for a seed."""
    rng = random.Random(seed)  # noqa: S311 — synthetic or sampled data, never a secret
    vocabulary = _vocabulary()
    codes = sorted(vocabulary)
    # Long tail: a few trades are much more frequent than the others.
    code_weights = [1 / math.sqrt(rank + 1) for rank in range(len(codes))]
    rng.shuffle(code_weights)
    communes = list(COMMUNE_WEIGHTS)
    commune_weights = list(COMMUNE_WEIGHTS.values())
    company_count = max(2, n_needs // 2)
    company_commune = rng.choices(communes, commune_weights, k=company_count)
    needs = []
    for i in range(n_needs):
        company = rng.randrange(company_count)
        code = rng.choices(codes, code_weights)[0]
        skills = rng.sample(vocabulary[code], k=min(len(vocabulary[code]), rng.randint(1, 3)))
        if rng.random() < 0.15:
            skills.append(rng.choice(TRANSVERSAL_SKILLS))
        hours = float(rng.choice(HOURS))
        n_days = max(1, min(5, math.ceil(hours / 7) + rng.choice((-1, 0, 0, 1))))
        needs.append(
            NeedData(
                ref=f"besoin-{i:05d}",
                company=f"entreprise-{company:05d}",
                title=skills[0],
                skills=tuple(skills),
                level=rng.choice(LEVELS),
                hours_per_week=hours,
                days=frozenset(rng.sample(WEEK, n_days)),
                contract=rng.choice(CONTRACTS),
                reason="temps_partiel",
                start=date(2027, 1, 4) + timedelta(days=rng.randrange(180)),
                commune=company_commune[company],
                rome=None if rng.random() < 0.08 else code,
            )
        )
    return needs


def synthetic_candidates(n_candidates: int, seed: int = 7) -> list[CandidateData]:
    """A CV library of ``n_candidates`` people seeking part-time or shared-time work."""
    rng = random.Random(seed + 1)  # noqa: S311 — synthetic or sampled data, never a secret
    vocabulary = _vocabulary()
    codes = sorted(vocabulary)
    communes = list(COMMUNE_WEIGHTS)
    weights = list(COMMUNE_WEIGHTS.values())
    people = []
    for i in range(n_candidates):
        code = rng.choice(codes)
        hours_min = float(rng.choice((4, 8, 10, 15, 20, 24)))
        people.append(
            CandidateData(
                ref=f"cv-{i:05d}",
                commune=rng.choices(communes, weights)[0],
                mobility_km=float(rng.choice((5, 10, 15, 20, 30, 50))),
                skills=tuple(rng.sample(vocabulary[code], k=min(2, len(vocabulary[code])))),
                level=rng.choice(LEVELS),
                hours_min=hours_min,
                hours_max=min(48.0, hours_min + rng.choice((4, 10, 15, 20))),
                days=frozenset(rng.sample(WEEK, rng.randint(2, 6))),
                contracts=frozenset(rng.sample(CONTRACTS, rng.randint(1, 4))),
                available_from=date(2027, 1, 4) + timedelta(days=rng.randrange(120)),
                rome=(code,),
                status="disponible" if rng.random() < 0.85 else "en_mission",
            )
        )
    return people


def measure_pool(
    n_needs: int = 5000, repeats: int = 5, seed: int = 7, n_candidates: int = 2000
) -> dict:
    """Median wall time of ``pool`` over ``repeats`` runs on the same synthetic data.

    Returns ``{"metric": "pool_ms", "value", "unit": "ms", "needs", "candidates",
    "bundles", "truncated", "first_ms"}`` (``truncated``: the caps cut the search); ``first_ms`` is the first run, which also warms
    the skills lookup caches of the taxonomy.
    """

    needs = synthetic_needs(n_needs, seed)
    candidates = synthetic_candidates(n_candidates, seed)
    times = []
    found = None
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        found = pool(needs, candidates, distance=territory.distance_km, epci_of=territory.epci_of)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "metric": "pool_ms",
        "value": round(statistics.median(times), 1),
        "unit": "ms",
        "needs": n_needs,
        "candidates": n_candidates,
        "bundles": len(found.bundles),
        "truncated": found.truncated,
        "first_ms": round(times[0], 1),
    }
