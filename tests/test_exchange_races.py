"""Two imports of one interchange document at the same instant (the CLI's and the API's
import path): the records exist once, the second import finds them unchanged or is
refused in French, never a duplicate nor an error of the server.

Imports run one at a time (``exchange.importer``, ``locks.hold``). The races are lined up
where they would hurt: each import waits at a barrier after the lock and just before it
reads what is stored. Without the lock both pass the barrier together, both read
"nothing stored yet" and both write; with it the second is still waiting for the lock,
so the first's barrier times out (``LINE_UP_SECONDS``) and it goes on alone. They run on
SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading

import pytest
from sqlalchemy import func, select

from connectences.exchange import importer
from connectences.exchange.importer import ImportBusy, import_document_and_commit
from connectences.extensions import db
from connectences.locks import hold
from connectences.models import Candidate, CandidateSkill, Commitment, Transition
from connectences.web import api_v1
from tests.factories import candidate, load
from tests.helpers import at_once
from tests.test_api_v1 import bearer, token_for
from tests.test_exchange import MODELS, full_document

# How long the first import waits at the barrier for the second before going on alone.
LINE_UP_SECONDS = 1.5


def _stored() -> dict[str, int]:
    """How many rows each collection, the people's skills and commitments, and the needs'
    first line in the transition log hold."""
    db.session.expire_all()
    counted = {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in MODELS.items()
    }
    for name, model in (("skills", CandidateSkill), ("commitments", Commitment)):
        counted[name] = db.session.scalar(select(func.count()).select_from(model))
    counted["need_log"] = db.session.scalar(
        select(func.count()).select_from(Transition).where(Transition.entity == "need")
    )
    return counted


def _lined_up(monkeypatch) -> None:
    """Each import waits for the other at its first read of the stored records."""
    barrier = threading.Barrier(2, timeout=LINE_UP_SECONDS)
    real = importer._by_ref
    first_read: set[int] = set()

    def read_together(session, model, refs):
        if threading.get_ident() not in first_read:
            first_read.add(threading.get_ident())
            # Broken: the other import is waiting for the lock, this one goes on alone.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return real(session, model, refs)

    monkeypatch.setattr(importer, "_by_ref", read_together)


def _import_in_own_session(app, document):
    """An import as the CLI runs one: its own session, committed."""

    def call():
        with app.app_context():
            session = db.session.session_factory()
            try:
                return import_document_and_commit(copy.deepcopy(document), session)
            finally:
                session.close()

    return call


def _v11(*people) -> dict:
    return {"format": "connectences/v1.1", "candidates": list(people)}


def test_two_imports_of_a_new_document_at_once_create_each_record_once(app, monkeypatch):
    document = full_document()
    _lined_up(monkeypatch)
    first, second = at_once(
        _import_in_own_session(app, document), _import_in_own_session(app, document)
    )
    results = [first, second]
    assert all(isinstance(result, importer.ImportResult) for result in results), results
    created = sorted(result.changed for result in results)
    assert created == [0, sum(len(document[name]) for name in MODELS)]
    assert _stored() == {
        **{name: len(document[name]) for name in MODELS},
        "skills": sum(len(person["skills"]) for person in document["candidates"]),
        "commitments": 0,
        "need_log": len(document["needs"]),
    }


def test_two_imports_giving_a_person_a_commitment_at_once_give_it_once(app, monkeypatch):
    """Both read the stored person without commitments: each added the document's one,
    and the person held twice the hours."""
    load(_v11(candidate(ref="cv-a")))
    document = _v11(
        candidate(
            ref="cv-a", commitments=[{"label": "Atelier", "hours_per_week": 8, "days": ["tue"]}]
        )
    )
    _lined_up(monkeypatch)
    results = at_once(_import_in_own_session(app, document), _import_in_own_session(app, document))
    assert all(isinstance(result, importer.ImportResult) for result in results), results
    assert sorted(result["candidates"].updated for result in results) == [0, 1]
    person = db.session.scalars(select(Candidate).where(Candidate.ref == "cv-a")).one()
    assert [(c.label, c.hours_per_week) for c in person.commitments] == [("Atelier", 8)]


def test_the_second_import_is_the_first_one_unchanged_the_same_as_in_turn(app):
    """What the second of two imports at once reports is what importing the same document
    again later reports: nothing created, nothing updated, nothing written."""
    document = full_document()
    load(copy.deepcopy(document))
    again = load(copy.deepcopy(document))
    assert again.changed == 0


def test_an_import_waiting_longer_than_allowed_is_refused_in_french(app, monkeypatch):
    """Another import holds the lock (its transaction still open) for the whole wait."""
    monkeypatch.setitem(app.config, "EXCHANGE_IMPORT_WAIT_SECONDS", 0.3)
    holder = db.session.session_factory()
    try:
        assert hold(holder, importer.IMPORT_LOCK, wait_seconds=1) is True
        with pytest.raises(ImportBusy) as refused:
            _import_in_own_session(app, full_document())()
        assert "Un autre import de document est en cours" in refused.value.message
    finally:
        holder.rollback()
        holder.close()
    assert _stored()["operators"] == 0
    # Once the holder's transaction has ended, the import goes through.
    assert load(full_document()).changed > 0


def test_the_cli_says_so_when_another_import_kept_running(app, runner, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "EXCHANGE_IMPORT_WAIT_SECONDS", 0.3)
    source = tmp_path / "echange.json"
    source.write_text(json.dumps(full_document()), encoding="utf-8")
    holder = db.session.session_factory()
    try:
        assert hold(holder, importer.IMPORT_LOCK, wait_seconds=1) is True
        result = runner.invoke(args=["exchange", "import", str(source)])
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert "Import refusé : Un autre import de document est en cours" in result.output
    assert "Traceback" not in result.output
    assert _stored()["operators"] == 0


# --- through the API ----------------------------------------------------------------------


def _post(app, token, document):
    def call():
        client = app.test_client()
        response = client.post(
            "/api/v1/exchange",
            data=json.dumps(document),
            content_type="application/json",
            headers=bearer(token),
        )
        return response.status_code, response.get_json()

    return call


def test_two_api_imports_at_once_answer_200_twice_and_store_once(app, auth, monkeypatch):
    token = token_for(auth.create("animateur"))
    db.session.remove()
    document = full_document()
    _lined_up(monkeypatch)
    first, second = at_once(_post(app, token, document), _post(app, token, document))
    assert [first[0], second[0]] == [200, 200], (first, second)
    changed = sorted(
        sum(c["created"] + c["updated"] for c in body["counts"].values())
        for _status, body in (first, second)
    )
    assert changed == [0, sum(len(document[name]) for name in MODELS)]
    assert _stored()["candidates"] == len(document["candidates"])


def test_an_api_import_waiting_too_long_is_a_409_problem_in_french(app, auth, monkeypatch):
    """Another import takes the lock just as this request begins its own (after its token
    was checked: on SQLite the lock is the database's one writer, which the token's
    stamp of its last use needs too) and keeps it for the whole wait."""
    monkeypatch.setitem(app.config, "EXCHANGE_IMPORT_WAIT_SECONDS", 0.3)
    token = token_for(auth.create("animateur"))
    db.session.remove()
    holder = db.session.session_factory()
    real = api_v1.parse_document

    def other_import_first(data):
        assert hold(holder, importer.IMPORT_LOCK, wait_seconds=1) is True
        return real(data)

    monkeypatch.setattr(api_v1, "parse_document", other_import_first)
    try:
        status, body = _post(app, token, full_document())()
    finally:
        holder.rollback()
        holder.close()
    assert status == 409, body
    assert body["title"] == "Conflit"
    assert "Un autre import de document est en cours" in body["detail"]
    assert _stored()["operators"] == 0
