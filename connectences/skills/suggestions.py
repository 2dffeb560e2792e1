"""Suggestions while a form is typed: ROME codes for a need, skills for a CV."""

from __future__ import annotations

from collections import defaultdict

from connectences.skills.concepts import concept, concepts_of_code, skill_concepts
from connectences.skills.taxonomy import (
    lookup,
    related_codes,
    rome_label,
    suggest,
)
from connectences.skills.text import tokens

# Votes of a text for a job: placed by the taxonomy (whole text, then each word),
# named through a skill concept, or only near in spelling (fuzzy suggestions).
PLACED = 10.0
PLACED_WORD = 4.0
CONCEPT = 3.0
FUZZY = 0.5


def _placed(text: str) -> dict[str, float]:
    """Jobs the taxonomy places a text in: the whole text, else each of its words."""
    votes: dict[str, float] = defaultdict(float)
    match = lookup(text)
    codes = [t.code for t in match.terms] if match.concept else []
    if match.concept and len(match.concept) == 5:
        votes[match.concept] += PLACED
    elif codes:
        for code in set(codes):
            votes[code] += PLACED / len(set(codes))
    else:
        for word in tokens(text):
            if len(word) < 4 or word.isdigit():
                continue
            word_match = lookup(word)
            if word_match.concept and len(word_match.concept) == 5:
                votes[word_match.concept] += PLACED_WORD
    for hit in skill_concepts(text):
        codes = concept(hit.concept).codes
        for code in codes:
            votes[code] += CONCEPT / len(codes)
    return votes


def rome_suggestions(need_title: str, skills: list[str], limit: int = 8) -> list[tuple[str, str]]:
    """ROME codes suggested for a need from its title and skills: (code, label), best first.

    The jobs where the taxonomy places the title and the skills come first; the
    title's near-misses in spelling ("2 jours par semaine de compta" also looks
    like "Vente de voyages") are only offered when they are the placed job's
    family or neighbours, or when nothing could be placed at all.
    """
    placed: dict[str, float] = defaultdict(float)
    fuzzy: dict[str, float] = defaultdict(float)
    for weight, text in [(2.0, need_title), *((1.0, s) for s in skills[:8])]:
        for code, vote in _placed(text).items():
            placed[code] += weight * vote
        seen: set[str] = set()
        for rank, item in enumerate(suggest(text, limit=6)):
            code = item.get("code")
            if not code or code in seen or not rome_label(code):
                continue
            seen.add(code)
            fuzzy[code] += weight * FUZZY * (6 - rank)
    if placed:
        anchor = max(sorted(placed), key=lambda c: placed[c])
        near = {anchor, *related_codes(anchor)}
        allowed = set(placed) | {c for c in fuzzy if c in near or c[:3] == anchor[:3]}
    else:
        allowed = set(fuzzy)
    votes = {c: placed.get(c, 0.0) + fuzzy.get(c, 0.0) for c in allowed}
    ranked = sorted(votes, key=lambda c: (-votes[c], c))
    return [(code, rome_label(code)) for code in ranked[:limit]]


def skill_suggestions(query: str, context: list[str], limit: int = 8) -> list[dict]:
    """Skills to suggest while ``query`` is typed, after the skills in ``context``.

    Suggestions come from the taxonomy (``suggest``); when the skills already
    written place the person in some jobs, the skills of those jobs (and their
    concepts) come first and skills of unrelated jobs are dropped, so that
    "sciage" is not offered after "paie" and "DSN".
    """
    jobs: dict[str, float] = defaultdict(float)
    for text in context[-8:]:
        for code, vote in _placed(text).items():
            jobs[code] += vote
    items = suggest(query, limit=limit * 4)
    if not jobs:
        return items[:limit]
    near = set(jobs)
    for code in list(jobs):
        near |= related_codes(code)
    families = {c[:3] for c in jobs}
    kept = [i for i in items if i.get("code") in near or (i.get("code") or "")[:3] in families]
    seen = {i["label"].lower() for i in kept}
    typed = query.strip().lower()
    # Concepts of the person's jobs whose label starts as typed, not yet offered.
    for code in sorted(jobs, key=lambda c: -jobs[c]):
        for c in concepts_of_code(code):
            if c.label.lower().startswith(typed) and c.label.lower() not in seen:
                seen.add(c.label.lower())
                kept.append({"kind": "skill", "code": code, "label": c.label})
    kept.sort(key=lambda i: -jobs.get(i.get("code") or "", 0.0))
    return kept[:limit]
