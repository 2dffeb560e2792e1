"""The platform as ``bench load`` serves it: the production app, plus one staff page
that shows nothing but the layout (``FLOOR_PATH``).

That page is the floor of every staff page: the same login check (the server-side
session and the account, read in one statement), the same hooks, the same layout and
menu, and no content at all. Its throughput under load, beside hello's, says how much
of the 0.15 target a page has left for what it shows. It is never part of the
production app (``connectences.create_app`` has no such route).
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from connectences import create_app
from connectences.web.access import guard_blueprint

FLOOR_PATH = "/animateur/plancher-de-mesure"


def floor_blueprint() -> Blueprint:
    bp = Blueprint("bench_floor", __name__)
    # Guarded as the animateur's own pages are: the check is part of the floor.
    guard_blueprint(bp, "animateur")

    @bp.get(FLOOR_PATH)
    def floor():
        return render_template("base.html")

    return bp


def create_bench_app(test_config: dict | None = None) -> Flask:
    """The production app with the floor page (gunicorn: ``create_bench_app()``)."""
    app = create_app(test_config)
    app.register_blueprint(floor_blueprint())
    return app
