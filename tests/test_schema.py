"""A web server or scheduler started on a database it cannot use refuses, saying why."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from apscheduler.schedulers.base import BaseScheduler

from connectences import ConfigurationError, create_app
from connectences.extensions import db
from connectences.schema import check_schema, schema_problem

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def instance(tmp_path, monkeypatch):
    for key in ("DATABASE_URL", "CONNECTENCES_ENV", "SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CONNECTENCES_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def _started_schedulers(monkeypatch) -> list:
    started: list = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **k: started.append(self))
    return started


def test_a_database_one_migration_behind_is_refused_by_the_server_and_the_scheduler(
    instance, monkeypatch
):
    from flask_migrate import downgrade, upgrade

    app = create_app()
    with app.app_context():
        upgrade()
    assert schema_problem(app) is None
    check_schema(app)  # the database the code expects: it starts

    with app.app_context():
        downgrade(revision="-1")  # a new version deployed, its migration not run
        db.engine.dispose()
    problem = schema_problem(app)
    assert "flask --app connectences db upgrade" in problem and "la migration" in problem
    with pytest.raises(ConfigurationError):
        runpy.run_path(str(ROOT / "wsgi.py"))  # what gunicorn loads: no worker boots

    started = _started_schedulers(monkeypatch)
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 1 and "db upgrade" in result.output
    assert started == []
    with app.app_context():
        db.engine.dispose()


def test_a_database_without_schema_or_out_of_reach_is_named(instance, monkeypatch, tmp_path):
    app = create_app()
    assert "n'a pas de schéma" in schema_problem(app)
    with app.app_context():
        db.engine.dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/absent/folder/c.sqlite3")
    unreachable = create_app({"SECRET_KEY": "k"})
    assert "Base de données injoignable" in schema_problem(unreachable)
