"""Shared time end to end, on a 390 px phone, against the live demo.

The demo operator accepts a lead and the page gives the company's ``tel:`` link (and
the confirmation mail its contact); they record an 8 h placement of a person who
wants more hours than that. The animateur then opens « Compléter la semaine » of that
person: another open need fits what is left of their week, and the person is listed
in the « Compléter la semaine » section of that need's page. Every page passes axe
with no serious or critical violation and never scrolls sideways (screenshots in
``test-artifacts/screenshots/temps-partage-*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from connectences.clock import local_today
from connectences.cvtheque.status import status_label
from connectences.extensions import db
from connectences.matching.complete_week import fitting_needs
from connectences.models import Candidate, Commitment, Lead, Need
from connectences.typography import of_name
from connectences.vocab import DAYS
from tests.browser.support import (
    ACCOUNTS,
    PHONE,
    check,
    describe,
    lead_to_accept,
    log_in,
    queued_mail,
)

pytestmark = pytest.mark.browser

PLACED_HOURS = 8
# A dialable number: French national form, or international with its "+".
TEL = re.compile(r"tel:(0[1-9][0-9]{8}|\+[1-9][0-9]{7,14})")


@dataclass(frozen=True)
class Story:
    need_ref: str
    need_title: str
    need_hours: float
    company: str
    start: date
    phones: set[str]  # the company contacts' numbers, stored form
    person_id: int
    person_ref: str
    person_name: str
    person_days: set[str]
    person_hours_max: float


def _wanting(lead: Lead) -> list[Candidate]:
    """The proposed people who want more than the placement's 8 h (their minimum is above
    what they would then hold) and keep a free day after it."""
    need_days = set(lead.needs[0].need.days)
    return [
        item.candidate
        for item in lead.candidates
        if item.candidate.hours_min
        > PLACED_HOURS + sum(c.hours_per_week for c in item.candidate.commitments)
        and set(item.candidate.days)
        - need_days
        - {d for c in item.candidate.commitments for d in c.days}
    ]


def _tells_the_story(server, lead_id: int) -> bool:
    """Whether this lead tells the whole story: a wanting person who, once placed 8 h on
    the need's days, still fits another open need in their free time (tried in a
    transaction that is rolled back)."""
    with server.app.app_context():
        lead = db.session.get(Lead, lead_id)
        need = lead.needs[0].need
        fits = False
        for person in _wanting(lead):
            db.session.add(
                Commitment(
                    candidate=person,
                    hours_per_week=PLACED_HOURS,
                    days=list(need.days),
                    start=need.start,
                    source="placement",
                )
            )
            db.session.flush()
            others = [f for f in fitting_needs(person) if f.need.id != need.id]
            db.session.rollback()
            if others:
                fits = person.id == _wanting(db.session.get(Lead, lead_id))[0].id
                break
        db.session.remove()
        return fits


def _story(server, lead_id: int) -> Story:
    """What the lead is about, read from the live database: its need and company, and
    the proposed person who wants more than the placement's 8 h."""
    with server.app.app_context():
        lead = db.session.get(Lead, lead_id)
        need = lead.needs[0].need
        wanting = _wanting(lead)
        assert wanting, "la proposition de démonstration n'a personne qui veut plus de 8 h"
        person = wanting[0]
        story = Story(
            need_ref=need.ref,
            need_title=need.title,
            need_hours=need.hours_per_week,
            company=need.company.name,
            start=need.start,
            phones={c.phone for c in need.company.contacts if c.phone},
            person_id=person.id,
            person_ref=person.ref,
            person_name=f"{person.first_name} {person.last_name}",
            person_days=set(person.days),
            person_hours_max=person.hours_max,
        )
        db.session.remove()
        return story


def _need(server, ref: str) -> Need:
    with server.app.app_context():
        need = db.session.scalar(select(Need).where(Need.ref == ref))
        db.session.expunge(need)
        db.session.remove()
        return need


def _placed_days(server, person_ref: str) -> set[str]:
    with server.app.app_context():
        person = db.session.scalar(select(Candidate).where(Candidate.ref == person_ref))
        days = {d for c in person.commitments if c.source == "placement" for d in c.days}
        db.session.remove()
        return days


def test_operator_places_8_hours_and_the_animateur_completes_the_week_on_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    server = live_server.url

    # --- the operator accepts a lead and gets the company's contact ---------------------
    log_in(page, live_server, "operator")
    lead_url = lead_to_accept(
        page, live_server, lambda lead_id: _tells_the_story(live_server, lead_id)
    )
    story = _story(live_server, int(lead_url.rstrip("/").rsplit("/", 1)[1]))
    assert page.locator("main a[href^='tel:']").count() == 0  # nothing before accepting
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter la proposition").click()
    expect(page.locator("main strong.status").first).to_have_text("Acceptée")

    call = page.locator("main .company-contact a[href^='tel:']").first
    expect(call).to_be_visible()
    href = call.get_attribute("href")
    assert TEL.fullmatch(href), f"lien d'appel invalide : {href}"
    assert href.removeprefix("tel:") in story.phones  # the company's contact, not another
    blocking = check(page, "temps-partage-proposition-acceptee-390", "Proposition acceptée")
    assert not blocking, describe(blocking)

    mail = queued_mail(live_server, ACCOUNTS["operator"].email, f"contacter {story.company}")
    number = href.removeprefix("tel:")
    assert " ".join(number[i : i + 2] for i in range(0, 10, 2)) in mail.body_text
    assert "Lieu de travail" in mail.body_text

    # --- an 8 h placement of someone who wants more hours -------------------------------
    placement = page.get_by_role("region", name="Enregistrer un placement")
    placement.get_by_label("Personne placée").select_option(str(story.person_id))
    placement.get_by_label("Heures par semaine").fill(str(PLACED_HOURS))
    placement.get_by_label("Date de début").fill(story.start.isoformat())
    with page.expect_navigation():
        placement.get_by_role("button", name="Enregistrer le placement").click()
    if story.need_hours != PLACED_HOURS:
        # Other hours than the need's: asked once, saying what will be written; within
        # the person's free time, nothing else is asked.
        warning = page.locator("#placement-alerte")
        expect(warning).to_contain_text(f"vous indiquez {PLACED_HOURS} h")
        expect(warning).not_to_contain_text("temps libre")
        page.get_by_label(
            re.compile(rf"^Je confirme ce placement (de |d').+ à {PLACED_HOURS}\sh par semaine$")
        ).check()
        with page.expect_navigation():
            placement.get_by_role("button", name="Enregistrer le placement").click()
    expect(page.get_by_role("status")).to_contain_text("Placement enregistré")
    expect(page.get_by_text("Je confirme ce placement")).to_have_count(0)
    expect(page.get_by_text(f"{PLACED_HOURS} h par semaine, ").first).to_be_visible()
    # Still looking for hours, so the operator is offered to complete the week.
    with page.expect_navigation():
        page.get_by_role("link", name=f"Compléter la semaine {of_name(story.person_name)}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Compléter la semaine {of_name(story.person_name)}"
    )
    # Placed from the need's first day: until it comes, the status says when work starts.
    ahead = story.start if story.start > local_today() else None
    expect(page.locator("main .status")).to_have_text(status_label("en_mission", ahead))
    blocking = check(page, "temps-partage-completer-operateur-390", "Compléter (opérateur)")
    assert not blocking, describe(blocking)

    # --- the animateur sees the person in « Compléter la semaine » of another need ------
    page.context.clear_cookies()
    log_in(page, live_server, "animateur")
    page.goto(f"{server}/animateur/cvtheque/{story.person_ref}")
    history = page.locator("main").get_by_text("placement par GE Bassin Emploi").first
    expect(history).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Compléter la semaine").click()
    week = page.get_by_role("region", name="Sa semaine", exact=True)
    placed_days = _placed_days(live_server, story.person_ref)
    assert placed_days
    for day in placed_days:
        row = week.get_by_role("row", name=DAYS[day].capitalize())
        expect(row).to_contain_text(f"{PLACED_HOURS} h par semaine — {story.company}")

    fits = page.get_by_role("region", name=re.compile("Besoins ouverts qui tiennent"))
    cards = fits.locator("li.card")
    assert cards.count() >= 1, "aucun besoin ne complète la semaine de la démonstration"
    titles = [cards.nth(i).locator("h3").inner_text() for i in range(cards.count())]
    assert f"{story.need_title} — {story.company}" not in titles  # the one just filled
    # The best-ranked need that the placement shares the week with.
    # (The person may already hold other work: the sentence lists every commitment.)
    card = cards.filter(has_text=f"({story.company}, GE Bassin Emploi)").first
    expect(card).to_contain_text("Déjà ")
    expect(card).to_contain_text(f"{PLACED_HOURS} h le")
    link = card.locator("h3 a")
    ref = link.get_attribute("href").rstrip("/").rsplit("/", 1)[1]
    other = _need(live_server, ref)
    # Really another need, in the free time: a free day in common (the rule of the
    # interchange), within the hours left.
    assert ref != story.need_ref
    free_days = story.person_days - placed_days
    assert set(other.days) & free_days, (other.days, free_days)
    assert other.hours_per_week <= story.person_hours_max - PLACED_HOURS
    blocking = check(page, "temps-partage-completer-animateur-390", "Compléter (animateur)")
    assert not blocking, describe(blocking)

    with page.expect_navigation():
        link.click()
    section = page.get_by_role("region", name="Compléter la semaine")
    folded = section.locator("details:not([open]) > summary")
    if folded.count():  # a long list folds: open it as a person would
        folded.click()
    person = section.get_by_role("link", name=story.person_name)
    expect(person).to_be_visible()
    line = section.locator("li").filter(has_text=story.person_name)
    expect(line).to_contain_text("Déjà ")
    expect(line).to_contain_text(f"{PLACED_HOURS} h le")
    section.scroll_into_view_if_needed()
    blocking = check(page, "temps-partage-besoin-completer-390", "Besoin, compléter la semaine")
    assert not blocking, describe(blocking)
