"""``bench load``'s floor page: guarded as a staff page, shown only by the bench's app."""

from __future__ import annotations

import pytest

from connectences.bench.floor import FLOOR_PATH, create_bench_app
from tests.fixtures_auth import AuthActions
from tests.helpers import another_app


@pytest.fixture
def bench_app(app):
    with another_app(app, create_bench_app) as bench:
        yield bench


def test_the_production_app_has_no_floor_page(client, auth):
    auth.login("animateur")
    assert client.get(FLOOR_PATH).status_code == 404


def test_the_floor_is_the_layout_alone_for_an_animateur(bench_app, auth):
    user = auth.create("animateur", full_name="Aline Bench")
    browser = bench_app.test_client()
    assert AuthActions(browser).post_login(user.email).status_code == 302
    browser.get(FLOOR_PATH)  # shows the login's flash message once
    page = browser.get(FLOOR_PATH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Aline Bench" in html and 'aria-label="Navigation principale"' in html
    main = html.split('<main id="contenu" tabindex="-1">', 1)[1].split("</main>", 1)[0]
    assert main.strip() == ""


def test_the_floor_is_guarded_as_staff_pages_are(bench_app, auth):
    anonymous = bench_app.test_client().get(FLOOR_PATH)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    operator = auth.create("operator")
    browser = bench_app.test_client()
    assert AuthActions(browser).post_login(operator.email).status_code == 302
    assert browser.get(FLOOR_PATH).status_code == 403
