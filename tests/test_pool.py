"""Pooling of part-time needs into shared-time bundles (spec "What the platform derives" -> pool)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import combinations

import pytest

from connectences import skills
from connectences.matching import week
from connectences.matching.constraints import hard_constraint_checks
from connectences.matching.data import CandidateData, CommitmentData, NeedData
from connectences.matching.pool import pool, truncated_notice
from connectences.vocab import DAYS
from tests.factories import candidate_data, need_data, need_row

# Fake communes on a line: the distance is the gap between positions (km).
POSITION = {"10001": 0.0, "10002": 10.0, "10003": 25.0, "10004": 25.1, "10005": 60.0}
UNKNOWN = "19999"  # a commune whose centre is unknown
START = date(2027, 2, 1)


def distance(a: str, b: str) -> float | None:
    if a not in POSITION or b not in POSITION:
        return None
    return abs(POSITION[a] - POSITION[b])


def epci_of(insee: str) -> str | None:
    return "200000001" if insee in POSITION else None


def need(ref: str, company: str, days: str, hours: float, **over) -> NeedData:
    placed = {"ref": ref, "company": company, "hours_per_week": float(hours), "commune": "10001"}
    return need_data(**{**placed, "days": frozenset(days.split()), **over})


def candidate(ref: str, **over) -> CandidateData:
    values = dict(
        ref=ref,
        commune="10001",
        mobility_km=30.0,
        skills=("comptabilité",),
        hours_min=10.0,
        hours_max=35.0,
        days=frozenset(DAYS),
        available_from=date(2027, 1, 1),
    )
    return candidate_data(**{**values, **over})


def run(needs, candidates=(), **kw):
    return pool(needs, candidates, distance=distance, epci_of=epci_of, **kw).bundles


def refs(bundles) -> set[frozenset[str]]:
    return {frozenset(b.needs) for b in bundles}


def test_two_compatible_needs_make_a_bundle_with_its_shape():
    bundles = run(
        [need("b2", "e2", "thu", 7), need("b1", "e1", "tue mon", 14)],
        [candidate("cv-1"), candidate("cv-2", hours_max=21)],  # 21: boundary allowed
    )
    assert len(bundles) == 1
    bundle = bundles[0]
    assert bundle.needs == ("b1", "b2")
    assert bundle.hours == 21
    assert bundle.days == ("mon", "tue", "thu")  # week order
    assert bundle.candidates == ("cv-1", "cv-2")
    assert 0 <= bundle.score <= 100
    assert sum(int(r.split(" : ")[1].split(" points")[0]) for r in bundle.reasons[1:]) == (
        bundle.score
    )
    assert bundle.to_json() == {
        "needs": ["b1", "b2"],
        "hours": 21,
        "days": ["mon", "tue", "thu"],
        "candidates": ["cv-1", "cv-2"],
    }
    assert set(bundle.to_json(details=True)) == {
        "needs",
        "hours",
        "days",
        "candidates",
        "score",
        "reasons",
    }


def test_no_day_used_twice():
    assert run([need("b1", "e1", "mon tue", 10), need("b2", "e2", "tue", 10)]) == []
    bundles = run(
        [
            need("b1", "e1", "mon", 8),
            need("b2", "e2", "mon", 8),
            need("b3", "e3", "wed", 8),
        ]
    )
    assert refs(bundles) == {frozenset({"b1", "b3"}), frozenset({"b2", "b3"})}
    for bundle in bundles:
        assert len(bundle.days) == len(set(bundle.days))


def test_needs_come_from_different_companies():
    bundles = run(
        [
            need("b1", "e1", "mon", 8),
            need("b2", "e1", "tue", 8),
            need("b3", "e2", "wed", 8),
        ]
    )
    assert refs(bundles) == {frozenset({"b1", "b3"}), frozenset({"b2", "b3"})}


def test_hours_within_one_week():
    # Each need under 35 h; the total at most 35 h, boundary included.
    assert refs(run([need("b1", "e1", "mon", 17.5), need("b2", "e2", "tue", 17.5)])) == {
        frozenset({"b1", "b2"})
    }
    assert run([need("b1", "e1", "mon", 20), need("b2", "e2", "tue", 16)]) == []
    # A need of 35 h or more is not part-time: never pooled.
    assert run([need("b1", "e1", "mon tue", 35), need("b2", "e2", "wed", 4)]) == []
    bundles = run(
        [
            need("b1", "e1", "mon", 20),
            need("b2", "e2", "tue", 10),
            need("b3", "e3", "wed", 10),
        ]
    )
    assert refs(bundles) == {frozenset({"b1", "b2"}), frozenset({"b1", "b3"})} | {
        frozenset({"b2", "b3"})
    }
    assert all(b.hours <= 35 for b in bundles)


@pytest.mark.parametrize(
    "hours", [(18.55, 15.32, 1.13), (24.07, 9.16, 1.77), (8.55, 9.08, 10.53, 5.7, 1.14)]
)
def test_a_bundle_of_35_h_typed_in_decimals_names_35_h(hours):
    # Added as binary floats these make 35.00000000000001, which another platform reads
    # as over the 35 h a bundle may total: the total is the sum of the hours as typed.
    needs = [need(f"b{i}", f"e{i}", day, h) for i, (day, h) in enumerate(zip(DAYS, hours))]
    (bundle,) = run(needs)
    assert bundle.hours == 35
    assert bundle.to_json()["hours"] == 35
    assert isinstance(bundle.to_json()["hours"], int)


def test_sites_within_25_km_boundary_included_and_unknown_distance_not_bundled():
    base = need("b1", "e1", "mon", 8, commune="10001")
    assert run([base, need("b2", "e2", "tue", 8, commune="10003")])  # 25 km
    assert run([base, need("b2", "e2", "tue", 8, commune="10004")]) == []  # 25.1 km
    assert run([base, need("b2", "e2", "tue", 8, commune=UNKNOWN)]) == []
    # Same commune: 0 km even when its centre is unknown.
    assert run(
        [
            need("b1", "e1", "mon", 8, commune=UNKNOWN),
            need("b2", "e2", "tue", 8, commune=UNKNOWN),
        ]
    )
    # Every two sites: 0 and 25.1 are fine with 10, not with each other.
    bundles = run(
        [
            need("b1", "e1", "mon", 8, commune="10001"),
            need("b2", "e2", "tue", 8, commune="10002"),
            need("b3", "e3", "wed", 8, commune="10004"),
        ]
    )
    assert refs(bundles) == {frozenset({"b1", "b2"}), frozenset({"b2", "b3"})}


def test_compatibility_by_rome_code_family_or_skill():
    other = dict(skills=("jardinage",), rome="A1203")
    # Same family (M12..), different codes and skills.
    assert run(
        [
            need("b1", "e1", "mon", 8, rome="M1203", skills=("bilan",)),
            need("b2", "e2", "tue", 8, rome="M1207", skills=("paie",)),
        ]
    )
    # Different trades, no common skill: not compatible.
    assert run([need("b1", "e1", "mon", 8), need("b2", "e2", "tue", 8, **other)]) == []
    # A skill in common, written differently (case, accents).
    assert run(
        [
            need("b1", "e1", "mon", 8, skills=("Accueil Clientèle",), rome="M1607"),
            need("b2", "e2", "tue", 8, skills=("accueil clientele",), rome=None),
        ]
    )
    # Through the taxonomy: both skills are the same concept.
    assert skills.concept_of("compta") == skills.concept_of("saisie comptable") is not None
    assert run(
        [
            need("b1", "e1", "mon", 8, skills=("compta",), rome=None),
            need("b2", "e2", "tue", 8, skills=("saisie comptable",), rome=None),
        ]
    )


def test_bundles_are_maximal_and_not_repeated_as_parts():
    bundles = run(
        [
            need("b1", "e1", "mon", 8),
            need("b2", "e2", "tue", 8),
            need("b3", "e3", "wed", 8),
            need("b4", "e4", "thu fri", 8),
        ]
    )
    assert refs(bundles) == {frozenset({"b1", "b2", "b3", "b4"})}


def test_candidates_fit_the_whole_bundle():
    needs = [
        need("b1", "e1", "mon", 10, commune="10001"),
        need("b2", "e2", "tue", 12, commune="10002", contract="cdd"),
    ]
    cands = [
        candidate("ok"),
        candidate("ok-boundary", hours_min=22, hours_max=22),
        candidate("too-few-hours", hours_max=21),  # fits each need alone, not the total
        candidate("wants-more", hours_min=23),  # fits: wishes are no constraint (spec)
        candidate("contract", contracts=frozenset({"cdi_temps_partage"})),  # b2 is a cdd
        candidate("days", days=frozenset({"mon"})),  # no common day with b2
        candidate("far", commune="10005", mobility_km=45),  # b1 at 60 km
        candidate("status", status="place"),
        candidate("consent", consent=False),
        candidate("later", available_from=date(2027, 3, 1)),
        candidate("level", level="non_qualifie", rome=()),  # one step below: allowed
        candidate("other-job", skills=("jardinage",), rome=("A1203",)),
    ]
    (bundle,) = run(needs, cands)
    # Related to the trade first, then the others; each group by ref.
    assert bundle.candidates == ("level", "ok", "ok-boundary", "wants-more", "other-job")


def test_people_en_mission_fit_a_bundle_in_their_free_hours_and_free_days():
    needs = [
        need("b1", "e1", "mon", 10, commune="10001"),
        need("b2", "e2", "tue", 12, commune="10002"),
    ]
    wed_8h = CommitmentData(hours_per_week=8, days=frozenset({"wed"}), label="GE")
    cands = [
        # 30 h at most, 8 already taken: 22 free, exactly the bundle's total.
        candidate("free-22", status="en_mission", hours_max=30, commitments=(wed_8h,)),
        candidate("free-21", status="en_mission", hours_max=29, commitments=(wed_8h,)),
        # Monday taken: no free day for b1.
        candidate(
            "monday-taken",
            status="en_mission",
            commitments=(CommitmentData(hours_per_week=4, days=frozenset({"mon"})),),
        ),
        # Ended the day before the start: the whole week is free again.
        candidate(
            "ended",
            status="en_mission",
            hours_max=22,
            commitments=(
                CommitmentData(hours_per_week=8, days=frozenset({"mon"}), until=date(2027, 1, 31)),
            ),
        ),
    ]
    (bundle,) = run(needs, cands)
    assert set(bundle.candidates) == {"free-22", "ended"}


def test_a_person_fits_a_bundle_only_with_every_one_of_its_days_free():
    """The bundle's needs keep their days (no day is used twice): a person must be free on
    each of them, not merely share one day with each need (match's rule for one need)."""
    needs = [need("b1", "e1", "mon tue", 7), need("b2", "e2", "wed", 7)]
    monday = CommitmentData(hours_per_week=3, days=frozenset({"mon"}), label="GE")
    cands = [
        candidate("free"),
        # Tuesday is free for b1, but Monday is taken elsewhere.
        candidate("works-monday", status="en_mission", commitments=(monday,)),
        candidate("no-tuesday", days=frozenset({"mon", "wed", "thu", "fri"})),
        # That work ended the day before the start: Monday is free again.
        candidate(
            "monday-ended",
            status="en_mission",
            commitments=(
                CommitmentData(hours_per_week=3, days=frozenset({"mon"}), until=date(2027, 1, 31)),
            ),
        ),
    ]
    (bundle,) = run(needs, cands)
    assert set(bundle.candidates) == {"free", "monday-ended"}


def random_instance(rng: random.Random, n: int):
    communes = ["10001", "10002", "10003", "10004", UNKNOWN]
    romes = ["M1203", "M1203", "M1207", "K2204", None]
    skill_pool = ["Comptabilité", "comptabilite", "compta", "ménage", "Accueil", "paie"]
    needs = []
    for i in range(n):
        needs.append(
            need(
                f"b{i:02d}",
                f"e{rng.randrange(max(2, n - 3))}",
                " ".join(rng.sample(["mon", "tue", "wed", "thu", "fri", "sat"], rng.randint(1, 2))),
                rng.choice([4, 6, 8, 10, 12, 15, 20, 35]),
                commune=rng.choice(communes),
                rome=rng.choice(romes),
                skills=tuple(rng.sample(skill_pool, rng.randint(1, 2))),
                contract=rng.choice(["cdi_temps_partage", "cdd"]),
                level=rng.choice(["employe_qualifie", "technicien"]),
                start=rng.choice([START, START + timedelta(days=10)]),
            )
        )
    cands = []
    for i in range(8):
        lo = rng.choice([4, 10, 16, 20])
        cands.append(
            candidate(
                f"cv-{i}",
                commune=rng.choice(communes),
                mobility_km=rng.choice([5, 15, 30]),
                hours_min=lo,
                hours_max=lo + rng.choice([0, 8, 15]),
                days=frozenset(rng.sample(list(DAYS), rng.randint(2, 6))),
                contracts=frozenset(rng.sample(["cdi_temps_partage", "cdd", "cdi"], 2)),
                level=rng.choice(["non_qualifie", "employe_qualifie", "technicien"]),
                status=(status := rng.choice(["disponible", "disponible", "en_mission"])),
                commitments=_random_commitments(rng) if status == "en_mission" else (),
            )
        )
    return needs, cands


def _random_commitments(rng: random.Random) -> tuple[CommitmentData, ...]:
    """One or two commitments, open-ended or ending around the needs' starts."""
    return tuple(
        CommitmentData(
            hours_per_week=float(rng.choice([4, 8, 12])),
            days=frozenset(rng.sample(list(DAYS), rng.randint(1, 2))),
            until=rng.choice([None, START - timedelta(days=1), START, START + timedelta(days=20)]),
        )
        for _ in range(rng.randint(1, 2))
    )


def _keys(n: NeedData) -> set[str]:
    keys = set()
    for s in n.skills:
        keys.add(("n", skills.normalize(s)))
        if skills.concept_of(s):
            keys.add(("c", skills.concept_of(s)))
    return keys


def _pair_ok(a: NeedData, b: NeedData) -> bool:
    compatible = (a.rome and b.rome and a.rome[:3] == b.rome[:3]) or bool(_keys(a) & _keys(b))
    d = 0.0 if a.commune == b.commune else distance(a.commune, b.commune)
    return bool(
        compatible
        and a.company != b.company
        and not (a.days & b.days)
        and d is not None
        and d <= 25
    )


def brute_force(needs: list[NeedData]) -> set[frozenset[str]]:
    """Every maximal valid bundle, by trying every subset."""
    part = [n for n in needs if n.hours_per_week < 35]

    def valid(group) -> bool:
        return sum(n.hours_per_week for n in group) <= 35 and all(
            _pair_ok(a, b) for a, b in combinations(group, 2)
        )

    result = set()
    for size in range(2, len(part) + 1):
        for group in combinations(part, size):
            if not valid(group):
                continue
            if any(valid((*group, other)) for other in part if other not in group):
                continue
            result.add(frozenset(n.ref for n in group))
    return result


def expected_candidates(bundle_needs: list[NeedData], cands, total: float) -> set[str]:
    """Each need's hard constraints but hours and days; the total in the free hours and
    every day of the bundle free, on its first start."""
    ok = set()
    first = min(n.start for n in bundle_needs)
    days = frozenset().union(*(n.days for n in bundle_needs))
    for cand in cands:
        if not total <= week.free_hours(cand, first):
            continue
        if not days <= week.free_days(cand, first):
            continue
        if all(
            check.ok
            for n in bundle_needs
            for check in hard_constraint_checks(
                n,
                cand,
                0.0 if cand.commune == n.commune else distance(cand.commune, n.commune),
            )
            if check.code not in ("hours", "days")
        ):
            ok.add(cand.ref)
    return ok


@pytest.mark.parametrize("seed", range(40))
def test_against_brute_force_on_small_random_instances(seed):
    rng = random.Random(seed)  # noqa: S311 — synthetic or sampled data, never a secret
    needs, cands = random_instance(rng, rng.randint(6, 11))
    exact = run(needs, cands, max_bundles_per_need=None, max_steps_per_need=None)
    assert refs(exact) == brute_force(needs)
    assert len(exact) == len(refs(exact))  # never twice
    by_ref = {n.ref: n for n in needs}
    for bundle in exact:
        members = [by_ref[r] for r in bundle.needs]
        assert bundle.hours == sum(n.hours_per_week for n in members)
        assert set(bundle.candidates) == expected_candidates(members, cands, bundle.hours)
        assert list(bundle.days) == [d for d in DAYS if any(d in n.days for n in members)]
        assert list(bundle.needs) == sorted(bundle.needs)
    # Ranked best first, ties by refs.
    assert [(-b.score, b.needs) for b in exact] == sorted((-b.score, b.needs) for b in exact)
    # Small instances are searched exactly with the default caps too.
    assert refs(run(needs, cands)) == refs(exact)
    for a, b in combinations(refs(exact), 2):
        assert not (a < b or b < a)


def test_caps_bound_the_search_but_keep_bundles_maximal(monkeypatch):
    from connectences.matching import pool as pool_module

    # 6 days x 4 needs of one trade in one place: 4^6 maximal six-day bundles.
    needs = [
        need(f"b{d}{k}", f"e{d}{k}", day, 5)
        for d, day in enumerate(["mon", "tue", "wed", "thu", "fri", "sat"])
        for k in range(4)
    ]
    exact = run(needs, max_bundles_per_need=None, max_steps_per_need=None)
    assert len(exact) == 4**6
    # Small enough for the exact search: the defaults list everything.
    assert refs(run(needs)) == refs(exact)
    # Past the exact budget, the caps apply.
    monkeypatch.setattr(pool_module, "MAX_EXACT_STEPS", 1000)
    capped = run(needs, max_bundles_per_need=3)
    assert 0 < len(capped) <= 3 * len(needs)
    assert all(len(b.needs) == 6 for b in capped)
    assert refs(capped) <= refs(exact)


def _dense(per_day: int, days=("mon", "tue", "wed", "thu", "fri"), hours=7) -> list[NeedData]:
    """``per_day`` needs of one trade a day, one place, ``hours`` each: with 7 h over five
    days, per_day ** 5 full weeks."""
    return [
        need(f"b{d}{k:02}", f"e{d}{k:02}", day, hours)
        for d, day in enumerate(days)
        for k in range(per_day)
    ]


def test_dense_data_is_cut_and_the_result_says_so():
    # 40 needs of one trade in one commune: 8 a day, 8**5 = 32,768 maximal bundles.
    needs = _dense(8)
    found = pool(needs, distance=distance, epci_of=epci_of)
    assert found.truncated
    assert 0 < found.cut_needs <= len(needs)
    assert 0 < len(found.bundles) <= 5 * len(needs) < 8**5
    assert all(len(b.needs) == 5 and b.hours == 35 for b in found.bundles)
    assert truncated_notice(len(found.bundles)) == (
        f"Seules les {len(found.bundles)} premières combinaisons sont affichées ; "
        "affinez par métier ou par commune."
    )
    # What is searched exactly is never said to be cut.
    assert not pool(_dense(2), distance=distance, epci_of=epci_of).truncated


def test_a_need_that_leads_exactly_its_cap_is_not_a_cut(monkeypatch):
    from connectences.matching import pool as pool_module

    # 4 needs a day over 6 days: each Saturday need leads 4**5 = 1,024 bundles (needs are
    # led by their last one), the others none.
    needs = _dense(4, days=("mon", "tue", "wed", "thu", "fri", "sat"), hours=5)
    monkeypatch.setattr(pool_module, "MAX_EXACT_STEPS", 10)  # straight to the capped search
    at_cap = pool(needs, distance=distance, epci_of=epci_of, max_bundles_per_need=1024,
                  max_steps_per_need=None)  # fmt: skip
    assert len(at_cap.bundles) == 4**6 and not at_cap.truncated and at_cap.cut_needs == 0
    below = pool(needs, distance=distance, epci_of=epci_of, max_bundles_per_need=1023,
                 max_steps_per_need=None)  # fmt: skip
    assert len(below.bundles) == 4 * 1023 and below.truncated and below.cut_needs == 4
    # A step cap reached counts as a cut too: the rest of that need's search was not done.
    steps = pool(needs, distance=distance, epci_of=epci_of, max_bundles_per_need=None,
                 max_steps_per_need=50)  # fmt: skip
    assert steps.truncated and len(steps.bundles) < 4**6


def test_truncated_notice_speaks_of_one_combination_in_the_singular():
    assert truncated_notice(1).startswith("Seule la première combinaison est affichée")


def test_ranking_prefers_a_fuller_closer_job():
    needs = [
        # Same trade, same commune, with candidates: the best bundle.
        need("a1", "e1", "mon tue", 14),
        need("a2", "e2", "wed thu", 14),
        # Family only, 10 km apart, no candidate wants 10 h.
        need("c1", "e3", "mon", 5, rome="M1207", skills=("paie",), commune="10002"),
        need("c2", "e4", "tue", 5, rome="M1204", skills=("gestion",), commune="10001"),
    ]
    cands = [candidate("cv-1", hours_min=20, hours_max=30), candidate("cv-2", hours_min=24)]
    bundles = run(needs, cands)
    assert bundles[0].needs == ("a1", "a2")
    assert bundles[0].candidates == ("cv-1", "cv-2")
    assert bundles[0].score > bundles[-1].score
    assert any("Même métier" in r for r in bundles[0].reasons)


def test_same_trade_reason_names_the_job_not_its_bare_code():
    """The bundle's reasons become the operator's lead reasons: « M1203 » alone tells an
    operator nothing, the job is cited as every other page cites it (skills.rome_named)."""
    bundles = run([need("a1", "e1", "mon tue", 14), need("a2", "e2", "wed thu", 14)])
    same = [r for r in bundles[0].reasons if "Même métier" in r]
    assert same == [
        f"Cohérence des métiers : 25 points. Même métier ({skills.rome_named('M1203')})."
    ]
    assert "M1203 — Comptabilité" in same[0]


# --- over the database, through the CLI ---------------------------------------------


def test_pool_cli_json_over_open_needs(runner):
    import json
    from datetime import UTC, datetime

    from connectences.extensions import db
    from connectences.models import Candidate, CandidateSkill, Company

    companies = [
        Company(ref=f"ent-{i}", name=f"Entreprise {i}", siret=siret, siren=siret[:9], commune=c)
        for i, (siret, c) in enumerate(
            [
                ("90412345200016", "33009"),  # Arcachon
                ("73282932000074", "33529"),  # La Teste-de-Buch
                ("44306184100047", "33529"),
                ("35600000000048", "33042"),  # Belin-Béliet, over 25 km from the others
            ]
        )
    ]
    db.session.add_all(companies)

    def stored(ref, company, days, hours, status="qualifie", **over):
        db.session.add(
            need_row(company, ref=ref, days=days, hours_per_week=hours, status=status, **over)
        )

    stored("b-1", companies[0], ["mon", "tue"], 14)
    stored("b-2", companies[1], ["wed"], 7, status="nouveau")
    stored("b-3", companies[2], ["thu"], 7, status="en_recherche")
    stored("b-closed", companies[2], ["fri"], 7, status="pourvu")  # not open: not pooled
    stored("b-far", companies[3], ["sat"], 7)

    def person(ref, email, confirmed=True, **over):
        values = dict(
            ref=ref,
            first_name="Camille",
            last_name="Exemple",
            email=email,
            commune="33529",
            mobility_km=30,
            level="employe_qualifie",
            hours_min=20,
            hours_max=30,
            days=["mon", "tue", "wed", "thu", "fri"],
            contracts=["cdi_temps_partage"],
            available_from=date(2027, 1, 4),
            consent=True,
            email_confirmed_at=datetime(2026, 11, 1, tzinfo=UTC) if confirmed else None,
            rome=["M1203"],
        )
        values.update(over)
        cand = Candidate(**values)
        cand.skills = [
            CandidateSkill(label="comptabilité", norm="comptabilite", concept="M1203", position=0)
        ]
        db.session.add(cand)

    person("cv-1", "a@exemple.fr")
    person("cv-unconfirmed", "b@exemple.fr", confirmed=False)
    person("cv-short", "c@exemple.fr", hours_max=21)
    db.session.commit()

    result = runner.invoke(args=["pool", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == {
        "bundles": [
            {
                "needs": ["b-1", "b-2", "b-3"],
                "hours": 28,
                "days": ["mon", "tue", "wed", "thu"],
                "candidates": ["cv-1"],
            }
        ],
        "truncated": False,
    }
    detailed = json.loads(runner.invoke(args=["pool", "--json", "--details"]).output)
    assert detailed["bundles"][0]["score"] > 0 and detailed["bundles"][0]["reasons"]
    human = runner.invoke(args=["pool"])
    assert human.exit_code == 0 and "b-1 + b-2 + b-3" in human.output


def test_measure_pool_reports_one_bench_record():
    from connectences.bench.pool import measure_pool, synthetic_needs

    needs = synthetic_needs(300, seed=3)
    assert len({n.ref for n in needs}) == 300
    assert all(n.hours_per_week < 35 for n in needs)
    assert len({n.commune for n in needs}) > 10
    record = measure_pool(n_needs=300, repeats=2, seed=3, n_candidates=100)
    assert record["metric"] == "pool_ms" and record["unit"] == "ms"
    assert record["needs"] == 300 and record["bundles"] > 0
    assert record["value"] > 0


def test_why_a_neighbouring_need_is_not_in_a_bundle():
    """A need of a related trade left out of a bundle says the first rule it breaks with
    it (same company, a day taken, too far, too many hours); one of another trade is no
    neighbour, and one that fits every rule is in it (bundles are maximal)."""
    from connectences.matching.pool import why_not

    bundle = [need("a", "c1", "mon", 8), need("b", "c2", "tue wed", 20)]
    cases = {
        need("same", "c1", "fri", 4): "même entreprise que « a »",
        need("day", "c3", "wed", 4): "le mercredi est déjà pris par « b »",
        need("far", "c3", "fri", 4, commune="10005"): "à 60 km de « a », plus de 25 km",
        need("unk", "c3", "fri", 4, commune=UNKNOWN): "distance inconnue jusqu'à « a »",
        need("big", "c3", "fri", 10): "le poste passerait à 38 h, plus de 35 h",
    }
    for other, said in cases.items():
        assert why_not(bundle, other, distance=distance) == said, other.ref
    unrelated = need("x", "c3", "fri", 4, rome="A1203", skills=("tonte",))
    assert why_not(bundle, unrelated, distance=distance) is None
    assert why_not(bundle, need("fits", "c3", "fri", 4), distance=distance) is None
    named = why_not(bundle, need("day", "c3", "wed", 4), distance=distance, name=str.upper)
    assert named == "le mercredi est déjà pris par B"
