"""Import of interchange v1 and v1.1 documents: validate everything, then upsert by ``ref``.

A document with any error is refused as a whole and nothing is written. A valid
document is applied record by record, each attribute compared before it is set,
so that importing the same document twice changes nothing (no ``updated_at``
churn, no write at all).

Imports run one at a time (``locks.hold``, taken before the document is checked
against what is stored): two imports of the same document at once, from the API
and the CLI, both read "nothing stored yet" and both created it, the second failing
on a unique ref or e-mail (a 500 through the API), or both replaced a person's
commitments (twice the hours). The second now waits for the first to end, then
reads what it wrote, and finds it unchanged; one that waits longer than
``EXCHANGE_IMPORT_WAIT_SECONDS`` is refused (``ImportBusy``), nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select, update

from connectences import config, locks, vocab, workflows
from connectences.cvtheque.profile import set_skills
from connectences.cvtheque.status import set_status
from connectences.errors import DomainError
from connectences.exchange.validate import COLLECTIONS, SCHEMA, FieldError, validate
from connectences.extensions import db
from connectences.models import Candidate, Commitment, Company, Need, Operator, Partner, utcnow
from connectences.prospection.companies import (
    PREFERENCES_BY_IMPORT,
    name_company,
    provisional_by_siret,
    set_preferences,
)
from connectences.typography import plural

# One of each collection, in French; ``plural`` counts them, the labels head them.
COLLECTION_NOUNS = {
    "operators": "opérateur",
    "partners": "partenaire",
    "companies": "entreprise",
    "candidates": "candidat",
    "needs": "besoin",
}
COLLECTION_LABELS = {name: noun + "s" for name, noun in COLLECTION_NOUNS.items()}


# How many of a refused document's errors are shown (API answer, CLI output): a document
# of 120,000 bad SIRETs was answered with 120,000 errors (megabytes of JSON, a terminal
# flooded). Every error is still found and counted (``refusal``); the first ones show what
# to fix, one more line says how many are left.
LISTED_ERRORS = 200
T = TypeVar("T")


def first_listed(errors: list[T], saying: Callable[[str], T]) -> list[T]:
    """The first ``LISTED_ERRORS`` of ``errors``, then, when there are more, the error
    ``saying`` makes of the sentence that tells how many are not listed (the API's
    refusals of a body list theirs so too)."""
    shown = errors[:LISTED_ERRORS]
    rest = len(errors) - len(shown)
    if rest:
        shown.append(
            saying(
                f"… et {plural(rest, 'autre erreur')} (seules les {LISTED_ERRORS} "
                "premières sont listées)."
            )
        )
    return shown


class ExchangeError(DomainError):
    """The document breaks the interchange rules; ``errors`` lists each offending field."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(f"{plural(len(errors), 'erreur')} dans le document", list(errors))

    def listed(self) -> list[FieldError]:
        """The errors to show: the first ``LISTED_ERRORS``, then, when there are more, one
        at the document's pointer ("") saying how many are not listed."""
        return first_listed(self.errors, lambda text: FieldError("", text))

    def as_dicts(self) -> list[dict[str, str]]:
        """``listed`` as JSON objects."""
        return [error.as_dict() for error in self.listed()]

    @property
    def refusal(self) -> str:
        """What a person is told of the refused document, its errors counted."""
        return f"Document refusé : {plural(len(self.errors), 'erreur')}, rien n'a été enregistré."


# The name of the lock imports take (``locks.hold``).
IMPORT_LOCK = "exchange.import"


class ImportBusy(DomainError):
    """Another import held the lock for the whole wait: nothing was read nor written."""

    def __init__(self):
        super().__init__(
            "Un autre import de document est en cours : réessayez dans quelques minutes "
            "(rien n'a été enregistré)."
        )


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class ImportResult:
    """How many records of each collection were created, updated or left unchanged."""

    counts: dict[str, Counts] = field(default_factory=lambda: {n: Counts() for n in COLLECTIONS})

    def __getitem__(self, collection: str) -> Counts:
        return self.counts[collection]

    @property
    def changed(self) -> int:
        return sum(c.created + c.updated for c in self.counts.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {name: counts.as_dict() for name, counts in self.counts.items()}

    def summary(self) -> str:
        """One French line per collection."""
        return "\n".join(
            f"{COLLECTION_LABELS[name]} : {plural(c.created, 'création')}, "
            f"{plural(c.updated, 'mise à jour', 'mises à jour')}, {c.unchanged} sans changement"
            for name, c in self.counts.items()
        )


# --------------------------------------------------------------------------- field mapping
#
# Each function turns one valid document item into the model attributes it owns.
# Attributes the interchange does not carry (notes, workflow status of a need,
# operator's ``active``...) are never touched by an import.


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _date(value: str) -> date:
    return date.fromisoformat(value)


def _address(value: str | None) -> str | None:
    """An address as stored: without the spaces a sender left around it (the document's
    " x@exemple.fr" and "x@exemple.fr" are one address, and one person)."""
    return value.strip() if isinstance(value, str) else value


def _operator_values(item: dict, _: dict) -> dict[str, Any]:
    return {
        "ref": item["ref"],
        "name": item["name"],
        "kind": item["kind"],
        "email": _address(item["email"]),
        "epcis": list(item["epcis"]),
        "rome_domains": list(item.get("rome_domains") or []),
        "levels": list(item["levels"]),
        "contracts": list(item["contracts"]),
        "max_hours_per_week": _number(item.get("max_hours_per_week")),
    }


def _partner_values(item: dict, _: dict) -> dict[str, Any]:
    return {
        "ref": item["ref"],
        "name": item["name"],
        "kind": item["kind"],
        "email": _address(item["email"]),
        "epcis": list(item.get("epcis") or []),
    }


def _or_default(collection: str, item: dict, key: str) -> Any:
    """The item's value, or the spec's default when the field is absent or null: the
    document is the record, on creation and on update alike (``validate.Field.default``)."""
    value = item.get(key)
    return SCHEMA[collection][key].default if value is None else value


def _company_values(item: dict, _: dict) -> dict[str, Any]:
    return {
        "ref": item["ref"],
        "name": item["name"],
        "siret": item["siret"],
        "siren": item["siret"][:9],
        "commune": item["commune"],
        "naf": item.get("naf"),
        "employees": None if item.get("employees") is None else int(item["employees"]),
        "contact_email": _address(item.get("contact_email")),
        "do_not_solicit": _or_default("companies", item, "do_not_solicit"),
    }


def _candidate_values(item: dict, _: dict) -> dict[str, Any]:
    return {
        "ref": item["ref"],
        "first_name": item["first_name"],
        "last_name": item["last_name"],
        "email": _address(item["email"]),
        "phone": item.get("phone"),
        "commune": item["commune"],
        "mobility_km": float(item["mobility_km"]),
        "rome": list(item.get("rome") or []),
        "level": item["level"],
        "hours_min": float(item["hours_min"]),
        "hours_max": float(item["hours_max"]),
        "days": vocab.week_order(item["days"]),
        "contracts": list(item["contracts"]),
        "available_from": _date(item["available_from"]),
        "consent": True,
        "source": item.get("source"),
        "status": _or_default("candidates", item, "status"),
    }


def _need_values(item: dict, companies: dict[str, Company]) -> dict[str, Any]:
    return {
        "ref": item["ref"],
        "company": companies[item["company"]],
        "title": item["title"],
        "rome": item.get("rome"),
        "skills": list(item["skills"]),
        "level": item["level"],
        "hours_per_week": float(item["hours_per_week"]),
        "days": vocab.week_order(item["days"]),
        "contract": item["contract"],
        "reason": item["reason"],
        "start": _date(item["start"]),
        "duration_months": _number(item.get("duration_months")),
        # None stays None: "the company's commune", so that an export round-trips.
        "commune": item.get("commune"),
    }


_MAPPING: dict[str, tuple[type, Callable[[dict, dict], dict[str, Any]]]] = {
    "operators": (Operator, _operator_values),
    "partners": (Partner, _partner_values),
    "companies": (Company, _company_values),
    "candidates": (Candidate, _candidate_values),
    "needs": (Need, _need_values),
}

# Values of a new record that the interchange does not carry (an update leaves them).
_NEW_DEFAULTS: dict[str, dict[str, Any]] = {
    "needs": {"source": "import"},
}


def _apply(record: Any, values: dict[str, Any]) -> bool:
    """Set only the attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _commitment_key(hours: float, days, until: date | None, label: str | None) -> tuple:
    return (float(hours), frozenset(days), until, label or None)


def _item_key(item: dict) -> tuple:
    until = _date(item["until"]) if item.get("until") else None
    return _commitment_key(item["hours_per_week"], item["days"], until, item.get("label"))


def _set_commitments(candidate: Candidate, items: list[dict]) -> bool:
    """Make the person's commitments those of the document; True when anything changed.

    Stored commitments equal to one of the document are kept as they are (with the
    placement that made them); the others are removed, and the document's new ones
    added as declared by the sender. A commitment a placement of this platform made
    stays whatever the document says: the sender cannot know of it (a partner's weekly
    list would otherwise free the hours of every person placed here); it ends with its
    placement.
    """
    unmatched = [(_item_key(item), item) for item in items]
    stored = list(candidate.commitments)
    keep = []
    for commitment in stored:
        key = _commitment_key(
            commitment.hours_per_week, commitment.days, commitment.until, commitment.label
        )
        match = next((pair for pair in unmatched if pair[0] == key), None)
        if match is not None:
            unmatched.remove(match)
        if match is not None or commitment.placement_id is not None:
            keep.append(commitment)
    if len(keep) == len(stored) and not unmatched:
        return False
    candidate.commitments = keep + [
        Commitment(
            label=item.get("label"),
            hours_per_week=float(item["hours_per_week"]),
            days=item["days"],
            until=key[2],
            source="declared",
        )
        for key, item in unmatched
    ]
    return True


def _attest_consent(candidate: Candidate) -> bool:
    """The sender attests the person's consent and address (see ``import_document``)."""
    now = utcnow()
    changed = False
    if candidate.consent_at is None:
        candidate.consent_at = now
        changed = True
    if candidate.email_confirmed_at is None:
        candidate.email_confirmed_at = now
        changed = True
    return changed


# --------------------------------------------------------------------------- entry points


def import_document(document: Any, session: Any = None, *, actor: Any = None) -> ImportResult:
    """Validate ``document`` and upsert every record by ``ref`` in ``session``.

    On any error, raises ``ExchangeError`` (one ``FieldError`` per offending field)
    before anything is added to the session; ``ImportBusy`` when another import kept
    running for the whole wait. Otherwise records are created or updated, flushed but
    not committed: the caller commits (or rolls back), so the import is one transaction
    with whatever the caller does around it (``import_document_and_commit`` does both);
    the imports' lock is held until that transaction ends.

    Records are compared attribute by attribute and only written when they differ:
    a second import of the same document reports everything unchanged and writes
    nothing.

    Candidates: a document only carries people whose ``consent`` is true, and the
    sender (an employment platform, an operator) attests both that consent and the
    person's e-mail address. The import therefore records ``consent_at`` and
    ``email_confirmed_at`` (when not already set), which makes the person matchable
    at once without a confirmation e-mail from us.

    The document is the record: a field absent from an item takes the spec's
    default where it has one (``status`` ``disponible``, a need's commune: the
    company's), on update as on creation, and every other
    optional field absent is cleared. That includes a candidate's ``commitments``
    (but those a placement of this platform made, see ``_set_commitments``): a v1
    document (which cannot carry them) is read as having none, exactly like a v1.1
    document that leaves them out. Two exceptions:
    a stored company's ``do_not_solicit`` true stays when the document leaves it out
    (false on creation, as the spec says): the company objected to being solicited,
    and only a document that says false lifts that; and a stored person closed to work
    (``inactif``, ``place``: paused, often by themselves, or their week complete) stays
    so when the document leaves ``status`` out: only a document that says so reopens them.

    A stored company's ``do_not_solicit`` changes through ``companies.set_preferences``
    (its audit entry, by ``actor``: the API's user, None from the CLI; and, when it
    becomes true, its planned follow-ups closed), as when the staff change it.
    """
    if session is None:
        session = db.session
    # Before anything stored is read: see the module's docstring.
    wait = config.number("EXCHANGE_IMPORT_WAIT_SECONDS")
    if not locks.hold(session, IMPORT_LOCK, wait_seconds=wait):
        raise ImportBusy()
    errors = validate(document, session)
    if errors:
        raise ExchangeError(errors)

    result = ImportResult()
    companies: dict[str, Company] = {}
    created_needs: list = []
    written: dict[type, list] = {}  # the records created or changed, by model
    for name in COLLECTIONS:
        items = document.get(name) or []
        model, to_values = _MAPPING[name]
        refs = [item["ref"] for item in items]
        existing = _by_ref(session, model, refs)
        if name in _UNIQUE:
            _release_unique_values(session, name, items, existing)
        if name == "companies":
            provisional = provisional_by_siret(
                session, [item["siret"] for item in items if item["ref"] not in existing]
            )
        if name == "needs":
            wanted = {item["company"] for item in items} - companies.keys()
            companies.update(_by_ref(session, Company, list(wanted)))
        counts = result.counts[name]
        for item in items:
            values = to_values(item, companies)
            record = existing.get(item["ref"])
            # A stored person's status changes through its one writer (``set_status``).
            status = values.pop("status") if record is not None and name == "candidates" else None
            # A person paused (often by themselves) or whose week is complete is reopened
            # only by a document that says so: a sender silent about it knows nothing of
            # it (as ``do_not_solicit`` below).
            if status is not None and item.get("status") is None:
                status = status if record.status in vocab.OPEN_TO_WORK else None
            if record is None:
                named = (
                    _name_provisional(session, item, provisional) if name == "companies" else None
                )
                if named is not None:  # the document's company from now on
                    _apply(named, values)
                    record = named
                else:
                    record = model(**{**_NEW_DEFAULTS.get(name, {}), **values})
                    session.add(record)
                if name == "needs":
                    created_needs.append(record)
                counts.created += 1
                changed = True
            else:
                # A company's objection to being solicited (RGPD art. 21, recorded
                # from a visit) is lifted only by a document that says false: a
                # sender silent about it knows nothing of it.
                said = values.pop("do_not_solicit", None) if name == "companies" else None
                changed = _apply(record, values)
                if name == "companies" and "do_not_solicit" in item:
                    changed = _set_do_not_solicit(session, record, said, actor) or changed
            if name == "candidates":
                if status is not None:
                    # Through the one writer of a person's status, with its history line.
                    changed = (
                        set_status(session, record, status, reason="import d'un document")
                        or changed
                    )
                changed = set_skills(record, list(item["skills"])) or changed
                changed = _attest_consent(record) or changed
                # The spec: "a connectences/v1 document is read as having none", so a v1
                # person, like a v1.1 one without commitments, holds none after import.
                changed = _set_commitments(record, item.get("commitments") or []) or changed
                if changed and record.id is not None:
                    # Skill rows live in their own table: bump the person's
                    # updated_at ourselves so that re-matching notices.
                    record.updated_at = utcnow()
            if changed:
                written.setdefault(model, []).append(record)
            if item["ref"] in existing:
                if changed:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            if name == "companies":
                companies[item["ref"]] = record
        # Needs look their companies up by ref: new companies need their ids now.
        session.flush()
        if name == "needs":
            # A need enters its state machine on creation: the log starts here.
            for need in created_needs:
                workflows.start(session, need, workflows.NEED, reason_text="Importé")
    _stamp_at_the_end(session, written)
    return result


def _stamp_at_the_end(session: Any, written: dict[type, list]) -> None:
    """Stamp what the import wrote with the moment it ends. A region's document takes
    minutes, flushed collection by collection: its first records, stamped at their
    flush, would be committed long after, behind the cursor of a synchronisation read
    meanwhile and older than the ``next_updated_since`` it gave (``sync.OVERLAP``)."""
    ended = utcnow()
    for model, records in written.items():
        ids = [record.id for record in records]
        for start in range(0, len(ids), 500):
            session.execute(
                update(model)
                .where(model.id.in_(ids[start : start + 500]))
                .values(updated_at=ended)
                .execution_options(synchronize_session=False)
            )
        for record in records:
            session.expire(record, ["updated_at"])


def _set_do_not_solicit(session: Any, company: Company, value: bool, actor: Any) -> bool:
    """The document's ``do_not_solicit`` through the one writer of a company's contact
    preferences, the others kept; True when it changed."""
    if company.do_not_solicit == bool(value):
        return False
    set_preferences(
        session,
        company,
        do_not_solicit=value,
        newsletter_consent=company.newsletter_consent,
        max_contacts_per_month=company.max_contacts_per_month,
        actor=actor,
        source=PREFERENCES_BY_IMPORT,
    )
    return True


def _name_provisional(session: Any, item: dict, provisional: dict[str, Company]) -> Any:
    """The provisional company holding the item's SIRET (only an unconfirmed public need
    knows of it), named with the item's name, commune and ref; None when there is none.

    Validation lets a document create a company under such a SIRET (anyone may type one
    on the public form, which would otherwise block the company's import for good);
    the company is named as when the staff enter it (``companies.find_or_create_company``),
    its unconfirmed needs still waiting for their owner.
    """
    company = provisional.get(item["siret"])
    if company is not None:
        name_company(session, company, item["name"], item["commune"], actor=None, ref=item["ref"])
    return company


def import_document_and_commit(document: Any, session: Any = None) -> ImportResult:
    """``import_document`` then commit; rolls back and re-raises on any failure."""
    if session is None:
        session = db.session
    try:
        result = import_document(document, session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


# Unique columns besides ref, with a placeholder that no valid document value can take.
_UNIQUE: dict[str, tuple[str, Callable[[int], str]]] = {
    "companies": ("siret", lambda record_id: f"#{record_id}"),
    "candidates": ("email", lambda record_id: f"#{record_id}@echange.invalid"),
}


def _release_unique_values(session: Any, name: str, items: list, existing: dict) -> None:
    """Let stored records exchange unique values (two SIRETs swapped between two refs).

    Validation allows it, but the database checks uniqueness row by row: records
    whose value changes first take a placeholder, flushed, then their new value.
    """
    column, placeholder = _UNIQUE[name]
    moving = [
        existing[item["ref"]]
        for item in items
        if item["ref"] in existing and getattr(existing[item["ref"]], column) != item[column]
    ]
    if len(moving) < 2:  # one record alone cannot take a value another one frees here
        return
    for record in moving:
        setattr(record, column, placeholder(record.id))
    session.flush()


def _by_ref(session: Any, model: type, refs: list[str]) -> dict[str, Any]:
    """Stored records of ``model`` whose ref is in ``refs``, by ref (chunked IN lists)."""
    found: dict[str, Any] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        for record in session.execute(select(model).where(model.ref.in_(chunk))).scalars():
            found[record.ref] = record
    return found
