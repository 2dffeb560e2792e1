"""Every hours or distance field of every form (need, CV, commitment, placement) opens the
keyboard with a decimal comma on a phone: "7,5" is accepted (and a stored "12,5 km" is
shown back so), a digits-only keyboard cannot type it."""

from __future__ import annotations

import re

from tests.test_web_operators import _post, world  # noqa: F401 (fixture)

INPUT = re.compile(r"<input\b[^>]*>")
HOURS_NAMES = {"hours_min", "hours_max", "hours_per_week", "heures", "mobility_km"}


def _hours_inputs(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    return [
        tag
        for tag in INPUT.findall(page)
        if (found := re.search(r'name="([^"]+)"', tag)) and found.group(1) in HOURS_NAMES
    ]


def _decimal_keyboards(response, expected: int) -> None:
    inputs = _hours_inputs(response)
    assert len(inputs) == expected, inputs
    for tag in inputs:
        # A text field with the decimal keyboard: type="number" drops "7,5" in some locales.
        assert 'inputmode="decimal"' in tag and 'type="number"' not in tag, tag


def test_the_public_forms_hours_fields_offer_the_decimal_comma(client):
    _decimal_keyboards(client.get("/deposer-mon-cv"), 3)
    _decimal_keyboards(client.get("/exprimer-un-besoin"), 1)


def test_the_staff_forms_hours_fields_offer_the_decimal_comma(client, auth, world):  # noqa: F811
    auth.login("animateur")
    _decimal_keyboards(client.get("/animateur/cvtheque/nouveau"), 3)
    _decimal_keyboards(client.get("/animateur/cvtheque/ok/engagements/nouveau"), 1)
    _decimal_keyboards(client.get("/animateur/besoins/nouveau?entreprise=c1"), 1)
    _decimal_keyboards(client.get("/animateur/besoins/n1/qualifier"), 1)
    auth.logout()
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    _decimal_keyboards(client.get(url), 1)  # the placement form
