"""Running one job once per period: the database guard, the run record, failure reports.

``run_guarded`` is what the scheduler calls for each tick. It inserts the
``JobRun(job_id, period)`` row and commits it in a session of its own *before* the
job starts: the unique constraint makes a second runner for the same period (another
scheduler process started by mistake, or a thread) fail that insert and skip. The
outcome (ok or error, counts, error text) is written to the same row afterwards.
A job that raises is rolled back, recorded and reported by mail to the active
admins; the exception never escapes, so one failing job never stops the others.

While it runs, the row names its runner (``counts["runner"]``: host and process id).
A runner killed mid-job (``kill -9``, a crash, a reboot of the container) leaves the
row "running"; the next runner on the same host whose process is gone takes the row
over (one ``UPDATE`` that only one can win) instead of skipping the period for good.
A row naming another host, or a live process, is left alone.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectences.clock import LOCAL_TZ
from connectences.extensions import db
from connectences.mail import MailKind, queue_mail
from connectences.models import JobNotice, JobRun, User, utcnow

log = logging.getLogger("connectences.jobs")

# Working days, "today" and monthly periods are those of the territory, not of UTC.
MAX_ERROR_LENGTH = 4000


@dataclass
class JobContext:
    """What a job receives: its session, a frozen clock, and whether it may act."""

    session: Session
    now: datetime
    dry_run: bool = False
    job_id: str = ""
    log: logging.Logger = field(default_factory=lambda: log)

    @property
    def today(self) -> date:
        return self.now.astimezone(LOCAL_TZ).date()

    def already_noticed(self, kind: str, key: str) -> bool:
        """Whether the notice (kind, key) was already sent."""
        return (
            self.session.scalar(
                select(JobNotice.id).where(JobNotice.kind == kind, JobNotice.key == key)
            )
            is not None
        )

    def note_notice(self, kind: str, key: str) -> None:
        """Record the notice in the job's transaction (with the mail it goes with)."""
        self.session.add(JobNotice(kind=kind, key=key, at=self.now))


@dataclass
class RunResult:
    job_id: str
    period: str
    outcome: str  # ok, error, skipped, dry_run
    counts: dict = field(default_factory=dict)
    error: str | None = None


def _own_session() -> Session:
    # Not the scoped db.session: the guard must commit independently of the job's work.
    return Session(bind=db.engine, expire_on_commit=False)


def this_runner() -> str:
    """Who runs a job: this host and process, as written on its guard row."""
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_is_gone(runner: object) -> bool:
    """Whether ``runner`` (``this_runner()`` of some process) was a process of this host
    that no longer exists. Unknown (another host, an old row naming no runner): False."""
    host, _, pid = str(runner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def claim_period(job_id: str, period: str, now: datetime) -> int | None:
    """Insert the guard row for (job_id, period) and commit it; None if another runner has it.

    A row left "running" by a runner that died on this host is taken over instead.
    """
    runner = {"runner": this_runner()}
    with _own_session() as session:
        run = JobRun(job_id=job_id, period=period, started_at=now, outcome="running", counts=runner)
        session.add(run)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return _take_over_dead_run(session, job_id, period, now, runner)
        return run.id


def _take_over_dead_run(session, job_id: str, period: str, now: datetime, runner: dict):
    held = session.execute(
        select(JobRun.id, JobRun.started_at, JobRun.counts).where(
            JobRun.job_id == job_id, JobRun.period == period, JobRun.outcome == "running"
        )
    ).first()
    session.rollback()
    if held is None or not runner_is_gone((held.counts or {}).get("runner")):
        return None
    # The started_at read is the compare-and-set: of two runners taking it over, one wins.
    taken = session.execute(
        update(JobRun)
        .where(
            JobRun.id == held.id,
            JobRun.outcome == "running",
            JobRun.started_at == held.started_at,
        )
        .values(started_at=now, counts=runner)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if taken.rowcount != 1:
        return None
    log.warning(
        "job %s: period %s was left running by %s, which is gone: run again",
        job_id,
        period,
        held.counts.get("runner"),
    )
    return held.id


def _finish(run_id: int, outcome: str, counts: dict, error: str | None) -> None:
    with _own_session() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(finished_at=utcnow(), outcome=outcome, counts=counts, error=error)
        )
        session.commit()


def report_failure(job_id: str, period: str, error: str) -> int:
    """Queue one mail to each active admin about a failed run; returns how many."""

    with _own_session() as session:
        admins = session.scalars(
            select(User.email).where(User.role == "admin", User.active.is_(True))
        ).all()
        for email in admins:
            queue_mail(
                session,
                kind=MailKind.JOB_FAILURE,
                to=email,
                subject=f"Échec de la tâche planifiée « {job_id} »",
                body_text=(
                    "Bonjour,\n\n"
                    f"La tâche planifiée « {job_id} » (période {period}) a échoué. "
                    "Elle sera relancée à sa prochaine échéance.\n\n"
                    f"Erreur :\n{error[:1500]}\n"
                ),
            )
        session.commit()
        return len(admins)


def execute(job, *, now: datetime | None = None, dry_run: bool = False) -> dict:
    """Run ``job`` without the guard, in ``db.session``; commit unless ``dry_run``.

    In dry-run the job only computes (it checks ``ctx.dry_run`` before any side effect
    outside the database) and the session is rolled back whatever it did.
    """
    now = now or utcnow()
    ctx = JobContext(session=db.session, now=now, dry_run=dry_run, job_id=job.id)
    try:
        counts = job.run(ctx)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return counts


def run_guarded(job, *, now: datetime | None = None, period: str | None = None) -> RunResult:
    """Run ``job`` once for its period: skip if taken, record the outcome, never raise."""
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    period = period or job.period_key(now.astimezone(LOCAL_TZ))
    run_id = claim_period(job.id, period, now)
    if run_id is None:
        log.info("job %s: period %s already taken by another runner, skipped", job.id, period)
        return RunResult(job.id, period, "skipped")
    try:
        counts = execute(job, now=now)
    except Exception as exc:  # one failing job must not stop the scheduler
        error = "".join(traceback.format_exception(exc))[-MAX_ERROR_LENGTH:]
        log.exception("job %s failed for period %s", job.id, period)
        try:
            _finish(run_id, "error", {}, error)
            report_failure(job.id, period, f"{type(exc).__name__}: {exc}")
        except Exception:  # the database itself may be what failed
            log.exception("job %s: could not record the failure", job.id)
        return RunResult(job.id, period, "error", error=error)
    counts = dict(counts or {})
    _finish(run_id, "ok", counts, None)
    log.info("job %s period %s: %s", job.id, period, counts)
    return RunResult(job.id, period, "ok", counts)


def last_runs(session) -> dict[str, JobRun]:
    """The latest run of each job (highest id), keyed by job id."""
    latest = select(func.max(JobRun.id)).group_by(JobRun.job_id)
    return {run.job_id: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
