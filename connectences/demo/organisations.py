"""The operators and partners of the demo territory, as the interchange document has them."""

from __future__ import annotations

import copy

from connectences.demo.common import load_json

ORGANISATIONS: dict[str, list[dict]] = load_json("organisations.json")


def build_operators() -> list[dict]:
    """The operators of the document (a copy: the caller may change it)."""
    return copy.deepcopy(ORGANISATIONS["operators"])


def build_partners() -> list[dict]:
    """The partners of the document (a copy: the caller may change it)."""
    return copy.deepcopy(ORGANISATIONS["partners"])
