"""The animateurs' CV library (CVthèque): search, export, a person's page, their CV.

Views parse the query string, call ``cvtheque.search`` / ``cvtheque.library`` and
render. Every look at personal data is in the audit log: each candidate page seen,
each CV downloaded, each export (with its filters and row count), and each refused
attempt by another role.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from connectences import accounts, territory, vocab
from connectences.cvtheque.access import LIBRARY_ROLES, may_read_cv
from connectences.cvtheque.commitments import (
    CommitmentError,
    add_commitment,
    read_commitment,
    remove_commitment,
    update_commitment,
    week_view,
)
from connectences.cvtheque.history import events_of
from connectences.cvtheque.library import (
    EXPORT_HEADERS,
    LibraryError,
    export_rows,
    leads_of,
    record_contact,
    set_notes,
    set_status,
)
from connectences.cvtheque.search import SearchFilters, iter_candidates, search_candidates
from connectences.extensions import db
from connectences.matching import matches as matching
from connectences.models import Candidate, Commitment, User
from connectences.numbers import read_number
from connectences.skills import rome_label
from connectences.web.access import guard_blueprint, recent_login_required
from connectences.web.downloads import send_cv, send_table
from connectences.web.navigation import add_nav
from connectences.web.paging import page_number
from connectences.web.week import render_complete_week

bp = Blueprint("library", __name__, url_prefix="/animateur/cvtheque")


@bp.before_request
def _audit_other_roles():
    # Registered before the role guard, so that a refused attempt is logged too.
    if current_user.is_authenticated and current_user.role not in LIBRARY_ROLES:
        accounts.audit(
            db.session,
            "cvtheque_access_refused",
            actor=current_user.id,
            ip=request.remote_addr,
            details={"path": request.path, "role": current_user.role},
        )
        db.session.commit()


guard_blueprint(bp, *sorted(LIBRARY_ROLES))
for _role in sorted(LIBRARY_ROLES):
    add_nav(_role, "CVthèque", "library.index")

PER_PAGE = 25
MAX_TEXT = 200
SORT_PARAMS = {"pertinence": "relevance", "recent": "recent"}
SOURCES = ("forum", "job dating", "permanence France Travail", "réseaux sociaux", "import")
LEAD_STATUSES = vocab.LEAD_STATUSES


# Pages of other parts of the library, linked when they exist.
LIBRARY_LINKS = (
    ("Ajouter une personne", "library_admin.new_candidate"),
    ("Importer des CV", "library_admin.import_form"),
    ("Doublons possibles", "library_admin.duplicates"),
)
PERSON_LINKS: tuple[tuple[str, str], ...] = ()


def _optional_links(pairs, **values) -> list[tuple[str, str]]:
    out = []
    for label, endpoint in pairs:
        try:
            out.append((label, url_for(endpoint, **values)))
        except BuildError:
            continue
    return out


# --- reading the filters ---------------------------------------------------------------


def _number(name: str, label: str, low: float, high: float, errors: list[str]) -> float | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    value = read_number(raw)
    if value is None:
        errors.append(f"{label} : saisissez un nombre.")
        return None
    if not low <= value <= high:
        errors.append(f"{label} : saisissez un nombre entre {low:g} et {high:g}.")
        return None
    return value


def _commune(name: str, label: str, errors: list[str]) -> str:
    code = (request.args.get(name) or "").strip()
    if code and not territory.is_commune(code):
        errors.append(f"{label} : commune inconnue.")
        return ""
    return code


def read_filters() -> tuple[SearchFilters, dict, list[str]]:
    """The filters of the query string: (filters, params to repeat in links, errors)."""
    args = request.args
    errors: list[str] = []
    text = (args.get("q") or "").strip()[:MAX_TEXT]
    rome = (args.get("rome") or "").strip().upper()[:5]
    if rome and not (len(rome) >= 3 and rome[0].isalpha() and rome[1:3].isdigit()):
        errors.append("Code ROME : saisissez un code (M1203) ou son début (M12).")
        rome = ""
    commune = _commune("commune", "Commune", errors)
    epci = (args.get("intercommunalite") or "").strip()
    if epci and not territory.is_epci(epci):
        errors.append("Intercommunalité : choisissez-en une de la liste.")
        epci = ""
    near = _commune("autour", "Autour de", errors)
    radius = _number("rayon", "Rayon", 0, 200, errors)
    if near and radius is None and "rayon" not in errors:
        radius = 10.0
    if radius is not None and not near:
        errors.append("Rayon : choisissez aussi la commune au centre de la recherche.")
        radius = None
    level = args.get("niveau", "")
    if level and level not in vocab.LEVELS:
        errors.append("Niveau : choisissez un niveau de la liste.")
        level = ""
    hours_min = _number("heures_min", "Heures par semaine (au moins)", 0, 48, errors)
    hours_max = _number("heures_max", "Heures par semaine (au plus)", 0, 48, errors)
    if hours_min is not None and hours_max is not None and hours_min > hours_max:
        errors.append("Heures par semaine : le minimum dépasse le maximum.")
        hours_min = hours_max = None
    days = tuple(d for d in vocab.DAYS if d in args.getlist("jours"))
    contract = args.get("contrat", "")
    if contract and contract not in vocab.CONTRACTS:
        errors.append("Contrat : choisissez un contrat de la liste.")
        contract = ""
    available_by = None
    raw_date = (args.get("disponible_le") or "").strip()
    if raw_date:
        try:
            available_by = date.fromisoformat(raw_date)
        except ValueError:
            errors.append("Disponible au plus tard le : date invalide (jj/mm/aaaa).")
    statuses = tuple(s for s in vocab.CANDIDATE_STATUSES if s in args.getlist("statut"))
    source = (args.get("source") or "").strip()[:100]
    confirmed = {"oui": True, "non": False}.get(args.get("confirme", ""))
    filters = SearchFilters(
        text=text,
        rome=rome,
        commune=commune,
        epci=epci,
        near=near,
        radius_km=radius if near else None,
        level=level,
        hours_min=hours_min,
        hours_max=hours_max,
        days=days,
        contract=contract,
        available_by=available_by,
        statuses=statuses,
        source=source,
        confirmed=confirmed,
    )
    params = {
        "q": text,
        "rome": rome,
        "commune": commune,
        "intercommunalite": epci,
        "autour": near,
        "rayon": f"{radius:g}" if near and radius is not None else "",
        "niveau": level,
        "heures_min": "" if hours_min is None else f"{hours_min:g}",
        "heures_max": "" if hours_max is None else f"{hours_max:g}",
        "jours": list(days),
        "contrat": contract,
        "disponible_le": available_by.isoformat() if available_by else "",
        "statut": list(statuses),
        "source": source,
        "confirme": args.get("confirme", "") if confirmed is not None else "",
    }
    return filters, {k: v for k, v in params.items() if v}, errors


def _sort(filters: SearchFilters) -> tuple[str, str]:
    """(param, domain sort): relevance only means something with a text."""
    # "pertinence" is the default even without a text: the search form sends the
    # choice back, and a first visit without text must not pin every later text
    # search to recency. Without a text, relevance orders by recency anyway.
    param = request.args.get("tri", "")
    if param not in SORT_PARAMS:
        param = "pertinence"
    return param, SORT_PARAMS[param]


# The only parameters a person's page hands back to the search it came from.
BACK_PARAMS = frozenset(
    {
        "q", "rome", "commune", "intercommunalite", "autour", "rayon", "niveau",
        "heures_min", "heures_max", "jours", "contrat", "disponible_le", "statut",
        "source", "confirme", "tri", "page",
    }
)  # fmt: skip


def _back_url() -> str:
    """The search page a person's page was opened from (known parameters only)."""
    pairs = [
        (key, value)
        for key, value in parse_qsl(request.args.get("retour", ""))[:60]
        if key in BACK_PARAMS
    ]
    base = url_for("library.index")
    return f"{base}?{urlencode(pairs)}" if pairs else base


# --- views -------------------------------------------------------------------------------


@bp.route("")
def index():
    filters, params, errors = read_filters()
    sort_param, sort = _sort(filters)
    result = search_candidates(
        db.session, filters, sort=sort, page=page_number(), per_page=PER_PAGE
    )
    link_params = dict(params, tri=sort_param)
    back = urlencode(
        [
            (key, item)
            for key, value in {**link_params, "page": result.page}.items()
            for item in (value if isinstance(value, list) else [value])
        ]
    )
    return render_template(
        "library/index.html",
        result=result,
        back=back,
        distance_km=territory.distance_km,
        filters=filters,
        params=params,
        link_params=link_params,
        errors=errors,
        sort_param=sort_param,
        pays_communes=sorted(territory.pays_communes(), key=lambda c: c.name),
        epcis=territory.PAYS_EPCIS,
        levels=vocab.LEVELS,
        days=vocab.DAYS,
        contracts=vocab.CONTRACTS,
        statuses=vocab.CANDIDATE_STATUSES,
        sources=SOURCES,
        commune_label=territory.commune_label,
        rome_label=rome_label,
        library_links=_optional_links(LIBRARY_LINKS),
    )


@bp.route("/export/<fmt>")
@recent_login_required
def export(fmt: str):
    """Every candidate of the current search (not only the page), as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters, _, _ = read_filters()
    _, sort = _sort(filters)
    rows = list(export_rows(iter_candidates(db.session, filters, sort=sort)))
    accounts.audit(
        db.session,
        "cv_export",
        actor=current_user.id,
        entity="candidate",
        ip=request.remote_addr,
        details={"format": fmt, "filters": filters.as_dict(), "sort": sort, "rows": len(rows)},
    )
    db.session.commit()
    return send_table(fmt, "cvtheque", EXPORT_HEADERS, rows, title="CVthèque")


def _candidate_or_404(ref: str) -> Candidate:
    return db.first_or_404(select(Candidate).where(Candidate.ref == ref))


@bp.route("/<ref>")
def show(ref: str):
    candidate = _candidate_or_404(ref)
    accounts.audit(
        db.session,
        "cv_view",
        actor=current_user.id,
        entity="candidate",
        entity_id=candidate.id,
        ip=request.remote_addr,
    )
    db.session.commit()
    events = events_of(db.session, candidate.id)
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    return render_template(
        "library/show.html",
        candidate=candidate,
        events=events,
        actors=actors,
        leads=leads_of(db.session, candidate.id),
        week=week_view(candidate),
        commune_label=territory.commune_label,
        rome_label=rome_label,
        levels=vocab.LEVELS,
        days=vocab.DAYS,
        contracts=vocab.CONTRACTS,
        statuses=vocab.CANDIDATE_STATUSES,
        source_label=vocab.label(vocab.CANDIDATE_SOURCES, candidate.source) or "—",
        lead_statuses=LEAD_STATUSES,
        person_links=_optional_links(PERSON_LINKS, ref=candidate.ref),
        back_url=_back_url(),
    )


def _after_change(candidate: Candidate) -> None:

    matching.candidate_changed(candidate)


@bp.route("/<ref>/statut", methods=["POST"])
def change_status(ref: str):
    candidate = _candidate_or_404(ref)
    try:
        changed = set_status(
            db.session, candidate, request.form.get("statut", ""), actor=current_user
        )
    except LibraryError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".show", ref=ref, _anchor="statut"))
    db.session.commit()
    if changed:
        _after_change(candidate)
        flash(f"Statut enregistré : {vocab.CANDIDATE_STATUSES[candidate.status]}.", "success")
    return redirect(url_for(".show", ref=ref))


@bp.route("/<ref>/notes", methods=["POST"])
def change_notes(ref: str):
    candidate = _candidate_or_404(ref)
    try:
        changed = set_notes(
            db.session, candidate, request.form.get("notes", ""), actor=current_user
        )
    except LibraryError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".show", ref=ref, _anchor="notes"))
    db.session.commit()
    if changed:
        flash("Notes enregistrées.", "success")
    return redirect(url_for(".show", ref=ref, _anchor="notes"))


@bp.route("/<ref>/contact", methods=["POST"])
def contact(ref: str):
    candidate = _candidate_or_404(ref)
    record_contact(db.session, candidate, actor=current_user)
    db.session.commit()
    flash("Contact noté : la durée de conservation repart d'aujourd'hui.", "success")
    return redirect(url_for(".show", ref=ref, _anchor="contact"))


@bp.route("/<ref>/cv")
def cv(ref: str):
    candidate = _candidate_or_404(ref)
    if not may_read_cv(db.session, current_user, candidate.id):
        abort(403)
    return send_cv(
        candidate, actor=current_user.id, ip=request.remote_addr, details={"from": "cvtheque"}
    )


# --- the person's week: commitments they report, and what would complete it ----------


def _commitment_or_404(candidate: Candidate, commitment_id: int) -> Commitment:
    commitment = next((c for c in candidate.commitments if c.id == commitment_id), None)
    if commitment is None:
        abort(404)
    return commitment


def _commitment_form(candidate: Candidate, commitment: Commitment | None):
    """Add or change one commitment: French message next to each field, nothing written
    on a refusal."""
    form = request.form
    if request.method == "POST":
        try:
            values = read_commitment(
                candidate,
                label=form.get("libelle"),
                hours=form.get("heures"),
                days=form.getlist("jours"),
                start=form.get("debut"),
                until=form.get("fin"),
                replacing=commitment,
            )
        except CommitmentError as error:
            db.session.rollback()
            return _render_commitment_form(candidate, commitment, form, error.errors, 422)
        if commitment is None:
            add_commitment(db.session, candidate, values, actor=current_user)
            message = "Engagement ajouté à la semaine de la personne."
        else:
            update_commitment(db.session, candidate, commitment, values, actor=current_user)
            message = "Engagement modifié."
        db.session.commit()
        _after_change(candidate)
        flash(message, "success")
        return redirect(url_for(".show", ref=candidate.ref, _anchor="semaine"))
    if commitment is not None:
        values = {
            "libelle": commitment.label or "",
            "heures": f"{commitment.hours_per_week:g}",
            "jours": list(commitment.days or []),
            "debut": commitment.start.isoformat() if commitment.start else "",
            "fin": commitment.until.isoformat() if commitment.until else "",
        }
    else:
        values = {"libelle": "", "heures": "", "jours": [], "debut": "", "fin": ""}
    return _render_commitment_form(candidate, commitment, values, {}, 200)


def _render_commitment_form(candidate, commitment, values, errors, status):
    if hasattr(values, "getlist"):
        values = {**values.to_dict(), "jours": values.getlist("jours")}
    return render_template(
        "library/commitment.html",
        candidate=candidate,
        commitment=commitment,
        values=values,
        errors=errors,
        days=vocab.DAYS,
    ), status


@bp.route("/<ref>/engagements/nouveau", methods=["GET", "POST"])
def new_commitment(ref: str):
    return _commitment_form(_candidate_or_404(ref), None)


@bp.route("/<ref>/engagements/<int:commitment_id>", methods=["GET", "POST"])
def edit_commitment(ref: str, commitment_id: int):
    candidate = _candidate_or_404(ref)
    return _commitment_form(candidate, _commitment_or_404(candidate, commitment_id))


@bp.route("/<ref>/engagements/<int:commitment_id>/retirer", methods=["POST"])
def delete_commitment(ref: str, commitment_id: int):
    candidate = _candidate_or_404(ref)
    remove_commitment(
        db.session, candidate, _commitment_or_404(candidate, commitment_id), actor=current_user
    )
    db.session.commit()
    _after_change(candidate)
    flash("Engagement retiré de la semaine de la personne.", "success")
    return redirect(url_for(".show", ref=ref, _anchor="semaine"))


@bp.route("/<ref>/semaine")
def complete_week(ref: str):
    """« Compléter la semaine »: open needs and bundles that fit the person's free time."""
    candidate = _candidate_or_404(ref)
    return render_complete_week(candidate, back_url=url_for(".show", ref=ref))
