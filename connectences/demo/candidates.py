"""The demo's job seekers, drawn from the profiles of ``data/candidates.json``, with the
work some of them already hold (interchange v1.1 commitments)."""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from connectences import vocab
from connectences.demo.common import (
    DEMO_PREFIX,
    WEEKDAYS,
    as_tuples,
    load_csv,
    load_json,
    ordered_days,
    slug,
    strip_accents,
    weighted,
)


@dataclass(frozen=True)
class Profile:
    """A kind of job seeker, with the words such people use for what they can do."""

    rome: tuple[str, ...]
    skills: tuple[str, ...]
    levels: tuple[str, ...]
    hours_max: tuple[float, ...]
    contracts: tuple[str, ...]
    days: tuple[str, ...] = tuple(WEEKDAYS)
    weight: int = 4


_CANDIDATES = load_json("candidates.json")
PROFILES = [Profile(**as_tuples(item)) for item in _CANDIDATES["profiles"]]
_NAMES = load_json("names.json")
FIRST_NAMES: list[str] = _NAMES["first_names"]
LAST_NAMES: list[str] = _NAMES["last_names"]
# Where people live, with a rough weight close to the population: in the Pays, and
# around it for those who commute.
_COMMUNES = load_csv("communes.csv")
PAYS_COMMUNE_WEIGHTS = {c["insee"]: int(c["weight"]) for c in _COMMUNES if c["area"] == "pays"}
AROUND_COMMUNE_WEIGHTS = {c["insee"]: int(c["weight"]) for c in _COMMUNES if c["area"] == "around"}
# Work people of the demo already hold.
HELD_WORK: list[str] = load_json("commitments.json")["held_work"]


def build_candidates(rng: random.Random, today: date, n_candidates: int) -> list[dict]:
    """The showcase person first (the demo candidate account), then people drawn at random."""
    showcase = _showcase_candidate(today)
    used_emails: set[str] = {showcase["email"]}
    return [showcase] + [
        _build_candidate(rng, i, used_emails, today) for i in range(2, n_candidates + 1)
    ]


def _showcase_candidate(today: date) -> dict:
    """Someone with a full profile, so that the candidate's space shows it all."""
    showcase = {}
    for key, value in _CANDIDATES["showcase"].items():
        if key == "available_from_days":  # the file says how long ago, the document a date
            key, value = "available_from", (today + timedelta(days=value)).isoformat()
        showcase[key] = copy.deepcopy(value)
    return showcase


def _messy(rng: random.Random, skill: str) -> str:
    """A skill as people type it: sometimes without accents, in capitals, or with a typo."""
    roll = rng.random()
    if roll < 0.15:
        return strip_accents(skill)
    if roll < 0.22:
        return skill.lower()
    if roll < 0.27 and len(skill) > 6:
        i = rng.randrange(1, len(skill) - 2)
        return skill[:i] + skill[i + 1] + skill[i] + skill[i + 2 :]  # swapped letters
    if roll < 0.30:
        return skill.upper()
    return skill


def _build_candidate(rng: random.Random, index: int, used_emails: set[str], today: date) -> dict:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    local = f"{slug(first).replace('-', '')}.{slug(last).replace('-', '')}"
    email = f"{local}@exemple.fr"
    n = 2
    while email in used_emails:
        email = f"{local}{n}@exemple.fr"
        n += 1
    used_emails.add(email)

    profile = rng.choices(PROFILES, weights=[p.weight for p in PROFILES], k=1)[0]
    around = rng.random() < 0.22
    commune = weighted(rng, AROUND_COMMUNE_WEIGHTS if around else PAYS_COMMUNE_WEIGHTS)
    mobility = rng.choice([30, 40, 50, 60]) if around else rng.choice([5, 10, 15, 20, 25, 30, 40])

    hours_max = rng.choice(profile.hours_max)
    hours_min = max(1, min(hours_max, rng.choice([4, 7, 10, 14, 20, 24])))
    if hours_min > hours_max * 0.8:
        hours_min = round(hours_max / 2)
    n_days = min(len(profile.days), max(2, math.ceil(hours_max / 7)) + rng.randint(0, 1))
    days = ordered_days(rng.sample(profile.days, n_days))
    contracts = sorted(
        rng.sample(profile.contracts, k=rng.randint(1, len(profile.contracts))),
        key=list(vocab.CONTRACTS).index,
    )
    skills = [
        _messy(rng, s)
        for s in rng.sample(profile.skills, k=rng.randint(2, min(5, len(profile.skills))))
    ]
    candidate = {
        "ref": f"{DEMO_PREFIX}cv-{index:03d}",
        "first_name": first,
        "last_name": last,
        "email": email,
        "commune": commune,
        "mobility_km": mobility,
        "skills": skills,
        "level": rng.choice(profile.levels),
        "hours_min": hours_min,
        "hours_max": hours_max,
        "days": days,
        "contracts": contracts,
        "available_from": (today + timedelta(days=rng.randint(-60, 45))).isoformat(),
        "status": weighted(rng, _CANDIDATES["statuses"]),
        "consent": True,
        "source": weighted(rng, _CANDIDATES["sources"]),
    }
    # Most say which jobs they look for; some only describe what they can do.
    if profile.rome and rng.random() < 0.85:
        candidate["rome"] = rng.sample(profile.rome, k=rng.randint(1, len(profile.rome)))
    if rng.random() < 0.7:
        candidate["phone"] = f"06 39 98 {rng.randrange(100):02d} {rng.randrange(100):02d}"
    return candidate


def add_commitments(seed: int, candidates: list[dict], today: date) -> None:
    """One or two commitments for the people "en mission", leaving them free time.

    A random stream of its own, so that the rest of the demo stays what it was.
    """
    rng = random.Random(seed * 7919 + 11)  # noqa: S311 — synthetic or sampled data, never a secret
    for candidate in candidates:
        if candidate["status"] != "en_mission" or candidate.get("commitments"):
            continue
        days, hours_max = candidate["days"], candidate["hours_max"]
        if len(days) < 2 or hours_max < 8:
            continue
        k = 2 if len(days) >= 3 and rng.random() < 0.4 else 1
        taken = rng.sample(days, k)
        room = hours_max - 4  # at least 4 h left to fill
        held = []
        for day in taken:
            hours = min(rng.choice([4, 6, 7, 8]), room)
            if hours < 1:
                break
            room -= hours
            item = {"label": rng.choice(HELD_WORK), "hours_per_week": hours, "days": [day]}
            if rng.random() < 0.4:
                item["until"] = (today + timedelta(days=rng.randint(20, 200))).isoformat()
            held.append(item)
        if held:
            candidate["commitments"] = held
