"""State machines of needs, leads and referrals, each change written to the transition log.

A view never sets ``status`` by hand: it calls :func:`transition` (or :func:`start` for a
new record) inside the request's transaction. Every timing the observatory reports is
read from the ``transition`` table this module writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from connectences import vocab
from connectences.models import Transition


class TransitionError(ValueError):
    """A transition the state machine does not allow; ``message`` is French, for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Workflow:
    entity: str
    labels: dict[str, str]
    initial: str
    moves: dict[str, frozenset[str]]
    # Target states that need a reason from a closed list ("autre" then needs free text).
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)
    # Target states that need a free text (e.g. the outcome of a closed referral).
    texts: dict[str, str] = field(default_factory=dict)

    def allowed(self, state: str) -> frozenset[str]:
        return self.moves.get(state, frozenset())

    def is_final(self, state: str) -> bool:
        return not self.allowed(state)


def _moves(**kwargs: tuple[str, ...]) -> dict[str, frozenset[str]]:
    return {state: frozenset(targets) for state, targets in kwargs.items()}


NEED = Workflow(
    entity="need",
    labels=vocab.NEED_STATUSES,
    initial="nouveau",
    moves=_moves(
        nouveau=("qualifie", "reoriente", "abandonne"),
        qualifie=("en_recherche", "propose", "reoriente", "abandonne"),
        en_recherche=("propose", "reoriente", "abandonne"),
        # A lead refused or handed back sends the need back to the search.
        propose=("pourvu", "en_recherche", "reoriente", "abandonne"),
        reoriente=("en_recherche", "pourvu", "abandonne"),
        pourvu=(),
        abandonne=(),
    ),
    reasons={"abandonne": vocab.NEED_ABANDON_REASONS},
)

LEAD = Workflow(
    entity="lead",
    labels=vocab.LEAD_STATUSES,
    initial="envoye",
    moves=_moves(
        envoye=("vu", "refuse", "rendu", "sans_suite"),
        vu=("accepte", "refuse", "rendu", "sans_suite"),
        accepte=("en_cours", "place", "rendu", "sans_suite"),
        en_cours=("place", "rendu", "sans_suite"),
        place=(),
        refuse=(),
        rendu=(),
        sans_suite=(),
    ),
    reasons={"refuse": vocab.LEAD_REFUSAL_REASONS},
)

REFERRAL = Workflow(
    entity="referral",
    labels=vocab.REFERRAL_STATUSES,
    initial="envoyee",
    moves=_moves(
        # ``sans_suite``: closed by the scheduler when the partner never took it in hand.
        envoyee=("recue", "refusee", "sans_suite"),
        recue=("prise_en_charge", "refusee", "sans_suite"),
        prise_en_charge=("close",),
        close=(),
        refusee=(),
        sans_suite=(),
    ),
    reasons={"refusee": vocab.REFERRAL_REFUSAL_REASONS},
    texts={"close": "Indiquez l'issue de la prise en charge."},
)


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

    Raises TransitionError (French message) and changes nothing otherwise.
    """
    current = obj.status
    labels = workflow.labels
    if to_state not in labels:
        raise TransitionError(f"État inconnu : « {to_state} ».")
    if to_state not in workflow.allowed(current):
        raise TransitionError(
            f"Impossible de passer de « {vocab.label(labels, current)} » "
            f"à « {vocab.label(labels, to_state)} »."
        )
    reason_text = (reason_text or "").strip() or None
    closed = workflow.reasons.get(to_state)
    if closed is not None:
        if reason_code not in closed:
            raise TransitionError("Choisissez un motif dans la liste.")
        if reason_code == "autre" and not reason_text:
            raise TransitionError("Précisez le motif « autre ».")
    elif reason_code is not None:
        raise TransitionError("Aucun motif n'est attendu pour ce changement.")
    if to_state in workflow.texts and not reason_text:
        raise TransitionError(workflow.texts[to_state])
    obj.status = to_state
    entry = Transition(
        entity=workflow.entity,
        entity_id=obj.id,
        from_state=current,
        to_state=to_state,
        actor_id=getattr(actor, "id", None),
        reason_code=reason_code,
        reason_text=reason_text,
    )
    session.add(entry)
    return entry


def history(session, workflow: Workflow, entity_id: int) -> list[Transition]:
    """The transition log of one record, oldest first."""
    return list(
        session.scalars(
            select(Transition)
            .where(Transition.entity == workflow.entity, Transition.entity_id == entity_id)
            .order_by(Transition.at, Transition.id)
        )
    )
