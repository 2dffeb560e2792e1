"""Routing and pooling over the database: rows in, plain data through the pure rules, dicts out.

``route`` and ``pool`` (``matching.route``, ``matching.pool``) know nothing of
SQLAlchemy; this module loads the rows they need and turns them into the
interchange shapes printed by the CLI and used by the web pages.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from connectences import territory
from connectences.extensions import db
from connectences.matching.data import (
    candidate_from_model,
    need_from_model,
    operator_from_model,
    partner_from_model,
)
from connectences.matching.pool import Bundle, pool
from connectences.matching.route import RouteDecision, route
from connectences.matching.service import UnknownRef
from connectences.models import Candidate, Need, Operator, Partner
from connectences.vocab import OPEN_TO_WORK
from connectences.workflows import NEED_UNROUTED

__all__ = [
    "UnknownRef",
    "decide_route",
    "open_need_bundles",
    "pool_open_needs",
    "route_need",
]


def decide_route(need_ref: str, session=None) -> RouteDecision:
    """The routing decision for a stored need, from the active operators and partners.

    The need's intercommunality is the one of its commune (the company's by
    default). Raises ``UnknownRef`` (French message) for an unknown need.
    """

    session = session or db.session
    row = session.scalar(
        select(Need).where(Need.ref == need_ref).options(selectinload(Need.company))
    )
    if row is None:
        raise UnknownRef(f"Besoin inconnu : « {need_ref} ».")
    need = need_from_model(row)
    operators = session.scalars(select(Operator).where(Operator.active.is_(True)))
    partners = session.scalars(select(Partner).where(Partner.active.is_(True)))
    return route(
        need,
        [operator_from_model(o) for o in operators],
        [partner_from_model(p) for p in partners],
        territory.epci_of(need.commune),
    )


def route_need(need_ref: str, session=None) -> dict:
    """``{"need", "decision", "operator"|"partner", "reasons"}`` for a stored need."""
    return decide_route(need_ref, session).to_json()


def open_need_bundles(session=None) -> list[Bundle]:
    """Maximal bundles of the open part-time needs, best first, with the fitting candidates.

    Open needs are those not routed yet (``workflows.NEED_UNROUTED``); candidates are the matchable
    ones (open to work, consented, address confirmed), the pure rules checking each
    need's hard constraints again, in their free hours and free days.
    """

    session = session or db.session
    needs = session.scalars(
        select(Need)
        .where(Need.status.in_(NEED_UNROUTED), Need.hours_per_week < 35)
        .options(selectinload(Need.company))
        .order_by(Need.ref)
    )
    candidates = session.scalars(
        select(Candidate)
        .where(
            Candidate.status.in_(OPEN_TO_WORK),
            Candidate.consent.is_(True),
            Candidate.email_confirmed_at.is_not(None),
        )
        .order_by(Candidate.ref)
    )
    return pool(
        [need_from_model(n) for n in needs],
        [candidate_from_model(c) for c in candidates],
        distance=territory.distance_km,
        epci_of=territory.epci_of,
    )


def pool_open_needs(session=None, details: bool = False) -> dict:
    """``{"bundles": [{"needs", "hours", "days", "candidates"}]}`` (plus score and reasons
    with ``details``) for the open needs, best first."""
    return {"bundles": [b.to_json(details=details) for b in open_need_bundles(session)]}
