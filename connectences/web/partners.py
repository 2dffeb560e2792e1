"""A partner's area: the needs re-oriented to its organisation."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from connectences.extensions import db
from connectences.vocab import REFERRAL_STATUSES
from connectences.web.access import guard_blueprint
from connectences.workflows import inboxes

bp = Blueprint("partners", __name__, url_prefix="/partenaire")
guard_blueprint(bp, "partner")


@bp.route("")
def index():
    partner = current_user.partner
    counts: dict[str, int] = {}
    referrals = []
    if partner is not None:
        counts = inboxes.referral_counts(db.session, partner.id)
        referrals = inboxes.partner_referrals(db.session, partner.id, limit=20)
    return render_template(
        "partners/index.html",
        partner=partner,
        status_counts=[
            (key, label, counts.get(key, 0)) for key, label in REFERRAL_STATUSES.items()
        ],
        referrals=referrals,
        statuses=REFERRAL_STATUSES,
    )
