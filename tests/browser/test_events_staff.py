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
from tests.browser.support import DESKTOP, PHONE, check, describe, open_as, screenshot, stored_row

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


PAST = "Job dating des services à la personne et de l'entretien"  # the demo's event held


def test_an_animateur_ticks_who_came_at_the_door_on_a_phone_and_prints_the_list(page, live_server):
    """At the door, on a phone: a name typed narrows the lists to it, tapping the name
    ticks its box, the count follows, the save button is on the screen wherever the list
    is scrolled. The list printed holds everyone (a search left on hides nobody there),
    without the screen's tools: the count not saved, the cancel action's red bar."""
    open_as(page, live_server, "animateur", PHONE, "/animateur/evenements")
    page.get_by_role("link", name=PAST).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PAST, use_inner_text=True)
    boxes = page.locator("input[name=present]")
    everyone = boxes.count()
    count = page.locator("[data-checkin-count]")
    ticked = sum(1 for box in boxes.all() if box.is_checked())
    expect(count).to_have_text(f"{ticked} personnes cochées sur {everyone}")
    unticked = page.locator("tr:has(input[name=present]:not(:checked)) label[for^=present-]").first
    name = unticked.evaluate("label => label.firstChild.textContent").strip()
    page.get_by_label("Chercher un nom").fill(name.split()[-1].upper())
    shown = page.locator("tr:has(input[name=present]):visible")
    assert 1 <= shown.count() < everyone
    label = page.locator("label[for^=present-]", has_text=name)
    expect(label).to_be_visible()
    label.click()
    expect(page.get_by_role("checkbox", name=f"{name} est venu·e")).to_be_checked()
    expect(count).to_have_text(f"{ticked + 1} personnes cochées sur {everyone}")
    page.get_by_label("Chercher un nom").fill("zzz")
    expect(page.get_by_text("Aucun nom ne correspond.")).to_be_visible()
    page.get_by_label("Chercher un nom").fill(name.split()[0])
    blocking = check(page, "evenements-presences-390", "présences à la porte (390 px)")
    # The save button is on the screen at the top of the list as at its end.
    page.mouse.wheel(0, -10_000)
    save = page.get_by_role("button", name="Enregistrer les présences")
    expect(save).to_be_in_viewport()
    assert not blocking, describe(blocking)

    page.set_viewport_size(DESKTOP)
    page.emulate_media(media="print")
    screenshot(page, "evenements-presences-impression")
    assert page.locator("tr:has(input[name=present]):visible").count() == everyone
    assert not count.is_visible() and not save.is_visible()
    assert not page.locator(".risky-action").is_visible()
    assert not page.locator(".risky-body").is_visible()


def test_a_box_reached_with_the_keyboard_at_the_door_is_not_hidden_by_the_save_bar(
    page, live_server
):
    """At 390 px, a name typed then Tab reached its box under the save bar held at the
    bottom of the screen (the browser scrolls a focused box just into the viewport, the
    bar covers its last 6 rem): the person at the door ticked a box they could not see.
    Every box reached with Tab, from the search on, is now clear of the bar."""
    open_as(page, live_server, "animateur", PHONE, "/animateur/evenements")
    page.get_by_role("link", name=PAST).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PAST, use_inner_text=True)
    search = page.get_by_label("Chercher un nom")
    last = page.locator("label[for^=present-]").last
    name = last.evaluate("label => label.firstChild.textContent").strip()
    search.focus()
    page.keyboard.type(name)
    bar = page.locator(".sticky-action")

    def clear_of_the_bar() -> None:
        box = page.evaluate("document.activeElement.getBoundingClientRect().bottom")
        assert box <= bar.bounding_box()["y"], (box, bar.bounding_box())

    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name=f"{name} est venu·e")).to_be_focused()
    clear_of_the_bar()
    search.fill("")
    search.focus()
    for _ in range(4):
        page.keyboard.press("Tab")
        clear_of_the_bar()
