"""The company directory: SIRET and NAF checks, one company per SIRET, similar names,
contacts and the company's own contact preferences.

A company that only an unconfirmed need of the public form knows of is *provisional*
(:func:`is_provisional`): anyone may type a SIRET there, so it is named by nobody yet,
listed nowhere, and takes its name from the first person who confirms an address for it
(or from the staff entering it); the retention job deletes it with the unconfirmed need
that created it. Its ref says so (``PROVISIONAL_REF``): a schema change (a confirmation
date on the company) would say it more plainly; the ref keeps it out of every list in
the query that builds the list, without a migration.

Every function takes the SQLAlchemy session and adds to it; the caller commits (one
transaction per request). Invalid input raises :class:`CompanyError`, whose
``errors`` map a form field to a French sentence; nothing is added in that case.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import (
    ColumnElement,
    Select,
    UniqueConstraint,
    bindparam,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siret as stdnum_siret

from connectences import contacts, territory
from connectences.accounts.audit import audit
from connectences.clock import local_date
from connectences.db_session import begin_writing
from connectences.errors import DomainError
from connectences.kept import kept
from connectences.listing import ListFilters, Refusal, choice_reader, from_the_list, text_arg
from connectences.models import (
    AuditLog,
    Company,
    CompanyContact,
    Deletion,
    Need,
    User,
    Visit,
    utcnow,
)
from connectences.models.base import Base
from connectences.prospection.naf import naf_label, normalize_naf
from connectences.prospection.pressure import (
    COMPANY_DETAILS,
    COMPANY_PREFERENCES,
    said_by_company,
)
from connectences.prospection.visits import DO_NOT_SOLICIT_AT_VISIT, close_follow_ups_of
from connectences.territory.text import fold
from connectences.text import slug
from connectences.tombstones import record_deletion
from connectences.typography import quoted, too_long
from connectences.workflows import held_as

ADDRESS_MAX = 300
MAX_EMPLOYEES = 100_000
# The monthly contact cap a company may choose (None: no cap). Zero contacts a month
# is what "ne plus solliciter" says, so it is asked that way instead.
CAP_RANGE = (1, 31)
# Similar names pointed out before creating a company (rapidfuzz token_sort_ratio, 0-100).
SIMILAR_SCORE = 85
# What a new company must say, field by field: the messages when a field is left empty,
# also shown by the offline round's company form before it keeps a company on the phone.
COMPANY_REQUIRED: dict[str, str] = {
    "name": "Indiquez le nom de l'entreprise.",
    "siret": "Indiquez le SIRET (14 chiffres).",
    "commune": "Indiquez la commune de l'établissement.",
}


class CompanyError(DomainError):
    """Invalid company or contact data: ``errors`` maps each field to a French message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors=errors)


@dataclass(frozen=True)
class SimilarCompany:
    company: Company
    score: int


class SimilarCompaniesFound(DomainError):
    """Companies with a close name exist: the person must confirm the creation."""

    def __init__(self, similar: list[SimilarCompany]):
        super().__init__("Des entreprises au nom proche existent déjà.")
        self.similar = similar


# --- single values ------------------------------------------------------------------------


def siret_display(siret: str | None) -> str:
    """A stored SIRET as people read it, grouped: "812 345 676 00009" (the pages' and
    mails' ``siret_fr`` filter). Form values, exports and the interchange keep the 14
    digits; a value that is not 14 digits is shown as stored."""
    if siret and len(siret) == 14 and siret.isdigit():
        return stdnum_siret.format(siret)
    return siret or ""


def clean_siret(value: str | None) -> str:
    """The 14 digits of a valid SIRET (spaces and dots tolerated); CompanyError otherwise.

    The check is python-stdnum's, which includes the Luhn key and La Poste's
    establishments (SIREN 356 000 000), whose SIRET keys follow another rule.
    """
    text = (value or "").strip()
    if not text:
        raise CompanyError({"siret": COMPANY_REQUIRED["siret"]})
    try:
        return stdnum_siret.validate(text)
    except stdnum_errors.InvalidLength:
        digits = len(stdnum_siret.compact(text))
        message = f"Un SIRET compte 14 chiffres ; {quoted(text)} en a {digits}."
    except stdnum_errors.InvalidFormat:
        message = f"Un SIRET ne contient que des chiffres : {quoted(text)}."
    except stdnum_errors.InvalidChecksum:
        message = (
            f"SIRET invalide : {quoted(text)} (la clé de contrôle ne correspond pas ; "
            "vérifiez chaque chiffre)."
        )
    except stdnum_errors.ValidationError:
        message = f"SIRET invalide : {quoted(text)}."
    raise CompanyError({"siret": message})


def siren_of(siret: str) -> str:
    """The SIREN (the company, 9 digits) of a SIRET (one of its establishments)."""
    return siret[:9]


def clean_naf(value: str | None) -> str | None:
    """The canonical NAF rev. 2 code (``56.10A``), None when empty; CompanyError when
    unknown."""
    text = (value or "").strip()
    if not text:
        return None
    code = normalize_naf(text)
    if code is None or naf_label(code) is None:
        raise CompanyError(
            {"naf": f"Code NAF inconnu : « {text} » (code NAF rév. 2 attendu, ex. 56.10A)."}
        )
    return code


def clean_commune(value: str | None) -> str:
    """INSEE code of a known commune; CompanyError otherwise."""
    text = (value or "").strip()
    if not text:
        raise CompanyError({"commune": COMPANY_REQUIRED["commune"]})
    try:
        return territory.resolve_commune(text).insee
    except territory.UnknownCommune as error:
        raise CompanyError({"commune": str(error)}) from None


def clean_email(value: str | None, field: str = "contact_email") -> str | None:
    """The address in its stored form (``contacts.clean_email``), None when empty;
    CompanyError on ``field`` otherwise."""
    try:
        return contacts.clean_email(value)
    except contacts.InvalidEmail as refusal:
        usual = f"Adresse e-mail invalide : « {(value or '').strip()[:100]} »."
        raise CompanyError({field: contacts.email_refusal(refusal, usual)}) from None


def clean_phone(value: Any, field: str = "phone") -> str | None:
    """The number in its stored form (``contacts.clean_phone``, foreign numbers too),
    None when empty; CompanyError on ``field`` otherwise (a contact's, the company's
    own), saying what ``contacts.clean_phone`` says: an example, or the 0 that was left
    out, as every other phone field of the platform does."""
    try:
        return contacts.clean_phone(value)
    except contacts.InvalidPhone as refusal:
        raise CompanyError({field: refusal.message}) from None


def clean_website(value: Any) -> str | None:
    """The company's website in its stored form (``contacts.clean_website``), None when
    empty; CompanyError on ``website`` otherwise."""
    try:
        return contacts.clean_website(value)
    except contacts.InvalidWebsite as refusal:
        raise CompanyError({"website": refusal.message}) from None


def clean_cap(value: Any) -> int | None:
    """The monthly contact cap: None (no cap) or an integer within CAP_RANGE."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    low, high = CAP_RANGE
    try:
        cap = int(str(value).strip())
    except ValueError:
        raise CompanyError(
            {"max_contacts_per_month": f"Indiquez un nombre entier de {low} à {high}."}
        ) from None
    if cap == 0:
        raise CompanyError(
            {
                "max_contacts_per_month": "Une entreprise qui ne veut plus aucun contact : "
                "cochez « Ne plus solliciter » plutôt que 0."
            }
        )
    if not low <= cap <= high:
        raise CompanyError(
            {"max_contacts_per_month": f"Indiquez un nombre de contacts de {low} à {high}."}
        )
    return cap


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "oui", "y", "yes"}
    return bool(value)


def _collect(errors: dict[str, str], func, *args):
    try:
        return func(*args)
    except CompanyError as exc:
        errors.update(exc.errors)
        return None


def validate_company(data: Mapping[str, Any]) -> dict[str, Any]:
    """The checked fields of a company (every error at once, as CompanyError).

    Keys read: name, siret, commune (required); naf, employees, address,
    contact_email, phone, website, newsletter_consent, do_not_solicit, max_contacts_per_month.
    """
    errors: dict[str, str] = {}
    name = contacts.read_name(
        data, "name", errors, contacts.NameKind.COMPANY, missing=COMPANY_REQUIRED["name"]
    )
    siret = _collect(errors, clean_siret, data.get("siret"))
    commune = _collect(errors, clean_commune, data.get("commune"))
    naf = _collect(errors, clean_naf, data.get("naf"))
    details = _clean_details(data, errors)
    cap = _collect(errors, clean_cap, data.get("max_contacts_per_month"))
    if errors:
        raise CompanyError(errors)
    return {
        "name": name,
        "siret": siret,
        "siren": siren_of(siret),
        "commune": commune,
        "naf": naf,
        **details,
        "newsletter_consent": _bool(data.get("newsletter_consent")),
        "do_not_solicit": _bool(data.get("do_not_solicit")),
        "max_contacts_per_month": cap,
    }


def _clean_details(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The headcount, the address, the contact address, the phone and the website of a
    company, checked (the staff's new company and the owner's correction alike); each refusal added to
    ``errors``, its value then None."""
    employees = None
    raw_employees = data.get("employees")
    if raw_employees not in (None, ""):
        try:
            employees = int(str(raw_employees).strip())
            if not 0 <= employees <= MAX_EMPLOYEES:
                raise ValueError
        except ValueError:
            errors["employees"] = "L'effectif est un nombre entier de salariés (0 ou plus)."
    address = " ".join(str(data.get("address") or "").split()) or None
    if too := too_long("L'adresse", address, ADDRESS_MAX):
        errors["address"] = too
    contact_email = _collect(errors, clean_email, data.get("contact_email"))
    phone = _collect(errors, clean_phone, data.get("phone"))
    website = _collect(errors, clean_website, data.get("website"))
    return {
        "employees": employees,
        "address": address,
        "contact_email": contact_email,
        "phone": phone,
        "website": website,
    }


# --- the company's details, corrected by its owner or by the staff ------------------------

# What a company's owner corrects themselves (:func:`update_details`), from their account
# or their space's link: where the establishment is and how to reach it. Its name, SIRET
# and NAF code are the registry's, checked by the staff; its contact preferences have
# their own page (:func:`set_preferences`).
DETAIL_FIELDS = ("address", "commune", "employees", "contact_email", "phone", "website")
# What the staff correct from the company's record (``staff=True``): its name, SIRET and
# NAF code as well (a typo at its creation, an establishment that moved and got a new
# SIRET), in the order of their form.
STAFF_DETAIL_FIELDS = ("name", "siret", "naf", *DETAIL_FIELDS)
OUTSIDE_PAYS = (
    "Choisissez une commune du Pays Bassin d'Arcachon – Val de l'Eyre dans la liste. Votre "
    "établissement a quitté le territoire ? Dites-le à l'animateur de la plateforme."
)


def detail_fields(*, staff: bool) -> tuple[str, ...]:
    """The fields of a company's details its owner (``staff`` False) or the staff
    correct."""
    return STAFF_DETAIL_FIELDS if staff else DETAIL_FIELDS


def validate_details(
    data: Mapping[str, Any], company: Company, *, staff: bool = False
) -> dict[str, Any]:
    """The details of ``company`` its owner sends (:data:`DETAIL_FIELDS`), or the staff
    (``staff``: :data:`STAFF_DETAIL_FIELDS`), checked as the staff's creation form
    checks them (every error at once, as CompanyError). The owner's commune is one of
    the Pays', or the one the company has now (the staff may have recorded one
    outside); the staff's, any commune, as when they create a company."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if staff:
        clean["name"] = contacts.read_name(
            data, "name", errors, contacts.NameKind.COMPANY, missing=COMPANY_REQUIRED["name"]
        )
        clean["siret"] = _collect(errors, clean_siret, data.get("siret"))
        clean["naf"] = _collect(errors, clean_naf, data.get("naf"))
    commune = _collect(errors, clean_commune, data.get("commune"))
    if (
        not staff
        and commune is not None
        and commune != company.commune
        and not territory.in_pays(commune)
    ):
        errors["commune"] = OUTSIDE_PAYS
    details = _clean_details(data, errors)
    if errors:
        raise CompanyError(errors)
    return {**clean, "commune": commune, **details}


SIRET_TAKEN_MEANWHILE = (
    "Ce SIRET vient d'être enregistré pour une autre entreprise (une fiche par SIRET). "
    "Vérifiez le numéro."
)


def siret_taken(session: Session, company: Company, siret: str) -> str | None:
    """Why ``company`` may not take ``siret`` (14 digits), in French: another company
    holds it (one SIRET, one company); None when it is free or already its own."""
    other = session.scalar(select(Company).where(Company.siret == siret, Company.id != company.id))
    if other is None:
        return None
    if is_provisional(other):
        return (
            f"Le SIRET {siret_display(siret)} est celui qu'a donné un besoin du formulaire "
            "public pas encore confirmé. Vérifiez le numéro ; si c'est bien celui de cette "
            "entreprise, rattachez-lui ce besoin."
        )
    return (
        f"Le SIRET {siret_display(siret)} est déjà celui de l'entreprise « {other.name} » "
        "(une fiche par SIRET). Vérifiez le numéro, ou ouvrez la fiche de cette entreprise."
    )


def update_details(
    session: Session,
    company: Company,
    data: Mapping[str, Any],
    *,
    actor: User | None,
    said_by_owner: str | None = None,
    staff: bool = False,
) -> dict[str, tuple[Any, Any]]:
    """Record the details ``data`` gives (:func:`validate_details`): what changed, each
    field's value before and after (empty when nothing did: nothing written).
    ``said_by_owner``: the address of the owner who corrects them (their account's login,
    ``actor``; or the address their space's link opens, ``actor`` None). ``staff``: a
    member of the staff (``actor``) corrects them, its name, SIRET (one company per
    SIRET) and NAF code too; a provisional company renamed so is named
    (:func:`name_company`, a new ref), as when the staff enter it. The audit entry
    (:data:`pressure.COMPANY_DETAILS`) keeps the values before and after, and the
    company's timeline shows it to the staff. CompanyError: nothing changed."""
    clean = validate_details(data, company, staff=staff)
    changed = {
        field: (getattr(company, field), clean[field])
        for field in detail_fields(staff=staff)
        if getattr(company, field) != clean[field]
    }
    if not changed:
        return {}
    if "siret" in changed and (taken := siret_taken(session, company, clean["siret"])):
        raise CompanyError({"siret": taken})
    if "siret" in changed:
        # Written within a savepoint: the unique index refuses a SIRET another request
        # gave since it was looked up, the company then as it was.
        try:
            with session.begin_nested():
                write_details(company, changed)
                session.flush()
        except IntegrityError:
            taken = siret_taken(session, company, clean["siret"]) or SIRET_TAKEN_MEANWHILE
            raise CompanyError({"siret": taken}) from None
    else:
        write_details(company, changed)
    if "name" in changed and is_provisional(company):
        name_company(session, company, clean["name"], clean["commune"], actor=actor)
    details: dict[str, Any] = {
        "before": {field: old for field, (old, _new) in changed.items()},
        "after": {field: new for field, (_old, new) in changed.items()},
    }
    if said_by_owner:
        details["said_by_owner"] = said_by_owner
    audit(
        session,
        COMPANY_DETAILS,
        actor=actor,
        entity="company",
        entity_id=company.id,
        details=details,
    )
    return changed


def write_details(company: Company, changed: Mapping[str, tuple[Any, Any]]) -> None:
    """Set on ``company`` each field's new value of ``changed`` (field: (before, after)),
    and the SIREN of its SIRET; nothing checked nor recorded (the callers do)."""
    for field, (_old, new) in changed.items():
        setattr(company, field, new)
    company.siren = siren_of(company.siret)


# --- provisional companies -----------------------------------------------------------------

# The ref of a provisional company: this prefix and a random token (never the name typed,
# which nobody has vouched for). Interchange refs may not start with it.
PROVISIONAL_REF = "provisoire-"


def provisional_name(siret: str) -> str:
    """What a provisional company is called until someone names it."""
    return f"Entreprise au SIRET {siret}"


def is_provisional(company: Company) -> bool:
    """Whether ``company`` was created by a public need that nobody has confirmed yet."""
    return company.ref.startswith(PROVISIONAL_REF)


def listed() -> ColumnElement[bool]:
    """SQL condition: a company the platform lists (the directory, searches, rounds,
    figures): any but the provisional ones."""
    return ~Company.ref.startswith(PROVISIONAL_REF)


def create_provisional(session: Session, siret: str, commune: str) -> Company:
    """The company of this SIRET (already checked), created provisional when unknown;
    flushed. ``commune`` (an INSEE code) is where its first author put it, until named."""
    existing = find_company_by_siret(session, siret)
    if existing is not None:
        return existing
    clean = {"name": provisional_name(siret), "siret": siret, "siren": siren_of(siret)}
    company = _insert_company(session, {**clean, "commune": commune}, provisional=True)
    if company is None:  # stored meanwhile by a request for the same SIRET
        return find_company_by_siret(session, siret)
    audit(
        session,
        "company.create",
        entity="company",
        entity_id=company.id,
        details={"siret": siret, "provisional": True},
    )
    return company


def name_company(
    session: Session,
    company: Company,
    name: str,
    commune: str,
    *,
    actor: User | None,
    ref: str | None = None,
) -> None:
    """Give a provisional company its name and commune, and a ref made from its name
    (``ref`` when given: an interchange document's, checked free by its validation):
    it is the company's own from now on, listed. The ref it had is a tombstone (another
    platform may have copied the record under it); its needs, whose records name it by
    its ref, are stamped changed (their copies are synchronised by ``updated_at``).
    Nothing for a company already named."""
    if not is_provisional(company):
        return
    old_ref = company.ref
    company.name, company.commune = name, commune
    company.ref = ref or new_company_ref(session, name)
    record_deletion(session, "companies", old_ref, company_id=company.id)
    session.execute(
        update(Need)
        .where(Need.company_id == company.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    audit(
        session,
        "company.named",
        actor=actor,
        entity="company",
        entity_id=company.id,
        details={"siret": company.siret, "name": name, "ref": company.ref},
    )


@lru_cache(maxsize=1)
def _references() -> tuple:
    """Every column, of any table, that refers to a company (needs, contacts, visits,
    owners' accounts, registrations...): read from the models, so that a table added
    later is counted too."""
    return tuple(
        key.parent
        for table in Base.metadata.sorted_tables
        for key in table.foreign_keys
        if key.column.table.name == Company.__tablename__
    )


def _referred_to(session: Session, company_id: int) -> bool:
    return any(
        session.scalar(select(exists().where(column == company_id))) for column in _references()
    )


def move_references(session: Session, from_id: int, to_id: int) -> int:
    """Make every row of any table that refers to the company ``from_id`` refer to
    ``to_id`` instead (:func:`_references`: a table added later moves too); how many
    moved. A row that would repeat one of ``to_id``'s where a unique key allows one (an
    owner's account linked to both, a newsletter delivered to both) is dropped: the
    company's own is kept. Core statements: the caller flushes before, and reads the
    objects of the session again after (``session.expire_all``)."""
    moved = 0
    for column in _references():
        table = column.table
        for others in _unique_with(column):
            twin = table.alias()
            session.execute(
                delete(table).where(
                    column == from_id,
                    exists().where(
                        twin.c[column.name] == to_id,
                        *(twin.c[other.name] == other for other in others),
                    ),
                )
            )
        moved += session.execute(
            update(table).where(column == from_id).values({column.name: to_id})
        ).rowcount
    return moved


def _unique_with(column) -> list[list]:
    """The other columns of each unique key (primary key, unique constraint or index)
    of ``column``'s table that holds ``column``."""
    table = column.table
    keys = [table.primary_key.columns] if table.primary_key is not None else []
    keys += [c.columns for c in table.constraints if isinstance(c, UniqueConstraint)]
    keys += [index.columns for index in table.indexes if index.unique]
    return [[c for c in key if c is not column] for key in keys if column in list(key)]


def lock_stale_provisional(session: Session, before: datetime) -> list[Company]:
    """Lock (FOR UPDATE, in the order of their ids) the provisional companies created
    before ``before``, the ones :func:`delete_forgotten_provisional` may delete; them.

    A transaction that deletes unconfirmed needs takes these locks before: the deletion
    bumps the generation of the pooled needs (``changes``), and a public need being
    stored for such a company holds its key-share lock (the foreign key of its insert)
    and then bumps that generation too. Locking the company after the bump, the job
    waited for the need's key-share lock while the need waited for the job's generation
    row: a deadlock. Locked first, the need waits for the company before holding
    anything the job needs, as the requests do (company, then generation)."""
    begin_writing(session.connection())
    stale = (
        select(Company)
        .where(~listed(), Company.created_at < before)
        .order_by(Company.id)
        .with_for_update()
    )
    return list(session.scalars(stale).all())


def delete_forgotten_provisional(session: Session, before: datetime) -> int:
    """Delete the provisional companies created before ``before`` that no row refers to
    any more (the unconfirmed needs that created them deleted), each with its
    tombstone; their count. The retention job calls it right after deleting those
    needs (``needs.register.delete_unconfirmed``, which took the same locks first); a
    provisional company anything else refers to stays."""
    deleted = 0
    # Each locked before it is checked: a public need sent for its SIRET meanwhile waits,
    # then finds it gone and resolves the SIRET again (``web.need_public._store``); one
    # stored before the lock is seen by the check. Unlocked, a need stored between the
    # check and the delete went with the company (its foreign key cascades).
    for company in lock_stale_provisional(session, before):
        if _referred_to(session, company.id):
            continue
        record_deletion(session, "companies", company.ref, company_id=company.id)
        session.delete(company)
        deleted += 1
    return deleted


# --- lookup -------------------------------------------------------------------------------


# Read by every company page and form: built once (building a statement and walking it
# for SQLAlchemy's cache key cost more than running it).
_BY_REF = select(Company).where(Company.ref == bindparam("ref"))


def get_company(session: Session, ref: str) -> Company | None:
    """The company with this ref, or None."""
    return session.scalar(_BY_REF, {"ref": ref})


def provisional_by_siret(session: Session, sirets: list[str]) -> dict[str, Company]:
    """The provisional companies holding these SIRETs (14 digits each), by SIRET."""
    found: dict[str, Company] = {}
    for start in range(0, len(sirets), 500):
        chunk = sirets[start : start + 500]
        query = select(Company).where(~listed(), Company.siret.in_(chunk))
        found.update((company.siret, company) for company in session.scalars(query))
    return found


def find_company_by_siret(session: Session, siret: str | None) -> Company | None:
    """The company registered with this SIRET (any spacing), or None (also when invalid)."""
    try:
        number = clean_siret(siret)
    except CompanyError:
        return None
    return session.scalar(select(Company).where(Company.siret == number))


def _folded_names(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(select(Company.id, Company.name).where(listed()))
    return [(cid, fold(name)) for cid, name in rows]


def search_company_ids(session: Session, text: str, limit: int | None = 20) -> list[int]:
    """Ids of the companies matching what a person types, best first.

    Digits search the SIRET (and so the SIREN) by prefix, spaces ignored. Words match
    the start of the name's words, without accents or case ("mie doree" finds "La Mie
    Dorée"); when nothing matches that way, close spellings do (rapidfuzz).
    """
    query = (text or "").strip()
    if not query:
        return []
    compact = re.sub(r"[\s.]", "", query)
    if compact.isdigit():
        rows = session.scalars(
            select(Company.id)
            .where(Company.siret.startswith(compact), listed())
            .order_by(Company.sort_name, Company.id)
            .limit(limit)
        )
        return list(rows)
    words = fold(query).split()
    if not words:
        return []
    names = _folded_names(session)
    found: list[tuple[int, int, str]] = []
    for cid, name in names:
        name_words = name.split()
        if all(any(w.startswith(q) for w in name_words) for q in words):
            found.append((0 if name.startswith(words[0]) else 1, cid, name))
    if found:
        found.sort(key=lambda item: (item[0], item[2]))
        ids = [cid for _rank, cid, _name in found]
    else:
        hits = process.extract(
            " ".join(words),
            {cid: name for cid, name in names},
            scorer=fuzz.partial_ratio,
            limit=limit,
            score_cutoff=80,
        )
        ids = [cid for _name, _score, cid in hits]
    return ids[:limit] if limit else ids


def search_companies(session: Session, text: str, limit: int = 10) -> list[Company]:
    """Companies matching a name or SIRET typed by a person, best first (see
    :func:`search_company_ids`)."""
    ids = search_company_ids(session, text, limit)
    if not ids:
        return []
    by_id = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


# --- the directory list ------------------------------------------------------------------

DIRECTORY_ARGS = {"text": "q", "epci": "intercommunalite", "commune": "commune", "naf": "naf"}
MAX_SEARCH = 200


@dataclass(frozen=True)
class DirectoryFilters(ListFilters):
    """Filters of the company directory: words or SIRET, one of the Pays'
    intercommunalities, a commune, the beginning of a NAF code (as typed)."""

    ARGS = DIRECTORY_ARGS

    text: str = ""
    epci: str = ""
    commune: str = ""
    naf: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[DirectoryFilters, list[Refusal]]:
        """The filters from query arguments and the values refused (left out, and named
        by the page): an intercommunality not of the Pays, a code of no commune."""
        errors: list[Refusal] = []
        choice = choice_reader(args, errors)
        epcis = territory.PAYS_EPCIS
        epci = choice("intercommunalite", "Intercommunalité", epcis, "une intercommunalité")
        commune = text_arg(args, "commune", 10)
        if commune and not territory.is_commune(commune):
            errors.append(Refusal("commune", "Commune", from_the_list("une commune")))
            commune = ""
        filters = cls(
            text=text_arg(args, "q", MAX_SEARCH),
            epci=epci,
            commune=commune,
            naf=text_arg(args, "naf", 6),
        )
        return filters, errors


def directory_query(session: Session, filters: DirectoryFilters) -> Select:
    """The companies the directory lists with these filters, by name, as rows of what it
    shows (named as the entity's attributes). Without words (which are searched first),
    built once per filters: its pages and count are kept with it (``web.paging``)."""
    if filters.text:
        found = search_company_ids(session, filters.text, None)
        return _directory_query(filters).where(Company.id.in_(found))
    return _directory_query_once(filters)


@lru_cache(maxsize=256)
def _directory_query_once(filters: DirectoryFilters) -> Select:
    return _directory_query(filters)


def _directory_query(filters: DirectoryFilters) -> Select:
    # What the list shows, as rows (a page of 25 companies cost three times as much to
    # load as entities), under the entity's attribute names.
    query = select(
        Company.id,
        Company.ref,
        Company.name,
        Company.commune,
        Company.naf,
        Company.employees,
        Company.do_not_solicit,
        Company.max_contacts_per_month,
    ).where(listed())
    if filters.epci:
        members = [c.insee for c in territory.communes_of_epci(filters.epci)]
        query = query.where(Company.commune.in_(members))
    if filters.commune:
        query = query.where(Company.commune == filters.commune)
    if filters.naf:
        wanted = normalize_naf(filters.naf) or filters.naf.upper()
        query = query.where(Company.naf.startswith(wanted, autoescape=True))
    return query.order_by(Company.sort_name, Company.id)


# How many companies the directory holds, kept (``connectences.kept``): PostgreSQL reads
# every company to count them (2.2 ms at 20,000) at each view of the unfiltered directory.
# Companies are added (a new highest id) and, deleted for good, leave a tombstone; a
# provisional company named leaves the tombstone of its provisional ref: those two
# maxima, read from indexes, say when to count again.
_DIRECTORY_VERSION = select(
    select(func.max(Company.id)).scalar_subquery(),
    select(func.max(Deletion.id)).scalar_subquery(),
)


def directory_total(session: Session, filters: DirectoryFilters) -> int | None:
    """The number of companies of the unfiltered directory (None with filters: the
    pager counts those)."""
    if filters != DirectoryFilters():
        return None
    return kept(
        session,
        "directory_total",
        tuple(session.execute(_DIRECTORY_VERSION).one()),
        lambda: session.scalar(select(func.count()).select_from(Company).where(listed())) or 0,
    )


def similar_companies(
    session: Session, name: str, *, exclude_id: int | None = None, limit: int = 5
) -> list[SimilarCompany]:
    """Companies whose name is close to ``name`` (same words in any order, small typos),
    to point out a probable duplicate before creating a company under another SIRET."""
    wanted = fold(name or "")
    if not wanted:
        return []
    names = {cid: n for cid, n in _folded_names(session) if cid != exclude_id}
    hits = process.extract(
        wanted,
        names,
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=SIMILAR_SCORE,
    )
    if not hits:
        return []
    by_id = {
        c.id: c
        for c in session.scalars(select(Company).where(Company.id.in_([h[2] for h in hits])))
    }
    return [SimilarCompany(by_id[cid], round(score)) for _n, score, cid in hits]


def already_registered(company: Company, typed_name: str | None) -> str:
    """The French sentence saying that a SIRET typed to create a company is one stored
    already: the stored company opens, nothing of it changed; a name typed that is not
    close to the stored one is said not taken, so that a wrong SIRET shows."""
    text = f"Ce SIRET est déjà enregistré : « {company.name} » (rien n'y a été changé)."
    typed = (typed_name or "").strip()
    close = fuzz.token_sort_ratio(
        typed, company.name, processor=utils.default_process
    ) >= SIMILAR_SCORE or fold(typed) in fold(company.name)
    if typed and not close:
        text += (
            f" Le nom saisi, « {typed} », n'a pas été repris : si ce n'est pas cette "
            "entreprise, vérifiez le SIRET."
        )
    return text


# --- creation -----------------------------------------------------------------------------


def _slug(text: str) -> str:
    return slug(text)[:60].strip("-") or "entreprise"


def new_company_ref(session: Session, name: str) -> str:
    """A free, readable ref for a company created on the platform (``ent-le-bistrot``)."""
    base = "ent-" + _slug(name)
    # Most names are new: one look-up by the unique index, rather than reading every ref
    # that starts like it (a LIKE no index serves: a pass over every company).
    if session.scalar(select(Company.id).where(Company.ref == base)) is None:
        return base
    taken = set(session.scalars(select(Company.ref).where(Company.ref.startswith(base))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def find_or_create_company(
    session: Session,
    data: Mapping[str, Any],
    *,
    actor: User | None,
    similar_ok: bool = True,
    person_met: Mapping[str, Any] | None = None,
) -> tuple[Company, bool]:
    """The company with ``data["siret"]``, or a new one built from ``data``.

    Returns ``(company, created)``. An existing SIRET opens the existing company and
    changes nothing in it. Otherwise the data are checked (CompanyError with every
    field's French message; nothing added) and the company is added and flushed, with
    an audit entry. With ``similar_ok=False``, a company whose name is close to an
    existing one is not created: SimilarCompaniesFound lists them, so the person can
    open one of them or confirm (call again with ``similar_ok=True``).

    ``person_met`` (optional, see :func:`validate_person_met`) is the person an
    animateur met on the spot: checked with the company (its errors come with the
    company's, on the ``met_*`` fields, and nothing is added), then stored as a
    contact of the company, new or existing, unless that contact is already known.
    """
    errors: dict[str, str] = {}
    person = _collect(errors, validate_person_met, person_met or {})
    siret_text = data.get("siret")
    existing = find_company_by_siret(session, siret_text)
    if existing is not None and is_provisional(existing):
        # Only an unconfirmed public need knew of it: whoever enters it here names it.
        clean = _validated(data, errors)
        name_company(session, existing, clean["name"], clean["commune"], actor=actor)
        for key, value in clean.items():
            if key not in ("name", "commune", "siret", "siren"):
                setattr(existing, key, value)
        if person is not None:
            _add_person_met(session, existing, person, actor=actor)
        return existing, True
    if existing is not None:
        if errors:
            raise CompanyError(errors)
        if person is not None:
            _add_person_met(session, existing, person, actor=actor)
        return existing, False
    clean = _validated(data, errors)
    if not similar_ok:
        similar = similar_companies(session, clean["name"])
        if similar:
            raise SimilarCompaniesFound(similar)
    company = _insert_company(session, clean)
    if company is None:
        # Stored by another request since it was looked up (two people posting for one
        # new company at the same instant): theirs is the company.
        existing = find_company_by_siret(session, siret_text)
        if person is not None:
            _add_person_met(session, existing, person, actor=actor)
        return existing, False
    audit(
        session,
        "company.create",
        actor=actor,
        entity="company",
        entity_id=company.id,
        details={"siret": company.siret, "name": company.name},
    )
    if person is not None:
        _add_person_met(session, company, person, actor=actor)
    return company, True


def _validated(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The company's checked data; CompanyError with its fields' messages and the
    ``errors`` found beside it (the person met), nothing added."""
    try:
        clean = validate_company(data)
    except CompanyError as exc:
        raise CompanyError({**exc.errors, **errors}) from None
    if errors:
        raise CompanyError(errors)
    return clean


def _insert_company(
    session: Session, clean: Mapping[str, Any], *, provisional: bool = False
) -> Company | None:
    """Add and flush a new company; None when its SIRET was stored meanwhile by another
    request (the unique index said so). A ref taken meanwhile is drawn again once."""
    for _attempt in range(2):
        if provisional:
            ref = PROVISIONAL_REF + secrets.token_hex(6)
        else:
            ref = new_company_ref(session, clean["name"])
        company = Company(ref=ref, **clean)
        try:
            with session.begin_nested():
                session.add(company)
                session.flush()
        except IntegrityError:
            if find_company_by_siret(session, clean["siret"]) is not None:
                return None
            continue
        return company
    raise RuntimeError("no free ref for a new company")  # pragma: no cover — two races in a row


def set_preferences(
    session: Session,
    company: Company,
    *,
    do_not_solicit: bool,
    newsletter_consent: bool,
    max_contacts_per_month: Any,
    actor: User | None,
    said_by_owner: str | None = None,
    source: str | None = None,
) -> Company:
    """Record what the company asked: no more prospection, the newsletter, its monthly cap.

    Asking for no more prospection closes the follow-ups planned with it
    (``visits.close_follow_ups_of``). ``said_by_owner``: the address of the company's
    owner who says it themselves (the login of their account, ``actor``; or the address
    their space's link opens, ``actor`` None); None when the staff record it. The audit
    entry keeps it, and the company's timeline shows what its owners said. ``source``:
    :data:`PREFERENCES_BY_IMPORT` when an interchange document (CLI or API) said it;
    None from a form."""

    cap = clean_cap(max_contacts_per_month)
    before = {
        "do_not_solicit": company.do_not_solicit,
        "newsletter_consent": company.newsletter_consent,
        "max_contacts_per_month": company.max_contacts_per_month,
    }
    company.do_not_solicit = bool(do_not_solicit)
    company.newsletter_consent = bool(newsletter_consent)
    company.max_contacts_per_month = cap
    after = {
        "do_not_solicit": company.do_not_solicit,
        "newsletter_consent": company.newsletter_consent,
        "max_contacts_per_month": company.max_contacts_per_month,
    }
    if company.do_not_solicit and not before["do_not_solicit"]:
        close_follow_ups_of(session, company, actor=actor)
    if before != after:
        details: dict[str, Any] = {"before": before, "after": after}
        if said_by_owner:
            details["said_by_owner"] = said_by_owner
        if source:
            details["source"] = source
        audit(
            session,
            COMPANY_PREFERENCES,
            actor=actor,
            entity="company",
            entity_id=company.id,
            details=details,
        )
    return company


# The ``source`` of a preferences change an interchange document made (``set_preferences``).
PREFERENCES_BY_IMPORT = "import"


@dataclass(frozen=True)
class PreferencesSet:
    """Who last changed a company's contact preferences, and when."""

    at: datetime
    by: str
    by_owner: bool


def preferences_last_set(session: Session, company: Company) -> PreferencesSet | None:
    """Who last changed the company's contact preferences (:func:`set_preferences`):
    one of its owners (their address) or a member of the staff (their name), also when
    a visit's outcome was "ne plus solliciter" (``visits.log_visit``); None when nobody
    did since the company was created."""
    row = session.execute(_preferences_changes(company).limit(1)).first()
    return None if row is None else _preferences_set(row)


def _preferences_changes(company: Company) -> Select:
    """The changes of the company's contact preferences, newest first: when, the audit
    entry's details and action, who (full name, e-mail)."""
    return (
        select(AuditLog.at, AuditLog.details, AuditLog.action, User.full_name, User.email)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .where(
            AuditLog.action.in_((COMPANY_PREFERENCES, DO_NOT_SOLICIT_AT_VISIT)),
            AuditLog.entity == "company",
            AuditLog.entity_id == company.id,
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )


def _preferences_set(row) -> PreferencesSet:
    """A :class:`PreferencesSet` from an audit row (at, details, full_name, email)."""
    owner = (row.details or {}).get("said_by_owner")
    if owner:
        return PreferencesSet(at=row.at, by=said_by_company(owner), by_owner=True)
    by = row.full_name or row.email
    source = (row.details or {}).get("source")
    if source == PREFERENCES_BY_IMPORT:
        by = f"{by} (import d'un document d'échange)" if by else "un import de document d'échange"
    else:
        by = by or "une personne de la plateforme"
    if source == "visit":
        by += " (lors d'une visite)"
    return PreferencesSet(at=row.at, by=by, by_owner=False)


@dataclass(frozen=True)
class DoNotSolicitSince:
    """When a company asked not to be solicited any more, and who recorded it."""

    on: date
    by: str


def do_not_solicit_since(session: Session, company: Company) -> DoNotSolicitSince | None:
    """When the company last asked not to be solicited (``do_not_solicit``), for the
    pages that refuse a contact to say it: the latest change of its preferences that
    turned it on (:func:`set_preferences`, a visit's outcome), else its latest visit with
    the outcome "ne plus solliciter" (recorded before those changes were kept); None
    when it did not ask, or nothing says when."""
    if not company.do_not_solicit:
        return None
    for row in session.execute(_preferences_changes(company)):
        details = row.details or {}
        turned_on = row.action == DO_NOT_SOLICIT_AT_VISIT or (
            (details.get("after") or {}).get("do_not_solicit")
            and not (details.get("before") or {}).get("do_not_solicit")
        )
        if turned_on:
            return DoNotSolicitSince(on=local_date(row.at), by=_preferences_set(row).by)
    visit = session.execute(
        select(Visit.visited_on, User.full_name, User.email)
        .outerjoin(User, User.id == Visit.animateur_id)
        .where(Visit.company_id == company.id, Visit.outcome == "ne_plus_solliciter")
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
        .limit(1)
    ).first()
    if visit is None:
        return None
    by = visit.full_name or visit.email or "une personne de la plateforme"
    return DoNotSolicitSince(on=visit.visited_on, by=f"{by} (lors d'une visite)")


# --- contacts -----------------------------------------------------------------------------


def validate_contact(data: Mapping[str, Any]) -> dict[str, Any]:
    """Checked fields of a contact person: name required; role, phone, email optional."""
    errors: dict[str, str] = {}
    name = contacts.read_name(
        data, "name", errors, contacts.NameKind.FULL, missing="Indiquez le nom de la personne."
    )
    role = " ".join(str(data.get("role") or "").split()) or None
    if role and len(role) > 100:
        errors["role"] = "La fonction ne peut dépasser 100 caractères."
    phone = _collect(errors, clean_phone, data.get("phone"))
    email = _collect(errors, clean_email, data.get("email"), "email")
    if errors:
        raise CompanyError(errors)
    return {"name": name, "role": role, "phone": phone, "email": email}


def contact_held(typed: Mapping[str, Any]) -> dict[str, Any]:
    """What a contact's record holds once ``typed`` (:func:`validate_contact`) is saved,
    for ``workflows.unchanged_since``'s ``holds``: its phone, address and name the same
    once cleaned as stored another way (« 05 56 00 00 00 », capitals) count as held."""
    return held_as(
        typed,
        {"name": contacts.spaced_name, "phone": contacts.phone_key, "email": contacts.email_key},
    )


# The person met during a visit, as the visit form names its fields (``met_name``...):
# apart from the company's own fields (``name`` is the company's, ``contact_email`` its
# address).
PERSON_MET_FIELDS = {
    "name": "met_name",
    "role": "met_role",
    "phone": "met_phone",
    "email": "met_email",
}


def validate_person_met(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The checked person met during a visit, or None when every ``met_*`` field is empty.

    The same checks as any contact (:func:`validate_contact`), plus a way to reach
    them: a phone number or an e-mail address. CompanyError keys are the ``met_*``
    field names.
    """
    typed = {key: str(data.get(field) or "").strip() for key, field in PERSON_MET_FIELDS.items()}
    if not any(typed.values()):
        return None
    errors: dict[str, str] = {}
    try:
        person = validate_contact(typed)
    except CompanyError as exc:
        errors = {PERSON_MET_FIELDS[key]: message for key, message in exc.errors.items()}
        person = None
    if not typed["phone"] and not typed["email"]:
        errors.setdefault(
            "met_phone", "Indiquez un téléphone ou une adresse e-mail pour joindre cette personne."
        )
    if errors:
        raise CompanyError(errors)
    return person


def _same_person(contact: CompanyContact, person: Mapping[str, Any]) -> bool:
    if " ".join(contact.name.lower().split()) != person["name"].lower():
        return False
    same_phone = person["phone"] and contacts.phone_key(contact.phone) == contacts.phone_key(
        person["phone"]
    )
    same_email = person["email"] and contacts.email_key(contact.email) == contacts.email_key(
        person["email"]
    )
    return bool(same_phone or same_email)


def _add_person_met(
    session: Session, company: Company, person: Mapping[str, Any], *, actor: User | None
) -> CompanyContact:
    """Store a checked person met as a contact of the company (once: a known one is kept)."""
    for contact in company.contacts:
        if _same_person(contact, person):
            return contact
    contact = CompanyContact(company=company, **person)
    session.add(contact)
    session.flush()
    audit(session, "company.contact_add", actor=actor, entity="company", entity_id=company.id)
    return contact


def reachable_contacts(company: Company) -> list[CompanyContact]:
    """The company's contact people who can be reached (a phone number or an address)."""
    return [c for c in company.contacts if c.phone or c.email]


def is_reachable(company: Company) -> bool:
    """Whether someone can get in touch with the company: a contact person with a phone
    or an e-mail address, or the company's own e-mail address."""
    return bool(company.contact_email or reachable_contacts(company))


def unreachable_message(company: Company) -> str | None:
    """What to add before the company can be handed to an operator (French), or None
    when it can be reached (see :func:`is_reachable`)."""
    if is_reachable(company):
        return None
    return (
        f"L'opérateur n'aurait aucun moyen de joindre {company.name} : ajoutez sur sa fiche "
        "un contact avec un téléphone ou une adresse e-mail, ou l'adresse e-mail de "
        "l'entreprise."
    )


def add_contact(
    session: Session, company: Company, data: Mapping[str, Any], *, actor: User | None
) -> CompanyContact:
    """Add a contact person to the company (CompanyError when invalid)."""
    contact = CompanyContact(company=company, **validate_contact(data))
    session.add(contact)
    session.flush()
    audit(session, "company.contact_add", actor=actor, entity="company", entity_id=company.id)
    return contact


def contact_count(session: Session, company: Company) -> int:
    """How many contact persons the company has (its page lists them a page at a time)."""
    return session.scalar(
        select(func.count())
        .select_from(CompanyContact)
        .where(CompanyContact.company_id == company.id)
    )


def update_contact(
    session: Session, contact: CompanyContact, data: Mapping[str, Any], *, actor: User | None
) -> CompanyContact:
    """Change a contact person's details (CompanyError when invalid)."""
    for key, value in validate_contact(data).items():
        setattr(contact, key, value)
    audit(
        session,
        "company.contact_edit",
        actor=actor,
        entity="company",
        entity_id=contact.company_id,
    )
    return contact
