"""The observatory: an intercommunality officer reads its own territory's figures (small
numbers protected); the animateurs and admins read any intercommunality's, exact."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from connectences.accounts.scope import observatory_scope, observatory_view
from connectences.extensions import db
from connectences.models import Epci
from connectences.models.base import utcnow
from connectences.observatory import exports, figures
from connectences.observatory.cache import ObservatoryCache
from connectences.observatory.present import present
from connectences.text import slug
from connectences.web.access import guard_blueprint, role_required
from connectences.web.downloads import send_body

bp = Blueprint("observatory", __name__, url_prefix="/territoire")
guard_blueprint(bp, "territoire")

READERS = ("territoire", "animateur", "admin")


def _shown(siren: str):
    """The figures of ``siren`` for the current user (None: refused) and the period."""
    view = observatory_view(current_user, siren)
    epci = db.session.get(Epci, siren)
    if view is None or epci is None:
        abort(403 if view is None else 404)
    period = figures.parse_period(request.args.get("periode"))
    cache = current_app.extensions.setdefault(
        "observatory_cache", ObservatoryCache(current_app.config["OBSERVATORY_CACHE_SECONDS"])
    )
    cached = cache.figures(db.session, siren, period, now=utcnow())
    return epci, present(cached.figures, exact=view == "exact"), cached.computed_at


def _page(siren: str):
    epci, shown, computed_at = _shown(siren)
    return render_template(
        "observatory/index.html",
        epci=epci,
        shown=shown,
        seen=shown.seen,
        now=computed_at,
        periods=figures.PERIODS,
        meanings=figures.STATUS_MEANING,
        statuses=figures.NEED_STATUSES,
    )


@bp.route("")
def index():
    siren = observatory_scope(current_user)
    if not siren or db.session.get(Epci, siren) is None:
        return render_template("observatory/index.html", epci=None)
    return _page(siren)


@bp.route("/intercommunalites")
@role_required("animateur", "admin")
def choose():
    return render_template("observatory/choose.html", epcis=figures.epcis_with_needs(db.session))


@bp.route("/intercommunalites/<siren>")
@role_required(*READERS)
def epci(siren: str):
    return _page(siren)


@bp.route("/intercommunalites/<siren>/observatoire.xlsx")
@role_required(*READERS)
def workbook(siren: str):
    epci, shown, _ = _shown(siren)
    return send_body(exports.workbook(shown), "xlsx", f"observatoire-{slug(epci.name)}")


@bp.route("/intercommunalites/<siren>/<key>.csv")
@role_required(*READERS)
def table_csv(siren: str, key: str):
    epci, shown, _ = _shown(siren)
    table = next((t for t in shown.tables if t.key == key), None)
    if table is None:
        abort(404)
    return send_body(exports.table_csv(table), "csv", f"{key}-{slug(epci.name)}")
