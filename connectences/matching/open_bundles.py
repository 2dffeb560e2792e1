"""The bundles of today's open part-time needs: the needs not routed yet and the
matchable people loaded, then the pure pooling rule (``matching.pool``, which knows
nothing of SQLAlchemy) makes the bundles, best first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from connectences import territory
from connectences.extensions import db
from connectences.matching.data import candidate_from_model, need_from_model
from connectences.matching.pool import Bundle, pool
from connectences.models import Candidate, Need
from connectences.needs.register import workable
from connectences.vocab import OPEN_TO_WORK
from connectences.workflows import NEED_UNROUTED


def open_need_bundles(session=None) -> list[Bundle]:
    """Maximal bundles of the open part-time needs, best first, with the fitting candidates.

    Open needs are those not routed yet (``workflows.NEED_UNROUTED``) that the platform
    may work on (``register.workable``: confirmed by their owner, attached to their
    company); candidates are the matchable
    ones (open to work, consented, address confirmed), the pure rules checking each
    need's hard constraints again, in their free hours and free days.
    """

    session = session or db.session
    needs = session.scalars(
        select(Need)
        .where(Need.status.in_(NEED_UNROUTED), workable(), Need.hours_per_week < 35)
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
