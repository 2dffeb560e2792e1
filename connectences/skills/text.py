"""Text normalisation shared by the taxonomy, the matcher and the importer.

Skills are written by people: accents, capitals, punctuation and spacing vary.
Every comparison goes through ``normalize`` so that "Comptabilité" and
"comptabilite" are the same string.
"""

from __future__ import annotations

import re

from connectences.text import strip_accents

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

# The longest skill label, as the interchange format has it (a string of 200 at most).
MAX_SKILL_LENGTH = 200


# Words that carry no meaning for matching a skill.
STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "ou",
        "par",
        "pour",
        "sur",
        "sans",
        "un",
        "une",
        "dans",
        "chez",
        "sa",
        "ses",
        "leur",
        "leurs",
        "ce",
        "ces",
        "cet",
        "cette",
        "qu",
        "que",
        "qui",
        "y",
    ]
)


def normalize(text: str) -> str:
    """Lowercase, strip accents, turn punctuation into spaces, collapse whitespace."""
    return _NON_ALNUM.sub(" ", strip_accents(text).lower()).strip()


def tokens(text: str) -> list[str]:
    """Meaningful words of a text, normalised, stopwords removed, order kept."""
    # Single letters are kept ("permis b" is not "permis c"); stopwords are not.
    return [t for t in normalize(text).split() if t not in STOPWORDS]


def content(text: str) -> str:
    """Normalised text without stopwords: what fuzzy comparison looks at."""
    return " ".join(tokens(text))
