"""Matching over the database: needs and candidates by ref, with an in-process index.

The pure scorer (``matching.score``) and the columnar index
(``matching.index``) know nothing of SQLAlchemy; this module loads rows,
turns them into plain data, and keeps one candidate index per database in the
process. Before each query a one-row "version stamp" of the candidate tables
is read; when it moved, only the candidates written since are reloaded into
the index (a deletion triggers a full rebuild). Confirming or updating a
candidate therefore costs one row reload, not a rebuild, and the request that
triggered it is not slowed down.

Only people who consented and confirmed their address are matchable
(``data.candidate_from_model`` sets ``consent`` accordingly).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select

from connectences.extensions import db
from connectences.matching.data import candidate_from_model, need_from_model
from connectences.matching.index import CandidateIndex
from connectences.matching.score import explain_pair
from connectences.models import Candidate, CandidateSkill, Need


class UnknownRef(LookupError):
    """A need or candidate ref that is not in the database (message in French)."""


@dataclass
class _State:
    index: CandidateIndex
    stamp: tuple = ()
    max_updated: datetime | None = None
    max_skill_id: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_states: dict[str, _State] = {}
_states_lock = threading.Lock()


def _key() -> str:
    return str(db.engine.url)


def _stamp(session) -> tuple:
    cand = session.execute(select(func.count(Candidate.id), func.max(Candidate.updated_at))).one()
    skill = session.execute(
        select(func.count(CandidateSkill.id), func.max(CandidateSkill.id))
    ).one()
    return (cand[0], cand[1], skill[0], skill[1] or 0)


def _load_all(session) -> _State:
    stamp = _stamp(session)
    index = CandidateIndex()
    for candidate in session.scalars(select(Candidate).order_by(Candidate.id)):
        index.add(candidate_from_model(candidate))
    return _State(index=index, stamp=stamp, max_updated=stamp[1], max_skill_id=stamp[3])


def candidate_index(session=None) -> CandidateIndex:
    """The up-to-date candidate index of the current database (built on first use)."""
    session = session or db.session
    key = _key()
    with _states_lock:
        state = _states.get(key)
    if state is None:
        state = _load_all(session)
        with _states_lock:
            _states[key] = state
        return state.index
    with state.lock:
        stamp = _stamp(session)
        if stamp == state.stamp:
            return state.index
        _refresh(session, state, stamp)
        if len(state.index) != stamp[0]:
            # A candidate was deleted (or something else moved): start again.
            fresh = _load_all(session)
            state.index, state.stamp = fresh.index, fresh.stamp
            state.max_updated, state.max_skill_id = fresh.max_updated, fresh.max_skill_id
        return state.index


def _refresh(session, state: _State, stamp: tuple) -> None:
    """Reload the candidates written since the last stamp into the index."""
    conditions = [
        Candidate.id.in_(
            select(CandidateSkill.candidate_id).where(CandidateSkill.id > state.max_skill_id)
        )
    ]
    if state.max_updated is not None:
        conditions.append(Candidate.updated_at >= state.max_updated)
    else:
        conditions.append(Candidate.updated_at.is_not(None))
    for candidate in session.scalars(select(Candidate).where(or_(*conditions))):
        state.index.add(candidate_from_model(candidate))
    state.stamp = stamp
    state.max_updated = stamp[1]
    state.max_skill_id = stamp[3]


def candidate_changed(candidate: Candidate) -> None:
    """Put one candidate's current values into the index now (after a commit)."""
    key = _key()
    with _states_lock:
        state = _states.get(key)
    if state is not None:
        with state.lock:
            state.index.add(candidate_from_model(candidate))


def forget_indexes() -> None:
    """Drop every in-process index (tests, or after a bulk change)."""
    with _states_lock:
        _states.clear()


def _need(session, need_ref: str) -> Need:
    need = session.scalar(select(Need).where(Need.ref == need_ref))
    if need is None:
        raise UnknownRef(f"Besoin inconnu : « {need_ref} ».")
    return need


def _candidate(session, candidate_ref: str) -> Candidate:
    candidate = session.scalar(select(Candidate).where(Candidate.ref == candidate_ref))
    if candidate is None:
        raise UnknownRef(f"Candidat inconnu : « {candidate_ref} ».")
    return candidate


def match_need(need_ref: str, limit: int = 20, session=None) -> dict:
    """Best candidates for a need: ``{"need", "matches": [{"candidate", "score", "explanation"}]}``.

    Best first, ties by candidate ref; candidates breaking a hard constraint are
    never listed. Raises ``UnknownRef`` for an unknown need.
    """
    session = session or db.session
    need = need_from_model(_need(session, need_ref))
    index = candidate_index(session)
    return {"need": need.ref, "matches": index.match(need, limit)}


def explain_candidate(need_ref: str, candidate_ref: str, session=None) -> dict:
    """ "Pourquoi pas ce candidat ?" for one need and one candidate (see ``score.explain_pair``)."""
    from connectences import territory

    session = session or db.session
    need = need_from_model(_need(session, need_ref))
    cand = candidate_from_model(_candidate(session, candidate_ref))
    distance = territory.distance_km(cand.commune, need.commune)
    return explain_pair(need, cand, distance)
