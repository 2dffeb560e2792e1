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


def _two_windows(browser, page, live_server, role: str, size: dict, path: str):
    """``page`` and a second window of another browser profile, both logged in as
    ``role`` and opened on ``path``: two tabs read before either saves."""
    other = browser.new_context(viewport=size, locale="fr-FR").new_page()
    open_as(page, live_server, role, size, path)
    log_in(other, live_server, role)
    other.goto(live_server.url + path)
    return other


COMPANY = "/animateur/entreprises/demo-ent-au-fournil-d-andernos"


@pytest.mark.parametrize(
    ("field", "button", "summary", "mine", "theirs"),
    [
        ("max_contacts_per_month", "Enregistrer les préférences", "erreurs-preferences", "2", "3"),
        ("role", "Enregistrer", "erreurs-contact-1", "Cogérante", "Gérante associée"),
    ],
)
def test_a_company_form_refused_as_changed_meanwhile_says_erreur_in_the_title(
    browser, page, live_server, field, button, summary, mine, theirs
):
    """The company page's forms (preferences, a contact) pass their errors under their own
    names, which the base template did not read: the refusal's title was the page's."""
    other = _two_windows(browser, page, live_server, "animateur", PHONE, COMPANY)
    try:
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        other.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        form = f"form:has(input[name=lu_le]):has([name={field}])"
        page.locator(f"{form} [name={field}]").first.fill(theirs)
        with page.expect_navigation():
            page.locator(form).first.get_by_role("button", name=button).click()
        other.locator(f"{form} [name={field}]").first.fill(mine)
        with other.expect_navigation():
            other.locator(form).first.get_by_role("button", name=button).click()
        other.wait_for_load_state("load")
        assert "par quelqu'un d'autre" in other.locator(f"#{summary}").inner_text()
        assert other.evaluate(FOCUSED) == summary
        assert other.locator(f"{form} [name={field}]").first.input_value() == mine
        assert other.title().startswith("Erreur — Au Fournil d'Andernos"), other.title()
        # Sent again from there, the change is saved.
        with other.expect_navigation():
            other.locator(form).first.get_by_role("button", name=button).click()
        assert not other.locator("main .form-error").count()
        assert not other.title().startswith("Erreur")
    finally:
        other.context.close()


def test_a_profile_refused_as_changed_meanwhile_says_erreur_in_the_title(
    browser, page, live_server
):
    """The job seeker's profile, saved in one tab after another: the refusal (passed as
    the page's own message, not a field's error) kept the form's plain title."""
    path = "/candidat/mon-espace/modifier"
    other = _two_windows(browser, page, live_server, "candidate", DESKTOP, path)
    try:
        page.get_by_label("Téléphone").fill("06 39 98 12 35")
        _press(page, "Enregistrer mes changements")
        other.get_by_label("Téléphone").fill("06 39 98 12 37")
        _press(other, "Enregistrer mes changements")
        assert "modifié depuis que vous avez ouvert" in other.locator("#erreurs").inner_text()
        assert other.evaluate(FOCUSED) == "erreurs"
        assert other.get_by_label("Téléphone").input_value() == "06 39 98 12 37"
        assert other.title().startswith("Erreur — Modifier mon profil"), other.title()
        _press(other, "Enregistrer mes changements")
        assert "Vos changements sont enregistrés." in other.locator("main").inner_text()
    finally:
        other.context.close()


def test_a_contact_s_refusal_reads_as_a_summary_not_as_a_line_of_the_contacts(page, live_server):
    """A contact's form sits in an item of the contacts' list, whose style (a grey bar
    on the left of each line) reached every item inside it: the refusal's points, in
    their summary and beside their field, were drawn as lines of the list."""
    open_as(page, live_server, "animateur", PHONE, COMPANY)
    form = "form:has(input[name=lu_le]):has([name=email])"
    page.locator("#contacts summary", has_text="Modifier").first.click()
    page.locator(f"{form} [name=email]").first.fill("pas-un-email")
    _press(page, "Enregistrer")
    points = page.locator("#erreurs-contact-1 li, #contacts .field-error li")
    assert points.count() >= 2
    for point in points.all():
        assert point.evaluate("li => getComputedStyle(li).borderLeftWidth") == "0px"
    line = page.locator("#contacts .timeline > li").first
    assert line.evaluate("li => getComputedStyle(li).borderLeftWidth") == "4px"
