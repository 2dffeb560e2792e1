"""The installable web app: its manifest and its service worker, both served from the
site's root.

The service worker must be served from ``/`` to control the animateur's pages (a script
under ``/static/`` could only control ``/static/``). Its file is
``static/js/sw.js``; this view fills in its configuration: the cache version (a hash
of the worker and of every file it keeps, plus ``OFFLINE_CACHE_VERSION``), the files to
keep and the pages of a round. Any change to one of those files changes the worker's
bytes, so browsers install the new worker, which deletes the caches of the old one.

The logout response also carries ``Clear-Site-Data``: the browser wipes the offline
store and caches even if the page's own clearing (``offline-boot.js``) did not run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, request, url_for

from connectences import config
from connectences.web.access import public

bp = Blueprint("webapp", __name__)

# Static files a phone keeps for the round (relative to static/).
OFFLINE_ASSETS = (
    "css/app.css",
    "css/animateur.css",
    "css/prospection.css",
    "css/offline.css",
    "js/nav.js",
    "js/send-once.js",
    "js/form-keep.js",
    "js/offline-store.js",
    "js/offline-boot.js",
    "js/tournee.js",
    "favicon.svg",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
# Pages kept for the round (cached when fetched online), and the page shown offline in
# place of the online visit form.
OFFLINE_PAGES = ("offline.round_page", "visits.follow_ups")
FALLBACK_PAGE = "offline.round_page"
CONFIG_LINE = "var CONFIG = null; // filled in by connectences/web/webapp.py"
THEME_COLOR = "#0b4f6c"


def _static(path: str) -> Path:
    return Path(current_app.static_folder) / path


def cache_version() -> str:
    """A short hash of the worker, of every kept file and of OFFLINE_CACHE_VERSION."""
    digest = hashlib.sha256(str(config.setting("OFFLINE_CACHE_VERSION")).encode())
    for path in ("js/sw.js", *OFFLINE_ASSETS):
        digest.update(path.encode())
        digest.update(_static(path).read_bytes())
    return digest.hexdigest()[:12]


@bp.route("/sw.js")
@public
def service_worker():
    worker_config = {
        "version": cache_version(),
        "assets": [url_for("static", filename=path) for path in OFFLINE_ASSETS],
        "pages": [url_for(endpoint) for endpoint in OFFLINE_PAGES],
        "fallback": url_for(FALLBACK_PAGE),
        "visitForm": url_for("visits.new"),
        "store": url_for("static", filename="js/offline-store.js"),
    }
    text = _static("js/sw.js").read_text(encoding="utf-8")
    body = text.replace(CONFIG_LINE, f"var CONFIG = {json.dumps(worker_config)};")
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on navigation; never serve them a stale one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
@public
def manifest():
    icon = "icons/icon-{}.png"
    data = {
        "name": f"{current_app.config['PLATFORM_NAME']} — visites de prospection",
        "short_name": current_app.config["PLATFORM_NAME"],
        "description": "Noter les visites aux entreprises, même sans réseau.",
        "lang": "fr",
        "dir": "ltr",
        "start_url": url_for("offline.round_page"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {
                "src": url_for("static", filename="icons/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            },
            {
                "src": url_for("static", filename=icon.format(192)),
                "sizes": "192x192",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename=icon.format(512)),
                "sizes": "512x512",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename=icon.format(512)),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")


@bp.after_app_request
def _clear_site_data_on_logout(response: Response) -> Response:
    if request.endpoint == "auth.logout" and request.method == "POST":
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
