"""Absolute links to the platform's pages, for mails and anything read away from it.

One builder, on the app's own routes: a link is named by its endpoint, so a route that
moves moves its links with it, and a link to a page that does not exist fails when the
mail is written (``werkzeug.routing.BuildError``), not when someone clicks it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` with ``values``, under the configured
    ``BASE_URL`` (scheme, host and path prefix people reach the platform at).

    Works the same inside a request and outside any (scheduler, command line): the
    host of the current request, if any, is not used, since mails must carry the
    public address whoever triggered them.
    """
    app = current_app._get_current_object()
    base = urlsplit(app.config["BASE_URL"])
    adapter = app.url_map.bind(
        base.netloc or "localhost",
        script_name=base.path.rstrip("/") or "/",
        url_scheme=base.scheme or "http",
    )
    values = dict(values)
    app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)
