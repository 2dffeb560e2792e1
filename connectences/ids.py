"""Record ids as they come from outside (a URL, a query string, a form field): one range.

Every table's id is an INTEGER: 64 bits on SQLite, 32 bits on PostgreSQL, where a
larger number handed to the database fails in the statement ("integer out of range",
an error, not a missing record) as 2**63 fails in SQLite's driver. The narrower of the
two bounds every id from outside: a larger number names no record on either database
and is refused here, where the text becomes an id, as any other id that names nothing.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER


def read_id(value) -> int | None:
    """The record id in ``value`` (``"12"``, ``12``), or None when it is not a whole
    number from 1 to :data:`MAX_ID` (absent, empty, ``"abc"``, ``"-3"``, 2**63)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        # ASCII digits only: int() also reads "١٢" and "1_000", which no link carries.
        if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
            return None
        number = int(text)
    return number if 1 <= number <= MAX_ID else None
