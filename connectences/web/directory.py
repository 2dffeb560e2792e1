"""The animateurs' company directory: list with search and filters, the company search
used by the visit form, creation with the SIRET and similar-name checks, and the
company page (details, contacts, preferences, contact pressure, one timeline of every
contact, its needs).

Rules live in ``connectences.prospection``; views parse, call and render.
"""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from connectences import territory, vocab
from connectences.accounts.audit import REQUEST_NOTE_MAX
from connectences.clock import local_today
from connectences.content.resources import suggestions_for
from connectences.extensions import db
from connectences.models import Company, CompanyContact, Need
from connectences.needs import territory_edge
from connectences.needs.status_words import owner_stops, staff_status
from connectences.prospection import companies as directory
from connectences.prospection import contact_rights, naf, provisional_merge
from connectences.prospection import diagnosis as questionnaire
from connectences.prospection.mailings import record_mailing
from connectences.prospection.pressure import (
    ConfirmationRequired,
    ContactRefused,
    company_timeline,
    contact_pressure,
)
from connectences.prospection.visits import VisitError, parse_date
from connectences.web.access import guard_blueprint, recent_login_required
from connectences.web.actions import erasure_request, flash_in
from connectences.web.forms import errors_for, tell_communes_recorded
from connectences.web.navigation import add_nav
from connectences.web.owner_details import save_details, typed_details
from connectences.web.owner_preferences import (
    PREFERENCE_EDITS,
    company_changed_meanwhile,
    contact_now,
    save_preferences,
    typed_preferences,
)
from connectences.web.paging import kept_pages, page_number, page_of, paginate
from connectences.workflows import ChangedMeanwhile, unchanged_since

bp = Blueprint("directory", __name__, url_prefix="/animateur/entreprises")
guard_blueprint(bp, "animateur", "admin", audit_action="company_directory_access_refused")
for _role in ("animateur", "admin"):
    add_nav(_role, "Entreprises", "directory.index")

PER_PAGE = 25
MAX_SEARCH = 200
COMPANY_FIELDS = (
    "name",
    "siret",
    "commune",
    "naf",
    "employees",
    "address",
    "contact_email",
    "phone",
    "website",
    "newsletter_consent",
    "do_not_solicit",
    "max_contacts_per_month",
)


def _company_or_404(ref: str) -> Company:
    return directory.get_company(db.session, ref) or abort(404)


def helpers() -> dict:
    """Label functions shared by the directory and visit templates."""
    return {
        "commune_label": territory.commune_label,
        "epci_label": territory.epci_label,
        "naf_label": naf.naf_label,
        "cap_range": directory.CAP_RANGE,
        "vocab": vocab,
    }


# --- list and search ---------------------------------------------------------------------


@bp.route("")
def index():
    filters, errors = directory.DirectoryFilters.from_args(request.args)
    pagination = paginate(
        directory.directory_query(db.session, filters),
        PER_PAGE,
        total=directory.directory_total(db.session, filters),
    )
    return render_template(
        "directory/index.html",
        errors=errors,
        companies=pagination.items,
        pagination=pagination,
        filters=filters.form_values(),
        active_filters=filters.as_args(),
        epcis=territory.PAYS_EPCIS,
        communes=territory.pays_communes_by_name(),
        **helpers(),
    )


@bp.route("/recherche")
def search():
    """Companies matching a name or SIRET, as JSON, for the visit form's live search."""
    text = (request.args.get("q") or "").strip()[:MAX_SEARCH]
    found = directory.search_companies(db.session, text, limit=10) if len(text) >= 2 else []
    return jsonify(
        {
            "resultats": [
                {
                    "ref": c.ref,
                    "nom": c.name,
                    "siret": c.siret,
                    "siret_affiche": directory.siret_display(c.siret),
                    "commune": territory.commune_label(c.commune),
                    "ne_plus_solliciter": c.do_not_solicit,
                    "url_visite": url_for("visits.new", entreprise=c.ref),
                    "url_fiche": url_for("directory.show", ref=c.ref),
                }
                for c in found
            ]
        }
    )


# --- creation ----------------------------------------------------------------------------


@bp.route("/nouvelle", methods=["GET", "POST"])
def new():
    values = {key: request.form.get(key, "") for key in COMPANY_FIELDS}
    errors: dict[str, str] = {}
    similar = []
    if request.method == "POST":
        try:
            company, created = directory.find_or_create_company(
                db.session,
                request.form,
                actor=current_user,
                similar_ok=request.form.get("confirmer_similaire") == "1",
            )
        except directory.CompanyError as exc:
            db.session.rollback()
            errors = exc.errors
        except directory.SimilarCompaniesFound as exc:
            db.session.rollback()
            similar = exc.similar
        else:
            db.session.commit()
            if created:
                flash(f"Entreprise « {company.name} » enregistrée.", "success")
                tell_communes_recorded(request.form.get("commune"))
            else:
                flash(directory.already_registered(company, request.form.get("name")), "info")
            return redirect(url_for("directory.show", ref=company.ref))
    return render_template(
        "directory/new.html",
        values=values,
        errors=errors,
        similar=similar,
        communes=territory.pays_communes_by_name(),
        **helpers(),
    ), 422 if errors else 200


# --- the company page --------------------------------------------------------------------


# Built once (see prospection.pressure: building cost more than running).
_COMPANY_NEEDS_ORDER = (Need.created_at.desc(), Need.id.desc())
SHOWN_PER_PAGE = 30
"""Contact persons, needs, and contacts of the history, shown per page of a company's
record."""
# The query argument of each paged list of the company page: each pager, each form of a
# contact person, keeps the pages the others are at.
SHOW_PAGE_PARAMS = {"contacts": "contacts", "needs": "besoins", "timeline": "historique"}
# Built once, as the needs' order.
_CONTACTS_ORDER = (CompanyContact.id,)


def _kept_args() -> dict[str, int]:
    """The pages of the company page's lists a form was sent from (its action's query)."""
    return {param: page for param in SHOW_PAGE_PARAMS.values() if (page := page_number(param)) > 1}


def _render_show(company: Company, *, status: int = 200, **extra):
    today = local_today()
    # Read once: the page shows it and the contact guard counts from it.
    timeline = company_timeline(db.session, company)
    pressure = contact_pressure(db.session, company, on=today, timeline=timeline)
    # Every list a page at a time: a company followed for years has hundreds of each
    # (400 contact persons, each with its two forms, made a page of 1.4 MB).
    contacts = paginate(
        select(CompanyContact)
        .where(CompanyContact.company_id == company.id)
        .order_by(*_CONTACTS_ORDER),
        SHOWN_PER_PAGE,
        SHOW_PAGE_PARAMS["contacts"],
    )
    needs = paginate(
        select(Need).where(Need.company_id == company.id).order_by(*_COMPANY_NEEDS_ORDER),
        SHOWN_PER_PAGE,
        SHOW_PAGE_PARAMS["needs"],
    )
    timeline_shown, timeline_page, timeline_pages = page_of(
        timeline, SHOWN_PER_PAGE, SHOW_PAGE_PARAMS["timeline"]
    )
    page_params = kept_pages(
        {"contacts": contacts, "needs": needs, "timeline": timeline_page}, SHOW_PAGE_PARAMS
    )
    context = {
        "company": company,
        "outside_flag": territory_edge.staff_flag(company.commune),
        "contacts": contacts.items,
        "contacts_pagination": contacts,
        "page_params": page_params,
        "page_param_names": SHOW_PAGE_PARAMS,
        "pressure": pressure,
        "timeline": timeline_shown,
        "timeline_total": len(timeline),
        "timeline_page": timeline_page,
        "timeline_pages": timeline_pages,
        "needs": needs.items,
        "needs_pagination": needs,
        "need_stops": owner_stops(db.session, needs.items),
        "need_status": staff_status,
        # Resources that fit the company's profile, to bring up at the next visit.
        "suggested_resources": suggestions_for(db.session, company, today=today),
        "today": today,
        "contact_errors": {},
        "contact_values": {},
        "edit_errors": {},
        "edit_contact_id": None,
        "edit_values": {},
        "details_errors": {},
        "details_values": None,
        "details_edits": directory.STAFF_DETAIL_FIELDS,
        "attach_siret": None,
        "preference_errors": {},
        "preference_values": None,
        "preferences_set": directory.preferences_last_set(db.session, company),
        "solicit_since": directory.do_not_solicit_since(db.session, company),
        "preference_edits": PREFERENCE_EDITS,
        "erase_errors": {},
        "erase_contact_id": None,
        "erase_values": {},
        "mailing_errors": {},
        "mailing_values": {},
        "mailing_pressure": None,
        "diagnoses": questionnaire.company_diagnoses(db.session, company),
        "diagnosis_answers": questionnaire.answer_lines,
        "diagnosis_errors": {},
        "diagnosis_values": {"email": company.contact_email or ""},
        "diagnosis_pressure": None,
        "diagnosis_link_days": questionnaire.link_days(),
        **helpers(),
        **extra,
    }
    return render_template("directory/show.html", **context), status


def contact_not_recorded(ref: str, error: Exception, form: str, values: dict):
    """The company page again after a contact its form ``form`` ("mailing", "diagnosis")
    could not record, nothing written: the fields' errors (422), the guard's refusal, or
    its warning to confirm (409)."""
    db.session.rollback()
    company = _company_or_404(ref)
    if isinstance(error, ContactRefused):
        errors = {"guard": " ".join(error.pressure.reasons)}
        return _render_show(
            company, status=409, **{f"{form}_errors": errors, f"{form}_values": values}
        )
    if isinstance(error, ConfirmationRequired):
        return _render_show(
            company, status=409, **{f"{form}_values": values, f"{form}_pressure": error.pressure}
        )
    return _render_show(
        company, status=422, **{f"{form}_errors": error.errors, f"{form}_values": values}
    )


@bp.route("/<company_ref:ref>")
def show(ref: str):
    return _render_show(_company_or_404(ref))


@bp.route("/<company_ref:ref>/coordonnees", methods=["POST"])
def details(ref: str):
    """The staff correct the company's details, its name, SIRET and NAF code too
    (``owner_details.save_details`` as the staff: the owner's rule and guard)."""
    company = _company_or_404(ref)
    fields = directory.STAFF_DETAIL_FIELDS
    try:
        changed = save_details(company, request.form, actor=current_user, staff=True)
    except (directory.CompanyError, ChangedMeanwhile) as exc:
        db.session.rollback()
        errors = errors_for(exc, {field: field for field in fields})
        # In the order of the form.
        errors = {key: errors[key] for key in ("_", *fields) if key in errors}
        company = _company_or_404(ref)
        # A SIRET held by a provisional company: the staff may attach it to the record.
        provisional = provisional_merge.provisional_holding(
            db.session, company, request.form.get("siret")
        )
        return _render_show(
            company,
            status=422,
            details_errors=errors,
            details_values=typed_details(request.form, staff=True),
            attach_siret=provisional.siret if provisional else None,
        )
    db.session.commit()
    flash_in(
        "fiche",
        "Coordonnées de l'entreprise enregistrées."
        if changed
        else "Rien n'a changé dans les coordonnées de l'entreprise.",
    )
    if "commune" in changed:
        tell_communes_recorded(request.form.get("commune"))
    # A provisional company named here has a ref of its own now.
    return redirect(url_for("directory.show", ref=company.ref, _anchor="fiche", **_kept_args()))


NO_PROVISIONAL = (
    "Aucune fiche provisoire ne porte ce SIRET : elle a peut-être déjà été rattachée à une "
    "fiche ou effacée faute de confirmation."
)


@bp.route("/<company_ref:ref>/rattacher", methods=["GET", "POST"])
def attach_provisional(ref: str):
    """« Rattacher à cette fiche »: the provisional company holding the SIRET the staff
    typed on the record (``?siret=``), what it holds, and the form that attaches it
    (``provisional_merge.merge_provisional``)."""
    company = _company_or_404(ref)
    if request.method == "GET":
        provisional = provisional_merge.provisional_holding(
            db.session, company, request.args.get("siret")
        )
        if provisional is None:
            # Attached or forgotten since the refusal gave the link (or a link typed by
            # hand): said on the page, with the way back to the record.
            return _render_attach(company, None, errors={"_": NO_PROVISIONAL}, status=404)
        return _render_attach(company, provisional)
    try:
        merged = provisional_merge.merge_provisional(
            db.session,
            company,
            request.form.get("provisoire"),
            siret_before=request.form.get("siret_avant"),
            actor=current_user,
        )
    except directory.CompanyError as exc:
        db.session.rollback()
        company = _company_or_404(ref)
        provisional = directory.get_company(db.session, request.form.get("provisoire") or "")
        if provisional is not None and not directory.is_provisional(provisional):
            provisional = None
        return _render_attach(company, provisional, errors=exc.errors, status=422)
    db.session.commit()
    flash_in("fiche", provisional_merge.merged_message(merged))
    return redirect(url_for("directory.show", ref=company.ref, _anchor="fiche"))


def _render_attach(company: Company, provisional: Company | None, *, errors=None, status=200):
    return render_template(
        "directory/attach_provisional.html",
        company=company,
        provisional=provisional,
        needs=provisional_merge.needs_of(db.session, provisional) if provisional else [],
        errors=errors or {},
        **helpers(),
    ), status


@bp.route("/<company_ref:ref>/preferences", methods=["POST"])
def preferences(ref: str):
    company = _company_or_404(ref)
    typed = typed_preferences(request.form)
    try:
        save_preferences(company, request.form, actor=current_user)
    except (directory.CompanyError, ChangedMeanwhile) as exc:
        db.session.rollback()
        errors = errors_for(exc, {"max_contacts_per_month": "max_contacts_per_month"})
        return _render_show(
            _company_or_404(ref), status=422, preference_errors=errors, preference_values=typed
        )
    db.session.commit()
    flash_in("preferences", "Préférences de contact enregistrées.")
    return redirect(url_for("directory.show", ref=ref, _anchor="preferences"))


@bp.route("/<company_ref:ref>/contacts", methods=["POST"])
def add_contact(ref: str):
    company = _company_or_404(ref)
    try:
        directory.add_contact(db.session, company, request.form, actor=current_user)
    except directory.CompanyError as exc:
        db.session.rollback()
        return _render_show(
            _company_or_404(ref),
            status=422,
            contact_errors=exc.errors,
            contact_values=request.form.to_dict(),
        )
    db.session.commit()
    flash_in("contacts", "Contact ajouté.")
    # The list's last page, where the new contact is (the other lists where they were).
    count = directory.contact_count(db.session, company)
    pages = {**_kept_args(), SHOW_PAGE_PARAMS["contacts"]: math.ceil(count / SHOWN_PER_PAGE)}
    pages = {param: page for param, page in pages.items() if page > 1}
    return redirect(url_for("directory.show", ref=ref, _anchor="contacts", **pages))


@bp.route("/<company_ref:ref>/contacts/<int:contact_id>", methods=["POST"])
def edit_contact(ref: str, contact_id: int):
    contact = _contact_or_404(ref, contact_id)
    # The contact's own stamp: another contact or the company's preferences saved
    # meanwhile refuse nothing here; the same details sent again lose nothing.
    meanwhile = company_changed_meanwhile(contact.company, contact)
    try:
        typed = directory.validate_contact(request.form)
        held = directory.contact_held(typed)
        unchanged_since(db.session, contact, request.form.get("lu_le"), meanwhile, holds=held)
        directory.update_contact(db.session, contact, request.form, actor=current_user)
    except (directory.CompanyError, ChangedMeanwhile) as exc:
        db.session.rollback()
        return _render_show(
            contact.company,
            status=422,
            edit_errors=errors_for(exc, {key: key for key in ("name", "role", "phone", "email")}),
            edit_contact_id=contact_id,
            edit_values=request.form.to_dict(),
        )
    db.session.commit()
    flash_in("contacts", "Contact modifié.")
    return redirect(url_for("directory.show", ref=ref, _anchor="contacts", **_kept_args()))


def _contact_or_404(ref: str, contact_id: int) -> CompanyContact:
    company = _company_or_404(ref)
    contact = db.session.get(CompanyContact, contact_id)
    if contact is None or contact.company_id != company.id:
        abort(404)
    return contact


@bp.route("/<company_ref:ref>/contacts/<int:contact_id>/donnees.json")
@recent_login_required
def export_contact(ref: str, contact_id: int):
    """What the platform holds about a contact person, for them (access, portability)."""
    contact = _contact_or_404(ref, contact_id)
    document = contact_rights.export_contact(db.session, contact, actor=current_user)
    db.session.commit()
    response = jsonify(document)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="contact-{contact_id}-donnees.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<company_ref:ref>/contacts/<int:contact_id>/effacer", methods=["POST"])
@recent_login_required
def erase_contact(ref: str, contact_id: int):
    """Erase a contact person on their request (GDPR right to erasure), recorded."""
    contact = _contact_or_404(ref, contact_id)
    # The contact's own stamp: a contact changed since the page was read (another
    # person's name, address) is not the one whose erasure was asked for.
    meanwhile = (
        "Ce contact a été modifié par quelqu'un d'autre depuis que vous avez ouvert la "
        f"page : rien n'a été effacé. {contact_now(contact)} Vérifiez que c'est bien la "
        "personne qui a demandé l'effacement, puis confirmez à nouveau."
    )
    reason, errors = erasure_request(contact, meanwhile, limit=REQUEST_NOTE_MAX)
    if errors:
        return _render_show(
            contact.company,
            status=422,
            erase_errors=errors,
            erase_contact_id=contact_id,
            erase_values={"motif": request.form.get("motif", "")},
        )
    contact_rights.erase_contact(db.session, contact, actor=current_user, reason=reason)
    db.session.commit()
    flash_in(
        "contacts",
        "Le contact et ses coordonnées ont été effacés. L'effacement est noté au journal.",
    )
    # The same pages (a number now past the end shows the last page).
    return redirect(url_for("directory.show", ref=ref, _anchor="contacts", **_kept_args()))


@bp.route("/<company_ref:ref>/lettre", methods=["POST"])
def mailing(ref: str):
    """Record a newsletter sent to the company (consent and contact-pressure guard)."""
    company = _company_or_404(ref)
    values = request.form.to_dict()
    try:
        sent_on = parse_date(request.form.get("sent_on"), "sent_on", "Date d'envoi")
        record_mailing(
            db.session,
            company,
            subject=request.form.get("subject", ""),
            by=current_user,
            sent_on=sent_on,
            confirmed=request.form.get("confirmer") == "1",
        )
    except (VisitError, ContactRefused, ConfirmationRequired) as exc:
        return contact_not_recorded(ref, exc, "mailing", values)
    db.session.commit()
    flash_in("historique", "Envoi de la lettre d'information enregistré.")
    return redirect(url_for("directory.show", ref=ref, _anchor="historique"))
