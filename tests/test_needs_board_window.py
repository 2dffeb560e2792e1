"""The needs board reads a page from each state's first needs (``board_query`` with a
window) rather than sorting the whole queue: the same rows in the same order, for every
page and filter, ties on the date included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Company
from connectences.needs import board
from tests import factories as f

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
STATES = list(board.STATE_ORDER)


@pytest.fixture
def queue():
    f.load(f.document(companies=[f.company(ref="fenetre", name="Menuiserie du Port")]))
    company = db.session.scalar(select(Company).where(Company.ref == "fenetre"))
    for i in range(40):
        db.session.add(
            f.need_row(
                company,
                ref=f"fenetre-{i}",
                title=f"Besoin {i}",
                status=STATES[(i * 3) % len(STATES)],
                # Several needs share a date: the id orders them.
                created_at=NOW - timedelta(days=i // 3),
                # A few wait for their owner's confirmation: out of the queue.
                source="entreprise" if i % 7 == 0 else "animateur",
            )
        )
    db.session.commit()


def _refs(query) -> list[str]:
    """The needs' refs of a query of entities (the whole board) or of rows (a window)."""
    rows = db.session.execute(query).unique().all()
    return [row[0].ref if len(row) == 1 else row.ref for row in rows]


@pytest.mark.parametrize(
    "filters",
    [
        board.BoardFilters(),
        board.BoardFilters(status="qualifie"),
        board.BoardFilters(waiting="animateur"),
        board.BoardFilters(waiting="recherche"),
        board.BoardFilters(waiting="entreprise"),
        board.BoardFilters(status="pourvu", waiting="animateur"),
        board.BoardFilters(text="besoin 1"),
        board.BoardFilters(age="7_30"),
    ],
    ids=lambda filters: repr(filters.as_args()),
)
def test_a_windowed_page_has_the_rows_of_the_sorted_queue(queue, filters):
    whole = _refs(board.board_query(filters, now=NOW))
    if filters == board.BoardFilters():
        assert len(whole) == 34 and len({ref for ref in whole}) == 34
    for per_page in (1, 4, 15):
        for offset in range(0, len(whole) + per_page, per_page):
            window = board.board_query(filters, now=NOW, window=offset + per_page)
            page = _refs(window.limit(per_page).offset(offset))
            assert page == whole[offset : offset + per_page], (per_page, offset)


def test_the_board_pages_through_state_boundaries(queue, client, auth):
    auth.login("animateur")
    seen = []
    for page in (1, 2, 3):
        html = client.get(f"/animateur/besoins?page={page}").get_data(as_text=True)
        seen += [ref for ref in (f"fenetre-{i}" for i in range(40)) if f'/{ref}"' in html]
    whole = _refs(board.board_query(board.BoardFilters(), now=NOW))
    assert sorted(seen) == sorted(whole)
