"""Charts of the observatory's tables, drawn on the server as accessible SVG.

Bars for breakdowns, a line for the months of a trend, a funnel for outcomes. This module
computes the geometry (plain data); ``templates/observatory/_chart.html`` writes the SVG,
escaped by Jinja, with ``role="img"``, a ``<title>`` and a ``<desc>`` saying in words what
it shows; the table it draws always sits beside it (page, report). Colours and sizes are
SVG attributes, never ``style``: the content security policy forbids inline styles, and
the same markup goes into the PDF report. A cell hidden by the protection of small
numbers draws no bar and no point: its label says "secret".
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field, replace

from connectences.observatory.tables import Table
from connectences.typography import plural

BAR = "#1f5f8b"
SECOND = "#b0480f"
INK = "#1b1b1b"
GRID = "#8a8a8a"
# The drawing's own width: a desktop shows it at this size beside its table.
WIDTH = 420
# The phone's drawing of a bar chart whose labels do not fit beside their bars: each label
# whole above its bar, on as many lines as it takes. A 390 px phone shows it at about
# this size, so its 13-unit letters stay as large as the page's own.
NARROW_WIDTH = 340
# The letters of a line of a label above its bar (13 units, about 7 units a letter).
NARROW_LINE = 44
# The letters of a label beside its bar; a longer one is cut on the desktop's drawing
# (the table beside it gives it whole), and the phone's drawing gives it whole.
SIDE_LABEL = 18


@dataclass(frozen=True)
class Shape:
    """One SVG element: its tag and attributes, and the text inside (for ``text``)."""

    tag: str
    attrs: dict
    text: str = ""


@dataclass(frozen=True)
class Chart:
    ident: str
    title: str
    desc: str
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)
    # The drawing a phone shows instead, when this one cuts its labels (None: this one).
    narrow: Chart | None = None


def chart_of(table: Table) -> Chart | None:
    """The chart of ``table`` (by its ``chart`` kind), or None when it has none or
    nothing to draw."""
    if not table.chart or not table.rows:
        return None
    drawers = {"bars": _bars, "funnel": _funnel, "line": _line}
    return drawers[table.chart](table)


def _value(cell) -> float | None:
    return None if cell.hidden or cell.value is None else float(cell.value)


def _text(x, y, words, *, anchor="start", size=13, fill=INK) -> Shape:
    attrs = {"x": f"{x:.1f}", "y": f"{y:.1f}", "font-size": size, "fill": fill}
    if anchor != "start":
        attrs["text-anchor"] = anchor
    return Shape("text", attrs, words)


def _chart(table: Table, height: float, desc: str, shapes: list[Shape]) -> Chart:
    return Chart(f"graphique-{table.key}", table.title, desc, WIDTH, int(height), shapes)


def _describe(table: Table, column: int) -> str:
    parts = [f"{row.label} : {row.cells[column].text}" for row in table.rows]
    return f"{table.columns[column + 1]} — " + " ; ".join(parts) + "."


def _short(text: str, size: int = 30) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _bars(table: Table) -> Chart:
    values = [_value(row.cells[0]) for row in table.rows]
    top = max((v for v in values if v), default=0) or 1
    left, right, step = 150, 48, 28
    span = WIDTH - left - right
    shapes = []
    for i, (row, value) in enumerate(zip(table.rows, values, strict=True)):
        y = 10 + i * step
        width = span * (value or 0) / top
        shapes.append(_text(left - 8, y + 17, _short(row.label, SIDE_LABEL), anchor="end"))
        if value:
            attrs = {"x": left, "y": y + 4, "width": f"{width:.1f}", "height": 18, "fill": BAR}
            shapes.append(Shape("rect", attrs))
        shapes.append(_text(left + width + 6, y + 17, row.cells[0].text))
    chart = _chart(table, 20 + len(table.rows) * step, _describe(table, 0), shapes)
    if all(len(row.label) <= SIDE_LABEL for row in table.rows):
        return chart
    return replace(chart, narrow=_bars_labels_above(table, values, top))


def _bars_labels_above(table: Table, values: list[float | None], top: float) -> Chart:
    """The phone's bar chart: each label whole above its bar, wrapped on whole words."""
    right, line_height, bar_height = 48, 16, 18
    span = NARROW_WIDTH - right
    shapes, y = [], 4
    for row, value in zip(table.rows, values, strict=True):
        for line in textwrap.wrap(row.label, NARROW_LINE, break_on_hyphens=False) or [""]:
            y += line_height
            shapes.append(_text(0, y, line))
        y += 4
        width = span * (value or 0) / top
        if value:
            attrs = {"x": 0, "y": y, "width": f"{width:.1f}", "height": bar_height, "fill": BAR}
            shapes.append(Shape("rect", attrs))
        shapes.append(_text(width + 6, y + 14, row.cells[0].text))
        y += bar_height + 10
    ident = f"graphique-{table.key}-telephone"
    desc = _describe(table, 0)
    return Chart(ident, table.title, desc, NARROW_WIDTH, int(y), shapes)


def _funnel(table: Table) -> Chart:
    values = [_value(row.cells[0]) for row in table.rows]
    top = max((v for v in values if v), default=0) or 1
    step, middle = 56, WIDTH / 2
    shapes = []
    for i, (row, value) in enumerate(zip(table.rows, values, strict=True)):
        y = 6 + i * step
        width = max((WIDTH - 40) * (value or 0) / top, 2)
        attrs = {
            "x": f"{middle - width / 2:.1f}",
            "y": y,
            "width": f"{width:.1f}",
            "height": 22,
            "fill": BAR,
        }
        shapes.append(Shape("rect", attrs))
        shapes.append(
            _text(middle, y + 40, f"{row.label} : {row.cells[0].text}", anchor="middle", size=14)
        )
    return _chart(table, 6 + len(table.rows) * step, _describe(table, 0), shapes)


def _line(table: Table) -> Chart:
    rows = table.rows
    left, right, top_margin, height = 50, 20, 20, 250
    bottom = height - 50
    span = WIDTH - left - right
    series = [(0, BAR), (len(table.columns) - 2, SECOND)]
    values = [[_value(row.cells[c]) for row in rows] for c, _ in series]
    top = max((v for vs in values for v in vs if v), default=0) or 1
    x_of = [left + span * i / max(len(rows) - 1, 1) for i in range(len(rows))]

    def y_of(value):
        return bottom - (bottom - top_margin) * value / top

    line = {"x1": left, "y1": bottom, "x2": WIDTH - right, "y2": bottom, "stroke": GRID}
    shapes = [
        Shape("line", line),
        _text(left - 6, top_margin + 4, str(int(top)), anchor="end", size=12),
        _text(left - 6, bottom + 4, "0", anchor="end", size=12),
    ]
    for i in range(0, len(rows), max(len(rows) // 6, 1)):
        shapes.append(_text(x_of[i], bottom + 18, rows[i].label, anchor="middle", size=12))
    for n, ((column, colour), series_values) in enumerate(zip(series, values, strict=True)):
        # A hidden month breaks the line: no point is drawn where the value is secret.
        segments: list[list[tuple[float, float]]] = [[]]
        for x, value in zip(x_of, series_values, strict=True):
            if value is None:
                segments.append([])
            else:
                segments[-1].append((x, y_of(value)))
        for points in segments:
            if len(points) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
                attrs = {"points": path, "fill": "none", "stroke": colour, "stroke-width": 2.5}
                shapes.append(Shape("polyline", attrs))
            for x, y in points:
                attrs = {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": 3, "fill": colour}
                shapes.append(Shape("circle", attrs))
        legend_x = left + n * 190
        attrs = {"x": legend_x, "y": height - 16, "width": 14, "height": 4, "fill": colour}
        shapes.append(Shape("rect", attrs))
        shapes.append(_text(legend_x + 20, height - 10, table.columns[column + 1], size=12))
    shown = [v for v in values[0] if v is not None]
    desc = (
        f"{table.columns[1]} et {table.columns[-1].lower()} de {rows[0].label} à "
        f"{rows[-1].label} ; {plural(len(shown), 'mois publié', 'mois publiés')}, au plus {int(top)} par mois. "
        "Le détail est dans le tableau."
    )
    return _chart(table, height, desc, shapes)
