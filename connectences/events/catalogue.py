"""The events the team organises: kinds, audiences, validation, and the public lists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from connectences.accounts.audit import audit
from connectences.clock import LOCAL_TZ, local_instant
from connectences.dates import read_typed_date, too_far_ahead
from connectences.errors import DomainError
from connectences.models import Event, EventRegistration, Partner, User, utcnow
from connectences.text import form_line
from connectences.typography import decimal_fr, time_slot, too_long

KINDS: dict[str, str] = {
    "webinaire": "Webinaire",
    "petit_dejeuner": "Petit déjeuner d'entreprises",
    "job_dating": "Job dating",
    "reunion_information": "Réunion d'information",
}
AUDIENCES: dict[str, str] = {
    "entreprises": "Dirigeants et dirigeantes d'entreprise",
    "candidats": "Personnes en recherche d'emploi",
    "tous": "Entreprises et personnes en recherche d'emploi",
}
# Registrations holding a seat or waiting for one (``EventRegistration.status``).
SEATED = "registered"
WAITING = "waiting"
PENDING = "pending"
CANCELLED = "cancelled"
ACTIVE_STATUSES = (SEATED, WAITING)
TITLE_MAX = 200
PLACE_MAX = 300
LINK_MAX = 500
# The presentation is shown whole on the event's page, in the calendar feed and (its
# start) in the newsletter: a few paragraphs, not a document.
DESCRIPTION_MAX = 5_000
CAPACITY_MAX = 10_000
_TIME = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")


class EventError(DomainError):
    """Invalid event data: ``errors`` maps each field to a French message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors=errors)


MIDNIGHT = time(0, 0)


def _parse_time(text: str) -> time | None:
    found = _TIME.match(text)
    return time(int(found.group(1)), int(found.group(2))) if found else None


def validate_event(
    data: Mapping[str, Any],
    partner_ids: set[int],
    *,
    stored_day: date | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The typed values of an event form (Paris local date and times turned into UTC
    instants); EventError with one French message per wrong field.

    ``partner_ids`` are the partners that exist; the form's ``partners`` must be among them.
    The day is today or later, within the years a plan may reach (``dates``); an event
    being edited may keep the day it has (``stored_day``), even once past. A new day's
    start must be to come (an event today at a morning hour already gone reached no list),
    and each hour must exist on the clocks of Arcachon that day (the spring change skips
    from 2 to 3 a.m.: "02:30 to 03:30" was stored as an event of no length).
    ``now`` is the moment the form is sent (the clock's by default; the demo announces
    its events as they were weeks ago).
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    kind = str(data.get("kind") or "")
    if kind not in KINDS:
        errors["kind"] = "Choisissez le type d'événement."
    values["kind"] = kind
    values["title"] = form_line(data, "title", errors, limit=TITLE_MAX, what="Le titre",
                                missing="Indiquez le titre de l'événement.")  # fmt: skip
    values["description"] = str(data.get("description") or "").strip().replace("\r\n", "\n")
    if too := too_long("La présentation", values["description"], DESCRIPTION_MAX):
        errors["description"] = too
    audience = str(data.get("audience") or "")
    if audience not in AUDIENCES:
        errors["audience"] = "Choisissez à qui s'adresse l'événement."
    values["audience"] = audience

    day, why = read_typed_date(
        str(data.get("day") or ""), "Date", missing="Indiquez la date de l'événement."
    )
    now = (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    today = now.date()
    if why:
        errors["day"] = why
    elif day != stored_day and day < today:
        errors["day"] = "La date de l'événement est passée : indiquez une date à venir."
    elif day != stored_day and (problem := too_far_ahead(day, today)):
        errors["day"] = problem
    start_text = str(data.get("start") or "").strip()
    end_text = str(data.get("end") or "").strip()
    start, end = _parse_time(start_text), _parse_time(end_text)
    if start is None:
        errors["start"] = "Indiquez l'heure de début (par exemple 08:30)."
    # An end at 00:00 is midnight of the same evening ("20:00–00:00"), the next day's
    # first instant; only an event starting at midnight itself cannot end then.
    ends_at_midnight = end == MIDNIGHT and start != MIDNIGHT
    if end is None:
        errors["end"] = "Indiquez l'heure de fin (par exemple 10:00)."
    elif start is not None and end <= start and not ends_at_midnight:
        errors["end"] = "L'heure de fin doit suivre l'heure de début (00:00 pour finir à minuit)."
    if day and start and end and not errors.get("day"):
        values["starts_at"] = local_instant(day, start)
        values["ends_at"] = local_instant(day + timedelta(days=1) if ends_at_midnight else day, end)
        for name, typed in (("start", start), ("end", end)):
            if values[f"{name}s_at"] is None:
                errors[name] = (
                    f"{typed.strftime('%H:%M')} n'existe pas le {day.strftime('%d/%m/%Y')} : "
                    "au passage à l'heure d'été, les horloges passent de 2 h à 3 h. "
                    "Indiquez une heure à partir de 03:00."
                )
        if day != stored_day and values["starts_at"] and values["starts_at"] <= now:
            errors["start"] = (
                f"L'heure de début est passée (il est {now.strftime('%H:%M')}) : "
                "indiquez une heure à venir."
            )

    place = " ".join(str(data.get("place") or "").split()) or None
    link = str(data.get("link") or "").strip() or None
    if too := too_long("Le lieu", place, PLACE_MAX):
        errors["place"] = too
    if link and (len(link) > LINK_MAX or not re.match(r"^https://\S+$", link)):
        errors["link"] = "Le lien doit être une adresse complète commençant par https://."
    if not place and not link:
        errors["place"] = "Indiquez le lieu, ou le lien de connexion pour un webinaire."
    values["place"], values["link"] = place, link

    capacity_text = str(data.get("capacity") or "").strip()
    try:
        capacity = int(capacity_text)
    except ValueError:
        capacity = None
    if capacity is None or capacity < 1:
        errors["capacity"] = "Indiquez le nombre de places, un nombre entier à partir de 1."
    elif capacity > CAPACITY_MAX:
        errors["capacity"] = (
            "Ce nombre de places paraît trop grand : vérifiez-le "
            f"(au plus {decimal_fr(CAPACITY_MAX, 0)} places)."
        )
    values["capacity"] = capacity

    chosen = data.get("partners") or []
    try:
        chosen_ids = {int(value) for value in chosen}
    except (TypeError, ValueError):
        chosen_ids = {-1}
    if not chosen_ids <= partner_ids:
        errors["partners"] = "Choisissez les partenaires dans la liste."
    values["partners"] = sorted(chosen_ids & partner_ids)
    if errors:
        raise EventError(errors)
    return values


def stored(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (``validate_event``) as an event holds them once saved (attribute:
    value, its partners as ``Event.partner_ids``): what ``workflows.unchanged_since``
    compares a form sent again with."""
    kept = ("kind", "title", "description", "audience", "place", "link", "capacity")
    return {
        **{key: values[key] for key in kept},
        "starts_at": values["starts_at"],
        "ends_at": values["ends_at"],
        "partner_ids": values["partners"],
    }


# How a refusal names an event's fields (``holds_now``): the staff form's labels.
HELD_WORDS: dict[str, str] = {
    "kind": "type",
    "title": "titre",
    "description": "présentation",
    "audience": "pour qui",
    "slot": "date et horaire",
    "place": "lieu",
    "link": "lien de connexion",
    "capacity": "nombre de places",
    "partner_ids": "partenaires",
}
# A presentation longer than this is cited up to there (a refusal is read in a box).
HELD_TEXT_MAX = 160


def holds_now(event: Event, values: Mapping[str, Any]) -> str:
    """What the stored ``event`` says in each field where it differs from ``values``
    (the staff form's checked values, as ``stored`` gives them), in the form's words and
    order ("Il indique maintenant : lieu : Mairie, Biganos."); empty when nothing differs.
    Told to the person whose form was read before someone else changed the event
    (``workflows.unchanged_since``): the fields the other save changed, with their
    values now (and those this person changed, as the event still holds them)."""
    now = []
    for name, words in HELD_WORDS.items():
        if name == "slot":
            if (event.starts_at, event.ends_at) != (values["starts_at"], values["ends_at"]):
                now.append(f"{words} : {time_slot(event.starts_at, event.ends_at)}")
        elif getattr(event, name) != values[name]:
            now.append(f"{words} : {_held_words(event, name)}")
    return f"Il indique maintenant : {' ; '.join(now)}." if now else ""


def _held_words(event: Event, name: str) -> str:
    """The value of ``event``'s field ``name`` as a refusal cites it."""
    value = getattr(event, name)
    if name == "kind":
        return KINDS.get(value, value)
    if name == "audience":
        return AUDIENCES.get(value, value)
    if name == "partner_ids":
        return ", ".join(sorted(p.name for p in event.partners)) or "aucun"
    if value in (None, ""):
        return "(vide)"
    if name == "capacity":
        return str(value)
    text = " ".join(str(value).split())
    if len(text) > HELD_TEXT_MAX:
        text = text[:HELD_TEXT_MAX].rstrip() + "…"
    return f"« {text} »" if name in ("title", "description") else text


def apply_form(session: Session, event: Event, values: dict[str, Any]) -> None:
    for key in ("kind", "title", "description", "audience", "place", "link", "capacity"):
        setattr(event, key, values[key])
    event.starts_at, event.ends_at = values["starts_at"], values["ends_at"]
    ids = values["partners"]
    event.partners = (
        list(session.scalars(select(Partner).where(Partner.id.in_(ids)))) if ids else []
    )


def create_event(
    session: Session, data: Mapping[str, Any], *, by: User | None, now: datetime | None = None
) -> Event:
    """Store a new event from the staff form (EventError when invalid), sent at ``now``
    (the clock's by default)."""
    values = validate_event(data, active_partner_ids(session), now=now)
    event = Event(organiser_id=by.id if by else None, created_at=now or utcnow())
    apply_form(session, event, values)
    session.add(event)
    session.flush()
    audit(session, "event.create", actor=by, entity="event", entity_id=event.id)
    return event


def active_partner_ids(session: Session) -> set[int]:
    return set(session.scalars(select(Partner.id).where(Partner.active.is_(True))))


def active_partners(session: Session) -> list[Partner]:
    """The partners an event may name, by name."""
    return list(
        session.scalars(
            select(Partner).where(Partner.active.is_(True)).order_by(Partner.sort_name, Partner.id)
        )
    )


def form_values(event: Event) -> dict[str, Any]:
    """What the staff form shows for a stored event (Paris local date and times)."""
    start, end = event.starts_at.astimezone(LOCAL_TZ), event.ends_at.astimezone(LOCAL_TZ)
    return {
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "audience": event.audience,
        "day": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "place": event.place or "",
        "link": event.link or "",
        "capacity": str(event.capacity),
        "partners": [str(p.id) for p in event.partners],
    }


def get_event(session: Session, event_id: int) -> Event | None:
    return session.get(Event, event_id, options=[selectinload(Event.partners)])


def upcoming(session: Session, *, limit: int | None = None, now: datetime | None = None):
    """The events not over yet and not cancelled, soonest first (public list, feed,
    newsletter)."""
    return list(session.scalars(_upcoming_query(limit), {"now": now or utcnow()}))


# What an event's card shows (events/_macros.html): the home keeps these rows.
CARD_COLUMNS = (Event.id, Event.kind, Event.title, Event.starts_at, Event.ends_at, Event.place)


def upcoming_cards(
    session: Session, *, limit: int | None = None, now: datetime | None = None
) -> list[Row]:
    """``upcoming`` as rows of ``CARD_COLUMNS`` (the home page): bound to no session,
    a worker keeps them."""
    return list(session.execute(_upcoming_query(limit, cards=True), {"now": now or utcnow()}))


@lru_cache(maxsize=16)
def _upcoming_query(limit: int | None, cards: bool = False) -> Select:
    # Built once per limit, the moment bound when run.
    query = select(*CARD_COLUMNS) if cards else select(Event).options(selectinload(Event.partners))
    query = query.where(
        Event.ends_at >= bindparam("now", type_=Event.ends_at.type),
        Event.cancelled_at.is_(None),
    ).order_by(Event.starts_at, Event.id)
    return query.limit(limit) if limit else query


def for_calendar(session: Session, *, now: datetime | None = None) -> list[Event]:
    """The events a calendar feed carries: the coming ones and those of the last 90 days."""
    since = (now or utcnow()) - timedelta(days=90)
    return list(
        session.scalars(
            select(Event)
            .options(selectinload(Event.partners))
            .where(Event.ends_at >= since, Event.cancelled_at.is_(None))
            .order_by(Event.starts_at, Event.id)
        )
    )


def staff_list(session: Session) -> list[tuple[Event, int, int]]:
    """Every event, latest first, with its seats taken and its waiting list's length."""
    counts = {
        (event_id, status): number
        for event_id, status, number in session.execute(
            select(EventRegistration.event_id, EventRegistration.status, func.count())
            .where(EventRegistration.status.in_(ACTIVE_STATUSES))
            .group_by(EventRegistration.event_id, EventRegistration.status)
        )
    }
    events = session.scalars(select(Event).order_by(Event.starts_at.desc(), Event.id.desc()))
    return [
        (event, counts.get((event.id, SEATED), 0), counts.get((event.id, WAITING), 0))
        for event in events
    ]
