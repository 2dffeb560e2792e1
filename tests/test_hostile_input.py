"""Hostile input, written down: more than 200 hostile values (tests/hostile_values.py).

The battery is shared between several modules so that pytest-xdist's workers share it
(each module takes whole): tests/test_hostile_forms_*.py send the values through every
form and route as each role (tests/hostile_battery.py), tests/test_hostile_destructive.py
through the forms that end a session or destroy a record. This module sends every value
through the search and sort parameters of every list page, raw invalid UTF-8 through every
form, hostile JSON to the offline API, an oversized body, and reads every export for
formulas. Each module writes its report (each input, where, outcome) to
``test-artifacts/hostile-input-<part>-<database>.csv``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from urllib.parse import quote, quote_from_bytes

import pytest
from openpyxl import load_workbook

from connectences.accounts import api_tokens
from connectences.extensions import db
from connectences.tabular import FORMULA_STARTS
from tests import hostile_battery as battery
from tests import hostile_values as hostile

# Query parameters of sort and paging read by list pages, besides those of their forms.
SORT_KEYS = ("tri", "ordre", "page", "format")


def test_the_battery_modules_cover_every_role_once():
    roles = [role for part in battery.SLICES.values() for role in part]
    assert sorted(roles) == sorted(battery.ROLES)
    assert hostile.count() >= 200
    modules = {p.stem for p in (battery.ROOT / "tests").glob("test_hostile_forms_*.py")}
    assert modules == {f"test_hostile_forms_{part}" for part in battery.SLICES}


@pytest.mark.slow
def test_hostile_values_through_every_parameter_api_and_export(app, auth, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    # Hundreds of API calls with one token in a minute: the rate limit (its own test) stays
    # out of the way of what is tested here, the values.
    monkeypatch.setitem(app.config, "API_MAX_REQUESTS", 1_000_000)
    world = battery.make_world(app, auth, tmp_path)
    out = battery.Outcome()
    clients = {role: battery.client_for(app, auth, world, role) for role in battery.ROLES}
    all_values = hostile.all_text_values()

    forms: list[tuple[str, battery.Form]] = []
    for role, client in clients.items():
        seen = set()
        for _, url in battery.pages_of(app, world):
            response = client.get(url)
            db.session.rollback()
            if response.status_code == 200 and response.mimetype == "text/html":
                for form in battery.forms_of(app, url, response):
                    key = (form.method, form.action)
                    if key not in seen and form.rule.endpoint not in battery.DESTRUCTIVE_ENDPOINTS:
                        seen.add(key)
                        forms.append((role, form))
            response.close()
    get_forms = [(role, form) for role, form in forms if form.method == "get"]
    post_forms = [(role, form) for role, form in forms if form.method == "post"]
    assert len(get_forms) >= 8 and len(post_forms) >= 40, [f.action for _, f in forms]

    # 1. Every value through the search and sort parameters of every list page (GET forms).
    for index, (category, value) in enumerate(all_values):
        role, form = get_forms[index % len(get_forms)]
        params = {name: value for name in form.fields} | {key: value for key in SORT_KEYS}
        response = clients[role].get(form.action, query_string=params)
        db.session.rollback()
        out.record(category, value, f"{role} GET {form.action} [tous]", response)

    # 2. Invalid UTF-8, raw in the body of every POST form and in the query string.
    with battery.WriteWatch(db.engine) as watch:
        for index, (role, form) in enumerate(post_forms):
            raw = hostile.INVALID_UTF8[index % len(hostile.INVALID_UTF8)]
            names = [name for name in form.fields if name != "csrf_token"] or ["x"]
            body = b"&".join(name.encode() + b"=" + raw for name in names)
            response = clients[role].post(
                form.action, data=body, content_type="application/x-www-form-urlencoded"
            )
            db.session.rollback()
            where = f"{role} POST {form.action} [corps brut]"
            out.check_refusal(where, response, watch)
            out.record("utf8", raw, where, response)
            response = clients[role].get(form.page + "?q=" + quote_from_bytes(raw))
            db.session.rollback()
            out.record("utf8", raw, f"{role} GET {form.page} [q brut]", response)

    # 3. The offline API: deeply nested, oversized and malformed bodies.
    staff = clients["animateur"]
    nested = '{"records": ' + '{"x": ' * 5000 + "[]" + "}" * 5001
    for label, body in (
        ("json-imbriqué", nested),
        ("json-invalide", '{"records": [1, 2,'),
        ("json-non-objet", "[[[[[]]]]]"),
        ("json-énorme", json.dumps({"records": [{"type": "visite"}] * 20000})),
        ("json-utf8-invalide", b'{"records": ["\xff\xfe"]}'),
    ):
        response = staff.post("/api/hors-ligne/envoi", data=body, content_type="application/json")
        out.record("api", label, "animateur POST /api/hors-ligne/envoi", response)
    # 3b. The JSON API v1: every value through each parameter of every operation and as
    #     the need's reference in the path, with a fresh token of the admin (the widest
    #     scope; the forms above may have revoked the battery's own tokens).
    admin = world.users["admin"]
    _, secret = api_tokens.issue_token(
        db.session, owner_email=admin.email, name="Batterie API", days=1, actor=admin
    )
    db.session.commit()
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    for category, value in all_values:
        text = value if isinstance(value, str) else value.decode("latin-1")
        for name in ("updated_since", "cursor", "limit"):
            response = api.get("/api/v1/needs", query_string={name: text})
            db.session.rollback()
            out.record(category, value, f"admin GET /api/v1/needs [{name}]", response)
            # Accepted, or refused as a problem (400: not text at all, 414: an address over
            # MAX_URL_BYTES, 422: a bad value).
            if response.status_code not in (200, 400, 414, 422):
                out.failures.append(f"/api/v1/needs [{name}]: {response.status_code}")
            elif response.status_code != 200 and response.mimetype != "application/problem+json":
                out.failures.append(f"/api/v1/needs [{name}]: {response.status_code} not a problem")
        for suffix in ("", "/matches"):
            path = "/api/v1/needs/" + quote(text, safe="") + suffix
            response = api.get(path)
            db.session.rollback()
            out.record(category, value, f"admin GET /api/v1/needs/{{ref}}{suffix}", response)
            if response.status_code >= 500:
                out.failures.append(f"{path}: {response.status_code}")
    # 3c. The API's writes: malformed bodies, then every value in each text field of a
    #     plausible body, with and without a current If-Match; never a 500, every refusal
    #     a problem, and a refused write changes nothing.
    lead_ref = str(world.params["api_v1.answer_lead:ref"])
    writes = {
        "/api/v1/needs/n1/status": {"status": "en_recherche", "reason_code": "", "reason_text": ""},
        "/api/v1/needs/n1/qualification": {
            "title": "Comptable", "skills": ["paie"], "level": "bac+2", "hours_per_week": 8,
            "days": ["mon"], "contract": "cdi", "reason": "surcroit", "start": "2027-01-04",
            "rome": "M1203", "shared_time": True, "notes": "",
        },
        "/api/v1/needs/n1/leads": {"operator": "ge", "candidates": ["p1"], "note": ""},
        f"/api/v1/leads/{lead_ref}/answer": {"action": "refuse", "reason_code": "", "reason_text": ""},
        "/api/v1/exchange": {"version": "1.1", "operators": [], "partners": []},
    }  # fmt: skip
    malformed = (nested, '{"title": [1, 2,', "[[[[[]]]]]", b'{"title": "\xff\xfe"}', "null")
    with battery.WriteWatch(db.engine) as watch:
        for path, plausible in writes.items():
            etag = api.get(path.rsplit("/", 1)[0]).headers.get("ETag", '"x"')
            bodies = [(label, body) for label, body in zip(("imbriqué", "invalide", "non-objet",
                      "utf8-invalide", "null"), malformed, strict=True)]  # fmt: skip
            texts = [key for key, value in plausible.items() if isinstance(value, str)]
            for index, (category, value) in enumerate(all_values):
                text = value if isinstance(value, str) else value.decode("latin-1")
                bodies.append(
                    (category, json.dumps({**plausible, texts[index % len(texts)]: text}))
                )
            for label, body in bodies:
                for headers in ({}, {"If-Match": etag}):
                    response = api.post(
                        path, data=body, content_type="application/json", headers=headers
                    )
                    db.session.rollback()
                    where = f"admin POST {path} [{label}]"
                    out.record("api", label, where, response)
                    if response.status_code >= 500:
                        out.failures.append(f"{where}: {response.status_code}")
                    elif response.status_code >= 400:
                        if response.mimetype != "application/problem+json":
                            out.failures.append(f"{where}: {response.status_code} not a problem")
                        out.check_refusal(where, response, watch)
                    else:
                        watch.take()  # accepted: what it wrote is its to write
    app.config["MAX_CONTENT_LENGTH"], limit = 64 * 1024, app.config["MAX_CONTENT_LENGTH"]
    try:
        response = staff.post("/animateur/entreprises/nouvelle", data={"name": "x" * 100_000})
        out.record("oversized", "corps de 100 ko", "animateur POST /animateur/entreprises/nouvelle", response)  # fmt: skip
        assert response.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit

    # 4. Every export neutralises formulas: first store one in every free-text field the
    #    staff forms show, then read the exports.
    formulas = itertools.cycle(hostile.FORMULA)  # as many as the staff forms have free fields
    for role, form in post_forms:
        if role in ("animateur", "admin") and form.free:
            data = battery.baseline(form) | {name: next(formulas) for name in form.free}
            clients[role].post(form.action, data=data)
            db.session.rollback()
    exports = [
        ("animateur", "/animateur/cvtheque/export/{fmt}"),
        ("animateur", "/animateur/besoins/export/{fmt}"),
        ("animateur", "/animateur/visites/export.{fmt}"),
        ("admin", "/admin/journal/export.{fmt}"),
    ]
    for role, pattern in exports:
        for fmt in ("csv", "xlsx"):
            response = clients[role].get(pattern.format(fmt=fmt))
            if response.status_code != 200:
                out.failures.append(f"export {pattern} {fmt}: {response.status_code}")
                continue
            for cell in _cells(fmt, response.get_data()):
                if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
                    out.failures.append(f"export {pattern} {fmt}: formula cell {cell[:40]!r}")
            out.rows.append(["formula", "(contenu stocké)", f"{role} GET {pattern.format(fmt=fmt)}", "neutralisé"])  # fmt: skip

    battery.check_mail_and_files(world, out)
    battery.write_report(out, "parametres")
    unused = {repr(v) for _, v in all_values} - out.used
    assert not unused, f"values never sent: {sorted(unused)[:5]}"
    assert not out.failures, "\n".join(out.failures[:50])


def _cells(fmt: str, data: bytes) -> Iterator[object]:
    if fmt == "csv":
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"):
            yield from row
    else:
        for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True):
            yield from row
