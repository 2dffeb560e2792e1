""" "Qui fait quoi": the operators' and partners' directory. What each offers, for whom,
where (the intercommunalities the organisation covers) and how to reach it.

An organisation's members propose their entry from their space (``propose``); the
proposal waits beside the published version until an animateur validates it
(``validate``) or refuses it with a reason (``refuse``). The public sees only the
published version. The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from connectences import territory, vocab
from connectences.accounts.audit import audit
from connectences.accounts.scope import STAFF_ROLES, may_propose_directory_entry
from connectences.contacts import InvalidEmail, InvalidPhone, clean_email, clean_phone
from connectences.content import fields
from connectences.errors import DomainError
from connectences.listing import ListFilters, Refusal, choice_reader, text_arg
from connectences.models import DirectoryEntry, Operator, Partner, User, utcnow

TOPICS: dict[str, str] = vocab.VISIT_TOPICS
KINDS: dict[str, str] = {"operator": "Opérateur de l'emploi partagé", "partner": "Partenaire"}
# The query argument of each kind on the public page.
KIND_ARGS: dict[str, str] = {"operateur": "operator", "partenaire": "partner"}
ENTRY_FIELDS = ("offer", "audience", "topics", "phone", "email", "website", "address")
TEXT_MAX = 2000


class DirectoryError(DomainError):
    """A refused proposal or decision: ``errors`` per field, or ``message``."""


def _model(kind: str):
    return Operator if kind == "operator" else Partner


def entry_of(session: Session, kind: str, organisation_id: int) -> DirectoryEntry:
    """The entry of an operator or partner, created empty (unpublished) the first time."""
    column = DirectoryEntry.operator_id if kind == "operator" else DirectoryEntry.partner_id
    entry = session.scalar(select(DirectoryEntry).where(column == organisation_id))
    if entry is None:
        entry = DirectoryEntry(**{f"{kind}_id": organisation_id})
        session.add(entry)
        session.flush()
    return entry


def kind_of(entry: DirectoryEntry) -> str:
    return "operator" if entry.operator_id is not None else "partner"


def kind_label(entry: DirectoryEntry) -> str:
    """What the organisation is, in words (its own kind, e.g. "Mission Locale")."""
    kinds = vocab.OPERATOR_KINDS if kind_of(entry) == "operator" else vocab.PARTNER_KINDS
    return kinds.get(entry.organisation.kind) or KINDS[kind_of(entry)]


def published_values(entry: DirectoryEntry) -> dict:
    """The published version, field by field (what a member starts from)."""
    return {name: getattr(entry, name) for name in ENTRY_FIELDS}


def check(data: Mapping) -> dict:
    """The entry's values from a form; ``DirectoryError`` with French messages per field."""
    errors: dict[str, str] = {}
    values = fields.texts(
        data,
        (
            ("offer", "ce que votre structure propose aux entreprises", TEXT_MAX),
            ("audience", "à qui vous vous adressez", TEXT_MAX),
        ),
        errors,
        squash=False,
    )
    values.update(fields.texts(data, (("address", "", 300),), errors))
    topics = [t for t in dict.fromkeys(data.get("topics") or []) if t]
    if any(t not in TOPICS for t in topics):
        errors["topics"] = "Choisissez parmi les thèmes proposés."
    values["topics"] = [t for t in topics if t in TOPICS]
    try:
        values["phone"] = clean_phone(data.get("phone"))
    except InvalidPhone as error:
        errors["phone"] = error.message
    try:
        values["email"] = clean_email(data.get("email"))
    except InvalidEmail as error:
        errors["email"] = error.message
    values["website"] = fields.web_address(data, "website", 300, errors)
    if not errors and not (values.get("phone") or values.get("email")):
        errors["phone"] = "Indiquez au moins un téléphone ou une adresse e-mail pour vous joindre."
    if errors:
        raise DirectoryError(errors=errors)
    return values


def propose(session: Session, entry: DirectoryEntry, data: Mapping, *, by: User) -> None:
    """A member's new version of their organisation's entry, waiting for an animateur.
    Anyone but a member of that very organisation is refused (``DirectoryError``)."""
    kind = kind_of(entry)
    if not may_propose_directory_entry(by, kind, getattr(entry, f"{kind}_id")):
        raise DirectoryError("Seuls les membres de cette structure peuvent modifier sa fiche.")
    entry.proposed = check(data)
    entry.proposed_at = utcnow()
    entry.proposed_by_id = by.id
    entry.refusal = None
    audit(
        session, "directory_entry_proposed", actor=by, entity="directory_entry", entity_id=entry.id
    )


def _staff(by: User) -> None:
    if by.role not in STAFF_ROLES or not by.active:
        raise DirectoryError("Seule l'équipe d'animation valide les fiches « Qui fait quoi ».")


def validate(session: Session, entry: DirectoryEntry, *, by: User) -> None:
    """Publish the proposed version (an animateur's decision)."""
    _staff(by)
    if entry.proposed is None:
        raise DirectoryError("Aucune modification n'attend de validation pour cette fiche.")
    for name in ENTRY_FIELDS:
        setattr(entry, name, entry.proposed.get(name))
    entry.proposed = None
    entry.published_at = utcnow()
    entry.published_by_id = by.id
    entry.refusal = None
    audit(
        session, "directory_entry_validated", actor=by, entity="directory_entry", entity_id=entry.id
    )


def refuse(session: Session, entry: DirectoryEntry, *, by: User, reason: str) -> None:
    """Set the proposed version aside, with the reason the members will read."""
    _staff(by)
    if entry.proposed is None:
        raise DirectoryError("Aucune modification n'attend de validation pour cette fiche.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DirectoryError(errors={"reason": "Dites à la structure ce qu'il faut revoir."})
    entry.proposed = None
    entry.refusal = reason[:1000]
    audit(
        session, "directory_entry_refused", actor=by, entity="directory_entry", entity_id=entry.id
    )


def pending(session: Session) -> list[DirectoryEntry]:
    """The entries with a proposal waiting for an animateur, oldest first."""
    return list(
        session.scalars(
            select(DirectoryEntry)
            .options(joinedload(DirectoryEntry.operator), joinedload(DirectoryEntry.partner))
            .where(DirectoryEntry.proposed.is_not(None))
            .order_by(DirectoryEntry.proposed_at, DirectoryEntry.id)
        )
    )


@dataclass(frozen=True)
class DirectoryFilters(ListFilters):
    """The public page's filters: words, kind, topic, intercommunality."""

    ARGS = {"text": "q", "kind": "type", "topic": "theme", "epci": "intercommunalite"}
    text: str = ""
    kind: str = ""
    topic: str = ""
    epci: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[DirectoryFilters, list[Refusal]]:
        """The filters of the page's address and the values refused: one not in its
        list is left out, and the page still opens and says so."""
        errors: list[Refusal] = []
        choice = choice_reader(args, errors)
        filters = cls(
            text=text_arg(args, "q", 100),
            kind=choice("type", "Type de structure", KIND_ARGS, "un type"),
            topic=choice("theme", "Thème", TOPICS, "un thème"),
            epci=choice(
                "intercommunalite", "Intercommunalité", territory.PAYS_EPCIS, "une intercommunalité"
            ),
        )
        return filters, errors


def public_condition() -> tuple:
    """The entries the public sees, as a query's condition: published, of an active
    organisation."""
    return (
        DirectoryEntry.published_at.is_not(None),
        or_(
            DirectoryEntry.operator.has(Operator.active.is_(True)),
            DirectoryEntry.partner.has(Partner.active.is_(True)),
        ),
    )


def public_entries(session: Session, filters: DirectoryFilters) -> list[DirectoryEntry]:
    """The published entries of active organisations that pass the filters, by name.
    An organisation that covers no intercommunality in particular covers them all."""
    rows = session.scalars(
        select(DirectoryEntry)
        .options(joinedload(DirectoryEntry.operator), joinedload(DirectoryEntry.partner))
        .where(*public_condition())
        .order_by(DirectoryEntry.id)
    ).all()
    found = []
    for entry in rows:
        organisation = entry.organisation
        if filters.kind and kind_of(entry) != KIND_ARGS[filters.kind]:
            continue
        if filters.topic and filters.topic not in (entry.topics or []):
            continue
        if filters.epci and organisation.epcis and filters.epci not in organisation.epcis:
            continue
        if filters.text and not fields.has_words(
            filters.text, organisation.name, entry.offer, entry.audience
        ):
            continue
        found.append(entry)
    return sorted(found, key=lambda e: (e.organisation.sort_name, e.id))


def areas(entry: DirectoryEntry) -> list[str]:
    """The names of the intercommunalities the organisation covers (empty: all the Pays)."""
    return [territory.PAYS_EPCIS.get(s) or s for s in (entry.organisation.epcis or [])]
