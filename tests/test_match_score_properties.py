"""Metamorphic properties of the match score and its explanation.

The spec (interchange-v1, "What the platform derives", **match**) fixes a score of 0 to
100 and an explanation of one entry per criterion with its points and a French
sentence; ``matching.score`` documents the rest: the entries add up exactly to the
score, and nothing outside the job criteria enters it (Code du travail L1132-1). The
points themselves are the platform's, so these tests compare the platform with itself:
random but valid documents are imported through the real importer, then one candidate
is changed in one way at a time and the score read again through ``match_need`` (what
GET /api/v1/needs/<ref>/matches returns) and ``explain_candidate`` ("Pourquoi pas ce
candidat ?"):

(a) the score is the sum of the explanation's points;
(b) improving one criterion, all else equal, never lowers the score;
(c) two people who differ only by their identity get the same score and explanation;
(d) identity, contact, source and notes never change them;
(e) the score does not depend on the order of the document or of a person's skills;
(f) random candidates for a need are told apart (few ties).
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectences import vocab
from connectences.extensions import db
from connectences.matching import score as score_module
from connectences.matching.matches import (
    candidate_changed,
    explain_candidate,
    forget_indexes,
    match_need,
)
from connectences.matching.score import WEIGHTS, score_pair
from connectences.models import Candidate
from tests import factories
from tests.helpers import empty_domain_tables, oracle_settings

pytestmark = pytest.mark.slow

# The platform's own vocabulary: these tests compare the platform with itself.
LEVELS = list(vocab.LEVELS)
DAYS = list(vocab.DAYS)
CONTRACTS = list(vocab.CONTRACTS)
# Communes of the Pays, all within 200 km of each other (centres known).
COMMUNES = ["33009", "33529", "33199", "33527", "33051", "33005", "33236", "33498"]
ROMES = ["M1203", "M1607", "M1609", "M1501", "A1203", "G1602", "D1104", "K2204"]
# Skills the taxonomy knows in several ways (same concept, related concepts, other
# specialities of the same job, diplomas), and a few it does not.
SKILLS = [
    "comptabilité",
    "comptabilité générale",
    "Comptabilite",
    "saisie comptable",
    "factures d'achat",
    "comptabilité fournisseurs",
    "comptabilité clients",
    "lettrage",
    "rapprochements bancaires",
    "déclarations de TVA",
    "liasse fiscale",
    "BTS CG",
    "paie",
    "paie et DSN",
    "gestion de la paie",
    "Silae",
    "secrétariat",
    "secrétariat médical",
    "accueil téléphonique",
    "Accueil",
    "élagage",
    "grimpe",
    "débroussaillage",
    "taille de haies",
    "tonte",
    "pâtisserie",
    "cuisine",
    "CAP cuisine",
    "facturation",
    "réparation de filets",
]
# Skills of one trade, where partial credit (related skills, other specialities,
# diplomas) competes for the same need skills.
TRADES = [
    SKILLS[:12],  # accounting
    SKILLS[12:16] + SKILLS[:3],  # payroll, and accounting
    SKILLS[16:20],  # secretariat
    SKILLS[20:25],  # gardens
    SKILLS[25:28],  # kitchen
]
START = date(2027, 2, 1)


def _rank(level: str) -> int:
    return LEVELS.index(level)


@st.composite
def needs(draw, pool: list[str] = SKILLS) -> dict:
    return {
        "ref": "besoin-1",
        "company": "entreprise-1",
        "title": "Besoin tiré au sort",
        "rome": draw(st.sampled_from([None, *ROMES])),
        "skills": draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)),
        "level": draw(st.sampled_from(LEVELS)),
        "hours_per_week": draw(st.sampled_from([7, 10.5, 14, 20, 34, 35])),
        "days": draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=4, unique=True)),
        "contract": draw(st.sampled_from(CONTRACTS)),
        "reason": "temps_partiel",
        "start": START.isoformat(),
    }


def _clean(need: dict) -> dict:
    return {k: v for k, v in need.items() if v is not None}


@st.composite
def candidates(draw, need: dict, ref: str, pool: list[str] = SKILLS) -> dict:
    """A person who keeps every hard constraint of ``need``: only the score can tell them
    apart from another."""
    h = need["hours_per_week"]
    level = LEVELS[max(0, min(3, _rank(need["level"]) + draw(st.sampled_from([-1, 0, 1, 2]))))]
    hours_max = min(48, h + draw(st.sampled_from([0, 0.5, 5, 13])))
    hours_min = draw(st.sampled_from([1, max(1, h - 3), h, hours_max]))
    days = set(draw(st.lists(st.sampled_from(need["days"]), min_size=1, unique=True)))
    days |= set(draw(st.lists(st.sampled_from(DAYS), max_size=3, unique=True)))
    contracts = set(draw(st.lists(st.sampled_from(CONTRACTS), max_size=3, unique=True)))
    item = {
        "ref": ref,
        "first_name": "Camille",
        "last_name": f"Propriété {ref}",
        "email": f"{ref}@exemple.fr",
        "commune": draw(st.sampled_from(COMMUNES)),
        "mobility_km": 200,
        "skills": draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True)),
        "rome": draw(st.lists(st.sampled_from(ROMES), max_size=2, unique=True)),
        "level": level,
        "hours_min": hours_min,
        "hours_max": hours_max,
        "days": sorted(days),
        "contracts": sorted(contracts | {need["contract"]}),
        "available_from": (START - timedelta(days=draw(st.sampled_from([0, 10])))).isoformat(),
        "consent": True,
    }
    # Work already held on a day the need does not take, or work ended before the start.
    free = [d for d in DAYS if d not in need["days"]]
    held = draw(st.sampled_from([None, "running", "ended"]))
    if held == "running" and free and hours_max + 7 <= 48:
        item["commitments"] = [{"hours_per_week": 7, "days": [free[0]]}]
        item["hours_max"] = hours_max + 7
        item["hours_min"] = min(item["hours_max"], hours_min + draw(st.sampled_from([0, 7])))
    elif held == "ended":
        until = (START - timedelta(days=1)).isoformat()
        item["commitments"] = [{"hours_per_week": 20, "days": list(need["days"]), "until": until}]
    return item


# --------------------------------------------------------------------------- the changes
# Each improves one criterion of a person (or changes nothing the score reads), all else
# equal; None when it does not apply to this person and need.


def _more_of_the_needs_skills(cand, need):
    missing = [s for s in need["skills"] if s not in cand["skills"]]
    return {"skills": [*cand["skills"], missing[0]]} if missing else None


def _one_more_skill(cand, need, extra):
    return {"skills": [*cand["skills"], extra]} if extra not in cand["skills"] else None


def _the_needs_rome(cand, need):
    if need.get("rome") is None or need["rome"] in cand["rome"]:
        return None
    # Declared with others, or declared where it was only read from the skills.
    return {"rome": [*cand["rome"], need["rome"]]}


def _level_equal_instead_of_one_below(cand, need):
    if _rank(cand["level"]) != _rank(need["level"]) - 1:
        return None
    return {"level": need["level"]}


def _more_free_hours(cand, need):
    return {"hours_max": cand["hours_max"] + 1} if cand["hours_max"] + 1 <= 48 else None


def _fewer_hours_wished_at_least(cand, need):
    return {"hours_min": 1} if cand["hours_min"] > 1 else None


def _every_day_of_the_need(cand, need):
    days = sorted(set(cand["days"]) | set(need["days"]))
    return {"days": days} if days != sorted(cand["days"]) else None


def _earlier_availability(cand, need):
    earlier = date.fromisoformat(cand["available_from"]) - timedelta(days=60)
    return {"available_from": earlier.isoformat()}


def _every_contract(cand, need):
    return {"contracts": CONTRACTS} if sorted(cand["contracts"]) != sorted(CONTRACTS) else None


def _living_where_the_work_is(cand, need):
    return {"commune": "33009"} if cand["commune"] != "33009" else None


CHANGES = {
    "more of the need's skills": _more_of_the_needs_skills,
    "the need's ROME": _the_needs_rome,
    "level equal instead of one below": _level_equal_instead_of_one_below,
    "more free hours": _more_free_hours,
    "fewer hours wished at least": _fewer_hours_wished_at_least,
    "every day of the need": _every_day_of_the_need,
    "earlier availability": _earlier_availability,
    "every contract": _every_contract,
    "living where the work is": _living_where_the_work_is,
}


def _identity(n: int) -> dict:
    return {
        "first_name": ["Léa", "Mohamed", "Jean-Pierre", "Anaïs"][n % 4],
        "last_name": ["N'Diaye", "Dupont", "Ferrández", "Le Gall"][n % 4] + f" {n}",
        "email": f"autre{n}@exemple.fr",
        "phone": ["0556000000", "06 12 34 56 78", "+33 5 57 00 00 00"][n % 3],
        "source": ["forum", "job dating", "réseaux sociaux"][n % 3],
    }


@st.composite
def worlds(draw):
    """(document, base ref, {change name: ref of the changed person}, refs of the twins)."""
    pool = draw(st.sampled_from([SKILLS, *TRADES]))
    need = draw(needs(pool))
    base = draw(candidates(need, "cv-base", pool))
    people = [base]
    changed = {}
    extra = draw(st.sampled_from(pool))
    changes = dict(CHANGES)
    changes["one more skill"] = lambda c, n: _one_more_skill(c, n, extra)
    for k, (name, change) in enumerate(changes.items()):
        fields = change(base, need)
        if fields is None:
            continue
        ref = f"cv-change-{k}"
        people.append({**base, **fields, "ref": ref, "email": f"{ref}@exemple.fr"})
        changed[name] = ref
    # (c) and (d): the same person under other names, contacts and sources.
    twins = []
    for n in range(2):
        ref = f"cv-twin-{n}"
        people.append({**base, **_identity(n), "ref": ref})
        twins.append(ref)
    # (e) the same skills in another order.
    shuffled = draw(st.permutations(base["skills"]))
    people.append(
        {**base, "ref": "cv-reordered", "email": "reordered@exemple.fr", "skills": shuffled}
    )
    others = [draw(candidates(need, f"cv-other-{n}", pool)) for n in range(draw(st.integers(0, 3)))]
    people = draw(st.permutations(people + others))
    document = {
        "format": "connectences/v1.1",
        "companies": [factories.company(ref="entreprise-1", commune="33009")],
        "candidates": people,
        "needs": [_clean(need)],
    }
    return document, changed, twins


def _load(document: dict) -> None:
    empty_domain_tables()
    forget_indexes()
    factories.load(document)


def _matches() -> dict[str, dict]:
    result = match_need("besoin-1", limit=100)
    return {m["candidate"]: m for m in result["matches"]}


def check_explanation(match: dict) -> None:
    """(a) The score is what the explanation says: its points add up to it exactly."""
    entries = match["explanation"]
    assert len({e["criterion"] for e in entries}) == len(entries), entries
    assert {"skills", "rome", "level", "hours", "days", "contract"} <= {
        e["criterion"] for e in entries
    }
    for e in entries:
        assert isinstance(e["text"], str) and e["text"].strip()
        most = WEIGHTS.get(e["criterion"], 0)
        assert 0 <= e["points"] <= most, e
        if e["criterion"] != "skills":
            assert e["points"] == int(e["points"]), e
    assert match["score"] == sum(e["points"] for e in entries)
    assert 0 <= match["score"] <= 100
    # At most one decimal, as displayed ("70,3") and stored on a lead.
    assert round(match["score"], 1) == match["score"]


PROPERTY_SETTINGS = oracle_settings(max_examples=40)


@PROPERTY_SETTINGS
@given(world=worlds())
def test_the_score_moves_only_with_the_criteria(world):
    document, changed, twins = world
    _load(document)
    found = _matches()
    # Everyone keeps the hard constraints by construction.
    assert set(found) == {c["ref"] for c in document["candidates"]}
    for match in found.values():
        check_explanation(match)
        # "Pourquoi pas ce candidat ?" says the same as the list (one rule for both).
        why = explain_candidate("besoin-1", match["candidate"])
        assert (why["score"], why["explanation"]) == (match["score"], match["explanation"])
    base = found["cv-base"]
    # (b) One criterion better, all else equal: never a lower score.
    for name, ref in changed.items():
        assert found[ref]["score"] >= base["score"], (name, base, found[ref])
    # (c), (d) Identity, contact and source change nothing.
    for ref in twins:
        assert found[ref]["score"] == base["score"]
        assert found[ref]["explanation"] == base["explanation"]
    # (e) Nor does the order the person listed their skills in.
    assert found["cv-reordered"]["score"] == base["score"], (base, found["cv-reordered"])
    # (d) Nor notes written about the person.
    person = db.session.scalar(db.select(Candidate).where(Candidate.ref == "cv-twin-0"))
    person.notes = "Homme, 52 ans, très motivé, parle anglais."
    db.session.commit()
    candidate_changed(person)
    again = _matches()["cv-twin-0"]
    assert (again["score"], again["explanation"]) == (base["score"], base["explanation"])
    # (e) Imported again in another order: the same scores and explanations.
    _load({**document, "candidates": list(reversed(document["candidates"]))})
    reloaded = _matches()
    for ref, match in found.items():
        if ref == "cv-twin-0":
            continue
        assert (reloaded[ref]["score"], reloaded[ref]["explanation"]) == (
            match["score"],
            match["explanation"],
        ), ref


# The skills criterion alone, without the import (fast: many more examples): partial
# credit given out among several need skills is where order and extra skills could act.


@st.composite
def skill_lists(draw):
    pool = draw(st.sampled_from([SKILLS, *TRADES]))
    need = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    cand = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5, unique=True))
    return need, cand, draw(st.permutations(cand)), draw(st.sampled_from(pool))


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(lists=skill_lists())
def test_skill_points_ignore_the_order_and_grow_with_skills(lists):
    need_skills, skills, reordered, extra = lists
    need = factories.need_data(skills=tuple(need_skills))

    def points(cand_skills) -> float:
        entries = score_pair(need, factories.candidate_data(skills=tuple(cand_skills)), 5.0)[1]
        return entries[0]["points"]

    assert points(reordered) == points(skills)
    assert points([*skills, extra]) >= points(skills)


def test_the_order_of_a_persons_skills_does_not_change_their_score():
    """Found by a random search over these skills. Two need skills met only in part: "lettrage" is
    close to both (0.6 each), "rapprochements bancaires" close to "saisie comptable"
    (0.6) but only of the same job as "factures d'achat" (0.2). Credit was given
    greedily in the order the person listed their skills: listed first, "lettrage"
    took "saisie comptable" and left 0.2 for the other (18 points); listed last, the
    person got 0.6 + 0.6 (27 points). The best assignment is taken whatever the order."""
    need = factories.need_data(skills=("saisie comptable", "factures d'achat"))
    orders = [
        ("lettrage", "tontes", "rapprochements bancaires"),
        ("rapprochements bancaires", "tontes", "lettrage"),
    ]
    for skills in orders:
        entries = score_pair(need, factories.candidate_data(skills=skills), 5.0)[1]
        assert entries[0]["points"] == 27.0, entries[0]
        assert "« lettrage » proche de « factures d'achat »" in entries[0]["text"]
        assert "« rapprochements bancaires » proche de « saisie comptable »" in entries[0]["text"]


# --------------------------------------------------------------------------- (f) ties


TIE_NEEDS = 15
TIE_PEOPLE = 20


def tie_share(seed: int) -> float:
    """For one random need and 20 random people keeping its hard constraints, the share
    of pairs of people with different criteria who get the same score."""
    # A plain generator, not hypothesis: a measure over fixed draws, not a search.
    rnd = random.Random(seed)  # noqa: S311 (test data, not a secret)
    need = {
        "ref": "besoin-1",
        "company": "entreprise-1",
        "title": "Besoin tiré au sort",
        "rome": rnd.choice([None, *ROMES]),
        "skills": rnd.sample(SKILLS, rnd.randint(1, 3)),
        "level": rnd.choice(LEVELS),
        "hours_per_week": rnd.choice([7, 10.5, 14, 20, 34, 35]),
        "days": rnd.sample(DAYS, rnd.randint(1, 4)),
        "contract": rnd.choice(CONTRACTS),
        "reason": "temps_partiel",
        "start": START.isoformat(),
    }
    need_data = factories.need_data(
        skills=tuple(need["skills"]),
        rome=need["rome"],
        level=need["level"],
        hours_per_week=float(need["hours_per_week"]),
        days=frozenset(need["days"]),
        contract=need["contract"],
    )
    people = []
    for n in range(TIE_PEOPLE):
        h = need["hours_per_week"]
        hours_max = min(48, h + rnd.choice([0, 5, 13]))
        level_step = rnd.choice([-1, 0, 1, 2])
        person = factories.candidate_data(
            ref=f"cv-{n}",
            skills=tuple(rnd.sample(SKILLS, rnd.randint(1, 4))),
            rome=tuple(rnd.sample(ROMES, rnd.randint(0, 2))),
            level=LEVELS[max(0, min(3, _rank(need["level"]) + level_step))],
            hours_min=float(rnd.choice([1, max(1, h - 3), h, hours_max])),
            hours_max=float(hours_max),
            days=frozenset(rnd.sample(need["days"], 1) + rnd.sample(DAYS, rnd.randint(0, 3))),
            contracts=frozenset({need["contract"], *rnd.sample(CONTRACTS, rnd.randint(0, 2))}),
        )
        points, entries = score_pair(need_data, person, 5.0)
        people.append((points, tuple((e["criterion"], e["points"]) for e in entries)))
    pairs = [(a, b) for a, b in itertools.combinations(people, 2) if a[1] != b[1]]
    return sum(a[0] == b[0] for a, b in pairs) / len(pairs) if pairs else 0.0


def test_random_candidates_are_told_apart():
    """(f) Measured over 15 random needs of 20 random people each: among pairs of people
    whose criteria's points differ, the share with the same score. A score that only
    took a few values (a plateau) would be near 1."""
    shares = [tie_share(seed) for seed in range(TIE_NEEDS)]
    mean = sum(shares) / len(shares)
    print(f"tie share: mean {mean:.3f}, max {max(shares):.3f}")
    assert mean < 0.1


def test_many_need_skills_met_in_part_still_ignore_the_order(monkeypatch):
    """Beyond ``EXACT_PARTIAL_MAX`` need skills met only in part, credit is given
    greedily: ties go to the candidate skills in alphabetical order, not in the order the
    person listed them."""
    monkeypatch.setattr(score_module, "EXACT_PARTIAL_MAX", 1)
    need = factories.need_data(skills=("saisie comptable", "factures d'achat"))
    scored = {
        score_pair(need, factories.candidate_data(skills=skills), 5.0)[1][0]["points"]
        for skills in (
            ("lettrage", "tontes", "rapprochements bancaires"),
            ("rapprochements bancaires", "tontes", "lettrage"),
        )
    }
    assert len(scored) == 1, scored
