"""A worker is warm before it takes traffic: taxonomy, concepts, territory and the
candidate index are built by gunicorn's post_worker_init hook, not by a first user."""

from __future__ import annotations

import gc
import importlib

from connectences.bench import hello
from connectences.extensions import db
from connectences.matching import matches
from tests import factories


def _index_built() -> bool:
    return str(db.engine.url) in matches._states


def test_warm_up_builds_the_candidate_index_with_the_stored_people(app):
    factories.load(factories.document(candidates=[factories.candidate() for _ in range(3)]))
    matches.forget_indexes()
    assert not _index_built()

    timings = importlib.import_module("connectences.warmup").warm_up(app)

    assert set(timings) == {
        "taxonomy",
        "concepts",
        "territory",
        "candidate_index",
        "pooled_bundles",
    }
    assert all(seconds >= 0 for seconds in timings.values())
    assert _index_built()
    assert len(matches._states[str(db.engine.url)].index) == 3


def test_warm_up_pools_the_open_needs_before_the_first_visitor(app, monkeypatch):
    from connectences.matching import open_bundles

    factories.load(
        factories.document(
            companies=[factories.company(ref="c1"), factories.company(ref="c2")],
            needs=[
                factories.need(ref="n1", company="c1", days=["tue"]),
                factories.need(ref="n2", company="c2", days=["thu"], hours_per_week=14),
            ],
        )
    )
    importlib.import_module("connectences.warmup").warm_up(app)
    calls = []
    monkeypatch.setattr(open_bundles, "pool", lambda *a, **k: calls.append(1))
    assert [b.needs for b in open_bundles.open_need_bundles(db.session).bundles] == [("n1", "n2")]
    assert calls == []


class FakeWorker:
    def __init__(self, wsgi):
        self.wsgi = wsgi
        self.pid = 4242


def test_gunicorn_hook_warms_the_platform_worker(app):
    from connectences import gunicorn_conf

    matches.forget_indexes()
    try:
        gunicorn_conf.post_worker_init(FakeWorker(app))
        assert _index_built()
        # What it built is out of the collector's sight (see gunicorn_conf).
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_gunicorn_hook_leaves_another_wsgi_app_alone(app):
    from connectences import gunicorn_conf

    matches.forget_indexes()
    gunicorn_conf.post_worker_init(FakeWorker(hello.app))  # bench's bare hello: no database
    assert not _index_built()


def test_bin_run_and_readme_use_the_gunicorn_settings():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    assert "python:connectences.gunicorn_conf" in (root / "bin" / "run").read_text()
    assert "python:connectences.gunicorn_conf" in (root / "README.md").read_text()
