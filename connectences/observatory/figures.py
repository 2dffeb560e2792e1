"""The observatory of an intercommunality: figures on the needs whose place of work is
in its communes, over a chosen period, in words an intercommunality officer reads.

Needs that a company posted but never confirmed are left out: they are not in the
animateurs' queue and are deleted after a week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectences.models import Commune, Company, Need
from connectences.needs.register import in_queue
from connectences.skills import rome_label
from connectences.vocab import NEED_STATUSES, REASONS

# Period choices, by query value: label and length in days (None: since the start).
PERIODS: dict[str, tuple[str, int | None]] = {
    "tout": ("Depuis le début", None),
    "12m": ("Les 12 derniers mois", 365),
    "3m": ("Les 3 derniers mois", 91),
}
DEFAULT_PERIOD = "tout"

# What each need status means, for someone who does not work the platform.
STATUS_MEANING: dict[str, str] = {
    "nouveau": "Reçu, pas encore étudié par un animateur.",
    "qualifie": "Étudié par un animateur avec l'entreprise : métier, horaires et jours précisés.",
    "en_recherche": "Un animateur cherche des candidats ou une structure pour y répondre.",
    "propose": "Confié à un opérateur (groupement d'employeurs, association de cadres à "
    "temps partagé...) qui cherche la personne.",
    "pourvu": "Une personne a été embauchée.",
    "reoriente": "Transmis à un partenaire de l'emploi (France Travail, Mission locale...), "
    "qui prend le relais.",
    "abandonne": "L'entreprise a renoncé ou le besoin n'est plus d'actualité.",
}
assert set(STATUS_MEANING) == set(NEED_STATUSES)  # noqa: S101 — import-time consistency check of constant tables, not input validation


@dataclass
class Observatory:
    """The figures of one intercommunality over one period."""

    period: str
    since: datetime | None
    first_need_at: datetime | None
    total: int = 0
    companies: int = 0
    hours_per_week: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)
    by_commune: list[tuple[str, int]] = field(default_factory=list)
    # What companies need: jobs (most asked first, the rest summed up) and reasons.
    by_job: list[tuple[str, int]] = field(default_factory=list)
    by_reason: list[tuple[str, int]] = field(default_factory=list)


def parse_period(value: str | None) -> str:
    """The period asked for, or the default one for an unknown value."""
    return value if value in PERIODS else DEFAULT_PERIOD


def observatory(session: Session, siren: str, period: str, *, now: datetime) -> Observatory:
    """Counts of the needs placed in the intercommunality ``siren`` received in ``period``."""
    period = parse_period(period)
    days = PERIODS[period][1]
    since = now - timedelta(days=days) if days else None
    place = func.coalesce(Need.commune, Company.commune)
    conditions = [Commune.epci_siren == siren, in_queue()]
    if since is not None:
        conditions.append(Need.created_at >= since)

    def base(*columns):
        return (
            select(*columns)
            .select_from(Need)
            .join(Company, Need.company_id == Company.id)
            .join(Commune, Commune.insee == place)
            .where(*conditions)
        )

    total, companies, hours, first = session.execute(
        base(
            func.count(Need.id),
            func.count(func.distinct(Need.company_id)),
            func.coalesce(func.sum(Need.hours_per_week), 0),
            func.min(Need.created_at),
        )
    ).one()
    by_status = dict(session.execute(base(Need.status, func.count()).group_by(Need.status)).all())
    by_commune = [
        (name, count)
        for name, count in session.execute(
            base(Commune.name, func.count(Need.id))
            .group_by(Commune.name)
            .order_by(func.count(Need.id).desc(), Commune.name)
        ).all()
    ]
    jobs = session.execute(
        base(Need.rome, func.count(Need.id))
        .group_by(Need.rome)
        .order_by(func.count(Need.id).desc(), Need.rome)
    ).all()
    reasons = dict(session.execute(base(Need.reason, func.count()).group_by(Need.reason)).all())
    return Observatory(
        period=period,
        since=since,
        first_need_at=first,
        total=total,
        companies=companies,
        hours_per_week=float(hours),
        by_status={key: by_status.get(key, 0) for key in NEED_STATUSES},
        by_commune=by_commune,
        by_job=_job_rows(jobs),
        by_reason=[(label, reasons[key]) for key, label in REASONS.items() if reasons.get(key)],
    )


def status_counts(seen: Observatory | None) -> list[tuple[str, str, int]]:
    """(state, French label, count) for every need state, in workflow order (zeros when
    there is nothing to show)."""
    return [
        (key, label, seen.by_status.get(key, 0) if seen else 0)
        for key, label in NEED_STATUSES.items()
    ]


TOP_JOBS = 10


def _job_rows(rows) -> list[tuple[str, int]]:
    """Job labels with their counts, most asked first; needs not yet qualified (no ROME
    code) and the jobs beyond the first ``TOP_JOBS`` are summed up in two last rows."""
    named = [(rome_label(code) or code, count) for code, count in rows if code]
    unqualified = sum(count for code, count in rows if not code)
    out = named[:TOP_JOBS]
    rest = sum(count for _, count in named[TOP_JOBS:])
    if rest:
        out.append((f"Autres métiers ({len(named) - TOP_JOBS})", rest))
    if unqualified:
        out.append(("Métier pas encore précisé", unqualified))
    return out
