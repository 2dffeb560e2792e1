"""One page-number reader and one pagination for every paged list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Operator
from connectences.web.paging import MAX_PAGE, page_number, paginate


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
