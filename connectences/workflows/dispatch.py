"""Sending a need (or a bundle) to an operator as a lead, or re-orienting it to a partner.

Both create a record with its state machine, move the needs through theirs, and queue
the email to the organisation, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, load_only, raiseload, selectinload

from connectences import territory, vocab, workflows
from connectences.clock import local_today
from connectences.cvtheque.lookup import chosen_candidates
from connectences.errors import DomainError
from connectences.mail import MailKind, queue_template
from connectences.mail.outbox import reply_to_of
from connectences.matching import week
from connectences.matching.constraints import failed_checks
from connectences.matching.data import (
    CandidateData,
    NeedData,
    candidate_from_model,
    need_from_model,
)
from connectences.matching.open_bundles import BundleFilters, open_need_bundles
from connectences.matching.route import RouteDecision
from connectences.matching.routing import decide_route
from connectences.matching.score import score_pair
from connectences.models import (
    Candidate,
    Company,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Referral,
)
from connectences.needs.owner_news import tell_owners
from connectences.needs.status_words import UNATTACHED_REFUSAL, awaiting_owner, unattached_owner
from connectences.organisations import without_working_member
from connectences.prospection.companies import unreachable_message
from connectences.prospection.pressure import (
    OverCapReasonRefused,
    Pressure,
    contact_pressure,
    hold_contacts_of,
    over_cap_figures,
    over_cap_reason_checked,
)
from connectences.skills.forbidden import text_problem
from connectences.typography import hours_plain, of_name
from connectences.urls import external_url
from connectences.workflows import (
    LEAD,
    LEAD_LIVE,
    NEED,
    NEED_REORIENTABLE,
    NEED_SEARCHING,
    REFERRAL,
    NeedState,
    TransitionError,
    leads,
)

MAX_BUNDLE_HOURS = 35
MAX_NOTE = 2000


class ContactNotAllowed(TransitionError):
    """The contact-pressure guard refuses to reach the company (it asked not to be
    solicited, or had its contacts of the month). About what was chosen, not the need's
    state: the form comes back with what was typed, to send it elsewhere or later."""


class ReorientationRefused(DomainError):
    """The re-orientation form is incomplete; ``errors`` maps its fields to French messages."""


def _note(text: str | None) -> str:
    return (text or "").strip()


def _check_note(text: str | None) -> None:
    """Refuse a note to an operator or a partner that states a criterion the law forbids
    in hiring (``skills.forbidden.text_problem``): it is mailed with the need; or that
    is longer than :data:`MAX_NOTE` (refused with its length, never cut)."""
    if problem := _note_problem(text):
        raise TransitionError(problem, errors={"note": problem})


def _note_problem(text: str | None) -> str | None:
    """Why :func:`_check_note` refuses ``text``, or None."""
    return text_problem(text) or workflows.text_too_long(_note(text), MAX_NOTE)


# --- who a need may be sent to -------------------------------------------------------


# Read by every need page: built once.
_ACTIVE_OPERATORS = select(Operator).where(Operator.active.is_(True))
_ACTIVE_PARTNERS = (
    select(Partner).where(Partner.active.is_(True)).order_by(Partner.sort_name, Partner.id)
)


def proposal_operators(session) -> list[Operator]:
    """The active operators, groupements d'employeurs first (the usual home of shared-time
    work), then by kind and name."""
    operators = session.scalars(_ACTIVE_OPERATORS).all()
    kinds = list(vocab.OPERATOR_KINDS)
    return sorted(
        operators, key=lambda o: (kinds.index(o.kind) if o.kind in kinds else 99, o.sort_name, o.id)
    )


def active_partners(session) -> list[Partner]:
    """The active partners, by name."""
    return list(session.scalars(_ACTIVE_PARTNERS))


def _operator(session, ref: str | None, what: str = "le besoin") -> Operator:
    """The active operator ``ref`` chosen to receive ``what`` (« le besoin », « le poste »:
    a bundle's form asked for the operator « à qui proposer le besoin »)."""
    ref = (ref or "").strip()
    if not ref:
        why = f"Choisissez l'opérateur à qui proposer {what}."
        raise TransitionError(why, errors={"operator": why})
    operator = session.scalar(select(Operator).where(Operator.ref == ref))
    if operator is None or not operator.active:
        why = "Cet opérateur n'existe pas ou n'est plus actif. Rien n'a été envoyé."
        raise TransitionError(why, errors={"operator": why})
    return operator


# Built once: a statement with its loader options costs more to build (and to key for
# the compiled-statement cache) than to run; the need page reads these on every request.
_LEADS_OF_NEED = (
    select(Lead)
    .join(LeadNeed, LeadNeed.lead_id == Lead.id)
    .where(LeadNeed.need_id == bindparam("need_id"))
    .options(
        joinedload(Lead.operator),
        # The page names the people joined: their names, not their skills and
        # commitments (three statements a person, loaded one by one, before).
        selectinload(Lead.candidates)
        .joinedload(LeadCandidate.candidate)
        .options(
            load_only(Candidate.first_name, Candidate.last_name),
            raiseload(Candidate.skills),
            raiseload(Candidate.commitments),
        ),
        selectinload(Lead.needs).joinedload(LeadNeed.need).joinedload(Need.company),
    )
    .order_by(Lead.created_at.desc())
)
_REFERRALS_OF_NEED = (
    select(Referral)
    .where(Referral.need_id == bindparam("need_id"))
    .options(joinedload(Referral.partner))
    .order_by(Referral.created_at.desc())
)


def sent_for(session, need: Need) -> tuple[list[Lead], list[Referral]]:
    """The leads and referrals the need was sent in, newest first."""
    leads = session.scalars(_LEADS_OF_NEED, {"need_id": need.id}).unique()
    referrals = session.scalars(_REFERRALS_OF_NEED, {"need_id": need.id})
    return list(leads), list(referrals)


def contact_refusals(session, needs: Sequence[Need]) -> list[tuple[Company, Pressure]]:
    """The companies of ``needs`` the contact-pressure guard refuses to reach today, each
    with the guard's figures (a refused form says why, and what may be done instead)."""
    today = local_today()
    refused = []
    for company in dict.fromkeys(need.company for need in needs):
        pressure = contact_pressure(session, company, on=today)
        if pressure.decision == "refuse":
            refused.append((company, pressure))
    return refused


def _check_pressure(
    session, needs: Sequence[Need], *, over_cap_reason: str | None = None
) -> str | None:
    """A lead or a referral reaches the company: the contact-pressure guard applies.

    Refused when the company asked not to be solicited (always) or reached the monthly
    number of contacts it accepts, unless ``over_cap_reason`` says why the company agreed
    to this contact (it asked to be called back, ...): then the sentence to record in the
    lead's or referral's log is returned. ``over_cap_reason`` None: not asked; asked
    empty, or too long, is refused. The "recently contacted" warning does not block,
    since the animateur sends the need on purpose. Returns None when nothing was passed.
    """
    reason = None if over_cap_reason is None else over_cap_reason.strip()
    passed = []
    # Held until the lead or referral is committed: another contact of the same company
    # sent meanwhile is counted (``pressure.hold_contacts_of``); in the order of their
    # ids, so that two bundles sharing companies never wait for each other.
    for company in sorted({need.company for need in needs}, key=lambda c: c.id):
        hold_contacts_of(session, company)
    for company, pressure in contact_refusals(session, needs):
        refusal = f"{company.name} : {' '.join(pressure.refusals)}"
        if not pressure.cap_may_be_passed:
            raise ContactNotAllowed(refusal)
        if reason is None:
            offered = " ".join(pressure.refusals_offering("envoyez quand même"))
            raise ContactNotAllowed(f"{company.name} : {offered}")
        try:
            reason = over_cap_reason_checked(reason)
        except OverCapReasonRefused as refused:
            raise ContactNotAllowed(refused.message, errors=refused.errors) from None
        passed.append(over_cap_figures(company.name, pressure))
    if not passed:
        return None
    return f"Envoyé au-delà du plafond de contacts accepté par {' et '.join(passed)} : {reason}"


def _not_proposable(session, need: Need) -> str:
    """Why ``need`` cannot be proposed now (French): already proposed (a form sent twice),
    or not qualified yet."""
    if need.status == NeedState.PROPOSE:
        holders = session.scalars(
            select(Operator.name)
            .join(Lead, Lead.operator_id == Operator.id)
            .join(LeadNeed, LeadNeed.lead_id == Lead.id)
            .where(LeadNeed.need_id == need.id, Lead.status.in_(LEAD_LIVE))
            .order_by(Lead.created_at.desc(), Lead.id.desc())
        ).all()
        if holders:
            return (
                f"Le besoin « {need.title} » est déjà proposé à "
                f"{' et '.join(dict.fromkeys(holders))}."
            )
    return (
        f"Le besoin « {need.title} » doit être qualifié avant d'être proposé "
        f"(état actuel : {NEED.labels[need.status].lower()})."
    )


def _check_candidates(needs: Sequence[Need], candidates: Sequence[Candidate]) -> dict[int, tuple]:
    """Refuse any candidate who breaks a hard constraint of any need; score the others."""
    need_data = [need_from_model(n) for n in needs]
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
                why = (
                    f"{candidate.first_name} {candidate.last_name} ne peut pas être proposé "
                    f"pour « {need.title} » : {failures[0].text}"
                )
                raise TransitionError(why, errors={"candidates": why})
        if len(need_data) > 1 and (
            why := _bundle_hours_problem(candidate, cand, need_data)
            or _bundle_days_problem(candidate, cand, need_data)
        ):
            raise TransitionError(why, errors={"candidates": why})
        points, explanation = score_pair(need_data[0], cand) if len(need_data) == 1 else (None, [])
        scored[candidate.id] = (points, explanation)
    return scored


def _bundle_hours_problem(
    candidate: Candidate, cand: CandidateData, needs: Sequence[NeedData]
) -> str | None:
    """Why the whole job of a bundle does not fit in the person's free hours, in French;
    None when it does. As the pool counts them (``matching.pool``, ``week.bundle_job``):
    the free hours on the bundle's earliest start, the work already held taken off
    ``hours_max``; the week then, and the work ending before it, said
    (``week.bundle_start_sentence``)."""
    job = week.bundle_job(needs)
    if week.hours_fit(job.hours_per_week, week.free_hours(cand, job.start)):
        return None
    name = f"{candidate.first_name} {candidate.last_name}"
    said = week.bundle_start_sentence(cand, needs)
    if not week.running(cand.commitments, job.start):
        wish = (
            f"{name} souhaite au plus {hours_plain(cand.hours_max)} par semaine, "
            f"le poste en compte {hours_plain(job.hours_per_week)}."
        )
        return f"{wish} {said}" if said else wish
    return (
        f"Le poste de {hours_plain(job.hours_per_week)} par semaine dépasse le temps libre "
        f"qui reste à {name} (au plus {hours_plain(cand.hours_max)} par semaine en tout). "
        f"{said}"
    )


def _bundle_days_problem(
    candidate: Candidate, cand: CandidateData, needs: Sequence[NeedData]
) -> str | None:
    """Why a bundle's days are not all free for the person, in French; None when they
    are. As the pool lists the people who fit a bundle (``matching.pool``,
    ``week.bundle_job``: every day of the job free on its earliest start, the work
    already held taking its days): a person chosen by hand whose other work takes one of
    the bundle's days is not proposed for it, where each need alone (one free day in
    common) let them through."""
    job = week.bundle_job(needs)
    name = f"{candidate.first_name} {candidate.last_name}"
    busy = job.days & week.taken_days(cand, job.start)
    if busy:
        return (
            f"Le poste en temps partagé prend {week.on_days_text(busy)}, que prend aussi le "
            f"travail {of_name(name)}. {week.bundle_start_sentence(cand, needs)}"
        )
    if missing := job.days - cand.days:
        return (
            f"{name} n'est pas disponible {week.on_days_text(missing)}, que prend le poste "
            "en temps partagé."
        )
    return None


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
    over_cap_reason: str | None = None,
    overridden: str | None = None,
) -> Lead:
    """Propose a need, or a bundle of needs ("un poste en temps partagé"), to an operator.

    Each need must be qualified (or in search) and its company reachable (a contact
    with a phone or an e-mail, or the company's address); every candidate must satisfy
    every hard constraint (for a bundle: of each need, with the hours of the whole job). Raises
    TransitionError with a French message and changes nothing otherwise.
    ``over_cap_reason``: why a company at its monthly cap agreed to this contact (see
    :func:`_check_pressure`), recorded in the lead's log. ``overridden``: what the
    routing advised instead (``advice_overridden``), recorded in the need's history.
    """
    _check_note(note)
    needs = list(dict.fromkeys(needs))
    if not needs:
        raise TransitionError("Choisissez au moins un besoin.")
    if not operator.active:
        raise TransitionError("Cet opérateur n'est plus actif.")
    for need in needs:
        if need.status not in NEED_SEARCHING:
            raise TransitionError(_not_proposable(session, need))
    # The operator's first move is to call the company: one it cannot reach is not sent.
    for company in dict.fromkeys(need.company for need in needs):
        message = unreachable_message(company)
        if message:
            raise TransitionError(message)
    if len(needs) > 1:
        _check_bundle(needs)
    passed_cap = _check_pressure(session, needs, over_cap_reason=over_cap_reason)
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
    workflows.start(session, lead, LEAD, actor=actor, reason_text=passed_cap)
    for need in needs:
        workflows.transition(
            session,
            need,
            NEED,
            NeedState.PROPOSE,
            actor=actor,
            reason_text=_sent_to(f"Proposé à {operator.name}", overridden),
        )
    queue_template(
        session,
        kind=MailKind.LEAD_SENT,
        to=operator.email,
        subject="Un poste en temps partagé vous est proposé"
        if lead.is_bundle
        else f"Nouveau besoin proposé : {needs[0].title}",
        template="lead_sent",
        # The operator's answer goes to the animateur who proposed (or the platform).
        reply_to=reply_to_of(actor),
        lead=lead,
        link=external_url("leads.show", lead_id=lead.id),
        hours=f"{sum(n.hours_per_week for n in needs):g}",
        # A bundle is one job: the week as the person would work it, each company's days.
        job=leads.job_week(needs) if lead.is_bundle else None,
        unopened=bool(without_working_member(session, [operator])),
    )
    # Each owner learns whom to expect a call from, as their space now says.
    tell_owners(session, needs)
    return lead


def send_referral(
    session,
    *,
    need: Need,
    partner: Partner,
    actor=None,
    reasons: Sequence[str] = (),
    note: str | None = None,
    over_cap_reason: str | None = None,
    overridden: str | None = None,
) -> Referral:
    """Re-orient a need to a partner, with the reasons; the need becomes ``reoriente``.
    ``over_cap_reason`` and ``overridden``: as for :func:`send_lead`."""
    _check_note(note)
    if need.status not in NEED_REORIENTABLE:
        raise TransitionError(
            f"Ce besoin ne peut plus être réorienté (état actuel : "
            f"{NEED.labels[need.status].lower()})."
        )
    if not partner.active:
        raise TransitionError("Ce partenaire n'est plus actif.")
    passed_cap = _check_pressure(session, [need], over_cap_reason=over_cap_reason)
    referral = Referral(
        partner=partner,
        need=need,
        reasons=list(reasons),
        note=(note or "").strip() or None,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(referral)
    workflows.start(session, referral, REFERRAL, actor=actor, reason_text=passed_cap)
    workflows.transition(
        session,
        need,
        NEED,
        NeedState.REORIENTE,
        actor=actor,
        reason_text=_sent_to(f"Réorienté vers {partner.name}", overridden),
    )
    leads.withdraw_leads(
        session, need, why=f"le besoin est réorienté vers {partner.name}", actor=actor
    )
    queue_template(
        session,
        kind=MailKind.REFERRAL_SENT,
        to=partner.email,
        subject=f"Besoin réorienté : {need.title}",
        template="referral_sent",
        # The partner's answer goes to the animateur who re-oriented (or the platform).
        reply_to=reply_to_of(actor),
        referral=referral,
        link=external_url("referrals.show", referral_id=referral.id),
        unopened=bool(without_working_member(session, [partner])),
    )
    tell_owners(session, [need])
    return referral


# --- from the animateurs' forms ------------------------------------------------------


def propose_need(
    session,
    need: Need,
    *,
    operator_ref: str | None,
    candidate_refs: Iterable[str] = (),
    note: str | None = None,
    actor=None,
    over_cap_reason: str | None = None,
) -> Lead:
    """Propose one need to the operator chosen in the form, with the ticked candidates
    (``over_cap_reason``: see :func:`send_lead`).

    The operator reads why the need is theirs (the routing's shared reasons) only when the
    routing chose them, never why other operators were not chosen. Raises TransitionError
    or ``UnknownCandidate`` (French) and changes nothing otherwise.
    """
    operator = _operator(session, operator_ref)
    candidates = chosen_candidates(session, candidate_refs)
    decision = decide_route(need.ref, session)
    reasons = list(decision.shared) if decision.operator == operator.ref else []
    lead = send_lead(
        session,
        needs=[need],
        operator=operator,
        candidates=candidates,
        actor=actor,
        note=_note(note),
        reasons=reasons,
        over_cap_reason=over_cap_reason,
        overridden=advice_overridden(session, decision, need, operator_ref=operator.ref),
    )
    session.flush()
    return lead


def _bundle_key(refs: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(refs)))


def propose_bundle(
    session,
    need_refs: Iterable[str],
    *,
    operator_ref: str | None,
    candidate_refs: Iterable[str] = (),
    note: str | None = None,
    actor=None,
    filters: BundleFilters | None = None,
    over_cap_reason: str | None = None,
) -> Lead:
    """Propose a bundle of open part-time needs (one of today's bundles, with its reasons)
    to the operator chosen in the form. Raises TransitionError or ``UnknownCandidate``
    (French) and changes nothing otherwise, also when the bundle no longer exists.
    ``filters``: those of the list the bundle was chosen from (a bundle maximal among one
    trade's needs may be part of a larger one among all of them)."""
    wanted = _bundle_key(r.strip() for r in need_refs if r and r.strip())
    bundles = open_need_bundles(session, filters).bundles
    bundle = next((b for b in bundles if _bundle_key(b.needs) == wanted), None)
    if bundle is None:
        raise TransitionError(
            "Ce poste en temps partagé n'existe plus (un des besoins a changé). "
            "Rien n'a été envoyé ; vérifiez la liste ci-dessous."
        )
    operator = _operator(session, operator_ref, "le poste")
    candidates = chosen_candidates(session, candidate_refs)
    needs = list(
        session.scalars(
            select(Need)
            .options(joinedload(Need.company))
            .where(Need.ref.in_(bundle.needs))
            .order_by(Need.ref)
        )
    )
    lead = send_lead(
        session,
        needs=needs,
        operator=operator,
        candidates=candidates,
        actor=actor,
        note=_note(note),
        reasons=list(bundle.reasons),
        over_cap_reason=over_cap_reason,
    )
    session.flush()
    return lead


def check_reorientation(
    session,
    need: Need,
    *,
    partner_ref: str | None,
    code: str | None,
    text: str | None,
    note: str | None = None,
) -> tuple[Partner, str]:
    """The partner chosen in the re-orientation form and the motive in words.

    Raises TransitionError while the need's owner has not confirmed it, and
    ``ReorientationRefused`` with the fields' French messages when the partner is not an
    active one, the motive not from the closed list, or "autre" left without precision;
    the message to the partner (``note``, checked again by :func:`send_referral`) is
    refused in the same answer, every field's error at once.
    """
    if awaiting_owner(need):
        raise TransitionError(
            "Ce besoin attend la confirmation de l'adresse e-mail de l'entreprise."
        )
    if unattached_owner(need):
        raise TransitionError(UNATTACHED_REFUSAL)
    partner_ref = (partner_ref or "").strip()
    partner = (
        session.scalar(select(Partner).where(Partner.ref == partner_ref)) if partner_ref else None
    )
    code = code or ""
    text = _note(text)
    errors = {}
    if partner is None or not partner.active:
        errors["partenaire"] = (
            "Choisissez un partenaire actif dans la liste."
            if session.scalar(select(Partner.id).where(Partner.active.is_(True)).limit(1))
            # Not "in the list": the page shows none (sent from a page read before).
            else "Aucun partenaire actif n'est enregistré : la réorientation ne peut pas "
            "être envoyée."
        )
    if code not in vocab.NO_FIT_REASONS:
        errors["motif"] = "Choisissez le motif de la réorientation."
    elif code == "autre" and not text:
        errors["precision"] = "Précisez le motif « Autre » de la réorientation."
    if problem := text_problem(text) or workflows.text_too_long(text, MAX_NOTE):
        errors["precision"] = problem  # sent to the partner as the motive
    if problem := _note_problem(note):
        errors["note"] = problem
    if errors:
        raise ReorientationRefused(errors=errors)
    reason = text if code == "autre" else vocab.NO_FIT_REASONS[code]
    if code != "autre" and text:
        reason = f"{reason} : {text}"
    return partner, reason


def reorient_need(
    session,
    need: Need,
    *,
    partner_ref: str | None,
    code: str | None,
    text: str | None,
    note: str | None = None,
    actor=None,
    over_cap_reason: str | None = None,
) -> Referral:
    """Re-orient the need to the partner chosen in the form (see
    :func:`check_reorientation`), the motive first, then what the routing tells that
    partner when it chose them (``over_cap_reason``: see :func:`send_referral`)."""
    partner, reason = check_reorientation(
        session, need, partner_ref=partner_ref, code=code, text=text, note=note
    )
    decision = decide_route(need.ref, session)
    shared = routing_reasons_for(decision, need, partner.ref)
    referral = send_referral(
        session,
        need=need,
        partner=partner,
        actor=actor,
        reasons=[reason] + [r for r in shared if r != reason],
        note=_note(note),
        over_cap_reason=over_cap_reason,
        overridden=advice_overridden(session, decision, need, partner_ref=partner.ref),
    )
    session.flush()
    return referral


def routing_reasons_for(decision: RouteDecision, need: Need, partner_ref: str | None) -> list[str]:
    """What the routing tells a partner a need is re-oriented to, after the animateur's
    motive (the referral's reasons, its mail): its shared reasons when it advises that
    partner (``route_advice``: not before qualification, when what it rests on is not
    known), none for another; never why the operators were not chosen (the need page
    shows the animateur every reason, and says which of them go)."""
    _operator, advised = route_advice(decision, need)
    if advised is None or advised != partner_ref:
        return []
    return list(decision.shared)


def _sent_to(sentence: str, overridden: str | None) -> str:
    return f"{sentence} ({overridden})" if overridden else sentence


def advice_overridden(
    session,
    decision: RouteDecision,
    need: Need,
    *,
    operator_ref: str | None = None,
    partner_ref: str | None = None,
) -> str | None:
    """What the routing advised, in French, when the animateur sends the need elsewhere
    (another operator, a partner instead of an operator, an operator instead of a
    re-orientation): the need's history keeps who chose against the platform and what
    it proposed. None when the choice is the advice, or there was none (before
    qualification; a re-orientation with no partner to propose, the animateur choosing)."""
    advised_operator, advised_partner = route_advice(decision, need)
    if advised_operator is not None:
        if advised_operator == operator_ref:
            return None
        name = session.scalar(select(Operator.name).where(Operator.ref == advised_operator))
        return f"choix de l'animateur : la plateforme proposait l'opérateur {name}"
    if advised_partner is not None:
        if advised_partner == partner_ref:
            return None
        name = session.scalar(select(Partner.name).where(Partner.ref == advised_partner))
        return f"choix de l'animateur : la plateforme proposait une réorientation vers {name}"
    if operator_ref is not None and need.status != NeedState.NOUVEAU:
        return "choix de l'animateur : la plateforme proposait une réorientation"
    return None


def route_advice(decision: RouteDecision, need: Need) -> tuple[str | None, str | None]:
    """The operator and the partner the need page preselects: none before qualification
    (the ROME code, level and contract routing rests on are not known yet)."""
    if need.status == NeedState.NOUVEAU:
        return None, None
    if decision.decision == "operator":
        return decision.operator, None
    return None, decision.partner
