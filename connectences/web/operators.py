"""An operator's area: the leads proposed to its organisation, and the week of the people
it placed (« Compléter la semaine »)."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from connectences.cvtheque.access import operator_placed, operator_placements
from connectences.extensions import db
from connectences.models import Candidate
from connectences.organisations import deactivated_since
from connectences.vocab import OPERATOR_LEAD_STATUSES
from connectences.web.access import guard_blueprint, refuse_and_audit
from connectences.web.navigation import add_nav
from connectences.web.own_entry import own_entry_page
from connectences.web.week import render_complete_week
from connectences.workflows import inboxes

bp = Blueprint("operators", __name__, url_prefix="/operateur")
guard_blueprint(bp, "operator")


@bp.route("")
def index():
    operator = current_user.operator
    counts: dict[str, int] = {}
    leads = []
    if operator is not None:
        counts = inboxes.lead_counts(db.session, operator.id)
        leads = inboxes.operator_leads(db.session, operator.id, limit=20)
    return render_template(
        "operators/index.html",
        operator=operator,
        inactive_since=deactivated_since(db.session, operator),
        status_counts=[
            (key, label, counts.get(key, 0)) for key, label in OPERATOR_LEAD_STATUSES.items()
        ],
        leads=leads,
        statuses=OPERATOR_LEAD_STATUSES,
    )


@bp.route("/personnes/<candidate_ref:ref>/semaine")
def complete_week(ref: str):
    """« Compléter la semaine » of a person this operator placed; anyone else is a 404."""
    candidate = db.session.scalar(select(Candidate).where(Candidate.ref == ref))
    if candidate is None or not operator_placed(db.session, current_user, candidate.id):
        refuse_and_audit("week_access_refused", entity="candidate")
    # Its own placements named; another operator's work, or the person's own, by its
    # hours and days only: nothing of another organisation, nor more than it needs.
    own = operator_placements(db.session, current_user, candidate.id)
    return render_complete_week(
        candidate,
        back_url=url_for("leads.index"),
        staff=False,
        label_shown=lambda commitment: commitment.placement_id in own,
    )


add_nav("operator", "Ma fiche « Qui fait quoi »", "operators.directory_entry")


@bp.route("/fiche", methods=["GET", "POST"])
def directory_entry():
    """The organisation's "Qui fait quoi" entry: the members propose, an animateur validates."""
    return own_entry_page("operator", "operators.directory_entry")
