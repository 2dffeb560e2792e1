"""The journeys of ``bench load``, run by locust in its own process (never imported by
the application: locust patches the standard library with gevent).

``bench load`` writes a plan (JSON) and points ``BENCH_LOAD_PLAN`` at it:
``{"accounts": {role: [email, password]}, "refs": {...}, "journeys": {name: weight}}``.
Each simulated user takes one role (weighted by the journeys it may run), logs in once
through the real login form (the API's journeys send the plan's ``api_token`` instead),
then runs its role's journeys back to back, without thinking time. Each journey is one
named request (a write also GETs its form first, named apart), so locust's statistics
are per page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from urllib.parse import urlencode

from locust import FastHttpUser, constant, task

from connectences.bench.forms import cv_submission, need_submission, visit_submission
from connectences.bench.roles import role_order

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
REFS = PLAN["refs"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_serial = itertools.count(1)
# Requests of the first seconds (logins, cold connections) are counted apart, under one
# name, so that each page's figures cover only the measured window that follows.
WARM_UNTIL = time.monotonic() + float(PLAN.get("warm_seconds", 0))
WARM_NAME = "(échauffement)"
_tag = f"{os.getpid()}-{random.randrange(10**6)}"  # noqa: S311 — synthetic or sampled data, never a secret


def _name(name: str) -> str:
    return WARM_NAME if time.monotonic() < WARM_UNTIL else name


def _csrf(client, path: str, name: str) -> str | None:
    with client.get(path, name=_name(name), catch_response=True) as response:
        found = CSRF.search(response.text or "")
        if response.status_code != 200 or not found:
            response.failure(f"form {path}: {response.status_code}")
            return None
        response.success()
        return found.group(1)


def _post(client, path: str, data: dict, name: str, ok=(302, 303)) -> None:
    body = urlencode(data, doseq=True)  # lists (days, topics) as repeated fields
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with client.post(
        path, data=body, headers=headers, name=_name(name), catch_response=True,
        allow_redirects=False,
    ) as r:  # fmt: skip
        if r.status_code in ok:
            r.success()
        else:
            r.failure(f"{r.status_code}")


def _get(client, path: str, name: str, headers: dict | None = None) -> None:
    with client.get(
        path, name=_name(name), headers=headers, catch_response=True, allow_redirects=False
    ) as r:
        if r.status_code == 200:
            r.success()
        else:
            r.failure(f"{r.status_code}")


# --------------------------------------------------------------------- journeys
def animateur_home(c):
    _get(c, "/animateur", "animateur_home")


def needs_board(c):
    _get(c, "/animateur/besoins", "needs_board")


def need_page(c):
    _get(c, f"/animateur/besoins/{random.choice(REFS['needs'])}", "need_page")  # noqa: S311 — synthetic or sampled data, never a secret


def cv_search(c):
    text = random.choice(["comptabilité", "aide a domicile", "vente", "cuisine", "secrétariat"])  # noqa: S311 — synthetic or sampled data, never a secret
    commune = random.choice(["33009", "33529", "33199", "33051"])  # noqa: S311 — synthetic or sampled data, never a secret
    query = f"q={text}&autour={commune}&rayon=15"
    _get(c, f"/animateur/cvtheque?{query}", "cv_search")


def cv_record(c):
    _get(c, f"/animateur/cvtheque/{random.choice(REFS['candidates'])}", "cv_record")  # noqa: S311 — synthetic or sampled data, never a secret


def visits_list(c):
    _get(c, "/animateur/visites", "visits_list")


def directory(c):
    _get(c, "/animateur/entreprises", "directory")


def company_page(c):
    _get(c, f"/animateur/entreprises/{random.choice(REFS['companies'])}", "company_page")  # noqa: S311 — synthetic or sampled data, never a secret


def visit_log(c):
    ref = random.choice(REFS["visit_companies"])  # noqa: S311 — synthetic or sampled data, never a secret
    path = f"/animateur/visites/nouvelle?entreprise={ref}"
    token = _csrf(c, path, "visit_log (formulaire)")
    if token is None:
        return
    data = visit_submission(token)
    # 409: the contact-pressure guard refused a company already contacted this month,
    # a correct answer of the platform, not an error.
    _post(c, path, data, "visit_log", ok=(302, 303, 409))


def operator_inbox(c):
    _get(c, "/operateur/propositions", "operator_inbox")


def lead_page(c):
    _get(c, f"/operateur/propositions/{random.choice(REFS['leads'])}", "lead_page")  # noqa: S311 — synthetic or sampled data, never a secret


def observatory(c):
    _get(c, "/territoire", "observatory")


def public_home(c):
    _get(c, "/", "public_home")


def login_page(c):
    _get(c, "/connexion", "login_page")


def cv_submit(c):
    token = _csrf(c, "/deposer-mon-cv", "cv_submit (formulaire)")
    if token is None:
        return
    data = cv_submission(token, _tag, next(_serial))
    _post(c, "/deposer-mon-cv", data, "cv_submit")


def need_submit(c):
    token = _csrf(c, "/exprimer-un-besoin", "need_submit (formulaire)")
    if token is None:
        return
    siret_n = random.randrange(10**11)  # noqa: S311 — synthetic or sampled data, never a secret
    data = need_submission(token, _tag, next(_serial), siret_n)
    _post(c, "/exprimer-un-besoin", data, "need_submit")


def _api_get(c, path: str, name: str) -> None:
    _get(c, path, name, headers={"Authorization": f"Bearer {PLAN['api_token']}"})


def api_needs(c):
    _api_get(c, "/api/v1/needs", "api_needs")


def api_need(c):
    _api_get(c, f"/api/v1/needs/{random.choice(REFS['needs'])}", "api_need")  # noqa: S311 — synthetic or sampled data, never a secret


JOURNEYS = {
    "animateur_home": ("animateur", animateur_home),
    "needs_board": ("animateur", needs_board),
    "need_page": ("animateur", need_page),
    "cv_search": ("animateur", cv_search),
    "cv_record": ("animateur", cv_record),
    "visits_list": ("animateur", visits_list),
    "directory": ("animateur", directory),
    "company_page": ("animateur", company_page),
    "visit_log": ("animateur", visit_log),
    "operator_inbox": ("operator", operator_inbox),
    "lead_page": ("operator", lead_page),
    "observatory": ("territoire", observatory),
    "public_home": ("public", public_home),
    "login_page": ("public", login_page),
    "cv_submit": ("public", cv_submit),
    "need_submit": ("public", need_submit),
    "api_needs": ("api", api_needs),
    "api_need": ("api", api_need),
    "hello": ("public", lambda c: _get(c, "/", "hello")),
    "staff_floor": ("animateur", lambda c: _get(c, PLAN["floor_path"], "staff_floor")),
}


def _by_role() -> dict[str, list[tuple[str, int]]]:
    roles: dict[str, list[tuple[str, int]]] = {}
    for name, weight in PLAN["journeys"].items():
        roles.setdefault(JOURNEYS[name][0], []).append((name, weight))
    return roles


ROLES = _by_role()
# Every role has a user as soon as there are as many users as roles (bench/roles.py).
ROLE_ORDER = role_order({r: sum(w for _, w in js) for r, js in ROLES.items()}, 10_000)
_users = itertools.count()


class Visitor(FastHttpUser):
    """One person using the platform: a role, a login, then its journeys in a loop."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.role = ROLE_ORDER[next(_users) % len(ROLE_ORDER)]
        self.names = [name for name, _ in ROLES[self.role]]
        self.weights = [weight for _, weight in ROLES[self.role]]
        if self.role not in ("public", "api"):  # the API's journeys carry a token
            email, password = PLAN["accounts"][self.role]
            token = _csrf(self.client, "/connexion", "login (formulaire)")
            data = {"csrf_token": token or "", "email": email, "password": password}
            _post(self.client, "/connexion", data, "login")

    @task
    def journey(self) -> None:
        name = random.choices(self.names, self.weights)[0]  # noqa: S311 — synthetic or sampled data, never a secret
        JOURNEYS[name][1](self.client)
