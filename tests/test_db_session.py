"""The session runs a select of columns on its connection, without the ORM's loading
(``connectences.db_session``): the same rows, the same autoflush, and every other
statement as before."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.orm import joinedload

from connectences.db_session import columns_only
from connectences.extensions import db
from connectences.models import Company, Need
from tests import factories


@pytest.fixture
def needs(app):
    factories.load(
        factories.document(
            companies=[factories.company(ref="ent-a", name="Atelier A")],
            needs=[
                factories.need(ref="besoin-1", company="ent-a", title="Comptable"),
                factories.need(ref="besoin-2", company="ent-a", title="Cuisinier"),
            ],
        )
    )
    db.session.commit()


COLUMNS = select(Need.ref, Need.title, Company.name, Company.commune).join(Need.company)


@pytest.mark.parametrize(
    "statement, expected",
    [
        (select(Need.ref), True),
        (COLUMNS, True),
        (select(func.count()).select_from(Need), True),
        (select(Need.ref, func.count().label("n")).group_by(Need.ref), True),
        (select(Need), False),  # an entity
        (select(Need, Company.name).join(Need.company), False),
        (select(Need.ref).options(joinedload(Need.company)), False),  # loader options
        (select(func.now()), False),  # no mapped class: already run without the ORM
        (text("select 1"), False),
        (update(Need).values(title="x"), False),
    ],
    ids=[
        "one-column",
        "columns-joined",
        "count",
        "grouped",
        "entity",
        "entity-and-column",
        "options",
        "core",
        "text",
        "update",
    ],
)
def test_what_is_a_select_of_columns(statement, expected):
    assert columns_only(statement) is expected


def test_the_rows_are_those_the_orm_gives(app, needs):
    session = db.session()
    ours = session.execute(COLUMNS.order_by(Need.ref)).all()
    theirs = session.execute(COLUMNS.order_by(Need.ref), execution_options={"x": 1}).all()
    assert ours == theirs and [row.ref for row in ours] == ["besoin-1", "besoin-2"]
    assert ours[0]._fields == theirs[0]._fields
    assert session.scalars(select(Need.ref).order_by(Need.ref)).all() == ["besoin-1", "besoin-2"]
    assert session.scalar(select(func.count()).select_from(Need)) == 2


def test_columns_skip_the_orm_and_entities_do_not(app, needs):
    session = db.session()
    loaded = []

    def orm_execute(state):
        loaded.append(state.statement)

    event.listen(session, "do_orm_execute", orm_execute)
    try:
        session.execute(COLUMNS).all()
        session.scalars(select(Need.ref)).all()
        assert loaded == []
        session.scalars(select(Need)).all()
        assert len(loaded) == 1
    finally:
        event.remove(session, "do_orm_execute", orm_execute)


def test_a_pending_change_is_flushed_before_the_select(app, needs):
    session = db.session()
    need = session.scalars(select(Need).where(Need.ref == "besoin-1")).one()
    need.title = "Comptable confirmé"
    assert session.scalar(select(Need.title).where(Need.ref == "besoin-1")) == "Comptable confirmé"
    session.rollback()


def test_no_autoflush_is_honoured(app, needs):
    session = db.session()
    need = session.scalars(select(Need).where(Need.ref == "besoin-1")).one()
    with session.no_autoflush:
        need.title = "Pas encore écrit"
        assert session.scalar(select(Need.title).where(Need.ref == "besoin-1")) == "Comptable"
    session.rollback()


def test_a_savepoint_before_any_write_stays_inside_its_transaction(app, needs):
    """SQLite's driver had opened no transaction yet (only reads so far): the SAVEPOINT
    opened one itself and its RELEASE committed the change, which the session's
    rollback then could not undo."""
    session = db.session()
    session.rollback()
    assert session.scalar(select(Need.title).where(Need.ref == "besoin-1")) == "Comptable"
    with session.begin_nested():
        session.execute(update(Need).where(Need.ref == "besoin-1").values(title="Gardé ?"))
    session.rollback()
    assert session.scalar(select(Need.title).where(Need.ref == "besoin-1")) == "Comptable"


def test_a_savepoint_rolled_back_keeps_what_came_before_it(app, needs):
    session = db.session()
    session.rollback()
    with session.begin_nested():
        session.execute(update(Need).where(Need.ref == "besoin-1").values(title="Avant"))
    try:
        with session.begin_nested():
            session.execute(update(Need).where(Need.ref == "besoin-2").values(title="Annulé"))
            raise LookupError
    except LookupError:
        pass
    session.commit()
    titles = dict(session.execute(select(Need.ref, Need.title)).all())
    assert titles == {"besoin-1": "Avant", "besoin-2": "Cuisinier"}
