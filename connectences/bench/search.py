"""`flask --app connectences bench search`: speed of the CV library search.

Builds N synthetic candidates (``bench.synth.Generator``, written by
``bench.matching.write_candidates``) in a throw-away SQLite database, then times
``search_candidates`` for each query shape the animateurs' page produces and prints
one JSON line per shape: ``{"metric": "search_<shape>_ms", "value": <median ms>,
"unit": "ms", ...}``. Each measured call is a whole page: count and rows.
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click

from connectences import create_app
from connectences.accounts import create_user
from connectences.bench import emit
from connectences.bench.matching import write_candidates
from connectences.bench.synth import Generator
from connectences.cvtheque.search import search_candidates
from connectences.extensions import db

SOURCES = ("forum", "job dating", "permanence France Travail", "réseaux sociaux", None)

DEEP = -1  # page number meaning "four fifths of the way through the results"

# (shape, filters, sort, page): what the search page sends, from light to heavy.
SHAPES: list[tuple[str, dict, str, int]] = [
    ("text", {"text": "comptabilité"}, "relevance", 1),
    ("text_typo", {"text": "comptabilté"}, "relevance", 1),
    ("text_abbrev", {"text": "compta"}, "relevance", 1),
    ("text_free_skill", {"text": "anglais"}, "relevance", 1),
    ("text_radius", {"text": "aide a domicile", "near": "33009", "radius_km": 15}, "relevance", 1),
    (
        "epci_level_hours",
        {"epci": "243300563", "level": "employe_qualifie", "hours_min": 10, "hours_max": 20},
        "recent",
        1,
    ),
    ("days_contract", {"days": ("mon", "tue"), "contract": "cdi"}, "recent", 1),
    (
        "status_confirmed_available",
        {"statuses": ("disponible",), "confirmed": True, "available_by": date(2027, 3, 1)},
        "recent",
        1,
    ),
    ("rome_source", {"rome": "K1302", "source": "forum"}, "recent", 1),
    ("no_filter_recent", {}, "recent", 1),
    ("deep_page", {}, "recent", DEEP),
    ("text_deep_page", {"text": "comptabilité"}, "relevance", DEEP),
]


# (shape, query string): the whole search page over HTTP, as an animateur gets it
# (login, filters parsed, search, template rendered), through the Flask test client.
PAGES: list[tuple[str, dict]] = [
    ("page_text", {"q": "comptabilité"}),
    ("page_text_radius", {"q": "aide a domicile", "autour": "33009", "rayon": "15"}),
    ("page_filters", {"intercommunalite": "243300563", "niveau": "employe_qualifie"}),
    ("page_no_filter", {"tri": "recent"}),
]


def _time_pages(app, repeats: int, size: int, records: list[dict]) -> None:
    """Time the search page itself (target: 300 ms at 100,000 CVs)."""

    password = secrets.token_urlsafe(16)  # a throw-away account of a throw-away database
    create_user(db.session, "bench@connectences.example", "animateur", password=password)
    db.session.commit()
    client = app.test_client()
    response = client.post(
        "/connexion", data={"email": "bench@connectences.example", "password": password}
    )
    if response.status_code != 302:
        raise click.ClickException("Connexion impossible pour la mesure de la page.")
    for shape, query in PAGES:
        client.get("/animateur/cvtheque", query_string=query)  # warm
        times = []
        for _ in range(repeats):
            begin = time.perf_counter()
            response = client.get("/animateur/cvtheque", query_string=query)
            times.append((time.perf_counter() - begin) * 1000)
            if response.status_code != 200:
                raise click.ClickException(f"La page a répondu {response.status_code}.")
        record = {
            "metric": f"search_{shape}_ms",
            "value": round(statistics.median(times), 2),
            "unit": "ms",
            "candidates": size,
            "repeats": repeats,
            "target": 300,
            "database": "sqlite",
        }
        records.append(record)
        emit(record)


def _extra(base: datetime):
    def extra(i: int, _c) -> dict:
        # Deterministic spread: sources, two years of updates, 1 in 10 not confirmed.
        return {
            "source": SOURCES[i % len(SOURCES)],
            "updated_at": base - timedelta(minutes=(i * 7919) % (2 * 365 * 24 * 60)),
            "email_confirmed_at": None if i % 10 == 0 else base,
            "consent_at": base,
        }

    return extra


def run_search(size: int = 100_000, repeats: int = 9, seed: int = 7) -> list[dict]:
    """Build ``size`` candidates in a throw-away database and time each query shape."""

    records: list[dict] = []
    people = Generator(seed=seed).candidates(size)
    base = datetime(2027, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        uri = "sqlite:///" + str(Path(tmp) / "bench-search.sqlite3")
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench-only", "WTF_CSRF_ENABLED": False}
        )
        with app.app_context():
            db.create_all()
            start = time.perf_counter()
            write_candidates(db.session, people, base, extra=_extra(base))
            db.session.commit()
            db.session.execute(db.text("ANALYZE"))
            build_ms = (time.perf_counter() - start) * 1000
            record = {
                "metric": "search_build_ms",
                "value": round(build_ms, 1),
                "unit": "ms",
                "candidates": size,
            }
            records.append(record)
            emit(record)
            for shape, filters, sort, page in SHAPES:
                session = db.session
                result = search_candidates(session, filters, sort=sort)  # warm
                if page == DEEP:
                    page = max(1, result.pages * 4 // 5)
                times = []
                for _ in range(repeats):
                    session.expunge_all()  # every run loads its rows, as a request does
                    begin = time.perf_counter()
                    result = search_candidates(session, filters, sort=sort, page=page)
                    times.append((time.perf_counter() - begin) * 1000)
                record = {
                    "metric": f"search_{shape}_ms",
                    "value": round(statistics.median(times), 2),
                    "unit": "ms",
                    "candidates": size,
                    "total": result.total,
                    "rows": len(result.items),
                    "repeats": repeats,
                    "target": 300,
                    "database": "sqlite",
                }
                records.append(record)
                emit(record)
            _time_pages(app, repeats, size, records)
            db.session.remove()
            db.engine.dispose()
    return records
