"""The animateurs' side of what the platform tells companies (#15): writing resources and
testimonials (with the owner's agreement, and its withdrawal), validating the changes
operators and partners propose to their "Qui fait quoi" entry, and closing call-back
requests.

Rules live in ``connectences.content``; these views parse, call and render.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from connectences.clock import local_today
from connectences.content import callbacks, directory, photos
from connectences.content import resources as resource_rules
from connectences.content import testimonials as testimonial_rules
from connectences.content.markup import render_markdown
from connectences.extensions import db
from connectences.models import CallbackRequest, DirectoryEntry, Resource, Testimonial
from connectences.web.access import guard_blueprint, role_required
from connectences.web.content import photo_response, resource_labels
from connectences.web.navigation import add_nav
from connectences.web.paging import paginate
from connectences.workflows import ChangedMeanwhile, unchanged_since_read

bp = Blueprint("content_staff", __name__, url_prefix="/animateur/contenus")
guard_blueprint(bp, "animateur", "admin")
for _role in ("animateur", "admin"):
    add_nav(_role, "Ressources", "content_staff.resources")
    add_nav(_role, "Témoignages", "content_staff.testimonials")
    add_nav(_role, "Qui fait quoi", "content_staff.directory_pending")

PER_PAGE = 25
# Said when the record was saved by someone else after this form was read
# (``workflows.unchanged_since``): nothing written, what was typed kept. Stamped since
# for a reason outside the form, while the fields it edits (``_resource_data``,
# ``_testimonial_data``) hold what was read, it is saved; so is a form sending exactly
# what the record holds now (sent again, a colleague saved the same; a new photo never).
RESOURCE_MEANWHILE = (
    "Cette ressource a été modifiée par quelqu'un d'autre depuis que vous avez ouvert la "
    "page. Vos saisies sont gardées ci-dessous ; comparez-les à "
    "la version actuelle (ouvrez la ressource dans un autre onglet), puis enregistrez à "
    "nouveau."
)
TESTIMONIAL_MEANWHILE = (
    "Ce témoignage a été modifié par quelqu'un d'autre depuis que vous avez ouvert la "
    "page. Vos saisies sont gardées ci-dessous ; comparez-les à "
    "la version actuelle (ouvrez le témoignage dans un autre onglet), puis enregistrez à "
    "nouveau."
)
RESOURCE_LISTS = ("topics", "naf_sections", "size_bands", "epcis")
TESTIMONIAL_FIELDS = (
    "title",
    "need_ref",
    "company_label",
    "body",
    "photo",
    "photo_alt",
    "consent_by",
    "consent_on",
    "consent_scope",
    "consent_note",
)


def _form(names: tuple[str, ...], lists: tuple[str, ...]) -> dict:
    data = {name: (request.form.get(name) or "") for name in names}
    for name in lists:
        data[name] = request.form.getlist(name)
    data["published"] = request.form.get("published", "")
    return data


# --- resources ---------------------------------------------------------------------------


@bp.route("/ressources")
def resources():
    pagination = paginate(resource_rules.all_for_staff(), PER_PAGE)
    return render_template(
        "content/staff_resources.html",
        rows=pagination.items,
        pagination=pagination,
        today=local_today(),
    )


def _render_resource(data: dict, errors: dict, resource: Resource | None, status: int = 200):
    ordered = [(n, errors[n]) for n in resource_rules.FIELDS if n in errors]
    if "_" in errors:
        ordered.insert(0, ("_", errors["_"]))
    return (
        render_template(
            "content/staff_resource_form.html",
            data=data,
            errors=errors,
            error_list=ordered,
            resource=resource,
            edits=_resource_data,
            preview=render_markdown(data.get("body")) if data.get("body") else None,
            **resource_labels(),
            today=local_today().isoformat(),
        ),
        status,
    )


def _resource_data(resource: Resource) -> dict:
    data = {name: getattr(resource, name) for name in resource_rules.FIELDS}
    data["valid_until"] = resource.valid_until.isoformat()
    data["published"] = "1" if resource.published else ""
    data["source_url"] = resource.source_url or ""
    return data


@bp.route("/ressources/nouvelle", methods=["GET", "POST"])
def new_resource():
    if request.method == "GET":
        return _render_resource({"published": "1"}, {}, None)
    data = _form(resource_rules.FIELDS, RESOURCE_LISTS)
    try:
        created = resource_rules.create(db.session, data, author=current_user)
    except resource_rules.ResourceError as error:
        db.session.rollback()
        return _render_resource(data, error.errors, None, 422)
    db.session.commit()
    flash(f"Ressource « {created.title} » enregistrée.", "success")
    return redirect(url_for("content_staff.resources"))


@bp.route("/ressources/<int:resource_id>", methods=["GET", "POST"])
def edit_resource(resource_id: int):
    resource = db.session.get(Resource, resource_id) or abort(404)
    if request.method == "GET":
        return _render_resource(_resource_data(resource), {}, resource)
    data = _form(resource_rules.FIELDS, RESOURCE_LISTS)
    try:
        unchanged_since_read(
            db.session,
            resource,
            request.form,
            RESOURCE_MEANWHILE,
            edits=_resource_data,
            holds=resource_rules.check(data),
        )
        resource_rules.update(db.session, resource, data)
    except ChangedMeanwhile as clash:
        db.session.rollback()
        return _render_resource(data, {"_": clash.message}, resource, 422)
    except resource_rules.ResourceError as error:
        db.session.rollback()
        return _render_resource(data, error.errors, resource, 422)
    db.session.commit()
    flash(f"Ressource « {resource.title} » mise à jour.", "success")
    return redirect(url_for("content_staff.resources"))


# --- testimonials ------------------------------------------------------------------------


@bp.route("/temoignages")
def testimonials():
    pagination = paginate(testimonial_rules.all_for_staff(), PER_PAGE)
    return render_template(
        "content/staff_testimonials.html",
        rows=pagination.items,
        pagination=pagination,
        scopes=testimonial_rules.SCOPES,
    )


def _render_testimonial(data: dict, errors: dict, testimonial, status: int = 200):
    ordered = [(n, errors[n]) for n in TESTIMONIAL_FIELDS if n in errors]
    if "_" in errors:
        ordered.insert(0, ("_", errors["_"]))
    return (
        render_template(
            "content/staff_testimonial_form.html",
            data=data,
            errors=errors,
            error_list=ordered,
            testimonial=testimonial,
            edits=_testimonial_data,
            scopes=testimonial_rules.SCOPES,
            today=local_today().isoformat(),
            max_mb=photos.MAX_BYTES // 1_048_576,
            max_bytes=photos.MAX_BYTES,
        ),
        status,
    )


def _uploaded_photo() -> bytes | None:
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    # One byte past the limit is enough to refuse it (content/photos.py says so).
    return upload.read(photos.MAX_BYTES + 1)


@bp.route("/temoignages/nouveau", methods=["GET", "POST"])
def new_testimonial():
    if request.method == "GET":
        return _render_testimonial({"need_ref": request.args.get("besoin", "")[:100]}, {}, None)
    data = _form(TESTIMONIAL_FIELDS, ("consent_scope",))
    try:
        created = testimonial_rules.create(
            db.session, data, author=current_user, photo=_uploaded_photo()
        )
    except testimonial_rules.TestimonialError as error:
        db.session.rollback()
        return _render_testimonial(data, error.errors, None, 422)
    db.session.commit()
    flash(f"Témoignage « {created.title} » enregistré.", "success")
    return redirect(url_for("content_staff.testimonials"))


def _testimonial_data(testimonial: Testimonial) -> dict:
    """What the testimonial's form shows (its photo's name with it, which an upload
    replaces): what it edits (``workflows.unchanged_since``'s ``edits``)."""
    data = {
        name: getattr(testimonial, name) or ""
        for name in TESTIMONIAL_FIELDS
        if hasattr(testimonial, name)
    }
    data["need_ref"] = testimonial.need.ref if testimonial.need else ""
    data["consent_on"] = testimonial.consent_on.isoformat()
    data["consent_scope"] = testimonial.consent_scope or []
    data["published"] = "1" if testimonial.published else ""
    return data


def _testimonial_held(data: dict, photo: bytes | None) -> dict | None:
    """What the testimonial holds once ``data`` is saved (``workflows.unchanged_since``'s
    ``holds``); None with a new photo, which no record holds yet."""
    if photo:
        return None
    return testimonial_rules.stored(testimonial_rules.check(db.session, data))


@bp.route("/temoignages/<int:testimonial_id>", methods=["GET", "POST"])
def edit_testimonial(testimonial_id: int):
    testimonial = db.session.get(Testimonial, testimonial_id) or abort(404)
    if request.method == "GET":
        return _render_testimonial(_testimonial_data(testimonial), {}, testimonial)
    data = _form(TESTIMONIAL_FIELDS, ("consent_scope",))
    photo = _uploaded_photo()
    try:
        unchanged_since_read(
            db.session,
            testimonial,
            request.form,
            TESTIMONIAL_MEANWHILE,
            edits=_testimonial_data,
            holds=_testimonial_held(data, photo),
        )
        testimonial_rules.update(db.session, testimonial, data, photo=photo)
    except ChangedMeanwhile as clash:
        db.session.rollback()
        return _render_testimonial(data, {"_": clash.message}, testimonial, 422)
    except testimonial_rules.TestimonialError as error:
        db.session.rollback()
        return _render_testimonial(data, error.errors, testimonial, 422)
    db.session.commit()
    flash(f"Témoignage « {testimonial.title} » mis à jour.", "success")
    return redirect(url_for("content_staff.testimonials"))


@bp.route("/temoignages/<int:testimonial_id>/retrait", methods=["POST"])
def withdraw_testimonial(testimonial_id: int):
    testimonial = db.session.get(Testimonial, testimonial_id) or abort(404)
    testimonial_rules.withdraw(db.session, testimonial, by=current_user)
    db.session.commit()
    flash(
        f"Témoignage « {testimonial.title} » retiré : il n'apparaît plus nulle part "
        "et sa photo est effacée.",
        "success",
    )
    return redirect(url_for("content_staff.testimonials"))


@bp.route("/temoignages/<int:testimonial_id>/photo.jpg")
def testimonial_photo(testimonial_id: int):
    testimonial = db.session.get(Testimonial, testimonial_id)
    if testimonial is None or not testimonial.photo:
        abort(404)
    return photo_response(testimonial.photo)


# --- "Qui fait quoi": proposals to validate ---------------------------------------------


@bp.route("/qui-fait-quoi")
def directory_pending():
    return render_template(
        "content/staff_directory.html",
        entries=directory.pending(db.session),
        fields=directory.ENTRY_FIELDS,
        topics=directory.TOPICS,
        kind_label=directory.kind_label,
        errors={},
        error_entry=None,
    )


@bp.route("/qui-fait-quoi/<int:entry_id>", methods=["POST"])
def directory_decide(entry_id: int):
    entry = db.session.get(DirectoryEntry, entry_id) or abort(404)
    name = entry.organisation.name
    try:
        if request.form.get("decision") == "valider":
            directory.validate(db.session, entry, by=current_user)
            message = f"Fiche de « {name} » publiée."
        elif request.form.get("decision") == "refuser":
            directory.refuse(
                db.session, entry, by=current_user, reason=(request.form.get("reason") or "")
            )
            message = f"Modification de « {name} » refusée ; la structure verra votre motif."
        else:
            abort(400)
    except directory.DirectoryError as error:
        db.session.rollback()
        return (
            render_template(
                "content/staff_directory.html",
                entries=directory.pending(db.session),
                fields=directory.ENTRY_FIELDS,
                topics=directory.TOPICS,
                kind_label=directory.kind_label,
                errors=error.errors or {"_": error.message},
                error_entry=entry_id,
            ),
            422,
        )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("content_staff.directory_pending"))


# --- call-back requests ------------------------------------------------------------------


@bp.route("/rappels/<int:request_id>", methods=["POST"])
@role_required("animateur")  # from the follow-ups page, which is the animateurs'
def callback_done(request_id: int):
    found = db.session.get(CallbackRequest, request_id) or abort(404)
    try:
        callbacks.mark_done(db.session, found, by=current_user)
    except callbacks.CallbackError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(f"Demande de rappel de {found.name} close.", "success")
    return redirect(url_for("visits.follow_ups"))
