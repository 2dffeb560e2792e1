"""Suggestions while a form is typed: ROME codes for a need, skills for a CV."""

from __future__ import annotations

from connectences.skills.taxonomy import rome_label, suggest


def rome_suggestions(need_title: str, skills: list[str], limit: int = 8) -> list[tuple[str, str]]:
    """ROME codes suggested for a need from its title and skills: (code, label), best first."""
    # Each text votes for its suggestions, the first ones weighing most: the job that
    # the title and several skills agree on comes first, instead of the title's fuzzy
    # near-misses ("2 jours par semaine de compta" also looks like "Vente de voyages").
    per_text = 6
    votes: dict[str, int] = {}
    for text in [need_title, *skills[:5]]:
        seen: set[str] = set()
        for rank, item in enumerate(suggest(text, limit=per_text)):
            code = item.get("code")
            if not code or code in seen or not rome_label(code):
                continue
            seen.add(code)
            votes[code] = votes.get(code, 0) + per_text - rank
    ranked = sorted(votes, key=lambda code: -votes[code])  # stable: first seen wins ties
    return [(code, rome_label(code)) for code in ranked[:limit]]
