"""Declarative base, naming convention and small column helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column, registry

from connectences.text import SORT_KEY_MAX

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now, used as a column default (a callable, evaluated per row)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC on every backend (SQLite forgets zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# A name's sort key (``connectences.listing.sort_key``), compared character by character on
# PostgreSQL too (collation "C", as SQLite's BINARY): a database's language collation
# skips spaces and the separator of last and first name, and would order "Le Gall" and
# "Legall", "Dupont Marie" and "Dupont-Aignan Alice" otherwise than SQLite.
SortKey = String(SORT_KEY_MAX).with_variant(String(SORT_KEY_MAX, collation="C"), "postgresql")


def sort_name_column() -> MappedColumn[str]:
    """The ``sort_name`` column of a model listed by name: set by the model's validator
    whenever the name changes, never by hand."""
    return mapped_column(SortKey, default="", server_default="")


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), list: JSON, dict: JSON},
    )
