"""/api/docs: Swagger UI, served from our own static files, shows every operation of the
API's OpenAPI document under the strict CSP (no violation reported by the browser)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_render_every_operation_under_the_csp(page, live_server):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(live_server.url + "/api/docs")
    assert response.status == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=15_000)
    spec = page.evaluate("() => fetch('/api/v1/openapi.json').then(r => r.json())")
    operations = sum(
        1 for item in spec["paths"].values() for method in item if method in ("get", "post")
    )
    assert page.locator(".opblock").count() == operations
    expect(page.get_by_text("/api/v1/needs/{ref}/matches").first).to_be_visible()
    # The document's own words are French, under Swagger UI's English controls.
    expect(page.locator(".info .title")).to_contain_text("API de Connect'ences")
    page.locator(".opblock-summary").first.click()
    expect(page.get_by_text("Succès").first).to_be_visible()
    expect(page.get_by_text("Erreur : un problème RFC 9457, en français").first).to_be_visible()
    assert violations == []
    # Everything came from the platform itself.
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requests)
