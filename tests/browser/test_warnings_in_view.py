"""Warnings that ask for an answer are where a phone's reader looks: after an animateur
proposes a need to an organisation nobody there can answer for, the page opens on its
follow-up section and says so there.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, check, open_as

pytestmark = pytest.mark.browser

# In the demo: qualified, and offered to an operator none of whose members has an account.
NEED = "demo-besoin-004"
IDLE_OPERATOR = "Cadres Partagés Atlantique"


def in_view(page, locator) -> bool:
    """Whether ``locator`` is, at least in part, inside the window as it is now."""
    box = locator.bounding_box()
    return (
        box is not None and box["y"] < page.viewport_size["height"] and box["y"] + box["height"] > 0
    )


def test_a_proposal_nobody_can_answer_is_said_where_the_page_opens(page, live_server):
    open_as(page, live_server, "animateur", PHONE, f"/animateur/besoins/{NEED}")
    operator = page.locator("#operateur")
    label = next(
        text for text in operator.locator("option").all_inner_texts() if IDLE_OPERATOR in text
    )
    assert "aucun compte actif" in label
    operator.select_option(label=label)
    with page.expect_navigation():
        page.get_by_role("button", name="Proposer à l'opérateur avec les candidats cochés").click()
    assert page.url.endswith("#suivi")
    warning = page.locator("#suivi .flash-warning")
    expect(warning).to_contain_text("Personne ne lira cet envoi sur la plateforme")
    expect(page.locator("#suivi .flash-success")).to_contain_text(
        f"Besoin proposé à {IDLE_OPERATOR}"
    )
    # Only once, and in the window the page opened on (it used to be at the top, far out
    # of view on a phone, the page opening on the follow-up section).
    assert page.get_by_text("Personne ne lira cet envoi sur la plateforme").count() == 1
    page.wait_for_timeout(200)
    assert in_view(page, warning), "l'avertissement est hors de la vue à l'ouverture"
    assert check(page, "proposition-sans-compte-actif-390", "proposition sans compte actif") == []
