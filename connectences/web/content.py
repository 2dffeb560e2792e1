"""Public pages of what the platform offers companies (#15): "Ressources pour les
entreprises" with search and filters, a page per resource, "Qui fait quoi", the
testimonials, and the "Être rappelé" form with its confirmation.

Rules live in ``connectences.content``; these views parse, call and render.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from connectences import territory
from connectences.clock import local_today
from connectences.content import callbacks, directory, photos, resources, testimonials
from connectences.content.markup import render_markdown
from connectences.extensions import db
from connectences.models import CallbackRequest
from connectences.prospection.naf import SECTION_LABELS
from connectences.web.access import public
from connectences.web.forms import tell_communes_recorded
from connectences.web.known_owner import known_owner
from connectences.web.navigation import PUBLIC_NAV, PUBLIC_PAGES
from connectences.web.paging import paginate, paginate_window

bp = Blueprint("content", __name__)
for _entry in reversed(
    (
        ("Être rappelé", "content.callback"),
        ("Ressources pour les entreprises", "content.resources"),
        ("Qui fait quoi", "content.who_does_what"),
        ("Témoignages", "content.testimonials"),
    )
):
    if _entry not in PUBLIC_PAGES:
        PUBLIC_PAGES.insert(2, _entry)
if ("Ressources", "content.resources") not in PUBLIC_NAV:
    PUBLIC_NAV.insert(2, ("Ressources", "content.resources"))

PER_PAGE = 20
CALLBACK_FIELDS = ("name", "phone", "best_time", "topic", "company_name", "commune")
CALLBACK_SENT = "callback_sent"


# --- resources ---------------------------------------------------------------------------


def resource_labels() -> dict:
    """The words of a resource's topics and aims, for the public and the staff's pages."""
    return {
        "topics": resources.TOPICS,
        "sections": SECTION_LABELS,
        "sizes": resources.SIZE_BANDS,
        "epcis": territory.PAYS_EPCIS,
    }


@bp.route("/ressources", endpoint="resources")
@public
def resources_page():
    filters, errors = resources.ResourceFilters.from_args(request.args)
    found = resources.search(db.session, filters)
    pagination = paginate_window(resources.first_of(found), PER_PAGE, total=len(found))
    return render_template(
        "content/resources.html",
        filters=filters,
        errors=errors,
        found=pagination.items,
        pagination=pagination,
        **resource_labels(),
    )


@bp.route("/ressources/<slug>")
@public
def resource(slug: str):
    found = resources.get_public(db.session, slug[:120])
    if found is None:
        abort(404)
    return render_template(
        "content/resource.html",
        resource=found,
        body=render_markdown(found.body),
        **resource_labels(),
    )


# --- "Qui fait quoi" ---------------------------------------------------------------------


@bp.route("/qui-fait-quoi")
@public
def who_does_what():
    filters, errors = directory.DirectoryFilters.from_args(request.args)
    return render_template(
        "content/who_does_what.html",
        filters=filters,
        errors=errors,
        entries=directory.public_entries(db.session, filters),
        kind_label=directory.kind_label,
        areas=directory.areas,
        topics=directory.TOPICS,
        epcis=territory.PAYS_EPCIS,
    )


# --- testimonials ------------------------------------------------------------------------


@bp.route("/temoignages", endpoint="testimonials")
@public
def testimonials_page():
    pagination = paginate(testimonials.public_list(), PER_PAGE)
    return render_template(
        "content/testimonials.html", shown=pagination.items, pagination=pagination
    )


@bp.route("/temoignages/<int:testimonial_id>/photo.jpg")
@public
def testimonial_photo(testimonial_id: int):
    shown = testimonials.get_public(db.session, testimonial_id)
    if shown is None or not shown.photo:
        abort(404)
    return photo_response(shown.photo)


def photo_response(stored_name: str):
    """A stored testimonial photo (a JPEG re-encoded on upload, content/photos.py), never
    sniffed as anything else, checked again at each visit (a withdrawal is immediate)."""
    try:
        data = photos.read_photo(stored_name)
    except FileNotFoundError:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- "Être rappelé" ----------------------------------------------------------------------


def _render_callback(data: dict, errors: dict, status: int = 200, message: str | None = None):
    ordered = [(name, errors[name]) for name in CALLBACK_FIELDS if name in errors]
    return (
        render_template(
            "content/callback.html",
            data=data,
            errors=errors,
            error_list=ordered,
            message=message,
            best_times=callbacks.BEST_TIMES,
            topics=callbacks.TOPICS,
            communes=territory.pays_commune_labels(),
        ),
        status,
    )


@bp.route("/etre-rappele", methods=["GET", "POST"])
@public
def callback():
    if request.method == "GET":
        # A logged-in owner is not asked again what their account says; a form sent
        # back with an error keeps what was typed.
        owner = known_owner()
        data = {
            "name": owner.get("owner_name", ""),
            "company_name": owner.get("company_name", ""),
            "commune": owner.get("company_commune", ""),
        }
        return _render_callback({**data, "topic": request.args.get("sujet", "")[:40]}, {})
    # As typed, never cut: a text over its limit is refused with its length by the rules.
    data = {name: request.form.get(name) or "" for name in CALLBACK_FIELDS}
    try:
        sent = callbacks.submit(db.session, data, ip=request.remote_addr)
    except callbacks.TooManyRequests as error:
        db.session.rollback()
        return _render_callback(data, {}, 429, message=error.message)
    except callbacks.CallbackError as error:
        db.session.rollback()
        return _render_callback(data, error.errors, 422)
    db.session.commit()
    session[CALLBACK_SENT] = sent.id
    tell_communes_recorded(data["commune"])
    return redirect(url_for("content.callback_sent"))


@bp.route("/etre-rappele/merci")
@public
def callback_sent():
    sent_id = session.get(CALLBACK_SENT)
    sent = db.session.get(CallbackRequest, sent_id) if isinstance(sent_id, int) else None
    if sent is None:
        return redirect(url_for("content.callback"))
    return render_template(
        "content/callback_sent.html",
        sent=sent,
        best_time=callbacks.BEST_TIMES.get(sent.best_time, ""),
        animateur=sent.animateur,
        today=local_today(),
    )
