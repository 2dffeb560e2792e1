"""Operations that run one at a time, whichever process starts them (web workers, the
CLI, the scheduler): a named lock held until the end of the session's transaction.

PostgreSQL: a transaction-level advisory lock on the name (``pg_try_advisory_xact_lock``),
tried again until the wait is over. It holds back only the transactions asking for the
same name; PostgreSQL releases it when the holder commits or rolls back, after what it
wrote is visible, so that the next holder's reads (READ COMMITTED: each statement sees
what was committed before it began) find it.

SQLite lets one writer in at a time whatever the name: the lock is the database's write
lock, taken when the transaction opens (``db_session.begin_writing``), so that every
later read of the transaction is of what the previous writer committed.
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from connectences.db_session import begin_writing

# Between two tries of a PostgreSQL advisory lock (the first try is immediate).
_RETRY_SECONDS = 0.05


def lock_key(name: str) -> int:
    """The advisory lock's key of ``name``: a signed 64-bit integer, the same in every
    process (Python's ``hash`` of a string is not)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def hold(session: Session, name: str, *, wait_seconds: float) -> bool:
    """Take the lock ``name`` for the rest of the session's transaction, waiting up to
    ``wait_seconds`` for the transaction holding it to end; False when it was still held
    then (nothing taken, nothing written).

    Take it before reading anything the operation decides on: what was read before
    may be what the previous holder was about to change.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return _hold_sqlite_write_lock(connection, wait_seconds)
    deadline = time.monotonic() + wait_seconds
    statement = text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(key=lock_key(name))
    while not connection.execute(statement).scalar():
        if time.monotonic() >= deadline:
            return False
        time.sleep(_RETRY_SECONDS)
    return True


def _hold_sqlite_write_lock(connection: Connection, wait_seconds: float) -> bool:
    # The busy timeout (a setting of the connection, not of its transaction) is the
    # wait of this one statement, then set back.
    before = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql(f"PRAGMA busy_timeout={max(0, round(wait_seconds * 1000))}")
    try:
        begin_writing(connection)
    except OperationalError as error:
        if "locked" not in str(error.orig):
            raise
        return False
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(before)}")
    return True
