"""gunicorn settings of the platform: `gunicorn -c python:connectences.gunicorn_conf ...`.

Used by ``bin/run``, the README's production section and ``bench load``. Settings given
on the command line (``--bind``, ``--workers``) take precedence over these defaults.
"""

from __future__ import annotations

import gc
import logging
import os

from flask import Flask

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# The first candidate index of a worker is built before it accepts connections
# (post_worker_init), which takes seconds at 100,000 candidates: leave it time.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# The request line (method, address, HTTP version) gunicorn reads, at its maximum (8190
# bytes; gunicorn's default is 4094). The application refuses addresses longer than its
# own MAX_URL_BYTES (4096) with its French 414 page; this margin lets those requests reach
# it. Past 8190 bytes, and for a header past limit_request_field_size (8190, gunicorn's
# default and ceiling) or more than limit_request_fields (100), gunicorn refuses the
# request before the application reads it: the worker class answers those refusals, and
# every other 4xx of gunicorn's (a malformed request line or header: 400), with the
# platform's French page instead of gunicorn's English one. The bounds stay
# (0, "unlimited", would let a client make a worker buffer a request line of any size).
# Behind nginx, its own limit (large_client_header_buffers, 8 KB by default) answers
# first, in English: see the README's production section.
limit_request_line = 8190
worker_class = "connectences.gunicorn_worker.FrenchErrorsWorker"


def post_worker_init(worker) -> None:
    """Warm the worker (taxonomy, concepts, territory, candidate index) before it serves."""
    # Imported in the worker: the gunicorn master reads this file and must not load the app.
    from connectences.warmup import warm_up

    app = worker.wsgi
    if not isinstance(app, Flask) or "sqlalchemy" not in app.extensions:
        return  # another WSGI app (bench's bare "hello"): nothing to warm
    timings = warm_up(app)
    # What warming built lives as long as the worker (hundreds of thousands of objects for
    # the candidate index): moved out of the collector's sight, each full collection no
    # longer walks them again (about 250 ms per pass at 100,000 candidates).
    gc.collect()
    gc.freeze()
    logging.getLogger("gunicorn.error").info("worker %s warm: %s", worker.pid, timings)
