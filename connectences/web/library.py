"""The animateurs' CV library (CVthèque): search, export, a person's page, their CV.

Views parse the query string, call ``cvtheque.search`` / ``cvtheque.library`` and
render. Every look at personal data is in the audit log: each candidate page seen,
each CV downloaded, each export (with its filters and row count), and each refused
attempt by another role.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

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
from sqlalchemy import bindparam, select
from werkzeug.routing import BuildError

from connectences import accounts, territory, vocab
from connectences.accounts.audit import REQUEST_NOTE_MAX
from connectences.clock import local_today
from connectences.cvtheque import consent, erase, files
from connectences.cvtheque.access import LIBRARY_ROLES, may_read_cv
from connectences.cvtheque.commitments import (
    CommitmentError,
    add_commitment,
    commitment_of,
    describe,
    over_wished_hours,
    remove_commitment,
    update_commitment,
    week_view,
)
from connectences.cvtheque.history import events_query
from connectences.cvtheque.library import (
    EXPORT_HEADERS,
    NOTES_EDITS,
    export_rows,
    lead_lines,
    leads_query,
    record_contact,
    set_notes,
    set_status,
)
from connectences.cvtheque.search import (
    SUGGESTED_SOURCES,
    SearchFilters,
    matching_candidates,
    search_candidates,
)
from connectences.cvtheque.status import status_words
from connectences.extensions import commit_keeping_loaded, db
from connectences.listing import Refusal, choice_refused, refused_by_field
from connectences.matching import matches as matching
from connectences.models import Candidate, Commitment, Placement, User
from connectences.skills import rome_named
from connectences.web.access import guard_blueprint, recent_login_required, refuse_and_audit
from connectences.web.actions import (
    changed_meanwhile,
    commit_or_refuse,
    erasure_request,
    flash_in,
)
from connectences.web.commitment_form import form_values, read_change
from connectences.web.company_end import record_company_end
from connectences.web.downloads import refuse_export, send_audited_table, send_body, send_cv
from connectences.web.navigation import add_nav
from connectences.web.paging import page_number, paginate
from connectences.web.week import render_complete_week
from connectences.workflows import (
    ChangedMeanwhile,
    inboxes,
    unchanged_since,
    unchanged_since_read,
)
from connectences.workflows import leads as flow

bp = Blueprint("library", __name__, url_prefix="/animateur/cvtheque")
PLACEMENTS = "placements"
"""The record's section of the person's placements (its messages are shown there)."""


# A refused role is also written to the audit log (pages of personal data).
guard_blueprint(bp, *sorted(LIBRARY_ROLES), audit_action="cvtheque_access_refused")
for _role in sorted(LIBRARY_ROLES):
    add_nav(_role, "CVthèque", "library.index")

PER_PAGE = 25
RECORD_PER_PAGE = 30
"""Leads, and events of the history, shown per page of a person's record."""
SORT_PARAMS = {"pertinence": "relevance", "recent": "recent", "nom": "name"}
SOURCE_LABELS = {**vocab.CANDIDATE_SOURCES, **vocab.CV_SOURCES}
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


def _sort(filters: SearchFilters, errors: list[Refusal]) -> tuple[str, str]:
    """(param, domain sort): relevance only means something with a text. An order not
    in the list is refused (added to ``errors``) and relevance used."""
    # "pertinence" is the default even without a text: the search form sends the
    # choice back, and a first visit without text must not pin every later text
    # search to recency. Without a text, relevance orders by recency anyway.
    message = "choisissez un ordre de la liste."
    param = choice_refused(request.args, "tri", "Trier par", SORT_PARAMS, message, errors)
    return param or "pertinence", SORT_PARAMS[param or "pertinence"]


# The only parameters a person's page hands back to the search it came from.
BACK_PARAMS = frozenset(
    {
        "q", "rome", "commune", "intercommunalite", "autour", "rayon", "niveau",
        "heures_min", "heures_max", "jours", "contrat", "disponible_le", "statut",
        "source", "confirme", "tri", "page",
    }
)  # fmt: skip


def _back_query() -> str | None:
    """The search a person's page was opened from, as its ``?retour=`` holds it: the known
    parameters only (a query of the search page, never an address: no open redirect);
    None without one."""
    pairs = [
        (key, value)
        for key, value in parse_qsl(request.args.get("retour", ""))[:60]
        if key in BACK_PARAMS
    ]
    return urlencode(pairs) or None


def _back_url() -> str:
    """The search page a person's page was opened from (known parameters only)."""
    query = _back_query()
    base = url_for("library.index")
    return f"{base}?{query}" if query else base


def _record_url(ref: str, anchor: str | None = None) -> str:
    """The person's page (at ``anchor``), keeping the search it was opened from: after
    an action on it, its back link still reads « Retour aux résultats »."""
    return url_for(".show", ref=ref, retour=_back_query(), _anchor=anchor)


# --- views -------------------------------------------------------------------------------


@bp.route("")
def index():
    filters, errors = SearchFilters.from_args(request.args, db.session)
    params = filters.as_args()
    sort_param, sort = _sort(filters, errors)
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
        typed=filters.typed_values(request.args),
        params=params,
        link_params=link_params,
        errors=errors,
        field_errors=refused_by_field(errors),
        sort_param=sort_param,
        pays_communes=territory.pays_communes_by_name(),
        epcis=territory.PAYS_EPCIS,
        levels=vocab.LEVELS,
        days=vocab.DAYS,
        contracts=vocab.CONTRACTS,
        statuses=vocab.CANDIDATE_STATUSES,
        sources=SUGGESTED_SOURCES,
        commune_label=territory.commune_label,
        rome_named=rome_named,
        library_links=_optional_links(LIBRARY_LINKS),
    )


@bp.route("/export/<fmt>")
@recent_login_required
def export(fmt: str):
    """Every candidate of the current search (not only the page), as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters, errors = SearchFilters.from_args(request.args, db.session)
    _, sort = _sort(filters, errors)
    if errors:
        return refuse_export("library.index")
    matches = matching_candidates(db.session, filters, sort=sort)
    actor, ip, details = current_user.id, request.remote_addr, {"format": fmt, "sort": sort}
    details["filters"] = filters.as_dict()

    def record(rows: int):
        return accounts.audit(
            db.session,
            "cv_export",
            actor=actor,
            entity="candidate",
            ip=ip,
            details={**details, "rows": rows},
        )

    return send_audited_table(
        fmt,
        "cvtheque",
        EXPORT_HEADERS,
        export_rows(matches.hits),
        title="CVthèque",
        total=lambda: matches.total,
        record=record,
    )


# Read by every page of a person and their forms: built once.
_BY_REF = select(Candidate).where(Candidate.ref == bindparam("ref"))


def _candidate_or_404(ref: str) -> Candidate:
    candidate = db.session.scalar(_BY_REF, {"ref": ref})
    if candidate is None:
        abort(404)
    return candidate


@bp.route("/<candidate_ref:ref>")
def show(ref: str):
    candidate = _candidate_or_404(ref)
    # The page first, then the view recorded: committing first would expire the person
    # read above and read them again (with their skills and commitments) to render.
    page = _render_show(candidate)
    accounts.audit(
        db.session,
        "cv_view",
        actor=current_user.id,
        entity="candidate",
        entity_id=candidate.id,
        ip=request.remote_addr,
    )
    # An entry added: what the request loaded (the logged-in account) stays loaded.
    commit_keeping_loaded()
    return page


def _render_show(
    candidate: Candidate,
    status: int = 200,
    *,
    sent: str | None = None,
    errors: dict | None = None,
    typed: dict | None = None,
):
    """The person's page. After a refused form, ``sent`` names it ("statut" or "notes"),
    ``errors`` sit next to its fields and ``typed`` keeps what was typed and chosen."""
    # The history and the leads a page at a time: both only grow with the years.
    history = paginate(events_query(candidate.id), RECORD_PER_PAGE, "historique")
    leads = paginate(leads_query(candidate.id), RECORD_PER_PAGE, "propositions")
    events = history.items
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
        history=history,
        leads=lead_lines(leads.items),
        leads_pagination=leads,
        week=week_view(candidate),
        cv_state=files.file_state(candidate.cv_filename),
        commune_label=territory.commune_label,
        rome_named=rome_named,
        levels=vocab.LEVELS,
        days=vocab.DAYS,
        contracts=vocab.CONTRACTS,
        statuses=vocab.CANDIDATE_STATUSES,
        situation=status_words(candidate),
        source_label=vocab.label(SOURCE_LABELS, candidate.source) or "—",
        lead_statuses=LEAD_STATUSES,
        person_links=_optional_links(PERSON_LINKS, ref=candidate.ref),
        back_url=_back_url(),
        retour=_back_query(),
        sent=sent,
        errors=errors or {},
        typed=typed or {},
        notes_edits=NOTES_EDITS,
        former_addresses=consent.former_addresses(db.session, candidate),
        placements=inboxes.person_placements(db.session, candidate.id),
        may_end_at_company=flow.may_end_at_company,
        placement_hours=flow.placement_hours,
        placement_period=flow.placement_period,
        placement_companies=flow.placement_companies,
        needs_in_week_order=flow.needs_in_week_order,
        company_end_open=flow.company_end_open,
        today=local_today(),
    ), status


def _after_change(candidate: Candidate) -> None:

    matching.candidate_changed(candidate)


@bp.route("/<candidate_ref:ref>/statut", methods=["POST"])
def change_status(ref: str):
    candidate = _candidate_or_404(ref)

    def done(changed: bool) -> str | None:
        label = vocab.CANDIDATE_STATUSES[candidate.status]
        if not changed:
            flash_in(
                "statut", f"La personne était déjà « {label} » : rien n'a été modifié.", "info"
            )
            return None
        _after_change(candidate)
        return f"Statut enregistré : {label}."

    typed = {"statut": request.form.get("statut", "")}
    return commit_or_refuse(
        lambda: set_status(db.session, candidate, typed["statut"], actor=current_user),
        fields={"status": "statut"},
        render=lambda errors: _render_show(
            candidate, 422, sent="statut", errors=errors, typed=typed
        ),
        back=_record_url(ref, "statut"),
        done=done,
        section="statut",
    )


@bp.route("/<candidate_ref:ref>/notes", methods=["POST"])
def change_notes(ref: str):
    candidate = _candidate_or_404(ref)
    typed = {"notes": request.form.get("notes", "")}
    now = candidate.notes or "(aucune note)"
    meanwhile = (
        "Ces notes ont été modifiées par quelqu'un d'autre depuis que vous avez ouvert la "
        f"page. Les notes sont maintenant : « {now} ». Votre texte est gardé ci-dessous : "
        "reprenez-y ce qui manque, puis enregistrez à nouveau."
    )

    def change() -> bool:
        unchanged_since_read(
            db.session,
            candidate,
            request.form,
            meanwhile,
            holds={"notes": typed["notes"].strip() or None},
            edits=NOTES_EDITS,
        )
        return set_notes(db.session, candidate, typed["notes"], actor=current_user)

    return commit_or_refuse(
        change,
        render=lambda errors: _render_show(
            candidate, 422, sent="notes", errors=errors, typed=typed
        ),
        render_unnamed=ChangedMeanwhile,
        back=_record_url(ref, "notes"),
        done=lambda changed: "Notes enregistrées." if changed else _notes_unchanged(),
        section="notes",
    )


def _notes_unchanged() -> None:
    """Said when the notes were sent as they are (nothing written), in their section."""
    flash_in("notes", "Les notes n'ont pas changé : rien n'a été modifié.", "info")


@bp.route("/<candidate_ref:ref>/placements/<int:placement_id>/fin-entreprise", methods=["POST"])
def end_at_company(ref: str, placement_id: int):
    """The person called: they left one company of their shared-time placement and keep
    the others (the operator records the same on its lead page)."""
    candidate = _candidate_or_404(ref)
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.candidate_id != candidate.id:
        abort(404)
    if not flow.may_end_at_company(current_user, placement):
        refuse_and_audit(
            "cvtheque_access_refused", entity="placement", entity_id=placement.id, status=403
        )
    return record_company_end(
        placement,
        render=lambda sent, errors, typed: _render_show(
            candidate, 422, sent=sent, errors=errors, typed=typed
        ),
        back=_record_url(ref, PLACEMENTS),
        section=PLACEMENTS,
        told="le groupement",
    )


@bp.route("/<candidate_ref:ref>/contact", methods=["POST"])
def contact(ref: str):
    candidate = _candidate_or_404(ref)
    record_contact(db.session, candidate, actor=current_user)
    db.session.commit()
    flash_in("contact", "Contact noté : la durée de conservation repart d'aujourd'hui.")
    return redirect(_record_url(ref, "contact"))


@bp.route("/<candidate_ref:ref>/liens/desactiver", methods=["POST"])
def revoke_links(ref: str):
    """End every personal link of the person on their request (a lost phone) and mail a
    fresh one to the profile's address (``consent.revoke_links_for``)."""
    candidate = _candidate_or_404(ref)
    if request.form.get("confirmer") != "1":
        errors = {"confirmer": "Cochez la case pour confirmer la désactivation de ses liens."}
        return _render_show(candidate, 422, sent="liens", errors=errors)
    done = consent.revoke_links_for(db.session, candidate, actor=current_user)
    db.session.commit()
    said = ["Tous les liens personnels envoyés à la personne jusqu'ici sont désactivés."]
    if done.password_closed:
        said.append(
            "Le mot de passe du compte créé avec ses liens ne fonctionne plus : elle en "
            "choisira un nouveau avec « Mot de passe oublié »."
        )
    if not done.mailed and consent.account_disabled(db.session, candidate):
        said.append(
            "Aucun nouveau lien n'a été envoyé : son compte est désactivé (voyez avec "
            "l'administrateur)."
        )
    elif not done.mailed:
        said.append(
            f"Aucun nouveau lien n'a pu être envoyé : {candidate.email} en a déjà reçu "
            "le nombre permis aujourd'hui. La personne en demandera un demain avec "
            "« Recevoir un nouveau lien »."
        )
    elif candidate.email_confirmed_at is None:
        said.append(f"Un nouveau lien de confirmation a été envoyé à {candidate.email}.")
    else:
        said.append(
            f"Un nouveau lien vers son espace a été envoyé à {candidate.email} "
            f"(valable {consent.link_days()} jours)."
        )
    flash_in("liens", " ".join(said))
    return redirect(_record_url(ref, "liens"))


@bp.route("/<candidate_ref:ref>/adresse/remettre", methods=["POST"])
def restore_address(ref: str):
    """Put back one of the profile's former addresses after someone else took it over
    (``consent.restore_address``): its links end and a fresh one goes to that address."""
    candidate = _candidate_or_404(ref)
    address = (request.form.get("adresse") or "").strip()
    typed = {"adresse": address}
    errors = {}
    if not address:
        errors["adresse"] = "Choisissez l'adresse à remettre."
    if request.form.get("confirmer") != "1":
        errors["confirmer"] = "Cochez la case pour confirmer le changement d'adresse."
    if not errors:
        try:
            done = consent.restore_address(db.session, candidate, address, actor=current_user)
        except consent.AddressNotRestored as refused:
            db.session.rollback()
            errors["adresse"] = refused.message
    if errors:
        return _render_show(candidate, 422, sent="adresse", errors=errors, typed=typed)
    db.session.commit()
    said = [
        f"L'adresse {candidate.email} est remise sur le profil ; {done.replaced} en est "
        "informée. Tous les liens personnels envoyés jusqu'ici sont désactivés."
    ]
    if done.login_moved:
        said.append("Le compte du profil se connecte de nouveau avec cette adresse.")
    if done.links.password_closed:
        said.append(
            "Le mot de passe du compte ne fonctionne plus : la personne en choisira un "
            "nouveau avec « Mot de passe oublié »."
        )
    if done.links.mailed:
        said.append(f"Un nouveau lien a été envoyé à {candidate.email}.")
    else:  # sent whatever the day's count: only a disabled account gets none
        said.append(
            "Aucun nouveau lien n'a été envoyé : son compte est désactivé (voyez avec "
            "l'administrateur)."
        )
    flash_in("liens", " ".join(said))
    return redirect(_record_url(ref, "liens"))


@bp.route("/<candidate_ref:ref>/donnees.json")
@recent_login_required
def export_on_request(ref: str):
    """The person's copy of their data, for a person who asked the team (access,
    portability): the document of their space, recorded."""
    candidate = _candidate_or_404(ref)
    document = erase.export_on_request(db.session, candidate, actor=current_user)
    db.session.commit()
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return send_body(body, "json", erase.copy_basename(candidate))


@bp.route("/<candidate_ref:ref>/effacer", methods=["POST"])
@recent_login_required
def erase_on_request(ref: str):
    """Erase the person who asked the team (by phone, by post, at a permanence): the
    request noted (date and means), confirmed, recorded (``erase.erase_on_request``)."""
    candidate = _candidate_or_404(ref)
    receipt = request.form.get("recu") == "1"
    refused = {}
    if receipt and candidate.email_confirmed_at is None:
        # Not offered on the page (a form read before, or forged): said at its top.
        refused["_"] = (
            "L'adresse de la fiche n'a jamais été confirmée : la confirmation de "
            "l'effacement ne peut pas y partir. Dites-la à la personne par le moyen de sa "
            "demande."
        )
    # A record changed since the page was read (another name, another address: a
    # merge, the person's own change) may not be the person who asked.
    meanwhile = (
        "Cette fiche a été modifiée depuis que vous avez ouvert la page : rien n'a été "
        "effacé. Relisez-la ci-dessus, vérifiez que c'est bien la personne qui a "
        "demandé l'effacement, puis confirmez à nouveau."
    )
    request_note, errors = erasure_request(
        candidate, meanwhile, limit=REQUEST_NOTE_MAX, refused=refused
    )
    typed = {"motif": request.form.get("motif", ""), "recu": receipt}
    if errors:
        return _render_show(candidate, 422, sent="droits", errors=errors, typed=typed)
    address = candidate.email  # gone with the record
    erase.erase_on_request(
        db.session, candidate, actor=current_user, request=request_note, receipt=receipt
    )
    db.session.commit()
    said = (
        "La personne a été effacée de la CVthèque : sa fiche, son CV, ses propositions, "
        "ses courriels et son compte. L'effacement est noté au journal."
    )
    if receipt:  # refused above for an address nobody confirmed
        said += f" La confirmation de l'effacement part à {address}."
    else:
        said += (
            " Aucune confirmation ne lui est envoyée par e-mail : confirmez-lui "
            "l'effacement par le moyen de sa demande."
        )
    flash(said, "success")
    # An anchor of its own: a redirect without one carries the form's ("#erreurs-droits").
    return redirect(f"{_back_url()}#contenu")


@bp.route("/<candidate_ref:ref>/cv")
def cv(ref: str):
    candidate = _candidate_or_404(ref)
    if not may_read_cv(db.session, current_user, candidate.id):
        abort(403)
    return send_cv(
        candidate, actor=current_user.id, ip=request.remote_addr, details={"from": "cvtheque"}
    )


# --- the person's week: commitments they report, and what would complete it ----------


def _commitment_or_404(candidate: Candidate, commitment_id: int) -> Commitment:
    commitment = commitment_of(candidate, commitment_id)
    if commitment is None:
        abort(404)
    return commitment


def commitment_changed_meanwhile(commitment: Commitment) -> str:
    """The refusal of a commitment's form (or its removal) read before someone else
    changed that commitment (``workflows.unchanged_since``, the commitment's own stamp),
    saying what it holds now."""
    return changed_meanwhile(
        "Cet engagement a été modifié", f"Il est maintenant : {describe(commitment)}."
    )


def _commitment_form(candidate: Candidate, commitment: Commitment | None):
    """Add or change one commitment: French message next to each field, nothing written
    on a refusal. A change is checked against the commitment's own stamp: the person's
    notes, status or other commitments saved meanwhile refuse nothing; a new one has
    nothing to lose."""
    if request.method == "POST":
        try:
            meanwhile = commitment_changed_meanwhile(commitment) if commitment else ""
            values = read_change(candidate, request.form, commitment, meanwhile)
        except ChangedMeanwhile as clash:
            db.session.rollback()
            return _render_commitment_form(
                candidate, commitment, request.form, {"_": clash.message}, 422
            )
        except CommitmentError as error:
            db.session.rollback()
            return _render_commitment_form(candidate, commitment, request.form, error.errors, 422)
        if commitment is None:
            add_commitment(db.session, candidate, values, actor=current_user)
            message = "Engagement ajouté à la semaine de la personne."
        else:
            update_commitment(db.session, candidate, commitment, values, actor=current_user)
            message = "Engagement modifié."
        db.session.commit()
        _after_change(candidate)
        flash_in("semaine", message)
        if note := over_wished_hours(candidate):
            flash_in("semaine", note, "warning")
        return redirect(_record_url(candidate.ref, "semaine"))
    return _render_commitment_form(candidate, commitment, commitment, {}, 200)


def _render_commitment_form(candidate, commitment, shown, errors, status):
    return render_template(
        "library/commitment.html",
        candidate=candidate,
        commitment=commitment,
        values=form_values(shown),
        errors=errors,
        days=vocab.DAYS,
        record_url=_record_url(candidate.ref, "semaine"),
    ), status


@bp.route("/<candidate_ref:ref>/engagements/nouveau", methods=["GET", "POST"])
def new_commitment(ref: str):
    return _commitment_form(_candidate_or_404(ref), None)


@bp.route("/<candidate_ref:ref>/engagements/<int:commitment_id>", methods=["GET", "POST"])
def edit_commitment(ref: str, commitment_id: int):
    candidate = _candidate_or_404(ref)
    return _commitment_form(candidate, _commitment_or_404(candidate, commitment_id))


@bp.route("/<candidate_ref:ref>/engagements/<int:commitment_id>/retirer", methods=["POST"])
def delete_commitment(ref: str, commitment_id: int):
    candidate = _candidate_or_404(ref)
    commitment = _commitment_or_404(candidate, commitment_id)
    meanwhile = (
        "Cet engagement a été modifié par quelqu'un d'autre depuis que vous avez ouvert la "
        f"page : il n'est pas retiré. Il est maintenant : {describe(commitment)}. "
        "Vérifiez-le, puis retirez-le à nouveau s'il le faut."
    )
    try:
        unchanged_since(db.session, commitment, request.form.get("lu_le"), meanwhile)
    except ChangedMeanwhile as clash:
        db.session.rollback()
        flash_in("semaine", clash.message, "error")
        return redirect(_record_url(ref, "semaine"))
    remove_commitment(db.session, candidate, commitment, actor=current_user)
    db.session.commit()
    _after_change(candidate)
    flash_in("semaine", "Engagement retiré de la semaine de la personne.")
    return redirect(_record_url(ref, "semaine"))


@bp.route("/<candidate_ref:ref>/semaine")
def complete_week(ref: str):
    """« Compléter la semaine »: open needs and bundles that fit the person's free time."""
    candidate = _candidate_or_404(ref)
    return render_complete_week(candidate, back_url=_record_url(ref))
