"""A partner's area: the needs re-oriented to its organisation."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from connectences.extensions import db
from connectences.organisations import deactivated_since
from connectences.vocab import PARTNER_REFERRAL_STATUSES
from connectences.web.access import guard_blueprint
from connectences.web.navigation import add_nav
from connectences.web.own_entry import own_entry_page
from connectences.workflows import ReferralState, inboxes

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
        inactive_since=deactivated_since(db.session, partner),
        status_counts=[
            (key, label, counts.get(key, 0)) for key, label in PARTNER_REFERRAL_STATUSES.items()
        ],
        # Waiting for the partner's answer (taken in charge, or refused): opened or not.
        fresh=counts.get(ReferralState.ENVOYEE, 0),
        waiting=counts.get(ReferralState.ENVOYEE, 0) + counts.get(ReferralState.RECUE, 0),
        referrals=referrals,
        statuses=PARTNER_REFERRAL_STATUSES,
    )


add_nav("partner", "Ma fiche « Qui fait quoi »", "partners.directory_entry")


@bp.route("/fiche", methods=["GET", "POST"])
def directory_entry():
    """The organisation's "Qui fait quoi" entry: the members propose, an animateur validates."""
    return own_entry_page("partner", "partners.directory_entry")
