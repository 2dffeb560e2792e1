"""How a request's transaction ends on PostgreSQL when it only read.

Flask-SQLAlchemy closes the request's session at teardown, which rolls its transaction
back. psycopg forgets every statement it has prepared at each ROLLBACK (the rollback
may have undone the objects they name), and it prepares a statement only once a
connection has run it five times: with a ROLLBACK ending every request, nothing was
ever prepared, and PostgreSQL planned every statement every time (a quarter of its CPU
in the bench's mix). A transaction that wrote nothing ends the same way with COMMIT or
ROLLBACK, so a request that only read ends with COMMIT, and its statements stay
prepared for the next requests on that connection.

"Only read" is decided conservatively, and anything else is rolled back as before: the
request ended without an exception, the session holds no pending change, no file
follows its transaction (``cvtheque.files``: written files are removed when it does not
commit), and its connection sent nothing but SELECT statements since the transaction
began. SQLite's driver begins no transaction for reads: nothing changes there.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from connectences.extensions import db

# Set on a connection's info by any statement that is not a SELECT; cleared when its
# transaction ends.
WROTE = "connectences.wrote"


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(connection, _cursor, statement, _parameters, _context, _many) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info[WROTE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(connection) -> None:
    connection.info.pop(WROTE, None)


def _only_read(session) -> bool:
    if not session.in_transaction():
        return False
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.info.get(WROTE):
        return False
    # No pending change, and no file following the transaction (cvtheque.files).
    return not (session.new or session.dirty or session.deleted or session.info)


def register_transactions(app: Flask) -> None:
    @app.teardown_request
    def _end_reads_with_commit(error: BaseException | None) -> None:
        # Runs before the app context's teardown, where the session is closed.
        if error is not None:
            return
        session = db.session()
        if _only_read(session):
            session.commit()
