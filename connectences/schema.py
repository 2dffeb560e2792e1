"""Whether the database is the one this code was written for: reachable, and at the
migration this version ends with.

Checked where the web server starts (``wsgi.py``) and before every command of the
platform (``connectences.cli``: the scheduler, ``mail send``, ``demo``... all but the
few of ``cli.SCHEMA_FREE``), never by ``flask db ...``, which is how a database is
brought up to date. A database one migration behind would otherwise answer 500 on every
page that reads a new column (the log-in, for one), fail each command with a raw SQL
error, and an unreachable one every request.
"""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.exc import DBAPIError

from connectences.config import ConfigurationError
from connectences.extensions import db

UPGRADE = "flask --app connectences db upgrade"


def migrations_folder(app: Flask) -> Path:
    return Path(app.root_path).parent / "migrations"


def schema_problem(app: Flask) -> str | None:
    """What keeps ``app`` from serving with its database (French, then English), or None."""
    scripts = ScriptDirectory(str(migrations_folder(app)))
    expected = set(scripts.get_heads())
    with app.app_context():
        shown = db.engine.url.render_as_string(hide_password=True)
        try:
            with db.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
        except DBAPIError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
            return (
                f"Base de données injoignable ({shown}) : {reason}. Vérifiez DATABASE_URL "
                "et que le serveur de base de données répond. / The database cannot be reached."
            )
    if current == expected:
        return None
    if not current:
        return (
            f"La base de données ({shown}) n'a pas de schéma : lancez « {UPGRADE} » avant de "
            "démarrer. / The database has no schema: run the migrations first."
        )
    known = {script.revision for script in scripts.walk_revisions()}
    if current - known:
        return (
            f"La base de données est à une version plus récente que ce code "
            f"({', '.join(sorted(current - known))}, inconnue ici) : déployez la version de "
            "l'application qui l'a créée. / The database is newer than this code."
        )
    return (
        f"La base de données est à la migration {', '.join(sorted(current))}, cette version "
        f"attend {', '.join(sorted(expected))} : lancez « {UPGRADE} » avant de démarrer. "
        "/ The database is behind this code's migrations: run them first."
    )


def check_schema(app: Flask) -> None:
    """Refuse to start (``ConfigurationError``) on a database ``schema_problem`` names."""
    problem = schema_problem(app)
    if problem:
        raise ConfigurationError(problem)
