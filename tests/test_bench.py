"""`flask bench matching` and `flask bench quality` run and print their figures."""

from __future__ import annotations

import json

import pytest


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_bench_matching_with_tiny_sizes(runner):
    result = runner.invoke(
        args=[
            "bench",
            "matching",
            "--candidates",
            "400",
            "--scaling",
            "100,200,400",
            "--repeats",
            "2",
            "--needs",
            "2",
            "--naive-repeats",
            "1",
            "--pool-needs",
            "0",
            "--db-candidates",
            "60",
        ]
    )
    assert result.exit_code == 0, result.output
    records = _lines(result.output)
    by_metric: dict[str, list[dict]] = {}
    for record in records:
        assert {"metric", "value", "unit"} <= set(record)
        by_metric.setdefault(record["metric"], []).append(record)
    assert [r["candidates"] for r in by_metric["match_scaling_ms"]] == [100, 200, 400]
    top = by_metric["match_top20_ms"][0]
    naive = by_metric["match_naive_ms"][0]
    assert top["candidates"] == naive["candidates"] == 400
    assert top["value"] > 0 and naive["value"] > 0
    service = by_metric["match_service_ms"][0]
    assert service["candidates"] == 60 and service["database"] == "sqlite"
    speedup = by_metric["match_speedup"][0]["value"]
    assert abs(speedup - naive["value"] / top["value"]) <= 0.1 * speedup + 0.1


@pytest.mark.engine_free  # the quality benchmark ranks synthetic people in memory
def test_bench_quality_reports_matcher_and_baseline(runner):
    result = runner.invoke(args=["bench", "quality"])
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    records = {(r["metric"], r["system"]): r for r in lines if r["set"] == "general"}
    for system in ("matcher", "tfidf"):
        for metric in ("ndcg@10", "recall@10", "hard_constraint_breaches"):
            assert (metric, system) in records
    assert records[("hard_constraint_breaches", "matcher")]["value"] == 0
    assert records[("ndcg@10", "matcher")]["value"] > records[("ndcg@10", "tfidf")]["value"]
    assert records[("ndcg@10", "matcher")]["needs"] >= 20
    assert records[("ndcg@10", "matcher")]["candidates"] >= 300
    within = {(r["metric"], r["system"]): r for r in lines if r["set"] == "within_job"}
    for system in ("matcher", "tfidf"):
        assert within[("ndcg@10", system)]["needs"] >= 15
        assert 0 <= within[("tied_top10_share", system)]["value"] <= 1
    # The tuning set is printed beside the held-out one, never mixed with it.
    tuning = {(r["metric"], r["system"]): r for r in lines if r["set"] == "within_job_tuning"}
    for system in ("matcher", "tfidf"):
        assert tuning[("ndcg@10", system)]["needs"] >= 10
        assert 0 <= tuning[("tied_top10_share", system)]["value"] <= 1
    assert (
        tuning[("ndcg@10", "matcher")]["candidates"] != within[("ndcg@10", "matcher")]["candidates"]
    )
    suggestions = {r["metric"]: r for r in lines if r["set"] == "suggestions"}
    assert suggestions["rome_expected_first"]["titles"] == 50
    assert (
        0
        <= suggestions["unrelated_in_top5"]["value"]
        <= suggestions["unrelated_in_top5"]["suggested"]
    )


def test_one_bench_group_holds_every_benchmark(app):
    from connectences.cli import COMMANDS

    assert [c for c in COMMANDS if c[1] == "bench_cli"] == [("connectences.bench.cli", "bench_cli")]
    group = app.cli.get_command(None, "bench")
    assert sorted(group.commands) == [
        "concurrency",
        "load",
        "matching",
        "observatory",
        "pages",
        "quality",
        "search",
        "seed",
    ]


def test_labelled_sets_ship_inside_the_package():
    from pathlib import Path

    import connectences
    from connectences.bench.evaluation import DATA_DIR

    package = Path(connectences.__file__).resolve().parent
    assert DATA_DIR.is_relative_to(package)
    assert (DATA_DIR / "general" / "set.json").is_file()
    assert (DATA_DIR / "general" / "qrels.tsv").is_file()


def test_the_tuning_set_shares_no_need_or_candidate_with_the_held_out_set():
    from connectences.bench.evaluation import WITHIN_JOB, WITHIN_JOB_TUNING, load_within_job

    def contents(path):
        groups = load_within_job(path)
        needs = {(n.ref, n.title, n.skills) for needs, _c, _g in groups for n in needs}
        people = {(c.ref, c.skills) for _n, cands, _g in groups for c in cands}
        return needs, people

    held_needs, held_people = contents(WITHIN_JOB)
    tuning_needs, tuning_people = contents(WITHIN_JOB_TUNING)
    assert len(tuning_needs) >= 10 and len(tuning_people) >= 30
    for field in range(3):
        assert not {n[field] for n in held_needs} & {n[field] for n in tuning_needs}
    for field in range(2):
        assert not {c[field] for c in held_people} & {c[field] for c in tuning_people}
