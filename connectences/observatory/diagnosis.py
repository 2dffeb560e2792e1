"""The GPECT diagnosis in the observatory: how many companies gave each answer, by
intercommunality, with small numbers protected for the intercommunalities' officers.

What is counted: companies, each by its latest answered questionnaire (a company that
answered twice counts once, with its newer answers), placed in the intercommunality of
its commune. A company counts once in a row whatever number of boxes it ticked there.

Small numbers: an officer reads "< 5" for any count under 5 companies (zero included,
so that an empty row does not stand out). In the questions with a single answer
(difficulties, shared time), the rows add up to the number of companies that answered;
if the hidden rows together held between 1 and 4 companies, the total minus the rows
shown would give them away: more rows are hidden ("masqué"), smallest first, until the hidden
rows hold none or at least 5 companies. Officers see their own intercommunality only, with no
territory total beside it to subtract from. Animateurs and admins read exact counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectences.models import Commune, Company, Diagnosis, DiagnosisAnswer
from connectences.prospection.diagnosis import (
    DIFFICULTIES,
    QUESTIONS,
    SHARED_TIME,
    SKILL,
)
from connectences.skills import rome_label
from connectences.territory import PAYS_EPCIS

THRESHOLD = 5
# What an officer reads in place of a count of 5 or more hidden so that the total minus
# the rows shown does not give a small one away (a small count reads "< 5": None).
MASKED = "masqué"

# Each table: its key, title, and what a row counts; single-answer tables add up.
TITLES: dict[str, tuple[str, str]] = {
    "difficulte": (
        "Difficultés de recrutement",
        "Entreprises selon leurs difficultés à recruter",
    ),
    "cause": (
        "Causes des difficultés",
        "Entreprises ayant coché chaque cause (plusieurs réponses possibles)",
    ),
    SKILL: (
        "Métiers et compétences recherchés d'ici 1 à 3 ans",
        "Entreprises ayant cité chaque métier (jusqu'à trois chacune)",
    ),
    "temps_partage": (
        "Intérêt pour le temps partagé",
        "Entreprises selon leur intérêt pour un salarié à temps partagé",
    ),
    "formation": (
        "Besoins de formation",
        "Entreprises ayant coché chaque besoin (plusieurs réponses possibles)",
    ),
    "contrainte": (
        "Déplacements et logement des salariés",
        "Entreprises ayant coché chaque contrainte (plusieurs réponses possibles)",
    ),
}
# How each figure is computed, for the page ("Comment ce chiffre est calculé").
METHOD = (
    "Chaque entreprise compte une fois, avec son questionnaire le plus récent. Elle est "
    "rattachée à l'intercommunalité de sa commune. Dans les questions à plusieurs réponses, "
    "une entreprise compte dans chaque ligne qu'elle a cochée : les lignes n'y font pas le "
    "total. Pour les intercommunalités, un nombre inférieur à 5 entreprises s'affiche « < 5 » "
    "et, dans les questions à une seule réponse, d'autres lignes sont « masquées » si le "
    "total permettait de le retrouver."
)


@dataclass
class Row:
    """One answer: its label and the count of companies per intercommunality (None when
    hidden)."""

    label: str
    counts: dict[str, int | str | None]


@dataclass
class Table:
    key: str
    title: str
    caption: str
    single: bool  # one answer per company: the rows add up to the respondents
    rows: list[Row] = field(default_factory=list)


@dataclass
class DiagnosisFigures:
    """The counts of the diagnosis for the intercommunalities of ``epcis`` (SIREN, name)."""

    epcis: list[tuple[str, str]]
    respondents: dict[str, int | None]  # None: fewer than 5 (officers)
    tables: list[Table]
    exact: bool = True


def _latest(epcis: list[str]):
    """Each company's latest answered questionnaire, with its intercommunality."""
    ranked = (
        select(
            Diagnosis.id,
            Diagnosis.company_id,
            Diagnosis.difficulty,
            Diagnosis.shared_time,
            Commune.epci_siren.label("epci"),
            func.row_number()
            .over(
                partition_by=Diagnosis.company_id,
                order_by=(Diagnosis.submitted_at.desc(), Diagnosis.id.desc()),
            )
            .label("rank"),
        )
        .join(Company, Company.id == Diagnosis.company_id)
        .join(Commune, Commune.insee == Company.commune)
        .where(Diagnosis.submitted_at.is_not(None), Commune.epci_siren.in_(epcis))
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1).subquery()


def diagnosis_figures(session: Session, epci: str | None = None) -> DiagnosisFigures:
    """Exact counts for one intercommunality (``epci``), or for each of the Pays'."""
    sirens = [epci] if epci else list(PAYS_EPCIS)
    latest = _latest(sirens)

    # One row per company: the single answers are counted here rather than by three
    # GROUP BYs, each of which would rank the questionnaires again.
    respondents: dict[str, int] = {}
    single: dict[str, dict[str, dict[str, int]]] = {"difficulty": {}, "shared_time": {}}
    for siren, difficulty, shared_time in session.execute(
        select(latest.c.epci, latest.c.difficulty, latest.c.shared_time)
    ):
        respondents[siren] = respondents.get(siren, 0) + 1
        for column, value in (("difficulty", difficulty), ("shared_time", shared_time)):
            cell = single[column].setdefault(value, {})
            cell[siren] = cell.get(siren, 0) + 1
    multiple: dict[str, dict[str, dict[str, int]]] = {}
    for siren, question, value, count in session.execute(
        select(
            latest.c.epci,
            DiagnosisAnswer.question,
            DiagnosisAnswer.value,
            func.count(func.distinct(latest.c.company_id)),
        )
        .join(DiagnosisAnswer, DiagnosisAnswer.diagnosis_id == latest.c.id)
        .group_by(latest.c.epci, DiagnosisAnswer.question, DiagnosisAnswer.value)
    ).all():
        multiple.setdefault(question, {}).setdefault(value, {})[siren] = count

    def rows(options: dict[str, str], counts: dict[str, dict[str, int]]) -> list[Row]:
        return [
            Row(label, {s: counts.get(key, {}).get(s, 0) for s in sirens})
            for key, label in options.items()
        ]

    skills = multiple.get(SKILL, {})
    skill_options = dict(
        sorted(
            ((code, rome_label(code) or code) for code in skills),
            key=lambda item: (-sum(skills[item[0]].values()), item[1].lower()),
        )
    )
    tables = [
        _table("difficulte", True, rows(DIFFICULTIES, single["difficulty"])),
        _table("cause", False, rows(QUESTIONS["cause"], multiple.get("cause", {}))),
        _table(SKILL, False, rows(skill_options, skills)),
        _table("temps_partage", True, rows(SHARED_TIME, single["shared_time"])),
        _table("formation", False, rows(QUESTIONS["formation"], multiple.get("formation", {}))),
        _table("contrainte", False, rows(QUESTIONS["contrainte"], multiple.get("contrainte", {}))),
    ]
    return DiagnosisFigures(
        epcis=[(s, PAYS_EPCIS.get(s, s)) for s in sirens],
        respondents={s: respondents.get(s, 0) for s in sirens},
        tables=tables,
    )


def _table(key: str, single: bool, rows: list[Row]) -> Table:
    title, caption = TITLES[key]
    return Table(key=key, title=title, caption=caption, single=single, rows=rows)


def hidden_cells(counts: list[int], total: int) -> set[int]:
    """The positions of ``counts`` (rows of one single-answer question, adding up to
    ``total``) an officer may not read: every count under the threshold, then more,
    smallest first, until the hidden ones hold 0 or at least THRESHOLD companies."""
    if total < THRESHOLD:
        return set(range(len(counts)))
    hidden = {i for i, count in enumerate(counts) if count < THRESHOLD}
    while 0 < sum(counts[i] for i in hidden) < THRESHOLD:
        shown = sorted((count, i) for i, count in enumerate(counts) if i not in hidden)
        hidden.add(shown[0][1])
    return hidden


def protect(figures: DiagnosisFigures) -> DiagnosisFigures:
    """The figures as an officer reads them: counts under 5 hidden (None), and the counts
    that would let a total give them away (``MASKED``); see the module."""
    tables = []
    for table in figures.tables:
        rows = [Row(row.label, dict(row.counts)) for row in table.rows]
        for siren, _name in figures.epcis:
            counts = [row.counts[siren] for row in table.rows]
            if table.single:
                hidden = hidden_cells(counts, figures.respondents[siren] or 0)
            else:
                hidden = {i for i, count in enumerate(counts) if count < THRESHOLD}
            for i in hidden:
                rows[i].counts[siren] = None if counts[i] < THRESHOLD else MASKED
        tables.append(replace(table, rows=rows))
    respondents = {
        siren: (count if count is not None and count >= THRESHOLD else None)
        for siren, count in figures.respondents.items()
    }
    return DiagnosisFigures(
        epcis=figures.epcis, respondents=respondents, tables=tables, exact=False
    )


def figures_for(session: Session, epci: str | None, *, exact: bool) -> DiagnosisFigures:
    """What a reader sees: exact counts for the staff, protected ones otherwise."""
    figures = diagnosis_figures(session, epci)
    return figures if exact else protect(figures)
