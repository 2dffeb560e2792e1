"""Needs as the lists show them: read as columns, not as entities.

A page of 25 needs with their companies cost 1.07 ms to load as ORM entities and 0.26 ms
as rows of ``LISTED_COLUMNS`` (joined to their company), read into ``ListedNeed``. The
lists that read them: the needs board's pages (``board.board_query`` with a window) and
the animateur's home (its first needs to qualify, the queue's latest needs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connectences.models import Company, Need
from connectences.models.needs import work_place


@dataclass(frozen=True, slots=True)
class ListedCompany:
    name: str
    commune: str


@dataclass(frozen=True, slots=True)
class ListedNeed:
    """A need as a list shows it (a page of the board, the animateur's home): what the
    row shows, read as columns."""

    id: int
    ref: str
    title: str
    commune: str | None
    rome: str | None
    hours_per_week: float
    status: str
    source: str
    owner_confirmed_at: datetime | None
    owner_unattached: bool
    created_at: datetime
    company: ListedCompany

    @property
    def place(self) -> str:
        return work_place(self.commune, self.company.commune)


LISTED_COLUMNS = (
    Need.id,
    Need.ref,
    Need.title,
    Need.commune,
    Need.rome,
    Need.hours_per_week,
    Need.status,
    Need.source,
    Need.owner_confirmed_at,
    Need.owner_unattached,
    Need.created_at,
    Company.name,
    Company.commune,
)


def listed_needs(rows: Sequence) -> list[ListedNeed]:
    """Rows of ``LISTED_COLUMNS`` (a windowed ``board.board_query``, the queue's latest
    needs) as the needs a page lists."""
    return [ListedNeed(*row[:11], ListedCompany(row[11], row[12])) for row in rows]
