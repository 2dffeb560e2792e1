"""Searching the CV library: the animateurs' filters, pushed down to SQL.

Free text is resolved *before* the query touches the candidates: each term becomes
the taxonomy concepts it stands for (``skills.lookup``, with typo correction over
the taxonomy's words) and the stored skill norms it is close to (rapidfuzz over
the distinct norms of the library, word by word: accents, typos, abbreviations).
The query then only reads indexes for those values: ``candidate_skill``'s
(norm, person) and (concept, person), and ``candidate_rome`` for the target jobs
(one row per person and code, kept by ``Candidate``'s validator of ``rome``; the
JSON list itself is never searched). Every structured filter is a plain column
condition. Relevance is the quality of the best-matching skill or
target job of each term (100: the same concept or the same words).

Nothing here knows about HTTP: the web layer builds a ``SearchFilters`` and calls
``search_candidates`` or ``iter_candidates`` (exports).
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from functools import cache, lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from connectences import territory, vocab
from connectences.clock import local_today
from connectences.cvtheque.status import status_label
from connectences.dates import read_date, unread
from connectences.listing import Refusal, choice_refused, list_arg, rome_refused, text_arg
from connectences.matching import week
from connectences.matching.matches import (
    SKILL_LABELS,
    in_batches,
    library_stamp,
    skill_labels,
    written_since,
)
from connectences.models import Candidate, CandidateRome, CandidateSkill, Commitment
from connectences.numbers import read_number, too_precise
from connectences.skills import lookup, normalize, taxonomy, tokens
from connectences.skills.forbidden import forbidden_criterion, forbidden_problem
from connectences.skills.text import STOPWORDS
from connectences.territory.geo import EARTH_RADIUS_KM
from connectences.typography import decimal_input, hours_fr
from connectences.vocab import CANDIDATE_STATUSES, CONTRACTS, DAYS, LEVEL_RANK

SORTS = ("relevance", "recent", "name")
MAX_PER_PAGE = 200
# A stored norm is a hit when its words cover the query's words at least this well.
NORM_CUTOFF = 70
# Word similarity (rapidfuzz ratio) accepted as a typo; short words must be exact.
TYPO_RATIO = 84
MIN_FUZZY_WORD = 5
MIN_PREFIX_WORD = 4


@dataclass(frozen=True)
class SearchFilters:
    """What the animateur asked for; empty values mean "no condition"."""

    text: str = ""
    rome: str = ""  # a ROME code (M1203) or its family (M12)
    commune: str = ""  # INSEE code where the person lives
    epci: str = ""  # SIREN of the intercommunality where the person lives
    near: str = ""  # INSEE code of the centre of a radius search
    radius_km: float | None = None
    level: str = ""  # at least this level
    # The person's free range (``week``: wished hours and free hours, commitments held on
    # ``on`` deducted) overlaps [min, max].
    hours_min: float | None = None
    hours_max: float | None = None
    days: tuple[str, ...] = ()  # every one of these days is free on ``on``
    contract: str = ""  # the person accepts this contract
    available_by: date | None = None  # available on or before this date
    statuses: tuple[str, ...] = ()
    source: str = ""
    confirmed: bool | None = None  # email confirmed (True), not yet (False), either (None)

    @classmethod
    def from_args(cls, args, session: Session | None = None) -> tuple[SearchFilters, list[Refusal]]:
        """The filters of the library page's query string and the values refused (those
        are left out), each with its field and its French message. With a ``session``, a
        source no person has (nor any the platform's forms store) is refused too."""
        return _from_args(args, session)

    @property
    def on(self) -> date:
        """The day the free time is read on: the « Disponible au plus tard le » date when
        given, else today (a commitment ending before it is over, ``week.running``)."""
        return self.available_by or local_today()

    def as_args(self) -> dict[str, str | list[str]]:
        """The filters set, as the page's query arguments (for links and the export)."""
        params = {
            "q": self.text,
            "rome": self.rome,
            "commune": self.commune,
            "intercommunalite": self.epci,
            "autour": self.near,
            "rayon": decimal_input(self.radius_km) if self.near else "",
            "niveau": self.level,
            "heures_min": decimal_input(self.hours_min),
            "heures_max": decimal_input(self.hours_max),
            "jours": list(self.days),
            "contrat": self.contract,
            "disponible_le": self.available_by.isoformat() if self.available_by else "",
            "statut": list(self.statuses),
            "source": self.source,
            "confirme": {True: "oui", False: "non"}.get(self.confirmed, ""),
        }
        return {k: v for k, v in params.items() if v}

    def typed_values(self, args: Mapping[str, str]) -> dict[str, str]:
        """The search form's typed fields as it shows them: each value applied, and each
        one typed but left out (refused, or a radius without its commune) as typed, so
        that the message above speaks of something the animateur can still see and
        correct (« Rayon : saisissez un nombre. » beside an emptied field said of what?)."""
        applied = self.as_args()
        values = {}
        for name in TYPED_FIELDS:
            typed = text_arg(args, name, MAX_TEXT)
            values[name] = str(applied.get(name, "")) or typed
        return values

    def as_dict(self) -> dict:
        """The filters actually set, JSON-ready (for the audit log)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in ("", None, ()):
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


MAX_TEXT = 200
# The search form's fields typed by hand (``SearchFilters.typed_values``).
TYPED_FIELDS = ("rome", "rayon", "heures_min", "heures_max", "disponible_le", "source")

# Suggested in the search's « Source » filter: what the platform's forms store (an
# interchange document may bring other words, which the filter finds as typed).
SUGGESTED_SOURCES = (*vocab.CV_SOURCES, *vocab.CANDIDATE_SOURCES)


def is_known_source(session: Session, source: str) -> bool:
    """Whether the « Source » filter's ``source`` names a channel: one the platform's
    forms store, or one a person of the library has (the list stays open to what an
    interchange document brought), compared as the search compares it."""
    wanted = source.strip().lower()
    if wanted in {known.lower() for known in SUGGESTED_SOURCES}:
        return True
    return (
        session.scalar(select(Candidate.id).where(func.lower(Candidate.source) == wanted).limit(1))
        is not None
    )


def _number(
    args: Mapping[str, str], name: str, label: str, low: float, high: float, errors: list
) -> float | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = read_number(raw)
    if value is None:
        errors.append(Refusal(name, label, too_precise(raw) or "saisissez un nombre."))
        return None
    if not low <= value <= high:
        errors.append(Refusal(name, label, f"saisissez un nombre entre {low:g} et {high:g}."))
        return None
    return value


def _commune(args: Mapping[str, str], name: str, label: str, errors: list) -> str:
    code = (args.get(name) or "").strip()
    if code and not territory.is_commune(code):
        errors.append(Refusal(name, label, "commune inconnue."))
        return ""
    return code


def _from_args(args, session: Session | None) -> tuple[SearchFilters, list[Refusal]]:
    """The filters of a query string (``args.getlist`` gives the repeated ones) and the
    values refused (those are left out); the source is checked with a ``session``."""
    errors: list[Refusal] = []
    text = text_arg(args, "q", MAX_TEXT)
    terms = split_terms(text)
    refused = [term for term in terms if forbidden_criterion(term)]
    if refused:
        # Searching people by a criterion the law forbids in hiring is refusing the
        # others for it: the term is left out, and the animateur told why.
        errors.append(Refusal("q", "Recherche", forbidden_problem(refused)))
        text = ", ".join(term for term in terms if term not in refused)
    rome = rome_refused(args, "rome", "Code ROME", errors)
    commune = _commune(args, "commune", "Commune", errors)
    epci = (args.get("intercommunalite") or "").strip()
    if epci and not territory.is_epci(epci):
        errors.append(
            Refusal("intercommunalite", "Intercommunalité", "choisissez-en une de la liste.")
        )
        epci = ""
    near = _commune(args, "autour", "Autour de", errors)
    radius = _number(args, "rayon", "Rayon", 0, 200, errors)
    if near and radius is None and not (args.get("rayon") or "").strip():
        radius = 10.0  # no radius typed; a refused one is left out like any other
    if radius is not None and not near:
        errors.append(
            Refusal("autour", "Rayon", "choisissez aussi la commune au centre de la recherche.")
        )
        radius = None
    level = choice_refused(
        args, "niveau", "Niveau", vocab.LEVELS, "choisissez un niveau de la liste.", errors
    )
    hours_min = _number(args, "heures_min", "Heures libres par semaine (au moins)", 0, 48, errors)
    hours_max = _number(args, "heures_max", "Heures libres par semaine (au plus)", 0, 48, errors)
    if hours_min is not None and hours_max is not None and hours_min > hours_max:
        errors.append(
            Refusal("heures_min", "Heures libres par semaine", "le minimum dépasse le maximum.")
        )
        hours_min = hours_max = None
    typed_days = [d for d in list_arg(args, "jours") if d]
    days = tuple(d for d in vocab.DAYS if d in typed_days)
    if len(set(typed_days)) != len(days):
        errors.append(Refusal("jours", "Jours libres", "choisissez des jours de la liste."))
    contract = choice_refused(
        args, "contrat", "Contrat", vocab.CONTRACTS, "choisissez un contrat de la liste.", errors
    )
    available_by = None
    raw_date = (args.get("disponible_le") or "").strip()
    if raw_date:
        available_by = read_date(raw_date)
        if available_by is None:
            errors.append(
                Refusal(
                    "disponible_le",
                    "Disponible au plus tard le",
                    f"date invalide : {unread(raw_date)}.",
                )
            )
    typed_statuses = [s for s in list_arg(args, "statut") if s]
    statuses = tuple(s for s in vocab.CANDIDATE_STATUSES if s in typed_statuses)
    if len(set(typed_statuses)) != len(statuses):
        errors.append(Refusal("statut", "Statut", "choisissez des statuts de la liste."))
    source = (args.get("source") or "").strip()[:100]
    if source and session is not None and not is_known_source(session, source):
        errors.append(
            Refusal(
                "source",
                "Source",
                f"aucune personne de la CVthèque n'a la source « {source} » : "
                "choisissez-en une de la liste proposée.",
            )
        )
        source = ""
    confirmed = {"oui": True, "non": False}.get(args.get("confirme", ""))
    if confirmed is None and args.get("confirme"):
        errors.append(
            Refusal(
                "confirme",
                "Adresse e-mail",
                "choisissez « Confirmée » ou « Pas encore confirmée ».",
            )
        )
    filters = SearchFilters(
        text=text,
        rome=rome,
        commune=commune,
        epci=epci,
        near=near,
        radius_km=radius if near else None,
        level=level,
        hours_min=hours_min,
        hours_max=hours_max,
        days=days,
        contract=contract,
        available_by=available_by,
        statuses=statuses,
        source=source,
        confirmed=confirmed,
    )
    return filters, errors


# What a page of the search shows of each person (library/index.html).
LISTED_COLUMNS = (
    Candidate.id,
    Candidate.ref,
    Candidate.first_name,
    Candidate.last_name,
    Candidate.email_confirmed_at,
    Candidate.rome,
    Candidate.commune,
    Candidate.level,
    Candidate.hours_min,
    Candidate.hours_max,
    Candidate.available_from,
    Candidate.status,
    Candidate.updated_at,
    # Hours a week of the work held on the search's date (bound as ``on``): read by
    # index for the page's people in the same statement.
    select(func.coalesce(func.sum(Commitment.hours_per_week), 0.0))
    .where(
        Commitment.candidate_id == Candidate.id,
        week.still_runs(Commitment.until, bindparam("on")),
    )
    .scalar_subquery()
    .label("hours_held"),
    # The first day of the work held today when none of it has started yet, else None:
    # « Mission à venir à partir du … » as the person's record says it
    # (``status.status_label``), in the same statement.
    select(
        case(
            (
                func.sum(
                    case(
                        (
                            or_(
                                Commitment.start.is_(None),
                                Commitment.start <= bindparam("today"),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                )
                == 0,
                func.min(Commitment.start),
            )
        )
    )
    .where(
        Commitment.candidate_id == Candidate.id,
        week.still_runs(Commitment.until, bindparam("today")),
    )
    .scalar_subquery()
    .label("work_ahead_from"),
)


@dataclass(frozen=True, slots=True)
class ListedCandidate:
    """A person as a page of the search lists them, read as rows (``LISTED_COLUMNS``
    and the labels of their skills, in their order), not as an entity with its skills
    and commitments: building 25 of those took a quarter of the page's time."""

    id: int
    ref: str
    first_name: str
    last_name: str
    email_confirmed_at: datetime | None
    rome: list[str]
    commune: str
    level: str
    hours_min: float
    hours_max: float
    available_from: date
    status: str
    updated_at: datetime
    hours_held: float
    work_ahead_from: date | None
    skill_labels: tuple[str, ...]

    @property
    def status_words(self) -> str:
        """The status as the person's record says it (« Mission à venir à partir du … »
        for work not started yet); the filters read the stored status."""
        return status_label(self.status, self.work_ahead_from)

    @property
    def hours_left(self) -> str | None:
        """« reste 8 h »: the hours left free on the search's date, as the week's
        sentences say them; None when no work is held then (the wish says it all)."""
        if not self.hours_held:
            return None
        return week.left_text(week.hours_left_of(self.hours_max, self.hours_held), hours_fr)


_LISTED = select(*LISTED_COLUMNS).where(Candidate.id.in_(bindparam("ids", expanding=True)))
_LISTED_SKILLS = SKILL_LABELS.where(
    CandidateSkill.candidate_id.in_(bindparam("ids", expanding=True))
)


def listed_candidates(
    session: Session, ids: list[int], on: date | None = None
) -> dict[int, ListedCandidate]:
    """The stored people among ``ids`` as a page lists them, by id, their work held on
    ``on`` (today unless told), their status as on today: two statements."""
    if not ids:
        return {}
    skills = skill_labels(session, _LISTED_SKILLS, {"ids": ids})
    today = local_today()
    return {
        row[0]: ListedCandidate(*row, tuple(skills.get(row[0], ())))
        for row in session.execute(_LISTED, {"ids": ids, "on": on or today, "today": today})
    }


@dataclass(frozen=True)
class Hit:
    # A page of the search (``search_candidates``) lists people as rows; an export
    # (``iter_candidates``) reads what it holds of them, as rows too.
    candidate: ListedCandidate | ExportedCandidate
    score: int | None  # relevance of the text match, None without text


@dataclass(frozen=True)
class SearchResult:
    items: list[Hit]
    total: int
    page: int
    pages: int
    per_page: int = 25
    terms: list[TermMatch] = field(default_factory=list)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class TermMatch:
    """One term of the free text, resolved: the values the query will look for.

    Scores are 0-100. ``concepts``: taxonomy concept ids of stored skills;
    ``norms``: stored skill norms; ``romes``: ROME codes among target jobs.
    """

    text: str
    concepts: dict[str, int]
    norms: dict[str, int]
    romes: dict[str, int]

    @property
    def empty(self) -> bool:
        return not (self.concepts or self.norms or self.romes)


# --- resolving the free text --------------------------------------------------------


def split_terms(text: str) -> list[str]:
    """The terms of a query: separated by commas, semicolons or "+"; all must match."""
    raw = text.replace(";", ",").replace("+", ",").split(",")
    return [t.strip() for t in raw if normalize(t)]


@cache
def _taxonomy_words() -> tuple[str, ...]:
    words: set[str] = set()
    for term in taxonomy().terms:
        words.update(term.norm.split())
    return tuple(sorted(words))


def _corrected(norm: str) -> str:
    """The text with each unknown word replaced by the closest taxonomy word (typos)."""
    known = set(_taxonomy_words())
    out = []
    for word in norm.split():
        if word in known or len(word) < MIN_FUZZY_WORD:
            out.append(word)
            continue
        best = process.extractOne(
            word, _taxonomy_words(), scorer=fuzz.ratio, score_cutoff=TYPO_RATIO
        )
        out.append(best[0] if best else word)
    return " ".join(out)


def _concepts_for(text: str) -> dict[str, int]:
    """Concept ids (ROME code, or family) a term stands for, with their score."""
    norm = normalize(text)
    found = lookup(norm)
    base = 100
    if found.concept is None or len(found.concept) < 5:
        corrected = _corrected(norm)
        if corrected != norm:
            fixed = lookup(corrected)
            if fixed.concept and (found.concept is None or len(fixed.concept) >= 5):
                found, base = fixed, 90
    if found.concept is None:
        return {}
    if found.score < 1.0:
        base = min(base, 90)
    concept = found.concept
    if len(concept) >= 5:
        # Skills the taxonomy could only place in the family may be the same job.
        return {concept: base, concept[:3]: 60}
    # A family: every job of it, a little below an exact concept.
    out = {code: 70 for code in taxonomy().codes if code.startswith(concept)}
    out[concept] = 75
    return out


class NormVocabulary:
    """The distinct skill norms of the library, indexed by word for fuzzy lookup."""

    def __init__(self, norms: list[str]) -> None:
        self.norms: list[str] = []
        self.norm_words: list[list[str]] = []
        self.by_word: dict[str, list[int]] = {}
        self._known: set[str] = set()
        self._add(norms)
        self.words = sorted(self.by_word)

    def _add(self, norms) -> bool:
        """Index the norms not known yet; True when a new word came with them."""
        new_word = False
        for norm in norms:
            if norm in self._known:
                continue
            self._known.add(norm)
            index = len(self.norms)
            self.norms.append(norm)
            # Norms are stored normalised already: only stopwords are left to drop.
            words = [w for w in norm.split() if w not in STOPWORDS]
            self.norm_words.append(words)
            for word in set(words):
                if word not in self.by_word:
                    self.by_word[word] = []
                    new_word = True
                self.by_word[word].append(index)
        return new_word

    def extended(self, norms) -> NormVocabulary:
        """This vocabulary with ``norms`` added: a new object (a search reading this one
        in another thread never sees it half built), itself when none is new."""
        fresh = [n for n in dict.fromkeys(norms) if n not in self._known]
        if not fresh:
            return self
        copy = object.__new__(NormVocabulary)
        copy.norms = list(self.norms)
        copy.norm_words = list(self.norm_words)
        copy._known = set(self._known)
        # The lists of the words the new norms add to are copied before they grow.
        touched = {w for n in fresh for w in n.split() if w not in STOPWORDS}
        copy.by_word = {w: list(ids) if w in touched else ids for w, ids in self.by_word.items()}
        copy.words = sorted(copy.by_word) if copy._add(fresh) else self.words
        return copy

    @classmethod
    def load(cls, session: Session) -> NormVocabulary:
        return cls(list(session.scalars(select(CandidateSkill.norm).distinct())))

    @classmethod
    def current(cls, session: Session) -> NormVocabulary:
        """The library's vocabulary, read again only as far as skills may have changed.

        Reading and indexing the distinct norms of 330,000 skills costs a search some
        20 to 60 ms; they change when people are added or edited. The process keeps the
        last vocabulary with the version it was read at (the three maxima the matching
        index also watches, one index read each). A new version adds the norms of the
        people written since (``matches.written_since``, as the matching index reloads
        them), a few rows read by index instead of every skill. Norms of
        deleted people stay until the whole vocabulary is read again, at least every
        ``VOCABULARY_SECONDS``, and match no one meanwhile (the search reads the skills
        table itself). It is read whole again too when the last skill id went down (rows
        deleted) or more than ``VOCABULARY_ADD_AT_MOST`` people were written since (an
        import: one read is then cheaper than theirs).
        """
        version = library_stamp(session)
        with _vocabulary_lock:
            kept = _vocabulary.get("current")
        if kept is not None and time.monotonic() < kept[1]:
            if kept[0] == version:
                return kept[2]
            people = written_since(session, kept[0]) if version[2] >= kept[0][2] else None
            # None: a skill row went since (rows deleted); many people: one read is cheaper.
            if people is not None and len(people) <= VOCABULARY_ADD_AT_MOST:
                vocabulary = kept[2]
                for batch in in_batches(people):
                    vocabulary = vocabulary.extended(
                        session.scalars(
                            select(CandidateSkill.norm)
                            .where(CandidateSkill.candidate_id.in_(batch))
                            .distinct()
                        )
                    )
                with _vocabulary_lock:
                    _vocabulary["current"] = (version, kept[1], vocabulary)
                return vocabulary
        vocabulary = cls.load(session)
        with _vocabulary_lock:
            _vocabulary["current"] = (version, time.monotonic() + VOCABULARY_SECONDS, vocabulary)
        return vocabulary

    def word_matches(self, word: str) -> dict[str, float]:
        """Library words standing for a query word: itself, longer words it starts
        (abbreviations: "compta"), and close spellings (typos, missing letters)."""
        out: dict[str, float] = {}
        if word in self.by_word:
            out[word] = 1.0
        if len(word) >= MIN_PREFIX_WORD:
            # The words it starts follow it in sorted order: found by bisection, not by
            # trying each of the library's 3,000 words.
            at = bisect.bisect_left(self.words, word)
            while at < len(self.words) and self.words[at].startswith(word):
                if self.words[at] != word:
                    out.setdefault(self.words[at], 0.9)
                at += 1
        if len(word) >= MIN_FUZZY_WORD:
            for other, ratio, _ in process.extract(
                word, self.words, scorer=fuzz.ratio, score_cutoff=TYPO_RATIO, limit=None
            ):
                if other not in out:
                    out[other] = 0.95 * ratio / 100
        return out

    def match(self, text: str) -> dict[str, int]:
        """Stored norms whose words cover every word of ``text`` (score 0-100)."""
        query = tokens(text)
        if not query:
            return {}
        per_norm: dict[int, list[float]] = {}
        for qi, word in enumerate(query):
            for other, strength in self.word_matches(word).items():
                for index in self.by_word[other]:
                    got = per_norm.setdefault(index, [0.0] * len(query))
                    if got[qi] < strength:
                        got[qi] = strength
        out: dict[str, int] = {}
        for index, got in per_norm.items():
            if min(got) == 0.0:
                continue
            coverage = sum(got) / len(query)
            # The same words and nothing else ranks above a longer skill containing them.
            precision = len(query) / max(len(self.norm_words[index]), len(query))
            score = round(100 * coverage * (0.85 + 0.15 * precision))
            if score >= NORM_CUTOFF:
                out[self.norms[index]] = score
        return out


VOCABULARY_SECONDS = 600
# Above this many people written since the last read, the vocabulary is read whole again.
VOCABULARY_ADD_AT_MOST = 2_000
_vocabulary: dict[str, tuple[tuple, float, NormVocabulary]] = {}
_vocabulary_lock = threading.Lock()


def forget_vocabulary() -> None:
    """Drop the kept vocabulary (tests that empty the database between them)."""
    with _vocabulary_lock:
        _vocabulary.clear()


def resolve_text(session: Session, text: str, vocabulary: NormVocabulary | None = None):
    """Each term of ``text`` resolved to concepts, stored norms and ROME codes."""
    terms = split_terms(text)
    if not terms:
        return []
    vocabulary = vocabulary or NormVocabulary.current(session)
    resolved = []
    for term in terms:
        concepts = _concepts_for(term)
        romes = {c: s for c, s in concepts.items() if len(c) >= 5}
        upper = term.strip().upper()
        if upper in taxonomy().codes:  # a ROME code typed in the text box
            concepts[upper] = romes[upper] = 100
        resolved.append(TermMatch(term, concepts, vocabulary.match(term), romes))
    return resolved


# --- the query ----------------------------------------------------------------------


def _json_has(column, value: str):
    """The JSON list column holds the string ``value`` (portable: SQLite and PostgreSQL)."""
    return cast(column, String).like(f'%"{value}"%')


CODE_WIDTH = 5  # a ROME code: a capital letter and four digits


def _starts_with(column, prefix: str):
    """``column`` (a ROME code or concept) starts with ``prefix``.

    Codes are capital letters and digits, which sort at or below "Z" in every collation:
    the range lets an index answer (SQLite's LIKE is case-insensitive and so reads every
    row); the LIKE keeps the rule exact.
    """
    like = column.like(f"{prefix}%")
    if not (prefix.isascii() and prefix.isalnum()):
        return like
    upper = prefix + "Z" * max(0, CODE_WIDTH - len(prefix))
    return and_(column >= prefix, column <= upper, like)


# What a term is looked up in: (the person's id, the column, the term's field of values).
_LOOKUPS = (
    (CandidateSkill.candidate_id, CandidateSkill.norm, "norms"),
    (CandidateSkill.candidate_id, CandidateSkill.concept, "concepts"),
    (CandidateRome.candidate_id, CandidateRome.code, "romes"),
)


def _shape(term: TermMatch) -> tuple[tuple[int, ...], ...]:
    """The scores a term carries in each look-up: all its statement depends on, besides
    the values it binds."""
    return tuple(
        tuple(sorted(set(getattr(term, field_name).values()), reverse=True))
        for _, _, field_name in _LOOKUPS
    )


def _bound(position: int, field_name: str, rank: int) -> str:
    """The name of the values of one score (its ``rank`` in the shape) of a look-up."""
    return f"t{position}_{field_name}_{rank}"


def _term_params(position: int, term: TermMatch, shape) -> dict[str, list[str]]:
    """The values of the ``position``-th term, by the names its statement binds them to."""
    params: dict[str, list[str]] = {}
    for (_, _, field_name), scores in zip(_LOOKUPS, shape, strict=True):
        for value, score in getattr(term, field_name).items():
            params.setdefault(_bound(position, field_name, scores.index(score)), []).append(value)
    return params


@lru_cache(maxsize=512)
def _term_hits(position: int, shape: tuple[tuple[int, ...], ...]):
    """Subquery (cid, score): every candidate matching the ``position``-th term, with
    their best score, for a term of this ``shape`` (its values bound by name,
    ``_term_params``).

    One plain indexed look-up per score (stored norms, concepts, target jobs), each row
    carrying its score: the highest score of a person is the maximum over their rows.
    (A CASE choosing the score of each skill row cost more than reading the rows.) Built
    once per shape: building this union at each search cost 1.3 ms.
    """
    parts = [
        select(cid.label("cid"), literal(score).label("s")).where(
            column.in_(bindparam(_bound(position, field_name, rank), expanding=True))
        )
        for (cid, column, field_name), scores in zip(_LOOKUPS, shape, strict=True)
        for rank, score in enumerate(scores)
    ]
    union = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    return (
        select(union.c.cid.label("cid"), func.max(union.c.s).label("score"))
        .group_by(union.c.cid)
        .subquery()
    )


@cache
def _centres():

    refs = [c for c in territory.all_communes() if c.has_centre]
    codes = [c.insee for c in refs]
    lat = np.radians(np.array([c.lat for c in refs]))
    lon = np.radians(np.array([c.lon for c in refs]))
    return codes, lat, lon


@cache
def communes_within(insee: str, radius_km: float) -> tuple[str, ...]:
    """INSEE codes of the communes whose centre lies within ``radius_km`` of the centre
    of ``insee`` (haversine over the territory reference; the commune itself always)."""

    centre = territory.get_commune(insee)
    if centre is None:
        return ()
    if not centre.has_centre:
        return (insee,)
    codes, lat, lon = _centres()
    lat0, lon0 = math.radians(centre.lat), math.radians(centre.lon)
    a = np.sin((lat - lat0) / 2) ** 2 + math.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    inside = {codes[i] for i in np.flatnonzero(dist <= radius_km)}
    inside.add(insee)
    return tuple(sorted(inside))


def _held_hours(on: date):
    """Hours a week of the commitments still running on ``on`` of the search's person:
    a subquery read by the ``commitment.candidate_id`` index, 0 without any."""
    return (
        select(func.coalesce(func.sum(Commitment.hours_per_week), 0.0))
        .where(Commitment.candidate_id == Candidate.id, week.still_runs(Commitment.until, on))
        .scalar_subquery()
    )


def _holders(on: date):
    """The people holding work still running on ``on`` (a person once per commitment)."""
    return select(Commitment.candidate_id).where(week.still_runs(Commitment.until, on))


def _asked_days(filters: SearchFilters) -> list[str]:
    return [d for d in filters.days if d in DAYS]


def _wished_time(filters: SearchFilters) -> list:
    """SQL conditions of the hours and days filters on the person's wish alone, work held
    left aside: what ``_free_time`` reads for everyone who holds none."""
    c = Candidate
    where = []
    if filters.hours_min is not None:
        where.append(week.hours_fit(filters.hours_min, c.hours_max))
    if filters.hours_max is not None:
        where.append(week.hours_fit(c.hours_min, filters.hours_max))
    days = _asked_days(filters)
    if days:
        where.append(and_(*(_json_has(c.days, d) for d in days)))
    return where


def _work_held(filters: SearchFilters):
    """The work each holder of running work holds on ``filters.on``, one row a person:
    its hours a week (``hours``, the sum ``_held_hours`` reads for them) and
    whether it takes one of the days asked (``takes``, 1 or 0)."""
    days = _asked_days(filters)
    takes = (
        func.max(case((or_(*(_json_has(Commitment.days, d) for d in days)), 1), else_=0))
        if days
        else literal(0)
    )
    return (
        select(
            Commitment.candidate_id.label("candidate_id"),
            func.sum(Commitment.hours_per_week).label("hours"),
            takes.label("takes"),
        )
        .where(week.still_runs(Commitment.until, filters.on))
        .group_by(Commitment.candidate_id)
        .subquery()
    )


def _free_time(filters: SearchFilters, held=None) -> list:
    """SQL conditions of the hours and days filters on the person's free time on
    ``filters.on``, as matching reads it (``week``): free hours are ``hours_max`` minus
    the hours of the commitments still running, the hours still wished ``hours_min``
    minus them (0 at least), free days ``days`` minus theirs.

    Few people hold work: each condition reads the wish for everyone, and the sum of the
    work held only for the holders of running work (one list of them, read once for the
    whole search), not for each of 100,000 people. Commitments take hours (more than 0):
    they only ever lower free hours and the hours still wished. For someone who holds
    no running work these conditions answer as ``_wished_time``'s (``count_by_wish``
    counts on it). With ``held`` (``_work_held``, joined), the same conditions for its holders only.
    """
    c = Candidate
    on = filters.on
    days = _asked_days(filters)
    if held is None:
        holders = _holders(on)
        hours, holds, holds_none = _held_hours(on), c.id.in_(holders), c.id.not_in(holders)
    else:
        hours, holds, holds_none = held.c.hours, true(), false()
    where = []
    if filters.hours_min is not None:
        # Enough free hours: the wish allows them, and work held, if any, leaves them.
        where.append(week.hours_fit(filters.hours_min, c.hours_max))
        free = week.free_hours_of(c.hours_max, hours)
        where.append(or_(holds_none, week.hours_fit(filters.hours_min, free)))
    if filters.hours_max is not None:
        # Hours still wished within the maximum: wished so, or so once work held is deducted.
        wished = week.wished_hours_of(c.hours_min, hours)
        where.append(
            or_(
                week.hours_fit(c.hours_min, filters.hours_max),
                and_(holds, week.hours_fit(wished, filters.hours_max)),
            )
        )
    if days:
        offered = and_(*(_json_has(c.days, d) for d in days))
        if held is None:
            taking = holders.where(or_(*(_json_has(Commitment.days, d) for d in days)))
            where.append(week.free_days_of(offered, c.id.in_(taking)))
        else:
            where.append(week.free_days_of(offered, held.c.takes == 1))
    return where


def _conditions(filters: SearchFilters, time: list | None = None) -> list:
    """SQL conditions on ``candidate`` for the structured filters, those of the hours and
    days being ``time`` when given (else the free time's, ``_free_time``)."""
    c = Candidate
    where = []
    if filters.rome:
        code = filters.rome.strip().upper()
        if len(code) >= CODE_WIDTH:
            jobs = select(CandidateRome.candidate_id).where(CandidateRome.code == code)
            skill = select(CandidateSkill.candidate_id).where(CandidateSkill.concept == code)
        else:
            jobs = select(CandidateRome.candidate_id).where(_starts_with(CandidateRome.code, code))
            skill = select(CandidateSkill.candidate_id).where(
                _starts_with(CandidateSkill.concept, code)
            )
        where.append(c.id.in_(union(jobs, skill)))
    if filters.commune:
        where.append(c.commune == filters.commune)
    if filters.epci:
        where.append(c.commune.in_([m.insee for m in territory.communes_of_epci(filters.epci)]))
    if filters.near and filters.radius_km is not None:
        where.append(c.commune.in_(communes_within(filters.near, float(filters.radius_km))))
    if filters.level in LEVEL_RANK:
        rank = LEVEL_RANK[filters.level]
        where.append(c.level.in_([lv for lv, r in LEVEL_RANK.items() if r >= rank]))
    where.extend(_free_time(filters) if time is None else time)
    if filters.contract in CONTRACTS:
        where.append(_json_has(c.contracts, filters.contract))
    if filters.available_by is not None:
        where.append(c.available_from <= filters.available_by)
    statuses = [s for s in filters.statuses if s in CANDIDATE_STATUSES]
    if statuses:
        where.append(c.status.in_(statuses))
    if filters.source:
        where.append(func.lower(c.source) == filters.source.strip().lower())
    if filters.confirmed is True:
        where.append(c.email_confirmed_at.is_not(None))
    elif filters.confirmed is False:
        where.append(c.email_confirmed_at.is_(None))
    return where


def _query(session: Session, filters: SearchFilters, sort: str):
    """(select of (id, score), terms, the values it binds): ordered, not paginated."""
    if sort not in SORTS:
        raise ValueError(f"tri inconnu : {sort}")
    terms = resolve_text(session, filters.text) if filters.text else []
    where = _conditions(filters)
    if not terms:
        query = select(Candidate.id, literal(None).label("score")).where(*where)
        return query.order_by(*_order(sort)), terms, {}
    if any(t.empty for t in terms):  # a term that matches nothing: no result at all
        nothing = select(Candidate.id, literal(None).label("score")).where(literal(False))
        return nothing, terms, {}
    query = select(Candidate.id)
    score = None
    params: dict[str, list[str]] = {}
    for position, term in enumerate(terms):
        shape = _shape(term)
        hits = _term_hits(position, shape)
        params.update(_term_params(position, term, shape))
        query = query.join(hits, hits.c.cid == Candidate.id)
        score = hits.c.score if score is None else score + hits.c.score
    # Several terms: the mean, so that scores stay on 0-100.
    score = score if len(terms) == 1 else score / len(terms)
    query = query.add_columns(score.label("score")).where(*where)
    order = _order(sort)
    if sort == "relevance":
        order.insert(0, score.desc())
    return query.order_by(*order), terms, params


def _order(sort: str) -> list:
    """The order of ``sort`` (relevance adds the score before it when there is a text):
    by name as a directory orders them (``Candidate.sort_name``, read from its index), or
    most recently updated first."""
    if sort == "name":
        return [Candidate.sort_name, Candidate.id]
    return [Candidate.updated_at.desc(), Candidate.id.desc()]


def search_candidates(
    session: Session,
    filters: SearchFilters | dict,
    *,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 25,
) -> SearchResult:
    """One page of the candidates matching ``filters``, best first (``relevance``: the
    quality of the text match, then the most recently updated), most recently updated
    first (``recent``) or by last then first name (``name``). ``total`` counts every
    match; a page past the end is empty (the caller may clamp it)."""
    if isinstance(filters, dict):
        filters = SearchFilters(**filters)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    query, terms, params = _query(session, filters, sort)
    offset = (page - 1) * per_page
    if terms:
        # Ranking by relevance reads every match anyway: count them in the same pass.
        counted = query.add_columns(func.count().over().label("total"))
        rows = session.execute(counted.limit(per_page).offset(offset), params).all()
        total = rows[0][2] if rows else None
    else:
        # Without text the page comes straight off the updated_at index: count apart.
        rows = session.execute(query.limit(per_page).offset(offset), params).all()
        total = None
    if total is None:
        total = _count(session, query, filters, params, text=bool(terms))
    by_id = listed_candidates(session, [r[0] for r in rows], filters.on)
    items = [Hit(by_id[r[0]], None if r[1] is None else round(r[1])) for r in rows if r[0] in by_id]
    pages = max(1, math.ceil(total / per_page))
    return SearchResult(items, total, page, pages, per_page, terms)


def _count(session: Session, query, filters: SearchFilters, params, *, text: bool) -> int:
    """How many people ``query`` (``_query``'s, for ``filters``) finds: one statement.

    Counted over the page's conditions, each person the wish lets through on
    ``heures_min`` is looked up in the list of the holders of running work. With hours
    alone asked that is nearly everyone (55 ms at 100,000 people on SQLite, twice the
    count by the wish alone): ``count_by_wish`` reads every holder once instead. As soon
    as anything else narrows the search (days, place, job, level, status...), or without
    ``heures_min`` (``heures_max`` looks up only those the wish refuses), the lookups
    are fewer than the holders and the page's conditions count faster (measured in
    docs/scaling.md). On PostgreSQL, without JIT (``config.POSTGRESQL_OPTIONS``), the
    page's conditions count faster in every case (71 against 97 ms for hours alone).
    """
    hours_alone = replace(filters, hours_min=None, hours_max=None, available_by=None)
    if (
        text
        or filters.hours_min is None
        or hours_alone != SearchFilters()
        or session.get_bind().dialect.name != "sqlite"
    ):
        counting = select(func.count()).select_from(query.order_by(None).subquery())
        return session.scalar(counting, params)
    return count_by_wish(session, filters)


def count_by_wish(session: Session, filters: SearchFilters) -> int:
    """How many people the structured ``filters`` keep (free text aside), counted with
    the wish alone (``_wished_time``: the free time's answer for whoever holds no running
    work), plus, for each holder of running work (``_work_held``, read by primary key),
    the free time's answer (the page's very conditions) less the wish's. Both ways: work
    held refuses someone the wish allows (hours, days), or keeps someone it would not
    (``heures_max``: the hours still wished fall). One statement."""
    wished = _wished_time(filters)
    by_wish = select(func.count()).select_from(Candidate).where(*_conditions(filters, wished))
    if not wished:
        return session.scalar(by_wish)
    held = _work_held(filters)
    answer = case((and_(*_free_time(filters, held)), 1), else_=0) - case(
        (and_(*wished), 1), else_=0
    )
    held_answers = (
        select(func.coalesce(func.sum(answer), 0))
        .select_from(held)
        .join(Candidate, Candidate.id == held.c.candidate_id)
        .where(*_conditions(filters, []))
    )
    return session.scalar(select(by_wish.scalar_subquery() + held_answers.scalar_subquery()))


# What an export holds of each person (``cvtheque.library.export_rows``).
EXPORTED_COLUMNS = (
    Candidate.id,
    Candidate.ref,
    Candidate.first_name,
    Candidate.last_name,
    Candidate.email,
    Candidate.phone,
    Candidate.commune,
    Candidate.mobility_km,
    Candidate.rome,
    Candidate.level,
    Candidate.hours_min,
    Candidate.hours_max,
    Candidate.days,
    Candidate.contracts,
    Candidate.available_from,
    Candidate.status,
    Candidate.source,
    Candidate.email_confirmed_at,
    Candidate.last_contact_at,
    Candidate.updated_at,
)


@dataclass(frozen=True, slots=True)
class ExportedCandidate:
    """A person as an export holds them, read as columns (``EXPORTED_COLUMNS``) and the
    labels of their skills: an entity per person, with its skills and commitments, made
    an export of 100,000 people take a minute and 400 MB."""

    id: int
    ref: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    commune: str
    mobility_km: float
    rome: list[str] | None
    level: str
    hours_min: float
    hours_max: float
    days: list[str] | None
    contracts: list[str] | None
    available_from: date
    status: str
    source: str | None
    email_confirmed_at: datetime | None
    last_contact_at: datetime | None
    updated_at: datetime
    skill_labels: tuple[str, ...]


_EXPORTED = select(*EXPORTED_COLUMNS).where(Candidate.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class Matches:
    """Every candidate matching a search, in its order: ``total`` of them, read as an
    export reads them ``batch`` at a time while ``hits`` is walked."""

    total: int
    hits: Iterator[Hit]


# People an export reads from the database at a time.
EXPORT_BATCH = 500


def iter_candidates(
    session: Session,
    filters: SearchFilters | dict,
    *,
    sort: str = "relevance",
    batch: int | None = None,
) -> Iterator[Hit]:
    """Every candidate matching ``filters``, in the order of the search (for exports)."""
    return matching_candidates(session, filters, sort=sort, batch=batch).hits


def matching_candidates(
    session: Session,
    filters: SearchFilters | dict,
    *,
    sort: str = "relevance",
    batch: int | None = None,
) -> Matches:
    """The candidates matching ``filters`` as an export reads them: their number first
    (from the ids and scores of the search, two numbers a person), then the people,
    ``batch`` at a time (``EXPORT_BATCH`` unless told; two statements each), as
    ``ExportedCandidate``."""
    if isinstance(filters, dict):
        filters = SearchFilters(**filters)
    query, _, params = _query(session, filters, sort)
    # Plain pairs, not the rows of the result: a fifth of their memory at 100,000.
    rows = [
        (cid, None if score is None else round(score))
        for cid, score in session.execute(query, params)
    ]
    return Matches(len(rows), _exported_hits(session, rows, batch or EXPORT_BATCH))


def _exported_hits(session: Session, rows, batch: int) -> Iterator[Hit]:
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        ids = [r[0] for r in chunk]
        skills = skill_labels(session, _LISTED_SKILLS, {"ids": ids})
        by_id = {
            row[0]: ExportedCandidate(*row, tuple(skills.get(row[0], ())))
            for row in session.execute(_EXPORTED, {"ids": ids})
        }
        for cid, score in chunk:
            if cid in by_id:
                yield Hit(by_id[cid], score)
