"""Commitments a person reports (work found outside the platform), kept by the animateurs.

``read_commitment`` checks what a form gives (French message per field, nothing
written on a refusal); ``add_commitment``, ``update_commitment`` and
``remove_commitment`` write it with the person's history line, bump their
``updated_at`` (matching re-reads them) and let their status follow their week
(``cvtheque.status.settle_status``). The caller commits. The person keeps their own
commitments from their space through the same functions (``actor_label``: said by the
person), except those of a placement recorded here (``remove_own_commitment``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from connectences.clock import local_today
from connectences.cvtheque.history import record_event
from connectences.cvtheque.status import settle_status
from connectences.dates import commitment_day_problem, period_text, read_typed_date
from connectences.errors import DomainError
from connectences.matching import week
from connectences.matching.data import candidate_from_model
from connectences.models import Candidate, Commitment, User
from connectences.models.base import utcnow
from connectences.numbers import read_number, too_precise
from connectences.typography import hours_plain, too_long
from connectences.vocab import CANDIDATE_STATUSES, DAYS

MAX_LABEL = 200


class CommitmentError(DomainError):
    """A commitment refused: ``errors`` maps each form field to its French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()), errors)


@dataclass(frozen=True)
class CommitmentValues:
    label: str | None
    hours_per_week: float
    days: list[str]
    start: date | None
    until: date | None


# The form's date fields: (name in the messages, subject of a sentence).
_DAY_WORDS = {
    "start": ("Date de début", "La date de début"),
    "until": ("Dernier jour", "Le dernier jour"),
}


def _day(
    text: str | None, field: str, stored: date | None, errors: dict[str, str], today: date
) -> date | None:
    """The date typed in ``field`` (``AAAA-MM-JJ`` or ``jj/mm/aaaa``), None when empty;
    a text that is no date, or a day outside a working life, is an error of ``field``.
    A day already stored is kept as it is (a commitment is edited for its hours)."""
    text = (text or "").strip()
    if not text:
        return None
    if stored is not None and text == stored.isoformat():
        return stored  # even out of the window, as an interchange document may send it
    name, what = _DAY_WORDS[field]
    day, why = read_typed_date(text, name)
    if why:
        errors[field] = why
    elif day != stored and (problem := commitment_day_problem(day, today, what=what)):
        errors[field] = problem
    return day


def read_commitment(
    candidate: Candidate,
    *,
    label: str | None,
    hours: str | None,
    days: list[str],
    start: str | None,
    until: str | None,
    replacing: Commitment | None = None,
    today: date | None = None,
) -> CommitmentValues:
    """The commitment a form describes, or ``CommitmentError`` with one message per field.

    1 to 48 hours (``8``, ``8,5``, ``7h30``), at least one day, no more hours than the days
    hold (``week.beyond_days``), dates read as every form
    reads them (``dates.read_date``) within a working life (``COMMITMENT_YEARS_BACK``
    years back, ``YEARS_AHEAD`` ahead: 01/01/1900 is a slip), an end not before the
    start, and a week of commitments (those running on one same day with this one,
    ``running_together``, this one included) of 48 hours at most, on six days at most
    (``week.seventh_day``).
    """
    today = today or local_today()
    errors: dict[str, str] = {}
    text = (label or "").strip() or None
    if too := too_long("Le libellé", text, MAX_LABEL):
        errors["label"] = too
    value = read_number(hours, "h")
    if value is None:
        errors["hours"] = (
            too_precise(hours) or "Indiquez le nombre d'heures par semaine (un nombre)."
        )
    elif not 1 <= value <= 48:
        errors["hours"] = "Le nombre d'heures par semaine doit être entre 1 et 48."
    chosen = [d for d in DAYS if d in set(days or ())]
    if not chosen:
        errors["days"] = "Cochez au moins un jour."
    elif len(chosen) != len(set(days)):
        errors["days"] = "Choisissez des jours de la liste."
    elif "hours" not in errors and (problem := week.beyond_days(value, chosen)):
        errors["days"] = problem
    begin = _day(start, "start", _stored(replacing, "start"), errors, today)
    end = _day(until, "until", _stored(replacing, "until"), errors, today)
    if "until" not in errors and end and begin and "start" not in errors and end < begin:
        errors["until"] = "Le dernier jour ne peut pas précéder la date de début."
    if value is not None and "hours" not in errors and "until" not in errors:
        # Work that ends before this one starts, or starts after it ends, never shares a
        # day or a week with it: only the work running together on some day adds up, and
        # what runs together changes only on a day some work starts.
        others = [c for c in candidate.commitments if replacing is None or c is not replacing]
        total = None
        for together in running_together(others, begin, end, today):
            total = total or week.over_week_limit(
                [*((c.hours_per_week, c.until) for c in together), (value, end)], today
            )
            if "days" not in errors and (end is None or end >= today):
                running = [(c.hours_per_week, c.days or ()) for c in together]
                if problem := week.beyond_days_together(value, chosen, running) or (
                    week.seventh_day(chosen, (c.days or () for c in together))
                ):
                    errors["days"] = problem
        if total is not None:
            errors["hours"] = (
                f"Avec cet engagement, la semaine compterait {hours_plain(total)} : "
                f"pas plus de {hours_plain(week.MAX_WEEK_HOURS)} en tout."
            )
    if errors:
        raise CommitmentError(errors)
    return CommitmentValues(text, value, chosen, begin, end)


def running_together(
    others: list[Commitment], start: date | None, until: date | None, today: date
) -> list[list[Commitment]]:
    """The sets of ``others`` (not ended on ``today``) running on one same day with work
    from ``start`` to ``until`` (open when None): on its first day (today at the
    earliest) and on each day one of them starts within it. A commitment's forms and a
    placement (``today`` its first day) judge the week's rules on each set."""
    first = max(start, today) if start else today
    days = {first} | {
        c.start
        for c in others
        if c.start and c.start > first and (until is None or c.start <= until)
    }
    return [
        [
            c
            for c in others
            if (c.start is None or c.start <= day) and (c.until is None or c.until >= day)
        ]
        for day in sorted(days)
    ]


def _stored(commitment: Commitment | None, name: str) -> date | None:
    return getattr(commitment, name) if commitment is not None else None


def describe(c: Commitment | CommitmentValues) -> str:
    """'8 h le mardi (Comptabilité, GE Bassin Emploi), jusqu'au 30/06/2027'."""
    text = f"{hours_plain(c.hours_per_week)} {week.on_days_text(c.days or ())}"
    if c.label:
        text += f" ({c.label})"
    if c.until:
        text += f", {period_text(None, c.until)}"
    return text


def _held_over_wish(candidate: Candidate, today: date | None) -> tuple[float, float] | None:
    """(hours held, hours at most) when the commitments not ended on ``today`` add up to
    more than the person wants at most; None otherwise."""
    person = candidate_from_model(candidate)
    held = week.committed_hours(person, today or local_today())
    return None if week.hours_fit(held, person.hours_max) else (held, person.hours_max)


def over_wished_hours(candidate: Candidate, today: date | None = None) -> str | None:
    """A French note when the work the person holds (commitments not ended on ``today``)
    adds up to more hours a week than they want at most, None otherwise.

    Not a refusal: a person may take more work than they first wished. But they then have
    no free hours left (matching proposes them nothing) and, once the work is open-ended,
    they turn "placé" (``status.settled_status``): whoever records the commitment (the
    animateur's form, the placement's mail to the animateur) is told, and the week's
    summary says it. Read after the status has settled."""
    over = _held_over_wish(candidate, today)
    if over is None:
        return None
    held, hours_max = over
    name = f"{candidate.first_name} {candidate.last_name}"
    consequence = (
        f"la personne passe au statut « {CANDIDATE_STATUSES['place']} » et ne reçoit plus "
        "de propositions"
        if candidate.status == "place"
        else "aucun besoin ne lui est proposé tant que ces engagements durent"
    )
    # Worded without a pronoun for the person (no gender is known) nor an elision.
    return (
        f"Avec ses engagements, {name} travaille {hours_plain(held)} par semaine, plus que "
        f"les {hours_plain(hours_max)} au plus de son profil : {consequence}. "
        "Si la personne souhaite travailler davantage, elle peut relever ce maximum dans "
        "son espace CV."
    )


def held_hours_hint(candidate: Candidate, today: date | None = None) -> str | None:
    """Said to the person under their hours at most, when they already hold work: the
    hours are the week's total. None without a commitment running on ``today``."""
    held = week.committed_hours(candidate_from_model(candidate), today or local_today())
    if not held:
        return None
    return (
        f"Vous travaillez déjà {hours_plain(held)} par semaine : comptez-les dans ce total "
        "(entre 1 et 48)."
    )


def own_hours_warning(candidate: Candidate, today: date | None = None) -> str | None:
    """``over_wished_hours`` said to the person themselves, after they changed their
    profile: their work already fills the hours they want at most. None otherwise."""
    over = _held_over_wish(candidate, today)
    if over is None:
        return None
    held, hours_max = over
    return (
        f"Vous travaillez déjà {hours_plain(held)} par semaine, plus que les "
        f"{hours_plain(hours_max)} au plus de votre profil : vous ne recevrez plus "
        "aucune proposition. Vous cherchez d'autres heures ? Comptez le travail que vous "
        "avez déjà et indiquez un maximum plus élevé."
    )


def _after_change(
    session: Session,
    candidate: Candidate,
    actor: User | None,
    summary: str,
    actor_label: str | None = None,
):
    candidate.updated_at = utcnow()
    record_event(session, candidate, "commitment", summary, actor=actor, actor_label=actor_label)
    settle_status(
        session, candidate, actor=actor, actor_label=actor_label, reason="semaine modifiée"
    )


def commitment_of(candidate: Candidate, commitment_id: int) -> Commitment | None:
    """One of the person's commitments by its id; None for anyone else's (or none)."""
    return next((c for c in candidate.commitments if c.id == commitment_id), None)


def add_commitment(
    session: Session,
    candidate: Candidate,
    values: CommitmentValues,
    *,
    actor: User | None,
    actor_label: str | None = None,
) -> Commitment:
    """Record work the person holds outside the platform (declared by an animateur, or by
    the person from their space: ``actor`` None, ``actor_label`` says who)."""
    commitment = Commitment(
        label=values.label,
        hours_per_week=values.hours_per_week,
        days=values.days,
        start=values.start,
        until=values.until,
        source="declared",
        created_by_id=actor.id if actor else None,
    )
    candidate.commitments.append(commitment)
    _after_change(
        session, candidate, actor, f"Engagement ajouté : {describe(values)}.", actor_label
    )
    return commitment


def stored_fields(values: CommitmentValues) -> dict:
    """``values`` as a commitment stores them (attribute: value): what a form writes,
    and what ``workflows.unchanged_since`` compares a form sent again with."""
    return {
        "label": values.label,
        "hours_per_week": values.hours_per_week,
        "days": values.days,
        "start": values.start,
        "until": values.until,
    }


def update_commitment(
    session: Session,
    candidate: Candidate,
    commitment: Commitment,
    values: CommitmentValues,
    *,
    actor: User | None,
    actor_label: str | None = None,
) -> bool:
    """Change one of the person's commitments (an animateur, or the person from their
    space: ``actor`` None, ``actor_label`` says who); False when nothing differs."""
    before = describe(commitment)
    fields = stored_fields(values)
    if all(getattr(commitment, k) == v for k, v in fields.items()):
        return False
    _placement_follows(commitment, values.hours_per_week)
    for key, value in fields.items():
        setattr(commitment, key, value)
    _after_change(
        session,
        candidate,
        actor,
        f"Engagement modifié : {before} → {describe(values)}.",
        actor_label,
    )
    return True


def _placement_follows(commitment: Commitment, hours: float) -> None:
    """A placement's commitment for one of its companies (``need_id``) given ``hours``:
    the placement keeps that company's hours (``PlacementNeed.hours_per_week``, what it
    shows once the person is erased) and its total in step. One over several companies
    says no company's share: the placement is left as recorded."""
    placement = commitment.placement
    if placement is None or commitment.need_id is None or hours == commitment.hours_per_week:
        return
    row = next((r for r in placement.needs if r.need_id == commitment.need_id), None)
    if row is None:
        return
    placement.hours_per_week = placement.hours_per_week + hours - commitment.hours_per_week
    row.hours_per_week = hours


def remove_commitment(
    session: Session,
    candidate: Candidate,
    commitment: Commitment,
    *,
    actor: User | None,
    actor_label: str | None = None,
) -> None:
    """Remove one of the person's commitments (work that stopped, or a mistake)."""
    summary = f"Engagement retiré : {describe(commitment)}."
    candidate.commitments.remove(commitment)
    _after_change(session, candidate, actor, summary, actor_label)


# Said to the person who tries to remove the work of a placement recorded here.
PLACEMENT_KEPT = (
    "Ce travail a été enregistré par la plateforme lors de votre embauche : pour le "
    "retirer, demandez à votre animateur."
)


# Said to the person who tries to change it.
PLACEMENT_KEPT_CHANGE = (
    "Ce travail a été enregistré par la plateforme lors de votre embauche : pour le "
    "modifier, demandez à votre animateur."
)


def removable_by_person(commitment: Commitment) -> bool:
    """Whether the person may change or remove ``commitment`` from their space: work they
    or an animateur declared, not a placement recorded on the platform (its end is recorded
    with the placement, by the staff)."""
    return commitment.source != "placement"


def update_own_commitment(
    session: Session,
    candidate: Candidate,
    commitment: Commitment,
    values: CommitmentValues,
    *,
    actor_label: str,
) -> bool:
    """The person changes one of their commitments from their space (its hours, its
    days, its last day once the work stops); ``CommitmentError`` (nothing changed) for a
    placement's. False when nothing differs."""
    if not removable_by_person(commitment):
        raise CommitmentError({"commitment": PLACEMENT_KEPT_CHANGE})
    return update_commitment(
        session, candidate, commitment, values, actor=None, actor_label=actor_label
    )


def remove_own_commitment(
    session: Session, candidate: Candidate, commitment: Commitment, *, actor_label: str
) -> None:
    """The person removes one of their commitments from their space; ``CommitmentError``
    (nothing changed) for a placement's."""
    if not removable_by_person(commitment):
        raise CommitmentError({"commitment": PLACEMENT_KEPT})
    remove_commitment(session, candidate, commitment, actor=None, actor_label=actor_label)


@dataclass(frozen=True)
class DayRow:
    """One day of the person's week: what takes it, or whether it is free."""

    day: str  # "lundi"
    taken_by: list[str]  # "8 h par semaine — Comptabilité, GE Bassin Emploi"
    state: str  # "pris", "libre", "non"

    @property
    def state_label(self) -> str:
        return {"pris": "Pris", "libre": "Libre", "non": "Pas disponible"}[self.state]


@dataclass(frozen=True)
class WeekView:
    """The person's week today: one row a day, the hours held and left, in French."""

    rows: list[DayRow]
    held_hours: float
    free_hours: float
    hours_max: float
    current: list[Commitment]
    later: list[Commitment]  # ended: kept as history
    summary: str
    full_for: str | None = None  # ``week.full_for``: "hours", "days" or None
    coming: tuple[Commitment, ...] = ()  # in ``current``, not started yet (``week.not_started``)

    @property
    def has_commitments(self) -> bool:
        return bool(self.current)

    def dates(self, c: Commitment) -> str:
        """When ``c`` runs (``week.dates_text``): 'à partir du 22/02/2027' for work of
        ``coming``, 'jusqu'au 30/06/2027' for work with an end, 'du … au …' for both;
        the lines of commitments under the week say it after their days, as its rows."""
        return period_text(c.start if c in self.coming else None, c.until)


# What the week says of work whose label the reader may not see: another operator's
# placement (its company and operator), or work the person declared themself.
OTHER_WORK = "autre emploi"


def label_as_read(
    c: Commitment, label_shown: Callable[[Commitment], bool] | None = None
) -> str | None:
    """``c``'s label as its reader may see it (``label_shown``, None: all of it): its own,
    or ``OTHER_WORK`` for work that is none of their business."""
    return c.label if label_shown is None or label_shown(c) else OTHER_WORK


def week_view(
    candidate: Candidate,
    today: date | None = None,
    label_shown: Callable[[Commitment], bool] | None = None,
) -> WeekView:
    """The person's week as it stands today (commitments not ended), day by day.
    ``label_shown``: whether the reader may see a commitment's label (where and for whom
    the person works); the others read ``OTHER_WORK``, their hours and days kept."""

    today = today or local_today()
    current = week.running(candidate.commitments, today)
    ended = [c for c in candidate.commitments if c not in current]
    rows = []
    for key, name in DAYS.items():
        holding = [c for c in current if key in (c.days or ())]
        if holding:
            taken = [
                f"{hours_plain(c.hours_per_week)} par semaine"
                + (f" — {label}" if (label := label_as_read(c, label_shown)) else "")
                + (f", {when}" if (when := week.dates_text(c, today)) else "")
                for c in holding
            ]
            rows.append(DayRow(name, taken, "pris"))
        elif key in (candidate.days or ()):
            rows.append(DayRow(name, [], "libre"))
        else:
            rows.append(DayRow(name, [], "non"))
    person = candidate_from_model(candidate)
    held = week.committed_hours(person, today)
    free = week.hours_left(person, today)
    # Work not started yet counts (a need starting before it may run into it) but is
    # not said to be done already: « prévu … à partir du … » (``week.held_text``).
    coming = [c for c in current if week.not_started(c, today)]
    starts: dict[date, float] = {}
    for c in coming:
        starts[c.start] = starts.get(c.start, 0.0) + c.hours_per_week
    begun = held - sum(starts.values())
    more = " de plus" if begun else " par semaine"
    head = week.held_text(
        [f"{hours_plain(begun)} par semaine"] if len(coming) < len(current) else [],
        [f"{hours_plain(h)}{more} {week.from_text(d)}" for d, h in sorted(starts.items())],
    )
    if current and not week.hours_fit(held, person.hours_max):
        # More than the person wants at most: "sur 20 h au plus : reste 0 h" hid it.
        summary = (
            f"{head} : {hours_plain(held)} par semaine, plus que les "
            if coming
            else f"Déjà {hours_plain(held)} par semaine, plus que les "
        ) + f"{hours_plain(person.hours_max)} au plus : aucune heure libre."
    elif current:
        summary = (
            f"{head} : {hours_plain(held)} sur {hours_plain(person.hours_max)} au plus, "
            f"reste {hours_plain(free)}"
            if coming
            else f"Déjà {hours_plain(held)} par semaine sur {hours_plain(person.hours_max)} "
            f"au plus : reste {hours_plain(free)}"
        )
        free_days = week.free_days(person, today)
        summary += f", libre {week.days_text(free_days)}." if free_days else ", aucun jour libre."
    else:
        summary = (
            f"Aucun engagement en cours : jusqu'à {hours_plain(person.hours_max)} "
            "par semaine à trouver."
        )
    return WeekView(
        rows,
        held,
        free,
        person.hours_max,
        current,
        ended,
        summary,
        week.full_for(person),
        tuple(coming),
    )
