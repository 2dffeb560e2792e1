"""Exports at a region's size: a CSV is sent as its rows are read, an XLSX written into a
temporary file, the people read as columns a batch at a time, and the audit entry holds
the rows sent. The files are the same, byte for byte (CSV) and cell for cell (XLSX), as
the whole-file-in-memory exports made from entities (the oracles below: that code)
for the CV library, the visits and the audit log; the needs read in batches against
all at once."""

from __future__ import annotations

import csv
import io
import math
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from connectences import tabular, vocab
from connectences.accounts.audit import (
    EXPORT_HEADERS as AUDIT_HEADERS,
)
from connectences.accounts.audit import (
    AuditFilters,
    action_label,
    actor_emails,
    audit,
    audit_query,
    details_text,
    entity_label,
)
from connectences.clock import LOCAL_TZ, local_date
from connectences.cvtheque import search
from connectences.cvtheque.library import EXPORT_HEADERS
from connectences.cvtheque.search import Hit, SearchFilters, _query
from connectences.demo import seed_demo
from connectences.extensions import db
from connectences.models import AuditLog, Candidate, Visit
from connectences.models.base import utcnow
from connectences.needs import board
from connectences.prospection.visits import EXPORT_HEADERS as VISIT_HEADERS
from connectences.prospection.visits import VisitFilters, _filtered
from connectences.skills import rome_label
from connectences.tabular import _cell_text, to_xlsx
from connectences.territory import commune_label, epci_label
from tests.helpers import audit_entries, recorded_statements

TODAY = date(2027, 1, 4)
BASE = "/animateur/cvtheque"


def _old_csv(headers, rows) -> bytes:
    """``tabular.to_csv`` as it was: the whole file built in one buffer."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_cell_text(h) for h in headers])
    for row in rows:
        writer.writerow([_cell_text(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _old_cv_rows(filters: dict, sort: str) -> list[list]:
    """The CV export's rows as they were made: an entity per person, in the search's order."""
    query, _, params = _query(db.session, SearchFilters(**filters), sort)
    hits = []
    for cid, score in db.session.execute(query, params).all():
        hits.append(Hit(db.session.get(Candidate, cid), None if score is None else round(score)))
    return [_old_cv_row(hit) for hit in hits]


def _old_cv_row(hit) -> list:
    """A row of the CV export as ``export_rows`` made it, each label made per person."""
    c = hit.candidate
    return [
        c.ref,
        c.first_name,
        c.last_name,
        c.email,
        c.phone or "",
        commune_label(c.commune),
        c.mobility_km,
        ", ".join(c.skill_labels),
        ", ".join(f"{code} {rome_label(code) or ''}".strip() for code in c.rome or []),
        vocab.LEVELS.get(c.level, c.level),
        c.hours_min,
        c.hours_max,
        ", ".join(vocab.DAYS.get(d, d) for d in vocab.DAYS if d in (c.days or [])),
        ", ".join(vocab.CONTRACTS.get(k, k) for k in vocab.CONTRACTS if k in (c.contracts or [])),
        c.available_from,
        vocab.CANDIDATE_STATUSES.get(c.status, c.status),
        c.source or "",
        "oui" if c.email_confirmed_at else "non",
        local_date(c.last_contact_at) if c.last_contact_at else "",
        local_date(c.updated_at) if c.updated_at else "",
        "" if hit.score is None else hit.score,
    ]


def _old_audit_rows(filters: AuditFilters) -> list[tuple]:
    entries = db.session.scalars(audit_query(filters)).all()
    emails = actor_emails(db.session, entries)
    return [
        (
            e.at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S"),
            emails.get(e.actor_id, ""),
            action_label(e.action),
            entity_label(e.entity),
            "" if e.entity_id is None else e.entity_id,
            e.ip or "",
            details_text(e.details),
        )
        for e in entries
    ]


def _old_visit_rows(filters: VisitFilters) -> list[list]:
    """The visits export's rows as they were made: an entity per visit."""
    query = (
        select(Visit)
        .options(joinedload(Visit.company), joinedload(Visit.animateur))
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
    )
    rows = []
    for v in db.session.scalars(_filtered(query, filters)).unique():
        animateur = v.animateur.full_name or v.animateur.email if v.animateur else ""
        rows.append(
            [
                v.visited_on,
                v.company.name,
                v.company.siret,
                commune_label(v.company.commune),
                epci_label(v.company.commune),
                vocab.label(vocab.VISIT_CHANNELS, v.channel),
                ", ".join(vocab.label(vocab.VISIT_TOPICS, t) for t in v.topics or []),
                vocab.label(vocab.VISIT_OUTCOMES, v.outcome),
                "oui" if v.need_detected else "non",
                v.follow_up_on or "",
                "oui" if v.follow_up_closed_at else ("non" if v.follow_up_on else ""),
                animateur,
                v.notes or "",
            ]
        )
    return rows


def _cells(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


@pytest.fixture
def demo(monkeypatch):
    seed_demo(db.session, today=TODAY)
    # A formula to escape, and a piece boundary inside the rows.
    db.session.scalars(select(Candidate)).first().first_name = "=HYPERLINK(1)"
    db.session.commit()
    monkeypatch.setattr(tabular, "CSV_CHUNK_ROWS", 7)


@pytest.mark.parametrize(
    ("args", "filters", "sort"),
    [
        ({}, {}, "relevance"),
        ({"tri": "nom"}, {}, "name"),
        ({"q": "vente"}, {"text": "vente"}, "relevance"),
    ],
)
def test_the_cv_export_is_the_file_the_entities_made(client, auth, demo, args, filters, sort):
    auth.login("animateur")
    expected = _old_cv_rows(filters, sort)
    assert len(expected) > 7 or filters  # several pieces for the whole library
    response = client.get(f"{BASE}/export/csv", query_string=args)
    assert response.data == _old_csv(EXPORT_HEADERS, expected)
    xlsx = client.get(f"{BASE}/export/xlsx", query_string=args)
    assert _cells(xlsx.data) == _cells(to_xlsx(EXPORT_HEADERS, expected, "CVthèque"))
    assert [e.details["rows"] for e in audit_entries("cv_export")] == [len(expected)] * 2
    assert not any("interrupted" in e.details for e in audit_entries("cv_export"))


def test_the_audit_export_is_the_file_the_entities_made(client, auth, demo):
    admin = auth.login("admin")
    audit(db.session, "cv_export", actor=admin, details={"filters": {"q": "=1+1"}, "rows": 3})
    db.session.commit()
    expected = _old_audit_rows(AuditFilters())
    response = client.get("/admin/journal/export.csv")
    # Its own entry, recorded before it is sent, is not in it.
    assert response.data == _old_csv(AUDIT_HEADERS, expected)
    (entry,) = audit_entries("audit_export")
    assert entry.details["rows"] == len(expected)
    expected = _old_audit_rows(AuditFilters())
    xlsx = client.get("/admin/journal/export.xlsx")
    assert _cells(xlsx.data) == _cells(to_xlsx(AUDIT_HEADERS, expected, "Journal d'audit"))
    assert audit_entries("audit_export")[1].details["rows"] == len(expected)


@pytest.mark.parametrize(
    ("args", "filters"),
    [({}, VisitFilters()), ({"canal": "telephone"}, VisitFilters(channel="telephone"))],
)
def test_the_visits_export_is_the_file_the_entities_made(client, auth, demo, args, filters):
    auth.login("animateur")
    visits = db.session.scalars(select(Visit)).all()
    visits[0].notes = "-2+3"
    visits[1].animateur_id = None
    db.session.commit()
    expected = _old_visit_rows(filters)
    assert len(expected) > 7
    response = client.get("/animateur/visites/export.csv", query_string=args)
    assert response.data == _old_csv(VISIT_HEADERS, expected)
    xlsx = client.get("/animateur/visites/export.xlsx", query_string=args)
    assert _cells(xlsx.data) == _cells(to_xlsx(VISIT_HEADERS, expected, "Visites"))


@pytest.mark.parametrize("args", [{}, {"statut": "abandonne"}])
def test_the_needs_export_read_in_batches_is_the_file_of_all_at_once(
    client, auth, demo, monkeypatch, args
):
    auth.login("animateur")
    filters, _ = board.BoardFilters.from_args(args)
    needs = list(db.session.scalars(board.board_query(filters, now=utcnow())).unique())
    expected = list(board._export_batch(db.session, needs))
    monkeypatch.setattr(board, "EXPORT_BATCH", 3)
    response = client.get("/animateur/besoins/export/csv", query_string=args)
    assert response.data == _old_csv(board.EXPORT_HEADERS, expected)
    xlsx = client.get("/animateur/besoins/export/xlsx", query_string=args)
    assert _cells(xlsx.data) == _cells(to_xlsx(board.EXPORT_HEADERS, expected, "Besoins"))


def test_the_cv_export_reads_a_batch_of_people_at_a_time(client, auth, demo, monkeypatch):
    monkeypatch.setattr(search, "EXPORT_BATCH", 4)
    auth.login("animateur")
    people = len(db.session.scalars(select(Candidate.id)).all())

    def reads_people(statement: str) -> bool:
        return "candidate.email" in statement and "FROM candidate" in statement

    with recorded_statements(reads_people, with_parameters=True) as statements:
        response = client.get(f"{BASE}/export/csv")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == people + 1
    assert len(statements) == math.ceil(people / 4)
    for _statement, parameters in statements:
        ids = parameters if isinstance(parameters, (tuple, list)) else list(parameters.values())
        assert 1 <= len(ids) <= 4


def test_a_csv_export_stopped_midway_is_recorded_as_such(client, auth, demo):
    auth.login("animateur")
    people = len(db.session.scalars(select(Candidate.id)).all())
    response = client.get(f"{BASE}/export/csv", buffered=False)
    # Recorded before a byte is sent, with every row it is to hold.
    (entry,) = audit_entries("cv_export")
    assert entry.details["rows"] == people
    pieces = iter(response.response)
    first, second = next(pieces), next(pieces)
    response.close()  # the reader left after two pieces
    db.session.expire_all()
    (entry,) = audit_entries("cv_export")
    assert entry.details["rows"] == 7  # the first piece, taken and asked past
    assert entry.details["interrupted"] is True
    assert (first + second).decode("utf-8-sig").count("\r\n") == 1 + 14
    assert db.session.get(AuditLog, entry.id).details["format"] == "csv"
