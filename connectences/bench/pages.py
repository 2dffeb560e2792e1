"""`flask --app connectences bench pages`: what one request of each page costs a worker.

In the process, without a server or concurrent users: each page is read by a logged-in
user of its role through Flask's test client, once to warm the per-process caches, then
``--repeats`` times. For each page it prints the CPU time of the request (median and
best, ``time.process_time``: far less sensitive to other work on the machine than a
latency under load), the wall time, the number of SQL statements and the time spent
waiting for them. ``bench load`` then says how these costs add up under 16 users.

Run ``bench seed`` first: the pages are those of ``bench load`` (same records).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from connectences.bench.load import plan_accounts, plan_refs
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
}


@contextmanager
def _sql_meter(engine):
    """Count the statements sent and add up the time each took (cursor execution)."""
    figures = {"statements": 0, "seconds": 0.0}
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        figures["statements"] += 1
        figures["seconds"] += time.perf_counter() - started.pop()

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


def _client(app, role: str, accounts: dict[str, list[str]]):
    client = app.test_client()
    if role == "public":
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


def run_pages(app, *, repeats: int, pages: list[str]) -> Iterator[dict]:
    """One record per page: CPU and wall milliseconds per request, SQL statements."""

    with app.app_context():
        refs = plan_refs(db.session)
        engine = db.engine
        db.session.remove()
    accounts = plan_accounts()
    clients: dict[str, object] = {}
    for name in pages:
        role, where = PAGES[name]
        path = where(refs) if callable(where) else where
        client = clients.get(role) or clients.setdefault(role, _client(app, role, accounts))
        warm = _get(app, client, path)
        if warm.status_code != 200:
            raise RuntimeError(f"{name}: {path} answered {warm.status_code}")
        cpu, wall, sql, statements = [], [], [], 0
        for _ in range(repeats):
            with _sql_meter(engine) as figures:
                c0, w0 = time.process_time(), time.perf_counter()
                response = _get(app, client, path)
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
            sql.append(figures["seconds"] * 1000)
            statements = figures["statements"]
            size = len(response.get_data())
        yield {
            "metric": "page_cost",
            "page": name,
            "path": path,
            "cpu_ms": round(statistics.median(cpu), 1),
            "cpu_ms_best": round(min(cpu), 1),
            "wall_ms": round(statistics.median(wall), 1),
            "sql_ms": round(statistics.median(sql), 1),
            "statements": statements,
            "bytes": size,
            "repeats": repeats,
        }
