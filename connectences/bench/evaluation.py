"""Quality of the matcher on a labelled set, beside a TF-IDF cosine baseline.

The general set (``bench/data/general``) is an interchange v1 document (``set.json``) and
relevance judgements (``qrels.tsv``: need, candidate, grade 2 or 1) written by
meaning. A candidate who breaks a hard constraint for a need is not a valid
proposal, whatever their job: their grade counts as 0 for that need (the
constraints are facts of the spec, not of the matcher).

Systems compared on the same set, in the same run:

- ``matcher``: the platform's matcher (``matching.index``);
- ``tfidf``: cosine similarity of TF-IDF vectors (numpy) between the need's
  title and skills and the candidate's skills, everyone ranked;
- ``tfidf+constraints``: the same, after the hard-constraint filter, so the
  comparison also isolates what the taxonomy and the rules add to words.

Each prints nDCG@k (gain 2^grade - 1), recall@k (relevant valid candidates in
the top k over all of them) and the number of proposed candidates that break
a hard constraint.

The within-job set (``bench/data/within_job/cases.json``) ranks each need among
candidates of its own trade who differ only by their skills; it prints nDCG@k
and ``tied_top{k}_share`` (share of the top k whose score equals another's in
that top k) for the matcher and the TF-IDF baseline (``set: within_job``). It is
held out: graded before tuning, never tuned on. The tuning set
(``bench/data/within_job_tuning/cases.json``, other needs and candidates) prints
the same figures (``set: within_job_tuning``); the matcher's constants are tuned
on it and on the general set only.
Suggestion precision (``bench/data/suggestions.tsv``) prints how often the
expected ROME code comes first for a need title, and how many of the first five
suggested codes are unrelated trades.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from connectences import skills, territory
from connectences.matching.constraints import passes_hard_constraints
from connectences.matching.data import CandidateData, NeedData
from connectences.matching.index import CandidateIndex

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_SET = DATA_DIR / "general"


def load_set(set_dir: str | Path | None = None):
    """(needs, candidates, qrels) of a labelled set directory."""
    directory = Path(set_dir) if set_dir else DEFAULT_SET
    document = json.loads((directory / "set.json").read_text(encoding="utf-8"))
    communes = {c["ref"]: c["commune"] for c in document.get("companies", [])}
    needs = [
        NeedData(
            ref=n["ref"],
            company=n["company"],
            title=n["title"],
            skills=tuple(n["skills"]),
            level=n["level"],
            hours_per_week=float(n["hours_per_week"]),
            days=frozenset(n["days"]),
            contract=n["contract"],
            reason=n["reason"],
            start=date.fromisoformat(n["start"]),
            commune=n.get("commune") or communes[n["company"]],
            rome=n.get("rome"),
            duration_months=n.get("duration_months"),
        )
        for n in document["needs"]
    ]
    candidates = [
        CandidateData(
            ref=c["ref"],
            commune=c["commune"],
            mobility_km=float(c["mobility_km"]),
            skills=tuple(c["skills"]),
            level=c["level"],
            hours_min=float(c["hours_min"]),
            hours_max=float(c["hours_max"]),
            days=frozenset(c["days"]),
            contracts=frozenset(c["contracts"]),
            available_from=date.fromisoformat(c["available_from"]),
            rome=tuple(c.get("rome", ())),
            status=c.get("status", "disponible"),
            consent=bool(c["consent"]),
        )
        for c in document["candidates"]
    ]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with (directory / "qrels.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels[row["need"]][row["candidate"]] = int(row["grade"])
    return needs, candidates, dict(qrels)


# --- baseline -------------------------------------------------------------------------


class TfIdf:
    """Bag-of-words TF-IDF (log tf, smooth idf, L2) over normalised words, in numpy."""

    def __init__(self, documents: list[str]) -> None:
        tokenised = [skills.tokens(d) for d in documents]
        vocabulary = sorted({t for doc in tokenised for t in doc})
        self.index = {t: i for i, t in enumerate(vocabulary)}
        df = np.zeros(len(vocabulary))
        for doc in tokenised:
            for t in set(doc):
                df[self.index[t]] += 1
        self.idf = np.log((1 + len(documents)) / (1 + df)) + 1
        self.matrix = np.vstack([self.vector_of(doc) for doc in tokenised])

    def vector_of(self, tokens: list[str]) -> np.ndarray:
        vector = np.zeros(len(self.index))
        for t, count in Counter(tokens).items():
            i = self.index.get(t)
            if i is not None:
                vector[i] = 1 + math.log(count)
        vector *= self.idf
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def scores(self, text: str) -> np.ndarray:
        return self.matrix @ self.vector_of(skills.tokens(text))


# --- metrics ----------------------------------------------------------------------------


def ndcg(ranked: list[str], grades: dict[str, int], k: int) -> float:
    gains = [2 ** grades.get(ref, 0) - 1 for ref in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((2**g - 1 for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], grades: dict[str, int], k: int) -> float:
    relevant = {ref for ref, g in grades.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def _distance(a: str, b: str) -> float | None:
    return territory.distance_km(a, b)


def run_quality(set_dir: str | Path | None = None, k: int = 10) -> list[dict]:
    """Evaluate the matcher and the baselines; one record per metric and system."""
    needs, candidates, qrels = load_set(set_dir)
    by_ref = {c.ref: c for c in candidates}

    def valid(need: NeedData, cand: CandidateData) -> bool:
        return passes_hard_constraints(need, cand, _distance(cand.commune, need.commune))

    # Judgements restricted to valid proposals.
    effective = {
        need.ref: {
            ref: grade for ref, grade in qrels.get(need.ref, {}).items() if valid(need, by_ref[ref])
        }
        for need in needs
    }
    index = CandidateIndex.build(candidates, distance=_distance)
    tfidf = TfIdf([" ".join(c.skills) for c in candidates])
    refs = [c.ref for c in candidates]

    rankings: dict[str, dict[str, list[str]]] = {
        "matcher": {},
        "tfidf": {},
        "tfidf+constraints": {},
    }
    for need in needs:
        rankings["matcher"][need.ref] = [ref for ref, _ in index.top(need, k)]
        scores = tfidf.scores(" ".join([need.title, *need.skills]))
        order = sorted(range(len(refs)), key=lambda i: (-scores[i], refs[i]))
        rankings["tfidf"][need.ref] = [refs[i] for i in order[:k]]
        rankings["tfidf+constraints"][need.ref] = [
            refs[i] for i in order if valid(need, candidates[i])
        ][:k]

    sizes = {
        "needs": len(needs),
        "candidates": len(candidates),
        "relevant_pairs": sum(len(g) for g in effective.values()),
        "k": k,
    }
    records: list[dict] = []
    for system, ranked in rankings.items():
        n_ndcg = float(np.mean([ndcg(ranked[n.ref], effective[n.ref], k) for n in needs]))
        n_recall = float(np.mean([recall(ranked[n.ref], effective[n.ref], k) for n in needs]))
        breaches = sum(1 for n in needs for ref in ranked[n.ref] if not valid(n, by_ref[ref]))
        records.append(
            {
                "metric": f"ndcg@{k}",
                "system": system,
                "set": "general",
                "value": round(n_ndcg, 4),
                **sizes,
            }
        )
        records.append(
            {
                "metric": f"recall@{k}",
                "system": system,
                "set": "general",
                "value": round(n_recall, 4),
                **sizes,
            }
        )
        records.append(
            {
                "metric": "hard_constraint_breaches",
                "system": system,
                "set": "general",
                "value": breaches,
                **sizes,
            }
        )
    # How much of the set plain word overlap can solve: share of relevant pairs
    # whose candidate shares no word at all with the need's title and skills.
    pairs = no_overlap = 0
    for need in needs:
        need_words = set(skills.tokens(" ".join([need.title, *need.skills])))
        for ref in effective[need.ref]:
            pairs += 1
            if not need_words & set(skills.tokens(" ".join(by_ref[ref].skills))):
                no_overlap += 1
    records.append(
        {
            "metric": "relevant_without_shared_word",
            "system": "set",
            "set": "general",
            "value": round(no_overlap / pairs, 4) if pairs else 0.0,
            **sizes,
        }
    )
    if set_dir is None:
        records.extend(run_within_job(k=k))
        records.extend(run_within_job(WITHIN_JOB_TUNING, k=k, name="within_job_tuning"))
        records.extend(run_suggestions())
    return records


# --- within-job set ----------------------------------------------------------------------

WITHIN_JOB = DATA_DIR / "within_job" / "cases.json"
# Same layout, other needs and candidates: the only within-job set constants are tuned on.
WITHIN_JOB_TUNING = DATA_DIR / "within_job_tuning" / "cases.json"
_START = date(2027, 3, 1)
_COMMUNE = "33529"


def load_within_job(
    path: str | Path | None = None,
) -> list[tuple[list[NeedData], list[CandidateData], dict[str, dict[str, int]]]]:
    """(needs, candidates, grades) of each group of the within-job set."""
    document = json.loads(Path(path or WITHIN_JOB).read_text(encoding="utf-8"))
    groups = []
    for group in document["groups"]:
        candidates = [
            CandidateData(
                ref=ref,
                commune=_COMMUNE,
                mobility_km=30.0,
                skills=tuple(texts),
                level=group["level"],
                hours_min=7.0,
                hours_max=35.0,
                days=frozenset({"mon", "tue", "wed", "thu", "fri"}),
                contracts=frozenset({"cdi", "cdd", "cdi_temps_partage"}),
                available_from=_START - timedelta(days=30),
                rome=(group["rome"],),
            )
            for ref, texts in group["candidates"].items()
        ]
        needs = [
            NeedData(
                ref=n["ref"],
                company="entreprise-eval",
                title=n["title"],
                skills=tuple(n["skills"]),
                level=group["level"],
                hours_per_week=14.0,
                days=frozenset({"mon", "tue"}),
                contract="cdi",
                reason="temps_partiel",
                start=_START,
                commune=_COMMUNE,
                rome=group["rome"],
            )
            for n in group["needs"]
        ]
        groups.append((needs, candidates, {n["ref"]: n["grades"] for n in group["needs"]}))
    return groups


def tied_share(scores: list[float]) -> float:
    """Share of a ranking's scores that equal another score of the same ranking."""
    if not scores:
        return 0.0
    counts = Counter(scores)
    return sum(1 for s in scores if counts[s] > 1) / len(scores)


def run_within_job(
    path: str | Path | None = None, k: int = 10, name: str = "within_job"
) -> list[dict]:
    """nDCG@k and tied share of the top k, matcher and TF-IDF, on a within-job set
    (the held-out one by default; ``name`` labels the records' ``set``)."""
    results: dict[str, dict[str, list[float]]] = {
        "matcher": {"ndcg": [], "ties": []},
        "tfidf": {"ndcg": [], "ties": []},
    }
    n_needs = n_candidates = 0
    for needs, candidates, grades in load_within_job(path):
        n_needs += len(needs)
        n_candidates += len(candidates)
        index = CandidateIndex.build(candidates, distance=lambda a, b: 0.0)
        tfidf = TfIdf([" ".join(c.skills) for c in candidates])
        refs = [c.ref for c in candidates]
        for need in needs:
            top = index.top(need, k)
            results["matcher"]["ndcg"].append(ndcg([r for r, _ in top], grades[need.ref], k))
            results["matcher"]["ties"].append(tied_share([s for _, s in top]))
            scores = tfidf.scores(" ".join([need.title, *need.skills]))
            order = sorted(range(len(refs)), key=lambda i: (-scores[i], refs[i]))[:k]
            results["tfidf"]["ndcg"].append(ndcg([refs[i] for i in order], grades[need.ref], k))
            results["tfidf"]["ties"].append(tied_share([round(float(scores[i]), 6) for i in order]))
    sizes = {"set": name, "needs": n_needs, "candidates": n_candidates, "k": k}
    records = []
    for system, values in results.items():
        records.append(
            {
                "metric": f"ndcg@{k}",
                "system": system,
                "value": round(float(np.mean(values["ndcg"])), 4),
                **sizes,
            }
        )
        records.append(
            {
                "metric": f"tied_top{k}_share",
                "system": system,
                "value": round(float(np.mean(values["ties"])), 4),
                **sizes,
            }
        )
    return records


# --- suggestions -------------------------------------------------------------------------

SUGGESTIONS = DATA_DIR / "suggestions.tsv"


def run_suggestions(path: str | Path | None = None, top: int = 5) -> list[dict]:
    """How often the expected ROME code is suggested first for a need title, and how
    many of the first ``top`` suggestions are unrelated trades (not the expected
    code, not in its ROME family, not listed as related)."""
    with Path(path or SUGGESTIONS).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    first = unrelated = shown = 0
    for row in rows:
        expected = row["expected"]
        related = {expected, *filter(None, row["also_related"].split(","))}
        codes = [code for code, _ in skills.rome_suggestions(row["title"], [], limit=top)]
        first += bool(codes) and codes[0] == expected
        shown += len(codes)
        unrelated += sum(1 for c in codes if c not in related and c[:3] != expected[:3])
    sizes = {"set": "suggestions", "titles": len(rows), "top": top}
    return [
        {
            "metric": "rome_expected_first",
            "system": "suggestions",
            "value": round(first / len(rows), 4),
            **sizes,
        },
        {
            "metric": f"unrelated_in_top{top}",
            "system": "suggestions",
            "value": unrelated,
            "suggested": shown,
            **sizes,
        },
    ]
