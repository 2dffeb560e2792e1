"""Security headers on every response, proxy awareness and safe redirects.

The headers are set in an ``after_request`` hook, which Flask also runs for
error pages (including the 500 page) and for file downloads, so no response
leaves without them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from connectences import config
from connectences.text import without_controls
from connectences.urls import split_url

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def apply_security_headers(response: Response) -> Response:
    """Set the security headers (also on errors and downloads)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    # Behind TLS (directly, or a proxy saying so in X-Forwarded-Proto) and in production.
    if request.is_secure or current_app.config.get("CONNECTENCES_ENV") == "production":
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Pages shown to a logged-in person hold personal data: never cache them.
    if request.endpoint != "static" and current_user and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def is_safe_next(target: str | None) -> bool:
    """True for a local path (no scheme, no host), so a login cannot redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def local_referrer() -> str | None:
    """The page of this site the request came from (its path and query, read in the
    Referer the browser sent), when it names one that is a safe local target; else None."""
    parts = split_url(request.referrer or "")
    if parts is None or (parts.netloc and parts.netloc != request.host):
        return None
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    return page if is_safe_next(page) else None


# Session key holding ``account_binding`` of the logged-in user (see ``load_user``).
ACCOUNT_KEY = "_account"
# Session key holding the token of the server-side login session (accounts/sessions.py).
SESSION_KEY = "_sid"


def nul_in_address() -> bool:
    """Whether the path, the query string or a sent file's name holds a NUL: a probe or
    a broken link, never typed into a page's form.

    No text of the platform ever holds one, and PostgreSQL refuses them in text
    columns and parameters: without this check, one typed into any field (the login
    form, the public forms) ended in a server error instead of a refusal.
    """
    if "\x00" in request.path:
        return True
    # A NUL reaches the parsed parameters only from "%00" or a raw NUL byte (invalid
    # escapes stay percent-encoded): without either, the query string is not parsed
    # here, for the many pages that never read it.
    query = request.query_string
    if (b"%00" in query or b"\x00" in query) and any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        return True
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    return any("\x00" in (storage.filename or "") for storage in request.files.values())


def nul_form_fields() -> list[str]:
    """The names of the sent form fields holding a NUL (in their name or their value), in
    the order sent; none for a request that sends no form."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return []
    return [
        key
        for key, values in request.form.lists()
        if "\x00" in key or any("\x00" in value for value in values)
    ]


def form_without_nul() -> None:
    """Replace this request's form fields by the same without any NUL (a field whose name
    holds one is left out): what is shown again to the person, never stored as such."""
    request.form = TextParameters(
        [
            (key, value.replace("\x00", ""))
            for key, value in request.form.items(multi=True)
            if "\x00" not in key
        ]
    )


class NulInForm(BadRequest):
    """A form sent from a page whose fields hold a NUL (``errors`` shows it again)."""

    def __init__(self, fields: list[str]):
        super().__init__()
        self.fields = fields


class TextParameters(ImmutableMultiDict):
    """A request's query or form parameters, their text without control characters but
    tab, newline, carriage return and NUL (``text.without_controls``; a NUL is refused
    by ``_refuse_nul_bytes``). Every page reads its fields from these: a backspace or a
    terminal escape pasted into a form is not stored, where it made the XLSX exports
    fail."""

    def __init__(self, mapping=None):
        if mapping is not None:
            mapping = [
                (key, without_controls(value) if isinstance(value, str) else value)
                for key, value in iter_multi_items(mapping)
            ]
        super().__init__(mapping)


class Request(FlaskRequest):
    parameter_storage_class = TextParameters


def _refuse_nul_bytes() -> None:
    # In the address: a plain refusal. In a form's fields (pasted from a broken file):
    # the form shown again without it, nothing stored (``errors``).
    if nul_in_address():
        abort(400)
    if fields := nul_form_fields():
        raise NulInForm(fields)


def address_bytes(environ) -> int:
    """The length of the address a request asks for, as the application reads it: its
    path (percent-escapes decoded, as WSGI hands it over) and its query string."""
    query = environ.get("QUERY_STRING", "")
    return (
        len(environ.get("SCRIPT_NAME", ""))
        + len(environ.get("PATH_INFO", ""))
        + (len(query) + 1 if query else 0)
    )


def _refuse_long_addresses() -> None:
    # Refused before anything reads the address (login redirect with ``next``, routing
    # arguments, filters): a French 414 page, or a problem under /api/v1/. gunicorn lets
    # addresses up to its own limit through to here (gunicorn_conf.limit_request_line).
    if address_bytes(request.environ) > config.integer("MAX_URL_BYTES"):
        abort(414)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a body nested too deeply read as invalid JSON (a ValueError,
    which ``get_json`` turns into a refusal) instead of a RecursionError (a 500)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def register_security(app: Flask) -> None:
    # Behind a reverse proxy the client address is in X-Forwarded-For; the login
    # throttle per address needs it. TRUSTED_PROXIES says how many proxies to trust.
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.json = BoundedJSONProvider(app)
    app.request_class = Request
    app.after_request(apply_security_headers)
    # First of the app's hooks: before the login check, which would redirect an anonymous
    # visitor to a login page whose ``next`` carries the long address again.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_long_addresses)
    app.before_request(_refuse_nul_bytes)
