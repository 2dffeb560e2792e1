"""« Compléter la semaine »: for a person who holds work, what would fill their free time.

The open needs the person passes every hard constraint for (so in their free hours
and on their free days, ``matching.week``), ranked by the same score with the same
explanations as the match of a need; and the bundles of the pool the person fits as
a whole. Also the other way round, for a need: the people already holding work who
could take it in their free time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from connectences import territory
from connectences.extensions import db
from connectences.matching import week
from connectences.matching.constraints import passes_hard_constraints
from connectences.matching.data import CandidateData, candidate_from_model, need_from_model
from connectences.matching.index import Ranking
from connectences.matching.matches import full_ranking
from connectences.matching.open_bundles import open_need_bundles
from connectences.matching.pool import Pooling
from connectences.matching.score import score_pair
from connectences.models import Candidate, Need
from connectences.needs.conditions import workable
from connectences.workflows import NEED_UNROUTED


@dataclass(frozen=True)
class NeedFit:
    """An open need that fits the person's free time, with its score and explanation."""

    need: Need
    score: float
    explanation: list[dict]
    distance_km: float | None
    week: str | None  # the person's week on the need's start, in French


def fitting_needs(candidate: Candidate, session=None) -> list[NeedFit]:
    """Open needs the person could take in their free time, best score first."""

    session = session or db.session
    person = candidate_from_model(candidate)
    needs = session.scalars(
        select(Need)
        .where(Need.status.in_(NEED_UNROUTED), workable())
        .options(selectinload(Need.company))
        .order_by(Need.ref)
    )
    found = []
    for need in needs:
        data = need_from_model(need)
        km = territory.distance_km(person.commune, data.commune)
        if not passes_hard_constraints(data, person, km):
            continue
        points, entries = score_pair(data, person)
        found.append(NeedFit(need, points, entries, km, week.week_sentence(person, data.start)))
    found.sort(key=lambda fit: (-fit.score, fit.need.start, fit.need.ref))
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
    week: str


def people_with_free_time(
    need: Need, limit: int = 10, session=None, ranking: Ranking | None = None
) -> list[PersonFit]:
    """The best-ranked people for the need who already hold work on its start (from
    ``ranking``, the need's ``full_ranking``, when the caller has it already)."""
    session = session or db.session
    data = need_from_model(need)
    ranking = ranking or full_ranking(session, need)
    index = ranking.index
    out = []
    # Only people with a commitment can hold work on the start: skip the others unread.
    for ref, points in ranking.holding_work():
        person = index.get(ref)
        sentence = week.week_sentence(person, data.start) if person.commitments else None
        if sentence is None:
            continue
        out.append(PersonFit(person, points, sentence))
        if len(out) >= limit:
            break
    return out
