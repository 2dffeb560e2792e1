"""Validation of interchange v1 and v1.1 documents (see shared/spec/interchange-v1.md).

Both ``connectences/v1`` and ``connectences/v1.1`` are read; only v1.1 may carry a
candidate's ``commitments`` (a v1 document is read as having none). Export writes
``FORMAT``, the latest.

A document is checked as a whole and every offending field is reported once, as
an RFC 6901 JSON pointer and a French sentence, so that a sender can fix all its
mistakes in one go. Checks that need the database (communes, EPCIs, companies
and candidates already stored) go through the session given, or ``db.session``.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from stdnum.fr import siret as stdnum_siret

from connectences import territory, vocab
from connectences.contacts import (
    InvalidEmail,
    InvalidName,
    NameKind,
    check_sent_name,
    clean_email,
    email_refusal,
)
from connectences.cvtheque.history import merged_into
from connectences.extensions import db
from connectences.models import Candidate, Company, Deletion, Lead, LeadNeed, Need, Operator
from connectences.prospection.companies import PROVISIONAL_REF, listed
from connectences.skills import MAX_SKILL_LENGTH
from connectences.skills.forbidden import forbidden_criterion, refusal, text_problem
from connectences.text import NUL_REFUSED, nul_paths
from connectences.typography import hours_plain
from connectences.urls import ref_address_problem
from connectences.workflows import LEAD_LIVE

FORMAT_V1 = "connectences/v1"
FORMAT = "connectences/v1.1"
FORMATS = (FORMAT_V1, FORMAT)
COLLECTIONS = ("operators", "partners", "companies", "candidates", "needs")

_ROME = re.compile(r"[A-Z][0-9]{4}")
_ROME_DOMAIN = re.compile(r"[A-Z](?:[0-9]{2}(?:[0-9]{2})?)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NAF = re.compile(r"[0-9]{2}\.[0-9]{2}[A-Z]")
_SIRET = re.compile(r"[0-9]{14}")


# A check's words that say what the value must be or holds, with no subject: the sentence
# names it (« La valeur doit être une liste. »).
_PREDICATE = ("doit ", "ne doit ", "contient ")


def sentence(words: str) -> str:
    """The French sentence reporting ``words`` a check wrote after its field's pointer
    (« doit être une liste », « date inexistante : « 2027-02-30 » »): a subject where it
    has none, a capital and a full stop, as the spec asks of each error's message.

    A check's words start with a letter (never with a value, which could start with a
    digit or a small letter) and end with its own words or a quoted value (a value at
    the end, « 3300. » or « 33? », would pass for the sentence's end)."""
    words = words.strip()
    if words.startswith(_PREDICATE):
        words = f"La valeur {words}"
    words = words[:1].upper() + words[1:]
    return words if words.endswith((".", "!", "?", "…")) else f"{words}."


@dataclass(frozen=True, slots=True)
class FieldError:
    """One offending field: where (JSON pointer) and why (a French sentence, made of the
    check's words by ``sentence``)."""

    pointer: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", sentence(self.message))

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message}

    def __str__(self) -> str:
        return f"{self.pointer or '(document)'} : {self.message}"


def pointer(*parts: str | int) -> str:
    """RFC 6901 pointer from path parts: ``~`` becomes ``~0`` and ``/`` becomes ``~1``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def join(base: str, *parts: str | int) -> str:
    """Extend an existing pointer with more (escaped) parts."""
    return base + pointer(*parts)


# --------------------------------------------------------------------------- context


@dataclass
class _Context:
    """What the checks need from outside the document, looked up once per call."""

    session: Any
    errors: list[FieldError] = field(default_factory=list)
    _communes: dict[str, bool] = field(default_factory=dict)
    _epcis: dict[str, bool] = field(default_factory=dict)

    def error(self, where: str, message: str) -> None:
        self.errors.append(FieldError(where, message))

    def is_commune(self, insee: str) -> bool:
        if insee not in self._communes:
            self._communes[insee] = bool(territory.is_commune(insee))
        return self._communes[insee]

    def is_epci(self, siren: str) -> bool:
        if siren not in self._epcis:
            self._epcis[siren] = bool(territory.is_epci(siren))
        return self._epcis[siren]


# --------------------------------------------------------------------------- field checks
#
# A check receives a value that is present and not null, the pointer of that value and
# the context; it records its errors and returns the value when it is valid, else None.

Check = Callable[[Any, str, _Context], Any]


def _fmt(number: float) -> str:
    if abs(number) >= 10**12:  # 1e308 was echoed with its 309 digits
        return f"{number:.3g}".replace(".", ",")
    if isinstance(number, int) or number.is_integer():
        return str(int(number))
    return str(number).replace(".", ",")


def _is_number(value: Any) -> bool:
    # bool is an int subclass in Python, but true is not a number in a document.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def string(max_length: int) -> Check:
    def check(value: Any, where: str, ctx: _Context) -> Any:
        if not isinstance(value, str):
            ctx.error(where, "doit être une chaîne de caractères")
            return None
        if not value.strip():
            ctx.error(where, "ne doit pas être vide")
            return None
        if len(value) > max_length:
            ctx.error(where, f"ne doit pas dépasser {max_length} caractères")
            return None
        return value

    return check


def company_ref(value: Any, where: str, ctx: _Context) -> Any:
    """A company's ref: never one the platform gives a provisional company (created by
    an unconfirmed public need: hidden from every list, deleted with that need)."""
    if string(100)(value, where, ctx) is None:
        return None
    if value.startswith(PROVISIONAL_REF):
        ctx.error(where, f"ne doit pas commencer par « {PROVISIONAL_REF} » (préfixe réservé)")
        return None
    return value


def skill(value: Any, where: str, ctx: _Context) -> Any:
    """One free-text skill: a string of 200 characters at most that expresses no criterion
    the law forbids in hiring (``skills.forbidden``; the spec: "never age, sex,
    nationality..."), whether of a need or of a candidate."""
    if string(MAX_SKILL_LENGTH)(value, where, ctx) is None:
        return None
    criterion = forbidden_criterion(value)
    if criterion is not None:
        ctx.error(where, refusal(value, criterion))
        return None
    return value


def need_text(max_length: int) -> Check:
    """A text about a need (its title): a string of ``max_length`` characters at most
    that states no requirement on a criterion the law forbids in hiring
    (``skills.forbidden.text_problem``), as the need forms refuse it."""
    as_string = string(max_length)

    def check(value: Any, where: str, ctx: _Context) -> Any:
        if as_string(value, where, ctx) is None:
            return None
        if problem := text_problem(value):
            ctx.error(where, problem)
            return None
        return value

    return check


def name_text(kind: NameKind) -> Check:
    """A person's or an organisation's name: a string no longer than the names rule allows
    for ``kind`` and holding no line break, control character, link or address
    (``contacts.check_sent_name``, the rule of every form and import): it is written into
    the mails the platform sends. Digits and signs stay allowed (the spec only says
    "string"): other systems write names their own way ("Exemple12")."""
    as_string = string(kind.limit)

    def check(value: Any, where: str, ctx: _Context) -> Any:
        if as_string(value, where, ctx) is None:
            return None
        try:
            return check_sent_name(value, kind)
        except InvalidName as refusal:
            ctx.error(where, refusal.message)
            return None

    return check


def email(value: Any, where: str, ctx: _Context) -> Any:
    if string(254)(value, where, ctx) is None:
        return None
    try:
        clean_email(value)
    except InvalidEmail as refusal:
        ctx.error(where, email_refusal(refusal, f"adresse e-mail invalide : « {value} »"))
        return None
    return value


def number(low: float | None = None, high: float | None = None) -> Check:
    if low is not None and high is not None:
        expected = f"doit être un nombre entre {_fmt(low)} et {_fmt(high)}"
    elif low == 0:
        expected = "doit être un nombre positif ou nul"
    elif low is not None:
        expected = f"doit être un nombre supérieur ou égal à {_fmt(low)}"
    else:
        expected = "doit être un nombre"

    def check(value: Any, where: str, ctx: _Context) -> Any:
        if not _is_number(value):
            ctx.error(where, expected)
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            ctx.error(where, f"{expected} (reçu : {_fmt(value)})")
            return None
        return value

    return check


def natural(value: Any, where: str, ctx: _Context) -> Any:
    integral = isinstance(value, int) or (_is_number(value) and value.is_integer())
    # The upper bound keeps absurd values out of a 32-bit integer column.
    if not _is_number(value) or not integral or not 0 <= value < 2**31:
        ctx.error(where, "doit être un nombre entier positif ou nul")
        return None
    return value


def boolean(value: Any, where: str, ctx: _Context) -> Any:
    if not isinstance(value, bool):
        ctx.error(where, "doit être un booléen (true ou false)")
        return None
    return value


def consent(value: Any, where: str, ctx: _Context) -> Any:
    if boolean(value, where, ctx) is None:
        return None
    if value is not True:
        ctx.error(
            where,
            "le consentement de la personne est obligatoire : consent doit valoir true",
        )
        return None
    return value


def one_of(vocabulary: dict[str, str]) -> Check:
    allowed = ", ".join(vocabulary)

    def check(value: Any, where: str, ctx: _Context) -> Any:
        if not isinstance(value, str):
            ctx.error(where, f"doit être une chaîne de caractères parmi : {allowed}")
            return None
        if value not in vocabulary:
            ctx.error(where, f"valeur inconnue « {value} » ; valeurs possibles : {allowed}")
            return None
        return value

    return check


def iso_date(value: Any, where: str, ctx: _Context) -> Any:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        ctx.error(where, "doit être une date au format AAAA-MM-JJ (ex. 2027-01-04)")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        ctx.error(where, f"date inexistante : « {value} »")
        return None


def commune(value: Any, where: str, ctx: _Context) -> Any:
    if not isinstance(value, str):
        ctx.error(where, "doit être un code INSEE de commune, en chaîne de caractères (ex. 33009)")
        return None
    if not ctx.is_commune(value):
        ctx.error(where, f"code INSEE inconnu : « {value} »")
        return None
    return value


def epci(value: Any, where: str, ctx: _Context) -> Any:
    if not isinstance(value, str):
        ctx.error(
            where,
            "doit être le SIREN d'une intercommunalité, en chaîne de caractères (ex. 243300563)",
        )
        return None
    if not ctx.is_epci(value):
        ctx.error(where, f"SIREN d'intercommunalité inconnu : « {value} »")
        return None
    return value


def rome(value: Any, where: str, ctx: _Context) -> Any:
    if not isinstance(value, str) or not _ROME.fullmatch(value):
        shown = f" : « {value} »" if isinstance(value, str) else ""
        ctx.error(
            where, f"code ROME invalide{shown} (une lettre majuscule et quatre chiffres, ex. M1203)"
        )
        return None
    return value


def rome_domain(value: Any, where: str, ctx: _Context) -> Any:
    if not isinstance(value, str) or not _ROME_DOMAIN.fullmatch(value):
        shown = f" : « {value} »" if isinstance(value, str) else ""
        ctx.error(
            where,
            f"domaine ROME invalide{shown} (une lettre, une lettre et deux chiffres, "
            "ou un code complet : M, M12 ou M1203)",
        )
        return None
    return value


def naf(value: Any, where: str, ctx: _Context) -> Any:
    if not isinstance(value, str) or not _NAF.fullmatch(value):
        shown = f" : « {value} »" if isinstance(value, str) else ""
        ctx.error(where, f"code NAF invalide{shown} (format NAF rév. 2, ex. 56.10A)")
        return None
    return value


def siret(value: Any, where: str, ctx: _Context) -> Any:
    if not isinstance(value, str):
        ctx.error(where, "doit être une chaîne de 14 chiffres (SIRET)")
        return None
    if not _SIRET.fullmatch(value):
        ctx.error(where, f"SIRET invalide : « {value} » (14 chiffres attendus, sans espace)")
        return None
    if not stdnum_siret.is_valid(value):
        ctx.error(where, "SIRET invalide (clé de contrôle)")
        return None
    return value


def list_of(item: Check, non_empty: bool = False, unique: bool = True) -> Check:
    def check(value: Any, where: str, ctx: _Context) -> Any:
        if not isinstance(value, list):
            ctx.error(where, "doit être une liste")
            return None
        if non_empty and not value:
            ctx.error(where, "la liste doit contenir au moins une valeur")
            return None
        ok = True
        seen: set = set()
        for index, element in enumerate(value):
            here = join(where, index)
            if item(element, here, ctx) is None:
                ok = False
            elif unique and element in seen:
                ctx.error(here, f"valeur en double : « {element} »")
                ok = False
            elif unique:
                seen.add(element)
        return value if ok else None

    return check


def _commitment(value: Any, where: str, ctx: _Context) -> Any:
    """One commitment (v1.1): an object with its own fields, unknown keys rejected."""
    if not isinstance(value, dict):
        ctx.error(where, "doit être un objet JSON (entre accolades { ... })")
        return None
    errors_before = len(ctx.errors)
    for key in value:
        if key not in COMMITMENT_SCHEMA:
            ctx.error(join(where, key), _unknown_key(key, COMMITMENT_SCHEMA))
    for key, spec in COMMITMENT_SCHEMA.items():
        item = value.get(key)
        if item is None:
            if spec.required:
                ctx.error(join(where, key), "champ obligatoire manquant")
            continue
        spec.check(item, join(where, key), ctx)
    return value if len(ctx.errors) == errors_before else None


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True, slots=True)
class Field:
    """One field of the spec: its check, whether it is required, and the value an
    absent field takes (the spec's "default ..."): the import writes it, the export
    leaves it out (``None``: no default, an absent field is simply empty)."""

    check: Check
    required: bool = False
    default: Any = None


REF = Field(string(100), required=True)

COMMITMENT_SCHEMA: dict[str, Field] = {
    "label": Field(string(200)),
    "hours_per_week": Field(number(1, 48), required=True),
    "days": Field(list_of(one_of(vocab.DAYS), non_empty=True), required=True),
    "until": Field(iso_date),
}
# Operators and partners are organisations, named as companies are.
NAME = Field(name_text(NameKind.COMPANY), required=True)

SCHEMA: dict[str, dict[str, Field]] = {
    "operators": {
        "ref": REF,
        "name": NAME,
        "kind": Field(one_of(vocab.OPERATOR_KINDS), required=True),
        "email": Field(email, required=True),
        "epcis": Field(list_of(epci, non_empty=True), required=True),
        "rome_domains": Field(list_of(rome_domain)),
        "levels": Field(list_of(one_of(vocab.LEVELS), non_empty=True), required=True),
        "contracts": Field(list_of(one_of(vocab.CONTRACTS), non_empty=True), required=True),
        # "number": no upper bound (no need is over 48 h, so a larger one means "any").
        "max_hours_per_week": Field(number(low=1)),
    },
    "partners": {
        "ref": REF,
        "name": NAME,
        "kind": Field(one_of(vocab.PARTNER_KINDS), required=True),
        "email": Field(email, required=True),
        "epcis": Field(list_of(epci)),
    },
    "companies": {
        "ref": Field(company_ref, required=True),
        "name": NAME,
        "siret": Field(siret, required=True),
        "commune": Field(commune, required=True),
        "naf": Field(naf),
        "employees": Field(natural),
        "contact_email": Field(email),
        "do_not_solicit": Field(boolean, default=False),
    },
    "candidates": {
        "ref": REF,
        "first_name": Field(name_text(NameKind.FIRST), required=True),
        "last_name": Field(name_text(NameKind.LAST), required=True),
        "email": Field(email, required=True),
        "phone": Field(string(30)),
        "commune": Field(commune, required=True),
        "mobility_km": Field(number(0, 200), required=True),
        "skills": Field(list_of(skill, non_empty=True, unique=False), required=True),
        "rome": Field(list_of(rome)),
        "level": Field(one_of(vocab.LEVELS), required=True),
        "hours_min": Field(number(1, 48), required=True),
        "hours_max": Field(number(1, 48), required=True),
        "days": Field(list_of(one_of(vocab.DAYS), non_empty=True), required=True),
        "contracts": Field(list_of(one_of(vocab.CONTRACTS), non_empty=True), required=True),
        "available_from": Field(iso_date, required=True),
        "status": Field(one_of(vocab.CANDIDATE_STATUSES), default="disponible"),
        "consent": Field(consent, required=True),
        "source": Field(string(100)),
        "commitments": Field(list_of(_commitment, unique=False)),
    },
    "needs": {
        "ref": REF,
        "company": Field(string(100), required=True),
        "title": Field(need_text(200), required=True),
        "rome": Field(rome),
        "skills": Field(list_of(skill, non_empty=True, unique=False), required=True),
        "level": Field(one_of(vocab.LEVELS), required=True),
        "hours_per_week": Field(number(1, 48), required=True),
        "days": Field(list_of(one_of(vocab.DAYS), non_empty=True), required=True),
        "contract": Field(one_of(vocab.CONTRACTS), required=True),
        "reason": Field(one_of(vocab.REASONS), required=True),
        "start": Field(iso_date, required=True),
        # "number, optional: absent for a permanent need": 0 is a number (under a month).
        "duration_months": Field(number(low=0)),
        # Default "the company's commune": stored as None, which reads as the company's
        # commune (``Need.commune`` None), and follows it when it moves.
        "commune": Field(commune),
    },
}

TOP_LEVEL_KEYS = ("format", *COLLECTIONS)


def _unknown_key(key: str, known: Iterable[str]) -> str:
    message = f"clé inconnue « {key} »"
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    if close:
        message += f" (vouliez-vous dire « {close[0]} » ?)"
    return message


# --------------------------------------------------------------------------- entry point


def validate(document: Any, session: Any = None) -> list[FieldError]:
    """Every rule of interchange v1 broken by ``document``, one error per offending field.

    An empty list means the document can be imported as it is. ``document`` is the
    parsed JSON (anything: a non-object is reported at pointer ""). The database is
    read (never written) through ``session``, by default the application's session,
    for communes, EPCIs, the companies and candidates already stored, and the needs an
    operator holds (``_check_held_needs``).
    """
    if session is None:
        session = db.session
    ctx = _Context(session=session)
    if not isinstance(document, dict):
        ctx.error("", "le document doit être un objet JSON (entre accolades { ... })")
        return ctx.errors

    for key in document:
        if key not in TOP_LEVEL_KEYS:
            ctx.error(pointer(key), _unknown_key(key, TOP_LEVEL_KEYS))
    expected = " ou ".join(f"« {f} »" for f in FORMATS)
    if "format" not in document or document["format"] is None:
        ctx.error("/format", f"champ obligatoire manquant : attendu {expected}")
    elif document["format"] not in FORMATS:
        given = document["format"]
        shown = given if isinstance(given, str) else json.dumps(given, ensure_ascii=False)
        ctx.error("/format", f"format inconnu « {shown} » : attendu {expected}")

    # NUL anywhere, keys included: PostgreSQL refuses it in any text column, even as a
    # value a statement compares with, so an item holding one is left out of the checks
    # across records (they read the database).
    with_nul: set[tuple[str, int]] = set()
    for path in nul_paths(document):
        ctx.error(pointer(*path), NUL_REFUSED)
        if len(path) > 1 and isinstance(path[1], int):
            with_nul.add((str(path[0]), path[1]))
    # Valid values of each item, by collection, for the checks across records.
    valid: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for name in COLLECTIONS:
        checked = _check_collection(document.get(name), name, ctx)
        valid[name] = [
            (index, values) for index, values in checked if (name, index) not in with_nul
        ]

    _check_unique_refs(document, ctx)
    _check_ref_addresses(valid, ctx)
    _check_sirets(valid["companies"], ctx)
    _check_candidate_emails(valid["candidates"], ctx)
    _check_erased_candidates(valid["candidates"], ctx)
    _check_candidate_hours(valid["candidates"], ctx)
    _check_commitments(document, valid["candidates"], ctx)
    _check_need_companies(document, valid["needs"], ctx)
    _check_held_needs(valid["needs"], ctx)
    return ctx.errors


def _check_collection(items: Any, name: str, ctx: _Context) -> list[tuple[int, dict[str, Any]]]:
    """Check each item of one collection; return (index, valid fields) of each object."""
    if items is None:
        return []
    if not isinstance(items, list):
        ctx.error(pointer(name), "doit être une liste d'objets")
        return []
    schema = SCHEMA[name]
    checked = []
    for index, item in enumerate(items):
        where = pointer(name, index)
        if not isinstance(item, dict):
            ctx.error(where, "doit être un objet JSON (entre accolades { ... })")
            continue
        values: dict[str, Any] = {}
        for key in item:
            if key not in schema:
                ctx.error(join(where, key), _unknown_key(key, schema))
        for key, spec in schema.items():
            value = item.get(key)
            if value is None:  # absent or null: the same thing in a document
                if spec.required:
                    ctx.error(join(where, key), "champ obligatoire manquant")
                continue
            result = spec.check(value, join(where, key), ctx)
            if result is not None:
                values[key] = result
        checked.append((index, values))
    return checked


def _check_unique_refs(document: dict, ctx: _Context) -> None:
    for name in COLLECTIONS:
        items = document.get(name)
        if not isinstance(items, list):
            continue
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("ref"), str):
                continue
            ref = item["ref"]
            if ref in first:
                ctx.error(
                    pointer(name, index, "ref"),
                    f"référence en double « {ref} » : déjà utilisée en {pointer(name, first[ref])}",
                )
            else:
                first[ref] = index


def _check_ref_addresses(valid: dict[str, list[tuple[int, dict[str, Any]]]], ctx: _Context) -> None:
    """Each record's ref is in the addresses of its pages and API routes: a ref that
    none can carry (``urls.ref_address_problem``) would store a record nobody reaches.
    The spec lets a ref be any string; the few refused here are said, not lost."""
    for name, checked in valid.items():
        for index, values in checked:
            ref = values.get("ref")
            if ref is None:
                continue
            problem = ref_address_problem(name, ref)
            if problem is not None:
                ctx.error(pointer(name, index, "ref"), f"la référence « {ref} » {problem}")


def _check_stored_uniqueness(
    checked: list[tuple[int, dict[str, Any]]],
    collection: str,
    key: str,
    stored: dict[str, str],
    fold: Callable[[str], str],
    what: tuple[str, str],
    holder: tuple[str, str],
    ctx: _Context,
) -> None:
    """``key`` unique in the document and against stored records of another ``ref``.

    ``what`` names the value with its past participle (("adresse e-mail", "utilisée")),
    ``holder`` the stored record with its own (("l'entreprise", "enregistrée")): French
    agrees them, and "adresse e-mail déjà utilisé" read as a slip.

    ``stored`` maps each stored record's ref to its value. A stored record that the
    document itself updates is judged on its new value, so moving a value from one
    record to another within one document is allowed.
    """
    (name, used), (record, stored_as) = what, holder
    refs_in_document = {values.get("ref") for _, values in checked}
    taken = {fold(v): ref for ref, v in stored.items() if ref not in refs_in_document}
    first: dict[str, int] = {}
    for index, values in checked:
        value = values.get(key)
        if value is None:
            continue
        folded = fold(value)
        where = pointer(collection, index, key)
        if folded in first:
            ctx.error(
                where,
                f"{name} en double : déjà {used} en {pointer(collection, first[folded])}",
            )
            continue
        first[folded] = index
        if values.get("ref") is None:
            # Its ref is refused (absent or not a string): which stored record it would
            # update is unknown, and its own value is not the offending field.
            continue
        other = taken.get(folded)
        if other is not None and other != values.get("ref"):
            ctx.error(
                where,
                f"{name} déjà {used} par {record} « {other} » {stored_as} en base",
            )


def _check_sirets(checked: list[tuple[int, dict[str, Any]]], ctx: _Context) -> None:
    stored = dict(ctx.session.execute(select(Company.ref, Company.siret)).all())
    # A provisional company (only an unconfirmed public need knows of it, and anyone may
    # type a SIRET there) gives its SIRET to a company the document creates: the import
    # names it (``importer._name_provisional``), as the staff entering the company do.
    created = {v.get("siret") for _, v in checked if v.get("ref") not in stored}
    for ref in [r for r, siret in stored.items() if siret in created]:
        if ref.startswith(PROVISIONAL_REF):
            del stored[ref]
    _check_stored_uniqueness(
        checked,
        "companies",
        "siret",
        stored,
        str,
        ("SIRET", "utilisé"),
        ("l'entreprise", "enregistrée"),
        ctx,
    )


def _check_candidate_emails(checked: list[tuple[int, dict[str, Any]]], ctx: _Context) -> None:
    stored = dict(ctx.session.execute(select(Candidate.ref, func.lower(Candidate.email))).all())
    # Addresses differing only by case or by spaces around reach the same person (the
    # importer stores them trimmed: exchange.importer._address).
    _check_stored_uniqueness(
        checked,
        "candidates",
        "email",
        stored,
        lambda value: value.strip().lower(),
        ("adresse e-mail", "utilisée"),
        ("le candidat", "enregistré"),
        ctx,
    )


def _check_erased_candidates(checked: list[tuple[int, dict[str, Any]]], ctx: _Context) -> None:
    """A person erased here (on request, or by the retention rules) does not come back
    through a document sent before, nor with a consent the sender attests for them: a
    ref that left a tombstone and holds no profile is refused (see ``erased_refs``)."""
    gone = erased_refs(ctx.session, [values.get("ref") for _, values in checked])
    merged = merged_into(ctx.session, gone)
    for index, values in checked:
        if values.get("ref") in merged:
            kept = merged[values["ref"]]
            ctx.error(
                pointer("candidates", index, "ref"),
                f"cette fiche a été fusionnée avec la fiche « {kept} » de la même personne "
                f"(un doublon) : envoyez-la sous la référence « {kept} »",
            )
        elif values.get("ref") in gone:
            ctx.error(
                pointer("candidates", index, "ref"),
                "cette personne a été supprimée de la CVthèque (à sa demande ou faute de "
                "contact) : elle ne peut revenir que par un nouveau dépôt de sa part, "
                "retirez-la du document",
            )


def erased_refs(session: Any, refs: Iterable[Any]) -> set[str]:
    """The refs among ``refs`` of people deleted from the library (a ``candidates``
    tombstone) and not stored again."""
    wanted = {ref for ref in refs if isinstance(ref, str)}
    if not wanted:
        return set()
    gone = set(
        session.scalars(
            select(Deletion.ref).where(Deletion.kind == "candidates", Deletion.ref.in_(wanted))
        )
    )
    if not gone:
        return set()
    return gone - set(session.scalars(select(Candidate.ref).where(Candidate.ref.in_(gone))))


def _check_candidate_hours(checked: list[tuple[int, dict[str, Any]]], ctx: _Context) -> None:
    for index, values in checked:
        low, high = values.get("hours_min"), values.get("hours_max")
        if low is not None and high is not None and low > high:
            ctx.error(
                pointer("candidates", index, "hours_min"),
                f"la valeur ({_fmt(low)}) doit être inférieure ou égale à celle de hours_max "
                f"({_fmt(high)})",
            )


def _check_commitments(
    document: dict, checked: list[tuple[int, dict[str, Any]]], ctx: _Context
) -> None:
    """A v1 document carries no commitments (they exist since v1.1).

    No rule on their total: the spec bounds each commitment (1 to 48 h) and nothing
    more, and a document is refused only for a rule of the spec. (A total counted
    "from today" also made the same document valid one day and refused the next.)
    """

    if document.get("format") != FORMAT_V1:
        return
    for index, values in checked:
        if values.get("commitments"):
            ctx.error(
                pointer("candidates", index, "commitments"),
                f"les engagements (commitments) n'existent qu'à partir du format « {FORMAT} » : "
                "changez le format du document ou retirez-les",
            )


def _check_need_companies(
    document: dict, checked: list[tuple[int, dict[str, Any]]], ctx: _Context
) -> None:

    wanted = {values["company"] for _, values in checked if "company" in values}
    if not wanted:
        return
    companies = document.get("companies")
    in_document = {
        item["ref"]
        for item in (companies if isinstance(companies, list) else [])
        if isinstance(item, dict) and isinstance(item.get("ref"), str)
    }
    missing = wanted - in_document
    stored = set()
    if missing:
        # Not a provisional company: no list shows it nor any export writes it.
        query = select(Company.ref).where(Company.ref.in_(missing), listed())
        stored = set(ctx.session.execute(query).scalars())
    for index, values in checked:
        ref = values.get("company")
        if ref is not None and ref not in in_document and ref not in stored:
            ctx.error(
                pointer("needs", index, "company"),
                f"entreprise inconnue : « {ref} » (ni dans le document ni en base)",
            )


def _check_held_needs(checked: list[tuple[int, dict[str, Any]]], ctx: _Context) -> None:
    """A stored need an operator holds (a live lead) keeps what its lead was checked on:
    its hours, days, company and place. A bundle was sent as one job on them (no day
    twice, 35 h at most, sites within 25 km, different companies), and the placement
    makes the person's commitments of them; changed under the operator, the lead became
    another job (a 37 h week with two companies on Tuesday). The staff's forms and the
    owner's already refuse such a change once the need is proposed."""
    refs = [values["ref"] for _, values in checked if isinstance(values.get("ref"), str)]
    if not refs:
        return
    rows = ctx.session.execute(
        select(Need, Operator.name)
        .join(LeadNeed, LeadNeed.need_id == Need.id)
        .join(Lead, Lead.id == LeadNeed.lead_id)
        .join(Operator, Operator.id == Lead.operator_id)
        .where(Need.ref.in_(refs), Lead.status.in_(LEAD_LIVE))
    ).all()
    held: dict[str, tuple[Need, str]] = {need.ref: (need, name) for need, name in rows}
    for index, values in checked:
        found = held.get(values.get("ref"))
        if found is None:
            continue
        need, operator = found
        company = need.company
        place = need.commune or company.commune
        sent_company = values.get("company", company.ref)
        sent_place = values.get("commune") or (
            company.commune if sent_company == company.ref else None
        )
        stored: dict[str, tuple[bool, str]] = {
            "hours_per_week": (
                "hours_per_week" in values
                and float(values["hours_per_week"]) != need.hours_per_week,
                hours_plain(need.hours_per_week),
            ),
            "days": (
                "days" in values and set(values["days"]) != set(need.days or ()),
                ", ".join(vocab.DAYS.get(d, d) for d in vocab.week_order(need.days)),
            ),
            "company": (sent_company != company.ref, company.ref),
            "commune": (sent_place is not None and sent_place != place, place),
        }
        for key, (changed, now) in stored.items():
            if changed:
                ctx.error(
                    pointer("needs", index, key),
                    f"ce besoin est proposé à {operator} : ses heures, ses jours, son "
                    "entreprise et son lieu ne changent plus tant que la proposition est "
                    f"en cours ; renvoyez la valeur enregistrée ({now}), ou demandez à "
                    "l'animateur de retirer la proposition",
                )
