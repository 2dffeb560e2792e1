"""An animateur notes a visit on a phone (390 px) in a real browser while the owner talks:
typing keeps the session open (at most one call every few minutes, none on a page nobody
types in); when the session ended anyway, the visit sent is not lost: after the login the
form opens again filled in, with a notice, and nothing is saved until they press the
button again (web/held.py, static/js/form-keep.js)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from connectences.demo import build_demo_document
from connectences.extensions import db
from connectences.models import LoginSession, User, Visit, utcnow
from tests.browser.support import ACCOUNTS, PHONE, check, describe, open_as, stored_row

pytestmark = pytest.mark.browser

COMPANIES = {c["name"]: c for c in build_demo_document()["companies"]}
NOTES = "La gérante cherche une aide comptable le mardi ; rappeler en septembre."
KEEP_ALIVE = "/api/session/prolonger"


def _end_sessions(server, email: str) -> None:
    """The animateur's sessions, unused for 31 minutes: as after a long conversation."""
    with server.app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == user_id)
            .values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        db.session.commit()
        db.session.remove()


def test_a_visit_typed_while_the_session_ends_comes_back_after_the_login(page, live_server):
    page.clock.install()
    account = ACCOUNTS["animateur"]
    ref = COMPANIES["Le Bistrot du Port"]["ref"]
    form_path = f"/animateur/visites/nouvelle?entreprise={ref}"
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.method) if r.url.endswith(KEEP_ALIVE) else None)
    open_as(page, live_server, "animateur", PHONE, form_path)

    # Typing just after the page opened calls nothing; a page left alone calls nothing.
    page.get_by_label("Téléphone", exact=True).check()
    page.clock.fast_forward("10:00")
    page.wait_for_timeout(200)
    assert calls == []
    # Typing again, minutes later: one call keeps the session open.
    with page.expect_response(lambda r: r.url.endswith(KEEP_ALIVE)) as answer:
        page.get_by_label("Notes").fill(NOTES)
    assert answer.value.status == 204 and calls == ["POST"]
    page.get_by_label("Notes").press("End")
    page.wait_for_timeout(200)
    assert calls == ["POST"]  # not again before the interval

    confirm = page.get_by_label("Je confirme : enregistrer ce contact malgré le contact récent")
    if confirm.count():  # the demo company was contacted within 30 days
        confirm.check()
    # The owner talks on: the session ends while the form is open.
    _end_sessions(live_server, account.email)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la visite").click()
    assert "/connexion" in page.url
    expect(page.get_by_text("ce que vous veniez de saisir vous sera rendu")).to_be_visible()
    assert stored_row(live_server, Visit, Visit.notes == NOTES) is None

    page.get_by_label("Adresse e-mail").fill(account.email)
    page.get_by_label("Mot de passe").fill(account.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    assert page.url.endswith(form_path)
    expect(page.get_by_text("Votre session avait expiré")).to_be_visible()
    expect(page.get_by_label("Notes")).to_have_value(NOTES)
    expect(page.get_by_label("Téléphone", exact=True)).to_be_checked()
    assert stored_row(live_server, Visit, Visit.notes == NOTES) is None
    blocking = check(page, "visite-rendue-390", "visite rendue après la connexion (390 px)")

    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la visite").click()
    expect(page.get_by_text("Visite à « Le Bistrot du Port » enregistrée.")).to_be_visible()
    assert stored_row(live_server, Visit, Visit.notes == NOTES).channel == "telephone"
    assert not blocking, describe(blocking)
