"""Where a need stands, told to the company owner in plain words, and to the staff
when the owner stopped it (``needs.moves.stop_by_owner``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select

from connectences import vocab
from connectences.clock import local_today
from connectences.matching.week import on_days_text
from connectences.models import (
    Lead,
    LeadNeed,
    Operator,
    Partner,
    Placement,
    PlacementNeed,
    Referral,
    Transition,
    User,
)
from connectences.organisations import without_working_member
from connectences.typography import plural
from connectences.workflows import LEAD_LIVE, NEED, NEED_FINAL, REFERRAL_LIVE, NeedState

# What each need status means for the company, in its own words.
NEED_STATUS_FOR_COMPANY: dict[str, str] = {
    "nouveau": "Reçu : l'animateur va l'étudier avec vous",
    "qualifie": "Étudié : nous cherchons la meilleure solution",
    "en_recherche": "Recherche de candidats en cours",
    "propose": "Confié à une structure de temps partagé (groupement d'employeurs ou "
    "association de cadres), qui va vous contacter",
    "pourvu": "Pourvu",
    "reoriente": "Transmis à un partenaire de l'emploi (France Travail, Mission Locale...), "
    "qui va vous contacter",
    "abandonne": "Clos sans suite",
}
AWAITING_CONFIRMATION = (
    "En attente : confirmez votre adresse e-mail avec le lien reçu pour que nous l'étudiions"
)


def awaiting_owner(need) -> bool:
    """True while a need posted by its owner waits for the owner's e-mail confirmation
    (it is then not yet in the animateurs' queue)."""
    return need.source == "entreprise" and need.owner_confirmed_at is None


# What such a need waits on, as the needs board says it (« En attente de »,
# ``board.WAITING_ON``) and the company's record and history tell it (:func:`staff_status`).
AWAITING_OWNER_ON = "L'entreprise, pour confirmer son adresse e-mail"


AWAITING_ATTACHMENT = (
    "Reçu : l'animateur va vérifier auprès de l'entreprise que vous parlez en son nom, "
    "puis l'étudier avec vous"
)


# Told to the staff when they try to move such a need on.
UNATTACHED_REFUSAL = (
    "Demandeur non rattaché à l'entreprise : vérifiez auprès de l'entreprise que cette "
    "personne parle en son nom et rattachez-la avant de qualifier ou de réorienter ce besoin."
)


# Said instead of the status while the company asks not to be solicited: the contact
# guard (``prospection.pressure``) refuses any lead or referral for it, so the need
# reaches no structure until the owner changes that choice (never lifted for them).
HELD_BY_CHOICE = (
    "Reçu, mais vous avez demandé à ne plus être sollicité : un animateur peut vous "
    "appeler au sujet de ce besoin, mais il ne sera transmis à une structure qu'avec "
    "votre accord"
)
_HELD_STATES = frozenset({NeedState.NOUVEAU, NeedState.QUALIFIE, NeedState.EN_RECHERCHE})


def held_by_owner_choice(need) -> bool:
    """True while ``need``, confirmed and its company's own (not waiting for its author's
    confirmation nor attachment), is still to be sent somewhere and the contact guard
    refuses any contact with its company because it asked not to be solicited. The
    company's row decides that alone (``pressure.refusal_before_contact``, whatever its
    contacts): read here without counting them, once per need listed."""
    return not awaiting_owner(need) and held_once_confirmed(need)


def held_once_confirmed(need) -> bool:
    """:func:`held_by_owner_choice` of ``need`` once its author confirms their address:
    what the mail asking for that confirmation may tell them. Only an author the company
    knows (not ``owner_unattached``): anyone else learns nothing of the company's
    choice."""
    if need.status not in _HELD_STATES or unattached_owner(need):
        return False
    return bool(need.company.do_not_solicit)


def unattached_owner(need) -> bool:
    """True while the person who posted ``need`` for a company already known is not
    attached to it (see ``Need.owner_unattached``): the need is not the company's yet."""
    return bool(need.owner_unattached)


def status_for_company(
    need, stops: dict[int, OwnerStop] | None = None, holders: dict[int, str] | None = None
) -> str:
    """The plain-words sentence telling the owner where ``need`` stands (``stops``:
    :func:`owner_stops` of the needs listed, so that a need they stopped says so;
    ``holders``: :func:`owner_holders` of them, so that the owner knows whom to expect
    a call from)."""
    if awaiting_owner(need):
        return AWAITING_CONFIRMATION
    if unattached_owner(need) and need.status not in NEED_FINAL:
        return AWAITING_ATTACHMENT
    if stops and need.id in stops:
        return OWNER_STOPPED
    if holders and need.id in holders:
        return holders[need.id]
    if held_by_owner_choice(need):
        return HELD_BY_CHOICE
    return NEED_STATUS_FOR_COMPANY.get(need.status, need.status)


# --- who holds a need, told to its owner ------------------------------------------------


def _names(rows) -> dict[int, list[str]]:
    named: dict[int, list[str]] = {}
    for need_id, name, *_ in rows:
        if name not in named.setdefault(need_id, []):
            named[need_id].append(name)
    return named


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} et {names[-1]}"


def _shared(need, together: Sequence, works: str) -> str:
    """What the owner of ``need`` is told of the shared-time job it is part of (``together``:
    the needs of its bundle lead or placement): " ; un poste en temps partagé : la personne
    travaillera chez vous le jeudi, les autres jours dans 1 autre entreprise"; empty for a
    need on its own. Other companies are not named: the operator introduces them."""
    others = {n.company_id for n in together if n.company_id != need.company_id}
    if not others:
        return ""
    days = on_days_text(need.days or ())
    here = f"chez vous {days}" if days else "chez vous"
    return (
        f" ; un poste en temps partagé : la personne {works} {here}, les autres jours "
        f"dans {plural(len(others), 'autre entreprise')}"
    )


# Said instead of « qui va vous contacter » when none of the structures holding a need
# has a member who can answer on the platform (``organisations.without_working_member``):
# nobody there would call. The animateur who sent it was warned so
# (``organisations.nobody_answers``) and is the one the owner's answers reach.
FOLLOWED_BY_ANIMATEUR = "l'animateur de la plateforme suit votre besoin avec {whom}"


@dataclass(frozen=True)
class Held:
    """Who holds each need, told to its owner (:func:`held_by`): ``said``, need id ->
    the sentence; ``unanswered``, the needs held only by structures none of whose
    members can answer (their sentence promises no call)."""

    said: dict[int, str]
    unanswered: frozenset[int]


def owner_holders(session, needs: Sequence) -> dict[int, str]:
    """The sentence naming who holds each of ``needs`` now, for the owner (see
    :func:`held_by`)."""
    return held_by(session, needs).said


def held_by(session, needs: Sequence) -> Held:
    """The sentence naming who holds each of ``needs`` now, for the owner: need id ->
    "Confié à GE Bassin Emploi (groupement d'employeurs), qui va vous contacter" for a
    need a live lead holds, "Transmis à Mission Locale..., qui va vous contacter" for
    one a live referral holds (when none of them has a member who can answer, no call
    is promised: :data:`FOLLOWED_BY_ANIMATEUR`), "Pourvu : une personne commence (or a
    commencé) le..., recrutée par..." for one a placement still running filled. A need
    held by nobody named is left out (:data:`NEED_STATUS_FOR_COMPANY` says it). Four
    statements at most, whatever the number of needs."""
    by_status: dict[str, list[int]] = {}
    for need in needs:
        by_status.setdefault(need.status, []).append(need.id)
    said: dict[int, str] = {}
    by_id = {need.id: need for need in needs}
    # Need id -> the structures holding it, to tell whether any of them would call.
    holders: dict[int, list] = {}
    proposed_rows = referred_rows = ()
    if proposed := by_status.get(NeedState.PROPOSE):
        proposed_rows = session.execute(
            select(LeadNeed.need_id, Operator.name, Operator.kind, Lead, Operator)
            .join(Lead, Lead.id == LeadNeed.lead_id)
            .join(Operator, Operator.id == Lead.operator_id)
            .where(LeadNeed.need_id.in_(proposed), Lead.status.in_(LEAD_LIVE))
            .order_by(Lead.id)
        ).all()
    if referred := by_status.get(NeedState.REORIENTE):
        referred_rows = session.execute(
            select(Referral.need_id, Partner.name, Partner)
            .join(Partner, Partner.id == Referral.partner_id)
            .where(Referral.need_id.in_(referred), Referral.status.in_(REFERRAL_LIVE))
            .order_by(Referral.id)
        ).all()
    for need_id, *_, organisation in (*proposed_rows, *referred_rows):
        holders.setdefault(need_id, []).append(organisation)
    every = {id(o): o for held in holders.values() for o in held}
    nobody = {id(o) for o in without_working_member(session, every.values())}
    unanswered = frozenset(
        need_id for need_id, held in holders.items() if all(id(o) in nobody for o in held)
    )

    def coming(need_id: int, whom: str) -> str:
        if need_id in unanswered:
            return f" : {FOLLOWED_BY_ANIMATEUR.format(whom=whom)}"
        return ", qui va vous contacter"

    if proposed_rows:
        kinds = {
            name: vocab.label(vocab.OPERATOR_KINDS, kind) for _, name, kind, *_ in proposed_rows
        }
        shared: dict[int, str] = {}
        for need_id, _, _, lead, _ in proposed_rows:
            # A company that left the bundle is out of it (``leads.needs_in_play``).
            held = [i.need for i in lead.needs if i.need.status == NeedState.PROPOSE]
            shared[need_id] = shared.get(need_id) or _shared(by_id[need_id], held, "travaillera")
        for need_id, names in _names(proposed_rows).items():
            shown = [f"{name} ({kinds[name][:1].lower()}{kinds[name][1:]})" for name in names]
            whom = "cette structure" if len(names) == 1 else "ces structures"
            said[need_id] = f"Confié à {_joined(shown)}{coming(need_id, whom)}{shared[need_id]}"
    if referred_rows:
        for need_id, names in _names(referred_rows).items():
            whom = "ce partenaire" if len(names) == 1 else "ces partenaires"
            said[need_id] = f"Transmis à {_joined(names)}{coming(need_id, whom)}"
    if filled := by_status.get(NeedState.POURVU):
        rows = session.execute(
            select(PlacementNeed.need_id, Operator.name, Placement.start_date, Placement)
            .join(Placement, Placement.id == PlacementNeed.placement_id)
            .join(Lead, Lead.id == Placement.lead_id)
            .join(Operator, Operator.id == Lead.operator_id)
            .where(
                PlacementNeed.need_id.in_(filled),
                Placement.ended_on.is_(None),
                # The person left this company and works on in the others.
                PlacementNeed.ended_on.is_(None),
            )
            .order_by(Placement.start_date)
        ).all()
        starts = {need_id: start for need_id, _, start, _ in rows}
        today = local_today()
        for need_id, names in _names(rows).items():
            start = starts[need_id]
            begins = "a commencé" if start <= today else "commence"
            placement = next(p for n, _, _, p in rows if n == need_id)
            works = "travaille" if start <= today else "travaillera"
            shared = _shared(by_id[need_id], placement.needs_in_play, works)
            said[need_id] = (
                f"Pourvu : une personne {begins} le {start:%d/%m/%Y}, recrutée par "
                f"{_joined(names)}{shared}"
            )
    return Held(said=said, unanswered=unanswered)


# --- a need its owner stopped -----------------------------------------------------------

# A need the company owner stopped is abandoned like any other (its state, its reason
# from the closed list); what tells it apart is its abandonment's log entry, which
# ``owner_stop_log`` writes and ``owner_stops`` reads back (abandoned is final: a need
# has one such entry). Telling it by a field of the need would take a migration. Its status then reads this, for the staff and the owner.
OWNER_STOPPED = "Arrêté par l'entreprise"
_OWNER_STOP_HEAD = f"{OWNER_STOPPED} ("


def owner_stop_log(email: str, typed: str = "") -> str:
    """The log text of an owner's stop: who said it (``email``), then their words."""
    return f"{_OWNER_STOP_HEAD}{email})" + (f" : {typed}" if typed else "")


@dataclass(frozen=True)
class OwnerStop:
    """An owner's stop of a need, read back from its log: the reason chosen in the
    closed list (``vocab.NEED_ABANDON_REASONS``), the words they typed ("" for none),
    their address."""

    reason_code: str | None
    words: str
    email: str

    @property
    def why(self) -> str:
        """The reason in one line, for the staff: "Budget insuffisant — <their words>"."""
        return vocab.motive(vocab.NEED_ABANDON_REASONS, self.reason_code, self.words)


def _read_stop(reason_code: str | None, text: str) -> OwnerStop:
    said = text[len(_OWNER_STOP_HEAD) :]
    email, sep, words = said.partition(") : ")
    if not sep:
        email = said.removesuffix(")")
    return OwnerStop(reason_code=reason_code, words=words.strip(), email=email)


_OWNER_STOPS = (
    select(Transition.entity_id, Transition.reason_code, Transition.reason_text)
    .outerjoin(User, User.id == Transition.actor_id)
    .where(
        Transition.entity == NEED.entity,
        Transition.entity_id.in_(bindparam("ids", expanding=True)),
        Transition.to_state == NeedState.ABANDONNE,
        Transition.reason_text.startswith(_OWNER_STOP_HEAD, autoescape=True),
        # Said through the owner's signed link (no account) or by a company's account:
        # an animateur's abandonment whose text begins alike is not the owner's stop.
        or_(Transition.actor_id.is_(None), User.role == "company"),
    )
)


def owner_stops(session, needs: Sequence) -> dict[int, OwnerStop]:
    """The needs among ``needs`` their owner stopped: need id -> :class:`OwnerStop`
    (one statement for a whole list; none when no need listed is abandoned)."""
    ids = [need.id for need in needs if need.status == NeedState.ABANDONNE]
    if not ids:
        return {}
    rows = session.execute(_OWNER_STOPS, {"ids": ids})
    return {need_id: _read_stop(code, text) for need_id, code, text in rows}


def staff_status(need, stops: dict[int, OwnerStop]) -> str:
    """The need's status as the staff read it on its own page and on its company's
    record and history (the exports keep :func:`status_label`): its :func:`status_label`,
    or, while its author has not confirmed it (:func:`awaiting_owner`: not in the queue
    yet), that it waits on them, in the needs board's words, and whether they are
    unattached (anyone may type a known SIRET)."""
    if not awaiting_owner(need):
        return status_label(need, stops)
    words = f"Non confirmé, en attente de {AWAITING_OWNER_ON[0].lower()}{AWAITING_OWNER_ON[1:]}"
    if unattached_owner(need):
        words += " ; demandeur non rattaché à l'entreprise"
    return words


def status_label(need, stops: dict[int, OwnerStop]) -> str:
    """The need's status as the staff's pages and exports name it (``stops``:
    :func:`owner_stops` of the needs shown): "Arrêté par l'entreprise" for a need its
    owner stopped, the state's label otherwise."""
    if need.id in stops:
        return OWNER_STOPPED
    return vocab.label(vocab.NEED_STATUSES, need.status)
