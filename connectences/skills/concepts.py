"""Skill concepts below the job: specialities, techniques, tools, certifications, diplomas.

The ROME taxonomy (``skills.taxonomy``) places a free-text skill in a job. A job
covers many specialities: an accounts-payable clerk and a payroll specialist are
both in M1203. The files of ``data/rome/concepts/`` list, for each job, the
*skill concepts* people actually write, each with its synonyms, abbreviations,
common misspellings, software and certifications::

    {"jobs": {"M1203": {"diplomas": ["BTS CG", ...],
                        "concepts": [{"id": "paie", "label": "paie",
                                      "terms": ["gestion de la paie", "DSN", ...],
                                      "tools": ["Silae", ...],
                                      "certifications": [...]}]}}}

A concept id is global: a concept listed under several jobs (``paie`` under
accounting and HR assistance) is one concept belonging to all of them; a later
entry may give the id and label alone to reuse the terms written elsewhere.
Each diploma is a concept of its own, of kind ``diploma``: it proves the job
and its level, never a speciality. An entry marked ``"job": true`` names the
job itself as people write it ("secrétariat", "cuisine"): kind ``job``; as a
need skill it asks for the job, not a speciality, but it can be related to
specialities.

Concepts are related when they belong to the same family of techniques,
possibly across ROME codes ("taille de haies" and "élagage": techniques de
taille). Each file may list relations, each with the reason shown to people::

    {"related": [{"concepts": ["taille", "elagage"], "why": "techniques de taille"},
                 {"concept": "secretariat", "with": ["secretariat-medical"],
                  "why": "secrétariat, médical ou non"}]}

``concepts`` relates every pair of the list, ``concept`` + ``with`` relates the
one to each of the others (not them to each other). Relations are symmetric;
an unknown id is an error of the data (``ValueError`` at load).

``skill_concepts(text)`` finds every concept written in a skill ("paie et DSN"
holds two), word sequence by word sequence, after the jargon of
``skills.jargon``, without stopwords, with the light stemming of the taxonomy
and a typo tolerance for long words. Lookups are cached: they run when a need
or a CV is written, not per comparison.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from connectences.skills.jargon import JARGON
from connectences.skills.loaded import LoadedOnce
from connectences.skills.taxonomy import reload_jobs, stem
from connectences.skills.text import STOPWORDS, normalize

CONCEPT_DIR = Path(__file__).resolve().parent.parent / "data" / "rome" / "concepts"

# Typo tolerance for words of 6+ letters not found as such (rapidfuzz ratio).
TYPO_RATIO = 86.0

KINDS = ("term", "tool", "certification", "diploma")


@dataclass(frozen=True, slots=True)
class SkillConcept:
    """A speciality, technique, tool family or diploma, and the jobs it belongs to."""

    id: str
    label: str
    codes: frozenset[str]
    kind: str  # "skill" | "diploma" | "job"


@dataclass(frozen=True, slots=True)
class ConceptHit:
    """One concept found in a text: through which term of the data, of which kind."""

    concept: str
    term: str
    kind: str  # one of KINDS


@dataclass
class ConceptIndex:
    """The loaded concept files: concepts, and their terms as stemmed word sequences."""

    concepts: dict[str, SkillConcept]
    phrases: dict[tuple[str, ...], tuple[ConceptHit, ...]]
    words: frozenset[str]
    vocab: list[str]
    longest: int
    # concept id -> related concept id -> why they are related (French, shown to people)
    related: dict[str, dict[str, str]]


def _words(norm: str) -> list[str]:
    """The words that name concepts: jargon spelt out, stopwords dropped, except a last
    word: no phrase ends with a grammatical word, so there it is a code ("permis CE",
    "TP SA"). Dropped, it would leave "permis" or "TP" alone to name the concept, and
    "permis de conduire" would read as a truck licence."""
    out: list[str] = []
    for word in norm.split():
        out.extend(JARGON.get(word, word).split())
    return [w for i, w in enumerate(out) if w not in STOPWORDS or i == len(out) - 1]


def _key(words: list[str]) -> tuple[str, ...]:
    return tuple(stem(w) for w in words)


def load(directory: Path | None = None) -> ConceptIndex:
    """Read every ``<LETTER>.json`` file of the concept directory."""
    labels: dict[str, str] = {}
    codes: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    phrases: dict[tuple[str, ...], dict[str, ConceptHit]] = {}
    words: set[str] = set()
    relations: list[tuple[str, str, str, str]] = []  # (a, b, why, file)

    def add(concept: str, text: str, kind: str) -> None:
        toks = _words(normalize(text))
        if not toks:
            return
        words.update(toks)
        phrases.setdefault(_key(toks), {}).setdefault(concept, ConceptHit(concept, text, kind))

    for path in sorted((directory or CONCEPT_DIR).glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for relation in document.get("related", []):
            why = relation["why"]
            if "concepts" in relation:
                group = relation["concepts"]
                pairs = [(a, b) for i, a in enumerate(group) for b in group[i + 1 :]]
            else:
                pairs = [(relation["concept"], b) for b in relation["with"]]
            relations.extend((a, b, why, path.name) for a, b in pairs)
        for code, job in document.get("jobs", {}).items():
            for diploma in job.get("diplomas", []):
                cid = "diplome:" + normalize(diploma)
                labels.setdefault(cid, diploma)
                kinds[cid] = "diploma"
                codes.setdefault(cid, set()).add(code)
                add(cid, diploma, "diploma")
            for entry in job.get("concepts", []):
                cid = entry["id"]
                labels.setdefault(cid, entry["label"])
                kinds[cid] = "job" if entry.get("job") else kinds.get(cid, "skill")
                codes.setdefault(cid, set()).add(code)
                add(cid, entry["label"], "term")
                for kind, field in (
                    ("term", "terms"),
                    ("tool", "tools"),
                    ("certification", "certifications"),
                ):
                    for text in entry.get(field, []):
                        add(cid, text, kind)
    concepts = {
        cid: SkillConcept(cid, labels[cid], frozenset(codes[cid]), kinds[cid]) for cid in labels
    }
    related: dict[str, dict[str, str]] = {}
    for a, b, why, filename in relations:
        unknown = [c for c in (a, b) if c not in concepts or concepts[c].kind == "diploma"]
        if unknown or a == b:
            raise ValueError(f"{filename}: relation {a!r} - {b!r}: unknown concept {unknown}")
        related.setdefault(a, {}).setdefault(b, why)
        related.setdefault(b, {}).setdefault(a, why)
    return ConceptIndex(
        concepts=concepts,
        phrases={k: tuple(v.values()) for k, v in phrases.items()},
        words=frozenset(words),
        vocab=sorted(words),
        longest=max((len(k) for k in phrases), default=1),
        related=related,
    )


_loaded: LoadedOnce[ConceptIndex] = LoadedOnce(lambda: load())


def concept_index() -> ConceptIndex:
    """The concepts of the package's data files, loaded once per process."""
    return _loaded.get()


def reload_concepts() -> ConceptIndex:
    """Forget the loaded concepts and every cached lookup."""
    _loaded.forget()
    skill_concepts.cache_clear()
    _fix_typo.cache_clear()
    return concept_index()


@lru_cache(maxsize=20000)
def _fix_typo(word: str) -> str:
    index = concept_index()
    if word in index.words or len(word) < 6 or word.isdigit():
        return word
    found = process.extractOne(word, index.vocab, scorer=fuzz.ratio, score_cutoff=TYPO_RATIO)
    return found[0] if found and len(found[0]) >= 6 else word


@lru_cache(maxsize=100_000)
def skill_concepts(text: str) -> tuple[ConceptHit, ...]:
    """Every skill concept written in ``text``, in reading order, each once.

    Longer terms win over the shorter ones they contain ("taille de haies" is
    one term, not "taille" and "haies").
    """
    index = concept_index()
    toks = [_fix_typo(w) for w in _words(normalize(text))]
    key = _key(toks)
    found: dict[str, ConceptHit] = {}
    i = 0
    while i < len(key):
        for n in range(min(index.longest, len(key) - i), 0, -1):
            hits = index.phrases.get(key[i : i + n])
            if hits:
                for hit in hits:
                    found.setdefault(hit.concept, hit)
                i += n
                break
        else:
            i += 1
    return tuple(found.values())


def concept(concept_id: str) -> SkillConcept | None:
    """The concept of that id, None when unknown."""
    return concept_index().concepts.get(concept_id)


def related_concepts(concept_id: str) -> dict[str, str]:
    """Concepts related to this one, each with why (empty when none)."""
    return concept_index().related.get(concept_id, {})


def concepts_of_code(code: str) -> list[SkillConcept]:
    """The skill concepts (diplomas aside) of a ROME code, in the data's order."""
    return [c for c in concept_index().concepts.values() if code in c.codes and c.kind == "skill"]


def reload() -> None:
    """Forget the job taxonomy, the skill concepts and every cached lookup (data changed)."""
    reload_jobs()
    reload_concepts()
