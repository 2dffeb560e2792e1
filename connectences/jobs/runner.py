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
A row naming another host, or a live process, is left alone until it is older than
``STALE_AFTER`` (no job runs for hours: its runner is dead, or its host renamed).

A period that ended in error is not lost either: the next claim of that period (the
scheduler's hourly sweep, ``catch_up``) takes it over again, up to ``MAX_ATTEMPTS``
attempts in all, each failure reported; after that only a person runs it again
(``jobs run ID --wet-run``, once the cause is fixed), and the last report says so.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectences.accounts.users import WORKING_ACCOUNT
from connectences.clock import LOCAL_TZ
from connectences.extensions import db
from connectences.mail import MailKind, queue_mail
from connectences.models import JobNotice, JobRun, User, utcnow

log = logging.getLogger("connectences.jobs")

# Working days, "today" and monthly periods are those of the territory, not of UTC.
MAX_ERROR_LENGTH = 4000
# Attempts of one period of a job before it waits for a person: the first run and two
# retries by the hourly sweep, each failure mailed to the admins.
MAX_ATTEMPTS = 3
# A run "running" for longer than this is dead whoever wrote it: the longest job takes
# minutes at a region's size.
STALE_AFTER = timedelta(hours=6)


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


def claim_period(
    job_id: str, period: str, now: datetime, manual: bool = False
) -> tuple[int, int] | None:
    """Insert the guard row for (job_id, period) and commit it: (its id, the attempt it
    is), or None if another runner has it or it is done.

    A row left "running" by a runner that is gone (or stale) is taken over instead, and
    so is a row that ended in error while it has attempts left (``manual``: a person
    running it again, whatever the attempts).
    """
    runner = {"runner": this_runner()}
    with _own_session() as session:
        run = JobRun(job_id=job_id, period=period, started_at=now, outcome="running", counts=runner)
        session.add(run)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return _take_over(session, job_id, period, now, runner, manual)
        return run.id, 1


def attempts_of(run: JobRun) -> int:
    """How many times the period of ``run`` was attempted (rows older than the count: 1)."""
    attempts = (run.counts or {}).get("attempt", 1)
    return attempts if isinstance(attempts, int) and attempts > 0 else 1


def _take_over(session, job_id: str, period: str, now: datetime, runner: dict, manual: bool):
    held = session.scalar(select(JobRun).where(JobRun.job_id == job_id, JobRun.period == period))
    session.rollback()
    if held is None:
        return None
    attempt = attempts_of(held)
    if held.outcome == "running":
        owner = (held.counts or {}).get("runner")
        if not runner_is_gone(owner) and utc(held.started_at) > now - STALE_AFTER:
            return None
        why = f"was left running by {owner}, which is gone"
    elif held.outcome == "error" and (manual or attempt < MAX_ATTEMPTS):
        attempt += 1
        why = f"ended in error: attempt {attempt}"
    else:
        return None
    counts = runner | ({"attempt": attempt} if attempt > 1 else {})
    # The (outcome, started_at) read is the compare-and-set: of two runners, one wins.
    taken = session.execute(
        update(JobRun)
        .where(
            JobRun.id == held.id,
            JobRun.outcome == held.outcome,
            JobRun.started_at == held.started_at,
        )
        .values(started_at=now, finished_at=None, outcome="running", counts=counts, error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if taken.rowcount != 1:
        return None
    log.warning("job %s: period %s %s: run again", job_id, period, why)
    return held.id, attempt


def _finish(run_id: int, outcome: str, counts: dict, error: str | None) -> None:
    with _own_session() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(finished_at=utcnow(), outcome=outcome, counts=counts, error=error)
        )
        session.commit()


def what_next(job, attempt: int) -> str:
    """What happens to a failed period of ``job`` after its ``attempt``, in French."""
    if job.trigger != "cron":  # every minute: the next minute is its next period
        return "Elle sera relancée à sa prochaine échéance."
    if attempt < MAX_ATTEMPTS:
        return (
            f"Elle sera relancée automatiquement dans l'heure (tentative {attempt} "
            f"sur {MAX_ATTEMPTS})."
        )
    return (
        f"C'était la tentative {attempt} sur {MAX_ATTEMPTS} : elle ne sera plus relancée "
        "automatiquement pour cette période. Une fois la cause corrigée, lancez-la avec "
        f"« flask --app connectences jobs run {job.id} --wet-run »."
    )


def report_failure(job_id: str, period: str, error: str, then: str) -> int:
    """Queue one mail to each working admin account (``users.WORKING_ACCOUNT``: not an
    invitation never opened, whose address nobody confirmed) about a failed run
    (``then``: what happens next, ``what_next``); returns how many."""
    with _own_session() as session:
        admins = session.scalars(
            select(User.email).where(User.role == "admin", *WORKING_ACCOUNT)
        ).all()
        for email in admins:
            queue_mail(
                session,
                kind=MailKind.JOB_FAILURE,
                to=email,
                subject=f"Échec de la tâche planifiée « {job_id} »",
                body_text=(
                    "Bonjour,\n\n"
                    f"La tâche planifiée « {job_id} » (période {period}) a échoué. {then}\n\n"
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


def run_guarded(
    job, *, now: datetime | None = None, period: str | None = None, manual: bool = False
) -> RunResult:
    """Run ``job`` once for its period: skip if taken or done, record the outcome, never
    raise. ``manual``: a person asked for it (a period in error runs again, whatever its
    attempts)."""
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    period = period or job.period_key(now.astimezone(LOCAL_TZ))
    claimed = claim_period(job.id, period, now, manual)
    if claimed is None:
        log.info("job %s: period %s already taken by another runner, skipped", job.id, period)
        return RunResult(job.id, period, "skipped")
    run_id, attempt = claimed
    tried = {"attempt": attempt} if attempt > 1 else {}
    try:
        counts = execute(job, now=now)
    except Exception as exc:  # one failing job must not stop the scheduler
        error = "".join(traceback.format_exception(exc))[-MAX_ERROR_LENGTH:]
        log.exception("job %s failed for period %s", job.id, period)
        try:
            _finish(run_id, "error", tried, error)
            report_failure(job.id, period, f"{type(exc).__name__}: {exc}", what_next(job, attempt))
        except Exception:  # the database itself may be what failed
            log.exception("job %s: could not record the failure", job.id)
        return RunResult(job.id, period, "error", dict(tried), error=error)
    counts = dict(counts or {}) | tried
    _finish(run_id, "ok", counts, None)
    log.info("job %s period %s: %s", job.id, period, counts)
    return RunResult(job.id, period, "ok", counts)


def last_runs(session) -> dict[str, JobRun]:
    """The latest run of each job (highest id), keyed by job id."""
    latest = select(func.max(JobRun.id)).group_by(JobRun.job_id)
    return {run.job_id: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
