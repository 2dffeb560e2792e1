"""Who may read a person's CV file: one rule for every page that serves it."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from connectences.accounts.scope import is_usable
from connectences.models import Candidate, Lead, LeadCandidate, Placement, User
from connectences.workflows import LEAD_TAKEN_ON

# Roles that work the library itself: they see every record and every CV.
LIBRARY_ROLES = frozenset({"animateur", "admin"})


def may_read_cv(
    session: Session, user: User | None, candidate_id: int, *, lead_id: int | None = None
) -> bool:
    """True when ``user`` may download the CV of candidate ``candidate_id``.

    Animateurs and admins always may. A member of an operator may only for a person
    named in a lead of their own organisation that was accepted (or is in progress or
    placed); with ``lead_id``, that lead must be the one. Nobody else ever may.
    """
    if not is_usable(user):
        return False
    if user.role in LIBRARY_ROLES:
        return True
    if user.role != "operator" or user.operator_id is None:
        return False
    query = (
        select(LeadCandidate.id)
        .join(Lead, Lead.id == LeadCandidate.lead_id)
        .where(
            LeadCandidate.candidate_id == candidate_id,
            Lead.operator_id == user.operator_id,
            Lead.status.in_(LEAD_TAKEN_ON),
        )
    )
    if lead_id is not None:
        query = query.where(Lead.id == lead_id)
    return bool(session.scalar(select(exists(query))))


def week_to_complete(placement: Placement) -> bool:
    """Whether the operator of ``placement`` may help complete the person's week: the
    placement has not ended and the person is at work with time left (en mission)."""
    person = placement.candidate
    return placement.ended_on is None and person is not None and person.status == "en_mission"


def operator_placed(session: Session, user: User | None, candidate_id: int) -> bool:
    """True when ``user`` is a member of an operator whose placement of this person is
    one whose week it may help complete (:func:`week_to_complete`). A placement that
    ended, or a person no longer en mission (their week full, their work over), leaves
    the operator nothing to complete: their week is no longer its to read."""
    if not is_usable(user) or user.role != "operator" or user.operator_id is None:
        return False
    query = (
        select(Placement.id)
        .join(Lead, Lead.id == Placement.lead_id)
        .join(Candidate, Candidate.id == Placement.candidate_id)
        .where(
            Placement.candidate_id == candidate_id,
            Lead.operator_id == user.operator_id,
            Placement.ended_on.is_(None),
            Candidate.status == "en_mission",
        )
    )
    return bool(session.scalar(select(exists(query))))


def operator_placements(session: Session, user: User, candidate_id: int) -> set[int]:
    """The ids of the placements of this person made by ``user``'s operator: the work
    whose place and company its week page may name (``commitments.week_view``)."""
    return set(
        session.scalars(
            select(Placement.id)
            .join(Lead, Lead.id == Placement.lead_id)
            .where(Placement.candidate_id == candidate_id, Lead.operator_id == user.operator_id)
        )
    )
