"""A form sent back refused, on a page of several forms, opens on its error summary: the
summary takes the focus (a screen reader reads it first) and says « Erreur — » in the
page's title. Each case is a page with the sent form's summary somewhere down the page:
the placement on the operator's lead page, and the refusals of the read-stamp guard
(``workflows.unchanged_since``) when two people saved the same record."""

from __future__ import annotations

import pytest

from tests.browser.support import DESKTOP, PHONE, lead_to_accept, log_in, open_as

pytestmark = pytest.mark.browser

FOCUSED = "() => document.activeElement && document.activeElement.id"


def _press(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).first.click()
    page.wait_for_load_state("load")


def test_a_refused_placement_opens_on_its_error_summary(page, live_server):
    """The form posted to ``#placement``, a section that cannot take the focus: going to
    that fragment after the page's script took the focus away from the summary."""
    open_as(page, live_server, "operator", PHONE)
    lead_to_accept(page, live_server)
    _press(page, "Accepter la proposition")
    page.get_by_label("Date de début").fill("")
    _press(page, "Enregistrer le placement")
    summary = page.locator("#erreurs-placement")
    assert "Date de début" in summary.inner_text()
    assert page.evaluate(FOCUSED) == "erreurs-placement"
    assert page.title().startswith("Erreur — ")
