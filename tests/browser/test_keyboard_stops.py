"""Where the keyboard's focus stops, at 390 and 1280 px: a table's box is a Tab stop only
when it scrolls sideways."""

from __future__ import annotations

import pytest

from tests.browser.support import DESKTOP, PHONE, check, describe, open_as

pytestmark = pytest.mark.browser

# Each table box of the page: [its name, does it scroll sideways, is it a Tab stop].
TABLE_BOXES = """() => [...document.querySelectorAll('.table-wrap')].map(box => [
  box.getAttribute('aria-label') || box.getAttribute('aria-labelledby'),
  box.scrollWidth > box.clientWidth,
  box.hasAttribute('tabindex') && box.tabIndex >= 0,
])"""


def _stops_that_do_nothing_and_scrolls_out_of_reach(page, label: str) -> list[str]:
    problems = []
    for name, scrolls, stop in page.evaluate(TABLE_BOXES):
        if stop and not scrolls:
            problems.append(f"{label} : « {name} » est un arrêt de tabulation sans défilement")
        if scrolls and not stop:
            problems.append(f"{label} : « {name} » défile mais le clavier ne l'atteint pas")
    return problems


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_table_box_is_a_tab_stop_only_when_it_scrolls(page, live_server, size):
    # Tables shown as cards on a phone (table.stack), or whole on a desktop, scroll
    # nothing: their box was a Tab stop all the same, on every page holding a table.
    problems = []
    pages = {
        "admin": ["/admin", "/admin/organisations", "/admin/journal"],
        "animateur": [
            "/animateur/entreprises",
            "/animateur/visites",
            "/observatoire/diagnostic",
            "/animateur/cvtheque/doublons",
        ],
    }
    for role, paths in pages.items():
        open_as(page, live_server, role, size)
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            assert page.evaluate(TABLE_BOXES), f"{path} : aucun tableau"
            problems += _stops_that_do_nothing_and_scrolls_out_of_reach(
                page, f"{path} ({size['width']} px)"
            )
        page.context.clear_cookies()
    assert not problems, "\n".join(problems)


def test_a_table_box_becomes_a_tab_stop_when_the_window_narrows(page, live_server):
    # The list of possible duplicates (not shown as cards) is whole at 1280 px and
    # scrolls sideways at 390 px: its box becomes a Tab stop when the window narrows, and
    # stops being one when it widens again.
    open_as(page, live_server, "animateur", DESKTOP, "/animateur/cvtheque/doublons")
    box = page.get_by_role("region", name="Doublons possibles (défilement horizontal possible)")
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")
    assert box.get_attribute("tabindex") is None
    page.set_viewport_size(PHONE)
    page.wait_for_function("b => b.scrollWidth > b.clientWidth", arg=box.element_handle())
    page.wait_for_function("b => b.getAttribute('tabindex') === '0'", arg=box.element_handle())
    page.keyboard.press("Tab")
    while not box.evaluate("b => b === document.activeElement"):
        assert page.evaluate("document.activeElement !== document.body"), "boîte jamais atteinte"
        page.keyboard.press("Tab")
    blocking = check(page, "clavier-doublons-390", "doublons possibles (390 px)")
    # Widened again, the box keeps the focus it has; the focus gone, it is no Tab stop.
    page.set_viewport_size(DESKTOP)
    page.wait_for_function("b => b.scrollWidth <= b.clientWidth", arg=box.element_handle())
    assert box.evaluate("b => b === document.activeElement")
    page.keyboard.press("Tab")
    page.wait_for_function("b => !b.hasAttribute('tabindex')", arg=box.element_handle())
    assert not blocking, describe(blocking)
