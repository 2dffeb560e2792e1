"""`flask --app connectences bench pages`: what one request of each page costs a worker.

In the process, without a server or concurrent users: each page is read by a logged-in
user of its role through Flask's test client, once to warm the per-process caches, then
``--repeats`` times. The write journeys of ``bench load`` (``WRITES``) are measured the
same way on their POST: each repeat reads the form for its CSRF token (that GET measured
apart, ``form_*`` figures) then sends a new valid submission, as locust does. For each page it prints the CPU time of the request (median and
best, ``time.process_time``: far less sensitive to other work on the machine than a
latency under load), the wall time, the number of SQL statements and the time spent
waiting for their first row; for a read page, also its reads sent again to the driver with
every row fetched (``sql_fetched_ms``, and the slowest of them): a grouped count hands its
first row at once and does its work as the rows are fetched. ``bench load`` then says how
these costs add up under 16 users.

Run ``bench seed`` first: the pages are those of ``bench load`` (same records).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from connectences.bench.forms import cv_submission, need_submission, visit_submission
from connectences.bench.load import api_token, plan_accounts, plan_refs
from connectences.extensions import db

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Page -> (role, path or a function of the refs of ``load.plan_refs``).
PAGES: dict[str, tuple[str, object]] = {
    "observatory": ("territoire", "/territoire"),
    "animateur_home": ("animateur", "/animateur"),
    "needs_board": ("animateur", "/animateur/besoins"),
    "cv_search": ("animateur", "/animateur/cvtheque?q=comptabilité&autour=33009&rayon=15"),
    "operator_inbox": ("operator", "/operateur/propositions"),
    "need_page": ("animateur", lambda refs: f"/animateur/besoins/{refs['needs'][0]}"),
    "visits_list": ("animateur", "/animateur/visites"),
    "directory": ("animateur", "/animateur/entreprises"),
    "company_page": ("animateur", lambda refs: f"/animateur/entreprises/{refs['companies'][0]}"),
    "cv_record": ("animateur", lambda refs: f"/animateur/cvtheque/{refs['candidates'][0]}"),
    "lead_page": ("operator", lambda refs: f"/operateur/propositions/{refs['leads'][0]}"),
    "public_home": ("public", "/"),
    "login_page": ("public", "/connexion"),
    "api_needs": ("api", "/api/v1/needs"),
    "api_need": ("api", lambda refs: f"/api/v1/needs/{refs['needs'][0]}"),
}

# Write journey -> (role, form path as a function of the refs and the repeat's number,
# the submission as a function of the CSRF token and that number). Every repeat is a
# new submission (a new address, company or day's visit), accepted with a redirect.
_TAG = f"pages-{os.getpid()}-{time.time_ns() % 10**9}"
WRITES: dict[str, tuple[str, Callable[[dict, int], str], Callable[[str, int], dict]]] = {
    "cv_submit": (
        "public",
        lambda refs, n: "/deposer-mon-cv",
        lambda token, n: cv_submission(token, _TAG, n),
    ),
    "need_submit": (
        "public",
        lambda refs, n: "/exprimer-un-besoin",
        lambda token, n: need_submission(token, _TAG, n, random.randrange(10**11)),  # noqa: S311 — synthetic data, never a secret
    ),
    "visit_log": (
        "animateur",
        lambda refs, n: (
            "/animateur/visites/nouvelle?entreprise="
            + refs["visit_companies"][n % len(refs["visit_companies"])]
        ),
        lambda token, n: visit_submission(token),
    ),
}


@contextmanager
def _sql_meter(engine):
    """Count the statements sent and add up the time each took (cursor execution); keep
    the reads sent, with their parameters, for ``_fetched``."""
    figures = {"statements": 0, "seconds": 0.0, "reads": []}
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        figures["statements"] += 1
        figures["seconds"] += time.perf_counter() - started.pop()
        if statement.lstrip()[:6].upper() == "SELECT" and not executemany:
            figures["reads"].append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield figures
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def _get(app, client, path: str):
    """A request in an app context of its own: the CLI's outer context would otherwise
    be reused, and with it ``g`` (the CSRF token, the logged-in user) of the request before."""
    with app.app_context():
        return client.get(path)


def _client(app, role: str, accounts: dict[str, list[str]], api_secret: str | None = None):
    """A test client of ``role``: logged in through the form, or (role "api") sending
    the bearer token ``api_secret`` with each request."""
    client = app.test_client()
    if role == "public":
        return client
    if role == "api":
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_secret}"
        return client
    email, password = accounts[role]
    form = _get(app, client, "/connexion").get_data(as_text=True)
    found = CSRF.search(form)
    data = {"email": email, "password": password, "csrf_token": found.group(1) if found else ""}
    with app.app_context():
        response = client.post("/connexion", data=data)
    if response.status_code != 302:
        raise RuntimeError(f"login of {role} refused ({response.status_code})")
    return client


def _post(app, client, path: str, data: dict):
    with app.app_context():
        return client.post(path, data=data)


def _measured(engine, request: Callable[[], object]) -> tuple[dict, object]:
    """CPU and wall milliseconds of one request, its SQL statements and their time."""
    with _sql_meter(engine) as figures:
        c0, w0 = time.process_time(), time.perf_counter()
        response = request()
        cpu = (time.process_time() - c0) * 1000
        wall = (time.perf_counter() - w0) * 1000
    return {"cpu": cpu, "wall": wall, "sql": figures["seconds"] * 1000,
            "statements": figures["statements"], "reads": figures["reads"]}, response  # fmt: skip


def _fetched(engine, reads: list[tuple[str, object]], *, repeats: int = 3) -> dict:
    """The reads of one request sent again straight to the driver, every row fetched:
    the time to a statement's first row (``sql_ms``) hides what a grouped count or a
    window does while its rows are fetched. Milliseconds, best of ``repeats`` each: the
    sum, and the slowest statement with its beginning."""
    timed = []
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for statement, parameters in reads:
            best = None
            for _ in range(repeats):
                t0 = time.perf_counter()
                cursor.execute(statement, parameters)
                cursor.fetchall()
                elapsed = time.perf_counter() - t0
                best = elapsed if best is None else min(best, elapsed)
            timed.append((best * 1000, " ".join(statement.split())[:80]))
        connection.rollback()
    finally:
        connection.close()
    slowest = max(timed, default=(0.0, ""))
    return {
        "sql_fetched_ms": round(sum(ms for ms, _ in timed), 2),
        "slowest_sql_ms": round(slowest[0], 2),
        "slowest_sql": slowest[1],
    }


def _summary(samples: list[dict], prefix: str = "") -> dict:
    return {
        f"{prefix}cpu_ms": round(statistics.median(s["cpu"] for s in samples), 1),
        f"{prefix}cpu_ms_best": round(min(s["cpu"] for s in samples), 1),
        f"{prefix}wall_ms": round(statistics.median(s["wall"] for s in samples), 1),
        f"{prefix}sql_ms": round(statistics.median(s["sql"] for s in samples), 1),
        f"{prefix}statements": samples[-1]["statements"],
    }


def _submit(app, client, engine, refs: dict, name: str, n: int) -> tuple[dict, dict]:
    """One write journey: the form read for its token, then a new submission sent."""
    _role, where, submission = WRITES[name]
    path = where(refs, n)
    form, page = _measured(engine, lambda: _get(app, client, path))
    if page.status_code != 200:
        raise RuntimeError(f"{name}: {path} answered {page.status_code}")
    found = CSRF.search(page.get_data(as_text=True))  # none when CSRF is off (tests)
    data = submission(found.group(1) if found else "", n)
    sent, response = _measured(engine, lambda: _post(app, client, path, data))
    if response.status_code not in (302, 303):
        raise RuntimeError(f"{name}: POST {path} answered {response.status_code}")
    return form, sent


def run_pages(app, *, repeats: int, pages: list[str]) -> Iterator[dict]:
    """One record per page: CPU and wall milliseconds per request, SQL statements."""

    with app.app_context():
        refs = plan_refs(db.session)
        engine = db.engine
        db.session.remove()
    accounts = plan_accounts()
    roles = {(WRITES.get(name) or PAGES.get(name))[0] for name in pages}
    token = api_token(app, accounts) if "api" in roles else contextlib.nullcontext()
    with token as secret:
        yield from _page_records(app, engine, refs, accounts, secret, pages, repeats)


def _page_records(app, engine, refs, accounts, secret, pages, repeats) -> Iterator[dict]:
    clients: dict[str, object] = {}
    for name in pages:
        role = (WRITES.get(name) or PAGES.get(name))[0]
        client = clients.get(role) or clients.setdefault(role, _client(app, role, accounts, secret))
        if name in WRITES:
            yield _write_record(app, client, engine, refs, name, repeats)
            continue
        where = PAGES[name][1]
        path = where(refs) if callable(where) else where
        warm = _get(app, client, path)
        if warm.status_code != 200:
            raise RuntimeError(f"{name}: {path} answered {warm.status_code}")
        samples = []
        for _ in range(repeats):
            sample, response = _measured(engine, lambda c=client, p=path: _get(app, c, p))
            samples.append(sample)
            size = len(response.get_data())
        yield {
            "metric": "page_cost",
            "page": name,
            "path": path,
            **_summary(samples),
            **_fetched(engine, samples[-1]["reads"]),
            "bytes": size,
            "repeats": repeats,
        }


def _write_record(app, client, engine, refs: dict, name: str, repeats: int) -> dict:
    _submit(app, client, engine, refs, name, 0)  # warm
    forms, sent = [], []
    for n in range(1, repeats + 1):
        form, post = _submit(app, client, engine, refs, name, n)
        forms.append(form)
        sent.append(post)
    return {
        "metric": "page_cost",
        "page": name,
        "path": WRITES[name][1](refs, 0),
        "method": "POST",
        **_summary(sent),
        **_summary(forms, "form_"),
        "repeats": repeats,
    }
