"""The score of a candidate for a need: 0 to 100, from job criteria only.

Criteria and their maximum points (they add up to 100):

- skills (45): each skill of the need is worth 0 to 1, and the criterion gives
  45 times their mean, to the tenth of a point (``SKILL_STEP``) so that
  candidates who differ in skills differ in score. A need skill is worth 1
  when a skill of the candidate is the same text or names the same skill
  concept (``skills.concepts``: the speciality, technique, tool or
  certification, with its synonyms), or when the need skill only names the job
  ("comptabilité", "secrétariat") and the candidate skill belongs to the same
  job. Otherwise partial credit, graded: ``RELATED`` for a concept related to
  the need skill's (same family of techniques, possibly in another job: "taille
  de haies" for "élagage"), ``DIPLOMA`` for a diploma of the job (it proves the
  job and its level, not the skill), ``SAME_JOB`` for another speciality of
  the same job. Where the taxonomy does not know one of the two texts, close
  texts count their similarity (rapidfuzz, at least ``FUZZY_MIN``). Full
  meets never use a candidate skill up ("paie et DSN" meets both), but a
  candidate skill gives partial credit to one need skill at most, and the
  trade alone (a diploma, another speciality) to one need skill in all:
  partial meets are assigned for the highest total (``assign_meets``), whatever
  the order the person listed their skills in;
- ROME (20): same ROME code, or same family (first three characters), or a
  neighbouring job (``skills.related_codes``: close vocabulary in the taxonomy);
- level (10): exact, one step above or below;
- hours (10): the need's hours within the hours the candidate still wants
  (their wish minus the commitments running on the need's start, ``matching.week``);
- days (10): share of the need's days the candidate has free;
- contract (5): the contract is one the candidate accepts.

Nothing else enters: no name, contact, source, notes, commune or distance
(Code du travail L1132-1); nor a skill that expresses a criterion that law forbids
("homme", "moins de 30 ans": ``skills.forbidden``). Such a requirement of the need
is set aside, neither counted nor compared, and the explanation says so in an entry
of no points (``SET_ASIDE``); such a skill of the candidate is never compared. Both
cover what was stored before the forms and the import refused them. Location only acts through the hard constraint on
the candidate's own mobility radius (``matching.constraints``); when that
distance is unknown, the explanation says so in an entry of no points.

Every criterion gives points (whole points, the skills to the tenth) and a
French sentence; the explanation entries add up exactly to the score (a number
with at most one decimal). ``matching.index`` computes the same
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
    UNKNOWN_DISTANCE,
    ConstraintCheck,
    hard_constraint_checks,
    passes_hard_constraints,
)
from connectences.matching.data import CandidateData, NeedData
from connectences.numbers import DECIMALS
from connectences.skills import forbidden
from connectences.typography import decimal_fr, hours_plain
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
# The explanation entry (no points) of a need's requirement the law forbids to use.
SET_ASIDE = "set_aside"

# Fuzzy text similarity (0..100) from which two skills unknown to the taxonomy
# count as the same; the skill then counts for similarity/100.
FUZZY_MIN = 80.0
# Partial credit of a need skill that names a speciality, when the candidate
# does not show that speciality (see the module docstring), graded:
# a related concept (same family of techniques) says most about the skill,
RELATED = 0.6
# a diploma of the job proves the job and its level, not the skill,
DIPLOMA = 0.3
# another speciality of the same job only says the person works in the trade.
SAME_JOB = 0.2
if not 1.0 > RELATED > DIPLOMA > SAME_JOB > 0.0:
    raise ValueError("partial credits must stay ordered: related > diploma > same job")
# Resolution of the skills criterion: tenths of a point.
SKILL_STEP = 0.1
_SKILL_TENTHS = 10  # 1 / SKILL_STEP, an integer for exact arithmetic

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
    job concept of the taxonomy, the skill concepts it names (``skills.concepts``),
    whether one of them is a speciality (not only the job), the concepts related to
    them, and the jobs the skill belongs to (``jobs``: the jobs of its concepts, as
    the concept data lists them; the taxonomy's job for a text naming no concept), and
    the criterion forbidden in hiring it expresses, if any (never compared)."""

    label: str
    norm: str
    key: str
    concept: str | None
    hits: tuple[skills.ConceptHit, ...] = ()
    specific: bool = False
    related: frozenset[str] = frozenset()
    jobs: frozenset[str] = frozenset()
    forbidden: str | None = None

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
    specific = any(skills.skill_concept(h.concept).kind != "job" for h in hits)
    if specific:
        # "cuisine des poissons" is a speciality; "cuisine" only names its job there.
        hits = tuple(h for h in hits if skills.skill_concept(h.concept).kind != "job")
    own = {h.concept for h in hits}
    related = {r for c in own for r in skills.related_concepts(c)} - own
    # "produits de la mer" is a speciality of cooks (G1602) even where the taxonomy's
    # nearest job is the seafood industry: the concept data is the closer judge.
    jobs = {code for c in own for code in skills.skill_concept(c).codes} or (
        {concept} if concept else set()
    )
    return SkillRef(
        text,
        skills.normalize(text),
        skills.fuzzy_key(text),
        concept,
        hits,
        specific,
        frozenset(related),
        frozenset(jobs),
        forbidden.forbidden_criterion(text),
    )


def need_skill_refs(need: NeedData) -> list[SkillRef]:
    """The need's skills that matching compares, prepared, without duplicates (same
    normalised text): a requirement the law forbids is left out (``forbidden_requirements``)."""
    out: list[SkillRef] = []
    seen: set[str] = set()
    for text in need.skills:
        ref = skill_ref(text)
        if ref.norm and ref.norm not in seen and ref.forbidden is None:
            seen.add(ref.norm)
            out.append(ref)
    return out


def forbidden_requirements(need: NeedData) -> list[SkillRef]:
    """The need's requirements that express a criterion the law forbids in hiring,
    without duplicates: never compared, each named in the explanation."""
    out: list[SkillRef] = []
    seen: set[str] = set()
    for text in need.skills:
        ref = skill_ref(text)
        if ref.forbidden is not None and ref.norm not in seen:
            seen.add(ref.norm)
            out.append(ref)
    return out


def candidate_skill_refs(cand: CandidateData) -> list[SkillRef]:
    """The candidate's skills that matching compares, prepared (empty texts dropped, and
    those expressing a criterion the law forbids: they never add points)."""
    return [r for r in (skill_ref(t) for t in cand.skills) if r.norm and r.forbidden is None]


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
    # "texte" | "competence" | "taxonomie" | "proche" (full or close text);
    # "parente" | "diplome" | "metier" (partial credit); "" (not met)
    how: str
    similarity: float = 0.0
    hit: skills.ConceptHit | None = None  # the candidate's term naming the shared concept
    related: tuple[str, str] | None = None  # (need's concept, candidate's related concept)

    @property
    def full(self) -> bool:
        """A full meet: it does not use the candidate skill up."""
        return self.value >= 1.0


NO_MEET_HOW = ""
# Meets that only show the job (a diploma, another speciality): the same fact about
# the person however many skills say it, so it gives credit to one need skill.
JOB_LEVEL = frozenset({"diplome", "metier"})

# Among equally valuable ways to meet a skill, the explanation names the most telling.
_HOW_RANK = {
    "texte": 7,
    "competence": 6,
    "taxonomie": 5,
    "parente": 3,
    "diplome": 2,
    "metier": 1,
    "proche": 4,
}


def _better(a: SkillMeet, b: SkillMeet) -> bool:
    return (a.value, _HOW_RANK.get(a.how, -1)) > (b.value, _HOW_RANK.get(b.how, -1))


def meet_pair(need_skill: SkillRef, c: SkillRef) -> SkillMeet:
    """How one candidate skill meets one need skill: the best of the ways that apply
    (value 0 when none does)."""
    if c.norm == need_skill.norm:
        return SkillMeet(need_skill, 1.0, c, "texte", 100.0)
    shared = need_skill.concepts & c.concepts
    if shared:
        hit = next(h for h in c.hits if h.concept in shared)
        return SkillMeet(need_skill, 1.0, c, "competence", 100.0, hit)
    best = SkillMeet(need_skill, 0.0, None, NO_MEET_HOW)
    if jobs_meet(need_skill.jobs, c.jobs):
        if not need_skill.specific:
            return SkillMeet(need_skill, 1.0, c, "taxonomie", 100.0)
        if c.diploma:
            best = SkillMeet(need_skill, DIPLOMA, c, "diplome")
        else:
            best = SkillMeet(need_skill, SAME_JOB, c, "metier")
    # Two skills the taxonomy places in jobs never meet as text: "cuisine" and
    # "pose de cuisines" share letters, not a job.
    if not (need_skill.concept and c.concept):
        sim = fuzzy_similarity(need_skill.key, c.key)
        if sim >= FUZZY_MIN and sim / 100.0 > best.value:
            best = SkillMeet(need_skill, sim / 100.0, c, "proche", sim)
    related = need_skill.related & c.concepts
    if related and best.value < RELATED:
        # Deterministic choice of the pair the explanation names.
        theirs = min(related)
        mine = min(n for n in need_skill.concepts if theirs in skills.related_concepts(n))
        best = SkillMeet(need_skill, RELATED, c, "parente", related=(mine, theirs))
    return best


def jobs_meet(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when a job of one skill meets a job of the other (``skills.concepts_meet``)."""
    return shared_job(a, b) is not None


def shared_job(a: frozenset[str], b: frozenset[str]) -> str | None:
    """The first job of ``a`` (codes before families) meeting a job of ``b``."""
    for x in sorted(a, key=lambda j: (-len(j), j)):
        if any(skills.concepts_meet(x, y) for y in b):
            return x
    return None


def assign_meets(
    need_skills: list[SkillRef],
    cand_skills: Iterable[SkillRef],
    pair: Callable[[SkillRef, SkillRef], SkillMeet] | None = None,
) -> list[SkillMeet]:
    """How each need skill is met by the candidate's skills (``pair``: ``meet_pair``,
    or a memoised copy of it).

    A full meet (value 1) takes the best skill and uses nothing up. Partial credit
    is then given out so that its total is the highest possible (``_best_partial``):
    each candidate skill to one need skill at most, so that "débroussaillage" does
    not count for both "élagage" and "grimpe"; and job-level credit (``JOB_LEVEL``: a
    diploma, another speciality of the job) to one need skill at most, since it says
    one thing: the person's trade. The best total, not a greedy one: a greedy choice
    depended on the order the person listed their skills in, and could give a skill
    to a need skill another one would have met just as well.
    """
    pair = pair or meet_pair
    distinct: dict[str, SkillRef] = {}
    for c in cand_skills:
        distinct.setdefault(c.norm, c)
    cands = list(distinct.values())
    meets: list[SkillMeet | None] = [None] * len(need_skills)
    # need index -> its partial meets, by candidate norm
    partial: dict[int, dict[str, SkillMeet]] = {}
    for i, need_skill in enumerate(need_skills):
        best_full: SkillMeet | None = None
        for c in cands:
            m = pair(need_skill, c)
            if m.full:
                if best_full is None or _better(m, best_full):
                    best_full = m
            elif m.value > 0:
                partial.setdefault(i, {})[c.norm] = m
        meets[i] = best_full
    open_partial = {i: by for i, by in partial.items() if meets[i] is None}
    for i, m in _best_partial(open_partial).items():
        meets[i] = m
    return [
        m if m is not None else SkillMeet(need_skills[i], 0.0, None, NO_MEET_HOW)
        for i, m in enumerate(meets)
    ]


# Need skills with partial credit only, from which ``_best_partial`` no longer searches
# every assignment (2 ** n states: at 8, about 10 ms for a dozen skills each close to
# most of them) but gives credit greedily, highest first. Needs rarely list as many.
EXACT_PARTIAL_MAX = 8


def _best_partial(partial: dict[int, dict[str, SkillMeet]]) -> dict[int, SkillMeet]:
    """Partial meets (need index -> {candidate norm: meet}) given out, each candidate
    skill to one need skill at most and job-level credit to one need skill in all, with
    the highest total credit; among equal totals the most telling ways (``_HOW_RANK``),
    then the first need skills and the candidate skills in alphabetical order: the
    result never depends on the order the person listed their skills in."""
    needs = sorted(partial)
    if not needs:
        return {}
    if len(needs) > EXACT_PARTIAL_MAX:
        return _greedy_partial(partial, needs)
    norms = sorted({norm for by in partial.values() for norm in by})
    bit = {i: 1 << k for k, i in enumerate(needs)}
    # (met needs mask, job credit used) -> (key, choices); key: total credit (rounded:
    # equal totals summed in another order stay equal), then the ways' ranks.
    states: dict[tuple[int, bool], tuple[tuple[float, int], tuple[tuple[int, SkillMeet], ...]]]
    states = {(0, False): ((0.0, 0), ())}
    for norm in norms:
        grown = dict(states)
        for (mask, job), (key, chosen) in states.items():
            for i in needs:
                m = partial[i].get(norm)
                if m is None or mask & bit[i] or (job and m.how in JOB_LEVEL):
                    continue
                state = (mask | bit[i], job or m.how in JOB_LEVEL)
                total = (round(key[0] + m.value, 9), key[1] + _HOW_RANK[m.how])
                if state not in grown or total > grown[state][0]:
                    grown[state] = (total, (*chosen, (i, m)))
        states = grown
    _key, chosen = max(states.values(), key=lambda kc: kc[0])
    return dict(chosen)


def _greedy_partial(
    partial: dict[int, dict[str, SkillMeet]], needs: list[int]
) -> dict[int, SkillMeet]:
    """``_best_partial`` for many need skills: highest credit first (ties: need order,
    then candidate skills in alphabetical order)."""
    offers = sorted(
        (-m.value, -_HOW_RANK[m.how], i, norm, m) for i in needs for norm, m in partial[i].items()
    )
    out: dict[int, SkillMeet] = {}
    used: set[str] = set()
    job_used = False
    for _v, _h, i, norm, m in offers:
        if i in out or norm in used or (job_used and m.how in JOB_LEVEL):
            continue
        out[i] = m
        used.add(norm)
        job_used = job_used or m.how in JOB_LEVEL
    return out


def fuzzy_similarity(key_a: str, key_b: str) -> float:
    """Similarity of two fuzzy keys (see ``skills.skill_similarity``)."""
    return skills.skill_similarity_keys(key_a, key_b)


def skills_points(meets: list[SkillMeet]) -> float:
    """Skill points, to the tenth, from each need skill's value (same arithmetic as the index)."""
    if not meets:
        return 0
    total = 0.0
    for m in meets:
        total = total + m.value
    return skill_points_of(total, len(meets))


def skill_points_of(total: float, count: int) -> float:
    """``WEIGHTS["skills"] * total / count`` rounded half up to ``SKILL_STEP``."""
    return round_half_up(WEIGHTS["skills"] * total / count * _SKILL_TENTHS) / _SKILL_TENTHS


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
    if m.how == "parente":
        mine, theirs = m.related
        why = skills.related_concepts(mine)[theirs]
        return f"{by} proche de {need} ({why})"
    job = shared_job(m.need.jobs, m.by.jobs) or ""
    where = skills.rome_label(job) or job
    if m.how == "taxonomie":
        return f"{need} par {by} (même métier : {where})"
    if m.how == "metier":
        return f"{need} en partie par {by} (même métier, autre spécialité : {where})"
    if m.how == "diplome":
        return f"{need} en partie par {by} (diplôme du métier : {where}, pas cette compétence)"
    return f"{need} par {by} (libellé proche à {round_half_up(m.similarity)} %)"


def _skills_text(meets: list[SkillMeet], set_aside_count: int = 0) -> str:
    if not meets and set_aside_count:
        return "Aucune compétence du besoin à comparer : celles indiquées ont été écartées."
    if not meets:
        return "Le besoin ne précise aucune compétence."
    full = [m for m in meets if m.full or m.how == "proche"]
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
    """Points and sentence for the ROME criterion. A code read from the need's title says
    so: the need's page shows no métier, and the sentence must not seem to contradict it."""
    code, given = need_rome(need)
    if code is None:
        return 0, "Le besoin n'a pas de code ROME : critère métier non évalué."
    points, text = _rome_meet(code, cand)
    if not given:
        text = f"Métier du besoin déduit de son intitulé. {text}"
    return points, text


def _rome_meet(code: str, cand: CandidateData) -> tuple[int, str]:
    codes, declared = candidate_romes(cand)
    source = "recherché par le candidat" if declared else "déduit de ses compétences"
    named = skills.rome_named(code)
    if code in codes:
        return ROME_POINTS[("code", declared)], f"Même métier ROME ({named}), {source}."
    family = [c for c in sorted(codes) if c[:3] == code[:3]]
    if family:
        other = family[0]
        return (
            ROME_POINTS[("family", declared)],
            f"Métier de la même famille ROME ({skills.rome_named(other)} pour {named}), {source}.",
        )
    related = [c for c in sorted(codes) if c in skills.related_codes(code)]
    if related:
        return (
            ROME_POINTS[("related", declared)],
            f"Métier voisin ({skills.rome_named(related[0])}) de {named} d'après le ROME, {source}.",
        )
    if not codes:
        return 0, f"Aucun métier ROME connu pour le candidat ; le besoin relève de {named}."
    cited = ", ".join(skills.rome_named(c) for c in sorted(codes))
    return 0, f"Métiers recherchés ({cited}) différents de {named}."


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


def _hours_number(value: float) -> str:
    """Hours without their unit, written as ``typography.hours_plain`` writes them (the
    week's sentence beside them): 7,5 ; 7,33 for 7.333, never 7,333 there and 7,33 here."""
    return decimal_fr(value, DECIMALS)


def hours_points(need: NeedData, cand: CandidateData) -> tuple[int, str]:
    """Points and sentence for the weekly hours, against what the person still wants."""
    h = need.hours_per_week
    # The person's week as the need's lines say it (``week.start_sentence``: the week at
    # its start, and the work taking its time today that ends before it), said first,
    # as the hard constraints' hours check says it: the same words on every page.
    said = week.start_sentence(cand, need) if cand.commitments else None
    if not (cand.commitments and week.running(cand.commitments, need.start)):
        hmin, hmax = cand.hours_min, cand.hours_max
        wish = f"{_hours_number(hmin)} à {hours_plain(hmax)} souhaitées"
    else:
        # The week's owner, as the index: what is still wished at least, the hours left.
        hmin, hmax = week.wished_hours(cand, need.start), week.hours_left(cand, need.start)
        # The work held may already reach the least they wished: "0 à 16 h" reads as
        # wishing nothing, "jusqu'à 16 h" says what is left.
        span = f"{_hours_number(hmin)} à " if hmin > 0 else "jusqu'à "
        wish = f"{span}{hours_plain(hmax)} encore souhaitées"
    prefix = f"{said} " if said else ""
    # Float error aside (``week.hours_fit``), as the hard constraint and the index.
    if week.hours_fit(hmin, h) and week.hours_fit(h, hmax):
        return WEIGHTS["hours"], (
            f"{prefix}{hours_plain(h)} par semaine, dans ce que souhaite le candidat ({wish})."
        )
    if not week.hours_fit(hmin, h):
        points = round_half_up(WEIGHTS["hours"] / 2 + WEIGHTS["hours"] / 2 * h / hmin)
        return (
            points,
            f"{prefix}{hours_plain(h)} par semaine, moins que souhaité ({wish}) : "
            "à compléter par un autre temps partagé.",
        )
    return 0, f"{prefix}{hours_plain(h)} par semaine, plus que souhaité ({wish})."


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
    # A day the person offers but already works (a commitment) is said apart from a day
    # they never offered: the animateur reads why the overlap is only partial.
    # Work not begun by the need's start takes its days all the same (the need runs into
    # it) but is said as the week says it (« Prévu … à partir du … »), not as work held.
    taken = week.taken_days(cand, need.start) if holds_work else frozenset()
    held = week.running(cand.commitments, need.start)
    begun = {d for c in held if not week.not_started(c, need.start) for d in c.days}
    offered = [d for d in DAYS if d in need.days and d in cand.days]
    busy = [d for d in offered if d in begun]
    planned = [d for d in offered if d in taken and d not in begun]
    absent = [d for d in DAYS if d in need.days and d not in cand.days]
    why = []
    if absent:
        why.append("pas " + " ni ".join(f"le {DAYS[d]}" for d in absent))
    if busy:
        verb = "est" if len(busy) == 1 else "sont"
        why.append(f"{week.on_days_text(busy)} {verb} déjà pris par son travail actuel")
    if planned:
        verb = "sera" if len(planned) == 1 else "seront"
        why.append(f"{week.on_days_text(planned)} {verb} pris par son travail prévu")
    return (
        points,
        f"{adjective.capitalize()} {len(common)} jour{'s' if len(common) > 1 else ''} "
        f"sur {len(need.days)} ({', '.join(common) or 'aucun'}) ; {' ; '.join(why)}.",
    )


def contract_points(need: NeedData, cand: CandidateData) -> tuple[int, str]:
    """Points and sentence for the contract."""
    name = label(CONTRACTS, need.contract)
    if need.contract in cand.contracts:
        return WEIGHTS["contract"], f"Contrat accepté : {name}."
    return 0, f"Contrat non accepté : {name}."


# --- score ---------------------------------------------------------------------------


def skill_meets(need: NeedData, cand: CandidateData) -> list[SkillMeet]:
    """How each skill of the need is met by the candidate's skills (``assign_meets``)."""
    return assign_meets(need_skill_refs(need), candidate_skill_refs(cand))


def explanation(need: NeedData, cand: CandidateData) -> list[dict]:
    """One entry per criterion ``{"criterion", "points", "text"}``; points add up to the score."""
    meets = skill_meets(need, cand)
    aside = forbidden_requirements(need)
    entries = [
        {
            "criterion": "skills",
            "points": skills_points(meets),
            "text": _skills_text(meets, len(aside)),
        },
    ]
    # Said, never counted: the person reading the ranking learns the need asked for it
    # and that the platform did not use it.
    entries.extend(
        {"criterion": SET_ASIDE, "points": 0, "text": forbidden.set_aside(r.label, r.forbidden)}
        for r in aside
    )
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


_MEASURED = object()


def score_pair(
    need: NeedData, cand: CandidateData, distance_km: float | None | object = _MEASURED
) -> tuple[float, list[dict]]:
    """Score (0..100, at most one decimal) and explanation of a candidate for a need,
    hard constraints aside. When the distance between the candidate's commune and the
    need's is unknown (``distance_km`` None, or measured on the territory when not
    given), the explanation says so in one more entry, of no points."""
    entries = explanation(need, cand)
    if distance_km is _MEASURED:
        distance_km = _territory_distance(cand.commune, need.commune)
    if distance_km is None:
        entries.append({"criterion": "distance", "points": 0, "text": UNKNOWN_DISTANCE})
    return sum(e["points"] for e in entries), entries


def score(need: NeedData, cand: CandidateData) -> float:
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
        km = distance(cand.commune, need.commune)
        if not passes_hard_constraints(need, cand, km):
            continue
        points, entries = score_pair(need, cand, km)
        results.append({"candidate": cand.ref, "score": points, "explanation": entries})
    results.sort(key=lambda r: (-r["score"], r["candidate"]))
    return results if limit is None else results[:limit]


def _failed_text(failed: list[ConstraintCheck], need: NeedData, cand: CandidateData) -> str:
    """The failed checks' texts joined, the person's week said once: the days and the
    hours checks each say it (each is read alone too)."""
    held = week.start_sentence(cand, need) if cand.commitments else None
    texts: list[str] = []
    for check in failed:
        text = check.text
        if held and held in text and any(held in t for t in texts):
            text = " ".join(text.replace(held, "").split())
        texts.append(text)
    return " ".join(texts)


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
        out["summary"] = "Candidat non proposé : " + _failed_text(failed, need, cand)
    else:
        points, entries = score_pair(need, cand, distance_km)
        out["score"] = points
        out["explanation"] = entries
        out["summary"] = f"Candidat proposé avec un score de {fr_number(points)} sur 100."
    return out
