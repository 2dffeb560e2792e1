"""The scan of the whole test run's log (tests/log_capture.py): it knows the fixtures'
passwords, the app's secret, CV texts and every token and cookie the run made, and a run
whose log holds one of them fails."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from connectences import signed
from connectences.accounts import sessions
from connectences.extensions import db
from tests import known_secrets
from tests.cv_helpers import make_pdf

ROOT = Path(__file__).resolve().parents[1]


def test_a_clean_log_has_no_finding():
    text = (
        "2027-01-01 INFO sqlalchemy.engine.Engine: SELECT user.id FROM user WHERE user.email = ?\n"
        "2027-01-01 INFO connectences.jobs: data_retention: {'deleted': 0}\n"
        "2027-01-01 WARNING connectences.mail.sender: outbox 1: attempt 1 failed\n"
    )
    assert known_secrets.scan(text) == []


def test_fixed_secrets_are_found_without_being_repeated():
    text = f"a\nb\nlogin attempt with {known_secrets.PASSWORD}\nkey={known_secrets.SECRET_KEY}"
    findings = known_secrets.scan(text)
    assert findings[0].startswith("line 3: the fixture password PASSWORD mot-…")
    assert findings[1].startswith("line 4: the app's SECRET_KEY")
    assert all(known_secrets.PASSWORD not in finding for finding in findings)
    assert known_secrets.scan("hash $argon2id$v=19$m=8") == [
        "line 1: a password hash $arg… (7 characters)"
    ]


def test_cv_texts_of_the_test_pdfs_are_looked_for():
    make_pdf("Soudure à l'arc, lecture de plans, TIG")
    (finding,) = known_secrets.scan("extracted: Soudure à l'arc, lecture de plans, TIG")
    assert "CV text" in finding
    make_pdf("Mon CV")  # too short to be told from an ordinary phrase
    assert known_secrets.scan("Mon CV") == []


def test_tokens_made_by_the_run_are_recorded_and_found(app, auth):
    link = signed.make_token("need-confirm", {"n": 1})
    signature = link.rsplit(".", 1)[1]
    assert "a signed link token" in known_secrets.scan(f"GET /lien/{signature}?x")[0]
    user = auth.create("animateur")
    token = sessions.open_session(db.session, user)
    assert "a token made during the run" in known_secrets.scan(f"token={token};")[0]
    client = app.test_client()
    auth.login("animateur", client=client)
    cookie = client.get_cookie("session").value
    findings = known_secrets.scan(f"Cookie: session={cookie}")
    assert any("a cookie value" in finding for finding in findings)


def test_signed_tokens_of_any_secret_are_found_by_their_shape():
    token = URLSafeTimedSerializer("another-secret", salt="x").dumps({"e": "zoe@exemple.fr"})
    (finding,) = known_secrets.scan(f"GET /mon-cv/confirmer/{token} 200")
    assert "itsdangerous shape" in finding
    assert known_secrets.scan("version 1.2.3 of package.module.function_name") == []


def _run_pytest(folder: Path, test_body: str, *args: str) -> subprocess.CompletedProcess:
    (folder / "conftest.py").write_text('pytest_plugins = ["tests.log_capture"]\n')
    (folder / "test_fake.py").write_text(textwrap.dedent(test_body))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TEST_DATABASE_URL", None)
    # The sub-session is a run of its own, not one more pytest-xdist worker of this one.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        env.pop(name, None)
    return subprocess.run(  # noqa: S603 — this interpreter running pytest on a test's own files
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            folder,
            *args,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# The sub-session runs on SQLite whatever this run's database (TEST_DATABASE_URL is
# dropped from its environment): on PostgreSQL it would only repeat itself.
@pytest.mark.engine_free
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one process", "xdist"])
def test_a_run_that_logs_a_password_fails_and_says_where(tmp_path, workers):
    # Under pytest-xdist the worker that logged it hands its finding to the controller.
    result = _run_pytest(
        tmp_path,
        """
        import logging

        from tests.known_secrets import PASSWORD


        def test_logs_quietly():
            logging.getLogger("connectences.auth").info("login ok for user 3")


        def test_logs_a_password():
            logging.getLogger("connectences.auth").debug("login with %s", PASSWORD)
        """,
        *workers,
    )
    assert "2 passed" in result.stdout
    assert result.returncode == 1, result.stdout + result.stderr
    assert "LOG SCAN FAILED" in result.stdout
    assert "the fixture password PASSWORD" in result.stdout
    assert known_secrets.PASSWORD not in result.stdout
    logs = (tmp_path / "test-artifacts").glob("test-run-sqlite*.log")
    assert any("DEBUG connectences.auth: login with" in log.read_text() for log in logs)


@pytest.mark.engine_free
def test_sql_is_logged_as_a_hiding_engine_shows_it_and_values_of_others_are_scanned(tmp_path):
    # An engine that hides its values leaves the statement's text in the log; one that
    # does not leaves the values too, and the scan finds the password among them.
    result = _run_pytest(
        tmp_path,
        """
        from sqlalchemy import create_engine, text

        from tests.known_secrets import PASSWORD


        def test_hidden_values():
            engine = create_engine("sqlite://", hide_parameters=True)
            with engine.connect() as conn:
                conn.execute(text("SELECT :value AS hidden_value"), {"value": PASSWORD})


        def test_shown_values():
            engine = create_engine("sqlite://")
            with engine.connect() as conn:
                conn.execute(text("SELECT :value AS shown_value"), {"value": PASSWORD})
        """,
    )
    assert "2 passed" in result.stdout
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the fixture password PASSWORD" in result.stdout
    (log,) = (tmp_path / "test-artifacts").glob("test-run-sqlite*.log")
    lines = log.read_text().splitlines()
    hidden = [i for i, line in enumerate(lines) if "AS hidden_value" in line]
    shown = [i for i, line in enumerate(lines) if "AS shown_value" in line]
    assert len(hidden) == 1 and len(shown) == 1
    assert known_secrets.PASSWORD not in lines[hidden[0] + 1]
    assert known_secrets.PASSWORD in lines[shown[0] + 1]
