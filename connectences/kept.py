"""Values computed from the database and kept by the process until the data changes.

A few pages count rows of a whole table at every request (the queue by state, the visits
by channel and outcome, the companies of the directory). Each such value is kept here
under a name and the database it was read from, with the version of the data it was
computed at (a few maxima read from indexes, which the caller reads and passes): the
same version gives the kept value, another computes it again. ``seconds`` bounds how long
a value lives when its version cannot see every change. Nothing is shared between
processes; each worker computes its own copy once per change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_kept: dict[tuple[str, object], tuple[Hashable, float | None, object]] = {}


def kept(
    session, name: str, version: Hashable, compute: Callable[[], T], *, seconds: float | None = None
) -> T:
    """The value ``name`` of the session's database at ``version``: kept, or computed by
    ``compute`` and kept (for at most ``seconds`` when given)."""
    key = (name, session.get_bind())
    found = _kept.get(key)
    if (
        found is not None
        and found[0] == version
        and (found[1] is None or time.monotonic() < found[1])
    ):
        return found[2]  # type: ignore[return-value]
    value = compute()
    expires = None if seconds is None else time.monotonic() + seconds
    _kept[key] = (version, expires, value)
    return value


def forget_kept() -> None:
    """Drop every kept value (tests that empty the database between them)."""
    _kept.clear()
