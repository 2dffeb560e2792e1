"""The GPECT diagnosis in the observatory: how many companies gave each answer, by
intercommunality, as the observatory's :class:`~connectences.observatory.tables.Table`.

What is counted: companies, each by its latest answered questionnaire (a company that
answered twice counts once, with its newer answers), placed in the intercommunality of
its commune. A company counts once in a row whatever number of boxes it ticked there.

Each cell carries the companies behind it (``members``, ``"c<company id>"``), so small
numbers are protected by the observatory's one rule (``tables.protect``): in the questions
with a single answer (difficulties, shared time) the rows add up to the companies that
answered, shown as the table's total; with several intercommunalities side by side, the
"Ensemble" column is the sum of the others. Officers see their own intercommunality only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectences.models import Commune, Company, Diagnosis, DiagnosisAnswer
from connectences.observatory.charts import Chart, chart_of
from connectences.observatory.tables import Cell, Row, Table, protect_all
from connectences.prospection.diagnosis import (
    DIFFICULTIES,
    QUESTIONS,
    SHARED_TIME,
    SKILL,
)
from connectences.skills import rome_label
from connectences.territory import PAYS_EPCIS

RESPONDENTS = "repondants"
RESPONDED = "Entreprises ayant répondu"
ALL_EPCIS = "Ensemble"

# Each table: its key, title, and what a row counts.
TITLES: dict[str, tuple[str, str]] = {
    RESPONDENTS: (RESPONDED, "Entreprises ayant répondu au questionnaire."),
    "difficulte": (
        "Difficultés de recrutement",
        "Entreprises selon leurs difficultés à recruter (une réponse par entreprise).",
    ),
    "cause": (
        "Causes des difficultés",
        "Entreprises ayant coché chaque cause (plusieurs réponses possibles).",
    ),
    SKILL: (
        "Métiers et compétences recherchés d'ici 1 à 3 ans",
        "Entreprises ayant cité chaque métier (jusqu'à trois chacune), le plus cité d'abord.",
    ),
    "temps_partage": (
        "Intérêt pour le temps partagé",
        "Entreprises selon leur intérêt pour un salarié à temps partagé "
        "(une réponse par entreprise).",
    ),
    "formation": (
        "Besoins de formation",
        "Entreprises ayant coché chaque besoin (plusieurs réponses possibles).",
    ),
    "contrainte": (
        "Déplacements et logement des salariés",
        "Entreprises ayant coché chaque contrainte (plusieurs réponses possibles).",
    ),
}
# How every figure is computed, after what its rows count ("Comment ce chiffre est calculé").
METHOD = (
    "Chaque entreprise compte une fois, avec son questionnaire le plus récent, dans "
    "l'intercommunalité de sa commune."
)
SINGLE = " Les lignes font le total des entreprises ayant répondu."
MULTIPLE = (
    " Une entreprise compte dans chaque ligne qu'elle a cochée : les lignes n'y font pas le total."
)


@dataclass(frozen=True)
class DiagnosisFigures:
    """The diagnosis for the intercommunalities of ``epcis`` (SIREN, name), as a reader
    sees it: the respondents' table first, then one table per question."""

    epcis: list[tuple[str, str]]
    tables: list[Table]
    exact: bool = True

    @property
    def figures(self) -> list[tuple[Table, Chart | None]]:
        """Each table with its chart, as the observatory's ``figure`` macro draws them."""
        return [(table, chart_of(table)) for table in self.tables]

    @property
    def respondents(self) -> dict[str, int | None]:
        """Companies that answered, per intercommunality (None: hidden from this reader)."""
        cells = self.table(RESPONDENTS).rows[0].cells
        return {
            siren: None if cell.hidden else cell.value
            for (siren, _name), cell in zip(self.epcis, cells, strict=False)
        }

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


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


# answer value -> intercommunality -> the companies that gave it
Members = dict[str, dict[str, set[str]]]


def _cells(sirens: list[str], by_epci: dict[str, set[str]]) -> tuple[Cell, ...]:
    """A row's cells: one per intercommunality, then their sum when there are several."""
    groups = [frozenset(by_epci.get(siren, ())) for siren in sirens]
    if len(sirens) > 1:
        groups.append(frozenset().union(*groups))
    return tuple(Cell(len(group), members=group) for group in groups)


def _table(
    key: str,
    sirens: list[str],
    options: dict[str, str],
    members: Members,
    respondents: dict[str, set[str]] | None = None,
) -> Table:
    """The table of one question; ``respondents`` given for a single-answer question, whose
    rows add up to them (the table's total)."""
    title, caption = TITLES[key]
    columns = ("Réponse", *(PAYS_EPCIS.get(s, s) for s in sirens))
    width = len(sirens)
    if width > 1:
        columns += (ALL_EPCIS,)
    rows = tuple(
        Row(label, _cells(sirens, members.get(value, {}))) for value, label in options.items()
    )
    single = respondents is not None
    return Table(
        key=key,
        title=title,
        columns=columns,
        rows=rows,
        explanation=caption + " " + METHOD + (SINGLE if single else MULTIPLE),
        chart="bars" if width == 1 and key != RESPONDENTS else None,
        total=Row(RESPONDED, _cells(sirens, respondents)) if single else None,
        additive=tuple(range(len(columns) - 1)) if single else (),
        parts={width: tuple(range(width))} if width > 1 else {},
        empty="Aucune entreprise n'a encore cité de métier." if key == SKILL else "Aucune réponse.",
    )


def diagnosis_figures(session: Session, epci: str | None = None) -> DiagnosisFigures:
    """Exact counts for one intercommunality (``epci``), or for each of the Pays'."""
    sirens = [epci] if epci else list(PAYS_EPCIS)
    latest = _latest(sirens)

    # One row per company: the single answers are gathered here rather than by two more
    # queries, each of which would rank the questionnaires again.
    respondents: dict[str, set[str]] = {}
    single: dict[str, Members] = {"difficulty": {}, "shared_time": {}}
    for siren, company, difficulty, shared_time in session.execute(
        select(latest.c.epci, latest.c.company_id, latest.c.difficulty, latest.c.shared_time)
    ):
        key = f"c{company}"
        respondents.setdefault(siren, set()).add(key)
        for column, value in (("difficulty", difficulty), ("shared_time", shared_time)):
            single[column].setdefault(value, {}).setdefault(siren, set()).add(key)
    multiple: dict[str, Members] = {}
    for siren, company, question, value in session.execute(
        select(latest.c.epci, latest.c.company_id, DiagnosisAnswer.question, DiagnosisAnswer.value)
        .join(DiagnosisAnswer, DiagnosisAnswer.diagnosis_id == latest.c.id)
        .distinct()
    ):
        by_value = multiple.setdefault(question, {}).setdefault(value, {})
        by_value.setdefault(siren, set()).add(f"c{company}")

    skills = multiple.get(SKILL, {})
    skill_options = dict(
        sorted(
            ((code, rome_label(code) or code) for code in skills),
            key=lambda item: (-sum(map(len, skills[item[0]].values())), item[1].lower()),
        )
    )
    all_of_them = {"": respondents}
    tables = [
        _table(RESPONDENTS, sirens, {"": RESPONDED}, all_of_them),
        _table("difficulte", sirens, DIFFICULTIES, single["difficulty"], respondents),
        _table("cause", sirens, QUESTIONS["cause"], multiple.get("cause", {})),
        _table(SKILL, sirens, skill_options, skills),
        _table("temps_partage", sirens, SHARED_TIME, single["shared_time"], respondents),
        _table("formation", sirens, QUESTIONS["formation"], multiple.get("formation", {})),
        _table("contrainte", sirens, QUESTIONS["contrainte"], multiple.get("contrainte", {})),
    ]
    return DiagnosisFigures(epcis=[(s, PAYS_EPCIS.get(s, s)) for s in sirens], tables=tables)


def figures_for(session: Session, epci: str | None, *, exact: bool) -> DiagnosisFigures:
    """What a reader sees: exact counts for the staff, protected ones (``tables.protect``)
    for an intercommunality's officers."""
    figures = diagnosis_figures(session, epci)
    if exact:
        return figures
    return DiagnosisFigures(figures.epcis, protect_all(figures.tables, exact=False), exact=False)
