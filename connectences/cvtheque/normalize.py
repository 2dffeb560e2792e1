"""Comparison forms of a person's identity: e-mail, French phone number, name.

Stored beside the values people typed (see ``Candidate``'s validators) so that the
duplicate search is an indexed equality or range query, never a scan of the library.
This module imports nothing of the application: the models use it.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_DIGIT = re.compile(r"\D")
_NOT_LETTER = re.compile(r"[^a-z]+")

# Prefix length used to find namesakes through an index (range query on last_name_norm).
NAME_PREFIX = 3


def normalize_email(email: str | None) -> str | None:
    """Lower-case, trimmed address; None when empty. (Gmail dots are kept on purpose:
    other providers treat them as significant.)"""
    if not email:
        return None
    value = email.strip().lower()
    return value or None


def normalize_phone(phone: str | None) -> str | None:
    """A French number in national form, 10 digits starting with 0 ("0612345678").

    "06 12 34 56 78", "+33 6 12 34 56 78", "+33 (0)6 12...", "0033612345678" and
    "33612345678" all give the same result. Foreign numbers keep their digits with a
    "+" so that two identical foreign numbers still compare equal. None when there are
    too few digits to identify anyone.
    """
    if not phone:
        return None
    text = phone.strip()
    digits = _NOT_DIGIT.sub("", text)
    international = text.startswith("+")
    if digits.startswith("00"):
        digits, international = digits[2:], True
    if international or (digits.startswith("33") and len(digits) in (11, 12)):
        if digits.startswith("33"):
            national = digits[2:]
            if national.startswith("0"):  # "+33 (0)6 ..."
                national = national[1:]
            digits = "0" + national
        else:
            return "+" + digits if len(digits) >= 8 else None
    elif len(digits) == 9 and not digits.startswith("0"):  # "6 12 34 56 78"
        digits = "0" + digits
    if len(digits) != 10 or not digits.startswith("0"):
        return digits if len(digits) >= 8 else None
    return digits


def fold(text: str | None) -> str:
    """Lower-case ASCII letters and single spaces: "Lefèvre-Dupré" -> "lefevre dupre"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _NOT_LETTER.sub(" ", ascii_text.lower()).strip()


def name_key(first_name: str | None, last_name: str | None) -> str:
    """The name with its words sorted: equal for "Marie Dupont" and "DUPONT Marie"."""
    return " ".join(sorted(f"{fold(first_name)} {fold(last_name)}".split()))
