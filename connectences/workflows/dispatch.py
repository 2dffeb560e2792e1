"""Sending a need (or a bundle) to an operator as a lead, or re-orienting it to a partner.

Both create a record with its state machine, move the needs through theirs, and queue
the email to the organisation, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectences import territory, workflows
from connectences.clock import local_today
from connectences.mail import MailKind, queue_template
from connectences.matching.constraints import failed_checks
from connectences.matching.data import candidate_from_model, need_from_model
from connectences.matching.score import score_pair
from connectences.models import (
    Candidate,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Referral,
)
from connectences.prospection.companies import unreachable_message
from connectences.prospection.pressure import ContactRefused, check_contact
from connectences.urls import external_url
from connectences.workflows import (
    LEAD,
    NEED,
    NEED_REORIENTABLE,
    NEED_SEARCHING,
    REFERRAL,
    NeedState,
    TransitionError,
)

MAX_BUNDLE_HOURS = 35


def _check_pressure(session, needs: Sequence[Need]) -> None:
    """A lead or a referral reaches the company: the contact-pressure guard applies.

    Refused when the company asked not to be solicited or reached the monthly number
    of contacts it accepts; the "recently contacted" warning does not block, since the
    animateur sends the need on purpose.
    """
    today = local_today()
    for company in dict.fromkeys(need.company for need in needs):
        try:
            check_contact(session, company, on=today, confirmed=True)
        except ContactRefused as refusal:
            raise TransitionError(f"{company.name} : {refusal}") from refusal


def _check_candidates(needs: Sequence[Need], candidates: Sequence[Candidate]) -> dict[int, tuple]:
    """Refuse any candidate who breaks a hard constraint of any need; score the others."""
    need_data = [need_from_model(n) for n in needs]
    total_hours = sum(n.hours_per_week for n in need_data)
    scored: dict[int, tuple] = {}
    for candidate in candidates:
        cand = candidate_from_model(candidate)
        for need in need_data:
            distance = territory.distance_km(cand.commune, need.commune)
            failures = failed_checks(need, cand, distance)
            if len(need_data) > 1:
                # In a bundle, hours apply to the whole job, checked below.
                failures = [f for f in failures if f.code != "hours"]
            if failures:
                raise TransitionError(
                    f"{candidate.first_name} {candidate.last_name} ne peut pas être proposé "
                    f"pour « {need.title} » : {failures[0].text}"
                )
        if len(need_data) > 1 and cand.hours_max < total_hours:
            raise TransitionError(
                f"{candidate.first_name} {candidate.last_name} souhaite au plus "
                f"{cand.hours_max:g} h par semaine, le poste en compte {total_hours:g}."
            )
        points, explanation = score_pair(need_data[0], cand) if len(need_data) == 1 else (None, [])
        scored[candidate.id] = (points, explanation)
    return scored


def _check_bundle(needs: Sequence[Need]) -> None:
    companies = {n.company_id for n in needs}
    if len(companies) != len(needs):
        raise TransitionError("Un poste en temps partagé réunit des entreprises différentes.")
    seen: set[str] = set()
    for need in needs:
        if seen & set(need.days):
            raise TransitionError("Deux besoins du poste tombent le même jour.")
        seen |= set(need.days)
    if sum(n.hours_per_week for n in needs) > MAX_BUNDLE_HOURS:
        raise TransitionError("Le poste en temps partagé dépasse 35 heures par semaine.")


def send_lead(
    session,
    *,
    needs: Sequence[Need],
    operator: Operator,
    candidates: Sequence[Candidate] = (),
    actor=None,
    note: str | None = None,
    reasons: Sequence[str] = (),
) -> Lead:
    """Propose a need, or a bundle of needs ("un poste en temps partagé"), to an operator.

    Each need must be qualified (or in search) and its company reachable (a contact
    with a phone or an e-mail, or the company's address); every candidate must satisfy
    every hard constraint (for a bundle: of each need, with the hours of the whole job). Raises
    TransitionError with a French message and changes nothing otherwise.
    """
    needs = list(dict.fromkeys(needs))
    if not needs:
        raise TransitionError("Choisissez au moins un besoin.")
    if not operator.active:
        raise TransitionError("Cet opérateur n'est plus actif.")
    for need in needs:
        if need.status not in NEED_SEARCHING:
            raise TransitionError(
                f"Le besoin « {need.title} » doit être qualifié avant d'être proposé "
                f"(état actuel : {NEED.labels[need.status].lower()})."
            )
    # The operator's first move is to call the company: one it cannot reach is not sent.
    for company in dict.fromkeys(need.company for need in needs):
        message = unreachable_message(company)
        if message:
            raise TransitionError(message)
    if len(needs) > 1:
        _check_bundle(needs)
    _check_pressure(session, needs)
    candidates = list(dict.fromkeys(candidates))
    scored = _check_candidates(needs, candidates)

    lead = Lead(
        operator=operator,
        is_bundle=len(needs) > 1,
        note=(note or "").strip() or None,
        reasons=list(reasons),
        created_by_id=getattr(actor, "id", None),
    )
    session.add(lead)
    lead.needs = [LeadNeed(need=need) for need in needs]
    lead.candidates = [
        LeadCandidate(candidate=c, score=scored[c.id][0], explanation=scored[c.id][1])
        for c in candidates
    ]
    workflows.start(session, lead, LEAD, actor=actor)
    for need in needs:
        workflows.transition(
            session,
            need,
            NEED,
            NeedState.PROPOSE,
            actor=actor,
            reason_text=f"Proposé à {operator.name}",
        )
    queue_template(
        session,
        kind=MailKind.LEAD_SENT,
        to=operator.email,
        subject="Un poste en temps partagé vous est proposé"
        if lead.is_bundle
        else f"Nouveau besoin proposé : {needs[0].title}",
        template="lead_sent",
        lead=lead,
        link=external_url("leads.show", lead_id=lead.id),
        hours=f"{sum(n.hours_per_week for n in needs):g}",
    )
    return lead


def send_referral(
    session,
    *,
    need: Need,
    partner: Partner,
    actor=None,
    reasons: Sequence[str] = (),
    note: str | None = None,
) -> Referral:
    """Re-orient a need to a partner, with the reasons; the need becomes ``reoriente``."""
    if need.status not in NEED_REORIENTABLE:
        raise TransitionError(
            f"Ce besoin ne peut plus être réorienté (état actuel : "
            f"{NEED.labels[need.status].lower()})."
        )
    if not partner.active:
        raise TransitionError("Ce partenaire n'est plus actif.")
    _check_pressure(session, [need])
    referral = Referral(
        partner=partner,
        need=need,
        reasons=list(reasons),
        note=(note or "").strip() or None,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(referral)
    workflows.start(session, referral, REFERRAL, actor=actor)
    workflows.transition(
        session,
        need,
        NEED,
        NeedState.REORIENTE,
        actor=actor,
        reason_text=f"Réorienté vers {partner.name}",
    )
    queue_template(
        session,
        kind=MailKind.REFERRAL_SENT,
        to=partner.email,
        subject=f"Besoin réorienté : {need.title}",
        template="referral_sent",
        referral=referral,
        link=external_url("referrals.show", referral_id=referral.id),
    )
    return referral
