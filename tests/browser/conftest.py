"""Browser tests: Playwright drives the system's Chromium against a live server.

The server runs in a thread on a free loopback port, for each test module on its own
copy of a SQLite database seeded once with the demo, with CSRF protection on as in
production. The browser is Debian's Chromium headless shell
(/usr/bin/chromium-headless-shell, else /usr/bin/chromium): Playwright never downloads
one. axe-core comes from npm (`npm ci` in the repository root, done by bin/test). When
Chromium or axe-core is missing these tests are skipped with a message, except in CI
(the `CI` variable set), where they must run and so fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from connectences import create_app
from connectences.extensions import db
from tests.browser.support import AXE, AXE_PATH, ROOT, axe_source
from tests.conftest import CHEAP_HASHING

# Debian's headless shell (chromium-headless-shell, the same engine without the desktop
# browser around it: about a third less CPU for the same pages), else its full Chromium.
HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")
CHROMIUM = Path(
    os.environ.get("CHROMIUM_PATH")
    or (HEADLESS_SHELL if HEADLESS_SHELL.exists() else "/usr/bin/chromium")
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "le paquet Python playwright n'est pas installé (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"Chromium est absent ({CHROMIUM}) : apt-get install chromium-headless-shell"
    if not AXE.exists():
        return f"axe-core est absent ({AXE.relative_to(ROOT)}) : lancez `npm ci` à la racine"
    return None


def require_browser_tools() -> None:
    """Skip (or, in CI, fail) when the browser or axe-core cannot be found."""
    reason = _missing()
    if reason is None:
        return
    message = f"Tests navigateur impossibles : {reason}."
    if os.environ.get("CI"):
        pytest.fail(message + " La CI doit exécuter ces tests.", pytrace=False)
    pytest.skip(message)


def _whole_responses(app):
    """``app`` with each response read whole, and closed, before the server writes it,
    and axe-core served at ``AXE_PATH`` (for ``support.run_axe``), outside the app.

    When the browser drops a connection (a page left while a script still loads, as the
    offline journeys do), werkzeug's development server stops before closing the
    response: a static file stayed open, and the warning of its collection failed
    whichever test ran then."""

    def application(environ, start_response):
        if environ.get("PATH_INFO") == AXE_PATH:
            body = axe_source().encode("utf-8")
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/javascript; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Cache-Control", "max-age=3600"),
                ],
            )
            return [body]
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()

    return application


class LiveServer:
    def __init__(self, app, host: str = "127.0.0.1"):
        self.app = app
        self.server = make_server(host, 0, _whole_responses(app), threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def _live_app(database: Path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": "live-server-secret-key-for-browser-tests",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": 1,
            # Forms held for a login (web/held.py) beside the database, not in instance/.
            "HELD_FORMS_DIR": str(database.parent / "held-forms"),
            **CHEAP_HASHING,
        }
    )


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """A SQLite file holding the reference data and the demo, seeded once per session."""
    require_browser_tools()
    from connectences.demo import seed_demo
    from connectences.territory.load import load_reference

    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    app = _live_app(database)
    with app.app_context():
        db.create_all()
        load_reference(db.session)
        seed_demo(db.session)
        db.session.remove()
        db.engine.dispose()
    return database


@pytest.fixture(scope="module")
def live_server(demo_database, tmp_path_factory):
    """The platform with the demo, served on a free loopback port, for one test module.

    Each module starts from a copy of the seeded demo: what one module's journeys do (a
    lead accepted, a person placed) never leaves another without its demo records,
    whatever order or worker the modules run in."""
    database = tmp_path_factory.mktemp("live") / "live.sqlite3"
    shutil.copyfile(demo_database, database)
    app = _live_app(database)
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """The system's Chromium, headless, launched once for the session."""
    require_browser_tools()
    from playwright.sync_api import expect, sync_playwright

    # The journeys assert through expect(), which waits for a page a click has asked for:
    # on a CI runner whose two cores the other test runs also use, a form's answer can
    # take longer than expect's 5 s default.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile per test. CSP is bypassed only so that axe can be injected."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR", bypass_csp=True
    )
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()
