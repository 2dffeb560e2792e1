"""The territory's time: instants are stored in UTC, but "today", working days, months
and everything people read are those of Europe/Paris."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from connectences.dates import add_months, first_kept

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


def wall_days(start: datetime, end: datetime) -> float:
    """The days from ``start`` to ``end`` as the clocks of Arcachon count them (naive
    instants read as UTC): received on the Saturday before the spring change at 10:00
    and answered the Sunday at 10:00 took one day, not the 0.96 of its 23 hours."""

    def shown(moment: datetime) -> datetime:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(LOCAL_TZ).replace(tzinfo=None)

    return (shown(end) - shown(start)).total_seconds() / 86400


def days_since(moment: datetime, now: datetime) -> int:
    """How many local days ago ``moment`` was at ``now`` (0: the same day in Arcachon,
    1: yesterday), whatever the hours between: 23:30 last night is yesterday at 08:00."""
    return (local_date(now) - local_date(moment)).days


def kept_since(now: datetime, months: int) -> datetime:
    """The first instant a rule keeping records ``months`` calendar months after their
    local day still keeps at ``now``: the start of :func:`dates.first_kept` of today in
    Arcachon. A record dated before it has reached its :func:`term_day`: today or earlier."""
    return day_start(first_kept(local_date(now), months))


def term_day(moment: datetime, months: int) -> date:
    """The local day a record dated ``moment`` reaches its term of ``months`` calendar
    months (:func:`dates.add_months` of its local day): the day a retention job comparing
    with :func:`kept_since` removes it, the day promised to the person it names."""
    return add_months(local_date(moment), months)
