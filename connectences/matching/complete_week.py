"""« Compléter la semaine »: for a person who holds work, what would fill their free time.

The open needs the person passes every hard constraint for (so in their free hours
and on their free days, ``matching.week``), ranked by the same score with the same
explanations as the match of a need; and the bundles of the pool the person fits as
a whole. Also the other way round, for a need: the people already holding work who
could take it in their free time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from connectences import changes, territory
from connectences.clock import local_today
from connectences.cvtheque.commitments import label_as_read
from connectences.extensions import db
from connectences.kept import kept
from connectences.matching import week
from connectences.matching.constraints import passes_hard_constraints
from connectences.matching.data import (
    CandidateData,
    NeedData,
    candidate_from_model,
    need_from_model,
    need_from_row,
)
from connectences.matching.index import Ranking
from connectences.matching.matches import full_ranking, in_batches
from connectences.matching.open_bundles import NEED_COLUMNS, POOLED_NEEDS, open_need_bundles
from connectences.matching.pool import Pooling
from connectences.matching.score import score_pair
from connectences.models import Candidate, Commitment, Need
from connectences.needs.conditions import workable
from connectences.workflows import NEED_UNROUTED


@dataclass(frozen=True)
class NeedFit:
    """An open need that fits the person's free time, with its score and explanation."""

    need: Need
    score: float
    explanation: list[dict]
    distance_km: float | None
    # The person's week on the need's start, and the work ending before it, in French.
    week: str | None


def fitting_needs(
    candidate: Candidate,
    session=None,
    label_shown: Callable[[Commitment], bool] | None = None,
) -> list[NeedFit]:
    """Open needs the person could take in their free time, best score first.
    ``label_shown``: which of the person's work the reader may see named in each need's
    line (``commitments.label_as_read``, as the week above it; None: all of it)."""

    session = session or db.session
    person = candidate_from_model(candidate)
    # The person as the reader may see their work: the score's explanations and each
    # need's line name it (a commitment's label weighs nothing in the score).
    said = replace(
        person,
        commitments=tuple(
            replace(data, label=label_as_read(c, label_shown))
            for data, c in zip(person.commitments, candidate.commitments, strict=True)
        ),
    )
    held = _needs_by_id(session, week.worked_on(person, local_today()))
    found = []
    for data in _open_needs(session):
        if data.ref in held:
            continue
        km = territory.distance_km(person.commune, data.commune)
        if not passes_hard_constraints(data, person, km):
            continue
        points, entries = score_pair(data, said)
        found.append((data, points, entries, km))
    # Only the needs that fit are read as models (for the page), by ref.
    models = _needs_by_ref(session, [data.ref for data, *_rest in found])
    fits = [
        NeedFit(models[data.ref], points, entries, km, week.start_sentence(said, data))
        for data, points, entries, km in found
        if data.ref in models
    ]
    fits.sort(key=lambda fit: (-fit.score, fit.need.start, fit.need.ref))
    return fits


def _needs_by_id(session, ids: frozenset[int]) -> set[str]:
    """Refs of the needs of ``ids`` (the ones the person works on, ``week.worked_on``);
    no statement without any."""
    if not ids:
        return set()
    return set(session.scalars(select(Need.ref).where(Need.id.in_(ids))))


def _open_needs(session) -> list[NeedData]:
    """Every open need as plain data, by ref: kept by the worker under the generation of
    the ``pooled_needs`` watch (a need or its company's ref or commune changed), as the
    bundles are; 10,000 needs read as models took the page a second and a half."""
    return kept(
        session,
        "open_need_data",
        changes.generation(session, POOLED_NEEDS.name),
        lambda: [
            need_from_row(row)
            for row in session.execute(
                select(*NEED_COLUMNS)
                .select_from(Need)
                .join(Need.company)
                .where(Need.status.in_(NEED_UNROUTED), workable())
                .order_by(Need.ref)
            )
        ],
    )


def _needs_by_ref(session, refs: list[str]) -> dict[str, Need]:
    found: dict[str, Need] = {}
    for batch in in_batches(refs):
        query = select(Need).options(selectinload(Need.company)).where(Need.ref.in_(batch))
        found.update((n.ref, n) for n in session.scalars(query))
    return found


def fitting_bundles(candidate: Candidate, session=None) -> Pooling:
    """Bundles of the open needs that the person fits as a whole (free hours and days);
    ``truncated`` when the pooling search was cut, so that others may fit too."""
    found = open_need_bundles(session)
    return replace(found, bundles=[b for b in found.bundles if candidate.ref in b.candidates])


@dataclass(frozen=True)
class PersonFit:
    """Someone holding work who could take a need in their free time."""

    person: CandidateData
    score: float
    # Their week on the need's start, and the work ending before it, in French
    # (``week.start_sentence``, as each need's line of ``fitting_needs``).
    week: str


def people_with_free_time(
    need: Need, limit: int = 10, session=None, ranking: Ranking | None = None
) -> list[PersonFit]:
    """The best-ranked people for the need who already hold work on its start (from
    ``ranking``, the need's ``full_ranking``, when the caller has it already), their week
    said with the work ending before it (``week.start_sentence``); never those working on
    the need itself (``week.worked_on``, as ``fitting_needs``). Someone whose work is all
    over by the start is one of the need's candidates, not someone to take it beside."""
    session = session or db.session
    data = need_from_model(need)
    ranking = ranking or full_ranking(session, need)
    index = ranking.index
    today = local_today()
    out = []
    # Only people with a commitment can hold work on the start: skip the others unread.
    for ref, points in ranking.holding_work():
        person = index.get(ref)
        held = week.running(person.commitments, data.start)
        if not held or need.id in week.worked_on(person, today):
            continue
        out.append(PersonFit(person, points, week.start_sentence(person, data, today)))
        if len(out) >= limit:
            break
    return out
