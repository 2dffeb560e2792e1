"""Skills read in a CV's text (a PDF), to propose to the person: only skills.

``skills.extract_skills`` finds the taxonomy's terms word for word. A CV also
holds words that happen to be terms but are not skills there: the places the
person lived or worked ("Arcachon"), people's names ("Pierre Martin": "pierre"
is a mason's word), dates. They are left out here, by how they are written:

- a place: the words, capitalised in the CV, are the name of a French commune;
- a name: a single capitalised word next to another capitalised word that the
  taxonomy does not know ("Pierre Martin"), or a common first name;
- a date: a term holding a number or a month.
"""

from __future__ import annotations

import re
from functools import cache

from connectences import skills, territory

MONTHS = frozenset(
    [
        "janvier",
        "fevrier",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "aout",
        "septembre",
        "octobre",
        "novembre",
        "decembre",
        "janv",
        "fev",
        "avr",
        "juil",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
# First names that are also words of the taxonomy (a trade's word or a plant).
FIRST_NAMES = frozenset(
    [
        "pierre",
        "rose",
        "olivier",
        "laurier",
        "marguerite",
        "violette",
        "capucine",
        "jasmin",
        "basile",
        "romarin",
        "sauge",
        "marin",
        "prosper",
        "florent",
        "clement",
        "sylvain",
    ]
)

_WORD = re.compile(r"[^\W_]+")


def _written_words(text: str) -> list[tuple[str, str, bool]]:
    """(normalised word, word as written, first word of its line) in reading order,
    aligned with ``skills.normalize(text).split()``."""
    out: list[tuple[str, str, bool]] = []
    for line in text.splitlines():
        first = True
        for chunk in line.split():
            norm = skills.normalize(chunk).split()
            pieces = _WORD.findall(chunk)
            if len(pieces) != len(norm):
                pieces = [chunk] * len(norm)
            for n, w in zip(norm, pieces, strict=True):
                out.append((n, w, first))
                first = False
    return out


@cache
def _commune_names() -> frozenset[str]:
    return frozenset(skills.normalize(c.name) for c in territory.all_communes())


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _known(norm: str) -> bool:
    return norm in skills.taxonomy().idf


def _is_not_a_skill(words: list[tuple[str, str, bool]], start: int, end: int) -> bool:
    span = words[start:end]
    norms = [n for n, _, _ in span]
    if any(any(ch.isdigit() for ch in n) or n in MONTHS for n in norms):
        return True
    if all(_capitalised(w) for _, w, _ in span) and " ".join(norms) in _commune_names():
        return True
    if end - start == 1:
        norm, word, first = span[0]
        if _capitalised(word) and norm in FIRST_NAMES:
            return True
        # Neighbours on the same line only: a line break separates a name from a skill.
        neighbours = []
        if start > 0 and not first:
            neighbours.append(words[start - 1])
        if end < len(words) and not words[end][2]:
            neighbours.append(words[end])
        if _capitalised(word) and any(
            _capitalised(w) and not _known(n) and n not in MONTHS for n, w, _ in neighbours
        ):
            return True
    return False


def skills_read_in_cv(text: str | None, declared: list[str], limit: int = 20) -> list[str]:
    """Skills of the taxonomy read in a CV's text that the person did not write themselves."""
    if not text:
        return []
    words = _written_words(text)
    have = {skills.normalize(s) for s in declared}
    out: list[str] = []
    for item in skills.extract_skills(text):
        if len(words) == len(skills.normalize(text).split()) and _is_not_a_skill(
            words, item["start"], item["end"]
        ):
            continue
        key = skills.normalize(item["label"])
        if key not in have and item["label"] not in out:
            out.append(item["label"])
        if len(out) >= limit:
            break
    return out
