"""A person who leaves a public form half typed (to read the privacy page, to look up
their SIRET) and comes back with the browser's back button finds what they typed.
Chromium does not restore a field marked ``autocomplete="off"`` when it shows a page
again from history; the public forms had such fields (the SIRET, the communes with their
list of the territory's communes, the hours)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE

pytestmark = pytest.mark.browser

NEED_FORM = {
    "Votre besoin en quelques mots": "Un renfort pour la saison",
    "Combien d'heures ?": "14",
    "Pour combien de mois ?": "4",
    "Où se fera le travail ?": "Arcachon (33120)",
    "Nom de l'entreprise": "Atelier Marée Haute",
    "Numéro SIRET": "82345678500018",
    "Commune de l'entreprise": "Gujan-Mestras (33470)",
    "Votre nom": "Sandrine Lafitte",
}
CV_FORM = {
    "Prénom": "Léa-Maëlle",
    "Métiers recherchés (facultatif)": "M1607",
    "Heures par semaine : au moins": "10",
    "Heures par semaine : au plus": "20",
    "Commune où vous habitez": "Biganos",
}
CALLBACK_FORM = {
    "Votre nom": "Paul Dupuy",
    "Votre entreprise (facultatif)": "Cabane 12",
    "Sa commune (facultatif)": "Andernos-les-Bains (33510)",
}


@pytest.mark.parametrize(
    ("path", "typed", "privacy"),
    [
        ("/exprimer-un-besoin", NEED_FORM, "données personnelles"),
        ("/etre-rappele", CALLBACK_FORM, "données personnelles"),
        # The job seeker's hours and trades were lost too.
        ("/deposer-mon-cv", CV_FORM, "En savoir plus sur vos données"),
    ],
)
def test_a_public_form_keeps_what_was_typed_after_going_back(
    page, live_server, path, typed, privacy
):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path)
    for label, value in typed.items():
        page.get_by_label(label, exact=True).fill(value)
    # Off to the privacy page the form links to, then back.
    with page.expect_navigation():
        page.locator("form").get_by_role("link", name=privacy).click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Exprimer un besoin")
    page.go_back()
    for label, value in typed.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    assert page.locator("form [autocomplete=off]").count() == 0
