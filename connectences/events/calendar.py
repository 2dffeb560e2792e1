"""iCalendar (RFC 5545) files of the events, written with the ``icalendar`` library:
one event for an agenda, and the feed of every event an agenda can subscribe to."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from connectences.events.catalogue import KINDS
from connectences.models import Event, utcnow

PRODUCT_ID = "-//Connect'ences//Evenements//FR"
ONLINE = "En ligne (lien envoyé aux personnes inscrites)"


def _uid(event: Event, domain: str) -> str:
    # Stable across edits, so that agendas update the event instead of adding a copy.
    return f"evenement-{event.id}-{event.created_at:%Y%m%d%H%M%S}@{domain}"


def summary(event: Event) -> str:
    """The event's title after its kind (``Webinaire : Les aides à l'embauche``), the
    title alone when it already starts with the kind (``Job dating du printemps``)."""
    label = KINDS.get(event.kind, event.kind)
    if event.title.casefold().startswith(label.casefold()):
        return event.title
    return f"{label} : {event.title}"


def calendar_of(
    events: Iterable[Event],
    *,
    name: str,
    link_of: Callable[[Event], str],
    domain: str,
) -> bytes:
    """The ``text/calendar`` body holding ``events`` (UTC times, a stable UID each, the
    event's page as URL, place or connection link as LOCATION, the event's SEQUENCE,
    STATUS:CANCELLED for a cancelled one)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = utcnow()
    for event in events:
        item = CalendarEvent()
        item.add("uid", _uid(event, domain))
        item.add("dtstamp", stamp)
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at)
        # Agendas replace the copy they hold only with a higher SEQUENCE (same UID).
        item.add("sequence", event.sequence or 0)
        item.add("summary", summary(event))
        parts = [event.description or ""]
        if event.partners:
            parts.append("Avec : " + ", ".join(p.name for p in event.partners))
        description = "\n\n".join(part for part in parts if part)
        if description:
            item.add("description", description)
        # The connection link of a webinar goes to registrants only, never in a public file.
        item.add("location", event.place or ONLINE)
        item.add("url", link_of(event))
        item.add("last-modified", event.updated_at)
        if event.cancelled_at is not None:
            # RFC 5545 3.8.1.11: an agenda that holds the event shows it cancelled.
            item.add("status", "CANCELLED")
        calendar.add_component(item)
    return calendar.to_ical()
