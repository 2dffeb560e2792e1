"""Each demo account logs in through the real form and lands on its home page, which is
screenshotted on a phone and a desktop and passes axe-core with no serious or critical
violation. Later journeys (visit on a phone, CV submission...) join this package."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connectences import vocab
from connectences.web.access import ROLE_HOME
from tests.browser.support import (
    ACCOUNTS,
    DESKTOP,
    PHONE,
    audit,
    describe,
    log_in,
    path_of,
    screenshot,
)

pytestmark = pytest.mark.browser


def test_the_login_page_is_accessible_on_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    response = page.goto(live_server.url + path_of(live_server, "auth.login"))
    assert response.status == 200
    screenshot(page, "connexion-390")
    blocking = audit(page, "page de connexion (390 px)")
    assert not blocking, describe(blocking)


@pytest.mark.parametrize("role", list(vocab.ROLES))
def test_each_role_lands_on_its_accessible_home(page, live_server, role):
    response = log_in(page, live_server, role)
    assert response.status == 200
    assert page.url == live_server.url + path_of(live_server, ROLE_HOME[role])
    # The header names who is logged in: the session holds the right account.
    expect(page.get_by_role("banner").get_by_text(ACCOUNTS[role].full_name)).to_be_visible()

    blocking = []
    for name, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        screenshot(page, f"accueil-{role}-{name}")
        blocking += audit(page, f"accueil {vocab.ROLES[role]} ({name} px)")
        # Nothing may force a sideways scroll on a phone.
        if name == "390":
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"la page déborde de {overflow} px en largeur sur un téléphone"
    assert not blocking, describe(blocking)
