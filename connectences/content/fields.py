"""Checks shared by the content forms (resources, testimonials, "Qui fait quoi"): short
texts with their limits, web addresses, days. Each returns values and fills ``errors``
(field -> French message), the shape every form of the area reports in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from connectences.contacts import InvalidWebsite, clean_website
from connectences.prospection.visits import VisitError, parse_date
from connectences.territory.text import fold
from connectences.typography import too_long


def texts(
    data: Mapping, specs: tuple[tuple[str, str, int], ...], errors: dict, *, squash: bool = True
) -> dict:
    """Each ``(field, label, limit)`` of ``specs`` as typed, trimmed (white space squashed
    to single spaces unless ``squash`` is off); a ``label`` makes the field required
    ("Indiquez <label>."), an empty one optional. Empty values are None."""
    values = {}
    for name, label, limit in specs:
        raw = str(data.get(name) or "")
        text = " ".join(raw.split()) if squash else raw.strip()
        if label and not text:
            errors[name] = f"Indiquez {label}."
        elif too := too_long("Ce texte", text, limit):
            errors[name] = too
        values[name] = text or None
    return values


def web_address(data: Mapping, name: str, limit: int, errors: dict) -> str | None:
    """An optional website address (``contacts.clean_website``: http or https, « https:// »
    added to one typed without it); anything else (``javascript:``, a malformed host,
    spaces inside) is refused, its value then given back as typed."""
    try:
        return clean_website(data.get(name), limit=limit)
    except InvalidWebsite as refusal:
        errors[name] = refusal.message
        return str(data.get(name) or "").strip()


def day(data: Mapping, name: str, label: str, missing: str, errors: dict) -> date | None:
    """A required date typed as 2026-05-14 or 14/05/2026; ``missing`` says what to give."""
    try:
        value = parse_date(data.get(name), name, label)
    except VisitError as error:
        errors.update(error.errors)
        return None
    if value is None:
        errors[name] = missing
    return value


def has_words(query: str, *texts: str | None) -> bool:
    """Whether every word of ``query`` is found in ``texts``, accents and case aside (the
    text search of the public lists)."""
    haystack = fold(" ".join(text or "" for text in texts))
    return all(word in haystack for word in fold(query).split())
