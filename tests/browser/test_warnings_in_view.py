"""Warnings that ask for an answer are where a phone's reader looks: after an animateur
proposes a need to an organisation nobody there can answer for, the page opens on its
follow-up section and says so there; the public need form held back for a place outside
the Pays opens on its warning (the focus on it, as on an error summary), whose links
lead to the box to tick and to the commune.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from connectences.clock import local_today
from tests.browser.support import PHONE, check, open_as, path_of
from tests.browser.test_needs_journeys import SIRET, fill_need_form

pytestmark = pytest.mark.browser

# In the demo: qualified, and offered to an operator none of whose members has an account.
NEED = "demo-besoin-004"
IDLE_OPERATOR = "Cadres Partagés Atlantique"


def in_view(page, locator) -> bool:
    """Whether ``locator`` is, at least in part, inside the window as it is now."""
    box = locator.bounding_box()
    return (
        box is not None and box["y"] < page.viewport_size["height"] and box["y"] + box["height"] > 0
    )


def test_a_proposal_nobody_can_answer_is_said_where_the_page_opens(page, live_server):
    open_as(page, live_server, "animateur", PHONE, f"/animateur/besoins/{NEED}")
    operator = page.locator("#operateur")
    label = next(
        text for text in operator.locator("option").all_inner_texts() if IDLE_OPERATOR in text
    )
    assert "aucun compte actif" in label
    operator.select_option(label=label)
    with page.expect_navigation():
        page.get_by_role("button", name="Proposer à l'opérateur avec les candidats cochés").click()
    assert page.url.endswith("#suivi")
    warning = page.locator("#suivi .flash-warning")
    expect(warning).to_contain_text("Personne ne lira cet envoi sur la plateforme")
    expect(page.locator("#suivi .flash-success")).to_contain_text(
        f"Besoin proposé à {IDLE_OPERATOR}"
    )
    # Only once, and in the window the page opened on (it used to be at the top, far out
    # of view on a phone, the page opening on the follow-up section).
    assert page.get_by_text("Personne ne lira cet envoi sur la plateforme").count() == 1
    page.wait_for_timeout(200)
    assert in_view(page, warning), "l'avertissement est hors de la vue à l'ouverture"
    assert check(page, "proposition-sans-compte-actif-390", "proposition sans compte actif") == []


def fill_outside(page) -> None:
    """The café owner's need (``fill_need_form``), its SIRET right, worked in Bordeaux."""
    fill_need_form(page, local_today() + timedelta(days=30))
    page.locator("input[name=contract]").first.check()
    page.get_by_label("Numéro SIRET").fill(SIRET)
    page.locator("#commune").fill("Bordeaux")


def test_the_need_form_held_for_a_place_outside_opens_on_its_warning(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path_of(live_server, "need_public.form"))
    fill_outside(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mon besoin").click()
    warning = page.locator("#hors-territoire")
    expect(warning).to_contain_text("Bordeaux (33000) n'en fait pas partie")
    # Not sent, and not an error: the warning takes the focus as an error summary would.
    expect(page.locator(".flashes")).to_be_focused()
    assert check(page, "besoin-hors-du-pays-390", "besoin hors du Pays (390 px)") == []
    # Its link leads the keyboard to the box, some 4,000 px further down on a phone.
    warning.get_by_role("link", name="cochez la case en bas du formulaire").click()
    box = page.get_by_label("La commune est la bonne, hors du Pays : envoyez mon besoin quand même")
    expect(box).to_be_focused()
    assert in_view(page, box)
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    # The other link leads back to the commune, to correct it.
    page.locator("#hors-territoire").get_by_role("link", name="corrigez la commune").click()
    expect(page.locator("#commune")).to_be_focused()
