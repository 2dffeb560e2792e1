"""Generations of watched data, kept in the database.

A process keeps what it reads often (``connectences.kept``) under a version of the data
it comes from. When no index can tell every change of that data (a deletion, a column
without a date), a *watch* counts its changes instead: a name, the mapped classes it
looks at and, for a class, which of its changes matter. A flush that inserts, changes or
deletes a watched object, and a bulk INSERT, UPDATE or DELETE of a watched class, add one to the
watch's generation in the same transaction: committed with the change, rolled back with
it, and read by every process and host as one primary-key lookup (``generation``).

Changes made outside the ORM (SQL typed in a console, another program) are not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from connectences.models import ChangeGeneration

# new / dirty / deleted: how the flush meets the object.
NEW, CHANGED, DELETED = "new", "changed", "deleted"

# Whether a flushed object's change matters to a watch: (object, NEW|CHANGED|DELETED).
Matters = Callable[[object, str], bool]


@dataclass(frozen=True)
class Watch:
    name: str
    # Mapped class -> which of its changes matter (None: every one).
    classes: Mapping[type, Matters | None]

    def sees(self, obj: object, how: str) -> bool:
        for cls, matters in self.classes.items():
            if isinstance(obj, cls):
                return matters is None or matters(obj, how)
        return False

    def sees_class(self, cls: type) -> bool:
        return any(issubclass(cls, watched) for watched in self.classes)


_WATCHES: dict[str, Watch] = {}


def watch(name: str, classes: Mapping[type, Matters | None]) -> Watch:
    """Count the changes of ``classes`` under ``name`` (once per name, at import)."""
    if name in _WATCHES:
        raise ValueError(f"watch already defined: {name}")
    if len(name) > ChangeGeneration.__table__.c.name.type.length:
        raise ValueError(f"watch name too long: {name}")
    _WATCHES[name] = found = Watch(name, dict(classes))
    return found


def changed(obj: object, *attributes: str) -> bool:
    """Whether the flush changes one of these attributes of ``obj`` (for ``Matters``)."""
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def may_be(obj: object, attribute: str, value: object) -> bool:
    """Whether the attribute holds ``value`` before or after the flush (for ``Matters``);
    True when it was never loaded, which tells nothing."""
    state = inspect(obj)
    if attribute in state.unloaded:
        return True
    history = state.attrs[attribute].history
    return value in (*history.added, *history.unchanged, *history.deleted)


_TABLE = ChangeGeneration.__table__
_GENERATION = select(_TABLE.c.generation).where(_TABLE.c.name == bindparam("name"))
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_BUMPS: dict[str, object] = {}


def generation(session: Session, name: str) -> int:
    """The committed generation of the watch ``name`` (0 before its first change).

    Read on a pooled connection of its own, not in the session's transaction: what is
    committed is what counts, and a page that reads nothing else (the public home, warm)
    opens no transaction at all, which halves the cost of the read. On PostgreSQL that
    connection reads in autocommit: a transaction would add a BEGIN and a ROLLBACK, each
    a round trip, to a read of one row (SQLite's driver begins none for a read)."""
    if name not in _WATCHES:
        raise ValueError(f"unknown watch: {name}")
    with session.get_bind().connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(_GENERATION, {"name": name}).scalar() or 0


def _bump_statement(dialect: str):
    if dialect not in _BUMPS:
        if dialect not in _INSERTS:
            raise RuntimeError(f"unsupported database: {dialect}")  # pragma: no cover
        # One upsert: two transactions bumping at once never lose a change nor fail on
        # the first row of a watch.
        _BUMPS[dialect] = (
            _INSERTS[dialect](_TABLE)
            .values(name=bindparam("name"), generation=1)
            .on_conflict_do_update(
                index_elements=[_TABLE.c.name],
                set_={"generation": _TABLE.c.generation + 1},
            )
        )
    return _BUMPS[dialect]


def _bump(session: Session, names: set[str]) -> None:
    connection = session.connection()
    statement = _bump_statement(connection.dialect.name)
    for name in sorted(names):  # one order: concurrent bumps never deadlock
        connection.execute(statement, {"name": name})


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    # The new / dirty / deleted lists and each attribute's history still hold what the
    # flush wrote.
    if not _WATCHES:
        return
    watched = tuple(cls for w in _WATCHES.values() for cls in w.classes)
    seen: set[str] = set()
    for objects, how in ((session.new, NEW), (session.dirty, CHANGED), (session.deleted, DELETED)):
        for obj in objects:
            if not isinstance(obj, watched):
                continue  # most flushes: nothing watched, nothing more to look at
            if how == CHANGED and not session.is_modified(obj, include_collections=False):
                continue
            seen.update(
                w.name for w in _WATCHES.values() if w.name not in seen and w.sees(obj, how)
            )
    if seen:
        _bump(session, seen)


@event.listens_for(Session, "do_orm_execute")
def _bulk_change(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    cls = state.bind_mapper.class_
    seen = {w.name for w in _WATCHES.values() if w.sees_class(cls)}
    if seen:
        _bump(state.session, seen)
