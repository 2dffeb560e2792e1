"""Text coming in holds no control character but tab, newline and carriage return: the
others are removed, NUL is refused, the same in each way in (web forms, the JSON API,
the interchange document, CSV and XLSX uploads). See ``connectences.text``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from connectences.extensions import db
from connectences.models import Candidate, CandidateImport, Lead, Need
from connectences.tabular import TableError, read_table
from connectences.text import json_without_controls, nul_paths, without_controls
from tests.helpers import by_ref, html_of
from tests.test_api_v1 import _problem, bearer
from tests.test_api_writes import _etag, _post, _sent_lead
from tests.test_api_writes import world as world  # noqa: F401  (the API writes' fixture)
from tests.test_cv_import import GOOD, _confirm, _preview, _upload
from tests.test_web_need_public import _form


def test_controls_but_tab_newline_carriage_return_and_nul_are_removed():
    assert without_controls("Cais\x08sier\x1b[31m\x0b\x0c\x1f") == "Caissier[31m"
    assert without_controls("a\tb\nc\rd\x00e") == "a\tb\nc\rd\x00e"
    assert without_controls("Léa\u00a0Martin") == "Léa\u00a0Martin"
    # Invisible marks: a blank that looks filled in, a name shown backwards.
    assert without_controls("\u200b") == "" and without_controls("\ufeff\u2060") == ""
    assert without_controls("x\u202eevil\u202c") == "xevil"
    assert (
        without_controls("famille \U0001f468\u200d\U0001f469")
        == "famille \U0001f468\u200d\U0001f469"
    )
    # Half a UTF-16 pair, alone: no character at all.
    assert without_controls("a\ud800b\udfff") == "ab"
    assert without_controls("\U0001f468") == "\U0001f468"
    assert json_without_controls({"a\x08": ["b\x1b", {"c": "d\x0b"}], "n": 1}) == {
        "a": ["b", {"c": "d"}],
        "n": 1,
    }


def test_nul_is_found_where_it_is():
    data = {"a": ["x", "y\x00"], "b": {"c": "\x00"}, "k\x00": "z", "n": None}
    assert list(nul_paths(data)) == [("a", 1), ("b", "c"), ("k\x00",)]


# --- web forms ------------------------------------------------------------------------


def test_the_public_need_form_drops_control_characters(client):
    data = _form(title="Compta\x08bilité\x1b 2 jours", reason_text="Le soir\x0b, seul")
    assert client.post("/exprimer-un-besoin", data=data).status_code == 302
    need = db.session.scalars(select(Need)).one()
    assert need.title == "Comptabilité 2 jours"
    assert need.reason_text == "Le soir, seul"


def test_a_nul_in_a_form_is_still_refused(client):
    assert client.post("/exprimer-un-besoin", data=_form(title="a\x00b")).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0


# --- the JSON API -----------------------------------------------------------------------


def _answer(client, world, reason_text: str):
    ref = _sent_lead(client, world)
    token = world["tokens"]["operator"]
    etag = _etag(client, token, f"/api/v1/leads/{ref}")
    body = {"action": "refuse", "reason_code": "doublon", "reason_text": reason_text}
    return ref, _post(client, token, f"/api/v1/leads/{ref}/answer", body, etag)


def test_a_nul_in_an_api_write_is_a_french_422_and_changes_nothing(client, world):
    ref, response = _answer(client, world, "a\u0000b")
    body = _problem(response, 422)
    assert body["errors"] == [
        {
            "pointer": "/json/reason_text",
            "detail": "Ce texte contient un caractère nul (U+0000), que la plateforme refuse.",
        }
    ]
    lead = db.session.get(Lead, int(ref))
    assert lead.status == "envoye" and lead.refusal_text is None


def test_other_controls_in_an_api_write_are_removed(client, world):
    ref, response = _answer(client, world, "trop\u0008 loin\u001b")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert db.session.get(Lead, int(ref)).refusal_text == "trop loin"


def _exchange(client, token, document):
    return client.post(
        "/api/v1/exchange",
        data=json.dumps(document),
        content_type="application/json",
        headers=bearer(token),
    )


def _need_document(title: str) -> dict:
    from tests import factories

    return factories.document(
        companies=[factories.company(ref="ent-1")],
        needs=[factories.need(ref="b-1", company="ent-1", title=title)],
    )


def test_a_nul_in_an_exchange_document_is_refused_at_its_pointer(client, auth):
    from tests.test_api_v1 import token_for

    token = token_for(auth.create("animateur"))
    body = _problem(_exchange(client, token, _need_document("a\u0000b")), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/needs/0/title"]
    assert "caractère nul" in body["errors"][0]["detail"]
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0


def test_other_controls_in_an_exchange_document_are_removed(client, auth):
    from tests.test_api_v1 import token_for

    token = token_for(auth.create("animateur"))
    response = _exchange(client, token, _need_document("Cais\u0008sier\u000b"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert by_ref(Need, "b-1").title == "Caissier"


def test_half_a_utf16_pair_in_an_exchange_document_is_removed(client, auth):
    from tests.test_api_v1 import token_for

    token = token_for(auth.create("animateur"))
    document = _need_document("Cais\ud800sier")
    document["needs"][0]["ref"] = "b-\udc00-1"
    response = _exchange(client, token, document)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert by_ref(Need, "b--1").title == "Caissier"


# --- CSV and XLSX uploads ---------------------------------------------------------------


def _csv_bytes(first_name: str) -> bytes:
    headers = list(GOOD)
    values = [first_name if h == "Prénom" else GOOD[h] for h in headers]
    return (";".join(headers) + "\r\n" + ";".join(values) + "\r\n").encode("utf-8")


def test_read_table_refuses_a_nul_and_removes_other_controls():
    with pytest.raises(TableError, match="Ligne 2 : le texte contient un caractère nul"):
        read_table("cv.csv", b"Nom;Ville\r\nBob\x00;Arcachon\r\n")
    _, rows = read_table("cv.csv", b"Nom\x1b;Ville\r\nB\x08ob;Arca\x0bchon\r\n")
    assert rows == [{"Nom": "Bob", "Ville": "Arcachon"}]


def test_a_cv_import_holding_a_nul_is_refused_in_french(client, auth):
    auth.login("animateur")
    response = _upload(client, _csv_bytes("Bob\x00"))
    assert response.status_code == 422
    assert "caractère nul" in html_of(response)
    assert db.session.scalar(select(func.count()).select_from(CandidateImport)) == 0
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_a_cv_import_drops_other_controls(client, auth):
    auth.login("animateur")
    _confirm(client, _preview(client, _csv_bytes("In\x08ès\x1b")))
    assert db.session.scalars(select(Candidate.first_name)).all() == ["Inès"]
