"""Where the keyboard's focus stops, at 390 and 1280 px: a table's box is a Tab stop only
when it scrolls sideways, and an error summary the page opens on (a form sent to
"#erreurs") shows its focus ring whole."""

from __future__ import annotations

import pytest

from tests.browser.support import DESKTOP, PHONE, check, describe, log_in, open_as, path_of

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


# The summary's focus ring (outline and its offset, or the shadow around it): how far
# above the summary's box it is drawn, in px.
RING_TOP = """(element) => {
  const style = getComputedStyle(element);
  const outline = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth);
  const shadow = Math.max(0, ...(style.boxShadow.match(/-?[\\d.]+px/g) || [])
      .map(parseFloat));
  return element.getBoundingClientRect().top - Math.max(outline, shadow);
}"""


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_an_error_summary_opened_at_its_anchor_shows_its_focus_ring_whole(page, live_server, size):
    # The journal's search sent to "#erreurs" with a period ending before it starts: the
    # page opened with the summary's top edge at the very top of the screen, its focus
    # ring cut off above it.
    open_as(page, live_server, "admin", size, path_of(live_server, "admin.audit_log"))
    page.locator("#du").fill("2026-12-01")
    page.locator("#au").fill("2026-11-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Chercher").click()
    page.wait_for_load_state("load")
    summary = page.locator("#erreurs")
    page.wait_for_function("() => document.activeElement.id === 'erreurs'")
    assert page.evaluate("scrollY") > 0  # the page did open at the summary
    assert summary.evaluate(RING_TOP) >= 0

    # The invitation form of the administration's home, sent to "#erreurs-invitation".
    page.goto(live_server.url + path_of(live_server, "admin.index"))
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.activeElement.id === 'erreurs-invitation'")
    assert page.evaluate("scrollY") > 0
    assert page.locator("#erreurs-invitation").evaluate(RING_TOP) >= 0


def test_the_focus_ring_of_a_summary_is_measured_where_it_is_drawn(page, live_server):
    # The measure above sees a cut ring: a summary scrolled to the screen's very top.
    log_in(page, live_server, "admin")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path_of(live_server, "admin.audit_log") + "?du=x")
    summary = page.locator("#erreurs")
    summary.evaluate("e => window.scrollTo(0, scrollY + e.getBoundingClientRect().top)")
    assert summary.evaluate(RING_TOP) < 0
