"""The moves an animateur makes by hand on a need's page, the company owner's stop of a
need they no longer have, and the need's history told in words (who, when, from which
state to which, why)."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from connectences import vocab
from connectences.mail import MailKind, queue_template
from connectences.models import Need, Transition, User
from connectences.needs.register import reply_to_for
from connectences.needs.status_words import awaiting_owner, owner_stop_log
from connectences.urls import external_url
from connectences.workflows import (
    NEED,
    NEED_FINAL,
    NEED_MANUAL_MOVES,
    NeedState,
    TransitionError,
    leads,
    text_too_long,
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
        release(session, need, why="le besoin est abandonné", actor=actor)


def release(session, need: Need, *, why: str, actor=None) -> None:
    """Once ``need`` is abandoned, whoever holds it lets it go: its live leads close and
    their operators are told, the partners of its live referrals are told (``why``)."""
    leads.withdraw_leads(session, need, why=why, actor=actor)
    leads.withdraw_referrals(session, need, why=why, actor=actor)


# The reasons a company owner may give for stopping a need, in their own words (keys of
# ``vocab.NEED_ABANDON_REASONS``, whose labels the log shows; the others, such as
# "unreachable" or "duplicate", are the platform's to say).
OWNER_STOP_REASONS: dict[str, str] = {
    "besoin_disparu": "Je n'en ai plus besoin",
    "pourvu_autrement": "J'ai trouvé quelqu'un par moi-même",
    "budget": "Mon budget ne le permet pas",
    "autre": "Une autre raison (précisez-la)",
}
# The owner's words go to the log after who said them (``workflows.MAX_TEXT`` in all).
OWNER_TEXT_MAX = 1500
OWNER_STOP_CLOSED = (
    "Ce besoin est déjà clos : il n'y a plus rien à arrêter. Pour un nouveau besoin, "
    "exprimez-le avec le formulaire."
)


def owner_may_stop(need: Need) -> bool:
    """True while the company owner may still stop ``need`` (it is not settled)."""
    return need.status not in NEED_FINAL and NeedState.ABANDONNE in NEED.allowed(need.status)


def stop_by_owner(
    session,
    need: Need,
    *,
    email: str,
    reason_code: str | None,
    reason_text: str | None = None,
    actor=None,
) -> None:
    """The company owner (``email``: the address their space or account answers to;
    ``actor``: their account, when logged in) says ``need`` is no longer needed.

    The need is abandoned with their reason, in its log as said by the company; the
    operators and partners holding it are told; so is the animateur who follows it (or
    the platform's address). Raises TransitionError (French, ``errors`` by field) and
    changes nothing when it is settled already or the reason is missing."""
    if not owner_may_stop(need):
        raise TransitionError(OWNER_STOP_CLOSED)
    if reason_code not in OWNER_STOP_REASONS:
        why = "Choisissez ce qui s'est passé dans la liste."
        raise TransitionError(why, errors={"reason_code": why})
    typed = (reason_text or "").strip()
    if reason_code == "autre" and not typed:
        why = "Précisez en quelques mots ce qui s'est passé."
        raise TransitionError(why, errors={"reason_text": why})
    if why := text_too_long(typed, OWNER_TEXT_MAX):
        raise TransitionError(why, errors={"reason_text": why})
    said = owner_stop_log(email, typed)
    transition(
        session,
        need,
        NEED,
        NeedState.ABANDONNE,
        actor=actor,
        reason_code=reason_code,
        reason_text=said,
    )
    reason = vocab.NEED_ABANDON_REASONS[reason_code].lower()
    release(session, need, why=f"l'entreprise a arrêté ce besoin ({reason})", actor=actor)
    tell_animateur(
        session,
        need,
        email=email,
        subject=f"Besoin arrêté par l'entreprise : {need.title}",
        message=f"{need.company.name} a arrêté le besoin « {need.title} » depuis son "
        f"espace ({email}) : {vocab.NEED_ABANDON_REASONS[reason_code]}"
        + (f" — « {typed} »" if typed else "")
        + ". Il est clos sans suite ; les structures qui le tenaient en sont informées.",
    )


def tell_animateur(session, need: Need, *, email: str, subject: str, message: str) -> None:
    """Mail the animateur who follows ``need`` (or the platform's address) what its
    company owner did or said from their space (``email``, where the answer goes). A
    need still waiting for its owner's confirmation never reached the animateurs:
    nobody is told."""
    to = None if awaiting_owner(need) else reply_to_for(session, need)
    if to:
        queue_template(
            session,
            kind=MailKind.WORKFLOW_UPDATE,
            to=to,
            subject=subject,
            template="lead_update",
            message=message,
            link=external_url("needs.show", ref=need.ref),
            reply_to=email,
        )


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
