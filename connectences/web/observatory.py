"""The intercommunality officer's area: the observatory of its territory's needs."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from connectences.accounts.scope import observatory_scope
from connectences.extensions import db
from connectences.models import Epci
from connectences.models.base import utcnow
from connectences.observatory import figures
from connectences.observatory.cache import ObservatoryCache
from connectences.web.access import guard_blueprint

bp = Blueprint("observatory", __name__, url_prefix="/territoire")
guard_blueprint(bp, "territoire")


@bp.route("")
def index():
    siren = observatory_scope(current_user)
    epci = db.session.get(Epci, siren) if siren else None
    now = utcnow()
    period = figures.parse_period(request.args.get("periode"))
    seen = None
    if epci is not None:
        cache = current_app.extensions.setdefault(
            "observatory_cache", ObservatoryCache(current_app.config["OBSERVATORY_CACHE_SECONDS"])
        )
        cached = cache.figures(db.session, siren, period, now=now)
        seen, now = cached.figures, cached.computed_at  # the page tells when they were computed
    return render_template(
        "observatory/index.html",
        epci=epci,
        seen=seen,
        now=now,
        periods=figures.PERIODS,
        meanings=figures.STATUS_MEANING,
        status_counts=figures.status_counts(seen),
    )
