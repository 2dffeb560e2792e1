"""A person's status: the one place where it changes, with its line in their history.

Statuses (``vocab.CANDIDATE_STATUSES``): ``disponible`` (no work held, open to
work), ``en_mission`` (holds work and has, or will have, free time to fill: still
matched, on their free hours and free days), ``place`` (their week is full, or they
said they want no more) and ``inactif`` (paused). ``disponible`` and ``en_mission``
are open to work (``vocab.OPEN_TO_WORK``).

``set_status`` is the only writer of ``Candidate.status``: every change writes the
person's history (``cvtheque.history``) and the transition log, and is written only
where the stored person still holds the status it was read in (an animateur pausing
the person while a placement settles them ``en_mission``: the second to write is
refused with ``workflows.ChangedMeanwhile``, nothing of it kept). ``settle_status``
derives the status from the person's commitments and choice after a change to
their week (placement, commitment added or removed, hours or days changed in their
profile, "je souhaite plus d'heures", "mon emploi du temps est complet"):

- paused people stay paused;
- ``place`` when they said their week is complete, or when it is full for good
  (``matching.week.is_full``: open-ended work leaves under 1 h or no free day);
- ``en_mission`` while they hold work that has not ended;
- ``disponible`` otherwise.

Fixed-term work never makes a person ``place``: the hours come back by themselves
when it ends (matching counts commitments from dates, no job needed).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from connectences.clock import local_today
from connectences.cvtheque.history import record_event
from connectences.errors import DomainError
from connectences.matching import week
from connectences.matching.data import candidate_from_model
from connectences.models import Candidate, Commitment, Transition, User
from connectences.models.base import utcnow
from connectences.vocab import CANDIDATE_STATUSES, MISSION_AHEAD, OWN_STATUSES
from connectences.workflows import ChangedMeanwhile, compare_and_set


class StatusError(DomainError):
    """A status change refused, with the reason in French."""


def set_status(
    session: Session,
    candidate: Candidate,
    new: str,
    *,
    actor: User | int | None = None,
    actor_label: str | None = None,
    reason: str | None = None,
) -> bool:
    """Move the person to ``new``; False (and nothing written) when it already was.

    Writes their history line ("Statut : Disponible → En mission (reason).") and the
    transition log; bumps ``updated_at`` so that matching re-reads the person. A stored
    person moves only from the status ``candidate`` was read in: when another request
    changed it meanwhile, raises ``workflows.ChangedMeanwhile`` (French message) and
    writes nothing; the caller rolls back whatever went with the change.
    """
    if new not in CANDIDATE_STATUSES:
        why = "Choisissez un statut de la liste."
        raise StatusError(why, errors={"status": why})
    old = candidate.status
    if old == new:
        return False
    if inspect(candidate).has_identity:
        # The UPDATE stamps ``updated_at`` itself (its ``onupdate``).
        compare_and_set(session, candidate, old, new)
    else:  # a person being created: nobody else can have read them
        candidate.status = new
        candidate.updated_at = utcnow()
    summary = f"Statut : {CANDIDATE_STATUSES.get(old, old)} → {CANDIDATE_STATUSES[new]}"
    summary += f" ({reason})." if reason else "."
    actor_id = actor.id if isinstance(actor, User) else actor
    record_event(
        session,
        candidate,
        "status",
        summary,
        actor=actor_id,
        actor_label=actor_label,
        details={"from": old, "to": new},
    )
    if candidate.id is not None:
        session.add(
            Transition(
                entity="candidate",
                entity_id=candidate.id,
                from_state=old,
                to_state=new,
                actor_id=actor_id,
                reason_text=reason,
            )
        )
    return True


def holds_work(candidate: Candidate, today=None) -> bool:
    """Whether the person holds work that has not ended (today or later)."""
    today = today or local_today()
    return bool(week.running(candidate.commitments, today))


def status_words(candidate: Candidate, today: date | None = None) -> str:
    """The person's status as a page says it to them or about them: its word
    (``vocab.CANDIDATE_STATUSES``), except for a person "en mission" whose work has all
    yet to start (``week.not_started``): « Mission à venir à partir du 01/03/2027 »,
    the first day of the earliest, and « En mission » from that day. The stored status
    stays "en_mission" from the day the work is declared: matching counts it already."""
    first = None
    if candidate.status == "en_mission":
        today = today or local_today()
        held = week.running(candidate.commitments, today)
        if held and all(week.not_started(c, today) for c in held):
            first = min(c.start for c in held)
    return status_label(candidate.status, first)


def status_label(status: str, work_ahead_from: date | None = None) -> str:
    """``status_words`` from what a list reads as columns: the stored ``status`` and the
    first day of the work held when none of it has started yet (``work_ahead_from``,
    None when some has or none is held; ``cvtheque.search.LISTED_COLUMNS``)."""
    if status == "en_mission" and work_ahead_from is not None:
        return f"{MISSION_AHEAD} {week.from_text(work_ahead_from)}"
    return CANDIDATE_STATUSES.get(status, status)


def own_status_words(candidate: Candidate, today: date | None = None) -> str:
    """The person's status as their own pages say it to them: ``status_words``, except
    where the staff's word is not the person's (``vocab.OWN_STATUSES``: « En pause », the
    pause they chose, not « Inactif »)."""
    return OWN_STATUSES.get(candidate.status) or status_words(candidate, today)


def week_is_full(candidate: Candidate) -> bool:
    """``matching.week.is_full`` on the stored person."""
    return week.is_full(candidate_from_model(candidate))


def settled_status(candidate: Candidate, today=None, *, resume: bool = False) -> str:
    """The status the person's week and choice call for (see the module docstring).

    A paused person stays paused unless ``resume`` (they asked to be open again).
    """
    if candidate.status == "inactif" and not resume:
        return "inactif"
    if candidate.week_complete or week_is_full(candidate):
        return "place"
    if holds_work(candidate, today):
        return "en_mission"
    return "disponible"


def settle_status(
    session: Session,
    candidate: Candidate,
    *,
    actor: User | int | None = None,
    actor_label: str | None = None,
    reason: str | None = None,
    resume: bool = False,
    today: date | None = None,
) -> bool:
    """Put the person in the status their week calls for; True when it changed.

    ``today``: the day the week is read on (default today); a placement whose last day
    is today is read from tomorrow, the person's first free day."""
    return set_status(
        session,
        candidate,
        settled_status(candidate, today, resume=resume),
        actor=actor,
        actor_label=actor_label,
        reason=reason,
    )


def choose_week(
    session: Session,
    candidate: Candidate,
    complete: bool,
    *,
    actor: User | int | None = None,
    actor_label: str | None = None,
) -> bool:
    """The person's choice: "mon emploi du temps est complet" (``complete``) or "je
    souhaite plus d'heures". Stored, then the status follows; True when anything changed.

    A paused person who asks for more hours is open to work again. "Complete" needs
    work in the week: without any, the choice would take the person out of matching
    as "placé" with nothing placed; pausing the profile is the way to stop proposals.
    """
    if complete and not candidate.week_complete and not holds_work(candidate):
        raise StatusError(
            "Votre semaine ne compte encore aucun travail : elle ne peut pas être complète. "
            "Si vous ne souhaitez plus être proposé·e aux employeurs, mettez votre profil "
            "en pause."
        )
    changed = candidate.week_complete != complete
    candidate.week_complete = complete
    if changed:
        record_event(
            session,
            candidate,
            "week",
            "Emploi du temps complet : ne souhaite plus d'heures."
            if complete
            else "Souhaite plus d'heures.",
            actor=actor,
            actor_label=actor_label,
        )
        candidate.updated_at = utcnow()
    moved = settle_status(
        session,
        candidate,
        actor=actor,
        actor_label=actor_label,
        reason="emploi du temps complet" if complete else "souhaite plus d'heures",
        resume=not complete,
    )
    return moved or changed


# Who the history names for a status the platform settles by itself (a job).
PLATFORM = "la plateforme"


def settle_ended_work(session: Session, today: date) -> tuple[int, int]:
    """Settle the people still "en mission" or "placé" whose work ended before
    ``today`` (a fixed-term commitment run out, a placement ended): nothing else moves
    their status once that work is over, and matching leaves "placé" people out.

    Each person in a savepoint of their own: one whose status changed meanwhile (their
    own pause, a placement) keeps that change and is left for the next run. Returns
    (people whose status changed, people left because they changed meanwhile)."""
    ended = select(Commitment.candidate_id).where(Commitment.until < today)
    people = session.scalars(
        select(Candidate)
        .where(Candidate.id.in_(ended), Candidate.status.in_(("en_mission", "place")))
        .order_by(Candidate.id)
    ).all()
    moved = left = 0
    for person in people:
        try:
            with session.begin_nested():
                moved += settle_status(
                    session,
                    person,
                    actor_label=PLATFORM,
                    reason="fin d'un engagement",
                    today=today,
                )
        except ChangedMeanwhile:
            session.expire(person)
            left += 1
    return moved, left
