"""Public pages of the events: the list, each event with its registration form, the
links mailed to registrants (confirm, cancel), the .ics of an event and the calendar
feed. Rules live in ``connectences.events``."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request

from connectences.events import catalogue, registrations
from connectences.events.calendar import calendar_of, uid_domain
from connectences.extensions import db
from connectences.urls import external_url
from connectences.web.access import public
from connectences.web.known_owner import known_owner
from connectences.web.signed_pages import signed_link_page

bp = Blueprint("events", __name__, url_prefix="/evenements")
CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _event_or_404(event_id: int):
    event = catalogue.get_event(db.session, event_id)
    if event is None:
        abort(404)
    return event


@bp.route("")
@public
def index():
    return render_template(
        "events/index.html", events=catalogue.upcoming(db.session), kinds=catalogue.KINDS
    )


def _render_show(event, *, status=200, errors=None, data=None, message=None):
    return (
        render_template(
            "events/show.html",
            event=event,
            kinds=catalogue.KINDS,
            audiences=catalogue.AUDIENCES,
            seats_left=max(event.capacity - registrations.seats_taken(db.session, event), 0),
            open=registrations.is_open(event),
            over=registrations.is_over(event),
            errors=errors or {},
            data=data or {},
            message=message,
        ),
        status,
    )


@bp.route("/<int:event_id>")
@public
def show(event_id: int):
    # A logged-in owner is not asked again what their account says; a form sent back
    # with an error keeps what was typed (``register``).
    owner = known_owner()
    data = {
        "name": owner.get("owner_name", ""),
        "email": owner.get("owner_email", ""),
        "organisation": owner.get("company_name", ""),
        "siret": owner.get("siret", ""),
    }
    return _render_show(_event_or_404(event_id), data=data if owner else None)


@bp.route("/<int:event_id>/inscription", methods=["POST"])
@public
def register(event_id: int):
    event = _event_or_404(event_id)
    data = request.form.to_dict()
    try:
        registration = registrations.register(db.session, event, data, ip=request.remote_addr)
    except registrations.RegistrationError as refusal:
        # The throttle's count is kept (committed), the rest is not written.
        db.session.commit()
        return _render_show(
            event,
            status=422
            if refusal.errors
            else 429
            if isinstance(refusal, registrations.RegistrationThrottled)
            else 409,
            errors=refusal.errors,
            data=data,
            message=None if refusal.errors else refusal.message,
        )
    db.session.commit()
    # Only what was typed is repeated: the row of an address already registered holds
    # its owner's name, which a stranger typing that address must not learn.
    return render_template(
        "events/registration_sent.html",
        event=event,
        name=data.get("name"),
        email=registration.email,
    )


@bp.route("/inscription/confirmer/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):
    """The confirmation button, then where the registration stands (seat or waiting)."""

    def show(registration):
        if registration.status == catalogue.PENDING:
            return render_template(
                "events/confirm.html",
                registration=registration,
                token=token,
                open=registrations.is_open(registration.event),
            )
        return render_template(
            "events/registered.html",
            registration=registration,
            waiting_rank=registrations.waiting_rank(db.session, registration),
        )

    return signed_link_page(
        token,
        endpoint="events.confirm",
        read=registrations.for_confirmation,
        act=registrations.confirm,
        show=show,
    )


@bp.route("/inscription/annuler/<token>", methods=["GET", "POST"])
@public
def cancel(token: str):
    """The cancellation button, then that it is cancelled (the seat went to the next)."""

    def show(registration):
        if registration.status == catalogue.CANCELLED:
            return render_template("events/cancelled.html", registration=registration)
        return render_template(
            "events/cancel.html",
            registration=registration,
            token=token,
            open=registrations.is_open(registration.event),
        )

    return signed_link_page(
        token,
        endpoint="events.cancel",
        read=registrations.for_cancellation,
        act=registrations.cancel,
        show=show,
    )


def _calendar_response(events, name: str, filename: str) -> Response:
    body = calendar_of(
        events,
        name=name,
        link_of=lambda event: external_url("events.show", event_id=event.id),
        domain=uid_domain(),
    )
    response = Response(body, content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.route("/<int:event_id>.ics")
@public
def ics(event_id: int):
    event = _event_or_404(event_id)
    return _calendar_response([event], event.title, f"evenement-{event.id}.ics")


@bp.route("/agenda.ics")
@public
def feed():
    platform = current_app.config["PLATFORM_NAME"]
    return _calendar_response(
        catalogue.for_calendar(db.session), f"Événements {platform}", "evenements.ics"
    )
