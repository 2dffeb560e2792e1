"""gunicorn's worker of the platform: its refusals of a request it cannot read in French.

gunicorn refuses itself, before the application sees anything, a request it cannot read:
a request line past ``limit_request_line`` (414), a header past
``limit_request_field_size`` or too many headers (431), a malformed request line, method,
HTTP version, header name or header (400), an ``Expect`` it cannot meet (417), a PROXY
line or forwarded headers it does not trust (400, 403)... It answers them with a
hard-coded English page (``gunicorn.util.write_error``) and no setting to change it
(benoitc/gunicorn#993). This worker answers every such refusal of gunicorn's with a 4xx
status (``gunicorn_refusals``, checked against the installed gunicorn by the tests) with the
platform's own French error page instead, same status, rendered by the application it
serves (same layout, same security headers), the connection closed, logged as gunicorn
logs it. It leaves the rest to gunicorn: its 5xx (an application error, a header the
application sent that is invalid...), logged as gunicorn logs them. A body gunicorn
cannot read (a broken chunked encoding) is refused while the application reads it: the
application answers that one, with the same status (``web.errors``). The bounds stay:
lifting them (``limit_request_line = 0``) would let a client make a worker buffer a
request line of any size.

Imported by the gunicorn master (``gunicorn_conf.worker_class``): nothing of the
application is loaded here; the pages are rendered in the worker, on first need.
"""

from __future__ import annotations

import time
from datetime import timedelta

from gunicorn import util
from gunicorn.http import errors
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.sync import SyncWorker

from connectences.gunicorn_refusals import refusal_status

# The page's text where the status's usual one would mislead: a 403 here is the server
# not trusting the connection (a proxy not allowed, a broken TLS exchange), not an account.
MESSAGE_OF = {
    403: "Le serveur n'accepte pas cette connexion. Réessayez plus tard ou repartez de "
    "l'accueil ; si cela se reproduit, contactez l'administrateur de la plateforme."
}


def french_error_response(app, status: int, message: str | None = None) -> bytes:
    """The whole HTTP response (status line, headers, body) of the application's error
    page for ``status`` (``message`` in place of its usual text), as a browser asking for
    "/" would get it; the connection closes."""
    # Imported here: the master process imports this module and must not load the app.
    from connectences.web.errors import render_error

    with app.test_request_context("/"):
        response = app.process_response(app.make_response(render_error(status, message)))
        body = response.get_data()
        response.headers["Content-Length"] = str(len(body))
        response.headers["Connection"] = "close"
        head = [f"HTTP/1.1 {response.status}"]
        head += [f"{name}: {value}" for name, value in response.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class FrenchErrorsWorker(SyncWorker):
    """gunicorn's sync worker, answering what gunicorn refuses with a 4xx with the
    platform's French page (``gunicorn_refusals``)."""

    _pages: dict[int, bytes]

    def handle_error(self, req, client, addr, exc):
        status = refusal_status(exc)
        page = self._page(status) if status is not None else None
        if page is None:  # a 5xx, or an application that cannot render one
            return super().handle_error(req, client, addr, exc)
        # As gunicorn logs it: a warning, and an access line when a request was read.
        started = time.monotonic()
        addr = addr or ("", -1)  # a unix socket
        self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
        if req is None and isinstance(exc, (errors.InvalidHeader, errors.InvalidHeaderName)):
            req = getattr(exc, "req", None)  # the request whose header is refused
        if req is not None:
            environ = default_environ(req, client, self.cfg)
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
            response = Response(req, client, self.cfg)
            response.status = page.split(b"\r\n", 1)[0].split(b" ", 1)[1].decode("latin-1")
            response.response_length = len(page)
            self.log.access(response, req, environ, timedelta(seconds=time.monotonic() - started))
        try:
            util.write_nonblock(client, page)
        except Exception:
            self.log.debug("Failed to send error message.")
        return None

    def _page(self, status: int) -> bytes | None:
        pages = self.__dict__.setdefault("_pages", {})
        if status not in pages:
            app = self.wsgi
            if "sqlalchemy" not in getattr(app, "extensions", {}):
                return None  # another WSGI app (bench's bare "hello"): gunicorn's page
            try:
                pages[status] = french_error_response(app, status, MESSAGE_OF.get(status))
            except Exception:
                self.log.exception("French error page %s failed", status)
                return None
        return pages[status]
