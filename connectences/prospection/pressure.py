"""The contact-pressure guard: every contact that reaches a company, and whether one
more is acceptable.

Workshops on TPE prospection warn about over-soliciting small companies: several
actors (animateurs, operators, partners) may call the same owner in one month. So the
guard counts every channel that reaches the company, whoever used it:

- visits of every channel (door to door, phone calls, collective sessions, ...);
- newsletters sent (``CompanyMailing``);
- leads sent to an operator about one of its needs (the operator will call);
- referrals of one of its needs to a partner (the partner will call);
- GPECT diagnosis questionnaires mailed to its owner (``prospection.diagnosis``).

Needs the company posts itself, the call-back requests it sends from the public
form ("Être rappelé") and its registrations to the platform's events are the
company reaching us, not us reaching it: they appear in its timeline but are not
counted.

Rules (tested in tests/test_prospection_pressure.py):
- refuse when the company asked not to be solicited (``do_not_solicit``);
- refuse when the contacts of the calendar month already reach the cap the company
  chose (``max_contacts_per_month``): one more would exceed it;
- warn when the company was contacted less than ``window_days`` days before (or after)
  the day of the new contact: a contact exactly ``window_days`` days ago no longer warns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from connectences import config, territory, vocab
from connectences.clock import local_date
from connectences.contacts import phone_display
from connectences.db_session import begin_writing
from connectences.errors import DomainError
from connectences.models import (
    AuditLog,
    CallbackRequest,
    Company,
    CompanyMailing,
    Diagnosis,
    EventRegistration,
    Lead,
    LeadNeed,
    Need,
    Referral,
    Transition,
    User,
    Visit,
)
from connectences.needs.status_words import owner_stops, staff_status
from connectences.typography import days_ago, month_fr
from connectences.workflows import text_too_long

# Channels besides the visit channels (vocab.VISIT_CHANNELS), for timelines and the guard.
OTHER_CHANNELS: dict[str, str] = {
    "lettre_information": "Lettre d'information",
    "proposition_operateur": "Proposition à un opérateur",
    "orientation_vers_partenaire": "Orientation vers un partenaire",
    "questionnaire_diagnostic": "Questionnaire de diagnostic envoyé",
    "questionnaire_diagnostic_rempli": "Questionnaire de diagnostic rempli avec l'entreprise",
    "besoin": "Besoin enregistré",
    "demande_de_rappel": "Demande de rappel",
    "inscription_evenement": "Inscription à un événement",
    "preferences_contact": "Préférences de contact dites par l'entreprise",
    "coordonnees_entreprise": "Coordonnées de l'entreprise modifiées",
}
CHANNELS: dict[str, str] = {**vocab.VISIT_CHANNELS, **OTHER_CHANNELS}


@dataclass(frozen=True)
class ContactEvent:
    """One line of a company's timeline.

    ``counted`` says whether the guard counts it (needs are shown, not counted).
    ``visit_id``, ``need_ref``, ``lead_id``, ``referral_id`` let pages link to it.
    """

    on: date
    kind: str  # "visite", "lettre", "diagnostic", "proposition", "orientation", "besoin", "rappel", "evenement", "preferences", "coordonnees"
    channel: str
    by_id: int | None
    by: str
    summary: str
    counted: bool = True
    visit_id: int | None = None
    need_ref: str | None = None
    lead_id: int | None = None
    referral_id: int | None = None

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


@dataclass(frozen=True)
class Pressure:
    """How much the company has been contacted, and the guard's decision for one more.

    ``last_contact_at`` is the day of the most recent contact (a date: visits are
    recorded by day). ``decision`` is "ok", "warn" (explicit confirmation needed) or
    "refuse" (no contact may be recorded); ``reasons`` say why, in French.
    """

    on: date
    window_days: int
    last_contact_at: date | None
    last_contact_by: str | None
    last_channel: str | None
    contacts_in_window: int
    contacts_this_month: int
    cap: int | None
    decision: str
    reasons: tuple[str, ...]
    do_not_solicit: bool = False
    # The contacts of the month already reach the company's cap (one more would pass it).
    cap_reached: bool = False
    # The refusals alone (``reasons`` adds the warnings after them).
    refusals: tuple[str, ...] = ()
    # The cap's figures, as its refusal says them before telling to wait ("" below it).
    cap_figures: str = ""

    @property
    def cap_may_be_passed(self) -> bool:
        """The guard refuses only because of the monthly cap: a person may send anyway
        when the company agreed to be contacted, with the reason (see
        ``workflows.dispatch``). A company that asked not to be solicited never is."""
        return self.decision == "refuse" and self.cap_reached and not self.do_not_solicit

    def refusals_offering(self, anyway: str) -> tuple[str, ...]:
        """:attr:`refusals` as a form offering to pass the cap says them (``anyway``:
        what the person then does, "envoyez quand même"): the cap's refusal says both
        ways, waiting for next month or passing it with the company's agreement and the
        reason. Where the cap may not be passed, the plain refusals."""
        return self._offering(self.refusals, anyway)

    def reasons_offering(self, anyway: str) -> tuple[str, ...]:
        """:attr:`reasons` (the refusals, then the warnings) as :meth:`refusals_offering`
        says them."""
        return self._offering(self.reasons, anyway)

    def _offering(self, texts: tuple[str, ...], anyway: str) -> tuple[str, ...]:
        if not self.cap_may_be_passed:
            return texts
        reopens = next_month_starts(self.on)
        plain = cap_refusal(self.cap_figures, reopens=reopens)
        offered = cap_refusal(self.cap_figures, anyway, reopens=reopens)
        return tuple(offered if text == plain else text for text in texts)

    @property
    def last_channel_label(self) -> str | None:
        return CHANNELS.get(self.last_channel, self.last_channel) if self.last_channel else None

    @property
    def month_label(self) -> str:
        return month_fr(self.on.year, self.on.month)

    @property
    def days_since_last(self) -> int | None:
        return None if self.last_contact_at is None else (self.on - self.last_contact_at).days


# --- what the company asked about being contacted -----------------------------------------

# The audit entry of a change of the company's contact preferences
# (``companies.set_preferences``); ``details["said_by_owner"]``: the address of the owner
# who said it themselves (their account or their space's link), None for the staff.
COMPANY_PREFERENCES = "company.preferences"
# What the address of an owner who said a change becomes in the company's history once
# erased on request (``contact_rights.erase_contact``); the contact address of the
# details' changes likewise.
ERASED_ADDRESS = "(adresse effacée)"
# What the company's phone number becomes in its history when it was the erased
# contact person's (``contact_rights.erase_contact``).
ERASED_PHONE = "(numéro effacé)"


def said_by_company(owner: str) -> str:
    """Who said a change of the company's contact preferences, as the staff read it: the
    company, by the address of its owner who said it ("l'entreprise (a@b.fr)")."""
    return f"l'entreprise {owner}" if owner == ERASED_ADDRESS else f"l'entreprise ({owner})"


def preferences_words(preferences: Mapping[str, Any]) -> str:
    """The company's contact preferences in plain French ("Ne plus être sollicitée ;
    au plus 2 contacts par mois ; lettre d'information : oui"), from the ``before`` or
    ``after`` of a :data:`COMPANY_PREFERENCES` entry."""
    cap = preferences.get("max_contacts_per_month")
    words = []
    if preferences.get("do_not_solicit"):
        words.append("ne plus être sollicitée")
    words.append(
        "pas de plafond de contacts"
        if cap is None
        else f"au plus {cap} contact{'s' if cap > 1 else ''} par mois"
    )
    words.append(
        f"lettre d'information : {'oui' if preferences.get('newsletter_consent') else 'non'}"
    )
    text = " ; ".join(words)
    return text[:1].upper() + text[1:]


# --- the company's details ---------------------------------------------------------------

# The audit entry of a change of the company's details (``companies.update_details``):
# ``details["before"]`` and ``["after"]`` hold the fields changed, ``["said_by_owner"]``
# the address of the owner who changed them (their account or their space's link; none
# when the staff did, whose form changes the name, SIRET and NAF code too).
COMPANY_DETAILS = "company.details"
# The staff attached a provisional company to the record (``provisional_merge``): the
# record took its SIRET (``before``/``after`` as above), its needs (``needs_moved``) and
# whatever else referred to it; ``dropped_ref`` is the provisional company's ref.
COMPANY_MERGED = "company.provisional_merged"
# Who changed them, as the staff's timeline names the company's owner.
OWNER_OF_DETAILS = "le dirigeant (espace entreprise)"
_DETAIL_WORDS = {
    "name": "nom",
    "siret": "SIRET",
    "naf": "code NAF",
    "address": "adresse",
    "commune": "commune",
    "employees": "salariés",
    "contact_email": "e-mail de l'entreprise",
    "phone": "téléphone de l'entreprise",
    "website": "site web",
}


def _detail_value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "(vide)"
    if field == "commune":
        commune = territory.get_commune(value)
        return commune.label if commune else str(value)
    if field == "phone":
        return phone_display(value)
    return f"« {value} »" if field in ("address", "name") else str(value)


def details_words(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """A change of the company's details in plain French, each field's value before and
    after ("Adresse : « 3 rue X » → « 5 rue Y » ; salariés : 2 → 3"), from a
    :data:`COMPANY_DETAILS` entry."""
    text = " ; ".join(
        f"{words} : {_detail_value(field, before.get(field))} → "
        f"{_detail_value(field, after.get(field))}"
        for field, words in _DETAIL_WORDS.items()
        if field in after
    )
    return text[:1].upper() + text[1:]


def needs_brought(needs: int) -> str:
    """The needs attaching a provisional company brought ("2 besoins non confirmés
    repris"), for the history and the staff's message."""
    if not needs:
        return "aucun besoin repris"
    plural = "s" if needs > 1 else ""
    return f"{needs} besoin{plural} non confirmé{plural} repris"


def merged_words(needs: int) -> str:
    """What attaching a provisional company to the record brought, after its SIRET
    change in the history (" ; fiche provisoire rattachée (2 besoins non confirmés
    repris)"), from a :data:`COMPANY_MERGED` entry."""
    return f" ; fiche provisoire rattachée ({needs_brought(needs)})"


def details_held(values: Mapping[str, Any]) -> str:
    """The company's details ``values`` gives as they are ("adresse : « 3 rue X » ;
    commune : Arcachon (33120) ; salariés : (vide) ; …"), in the order of
    :func:`details_words`."""
    return " ; ".join(
        f"{words} : {_detail_value(field, values.get(field))}"
        for field, words in _DETAIL_WORDS.items()
        if field in values
    )


# --- a contact beyond the monthly cap, the company having agreed to it ------------------

# The audit entry of a visit passed beyond the cap: its reason, shown on the timeline.
VISIT_OVER_CAP = "visit.over_cap"
OVER_CAP_REASON_MISSING = (
    "Indiquez pourquoi l'entreprise accepte ce contact au-delà de son plafond (par exemple : "
    "« L'entreprise a demandé à être rappelée par le groupement »)."
)


class OverCapReasonRefused(DomainError):
    """The reason given for passing a company's monthly cap is missing or too long
    (``errors["over_cap_reason"]``)."""


def over_cap_reason_checked(reason: str) -> str:
    """The reason a person gives for a contact beyond the company's monthly cap (it
    agreed to be contacted), stripped; raises :class:`OverCapReasonRefused` when it is
    empty or over ``workflows.MAX_TEXT`` characters. Whether the cap may be passed at
    all is :attr:`Pressure.cap_may_be_passed`: the caller asks it first."""
    reason = (reason or "").strip()
    if not reason:
        raise OverCapReasonRefused(
            OVER_CAP_REASON_MISSING, errors={"over_cap_reason": OVER_CAP_REASON_MISSING}
        )
    if why := text_too_long(reason):
        raise OverCapReasonRefused(why, errors={"over_cap_reason": why})
    return reason


def over_cap_reason_of(form: Mapping[str, Any]) -> str | None:
    """Why the company agreed to be contacted beyond its monthly cap, as a form (or a
    record kept on a phone) sends it: the reason (``raison_plafond``, maybe empty: the
    guard refuses it) when the box "contact anyway" (``malgre_plafond``) is ticked;
    None when it is not (the guard refuses as always)."""
    return (form.get("raison_plafond") or "") if form.get("malgre_plafond") else None


def over_cap_figures(company_name: str, pressure: Pressure) -> str:
    """The company and its cap as a passed contact's record says them: "Boulangerie
    Martin (2 par mois, déjà 2 en mars 2026)"."""
    return (
        f"{company_name} ({pressure.cap} par mois, déjà {pressure.contacts_this_month} "
        f"en {pressure.month_label})"
    )


class ContactRefused(DomainError):
    """The guard refuses the contact; ``pressure.reasons`` say why (French)."""

    def __init__(self, pressure: Pressure):
        super().__init__(" ".join(pressure.reasons))
        self.pressure = pressure


class ConfirmationRequired(DomainError):
    """The guard warns: the contact is recorded only once the person confirms."""

    def __init__(self, pressure: Pressure):
        super().__init__(" ".join(pressure.reasons))
        self.pressure = pressure


def next_month_starts(on: date) -> date:
    """The first day of the month after ``on``'s: when a company whose cap ``on``'s
    month reached may be contacted again."""
    return date(on.year + on.month // 12, on.month % 12 + 1, 1)


def cap_refusal(figures: str, anyway: str | None = None, *, reopens: date) -> str:
    """The refusal of a company's monthly cap: its ``figures``, then what to do. Plain,
    wait for next month, from ``reopens`` (its first day, :func:`next_month_starts`);
    with ``anyway`` (the form offers to pass the cap: "envoyez quand même"), wait or
    pass it with the company's agreement and the reason."""
    day = f"1er {month_fr(reopens.year, reopens.month)}"
    if anyway is None:
        return (
            f"{figures} Attendez le mois prochain : elle pourra être recontactée à partir du {day}."
        )
    return (
        f"{figures} Attendez le mois prochain (à partir du {day}) ou, si elle a accepté "
        "d'être contactée malgré tout (elle a demandé à être rappelée, par exemple), "
        f"{anyway} en indiquant pourquoi."
    )


def _day(moment: datetime | date) -> date:
    """The day of a contact: a visit's date as it is, an instant's (stored in UTC) day
    in Arcachon, so that a mail sent on the 1st at 00:30 there counts in that month."""
    return local_date(moment) if isinstance(moment, datetime) else moment


def _who(user: User | None, fallback: str = "une personne de la plateforme") -> str:
    if user is None:
        return fallback
    return user.full_name or user.email


def _named(
    full_name: str | None, email: str | None, fallback: str = "une personne de la plateforme"
) -> str:
    """:func:`_who` of a user read as columns (both None: no user)."""
    if email is None:
        return _who(None, fallback)
    return full_name or email


def _users(session: Session, ids) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


# The timeline's statements, built once with the company as a parameter: built at each
# call, each cost SQLAlchemy about 95 µs of building and walking for its cache key, more
# than running it (55 µs), and a company's page reads up to eight of them.
_COMPANY_ID = bindparam("company_id")
# The contacts the guard counts are read for several companies at once (a round's up to
# OFFLINE_ROUND_MAX_COMPANIES, ``contacts_of_companies``) as for one: each row names its
# company; the same statements, so that a company's page and a round cannot disagree.
_COMPANY_IDS = bindparam("company_ids", expanding=True)
# Companies per statement: the IN list stays well below the databases' parameter limits.
_COMPANIES_PER_STATEMENT = 500
_COUNTED_VISITS = (
    select(
        Visit.company_id, Visit.id, Visit.visited_on, Visit.channel, Visit.animateur_id,
        Visit.outcome, Visit.notes, User.full_name, User.email,
        AuditLog.details.label("over_cap"),
    )
    .outerjoin(User, User.id == Visit.animateur_id)
    # A visit the company agreed to beyond its monthly cap: why (``log_visit``).
    .outerjoin(
        AuditLog,
        and_(
            AuditLog.entity == "visit",
            AuditLog.entity_id == Visit.id,
            AuditLog.action == VISIT_OVER_CAP,
        ),
    )
    .where(Visit.company_id.in_(_COMPANY_IDS))
    # In the order they were recorded: contacts of one day keep it on the timeline.
    .order_by(Visit.id)
)  # fmt: skip
_COUNTED_MAILINGS = (
    select(
        CompanyMailing.company_id, CompanyMailing.sent_at, CompanyMailing.sent_by_id,
        CompanyMailing.subject, User.full_name, User.email,
    )
    .outerjoin(User, User.id == CompanyMailing.sent_by_id)
    .where(CompanyMailing.company_id.in_(_COMPANY_IDS))
    .order_by(CompanyMailing.id)
)  # fmt: skip
# A questionnaire is a contact when its link was mailed, or when an animateur filled it
# in with the company outside any visit (during a visit, the visit is the contact).
_COUNTED_DIAGNOSES = (
    select(
        Diagnosis.company_id, Diagnosis.sent_at, Diagnosis.sent_by_id, Diagnosis.submitted_at,
        Diagnosis.filled_by_id, User.full_name, User.email,
    )
    .outerjoin(User, User.id == func.coalesce(Diagnosis.sent_by_id, Diagnosis.filled_by_id))
    .where(
        Diagnosis.company_id.in_(_COMPANY_IDS),
        or_(
            Diagnosis.sent_at.is_not(None),
            and_(
                Diagnosis.source == "visite",
                Diagnosis.visit_id.is_(None),
                Diagnosis.submitted_at.is_not(None),
            ),
        ),
    )
    .order_by(Diagnosis.id)
)  # fmt: skip


def _sent_log(entity: str, id_column):
    """The first log entry of a lead or referral: its text says why it was sent although
    the company had its contacts of the month (``workflows.dispatch``), if it was."""
    return and_(
        Transition.entity == entity,
        Transition.entity_id == id_column,
        Transition.from_state.is_(None),
    )


# A lead reaches each company one of its needs belongs to, once however many of them.
_LEAD_COMPANIES = (
    select(LeadNeed.lead_id, Need.company_id)
    .join(Need, Need.id == LeadNeed.need_id)
    .where(Need.company_id.in_(_COMPANY_IDS))
    .distinct()
    .subquery()
)
# Who sent it, read with it (one statement, whatever the number of senders).
_COUNTED_LEADS = (
    select(_LEAD_COMPANIES.c.company_id, Lead, Transition.reason_text, User.full_name, User.email)
    .select_from(Lead)
    .join(_LEAD_COMPANIES, _LEAD_COMPANIES.c.lead_id == Lead.id)
    .outerjoin(Transition, _sent_log("lead", Lead.id))
    .outerjoin(User, User.id == Lead.created_by_id)
    .options(joinedload(Lead.operator), selectinload(Lead.needs).joinedload(LeadNeed.need))
    .order_by(Lead.id)
)
_COUNTED_REFERRALS = (
    select(Need.company_id, Referral, Transition.reason_text, User.full_name, User.email)
    .select_from(Referral)
    .join(Need, Need.id == Referral.need_id)
    .outerjoin(Transition, _sent_log("referral", Referral.id))
    .outerjoin(User, User.id == Referral.created_by_id)
    .options(joinedload(Referral.partner), contains_eager(Referral.need))
    .where(Need.company_id.in_(_COMPANY_IDS))
    .order_by(Referral.id)
)
# What the company's owners said of their contact preferences, and every change of its
# details (by its owner or the staff, named), in one statement.
_TIMELINE_SAID = (
    select(
        AuditLog.action,
        AuditLog.at,
        AuditLog.details,
        AuditLog.actor_id,
        User.full_name,
        User.email,
    )
    .outerjoin(User, User.id == AuditLog.actor_id)
    .where(
        AuditLog.action.in_((COMPANY_PREFERENCES, COMPANY_DETAILS, COMPANY_MERGED)),
        AuditLog.entity == "company",
        AuditLog.entity_id == _COMPANY_ID,
    )
    # Newest first: the timeline's sort keeps this order within a day.
    .order_by(AuditLog.at.desc(), AuditLog.id.desc())
)
_TIMELINE_NEEDS = select(Need).where(Need.company_id == _COMPANY_ID)
_TIMELINE_CALLBACKS = select(CallbackRequest).where(CallbackRequest.company_id == _COMPANY_ID)
_TIMELINE_REGISTRATIONS = (
    select(EventRegistration)
    .options(joinedload(EventRegistration.event))
    .where(EventRegistration.company_id == _COMPANY_ID, EventRegistration.confirmed_at.is_not(None))
)


def _visit_event(row) -> ContactEvent:
    outcome = vocab.label(vocab.VISIT_OUTCOMES, row.outcome)
    summary = outcome or "Contact"
    if row.notes:
        summary += f" — {row.notes}"
    if row.over_cap:
        summary += (
            f" — au-delà du plafond de contacts, accepté par {row.over_cap.get('cap')} : "
            f"{row.over_cap.get('reason')}"
        )
    return ContactEvent(
        on=row.visited_on,
        kind="visite",
        channel=row.channel,
        by_id=row.animateur_id,
        by=_named(row.full_name, row.email),
        summary=summary,
        visit_id=row.id,
    )


def _mailing_event(row) -> ContactEvent:
    return ContactEvent(
        on=_day(row.sent_at),
        kind="lettre",
        channel="lettre_information",
        by_id=row.sent_by_id,
        by=_named(row.full_name, row.email),
        summary=f"Lettre d'information : {row.subject}",
    )


def _diagnosis_event(row) -> ContactEvent:
    if row.sent_at is None:  # filled in with the company, outside a visit
        on, channel = row.submitted_at, "questionnaire_diagnostic_rempli"
        by_id = row.filled_by_id
        summary = "Questionnaire de diagnostic rempli avec l'entreprise"
    else:
        on, channel = row.sent_at, "questionnaire_diagnostic"
        by_id = row.sent_by_id
        answered = "rempli" if row.submitted_at else "pas encore rempli"
        summary = f"Questionnaire de diagnostic envoyé par e-mail ({answered})"
    return ContactEvent(
        on=_day(on),
        kind="diagnostic",
        channel=channel,
        by_id=by_id,
        by=_named(row.full_name, row.email),
        summary=summary,
    )


# A lead and a referral as the timeline names them (their channels' words: « Proposition
# à un opérateur », « Orientation vers un partenaire »), each with its article. Their
# states and who sent them are said of these nouns, feminine both: after « Besoin …
# orienté vers P », « (envoyée) » read as said of the need, and « P (orienté par X) » as
# said of the partner.
_SENT_NOUNS = {"proposition": "la proposition", "orientation": "l'orientation"}


def _state_of(noun: str, label: str) -> str:
    """The state of a lead or referral (``noun``: a key of :data:`_SENT_NOUNS`) in its
    line of the timeline: « (état de l'orientation : envoyée) »."""
    return f"(état de {_SENT_NOUNS[noun]} : {label.lower()})"


def _sent_by(noun: str, organisation: str, sender: str) -> str:
    """Who a lead or referral reaches the company through, and who sent it: « GE Bassin
    (proposition envoyée par Léa Martin) »."""
    return f"{organisation} ({noun} envoyée par {sender})"


def _lead_event(row) -> ContactEvent:
    lead = row.Lead
    titles = ", ".join(
        f"« {item.need.title} »" for item in lead.needs if item.need.company_id == row.company_id
    )
    sender = _named(row.full_name, row.email, "l'équipe")
    return ContactEvent(
        on=_day(lead.created_at),
        kind="proposition",
        channel="proposition_operateur",
        by_id=lead.created_by_id,
        by=_sent_by("proposition", lead.operator.name, sender),
        summary=f"Besoin {titles} proposé à {lead.operator.name} "
        + _state_of("proposition", vocab.label(vocab.LEAD_STATUSES, lead.status))
        + _sent_why(row.reason_text),
        lead_id=lead.id,
    )


def _referral_event(row) -> ContactEvent:
    referral = row.Referral
    sender = _named(row.full_name, row.email, "l'équipe")
    return ContactEvent(
        on=_day(referral.created_at),
        kind="orientation",
        channel="orientation_vers_partenaire",
        by_id=referral.created_by_id,
        by=_sent_by("orientation", referral.partner.name, sender),
        summary=f"Besoin « {referral.need.title} » orienté vers {referral.partner.name} "
        + _state_of("orientation", vocab.label(vocab.REFERRAL_STATUSES, referral.status))
        + _sent_why(row.reason_text),
        need_ref=referral.need.ref,
        referral_id=referral.id,
    )


# Each channel the guard counts: its statement, and the event each row makes.
_COUNTED_CHANNELS = (
    (_COUNTED_VISITS, _visit_event),
    (_COUNTED_MAILINGS, _mailing_event),
    (_COUNTED_DIAGNOSES, _diagnosis_event),
    (_COUNTED_LEADS, _lead_event),
    (_COUNTED_REFERRALS, _referral_event),
)
# Within a day, the timeline's kinds in this order (newest first: the highest first).
_KIND_ORDER = {
    "besoin": 0,
    "rappel": 0,
    "evenement": 0,
    "visite": 1,
    "lettre": 2,
    "diagnostic": 3,
    "proposition": 4,
    "orientation": 5,
    "preferences": 6,
    "coordonnees": 7,
}


def _newest_first(events: list[ContactEvent]) -> list[ContactEvent]:
    return sorted(events, key=lambda e: (e.on, _KIND_ORDER.get(e.kind, 9)), reverse=True)


def _counted_events(session: Session, company_ids: list[int]) -> dict[int, list[ContactEvent]]:
    """The contacts the guard counts of each company of ``company_ids`` (every one a
    key), channel after channel: one statement a channel for up to 500 companies."""
    events: dict[int, list[ContactEvent]] = {company_id: [] for company_id in company_ids}
    for start in range(0, len(company_ids), _COMPANIES_PER_STATEMENT):
        chunk = {"company_ids": company_ids[start : start + _COMPANIES_PER_STATEMENT]}
        for statement, event_of in _COUNTED_CHANNELS:
            for row in session.execute(statement, chunk):
                events[row.company_id].append(event_of(row))
    return events


def contacts_of_companies(
    session: Session, company_ids: list[int]
) -> dict[int, list[ContactEvent]]:
    """The contacts the guard counts of each of ``company_ids``, newest first, as
    :func:`company_contacts` gives one company's, read for all of them at once (a round's
    companies, « Préparer ma tournée »): company id -> its contacts (maybe none)."""
    read = _counted_events(session, list(dict.fromkeys(company_ids)))
    return {company_id: _newest_first(events) for company_id, events in read.items()}


def company_timeline(
    session: Session, company: Company | int, *, counted_only: bool = False
) -> list[ContactEvent]:
    """Every contact with the company by anyone on the platform, newest first: visits
    and calls, newsletters, leads and referrals about its needs, and its needs.

    ``counted_only``: only the contacts the guard counts (its needs, callback requests
    and event registrations are not read: three statements fewer for each visit form).
    """
    company_id = company if isinstance(company, int) else company.id
    # Plain rows, not entities where it can: the guard reads this on every visit form
    # and every visit logged, and a company's history only grows.
    events = _counted_events(session, [company_id])[company_id]
    if counted_only:
        return _newest_first(events)

    of_company = {"company_id": company_id}
    events.extend(_said_or_changed(session, of_company))
    needs = session.scalars(_TIMELINE_NEEDS, of_company).all()
    stops = owner_stops(session, needs)
    users = _users(session, [n.created_by_id for n in needs])
    for need in needs:
        if need.source == "entreprise":
            by = need.owner_email or "l'entreprise"
        else:
            by = _who(users.get(need.created_by_id), "l'équipe")
        events.append(
            ContactEvent(
                on=_day(need.created_at),
                kind="besoin",
                channel="besoin",
                by_id=need.created_by_id,
                by=by,
                summary=f"Besoin « {need.title} » enregistré "
                f"({staff_status(need, stops).lower()})"
                + (f". {stops[need.id].why}" if need.id in stops else ""),
                counted=False,
                need_ref=need.ref,
            )
        )
    for callback in session.scalars(_TIMELINE_CALLBACKS, of_company):
        events.append(
            ContactEvent(
                on=_day(callback.created_at),
                kind="rappel",
                channel="demande_de_rappel",
                by_id=None,
                by=callback.name,
                summary="L'entreprise a demandé à être rappelée"
                + (" (rappelée)" if callback.done_at else ""),
                counted=False,
            )
        )
    # Whether the person came is said with a noun: « Inscription … : venue » read as said
    # of the registration, or of the company, and not of « Par Marc Dupuy ».
    came = {True: " : présence constatée", False: " : absence constatée"}
    for registration in session.scalars(_TIMELINE_REGISTRATIONS, of_company).all():
        state = {"waiting": " (liste d'attente)", "cancelled": " (annulée ensuite)"}
        events.append(
            ContactEvent(
                on=local_date(registration.confirmed_at),
                kind="evenement",
                channel="inscription_evenement",
                by_id=None,
                by=registration.name,
                summary=f"Inscription à « {registration.event.title} » du "
                f"{_fr_date(local_date(registration.event.starts_at))}"
                f"{state.get(registration.status, '')}" + came.get(registration.attended, ""),
                counted=False,
            )
        )
    return _newest_first(events)


def _said_or_changed(session: Session, of_company: dict) -> list[ContactEvent]:
    """The contact preferences the company's owners set themselves (those the staff set
    are on the company's page, with who set them last): the company reaching us; and the
    changes of the company's details, with who made them: its owner (their address) or a
    member of the staff (their name)."""
    events = []
    for action, at, details, actor_id, full_name, email in session.execute(
        _TIMELINE_SAID, of_company
    ):
        details = details or {}
        owner = details.get("said_by_owner")
        if action == COMPANY_PREFERENCES:
            if owner:
                events.append(
                    ContactEvent(
                        on=local_date(at),
                        kind="preferences",
                        channel="preferences_contact",
                        by_id=None,
                        by=said_by_company(owner),
                        summary=preferences_words(details.get("after") or {}),
                        counted=False,
                    )
                )
            continue
        summary = details_words(details.get("before") or {}, details.get("after") or {})
        if action == COMPANY_MERGED:
            summary += merged_words(details.get("needs_moved") or 0)
        events.append(
            ContactEvent(
                on=local_date(at),
                kind="coordonnees",
                channel="coordonnees_entreprise",
                by_id=None if owner else actor_id,
                by=f"{OWNER_OF_DETAILS} : {owner}" if owner else _named(full_name, email),
                summary=summary,
                counted=False,
            )
        )
    return events


def _sent_why(text: str | None) -> str:
    return f". {text}" if text else ""


def company_contacts(session: Session, company: Company | int) -> list[ContactEvent]:
    """The contacts the guard counts (every channel that reaches the company), newest first."""
    company_id = company if isinstance(company, int) else company.id
    return contacts_of_companies(session, [company_id])[company_id]


def counted_contacts(timeline: list[ContactEvent]) -> list[ContactEvent]:
    """The contacts of a company's timeline that the guard counts."""
    return [event for event in timeline if event.counted]


def configured_window_days() -> int:
    """``CONTACT_WINDOW_DAYS`` of the running application (its default outside one)."""
    return config.integer("CONTACT_WINDOW_DAYS")


def _fr_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def evaluate_pressure(
    company: Company, contacts: list[ContactEvent], *, on: date, window_days: int
) -> Pressure:
    """The guard's figures and decision from a list of contacts (pure function)."""
    latest = max(contacts, key=lambda e: e.on, default=None)
    in_window = [e for e in contacts if abs((e.on - on).days) < window_days]
    this_month = [e for e in contacts if (e.on.year, e.on.month) == (on.year, on.month)]
    cap = company.max_contacts_per_month
    refusals: list[str] = []
    warnings: list[str] = []
    if company.do_not_solicit:
        refusals.append(
            "L'entreprise a demandé à ne plus être sollicitée : aucun contact ne peut être "
            "enregistré. Si elle revient vers vous, modifiez d'abord ce choix sur sa fiche."
        )
    month = month_fr(on.year, on.month)
    cap_reached = cap is not None and len(this_month) >= cap
    cap_figures = ""
    if cap_reached:
        cap_figures = (
            f"L'entreprise accepte au plus {cap} contact{'s' if cap > 1 else ''} par mois ; "
            f"elle en a déjà eu {len(this_month)} en {month}."
        )
        refusals.append(cap_refusal(cap_figures, reopens=next_month_starts(on)))
    if in_window:
        recent = max(in_window, key=lambda e: e.on)
        days = (on - recent.on).days
        when = days_ago(days)
        warnings.append(
            f"Déjà contactée le {_fr_date(recent.on)} ({when}) par {recent.by}, "
            f"{recent.channel_label.lower()} : {len(in_window)} contact"
            f"{'s' if len(in_window) > 1 else ''} sur les {window_days} derniers jours."
        )
    decision = "refuse" if refusals else "warn" if warnings else "ok"
    return Pressure(
        on=on,
        window_days=window_days,
        last_contact_at=latest.on if latest else None,
        last_contact_by=latest.by if latest else None,
        last_channel=latest.channel if latest else None,
        contacts_in_window=len(in_window),
        contacts_this_month=len(this_month),
        cap=cap,
        decision=decision,
        reasons=tuple(refusals + warnings),
        do_not_solicit=company.do_not_solicit,
        cap_reached=cap_reached,
        refusals=tuple(refusals),
        cap_figures=cap_figures,
    )


def contact_pressure(
    session: Session,
    company: Company,
    *,
    on: date,
    window_days: int | None = None,
    timeline: list[ContactEvent] | None = None,
) -> Pressure:
    """How much the company has been contacted around ``on``, and whether one more
    contact that day is fine ("ok"), needs confirming ("warn") or is refused ("refuse").

    ``window_days`` defaults to the CONTACT_WINDOW_DAYS setting (30); ``timeline`` is the
    company's ``company_timeline`` when the caller has read it already (the company page).
    """
    window = configured_window_days() if window_days is None else window_days
    contacts = (
        company_contacts(session, company) if timeline is None else counted_contacts(timeline)
    )
    return evaluate_pressure(company, contacts, on=on, window_days=window)


def refusal_before_contact(session: Session, company: Company, *, on: date) -> Pressure | None:
    """The guard's refusal of one more contact with ``company`` on ``on``, for a page to
    say before its form is filled in; None when the guard accepts (its warnings are the
    form's, once sent). The company's row decides alone when it asked not to be solicited
    (refused whatever was counted) or set no monthly cap (only a cap refuses a count): its
    contacts are then not read, and the figures of the month left at nothing."""
    reads_contacts = not company.do_not_solicit and company.max_contacts_per_month is not None
    contacts = company_contacts(session, company) if reads_contacts else []
    pressure = evaluate_pressure(company, contacts, on=on, window_days=configured_window_days())
    return pressure if pressure.decision == "refuse" else None


def hold_contacts_of(session: Session, company: Company) -> None:
    """Take the company's contacts for the rest of the session's transaction, before
    counting them for a new one: two requests reaching the company at once (two tabs,
    two animateurs, a visit and a lead) would otherwise both count the same contacts and
    both pass its monthly cap. PostgreSQL: the company's row, locked until the commit
    (the next request's count, after its lock, sees the contact written); SQLite: the
    database's write lock, taken now (``db_session.begin_writing``)."""
    begin_writing(session.connection())
    session.execute(select(Company.id).where(Company.id == company.id).with_for_update())


def check_contact(
    session: Session,
    company: Company,
    *,
    on: date,
    confirmed: bool,
    window_days: int | None = None,
    over_cap_reason: str | None = None,
) -> Pressure:
    """The pressure for a new contact; raises ContactRefused, or ConfirmationRequired when
    the guard warns and the person has not confirmed.

    ``over_cap_reason``: why the company agreed to this contact beyond its monthly cap
    (None: not asked). It lets the contact pass only when the cap alone refuses it
    (:attr:`Pressure.cap_may_be_passed`, never for a company that asked not to be
    solicited); missing or too long, it raises :class:`OverCapReasonRefused`. Saying the
    company agreed confirms the contact too. The company's contacts are held
    (:func:`hold_contacts_of`) until the caller commits the contact or rolls back."""
    hold_contacts_of(session, company)
    pressure = contact_pressure(session, company, on=on, window_days=window_days)
    if pressure.decision == "refuse":
        if over_cap_reason is None or not pressure.cap_may_be_passed:
            raise ContactRefused(pressure)
        over_cap_reason_checked(over_cap_reason)
        return pressure
    if pressure.decision == "warn" and not confirmed:
        raise ConfirmationRequired(pressure)
    return pressure
