"""Public pages: what the platform is, how matching works, personal data, the legal
notice, the accessibility statement, the contact page and the site map; health."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from connectences.config import is_example_value
from connectences.content import showcase
from connectences.events import catalogue
from connectences.extensions import db
from connectences.web.access import ROLE_HOME, public, signed_in
from connectences.web.navigation import site_map

bp = Blueprint("public", __name__)


@bp.app_template_global("example_setting")
def example_setting(key: str) -> bool:
    """Whether the legal or contact setting ``key`` still holds an example value (the
    footer, the legal notice, the contact and accessibility pages mark it)."""
    return is_example_value(key, current_app.config.get(key))


@bp.route("/")
@public
def index():
    """One door for companies: what the service does, the people who do it, three
    actions, the next events and what companies say of it."""
    shown = showcase.home_showcase(db.session)
    return render_template(
        "public/index.html",
        animateurs=shown.animateurs,
        events=shown.events,
        kinds=catalogue.KINDS,
        testimonials=shown.testimonials,
    )


@bp.route("/mise-en-relation")
@public
def matching():
    return render_template("public/matching.html")


@bp.route("/donnees-personnelles")
@public
def privacy():
    return render_template("public/privacy.html")


@bp.route("/mentions-legales")
@public
def legal():
    return render_template("public/legal.html")


@bp.route("/accessibilite")
@public
def accessibility():
    return render_template("public/accessibility.html")


@bp.route("/contact")
@public
def contact():
    return render_template("public/contact.html")


@bp.route("/plan-du-site")
@public
def sitemap():
    return render_template("public/sitemap.html", sections=site_map())


@bp.route("/health")
@public
def health():
    """For load balancers and monitoring: the app answers and the database too."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})


@bp.route("/accueil")
@signed_in
def home():
    """After login, or from the logo: each role's own home page."""
    return redirect(url_for(ROLE_HOME.get(current_user.role, "public.index")))
