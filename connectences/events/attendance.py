"""Who came to an event: once it has begun, its organiser ticks the registrants who came
(seated or waiting: someone waiting may come anyway) and counts the people who came
without registering. Recorded again as often as needed (a late arrival), each time whole:
a registrant not ticked did not come."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from connectences.errors import DomainError
from connectences.events.registrations import attendees
from connectences.models import Event, User, utcnow
from connectences.typography import decimal_fr, time_slot

# Beyond any room the platform fills: a typo, not an audience.
WALK_INS_MAX = 10_000
CANCELLED = "Cet événement a été annulé : il n'y a pas de présences à noter."
UNKNOWN_PERSON = "Une des personnes cochées n'est pas inscrite à cet événement (rechargez la page)."


@dataclass(frozen=True)
class Attendance:
    """What the organiser recorded: ``None`` counts while nothing is recorded."""

    present: int | None
    absent: int | None
    walk_ins: int | None

    @property
    def total(self) -> int | None:
        """Everyone who came, registered or not."""
        if self.present is None:
            return None
        return self.present + (self.walk_ins or 0)


def may_record(event: Event, now: datetime | None = None) -> bool:
    """Attendance is recorded once the event has begun, unless it was cancelled."""
    return event.cancelled_at is None and event.starts_at <= (now or utcnow())


def refusal(event: Event, now: datetime | None = None) -> str | None:
    """Why attendance cannot be recorded now (French), or None."""
    if event.cancelled_at is not None:
        return CANCELLED
    if not may_record(event, now):
        return (
            f"Les présences se notent une fois l'événement commencé ({time_slot(event.starts_at)})."
        )
    return None


def read_walk_ins(typed: str | None) -> int:
    """The number of people who came without registering, as typed (empty: none).
    Raises DomainError (French, field ``sans_inscription``)."""
    text = (typed or "").strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit():
        why = "Indiquez un nombre entier de personnes (0 s'il n'y en a pas)."
        raise DomainError(why, errors={"sans_inscription": why})
    number = int(text)
    if number > WALK_INS_MAX:
        why = (
            "Ce nombre paraît trop grand : vérifiez-le "
            f"(au plus {decimal_fr(WALK_INS_MAX, 0)} personnes)."
        )
        raise DomainError(why, errors={"sans_inscription": why})
    return number


def record(
    session: Session,
    event: Event,
    present_ids: Iterable[int],
    walk_ins: int,
    *,
    by: User | None,
    now: datetime | None = None,
) -> Attendance:
    """Record who came: each seated or waiting registrant is present when their id is in
    ``present_ids``, absent otherwise. Raises DomainError (French) and changes nothing
    when the event has not begun or was cancelled, or an id is not one of them."""
    now = now or utcnow()
    if why := refusal(event, now):
        raise DomainError(why)
    people = attendees(session, event)
    present = set(present_ids)
    if present - {person.id for person in people}:
        raise DomainError(UNKNOWN_PERSON)
    for person in people:
        person.attended = person.id in present
    event.walk_ins = walk_ins
    event.attendance_at = now
    event.attendance_by_id = getattr(by, "id", None)
    session.flush()
    return summary(event, people)


def summary(event: Event, people) -> Attendance:
    """The counts of ``people`` (the event's seated and waiting registrants, as
    ``registrations.attendees`` gives them)."""
    if event.attendance_at is None:
        return Attendance(present=None, absent=None, walk_ins=None)
    came = sum(1 for person in people if person.attended)
    return Attendance(present=came, absent=len(people) - came, walk_ins=event.walk_ins or 0)
