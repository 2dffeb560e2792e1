"""The session of the application's database: SQLAlchemy's, with selects of columns
read without the ORM's loading.

A select of columns (``select(Need.id, Need.title, Company.name)``: rows, no entities)
still goes through the ORM when the session runs it: its compile state, its loading of
each row, about 40 us a statement, where running it on the session's connection gives
the same rows (the same SQL, compiled the same way, the same types). The list pages read
rows of the columns they show (``docs/scaling.md``, sixth pass), eight to ten statements
a page: that was 0.4 to 0.5 ms of each. Such a select is now run on the connection, after
the autoflush the ORM would have done; selects of entities, with loader options, with
options of their execution or a bind of their own, and every other statement, run as
before. What is "a select of columns" reads three attributes of SQLAlchemy's select
(``_propagate_attrs``, ``_with_options``, ``_raw_columns``): tests/test_db_session.py
fails if a release changes them.

A savepoint (``begin_nested``) on SQLite. Python's sqlite3 driver opens its transaction
only before the first INSERT, UPDATE or DELETE; a SAVEPOINT sent before that opened the
transaction itself, and its RELEASE committed it: what the savepoint held was written
for good, whatever the session did next (a dry run of a job rolled back nothing, a
request refused after it kept it). The session now opens the driver's transaction
first, taking the database's write lock at once (``BEGIN IMMEDIATE``: a savepoint is
there to write, and a transaction that only read first could not take the lock once
another writer committed). PostgreSQL always has its transaction open: nothing changes
there.
"""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select


def columns_only(statement: Any) -> bool:
    """Whether ``statement`` is a select of columns of mapped classes, without entities
    nor loader options (one the ORM would only turn into plain rows)."""
    return (
        type(statement) is Select
        and statement._propagate_attrs.get("compile_state_plugin") == "orm"
        and not statement._with_options
        and all(isinstance(column, ColumnElement) for column in statement._raw_columns)
    )


def begin_writing(connection: Connection) -> None:
    """SQLite: open the driver's transaction now, holding the database's write lock
    (``BEGIN IMMEDIATE`` waits up to the connection's busy timeout for another writer,
    then raises OperationalError "database is locked"), unless it is already open: it
    then already holds that lock, the driver having opened it for a write. Nothing on
    other databases, whose transaction is open from the first statement."""
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# PostgreSQL's SQLSTATE for a transaction it aborted to break a deadlock.
DEADLOCK_DETECTED = "40P01"


def deadlocked(error: DBAPIError) -> bool:
    """Whether ``error`` is PostgreSQL aborting the transaction to break a deadlock: all
    of the transaction is rolled back, and it may be done again from its start (the
    other transaction went on). SQLite never deadlocks (one writer at a time)."""
    return getattr(error.orig, "sqlstate", None) == DEADLOCK_DETECTED


def _plain(options: dict) -> bool:
    """No option of execution, no bind of its own (the scoped session passes its own
    arguments, all empty or None)."""
    return not any(options.values())


class Session(FlaskSession):
    def _rows(self, statement: Select, params: Any) -> Any:
        self._autoflush()  # what the ORM does before a select (it honours no_autoflush)
        return self.connection(bind_arguments={"clause": statement}).execute(statement, params)

    def execute(self, statement, params=None, **options):
        if _plain(options) and columns_only(statement):
            return self._rows(statement, params)
        return super().execute(statement, params, **options)

    def scalars(self, statement, params=None, **options):
        if _plain(options) and columns_only(statement):
            return self._rows(statement, params).scalars()
        return super().scalars(statement, params, **options)

    def begin_nested(self):
        begin_writing(self.connection())  # see the module's docstring
        return super().begin_nested()

    def scalar(self, statement, params=None, **options):
        if _plain(options) and columns_only(statement):
            return self._rows(statement, params).scalar()
        return super().scalar(statement, params, **options)


def stamp_once(session, obj: Any, column: str, **values: Any) -> bool:
    """Write ``values`` on the stored row of ``obj`` only where ``column`` is still empty
    (NULL), in one statement; whether this call wrote them. Of two requests doing the same
    at the same instant (a link used twice, a form sent twice, two members answering),
    one writes and the other finds the row taken: ``UPDATE ... WHERE id = :id AND column
    IS NULL`` is atomic on both databases. The object then says what the row holds,
    without a pending change to write a second time."""
    model = type(obj)
    result = session.execute(
        update(model)
        .where(model.id == obj.id, getattr(model, column).is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for name, value in values.items():
        set_committed_value(obj, name, value)
    return True
