"""A request that only read ends its transaction with COMMIT on PostgreSQL (psycopg then
keeps its prepared statements); anything that may have written still ends with ROLLBACK,
so that nothing a request did not commit is kept."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectences import create_app
from connectences.cvtheque import files
from connectences.extensions import db
from connectences.models import Partner

SHARED = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "WTF_CSRF_ENABLED", "BASE_URL")


def _partner(ref: str) -> Partner:
    return Partner(
        ref=ref, name="Mission Locale test", kind="mission_locale", email="ml@exemple.fr"
    )


@pytest.fixture
def probe(app) -> Flask:
    """The platform with a few public routes that read, write or fail (never in production)."""
    other = create_app({key: app.config[key] for key in SHARED})

    def public(view):
        view._public = True
        return view

    @other.get("/_t/lire")
    @public
    def read():
        return str(db.session.scalar(select(func.count(Partner.id))))

    @other.get("/_t/ecrire-puis-refuser")
    @public
    def write_then_refuse():
        db.session.add(_partner("ecrit-puis-refuse"))
        db.session.flush()
        return "refusé", 400

    @other.get("/_t/en-attente")
    @public
    def pending():
        db.session.scalar(select(func.count(Partner.id)))
        db.session.add(_partner("en-attente"))
        return "ok"

    @other.get("/_t/fichier")
    @public
    def file_follows():
        db.session.scalar(select(func.count(Partner.id)))
        files.follow_transaction(db.session(), files.storage(), "absent.pdf")
        return "ok"

    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _ends(probe_app, path: str, monkeypatch) -> list[bytes]:
    """The transaction commands psycopg sends while ``path`` is answered."""
    from psycopg import _connection_base

    sent = []
    original = _connection_base.BaseConnection._exec_command

    def spy(self, command, *args, **kwargs):
        sent.append(bytes(command))
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(_connection_base.BaseConnection, "_exec_command", spy)
    try:
        probe_app.test_client().get(path)
    finally:
        monkeypatch.undo()
    return [c for c in sent if c in (b"COMMIT", b"ROLLBACK")]


def _stored(ref: str) -> bool:
    db.session.rollback()
    return db.session.scalar(select(Partner).where(Partner.ref == ref)) is not None


def test_nothing_a_request_did_not_commit_is_kept(probe):
    client = probe.test_client()
    assert client.get("/_t/ecrire-puis-refuser").status_code == 400
    assert client.get("/_t/en-attente").status_code == 200
    assert client.get("/_t/fichier").status_code == 200
    assert client.get("/_t/lire").get_data(as_text=True) == "0"
    assert not _stored("ecrit-puis-refuse") and not _stored("en-attente")


def test_only_a_request_that_read_ends_with_commit(probe, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's driver begins no transaction for reads")
    probe.test_client().get("/_t/lire")  # the engine's first connection sets itself up
    assert _ends(probe, "/_t/lire", monkeypatch) == [b"COMMIT"]
    assert _ends(probe, "/_t/ecrire-puis-refuser", monkeypatch) == [b"ROLLBACK"]
    assert _ends(probe, "/_t/en-attente", monkeypatch) == [b"ROLLBACK"]
    assert _ends(probe, "/_t/fichier", monkeypatch) == [b"ROLLBACK"]
