"""The observatory's figures, computed once and read many times.

Computing them reads every need of the territory with its transition log, leads, visits
and the CV library's counts (under a second to a second and a half at 10,000 needs, see
docs/observatory.md); the figures change a few times a day. Each
process keeps the last figures of each (intercommunality, period) with the moment they
were computed, and computes them again when either:

- the needs it counts changed: the key holds the version of the animateurs' queue read
  by one cheap indexed statement (``needs.register.queue_version``: its latest change,
  the latest tombstone), so a need added, qualified, placed or deleted shows at the next
  request (a company's need not confirmed yet is not counted, and changes nothing);
- they are older than ``OBSERVATORY_CACHE_SECONDS`` (5 minutes by default): what the
  version does not see (a company that moved to another commune, the start of a
  "last 3 months" period sliding with the clock, a visit, a lead's answer, a person of
  the CV library) is at most that old.

The page says when its figures were computed (« Chiffres au … »). The cache lives in
the application object (``app.extensions``), one per process and per app; nothing is
shared between workers, which each compute their own copy. It holds at most
``MAX_ENTRIES`` figures, the least recently read going first: each past day read is
an entry of its own (a few hundred kilobytes), and nothing else would bound them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from connectences import clock
from connectences.needs.register import queue_version
from connectences.observatory.figures import Observatory, end_of_day, observatory, parse_period

DEFAULT_SECONDS = 300
# Figures kept at most (three intercommunalities, four periods, today and a few dates).
MAX_ENTRIES = 48


@dataclass(frozen=True)
class Seen:
    """Figures of one intercommunality and period, and when they were computed.

    ``derived`` keeps what readers make of these figures (their presentation, their
    charts drawn), by the reader's own key: figures never change once computed, so what
    is derived from them lives exactly as long as they do.
    """

    figures: Observatory
    computed_at: datetime
    derived: dict = field(default_factory=dict, compare=False, repr=False)


class ObservatoryCache:
    """Figures by (intercommunality, period, version of the needs), each kept ``seconds``."""

    def __init__(self, seconds: float = DEFAULT_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Seen] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def figures(
        self, session: Session, siren: str, period: str, *, now: datetime, at: date | None = None
    ) -> Seen:
        """The figures of ``siren`` over ``period``, as of ``now`` or, given ``at``, as of
        the end of that past local day."""
        period = parse_period(period)
        key = (siren, period, at, queue_version(session))
        with self._lock:
            seen = self._entries.get(key)
            if seen is not None:
                self._entries.move_to_end(key)
        if (
            seen is not None
            and now - seen.computed_at < timedelta(seconds=self.seconds)
            # Figures of yesterday are not today's: the months of a period (and "today"
            # itself) change at midnight in Arcachon, not when the figures expire.
            and clock.local_date(seen.computed_at) == clock.local_date(now)
        ):
            return seen
        until = end_of_day(at) if at is not None else now
        seen = Seen(observatory(session, siren, period, now=until), now)
        with self._lock:
            # Entries of an older version can never be read again: keep only the newest.
            self._entries = OrderedDict(
                (k, v) for k, v in self._entries.items() if k[3] == key[3] and k != key
            )
            self._entries[key] = seen
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return seen
