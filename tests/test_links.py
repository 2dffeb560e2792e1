"""Links without arguments are built once per process (web/links.py): they still follow
the path the platform is served under, and links with arguments are built each time.
Static files are linked by version and kept a year by the browser at that address."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from flask import Flask, url_for

from connectences.web import links
from connectences.web.links import STATIC_MAX_AGE_SECONDS, static_version

STATIC = Path(__file__).resolve().parent.parent / "connectences" / "static"


def _version_of(relative: str) -> str:
    return hashlib.sha256((STATIC / relative).read_bytes()).hexdigest()[:12]


def test_kept_links_follow_the_path_the_app_is_served_under(app, client):
    with app.test_request_context("/"):
        legal = url_for("public.legal")
    plain = client.get("/connexion").get_data(as_text=True)
    mounted = client.get("/connexion", environ_overrides={"SCRIPT_NAME": "/plateforme"}).get_data(
        as_text=True
    )
    again = client.get("/connexion").get_data(as_text=True)
    css = f"/static/css/app.css?v={_version_of('css/app.css')}"
    for page, root in ((plain, ""), (mounted, "/plateforme"), (again, "")):
        assert f'href="{root}{css}"' in page
        assert f'href="{root}{legal}"' in page
    assert "/plateforme/" not in again


def test_links_with_arguments_are_built_for_each_call(app):
    build = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        assert build("needs.show", ref="besoin-1") == "/animateur/besoins/besoin-1"
        assert build("needs.show", ref="besoin-2") == "/animateur/besoins/besoin-2"
        assert build("static", filename="css/app.css") == (
            f"/static/css/app.css?v={_version_of('css/app.css')}"
        )
        assert build("static", filename="js/nav.js") == (
            f"/static/js/nav.js?v={_version_of('js/nav.js')}"
        )
        # A file that does not exist has no version: its link is as Flask builds it.
        assert build("static", filename="css/absent.css") == "/static/css/absent.css"
        assert build("needs.index", attente="animateur") == "/animateur/besoins?attente=animateur"
        assert build("needs.index") == "/animateur/besoins"


def test_a_static_file_asked_for_with_its_version_is_kept_a_year(client):
    page = client.get("/mentions-legales").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]{12})"', page)
    assert {path for path, _ in links} >= {"/static/css/app.css", "/static/js/nav.js"}
    for path, version in links:
        assert version == _version_of(path.removeprefix("/static/"))
        with client.get(f"{path}?v={version}") as kept:
            assert kept.status_code == 200
            assert kept.cache_control.max_age == STATIC_MAX_AGE_SECONDS == 365 * 24 * 3600
            assert kept.cache_control.public and kept.cache_control.immutable
            assert not kept.cache_control.no_cache
    # Without its version, or with an old one: checked again by the browser each time.
    for query in ("", "?v=000000000000"):
        with client.get(f"/static/css/app.css{query}") as checked:
            assert checked.status_code == 200
            assert checked.cache_control.max_age is None and checked.cache_control.no_cache


def test_a_changed_file_gets_a_new_version(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(links, "monotonic", lambda: clock[0])
    app = Flask(__name__, static_folder=str(tmp_path))
    app.extensions["connectences.static_versions"] = {}
    style = tmp_path / "style.css"
    style.write_text("body { color: black; }")
    first = static_version(app, "style.css")
    assert first == static_version(app, "style.css")
    style.write_text("body { color: navy; }")
    os.utime(style, ns=(style.stat().st_atime_ns, style.stat().st_mtime_ns + 1_000_000))
    # Trusted for a moment (no stat at each page), then read again.
    assert static_version(app, "style.css") == first
    clock[0] += links.STATIC_CHECK_SECONDS
    second = static_version(app, "style.css")
    assert second != first
    assert second == hashlib.sha256(b"body { color: navy; }").hexdigest()[:12]
    assert static_version(app, "absent.css") is None
    assert static_version(app, "../outside.css") is None
    assert static_version(app, ".") is None  # a folder
