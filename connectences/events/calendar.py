"""iCalendar (RFC 5545) files of the events, written with the ``icalendar`` library:
one event for an agenda, the feed of every event an agenda can subscribe to, and the
invitation (iTIP REQUEST, RFC 5546) a registrant's mail carries when the event moves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from icalendar import Calendar, vCalAddress
from icalendar import Event as CalendarEvent

from connectences import config
from connectences.events.catalogue import KINDS, SEATED
from connectences.mail.outbox import platform_reply_to
from connectences.models import Event, EventRegistration, utcnow

PRODUCT_ID = "-//Connect'ences//Evenements//FR"
ONLINE = "En ligne (lien envoyé aux personnes inscrites)"


def _uid(event: Event, domain: str) -> str:
    # Stable across edits, so that agendas update the event instead of adding a copy.
    return f"evenement-{event.id}-{event.created_at:%Y%m%d%H%M%S}@{domain}"


def uid_domain() -> str:
    """The domain of the events' UIDs (the host of ``BASE_URL``): one for the .ics, the
    feed and the mails, so that each names the same event."""
    return urlsplit(config.setting("BASE_URL")).hostname or "localhost"


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
    calendar = _calendar(name)
    stamp = utcnow()
    for event in events:
        calendar.add_component(_item(event, link_of(event), domain, stamp))
    return calendar.to_ical()


def invitation_of(
    event: Event,
    registration: EventRegistration,
    *,
    link: str,
    domain: str,
    method: str = "REQUEST",
) -> bytes:
    """The ``text/calendar`` invitation mailed to one registrant when ``event`` changes
    (``METHOD:REQUEST``) or is cancelled (``METHOD:CANCEL``, the event STATUS:CANCELLED):
    the event of the .ics (same UID, its SEQUENCE), so that an agenda holding it moves or
    removes it; the platform's contact address as ORGANIZER; the registrant as ATTENDEE,
    accepted when seated, tentative while waiting, with no reply asked (RSVP=FALSE: a
    cancellation goes through the link of the mail)."""
    calendar = _calendar(event.title)
    calendar.add("method", method)
    item = _item(event, link, domain, utcnow())
    platform = config.setting("PLATFORM_NAME")
    address = platform_reply_to()
    if address is None:  # no contact address set: the one the mails leave from
        address = parseaddr(config.setting("MAIL_FROM"))[1]
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = platform
    item.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "ACCEPTED" if registration.status == SEATED else "TENTATIVE"
    attendee.params["rsvp"] = "FALSE"
    item.add("attendee", attendee)
    calendar.add_component(item)
    return calendar.to_ical()


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _item(event: Event, link: str, domain: str, stamp: datetime) -> CalendarEvent:
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
    item.add("url", link)
    item.add("last-modified", event.updated_at)
    if event.cancelled_at is not None:
        # RFC 5545 3.8.1.11: an agenda that holds the event shows it cancelled.
        item.add("status", "CANCELLED")
    return item
