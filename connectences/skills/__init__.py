"""Skills: normalisation, the ROME taxonomy, fuzzy lookup, suggestions and extraction.

Public API (stable signatures, used by the matcher, the importer and the web):
``normalize``, ``concept_of``, ``concepts_meet``, ``lookup``, ``suggest``,
``extract_skills``, ``skill_similarity``, ``fuzzy_key``, ``rome_label``,
``is_rome``, ``rome_codes``, ``reload``; the criteria the law forbids in hiring
(``forbidden_criterion``); skill concepts below the job
(``skill_concepts``, ``skill_concept``, ``related_concepts``); suggestions for the forms
(``rome_suggestions``, ``skill_suggestions``); a job said in a word the lookup places
nowhere: the jobs it may mean, or the contract it names (module ``job_titles``).
"""

from __future__ import annotations

from connectences.skills.concepts import (
    ConceptHit,
    SkillConcept,
    related_concepts,
    reload,
    skill_concepts,
)
from connectences.skills.concepts import concept as skill_concept
from connectences.skills.forbidden import forbidden_criterion
from connectences.skills.reader import skills_problem, split_skills, too_many_skills
from connectences.skills.suggestions import rome_suggestions, skill_suggestions
from connectences.skills.taxonomy import (
    Match,
    common_concept,
    concept_of,
    concepts_meet,
    extract_skills,
    fuzzy_key,
    is_rome,
    lookup,
    related_codes,
    rome_codes,
    rome_label,
    rome_named,
    skill_similarity,
    skill_similarity_keys,
    suggest,
    taxonomy,
)
from connectences.skills.text import (
    MAX_SKILL_LENGTH,
    content,
    normalize,
    tokens,
)

__all__ = [
    "MAX_SKILL_LENGTH",
    "ConceptHit",
    "Match",
    "SkillConcept",
    "common_concept",
    "skill_concept",
    "skill_concepts",
    "skill_suggestions",
    "skills_problem",
    "too_many_skills",
    "split_skills",
    "concept_of",
    "concepts_meet",
    "content",
    "extract_skills",
    "forbidden_criterion",
    "fuzzy_key",
    "is_rome",
    "lookup",
    "normalize",
    "related_codes",
    "related_concepts",
    "reload",
    "rome_suggestions",
    "rome_codes",
    "rome_label",
    "rome_named",
    "skill_similarity",
    "skill_similarity_keys",
    "suggest",
    "taxonomy",
    "tokens",
]
