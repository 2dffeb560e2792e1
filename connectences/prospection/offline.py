"""Records made on an animateur's phone without network, received when it returns.

A phone queues three kinds of record, each with an idempotency key it generated
itself: a new company (``entreprise``), a visit (``visite``) and a need detected
during a visit (``besoin``). :func:`receive` applies to each one exactly the rules of
the online forms, through the same domain functions (``find_or_create_company``,
``visit_input_from_form`` and ``log_visit`` with its contact-pressure guard,
``check_need`` and ``create_need``), then stores its key in ``OfflineRecord``: the
key's unique constraint makes a record sent twice (a lost answer, two tabs) stored
once, and a replayed key answers with what was stored the first time.

A record is never dropped: what the rules refuse comes back with its French reason
(``refuse``, ``a_confirmer``, ``invalide``, ``en_attente``) and stays on the phone for
the animateur to decide. A record names the one it depends on by its key (a visit its
new company, a need its visit); when that key is stored nowhere yet, the record waits
(``en_attente``) only while the phone still holds the record it names (the phone says
which keys it holds): a record abandoned on the phone will never arrive, and what
depended on it is refused with a reason the animateur can act on, instead of waiting
for ever. The time the animateur recorded it on the phone is kept (as
the visit's and the company's creation time) once checked: not in the future beyond
a small clock drift, not older than the configured number of days.

The caller commits after each stored record and rolls back otherwise; an
``IntegrityError`` on commit means another request stored the same key meanwhile:
roll back and answer with :func:`replay`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences import territory
from connectences.clock import local_date
from connectences.dates import read_instant
from connectences.models import Company, Need, OfflineRecord, User, Visit
from connectences.needs import form_rules, register
from connectences.prospection import companies as directory
from connectences.prospection import visits as prospection
from connectences.prospection.pressure import (
    ConfirmationRequired,
    ContactRefused,
    OverCapReasonRefused,
    over_cap_reason_of,
)
from connectences.text import without_controls
from connectences.typography import too_long

# Kinds of record, in the order they must be applied (a visit may name a company
# created offline, a need names its visit).
KINDS: dict[str, str] = {
    "entreprise": "Nouvelle entreprise",
    "visite": "Visite",
    "besoin": "Besoin détecté",
}
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")

# Outcomes. The first two leave the phone's queue; the others stay, with their reason.
STORED = "enregistre"
ALREADY_STORED = "deja_recu"
TO_CONFIRM = "a_confirmer"
REFUSED = "refuse"
INVALID = "invalide"
WAITING = "en_attente"
DONE = frozenset({STORED, ALREADY_STORED})

# The text fields each kind reads (anything else in a record is ignored), and those
# that are lists. Values must be strings (lists of strings): a record edited on the
# phone into other shapes is refused field by field, as a form would be.
COMPANY_FIELDS = ("name", "siret", "commune", *directory.PERSON_MET_FIELDS.values())
VISIT_FIELDS = (
    "entreprise",
    "entreprise_cle",
    "channel",
    "visited_on",
    "outcome",
    "notes",
    "need_detected",
    "follow_up_on",
    # The company at its monthly cap agreed to this contact, and why (as online).
    "malgre_plafond",
    "raison_plafond",
)
NEED_FIELDS = ("visite_cle", *register.NEED_TEXT_FIELDS, "notes")
LIST_FIELDS = {"visite": ("topics",), "besoin": ("days",), "entreprise": ()}
TEXT_FIELDS = {"entreprise": COMPANY_FIELDS, "visite": VISIT_FIELDS, "besoin": NEED_FIELDS}
MAX_ITEMS = 20
NEED_NOTES_MAX = 2000
# What the phone offers for a visit refused for the monthly cap alone (its button
# "L'entreprise a accepté : enregistrer quand même" opens the visit with the reason).
OVER_CAP_ANYWAY = "notez la visite quand même"


@dataclass(frozen=True)
class Limits:
    """The receiving instant and how far the phone's recorded time may stray from it."""

    now: datetime
    today: date
    max_age: timedelta
    clock_drift: timedelta


@dataclass
class Outcome:
    """What became of one record: a status (see the constants above), a French message,
    field errors or the guard's reasons, and what was stored."""

    key: str | None
    status: str
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    company: Company | None = None
    visit: Visit | None = None
    need: Need | None = None
    recorded_at: datetime | None = None
    # A visit refused for the company's monthly cap alone: it may be sent again with the
    # company's agreement and the reason (never for a company that asked not to be).
    cap_may_be_passed: bool = False

    @property
    def done(self) -> bool:
        return self.status in DONE


class _Refusal(Exception):
    """Internal: stop handling a record with this outcome."""

    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def _invalid(key: str | None, errors: Mapping[str, str], message: str | None = None):
    return _Refusal(
        Outcome(
            key,
            INVALID,
            message or "Cet enregistrement contient des erreurs : rien n'a été enregistré.",
            errors=dict(errors),
        )
    )


# --- reading a record ---------------------------------------------------------------------


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _plain_data(key: str, kind: str, data: Any) -> dict[str, Any]:
    """The record's fields as a form would carry them: strings, and lists of strings."""
    if not isinstance(data, Mapping):
        raise _invalid(key, {"donnees": "Les données de l'enregistrement sont illisibles."})
    errors: dict[str, str] = {}
    plain: dict[str, Any] = {}
    for name in TEXT_FIELDS[kind]:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        # A long text is readable: the rule that owns the field refuses it with its
        # limit, as online (the request's size is bounded by MAX_CONTENT_LENGTH).
        if not isinstance(value, str) or _has_nul(value):
            errors[name] = "Valeur illisible : saisissez ce champ à nouveau."
            continue
        plain[name] = without_controls(value)  # as every way in (connectences.text)
    for name in LIST_FIELDS[kind]:
        value = data.get(name)
        if value is None:
            plain[name] = []
        elif (
            isinstance(value, list)
            and len(value) <= MAX_ITEMS
            and all(isinstance(item, str) and len(item) <= 100 for item in value)
            and not _has_nul(value)
        ):
            plain[name] = [without_controls(item) for item in value]
        else:
            errors[name] = "Valeur illisible : choisissez à nouveau."
    if errors:
        raise _invalid(key, errors)
    return plain


def parse_recorded_at(value: Any, limits: Limits) -> datetime:
    """The instant the record was made on the phone, checked against ``limits``.

    Raises ValueError with a French message: unreadable, without a time zone, in the
    future (beyond the clock drift), or older than ``limits.max_age``.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("L'heure d'enregistrement manque.")
    moment = read_instant(value, offset_required=False)
    if moment is None:
        raise ValueError(
            f"Heure d'enregistrement illisible : « {value[:40]} » (attendu : "
            "AAAA-MM-JJTHH:MM:SS suivi de Z ou d'un décalage comme +01:00)."
        )
    if moment.tzinfo is None:
        raise ValueError("L'heure d'enregistrement doit préciser son fuseau horaire.")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00, year 9999 at -14:00: no such instant
        raise ValueError(f"Heure d'enregistrement illisible : « {value[:40]} ».") from None
    if moment > limits.now + limits.clock_drift:
        raise ValueError(
            "L'heure d'enregistrement est dans le futur : vérifiez la date et l'heure du "
            "téléphone, puis enregistrez à nouveau."
        )
    if moment < limits.now - limits.max_age:
        days = limits.max_age.days
        raise ValueError(
            f"Enregistré il y a plus de {days} jours sur le téléphone : il n'est plus "
            "accepté hors ligne. Saisissez-le avec le formulaire en ligne, puis abandonnez-le."
        )
    return moment


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in {"1", "true", "oui"})


# --- receiving ----------------------------------------------------------------------------


def find_record(session: Session, key: str) -> OfflineRecord | None:
    """The stored record with this idempotency key, or None."""
    return session.scalar(select(OfflineRecord).where(OfflineRecord.key == key))


def replay(session: Session, key: str, animateur: User) -> Outcome | None:
    """The answer to a key already stored (``deja_recu`` with what was stored), or None.

    A key stored for another account is refused rather than shown to this one.
    """
    stored = find_record(session, key)
    if stored is None:
        return None
    if stored.user_id != animateur.id:
        return Outcome(
            key,
            INVALID,
            "Cet identifiant d'enregistrement a déjà servi pour un autre compte : "
            "rien n'a été enregistré.",
        )
    company = session.get(Company, stored.company_id) if stored.company_id else None
    visit = session.get(Visit, stored.visit_id) if stored.visit_id else None
    need = session.get(Need, stored.need_id) if stored.need_id else None
    return Outcome(
        key,
        ALREADY_STORED,
        "Déjà reçu : cet enregistrement avait été enregistré lors d'un envoi précédent.",
        company=company,
        visit=visit,
        need=need,
        recorded_at=stored.recorded_at,
    )


def order_records(records: list) -> list:
    """Records in the order they can be applied: companies, then visits, then needs."""
    rank = {kind: position for position, kind in enumerate(KINDS)}

    def position(record):
        kind = record.get("type") if isinstance(record, Mapping) else None
        return rank.get(kind, len(rank)) if isinstance(kind, str) else len(rank)

    return sorted(records, key=position)


def receive(
    session: Session,
    record: Any,
    *,
    animateur: User,
    limits: Limits,
    held: frozenset[str] | None = None,
) -> Outcome:
    """Apply one record of a phone's queue (see the module's docstring) and say how it went.

    ``held``: the keys of the records the phone still holds (None when it did not say:
    a record naming a key stored nowhere then waits, as it may still arrive).
    Nothing is added unless the outcome is ``enregistre``; the caller then commits.
    """
    key = record.get("cle") if isinstance(record, Mapping) else None
    key = key if isinstance(key, str) and KEY_PATTERN.fullmatch(key) else None
    try:
        if key is None:
            raise _invalid(None, {"cle": "Identifiant d'enregistrement absent ou illisible."})
        already = replay(session, key, animateur)
        if already is not None:
            return already
        kind = record.get("type")
        if not isinstance(kind, str) or kind not in KINDS:
            raise _invalid(key, {"type": "Type d'enregistrement inconnu."})
        try:
            recorded_at = parse_recorded_at(record.get("enregistre_le"), limits)
        except ValueError as problem:
            raise _invalid(key, {"enregistre_le": str(problem)}, str(problem)) from None
        data = _plain_data(key, kind, record.get("donnees"))
        confirmed = _flag(record.get("confirme"))
        handler = {"entreprise": _company, "visite": _visit, "besoin": _need}[kind]
        outcome = handler(session, key, data, confirmed, animateur, limits, recorded_at, held)
    except _Refusal as refusal:
        return refusal.outcome
    outcome.recorded_at = recorded_at
    session.add(
        OfflineRecord(
            key=key,
            kind=kind,
            user_id=animateur.id,
            recorded_at=recorded_at,
            received_at=limits.now,
            company_id=outcome.company.id if outcome.company else None,
            visit_id=outcome.visit.id if outcome.visit else None,
            need_id=outcome.need.id if outcome.need else None,
        )
    )
    session.flush()
    return outcome


def _linked(session: Session, key: str, value: str | None, kind: str, animateur: User):
    """The stored record of ``kind`` named by the key ``value`` (same account), or None
    when nothing is stored under that key yet (the record waits for it). A key stored
    for another account or another kind will never be this one's: the record is
    refused, not left waiting on the phone for ever."""
    if not value:
        return None
    stored = find_record(session, value)
    if stored is None:
        return None
    if stored.kind != kind or stored.user_id != animateur.id:
        field = "entreprise_cle" if kind == "entreprise" else "visite_cle"
        raise _invalid(
            key,
            {field: "Ce lien ne mène à aucune fiche de votre tournée : choisissez à nouveau."},
        )
    return stored


def _not_yet_stored(key: str, value: str, held: frozenset[str] | None, kind: str) -> _Refusal:
    """The answer to a record naming the key ``value`` of a ``kind`` record stored nowhere:
    it waits while the phone holds that record; otherwise it can never be stored."""
    if held is None or value in held:
        message = (
            "L'entreprise de cette visite n'est pas encore enregistrée : elle doit l'être "
            "d'abord (voir sa ligne dans la liste)."
            if kind == "entreprise"
            else "La visite de ce besoin n'est pas encore enregistrée : elle doit l'être "
            "d'abord (voir sa ligne dans la liste)."
        )
        return _Refusal(Outcome(key, WAITING, message))
    if kind == "entreprise":
        message = (
            "Visite refusée : son entreprise n'a jamais été enregistrée et n'est plus sur "
            "ce téléphone (elle a été abandonnée)."
        )
        errors = {
            "entreprise_cle": "Abandonnez cette visite, ou notez-la en ligne une fois "
            "l'entreprise créée."
        }
    else:
        message = (
            "Besoin refusé : sa visite n'a jamais été enregistrée et n'est plus sur ce "
            "téléphone (elle a été abandonnée)."
        )
        errors = {
            "visite_cle": "Abandonnez ce besoin, ou décrivez-le en ligne depuis la fiche de "
            "l'entreprise."
        }
    return _Refusal(Outcome(key, REFUSED, message, errors=errors))


def _company(session, key, data, confirmed, animateur, limits, recorded_at, held) -> Outcome:
    try:
        company, created = directory.find_or_create_company(
            session, data, actor=animateur, similar_ok=confirmed, person_met=data
        )
    except directory.CompanyError as exc:
        raise _invalid(key, exc.errors) from None
    except directory.SimilarCompaniesFound as exc:
        names = ", ".join(
            f"« {s.company.name} » ({territory.commune_label(s.company.commune)})"
            for s in exc.similar
        )
        raise _Refusal(
            Outcome(
                key,
                TO_CONFIRM,
                "Des entreprises au nom proche existent déjà : confirmez la création "
                "seulement si ce n'est aucune d'elles.",
                reasons=[f"Entreprises au nom proche : {names}."],
            )
        ) from None
    if created:
        # Created when the animateur recorded it on the phone, not when it arrived.
        company.created_at = recorded_at
        message = f"Entreprise « {company.name} » créée."
        # The phone has no resolver of its own: its answer says which commune was read.
        note = territory.commune_note(data.get("commune"))
        return Outcome(key, STORED, f"{message} {note}" if note else message, company=company)
    return Outcome(
        key,
        STORED,
        directory.already_registered(company, data.get("name")),
        company=company,
    )


def _visit_company(session, key, data, animateur, held) -> Company:
    ref = data.get("entreprise")
    if ref:
        company = directory.get_company(session, ref)
        if company is None:
            raise _invalid(key, {"entreprise": "Entreprise introuvable : choisissez-la à nouveau."})
        return company
    linked = _linked(session, key, data.get("entreprise_cle"), "entreprise", animateur)
    if linked is None or linked.company_id is None:
        if data.get("entreprise_cle"):
            raise _not_yet_stored(key, data["entreprise_cle"], held, "entreprise")
        raise _invalid(key, {"entreprise": "Choisissez d'abord l'entreprise rencontrée."})
    return session.get(Company, linked.company_id)


def _visit(session, key, data, confirmed, animateur, limits, recorded_at, held) -> Outcome:
    company = _visit_company(session, key, data, animateur, held)
    # A visit sent without its date was made the day the phone recorded it, not the day
    # it reached the server (a round sent the next morning); never after today (a phone
    # a few minutes ahead, just before midnight).
    recorded_on = min(local_date(recorded_at), limits.today)
    try:
        visit_input = prospection.visit_input_from_form(data, today=recorded_on)
        visit, _pressure = prospection.log_visit(
            session,
            company,
            visit_input,
            animateur=animateur,
            confirmed=confirmed,
            today=limits.today,
            over_cap_reason=over_cap_reason_of(data),
        )
    except prospection.VisitError as exc:
        raise _invalid(key, exc.errors) from None
    except OverCapReasonRefused as exc:
        raise _invalid(key, {"raison_plafond": exc.errors["over_cap_reason"]}) from None
    except ContactRefused as exc:
        pressure = exc.pressure
        raise _Refusal(
            Outcome(
                key,
                REFUSED,
                f"Contact refusé pour « {company.name} » : la visite n'est pas enregistrée.",
                reasons=list(pressure.reasons_offering(OVER_CAP_ANYWAY)),
                company=company,
                cap_may_be_passed=pressure.cap_may_be_passed,
            )
        ) from None
    except ConfirmationRequired as exc:
        raise _Refusal(
            Outcome(
                key,
                TO_CONFIRM,
                f"« {company.name} » a été contactée récemment : confirmez pour enregistrer "
                "cette visite malgré tout.",
                reasons=list(exc.pressure.reasons),
                company=company,
            )
        ) from None
    visit.created_at = recorded_at
    return Outcome(
        key, STORED, f"Visite à « {company.name} » enregistrée.", company=company, visit=visit
    )


def _need(session, key, data, confirmed, animateur, limits, recorded_at, held) -> Outcome:
    linked = _linked(session, key, data.get("visite_cle"), "visite", animateur)
    visit = session.get(Visit, linked.visit_id) if linked and linked.visit_id else None
    if visit is None:
        if data.get("visite_cle") and linked is None:
            raise _not_yet_stored(key, data["visite_cle"], held, "visite")
        raise _invalid(key, {"visite_cle": "Ce besoin n'est rattaché à aucune visite."})
    company = visit.company
    checked = form_rules.check_need(data, today=limits.today)
    notes = " ".join((data.get("notes") or "").split()) or None
    if too := too_long("Les notes", notes, NEED_NOTES_MAX, plural=True):
        checked.errors["notes"] = too
    if not checked.ok:
        raise _invalid(key, checked.errors)
    checked.values["notes"] = notes
    duplicates = register.find_duplicates(session, company.id, checked.values["title"])
    if duplicates and not confirmed:
        raise _Refusal(
            Outcome(
                key,
                TO_CONFIRM,
                "Un besoin au même intitulé est déjà ouvert pour cette entreprise : "
                "confirmez seulement s'il s'agit d'un autre besoin.",
                reasons=[f"Besoin déjà ouvert : « {need.title} »." for need in duplicates],
                company=company,
            )
        )
    need = register.create_need(session, company, checked.values, actor=animateur, visit=visit)
    session.flush()
    return Outcome(
        key,
        STORED,
        f"Besoin « {need.title} » enregistré pour « {company.name} ».",
        company=company,
        visit=visit,
        need=need,
    )
