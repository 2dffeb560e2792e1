"""A partner's area: the needs re-oriented to its organisation."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from connectences.extensions import db
from connectences.models import Need, Referral
from connectences.vocab import REFERRAL_STATUSES
from connectences.web.access import guard_blueprint

bp = Blueprint("partners", __name__, url_prefix="/partenaire")
guard_blueprint(bp, "partner")


@bp.route("")
def index():
    partner = current_user.partner
    counts: dict[str, int] = {}
    referrals = []
    if partner is not None:
        counts = dict(
            db.session.execute(
                select(Referral.status, func.count())
                .where(Referral.partner_id == partner.id)
                .group_by(Referral.status)
            ).all()
        )
        referrals = db.session.scalars(
            select(Referral)
            .where(Referral.partner_id == partner.id)
            .options(joinedload(Referral.need).joinedload(Need.company))
            .order_by(Referral.created_at.desc())
            .limit(20)
        ).all()
    return render_template(
        "partners/index.html",
        partner=partner,
        status_counts=[
            (key, label, counts.get(key, 0)) for key, label in REFERRAL_STATUSES.items()
        ],
        referrals=referrals,
        statuses=REFERRAL_STATUSES,
    )
