"""Logging a prospection visit (or call), the animateurs' follow-ups, and the filtered
visits list with its totals and export rows.

The caller commits. Invalid input raises :class:`VisitError` (field -> French
message); the contact-pressure guard raises ``ContactRefused`` or
``ConfirmationRequired`` (see ``prospection.pressure``). Nothing is added then.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from connectences import submissions, territory, vocab
from connectences.accounts.audit import audit
from connectences.clock import local_today
from connectences.dates import read_typed_date
from connectences.errors import DomainError
from connectences.ids import read_id
from connectences.kept import kept
from connectences.listing import ListFilters, Refusal, choice_reader, from_the_list, text_arg
from connectences.models import Company, User, Visit
from connectences.models.base import utcnow
from connectences.prospection.pressure import (
    VISIT_OVER_CAP,
    Pressure,
    check_contact,
    over_cap_figures,
    over_cap_reason_checked,
)
from connectences.skills.forbidden import text_problem
from connectences.territory import commune_label, epci_label
from connectences.typography import quoted, too_long

NOTES_MAX = 4000
# How far back a visit may be logged (a forgotten visit from last month is fine, older
# ones are likely a typo in the year), and how far ahead a follow-up may be planned.
MAX_PAST_DAYS = 366
MAX_FOLLOW_UP_DAYS = 2 * 366
# One sentence for a follow-up past MAX_FOLLOW_UP_DAYS, typed on the visit or moved on
# « Mes relances » (there it said only « prévue à plus de deux ans », which reads as a
# confirmation of what was asked rather than as what to correct).
TOO_FAR_FOLLOW_UP = "La relance est prévue à plus de deux ans : vérifiez l'année."


class VisitError(DomainError):
    """Invalid visit data: ``errors`` maps each field to a French message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors=errors)


class FollowUpClosed(VisitError):
    """The follow-up was closed already (a stale page, a form sent twice): nothing changes."""

    MESSAGE = "Cette relance est déjà close."

    def __init__(self):
        super().__init__({"_": self.MESSAGE})


# The audit entry of a company that asked, during a visit, not to be solicited any more
# (its outcome "ne_plus_solliciter"); ``companies.preferences_last_set`` reads it.
DO_NOT_SOLICIT_AT_VISIT = "company.do_not_solicit"


# « À relancer » without a date: the follow-up never comes back in « Mes relances ».
# Also told on the phone before an offline visit is kept (offline/round.html).
FOLLOW_UP_MISSING = (
    "Issue « À relancer » : indiquez la date de la prochaine relance, elle "
    "apparaîtra dans « Mes relances » ce jour-là."
)


def parse_date(value: str | date | None, field_name: str, label: str) -> date | None:
    """A date from an ISO (2026-05-14) or French (14/05/2026) text; VisitError otherwise."""
    if value is None or isinstance(value, date):
        return value
    day, why = read_typed_date(value, label)
    if why:
        raise VisitError({field_name: why})
    return day


@dataclass
class VisitInput:
    """What the visit form carries, already typed (see :func:`visit_input_from_form`)."""

    channel: str | None
    visited_on: date | None
    topics: list[str] = field(default_factory=list)
    outcome: str | None = None
    notes: str | None = None
    need_detected: bool = False
    follow_up_on: date | None = None


def visit_input_from_form(form: Mapping, *, today: date) -> VisitInput:
    """Read the visit fields of a submitted form (a MultiDict or a plain mapping).

    Bad dates raise VisitError; the rest is checked by :func:`validate_visit`.
    """
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for key, label in (("visited_on", "Date du contact"), ("follow_up_on", "Date de relance")):
        try:
            dates[key] = parse_date(form.get(key), key, label)
        except VisitError as exc:
            errors.update(exc.errors)
            dates[key] = None
    if errors:
        raise VisitError(errors)
    getlist = getattr(form, "getlist", None)
    topics = getlist("topics") if getlist else list(form.get("topics") or [])
    need_detected = str(form.get("need_detected") or "").lower() in {"1", "on", "true", "oui"}
    return VisitInput(
        channel=(form.get("channel") or "").strip() or None,
        visited_on=dates["visited_on"] if form.get("visited_on") else today,
        topics=list(topics),
        outcome=(form.get("outcome") or "").strip() or None,
        notes=(form.get("notes") or "").strip() or None,
        need_detected=need_detected,
        follow_up_on=dates["follow_up_on"],
    )


# Outcomes that say there is no need: a need cannot be detected along with them.
NO_NEED_OUTCOMES = frozenset(
    {"information_donnee", "pas_interesse", "absent", "ne_plus_solliciter"}
)


def validate_visit(data: VisitInput, *, today: date) -> VisitInput:
    """Check a visit: known channel, topics and outcome; a date not in the future nor
    more than a year back; a follow-up not before the visit nor in the past, given when
    the outcome is « À relancer » and absent when it is « Ne plus solliciter »."""
    errors: dict[str, str] = {}
    if not data.channel:
        errors["channel"] = "Choisissez le canal du contact."
    elif data.channel not in vocab.VISIT_CHANNELS:
        errors["channel"] = f"Canal inconnu : {quoted(data.channel)}."
    unknown = [t for t in data.topics if t not in vocab.VISIT_TOPICS]
    if unknown:
        errors["topics"] = f"Sujet inconnu : {quoted(unknown[0])}."
    if data.outcome is not None and data.outcome not in vocab.VISIT_OUTCOMES:
        errors["outcome"] = f"Issue inconnue : {quoted(data.outcome)}."
    if data.visited_on is None:
        errors["visited_on"] = "Indiquez la date du contact."
    elif data.visited_on > today:
        errors["visited_on"] = (
            "La date du contact ne peut pas être dans le futur : enregistrez la visite "
            "une fois faite, ou prévoyez une relance."
        )
    elif data.visited_on < today - timedelta(days=MAX_PAST_DAYS):
        errors["visited_on"] = "La date du contact remonte à plus d'un an : vérifiez l'année."
    if data.follow_up_on is not None:
        if data.follow_up_on < today:
            errors["follow_up_on"] = "La date de relance ne peut pas être déjà passée."
        elif data.visited_on and data.follow_up_on < data.visited_on:
            errors["follow_up_on"] = "La relance ne peut pas précéder le contact."
        elif data.follow_up_on > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
            errors["follow_up_on"] = TOO_FAR_FOLLOW_UP
    if (
        data.outcome == "ne_plus_solliciter"
        and data.follow_up_on is not None
        and "follow_up_on" not in errors
    ):
        errors["follow_up_on"] = (
            "L'entreprise ne veut plus être sollicitée : elle ne se relance pas. "
            "Retirez la date de relance."
        )
    if data.outcome == "a_relancer" and data.follow_up_on is None and "follow_up_on" not in errors:
        # Without a date the follow-up never comes back in « Mes relances »: it is lost.
        errors["follow_up_on"] = FOLLOW_UP_MISSING
    if too := too_long("Les notes", data.notes, NOTES_MAX, plural=True):
        errors["notes"] = too
    elif problem := text_problem(data.notes):
        # They open the need's notes, read by operators and partners.
        errors["notes"] = problem
    if data.need_detected and data.outcome in NO_NEED_OUTCOMES and "outcome" not in errors:
        errors["outcome"] = (
            f"L'issue « {vocab.VISIT_OUTCOMES[data.outcome]} » contredit « besoin détecté » : "
            "choisissez l'issue « Besoin détecté », ou une autre issue sans besoin."
        )
    if errors:
        raise VisitError(errors)
    topics = [t for t in vocab.VISIT_TOPICS if t in set(data.topics)]
    need = data.need_detected or data.outcome == "besoin_detecte"
    outcome = data.outcome or ("besoin_detecte" if need else None)
    return VisitInput(
        data.channel, data.visited_on, topics, outcome, data.notes, need, data.follow_up_on
    )


def visit_submission_key(
    token: str | None, typed: Mapping, *, company: Company, animateur: User
) -> str | None:
    """The key of one sending of the online visit form (``submissions.key``): its token,
    what was typed, the company and the animateur. The same form sent again by the same
    animateur for the same company has the same key; its token sent with another
    company, by another account, or with other values is another sending."""
    return submissions.key(token, {**typed, "_company": company.id, "_animateur": animateur.id})


def submitted_visit(
    session: Session, key: str | None, *, company: Company, animateur: User
) -> Visit | None:
    """The visit stored from the sending ``key`` (:func:`visit_submission_key`), or None;
    only one of this animateur's for this company (the key names both, so another's
    would be a collision, never shown)."""
    if key is None:
        return None
    visit = session.scalar(select(Visit).where(Visit.submission_key == key))
    if visit is None or visit.company_id != company.id or visit.animateur_id != animateur.id:
        return None
    return visit


def log_visit(
    session: Session,
    company: Company,
    data: VisitInput,
    *,
    animateur: User,
    confirmed: bool = False,
    today: date | None = None,
    over_cap_reason: str | None = None,
    submission_key: str | None = None,
) -> tuple[Visit, Pressure]:
    """Record a visit (or call) to the company, after the contact-pressure guard.

    Raises VisitError (bad fields), ContactRefused (the company asked not to be
    solicited, or its monthly cap is reached) or ConfirmationRequired (contacted within
    the window and ``confirmed`` is false). The outcome "ne plus solliciter" sets the
    company's flag, so that the guard refuses the next contact.

    ``over_cap_reason``: why the company agreed to be contacted beyond its monthly cap
    (the guard's ``check_contact`` decides; OverCapReasonRefused when it is missing or
    too long); a visit so passed keeps it in the audit log, which the company's timeline
    shows beside the visit.

    ``submission_key`` (:func:`visit_submission_key`) is unique among visits: when a
    request sending the same form committed first, the flush or the commit raises
    IntegrityError, and the caller answers with :func:`submitted_visit`.
    """
    today = today or local_today()
    clean = validate_visit(data, today=today)
    pressure = check_contact(
        session,
        company,
        on=clean.visited_on,
        confirmed=confirmed,
        over_cap_reason=over_cap_reason,
    )
    visit = Visit(
        company_id=company.id,
        animateur_id=animateur.id,
        channel=clean.channel,
        visited_on=clean.visited_on,
        topics=clean.topics,
        outcome=clean.outcome,
        notes=clean.notes,
        need_detected=clean.need_detected,
        follow_up_on=clean.follow_up_on,
        submission_key=submission_key,
    )
    session.add(visit)
    session.flush()
    if clean.outcome == "ne_plus_solliciter" and not company.do_not_solicit:
        company.do_not_solicit = True
        audit(
            session,
            DO_NOT_SOLICIT_AT_VISIT,
            actor=animateur,
            entity="company",
            entity_id=company.id,
            details={"source": "visit"},
        )
        close_follow_ups_of(session, company, actor=animateur)
    if pressure.decision == "refuse":  # passed: check_contact let only the cap through
        audit(
            session,
            VISIT_OVER_CAP,
            actor=animateur,
            entity="visit",
            entity_id=visit.id,
            details={
                "reason": over_cap_reason_checked(over_cap_reason or ""),
                "cap": over_cap_figures(company.name, pressure),
            },
        )
    elif pressure.decision == "warn":
        # A contact made despite the warning is worth knowing about afterwards.
        audit(
            session,
            "visit.pressure_confirmed",
            actor=animateur,
            entity="visit",
            entity_id=visit.id,
            details={"reasons": list(pressure.reasons)},
        )
    return visit, pressure


# --- follow-ups ---------------------------------------------------------------------------


# The buckets of an animateur's open follow-ups ("Mes relances"), in their order.
FOLLOW_UP_BUCKETS = ("overdue", "today", "upcoming")


def follow_up_bucket(animateur_id: int, bucket: str, *, today: date) -> Select:
    """The open follow-ups of one animateur in ``bucket`` (overdue, due ``today``,
    upcoming), by date, with their company: a query to page."""
    due = {
        "overdue": Visit.follow_up_on < today,
        "today": Visit.follow_up_on == today,
        "upcoming": Visit.follow_up_on > today,
    }[bucket]
    return (
        select(Visit)
        .options(joinedload(Visit.company))
        .where(
            Visit.animateur_id == animateur_id,
            Visit.follow_up_on.is_not(None),
            Visit.follow_up_closed_at.is_(None),
            due,
        )
        .order_by(Visit.follow_up_on, Visit.id)
    )


def follow_up_totals(session: Session, animateur_id: int, *, today: date) -> dict[str, int]:
    """How many open follow-ups one animateur has in each bucket (one statement)."""
    counts, _first = _follow_up_queries(0)
    values = {"animateur_id": animateur_id, "today": today}
    return dict(zip(FOLLOW_UP_BUCKETS, session.execute(counts, values).one(), strict=True))


@dataclass(frozen=True)
class FollowUpCounts:
    """How many open follow-ups one animateur has in each bucket, and the first ones due
    (overdue then today's, oldest first): the home page's summary, without loading them all."""

    overdue: int
    today: int
    upcoming: int
    first_due: list[Visit]


def follow_up_counts(
    session: Session, animateur_id: int, *, today: date, shown: int
) -> FollowUpCounts:
    """The buckets of ``follow_up_bucket`` counted in SQL, with the ``shown`` first ones
    due."""
    totals = follow_up_totals(session, animateur_id, today=today)
    _counts, first = _follow_up_queries(shown)
    values = {"animateur_id": animateur_id, "today": today}
    first_due = session.scalars(first, values).all()
    return FollowUpCounts(totals["overdue"], totals["today"], totals["upcoming"], list(first_due))


@lru_cache(maxsize=8)
def _follow_up_queries(shown: int) -> tuple[Select, Select]:
    """The counts of an animateur's open follow-ups and the ``shown`` first due, for the
    ``animateur_id`` and ``today`` given when run: read by every home, built once."""
    today = bindparam("today", type_=Visit.follow_up_on.type)
    open_ones = (
        Visit.animateur_id == bindparam("animateur_id"),
        Visit.follow_up_on.is_not(None),
        Visit.follow_up_closed_at.is_(None),
    )
    counts = select(
        func.count().filter(Visit.follow_up_on < today),
        func.count().filter(Visit.follow_up_on == today),
        func.count().filter(Visit.follow_up_on > today),
    ).where(*open_ones)
    first = (
        select(Visit)
        .options(joinedload(Visit.company))
        .where(*open_ones, Visit.follow_up_on <= today)
        .order_by(Visit.follow_up_on, Visit.id)
        .limit(shown)
    )
    return counts, first


def reschedule_follow_up(
    session: Session, visit: Visit, new_date: date | str | None, *, actor: User, today: date
) -> Visit:
    """Move an open follow-up to another day (today or later); FollowUpClosed when it
    was closed already, whatever the date typed."""
    if visit.follow_up_closed_at is not None:
        raise FollowUpClosed()
    day = parse_date(new_date, "follow_up_on", "Nouvelle date")
    if day is None:
        raise VisitError({"follow_up_on": "Indiquez la nouvelle date de relance."})
    if day < today:
        raise VisitError({"follow_up_on": "La nouvelle date ne peut pas être déjà passée."})
    if day > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
        raise VisitError({"follow_up_on": TOO_FAR_FOLLOW_UP})
    before = visit.follow_up_on
    visit.follow_up_on = day
    audit(
        session,
        "visit.follow_up_reschedule",
        actor=actor,
        entity="visit",
        entity_id=visit.id,
        details={"from": before.isoformat() if before else None, "to": day.isoformat()},
    )
    return visit


def close_follow_up(session: Session, visit: Visit, *, actor: User) -> Visit:
    """Mark a follow-up as done (it leaves the list; the visit stays); FollowUpClosed,
    changing nothing, when it was closed already."""
    if visit.follow_up_closed_at is not None:
        raise FollowUpClosed()
    visit.follow_up_closed_at = utcnow()
    audit(session, "visit.follow_up_close", actor=actor, entity="visit", entity_id=visit.id)
    return visit


def close_follow_ups_of(session: Session, company: Company, *, actor: User | None) -> int:
    """Close every open follow-up of a company that asked not to be solicited any more,
    whoever planned it: nobody is to recontact it, nor be reminded to (the visits stay
    in the history). How many were closed."""
    visits = session.scalars(
        select(Visit).where(
            Visit.company_id == company.id,
            Visit.follow_up_on.is_not(None),
            Visit.follow_up_closed_at.is_(None),
        )
    ).all()
    for visit in visits:
        visit.follow_up_closed_at = utcnow()
        audit(
            session,
            "visit.follow_up_close",
            actor=actor,
            entity="visit",
            entity_id=visit.id,
            details={"reason": "ne_plus_solliciter"},
        )
    return len(visits)


# --- the visits list ----------------------------------------------------------------------


def latest_visits(session: Session, limit: int) -> list[ListedVisit]:
    """The visits last made, latest first, as listed (with their company)."""
    return as_listed(session.execute(_latest_visits(limit)))


@lru_cache(maxsize=8)
def _latest_visits(limit: int) -> Select:
    # Read by every animateur's home: built once.
    return listed_visits(VisitFilters()).limit(limit)


@dataclass(frozen=True)
class VisitFilters(ListFilters):
    """Filters of the visits list; None or empty means "any"."""

    ARGS = {
        "animateur_id": "animateur",
        "channel": "canal",
        "epci": "intercommunalite",
        "start": "du",
        "end": "au",
        "outcome": "issue",
    }

    animateur_id: int | None = None
    channel: str | None = None
    epci: str | None = None  # SIREN of an intercommunality
    start: date | None = None
    end: date | None = None
    outcome: str | None = None

    @classmethod
    def from_args(
        cls, args: Mapping[str, str], animateurs: Collection[int] | None = None
    ) -> tuple[VisitFilters, list[Refusal]]:
        """The filters of the list's query string and the values refused (left out), each
        with its field and its French message: a date not read, a choice not in its list
        and, given the ids of the ``animateurs`` the list offers, another one."""
        errors: list[Refusal] = []
        choice = choice_reader(args, errors)
        # In the order of the page's fields, as the error summary lists them.
        typed_animateur = text_arg(args, "animateur", 20)
        animateur = read_id(typed_animateur)
        if typed_animateur and (
            animateur is None or (animateurs is not None and animateur not in animateurs)
        ):
            errors.append(Refusal("animateur", "Animateur", from_the_list("un animateur")))
            animateur = None
        channel = choice("canal", "Canal", vocab.VISIT_CHANNELS, "un canal")
        # Any current intercommunality (the form offers the Pays' ones).
        epci = text_arg(args, "intercommunalite", 20)
        if epci and not territory.is_epci(epci):
            message = from_the_list("une intercommunalité")
            errors.append(Refusal("intercommunalite", "Intercommunalité", message))
            epci = ""
        dates = {}
        for key, label, named in (("du", "Du", "Date de début"), ("au", "Au", "Date de fin")):
            try:
                dates[key] = parse_date(args.get(key), key, named)
            except VisitError as exc:
                errors.extend(Refusal(key, label, why) for why in exc.errors.values())
                dates[key] = None
        if dates["du"] and dates["au"] and dates["du"] > dates["au"]:
            # An empty list with no word looked like "no visit in that span".
            why = "La date de fin précède la date de début : inversez-les."
            errors.append(Refusal("au", "Au", why))
            dates["au"] = None
        outcome = choice("issue", "Issue", vocab.VISIT_OUTCOMES, "une issue")
        filters = cls(
            animateur_id=animateur or None,
            channel=channel or None,
            epci=epci or None,
            start=dates["du"],
            end=dates["au"],
            outcome=outcome or None,
        )
        return filters, errors


@dataclass(frozen=True, slots=True)
class VisitCompany:
    ref: str
    name: str
    commune: str


@dataclass(frozen=True, slots=True)
class VisitAnimateur:
    full_name: str | None
    email: str


@dataclass(frozen=True, slots=True)
class ListedVisit:
    """A visit as a page of the list shows it, read as columns (a page of 25 visits with
    their companies and animateurs loaded as entities cost about a millisecond)."""

    id: int
    visited_on: date
    channel: str
    outcome: str | None
    need_detected: bool
    follow_up_on: date | None
    follow_up_closed_at: datetime | None
    company: VisitCompany
    animateur: VisitAnimateur | None


@lru_cache(maxsize=64)
def listed_visits(filters: VisitFilters) -> Select:
    """The rows of the visits matching the filters, newest first, for ``as_listed``.
    Built once per filters (the list's page is ``web.paging.paged`` of it)."""
    query = (
        select(
            Visit.id, Visit.visited_on, Visit.channel, Visit.outcome, Visit.need_detected,
            Visit.follow_up_on, Visit.follow_up_closed_at,
            Company.ref, Company.name, Company.commune, User.full_name, User.email,
        )
        .join(Company, Company.id == Visit.company_id)
        .outerjoin(User, User.id == Visit.animateur_id)
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
    )  # fmt: skip
    return _filtered(query, filters, company_joined=True)


def as_listed(rows: Iterable) -> list[ListedVisit]:
    """The rows of ``listed_visits`` as the visits a page lists."""
    return [
        ListedVisit(
            *row[:7],
            VisitCompany(row[7], row[8], row[9]),
            None if row[11] is None else VisitAnimateur(row[10], row[11]),
        )
        for row in rows
    ]


def _filtered(query: Select, filters: VisitFilters, *, company_joined: bool = False) -> Select:
    if filters.animateur_id is not None:
        query = query.where(Visit.animateur_id == filters.animateur_id)
    if filters.channel:
        query = query.where(Visit.channel == filters.channel)
    if filters.outcome:
        query = query.where(Visit.outcome == filters.outcome)
    if filters.start:
        query = query.where(Visit.visited_on >= filters.start)
    if filters.end:
        query = query.where(Visit.visited_on <= filters.end)
    if filters.epci:
        # Joined only when filtering on it (the list's rows have it joined already):
        # without it the counts read the visit table alone.
        communes = [c.insee for c in territory.communes_of_epci(filters.epci)]
        if not company_joined:
            query = query.join(Company, Visit.company_id == Company.id)
        query = query.where(Company.commune.in_(communes))
    return query


# The totals of every visit (the list without filters) are kept (``connectences.kept``):
# counting them reads an index entry per visit (3 ms at 50,000 visits) at each view of the
# list. A visit's channel and outcome never change once logged, so a new visit (a new
# highest id, read from the index) is what makes them count again; a deletion (retention,
# a company erased) shows once they are ``VISIT_TOTALS_SECONDS`` old.
VISIT_TOTALS_SECONDS = 60
_LATEST_VISIT = select(func.max(Visit.id))


def counted_visits(
    session: Session, filters: VisitFilters
) -> tuple[int, dict[str, list[tuple[str, str, int]]]]:
    """The number of visits matching the filters and their totals by channel and by
    outcome, every value of the vocabulary listed, counted by the database: one grouped query, whatever
    the number of visits (the list page only loads the page it shows)."""
    if filters == VisitFilters():
        total, channels, outcomes = kept(
            session,
            "visit_totals",
            session.scalar(_LATEST_VISIT),
            lambda: _counted(session, filters),
            seconds=VISIT_TOTALS_SECONDS,
        )
    else:
        total, channels, outcomes = _counted(session, filters)
    return total, _totals(channels, outcomes)


def _counted(session: Session, filters: VisitFilters) -> tuple[int, Counter, Counter]:
    query = _filtered(
        select(Visit.channel, Visit.outcome, func.count()).group_by(Visit.channel, Visit.outcome),
        filters,
    )
    channels: Counter = Counter()
    outcomes: Counter = Counter()
    for channel, outcome, count in session.execute(query):
        channels[channel] += count
        outcomes[outcome or ""] += count
    return sum(channels.values()), channels, outcomes


def _totals(channels: Counter, outcomes: Counter) -> dict[str, list[tuple[str, str, int]]]:
    by_outcome = [(k, lbl, outcomes.get(k, 0)) for k, lbl in vocab.VISIT_OUTCOMES.items()]
    if outcomes.get(""):
        by_outcome.append(("", "Non renseignée", outcomes[""]))
    return {
        "channels": [(k, lbl, channels.get(k, 0)) for k, lbl in vocab.VISIT_CHANNELS.items()],
        "outcomes": by_outcome,
    }


EXPORT_HEADERS = (
    "Date",
    "Entreprise",
    "SIRET",
    "Commune",
    "Intercommunalité",
    "Canal",
    "Sujets",
    "Issue",
    "Besoin détecté",
    "Relance prévue",
    "Relance close",
    "Animateur",
    "Notes",
)


# Visits an export reads from the database at a time.
EXPORT_BATCH = 1000


def export_rows(session: Session, filters: VisitFilters) -> Iterator[list]:
    """One row per visit matching the filters, newest first, in EXPORT_HEADERS order
    (labels in French): the list's columns and a few more, ``EXPORT_BATCH`` at a time
    (an entity per visit, with its company and animateur, took 465 MB at 50,000)."""
    query = listed_visits(filters).add_columns(Company.siret, Visit.topics, Visit.notes)
    for row in session.execute(query.execution_options(yield_per=EXPORT_BATCH)):
        visit = as_listed([row[:12]])[0]
        siret, topics, notes = row[12:]
        animateur = visit.animateur
        commune = visit.company.commune
        yield [
            visit.visited_on,
            visit.company.name,
            siret,
            commune_label(commune),
            epci_label(commune),
            vocab.label(vocab.VISIT_CHANNELS, visit.channel),
            ", ".join(vocab.label(vocab.VISIT_TOPICS, t) for t in topics or []),
            vocab.label(vocab.VISIT_OUTCOMES, visit.outcome),
            "oui" if visit.need_detected else "non",
            visit.follow_up_on or "",
            "oui" if visit.follow_up_closed_at else ("non" if visit.follow_up_on else ""),
            (animateur.full_name or animateur.email) if animateur else "",
            notes or "",
        ]
