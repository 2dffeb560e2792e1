"""Links that do not change between requests, built once per process, and static files
linked by version.

Every page's layout links to the same static files and fixed pages (about thirty), and
each role's menu to the same pages: building each of them anew with the URL map was a
fixed cost of every request. Without arguments (or with a static file's name alone), a
link depends only on the app's routes and on the path the app is served under (the
script root), so it is kept per app under that key; links with other arguments are
built as usual.

A template's link to a static file carries the file's version (``?v=``, a digest of its
content, computed again when its size or time changes), and a request for the file with
its current version is answered with a year's ``max-age``: a phone reads the layout's
styles and scripts once instead of asking again at every page, and reads a file anew as
soon as it changes, since its address changes with it. Without the version, or with an
old one, a file is served as before, for the browser to check again each time. The
offline service worker keeps the files by path, whatever their version.
"""

from __future__ import annotations

import hashlib
import os
from time import monotonic

from flask import Flask, Response, current_app, has_request_context, request
from flask.globals import request_ctx
from werkzeug.security import safe_join

_KEPT = "connectences.links"
_VERSIONS = "connectences.static_versions"
STATIC_VERSION = "v"
STATIC_MAX_AGE_SECONDS = 365 * 24 * 3600
# The templates name a few dozen such links; the bound only guards against a template
# that would pass arbitrary static file names.
MAX_KEPT = 2_000
# How long a static file's version is trusted before its size and time are read again.
STATIC_CHECK_SECONDS = 2.0


def _url(app: Flask, endpoint: str, values: dict) -> str:
    if values and (endpoint != "static" or len(values) != 1 or "filename" not in values):
        return app.url_for(endpoint, **values)
    ctx = request_ctx._get_current_object() if has_request_context() else None
    if (
        ctx is None
        or endpoint.startswith(".")
        # The link would then also depend on the request's host, or on hooks.
        or app.url_map.host_matching
        or app.subdomain_matching
        or app.url_default_functions
    ):
        return app.url_for(endpoint, **values)
    kept = app.extensions[_KEPT]
    key = (endpoint, values.get("filename"), ctx.request.script_root)
    url = kept.get(key)
    if url is None:
        url = app.url_for(endpoint, **values)
        if len(kept) < MAX_KEPT:
            kept[key] = url
    if endpoint == "static":
        version = static_version(app, values["filename"])
        if version is not None:
            return f"{url}?{STATIC_VERSION}={version}"
    return url


def static_version(app: Flask, filename: str) -> str | None:
    """A digest of the static file's content (None when there is no such file), kept
    while the file keeps its size and modification time. The file is looked at again at
    most every ``STATIC_CHECK_SECONDS`` (a layout links six files: a ``stat`` of each at
    every page was 4 % of a page that shows nothing else)."""
    versions = app.extensions[_VERSIONS]
    now = monotonic()
    known = versions.get(filename)
    if known is not None and now - known[0] < STATIC_CHECK_SECONDS:
        return known[2]
    path = safe_join(app.static_folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    if known is not None and known[1] == stamp:
        versions[filename] = (now, stamp, known[2])
        return known[2]
    try:
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()[:12]
    except OSError:  # a folder, or a file gone since
        return None
    if len(versions) < MAX_KEPT:
        versions[filename] = (now, stamp, digest)
    return digest


def _keep_versioned_files(response: Response) -> Response:
    """A static file asked for with its current version: cacheable for a year."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    asked = request.args.get(STATIC_VERSION)
    filename = (request.view_args or {}).get("filename")
    if asked and filename and asked == static_version(current_app, filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE_SECONDS
        response.cache_control.immutable = True
    return response


def fixed_url(endpoint: str, **values) -> str:
    """``url_for`` of the current app, kept per process for links without arguments."""
    return _url(current_app._get_current_object(), endpoint, values)


def register_links(app: Flask) -> None:
    """Templates' ``url_for`` keeps the links without arguments (same result) and links
    static files by version; a versioned file is served to be kept."""
    app.extensions[_KEPT] = {}
    app.extensions[_VERSIONS] = {}
    app.after_request(_keep_versioned_files)

    def url_for(endpoint: str, **values) -> str:
        return _url(app, endpoint, values)

    app.jinja_env.globals["url_for"] = url_for
