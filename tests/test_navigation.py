"""The animateur's and admin's navigation fits one row at 1,280 px: entries grouped in
a few menus; the password link sits with the account, not in the menu."""

from __future__ import annotations

import re

import pytest


def _top_level(html: str) -> list[str]:
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    # Top-level entries: the links and group titles directly in the first list.
    nav = re.sub(
        r"<details>.*?<summary[^>]*>(.*?)</summary>.*?</details>", r"[\1]", nav, flags=re.S
    )
    return re.findall(r"<a [^>]*>(.*?)</a>|\[(.*?)\]", nav)


@pytest.mark.parametrize(
    ("role", "groups"), [("animateur", {"Prospection", "CVthèque"}), ("admin", {"CVthèque"})]
)
def test_staff_menu_is_a_few_entries_with_groups(client, auth, role, groups):
    auth.login(role)
    html = client.get("/accueil", follow_redirects=True).get_data(as_text=True)
    entries = [a or b for a, b in _top_level(html)]
    assert len(entries) <= 7, entries
    assert groups <= set(entries)
    assert "Mot de passe" not in entries
    assert 'class="account-link" href="/mot-de-passe"' in html
    # The grouped pages are all still one click away in the menu.
    for label in ("Visites", "Importer des CV", "Doublons de CV"):
        assert f">{label}</a>" in html, label


def test_current_page_inside_a_group_marks_the_group(client, auth):
    auth.login("animateur")
    html = client.get("/animateur/visites").get_data(as_text=True)
    assert '<summary class="nav-current">Prospection</summary>' in html
