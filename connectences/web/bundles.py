"""The animateurs' shared-time page: bundles of part-time needs from different companies
that one person could hold together, and the form that turns one into a lead
("un poste en temps partagé") for an operator.

Pooling itself is ``matching.pool``; sending is ``workflows.dispatch.send_lead``.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from connectences import vocab
from connectences.extensions import db
from connectences.matching import week
from connectences.matching.data import candidate_from_model
from connectences.matching.service_route_pool import pool_open_needs
from connectences.models import Need
from connectences.web.access import guard_blueprint
from connectences.web.navigation import add_nav
from connectences.web.needs import (
    MAX_NOTE,
    _active_operators,
    _candidates_by_ref,
    _chosen_candidates,
    _commune_label,
    _days,
    _hours,
    _operator_from_form,
    _text,
)
from connectences.workflows import NEED_SEARCHING, TransitionError
from connectences.workflows.dispatch import send_lead

bp = Blueprint("bundles", __name__, url_prefix="/animateur/postes-partages")
guard_blueprint(bp, "animateur", "admin")
for _role in ("animateur", "admin"):
    add_nav(_role, "Postes en temps partagé", "bundles.index")


def open_bundles() -> list[dict]:
    """The bundles of the open needs, best first, with their score and reasons."""
    return pool_open_needs(details=True)["bundles"]


def _key(refs) -> tuple[str, ...]:
    return tuple(sorted(set(refs)))


@bp.route("")
def index():
    bundles = open_bundles()
    need_refs = {ref for b in bundles for ref in b["needs"]}
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
    people = _candidates_by_ref(ref for b in bundles for ref in b["candidates"])
    for bundle in bundles:
        bundle["members"] = [needs[ref] for ref in bundle["needs"] if ref in needs]
        bundle["fitting"] = [people[ref] for ref in bundle["candidates"] if ref in people]
        # Who could take it in their free time: people already holding work, with their week.
        first = min((n.start for n in bundle["members"]), default=None)
        bundle["free_time"] = [
            (person, sentence)
            for person in bundle["fitting"]
            if first is not None
            and (sentence := week.week_sentence(candidate_from_model(person), first))
        ]
    return render_template(
        "bundles/index.html",
        bundles=bundles,
        operators=_active_operators(),
        operator_kinds=vocab.OPERATOR_KINDS,
        statuses=vocab.NEED_STATUSES,
        proposable=NEED_SEARCHING,
        levels=vocab.LEVELS,
        commune_label=_commune_label,
        days=_days,
        hours=_hours,
    )


@bp.route("/proposer", methods=["POST"])
def propose():
    back = redirect(url_for("bundles.index"))
    refs = [r.strip() for r in request.form.getlist("besoins") if r and r.strip()]
    bundle = next((b for b in open_bundles() if _key(b["needs"]) == _key(refs)), None)
    if bundle is None:
        flash(
            "Ce poste en temps partagé n'existe plus (un des besoins a changé). "
            "Rien n'a été envoyé ; vérifiez la liste ci-dessous.",
            "error",
        )
        return back
    operator = _operator_from_form()
    if isinstance(operator, str):
        flash(operator, "error")
        return back
    candidates = _chosen_candidates(request.form.getlist("candidats"))
    if isinstance(candidates, str):
        flash(candidates, "error")
        return back
    needs = list(
        db.session.scalars(
            select(Need)
            .options(joinedload(Need.company))
            .where(Need.ref.in_(bundle["needs"]))
            .order_by(Need.ref)
        )
    )
    try:
        send_lead(
            db.session,
            needs=needs,
            operator=operator,
            candidates=candidates,
            actor=current_user,
            note=_text(request.form.get("note"), MAX_NOTE),
            reasons=list(bundle.get("reasons", ())),
        )
        db.session.flush()
    except TransitionError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return back
    db.session.commit()
    flash(
        f"Poste en temps partagé ({_hours(bundle['hours'])} par semaine, {len(needs)} "
        f"entreprises) proposé à {operator.name}. Un e-mail lui a été envoyé.",
        "success",
    )
    return back
