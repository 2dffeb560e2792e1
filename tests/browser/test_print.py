"""A need or a CV record printed by an animateur: the facts on paper, not the screen's
tools. The need's ranked candidates sit inside the proposal form (their boxes to tick),
which the print stylesheet used to leave off whole: "20 candidats affichés" over
nothing. The CV record printed its edit link's address, empty bullets where the
buttons were and headings of sections that are only forms."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from connectences.contacts import phone_display
from connectences.extensions import db
from connectences.models import Company
from connectences.prospection.companies import listed
from tests.browser.support import DESKTOP, open_as, screenshot

pytestmark = pytest.mark.browser

NEED = "demo-besoin-042"  # a demo need with ranked candidates
PERSON = "demo-cv-001"  # the demo's job seeker, with a commitment
# The demo's next event, with its registrants: its list is printed to tick at the door.
EVENT = "Job dating de la saison : hôtellerie, restauration et ostréiculture"


def _printed(page, name: str):
    page.emulate_media(media="print")
    screenshot(page, name)


def test_a_printed_need_lists_its_candidates_without_the_tools(page, live_server):
    open_as(page, live_server, "animateur", DESKTOP, f"/animateur/besoins/{NEED}")
    first = page.locator("#candidats .match-list .match").first
    name = first.locator("strong").first.inner_text()
    _printed(page, "print-need")
    assert first.is_visible()
    assert page.locator("#candidats").get_by_text(name, exact=True).first.is_visible()
    assert not page.locator("#candidats input[type=checkbox]").first.is_visible()
    # The candidates past the fifth, folded on the screen, are on the paper too.
    assert page.locator("#candidats .more-matches .match").first.is_visible()
    # What can only be done on the screen is left off the paper, headings included.
    assert not page.get_by_role("heading", name="Pourquoi pas ce candidat ?").is_visible()
    assert not page.get_by_text("Filtrer les candidats").is_visible()
    assert not page.get_by_text("Abandonner le besoin…").is_visible()


def test_a_printed_cv_record_shows_no_edit_links_nor_empty_sections(page, live_server):
    open_as(page, live_server, "animateur", DESKTOP, f"/animateur/cvtheque/{PERSON}")
    _printed(page, "print-cv-record")
    commitments = page.locator("ul.commitments")
    assert commitments.is_visible()
    assert not commitments.get_by_role("link", name="Modifier cet engagement").is_visible()
    assert not page.get_by_role("heading", name="Statut", exact=True).is_visible()
    assert not page.get_by_role("heading", name="Notes", exact=True).is_visible()
    for actions in page.locator("main ul.actions").all():
        assert not actions.is_visible()


def test_a_list_printed_before_the_event_has_boxes_to_tick_and_no_screen_hint(page, live_server):
    open_as(page, live_server, "animateur", DESKTOP, "/animateur/evenements")
    page.get_by_role("link", name=EVENT).first.click()
    hint = page.get_by_text("Les présences se noteront ici une fois l'événement commencé.")
    assert hint.is_visible()
    _printed(page, "print-event-list")
    assert page.locator("td.sign-box").first.is_visible()
    assert not hint.is_visible()
    assert not page.get_by_role("heading", name="Présences", exact=True).is_visible()


def test_a_printed_round_lists_its_companies_with_their_phones_not_its_boxes(page, live_server):
    # The companies of « Préparer ma tournée » sit in the form that keeps them on the
    # phone, which the print stylesheet left off whole: the round printed as nothing.
    with live_server.app.app_context():
        company = db.session.scalars(
            select(Company)
            .where(listed(), Company.phone.is_not(None), Company.naf.is_not(None))
            .order_by(Company.id)
        ).first()
        name, phone = company.name, phone_display(company.phone)
        query = f"commune={company.commune}&naf={company.naf}"
        db.session.remove()
    open_as(page, live_server, "animateur", DESKTOP, f"/animateur/tournee/preparer?{query}")
    card = page.locator("#garder-tournee .offline-company", has_text=name)
    keep = page.get_by_role("button", name="Garder la tournée sur ce téléphone")
    expect(keep).to_be_visible()
    _printed(page, "print-round")
    assert card.is_visible()
    assert card.get_by_role("link", name=phone).is_visible()
    assert not keep.is_visible()
    assert not card.locator(".keep-choice").is_visible()
    # The company's name without its page's address, and the filters left off.
    assert card.locator("h3 a").evaluate("(a) => getComputedStyle(a, '::after').content") in (
        "none",
        "normal",
    )
    assert not page.get_by_role("button", name="Afficher les entreprises").is_visible()
