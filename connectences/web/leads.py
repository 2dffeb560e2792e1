"""The operator's lead inbox: read a lead, act on it, record a placement and its follow-up.

A member sees only the leads of their own organisation and only the candidates named
in them; anything else is a 404 (403 for another role), and written to the audit log.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from connectences import territory, vocab
from connectences.accounts.scope import may_open_lead
from connectences.clock import local_today
from connectences.cvtheque import files
from connectences.cvtheque.access import may_read_cv, week_to_complete
from connectences.dates import read_typed_date
from connectences.extensions import db
from connectences.models import (
    Candidate,
    Company,
    FollowUpPoint,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Placement,
)
from connectences.numbers import read_number, too_precise
from connectences.organisations import deactivated_since
from connectences.web.access import guard_blueprint, refuse_and_audit
from connectences.web.actions import commit_or_refuse, flash_in
from connectences.web.company_end import record_company_end
from connectences.web.downloads import send_cv
from connectences.web.forms import errors_for
from connectences.web.navigation import add_nav
from connectences.web.paging import kept_pages, paginate
from connectences.workflows import (
    LEAD,
    LEAD_LIVE,
    TransitionError,
    inboxes,
)
from connectences.workflows import leads as flow
from connectences.workflows import trial as trials

bp = Blueprint("leads", __name__, url_prefix="/operateur/propositions")

# Each section of the inbox is paged on its own (a phone shows ten cards without
# scrolling for long); the query argument naming its page number, by section.
INBOX_PER_PAGE = 10
INBOX_PAGE_PARAMS = {
    "new": "new_page",
    "waiting": "waiting_page",
    "to_follow": "follow_page",
    "closed": "closed_page",
}


# The section of the lead page holding what the operator decides (accept, refuse, hand
# back...): those actions send the browser back to it, their message shown there, in
# view on a phone (actions.flash_in).
DECISION = "decision"


def _placement_section(placement_id: int) -> str:
    """The section of the lead page showing a placement and its follow-up."""
    return f"placement-{placement_id}"


guard_blueprint(bp, "operator", audit_action="lead_access_refused")
add_nav("operator", "Propositions", "leads.index")


def _lead_query(page_only: bool):
    people = selectinload(Lead.candidates).joinedload(LeadCandidate.candidate)
    if page_only:
        people = people.options(lazyload(Candidate.skills), lazyload(Candidate.commitments))
    return (
        select(Lead)
        .where(Lead.id == bindparam("lead_id"))
        .options(
            # Its operator (the notice when it is switched off), its few needs and their
            # companies in the lead's own statement.
            joinedload(Lead.operator),
            joinedload(Lead.needs)
            .joinedload(LeadNeed.need)
            .joinedload(Need.company)
            .selectinload(Company.contacts),
            people,
        )
    )


# Built once: with their loader options, building these cost more than running them.
_LEAD_QUERIES = {page_only: _lead_query(page_only) for page_only in (False, True)}


def _own_lead(lead_id: int, *, page_only: bool = False) -> Lead:
    """The lead, if the current member may open it (refused and audited otherwise).

    ``page_only``: to show its page, which does not show the people's skills and
    commitments: those are left unloaded (two statements fewer), and would load on
    access; the actions keep them loaded with the people."""
    query = _LEAD_QUERIES[page_only]
    lead = db.session.scalars(query, {"lead_id": lead_id}).unique().one_or_none()
    if not may_open_lead(current_user, lead):
        refuse_and_audit("lead_access_refused", entity="lead", entity_id=lead_id)
    return lead


def _text(value: str | None) -> str:
    return (value or "").strip()  # its length is the workflow's to check


@bp.route("")
def index():
    operator_id = current_user.operator_id
    sections = {}
    lines = {}
    next_points = {}
    if operator_id is not None:
        totals = inboxes.inbox_totals(db.session, operator_id)
        sections = {
            name: paginate(
                inboxes.inbox_leads(operator_id, name),
                INBOX_PER_PAGE,
                INBOX_PAGE_PARAMS[name],
                total=totals[name],
            )
            for name in ("new", "waiting")
        }
        sections["to_follow"] = paginate(
            inboxes.placements_to_follow(operator_id),
            INBOX_PER_PAGE,
            INBOX_PAGE_PARAMS["to_follow"],
        )
        sections["closed"] = paginate(
            inboxes.inbox_leads(operator_id, "closed"),
            INBOX_PER_PAGE,
            INBOX_PAGE_PARAMS["closed"],
            total=totals["closed"],
        )
        lines = inboxes.lead_lines(
            db.session,
            (lead.id for name in ("new", "waiting", "closed") for lead in sections[name].items),
        )
        next_points = inboxes.next_follow_ups(
            db.session, (placement.id for placement in sections["to_follow"].items)
        )
    # The pager of one section keeps the page the others are at.
    page_params = kept_pages(sections, INBOX_PAGE_PARAMS)
    return render_template(
        "leads/index.html",
        operator=current_user.operator,
        inactive_since=deactivated_since(db.session, current_user.operator),
        sections=sections,
        lines=lines,
        next_points=next_points,
        page_params=page_params,
        page_param_names=INBOX_PAGE_PARAMS,
        statuses=vocab.OPERATOR_LEAD_STATUSES,
        commune_label=territory.commune_label,
        today=local_today(),
        point_label=trials.point_label,
    )


@bp.route("/<int:lead_id>")
def show(lead_id: int):
    lead = _own_lead(lead_id, page_only=True)
    if flow.mark_seen(db.session, lead, actor=current_user):
        db.session.commit()
    return _render_show(lead)


def _render_show(
    lead: Lead,
    pending: dict | None = None,
    status: int = 200,
    *,
    sent: str | None = None,
    errors: dict | None = None,
    typed: dict | None = None,
):
    """The lead page. ``pending`` holds a placement waiting for its confirmation; after a
    refused form, ``sent`` names it (an action, "placement" or "suivi-<id>"), ``errors``
    sit next to its fields and ``typed`` keeps what was typed and chosen."""
    placements = inboxes.lead_placements(db.session, lead.id)
    # A company that left a live bundle is out of its week, hours and placement form.
    in_play = flow.needs_in_play(lead)
    return render_template(
        "leads/show.html",
        lead=lead,
        # Only its members reach the page: the lead's operator is theirs.
        operator=lead.operator,
        inactive_since=deactivated_since(db.session, lead.operator),
        allowed=LEAD.allowed(lead.status),
        ending=flow.ending(db.session, lead),
        show_contacts=flow.taken_on(lead),
        reach={item.need.id: item for item in flow.company_reach(lead)},
        placements=placements,
        # An action sends the browser back to the section it acted on: its message is
        # shown there, in view on a phone (actions.flash_in).
        flash_sections=[
            DECISION,
            *(_placement_section(each.id) for each in placements),
            *(f"suivi-{p.id}" for each in placements for p in each.follow_ups),
        ],
        decision=DECISION,
        statuses=vocab.OPERATOR_LEAD_STATUSES,
        refusal_reasons=vocab.LEAD_REFUSAL_REASONS,
        contracts=vocab.CONTRACTS,
        vocab=vocab,
        commune_label=territory.commune_label,
        in_play=in_play,
        live=LEAD_LIVE,
        total_hours=flow.needs_hours(in_play),
        # Each company's hours the placement form's running total accepts (the rule's).
        share_hours=flow.PLACEMENT_HOURS_RANGE,
        job_week=flow.job_week(in_play) if lead.is_bundle and in_play else None,
        pending=pending,
        sent=sent,
        errors=errors or {},
        typed=typed or {},
        today=local_today(),
        point_to_record=flow.point_to_record,
        point_opens_on=flow.point_opens_on,
        week_to_complete=week_to_complete,
        placement_term=flow.placement_term,
        placement_period=flow.placement_period,
        placement_companies=flow.placement_companies,
        needs_in_week_order=flow.needs_in_week_order,
        company_end_open=flow.company_end_open,
        placement_hours=flow.placement_hours,
        trial_summary=flow.trial_summary,
        point_name=flow.point_name,
        cv_withheld=files.withheld_reason,
        trials=trials,
        trial_rules=trials.rules(trials.placement_level(item.need.level for item in lead.needs)),
        endings=vocab.PLACEMENT_ENDINGS,
    ), status


ACTIONS = {
    "accepter": (
        "Proposition acceptée.",
        lambda lead, form: flow.accept(db.session, lead, current_user),
    ),
    "contacter": (
        "Proposition en cours : candidats contactés.",
        lambda lead, form: flow.start_contacting(db.session, lead, current_user),
    ),
    "refuser": (
        "Proposition refusée ; l'animateur est prévenu.",
        lambda lead, form: flow.refuse(
            db.session, lead, form.get("motif", ""), _text(form.get("precision")), current_user
        ),
    ),
    "rendre": (
        "Proposition rendue ; l'animateur est prévenu.",
        lambda lead, form: flow.hand_back(
            db.session, lead, _text(form.get("precision")), current_user
        ),
    ),
    "sans_suite": (
        "Proposition close sans suite.",
        lambda lead, form: flow.close_without_outcome(
            db.session, lead, _text(form.get("precision")) or None, current_user
        ),
    ),
}
# The domain's names of the action forms' fields.
ACTION_FIELDS = {"reason_code": "motif", "reason_text": "precision"}
PLACEMENT_FIELDS = {
    "candidate": "candidat",
    "needs": "besoins",
    "contract": "contrat",
    "hours_per_week": "heures",
    "start_date": "debut",
    "end_date": "fin",
    "trial": "essai",
    "trial_end": "essai-fin",
}


@bp.route("/<int:lead_id>/action", methods=["POST"])
def act(lead_id: int):
    lead = _own_lead(lead_id)
    name = request.form.get("action", "")
    action = ACTIONS.get(name)
    back = url_for(".show", lead_id=lead_id, _anchor=DECISION)
    if action is None:
        flash_in(DECISION, "Action inconnue.", "error")
        return redirect(back)
    done, call = action
    typed = {key: request.form.get(key, "") for key in ("motif", "precision")}
    return commit_or_refuse(
        lambda: call(lead, request.form),
        refusals=TransitionError,
        fields=ACTION_FIELDS,
        render=lambda errors: _render_show(
            _own_lead(lead_id), None, 422, sent=name, errors=errors, typed=typed
        ),
        back=back,
        done=done,
        section=DECISION,
    )


def _parse_placement(lead: Lead, form) -> tuple[dict, dict[str, str]]:
    """The placement form's values for ``flow.record_placement``, and a French message
    for each field it could not read (a number, a date, a person or need not of the
    lead), by the rule's names: the rule says them with everything else it refuses, all
    at once (its ``refused``), a value not read given as None."""
    candidates = {str(item.candidate_id): item.candidate for item in lead.candidates}
    needs = {str(item.need_id): item.need for item in lead.needs}
    refused = {}
    candidate_id = form.get("candidat", "")
    if candidate_id and candidate_id not in candidates:
        refused["candidate"] = flow.NOT_A_CANDIDATE
    chosen = form.getlist("besoins")
    if any(n not in needs for n in chosen):
        refused["needs"] = flow.NOT_IN_LEAD
    chosen = [n for n in chosen if n in needs]
    # A bundle: the hours agreed with each company chosen, each in its own field; a
    # single need: its hours. Their range is the rule's.
    hours = {}
    named = {company_hours_field(n): flow.company_hours_field(int(n)) for n in chosen}
    for field, name in named.items() if lead.is_bundle else [("heures", "hours_per_week")]:
        hours[field] = read_number(form.get(field, ""), "h")
        if hours[field] is None and (why := too_precise(form.get(field))):
            refused[name] = why
    start, why = read_typed_date(
        form.get("debut"), "Date de début", missing="Indiquez la date de début (jj/mm/aaaa)."
    )
    if why:
        refused["start_date"] = why
    # The last day of a fixed-term contract, when the operator knows it (optional).
    end, why = read_typed_date(form.get("fin"), "Date de fin")
    if why:
        refused["end_date"] = why
    # The trial period: the legal maximum proposed unless the operator chose otherwise.
    trial = form.get("essai") or trials.LEGAL
    trial_end = None
    if trial == trials.AGREED:
        trial_end, why = read_typed_date(
            form.get("essai-fin"),
            "Dernier jour de la période d'essai",
            missing="Indiquez le dernier jour de la période d'essai convenue (jj/mm/aaaa).",
        )
        if why:
            refused["trial_end"] = why
    if lead.is_bundle:
        given = {"company_hours": {int(n): hours[company_hours_field(n)] for n in chosen}}
    else:
        given = {"hours_per_week": hours["heures"]}
    return {
        "candidate": candidates.get(candidate_id),
        "needs": [needs[n] for n in chosen],
        **given,
        "contract": form.get("contrat", ""),
        "start_date": start,
        "end_date": end,
        "trial": trial,
        "trial_end": trial_end,
    }, refused


def company_hours_field(need_id: int | str) -> str:
    """The placement form's field of the hours agreed with the company of a bundle's
    need ``need_id``."""
    return f"heures-{need_id}"


def _placement_fields(lead: Lead) -> dict[str, str]:
    """The placement form's field of each name ``record_placement`` refuses, with each
    company's hours of a bundle."""
    return PLACEMENT_FIELDS | {
        flow.company_hours_field(item.need_id): company_hours_field(item.need_id)
        for item in lead.needs
    }


def _typed_placement(form) -> dict:
    """The placement form as it was sent, to show it again."""
    return {
        "candidate_id": form.get("candidat", ""),
        "need_ids": set(form.getlist("besoins")),
        "hours": form.get("heures", ""),
        "company_hours": {
            key.removeprefix("heures-"): value
            for key, value in form.items()
            if key.startswith("heures-")
        },
        "contract": form.get("contrat", ""),
        "start": form.get("debut", ""),
        "end": form.get("fin", ""),
        "trial": form.get("essai") or trials.LEGAL,
        "trial_end": form.get("essai-fin", ""),
    }


@bp.route("/<int:lead_id>/placement", methods=["POST"])
def place(lead_id: int):
    lead = _own_lead(lead_id)
    if why := flow.placement_refused(lead):
        # A form sent again once the lead is placed or closed: the placement form is no
        # longer on the page, so the refusal is said with the lead's decision, whatever
        # was typed.
        flash_in(DECISION, why, "error")
        return redirect(url_for(".show", lead_id=lead_id, _anchor=DECISION))
    values, refused = _parse_placement(lead, request.form)
    # The person and hours the confirmation was asked for: either changed since is asked
    # again.
    confirmed = None
    if request.form.get("confirmer") == "1":
        confirmed = request.form.get("confirmation") or None
    try:
        placement = flow.record_placement(
            db.session, lead, actor=current_user, confirmed=confirmed, refused=refused, **values
        )
    except flow.PlacementOverWeek as warning:
        db.session.rollback()
        # Nothing written: the same form again, filled in, with why and a confirmation.
        person = values["candidate"]
        pending = {
            "why": warning.message,
            "name": f"{person.first_name} {person.last_name}",
            "hours": warning.hours,
            "split": warning.split,
            "confirmation": warning.confirmation,
        }
        return _render_show(
            _own_lead(lead_id), pending, 409, sent="placement", typed=_typed_placement(request.form)
        )
    except TransitionError as refusal:
        db.session.rollback()
        lead = _own_lead(lead_id)
        if flow.placement_refused(lead):
            # The lead moved meanwhile (another member placed or closed it): said with
            # the lead's decision, as above.
            flash_in(DECISION, refusal.message, refusal.flash_category)
            return redirect(url_for(".show", lead_id=lead_id, _anchor=DECISION))
        return _render_show(
            lead,
            None,
            422,
            sent="placement",
            errors=errors_for(refusal, _placement_fields(lead)),
            typed=_typed_placement(request.form),
        )
    db.session.commit()
    # The browser lands on the placement recorded (the form is gone), its message there.
    section = _placement_section(placement.id)
    flash_in(section, f"Placement enregistré. {flow.follow_up_plan(placement)}")
    return redirect(url_for(".show", lead_id=lead_id, _anchor=section))


@bp.route("/<int:lead_id>/suivi/<int:point_id>", methods=["POST"])
def follow_up(lead_id: int, point_id: int):
    lead = _own_lead(lead_id)
    point = db.session.get(FollowUpPoint, point_id)
    if point is None or point.placement.lead_id != lead.id:
        refuse_and_audit("lead_access_refused", entity="lead", entity_id=lead_id)
    holds = request.form.get("tient")
    typed = {key: request.form.get(key, "") for key in ("entreprise", "personne", "tient", "fin")}
    typed["relancer"] = request.form.get("relancer") == "1"
    sent = f"suivi-{point_id}"
    errors = {}
    last_day = None
    if holds == "non":
        last_day, why = read_typed_date(typed["fin"], "Dernier jour travaillé")
        if why:
            errors["fin"] = why
        typed["last_day"] = last_day  # as read, for the answer kept once refused
    return commit_or_refuse(
        lambda: flow.record_follow_up(
            db.session,
            point,
            company_feedback=_text(request.form.get("entreprise")),
            candidate_feedback=_text(request.form.get("personne")),
            holds={"oui": True, "non": False}.get(holds),
            ended_on=last_day,
            search_again=typed["relancer"],
            actor=current_user,
        ),
        refusals=TransitionError,
        fields={
            "feedback": "entreprise",
            "company_feedback": "entreprise",
            "candidate_feedback": "personne",
            "ended_on": "fin",
            "holds": "tient",
        },
        typed_errors=errors,
        render_unnamed=True,
        render=lambda errors: _render_show(
            _own_lead(lead_id), None, 422, sent=sent, errors=errors, typed=typed
        ),
        back=url_for(".show", lead_id=lead_id, _anchor=sent),
        done=lambda point: (
            f"{flow.point_name(point).capitalize()} enregistré."
            + ("" if point.holds else " Le placement a pris fin ; l'animateur est prévenu.")
        ),
        section=sent,
    )


@bp.route("/<int:lead_id>/placement/<int:placement_id>/fin-entreprise", methods=["POST"])
def end_at_company(lead_id: int, placement_id: int):
    """The person left one company of a shared-time placement and keeps the others."""
    lead = _own_lead(lead_id)
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.lead_id != lead.id:
        refuse_and_audit("lead_access_refused", entity="lead", entity_id=lead_id)
    return record_company_end(
        placement,
        render=lambda sent, errors, typed: _render_show(
            _own_lead(lead_id), None, 422, sent=sent, errors=errors, typed=typed
        ),
        back=url_for(".show", lead_id=lead_id, _anchor=_placement_section(placement_id)),
        section=_placement_section(placement_id),
        told="l'animateur",
    )


@bp.route("/<int:lead_id>/cv/<int:candidate_id>")
def cv(lead_id: int, candidate_id: int):
    """A proposed candidate's CV file, once the lead is accepted."""
    lead = _own_lead(lead_id)
    item = next((c for c in lead.candidates if c.candidate_id == candidate_id), None)
    if item is None or not may_read_cv(db.session, current_user, candidate_id, lead_id=lead_id):
        refuse_and_audit("lead_access_refused", entity="lead", entity_id=lead_id)
    return send_cv(
        item.candidate, actor=current_user.id, ip=request.remote_addr, details={"lead": lead_id}
    )
