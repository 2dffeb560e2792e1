"""Connect'ences: the application factory."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from connectences import config as config_module
from connectences.config import ConfigurationError
from connectences.extensions import csrf, db, login_manager, migrate
from connectences.listing import SQLITE_FOLD, fold_text
from connectences.logfilters import register_log_filters
from connectences.templating import Environment

__all__ = ["ConfigurationError", "create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: defaults, then instance/config.py, then environment, then test_config."""
    # CONNECTENCES_INSTANCE_PATH moves the instance folder (config.py, secret key,
    # SQLite file) out of the source tree, e.g. to a data volume or a test's tmp dir.
    instance_path = os.environ.get("CONNECTENCES_INSTANCE_PATH") or None
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
    )
    app.jinja_environment = Environment  # before anything builds app.jinja_env
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config_module.from_environment())
    if test_config:
        app.config.update(test_config)
    config_module.check_renamed(app.config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = config_module.database_uri(app.instance_path)
    config_module.check_database_uri(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    _check_secret_key(app)
    _check_legal_settings(app)
    _check_production_settings(app)

    register_log_filters()
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    return app


def _check_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("CONNECTENCES_ENV") == "production":
        raise ConfigurationError(
            "SECRET_KEY manquante : en production, définissez la variable d'environnement "
            "SECRET_KEY (une longue valeur aléatoire) avant de démarrer. "
            "/ SECRET_KEY is missing: production refuses to start without one."
        )
    app.config["SECRET_KEY"] = config_module.embedded_secret_key(app.instance_path)


def _check_production_settings(app: Flask) -> None:
    """Production runs with a key no one can guess, links people can open and a real
    SMTP relay: each setting that is not so is named, with what to put there."""
    if app.config.get("CONNECTENCES_ENV") != "production":
        return
    _refuse_settings(
        "Réglages de production à corriger (instance/config.py ou variables d'environnement)",
        config_module.PRODUCTION_SETTINGS,
        config_module.production_problems(app.config),
        "Production refuses to start: weak SECRET_KEY, or local BASE_URL or mail settings.",
    )


def _check_legal_settings(app: Flask) -> None:
    """Production shows its legal notice and contact page as facts: each value must have
    been set for this installation, not left empty or at an example."""
    if app.config.get("CONNECTENCES_ENV") != "production":
        return
    _refuse_settings(
        "Mentions légales et contact à compléter : en production, définissez ces "
        "réglages (instance/config.py ou variables d'environnement) avec les vraies "
        "valeurs de votre installation, pas des valeurs d'exemple",
        config_module.LEGAL_SETTINGS,
        config_module.example_settings(app.config),
        "Legal notice and contact settings are empty or still at an example value: "
        "production refuses to start until they are set.",
    )


def _refuse_settings(heading: str, described: dict[str, str], wrong: list[str], english: str):
    """Refuse to start when ``wrong`` names settings: each one on its line, with what
    ``described`` says it must be."""
    if wrong:
        lines = "\n".join(f"- {key} : {described[key]}" for key in wrong)
        raise ConfigurationError(f"{heading} :\n{lines}\n/ {english}")


# The imports inside the three register_* functions below are deliberate: this package's
# __init__ runs at the first import of any of its modules (``connectences.clock`` in a
# script, the migrations' env.py), which should not load every model, blueprint and
# command; they load when an application is built.


def register_extensions(app: Flask) -> None:
    if app.config.get("CONNECTENCES_ENV") == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    # Its watch counts the changes of what the public home keeps, in every process that
    # writes (web workers, scheduler, commands).
    import connectences.content.showcase  # noqa: F401
    import connectences.models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from connectences.web import register_web

    register_web(app)


def register_cli(app: Flask) -> None:
    from connectences.cli import register_commands

    register_commands(app)


# Read-side memory of each SQLite connection: the file mapped up to 256 MB (pages shared
# with the operating system's cache, not copied per connection) and 32 MB of page cache.
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
SQLITE_CACHE_KIB = 32 * 1024


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL, a busy timeout and foreign keys on every SQLite connection; reads through a
    memory map and a larger page cache, so that a page scanning a table of 10,000 needs
    does not copy it from the file again at every request (SQLite's default cache is 2 MB)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # The lists' text search (listing.text_search); PostgreSQL spells it in SQL.
    dbapi_connection.create_function(SQLITE_FOLD, 1, fold_text, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    if os.environ.get("CONNECTENCES_SQLITE_NO_WAL") != "1":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()
