"""The route of a stored need: its row and the active operators and partners loaded,
then the pure rule (``matching.route``, which knows nothing of SQLAlchemy) decides."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import literal_column, select, union_all
from sqlalchemy.orm import object_session, selectinload

from connectences import territory, vocab
from connectences.clock import local_date
from connectences.extensions import db
from connectences.matching.data import need_from_model, operator_from_model, partner_from_model
from connectences.matching.matches import UnknownRef
from connectences.matching.route import RouteDecision, route
from connectences.models import Lead, LeadNeed, Need, Operator, Partner, Referral
from connectences.organisations import without_working_member
from connectences.workflows import LeadState, ReferralState

__all__ = [
    "UnknownRef",
    "decide_route",
    "declined_operators",
    "declined_partners",
    "route_among",
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
    operators = session.scalars(select(Operator).where(Operator.active.is_(True)))
    partners = session.scalars(select(Partner).where(Partner.active.is_(True)))
    return route_among(row, operators, partners)


def _refusals(need: Need, session) -> tuple[dict[str, str], dict[str, str]]:
    """The operators and the partners that refused ``need`` already (one statement: the
    need page routes on every request), each ref -> what it said: the last lead of each
    operator, the last referral of each partner, when refused."""
    leads = (
        select(
            literal_column("'operator'").label("side"),
            Operator.ref,
            Lead.status,
            Lead.refusal_reason,
            Lead.refusal_text,
            Lead.updated_at,
            Lead.created_at,
            Lead.id,
        )
        .join(Lead, Lead.operator_id == Operator.id)
        .join(LeadNeed, LeadNeed.lead_id == Lead.id)
        .where(LeadNeed.need_id == need.id)
    )
    referrals = (
        select(
            literal_column("'partner'").label("side"),
            Partner.ref,
            Referral.status,
            Referral.refusal_reason,
            Referral.refusal_text,
            Referral.updated_at,
            Referral.created_at,
            Referral.id,
        )
        .join(Referral, Referral.partner_id == Partner.id)
        .where(Referral.need_id == need.id)
    )
    both = union_all(leads, referrals).subquery()
    rows = session.execute(select(both).order_by(both.c.created_at, both.c.id))
    last: dict[str, dict[str, tuple]] = {"operator": {}, "partner": {}}
    for side, ref, status, code, text, when, _created, _id in rows:
        last[side][ref] = (status, code, text, when)

    def said(side, refused, reasons, what) -> dict[str, str]:
        return {
            ref: (
                f"a refusé {what} le {local_date(when).strftime('%d/%m/%Y')} "
                f"({vocab.motive(reasons, code, text)})"
            )
            for ref, (status, code, text, when) in last[side].items()
            if status == refused
        }

    return (
        said("operator", LeadState.REFUSE, vocab.LEAD_REFUSAL_REASONS, "ce besoin"),
        said(
            "partner",
            ReferralState.REFUSEE,
            vocab.REFERRAL_REFUSAL_REASONS,
            "la réorientation de ce besoin",
        ),
    )


def declined_operators(need: Need, session=None) -> dict[str, str]:
    """Operator ref -> what it said, for each operator whose last lead for ``need`` was
    refused: « a refusé ce besoin le 06/12/2026 (Hors de notre périmètre) »."""
    return _refusals(need, session or object_session(need) or db.session)[0]


def declined_partners(need: Need, session=None) -> dict[str, str]:
    """Partner ref -> what it said, for each partner whose last referral of ``need`` was
    refused: « a refusé la réorientation de ce besoin le 06/12/2026 (Déjà suivi par nos
    services) »."""
    return _refusals(need, session or object_session(need) or db.session)[1]


def route_among(
    need: Need,
    operators: Iterable[Operator],
    partners: Iterable[Partner],
    unattended: Iterable[Operator | Partner] | None = None,
) -> RouteDecision:
    """The routing decision for a loaded need among the given active operators and
    partners (a page that lists them already has them: no need to read them again),
    leaving out the operators and partners that refused it already
    (``declined_operators``, ``declined_partners``), and passing over for another one
    those none of whose members can answer on the platform (``unattended``: those of
    them ``organisations.without_working_member`` names, read here when not given), so
    that the choice the need page preselects and the API returns is one someone answers
    for whenever there is one."""
    data = need_from_model(need)
    session = object_session(need) or db.session
    operators, partners = list(operators), list(partners)
    operators_said, partners_said = (
        _refusals(need, session) if need.id is not None else (None, None)
    )
    if unattended is None:
        unattended = without_working_member(session, [*operators, *partners])
    unattended = list(unattended)
    return route(
        data,
        [operator_from_model(o) for o in operators],
        [partner_from_model(p) for p in partners],
        territory.epci_of(data.commune),
        operators_said,
        partners_said,
        unattended={o.ref for o in unattended if isinstance(o, Operator)},
        unattended_partners={p.ref for p in unattended if isinstance(p, Partner)},
    )


def route_need(need_ref: str, session=None) -> dict:
    """``{"need", "decision", "operator"|"partner", "reasons"}`` for a stored need."""
    return decide_route(need_ref, session).to_json()
