"""Concurrent submissions: every accepted one stored exactly once, none lost, no 500.

``run_concurrency`` starts ``clients`` threads, each with its own browser (a Flask test
client, so its own cookie and session) and its own database connection, all released
at the same instant by a barrier. For ``seconds`` each one submits, in turn, a CV
through the public form, a need through the company form and a visit as a logged-in
animateur, every submission marked with a unique key (an e-mail address or the visit's
notes). Afterwards the database is read back: each accepted submission (the form
answered with its redirection) must be found exactly once, nothing must be stored for
a refused one, and no answer may be a 500.

Used by ``flask --app connectences bench concurrency`` (60 seconds by default, on the
configured database) and by ``tests/test_concurrency.py`` (a few seconds, on SQLite
in WAL mode and, when ``TEST_DATABASE_URL`` is set, on PostgreSQL).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from connectences.bench.forms import UNLIMITED_FORMS, cv_form, made_up_siret, need_form
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Candidate, Need, Visit

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KINDS = ("cv", "need", "visit")


@dataclass
class Outcome:
    """What the clients saw and what the database holds, per kind of submission."""

    accepted: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    refused: Counter = field(default_factory=Counter)
    server_errors: int = 0
    other_errors: list[str] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    stored_but_refused: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.server_errors == 0
            and not self.other_errors
            and not any(self.duplicates.values())
            and not any(self.lost.values())
            and not any(self.stored_but_refused.values())
        )

    def records(self, seconds: float, clients: int, database: str) -> list[dict]:
        common = {"seconds": seconds, "clients": clients, "database": database}
        out = [
            {
                "metric": "concurrency_submissions",
                "kind": kind,
                "accepted": len(self.accepted[kind]),
                "refused": self.refused[kind],
                "stored": self.stored.get(kind, 0),
                "duplicates": self.duplicates.get(kind, 0),
                "lost": self.lost.get(kind, 0),
                "stored_but_refused": self.stored_but_refused.get(kind, 0),
                **common,
            }
            for kind in KINDS
        ]
        out.append(
            {
                "metric": "concurrency_total",
                "accepted": sum(len(v) for v in self.accepted.values()),
                "server_errors": self.server_errors,
                "client_errors": len(self.other_errors),
                "ok": self.ok,
                **common,
            }
        )
        return out


def _token(client, path: str) -> dict:
    page = client.get(path)
    found = CSRF.search(page.get_data(as_text=True))
    return {"csrf_token": found.group(1)} if found else {}


def _cv(client, key: str) -> int:
    data = cv_form(**_token(client, "/deposer-mon-cv"), last_name="Simultanée", email=key)
    return client.post("/deposer-mon-cv", data=data).status_code


def _need(client, key: str, n: int) -> int:
    data = need_form(
        **_token(client, "/exprimer-un-besoin"),
        company_name=f"Entreprise simultanée {n}",
        siret=made_up_siret(n, "6"),
        owner_name="Claire Simultanée",
        owner_email=key,
        owner_phone="06 39 98 00 02",
    )
    return client.post("/exprimer-un-besoin", data=data).status_code


def _visit(client, key: str, company_ref: str) -> int:
    path = f"/animateur/visites/nouvelle?entreprise={company_ref}"
    data = {
        **_token(client, path),
        "channel": "telephone",
        "visited_on": local_today().isoformat(),
        "topics": ["competences_partagees"],
        "outcome": "a_relancer",
        "notes": key,
        "follow_up_on": (local_today() + timedelta(days=14)).isoformat(),
        "confirmer": "1",
    }
    return client.post(path, data=data).status_code


def run_concurrency(
    app, *, clients: int, seconds: float, login: tuple[str, str], companies: list[str]
) -> Outcome:
    """Run the clients (see the module docstring) and read the database back."""

    outcome = Outcome()
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    run = secrets.token_hex(4)
    serial = iter(range(10**9))

    def client_loop(number: int) -> None:
        try:
            client = app.test_client()
            with app.app_context():
                page = client.post(
                    "/connexion",
                    data={**_token(client, "/connexion"), "email": login[0], "password": login[1]},
                )
                if page.status_code != 302:
                    raise RuntimeError(f"login refused ({page.status_code})")
                db.session.remove()
            barrier.wait(timeout=120)
            deadline = time.monotonic() + seconds
            turn = number
            while time.monotonic() < deadline:
                kind = KINDS[turn % len(KINDS)]
                turn += 1
                with lock:
                    n = next(serial)
                key = f"simul-{run}-{n}@exemple.fr" if kind != "visit" else f"simul-{run}-{n}"
                if kind == "cv":
                    status = _cv(client, key)
                elif kind == "need":
                    status = _need(client, key, n + 7919 * number)
                else:
                    status = _visit(client, key, companies[n % len(companies)])
                with lock:
                    if status in (302, 303):
                        outcome.accepted[kind].append(key)
                    elif status >= 500:
                        outcome.server_errors += 1
                    else:
                        outcome.refused[kind] += 1
        except Exception as exc:  # reported, never swallowed: the run is then not ok
            with lock:
                outcome.other_errors.append(f"client {number}: {type(exc).__name__}: {exc}")
            barrier.abort()

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    lifted = {key: app.config[key] for key in UNLIMITED_FORMS}
    app.config.update(UNLIMITED_FORMS)  # the clients all come from one address
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        app.config.update(lifted)

    with app.app_context():
        stored_keys = {
            "cv": db.session.scalars(
                select(Candidate.email).where(Candidate.email.like(f"simul-{run}-%"))
            ).all(),
            "need": db.session.scalars(
                select(Need.owner_email).where(Need.owner_email.like(f"simul-{run}-%"))
            ).all(),
            "visit": db.session.scalars(
                select(Visit.notes).where(Visit.notes.like(f"simul-{run}-%"))
            ).all(),
        }
        for kind, keys in stored_keys.items():
            counts = Counter(keys)
            accepted = set(outcome.accepted[kind])
            outcome.stored[kind] = len(keys)
            outcome.duplicates[kind] = sum(c - 1 for c in counts.values() if c > 1)
            outcome.lost[kind] = len(accepted - set(counts))
            outcome.stored_but_refused[kind] = len(set(counts) - accepted)
        db.session.remove()
    return outcome
