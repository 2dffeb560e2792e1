"""The animateurs' need pages: the list, one need with its history, route and matches,
the "Pourquoi pas ce candidat ?" check, and the forms that move a need on (qualify,
propose to an operator, re-orient to a partner).

Views parse and check input, call the domain (``matching``, ``workflows``) and
render; every status change goes through ``workflows`` (never by hand here).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from connectences import organisations, territory, vocab
from connectences.clock import local_today
from connectences.cvtheque.lookup import find_candidates
from connectences.extensions import db
from connectences.ids import read_id
from connectences.listing import refused_by_field
from connectences.matching import matches as matching
from connectences.matching.filters import MATCH_LIMITS, MatchFilters, need_matches
from connectences.matching.routing import route_among
from connectences.models import Company, Need, Visit, utcnow
from connectences.needs import board, form_rules, moves, register, territory_edge
from connectences.needs.listed import ListedNeed, listed_needs
from connectences.needs.owner_edit import holds_now
from connectences.needs.owner_news import news_address
from connectences.needs.status_words import (
    OWNER_STOPPED,
    awaiting_owner,
    owner_stops,
    staff_status,
    unattached_owner,
)
from connectences.prospection.companies import (
    do_not_solicit_since,
    search_companies,
    unreachable_message,
)
from connectences.prospection.pressure import over_cap_reason_of, refusal_before_contact
from connectences.skills import rome_label, rome_named, rome_suggestions, split_skills
from connectences.typography import NBSP, decimal_fr, decimal_input, hours_fr
from connectences.web.access import guard_blueprint, recent_login_required
from connectences.web.actions import changed_meanwhile, commit_or_refuse, flash_in
from connectences.web.downloads import refuse_export, send_table
from connectences.web.formats import (
    days_label,
    local_date,
    local_datetime_words,
    phone_display,
)
from connectences.web.forms import tell_communes_recorded
from connectences.web.navigation import add_nav
from connectences.web.paging import paginate_window
from connectences.workflows import (
    NEED_FINAL,
    NEED_REORIENTABLE,
    NEED_SEARCHING,
    ChangedMeanwhile,
    NeedState,
    dispatch,
    read_stamp,
    read_values,
    unchanged_since_read,
)

bp = Blueprint("needs", __name__, url_prefix="/animateur/besoins")
guard_blueprint(bp, "animateur", "admin")
for _role in ("animateur", "admin"):
    add_nav(_role, "Besoins", "needs.index")

PER_PAGE = 15  # one card per need on a phone: 25 made the board 8,500 px long
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
MAX_SEARCH = 200


# --- helpers -------------------------------------------------------------------------


# Read by every need page and action: built once (with its loader option, building it
# cost more than running it).
_BY_REF = select(Need).options(joinedload(Need.company)).where(Need.ref == bindparam("ref"))


def _need_or_404(ref: str) -> Need:
    need = db.session.scalar(_BY_REF, {"ref": ref})
    if need is None:
        abort(404)
    return need


def _text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def typed_text(value: str | None) -> str:
    """A free text of a form as typed, to send on and show again whole: the rule that
    receives it refuses it when too long, with its length (never cut)."""
    return (value or "").strip()


def _need_url(need: Need, anchor: str = "") -> str:
    return url_for("needs.show", ref=need.ref) + (f"#{anchor}" if anchor else "")


def _back_to(need: Need, anchor: str = ""):
    return redirect(_need_url(need, anchor))


# --- the board ----------------------------------------------------------------------


def _grouped(needs: list[ListedNeed]) -> list[tuple[str, list[ListedNeed]]]:
    """The page's needs in sections by state (the query already orders them so)."""
    groups: list[tuple[str, list[ListedNeed]]] = []
    for need in needs:
        if not groups or groups[-1][0] != need.status:
            groups.append((need.status, []))
        groups[-1][1].append(need)
    return groups


@bp.route("")
def index():
    filters, errors = board.BoardFilters.from_args(request.args)
    now = utcnow()
    counts = board.state_counts(db.session, filters, now=now)
    # The page's rows from each state's first ones, counted by the state counts: no
    # sort of the whole queue, no count query.
    pagination = paginate_window(
        lambda rows: board.board_query(filters, now=now, window=rows),
        PER_PAGE,
        total=counts[filters.status] if filters.status else sum(counts.values()),
    )
    needs = listed_needs(pagination.items)
    active_filters = filters.as_args()
    return render_template(
        "needs/index.html",
        needs=needs,
        groups=_grouped(needs),
        pagination=pagination,
        filters=filters,
        active_filters=active_filters,
        errors=errors,
        counts=counts,
        waiting=board.waiting_on(db.session, needs),
        stops=owner_stops(db.session, needs),
        owner_stopped=OWNER_STOPPED,
        waiting_labels=board.WAITING_ON,
        age_bands=board.AGE_BANDS,
        domains=board.rome_domains(),
        statuses=vocab.NEED_STATUSES,
        epcis=territory.PAYS_EPCIS,
        commune_label=territory.commune_label,
        outside_pays=territory_edge.outside_pays,
        rome_label=rome_label,
        age=lambda need: board.age_in_days(need, now),
    )


@bp.route("/export/<fmt>")
@recent_login_required
def export(fmt: str):
    """Exactly the rows the board shows with the same filters, every page at once."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters, errors = board.BoardFilters.from_args(request.args)
    if errors:
        return refuse_export("needs.index")
    rows = board.export_rows(db.session, filters, now=utcnow())
    return send_table(fmt, "besoins", board.EXPORT_HEADERS, rows, title="Besoins")


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
    # What is about no field ("_": the need changed meanwhile) comes first.
    order = ["_", *FIELD_LABELS]
    return sorted(errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99)


def _form_context(**context) -> dict:
    return {
        "levels": vocab.LEVELS,
        "contracts": vocab.CONTRACTS,
        "reasons": vocab.REASONS,
        "days": vocab.DAYS,
        "communes": territory.pays_commune_labels(),
        "labels": FIELD_LABELS,
        "today": local_today().isoformat(),
        **context,
    }


def _start_floor(need: Need) -> dict:
    """The earliest start the qualification form offers: today, or the need's own start
    when it has passed (it may be kept as it was)."""
    kept = form_rules.kept_past_start(need.start, local_today())
    return {"kept_start": kept, **({"today": kept.isoformat()} if kept else {})}


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
    typed_visit = request.values.get("visite")
    visit_id = read_id(typed_visit)
    errors: dict[str, str] = {}
    if company_ref and company is None:
        errors["entreprise"] = "Entreprise inconnue : choisissez-la dans la liste."
    if (typed_visit or "").strip():  # given, yet naming no visit of this company
        visit = db.session.get(Visit, visit_id) if visit_id is not None else None
        if visit is None or company is None or visit.company_id != company.id:
            errors["visite"] = "Cette visite n'existe pas ou ne concerne pas cette entreprise."
            visit = None
    search = _text(request.args.get("recherche"), MAX_SEARCH)
    found = search_companies(db.session, search, limit=20) if company is None else []
    # A need opened from a visit starts with what was noted during the visit.
    data: dict = {"days": [], "notes": visit.notes or ""} if visit else {"days": []}
    duplicates: list[Need] = []
    status = 200
    if request.method == "POST":
        data = _posted()
        checked = form_rules.check_need(data, today=local_today())
        checked.merge(form_rules.check_notes(data))
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
                tell_communes_recorded(data.get("commune"))
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


def need_form_data(need: Need) -> dict:
    """What a need's form shows, filled in from the stored ``need``: its fields as the
    public and staff forms send them (the owner's correction page reads them too)."""
    commune = territory.get_commune(need.commune) if need.commune else None
    return {
        "title": need.title,
        "skills": "\n".join(need.skills or ()),
        "level": need.level,
        "hours_per_week": decimal_input(need.hours_per_week),
        "days": list(need.days or ()),
        "contract": need.contract,
        "reason": need.reason,
        "reason_text": need.reason_text or "",
        "start": need.start.isoformat(),
        "duration_months": decimal_input(need.duration_months),
        "commune": commune.label if commune else "",
    }


def _qualification_data(need: Need) -> dict:
    """The qualification form's fields, filled in: the need's, and the staff's own."""
    return {
        **need_form_data(need),
        "rome": need.rome or "",
        "shared_time": {True: "oui", False: "non"}.get(need.shared_time, ""),
        "notes": need.notes or "",
    }


@bp.route("/<need_ref:ref>/qualifier", methods=["GET", "POST"])
def qualify(ref: str):
    need = _need_or_404(ref)
    if request.method == "GET":
        return _render_qualify(need, _qualification_data(need), {}, 200)
    data = _posted()
    rome = request.form.get("rome", "")
    if rome in ("", "autre"):
        rome = request.form.get("rome_saisi", "")
    data.update(rome=rome, shared_time=request.form.get("shared_time", ""))
    checked = form_rules.check_need(data, today=local_today(), stored_start=need.start)
    checked.merge(form_rules.check_qualification(data))
    if checked.errors:
        # The stamp sent goes back with the form: corrected, it is still checked
        # against what the page was read from, not against the need as it is now.
        return _render_qualify(need, data, checked.errors, 422, read=_sent_guard())
    # Read before the guard: what the need holds while someone else changed it.
    now = _holds_now(need, checked.values)

    def change() -> bool:
        if now:  # nothing to change (the form sent twice): nothing to lose either
            meanwhile = changed_meanwhile("Ce besoin a été modifié", now)
            # Stamped since for a reason outside the form (an owner attached, a status
            # moved) while its fields hold what was read: nothing of it is lost.
            unchanged_since_read(
                db.session, need, request.form, meanwhile, edits=_qualification_data
            )
        return register.qualify_need(db.session, need, checked.values, actor=current_user)

    def qualified(moved: bool) -> str:
        tell_communes_recorded(data.get("commune"))  # once stored, not on a refusal
        if moved:
            return "Le besoin est maintenant « qualifié »."
        return "Qualification mise à jour."

    return commit_or_refuse(
        change,
        back=_need_url(need, "etat"),
        done=qualified,
        render=lambda errors: _render_qualify(need, data, errors, 422),
        render_unnamed=ChangedMeanwhile,
    )


def _holds_now(need: Need, values: dict) -> str:
    """What the stored need says where the qualification form sent differs from it."""
    more = []
    if need.rome != values["rome"]:
        more.append(f"métier : {rome_named(need.rome) if need.rome else '—'}")
    if need.shared_time != values["shared_time"]:
        more.append(f"temps partagé : {({True: 'oui', False: 'non'}).get(need.shared_time, '—')}")
    if (need.notes or "") != (values.get("notes") or ""):
        more.append(f"notes de l'animateur : « {need.notes or ''} »")
    return holds_now(need, values, more)


def _sent_guard() -> dict:
    """The guard a form sent (``workflows.read_stamp``, ``workflows.read_values``), to
    send back with it."""
    return {name: request.form.get(name, "")[:64] for name in ("lu_le", "lu_valeurs")}


def _render_qualify(need: Need, data: dict, errors: dict, status: int, read: dict | None = None):
    """The qualification form; ``read``: the guard it carries (by default, the need's
    stamp and values as read now, as when the form sent none)."""
    if not (read and read["lu_le"]):
        read = None
    skills = split_skills(data.get("skills", ""))
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
                unattached=unattached_owner(need),
                qualifiable=register.may_qualify(need),
                **_start_floor(need),
                read_at=read["lu_le"] if read else read_stamp(need),
                values_read=read["lu_valeurs"] if read else read_values(need, _qualification_data),
            ),
        ),
        status,
    )


# --- one need ------------------------------------------------------------------------


def _fields(need: Need) -> list[tuple[str, str]]:
    rome = need.rome or ""
    rome_text = rome_named(rome) if rome else "—"
    shared = {True: "Oui", False: "Non", None: "Pas encore précisé"}[need.shared_time]
    fields = [
        ("Intitulé", need.title),
        ("Métier (code ROME)", rome_text),
        ("Compétences attendues", ", ".join(need.skills or ()) or "—"),
        ("Niveau de qualification", vocab.label(vocab.LEVELS, need.level)),
        ("Heures par semaine", hours_fr(need.hours_per_week)),
        ("Jours de travail", days_label(need.days)),
        ("Contrat", vocab.label(vocab.CONTRACTS, need.contract)),
        ("Motif du besoin", vocab.label(vocab.REASONS, need.reason)),
        ("Démarrage souhaité", local_date(need.start)),
        (
            "Durée",
            f"{decimal_fr(need.duration_months, 2)}{NBSP}mois"
            if need.duration_months is not None
            else "Non précisée",
        ),
        ("Lieu de travail", territory.commune_label(need.place)),
        ("Intercommunalité", territory.epci_label(need.place)),
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


def _transition_choices(need: Need) -> list[tuple[str, str]]:
    return [(t, TRANSITION_BUTTONS[t]) for t in moves.manual_moves(need)]


@bp.route("/<need_ref:ref>")
def show(ref: str):
    return _render_show(_need_or_404(ref))


def _render_show(
    need: Need,
    status: int = 200,
    *,
    sent: str | None = None,
    errors: dict | None = None,
    typed: dict | None = None,
):
    """The need page. After a refused form, ``sent`` names it ("abandonner", "proposer"
    or "reorienter"), ``errors`` sit next to its fields and ``typed`` keeps what was
    typed and chosen."""
    filters, match_refused = MatchFilters.from_args(request.args)
    found = need_matches(db.session, need, filters)
    operators = dispatch.proposal_operators(db.session)
    partners = dispatch.active_partners(db.session)
    # Those the choice lists say « aucun compte actif »: nobody would answer there; the
    # routing passes them over for another one when it can.
    unattended = organisations.without_working_member(db.session, [*operators, *partners])
    decision = route_among(need, operators, partners, unattended)
    leads, referrals = dispatch.sent_for(db.session, need)
    default_operator, default_partner = dispatch.route_advice(decision, need)
    # What a re-orientation to the partner the routing chose sends of its reasons.
    routed_reasons = dispatch.routing_reasons_for(decision, need, default_partner)
    # A lead or referral refused: whether the contact guard is why, and what to do instead.
    refused = (
        dispatch.contact_refusals(db.session, [need])
        if errors and sent in ("proposer", "reorienter")
        else []
    )
    proposable = need.status in NEED_SEARCHING
    reorientable = need.status in NEED_REORIENTABLE
    # The guard's refusal said where the lead and the referral are sent, before a form is
    # filled in (read from the company's row but for a monthly cap, which needs a count).
    refusal = (
        refusal_before_contact(db.session, need.company, on=local_today())
        if proposable or reorientable
        else None
    )
    stops = owner_stops(db.session, [need])
    # Nobody the platform may mail news of this need to (``owner_news``): the team tells
    # the company by phone.
    no_news = need.status not in NEED_FINAL and news_address(db.session, need) is None
    return render_template(
        "needs/show.html",
        need=need,
        fields=_fields(need),
        company_place=territory.commune_label(need.company.commune),
        # Its words, not the export's stored label: an unconfirmed need is no « Nouveau ».
        status_words=staff_status(need, stops),
        owner_stop=stops.get(need.id),
        history=moves.history_rows(db.session, need),
        transitions=_transition_choices(need),
        abandon_reasons=vocab.NEED_ABANDON_REASONS,
        decision=decision,
        advise=need.status != NeedState.NOUVEAU,
        matches=found.rows,
        proposed_count=found.proposed_count,
        free_time=found.free_time,
        free_time_people=found.free_time_people,
        filters=filters,
        match_refused=match_refused,
        match_field_errors=refused_by_field(match_refused),
        match_limits=MATCH_LIMITS,
        operators=operators,
        unattended=unattended,
        operator_kinds=vocab.OPERATOR_KINDS,
        default_operator=default_operator,
        partners=partners,
        partner_kinds=vocab.PARTNER_KINDS,
        default_partner=default_partner,
        routed_reasons=routed_reasons,
        withheld_reasons=[r for r in decision.reasons if r not in routed_reasons],
        no_fit_reasons=vocab.NO_FIT_REASONS,
        leads=leads,
        referrals=referrals,
        lead_statuses=vocab.LEAD_STATUSES,
        referral_statuses=vocab.REFERRAL_STATUSES,
        referral_refusals=vocab.REFERRAL_REFUSAL_REASONS,
        levels=vocab.LEVELS,
        days=days_label,
        commune_label=territory.commune_label,
        outside_flag=territory_edge.staff_flag(need.place),
        awaiting=awaiting_owner(need),
        unattached=unattached_owner(need),
        qualifiable=register.may_qualify(need),
        proposable=proposable,
        unreachable=unreachable_message(need.company),
        reorientable=reorientable,
        refusal=refusal,
        solicit_since=do_not_solicit_since(db.session, need.company) if refusal else None,
        sent=sent,
        errors=errors or {},
        typed=typed or {},
        contact_refusals=refused,
        no_news=no_news,
    ), status


# --- actions -------------------------------------------------------------------------


# The domain's names of the fields of the abandonment and proposal forms.
ABANDON_FIELDS = {"reason_code": "motif", "reason_text": "precision"}
PROPOSE_FIELDS = {
    "operator": "operateur",
    "candidates": "candidats",
    "note": "note",
    "over_cap_reason": "raison_plafond",
}
REORIENT_FIELDS = {
    "partenaire": "partenaire",
    "motif": "motif",
    "precision": "precision",
    "note": "note",
    "over_cap_reason": "raison_plafond",
}


def over_cap_typed(form) -> dict:
    """What was typed in the "send anyway" fields of a lead's or referral's form, to show
    again: the box and the reason."""
    return {
        "malgre_plafond": bool(form.get("malgre_plafond")),
        "raison_plafond": typed_text(form.get("raison_plafond")),
    }


@bp.route("/<need_ref:ref>/statut", methods=["POST"])
def change_status(ref: str):
    need = _need_or_404(ref)
    target = request.form.get("etat", "")
    typed = {
        "motif": request.form.get("motif") or "",
        "precision": typed_text(request.form.get("precision")),
    }
    return commit_or_refuse(
        lambda: moves.move_by_hand(
            db.session,
            need,
            target,
            actor=current_user,
            reason_code=request.form.get("motif"),
            reason_text=typed["precision"],
        ),
        # Only the abandonment has fields; the buttons' refusals are about the state.
        fields=ABANDON_FIELDS,
        render=lambda errors: _render_show(
            need, 422, sent="abandonner", errors=errors, typed=typed
        ),
        back=_need_url(need, "etat"),
        done=lambda _: f"Le besoin est maintenant « {vocab.NEED_STATUSES[target].lower()} ».",
    )


@bp.route("/<need_ref:ref>/rattacher", methods=["POST"])
def attach_owner(ref: str):
    """The animateur checked with the company that the need's author speaks for it."""
    need = _need_or_404(ref)
    return commit_or_refuse(
        lambda: register.attach_owner(db.session, need, actor=current_user),
        back=_need_url(need, "etat"),
        done=f"{need.owner_name or need.owner_email} est rattaché(e) à l'entreprise : "
        "le besoin peut être qualifié.",
    )


def tell_sent(organisation, done: str, *, section: str | None = None) -> None:
    """Flash ``done`` (a lead or referral sent to ``organisation``), then, as a warning,
    that none of its members can answer it on the platform when so
    (``organisations.nobody_answers``). With ``section``, both are shown in that section
    of the next page (``flash_in``), where the browser is sent: at the top of a long page
    a phone would not show them."""
    flash_in(section, done, "success")
    if notice := organisations.nobody_answers(db.session, organisation):
        flash_in(section, notice, "warning")


def _proposed(lead) -> None:
    count = len(lead.candidates)
    people = f" avec {count} candidat{'s' if count > 1 else ''}" if count else " sans candidat"
    tell_sent(
        lead.operator,
        f"Besoin proposé à {lead.operator.name}{people}. Un e-mail lui a été envoyé.",
        section="suivi",
    )


@bp.route("/<need_ref:ref>/proposer", methods=["POST"])
def propose(ref: str):
    need = _need_or_404(ref)
    typed = {
        "operateur": (request.form.get("operateur") or "").strip(),
        "candidats": set(request.form.getlist("candidats")),
        "note": typed_text(request.form.get("note")),
        **over_cap_typed(request.form),
    }
    return commit_or_refuse(
        lambda: dispatch.propose_need(
            db.session,
            need,
            operator_ref=request.form.get("operateur"),
            candidate_refs=request.form.getlist("candidats"),
            note=request.form.get("note"),
            actor=current_user,
            over_cap_reason=over_cap_reason_of(request.form),
        ),
        fields=PROPOSE_FIELDS,
        render=lambda errors: _render_show(need, 422, sent="proposer", errors=errors, typed=typed),
        render_unnamed=dispatch.ContactNotAllowed,
        back=_need_url(need, "proposer"),
        done=_proposed,
        then=_need_url(need, "suivi"),
    )


@bp.route("/<need_ref:ref>/reorienter", methods=["POST"])
def reorient(ref: str):
    need = _need_or_404(ref)
    form = request.form
    typed = {
        "partenaire": (form.get("partenaire") or "").strip(),
        "motif": form.get("motif") or "",
        "precision": typed_text(form.get("precision")),
        "note": typed_text(form.get("note")),
        **over_cap_typed(form),
    }
    return commit_or_refuse(
        lambda: dispatch.reorient_need(
            db.session,
            need,
            partner_ref=form.get("partenaire"),
            code=form.get("motif"),
            text=form.get("precision"),
            note=form.get("note"),
            actor=current_user,
            over_cap_reason=over_cap_reason_of(form),
        ),
        fields=REORIENT_FIELDS,
        render=lambda errors: _render_show(
            need, 422, sent="reorienter", errors=errors, typed=typed
        ),
        render_unnamed=dispatch.ContactNotAllowed,
        back=_need_url(need, "reorienter"),
        done=lambda referral: tell_sent(
            referral.partner,
            f"Besoin réorienté vers {referral.partner.name}. Un e-mail lui a été envoyé.",
            section="suivi",
        ),
        then=_need_url(need, "suivi"),
    )


# --- "Pourquoi pas ce candidat ?" --------------------------------------------------------


@bp.route("/<need_ref:ref>/pourquoi-pas")
def why_not(ref: str):
    need = _need_or_404(ref)
    text = _text(request.args.get("candidat"), MAX_SEARCH)
    result = None
    person = None
    status = 200
    if not text:
        flash("Indiquez la référence, l'adresse e-mail ou le nom du candidat.", "error")
        return _back_to(need, "pourquoi-pas")
    found = find_candidates(db.session, text)
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
            commune_label=territory.commune_label,
        ),
        status,
    )
