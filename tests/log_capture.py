"""The log of a whole test run, and its scan for secrets (a pytest plugin, loaded by
tests/conftest.py).

Every record of every logger (root at DEBUG; SQL statements at INFO, their values hidden
by ``hide_parameters``) goes to ``test-artifacts/test-run-<database>.log``, rewritten at
each run, one file per database since CI runs the suite on SQLite then PostgreSQL in the
same checkout. When the session ends the file is scanned for what
``tests/known_secrets.py`` knows (fixture passwords, SECRET_KEY, CV texts, and the tokens
and cookies recorded here while the run made them): anything found fails the run.

Each distinct SQL text is written once per process (``_EachStatementOnce``): the same
text again can hold nothing the first did not, and a run's 220,000 statements are about
900 texts (the file went from 88 MB to under 1, and its scan from 4 s to a fraction of
one). TEST_LOG_SQL_REPEATS=1 writes every statement, in order, for reading a run's SQL.

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

from tests import known_secrets

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SQL_LEVEL = os.environ.get("TEST_LOG_SQL_LEVEL", "INFO")


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


class _EachStatementOnce(logging.Filter):
    """On the run log's handler (not on the logger: caplog sees every record): of
    SQLAlchemy's engine records, a statement's text the first time this process runs it,
    never again, and no line of hidden parameters (their only content is the cache
    statistics). Parameters logged with their values (an engine without
    ``hide_parameters``) are always kept: they are what the scan is for."""

    HIDDEN = "[%s] [SQL parameters hidden due to hide_parameters=True]"

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("sqlalchemy.engine"):
            return True
        if record.args:
            return record.msg != self.HIDDEN
        if record.msg in self.seen:
            return False
        self.seen.add(record.msg)
        return True


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
    if not os.environ.get("TEST_LOG_SQL_REPEATS"):
        handler.addFilter(_EachStatementOnce())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(SQL_LEVEL)
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
