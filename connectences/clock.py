"""The territory's time: instants are stored in UTC, but "today", working days, months
and everything people read are those of Europe/Paris."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Paris")


def local_today() -> date:
    """Today in Arcachon (not in UTC: late evenings belong to the local day)."""
    return datetime.now(LOCAL_TZ).date()


def local_instant(day: date, at: time) -> datetime | None:
    """The instant a clock in Arcachon shows ``at`` on ``day``; None when that clock skips
    it (the last Sunday of March, 2 a.m. becomes 3 a.m.: 02:30 is read as 03:30)."""
    moment = datetime.combine(day, at, tzinfo=LOCAL_TZ)
    shown = moment.astimezone(UTC).astimezone(LOCAL_TZ)
    return moment if (shown.date(), shown.time()) == (day, at) else None


def local_date(moment: datetime) -> date:
    """The local calendar day of an aware instant."""
    return moment.astimezone(LOCAL_TZ).date()


def day_start(day: date) -> datetime:
    """The instant (UTC) a local day begins: midnight in Arcachon, 23:00 or 22:00 UTC the
    day before. Whatever compares stored instants with a local day starts here."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def days_since(moment: datetime, now: datetime) -> int:
    """How many local days ago ``moment`` was at ``now`` (0: the same day in Arcachon,
    1: yesterday), whatever the hours between: 23:30 last night is yesterday at 08:00."""
    return (local_date(now) - local_date(moment)).days


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
