"""An oracle for « pool » (interchange spec, "What the platform derives"), written from the
spec's words only, compared with the platform on generated documents.

The spec: bundles of at least two part-time needs (under 35 hours a week each) from
different companies that one person could hold together: compatible (same ROME code, or
same ROME family, i.e. the first three characters, or at least one skill in common,
skills being compared without case or accents and through the taxonomy where it knows
them), no day used twice, every two sites within 25 km of each other, total hours at most
35. A bundle is maximal: it is not reported again as a smaller part of itself. Each bundle
names its needs, its total hours, its days, and the candidates who fit the whole bundle
(in their free hours and free days).

Documents are imported through the platform's importer (as the CLI and the API do) and
the bundles read from ``pool_open_needs``, what ``GET /api/v1/pools`` returns. Only fresh
open needs of companies that accept contact are generated: the platform leaves out others
for product reasons (a company that asked not to be solicited, a need already routed).

Readings chosen where the spec leaves room (each noted where it is used):
- "within 25 km" is "at most 25 km" (the match rule's boundaries are allowed too);
- a candidate fits the whole bundle when the match rule's hard constraints hold for it
  with the bundle as one job: open to work, available on every need's start, every site
  within reach, every need's contract accepted, no need's level more than one step above,
  free hours at least the total, and every day of the bundle a free day; free hours and
  free days are counted on the bundle's first start (a commitment still running then
  takes its hours and days).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectences import skills, territory
from connectences.matching.open_bundles import pool_open_needs
from tests import factories
from tests.helpers import empty_domain_tables, oracle_settings

# Property tests over many generated documents, each imported: seconds.
pytestmark = pytest.mark.slow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEVELS = ("non_qualifie", "employe_qualifie", "technicien", "cadre")
CONTRACTS = ("cdi_temps_partage", "cdi", "cdd", "saisonnier", "mission")
START = date(2027, 2, 1)

# Five communes of the Pays placed on a line (km from the first), so that two sites can
# be exactly 25 km apart, or 25.1 km, and a person exactly at their mobility.
LINE = {"33009": 0.0, "33529": 10.0, "33199": 25.0, "33005": 25.1, "33042": 60.0}
COMMUNES = tuple(LINE)


def line_distance(a: str, b: str) -> float | None:
    if a not in LINE or b not in LINE:
        return None
    return abs(LINE[a] - LINE[b])


# Skills: plain words the taxonomy does not know, written with other cases and accents,
# and a few words it knows ("compta" and "saisie comptable": one concept; "tonte" another).
PLAIN_SKILLS = ("zorglub", "Zörglub", "ZORGLUB", "zorglub", "brindille", "Brîndille", "quenouille")
KNOWN_SKILLS = ("compta", "saisie comptable", "tonte")
# ROME codes sharing 5 (same), 3 (family M12), 1 (M) or no characters.
ROMES = ("M1203", "M1203", "M1207", "M1203", "M1607", "K2204", None)


# --------------------------------------------------------------------------- the oracle


def fold(text: str) -> str:
    """Without case or accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def skill_keys(words) -> set[tuple[str, str]]:
    """What a skill is compared by: its folded text, and its concept where the taxonomy
    knows it."""
    keys = set()
    for word in words:
        keys.add(("text", fold(word)))
        concept = skills.concept_of(word)
        if concept is not None:
            keys.add(("concept", concept))
    return keys


@dataclass(frozen=True)
class OracleNeed:
    ref: str
    company: str
    site: str
    rome: str | None
    skills: tuple[str, ...]
    level: str
    hours: float
    days: frozenset[str]
    contract: str
    start: date


def compatible(a: OracleNeed, b: OracleNeed) -> bool:
    if a.rome and b.rome and (a.rome == b.rome or a.rome[:3] == b.rome[:3]):
        return True
    return bool(skill_keys(a.skills) & skill_keys(b.skills))


def together(a: OracleNeed, b: OracleNeed, distance) -> bool:
    """Two needs one person could hold together, as far as the pair goes."""
    far = distance(a.site, b.site)
    return (
        a.company != b.company
        and compatible(a, b)
        and not (a.days & b.days)
        and far is not None
        and far <= 25  # "within 25 km": at most (reading noted above)
    )


def valid(group, distance) -> bool:
    return (
        len(group) >= 2
        and sum(n.hours for n in group) <= 35
        and all(together(a, b, distance) for a, b in combinations(group, 2))
    )


def oracle_bundles(needs: list[OracleNeed], distance) -> set[frozenset[str]]:
    """Every maximal bundle, by trying every subset of the part-time needs."""
    part = [n for n in needs if n.hours < 35]
    groups = [
        frozenset(n.ref for n in group)
        for size in range(2, len(part) + 1)
        for group in combinations(part, size)
        if valid(group, distance)
    ]
    return {g for g in groups if not any(g < other for other in groups)}


def free_week(person: dict, on: date) -> tuple[float, set[str]]:
    """Free hours and free days on ``on`` (v1.1 commitments: one still running on that
    day takes its hours and its days; one whose ``until`` is before it is over)."""
    hours = float(person["hours_max"])
    days = set(person["days"])
    for c in person.get("commitments", []):
        if "until" in c and date.fromisoformat(c["until"]) < on:
            continue
        hours -= c["hours_per_week"]
        days -= set(c["days"])
    return hours, days


def fits(person: dict, members: list[OracleNeed], distance) -> bool:
    """The match rule's hard constraints, the bundle taken as one job (reading above)."""
    if person.get("status", "disponible") not in ("disponible", "en_mission"):
        return False
    if not person["consent"]:
        return False
    first = min(n.start for n in members)
    if date.fromisoformat(person["available_from"]) > first:
        return False
    for n in members:
        far = distance(person["commune"], n.site)
        if far is not None and far > person["mobility_km"]:
            return False
        if n.contract not in person["contracts"]:
            return False
        if LEVELS.index(person["level"]) < LEVELS.index(n.level) - 1:
            return False
    hours, days = free_week(person, first)
    total = sum(n.hours for n in members)
    if hours < total - 1e-9:
        return False
    return set().union(*(n.days for n in members)) <= days


def oracle_need(item: dict, companies: dict[str, dict]) -> OracleNeed:
    return OracleNeed(
        ref=item["ref"],
        company=item["company"],
        site=item.get("commune") or companies[item["company"]]["commune"],
        rome=item.get("rome"),
        skills=tuple(item["skills"]),
        level=item["level"],
        hours=float(item["hours_per_week"]),
        days=frozenset(item["days"]),
        contract=item["contract"],
        start=date.fromisoformat(item["start"]),
    )


def check_against_oracle(document: dict, found: dict, distance) -> None:
    """The platform's answer ``found`` (``{"bundles": [...], "truncated": ...}``) is the
    oracle's for ``document``."""
    companies = {c["ref"]: c for c in document["companies"]}
    needs = [oracle_need(item, companies) for item in document["needs"]]
    by_ref = {n.ref: n for n in needs}
    expected = oracle_bundles(needs, distance)
    reported = [frozenset(b["needs"]) for b in found["bundles"]]
    # Small documents are searched whole: nothing is cut, so the list is complete.
    assert found["truncated"] is False
    assert len(reported) == len(set(reported)), "a bundle reported twice"
    assert set(reported) == expected, (
        f"missing {expected - set(reported)}, extra {set(reported) - expected}"
    )
    for bundle in found["bundles"]:
        members = [by_ref[r] for r in bundle["needs"]]
        assert len(bundle["needs"]) == len(set(bundle["needs"]))
        assert bundle["hours"] == pytest.approx(sum(n.hours for n in members))
        assert len(bundle["days"]) == len(set(bundle["days"]))
        assert set(bundle["days"]) == set().union(*(n.days for n in members))
        fitting = {p["ref"] for p in document["candidates"] if fits(p, members, distance)}
        assert len(bundle["candidates"]) == len(set(bundle["candidates"]))
        assert set(bundle["candidates"]) == fitting, (
            f"bundle {sorted(bundle['needs'])}: missing {fitting - set(bundle['candidates'])},"
            f" extra {set(bundle['candidates']) - fitting}"
        )


# --------------------------------------------------------------------------- documents


def iso(day: date) -> str:
    return day.isoformat()


@st.composite
def documents(draw):
    n_companies = draw(st.sampled_from([5, 4, 3, 2]))
    companies = [
        factories.company(
            ref=f"e{i}",
            siret=factories.make_siret(900 + i),
            commune=draw(st.sampled_from(COMMUNES[:3] + COMMUNES)),
        )
        for i in range(n_companies)
    ]
    days = st.one_of(
        st.lists(st.sampled_from(DAYS[:6]), min_size=1, max_size=1),
        st.lists(st.sampled_from(DAYS[:5]), min_size=1, max_size=2, unique=True),
    )
    some_skills = st.lists(
        st.sampled_from(PLAIN_SKILLS + KNOWN_SKILLS), min_size=1, max_size=2, unique=True
    )
    starts = [START, START + timedelta(days=7)] if draw(st.booleans()) else [START]
    needs = []
    for i in range(draw(st.sampled_from([8, 7, 6, 8, 5, 4, 3, 2]))):
        need = factories.need(
            ref=f"b{i}",
            company=f"e{draw(st.integers(0, n_companies - 1))}",
            skills=draw(some_skills),
            level=draw(st.sampled_from(LEVELS[:3])),
            hours_per_week=draw(st.sampled_from([7, 4, 10, 7, 11, 14, 7, 17.5, 21, 34, 35, 36])),
            days=draw(days),
            contract=draw(st.sampled_from(("cdi_temps_partage", "cdd", "saisonnier"))),
            start=iso(draw(st.sampled_from(starts))),
        )
        rome = draw(st.sampled_from(ROMES))
        if rome is None:
            del need["rome"]
        else:
            need["rome"] = rome
        site = draw(st.sampled_from((None, None, *COMMUNES)))
        if site is not None:
            need["commune"] = site
        needs.append(need)
    candidates = [
        person(draw, i, draw(some_skills)) for i in range(draw(st.sampled_from([5, 4, 3, 2, 1])))
    ]
    return {
        "format": "connectences/v1.1",
        "companies": companies,
        "candidates": candidates,
        "needs": needs,
    }


# What may be changed in a person who would fit most bundles, one or two at a time.
CHANGES = ("status", "available", "reach", "level", "hours", "days", "contracts", "commitments")


def person(draw, i: int, their_skills: list[str]) -> dict:
    """A person who fits most bundles (open to work, available before the starts, every
    site in reach, the highest level, 48 free hours, every day, every contract), with up
    to two of those changed, near the boundaries."""
    values = {
        "ref": f"cv{i}",
        "email": f"cv{i}@exemple.fr",
        "commune": draw(st.sampled_from(COMMUNES[:3])),
        "mobility_km": 60,
        "skills": their_skills,
        "level": "cadre",
        "hours_min": 1,
        "hours_max": 48,
        "days": list(DAYS),
        "contracts": list(CONTRACTS),
        "available_from": iso(START - timedelta(days=1)),
        "status": draw(st.sampled_from(("disponible", "en_mission"))),
    }
    for change in draw(st.lists(st.sampled_from(CHANGES), max_size=2, unique=True)):
        if change == "status":
            values["status"] = draw(st.sampled_from(("place", "inactif")))
        elif change == "available":
            values["available_from"] = iso(START + timedelta(days=draw(st.sampled_from([0, 1, 7]))))
        elif change == "reach":
            values["commune"] = draw(st.sampled_from(COMMUNES))
            values["mobility_km"] = draw(st.sampled_from([0, 10, 15, 25, 35]))
        elif change == "level":
            values["level"] = draw(st.sampled_from(LEVELS[:3]))
        elif change == "hours":
            values["hours_max"] = draw(st.sampled_from([14, 17, 17.5, 21, 24, 28, 35]))
        elif change == "days":
            values["days"] = draw(
                st.lists(st.sampled_from(DAYS), min_size=1, max_size=6, unique=True)
            )
        elif change == "contracts":
            values["contracts"] = draw(
                st.lists(st.sampled_from(CONTRACTS), min_size=1, max_size=3, unique=True)
            )
        elif change == "commitments":
            values["commitments"] = [commitment(draw) for _ in range(draw(st.integers(1, 2)))]
    return factories.candidate(**values)


def commitment(draw) -> dict:
    """Work held: open-ended, or ending the day before, on or after the first start."""
    held = {
        "hours_per_week": draw(st.sampled_from([3, 4, 7, 13, 20])),
        "days": draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=2, unique=True)),
    }
    until = draw(
        st.sampled_from([None, START - timedelta(days=1), START, START + timedelta(days=3)])
    )
    if until is not None:
        held["until"] = iso(until)
    return held


def platform_pools(document: dict) -> dict:
    empty_domain_tables()
    factories.load(document)
    return pool_open_needs()


ORACLE_SETTINGS = oracle_settings(max_examples=100)


@ORACLE_SETTINGS
@given(document=documents())
def test_pools_agree_with_the_oracle_on_a_line_of_communes(document):
    with mock.patch.object(territory, "distance_km", line_distance):
        found = platform_pools(document)
    check_against_oracle(document, found, line_distance)


@settings(ORACLE_SETTINGS, max_examples=40)
@given(document=documents())
def test_pools_agree_with_the_oracle_on_the_real_distances(document):
    found = platform_pools(document)
    check_against_oracle(document, found, territory.distance_km)


# --------------------------------------------------------------------------- named cases


def test_named_case_through_the_api_taxonomy_25_km_and_every_day_free(client, auth):
    """Imported and read through the API: "compta" and "saisie comptable" are one skill
    for the taxonomy, "tonte" another; sites 25 km apart are bundled, 25.1 km not; a
    person who works Monday elsewhere does not fit a bundle working Monday, though they
    share Tuesday with its two-day need."""
    from tests.test_api_v1 import bearer, token_for

    companies = [
        factories.company(ref=f"e{i}", siret=factories.make_siret(950 + i), commune="33009")
        for i in range(4)
    ]
    needs = [
        factories.need(ref="compta", company="e0", days=["mon", "wed"], hours_per_week=10),
        factories.need(ref="saisie", company="e1", commune="33199", hours_per_week=10),
        factories.need(ref="tonte", company="e2", days=["fri"]),
        factories.need(ref="loin", company="e3", commune="33005", days=["thu"]),
    ]
    for item, skill in zip(needs, ["compta", "saisie comptable", "tonte", "Compta"]):
        item["skills"] = [skill]
        del item["rome"]  # compatible through the skills only
    base = dict(commune="33009", hours_max=20, days=list(DAYS))
    candidates = [
        # 25 km from home to "saisie", 20 free hours: both boundaries allowed.
        factories.candidate(ref="tous-jours", mobility_km=25, **base),
        factories.candidate(
            ref="lundi-pris",
            mobility_km=60,
            status="en_mission",
            commitments=[{"hours_per_week": 3, "days": ["mon"]}],
            **{**base, "hours_max": 48},
        ),
    ]
    document = {
        "format": "connectences/v1.1",
        "companies": companies,
        "needs": needs,
        "candidates": candidates,
    }
    headers = bearer(token_for(auth.create("animateur")))
    imported = client.post("/api/v1/exchange", json=document, headers=headers)
    assert imported.status_code == 200, imported.get_json()
    with mock.patch.object(territory, "distance_km", line_distance):
        found = client.get("/api/v1/pools", headers=headers).get_json()
    check_against_oracle(document, found, line_distance)
    shapes = {tuple(b["needs"]): (b["hours"], b["days"], b["candidates"]) for b in found["bundles"]}
    assert shapes == {
        ("compta", "saisie"): (20, ["mon", "tue", "wed"], ["tous-jours"]),
        ("loin", "saisie"): (17, ["tue", "thu"], ["lundi-pris"]),
    }
