"""Shared time in a real browser, on a 390 px phone.

The demo's job seeker (8 h of bookkeeping on Tuesday through the groupement) reads
her week in her personal space and steers it with the two plain choices. An
animateur adds a commitment to someone's week (a refusal first, next to its
field), sees it in the week table, removes it, and opens « Compléter la semaine »
of the demo job seeker. Each page is screenshotted (``test-artifacts/screenshots/
semaine-*``), passes axe-core with no serious or critical violation and never
scrolls sideways.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, check, describe, open_as

pytestmark = pytest.mark.browser

SHOWCASE = "demo-cv-001"  # the demo's job seeker account
OTHER = "demo-cv-002"


def test_the_job_seeker_reads_and_steers_her_week_on_a_phone(page, live_server):
    open_as(page, live_server, "candidate", PHONE, "/candidat/mon-espace")
    week = page.get_by_role("region", name="Ma semaine")
    expect(page.get_by_role("heading", name="Ma semaine")).to_be_visible()
    tuesday = week.get_by_role("row", name="Mardi")
    expect(tuesday).to_contain_text("Pris")
    expect(tuesday).to_contain_text("8 h par semaine — Comptabilité, GE Bassin Emploi")
    expect(week.get_by_role("row", name="Lundi")).to_contain_text("Libre")
    expect(page.get_by_text("Déjà 8 h par semaine sur 24 h au plus : reste 16 h")).to_be_visible()
    blocking = check(page, "semaine-espace-390", "Espace personnel, ma semaine (390 px)")
    assert not blocking, describe(blocking)

    with page.expect_navigation():
        page.get_by_role("button", name="Mon emploi du temps est complet").click()
    expect(page.get_by_role("status")).to_contain_text("votre emploi du temps est complet")
    expect(
        page.get_by_text("Vous nous avez dit que votre emploi du temps est complet :")
    ).to_be_visible()
    # Only the other choice is offered, and it is described by the sentence of the choice.
    expect(page.get_by_role("button", name="Mon emploi du temps est complet")).to_have_count(0)
    expect(
        page.get_by_role("button", name="Je souhaite plus d'heures")
    ).to_have_accessible_description(
        "Vous nous avez dit que votre emploi du temps est complet : on ne vous propose plus d'heures."
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Je souhaite plus d'heures").click()
    expect(page.get_by_role("status")).to_contain_text("proposé pour compléter votre semaine")
    blocking = check(page, "semaine-choix-390", "Espace personnel, après le choix (390 px)")
    assert not blocking, describe(blocking)


def test_an_animateur_edits_a_week_and_completes_another_on_a_phone(page, live_server):
    open_as(page, live_server, "animateur", PHONE, f"/animateur/cvtheque/{OTHER}")
    with page.expect_navigation():
        page.get_by_role("link", name="Ajouter un engagement").click()
    page.get_by_label("Quoi et où (facultatif)").fill("Ménage, école de Gujan")
    page.get_by_label("Heures par semaine").fill("0")
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter à sa semaine").click()
    # Refused next to its field; nothing written.
    hours = page.get_by_label("Heures par semaine")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#heures-erreurs")).to_contain_text(
        "Le nombre d'heures par semaine doit être entre 1 et 48."
    )
    expect(page.locator("#jours-erreurs")).to_contain_text("Cochez au moins un jour.")
    # The summary at the top links to both fields.
    expect(page.locator('#erreurs a[href="#heures"]')).to_be_visible()
    expect(page.locator('#erreurs a[href="#jours"]')).to_be_visible()
    blocking = check(page, "semaine-engagement-erreur-390", "Engagement refusé (390 px)")
    assert not blocking, describe(blocking)

    hours.fill("3")
    page.get_by_label("Samedi").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter à sa semaine").click()
    expect(page.get_by_text("Engagement ajouté à la semaine de la personne.")).to_be_visible()
    saturday = page.locator("#semaine").get_by_role("row", name="Samedi")
    expect(saturday).to_contain_text("3 h par semaine — Ménage, école de Gujan")
    blocking = check(page, "semaine-fiche-390", "Fiche CVthèque, semaine (390 px)")
    assert not blocking, describe(blocking)
    # Put the demo back as it was.
    with page.expect_navigation():
        page.locator("#semaine").get_by_role("button", name="Retirer cet engagement").click()
    expect(page.get_by_text("Engagement retiré de la semaine de la personne.")).to_be_visible()

    page.goto(f"{live_server.url}/animateur/cvtheque/{SHOWCASE}")
    with page.expect_navigation():
        page.get_by_role("link", name="Compléter la semaine").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Compléter la semaine de")
    expect(
        page.get_by_role("heading", name="Besoins ouverts qui tiennent dans son temps libre")
    ).to_be_visible()
    blocking = check(page, "semaine-completer-390", "Compléter la semaine (390 px)")
    assert not blocking, describe(blocking)


NBSP = "\u00a0"


def _typeset(locator) -> str:
    """The text a locator shows, its no-break spaces kept (expect's text assertions
    read them as plain spaces), other runs of white space made one space."""
    return " ".join(locator.text_content().replace(NBSP, "\x00").split()).replace("\x00", NBSP)


def test_week_sentences_keep_french_typography_on_a_phone(page, live_server):
    """The week's sentences come from the domain in plain spaces; every page that shows
    them writes them as the score's explanation does (the typo filter): « 8 h » never
    split at a line's end, « : » never starting a line. They were printed raw on the
    need's matches, « Compléter la semaine », « Pourquoi pas ce candidat ? » and the
    shared-time posts, beside explanations that had the no-break spaces."""
    held = f"Déjà 8{NBSP}h le mardi (Comptabilité, GE Bassin Emploi){NBSP}: reste 16{NBSP}h"
    open_as(page, live_server, "animateur", PHONE, f"/animateur/cvtheque/{SHOWCASE}/semaine")
    first_fit = page.locator(".week-fits > li").first
    expect(first_fit.locator("p.muted")).to_contain_text("Déjà 8")
    assert held in _typeset(first_fit.locator("p.muted"))
    assert " : " not in _typeset(first_fit.locator("details"))
    with page.expect_navigation():
        first_fit.get_by_role("link").first.click()

    # The need's list of matches names her week the same way.
    match = page.locator(".match-week").filter(has_text="Déjà 8").first
    expect(match).to_be_attached()
    assert held in _typeset(match)
    # Its own line, not an item of the « · » list above it.
    assert "·" not in _typeset(match)
    assert "Déjà" not in _typeset(match.locator("xpath=preceding-sibling::p[1]"))
    blocking = check(page, "semaine-typo-besoin-390", "Besoin, semaine des candidats (390 px)")
    assert not blocking, describe(blocking)

    why_not = page.locator("#pourquoi-pas")
    why_not.get_by_label("Candidat", exact=True).fill(SHOWCASE)
    with page.expect_navigation():
        why_not.get_by_role("button", name="Vérifier").click()
    hours_check = page.locator(".checks li").filter(has_text="Déjà 8")
    expect(hours_check).to_be_visible()
    assert held in _typeset(hours_check)
    blocking = check(page, "semaine-typo-pourquoi-390", "Pourquoi pas ce candidat (390 px)")
    assert not blocking, describe(blocking)

    page.goto(f"{live_server.url}/animateur/postes-partages")
    free_time = page.locator(".bundle-free-time li").filter(has_text="Camille Lesbats").first
    expect(free_time).to_be_attached()
    assert held in _typeset(free_time)
    reasons = page.locator(".bundle details ul.list").first
    assert " : " not in _typeset(reasons)
