"""What operators do with the leads they receive, and partners with their referrals.

Every change goes through the state machines of :mod:`connectences.workflows` (so it is
logged), inside the caller's transaction; the animateur who sent the lead or referral is
told by mail when it is refused, handed back, placed or closed. Each function raises
TransitionError with a French message and changes nothing when the move is not allowed.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

from connectences import vocab, workflows
from connectences.mail import queue_template
from connectences.models import (
    Candidate,
    FollowUpPoint,
    Lead,
    Need,
    Placement,
    PlacementNeed,
    Referral,
    Transition,
    User,
)
from connectences.models.base import utcnow
from connectences.typography import hours_fr
from connectences.workflows import LEAD, NEED, REFERRAL, TransitionError

FOLLOW_UP_MONTHS = (1, 3, 6)
# A fixed-term contract puts the person "en mission"; an open-ended one "placé".
CONTRACT_CANDIDATE_STATUS = {
    "cdd": "en_mission",
    "mission": "en_mission",
    "saisonnier": "en_mission",
    "cdi": "place",
    "cdi_temps_partage": "place",
}


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 → 28 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _notify_creator(session, record, *, subject: str, message: str, link: str) -> None:
    """Mail the animateur who created the lead or referral (nobody when unknown)."""
    if record.created_by_id is None:
        return
    user = session.get(User, record.created_by_id)
    if user is None or not user.active:
        return
    queue_template(
        session, to=user.email, subject=subject, template="lead_update", message=message, link=link
    )


def _needs_back_to_search(session, lead: Lead, actor, why: str) -> None:
    """A lead that ends without placement frees its needs for another route."""
    for item in lead.needs:
        if item.need.status == "propose":
            workflows.transition(
                session, item.need, NEED, "en_recherche", actor=actor, reason_text=why
            )


def _need_titles(lead: Lead) -> str:
    return ", ".join(f"« {item.need.title} » ({item.need.company.name})" for item in lead.needs)


def _need_link(lead: Lead) -> str:
    return f"/animateur/besoins/{lead.needs[0].need.ref}" if lead.needs else "/animateur"


def mark_seen(session, lead: Lead, actor=None) -> bool:
    """Record the first opening of a new lead by its operator (``envoye`` → ``vu``).

    Opening it again, or in a later state, changes nothing; returns whether it moved.
    """
    if lead.status != "envoye":
        return False
    workflows.transition(session, lead, LEAD, "vu", actor=actor)
    return True


def accept(session, lead: Lead, actor=None) -> Transition:
    """The operator takes the lead on: it will contact the company and the candidates."""
    mark_seen(session, lead, actor)
    return workflows.transition(session, lead, LEAD, "accepte", actor=actor)


def start_contacting(session, lead: Lead, actor=None) -> Transition:
    """The operator has started contacting the proposed candidates (``en_cours``)."""
    return workflows.transition(session, lead, LEAD, "en_cours", actor=actor)


def refuse(session, lead: Lead, reason: str, text: str | None = None, actor=None) -> Transition:
    """Refuse a lead with a reason from the closed list (``autre`` needs a text).

    The needs go back to the search and the animateur is told why.
    """
    entry = workflows.transition(
        session, lead, LEAD, "refuse", actor=actor, reason_code=reason, reason_text=text
    )
    lead.refusal_reason = reason
    lead.refusal_text = entry.reason_text
    _needs_back_to_search(session, lead, actor, f"Proposition refusée par {lead.operator.name}")
    why = vocab.label(vocab.LEAD_REFUSAL_REASONS, reason)
    if entry.reason_text:
        why = f"{why} — {entry.reason_text}"
    _notify_creator(
        session,
        lead,
        subject=f"Proposition refusée par {lead.operator.name}",
        message=f"{lead.operator.name} a refusé la proposition {_need_titles(lead)}. "
        f"Motif : {why}. Le besoin est de nouveau en recherche.",
        link=_need_link(lead),
    )
    return entry


def hand_back(session, lead: Lead, text: str, actor=None) -> Transition:
    """The operator hands the lead back (with its reason, required) so the animateur can
    route the needs elsewhere: they go back to ``en_recherche``."""
    text = (text or "").strip()
    if not text:
        raise TransitionError("Expliquez pourquoi vous rendez cette proposition.")
    entry = workflows.transition(session, lead, LEAD, "rendu", actor=actor, reason_text=text)
    _needs_back_to_search(session, lead, actor, f"Proposition rendue par {lead.operator.name}")
    _notify_creator(
        session,
        lead,
        subject=f"Proposition rendue par {lead.operator.name}",
        message=f"{lead.operator.name} a rendu la proposition {_need_titles(lead)} : {text}. "
        "Le besoin est de nouveau en recherche : vous pouvez l'orienter ailleurs.",
        link=_need_link(lead),
    )
    return entry


def close_without_outcome(session, lead: Lead, text: str | None = None, actor=None) -> Transition:
    """The lead ends without a placement (``sans_suite``); its needs go back to the search."""
    entry = workflows.transition(session, lead, LEAD, "sans_suite", actor=actor, reason_text=text)
    _needs_back_to_search(session, lead, actor, f"Sans suite chez {lead.operator.name}")
    _notify_creator(
        session,
        lead,
        subject=f"Proposition sans suite chez {lead.operator.name}",
        message=f"La proposition {_need_titles(lead)} est close sans placement"
        + (f" : {entry.reason_text}." if entry.reason_text else ".")
        + " Le besoin est de nouveau en recherche.",
        link=_need_link(lead),
    )
    return entry


def record_placement(
    session,
    lead: Lead,
    *,
    candidate: Candidate,
    needs: Sequence[Need],
    hours_per_week: float,
    contract: str,
    start_date: date,
    actor=None,
) -> Placement:
    """Record that the operator placed one of the lead's candidates in one or more of its
    companies (a bundle places one person in several).

    The candidate becomes ``en_mission`` (fixed term) or ``place`` (open-ended), logged
    with entity "candidate"; each need placed becomes ``pourvu``; the lead becomes
    ``place``; follow-up points are planned 1, 3 and 6 months after the start.
    """
    if candidate.id not in {item.candidate_id for item in lead.candidates}:
        raise TransitionError("Cette personne ne fait pas partie des candidats proposés.")
    needs = list(dict.fromkeys(needs))
    if not needs:
        raise TransitionError("Choisissez au moins une entreprise.")
    lead_need_ids = {item.need_id for item in lead.needs}
    if any(need.id not in lead_need_ids for need in needs):
        raise TransitionError("Un des besoins choisis ne fait pas partie de cette proposition.")
    if contract not in vocab.CONTRACTS:
        raise TransitionError("Choisissez un type de contrat dans la liste.")
    if not hours_per_week or hours_per_week <= 0 or hours_per_week > 48:
        raise TransitionError("Indiquez un nombre d'heures par semaine entre 1 et 48.")
    if not isinstance(start_date, date):
        raise TransitionError("Indiquez la date de début.")
    if lead.status not in LEAD.moves or "place" not in LEAD.allowed(lead.status):
        raise TransitionError(
            f"Impossible d'enregistrer un placement : la proposition est "
            f"« {vocab.label(LEAD.labels, lead.status).lower()} »."
        )
    for need in needs:
        if "pourvu" not in NEED.allowed(need.status):
            raise TransitionError(
                f"Le besoin « {need.title} » ne peut plus être pourvu "
                f"(état : {vocab.label(NEED.labels, need.status).lower()})."
            )

    workflows.transition(
        session,
        lead,
        LEAD,
        "place",
        actor=actor,
        reason_text=f"{candidate.first_name} {candidate.last_name}",
    )
    placement = Placement(
        lead=lead,
        candidate=candidate,
        hours_per_week=float(hours_per_week),
        contract=contract,
        start_date=start_date,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(placement)
    placement.needs = [PlacementNeed(need=need) for need in needs]
    placement.follow_ups = [
        FollowUpPoint(months=m, due_on=add_months(start_date, m)) for m in FOLLOW_UP_MONTHS
    ]
    for need in needs:
        workflows.transition(
            session,
            need,
            NEED,
            "pourvu",
            actor=actor,
            reason_text=f"Placé par {lead.operator.name}",
        )
    new_status = CONTRACT_CANDIDATE_STATUS[contract]
    if candidate.status != new_status:
        # People have no state machine of their own; their changes still go to the log.
        session.add(
            Transition(
                entity="candidate",
                entity_id=candidate.id,
                from_state=candidate.status,
                to_state=new_status,
                actor_id=getattr(actor, "id", None),
                reason_text=f"Placement par {lead.operator.name}",
            )
        )
        candidate.status = new_status
    session.flush()
    companies = ", ".join(need.company.name for need in needs)
    _notify_creator(
        session,
        lead,
        subject=f"Placement enregistré par {lead.operator.name}",
        message=f"{lead.operator.name} a placé {candidate.first_name} {candidate.last_name} "
        f"chez {companies} ({hours_fr(hours_per_week)} par semaine, "
        f"{vocab.label(vocab.CONTRACTS, contract)}, à partir du "
        f"{start_date.strftime('%d/%m/%Y')}). Suivi prévu à 1, 3 et 6 mois.",
        link=_need_link(lead),
    )
    return placement


def record_follow_up(
    session,
    point: FollowUpPoint,
    *,
    company_feedback: str | None,
    candidate_feedback: str | None,
    holds: bool,
    actor=None,
) -> FollowUpPoint:
    """Record how a placement goes at one follow-up point, and whether it holds."""
    company_feedback = (company_feedback or "").strip() or None
    candidate_feedback = (candidate_feedback or "").strip() or None
    if company_feedback is None and candidate_feedback is None:
        raise TransitionError("Indiquez au moins un retour (entreprise ou personne).")
    point.company_feedback = company_feedback
    point.candidate_feedback = candidate_feedback
    point.holds = bool(holds)
    point.done_at = utcnow()
    return point


# --- Referrals -------------------------------------------------------------------------


def receive(session, referral: Referral, actor=None) -> bool:
    """Record the first opening of a referral by its partner (``envoyee`` → ``recue``)."""
    if referral.status != "envoyee":
        return False
    workflows.transition(session, referral, REFERRAL, "recue", actor=actor)
    return True


def take_charge(session, referral: Referral, actor=None) -> Transition:
    """The partner takes the company's need in hand."""
    receive(session, referral, actor)
    return workflows.transition(session, referral, REFERRAL, "prise_en_charge", actor=actor)


def close_referral(session, referral: Referral, outcome: str, actor=None) -> Transition:
    """Close a referral with its outcome (required), which the animateur sees on the need."""
    entry = workflows.transition(
        session, referral, REFERRAL, "close", actor=actor, reason_text=outcome
    )
    referral.outcome = entry.reason_text
    _notify_creator(
        session,
        referral,
        subject=f"Réorientation close par {referral.partner.name}",
        message=f"{referral.partner.name} a clos la réorientation du besoin "
        f"« {referral.need.title} » ({referral.need.company.name}). Issue : {referral.outcome}",
        link=f"/animateur/besoins/{referral.need.ref}",
    )
    return entry


def refuse_referral(
    session, referral: Referral, reason: str, text: str | None = None, actor=None
) -> Transition:
    """Refuse a referral with a reason from the closed list; the need goes back to the
    search so the animateur can route it elsewhere."""
    entry = workflows.transition(
        session, referral, REFERRAL, "refusee", actor=actor, reason_code=reason, reason_text=text
    )
    referral.refusal_reason = reason
    referral.refusal_text = entry.reason_text
    need = referral.need
    if need.status == "reoriente":
        workflows.transition(
            session,
            need,
            NEED,
            "en_recherche",
            actor=actor,
            reason_text=f"Réorientation refusée par {referral.partner.name}",
        )
    why = vocab.label(vocab.REFERRAL_REFUSAL_REASONS, reason)
    if entry.reason_text:
        why = f"{why} — {entry.reason_text}"
    _notify_creator(
        session,
        referral,
        subject=f"Réorientation refusée par {referral.partner.name}",
        message=f"{referral.partner.name} a refusé la réorientation du besoin "
        f"« {need.title} » ({need.company.name}). Motif : {why}.",
        link=f"/animateur/besoins/{need.ref}",
    )
    return entry
