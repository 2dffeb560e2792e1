"""Accent folding: the one way text loses its accents before it is compared or slugged;
and the control characters text coming in may not hold.

Each area keeps its own word rules on top (communes expand "St", names keep letters
only, skills drop stopwords); what "without accents" means is decided here once.

No text of the platform holds a control character but tab, newline and carriage
return: XLSX cannot store them, and PostgreSQL refuses NUL in text. Every way in (web
forms and query strings, the JSON API, the interchange document, CSV and XLSX uploads)
removes the others with :func:`without_controls` and refuses NUL (:data:`NUL`), which
no one types: it is a broken file or a probe, and removing it would join two words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

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


# Hyphens and apostrophes separate words ("Lège-Cap-Ferret" is found by "lege cap ferret").
_SEPARATORS = str.maketrans(dict.fromkeys("-'\u2019", " "))


def fold_text(text: str | None) -> str:
    """``text`` as a search compares it: lower case, without accents or ligatures,
    hyphens and apostrophes as spaces ("L’Œuvre-Dorée" -> "l oeuvre doree")."""
    return strip_accents((text or "").translate(_SEPARATORS)).lower()


def fold_with_origins(text: str) -> tuple[str, list[int]]:
    """``text`` as a search compares it (:func:`fold_text`), and for each
    of its characters the index of the character of ``text`` it comes from."""
    if text.isascii():
        return fold_text(text), list(range(len(text)))
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for folded in fold_text(char):  # "" for a lone accent, "oe" for "œ"
            out.append(folded)
            origin.append(index)
    return "".join(out), origin


def is_combining(char: str) -> bool:
    """Whether ``char`` is an accent written apart from its letter (a combining mark)."""
    return bool(unicodedata.combining(char))


# --- sorting by name --------------------------------------------------------------------

# Separates the parts of a key ("last name", "first name"): below every character a name
# folds to, so that "Dupont Marie" comes before "Dupont-Aignan Alice".
_KEY_PARTS = "\x1f"
SORT_KEY_MAX = 200


def sort_key(*parts: str | None) -> str:
    """The key lists sort names by, as a French directory orders them: folded as a search
    compares them (:func:`fold_text`: "Élodie" with "Elodie", "Œ" as "oe", "de Lacanau"
    before "Zola"), spaces collapsed; ``parts`` in turn ("last name", "first name").

    The models keep it in a ``sort_name`` column (``connectences.models.base.SortKey``),
    indexed where a list pages by it: sorting on a function of the name reads every row.
    """
    key = _KEY_PARTS.join(" ".join(fold_text(part).split()) for part in parts)
    return key[:SORT_KEY_MAX]


def composed(text: str) -> str:
    """``text`` with each accented letter as one character (NFC): an "é" typed as "e"
    and its accent is stored and compared as the "é" of other keyboards."""
    return unicodedata.normalize("NFC", text)


def compatibility_folded(text: str) -> str:
    """``text`` with compatibility forms folded (NFKC): full-width « ｅ » is « e », the
    ligature « ﬁ » is « fi », an accent typed apart joins its letter. Browsers read a
    site's name so (its IDNA mapping)."""
    return unicodedata.normalize("NFKC", text)


# Alphabets whose letters look alike (Latin "a", Cyrillic "а", Greek "ο").
LOOK_ALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})


def look_alike_scripts(text: str) -> set[str]:
    """The look-alike alphabets (``LOOK_ALIKE_SCRIPTS``) the letters of ``text`` come
    from (by each letter's Unicode name: « CYRILLIC SMALL LETTER A »)."""
    return {
        script
        for char in text
        if char.isalpha()
        and (script := unicodedata.name(char, "").partition(" ")[0]) in LOOK_ALIKE_SCRIPTS
    }


def letters_and(text: str, allowed: frozenset[str]) -> bool:
    """Whether ``text`` starts with a letter and holds only letters, of any script and
    with their accents, and the characters ``allowed`` ("N'Diaye", "李", "Þórdís")."""
    return (
        bool(text)
        and unicodedata.category(text[0])[0] == "L"
        and all(unicodedata.category(ch)[0] in "LM" or ch in allowed for ch in text)
    )


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


NUL = "\x00"
# C0 controls but NUL (refused, not removed), tab, newline and carriage return: Word's
# vertical tab and page break, a terminal's escape, a backspace pasted along.
_CONTROLS = re.compile(
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    # Invisible marks that make a blank title look filled in or turn a name around on
    # the staff's pages: zero-width space, word joiner, byte-order mark, direction marks,
    # embeddings, overrides and isolates. Joiners (U+200C, U+200D) stay: emoji and some
    # scripts need them.
    "\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
    # Half a UTF-16 pair alone, which a JSON text may write as "\ud800": no character,
    # and no UTF-8 encodes it (PostgreSQL, SQLite and url_for failed on it: a 500).
    "\ud800-\udfff]"
)
# The end of each refusal's French sentence ("Ligne 3, colonne « Nom » : le texte ...").
NUL_REFUSED = "contient un caractère nul (U+0000), que la plateforme refuse"


def without_controls(text: str) -> str:
    """``text`` without control characters but tab, newline, carriage return and NUL
    (which the caller refuses), nor invisible marks (zero-width space, direction
    overrides): "Cais\\x08sier" -> "Caissier", "\\u200b" -> ""."""
    if text.isprintable():  # most texts: nothing to look for
        return text
    return _CONTROLS.sub("", text)


def json_without_controls(data: Any) -> Any:
    """Parsed JSON with :func:`without_controls` applied to every string in it (object
    keys included), at any depth."""
    if isinstance(data, str):
        return without_controls(data)
    if isinstance(data, list):
        return [json_without_controls(item) for item in data]
    if isinstance(data, dict):
        return {
            json_without_controls(key): json_without_controls(value) for key, value in data.items()
        }
    return data


def nul_paths(data: Any, path: tuple = ()) -> Iterator[tuple[str | int, ...]]:
    """The path (keys and list indexes) of each string holding NUL in parsed JSON, in
    order; an object key holding one is reported at its own path."""
    if isinstance(data, str):
        if NUL in data:
            yield path
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from nul_paths(item, (*path, index))
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and NUL in key:
                yield (*path, key)
            else:
                yield from nul_paths(value, (*path, key))
