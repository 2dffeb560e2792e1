"""Concurrent writers and concurrent schedulers.

20 clients submit CVs, needs and visits at once: every accepted submission is stored
exactly once, none is lost, nothing is stored for a refused one, no 500. The suite
runs it for a few seconds (CI time matters; the property is about overlapping
transactions, which start from the first second); ``flask --app connectences bench
concurrency`` runs the same code for 60 seconds by default and prints the counts.
Set CONCURRENCY_SECONDS to run this test longer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from connectences.bench.concurrency import KINDS, run_concurrency
from connectences.extensions import db
from connectences.jobs.registry import JOBS
from connectences.models import JobRun
from tests import factories
from tests.fixtures_auth import PASSWORD

# Processes and threads writing at once for seconds.
pytestmark = pytest.mark.slow

CLIENTS = 20
SECONDS = float(os.environ.get("CONCURRENCY_SECONDS", "3"))


def test_concurrent_submissions_are_each_stored_once(app, auth, capsys):
    companies = [factories.company() for _ in range(10)]
    factories.load(factories.document(companies=companies))
    email = auth.create("animateur").email
    db.session.remove()

    outcome = run_concurrency(
        app,
        clients=CLIENTS,
        seconds=SECONDS,
        login=(email, PASSWORD),
        companies=[c["ref"] for c in companies],
    )

    database = db.engine.url.get_backend_name()
    for record in outcome.records(SECONDS, CLIENTS, database):
        print(record)  # the counts, shown with -s
    assert outcome.other_errors == []
    assert outcome.server_errors == 0
    for kind in KINDS:
        assert outcome.accepted[kind], f"no {kind} accepted: nothing was tested"
        assert outcome.duplicates[kind] == 0
        assert outcome.lost[kind] == 0
        assert outcome.stored_but_refused[kind] == 0
        assert outcome.stored[kind] == len(outcome.accepted[kind])
    # One address for every client: the public forms' limits per address are lifted for
    # the run (else all but the first few CVs and needs are refused, nothing measured).
    assert outcome.refused["cv"] == outcome.refused["need"] == 0
    assert outcome.ok


SCHEDULER = """
import sys, time
from datetime import datetime, UTC
from connectences import create_app
from connectences.jobs.registry import JOBS
from connectences.jobs.runner import run_guarded
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x", "TESTING": True,
                  "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 1, "BACKUP_DIR": sys.argv[3]})
now = datetime(2027, 3, 10, 4, 0, tzinfo=UTC)
while time.time() < float(sys.argv[2]):  # both processes tick at the same instant
    time.sleep(0.005)
with app.app_context():
    for job in JOBS:
        print(job.id, run_guarded(job, now=now).outcome, flush=True)
"""


def test_two_scheduler_processes_started_together_run_each_job_once(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    start = str(time.time() + 8)  # time for both interpreters to import the app
    processes = [
        subprocess.Popen(  # noqa: S603 — our own fixed command line (this interpreter, gunicorn/locust), no user input
            [sys.executable, "-c", SCHEDULER, url, start, str(tmp_path / f"backup{i}")],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "CONNECTENCES_INSTANCE_PATH": str(tmp_path / f"instance{i}")},
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    outcomes: dict[str, list[str]] = {}
    for output in outputs:
        for line in output.splitlines():
            job_id, result = line.split()
            outcomes.setdefault(job_id, []).append(result)
    assert set(outcomes) == {job.id for job in JOBS}
    for job_id, results in outcomes.items():
        # One process ran it (ok, or error recorded once), the other found it taken.
        assert sorted(results).count("skipped") == 1, (job_id, results)
    runs = db.session.execute(select(JobRun.job_id, JobRun.period)).all()
    assert sorted(r.job_id for r in runs) == sorted(job.id for job in JOBS)
