"""A page's title tells it apart from every other page (WCAG 2.4.2): the team's pages
that manage a public list (events, testimonials) are not titled like the public page
a screen-reader user may have open in another tab."""

from __future__ import annotations

import pytest
from flask import url_for

from connectences.models import User
from tests.browser.support import ACCOUNTS, DESKTOP, open_as, path_of, stored_row

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


@pytest.mark.parametrize(
    ("endpoint", "button"),
    [
        ("auth.login", "Se connecter"),
        ("auth.forgot_password", None),
        ("cv_public.submit", None),
    ],
)
def test_a_refused_form_says_so_in_the_title(page, live_server, endpoint, button):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + path_of(live_server, endpoint))
    title = page.title()
    assert not title.startswith("Erreur"), title
    form = page.locator("main form[method=post]").last
    submit = (
        page.get_by_role("button", name=button)
        if button
        else form.locator("button[type=submit], input[type=submit]").last
    )
    with page.expect_navigation():
        submit.click()
    assert page.title() == f"Erreur — {title}", page.title()


def test_the_role_page_title_reads_as_french(page, live_server):
    """« Changer le rôle du compte x@y », not « le rôle de x@y » read before an address."""
    email = ACCOUNTS["animateur"].email
    user = stored_row(live_server, User, User.email == email)
    with live_server.app.test_request_context():
        path = url_for("admin.change_role", user_id=user.id)
    open_as(page, live_server, "admin", DESKTOP, path)
    assert page.title().startswith(f"Changer le rôle du compte {email} · "), page.title()
