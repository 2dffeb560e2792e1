"""The observatory's figures as plain data, and the protection of small numbers.

Every figure of the observatory is a :class:`Table`: a title, column names, rows of
:class:`Cell`, the French explanation of how it is computed and the chart that draws it.
The page, the exports (XLSX, CSV) and the monthly report all render these same objects,
so that a figure reads the same everywhere.

Each counted cell carries the set of companies or people it describes (``members``,
opaque keys such as ``"c12"`` or ``"p7"``): :func:`protect` hides every cell describing
1 to 4 of them, then enough neighbours that nobody can subtract their way back to a hidden
cell from a total (secondary suppression). The members never leave this module's callers:
renderers read ``value`` and ``hidden`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from connectences.typography import decimal_fr

# Fewer companies or people than this behind a cell: officers do not read it.
THRESHOLD = 5
# The one mark of every hidden figure, whatever its kind (a count, hours, a delay, a share)
# and whatever hid it: a cell about 1 to 4 companies or people, or a neighbour hidden so
# that subtraction does not give that cell back, which may be large. Like the statistical
# offices' mark (INSEE's "secret statistique"), it says nothing of the size: "< 5" on every
# hidden count made a page read "Besoins en cours : < 5" for 25 needs, and a mark of their
# own for the neighbours ("5 or more") would tell which cells are the small ones.
HIDDEN = "secret"
# Fewer than the threshold, in a sentence ("moins de 5 personnes").
FEWER_WORDS = f"moins de {THRESHOLD}"
# A hidden count in a sentence ("un nombre secret de besoins"): true of any hidden count.
HIDDEN_AMOUNT = f"un nombre {HIDDEN}"
# What an officer is told beside protected figures (page, exports, report).
PROTECTION_NOTE = (
    f"Petits nombres protégés (secret statistique) : « {HIDDEN} » remplace un chiffre "
    f"(nombre, heures, délai ou part) qui concerne {FEWER_WORDS} entreprises ou personnes, "
    "et aussi des chiffres voisins, quelle que soit leur taille, masqués pour qu'on ne "
    "puisse pas retrouver le premier par soustraction. La mention ne dit donc rien de la "
    "taille du chiffre masqué."
)

COUNT = "count"
HOURS = "hours"
DAYS = "days"
PERCENT = "percent"


# The unit an export's column header names when the cells, written as bare numbers for
# the spreadsheet to compute with, lose the unit the page prints beside each figure.
UNIT_WORDS = {HOURS: "heures", DAYS: "jours", PERCENT: "%"}


@dataclass(frozen=True)
class Cell:
    """One figure: its value, its kind (count, hours, days, percent) and whom it describes."""

    value: float | int | None
    kind: str = COUNT
    members: frozenset = frozenset()
    hidden: bool = False

    @property
    def text(self) -> str:
        """The figure as people read it (French number, or the protection's mark)."""
        if self.hidden:
            return HIDDEN
        if self.value is None:
            return "—"
        if self.kind == HOURS:
            return f"{decimal_fr(self.value, 1)}\u00a0h"
        if self.kind == DAYS:
            return f"{decimal_fr(self.value, 1)}\u00a0j"
        if self.kind == PERCENT:
            return f"{decimal_fr(self.value, 1)}\u00a0%"
        return decimal_fr(self.value, 0)

    @property
    def shown(self) -> float | int | str | None:
        """The value an export writes: the number, or the protection's mark."""
        if self.hidden:
            return HIDDEN
        return self.value


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    """One figure of the observatory, as every renderer reads it.

    ``additive`` lists the indexes of the cells that sum, down the rows, to the same cell
    of ``total`` (a total the reader sees, or can work out); ``parts`` maps the index of a
    cell that is the sum of other cells of its row to those cells; ``shares`` maps the
    index of a share (a percentage) to the cells it is computed from, (part, whole), the
    part describing some of the whole's members (TPEs visited among the TPEs). All tell
    :func:`protect` where subtraction could reveal a hidden cell.
    """

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    explanation: str
    chart: str | None = None  # "bars", "line", "funnel" or None
    total: Row | None = None
    additive: tuple[int, ...] = ()
    parts: dict[int, tuple[int, ...]] = field(default_factory=dict)
    shares: dict[int, tuple[int, int]] = field(default_factory=dict)
    empty: str = "Aucune donnée pour cette période."
    # Row labels typed by the people counted (a skill as a person wrote it): a row about
    # too few of them is left out of an officer's view, label and all, since the label
    # alone may name someone ("Accompagnement RQTH - Océane F."); then ``empty_private``
    # is what an officer reads when no row is left.
    private_labels: bool = False
    empty_private: str = ""
    # A figure about named people of the platform's own team (an animateur's visits):
    # the staff read it, an intercommunality's officers do not (``present``).
    staff_only: bool = False

    @property
    def has_hidden(self) -> bool:
        return any(c.hidden for r in self.all_rows for c in r.cells)

    @property
    def all_rows(self) -> tuple[Row, ...]:
        return self.rows + ((self.total,) if self.total is not None else ())

    def unit(self, column: int) -> str | None:
        """The unit (``UNIT_WORDS``) of every figure in value column ``column`` (0: the
        first after the labels), or None when they are counts or of several kinds (a
        "Chiffre / Valeur" table, whose labels say what each figure is)."""
        kinds = {row.cells[column].kind for row in self.all_rows if len(row.cells) > column}
        return UNIT_WORDS.get(kinds.pop()) if len(kinds) == 1 else None


def _small(cell: Cell) -> bool:
    return 0 < len(cell.members) < THRESHOLD


def _union(cells) -> int:
    members: set = set()
    for cell in cells:
        members |= cell.members
    return len(members)


def _complete(group: list[tuple[int, Cell]], hidden: set[int]) -> set[int]:
    """Indexes (in ``group``) to hide so that the hidden cells of a group summing to a
    known total are none, or at least two describing together no fewer than THRESHOLD
    companies or people: what subtraction recovers is then itself not a small number, and
    never one cell (a single hidden cell is the total minus the others, whatever its size).
    """
    hidden = set(hidden)
    while hidden:
        if len(hidden) > 1 and _union(cell for i, cell in group if i in hidden) >= THRESHOLD:
            break
        # The smallest visible cell; of equals, the last one shown (lists go largest first).
        visible = [
            (len(cell.members), -i, i) for i, cell in group if i not in hidden and cell.members
        ]
        if not visible:
            break
        hidden.add(min(visible)[2])
    return hidden


def _exposed(cells) -> bool:
    """Whether hidden cells summing to a known figure give something back: one alone (the
    figure minus the others), or several describing together fewer than THRESHOLD."""
    cells = list(cells)
    return bool(cells) and (len(cells) == 1 or _union(cells) < THRESHOLD)


def _left_out(cells, part: int, whole: int) -> Cell:
    """What the part of a share leaves of its whole (the TPEs not visited), as a cell."""
    left = None
    if cells[part].value is not None and cells[whole].value is not None:
        left = cells[whole].value - cells[part].value
    return Cell(left, COUNT, cells[whole].members - cells[part].members)


def protect(table: Table, forced: frozenset = frozenset()) -> Table:
    """The table as an intercommunality officer sees it.

    Primary: a cell describing 1 to 4 companies or people is hidden (in a table whose
    labels those people typed, its whole row is left out). Secondary: in every
    column that sums to a total, and every row whose cell sums other cells, the hidden
    cells are completed with the smallest visible ones until together they describe at
    least 5, and are never one alone (so a total minus the visible cells never gives a
    small number, nor a hidden cell); when even all the cells of a column describe fewer
    than 5, its total is hidden too. A share hides with its part, and what the parts leave
    of their wholes (TPEs not visited) is completed like a column, else the total's part
    hides (16 visited among 16 TPEs said every hidden sector was visited whole). Repeated
    until nothing changes, since hiding in a row may open a gap in a column.

    ``forced``: positions (row index, or "t" for the total; column) hidden whatever they
    describe, because the same figure hides in another table of the view
    (:func:`protect_view`); their neighbours are then completed like a small cell's.
    """
    if table.private_labels:
        kept = tuple(r for r in table.rows if not any(_small(c) for c in r.cells))
        if len(kept) < len(table.rows):
            table = replace(table, rows=kept, empty=table.empty_private or table.empty)
    grid = [list(row.cells) for row in table.rows]
    total = list(table.total.cells) if table.total is not None else None
    hidden = {(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row) if _small(cell)}
    hidden |= {("t", c) for c, cell in enumerate(total or []) if _small(cell)}
    hidden |= set(forced)
    changed = True
    while changed:
        changed = False
        for c in table.additive:
            column = [(r, grid[r][c]) for r in range(len(grid))]
            wanted = _complete(column, {r for r, _ in column if (r, c) in hidden})
            if total is not None and _exposed(grid[r][c] for r in wanted):
                # Every cell hidden and still too few: the total would give them away.
                wanted_total = ("t", c)
                if wanted_total not in hidden:
                    hidden.add(wanted_total)
                    changed = True
            for r in wanted:
                if (r, c) not in hidden:
                    hidden.add((r, c))
                    changed = True
        for whole, pieces in table.parts.items():
            rows = [(r, grid[r]) for r in range(len(grid))]
            if total is not None:
                rows.append(("t", total))
            for r, cells in rows:
                group = [(c, cells[c]) for c in pieces]
                wanted = _complete(group, {c for c in pieces if (r, c) in hidden})
                if _exposed(cells[c] for c in wanted):
                    wanted.add(whole)  # all the pieces hidden and still too few
                for c in wanted:
                    if (r, c) not in hidden:
                        hidden.add((r, c))
                        changed = True
        for share, (part, whole) in table.shares.items():
            rows = [(r, grid[r]) for r in range(len(grid))]
            if total is not None:
                rows.append(("t", total))
            # A share shown beside its whole gives its part back (40 % of 10 TPEs): they
            # hide together, in every row and in the total.
            for r, _cells in rows:
                if (r, share) in hidden or (r, part) in hidden:
                    for c in (share, part):
                        if (r, c) not in hidden:
                            hidden.add((r, c))
                            changed = True
            # What the parts leave of their wholes sums down the rows as well (TPEs not
            # visited): a total of 16 visited among 16 says every hidden sector was
            # visited whole, and 2 not visited among the hidden ones, bounds each of
            # them. Completed like a column; none left to hide: the total's part hides.
            if (
                total is None
                or part not in table.additive
                or whole not in table.additive
                or ("t", part) in hidden
                or ("t", whole) in hidden
            ):
                continue
            left = [(r, _left_out(grid[r], part, whole)) for r in range(len(grid))]
            gone = {r for r, _ in left if (r, part) in hidden or (r, whole) in hidden}
            wanted = _complete(left, gone)
            if _exposed(cell for r, cell in left if r in wanted):
                wanted.add("t")
            for r in wanted - gone:
                hidden.add((r, part))
                changed = True

    def mark(cells, r):
        return tuple(
            replace(cell, hidden=True) if (r, c) in hidden else cell for c, cell in enumerate(cells)
        )

    rows = tuple(Row(row.label, mark(row.cells, r)) for r, row in enumerate(table.rows))
    shown_total = (
        Row(table.total.label, mark(table.total.cells, "t")) if table.total is not None else None
    )
    return replace(table, rows=rows, total=shown_total)


@dataclass(frozen=True)
class Link:
    """Figures of one view that add up across tables: the cell ``whole`` is the sum of the
    cells ``parts``. Each is written (table key, row label, value column); the total row
    is named by its label ("Total"). The trends' months of a period add up to the needs
    received that the headline gives; the needs still open, to the open steps' rows.
    Any cells bound by one relation where all but one give the last back are written the
    same way, whichever side each is on (the domains whose jobs « Autres » groups, plus
    the domains' own, equal their jobs' rows plus « Autres »): their protection
    (:func:`_settle_sum`) does not depend on which cell is the whole."""

    whole: tuple[str, str, int]
    parts: tuple[tuple[str, str, int], ...]


def _position(tables: dict[str, Table], ref: tuple[str, str, int]):
    """(key, row index or "t", column) of a cell named (key, label, column), or None."""
    key, label, column = ref
    table = tables.get(key)
    if table is None:
        return None
    for r, row in enumerate(table.rows):
        if row.label == label:
            return (key, r, column) if column < len(row.cells) else None
    if table.total is not None and table.total.label == label:
        return (key, "t", column) if column < len(table.total.cells) else None
    return None


def _cell(tables: dict[str, Table], position) -> Cell:
    key, r, c = position
    table = tables[key]
    return (table.total if r == "t" else table.rows[r]).cells[c]


def _same_figures(tables: dict[str, Table]) -> list[list[tuple]]:
    """Positions of the cells that show one figure (same kind, value and members) in
    more than one place: a figure hidden in one table and shown in another is shown."""
    places: dict[tuple, list[tuple]] = {}
    for key, table in tables.items():
        for r, row in enumerate(table.all_rows):
            at = "t" if table.total is not None and r == len(table.rows) else r
            for c, cell in enumerate(row.cells):
                if cell.members and cell.value is not None:
                    places.setdefault((cell.kind, cell.value, cell.members), []).append(
                        (key, at, c)
                    )
    return [group for group in places.values() if len(group) > 1]


def _settle_sum(tables, shown, whole, parts) -> set:
    """Positions to hide so that ``whole = sum(parts)`` gives no cell back: the hidden
    cells of the relation are none, or at least two describing together at least
    THRESHOLD companies or people (a single hidden cell is the whole minus the others)."""
    cells = [*parts, whole]
    hidden = {p for p in cells if _cell(shown, p).hidden}
    added: set = set()
    while hidden and (len(hidden) == 1 or _union(_cell(tables, p) for p in hidden) < THRESHOLD):
        visible = [
            (len(_cell(tables, p).members), -i, p)
            for i, p in enumerate(parts)
            if p not in hidden and _cell(tables, p).members
        ]
        if visible:
            chosen = min(visible)[2]
        elif whole not in hidden:
            chosen = whole
        else:
            break
        hidden.add(chosen)
        added.add(chosen)
    return added


def protect_view(tables, links=()) -> list[Table]:
    """The tables of one view as an officer reads them together: each protected
    (:func:`protect`), then across tables, until nothing changes: a figure shown in
    several tables hides in all of them when it hides in one, and for each :class:`Link`
    the hidden cells of the sum are completed like a column's (at least two, describing
    together at least THRESHOLD), or the sum hides. Tables protected one by one each
    kept their own totals, but a total minus a part read in another table gave a hidden
    cell back (the needs still open beside the steps, a period's needs beside its months)."""
    tables = list(tables)
    # Rows of a table whose labels people typed may be left out: no position is stable.
    linked = {t.key: t for t in tables if not t.private_labels}
    sums = []
    for link in links:
        whole = _position(linked, link.whole)
        parts = [_position(linked, part) for part in link.parts]
        if whole is not None and parts and None not in parts:
            sums.append((whole, parts))
    same = _same_figures(linked)
    forced: dict[str, set] = {key: set() for key in linked}
    while True:
        shown = {t.key: protect(t, frozenset(forced.get(t.key, ()))) for t in tables}
        more: set = set()
        for group in same:
            # Hidden in another table: the same figure. Two cells of one table that happen
            # to be equal are two figures (16 TPEs, 16 visited), its own protection
            # settles what one says of the other.
            tables_hiding = {p[0] for p in group if _cell(shown, p).hidden}
            more |= {p for p in group if not _cell(shown, p).hidden and tables_hiding - {p[0]}}
        for whole, parts in sums:
            more |= _settle_sum(linked, shown, whole, parts)
        more = {(key, r, c) for key, r, c in more if (r, c) not in forced[key]}
        if not more:
            return [shown[t.key] for t in tables]
        for key, r, c in more:
            forced[key].add((r, c))


def protect_all(tables, *, exact: bool):
    """The tables as a reader sees them: exact for the staff, protected for officers."""
    return list(tables) if exact else [protect(t) for t in tables]
