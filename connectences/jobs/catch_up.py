"""The scheduled runs missed or failed, run again by a sweep: at start, then every hour.

APScheduler keeps its jobs in memory: a scheduler started again computes each job's
next time from now, and the runs that fell while it was stopped (three days down, a
1st of the month at 06:00 missed) are never made. The sweep runs, for each daily or
monthly job, its last due period when that period has no run, or a run that ended in
error with attempts left (``runner.MAX_ATTEMPTS``): the last period only (three days of
a daily job are one run, its rules reading what is due up to today), and the guard
(``run_guarded``) makes a period done, or being run by another scheduler, a skip. Jobs
every minute need none: the next minute does it. A job that never ran (a new
installation, a job added by this version) has missed nothing: its first run is at its
time, not a report of a month the platform was not running at the first start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from connectences.extensions import db
from connectences.jobs.registry import JOBS, Job
from connectences.jobs.runner import LOCAL_TZ, RunResult, run_guarded
from connectences.models import JobRun

# How far back a missed run is looked for: a month and a day, the longest period.
LOOK_BACK = timedelta(days=32)


def last_due(job: Job, now: datetime) -> datetime | None:
    """The latest time at or before ``now`` the job was scheduled for (None for jobs run
    at an interval, or none within ``LOOK_BACK``)."""
    if job.trigger != "cron":
        return None
    trigger = job.make_trigger()
    moment = now.astimezone(LOCAL_TZ)
    due = None
    fire = trigger.get_next_fire_time(None, moment - LOOK_BACK)
    while fire is not None and fire <= moment:
        due = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return due


def catch_up(now: datetime, jobs: list[Job] = JOBS) -> list[RunResult]:
    """Run each job that ran before for its last due period, which the guard skips unless
    that period has no run or failed with attempts left; the results, in order."""
    ran_before = set(db.session.scalars(select(JobRun.job_id).distinct()))
    results = []
    for job in jobs:
        due = last_due(job, now)
        if due is not None and job.id in ran_before:
            results.append(run_guarded(job, now=now, period=job.period_key(due)))
    return results
