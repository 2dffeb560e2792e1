"""`flask --app connectences jobs list|run` and `flask --app connectences scheduler`.

The scheduler is its own process: the web app never starts it (one APScheduler job
store cannot be shared by several processes, and web workers come and go).
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from connectences import config
from connectences.extensions import db
from connectences.jobs import backups
from connectences.jobs.catch_up import catch_up
from connectences.jobs.registry import JOBS, JOBS_BY_ID
from connectences.jobs.runner import LOCAL_TZ, execute, last_runs, run_guarded, utc
from connectences.models import JobRun, utcnow

# The scheduler's sweep, at start then every hour: the runs missed while it was stopped
# (or while a tick could not fire) and the periods that failed, with attempts left.
CATCH_UP = "catch_up"
SWEEP_EVERY = timedelta(hours=1)


@click.group("jobs", help="Tâches planifiées : liste, exécution manuelle.")
def jobs_cli() -> None:
    pass


@jobs_cli.command("list", help="Chaque tâche, sa planification, sa dernière exécution.")
@with_appcontext
def list_jobs() -> None:
    runs = last_runs(db.session)
    for job in JOBS:
        run = runs.get(job.id)
        if run is None:
            last = "jamais exécutée"
        else:
            last = f"{run.started_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M} {run.outcome}"
            if run.counts:
                last += " " + json.dumps(run.counts, ensure_ascii=False, sort_keys=True)
        click.echo(f"{job.id:<20} {job.schedule:<32} {last}")
        click.echo(f"{'':<20} {job.description}")


@jobs_cli.command("run", help="Exécute une tâche maintenant (simulation par défaut).")
@click.argument("job_id")
@click.option("--wet-run", is_flag=True, help="Agir vraiment (sinon : simulation).")
@with_appcontext
def run_job(job_id: str, wet_run: bool) -> None:
    job = JOBS_BY_ID.get(job_id)
    if job is None:
        raise click.BadParameter(
            f"tâche inconnue « {job_id} » ; connues : {', '.join(JOBS_BY_ID)}", param_hint="ID"
        )
    if not wet_run:
        counts = execute(job, dry_run=True)
        click.echo(f"Simulation de {job.id} (rien n'a été modifié) : {_fmt(counts)}")
        return
    result = run_guarded(job, manual=True)
    if result.outcome == "skipped":
        held = db.session.scalar(
            select(JobRun).where(JobRun.job_id == job.id, JobRun.period == result.period)
        )
        if held is not None and held.outcome == "running":
            runner = (held.counts or {}).get("runner") or "un autre processus"
            click.echo(
                f"{job.id} : en cours pour la période {result.period} ({runner}, depuis le "
                f"{utc(held.started_at).astimezone(LOCAL_TZ):%d/%m/%Y à %H:%M}), ignorée."
            )
        else:
            click.echo(f"{job.id} : déjà exécutée pour la période {result.period}, ignorée.")
    elif result.outcome == "error":
        click.echo(f"{job.id} : échec (les administrateurs sont prévenus).\n{result.error}")
        raise SystemExit(1)
    else:
        click.echo(f"{job.id} ({result.period}) : {_fmt(result.counts)}")


@jobs_cli.command(
    "backup",
    help="Sauvegarde la base SQLite et les fichiers déposés maintenant (avant une mise à jour).",
)
@with_appcontext
def backup_now() -> None:
    """The daily backup's copy, made now whatever was done today (``jobs run backup``
    runs once a day): before an upgrade or a restore."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException(
            f"Base {engine.dialect.name} : sauvegardez-la avec pg_dump (voir le README)."
        )
    final, removed = backups.make_backup(
        Path(engine.url.database),
        backups.backup_folder(),
        utcnow(),
        config.integer("BACKUP_KEEP"),
        backups.current_stores(),
    )
    click.echo(f"Sauvegarde écrite (intégrité vérifiée) : {final}")
    if removed:
        click.echo(f"Anciennes sauvegardes supprimées : {len(removed)}.")


def _fmt(counts: dict) -> str:
    return json.dumps(counts, ensure_ascii=False, sort_keys=True)


def build_scheduler(app):
    """A BlockingScheduler with every job of the registry, each run in an app context."""

    scheduler = BlockingScheduler(
        timezone=LOCAL_TZ,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )

    def tick(job_id: str) -> None:
        with app.app_context():
            try:
                run_guarded(JOBS_BY_ID[job_id])
            finally:
                db.session.remove()

    def missed() -> None:
        with app.app_context():
            try:
                for result in catch_up(utcnow()):
                    if result.outcome != "skipped":
                        logging.getLogger("connectences.jobs").info(
                            "missed or failed run made: %s %s %s",
                            result.job_id,
                            result.period,
                            result.outcome,
                        )
            finally:
                db.session.remove()

    for job in JOBS:
        scheduler.add_job(tick, job.make_trigger(), args=[job.id], id=job.id, name=job.id)
    # As soon as it starts, beside the others, then every hour.
    scheduler.add_job(
        missed,
        IntervalTrigger(seconds=SWEEP_EVERY.total_seconds(), timezone=LOCAL_TZ),
        id=CATCH_UP,
        name=CATCH_UP,
        next_run_time=datetime.now(LOCAL_TZ),
    )
    return scheduler


@click.command("scheduler", help="Lance le processus des tâches planifiées (bloquant).")
@with_appcontext
def scheduler_cli() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Refused before this on a database left behind, where a job would fail on every
    # run: connectences.cli checks the schema before any command of the platform.
    app = current_app._get_current_object()
    scheduler = build_scheduler(app)
    click.echo(f"Planificateur démarré : {len(JOBS)} tâches.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
