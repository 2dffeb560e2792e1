"""Filters of a list page, one pattern for every list (needs board, visits, CV library,
company directory): a frozen dataclass in the domain package, read from the page's query
arguments by ``from_args`` and written back by ``as_args``.

Lists whose filters report refused values (visits, CV library) return them beside the
filters: ``from_args(args) -> (filters, errors)``.

Each filter has its query argument (French, as in the page's URL) in ``ARGS``; values a
list does not know are dropped, so a shared or edited link always opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date
from typing import ClassVar


class ListFilters:
    """Mixin of the filters dataclasses: ``ARGS`` maps each field to its query argument."""

    ARGS: ClassVar[Mapping[str, str]] = {}

    def form_values(self) -> dict[str, str]:
        """Every filter by its query argument, as the filter form shows it ("" for none)."""
        values = {}
        for item in fields(self):  # type: ignore[arg-type]
            if item.name not in self.ARGS:
                continue
            value = getattr(self, item.name)
            if isinstance(value, date):
                value = value.isoformat()
            values[self.ARGS[item.name]] = "" if value is None else str(value)
        return values

    def as_args(self) -> dict[str, str]:
        """The active filters as query arguments (for links, the pager and the export)."""
        return {key: value for key, value in self.form_values().items() if value}


def text_arg(args: Mapping[str, str], name: str, limit: int) -> str:
    """A query argument as text, trimmed and cut at ``limit`` characters."""
    return (args.get(name) or "").strip()[:limit]


def list_arg(args, name: str) -> list[str]:
    """A repeated query argument (check boxes) as a list; a plain mapping gives its one
    value, or a list it holds."""
    if hasattr(args, "getlist"):
        return args.getlist(name)
    value = args.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def choice_arg(args: Mapping[str, str], name: str, choices) -> str:
    """A query argument that must be one of ``choices`` ("" when it is not, so that an
    edited or outdated link still opens the list)."""
    value = text_arg(args, name, 60)
    return value if value in choices else ""
