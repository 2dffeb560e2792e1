"""gunicorn's worker of the platform: its refusals of a request it cannot read in French.

gunicorn answers a request line past ``limit_request_line`` (414) and a header past
``limit_request_field_size`` or too many headers (431) itself, before the application
sees anything, with a hard-coded English page (``gunicorn.util.write_error``) and no
setting to change it (benoitc/gunicorn#993). This worker answers those two with the
platform's own French error page instead, rendered by the application it serves (same
layout, same security headers), and leaves every other case to gunicorn. The bounds stay:
lifting them (``limit_request_line = 0``) would let a client make a worker buffer a
request line of any size.

Imported by the gunicorn master (``gunicorn_conf.worker_class``): nothing of the
application is loaded here; the pages are rendered in the worker, on first need.
"""

from __future__ import annotations

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.sync import SyncWorker

# What gunicorn refuses before the application reads the request -> the status of the
# platform's page answering it.
STATUS_OF = {LimitRequestLine: 414, LimitRequestHeaders: 431}


def french_error_response(app, status: int) -> bytes:
    """The whole HTTP response (status line, headers, body) of the application's error
    page for ``status``, as a browser asking for "/" would get it; the connection closes."""
    # Imported here: the master process imports this module and must not load the app.
    from connectences.web.errors import render_error

    with app.test_request_context("/"):
        response = app.process_response(app.make_response(render_error(status)))
        body = response.get_data()
        response.headers["Content-Length"] = str(len(body))
        response.headers["Connection"] = "close"
        head = [f"HTTP/1.1 {response.status}"]
        head += [f"{name}: {value}" for name, value in response.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class FrenchErrorsWorker(SyncWorker):
    """gunicorn's sync worker, answering a request line or headers too long with the
    platform's French page (``STATUS_OF``)."""

    _pages: dict[int, bytes]

    def handle_error(self, req, client, addr, exc):
        status = next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), None)
        page = self._page(status) if status is not None else None
        if page is None:  # anything else, or an application that cannot render one
            return super().handle_error(req, client, addr, exc)
        # As gunicorn logs it; no access line: no request was read.
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
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
                pages[status] = french_error_response(app, status)
            except Exception:
                self.log.exception("French error page %s failed", status)
                return None
        return pages[status]
