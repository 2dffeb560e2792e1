"""An operator member and a partner member work their inboxes in a real browser, on a
phone: the operator opens a lead, accepts it, says the candidates were contacted and
records a placement; the partner takes a referral in hand and closes it. Every page is
screenshotted and passes axe-core with no serious or critical violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from connectences.clock import local_today
from tests.browser.support import PHONE, audit, describe, open_as, screenshot

pytestmark = pytest.mark.browser


def _open_first(page, server, inbox: str):
    page.goto(server.url + inbox)
    first = page.locator("main li a").first
    assert first.count() == 1, "la boîte de réception de démonstration est vide"
    with page.expect_navigation():
        first.click()


def _shows_well(page, name: str, label: str) -> None:
    """Screenshot ``name``; axe finds nothing blocking."""
    screenshot(page, name)
    blocking = audit(page, label)
    assert not blocking, describe(blocking)


def _press(page, button: str) -> str:
    """Press the button named ``button``; the status shown on the page that follows."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    return page.locator("main strong.status").first.inner_text()


def test_operator_accepts_a_lead_and_records_a_placement_on_a_phone(page, live_server):
    open_as(page, live_server, "operator", PHONE, "/operateur/propositions")
    _shows_well(page, "operateur-propositions-390", "boîte des propositions (390 px)")

    _open_first(page, live_server, "/operateur/propositions")
    status = page.locator("main strong.status").first
    expect(status).to_have_text("Vue", use_inner_text=True)  # opening the lead marked it seen
    _shows_well(page, "operateur-proposition-390", "une proposition (390 px)")

    assert _press(page, "Accepter la proposition") == "Acceptée"
    with page.expect_navigation():
        page.get_by_role("button", name="J'ai contacté les candidats").click()

    start = local_today() + timedelta(days=14)
    page.get_by_label("Date de début").fill(start.isoformat())
    assert _press(page, "Enregistrer le placement") == "Placement enregistré"
    content = page.content()
    assert "À 1 mois" in content and "À 6 mois" in content  # follow-up points planned
    _shows_well(page, "operateur-placement-390", "placement enregistré (390 px)")


def test_partner_takes_a_referral_in_hand_and_closes_it_on_a_phone(page, live_server):
    open_as(page, live_server, "partner", PHONE)
    _open_first(page, live_server, "/partenaire/reorientations")
    _shows_well(page, "partenaire-reorientation-390", "une réorientation (390 px)")

    assert _press(page, "Prendre en charge") == "Prise en charge"
    page.get_by_label("Issue de la prise en charge").fill(
        "Offre déposée, deux candidats présentés à l'entreprise."
    )
    assert _press(page, "Clore la réorientation") == "Close"
    assert "deux candidats présentés" in page.content()
    _shows_well(page, "partenaire-reorientation-close-390", "réorientation close (390 px)")
