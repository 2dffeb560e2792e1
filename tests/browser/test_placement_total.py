"""A bundle's placement form on the lead page: the hours of the companies checked are
added up as the operator types them (static/js/placement-total.js), in the French the
server writes hours with; an entry the server could not read makes the total say so
rather than add up what it can; a company unchecked leaves the total."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Candidate, LeadCandidate, Need, Operator, User
from connectences.workflows import NEED_SEARCHING, TransitionError
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead
from tests.browser.support import ACCOUNTS, DESKTOP, PHONE, check, describe, open_as

pytestmark = pytest.mark.browser


def _accepted_bundle(server) -> tuple[int, list[str]]:
    """A two-company bundle of the demo sent to the demo operator and accepted, with a
    person to place in it: its id and its companies' names, in the lead's order."""
    with server.app.app_context():
        session = db.session
        users = {
            role: session.scalar(select(User).where(User.email == ACCOUNTS[role].email))
            for role in ("animateur", "operator")
        }
        operator = session.get(Operator, users["operator"].operator_id)
        needs = session.scalars(
            select(Need).where(Need.status.in_(NEED_SEARCHING)).order_by(Need.id)
        ).all()
        for first in needs:
            for second in needs:
                if second.id <= first.id or second.company_id == first.company_id:
                    continue
                try:
                    lead = send_lead(
                        session, needs=[first, second], operator=operator, actor=users["animateur"]
                    )
                except TransitionError:
                    session.rollback()
                    continue
                person = session.scalars(select(Candidate).order_by(Candidate.id)).first()
                session.add(LeadCandidate(lead=lead, candidate=person, score=None))
                flow.accept(session, lead, users["operator"])
                session.commit()
                found = lead.id, [item.need.company.name for item in lead.needs]
                session.remove()
                return found
    raise AssertionError("aucun poste en temps partagé ne peut être envoyé dans la démo")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_bundle_s_total_follows_the_hours_typed(page, live_server, size):
    lead_id, companies = _accepted_bundle(live_server)
    open_as(page, live_server, "operator", size, f"/operateur/propositions/{lead_id}")
    form = page.get_by_role("region", name="Enregistrer un placement")
    total = form.locator("[data-placement-total]")
    expect(total).to_be_visible()
    assert total.get_attribute("aria-live") == "polite"
    first, second = companies
    hours = [form.get_by_label(f"Heures par semaine chez {name}") for name in companies]
    boxes = [form.get_by_role("checkbox", name=f"{name} —") for name in companies]

    hours[0].fill("8,5")
    hours[1].fill("6")
    expect(total).to_have_text("Total\u00a0: 14,5\u00a0h par semaine")
    # Minutes as the server reads them: 8 h 20 is 8,33.
    hours[0].fill("8 h 20")
    expect(total).to_have_text("Total\u00a0: 14,33\u00a0h par semaine")
    # The second company unchecked: its hours are not the placement's any more.
    boxes[1].uncheck()
    expect(total).to_have_text("Total\u00a0: 8,33\u00a0h par semaine")
    boxes[1].check()
    expect(total).to_have_text("Total\u00a0: 14,33\u00a0h par semaine")
    # An entry the server would refuse: no total made of the other companies' hours.
    hours[1].fill("six")
    expect(total).to_have_text("Total\u00a0: — (une durée n'est pas lisible)")
    hours[1].fill("6,555")
    expect(total).to_have_text("Total\u00a0: — (une durée n'est pas lisible)")
    hours[1].fill("")
    expect(total).to_have_text("Total\u00a0: — (une durée n'est pas indiquée)")
    hours[1].fill("60")
    expect(total).to_have_text("Total\u00a0: — (une durée n'est pas entre 1\u00a0h et 48\u00a0h)")
    # Unchecked, the company's unreadable hours count for nothing.
    hours[1].fill("six")
    boxes[1].uncheck()
    expect(total).to_have_text("Total\u00a0: 8,33\u00a0h par semaine")
    boxes[0].uncheck()
    expect(total).to_have_text("Total\u00a0: — (aucune entreprise cochée)")
    boxes[0].check()
    boxes[1].check()
    hours[1].fill("6")
    expect(total).to_have_text("Total\u00a0: 14,33\u00a0h par semaine")
    total.scroll_into_view_if_needed()
    blocking = check(page, f"placement-total-{size['width']}", "total du placement")
    assert not blocking, describe(blocking)
    # On a phone the total stays inside the form's box.
    box, line = form.bounding_box(), total.bounding_box()
    assert line["x"] + line["width"] <= box["x"] + box["width"], "le total dépasse du cadre"


def test_without_javascript_the_form_is_the_server_s(browser, live_server):
    lead_id, _companies = _accepted_bundle(live_server)
    context = browser.new_context(viewport=PHONE, locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        open_as(page, live_server, "operator", PHONE, f"/operateur/propositions/{lead_id}")
        form = page.get_by_role("region", name="Enregistrer un placement")
        expect(form.get_by_text("Proposées : celles des besoins")).to_be_visible()
        expect(form.locator("[data-placement-total]")).to_be_hidden()
    finally:
        context.close()
