"""Absolute links to the platform's pages, for mails and anything read away from it.

One builder, on the app's own routes: a link is named by its endpoint, so a route that
moves moves its links with it, and a link to a page that does not exist fails when the
mail is written (``werkzeug.routing.BuildError``), not when someone clicks it.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app


def external_url(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool = True,
    **values,
) -> str:
    """The absolute address of ``endpoint`` with ``values``, under the configured
    ``BASE_URL`` (scheme, host and path prefix people reach the platform at).

    Works the same inside a request and outside any (scheduler, command line): the
    host of the current request, if any, is not used, since mails must carry the
    public address whoever triggered them.

    The underscored arguments mean what they mean to Flask's ``url_for``, so that a
    call moved from one to the other keeps its link: ``_anchor`` is the part after
    ``#``, ``_scheme`` replaces the scheme of ``BASE_URL``, ``_method`` picks the rule
    of an endpoint with several. The link is always absolute: ``_external=False``
    is refused rather than ignored.
    """
    if not _external:
        raise ValueError("external_url always builds an absolute link: use url_for for a path.")
    app = current_app._get_current_object()
    base = urlsplit(app.config["BASE_URL"])
    adapter = app.url_map.bind(
        base.netloc or "localhost",
        script_name=base.path.rstrip("/") or "/",
        url_scheme=base.scheme or "http",
    )
    values = dict(values)
    app.inject_url_defaults(endpoint, values)
    url = adapter.build(endpoint, values, method=_method, url_scheme=_scheme, force_external=True)
    if _anchor is not None:
        # The same characters left as they are as Flask's url_for.
        url += "#" + quote(_anchor, safe="%!#$&'()*+,/:;=?@")
    return url
