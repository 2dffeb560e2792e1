"""CV library administration for animateurs: duplicates and merge, creating a person's
profile on their behalf (at a forum), and bulk import from a spreadsheet.

Views only parse input, call ``connectences.cvtheque`` and render. Any other role is
refused (403) and the refusal written to the audit log: these pages show personal data.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from connectences import territory, vocab
from connectences.accounts.audit import audit
from connectences.cvtheque import bulk_import, consent, duplicates, files, merge, profile
from connectences.extensions import db
from connectences.models import Candidate
from connectences.tabular import TableError
from connectences.web.access import guard_blueprint, recent_login_required
from connectences.web.actions import commit_or_refuse
from connectences.web.downloads import send_table
from connectences.web.formats import local_date
from connectences.web.forms import tell_communes_recorded
from connectences.web.navigation import add_nav

bp = Blueprint("library_admin", __name__, url_prefix="/animateur/cvtheque")
STAFF = ("animateur", "admin")
MAX_UPLOAD = 5 * 1024 * 1024


# A refused role is also written to the audit log (pages of personal data).
guard_blueprint(bp, *STAFF, audit_action="cvtheque_access_refused")
for _role in STAFF:
    add_nav(_role, "Doublons de CV", "library_admin.duplicates")
    add_nav(_role, "Importer des CV", "library_admin.import_form")


def candidate_url(candidate: Candidate | str) -> str:
    """The candidate page of the CV library (another area's view), by record or ref."""
    # Built by its route, never by hand: a ref may hold "/", "?" or "%" (web.refs).
    return url_for("library.show", ref=candidate if isinstance(candidate, str) else candidate.ref)


@bp.app_context_processor
def _helpers():
    return {"candidate_url": candidate_url}


# --------------------------------------------------------------------------- duplicates


@bp.route("/doublons", endpoint="duplicates")
def duplicates_list():
    pairs = duplicates.suspected_pairs(db.session)
    return render_template("library_admin/duplicates.html", pairs=pairs)


def _pair(a_id: int, b_id: int) -> tuple[Candidate, Candidate]:
    a, b = db.session.get(Candidate, a_id), db.session.get(Candidate, b_id)
    if a is None or b is None or a_id == b_id:
        abort(404)
    return a, b


# What the comparison says of each record's CV file (``files.file_state``): staff choosing
# which one to keep must see that a withheld file cannot be opened.
CV_FILE_WORDS = {
    files.FILE_PRESENT: "CV joint (PDF)",
    files.FILE_WITHHELD: f"CV retenu : {files.WITHHELD_WORDS[files.ACTIVE]}",
    files.FILE_UNREADABLE: f"CV retenu : {files.WITHHELD_WORDS[files.UNREADABLE_FILE]}",
    files.FILE_MISSING: "CV introuvable (fichier absent du stockage)",
}


def _display(candidate: Candidate, name: str) -> str:
    value = getattr(candidate, name)
    if value is None or value == "":
        return "—"
    if name == "commune":
        return territory.commune_label(value)
    if name == "level":
        return vocab.LEVELS.get(value, value)
    if name == "status":
        return vocab.CANDIDATE_STATUSES.get(value, value)
    if name == "available_from":
        return local_date(value)
    if name == "cv_filename":
        return CV_FILE_WORDS[files.file_state(value)]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@bp.route("/doublons/<int:a_id>/<int:b_id>")
def compare(a_id: int, b_id: int):
    a, b = _pair(a_id, b_id)
    audit(
        db.session,
        "candidate_compare",
        actor=current_user.id,
        entity="candidate",
        entity_id=a.id,
        ip=request.remote_addr,
        details={"other_id": b.id},
    )
    db.session.commit()
    return _render_compare(a, b)


def _render_compare(a, b, status: int = 200, errors=None, typed=None):
    """The comparison and its merge form; after a refused merge (422), ``errors`` in the
    summary and the sides chosen (``typed``: "keep" and "field_<name>") kept."""
    typed = typed or {}
    reasons = next((r for c, r in duplicates.duplicates_of(db.session, a) if c.id == b.id), [])
    defaults = merge.default_choices(a, b)
    rows = [
        {
            "name": f.name,
            "label": f.label,
            "a": _display(a, f.name),
            "b": _display(b, f.name),
            "same": getattr(a, f.name) == getattr(b, f.name),
            "default": typed.get(f"field_{f.name}") or ("b" if defaults[f.name] == "drop" else "a"),
        }
        for f in merge.CHOSEN_FIELDS
    ]
    return render_template(
        "library_admin/compare.html",
        a=a,
        b=b,
        rows=rows,
        reasons=reasons,
        errors=errors or {},
        keep=typed.get("keep", "a"),
        united=[
            ("Compétences", ", ".join(a.skill_labels), ", ".join(b.skill_labels)),
            ("Métiers visés (ROME)", ", ".join(a.rome or []), ", ".join(b.rome or [])),
            (
                "Jours",
                ", ".join(vocab.DAYS.get(d, d) for d in a.days or []),
                ", ".join(vocab.DAYS.get(d, d) for d in b.days or []),
            ),
            (
                "Contrats",
                ", ".join(vocab.CONTRACTS.get(c, c) for c in a.contracts or []),
                ", ".join(vocab.CONTRACTS.get(c, c) for c in b.contracts or []),
            ),
        ],
    ), status


@bp.route("/doublons/<int:a_id>/<int:b_id>/fusionner", methods=["POST"])
@recent_login_required
def merge_pair(a_id: int, b_id: int):
    a, b = _pair(a_id, b_id)
    side_kept = request.form.get("keep")
    keep, drop = (b, a) if side_kept == "b" else (a, b)
    choices = {}
    typed = {"keep": side_kept}
    # A form sent without the kept record (the radio is checked by default) is not
    # guessed: the record deleted must be the one the person chose.
    wrong = {} if side_kept in ("a", "b") else {"keep": "Choisissez la fiche à conserver."}
    for f in merge.CHOSEN_FIELDS:
        side = request.form.get(f"field_{f.name}")
        if side in ("a", "b"):
            typed[f"field_{f.name}"] = side
            chosen = a if side == "a" else b
            choices[f.name] = "keep" if chosen is keep else "drop"
    return commit_or_refuse(
        lambda: merge.merge_candidates(
            db.session, keep, drop, actor=current_user.id, choices=choices
        ),
        refusals=merge.MergeError,
        render=lambda errors: _render_compare(a, b, 422, errors, typed),
        fields={f.name: f"field_{f.name}" for f in merge.CHOSEN_FIELDS},
        render_unnamed=True,
        typed_errors=wrong,
        back=url_for(".compare", a_id=a_id, b_id=b_id),
        done="Les deux fiches sont fusionnées ; l'autre fiche a été supprimée.",
        then=candidate_url(keep),
    )


@bp.route("/doublons/<int:a_id>/<int:b_id>/distincts", methods=["POST"])
def keep_both(a_id: int, b_id: int):
    a, b = _pair(a_id, b_id)
    duplicates.keep_both(db.session, a, b, actor=current_user.id)
    db.session.commit()
    flash("C'est noté : ces deux fiches ne seront plus proposées comme doublons.", "success")
    return redirect(url_for(".duplicates"))


# --------------------------------------------------------------------------- on behalf


# One value per field: the profile's fields but the check boxes (lists), and the source.
FORM_FIELDS = tuple(n for n in profile.PROFILE_FIELDS if n not in ("days", "contracts")) + (
    "source",
)


def _form_values() -> dict:
    values = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
    values["skills"] = request.form.get("skills", "")
    values["days"] = request.form.getlist("days")
    values["contracts"] = request.form.getlist("contracts")
    values["consent"] = request.form.get("consent") == "1"
    return values


def _render_new(values: dict, errors: dict | None = None, found=None, status: int = 200):
    return (
        render_template(
            "library_admin/new.html",
            values=values,
            errors=errors or {},
            found=found or [],
            notice=consent.NOTICE,
            vocab=vocab,
            sources=vocab.CV_SOURCES,
        ),
        status,
    )


@bp.route("/nouveau", methods=["GET", "POST"])
def new_candidate():
    if request.method == "GET":
        return _render_new({"days": [], "contracts": [], "source": "forum", "consent": False})
    values = _form_values()
    errors: dict[str, str] = {}
    try:
        clean = profile.clean_profile(values)
    except profile.ProfileError as exc:
        errors.update(exc.errors)
        clean = {}
    if not values["consent"]:
        errors["consent"] = (
            "Cochez la case : la personne doit avoir lu la notice d'information et donné "
            "son accord."
        )
    try:
        source = profile.clean_source(values["source"])
    except ValueError as exc:
        errors["source"] = str(exc)
    if errors:
        return _render_new(values, errors, status=422)
    if request.form.get("create_anyway") != "1":
        found = duplicates.find_duplicates(
            db.session,
            email=clean["email"],
            phone=clean.get("phone"),
            first_name=clean["first_name"],
            last_name=clean["last_name"],
            commune=clean["commune"],
        )
        if found:
            return _render_new(values, found=found)
    candidate, created = profile.submit_candidate(
        db.session, values, source=source or "animateur", actor=current_user.id
    )
    if not created:
        db.session.rollback()
        flash("Cette adresse e-mail est déjà dans la CVthèque : voici la fiche.", "info")
        return redirect(candidate_url(candidate))
    db.session.commit()
    flash(
        "Profil créé. La personne reçoit un e-mail pour confirmer son adresse ; son profil "
        "sera proposé aux employeurs une fois l'adresse confirmée.",
        "success",
    )
    tell_communes_recorded(values["commune"])
    return redirect(candidate_url(candidate))


# --------------------------------------------------------------------------- import


@bp.route("/import", methods=["GET"])
def import_form():
    return _render_import()


def _render_import(errors=None, source: str | None = None, status: int = 200):
    """The upload form; after a refused upload (422), each error next to its field
    ("fichier", "source") with the summary, and the source chosen kept."""
    return render_template(
        "library_admin/import.html",
        columns=bulk_import.COLUMNS,
        sources=vocab.CV_SOURCES,
        errors=errors or {},
        chosen_source=source,
        max_bytes=MAX_UPLOAD,
    ), status


@bp.route("/import/modele.<fmt>")
def import_template(fmt: str):
    return send_table(fmt, "modele-import-cv", bulk_import.HEADERS, [], title="CV")


@bp.route("/import", methods=["POST"])
def import_upload():
    upload = request.files.get("fichier")
    source = request.form.get("source", "").strip()
    errors = {}
    if upload is None or not upload.filename:
        errors["fichier"] = "Choisissez un fichier CSV ou XLSX."
    else:
        data = upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            errors["fichier"] = "Le fichier dépasse 5 Mo : découpez-le."
    try:
        chosen = profile.clean_source(source)
    except ValueError as exc:
        errors["source"] = str(exc)
    else:
        if chosen is None:
            errors["source"] = "Choisissez la source des CV (forum, job dating, permanence…)."
        source = chosen
    if not errors:
        try:
            result = bulk_import.preview(
                db.session, upload.filename, data, source=source, actor=current_user.id
            )
        except TableError as exc:
            db.session.rollback()
            errors["fichier"] = str(exc)
        else:
            # Only the pending import is written; no person yet.
            db.session.commit()
            return redirect(url_for(".import_show", token=result.batch.token))
    return _render_import(errors, source, 422)


def _batch(token: str):
    return bulk_import.find_batch(db.session, token) or abort(404)


@bp.route("/import/<token>")
def import_show(token: str):
    batch = _batch(token)
    if batch.status == "done":
        result = bulk_import.ImportResult.from_dict(batch.result)
        return render_template(
            "library_admin/import_result.html",
            batch=batch,
            result=result,
            labels=bulk_import.LABELS,
        )
    checked = bulk_import.load_preview(db.session, batch)
    return render_template(
        "library_admin/import_preview.html",
        preview=checked,
        labels=bulk_import.LABELS,
        statuses=bulk_import.STATUS_LABELS,
        status_new=bulk_import.STATUS_NEW,
        status_existing=bulk_import.STATUS_EXISTING,
        status_invalid=bulk_import.STATUS_INVALID,
    )


@bp.route("/import/<token>/confirmer", methods=["POST"])
def import_confirm(token: str):
    batch = _batch(token)
    bulk_import.confirm(db.session, batch, actor=current_user.id)
    db.session.commit()
    return redirect(url_for(".import_show", token=token))


@bp.route("/import/<token>/erreurs.<fmt>")
def import_errors(token: str, fmt: str):
    batch = _batch(token)
    if batch.status != "done":
        abort(404)
    result = bulk_import.ImportResult.from_dict(batch.result)
    audit(
        db.session,
        "candidate_import_errors_download",
        actor=current_user.id,
        entity="candidate_import",
        entity_id=batch.id,
        ip=request.remote_addr,
        details={"rows": len(result.invalid), "format": fmt},
    )
    db.session.commit()
    return send_table(
        fmt,
        "cv-a-corriger",
        [*bulk_import.HEADERS, bulk_import.ERRORS_HEADER],
        bulk_import.error_rows(result),
        title="A corriger",
    )
