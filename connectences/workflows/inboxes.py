"""What each organisation finds in its inbox: an operator's leads and placements, a
partner's referrals, the animateurs' leads waiting on an operator or handed back, each
with the counts by state their home pages show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from connectences.models import (
    Candidate,
    Company,
    FollowUpPoint,
    Lead,
    LeadNeed,
    Need,
    Operator,
    Placement,
    PlacementNeed,
    Referral,
)
from connectences.workflows import (
    LEAD_IN_PROGRESS,
    REFERRAL_FINAL,
    REFERRAL_IN_PROGRESS,
    LeadState,
    ReferralState,
)


def _counts(session, column, where) -> dict[str, int]:
    return dict(session.execute(select(column, func.count()).where(where).group_by(column)).all())


_LEAD_COUNTS = (
    select(Lead.status, func.count())
    .where(Lead.operator_id == bindparam("operator_id"))
    .group_by(Lead.status)
)


def lead_counts(session, operator_id: int) -> dict[str, int]:
    """How many leads the operator holds in each state (read by every inbox: built once)."""
    return dict(session.execute(_LEAD_COUNTS, {"operator_id": operator_id}).all())


def operator_leads(session, operator_id: int, limit: int | None = None) -> list[Lead]:
    """The operator's leads with their needs and companies, newest first."""
    return list(
        session.scalars(
            select(Lead)
            .where(Lead.operator_id == operator_id)
            .options(selectinload(Lead.needs).joinedload(LeadNeed.need).joinedload(Need.company))
            .order_by(Lead.created_at.desc(), Lead.id.desc())
            .limit(limit)
        )
    )


INBOX_SECTIONS = {
    "new": frozenset({LeadState.ENVOYE}),
    "waiting": frozenset(LEAD_IN_PROGRESS),
}
"""The inbox's sections of open leads and the states each one lists; the closed section
lists every other state."""


def inbox_totals(session, operator_id: int) -> dict[str, int]:
    """How many leads each inbox section (``new``, ``waiting``, ``closed``) holds, from
    one grouped count."""
    counts = lead_counts(session, operator_id)
    totals = {
        name: sum(counts.get(state, 0) for state in states)
        for name, states in INBOX_SECTIONS.items()
    }
    totals["closed"] = sum(counts.values()) - sum(totals.values())
    return totals


# The inbox's lists are built once per operator and section (their pages and counts are
# kept with them by ``web.paging``): building a statement and walking it for SQLAlchemy's
# cache key cost more than running it. Operators are a few dozen.
@lru_cache(maxsize=256)
def inbox_leads(operator_id: int, section: str) -> Select:
    """The operator's leads of one inbox section (``new``, ``waiting`` or ``closed``),
    newest first, as rows of what the list shows (id, bundle or not, state, date; their
    needs come from ``lead_lines``): a query the caller pages."""
    open_states = INBOX_SECTIONS["new"] | INBOX_SECTIONS["waiting"]
    if section == "closed":
        in_section = Lead.status.not_in(open_states)
    else:
        in_section = Lead.status.in_(INBOX_SECTIONS[section])
    return (
        select(Lead.id, Lead.is_bundle, Lead.status, Lead.created_at)
        .where(Lead.operator_id == operator_id, in_section)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )


_LEAD_LINES = (
    select(
        LeadNeed.lead_id,
        Need.ref,
        Need.title,
        Need.hours_per_week,
        Need.commune,
        Company.name.label("company_name"),
        Company.commune.label("company_commune"),
    )
    .join(Need, Need.id == LeadNeed.need_id)
    .join(Company, Company.id == Need.company_id)
    .where(LeadNeed.lead_id.in_(bindparam("lead_ids", expanding=True)))
    .order_by(LeadNeed.lead_id, LeadNeed.id)
)


def lead_lines(session, lead_ids: Iterable[int]) -> dict[int, list[Row]]:
    """The needs of the given leads as an inbox card and the animateur's home show them
    (need ref, title, hours and commune, company name and commune), by lead, in the
    order they were added: one statement for every lead of the page."""
    lead_ids = list(lead_ids)
    lines: dict[int, list[Row]] = {lead_id: [] for lead_id in lead_ids}
    if not lead_ids:
        return lines
    for row in session.execute(_LEAD_LINES, {"lead_ids": lead_ids}):
        lines[row.lead_id].append(row)
    return lines


@lru_cache(maxsize=128)
def placements_to_follow(operator_id: int) -> Select:
    """The placements of the operator's leads with a follow-up point still to do (an
    ended placement has none: its points left are no longer due), latest start first,
    as rows of what the list shows (id, lead, start, the person's name, ``person_id``
    None once the person is deleted; their next point comes from ``next_follow_ups``):
    a query the caller pages."""
    # The person's columns as subqueries: PostgreSQL reads them for the page's rows only,
    # after ordering and cutting, where a join read the person of every placement to
    # follow (1.7 ms instead of 0.7 at 330 of them; SQLite's time is the same).
    person = select(Candidate).where(Candidate.id == Placement.candidate_id)
    return (
        select(
            Placement.id,
            Placement.lead_id,
            Placement.start_date,
            person.with_only_columns(Candidate.id).scalar_subquery().label("person_id"),
            person.with_only_columns(Candidate.first_name).scalar_subquery().label("first_name"),
            person.with_only_columns(Candidate.last_name).scalar_subquery().label("last_name"),
        )
        .join(Lead, Lead.id == Placement.lead_id)
        .where(Lead.operator_id == operator_id, Placement.ended_on.is_(None))
        .where(
            Placement.id.in_(
                select(FollowUpPoint.placement_id).where(FollowUpPoint.done_at.is_(None))
            )
        )
        .order_by(Placement.start_date.desc(), Placement.id.desc())
    )


_NEXT_POINTS = (
    select(FollowUpPoint.placement_id, FollowUpPoint.id, FollowUpPoint.months, FollowUpPoint.due_on)
    .where(
        FollowUpPoint.placement_id.in_(bindparam("placement_ids", expanding=True)),
        FollowUpPoint.done_at.is_(None),
    )
    .order_by(
        FollowUpPoint.placement_id, FollowUpPoint.due_on, FollowUpPoint.months, FollowUpPoint.id
    )
)


def next_follow_ups(session, placement_ids: Iterable[int]) -> dict[int, Row]:
    """The next follow-up point still to do (id, months, due date) of each placement,
    the earliest due first, by placement: one statement for the page."""
    placement_ids = list(placement_ids)
    if not placement_ids:
        return {}
    points = session.execute(_NEXT_POINTS, {"placement_ids": placement_ids})
    found: dict[int, Row] = {}
    for point in points:
        found.setdefault(point.placement_id, point)
    return found


_LEAD_PLACEMENTS = (
    select(Placement)
    .where(Placement.lead_id == bindparam("lead_id"))
    .options(
        selectinload(Placement.follow_ups).joinedload(FollowUpPoint.done_by),
        selectinload(Placement.needs),
    )
)


def lead_placements(session, lead_id: int) -> list[Placement]:
    """The placements recorded on one lead, with their follow-up points and needs."""
    return list(session.scalars(_LEAD_PLACEMENTS, {"lead_id": lead_id}))


_PERSON_PLACEMENTS = (
    select(Placement)
    .where(Placement.candidate_id == bindparam("candidate_id"))
    .options(
        # The companies and days of each need: the section's summary and its form.
        selectinload(Placement.needs).joinedload(PlacementNeed.need).joinedload(Need.company),
        joinedload(Placement.lead).joinedload(Lead.operator),
    )
    .order_by(Placement.start_date.desc(), Placement.id.desc())
)


def person_placements(session, candidate_id: int) -> list[Placement]:
    """The placements of one person, latest start first, with their needs and operator
    (the animateur's record of the person: a person has a few in their life)."""
    return list(session.scalars(_PERSON_PLACEMENTS, {"candidate_id": candidate_id}).unique())


def referral_counts(session, partner_id: int) -> dict[str, int]:
    """How many referrals the partner holds in each state."""
    return _counts(session, Referral.status, Referral.partner_id == partner_id)


REFERRAL_SECTIONS = {
    "new": frozenset({ReferralState.ENVOYEE}),
    "open": frozenset(REFERRAL_IN_PROGRESS),
    "closed": frozenset(REFERRAL_FINAL),
}
"""The partner inbox's sections and the states each one lists."""


def referral_totals(session, partner_id: int) -> dict[str, int]:
    """How many referrals each inbox section (``new``, ``open``, ``closed``) holds, from
    one grouped count."""
    counts = referral_counts(session, partner_id)
    return {
        name: sum(counts.get(state, 0) for state in states)
        for name, states in REFERRAL_SECTIONS.items()
    }


def inbox_referrals(partner_id: int, section: str) -> Select:
    """The partner's referrals of one inbox section, newest first, with their need and
    company: a query the caller pages."""
    return (
        select(Referral)
        .where(
            Referral.partner_id == partner_id,
            Referral.status.in_(REFERRAL_SECTIONS[section]),
        )
        .options(joinedload(Referral.need).joinedload(Need.company))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )


def partner_referrals(session, partner_id: int, limit: int | None = None) -> list[Referral]:
    """The partner's referrals with their need and company, newest first."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.partner_id == partner_id)
            .options(joinedload(Referral.need).joinedload(Need.company))
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True, slots=True)
class ListedLead:
    """A lead as the animateur's home lists it, read as rows (not entities with their
    operator and needs): its state, dates, operator's name and needs (``lead_lines``)."""

    id: int
    status: str
    created_at: datetime
    updated_at: datetime
    operator_name: str
    needs: list[Row]


def leads_in(
    session,
    states: Iterable[str],
    *,
    since: datetime | None = None,
    oldest_first: bool,
    limit: int,
) -> tuple[int, list[ListedLead]]:
    """How many leads are in ``states`` (changed since ``since`` when given), and the
    first ``limit`` of them with their operator's name and needs: oldest sent first, or
    latest changed first."""
    count, first = _leads_in_queries(tuple(sorted(states)), since is not None, oldest_first, limit)
    values = {} if since is None else {"since": since}
    total = session.scalar(count, values)
    rows = session.execute(first, values).all()
    needs = lead_lines(session, (row.id for row in rows))
    return total or 0, [ListedLead(*row, needs[row.id]) for row in rows]


@lru_cache(maxsize=32)
def _leads_in_queries(
    states: tuple[str, ...], dated: bool, oldest_first: bool, limit: int
) -> tuple[Select, Select]:
    """The count and the first rows of ``leads_in``, with the date ``since`` given when
    run: read by every animateur's home, built once."""
    conditions = [Lead.status.in_(states)]
    if dated:
        conditions.append(Lead.updated_at >= bindparam("since", type_=Lead.updated_at.type))
    order = Lead.created_at if oldest_first else Lead.updated_at.desc()
    count = select(func.count()).select_from(Lead).where(*conditions)
    first = (
        select(Lead.id, Lead.status, Lead.created_at, Lead.updated_at, Operator.name)
        .join(Operator, Operator.id == Lead.operator_id)
        .where(*conditions)
        .order_by(order, Lead.id)
        .limit(limit)
    )
    return count, first
