"""The public home on a phone, as a TPE owner or a job seeker meets it: the home page
leads to "Exprimer un besoin" and to "Déposer mon CV", and to an upcoming event, where
the visitor registers, confirms through the mailed link and is told their seat is
kept. Each page is screenshotted (``test-artifacts/screenshots/accueil-public-*``),
passes axe-core with no serious or critical violation and never scrolls sideways."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from connectences.clock import LOCAL_TZ
from connectences.events import catalogue
from connectences.extensions import db
from connectences.models import EventRegistration
from tests.browser.support import PHONE, check, describe, queued_mail, stored_row

pytestmark = pytest.mark.browser

EVENT = "Petit déjeuner des entreprises du Val de l'Eyre"
EMAIL = "gerant.boulangerie@exemple.fr"


@pytest.fixture(scope="module")
def event_id(live_server):
    with live_server.app.app_context():
        day = (datetime.now(LOCAL_TZ) + timedelta(days=9)).date()
        event = catalogue.create_event(
            db.session,
            {
                "kind": "petit_dejeuner", "title": EVENT, "audience": "entreprises",
                "day": day.isoformat(), "start": "08:30", "end": "10:00",
                "place": "Salle polyvalente, Salles", "capacity": "25",
                "description": "Les aides à l'embauche et le temps partagé, autour d'un café.",
            },
            by=None,
        )  # fmt: skip
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


def test_a_phone_visitor_walks_the_home_to_each_action_and_registers_to_an_event(
    page, live_server, event_id
):
    page.set_viewport_size(PHONE)
    blocking = []
    page.goto(live_server.url + "/")
    blocking += check(page, "accueil-public-390", "accueil public (390 px)")
    main = page.locator("#contenu")
    for action in ("Exprimer un besoin", "Être rappelé", "Déposer mon CV"):
        expect(main.get_by_role("link", name=action, exact=True), action).to_be_visible()

    main.get_by_role("link", name="Exprimer un besoin", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Exprimer un besoin", use_inner_text=True
    )
    page.go_back()
    main.get_by_role("link", name="Être rappelé", exact=True).click()
    expect(page).to_have_url(re.compile(r"/etre-rappele$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.go_back()
    main.get_by_role("link", name="Déposer mon CV", exact=True).click()
    expect(page).to_have_url(re.compile(r"/deposer-mon-cv$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.go_back()

    page.get_by_role("link", name=EVENT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(EVENT, use_inner_text=True)
    blocking += check(page, "accueil-public-evenement-390", "page d'un événement (390 px)")
    page.get_by_role("button", name="Je m'inscris").click()
    expect(page.get_by_text("Indiquez votre nom.").first).to_be_visible()
    blocking += check(page, "accueil-public-inscription-erreur-390", "inscription en erreur")
    page.get_by_label("Votre nom").fill("Jeanne Cazaux")
    page.get_by_label("Votre adresse e-mail").fill(EMAIL)
    page.get_by_label("Votre entreprise ou structure (facultatif)").fill("Boulangerie Cazaux")
    page.get_by_role("button", name="Je m'inscris").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Inscription presque terminée", use_inner_text=True
    )
    blocking += check(page, "accueil-public-inscription-envoyee-390", "inscription envoyée")

    mail = queued_mail(live_server, EMAIL, "Confirmez votre inscription")
    link = re.search(r"https?://\S+/evenements/inscription/confirmer/\S+", mail.body_text)
    page.goto(link.group(0))
    page.get_by_role("button", name="Je confirme mon inscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Inscription confirmée", use_inner_text=True
    )
    blocking += check(page, "accueil-public-inscription-confirmee-390", "inscription confirmée")
    registration = stored_row(live_server, EventRegistration, EventRegistration.email == EMAIL)
    assert registration.status == "registered" and registration.event_id == event_id
    assert not blocking, describe(blocking)
