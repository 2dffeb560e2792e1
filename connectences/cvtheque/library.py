"""What the animateurs do to a record of the library: status, notes, contacts, exports.

Each change goes with its history line (``history.record_event``) in the same
transaction; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from connectences import territory
from connectences.clock import local_date
from connectences.cvtheque import status as status_rules
from connectences.cvtheque.history import record_event
from connectences.errors import DomainError
from connectences.models import Candidate, Lead, LeadCandidate, LeadNeed, Need, User
from connectences.models.base import utcnow
from connectences.skills import rome_label
from connectences.typography import too_long
from connectences.vocab import CANDIDATE_STATUSES, CONTRACTS, DAYS, LEVELS, OPEN_TO_WORK

MAX_NOTES = 5000


class LibraryError(DomainError):
    """A change refused, with the reason in French."""


def set_status(session: Session, candidate: Candidate, status: str, *, actor: User) -> bool:
    """The animateur moves the person to ``status`` (one of the four); False when it already
    was. "Placé" also records that the person wants no more hours; an open status, that
    they want more (``cvtheque.status``, which writes the history)."""
    try:
        changed = status_rules.set_status(session, candidate, status, actor=actor)
    except status_rules.StatusError as error:
        raise LibraryError(error.message, errors=error.errors) from None
    if status in ("place", *OPEN_TO_WORK):
        candidate.week_complete = status == "place"
    return changed


# What the notes form edits (``workflows.unchanged_since``'s ``edits``): a save read
# before another change of the person (a commitment, their profile) goes through while
# the notes still hold what was read.
NOTES_EDITS = ("notes",)


def set_notes(session: Session, candidate: Candidate, notes: str, *, actor: User) -> bool:
    """Replace the animateurs' notes on the person; False when nothing changed."""
    text = (notes or "").strip()
    if why := too_long("Les notes", text, MAX_NOTES, plural=True):
        raise LibraryError(why, errors={"notes": why})
    if text == (candidate.notes or ""):
        return False
    candidate.notes = text or None
    record_event(
        session,
        candidate,
        "note",
        "Notes modifiées." if text else "Notes effacées.",
        actor=actor,
    )
    return True


def record_contact(
    session: Session, candidate: Candidate, *, actor: User, at: datetime | None = None
) -> None:
    """Note a contact with the person: their retention period starts again from it."""
    candidate.last_contact_at = at or utcnow()
    record_event(session, candidate, "contact", "Contact avec la personne noté.", actor=actor)


@dataclass(frozen=True)
class LeadLine:
    lead: Lead
    score: int | None
    needs: list[Need]


def leads_query(candidate_id):
    """The leads naming the person, most recent first, with their needs and operator:
    rows of (``LeadCandidate``, ``Lead``), for ``lead_lines`` (a page of them, or all)."""
    return (
        select(LeadCandidate, Lead)
        .join(Lead, Lead.id == LeadCandidate.lead_id)
        .where(LeadCandidate.candidate_id == candidate_id)
        .options(
            selectinload(Lead.needs).joinedload(LeadNeed.need).joinedload(Need.company),
            selectinload(Lead.operator),
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )


def lead_lines(rows) -> list[LeadLine]:
    """Rows of ``leads_query`` as the lines a page shows."""
    return [LeadLine(lead, item.score, [n.need for n in lead.needs]) for item, lead in rows]


def _export_day(moment: datetime | None) -> date | str:
    # Spreadsheets hold no time zone: the day as people of the territory read it.
    return local_date(moment) if moment else ""


EXPORT_HEADERS = [
    "Référence",
    "Prénom",
    "Nom",
    "E-mail",
    "Téléphone",
    "Commune",
    "Mobilité (km)",
    "Compétences",
    "Métiers (ROME)",
    "Niveau",
    "Heures min / semaine",
    "Heures max / semaine",
    "Jours",
    "Contrats",
    "Disponible le",
    "Statut",
    "Source",
    "E-mail confirmé",
    "Dernier contact",
    "Mis à jour le",
    "Pertinence",
]


def _rome_text(codes: tuple[str, ...]) -> str:
    return ", ".join(f"{code} {rome_label(code) or ''}".strip() for code in codes)


def _days_text(days: tuple[str, ...]) -> str:
    return ", ".join(DAYS.get(d, d) for d in DAYS if d in days)


def _contracts_text(contracts: tuple[str, ...]) -> str:
    return ", ".join(CONTRACTS.get(k, k) for k in CONTRACTS if k in contracts)


def _kept_text(kept: dict, key, make) -> str:
    """``make(key)`` computed once per distinct ``key`` of an export."""
    text = kept.get(key)
    if text is None:
        text = kept[key] = make(key)
    return text


def export_rows(hits: Iterable) -> Iterable[list]:
    """One row per search hit, in ``EXPORT_HEADERS`` order (labels in French).

    A region's library repeats a few hundred communes and a few dozen sets of days,
    contracts and trades over 100,000 people: each label is made once per export."""
    communes: dict = {}
    romes: dict = {}
    days: dict = {}
    contracts: dict = {}
    for hit in hits:
        c = hit.candidate
        yield [
            c.ref,
            c.first_name,
            c.last_name,
            c.email,
            c.phone or "",
            _kept_text(communes, c.commune, territory.commune_label),
            c.mobility_km,
            ", ".join(c.skill_labels),
            _kept_text(romes, tuple(c.rome or ()), _rome_text),
            LEVELS.get(c.level, c.level),
            c.hours_min,
            c.hours_max,
            _kept_text(days, tuple(c.days or ()), _days_text),
            _kept_text(contracts, tuple(c.contracts or ()), _contracts_text),
            c.available_from,
            CANDIDATE_STATUSES.get(c.status, c.status),
            c.source or "",
            "oui" if c.email_confirmed_at else "non",
            _export_day(c.last_contact_at),
            _export_day(c.updated_at),
            "" if hit.score is None else hit.score,
        ]
