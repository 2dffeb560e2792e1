"""The observatory of an intercommunality: every figure, defined once, with the French
sentence that says how it is computed ("Comment ce chiffre est calculé").

The page (``web/observatory.py``), the exports and the monthly report all read what
:func:`observatory` returns: :class:`~connectences.observatory.tables.Table` objects
grouped in sections. A need belongs to the intercommunality of its place of work (its
own commune, else its company's). Needs that a company posted but never confirmed are
left out: they are not in the animateurs' queue and are deleted after a week.

The figures are read in a fixed number of statements whatever the number of rows (a few
columns of the needs of the territory, their transition log, their leads, referrals and
placements, the visits, the directory, the CV library's counts), then counted in Python:
each count keeps the set of companies or people it describes, which the protection of
small numbers needs (``tables.protect``). Every timing comes from the transition log.
"""

from __future__ import annotations

import gc
import json
import re
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from sqlalchemy import String, and_, bindparam, cast, func, select
from sqlalchemy.orm import Session

from connectences import clock, vocab
from connectences.dates import add_months, read_typed_date
from connectences.models import (
    Candidate,
    CandidateSkill,
    Commitment,
    Commune,
    Company,
    CompanyMailing,
    Epci,
    FollowUpPoint,
    Lead,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Placement,
    PlacementNeed,
    Referral,
    Transition,
    User,
    Visit,
)
from connectences.needs.conditions import in_queue
from connectences.observatory.tables import (
    COUNT,
    DAYS,
    FEWER_WORDS,
    HOURS,
    PERCENT,
    THRESHOLD,
    Cell,
    Link,
    Row,
    Table,
)
from connectences.prospection.companies import listed
from connectences.skills import rome_label
from connectences.skills.text import normalize
from connectences.text import sort_key
from connectences.vocab import NEED_STATUSES, REASONS
from connectences.workflows import (
    LEAD_ANSWERS,
    NEED_QUALIFIED,
    NEED_SENT_TO_OPERATOR,
)
from connectences.workflows import (
    LeadState as L,
)
from connectences.workflows import (
    NeedState as N,
)
from connectences.workflows.leads import FOLLOW_UP_MONTHS
from connectences.workflows.trial import TRIAL_POINT

# Period choices, by query value: label and length in calendar months, the month of the
# figures' day included (None: since the start). Whole months: a period counted in days
# back from a month end ("91 days") started on any day, and two views gave one day's
# needs back by subtraction (the 30 September's "3 months" started on 2 July).
PERIODS: dict[str, tuple[str, int | None]] = {
    "tout": ("Depuis le début", None),
    "12m": ("Les 12 derniers mois (celui-ci compris)", 12),
    "3m": ("Les 3 derniers mois (celui-ci compris)", 3),
}
DEFAULT_PERIOD = "tout"
TREND_MONTHS = 24
TOP = 10

# What each need status means, for someone who does not work the platform.
STATUS_MEANING: dict[str, str] = {
    "nouveau": "Reçu, pas encore étudié par un animateur.",
    "qualifie": "Étudié par un animateur avec l'entreprise : métier, horaires et jours précisés.",
    "en_recherche": "Un animateur cherche des candidats ou une structure pour y répondre.",
    "propose": "Confié à un opérateur (groupement d'employeurs, association de cadres à "
    "temps partagé...) qui cherche la personne.",
    "pourvu": "Une personne a été embauchée.",
    "reoriente": "Transmis à un partenaire de l'emploi (France Travail, Mission locale...), "
    "qui prend le relais.",
    "abandonne": "L'entreprise a renoncé ou le besoin n'est plus d'actualité.",
}
assert set(STATUS_MEANING) == set(NEED_STATUSES)  # noqa: S101 — import-time consistency check of constant tables, not input validation

# Who a need still open waits on, by its state.
WAITING_ON = {
    N.NOUVEAU: "l'animateur (à qualifier)",
    N.QUALIFIE: "l'animateur (à orienter)",
    N.EN_RECHERCHE: "l'animateur (recherche en cours)",
    N.PROPOSE: "l'opérateur qui l'a reçu",
}
OPEN_STATES = frozenset(WAITING_ON)

# Sizes of company, by number of employees (the directory's headcount).
SIZES = (
    (0, 0, "Sans salarié"),
    (1, 2, "1 à 2 salariés"),
    (3, 5, "3 à 5 salariés"),
    (6, 9, "6 à 9 salariés"),
    (10, 49, "10 à 49 salariés"),
    (50, None, "50 salariés ou plus"),
)
TPE_MAX = 9  # a TPE (très petite entreprise) employs fewer than 10 people (INSEE)

# NAF rev. 2 sections (INSEE), by their first and last two-digit division.
NAF_SECTIONS = (
    (1, 3, "Agriculture, sylviculture et pêche"),
    (5, 9, "Industries extractives"),
    (10, 33, "Industrie manufacturière"),
    (35, 35, "Électricité, gaz, vapeur"),
    (36, 39, "Eau, assainissement, déchets"),
    (41, 43, "Construction"),
    (45, 47, "Commerce, réparation d'automobiles"),
    (49, 53, "Transports et entreposage"),
    (55, 56, "Hébergement et restauration"),
    (58, 63, "Information et communication"),
    (64, 66, "Activités financières et d'assurance"),
    (68, 68, "Activités immobilières"),
    (69, 75, "Activités spécialisées, scientifiques et techniques"),
    (77, 82, "Services administratifs et de soutien"),
    (84, 84, "Administration publique"),
    (85, 85, "Enseignement"),
    (86, 88, "Santé humaine et action sociale"),
    (90, 93, "Arts, spectacles et activités récréatives"),
    (94, 96, "Autres activités de services"),
    (97, 98, "Activités des ménages employeurs"),
    (99, 99, "Activités extra-territoriales"),
)
UNKNOWN_SECTOR = "Secteur non renseigné"
ROME_CODE = re.compile(r"[A-N]\d{4}")
# Whom the placements of erased people describe, for the protection of small numbers.
ERASED_PERSON = "p-effacee"


# How many past month ends an officer is offered (as many as the trends' months).
MONTH_ENDS_OFFERED = 24
CALENDAR_ADVICE = "Choisissez un jour dans le calendrier."
MONTH_LIST_ADVICE = "Choisissez un mois dans la liste."
MONTH_END_ONLY = (
    "Pour protéger les petits nombres, une intercommunalité lit les chiffres passés à la "
    "fin d'un mois : choisissez un mois dans la liste."
)


def month_ends(today: date, count: int = MONTH_ENDS_OFFERED) -> list[date]:
    """The last days of the ``count`` months before ``today``'s, the latest first."""
    ends, day = [], today.replace(day=1)
    for _ in range(count):
        day -= timedelta(days=1)
        ends.append(day)
        day = day.replace(day=1)
    return ends


def parse_day(
    value: str | None, today: date, *, month_end: bool = False
) -> tuple[date | None, str | None]:
    """The day of the date field's value (``AAAA-MM-JJ``, or ``JJ/MM/AAAA`` typed where
    the browser has no date picker: ``dates.read_typed_date``) to read the figures at,
    and a French error when it cannot be used (then None: today). Empty: today, no error.

    ``month_end``: only the last day of a month is read (an intercommunality's officer).
    Each view is protected on its own; two views a day apart would differ by the needs of
    that day, and give one company's need (its commune, job, sector, hours) back by
    subtraction. Views a month apart differ by a month's needs."""
    day, why = read_typed_date(value, "Date")
    if why is not None:
        # An officer's field is a list of month ends: no calendar to choose in.
        return None, f"{why} {MONTH_LIST_ADVICE if month_end else CALENDAR_ADVICE}"
    if day is None:
        return None, None
    if day > today:
        future = "Ce jour est à venir : il n'a pas encore de chiffres."
        if month_end:
            return None, f"{future} {MONTH_LIST_ADVICE}"
        return None, f"{future} Choisissez un jour passé ou aujourd'hui."
    if day.year < 2000:
        if month_end:
            return None, f"Les chiffres commencent en l'an 2000. {MONTH_LIST_ADVICE}"
        return None, "Choisissez un jour à partir de l'an 2000."
    if day == today:
        return None, None
    if month_end and (day + timedelta(days=1)).day != 1:
        return None, MONTH_END_ONLY
    return day, None


def end_of_day(day: date) -> datetime:
    """The instant a local day ends (midnight after it, Paris time)."""
    return datetime.combine(day + timedelta(days=1), time(), clock.LOCAL_TZ)


def parse_period(value: str | None) -> str:
    """The period asked for, or the default one for an unknown value."""
    return value if value in PERIODS else DEFAULT_PERIOD


def period_asked(value: str | None) -> tuple[str, str | None]:
    """The period of the query's ``periode`` and a French error when it is none of
    :data:`PERIODS` (then the default one, said to the reader rather than shown as if
    asked). Empty: the default, no error."""
    value = (value or "").strip()
    if not value or value in PERIODS:
        return parse_period(value), None
    return DEFAULT_PERIOD, "Période inconnue : choisissez-la dans la liste."


def naf_section(code: str | None) -> str:
    """The French label of the NAF section of a code (``56.10A`` → hébergement...)."""
    try:
        division = int((code or "")[:2])
    except ValueError:
        return UNKNOWN_SECTOR
    for low, high, label in NAF_SECTIONS:
        if low <= division <= high:
            return label
    return UNKNOWN_SECTOR


def size_label(employees: int | None) -> str:
    if employees is None:
        return "Effectif non renseigné"
    for low, high, label in SIZES:
        if employees >= low and (high is None or employees <= high):
            return label
    return "Effectif non renseigné"


def month_window(year: int, month: int) -> tuple[datetime, datetime]:
    """The instants (UTC-aware) of the first and the day after the last of a local month."""
    first = date(year, month, 1)
    start = datetime.combine(first, time(), clock.LOCAL_TZ)
    end = datetime.combine(add_months(first, 1), time(), clock.LOCAL_TZ)
    return start, end


# --- the facts ------------------------------------------------------------------------


@dataclass
class NeedFact:
    id: int
    company: str  # member key of its company
    commune: str
    rome: str | None
    naf: str | None
    employees: int | None
    level: str
    reason: str
    contract: str
    hours: float
    status: str  # at the end of the window, from the transition log
    shared_time: bool | None
    created_at: datetime
    skills: str | None  # its list of skills, as the database's text of the JSON list
    reached: dict[str, datetime] = field(default_factory=dict)  # first time in each state
    abandon_reason: str | None = None


def _run(session: Session, statement):
    """Rows of a statement of plain columns, through the session's connection: the ORM's
    row loading is not needed for columns and costs more than the query itself."""
    return session.connection().execute(statement)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _scope(siren: str, since: datetime | None, until: datetime):
    """SQL: the ids of the needs of the territory received from ``since`` to ``until``."""
    place = func.coalesce(Need.commune, Company.commune)
    scope = (
        select(Need.id)
        .join(Company, Need.company_id == Company.id)
        .join(Commune, Commune.insee == place)
        .where(Commune.epci_siren == siren, in_queue(), Need.created_at < until)
    )
    return scope if since is None else scope.where(Need.created_at >= since)


def _among(column, ids):
    """SQL: ``column`` is one of ``ids``, written into the statement: the needs' ids are
    read once per request, not recomputed from the territory by each statement."""
    return column.in_(bindparam(None, sorted(ids), expanding=True, literal_execute=True))


def _needs(session: Session, siren: str, until: datetime) -> list[NeedFact]:
    """Every need of the territory received before ``until``, with its state at ``until``
    and the first moment it reached each state (two statements)."""
    rows = _run(
        session,
        _scope(siren, None, until)
        .with_only_columns(
            Need.id,
            Need.company_id,
            Commune.name,
            Need.rome,
            Company.naf,
            Company.employees,
            Need.level,
            Need.reason,
            Need.contract,
            Need.hours_per_week,
            Need.status,
            Need.shared_time,
            Need.created_at,
            # Compared as text: PostgreSQL's json type has no equality.
            cast(Need.skills, String),
        )
        .order_by(Need.id),
    ).all()
    facts = {
        r[0]: NeedFact(
            id=r[0],
            company=f"c{r[1]}",
            commune=r[2],
            rome=r[3],
            naf=r[4],
            employees=r[5],
            level=r[6],
            reason=r[7],
            contract=r[8],
            hours=float(r[9] or 0),
            status=r[10],
            shared_time=r[11],
            created_at=_aware(r[12]),
            skills=r[13],
        )
        for r in rows
    }
    logged: dict[int, list] = defaultdict(list)
    for need_id, from_state, to_state, reason_code, at in _run(
        session,
        select(
            Transition.entity_id,
            Transition.from_state,
            Transition.to_state,
            Transition.reason_code,
            Transition.at,
        )
        .where(Transition.entity == "need", _among(Transition.entity_id, facts))
        .order_by(Transition.entity_id, Transition.at, Transition.id),
    ):
        logged[need_id].append((from_state, to_state, reason_code, _aware(at)))
    for fact in facts.values():
        log = logged.get(fact.id)
        if not log:
            fact.reached.setdefault(fact.status, fact.created_at)
            continue
        before = [entry for entry in log if entry[3] < until]
        after = [entry for entry in log if entry[3] >= until]
        if after and (after[0][0] or N.NOUVEAU) in NEED_STATUSES:
            # Changed since: the state it left at its first change after ``until``.
            fact.status = after[0][0] or N.NOUVEAU
        for _from, to_state, reason_code, at in before:
            if to_state not in NEED_STATUSES:
                continue
            fact.reached.setdefault(to_state, at)
            if to_state == N.ABANDONNE:
                fact.abandon_reason = reason_code
    return list(facts.values())


# --- small builders -------------------------------------------------------------------


def _count(members) -> Cell:
    members = frozenset(members)
    return Cell(len(members), COUNT, members)


def _needs_cell(facts) -> Cell:
    """The number of needs, describing their companies."""
    return Cell(len(facts), COUNT, frozenset(f.company for f in facts))


def _hours_cell(facts) -> Cell:
    return Cell(round(sum(f.hours for f in facts), 1), HOURS, frozenset(f.company for f in facts))


def _breakdown(
    key,
    title,
    column,
    facts,
    label_of,
    explanation,
    *,
    order=None,
    top=None,
    last=None,
    chart="bars",
) -> Table:
    """Needs and hours by a label: rows most needs first (or in ``order``), beyond ``top``
    summed up in one row, the row ``last`` (needs not yet specified) at the end; a total."""
    groups: dict[str, list[NeedFact]] = defaultdict(list)
    for fact in facts:
        groups[label_of(fact)].append(fact)
    if order is not None:
        labels = [label for label in order if label in groups]
        labels += sorted(label for label in groups if label not in order)
    else:
        labels = sorted(groups, key=lambda label: (-len(groups[label]), label))
    unspecified = last if last in groups else None
    labels = [label for label in labels if label != unspecified]
    rows = [
        Row(label, (_needs_cell(groups[label]), _hours_cell(groups[label]))) for label in labels
    ]
    if top is not None and len(rows) > top:
        rest = [f for label in labels[top:] for f in groups[label]]
        rows = rows[:top] + [
            Row(f"Autres ({len(labels) - top})", (_needs_cell(rest), _hours_cell(rest)))
        ]
    if unspecified:
        group = groups[unspecified]
        rows.append(Row(unspecified, (_needs_cell(group), _hours_cell(group))))
    return Table(
        key=key,
        title=title,
        columns=(column, "Besoins", "Heures par semaine"),
        rows=tuple(rows),
        explanation=explanation,
        chart=chart,
        total=Row("Total", (_needs_cell(facts), _hours_cell(facts))),
        additive=(0, 1),
        empty="Aucun besoin reçu sur le territoire pour cette période.",
    )


def _days_between(start: datetime, end: datetime) -> float:
    # As the clocks show them: a day across a change of time is a day.
    return max(clock.wall_days(start, end), 0)


def _median_cell(values: list[tuple[str, float]]) -> Cell:
    members = frozenset(member for member, _ in values)
    if not values:
        return Cell(None, DAYS, members)
    return Cell(round(median(v for _, v in values), 1), DAYS, members)


# --- the observatory ------------------------------------------------------------------


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table]


@dataclass
class Observatory:
    """The figures of one intercommunality over one window."""

    siren: str
    name: str
    period: str
    since: datetime | None
    until: datetime
    first_need_at: datetime | None
    sections: list[Section]
    total: int = 0
    companies: int = 0
    hours_per_week: float = 0.0
    shared_time: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    # The sums across tables that the protection of small numbers must see (``Link``).
    links: list[Link] = field(default_factory=list)
    # Tables the protection weighs but the view never shows: the figures shared by every
    # period's view (« en cours », the trends' months) are bound by sums of the others
    # (every need's steps, every period's needs: ``_links``).
    unshown: list[Table] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def by_commune(self) -> list[tuple[str, int]]:
        return [(row.label, row.cells[0].value) for row in self.table("communes").rows]


def observatory(session: Session, siren: str, period: str, *, now: datetime) -> Observatory:
    """Every figure of the intercommunality ``siren`` for the needs received in ``period``
    (a choice of :data:`PERIODS`) up to ``now``, states as of ``now`` (a past moment
    reads the territory as it stood then, from the transition log)."""
    period = parse_period(period)
    months = PERIODS[period][1]
    since = period_start(now, months) if months else None
    return figures_between(session, siren, since, now, period=period)


def period_start(until: datetime, months: int) -> datetime:
    """The first instant of the ``months`` calendar months ending with the one of
    ``until`` (excluded: the end of a day is the next day's midnight), Paris time."""
    day = (until.astimezone(clock.LOCAL_TZ) - timedelta(microseconds=1)).date()
    return datetime.combine(add_months(day.replace(day=1), 1 - months), time(), clock.LOCAL_TZ)


def figures_between(
    session: Session, siren: str, since: datetime | None, until: datetime, *, period: str = ""
) -> Observatory:
    """Every figure of the intercommunality ``siren`` for the needs received from ``since``
    (None: the first) to ``until`` (excluded), each need in its state at ``until``."""
    with _no_cycle_collection():
        return _figures_between(session, siren, since, until, period=period)


@contextmanager
def _no_cycle_collection():
    """The figures build some hundred thousand small objects (rows, facts, sets of
    members), none of them in a reference cycle: each batch of them started a full pass of
    the cycle collector over every object of the process (up to a third of the time, in
    a process of some 200,000 objects). Paused while they are built, then resumed as it
    was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _domain_of(fact: NeedFact) -> str:
    """The row of a need in the ROME domains' table (the letter of its job's code)."""
    return (rome_label(fact.rome[0]) or fact.rome[0]) if fact.rome else "Non précisé"


def _job_of(fact: NeedFact) -> str:
    """The row of a need in the jobs' table, before the jobs beyond the top are grouped."""
    return (rome_label(fact.rome) or fact.rome) if fact.rome else "Métier pas encore précisé"


def _figures_between(
    session: Session, siren: str, since: datetime | None, until: datetime, *, period: str
) -> Observatory:
    since, until = _aware(since), _aware(until)
    name = session.scalar(select(Epci.name).where(Epci.siren == siren)) or siren
    all_needs = _needs(session, siren, until)
    facts = [f for f in all_needs if since is None or f.created_at >= since]
    first = min((f.created_at for f in facts), default=None)
    ids = [f.id for f in facts] if facts else None
    leads = _leads(session, ids, until)
    referrals = _referrals(session, ids, until)
    placements = _placements(session, ids, until)
    by_status = Counter(f.status for f in facts)
    pooled = {need_id for need_id, lead in leads if lead["bundle"]}
    sections = [
        Section(
            "besoins",
            "Les besoins des entreprises",
            [
                _headline(facts, all_needs, pooled, until),
                _status_table(facts, until),
                _breakdown(
                    "communes",
                    "Besoins par commune",
                    "Commune",
                    facts,
                    lambda f: f.commune,
                    "Besoins reçus sur la période, comptés dans la commune du lieu de "
                    "travail (celle du besoin, sinon celle de l'entreprise). Les heures "
                    "sont la somme des heures par semaine demandées.",
                ),
                _breakdown(
                    "domaines",
                    "Besoins par domaine professionnel",
                    "Domaine",
                    facts,
                    _domain_of,
                    "Besoins reçus sur la période, par grand domaine du répertoire des "
                    "métiers ROME (la lettre du code métier choisi en qualifiant le "
                    "besoin) ; « Non précisé » : besoin pas encore qualifié.",
                    last="Non précisé",
                ),
                _breakdown(
                    "metiers",
                    "Les métiers les plus demandés",
                    "Métier",
                    facts,
                    _job_of,
                    f"Besoins reçus sur la période, par métier ROME, les {TOP} plus "
                    "demandés d'abord ; les autres métiers sont regroupés sur une ligne.",
                    top=TOP,
                    last="Métier pas encore précisé",
                ),
                _breakdown(
                    "secteurs",
                    "Besoins par secteur d'activité",
                    "Secteur",
                    facts,
                    lambda f: naf_section(f.naf),
                    "Besoins reçus sur la période, par section de la nomenclature "
                    "d'activités française (NAF rév. 2, INSEE) du code de l'entreprise.",
                ),
                _breakdown(
                    "tailles",
                    "Besoins par taille d'entreprise",
                    "Taille",
                    facts,
                    lambda f: size_label(f.employees),
                    "Besoins reçus sur la période, par nombre de salariés de l'entreprise "
                    "tel qu'il figure dans l'annuaire des entreprises.",
                    order=[label for _, _, label in SIZES],
                ),
                _breakdown(
                    "niveaux",
                    "Besoins par niveau de qualification",
                    "Niveau",
                    facts,
                    lambda f: vocab.label(vocab.LEVELS, f.level),
                    "Besoins reçus sur la période, par niveau de qualification demandé.",
                    order=list(vocab.LEVELS.values()),
                ),
                _breakdown(
                    "motifs",
                    "Pourquoi les entreprises ont ce besoin",
                    "Motif",
                    facts,
                    lambda f: vocab.label(REASONS, f.reason),
                    "Besoins reçus sur la période, par motif donné par l'entreprise.",
                    order=list(REASONS.values()),
                ),
                _breakdown(
                    "contrats",
                    "Besoins par type de contrat",
                    "Contrat",
                    facts,
                    lambda f: vocab.label(vocab.CONTRACTS, f.contract),
                    "Besoins reçus sur la période, par contrat envisagé.",
                    order=list(vocab.CONTRACTS.values()),
                ),
            ],
        ),
        Section(
            "issues",
            "Ce que sont devenus ces besoins",
            [
                _funnel(facts, leads),
                _outcomes(facts, leads),
                _referred_to(facts, referrals),
                _abandoned(facts),
                _delays(facts),
            ],
        ),
        Section(
            "manques",
            "Les besoins non satisfaits",
            [_unmet_jobs(session, facts), _skills_not_asked(session, siren, all_needs)],
        ),
        Section(
            "activite",
            "L'activité sur le territoire",
            _activity(session, siren, facts, leads, placements, ids, since, until),
        ),
        Section("tendances", "Les tendances sur 24 mois", [_trends(all_needs, until)]),
    ]
    return Observatory(
        siren=siren,
        name=name,
        period=period,
        since=since,
        until=until,
        first_need_at=first,
        sections=sections,
        links=_links(sections, facts, all_needs, since, until),
        unshown=[
            _period_sums(all_needs, until),
            *([] if len(facts) == len(all_needs) else [_every_need_steps(all_needs, until)]),
        ],
        total=len(facts),
        companies=len({f.company for f in facts}),
        hours_per_week=sum(f.hours for f in facts),
        shared_time=sum(1 for f in facts if f.shared_time),
        by_status={key: by_status.get(key, 0) for key in NEED_STATUSES},
    )


def _links(sections, facts, all_needs, since, until) -> list[Link]:
    """The figures of one view that add up across its tables (``tables.Link``), for the
    protection of small numbers: without them, the headline's open needs minus the open
    steps gave a re-oriented need back, and a period's needs minus its months shown gave
    the hidden month back."""
    tables = {table.key: table for section in sections for table in section.tables}
    links = []
    # The months of the trends within the period add up to the needs received and their
    # hours, when none of the period's needs is older than the trends' first month.
    months = _months(until)
    window = datetime.combine(date(months[0][0], months[0][1] + 1, 1), time(), clock.LOCAL_TZ)

    def months_of(start: datetime | None, column: int) -> tuple:
        first = clock.local_date(start) if start is not None else None
        return tuple(
            ("tendances", f"{m + 1:02d}/{y}", column)
            for y, m in months
            if first is None or (y, m) >= (first.year, first.month - 1)
        )

    if all(f.created_at >= window for f in facts):
        links.append(Link(("bref", "Besoins reçus", 0), months_of(since, 0)))
        links.append(
            Link(("bref", "Heures de travail par semaine demandées", 0), months_of(since, 1))
        )
        if since is None:  # every need placed was received within the trends' months
            links.append(Link(("bref", "Besoins pourvus", 0), months_of(since, 2)))
    # The trends are the same in every period's view: their months add up, unseen, to
    # every period's needs (``Observatory.unshown``). Each view settled only its own sum:
    # the whole view hid January beside April's 3 needs, the 3 months' view showed
    # January, and the whole's total minus the months shown gave April back.
    for key, (_label, length) in PERIODS.items():
        start = period_start(until, length) if length else None
        if all(f.created_at >= window for f in all_needs if start is None or f.created_at >= start):
            links.append(Link((PERIOD_SUMS, key, 0), months_of(start, 0)))
            links.append(Link((PERIOD_SUMS, key, 1), months_of(start, 1)))
            if start is None:
                links.append(Link((PERIOD_SUMS, key, 2), months_of(start, 2)))
    # The needs open at the end count every need received, whatever the period: they add
    # up to the open rows of the steps of every need, the view's own when the period holds
    # every need, else unseen ones (``Observatory.unshown``): the whole view hid « en
    # cours » beside a re-oriented need, and the 3 months' view showed the same figure.
    steps = "etapes" if len(facts) == len(all_needs) else EVERY_NEED_STEPS
    open_rows = tuple(
        (steps, label, 0) for key, label in NEED_STATUSES.items() if key in OPEN_STATES
    )
    closed_rows = tuple(
        (steps, label, 0) for key, label in NEED_STATUSES.items() if key not in OPEN_STATES
    )
    links.append(Link(("bref", "Besoins en cours à la fin de la période", 0), open_rows))
    links.append(
        Link(
            (steps, "Total", 0),
            (("bref", "Besoins en cours à la fin de la période", 0), *closed_rows),
        )
    )
    # A ROME domain's needs and hours add up to those of its jobs: without it,
    # « Support à l'entreprise » 7 beside « Secrétariat » 5 gave the hidden « Comptabilité »
    # 2 back. The domains whose jobs « Autres » groups add up, together, to their jobs'
    # rows and « Autres » (10 minus « Secrétariat » 6 minus what « Autres » 7 holds beyond
    # a domain of 6 grouped there whole gave « Comptabilité » 3 back): one relation, its
    # cells settled like a sum's (``tables.Link``).
    jobs_rows = {row.label for row in tables["metiers"].rows}
    grouped = next((r.label for r in tables["metiers"].rows if r.label.startswith("Autres")), None)
    jobs_of: dict[str, set[str]] = defaultdict(set)
    for fact in facts:
        if fact.rome:
            jobs_of[_domain_of(fact)].add(_job_of(fact))
    mixed = sorted(domain for domain, jobs in jobs_of.items() if jobs - jobs_rows)
    relations = [
        ((domain,), sorted(jobs)) for domain, jobs in jobs_of.items() if domain not in mixed
    ]
    if mixed and grouped is not None:
        rows = sorted(set().union(*(jobs_of[domain] for domain in mixed)) & jobs_rows)
        relations.append((tuple(mixed), [*rows, grouped]))
    for domains, rows in relations:
        for column in (0, 1):
            cells = [("domaines", domain, column) for domain in domains]
            links.append(
                Link(cells[0], (*cells[1:], *(("metiers", label, column) for label in rows)))
            )
    # The placed needs by how they were filled add up to the placed step.
    placed = tuple(
        ("issues", row.label, 0) for row in tables["issues"].rows if row.label.startswith("Pourvu")
    )
    if placed:
        links.append(Link(("etapes", NEED_STATUSES[N.POURVU], 0), placed))
    return links


# --- needs ----------------------------------------------------------------------------


def _headline(facts, all_needs, pooled, until) -> Table:
    open_now = [f for f in all_needs if f.status in OPEN_STATES]
    rows = (
        Row("Besoins reçus", (_needs_cell(facts),)),
        Row("Entreprises concernées", (_count(f.company for f in facts),)),
        Row("Heures de travail par semaine demandées", (_hours_cell(facts),)),
        Row("Besoins à temps partagé", (_needs_cell([f for f in facts if f.shared_time]),)),
        Row(
            "Besoins regroupés dans un poste à temps partagé",
            (_needs_cell([f for f in facts if f.id in pooled]),),
        ),
        Row("Besoins pourvus", (_needs_cell([f for f in facts if f.status == N.POURVU]),)),
        Row("Besoins en cours à la fin de la période", (_needs_cell(open_now),)),
    )
    return Table(
        key="bref",
        title="En bref",
        columns=("Chiffre", "Valeur"),
        rows=rows,
        explanation="Besoins reçus sur la période et les entreprises qui les ont exprimés ; "
        "« à temps partagé » : besoin que l'animateur a jugé partageable avec d'autres "
        "entreprises ; « regroupés » : besoin proposé à un opérateur avec d'autres dans un "
        "même poste ; « en cours » : besoins reçus à n'importe quelle date, pas encore "
        "pourvus, réorientés ni abandonnés à la fin de la période.",
    )


# The key of the steps of every need, which a shorter period's protection weighs unseen.
EVERY_NEED_STEPS = "etapes_toutes"
# The key of every period's needs, hours and needs placed, which every view weighs unseen.
PERIOD_SUMS = "periodes"


def _period_sums(all_needs, until) -> Table:
    """Every period's needs received, their hours and those placed, at the end: the sums
    the trends' months add up to in each period's view (``Observatory.unshown``)."""
    rows = []
    for key, (_label, length) in PERIODS.items():
        start = period_start(until, length) if length else None
        facts = [f for f in all_needs if start is None or f.created_at >= start]
        placed = [f for f in facts if f.status == N.POURVU]
        rows.append(Row(key, (_needs_cell(facts), _hours_cell(facts), _needs_cell(placed))))
    return Table(
        key=PERIOD_SUMS,
        title="Besoins de chaque période",
        columns=("Période", "Besoins reçus", "Heures", "Besoins pourvus"),
        rows=tuple(rows),
        explanation="",
    )


def _every_need_steps(all_needs, until) -> Table:
    """The steps of every need at the end, whatever the period (``Observatory.unshown``)."""
    return replace(_status_table(all_needs, until), key=EVERY_NEED_STEPS)


def _status_table(facts, until) -> Table:
    groups = defaultdict(list)
    for fact in facts:
        groups[fact.status].append(fact)
    return Table(
        key="etapes",
        title="Où en sont ces besoins",
        columns=("Étape", "Besoins"),
        rows=tuple(Row(label, (_needs_cell(groups[key]),)) for key, label in NEED_STATUSES.items()),
        explanation="Besoins reçus sur la période, par étape atteinte à la fin de la période "
        "d'après le journal des changements d'étape.",
        chart="bars",
        total=Row("Total", (_needs_cell(facts),)),
        additive=(0,),
    )


# --- outcomes -------------------------------------------------------------------------


def lead_pairs(ids):
    """SQL: (need id, lead id) of the leads sent for the needs ``ids``: the link table
    alone, read by the need index. Joined to the leads, with their date, SQLite walked
    the leads (by date, or by operator) and sought each one against every id of the
    list: 0.4 s for 4,000 needs and 1,500 leads, where these two statements take 3 ms."""
    return select(LeadNeed.need_id, LeadNeed.lead_id).where(_among(LeadNeed.need_id, ids))


def leads_by_id(ids):
    """SQL: (lead id, operator, bundle, status, sent) of the leads ``ids``."""
    return (
        select(Lead.id, Operator.name, Lead.is_bundle, Lead.status, Lead.created_at)
        .join(Operator, Operator.id == Lead.operator_id)
        .where(_among(Lead.id, ids))
    )


def _leads(session: Session, ids, until: datetime) -> list[tuple[int, dict]]:
    """(need id, lead) for every lead sent for the needs ``ids`` before ``until``, with
    its first answer and its state at ``until`` from the log (a past day counted the
    proposals sent, answered and placed after it), by need then lead."""
    if ids is None:
        return []
    pairs = _run(session, lead_pairs(ids)).all()
    sent = {}
    if pairs:
        sent = {
            r[0]: r[1:]
            for r in _run(session, leads_by_id({lead_id for _, lead_id in pairs}))
            if _aware(r[4]) < until
        }
    rows = sorted(
        ((need_id, lead_id, *sent[lead_id]) for need_id, lead_id in pairs if lead_id in sent),
        key=lambda r: (r[0], r[1]),
    )
    answered: dict[int, tuple[str, datetime]] = {}
    # The state a lead left at its first change after ``until``: its state then.
    state_then: dict[int, str] = {}
    if rows:
        for lead_id, from_state, to_state, at in _run(
            session,
            select(Transition.entity_id, Transition.from_state, Transition.to_state, Transition.at)
            .where(
                Transition.entity == "lead",
                _among(Transition.entity_id, {r[1] for r in rows}),
            )
            .order_by(Transition.entity_id, Transition.at, Transition.id),
        ):
            if _aware(at) >= until:
                if from_state:
                    state_then.setdefault(lead_id, from_state)
            elif to_state in LEAD_ANSWERS:
                answered.setdefault(lead_id, (to_state, _aware(at)))
    return [
        (
            r[0],
            {
                "id": r[1],
                "operator": r[2],
                "bundle": bool(r[3]),
                "status": state_then.get(r[1], r[4]),
                "sent": _aware(r[5]),
                "answer": answered.get(r[1]),
            },
        )
        for r in rows
    ]


def _referrals(session: Session, ids, until: datetime) -> dict[int, str]:
    """The kind of partner each re-oriented need was last sent to before ``until``, by
    need id."""
    if ids is None:
        return {}
    return {
        need_id: kind
        for need_id, kind in _run(
            session,
            select(Referral.need_id, Partner.kind)
            .join(Partner, Partner.id == Referral.partner_id)
            .where(_among(Referral.need_id, ids), Referral.created_at < until)
            .order_by(Referral.need_id, Referral.id),
        )
    }


def _funnel(facts, leads) -> Table:
    with_lead = {need_id for need_id, _ in leads}
    steps = (
        ("Besoins reçus", facts),
        ("Qualifiés par un animateur", [f for f in facts if NEED_QUALIFIED & set(f.reached)]),
        (
            "Proposés à un opérateur",
            [f for f in facts if f.id in with_lead or NEED_SENT_TO_OPERATOR & set(f.reached)],
        ),
        ("Pourvus", [f for f in facts if f.status == N.POURVU]),
    )
    return Table(
        key="entonnoir",
        title="Du besoin reçu à la personne embauchée",
        columns=("Étape", "Besoins"),
        rows=tuple(Row(label, (_needs_cell(group),)) for label, group in steps),
        explanation="Parmi les besoins reçus sur la période : ceux qu'un animateur a "
        "qualifiés (étape atteinte au moins une fois d'après le journal), ceux proposés à "
        "un opérateur (seuls ou regroupés), et ceux pourvus à la fin de la période.",
        chart="funnel",
    )


def _outcomes(facts, leads) -> Table:
    # Labelled by the proposal that led to the placement: a need proposed in a shared-time
    # post that was refused, then filled by a proposal of its own, was not filled in a
    # shared-time post.
    placed_by_operator = {need_id for need_id, lead in leads if lead["status"] == L.PLACE}
    placed_pooled = {
        need_id for need_id, lead in leads if lead["status"] == L.PLACE and lead["bundle"]
    }
    groups: dict[str, list] = defaultdict(list)
    for fact in facts:
        if fact.status == N.POURVU:
            if fact.id in placed_pooled:
                label = "Pourvu dans un poste à temps partagé"
            elif fact.id in placed_by_operator:
                label = "Pourvu par un opérateur"
            else:
                label = "Pourvu autrement"
        elif fact.status == N.REORIENTE:
            label = "Réorienté vers un partenaire"
        elif fact.status == N.ABANDONNE:
            label = "Abandonné"
        else:
            label = f"En attente de {WAITING_ON[fact.status]}"
        groups[label].append(fact)
    order = [
        "Pourvu dans un poste à temps partagé",
        "Pourvu par un opérateur",
        "Pourvu autrement",
        "Réorienté vers un partenaire",
        "Abandonné",
        *(f"En attente de {who}" for who in WAITING_ON.values()),
    ]
    return Table(
        key="issues",
        title="Issue de chaque besoin",
        columns=("Issue", "Besoins"),
        rows=tuple(Row(label, (_needs_cell(groups[label]),)) for label in order if groups[label]),
        explanation="Besoins reçus sur la période, par issue à la fin de la période : pourvus "
        "(selon la proposition qui a conduit à l'embauche : un poste à temps partagé qui le "
        "regroupait avec d'autres besoins, une proposition du besoin seul à un opérateur, ou "
        "autrement), réorientés, abandonnés, ou encore ouverts avec la personne de qui la "
        "suite dépend.",
        chart="bars",
        total=Row("Total", (_needs_cell(facts),)),
        additive=(0,),
        empty="Aucun besoin reçu sur le territoire pour cette période.",
    )


def _referred_to(facts, referrals) -> Table:
    sent = [f for f in facts if f.status == N.REORIENTE or f.id in referrals]
    groups = defaultdict(list)
    for fact in sent:
        groups[vocab.label(vocab.PARTNER_KINDS, referrals.get(fact.id)) or "Non précisé"].append(
            fact
        )
    labels = sorted(groups, key=lambda label: (-len(groups[label]), label))
    return Table(
        key="reorientations",
        title="Réorientés : vers qui",
        columns=("Partenaire", "Besoins"),
        rows=tuple(Row(label, (_needs_cell(groups[label]),)) for label in labels),
        explanation="Besoins reçus sur la période et transmis à un partenaire de l'emploi, "
        "par type de partenaire (le dernier à qui le besoin a été transmis).",
        chart="bars",
        total=Row("Total", (_needs_cell(sent),)),
        additive=(0,),
        empty="Aucun besoin réorienté sur la période.",
    )


def _abandoned(facts) -> Table:
    gone = [f for f in facts if f.status == N.ABANDONNE]
    groups = defaultdict(list)
    for fact in gone:
        groups[
            vocab.label(vocab.NEED_ABANDON_REASONS, fact.abandon_reason) or "Non précisé"
        ].append(fact)
    order = list(vocab.NEED_ABANDON_REASONS.values()) + ["Non précisé"]
    return Table(
        key="abandons",
        title="Abandonnés : pourquoi",
        columns=("Motif", "Besoins"),
        rows=tuple(Row(label, (_needs_cell(groups[label]),)) for label in order if groups[label]),
        explanation="Besoins reçus sur la période et abandonnés à sa fin, par motif choisi "
        "dans la liste au moment de l'abandon (journal des changements d'étape).",
        chart="bars",
        total=Row("Total", (_needs_cell(gone),)),
        additive=(0,),
        empty="Aucun besoin abandonné sur la période.",
    )


def _delays(facts) -> Table:
    steps = (
        ("Qualification", (N.QUALIFIE, N.EN_RECHERCHE, N.PROPOSE)),
        ("Proposition à un opérateur", (N.PROPOSE,)),
        ("Embauche (besoin pourvu)", (N.POURVU,)),
        ("Réorientation", (N.REORIENTE,)),
        ("Abandon", (N.ABANDONNE,)),
    )
    rows = []
    for label, states in steps:
        values = []
        for fact in facts:
            moments = [fact.reached[s] for s in states if s in fact.reached]
            if moments:
                values.append((fact.company, _days_between(fact.created_at, min(moments))))
        rows.append(Row(label, (_count(f for f, _ in values), _median_cell(values))))
    # The first cell counts companies: relabel it as the needs it measured.
    return Table(
        key="delais",
        title="Le temps de chaque étape",
        columns=("Étape", "Entreprises concernées", "Délai médian depuis la réception"),
        rows=tuple(rows),
        explanation="Pour les besoins reçus sur la période qui ont atteint l'étape : le "
        "nombre de jours entre la réception du besoin et le premier passage à cette étape, "
        "lu dans le journal des changements d'étape ; la médiane (la moitié des besoins "
        "ont attendu moins, l'autre moitié plus).",
    )


# --- unmet needs ----------------------------------------------------------------------


def _eligible():
    return and_(
        Candidate.status.in_(vocab.OPEN_TO_WORK),
        Candidate.consent.is_(True),
        Candidate.email_confirmed_at.is_not(None),
    )


def _unmet_jobs(session: Session, facts) -> Table:
    asked: dict[str, list] = defaultdict(list)
    for fact in facts:
        if fact.rome and NEED_QUALIFIED & (set(fact.reached) | {fact.status}):
            asked[fact.rome].append(fact)
    codes = sorted(asked, key=lambda code: (-len(asked[code]), code))
    offered: set[str] = set()
    if codes:
        # The distinct lists of jobs people declare are few (one scan, no per-code pass).
        # Read as text: decoding thousands of small JSON lists costs more than a pattern.
        listed = select(cast(Candidate.rome, String)).where(_eligible()).distinct()
        for (jobs,) in _run(session, listed):
            offered.update(ROME_CODE.findall(jobs or ""))
    missing = [code for code in codes if code not in offered]
    return Table(
        key="metiers_sans_candidat",
        title="Métiers demandés sans candidat dans la CVthèque",
        columns=("Métier", "Besoins qualifiés"),
        rows=tuple(
            Row(rome_label(code) or code, (_needs_cell(asked[code]),)) for code in missing[:TOP]
        ),
        explanation="Métiers des besoins qualifiés reçus sur la période pour lesquels la "
        "CVthèque ne compte aucune personne disponible (disponible ou en mission, ayant "
        "consenti et confirmé son adresse) déclarant ce métier, les plus demandés d'abord : "
        "ce que les organismes de formation et la GPECT ont besoin de savoir.",
        chart="bars",
        empty="Chaque métier demandé a au moins une personne disponible dans la CVthèque.",
    )


def _skills_not_asked(session: Session, siren: str, all_needs) -> Table:
    labels = set()
    # The distinct lists of skills the needs ask are far fewer than the needs.
    for skills in {f.skills for f in all_needs}:
        labels.update(str(label) for label in json.loads(skills or "[]"))
    asked = {normalize(label) for label in labels}
    people = func.count(func.distinct(CandidateSkill.candidate_id))
    residents = select(Candidate.id).where(
        _eligible(),
        Candidate.commune.in_(select(Commune.insee).where(Commune.epci_siren == siren)),
    )
    rows = _run(
        session,
        select(CandidateSkill.norm, func.min(CandidateSkill.label), people)
        .where(CandidateSkill.candidate_id.in_(residents))
        .group_by(CandidateSkill.norm)
        .order_by(people.desc(), CandidateSkill.norm)
        .limit(200),
    ).all()
    offered = [(label, count) for norm, label, count in rows if norm not in asked][:TOP]

    def people_counted(label: str, count: int) -> frozenset:
        # Counted in SQL: ``count`` distinct people, whom the protection only needs to number.
        return frozenset(f"p{label}#{i}" for i in range(count))

    return Table(
        key="competences_non_demandees",
        title="Compétences offertes qu'aucun besoin ne demande",
        columns=("Compétence", "Personnes"),
        rows=tuple(
            Row(label, (Cell(count, COUNT, people_counted(label, count)),))
            for label, count in offered
        ),
        explanation="Compétences déclarées par les personnes disponibles de la CVthèque qui "
        "habitent l'intercommunalité, qu'aucun besoin du territoire (toutes dates) ne "
        "mentionne, les plus répandues d'abord (compétences comparées sans accents ni "
        "majuscules). Une compétence est écrite par la personne elle-même : celles que "
        f"{FEWER_WORDS} personnes déclarent ne sont pas montrées aux intercommunalités, "
        "leur libellé pouvant désigner quelqu'un.",
        chart="bars",
        empty="Chaque compétence offerte est demandée par au moins un besoin.",
        private_labels=True,
        empty_private=f"Aucune compétence déclarée par au moins {THRESHOLD} personnes ne "
        "manque aux besoins du territoire.",
    )


# --- activity -------------------------------------------------------------------------


def _placements(session: Session, ids, until: datetime) -> list[dict]:
    """The placements recorded on the needs ``ids`` before ``until``, with their points
    as they stood then: a point done later is not done yet, a placement ended later
    still runs (a past day counted the placements and the points of the months after)."""
    if ids is None:
        return []
    rows = _run(
        session,
        select(
            Placement.id,
            Placement.candidate_id,
            Placement.start_date,
            Placement.hours_per_week,
            Placement.ended_on,
        )
        .where(
            Placement.id.in_(
                select(PlacementNeed.placement_id).where(_among(PlacementNeed.need_id, ids))
            ),
            Placement.created_at < until,
        )
        .order_by(Placement.id),
    ).all()
    points = defaultdict(dict)
    last_day = clock.local_date(until - timedelta(microseconds=1))
    ended = {r[0] for r in rows if r[4] is not None and r[4] <= last_day}
    if rows:
        for placement_id, months, holds, done_at in _run(
            session,
            select(
                FollowUpPoint.placement_id,
                FollowUpPoint.months,
                FollowUpPoint.holds,
                FollowUpPoint.done_at,
            )
            .where(_among(FollowUpPoint.placement_id, [r[0] for r in rows]))
            .order_by(FollowUpPoint.placement_id, FollowUpPoint.months),
        ):
            if done_at is not None and _aware(done_at) < until:
                points[placement_id][months] = holds
            else:
                # A point left when its placement ended is no longer due: the person is
                # known to be out of post by then.
                points[placement_id][months] = False if placement_id in ended else None
    return [
        {
            "id": r[0],
            # An erased person's placements stay, without them (rgpd.md, T5): whether
            # two of them were one person's is no longer known. The protection counts
            # them as one person, the fewest they can be: a key each made one person
            # placed three times, once erased, three people, and their cell shown.
            "person": f"p{r[1]}" if r[1] is not None else ERASED_PERSON,
            "candidate_id": r[1],
            "start": r[2],
            "ended": r[0] in ended,
            "points": points.get(r[0], {}),
        }
        for r in rows
    ]


def _activity(session, siren, facts, leads, placements, ids, since, until) -> list[Table]:
    in_epci = select(Commune.insee).where(Commune.epci_siren == siren)
    # The territory's companies by their commune's index, then their visits and mailings
    # by company: a date range alone would read every visit of the country first.
    companies = select(Company.id).where(Company.commune.in_(in_epci))
    # Since the start (None): from the first day any visit could have been made.
    start = since or datetime(2000, 1, 1, tzinfo=UTC)
    first_day = clock.local_date(start)
    last_day = clock.local_date(until - timedelta(microseconds=1))
    # (company, channel, animateur's name, e-mail, number of visits): counted in SQL.
    # Counted from the index of the visits by company and day alone, the animateurs'
    # names read after for the few who made them.
    counted = _run(
        session,
        select(Visit.company_id, Visit.channel, Visit.animateur_id, func.count())
        .where(
            Visit.company_id.in_(companies),
            Visit.visited_on >= first_day,
            Visit.visited_on <= last_day,
        )
        .group_by(Visit.company_id, Visit.channel, Visit.animateur_id)
        .order_by(Visit.company_id, Visit.channel, Visit.animateur_id),
    ).all()
    animateurs = {row[2] for row in counted if row[2] is not None}
    names = {
        user_id: (full_name, email)
        for user_id, full_name, email in (
            _run(
                session,
                select(User.id, User.full_name, User.email).where(_among(User.id, animateurs)),
            )
            if animateurs
            else ()
        )
    }
    visits = [
        (company_id, channel, *names.get(animateur_id, (None, None)), count)
        for company_id, channel, animateur_id, count in counted
    ]
    mailings = dict(
        _run(
            session,
            select(CompanyMailing.company_id, func.count())
            .where(
                CompanyMailing.company_id.in_(companies),
                CompanyMailing.sent_at >= start,
                CompanyMailing.sent_at < until,
            )
            .group_by(CompanyMailing.company_id),
        ).all()
    )
    directory = _run(
        session,
        select(Company.id, Company.naf, Company.employees).where(
            Company.commune.in_(in_epci), listed()
        ),
    ).all()
    return [
        _visits_by(
            "visites_canal",
            "Visites par canal",
            "Canal",
            visits,
            lambda v: vocab.label(vocab.VISIT_CHANNELS, v[1]),
            "Contacts de prospection avec les entreprises de l'intercommunalité sur la "
            "période, par canal (porte-à-porte, téléphone…), et les entreprises ainsi "
            "contactées. Une entreprise contactée par deux canaux compte sur chacune de "
            "leurs lignes, mais une seule fois dans le total : la colonne « Entreprises » "
            "peut faire plus que son total.",
        ),
        replace(
            _visits_by(
                "visites_animateur",
                "Visites par animateur",
                "Animateur",
                visits,
                lambda v: v[2] or v[3] or "Compte supprimé",
                "Contacts de prospection avec les entreprises de l'intercommunalité sur la "
                "période, par animateur qui les a faits ; une entreprise contactée par deux "
                "animateurs compte sur chacune de leurs lignes, une seule fois dans le total. "
                "Montré à l'équipe de la plateforme "
                "seulement : l'activité d'une personne nommée n'est pas un chiffre "
                "d'ensemble.",
            ),
            staff_only=True,
        ),
        _reach(visits, directory),
        _pressure(visits, mailings),
        _operators(leads, facts),
        _holding(placements),
        _incomplete_weeks(
            session,
            # Placed still: a placement that ended (it did not hold) placed no one now.
            {
                p["candidate_id"]
                for p in placements
                if p["candidate_id"] is not None and not p["ended"]
            }
            if placements
            else None,
        ),
    ]


def _visits_by(key, title, column, visits, label_of, explanation) -> Table:
    groups = defaultdict(list)
    for visit in visits:
        groups[label_of(visit)].append(visit)
    made = {label: sum(v[4] for v in group) for label, group in groups.items()}
    labels = sorted(groups, key=lambda label: (-made[label], label))

    def cells(group):
        companies = frozenset(f"c{v[0]}" for v in group)
        count = sum(v[4] for v in group)
        return (Cell(count, COUNT, companies), Cell(len(companies), COUNT, companies))

    return Table(
        key=key,
        title=title,
        columns=(column, "Visites", "Entreprises"),
        rows=tuple(Row(label, cells(groups[label])) for label in labels),
        explanation=explanation,
        chart="bars",
        total=Row("Total", cells(visits)),
        additive=(0,),
        empty="Aucune visite sur la période.",
    )


def _reach(visits, directory) -> Table:
    tpes = defaultdict(set)
    for company_id, naf, employees in directory:
        if employees is not None and employees <= TPE_MAX:
            tpes[naf_section(naf)].add(f"c{company_id}")
    visited = {f"c{v[0]}" for v in visits}
    rows = []
    for label in sorted(tpes, key=lambda label: (-len(tpes[label]), label)):
        reached = frozenset(tpes[label] & visited)
        share = round(100 * len(reached) / len(tpes[label]), 1)
        rows.append(
            Row(
                label,
                (
                    _count(tpes[label]),
                    Cell(len(reached), COUNT, reached),
                    Cell(share, PERCENT, reached),
                ),
            )
        )
    every = frozenset().union(*tpes.values()) if tpes else frozenset()
    reached_all = frozenset(every & visited)
    total = Row(
        "Total",
        (
            _count(every),
            Cell(len(reached_all), COUNT, reached_all),
            Cell(
                round(100 * len(reached_all) / len(every), 1) if every else None,
                PERCENT,
                reached_all,
            ),
        ),
    )
    return Table(
        key="tpe_touchees",
        title="Entreprises touchées parmi les TPE du territoire",
        columns=("Secteur", "TPE de l'annuaire", "TPE visitées", "Part touchée"),
        rows=tuple(rows),
        explanation="Très petites entreprises (moins de 10 salariés) de l'annuaire dont "
        "l'établissement est dans l'intercommunalité, par section NAF, et celles qui ont eu "
        "au moins une visite sur la période ; la part touchée est le rapport des deux.",
        total=total,
        additive=(0, 1),
        shares={2: (1, 0)},
        empty="L'annuaire ne compte aucune TPE dans l'intercommunalité.",
    )


def _pressure(visits, mailings) -> Table:
    contacts: Counter = Counter()
    for visit in visits:
        contacts[f"c{visit[0]}"] += visit[4]
    for company_id, count in mailings.items():
        contacts[f"c{company_id}"] += count
    bands = (
        ("1 contact", 1, 1),
        ("2 contacts", 2, 2),
        ("3 à 4 contacts", 3, 4),
        ("5 contacts ou plus", 5, None),
    )
    rows = []
    for label, low, high in bands:
        members = frozenset(
            c for c, n in contacts.items() if n >= low and (high is None or n <= high)
        )
        rows.append(Row(label, (_count(members),)))
    return Table(
        key="pression",
        title="Pression de contact",
        columns=("Contacts sur la période", "Entreprises"),
        rows=tuple(rows),
        explanation="Entreprises de l'intercommunalité contactées sur la période, par nombre "
        "de contacts reçus (visites, appels et lettres d'information) : pour veiller à ne "
        "pas trop solliciter les mêmes.",
        chart="bars",
        total=Row("Total", (_count(contacts),)),
        additive=(0,),
        empty="Aucune entreprise contactée sur la période.",
    )


def _operators(leads, facts) -> Table:
    company = {f.id: f.company for f in facts}
    by_operator: dict[str, dict[int, dict]] = defaultdict(dict)
    companies: dict[str, set] = defaultdict(set)
    for need_id, lead in leads:
        by_operator[lead["operator"]][lead["id"]] = lead
        companies[lead["operator"]].add(company[need_id])
    rows = []
    for name in sorted(by_operator, key=lambda name: (sort_key(name), name)):
        sent = list(by_operator[name].values())
        members = frozenset(companies[name])
        answered = [lead for lead in sent if lead["answer"]]
        accepted = [lead for lead in answered if lead["answer"][0] == L.ACCEPTE]
        placed = [lead for lead in sent if lead["status"] == L.PLACE]
        delays = [(members, _days_between(lead["sent"], lead["answer"][1])) for lead in answered]
        median_days = round(median(d for _, d in delays), 1) if delays else None
        rows.append(
            Row(
                name,
                (
                    Cell(len(sent), COUNT, members),
                    Cell(len(answered), COUNT, members),
                    Cell(len(accepted), COUNT, members),
                    Cell(len(placed), COUNT, members),
                    Cell(median_days, DAYS, members),
                ),
            )
        )
    return Table(
        key="operateurs",
        title="Propositions aux opérateurs",
        columns=(
            "Opérateur",
            "Propositions",
            "Réponses",
            "Acceptées",
            "Placements",
            "Délai médian de réponse",
        ),
        rows=tuple(rows),
        explanation="Propositions envoyées aux opérateurs pour les besoins reçus sur la "
        "période (un poste à temps partagé compte une fois), celles qui ont eu une réponse "
        "(acceptée ou refusée), acceptées, conclues par un placement, et le délai médian "
        "entre l'envoi et la première réponse, lu dans le journal. Le secret protège les "
        "entreprises concernées.",
        empty="Aucune proposition envoyée à un opérateur sur la période.",
    )


def _placements_cell(placements) -> Cell:
    """The number of placements, describing the people placed."""
    return Cell(len(placements), COUNT, frozenset(p["person"] for p in placements))


def _holding(placements) -> Table:
    rows = []
    # The point before the trial's end first: it comes before the others, or among them.
    points = [(TRIAL_POINT, "Avant la fin de l'essai")]
    points += [(months, f"À {months} mois") for months in FOLLOW_UP_MONTHS]
    for months, label in points:
        due = [p for p in placements if months in p["points"]]
        holds = [p for p in due if p["points"][months] is True]
        broke = [p for p in due if p["points"][months] is False]
        waiting = [p for p in due if p["points"][months] is None]
        rows.append(
            Row(label, tuple(_placements_cell(group) for group in (due, holds, broke, waiting)))
        )
    return Table(
        key="maintien",
        title="Les placements tiennent-ils ?",
        columns=(
            "Point de suivi",
            "Placements suivis",
            "Toujours en poste",
            "Plus en poste",
            "Pas encore fait",
        ),
        rows=tuple(rows),
        explanation="Placements faits par un opérateur sur un besoin reçu pendant la "
        "période (une personne placée deux fois compte deux placements), par point de "
        "suivi prévu quelques jours avant la fin de la période "
        "d'essai (pour les placements enregistrés avec elle), puis 1, 3 et 6 mois après "
        "l'embauche : le point fait "
        "dit si la personne est toujours en poste. Un placement qui ne tient pas prend "
        "fin : aux points suivants, la personne compte comme plus en poste. Le placement "
        "d'une personne dont la fiche a été effacée reste compté.",
        parts={0: (1, 2, 3)},
        empty="Aucun placement sur la période.",
    )


def _incomplete_weeks(session: Session, people) -> Table:
    """``people``: the ids of the persons placed on the period's needs (None: no placement)."""
    rows = []
    if people is not None:
        today = clock.local_today()
        running = (
            select(Commitment.candidate_id, func.sum(Commitment.hours_per_week).label("hours"))
            .where(
                _among(Commitment.candidate_id, people),
                (Commitment.until.is_(None)) | (Commitment.until >= today),
            )
            .group_by(Commitment.candidate_id)
            .subquery()
        )
        rows = _run(
            session,
            select(Candidate.id, Candidate.hours_max, func.coalesce(running.c.hours, 0))
            .outerjoin(running, running.c.candidate_id == Candidate.id)
            .where(
                _among(Candidate.id, people),
                Candidate.week_complete.is_(False),
                Candidate.status != "inactif",
            )
            .order_by(Candidate.id),
        ).all()
    short = [(f"p{cid}", float(most) - float(held)) for cid, most, held in rows if held < most]
    members = frozenset(p for p, _ in short)
    return Table(
        key="semaines_incompletes",
        title="Personnes placées dont la semaine n'est pas complète",
        columns=("Chiffre", "Valeur"),
        rows=(
            Row("Personnes", (Cell(len(members), COUNT, members),)),
            Row(
                "Heures par semaine encore libres",
                (Cell(round(sum(h for _, h in short), 1), HOURS, members),),
            ),
        ),
        explanation="Personnes placées sur un besoin reçu pendant la période dont les "
        "engagements en cours totalisent moins d'heures que le maximum qu'elles cherchent, "
        "et qui n'ont pas dit leur semaine complète : à qui proposer un autre temps partagé.",
    )


# --- trends ---------------------------------------------------------------------------


def _months(until: datetime) -> list[tuple[int, int]]:
    last = clock.local_date(until - timedelta(microseconds=1))
    index = last.year * 12 + last.month - 1
    return [divmod(i, 12) for i in range(index - TREND_MONTHS + 1, index + 1)]


def _trends(all_needs, until) -> Table:
    months = _months(until)
    received = defaultdict(list)
    placed = defaultdict(list)
    for fact in all_needs:
        local = clock.local_date(fact.created_at)
        received[(local.year, local.month - 1)].append(fact)
        if N.POURVU in fact.reached and fact.status == N.POURVU:
            local = clock.local_date(fact.reached[N.POURVU])
            placed[(local.year, local.month - 1)].append(fact)
    rows = tuple(
        Row(
            f"{m + 1:02d}/{y}",
            (
                _needs_cell(received[(y, m)]),
                _hours_cell(received[(y, m)]),
                _needs_cell(placed[(y, m)]),
            ),
        )
        for y, m in months
    )
    return Table(
        key="tendances",
        title="Besoins reçus et pourvus, mois par mois",
        columns=("Mois", "Besoins reçus", "Heures par semaine demandées", "Besoins pourvus"),
        rows=rows,
        explanation=f"Pour chacun des {TREND_MONTHS} derniers mois (heure de Paris) : les "
        "besoins reçus ce mois-là et leurs heures, et les besoins passés à « pourvu » ce "
        "mois-là d'après le journal des changements d'étape.",
        chart="line",
        additive=(0, 1, 2),
    )


def epcis_with_needs(session: Session) -> list[tuple[str, str, int]]:
    """(SIREN, name, needs) of every intercommunality where needs were expressed, by name."""
    place = func.coalesce(Need.commune, Company.commune)
    return [
        tuple(row)
        for row in _run(
            session,
            select(Epci.siren, Epci.name, func.count(Need.id))
            .select_from(Need)
            .join(Company, Need.company_id == Company.id)
            .join(Commune, Commune.insee == place)
            .join(Epci, Epci.siren == Commune.epci_siren)
            .where(in_queue())
            .group_by(Epci.siren, Epci.name)
            .order_by(Epci.name),
        ).all()
    ]
