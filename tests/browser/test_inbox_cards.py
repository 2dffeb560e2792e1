"""The operator's and the partner's inboxes, in a real browser on a 390 px phone and a
1,280 px screen: each lead or referral is a card (what, for whom, how many hours, where
it stands, since when) that never makes the page scroll sideways. Screenshotted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Lead, User
from connectences.workflows import leads as flow
from tests.browser.support import ACCOUNTS, DESKTOP, PHONE, audit, describe, log_in, screenshot
from tests.helpers import sent_on

pytestmark = pytest.mark.browser

INBOXES = {"operator": "/operateur/propositions", "partner": "/partenaire/reorientations"}


@pytest.fixture(scope="module")
def worked_inbox(live_server):
    """The demo operator's inbox with one lead of each kind: new, accepted, refused, and
    one placed five weeks ago (its first follow-up is due)."""
    with live_server.app.app_context():
        actor = db.session.scalars(
            select(User).where(User.email == ACCOUNTS["operator"].email)
        ).one()
        leads = db.session.scalars(
            select(Lead).where(Lead.operator_id == actor.operator_id).order_by(Lead.id)
        ).all()
        placed, accepted, refused = leads[:3]
        start = local_today() - timedelta(days=35)
        sent_on(placed, start)  # a placement does not start before its lead was sent
        flow.accept(db.session, placed, actor)
        flow.start_contacting(db.session, placed, actor)
        hours = flow.needs_hours([item.need for item in placed.needs])
        flow.record_placement(
            db.session,
            placed,
            actor=actor,
            candidate=placed.candidates[0].candidate,
            needs=[item.need for item in placed.needs],
            hours_per_week=hours,
            contract="cdi_temps_partage",
            start_date=start,
            confirmed=flow.placement_confirmation(placed.candidates[0].candidate_id, hours),
        )
        flow.accept(db.session, accepted, actor)
        flow.refuse(db.session, refused, "hors_perimetre", None, actor)
        db.session.commit()
        db.session.remove()
    return live_server


@pytest.mark.parametrize("role", list(INBOXES))
def test_inbox_is_a_list_of_cards_on_a_phone_and_a_desktop(page, worked_inbox, role):
    live_server = worked_inbox
    log_in(page, live_server, role)
    for width, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(viewport)
        page.goto(live_server.url + INBOXES[role])
        screenshot(page, f"boite-{role}-{width}")
        label = f"{role}, {width} px"
        sideways = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert sideways <= 0, f"{label} : défilement horizontal de {sideways} px"
        cards = page.locator("main .inbox-card")
        assert cards.count() >= 1, f"{label} : aucune carte"
        for index in range(cards.count()):
            card = cards.nth(index)
            box = card.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], label
            # The card's title is a link to the lead, and its state a badge in words.
            assert card.locator("h3 a").count() == 1, label
            assert card.locator(".status").inner_text().strip(), label
        blocking = audit(page, label)
        assert not blocking, describe(blocking)
