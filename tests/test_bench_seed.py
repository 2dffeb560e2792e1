"""`flask bench seed`: a benchmark database with the proportions of a living platform."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from connectences.extensions import db
from connectences.models import (
    ApiToken,
    Candidate,
    CandidateSkill,
    Commitment,
    Company,
    Lead,
    LeadNeed,
    Need,
    Placement,
    PlacementNeed,
    Referral,
    Transition,
    Visit,
)


def _seed(runner, *extra):
    args = ["bench", "seed", "--candidates", "300", "--needs", "200", "--visits", "250"]
    return runner.invoke(args=[*args, "--companies", "80", *extra])


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


# What one seed wrote, read by each check in turn (a subtest each): reading writes nothing.
def test_one_seed_writes_consistent_data(runner, subtests):
    result = _seed(runner)
    assert result.exit_code == 0, result.output
    for check in (
        _the_asked_sizes_and_timings,
        _needs_consistent_with_their_leads_referrals_and_log,
        _people_hold_part_time_work,
    ):
        with subtests.test(check.__name__.strip("_")):
            check(result)


def _the_asked_sizes_and_timings(result) -> None:
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    metrics = {r["metric"]: r for r in records}
    assert {"seed_candidates_s", "seed_needs_s", "seed_total_s"} <= set(metrics)
    assert metrics["seed_total_s"]["candidates"] == 300
    bench = "bench-%"
    assert _count(select(Candidate.id).where(Candidate.ref.like(bench))) == 300
    assert _count(select(Need.id).where(Need.ref.like(bench))) == 200
    assert _count(select(Company.id).where(Company.ref.like(bench))) == 80
    bench_companies = select(Company.id).where(Company.ref.like(bench))
    assert _count(select(Visit.id).where(Visit.company_id.in_(bench_companies))) == 250
    # Skills are stored normalised, as the importer stores them.
    assert _count(select(CandidateSkill.id).where(CandidateSkill.norm == "")) == 0
    # Identity comparison keys are filled, so duplicate search works on the seeded rows.
    assert _count(select(Candidate.id).where(Candidate.name_key.is_(None))) == 0


def _needs_consistent_with_their_leads_referrals_and_log(_result) -> None:
    needs = db.session.scalars(select(Need).where(Need.ref.like("bench-%"))).all()
    states = {n.status for n in needs}
    assert {"nouveau", "qualifie", "en_recherche"} <= states
    for need in needs:
        last = db.session.scalars(
            select(Transition.to_state)
            .where(Transition.entity == "need", Transition.entity_id == need.id)
            .order_by(Transition.at.desc(), Transition.id.desc())
        ).first()
        assert last == need.status
        leads = _count(select(LeadNeed.id).where(LeadNeed.need_id == need.id))
        assert leads == (1 if need.status in ("propose", "pourvu") else 0)
        placed = _count(select(PlacementNeed.id).where(PlacementNeed.need_id == need.id))
        assert placed == (1 if need.status == "pourvu" else 0)
        referred = _count(select(Referral.id).where(Referral.need_id == need.id))
        assert referred == (1 if need.status == "reoriente" else 0)
    assert _count(select(Placement.id)) == _count(select(Lead.id).where(Lead.status == "place"))


def _people_hold_part_time_work(_result) -> None:
    """Every placement is a commitment of the person placed, on the need's days; people
    "en mission" declared the work they found elsewhere; nobody else holds any."""
    placements = db.session.scalars(select(Placement).order_by(Placement.id)).all()
    assert placements
    from_placements = db.session.scalars(
        select(Commitment).where(Commitment.source == "placement").order_by(Commitment.id)
    ).all()
    assert sorted(c.placement_id for c in from_placements) == [p.id for p in placements]
    for commitment in from_placements:
        placement = commitment.placement
        need = placement.needs[0].need
        assert commitment.candidate_id == placement.candidate_id
        assert commitment.hours_per_week == placement.hours_per_week
        assert commitment.start == placement.start_date
        assert set(commitment.days) == set(need.days)
        assert need.company.name in commitment.label
    declared = db.session.scalars(
        select(Commitment).where(Commitment.source == "declared").order_by(Commitment.id)
    ).all()
    assert declared
    assert {c.candidate.status for c in declared} == {"en_mission"}
    assert all(c.hours_per_week > 0 and c.days and c.label for c in declared)
    on_mission = _count(select(Candidate.id).where(Candidate.status == "en_mission"))
    assert len({c.candidate_id for c in declared}) == on_mission


def test_rows_added_after_the_seed_get_fresh_ids(runner):
    from tests.factories import make_siret

    assert _seed(runner).exit_code == 0
    company = Company(
        ref="apres-la-mesure", name="Après", siret=make_siret(424242), siren="1", commune="33009"
    )
    db.session.add(company)
    db.session.commit()
    assert company.id > db.session.scalar(
        select(func.max(Company.id)).where(Company.ref.like("bench-%"))
    )


def test_a_second_seed_is_refused(runner):
    assert _seed(runner).exit_code == 0
    again = _seed(runner)
    assert again.exit_code != 0
    assert "déjà" in again.output


def test_bench_pages_prints_the_cost_of_each_page(runner):
    assert _seed(runner).exit_code == 0
    result = runner.invoke(args=["bench", "pages", "--repeats", "2", "--pages", "observatory"])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert record["page"] == "observatory" and record["path"] == "/territoire"
    assert record["statements"] >= 3 and record["cpu_ms"] > 0 and record["bytes"] > 1000
    # Its reads sent again with their rows fetched: the slowest is one of them.
    assert 0 < record["slowest_sql_ms"] <= record["sql_fetched_ms"], record
    assert record["slowest_sql"].startswith("SELECT"), record
    wrong = runner.invoke(args=["bench", "pages", "--pages", "nulle-part"])
    assert wrong.exit_code != 0 and "pages inconnues : nulle-part" in wrong.output


def test_bench_pages_reads_the_api_with_a_token_revoked_afterwards(runner):
    assert _seed(runner).exit_code == 0
    result = runner.invoke(
        args=["bench", "pages", "--repeats", "2", "--pages", "api_needs,api_need"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [(r["page"], r["path"].split("/")[3]) for r in records] == [
        ("api_needs", "needs"),
        ("api_need", "needs"),
    ]
    # Each answered 200 (bench pages stops otherwise) with the token read with its owner,
    # the request counted, and the records read.
    assert all(r["statements"] >= 3 and r["bytes"] > 50 for r in records), records
    (token,) = db.session.scalars(select(ApiToken)).all()
    assert token.name == "Mesure de charge (bench)" and token.revoked_at is not None


def test_bench_pages_sends_a_new_submission_for_each_write_journey(runner):
    assert _seed(runner).exit_code == 0
    before = {
        model: db.session.scalar(select(func.count()).select_from(model))
        for model in (Candidate, Need, Visit)
    }
    writes = "cv_submit,need_submit,visit_log"
    result = runner.invoke(args=["bench", "pages", "--repeats", "2", "--pages", writes])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["page"] for r in records] == writes.split(",")
    for record in records:
        assert record["method"] == "POST" and record["statements"] >= 3, record
        assert record["cpu_ms"] > 0 and record["form_cpu_ms"] > 0, record
    db.session.expire_all()
    after = {
        model: db.session.scalar(select(func.count()).select_from(model))
        for model in (Candidate, Need, Visit)
    }
    # One warm-up and two measured submissions each, every one stored.
    assert {model: after[model] - before[model] for model in after} == {
        Candidate: 3,
        Need: 3,
        Visit: 3,
    }
