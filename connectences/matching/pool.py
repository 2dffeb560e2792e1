"""Pooling: bundles of part-time needs from different companies that one person could hold.

The spec ("What the platform derives" -> pool) defines a bundle as a set of at
least two needs, each under 35 hours a week, such that every two of them

- come from different companies,
- are compatible: same ROME code, or same ROME family (the first three
  characters), or at least one skill in common (skills compared without case
  or accents, and through the taxonomy concept where it knows them; a skill
  expressing a criterion the law forbids in hiring, ``skills.forbidden``, is
  never compared: "homme" in common makes no two needs compatible),
- use no day in common,
- have their sites within 25 km of each other,

and whose total hours are at most 35. A bundle is maximal: no other need can be
added to it, so it is never reported again as a smaller part of itself.

Decisions this module takes where the spec is silent:

- A distance that is unknown (a commune whose centre is unknown) counts as too
  far: two sites are bundled only when they are known to be within 25 km. Two
  needs in the same commune are 0 km apart.
- A candidate fits the whole bundle when they pass every need's hard
  constraints (``matching.constraints``) except hours and days, which apply to the
  whole bundle, in their free time (``matching.week``): the total within their free
  hours and every day of the bundle a free day, counted on the bundle's earliest
  start (a commitment running on a later start runs on the earlier one too, so that
  is the strictest day). A common free day with each need, match's rule for one
  need, is not enough: a bundle's needs keep their days (no day is used twice), so
  a person who works Monday elsewhere cannot hold a bundle that works Monday. As in
  match, the hours a person wishes at least are no constraint (the spec: "fit the
  whole bundle (in their free hours and free days)"): a bundle under them still
  helps fill their week. Those who also share a ROME
  family or a skill with one of the needs are listed first (then by ref); the
  others follow (by ref).

Ranking, "how well the bundle makes one job", 100 points, each criterion with a
French sentence in ``reasons``: hours (30: the total against what the related
fitting candidates can still take at most, their free hours, or against 35 h when
there are none),
candidates (30: 10 per related fitting candidate, up to three), cohesion of
the trades (25: per pair, same ROME code 1, same family 0.75, a skill in
common 0.5) and travel (15: the farthest two sites, 0 km full points, 25 km
none). Ties go by the needs' refs.

How it stays fast (5,000 needs well under 2 s): needs are bucketed by ROME
family and by skill key, so only pairs that share a bucket are compared, with
numpy, into a boolean adjacency matrix. The valid sets are then the cliques of
that graph whose hours fit in 35 h; the maximal ones are enumerated with
Bron-Kerbosch over Python integer bitsets (no pivot: the hours budget breaks
the pivot argument). Needs are ordered by hours, so "fits in the remaining
hours" is a bit prefix. Every reported bundle is maximal (the search keeps the
set of needs that could still extend it). On dense instances the number of
maximal bundles grows combinatorially (12 needs a day of one trade in one place
already give 12^5 five-day bundles). The search is therefore exact while it
takes at most ``MAX_EXACT_STEPS`` steps (in practice up to about a thousand
open needs of the territory: every maximal bundle is listed); beyond, it
starts again capped per need, with ``max_bundles_per_need`` bundles and
``max_steps_per_need`` steps in the subtree where that need is the one with the
most hours: every need still gets its chance to lead bundles, every bundle
listed is still maximal, but not every maximal bundle is listed. The result
says so (``Pooling.truncated``, for every page, export and command that shows
bundles: ``truncated_notice``); a need's search counts as cut when it finds one
bundle more than its cap, or runs out of steps. ``None`` for both caps asks for
the complete list whatever its size.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np

from connectences import skills, territory
from connectences.matching import week
from connectences.matching.constraints import within_mobility
from connectences.matching.data import CandidateData, NeedData
from connectences.typography import decimal_fr, hours_plain, plural
from connectences.vocab import CONTRACT_BIT, DAY_BIT, DAYS, LEVEL_RANK, OPEN_TO_WORK

WEEK_HOURS = 35.0
"""Part-time means under this; a bundle's total is at most this."""
MAX_SITE_KM = 25.0
"""Largest distance between two sites of one bundle."""
MAX_BUNDLES_PER_NEED = 5
MAX_STEPS_PER_NEED = 200
MAX_EXACT_STEPS = 30_000
"""Search steps within which every maximal bundle is listed, caps or not."""
_KM_EPS = 1e-9
"""Float error on distances; hours have their own tolerance (``week.hours_fit``)."""

log = logging.getLogger(__name__)

DistanceFn = Callable[[str, str], "float | None"]
EpciFn = Callable[[str], "str | None"]


class _Facts(NamedTuple):
    """What the score of a bundle was made of; the sentences are written on demand."""

    size: int
    hours_pts: int
    closeness: float | None  # total / hours_max of the related candidates, on average
    cand_pts: int
    related: int
    others: int
    cohesion_pts: int
    cohesion: float
    rome: str
    travel_pts: int
    farthest_km: float
    same_epci: bool

    def sentences(self, hours: float, days: tuple[str, ...]) -> tuple[str, ...]:
        if self.closeness is not None:
            hours_text = (
                f"{hours_plain(hours)} par semaine, proche des souhaits des candidats qui "
                f"conviennent ({round(100 * self.closeness)} % des heures qu'ils peuvent encore "
                "prendre, en moyenne)."
            )
        else:
            hours_text = f"{hours_plain(hours)} par semaine sur {hours_plain(35)} possibles."
        if self.related or self.others:
            cand_text = (
                f"{plural(self.related + self.others, 'candidat remplit', 'candidats remplissent')} "
                "les conditions de "
                f"l'ensemble du lot, dont {self.related} avec le métier ou des compétences "
                "en commun."
            )
        else:
            cand_text = "Aucun candidat de la CVthèque ne remplit encore les conditions du lot."
        if self.cohesion == 1.0:
            # Read by the operator of the lead too: the job is named, not coded.
            cohesion_text = f"Même métier ({skills.rome_named(self.rome)})."
        elif self.cohesion >= 0.75:
            cohesion_text = "Métiers de la même famille ROME."
        else:
            cohesion_text = "Métiers voisins : des compétences en commun."
        if self.farthest_km == 0:
            travel_text = "Tous les postes sont dans la même commune."
        else:
            km = f"{self.farthest_km:.1f}".replace(".", ",")
            travel_text = f"Au plus {km} km entre deux lieux de travail" + (
                ", dans la même intercommunalité." if self.same_epci else "."
            )
        return (
            f"{self.size} besoins de {self.size} entreprises différentes, sans jour en commun "
            f"({', '.join(DAYS[d] for d in days)}) : un poste en temps partagé.",
            f"Heures : {self.hours_pts} points. {hours_text}",
            f"Candidats : {self.cand_pts} points. {cand_text}",
            f"Cohérence des métiers : {self.cohesion_pts} points. {cohesion_text}",
            f"Déplacements : {self.travel_pts} points. {travel_text}",
        )


@dataclass(frozen=True, slots=True)
class Bundle:
    """A pool of needs that makes one shared-time job, ranked by ``score`` (0 to 100)."""

    needs: tuple[str, ...]  # refs, sorted
    hours: float
    days: tuple[str, ...]  # week order
    candidates: tuple[str, ...]  # who fit the whole bundle: related to its jobs first, by ref
    score: int
    facts: _Facts = field(repr=False)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The score explained in French, one sentence per criterion with its points."""
        return self.facts.sentences(self.hours, self.days)

    def to_json(self, details: bool = False) -> dict:
        """``{"needs", "hours", "days", "candidates"}``, plus score and reasons with ``details``."""
        hours: float | int = int(self.hours) if float(self.hours).is_integer() else self.hours
        out: dict = {
            "needs": list(self.needs),
            "hours": hours,
            "days": list(self.days),
            "candidates": list(self.candidates),
        }
        if details:
            out["score"] = self.score
            out["reasons"] = list(self.reasons)
        return out


@dataclass(frozen=True, slots=True)
class Pooling:
    """What ``pool`` found: the bundles, best first, and whether the search was cut.

    ``truncated``: the caps of a dense instance stopped the search before every maximal
    bundle was listed (the module docstring says how); the bundles listed are then the
    best-ranked of those found, not of all that exist.
    """

    bundles: list[Bundle]
    truncated: bool = False
    cut_needs: int = 0  # needs whose own search was stopped by a cap


def truncated_notice(shown: int) -> str:
    """What a page, export or command says under a cut list of ``shown`` bundles."""
    if shown == 1:
        return "Seule la première combinaison est affichée ; affinez par métier ou par commune."
    return (
        f"Seules les {shown} premières combinaisons sont affichées ; "
        "affinez par métier ou par commune."
    )


class SkillKeys:
    """Comparable keys of skills, memoised per text for one pooling run.

    A skill gives its normalised text (``n:...``) and, when the taxonomy knows
    it, its concept (``c:...``); two skills meet when they share a key. A ROME
    code gives its family (``r:M12``): same code implies same family. A skill that
    expresses a criterion the law forbids in hiring gives no key at all.
    """

    def __init__(self) -> None:

        self._normalize = skills.normalize
        self._concept_of = skills.concept_of
        self._forbidden = skills.forbidden_criterion
        self._cache: dict[str, frozenset[str]] = {}

    def of_skill(self, skill: str) -> frozenset[str]:
        keys = self._cache.get(skill)
        if keys is None:
            found = set()
            if not self._forbidden(skill):
                norm = self._normalize(skill)
                if norm:
                    found.add("n:" + norm)
                concept = self._concept_of(skill)
                if concept:
                    found.add("c:" + concept)
            keys = self._cache[skill] = frozenset(found)
        return keys

    def of(self, skills: Sequence[str], romes: Sequence[str | None] = ()) -> frozenset[str]:
        keys: set[str] = set()
        for skill in skills:
            keys |= self.of_skill(skill)
        for rome in romes:
            if rome and rome.strip():
                keys.add("r:" + rome.strip().upper()[:3])
        return frozenset(keys)


def why_not(
    bundle: Sequence[NeedData],
    other: NeedData,
    *,
    distance: DistanceFn | None = None,
    name: Callable[[str], str] | None = None,
    skill_keys: SkillKeys | None = None,
) -> str | None:
    """Why ``other``, a neighbour of ``bundle`` (a related trade: it shares a ROME family
    or a skill with one of its needs), is not in it: the first rule of this module it
    breaks with one of them, in French (``name`` says a need from its ref, « ref » by
    default). None when ``other`` is no neighbour, or breaks no rule (a search cut on
    dense data left it out)."""
    distance = distance or _default_distance()
    name = name or (lambda ref: f"« {ref} »")
    skill_keys = skill_keys or SkillKeys()
    mine = skill_keys.of(other.skills, (other.rome,))
    related = [n for n in bundle if mine & skill_keys.of(n.skills, (n.rome,))]
    if not related:
        return None
    if week.hours_fit(WEEK_HOURS, other.hours_per_week):
        return f"{hours_plain(other.hours_per_week)} par semaine : pas un temps partiel"
    for n in bundle:
        if n not in related:
            return f"métier sans lien avec {name(n.ref)}"
    for n in bundle:
        if n.company == other.company:
            return f"même entreprise que {name(n.ref)}"
    for n in bundle:
        shared = [d for d in DAYS if d in n.days and d in other.days]
        if shared:
            return f"le {DAYS[shared[0]]} est déjà pris par {name(n.ref)}"
    for n in bundle:
        if n.commune == other.commune:
            continue
        km = distance(n.commune, other.commune)
        if km is None:
            return f"distance inconnue jusqu'à {name(n.ref)}"
        if km > MAX_SITE_KM + _KM_EPS:
            return f"à {decimal_fr(km, 1)} km de {name(n.ref)}, plus de {MAX_SITE_KM:g} km"
    total = other.hours_per_week
    for n in bundle:
        total = total + n.hours_per_week
    if not week.hours_fit(total, WEEK_HOURS):
        return f"le poste passerait à {hours_plain(total)}, plus de {hours_plain(WEEK_HOURS)}"
    return None


def _default_distance() -> DistanceFn:

    return territory.distance_km


def _default_epci_of() -> EpciFn:

    return territory.epci_of


class _Sites:
    """Distances between communes, computed once per pair that matters.

    The communes of the needs come first in the index; distances are computed
    from every commune (needs' and candidates') to the needs' communes only:
    two candidates' homes are never compared. ``nan`` marks an unknown distance.
    """

    def __init__(
        self, need_communes: Sequence[str], other_communes: Sequence[str], distance: DistanceFn
    ) -> None:
        self.index = {c: i for i, c in enumerate(dict.fromkeys([*need_communes, *other_communes]))}
        codes = list(self.index)
        n, m = len(codes), len(set(need_communes))
        self.km = np.full((n, n), np.nan)
        for i, a in enumerate(codes):
            self.km[i, i] = 0.0
            for j in range(min(i, m)):
                d = distance(a, codes[j])
                if d is not None:
                    self.km[i, j] = self.km[j, i] = float(d)
        # Between needs' sites, as plain lists: numpy scalar reads are slow per bundle.
        self.km_rows: list[list[float]] = self.km[:m, :m].tolist()


def pool(
    needs: Sequence[NeedData],
    candidates: Sequence[CandidateData] = (),
    *,
    distance: DistanceFn | None = None,
    epci_of: EpciFn | None = None,
    max_bundles_per_need: int | None = MAX_BUNDLES_PER_NEED,
    max_steps_per_need: int | None = MAX_STEPS_PER_NEED,
) -> Pooling:
    """Maximal bundles of part-time needs, best first (score, then needs' refs), and
    whether the search was cut (``Pooling.truncated``).

    ``distance(insee_a, insee_b)`` gives kilometres between commune centres or
    ``None`` when unknown (default ``territory.distance_km``); ``epci_of`` gives
    a commune's intercommunality, only used to explain the bundle (default
    ``territory.epci_of``). Needs of 35 h or more are ignored. The caps bound
    the search on dense instances (see the module docstring); ``None`` lifts them.
    """
    distance = distance or _default_distance()
    epci_of = epci_of or _default_epci_of()

    part_time = {n.ref: n for n in needs if not week.hours_fit(WEEK_HOURS, n.hours_per_week)}
    # Ordered by hours (then ref) so that "fits in the remaining hours" is a bit prefix.
    items = sorted(part_time.values(), key=lambda n: (n.hours_per_week, n.ref))
    if len(items) < 2:
        return Pooling([])
    sites = _Sites([n.commune for n in items], [c.commune for c in candidates], distance)
    skill_keys = SkillKeys()
    keys = [skill_keys.of(n.skills, (n.rome,)) for n in items]
    adjacency = _adjacency(items, keys, sites)
    found, cut = _maximal_sets(items, adjacency, max_bundles_per_need, max_steps_per_need)
    if not found:
        return Pooling([], truncated=cut > 0, cut_needs=cut)
    used = {i for members in found for i in members}
    fits = _CandidateFit(items, keys, candidates, skill_keys, sites, used)
    epci_cache: dict[str, str | None] = {}
    profiles: list = [None] * len(items)
    for i in used:
        commune = items[i].commune
        if commune not in epci_cache:
            epci_cache[commune] = epci_of(commune)
        profiles[i] = _Profile(items[i], keys[i], sites, epci_cache.__getitem__)
    bundles = [_make_bundle(items, profiles, sites, fits, members) for members in found]
    bundles.sort(key=lambda b: (-b.score, b.needs))
    return Pooling(bundles, truncated=cut > 0, cut_needs=cut)


def _adjacency(items: list[NeedData], keys: list[frozenset[str]], sites: _Sites) -> list[int]:
    """Bitset per need of the needs it can share a week with.

    Two needs are linked when they share a compatibility key, come from
    different companies, use no common day and their sites are known to be
    within 25 km. Hours are left to the search, which keeps every set within
    35 h (so every linked pair too).
    """
    n = len(items)
    buckets: dict[str, list[int]] = defaultdict(list)
    for i in range(n):
        for key in keys[i]:
            buckets[key].append(i)
    # A trade's family, concept and usual words often gather the same needs.
    groups = {tuple(members) for members in buckets.values() if len(members) > 1}

    days = np.array([_day_mask(need.days) for need in items], dtype=np.uint8)
    companies: dict[str, int] = {}
    company = np.array([companies.setdefault(need.company, len(companies)) for need in items])
    site = np.array([sites.index[need.commune] for need in items])
    near = np.nan_to_num(sites.km, nan=np.inf) <= MAX_SITE_KM + _KM_EPS

    matrix = np.zeros((n, n), dtype=bool)
    for members in groups:
        idx = np.array(members)
        d, c, s = days[idx], company[idx], site[idx]
        ok = ((d[:, None] & d[None, :]) == 0) & (c[:, None] != c[None, :])
        ok &= near[s[:, None], s[None, :]]
        matrix[np.ix_(idx, idx)] |= ok
    packed = np.packbits(matrix, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def _day_mask(days) -> int:
    mask = 0
    for day in days:
        mask |= DAY_BIT[day]
    return mask


# Days of each 7-bit mask, in week order.
_DAYS_OF_MASK: list[tuple[str, ...]] = [
    tuple(d for d in DAYS if mask & DAY_BIT[d]) for mask in range(1 << len(DAYS))
]


class _CapReached(Exception):
    """Raised inside the search of one leading need when its cap is reached."""


class _BudgetExceeded(Exception):
    """Raised when the exact search outgrows ``MAX_EXACT_STEPS``."""


def _maximal_sets(
    items: list[NeedData],
    adjacency: list[int],
    max_per_need: int | None,
    max_steps: int | None,
) -> tuple[list[tuple[int, ...]], int]:
    """Every maximal bundle when the search is small enough, else the capped search;
    with the number of needs whose search a cap cut (0: every maximal bundle is there)."""
    if max_per_need is not None or max_steps is not None:
        try:
            return _search(items, adjacency, None, None, MAX_EXACT_STEPS)
        except _BudgetExceeded:
            pass
    return _search(items, adjacency, max_per_need, max_steps, None)


def _search(
    items: list[NeedData],
    adjacency: list[int],
    max_per_need: int | None,
    max_steps: int | None,
    budget: int | None,
) -> tuple[list[tuple[int, ...]], int]:
    """Bron-Kerbosch over bitsets, with the hours budget, capped per leading need.

    At each step ``p`` holds the needs that may still join ``members`` and have
    not been tried yet, ``x`` those that may join but were tried already: a set
    is maximal exactly when both are empty. The hours budget shrinks the
    candidates with the total, which keeps that invariant true. ``budget``
    bounds the total number of steps (``_BudgetExceeded`` beyond it). Returns the
    sets found and the number of leading needs whose search a cap stopped: one
    more bundle than ``max_per_need`` found (not kept), or ``max_steps`` spent.
    """
    hours = [n.hours_per_week for n in items]
    found: list[tuple[int, ...]] = []
    steps = found_here = all_steps = 0

    def fitting(room: float) -> int:
        # Needs are sorted by hours: those within the room left are a bit prefix.
        # ``week.hours_fit(h, room)`` for each sorted h, as a bisection.
        return (1 << bisect_right(hours, room + week.HOURS_TOLERANCE)) - 1

    def expand(members: list[int], total: float, p: int, x: int) -> None:
        nonlocal steps, found_here, all_steps
        steps += 1
        all_steps += 1
        if budget is not None and all_steps > budget:
            raise _BudgetExceeded
        if max_steps is not None and steps > max_steps:
            raise _CapReached
        if not p:
            if not x:
                if max_per_need is not None and found_here >= max_per_need:
                    raise _CapReached  # one more than the cap: this need's list is cut
                found.append(tuple(members))
                found_here += 1
            return
        while p:
            v = p.bit_length() - 1
            bit = 1 << v
            p ^= bit
            new_total = total + hours[v]
            allowed = adjacency[v] & fitting(WEEK_HOURS - new_total)
            members.append(v)
            expand(members, new_total, p & allowed, x & allowed)
            members.pop()
            x |= bit

    # Each need leads the bundles where it is the one with the most hours (then the
    # last ref); the caps apply per leading need so that every need gets its turn.
    tried = 0
    capped = 0
    for v in range(len(items) - 1, -1, -1):
        bit = 1 << v
        allowed = adjacency[v] & fitting(WEEK_HOURS - hours[v])
        steps = found_here = 0
        if allowed & (bit - 1):  # a bundle needs at least one other need
            try:
                expand([v], hours[v], allowed & (bit - 1), allowed & tried)
            except _CapReached:
                capped += 1
        tried |= bit
    if capped:
        log.info("pool: search capped for %d of %d needs", capped, len(items))
    return found, capped


class _CandidateFit:
    """Which candidates fit each need, as integer bitsets over the candidates.

    ``rows[i]``: the candidates passing need ``i``'s hard constraints, hours and days
    left aside, computed column-wise with numpy. The rules are the ones of
    ``matching.constraints.hard_constraint_checks`` (a test checks both agree);
    the hours check is replaced by the bundle's total and the days check by the
    bundle's days, every one of them free (its needs keep their days: a day is never
    used twice, by two needs or by a need and work the person holds), each a bitset
    per total or per set of days, on the bundle's earliest start.
    ``related[i]``: the candidates who share a ROME family or a skill with need
    ``i``: they come first in a bundle's list and are the ones the score counts.
    """

    def __init__(
        self,
        items: list[NeedData],
        keys: list[frozenset[str]],
        candidates: Sequence[CandidateData],
        skill_keys: SkillKeys,
        sites: _Sites,
        used: set[int],
    ) -> None:
        # In ref order, so that indices come out sorted by ref.
        candidates = sorted(candidates, key=lambda c: c.ref)
        self.refs = [c.ref for c in candidates]
        self.size = len(candidates)
        self.rows: dict[int, int] = {}
        self.related: dict[int, int] = {}
        self._hours: dict[tuple[float, int], int] = {}
        self._days: dict[tuple[int, int], int] = {}
        self._free: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if not candidates:
            return
        self._candidates = candidates
        self._hours_max_array = np.array([c.hours_max for c in candidates], dtype=float)
        self._days_array = np.array([_day_mask(c.days) for c in candidates], dtype=np.int64)
        self._with_commitments = [k for k, c in enumerate(candidates) if c.commitments]
        # Their commitments as columns, the n-th of each person in the n-th: hours, days
        # and end (ordinal, the largest for none; a person with fewer has a zero-hour,
        # no-day commitment ending at once, which changes nothing).
        self._commitment_rows = np.array(self._with_commitments, dtype=np.int64)
        self._commitment_columns = []
        for n in range(
            max((len(candidates[k].commitments) for k in self._with_commitments), default=0)
        ):
            nth = [
                candidates[k].commitments[n] if n < len(candidates[k].commitments) else None
                for k in self._with_commitments
            ]
            self._commitment_columns.append(
                (
                    np.array([c.hours_per_week if c else 0.0 for c in nth], dtype=float),
                    np.array([_day_mask(c.days) if c else 0 for c in nth], dtype=np.int64),
                    np.array(
                        [
                            (c.until.toordinal() if c.until is not None else _NO_END) if c else -1
                            for c in nth
                        ],
                        dtype=np.int64,
                    ),
                )
            )
        # Starts between the same two commitment ends see the same running commitments:
        # the free time is computed (and cached) once per such stretch, not per date.
        self._ends = sorted(
            {
                c.until.toordinal()
                for k in self._with_commitments
                for c in candidates[k].commitments
                if c.until is not None
            }
        )
        usable = np.array([c.status in OPEN_TO_WORK and c.consent for c in candidates], dtype=bool)
        available = np.array([c.available_from.toordinal() for c in candidates])
        contracts = np.array(
            [sum(CONTRACT_BIT.get(k, 0) for k in c.contracts) for c in candidates], dtype=np.int64
        )
        level = np.array([LEVEL_RANK.get(c.level, -1) for c in candidates])
        mobility = np.array([c.mobility_km for c in candidates], dtype=float)
        home = np.array([sites.index[c.commune] for c in candidates])
        # Unknown distance: the constraint is not applied (spec).
        km = sites.km[home]  # candidates x sites
        within = np.isnan(km) | within_mobility(km, mobility[:, None])
        # Only the keys of the needs in a bundle matter: the others are never read. Each
        # key's people as indices first, then one bitset (or-ing bits one at a time into
        # a 65,000-bit integer copied it each time: two seconds).
        wanted = frozenset().union(*(keys[i] for i in used))
        holders: dict[str, list[int]] = defaultdict(list)
        for k, cand in enumerate(candidates):
            for key in skill_keys.of(cand.skills, cand.rome) & wanted:
                holders[key].append(k)
        by_key = {key: _indices_to_bits(found, self.size) for key, found in holders.items()}
        self.start_of = {i: items[i].start.toordinal() for i in used}
        self.days_of = {i: _day_mask(items[i].days) for i in used}
        self._stretch = {
            start: bisect_left(self._ends, start) for start in set(self.start_of.values())
        }
        # A need's people are those of its start, of its site, of its contract and of its
        # level: each a bitset computed once, a need's row their intersection.
        by_start: dict[int, int] = {}
        by_site: dict[int, int] = {}
        by_contract: dict[int, int] = {}
        by_level: dict[int, int] = {}
        for i in used:
            need = items[i]
            start, site = self.start_of[i], sites.index[need.commune]
            contract = CONTRACT_BIT.get(need.contract, 0)
            lowest = LEVEL_RANK.get(need.level, 0) - 1
            if start not in by_start:
                by_start[start] = _to_bits(usable & (available <= start))
            if site not in by_site:
                by_site[site] = _to_bits(within[:, site])
            if contract not in by_contract:
                by_contract[contract] = _to_bits((contracts & contract) != 0)
            if lowest not in by_level:
                by_level[lowest] = _to_bits(level >= lowest)
            self.rows[i] = (
                by_start[start] & by_site[site] & by_contract[contract] & by_level[lowest]
            )
            related = 0
            for key in keys[i]:
                related |= by_key.get(key, 0)
            self.related[i] = related

    def _free_on(self, start: int) -> tuple[np.ndarray, np.ndarray]:
        """Free hours and free days of everyone on ``start``: ``week.free_hours`` and
        ``week.free_days``, column-wise (the same sums, in the same order)."""
        stretch = self._stretch[start]
        found = self._free.get(stretch)
        if found is not None:
            return found
        hmax, days = self._hours_max_array, self._days_array
        if self._with_commitments:
            rows = self._commitment_rows
            total = np.zeros(len(rows))
            taken = np.zeros(len(rows), dtype=np.int64)
            for hours, mask, until in self._commitment_columns:
                on = until >= start  # no end: the largest ordinal
                total = np.where(on, total + hours, total)
                taken |= np.where(on, mask, 0)
            hmax, days = hmax.copy(), days.copy()
            hmax[rows] = week.free_hours_of(hmax[rows], total)
            days[rows] = week.free_days_of(days[rows], taken)
        found = self._free[stretch] = (hmax, days)
        return found

    def _within_hours(self, total: float, start: int) -> int:
        key = (total, self._stretch[start])
        bits = self._hours.get(key)
        if bits is None:
            hmax, _days = self._free_on(start)
            ok = week.hours_fit(total, hmax)
            bits = self._hours[key] = _to_bits(ok)
        return bits

    def _within_days(self, mask: int, start: int) -> int:
        """Who has every day of ``mask`` free on ``start``."""
        key = (mask, self._stretch[start])
        bits = self._days.get(key)
        if bits is None:
            _hmax, days = self._free_on(start)
            bits = self._days[key] = _to_bits((days & mask) == mask)
        return bits

    def free_hours(self, members: Sequence[int]) -> np.ndarray:
        """Everyone's free hours on the bundle's earliest start (``hours_max`` for people
        holding no work then): what a fitting person can still take, by candidate index."""
        return self._free_on(min(self.start_of[i] for i in members))[0]

    def fitting(self, members: Sequence[int], total: float) -> tuple[list[int], list[int]]:
        """Indices of the candidates who fit the whole bundle: (related to its jobs, others)."""
        if not self.size:
            return [], []
        first = min(self.start_of[i] for i in members)
        mask = 0
        for i in members:
            mask |= self.days_of[i]
        common = self._within_hours(total, first) & self._within_days(mask, first)
        related = 0
        for i in members:
            common &= self.rows[i]
            related |= self.related[i]
        if not common:
            return [], []
        return self._indices(common & related), self._indices(common & ~related)

    def _indices(self, bits: int) -> list[int]:
        if bits.bit_count() <= 32:
            out = []
            while bits:
                low = bits & -bits
                out.append(low.bit_length() - 1)
                bits ^= low
            return out
        raw = np.frombuffer(bits.to_bytes((self.size + 7) // 8, "little"), dtype=np.uint8)
        return np.flatnonzero(np.unpackbits(raw, bitorder="little")).tolist()


_NO_END = date.max.toordinal() + 1
"""The end of a commitment without one, as an ordinal: after every start."""


def _indices_to_bits(indices: list[int], size: int) -> int:
    row = np.zeros(size, dtype=bool)
    row[indices] = True
    return _to_bits(row)


def _to_bits(row: np.ndarray) -> int:
    return int.from_bytes(np.packbits(row, bitorder="little").tobytes(), "little")


class _Profile:
    """What the score looks at for each need, computed once."""

    __slots__ = ("rome", "family", "site", "epci", "keys", "days")

    def __init__(self, need: NeedData, keys: frozenset[str], sites: _Sites, epci_of) -> None:
        self.days = _day_mask(need.days)
        self.rome = (need.rome or "").strip().upper()
        self.family = self.rome[:3]
        self.site = sites.index[need.commune]
        self.epci = epci_of(need.commune)
        self.keys = keys


def _pair_cohesion(a: _Profile, b: _Profile) -> float:
    if a.rome and a.rome == b.rome:
        return 1.0
    if a.family and a.family == b.family:
        return 0.75
    return 0.5  # inside a bundle, the pair shares at least a skill


def _make_bundle(
    items: list[NeedData],
    profiles: list[_Profile],
    sites: _Sites,
    fits: _CandidateFit,
    members: tuple[int, ...],
) -> Bundle:
    # The sum of the hours as typed, correctly rounded: added one by one, 18.55 + 15.32
    # + 1.13 is 35.00000000000001, a total over 35 h to whoever reads the output.
    total = math.fsum(items[i].hours_per_week for i in members)
    day_mask = 0
    for i in members:
        day_mask |= profiles[i].days
    related, others = fits.fitting(members, total)

    # Hours (30 pts): a job close to what the related fitting candidates can still take
    # at most (their free hours: a person already working 16 h of 24 is filled by 8 h);
    # without them, close to a full week.
    closeness = None
    if related:
        free = fits.free_hours(members)
        closeness = min(1.0, sum(total / float(free[k]) for k in related) / len(related))
        hours_pts = round(30 * closeness)
    else:
        hours_pts = round(30 * total / WEEK_HOURS)
    # Candidates (30 pts): 10 per candidate who fits the whole bundle and shares a
    # trade or a skill with it, up to three.
    cand_pts = 10 * min(len(related), 3)
    # Cohesion (25 pts) and travel (15 pts), pair by pair.
    cohesion = 0.0
    farthest = 0.0
    pairs = 0
    km = sites.km_rows
    for x, i in enumerate(members):
        a = profiles[i]
        for j in members[x + 1 :]:
            b = profiles[j]
            cohesion += _pair_cohesion(a, b)
            d = km[a.site][b.site]
            if d > farthest:
                farthest = d
            pairs += 1
    cohesion /= pairs
    cohesion_pts = round(25 * cohesion)
    travel_pts = round(15 * max(0.0, 1 - farthest / MAX_SITE_KM))
    epci = profiles[members[0]].epci
    facts = _Facts(
        size=len(members),
        hours_pts=hours_pts,
        closeness=closeness,
        cand_pts=cand_pts,
        related=len(related),
        others=len(others),
        cohesion_pts=cohesion_pts,
        cohesion=cohesion,
        rome=profiles[members[0]].rome,
        travel_pts=travel_pts,
        farthest_km=farthest,
        same_epci=epci is not None and all(profiles[i].epci == epci for i in members),
    )
    refs = fits.refs
    return Bundle(
        needs=tuple(sorted([items[i].ref for i in members])),
        hours=total,
        days=_DAYS_OF_MASK[day_mask],
        candidates=tuple([refs[k] for k in related] + [refs[k] for k in others]),
        score=hours_pts + cand_pts + cohesion_pts + travel_pts,
        facts=facts,
    )
