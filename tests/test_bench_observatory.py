"""`flask bench observatory` at a reduced size: it builds the data set with its
questionnaires and prints one measurement per view (correctness only, no timing)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from connectences.bench import observatory as bench
from connectences.extensions import db
from connectences.models import Company, Diagnosis, DiagnosisAnswer
from connectences.observatory.diagnosis import diagnosis_figures
from connectences.territory import PAYS_EPCIS

# Each test builds a data set and measures every view: seconds each.
pytestmark = pytest.mark.slow


def _run(runner, *extra):
    args = ["bench", "observatory", "--candidates", "200", "--needs", "120", "--visits", "100"]
    result = runner.invoke(
        args=[*args, "--companies", "60", "--questionnaires", "90", "--repeats", "1", *extra]
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_bench_observatory_measures_every_view_and_writes_the_questionnaires(runner, app):
    records = _run(runner)
    assert all({"metric", "value", "unit"} <= set(r) for r in records)
    # 90 questionnaires from 60 companies: one each, then newer answers of 30 of them.
    assert db.session.scalar(select(func.count(Diagnosis.id))) == 90
    bench_companies = select(Company.id).where(Company.ref.like("bench-%"))
    assert (
        db.session.scalar(
            select(func.count(func.distinct(Diagnosis.company_id))).where(
                Diagnosis.company_id.in_(bench_companies)
            )
        )
        == 60
    )
    assert db.session.scalar(select(func.count(DiagnosisAnswer.id))) > 90
    assert (
        db.session.scalar(select(func.count(Diagnosis.id)).where(Diagnosis.submitted_at.is_(None)))
        == 0
    )
    # The counts read every company once.
    figures = diagnosis_figures(db.session)
    assert sum(figures.respondents.values()) == 60

    pages = {
        (r["page"], r["role"], r["path"]) for r in records if r["metric"] == "observatory_page_ms"
    }
    assert ("observatory.index", "territoire", "/territoire") in pages
    assert ("diagnosis.observatory", "territoire", "/observatoire/diagnostic") in pages
    assert ("diagnosis.export", "animateur", "/observatoire/diagnostic/export.xlsx") in pages
    # Every argument-free GET page of the observatory blueprint is measured.
    with app.test_request_context():
        expected = {e for e, _role, _path in bench.observatory_pages(app)}
    assert expected <= {page for page, _role, _path in pages}
    figure_records = [r for r in records if r["metric"] == "observatory_figures_ms"]
    assert {(r["epci"], r["period"]) for r in figure_records} == {
        (siren, period) for siren in PAYS_EPCIS for period in ("tout", "12m", "3m")
    }
    counts = {r["epci"] for r in records if r["metric"] == "diagnosis_counts_ms"}
    assert counts == {"pays", *PAYS_EPCIS}
    assert all(r["value"] >= 0 for r in records if r["unit"] == "ms" and r["value"] is not None)
    report = [r for r in records if r["metric"] == "observatory_report_ms"]
    assert report, "the report is measured, or said skipped"


def test_a_second_run_adds_only_the_missing_questionnaires(runner):
    first = _run(runner, "--measures", "figures")
    records = _run(runner, "--measures", "figures")
    assert db.session.scalar(select(func.count(Diagnosis.id))) == 90
    seeded = [r for r in records if r["metric"] == "seed_diagnoses_s"]
    assert seeded[0]["rows"] == 0
    assert not [r for r in records if r["metric"] == "seed_total_s"]
    # Only the measures asked for are made (the report's PDFs are most of a run's time).
    metrics = {r["metric"] for r in first}
    assert {"seed_total_s", "observatory_figures_ms", "diagnosis_counts_ms"} <= metrics
    assert not metrics & {"observatory_page_ms", "observatory_report_ms"}


def test_an_unknown_measure_is_refused_in_french(runner):
    result = runner.invoke(args=["bench", "observatory", "--measures", "figures,rapport"])
    assert result.exit_code != 0
    assert "mesures inconnues : rapport" in result.output
    assert db.session.scalar(select(func.count(Company.id))) == 0
