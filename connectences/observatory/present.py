"""The observatory as one reader sees it: the figures protected or not, with their charts.

The page, the exports and the report call :func:`present` on the same computed figures,
so an officer reads "secret" in the same cells everywhere and the staff read exact figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectences.observatory.charts import Chart, chart_of
from connectences.observatory.figures import Observatory
from connectences.observatory.tables import Table, protect_view


@dataclass(frozen=True)
class ShownSection:
    key: str
    title: str
    figures: list[tuple[Table, Chart | None]]


@dataclass(frozen=True)
class Shown:
    """The figures of one intercommunality as one reader sees them."""

    seen: Observatory
    exact: bool
    sections: list[ShownSection]

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table, _ in section.figures]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def headline(self) -> list[tuple[str, str]]:
        """(label, figure as read) of the « En bref » figures."""
        return [(row.label, row.cells[0].text) for row in self.table("bref").rows]


def present(seen: Observatory, *, exact: bool) -> Shown:
    """The figures of ``seen`` for a reader: exact for the staff, small numbers
    protected for an intercommunality's officers (``tables.protect_view``), without the
    tables about named members of the team (``Table.staff_only``)."""
    protected = {}
    if not exact:
        # Protected together: a figure one table hides must not be read in another, nor
        # worked out from a sum that another table shows (``tables.protect_view``).
        # The unshown tables (``Observatory.unshown``) weigh in, and are shown nowhere.
        read = [table for table in seen.tables if not table.staff_only]
        protected = {table.key: table for table in protect_view([*read, *seen.unshown], seen.links)}
    sections = []
    for section in seen.sections:
        if exact:
            tables = list(section.tables)
        else:
            tables = [protected[table.key] for table in section.tables if not table.staff_only]
        if not tables:
            continue
        sections.append(
            ShownSection(section.key, section.title, [(t, chart_of(t)) for t in tables])
        )
    return Shown(seen, exact, sections)
