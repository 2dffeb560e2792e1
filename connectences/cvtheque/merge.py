"""Merging two records of the same person into one, with the merge recorded.

The animateur chooses, field by field, which record's value is kept; lists (skills,
jobs, days, contracts) are united. Everything that points at the dropped record (lead
lines, placements, history, queued mail, login accounts) moves to the kept one; the
dropped record and its CV file (when the kept one has a file) are deleted. The person
holds both records' work: their status follows it (``status.settled_status``), but for
a pause chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from connectences.accounts.audit import audit
from connectences.cvtheque import files
from connectences.cvtheque.files import delete_pdf_after_commit
from connectences.cvtheque.history import MERGED, record_event
from connectences.cvtheque.status import set_status, settled_status
from connectences.errors import DomainError
from connectences.models import (
    Candidate,
    CandidateDistinct,
    CandidateEvent,
    CandidateSkill,
    Commitment,
    LeadCandidate,
    OutboxMessage,
    Placement,
    User,
)
from connectences.sync import record_deletion
from connectences.typography import hours_plain


@dataclass(frozen=True)
class MergeField:
    name: str
    label: str


# Fields the animateur chooses between (French labels for the comparison page).
CHOSEN_FIELDS: tuple[MergeField, ...] = (
    MergeField("first_name", "Prénom"),
    MergeField("last_name", "Nom"),
    MergeField("email", "Adresse e-mail"),
    MergeField("phone", "Téléphone"),
    MergeField("commune", "Commune"),
    MergeField("mobility_km", "Rayon de mobilité (km)"),
    MergeField("level", "Niveau"),
    MergeField("hours_min", "Heures minimum"),
    MergeField("hours_max", "Heures maximum"),
    MergeField("available_from", "Disponible à partir du"),
    MergeField("status", "Statut"),
    MergeField("source", "Source"),
    MergeField("cv_filename", "CV (fichier)"),
)
CHOSEN_NAMES = tuple(f.name for f in CHOSEN_FIELDS)
# Fields whose values are united rather than chosen.
UNITED_FIELDS = ("rome", "days", "contracts")


class MergeError(DomainError):
    """A merge that cannot be done (message in French)."""


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def default_choices(keep: Candidate, drop: Candidate) -> dict[str, str]:
    """Per field, "keep" or "drop": the kept record's value unless it is blank, and the
    CV file that can be downloaded rather than a withheld one (``withheld_over_clean``)."""
    chosen = {
        name: "drop" if _blank(getattr(keep, name)) and not _blank(getattr(drop, name)) else "keep"
        for name in CHOSEN_NAMES
    }
    if withheld_over_clean(keep, drop):
        chosen["cv_filename"] = "drop"
    return chosen


def withheld_over_clean(chosen: Candidate, other: Candidate) -> str | None:
    """Why keeping ``chosen``'s CV file would keep a withheld file (``files.ACTIVE`` or
    ``files.UNREADABLE_FILE``) and delete ``other``'s, which can be downloaded; None when
    it would not. Nobody can open a withheld file: the person's only usable CV would go."""
    reason = files.withheld_reason(chosen.cv_filename)
    if reason is None or files.file_state(other.cv_filename) != files.FILE_PRESENT:
        return None
    return reason


def _union(first: list | None, second: list | None) -> list:
    result = list(first or [])
    for value in second or []:
        if value not in result:
            result.append(value)
    return result


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [v for v in (a, b) if v is not None]
    return min(values) if values else None


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None


def merge_candidates(
    session: Session,
    keep: Candidate,
    drop: Candidate,
    *,
    actor: User | int | None,
    choices: dict[str, str] | None = None,
) -> Candidate:
    """Fold ``drop`` into ``keep`` and delete ``drop``; return ``keep`` (not committed).

    ``choices`` maps field names of ``CHOSEN_FIELDS`` to "keep" or "drop" (missing
    fields follow ``default_choices``). Skills, jobs, days and contracts are united;
    notes are put end to end. Lead lines, placements, history events, queued mail and
    login accounts move to ``keep``; the CV file not kept is deleted after commit, and a
    withheld one is refused over one that can be downloaded (``withheld_over_clean``,
    :class:`MergeError` naming ``cv_filename``). The merge is written to ``keep``'s history and to the audit log with the dropped ref.
    """
    if keep.id == drop.id:
        raise MergeError("On ne peut pas fusionner une fiche avec elle-même.")
    chosen = default_choices(keep, drop)
    for name, side in (choices or {}).items():
        if name not in chosen or side not in ("keep", "drop"):
            raise MergeError(f"Choix de fusion inconnu : {name}={side}.")
        chosen[name] = side

    hours = {name: getattr(drop if chosen[name] == "drop" else keep, name)
             for name in ("hours_min", "hours_max")}  # fmt: skip
    if None not in hours.values() and hours["hours_min"] > hours["hours_max"]:
        # Each record holds its own range; one end taken from each may not (30 to 20 h).
        raise MergeError(
            f"Heures par semaine : le minimum choisi ({hours_plain(hours['hours_min'])}) "
            f"dépasse le maximum choisi ({hours_plain(hours['hours_max'])}). Prenez les deux "
            "de la même fiche, ou un minimum plus petit."
        )
    cv_kept, cv_other = (drop, keep) if chosen["cv_filename"] == "drop" else (keep, drop)
    if reason := withheld_over_clean(cv_kept, cv_other):
        why = (
            f"Le CV choisi est retenu ({files.WITHHELD_WORDS[reason]}) : personne ne peut "
            "l'ouvrir, et le CV de l'autre fiche, qui peut être téléchargé, serait supprimé. "
            "Gardez le CV de l'autre fiche."
        )
        raise MergeError(f"CV (fichier) : {why}", errors={"cv_filename": why})
    drop_id, drop_ref = drop.id, drop.ref
    # People read the name and the date of the record merged, never its ref.
    drop_words = f"{drop.first_name} {drop.last_name}"
    taken_from_drop = [name for name, side in chosen.items() if side == "drop"]
    values = {name: getattr(drop if chosen[name] == "drop" else keep, name) for name in chosen}
    file_to_delete = drop.cv_filename if chosen["cv_filename"] == "keep" else keep.cv_filename
    email_confirmed_at = (
        drop.email_confirmed_at if chosen["email"] == "drop" else keep.email_confirmed_at
    )
    united = {name: _union(getattr(keep, name), getattr(drop, name)) for name in UNITED_FIELDS}
    notes = "\n\n".join(n.strip() for n in (keep.notes, drop.notes) if n and n.strip()) or None
    week_complete = (drop if chosen["status"] == "drop" else keep).week_complete
    consent = keep.consent or drop.consent
    consent_at = _earliest(keep.consent_at, drop.consent_at)
    created_at = _earliest(keep.created_at, drop.created_at)
    last_contact_at = _latest(keep.last_contact_at, drop.last_contact_at)

    # Skills: the kept record's, then those of the dropped one it does not have.
    known = {s.norm for s in keep.skills}
    moved_skills = [s for s in drop.skills if s.norm not in known]
    position = max((s.position for s in keep.skills), default=-1) + 1
    for skill in moved_skills:
        known.add(skill.norm)
    new_skills = [
        CandidateSkill(position=position + i, label=s.label, norm=s.norm, concept=s.concept)
        for i, s in enumerate(moved_skills)
    ]

    # Commitments: the person holds the work of both records (copies: the dropped
    # record's rows go with it).
    new_commitments = [
        Commitment(
            label=c.label,
            hours_per_week=c.hours_per_week,
            days=list(c.days or []),
            start=c.start,
            until=c.until,
            source=c.source,
            placement_id=c.placement_id,
            need_id=c.need_id,
            created_by_id=c.created_by_id,
            created_at=c.created_at,
        )
        for c in drop.commitments
    ]

    # Lead lines: a lead naming both keeps the kept record's line only.
    keep_leads = set(
        session.scalars(select(LeadCandidate.lead_id).where(LeadCandidate.candidate_id == keep.id))
    )
    if keep_leads:
        session.execute(
            delete(LeadCandidate).where(
                LeadCandidate.candidate_id == drop_id, LeadCandidate.lead_id.in_(keep_leads)
            )
        )
    moved_leads = session.execute(
        update(LeadCandidate)
        .where(LeadCandidate.candidate_id == drop_id)
        .values(candidate_id=keep.id)
    ).rowcount
    session.execute(
        update(Placement).where(Placement.candidate_id == drop_id).values(candidate_id=keep.id)
    )
    session.execute(
        update(CandidateEvent)
        .where(CandidateEvent.candidate_id == drop_id)
        .values(candidate_id=keep.id)
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.candidate_id == drop_id)
        .values(candidate_id=keep.id)
    )
    session.execute(update(User).where(User.candidate_id == drop_id).values(candidate_id=keep.id))
    session.execute(
        delete(CandidateDistinct).where(
            or_(CandidateDistinct.low_id == drop_id, CandidateDistinct.high_id == drop_id)
        )
    )
    # Other platforms know the dropped record by its ref: they delete their copy.
    record_deletion(session, "candidates", drop.ref)
    session.delete(drop)
    # The unique e-mail (and ref) must be free before the kept record takes it over.
    session.flush()

    status = values.pop("status", keep.status)
    for name, value in values.items():
        setattr(keep, name, value)
    for name, value in united.items():
        setattr(keep, name, value)
    keep.skills.extend(new_skills)
    keep.commitments.extend(new_commitments)
    # The chosen status goes with its record's "week complete" choice, then follows the
    # week the person now holds (both records' work): a pause chosen stays a pause.
    keep.week_complete = week_complete
    if status != "inactif":
        status = settled_status(keep, resume=True)
    set_status(
        session, keep, status, actor=actor, reason=f"fusion avec la fiche en double de {drop_words}"
    )
    keep.notes = notes
    keep.consent = consent
    keep.consent_at = consent_at
    keep.email_confirmed_at = email_confirmed_at
    keep.created_at = created_at
    keep.last_contact_at = last_contact_at
    if file_to_delete and file_to_delete != keep.cv_filename:
        delete_pdf_after_commit(session, file_to_delete)

    details = {
        "dropped_ref": drop_ref,
        "dropped_id": drop_id,
        "from_dropped": taken_from_drop,
        "leads_moved": moved_leads,
    }
    record_event(
        session,
        keep,
        MERGED,
        f"Fiche fusionnée avec la fiche en double de {drop_words}.",
        actor=actor,
        details=details,
    )
    audit(
        session,
        "candidate_merged",
        actor=actor,
        entity="candidate",
        entity_id=keep.id,
        details=details,
    )
    session.flush()
    return keep
