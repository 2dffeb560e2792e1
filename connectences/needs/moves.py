"""The moves an animateur makes by hand on a need's page, and the need's history told in
words (who, when, from which state to which, why)."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from connectences import vocab
from connectences.models import Need, Transition, User
from connectences.needs.status_words import awaiting_owner
from connectences.workflows import (
    NEED,
    NEED_MANUAL_MOVES,
    NeedState,
    TransitionError,
    leads,
    transition,
)

AWAITING_OWNER = "Ce besoin attend la confirmation de l'adresse e-mail de l'entreprise."


def manual_moves(need: Need) -> tuple[str, ...]:
    """The states an animateur may move the need to by hand, in button order (none while
    its owner has not confirmed it: it is not in the queue yet)."""
    if awaiting_owner(need):
        return ()
    allowed = NEED.allowed(need.status)
    return tuple(t for t in NEED_MANUAL_MOVES.get(need.status, ()) if t in allowed)


def _refusal(need: Need, target: str) -> str:
    """Why ``target`` is not offered by hand for this need, in French."""
    labels = vocab.NEED_STATUSES
    if awaiting_owner(need):
        return AWAITING_OWNER
    if target == NeedState.QUALIFIE and need.status == NeedState.NOUVEAU:
        return (
            "Pour qualifier ce besoin, complétez-le et choisissez son métier "
            "(bouton « Qualifier le besoin »)."
        )
    if target in labels:
        # Said the same on the need page and through the API: no "from this page".
        return (
            f"Impossible de passer directement de « {labels[need.status]} » à « {labels[target]} »."
        )
    return "Ce changement d'état n'est pas possible directement."


def move_by_hand(
    session,
    need: Need,
    target: str,
    *,
    actor,
    reason_code: str | None = None,
    reason_text: str | None = None,
) -> None:
    """Move the need to ``target`` as an animateur asked on its page, with the log entry.

    Only the moves of :func:`manual_moves` are accepted; a reason from the closed list
    is kept for an abandonment only. Raises TransitionError (French) otherwise.
    """
    if target not in manual_moves(need):
        raise TransitionError(_refusal(need, target))
    transition(
        session,
        need,
        NEED,
        target,
        actor=actor,
        reason_code=(reason_code or None) if target == NeedState.ABANDONNE else None,
        reason_text=reason_text or None,
    )
    if target == NeedState.ABANDONNE:
        leads.withdraw_leads(session, need, why="le besoin est abandonné", actor=actor)


# The log and the names of its authors in one statement (``workflows.history``'s order),
# built once (the need page reads it on every request).
_LOG_WITH_AUTHORS = (
    select(Transition, User.full_name, User.email)
    .outerjoin(User, User.id == Transition.actor_id)
    .where(Transition.entity == NEED.entity, Transition.entity_id == bindparam("need_id"))
    .order_by(Transition.at, Transition.id)
)


def history_rows(session, need: Need) -> list[dict]:
    """The need's log, oldest first: ``{"at", "who", "from", "to", "why"}`` in French."""
    log = session.execute(_LOG_WITH_AUTHORS, {"need_id": need.id})
    rows = []
    for entry, full_name, email in log:
        reason = vocab.NEED_ABANDON_REASONS.get(entry.reason_code or "", entry.reason_code)
        rows.append(
            {
                "at": entry.at,
                "who": (full_name or email) if email is not None else "La plateforme",
                "from": vocab.label(vocab.NEED_STATUSES, entry.from_state) or "—",
                "to": vocab.label(vocab.NEED_STATUSES, entry.to_state),
                "why": " — ".join(part for part in (reason, entry.reason_text) if part),
            }
        )
    return rows
