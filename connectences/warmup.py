"""Load, before a web worker takes traffic, what its first request would pay for.

A worker starts cold: the ROME taxonomy, the skill concepts, the territory's
reference data and the in-process candidate index (``matching.matches``, several
seconds at 100,000 candidates) are built on first use, and so are the bundles of the
open part-time needs (``matching.open_bundles``, seconds on a region's data, then kept
until the data changes). ``warm_up`` builds them at
start-up instead; gunicorn calls it in each worker before the worker accepts a
connection (``connectences.gunicorn_conf.post_worker_init``).
"""

from __future__ import annotations

import time

from flask import Flask

from connectences import territory
from connectences.extensions import db
from connectences.matching.matches import candidate_index
from connectences.matching.open_bundles import open_need_bundles
from connectences.skills import taxonomy
from connectences.skills.concepts import concept_index


def warm_up(app: Flask) -> dict[str, float]:
    """Build the process-wide caches of ``app``; return the seconds each one took."""

    timings: dict[str, float] = {}

    def timed(name: str, work) -> None:
        started = time.perf_counter()
        work()
        timings[name] = round(time.perf_counter() - started, 3)

    timed("taxonomy", taxonomy)
    timed("concepts", concept_index)
    # Reading a commune loads the reference and the resolver's index of names.
    timed("territory", lambda: territory.read_commune("Arcachon"))
    with app.app_context():
        try:
            timed("candidate_index", lambda: candidate_index(db.session))
            timed("pooled_bundles", lambda: open_need_bundles(db.session))
        finally:
            db.session.remove()
    return timings
