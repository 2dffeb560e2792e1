"""A person's profile in the CV library: the rules of its fields, creating and updating it.

One set of rules for every way a profile is written (the public form, an animateur
at a forum, a spreadsheet import): ``clean_profile`` turns raw values into stored
values or French errors per field; ``apply_profile`` writes them with a history line;
``submit_candidate`` creates a profile (or finds the existing one by e-mail).

Only what matching needs is asked (interchange v1 ``candidates``); nothing French law
forbids in hiring (Code du travail, L1132-1): no age or birth date, sex, nationality,
family situation, health, photo.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences import skills as skills_mod
from connectences import territory, vocab
from connectences.accounts.audit import audit
from connectences.clock import local_today
from connectences.contacts import (
    NameKind,
    clean_email,
    clean_name,
    clean_phone,
    email_key,
    fold_name,
    phone_display,
    phone_key,
    spaced_name,
)
from connectences.cvtheque import consent, files
from connectences.cvtheque.history import record_event
from connectences.cvtheque.status import settle_status
from connectences.dates import read_typed_date, too_far_ahead
from connectences.errors import DomainError
from connectences.matching import week
from connectences.models import Candidate, CandidateSkill, User, utcnow
from connectences.numbers import read_number, too_precise
from connectences.tombstones import record_deletion
from connectences.typography import decimal_fr, hours_plain, plural
from connectences.workflows import held_as

# Fields a person gives, in the order forms show them (interchange v1 names).
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "commune",
    "mobility_km",
    "skills",
    "rome",
    "level",
    "hours_min",
    "hours_max",
    "days",
    "contracts",
    "available_from",
)
# French names of the fields, for history lines and messages.
FIELD_LABELS = {
    "first_name": "prénom",
    "last_name": "nom",
    "email": "adresse e-mail",
    "phone": "téléphone",
    "commune": "commune",
    "mobility_km": "distance acceptée",
    "skills": "compétences",
    "rome": "métiers recherchés",
    "level": "niveau",
    "hours_min": "heures minimum",
    "hours_max": "heures maximum",
    "days": "jours",
    "contracts": "contrats",
    "available_from": "date de disponibilité",
    "cv": "CV (PDF)",
}
# What a profile must never hold (asserted by the tests on the forms).
FORBIDDEN_FIELDS = (
    "age",
    "birth_date",
    "date_of_birth",
    "birthdate",
    "sex",
    "gender",
    "nationality",
    "family_situation",
    "marital_status",
    "children",
    "health",
    "disability",
    "handicap",
    "photo",
    "religion",
    "origin",
)
MAX_SKILLS = 30
MAX_MOBILITY_KM = 200
_ROME = re.compile(r"[A-Z][0-9]{4}")


class ProfileError(DomainError):
    """A profile refused: ``errors`` maps each offending field to a French sentence."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors=errors)


class CleanProfile(dict):
    """Values :func:`clean_profile` returned: written as they are, never cleaned again.

    Cleaning is not idempotent: the commune comes out as an INSEE code, and five digits
    typed by a person are read as a postcode first, so a second pass would move 3,000
    communes' people elsewhere (INSEE 33115, Cazalis, is the postcode of Pyla, in La
    Teste-de-Buch) or refuse them (a postcode several communes share).
    """


# --------------------------------------------------------------------------- field rules


def split_codes(raw: Any) -> list[str]:
    """Upper-cased codes from a list or a text separated by spaces, commas or lines."""
    if isinstance(raw, list | tuple):
        parts = [str(p) for p in raw]
    else:
        parts = re.split(r"[\s,;]+", str(raw or ""))
    out: list[str] = []
    for part in parts:
        code = part.strip().upper()
        if code and code not in out:
            out.append(code)
    return out


# A ROME code among other words: « Comptabilité (M1203) », « M1203 K1302 ».
_TRADE_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][0-9]{4})(?![A-Za-z0-9])")
NOT_A_TRADE = (
    "« {words} » : choisissez ce métier dans les suggestions qui s'affichent pendant que "
    "vous tapez, ou laissez ce champ vide (il est facultatif)."
)
NO_TRADE_IN = (
    "Aucun métier reconnu dans « {words} » : choisissez un métier dans les suggestions "
    "qui s'affichent pendant que vous tapez, ou laissez ce champ vide (il est facultatif)."
)


def read_trades(raw: Any) -> list[str]:
    """ROME codes of the jobs in ``raw``: as ``trades_input`` shows them (the job's name,
    its code in brackets), as codes alone, or as a job's name typed whole. A job seeker
    never has to know a code; an import or an older form sending codes still may.
    ValueError (French) for an unknown code or words that name no job, and for a text
    naming nothing at all (« (((( », « ;;; »): never read as « no jobs », which would
    silently empty the jobs the person had; an empty field is how one says none."""
    text = "\n".join(str(p) for p in raw) if isinstance(raw, list | tuple) else str(raw or "")
    codes: list[str] = []
    rest: list[str] = []
    start = 0
    for found in _TRADE_CODE.finditer(text):
        code = found.group(1).upper()
        if not _ROME.fullmatch(code) or not skills_mod.is_rome(code):
            raise ValueError(
                f"« {code[:20]} » n'est pas un code ROME connu (exemple : M1203). "
                "Tapez le nom du métier pour voir les suggestions."
            )
        before = text[start : found.start()].rstrip(" \t(")
        name = skills_mod.rome_label(code) or ""
        if name and before[-len(name) :].casefold() == name.casefold():
            before = before[: -len(name)]  # the name written before its code
        rest.append(before)
        start = found.end()
        if code not in codes:
            codes.append(code)
    rest.append(text[start:])
    for code in _trades_named("\n".join(rest)):
        if code not in codes:
            codes.append(code)
    if not codes and (typed := " ".join(text.split())):
        raise ValueError(NO_TRADE_IN.format(words=typed[:60]))
    return codes


def _trades_named(text: str) -> list[str]:
    """ROME codes of jobs typed by their whole names. A semicolon or a line ends a job;
    a comma may be part of its name (« Pâtisserie, confiserie, chocolaterie et
    glacerie ») or separate two (« Comptabilité, Secrétariat »: what the form asked for
    before): the longest run of comma-separated words naming a job is that job. Words
    naming none are refused whole, commas included, as the person wrote them."""
    # The jobs by their French names, accents, case and punctuation aside.
    by_name = {fold_name(skills_mod.rome_label(c)): c for c in skills_mod.rome_codes()}
    codes: list[str] = []
    for entry in re.split(r"[;\n]", text):
        parts = [p.strip(" \t()-.") for p in entry.split(",")]
        parts = [p for p in parts if p]
        while parts:
            for end in range(len(parts), 0, -1):
                code = by_name.get(fold_name(", ".join(parts[:end])))
                if code is not None:
                    break
            else:
                raise ValueError(NOT_A_TRADE.format(words=", ".join(parts)[:60]))
            codes.append(code)
            parts = parts[end:]
    return codes


def trades_input(codes: list[str] | None) -> str:
    """Stored ROME codes as the profile form shows them, for ``read_trades`` to read
    back: « Comptabilité (M1203); Secrétariat (M1607) » (a semicolon between two jobs:
    a job's name may hold commas)."""
    return "; ".join(
        f"{name} ({code})" if (name := skills_mod.rome_label(code)) else code
        for code in codes or []
    )


def _number(raw: Any, label: str, low: float, high: float, unit: str | None = None) -> float:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError(f"Indiquez {label}.")
    value = float(raw) if isinstance(raw, int | float) else read_number(str(raw), unit)
    if value is None:
        raise ValueError(too_precise(str(raw)) or f"« {str(raw)[:20]} » n'est pas un nombre.")
    if value != value or not low <= value <= high:  # NaN, or out of range
        raise ValueError(f"Indiquez un nombre entre {low:g} et {high:g}.")
    return value


def _available_from(raw: Any) -> date:
    if isinstance(raw, datetime):  # a spreadsheet's cell holds a date already
        raw = raw.date()
    if isinstance(raw, date):
        raw = raw.isoformat()
    day, why = read_typed_date(
        str(raw or ""),
        "Date de disponibilité",
        missing="Indiquez à partir de quand vous êtes disponible.",
    )
    if why:
        raise ValueError(why)
    if problem := too_far_ahead(day, local_today()):
        raise ValueError(problem)
    return day


# A source as typed: its code or its label, without case, accents or punctuation.
_SOURCES = {
    fold_name(text): code for code, label in vocab.CV_SOURCES.items() for text in (code, label)
}
_SOURCE_LIST = ", ".join(list(vocab.CV_SOURCES)[:-1]) + " ou " + list(vocab.CV_SOURCES)[-1]


def clean_source(raw: Any) -> str | None:
    """The channel a CV came from, as a code of ``vocab.CV_SOURCES``, read from what a
    form or a spreadsheet gives (« Réseaux sociaux », « JOB-DATING », « CV papier »);
    None when nothing was given. Raises ValueError (French, naming the list) for any
    other value."""
    text = re.sub(r"\s+", " ", str(raw or "")).strip()
    if not text:
        return None
    code = _SOURCES.get(fold_name(text))
    if code is None:
        raise ValueError(f"Source inconnue « {text[:40]} » : indiquez {_SOURCE_LIST}.")
    return code


def _choices(raw: Any, vocabulary: dict[str, str], empty: str, unknown: str) -> list[str]:
    values = split_codes(raw) if isinstance(raw, str) else [str(v) for v in (raw or ())]
    values = [v.lower() if isinstance(v, str) else v for v in values]
    if not values:
        raise ValueError(empty)
    bad = [v for v in values if v not in vocabulary]
    if bad:
        raise ValueError(unknown.format(value=bad[0][:40]))
    # In the vocabulary's order, whatever order they came in.
    return [key for key in vocabulary if key in values]


def clean_profile(
    data: dict, *, partial: bool = False, stored_names: Mapping[str, str | None] | None = None
) -> CleanProfile:
    """Turn raw profile values into stored values, or raise ``ProfileError``.

    ``data`` uses the interchange names (``PROFILE_FIELDS``); strings, numbers, lists
    and dates are accepted as a form or a spreadsheet gives them. With ``partial``,
    absent keys are left out instead of being reported as missing. The result has the
    commune as an INSEE code, skills as a list of labels, ROME codes checked.

    ``stored_names`` (``first_name``, ``last_name``) are the names the person is stored
    under: one sent back as it is keeps it. A name another platform sent (the
    interchange import: ``contacts.check_sent_name``, digits and signs allowed) is not
    refused to its owner who changed something else on their profile.
    """
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    def field(name: str, convert) -> None:
        if partial and name not in data:
            return
        try:
            clean[name] = convert(data.get(name))
        except ValueError as exc:
            errors[name] = str(exc)

    def name_rule(key: str, label: str, kind: NameKind):
        stored = (stored_names or {}).get(key)

        def convert(raw: Any) -> str:
            if stored and " ".join(str(raw or "").split()) == " ".join(stored.split()):
                return stored  # sent back as shown: the name it is stored under
            text = clean_name(raw, kind)  # InvalidName is a ValueError: its French message
            if not text:
                raise ValueError(f"Indiquez votre {label}.")
            return text

        return convert

    def skills_rule(raw: Any) -> list[str]:
        labels = skills_mod.split_skills(raw)
        problem = skills_mod.skills_problem(labels, MAX_SKILLS)
        if problem:
            raise ValueError(problem)
        return labels

    field("first_name", name_rule("first_name", "prénom", NameKind.FIRST))
    field("last_name", name_rule("last_name", "nom", NameKind.LAST))
    field("email", lambda raw: clean_email(raw, required=True))
    field("phone", clean_phone)
    field("commune", lambda raw: territory.resolve_commune(raw).insee)
    field(
        "mobility_km",
        lambda raw: _number(
            raw, "la distance que vous acceptez de parcourir", 0, MAX_MOBILITY_KM, "km"
        ),
    )
    field("skills", skills_rule)
    field("rome", read_trades)
    field(
        "level",
        lambda raw: _choices(
            [raw] if raw else [],
            vocab.LEVELS,
            "Choisissez votre niveau.",
            "Niveau inconnu : « {value} ».",
        )[0],
    )
    field("hours_min", lambda raw: _number(raw, "le nombre d'heures minimum", 1, 48, "h"))
    field("hours_max", lambda raw: _number(raw, "le nombre d'heures maximum", 1, 48, "h"))
    field(
        "days",
        lambda raw: _choices(
            raw, vocab.DAYS, "Cochez au moins un jour.", "Jour inconnu : « {value} »."
        ),
    )
    field(
        "contracts",
        lambda raw: _choices(
            raw,
            vocab.CONTRACTS,
            "Cochez au moins un type de contrat.",
            "Type de contrat inconnu : « {value} ».",
        ),
    )
    field("available_from", _available_from)
    low, high = clean.get("hours_min"), clean.get("hours_max")
    if low is not None and high is not None and low > high:
        errors["hours_max"] = "Le nombre d'heures maximum doit être supérieur ou égal au minimum."
    # The least a person wants must fit in the days they offer; more at most is no slip
    # (a wish, never met on those days alone).
    chosen = clean.get("days")
    if low is not None and chosen and (problem := week.beyond_days(low, chosen)):
        errors["hours_min"] = problem
    if errors:
        raise ProfileError(errors)
    return CleanProfile(clean)


# --------------------------------------------------------------------------- writing


def set_skills(candidate: Candidate, labels: list[str]) -> bool:
    """Make the person's skill rows match ``labels`` (normalised, placed in the taxonomy).

    True when they changed. Rows are replaced, not edited, so the matching index sees
    new skill ids (see ``matching.matches``).
    """
    if candidate.skill_labels == labels:
        return False
    candidate.skills.clear()
    for position, text in enumerate(labels):
        candidate.skills.append(
            CandidateSkill(
                position=position,
                label=text,
                norm=skills_mod.normalize(text),
                concept=skills_mod.concept_of(text),
            )
        )
    return True


def _same(name: str, old: Any, new: Any) -> bool:
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    if name == "phone" and old and new:
        # "06 39 98 12 34" as imported and "0639981234" as the form writes it: the same
        # number, not a change to record (the stored form is kept).
        return phone_key(old) == phone_key(new)
    return old == new


def changed_fields(candidate: Candidate, clean: dict) -> list[str]:
    """The fields of a cleaned profile (``clean_profile``) whose value differs from the
    stored ``candidate``'s, in the order of ``clean``: what saving it would change."""
    return [
        name
        for name, value in clean.items()
        if (
            candidate.skill_labels != value
            if name == "skills"
            else not _same(name, getattr(candidate, name), value)
        )
    ]


def _said(name: str, value: Any) -> str:
    """A profile field's value as a sentence cites it."""
    if value in (None, "", [], ()):
        return "—"
    if name in ("hours_min", "hours_max"):
        return hours_plain(value)
    if name == "mobility_km":
        return f"{decimal_fr(value, 1)} km"
    if name == "phone":
        return phone_display(value)
    if name == "commune":
        return territory.commune_label(value)
    if name == "skills":
        return ", ".join(value)
    if name == "rome":
        return ", ".join(skills_mod.rome_named(code) for code in value)
    if name == "days":
        return ", ".join(vocab.DAYS.get(day, day) for day in value)
    if name == "contracts":
        return ", ".join(vocab.label(vocab.CONTRACTS, code) for code in value)
    if name == "level":
        return vocab.label(vocab.LEVELS, value)
    if name == "available_from":
        return f"{value:%d/%m/%Y}"
    return str(value)


def holds_now(candidate: Candidate, clean: dict) -> str:
    """What the stored profile says in each field where a form's cleaned values differ
    ("Il indique maintenant : heures maximum : 30 h."); empty when nothing differs. Told
    to the person whose form was read before another save (``workflows.unchanged_since``):
    the form given back still holds what they had read, and saved again as it is, it
    would put that back."""
    now = [
        f"{FIELD_LABELS.get(name, name)} : "
        f"{_said(name, candidate.skill_labels if name == 'skills' else getattr(candidate, name))}"
        for name in changed_fields(candidate, clean)
    ]
    return f"Il indique maintenant : {' ; '.join(now)}." if now else ""


# A cleaned field the stored profile reads under another name: its skills (a
# relationship) as the list of labels ``set_skills`` stores, an address typed in the
# person's space as the one their profile goes to once confirmed (``consent``).
_HELD_AS = {"skills": "skill_labels", "email": "address_asked"}


def held_once_saved(clean: dict) -> dict:
    """What the stored profile holds once ``clean`` (``clean_profile``) is saved from the
    person's space (attribute or property: value): what ``workflows.unchanged_since``
    compares a form sent again with."""
    return held_as(
        {
            _HELD_AS.get(name, name): value
            for name, value in clean.items()
            if not (name == "email" and value is None)
        },
        _HELD_KEYS,
    )


# The fields a stored profile may hold in another form than a save writes (as an import
# sent them), and which a save keeps when they are the same once cleaned: compared as such.
_HELD_KEYS = {
    "phone": phone_key,
    "address_asked": email_key,
    "first_name": spaced_name,
    "last_name": spaced_name,
}


# The profile's fields that ``matching.week.is_full`` reads, with the commitments held.
WEEK_FIELDS = frozenset({"hours_max", "days"})


def apply_profile(
    session: Session,
    candidate: Candidate,
    data: dict,
    *,
    actor: User | int | None = None,
    actor_label: str | None = None,
    partial: bool = False,
) -> list[str]:
    """Validate ``data`` and write it on ``candidate``; return the fields that changed.

    ``data`` is raw (a form's, a file's) or a :class:`CleanProfile`, written as it is.
    Raises ``ProfileError`` and changes nothing when a value is refused. A change writes
    one history line naming the changed fields, and bumps ``updated_at`` so matching
    reloads the person. A changed e-mail address must be confirmed again. Changed hours
    or days settle the person's status (``status.settle_status``). The caller commits.
    """
    clean = data if isinstance(data, CleanProfile) else clean_profile(data, partial=partial)
    if "email" in clean and clean["email"] != candidate.email:
        other = session.scalar(
            select(Candidate.id).where(
                Candidate.email == clean["email"], Candidate.id != (candidate.id or -1)
            )
        )
        if other is not None:
            raise ProfileError(
                {"email": "Cette adresse e-mail est déjà utilisée par un autre profil."}
            )
    changed = changed_fields(candidate, clean)
    for name in changed:
        if name == "skills":
            set_skills(candidate, clean[name])
        else:
            setattr(candidate, name, clean[name])
    if candidate.id is not None and changed:
        if "email" in changed:
            if candidate.consent and candidate.email_confirmed_at is not None:
                # Shared no more until the new address is confirmed: the platforms that
                # copied the person delete them (their tombstone goes unread once they
                # are shared again, ``sync.deletions_reached``).
                record_deletion(session, "candidates", candidate.ref)
            candidate.email_confirmed_at = None  # a new address is confirmed again
        candidate.updated_at = utcnow()
        record_event(
            session,
            candidate,
            "updated",
            "Profil modifié : " + ", ".join(FIELD_LABELS.get(n, n) for n in changed) + ".",
            actor=actor,
            actor_label=actor_label,
            details={"fields": changed},
        )
        if WEEK_FIELDS.intersection(changed):
            # Their week is read against these: a maximum lowered to the hours they hold
            # fills it ("placé"), one raised again opens it (the animateur's note on
            # extra hours tells them to raise it here).
            settle_status(
                session,
                candidate,
                actor=actor,
                actor_label=actor_label,
                reason="heures ou jours modifiés",
            )
    return changed


def attach_pdf(
    session: Session,
    candidate: Candidate,
    pdf: bytes | list[bytes] | files.ReadCv,
    *,
    actor: User | int | None = None,
    actor_label: str | None = None,
) -> str:
    """Check and store a new CV file for the person (the old one goes at commit): a PDF,
    or photos of a paper CV made into one (``files.read_cv``, the one way in).

    Returns the PDF's text (for skills proposals; empty for photos). Raises
    ``files.CvFileError``.
    """
    cv = files.read_cv(pdf)
    old = candidate.cv_filename
    candidate.cv_filename = files.store_pdf(cv.pdf, session=session)
    if old:
        files.delete_pdf_after_commit(session, old)
    if candidate.id is not None:
        record_event(
            session,
            candidate,
            "cv",
            ("Nouveau CV (PDF) déposé" if old is None else "CV (PDF) remplacé")
            + _from_photos(cv)
            + ".",
            actor=actor,
            actor_label=actor_label,
        )
    return cv.text


def _from_photos(cv: files.ReadCv) -> str:
    """What a CV event adds when the PDF was made of photos (no text read in it)."""
    if not cv.photos:
        return ""
    return f" (fait de {plural(cv.photos, 'photo')} du CV papier, sans texte lu)"


def new_ref() -> str:
    """A ref for a profile created on the platform (interchange refs come from senders)."""
    return f"cv-{secrets.token_hex(8)}"


def _holder_of(session: Session, email: str) -> Candidate | None:
    return session.scalar(select(Candidate).where(Candidate.email == email))


def _known_address(session: Session, existing: Candidate, *, source: str, send_mail: bool):
    """A submission with an address already in the library: nothing created nor changed."""
    if source == "public" and send_mail:
        # The confirmation again, or the personal link (at most once every few minutes).
        consent.send_space_link(session, existing.email)
    return existing


def submit_candidate(
    session: Session,
    data: dict,
    *,
    source: str,
    actor: User | int | None = None,
    actor_label: str | None = None,
    pdf: bytes | list[bytes] | files.ReadCv | None = None,
    send_mail: bool = True,
    channel: str | None = None,
) -> tuple[Candidate, bool]:
    """Create a profile from a submission; return ``(candidate, created)``.

    ``data`` holds the profile fields (raw, or a :class:`CleanProfile` a form already
    checked) and ``consent`` (must be true). The same address
    (normalised) leads to the existing profile: nothing is created nor changed. For a
    public submission (``source="public"``), the existing person is sent their
    personal link (or their confirmation mail again) and nothing about them is
    revealed to whoever submitted. ``channel`` (a code of ``vocab.CV_SOURCES``: the
    forum, job dating... whose link brought the person) is stored as the new profile's
    source in place of ``source``. A new profile waits for its address to be confirmed
    (``consent.send_confirmation`` is queued) before it is matched.

    Raises ``ProfileError`` or ``files.CvFileError``; in both cases nothing is written.
    The file is stored only after every check, and removed if the transaction is not
    committed. The caller commits; IntegrityError (at the flush here or at its commit)
    means a request with the same address stored it first: roll back and call again.
    """
    errors: dict[str, str] = {}
    if isinstance(data, CleanProfile):  # checked already, by the web form
        clean = CleanProfile((k, v) for k, v in data.items() if k != "consent")
    else:
        try:
            clean = clean_profile(data)
        except ProfileError as exc:
            errors.update(exc.errors)
            clean = CleanProfile()
    if not data.get("consent"):
        errors["consent"] = consent.CONSENT_REQUIRED
    if errors:
        raise ProfileError(errors)
    # Raises before anything is written (``files.read_cv``, the one way in of a CV file).
    cv = files.read_cv(pdf) if pdf else None
    existing = _holder_of(session, clean["email"])
    if existing is not None:
        return _known_address(session, existing, source=source, send_mail=send_mail), False
    now = utcnow()
    candidate = Candidate(
        ref=new_ref(),
        status="disponible",
        consent=True,
        consent_at=now,
        source=(str(channel or source)[:100] or None),
        last_contact_at=now,
        created_at=now,
        rome=[],
        days=[],
        contracts=[],
    )
    try:
        apply_profile(session, candidate, clean, actor=actor, actor_label=actor_label)
    except ProfileError:
        # Unknown when looked for above, the address is a profile's now: a request sending
        # the same form at the same instant (a double click) stored it meanwhile. One
        # stored after this check makes the insert fail instead (IntegrityError): the
        # caller rolls back and submits again, which comes here through the lookup above.
        existing = _holder_of(session, clean["email"])
        if existing is None:
            raise
        return _known_address(session, existing, source=source, send_mail=send_mail), False
    session.add(candidate)
    session.flush()
    if cv is not None:
        candidate.cv_filename = files.store_pdf(cv.pdf, session=session)
    record_event(
        session,
        candidate,
        "created",
        "Profil créé"
        + (" par la personne elle-même" if source == "public" else f" (source : {source})")
        + (f" (canal : {vocab.label(vocab.CV_SOURCES, channel)})." if channel else ".")
        + (f" CV (PDF) joint{_from_photos(cv)}." if cv is not None else ""),
        actor=actor,
        actor_label=actor_label,
        details={"source": source, **({"channel": channel} if channel else {})},
    )
    audit(
        session,
        "candidate.created",
        actor=actor,
        entity="candidate",
        entity_id=candidate.id,
        details={"source": source},
    )
    if send_mail:
        consent.send_confirmation(session, candidate)
    return candidate, True
