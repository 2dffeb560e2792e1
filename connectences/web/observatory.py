"""The observatory: an intercommunality officer reads its own territory's figures (small
numbers protected); the animateurs and admins read any intercommunality's, exact. Its
tables download as XLSX and CSV, its monthly reports as PDF and HTML."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from connectences.accounts.scope import observatory_scope, observatory_view
from connectences.accounts.users import AccountError, set_monthly_report
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Epci
from connectences.models.base import utcnow
from connectences.observatory import exports, figures
from connectences.observatory.cache import ObservatoryCache, Seen
from connectences.observatory.present import present
from connectences.observatory.report import (
    ReportError,
    monthly_report,
    parse_month,
    previous_month,
    render_html,
    render_pdf,
)
from connectences.text import slug
from connectences.web.access import guard_blueprint, role_required
from connectences.web.actions import commit_or_refuse, flash_in
from connectences.web.downloads import send_body
from connectences.web.navigation import add_nav

bp = Blueprint("observatory", __name__, url_prefix="/territoire")
guard_blueprint(bp, "territoire")

READERS = ("territoire", "animateur", "admin")
for _role in ("animateur", "admin"):
    add_nav(_role, "Observatoire", "observatory.choose")


def _exact(siren: str) -> bool:
    """Whether the current user reads ``siren`` exact (staff) or protected (its officers);
    403 for anyone else, another intercommunality's officers included."""
    view = observatory_view(current_user, siren)
    if view is None:
        abort(403)
    return view == "exact"


def _shown(siren: str):
    """The intercommunality, its figures for the current user and when they were computed."""
    exact = _exact(siren)
    epci = db.session.get(Epci, siren)
    if epci is None:
        abort(404)
    period, period_error = figures.period_asked(request.args.get("periode"))
    at, error = figures.parse_day(request.args.get("au"), local_today(), month_end=not exact)
    cache = current_app.extensions.setdefault(
        "observatory_cache", ObservatoryCache(current_app.config["OBSERVATORY_CACHE_SECONDS"])
    )
    cached = cache.figures(db.session, siren, period, now=utcnow(), at=at)
    shown = _derived(cached, ("shown", exact), lambda: present(cached.figures, exact=exact))
    return epci, shown, cached, at, error, period_error


def _derived(cached: Seen, key: tuple, make):
    """What is made of ``cached`` figures once, kept with them (``Seen.derived``)."""
    made = cached.derived.get(key)
    if made is None:
        made = cached.derived[key] = make()
    return made


def _page(siren: str):
    epci, shown, cached, at, error, period_error = _shown(siren)
    at_param = at.isoformat() if at else None
    # The sections' tables and charts, drawn once for these figures and this reader: most
    # of the page, and the same until the figures are computed again.
    sections = _derived(
        cached,
        ("sections", shown.exact, at_param, request.script_root),
        lambda: Markup(  # noqa: S704 — rendered by the app's templates, autoescaped
            current_app.jinja_env.get_template("observatory/_sections.html").render(
                shown=shown, siren=epci.siren, period=shown.seen.period, at_param=at_param
            )
        ),
    )
    return render_template(
        "observatory/index.html",
        epci=epci,
        shown=shown,
        sections=sections,
        seen=shown.seen,
        now=cached.computed_at,
        at=at,
        # The « au » parameter of the page's own links (exports at the same date).
        at_param=at_param,
        at_error=error,
        period_error=period_error,
        today=local_today(),
        month_ends=figures.month_ends(local_today()),
        periods=figures.PERIODS,
        meanings=figures.STATUS_MEANING,
        statuses=figures.NEED_STATUSES,
        last_month=previous_month(local_today()),
        protection_note=exports.PROTECTION_NOTE,
    )


@bp.route("")
def index():
    siren = observatory_scope(current_user)
    if not siren or db.session.get(Epci, siren) is None:
        return render_template("observatory/index.html", epci=None)
    return _page(siren)


# The officer's choice of the monthly report by e-mail: its section of the page.
MONTHLY_REPORT = "rapport-mensuel"


@bp.route("/rapport-mensuel", methods=["POST"])
@role_required("territoire")
def monthly_report_choice():
    """An officer says whether they receive the monthly report by e-mail (their own
    account only: the form names no one)."""
    back = url_for("observatory.index", _anchor=MONTHLY_REPORT)
    answer = request.form.get("rapport_mensuel")
    if answer not in ("oui", "non"):
        flash_in(MONTHLY_REPORT, "Choisissez « Oui » ou « Non ».", "error")
        return redirect(back)
    wanted = answer == "oui"
    return commit_or_refuse(
        lambda: set_monthly_report(db.session, current_user, wanted, actor=current_user),
        refusals=AccountError,
        back=back,
        done=lambda _changed: (
            "Vous recevrez le rapport de chaque mois par e-mail, au début du mois suivant."
            if wanted
            else "Vous ne recevrez plus le rapport mensuel par e-mail. "
            "Il reste à télécharger sur cette page."
        ),
        section=MONTHLY_REPORT,
    )


@bp.route("/intercommunalites")
@role_required("animateur", "admin")
def choose():
    return render_template("observatory/choose.html", epcis=figures.epcis_with_needs(db.session))


@bp.route("/intercommunalites/<siren>")
@role_required(*READERS)
def epci(siren: str):
    return _page(siren)


def _download(siren: str):
    """What a download holds: the figures at the date and for the period asked, never
    others in their place (the page says why a date or a period is refused; a download
    has nowhere to say it: 404), and the day they are at (None: today)."""
    epci, shown, _cached, at, error, period_error = _shown(siren)
    if error or period_error:
        abort(404)
    return epci, shown, at


@bp.route("/intercommunalites/<siren>/observatoire.xlsx")
@role_required(*READERS)
def workbook(siren: str):
    epci, shown, at = _download(siren)
    return send_body(exports.workbook(shown), "xlsx", f"observatoire-{slug(epci.name)}", at)


@bp.route("/intercommunalites/<siren>/<key>.csv")
@role_required(*READERS)
def table_csv(siren: str, key: str):
    epci, shown, at = _download(siren)
    table = next((t for t in shown.tables if t.key == key), None)
    if table is None:
        abort(404)
    return send_body(exports.table_csv(table), "csv", f"{key}-{slug(epci.name)}", at)


@bp.route("/intercommunalites/<siren>/rapport-<month>.<fmt>")
@role_required(*READERS)
def report_file(siren: str, month: str, fmt: str):
    exact = _exact(siren)
    if fmt not in ("pdf", "html"):
        abort(404)
    try:
        year, number = parse_month(month, local_today())
        report = monthly_report(db.session, siren, year, number, exact=exact)
    except ReportError:
        abort(404)
    # Named as the page's other downloads: by the intercommunality and the day its
    # figures are at (not by the day of download, read as that day's figures).
    name, day = f"rapport-{slug(report.name)}", report.figures_on
    if fmt == "pdf":
        return send_body(render_pdf(report), "pdf", name, day)
    return send_body(render_html(report).encode("utf-8"), "html", name, day)
