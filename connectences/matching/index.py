"""A columnar index of candidates: the matcher's fast path.

Each candidate is turned, once, when it is written, into numbers: level rank,
hours, a day bitmask, a contract bitmask, the ``available_from`` ordinal, an
eligibility flag (status and consent), the commune, the mobility radius, and
its skills and ROME codes through inverted indexes (skill text, taxonomy
concept, fuzzy key). Matching one need is then numpy work over columns: the
hard constraints as boolean masks, the score criteria as integer arrays. Fuzzy
text comparison only runs against the distinct skill texts the taxonomy does
not place (rapidfuzz ``process.cdist``), and its hits are spread to the
candidates holding them.

The index computes exactly the points of ``matching.score`` (same formulas,
same floating-point operations in the same order); a test checks it against
the candidate-by-candidate scorer on random data. Explanations of the best
candidates are written by ``matching.score`` itself.

Commitments (interchange v1.1) live in their own small columns (row, hours,
day bitmask, last day); for a need, those running on its start are subtracted
from ``hours_max``/``hours_min`` and their days from the day bitmask, once per
start date (cached until the next write). Without commitments this costs nothing.

Candidates are added, updated and removed one at a time: an update marks the
old row dead and appends a new one; the arrays are compacted when dead rows
pile up. No rebuild is needed after a candidate is confirmed or changed.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

import numpy as np
from rapidfuzz import fuzz, process

from connectences import skills, territory
from connectences.matching import week
from connectences.matching.constraints import within_mobility
from connectences.matching.data import CandidateData, NeedData
from connectences.matching.score import (
    _SKILL_TENTHS,
    DIPLOMA,
    FUZZY_MIN,
    LEVEL_POINTS,
    LEVEL_POINTS_FAR_ABOVE,
    RELATED,
    ROME_POINTS,
    SAME_JOB,
    WEIGHTS,
    SkillMeet,
    SkillRef,
    assign_meets,
    candidate_romes,
    candidate_skill_refs,
    meet_pair,
    need_rome,
    need_skill_refs,
    score_pair,
    skill_points_of,
)
from connectences.vocab import CONTRACT_BIT, DAY_BIT, LEVEL_RANK, OPEN_TO_WORK

DistanceFn = Callable[[str, str], float | None]

_RANKINGS_KEPT = 32  # needs whose ranking is kept (about 120 kB each at 100,000 people)
_FUZZY_MEMO_SIZE = 4096  # need skills whose fuzzy hits are kept (a few terms each)
_NO_END = 2**62  # "until" of an open-ended commitment: after every start date
_MATCHABLE_VERSIONS = itertools.count(1)  # one sequence for every index of the process
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)

# Level points by gap (candidate rank - need rank) + 3, gaps -3..3.
_LEVEL_TABLE = np.array(
    [
        0,
        0,
        LEVEL_POINTS[-1],
        LEVEL_POINTS[0],
        LEVEL_POINTS[1],
        LEVEL_POINTS_FAR_ABOVE,
        LEVEL_POINTS_FAR_ABOVE,
    ],
    dtype=np.int64,
)


def _territory_distance(a: str, b: str) -> float | None:

    return territory.distance_km(a, b)


class _Postings:
    """key -> rows, with the numpy array of each key built on demand and cached."""

    def __init__(self) -> None:
        self.rows: dict[str, list[int]] = defaultdict(list)
        self._arrays: dict[str, np.ndarray] = {}

    def add(self, key: str, row: int) -> None:
        self.rows[key].append(row)
        self._arrays.pop(key, None)

    def get(self, key: str) -> np.ndarray:
        array = self._arrays.get(key)
        if array is None:
            array = np.fromiter(self.rows.get(key, ()), dtype=np.int64)
            self._arrays[key] = array
        return array

    def keys(self):
        return self.rows.keys()


def _matchable(cand: CandidateData) -> bool:
    """The ``eligible`` flag: open to work, consented, address confirmed."""
    return cand.status in OPEN_TO_WORK and bool(cand.consent)


class CandidateIndex:
    """Candidates as numpy columns plus inverted indexes; see the module docstring."""

    def __init__(self, distance: DistanceFn | None = None, capacity: int = 1024) -> None:
        self.distance = distance or _territory_distance
        self._lock = threading.RLock()
        # Moves whenever ``matchable`` would answer otherwise: a matchable person added,
        # changed or removed, or someone becoming or ceasing to be matchable (a change of
        # a person nobody may propose, or a write that changes nothing, leaves it).
        self.matchable_version = next(_MATCHABLE_VERSIONS)
        self._alloc(capacity)
        self.n = 0  # rows used (alive or dead)
        self.refs: list[str] = []
        self.cands: list[CandidateData | None] = []
        self.row_of: dict[str, int] = {}
        self.communes: list[str] = []
        self.commune_id: dict[str, int] = {}
        self.by_norm = _Postings()
        self.by_concept = _Postings()  # job (code or family) of a skill -> rows
        self.by_family = _Postings()  # family (3 chars) of that job -> rows
        self.by_skill_concept = _Postings()  # skill concept id -> rows
        self.by_diploma = _Postings()  # job of a diploma skill -> rows
        self.by_diploma_family = _Postings()  # family (3 chars) of that job -> rows
        self.by_key_all = _Postings()
        self.by_key_unknown = _Postings()
        self.keys_all: list[str] = []
        self.keys_unknown: list[str] = []
        self.rome_code = {True: _Postings(), False: _Postings()}  # declared? -> code -> rows
        self.rome_family = {True: _Postings(), False: _Postings()}
        self.dead = 0
        # Commitments, one entry each: candidate row, hours, days, last day (ordinal).
        self.c_count = 0
        self.c_row = np.zeros(64, dtype=np.int64)
        self.c_hours = np.zeros(64, dtype=np.float64)
        self.c_days = np.zeros(64, dtype=np.uint8)
        self.c_until = np.zeros(64, dtype=np.int64)
        # (free hours max, still wished hours min, free days) per need start ordinal.
        self._free_cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        # Distances from one need commune to every candidate commune, per need commune.
        self._dist_cache: dict[str, np.ndarray] = {}
        # Need -> (rows, exact scores) passing its hard constraints: ``ranking``. A pure
        # function of the need's values and the index's rows, so emptied by every write.
        self._rankings: dict[NeedData, tuple[np.ndarray, np.ndarray]] = {}
        # (skill key, unknown vocabulary?) -> (terms compared, fuzzy hits): _fuzzy_hits.
        self._fuzzy_memo: dict[tuple[str, bool], tuple[int, list[tuple[str, float]]]] = {}

    # --- storage ---------------------------------------------------------------------

    def _alloc(self, capacity: int) -> None:
        self.capacity = capacity
        self.alive = np.zeros(capacity, dtype=bool)
        self.eligible = np.zeros(capacity, dtype=bool)
        # Small integer types: the hard-constraint masks read less memory.
        self.level = np.zeros(capacity, dtype=np.int8)
        self.hours_min = np.zeros(capacity, dtype=np.float64)
        self.hours_max = np.zeros(capacity, dtype=np.float64)
        self.days = np.zeros(capacity, dtype=np.uint8)
        self.contracts = np.zeros(capacity, dtype=np.uint8)
        self.available = np.zeros(capacity, dtype=np.int32)
        self.commune = np.zeros(capacity, dtype=np.int32)
        self.mobility = np.zeros(capacity, dtype=np.float64)

    _COLUMNS = (
        "alive",
        "eligible",
        "level",
        "hours_min",
        "hours_max",
        "days",
        "contracts",
        "available",
        "commune",
        "mobility",
    )

    def _grow(self) -> None:
        new_capacity = self.capacity * 2
        for name in self._COLUMNS:
            old = getattr(self, name)
            new = np.zeros(new_capacity, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self.capacity = new_capacity

    def __len__(self) -> int:
        return self.n - self.dead

    def __contains__(self, ref: str) -> bool:
        return ref in self.row_of

    # --- writes ----------------------------------------------------------------------

    @classmethod
    def build(cls, candidates: Iterable[CandidateData], distance: DistanceFn | None = None):
        """An index holding these candidates."""
        candidates = list(candidates)
        index = cls(distance=distance, capacity=max(1024, len(candidates)))
        for cand in candidates:
            index.add(cand)
        return index

    def _add_commitments(self, row: int, cand: CandidateData) -> None:
        for c in cand.commitments:
            if self.c_count == len(self.c_row):
                for name in ("c_row", "c_hours", "c_days", "c_until"):
                    old = getattr(self, name)
                    new = np.zeros(len(old) * 2, dtype=old.dtype)
                    new[: self.c_count] = old[: self.c_count]
                    setattr(self, name, new)
            k = self.c_count
            self.c_row[k] = row
            self.c_hours[k] = c.hours_per_week
            self.c_days[k] = sum(DAY_BIT[d] for d in c.days if d in DAY_BIT)
            self.c_until[k] = _NO_END if c.until is None else c.until.toordinal()
            self.c_count += 1

    def add(self, cand: CandidateData) -> None:
        """Add a candidate, or replace the one with the same ref."""
        with self._lock:
            self._free_cache.clear()
            self._rankings.clear()
            old = self.row_of.get(cand.ref)
            was = self.cands[old] if old is not None and self.eligible[old] else None
            if was != (cand if _matchable(cand) else None):
                self.matchable_version = next(_MATCHABLE_VERSIONS)
            if old is not None:
                self._kill(old)
            if self.n == self.capacity:
                self._grow()
            row = self.n
            self.n += 1
            self.refs.append(cand.ref)
            self.cands.append(cand)
            self.row_of[cand.ref] = row
            self.alive[row] = True
            self.eligible[row] = _matchable(cand)
            self.level[row] = LEVEL_RANK[cand.level]
            self.hours_min[row] = cand.hours_min
            self.hours_max[row] = cand.hours_max
            self.days[row] = sum(DAY_BIT[d] for d in cand.days if d in DAY_BIT)
            self.contracts[row] = sum(CONTRACT_BIT[c] for c in cand.contracts if c in CONTRACT_BIT)
            self.available[row] = cand.available_from.toordinal()
            self.mobility[row] = cand.mobility_km
            commune = self.commune_id.get(cand.commune)
            if commune is None:
                commune = len(self.communes)
                self.communes.append(cand.commune)
                self.commune_id[cand.commune] = commune
                self._dist_cache.clear()
            self.commune[row] = commune
            if cand.commitments:
                self._add_commitments(row, cand)
            self._index_skills(row, candidate_skill_refs(cand))
            codes, declared = candidate_romes(cand)
            for code in codes:
                self.rome_code[declared].add(code, row)
            for family in {c[:3] for c in codes}:
                self.rome_family[declared].add(family, row)

    update = add

    def _index_skills(self, row: int, refs: list[SkillRef]) -> None:
        seen: set[str] = set()
        for ref in refs:
            if ref.norm in seen:
                continue
            seen.add(ref.norm)
            self.by_norm.add(ref.norm, row)
            for job in ref.jobs:
                self.by_concept.add(job, row)
                self.by_family.add(job[:3], row)
                if ref.diploma:
                    self.by_diploma.add(job, row)
                    self.by_diploma_family.add(job[:3], row)
            for concept in ref.concepts:
                self.by_skill_concept.add(concept, row)
            if ref.key not in self.by_key_all.rows:
                self.keys_all.append(ref.key)
            self.by_key_all.add(ref.key, row)
            if ref.concept is None:
                if ref.key not in self.by_key_unknown.rows:
                    self.keys_unknown.append(ref.key)
                self.by_key_unknown.add(ref.key, row)

    def remove(self, ref: str) -> bool:
        """Remove a candidate (no longer matchable); True when it was there."""
        with self._lock:
            row = self.row_of.get(ref)
            if row is None:
                return False
            if self.eligible[row]:
                self.matchable_version = next(_MATCHABLE_VERSIONS)
            self._kill(row)
            return True

    def _kill(self, row: int) -> None:
        # A dead row's commitments stay in the columns: the alive mask ignores them.
        self._free_cache.clear()
        self._rankings.clear()
        ref = self.refs[row]
        self.alive[row] = False
        self.cands[row] = None
        self.row_of.pop(ref, None)
        self.dead += 1
        if self.dead > 1000 and self.dead * 4 > self.n:
            self._compact()

    def _compact(self) -> None:
        live = [c for c in self.cands if c is not None]
        fresh = CandidateIndex.build(live, distance=self.distance)
        self.__dict__.update({k: v for k, v in fresh.__dict__.items() if k != "_lock"})

    # --- reads -----------------------------------------------------------------------

    def _distances(self, need_commune: str) -> np.ndarray:
        """Distance from the need's commune to each candidate commune (NaN when unknown)."""
        cached = self._dist_cache.get(need_commune)
        if cached is not None and len(cached) == len(self.communes):
            return cached
        out = np.empty(len(self.communes), dtype=np.float64)
        for i, commune in enumerate(self.communes):
            d = self.distance(commune, need_commune)
            out[i] = np.nan if d is None else d
        if len(self._dist_cache) > 256:
            self._dist_cache.clear()
        self._dist_cache[need_commune] = out
        return out

    def free(self, start) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row, on ``start``: free hours, hours still wished at least, free days.

        ``matching.week``'s arithmetic (``free_hours_of``, ``wished_hours_of``,
        ``free_days_of``) on the commitments running on ``start`` (until >= start).
        """
        n = self.n
        if self.c_count == 0:
            return self.hours_max[:n], self.hours_min[:n], self.days[:n]
        key = start.toordinal()
        cached = self._free_cache.get(key)
        if cached is not None and len(cached[0]) == n:
            return cached
        m = self.c_count
        active = np.flatnonzero(self.c_until[:m] >= key)
        committed = np.zeros(n, dtype=np.float64)
        taken = np.zeros(n, dtype=np.uint8)
        rows = self.c_row[active]
        np.add.at(committed, rows, self.c_hours[active])
        np.bitwise_or.at(taken, rows, self.c_days[active])
        result = (
            week.free_hours_of(self.hours_max[:n], committed),
            week.wished_hours_of(self.hours_min[:n], committed),
            week.free_days_of(self.days[:n], taken),
        )
        if len(self._free_cache) > 8:
            self._free_cache.clear()
        self._free_cache[key] = result
        return result

    def hard_mask(self, need: NeedData) -> np.ndarray:
        """Rows that pass every hard constraint for this need (free hours and free days)."""
        n = self.n
        dist = self._distances(need.commune)[self.commune[:n]]
        need_days = sum(DAY_BIT[d] for d in need.days if d in DAY_BIT)
        hours_free, _wished, days_free = self.free(need.start)
        return (
            self.alive[:n]
            & self.eligible[:n]
            & (self.available[:n] <= need.start.toordinal())
            & (np.isnan(dist) | within_mobility(dist, self.mobility[:n]))
            & ((days_free & need_days) != 0)
            & week.hours_fit(need.hours_per_week, hours_free)
            & ((self.contracts[:n] & CONTRACT_BIT.get(need.contract, 0)) != 0)
            & (self.level[:n] >= LEVEL_RANK[need.level] - 1)
        )

    def _skill_values(self, ref: SkillRef) -> np.ndarray:
        """Best value (0..1) of one need skill over each row's skills, as ``score.meet_pair``
        gives it. Values below 1 are partial credit, which ``score.assign_meets`` may
        give to another need skill when one candidate skill is the best for two."""
        values = np.zeros(self.n, dtype=np.float64)
        # Fuzzy and partial credit first, exact paths last: they give 1.0, the most.
        vocabulary, postings = (
            (self.keys_unknown, self.by_key_unknown)
            if ref.concept
            else (self.keys_all, self.by_key_all)
        )
        for term, similarity in self._fuzzy_hits(ref.key, vocabulary):
            rows = postings.get(term)
            values[rows] = np.maximum(values[rows], similarity / 100.0)
        # Same job: the whole skill for a need skill that only names the job,
        # graded partial credit for a speciality (see ``score.meet_pair``).
        same_job, diploma = (SAME_JOB, DIPLOMA) if ref.specific else (1.0, 1.0)
        for job in ref.jobs:
            for rows in self._concept_rows(job, self.by_concept, self.by_family):
                values[rows] = np.maximum(values[rows], same_job)
            for rows in self._concept_rows(job, self.by_diploma, self.by_diploma_family):
                values[rows] = np.maximum(values[rows], diploma)
        for concept in ref.related:
            rows = self.by_skill_concept.get(concept)
            values[rows] = np.maximum(values[rows], RELATED)
        for concept in ref.concepts:
            values[self.by_skill_concept.get(concept)] = 1.0
        values[self.by_norm.get(ref.norm)] = 1.0
        return values

    def _fuzzy_hits(self, key: str, vocabulary: list[str]) -> list[tuple[str, float]]:
        """The terms of ``vocabulary`` (``keys_all`` or ``keys_unknown``) at least
        ``FUZZY_MIN`` similar to ``key``, with their similarity (``process.cdist``).

        Kept per key: a vocabulary only grows (terms are appended, never changed; a
        compaction gives the index new lists and an empty memo), so only the terms added
        since the last call are compared. Comparing a need skill with the whole
        vocabulary cost a need page a millisecond per skill at 100,000 candidates.
        """
        memo_key = (key, vocabulary is self.keys_unknown)
        seen, hits = self._fuzzy_memo.get(memo_key, (0, []))
        if seen < len(vocabulary):
            fresh = vocabulary[seen:]
            sims = process.cdist(
                [key],
                fresh,
                scorer=fuzz.token_sort_ratio,
                score_cutoff=FUZZY_MIN,
                dtype=np.float64,
                workers=1,
            )[0]
            hits = hits + [(fresh[j], sims[j]) for j in np.flatnonzero(sims >= FUZZY_MIN)]
            if len(self._fuzzy_memo) >= _FUZZY_MEMO_SIZE:
                self._fuzzy_memo.clear()
            self._fuzzy_memo[memo_key] = (len(vocabulary), hits)
        return hits

    def _concept_rows(self, job: str, by_job: _Postings, by_family: _Postings) -> list[np.ndarray]:
        """Rows holding a skill with a job that meets ``job`` (``skills.concepts_meet``)."""
        if len(job) > 3:
            return [by_job.get(job), by_job.get(job[:3])]
        # A family meets every code of the family.
        return [by_family.get(job)]

    def _rome_points(self, need: NeedData) -> np.ndarray:
        points = np.zeros(self.n, dtype=np.int64)
        code, _given = need_rome(need)
        if code is None:
            return points
        related = sorted(skills.related_codes(code))
        for declared in (False, True):
            for other in related:
                rows = self.rome_code[declared].get(other)
                points[rows] = np.maximum(points[rows], ROME_POINTS[("related", declared)])
            family_rows = self.rome_family[declared].get(code[:3])
            points[family_rows] = np.maximum(points[family_rows], ROME_POINTS[("family", declared)])
            code_rows = self.rome_code[declared].get(code)
            points[code_rows] = np.maximum(points[code_rows], ROME_POINTS[("code", declared)])
        return points

    def _parts(self, need: NeedData, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Skill points, the other criteria's points, and which rows' skill points are
        only an upper bound, for the given rows (``matching.score`` arithmetic, vectorised).

        Skill points take each need skill's best value. That is exact unless two need
        skills or more only get partial credit: ``score.assign_meets`` gives a candidate
        skill's partial credit to one need skill at most, so such rows are flagged and
        may score less. Skill points are tenths (a float ``k / 10``), the others whole
        points; ``skill + rest`` is then the same float as the explanation's sum.
        """
        refs = need_skill_refs(need)
        if refs:
            total = np.zeros(len(rows), dtype=np.float64)
            partial = np.zeros(len(rows), dtype=np.int64)
            for ref in refs:
                values = self._skill_values(ref)[rows]
                total = total + values
                partial += (values > 0.0) & (values < 1.0)
            # ``score.skill_points_of``, vectorised: tenths of a point, halves up.
            skill_pts = (
                np.floor(WEIGHTS["skills"] * total / len(refs) * _SKILL_TENTHS + 0.5)
                / _SKILL_TENTHS
            )
            bound = partial >= 2
        else:
            skill_pts = np.zeros(len(rows), dtype=np.float64)
            bound = np.zeros(len(rows), dtype=bool)
        gap = np.clip(self.level[rows] - LEVEL_RANK[need.level], -3, 3) + 3
        level_pts = _LEVEL_TABLE[gap]
        hours_free, wished_min, days_free = self.free(need.start)
        h = float(need.hours_per_week)
        hmin = wished_min[rows]
        hmax = hours_free[rows]
        half = WEIGHTS["hours"] / 2
        # hmin is 0 once commitments cover the wish; those rows never take "below".
        part = np.divide(half * h, hmin, out=np.zeros(len(rows)), where=hmin > 0)
        below = np.floor(half + part + 0.5).astype(np.int64)
        # ``score.hours_points``'s comparisons, float error aside (``week.hours_fit``).
        hours_pts = np.where(
            week.hours_fit(hmin, h) & week.hours_fit(h, hmax),
            WEIGHTS["hours"],
            np.where(~week.hours_fit(hmin, h), below, 0),
        )
        need_days = sum(DAY_BIT[d] for d in need.days if d in DAY_BIT)
        if need.days:
            common = _POPCOUNT[days_free[rows] & need_days]
            days_pts = np.floor(WEIGHTS["days"] * common / len(need.days) + 0.5).astype(np.int64)
        else:
            days_pts = np.zeros(len(rows), dtype=np.int64)
        contract_pts = np.where(
            (self.contracts[rows] & CONTRACT_BIT.get(need.contract, 0)) != 0,
            WEIGHTS["contract"],
            0,
        )
        rome_pts = self._rome_points(need)[rows]
        rest = rome_pts + level_pts + hours_pts + days_pts + contract_pts
        return skill_pts, rest, bound

    def _exact_skill_points(self, need: NeedData, rows: np.ndarray) -> np.ndarray:
        """Skill points of the given rows by ``score.assign_meets`` itself."""
        refs = need_skill_refs(need)
        memo: dict[tuple[int, str], SkillMeet] = {}

        def pair(need_skill: SkillRef, c: SkillRef) -> SkillMeet:
            key = (id(need_skill), c.norm)
            m = memo.get(key)
            if m is None:
                m = memo[key] = meet_pair(need_skill, c)
            return m

        out = np.empty(len(rows), dtype=np.float64)
        for k, row in enumerate(rows.tolist()):
            meets = assign_meets(refs, candidate_skill_refs(self.cands[row]), pair)
            total = 0.0
            for m in meets:
                total = total + m.value
            out[k] = skill_points_of(total, len(refs))
        return out

    def scores(self, need: NeedData, rows: np.ndarray) -> np.ndarray:
        """Score of the given rows, exactly as ``matching.score`` gives it."""
        skill_pts, rest, bound = self._parts(need, rows)
        if bound.any():
            flagged = np.flatnonzero(bound)
            skill_pts = skill_pts.copy()
            skill_pts[flagged] = self._exact_skill_points(need, rows[flagged])
        return skill_pts + rest

    def _top_scores(
        self, need: NeedData, rows: np.ndarray, limit: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, exact scores) holding every row that can be among the ``limit`` best.

        Rows whose skill points are only a bound are recomputed best bound first, in
        small batches, until the next bound falls below the ``limit``-th best exact
        score: a row under it cannot enter the top (a tie could, by its ref).
        """
        if len(rows) == 0:
            return rows, np.zeros(0, dtype=np.float64)
        skill_pts, rest, bound = self._parts(need, rows)
        scores = skill_pts + rest
        if not bound.any():
            return rows, scores
        if limit is None:
            flagged = np.flatnonzero(bound)
            scores[flagged] = self._exact_skill_points(need, rows[flagged]) + rest[flagged]
            return rows, scores
        exact = np.flatnonzero(~bound)
        known = scores[exact]
        best = np.sort(known)[-limit:] if len(known) > limit else np.sort(known)
        flagged = np.flatnonzero(bound)
        flagged = flagged[np.argsort(-scores[flagged], kind="stable")]
        done = 0
        batch = 32
        while done < len(flagged):
            kth = best[-limit] if len(best) >= limit else -np.inf
            if scores[flagged[done]] < kth:
                break
            chunk = flagged[done : done + batch]
            scores[chunk] = self._exact_skill_points(need, rows[chunk]) + rest[chunk]
            best = np.sort(np.concatenate([best, scores[chunk]]))[-limit:]
            done += len(chunk)
            batch *= 2
        keep = np.concatenate([exact, flagged[:done]])
        return rows[keep], scores[keep]

    def top(self, need: NeedData, limit: int | None = 20) -> list[tuple[str, float]]:
        """(ref, score) of the best candidates passing the hard constraints, ties by ref."""
        with self._lock:
            rows = self._passing(need)
            rows, scores = self._top_scores(need, rows, limit)
            ranking = Ranking(self, rows, scores, first=limit or 64)
        return list(ranking if limit is None else islice(ranking, limit))

    def ranking(self, need: NeedData) -> Ranking:
        """Every candidate passing the need's hard constraints with their exact scores,
        best first, ties by ref: put in order as it is read (see ``Ranking``).

        Kept per need (its values are the key) until the next write to the index: a
        need page read again costs no matching, and no write can leave it stale."""
        with self._lock:
            found = self._rankings.get(need)
            if found is None:
                rows = self._passing(need)
                found = self._top_scores(need, rows, None)
                if len(self._rankings) >= _RANKINGS_KEPT:
                    self._rankings.clear()
                self._rankings[need] = found
            return Ranking(self, *found)

    def _passing(self, need: NeedData) -> np.ndarray:
        if self.n == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.hard_mask(need))

    def match(self, need: NeedData, limit: int | None = 20) -> list[dict]:
        """Like ``score.rank_candidates``: ``{"candidate", "score", "explanation"}``, best first."""
        out = []
        for ref, _score in self.top(need, limit):
            cand = self.cands[self.row_of[ref]]
            km = self.distance(cand.commune, need.commune)
            points, entries = score_pair(need, cand, km)
            out.append({"candidate": ref, "score": points, "explanation": entries})
        return out

    def holding_work(self, layout: list[str]) -> np.ndarray | None:
        """One flag per row: whether the candidate has a commitment (running or not);
        None when ``layout`` (the ``refs`` a ranking's rows refer to) is no longer the
        index's: a compaction renumbered the rows."""
        with self._lock:
            if layout is not self.refs:
                return None
            flags = np.zeros(self.n, dtype=bool)
            flags[self.c_row[: self.c_count]] = True
            return flags

    def get(self, ref: str) -> CandidateData | None:
        row = self.row_of.get(ref)
        return None if row is None else self.cands[row]

    def matchable(self) -> list[CandidateData]:
        """The candidates the matcher may propose (open to work, consented, address
        confirmed: the ``eligible`` flag), by ref: what pooling reads, without loading
        100,000 people from the database at each request."""
        with self._lock:
            rows = np.flatnonzero(self.alive[: self.n] & self.eligible[: self.n])
            found = [self.cands[row] for row in rows.tolist()]
        return sorted(found, key=lambda c: c.ref)


class Ranking:
    """The candidates passing a need's hard constraints and their scores, read best first,
    ties by ref, as ``(ref, score)``; ``len`` says how many there are.

    A page reads the first few dozen of thousands: the order is settled a slice at a
    time as it is read (the best ``first``, then four times as many of the rest, and so
    on), each slice taken whole with every row tying with its last score, so that the
    order is exactly the full sort's. Putting the whole ranking of a need in order as
    Python tuples cost a need page 8 ms at 100,000 candidates.
    """

    def __init__(self, index: CandidateIndex, rows: np.ndarray, scores: np.ndarray, first=32):
        self.index = index
        # Rows keep their ref in this list: new rows are appended to it, and a compaction
        # gives the index a new list, leaving this one as it was.
        self._refs = index.refs
        self._rows = rows
        self._scores = scores
        self._first = max(1, first)

    def __len__(self) -> int:
        return len(self._rows)

    def holding_work(self) -> Ranking:
        """The same ranking among the people with a commitment (running or not); the
        whole ranking in the rare case the index was compacted since (rows renumbered)."""
        flags = self.index.holding_work(self._refs)
        if flags is None:
            return self
        kept = flags[self._rows]
        return Ranking(self.index, self._rows[kept], self._scores[kept], first=self._first)

    def __iter__(self) -> Iterator[tuple[str, float]]:
        refs = self._refs
        rows, negated = self._rows, -self._scores
        size = self._first
        while len(rows):
            if len(rows) > size:
                kth = np.partition(negated, size - 1)[size - 1]
                taken = negated <= kth
                now, rows = rows[taken], rows[~taken]
                minus, negated = negated[taken], negated[~taken]
            else:
                now, minus, rows = rows, negated, rows[:0]
            chunk = sorted(zip(minus.tolist(), [refs[r] for r in now.tolist()], strict=True))
            for key, ref in chunk:
                yield ref, -key
            size *= 4
