"""`flask --app connectences bench load`: the pages under concurrent load.

Starts two gunicorn servers on the loopback, each with the same settings (the
platform's ``gunicorn_conf``, 2 workers): the platform on the current database,
and a bare Flask "hello" (``bench.hello``). Then runs locust headless
(``bench/locustfile.py``, in its own process), phase after phase, each for
``--duration`` seconds with ``--users`` users without thinking time:

1. ``hello`` alone: the yardstick of this machine and this client;
2. each page alone (``--pages``): its throughput, latencies, errors, and the ratio of
   its throughput to hello's (target: 0.15 for staff pages, 0.30 for public ones);
   ``staff_floor`` first, a staff page that shows nothing but the layout
   (``bench.floor``): what every staff page costs before showing anything, printed
   as a reference (``load_reference``), with no target of its own;
3. the weighted mix of the real journeys, reads and writes together
   (``--mix-duration``, 0 to skip): latencies and errors per page as people get them.

Every phase prints JSON lines (``load_hello``, ``load_reference``, ``load_page``,
``load_mix``); both servers are stopped at the end, whatever happens. Run ``bench seed``
first.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.engine import make_url

from connectences.accounts import api_tokens
from connectences.bench.floor import FLOOR_PATH
from connectences.bench.forms import UNLIMITED_FORMS
from connectences.demo import demo_accounts
from connectences.extensions import db
from connectences.models import Candidate, Company, Lead, Need, Operator, User

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "locustfile.py"

# Page -> weight in the mix: what a working day looks like (animateurs read most).
MIX: dict[str, int] = {
    "animateur_home": 6,
    "needs_board": 6,
    "need_page": 8,
    "cv_search": 8,
    "cv_record": 4,
    "visits_list": 4,
    "directory": 4,
    "company_page": 6,
    "visit_log": 2,
    "operator_inbox": 3,
    "lead_page": 3,
    "observatory": 2,
    "public_home": 6,
    "login_page": 2,
    "cv_submit": 2,
    "need_submit": 1,
    "api_needs": 2,
    "api_need": 2,
}
PUBLIC = {"public_home", "login_page", "cv_submit", "need_submit"}
# Pages measured alone as references, never in the mix nor against a target.
REFERENCES = ("staff_floor",)
# The API's journeys are read with a token of this demo account (issued for the run).
API_OWNER = "animateur"
# The bench's server allows this many API requests per window and token: the rate limit
# is its own test; here every request is still counted (its upsert is part of the cost).
BENCH_API_MAX_REQUESTS = 10**9
WARM_NAME = "(échauffement)"  # as in locustfile: requests before the measured window
TARGETS = {"p95_ms": 200, "staff_ratio": 0.15, "public_ratio": 0.30}


def plan_refs(session, *, sample: int = 200) -> dict:
    """Records the journeys open: needs in search with matches to show, companies,
    the demo operator's leads, people of the library."""

    def pick(query) -> list:
        return list(session.scalars(query.limit(sample)))

    operator_id = session.scalar(
        select(User.operator_id).where(User.role == "operator", User.operator_id.is_not(None))
    )
    refs = {
        "needs": pick(select(Need.ref).where(Need.status == "en_recherche").order_by(Need.id)),
        "companies": pick(select(Company.ref).order_by(Company.id.desc())),
        "visit_companies": pick(
            select(Company.ref)
            .where(Company.do_not_solicit.is_(False), Company.max_contacts_per_month.is_(None))
            .order_by(Company.id)
        ),
        "candidates": pick(select(Candidate.ref).order_by(Candidate.id.desc())),
        "leads": pick(
            select(Lead.id).where(Lead.operator_id == operator_id).order_by(Lead.id.desc())
        ),
    }
    empty = [name for name, values in refs.items() if not values]
    if empty or session.scalar(select(Operator.id).limit(1)) is None:
        raise click.ClickException(
            "Base sans données de mesure : lancez d'abord `flask --app connectences bench seed`."
        )
    return refs


def plan_accounts() -> dict[str, list[str]]:
    """The demo accounts (loaded by ``bench seed``) that the simulated people log in with."""

    fake = {"candidates": [{"email": "-", "first_name": "-", "last_name": "-", "ref": "-"}]}
    return {a.role: [a.email, a.password] for a in demo_accounts(fake)}


@contextmanager
def api_token(app, accounts: dict[str, list[str]]) -> Iterator[str]:
    """The secret of a one-day API token of the demo ``API_OWNER``, issued by the demo
    admin for the API's journeys and revoked when they are done."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == accounts["admin"][0]))
        token, secret = api_tokens.issue_token(
            db.session,
            owner_email=accounts[API_OWNER][0],
            name="Mesure de charge (bench)",
            days=1,
            actor=admin,
        )
        db.session.commit()
        token_id, admin_id = token.id, admin.id
        db.session.remove()
    try:
        yield secret
    finally:
        with app.app_context():
            api_tokens.revoke_token(db.session, token_id, actor=db.session.get(User, admin_id))
            db.session.commit()
            db.session.remove()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"Le serveur de {url} s'est arrêté au démarrage.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise click.ClickException(f"Le serveur de {url} ne répond pas après {timeout:.0f} s.")


@contextmanager
def gunicorn(
    app_spec: str, *, workers: int, ready_path: str, timeout: float = 180, env: dict | None = None
):
    """A gunicorn on a free loopback port with the platform's settings (and the variables
    of ``env`` added to this environment); stopped on exit."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", "python:connectences.gunicorn_conf",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--error-logfile", "-",
        "--log-level", "warning",
        app_spec,
    ]  # fmt: skip
    process = subprocess.Popen(command, start_new_session=True, env={**os.environ, **(env or {})})  # noqa: S603 — our own fixed command line (this interpreter, gunicorn/locust), no user input
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url + ready_path, process, timeout)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run_locust(host: str, plan: dict, journeys: dict[str, int], *, users: int, seconds: int,
               warm: int, workdir: Path, name: str) -> list[dict]:  # fmt: skip
    """One headless locust run of ``warm + seconds``; its per-request statistics
    (locust's CSV, parsed), requests of the first ``warm`` seconds counted apart."""
    plan_path = workdir / f"{name}.json"
    plan_path.write_text(
        json.dumps({**plan, "journeys": journeys, "warm_seconds": warm}), encoding="utf-8"
    )
    prefix = workdir / name
    command = [
        sys.executable, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--headless", "--only-summary",
        "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{warm + seconds}s", "--stop-timeout", "10",
        "--host", host,
        "--csv", str(prefix),
        "--loglevel", "ERROR",
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_LOAD_PLAN": str(plan_path)}
    log = workdir / f"{name}.log"
    with open(log, "w", encoding="utf-8") as output:
        done = subprocess.run(  # noqa: S603 — our own fixed command line (this interpreter, gunicorn/locust), no user input
            command, env=env, stdout=output, stderr=subprocess.STDOUT,
            timeout=warm + seconds + 120,
        )  # fmt: skip
    if done.returncode != 0:
        click.echo(log.read_text(encoding="utf-8")[-3000:], err=True)
        raise click.ClickException(f"locust s'est arrêté en erreur ({name}).")
    with open(f"{prefix}_stats.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def drain(url: str, timeout: float = 300) -> None:
    """Wait until the server answers at once again: requests of the previous phase still
    queued in gunicorn's backlog must not count against the next page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 — a loopback http URL the bench builds itself
                response.read()
        except OSError:
            time.sleep(0.5)
            continue
        if time.monotonic() - started < 0.2:
            return
        time.sleep(0.2)


def _figures(row: dict, seconds: float) -> dict:
    count = int(row["Request Count"])
    return {
        "requests": count,
        # Over the measured window only (locust's own figure includes the warm-up).
        "rps": round(count / seconds, 1) if seconds else 0.0,
        "p50_ms": float(row["50%"] or 0),
        "p95_ms": float(row["95%"] or 0),
        "p99_ms": float(row["99%"] or 0),
        "errors": int(row["Failure Count"]),
    }


def run_load(app, *, users: int, duration: int, mix_duration: int, pages: list[str],
             workers: int = 2, warm: int = 5):  # fmt: skip
    """Yield the JSON records of every phase (see the module docstring)."""

    with app.app_context():
        plan = {"refs": plan_refs(db.session), "accounts": plan_accounts()}
    limits = {
        "API_MAX_REQUESTS": str(BENCH_API_MAX_REQUESTS),
        **{key: str(value) for key, value in UNLIMITED_FORMS.items()},
    }
    with (
        api_token(app, plan["accounts"]) as secret,
        tempfile.TemporaryDirectory(prefix="bench-load-") as tmp,
        gunicorn("connectences.bench.hello:app", workers=workers, ready_path="/") as hello_url,
        gunicorn(
            "connectences.bench.floor:create_bench_app()",
            workers=workers,
            ready_path="/health",
            env=limits,
        ) as app_url,  # fmt: skip
    ):
        plan["api_token"] = secret
        plan["floor_path"] = FLOOR_PATH
        workdir = Path(tmp)
        common = {"users": users, "workers": workers, "database": db_name(app)}
        stats = run_locust(hello_url, plan, {"hello": 1}, users=users, seconds=duration, warm=warm,
                           workdir=workdir, name="hello")  # fmt: skip
        hello = _figures(_row(stats, "hello"), duration)
        yield {"metric": "load_hello", "page": "hello", **hello, "seconds": duration, **common}
        for page in pages:
            drain(app_url + "/health")
            stats = run_locust(app_url, plan, {page: 1}, users=users, seconds=duration, warm=warm,
                               workdir=workdir, name=page)  # fmt: skip
            figures = _figures(_row(stats, page), duration)
            ratio = round(figures["rps"] / hello["rps"], 3) if hello["rps"] else None
            if page in REFERENCES:
                yield {"metric": "load_reference", "page": page, **figures,
                       "ratio_to_hello": ratio, "seconds": duration, **common}  # fmt: skip
                continue
            target = TARGETS["public_ratio"] if page in PUBLIC else TARGETS["staff_ratio"]
            yield {
                "metric": "load_page",
                "page": page,
                **figures,
                "ratio_to_hello": ratio,
                "meets_target": bool(
                    figures["errors"] == 0
                    and figures["requests"] > 0
                    and figures["p95_ms"] < TARGETS["p95_ms"]
                    and ratio is not None
                    and ratio >= target
                ),
                "seconds": duration,
                **common,
            }
        if mix_duration:
            drain(app_url + "/health")
            stats = run_locust(app_url, plan, MIX, users=users, seconds=mix_duration, warm=warm,
                               workdir=workdir, name="mix")  # fmt: skip
            measured = [r for r in stats if r["Name"] not in (WARM_NAME, "Aggregated")]
            for row in measured:
                yield {"metric": "load_mix", "page": row["Name"], "method": row["Type"],
                       **_figures(row, mix_duration), "seconds": mix_duration, **common}  # fmt: skip
            requests = sum(int(r["Request Count"]) for r in measured)
            yield {
                "metric": "load_mix_total",
                "requests": requests,
                "rps": round(requests / mix_duration, 1),
                "errors": sum(int(r["Failure Count"]) for r in measured),
                "seconds": mix_duration,
                **common,
            }


def _row(stats: list[dict], name: str) -> dict:
    for row in stats:
        if row["Name"] == name:
            return row
    return {"Request Count": 0, "Requests/s": 0, "50%": 0, "95%": 0, "99%": 0, "Failure Count": 0}


def db_name(app) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
