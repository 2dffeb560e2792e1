"""The observatory's dashboard in a real browser: an officer on a phone and the staff on a
desktop see its charts (accessible SVG) and their tables, with no sideways scroll on the
phone and no serious or critical axe-core violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import DESKTOP, PHONE, check, describe, open_as

pytestmark = pytest.mark.browser

COBAS = "243300563"


def _shows_charts_and_tables(page) -> None:
    charts = page.locator("svg.chart[role=img]")
    assert charts.count() >= 5
    # Each chart is named by its title and described in words, its table beside it.
    first = charts.first
    assert first.locator("title").text_content()
    assert first.locator("desc").text_content()
    expect(page.get_by_role("table", name="Besoins par commune")).to_be_visible()
    expect(page.get_by_text("Comment ce chiffre est calculé").first).to_be_visible()


def test_the_officer_reads_the_dashboard_on_a_phone(page, live_server):
    open_as(page, live_server, "territoire", PHONE, "/territoire")
    _shows_charts_and_tables(page)
    page.get_by_text("Comment ce chiffre est calculé").first.click()
    blocking = check(page, "observatoire-agent-390", "observatoire, agent (390 px)")
    assert not blocking, describe(blocking)


def test_the_staff_read_the_dashboard_on_a_desktop(page, live_server):
    open_as(page, live_server, "animateur", DESKTOP, f"/territoire/intercommunalites/{COBAS}")
    _shows_charts_and_tables(page)
    blocking = check(page, "observatoire-animateur-1280", "observatoire, animateur (1280 px)")
    assert not blocking, describe(blocking)


def test_a_refused_day_opens_on_its_message_linked_to_the_list(page, live_server):
    # The day was refused beside the list, with nothing to take the focus: the page
    # opened on today's figures and a screen reader said nothing of the refusal.
    open_as(page, live_server, "territoire", PHONE, "/territoire?au=2026-03-15")
    summary = page.locator(".form-error")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Certains filtres n'ont pas été appliqués")
    expect(summary).to_contain_text("lit les chiffres passés à la fin d'un mois")
    summary.get_by_role("link", name="Chiffres au").click()
    expect(page.locator("select#au")).to_be_focused()
    blocking = check(page, "observatoire-jour-refuse-390", "observatoire, jour refusé (390 px)")
    assert not blocking, describe(blocking)


def _cut_labels(page) -> list[str]:
    """The row labels of the dashboard's tables that the chart shown beside them does not
    give whole (its lines joined), for every figure with bars (a trend's line names some
    of its months only, on purpose)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.obs-figure-body')].flatMap(body => {
            const chart = [...body.querySelectorAll('svg.chart')]
                .find(svg => svg.getBoundingClientRect().width > 0);
            if (!chart || chart.querySelector('polyline')) return [];
            const words = [...chart.querySelectorAll('text')].map(t => t.textContent).join(' ');
            return [...body.querySelectorAll('tbody th[scope=row]')]
                .map(th => th.textContent.trim())
                .filter(label => !words.includes(label));
        })"""
    )


def test_the_officer_reads_long_labels_whole_on_a_phone(page, live_server):
    # The bars' labels were cut at 18 letters (« Proposé à un opér… »), the same drawing
    # at every width: on a phone, each is now whole above its bar, wrapped.
    open_as(page, live_server, "territoire", PHONE, "/territoire")
    assert page.locator("svg.chart-narrow:visible").count() >= 3
    assert _cut_labels(page) == []
    assert not [t for t in page.locator("svg.chart:visible text").all_text_contents() if "…" in t]
    blocking = check(page, "observatoire-libelles-390", "observatoire, libellés (390 px)")
    assert not blocking, describe(blocking)
    # The desktop keeps its drawing: labels beside their bars (the table gives them whole).
    page.set_viewport_size(DESKTOP)
    assert page.locator("svg.chart-narrow:visible").count() == 0
    wide = page.locator("svg.chart-wide:visible")
    assert wide.count() >= 3
    assert wide.first.locator("text[text-anchor=end]").count() >= 3


def test_the_staff_read_every_table_whole_on_a_desktop(page, live_server):
    # The operators' table (six columns) sat in half the page's width: at 1280 px its
    # « Placements » and « Délai médian de réponse » columns were out of sight, to be
    # scrolled sideways. A table of five columns or more now takes the whole width.
    open_as(page, live_server, "animateur", DESKTOP, f"/territoire/intercommunalites/{COBAS}")
    expect(page.get_by_role("table", name="Propositions aux opérateurs")).to_be_visible()
    cut = page.evaluate(
        """() => [...document.querySelectorAll('.obs-figure .table-wrap')]
            .filter(wrap => wrap.scrollWidth > wrap.clientWidth + 1)
            .map(wrap => wrap.closest('.obs-figure').querySelector('h3').textContent)"""
    )
    assert cut == []


def _boxes_scrolling_sideways(page) -> list[str]:
    """The figures' tables whose box scrolls sideways (wider than the box shows)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.obs-figure .table-wrap')]
            .filter(box => box.scrollWidth > box.clientWidth + 1)
            .map(box => box.querySelector('table').id)"""
    )


def test_on_a_phone_each_table_row_is_a_card_with_its_figures_named(page, live_server):
    # Tables of four or five columns scrolled sideways inside their box at 390 px (the
    # operators', the trends'...): a reader scrolled each one to read a row's figures.
    open_as(page, live_server, "territoire", PHONE, "/territoire")
    assert page.locator(".obs-figure table").count() >= 5
    assert _boxes_scrolling_sideways(page) == []
    # Each figure says which column it is, from the table's head.
    table = page.locator("#tableau-operateurs")
    heads = table.locator("thead th").all_text_contents()
    cell = table.locator("tbody tr").first.locator("td").first
    named = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert named == f'"{heads[1]} : "'
    # On a desktop the same tables stay tables, a row a line.
    page.set_viewport_size(DESKTOP)
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    assert _boxes_scrolling_sideways(page) == []
