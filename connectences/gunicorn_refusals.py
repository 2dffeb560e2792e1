"""What gunicorn refuses itself with a 4xx, as its worker decides it
(``gunicorn.workers.base.Worker.handle_error``): the platform's worker
(``gunicorn_worker``) answers those before the application starts, the application
(``web.errors``) those met while it reads a request's body. A module of its own: the
worker, imported by gunicorn's master, must not load the application."""

from __future__ import annotations

from ssl import SSLError

from gunicorn.http import errors

# What gunicorn refuses with a 4xx before the application reads the request (or reads
# its body) -> the status of the platform's page answering it; as
# ``gunicorn.workers.base.Worker.handle_error`` decides it.
STATUS_OF: dict[type[BaseException], int] = {
    errors.InvalidRequestLine: 400,
    errors.InvalidRequestMethod: 400,
    errors.InvalidHTTPVersion: 400,
    errors.InvalidHeader: 400,
    errors.InvalidHeaderName: 400,
    errors.ObsoleteFolding: 400,
    errors.InvalidSchemeHeaders: 400,
    errors.InvalidProxyLine: 400,
    errors.InvalidH2CPreface: 400,
    errors.InvalidChunkSize: 400,
    errors.ChunkMissingTerminator: 400,
    errors.InvalidChunkExtension: 400,
    errors.ForbiddenProxyRequest: 403,
    SSLError: 403,
    errors.LimitRequestLine: 414,
    errors.ExpectationFailed: 417,
    errors.LimitRequestHeaders: 431,
}

# Subclasses of InvalidHeader(Name) gunicorn answers with a 500: the application's fault.
APPLICATION_FAULTS = (errors.InvalidResponseHeader, errors.InvalidResponseHeaderName)


def refusal_status(exc: BaseException) -> int | None:
    """The 4xx status gunicorn answers ``exc`` with, None for what is not a client's."""
    if isinstance(exc, APPLICATION_FAULTS):
        return None
    return next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), None)
