"""Preparing a round ("Préparer ma tournée"): the companies an animateur picks before
going door to door, each with its contact-pressure state and last contact, to be kept
on the phone for the day.

Only what the round needs goes to the phone: the company's name, place, activity and
SIRET, the guard's decision and reasons, the last contact, and the animateur's own
follow-up due there. No contact person, no notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences import territory
from connectences.errors import DomainError
from connectences.models import Company, Visit
from connectences.prospection.companies import listed
from connectences.prospection.naf import naf_label
from connectences.prospection.pressure import Pressure, contact_pressure, contacts_of_companies

# "Follow-up due" includes those of the coming week: a round is often prepared the day
# before, or on Monday for the week.
FOLLOW_UP_AHEAD_DAYS = 7


class RoundError(DomainError):
    """Unusable filters: ``errors`` maps each field to a French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()), errors)


@dataclass(frozen=True)
class RoundFilters:
    """Which companies to offer for a round: a commune (INSEE), a NAF code or prefix,
    and/or only those where the animateur has a follow-up due."""

    commune: str | None = None
    naf: str | None = None
    follow_up_due: bool = False


@dataclass(frozen=True)
class RoundEntry:
    company: Company
    pressure: Pressure
    follow_up_on: date | None  # the animateur's own open follow-up there, if any


def parse_filters(commune: str | None, naf: str | None, follow_up_due: bool) -> RoundFilters:
    """Check the filters as typed: a known commune, a NAF code or prefix, at least one."""
    errors: dict[str, str] = {}
    commune = (commune or "").strip()
    insee = None
    if commune:
        try:
            insee = territory.resolve_commune(commune).insee
        except territory.UnknownCommune as error:
            errors["commune"] = str(error)
    code = None
    if (naf or "").strip():
        code = naf_prefix(naf)
        if code is None:
            errors["naf"] = (
                f"Code NAF illisible : « {naf.strip()[:10]} » (par exemple 56.10A, ou 56 "
                "pour toute la division)."
            )
    if not errors and not (insee or code or follow_up_due):
        errors["commune"] = "Choisissez une commune, un code NAF ou vos relances dues."
    if errors:
        raise RoundError(errors)
    return RoundFilters(commune=insee, naf=code, follow_up_due=follow_up_due)


def naf_prefix(text: str) -> str | None:
    """A NAF code or the start of one as stored (``56``, ``56.1``, ``56.10``, ``56.10A``),
    from what a person typed (``5610a``, ``56 10``); None when it is not one."""
    compact = re.sub(r"[\s.]", "", text or "").upper()
    if not re.fullmatch(r"\d{2}(\d{1,2}|\d{2}[A-Z])?", compact):
        return None
    if len(compact) == 2:
        return compact
    return f"{compact[:2]}.{compact[2:]}"


def _due_follow_ups(session: Session, animateur_id: int, today: date) -> dict[int, date]:
    """The earliest open follow-up of this animateur per company, due by next week."""
    rows = session.execute(
        select(Visit.company_id, Visit.follow_up_on)
        .where(
            Visit.animateur_id == animateur_id,
            Visit.follow_up_on.is_not(None),
            Visit.follow_up_closed_at.is_(None),
            Visit.follow_up_on <= today + timedelta(days=FOLLOW_UP_AHEAD_DAYS),
        )
        .order_by(Visit.follow_up_on)
    )
    due: dict[int, date] = {}
    for company_id, day in rows:
        due.setdefault(company_id, day)
    return due


def round_entries(
    session: Session,
    filters: RoundFilters,
    *,
    animateur_id: int,
    today: date,
    limit: int,
    refs: list[str] | None = None,
) -> tuple[list[RoundEntry], bool]:
    """The companies matching the filters (by name), with their pressure today, at most
    ``limit``; and whether more matched. ``refs`` keeps only the companies picked."""
    due = _due_follow_ups(session, animateur_id, today)
    query = select(Company).where(listed()).order_by(Company.sort_name, Company.id)
    if filters.commune:
        query = query.where(Company.commune == filters.commune)
    if filters.naf:
        query = query.where(Company.naf.startswith(filters.naf, autoescape=True))
    if filters.follow_up_due:
        query = query.where(Company.id.in_(list(due)))
    if refs is not None:
        query = query.where(Company.ref.in_(refs))
    companies = session.scalars(query.limit(limit + 1)).all()
    more = len(companies) > limit
    shown = companies[:limit]
    # The contacts of all the companies shown at once: one statement a channel, not
    # several for each company.
    contacts = contacts_of_companies(session, [company.id for company in shown])
    entries = [
        RoundEntry(
            company=company,
            pressure=contact_pressure(session, company, on=today, timeline=contacts[company.id]),
            follow_up_on=due.get(company.id),
        )
        for company in shown
    ]
    return entries, more


def activity_label(company: Company) -> str | None:
    """ "56.10A — Restauration traditionnelle", or None without a NAF code."""
    if not company.naf:
        return None
    label = naf_label(company.naf)
    return f"{company.naf} — {label}" if label else company.naf
