"""Absolute links to the platform's pages, for mails and anything read away from it,
and which record refs the platform's addresses can carry.

One builder, on the app's own routes: a link is named by its endpoint, so a route that
moves moves its links with it, and a link to a page that does not exist fails when the
mail is written (``werkzeug.routing.BuildError``), not when someone clicks it.

A record's ``ref`` is chosen by whoever sends it in an interchange document, and the
spec lets it be any string: ``FT/2027/0012`` from France Travail, ``a?b``, ``50%``.
Every route naming such a record takes its ref with one of ``REF_CONVERTERS`` (a path
converter: "/" included, each character escaped by ``url_for``), so these refs have
pages and API routes. A few refs no address can carry remain, and
``ref_address_problem`` names them for the import to refuse: see there.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, quote, unquote, urlsplit

from flask import Flask, current_app
from werkzeug.exceptions import HTTPException


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


def split_url(text: str) -> SplitResult | None:
    """The parts of an address received from outside (a form field, a Referer or Origin
    header), or None when it is none: ``urlsplit`` raises ``ValueError`` on a malformed
    bracketed host ("http://[abc"), which must not become a server error."""
    try:
        return urlsplit(text)
    except ValueError:
        return None


# The URL converter of each collection of the interchange (the name used in the routes,
# ``<need_ref:ref>``): ``web.refs`` registers them, ``ref_address_problem`` finds by
# them which routes name a record of the collection.
REF_CONVERTERS = {
    "operators": "operator_ref",
    "partners": "partner_ref",
    "companies": "company_ref",
    "candidates": "candidate_ref",
    "needs": "need_ref",
}
_RULES = "connectences.ref_rules"
# Methods whose rules say nothing of their own (Werkzeug adds them to GET and to all).
_IMPLIED_METHODS = {"HEAD", "OPTIONS"}


def _ref_rules(app: Flask, collection: str) -> list:
    """The rules whose ``ref`` is a record of ``collection``, looked up once per app."""
    kept = app.extensions.setdefault(_RULES, {})
    if collection not in kept:
        taking = re.compile(rf"<{REF_CONVERTERS[collection]}(?:\(.*?\))?:ref>")
        kept[collection] = [r for r in app.url_map.iter_rules() if taking.search(r.rule)]
    return kept[collection]


def ref_address_problem(collection: str, ref: str) -> str | None:
    """Why no address of the platform can carry ``ref`` as a record of ``collection``
    (a French phrase completing "cette référence ..."), or None when each of its pages
    and API routes reaches it.

    Refused, since no escaping helps:
    - an empty segment (a ref starting or ending with "/", or holding "//"): routers,
      proxies and the app merge or strip such slashes before the route is read;
    - a segment "." or "..": browsers and HTTP clients resolve them, "%2E" included,
      before the request is sent (RFC 3986 section 5.2.4, the WHATWG URL standard);
    - a ref whose address is another route's: the record's page ``…/x/matches`` of the
      need "x/matches" is the matches of the need "x", and ``…/nouveau`` the form of a
      new one. Found by building each of the record's addresses and reading it back
      through the app's own URL map, so a route added later is taken into account.
    """
    app = current_app._get_current_object()
    if (
        _PLAIN.fullmatch(ref)
        and not _may_be_a_route_word(app, ref)
        and _plain_answer(app, collection) is None
    ):
        # Each ref of this shape reads through the URL map as any other of its shape:
        # checked once per collection (0.25 ms a ref, 25 s for 100,000 people).
        return None
    return _address_problem(app, collection, ref)


# A ref of letters, digits, "-" and "_", not only digits (an ``int`` segment takes those).
_PLAIN = re.compile(r"[A-Za-z0-9_-]*[A-Za-z_-][A-Za-z0-9_-]*")
_WORDS = "connectences.route_words"
_PLAIN_ANSWERS = "connectences.plain_ref_answers"


def app_route_words(app: Flask) -> tuple[frozenset, tuple[str, ...]]:
    """The fixed segments of the app's routes (``nouveau``, ``export.csv``) and the text
    that starts a segment mixing text and a value (``rapport-`` of ``rapport-<month>``)."""
    words = app.extensions.get(_WORDS)
    if words is None:
        literals, prefixes = set(), set()
        for rule in app.url_map.iter_rules():
            for segment in rule.rule.split("/"):
                if "<" not in segment:
                    literals.add(segment)
                elif segment.index("<"):
                    prefixes.add(segment[: segment.index("<")])
        words = app.extensions[_WORDS] = (frozenset(literals), tuple(sorted(prefixes)))
    return words


def _may_be_a_route_word(app: Flask, ref: str) -> bool:
    literals, prefixes = app_route_words(app)
    return ref in literals or ref.startswith(prefixes)


def _plain_answer(app: Flask, collection: str) -> str | None:
    answers = app.extensions.setdefault(_PLAIN_ANSWERS, {})
    if collection not in answers:
        answers[collection] = _address_problem(app, collection, "zz-plain-ref")
    return answers[collection]


def _address_problem(app: Flask, collection: str, ref: str) -> str | None:
    segments = ref.split("/")
    if "" in segments:
        return (
            "ne peut ni commencer ni finir par « / », ni en contenir deux à la suite : "
            "les adresses du web fusionnent ces barres obliques"
        )
    if any(segment in (".", "..") for segment in segments):
        return (
            "ne peut pas contenir « . » ou « .. » entre deux « / » : les navigateurs "
            "les retirent des adresses"
        )
    adapter = app.url_map.bind("localhost")
    for rule in _ref_rules(app, collection):
        values = {name: 1 for name in rule.arguments} | {"ref": ref}
        for method in sorted((rule.methods or {"GET"}) - _IMPLIED_METHODS):
            path = adapter.build(rule.endpoint, values, method=method)
            try:
                endpoint, found = adapter.match(unquote(path), method=method)
            except HTTPException:  # no route, another method only, or a redirect
                endpoint, found = None, {}
            if endpoint != rule.endpoint or found.get("ref") != ref:
                return (
                    f"ne peut pas servir dans les adresses de la plateforme : {path} "
                    "y désigne une autre page"
                )
    return None
