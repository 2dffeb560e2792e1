"""No input may produce a 500: every route, as every role, with odd path values, odd
query strings and odd forms, answers with a page (2xx, 3xx or a French 4xx)."""

from __future__ import annotations

import itertools

import pytest
from werkzeug.test import EnvironBuilder

from connectences import workflows
from connectences.extensions import db
from connectences.models import Candidate, Commitment, Need, Operator
from connectences.workflows.dispatch import send_lead
from connectences.workflows.leads import accept
from tests import factories as f
from tests.helpers import by_ref

# Each test sends every route a few hundred requests: seconds each (see conftest's order).
pytestmark = pytest.mark.slow

ODD_VALUES = ["0", "1", "-1", "abc", "999999999", "'\"><script>", "%00", "é" * 300, "1e309", " "]
QUERY_KEYS = [
    "q", "page", "tri", "statut", "commune", "intercommunalite", "autour", "rayon", "niveau",
    "heures_min", "heures_max", "jours", "contrat", "disponible_le", "source", "confirme",
    "entreprise", "visite", "age", "domaine", "attente", "du", "au", "canal", "animateur",
    "resultat", "limit", "type", "next", "format", "rome", "naf", "epci",
]  # fmt: skip
FORM_KEYS = QUERY_KEYS + [
    "title", "skills", "level", "hours_per_week", "days", "contract", "reason", "start",
    "siret", "name", "email", "phone", "first_name", "last_name", "action", "motif",
    "precision", "issue", "candidat", "besoins", "heures", "debut", "message", "note",
    "to", "target", "reason_code", "reason_text", "date", "channel", "topics", "outcome",
    "libelle", "fin", "confirmer", "choix", "notes", "statut",
]  # fmt: skip


@pytest.fixture
def world(auth):
    f.load(
        f.document(
            operators=[f.operator(ref="ge")],
            partners=[f.partner(ref="ft")],
            companies=[f.company(ref="c1")],
            candidates=[f.candidate(ref="p1")],
            needs=[f.need(ref="n1", company="c1")],
        )
    )
    # Shared time: an accepted lead of the operator logged in below (id 1) and a
    # commitment of the person (id 1), so the routes of both reach their forms.
    need, person = by_ref(Need, "n1"), by_ref(Candidate, "p1")
    person.commitments.append(Commitment(hours_per_week=8, days=["mon"], label="Mairie"))
    workflows.transition(db.session, need, workflows.NEED, "qualifie")
    lead = send_lead(db.session, needs=[need], operator=by_ref(Operator, "ge"), candidates=[person])
    accept(db.session, lead)
    db.session.commit()


def _login(auth, role):
    """Log in as ``role``; an operator member belongs to the world's operator."""
    auth.login(role, **({"org_ref": "ge"} if role == "operator" else {}))


def _routes(app, method: str) -> list[tuple[str, list[str]]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if method in rule.methods and not rule.rule.startswith("/static"):
            routes.append((rule.rule, sorted(rule.arguments)))
    return sorted(routes)


def _paths(rule: str, arguments: list[str]) -> list[str]:
    values = ["1", "n1", "c1", "p1", "csv", "xlsx", "abc", "999999", "..%2f..%2fetc"]
    paths = []
    for value in values if arguments else [None]:
        path = rule
        for name in arguments:
            path = path.replace(f"<int:{name}>", value if value.isdigit() else "1")
            for converter in ("", "string:", "path:"):
                path = path.replace(f"<{converter}{name}>", value)
        paths.append(path)
    return list(dict.fromkeys(paths))


def _odd(keys: list[str], seed: int) -> dict:
    """Each of ``keys`` with an odd value, the values taken in turn from ``seed`` on."""
    cycle = itertools.cycle(ODD_VALUES[seed:] + ODD_VALUES[:seed])
    return {key: next(cycle) for key in keys}


def _odd_query(seed: int) -> str:
    """Every known parameter with an odd value, encoded once (the sweep sends it to every
    route: encoding it again for each request was a sixth of the sweep's time)."""
    return EnvironBuilder(query_string=_odd(QUERY_KEYS, seed)).query_string


def _odd_form(seed: int) -> tuple[bytes, str]:
    """Every known form field with an odd value: the body a browser would post, and its
    content type, encoded once for every route."""
    environ = EnvironBuilder(method="POST", data=_odd(FORM_KEYS, seed)).get_environ()
    return environ["wsgi.input"].read(), environ["CONTENT_TYPE"]


ODD_QUERIES = [_odd_query(seed) for seed in (0, 3)]
ODD_FORMS = [_odd_form(seed) for seed in (0, 4)]


@pytest.mark.parametrize(
    "role",
    [None, "animateur", "admin", "operator", "partner", "company", "candidate", "territoire"],
)
def test_get_routes_never_answer_500(app, client, auth, world, role):
    if role:
        _login(auth, role)
    failures = []
    for rule, arguments in _routes(app, "GET"):
        for path in _paths(rule, arguments):
            for query in ODD_QUERIES:
                response = client.get(path, query_string=query)
                if response.status_code >= 500:
                    failures.append(f"GET {path} -> {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", [None, "animateur", "admin", "operator", "partner"])
def test_post_routes_never_answer_500(app, client, auth, world, role):
    if role:
        _login(auth, role)
    failures = []
    for rule, arguments in _routes(app, "POST"):
        if rule in ("/deconnexion",):
            continue
        for path in _paths(rule, arguments)[:3]:
            for body, content_type in ODD_FORMS:
                response = client.post(path, data=body, content_type=content_type)
                if response.status_code >= 500:
                    failures.append(f"POST {path} -> {response.status_code}")
                db.session.rollback()
    assert not failures, "\n".join(failures)
