"""The animateurs' need pages: the list, one need with its history, route and matches,
the "Pourquoi pas ce candidat ?" check, and the forms that move a need on (qualify,
propose to an operator, re-orient to a partner).

Views parse and check input, call the domain (``matching``, ``workflows``) and
render; every status change goes through ``workflows`` (never by hand here).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from connectences import territory, vocab
from connectences.clock import local_today
from connectences.extensions import db
from connectences.matching import service as matching
from connectences.matching.complete_week import people_with_free_time
from connectences.matching.data import need_from_model
from connectences.matching.score import score_pair
from connectences.matching.service_route_pool import decide_route
from connectences.models import (
    Candidate,
    Company,
    Lead,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Referral,
    User,
    Visit,
    utcnow,
)
from connectences.needs import board, form_rules, register
from connectences.needs.status_words import awaiting_owner
from connectences.prospection.companies import unreachable_message
from connectences.skills import rome_label, rome_suggestions
from connectences.web.access import guard_blueprint
from connectences.web.downloads import send_table
from connectences.web.formats import local_date, local_datetime_words, phone_display
from connectences.web.navigation import add_nav
from connectences.web.paging import paginate
from connectences.workflows import (
    NEED,
    NEED_MANUAL_MOVES,
    NEED_REORIENTABLE,
    NEED_SEARCHING,
    NeedState,
    TransitionError,
    history,
    transition,
)
from connectences.workflows.dispatch import send_lead, send_referral

bp = Blueprint("needs", __name__, url_prefix="/animateur/besoins")
guard_blueprint(bp, "animateur", "admin")
for _role in ("animateur", "admin"):
    add_nav(_role, "Besoins", "needs.index")

PER_PAGE = 15  # one card per need on a phone: 25 made the board 8,500 px long
MATCH_LIMITS = (10, 20, 50, 100)
DEFAULT_MATCH_LIMIT = 20
TRANSITION_BUTTONS = {
    NeedState.EN_RECHERCHE: "Lancer la recherche",
    NeedState.POURVU: "Marquer comme pourvu",
    NeedState.ABANDONNE: "Abandonner le besoin",
}
SOURCES = {
    "animateur": "Saisi par un animateur",
    "entreprise": "Déposé par l'entreprise",
    "import": "Importé",
}
MAX_NOTE = 2000
MAX_SEARCH = 200


# --- helpers -------------------------------------------------------------------------


def _need_or_404(ref: str) -> Need:
    return db.first_or_404(select(Need).options(joinedload(Need.company)).where(Need.ref == ref))


def _commune_label(insee: str | None) -> str:
    if not insee:
        return ""
    commune = territory.get_commune(insee)
    return commune.label if commune else insee


def _epci_label(insee: str | None) -> str:
    siren = territory.epci_of(insee) if insee else None
    if not siren:
        return "Hors intercommunalité connue"
    return territory.PAYS_EPCIS.get(siren) or (territory.get_epci(siren) or siren).name


def _hours(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}".replace(".", ",") + " h"


def _days(days) -> str:
    return ", ".join(label for key, label in vocab.DAYS.items() if key in (days or ())) or "—"


def _text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _back_to(need: Need, anchor: str = ""):
    return redirect(url_for("needs.show", ref=need.ref) + (f"#{anchor}" if anchor else ""))


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    value = request.args.get(name, type=int)
    if value is None:
        return default
    return max(low, min(high, value))


def _candidates_by_ref(refs) -> dict[str, Candidate]:
    refs = list(dict.fromkeys(refs))
    if not refs:
        return {}
    rows = db.session.scalars(select(Candidate).where(Candidate.ref.in_(refs)))
    return {c.ref: c for c in rows}


def _active_operators() -> list[Operator]:
    operators = db.session.scalars(select(Operator).where(Operator.active.is_(True))).all()
    kinds = list(vocab.OPERATOR_KINDS)
    # Groupements d'employeurs first: they are the usual home of shared-time work.
    return sorted(operators, key=lambda o: (kinds.index(o.kind) if o.kind in kinds else 99, o.name))


def _active_partners() -> list[Partner]:
    return list(
        db.session.scalars(
            select(Partner).where(Partner.active.is_(True)).order_by(Partner.name, Partner.ref)
        )
    )


def route_for_need(need: Need) -> dict:
    """The routing decision of the need: ``{"need", "decision", "operator"|"partner",
    "reasons", "no_fit_reason"}`` (``no_fit_reason`` preselects the referral's motive)."""
    decision = decide_route(need.ref)
    return {
        **decision.to_json(),
        "no_fit_reason": decision.no_fit_reason,
        "shared": list(decision.shared),
    }


# --- the board ----------------------------------------------------------------------


def _grouped(needs: list[Need]) -> list[tuple[str, list[Need]]]:
    """The page's needs in sections by state (the query already orders them so)."""
    groups: list[tuple[str, list[Need]]] = []
    for need in needs:
        if not groups or groups[-1][0] != need.status:
            groups.append((need.status, []))
        groups[-1][1].append(need)
    return groups


@bp.route("")
def index():
    filters = board.parse_filters(request.args)
    now = utcnow()
    pagination = paginate(board.board_query(filters, now=now), PER_PAGE)
    needs = list(pagination.items)
    active_filters = filters.as_args()
    return render_template(
        "needs/index.html",
        needs=needs,
        groups=_grouped(needs),
        pagination=pagination,
        filters=filters,
        active_filters=active_filters,
        counts=board.state_counts(db.session, filters, now=now),
        waiting=board.waiting_on(db.session, needs),
        waiting_labels=board.WAITING_ON,
        age_bands=board.AGE_BANDS,
        domains=board.rome_domains(),
        statuses=vocab.NEED_STATUSES,
        epcis=territory.PAYS_EPCIS,
        commune_label=_commune_label,
        rome_label=rome_label,
        hours=_hours,
        age=lambda need: board.age_in_days(need, now),
    )


@bp.route("/export/<fmt>")
def export(fmt: str):
    """Exactly the rows the board shows with the same filters, every page at once."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = board.parse_filters(request.args)
    now = utcnow()
    needs = list(db.session.scalars(board.board_query(filters, now=now)).unique())
    return send_table(
        fmt,
        "besoins",
        board.EXPORT_HEADERS,
        board.export_rows(db.session, needs, now=now),
        title="Besoins",
    )


# --- creating and qualifying -----------------------------------------------------------

NEW_FIELDS = register.NEED_TEXT_FIELDS + ("notes",)
FIELD_LABELS = {
    "title": "Intitulé",
    "skills": "Compétences",
    "level": "Niveau",
    "hours_per_week": "Heures par semaine",
    "days": "Jours",
    "contract": "Contrat",
    "reason": "Motif",
    "reason_text": "Le besoin dans les mots de l'entreprise",
    "start": "Démarrage",
    "duration_months": "Durée",
    "commune": "Lieu de travail",
    "rome": "Métier (code ROME)",
    "shared_time": "Temps partagé",
    "notes": "Notes",
    "entreprise": "Entreprise",
    "visite": "Visite",
}


def _posted() -> dict:
    data = {name: request.form.get(name, "") for name in NEW_FIELDS}
    data["days"] = request.form.getlist("days")
    return data


def _error_list(errors: dict) -> list[tuple[str, str]]:
    order = list(FIELD_LABELS)
    return sorted(errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99)


def _company_search(text: str) -> list[Company]:
    text = text.strip()
    if not text:
        return []
    compact = text.replace(" ", "")
    return list(
        db.session.scalars(
            select(Company)
            .where(
                or_(
                    Company.name.icontains(text, autoescape=True),
                    Company.siret.startswith(compact, autoescape=True),
                )
            )
            .order_by(Company.name)
            .limit(20)
        )
    )


def _pays_communes() -> list[str]:
    return sorted((c.label for c in territory.pays_communes()), key=str.lower)


def _form_context(**context) -> dict:
    return {
        "levels": vocab.LEVELS,
        "contracts": vocab.CONTRACTS,
        "reasons": vocab.REASONS,
        "days": vocab.DAYS,
        "communes": _pays_communes(),
        "labels": FIELD_LABELS,
        "today": local_today().isoformat(),
        **context,
    }


@bp.route("/nouveau", methods=["GET", "POST"])
def new():
    """A need entered by an animateur: from a visit (company and visit given) or from
    scratch (the company is picked by name or SIRET)."""
    company_ref = _text(request.values.get("entreprise"), 100)
    company = (
        db.session.scalar(select(Company).where(Company.ref == company_ref))
        if company_ref
        else None
    )
    visit = None
    visit_id = request.values.get("visite", type=int)
    errors: dict[str, str] = {}
    if company_ref and company is None:
        errors["entreprise"] = "Entreprise inconnue : choisissez-la dans la liste."
    if visit_id is not None:
        visit = db.session.get(Visit, visit_id)
        if visit is None or company is None or visit.company_id != company.id:
            errors["visite"] = "Cette visite n'existe pas ou ne concerne pas cette entreprise."
            visit = None
    search = _text(request.args.get("recherche"), MAX_SEARCH)
    found = _company_search(search) if company is None else []
    # A need opened from a visit starts with what was noted during the visit.
    data: dict = {"days": [], "notes": visit.notes or ""} if visit else {"days": []}
    duplicates: list[Need] = []
    status = 200
    if request.method == "POST":
        data = _posted()
        checked = form_rules.check_need(data, today=local_today())
        checked.values["notes"] = _text(data.get("notes"), MAX_NOTE) or None
        if company is None and "entreprise" not in errors:
            errors["entreprise"] = "Choisissez l'entreprise du besoin."
        errors.update(checked.errors)
        if not errors:
            duplicates = register.find_duplicates(db.session, company.id, checked.values["title"])
            if not duplicates or request.form.get("confirm_duplicate") == "1":
                need = register.create_need(
                    db.session, company, checked.values, actor=current_user, visit=visit
                )
                db.session.commit()
                flash("Besoin enregistré. Qualifiez-le quand vous en savez assez.", "success")
                return redirect(url_for("needs.show", ref=need.ref))
            status = 409
        else:
            status = 422
    return (
        render_template(
            "needs/new.html",
            **_form_context(
                company=company,
                visit=visit,
                search=search,
                found=found,
                data=data,
                errors=errors,
                error_list=_error_list(errors),
                duplicates=duplicates,
                status_labels=vocab.NEED_STATUSES,
            ),
        ),
        status,
    )


def _need_form_data(need: Need) -> dict:
    commune = territory.get_commune(need.commune) if need.commune else None
    return {
        "title": need.title,
        "skills": "\n".join(need.skills or ()),
        "level": need.level,
        "hours_per_week": f"{need.hours_per_week:g}".replace(".", ","),
        "days": list(need.days or ()),
        "contract": need.contract,
        "reason": need.reason,
        "reason_text": need.reason_text or "",
        "start": need.start.isoformat(),
        "duration_months": f"{need.duration_months:g}" if need.duration_months else "",
        "commune": commune.label if commune else "",
        "rome": need.rome or "",
        "shared_time": {True: "oui", False: "non"}.get(need.shared_time, ""),
        "notes": need.notes or "",
    }


@bp.route("/<ref>/qualifier", methods=["GET", "POST"])
def qualify(ref: str):
    need = _need_or_404(ref)
    data = _need_form_data(need)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = _posted()
        rome = request.form.get("rome", "")
        if rome in ("", "autre"):
            rome = request.form.get("rome_saisi", "")
        data.update(rome=rome, shared_time=request.form.get("shared_time", ""))
        checked = form_rules.check_need(data, today=local_today())
        checked.merge(form_rules.check_qualification(data))
        errors = checked.errors
        if not errors:
            try:
                moved = register.qualify_need(db.session, need, checked.values, actor=current_user)
            except TransitionError as refusal:
                db.session.rollback()
                flash(refusal.message, "error")
                return _back_to(need, "etat")
            db.session.commit()
            flash(
                "Le besoin est maintenant « qualifié »." if moved else "Qualification mise à jour.",
                "success",
            )
            return _back_to(need, "etat")
        status = 422
    skills = form_rules.split_skills(data.get("skills", ""))
    suggestions = rome_suggestions(data.get("title", ""), skills)
    return (
        render_template(
            "needs/qualify.html",
            **_form_context(
                need=need,
                data=data,
                errors=errors,
                error_list=_error_list(errors),
                suggestions=suggestions,
                suggested_codes={code for code, _ in suggestions},
                awaiting=awaiting_owner(need),
                qualifiable=need.status in register.QUALIFIABLE and not awaiting_owner(need),
            ),
        ),
        status,
    )


# --- one need ------------------------------------------------------------------------


def _match_filters() -> dict:
    limit = request.args.get("nombre", type=int)
    return {
        "min_score": _int_arg("score_min", 0, 0, 100),
        "limit": limit if limit in MATCH_LIMITS else DEFAULT_MATCH_LIMIT,
        "max_km": _int_arg("distance_max", None, 0, 500),
        "exact_level": request.args.get("niveau_exact") == "1",
        "all_days": request.args.get("tous_les_jours") == "1",
    }


def _matches(need: Need, filters: dict) -> tuple[list[dict], int]:
    """The ranked candidates for the need (as ``match_need`` ranks them), filtered as the
    animateur asked; explanations are written only for the rows shown.

    Returns the rows shown and how many candidates pass every hard constraint.
    """
    need_data = need_from_model(need)
    index = matching.candidate_index(db.session)
    ranked = index.top(need_data, None)
    chosen = []
    for ref, points in ranked:
        if points < filters["min_score"]:
            break  # best first: every following score is lower
        cand = index.get(ref)
        km = territory.distance_km(cand.commune, need_data.commune)
        if filters["max_km"] is not None and (km is None or km > filters["max_km"]):
            continue
        if filters["exact_level"] and cand.level != need_data.level:
            continue
        if filters["all_days"] and not need_data.days <= cand.days:
            continue
        chosen.append((cand, km))
        if len(chosen) >= filters["limit"]:
            break
    people = _candidates_by_ref(cand.ref for cand, _ in chosen)
    rows = []
    for cand, km in chosen:
        points, explanation = score_pair(need_data, cand)
        if cand.ref in people:
            rows.append(
                {
                    "candidate": cand.ref,
                    "score": points,
                    "explanation": explanation,
                    "person": people[cand.ref],
                    "km": km,
                }
            )
    return rows, len(ranked)


def _history_rows(need: Need) -> list[dict]:
    log = history(db.session, NEED, need.id)
    actor_ids = {t.actor_id for t in log if t.actor_id}
    actors = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    rows = []
    for entry in log:
        actor = actors.get(entry.actor_id)
        reason = vocab.NEED_ABANDON_REASONS.get(entry.reason_code or "", entry.reason_code)
        rows.append(
            {
                "at": entry.at,
                "who": (actor.full_name or actor.email) if actor else "La plateforme",
                "from": vocab.label(vocab.NEED_STATUSES, entry.from_state) or "—",
                "to": vocab.label(vocab.NEED_STATUSES, entry.to_state),
                "why": " — ".join(part for part in (reason, entry.reason_text) if part),
            }
        )
    return rows


def _leads_and_referrals(need: Need) -> tuple[list[Lead], list[Referral]]:
    leads = db.session.scalars(
        select(Lead)
        .join(LeadNeed, LeadNeed.lead_id == Lead.id)
        .where(LeadNeed.need_id == need.id)
        .options(
            joinedload(Lead.operator),
            selectinload(Lead.candidates),
            selectinload(Lead.needs).joinedload(LeadNeed.need).joinedload(Need.company),
        )
        .order_by(Lead.created_at.desc())
    ).unique()
    referrals = db.session.scalars(
        select(Referral)
        .where(Referral.need_id == need.id)
        .options(joinedload(Referral.partner))
        .order_by(Referral.created_at.desc())
    )
    return list(leads), list(referrals)


def _fields(need: Need) -> list[tuple[str, str]]:
    rome = need.rome or ""
    rome_text = f"{rome} — {rome_label(rome)}" if rome and rome_label(rome) else rome or "—"
    shared = {True: "Oui", False: "Non", None: "Pas encore précisé"}[need.shared_time]
    fields = [
        ("Référence", need.ref),
        ("Intitulé", need.title),
        ("Métier (code ROME)", rome_text),
        ("Compétences attendues", ", ".join(need.skills or ()) or "—"),
        ("Niveau de qualification", vocab.label(vocab.LEVELS, need.level)),
        ("Heures par semaine", _hours(need.hours_per_week)),
        ("Jours de travail", _days(need.days)),
        ("Contrat", vocab.label(vocab.CONTRACTS, need.contract)),
        ("Motif du besoin", vocab.label(vocab.REASONS, need.reason)),
        ("Démarrage souhaité", local_date(need.start)),
        (
            "Durée",
            f"{need.duration_months:g} mois".replace(".", ",")
            if need.duration_months
            else "Non précisée",
        ),
        ("Lieu de travail", _commune_label(need.place)),
        ("Intercommunalité", _epci_label(need.place)),
        ("Temps partagé", shared),
        ("Origine", SOURCES.get(need.source, need.source)),
        ("Enregistré le", local_datetime_words(need.created_at)),
    ]
    if need.reason_text:
        fields.append(("Le besoin dans les mots de l'entreprise", need.reason_text))
    if need.owner_email:
        confirmed = (
            f" (confirmé le {local_date(need.owner_confirmed_at)})"
            if need.owner_confirmed_at
            else " (pas encore confirmé)"
        )
        fields.append(("Adresse de l'entreprise pour ce besoin", need.owner_email + confirmed))
    if need.owner_name or need.owner_phone:
        phone = phone_display(need.owner_phone, "") if need.owner_phone else None
        who = " · ".join(part for part in (need.owner_name, phone) if part)
        fields.append(("A exprimé le besoin", who))
    if need.notes:
        fields.append(("Notes de l'animateur", need.notes))
    return fields


def _manual_moves(need: Need) -> tuple[str, ...]:
    if awaiting_owner(need):
        return ()  # not in the queue yet: its owner must confirm first
    allowed = NEED.allowed(need.status)
    return tuple(t for t in NEED_MANUAL_MOVES.get(need.status, ()) if t in allowed)


def _transition_choices(need: Need) -> list[tuple[str, str]]:
    return [(t, TRANSITION_BUTTONS[t]) for t in _manual_moves(need)]


@bp.route("/<ref>")
def show(ref: str):
    return _render_show(_need_or_404(ref))


def _render_show(
    need: Need, reorient: dict | None = None, reorient_errors: dict | None = None, status=200
):
    """The need page; after a refused re-orientation, with what was typed and chosen
    and the errors next to their fields."""
    filters = _match_filters()
    matches, proposed_count = _matches(need, filters)
    free_time = people_with_free_time(need)
    decision = route_for_need(need)
    operators = _active_operators()
    partners = _active_partners()
    leads, referrals = _leads_and_referrals(need)
    # No routing advice before qualification: the ROME code, level and contract it
    # rests on are not known yet.
    advise = need.status != "nouveau"
    default_operator = (
        decision.get("operator") if advise and decision["decision"] == "operator" else None
    )
    default_partner = (
        decision.get("partner") if advise and decision["decision"] != "operator" else None
    )
    return render_template(
        "needs/show.html",
        need=need,
        fields=_fields(need),
        company_place=_commune_label(need.company.commune),
        status_label=vocab.label(vocab.NEED_STATUSES, need.status),
        history=_history_rows(need),
        transitions=_transition_choices(need),
        abandon_reasons=vocab.NEED_ABANDON_REASONS,
        decision=decision,
        advise=advise,
        matches=matches,
        proposed_count=proposed_count,
        free_time=free_time,
        free_time_people=_candidates_by_ref(fit.person.ref for fit in free_time),
        filters=filters,
        match_limits=MATCH_LIMITS,
        operators=operators,
        operator_kinds=vocab.OPERATOR_KINDS,
        default_operator=default_operator,
        partners=partners,
        partner_kinds=vocab.PARTNER_KINDS,
        default_partner=default_partner,
        no_fit_reasons=vocab.NO_FIT_REASONS,
        leads=leads,
        referrals=referrals,
        lead_statuses=vocab.LEAD_STATUSES,
        referral_statuses=vocab.REFERRAL_STATUSES,
        referral_refusals=vocab.REFERRAL_REFUSAL_REASONS,
        levels=vocab.LEVELS,
        days=_days,
        hours=_hours,
        commune_label=_commune_label,
        awaiting=awaiting_owner(need),
        qualifiable=need.status in register.QUALIFIABLE and not awaiting_owner(need),
        proposable=need.status in NEED_SEARCHING,
        unreachable=unreachable_message(need.company),
        reorientable=need.status in NEED_REORIENTABLE,
        reorient=reorient or {},
        reorient_errors=reorient_errors or {},
    ), status


# --- actions -------------------------------------------------------------------------


@bp.route("/<ref>/statut", methods=["POST"])
def change_status(ref: str):
    need = _need_or_404(ref)
    target = request.form.get("etat", "")
    if target not in _manual_moves(need):
        labels = vocab.NEED_STATUSES
        message = "Ce changement d'état n'est pas possible depuis cette page."
        if awaiting_owner(need):
            message = "Ce besoin attend la confirmation de l'adresse e-mail de l'entreprise."
        elif target == NeedState.QUALIFIE and need.status == NeedState.NOUVEAU:
            message = (
                "Pour qualifier ce besoin, complétez-le et choisissez son métier "
                "(bouton « Qualifier le besoin »)."
            )
        elif target in labels:
            message = (
                f"Impossible de passer de « {labels[need.status]} » à « {labels[target]} » "
                "depuis cette page."
            )
        flash(message, "error")
        return _back_to(need, "etat")
    code = request.form.get("motif") or None if target == NeedState.ABANDONNE else None
    text = _text(request.form.get("precision"), MAX_NOTE) or None
    try:
        transition(
            db.session,
            need,
            NEED,
            target,
            actor=current_user,
            reason_code=code,
            reason_text=text,
        )
    except TransitionError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back_to(need, "etat")
    db.session.commit()
    flash(f"Le besoin est maintenant « {vocab.NEED_STATUSES[target].lower()} ».", "success")
    return _back_to(need, "etat")


def _chosen_candidates(refs: list[str]) -> list[Candidate] | str:
    """The candidates ticked in a form, or a French message when one is unknown."""
    refs = [r.strip() for r in refs if r and r.strip()]
    found = _candidates_by_ref(refs)
    unknown = [r for r in dict.fromkeys(refs) if r not in found]
    if unknown:
        return f"Candidat inconnu : « {unknown[0][:100]} ». Rien n'a été envoyé."
    return [found[r] for r in dict.fromkeys(refs)]


def _operator_from_form() -> Operator | str:
    ref = (request.form.get("operateur") or "").strip()
    if not ref:
        return "Choisissez l'opérateur à qui proposer le besoin."
    operator = db.session.scalar(select(Operator).where(Operator.ref == ref))
    if operator is None or not operator.active:
        return "Cet opérateur n'existe pas ou n'est plus actif. Rien n'a été envoyé."
    return operator


@bp.route("/<ref>/proposer", methods=["POST"])
def propose(ref: str):
    need = _need_or_404(ref)
    operator = _operator_from_form()
    if isinstance(operator, str):
        flash(operator, "error")
        return _back_to(need, "proposer")
    candidates = _chosen_candidates(request.form.getlist("candidats"))
    if isinstance(candidates, str):
        flash(candidates, "error")
        return _back_to(need, "proposer")
    decision = route_for_need(need)
    # The operator reads why the need is theirs, never why other operators were not chosen.
    reasons = decision["shared"] if decision.get("operator") == operator.ref else []
    try:
        lead = send_lead(
            db.session,
            needs=[need],
            operator=operator,
            candidates=candidates,
            actor=current_user,
            note=_text(request.form.get("note"), MAX_NOTE),
            reasons=reasons,
        )
        db.session.flush()
    except TransitionError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back_to(need, "proposer")
    db.session.commit()
    count = len(lead.candidates)
    people = f" avec {count} candidat{'s' if count > 1 else ''}" if count else " sans candidat"
    flash(f"Besoin proposé à {operator.name}{people}. Un e-mail lui a été envoyé.", "success")
    return _back_to(need, "suivi")


@bp.route("/<ref>/reorienter", methods=["POST"])
def reorient(ref: str):
    need = _need_or_404(ref)
    if awaiting_owner(need):
        flash("Ce besoin attend la confirmation de l'adresse e-mail de l'entreprise.", "error")
        return _back_to(need, "reorienter")
    partner_ref = (request.form.get("partenaire") or "").strip()
    partner = (
        db.session.scalar(select(Partner).where(Partner.ref == partner_ref))
        if partner_ref
        else None
    )
    code = request.form.get("motif") or ""
    text = _text(request.form.get("precision"), MAX_NOTE)
    errors = {}
    if partner is None or not partner.active:
        errors["partenaire"] = "Choisissez un partenaire actif dans la liste."
    if code not in vocab.NO_FIT_REASONS:
        errors["motif"] = "Choisissez le motif de la réorientation."
    elif code == "autre" and not text:
        errors["precision"] = "Précisez le motif « Autre » de la réorientation."
    if errors:
        typed = {
            "partenaire": partner_ref,
            "motif": code,
            "precision": text,
            "note": _text(request.form.get("note"), MAX_NOTE),
        }
        return _render_show(need, reorient=typed, reorient_errors=errors, status=422)
    reason = text if code == "autre" else vocab.NO_FIT_REASONS[code]
    if code != "autre" and text:
        reason = f"{reason} : {text}"
    decision = route_for_need(need)
    shared = decision["shared"] if decision.get("partner") == partner.ref else []
    reasons = [reason] + [r for r in shared if r != reason]
    try:
        send_referral(
            db.session,
            need=need,
            partner=partner,
            actor=current_user,
            reasons=reasons,
            note=_text(request.form.get("note"), MAX_NOTE),
        )
        db.session.flush()
    except TransitionError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _back_to(need, "reorienter")
    db.session.commit()
    flash(f"Besoin réorienté vers {partner.name}. Un e-mail lui a été envoyé.", "success")
    return _back_to(need, "suivi")


# --- "Pourquoi pas ce candidat ?" --------------------------------------------------------


def _find_candidates(text: str) -> list[Candidate]:
    """Candidates by exact ref or e-mail, else by name (every word must appear)."""
    text = text.strip()
    exact = db.session.scalars(
        select(Candidate).where(
            or_(Candidate.ref == text, func.lower(Candidate.email) == text.lower())
        )
    ).all()
    if exact:
        return list(exact)
    words = [w for w in text.split() if w][:4]
    if not words:
        return []
    query = select(Candidate)
    for word in words:
        query = query.where(
            or_(
                Candidate.first_name.icontains(word, autoescape=True),
                Candidate.last_name.icontains(word, autoescape=True),
            )
        )
    return list(
        db.session.scalars(query.order_by(Candidate.last_name, Candidate.first_name).limit(21))
    )


@bp.route("/<ref>/pourquoi-pas")
def why_not(ref: str):
    need = _need_or_404(ref)
    text = _text(request.args.get("candidat"), MAX_SEARCH)
    found: list[Candidate] = []
    result = None
    person = None
    status = 200
    if not text:
        flash("Indiquez la référence, l'adresse e-mail ou le nom du candidat.", "error")
        return _back_to(need, "pourquoi-pas")
    found = _find_candidates(text)
    if len(found) == 1:
        person = found[0]
        result = matching.explain_candidate(need.ref, person.ref)
    elif not found:
        status = 404
    return (
        render_template(
            "needs/why_not.html",
            need=need,
            query=text,
            found=found,
            person=person,
            result=result,
            levels=vocab.LEVELS,
            commune_label=_commune_label,
        ),
        status,
    )
