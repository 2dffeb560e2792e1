"""The animateurs' queue is read from partial indexes that hold its needs only: the
needs posted by companies and never confirmed (a flood from the public form) are not
walked through to find the newest needs of the home and the board. The latest visits
come in their order from an index too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Company, Need
from connectences.models.needs import IN_QUEUE
from connectences.needs import board, register
from connectences.needs.listed import listed_needs
from connectences.prospection.visits import _latest_visits, latest_visits
from tests import factories as f
from tests.helpers import add_visit, query_plan

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
# Set aside on PostgreSQL when asking for the plan: the general indexes on the needs.
GENERAL = ("ix_need_created_at", "ix_need_status", "ix_need_status_queue")


def test_the_indexes_hold_the_needs_in_queue_as_the_queries_say_it():
    said = str(
        register.in_queue().compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    assert said.replace("need.", "") == IN_QUEUE


@pytest.fixture
def flooded():
    """A few needs in the queue, then many more posted and never confirmed."""
    f.load(f.document(companies=[f.company(ref="port", name="Cabane du Port")]))
    company = db.session.scalar(select(Company).where(Company.ref == "port"))
    for i in range(6):
        db.session.add(f.need_row(company, ref=f"file-{i}", source="animateur",
                                  created_at=NOW - timedelta(days=10 + i)))  # fmt: skip
    for i in range(300):
        db.session.add(f.need_row(company, ref=f"spam-{i}", source="entreprise",
                                  created_at=NOW - timedelta(minutes=i)))  # fmt: skip
    db.session.commit()


def test_the_latest_needs_of_the_queue_come_from_its_own_index(flooded):
    assert [n.ref for n in register.latest_in_queue(db.session, limit=3)] == [
        "file-0", "file-1", "file-2",
    ]  # fmt: skip
    assert "ix_need_queue_order" in query_plan(register._latest_in_queue(3), GENERAL)


def test_the_queue_by_state_comes_from_its_own_index(flooded):
    query = board.board_query(board.BoardFilters(waiting="animateur"), now=NOW, window=3)
    assert [n.ref for n in listed_needs(db.session.execute(query.limit(3)).all())] == [
        "file-0", "file-1", "file-2",
    ]  # fmt: skip
    # Either of the queue's indexes gives these rows in order (PostgreSQL, its
    # statistics taken at another moment of the run, may prefer the one by time alone).
    plan = query_plan(query.limit(3), GENERAL)
    assert "ix_need_queue_state_order" in plan or "ix_need_queue_order" in plan, plan


def test_a_flooded_queue_still_counts_only_the_confirmed(flooded):
    counts = board.state_counts(db.session, board.BoardFilters(), now=NOW)
    assert sum(counts.values()) == 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 306


def test_the_latest_visits_come_in_order_from_an_index(auth):
    # The home's ten latest visits, the visits list's pages: day then id, unsorted.
    f.load(f.document(companies=[f.company(ref="port", name="Cabane du Port")]))
    company = db.session.scalar(select(Company).where(Company.ref == "port"))
    user = auth.create("animateur")
    for day in range(3):
        for _ in range(4):
            add_visit(company, user, NOW.date() - timedelta(days=day))
    assert [v.visited_on for v in latest_visits(db.session, limit=5)] == [NOW.date()] * 4 + [
        NOW.date() - timedelta(days=1)
    ]
    # SQLite's index on the day alone would do (its indexes end with the row id);
    # PostgreSQL's needs the id in the index.
    plan = query_plan(_latest_visits(10))
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_the_queue_version_ignores_needs_outside_the_queue_and_sees_the_rest(flooded):
    """What is kept under the queue's version (its counts, the observatory's figures) is
    computed again when a need of the queue changes, not for each need a company posts
    and never confirms."""
    company = db.session.scalar(select(Company).where(Company.ref == "port"))
    before = register.queue_version(db.session)
    posted = f.need_row(company, ref="spam-new", source="entreprise", created_at=NOW)
    db.session.add(posted)
    db.session.commit()
    assert register.queue_version(db.session) == before
    posted.title = "Comptable (précisé)"
    db.session.commit()
    assert register.queue_version(db.session) == before
    # Confirmed by its owner: it enters the queue.
    posted.owner_confirmed_at = NOW
    db.session.commit()
    confirmed = register.queue_version(db.session)
    assert confirmed != before
    # A need of the queue changed (its oldest one, by a bulk update), or a new one.
    db.session.execute(sa.update(Need).where(Need.ref == "file-5").values(title="Paie"))
    db.session.commit()
    changed = register.queue_version(db.session)
    assert changed != confirmed
    db.session.add(f.need_row(company, ref="file-new", source="animateur", created_at=NOW))
    db.session.commit()
    assert register.queue_version(db.session) != changed


def test_the_queue_version_is_read_from_the_end_of_its_own_index(flooded):
    plan = query_plan(register._QUEUE_VERSION, (*GENERAL, "ix_need_updated_at"))
    assert "ix_need_queue_changed" in plan, plan


def test_a_company_account_finds_the_needs_it_sent_elsewhere_by_its_own_index(flooded):
    # Its area lists the needs it sent for companies it is not attached to: without the
    # index (or ordered by date in SQL), SQLite walked every need at each visit.
    from connectences.models import User

    user = User(email="patron@cabane.fr", role="company")
    db.session.add(user)
    db.session.commit()
    query = select(Need).where(register._sent_elsewhere([], user))
    assert "ix_need_created_by_id" in query_plan(query, GENERAL)
    spam = db.session.scalars(select(Need).where(Need.ref.in_(["spam-1", "spam-7"]))).all()
    for need in spam:
        need.created_by_id, need.owner_email = user.id, "Patron@Cabane.fr"
    db.session.commit()
    sent = register.needs_sent_elsewhere(db.session, [], user)
    assert [need.ref for need in sent] == ["spam-1", "spam-7"]  # newest first
