"""Hostile input, written down: a battery of more than 200 hostile values sent through
every form the pages show (found by reading the pages, as each role sees them), through
every search and sort parameter and through the offline API, then checks that nothing
answered 500, nothing came back unescaped, no mail header was injected, no file landed
outside the CV folder and every export neutralises formulas.

Its report (each input, where, outcome) is written to
``test-artifacts/hostile-input-<database>.csv``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from connectences.cvtheque import consent
from connectences.extensions import db
from connectences.models import Candidate, Lead, LeadCandidate, OutboxMessage, Referral
from connectences.tabular import FORMULA_STARTS
from tests import factories
from tests import hostile_values as hostile
from tests.cv_helpers import make_pdf

ROOT = Path(__file__).resolve().parent.parent
ROLES = (None, "admin", "animateur", "operator", "partner", "company", "candidate", "territoire")
# Forms left out: they end the session or destroy the records the battery works on; none
# takes free text (ids and a confirmation only), and each has its own refusal tests.
SKIPPED_ACTIONS = ("/deconnexion", "/supprimer", "/fusionner", "/desactiver", "/nouveau-lien")
# Query parameters of sort and paging read by list pages, besides those of their forms.
SORT_KEYS = ("tri", "ordre", "page", "format")
ATTRIBUTE_BREAKOUT = re.compile(r"[\"']\s*[a-z-]+\s*=", re.IGNORECASE)
TEXT_TYPES = {"text", "search", "email", "tel", "url", "password", "hidden", "date", "number"}


# --------------------------------------------------------------------------- forms


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> sample values
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type


class FormReader(HTMLParser):
    """The forms of a page: action, method, and each named field with a usable value."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page
            self._form = Form(
                page=self.page,
                action=action,
                method=(a.get("method") or "get").lower(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            name = a["name"]
            self._form.kinds.setdefault(name, kind)
            value = a.get("value", "")
            if kind in ("checkbox", "radio"):
                self._form.fields.setdefault(name, [])
                if not self._form.fields[name]:
                    self._form.fields[name].append(value or "y")
            else:
                self._form.fields.setdefault(name, [value])
        elif tag == "textarea":
            self._form.kinds.setdefault(a["name"], "textarea")
            self._form.fields.setdefault(a["name"], [""])
        elif tag == "select":
            self._select = a["name"]
            self._form.kinds.setdefault(a["name"], "select")
            self._form.fields.setdefault(a["name"], [])
        if tag == "option" and self._select and self._form is not None:
            options = self._form.fields[self._select]
            if a.get("value") and not options:
                options.append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


# --------------------------------------------------------------------------- the world


@pytest.fixture
def world(app, auth, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    factories.load(
        factories.document(
            operators=[factories.operator(ref="ge")],
            partners=[factories.partner(ref="ft")],
            companies=[factories.company(ref="c1")],
            candidates=[factories.candidate(ref="p1"), factories.candidate(ref="p2")],
            needs=[factories.need(ref="n1", company="c1")],
        )
    )
    p1, p2 = (db.session.scalar(select(Candidate).where(Candidate.ref == r)) for r in ("p1", "p2"))
    from connectences.models import Need, Operator, Partner

    ge = db.session.scalar(select(Operator).where(Operator.ref == "ge"))
    ft = db.session.scalar(select(Partner).where(Partner.ref == "ft"))
    need = db.session.scalar(select(Need).where(Need.ref == "n1"))
    lead = Lead(operator_id=ge.id, status="accepte")
    from connectences.models import LeadNeed

    lead.needs.append(LeadNeed(need=need))
    lead.candidates.append(LeadCandidate(candidate_id=p1.id))
    referral = Referral(partner_id=ft.id, need_id=need.id)
    db.session.add_all([lead, referral])
    db.session.commit()
    users = {
        "admin": auth.create("admin"),
        "animateur": auth.create("animateur"),
        "operator": auth.create("operator", org_ref="ge"),
        "partner": auth.create("partner", org_ref="ft"),
        "company": auth.create("company", org_ref="c1"),
        "candidate": auth.create("candidate", org_ref="p2"),
        "territoire": auth.create("territoire"),
    }
    return {
        "users": users,
        "ids": {
            "lead_id": lead.id,
            "referral_id": referral.id,
            "candidate_id": p1.id,
            "a_id": p1.id,
            "b_id": p2.id,
        },
        "refs": {"library": "p1", "needs": "n1", "directory": "c1", "operators": "p1"},
        "token": consent.space_token(p2),
        "cv_dir": tmp_path / "cv",
        "tmp": tmp_path,
    }


def _pages(app, world) -> list[str]:
    """One URL for each GET route that a sample value can fill."""
    from flask import url_for

    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        values = {}
        blueprint = rule.endpoint.split(".")[0]
        for name in rule.arguments:
            if name == "ref":
                values[name] = world["refs"].get(blueprint)
            elif name == "token":
                values[name] = world["token"] if blueprint == "cv_public" else None
            elif name == "fmt":
                values[name] = "csv"
            else:
                values[name] = world["ids"].get(name)
        if any(value is None for value in values.values()):
            continue
        with app.test_request_context():
            urls.append(url_for(rule.endpoint, **values))
    return sorted(set(urls))


def _client(app, auth, world, role):
    client = app.test_client()
    if role:
        auth.post_login(world["users"][role].email, client=client)
    return client


def _discover(app, auth, world) -> list[tuple[str | None, Form]]:
    found: dict[tuple, tuple[str | None, Form]] = {}
    for role in ROLES:
        client = _client(app, auth, world, role)
        for url in _pages(app, world):
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            reader = FormReader(url)
            reader.feed(response.get_data(as_text=True))
            for form in reader.forms:
                path = urlsplit(form.action).path or url
                form.action = path
                if any(part in path for part in SKIPPED_ACTIONS):
                    continue
                key = (role, form.method, path, tuple(sorted(form.fields)))
                found.setdefault(key, (role, form))
    return list(found.values())


# --------------------------------------------------------------------------- the battery


@dataclass
class Outcome:
    rows: list[list[str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def record(self, category, value, where, response, *, check_reflection=True):
        text = value if isinstance(value, str) else value.decode("latin-1")
        self.used.add(repr(value))
        status = response.status_code
        outcome = f"HTTP {status}"
        if status >= 500:
            self.failures.append(f"{where}: {status} for {value!r}")
            outcome += " — ERREUR SERVEUR"
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if check_reflection and body and _dangerous(text) and text in body:
            at = body.find(text)
            context = body[max(0, at - 120) : at + len(text) + 40]
            self.failures.append(f"{where}: {value!r} shown unescaped in …{context!r}")
            outcome += " — AFFICHÉ SANS ÉCHAPPEMENT"
        elif body and _dangerous(text):
            outcome += ", échappé ou absent"
        self.rows.append([category, repr(value)[:300], where, outcome])


def _dangerous(text: str) -> bool:
    """Whether ``text``, shown raw, would open a tag or add an attribute to one."""
    return "<" in text or ">" in text or bool(ATTRIBUTE_BREAKOUT.search(text))


def _values() -> Iterator[tuple[str, str]]:
    return itertools.cycle(hostile.all_text_values())


def _submit(client, form: Form, data: dict, files: dict | None = None):
    if form.method == "get":
        return client.get(form.action, query_string=data)
    payload = dict(data)
    if form.multipart:
        payload.update(files or {})
        return client.post(form.action, data=payload, content_type="multipart/form-data")
    return client.post(form.action, data=payload)


def _baseline(form: Form) -> dict:
    return {name: values[0] if values else "" for name, values in form.fields.items()}


@pytest.mark.slow
def test_hostile_values_through_every_form_and_parameter(app, auth, world):
    assert hostile.count() >= 200
    forms = _discover(app, auth, world)
    assert len(forms) >= 25, [f.action for _, f in forms]
    out = Outcome()
    clients = {role: _client(app, auth, world, role) for role in ROLES}
    values = _values()
    all_values = hostile.all_text_values()

    # 1. Every form: one submission per category, every field hostile at once (the values
    #    turn from field to field and from form to form, so that each one is used).
    for role, form in forms:
        client = clients[role]
        free = [n for n, kind in form.kinds.items() if kind in TEXT_TYPES | {"textarea"}]
        for category in hostile.CATEGORIES:
            data = _baseline(form)
            sent = {}
            for name in form.fields:
                if name == "csrf_token":
                    continue
                chosen_category, value = next(values)
                while chosen_category != category:
                    chosen_category, value = next(values)
                if name in free or category in ("sql", "xss"):
                    data[name] = value
                    sent[name] = value
            files = None
            if form.multipart:
                name = next(
                    (n for n, kind in form.kinds.items() if kind == "file"),
                    "cv",
                )
                traversal = hostile.TRAVERSAL[len(out.rows) % len(hostile.TRAVERSAL)]
                files = {name: (io.BytesIO(make_pdf("CV de test")), traversal)}
                data.pop(name, None)
            response = _submit(client, form, data, files)
            db.session.rollback()
            for name, value in sent.items():
                out.record(
                    category,
                    value,
                    f"{role or 'anonyme'} {form.method.upper()} {form.action} [{name}]",
                    response,
                )

    # 2. Every value through the search and sort parameters of every list page (GET forms).
    get_forms = [(role, form) for role, form in forms if form.method == "get"]
    assert get_forms
    for index, (category, value) in enumerate(all_values):
        role, form = get_forms[index % len(get_forms)]
        params = {name: value for name in form.fields} | {key: value for key in SORT_KEYS}
        response = clients[role].get(form.action, query_string=params)
        out.record(category, value, f"{role or 'anonyme'} GET {form.action} [tous]", response)

    # 3. Invalid UTF-8, raw in the body of every POST form and in the query string.
    post_forms = [(role, form) for role, form in forms if form.method == "post"]
    for index, raw in enumerate(hostile.INVALID_UTF8 * 3):
        role, form = post_forms[index % len(post_forms)]
        body = b"&".join(name.encode() + b"=" + raw for name in form.fields if name != "csrf_token")
        response = clients[role].post(
            form.action, data=body, content_type="application/x-www-form-urlencoded"
        )
        out.record("utf8", raw, f"{role or 'anonyme'} POST {form.action} [corps brut]", response)
        response = clients[role].get(form.page + "?q=" + raw.hex())
        db.session.rollback()

    # 4. The offline API: deeply nested, oversized and malformed bodies.
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
    app.config["MAX_CONTENT_LENGTH"], limit = 64 * 1024, app.config["MAX_CONTENT_LENGTH"]
    try:
        response = staff.post("/animateur/entreprises/nouvelle", data={"name": "x" * 100_000})
        out.record("oversized", "corps de 100 ko", "animateur POST /animateur/entreprises/nouvelle", response)  # fmt: skip
        assert response.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit

    # 5. Stored values are never shown unescaped: every page again, as every role.
    for role in ROLES:
        for url in _pages(app, world):
            response = clients[role].get(url)
            if response.status_code >= 500:
                out.failures.append(f"after the battery, GET {url} as {role}: 500")
            body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            for category, value in all_values:
                if category == "xss" and value in body:
                    out.failures.append(f"stored and shown unescaped on {url}: {value!r}")

    # 6. No header injection in queued mail, no file outside the CV folder.
    for message in db.session.scalars(select(OutboxMessage)):
        for part in (message.to, message.subject):
            if any(ch in part for ch in "\r\n\u2028\u0085"):
                out.failures.append(f"mail header with a line break: {part!r}")
    for path in world["tmp"].rglob("*"):
        in_cv_folder = path.parent == world["cv_dir"] and path.name.endswith(".pdf")
        expected = in_cv_folder or path.suffix in (".sqlite3", ".log") or "secret_key" in path.name
        if path.is_file() and not expected:
            out.failures.append(f"unexpected file written: {path}")

    # 7. Every export neutralises formulas (whatever the battery stored).
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

    _write_report(out)
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


def _write_report(out: Outcome) -> None:
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    name = db.engine.dialect.name
    with open(folder / f"hostile-input-{name}.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["catégorie", "entrée", "où", "résultat"])
        writer.writerows(out.rows)
        writer.writerow([])
        writer.writerow(["échecs", str(len(out.failures))])
        for failure in out.failures:
            writer.writerow(["échec", "", "", failure])
