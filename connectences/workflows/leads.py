"""What operators do with the leads they receive, and partners with their referrals.

Every change goes through the state machines of :mod:`connectences.workflows` (so it is
logged), inside the caller's transaction; the animateur who sent the lead or referral is
told by mail when it is refused, handed back, placed or closed, and when a placement does
not hold (its follow-up). Each function raises TransitionError with a French message and
changes nothing when the move is not allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from connectences import vocab, workflows
from connectences.clock import LOCAL_TZ, local_date, local_today
from connectences.cvtheque.commitments import MAX_LABEL, over_wished_hours, running_together
from connectences.cvtheque.commitments import describe as describe_commitment
from connectences.cvtheque.history import record_event
from connectences.cvtheque.status import settle_status
from connectences.dates import (
    add_months,
    contract_end_problem,
    period_text,
    placement_end_problem,
    placement_start_problem,
)
from connectences.db_session import stamp_once
from connectences.mail import MailKind, queue_template
from connectences.mail.outbox import reply_to_of
from connectences.matching import week
from connectences.matching.data import candidate_from_model, need_from_model
from connectences.models import (
    Candidate,
    Commitment,
    Company,
    CompanyContact,
    FollowUpPoint,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Placement,
    PlacementNeed,
    Referral,
    Transition,
    User,
)
from connectences.models.base import utcnow
from connectences.needs.owner_news import (
    tell_owner_left,
    tell_owner_still_placed,
    tell_owners,
)
from connectences.prospection.companies import reachable_contacts
from connectences.territory import commune_label, distance_km
from connectences.typography import decimal_fr, hours_plain, of_name, plural
from connectences.urls import external_url
from connectences.workflows import (
    LEAD,
    LEAD_LIVE,
    LEAD_TAKEN_ON,
    NEED,
    NEED_HELD,
    REFERRAL,
    REFERRAL_LIVE,
    REFERRAL_TAKEN_ON,
    ChangedMeanwhile,
    LeadState,
    NeedState,
    ReferralState,
    TransitionError,
)
from connectences.workflows import trial as trials

FOLLOW_UP_MONTHS = (1, 3, 6)
# A follow-up point says how the placement goes at its date: it is recorded from this many
# days before its due date (the reminder is sent on that date), not earlier, or "the
# 3-month point" would be answered five weeks in and the observatory count a placement
# held at 3 months that nobody checked then. Ending a placement (the person left) is the
# exception: it is recorded at any time, on the next point (``record_follow_up``).
FOLLOW_UP_OPENS_DAYS_BEFORE = 7
# What a placement's weekly hours must be, said the same by the form and the rule.
# The placement's person and needs, refused (``record_placement``).
CHOOSE_CANDIDATE = "Choisissez la personne placée."
NOT_A_CANDIDATE = "Cette personne ne fait pas partie des candidats proposés."
CHOOSE_NEEDS = "Choisissez au moins une entreprise."
NOT_IN_LEAD = "Un des besoins choisis ne fait pas partie de cette proposition."
PLACEMENT_HOURS = "Indiquez le nombre d'heures par semaine, entre 1 et 48 (par exemple 8 ou 8,5)."
PLACEMENT_HOURS_RANGE = (1.0, week.MAX_WEEK_HOURS)
"""Weekly hours a placement, or one company's share of a bundle, may take: 1 at least,
the legal week at most (``placement_hours_problem``; the lead page's running total of a
bundle's shares reads them too)."""
# Contracts whose commitment ends: from the needs' duration (a mission lasts under a month),
# owned by the week (``week.work_until``), where a need's lines read it too.
FIXED_TERM = week.FIXED_TERM


class PlacementOverWeek(TransitionError):
    """The placement needs an explicit confirmation (the message says why): it takes
    more than the person's free time, or hours other than its needs' (``hours_to_confirm``).
    ``hours``: the hours placed; ``split``: for a bundle placed company by company, each
    company's hours as said to the operator (« Boulangerie du Port 6 h, Garage Martin
    10 h »), else None; ``confirmation``: what a confirmation must name, the person and
    those hours (``placement_confirmation``): a person or hours changed after the
    question are asked again."""

    def __init__(
        self,
        message: str,
        candidate_id: int,
        hours: float,
        shares: Sequence[tuple[Need, float]] | None = None,
    ):
        super().__init__(message)
        self.hours = hours
        self.split = _split_text(shares) if shares and len(shares) > 1 else None
        self.confirmation = placement_confirmation(candidate_id, hours, shares)


def placement_confirmation(
    candidate_id: int, hours: float, shares: Sequence[tuple[Need, float]] | None = None
) -> str:
    """What the operator confirms when a placement asks (``PlacementOverWeek``): the
    person placed and the weekly hours, and for a bundle placed company by company
    (``shares``: each need and its hours) each company's hours, as the form's hidden
    value sends it back. A confirmation for another person or other hours (the same
    total shared otherwise among the companies too) confirms nothing."""
    said = f"{candidate_id}:{float(hours):g}"
    if shares and len(shares) > 1:
        said += ":" + ",".join(
            f"{need.id}={float(h):g}" for need, h in sorted(shares, key=lambda s: s[0].id)
        )
    return said


def _split_text(shares: Sequence[tuple[Need, float]]) -> str:
    """« Boulangerie du Port 6 h, Garage Martin 10 h »: each company's hours of a bundle
    placed company by company, by company name."""
    return ", ".join(
        f"{need.company.name} {hours_plain(h)}"
        for need, h in sorted(shares, key=lambda s: s[0].company.name)
    )


def commitment_end(
    contract: str, start: date, needs: Sequence[Need], last_day: date | None = None
) -> date | None:
    """Last day of the work a placement gives: for a fixed-term contract, the last day the
    operator gave (``last_day``), else the longest of the needs' durations (a month for a
    mission without one); None when open-ended (``week.work_until``)."""
    return week.work_until(contract, start, [n.duration_months for n in needs], last_day)


def follow_up_months(start: date, term: date | None) -> tuple[int, ...]:
    """The follow-up points a placement plans (months after ``start``): 1, 3 and 6, but
    for a fixed-term contract only those due by the day after its ``term`` (a six-month
    CDD ends the day before its 6-month point, which says whether it ran to its term),
    and always the first: a two-month contract was followed at 3 and 6 months, its
    operator reminded of work long over."""
    if term is None:
        return FOLLOW_UP_MONTHS
    return FOLLOW_UP_MONTHS[:1] + tuple(
        m for m in FOLLOW_UP_MONTHS[1:] if add_months(start, m) <= term + timedelta(days=1)
    )


def follow_up_plan(placement: Placement) -> str:
    """The points planned for ``placement``, as the operator and the animateur read them:
    "Suivi prévu à 1, 3 et 6 mois.", then the point before the trial's end when there is
    one: "Suivi prévu à 1, 3 et 6 mois, et le 24/02/2027 avant la fin de la période
    d'essai (le 03/03/2027)."."""
    points = sorted(placement.follow_ups, key=_months)
    months = [str(p.months) for p in points if p.months != trials.TRIAL_POINT]
    listed = " et ".join([", ".join(months[:-1]), months[-1]] if len(months) > 1 else months)
    plan = f"Suivi prévu à {listed} mois"
    trial = next((p for p in points if p.months == trials.TRIAL_POINT), None)
    if trial is not None and placement.trial_end is not None:
        plan += (
            f", et le {trial.due_on.strftime('%d/%m/%Y')} avant la fin de la période "
            f"d'essai (le {placement.trial_end.strftime('%d/%m/%Y')})"
        )
    return plan + "."


def _months(point: FollowUpPoint) -> int:
    return point.months


def trial_summary(placement: Placement) -> str | None:
    """The placement's trial period as its page says it, with why: the legal maximum
    (and the rule that gives it), an end agreed in the contract, or none; None for a
    placement recorded before the trial was asked."""
    if placement.trial is None:
        return None
    if placement.trial_end is None:
        return "Pas de période d'essai."
    end = placement.trial_end.strftime("%d/%m/%Y")
    if placement.trial == trials.AGREED:
        return f"Période d'essai jusqu'au {end}, convenue au contrat."
    proposal = _trial_proposal(
        placement.contract,
        [item.need for item in placement.needs],
        placement.start_date,
        placement_term(placement),
    )
    # The rule is said only where it still gives the recorded end: once the placement
    # has ended, its term is the last day worked, and the rule read on it would not be
    # the one that set the trial (a contract "of less than a week: no trial").
    reason = (
        f" {proposal.reason}"
        if proposal is not None and proposal.end == placement.trial_end
        else ""
    )
    return f"Période d'essai jusqu'au {end}, durée maximale légale.{reason}"


def _trial_proposal(contract: str, needs: Sequence[Need], start: date, term: date | None):
    level = trials.placement_level(need.level for need in needs)
    return trials.proposed_trial(contract, level, start, term)


def placement_period(placement: Placement) -> str:
    """When the placement's work runs: "à partir du 04/01/2027", or "du 04/01/2027 au
    31/05/2027" for a fixed-term contract."""
    return period_text(placement.start_date, placement_term(placement))


def placement_companies(placement: Placement) -> str:
    """Where the placement's week goes, company by company in week order (``job_week``):
    'Océan Immo Andernos 4 h le jeudi, Transports Lacoste 7 h le vendredi': each
    company's hours (``company_hours``: those the operator gave it, kept after the
    person's erasure). Placed in one commitment at other hours (a sharing among the
    companies nobody gave), each company's days only: 'Océan Immo Andernos le jeudi,
    Transports Lacoste le vendredi'."""
    # A company the person left (``end_at_company``) is no longer where the week goes.
    needs = placement.needs_in_play
    own = {item.need: company_hours(placement, item) for item in placement.needs}
    parts = []
    for need in dict.fromkeys(row.need for row in job_week(needs).days):
        days = week.on_days_text(need.days or ())
        if own[need] is not None:
            parts.append(f"{need.company.name} {hours_plain(own[need])} {days}")
        else:
            parts.append(f"{need.company.name} {days}")
    # A need without days (an old record) has no row in the week: named all the same.
    parts += [n.company.name for n in needs if not n.days]
    return ", ".join(parts)


def company_end_open(placement: Placement, today: date) -> bool:
    """Whether « Fin chez une entreprise » is offered for ``placement``: begun, not
    ended, and still working for two companies or more (``end_at_company``)."""
    return (
        placement.ended_on is None
        and placement.start_date <= today
        and len(placement.needs_in_play) > 1
    )


def needs_in_week_order(placement: Placement) -> list[Need]:
    """The needs the placement still works for, in the order its summary names their
    companies (``placement_companies``: the week's), those without days last."""
    in_play = placement.needs_in_play
    ordered = dict.fromkeys(row.need for row in job_week(in_play).days)
    return [*ordered, *(need for need in in_play if need not in ordered)]


def placement_hours(placement: Placement) -> float:
    """The weekly hours the placement gives now: those recorded, less the hours of the
    companies the person left (``end_at_company``)."""
    return placement.hours_per_week - _left_hours(placement)


def _left_hours(placement: Placement) -> float:
    """The weekly hours of the companies the person left (``end_at_company``): each its
    own (``company_hours``), else, its sharing never given, its need's."""
    total = 0.0
    for item in placement.needs:
        if item.ended_on is not None:
            own = company_hours(placement, item)
            total += own if own is not None else item.need.hours_per_week
    return total


def company_hours(placement: Placement, item: PlacementNeed) -> float | None:
    """The weekly hours ``placement`` gives the company of ``item`` (one of its
    ``needs``), the one rule for a company's share: those kept with the placement
    (``PlacementNeed.hours_per_week``: the hours the operator gave it, kept when the
    person is erased), else, for a row recorded before, its own commitment's
    (``company_commitment``), else its need's when the placement was recorded at its
    needs' hours (each company then had its need's: ``_placement_shares``). None when
    nobody gave how the placement's hours share out among its companies."""
    if item.hours_per_week is not None:
        return item.hours_per_week
    own = company_commitment(placement, item.need)
    if own is not None:
        return own.hours_per_week
    if _same_hours(needs_hours([i.need for i in placement.needs]), placement.hours_per_week):
        return item.need.hours_per_week
    return None


def over_free_time(
    candidate: Candidate,
    hours_per_week: float,
    needs: Sequence[Need],
    start: date,
    until: date | None = None,
) -> str | None:
    """Why a placement in ``needs`` from ``start`` to ``until`` (its last day, None when
    open-ended: ``commitment_end``) exceeds the person's free time on ``start`` (None when
    it fits): more hours than are free, or a need none of whose days is free. A bundle is
    one job over its companies' days: each of them needs a free day of the person (as the
    pool and the lead ask), not only one of them."""
    person = candidate_from_model(candidate)
    free = week.free_hours(person, start)
    free_days = week.free_days(person, start)
    # The week on the start, the work taking some of the placement's time today that ends
    # before it (its days taken today, free then), and the work ending while it runs.
    sentence = week.placement_start_sentence(
        person, [need_from_model(need) for need in needs], hours_per_week, start, until=until
    )
    if not week.running(person.commitments, start):
        wish = f"Souhaite au plus {hours_plain(person.hours_max)} par semaine."
        sentence = f"{wish} {sentence}" if sentence else wish
    # Worded so that no name needs an elision ("de Inès"), the week in its own sentence.
    name = f"{candidate.first_name} {candidate.last_name}"
    if not week.hours_fit(hours_per_week, free):
        return (
            f"Ce placement de {hours_plain(hours_per_week)} par semaine dépasse le temps "
            f"libre qui reste à {name}. {sentence}"
        )
    for need in needs:
        if need.days and not set(need.days) & free_days:
            what = "ce placement" if len(needs) == 1 else f"« {need.title} » ({need.company.name})"
            return f"Aucun jour de {what} n'est libre pour {name}. {sentence}"
    return None


def creator_reply_to(session, record: Lead | Referral) -> str | None:
    """Where an operator's or partner's answer to a mail about ``record`` goes: the
    animateur who sent it (still active), else the platform's contact address."""
    creator = session.get(User, record.created_by_id) if record.created_by_id else None
    return reply_to_of(creator)


def _notify_creator(
    session, record, *, subject: str, message: str, link: str, about: Candidate | None = None
) -> None:
    """Mail the animateur who created the lead or referral (nobody when unknown).
    ``about``: the person the mail names, so that their erasure takes it away too."""
    if record.created_by_id is None:
        return
    user = session.get(User, record.created_by_id)
    if user is None or not user.active:
        return
    queue_template(
        session,
        kind=MailKind.WORKFLOW_UPDATE,
        to=user.email,
        subject=subject,
        template="lead_update",
        message=message,
        link=link,
        candidate_id=getattr(about, "id", None),
    )


def is_held(session, need: Need) -> bool:
    """Whether a live lead (an operator's) or a live referral (a partner's) holds ``need``."""
    held = session.scalar(
        select(Lead.id)
        .join(LeadNeed, LeadNeed.lead_id == Lead.id)
        .where(LeadNeed.need_id == need.id, Lead.status.in_(LEAD_LIVE))
        .limit(1)
    ) or session.scalar(
        select(Referral.id)
        .where(Referral.need_id == need.id, Referral.status.in_(REFERRAL_LIVE))
        .limit(1)
    )
    return held is not None


def back_to_search(
    session, needs: Sequence[Need], *, why: str, actor=None, filled: bool = False
) -> int:
    """Put back in the search (``en_recherche``) the needs a lead or referral held.

    Called once that lead or referral has ended without a placement. A need proposed
    (``propose``) or re-oriented (``reoriente``) stays so while another live lead or
    referral still holds it. ``filled``: the needs are those of a placement that did
    not hold, and those it filled (``pourvu``) go back too. Returns how many needs
    went back.
    """
    movable = (NEED_HELD | {NeedState.POURVU}) if filled else NEED_HELD
    released = 0
    for need in dict.fromkeys(needs):
        if need.status not in movable:
            continue
        if not is_held(session, need):
            workflows.transition(
                session, need, NEED, NeedState.EN_RECHERCHE, actor=actor, reason_text=why
            )
            released += 1
    return released


def withdraw_leads(session, need: Need, *, why: str, actor=None) -> int:
    """Close (``sans_suite``) the live leads holding ``need`` once the animateur abandons
    it or re-orients it to a partner: the operator must not take on (and be given the
    company's details for) a need the platform no longer sends them. A lead of several
    needs closes once none of its other needs is still proposed. Each closed lead's
    operator is told by mail. Returns how many leads were closed."""
    leads = session.scalars(
        select(Lead)
        .join(LeadNeed, LeadNeed.lead_id == Lead.id)
        .where(LeadNeed.need_id == need.id, Lead.status.in_(LEAD_LIVE))
    ).all()
    closed = 0
    for lead in leads:
        others = [item.need for item in lead.needs if item.need_id != need.id]
        if any(other.status == NeedState.PROPOSE for other in others):
            _tell_bundle_shrinks(session, lead, need, why)
            continue
        workflows.transition(
            session, lead, LEAD, LeadState.SANS_SUITE, actor=actor, reason_text=why
        )
        queue_template(
            session,
            kind=MailKind.WORKFLOW_UPDATE,
            to=lead.operator.email,
            reply_to=creator_reply_to(session, lead),
            subject=f"Proposition retirée : {need.title}",
            template="lead_update",
            message=f"La plateforme retire la proposition {_need_titles(lead)} : {why}. "
            "Vous n'avez plus à y donner suite.",
            link=external_url("leads.show", lead_id=lead.id),
            # The operator's page is the lead's, not the need's (an animateur's page).
            link_label="la proposition",
        )
        closed += 1
    return closed


def needs_in_play(lead: Lead) -> list[Need]:
    """The needs ``lead`` offers the operator now: while it is live, those it still holds
    (a company of a bundle that stopped its need, or a need re-oriented meanwhile, is out
    of the job: its week, its hours, its placement); once it has ended, every need it was
    sent with, as its history reads."""
    needs = [item.need for item in lead.needs]
    if lead.status not in LEAD_LIVE:
        return needs
    return [need for need in needs if need.status == NeedState.PROPOSE]


def _tell_bundle_shrinks(session, lead: Lead, need: Need, why: str) -> None:
    """Tell the operator of a bundle ``lead`` that goes on without ``need`` (``why``): which
    company left, and the job that is left (its companies, hours and days)."""
    left = [n for n in needs_in_play(lead) if n.id != need.id]
    names = week.join_fr(list(dict.fromkeys(n.company.name for n in left)))
    alone = " seule" if len({n.company_id for n in left}) == 1 else ""
    days = {d for n in left for d in (n.days or ())}
    queue_template(
        session,
        kind=MailKind.WORKFLOW_UPDATE,
        to=lead.operator.email,
        reply_to=creator_reply_to(session, lead),
        subject=f"Poste en temps partagé : {need.company.name} se retire",
        template="lead_update",
        message=f"« {need.title} » ({need.company.name}) n'est plus à pourvoir : {why}. "
        f"La proposition continue avec {names}{alone} : "
        f"{hours_plain(needs_hours(left))} par semaine, {week.on_days_text(days)}. "
        f"Ne proposez plus le travail chez {need.company.name} aux personnes contactées.",
        link=external_url("leads.show", lead_id=lead.id),
        link_label="la proposition",
    )


def tell_person_withdrawn(session, candidate_id: int) -> int:
    """Before a person's data is erased (at their request, by the staff or at the end of
    its keeping): tell the operator of each live lead proposing them, and the animateur
    who sent it, that one person proposed is no longer in it; the lead stays as it is,
    with the others. The mails name nobody (the person is being erased). Returns how
    many leads were told."""
    leads = session.scalars(
        select(Lead)
        .join(LeadCandidate, LeadCandidate.lead_id == Lead.id)
        .where(LeadCandidate.candidate_id == candidate_id, Lead.status.in_(LEAD_LIVE))
        .order_by(Lead.id)
    ).all()
    for lead in leads:
        left = sum(1 for item in lead.candidates if item.candidate_id != candidate_id)
        remaining = (
            f"Il reste {plural(left, 'personne proposée')}."
            if left
            else "Plus aucune personne n'y est proposée : demandez-en d'autres à l'animateur."
        )
        message = (
            f"Une personne proposée pour {_need_titles(lead)} a retiré ses données de la "
            f"plateforme : elle n'y figure plus et ne doit plus être contactée à ce titre. "
            f"{remaining}"
        )
        link = external_url("leads.show", lead_id=lead.id)
        subject = f"Proposition n° {lead.id} : une personne proposée s'est retirée"
        queue_template(
            session,
            kind=MailKind.WORKFLOW_UPDATE,
            to=lead.operator.email,
            reply_to=creator_reply_to(session, lead),
            subject=subject,
            template="lead_update",
            message=message,
            link=link,
        )
        _notify_creator(session, lead, subject=subject, message=message, link=link)
    return len(leads)


def withdraw_referrals(session, need: Need, *, why: str, actor=None) -> int:
    """Tell the partners holding ``need`` in a live referral that it is abandoned: one not
    taken in hand yet closes (``sans_suite``); one the partner took in hand stays theirs
    to close with its outcome (the person they met may still need them). Each partner is
    told by mail. Returns how many referrals closed."""
    referrals = session.scalars(
        select(Referral).where(Referral.need_id == need.id, Referral.status.in_(REFERRAL_LIVE))
    ).all()
    closed = 0
    for referral in referrals:
        taken = referral.status == ReferralState.PRISE_EN_CHARGE
        if not taken:
            workflows.transition(
                session, referral, REFERRAL, ReferralState.SANS_SUITE, actor=actor, reason_text=why
            )
            closed += 1
        queue_template(
            session,
            kind=MailKind.WORKFLOW_UPDATE,
            to=referral.partner.email,
            reply_to=creator_reply_to(session, referral),
            subject=f"Réorientation retirée : {need.title}",
            template="lead_update",
            message=f"Le besoin « {need.title} » ({need.company.name}) n'est plus d'actualité : "
            f"{why}. "
            + (
                "Clôturez la réorientation avec son issue quand votre accompagnement s'achève."
                if taken
                else "Vous n'avez plus à y donner suite."
            ),
            link=external_url("referrals.show", referral_id=referral.id),
            link_label="la réorientation",
        )
    return closed


def _need_titles(lead: Lead) -> str:
    return ", ".join(f"« {item.need.title} » ({item.need.company.name})" for item in lead.needs)


def need_link(lead: Lead) -> str:
    """The animateurs' page of the lead's (first) need: where a mail about the lead sends
    them (the lead's own page is its operator's, refused to them)."""
    if lead.needs:
        return external_url("needs.show", ref=lead.needs[0].need.ref)
    return external_url("staff.index")


def mark_seen(session, lead: Lead, actor=None) -> bool:
    """Record the first opening of a new lead by its operator (``envoye`` → ``vu``).

    Opening it again, or in a later state, changes nothing; returns whether it moved.
    Another member opening (or answering) it at the same instant is no error: the page
    shows the lead as it now is.
    """
    if lead.status != LeadState.ENVOYE:
        return False
    return _first_opening(session, lead, LEAD, LeadState.VU, actor)


def _first_opening(session, record, workflow, seen: str, actor) -> bool:
    """Move a lead or referral to ``seen`` as its page opens; False when another request
    moved it first (its state is then read again)."""
    try:
        workflows.transition(session, record, workflow, seen, actor=actor)
    except ChangedMeanwhile:
        session.refresh(record, ["status"])
        return False
    return True


@dataclass(frozen=True)
class CompanyReach:
    """How an operator who took a lead on reaches one of its companies."""

    need: Need
    company: Company
    people: list[CompanyContact]  # every contact person, the reachable ones first
    email: str | None  # the company's own address
    work_place: str  # street address and commune where the work happens


def work_place(need: Need) -> str:
    """Where the work happens, as precisely as known: the company's street address and
    commune, or only the need's commune when the work is elsewhere."""
    company = need.company
    place = commune_label(need.place)
    if need.place == company.commune and company.address:
        return f"{company.address}, {place}"
    return place


@dataclass(frozen=True)
class WorkDay:
    """One working day of a shared-time job: where, for whom, how long."""

    day: str  # "lundi"
    need: Need
    hours: float  # the need's weekly hours shared among its days
    spread: str  # "13 h sur lundi et mercredi" when the need runs on several days, else ""

    @property
    def place(self) -> str:
        return commune_label(self.need.place)


@dataclass(frozen=True)
class JobWeek:
    """The week of a lead's job as the person would work it (``job_week``)."""

    days: list[WorkDay]
    summary: str  # "34 h par semaine sur 4 jours ; libre vendredi, samedi et dimanche."
    trips: list[str]  # "Arcachon (33120) – Gujan-Mestras (33470) : 8,7 km", one per two sites


def job_week(needs: Sequence[Need]) -> JobWeek:
    """The week of the job ``needs`` make together, in week order: one row a working day
    (its company, place and hours: a need's weekly hours shared evenly among its days,
    said as such, the company setting the real hours), the total and the free days, and
    the distance between every two sites (as the crow flies, as the pool measures it)."""
    rows = []
    for key, name in vocab.DAYS.items():
        for need in sorted(needs, key=lambda n: n.ref):
            days = need.days or ()
            if key in days:
                spread = (
                    f"{hours_plain(need.hours_per_week)} sur {week.days_text(days)}"
                    if len(days) > 1
                    else ""
                )
                rows.append(WorkDay(name, need, need.hours_per_week / len(days), spread))
    worked = {d for need in needs for d in (need.days or ())}
    free = [d for d in vocab.DAYS if d not in worked]
    summary = f"{hours_plain(needs_hours(needs))} par semaine sur {plural(len(worked), 'jour')}" + (
        f" ; libre {week.days_text(free)}." if free else "."
    )
    sites = list(dict.fromkeys(row.need.place for row in rows))
    trips = []
    for i, a in enumerate(sites):
        for b in sites[i + 1 :]:
            km = distance_km(a, b)
            far = f"{decimal_fr(km, 1)} km" if km is not None else "distance inconnue"
            trips.append(f"{commune_label(a)} – {commune_label(b)} : {far}")
    return JobWeek(rows, summary, trips)


def taken_on(lead: Lead) -> bool:
    """Whether the operator has taken the lead on (accepted, contacting, placed): only
    then may it see how to reach the company and the people."""
    return lead.status in LEAD_TAKEN_ON


def _people(company: Company) -> list[CompanyContact]:
    reachable = reachable_contacts(company)
    return reachable + [c for c in company.contacts if c not in reachable]


def company_reach(lead: Lead) -> list[CompanyReach]:
    """The contact of each company of the lead (person, role, phone, e-mail, work place),
    once the operator has taken it on; nothing before (the name and commune only)."""
    if not taken_on(lead):
        return []
    return [
        CompanyReach(
            need=item.need,
            company=item.need.company,
            people=_people(item.need.company),
            email=item.need.company.contact_email,
            work_place=work_place(item.need),
        )
        for item in lead.needs
    ]


def accept(session, lead: Lead, actor=None) -> Transition:
    """The operator takes the lead on: it will contact the company and the candidates.

    The member who accepts gets a confirmation mail with what they now need on the
    road: each company's contact, the work place and the animateur's note (the
    organisation's address when nobody is named).
    """
    if lead.status == LeadState.ENVOYE:
        # Not ``mark_seen``: a lead answered by another member meanwhile must refuse this
        # answer (ChangedMeanwhile), not be read again and judged on its new state.
        workflows.transition(session, lead, LEAD, LeadState.VU, actor=actor)
    entry = workflows.transition(session, lead, LEAD, LeadState.ACCEPTE, actor=actor)
    title = "le poste en temps partagé" if lead.is_bundle else f"« {lead.needs[0].need.title} »"
    queue_template(
        session,
        kind=MailKind.LEAD_ACCEPTED,
        to=getattr(actor, "email", None) or lead.operator.email,
        # A question about the companies or the note goes to the animateur who proposed.
        reply_to=creator_reply_to(session, lead),
        subject=f"Proposition acceptée : contacter {_company_names(lead)}",
        template="lead_accepted",
        lead=lead,
        link=external_url("leads.show", lead_id=lead.id),
        title=title,
        reach=company_reach(lead),
    )
    return entry


def _company_names(lead: Lead) -> str:
    return ", ".join(dict.fromkeys(item.need.company.name for item in lead.needs))


def start_contacting(session, lead: Lead, actor=None) -> Transition:
    """The operator has started contacting the proposed candidates (``en_cours``)."""
    return workflows.transition(session, lead, LEAD, LeadState.EN_COURS, actor=actor)


def refuse(session, lead: Lead, reason: str, text: str | None = None, actor=None) -> Transition:
    """Refuse a lead with a reason from the closed list (``autre`` needs a text).

    The needs go back to the search and the animateur is told why.
    """
    name = lead.operator.name
    entry = _end_releasing_needs(
        session,
        lead,
        LeadState.REFUSE,
        text,
        actor,
        reason_code=reason,
        why=f"Proposition refusée par {name}",
        subject=f"Proposition refusée par {name}",
        message=f"{name} a refusé la proposition {_need_titles(lead)}. "
        f"Motif : {vocab.motive(vocab.LEAD_REFUSAL_REASONS, reason, text)}. "
        "Le besoin est de nouveau en recherche.",
    )
    lead.refusal_reason = reason
    lead.refusal_text = entry.reason_text
    return entry


def hand_back(session, lead: Lead, text: str, actor=None) -> Transition:
    """The operator hands the lead back (with its reason, required) so the animateur can
    route the needs elsewhere: they go back to ``en_recherche``. The reason is asked by
    the machine (``LEAD.texts``) once the move is allowed: a lead settled meanwhile says
    so, not that its reason is missing."""
    text = (text or "").strip()
    name = lead.operator.name
    return _end_releasing_needs(
        session,
        lead,
        LeadState.RENDU,
        text,
        actor,
        why=f"Proposition rendue par {name}",
        subject=f"Proposition rendue par {name}",
        message=f"{name} a rendu la proposition {_need_titles(lead)} : {text}. "
        "Le besoin est de nouveau en recherche : vous pouvez l'orienter ailleurs.",
    )


def close_without_outcome(session, lead: Lead, text: str | None = None, actor=None) -> Transition:
    """The lead ends without a placement (``sans_suite``); its needs go back to the search."""
    name, reason = lead.operator.name, (text or "").strip()
    return _end_releasing_needs(
        session,
        lead,
        LeadState.SANS_SUITE,
        text,
        actor,
        why=f"Sans suite chez {name}",
        subject=f"Proposition sans suite chez {name}",
        message=f"La proposition {_need_titles(lead)} est close sans placement"
        + (f" : {reason}." if reason else ".")
        + " Le besoin est de nouveau en recherche.",
    )


# The states whose page tells how the record ended (a refusal, a placement and a
# referral's outcome are shown by their own fields), and the words for it.
_ENDINGS = {
    ("lead", LeadState.RENDU): "Rendue",
    ("lead", LeadState.SANS_SUITE): "Close sans suite",
    ("referral", ReferralState.SANS_SUITE): "Close sans suite",
}


def ending(session, record: Lead | Referral) -> str | None:
    """How a lead handed back or closed « sans suite », or a referral closed « sans
    suite », ended, in French, for its organisation's members: a colleague's move by
    their name, the platform's (the need abandoned or re-oriented by the animateur:
    « par la plateforme », no staff name), the scheduler's with its own reason; when,
    and why as logged. The page said only « état : Sans suite » to a member whose lead
    was withdrawn while they were on it. None in any other state."""
    workflow = LEAD if isinstance(record, Lead) else REFERRAL
    said = _ENDINGS.get((workflow.entity, record.status))
    if said is None:
        return None
    entry = session.scalars(
        select(Transition)
        .where(
            Transition.entity == workflow.entity,
            Transition.entity_id == record.id,
            Transition.to_state == record.status,
        )
        .order_by(Transition.at.desc(), Transition.id.desc())
        .limit(1)
    ).first()
    if entry is None:
        return None
    day = local_date(entry.at).strftime("%d/%m/%Y")
    reason = (entry.reason_text or "").strip().rstrip(".")
    if entry.actor_id is None:
        # The scheduler's reason says it all (« Clôturée automatiquement : … »).
        return f"{reason} (le {day})." if reason else f"{said} le {day}."
    actor = session.get(User, entry.actor_id)
    colleague = actor is not None and (
        actor.operator_id == record.operator_id
        if isinstance(record, Lead)
        else actor.partner_id == record.partner_id
    )
    by = f"par {actor.full_name or actor.email}" if colleague else "par la plateforme"
    return f"{said} le {day} {by}" + (f" : {reason}." if reason else ".")


def _end_releasing_needs(
    session,
    lead: Lead,
    state,
    text,
    actor,
    *,
    why: str,
    subject: str,
    message: str,
    reason_code: str | None = None,
) -> Transition:
    """Move the lead to ``state`` (``text`` its reason), put its needs back in the search
    (``why`` in their history) and mail ``subject`` and ``message`` to the animateur who
    sent it."""
    entry = workflows.transition(
        session, lead, LEAD, state, actor=actor, reason_code=reason_code, reason_text=text
    )
    back_to_search(session, [item.need for item in lead.needs], why=why, actor=actor)
    _notify_creator(
        session,
        lead,
        subject=subject,
        message=message,
        link=need_link(lead),
    )
    return entry


def placement_hours_problem(hours: float | None) -> str | None:
    """Why ``hours`` cannot be a placement's weekly hours, or one company's of a bundle
    (``PLACEMENT_HOURS``: 1 to 48); None when they can."""
    # Written so that NaN (a float the form may parse) is refused too.
    least, most = PLACEMENT_HOURS_RANGE
    if hours is None or not least <= hours <= most:
        return PLACEMENT_HOURS
    return None


def placement_refused(lead: Lead) -> str | None:
    """Why ``lead`` takes no placement in its state, in the lead's own French words
    (placed already, closed, not accepted yet: nothing changed); None when it does. The
    lead page shows the placement form only then."""
    if LeadState.PLACE in LEAD.allowed(lead.status):
        return None
    return LEAD.why_impossible(lead.status, LeadState.PLACE)


def record_placement(
    session,
    lead: Lead,
    *,
    candidate: Candidate | None,
    needs: Sequence[Need],
    hours_per_week: float | None = None,
    company_hours: Mapping[int, float] | None = None,
    contract: str,
    start_date: date,
    end_date: date | None = None,
    trial: str | None = None,
    trial_end: date | None = None,
    actor=None,
    confirmed: str | None = None,
    refused: Mapping[str, str] | None = None,
) -> Placement:
    """Record that the operator placed one of the lead's candidates in one or more of its
    companies (a bundle places one person in several).

    The hours: ``hours_per_week``, the placement's total; or, for a bundle,
    ``company_hours``, the weekly hours at each company the operator gave (need id to
    hours: one for each need placed, each 1 to 48, the placement's hours their total).

    The placement becomes a commitment of the person (its hours, the days of the needs
    placed, an end for a fixed-term contract: ``end_date``, the contract's last day when
    the operator gives it, else ``commitment_end``); a bundle, one commitment per company
    (``_placement_shares``), each with its hours (``company_hours``; given a total only,
    at the needs' hours when the total is theirs), which the placement keeps too, company
    by company (``PlacementNeed.hours_per_week``: they outlive the person's erasure); and
    their status
    follows their week (``cvtheque.status.settle_status``): ``en_mission`` while they
    have free time to fill, ``place`` once it is full for good or they want no more.
    Each need placed becomes ``pourvu``; the lead becomes ``place``; the lead's other
    needs (a bundle placed in only some of its companies) go back to the search;
    follow-up points are planned 1, 3 and 6 months after the start, those a fixed-term
    contract reaches (``follow_up_months``).

    ``trial`` says how the operator set the trial period (``workflows.trial``): the
    legal maximum (``legale``, computed from the contract, the needs' highest level and
    the contract's term), an end agreed in the contract (``convenue``, ``trial_end`` its
    last day, between the start and the contract's last day) or none (``aucune``); one
    more point is then planned a few days before the trial ends. None (a caller that does
    not ask): no trial recorded, no point planned for it.

    A placement over the person's free hours or on none of their free days, or at hours
    other than its chosen needs' (``hours_to_confirm``: their hours, and the commitments
    then written; for a bundle, any company's hours other than its need's), raises
    ``PlacementOverWeek`` (saying why) unless ``confirmed``, what the operator confirmed,
    names the very person and hours placed, company by company
    (``placement_confirmation``): a confirmation given for another person or other hours
    is asked again. One that would take the week of commitments over 48
    hours, or over six days (``week.seventh_day``, with the commitments running on one same day with
    it), is refused outright.

    ``refused``: what the caller could not read, by field (this function's names: a
    form's hours that are no number, a date that is no date, a person or need not of
    the lead; that value then given as None or left out). Said in the same refusal as
    the problems found here, each field's message the caller's.
    """
    # Every field's problem at once, each next to its field: one sent with two wrong
    # fields (0 hours and no contract) came back for one, then for the other; one whose
    # hours the form could not read (« 8,555 ») came back for them, then for another
    # company's 0 h.
    errors: dict[str, str] = dict(refused or {})
    if candidate is None:
        errors.setdefault("candidate", CHOOSE_CANDIDATE)
    elif candidate.id not in {item.candidate_id for item in lead.candidates}:
        errors.setdefault("candidate", NOT_A_CANDIDATE)
    needs = list(dict.fromkeys(needs))
    lead_need_ids = {item.need_id for item in lead.needs}
    if not needs:
        errors.setdefault("needs", CHOOSE_NEEDS)
    elif any(need.id not in lead_need_ids for need in needs):
        errors.setdefault("needs", NOT_IN_LEAD)
    if contract not in vocab.CONTRACTS:
        errors.setdefault("contract", "Choisissez un type de contrat dans la liste.")
    # Each company's hours of a bundle, each beside its own field
    # (``company_hours_field``); none read for a need refused above.
    shares: list[tuple[Need, float]] | None = None
    if company_hours is not None:
        if hours_per_week is not None:
            raise ValueError("record_placement takes hours_per_week or company_hours, not both")
        shares = []
        for need in needs if "needs" not in errors else ():
            hours = company_hours.get(need.id)
            if why := placement_hours_problem(hours):
                errors.setdefault(company_hours_field(need.id), why)
            else:
                shares.append((need, float(hours)))
        hours_per_week = sum(hours for _, hours in shares)
        # One company of a bundle chosen: its hours are the placement's, as a total.
        if len(shares) < 2:
            shares = None
    elif why := placement_hours_problem(hours_per_week):
        errors.setdefault("hours_per_week", why)
    # The person was proposed in this lead: work begun before it was sent is not its
    # placement (and its follow-up points would all be overdue at once).
    sent_on = local_date(lead.created_at) if lead.created_at is not None else None
    # Of the two lower bounds (the sending, a year back) the later one is said: « pas
    # avant » a year ago, then refused again for the sending, took two tries.
    if not isinstance(start_date, date):
        errors.setdefault("start_date", "Indiquez la date de début.")
    elif (
        sent_on is not None
        and start_date < sent_on
        and not placement_start_problem(sent_on, local_today())
    ):
        errors["start_date"] = (
            "La date de début ne peut pas précéder l'envoi de la proposition "
            f"(le {sent_on.strftime('%d/%m/%Y')})."
        )
    elif why := placement_start_problem(start_date, local_today()):
        errors["start_date"] = why
    # The last day is judged against a known contract and a start that stands.
    if end_date is not None and "contract" not in errors:
        why = None
        if contract not in FIXED_TERM:
            why = (
                f"Un {vocab.label(vocab.CONTRACTS, contract)} n'a pas de date de fin : "
                "laissez ce champ vide, ou choisissez un CDD, un contrat saisonnier ou une "
                "mission."
            )
        elif not isinstance(end_date, date):
            why = "Indiquez la date de fin du contrat (jj/mm/aaaa)."
        elif "start_date" not in errors:
            why = contract_end_problem(end_date, start_date, local_today())
        if why:
            errors.setdefault("end_date", why)
    # The trial, judged with the fields above (a trial agreed past the contract's last
    # day came back only once the hours were right), against the values that stand.
    until = None
    if errors.keys().isdisjoint(("contract", "needs", "start_date", "end_date")):
        until = commitment_end(contract, start_date, needs, end_date)
    trial_last_day = _trial_end(trial, trial_end, contract, needs, start_date, until, errors)
    if errors:
        raise TransitionError(next(iter(errors.values())), errors=errors)
    if why := placement_refused(lead):
        raise TransitionError(why)
    for need in needs:
        # Only a need this lead still holds (proposed): one abandoned or re-oriented
        # meanwhile is no longer the operator's to fill.
        if need.status != NeedState.PROPOSE or NeedState.POURVU not in NEED.allowed(need.status):
            raise TransitionError(
                f"Le besoin « {need.title} » ne peut plus être pourvu "
                f"(état : {vocab.label(NEED.labels, need.status).lower()})."
            )
    days = {d for need in needs for d in (need.days or ())}
    held = [(c.hours_per_week, c.until) for c in candidate.commitments]
    total = week.over_week_limit([*held, (float(hours_per_week), until)], start_date)
    if total is not None:
        raise TransitionError(
            f"Avec ce placement, {candidate.first_name} {candidate.last_name} aurait "
            f"{hours_plain(total)} de travail par semaine : pas plus de "
            f"{hours_plain(week.MAX_WEEK_HOURS)} en tout."
        )
    for together in running_together(candidate.commitments, start_date, until, start_date):
        if why := week.seventh_day(days, (c.days or () for c in together)):
            why = f"Placement impossible pour {candidate.first_name} {candidate.last_name}. {why}"
            raise TransitionError(why, errors={"needs": why})
    is_confirmed = confirmed == placement_confirmation(candidate.id, hours_per_week, shares)
    to_confirm = [
        why
        for why in (
            hours_to_confirm(lead, needs, float(hours_per_week), shares),
            over_free_time(candidate, float(hours_per_week), needs, start_date, until),
        )
        if why
    ]
    if to_confirm and not is_confirmed:
        raise PlacementOverWeek(
            " ".join([*to_confirm, "Confirmez pour l'enregistrer quand même."]),
            candidate_id=candidate.id,
            hours=float(hours_per_week),
            shares=shares,
        )

    workflows.transition(
        session,
        lead,
        LEAD,
        LeadState.PLACE,
        actor=actor,
        # The log outlives the person (their erasure keeps it): no name in it.
        reason_text="Personne placée (voir le placement)",
    )
    placement = Placement(
        lead=lead,
        candidate=candidate,
        hours_per_week=float(hours_per_week),
        contract=contract,
        start_date=start_date,
        trial=trial,
        trial_end=trial_last_day,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(placement)
    # What the person's commitments will hold, company by company: each company's hours
    # are the placement's too (``company_hours``), kept once the person is erased.
    written = _placement_shares(needs, float(hours_per_week), days, shares)
    agreed = {need: hours for _, hours, _, need in written if need is not None}
    placement.needs = [PlacementNeed(need=need, hours_per_week=agreed.get(need)) for need in needs]
    placement.follow_ups = [
        FollowUpPoint(months=m, due_on=add_months(start_date, m))
        for m in follow_up_months(start_date, until)
    ]
    if trial_last_day is not None:
        placement.follow_ups.append(
            FollowUpPoint(
                months=trials.TRIAL_POINT, due_on=trials.point_due(start_date, trial_last_day)
            )
        )
    for need in needs:
        workflows.transition(
            session,
            need,
            NEED,
            NeedState.POURVU,
            actor=actor,
            reason_text=f"Placé par {lead.operator.name}",
        )
    tell_owners(session, needs)
    # A bundle placed in only some of its companies: the lead is settled, so the needs
    # left out would stay ``propose`` with nothing holding them; they go back to the
    # search like the needs of a lead that ended without a placement.
    left_out = [item.need for item in lead.needs if item.need not in needs]
    back_to_search(
        session,
        left_out,
        why=f"Non retenu au placement par {lead.operator.name} "
        "(la personne est placée ailleurs dans la proposition)",
        actor=actor,
    )
    companies = ", ".join(need.company.name for need in needs)
    commitments = [
        Commitment(
            label=placement_label(label, lead.operator.name),
            hours_per_week=float(hours),
            days=list(held_days),
            start=start_date,
            until=until,
            source="placement",
            placement=placement,
            need_id=getattr(share_need, "id", None),
            created_by_id=getattr(actor, "id", None),
        )
        for label, hours, held_days, share_need in written
    ]
    candidate.commitments.extend(commitments)
    # Matching re-reads people whose updated_at moved; a person already en mission keeps
    # their status, so the new commitment alone must mark them changed.
    candidate.updated_at = utcnow()
    record_event(
        session,
        candidate,
        "commitment",
        f"Placement par {lead.operator.name} : "
        f"{' ; '.join(describe_commitment(c) for c in commitments)}.",
        actor=getattr(actor, "id", None),
    )
    settle_status(session, candidate, actor=actor, reason=f"placement par {lead.operator.name}")
    session.flush()
    # The operator confirmed a placement beyond the person's free time; the animateur
    # who follows the person learns it here (nothing refused it).
    over_wish = over_wished_hours(candidate, start_date)
    _notify_creator(
        session,
        lead,
        subject=f"Placement enregistré par {lead.operator.name}",
        message=f"{lead.operator.name} a placé {candidate.first_name} {candidate.last_name} "
        f"chez {companies} ({hours_plain(hours_per_week)} par semaine, "
        f"{vocab.label(vocab.CONTRACTS, contract)}, {placement_period(placement)}). "
        f"{follow_up_plan(placement)}"
        + "".join(
            f" Le besoin « {n.title} » ({n.company.name}) est de nouveau en recherche."
            for n in left_out
            if n.status == NeedState.EN_RECHERCHE
        )
        + (f" {over_wish}" if over_wish else ""),
        link=need_link(lead),
        about=candidate,
    )
    return placement


def _same_hours(a: float, b: float) -> bool:
    """Whether two weekly hours are the same, float error aside (``week.hours_fit``)."""
    return week.hours_fit(a, b) and week.hours_fit(b, a)


def needs_hours(needs: Sequence[Need]) -> float:
    """The weekly hours of ``needs`` together: a bundle's total."""
    total = 0.0
    for need in needs:
        total = total + need.hours_per_week
    return total


def hours_to_confirm(
    lead: Lead,
    needs: Sequence[Need],
    hours: float,
    shares: Sequence[tuple[Need, float]] | None = None,
) -> str | None:
    """Why placing ``needs`` of ``lead`` at ``hours`` a week needs a confirmation, in
    French: hours other than the needs', which the form proposes (a 20 h need placed at
    40 h; for a bundle placed company by company, ``shares``, any company's hours other
    than its need's, even at the same total). Says the needs' hours and what will be
    written (``_placement_shares``: for a bundle, one commitment per company at its
    hours; given a total only, one commitment at the hours typed). None at the needs'
    hours."""
    total = needs_hours(needs)
    if shares:
        if all(_same_hours(need.hours_per_week, h) for need, h in shares):
            return None
    elif _same_hours(total, hours):
        return None
    days = {d for need in needs for d in (need.days or ())}
    each = ", ".join(
        f"{need.company.name} {hours_plain(need.hours_per_week)}"
        for need in sorted(needs, key=lambda n: n.company.name)
    )
    chosen = "Le besoin choisi fait" if len(needs) == 1 else "Les besoins choisis font"
    written_shares = _placement_shares(needs, hours, days, shares)
    written = " ; ".join(
        f"{hours_plain(h)} par semaine {week.on_days_text(d)} ({label})"
        for label, h, d, _ in written_shares
    )
    if lead.is_bundle:
        text = f"{chosen} {hours_plain(total)} par semaine en tout ({each})"
    else:
        text = f"Le besoin « {needs[0].title} » fait {hours_plain(total)} par semaine"
    typed = hours_plain(hours) + (f" ({_split_text(shares)})" if shares else "")
    if len(written_shares) > 1:
        return (
            text
            + f", vous indiquez {typed} : sera enregistré un engagement par entreprise, {written}."
        )
    text += f", vous indiquez {typed} : sera enregistré un engagement de {written}"
    if shares:
        # A need without days (an old record): the person's week cannot say whose days.
        text += ", un des besoins ne disant pas ses jours"
    elif len(needs) > 1:
        text += (
            f", faute de savoir comment ces heures se répartissent entre les entreprises "
            f"(à {hours_plain(total)}, un engagement par entreprise aux heures de son besoin)"
        )
    return text + "."


def _placement_shares(
    needs: Sequence[Need],
    hours: float,
    days: set[str],
    shares: Sequence[tuple[Need, float]] | None = None,
) -> list[tuple[str, float, list[str], Need | None]]:
    """The commitments a placement gives, as (company, hours, days, need: None for one
    over several companies): one per company of a bundle (each its need's days, the
    person's week then saying who takes each day), at the hours the operator gave each
    company (``shares``) or, given a total only, at its need's hours when the total is
    theirs; one over all the days otherwise (a single need, hours whose sharing among
    the companies is not known, or a need without days)."""
    if len(needs) > 1 and all(n.days for n in needs):
        if shares:
            return [
                (need.company.name, float(h), vocab.week_order(need.days), need)
                for need, h in shares
            ]
        if _same_hours(needs_hours(needs), hours):
            return [
                (need.company.name, need.hours_per_week, vocab.week_order(need.days), need)
                for need in needs
            ]
    only = needs[0] if len(needs) == 1 else None
    return [(", ".join(need.company.name for need in needs), hours, vocab.week_order(days), only)]


def company_hours_field(need_id: int) -> str:
    """The name, in ``record_placement``'s errors, of the hours given for the company of
    the need ``need_id`` (``company_hours``)."""
    return f"hours_per_week:{need_id}"


def _trial_end(
    trial: str | None,
    given: date | None,
    contract: str,
    needs: Sequence[Need],
    start: date | None,
    term: date | None,
    errors: dict[str, str],
) -> date | None:
    """The trial's last day from the operator's choice (see ``record_placement``), None
    for no trial or a choice that cannot be followed: why, in French, is then added to
    ``errors`` (``record_placement``'s, by field) on the ``trial`` or ``trial_end``
    field, unless that field is already refused. A choice is judged only against the
    values ``errors`` leaves standing: the legal trial and an agreed end's bounds need
    the contract, needs, start and last day (``term``, from them); an agreed end before
    the start needs the start alone."""
    if trial is None or trial == trials.NONE:
        return None
    if trial not in (trials.LEGAL, trials.AGREED):
        errors.setdefault("trial", "Choisissez une option pour la période d'essai.")
        return None
    if trial == trials.AGREED and not isinstance(given, date):
        errors.setdefault(
            "trial_end", "Indiquez le dernier jour de la période d'essai convenue (jj/mm/aaaa)."
        )
        return None
    if "start_date" in errors or not isinstance(start, date):
        return None
    if not errors.keys().isdisjoint(("contract", "needs", "end_date")):
        # The start stands, not what the trial's length is read from.
        if trial == trials.AGREED and (why := trials.trial_problem(given, start, None)):
            errors.setdefault("trial_end", why)
        return None
    if trial == trials.LEGAL:
        proposal = _trial_proposal(contract, needs, start, term)
        if proposal is None:
            errors.setdefault(
                "trial",
                "Sans le dernier jour du contrat, la durée maximale de la période d'essai "
                "ne se calcule pas : indiquez-le, ou la fin de l'essai convenue au contrat, "
                "ou « pas de période d'essai ».",
            )
            return None
        return proposal.end
    level = trials.placement_level(need.level for need in needs)
    longest = trials.longest_agreed(contract, level, start, term)
    if why := trials.trial_problem(given, start, term, longest):
        errors.setdefault("trial_end", why)
        return None
    return given


def point_to_record(placement: Placement) -> FollowUpPoint | None:
    """The follow-up point to record next: the earliest due not recorded yet (1, 3, then
    6 months, the point before the trial's end where its day falls); None once every
    point is recorded or the placement has ended (its points left are no longer due)."""
    if placement.ended_on is not None:
        return None
    waiting = [point for point in placement.follow_ups if point.done_at is None]
    return min(waiting, key=lambda point: (point.due_on, point.months), default=None)


def point_opens_on(point: FollowUpPoint) -> date:
    """The first day ``point`` may be recorded as holding (``FOLLOW_UP_OPENS_DAYS_BEFORE``
    days before it is due); the page shows its form from then, and the reminder, sent on
    its due date, always finds it open."""
    return point.due_on - timedelta(days=FOLLOW_UP_OPENS_DAYS_BEFORE)


def point_name(point: FollowUpPoint) -> str:
    """ "suivi à 3 mois", "suivi avant la fin de la période d'essai"."""
    return trials.point_label(point.months)


def record_follow_up(
    session,
    point: FollowUpPoint,
    *,
    company_feedback: str | None,
    candidate_feedback: str | None,
    holds: bool | None,
    ended_on: date | None = None,
    search_again: bool = True,
    actor=None,
) -> FollowUpPoint:
    """Record how a placement goes at one follow-up point, whether it holds, and who said so.

    Once, in order (``point_to_record``) and not before the placement has started: a
    recorded point is shown read-only (answering it again replaced the answer without a
    trace), a later point says nothing of the earlier ones, and "does it hold?" has no
    answer before the person's first day. Nor before the point's own time
    (``point_opens_on``): "it holds" five weeks in is no 3-month point. The answer "it
    does not hold" (the person left) is taken at any time once the placement started:
    it ends the placement on the next point to record.

    A placement that does not hold ends (``ended_on``: its last day, today when not
    given, between its first day and today), in the same transaction: the person's
    commitment from it ends that day too and their status follows their week; the
    later points are no longer due; with ``search_again`` (the company still needs
    someone) the needs it filled go back to the search; the animateur who sent the lead
    is told. ``holds`` None (the question left unanswered) is refused; the last day is
    then not judged, since it belongs to the answer "no". Raises TransitionError (French)
    and changes nothing when refused; ChangedMeanwhile once the point is recorded
    (``recorded_meanwhile``).
    """
    placement = point.placement
    if point.done_at is not None:
        raise ChangedMeanwhile(recorded_meanwhile(point, actor))
    if placement.ended_on is not None:
        # A stale page: nothing typed is wrong (« Rien n'a été enregistré »).
        raise ChangedMeanwhile(
            f"Le placement a pris fin le {placement.ended_on.strftime('%d/%m/%Y')} : "
            "son suivi est clos."
        )
    start = placement.start_date
    if start is not None and local_today() < start:
        raise TransitionError(
            f"Le placement commence le {start.strftime('%d/%m/%Y')} : son suivi se fait "
            "une fois la personne en poste."
        )
    first = point_to_record(placement)
    if first is not None and first is not point:
        raise TransitionError(f"Enregistrez d'abord le {point_name(first)}.")
    opens = point_opens_on(point)
    if holds is not False and local_today() < opens:
        raise TransitionError(
            f"Le {point_name(point)} se remplit à partir du {opens.strftime('%d/%m/%Y')}, "
            f"{FOLLOW_UP_OPENS_DAYS_BEFORE} jours avant son échéance du "
            f"{point.due_on.strftime('%d/%m/%Y')}. Si la personne a quitté son poste, "
            "enregistrez la fin du placement : elle se fait à tout moment."
        )
    company_feedback = (company_feedback or "").strip() or None
    candidate_feedback = (candidate_feedback or "").strip() or None
    errors = {}
    if company_feedback is None and candidate_feedback is None:
        errors["feedback"] = "Indiquez au moins un retour (entreprise ou personne)."
    for name, text in (
        ("company_feedback", company_feedback),
        ("candidate_feedback", candidate_feedback),
    ):
        if why := workflows.text_too_long(text):
            errors[name] = why
    last_day = None
    if holds is None:
        errors["holds"] = "Dites si le recrutement tient."
    elif not holds:
        last_day = local_today() if ended_on is None else ended_on
        if not isinstance(last_day, date):
            errors["ended_on"] = "Indiquez le dernier jour travaillé (jj/mm/aaaa)."
        elif why := placement_end_problem(
            last_day, start, local_today(), placement_term(placement)
        ) or _before_a_company_left(placement, last_day):
            errors["ended_on"] = why
    if errors:
        raise TransitionError(next(iter(errors.values())), errors=errors)
    _claim(session, point, actor)
    point.company_feedback = company_feedback
    point.candidate_feedback = candidate_feedback
    point.holds = bool(holds)
    point.done_by_id = getattr(actor, "id", None)
    if last_day is not None:
        _end_placement(session, point, last_day, search_again=search_again, actor=actor)
    return point


def placement_term(placement: Placement) -> date | None:
    """The last day the placement was planned to last (its commitment's ``until``, the
    end of a fixed-term contract), None for open-ended work or a person erased."""
    person = placement.candidate
    # A company the person left (``end_at_company``): its commitment's end is that day,
    # not the placement's term.
    left = {company_commitment(placement, item.need) for item in placement.needs if item.ended_on}
    mine = [c for c in (person.commitments if person else []) if c.placement_id == placement.id]
    # Nor is that of one commitment over several companies shared out on that day
    # (``_shares_of_held``): the companies that remain hold theirs from the next day.
    starts = [c.start for c in mine if c.start is not None]
    ends = [
        c.until
        for c in mine
        if c.until is not None and c not in left and not any(s > c.until for s in starts)
    ]
    return min(ends, default=None)


def _claim(session, point: FollowUpPoint, actor) -> None:
    """Mark the point recorded where the stored row is still unrecorded: of two answers
    sent at the same instant (two members, a form sent twice), the second writes nothing
    and is refused (ChangedMeanwhile), as ``workflows.transition`` does for a state."""
    if not stamp_once(session, point, "done_at", done_at=utcnow()):
        session.refresh(point)  # the answer that won: who recorded it, when
        raise ChangedMeanwhile(recorded_meanwhile(point, actor))


def recorded_meanwhile(point: FollowUpPoint, actor=None) -> str:
    """The refusal of an answer to ``point`` sent once it was recorded (only a point not
    recorded offers its form: another member, another tab, a form sent twice): said
    plainly, with who recorded it and when where known (``actor``: the person
    refused). The page shows what was recorded, and keeps what was typed."""
    by = ""
    if point.done_by is not None:
        if actor is not None and point.done_by_id == getattr(actor, "id", None):
            by = " par vous (dans un autre onglet, ou ce formulaire envoyé deux fois)"
        else:
            by = f" par {point.done_by.full_name or point.done_by.email}"
    when = ""
    if point.done_at is not None:
        done_at = point.done_at
        if done_at.tzinfo is not None:
            done_at = done_at.astimezone(LOCAL_TZ)
        when = f", le {done_at:%d/%m/%Y à %H:%M}"
    return (
        f"Le {point_name(point)} a été enregistré entre-temps{by}{when} : votre réponse ne "
        "l'a pas remplacé, un point de suivi ne se modifie pas. Ce qui a été enregistré "
        "est ci-dessous, puis ce que vous aviez saisi."
    )


def _end_placement(
    session, point: FollowUpPoint, last_day: date, *, search_again: bool, actor
) -> None:
    """End the placement of ``point``, which does not hold, on ``last_day`` (see
    ``record_follow_up``)."""
    placement = point.placement
    operator = placement.lead.operator.name
    _close_placement(
        session,
        placement,
        last_day,
        ended_by="suivi",
        search_again=search_again,
        actor=actor,
        event=f"le recrutement ne tenant pas ({point_name(point)})",
        # The log outlives the person (their erasure keeps it): no name in it.
        log=f"Le placement par {operator} ne tient pas ({point_name(point)})",
        subject="Le placement ne tient pas",
        said=lambda of_whom, companies, day: (
            f"{operator} indique au {point_name(point)} que le placement {of_whom} chez "
            f"{companies} ne tient pas : il a pris fin le {day}."
        ),
    )


def _before_a_company_left(placement: Placement, last_day: date) -> str | None:
    """The French refusal of a whole placement's end on ``last_day`` before the day the
    person left one of its companies (``end_at_company``, already recorded): they worked
    there until then. None when the day is not before any such end."""
    left = [item for item in placement.needs if item.ended_on is not None]
    latest = max(left, key=lambda item: item.ended_on, default=None)
    if latest is None or last_day >= latest.ended_on:
        return None
    return (
        f"La personne a quitté {latest.need.company.name} le "
        f"{latest.ended_on.strftime('%d/%m/%Y')} (déjà enregistré) : le dernier jour "
        "travaillé du placement ne peut pas précéder ce jour."
    )


def _close_placement(
    session,
    placement: Placement,
    last_day: date,
    *,
    ended_by: str,
    search_again: bool,
    actor,
    event: str,
    log: str,
    subject: str,
    said,
) -> None:
    """End ``placement`` as a whole on ``last_day`` (``ended_by``: ``vocab.PLACEMENT_ENDINGS``):
    the person's commitments from it end that day and their status follows their week;
    with ``search_again`` the needs it still filled go back to the search (``log`` in
    their history); the animateur who sent the lead is told (``subject``, then
    ``said(of_whom, companies, day)``). ``event``: why, in the person's history."""
    lead = placement.lead
    operator = lead.operator.name
    placement.ended_on = last_day
    placement.ended_by = ended_by
    day = last_day.strftime("%d/%m/%Y")
    person = placement.candidate
    if person is not None:
        for commitment in list(person.commitments):
            if commitment.placement_id != placement.id:
                continue
            if commitment.start is not None and commitment.start > last_day:
                # A company's share written from a day after the end (``_shares_of_held``)
                # never began: withdrawn rather than left ending before it starts.
                person.commitments.remove(commitment)
                continue
            if commitment.until is None or commitment.until > last_day:
                commitment.until = last_day
            record_event(
                session,
                person,
                "commitment",
                f"Fin du placement par {operator} le {day}, {event} : "
                f"{describe_commitment(commitment)}.",
                actor=getattr(actor, "id", None),
            )
        # Matching re-reads people whose updated_at moved, whatever their status.
        person.updated_at = utcnow()
        # Read from the day after the last one: the person is free from then on.
        settle_status(
            session,
            person,
            actor=actor,
            reason=f"fin du placement par {operator}",
            today=max(local_today(), last_day + timedelta(days=1)),
        )
    # A company the person left earlier (``end_at_company``) is no longer this
    # placement's: its need went back to the search then, and may be filled since.
    filled = [item.need for item in placement.needs if item.ended_on is None]
    if search_again:
        back_to_search(session, filled, why=log, actor=actor, filled=True)
    companies = ", ".join(dict.fromkeys(need.company.name for need in filled))
    # « le placement d'Inès Marchal », « de Marc Petit », « de la personne » once erased.
    of_whom = (
        of_name(f"{person.first_name} {person.last_name}")
        if person is not None
        else "de la personne"
    )
    _notify_creator(
        session,
        lead,
        subject=f"{subject} : {companies}",
        message=said(of_whom, companies, day)
        + "".join(
            f" Le besoin « {need.title} » ({need.company.name}) "
            + (
                "est de nouveau en recherche."
                if need.status == NeedState.EN_RECHERCHE
                else "n'est pas relancé : l'entreprise n'en a plus besoin."
            )
            for need in filled
        ),
        link=need_link(lead),
        about=person,
    )


def placement_label(companies: str, operator: str) -> str:
    """The label of a commitment a placement gives: « companies, operator » (the spec's
    "what and where, e.g. "Comptabilité, GE Bassin Emploi""), within the ``MAX_LABEL``
    characters a label holds (the column, the forms and the interchange's import): two
    names of 120 characters made 242. The companies' names are shortened, whole words
    and an ellipsis; the operator's is kept (at most 120: 78 are left to the companies)."""
    label = f"{companies}, {operator}"
    if len(label) <= MAX_LABEL:
        return label
    room = MAX_LABEL - len(f"…, {operator}")
    cut = companies[:room]
    if " " in cut and companies[room] != " ":
        cut = cut[: cut.rindex(" ")]
    cut = cut.rstrip(" ,;.-–'")
    return f"{cut}…, {operator}"


def company_commitment(placement: Placement, need: Need) -> Commitment | None:
    """The person's commitment from ``placement`` that works for ``need`` alone: written
    with its need (``Commitment.need_id``), else, for a placement recorded before that,
    the one whose label names that company and the operator, when only one does. None for
    a placement whose one commitment covers several companies (hours not shared out)."""
    person = placement.candidate
    mine = [c for c in (person.commitments if person else []) if c.placement_id == placement.id]
    linked = [c for c in mine if c.need_id == need.id]
    if linked:
        return linked[0]
    label = placement_label(need.company.name, placement.lead.operator.name)
    named = [c for c in mine if c.need_id is None and c.label == label]
    return named[0] if len(named) == 1 else None


def _on_days(need: Need) -> str:
    """'le mardi et le jeudi' for ``need``'s days, empty for a need without days."""
    return week.on_days_text(need.days or ())


def _shares_of_held(
    placement: Placement, need: Need
) -> tuple[Commitment, list[tuple[Need, float, list[str]]]]:
    """For ``placement`` recorded in one commitment over several companies (before
    commitments named their need, or merged on the person's record), the person leaving
    the company of ``need``: that commitment, to end on the last day, and what the other
    companies it covered hold from the next day, (need, hours, days) each. Only when the
    needs say how it splits, as a placement is split when recorded (``_placement_shares``):
    its hours are their hours together and each need's days are among its days; each
    then holds its need's hours and days. Raises TransitionError (on ``need``) saying
    what to do otherwise: nothing is guessed."""
    person = placement.candidate
    mine = [c for c in (person.commitments if person else []) if c.placement_id == placement.id]
    in_play = placement.needs_in_play
    # The company's own ones aside (of the companies left too), what holds the others.
    own = {company_commitment(placement, item.need) for item in placement.needs}
    held = [c for c in mine if c.need_id is None and c not in own]
    covered = [n for n in in_play if company_commitment(placement, n) is None]
    if len(held) == 1:
        (commitment,) = held
        split = _placement_shares(covered, commitment.hours_per_week, set(commitment.days))
        fits = all(
            share_need is not None and set(days) <= set(commitment.days or days)
            for _, _, days, share_need in split
        )
        if fits:
            return commitment, [
                (share_need, hours, days)
                for _, hours, days, share_need in split
                if share_need is not need
            ]
        head = (
            "Ce placement tient en un seul engagement pour plusieurs entreprises : "
            f"{describe_commitment(commitment)}. Ses heures ou ses jours ne sont pas ceux "
            "de leurs besoins"
        )
    elif held:
        head = (
            f"Ce placement tient en {len(held)} engagements sur la fiche de la personne, "
            "qui ne disent pas la part de chacune de ses entreprises dans leurs besoins"
        )
    else:
        head = "Ce placement n'a plus d'engagement sur la fiche de la personne"
    parts = ", ".join(
        " ".join(filter(None, (n.company.name, hours_plain(n.hours_per_week), _on_days(n))))
        for n in covered
    )
    together = " ".join(
        filter(
            None,
            (
                hours_plain(needs_hours(covered)),
                week.on_days_text({d for n in covered for d in n.days or ()}),
            ),
        )
    )
    why = f"{head} ({parts}) : la part de chacune n'est pas connue. " + (
        "Si la personne travaille bien ce que disent les besoins, donnez à son engagement, "
        f"sur la fiche de la personne, leurs heures et leurs jours ({together}), puis "
        "enregistrez la fin chez cette entreprise : il sera réparti entre elles. Sinon, "
        "enregistrez la fin du placement au suivi."
        if len(held) == 1 and all(n.days for n in covered)
        # A need without days is not split even so: only the whole placement ends.
        else "Enregistrez la fin du placement au suivi."
    )
    raise TransitionError(why, errors={"need": why})


def may_end_at_company(user, placement: Placement) -> bool:
    """Who records that the person left one company of ``placement``: the animateur, and
    the members of the operator that placed them (not another operator's)."""
    if user is None or not getattr(user, "active", False):
        return False
    if user.role == "animateur":
        return True
    return user.role == "operator" and user.operator_id == placement.lead.operator_id


def end_at_company(
    session,
    placement: Placement,
    need_id: int | None,
    *,
    last_day: date | None,
    reason: str | None,
    actor,
) -> Need:
    """Record that the person of ``placement`` left the company of one of its needs
    (``need_id``) on ``last_day`` (``reason``: why, required) and keeps working for the
    others. Returns that need.

    That company's commitment ends that day and the person's status follows their week;
    the need goes back to the search as the needs of a placement that does not hold do
    (``back_to_search``, the log saying why) and its owner is told
    (``owner_news.tell_owner_left``); the placement goes on with the other companies (its
    summary, its follow-up points: they are the placement's, not a company's, and stay
    planned), whose owners hear that the person works on for them
    (``owner_news.tell_owner_still_placed``); the animateur who sent the lead, and the
    operator when the animateur records it, are told. A placement held in one commitment
    over its companies is shared out from the next day when their needs say how
    (``_shares_of_held``), refused otherwise. Leaving the last company left ends the placement itself, as a
    follow-up « ne tient pas » does (``_close_placement``). The last day follows the rules
    of a placement's end (``placement_end_problem``). Raises TransitionError (French,
    ``errors`` by field) and changes nothing when refused."""
    if not may_end_at_company(actor, placement):
        raise TransitionError("Ce placement n'est pas le vôtre : vous ne pouvez pas le modifier.")
    today = local_today()
    if placement.ended_on is not None:
        raise TransitionError(
            f"Le placement a pris fin le {placement.ended_on.strftime('%d/%m/%Y')} : "
            "plus rien n'y change."
        )
    start = placement.start_date
    if today < start:
        raise TransitionError(
            f"Le placement commence le {start.strftime('%d/%m/%Y')} : la fin chez une "
            "entreprise s'enregistre une fois la personne en poste."
        )
    item = next((i for i in placement.needs if i.need_id == need_id), None)
    if item is None:
        why = "Choisissez une entreprise de ce placement."
        raise TransitionError(why, errors={"need": why})
    need = item.need
    if item.ended_on is not None:
        why = (
            f"La personne a déjà quitté {need.company.name} le "
            f"{item.ended_on.strftime('%d/%m/%Y')}."
        )
        raise TransitionError(why, errors={"need": why})
    in_play = placement.needs_in_play
    last = in_play == [need]
    commitment = company_commitment(placement, need)
    # One commitment over several companies: shared out from the day after, when the
    # needs say how (``_shares_of_held``); refused otherwise, saying what to do.
    shares: list[tuple[Need, float, list[str]]] = []
    # A person erased since has no commitments left: only the company's end is recorded.
    if commitment is None and not last and placement.candidate is not None:
        commitment, shares = _shares_of_held(placement, need)
    errors: dict[str, str] = {}
    reason = (reason or "").strip() or None
    if reason is None:
        errors["reason"] = "Indiquez pourquoi la personne quitte cette entreprise."
    elif why := workflows.text_too_long(reason):
        errors["reason"] = why
    term = commitment.until if commitment is not None else placement_term(placement)
    if not isinstance(last_day, date):
        errors["last_day"] = "Indiquez le dernier jour travaillé (jj/mm/aaaa)."
    # The follow-up's « répondez oui » is no answer here.
    elif why := placement_end_problem(last_day, start, today, term, ran_to_term="") or (
        _before_a_company_left(placement, last_day) if last else None
    ):
        errors["last_day"] = why
    if errors:
        raise TransitionError(next(iter(errors.values())), errors=errors)
    operator = placement.lead.operator.name
    company = need.company.name
    day = last_day.strftime("%d/%m/%Y")
    if last:
        _close_placement(
            session,
            placement,
            last_day,
            ended_by="entreprise",
            search_again=True,
            actor=actor,
            event=f"la personne quittant sa dernière entreprise ({reason})",
            log=f"Fin du placement par {operator} chez sa dernière entreprise : {reason}",
            subject="Fin du placement",
            said=lambda of_whom, companies, day: (
                f"Fin du placement {of_whom} chez {companies}, sa dernière entreprise : "
                f"dernier jour travaillé le {day}. Motif : {reason}."
            ),
        )
        tell_owner_left(session, need)
        if not _is_member(actor, placement):
            _tell_operator_left(session, placement, need, day, reason, ended=True)
        return need
    item.ended_on = last_day
    item.end_reason = reason
    person = placement.candidate
    others = week.join_fr(list(dict.fromkeys(n.company.name for n in placement.needs_in_play)))
    held_until = getattr(commitment, "until", None)
    if commitment is not None and (held_until is None or held_until > last_day):
        commitment.until = last_day
    written = [
        Commitment(
            label=placement_label(share.company.name, operator),
            hours_per_week=hours,
            days=days,
            start=last_day + timedelta(days=1),
            until=held_until,
            source="placement",
            placement=placement,
            need_id=share.id,
            created_by_id=getattr(actor, "id", None),
        )
        for share, hours, days in shares
        # Work whose term is that very day has nothing left to share out.
        if held_until is None or held_until > last_day
    ]
    # Each company that remains now has its own hours: the placement keeps them where it
    # had none (a placement recorded before it kept them), for when the person is erased.
    rows = {row.need_id: row for row in placement.needs}
    for c in written:
        if rows[c.need_id].hours_per_week is None:
            rows[c.need_id].hours_per_week = c.hours_per_week
    if person is not None:
        person.commitments.extend(written)
        shared_out = "".join(
            f" À partir du {c.start.strftime('%d/%m/%Y')} : {describe_commitment(c)}."
            for c in written
        )
        record_event(
            session,
            person,
            "commitment",
            f"Fin chez {company} le {day} (placement par {operator}, qui continue chez "
            f"{others}) : {reason}. {describe_commitment(commitment)}.{shared_out}",
            actor=getattr(actor, "id", None),
        )
        person.updated_at = utcnow()
        settle_status(
            session,
            person,
            actor=actor,
            reason=f"fin chez {company}",
            today=max(today, last_day + timedelta(days=1)),
        )
    # The log outlives the person (their erasure keeps it): no name in it.
    back_to_search(
        session,
        [need],
        why=f"La personne placée par {operator} a quitté l'entreprise : {reason}",
        actor=actor,
        filled=True,
    )
    tell_owner_left(session, need)
    # The companies that remain keep the person, now sharing the week with fewer.
    for other in placement.needs_in_play:
        if other.company_id != need.company_id:
            tell_owner_still_placed(session, other)
    of_whom = (
        of_name(f"{person.first_name} {person.last_name}")
        if person is not None
        else "de la personne"
    )
    message = (
        f"Le placement {of_whom} par {operator} ne se poursuit plus chez {company} : "
        f"dernier jour travaillé le {day}. Motif : {reason}. Il continue chez {others}, "
        f"avec les mêmes points de suivi. Le besoin « {need.title} » ({company}) est de "
        "nouveau en recherche."
    )
    _notify_creator(
        session,
        placement.lead,
        subject=f"Fin chez {company} : le placement continue",
        message=message,
        link=need_link(placement.lead),
        about=person,
    )
    if not _is_member(actor, placement):
        _tell_operator_left(session, placement, need, day, reason, ended=False)
    return need


def _is_member(user, placement: Placement) -> bool:
    return getattr(user, "role", None) == "operator" and (
        user.operator_id == placement.lead.operator_id
    )


def _tell_operator_left(
    session, placement: Placement, need: Need, day: str, reason: str, *, ended: bool
) -> None:
    """Tell the operator of ``placement`` that the animateur recorded the person's end at
    the company of ``need`` (``ended``: it was the last one, the placement is over)."""
    lead = placement.lead
    company = need.company.name
    rest = (
        "C'était sa dernière entreprise : le placement a pris fin, ses points de suivi "
        "ne sont plus à faire."
        if ended
        else f"Le placement continue chez {placement_companies(placement)}."
    )
    queue_template(
        session,
        kind=MailKind.WORKFLOW_UPDATE,
        to=lead.operator.email,
        reply_to=creator_reply_to(session, lead),
        subject=f"Fin chez {company}",
        template="lead_update",
        message=f"L'animateur a enregistré la fin chez {company} de la personne placée, "
        f"dernier jour travaillé le {day}. Motif : {reason}. {rest}",
        link=external_url("leads.show", lead_id=lead.id, _anchor=f"placement-{placement.id}"),
        link_label="la proposition",
        candidate_id=placement.candidate_id,
    )


# --- Referrals -------------------------------------------------------------------------


def receive(session, referral: Referral, actor=None) -> bool:
    """Record the first opening of a referral by its partner (``envoyee`` → ``recue``)."""
    if referral.status != ReferralState.ENVOYEE:
        return False
    return _first_opening(session, referral, REFERRAL, ReferralState.RECUE, actor)


def referral_taken_on(referral: Referral) -> bool:
    """Whether the partner has taken the referral in charge (or closed it since): only
    then may it see how to reach the company, as an operator once it accepts a lead."""
    return referral.status in REFERRAL_TAKEN_ON


def take_charge(session, referral: Referral, actor=None) -> Transition:
    """The partner takes the company's need in hand."""
    if referral.status == ReferralState.ENVOYEE:
        # Not ``receive``, for the reason given in ``accept``.
        workflows.transition(session, referral, REFERRAL, ReferralState.RECUE, actor=actor)
    return workflows.transition(
        session, referral, REFERRAL, ReferralState.PRISE_EN_CHARGE, actor=actor
    )


def close_referral(session, referral: Referral, outcome: str, actor=None) -> Transition:
    """Close a referral with its outcome (required), which the animateur sees on the need."""
    entry = workflows.transition(
        session, referral, REFERRAL, ReferralState.CLOSE, actor=actor, reason_text=outcome
    )
    referral.outcome = entry.reason_text
    _notify_creator(
        session,
        referral,
        subject=f"Réorientation close par {referral.partner.name}",
        message=f"{referral.partner.name} a clos la réorientation du besoin "
        f"« {referral.need.title} » ({referral.need.company.name}). Issue : {referral.outcome}",
        link=external_url("needs.show", ref=referral.need.ref),
    )
    return entry


def refuse_referral(
    session, referral: Referral, reason: str, text: str | None = None, actor=None
) -> Transition:
    """Refuse a referral with a reason from the closed list; the need goes back to the
    search so the animateur can route it elsewhere."""
    entry = workflows.transition(
        session,
        referral,
        REFERRAL,
        ReferralState.REFUSEE,
        actor=actor,
        reason_code=reason,
        reason_text=text,
    )
    referral.refusal_reason = reason
    referral.refusal_text = entry.reason_text
    need = referral.need
    back_to_search(
        session, [need], why=f"Réorientation refusée par {referral.partner.name}", actor=actor
    )
    why = vocab.motive(vocab.REFERRAL_REFUSAL_REASONS, reason, entry.reason_text)
    _notify_creator(
        session,
        referral,
        subject=f"Réorientation refusée par {referral.partner.name}",
        message=f"{referral.partner.name} a refusé la réorientation du besoin "
        f"« {need.title} » ({need.company.name}). Motif : {why}.",
        link=external_url("needs.show", ref=need.ref),
    )
    return entry


def answer(
    session,
    lead: Lead,
    action: str,
    *,
    reason_code: str | None = None,
    reason_text: str | None = None,
    actor=None,
) -> Transition:
    """An operator's answer to a lead by name (``accept``, ``start_contacting``,
    ``refuse``, ``hand_back``, ``close_without_outcome``), for callers that receive the
    answer as data (the API); raises TransitionError for an unknown one."""
    text = (reason_text or "").strip()
    if action == "accept":
        return accept(session, lead, actor)
    if action == "start_contacting":
        return start_contacting(session, lead, actor)
    if action == "refuse":
        return refuse(session, lead, reason_code or "", text or None, actor)
    if action == "hand_back":
        return hand_back(session, lead, text, actor)
    if action == "close_without_outcome":
        return close_without_outcome(session, lead, text or None, actor)
    raise TransitionError("Action inconnue.")
