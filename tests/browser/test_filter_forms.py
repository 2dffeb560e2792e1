"""The filter forms above the lists (``form.filters``), sent with a refused date: the
controls of each line of the form start at the same height, on a desktop as on a
phone, whatever is above them (a help, a two-line label) or under one of them (the
error). Laid out by the bottoms of their fields, the journal's « Du » sat 78 px lower
than « Au », whose error made its field taller."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import DESKTOP, PHONE, check, describe, open_as

pytestmark = pytest.mark.browser

# The fields (and buttons) of each form, grouped by line: two items whose boxes overlap
# vertically are on one line. For each line, the tops of its controls and whether one
# of its fields shows an error.
LINES = """form => {
  const items = [...form.children].filter(e => e.matches('.field, .filter-actions'));
  const lines = [];
  for (const item of items) {
    const box = item.getBoundingClientRect();
    const control = item.querySelector(
      ':scope > input, :scope > select, :scope > textarea, :scope > .check-list, .filter-buttons > *');
    const entry = {name: control.id || control.textContent.trim(),
                   top: Math.round(control.getBoundingClientRect().top),
                   error: item.classList.contains('field-error')};
    const line = lines.find(l => box.top < l.bottom - 1 && box.bottom > l.top + 1);
    if (line) {
      line.items.push(entry);
      line.top = Math.min(line.top, box.top);
      line.bottom = Math.max(line.bottom, box.bottom);
    } else {
      lines.push({top: box.top, bottom: box.bottom, items: [entry]});
    }
  }
  return lines.map(l => l.items);
}"""


@pytest.mark.parametrize(
    ("role", "path", "name"),
    [
        ("admin", "/admin/journal?du=2026-12-01&au=2026-11-01", "journal"),
        ("animateur", "/animateur/visites?du=2026-12-01&au=2026-11-01", "visites"),
    ],
)
def test_the_controls_of_a_filter_line_line_up_beside_an_error(page, live_server, role, path, name):
    open_as(page, live_server, role, DESKTOP, path)
    form = page.locator("form.filters")
    assert page.locator("form.filters .field-error #au").count() == 1  # the error shown
    blocking = []
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        lines = form.evaluate(LINES)
        # Not a form of one field a line: the line of the error holds another control.
        errors = [line for line in lines if any(item["error"] for item in line)]
        if size is DESKTOP:
            assert errors and len(errors[0]) > 1, lines
        for line in lines:
            tops = {item["name"]: item["top"] for item in line}
            assert max(tops.values()) - min(tops.values()) <= 1, (
                f"{name}, {size['width']} px : contrôles décalés sur une ligne : {tops}"
            )
        blocking += check(page, f"filtres-{name}-{size['width']}", f"filtres, {name}")
    assert not blocking, describe(blocking)


def test_the_cv_search_marks_each_refused_filter_at_its_field(page, live_server):
    """The CV search gives back a refused radius or hours as typed: the summary named
    them, but the fields themselves showed nothing, so on a phone, far under the
    summary, « abc » sat in « Rayon » as if it were applied. Each refused field is now
    marked and says why under it, as the other filter forms do, and its controls stay
    in line with their neighbours'."""
    open_as(
        page,
        live_server,
        "animateur",
        PHONE,
        "/animateur/cvtheque?rayon=abc&heures_min=30&heures_max=10&source=Nulle%20part",
    )
    radius = page.get_by_label("Rayon (km)")
    expect(radius).to_have_value("abc")
    expect(radius).to_have_attribute("aria-invalid", "true")
    expect(radius).to_have_accessible_description("De 0 à 200 km. Erreur : saisissez un nombre.")
    hours = page.locator("#heures_min")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#heures_min-erreurs")).to_contain_text("le minimum dépasse le maximum")
    expect(page.locator("#source")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#source-erreurs")).to_contain_text("aucune personne de la CVthèque")
    # A field nothing is wrong with stays unmarked.
    expect(page.locator("#heures_max")).not_to_have_attribute("aria-invalid", "true")
    # The summary's link leads to the field, which says why.
    page.locator('#erreurs a[href="#rayon"]').click()
    expect(radius).to_be_focused()
    blocking = check(page, "filtres-cvtheque-390", "CVthèque, filtres refusés (390 px)")
    page.set_viewport_size(DESKTOP)
    # The errors under « Rayon » and « de » leave their lines' controls level.
    for line in (["autour", "rayon"], ["rome", "commune", "niveau", "heures_min"]):
        tops = page.evaluate(
            "ids => ids.map(id => Math.round(document.getElementById(id)"
            ".getBoundingClientRect().top))",
            line,
        )
        assert max(tops) - min(tops) <= 1, dict(zip(line, tops, strict=True))
    blocking += check(page, "filtres-cvtheque-1280", "CVthèque, filtres refusés (1280 px)")
    assert not blocking, describe(blocking)
