"""Shared fixtures: one database per test session, emptied after each test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is
set (CI does both). Reference tables (communes, EPCIs) are loaded once.
"""

from __future__ import annotations

import functools
import gc
import os
from collections import Counter

import pytest
import werkzeug.test
import werkzeug.wsgi
from flask_migrate import stamp
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from connectences import create_app
from connectences.accounts.held_forms import held_forms_folder
from connectences.cvtheque.search import forget_vocabulary
from connectences.extensions import db
from connectences.kept import forget_kept
from connectences.matching.matches import forget_indexes
from connectences.territory.load import load_reference
from tests import known_secrets
from tests.helpers import empty_domain_tables

# The `auth` fixture (log in as any role): see tests/fixtures_auth.py.
# The log of the whole run, scanned for secrets at the end: see tests/log_capture.py.
pytest_plugins = ["tests.fixtures_auth", "tests.log_capture"]

BROWSER_TESTS = "tests/browser/"

# argon2 at production cost is most of a log-in test's time; the suite hashes cheaply and
# tests/test_auth.py keeps one test on the real settings of connectences.config.
CHEAP_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1}

# A test process holds a large heap for its whole life (the app, the taxonomy, the
# reference data, hypothesis and schemathesis), and with Python's default thresholds
# (700, 10, 10) the collector went through all of it over and over: a tenth of the
# suite's CPU, 4.6 s of 47 in a sample of its modules. Collections of the young
# generation every 10,000 allocations instead of 700: 0.9 s.
gc.set_threshold(10_000, 50, 100)

# The test client rebuilds each request's whole URL twice to match its cookies, and uses
# only its host and path: with the query string, decoding it again was a quarter of the
# time of the tests that send long odd values (the no-500 sweep, the hostile battery).
werkzeug.test.get_current_url = functools.partial(
    werkzeug.wsgi.get_current_url, strip_querystring=True
)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """The run's garbage collected once more, then the heap set aside: pytest collects ten
    more times after the session (for exceptions raised by finalizers), each pass through
    the whole heap, 0.2 s at the end of a run. What is garbage now is collected here, under
    pytest's hook, which reports it; what its finalizers leave is still collected after."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the browser tests as one unit: whole files per worker, and
    every module of tests/browser on the same worker, one after the other (one Chromium
    at a time), while the other worker runs the rest of the suite."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class BrowserTestsTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(BROWSER_TESTS):
                return BROWSER_TESTS
            return super()._split_scope(nodeid)

    return BrowserTestsTogether(config, log)


def _give_each_item_its_own_id(items) -> None:
    """pytest 9 builds a test's id from its function's name and its parametrize call;
    schemathesis names each operation's test ``<function>[<operation>]`` without such a
    call, so all of them had the function's id, and pytest-xdist (which tells tests apart
    by id) ran only the first operation. Each takes the operation its name says; then any
    id still shared stops the run rather than silently dropping tests."""
    for item in items:
        original = getattr(item, "originalname", None)
        if original and item.name.startswith(f"{original}[") and "[" not in item.nodeid:
            params = item.name[len(original) + 1 : -1]
            item._id = item.parent.id.child(original).with_params(params)
    shared = sorted(nodeid for nodeid, n in Counter(i.nodeid for i in items).items() if n > 1)
    if shared:
        raise pytest.UsageError(f"tests sharing an id (all but one would not run): {shared}")


def pytest_collection_modifyitems(config, items):
    """Each test its own id (see above). The modules holding a test marked ``slow`` first,
    each module's tests kept together and in order: pytest-xdist hands whole files to its
    workers in this order, so the long ones start early and a run ends on short ones (no
    worker alone on a long last file)."""
    _give_each_item_its_own_id(items)
    slow = {item.nodeid.split("::", 1)[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in slow)


def _on_server(url, *statements: str) -> None:
    """Run statements outside any transaction (CREATE / DROP DATABASE) through ``url``."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


def _worker_database(url: str, worker: str) -> str:
    """The URL of this pytest-xdist worker's own PostgreSQL database (``<name>_<worker>``),
    created afresh on the server of ``url``: workers never share tables."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    _on_server(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_worker_database(url: str) -> None:
    """Drop a worker's database made by :func:`_worker_database` (through the base one)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    target = make_url(url)
    if not worker or not target.drivername.startswith("postgresql"):
        return
    base = target.set(database=target.database.removesuffix(f"_{worker}"))
    _on_server(base, f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


def _database_url(tmp_path_factory) -> str:
    """SQLite in the session's temporary folder (one per xdist worker), or the
    PostgreSQL server of TEST_DATABASE_URL (one database per xdist worker)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker and url.startswith("postgresql"):
            url = _worker_database(url, worker)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": known_secrets.SECRET_KEY,
            "WTF_CSRF_ENABLED": False,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": 1,  # nothing listens there unless a test starts a server
            "BASE_URL": "http://localhost",
            # Forms held for a login (web/held.py) go to the run's folder, not instance/.
            "HELD_FORMS_DIR": str(tmp_path_factory.mktemp("held-forms")),
            **CHEAP_HASHING,
        }
    )
    # Files the platform keeps (CVs, photos) go to the run's folder, never the checkout's
    # instance/: one a test left there was found by the next test's retention job (an
    # orphan to delete), and a run filled the developer's instance/cv.
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    from tests.log_capture import record_cookies  # a plugin: imported once pytest has it

    record_cookies(app)
    with app.app_context():
        db.drop_all()
        db.create_all()
        # Built from the models, which the last migration describes: said so to Alembic,
        # as `db upgrade` would, or every command refuses it as behind (connectences.cli).
        stamp()
        load_reference(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    _drop_worker_database(url)


@pytest.fixture(autouse=True)
def _app_context(app):
    """Each test runs inside an app context and leaves the domain tables empty."""
    with app.app_context():
        yield
        empty_domain_tables()
        db.session.remove()
        # Per-process caches keyed by versions of the data: ids start again in the next
        # test's emptied database, so a version could repeat with other rows behind it.
        forget_vocabulary()
        forget_kept()
        app.extensions.pop("observatory_cache", None)
        # The candidate index learns of no deletion (the pages check the people it
        # returns): kept across tests on PostgreSQL, whose ids never go back, it would
        # hold the people of every earlier test on this worker.
        forget_indexes()
        # Forms held for a login are files, not rows: one a test left (a form sent after
        # a login grown old, never given back) was found by the next test of the worker.
        for held in held_forms_folder().glob("*"):
            held.unlink(missing_ok=True)


# SQL statements run by this process, for the check of the engine_free mark below.
_statements = [0]


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*_args) -> None:
    _statements[0] += 1


@pytest.fixture(autouse=True)
def _engine_free_check(request, _app_context):
    """A test marked ``engine_free`` (run on SQLite only: CI deselects it on PostgreSQL)
    fails if it or its fixtures issue any SQL statement: the mark cannot hide a test whose
    meaning depends on the database."""
    before = _statements[0]
    yield
    if request.node.get_closest_marker("engine_free") and _statements[0] != before:
        pytest.fail(
            f"marked engine_free but issued {_statements[0] - before} SQL statement(s): "
            "remove the mark so that it also runs on PostgreSQL",
            pytrace=False,
        )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
