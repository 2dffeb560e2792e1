"""Export of the current data as an interchange v1.1 document.

The output is what an import reads: ``import_document(export_document())`` changes
nothing, and for any valid document ``export_document()`` after importing it into
an empty database equals ``normalize_document(document)``.

Canonical form (what ``normalize_document`` produces from an input):
- ``format`` and the five collections are always present, records sorted by ``ref``;
- an optional field is left out when it is absent, null or an empty list, or when
  it holds the spec's default (``validate.Field.default``: ``status`` ``disponible``,
  ``do_not_solicit`` false), which the import gives back to an absent field;
  ``rome_domains`` of an operator is always written, since its emptiness means
  "every domain";
- numbers are integers when integral (7, not 7.0); dates are ``YYYY-MM-DD``;
- days (a candidate's, a need's, a commitment's) are written once each in the week's
  order (``vocab.week_order``, as every record keeps them);
- a candidate's ``commitments`` (left out when none) are sorted (end date, open-ended last, then label, hours, days), each
  without its empty optional fields.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from connectences.exchange.validate import COLLECTIONS, COMMITMENT_SCHEMA, FORMAT, SCHEMA
from connectences.extensions import db
from connectences.models import Candidate, Company, Need, Operator, Partner
from connectences.needs.conditions import workable
from connectences.prospection.companies import listed
from connectences.vocab import DAYS, week_order

# Optional fields written even when empty.
_ALWAYS: dict[str, set[str]] = {"operators": {"rome_domains"}}
_NUMBERS = {
    "max_hours_per_week",
    "employees",
    "mobility_km",
    "hours_min",
    "hours_max",
    "hours_per_week",
    "duration_months",
}


_EXACT_INTEGERS = 2**53
"""Whole floats below this are integers exactly; above, an integer written out runs to
hundreds of digits (1e300) that the import refuses as too long (``parse_document``)."""


def _number(value: Any) -> Any:
    """35.0 is written 35; a whole float too large to be read back as an integer keeps
    its float form (1e+300), so the export imports again."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_INTEGERS:
        return int(value)
    return value


def _clean_commitment(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in COMMITMENT_SCHEMA:
        value = item.get(key)
        if value is None:
            continue
        if key == "hours_per_week":
            value = _number(value)
        elif key == "days":
            value = week_order(value)
        out[key] = value
    return out


def _commitment_order(item: dict[str, Any]) -> tuple:
    days = [list(DAYS).index(d) for d in item["days"]]
    return (
        item.get("until") or "9999-99-99",
        item.get("label") or "",
        item["hours_per_week"],
        days,
    )


def _clean(collection: str, item: dict[str, Any]) -> dict[str, Any]:
    """One record in canonical form, fields in the order of the spec."""
    schema = SCHEMA[collection]
    always = _ALWAYS.get(collection, set())
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        value = item.get(key)
        if key in always and value is None:
            value = []
        # A field holding the spec's default is written as absent (the import reads an
        # absent field as its default: ``validate.Field.default``).
        omitted = (
            value is None or value == [] or (spec.default is not None and value == spec.default)
        )
        if omitted and not spec.required and key not in always:
            continue
        if key in _NUMBERS:
            value = _number(value)
        elif key == "days":
            value = week_order(value)
        elif key == "commitments":
            value = sorted((_clean_commitment(c) for c in value), key=_commitment_order)
        out[key] = value
    return out


def normalize_document(document: dict[str, Any]) -> dict[str, Any]:
    """Canonical form of a valid document: what an export of it gives back."""
    out: dict[str, Any] = {"format": FORMAT}
    for name in COLLECTIONS:
        items = document.get(name) or []
        out[name] = sorted((_clean(name, item) for item in items), key=lambda i: i["ref"])
    return out


def _operator(o: Operator) -> dict[str, Any]:
    return {
        "ref": o.ref,
        "name": o.name,
        "kind": o.kind,
        "email": o.email,
        "epcis": list(o.epcis or []),
        "rome_domains": list(o.rome_domains or []),
        "levels": list(o.levels or []),
        "contracts": list(o.contracts or []),
        "max_hours_per_week": o.max_hours_per_week,
    }


def _partner(p: Partner) -> dict[str, Any]:
    return {
        "ref": p.ref,
        "name": p.name,
        "kind": p.kind,
        "email": p.email,
        "epcis": list(p.epcis or []),
    }


def _company(c: Company) -> dict[str, Any]:
    return {
        "ref": c.ref,
        "name": c.name,
        "siret": c.siret,
        "commune": c.commune,
        "naf": c.naf,
        "employees": c.employees,
        "contact_email": c.contact_email,
        "do_not_solicit": c.do_not_solicit,
    }


def _candidate(c: Candidate) -> dict[str, Any]:
    return {
        "ref": c.ref,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "phone": c.phone,
        "commune": c.commune,
        "mobility_km": c.mobility_km,
        "skills": c.skill_labels,
        "rome": list(c.rome or []),
        "level": c.level,
        "hours_min": c.hours_min,
        "hours_max": c.hours_max,
        "days": list(c.days or []),
        "contracts": list(c.contracts or []),
        "available_from": c.available_from.isoformat(),
        "status": c.status,
        "consent": True,
        "source": c.source,
        "commitments": [
            {
                "label": k.label,
                "hours_per_week": k.hours_per_week,
                "days": list(k.days or []),
                "until": k.until.isoformat() if k.until else None,
            }
            for k in c.commitments
        ],
    }


def _need(n: Need) -> dict[str, Any]:
    return {
        "ref": n.ref,
        "company": n.company.ref,
        "title": n.title,
        "rome": n.rome,
        "skills": list(n.skills or []),
        "level": n.level,
        "hours_per_week": n.hours_per_week,
        "days": list(n.days or []),
        "contract": n.contract,
        "reason": n.reason,
        "start": n.start.isoformat(),
        "duration_months": n.duration_months,
        "commune": n.commune,
    }


_ITEMS = {
    "operators": _operator,
    "partners": _partner,
    "companies": _company,
    "candidates": _candidate,
    "needs": _need,
}
# The people the CV library shares with other platforms: those who consented and whose
# address is confirmed (or attested by a sender); the document's rule ``consent: true``
# could not be honoured for anyone else.
SHAREABLE_CANDIDATES = (Candidate.consent.is_(True), Candidate.email_confirmed_at.is_not(None))


def record_of(collection: str, record: Any) -> dict[str, Any]:
    """One stored record of ``collection`` in the canonical interchange form (what an
    export writes for it)."""
    return _clean(collection, _ITEMS[collection](record))


def need_record(need: Need) -> dict[str, Any]:
    """One stored need in the canonical interchange form (what an export writes for it)."""
    return record_of("needs", need)


def export_document(session: Any = None) -> dict[str, Any]:
    """Every operator, partner, company, candidate and need as an interchange v1.1 document.

    Operators and partners are exported only when active: the format has no field to
    say one was switched off (``organisations``; an unknown key is refused), and a
    platform importing the file would route needs to every operator it holds, a closed
    one too. Candidates are exported only when shareable (``SHAREABLE_CANDIDATES``);
    companies only when listed and needs only when workable: what the platform itself
    offers to operators. A need sent on the public form and never confirmed (anyone can send one)
    is no company's need yet, nor is one sent under a company's SIRET by someone it has
    not vouched for; and the provisional company such a need created holds a ref that
    an import refuses (``validate.company_ref``), so the export could not be imported.
    """
    if session is None:
        session = db.session
    queries = {
        "operators": select(Operator).where(Operator.active.is_(True)).order_by(Operator.ref),
        "partners": select(Partner).where(Partner.active.is_(True)).order_by(Partner.ref),
        "companies": select(Company).where(listed()).order_by(Company.ref),
        "candidates": select(Candidate).where(*SHAREABLE_CANDIDATES).order_by(Candidate.ref),
        "needs": select(Need)
        .where(workable())
        .options(joinedload(Need.company))
        .order_by(Need.ref),
    }
    document: dict[str, Any] = {"format": FORMAT}
    for name in COLLECTIONS:
        records = session.execute(queries[name]).scalars()
        # Python's sort, not the database collation, so that the order is the
        # same as normalize_document's on every backend.
        document[name] = sorted((record_of(name, r) for r in records), key=lambda i: i["ref"])
    return document
