"""A web server or scheduler started on a database it cannot use refuses, saying why."""

from __future__ import annotations

import runpy
from importlib import import_module
from pathlib import Path

import click
import pytest
from apscheduler.schedulers.base import BaseScheduler

from connectences import ConfigurationError, create_app
from connectences.cli import COMMANDS, SCHEMA_FREE
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
    # In this app's context: the commands run in the current one, the suite's otherwise.
    with app.app_context():
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


def _leaf_commands(command, path=""):
    path = f"{path} {command.name}".strip()
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _leaf_commands(sub, path)
    else:
        yield path, command


def test_every_command_of_the_platform_refuses_a_database_behind_its_migrations(
    instance, monkeypatch
):
    """`mail send`, `demo`, `pool`... on a database one migration behind: the same French
    message as the web server's, not a raw SQL error; `db` and `jobs backup` (the copy
    before an upgrade) still run."""
    from flask_migrate import downgrade, upgrade

    app = create_app()
    runner = app.test_cli_runner()
    # The commands run in this app's context (the suite's otherwise).
    with app.app_context():
        upgrade()
        downgrade(revision="-1")
        db.engine.dispose()
        problem = schema_problem(app)
        assert problem
        for args in (
            ["mail", "send"],
            ["mail", "status"],
            ["jobs", "run", "lead_escalation", "--wet-run"],
            ["jobs", "list"],
            ["pool", "--json"],
            ["demo"],
            ["users", "list"],
            ["exchange", "export", "-"],
            ["observatory", "report", "--epci", "243300563", "--month", "2026-01"],
            ["cv", "recheck"],
            ["territory", "load"],
            ["bench", "seed", "--candidates", "1", "--needs", "1", "--visits", "1"],
        ):
            result = runner.invoke(args=args)
            assert result.exit_code == 1, (args, result.output)
            assert problem in result.output, (args, result.output)
            assert "Traceback" not in result.output and "sqlite3" not in result.output.lower()

        # Each command is checked, but for the named few: a new one is checked by default.
        unchecked = {
            path
            for module, attribute in COMMANDS  # not Flask-Migrate's db, nor flask-smorest's
            for path, command in _leaf_commands(getattr(import_module(module), attribute))
            if not getattr(command.callback, "schema_checked", False)
        }
        assert unchecked == set(SCHEMA_FREE)

        backup = runner.invoke(args=["jobs", "backup"])
        assert backup.exit_code == 0, backup.output
        assert "Sauvegarde écrite" in backup.output
        current = runner.invoke(args=["db", "current"])
        assert current.exit_code == 0, current.output
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        status = runner.invoke(args=["mail", "status"])
        assert status.exit_code == 0 and problem not in status.output
        db.engine.dispose()
