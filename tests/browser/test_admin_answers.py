"""What the administration answers on the page a form was sent from, in the browser: the
invitation sent (its link) and the API token created (its secret, shown once) take the
focus as a flashed message does, so that a screen reader reads them at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, open_as, path_of

pytestmark = pytest.mark.browser

# The focus on the message, or on the block of messages holding it (as nav.js does).
FOCUS_ON = """(id) => {
  const focused = document.activeElement;
  return focused !== document.body && focused.contains(document.getElementById(id));
}"""


def _send(page, button_name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button_name, exact=True).click()
    page.wait_for_load_state("load")


def test_the_invitation_sent_and_the_token_created_take_the_focus(page, live_server):
    open_as(page, live_server, "admin", PHONE)

    page.goto(live_server.url + path_of(live_server, "admin.index"))
    page.get_by_label("Adresse e-mail de la personne").fill("nouvelle.animatrice@exemple.fr")
    page.get_by_label("Rôle").select_option("animateur")
    _send(page, "Envoyer l'invitation")
    assert page.evaluate(FOCUS_ON, "invitation-envoyee")

    page.goto(live_server.url + path_of(live_server, "admin.api_tokens_index"))
    page.get_by_label("Adresse e-mail du compte").fill("partenaire@francetravail.example")
    page.get_by_label("Nom du jeton").fill("Outil de la Région")
    _send(page, "Créer le jeton")
    assert page.evaluate(FOCUS_ON, "secret-cree")


def test_an_invitation_says_a_wrong_address_and_a_wrong_organisation_at_once(page, live_server):
    """An address that is none and an operator's reference that is none: the form said the
    address only, and the reference on the next send, once the address was corrected."""
    open_as(page, live_server, "admin", PHONE, path_of(live_server, "admin.index"))
    page.get_by_label("Adresse e-mail de la personne").fill("nouvel.operateur@exemple")
    page.get_by_label("Rôle", exact=True).select_option("operator")
    page.get_by_label("Organisation", exact=True).fill("ge-inconnu")
    _send(page, "Envoyer l'invitation")
    summary = page.locator("#erreurs-invitation")
    expect(summary).to_contain_text("Adresse e-mail de la personne : Indiquez une adresse")
    expect(summary).to_contain_text(
        "Organisation : Aucun opérateur n'a la référence « ge-inconnu »"
    )
    expect(page.get_by_label("Organisation", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("ge-inconnu")
