"""State machines of needs, leads and referrals, each change written to the transition log.

A view never sets ``status`` by hand: it calls :func:`transition` (or :func:`start` for a
new record) inside the request's transaction. Every timing the observatory reports is
read from the ``transition`` table this module writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value

from connectences import vocab
from connectences.dates import read_instant
from connectences.errors import DomainError
from connectences.models import Transition
from connectences.models.base import utcnow
from connectences.typography import too_long


class TransitionError(DomainError):
    """A transition the state machine does not allow; ``message`` is French, for people."""


class AlreadyDone(TransitionError):
    """The record is already in the state asked for (a form sent twice, two tabs): the
    first did what was asked, nothing was written. Flashed as information: the page's
    label says it is no error, the message never repeats a label of its own."""

    flash_category = "info"


CHANGED_MEANWHILE = "Ce dossier vient d'être modifié par quelqu'un d'autre : rechargez la page."


class MeanwhileMessage(str):
    """The message of a :class:`ChangedMeanwhile`, marked as such wherever it is carried
    (a form's errors): the form's error summary (``_forms.html``) heads it « Rien n'a
    été enregistré : », not « Corrigez ce point » (nothing typed is wrong), so the
    message itself never says again that nothing was saved."""

    meanwhile = True


class ChangedMeanwhile(TransitionError):
    """The record left the state it was read in before this change could be written
    (another person, another request, the scheduler): nothing was written."""

    def __init__(self, message: str = CHANGED_MEANWHILE):
        super().__init__(MeanwhileMessage(message))


class NeedState(StrEnum):
    """States of a company's need (labels: ``vocab.NEED_STATUSES``)."""

    NOUVEAU = "nouveau"
    QUALIFIE = "qualifie"
    EN_RECHERCHE = "en_recherche"
    PROPOSE = "propose"
    POURVU = "pourvu"
    REORIENTE = "reoriente"
    ABANDONNE = "abandonne"


class LeadState(StrEnum):
    """States of a lead sent to an operator (labels: ``vocab.LEAD_STATUSES``)."""

    ENVOYE = "envoye"
    VU = "vu"
    ACCEPTE = "accepte"
    EN_COURS = "en_cours"
    PLACE = "place"
    SANS_SUITE = "sans_suite"
    REFUSE = "refuse"
    RENDU = "rendu"


class ReferralState(StrEnum):
    """States of a need re-oriented to a partner (labels: ``vocab.REFERRAL_STATUSES``)."""

    ENVOYEE = "envoyee"
    RECUE = "recue"
    PRISE_EN_CHARGE = "prise_en_charge"
    CLOSE = "close"
    REFUSEE = "refusee"
    SANS_SUITE = "sans_suite"


@dataclass(frozen=True)
class Workflow:
    entity: str
    states: type[StrEnum]
    labels: dict[str, str]
    initial: str
    moves: dict[str, frozenset[str]]
    # Target states that need a reason from a closed list ("autre" then needs free text).
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)
    # Target states that need a free text (e.g. the outcome of a closed referral).
    texts: dict[str, str] = field(default_factory=dict)
    # Why a move the machine does not allow is impossible, in the words of the person
    # who tried it, and what to do instead: keyed by (from, to), or by a state nothing
    # leaves (any move from it). A move named in neither gets the generic sentence.
    impossible: dict[str | tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self):
        # The French labels and the machine name exactly the same states.
        if not set(self.labels) == set(self.states) == set(self.moves):
            raise ValueError(f"{self.entity}: labels, states and moves name different states")
        for key in self.impossible:
            start, target = key if isinstance(key, tuple) else (key, None)
            if start not in self.moves or (target is not None and target in self.allowed(start)):
                raise ValueError(f"{self.entity}: {key} is no impossible move")

    def allowed(self, state: str) -> frozenset[str]:
        return self.moves.get(state, frozenset())

    def why_impossible(self, state: str, to_state: str) -> str:
        """The French refusal of the move from ``state`` to ``to_state`` (not allowed)."""
        said = self.impossible.get((state, to_state)) or self.impossible.get(state)
        if said:
            return said
        return (
            f"Impossible de passer de « {vocab.label(self.labels, state)} » "
            f"à « {vocab.label(self.labels, to_state)} »."
        )

    def is_final(self, state: str) -> bool:
        return not self.allowed(state)

    @property
    def final(self) -> frozenset[str]:
        """The states nothing leaves: the record is settled."""
        return frozenset(state for state in self.states if self.is_final(state))

    @property
    def live(self) -> frozenset[str]:
        """The states not settled yet."""
        return frozenset(self.states) - self.final


def _moves(moves: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    return {state: frozenset(targets) for state, targets in moves.items()}


N, L, R = NeedState, LeadState, ReferralState

NEED = Workflow(
    entity="need",
    states=NeedState,
    labels=vocab.NEED_STATUSES,
    initial=N.NOUVEAU,
    moves=_moves(
        {
            N.NOUVEAU: (N.QUALIFIE, N.REORIENTE, N.ABANDONNE),
            N.QUALIFIE: (N.EN_RECHERCHE, N.PROPOSE, N.REORIENTE, N.ABANDONNE),
            N.EN_RECHERCHE: (N.PROPOSE, N.REORIENTE, N.ABANDONNE),
            # A lead refused or handed back sends the need back to the search.
            N.PROPOSE: (N.POURVU, N.EN_RECHERCHE, N.REORIENTE, N.ABANDONNE),
            N.REORIENTE: (N.EN_RECHERCHE, N.POURVU, N.ABANDONNE),
            # A placement that does not hold (its follow-up says so) sends the need it
            # filled back to the search, when the company still needs someone.
            N.POURVU: (N.EN_RECHERCHE,),
            N.ABANDONNE: (),
        }
    ),
    reasons={N.ABANDONNE: vocab.NEED_ABANDON_REASONS},
)

_LEAD_NOT_ACCEPTED = (
    "Cette proposition n'est pas encore acceptée : choisissez d'abord « Accepter la "
    "proposition » ; vous pourrez ensuite dire que vous avez contacté les candidats, puis "
    "enregistrer le placement. Rien n'a été modifié."
)
_LEAD_ACCEPTED_ALREADY = (
    "Cette proposition est déjà acceptée : elle ne peut plus être refusée. Si vous ne "
    "pouvez pas la mener à bien, rendez-la à l'animateur (« Rendre la proposition ») pour "
    "qu'il oriente le besoin ailleurs, ou closez-la sans suite. Rien n'a été modifié."
)

LEAD = Workflow(
    entity="lead",
    states=LeadState,
    labels=vocab.LEAD_STATUSES,
    initial=L.ENVOYE,
    moves=_moves(
        {
            L.ENVOYE: (L.VU, L.REFUSE, L.RENDU, L.SANS_SUITE),
            L.VU: (L.ACCEPTE, L.REFUSE, L.RENDU, L.SANS_SUITE),
            L.ACCEPTE: (L.EN_COURS, L.PLACE, L.RENDU, L.SANS_SUITE),
            L.EN_COURS: (L.PLACE, L.RENDU, L.SANS_SUITE),
            L.PLACE: (),
            L.REFUSE: (),
            L.RENDU: (),
            L.SANS_SUITE: (),
        }
    ),
    reasons={L.REFUSE: vocab.LEAD_REFUSAL_REASONS},
    texts={L.RENDU: "Expliquez pourquoi vous rendez cette proposition."},
    # Said to the operator, whose page names its buttons, not the machine's states.
    impossible={
        (L.ENVOYE, L.ACCEPTE): _LEAD_NOT_ACCEPTED,
        (L.ENVOYE, L.EN_COURS): _LEAD_NOT_ACCEPTED,
        (L.ENVOYE, L.PLACE): _LEAD_NOT_ACCEPTED,
        (L.VU, L.EN_COURS): _LEAD_NOT_ACCEPTED,
        (L.VU, L.PLACE): _LEAD_NOT_ACCEPTED,
        (L.ACCEPTE, L.REFUSE): _LEAD_ACCEPTED_ALREADY,
        (L.EN_COURS, L.REFUSE): _LEAD_ACCEPTED_ALREADY,
        (L.EN_COURS, L.ACCEPTE): (
            "Cette proposition est déjà acceptée et ses candidats contactés : il reste à "
            "enregistrer le placement, à la rendre à l'animateur ou à la clore sans suite. "
            "Rien n'a été modifié."
        ),
        L.PLACE: (
            "Cette proposition est placée : le placement est enregistré et plus rien n'y "
            "est à faire que ses points de suivi. Rien n'a été modifié."
        ),
        L.REFUSE: (
            "Cette proposition a déjà été refusée : le besoin est revenu à l'animateur et "
            "plus rien n'y est à faire. Rien n'a été modifié."
        ),
        L.RENDU: (
            "Cette proposition a été rendue à l'animateur, qui peut orienter le besoin "
            "ailleurs : plus rien n'y est à faire. Rien n'a été modifié."
        ),
        L.SANS_SUITE: (
            "Cette proposition est close sans suite : le besoin est revenu à l'animateur "
            "et plus rien n'y est à faire. Rien n'a été modifié."
        ),
    },
)

_NOT_TAKEN_YET = (
    "Cette réorientation n'est pas encore prise en charge : choisissez d'abord "
    "« Prendre en charge », puis indiquez son issue ; ou refusez-la si elle ne "
    "vous revient pas."
)

REFERRAL = Workflow(
    entity="referral",
    states=ReferralState,
    labels=vocab.REFERRAL_STATUSES,
    initial=R.ENVOYEE,
    moves=_moves(
        {
            # ``sans_suite``: closed by the scheduler when the partner never took it in hand.
            R.ENVOYEE: (R.RECUE, R.REFUSEE, R.SANS_SUITE),
            R.RECUE: (R.PRISE_EN_CHARGE, R.REFUSEE, R.SANS_SUITE),
            R.PRISE_EN_CHARGE: (R.CLOSE,),
            R.CLOSE: (),
            R.REFUSEE: (),
            R.SANS_SUITE: (),
        }
    ),
    reasons={R.REFUSEE: vocab.REFERRAL_REFUSAL_REASONS},
    texts={R.CLOSE: "Indiquez l'issue de la prise en charge."},
    # Said to the partner, whose page names its buttons, not the machine's states.
    impossible={
        (R.PRISE_EN_CHARGE, R.REFUSEE): (
            "Cette réorientation est déjà prise en charge : elle ne peut plus être "
            "refusée. Si elle n'aboutit pas, dites-le dans son issue avec « Clore la "
            "réorientation » : l'animateur la lit sur le besoin."
        ),
        (R.ENVOYEE, R.CLOSE): _NOT_TAKEN_YET,
        (R.RECUE, R.CLOSE): _NOT_TAKEN_YET,
        R.CLOSE: (
            "Cette réorientation est close, son issue enregistrée : plus rien n'y est à "
            "faire. Rien n'a été modifié."
        ),
        R.REFUSEE: (
            "Cette réorientation a été refusée : le besoin est revenu à l'animateur et "
            "plus rien n'y est à faire. Rien n'a été modifié."
        ),
        R.SANS_SUITE: (
            "Cette réorientation est classée sans suite : elle n'est plus à traiter et "
            "plus rien n'y est à faire. Rien n'a été modifié ; si l'entreprise a encore "
            "besoin de vous, voyez avec l'animateur."
        ),
    },
)

# --- Groups of states: each named once here, imported everywhere else ---------------

# Needs not sent anywhere yet: they may still be qualified, and pooling considers them.
NEED_UNROUTED = frozenset({N.NOUVEAU, N.QUALIFIE, N.EN_RECHERCHE})
# Needs qualified and waiting for a route ("recherche" on the board): they may be
# proposed to an operator, and the rematch job watches them.
NEED_SEARCHING = frozenset({N.QUALIFIE, N.EN_RECHERCHE})
# Needs that may still be re-oriented to a partner (a proposed one too).
NEED_REORIENTABLE = frozenset({N.NOUVEAU, N.QUALIFIE, N.EN_RECHERCHE, N.PROPOSE})
# Needs a live lead (``propose``) or referral (``reoriente``) holds out of the search.
NEED_HELD = frozenset({N.PROPOSE, N.REORIENTE})
# Needs settled: a new need of the same company is no duplicate of them. A filled need
# is settled though the machine lets it go back to the search: only a placement that
# did not hold does that (``leads.record_follow_up``), not a person's choice.
NEED_FINAL = NEED.final | {N.POURVU}
# The observatory: needs an animateur studied (qualified, then searched, proposed, filled).
NEED_QUALIFIED = frozenset({N.QUALIFIE, N.EN_RECHERCHE, N.PROPOSE, N.POURVU})
# The observatory: needs that reached an operator (proposed, then filled or not).
NEED_SENT_TO_OPERATOR = frozenset({N.PROPOSE, N.POURVU})
# The moves an animateur makes by hand on the need page, per state, in button order
# (each also allowed by the machine). ``propose`` and ``reoriente`` only come from
# sending a lead or a referral, which create the records; leaving ``propose`` for the
# search or ``pourvu`` follows the lead's own life (refused, handed back, placed), and
# leaving ``pourvu`` the placement's (its follow-up says it did not hold), so those are
# not offered either. Qualifying goes through the qualification form (ROME
# code, shared-time work), which moves ``nouveau`` to ``qualifie`` itself.
NEED_MANUAL_MOVES: dict[str, tuple[str, ...]] = {
    N.NOUVEAU: (N.ABANDONNE,),
    N.QUALIFIE: (N.EN_RECHERCHE, N.ABANDONNE),
    N.EN_RECHERCHE: (N.ABANDONNE,),
    N.PROPOSE: (N.ABANDONNE,),
    N.REORIENTE: (N.EN_RECHERCHE, N.POURVU, N.ABANDONNE),
}

# Leads the operator has not answered yet (waiting on the operator).
LEAD_UNANSWERED = frozenset({L.ENVOYE, L.VU})
# Leads opened by the operator and not settled: "en attente" in their inbox.
LEAD_IN_PROGRESS = frozenset({L.VU, L.ACCEPTE, L.EN_COURS})
# Leads still alive: they hold their needs in ``propose``.
LEAD_LIVE = LEAD.live
# Leads the operator took on: it may see the people's contact details and CVs.
LEAD_TAKEN_ON = frozenset({L.ACCEPTE, L.EN_COURS, L.PLACE})
# Leads that came back to the animateur without a placement.
LEAD_RETURNED = frozenset({L.REFUSE, L.RENDU})
LEAD_FINAL = LEAD.final
# An operator's answer to a lead: the first of these in its log (the observatory's delays).
LEAD_ANSWERS = frozenset({L.ACCEPTE, L.REFUSE})

# Referrals the partner has not taken in hand yet (waiting on the partner).
REFERRAL_UNANSWERED = frozenset({R.ENVOYEE, R.RECUE})
# Referrals opened by the partner and not settled: "en cours" in their inbox.
REFERRAL_IN_PROGRESS = frozenset({R.RECUE, R.PRISE_EN_CHARGE})
# Referrals the partner took in charge: it may see how to reach the company.
REFERRAL_TAKEN_ON = frozenset({R.PRISE_EN_CHARGE, R.CLOSE})
# Referrals still alive: they hold their need in ``reoriente``.
REFERRAL_LIVE = REFERRAL.live
REFERRAL_FINAL = REFERRAL.final


def start(
    session, obj, workflow: Workflow, actor=None, reason_text: str | None = None
) -> Transition:
    """Put a new record in its initial state and log its creation (from: none)."""
    obj.status = workflow.initial
    session.flush()  # the record needs its id before the log can point at it
    entry = Transition(
        entity=workflow.entity,
        entity_id=obj.id,
        from_state=None,
        to_state=workflow.initial,
        actor_id=getattr(actor, "id", None),
        reason_text=reason_text,
    )
    session.add(entry)
    return entry


# The longest free text of a step (a reason, an outcome, a follow-up's feedback).
MAX_TEXT = 2000


def text_too_long(text: str | None, limit: int = MAX_TEXT) -> str | None:
    """The French message for a free text over ``limit`` characters (:data:`MAX_TEXT`),
    or None: what a person typed is refused with its length, never cut without a word."""
    return too_long("Ce texte", text, limit)


# What each machine moves, as a sentence names it.
_NOUNS = {"need": "le besoin", "lead": "la proposition", "referral": "la réorientation"}


def transition(
    session,
    obj,
    workflow: Workflow,
    to_state: str,
    actor=None,
    reason_code: str | None = None,
    reason_text: str | None = None,
) -> Transition:
    """Move ``obj`` to ``to_state`` if the machine allows it, and log who, when, from, to, why.

    The move is written only if the stored record still holds the state ``obj`` was read
    in (see :func:`compare_and_set`): of two people answering the same lead at the same
    instant, the second is refused with :class:`ChangedMeanwhile`. Raises TransitionError
    (French message) and changes nothing otherwise.
    """
    current = obj.status
    labels = workflow.labels
    if to_state not in labels:
        raise TransitionError(f"État inconnu : « {to_state} ».")
    if to_state == current:
        # A form sent twice (a double click, two tabs): the first did what was asked.
        what = _NOUNS.get(workflow.entity, "l'état")
        raise AlreadyDone(
            f"{what[0].upper()}{what[1:]} est déjà à l'état "
            f"« {vocab.label(labels, current)} » : rien n'a été modifié."
        )
    if to_state not in workflow.allowed(current):
        raise TransitionError(workflow.why_impossible(current, to_state))
    reason_text = (reason_text or "").strip() or None
    if why := text_too_long(reason_text):
        raise TransitionError(why, errors={"reason_text": why})
    closed = workflow.reasons.get(to_state)
    if closed is not None:
        if reason_code not in closed:
            why = "Choisissez un motif dans la liste."
            raise TransitionError(why, errors={"reason_code": why})
        if reason_code == "autre" and not reason_text:
            why = "Précisez le motif « autre »."
            raise TransitionError(why, errors={"reason_text": why})
    elif reason_code is not None:
        raise TransitionError("Aucun motif n'est attendu pour ce changement.")
    if to_state in workflow.texts and not reason_text:
        why = workflow.texts[to_state]
        raise TransitionError(why, errors={"reason_text": why})
    compare_and_set(session, obj, current, to_state)
    return _log(session, obj, workflow, current, to_state, actor, reason_code, reason_text)


def log_change(session, obj, workflow: Workflow, *, actor=None, reason_text: str) -> Transition:
    """Log, in the record's transition log, a change made to it that leaves its state
    as it is (a company owner's correction of their need, their message about it): one
    entry from its state to the same state, ``reason_text`` saying what changed.

    Written only while the stored record still holds the state ``obj`` was read in
    (:func:`compare_and_set`): a need sent to an operator meanwhile is no longer one its
    owner corrects. Raises ChangedMeanwhile (nothing written) otherwise."""
    current = obj.status
    compare_and_set(session, obj, current, current)
    return _log(session, obj, workflow, current, current, actor, None, reason_text)


def _log(session, obj, workflow, from_state, to_state, actor, reason_code, reason_text):
    """Add the log entry of ``obj``'s change (the caller wrote the change itself)."""
    entry = Transition(
        entity=workflow.entity,
        entity_id=obj.id,
        from_state=from_state,
        to_state=to_state,
        actor_id=getattr(actor, "id", None),
        reason_code=reason_code,
        reason_text=reason_text,
    )
    session.add(entry)
    return entry


def compare_and_set(session, obj, current: str, to_state: str) -> None:
    """Write ``to_state`` on the stored record only where it still holds ``current``.

    The one guard of a status read then written: the state machines' :func:`transition`
    and a person's status (``cvtheque.status.set_status``) both write through it.

    Checking the in-memory ``obj.status`` and then setting it is no guard when two
    requests read the same record: both pass the check and the second overwrites the
    first (two placements of one lead, a lead both accepted and refused). One
    ``UPDATE ... WHERE id = :id AND status = :current`` is atomic on both databases:
    PostgreSQL makes a concurrent update wait for the first to end, then evaluates the
    condition again on the row as committed; SQLite lets one writer at a time in, and
    the second reads the committed row. No row updated: the record moved meanwhile,
    ChangedMeanwhile is raised, nothing is written.
    """
    model = type(obj)
    session.flush()  # what the caller changed on the record is stored before it is compared
    result = session.execute(
        update(model)
        .where(model.id == obj.id, model.status == current)
        .values(status=to_state)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ChangedMeanwhile()
    # The object in the session says what the row now holds, without a pending change;
    # columns the UPDATE stamped itself (``updated_at``) are read again when next used.
    set_committed_value(obj, "status", to_state)
    stamped = [
        attr.key
        for attr in inspect(model).column_attrs
        if any(getattr(column, "onupdate", None) is not None for column in attr.columns)
    ]
    if stamped:
        session.expire(obj, stamped)


def unchanged_since(
    session,
    obj,
    read_at: str | None,
    message: str = CHANGED_MEANWHILE,
    *,
    holds: Mapping[str, Any] | None = None,
    edits: Edits | None = None,
    values_read: str | None = None,
) -> None:
    """Refuse a form's change unless the stored record is still the one the form was
    read from: ``read_at`` is its ``updated_at`` when the page was shown
    (:func:`read_stamp`, a hidden field of the form).

    The guard of a record's fields edited in a form, as :func:`compare_and_set` is of
    its state: of two people saving the same record from pages opened at the same time,
    the second is refused with :class:`ChangedMeanwhile` (``message``) instead of
    silently erasing the first's change. One ``UPDATE ... WHERE id = :id AND
    updated_at = :read`` stamps the row, atomic on both databases for the same reasons.
    A missing or unreadable stamp is refused too. Call it before changing ``obj``.

    ``holds``: what the form would write (attribute name: value as stored). A form read
    before another save but sending exactly what the record holds now (sent twice, sent
    again after a refusal without a change, or a colleague saved the same values) loses
    nothing: it passes, the row's stamp read now checked by the same ``UPDATE``, so a
    save landing in between is not overwritten either. A relationship is named by the
    record's property reading it as the list the form stores (a person's
    ``skill_labels``, an event's ``partner_ids``): every attribute is read again, its
    relationships with it.

    ``edits`` and ``values_read``: the fields the form edits (:data:`Edits`) and the
    digest of their values as the page read them (:func:`read_values`, the form's
    hidden ``lu_valeurs``). A record stamped since for reasons outside the form (a
    person's commitment moves their ``updated_at``, which matching relies on) loses
    nothing to this save when those fields still hold what was read: it passes, stamped
    from the same reading of the row (a save landing in between is still refused). A
    form without the digest (read before it existed) is guarded by the stamp alone."""
    read = read_instant(read_at)  # as :func:`read_stamp` wrote it, with its offset
    if read is None:
        raise ChangedMeanwhile(message)
    if (
        not _stamp_if(session, obj, read)
        and not _holds_now(session, obj, holds)
        and not _edits_unchanged(session, obj, edits, values_read)
    ):
        raise ChangedMeanwhile(message)
    session.expire(obj, ["updated_at"])


def _stamp_if(session, obj, read: datetime) -> bool:
    """Stamp ``obj``'s row now where its ``updated_at`` is still ``read``."""
    model = type(obj)
    result = session.execute(
        update(model)
        .where(model.id == obj.id, model.updated_at == read)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _holds_now(session, obj, holds: Mapping[str, Any] | None) -> bool:
    """Whether the stored record holds exactly ``holds`` now (read again from the
    database, relationships too: a property over one reads them again), then stamped
    from that very reading; False without ``holds``."""
    if not holds:
        return False
    session.expire(obj)  # nothing changed yet (called before the change): all read again
    now = obj.updated_at  # the row's columns in one reading, its stamp with them
    if not all(_held(getattr(obj, name), value) for name, value in holds.items()):
        return False
    return _stamp_if(session, obj, now)


@dataclass(frozen=True)
class HeldAs:
    """A value of :func:`unchanged_since`'s ``holds`` that the record holds when the stored
    value is the same once both go through ``key`` (a comparison key of ``contacts``: a
    phone typed « 06 12 34 56 78 » and stored as an import sent it, an address in
    capitals): the form's save would keep the stored form (``profile._same``), so
    nothing would be lost."""

    value: Any
    key: Callable[[Any], Any]


def held_as(values: Mapping[str, Any], keys: Mapping[str, Callable[[Any], Any]]) -> dict:
    """``values`` for ``holds``, each one ``keys`` names compared through its key
    (:class:`HeldAs`)."""
    return {
        name: HeldAs(value, keys[name]) if name in keys else value for name, value in values.items()
    }


def _held(stored: Any, value: Any) -> bool:
    """Whether ``stored`` is what ``value`` (a value of ``holds``) would write."""
    if not isinstance(value, HeldAs):
        return stored == value
    if stored == value.value:
        return True
    # A key of None (an empty value, or too little of one to compare) is no match:
    # "12" stored and nothing typed are not the same number.
    same = value.key(stored)
    return same is not None and same == value.key(value.value)


# What a guarded form edits on its record: the attributes' names, or a function giving
# the values from the record (a profile's skills, its commune as the form shows it).
Edits = Sequence[str] | Callable[[Any], Mapping[str, Any]]


def edited_values(obj, edits: Edits) -> dict[str, Any]:
    """The values of the fields ``edits`` names, as ``obj`` holds them now."""
    if callable(edits):
        return dict(edits(obj))
    return {name: getattr(obj, name) for name in edits}


def values_digest(values: Mapping[str, Any]) -> str:
    """A short digest of ``values`` in one canonical form (keys sorted, dates and
    numbers as text), the same for the same values however they were read."""
    canonical = json.dumps(
        sorted((str(name), value) for name, value in values.items()),
        default=str,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def read_values(obj, edits: Edits) -> str:
    """The digest of the fields a form edits as read now, for its hidden ``lu_valeurs``
    next to :func:`read_stamp` (:func:`unchanged_since`'s ``values_read``)."""
    return values_digest(edited_values(obj, edits))


def _edits_unchanged(session, obj, edits: Edits | None, read: str | None) -> bool:
    """Whether the fields ``edits`` names hold now (read again from the database) the
    values whose digest the form read, then stamped from that very reading; False
    without them (a form sent before the digest existed)."""
    if edits is None or not read:
        return False
    session.expire(obj)  # nothing changed yet (called before the change): all read again
    now = obj.updated_at  # the row's columns in one reading, its stamp with them
    if values_digest(edited_values(obj, edits)) != read[:64]:
        return False
    return _stamp_if(session, obj, now)


def unchanged_since_read(
    session,
    obj,
    sent: Mapping[str, str],
    message: str = CHANGED_MEANWHILE,
    *,
    edits: Edits,
    holds: Mapping[str, Any] | None = None,
) -> None:
    """:func:`unchanged_since` for a form that sent its guard as its hidden fields
    (``sent``: the form as posted): the read stamp ``lu_le`` and the digest of the
    fields ``edits`` names as read, ``lu_valeurs`` (:func:`read_values`)."""
    unchanged_since(
        session,
        obj,
        sent.get("lu_le"),
        message,
        holds=holds,
        edits=edits,
        values_read=sent.get("lu_valeurs"),
    )


def read_stamp(obj) -> str:
    """The stamp of ``obj`` as read now, for a form's hidden field (:func:`unchanged_since`)."""
    return obj.updated_at.isoformat()


def history(session, workflow: Workflow, entity_id: int) -> list[Transition]:
    """The transition log of one record, oldest first."""
    return list(
        session.scalars(
            select(Transition)
            .where(Transition.entity == workflow.entity, Transition.entity_id == entity_id)
            .order_by(Transition.at, Transition.id)
        )
    )
