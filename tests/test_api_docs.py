"""/api/docs: public, Swagger UI served from our own static files, of the version that
package.json pins, with its licence shipped beside it (the browser test
tests/browser/test_api_docs.py renders it under the CSP)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "connectences" / "static" / "vendor" / "swagger-ui"


def test_the_docs_page_is_public_and_loads_only_our_files(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    # Each file is linked by version (web/links.py): the paths, without it.
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"?]+)', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert "/static/js/api-docs.js" in sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert "<script>" not in html  # no inline script: the CSP would block it
    assert 'data-spec="/api/v1/openapi.json"' in html
    for url in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/js/api-docs.js"):
        with client.get(url) as asset:
            assert asset.status_code == 200


def test_the_shipped_swagger_ui_is_the_pinned_one_with_its_licence():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["swagger-ui-dist"]
    assert (VENDOR / "VERSION").read_text().strip() == pinned
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
    assert "swagger-ui-dist" in (ROOT / "README.md").read_text()


def test_the_docs_page_is_introduced_and_titled_in_french(client):
    response = client.get("/api/docs")
    html = response.get_data(as_text=True)
    assert "<title>Documentation de l'API" in html
    assert "<h1>Documentation de l'API</h1>" in html
    assert "Les descriptions sont en français" in html
    # What Swagger UI cannot say in French is said beside it.
    glossary = html[html.index('class="api-glossary"') : html.index('id="swagger-ui"')]
    for label in ("Authorize", "Try it out", "Responses", "Example Value", "Schemas"):
        assert f">{label}" in glossary or f"{label}," in glossary, label


def test_the_openapi_document_says_in_french_what_swagger_ui_shows_of_it(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"] == "API de Connect'ences"
    assert spec["components"]["responses"] == {
        "ERREUR": {
            "description": "Erreur : un problème RFC 9457, en français",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    }
    descriptions = {
        answer["description"]
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for answer in operation["responses"].values()
        if "description" in answer
    }
    assert {"Succès", "Créé"} <= descriptions
    assert not descriptions & {"OK", "Created", "Default error response"}
    # smorest's page-number pagination (English descriptions) is not ours: left out.
    assert "PaginationMetadata" not in spec["components"]["schemas"]


def test_the_openapi_records_require_every_field_the_interchange_requires(client):
    """A client generated from the OpenAPI document must not read a field the spec
    requires (a need's hours_per_week, a person's hours and mobility, a commitment's
    hours) as optional: the records are the interchange's, field for field."""
    from connectences.exchange.validate import COMMITMENT_SCHEMA, SCHEMA

    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    records = {
        "Need": SCHEMA["needs"],
        "Company": SCHEMA["companies"],
        "Candidate": SCHEMA["candidates"],
        "Operator": SCHEMA["operators"],
        "Partner": SCHEMA["partners"],
        "Commitment": COMMITMENT_SCHEMA,
    }
    for name, fields in records.items():
        described = schemas[name]
        assert set(fields) <= set(described["properties"]), name
        required = {key for key, spec in fields.items() if spec.required}
        assert required <= set(described.get("required", [])), (name, required)
        for key in set(fields) & {"hours_per_week", "hours_min", "hours_max", "mobility_km"}:
            assert described["properties"][key]["type"] == "number", (name, key)
    # What match and pool derive: "each with score", "its total hours".
    assert {"candidate", "score", "explanation"} <= set(schemas["Match"]["required"])
    assert {"needs", "hours", "days", "candidates"} <= set(schemas["Bundle"]["required"])


def test_operators_and_partners_document_whether_they_are_active(client):
    """Not an interchange field: the records add it, and the document says what false
    means, so that a client can leave a deactivated one out of what it sends work to."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("Operator", "Partner"):
        active = schemas[name]["properties"]["active"]
        assert active["type"] == "boolean" and "active" in schemas[name]["required"]
        assert "ne reçoit plus de nouveaux besoins" in active["description"]


def test_a_proposed_persons_score_is_documented_as_possibly_null(client):
    """A person added to a lead by hand has no score: the lead's body writes null, and
    a client generated from the document must accept it."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    score = schemas["LeadCandidate"]["properties"]["score"]
    assert score["type"] == ["number", "null"]
    assert "score" in schemas["LeadCandidate"]["required"]
