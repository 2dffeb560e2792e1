"""The GPECT diagnosis questionnaire: its closed lists, the checking of an answer, the
link mailed to a company owner, and the rows of the analysts' export.

The GPECT territories start from a diagnosis of the companies: their recruitment
difficulties and why, the jobs and skills they will need within one to three years
(placed in the ROME taxonomy of ``connectences.skills``), their interest in shared
time, their training needs, and what holds their employees back (getting to work,
housing). The owner answers from a signed link, or an animateur fills it in with them
during a visit. Sending the link reaches the company, and so does filling it in with
the company outside a visit: both go through the contact-pressure guard and show in
the company's timeline (``prospection.pressure``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from connectences import clock, config, territory
from connectences.contacts import InvalidEmail, clean_email
from connectences.errors import DomainError
from connectences.models import Company, Diagnosis, DiagnosisAnswer, User, Visit, utcnow
from connectences.prospection.naf import naf_label
from connectences.prospection.pressure import Pressure, check_contact, contact_pressure
from connectences.signed import INVALID, LinkError, make_token, read_token
from connectences.skills import concept_of, job_titles, rome_label, taxonomy
from connectences.typography import too_long

__all__ = [
    "DIFFICULTIES",
    "QUESTIONS",
    "SHARED_TIME",
    "Answer",
    "DiagnosisError",
    "LinkError",
    "check_answer",
]

# Single-choice questions.
DIFFICULTIES: dict[str, str] = {
    "aucune": "Aucune difficulté",
    "quelques": "Quelques difficultés",
    "fortes": "De fortes difficultés",
}
SHARED_TIME: dict[str, str] = {
    "oui": "Oui",
    "peut_etre": "Peut-être, je voudrais en savoir plus",
    "non": "Non",
}
# Multiple-choice questions (stored as DiagnosisAnswer rows), by question key.
CAUSES: dict[str, str] = {
    "pas_de_candidats": "Pas ou trop peu de candidats",
    "competences": "Les candidats n'ont pas les compétences attendues",
    "temps_partiel": "Le poste n'est qu'à temps partiel",
    "horaires": "Horaires ou saisonnalité peu attractifs",
    "salaire": "Salaire jugé insuffisant",
    "acces": "Lieu de travail difficile d'accès",
    "logement": "Pas de logement près du travail",
    "autre": "Autre cause",
}
TRAINING: dict[str, str] = {
    "adaptation": "Former une nouvelle recrue à son poste",
    "qualification": "Faire obtenir un diplôme ou un certificat à un salarié",
    "obligatoire": "Formations obligatoires (sécurité, hygiène, habilitations)",
    "numerique": "Outils numériques",
    "aucune": "Pas de besoin de formation",
}
CONSTRAINTS: dict[str, str] = {
    "sans_permis": "Salariés sans permis ou sans véhicule",
    "transports": "Transports en commun absents ou inadaptés aux horaires",
    "trajets": "Trajets domicile-travail trop longs",
    "logement_cher": "Logement trop cher près du travail",
    "logement_saisonnier": "Pas de logement pour les saisonniers",
    "aucune": "Aucune contrainte connue",
}
SKILL = "competence"
QUESTIONS: dict[str, dict[str, str]] = {
    "cause": CAUSES,
    "formation": TRAINING,
    "contrainte": CONSTRAINTS,
}
MAX_SKILLS = 3
SKILL_FIELDS = tuple(f"competence_{n}" for n in range(1, MAX_SKILLS + 1))
SOURCES: dict[str, str] = {"lien": "L'entreprise (lien reçu)", "visite": "Lors d'une visite"}
# The fields of the form, in the order of its error summary.
FIELD_ORDER = ("difficulty", "cause", "other_cause", *SKILL_FIELDS, "shared_time")
FIELD_ORDER += ("formation", "contrainte")
OTHER_CAUSE_MAX = 200


class DiagnosisError(DomainError):
    """An answer that cannot be saved; ``errors`` maps each field to a French message,
    ``choices`` a job field to the jobs its word may mean (``JobRead.choices``)."""

    def __init__(self, errors: dict[str, str], choices: dict[str, list[JobChoice]] | None = None):
        super().__init__(" ".join(errors.values()), errors)
        self.choices = choices or {}


@dataclass
class Answer:
    """A checked answer, ready to be stored."""

    difficulty: str
    shared_time: str
    other_cause: str | None
    choices: dict[str, list[str]] = field(default_factory=dict)


def skill_choices() -> list[str]:
    """The ROME job labels offered as suggestions, alphabetically."""
    return sorted((entry["label"] for entry in taxonomy().codes.values()), key=str.lower)


def _skill_code(text: str) -> str | None:
    """The ROME code (or family) of a job or skill typed or picked: an exact job label
    first, else where the taxonomy places the text; None when it places it nowhere."""
    wanted = text.strip().lower()
    for code, entry in taxonomy().codes.items():
        if entry["label"].lower() == wanted:
            return code
    found = concept_of(text)
    if found is None and "/" in text:
        # "Serveur / serveuse", "Agent d'accueil / standardiste": the first part placed.
        found = next((c for part in text.split("/") if (c := _skill_code(part))), None)
    return found


# A word naming more jobs than this ("agent", "responsable") is asked to be said more
# precisely rather than offered as a list: "vendeur" names 8.
MAX_JOB_CHOICES = 8
# The field of a job field's choice among the jobs its word may mean: "competence_1_metier".
CHOICE_SUFFIX = "_metier"


@dataclass(frozen=True)
class JobChoice:
    """One job a typed word may mean, as the form offers it."""

    code: str
    label: str  # the ROME label: "Vente en alimentation"
    examples: tuple[str, ...]  # appellations in the gender typed: "Vendeuse en épicerie fine"


@dataclass(frozen=True)
class JobRead:
    """What a job typed in the questionnaire says: its ROME code (or family), else the
    jobs to choose from, else why it is not placed (French)."""

    code: str | None = None
    choices: tuple[JobChoice, ...] = ()
    problem: str | None = None


def read_job(typed: str, chosen: str | None = None) -> JobRead:
    """Place a job or skill typed in the form, as an animateur would on a doorstep.

    A job's name, or a text the taxonomy places, gives its code. A word naming several
    jobs ("vendeur", "vendeuse") gives them to choose from, ``chosen`` being the code
    picked among them. A contract is not a trade: "saisonnière en ostréiculture" is
    placed by its trade, and "saisonnier" or "employé saisonnier" alone ask for the
    trade (the questionnaire records the jobs, not their contracts).
    """
    typed = typed.strip()[:200]
    title = job_titles.split_contract(typed)
    code = job_titles.exact_job(typed) if title.contract else None
    if code is not None:
        return JobRead(code=code)  # "Saisonnier agricole" is a job of its own
    if title.contract and not title.trade:
        return JobRead(
            problem=f"« {typed[:60]} » indique le contrat, pas le métier : précisez le métier "
            "recherché (par exemple « serveur », « vendeur en boulangerie » ou « ouvrier "
            "ostréicole »)."
        )
    trade = title.trade
    code = _skill_code(trade)
    if code is not None:
        return JobRead(code=code)
    codes = job_titles.job_choices(trade)
    examples = [e for c in codes[:2] for e in job_titles.head_examples(trade, c, most=1)]
    if len(codes) > MAX_JOB_CHOICES and examples:
        return JobRead(
            problem=f"« {typed[:60]} » désigne trop de métiers différents : précisez-le "
            "(par exemple " + " ou ".join(f"« {e} »" for e in examples) + ")."
        )
    if 2 <= len(codes) <= MAX_JOB_CHOICES:
        if chosen in codes:
            return JobRead(code=chosen)
        choices = tuple(
            JobChoice(code, rome_label(code) or code, tuple(job_titles.head_examples(trade, code)))
            for code in codes
        )
        return JobRead(
            choices=choices,
            problem=f"« {typed[:60]} » correspond à plusieurs métiers : choisissez le bon "
            "ci-dessous, ou décrivez-le plus précisément.",
        )
    return JobRead(
        problem=f"Nous ne reconnaissons pas « {typed[:60]} » : choisissez un métier dans la "
        "liste proposée, ou décrivez-le autrement."
    )


def check_answer(form) -> Answer:
    """The answer of a filled questionnaire (``form``: a mapping with ``getlist``, such
    as ``request.form``); raises DiagnosisError naming every field to correct."""
    errors: dict[str, str] = {}
    difficulty = (form.get("difficulty") or "").strip()
    if difficulty not in DIFFICULTIES:
        errors["difficulty"] = "Indiquez si vous avez des difficultés à recruter."
    shared_time = (form.get("shared_time") or "").strip()
    if shared_time not in SHARED_TIME:
        errors["shared_time"] = "Indiquez si le temps partagé vous intéresse."
    choices: dict[str, list[str]] = {}
    for question, options in QUESTIONS.items():
        ticked = list(dict.fromkeys(form.getlist(question)))
        if any(value not in options for value in ticked):
            errors[question] = "Choisissez parmi les réponses proposées."
        elif "aucune" in ticked and len(ticked) > 1:
            errors[question] = (
                f"« {options['aucune']} » ne va pas avec une autre réponse : décochez l'une ou "
                "l'autre."
            )
        choices[question] = ticked
    other = " ".join((form.get("other_cause") or "").split())
    if other and "cause" not in errors and "autre" not in choices["cause"]:
        # Another cause written down is that cause ticked: never dropped without a word.
        choices["cause"].append("autre")
    if difficulty in ("quelques", "fortes") and not choices["cause"] and "cause" not in errors:
        errors["cause"] = "Cochez au moins une cause de ces difficultés."
    if difficulty == "aucune" and choices["cause"]:
        errors["cause"] = (
            "Vous n'avez indiqué aucune difficulté : décochez les causes, ou changez votre réponse."
        )
    if "autre" in choices["cause"] and not other:
        errors["other_cause"] = "Précisez l'autre cause."
    elif too := too_long("Ce texte", other, OTHER_CAUSE_MAX):
        errors["other_cause"] = too
    skills: list[str] = []
    job_choices: dict[str, list[JobChoice]] = {}
    for name in SKILL_FIELDS:
        typed = (form.get(name) or "").strip()
        if not typed:
            continue
        read = read_job(typed, form.get(name + CHOICE_SUFFIX))
        if read.code is None:
            errors[name] = read.problem or ""
            if read.choices:
                job_choices[name] = list(read.choices)
        elif read.code not in skills:
            skills.append(read.code)
    choices[SKILL] = skills
    if errors:
        raise DiagnosisError(
            {key: errors[key] for key in FIELD_ORDER if key in errors}, job_choices
        )
    return Answer(
        difficulty=difficulty,
        shared_time=shared_time,
        other_cause=other if "autre" in choices["cause"] else None,
        choices=choices,
    )


def form_values(diagnosis: Diagnosis | None, form=None) -> dict:
    """What the form shows: what was just typed (``form``), else the stored answer."""
    if form is not None:
        values = {key: (form.get(key) or "")[:200] for key in ("difficulty", "shared_time")}
        values["other_cause"] = (form.get("other_cause") or "")[: OTHER_CAUSE_MAX + 50]
        for question in QUESTIONS:
            values[question] = form.getlist(question)
        for name in SKILL_FIELDS:
            values[name] = (form.get(name) or "")[:200]
            chosen = form.get(name + CHOICE_SUFFIX)
            if chosen and read_job(values[name], chosen).code == chosen:
                # The job picked among those its word may mean now stands in the field.
                values[name] = rome_label(chosen) or values[name]
        return values
    values = {
        "difficulty": (diagnosis.difficulty if diagnosis else None) or "",
        "shared_time": (diagnosis.shared_time if diagnosis else None) or "",
        "other_cause": (diagnosis.other_cause if diagnosis else None) or "",
    }
    for question in QUESTIONS:
        values[question] = diagnosis.values(question) if diagnosis else []
    codes = diagnosis.values(SKILL) if diagnosis else []
    for index, name in enumerate(SKILL_FIELDS):
        values[name] = (rome_label(codes[index]) or codes[index]) if index < len(codes) else ""
    return values


def record_answer(session: Session, diagnosis: Diagnosis, answer: Answer) -> Diagnosis:
    """Store ``answer`` on ``diagnosis`` (replacing an earlier one) and date it. The
    address the link went to is forgotten: it was only needed until the answer came."""
    diagnosis.sent_to = None
    diagnosis.difficulty = answer.difficulty
    diagnosis.shared_time = answer.shared_time
    diagnosis.other_cause = answer.other_cause
    diagnosis.answers = [
        DiagnosisAnswer(question=question, value=value)
        for question, values in answer.choices.items()
        for value in values
    ]
    diagnosis.submitted_at = utcnow()
    session.flush()
    return diagnosis


def fill_during_visit(
    session: Session,
    company: Company,
    answer: Answer,
    *,
    by: User,
    on: date,
    visit: Visit | None = None,
) -> Diagnosis:
    """The questionnaire filled in by an animateur with the company (during ``visit``).

    During a visit, the visit was the contact, checked when it was logged. Without one,
    filling it in with the company is a contact of its own on ``on``: the
    contact-pressure guard applies (raises ContactRefused when the company must not be
    contacted) and counts it. The "recently contacted" warning does not block: the
    animateur is already talking with the company.
    """
    if visit is not None and visit.company_id != company.id:
        raise DiagnosisError({"_": "Cette visite ne concerne pas cette entreprise."})
    if visit is None:
        check_contact(session, company, on=on, confirmed=True)
    diagnosis = Diagnosis(
        company_id=company.id,
        source="visite",
        visit_id=visit.id if visit else None,
        filled_by_id=by.id,
    )
    session.add(diagnosis)
    return record_answer(session, diagnosis, answer)


def fill_refusal(
    session: Session, company: Company, *, on: date, visit: Visit | None = None
) -> Pressure | None:
    """The guard's refusal of filling the questionnaire in with the company on ``on``
    (the rule of :func:`fill_during_visit`), for its page to say before anything is
    typed; None during a visit (the visit was the contact) or when the guard accepts."""
    if visit is not None:
        return None
    pressure = contact_pressure(session, company, on=on)
    return pressure if pressure.decision == "refuse" else None


def visit_of_day(session: Session, company: Company, on: date) -> Visit | None:
    """The company's latest visit recorded for ``on``: the questionnaire may be filled
    in during it whatever the guard says now."""
    return session.scalar(
        select(Visit)
        .where(Visit.company_id == company.id, Visit.visited_on == on)
        .order_by(Visit.id.desc())
        .limit(1)
    )


# --- the link mailed to the owner ------------------------------------------------------

LINK_SALT = "gpect-diagnosis"


def link_days() -> int:
    """Days the owner has to answer from the link (``DIAGNOSIS_LINK_MAX_AGE_DAYS``)."""
    return config.integer("DIAGNOSIS_LINK_MAX_AGE_DAYS")


def link_token(secret: str, diagnosis: Diagnosis, issued_at=None) -> str:
    """The token of the owner's link to one questionnaire."""
    return make_token(LINK_SALT, {"d": diagnosis.id}, secret=secret, issued_at=issued_at)


def diagnosis_of_link(session: Session, secret: str, token: str) -> Diagnosis:
    """The questionnaire a link opens; LinkError (French) when forged, expired or gone."""
    days = link_days()
    # Only the animateur sends a questionnaire's link (no page mails another): the
    # refusal page says whom to call, this message promises no mail.
    expired = f"Ce lien a expiré : il était valable {days} jours."
    payload = read_token(LINK_SALT, token, days * 86400, secret=secret, expired=expired)
    diagnosis_id = payload.get("d")
    diagnosis = session.get(Diagnosis, diagnosis_id) if isinstance(diagnosis_id, int) else None
    if diagnosis is None or diagnosis.source != "lien":
        raise LinkError(INVALID)
    return diagnosis


def prepare_link(
    session: Session, company: Company, email_typed: str, *, by: User, on: date, confirmed: bool
) -> Diagnosis:
    """A questionnaire to send to the owner at ``email_typed``, once the contact-pressure
    guard accepts one more contact (raises DiagnosisError for a bad address,
    ContactRefused or ConfirmationRequired from the guard). The caller mails the link."""
    try:
        email = clean_email(email_typed, required=True)
    except InvalidEmail as error:
        raise DiagnosisError({"email": error.message}) from None
    check_contact(session, company, on=on, confirmed=confirmed)
    diagnosis = Diagnosis(
        company_id=company.id, source="lien", sent_by_id=by.id, sent_to=email, sent_at=utcnow()
    )
    session.add(diagnosis)
    session.flush()
    return diagnosis


# Read by every company page: built once.
_OF_COMPANY = (
    select(Diagnosis)
    .options(selectinload(Diagnosis.answers))
    .where(Diagnosis.company_id == bindparam("company_id"))
    .order_by(Diagnosis.created_at.desc(), Diagnosis.id.desc())
)


def company_diagnoses(session: Session, company: Company) -> list[Diagnosis]:
    """The company's questionnaires, newest first (answered or still waiting)."""
    return list(session.scalars(_OF_COMPANY, {"company_id": company.id}))


def answer_lines(diagnosis: Diagnosis) -> list[tuple[str, str]]:
    """(question, answer) in French, for the company's page."""
    choices = {question: diagnosis.values(question) for question in (*QUESTIONS, SKILL)}
    return _lines(diagnosis.difficulty, diagnosis.shared_time, diagnosis.other_cause, choices)


def _lines(difficulty, shared_time, other_cause, choices: dict) -> list[tuple[str, str]]:
    causes = [CAUSES[v] for v in choices.get("cause", ()) if v in CAUSES]
    if other_cause:
        causes = [c for c in causes if c != CAUSES["autre"]] + [
            f"{CAUSES['autre']} : {other_cause}"
        ]
    skills = [rome_label(code) or code for code in choices.get(SKILL, ())]
    return [
        ("Difficultés de recrutement", DIFFICULTIES.get(difficulty or "", "")),
        ("Causes", " ; ".join(causes)),
        ("Métiers et compétences d'ici 1 à 3 ans", " ; ".join(skills)),
        ("Intérêt pour le temps partagé", SHARED_TIME.get(shared_time or "", "")),
        ("Formation", " ; ".join(TRAINING[v] for v in choices.get("formation", ()))),
        (
            "Déplacements et logement des salariés",
            " ; ".join(CONSTRAINTS[v] for v in choices.get("contrainte", ())),
        ),
    ]


# --- the analysts' export ----------------------------------------------------------------

EXPORT_HEADERS = (
    "Date de réponse",
    "Rempli par",
    "Entreprise",
    "SIRET",
    "Commune",
    "Intercommunalité",
    "Activité (NAF)",
    "Salariés",
    "Difficultés de recrutement",
    "Causes",
    "Métiers et compétences d'ici 1 à 3 ans",
    "Codes ROME",
    "Intérêt pour le temps partagé",
    "Formation",
    "Déplacements et logement des salariés",
)


def export_rows(session: Session) -> list[list]:
    """One row per answered questionnaire, oldest answer first: the company and the
    answers, no person named (neither the owner's address nor the animateur who filled it
    in). Plain rows, not objects: thousands of questionnaires are read at once."""
    answered = Diagnosis.submitted_at.is_not(None)
    choices: dict[int, dict[str, list[str]]] = {}
    for diagnosis_id, question, value in session.execute(
        select(DiagnosisAnswer.diagnosis_id, DiagnosisAnswer.question, DiagnosisAnswer.value)
        .join(Diagnosis, Diagnosis.id == DiagnosisAnswer.diagnosis_id)
        .where(answered)
        .order_by(DiagnosisAnswer.id)
    ):
        choices.setdefault(diagnosis_id, {}).setdefault(question, []).append(value)
    rows = []
    for found in session.execute(
        select(
            Diagnosis.id,
            Diagnosis.submitted_at,
            Diagnosis.source,
            Diagnosis.difficulty,
            Diagnosis.shared_time,
            Diagnosis.other_cause,
            Company.name,
            Company.siret,
            Company.commune,
            Company.naf,
            Company.employees,
        )
        .join(Company, Company.id == Diagnosis.company_id)
        .where(answered)
        .order_by(Diagnosis.submitted_at, Diagnosis.id)
    ):
        ticked = choices.get(found.id, {})
        lines = dict(_lines(found.difficulty, found.shared_time, found.other_cause, ticked))
        naf = f"{found.naf} — {naf_label(found.naf) or 'code inconnu'}" if found.naf else ""
        rows.append(
            [
                clock.local_date(found.submitted_at),
                SOURCES.get(found.source, found.source),
                found.name,
                found.siret,
                territory.commune_label(found.commune),
                territory.epci_label(found.commune),
                naf,
                found.employees,
                lines["Difficultés de recrutement"],
                lines["Causes"],
                lines["Métiers et compétences d'ici 1 à 3 ans"],
                " ; ".join(ticked.get(SKILL, ())),
                lines["Intérêt pour le temps partagé"],
                lines["Formation"],
                lines["Déplacements et logement des salariés"],
            ]
        )
    return rows
