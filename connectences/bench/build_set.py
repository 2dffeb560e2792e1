"""Write the general labelled set (data/general: set.json, qrels.tsv) from profiles.py.

    .venv/bin/python -m connectences.bench.build_set

Seeded: running it again gives the same files. The qrels come from the jobs
written in profiles.py (same job 2, related job 1), never from a matcher.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

from connectences.bench.profiles import DECOY_JOBS, NEED_JOBS, RELATED, TRANSVERSAL

HERE = Path(__file__).resolve().parent / "data" / "general"
SEED = 20270301
START = date(2027, 3, 1)
# The communes of the Pays Bassin d'Arcachon - Val de l'Eyre.
COMMUNES = [
    "33529",
    "33199",
    "33009",
    "33005",
    "33051",
    "33284",
    "33236",
    "33229",
    "33527",
    "33019",
    "33011",
    "33498",
    "33029",
    "33042",
    "33555",
]
LEVELS = ["non_qualifie", "employe_qualifie", "technicien", "cadre"]
TYPICAL_LEVEL = {
    "comptable": "technicien",
    "paie": "technicien",
    "informatique": "technicien",
    "communication": "technicien",
    "electricien": "employe_qualifie",
    "plombier": "employe_qualifie",
    "conducteur_travaux": "cadre",
    "developpeur": "technicien",
}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat"]
FIRST = ["Camille", "Sofiane", "Nathalie", "Kevin", "Aïcha", "Jean-Pierre", "Léa", "Thi Lan"]
LAST = ["Martin", "Diallo", "Lefebvre", "Nguyen", "Garcia", "Bernard", "Moreau", "Haddad"]
PER_NEED_JOB = 10
PER_DECOY_JOB = 8


def luhn(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def siret(n: int) -> str:
    siren8 = f"{80_000_000 + n:08d}"
    siren = siren8 + luhn(siren8)
    return siren + "0001" + luhn(siren + "0001")


def level_near(job: str, rng: random.Random) -> str:
    base = LEVELS.index(TYPICAL_LEVEL.get(job, "employe_qualifie"))
    return LEVELS[max(0, min(3, base + rng.choice([-1, 0, 0, 0, 1])))]


def candidate(job: str, phrasings: list[str], rome: str, n: int, rng: random.Random) -> dict:
    k = min(len(phrasings), rng.randint(2, 4))
    skills = rng.sample(phrasings, k)
    if rng.random() < 0.4:
        extra = rng.choice(TRANSVERSAL)
        if extra not in skills:
            skills.append(extra)
    hours_min = rng.choice([4, 7, 10, 12, 15, 20])
    hours_max = min(48, hours_min + rng.choice([3, 8, 14, 20]))
    item = {
        "ref": f"cv-{n:03d}",
        "first_name": rng.choice(FIRST),
        "last_name": rng.choice(LAST),
        "email": f"personne{n:03d}@exemple.fr",
        "commune": rng.choice(COMMUNES),
        "mobility_km": rng.choice([5, 10, 15, 20, 30, 40]),
        "skills": skills,
        "level": level_near(job, rng),
        "hours_min": hours_min,
        "hours_max": hours_max,
        "days": sorted(rng.sample(DAYS, rng.randint(2, 6)), key=DAYS.index),
        "contracts": sorted(
            {"cdi_temps_partage"} | set(rng.sample(["cdi", "cdd", "saisonnier", "mission"], 2))
            if rng.random() < 0.8
            else set(rng.sample(["cdi", "cdd", "saisonnier", "mission"], 2))
        ),
        "available_from": (START - timedelta(days=rng.randint(-20, 120))).isoformat(),
        "consent": True,
        "source": rng.choice(["forum", "permanence", "réseaux sociaux", "job dating"]),
    }
    if rng.random() < 0.5:
        item["rome"] = [rome]
    if rng.random() < 0.08:
        item["status"] = rng.choice(["en_mission", "place", "inactif"])
    return item


def build() -> tuple[dict, list[tuple[str, str, int]]]:
    rng = random.Random(SEED)  # noqa: S311 — synthetic or sampled data, never a secret
    companies, needs, candidates = [], [], []
    job_of: dict[str, str] = {}
    for i, (job, spec) in enumerate(NEED_JOBS.items(), 1):
        company_ref = f"entreprise-{i:02d}"
        companies.append(
            {
                "ref": company_ref,
                "name": f"Entreprise {i}",
                "siret": siret(i),
                "commune": rng.choice(COMMUNES),
            }
        )
        need = {
            "ref": f"besoin-{job}",
            "company": company_ref,
            "title": spec["title"],
            "skills": spec["skills"],
            "level": TYPICAL_LEVEL.get(job, "employe_qualifie"),
            "hours_per_week": rng.choice([7, 8, 10, 14, 15, 20]),
            "days": sorted(rng.sample(DAYS[:5], rng.randint(1, 3)), key=DAYS.index),
            "contract": rng.choice(["cdi_temps_partage", "cdi_temps_partage", "cdd", "cdi"]),
            "reason": "temps_partiel",
            "start": START.isoformat(),
        }
        if spec["rome"]:
            need["rome"] = spec["rome"]
        needs.append(need)
    n = 0
    all_jobs = [(job, spec, PER_NEED_JOB) for job, spec in NEED_JOBS.items()]
    all_jobs += [(job, spec, PER_DECOY_JOB) for job, spec in DECOY_JOBS.items()]
    for job, spec, count in all_jobs:
        rome = spec["rome"] or NEED_ROME_FOR_FORMS[job]
        for _ in range(count):
            n += 1
            item = candidate(job, spec["phrasings"], rome, n, rng)
            candidates.append(item)
            job_of[item["ref"]] = job
    rng.shuffle(candidates)
    qrels = []
    for need in needs:
        need_job = need["ref"].removeprefix("besoin-")
        for item in candidates:
            job = job_of[item["ref"]]
            grade = 2 if job == need_job else 1 if job in RELATED[need_job] else 0
            if grade:
                qrels.append((need["ref"], item["ref"], grade))
    document = {
        "format": "connectences/v1",
        "companies": companies,
        "candidates": candidates,
        "needs": needs,
    }
    return document, sorted(qrels)


# The ROME a job seeker would pick in a form for jobs whose need carries none.
NEED_ROME_FOR_FORMS = {
    "serveur": "G1803",
    "vente_boulangerie": "D1106",
    "informatique": "I1401",
    "reception_hotel": "G1703",
}


def main() -> None:
    document, qrels = build()
    (HERE / "set.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    lines = ["need\tcandidate\tgrade"] + [f"{a}\t{b}\t{g}" for a, b, g in qrels]
    (HERE / "qrels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"{len(document['needs'])} besoins, {len(document['candidates'])} candidats, {len(qrels)} paires pertinentes"
    )


if __name__ == "__main__":
    main()
