"""Synthetic needs and candidates, for benchmarks and randomised tests.

Skills are drawn from the ROME taxonomy and then written the way people do:
missing accents, capitals, typos, abbreviations, and free text the taxonomy
does not know. Variants are drawn from a pool of limited size, as in a real CV
library where the same few thousand ways of writing a skill come back.
Everything is seeded: the same arguments give the same data.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from connectences import territory
from connectences.matching.data import CandidateData, CommitmentData, NeedData
from connectences.skills import normalize, taxonomy
from connectences.vocab import CONTRACTS, DAYS, LEVELS

FREE_SKILLS = [
    "sens du relationnel",
    "autonome",
    "ponctualite",
    "travail en equipe",
    "permis B",
    "vehicule personnel",
    "rigueur",
    "polyvalence",
    "bon contact client",
    "anglais courant",
    "espagnol",
    "gestion du stress",
    "organisation",
    "prise d'initiative",
    "discretion",
    "esprit d'equipe",
    "sens de l'ecoute",
    "bricolage",
    "informatique de base",
    "reseaux sociaux",
]

FALLBACK_COMMUNES = ["33009", "33529", "33199", "33051", "33236", "33162", "33555", "33314"]


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 6:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.4:
        return text[:i] + text[i + 1 :]
    if kind < 0.7:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i] + text[i:]


def _variant(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return text
    if roll < 0.6:
        return normalize(text)
    if roll < 0.75:
        return text.upper() if len(text) < 15 else text.capitalize()
    return _typo(normalize(text), rng)


def communes_sample() -> list[str]:
    """INSEE codes of the territory (the Pays' communes), or a fixed fallback list."""
    try:
        codes = [c.insee for c in territory.pays_communes()]
        return codes or FALLBACK_COMMUNES
    except Exception:  # territory data not available: synthetic data still works
        return FALLBACK_COMMUNES


def need_columns(need: NeedData) -> dict:
    """The columns of a ``need`` row that a synthetic need fills: what it asks for."""
    return {
        "title": need.title,
        "rome": need.rome,
        "skills": list(need.skills),
        "level": need.level,
        "hours_per_week": need.hours_per_week,
        "days": sorted(need.days),
        "contract": need.contract,
    }


class Generator:
    """Seeded source of realistic-looking needs and candidates."""

    def __init__(self, seed: int = 0, pool_size: int = 4000, codes: int | None = 120) -> None:
        self.rng = random.Random(seed)  # noqa: S311 — synthetic or sampled data, never a secret
        self.seed = seed
        tax = taxonomy()
        all_codes = sorted(tax.codes)
        if not all_codes:
            raise RuntimeError("La taxonomie ROME est vide : aucun fichier dans data/rome.")
        self.codes = (
            sorted(self.rng.sample(all_codes, codes))
            if codes and codes < len(all_codes)
            else all_codes
        )
        self.communes = communes_sample()
        # code -> list of written variants of its skills and appellations
        self.pool: dict[str, list[str]] = {}
        per_code = max(4, pool_size // len(self.codes))
        for code in self.codes:
            entry = tax.codes[code]
            base = list(entry.get("skills", [])) + list(entry.get("appellations", []))[:3]
            base = base or [entry["label"]]
            self.pool[code] = [_variant(self.rng.choice(base), self.rng) for _ in range(per_code)]
        self.start = date(2027, 3, 1)
        self._n_need = 0
        self._n_cand = 0

    def _skills(self, code: str, k: int) -> tuple[str, ...]:
        out = [self.rng.choice(self.pool[code]) for _ in range(k)]
        if self.rng.random() < 0.4:
            out.append(self.rng.choice(FREE_SKILLS))
        if self.rng.random() < 0.15:
            # Someone who also did another job.
            out.append(self.rng.choice(self.pool[self.rng.choice(self.codes)]))
        return tuple(dict.fromkeys(out))

    def _days(self, low: int, high: int) -> frozenset[str]:
        return frozenset(self.rng.sample(list(DAYS), self.rng.randint(low, high)))

    def candidate(self) -> CandidateData:
        """One random candidate."""
        rng = self.rng
        self._n_cand += 1
        code = rng.choice(self.codes)
        hours_min = rng.choice([4, 7, 8, 10, 12, 15, 20, 24])
        hours_max = min(48, hours_min + rng.choice([0, 4, 7, 10, 15, 20]))
        rome = (code,) if rng.random() < 0.6 else ()
        if rome and rng.random() < 0.2:
            rome = rome + (rng.choice(self.codes),)
        return CandidateData(
            ref=f"cv-{self._n_cand:07d}",
            commune=rng.choice(self.communes),
            mobility_km=float(rng.choice([5, 10, 15, 20, 30, 40, 60])),
            skills=self._skills(code, rng.randint(1, 5)),
            level=rng.choices(list(LEVELS), weights=[3, 5, 3, 1])[0],
            hours_min=float(hours_min),
            hours_max=float(hours_max),
            days=self._days(1, 6),
            contracts=frozenset(rng.sample(list(CONTRACTS), rng.randint(1, 4))),
            available_from=self.start + timedelta(days=rng.randint(-200, 60)),
            rome=rome,
            status=(
                status := rng.choices(
                    ["disponible", "en_mission", "place", "inactif"], [8, 1, 1, 1]
                )[0]
            ),
            consent=rng.random() < 0.95,
            commitments=self._commitments(status),
        )

    def _commitments(self, status: str) -> tuple[CommitmentData, ...]:
        """People "en mission" hold one or two commitments, some of them ending soon."""
        if status != "en_mission":
            return ()
        # A stream of its own, so that the other fields stay what they were before v1.1.
        rng = random.Random(self.seed * 1_000_003 + self._n_cand)  # noqa: S311 — synthetic or sampled data, never a secret
        return tuple(
            CommitmentData(
                hours_per_week=float(rng.choice([4, 7, 8, 12])),
                days=self._days_from(rng, rng.randint(1, 2)),
                until=None if rng.random() < 0.5 else self.start + timedelta(rng.randint(-30, 90)),
                label=f"Engagement {k + 1}",
            )
            for k in range(rng.randint(1, 2))
        )

    @staticmethod
    def _days_from(rng: random.Random, k: int) -> frozenset[str]:
        return frozenset(rng.sample(list(DAYS), k))

    def need(self) -> NeedData:
        """One random need."""
        rng = self.rng
        self._n_need += 1
        code = rng.choice(self.codes)
        entry = taxonomy().codes[code]
        title = rng.choice(list(entry.get("appellations", [])) or [entry["label"]])
        return NeedData(
            ref=f"besoin-{self._n_need:06d}",
            company=f"entreprise-{rng.randint(1, 10**6):07d}",
            title=title,
            skills=self._skills(code, rng.randint(1, 4)),
            level=rng.choices(list(LEVELS), weights=[3, 5, 3, 1])[0],
            hours_per_week=float(rng.choice([4, 7, 8, 10, 14, 15, 20, 24, 28])),
            days=self._days(1, 3),
            contract=rng.choice(list(CONTRACTS)),
            reason="temps_partiel",
            start=self.start + timedelta(days=rng.randint(0, 90)),
            commune=rng.choice(self.communes),
            rome=code if rng.random() < 0.8 else None,
        )

    def candidates(self, n: int) -> list[CandidateData]:
        return [self.candidate() for _ in range(n)]

    def needs(self, n: int) -> list[NeedData]:
        return [self.need() for _ in range(n)]
