"""Refs from the interchange in the platform's addresses: a ref holding "/", "?", "%2F",
spaces or "#" has its pages and API routes (each character escaped by ``url_for``), and
the few refs no address can carry are refused at import, at their pointer, in French."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from flask import url_for
from sqlalchemy import func, select

from connectences import workflows
from connectences.exchange.exporter import normalize_document
from connectences.extensions import db
from connectences.models import Candidate, Company, Need
from connectences.urls import external_url, ref_address_problem
from tests import factories
from tests.helpers import by_ref
from tests.test_api_v1 import _problem, bearer, token_for

COMPANY = "SIRENE/904 123 452?site=1"
CANDIDATE = "FT/cv/2027%2F0012"
NEEDS = ("FT/2027/0001", "besoin?a=1&b=2", "lot%2F7", "Atelier n°3 #bis", "50 %", "a\nb")


def _document():
    return factories.document(
        format="connectences/v1.1",
        companies=[factories.company(ref=COMPANY, name="Cabane Dubern")],
        candidates=[factories.candidate(ref=CANDIDATE, first_name="Lou", last_name="Barre")],
        needs=[
            factories.need(ref=ref, company=COMPANY, title=f"Besoin {i}")
            for i, ref in enumerate(NEEDS)
        ],
    )


def _import(client, token, document):
    return client.post(
        "/api/v1/exchange",
        data=json.dumps(document),
        content_type="application/json",
        headers=bearer(token),
    )


@pytest.fixture
def staff(auth):
    return token_for(auth.create("animateur"))


@pytest.fixture
def imported(client, staff):
    document = _document()
    response = _import(client, staff, document)
    assert response.status_code == 200, response.get_data(as_text=True)
    return document


def _path(app, endpoint, **values):
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.mark.parametrize("ref", NEEDS)
def test_an_imported_need_is_read_through_the_api_whatever_its_ref(
    app, client, staff, imported, ref
):
    path = _path(app, "api_v1.get_needs", ref=ref)
    # Every character a URL would read otherwise is escaped; "/" stays a "/".
    assert "?" not in path and "#" not in path and " " not in path and "\n" not in path
    # As url_for writes it, and as a client escaping everything (%2F included) writes it.
    for url in (path, "/api/v1/needs/" + quote(ref, safe="")):
        response = client.get(url, headers=bearer(staff))
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        assert response.get_json()["ref"] == ref
    for route in ("api_v1.need_matches", "api_v1.need_route"):
        response = client.get(_path(app, route, ref=ref), headers=bearer(staff))
        assert response.status_code == 200, response.get_data(as_text=True)


def test_the_other_records_are_read_by_their_ref_too(app, client, staff, imported):
    for endpoint, ref in (("api_v1.get_companies", COMPANY), ("api_v1.get_candidates", CANDIDATE)):
        response = client.get(_path(app, endpoint, ref=ref), headers=bearer(staff))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["ref"] == ref
    # A ref that is only a prefix of one, or one with "%2F" read as "/", is another record.
    for url in ("/api/v1/needs/FT/2027", "/api/v1/needs/lot/7"):
        _problem(client.get(url, headers=bearer(staff)), 404)


def test_a_need_whose_ref_holds_a_slash_is_written_through_the_api(app, client, staff, imported):
    ref = "FT/2027/0001"
    workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    db.session.commit()
    url = _path(app, "api_v1.get_needs", ref=ref)
    etag = client.get(url, headers=bearer(staff)).headers["ETag"]
    response = client.post(
        _path(app, "api_v1.move_need", ref=ref),
        json={"status": "en_recherche"},
        headers=bearer(staff) | {"If-Match": etag},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["ref"] == ref
    assert by_ref(Need, ref).status == "en_recherche"
    # The other needs sharing its first characters were left alone.
    assert by_ref(Need, "lot%2F7").status == "nouveau"


def test_the_export_gives_the_refs_back_as_they_were_sent(client, staff, imported):
    response = client.get("/api/v1/exchange", headers=bearer(staff))
    assert response.status_code == 200
    exported = response.get_json()
    expected = normalize_document(imported)
    for name in ("companies", "candidates", "needs"):
        assert exported[name] == expected[name]
    # Imported again, the exported document changes nothing.
    counts = _import(client, staff, exported).get_json()["counts"]
    assert all(c["created"] == c["updated"] == 0 for c in counts.values())


def test_the_pages_of_such_records_open_and_link_to_each_other(app, client, auth, imported):
    auth.login("animateur")
    need_page = _path(app, "needs.show", ref="FT/2027/0001")
    assert need_page == "/animateur/besoins/FT/2027/0001"
    html = client.get(need_page).get_data(as_text=True)
    assert "Besoin 0" in html
    for endpoint, ref, shown in (
        ("needs.show", "besoin?a=1&b=2", "Besoin 1"),
        ("needs.qualify", "lot%2F7", "Besoin 2"),
        ("directory.show", COMPANY, "Cabane Dubern"),
        ("library.show", CANDIDATE, "Lou"),
        ("library.complete_week", CANDIDATE, "Lou"),
    ):
        response = client.get(_path(app, endpoint, ref=ref))
        assert response.status_code == 200, (endpoint, ref)
        assert shown in response.get_data(as_text=True)
    # The company's page links to its needs by their escaped address.
    company_page = client.get(_path(app, "directory.show", ref=COMPANY)).get_data(as_text=True)
    assert 'href="/animateur/besoins/besoin%3Fa=1&amp;b=2"' in company_page


def test_a_form_on_such_a_page_writes_and_comes_back_to_it(app, client, auth, imported):
    auth.login("animateur")
    page = _path(app, "library.show", ref=CANDIDATE)
    stamp = workflows.read_stamp(by_ref(Candidate, CANDIDATE))
    response = client.post(
        _path(app, "library.change_notes", ref=CANDIDATE),
        data={"notes": "Rappeler lundi", "lu_le": stamp},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == page + "#notes"
    assert page == "/animateur/cvtheque/FT/cv/2027%252F0012"
    assert by_ref(Candidate, CANDIDATE).notes == "Rappeler lundi"


def test_a_mail_link_to_such_a_record_is_escaped(app):
    assert external_url("needs.show", ref="FT/2027/0001?x") == (
        "http://localhost/animateur/besoins/FT/2027/0001%3Fx"
    )


REFUSED = [
    # Another route's address: the matches of "x", the form of a new need, an export.
    ("needs", "x/matches", "/api/v1/needs/x/matches"),
    ("needs", "x/pourquoi-pas", "/animateur/besoins/x/pourquoi-pas"),
    ("needs", "nouveau", "/animateur/besoins/nouveau"),
    ("needs", "export/csv", "/animateur/besoins/export/csv"),
    ("candidates", "import/abc", "/animateur/cvtheque/import/abc"),
    ("candidates", "doublons", "/animateur/cvtheque/doublons"),
    ("companies", "c1/diagnostic", "/animateur/entreprises/c1/diagnostic"),
    ("companies", "recherche", "/animateur/entreprises/recherche"),
    # Slashes and dot segments that browsers, proxies or the router change.
    ("needs", "/FT/1", "« / »"),
    ("needs", "FT/1/", "« / »"),
    ("companies", "FT//1", "« / »"),
    ("needs", "..", "« .. »"),
    ("candidates", "FT/./1", "« .. »"),
]


def _with_ref(collection: str, ref: str) -> dict:
    company = factories.company(ref="c-ok")
    items = {
        "companies": [company],
        "candidates": [factories.candidate()],
        "needs": [factories.need(company="c-ok")],
    }
    items[collection][0]["ref"] = ref
    if collection == "companies":
        items["needs"][0]["company"] = ref
    return factories.document(**items)


def _stored() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Company, Candidate, Need)
    )


@pytest.mark.parametrize("collection,ref,said", REFUSED)
def test_a_ref_no_address_can_carry_is_refused_at_its_pointer(client, staff, collection, ref, said):
    before = _stored()
    body = _problem(_import(client, staff, _with_ref(collection, ref)), 422)
    assert [e["pointer"] for e in body["errors"]] == [f"/{collection}/0/ref"]
    detail = body["errors"][0]["detail"]
    assert detail.startswith(f"La référence « {ref} » ") and said in detail
    assert _stored() == before


def test_the_command_line_import_refuses_it_too(app, runner, tmp_path):
    path = tmp_path / "document.json"
    path.write_text(json.dumps(_with_ref("needs", "x/route")), encoding="utf-8")
    result = runner.invoke(args=["exchange", "import", str(path)])
    assert result.exit_code != 0
    assert "/needs/0/ref" in result.output and "x/route" in result.output
    assert _stored() == (0, 0, 0)


def test_ordinary_refs_have_no_address_problem(app):
    with app.app_context():
        for collection in ("operators", "partners", "companies", "candidates", "needs"):
            for ref in ("besoin-12", "FT/2027/0001", "a?b#c", "50 %", "é/è", "nouveau-1"):
                assert ref_address_problem(collection, ref) is None, (collection, ref)


def test_the_plain_refs_shortcut_answers_as_the_whole_check(app):
    """Refs of letters, digits, "-" and "_" skip the route-by-route check unless they are
    a route's word: each answer must be the one the whole check gives."""
    from connectences import urls

    with app.test_request_context():
        literals, prefixes = urls.app_route_words(app)
        refs = sorted(literals | {p + "x" for p in prefixes} | {p + "12" for p in prefixes})
        refs += ["cv-1", "n1", "FT-2027", "12", "12a", "_", "-", "nouveau", "export"]
        for collection in urls.REF_CONVERTERS:
            for ref in refs:
                if not ref:
                    continue
                full = urls._address_problem(app, collection, ref)
                assert urls.ref_address_problem(collection, ref) == full, (collection, ref)
