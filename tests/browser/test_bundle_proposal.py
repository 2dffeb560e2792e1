"""A shared-time post whose needs are not all qualified, on a phone: its « Transformer en
proposition » box offered the whole form (operator, message, button), which the
platform then refused (« doit être qualifié avant d'être proposé ») once the animateur
had chosen and written. The box now names each need to qualify, linked to its
qualification; once they are qualified the form is there. Pages pass axe-core and fit
390 px (screenshots ``test-artifacts/screenshots/poste-partage-*``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, check, describe, open_as, path_of

pytestmark = pytest.mark.browser


def test_a_post_with_a_need_to_qualify_leads_to_its_qualification_then_to_the_form(
    page, live_server
):
    open_as(page, live_server, "animateur", PHONE, path_of(live_server, "bundles.index"))
    post = page.locator("section.bundle").first
    post.get_by_text("Transformer en proposition").click()
    links = post.get_by_role("link", name=re.compile(r"^Qualifier « "))
    expect(links.first).to_be_visible()
    # The first demo post fits nobody yet: said in words, not « 0 personne ».
    expect(post).to_contain_text("Aucune personne de la CVthèque ne convient")
    expect(post.get_by_label("Opérateur", exact=True)).to_have_count(0)
    expect(post.get_by_role("button", name="Proposer ce poste en temps partagé")).to_have_count(0)
    blocking = check(page, "poste-partage-a-qualifier-390", "poste à qualifier (390 px)")
    # The post is found again by its needs' pages (two demo needs share a title).
    members = post.locator("table a").evaluate_all("links => links.map(a => a.pathname)")
    assert len(members) >= 2

    def the_post():
        found = page.locator("section.bundle")
        for path in members:
            found = found.filter(has=page.locator(f'table a[href="{path}"]'))
        return found.first

    # Each need qualified through the link (the demo leaves only « temps partagé » to say).
    for _ in range(links.count()):
        with page.expect_navigation():
            links.first.click()
        assert page.url.endswith("/qualifier")
        page.get_by_label("Oui : relève du temps partagé").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Enregistrer et marquer comme qualifié").click()
        expect(page.locator("main")).to_contain_text("Le besoin est maintenant « qualifié ».")
        page.goto(live_server.url + path_of(live_server, "bundles.index"))
        post = the_post()
        post.get_by_text("Transformer en proposition").click()
        links = post.get_by_role("link", name=re.compile(r"^Qualifier « "))

    expect(links).to_have_count(0)
    expect(post.get_by_label("Opérateur", exact=True)).to_be_visible()
    expect(post.get_by_role("button", name="Proposer ce poste en temps partagé")).to_be_visible()
    blocking += check(page, "poste-partage-proposition-390", "proposition d'un poste (390 px)")
    assert not blocking, describe(blocking)
