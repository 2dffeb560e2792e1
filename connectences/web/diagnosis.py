"""The GPECT diagnosis questionnaire for the staff: an animateur sends the owner its link
(the owner's page is ``web/diagnosis_public.py``) or fills the questionnaire in with the company during a
visit; the observatory shows the answers counted by intercommunality; the analysts
export them.

The rules live in ``connectences.prospection.diagnosis`` (questionnaire, link) and
``connectences.observatory.diagnosis`` (counts, protected by the observatory's
``tables.protect``); the page draws them with the observatory's ``figure`` macro and
downloads them through ``observatory.exports``; these views parse, call and render.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from connectences.accounts.scope import STAFF_ROLES, observatory_scope
from connectences.clock import local_today
from connectences.extensions import db
from connectences.ids import read_id
from connectences.listing import Refusal, choice_reader
from connectences.mail.kinds import MailKind
from connectences.mail.outbox import platform_reply_to, queue_template
from connectences.models import Visit
from connectences.observatory import diagnosis as figures
from connectences.observatory import exports
from connectences.prospection import companies as directory
from connectences.prospection import diagnosis as questionnaire
from connectences.prospection.pressure import ConfirmationRequired, ContactRefused
from connectences.territory import PAYS_EPCIS
from connectences.text import slug
from connectences.urls import external_url
from connectences.web.access import (
    guard_blueprint,
    recent_login_required,
    refuse_and_audit,
    role_required,
)
from connectences.web.actions import flash_in
from connectences.web.diagnosis_public import checked_answer, render_form
from connectences.web.directory import contact_not_recorded
from connectences.web.downloads import refuse_export, send_body, send_table
from connectences.web.navigation import add_nav

bp = Blueprint("diagnosis", __name__)
guard_blueprint(bp, "animateur", "admin", audit_action="diagnosis_access_refused")
for _role in ("territoire", "animateur", "admin"):
    add_nav(_role, "Diagnostic", "diagnosis.observatory")


# --- the animateur: sending the link, filling in during a visit ------------------------


def _secret() -> str:
    return current_app.secret_key


def _company_or_404(ref: str):
    return directory.get_company(db.session, ref) or abort(404)


@bp.route("/animateur/entreprises/<company_ref:ref>/diagnostic/envoyer", methods=["POST"])
def send(ref: str):
    """Mail the questionnaire to the owner: a contact, checked by the pressure guard."""
    company = _company_or_404(ref)
    values = {"email": (request.form.get("email") or "")[:254]}
    try:
        diagnosis = questionnaire.prepare_link(
            db.session,
            company,
            request.form.get("email", ""),
            by=current_user,
            on=local_today(),
            confirmed=request.form.get("confirmer") == "1",
        )
    except (questionnaire.DiagnosisError, ContactRefused, ConfirmationRequired) as error:
        return contact_not_recorded(ref, error, "diagnosis", values)
    queue_template(
        db.session,
        kind=MailKind.DIAGNOSIS_LINK,
        to=diagnosis.sent_to,
        subject="Questionnaire de diagnostic des entreprises du territoire",
        template="diagnosis_link",
        reply_to=platform_reply_to(),
        company=company.name,
        sender=current_user.full_name or "L'équipe de la plateforme",
        link=external_url(
            "diagnosis_public.answer", token=questionnaire.link_token(_secret(), diagnosis)
        ),
        days=questionnaire.link_days(),
    )
    db.session.commit()
    flash_in("diagnostic", f"Questionnaire envoyé à {diagnosis.sent_to}.")
    return redirect(url_for("directory.show", ref=ref, _anchor="diagnostic"))


@bp.route("/animateur/entreprises/<company_ref:ref>/diagnostic", methods=["GET", "POST"])
def fill(ref: str):
    """The questionnaire filled in by an animateur with the company (``?visite=<id>``)."""
    company = _company_or_404(ref)
    visit = None
    visit_id = request.args.get("visite", "")
    if visit_id:
        number = read_id(visit_id)
        visit = db.session.get(Visit, number) if number is not None else None
        if visit is None or visit.company_id != company.id:
            abort(404)
    action = url_for("diagnosis.fill", ref=ref, visite=visit.id if visit else None)
    # Refused by the guard: said at the top, no form to fill in for nothing.
    refused = questionnaire.fill_refusal(db.session, company, on=local_today(), visit=visit)
    if refused is not None:
        return _refused_page(company, refused, status=409 if request.method == "POST" else 200)
    if request.method == "GET":
        values = questionnaire.form_values(None)
        return render_form(None, company, action=action, values=values, staff=True, visit=visit)
    answer, page = checked_answer(None, company, action=action, staff=True, visit=visit)
    if answer is None:
        return page, 422
    try:
        questionnaire.fill_during_visit(
            db.session, company, answer, by=current_user, on=local_today(), visit=visit
        )
    except ContactRefused as refusal:  # refused since the page was read
        db.session.rollback()
        return _refused_page(company, refusal.pressure, status=409)
    db.session.commit()
    flash_in("diagnostic", "Réponses au questionnaire de diagnostic enregistrées.")
    return redirect(url_for("directory.show", ref=ref, _anchor="diagnostic"))


def _refused_page(company, pressure, *, status: int):
    """The questionnaire's page when the guard refuses it: why, since when, and what to
    do (a visit of the day to fill it in during, the company's preferences)."""
    refusal = {
        "pressure": pressure,
        "since": directory.do_not_solicit_since(db.session, company),
        "visit_today": questionnaire.visit_of_day(db.session, company, local_today()),
    }
    page = render_form(None, company, action="", values={}, staff=True, refusal=refusal)
    return page, status


# --- the observatory and the analysts' export --------------------------------------------


def _seen():
    """The diagnosis as the current user reads it, with the intercommunality asked for
    (None: the three side by side, staff only): exact for the staff; an officer's own
    intercommunality, protected (another is refused, and logged). None when the officer's
    account has no intercommunality. Last, the staff's choice refused (``Refusal``s)."""
    asked = request.args.get("epci", "")
    if current_user.role in STAFF_ROLES:
        # One not of the Pays (an outdated or edited link) is named, and left out.
        refused: list[Refusal] = []
        what = "une intercommunalité"
        epci = choice_reader(request.args, refused)("epci", "Intercommunalité", PAYS_EPCIS, what)
        return figures.figures_for(db.session, epci or None, exact=True), epci or None, refused
    epci = observatory_scope(current_user)
    if asked and asked != epci:
        refuse_and_audit("diagnosis_scope_refused", status=403, details={"epci": asked[:20]})
    if not epci:
        return None, None, []
    return figures.figures_for(db.session, epci, exact=False), epci, []


def _basename(epci: str | None) -> str:
    return "diagnostic-" + (slug(PAYS_EPCIS.get(epci, epci)) if epci else "pays")


@bp.route("/observatoire/diagnostic")
@role_required("territoire", "animateur", "admin")
def observatory():
    seen, epci, refused = _seen()
    return render_template(
        "diagnosis/observatory.html",
        seen=seen,
        refused=refused,
        staff=current_user.role in STAFF_ROLES,
        epci=epci,
        epcis=PAYS_EPCIS,
        protection_note=exports.PROTECTION_NOTE,
    )


@bp.route("/observatoire/diagnostic/tableaux.xlsx")
@role_required("territoire", "animateur", "admin")
def workbook():
    """Every table of the page as the reader sees it, a sheet each."""
    seen, epci, refused = _seen()
    if refused:
        return refuse_export("diagnosis.observatory")
    if seen is None:
        abort(404)
    about = [["Intercommunalités", ", ".join(name for _siren, name in seen.epcis)]]
    body = exports.tables_workbook("Diagnostic", about, seen.tables, exact=seen.exact)
    return send_body(body, "xlsx", _basename(epci))


@bp.route("/observatoire/diagnostic/tableaux/<key>.csv")
@role_required("territoire", "animateur", "admin")
def table_csv(key: str):
    seen, epci, refused = _seen()
    if refused:
        return refuse_export("diagnosis.observatory")
    table = next((t for t in seen.tables if t.key == key), None) if seen else None
    if table is None:
        abort(404)
    return send_body(exports.table_csv(table), "csv", f"{_basename(epci)}-{key}")


@bp.route("/observatoire/diagnostic/export.<fmt>")
@recent_login_required
def export(fmt: str):
    """Every answered questionnaire, one row each, for the GPECT's analysts."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    rows = questionnaire.export_rows(db.session)
    return send_table(
        fmt, "diagnostic-entreprises", questionnaire.EXPORT_HEADERS, rows, "Diagnostic"
    )
