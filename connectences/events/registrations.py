"""Registering to an event: confirmation by e-mail, seats and waiting list, cancellation
by the registrant's own link, promotion of the next person waiting, reminders.

- A registration waits (``pending``) until its address is confirmed by the mailed link:
  only then does it take a seat, or a place on the waiting list when the event is full,
  so nobody can fill an event with addresses that are not theirs.
- A seat freed (a cancellation, a larger capacity) goes to the first person waiting, in
  the order they confirmed, who is told by mail.
- The links are signed for one purpose and one registration (``connectences.signed``):
  a confirmation link cannot cancel, and no link reaches another registration.
- A change of day, time or place is mailed to everyone seated or waiting, with the
  event's .ics under the same UID and a higher SEQUENCE attached as an invitation
  (``text/calendar; method=REQUEST``) that moves the event in their agenda; the public
  .ics says the same (a cancellation raises the SEQUENCE too).
- A registration from a company of the directory (same SIRET, or its address) is on the
  company's timeline as a contact the company asked for: the contact-pressure guard
  shows it but does not count it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, joinedload

from connectences import config
from connectences.accounts import throttle
from connectences.accounts.audit import audit
from connectences.clock import LOCAL_TZ
from connectences.contacts import InvalidEmail, NameKind, clean_email, email_key, read_name
from connectences.db_session import begin_writing
from connectences.errors import DomainError
from connectences.events import calendar, catalogue
from connectences.events.catalogue import (
    CANCELLED,
    PENDING,
    SEATED,
    WAITING,
)
from connectences.mail import Attachment, MailKind, queue_template
from connectences.models import (
    Company,
    CompanyContact,
    Event,
    EventRegistration,
    OutboxMessage,
    User,
    utcnow,
)
from connectences.prospection.companies import (
    CompanyError,
    clean_siret,
    find_company_by_siret,
    is_provisional,
)
from connectences.signed import LinkError, make_token, read_token
from connectences.typography import time_slot
from connectences.urls import external_url

CONFIRM_SALT = "event-registration-confirm"
CANCEL_SALT = "event-registration-cancel"
CONFIRM_MAX_AGE = 7 * 24 * 3600
# A cancellation link lasts as long as any event could be announced ahead.
CANCEL_MAX_AGE = 400 * 24 * 3600
# Registrations per address typed, and per client address, in an hour.
PER_EMAIL = throttle.ThrottlePolicy(max_failures=5, window_seconds=3600, lock_seconds=3600)
PER_IP = throttle.ThrottlePolicy(max_failures=30, window_seconds=3600, lock_seconds=3600)


class RegistrationError(DomainError):
    """A registration refused: ``errors`` per field, or ``message`` for the whole form."""


class RegistrationThrottled(RegistrationError):
    """Too many registrations from one address, or one client, within the hour."""


def seats_taken(session: Session, event: Event) -> int:
    return _count(session, event, SEATED)


def seats_over(session: Session, event: Event) -> int:
    """How many people hold a seat beyond the capacity (it was lowered under the seats
    taken): nobody loses a seat they hold; the next ones wait until enough are freed."""
    return max(seats_taken(session, event) - event.capacity, 0)


def waiting_count(session: Session, event: Event) -> int:
    return _count(session, event, WAITING)


def _count(session: Session, event: Event, status: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(EventRegistration)
        .where(EventRegistration.event_id == event.id, EventRegistration.status == status)
    )


def is_open(event: Event, now: datetime | None = None) -> bool:
    """Whether people may still register: not cancelled, not started."""
    return event.cancelled_at is None and event.starts_at > (now or utcnow())


def is_over(event: Event, now: datetime | None = None) -> bool:
    """Whether the event has ended."""
    return event.ends_at < (now or utcnow())


def _validate(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = read_name(data, "name", errors, NameKind.FULL, missing="Indiquez votre nom.")
    try:
        email = clean_email(data.get("email"), required=True)
    except InvalidEmail as exc:
        errors["email"] = str(exc)
        email = None
    organisation = read_name(data, "organisation", errors, NameKind.COMPANY) or None
    siret = None
    if str(data.get("siret") or "").strip():
        try:
            siret = clean_siret(str(data.get("siret")))
        except CompanyError as exc:
            errors["siret"] = exc.errors["siret"]
    if errors:
        raise RegistrationError(errors=errors)
    return {"name": name, "email": email, "organisation": organisation, "siret": siret}


def register(
    session: Session,
    event: Event,
    data: Mapping[str, Any],
    *,
    ip: str | None = None,
    now: datetime | None = None,
) -> EventRegistration:
    """Record a registration waiting for its address to be confirmed, and queue the mail
    with the confirmation link. The same address registered again gets the same row:
    while it is unconfirmed, with the name, organisation and SIRET typed last and its
    link mailed once more; once confirmed, unchanged.

    Raises RegistrationError: invalid fields, event closed, or too many registrations
    from this address or this client address within the hour.
    """
    now = now or utcnow()
    values = _validate(data)
    if not is_open(event, now):
        raise RegistrationError("Les inscriptions à cet événement sont closes.")
    until = throttle.spend(session, ["event-email:" + values["email"]], PER_EMAIL, now)
    until = until or throttle.spend(session, ["event-ip:" + (ip or "inconnue")[:200]], PER_IP, now)
    if until is not None:
        raise RegistrationThrottled(
            "Trop d'inscriptions envoyées depuis cette adresse en peu de temps. "
            f"Réessayez après {until.astimezone(LOCAL_TZ):%H:%M}."
        )
    # Under the event's lock: two requests of the same address at once would both find
    # no registration and both add one (one person, two links, two seats).
    _locked_event(session, event.id)
    existing = session.scalar(
        select(EventRegistration).where(
            EventRegistration.event_id == event.id,
            EventRegistration.email == values["email"],
            EventRegistration.status != CANCELLED,
        )
    )
    if existing is not None and existing.status != PENDING:
        return existing
    if existing is None:
        registration = EventRegistration(event_id=event.id, status=PENDING, **values)
        session.add(registration)
    else:
        # Anyone may type any address: until its owner confirms, the details typed first
        # are no truer than the latest, and must not stick on the owner's registration.
        registration = existing
        registration.name = values["name"]
        registration.organisation = values["organisation"]
        registration.siret = values["siret"]
        registration.company_id = None
    session.flush()
    _mail(
        session,
        registration,
        MailKind.EVENT_CONFIRM,
        f"Confirmez votre inscription : {event.title}",
        "event_confirm",
        link=external_url("events.confirm", token=confirm_token(registration)),
        days=CONFIRM_MAX_AGE // 86400,
    )
    return registration


def confirm_token(registration: EventRegistration) -> str:
    return make_token(CONFIRM_SALT, {"r": registration.id, "e": registration.email})


def cancel_token(registration: EventRegistration) -> str:
    return make_token(CANCEL_SALT, {"r": registration.id, "e": registration.email})


def _read(session: Session, salt: str, token: str, max_age: int) -> EventRegistration:
    payload = read_token(salt, token, max_age)
    registration = (
        session.get(
            EventRegistration, payload.get("r"), options=[joinedload(EventRegistration.event)]
        )
        if isinstance(payload.get("r"), int)
        else None
    )
    if registration is None or registration.email != payload.get("e"):
        raise LinkError("Ce lien ne correspond à aucune inscription en cours.")
    return registration


def for_confirmation(session: Session, token: str) -> EventRegistration:
    """The registration a confirmation link names, without acting (LinkError otherwise)."""
    return _read(session, CONFIRM_SALT, token, CONFIRM_MAX_AGE)


def for_cancellation(session: Session, token: str) -> EventRegistration:
    """The registration a cancellation link names, without acting (LinkError otherwise)."""
    return _read(session, CANCEL_SALT, token, CANCEL_MAX_AGE)


def confirm(session: Session, token: str, *, now: datetime | None = None) -> EventRegistration:
    """Confirm the address of a registration from its link: it takes a seat, or a place
    on the waiting list when the event is full, and the person is told which. A link
    opened twice changes nothing, nor does one for an event cancelled or started since
    (the registration stays unconfirmed; its page says why). Raises LinkError (forged,
    expired, unknown)."""
    now = now or utcnow()
    registration = _read(session, CONFIRM_SALT, token, CONFIRM_MAX_AGE)
    if registration.status != PENDING:
        return registration
    event = _locked_event(session, registration.event_id)
    # Read again under the lock: the same link confirmed meanwhile (a second tap, another
    # tab) is not decided a second time, on a count that now holds its own seat (the
    # person put on the waiting list behind their own seat, mailed twice).
    session.refresh(registration)
    if registration.status != PENDING or not is_open(event, now):
        return registration
    registration.confirmed_at = now
    registration.company_id = _matching_company_id(session, registration)
    if seats_taken(session, event) < event.capacity:
        registration.status, registration.seated_at = SEATED, now
    else:
        registration.status = WAITING
    session.flush()
    _mail(
        session,
        registration,
        MailKind.EVENT_REGISTERED,
        (
            f"Inscription confirmée : {event.title}"
            if registration.status == SEATED
            else f"Liste d'attente : {event.title}"
        ),
        "event_registered",
        cancel_link=external_url("events.cancel", token=cancel_token(registration)),
        waiting_rank=waiting_rank(session, registration),
    )
    return registration


def cancel(session: Session, token: str, *, now: datetime | None = None) -> EventRegistration:
    """Cancel a registration from the registrant's link; the seat it frees goes to the
    first person waiting. Cancelling twice changes nothing, nor does a link opened once
    the event has begun (no seat can go to anyone then, and the person may be recorded
    as present: ``events.attendance``) or was cancelled. Raises LinkError."""
    now = now or utcnow()
    registration = _read(session, CANCEL_SALT, token, CANCEL_MAX_AGE)
    if registration.status == CANCELLED or not is_open(registration.event, now):
        return registration
    freed = registration.status == SEATED
    registration.status, registration.cancelled_at = CANCELLED, now
    session.flush()
    if freed:
        fill_seats(session, _locked_event(session, registration.event_id), now=now)
    return registration


def edited_values(session: Session, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    """The staff form's values for a change of ``event`` (``catalogue.validate_event``:
    it may keep its day, even past); EventError when invalid."""
    return catalogue.validate_event(
        data,
        catalogue.active_partner_ids(session),
        stored_day=event.starts_at.astimezone(LOCAL_TZ).date(),
    )


def update_event(
    session: Session, event: Event, data: Mapping[str, Any], *, by: User | None
) -> int:
    """Change an event from the staff form (EventError when invalid); the number of
    people told of a change.

    When the day, the times or the place change, everyone seated or waiting is mailed
    what changed (``notify_change``). A larger capacity then seats the people waiting,
    first come first served (their mail is queued by ``fill_seats``)."""
    values = edited_values(session, event, data)
    before = Schedule.of(event)
    catalogue.apply_form(session, event, values)
    session.flush()
    told = notify_change(session, event, before)
    fill_seats(session, event)
    audit(session, "event.update", actor=by, entity="event", entity_id=event.id,
          details={"told": told} if told else None)  # fmt: skip
    return told


@dataclass(frozen=True)
class Schedule:
    """When and where an event happens: what its registrants rely on."""

    starts_at: datetime
    ends_at: datetime
    place: str | None

    @classmethod
    def of(cls, event: Event) -> Schedule:
        return cls(event.starts_at, event.ends_at, event.place)

    def changes_to(self, other: Schedule) -> list[tuple[str, str, str]]:
        """What differs, as (what, before, after) in French words, Paris time."""
        changes = []
        if (self.starts_at, self.ends_at) != (other.starts_at, other.ends_at):
            changes.append(("Date et horaires", time_slot(self.starts_at, self.ends_at),
                            time_slot(other.starts_at, other.ends_at)))  # fmt: skip
        if self.place != other.place:
            changes.append(("Lieu", self.place or NO_PLACE, other.place or NO_PLACE))
        return changes


# An event without a place happens online (its link goes to the people seated).
NO_PLACE = "en ligne"


def to_tell_of_changes(session: Session, event: Event, *, now: datetime | None = None) -> int:
    """How many people a change of day, time or place would be mailed to: everyone seated
    or waiting, unless the event is cancelled or over."""
    if event.cancelled_at is not None or is_over(event, now):
        return 0
    return seats_taken(session, event) + waiting_count(session, event)


def notify_change(
    session: Session, event: Event, before: Schedule, *, now: datetime | None = None
) -> int:
    """After ``event`` was edited: when its day, times or place differ from ``before``,
    raise its .ics SEQUENCE and mail everyone seated or waiting what changed (before →
    after), with their cancellation link, the link to the updated .ics and the event
    attached as an invitation for their agenda (``calendar.invitation_of``). Nobody is
    told about a cancelled event, or one over. The number of people mailed."""
    changes = before.changes_to(Schedule.of(event))
    if not changes:
        return 0
    event.sequence = (event.sequence or 0) + 1
    if event.cancelled_at is not None or is_over(event, now):
        return 0
    told = attendees(session, event)
    for registration in told:
        _mail(
            session,
            registration,
            MailKind.EVENT_CHANGED,
            f"Changement de date ou de lieu : {event.title}",
            "event_changed",
            changes=changes,
            cancel_link=external_url("events.cancel", token=cancel_token(registration)),
            attachments=[_invitation(event, registration, "REQUEST")],
        )
    session.flush()
    return len(told)


def _invitation(event: Event, registration: EventRegistration, method: str) -> Attachment:
    """The event attached to one registrant's mail as an invitation for their agenda
    (``calendar.invitation_of``): REQUEST when it moves, CANCEL when it is cancelled."""
    invitation = calendar.invitation_of(
        event,
        registration,
        link=external_url("events.show", event_id=event.id),
        domain=calendar.uid_domain(),
        method=method,
    )
    return Attachment(
        filename=f"evenement-{event.id}.ics",
        mime_type="text/calendar",
        content=invitation.decode("utf-8"),
        params={"method": method},
    )


def fill_seats(session: Session, event: Event, *, now: datetime | None = None) -> int:
    """Seat the people waiting, in the order they confirmed, while seats are free; each
    is mailed. Returns how many were seated."""
    now = now or utcnow()
    free = event.capacity - seats_taken(session, event)
    if free <= 0 or not is_open(event, now):
        return 0
    promoted = list(
        session.scalars(
            select(EventRegistration)
            .where(EventRegistration.event_id == event.id, EventRegistration.status == WAITING)
            .order_by(EventRegistration.confirmed_at, EventRegistration.id)
            .limit(free)
        )
    )
    for registration in promoted:
        registration.status, registration.seated_at = SEATED, now
        _mail_seated(
            session, registration, MailKind.EVENT_PROMOTED,
            f"Une place s'est libérée : {event.title}", "event_promoted",
        )  # fmt: skip
    session.flush()
    return len(promoted)


def waiting_rank(session: Session, registration: EventRegistration) -> int | None:
    """The place of a waiting registration in its event's waiting list (1 = next); None
    when it is not waiting."""
    if registration.status != WAITING:
        return None
    return session.scalar(
        select(func.count())
        .select_from(EventRegistration)
        .where(
            EventRegistration.event_id == registration.event_id,
            EventRegistration.status == WAITING,
            or_(
                EventRegistration.confirmed_at < registration.confirmed_at,
                (EventRegistration.confirmed_at == registration.confirmed_at)
                & (EventRegistration.id <= registration.id),
            ),
        )
    )


def _locked_event(session: Session, event_id: int) -> Event:
    # The event row is the lock every seat decision and every new registration takes
    # (PostgreSQL: two confirmations at once are decided one after the other). SQLite
    # ignores FOR UPDATE: the database's write lock is taken instead, now
    # (``db_session.begin_writing``), so that what is read next is what the previous
    # writer committed. The session's copy of the event is read again with the lock
    # (``populate_existing``): an event cancelled by another request since this one read
    # it is decided on as cancelled.
    begin_writing(session.connection())
    return session.scalars(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _matching_company_id(session: Session, registration: EventRegistration) -> int | None:
    """The company of the directory the registrant came for: the one with the SIRET
    given, else the only one whose address or one of whose contacts' is theirs."""
    if registration.siret:
        company = find_company_by_siret(session, registration.siret)
        # Not one only an unconfirmed public need knows of: nobody vouched for it.
        if company is not None and not is_provisional(company):
            return company.id
    key = email_key(registration.email)
    ids = set(
        session.scalars(select(Company.id).where(func.lower(Company.contact_email) == key))
    ) | set(
        session.scalars(
            select(CompanyContact.company_id).where(func.lower(CompanyContact.email) == key)
        )
    )
    return ids.pop() if len(ids) == 1 else None


def _mail(session, registration, kind, subject, template, attachments=(), **context) -> None:
    event = registration.event or session.get(Event, registration.event_id)
    queue_template(
        session,
        kind=kind,
        to=registration.email,
        subject=subject,
        template=template,
        reply_to=config.setting("CONTACT_EMAIL") or None,
        attachments=attachments,
        registration=registration,
        event=event,
        event_link=external_url("events.show", event_id=event.id),
        ics_link=external_url("events.ics", event_id=event.id),
        **context,
    )


def _mail_seated(session, registration, kind, subject, template) -> None:
    """A mail to someone with a seat: it carries their own cancellation link."""
    _mail(
        session,
        registration,
        kind,
        subject,
        template,
        cancel_link=external_url("events.cancel", token=cancel_token(registration)),
    )


def cancel_event(session: Session, event: Event, *, by: User | None) -> int:
    """Cancel an event: it leaves the public lists and the feed, registration closes,
    and everyone seated or waiting is told; the number of people told. Cancelling
    twice tells nobody again. Raises DomainError for an event already over."""
    if event.cancelled_at is not None:
        return 0
    if is_over(event):
        raise DomainError("Cet événement est passé : il ne peut plus être annulé.")
    event.cancelled_at = utcnow()
    # The .ics now says STATUS:CANCELLED: agendas holding the event take it when newer.
    event.sequence = (event.sequence or 0) + 1
    told = attendees(session, event)
    for registration in told:
        _mail(
            session,
            registration,
            MailKind.EVENT_CANCELLED,
            f"Événement annulé : {event.title}",
            "event_cancelled",
            # Agendas that took the event remove it (METHOD:CANCEL, same UID).
            attachments=[_invitation(event, registration, "CANCEL")],
        )
    session.flush()
    audit(session, "event.cancel", actor=by, entity="event", entity_id=event.id)
    return len(told)


def registrations_of_address(session: Session, email: str | None) -> list[EventRegistration]:
    """Every registration made with ``email`` (any case), any status, oldest first: what
    the platform holds about the person as a registrant."""
    key = email_key(email)
    if not key:
        return []
    return list(
        session.scalars(
            select(EventRegistration)
            .options(joinedload(EventRegistration.event))
            .where(func.lower(EventRegistration.email) == key)
            .order_by(EventRegistration.created_at, EventRegistration.id)
        )
    )


# The mails a registration brings to its address: they hold the name, the event and the
# links of the registration, and go with it when the person is erased.
REGISTRATION_MAILS = (
    MailKind.EVENT_CONFIRM,
    MailKind.EVENT_REGISTERED,
    MailKind.EVENT_PROMOTED,
    MailKind.EVENT_REMINDER,
    MailKind.EVENT_CHANGED,
    MailKind.EVENT_CANCELLED,
)


def erase_registrations_of(session: Session, email: str | None) -> int:
    """Delete every registration made with ``email`` (a person's erasure, whoever they
    are: a company's contact, someone of the CV library), and the mails they brought to
    that address (tied to no profile: a person of the CV library erasing themself left
    them behind); a seat they held goes to the first person waiting. How many
    registrations were deleted."""
    found = registrations_of_address(session, email)
    if key := email_key(email):
        session.execute(
            delete(OutboxMessage)
            .where(func.lower(OutboxMessage.to) == key, OutboxMessage.kind.in_(REGISTRATION_MAILS))
            .execution_options(synchronize_session=False)
        )
    freed = {r.event for r in found if r.status == SEATED}
    for registration in found:
        session.delete(registration)
    session.flush()
    for event in freed:
        fill_seats(session, event)
    return len(found)


def tomorrow_window(today: date) -> tuple[datetime, datetime]:
    """The UTC instants bounding the local day after ``today``."""
    start = datetime.combine(today + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=1)


def send_reminders(session: Session, today: date, *, now: datetime | None = None) -> int:
    """Mail each seated registrant of the events of tomorrow (Paris) once; the number
    of reminders queued. ``reminded_at`` is written with the mail, so a second run the
    same day (or a retried job) sends nothing more."""
    now = now or utcnow()
    start, end = tomorrow_window(today)
    due = session.scalars(
        select(EventRegistration)
        .join(Event)
        .options(joinedload(EventRegistration.event))
        .where(
            Event.starts_at >= start,
            Event.starts_at < end,
            Event.cancelled_at.is_(None),
            EventRegistration.status == SEATED,
            EventRegistration.reminded_at.is_(None),
        )
        .order_by(EventRegistration.id)
        .with_for_update(of=EventRegistration)
    ).all()
    for registration in due:
        registration.reminded_at = now
        _mail_seated(
            session, registration, MailKind.EVENT_REMINDER,
            f"C'est demain : {registration.event.title}", "event_reminder",
        )  # fmt: skip
    session.flush()
    return len(due)


def attendees(session: Session, event: Event) -> list[EventRegistration]:
    """The people seated then waiting (in the waiting list's order), for the organiser."""
    order = {SEATED: 0, WAITING: 1}
    rows = session.scalars(
        select(EventRegistration)
        .options(joinedload(EventRegistration.company))
        .where(
            EventRegistration.event_id == event.id,
            EventRegistration.status.in_(tuple(order)),
        )
        .order_by(EventRegistration.confirmed_at, EventRegistration.id)
    ).all()
    return sorted(rows, key=lambda r: order[r.status])


STATUS_LABELS = {
    PENDING: "Adresse non confirmée",
    SEATED: "Inscrit",
    WAITING: "Liste d'attente",
    CANCELLED: "Annulé",
}
ATTENDEE_HEADERS = (
    "Statut",
    "Nom",
    "Adresse e-mail",
    "Entreprise ou structure",
    "SIRET",
    "Entreprise de l'annuaire",
    "Confirmé le",
    "Venu",
)


def attendee_rows(session: Session, event: Event) -> list[list]:
    """The rows of the attendees' export (``ATTENDEE_HEADERS``), times in Paris."""
    return [
        [
            STATUS_LABELS[r.status],
            r.name,
            r.email,
            r.organisation or "",
            r.siret or "",
            r.company.name if r.company else "",
            r.confirmed_at.astimezone(LOCAL_TZ).replace(tzinfo=None) if r.confirmed_at else "",
            "" if r.attended is None else ("Oui" if r.attended else "Non"),
        ]
        for r in attendees(session, event)
    ]
