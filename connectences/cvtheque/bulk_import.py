"""Bulk import of CVs collected on paper or in a spreadsheet (CSV or XLSX).

Two steps. ``preview`` reads the file, checks every row with the profile rules
(``profile.clean_profile``) and flags duplicates, writing nothing but the pending
import itself (the rows wait server-side in ``CandidateImport``). ``confirm`` creates
the valid rows through ``profile.submit_candidate`` (each person gets the consent mail
and is not matched until they confirm), finds existing people by e-mail instead of
creating them again, and reports invalid rows with their errors, to be downloaded,
fixed and imported again. Every row of the file ends in exactly one of: imported,
existing, invalid.

A row whose person may be a record already there (same phone, close name), or on
another row of the file (same name and phone, another address), is flagged by the
preview and named again by the report: it is imported like any row, and the pair is
then offered on the duplicates page, to merge or keep both. Only the same address is
the same person for certain (``same_as_line``): that row is never stored twice.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from connectences import vocab
from connectences.accounts.audit import audit
from connectences.contacts import InvalidPhone, fold_name, phone_from_number
from connectences.cvtheque import consent, profile
from connectences.cvtheque.duplicates import (
    REASON_EMAIL,
    REASON_NAME,
    REASON_NAME_CLOSE,
    REASON_PHONE,
    find_duplicates,
    same_people,
)
from connectences.cvtheque.history import record_event
from connectences.models import Candidate, CandidateImport, User, utcnow
from connectences.tabular import FORMULA_STARTS, NumberCell, TableError, read_table


@dataclass(frozen=True)
class Column:
    key: str  # interchange name (profile field) or "source"
    header: str  # French header of the template
    help: str
    required: bool = False
    aliases: tuple[str, ...] = ()


# The one list the template, the parser and the error file are built from.
COLUMNS: tuple[Column, ...] = (
    Column("first_name", "Prénom", "Prénom de la personne.", True),
    Column("last_name", "Nom", "Nom de famille.", True, ("nom de famille",)),
    Column(
        "email",
        "E-mail",
        "Adresse e-mail : la personne y reçoit le message pour confirmer son accord.",
        True,
        ("email", "mail", "courriel", "adresse e mail", "adresse mail", "adresse email"),
    ),
    Column(
        "phone",
        "Téléphone",
        "Facultatif, par exemple 06 12 34 56 78.",
        False,
        ("tel", "telephone portable", "portable", "mobile"),
    ),
    Column(
        "commune",
        "Commune",
        "Nom de la commune (ou code postal, ou code INSEE).",
        True,
        ("ville", "commune de residence"),
    ),
    Column(
        "mobility_km",
        "Rayon de mobilité (km)",
        "Distance acceptée, de 0 à 200 km.",
        True,
        ("rayon de mobilite", "mobilite", "mobilite km", "distance km", "distance"),
    ),
    Column("skills", "Compétences", "Séparées par des virgules ou des points-virgules.", True),
    Column(
        "rome",
        "Métiers visés (ROME)",
        "Facultatif : codes ROME séparés par des virgules (ex. M1203).",
        False,
        ("metiers vises", "rome", "codes rome", "metiers"),
    ),
    Column(
        "level",
        "Niveau",
        "Non qualifié, Employé qualifié, Technicien / agent de maîtrise ou Cadre.",
        True,
        ("niveau de qualification", "qualification"),
    ),
    Column(
        "hours_min",
        "Heures min",
        "Heures par semaine au minimum (1 à 48).",
        True,
        ("heures minimum", "heures mini"),
    ),
    Column(
        "hours_max",
        "Heures max",
        "Heures par semaine au maximum (1 à 48).",
        True,
        ("heures maximum", "heures maxi"),
    ),
    Column(
        "days",
        "Jours",
        "Jours possibles : lundi, mardi… (ou « lundi-vendredi »).",
        True,
        ("jours disponibles", "jours possibles"),
    ),
    Column(
        "contracts",
        "Contrats",
        "CDI à temps partagé, CDI, CDD, saisonnier, mission ; séparés par des virgules.",
        True,
        ("contrats acceptes", "types de contrat", "contrat"),
    ),
    Column(
        "available_from",
        "Disponible à partir du",
        "Date au format JJ/MM/AAAA.",
        True,
        ("disponible le", "disponibilite", "date de disponibilite", "disponible a partir de"),
    ),
    Column(
        "source",
        "Source",
        "Facultatif : forum, job dating, permanence, réseaux sociaux, papier ou autre "
        "(sinon la source choisie à l'envoi).",
        False,
        ("origine",),
    ),
)
HEADERS = tuple(c.header for c in COLUMNS)
ERRORS_HEADER = "Erreurs"
LABELS = {c.key: c.header for c in COLUMNS}
# A preview not confirmed within this delay is forgotten (it holds personal data).
PREVIEW_KEPT = timedelta(days=2)

STATUS_NEW = "nouveau"
STATUS_EXISTING = "existant"
STATUS_INVALID = "invalide"
STATUS_LABELS = {
    STATUS_NEW: "à importer",
    STATUS_EXISTING: "déjà dans la CVthèque",
    STATUS_INVALID: "erreurs à corriger",
}


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.header, column.key, *column.aliases):
            index[fold_name(name)] = column.key
    return index


_HEADER_INDEX = _header_index()


def column_for(header: str) -> str | None:
    """The column key a spreadsheet header stands for (accents, case, punctuation ignored)."""
    return _HEADER_INDEX.get(fold_name(header))


# --------------------------------------------------------------------------- values


def _value_index(vocabulary: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    index = {fold_name(code): code for code in vocabulary}
    index.update({fold_name(label): code for code, label in vocabulary.items()})
    index.update({fold_name(k): v for k, v in extra.items()})
    return index


_LEVELS = _value_index(
    vocab.LEVELS,
    {
        "technicien": "technicien",
        "agent de maitrise": "technicien",
        "employe": "employe_qualifie",
        "non qualifiee": "non_qualifie",
        "employee qualifiee": "employe_qualifie",
    },
)
_DAYS = _value_index(
    vocab.DAYS,
    {
        "lun": "mon",
        "mar": "tue",
        "mer": "wed",
        "jeu": "thu",
        "ven": "fri",
        "sam": "sat",
        "dim": "sun",
    },
)
_CONTRACTS = _value_index(
    vocab.CONTRACTS,
    {
        "temps partage": "cdi_temps_partage",
        "cdi temps partage": "cdi_temps_partage",
        "cdi a temps partage": "cdi_temps_partage",
        "saisonnier": "saisonnier",
        "saison": "saisonnier",
        "mission courte": "mission",
        "interim": "mission",
    },
)
_DAY_ORDER = list(vocab.DAYS)


def _days(text: str) -> list[str]:
    """Day codes from "lundi, mardi", "lun mar", "lundi-vendredi" or "du lundi au vendredi";
    unknown words are passed on as they are, for the profile rule to name them."""
    folded = fold_name(text)
    span = re.fullmatch(r"(?:du )?(\w+) (?:au|a) (\w+)", folded)
    if span is None and re.fullmatch(r"\s*\w+\s*-\s*\w+\s*", text):
        span = re.fullmatch(r"(\w+) (\w+)", folded)
    if span and span.group(1) in _DAYS and span.group(2) in _DAYS:
        start = _DAY_ORDER.index(_DAYS[span.group(1)])
        end = _DAY_ORDER.index(_DAYS[span.group(2)])
        if start <= end:
            return _DAY_ORDER[start : end + 1]
    words = [w for w in re.split(r"[\s,;/+]+|\bet\b", text) if w.strip()]
    return [_DAYS.get(fold_name(w), w.strip()) for w in words]


def _contracts(text: str) -> list[str]:
    parts = [p for p in re.split(r"[,;/+]|\bet\b", text) if p.strip()]
    return [_CONTRACTS.get(fold_name(p), p.strip()) for p in parts]


def _level(text: str) -> str:
    return _LEVELS.get(fold_name(text), text.strip())


def profile_data(values: dict[str, str]) -> dict[str, Any]:
    """The profile fields of one spreadsheet row, French words turned into codes."""
    data: dict[str, Any] = {key: values.get(key, "") for key in profile.PROFILE_FIELDS}
    data["level"] = _level(values.get("level", "")) if values.get("level") else ""
    data["days"] = _days(values.get("days", ""))
    data["contracts"] = _contracts(values.get("contracts", ""))
    return data


# --------------------------------------------------------------------------- reading


@dataclass
class RowCheck:
    """One row of the file as the preview shows it."""

    line: int  # line number in the file (the header is line 1)
    values: dict[str, str]
    status: str = STATUS_NEW
    errors: dict[str, str] = field(default_factory=dict)  # column key -> French message
    existing: Candidate | None = None
    source: str | None = None  # the row's « Source », as a code of vocab.CV_SOURCES
    same_as_line: int | None = None
    duplicates: list[tuple[Candidate, list[str]]] = field(default_factory=list)
    # Other rows of the file with the same person: (line, what they share, in French).
    same_person: list[tuple[int, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.values.get('first_name', '')} {self.values.get('last_name', '')}".strip()

    def error_text(self) -> str:
        return " ; ".join(f"{LABELS.get(k, k)} : {m}" for k, m in self.errors.items())


@dataclass
class Preview:
    batch: CandidateImport
    rows: list[RowCheck]
    ignored_headers: list[str]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.status == STATUS_NEW and r.duplicates)

    @property
    def same_person_pairs(self) -> list[tuple[int, int, str]]:
        """(line, later line, what they share) for each person on two rows of the file."""
        return same_person_pairs(self.rows)


# What two rows share, as the preview and the report say it: "nom et téléphone".
_SHARED_WORDS = {
    REASON_NAME: "nom",
    REASON_NAME_CLOSE: "nom très proche",
    REASON_EMAIL: "e-mail",
    REASON_PHONE: "téléphone",
}


def _shared_text(reasons: list[str]) -> str:
    words = [_SHARED_WORDS[r] for r in reasons]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]


def same_person_pairs(rows: list[RowCheck]) -> list[tuple[int, int, str]]:
    """(line, later line, what they share) for each person on two rows, by line."""
    return sorted(
        (row.line, other, shared)
        for row in rows
        for other, shared in row.same_person
        if other > row.line
    )


def _unescape(text: str) -> str:
    # Our own exports (the error file) prefix text that looks like a formula with an
    # apostrophe; the value meant is what follows it.
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def _cell_value(key: str, cell: str | NumberCell, errors: dict[str, str]) -> str:
    """The text of one cell for column ``key``; a reading error goes to ``errors``."""
    if not isinstance(cell, NumberCell):
        return _unescape(cell)
    if key == "phone":
        # A number cell dropped the phone number's leading 0 (612345678): put back when
        # it can only be that, refused in words that say why otherwise.
        try:
            return phone_from_number(cell.value)
        except InvalidPhone as exc:
            errors[key] = exc.message
    return cell.text


def read_rows(filename: str, data: bytes) -> tuple[list[dict], list[str]]:
    """Rows of an uploaded file as ``{"line", "values"}`` keyed by column, plus
    ``"errors"`` (column -> French message) for a cell that could not be read, and the
    headers that match no column. Raises ``TableError`` (French) when the file cannot
    be read or a required column is missing."""
    headers, rows = read_table(filename, data, keep_numbers=True)
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        if fold_name(header) == fold_name(ERRORS_HEADER):
            continue  # the column added to the error file: re-importing it is expected
        key = column_for(header) if header else None
        if key is None or key in mapping.values():
            if header:
                ignored.append(header)
            continue
        mapping[header] = key
    missing = [c.header for c in COLUMNS if c.required and c.key not in mapping.values()]
    if missing:
        raise TableError(
            "Colonnes obligatoires absentes : "
            + ", ".join(f"« {m} »" for m in missing)
            + ". Partez du modèle à télécharger sur cette page."
        )
    out = []
    for number, row in enumerate(rows, start=2):
        errors: dict[str, str] = {}
        values = {
            key: _cell_value(key, row.get(header, ""), errors) for header, key in mapping.items()
        }
        out.append({"line": number, "values": values, **({"errors": errors} if errors else {})})
    return out, ignored


def check_rows(session: Session, rows: list[dict]) -> list[RowCheck]:
    """Check each row with the profile rules and look for the person in the library."""
    checks: list[RowCheck] = []
    first_line_of: dict[str, int] = {}
    # The valid rows' people, to find one person on two rows of the file.
    people: list[tuple[RowCheck, dict]] = []
    for row in rows:
        check = RowCheck(line=row["line"], values=dict(row["values"]))
        # Every error of the row at once, the source's with the profile's.
        try:
            clean = profile.clean_profile(profile_data(check.values))
        except profile.ProfileError as exc:
            check.errors = dict(exc.errors)
        # What the file's reading refused says more than the profile's rule could.
        check.errors.update(row.get("errors", {}))
        try:
            check.source = profile.clean_source(check.values.get("source"))
        except ValueError as exc:
            check.errors["source"] = str(exc)
        if check.errors:
            check.status = STATUS_INVALID
            checks.append(check)
            continue
        email = clean["email"]
        if email in first_line_of:
            check.status = STATUS_EXISTING
            check.same_as_line = first_line_of[email]
            checks.append(check)
            continue
        first_line_of[email] = check.line
        people.append((check, clean))
        check.existing = consent.find_by_email(session, email)
        if check.existing is not None:
            check.status = STATUS_EXISTING
        else:
            check.duplicates = [
                (candidate, [r for r in reasons if r != REASON_EMAIL])
                for candidate, reasons in find_duplicates(
                    session,
                    email=email,
                    phone=clean.get("phone"),
                    first_name=clean["first_name"],
                    last_name=clean["last_name"],
                    commune=clean["commune"],
                )
            ]
        checks.append(check)
    # A row repeating another one's address is already that person (same_as_line); one
    # with another address but the same name and phone would be a second record of them.
    for later, earlier, reasons in same_people(people):
        if later.status == earlier.status == STATUS_EXISTING:
            continue  # neither is imported: nothing to store twice
        shared = _shared_text(reasons)
        later.same_person.append((earlier.line, shared))
        earlier.same_person.append((later.line, shared))
    return checks


def _forget_stale_previews(session: Session) -> None:
    forget_old_imports(session, utcnow())


# A finished import's report (its rows: names, addresses, phones of every line) is kept
# this long for the animateur to download its errors, then forgotten by the retention job.
DONE_KEPT = timedelta(days=30)


def forget_old_imports(session: Session, now: datetime) -> int:
    """Delete the previews never confirmed (``PREVIEW_KEPT``) and the reports of finished
    imports (``DONE_KEPT``): their rows hold every line's personal data, erased people's
    included. How many went."""
    return session.execute(
        delete(CandidateImport).where(
            or_(
                and_(
                    CandidateImport.status == "preview",
                    CandidateImport.created_at < now - PREVIEW_KEPT,
                ),
                and_(
                    CandidateImport.status == "done",
                    func.coalesce(CandidateImport.finished_at, CandidateImport.created_at)
                    < now - DONE_KEPT,
                ),
            )
        )
    ).rowcount


def preview(
    session: Session, filename: str, data: bytes, *, source: str, actor: User | int | None
) -> Preview:
    """Read and check an uploaded file; keep its rows for ``confirm``. No person is
    written. Raises ``TableError`` (French) for an unreadable file."""
    rows, ignored = read_rows(filename, data)
    if not rows:
        raise TableError("Le fichier ne contient aucune ligne sous les noms de colonnes.")
    _forget_stale_previews(session)
    batch = CandidateImport(
        token=secrets.token_urlsafe(32),
        created_by_id=actor.id if isinstance(actor, User) else actor,
        filename=(filename or "import")[-200:],
        source=(source or "").strip()[:100] or None,
        rows=rows,
        status="preview",
        result={"ignored_headers": ignored},
    )
    session.add(batch)
    session.flush()
    return Preview(batch=batch, rows=check_rows(session, rows), ignored_headers=ignored)


def load_preview(session: Session, batch: CandidateImport) -> Preview:
    """The preview of a pending import, checked again against today's library."""
    return Preview(
        batch=batch,
        rows=check_rows(session, batch.rows),
        ignored_headers=list(batch.result.get("ignored_headers", [])),
    )


# --------------------------------------------------------------------------- importing


@dataclass
class ImportResult:
    imported: list[dict]
    existing: list[dict]
    invalid: list[dict]
    # To check on the duplicates page: one person on two rows ({"lines", "shared",
    # "refs"}), and rows imported that look like a record already there ({"line",
    # "name", "ref", "reasons"}). Every row is still counted once above.
    same_person: list[dict] = field(default_factory=list)
    look_alike: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.imported) + len(self.existing) + len(self.invalid)

    def as_dict(self) -> dict:
        return {
            "imported": self.imported,
            "existing": self.existing,
            "invalid": self.invalid,
            "same_person": self.same_person,
            "look_alike": self.look_alike,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportResult:
        return cls(
            imported=list(data.get("imported", [])),
            existing=list(data.get("existing", [])),
            invalid=list(data.get("invalid", [])),
            same_person=list(data.get("same_person", [])),
            look_alike=list(data.get("look_alike", [])),
        )


def confirm(session: Session, batch: CandidateImport, *, actor: User | int | None) -> ImportResult:
    """Import the pending rows of ``batch``: create the valid new people (consent mail
    queued for each), point existing ones out, keep invalid rows with their errors.

    Rows are checked again first (the library may have changed since the preview).
    A batch already imported returns its result unchanged. The caller commits.
    """
    if batch.status == "done":
        return ImportResult.from_dict(batch.result)
    result = ImportResult([], [], [])
    checks = check_rows(session, batch.rows)
    ref_of: dict[int, str] = {}
    for check in checks:
        summary = {"line": check.line, "name": check.name}
        if check.status == STATUS_INVALID:
            result.invalid.append({**summary, "values": check.values, "errors": check.errors})
            continue
        data = {**profile_data(check.values), "consent": True}
        source = check.source or batch.source or "import"
        try:
            candidate, created = profile.submit_candidate(session, data, source=source, actor=actor)
        except profile.ProfileError as exc:  # refused after all: reported, not lost
            result.invalid.append({**summary, "values": check.values, "errors": exc.errors})
            continue
        summary.update({"candidate_id": candidate.id, "ref": candidate.ref})
        ref_of[check.line] = candidate.ref
        if created:
            record_event(
                session,
                candidate,
                "imported",
                f"Importé depuis le fichier « {batch.filename} » (ligne {check.line}).",
                actor=actor,
                details={"import_id": batch.id, "line": check.line},
            )
            result.imported.append(summary)
            if check.duplicates:
                reasons = dict.fromkeys(r for _c, found in check.duplicates for r in found)
                result.look_alike.append({**summary, "reasons": ", ".join(reasons)})
        else:
            result.existing.append(summary)
    result.same_person = [
        {"lines": [line, other], "shared": shared, "refs": [ref_of.get(line), ref_of.get(other)]}
        for line, other, shared in same_person_pairs(checks)
    ]
    batch.status = "done"
    batch.finished_at = utcnow()
    batch.result = {
        **result.as_dict(),
        "ignored_headers": batch.result.get("ignored_headers", []),
    }
    # The file's rows are no longer needed: the invalid ones stay in the result.
    batch.rows = []
    audit(
        session,
        "candidate_import",
        actor=actor,
        entity="candidate_import",
        entity_id=batch.id,
        details={
            "filename": batch.filename,
            "source": batch.source,
            "rows": result.total,
            "imported": len(result.imported),
            "existing": len(result.existing),
            "invalid": len(result.invalid),
            "same_person": len(result.same_person),
        },
    )
    return result


def error_rows(result: ImportResult) -> list[list[str]]:
    """The invalid rows as the template's columns plus "Erreurs", to fix and re-import."""
    out = []
    for item in result.invalid:
        values = item.get("values", {})
        errors = " ; ".join(f"{LABELS.get(k, k)} : {m}" for k, m in item["errors"].items())
        out.append([values.get(c.key, "") for c in COLUMNS] + [errors])
    return out


def find_batch(session: Session, token: str) -> CandidateImport | None:
    """A pending or finished import by its unguessable token."""
    return session.scalar(select(CandidateImport).where(CandidateImport.token == token))
