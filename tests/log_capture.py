"""The log of a whole test run, and its scan for secrets (a pytest plugin, loaded by
tests/conftest.py).

Every record of every logger (root at DEBUG) goes to
``test-artifacts/test-run-<database>.log``, rewritten at each run, one file per database
since CI runs the suite on SQLite then PostgreSQL in the same checkout. When the session
ends the file is scanned for what ``tests/known_secrets.py`` knows (fixture passwords,
SECRET_KEY, CV texts, and the tokens and cookies recorded here while the run made them):
anything found fails the run.

The SQL sent to the database is written too (``_StatementTexts``): each distinct
statement's text once per process, as ``hide_parameters`` leaves a statement in a log
(its values hidden), and the values themselves of any engine that does not hide them,
with every statement: they are what the scan is for. A run's 220,000 statements are about
900 texts. They are read from the engine's ``before_cursor_execute`` event, not from
SQLAlchemy's own INFO logging (kept off): that built two log records for every
statement, about a fourteenth of the SQLite run's CPU, to keep one record in 250.
TEST_LOG_SQL_REPEATS=1 writes every statement, in order, for reading a run's SQL;
TEST_LOG_SQL_LEVEL=WARNING writes none (CI's PostgreSQL run: the SQLite run scans the
same statements). tests/test_audit_log.py reads SQLAlchemy's own logging of a whole
journey, values hidden, for secrets.

SQL result rows (sqlalchemy.engine at DEBUG) stay off: they hold the stored data itself
(password hashes included) by design of that debug level, which no deployment enables.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests import known_secrets

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SQL_LEVEL = os.environ.get("TEST_LOG_SQL_LEVEL", "INFO")
SQL_LOGGER = "tests.sql"


def database_kind() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url.split(":", 1)[0].split("+", 1)[0] if url else "sqlite"


class _RunLog(logging.FileHandler):
    """A file handler that leaves flushing to the file's buffer (one write per record
    would be most of its cost); ``close`` flushes."""

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.stream is not None:
            self.stream.flush()
        super().close()


class _StatementTexts:
    """A ``before_cursor_execute`` listener writing the SQL of this process to the run
    log: a statement's text the first time it is sent (every time with ``repeats``), and
    the values bound to every statement of an engine that does not hide them."""

    def __init__(self, *, repeats: bool) -> None:
        self.repeats = repeats
        self.seen: set[str] = set()
        self.log = logging.getLogger(SQL_LOGGER)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not conn.engine.hide_parameters:
            self.log.info("%s\n[parameters] %r", statement, parameters)
        elif self.repeats or statement not in self.seen:
            self.seen.add(statement)
            self.log.info("%s", statement)


class _RecordingSecrets:
    """``secrets`` for the modules that make session, invitation and import tokens:
    the same functions, and each token made is noted."""

    def __getattr__(self, name):
        return getattr(secrets, name)

    @staticmethod
    def token_urlsafe(nbytes: int | None = None) -> str:
        token = secrets.token_urlsafe(nbytes)
        known_secrets.remember_token(token, "a token made during the run")
        return token


def _record_signed_links() -> None:
    from connectences import signed

    make = signed._serializer

    @functools.wraps(make)
    def recording(*args, **kwargs):
        serializer = make(*args, **kwargs)
        dumps = serializer.dumps

        def dumps_and_note(*a, **k):
            token = dumps(*a, **k)
            known_secrets.remember_token(token, "a signed link token")
            return token

        serializer.dumps = dumps_and_note
        return serializer

    signed._serializer = recording


def _record_random_tokens() -> None:
    from connectences.accounts import api_tokens, sessions, users
    from connectences.cvtheque import bulk_import

    for module in (users, sessions, bulk_import, api_tokens):
        module.secrets = _RecordingSecrets()


def record_cookies(app) -> None:
    """Note every cookie value the app sets (session cookie, remember-me)."""
    wsgi_app = app.wsgi_app

    def recording(environ, start_response):
        def start(status, headers, *args):
            for name, value in headers:
                if name.lower() == "set-cookie":
                    cookie = value.split(";", 1)[0].partition("=")[2].strip('"')
                    known_secrets.remember_token(cookie, "a cookie value")
            return start_response(status, headers, *args)

        return wsgi_app(environ, start)

    app.wsgi_app = recording


def _log_path(config) -> Path:
    """This process's log: one per database, and one per pytest-xdist worker (a worker
    writes its own file; the controller gathers what the workers found)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    suffix = f"-{worker}" if worker else ""
    return config.rootpath / "test-artifacts" / f"test-run-{database_kind()}{suffix}.log"


def pytest_configure(config):
    path = _log_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        # The controller (or a run without workers) starts with no findings left over.
        for old in path.parent.glob(f"test-run-{database_kind()}*.findings"):
            old.unlink()
    # The format names no source file, line, thread or process: not looking them up for
    # each of the run's records (about 40 per request, mostly SQL) is the logging
    # documentation's own advice for speed.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = _RunLog(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    if SQL_LEVEL.upper() in ("DEBUG", "INFO"):
        listener = _StatementTexts(repeats=bool(os.environ.get("TEST_LOG_SQL_REPEATS")))
        event.listen(Engine, "before_cursor_execute", listener)
    config.stash[_HANDLER] = (handler, path)
    _record_signed_links()
    _record_random_tokens()


_HANDLER = pytest.StashKey[tuple[logging.Handler, Path]]()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    handler, path = session.config.stash[_HANDLER]
    logging.getLogger().removeHandler(handler)
    handler.close()
    findings = [
        f"{path.name}: {finding}"
        for finding in known_secrets.scan(path.read_text(encoding="utf-8", errors="replace"))
    ]
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # A worker hands its findings to the controller, which fails the run.
        if findings:
            path.with_suffix(".findings").write_text("\n".join(findings), encoding="utf-8")
        return
    for found in sorted(path.parent.glob(f"test-run-{database_kind()}*.findings")):
        findings += found.read_text(encoding="utf-8").splitlines()
    if not findings:
        return
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    writer = session.config.get_terminal_writer()
    writer.line("")
    writer.sep("=", "LOG SCAN FAILED: secrets found in the test run's log", red=True)
    writer.line(f"{path}:")
    for finding in findings[:50]:
        writer.line(f"  {finding}")
    if len(findings) > 50:
        writer.line(f"  … and {len(findings) - 50} more")
