"""The needs register as its users live it, in a real browser.

A TPE owner on a 390 px phone expresses a need ("Exprimer un besoin"), makes a
mistake in the SIRET first (the French error shows next to the field, nothing typed
is lost), confirms the address through the link of the queued mail and finds the
need "Reçu" in the owner's space. An animateur on a phone finds that need on the
board, qualifies it with a suggested ROME code and reads the log; on a desktop the
company page shows its timeline and contact-pressure figures. Each page is
screenshotted (``test-artifacts/screenshots/besoin-*``), passes axe-core with no
serious or critical violation and never scrolls sideways at 390 px.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from connectences.clock import local_today
from connectences.demo import build_demo_document
from connectences.models import Need
from tests.browser.support import (
    ACCOUNTS,
    DESKTOP,
    PHONE,
    axe_source,
    check,
    describe,
    open_as,
    queued_mail,
    resolve_link_requests,
    stored_row,
)

pytestmark = pytest.mark.browser

OWNER_EMAIL = "sandrine.lafitte@exemple.fr"
TITLE = "2 jours par semaine de comptabilité"
COMPANY = "Atelier Marée Haute"
# A valid SIRET (checksums of both the SIREN and the SIRET) unknown to the demo.
SIRET = "82345678500018"
BAD_SIRET = "82345678500019"
COMPANIES = {c["name"]: c["siret"] for c in build_demo_document()["companies"]}


def stored_need(server, title: str) -> Need | None:
    return stored_row(server, Need, Need.title == title)


def fill_need_form(page, start: date) -> None:
    """What a café owner would type; the SIRET is wrong by one digit."""
    page.get_by_label("Votre besoin en quelques mots").fill(TITLE)
    page.get_by_label("Compétences attendues").fill("saisie comptable, déclarations de TVA")
    page.get_by_label("Combien d'heures ?").fill("14")
    page.get_by_label("Lundi").check()
    page.get_by_label("Mardi").check()
    page.get_by_label("Une personne qualifiée (CAP, BEP, bac pro ou expérience)").check()
    page.get_by_label("Je n'ai besoin de cette compétence que quelques heures par semaine").check()
    page.get_by_label("À partir de quand ?").fill(start.isoformat())
    page.get_by_label("Nom de l'entreprise").fill(COMPANY)
    page.get_by_label("Numéro SIRET").fill(BAD_SIRET)
    page.get_by_label("Commune de l'entreprise").fill("Gujan-Mestras (33470)")
    page.get_by_label("Votre nom").fill("Sandrine Lafitte")
    page.get_by_label("Votre téléphone").fill("06 12 34 56 78")
    page.get_by_label("Votre adresse e-mail").fill(OWNER_EMAIL)


def test_a_tpe_owner_expresses_confirms_and_follows_a_need_on_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    base = live_server.url
    page.goto(base + "/")
    # On a phone the menu is folded behind its button.
    page.get_by_role("button", name=re.compile("^Menu")).click()
    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role("link", name="Exprimer un besoin").click()
    assert page.get_by_role("heading", name="Exprimer un besoin", level=1).count() == 1
    # A returning owner finds the way to their space before the long form.
    already = page.get_by_role("link", name="Recevez le lien pour suivre vos besoins")
    first_field = page.get_by_label("Votre besoin en quelques mots")
    assert already.bounding_box()["y"] < first_field.bounding_box()["y"]
    blocking = check(page, "besoin-formulaire-390", "exprimer un besoin, formulaire vide (390 px)")

    start = local_today() + timedelta(days=30)
    fill_need_form(page, start)
    # The contract is the one choice left to the owner: the first one is enough here.
    page.locator("input[name=contract]").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mon besoin").click()

    # Refused: one error, in the summary and next to the SIRET field; nothing stored.
    assert "/exprimer-un-besoin" in page.url and "envoye" not in page.url
    summary = page.locator("#erreurs")
    expect(summary).to_be_visible()
    siret = page.get_by_label("Numéro SIRET")
    assert siret.get_attribute("aria-invalid") == "true"
    field_error = page.locator("#siret-erreurs")
    expect(field_error).to_be_visible()
    assert "SIRET" in field_error.inner_text()
    # The error sits right under its field, not somewhere else on the page.
    siret_box, error_box = siret.bounding_box(), field_error.bounding_box()
    assert 0 <= error_box["y"] - (siret_box["y"] + siret_box["height"]) < 40
    # Everything typed is still there, choices included.
    assert page.get_by_label("Votre besoin en quelques mots").input_value() == TITLE
    assert page.get_by_label("Combien d'heures ?").input_value() == "14"
    assert page.get_by_label("Lundi").is_checked() and page.get_by_label("Mardi").is_checked()
    assert not page.get_by_label("Mercredi").is_checked()
    assert page.get_by_label(
        "Une personne qualifiée (CAP, BEP, bac pro ou expérience)"
    ).is_checked()
    assert page.get_by_label("À partir de quand ?").input_value() == start.isoformat()
    assert page.get_by_label("Votre adresse e-mail").input_value() == OWNER_EMAIL
    assert siret.input_value() == BAD_SIRET
    assert stored_need(live_server, TITLE) is None
    # The summary's link leads to the field.
    summary.get_by_role("link", name=re.compile("SIRET")).click()
    assert page.evaluate("document.activeElement.id") == "siret"
    blocking += check(page, "besoin-erreur-siret-390", "exprimer un besoin, SIRET faux (390 px)")

    siret.fill(SIRET)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mon besoin").click()
    assert "/exprimer-un-besoin/envoye" in page.url
    expect(page.get_by_text(OWNER_EMAIL)).to_be_visible()
    blocking += check(page, "besoin-envoye-390", "besoin envoyé (390 px)")

    # Not yet in the animateurs' queue: the owner must confirm first.
    need = stored_need(live_server, TITLE)
    assert need is not None and need.owner_confirmed_at is None

    mail = queued_mail(live_server, OWNER_EMAIL, "Confirmez votre besoin")
    link = re.search(r"(/exprimer-un-besoin/confirmer/\S+)", mail.body_text).group(1)
    page.goto(base + link)
    assert page.get_by_text(TITLE).count() >= 1
    blocking += check(page, "besoin-confirmer-390", "confirmer le besoin (390 px)")
    confirm = page.get_by_role("button", name="Je confirme mon besoin")
    # Within reach of a thumb without scrolling.
    assert confirm.bounding_box()["y"] + confirm.bounding_box()["height"] <= PHONE["height"]
    with page.expect_navigation():
        confirm.click()

    assert "/entreprise/suivi/" in page.url
    expect(page.get_by_text("Merci, votre besoin est confirmé")).to_be_visible()
    # One card per need, read top to bottom: the status in plain words, no code.
    card = page.locator("li.owner-need", has_text=TITLE)
    expect(card.get_by_text("Reçu : l'animateur va l'étudier avec vous")).to_be_visible()
    assert "ROME" not in page.locator("main").inner_text()
    # A way back once the link is lost.
    expect(page.get_by_role("link", name="recevez-en un nouveau par e-mail")).to_be_visible()
    expect(page.get_by_role("heading", name=COMPANY, exact=True)).to_be_visible()
    blocking += check(page, "besoin-espace-390", "espace entreprise (390 px)")
    assert stored_need(live_server, TITLE).owner_confirmed_at is not None

    # Lost link: a new one is asked for by e-mail; a typo is told next to the field.
    with page.expect_navigation():
        page.get_by_role("link", name="recevez-en un nouveau par e-mail").click()
    page.get_by_label("Votre adresse e-mail").fill("sandrine.lafitte@exemple")
    with page.expect_navigation():
        page.get_by_role("button", name="Recevoir mon lien").click()
    email = page.get_by_label("Votre adresse e-mail")
    assert email.get_attribute("aria-invalid") == "true"
    assert email.input_value() == "sandrine.lafitte@exemple"
    blocking += check(page, "besoin-lien-erreur-390", "nouveau lien, adresse fausse (390 px)")
    email.fill(OWNER_EMAIL)
    with page.expect_navigation():
        page.get_by_role("button", name="Recevoir mon lien").click()
    expect(page.get_by_text("un nouveau lien de suivi vient de lui être envoyé")).to_be_visible()
    assert resolve_link_requests(live_server) == 1
    renewed = queued_mail(live_server, OWNER_EMAIL, "Votre lien de suivi")
    link = re.search(r"(/entreprise/suivi/\S+)", renewed.body_text).group(1)
    page.goto(base + link)
    assert page.locator("li.owner-need", has_text=TITLE).count() == 1
    assert not blocking, describe(blocking)


def test_a_company_owner_with_an_account_follows_their_needs_on_a_phone(page, live_server):
    open_as(page, live_server, "company", PHONE, "/entreprise")
    expect(page.get_by_role("heading", name="Mes entreprises et besoins", level=1)).to_be_visible()
    cards = page.locator("li.owner-need")
    assert cards.count() >= 1
    # Each need says where it stands in plain words; no internal code is shown.
    main = page.locator("main").inner_text()
    assert "ROME" not in main and "qualifie" not in main
    blocking = check(page, "besoin-compte-entreprise-390", "espace entreprise avec compte (390 px)")
    # A new need starts from the company already known: nothing typed twice.
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Exprimer un nouveau besoin")).first.click()
    assert page.get_by_label("Numéro SIRET").input_value() == COMPANIES["Au Fournil d'Andernos"]
    assert page.get_by_label("Nom de l'entreprise").input_value() == "Au Fournil d'Andernos"
    assert page.get_by_label("Votre adresse e-mail").input_value() == ACCOUNTS["company"].email
    assert page.get_by_label("Votre besoin en quelques mots").input_value() == ""
    assert not blocking, describe(blocking)


def test_an_animateur_finds_and_qualifies_a_need_on_a_phone(page, live_server):
    need = stored_need(live_server, TITLE)
    if need is None or need.owner_confirmed_at is None:
        pytest.fail("le parcours du dirigeant doit s'exécuter d'abord (même fichier)")
    open_as(page, live_server, "animateur", PHONE, "/animateur/besoins")
    blocking = check(page, "besoin-tableau-390", "tableau des besoins (390 px)")

    # The filters are folded: the list comes first on a phone.
    first_need = page.locator("#titre-liste")
    assert first_need.bounding_box()["y"] < 2 * PHONE["height"]
    page.get_by_text("Rechercher et filtrer").click()
    page.get_by_label("Recherche").fill("comptabilité")
    page.get_by_label("Statut", exact=True).select_option("nouveau")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    link = page.get_by_role("link", name=TITLE)
    assert link.count() == 1
    blocking += check(page, "besoin-tableau-filtre-390", "tableau filtré (390 px)")
    with page.expect_navigation():
        link.click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    blocking += check(page, "besoin-fiche-390", "fiche du besoin (390 px)")
    # The next step of a new need comes before its details, not four screens down.
    qualify = page.get_by_role("link", name="Qualifier le besoin").first
    details = page.get_by_role("heading", name="Fiche du besoin")
    assert qualify.bounding_box()["y"] < details.bounding_box()["y"]

    with page.expect_navigation():
        qualify.click()
    blocking += check(page, "besoin-qualifier-390", "qualifier le besoin (390 px)")
    # The owner's answers are already in the form; the animateur picks a suggested job.
    assert page.get_by_label("Heures", exact=True).input_value() in ("14", "14,0", "14.0")
    suggestion = page.locator("input[name=rome]:not([value=autre])").first
    code = suggestion.get_attribute("value")
    # Title and skills agree on bookkeeping: that job comes first, not a fuzzy near-miss.
    assert code == "M1203"
    assert page.get_by_label("M1203 — Comptabilité").count() == 1
    suggestion.check()
    page.get_by_label("Oui : relève du temps partagé").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et marquer comme qualifié").click()

    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    log = page.locator("#etat table")
    row = log.locator("tbody tr").last
    assert "Qualifié" in row.inner_text()
    assert "Nouveau" in row.inner_text()
    assert "Marc Dulucq" in row.inner_text()
    assert stored_need(live_server, TITLE).rome == code
    blocking += check(page, "besoin-qualifie-390", "besoin qualifié, historique (390 px)")
    assert not blocking, describe(blocking)


def test_an_animateur_reads_a_company_page_on_a_desktop(page, live_server):
    open_as(page, live_server, "animateur", DESKTOP, "/animateur/entreprises")
    blocking = check(page, "besoin-annuaire-1280", "annuaire des entreprises (1280 px)")
    page.get_by_label("Nom ou SIRET").first.fill("Bistrot du Port")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Rechercher|Filtrer")).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Le Bistrot du Port").first.click()
    expect(page.get_by_role("heading", name="Le Bistrot du Port", level=1)).to_be_visible()
    pressure = page.locator("#pression")
    expect(pressure.get_by_text("Dernier contact")).to_be_visible()
    history = page.locator("#historique li")
    assert history.count() >= 1
    blocking += check(page, "besoin-entreprise-1280", "fiche entreprise (1280 px)")
    # A need heard on the phone is entered from the company page, company already chosen.
    with page.expect_navigation():
        page.get_by_role("link", name="Saisir un besoin", exact=True).click()
    assert "entreprise=" in page.url
    expect(page.get_by_text("Le Bistrot du Port").first).to_be_visible()
    blocking += check(page, "besoin-nouveau-1280", "nouveau besoin depuis la fiche (1280 px)")
    page.go_back()
    page.set_viewport_size(PHONE)
    blocking += check(page, "besoin-entreprise-390", "fiche entreprise (390 px)")
    assert not blocking, describe(blocking)


@pytest.mark.parametrize(
    ("path", "name", "heading"),
    [
        ("/animateur/visites", "besoin-visites-390", "Visites"),
        ("/animateur/relances", "besoin-relances-390", "Mes relances"),
        ("/animateur/entreprises", "besoin-annuaire-390", "Entreprises"),
        ("/animateur/besoins/nouveau", "besoin-saisie-390", "Saisir un besoin"),
    ],
)
def test_the_animateur_s_other_register_pages_fit_a_phone(page, live_server, path, name, heading):
    open_as(page, live_server, "animateur", PHONE, path)
    assert page.get_by_role("heading", level=1).first.inner_text().startswith(heading)
    blocking = check(page, name, f"{heading} (390 px)")
    assert not blocking, describe(blocking)


@pytest.mark.parametrize(
    "path",
    [
        "/entreprise/preferences/demo-ent-au-fournil-d-andernos",
        "/entreprise/besoins/demo-besoin-018/modifier",
        "/entreprise/besoins/demo-besoin-018/arreter",
    ],
)
def test_an_owner_s_cancel_link_is_a_target_apart_from_the_send_button_on_a_phone(
    page, live_server, path
):
    """On a phone « Annuler » wraps under the send button: it was 19 px high, 2 px under
    it, so that a thumb aiming at it could press the button (WCAG 2.5.8, axe's
    target-size, which the pages' default audit leaves out)."""
    open_as(page, live_server, "company", PHONE, path)
    page.evaluate(axe_source())
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ["target-size"]})).violations
            .flatMap(v => v.nodes.map(n => n.target.join(" ")))"""
    )
    assert found == []
