"""API writes: ``If-Match`` (428 without it, 412 when stale), through the web forms'
domain functions, audited, and counted by the contact-pressure guard when they reach a
company."""

from __future__ import annotations

import io
from datetime import timedelta

import marshmallow as ma
import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.clock import local_today
from connectences.exchange.importer import LISTED_ERRORS
from connectences.extensions import db
from connectences.models import Company, Lead, Need, Operator, OutboxMessage, Transition, Visit
from connectences.prospection.pressure import contact_pressure
from connectences.web.api_schemas import FRENCH_MESSAGES, Arguments, fields_within
from connectences.web.api_v1 import WRITE_BODY_MAX_BYTES
from tests import factories
from tests.helpers import audit_entries, by_ref, count
from tests.test_api_v1 import _problem, bearer, token_for


@pytest.fixture
def world(auth):
    operator_user = auth.create("operator")
    factories.load(
        factories.document(
            operators=[factories.operator(ref="autre-ge")],
            companies=[factories.company(ref="c1", name="Cabane Dubern")],
            needs=[factories.need(ref="n1", company="c1"), factories.need(ref="n2", company="c1")],
            candidates=[factories.candidate(ref="cv-1")],
        )
    )
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    db.session.commit()
    return {
        "tokens": {
            "animateur": token_for(auth.create("animateur")),
            "operator": token_for(operator_user),
            "other_operator": token_for(auth.create("operator", org_ref="autre-ge")),
            "company": token_for(auth.create("company")),
        },
        "operator": db.session.get(Operator, operator_user.operator_id).ref,
    }


def _etag(client, token, url):
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.headers["ETag"]


def _post(client, token, url, body, etag=None):
    headers = bearer(token) | ({"If-Match": etag} if etag else {})
    return client.post(url, json=body, headers=headers)


MOVE = {"status": "en_recherche"}


def test_a_write_without_if_match_is_428_and_changes_nothing(client, world):
    response = _post(client, world["tokens"]["animateur"], "/api/v1/needs/n1/status", MOVE)
    assert "If-Match" in _problem(response, 428)["detail"]
    assert by_ref(Need, "n1").status == "qualifie"


def test_a_stale_etag_is_412_and_changes_nothing(client, world):
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    need = by_ref(Need, "n1")
    need.title = "Changé entre-temps"
    db.session.commit()
    _problem(_post(client, token, "/api/v1/needs/n1/status", MOVE, etag), 412)
    assert by_ref(Need, "n1").status == "qualifie"
    assert audit_entries("api.need_status") == []


def test_a_fresh_etag_moves_the_need_through_its_workflow_and_is_audited(client, world):
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    response = _post(client, token, "/api/v1/needs/n1/status", MOVE, etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "en_recherche"
    assert response.headers["ETag"] not in (etag, None)
    assert response.headers["ETag"] == _etag(client, token, "/api/v1/needs/n1")
    need = by_ref(Need, "n1")
    last = db.session.scalars(
        select(Transition)
        .where(Transition.entity == "need", Transition.entity_id == need.id)
        .order_by(Transition.id.desc())
    ).first()
    assert (last.from_state, last.to_state, last.actor_id) == (
        "qualifie",
        "en_recherche",
        audit_entries("api.need_status")[0].actor_id,
    )
    # The same ETag again: the need changed, the second write is refused.
    _problem(_post(client, token, "/api/v1/needs/n1/status", MOVE, etag), 412)


def test_a_move_the_workflow_refuses_is_a_422_problem(client, world):
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    body = _problem(
        _post(client, token, "/api/v1/needs/n1/status", {"status": "pourvu"}, etag), 422
    )
    assert "Impossible" in body["detail"] or "pas possible" in body["detail"]
    assert "page" not in body["detail"]  # an API answer has no page
    assert by_ref(Need, "n1").status == "qualifie"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"{", "n'est pas un document JSON valide (ligne 1, colonne 2)"),
        (b'{"status":\n "x",}', "n'est pas un document JSON valide (ligne 2, colonne 6)"),
        (b'{"status": "\xff"}', "n'est pas un document JSON valide"),
        # Past Python's 4,300 digits an integer is a ValueError of json.loads, not a
        # JSONDecodeError: it was a 500.
        (b'{"status": 1' + b"0" * 5000 + b"}", "n'est pas un document JSON valide"),
        (b"[" * 5000 + b"]" * 5000, "n'est pas un document JSON valide"),
        # A key twice kept the last one silently (the interchange documents refuse it):
        # a proxy or a log reading the first would see another move than the one made.
        (
            b'{"status": "en_recherche", "status": "abandonne"}',
            "n'est pas un document JSON valide : clé « status » en double dans le même objet.",
        ),
    ],
)
def test_a_body_that_is_not_json_says_so(client, world, data, said):
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    headers = bearer(token) | {"If-Match": etag, "Content-Type": "application/json"}
    response = client.post("/api/v1/needs/n1/status", data=data, headers=headers)
    assert said in _problem(response, 400)["detail"]
    assert by_ref(Need, "n1").status == "qualifie"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b'{"status": "en_recherche"}', "text/plain"),
        (b"status=en_recherche", "application/x-www-form-urlencoded"),
        (b'<need status="en_recherche"/>', "application/xml"),
    ],
)
def test_a_body_sent_as_another_type_than_json_is_a_415(client, world, data, content_type):
    """Read as no body at all, it was a 422 « Champ obligatoire manquant » on a field the
    client did send."""
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    headers = bearer(token) | {"If-Match": etag, "Content-Type": content_type}
    response = client.post("/api/v1/needs/n1/status", data=data, headers=headers)
    assert "Content-Type: application/json" in _problem(response, 415)["detail"]
    assert by_ref(Need, "n1").status == "qualifie"


def test_a_write_of_another_organisation_is_refused_whatever_its_body(client, world):
    """The 415 is no way to learn of a record: a token refused the operation is refused
    first, whatever the body's type."""
    token = world["tokens"]["company"]
    headers = bearer(token) | {"If-Match": '"x"', "Content-Type": "text/plain"}
    response = client.post("/api/v1/needs/n1/status", data=b"x", headers=headers)
    _problem(response, 403)
    assert by_ref(Need, "n1").status == "qualifie"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [({}, "/json/status"), ({"status": "x", "couleur": "bleu"}, "/json/couleur")],
)
def test_a_bad_body_is_a_422_with_pointers(client, world, body, pointer):
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    problem = _problem(_post(client, token, "/api/v1/needs/n1/status", body, etag), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]


def test_a_write_body_over_its_bound_is_a_413_before_it_is_read(client, world):
    """The writes' bodies are a few kilobytes (the qualification's, the largest, 150 kB
    at most escaped); one of 11 MB, within the size the import's documents may have,
    was parsed and checked field by field for 8 s."""
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    headers = bearer(token) | {"If-Match": etag, "Content-Type": "application/json"}
    padding = " " * WRITE_BODY_MAX_BYTES
    response = client.post(
        "/api/v1/needs/n1/status", data='{"status": "en_recherche"}' + padding, headers=headers
    )
    assert "1 Mo au plus" in _problem(response, 413)["detail"]
    assert by_ref(Need, "n1").status == "qualifie"
    # Sent in chunks, without a length said first (gunicorn says the stream ends):
    # counted as read.
    response = client.post(
        "/api/v1/needs/n1/status",
        input_stream=io.BytesIO(b'{"status": "en_recherche"}' + padding.encode()),
        headers=headers | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.request.content_length is None
    assert "1 Mo au plus" in _problem(response, 413)["detail"]
    assert by_ref(Need, "n1").status == "qualifie"


def test_a_body_of_a_thousand_unknown_fields_lists_the_first_errors_only(client, world):
    """As an interchange document's refusal (``LISTED_ERRORS``): every field was listed,
    and a body of 800,000 of them was answered in 60 MB of JSON."""
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    body = {f"champ{number:04}": 1 for number in range(1000)}
    problem = _problem(_post(client, token, "/api/v1/needs/n1/status", body, etag), 422)
    assert len(problem["errors"]) == LISTED_ERRORS + 1
    assert problem["errors"][0] == {"pointer": "/json/champ0000", "detail": "Champ inconnu."}
    assert problem["errors"][-1] == {
        "pointer": "",
        "detail": f"… et 801 autres erreurs (seules les {LISTED_ERRORS} premières sont listées).",
    }
    assert problem["detail"].count("Champ inconnu.") == LISTED_ERRORS
    assert by_ref(Need, "n1").status == "qualifie"


def test_the_refusals_of_a_body_are_in_french(client, world):
    token = world["tokens"]["animateur"]
    url = "/api/v1/needs/n1/status"
    etag = _etag(client, token, "/api/v1/needs/n1")

    def details(body) -> dict[str, str]:
        problem = _problem(_post(client, token, url, body, etag), 422)
        return {e["pointer"]: e["detail"] for e in problem["errors"]}

    assert details({"zzz": 1, "status": 5}) == {
        "/json/status": "Une chaîne de caractères est attendue.",
        "/json/zzz": "Champ inconnu.",
    }
    assert details(None) == {"/json/status": "Champ obligatoire manquant."}
    assert details({"status": None}) == {"/json/status": "Ce champ ne peut pas valoir null."}
    assert details(["en_recherche"]) == {"/json/_schema": "Un objet JSON est attendu."}
    # A validator left at marshmallow's message speaks French too.
    qualification = _qualification(skills=["x"] * 51, shared_time="peut-être")
    problem = _problem(
        _post(client, token, "/api/v1/needs/n1/qualification", qualification, etag), 422
    )
    assert {e["pointer"]: e["detail"] for e in problem["errors"]} == {
        "/json/shared_time": "Un booléen est attendu (true ou false).",
        "/json/skills": "50 au plus.",
    }


def test_no_schema_the_api_loads_keeps_an_english_message():
    def schemas(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from schemas(sub)

    english = []
    for schema_class in schemas(Arguments):
        schema = schema_class()
        english += [
            f"{schema_class.__name__}: {m}"
            for m in schema.error_messages.values()
            if m in FRENCH_MESSAGES or m in ma.Schema._default_error_messages.values()
        ]
        for name, field in schema.fields.items():
            for part in fields_within(field):
                english += [
                    f"{schema_class.__name__}.{name}: {m}"
                    for m in part.error_messages.values()
                    if m in FRENCH_MESSAGES
                ]
                english += [
                    f"{schema_class.__name__}.{name}: {v!r}"
                    for v in part.validators
                    if getattr(v, "error", "") is None
                ]
    assert len(list(schemas(Arguments))) >= 5
    assert not english, "\n".join(english)


def test_proposing_a_need_reaches_the_company_and_counts_as_a_contact(client, world):
    token = world["tokens"]["animateur"]
    company = by_ref(Company, "c1")
    before = contact_pressure(db.session, company, on=local_today()).contacts_this_month
    etag = _etag(client, token, "/api/v1/needs/n1")
    body = {"operator": world["operator"], "candidates": ["cv-1"], "note": "Urgent"}
    response = _post(client, token, "/api/v1/needs/n1/leads", body, etag)
    assert response.status_code == 201, response.get_data(as_text=True)
    lead = response.get_json()
    assert lead["needs"] == ["n1"] and [c["candidate"] for c in lead["candidates"]] == ["cv-1"]
    assert by_ref(Need, "n1").status == "propose"
    after = contact_pressure(db.session, by_ref(Company, "c1"), on=local_today())
    assert after.contacts_this_month == before + 1
    # The operator's mail and the owner's news, as from the need page.
    kinds = sorted(m.kind for m in db.session.scalars(select(OutboxMessage)))
    assert kinds == ["lead_sent", "need_news"]
    assert [e.details["operator"] for e in audit_entries("api.need_proposal")] == [
        world["operator"]
    ]


def test_the_pressure_guard_refuses_a_proposal_to_a_company_that_said_no(client, world):
    by_ref(Company, "c1").do_not_solicit = True
    db.session.commit()
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    body = _problem(
        _post(client, token, "/api/v1/needs/n1/leads", {"operator": world["operator"]}, etag), 422
    )
    assert "Cabane Dubern" in body["detail"]
    assert count(Lead) == 0 and by_ref(Need, "n1").status == "qualifie"


def _at_cap() -> None:
    company = by_ref(Company, "c1")
    company.max_contacts_per_month = 1
    db.session.add(Visit(company=company, visited_on=local_today(), channel="telephone"))
    db.session.commit()


def test_a_proposal_to_a_company_at_its_cap_needs_the_reason_it_agreed(client, world):
    _at_cap()
    token = world["tokens"]["animateur"]
    url = "/api/v1/needs/n1/leads"
    for body, pointer in (
        ({"operator": world["operator"]}, None),
        ({"operator": world["operator"], "over_cap_reason": " "}, "/json/over_cap_reason"),
    ):
        etag = _etag(client, token, "/api/v1/needs/n1")
        problem = _problem(_post(client, token, url, body, etag), 422)
        assert "Cabane Dubern" in problem["detail"] or "Indiquez pourquoi" in problem["detail"]
        assert [e["pointer"] for e in problem.get("errors", [])] == ([pointer] if pointer else [])
    assert count(Lead) == 0 and by_ref(Need, "n1").status == "qualifie"
    etag = _etag(client, token, "/api/v1/needs/n1")
    reason = "L'entreprise a demandé à être rappelée par le groupement"
    body = {"operator": world["operator"], "over_cap_reason": reason}
    response = _post(client, token, url, body, etag)
    assert response.status_code == 201, response.get_data(as_text=True)
    lead = db.session.scalars(select(Lead)).one()
    first = workflows.history(db.session, workflows.LEAD, lead.id)[0]
    assert first.reason_text.endswith(f" : {reason}")


def test_no_reason_sends_to_a_company_that_said_no(client, world):
    _at_cap()
    by_ref(Company, "c1").do_not_solicit = True
    db.session.commit()
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    body = {"operator": world["operator"], "over_cap_reason": "Elle a rappelé"}
    problem = _problem(_post(client, token, "/api/v1/needs/n1/leads", body, etag), 422)
    assert "ne plus être sollicitée" in problem["detail"]
    assert count(Lead) == 0


def test_an_operator_cannot_send_a_need_anyway(client, world):
    _at_cap()
    token = world["tokens"]["operator"]
    body = {"operator": world["operator"], "over_cap_reason": "Elle a rappelé"}
    response = _post(client, token, "/api/v1/needs/n1/leads", body, "x")
    assert response.status_code == 403, response.status_code
    assert count(Lead) == 0


def _sent_lead(client, world) -> str:
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n2")
    response = _post(client, token, "/api/v1/needs/n2/leads", {"operator": world["operator"]}, etag)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["ref"]


def test_an_operator_answers_its_lead_as_in_its_inbox(client, world):
    ref = _sent_lead(client, world)
    token = world["tokens"]["operator"]
    url = f"/api/v1/leads/{ref}"
    etag = _etag(client, token, url)
    response = _post(client, token, f"{url}/answer", {"action": "accept"}, etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "accepte"
    assert [e.details["action"] for e in audit_entries("api.lead_answer")] == ["accept"]


def test_a_refusal_needs_its_reason(client, world):
    ref = _sent_lead(client, world)
    token = world["tokens"]["operator"]
    etag = _etag(client, token, f"/api/v1/leads/{ref}")
    _problem(_post(client, token, f"/api/v1/leads/{ref}/answer", {"action": "refuse"}, etag), 422)
    assert db.session.get(Lead, int(ref)).status == "envoye"


def test_another_operator_or_the_staff_cannot_answer(client, world):
    ref = _sent_lead(client, world)
    etag = _etag(client, world["tokens"]["operator"], f"/api/v1/leads/{ref}")
    url = f"/api/v1/leads/{ref}/answer"
    _problem(_post(client, world["tokens"]["other_operator"], url, {"action": "accept"}, etag), 404)
    _problem(_post(client, world["tokens"]["animateur"], url, {"action": "accept"}, etag), 403)
    _problem(_post(client, world["tokens"]["company"], "/api/v1/needs/n1/status", MOVE, etag), 403)
    assert db.session.get(Lead, int(ref)).status == "envoye"


def test_an_error_inside_a_list_points_at_its_item(client, world):
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    body = {"operator": world["operator"], "candidates": ["cv-1", "x" * 101]}
    problem = _problem(_post(client, token, "/api/v1/needs/n1/leads", body, etag), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/json/candidates/1"]


def _qualification(**overrides):
    values = {
        "title": "Comptabilité un jour par semaine",
        "skills": ["comptabilité générale", "paie"],
        "level": "employe_qualifie",
        "hours_per_week": 7.5,
        "days": ["tue"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": "2027-06-01",
        "rome": "M1203",
        "shared_time": True,
        "notes": "Vue au salon",
    }
    return {**values, **overrides}


def test_qualifying_a_new_need_uses_the_qualify_page_rules(client, world):
    factories.load(factories.document(needs=[factories.need(ref="n3", company="c1")]))
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n3")
    response = _post(client, token, "/api/v1/needs/n3/qualification", _qualification(), etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["hours_per_week"], body["skills"]) == (
        "qualifie",
        7.5,
        ["comptabilité générale", "paie"],
    )
    need = by_ref(Need, "n3")
    assert (need.shared_time, need.notes, need.title) == (
        True,
        "Vue au salon",
        "Comptabilité un jour par semaine",
    )
    assert [e.details["ref"] for e in audit_entries("api.need_qualification")] == ["n3"]


@pytest.mark.parametrize(
    ("commune", "insee"),
    [
        ("33260", "33260"),  # Lugos' INSEE code, which is also La Teste's postcode
        ("33529", "33529"),  # La Teste-de-Buch's INSEE code
        ("Lugos", "33260"),
        ("Lège", "33236"),
    ],
)
def test_a_qualification_reads_its_commune_as_an_insee_code_or_a_name(
    client, world, commune, insee
):
    # The API documents "code INSEE ou nom": five digits are an INSEE code there, not
    # a postcode as the page's field reads them first.
    factories.load(factories.document(needs=[factories.need(ref="n3", company="c1")]))
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n3")
    body = _qualification(commune=commune)
    response = _post(client, token, "/api/v1/needs/n3/qualification", body, etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert by_ref(Need, "n3").commune == insee


def test_a_qualification_keeps_a_start_that_has_passed(client, world):
    factories.load(factories.document(needs=[factories.need(ref="n3", company="c1")]))
    passed = local_today() - timedelta(days=20)
    by_ref(Need, "n3").start = passed
    db.session.commit()
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n3")
    body = _qualification(start=passed.isoformat())
    response = _post(client, token, "/api/v1/needs/n3/qualification", body, etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert by_ref(Need, "n3").start == passed
    etag = _etag(client, token, "/api/v1/needs/n3")
    earlier = _qualification(start=(passed - timedelta(days=1)).isoformat())
    problem = _problem(_post(client, token, "/api/v1/needs/n3/qualification", earlier, etag), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/json/start"]
    assert by_ref(Need, "n3").start == passed


def test_a_qualification_the_rules_refuse_points_at_each_field(client, world):
    token = world["tokens"]["animateur"]
    etag = _etag(client, token, "/api/v1/needs/n1")
    wrong = _qualification(rome="Z9999", days=["dim"], start="2020-01-01", title=" ")
    problem = _problem(_post(client, token, "/api/v1/needs/n1/qualification", wrong, etag), 422)
    assert [e["pointer"] for e in problem["errors"]] == [
        "/json/days",
        "/json/rome",
        "/json/start",
        "/json/title",
    ]
    assert by_ref(Need, "n1").title != " " and audit_entries("api.need_qualification") == []


def test_an_api_write_names_the_token_it_came_with(client, world):
    """One account may hold a token per tool: the audit log said the account and not
    which token, so the administrator could not tell which tool made a change nor which
    token to revoke."""
    from connectences.models import ApiToken, User

    # The world's first token is the animateur's.
    user = db.session.get(User, db.session.scalar(select(ApiToken.user_id).order_by(ApiToken.id)))
    second = token_for(user)
    first_id, second_id = db.session.scalars(
        select(ApiToken.id).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()
    for token, ref in ((world["tokens"]["animateur"], "n1"), (second, "n2")):
        etag = _etag(client, token, f"/api/v1/needs/{ref}")
        response = _post(client, token, f"/api/v1/needs/{ref}/status", MOVE, etag)
        assert response.status_code == 200, response.get_data(as_text=True)
    entries = sorted(audit_entries("api.need_status"), key=lambda e: e.id)
    assert [e.details["token"] for e in entries] == [first_id, second_id]
    assert {e.actor_id for e in entries} == {user.id}
    # A write from a logged-in page names no token.
    assert all("token" not in e.details for e in audit_entries("need.status"))
