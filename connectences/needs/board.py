"""The animateurs' needs board: filters, counts per state, what each need waits on, and
the export of exactly the filtered rows.

Filters come from query arguments (French names, as in the page's URL); a value not in
its list is left out and reported (``listing.Refusal``), so a shared or edited link always
opens and says what it could not apply.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, and_, case, exists, func, literal_column, select, union_all
from sqlalchemy.orm import joinedload

from connectences import clock, territory, vocab
from connectences.kept import kept
from connectences.listing import (
    ListFilters,
    Refusal,
    choice_reader,
    rome_refused,
    text_arg,
    text_search,
)
from connectences.models import Company, Need, Referral
from connectences.needs.conditions import in_queue
from connectences.needs.listed import LISTED_COLUMNS, ListedNeed
from connectences.needs.register import queue_version
from connectences.needs.status_words import (
    AWAITING_OWNER_ON,
    awaiting_owner,
    owner_stops,
    status_label,
)
from connectences.skills import rome_label, taxonomy
from connectences.workflows import NEED_SEARCHING, REFERRAL_UNANSWERED, NeedState

STATE_ORDER: tuple[str, ...] = tuple(vocab.NEED_STATUSES)
AGE_BANDS: dict[str, str] = {
    "moins_7": "Moins de 7 jours",
    "7_30": "De 7 à 30 jours",
    "plus_30": "Plus de 30 jours",
}
WAITING_ON: dict[str, str] = {
    "animateur": "L'animateur, pour qualifier le besoin",
    "rattachement": "L'animateur, pour vérifier que le demandeur parle pour l'entreprise",
    "recherche": "L'animateur : recherche en cours",
    "operateur": "Un opérateur, pour répondre à la proposition",
    "partenaire": "Un partenaire, pour prendre en charge la réorientation",
    "entreprise": AWAITING_OWNER_ON,
}
# Query argument of each filter, as it appears in the page's URL.
BOARD_ARGS = {
    "status": "statut",
    "epci": "intercommunalite",
    "domain": "domaine",
    "rome": "rome",
    "age": "age",
    "waiting": "attente",
    "text": "q",
}
MAX_SEARCH = 200


@dataclass(frozen=True)
class BoardFilters(ListFilters):
    ARGS = BOARD_ARGS

    status: str = ""
    epci: str = ""  # SIREN of one of the Pays' intercommunalities, or "hors"
    domain: str = ""  # ROME domain: the first letter of the code
    rome: str = ""  # a ROME code or its beginning
    age: str = ""
    waiting: str = ""
    text: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[BoardFilters, list[Refusal]]:
        """The board filters from query arguments and the values refused (left out),
        each with its field and its French message."""
        return parse_filters(args)


def rome_domains() -> dict[str, str]:
    """ROME domains (letter -> French label), in letter order."""
    return dict(sorted(taxonomy().domains.items()))


def parse_filters(args: Mapping[str, str]) -> tuple[BoardFilters, list[Refusal]]:
    """The board filters from query arguments and the values refused (left out)."""
    errors: list[Refusal] = []

    read_choice = choice_reader(args, errors)

    def choice(key: str, label: str, choices, what: str, normalise=None) -> str:
        return read_choice(BOARD_ARGS[key], label, choices, what, normalise)

    # In the order of the page's fields, as the error summary lists them.
    status = choice("status", "Statut", vocab.NEED_STATUSES, "un statut")
    waiting = choice("waiting", "En attente de", WAITING_ON, "une réponse")
    epcis = {**territory.PAYS_EPCIS, "hors": "Hors du Pays"}
    epci = choice("epci", "Intercommunalité", epcis, "une intercommunalité")
    # A domain is a ROME letter: "m" typed by hand is the domain M, as the code's filter.
    domain = choice("domain", "Domaine professionnel", rome_domains(), "un domaine", str.upper)
    rome = rome_refused(args, BOARD_ARGS["rome"], "Code ROME", errors)
    age = choice("age", "Ancienneté du besoin", AGE_BANDS, "une ancienneté")
    filters = BoardFilters(
        status=status,
        epci=epci,
        domain=domain,
        rome=rome,
        age=age,
        waiting=waiting,
        text=text_arg(args, BOARD_ARGS["text"], MAX_SEARCH),
    )
    return filters, errors


def awaiting_owner_sql():
    return and_(Need.source == "entreprise", Need.owner_confirmed_at.is_(None))


def _open_referral():
    return exists().where(Referral.need_id == Need.id, Referral.status.in_(REFERRAL_UNANSWERED))


# Each built only when asked for: building them all for every board cost more than
# the query it filters.
_WAITING_CONDITIONS = {
    "entreprise": awaiting_owner_sql,
    "animateur": lambda: and_(Need.status == NeedState.NOUVEAU, Need.owner_unattached.is_(False)),
    "rattachement": lambda: and_(Need.status == NeedState.NOUVEAU, Need.owner_unattached.is_(True)),
    "recherche": lambda: Need.status.in_(NEED_SEARCHING),
    "operateur": lambda: Need.status == NeedState.PROPOSE,
    "partenaire": lambda: and_(Need.status == NeedState.REORIENTE, _open_referral()),
}


def _waiting_condition(waiting: str):
    return _WAITING_CONDITIONS[waiting]()


# The states a need waiting on someone can be in (``_waiting_condition`` says more).
_WAITING_STATES: dict[str, tuple[str, ...]] = {
    "animateur": (NeedState.NOUVEAU,),
    "rattachement": (NeedState.NOUVEAU,),
    "recherche": tuple(NEED_SEARCHING),
    "operateur": (NeedState.PROPOSE,),
    "partenaire": (NeedState.REORIENTE,),
}


def _filtered(filters: BoardFilters, now: datetime | None, *, with_status: bool = True) -> list:
    conditions = []
    # Needs waiting for their owner's confirmation are not in the queue: shown only when
    # the animateur asks for them.
    conditions.append(awaiting_owner_sql() if filters.waiting == "entreprise" else in_queue())
    if filters.waiting:
        conditions.append(_waiting_condition(filters.waiting))
    if with_status and filters.status:
        conditions.append(Need.status == filters.status)
    place = func.coalesce(Need.commune, Company.commune)
    if filters.epci == "hors":
        conditions.append(place.not_in([c.insee for c in territory.pays_communes()]))
    elif filters.epci:
        conditions.append(place.in_([c.insee for c in territory.communes_of_epci(filters.epci)]))
    if filters.domain:
        conditions.append(Need.rome.startswith(filters.domain, autoescape=True))
    if filters.rome:
        conditions.append(Need.rome.startswith(filters.rome, autoescape=True))
    if filters.age == "moins_7":
        conditions.append(Need.created_at >= _days_ago_ends(now, 7))
    elif filters.age == "7_30":
        conditions.append(Need.created_at < _days_ago_ends(now, 7))
        conditions.append(Need.created_at >= _days_ago_ends(now, 30))
    elif filters.age == "plus_30":
        conditions.append(Need.created_at < _days_ago_ends(now, 30))
    if filters.text:
        conditions.append(
            text_search((Need.title, Need.ref, Company.name, Need.notes), filters.text)
        )
    return conditions


def board_query(filters: BoardFilters, *, now: datetime, window: int | None = None) -> Select:
    """The filtered needs, grouped by state (workflow order), newest first in each.

    With ``window``, only the first ``window`` needs of each state are read, each state's
    in order from the index on (status, created_at, id): the same first ``window`` rows,
    without sorting the whole queue, as rows for ``needs.listed.listed_needs`` (without a
    window: entities, for the export). A need's status is always one of the workflow's
    states (``STATE_ORDER``), as ``state_counts`` also assumes.
    """
    if window is not None and not filters.age:
        # Only the age filter reads the clock: without it the statement depends on the
        # filters and the window alone, and is built once for them (building the union
        # of the states cost more than running it).
        return _windowed_query(filters, window)
    return _board_query(filters, now, window)


@lru_cache(maxsize=256)
def _windowed_query(filters: BoardFilters, window: int) -> Select:
    return _board_query(filters, None, window)


def _board_query(filters: BoardFilters, now: datetime | None, window: int | None) -> Select:
    conditions = _filtered(filters, now)
    if window is None:
        # Every row (the export): the needs with their companies, as entities.
        needs = select(Need).options(joinedload(Need.company))
        if _reads_company(filters):
            needs = needs.join(Need.company)
        rank = case({state: i for i, state in enumerate(STATE_ORDER)}, value=Need.status, else_=99)
        return needs.where(*conditions).order_by(rank, Need.created_at.desc(), Need.id.desc())
    needs = select(*LISTED_COLUMNS).join(Company, Company.id == Need.company_id)
    # Only the states the filters can show (a branch per state otherwise finds nothing).
    states = [
        state
        for state in STATE_ORDER
        if filters.status in ("", state)
        and state in _WAITING_STATES.get(filters.waiting, STATE_ORDER)
    ] or [filters.status]
    if len(states) == 1:
        # One state: its needs in order, from the index, with nothing to gather.
        return needs.where(*conditions, Need.status == states[0]).order_by(
            Need.created_at.desc(), Need.id.desc()
        )
    branches = []
    for state in states:
        # The rank is written in the statement (a small integer of ours): PostgreSQL
        # cannot type a bound parameter alone in a UNION's column.
        first = select(
            Need.id.label("id"),
            Need.created_at.label("created_at"),
            literal_column(str(STATE_ORDER.index(state))).label("rank"),
        )
        if _reads_company(filters):
            first = first.join(Need.company)
        first = (
            first.where(*conditions, Need.status == state)
            .order_by(Need.created_at.desc(), Need.id.desc())
            .limit(window)
        )
        # Wrapped in a subquery: SQLite refuses ORDER BY and LIMIT in a UNION's member.
        branches.append(select(first.subquery()))
    # The first ``window`` of them all, in the page's order: the needs are then read by
    # the ids of a page, not joined to every state's window (PostgreSQL read the whole
    # need table to join a hundred ids).
    gathered = union_all(*branches).subquery("gathered")
    page = (
        select(gathered)
        .order_by(gathered.c.rank, gathered.c.created_at.desc(), gathered.c.id.desc())
        .limit(window)
        .subquery("page")
    )
    return needs.join(page, page.c.id == Need.id).order_by(
        page.c.rank, page.c.created_at.desc(), page.c.id.desc()
    )


def _reads_company(filters: BoardFilters) -> bool:
    """Whether a filter reads the company (its commune, its name): only then is it joined
    for filtering; counting a queue of 10,000 needs without it reads an index alone."""
    return bool(filters.epci or filters.text)


def state_counts(session, filters: BoardFilters, *, now: datetime) -> dict[str, int]:
    """How many needs in each state, under every filter but the state itself.

    The whole queue's counts (no filter: the animateur's home and the board's first view)
    are kept (``connectences.kept``) under the version of the queue: counting reads an
    index entry per need (0.5 ms at 10,000) and depends on the needs' state, source and
    confirmation alone.
    """
    if filters == BoardFilters():
        counts = kept(
            session, "queue_counts", queue_version(session), lambda: _counted(session, filters, now)
        )
        return dict(counts)
    return _counted(session, filters, now)


def _counted(session, filters: BoardFilters, now: datetime) -> dict[str, int]:
    # Without the age filter (the only one reading the clock), built once per filters.
    query = _counts_query(filters, now) if filters.age else _counts_query_once(filters)
    found = dict(session.execute(query).all())
    return {state: found.get(state, 0) for state in STATE_ORDER}


@lru_cache(maxsize=256)
def _counts_query_once(filters: BoardFilters) -> Select:
    return _counts_query(filters, None)


def _counts_query(filters: BoardFilters, now: datetime | None) -> Select:
    counted = select(Need.status, func.count())
    if _reads_company(filters):
        counted = counted.join(Need.company)
    return counted.where(*_filtered(filters, now, with_status=False)).group_by(Need.status)


def waiting_on(session, needs: Sequence[Need | ListedNeed]) -> dict[int, str]:
    """What each need waits on, keyed by need id (key of WAITING_ON, or "" for none)."""
    reoriented = [need.id for need in needs if need.status == NeedState.REORIENTE]
    open_referrals = set()
    if reoriented:
        open_referrals = set(
            session.scalars(
                select(Referral.need_id).where(
                    Referral.need_id.in_(reoriented), Referral.status.in_(REFERRAL_UNANSWERED)
                )
            )
        )
    result = {}
    for need in needs:
        if awaiting_owner(need):
            key = "entreprise"
        elif need.status == NeedState.NOUVEAU and need.owner_unattached:
            key = "rattachement"  # not the company's until checked (needs.register)
        elif need.status == NeedState.NOUVEAU:
            key = "animateur"
        elif need.status in NEED_SEARCHING:
            key = "recherche"
        elif need.status == NeedState.PROPOSE:
            key = "operateur"
        elif need.status == NeedState.REORIENTE and need.id in open_referrals:
            key = "partenaire"
        else:
            key = ""
        result[need.id] = key
    return result


def _days_ago_ends(now: datetime, days: int) -> datetime:
    """The instant before which a need is ``days`` local days old or more at ``now`` (the
    end of the local day ``days`` days back): the age bands count the days the board
    shows (:func:`age_in_days`), not periods of 24 hours."""
    return clock.day_start(clock.local_date(now) - timedelta(days=days - 1))


def age_in_days(need: Need | ListedNeed, now: datetime) -> int:
    """Local days since the need was recorded: "hier" for last night's 23:30 at 08:00,
    as its date "Reçu le" says, not the 24-hour periods since."""
    return max(0, clock.days_since(need.created_at, now))


EXPORT_HEADERS = (
    "Référence",
    "Intitulé",
    "Entreprise",
    "SIRET",
    "Lieu de travail",
    "Intercommunalité",
    "Code ROME",
    "Métier",
    "Compétences",
    "Niveau",
    "Heures par semaine",
    "Jours",
    "Contrat",
    "Motif",
    "Démarrage",
    "Durée (mois)",
    "Temps partagé",
    "Statut",
    "En attente de",
    "Enregistré le",
)


# Needs an export reads from the database at a time.
EXPORT_BATCH = 500


def export_rows(session, filters: BoardFilters, *, now: datetime) -> Iterator[list]:
    """One row per need of the board's ``filters`` (``board_query``'s order), with the
    columns of EXPORT_HEADERS: ``EXPORT_BATCH`` needs at a time, with what they wait on
    and who stopped them read for each batch."""
    query = board_query(filters, now=now).execution_options(yield_per=EXPORT_BATCH)
    for needs in session.scalars(query).partitions():
        yield from _export_batch(session, needs)


def _export_batch(session, needs: Sequence[Need]) -> Iterator[list]:
    waiting = waiting_on(session, needs)
    stops = owner_stops(session, needs)
    for need in needs:
        yield [
            need.ref,
            need.title,
            need.company.name,
            need.company.siret,
            territory.commune_label(need.place),
            territory.epci_label(need.place, unknown=""),
            need.rome or "",
            rome_label(need.rome) or "",
            ", ".join(need.skills or ()),
            vocab.label(vocab.LEVELS, need.level),
            need.hours_per_week,
            ", ".join(vocab.DAYS[d] for d in vocab.DAYS if d in (need.days or ())),
            vocab.label(vocab.CONTRACTS, need.contract),
            vocab.label(vocab.REASONS, need.reason),
            need.start.isoformat(),
            need.duration_months if need.duration_months is not None else "",
            {True: "oui", False: "non", None: ""}[need.shared_time],
            status_label(need, stops),
            WAITING_ON.get(waiting.get(need.id, ""), ""),
            clock.local_date(need.created_at).isoformat(),
        ]
