"""One page-number reader and one pagination for every paged list."""

from __future__ import annotations

import gc
import weakref

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Operator
from connectences.web import paging
from connectences.web.paging import MAX_PAGE, page_number, paginate, paginate_window
from tests.helpers import recorded_statements


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", 1),
        ("?page=3", 3),
        ("?page=abc", 1),
        ("?page=-4", 1),
        ("?page=0", 1),
        ("?page=99999999", MAX_PAGE),
    ],
)
def test_the_page_number_is_read_one_way(app, query, expected):
    with app.test_request_context(f"/animateur/besoins{query}"):
        assert page_number() == expected


def test_a_page_past_the_end_shows_the_last_page(app):
    for i in range(5):
        db.session.add(Operator(ref=f"op-{i}", name=f"Op {i}", kind="geiq", email=f"o{i}@x.fr"))
    db.session.commit()
    query = select(Operator).order_by(Operator.ref)
    with app.test_request_context("/?page=40"):
        pagination = paginate(query, per_page=2)
    assert (pagination.page, pagination.pages, pagination.total) == (3, 3, 5)
    assert [o.ref for o in pagination.items] == ["op-4"]


def test_columns_are_paged_as_rows_and_a_known_total_spares_the_count(app):
    for i in range(5):
        db.session.add(Operator(ref=f"op-{i}", name=f"Op {i}", kind="geiq", email=f"o{i}@x.fr"))
    db.session.commit()
    query = select(Operator.ref, Operator.name).order_by(Operator.ref)
    with app.test_request_context("/?page=2"), recorded_statements() as statements:
        pagination = paginate(query, per_page=2, total=5)
    assert [(row.ref, row.name) for row in pagination.items] == [("op-2", "Op 2"), ("op-3", "Op 3")]
    assert (pagination.page, pagination.pages, pagination.total) == (2, 3, 5)
    assert len(statements) == 1  # the page's rows; no count
    with app.test_request_context("/?page=9"):
        last = paginate(query, per_page=2, total=5)
    assert (last.page, [row.ref for row in last.items]) == (3, ["op-4"])


def test_a_statement_kept_by_its_owner_is_paged_and_counted_by_the_same_statements(app):
    """The board's window query is built once per filters; its pages are too, so that
    SQLAlchemy computes their cache key once (a tenth of the board's time otherwise)."""
    for i in range(5):
        db.session.add(Operator(ref=f"op-{i}", name=f"Op {i}", kind="geiq", email=f"o{i}@x.fr"))
    db.session.commit()
    window = select(Operator).order_by(Operator.ref)
    seen = []
    for _ in range(2):
        with app.test_request_context("/?page=2"):
            pagination = paginate_window(lambda rows: window, per_page=2, total=5)
            assert [o.ref for o in pagination.items] == ["op-2", "op-3"]
        seen.append(paging.paged(window, 2, 2))
    assert seen[0] is seen[1]
    assert paging.paged(window, 2, 4) is not seen[0]
    # Another statement never gets this one's page, nor its count.
    other = select(Operator).order_by(Operator.name)
    assert paging.paged(other, 2, 2) is not seen[0]
    assert paging.counted(window) is paging.counted(window)
    assert paging.counted(other) is not paging.counted(window)
    # What is kept for a statement does not keep it alive: it goes with its request.
    gone = weakref.ref(other)
    del other
    gc.collect()
    assert gone() is None
