"""The same person entered twice: found by normalised e-mail, normalised phone number
or a close name (accents, small typos and first/last name swapped tolerated).

Every lookup goes through an index (``email_norm``, ``phone_norm``, ``last_name_norm``
prefix, ``commune``): the fuzzy comparison only runs over the few people who share a
name prefix or a commune, never over the whole library.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from rapidfuzz import fuzz, process
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from connectences.accounts.audit import audit
from connectences.contacts import NAME_PREFIX, email_key, fold_name, name_key, phone_key
from connectences.models import Candidate, CandidateDistinct, User
from connectences.models.base import utcnow

# token_sort_ratio over folded names: "jean dupond" / "jean dupont" scores 91,
# "marie dupont" / "marie dupuis" 83 (two people).
NAME_THRESHOLD = 88

REASON_EMAIL = "même adresse e-mail"
REASON_PHONE = "même numéro de téléphone"
REASON_NAME = "même nom"
REASON_NAME_CLOSE = "nom très proche"

K = TypeVar("K")


@dataclass
class DuplicatePair:
    """Two records that may be the same person, and why."""

    first: Candidate
    second: Candidate
    reasons: list[str] = field(default_factory=list)


def name_score(first_a: str, last_a: str, first_b: str, last_b: str) -> float:
    """0-100 closeness of two names, accent- and case-insensitive, order-insensitive."""
    return fuzz.token_sort_ratio(name_key(first_a, last_a), name_key(first_b, last_b))


def _prefix_range(column, prefix: str):
    # A range instead of LIKE so that the index on the column is used on every backend
    # (folded names are plain lower-case ASCII, so the byte order is the letter order).
    return and_(column >= prefix, column < prefix + "~")


def distinct_ids(session: Session, candidate_id: int) -> set[int]:
    """Ids of the records an animateur declared to be other people than this one."""
    rows = session.execute(
        select(CandidateDistinct.low_id, CandidateDistinct.high_id).where(
            or_(CandidateDistinct.low_id == candidate_id, CandidateDistinct.high_id == candidate_id)
        )
    )
    return {low if high == candidate_id else high for low, high in rows}


def find_duplicates(
    session: Session,
    *,
    email: str | None,
    phone: str | None,
    first_name: str | None,
    last_name: str | None,
    commune: str | None = None,
    exclude_id: int | None = None,
) -> list[tuple[Candidate, list[str]]]:
    """Stored candidates that may be the person described, each with its reasons in
    French, strongest first (e-mail, then phone, then name).

    Pairs an animateur declared distinct (``keep_both``) are left out when
    ``exclude_id`` names the record being compared.
    """
    found: dict[int, list[str]] = {}

    def add(candidate_id: int, reason: str) -> None:
        reasons = found.setdefault(candidate_id, [])
        if reason not in reasons:
            reasons.append(reason)

    email_norm = email_key(email)
    phone_norm = phone_key(phone)
    exact = []
    if email_norm:
        exact.append(Candidate.email_norm == email_norm)
    if phone_norm:
        exact.append(Candidate.phone_norm == phone_norm)
    if exact:
        rows = session.execute(
            select(Candidate.id, Candidate.email_norm, Candidate.phone_norm).where(or_(*exact))
        )
        for candidate_id, row_email, row_phone in rows:
            if email_norm and row_email == email_norm:
                add(candidate_id, REASON_EMAIL)
            if phone_norm and row_phone == phone_norm:
                add(candidate_id, REASON_PHONE)

    wanted_key = name_key(first_name, last_name)
    if wanted_key:
        # Namesakes share a last-name prefix with our last name, or with our first name
        # when the two were swapped; a typo early in the name is caught by the commune.
        prefixes = {p[:NAME_PREFIX] for p in (fold_name(last_name), fold_name(first_name)) if p}
        near = [_prefix_range(Candidate.last_name_norm, p) for p in prefixes]
        if commune:
            near.append(Candidate.commune == commune)
        if near:
            rows = session.execute(select(Candidate.id, Candidate.name_key).where(or_(*near)))
            for candidate_id, key in rows:
                if not key:
                    continue
                if key == wanted_key:
                    add(candidate_id, REASON_NAME)
                elif fuzz.token_sort_ratio(wanted_key, key) >= NAME_THRESHOLD:
                    add(candidate_id, REASON_NAME_CLOSE)

    if exclude_id is not None:
        found.pop(exclude_id, None)
        for other in distinct_ids(session, exclude_id):
            found.pop(other, None)
    if not found:
        return []
    candidates = session.scalars(select(Candidate).where(Candidate.id.in_(found))).all()
    strength = {REASON_EMAIL: 0, REASON_PHONE: 1, REASON_NAME: 2, REASON_NAME_CLOSE: 3}
    result = [(c, found[c.id]) for c in candidates]
    result.sort(key=lambda item: (min(strength[r] for r in item[1]), -len(item[1]), item[0].id))
    return result


def same_people(
    people: Sequence[tuple[K, Mapping[str, str | None]]],
) -> list[tuple[K, K, list[str]]]:
    """People described in memory (the rows of one file, not yet stored) who are one
    person: the same name, or a very close one, and the same e-mail address or phone
    number, compared as ``find_duplicates`` compares them with the library
    (``name_key``, ``NAME_THRESHOLD``, ``email_key``, ``phone_key``).

    ``people`` holds ``(key, fields)`` in order, ``fields`` with ``first_name``,
    ``last_name``, ``email`` and ``phone``. Returns ``(key, earlier key, reasons)`` for
    each person who is an earlier one, naming the earliest (a person three times is two
    pairs with the first, never a pair per two rows), reasons in French, the name's
    first. A shared phone or address alone is no match (a household shares a phone).
    """
    names: list[str] = []
    contacts: list[tuple[str | None, str | None]] = []
    # (kind, contact key) -> the names seen with it, and the earliest person of each name
    seen: dict[tuple[str, str], tuple[list[str], dict[str, int]]] = {}
    found: list[tuple[K, K, list[str]]] = []
    for index, (key, fields) in enumerate(people):
        name = name_key(fields.get("first_name"), fields.get("last_name"))
        email, phone = email_key(fields.get("email")), phone_key(fields.get("phone"))
        names.append(name)
        contacts.append((email, phone))
        earlier: list[int] = []
        for group in (("email", email), ("phone", phone)):
            if not name or group[1] is None:
                continue
            group_names, first_of = seen.setdefault(group, ([], {}))
            if name in first_of:
                earlier.append(first_of[name])
            else:
                close = process.extractOne(
                    name, group_names, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_THRESHOLD
                )
                group_names.append(name)
                first_of[name] = index
                if close is not None:
                    earlier.append(first_of[close[0]])
                    first_of[name] = first_of[close[0]]
        if not earlier:
            continue
        other = min(earlier)
        reasons = [REASON_NAME if names[other] == name else REASON_NAME_CLOSE]
        if email is not None and contacts[other][0] == email:
            reasons.append(REASON_EMAIL)
        if phone is not None and contacts[other][1] == phone:
            reasons.append(REASON_PHONE)
        found.append((key, people[other][0], reasons))
    return found


def duplicates_of(session: Session, candidate: Candidate) -> list[tuple[Candidate, list[str]]]:
    """The suspected duplicates of a stored record (its keep-both decisions applied)."""
    return find_duplicates(
        session,
        email=candidate.email,
        phone=candidate.phone,
        first_name=candidate.first_name,
        last_name=candidate.last_name,
        commune=candidate.commune,
        exclude_id=candidate.id,
    )


def suspected_pairs(
    session: Session, *, recent: int = 300, limit: int = 200
) -> list[DuplicatePair]:
    """Pairs of stored records that may be one person, for the duplicates page.

    Exact matches (e-mail, phone, same name in any order, accents ignored) are found
    over the whole library with GROUP BY on indexed columns; close names (typos) are
    looked for around the ``recent`` most recently created records, which is where
    new duplicates come from. Pairs declared distinct are left out.
    """
    pairs: dict[tuple[int, int], list[str]] = {}
    distinct = {
        (low, high)
        for low, high in session.execute(
            select(CandidateDistinct.low_id, CandidateDistinct.high_id)
        )
    }
    # Pairs are listed newest first (the newer record, then the other): of the pairs a
    # record makes, its ``kept`` newest are enough, even after the pairs declared
    # distinct are left out. Building them all, 200 groups of common names made 745,000
    # pairs (3 s) on a region's data.
    kept = limit + 1 + len(distinct)

    def add(a: int, b: int, reason: str) -> None:
        key = (min(a, b), max(a, b))
        reasons = pairs.setdefault(key, [])
        if reason not in reasons:
            reasons.append(reason)

    # Each record of a group sharing a value, with the group (its ids in order) and why.
    member_of: dict[int, list[tuple[list[int], str]]] = defaultdict(list)
    for column, reason in (
        (Candidate.email_norm, REASON_EMAIL),
        (Candidate.phone_norm, REASON_PHONE),
        (Candidate.name_key, REASON_NAME),
    ):
        shared = (
            select(column)
            .where(column.is_not(None))
            .group_by(column)
            .having(func.count() > 1)
            .limit(limit)
            .subquery()
        )
        groups: dict[str, list[int]] = {}
        for value, candidate_id in session.execute(
            select(column, Candidate.id).where(column.in_(select(shared))).order_by(Candidate.id)
        ):
            groups.setdefault(value, []).append(candidate_id)
        for ids in groups.values():
            for candidate_id in ids:
                member_of[candidate_id].append((ids, reason))
    # The pairs in the order they are listed (the newer record first, from the newest),
    # until ``kept`` of them: every pair after those comes after the list's end.
    listed = 0
    for b in sorted(member_of, reverse=True):
        if listed >= kept:
            break
        for ids, reason in member_of[b]:
            for a in ids[: bisect_left(ids, b)]:
                listed += (min(a, b), max(a, b)) not in pairs
                add(a, b, reason)

    # Close names around the recent records, as find_duplicates compares them (same
    # last-name prefix, or the first name's when the two were swapped), in one query for
    # all of them rather than one per record.
    newest = session.execute(
        select(Candidate.id, Candidate.first_name, Candidate.last_name, Candidate.name_key)
        .order_by(Candidate.created_at.desc(), Candidate.id.desc())
        .limit(recent)
    ).all()
    wanted: dict[str, list[tuple[int, str]]] = {}
    for candidate_id, first_name, last_name, key in newest:
        key = key or name_key(first_name, last_name)
        if not key:
            continue
        for prefix in {p[:NAME_PREFIX] for p in (fold_name(last_name), fold_name(first_name)) if p}:
            wanted.setdefault(prefix, []).append((candidate_id, key))
    if wanted:
        # Whole prefixes by equality; a name shorter than the prefix by range, as
        # find_duplicates does.
        prefix_of = func.substr(Candidate.last_name_norm, 1, NAME_PREFIX)
        full = [p for p in wanted if len(p) == NAME_PREFIX]
        short = [p for p in wanted if len(p) < NAME_PREFIX]
        near = session.execute(
            select(Candidate.id, Candidate.name_key, Candidate.last_name_norm).where(
                or_(
                    prefix_of.in_(full),
                    *(_prefix_range(Candidate.last_name_norm, p) for p in short),
                )
            )
        )
        # Each recent record's matches, of which its ``kept`` newest pairs only are added
        # (as for a shared value above): a common name matches hundreds of people
        # (745,000 pairs, 3 s, for 300 recent records on a region's data).
        found: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for other_id, other_key, other_last in near:
            if not other_key or not other_last:
                continue
            for length in range(1, NAME_PREFIX + 1):
                for candidate_id, key in wanted.get(other_last[:length], ()):
                    if other_id == candidate_id:
                        continue
                    if other_key == key:
                        found[candidate_id].append((other_id, REASON_NAME))
                    elif fuzz.token_sort_ratio(key, other_key) >= NAME_THRESHOLD:
                        found[candidate_id].append((other_id, REASON_NAME_CLOSE))
        for candidate_id, matches in found.items():
            if len(matches) > kept:
                matches = heapq.nlargest(
                    kept, matches, key=lambda m: (max(m[0], candidate_id), min(m[0], candidate_id))
                )
            for other_id, reason in matches:
                add(candidate_id, other_id, reason)

    if not pairs:
        return []
    # The newest ``limit`` pairs only are loaded: a common name shared by hundreds of
    # people makes tens of thousands of pairs (178,000 records loaded on a region's data).
    keys = heapq.nsmallest(
        limit, (key for key in pairs if key not in distinct), key=lambda k: (-k[1], -k[0])
    )
    ids = {i for key in keys for i in key}
    by_id = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.id.in_(ids)))}
    return [
        DuplicatePair(by_id[a], by_id[b], pairs[(a, b)])
        for a, b in keys
        if a in by_id and b in by_id
    ]


def keep_both(
    session: Session, a: Candidate | int, b: Candidate | int, *, actor: User | int | None
):
    """Record that ``a`` and ``b`` are two different people (idempotent)."""
    a_id = a if isinstance(a, int) else a.id
    b_id = b if isinstance(b, int) else b.id
    if a_id == b_id:
        raise ValueError("a record cannot be distinct from itself")
    low, high = min(a_id, b_id), max(a_id, b_id)
    existing = session.scalars(
        select(CandidateDistinct).where(
            CandidateDistinct.low_id == low, CandidateDistinct.high_id == high
        )
    ).one_or_none()
    if existing is not None:
        return existing
    decision = CandidateDistinct(
        low_id=low,
        high_id=high,
        by_id=actor.id if isinstance(actor, User) else actor,
        at=utcnow(),
    )
    session.add(decision)
    audit(
        session,
        "candidate_keep_both",
        actor=actor,
        entity="candidate",
        entity_id=low,
        details={"other_id": high},
    )
    return decision
