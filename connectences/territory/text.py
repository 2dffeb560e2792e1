"""Text folding shared by the build script and the commune search."""

from __future__ import annotations

import re

from connectences.text import strip_accents

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Abbreviations people type and gazetteers use for the saints in place names.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def fold(text: str) -> str:
    """Lower-case, accent-free, words separated by single spaces ("Lège-Cap-Ferret" -> "lege cap ferret").

    Apostrophes and hyphens split words, so "Saint-Jean-d'Illac" folds to
    "saint jean d illac", and "St" / "Ste" are expanded to "saint" / "sainte".
    """
    words = _NON_ALNUM.sub(" ", strip_accents(text).lower()).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)
