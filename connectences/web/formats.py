"""Template filters that show dates and times as people of the territory read them.

Stored instants are UTC; a person in Arcachon reads Europe/Paris time, French style.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from connectences.clock import LOCAL_TZ


def local_datetime(value: datetime | None, empty: str = "—") -> str:
    """``26/11/2026 14:05`` in Paris time for an aware UTC instant."""
    if value is None:
        return empty
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return value.strftime("%d/%m/%Y %H:%M")


def local_date(value: date | datetime | None, empty: str = "—") -> str:
    """``26/11/2026``; an instant is first brought to Paris time (late UTC evenings)."""
    if value is None:
        return empty
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return value.strftime("%d/%m/%Y")


def register_formats(app: Flask) -> None:
    app.add_template_filter(local_datetime, "datetime_fr")
    app.add_template_filter(local_date, "date_fr")
