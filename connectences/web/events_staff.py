"""The team's event pages: the list, creating and changing an event, its attendees and
their XLSX export. Rules live in ``connectences.events``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from connectences.accounts.audit import audit
from connectences.errors import DomainError
from connectences.events import attendance, catalogue, registrations
from connectences.extensions import db
from connectences.models import Event
from connectences.typography import plural
from connectences.web.access import guard_blueprint, recent_login_required
from connectences.web.actions import changed_meanwhile, commit_or_refuse
from connectences.web.downloads import send_table
from connectences.web.navigation import add_nav
from connectences.workflows import ChangedMeanwhile, unchanged_since_read

bp = Blueprint("events_staff", __name__, url_prefix="/animateur/evenements")
guard_blueprint(bp, "animateur", "admin")
for _role in ("animateur", "admin"):
    add_nav(_role, "Événements", "events_staff.index")


def _event_or_404(event_id: int):
    event = catalogue.get_event(db.session, event_id)
    if event is None:
        abort(404)
    return event


def _form_data() -> dict:
    data = request.form.to_dict()
    data["partners"] = request.form.getlist("partners")
    return data


def _render_form(*, event=None, data, errors=None, status=200):
    return (
        render_template(
            "events/staff_form.html",
            event=event,
            data=data,
            errors=errors or {},
            kinds=catalogue.KINDS,
            audiences=catalogue.AUDIENCES,
            description_max=catalogue.DESCRIPTION_MAX,
            partners=catalogue.active_partners(db.session),
            to_tell=registrations.to_tell_of_changes(db.session, event) if event else 0,
            edits=catalogue.form_values,
        ),
        status,
    )


@bp.route("")
def index():
    return render_template(
        "events/staff_index.html", rows=catalogue.staff_list(db.session), kinds=catalogue.KINDS
    )


@bp.route("/nouveau", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _render_form(data={"capacity": "30", "audience": "entreprises"})
    data = _form_data()
    return commit_or_refuse(
        lambda: catalogue.create_event(db.session, data, by=current_user),
        refusals=catalogue.EventError,
        back=url_for("events_staff.new"),
        then=url_for("events_staff.index"),
        done="L'événement est publié.",
        render=lambda errors: _render_form(data=data, errors=errors, status=422),
    )


@bp.route("/<int:event_id>/modifier", methods=["GET", "POST"])
def edit(event_id: int):
    event = _event_or_404(event_id)
    if request.method == "GET":
        return _render_form(event=event, data=catalogue.form_values(event))
    data = _form_data()

    def change() -> int:
        # Refused when the event was saved by someone else after this form was read
        # (``workflows.unchanged_since``): nothing written, what was typed kept, and what
        # the event holds now where it differs. Stamped since for a reason outside the
        # form's fields (``catalogue.form_values``: its attendance recorded) while these
        # hold what was read, it is saved; so is a form sending exactly what the event
        # holds now (``catalogue.stored``: sent again, a colleague saved the same).
        typed = catalogue.stored(registrations.edited_values(db.session, event, data))
        unchanged_since_read(
            db.session,
            event,
            request.form,
            changed_meanwhile("Cet événement a été modifié", catalogue.holds_now(event, typed)),
            edits=catalogue.form_values,
            holds=typed,
        )
        return registrations.update_event(db.session, event, data, by=current_user)

    return commit_or_refuse(
        change,
        refusals=(catalogue.EventError, ChangedMeanwhile),
        render_unnamed=ChangedMeanwhile,
        back=url_for("events_staff.edit", event_id=event_id),
        then=url_for("events_staff.attendees", event_id=event_id),
        done=lambda told: _edited(event, told),
        render=lambda errors: _render_form(
            event=_event_or_404(event_id), data=data, errors=errors, status=422
        ),
    )


def _edited(event: Event, told: int) -> str:
    """What the organiser is told once an event is changed: who was mailed, and the
    seats held beyond a capacity lowered under them."""
    said = "L'événement est modifié" + (
        f" ; {plural(told, 'personne prévenue', 'personnes prévenues')} par e-mail "
        "du changement de date ou de lieu."
        if told
        else "."
    )
    over = registrations.seats_over(db.session, event)
    if over:
        seated = registrations.seats_taken(db.session, event)
        said += (
            f" Attention : {plural(seated, 'personne a', 'personnes ont')} déjà une place "
            f"pour {plural(event.capacity, 'place', 'places')} : personne ne perd la "
            "sienne, les prochaines inscriptions iront en liste d'attente."
        )
    return said


@bp.route("/<int:event_id>/annuler", methods=["POST"])
def cancel(event_id: int):
    event = _event_or_404(event_id)
    return commit_or_refuse(
        lambda: registrations.cancel_event(db.session, event, by=current_user),
        back=url_for("events_staff.attendees", event_id=event_id),
        done=lambda told: (
            "L'événement est annulé"
            + (
                f" ; {plural(told, 'personne prévenue', 'personnes prévenues')} par e-mail."
                if told
                else "."
            )
        ),
    )


@bp.route("/<int:event_id>")
def attendees(event_id: int):
    return _attendees_page(_event_or_404(event_id))


def _attendees_page(event, *, errors=None, typed=None, status=200):
    people = registrations.attendees(db.session, event)
    return (
        render_template(
            "events/staff_attendees.html",
            event=event,
            kinds=catalogue.KINDS,
            seated=[r for r in people if r.status == catalogue.SEATED],
            waiting=[r for r in people if r.status == catalogue.WAITING],
            attendance=attendance.summary(event, people),
            may_record=attendance.may_record(event),
            errors=errors or {},
            typed=typed,
        ),
        status,
    )


@bp.route("/<int:event_id>/presences", methods=["POST"])
def record_attendance(event_id: int):
    """Who came (``events.attendance``); a refusal shows the page again as ticked."""
    event = _event_or_404(event_id)
    ticked = request.form.getlist("present")
    typed = {"present": set(ticked), "sans_inscription": request.form.get("sans_inscription", "")}
    try:
        ids = {int(value) for value in ticked}
    except ValueError:
        ids = {-1}  # not an id: refused below as a person not registered
    try:
        walk_ins = attendance.read_walk_ins(typed["sans_inscription"])
        came = attendance.record(
            db.session, event, ids, walk_ins, by=current_user._get_current_object()
        )
    except DomainError as refusal:
        db.session.rollback()
        return _attendees_page(
            event, errors=refusal.errors or {"_": refusal.message}, typed=typed, status=422
        )
    db.session.commit()
    flash(
        f"Présences enregistrées : {plural(came.present, 'personne inscrite venue', 'personnes inscrites venues')}"
        + (
            f", {plural(came.walk_ins, 'personne', 'personnes')} sans inscription"
            if came.walk_ins
            else ""
        )
        + f" ; {came.total} en tout.",
        "success",
    )
    return redirect(url_for("events_staff.attendees", event_id=event.id))


@bp.route("/<int:event_id>/inscrits.xlsx")
@recent_login_required
def export(event_id: int):
    """The attendees' names and addresses: the password typed recently, the export logged."""
    event = _event_or_404(event_id)
    rows = registrations.attendee_rows(db.session, event)
    audit(
        db.session,
        "event_attendees_export",
        actor=current_user._get_current_object(),
        entity="event",
        entity_id=event.id,
        ip=request.remote_addr,
        details={"format": "xlsx", "rows": len(rows)},
    )
    db.session.commit()
    return send_table(
        "xlsx",
        f"inscrits-evenement-{event.id}",
        registrations.ATTENDEE_HEADERS,
        rows,
        title="Inscrits",
    )
