"""The public content another platform synchronises (#15): events, resources, the
"Qui fait quoi" directory and testimonials. Which rows each reader reaches and how the
API shows them: what the public pages show, by the public pages' own rules
(``content.resources.public_condition``, ``content.testimonials.shown_condition``,
``content.directory.public_condition``), and a little more for the staff. ``sync``
reads them like the other kinds. No HTTP here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import joinedload, object_session, selectinload

from connectences.accounts.scope import STAFF_ROLES, is_usable
from connectences.clock import local_today
from connectences.content import directory, resources, testimonials
from connectences.events import catalogue, registrations
from connectences.models import Deletion, DirectoryEntry, Event, Resource, Testimonial, User

KINDS = ("events", "resources", "directory", "testimonials")
MODELS: dict[str, Any] = {
    "events": Event,
    "resources": Resource,
    "directory": DirectoryEntry,
    "testimonials": Testimonial,
}
# Resources are named by their address (slug); the others by their id.
REF_COLUMNS: dict[str, Any] = {"resources": Resource.slug}
# A resource's state for the staff, who also see the ones the public does not.
RESOURCE_STATES = ("publiee", "non_publiee", "expiree")


def _staff(user: User | None) -> bool:
    return is_usable(user) and user.role in STAFF_ROLES


def records_query(kind: str, user: User | None, readers: frozenset[str]) -> Select:
    """The ``kind`` records ``user`` reaches: the public ones; the staff also the
    resources the public does not see."""
    model = MODELS[kind]
    query = select(model)
    if not is_usable(user) or user.role not in readers:
        return query.where(false())
    if kind == "events":
        return query.options(selectinload(Event.partners))
    if kind == "resources":
        return query if _staff(user) else query.where(*resources.public_condition(local_today()))
    if kind == "directory":
        return query.options(
            joinedload(DirectoryEntry.operator), joinedload(DirectoryEntry.partner)
        ).where(*directory.public_condition())
    return query.where(*testimonials.shown_condition("site"))


def hidden_to_public(kind: str, user: User | None) -> Any | None:
    """For the staff, who see unpublished resources too: the condition that keeps only
    the tombstones of resources gone for good (None: every tombstone counts)."""
    if kind == "resources" and _staff(user):
        return Deletion.ref.not_in(select(Resource.slug))
    return None


def _moment(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _event(event: Event, staff: bool) -> dict[str, Any]:
    body = {
        "ref": str(event.id),
        "kind": event.kind,
        "kind_label": catalogue.KINDS.get(event.kind, ""),
        "title": event.title,
        "description": event.description,
        "starts_at": _moment(event.starts_at),
        "ends_at": _moment(event.ends_at),
        "place": event.place,
        # A webinar's link goes to the people registered only, never here.
        "online": event.link is not None,
        "audience": event.audience,
        "audience_label": catalogue.AUDIENCES.get(event.audience, ""),
        "partners": [partner.ref for partner in event.partners],
        "cancelled": event.cancelled_at is not None,
        "registration_open": registrations.is_open(event),
    }
    if staff:
        session = object_session(event)
        body["capacity"] = event.capacity
        body["seats_taken"] = registrations.seats_taken(session, event)
        body["waiting"] = registrations.waiting_count(session, event)
    return body


def _resource(resource: Resource, staff: bool) -> dict[str, Any]:
    body = {
        "ref": resource.slug,
        "title": resource.title,
        "summary": resource.summary,
        "body": resource.body,
        "topics": list(resource.topics or []),
        "naf_sections": list(resource.naf_sections or []),
        "size_bands": list(resource.size_bands or []),
        "epcis": list(resource.epcis or []),
        "source": resource.source,
        "source_url": resource.source_url,
        "valid_until": _moment(resource.valid_until),
    }
    if staff:
        body["state"] = (
            "publiee"
            if resources.is_public(resource)
            else "expiree"
            if resource.published
            else "non_publiee"
        )
    return body


def _entry(entry: DirectoryEntry) -> dict[str, Any]:
    organisation = entry.organisation
    return {
        "ref": str(entry.id),
        "organisation": organisation.ref,
        "organisation_kind": directory.kind_of(entry),
        "name": organisation.name,
        "kind_label": directory.kind_label(entry),
        "offer": entry.offer,
        "audience": entry.audience,
        "topics": list(entry.topics or []),
        "phone": entry.phone,
        "email": entry.email,
        "website": entry.website,
        "address": entry.address,
        "epcis": list(organisation.epcis or []),
        "published_at": _moment(entry.published_at),
    }


def _testimonial(testimonial: Testimonial) -> dict[str, Any]:
    return {
        "ref": str(testimonial.id),
        "title": testimonial.title,
        "body": testimonial.body,
        "company_label": testimonial.company_label,
    }


def as_record(kind: str, row: Any, user: User | None) -> dict[str, Any]:
    """A row as the API shows it to ``user``."""
    if kind == "events":
        return _event(row, _staff(user))
    if kind == "resources":
        return _resource(row, _staff(user))
    if kind == "directory":
        return _entry(row)
    return _testimonial(row)
