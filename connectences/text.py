"""Accent folding: the one way text loses its accents before it is compared or slugged.

Each area keeps its own word rules on top (communes expand "St", names keep letters
only, skills drop stopwords); what "without accents" means is decided here once.
"""

from __future__ import annotations

import unicodedata

# Ligatures that NFKD does not split into their letters.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def strip_accents(text: str | None) -> str:
    """``text`` without diacritics, ligatures spelled out, case kept:
    "Lège-Cap-Ferret" -> "Lege-Cap-Ferret", "Œuvre" -> "OEuvre"."""
    if not text:
        return ""
    if text.isascii():  # nothing to fold (most texts): NFKD leaves ASCII as it is
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join([ch for ch in decomposed if not unicodedata.combining(ch)])


def slug(text: str | None) -> str:
    """Lower-case ASCII words joined by hyphens, for refs: "La Mie Dorée" -> "la-mie-doree"."""
    words = "".join(
        ch if ch.isascii() and ch.isalnum() else " " for ch in strip_accents(text).lower()
    ).split()
    return "-".join(words)


def form_line(
    data, key: str, errors: dict[str, str], *, missing: str, limit: int, what: str
) -> str:
    """One line of text from a form, its spaces collapsed; when it is empty or longer than
    ``limit``, the French message goes into ``errors[key]`` (``missing``, or "<what> ne
    peut dépasser N caractères.")."""
    line = " ".join(str(data.get(key) or "").split())
    if not line:
        errors[key] = missing
    elif len(line) > limit:
        errors[key] = f"{what} ne peut dépasser {limit} caractères."
    return line
