"""A form guarded against lost updates (its hidden read stamp ``lu_le``) is sent once: on
a slow network, a second tap while the first sending was on its way sent the same stamp
again; the first saved, the second was refused as "modifié par quelqu'un d'autre", and
that refusal is what the browser showed (``static/js/send-once.js``)."""

from __future__ import annotations

import pytest

from tests.browser.support import PHONE, open_as

pytestmark = pytest.mark.browser

# Submit events dispatched by a script do not send the form: each says only whether the
# page's handlers stopped it (seen last, on window, once every handler has run).
SUBMITS = """(action) => {
  const form = [...document.forms].find((f) => f.action.includes(action));
  const seen = [];
  const look = (event) => seen.push(event.defaultPrevented);
  window.addEventListener("submit", look);
  for (let i = 0; i < 2; i++) {
    form.dispatchEvent(new SubmitEvent("submit", {bubbles: true, cancelable: true}));
  }
  window.removeEventListener("submit", look);
  return seen;
}"""


def test_a_guarded_form_is_sent_once_and_other_forms_as_often_as_asked(page, live_server):
    open_as(page, live_server, "animateur", PHONE, "/animateur/cvtheque/demo-cv-001")
    # A form with a read stamp (the notes'): the second sending is stopped.
    assert page.evaluate(SUBMITS, "/demo-cv-001/notes") == [False, True]
    # A form without (the status's, guarded on the server by its state): nothing stops it.
    assert page.evaluate(SUBMITS, "/demo-cv-001/statut") == [False, False]


def test_a_guarded_form_saves_once_on_a_double_click(page, live_server):
    open_as(page, live_server, "animateur", PHONE, "/animateur/cvtheque/demo-cv-001")
    page.get_by_label("Notes des animateurs").fill("Préfère les matinées (double clic).")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les notes").dblclick()
    page.wait_for_load_state("load")
    text = page.locator("main").inner_text()
    assert "Notes enregistrées." in text and "modifiées par quelqu'un d'autre" not in text
    # The page shown again, its form may be sent again.
    page.get_by_label("Notes des animateurs").fill("Préfère les après-midi.")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les notes").click()
    assert "Notes enregistrées." in page.locator("main").inner_text()


def test_a_form_that_makes_something_anew_is_sent_once(page, live_server):
    """Each invitation sent ends the link before it, each token made is a new secret: a
    double click must not mail a dead link or make two tokens (``data-une-fois``)."""
    open_as(page, live_server, "admin", PHONE, "/admin")
    assert page.evaluate(SUBMITS, "/admin/invitations") == [False, True]
    page.goto(live_server.url + "/admin/jetons")
    assert page.evaluate(SUBMITS, "/admin/jetons") == [False, True]
