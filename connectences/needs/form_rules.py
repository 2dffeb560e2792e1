"""The rules of the need forms (public and animateur): each bad input gives one French
message tied to its field, and nothing is written while any message remains. A text
typed about the need (its title, the company's words, the notes) that states a
criterion the law forbids in hiring is refused like a skill (``skills.forbidden``).

Input is a plain mapping of what was typed (strings; ``days`` a list of strings), with
the interchange v1 names; the checked values come back typed, ready for the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connectences import skills as skills_mod
from connectences import territory, vocab
from connectences.contacts import (
    InvalidPhone,
    NameKind,
    clean_phone,
    read_email,
    read_name,
)
from connectences.dates import read_typed_date, too_far_ahead
from connectences.matching import week
from connectences.numbers import read_hours_per_week, read_number, too_precise
from connectences.prospection.companies import CompanyError, clean_siret
from connectences.skills import is_rome
from connectences.skills.forbidden import text_problem
from connectences.typography import too_long

MAX_TITLE = 200
MAX_SKILLS = 20
MAX_TEXT = 2000
MAX_DURATION_MONTHS = 60

# The reason asked in the owner's words, mapped to the interchange `reason` vocabulary.
OWNER_REASONS: dict[str, str] = {
    "temps_partiel": "Je n'ai besoin de cette compétence que quelques heures par semaine",
    "nouvelle_fonction": "C'est une nouvelle fonction dans l'entreprise",
    "pic_activite": "Un surcroît d'activité / la saison",
    "qualification_candidats": "Je ne trouve pas de candidats qualifiés",
    "remplacement": "Remplacer une personne absente",
}
# The qualification levels as an owner would describe the person.
OWNER_LEVELS: dict[str, str] = {
    "non_qualifie": "Pas de qualification particulière : la personne sera formée sur place",
    "employe_qualifie": "Une personne qualifiée (CAP, BEP, bac pro ou expérience)",
    "technicien": "Un technicien ou agent de maîtrise (bac+2, ou solide expérience)",
    "cadre": "Un cadre (bac+3 et plus, responsabilités)",
}


# What a need must say, field by field: the messages when a field is left empty (or, for
# the hours, out of bounds), also shown by the offline round's need form before it keeps
# a need on the phone, so that the animateur hears them on the doorstep.
NEED_REQUIRED: dict[str, str] = {
    "title": "Décrivez le besoin en quelques mots (par exemple « Comptabilité, 2 jours par semaine »).",
    "skills": "Indiquez au moins une compétence attendue (par exemple « tenue de la comptabilité »).",
    "level": "Choisissez le niveau de qualification attendu.",
    "hours_per_week": "Indiquez un nombre d'heures entre 1 et 48 par semaine (par exemple 14, 8 h "
    "ou 7,5), ou choisissez « par mois » pour des heures chaque mois (au moins 4,5).",
    "days": "Cochez au moins un jour de travail.",
    "contract": "Choisissez le type de contrat envisagé.",
    "reason": "Choisissez la raison de ce besoin.",
    "start": "Indiquez la date de démarrage souhaitée (jj/mm/aaaa).",
}
START_IN_PAST = "La date de démarrage ne peut pas être dans le passé."
# Hours counted per month or year whose conversion falls outside 1 to 48 a week.
HOURS_CONVERTED_OUT_OF_BOUNDS = (
    "Indiquez un nombre d'heures (par exemple 8 ou 8 h) : une fois converti, "
    "il doit faire entre 1 et 48 heures par semaine."
)


@dataclass
class Checked:
    """What the rules made of a form: typed ``values`` and French ``errors`` by field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def merge(self, other: Checked) -> Checked:
        self.values.update(other.values)
        self.errors.update(other.errors)
        return self


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(text: str) -> float | None:
    return read_number(text)


def resolve_commune(text: str) -> tuple[str | None, str | None]:
    """(INSEE code, None) of the commune typed, or (None, French message)."""
    try:
        return territory.resolve_commune(text).insee, None
    except territory.UnknownCommune as error:
        return None, str(error)


def valid_siret(text: str) -> str | None:
    """The SIRET's 14 digits when valid (the prospection module's check), else None."""
    try:
        return clean_siret(text)
    except CompanyError:
        return None


def valid_phone(text: str) -> str | None:
    """A French number in its stored form, ``0612345678`` (``contacts.clean_phone``); None
    when empty or invalid (the owner of a local company is called back in France)."""
    try:
        return clean_phone(text, foreign=False)
    except InvalidPhone:
        return None


def kept_past_start(stored_start: date | None, today: date) -> date | None:
    """The start an existing need already has when it has passed: a correction may keep
    it (``check_need``'s ``stored_start``), and the form says so; None otherwise."""
    return stored_start if stored_start is not None and stored_start < today else None


def check_need(
    data: Mapping[str, Any],
    *,
    today: date,
    reasons=vocab.REASONS,
    stored_start: date | None = None,
) -> Checked:
    """Check the interchange ``needs`` fields of a form (company excepted).

    ``commune`` may be empty (the company's commune); ``start`` may not be before
    ``today``, unless it is ``stored_start``, the start an existing need already has: a
    correction of its hours, made after the day it was to start, keeps that date as it
    was (asking to move it would make the owner or the animateur invent a new one).
    """
    out = Checked()
    values, errors = out.values, out.errors

    title = " ".join(_text(data, "title").split())
    if not title:
        errors["title"] = NEED_REQUIRED["title"]
    elif too := too_long("L'intitulé", title, MAX_TITLE):
        errors["title"] = too
    elif problem := text_problem(title):
        errors["title"] = problem
    values["title"] = title

    skills = skills_mod.split_skills(_text(data, "skills"))
    if not skills:
        errors["skills"] = NEED_REQUIRED["skills"]
    elif problem := skills_mod.skills_problem(skills, MAX_SKILLS):
        errors["skills"] = problem
    values["skills"] = skills

    level = _text(data, "level")
    if level not in vocab.LEVELS:
        errors["level"] = NEED_REQUIRED["level"]
    values["level"] = level

    period = _text(data, "hours_period") or "semaine"
    hours = read_hours_per_week(_text(data, "hours_per_week"), period)
    if hours is None or not 1 <= hours <= 48:
        errors["hours_per_week"] = too_precise(_text(data, "hours_per_week")) or (
            NEED_REQUIRED["hours_per_week"]
            if period == "semaine"
            else HOURS_CONVERTED_OUT_OF_BOUNDS
        )
    values["hours_per_week"] = hours

    raw_days = data.get("days") or []
    days = [day for day in vocab.DAYS if day in raw_days]
    if not days:
        errors["days"] = NEED_REQUIRED["days"]
    elif len(days) != len(set(raw_days)):
        errors["days"] = "Un des jours choisis n'existe pas."
    elif "hours_per_week" not in errors and (problem := week.beyond_days(hours, days)):
        errors["days"] = problem
    values["days"] = days

    contract = _text(data, "contract")
    if contract not in vocab.CONTRACTS:
        errors["contract"] = NEED_REQUIRED["contract"]
    values["contract"] = contract

    reason = _text(data, "reason")
    if reason not in reasons:
        errors["reason"] = NEED_REQUIRED["reason"]
    values["reason"] = reason
    reason_text = _text(data, "reason_text")
    if too := too_long("Ce texte", reason_text, MAX_TEXT):
        errors["reason_text"] = too
    elif problem := text_problem(reason_text):
        errors["reason_text"] = problem
    values["reason_text"] = reason_text or None

    start_text = _text(data, "start")
    start, why = read_typed_date(start_text, "Date de démarrage", missing=NEED_REQUIRED["start"])
    if why:
        errors["start"] = why
    elif start == stored_start:
        pass
    elif start < today:
        errors["start"] = START_IN_PAST
    elif problem := too_far_ahead(start, today):
        errors["start"] = problem
    values["start"] = start

    duration_text = _text(data, "duration_months")
    duration = None
    if duration_text:
        duration = _number(duration_text)
        # 0 is a duration, as in the interchange (a need of under a month), not "durable".
        if duration is None or not 0 <= duration <= MAX_DURATION_MONTHS:
            errors["duration_months"] = too_precise(duration_text) or (
                f"Indiquez une durée en mois, {MAX_DURATION_MONTHS} au plus (0,5 pour deux "
                "semaines), ou laissez vide pour un besoin durable."
            )
    values["duration_months"] = duration

    place = _text(data, "commune")
    values["commune"] = None
    if place:
        insee, problem = resolve_commune(place)
        if problem:
            errors["commune"] = problem
        values["commune"] = insee
    return out


def check_company(data: Mapping[str, Any]) -> Checked:
    """Check the company part of the public form: name, SIRET (checksum), commune."""
    out = Checked()
    out.values["company_name"] = read_name(
        data,
        "company_name",
        out.errors,
        NameKind.COMPANY,
        missing="Indiquez le nom de votre entreprise.",
    )
    typed = _text(data, "siret")
    siret = None
    if not typed:
        out.errors["siret"] = "Indiquez le numéro SIRET de l'entreprise (14 chiffres)."
    else:
        try:
            siret = clean_siret(typed)
        except CompanyError as error:
            out.errors["siret"] = (
                f"{error.errors['siret']} Le SIRET figure sur vos factures et sur votre "
                "extrait Kbis."
            )
    out.values["siret"] = siret
    place = _text(data, "company_commune")
    insee, problem = resolve_commune(place) if place else (None, None)
    if not place:
        out.errors["company_commune"] = "Indiquez la commune de l'entreprise."
    elif problem:
        out.errors["company_commune"] = problem
    out.values["company_commune"] = insee
    return out


def check_owner(data: Mapping[str, Any]) -> Checked:
    """Check who speaks for the company: name, e-mail (confirmed later), phone."""
    out = Checked()
    out.values["owner_name"] = read_name(
        data, "owner_name", out.errors, NameKind.FULL, missing="Indiquez votre nom."
    )
    typed = _text(data, "owner_email")
    email, invalid = read_email(
        typed,
        "Indiquez une adresse e-mail valide (par exemple prenom.nom@exemple.fr) : "
        "nous y envoyons le lien de confirmation.",
    )
    if invalid is not None:
        out.errors["owner_email"] = invalid
    out.values["owner_email"] = email
    typed = _text(data, "owner_phone")
    phone = valid_phone(typed)
    if phone is None:
        out.errors["owner_phone"] = (
            "Indiquez un numéro de téléphone français à 10 chiffres (par exemple 06 12 34 56 78)."
        )
    out.values["owner_phone"] = phone
    return out


def check_qualification(data: Mapping[str, Any]) -> Checked:
    """Check what the animateur adds when qualifying: ROME code, shared-time work, notes."""
    out = Checked()
    rome = _text(data, "rome").upper()
    if not rome:
        out.errors["rome"] = "Choisissez le métier (code ROME) parmi les suggestions, ou tapez-le."
    elif not is_rome(rome):
        out.errors["rome"] = (
            f"Code ROME inconnu : « {rome[:10]} » (une lettre et quatre chiffres, ex. M1203)."
        )
    out.values["rome"] = rome or None
    shared = _text(data, "shared_time")
    if shared not in ("oui", "non"):
        out.errors["shared_time"] = "Indiquez s'il s'agit d'un travail à temps partagé."
    out.values["shared_time"] = {"oui": True, "non": False}.get(shared)
    return out.merge(check_notes(data))


def check_notes(data: Mapping[str, Any]) -> Checked:
    """Check the animateur's notes on a need: read by operators and partners, they never
    state a criterion the law forbids (``skills.forbidden.text_problem``)."""
    out = Checked()
    notes = _text(data, "notes")
    if too := too_long("Les notes", notes, MAX_TEXT, plural=True):
        out.errors["notes"] = too
    elif problem := text_problem(notes):
        out.errors["notes"] = problem
    out.values["notes"] = notes or None
    return out
