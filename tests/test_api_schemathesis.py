"""schemathesis drives every operation of the API from its own OpenAPI document (the
application's, loaded through WSGI): for each, generated valid and invalid inputs are
sent with a token of each role. No answer is a 500, and each answer (status, media
type, headers, body) is one the document describes.

The examples are few per operation (``MAX_EXAMPLES``, each sent with ``ROLES_PER_CASE``
roles in turn, so every role gets several of each operation): CI runs this in well under
a minute, the property being the same at any count; raise SCHEMATHESIS_MAX_EXAMPLES to
run longer.
"""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.wsgi import WSGI_TRANSPORT

from connectences import create_app
from connectences.content import directory
from connectences.events import catalogue
from connectences.extensions import db
from connectences.models import Lead, LeadNeed, Need, Operator, utcnow
from tests import factories
from tests.helpers import by_ref
from tests.test_api_v1 import bearer, token_for

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
ROLES_PER_CASE = 3
ROLES = ("admin", "animateur", "company", "operator", "partner", "candidate", "territoire")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _document() -> dict:
    """The application's OpenAPI document, read from an application of its own (the
    operations are collected before the suite's application exists)."""
    spare = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "document"}
    )
    return spare.test_client().get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_document())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
)


@pytest.fixture
def turns():
    return itertools.cycle(ROLES)


@pytest.fixture
def tokens(app, auth, monkeypatch):
    """A token for each role, and records for every kind, some reachable by refs the
    generator may try (``besoin-a``, lead ``1``, event ``1``)."""
    monkeypatch.setitem(app.config, "API_MAX_REQUESTS", 1_000_000)
    users = {role: auth.create(role) for role in ROLES}
    factories.load(
        factories.document(
            needs=[factories.need(ref="besoin-a", company=users["company"].companies[0].ref)],
            candidates=[factories.candidate(ref="cv-1")],
        )
    )
    lead = Lead(operator=db.session.get(Operator, users["operator"].operator_id))
    lead.needs.append(LeadNeed(need=by_ref(Need, "besoin-a")))
    db.session.add(lead)
    _content(users["operator"].operator_id)
    db.session.commit()
    return {role: token_for(user) for role, user in users.items()}


def _content(operator_id: int) -> None:
    """Public content of each kind, so that the lists' items are checked too: a webinar,
    a published and a draft resource, a published directory entry, a testimonial."""
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    catalogue.create_event(
        db.session,
        {
            "kind": "webinaire",
            "title": "Webinaire",
            "audience": "tous",
            "day": day,
            "start": "11:00",
            "end": "12:00",
            "link": "https://visio.exemple.fr/salle",
            "capacity": "20",
        },
        by=None,
    )
    for slug, published in (("aide", True), ("brouillon", False)):
        db.session.add(factories.resource_row(slug=slug, published=published))
    entry = directory.entry_of(db.session, "operator", operator_id)
    entry.offer, entry.email, entry.published_at = "Du temps partagé.", "ge@exemple.fr", utcnow()
    db.session.add(factories.testimonial_row(by_ref(Need, "besoin-a")))


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_operation_answers_as_documented(app, case, tokens, turns):
    # The roles take turns, ROLES_PER_CASE for each generated case: every role is sent
    # several cases of every operation, at a fraction of the cost of all roles each time.
    for _ in range(ROLES_PER_CASE):
        role = next(turns)
        response = WSGI_TRANSPORT.send(case, app=app, headers=bearer(tokens[role]))
        db.session.rollback()
        case.validate_response(response, checks=CHECKS)
