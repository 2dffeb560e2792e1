"""The one reader of skills as people type them: every form, the API's qualification,
the spreadsheet import of CVs and the offline records read a skill field here, so they
split it and refuse the same things with the same French words (none, too many, one too
long, one expressing a criterion the law forbids in hiring: ``skills.forbidden``).
"""

from __future__ import annotations

import re

from connectences.skills.forbidden import forbidden_problem
from connectences.skills.text import MAX_SKILL_LENGTH, normalize
from connectences.typography import too_long

_SKILL_SEPARATORS = re.compile(r"[\n,;]")


def split_skills(raw: object) -> list[str]:
    """Skills as a person wrote them, one per line or separated by commas or semicolons
    (or a list), bullets and spacing tidied, each once (compared through ``normalize``)."""
    if isinstance(raw, list | tuple):
        parts = [str(p) for p in raw]
    else:
        parts = _SKILL_SEPARATORS.split(str(raw or ""))
    seen: set[str] = set()
    out: list[str] = []
    for part in parts:
        label = re.sub(r"\s+", " ", part).strip(" -•*\t")
        key = normalize(label)
        if label and key not in seen:
            seen.add(key)
            out.append(label)
    return out


def too_many_skills(most: int) -> str:
    """The French message for more than ``most`` skills."""
    return f"Indiquez au plus {most} compétences."


def skills_problem(labels: list[str], most: int) -> str | None:
    """The French message for a list of skills a form refuses (none, too many, one too
    long: never cut without a word; one expressing a criterion the law forbids in hiring,
    ``skills.forbidden``), or None."""
    if not labels:
        return "Indiquez au moins une compétence."
    if len(labels) > most:
        return too_many_skills(most)
    longest = next((s for s in labels if len(s) > MAX_SKILL_LENGTH), None)
    if longest:
        return too_long(f"La compétence « {longest[:40]}… »", longest, MAX_SKILL_LENGTH)
    return forbidden_problem(labels)
