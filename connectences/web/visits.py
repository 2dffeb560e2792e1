"""Prospection visits for animateurs: logging a visit on a phone (find or create the
company, the contact-pressure panel, the visit fields), "Mes relances", and the
visits list with its totals and CSV/XLSX export.

Every page works without JavaScript; ``static/js/visits.js`` only adds a live
company search to the visit form.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from connectences import submissions, territory
from connectences.accounts.users import prospection_staff
from connectences.clock import local_today
from connectences.content import callbacks
from connectences.extensions import db
from connectences.listing import refused_by_field
from connectences.models import Visit
from connectences.prospection import companies as directory
from connectences.prospection import visits as prospection
from connectences.prospection.pressure import (
    ConfirmationRequired,
    ContactRefused,
    OverCapReasonRefused,
    contact_pressure,
    over_cap_reason_of,
)
from connectences.web.access import guard_blueprint, recent_login_required
from connectences.web.actions import flash_in
from connectences.web.directory import helpers
from connectences.web.downloads import refuse_export, send_table
from connectences.web.forms import tell_communes_recorded
from connectences.web.navigation import add_nav
from connectences.web.needs import over_cap_typed
from connectences.web.paging import page_number, paged, paginate

bp = Blueprint("visits", __name__, url_prefix="/animateur")
guard_blueprint(bp, "animateur", "admin", audit_action="visits_access_refused")
add_nav("animateur", "Nouvelle visite", "visits.new")
add_nav("animateur", "Mes relances", "visits.follow_ups")
for _role in ("animateur", "admin"):
    add_nav(_role, "Visites", "visits.index")

# The need form (built by the needs area) that a visit with a need detected opens.
NEED_FORM_PATH = "/animateur/besoins/nouveau"
PER_PAGE = 20  # a phone shows each visit as a card: 50 made the page 13,000 px long
CREATE_FIELDS = ("name", "siret", "commune", *directory.PERSON_MET_FIELDS.values())


def need_form_url(company_ref: str, visit_id: int) -> str:
    """The need form, pre-filled with the company and the visit."""
    return f"{NEED_FORM_PATH}?{urlencode({'entreprise': company_ref, 'visite': visit_id})}"


# --- logging a visit ---------------------------------------------------------------------


def _render_new(*, company=None, status=200, **extra):
    day = local_today()
    text = (request.values.get("q") or "").strip()[:200]
    results = []
    if company is None and len(text) >= 2:
        results = directory.search_companies(db.session, text, limit=10)
    context = {
        "company": company,
        "pressure": contact_pressure(db.session, company, on=day) if company else None,
        "solicit_since": directory.do_not_solicit_since(db.session, company) if company else None,
        "q": text,
        "results": results,
        "today": day,
        "values": {},
        "errors": {},
        "create_values": {},
        "create_errors": {},
        "similar": [],
        "need_confirm": False,
        # The visit form's one-time token (``submissions``): kept when the form comes
        # back (an error, the box to tick), so that it is still the same sending.
        "submission_token": submissions.kept_token(request.form.get(submissions.FIELD)),
        **helpers(),
        **extra,
    }
    return render_template("visits/new.html", **context), status


@bp.route("/visites/nouvelle", methods=["GET", "POST"])
def new():
    ref = request.values.get("entreprise", "")
    company = directory.get_company(db.session, ref) if ref else None
    if ref and company is None:
        abort(404)
    if request.method == "GET":
        return _render_new(company=company)
    if request.form.get("action") == "creer_entreprise":
        return _create_company()
    if company is None:
        flash("Choisissez d'abord l'entreprise rencontrée.", "error")
        return redirect(url_for("visits.new"))
    return _save_visit(company)


def _create_company():
    values = {key: request.form.get(key, "") for key in CREATE_FIELDS}
    try:
        company, created = directory.find_or_create_company(
            db.session,
            request.form,
            actor=current_user,
            similar_ok=request.form.get("confirmer_similaire") == "1",
            person_met=request.form,
        )
    except directory.CompanyError as exc:
        db.session.rollback()
        return _render_new(status=400, create_values=values, create_errors=exc.errors)
    except directory.SimilarCompaniesFound as exc:
        db.session.rollback()
        return _render_new(status=409, create_values=values, similar=exc.similar)
    db.session.commit()
    if created:
        flash(f"Entreprise « {company.name} » créée. Complétez la visite.", "success")
        tell_communes_recorded(request.form.get("commune"))
    else:
        flash(
            directory.already_registered(company, request.form.get("name"))
            + " Complétez la visite.",
            "info",
        )
    return redirect(url_for("visits.new", entreprise=company.ref))


def _save_visit(company):
    values = {
        "channel": request.form.get("channel", ""),
        "visited_on": request.form.get("visited_on", ""),
        "topics": request.form.getlist("topics"),
        "outcome": request.form.get("outcome", ""),
        "notes": request.form.get("notes", ""),
        "need_detected": request.form.get("need_detected") == "1",
        "follow_up_on": request.form.get("follow_up_on", ""),
        **over_cap_typed(request.form),
    }
    key = prospection.visit_submission_key(
        request.form.get(submissions.FIELD), values, company=company, animateur=current_user
    )
    earlier = prospection.submitted_visit(db.session, key, company=company, animateur=current_user)
    if earlier is not None:
        # The same form sent again once stored: the first answer again, nothing stored.
        return _saved_page(_saved(earlier, company), again=True)
    day = local_today()
    try:
        data = prospection.visit_input_from_form(request.form, today=day)
        visit, _pressure = prospection.log_visit(
            db.session,
            company,
            data,
            animateur=current_user,
            confirmed=request.form.get("confirmer") == "1",
            today=day,
            over_cap_reason=over_cap_reason_of(request.form),
            submission_key=key,
        )
        # Read before the commit expires them (reading after would load both rows again).
        saved = _saved(visit, company)
        db.session.commit()
    except prospection.VisitError as exc:
        db.session.rollback()
        return _render_new(company=company, status=400, values=values, errors=exc.errors)
    except OverCapReasonRefused as exc:
        db.session.rollback()
        return _render_new(company=company, status=422, values=values, errors=exc.errors)
    except (ContactRefused, ConfirmationRequired) as refusal:
        db.session.rollback()
        # Sent twice at the same instant, the other request may have stored this very
        # sending since it was looked for: the contact it counted is then no refusal.
        earlier = prospection.submitted_visit(
            db.session, key, company=company, animateur=current_user
        )
        if earlier is not None:
            return _saved_page(_saved(earlier, company), again=True)
        # The panel shows the refusal; the form stays closed, or offers to pass the cap.
        need_confirm = isinstance(refusal, ConfirmationRequired)
        return _render_new(company=company, status=409, values=values, need_confirm=need_confirm)
    except IntegrityError:
        # The same form sent at the same instant by another request, which stored it
        # first (both passed the guard before either wrote): its visit is this one's.
        db.session.rollback()
        earlier = prospection.submitted_visit(
            db.session, key, company=company, animateur=current_user
        )
        if earlier is None:
            raise
        return _saved_page(_saved(earlier, company), again=True)
    return _saved_page(saved)


def _saved(visit, company) -> tuple[bool, int, str, str]:
    """What the page after a stored visit needs: whether a need was detected, the
    visit's id, the company's ref and name."""
    return visit.need_detected, visit.id, company.ref, company.name


def _saved_page(saved: tuple[bool, int, str, str], *, again: bool = False):
    """After a stored visit: the need form when a need was detected, the company's
    history otherwise. ``again``: the same form sent once more, its visit already
    stored (a double click, a retry): the same page, saying nothing was added. The
    message is shown in the history the browser is sent to (in view on a phone)."""
    need_detected, visit_id, ref, name = saved
    if again:
        flash_in(
            "historique",
            f"Cette visite à « {name} » était déjà enregistrée (formulaire envoyé deux fois) : "
            "rien n'a été ajouté.",
            "info",
        )
    elif need_detected:
        flash("Visite enregistrée. Décrivez maintenant le besoin détecté.", "success")
    else:
        flash_in("historique", f"Visite à « {name} » enregistrée.")
    if need_detected:
        return redirect(need_form_url(ref, visit_id))
    return redirect(url_for("directory.show", ref=ref) + "#historique")


# --- my follow-ups -----------------------------------------------------------------------


# Each list of "Mes relances" pages on its own: its page number's query argument.
FOLLOW_UP_PAGE_PARAMS = {
    "callbacks": "page_rappels",
    "overdue": "page_retard",
    "today": "page_jour",
    "upcoming": "page_a_venir",
}
FOLLOW_UPS_PER_PAGE = 20


def _follow_ups_page(day, *, errors=None, typed=None, status=200):
    totals = prospection.follow_up_totals(db.session, current_user.id, today=day)
    sections = {
        bucket: paginate(
            prospection.follow_up_bucket(current_user.id, bucket, today=day),
            FOLLOW_UPS_PER_PAGE,
            FOLLOW_UP_PAGE_PARAMS[bucket],
            total=totals[bucket],
        )
        for bucket in prospection.FOLLOW_UP_BUCKETS
    }
    sections["callbacks"] = paginate(
        callbacks.open_for(current_user), FOLLOW_UPS_PER_PAGE, FOLLOW_UP_PAGE_PARAMS["callbacks"]
    )
    # The pager of one list keeps the page the others are at.
    page_params = {
        FOLLOW_UP_PAGE_PARAMS[name]: pagination.page
        for name, pagination in sections.items()
        if pagination.page > 1
    }
    return (
        render_template(
            "visits/follow_ups.html",
            sections=sections,
            page_params=page_params,
            page_param_names=FOLLOW_UP_PAGE_PARAMS,
            best_times=callbacks.BEST_TIMES,
            today=day,
            errors=errors or {},
            typed=typed or {},
            **helpers(),
        ),
        status,
    )


@bp.route("/relances")
def follow_ups():
    return _follow_ups_page(local_today())


def _back_to_follow_ups():
    """Back to "Mes relances" at the pages the form was sent from."""
    kept = {
        name: page_number(name) for name in FOLLOW_UP_PAGE_PARAMS.values() if request.args.get(name)
    }
    return redirect(url_for("visits.follow_ups", **kept))


@bp.route("/relances/<int:visit_id>", methods=["POST"])
def follow_up(visit_id: int):
    visit = db.session.get(Visit, visit_id)
    # Only one's own follow-ups: another animateur's is "not found", not "forbidden".
    if visit is None or visit.animateur_id != current_user.id or visit.follow_up_on is None:
        abort(404)
    day = local_today()
    action = request.form.get("action")
    try:
        if action == "reporter":
            prospection.reschedule_follow_up(
                db.session, visit, request.form.get("follow_up_on"), actor=current_user, today=day
            )
            message = (
                f"Relance de « {visit.company.name} » reportée au {visit.follow_up_on:%d/%m/%Y}."
            )
        elif action == "clore":
            prospection.close_follow_up(db.session, visit, actor=current_user)
            message = f"Relance de « {visit.company.name} » close."
        else:
            abort(400)
    except prospection.FollowUpClosed as closed:
        # A stale page or a form sent twice: the row is no longer listed, so the
        # message goes on top of the list, not next to a field nobody sees.
        db.session.rollback()
        flash(f"{closed.MESSAGE} Rien n'a été modifié.", "info")
        return _back_to_follow_ups()
    except prospection.VisitError as exc:
        db.session.rollback()
        return _follow_ups_page(
            day,
            errors={visit_id: exc.errors},
            typed={visit_id: (request.form.get("follow_up_on") or "")[:10]},
            status=422,
        )
    db.session.commit()
    flash(message, "success")
    return _back_to_follow_ups()


# --- the visits list ---------------------------------------------------------------------


@bp.route("/visites")
def index():
    animateurs = prospection_staff(db.session)
    filters, errors = prospection.VisitFilters.from_args(
        request.args, {user.id for user in animateurs}
    )
    # The totals count every visit of the filters (one GROUP BY), not only the page's.
    total, totals = prospection.counted_visits(db.session, filters)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page_number(), pages)
    query = paged(prospection.listed_visits(filters), PER_PAGE, (page - 1) * PER_PAGE)
    rows = prospection.as_listed(db.session.execute(query))
    return render_template(
        "visits/index.html",
        visits=rows,
        total=total,
        totals=totals,
        page=page,
        pages=pages,
        filters=filters.form_values_as_typed(request.args, errors),
        active_filters=filters.as_args(),
        errors=errors,
        field_errors=refused_by_field(errors),
        animateurs=animateurs,
        epcis=territory.PAYS_EPCIS,
        **helpers(),
    )


@bp.route("/visites/export.<fmt>")
@recent_login_required
def export(fmt: str):
    """Exactly the visits the list shows with the same filters, every page."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    animateurs = {user.id for user in prospection_staff(db.session)}
    filters, errors = prospection.VisitFilters.from_args(request.args, animateurs)
    if errors:
        return refuse_export("visits.index")
    rows = prospection.export_rows(db.session, filters)
    return send_table(fmt, "visites", prospection.EXPORT_HEADERS, rows, "Visites")
