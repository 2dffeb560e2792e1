"""The animateur's side of events and newsletter, on a phone: a new event refused with
its French errors, then published; its attendees page; a newsletter composed, previewed
and tested. Each page is screenshotted (``test-artifacts/screenshots/evenements-*``),
passes axe-core with no serious or critical violation and never scrolls sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from connectences.clock import local_today
from connectences.models import Event, NewsletterIssue
from tests.browser.support import PHONE, check, describe, open_as, stored_row

pytestmark = pytest.mark.browser

TITLE = "Job dating de la saison, Arcachon"


def test_an_animateur_publishes_an_event_and_composes_a_newsletter_on_a_phone(page, live_server):
    open_as(page, live_server, "animateur", PHONE, "/animateur/evenements/nouveau")
    blocking = check(page, "evenements-nouveau-390", "nouvel événement (390 px)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Indiquez le titre de l'événement.").first).to_be_visible()
    blocking += check(page, "evenements-nouveau-erreurs-390", "nouvel événement en erreur")

    page.get_by_label("Type").select_option("job_dating")
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Pour qui").select_option("tous")
    page.get_by_label("Date").fill((local_today() + timedelta(days=20)).isoformat())
    page.get_by_label("Début").fill("14:00")
    page.get_by_label("Fin").fill("17:00")
    page.get_by_label("Lieu").fill("Palais des congrès, Arcachon")
    page.get_by_label("Nombre de places").fill("60")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Événements", use_inner_text=True)
    blocking += check(page, "evenements-liste-390", "événements de l'équipe (390 px)")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE, use_inner_text=True)
    blocking += check(page, "evenements-inscrits-390", "inscrits d'un événement (390 px)")
    assert stored_row(live_server, Event, Event.title == TITLE).capacity == 60

    page.goto(live_server.url + "/animateur/lettre/nouvelle")
    page.get_by_label("Objet").fill("Les rendez-vous de l'hiver")
    page.get_by_label("Introduction").fill("Bonjour,\n\nVoici les prochains rendez-vous.")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    expect(page.get_by_text(TITLE).first).to_be_visible()
    blocking += check(page, "evenements-lettre-390", "lettre d'information (390 px)")
    page.get_by_role("button", name="M'envoyer un essai").click()
    expect(page.get_by_text("Un essai part à votre adresse")).to_be_visible()
    issue = stored_row(live_server, NewsletterIssue, NewsletterIssue.subject.contains("hiver"))
    assert issue.sent_at is None
    assert not blocking, describe(blocking)
