"""The ROME taxonomy: jobs (codes), their appellations and skills, and fuzzy lookup.

A *concept* is where the taxonomy places a free-text skill: a ROME code
(``M1203``) when the text belongs to one job, or a ROME family (the first three
characters, ``A12``) when it belongs to several jobs of the same family. Two
concepts meet when one is a prefix of the other (``A12`` meets ``A1203``).
Text the taxonomy does not place gets no concept; the matcher then compares it
fuzzily, as text.

Lookup is done once, when a need or a CV is written, never per comparison: it
may take a millisecond, the matcher then works on concept ids.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from connectences.skills.jargon import JARGON
from connectences.skills.loaded import LoadedOnce
from connectences.skills.text import STOPWORDS, content, normalize

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "rome"

ROME_RE = re.compile(r"^[A-N][0-9]{4}$")

# A lookup is accepted when the best term covers the text well enough (F-measure
# of query weight matched and term weight matched); below, the text stays
# unknown and is compared as text. High enough that a word shared with another
# job ("gestion", "agent") does not place a text in that job.
ACCEPT_F = 0.66
# Terms within this distance of the best are considered equally good: if they
# disagree on the job, the concept falls back to their common family, or none.
TIE_MARGIN = 0.04
# Token-level typo tolerance (rapidfuzz ratio, 0..100) for words of 6+ letters.
TYPO_RATIO = 87.0

# Derivational endings stripped so that "comptable" and "comptabilité",
# "secrétaire" and "secrétariat", "cuisine" and "cuisinier" share a stem.
# "-age" is left out on purpose: "comptage" is not "comptable".
_SUFFIXES = sorted(
    [
        "abilites",
        "abilite",
        "ables",
        "able",
        "ites",
        "ite",
        "ariats",
        "ariat",
        "aires",
        "aire",
        "ieres",
        "iere",
        "iers",
        "ier",
        "istes",
        "iste",
        "euses",
        "euse",
        "eurs",
        "eur",
        "trices",
        "trice",
        "ices",
        "ice",
        "iennes",
        "ienne",
        "iens",
        "ien",
        "iques",
        "ique",
        "ements",
        "ement",
        "ations",
        "ation",
        "ifs",
        "if",
        "ives",
        "ive",
        "es",
        "e",
        "s",
        "x",
    ],
    key=len,
    reverse=True,
)

# Endings that derive a word from another one ("jardin" + "age"), for words the
# stem rule above leaves whole.
_DERIVED = ("age", "ages", "erie", "eries", "ier", "iere", "eur", "euse", "ement", "ation", "iste")


def stem(token: str) -> str:
    """Light French stem: the token without one derivational or plural ending."""
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


def _variants(label: str) -> list[str]:
    """Spell out gendered appellations: 'Conducteur / Conductrice de tracteur'."""
    if " / " not in label:
        return [label]
    # "Agent / Agente d'entretien" -> the part after the slash repeats the first
    # word(s) in another gender, followed by the shared tail.
    left, right = (part.strip() for part in label.split(" / ", 1))
    left_words = left.split()
    right_words = right.split()
    n = len(left_words)
    first = left
    second_head = " ".join(right_words[:n])
    tail = " ".join(right_words[n:])
    second = f"{second_head} {tail}".strip()
    first = f"{first} {tail}".strip()
    return [first, second]


def _content_tokens(norm: str) -> tuple[str, ...]:
    # Single letters are kept ("permis b" is not "permis c"), stopwords are not.
    return tuple(t for t in norm.split() if t not in STOPWORDS)


@dataclass(frozen=True, slots=True)
class Term:
    """One string of the taxonomy: a job label, an appellation or a skill."""

    label: str
    norm: str
    code: str
    kind: str  # "label" | "appellation" | "skill"
    tokens: tuple[str, ...]


@dataclass
class Taxonomy:
    """The loaded ROME files: codes, terms and the indexes lookup needs."""

    codes: dict[str, dict] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)
    terms: list[Term] = field(default_factory=list)
    by_norm: dict[str, set[str]] = field(default_factory=dict)
    token_terms: dict[str, list[int]] = field(default_factory=dict)
    # The terms a text matches exactly, by their text or their content words.
    exact_terms: dict[str, tuple[int, ...]] = field(default_factory=dict)
    stem_tokens: dict[str, set[str]] = field(default_factory=dict)
    vocab: list[str] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    max_idf: float = 1.0
    # First word of each appellation (either gender) -> how many of each code it begins:
    # "vendeur" begins those of several sales jobs (skills.job_titles).
    heads: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, label: str, code: str, kind: str) -> None:
        for variant in _variants(label) if kind == "appellation" else [label]:
            norm = normalize(variant)
            if not norm:
                continue
            tokens = _content_tokens(norm)
            self.terms.append(Term(variant, norm, code, kind, tokens))
            self.by_norm.setdefault(norm, set()).add(code)
            content = " ".join(tokens)
            if content and content != norm:
                self.by_norm.setdefault(content, set()).add(code)

    def finish(self) -> None:
        df: dict[str, int] = defaultdict(int)
        token_terms: dict[str, list[int]] = defaultdict(list)
        exact: dict[str, list[int]] = defaultdict(list)
        for i, term in enumerate(self.terms):
            for token in set(term.tokens):
                df[token] += 1
                token_terms[token].append(i)
            for key in {term.norm, " ".join(term.tokens)}:
                exact[key].append(i)
        self.exact_terms = {key: tuple(indexes) for key, indexes in exact.items()}
        n = max(len(self.terms), 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self.max_idf = max(self.idf.values(), default=1.0)
        self.token_terms = dict(token_terms)
        self.vocab = sorted(token_terms)
        stems: dict[str, set[str]] = defaultdict(set)
        for token in self.vocab:
            stems[stem(token)].add(token)
        self.stem_tokens = dict(stems)
        heads: dict[str, Counter[str]] = defaultdict(Counter)
        for term in self.terms:
            if term.kind == "appellation" and term.tokens:
                heads[term.tokens[0]][term.code] += 1
        self.heads = dict(heads)


_loaded: LoadedOnce[Taxonomy] = LoadedOnce(lambda: load())


def load(data_dir: Path | None = None) -> Taxonomy:
    """Read every ``<LETTER>.json`` file of the ROME directory into a Taxonomy."""
    tax = Taxonomy()
    directory = data_dir or DATA_DIR
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        domain = document.get("domain") or path.stem
        tax.domains[domain] = document.get("label", domain)
        for entry in document.get("codes", []):
            code = entry["code"]
            tax.codes[code] = entry
            tax.add(entry["label"], code, "label")
            for appellation in entry.get("appellations", []):
                tax.add(appellation, code, "appellation")
            for skill in entry.get("skills", []):
                tax.add(skill, code, "skill")
    tax.finish()
    return tax


def taxonomy() -> Taxonomy:
    """The taxonomy of the package's data files, loaded once per process."""
    return _loaded.get()


def reload_jobs() -> Taxonomy:
    """Forget the cached taxonomy and every cached lookup (data files changed)."""
    _loaded.forget()
    _token_matches.cache_clear()
    _lookup_norm.cache_clear()
    _job_vectors.cache_clear()
    related_codes.cache_clear()
    _suggestion_choices.cache_clear()
    _suggested.cache_clear()
    return taxonomy()


# --- codes --------------------------------------------------------------------------


def is_rome(code: str | None) -> bool:
    """True when ``code`` has the shape of a ROME code: one letter A-N and four digits."""
    return bool(code) and bool(ROME_RE.match(code))


def rome_codes() -> list[str]:
    """Every ROME code the taxonomy knows, sorted."""
    return sorted(taxonomy().codes)


def rome_label(code: str | None) -> str | None:
    """French label of a ROME code or family (``M12``), None when unknown."""
    if not code:
        return None
    tax = taxonomy()
    entry = tax.codes.get(code)
    if entry:
        return entry["label"]
    if len(code) == 1:
        return tax.domains.get(code)
    if len(code) == 3:
        # The ROME names no family: its jobs say what it covers ("G16": kitchen jobs).
        jobs = [entry["label"] for key, entry in sorted(tax.codes.items()) if key[:3] == code]
        if jobs:
            return " / ".join(jobs[:3]) + (" …" if len(jobs) > 3 else "")
    return None


def rome_named(code: str) -> str:
    """A ROME code as a sentence or a page cites it: with its French label when known
    (« M1203 — Comptabilité »: no one outside the team reads the code alone)."""
    name = rome_label(code)
    return f"{code} — {name}" if name else code


# Two jobs are neighbours when their vocabularies in the taxonomy are close:
# cosine of their idf-weighted stem bags, among each job's nearest few.
RELATED_MIN_COSINE = 0.15
RELATED_TOP = 3


@lru_cache(maxsize=1)
def _job_vectors() -> tuple[dict[str, dict[str, float]], dict[str, list[str]]]:
    tax = taxonomy()
    bags: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for term in tax.terms:
        for token in set(term.tokens):
            bags[term.code][stem(token)] += 1
    df: dict[str, int] = defaultdict(int)
    for bag in bags.values():
        for word in bag:
            df[word] += 1
    n = max(len(bags), 1)
    vectors: dict[str, dict[str, float]] = {}
    postings: dict[str, list[str]] = defaultdict(list)
    for code, bag in bags.items():
        weights = {w: (1 + math.log(c)) * math.log(n / df[w]) for w, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        vectors[code] = {w: v / norm for w, v in weights.items() if v > 0}
        for w in vectors[code]:
            postings[w].append(code)
    return vectors, dict(postings)


@lru_cache(maxsize=4096)
def related_codes(code: str) -> frozenset[str]:
    """ROME codes of neighbouring jobs (close vocabulary in the taxonomy), code excluded."""
    vectors, postings = _job_vectors()
    vector = vectors.get(code)
    if not vector:
        return frozenset()
    acc: dict[str, float] = defaultdict(float)
    for word, weight in vector.items():
        for other in postings[word]:
            if other != code:
                acc[other] += weight * vectors[other][word]
    best = sorted(acc.items(), key=lambda x: (-x[1], x[0]))[:RELATED_TOP]
    return frozenset(c for c, cosine in best if cosine >= RELATED_MIN_COSINE)


def concepts_meet(a: str | None, b: str | None) -> bool:
    """True when two concepts are the same job, or one is the family of the other."""
    if not a or not b:
        return False
    return a.startswith(b) or b.startswith(a)


def common_concept(codes: set[str]) -> str | None:
    """One code; or the family shared by several codes; or None across families."""
    if not codes:
        return None
    if len(codes) == 1:
        return next(iter(codes))
    families = {c[:3] for c in codes}
    if len(families) == 1:
        return next(iter(families))
    return None


# --- lookup -------------------------------------------------------------------------


@lru_cache(maxsize=20000)
def _token_matches(token: str) -> tuple[tuple[str, float], ...]:
    """Taxonomy words a query word stands for, with how sure we are (0..1)."""
    tax = taxonomy()
    found: dict[str, float] = {}
    if token in tax.idf:
        found[token] = 1.0
    if len(token) >= 4 and not token.isdigit():
        for other in tax.stem_tokens.get(stem(token), ()):
            found.setdefault(other, 0.95)
        # Abbreviations: "compta" for "comptabilite", "secretar" for "secretariat".
        if len(token) >= 4:
            lo = _bisect_left(tax.vocab, token)
            while lo < len(tax.vocab) and tax.vocab[lo].startswith(token):
                found.setdefault(tax.vocab[lo], 0.9)
                lo += 1
        # Derived words: "jardinage" for the stem "jardin" of "jardinier".
        for suffix in _DERIVED:
            base = token[: -len(suffix)]
            if token.endswith(suffix) and len(base) >= 6:
                for other in tax.stem_tokens.get(base, ()):
                    found.setdefault(other, 0.85)
    if len(token) >= 6 and not token.isdigit():
        # Typos: one or two letters off in a long word.
        for other, _score, _ in process.extract(
            token, tax.vocab, scorer=fuzz.ratio, score_cutoff=TYPO_RATIO, limit=10
        ):
            if len(other) >= 6:
                found.setdefault(other, 0.85)
    return tuple(sorted(found.items()))


def _bisect_left(items: list[str], value: str) -> int:
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _expand_jargon(norm: str) -> str:
    words = norm.split()
    return " ".join(JARGON.get(w, w) for w in words)


@dataclass(frozen=True, slots=True)
class Match:
    """Where lookup placed a text: its concept, and the terms that decided it."""

    concept: str | None
    score: float
    terms: tuple[Term, ...] = ()


@lru_cache(maxsize=50000)
def _lookup_norm(norm: str) -> Match:
    tax = taxonomy()
    if not norm or not tax.terms:
        return Match(None, 0.0)
    # 1. Exact: the text is a term of the taxonomy (with or without stopwords).
    expanded = _expand_jargon(norm)
    for key in (norm, expanded, " ".join(_content_tokens(expanded))):
        codes = tax.by_norm.get(key)
        if codes:
            exact = tuple(tax.terms[i] for i in tax.exact_terms.get(key, ()))
            return Match(common_concept(codes), 1.0, exact)
    # 2. Words: each query word stands for taxonomy words; terms are scored by the
    #    weight of the query they cover and the weight of themselves covered.
    query = _content_tokens(expanded)
    if not query:
        return Match(None, 0.0)
    weights = [tax.idf.get(q, tax.max_idf * 0.6) for q in query]
    total_q = sum(weights)
    covered: dict[int, dict[str, float]] = defaultdict(dict)  # term -> term token -> strength
    query_hits: dict[int, dict[int, float]] = defaultdict(dict)  # term -> query idx -> strength
    for qi, q in enumerate(query):
        for other, strength in _token_matches(q):
            for term_index in tax.token_terms.get(other, ()):
                if covered[term_index].get(other, 0.0) < strength:
                    covered[term_index][other] = strength
                if query_hits[term_index].get(qi, 0.0) < strength:
                    query_hits[term_index][qi] = strength
    scored: list[tuple[float, int]] = []
    precision: dict[int, float] = {}
    for term_index, hits in query_hits.items():
        term = tax.terms[term_index]
        p = sum(weights[qi] * s for qi, s in hits.items()) / total_q
        term_total = sum(tax.idf[t] for t in set(term.tokens))
        r = sum(tax.idf[t] * s for t, s in covered[term_index].items()) / term_total
        if p + r == 0:
            continue
        precision[term_index] = p
        scored.append((2 * p * r / (p + r), term_index))
    if not scored:
        return Match(None, 0.0)
    scored.sort(key=lambda x: (-x[0], x[1]))
    best, best_index = scored[0]
    if best < ACCEPT_F:
        return Match(None, best)
    near = [tax.terms[i] for f, i in scored if f >= best - TIE_MARGIN]
    concept = common_concept({t.code for t in near})
    if concept is None:
        return Match(None, best, tuple(near))
    # A text whose words occur all over the taxonomy ("gestion", "entretien") is
    # not placed in the job that happens to score best: among the terms that
    # cover the text as fully as the best one, that job must hold the majority.
    full = precision[best_index] - 1e-9
    support = {(tax.terms[i].norm, tax.terms[i].code) for i, p in precision.items() if p >= full}
    for scope in (concept, concept[:3]):
        inside = sum(1 for _, code in support if code.startswith(scope))
        if inside * 2 >= len(support):
            return Match(scope, best, tuple(near))
    return Match(None, best, tuple(near))


def lookup(text: str) -> Match:
    """Place a free-text skill or job title in the taxonomy (concept None if unsure)."""
    return _lookup_norm(normalize(text))


def concept_of(text: str) -> str | None:
    """The taxonomy concept of a free-text skill: a ROME code, a ROME family, or None."""
    return lookup(text).concept


# --- suggestions and extraction -----------------------------------------------------


@lru_cache(maxsize=1)
def _suggestion_choices() -> tuple[list[dict], list[str]]:
    tax = taxonomy()
    items: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for code in sorted(tax.codes):
        items.append({"kind": "rome", "code": code, "label": tax.codes[code]["label"]})
    for term in tax.terms:
        if term.kind == "label":
            continue
        key = (term.kind, term.norm)
        if key in seen:
            continue
        seen.add(key)
        items.append({"kind": term.kind, "code": term.code, "label": term.label})
    return items, [normalize(i["label"]) for i in items]


def suggest(query: str, limit: int = 10) -> list[dict]:
    """Jobs (ROME) and skills of the taxonomy close to what is being typed.

    Each suggestion is ``{"kind": "rome"|"appellation"|"skill", "code", "label"}``.
    A ROME code typed as such comes first; then labels starting with the text,
    then fuzzy matches (rapidfuzz) for typos and abbreviations.
    """
    norm = normalize(query)
    if not norm:
        return []
    upper = query.strip().upper()
    items, _ = _suggestion_choices()
    code = upper if upper in taxonomy().codes else None
    return [dict(items[index]) for index in _suggested(norm, code, limit)]


@lru_cache(maxsize=4096)
def _suggested(norm: str, code: str | None, limit: int) -> tuple[int, ...]:
    """The indexes in ``_suggestion_choices`` that ``suggest`` returns for a normalized
    text (and the ROME code it is, if it is one): a pass over every label of the
    taxonomy, kept for the process (the taxonomy does not change while it runs)."""
    items, choices = _suggestion_choices()
    results: list[tuple[float, int]] = []
    if code is not None:
        results.append((1000.0, next(i for i, it in enumerate(items) if it["code"] == code)))
    for label, score, index in process.extract(
        norm, choices, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=60
    ):
        bonus = 20.0 if label.startswith(norm) else (10.0 if f" {norm}" in f" {label}" else 0.0)
        results.append((score + bonus, index))
    results.sort(key=lambda x: (-x[0], len(choices[x[1]]), x[1]))
    out: list[int] = []
    seen_labels: set[str] = set()
    for _, index in results:
        key = choices[index]
        if key in seen_labels:
            continue
        seen_labels.add(key)
        out.append(index)
        if len(out) >= limit:
            break
    return tuple(out)


def extract_skills(text: str, max_words: int = 6) -> list[dict]:
    """Taxonomy terms found word for word in a free text (a CV), in reading order.

    Returns ``{"label", "concept", "kind", "start", "end"}`` for each distinct
    term found, ``start:end`` being its words in ``normalize(text).split()``;
    longer terms win over the shorter ones they contain.
    """
    tax = taxonomy()
    words = normalize(text).split()
    found: list[dict] = []
    seen: set[str] = set()
    i = 0
    while i < len(words):
        hit = None
        for n in range(min(max_words, len(words) - i), 0, -1):
            key = " ".join(words[i : i + n])
            if n == 1 and (len(key) < 4 or key in STOPWORDS):
                continue
            codes = tax.by_norm.get(key)
            if codes:
                hit = (n, key, codes)
                break
        if hit is None:
            i += 1
            continue
        n, key, codes = hit
        if key not in seen:
            seen.add(key)
            term = next(t for t in tax.terms if t.norm == key or " ".join(t.tokens) == key)
            found.append(
                {
                    "label": term.label,
                    "concept": common_concept(codes),
                    "kind": term.kind,
                    "start": i,
                    "end": i + n,
                }
            )
        i += n
    return found


def skill_similarity(a: str, b: str) -> float:
    """Fuzzy similarity (0..100) of two skills as text, for what the taxonomy does not know.

    Compares the meaningful words in any order (rapidfuzz token_sort_ratio over
    normalised text without stopwords), so that "compta generale" meets
    "comptabilité générale" only as far as the letters agree, and a shared word
    alone ("gestion") does not make two skills alike.
    """
    return skill_similarity_keys(fuzzy_key(a), fuzzy_key(b))


def skill_similarity_keys(key_a: str, key_b: str) -> float:
    """``skill_similarity`` over keys already made by ``fuzzy_key`` (the matcher's hot path)."""
    return fuzz.token_sort_ratio(key_a, key_b)


def fuzzy_key(text: str) -> str:
    """The form of a skill that fuzzy comparison works on: normalised, without stopwords."""
    return content(text)
