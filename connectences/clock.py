"""The territory's time: instants are stored in UTC, but "today", working days, months
and everything people read are those of Europe/Paris."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Paris")

# The days a filter of a list may name. A date field lets anyone send 0001-01-01 or
# 9999-12-31, whose local midnight (or the next day) does not exist as an instant in
# UTC: Python raises OverflowError. No record of the platform is that far away.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def local_today() -> date:
    """Today in Arcachon (not in UTC: late evenings belong to the local day)."""
    return datetime.now(LOCAL_TZ).date()


def read_day(text: str | None) -> date | None:
    """The day of a date filter (``AAAA-MM-JJ``, as date fields send it), or None when
    it is not one or falls outside FIRST_DAY..LAST_DAY."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def local_date(moment: datetime) -> date:
    """The local calendar day of an aware instant."""
    return moment.astimezone(LOCAL_TZ).date()


def months_before(moment: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (day clipped to the month's end);
    a negative ``months`` goes forward."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
