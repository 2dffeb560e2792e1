"""The animateurs' shared-time page: bundles of part-time needs from different companies
that one person could hold together, and the form that turns one into a lead
("un poste en temps partagé") for an operator.

Pooling itself is ``matching.pool``, over the open needs of ``matching.open_bundles``
(narrowed to one trade or one commune by the page's filters, which a cut list invites);
sending is ``workflows.dispatch.send_lead``.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from connectences import organisations, territory, vocab
from connectences.clock import local_today
from connectences.cvtheque.lookup import candidates_by_ref
from connectences.extensions import db
from connectences.matching import week
from connectences.matching.data import candidate_from_model, need_from_model
from connectences.matching.open_bundles import (
    BundleFilters,
    left_out,
    open_need_bundles,
    set_aside_needs,
)
from connectences.matching.pool import truncated_notice
from connectences.models import Need
from connectences.prospection.pressure import over_cap_reason_of
from connectences.typography import hours_fr
from connectences.web.access import guard_blueprint
from connectences.web.actions import commit_or_refuse
from connectences.web.formats import days_label
from connectences.web.navigation import add_nav
from connectences.web.needs import PROPOSE_FIELDS, over_cap_typed, tell_sent, typed_text
from connectences.web.paging import page_number
from connectences.workflows import NEED_SEARCHING, dispatch

PER_PAGE = 20
"""Bundles shown per page."""
FITTING_SHOWN = 30
"""People offered to tick in a bundle's form, at most (the others counted)."""

bp = Blueprint("bundles", __name__, url_prefix="/animateur/postes-partages")
guard_blueprint(bp, "animateur", "admin")
for _role in ("animateur", "admin"):
    add_nav(_role, "Postes en temps partagé", "bundles.index")


@bp.route("")
def index():
    return _render_index()


def _render_index(status: int = 200, *, sent=(), errors=None, typed=None):
    """The page; after a refused proposal (422), the form of the bundle ``sent`` (its
    needs' refs, sorted) comes back open with ``errors`` next to its fields, a refusal
    about no field (the contact guard, a need not qualified yet) at the top of its
    summary, and what was ``typed`` (operator, ticked candidates, note). A bundle no
    longer on the page has no form to come back in: its refusal is flashed over the
    page as it now is."""
    filters, refused = BundleFilters.from_args(request.args)
    found = open_need_bundles(db.session, filters)
    listed = found.bundles
    wanted = tuple(sent)
    at = next((i for i, b in enumerate(listed) if b.needs == wanted), None) if sent else None
    if errors and at is None:
        flash(" ".join(dict.fromkeys(errors.values())), "error")
        return redirect(url_for("bundles.index", **filters.as_args()))
    # One page of bundles (tens of thousands on a region's data): the refused one's page
    # when a proposal comes back, with its form open.
    pages = max(1, -(-len(listed) // PER_PAGE))
    page = at // PER_PAGE + 1 if at is not None else min(page_number(), pages)
    offset = (page - 1) * PER_PAGE
    # Scores explained for the page's bundles only: writing them all took a second.
    bundles = [b.to_json(details=True) for b in listed[offset : offset + PER_PAGE]]
    # Why a need of a related trade is in none of them: "why not that one".
    neighbours = left_out(bundles, db.session, filters)
    # The bundles' needs and the neighbours they show, read at once: whether any
    # neighbour is shown costs no statement more.
    need_refs = {ref for b in bundles for ref in b["needs"]}
    need_refs.update(ref for shown, _count in neighbours.values() for ref, _why in shown)
    needs = (
        {
            n.ref: n
            for n in db.session.scalars(
                select(Need).options(joinedload(Need.company)).where(Need.ref.in_(need_refs))
            )
        }
        if need_refs
        else {}
    )
    # The first people of each bundle (related to its jobs first): hundreds may fit one.
    people = candidates_by_ref(
        db.session, (ref for b in bundles for ref in b["candidates"][:FITTING_SHOWN])
    )
    today = local_today()
    for bundle in bundles:
        shown, bundle["left_out_count"] = neighbours.get(tuple(sorted(bundle["needs"])), ([], 0))
        bundle["left_out"] = [(needs[ref], why) for ref, why in shown if ref in needs]
        # Read as the week goes (Monday's company first), not in the order of the refs.
        bundle["members"] = sorted(
            (needs[ref] for ref in bundle["needs"] if ref in needs),
            key=lambda n: (min((vocab.DAY_BIT[d] for d in n.days or ()), default=0), n.ref),
        )
        bundle["fitting"] = [
            people[ref] for ref in bundle["candidates"][:FITTING_SHOWN] if ref in people
        ]
        # Who could take it in their free time: people holding work on its first start,
        # with their week then and the work taking some of the job today that ends before.
        job = [need_from_model(n) for n in bundle["members"]]
        start = week.bundle_job(job).start if job else None
        held = [(person, candidate_from_model(person)) for person in bundle["fitting"]]
        bundle["free_time"] = [
            (person, week.bundle_start_sentence(data, job, today))
            for person, data in held
            if start is not None and week.running(data.commitments, start)
        ]
        # The refused bundle's companies the contact guard refuses, and what to do instead.
        bundle["contact_refusals"] = (
            dispatch.contact_refusals(db.session, bundle["members"])
            if errors and sorted(bundle["needs"]) == list(sent)
            else []
        )
    operators = dispatch.proposal_operators(db.session)
    return render_template(
        "bundles/index.html",
        bundles=bundles,
        total=len(listed),
        offset=offset,
        page=page,
        pages=pages,
        truncated=truncated_notice(len(listed)) if found.truncated else None,
        set_aside=set_aside_needs(db.session, filters),
        filters=filters,
        refused=refused,
        active_filters=filters.as_args(),
        communes=[(c.insee, c.name) for c in territory.pays_communes_by_name()],
        operators=operators,
        # Those the choice lists say « aucun compte actif »: nobody would answer there.
        unattended=organisations.without_working_member(db.session, operators),
        operator_kinds=vocab.OPERATOR_KINDS,
        statuses=vocab.NEED_STATUSES,
        proposable=NEED_SEARCHING,
        levels=vocab.LEVELS,
        commune_label=territory.commune_label,
        days=days_label,
        sent=list(sent),
        errors=errors or {},
        typed=typed or {},
    ), status


def _proposed(lead) -> None:
    hours = hours_fr(sum(item.need.hours_per_week for item in lead.needs))
    tell_sent(
        lead.operator,
        f"Poste en temps partagé ({hours} par semaine, {len(lead.needs)} "
        f"entreprises) proposé à {lead.operator.name}. Un e-mail lui a été envoyé.",
    )


@bp.route("/proposer", methods=["POST"])
def propose():
    sent = sorted({r.strip() for r in request.form.getlist("besoins") if r and r.strip()})
    typed = {
        "operateur": (request.form.get("operateur") or "").strip(),
        "candidats": set(request.form.getlist("candidats")),
        "note": typed_text(request.form.get("note")),
        **over_cap_typed(request.form),
    }
    # The filters of the list the bundle was chosen from, carried by the form's address.
    filters, _refused = BundleFilters.from_args(request.args)
    return commit_or_refuse(
        lambda: dispatch.propose_bundle(
            db.session,
            request.form.getlist("besoins"),
            operator_ref=request.form.get("operateur"),
            candidate_refs=request.form.getlist("candidats"),
            note=request.form.get("note"),
            actor=current_user,
            filters=filters,
            over_cap_reason=over_cap_reason_of(request.form),
        ),
        fields=PROPOSE_FIELDS,
        render=lambda errors: _render_index(422, sent=sent, errors=errors, typed=typed),
        # Every refusal comes back in the bundle's form, with what was typed: the bundle
        # stays on this page whatever refused it (the contact guard, a need to qualify,
        # an operator no longer active), so the note and the ticked people are kept.
        render_unnamed=True,
        back=url_for("bundles.index", **filters.as_args()),
        # Sent: the list, on its content (a redirect without a fragment of its own kept
        # the form's « #erreurs-poste-N »).
        then=url_for("bundles.index", **filters.as_args(), _anchor="contenu"),
        done=_proposed,
    )
