"""The observatory's bar charts: a label too long to stand beside its bar is cut on the
desktop's drawing and whole, wrapped above its bar, on the phone's."""

from __future__ import annotations

from connectences.observatory.charts import NARROW_WIDTH, SIDE_LABEL, chart_of
from connectences.observatory.tables import Cell, Row, Table

LONG = "Services à la personne et à la collectivité, aide à domicile"


def _table(*labels: str) -> Table:
    rows = tuple(Row(label, (Cell(n + 3),)) for n, label in enumerate(labels))
    return Table("metiers", "Besoins par métier", ("Métier", "Besoins"), rows, "x", chart="bars")


def _texts(chart) -> list[str]:
    return [shape.text for shape in chart.shapes if shape.tag == "text"]


def test_short_labels_keep_one_drawing():
    chart = chart_of(_table("Comptabilité", "Aquaculture"))
    assert chart.narrow is None
    assert _texts(chart) == ["Comptabilité", "3", "Aquaculture", "4"]


def test_a_long_label_is_whole_above_its_bar_on_the_phones_drawing():
    chart = chart_of(_table("Comptabilité", LONG))
    assert len(LONG) > SIDE_LABEL
    assert _texts(chart)[2] == LONG[: SIDE_LABEL - 1] + "…"  # the desktop's, as before
    narrow = chart.narrow
    assert (narrow.width, narrow.ident) == (NARROW_WIDTH, "graphique-metiers-telephone")
    assert narrow.desc == chart.desc and narrow.title == chart.title
    texts = _texts(narrow)
    assert texts == ["Comptabilité", "3", *texts[2:-1], "4"]
    assert " ".join(texts[2:-1]) == LONG and len(texts[2:-1]) == 2  # wrapped on a word
    # Each label sits above its bar, and the drawing is as tall as its lines.
    label_y = float(narrow.shapes[0].attrs["y"])
    bar = next(shape for shape in narrow.shapes if shape.tag == "rect")
    assert label_y < bar.attrs["y"]
    assert narrow.height >= float(narrow.shapes[-1].attrs["y"])
