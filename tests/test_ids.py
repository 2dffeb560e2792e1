"""Ids from outside (paths, query strings, forms) stop at the range of a stored id: a
larger number is an address or a choice that names nothing, never a server error."""

from __future__ import annotations

import html
import re

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from connectences.extensions import db
from connectences.ids import MAX_ID, read_id
from connectences.newsletter import blocks
from connectences.web.ids import IdConverter
from tests import factories

TOO_LARGE = str(MAX_ID + 1)  # 2147483648: PostgreSQL's INTEGER cannot hold it
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        (12, 12),
        (str(MAX_ID), MAX_ID),
        (TOO_LARGE, None),
        ("99999999999999999999", None),
        ("-99999999999999999999", None),
        ("-3", None),
        ("0", None),
        ("", None),
        (None, None),
        ("abc", None),
        ("1e3", None),
        ("1_000", None),
        ("١٢", None),
        (MAX_ID + 1, None),
        (True, None),
    ],
)
def test_read_id_takes_whole_numbers_within_a_stored_id(value, expected):
    assert read_id(value) == expected


def _id_rules(app):
    """(rule, methods) of every route with an ``<int:...>`` argument."""
    rules = []
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            rules.append((rule, sorted(rule.methods - {"HEAD", "OPTIONS"})))
    return sorted(rules, key=lambda item: item[0].rule)


def _too_large_path(rule) -> str:
    """The rule's path with MAX_ID + 1 in each int argument, and a plausible value elsewhere."""

    def value(found):
        converter = found.group(1)
        if converter == "int":
            return TOO_LARGE
        return "html" if found.group(2) == "fmt" else "x"

    return ARGUMENT.sub(value, rule.rule)


def test_every_int_route_uses_the_bounded_converter(app):
    # The sweep below only means something if the routes are there.
    rules = [rule.rule for rule, _ in _id_rules(app)]
    assert "/evenements/<int:event_id>" in rules
    assert "/admin/jetons/<int:token_id>/revoquer" in rules
    assert not [
        rule.rule
        for rule in app.url_map.iter_rules()
        for converter in rule._converters.values()
        if type(converter) is not IdConverter and isinstance(converter, IntegerConverter)
    ]


@pytest.mark.parametrize("role", [None, "animateur", "admin", "operator", "partner"])
def test_an_id_past_a_stored_integer_is_not_a_server_error(app, client, auth, role):
    if role:
        auth.login(role)
    failures = []
    for rule, methods in _id_rules(app):
        path = _too_large_path(rule)
        for method in methods:
            response = client.open(path, method=method)
            db.session.rollback()
            # No route matches, whoever asks: the French "Page introuvable".
            if response.status_code != 404:
                failures.append(f"{method} {path} -> {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "path",
    [
        "/evenements/99999999999999999999",
        f"/evenements/{TOO_LARGE}.ics",
        f"/lettres/{TOO_LARGE}",
        f"/temoignages/{TOO_LARGE}/photo.jpg",
    ],
)
def test_a_too_large_id_is_page_not_found_for_a_visitor(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_the_largest_stored_id_still_matches_its_route(app):
    # The bound is the stored range, not lower; past it, no route at all.
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/evenements/{MAX_ID}") == ("events.show", {"event_id": MAX_ID})
    with pytest.raises(NotFound):
        adapter.match(f"/evenements/{TOO_LARGE}")


# Ids in query strings and forms: each page reads them with read_id, and one past the
# stored range is "no such record" on that page, as any unknown id.
HUGE = ["99999999999999999999", "-99999999999999999999", TOO_LARGE]


@pytest.mark.parametrize("value", HUGE)
def test_a_need_opened_from_a_visit_that_cannot_exist_is_told_so(client, auth, value):
    auth.login("animateur")
    factories.load(factories.document(companies=[factories.company(ref="c1")]))
    url = "/animateur/besoins/nouveau"
    opened = client.get(url, query_string={"entreprise": "c1", "visite": value})
    assert opened.status_code == 200
    assert "lors de la visite" not in opened.get_data(as_text=True)
    sent = client.post(url, query_string={"entreprise": "c1", "visite": value})
    assert sent.status_code == 422
    assert "Cette visite n'existe pas" in html.unescape(sent.get_data(as_text=True))


@pytest.mark.parametrize("value", HUGE)
def test_a_diagnosis_for_a_visit_that_cannot_exist_is_not_found(client, auth, value):
    auth.login("animateur")
    factories.load(factories.document(companies=[factories.company(ref="c1")]))
    response = client.get("/animateur/entreprises/c1/diagnostic", query_string={"visite": value})
    assert response.status_code == 404


@pytest.mark.parametrize("value", HUGE)
def test_the_visits_list_drops_an_animateur_that_cannot_exist(client, auth, value):
    auth.login("animateur")
    response = client.get("/animateur/visites", query_string={"animateur": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", HUGE)
def test_the_audit_log_tells_a_record_number_that_cannot_exist(client, auth, value):
    auth.login("admin")
    response = client.get("/admin/journal", query_string={"numero": value})
    assert response.status_code == 200  # the page, with the filter's error
    # Digits beyond any record's number are told so; anything else, to type digits.
    told = "trop grand" if value.isdigit() else "Saisissez le numéro de la fiche"
    assert told in response.get_data(as_text=True)
    assert "Certains filtres n&#39;ont pas été appliqués." in response.get_data(as_text=True)


@pytest.mark.parametrize("value", HUGE)
def test_requeuing_a_message_that_cannot_exist_is_refused(client, auth, value):
    auth.login("admin")
    assert client.post("/admin/courriels/relancer", data={"message": value}).status_code == 400


@pytest.mark.parametrize("value", HUGE)
def test_a_newsletter_block_naming_a_testimonial_that_cannot_exist_is_not_shown(value):
    assert blocks.testimonial_still_shown(db.session, value) is False


@pytest.mark.parametrize("number", [2**31, 3 * 10**9, 2**62])
def test_an_id_past_postgresql_s_integer_is_not_found_on_either_database(client, number):
    # PostgreSQL's INTEGER stops at 2**31 - 1: 3 000 000 000 was "integer out of range",
    # a 500, where SQLite only stopped at 2**63.
    for path in (f"/evenements/{number}", f"/evenements/{number}.ics", f"/lettres/{number}"):
        assert client.get(path).status_code == 404, path
