"""A page's title tells it apart from every other page (WCAG 2.4.2): the team's pages
that manage a public list (events, testimonials) are not titled like the public page
a screen-reader user may have open in another tab."""

from __future__ import annotations

import pytest

from tests.browser.support import DESKTOP, open_as, path_of

pytestmark = pytest.mark.browser

# (the team's page, the public page of the same list)
PAIRS = [
    ("events_staff.index", "events.index"),
    ("content_staff.testimonials", "content.testimonials"),
]


@pytest.mark.parametrize(("staff", "public"), PAIRS)
def test_a_team_page_is_not_titled_like_its_public_page(page, live_server, staff, public):
    open_as(page, live_server, "animateur", DESKTOP, path_of(live_server, staff))
    staff_title = page.title()
    page.goto(live_server.url + path_of(live_server, public))
    public_title = page.title()
    assert staff_title.startswith("Gestion des "), staff_title
    assert staff_title != public_title, (staff_title, public_title)
