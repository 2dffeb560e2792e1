"""A person's week in shared time: what their commitments take, what stays free.

Interchange v1.1: free hours are ``hours_max`` minus the hours of the commitments
still running on a date (a commitment whose ``until`` is before that date is
over; one ending on that very day still counts); free days are ``days`` minus the
days those commitments take. Without commitments, free hours are ``hours_max``
and free days are ``days``, as in v1. Everything here is computed from dates:
a commitment that ends gives its time back by itself, no job needed.

Hours are typed with a decimal or two (7.5, 24.25) but added and subtracted as
binary floats, where 8 - 4.4 is 3.5999999999999996, not 3.6. Every comparison of
hours in matching (match, its explanation, the index, pool, the week's limits) goes
through ``hours_fit`` and its ``HOURS_TOLERANCE``, owned here, so that a boundary
the spec allows (free hours equal to the need's hours) stays allowed everywhere.

A week is *full* when what no end date will free leaves less than
``MIN_FREE_HOURS`` or no free day: no need (1 h at least) can fit any more. Work
with an end date never makes a week full: the time comes back when it ends, and
the hard constraints already keep the person away from needs starting before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
from sqlalchemy import case, or_
from sqlalchemy.sql.elements import ColumnElement

from connectences.clock import local_today
from connectences.dates import period_end, period_text
from connectences.matching.data import CandidateData, CommitmentData, NeedData
from connectences.typography import hours_plain, plural
from connectences.vocab import DAYS

HOURS_TOLERANCE = 1e-9
"""Hours closer than this are equal: far above the float error of sums of hours
(about 1e-14), far below anything a person types."""
MIN_FREE_HOURS = 1.0
"""Below this many free hours a week is full: a need asks for 1 h at least."""
MAX_WEEK_HOURS = 48.0
"""Legal weekly maximum (Code du travail L3121-20): no week typed in a form goes above."""
MAX_DAY_HOURS = 12.0
"""Longest working day the law allows (Code du travail L3121-18: 10 h, raised up to 12 h
by agreement, L3121-19): hours a week that the days chosen cannot hold at this rate are
a slip (40 h ticked on Monday alone), refused by the forms where days and hours are
typed together (a placement takes its days from its needs: not typed, not refused)."""
MAX_WORKING_DAYS = 6
"""Most days a week anyone may work, with one employer or several (Code du travail
L3132-1: a weekly rest day): ``seventh_day`` refuses a seventh."""
FIXED_TERM = ("cdd", "saisonnier", "mission")
"""Contracts whose work has a last day (``work_until``); the others are open-ended."""
MISSION_MONTHS = 1
"""How long a mission lasts when none of its needs says."""


def work_until(
    contract: str, start: date, months: Iterable[float | None], last_day: date | None = None
) -> date | None:
    """Last day of the work a job gives from ``start`` (a placement's commitment, a need
    as its lines read it): for a fixed-term contract, ``last_day`` when given, else the
    longest of the needs' durations ``months`` (a month for a mission without one); None
    when open-ended."""
    if contract not in FIXED_TERM:
        return None
    if last_day is not None:
        return last_day
    known = [m for m in months if m is not None]
    if not known and contract == "mission":
        known = [MISSION_MONTHS]
    if not known:
        return None
    return period_end(start, max(1, round(max(known))))


def need_until(need: NeedData) -> date | None:
    """The last day of the work ``need`` gives (``work_until``): None when permanent."""
    return work_until(need.contract, need.start, [need.duration_months])


def hours_fit(hours, limit):
    """Whether ``hours`` is at most ``limit``, float error aside (``HOURS_TOLERANCE``).

    The one comparison of hours in matching: plain floats or numpy arrays (the index
    and pool compare columns with the very same expression).
    """
    return hours <= limit + HOURS_TOLERANCE


def still_runs(until, on):
    """Whether a commitment whose last day is ``until`` (None: open-ended) still runs on
    ``on``: the one rule, on a date, or on a column of end dates as a SQL condition (the
    CV library's filters, ``cvtheque.search``). One ending on ``on`` still runs."""
    if until is None or isinstance(until, date):
        return until is None or until >= on
    return or_(until.is_(None), until >= on)


def running(commitments: Iterable[CommitmentData], on: date) -> list[CommitmentData]:
    """The commitments still running on ``on`` (no end, or ending that day or later)."""
    return [c for c in commitments if still_runs(c.until, on)]


def worked_on(cand: CandidateData, on: date) -> frozenset[int]:
    """Ids of the needs the person works on, on ``on`` (a commitment for the need still
    running then): never offered to them to fill their free time (« Compléter la
    semaine » either way), even when that work ends before the need's start (a need back
    in the search while its fixed-term placement runs to its term)."""
    return frozenset(c.need_id for c in running(cand.commitments, on) if c.need_id is not None)


def free_hours_of(hours_max, committed):
    """``hours_max`` minus the hours ``committed``: the one subtraction of free hours, on
    plain floats, on numpy columns (the index and pool) or on SQL columns (the CV
    library's filters), in this order so that every reader gets the same bits. May be
    negative: a person may hold more than they wish."""
    return hours_max - committed


def hours_left_of(hours_max, committed) -> float:
    """``free_hours_of`` as a page or a sentence says it: never negative."""
    return max(free_hours_of(hours_max, committed), 0.0)


def wished_hours_of(hours_min, committed):
    """The hours still wished at least once ``committed`` are held, never below 0: on
    plain floats, on numpy columns (``score.hours_points`` and the index) or on SQL
    columns (the CV library's filters)."""
    less = hours_min - committed
    if isinstance(less, np.ndarray):
        return np.maximum(less, 0.0)
    if isinstance(less, ColumnElement):
        return case((less > 0.0, less), else_=0.0)
    return max(less, 0.0)


def free_days_of(days, taken):
    """``days`` minus the ``taken`` ones: sets of day keys, or day bitmasks (ints or numpy
    columns of ``vocab.DAY_BIT``, as the index and pool keep them). On SQL conditions (the
    CV library's filters) the bit is one day, or every day of a set: the person offers
    it (``days``), a running commitment takes it (``taken``); free is their ``AND NOT``."""
    if isinstance(days, (set, frozenset)):
        return frozenset(days) - frozenset(taken)
    return days & ~taken


def committed_hours(cand: CandidateData, on: date) -> float:
    """Hours a week already taken on ``on``."""
    total = 0.0
    for c in running(cand.commitments, on):
        total = total + c.hours_per_week
    return total


def taken_days(cand: CandidateData, on: date) -> frozenset[str]:
    """Days already taken on ``on``."""
    out: set[str] = set()
    for c in running(cand.commitments, on):
        out |= c.days
    return frozenset(out)


def free_hours(cand: CandidateData, on: date) -> float:
    """``hours_max`` minus the commitments running on ``on`` (may be negative)."""
    return free_hours_of(cand.hours_max, committed_hours(cand, on))


def hours_left(cand: CandidateData, on: date) -> float:
    """``free_hours`` as a page or a sentence says it: never negative (work held beyond
    ``hours_max`` leaves 0 h, said apart where it matters)."""
    return hours_left_of(cand.hours_max, committed_hours(cand, on))


def wished_hours(cand: CandidateData, on: date) -> float:
    """``hours_min`` minus the commitments running on ``on``, 0 at least."""
    return wished_hours_of(cand.hours_min, committed_hours(cand, on))


def free_days(cand: CandidateData, on: date) -> frozenset[str]:
    """``days`` minus the days the commitments running on ``on`` take."""
    return free_days_of(cand.days, taken_days(cand, on))


def full_for(cand: CandidateData) -> str | None:
    """Why the week is full, if it is: ``"hours"`` when open-ended commitments leave under
    ``MIN_FREE_HOURS``, else ``"days"`` when they leave no free day; None otherwise. The
    person is told which (more hours, or other days, would open it again)."""
    lasting = [c for c in cand.commitments if c.until is None]
    if not lasting:
        return None
    hours = 0.0
    days: set[str] = set()
    for c in lasting:
        hours = hours + c.hours_per_week
        days |= c.days
    if not hours_fit(MIN_FREE_HOURS, free_hours_of(cand.hours_max, hours)):
        return "hours"
    return None if free_days_of(cand.days, days) else "days"


def is_full(cand: CandidateData) -> bool:
    """Whether open-ended commitments leave under ``MIN_FREE_HOURS`` or no free day."""
    return full_for(cand) is not None


def over_week_limit(
    held: Iterable[tuple[float, date | None]], today: date | None = None
) -> float | None:
    """Total hours of ``(hours, until)`` commitments running from ``today`` on, when it goes
    over ``MAX_WEEK_HOURS``; None when the week stays within the legal limit.

    The forms where a week is typed (a commitment, a placement) keep people within
    the legal limit with it. An interchange import does not: the spec bounds each
    commitment only, and a sender's document is refused for the spec's rules alone.
    Commitments have no start date: all those not over today may run together, so
    they add up. Work that has ended is history and counts for nothing. Float error
    aside (``hours_fit``): 1.1 + 39.2 + 7.7 is 48.00000000000001, and is 48 h.
    """

    today = today or local_today()
    total = 0.0
    for hours, until in held:
        if still_runs(until, today):
            total = total + hours
    return None if hours_fit(total, MAX_WEEK_HOURS) else total


def beyond_days(hours: float, days: Iterable[str]) -> str | None:
    """Why ``hours`` a week cannot be worked on ``days`` (more than ``MAX_DAY_HOURS`` a
    day), in French; None when they can, or when no day is chosen (said apart).

    The one owner of the rule for the forms of needs, commitments and a person's wish;
    an interchange document is refused for the spec's rules alone.
    """
    count = len(set(days))
    if not count or hours_fit(hours, MAX_DAY_HOURS * count):
        return None
    return (
        f"{hours_plain(hours)} par semaine sur {plural(count, 'jour')}, c'est plus de "
        f"{hours_plain(MAX_DAY_HOURS)} par jour, au-delà de la durée maximale légale : "
        "cochez d'autres jours ou réduisez les heures."
    )


def beyond_days_together(
    hours: float, days: Iterable[str], held: Iterable[tuple[float, Iterable[str]]]
) -> str | None:
    """Why ``hours`` a week on ``days`` cannot be worked beside the commitments ``held``
    (``(hours, days)`` each) within ``MAX_DAY_HOURS`` a day, in French; None when they can.

    Each may fit its own days while together they do not: 7,5 h on Wednesday twice is
    15 h that Wednesday, and the legal day bounds work held with several employers too
    (Code du travail L8261-1). Work fits a set of days when the commitments falling only
    on those days need at most ``MAX_DAY_HOURS`` for each of them; the new one is refused
    when it takes such a set over that limit (the smallest, then the first in the week).
    A set already over without it is not its doing (work recorded elsewhere: an import,
    a placement) and does not refuse it.
    """
    mine = frozenset(days)
    if not mine:
        return None
    items = [(h, frozenset(d)) for h, d in held]
    order = list(DAYS)
    sets = sorted(
        range(1, 1 << len(order)), key=lambda m: (m.bit_count(), [-(m >> i & 1) for i in range(7)])
    )
    for mask in sets:
        chosen = frozenset(d for i, d in enumerate(order) if mask >> i & 1)
        if not mine <= chosen:
            continue
        before = 0.0
        for h, d in items:
            if d and d <= chosen:
                before = before + h
        limit = MAX_DAY_HOURS * len(chosen)
        total = before + hours
        if hours_fit(before, limit) and not hours_fit(total, limit):
            return (
                f"Avec les autres engagements, {hours_plain(total)} par semaine tombent sur "
                f"{plural(len(chosen), 'jour')} ({days_text(chosen)}), c'est plus de "
                f"{hours_plain(MAX_DAY_HOURS)} par jour, au-delà de la durée maximale "
                "légale : cochez d'autres jours ou réduisez les heures."
            )
    return None


def seventh_day(days: Iterable[str], held: Iterable[Iterable[str]]) -> str | None:
    """Why work on ``days`` cannot be held beside the commitments ``held`` (the days of
    each, running on one same day with it), in French; None when they can.

    Code du travail L3132-1: no one works more than ``MAX_WORKING_DAYS`` days a week,
    with one employer or several. The one owner of the rule for what the platform lets
    people record (a commitment's forms, a placement); an interchange document is refused
    for the spec's rules alone, and the pool and match keep the spec's output. A week
    already taking seven days without this work is not its doing (work recorded
    elsewhere: an import) and does not refuse it.
    """
    mine = frozenset(days)
    before: set[str] = set()
    for taken in held:
        before |= set(taken)
    if not mine or len(before) > MAX_WORKING_DAYS or len(before | mine) <= MAX_WORKING_DAYS:
        return None
    added = mine - before
    with_others = (
        f" ; les autres engagements prennent déjà {on_days_text(before)}" if before else ""
    )
    return (
        f"Ce travail {on_days_text(added)}{with_others} : la semaine compterait sept jours "
        f"de travail, plus que les {MAX_WORKING_DAYS} jours par semaine que permet le Code "
        "du travail (article L3132-1, repos hebdomadaire). Laissez au moins un jour de la "
        "semaine sans travail."
    )


def join_fr(words: list[str]) -> str:
    """'lundi', 'lundi et jeudi', 'lundi, mardi et jeudi'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " et " + words[-1]


def days_text(days: Iterable[str]) -> str:
    """Days in week order, in French: 'lundi et jeudi'."""
    chosen = set(days)
    return join_fr([DAYS[d] for d in DAYS if d in chosen])


def on_days_text(days: Iterable[str]) -> str:
    """Days a commitment takes, each with its article: 'le mardi', 'le lundi et le jeudi',
    'le vendredi, le samedi et le dimanche'; empty without days."""
    chosen = set(days)
    return join_fr([f"le {DAYS[d]}" for d in DAYS if d in chosen])


def not_started(c, on: date) -> bool:
    """Whether the commitment ``c`` (a ``CommitmentData`` or a stored ``Commitment``) has
    not started on ``on``: its first day is known and after it. Words only: matching
    counts it all the same (the spec has no start; a need starting before it may run
    into it), but no sentence calls it work the person already does."""
    start = getattr(c, "start", None)
    return start is not None and start > on


def from_text(start: date) -> str:
    """'à partir du 22/02/2027': when work not started yet begins, as every week says it."""
    return period_text(start, None)


def dates_text(c, on: date) -> str:
    """When the commitment ``c`` (a ``CommitmentData`` or a stored ``Commitment``) runs,
    as seen on ``on``, as every week's rows and lines say it: 'jusqu'au 30/04/2027' (its
    last day), 'à partir du 01/03/2027' (not started on ``on``), 'du 01/03/2027 au
    30/04/2027' (both); empty for open-ended work already begun."""
    return period_text(c.start if not_started(c, on) else None, c.until)


def _work_text(c: CommitmentData) -> str:
    days = on_days_text(c.days)
    text = f"{hours_plain(c.hours_per_week)} {days}" if days else hours_plain(c.hours_per_week)
    return f"{text} ({c.label})" if c.label else text


def _commitment_text(c: CommitmentData, on: date) -> str:
    text = _work_text(c)
    return f"{text} {from_text(c.start)}" if not_started(c, on) else text


def held_text(begun: list[str], coming: list[str]) -> str:
    """'Déjà A', 'Déjà A ; prévu B', 'Prévu B': what a week holds, the work the person
    already does (``begun``) apart from the work not started yet (``coming``, each
    saying when it starts: ``from_text``), as every week's sentence says it."""
    parts = [f"Déjà {join_fr(begun)}"] if begun else []
    if coming:
        parts.append(f"{'prévu' if begun else 'Prévu'} {join_fr(coming)}")
    return " ; ".join(parts)


def left_text(left: float, hours=hours_plain) -> str:
    """'reste 8 h': the hours left free, as the week's sentences say them (``hours``
    writes the number: ``hours_plain``, or ``typography.hours_fr`` on a page)."""
    return f"reste {hours(left)}"


def week_sentence(cand: CandidateData, on: date) -> str | None:
    """'Déjà 8 h le mardi (GE Bassin Emploi) : reste 16 h, libre lundi et jeudi.'; work
    not started on ``on`` is said apart (``held_text``): 'Déjà 8 h le mardi (…) ; prévu
    4 h le jeudi (…) à partir du 22/02/2027 : reste 12 h, libre lundi.'

    None when no commitment runs on ``on`` (the week is the v1 one).
    """
    current = running(cand.commitments, on)
    if not current:
        return None
    left = hours_left(cand, on)
    free = free_days(cand, on)
    free_part = f"libre {days_text(free)}" if free else "plus aucun jour libre"
    held = held_text(
        [_commitment_text(c, on) for c in current if not not_started(c, on)],
        [_commitment_text(c, on) for c in current if not_started(c, on)],
    )
    return f"{held} : {left_text(left)}, {free_part}."


def over_before(cand: CandidateData, need: NeedData, today: date) -> list[CommitmentData]:
    """The work running ``today`` that ends before the need's start and that the need
    waits for: each one taking some of the need's days, then, when the hours free once
    those are over are still fewer than the need asks, the fewest others freeing enough
    of them (most hours first, the earliest end among equals). Earliest end first. Empty
    when the need fits the week as it is today (nothing to explain); the work ending
    before it on other days, whose hours it does not need, is not named."""
    ending = sorted(
        (
            c
            for c in running(cand.commitments, today)
            if c.until is not None and c.until < need.start
        ),
        key=lambda c: c.until,
    )
    waited = [i for i, c in enumerate(ending) if c.days & need.days]
    free = free_hours(cand, today)
    for i in waited:
        free = free + ending[i].hours_per_week
    others = sorted(
        (i for i in range(len(ending)) if i not in waited),
        key=lambda i: (-ending[i].hours_per_week, i),
    )
    for i in others:
        if hours_fit(need.hours_per_week, free):
            break
        waited.append(i)
        free = free + ending[i].hours_per_week
    return [ending[i] for i in sorted(waited)]


def start_sentence(cand: CandidateData, need: NeedData, today: date | None = None) -> str | None:
    """The person's week at the need's start (``week_sentence``), the work taking some
    of the need's time today that ends before its start (``over_before``), and the work
    counted on the start that ends while the need runs (``over_after``), said so: the
    week as it stands today shows it taken, and the need fits all the same (matching
    reads free time at the need's start, spec v1.1). 'Son travail de 8 h le mardi (…) se
    termine le 28/02/2027, avant le début du besoin (01/03/2027).'; with more: 'Son
    travail de A se termine le …, celui de B le … et celui de C le …, avant le début du
    besoin (…).'; then 'Son travail de 20 h le lundi (…) se termine le 14/03/2027 : libre
    ensuite jusqu'à 24 h par semaine.', 'Ce travail se termine le …' when the week's
    sentence just named that work alone. None with none of them."""
    return _start_sentence(cand, need, need_until(need), today or local_today(), "du besoin")


def bundle_job(needs: Sequence[NeedData]) -> NeedData:
    """The job a bundle of needs makes in a person's week, as the pool reads it
    (``matching.pool``): their hours together, every day of each, from the earliest
    start (the first need's other values)."""
    return replace(
        needs[0],
        hours_per_week=sum(n.hours_per_week for n in needs),
        days=frozenset(d for n in needs for d in n.days),
        start=min(n.start for n in needs),
    )


def bundle_start_sentence(
    cand: CandidateData, needs: Sequence[NeedData], today: date | None = None
) -> str | None:
    """``start_sentence`` for a shared-time job (a bundle of ``needs``, ``bundle_job``):
    the week at its earliest start, and the work taking some of its time today that ends
    before it, '…, avant le début du poste (01/03/2027).'; the work ending while it runs
    is judged against its longest need (``work_until``)."""
    job = bundle_job(needs)
    until = work_until(job.contract, job.start, [n.duration_months for n in needs])
    return _start_sentence(cand, job, until, today or local_today(), "du poste")


def placement_start_sentence(
    cand: CandidateData,
    needs: Sequence[NeedData],
    hours: float,
    start: date,
    today: date | None = None,
    *,
    until: date | None = None,
) -> str | None:
    """``start_sentence`` for a placement in ``needs`` (one, or a bundle's: ``bundle_job``)
    at ``hours`` a week from ``start``, the placement's own first day, to ``until``, its
    last (None: open-ended; ``work_until``): the week then, and the work taking some of
    its time today that ends before it, '…, avant le début du placement (15/03/2027).'
    Without needs, the week on ``start`` alone."""
    if not needs:
        return week_sentence(cand, start)
    job = replace(bundle_job(needs), hours_per_week=hours, start=start)
    return _start_sentence(cand, job, until, today or local_today(), "du placement")


def over_after(cand: CandidateData, need: NeedData, until: date | None) -> list[CommitmentData]:
    """The work counted on the need's start that ends first while the need runs (before
    ``until``, its last day; None: open-ended): every commitment whose last day is the
    nearest such day, none when the need is over first or all the work is open-ended."""
    ending = [
        c
        for c in running(cand.commitments, need.start)
        if c.until is not None and (until is None or c.until < until)
    ]
    if not ending:
        return []
    first = min(c.until for c in ending)
    return [c for c in ending if c.until == first]


def _start_sentence(
    cand: CandidateData, need: NeedData, until: date | None, today: date, of: str
) -> str | None:
    parts = [week_sentence(cand, need.start)]
    over = over_before(cand, need, today)
    if over:
        first, *others = over
        ends = [f"Son travail de {_work_text(first)} se termine le {first.until:%d/%m/%Y}"]
        ends += [f"celui de {_work_text(c)} le {c.until:%d/%m/%Y}" for c in others]
        parts.append(f"{join_fr(ends)}, avant le début {of} ({need.start:%d/%m/%Y}).")
    later = over_after(cand, need, until)
    if later:
        first, *others = later
        if not over and not others and running(cand.commitments, need.start) == [first]:
            # The week's sentence right before named this work, and only it.
            named = "Ce travail"
        else:
            named = join_fr(
                [f"Son travail de {_work_text(first)}"]
                + [f"celui de {_work_text(c)}" for c in others]
            )
        verb = "se terminent" if others else "se termine"
        end = first.until
        text = f"{named} {verb} le {end:%d/%m/%Y}"
        freed = hours_left(cand, end + timedelta(days=1))
        if not hours_fit(freed, hours_left(cand, need.start)):
            text += f" : libre ensuite jusqu'à {hours_plain(freed)} par semaine"
        parts.append(f"{text}.")
    return " ".join(p for p in parts if p) or None
