"""The operator's lead page on a phone: the placement's confirmation box (hours over the
person's free week) is not crowded against the submit button, a finger aimed at one
must not hit the other; and the numbers to call are never cut across two lines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectences.clock import local_today
from tests.browser.support import DESKTOP, PHONE, check, describe, lead_to_accept, open_as

pytestmark = pytest.mark.browser

# WCAG 2.5.8 asks 24 px between small targets; a field's own margin (1.1rem) is ~18 px,
# measured here from the label's last line, the box being smaller than it.
MIN_GAP = 16


def _press(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).first.click()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_confirmation_box_stands_apart_from_the_submit_button(page, live_server, size):
    open_as(page, live_server, "operator", size)
    lead_to_accept(page, live_server)
    _press(page, "Accepter la proposition")
    # 48 h: over what any demo person still has free, so the confirmation is asked.
    page.get_by_label("Heures par semaine").fill("48")
    page.get_by_label("Date de début").fill((local_today() + timedelta(days=20)).isoformat())
    _press(page, "Enregistrer le placement")
    box = page.locator(".checkbox", has=page.locator("#confirmer"))
    assert box.count() == 1, "la case de confirmation n'est pas demandée"
    button = page.locator("#placement").get_by_role("button", name="Enregistrer le placement")
    row, target = box.bounding_box(), button.bounding_box()
    gap = target["y"] - (row["y"] + row["height"])
    assert gap >= MIN_GAP, f"{gap:.1f} px entre la case et le bouton ({size['width']} px)"
    blocking = check(page, f"placement-confirmation-{size['width']}", "confirmation du placement")
    assert not blocking, describe(blocking)


def test_a_phone_number_is_never_cut_across_two_lines(page, live_server):
    """On a phone the company's and the people's numbers came cut « 06 39 98 / 33 48 »
    at the end of a line: read, or typed into another phone, as two numbers."""
    open_as(page, live_server, "operator", PHONE)
    lead_to_accept(page, live_server)
    _press(page, "Accepter la proposition")
    links = page.locator("main a[href^='tel:']")
    assert links.count() > 0, "aucun numéro sur la proposition acceptée"
    cut = page.evaluate(
        """() => [...document.querySelectorAll("main a[href^='tel:']")]
            .filter(a => a.getClientRects().length > 1).map(a => a.textContent)"""
    )
    assert cut == [], f"numéros coupés à 390 px : {cut}"
    # The same style sheet in a column narrower than a phone's: where any link in a
    # sentence would wrap.
    page.set_content(
        f'<link rel="stylesheet" href="{live_server.url}/static/css/app.css">'
        '<p style="width: 9rem">Stéphane Lafon (Directeur) · '
        '<a href="tel:0639983348">06 39 98 33 48</a></p>'
    )
    page.wait_for_load_state("load")
    lines = page.evaluate("() => document.querySelector('a').getClientRects().length")
    assert lines == 1, f"le numéro tient sur {lines} lignes"
