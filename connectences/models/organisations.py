"""Operators (who take shared-time work) and partners (where needs are re-oriented)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates

from connectences.models.base import Base, sort_name_column, utcnow
from connectences.text import sort_key


class _Organisation:
    """What operators and partners both are: a structure of the territory with a
    reference, a kind, an address for mails and the intercommunalities it covers."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    epcis: Mapped[list] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # For the API's incremental synchronisation (``updated_since``).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # What lists sort by, kept in step with the name (``listing.sort_key``); a few dozen
    # rows: no index.
    sort_name: Mapped[str] = sort_name_column()

    @validates("name")
    def _set_sort_name(self, _key: str, value: str | None) -> str | None:
        self.sort_name = sort_key(value)
        return value


class Operator(_Organisation, Base):
    __tablename__ = "operator"

    rome_domains: Mapped[list] = mapped_column(default=list)
    levels: Mapped[list] = mapped_column(default=list)
    contracts: Mapped[list] = mapped_column(default=list)
    max_hours_per_week: Mapped[float | None]


class Partner(_Organisation, Base):
    __tablename__ = "partner"
