"""An animateur searches the CV library on a phone and opens a person's page: the
pages fit 390 px without sideways scrolling and pass axe-core (no serious or
critical violation)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import DESKTOP, PHONE, audit, describe, open_as, screenshot

pytestmark = pytest.mark.browser


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_animateur_searches_the_library_on_a_phone(page, live_server):
    open_as(page, live_server, "animateur", PHONE, "/animateur/cvtheque")
    assert page.get_by_role("heading", name="CVthèque", level=1).count() == 1
    assert _fits(page), "la page de recherche déborde à 390 px"
    screenshot(page, "cvtheque-recherche-390")
    blocking = audit(page, "CVthèque, recherche (390 px)")
    assert not blocking, describe(blocking)

    page.get_by_label("Compétence ou métier").fill("compta")
    with page.expect_navigation():
        page.get_by_role("button", name="Rechercher").click()
    assert "q=compta" in page.url
    results = page.locator("main table.stack tbody th a")
    assert results.count() >= 1, "aucun résultat pour « compta » dans la démonstration"
    assert _fits(page), "les résultats débordent à 390 px"
    screenshot(page, "cvtheque-resultats-390")
    blocking = audit(page, "CVthèque, résultats (390 px)")
    assert not blocking, describe(blocking)

    with page.expect_navigation():
        results.first.click()
    assert page.get_by_role("heading", name="Historique").count() == 1
    assert _fits(page), "la fiche déborde à 390 px"
    screenshot(page, "cvtheque-fiche-390")
    blocking = audit(page, "CVthèque, fiche (390 px)")
    assert not blocking, describe(blocking)


def test_the_record_s_week_buttons_carry_no_list_bullet_at_a_desk(page, live_server):
    """« Ajouter un engagement » and « Compléter la semaine », a list of buttons in a row
    under the week: each item's disc was drawn between the buttons, over the edge of the
    first (a list of actions is a row of buttons, as everywhere else, not a bulleted
    list)."""
    open_as(page, live_server, "animateur", DESKTOP, "/animateur/cvtheque/demo-cv-017")
    buttons = page.locator("main ul.actions li")
    assert buttons.count() >= 2, "les boutons sous la semaine"
    markers = buttons.evaluate_all(
        "items => items.map(li => getComputedStyle(li).display === 'list-item'"
        " && getComputedStyle(li).listStyleType !== 'none')"
    )
    assert not any(markers), "une puce est dessinée devant un bouton de la semaine"
    screenshot(page, "cvtheque-fiche-1280")


def test_after_an_erasure_the_keyboard_lands_on_its_message(page, live_server):
    """The team erases a person at her request, from the keyboard: the list opens with
    the focus on the word of success (what a screen reader reads first), not on the
    page's content, where Chromium put it when it scrolled to "#contenu" after the load."""
    open_as(page, live_server, "animateur", DESKTOP, "/animateur/cvtheque/demo-cv-017")
    page.locator("#droits-motif").focus()
    page.keyboard.type("appel du 3 mars")
    page.locator("#droits-confirmer").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Effacer la personne"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # the load's own focus moves, then the script's
    assert page.url.endswith("#contenu")
    focused = page.evaluate(
        "() => document.activeElement.closest('.flashes') ? "
        "document.activeElement.innerText : document.activeElement.tagName"
    )
    assert "La personne a été effacée de la CVthèque" in focused, focused
    screenshot(page, "cvtheque-effacement-1280")


def test_a_radius_or_hours_left_out_of_the_search_stay_in_their_fields(page, live_server):
    """A radius, or hours, the search refused came back as empty fields beside their
    message (« Rayon : saisissez un nombre. », « le minimum dépasse le maximum »): the
    animateur, on a phone, no longer saw what to correct. They stay as typed; so does a
    radius sent without its commune."""
    open_as(page, live_server, "animateur", PHONE, "/animateur/cvtheque")
    page.get_by_label("Autour de").select_option(label="Biganos (33380)")
    page.get_by_label("Rayon (km)").fill("vingt")
    page.locator("details.more-filters summary").click()
    page.get_by_label("Heures libres par semaine : de").fill("30")
    page.get_by_label("à", exact=True).fill("10")
    with page.expect_navigation():
        page.get_by_role("button", name="Rechercher").click()
    summary = page.locator("#erreurs")
    expect(summary).to_contain_text("Rayon : saisissez un nombre.")
    expect(summary).to_contain_text("le minimum dépasse le maximum")
    expect(page.get_by_label("Rayon (km)")).to_have_value("vingt")
    expect(page.get_by_label("Heures libres par semaine : de")).to_have_value("30")
    expect(page.get_by_label("à", exact=True)).to_have_value("10")
    screenshot(page, "cvtheque-valeurs-refusees-390")

    page.get_by_label("Autour de").select_option("")
    page.get_by_label("Rayon (km)").fill("15")
    with page.expect_navigation():
        page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#erreurs")).to_contain_text("choisissez aussi la commune")
    expect(page.get_by_label("Rayon (km)")).to_have_value("15")
