"""Record ids as they come from outside (a URL, a query string, a form field): one range.

Every table's id is stored as a signed 64-bit integer (SQLite's INTEGER, PostgreSQL's
BIGINT at most). A larger number names no record, yet handed to the database it fails
in the driver (``OverflowError`` on SQLite, an out-of-range error on PostgreSQL): it is
refused here, where the text becomes an id, as any other id that names nothing.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1


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
