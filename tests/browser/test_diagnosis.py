"""The GPECT diagnosis in a real browser on a phone (390 px): an animateur mails the
questionnaire from a company's page, the owner opens the link, sends it empty (French
messages next to the fields, nothing saved), then fills it in with a thumb and sends it;
the officer reads the counts. Every page is screenshotted and passes axe-core with no
serious or critical violation, without sideways scrolling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from connectences.demo import build_demo_document
from connectences.models import Company, Diagnosis
from tests.browser.support import PHONE, check, describe, open_as, queued_mail, stored_row

pytestmark = pytest.mark.browser

COMPANIES = {c["name"]: c for c in build_demo_document()["companies"]}
OWNER = "gerant.diagnostic@bistrot-exemple.fr"


def test_the_owner_fills_the_questionnaire_on_a_phone(page, live_server):
    ref = COMPANIES["Le Bistrot du Port"]["ref"]
    open_as(page, live_server, "animateur", PHONE, f"/animateur/entreprises/{ref}#diagnostic")
    blocking = check(page, "diagnostic-fiche-390", "fiche entreprise, diagnostic (390 px)")
    page.get_by_text("Envoyer le questionnaire au dirigeant par e-mail").click()
    page.get_by_label("Adresse e-mail du dirigeant").fill(OWNER)
    confirm = page.locator("#confirmer-diagnostic")
    if confirm.count():  # the demo company was contacted within 30 days
        # Sent without the box ticked: as on the visit form, the summary takes the focus
        # (the form sends the browser to "#diagnostic": Chromium dropped it to the
        # page after scrolling there) and its link leads to the box, its reason tied.
        with page.expect_navigation():
            page.get_by_role("button", name="Envoyer le questionnaire").click()
        page.wait_for_load_state("load")
        summary = page.locator("#confirmation-diagnostic")
        expect(summary).to_be_focused()
        summary.get_by_role("link", name="Confirmation nécessaire").click()
        expect(confirm).to_be_focused()
        described = confirm.get_attribute("aria-describedby")
        assert "Cochez la case" in page.locator(f"#{described}").inner_text()
        confirm.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer le questionnaire").click()
    expect(page.get_by_text(f"Questionnaire envoyé à {OWNER}.")).to_be_visible()
    # Its message, placed in the section the page opens on, takes the focus (nav.js).
    page.wait_for_load_state("load")
    expect(page.locator("#diagnostic .flashes")).to_be_focused()
    assert page.locator("#historique").get_by_text("Questionnaire de diagnostic envoyé").count()

    link = re.search(r"(http\S+/entreprise/diagnostic/\S+)", queued_mail(
        live_server, OWNER, "Questionnaire").body_text).group(1)  # fmt: skip
    page.context.clear_cookies()  # the owner has no account
    page.goto(link)
    expect(page.get_by_role("heading", name="Questionnaire de diagnostic")).to_be_visible()
    blocking += check(page, "diagnostic-questionnaire-390", "questionnaire (390 px)")

    # Sent empty: the messages are next to the fields, nothing is saved.
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(
        page.locator("#difficulty-erreurs").get_by_text(
            "Indiquez si vous avez des difficultés à recruter."
        )
    ).to_be_visible()
    expect(page.locator("#shared_time-erreurs")).to_be_visible()
    blocking += check(page, "diagnostic-erreurs-390", "questionnaire avec erreurs (390 px)")
    company = stored_row(live_server, Company, Company.ref == ref)
    waiting = stored_row(live_server, Diagnosis, Diagnosis.company_id == company.id)
    assert waiting.submitted_at is None

    page.get_by_label("De fortes difficultés").check()
    page.get_by_label("Pas ou trop peu de candidats").check()
    page.get_by_label("Pas de logement près du travail").check()
    page.get_by_label("Métier ou compétence 1").fill("Personnel de cuisine")
    page.get_by_label("Oui", exact=True).check()
    page.get_by_label("Formations obligatoires (sécurité, hygiène, habilitations)").check()
    page.get_by_label("Pas de logement pour les saisonniers").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.get_by_role("heading", name="Merci pour vos réponses")).to_be_visible()
    blocking += check(page, "diagnostic-merci-390", "merci (390 px)")
    answered = stored_row(live_server, Diagnosis, Diagnosis.company_id == company.id)
    assert (answered.difficulty, answered.shared_time) == ("fortes", "oui")
    assert answered.submitted_at is not None

    # The officer of the COBAS reads the counts, small ones hidden.
    open_as(page, live_server, "territoire", PHONE, "/observatoire/diagnostic")
    expect(page.get_by_role("heading", name="Difficultés de recrutement")).to_be_visible()
    assert page.get_by_text("secret", exact=True).count() >= 1
    # Drawn as the observatory's dashboard draws its figures: a chart beside each table.
    assert page.locator("#graphique-difficulte-titre").count() == 1
    expect(page.locator("svg.chart:visible").first).to_be_visible()  # the phone's drawing
    blocking += check(page, "diagnostic-observatoire-390", "observatoire du diagnostic (390 px)")
    assert not blocking, describe(blocking)
