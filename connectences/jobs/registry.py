"""Every scheduled job, declared once: stable id, schedule, French description, function.

The ids are stable: they name the guard rows (``job_run``) and the ``jobs run ID``
command. Schedules are in the territory's time (Europe/Paris). ``period_key`` turns
the time of a tick into the period a run covers, so that two runners for the same
tick (two scheduler processes) compete for the same guard row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from connectences.jobs import tasks
from connectences.jobs.runner import LOCAL_TZ


def per_minute(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M}"


def per_day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def per_month(moment: datetime) -> str:
    return f"{moment:%Y-%m}"


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
        return CronTrigger(timezone=LOCAL_TZ, **self.trigger_args)


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
