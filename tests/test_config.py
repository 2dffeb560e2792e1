"""The factory and its configuration: precedence, database URL, secret key."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from connectences import ConfigurationError, config, create_app
from connectences.config import LEGAL_SETTINGS, example_settings, is_example_value
from connectences.extensions import db
from tests.helpers import LEGAL_VALUES, PRODUCTION_VALUES

ENV_TO_CLEAR = (
    "SECRET_KEY",
    "DATABASE_URL",
    "MAIL_SERVER",
    "MAIL_FROM",
    "MAIL_PORT",
    "CONNECTENCES_ENV",
    "BASE_URL",
    *LEGAL_SETTINGS,
)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A fresh instance folder, and an environment without the app's variables."""
    for key in ENV_TO_CLEAR:
        monkeypatch.delenv(key, raising=False)
    path = tmp_path / "instance"
    monkeypatch.setenv("CONNECTENCES_INSTANCE_PATH", str(path))
    return path


def _make(test_config=None):
    app = create_app(test_config)
    with app.app_context():
        db.engine.dispose()
    return app


def test_precedence_defaults_then_instance_then_environment_then_test_config(instance, monkeypatch):
    instance.mkdir()
    (instance / "config.py").write_text(
        'PLATFORM_NAME = "Plateforme de l\'instance"\n'
        'MAIL_SERVER = "smtp.instance.example"\n'
        'MAIL_FROM = "instance@exemple.fr"\n'
        "LOGIN_LOCK_SECONDS = 60\n"
    )
    monkeypatch.setenv("MAIL_SERVER", "smtp.env.example")
    monkeypatch.setenv("MAIL_FROM", "env@exemple.fr")
    monkeypatch.setenv("MAIL_PORT", "2525")
    app = _make({"MAIL_FROM": "test@exemple.fr", "SECRET_KEY": "k"})
    assert app.instance_path == str(instance)
    assert app.config["LOGIN_MAX_FAILURES"] == 5  # default only
    assert app.config["LOGIN_LOCK_SECONDS"] == 60  # instance beats default
    assert app.config["PLATFORM_NAME"] == "Plateforme de l'instance"
    assert app.config["MAIL_SERVER"] == "smtp.env.example"  # environment beats instance
    assert app.config["MAIL_PORT"] == 2525  # typed from the environment
    assert app.config["MAIL_FROM"] == "test@exemple.fr"  # test_config beats everything


def test_database_defaults_to_sqlite_in_the_instance_folder(instance):
    app = _make({"SECRET_KEY": "k"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/connectences.sqlite3"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db/connectences", "postgresql+psycopg://u:p@db/connectences"),
        ("postgres://u:p@db/connectences", "postgresql+psycopg://u:p@db/connectences"),
        ("sqlite:////srv/data/c.sqlite3", "sqlite:////srv/data/c.sqlite3"),
    ],
)
def test_database_url_from_the_environment(instance, monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app({"SECRET_KEY": "k"})  # no engine is built: nothing to dispose
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_production_refuses_to_start_without_secret_key(instance, monkeypatch):
    monkeypatch.setenv("CONNECTENCES_ENV", "production")
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    assert "SECRET_KEY manquante" in str(refused.value)
    assert "en production" in str(refused.value)
    assert not (instance / "secret_key").exists()  # no embedded key in production


def test_production_starts_with_a_secret_key(instance, monkeypatch):
    monkeypatch.setenv("CONNECTENCES_ENV", "production")
    for key, value in PRODUCTION_VALUES.items():  # set in the environment, like the key
        monkeypatch.setenv(key, value)
    app = _make()
    assert app.config["SECRET_KEY"] == PRODUCTION_VALUES["SECRET_KEY"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["CONTACT_EMAIL"] == LEGAL_VALUES["CONTACT_EMAIL"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("LEGAL_PUBLISHER", ""),
        ("LEGAL_PUBLISHER", "   "),
        ("LEGAL_PUBLISHER", "Éditeur à compléter"),
        ("CONTACT_EMAIL", ""),
        ("CONTACT_EMAIL", "contact@connectences.local"),
        ("CONTACT_EMAIL", "contact@example.org"),
        ("CONTACT_PHONE", "05 57 00 00 00"),
        ("LEGAL_HOST", "XXX"),
    ],
)
def test_production_refuses_an_empty_or_example_legal_setting(instance, monkeypatch, key, value):
    monkeypatch.setenv("CONNECTENCES_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "cle-de-production")
    for name, real in {**LEGAL_VALUES, key: value}.items():
        monkeypatch.setenv(name, real)
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    message = str(refused.value)
    assert "Mentions légales et contact à compléter" in message
    # Only the wrong setting is named, with what it is.
    assert f"- {key} : {LEGAL_SETTINGS[key]}" in message
    assert [name for name in LEGAL_SETTINGS if f"- {name} :" in message] == [key]


def test_production_names_every_legal_setting_left_at_its_shipped_example(instance, monkeypatch):
    monkeypatch.setenv("CONNECTENCES_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "cle-de-production")
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    assert [name for name in LEGAL_SETTINGS if f"- {name} :" in str(refused.value)] == list(
        LEGAL_SETTINGS
    )


def test_outside_production_example_legal_settings_do_not_stop_the_start(instance):
    app = _make({"SECRET_KEY": "k", "LEGAL_PUBLISHER": ""})
    assert example_settings(app.config) == list(LEGAL_SETTINGS)


@pytest.mark.parametrize(
    ("key", "value", "example"),
    [
        ("CONTACT_EMAIL", "equipe@pays-bassin-arcachon.fr", False),
        ("CONTACT_EMAIL", "equipe@exemple.fr", True),
        ("CONTACT_EMAIL", "equipe@mairie.test", True),
        ("CONTACT_PHONE", "05 56 11 22 33", False),
        ("CONTACT_PHONE", "+33 5 56 11 22 33", False),
        ("CONTACT_PHONE", "05 56", True),
        ("LEGAL_DIRECTOR", "M. Jean Dupont, président", False),
        ("LEGAL_DIRECTOR", "À définir", True),
        ("LEGAL_DIRECTOR", None, True),
    ],
)
def test_what_counts_as_an_example_value(key, value, example):
    assert is_example_value(key, value) is example


def test_cli_reports_the_missing_key_in_french(instance, monkeypatch):
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    monkeypatch.setenv("CONNECTENCES_ENV", "production")
    cli = FlaskGroup(create_app=lambda: create_app())
    result = CliRunner().invoke(cli, ["users", "list"])
    assert result.exit_code != 0
    assert "SECRET_KEY manquante" in str(result.exception) + result.output


def test_embedded_secret_key_is_generated_once_and_reused(instance, tmp_path, monkeypatch):
    first = _make()
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32
    key_file = instance / "secret_key"
    assert key_file.read_text() == key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert _make().config["SECRET_KEY"] == key  # reused, not regenerated
    monkeypatch.setenv("CONNECTENCES_INSTANCE_PATH", str(tmp_path / "autre"))
    assert _make().config["SECRET_KEY"] != key  # each install has its own


def test_factory_registers_the_web_and_the_cli(instance):
    app = _make({"SECRET_KEY": "k"})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"public.index", "auth.login", "admin.index", "public.health"} <= endpoints
    assert "users" in app.cli.commands


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(instance):
    app = create_app({"SECRET_KEY": "x"})
    with app.app_context():
        with db.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 5000
        db.engine.dispose()


def test_migrations_build_the_whole_schema_on_an_empty_database(instance):
    """`flask db upgrade` on an empty database creates every table the models declare."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from connectences.models import Base

    app = create_app({"SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrations_upgrade_a_database_that_holds_records(instance):
    """An instance in use upgrades through the migrations that rebuild a table on SQLite
    (batch mode copies it and drops the old one): the rows pointing to it keep their
    references, even though the platform's connections enforce foreign keys."""
    from flask_migrate import upgrade

    app = create_app({"SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="b8d4f0a2c6e1")  # before operators and partners got updated_at
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO operator (id, ref, name, kind, email, epcis, rome_domains, levels,"
                " contracts, active, created_at) VALUES (7, 'ge', 'GE', 'groupement_employeurs',"
                " 'ge@exemple.fr', '[]', '[]', '[]', '[]', 1, '2026-01-02 10:00:00')"
            )
            connection.exec_driver_sql(
                "INSERT INTO user (email, role, active, operator_id, session_version, created_at)"
                " VALUES ('membre@exemple.fr', 'operator', 1, 7, 1, '2026-01-02 10:00:00')"
            )
        upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql(
                "SELECT u.email, o.updated_at FROM user u JOIN operator o ON o.id = u.operator_id"
            ).fetchall() == [("membre@exemple.fr", "2026-01-02 10:00:00")]
        db.engine.dispose()


def test_migrations_mend_the_testimonial_links_of_the_newsletters_sent(instance):
    """The archive of an issue sent before external_url read ``_anchor`` kept its
    testimonials' links as ``?_anchor=…``; the upgrade makes them ``#…``."""
    import json

    from flask_migrate import upgrade

    sent = [
        {"kind": "temoignages", "items": [
            {"title": "T", "url": "https://x.fr/temoignages?_anchor=temoignage-2", "ref": "2"}]},
        {"kind": "ressources", "items": [{"title": "R", "url": "https://x.fr/ressources/aide"}]},
    ]  # fmt: skip
    app = create_app({"SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="c4e6a8b0d2f3")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO newsletter_issue (id, subject, introduction, blocks, snapshot,"
                " sent_count, created_at, updated_at) VALUES (1, 'Lettre', '', '[]', ?, 1,"
                " '2026-01-02 10:00:00', '2026-01-02 10:00:00')",
                (json.dumps(sent),),
            )
        upgrade()
        with db.engine.connect() as connection:
            stored = connection.exec_driver_sql("SELECT snapshot FROM newsletter_issue").scalar()
        db.engine.dispose()
    urls = [item["url"] for block in json.loads(stored) for item in block["items"]]
    assert urls == ["https://x.fr/temoignages#temoignage-2", "https://x.fr/ressources/aide"]


def test_a_setting_renamed_to_say_its_unit_is_refused_under_its_old_name(instance):
    instance.mkdir()
    (instance / "config.py").write_text("MAIL_TIMEOUT = 10\n")
    with pytest.raises(ConfigurationError) as refused:
        create_app({"SECRET_KEY": "k"})
    assert "MAIL_TIMEOUT → MAIL_TIMEOUT_SECONDS" in str(refused.value)


def test_settings_are_read_from_the_app_and_default_outside_one(instance):
    app = _make({"SECRET_KEY": "k", "CV_MAX_BYTES": "2048", "LEAD_ALERT_DAYS": 2})
    with app.app_context():
        assert config.integer("CV_MAX_BYTES") == 2048  # typed, whatever instance/config.py wrote
        assert config.duration("LEAD_ALERT_DAYS") == timedelta(days=2)
        assert config.duration("LOGIN_LOCK_SECONDS") == timedelta(minutes=15)
    # Plain domain code run without an application reads the one default.
    assert config.integer("CV_MAX_BYTES") == config.Defaults.CV_MAX_BYTES
    assert config.setting("PLATFORM_NAME") == "Connect'ences"


def test_a_setting_config_does_not_declare_fails_loudly(instance):
    app = _make({"SECRET_KEY": "k", "CV_MAX_SIZE": 10})
    with app.app_context(), pytest.raises(ConfigurationError, match="CV_MAX_SIZE"):
        config.setting("CV_MAX_SIZE")
    with pytest.raises(ConfigurationError, match="unit"):
        config.duration("REMATCH_TOP")


def test_every_environment_variable_is_a_setting_listed_in_the_readme():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    # The section's tables (general settings, then legal notice and contact).
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for key in config.ENV_KEYS:
        assert hasattr(config.Defaults, key), key
        assert f"`{key}`" in table, key


def test_environment_values_take_the_type_of_their_default(monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "45")
    monkeypatch.setenv("MAIL_USE_TLS", "oui")
    monkeypatch.setenv("MAIL_SERVER", "smtp.pays.fr")
    values = config.from_environment()
    assert values["SESSION_IDLE_MINUTES"] == 45
    assert values["MAIL_USE_TLS"] is True
    assert values["MAIL_SERVER"] == "smtp.pays.fr"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SECRET_KEY", "dev"),
        ("SECRET_KEY", "cle-de-production"),  # a phrase, shorter than 32
        ("SECRET_KEY", "x" * 64),
        ("SECRET_KEY", "changeme-changeme-changeme-changeme"),
        ("BASE_URL", "http://127.0.0.1:5000"),  # the shipped default
        ("BASE_URL", "http://competences.pays-essai.fr"),  # cookies are Secure: https only
        ("BASE_URL", "https://localhost"),
        ("MAIL_SERVER", ""),
        ("MAIL_PORT", "0"),
        ("MAIL_FROM", "Connect'ences <ne-pas-repondre@connectences.local>"),
        ("MAIL_FROM", "pas-une-adresse"),
    ],
)
def test_production_refuses_a_weak_key_or_a_local_address_naming_the_setting(
    instance, monkeypatch, key, value
):
    monkeypatch.setenv("CONNECTENCES_ENV", "production")
    for name, good in {**PRODUCTION_VALUES, key: value}.items():
        monkeypatch.setenv(name, good)
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    message = str(refused.value)
    assert "Réglages de production à corriger" in message
    assert [name for name in config.PRODUCTION_SETTINGS if f"- {name} :" in message] == [key]
    if key == "SECRET_KEY":
        assert value not in message  # the refused key is not written to the log


def test_a_number_setting_that_is_no_number_is_refused_at_start_naming_it(instance, monkeypatch):
    monkeypatch.setenv("MAIL_PORT", "vingt-cinq")
    with pytest.raises(ConfigurationError) as refused:
        create_app({"SECRET_KEY": "k"})
    assert "MAIL_PORT" in str(refused.value) and "nombre entier" in str(refused.value)


@pytest.mark.parametrize("url", ["mysqlx://admin:s3cr3t@db/connectences", "pas une adresse"])
def test_a_database_url_without_driver_is_refused_at_start_without_its_password(
    instance, monkeypatch, url
):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigurationError) as refused:
        create_app({"SECRET_KEY": "k"})
    assert "DATABASE_URL inutilisable" in str(refused.value)
    assert "s3cr3t" not in str(refused.value)


@pytest.mark.parametrize(
    ("uri", "options", "expected"),
    [
        # PostgreSQL: the platform's connections start without JIT.
        (
            "postgresql+psycopg://u:p@h/db",
            {"pool_pre_ping": True},
            {"pool_pre_ping": True, "connect_args": {"options": "-c jit=off"}},
        ),
        # Options of its own, in the URL or the settings: kept as they are.
        ("postgresql+psycopg://u:p@h/db?options=-c%20jit%3Don", {}, {}),
        (
            "postgresql+psycopg://u:p@h/db",
            {"connect_args": {"options": "-c work_mem=64MB"}},
            {"connect_args": {"options": "-c work_mem=64MB"}},
        ),
        # Other settings of connect_args stay beside it.
        (
            "postgresql+psycopg://u:p@h/db",
            {"connect_args": {"connect_timeout": 5}},
            {"connect_args": {"connect_timeout": 5, "options": "-c jit=off"}},
        ),
        ("sqlite:////tmp/x.sqlite3", {"pool_pre_ping": True}, {"pool_pre_ping": True}),
    ],
)
def test_postgresql_connections_start_without_jit(uri, options, expected):
    assert config.engine_options(uri, options) == expected


def test_the_database_in_use_compiles_no_statement_to_machine_code(app):
    """On PostgreSQL (CI runs the suite on it too), the session reads « jit » off."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
            return
        assert db.session.execute(db.text("SHOW jit")).scalar() == "off"
