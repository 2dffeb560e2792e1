"""A spec oracle for the interchange format itself (shared/spec/interchange-v1.md).

Written from the spec's words only: the schema below is its tables, the normalisations
are the ones it allows, the mutations come from its "rule" cells. Random valid documents
(v1 and v1.1, optional fields present or absent, unicode text, numbers written as 7, 7.5
or 7.0) go through the platform's real importer as the API and the CLI use it (JSON text
-> ``parse_document`` -> ``import_document`` -> commit), then:

1. round trip: the export gives back the same records, compared per collection by ref;
   importing the document (or the export) again writes nothing;
2. rejection: one breaking mutation refuses the whole document, writes nothing, and names
   exactly the offending field (a JSON pointer) with a French sentence;
3. several mutations at once: one error per offending field.

Normalisations the oracle allows, and why:
- ``format``: export writes ``connectences/v1.1`` (the spec says so);
- lists of closed-vocabulary values (days, contracts, levels, epcis, ROME codes and
  domains) are compared as sets: the spec gives them no order and no meaning to one;
- commitments are compared as a multiset: a person's commitments have no order either;
- a default equals its absence: ``status`` ``disponible``, ``do_not_solicit`` false,
  a need's ``commune`` equal to its company's, and an absent or empty optional list
  (partner ``epcis``, operator ``rome_domains``, candidate ``rome``, ``commitments``);
- numbers compare as numbers (``7`` and ``7.0`` are the same JSON number), never a bool.
Everything else (text, refs, emails, dates, skills in their order) comes back exactly.
"""

from __future__ import annotations

import copy
import json
import math
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from connectences.exchange import (
    ExchangeError,
    export_document,
    import_document,
    parse_document,
    validate,
)
from connectences.extensions import db
from tests.helpers import DOMAIN_TABLES, assert_sentence, oracle_settings, recorded_statements

# --------------------------------------------------------------------------- the spec

V1, V11 = "connectences/v1", "connectences/v1.1"
COLLECTIONS = ("operators", "partners", "companies", "candidates", "needs")
LEVELS = ("non_qualifie", "employe_qualifie", "technicien", "cadre")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CONTRACTS = ("cdi_temps_partage", "cdi", "cdd", "saisonnier", "mission")
REASONS = (
    "temps_partiel",
    "nouvelle_fonction",
    "pic_activite",
    "qualification_candidats",
    "remplacement",
)
OPERATOR_KINDS = ("groupement_employeurs", "geiq", "cadres_temps_partage", "autre")
PARTNER_KINDS = (
    "france_travail",
    "mission_locale",
    "cap_emploi",
    "cci",
    "cma",
    "interim",
    "plie",
    "autre",
)
STATUSES = ("disponible", "en_mission", "place", "inactif")

# Current communes (a Corsican code, an overseas one, one whose centre the reference may
# not know) and intercommunalities (the Pays' three and Bordeaux Métropole).
COMMUNES = ("33009", "33529", "33199", "33063", "2A004", "97101", "75056", "01001")
EPCIS = ("243300563", "243301504", "243301405", "243300316")

# Field kinds: each row of the spec's tables as (kind, required, extra rule).
REQUIRED, OPTIONAL = True, False
STR, NUM, INT, BOOL, DATE, EMAIL = "str", "num", "int", "bool", "date", "email"
SCHEMA: dict[str, dict[str, tuple]] = {
    "operators": {
        "ref": (STR, REQUIRED),
        "name": (STR, REQUIRED),
        "kind": (("enum", OPERATOR_KINDS), REQUIRED),
        "email": (EMAIL, REQUIRED),
        "epcis": (("list", "epci", "not_empty"), REQUIRED),
        "rome_domains": (("list", "rome_domain", "may_be_empty"), OPTIONAL),
        "levels": (("list", ("enum", LEVELS), "not_empty"), REQUIRED),
        "contracts": (("list", ("enum", CONTRACTS), "not_empty"), REQUIRED),
        "max_hours_per_week": (NUM, OPTIONAL),
    },
    "partners": {
        "ref": (STR, REQUIRED),
        "name": (STR, REQUIRED),
        "kind": (("enum", PARTNER_KINDS), REQUIRED),
        "email": (EMAIL, REQUIRED),
        "epcis": (("list", "epci", "may_be_empty"), OPTIONAL),
    },
    "companies": {
        "ref": (STR, REQUIRED),
        "name": (STR, REQUIRED),
        "siret": ("siret", REQUIRED),
        "commune": ("commune", REQUIRED),
        "naf": ("naf", OPTIONAL),
        "employees": (("int", 0, None), OPTIONAL),
        "contact_email": (EMAIL, OPTIONAL),
        "do_not_solicit": (BOOL, OPTIONAL),
    },
    "candidates": {
        "ref": (STR, REQUIRED),
        "first_name": (STR, REQUIRED),
        "last_name": (STR, REQUIRED),
        "email": (EMAIL, REQUIRED),
        "phone": (STR, OPTIONAL),
        "commune": ("commune", REQUIRED),
        "mobility_km": (("num", 0, 200), REQUIRED),
        "skills": (("list", STR, "not_empty"), REQUIRED),
        "rome": (("list", "rome", "may_be_empty"), OPTIONAL),
        "level": (("enum", LEVELS), REQUIRED),
        "hours_min": (("num", 1, 48), REQUIRED),
        "hours_max": (("num", 1, 48), REQUIRED),
        "days": (("list", ("enum", DAYS), "not_empty"), REQUIRED),
        "contracts": (("list", ("enum", CONTRACTS), "not_empty"), REQUIRED),
        "available_from": (DATE, REQUIRED),
        "status": (("enum", STATUSES), OPTIONAL),
        "consent": ("true", REQUIRED),
        "source": (STR, OPTIONAL),
        "commitments": ("commitments", OPTIONAL),
    },
    "commitment": {
        "label": (STR, OPTIONAL),
        "hours_per_week": (("num", 1, 48), REQUIRED),
        "days": (("list", ("enum", DAYS), "not_empty"), REQUIRED),
        "until": (DATE, OPTIONAL),
    },
    "needs": {
        "ref": (STR, REQUIRED),
        "company": (STR, REQUIRED),
        "title": (STR, REQUIRED),
        "rome": ("rome", OPTIONAL),
        "skills": (("list", STR, "not_empty"), REQUIRED),
        "level": (("enum", LEVELS), REQUIRED),
        "hours_per_week": (("num", 1, 48), REQUIRED),
        "days": (("list", ("enum", DAYS), "not_empty"), REQUIRED),
        "contract": (("enum", CONTRACTS), REQUIRED),
        "reason": (("enum", REASONS), REQUIRED),
        "start": (DATE, REQUIRED),
        "duration_months": (NUM, OPTIONAL),
        "commune": ("commune", OPTIONAL),
    },
}
SET_LISTS = {"epcis", "rome_domains", "levels", "contracts", "rome", "days"}
DEFAULTS = {
    "companies": {"do_not_solicit": False},
    "candidates": {"status": "disponible", "rome": [], "commitments": []},
    "operators": {"rome_domains": []},
    "partners": {"epcis": []},
}


def siret_key_ok(digits: str) -> bool:
    """The Luhn test on the 14 digits (the SIRET checksum)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def with_key(digits: str) -> str:
    """``digits`` and the one digit after them that passes the Luhn test."""
    return next(digits + d for d in "0123456789" if siret_key_ok(digits + d))


# --------------------------------------------------------------------------- generation

# Letters of many scripts, accents, apostrophes and spaces inside: names as people write them.
LETTERS = st.characters(
    categories=["Lu", "Ll", "Lo"], exclude_characters="\u2028\u2029", max_codepoint=0x2FFFF
)
WORD = st.text(LETTERS, min_size=1, max_size=8)
TEXT = st.lists(WORD, min_size=1, max_size=3).flatmap(
    lambda words: st.sampled_from([" ", "-", "'", " d'", "’"]).map(lambda sep: sep.join(words))
)
# 7, 7.5 and 7.0 are all numbers; boundaries first.
HOURS = st.sampled_from([1, 1.0, 7, 7.5, 7.0, 10, 24, 34, 35, 35.0, 36, 47.5, 48, 48.0])
KM = st.sampled_from([0, 0.0, 12.5, 15, 15.0, 199.5, 200, 200.0])
DATES = st.dates(date(2024, 1, 1), date(2029, 12, 31)).map(date.isoformat)
ROMES = st.sampled_from(["M1203", "M1202", "M1607", "K2204", "G1602", "N4101", "A1201"])
ROME_DOMAINS = st.sampled_from(["M", "M12", "M1203", "K22", "G", "N4101"])
SKILLS = st.lists(
    st.one_of(
        st.sampled_from(["comptabilité générale", "Facturation", "saisie comptable", "ménage"]),
        TEXT,
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda s: s.casefold(),
)


def subset(values, min_size=1):
    return st.lists(st.sampled_from(values), min_size=min_size, max_size=len(values), unique=True)


def optional(draw, item: dict, key: str, strategy) -> None:
    if draw(st.booleans()):
        item[key] = draw(strategy)


@st.composite
def documents(draw, version=None):
    """A small valid interchange document (refs and unique values made distinct here)."""
    version = version or draw(st.sampled_from([V1, V11]))
    serial = iter(range(1, 1000))

    def ref(prefix: str) -> str:
        # Any text: unicode, slashes and tildes (which a JSON pointer escapes) included.
        return f"{prefix}-{next(serial)}{draw(st.sampled_from(['', 'é', '/x', '~1', ' ✓']))}"

    def email(n: int) -> str:
        local = draw(st.sampled_from(["camille", "Jean.Pierre", "o'neil", "a+b"]))
        return f"{local}{n}@{draw(st.sampled_from(['exemple.fr', 'Exemple.org', 'ge.example']))}"

    doc: dict = {"format": version}
    operators = []
    for _ in range(draw(st.integers(0, 2))):
        item = {
            "ref": ref("ge"),
            "name": draw(TEXT),
            "kind": draw(st.sampled_from(OPERATOR_KINDS)),
            "email": email(next(serial)),
            "epcis": draw(subset(EPCIS)),
            "levels": draw(subset(LEVELS)),
            "contracts": draw(subset(CONTRACTS)),
        }
        optional(draw, item, "rome_domains", subset(["M", "M12", "M1203", "K22"], min_size=0))
        optional(draw, item, "max_hours_per_week", HOURS)
        operators.append(item)
    partners = []
    for _ in range(draw(st.integers(0, 2))):
        item = {
            "ref": ref("pa"),
            "name": draw(TEXT),
            "kind": draw(st.sampled_from(PARTNER_KINDS)),
            "email": email(next(serial)),
        }
        optional(draw, item, "epcis", subset(EPCIS, min_size=0))
        partners.append(item)
    companies = []
    for _ in range(draw(st.integers(0, 3))):
        # A SIRET is a SIREN (itself with a Luhn key) and a NIC, the whole with a Luhn key:
        # python-stdnum's reading, which the platform uses, checks both keys.
        siren = with_key(f"{draw(st.integers(10_000_000, 99_999_999)):08d}")
        item = {
            "ref": ref("ent"),
            "name": draw(TEXT),
            "siret": with_key(f"{siren}{next(serial):04d}"),
            "commune": draw(st.sampled_from(COMMUNES)),
        }
        optional(draw, item, "naf", st.sampled_from(["56.10A", "10.71C", "69.20Z"]))
        optional(draw, item, "employees", st.sampled_from([0, 1, 4, 250]))
        optional(draw, item, "contact_email", st.just(email(next(serial))))
        optional(draw, item, "do_not_solicit", st.booleans())
        companies.append(item)
    candidates = []
    for _ in range(draw(st.integers(0, 3))):
        low, high = sorted(draw(st.lists(HOURS, min_size=2, max_size=2)), key=float)
        item = {
            "ref": ref("cv"),
            "first_name": draw(TEXT),
            "last_name": draw(TEXT),
            "email": email(next(serial)),
            "commune": draw(st.sampled_from(COMMUNES)),
            "mobility_km": draw(KM),
            "skills": draw(SKILLS),
            "level": draw(st.sampled_from(LEVELS)),
            "hours_min": low,
            "hours_max": high,
            "days": draw(subset(DAYS)),
            "contracts": draw(subset(CONTRACTS)),
            "available_from": draw(DATES),
            "consent": True,
        }
        optional(draw, item, "phone", st.sampled_from(["05 56 00 00 00", "+33 6 12 34 56 78"]))
        optional(draw, item, "rome", st.lists(ROMES, max_size=2, unique=True))
        optional(draw, item, "status", st.sampled_from(STATUSES))
        optional(draw, item, "source", st.sampled_from(["forum", "job dating", "réseaux sociaux"]))
        if version == V11:
            optional(draw, item, "commitments", st.lists(commitments(), max_size=2))
        candidates.append(item)
    needs = []
    for _ in range(draw(st.integers(0, 3)) if companies else 0):
        item = {
            "ref": ref("be"),
            "company": draw(st.sampled_from(companies))["ref"],
            "title": draw(TEXT),
            "skills": draw(SKILLS),
            "level": draw(st.sampled_from(LEVELS)),
            "hours_per_week": draw(HOURS),
            "days": draw(subset(DAYS)),
            "contract": draw(st.sampled_from(CONTRACTS)),
            "reason": draw(st.sampled_from(REASONS)),
            "start": draw(DATES),
        }
        optional(draw, item, "rome", ROMES)
        optional(draw, item, "duration_months", st.sampled_from([1, 6, 2.5, 12.0]))
        optional(draw, item, "commune", st.sampled_from(COMMUNES))
        needs.append(item)
    for name, items in zip(
        COLLECTIONS, (operators, partners, companies, candidates, needs), strict=True
    ):
        # Every collection may be absent or empty.
        if items or draw(st.booleans()):
            doc[name] = items
    return doc


@st.composite
def commitments(draw):
    item = {"hours_per_week": draw(HOURS), "days": draw(subset(DAYS))}
    optional(draw, item, "label", TEXT)
    optional(draw, item, "until", DATES)
    return item


# --------------------------------------------------------------------------- the oracle


def canonical(doc: dict) -> dict[str, dict[str, dict]]:
    """Each collection as {ref: record}, with the normalisations of the module docstring."""
    companies = {c["ref"]: c for c in doc.get("companies", [])}
    out: dict[str, dict[str, dict]] = {}
    for name in COLLECTIONS:
        records = {}
        for item in doc.get(name, []):
            record = {**DEFAULTS.get(name, {}), **item}
            if name == "needs" and "commune" not in record:
                record["commune"] = companies[record["company"]]["commune"]
            for key, value in list(record.items()):
                if key in SET_LISTS and isinstance(value, list):
                    record[key] = sorted(value)
                elif isinstance(value, bool):
                    record[key] = ("bool", value)
                elif isinstance(value, int | float):
                    record[key] = ("num", float(value))
            record["commitments"] = sorted(
                json.dumps(canonical_commitment(c), sort_keys=True)
                for c in record.get("commitments", [])
            )
            if name != "candidates":
                del record["commitments"]
            records[item["ref"]] = record
        out[name] = records
    return out


def canonical_commitment(item: dict) -> dict:
    return {
        key: sorted(value)
        if key == "days"
        else (float(value) if key == "hours_per_week" else value)
        for key, value in item.items()
    }


# --------------------------------------------------------------------------- the platform


def import_text(doc: dict):
    """The API's and the CLI's path: JSON text, parsed, imported, committed."""
    text = json.dumps(doc, ensure_ascii=False, allow_nan=True)
    try:
        result = import_document(parse_document(text.encode()), db.session)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def import_object(doc: dict):
    """The path of the demo seed and of the fixtures: a Python object, not JSON text
    (NaN and infinities can only be met here: JSON text cannot carry them)."""
    try:
        result = import_document(doc, db.session)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every domain table (updated_at stamps included)."""
    db.session.expire_all()
    out = {}
    with db.engine.connect() as connection:
        for table in DOMAIN_TABLES:
            rows = connection.execute(select(table)).all()
            out[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return out


def writes(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))


PROPERTY_SETTINGS = oracle_settings(max_examples=25)


def clean_database():
    from tests.helpers import empty_domain_tables

    empty_domain_tables()


# --------------------------------------------------------------------------- (1) round trip


@PROPERTY_SETTINGS
@given(doc=documents())
def test_round_trip_gives_back_the_same_records_and_a_second_import_writes_nothing(doc):
    clean_database()
    try:
        import_text(copy.deepcopy(doc))
    except ExchangeError as refused:
        pytest.fail(f"valid document refused: {[str(e) for e in refused.errors]}")
    exported = export_document(db.session)
    assert exported["format"] == V11
    assert set(exported) <= {"format", *COLLECTIONS}
    for name in COLLECTIONS:
        assert set(canonical(exported)[name]) == set(canonical(doc)[name]), name
        for ref, record in canonical(doc)[name].items():
            assert canonical(exported)[name][ref] == record, (name, ref)
    # Numbers keep their value and stay numbers (not bools, not strings).
    for name in COLLECTIONS:
        for item in exported.get(name, []):
            for key, (kind, _required) in SCHEMA[name].items():
                numeric = kind == NUM or (isinstance(kind, tuple) and kind[0] in ("num", "int"))
                if numeric and key in item:
                    assert type(item[key]) in (int, float), (name, key, item[key])
    before = snapshot()
    with recorded_statements(writes) as statements:
        again = import_text(copy.deepcopy(doc))
    assert again.changed == 0
    assert [s for s in statements if "audit" not in s and "lock" not in s] == []
    assert snapshot() == before
    assert export_document(db.session) == exported
    # Importing the export itself changes nothing either.
    assert import_text(copy.deepcopy(exported)).changed == 0
    assert snapshot() == before


# --------------------------------------------------------------------------- (2) rejection
#
# A mutation takes a valid document (already stored, every name changed so that a
# successful import would update rows) and returns the pointers of the fields it broke.


def esc(part) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def ptr(*parts) -> str:
    return "".join("/" + esc(p) for p in parts)


def wrong_types(kind) -> list:
    """Values of the wrong JSON type for a field of ``kind``."""
    if kind in (STR, EMAIL, DATE, "siret", "commune", "naf", "rome"):
        return [7, 7.5, True, ["x"], {"x": 1}]
    if kind == NUM or (isinstance(kind, tuple) and kind[0] in ("num", "int")):
        return ["7", True, False, [7], {"v": 7}]
    if kind in (BOOL, "true"):
        return ["true", 1, 0, [True]]
    if isinstance(kind, tuple) and kind[0] == "enum":
        return [1, True, [kind[1][0]]]
    if isinstance(kind, tuple) and kind[0] == "list":
        return ["mon", 3, True, {"0": "x"}]
    if kind == "commitments":
        return [{}, "none", 1, True, None]
    raise AssertionError(kind)


def bad_values(kind) -> list:
    """Values of the right JSON type that break the field's rule."""
    if kind == EMAIL:
        return ["", "pas-une-adresse", "a@", "@exemple.fr", "a b@exemple.fr"]
    if kind == DATE:
        return ["", "2027-02-30", "2027-2-1", "01/02/2027", "2027-02-01T00:00:00", "demain"]
    if kind == "siret":
        return ["90412345200017", "9041234520001", "904123452000160", "9041234520001A", ""]
    if kind == "commune":
        return ["99999", "3300", "330090", "33 009", "", "243300563"]
    if kind == "rome":
        return ["M120", "M12034", "m1203", "MM203", "12034", ""]
    if kind == NUM:
        return [math.nan, math.inf, -math.inf]
    if isinstance(kind, tuple) and kind[0] in ("num", "int"):
        _, low, high = kind
        out = [math.nan, math.inf, -math.inf, low - 1, low - 0.5]
        if high is not None:
            out += [high + 0.5, high + 1]
        if kind[0] == "int":
            out += [1.5]
        return out
    if kind == "true":
        return [False]
    if isinstance(kind, tuple) and kind[0] == "enum":
        return ["", "inconnu", kind[1][0].upper(), f" {kind[1][0]}"]
    return []


def bad_elements(kind) -> list:
    """Elements that break a list of ``kind``."""
    element = kind[1]
    if element == "epci":
        return ["33009", "123456789", "2433005630", 243300563]
    if element == "rome":
        return ["M120", "m1203", 1203]
    if element == "rome_domain":
        return ["M12X", "1203", "", 12]
    if element == STR:
        return [3, None, ["x"]]
    if isinstance(element, tuple):
        return ["lundi", "Mon", "", 1, None] if element[1] == DAYS else ["inconnu", 1, None]
    raise AssertionError(kind)


def field_mutations(doc: dict) -> list[tuple]:
    """(description, apply, expected pointer) for one field of one item of ``doc``."""
    out = []
    for name in COLLECTIONS:
        for index, item in enumerate(doc.get(name, [])):
            places = [(name, (name, index), item)]
            for c_index, held in enumerate(item.get("commitments", [])):
                places.append(("commitment", (name, index, "commitments", c_index), held))
            for schema_name, path, target in places:
                for key, (kind, required) in SCHEMA[schema_name].items():
                    where = ptr(*path, key)
                    if kind == "commitments":
                        continue
                    if required:
                        out.append((f"{where} absent", path, key, MISSING, where))
                        # JSON null is read as absent: refused where the field is required
                        # (the spec does not say; on an optional field it is its absence).
                        out.append((f"{where} = None", path, key, None, where))
                    for value in wrong_types(kind) + bad_values(kind):
                        out.append((f"{where} = {value!r}", path, key, value, where))
                    if isinstance(kind, tuple) and kind[0] == "list":
                        if kind[2] == "not_empty":
                            out.append((f"{where} = []", path, key, [], where))
                        for value in bad_elements(kind):
                            # The offending field is the element (its own pointer).
                            current = list(target.get(key) or [])
                            at = len(current)
                            out.append(
                                (f"{where}/- = {value!r}", path, key, [*current, value], where, at)
                            )
                out.append((f"{ptr(*path)} unknown key", path, "inconnu", 1, ptr(*path, "inconnu")))
                out.append((f"{ptr(*path)} typo", path, "Ref", "x", ptr(*path, "Ref")))
    return out


MISSING = object()


def apply_field(doc: dict, mutation: tuple) -> set[str]:
    _description, path, key, value, where, *element = mutation
    target = doc
    for part in path:
        target = target[part]
    if value is MISSING:
        target.pop(key, None)
    else:
        target[key] = copy.deepcopy(value)
    if element:
        return {f"{where}/{element[0]}"}
    return {where}


def document_mutations(doc: dict, stored: dict) -> list[tuple]:
    """Mutations across fields or items: (description, function(doc) -> pointers)."""
    out = []

    def add(description):
        def register(function):
            out.append((description, function))
            return function

        return register

    @add("format absent")
    def _(d):
        del d["format"]
        return {"/format"}

    for bad in ("connectences/v2", "connectences/V1", "", 1, None):

        @add(f"format {bad!r}")
        def _(d, bad=bad):
            d["format"] = bad
            return {"/format"}

    @add("unknown top-level key")
    def _(d):
        d["besoins"] = []
        return {"/besoins"}

    for name in COLLECTIONS:
        for bad in ({}, "x", 1):

            @add(f"{name} = {bad!r}")
            def _(d, name=name, bad=bad):
                d[name] = bad
                return {ptr(name)}

        for index, _item in enumerate(doc.get(name, [])):
            for bad in ("x", 1, None, [], True):

                @add(f"{name}/{index} = {bad!r}")
                def _(d, name=name, index=index, bad=bad):
                    d[name][index] = bad
                    return {ptr(name, index)}

            @add(f"{name}/{index} duplicated ref")
            def _(d, name=name, index=index):
                twin = copy.deepcopy(d[name][index])
                if name == "companies":
                    twin["siret"] = with_key(with_key("12345678") + "0001")
                if name == "candidates":
                    twin["email"] = "jumeau@exemple.fr"
                d[name].append(twin)
                return {ptr(name, len(d[name]) - 1, "ref")}

    for index, item in enumerate(doc.get("companies", [])):

        @add(f"companies/{index} siret duplicated in the document")
        def _(d, index=index):
            d["companies"].append({**d["companies"][index], "ref": "autre-ref"})
            return {ptr("companies", len(d["companies"]) - 1, "siret")}

        @add(f"companies/{index} siret of a stored company under another ref")
        def _(d, index=index):
            d["companies"][index]["siret"] = with_key(with_key("99999999") + "0001")
            d["companies"].append({**stored["companies"][index], "ref": "autre-ref"})
            # The stored company keeps its SIRET unless this document changes it: here
            # it does, so the new one may take it (no error) - see the next mutation.
            return set()

        if len(doc.get("companies", [])) >= 1 and not any(
            n["company"] == item["ref"] for n in doc.get("needs", [])
        ):

            @add(f"companies/{index} stored siret taken by a new ref")
            def _(d, index=index):
                d["companies"][index] = {**d["companies"][index], "ref": "nouvelle-ref"}
                return {ptr("companies", index, "siret")}

    for index, _item in enumerate(doc.get("candidates", [])):

        @add(f"candidates/{index} email duplicated, other case")
        def _(d, index=index):
            twin = {**d["candidates"][index], "ref": "autre-ref"}
            twin["email"] = twin["email"].upper()
            d["candidates"].append(twin)
            return {ptr("candidates", len(d["candidates"]) - 1, "email")}

        for low, high in ((20, 10), (48, 47.5), (10.5, 10)):

            @add(f"candidates/{index} hours_min {low} > hours_max {high}")
            def _(d, index=index, low=low, high=high):
                d["candidates"][index].update(hours_min=low, hours_max=high)
                return {ptr("candidates", index, "hours_min")}

        if doc["format"] == V1:

            @add(f"candidates/{index} commitments in a v1 document")
            def _(d, index=index):
                d["candidates"][index]["commitments"] = [{"hours_per_week": 7, "days": ["mon"]}]
                return {ptr("candidates", index, "commitments")}

        else:
            for bad in ([{}], ["x"], [None], [[]]):

                @add(f"candidates/{index} commitments {bad!r}")
                def _(d, index=index, bad=bad):
                    d["candidates"][index]["commitments"] = copy.deepcopy(bad)
                    if bad == [{}]:  # an object: its required fields are what is missing
                        return {
                            ptr("candidates", index, "commitments", 0, "hours_per_week"),
                            ptr("candidates", index, "commitments", 0, "days"),
                        }
                    return {ptr("candidates", index, "commitments", 0)}

    for index, _item in enumerate(doc.get("needs", [])):

        @add(f"needs/{index} unknown company")
        def _(d, index=index):
            d["needs"][index]["company"] = "entreprise-inconnue"
            return {ptr("needs", index, "company")}

    return out


def renamed(doc: dict) -> dict:
    """``doc`` with every name and title changed: importing it would update every row."""
    out = copy.deepcopy(doc)
    for name in COLLECTIONS:
        for item in out.get(name, []):
            for key in ("name", "title", "first_name"):
                if key in item:
                    item[key] += " bis"
    return out


def errors_of(doc: dict, description: str = "", *, as_text: bool = True) -> dict[str, str]:
    with pytest.raises(ExchangeError) as refused:
        if as_text:
            import_text(doc)
        else:
            import_object(doc)
        pytest.fail(f"accepted: {description}")
    found: dict[str, str] = {}
    for error in refused.value.errors:
        assert error.pointer not in found, f"two errors at {error.pointer}"
        found[error.pointer] = error.message
    return found


ENGLISH = re.compile(r"\b(must|should|invalid|required|expected|is not|not a|Traceback)\b")


def assert_french(message: str) -> None:
    """French, and a sentence: the spec's "a sentence in French"."""
    assert message.strip(), message
    assert not ENGLISH.search(message), message
    assert_sentence(message)


@st.composite
def stored_and_mutated(draw, how_many: int = 6, fields_only: bool = False):
    """A stored document, the same renamed (importing it would update every row), and
    ``how_many`` mutations of it, drawn here so that the test body draws nothing."""
    doc = draw(documents())
    stored = copy.deepcopy(doc)
    base = renamed(doc)
    mutations = [("field", m) for m in field_mutations(base)]
    if fields_only:
        # Mutations that cannot interact: no ref, company, unique value or hours pair
        # (their rules involve other fields), and at most one per field.
        involved = ("ref", "company", "email", "siret", "hours_min", "hours_max", "Ref")
        mutations = [m for m in mutations if m[1][2] not in involved]
    else:
        mutations += [("doc", m) for m in document_mutations(base, stored)]
    chosen, fields = [], set()
    if mutations:
        indexes = draw(
            st.lists(
                st.integers(0, len(mutations) - 1),
                min_size=min(how_many, len(mutations)),
                max_size=how_many * 3,
                unique=True,
            )
        )
        for index in indexes:
            kind, mutation = mutations[index]
            field = (mutation[1], mutation[2]) if kind == "field" else mutation[0]
            if field not in fields and len(chosen) < how_many:
                fields.add(field)
                chosen.append((kind, mutation))
    return stored, base, chosen


@PROPERTY_SETTINGS
@given(case=stored_and_mutated())
def test_one_breaking_mutation_refuses_the_whole_document_and_names_the_field(case):
    stored, base, chosen = case
    clean_database()
    import_text(copy.deepcopy(stored))
    before, exported = snapshot(), export_document(db.session)
    # Several mutations per example, each on a fresh copy: more cases for one import.
    for kind, mutation in chosen:
        doc = copy.deepcopy(base)
        expected = apply_field(doc, mutation) if kind == "field" else mutation[1](doc)
        description = mutation[0]
        if not expected:
            continue
        nonfinite = kind == "field" and isinstance(mutation[3], float)
        nonfinite = nonfinite and not math.isfinite(mutation[3])
        found = errors_of(doc, description, as_text=not nonfinite)
        assert set(found) == expected, (description, found)
        for message in found.values():
            assert_french(message)
        assert snapshot() == before, description
        assert export_document(db.session) == exported, description


# --------------------------------------------------------------------------- (3) several


@PROPERTY_SETTINGS
@given(case=stored_and_mutated(how_many=4, fields_only=True))
def test_several_mutations_give_one_error_per_offending_field(case):
    stored, base, chosen = case
    if len(chosen) < 2:
        return
    clean_database()
    import_text(copy.deepcopy(stored))
    before = snapshot()
    doc = copy.deepcopy(base)
    expected = set()
    for _kind, mutation in chosen:
        expected |= apply_field(doc, mutation)
    described = [m[0] for _, m in chosen]
    # The Python object's path: a NaN among the mutations cannot travel as JSON text.
    found = errors_of(doc, str(described), as_text=False)
    assert set(found) == expected, (described, found)
    for message in found.values():
        assert_french(message)
    assert snapshot() == before


# --------------------------------------------------------------------------- (4) sentences


def full_document(version: str) -> dict:
    """A valid document holding every field of the spec (commitments from v1.1), and a
    second company no need names: every mutation above applies to it."""
    siret = with_key(with_key("55210055") + "0001")
    doc = {
        "format": version,
        "operators": [
            {
                "ref": "ge-1",
                "name": "Groupement du Bassin",
                "kind": "groupement_employeurs",
                "email": "contact@ge.example",
                "epcis": [EPCIS[0]],
                "rome_domains": ["M12"],
                "levels": ["employe_qualifie"],
                "contracts": ["cdi_temps_partage"],
                "max_hours_per_week": 35,
            }
        ],
        "partners": [
            {
                "ref": "pa-1",
                "name": "Agence du Bassin",
                "kind": "france_travail",
                "email": "agence@pa.example",
                "epcis": [EPCIS[0]],
            }
        ],
        "companies": [
            {
                "ref": f"ent-{n}",
                "name": f"Entreprise {n}",
                "siret": with_key(with_key(f"5521005{n}") + "0001") if n > 1 else siret,
                "commune": COMMUNES[0],
                "naf": "56.10A",
                "employees": 4,
                "contact_email": f"entreprise{n}@exemple.fr",
                "do_not_solicit": False,
            }
            for n in (1, 2)
        ],
        "candidates": [
            {
                "ref": "cv-1",
                "first_name": "Camille",
                "last_name": "Lesbats",
                "email": "camille@exemple.fr",
                "phone": "05 56 00 00 00",
                "commune": COMMUNES[0],
                "mobility_km": 15,
                "skills": ["comptabilité générale"],
                "rome": ["M1203"],
                "level": "employe_qualifie",
                "hours_min": 10,
                "hours_max": 24,
                "days": ["mon", "tue"],
                "contracts": ["cdi_temps_partage"],
                "available_from": "2027-01-04",
                "status": "disponible",
                "consent": True,
                "source": "forum",
            }
        ],
        "needs": [
            {
                "ref": "be-1",
                "company": "ent-1",
                "title": "Comptable",
                "rome": "M1203",
                "skills": ["saisie comptable"],
                "level": "employe_qualifie",
                "hours_per_week": 7,
                "days": ["mon"],
                "contract": "cdi_temps_partage",
                "reason": "temps_partiel",
                "start": "2027-02-01",
                "duration_months": 6,
                "commune": COMMUNES[1],
            }
        ],
    }
    if version == V11:
        doc["candidates"][0]["commitments"] = [
            {"label": "Boulangerie", "hours_per_week": 8, "days": ["wed"], "until": "2027-06-30"}
        ]
    return doc


@pytest.mark.parametrize("version", [V1, V11])
def test_every_error_of_every_mutation_is_a_french_sentence(version):
    """The spec reports each offending field with "a sentence in French": each error of
    each mutation the oracle knows, on a document holding every field, is one (the
    property tests above draw a few of them; here they all go, each on a fresh copy)."""
    stored = full_document(version)
    clean_database()
    import_text(copy.deepcopy(stored))
    base = renamed(stored)
    mutations = [(m[0], lambda d, m=m: apply_field(d, m)) for m in field_mutations(base)]
    mutations += document_mutations(base, stored)
    checked = 0
    for description, mutate in mutations:
        doc = copy.deepcopy(base)
        if not mutate(doc):
            continue
        errors = validate(doc, db.session)
        assert errors, description
        for error in errors:
            assert_french(error.message)
        checked += len(errors)
    assert checked > 400


# --------------------------------------------------------------------------- named examples


@pytest.mark.parametrize("collection", ["companies", "candidates"])
def test_a_refused_ref_is_the_only_error_not_also_its_unique_value(collection):
    """An item whose ref is absent or not a string was also told its SIRET (or address)
    was "already used" by the stored record it was meant to update: one error per
    offending field, and the unique value did nothing wrong."""
    from tests.factories import candidate, company, make_siret

    record = company(ref="ent-1", siret=make_siret())
    if collection == "candidates":
        record = candidate(ref="cv-1")
    clean_database()
    import_text({"format": V1, collection: [record]})
    for broken in (None, 7):
        doc = {"format": V1, collection: [{**record, "ref": broken}]}
        assert set(errors_of(doc)) == {f"/{collection}/0/ref"}, broken
