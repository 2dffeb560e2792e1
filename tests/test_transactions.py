"""A request that only read ends its transaction with COMMIT on PostgreSQL (psycopg then
keeps its prepared statements); anything that may have written still ends with ROLLBACK,
so that nothing a request did not commit is kept."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from connectences.cvtheque import files
from connectences.extensions import db
from connectences.models import Partner
from tests.helpers import another_app


def _partner(ref: str) -> Partner:
    return Partner(
        ref=ref, name="Mission Locale test", kind="mission_locale", email="ml@exemple.fr"
    )


@pytest.fixture
def probe(app) -> Flask:
    """The platform with a few public routes that read, write or fail (never in production)."""
    with another_app(app) as other:
        _add_probe_routes(other)
        yield other


def _add_probe_routes(other: Flask) -> None:

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


def _ends(probe_app, path: str) -> list[str]:
    """How the transactions of the request to ``path`` end ("commit", "rollback")."""
    with probe_app.app_context():
        engine = db.engine
    ends: list[str] = []

    def committed(_connection):
        ends.append("commit")

    def rolled_back(_connection):
        ends.append("rollback")

    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)
    try:
        probe_app.test_client().get(path)
    finally:
        event.remove(engine, "commit", committed)
        event.remove(engine, "rollback", rolled_back)
    return ends


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


def test_only_a_request_that_read_ends_with_commit_on_postgresql(probe):
    # SQLite's driver begins no transaction for reads: its requests end as before.
    read = ["commit"] if db.engine.dialect.name == "postgresql" else ["rollback"]
    assert _ends(probe, "/_t/lire") == read
    assert _ends(probe, "/_t/ecrire-puis-refuser") == ["rollback"]
    assert _ends(probe, "/_t/en-attente") == ["rollback"]
    assert _ends(probe, "/_t/fichier") == ["rollback"]
