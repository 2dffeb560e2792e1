"""The territory's time: instants are stored in UTC, but "today", working days, months
and everything people read are those of Europe/Paris."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Paris")


def local_today() -> date:
    """Today in Arcachon (not in UTC: late evenings belong to the local day)."""
    return datetime.now(LOCAL_TZ).date()


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
