"""The animateur's area: prospection and needs. Home page for now; later issues
add the need, visit and company pages to this blueprint."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from connectences.extensions import db
from connectences.models import Need, Visit
from connectences.vocab import NEED_STATUSES, VISIT_CHANNELS
from connectences.web.access import guard_blueprint

bp = Blueprint("staff", __name__, url_prefix="/animateur")
guard_blueprint(bp, "animateur")


@bp.route("")
def index():
    counts = dict(db.session.execute(select(Need.status, func.count()).group_by(Need.status)).all())
    needs = db.session.scalars(
        select(Need).options(joinedload(Need.company)).order_by(Need.created_at.desc()).limit(10)
    ).all()
    visits = db.session.scalars(
        select(Visit)
        .options(joinedload(Visit.company))
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
        .limit(10)
    ).all()
    return render_template(
        "staff/index.html",
        status_counts=[(key, label, counts.get(key, 0)) for key, label in NEED_STATUSES.items()],
        total=sum(counts.values()),
        needs=needs,
        visits=visits,
        statuses=NEED_STATUSES,
        channels=VISIT_CHANNELS,
    )
