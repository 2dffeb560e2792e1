"""On a phone, an operator member accepts the demo lead and can call the company from
the lead page: before acceptance the page has no contact, after it a ``tel:`` link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, check, describe, lead_to_accept, open_as

pytestmark = pytest.mark.browser


def test_operator_accepts_the_demo_lead_and_calls_the_company_on_a_phone(page, live_server):
    open_as(page, live_server, "operator", PHONE)
    lead_to_accept(page, live_server)
    calls = page.locator("main a[href^='tel:']")
    assert calls.count() == 0  # nothing to call before accepting
    assert "apparaissent une fois la proposition acceptée" in page.content()

    with page.expect_navigation():
        page.get_by_role("button", name="Accepter la proposition").click()
    expect(page.locator("main strong.status").first).to_have_text("Acceptée", use_inner_text=True)
    call = page.locator("main .company-contact a[href^='tel:']").first
    expect(call).to_be_visible()
    number = call.get_attribute("href").removeprefix("tel:")
    assert re.fullmatch(r"0\d{9}", number)
    # Shown as people read a number, two digits at a time.
    expect(call).to_have_text(
        " ".join(number[i : i + 2] for i in range(0, 10, 2)), use_inner_text=True
    )
    assert page.get_by_text("Lieu de travail").count() >= 1
    blocking = check(page, "operateur-proposition-acceptee-contact-390", "contact (390 px)")
    assert not blocking, describe(blocking)
