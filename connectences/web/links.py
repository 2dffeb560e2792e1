"""Links that do not change between requests, built once per process.

Every page's layout links to the same static files and fixed pages (about thirty), and
each role's menu to the same pages: building each of them anew with the URL map was a
fixed cost of every request. Without arguments (or with a static file's name alone), a
link depends only on the app's routes and on the path the app is served under (the
script root), so it is kept per app under that key; links with other arguments are
built as usual.
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context
from flask.globals import request_ctx

_KEPT = "connectences.links"
# The templates name a few dozen such links; the bound only guards against a template
# that would pass arbitrary static file names.
MAX_KEPT = 2_000


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
    return url


def fixed_url(endpoint: str, **values) -> str:
    """``url_for`` of the current app, kept per process for links without arguments."""
    return _url(current_app._get_current_object(), endpoint, values)


def register_links(app: Flask) -> None:
    """Templates' ``url_for`` keeps the links without arguments (same result)."""
    app.extensions[_KEPT] = {}

    def url_for(endpoint: str, **values) -> str:
        return _url(app, endpoint, values)

    app.jinja_env.globals["url_for"] = url_for
