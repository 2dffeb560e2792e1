"""The score of a candidate for a need: 0 to 100, from job criteria only.

Criteria and their maximum points (they add up to 100):

- skills (45): each skill of the need counts 1 when a skill of the candidate
  is the same text or names the same skill concept (``skills.concepts``: the
  speciality, technique, tool or certification, with its synonyms); a need
  skill that names no concept (the job itself, "comptabilité") counts 1 for
  any skill the taxonomy places in the same job. A specific need skill counts
  ``SAME_JOB`` (less) for a candidate skill of the same job but another
  speciality, or a diploma of the job (a diploma proves the job and its
  level, not each skill). Where the taxonomy does not know one of the two
  texts, close texts count their similarity (rapidfuzz, at least
  ``FUZZY_MIN``). A candidate skill only fully meets the need skills whose
  concepts it names;
- ROME (20): same ROME code, or same family (first three characters), or a
  neighbouring job (``skills.related_codes``: close vocabulary in the taxonomy);
- level (10): exact, one step above or below;
- hours (10): the need's hours within the hours the candidate still wants
  (their wish minus the commitments running on the need's start, ``matching.week``);
- days (10): share of the need's days the candidate has free;
- contract (5): the contract is one the candidate accepts.

Nothing else enters: no name, contact, source, notes, commune or distance
(Code du travail L1132-1). Location only acts through the hard constraint on
the candidate's own mobility radius (``matching.constraints``).

Every criterion gives whole points and a French sentence; the explanation
entries add up exactly to the score. ``matching.index`` computes the same
numbers over numpy columns; a test checks both agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from connectences import skills, territory
from connectences.matching import week
from connectences.matching.constraints import (
    ConstraintCheck,
    hard_constraint_checks,
    passes_hard_constraints,
)
from connectences.matching.data import CandidateData, NeedData
from connectences.vocab import CONTRACTS, DAYS, LEVEL_RANK, LEVELS, label

WEIGHTS: dict[str, int] = {
    "skills": 45,
    "rome": 20,
    "level": 10,
    "hours": 10,
    "days": 10,
    "contract": 5,
}
CRITERIA: tuple[str, ...] = tuple(WEIGHTS)

# Fuzzy text similarity (0..100) from which two skills unknown to the taxonomy
# count as the same; the skill then counts for similarity/100.
FUZZY_MIN = 80.0
# What a specific need skill is worth when the candidate only shows the same job
# (another speciality of it, or a diploma of it): explicit partial credit.
SAME_JOB = 0.4

# ROME points: declared by the candidate, or only inferred from their skills.
ROME_POINTS = {
    ("code", True): 20,
    ("family", True): 10,
    ("related", True): 5,
    ("code", False): 15,
    ("family", False): 8,
    ("related", False): 5,
}
# Level points by (candidate rank - need rank); below -1 is a hard constraint.
LEVEL_POINTS = {0: 10, 1: 7, -1: 5}
LEVEL_POINTS_FAR_ABOVE = 3


def round_half_up(value: float) -> int:
    """Whole points, rounding halves up (the same in numpy: floor(x + 0.5))."""
    return math.floor(value + 0.5)


def fr_number(value: float) -> str:
    """A number written the French way: 7.5 -> '7,5', 12.0 -> '12'."""
    return f"{value:g}".replace(".", ",")


@dataclass(frozen=True, slots=True)
class SkillRef:
    """A skill as written, with what matching compares: normalised text, fuzzy key, the
    job concept of the taxonomy, and the skill concepts it names (``skills.concepts``)."""

    label: str
    norm: str
    key: str
    concept: str | None
    hits: tuple[skills.ConceptHit, ...] = ()

    @property
    def concepts(self) -> frozenset[str]:
        """Ids of the skill concepts this text names."""
        return frozenset(h.concept for h in self.hits)

    @property
    def diploma(self) -> bool:
        """True when the text only names diplomas."""
        return bool(self.hits) and all(h.kind == "diploma" for h in self.hits)


@lru_cache(maxsize=100_000)
def skill_ref(text: str) -> SkillRef:
    """Prepare a free-text skill once: normalised, fuzzy key, job and skill concepts."""
    hits = skills.skill_concepts(text)
    concept = skills.concept_of(text)
    if concept is None and hits:
        # A speciality the job taxonomy does not word ("attestation de capacité
        # fluides") still belongs to the jobs of its concepts.
        concept = skills.common_concept(
            {code for h in hits for code in skills.skill_concept(h.concept).codes}
        )
    return SkillRef(text, skills.normalize(text), skills.fuzzy_key(text), concept, hits)


def need_skill_refs(need: NeedData) -> list[SkillRef]:
    """The need's skills, prepared, without duplicates (same normalised text)."""
    out: list[SkillRef] = []
    seen: set[str] = set()
    for text in need.skills:
        ref = skill_ref(text)
        if ref.norm and ref.norm not in seen:
            seen.add(ref.norm)
            out.append(ref)
    return out


def candidate_skill_refs(cand: CandidateData) -> list[SkillRef]:
    """The candidate's skills, prepared (empty texts dropped)."""
    return [r for r in (skill_ref(t) for t in cand.skills) if r.norm]


def need_rome(need: NeedData) -> tuple[str | None, bool]:
    """The need's ROME code and whether it was given (True) or read from its title (False)."""
    if need.rome:
        return need.rome, True
    concept = skills.concept_of(need.title)
    if concept and len(concept) == 5:
        return concept, False
    return None, False


def candidate_romes(cand: CandidateData) -> tuple[frozenset[str], bool]:
    """ROME codes the candidate looks for; read from their skills when none is declared."""
    if cand.rome:
        return frozenset(cand.rome), True
    inferred = {r.concept for r in candidate_skill_refs(cand) if r.concept and len(r.concept) == 5}
    return frozenset(inferred), False


# --- criteria ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SkillMeet:
    """How one skill of the need is met: value 0..1, by which skill, and how."""

    need: SkillRef
    value: float
    by: SkillRef | None
    # "texte" | "competence" | "taxonomie" | "metier" | "diplome" | "proche" | ""
    how: str
    similarity: float = 0.0
    hit: skills.ConceptHit | None = None  # the candidate's term naming the shared concept


# Among equally valuable ways to meet a skill, the explanation names the most telling.
_HOW_RANK = {"texte": 5, "competence": 4, "taxonomie": 3, "metier": 2, "diplome": 1, "proche": 0}


def meet_pair(need_skill: SkillRef, c: SkillRef) -> SkillMeet:
    """How one candidate skill meets one need skill (value 0 when it does not)."""
    if c.norm == need_skill.norm:
        return SkillMeet(need_skill, 1.0, c, "texte", 100.0)
    shared = need_skill.concepts & c.concepts
    if shared:
        hit = next(h for h in c.hits if h.concept in shared)
        return SkillMeet(need_skill, 1.0, c, "competence", 100.0, hit)
    if need_skill.concept and c.concept:
        # Two skills the taxonomy places in different jobs never meet as text:
        # "cuisine" and "pose de cuisines" share letters, not a job.
        if not skills.concepts_meet(need_skill.concept, c.concept):
            return SkillMeet(need_skill, 0.0, None, "")
        if not need_skill.concepts:
            return SkillMeet(need_skill, 1.0, c, "taxonomie", 100.0)
        return SkillMeet(need_skill, SAME_JOB, c, "diplome" if c.diploma else "metier")
    sim = fuzzy_similarity(need_skill.key, c.key)
    if sim >= FUZZY_MIN:
        return SkillMeet(need_skill, sim / 100.0, c, "proche", sim)
    return SkillMeet(need_skill, 0.0, None, "")


def meet_skill(need_skill: SkillRef, cand_skills: Iterable[SkillRef]) -> SkillMeet:
    """The best way a candidate's skills meet one skill of the need."""
    best = SkillMeet(need_skill, 0.0, None, "")
    for c in cand_skills:
        m = meet_pair(need_skill, c)
        if (m.value, _HOW_RANK.get(m.how, -1)) > (best.value, _HOW_RANK.get(best.how, -1)):
            best = m
    return best


def fuzzy_similarity(key_a: str, key_b: str) -> float:
    """Similarity of two fuzzy keys (see ``skills.skill_similarity``)."""
    return skills.skill_similarity_keys(key_a, key_b)


def skills_points(meets: list[SkillMeet]) -> int:
    """Skill points from each need skill's value (same arithmetic as the index)."""
    if not meets:
        return 0
    total = 0.0
    for m in meets:
        total = total + m.value
    return round_half_up(WEIGHTS["skills"] * total / len(meets))


def _meet_text(m: SkillMeet) -> str:
    need, by = f"« {m.need.label} »", f"« {m.by.label} »"
    if m.how == "texte":
        return f"{need} (indiquée telle quelle)"
    if m.how == "competence":
        shared = skills.skill_concept(m.hit.concept)
        why = {
            "tool": f"outil de {shared.label}",
            "certification": f"certification en {shared.label}",
            "diploma": "même diplôme",
        }.get(m.hit.kind, f"même compétence : {shared.label}")
        return f"{need} par {by} ({why})"
    where = skills.rome_label(m.need.concept) or m.need.concept
    if m.how == "taxonomie":
        return f"{need} par {by} (même métier : {where})"
    if m.how == "metier":
        return f"{need} en partie par {by} (même métier, autre spécialité : {where})"
    if m.how == "diplome":
        return f"{need} en partie par {by} (diplôme du métier : {where}, pas cette compétence)"
    return f"{need} par {by} (libellé proche à {round_half_up(m.similarity)} %)"


def _skills_text(meets: list[SkillMeet]) -> str:
    if not meets:
        return "Le besoin ne précise aucune compétence."
    full = [m for m in meets if m.value >= 1.0 or m.how == "proche"]
    partial = [m for m in meets if 0 < m.value < 1.0 and m.how != "proche"]
    missing = [m.need.label for m in meets if m.value == 0]
    text = f"Compétences : {len(full)} sur {len(meets)} retrouvée{'s' if len(full) > 1 else ''}"
    if partial:
        text += f", {len(partial)} en partie"
    parts = [_meet_text(m) for m in full + partial]
    if parts:
        text += " : " + " ; ".join(parts)
    text += "."
    if missing:
        text += " Non retrouvée" + ("s" if len(missing) > 1 else "") + " : "
        text += ", ".join(f"« {m} »" for m in missing) + "."
    return text


def rome_points(need: NeedData, cand: CandidateData) -> tuple[int, str]:
    """Points and sentence for the ROME criterion."""
    code, given = need_rome(need)
    if code is None:
        return 0, "Le besoin n'a pas de code ROME : critère métier non évalué."
    codes, declared = candidate_romes(cand)
    source = "recherché par le candidat" if declared else "déduit de ses compétences"
    name = skills.rome_label(code)
    named = f"{code} — {name}" if name else code
    if code in codes:
        return ROME_POINTS[("code", declared)], f"Même métier ROME ({named}), {source}."
    family = [c for c in sorted(codes) if c[:3] == code[:3]]
    if family:
        other = family[0]
        return (
            ROME_POINTS[("family", declared)],
            f"Métier de la même famille ROME ({other} pour {named}), {source}.",
        )
    related = [c for c in sorted(codes) if c in skills.related_codes(code)]
    if related:
        other = related[0]
        other_name = skills.rome_label(other)
        other_named = f"{other} — {other_name}" if other_name else other
        return (
            ROME_POINTS[("related", declared)],
            f"Métier voisin ({other_named}) de {named} d'après le ROME, {source}.",
        )
    if not codes:
        return 0, f"Aucun métier ROME connu pour le candidat ; le besoin relève de {named}."
    return 0, f"Métiers recherchés ({', '.join(sorted(codes))}) différents de {named}."


def level_points(need: NeedData, cand: CandidateData) -> tuple[int, str]:
    """Points and sentence for the qualification level."""
    gap = LEVEL_RANK[cand.level] - LEVEL_RANK[need.level]
    cl, nl = label(LEVELS, cand.level), label(LEVELS, need.level)
    if gap == 0:
        return LEVEL_POINTS[0], f"Niveau identique à celui demandé ({nl})."
    if gap == 1:
        return LEVEL_POINTS[1], f"Niveau un cran au-dessus de celui demandé ({cl} pour {nl})."
    if gap == -1:
        return LEVEL_POINTS[-1], f"Niveau un cran en dessous de celui demandé ({cl} pour {nl})."
    if gap > 1:
        return (
            LEVEL_POINTS_FAR_ABOVE,
            f"Niveau nettement au-dessus de celui demandé ({cl} pour {nl}).",
        )
    return 0, f"Niveau trop éloigné de celui demandé ({cl} pour {nl})."


def hours_points(need: NeedData, cand: CandidateData) -> tuple[int, str]:
    """Points and sentence for the weekly hours, against what the person still wants."""
    h = need.hours_per_week
    sentence = week.week_sentence(cand, need.start) if cand.commitments else None
    if sentence is None:
        hmin, hmax = cand.hours_min, cand.hours_max
        wish = f"{fr_number(hmin)} à {fr_number(hmax)} h souhaitées"
    else:
        # Same arithmetic as the index: max(hours_min - committed, 0), hours_max - committed.
        committed = week.committed_hours(cand, need.start)
        hmin, hmax = max(cand.hours_min - committed, 0.0), cand.hours_max - committed
        wish = f"{sentence[:-1]} ; {fr_number(hmin)} à {fr_number(hmax)} h encore souhaitées"
    if hmin <= h <= hmax:
        return WEIGHTS[
            "hours"
        ], f"{fr_number(h)} h par semaine, dans ce que souhaite le candidat ({wish})."
    if h < hmin:
        points = round_half_up(WEIGHTS["hours"] / 2 + WEIGHTS["hours"] / 2 * h / hmin)
        return (
            points,
            f"{fr_number(h)} h par semaine, moins que souhaité ({wish}) : "
            "à compléter par un autre temps partagé.",
        )
    return 0, f"{fr_number(h)} h par semaine, plus que souhaité ({wish})."


def days_points(need: NeedData, cand: CandidateData) -> tuple[int, str]:
    """Points and sentence for the working days (the candidate's free days)."""
    if not need.days:
        return 0, "Le besoin ne précise pas de jours."
    holds_work = bool(cand.commitments) and bool(week.running(cand.commitments, need.start))
    free = week.free_days(cand, need.start) if holds_work else cand.days
    common = [DAYS[d] for d in DAYS if d in need.days and d in free]
    missing = [DAYS[d] for d in DAYS if d in need.days and d not in free]
    points = round_half_up(WEIGHTS["days"] * len(common) / len(need.days))
    adjective = "libre" if holds_work else "disponible"
    if not missing:
        return points, f"{adjective.capitalize()} tous les jours du besoin ({', '.join(common)})."
    return (
        points,
        f"{adjective.capitalize()} {len(common)} jour{'s' if len(common) > 1 else ''} "
        f"sur {len(need.days)} ({', '.join(common) or 'aucun'}) ; pas le {', '.join(missing)}.",
    )


def contract_points(need: NeedData, cand: CandidateData) -> tuple[int, str]:
    """Points and sentence for the contract."""
    name = label(CONTRACTS, need.contract)
    if need.contract in cand.contracts:
        return WEIGHTS["contract"], f"Contrat accepté : {name}."
    return 0, f"Contrat non accepté : {name}."


# --- score ---------------------------------------------------------------------------


def skill_meets(need: NeedData, cand: CandidateData) -> list[SkillMeet]:
    """How each skill of the need is met by the candidate's skills."""
    cand_skills = candidate_skill_refs(cand)
    return [meet_skill(s, cand_skills) for s in need_skill_refs(need)]


def explanation(need: NeedData, cand: CandidateData) -> list[dict]:
    """One entry per criterion ``{"criterion", "points", "text"}``; points add up to the score."""
    meets = skill_meets(need, cand)
    entries = [
        {"criterion": "skills", "points": skills_points(meets), "text": _skills_text(meets)},
    ]
    for name, fn in (
        ("rome", rome_points),
        ("level", level_points),
        ("hours", hours_points),
        ("days", days_points),
        ("contract", contract_points),
    ):
        points, text = fn(need, cand)
        entries.append({"criterion": name, "points": points, "text": text})
    return entries


def score_pair(need: NeedData, cand: CandidateData) -> tuple[int, list[dict]]:
    """Score (0..100) and explanation of a candidate for a need, hard constraints aside."""
    entries = explanation(need, cand)
    return sum(e["points"] for e in entries), entries


def score(need: NeedData, cand: CandidateData) -> int:
    """The score alone (0..100)."""
    return score_pair(need, cand)[0]


DistanceFn = Callable[[str, str], float | None]


def _territory_distance(a: str, b: str) -> float | None:

    return territory.distance_km(a, b)


def rank_candidates(
    need: NeedData,
    candidates: Iterable[CandidateData],
    limit: int | None = 20,
    distance: DistanceFn | None = None,
) -> list[dict]:
    """Candidates who pass every hard constraint, best score first, ties by ref.

    The plain, candidate-by-candidate version of the matcher: the reference that
    ``matching.index`` must agree with, and the baseline of the benchmark.
    """
    distance = distance or _territory_distance
    results = []
    for cand in candidates:
        if not passes_hard_constraints(need, cand, distance(cand.commune, need.commune)):
            continue
        points, entries = score_pair(need, cand)
        results.append({"candidate": cand.ref, "score": points, "explanation": entries})
    results.sort(key=lambda r: (-r["score"], r["candidate"]))
    return results if limit is None else results[:limit]


def explain_pair(need: NeedData, cand: CandidateData, distance_km: float | None) -> dict:
    """ "Pourquoi pas ce candidat ?": every hard constraint checked, then the score if proposed.

    Returns ``{"need", "candidate", "proposed", "checks": [{"code", "ok", "text"}],
    "failed": [...], "score", "explanation"}``; ``score`` and ``explanation`` are
    None when a hard constraint fails, and ``summary`` says it in one French sentence.
    """
    checks: list[ConstraintCheck] = hard_constraint_checks(need, cand, distance_km)
    failed = [c for c in checks if not c.ok]
    out = {
        "need": need.ref,
        "candidate": cand.ref,
        "proposed": not failed,
        "checks": [c.as_dict() for c in checks],
        "failed": [c.as_dict() for c in failed],
        "score": None,
        "explanation": None,
    }
    if failed:
        out["summary"] = "Candidat non proposé : " + " ".join(c.text for c in failed)
    else:
        points, entries = score_pair(need, cand)
        out["score"] = points
        out["explanation"] = entries
        out["summary"] = f"Candidat proposé avec un score de {points} sur 100."
    return out
