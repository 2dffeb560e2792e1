"""Where a need stands, told to the company owner in plain words, and to the staff
when the owner stopped it (``needs.moves.stop_by_owner``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select

from connectences import vocab
from connectences.models import Transition, User
from connectences.workflows import NEED, NEED_FINAL, NeedState

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


AWAITING_ATTACHMENT = (
    "Reçu : l'animateur va vérifier auprès de l'entreprise que vous parlez en son nom, "
    "puis l'étudier avec vous"
)


# Told to the staff when they try to move such a need on.
UNATTACHED_REFUSAL = (
    "Demandeur non rattaché à l'entreprise : vérifiez auprès de l'entreprise que cette "
    "personne parle en son nom et rattachez-la avant de qualifier ou de réorienter ce besoin."
)


def unattached_owner(need) -> bool:
    """True while the person who posted ``need`` for a company already known is not
    attached to it (see ``Need.owner_unattached``): the need is not the company's yet."""
    return bool(need.owner_unattached)


def status_for_company(need, stops: dict[int, OwnerStop] | None = None) -> str:
    """The plain-words sentence telling the owner where ``need`` stands (``stops``:
    :func:`owner_stops` of the needs listed, so that a need they stopped says so)."""
    if awaiting_owner(need):
        return AWAITING_CONFIRMATION
    if unattached_owner(need) and need.status not in NEED_FINAL:
        return AWAITING_ATTACHMENT
    if stops and need.id in stops:
        return OWNER_STOPPED
    return NEED_STATUS_FOR_COMPANY.get(need.status, need.status)


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


def status_label(need, stops: dict[int, OwnerStop]) -> str:
    """The need's status as the staff's pages and exports name it (``stops``:
    :func:`owner_stops` of the needs shown): "Arrêté par l'entreprise" for a need its
    owner stopped, the state's label otherwise."""
    if need.id in stops:
        return OWNER_STOPPED
    return vocab.label(vocab.NEED_STATUSES, need.status)
