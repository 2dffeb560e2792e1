"""An animateur logs a visit on a phone (390 px) in a real browser: the live company
search finds the company as they type, the contact-pressure panel shows before the
form, the visit is saved and appears in the company's timeline; a company that asked
not to be solicited cannot be contacted. Every page is screenshotted and passes
axe-core with no serious or critical violation, without sideways scrolling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from connectences.clock import local_today
from connectences.demo import build_demo_document
from tests.browser.support import (
    PHONE,
    check,
    dates_without_format,
    describe,
    open_as,
)

pytestmark = pytest.mark.browser

COMPANIES = {c["name"]: c for c in build_demo_document()["companies"]}


def test_log_a_visit_on_a_phone(page, live_server):
    open_as(page, live_server, "animateur", PHONE, "/animateur/visites/nouvelle")
    blocking = check(page, "visite-recherche-390", "nouvelle visite, recherche (390 px)")

    # The live search (static JS) lists the company while typing, no button pressed.
    page.get_by_label("Nom ou SIRET").fill("bistrot port")
    result = page.locator("#resultats-entreprises a", has_text="Le Bistrot du Port")
    result.wait_for()
    assert "1 entreprise trouvée." in page.locator("#resultats-statut").inner_text()
    blocking += check(page, "visite-resultats-390", "nouvelle visite, résultats (390 px)")
    with page.expect_navigation():
        result.click()

    # The pressure panel comes before the form.
    panel = page.locator("#pression")
    expect(panel.get_by_text("Dernier contact")).to_be_visible()
    blocking += check(page, "visite-formulaire-390", "nouvelle visite, formulaire (390 px)")
    assert not dates_without_format(page), "une date du formulaire ne dit pas jj/mm/aaaa"

    page.get_by_label("Téléphone", exact=True).check()
    page.get_by_label("Aides et plans de relance").check()
    page.get_by_label("Issue").select_option("a_relancer")
    page.get_by_label("Notes").fill("Le gérant rappellera après la saison.")
    follow_up = local_today() + timedelta(days=21)
    page.get_by_label("Prochaine relance").fill(follow_up.isoformat())
    confirm = page.get_by_label("Je confirme : enregistrer ce contact malgré le contact récent")
    if confirm.count():  # the demo company was contacted within 30 days
        confirm.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la visite").click()

    assert "/animateur/entreprises/" in page.url
    expect(page.get_by_text("Visite à « Le Bistrot du Port » enregistrée.")).to_be_visible()
    # In the page before it loaded, the message would not be announced as a live region:
    # it takes the focus (nav.js), in the history the page opens on, in view.
    flashes = page.locator("#historique .flashes")
    expect(flashes).to_be_focused()
    expect(flashes).to_be_in_viewport()
    assert "Fait : Visite à « Le Bistrot du Port » enregistrée." in " ".join(
        page.evaluate("() => document.activeElement.innerText").split()
    )
    history = page.locator("#historique")
    assert history.get_by_text("Le gérant rappellera après la saison.").count() == 1
    # The panel now counts the visit just logged today (another contact may share the day).
    assert "(aujourd'hui)" in page.locator("#pression").inner_text()
    expect(
        history.locator("li", has_text="Le gérant rappellera").get_by_text("Par Marc Dulucq")
    ).to_be_visible()
    blocking += check(page, "visite-enregistree-390", "fiche entreprise après la visite (390 px)")

    page.goto(live_server.url + "/animateur/relances")
    assert page.get_by_role("heading", name="Le Bistrot du Port").count() >= 1
    blocking += check(page, "relances-390", "mes relances (390 px)")
    assert not blocking, describe(blocking)


def test_a_company_that_refuses_contact_cannot_be_visited(page, live_server):
    open_as(page, live_server, "animateur", PHONE)
    ref = COMPANIES["Garage du Pyla"]["ref"]
    page.goto(live_server.url + f"/animateur/visites/nouvelle?entreprise={ref}")
    expect(page.get_by_text("Contact impossible.")).to_be_visible()
    assert page.get_by_role("button", name="Enregistrer la visite").count() == 0
    blocking = check(page, "visite-refusee-390", "visite refusée (390 px)")
    assert not blocking, describe(blocking)
