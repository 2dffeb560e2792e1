"""The route of a stored need: its row and the active operators and partners loaded,
then the pure rule (``matching.route``, which knows nothing of SQLAlchemy) decides."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import object_session, selectinload

from connectences import territory, vocab
from connectences.clock import local_date
from connectences.extensions import db
from connectences.matching.data import need_from_model, operator_from_model, partner_from_model
from connectences.matching.matches import UnknownRef
from connectences.matching.route import RouteDecision, route
from connectences.models import Lead, LeadNeed, Need, Operator, Partner
from connectences.workflows import LeadState

__all__ = ["UnknownRef", "decide_route", "declined_operators", "route_among", "route_need"]


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
    operators = session.scalars(select(Operator).where(Operator.active.is_(True)))
    partners = session.scalars(select(Partner).where(Partner.active.is_(True)))
    return route_among(row, operators, partners)


def declined_operators(need: Need, session=None) -> dict[str, str]:
    """Operator ref -> what it said, for each operator whose last lead for ``need`` was
    refused: « a refusé ce besoin le 06/12/2026 (Hors de notre périmètre) »."""
    session = session or object_session(need) or db.session
    rows = session.execute(
        select(Operator.ref, Lead.status, Lead.refusal_reason, Lead.refusal_text, Lead.updated_at)
        .join(Lead, Lead.operator_id == Operator.id)
        .join(LeadNeed, LeadNeed.lead_id == Lead.id)
        .where(LeadNeed.need_id == need.id)
        .order_by(Lead.created_at, Lead.id)
    )
    last = {ref: (status, code, text, when) for ref, status, code, text, when in rows}
    return {
        ref: (
            f"a refusé ce besoin le {local_date(when).strftime('%d/%m/%Y')} "
            f"({vocab.motive(vocab.LEAD_REFUSAL_REASONS, code, text)})"
        )
        for ref, (status, code, text, when) in last.items()
        if status == LeadState.REFUSE
    }


def route_among(
    need: Need, operators: Iterable[Operator], partners: Iterable[Partner]
) -> RouteDecision:
    """The routing decision for a loaded need among the given active operators and
    partners (a page that lists them already has them: no need to read them again),
    leaving out the operators that refused it already (``declined_operators``)."""
    data = need_from_model(need)
    return route(
        data,
        [operator_from_model(o) for o in operators],
        [partner_from_model(p) for p in partners],
        territory.epci_of(data.commune),
        declined_operators(need) if need.id is not None else None,
    )


def route_need(need_ref: str, session=None) -> dict:
    """``{"need", "decision", "operator"|"partner", "reasons"}`` for a stored need."""
    return decide_route(need_ref, session).to_json()
