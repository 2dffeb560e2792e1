"""After the CV form, the browser's back button asks to send nothing again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from connectences.extensions import db
from connectences.models import Candidate
from tests.browser.support import PHONE, fill_cv_form

pytestmark = pytest.mark.browser

ADDRESS = "lou.barrere@exemple.fr"


def _count(server, address: str) -> int:
    with server.app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Candidate).where(Candidate.email == address)
        )


def _send(page) -> None:
    page.get_by_role("checkbox", name=re.compile("J'ai lu l'information")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mon profil").click()


def test_back_after_a_refused_then_an_accepted_cv_form_resends_nothing(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/deposer-mon-cv")
    fill_cv_form(page, "Lou", "Barrère", ADDRESS, "plonge\nmise en place", hours_max="60")
    _send(page)
    assert page.locator("#erreurs").is_visible()
    page.get_by_label("Heures par semaine : au plus").fill("20")
    _send(page)
    assert page.url.split("#")[0].endswith("/deposer-mon-cv/merci"), page.url
    assert _count(live_server, ADDRESS) == 1
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # Back: the refused sending's page was answering a POST; sent again it would have
    # asked to confirm (net::ERR_CACHE_MISS). It is the form's page, loaded afresh.
    response = page.go_back()
    assert response is not None and response.request.method == "GET"
    assert page.url.split("#")[0].endswith("/deposer-mon-cv")
    assert page.get_by_role("button", name="Envoyer mon profil").is_visible()
    assert page.locator("#erreurs").count() == 0
    assert not dialogs
    # Forward again: the thanks page, not a second sending.
    page.go_forward()
    assert page.url.split("#")[0].endswith("/deposer-mon-cv/merci"), page.url
    assert _count(live_server, ADDRESS) == 1
