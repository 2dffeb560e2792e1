"""Every scheduled job, declared once: stable id, schedule, French description, function.

The ids are stable: they name the guard rows (``job_run``) and the ``jobs run ID``
command. Schedules are in the territory's time (Europe/Paris). ``period_key`` turns
the time of a tick into the period a run covers, so that two runners for the same
tick (two scheduler processes) compete for the same guard row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from connectences.jobs import tasks
from connectences.jobs.runner import LOCAL_TZ


def per_minute(moment: datetime) -> str:
    # With the offset: the night the clocks go back, 02:30 is shown twice and each is
    # its own minute (without it the second hour's runs all found the first's rows).
    return f"{moment:%Y-%m-%dT%H:%M%z}"


def per_day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def per_month(moment: datetime) -> str:
    return f"{moment:%Y-%m}"


class LocalTimeTrigger(BaseTrigger):
    """Fires once each day (or on the ``day`` of each month) when the clocks of Arcachon
    show ``hour``:``minute``. Computed on calendar days, then turned into an instant:
    APScheduler's CronTrigger did its arithmetic on the wall clock and, across the clock
    changes, skipped the 00:20 run of the Monday after the spring change and ran a 02:00
    job twice the night the clocks go back. Here the time shown twice (25 October, 02:30)
    fires at its first occurrence, and the time the clock jumps over (29 March, 02:30)
    at the instant it jumps to (03:30), as ``clock.local_instant`` reads it."""

    def __init__(self, hour: int, minute: int = 0, day: int | None = None) -> None:
        self.at = time(hour, minute)
        self.day = day

    def _fire_on(self, day: date) -> datetime | None:
        if self.day is not None and day.day != self.day:
            return None
        # fold=0: the first of the two 02:30 of October, and the offset before the jump
        # for the 02:30 March has not.
        return datetime.combine(day, self.at, tzinfo=LOCAL_TZ).astimezone(UTC)

    def get_next_fire_time(self, previous_fire_time, now):
        start = (
            now if previous_fire_time is None else previous_fire_time + timedelta(microseconds=1)
        )
        start = start.astimezone(UTC)
        day = start.astimezone(LOCAL_TZ).date() - timedelta(days=1)
        for _ in range(400):
            moment = self._fire_on(day)
            if moment is not None and moment >= start:
                return moment.astimezone(LOCAL_TZ)
            day += timedelta(days=1)
        return None

    def __str__(self) -> str:
        day = f"day {self.day}, " if self.day is not None else ""
        return f"local_time[{day}{self.at:%H:%M}]"

    def __repr__(self) -> str:
        return f"<LocalTimeTrigger (hour={self.at.hour}, minute={self.at.minute}, day={self.day})>"


@dataclass(frozen=True)
class Job:
    id: str
    description: str  # French, shown by `jobs list`
    run: Callable[..., dict]
    trigger: str  # "interval" or "cron" (APScheduler 3 trigger names)
    trigger_args: dict = field(default_factory=dict)
    period_key: Callable[[datetime], str] = per_day

    @property
    def schedule(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.trigger_args.items())
        return f"{self.trigger}({args})"

    def make_trigger(self):
        """The APScheduler 3 trigger of this job, in the territory's time zone."""

        if self.trigger == "interval":
            return IntervalTrigger(timezone=LOCAL_TZ, **self.trigger_args)
        return LocalTimeTrigger(**self.trigger_args)


JOBS: list[Job] = [
    Job(
        "mail_outbox",
        "Envoi des e-mails en attente",
        tasks.mail_outbox,
        "interval",
        {"minutes": 1},
        per_minute,
    ),
    Job(
        "newsletter_sending",
        "Envoi des lettres d'information demandées, par lots",
        tasks.newsletter_sending,
        "interval",
        {"minutes": 1},
        per_minute,
    ),
    Job(
        "lead_escalation",
        "Relance des opérateurs, alerte des animateurs, propositions classées sans suite",
        tasks.lead_escalation,
        "cron",
        {"hour": 8, "minute": 0},
    ),
    Job(
        "referral_reminders",
        "Relance des partenaires et alerte des animateurs pour les orientations",
        tasks.referral_reminders,
        "cron",
        {"hour": 8, "minute": 10},
    ),
    Job(
        "follow_ups",
        "Rappels des relances d'entreprises et des suivis à 1, 3 et 6 mois",
        tasks.follow_ups,
        "cron",
        {"hour": 7, "minute": 30},
    ),
    Job(
        "ended_work",
        "Statut des personnes dont un engagement a pris fin",
        tasks.ended_work,
        "cron",
        {"hour": 0, "minute": 20},
    ),
    Job(
        "resource_expiry",
        "Rappel aux auteurs des ressources arrivées à échéance",
        tasks.resource_expiry,
        "cron",
        {"hour": 7, "minute": 40},
    ),
    Job(
        "event_reminders",
        "Rappel, la veille, aux personnes inscrites aux événements",
        tasks.event_reminders,
        "cron",
        {"hour": 9, "minute": 0},
    ),
    Job(
        "data_retention",
        "Protection des données : avertissements, suppressions, purge du journal",
        tasks.data_retention,
        "cron",
        {"hour": 3, "minute": 0},
    ),
    Job(
        "rematch",
        "Nouveaux candidats correspondant aux besoins ouverts",
        tasks.rematch,
        "cron",
        {"hour": 2, "minute": 0},
    ),
    Job(
        "skill_readings",
        "Compétences des CV relues selon les règles à jour (recherche dans la CVthèque)",
        tasks.skill_readings,
        "cron",
        {"hour": 4, "minute": 0},
    ),
    Job(
        "monthly_digest",
        "Rapport mensuel de l'observatoire pour les agents des intercommunalités",
        tasks.monthly_digest,
        "cron",
        {"day": 1, "hour": 6, "minute": 0},
        per_month,
    ),
    Job(
        "backup",
        "Sauvegarde quotidienne de la base SQLite (14 conservées)",
        tasks.backup,
        "cron",
        {"hour": 1, "minute": 30},
    ),
]

JOBS_BY_ID: dict[str, Job] = {job.id: job for job in JOBS}
assert len(JOBS_BY_ID) == len(JOBS), "job ids must be unique"  # noqa: S101 — import-time consistency check of constant tables, not input validation
