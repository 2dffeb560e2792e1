"""Every date and time people read goes through the Paris filters (``date_fr``,
``datetime_fr``): a template that prints a stored date or instant raw fails here, and
rendered pages show no ISO date, no seconds and no UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import time_machine
from sqlalchemy import Date, DateTime

from connectences.extensions import db
from connectences.models import Need
from tests import factories
from tests.helpers import need_by_ref, page_text

TEMPLATES = Path(__file__).resolve().parents[1] / "connectences" / "templates"
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
RAW_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{2}:\d{2}:\d{2}\b|\bUTC\b|\+00:00")


def _date_columns() -> set[str]:
    names = set()
    for table in db.metadata.tables.values():
        for column in table.columns:
            kind = getattr(column.type, "impl", column.type)  # TypeDecorator (aware UTC)
            if isinstance(kind, Date | DateTime) or isinstance(column.type, Date | DateTime):
                names.add(column.name)
    return names


FORM_MACRO = re.compile(r"^\s*(\w+\.)?(field|input|select|textarea|checkbox)\w*\(")


def _inside_a_tag(source: str, position: int) -> bool:
    """An attribute value (``<time datetime="…">``, ``<input value="…">``) is read by
    machines, not people: ISO there is right."""
    return source.rfind("<", 0, position) > source.rfind(">", 0, position)


def _raw_dates_in(source: str, names: set[str]) -> list[str]:
    found = []
    for match in EXPRESSION.finditer(source):
        expression = match.group(1)
        if _inside_a_tag(source, match.start()) or FORM_MACRO.match(expression):
            continue
        if any(
            f in expression
            for f in ("date_fr", "datetime_fr", "age_fr", "creneau_fr", "fin_de_mois")
        ):
            continue
        if "strftime" in expression or "isoformat" in expression:
            found.append(expression.strip())
            continue
        for name in names:
            if re.search(rf"(?<![\w']){re.escape(name)}\b(?!\s*\()", expression):
                found.append(expression.strip())
                break
    return found


def test_the_scan_catches_a_raw_date():
    names = {"created_at"}
    assert _raw_dates_in("Reçu le {{ need.created_at }}", names) == ["need.created_at"]
    assert _raw_dates_in("Reçu le {{ need.created_at | date_fr }}", names) == []
    assert _raw_dates_in("Le {{ day.strftime('%d/%m') }}", names) == ["day.strftime('%d/%m')"]
    assert _raw_dates_in('<time datetime="{{ e.created_at.isoformat() }}">', names) == []


def test_no_template_prints_a_stored_date_or_instant_raw():
    names = _date_columns()
    assert {"created_at", "visited_on", "start"} <= names
    problems = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(TEMPLATES)
        problems += [f"{where}: {{{{ {e} }}}}" for e in _raw_dates_in(source, names)]
    assert not problems, "\n".join(problems)


def test_need_page_says_when_it_was_recorded_in_paris_time(client, auth):
    # The page also lists the need's history, stamped when the test runs: at a fixed
    # morning, so that no stamp of the run can read 19:02 (it did at 18:02 UTC).
    with time_machine.travel(datetime(2026, 12, 5, 9, 30, tzinfo=UTC), tick=True):
        company = factories.company()
        factories.load(
            factories.document(companies=[company], needs=[factories.need(company=company["ref"])])
        )
        need = db.session.query(Need).one()
        # 19:02 UTC on a winter evening is 20:02 in Arcachon.
        need.created_at = datetime(2026, 12, 4, 19, 2, tzinfo=UTC)
        db.session.commit()
        auth.login("animateur")
        text = page_text(client.get(f"/animateur/besoins/{need_by_ref(need.ref).ref}"))
        assert "Enregistré le 04/12/2026 à 20:02" in text
        assert "19:02" not in text
        assert not RAW_TIME.search(text), RAW_TIME.search(text).group(0)
