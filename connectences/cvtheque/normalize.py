"""Comparison forms of a person's identity: e-mail, French phone number, name.

Stored beside the values people typed (see ``Candidate``'s validators) so that the
duplicate search is an indexed equality or range query, never a scan of the library.
This module imports nothing of the application but ``contacts`` and ``text`` (which
import none of it either): the models use it.
"""

from __future__ import annotations

import re

# The comparison keys of e-mail and phone are the application's one rule (contacts).
from connectences.contacts import email_key
from connectences.contacts import phone_key as normalize_phone
from connectences.text import strip_accents

__all__ = ["NAME_PREFIX", "fold", "name_key", "email_key", "normalize_phone"]

_NOT_LETTER = re.compile(r"[^a-z]+")

# Prefix length used to find namesakes through an index (range query on last_name_norm).
NAME_PREFIX = 3


def fold(text: str | None) -> str:
    """Lower-case ASCII letters and single spaces: "Lefèvre-Dupré" -> "lefevre dupre"."""
    return _NOT_LETTER.sub(" ", strip_accents(text).lower()).strip()


def name_key(first_name: str | None, last_name: str | None) -> str:
    """The name with its words sorted: equal for "Marie Dupont" and "DUPONT Marie"."""
    return " ".join(sorted(f"{fold(first_name)} {fold(last_name)}".split()))
