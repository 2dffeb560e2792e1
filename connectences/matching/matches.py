"""The matches of stored needs: needs and candidates by ref, with an in-process index.

The pure scorer (``matching.score``) and the columnar index
(``matching.index``) know nothing of SQLAlchemy; this module loads rows,
turns them into plain data, and keeps one candidate index per database in the
process. Before each query a "version stamp" of the candidate tables (three
maxima read from indexes) is read; when it moved, only the candidates written
since are reloaded into the index. Deleted people are caught when they would
be returned (the refs of a result are checked against the table). Writers of a
person's skills or commitments bump their ``updated_at``. Confirming or updating a
candidate therefore costs one row reload, not a rebuild, and the request that
triggered it is not slowed down.

Only people who consented and confirmed their address are matchable
(``data.candidate_from_model`` sets ``consent`` accordingly).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from connectences import territory
from connectences.errors import DomainError
from connectences.extensions import db
from connectences.matching.data import (
    CandidateData,
    CommitmentData,
    candidate_from_model,
    need_from_model,
)
from connectences.matching.index import CandidateIndex, Ranking
from connectences.matching.score import explain_pair
from connectences.models import Candidate, CandidateSkill, Commitment, Deletion, Need


class UnknownRef(DomainError, LookupError):
    """A need or candidate ref that is not in the database (message in French)."""


@dataclass
class _State:
    index: CandidateIndex
    stamp: tuple = ()
    lock: threading.Lock = field(default_factory=threading.Lock)


# People reloaded by one statement of a refresh (see ``_refresh``).
REFRESH_BATCH = 500


def in_batches(ids: list[int]) -> Iterator[list[int]]:
    """``ids`` a ``REFRESH_BATCH`` at a time: an import of thousands of CVs stays within
    any database's limit on a statement's parameters."""
    for start in range(0, len(ids), REFRESH_BATCH):
        yield ids[start : start + REFRESH_BATCH]


_states: dict[str, _State] = {}
_states_lock = threading.Lock()


def _key() -> str:
    return str(db.engine.url)


# One aggregate per subquery: SQLite only reads a lone min/max from its index; the three
# in one statement spare each request two round trips. Built once, like every statement
# read on each request.
_STAMP = select(
    select(func.max(Candidate.id)).scalar_subquery(),
    select(func.max(Candidate.updated_at)).scalar_subquery(),
    select(func.max(CandidateSkill.id)).scalar_subquery(),
    select(func.max(Deletion.id)).where(Deletion.kind == "candidates").scalar_subquery(),
)


def library_stamp(session) -> tuple:
    """What changes when a person of the CV library or a skill is added, changed or
    deleted."""
    # Four maxima read from indexes: cheap at any size on every backend. Skill
    # rows are replaced (new ids), not edited in place, and writers bump the
    # person's updated_at when they change skills (the exchange importer does). A
    # person deleted leaves a tombstone (``tombstones.record_deletion``), whose id
    # says the index must forget them: pooling and the week page read every person
    # of the index, not only the ones ``match_need`` checks it returns.
    max_id, max_updated, max_skill, max_tombstone = session.execute(_STAMP).one()
    return (max_id or 0, max_updated, max_skill or 0, max_tombstone or 0)


_CANDIDATE_COLUMNS = (
    Candidate.id,
    Candidate.ref,
    Candidate.commune,
    Candidate.mobility_km,
    Candidate.level,
    Candidate.hours_min,
    Candidate.hours_max,
    Candidate.days,
    Candidate.contracts,
    Candidate.available_from,
    Candidate.rome,
    Candidate.status,
    Candidate.consent,
    Candidate.email_confirmed_at,
)


# People's skill labels in the order they gave them, by person (narrowed by the caller):
# the index and a page of the CV search read them so.
SKILL_LABELS = select(CandidateSkill.candidate_id, CandidateSkill.label).order_by(
    CandidateSkill.candidate_id, CandidateSkill.position, CandidateSkill.id
)


def skill_labels(session, statement, params=None) -> dict[int, list[str]]:
    """candidate id -> labels, from ``statement`` (``SKILL_LABELS`` narrowed)."""
    labels: dict[int, list[str]] = {}
    for candidate_id, label in session.execute(statement, params or {}):
        labels.setdefault(candidate_id, []).append(label)
    return labels


def _candidates_from_rows(session, ids: list[int] | None = None) -> list[CandidateData]:
    """Plain candidates from three column queries (no ORM objects: fast at 100,000 rows):
    every candidate, or those of ``ids`` (each query then a look-up by primary or
    foreign key)."""
    query = select(*_CANDIDATE_COLUMNS).order_by(Candidate.id)
    skills_query = SKILL_LABELS
    commitments_query = select(
        Commitment.candidate_id,
        Commitment.hours_per_week,
        Commitment.days,
        Commitment.until,
        Commitment.label,
        Commitment.start,
        Commitment.need_id,
    ).order_by(Commitment.candidate_id, Commitment.id)
    if ids is not None:
        query = query.where(Candidate.id.in_(ids))
        skills_query = skills_query.where(CandidateSkill.candidate_id.in_(ids))
        commitments_query = commitments_query.where(Commitment.candidate_id.in_(ids))
    labels = skill_labels(session, skills_query)
    # Same order and values as data.commitment_from_model (the index must agree with it).
    held: dict[int, list[CommitmentData]] = {}
    for row in session.execute(commitments_query):
        held.setdefault(row.candidate_id, []).append(
            CommitmentData(
                hours_per_week=float(row.hours_per_week),
                days=frozenset(row.days or ()),
                until=row.until,
                label=row.label,
                start=row.start,
                need_id=row.need_id,
            )
        )
    return [
        CandidateData(
            ref=row.ref,
            commune=row.commune,
            mobility_km=float(row.mobility_km),
            skills=tuple(labels.get(row.id, ())),
            level=row.level,
            hours_min=float(row.hours_min),
            hours_max=float(row.hours_max),
            days=frozenset(row.days or ()),
            contracts=frozenset(row.contracts or ()),
            available_from=row.available_from,
            rome=tuple(row.rome or ()),
            status=row.status,
            # Same rule as data.candidate_from_model: consent and a confirmed address.
            consent=bool(row.consent and row.email_confirmed_at is not None),
            commitments=tuple(held.get(row.id, ())),
        )
        for row in session.execute(query)
    ]


def _load_all(session) -> _State:
    stamp = library_stamp(session)
    index = CandidateIndex.build(_candidates_from_rows(session))
    return _State(index=index, stamp=stamp)


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
        stamp = library_stamp(session)
        if stamp == state.stamp:
            return state.index
        if _went_back(stamp, state.stamp):
            # A maximum went down: rows deleted and ids reused, a restored backup, a clock
            # set back. Incremental refresh would miss rows: rebuild the whole index.
            fresh = _load_all(session)
            state.index, state.stamp = fresh.index, fresh.stamp
            return state.index
        _refresh(session, state, stamp)
        return state.index


def full_ranking(session, need: Need) -> Ranking:
    """Every candidate passing the need's hard constraints, best first (``Ranking``: its
    ``index``, ``len`` and ``(ref, score)`` pairs): the need page reads it twice (its
    matches, the people with free time), so it computes it once."""
    return candidate_index(session).ranking(need_from_model(need))


def _went_back(new: tuple, old: tuple) -> bool:
    """Whether any of the stamp's maxima is lower than before (None counts as lowest)."""
    for now, before in zip(new, old, strict=True):
        if before is None:
            continue
        if now is None or now < before:
            return True
    return False


def written_since(session, stamp: tuple) -> list[int]:
    """Ids of the people written since ``stamp`` (a ``library_stamp``): those with skill
    rows added since (skills are replaced, never edited) and those updated since (a new
    person too), each read off an index (a range of the skills' primary key, of
    ``candidate.updated_at``). Deleted people do not show."""
    _max_id, max_updated, max_skill_id, _max_tombstone = stamp
    ids = set(
        session.scalars(select(CandidateSkill.candidate_id).where(CandidateSkill.id > max_skill_id))
    )
    if max_updated is not None:
        ids.update(session.scalars(select(Candidate.id).where(Candidate.updated_at >= max_updated)))
    return sorted(ids)


def deleted_since(session, stamp: tuple) -> list[str]:
    """Refs of the people deleted since ``stamp`` (a ``library_stamp``): their tombstones."""
    return list(
        session.scalars(
            select(Deletion.ref).where(Deletion.kind == "candidates", Deletion.id > stamp[3])
        )
    )


def _refresh(session, state: _State, stamp: tuple) -> None:
    """Forget the people deleted since the last stamp, then reload those written since
    into the index, by their ids."""
    for ref in deleted_since(session, state.stamp):
        state.index.remove(ref)
    for batch in in_batches(written_since(session, state.stamp)):
        for cand in _candidates_from_rows(session, batch):
            state.index.add(cand)
    state.stamp = stamp


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
    while True:
        matches = index.match(need, limit)
        refs = [m["candidate"] for m in matches]
        stored = set(session.scalars(select(Candidate.ref).where(Candidate.ref.in_(refs))))
        gone = [ref for ref in refs if ref not in stored]
        if not gone:
            return {"need": need.ref, "matches": matches}
        # Deleted since the index was built: drop them and rank again.
        for ref in gone:
            index.remove(ref)


def explain_candidate(need_ref: str, candidate_ref: str, session=None) -> dict:
    """ "Pourquoi pas ce candidat ?" for one need and one candidate (see ``score.explain_pair``)."""

    session = session or db.session
    need = need_from_model(_need(session, need_ref))
    cand = candidate_from_model(_candidate(session, candidate_ref))
    distance = territory.distance_km(cand.commune, need.commune)
    return explain_pair(need, cand, distance)
