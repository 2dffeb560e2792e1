"""The filters an animateur puts on a need's matches (lowest score, how many, how far,
same level, every day), and the matches that pass them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Row

from connectences import territory
from connectences.clock import local_today
from connectences.cvtheque.lookup import candidate_cards
from connectences.listing import Refusal, choice_reader
from connectences.matching import week
from connectences.matching.complete_week import PersonFit, people_with_free_time
from connectences.matching.data import CandidateData, need_from_model
from connectences.matching.index import Ranking
from connectences.matching.matches import full_ranking
from connectences.matching.score import score_pair
from connectences.models import Need

MATCH_LIMITS = (10, 20, 50, 100)
DEFAULT_MATCH_LIMIT = 20
MAX_KM = 500


def _whole_number(
    args: Mapping[str, str], name: str, label: str, low: int, high: int, errors: list
) -> int | None:
    """A whole number typed in the filter ``name``, brought into ``low``..``high``; None
    when nothing was typed, or with a ``Refusal`` added to ``errors`` when the text is no
    whole number (ASCII digits: « x », « 12,5 »)."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not _WHOLE.fullmatch(raw):
        errors.append(Refusal(name, label, "saisissez un nombre entier."))
        return None
    # A number of many digits is its bound (int() of thousands of digits is refused).
    if len(raw.lstrip("+-").lstrip("0")) > 6:
        return low if raw.startswith("-") else high
    return max(low, min(high, int(raw)))


_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)


@dataclass(frozen=True)
class MatchFilters:
    min_score: int = 0
    limit: int = DEFAULT_MATCH_LIMIT
    max_km: int | None = None
    exact_level: bool = False
    all_days: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[MatchFilters, list[Refusal]]:
        """The filters from query arguments and the values refused, left out and named
        by the page (``listing``): a number of candidates not offered, a score or a
        distance that is no whole number. A score or distance out of its range is brought
        back into it (the field shows the value applied)."""
        errors: list[Refusal] = []
        min_score = _whole_number(args, "score_min", "Score minimum", 0, 100, errors)
        max_km = _whole_number(args, "distance_max", "Distance maximale", 0, MAX_KM, errors)
        limit = choice_reader(args, errors)(
            "nombre", "Nombre de candidats", {str(n) for n in MATCH_LIMITS}, "un nombre"
        )
        filters = cls(
            min_score=min_score or 0,
            limit=int(limit) if limit else DEFAULT_MATCH_LIMIT,
            max_km=max_km,
            exact_level=args.get("niveau_exact") == "1",
            all_days=args.get("tous_les_jours") == "1",
        )
        return filters, errors


def _chosen(
    need_data, ranking: Ranking, filters: MatchFilters
) -> list[tuple[CandidateData, float | None]]:
    """The first candidates of the ranking that pass the filters, with their distance."""
    index = ranking.index
    chosen = []
    for ref, points in ranking:
        if points < filters.min_score:
            break  # best first: every following score is lower
        cand = index.get(ref)
        km = territory.distance_km(cand.commune, need_data.commune)
        if filters.max_km is not None and (km is None or km > filters.max_km):
            continue
        if filters.exact_level and cand.level != need_data.level:
            continue
        # Every day of the need *free*: a day the person's commitments take on the need's
        # start is no day they can give (the days criterion says so too).
        if filters.all_days and not need_data.days <= week.free_days(cand, need_data.start):
            continue
        chosen.append((cand, km))
        if len(chosen) >= filters.limit:
            break
    return chosen


@dataclass(frozen=True)
class NeedMatches:
    """What a need's page shows of its candidates.

    ``rows``: the ranked candidates that pass the filters
    (``{"candidate", "score", "explanation", "person", "km", "week"}``, ``person`` a row of
    ``lookup.CARD_COLUMNS``, ``week`` what the person's commitments leave free on the need's
    start and the work ending before it, ``week.start_sentence``, None without either);
    ``proposed_count``: how many pass every hard constraint;
    ``free_time``: the best people already holding work who could take the need
    (``complete_week.people_with_free_time``), with their ``free_time_people`` by ref.
    """

    rows: list[dict]
    proposed_count: int
    free_time: list[PersonFit]
    free_time_people: dict[str, Row]


def need_matches(session, need: Need, filters: MatchFilters) -> NeedMatches:
    """The need's candidates as ``match_need`` ranks them, filtered as the animateur
    asked, and the people with free time for it: one ranking, one read of the people
    shown; explanations are written only for the rows shown."""
    need_data = need_from_model(need)
    ranking = full_ranking(session, need)
    chosen = _chosen(need_data, ranking, filters)
    today = local_today()
    free_time = people_with_free_time(need, ranking=ranking)
    people = candidate_cards(
        session, [cand.ref for cand, _ in chosen] + [fit.person.ref for fit in free_time]
    )
    rows = []
    for cand, km in chosen:
        points, explanation = score_pair(need_data, cand, km)
        if cand.ref in people:
            rows.append(
                {
                    "candidate": cand.ref,
                    "score": points,
                    "explanation": explanation,
                    "person": people[cand.ref],
                    "km": km,
                    "week": week.start_sentence(cand, need_data, today),
                }
            )
    return NeedMatches(
        rows=rows,
        proposed_count=len(ranking),
        free_time=free_time,
        free_time_people={
            fit.person.ref: people[fit.person.ref] for fit in free_time if fit.person.ref in people
        },
    )
