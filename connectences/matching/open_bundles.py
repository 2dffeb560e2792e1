"""The bundles of today's open part-time needs: the needs not routed yet and the
matchable people loaded, then the pure pooling rule (``matching.pool``, which knows
nothing of SQLAlchemy) makes the bundles, best first, and says when its search was cut.

The animateurs' page narrows the needs pooled (``BundleFilters``: a trade, a commune)
when the whole territory gives too many combinations to list them all.

A company that asked not to be solicited (``Company.do_not_solicit``) is in no bundle
the platform proposes (the page, « Compléter la semaine », a proposal's check): the
contact guard refuses every lead to it, so a bundle holding its need could never be
sent, and, a bundle being maximal, it hid the smaller one of the other companies that
could. Its open needs are listed apart (``set_aside_needs``), the page saying why. The
interchange's pool (the API's and the command line's, ``reachable_only=False``) is the
spec's rule, which knows no such choice: every open part-time need is pooled there.

Pooling the territory (10,000 open needs, 100,000 people) takes seconds, and the same
result serves every page and request until the data changes: each worker keeps it
(``kept``) under the generation of the ``pooled_needs`` watch (``changes``: a need added
or deleted or changed in what pooling reads, a company's ref, name, place or
do-not-solicit choice, written by any worker, the scheduler or the API) and the
candidate index's ``matchable_version`` (a matchable person added, changed in what
matching reads, or no longer matchable; the index reloads whoever was written since its
last read, so another worker's change is seen too). The first request after such a
change pools again (about 3 s on a region's data); the others read what is kept. One
pooling of all the needs and the last filtered one are kept per worker, warmed before a
worker takes traffic (``warmup``)."""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from connectences import changes, territory
from connectences.extensions import db
from connectences.kept import kept
from connectences.listing import ROME_PROBLEM, ListFilters, Refusal, choice_reader, text_arg
from connectences.matching.data import NeedData, need_from_row
from connectences.matching.matches import candidate_index
from connectences.matching.pool import Bundle, Pooling, SkillKeys, pool, why_not
from connectences.models import Company, Need
from connectences.needs.conditions import workable
from connectences.workflows import NEED_UNROUTED


def _changes_pooled_company(company: Company, how: str) -> bool:
    """Whether this change of a company can change the bundles: deleted, or its ref, its
    name (said of its needs left out), its commune (its needs' place by default) or its do-not-solicit choice changed (a new
    company has no need yet)."""
    if how == changes.DELETED:
        return True
    return how == changes.CHANGED and changes.changed(
        company, "ref", "name", "commune", "do_not_solicit"
    )


# What a need is pooled, matched and named by, and whether it is open.
_POOLED_NEED_FIELDS = (
    *("ref", "title", "rome", "skills", "level", "hours_per_week", "days", "contract"),
    *("reason", "start", "duration_months", "commune", "company_id", "status", "source"),
    *("owner_confirmed_at", "owner_unattached", "company"),
)


def _changes_pooled_need(need: Need, how: str) -> bool:
    """Whether this change of a need can change the bundles or the open needs: added,
    deleted, or one of ``_POOLED_NEED_FIELDS`` changed (its notes or its owner's phone
    do not)."""
    return how != changes.CHANGED or changes.changed(need, *_POOLED_NEED_FIELDS)


POOLED_NEEDS = changes.watch(
    "pooled_needs",
    {
        Need: _changes_pooled_need,
        Company: _changes_pooled_company,
    },
)

# A ROME code (M1203) or its beginning (M12, M).
# ASCII digits only: another script's digit (which \d takes) was a code matching nothing.
_ROME_START = re.compile(r"[A-Z][0-9]{0,4}", re.ASCII)


@dataclass(frozen=True)
class BundleFilters(ListFilters):
    """Which open needs are pooled: one trade, one commune (empty: all of them)."""

    ARGS = {"rome": "metier", "commune": "commune"}

    rome: str = ""  # a ROME code or its beginning
    commune: str = ""  # INSEE code of one of the Pays' communes: its needs only

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[BundleFilters, list[Refusal]]:
        """The filters from query arguments and the values refused (left out, and named
        by the page): a trade that is no ROME code, a commune not of the Pays."""
        errors: list[Refusal] = []
        rome = text_arg(args, cls.ARGS["rome"], 5).upper()
        if rome and not _ROME_START.fullmatch(rome):
            errors.append(Refusal(cls.ARGS["rome"], "Métier (code ROME)", ROME_PROBLEM))
            rome = ""
        communes = {c.insee for c in territory.pays_communes()}
        commune = choice_reader(args, errors)(
            cls.ARGS["commune"], "Commune", communes, "une commune"
        )
        return cls(rome=rome, commune=commune), errors


# A need as ``data.need_from_row`` reads it, and its company's name.
NEED_COLUMNS = (
    Need.ref,
    Company.ref.label("company_ref"),
    Need.title,
    Need.skills,
    Need.level,
    Need.hours_per_week,
    Need.days,
    Need.contract,
    Need.reason,
    Need.start,
    Need.commune,
    Company.commune.label("company_commune"),
    Need.rome,
    Need.duration_months,
    Company.name.label("company_name"),
)


def _open_needs(filters: BundleFilters | None, columns: tuple = ()):
    """The open part-time needs of ``filters``, their company joined (as rows of
    ``columns`` when given)."""
    filters = filters or BundleFilters()
    if columns:
        query = select(*columns).select_from(Need)
    else:
        query = select(Need).options(contains_eager(Need.company))
    query = (
        query.join(Need.company)
        .where(Need.status.in_(NEED_UNROUTED), workable(), Need.hours_per_week < 35)
        .order_by(Need.ref)
    )
    if filters.rome:
        query = query.where(Need.rome.startswith(filters.rome, autoescape=True))
    if filters.commune:
        # A need's place is its own commune, else its company's (as need_from_model).
        query = query.where(func.coalesce(Need.commune, Company.commune) == filters.commune)
    return query


def _pooled_rows(session, filters: BundleFilters, reachable_only: bool = True) -> list:
    """The open part-time needs pooled (with ``reachable_only``, those whose company may
    be contacted), as ``NEED_COLUMNS`` rows: 7,000 needs and companies as objects took a
    second."""
    query = _open_needs(filters, NEED_COLUMNS)
    if reachable_only:
        query = query.where(Company.do_not_solicit.is_(False))
    return list(session.execute(query))


def set_aside_needs(session=None, filters: BundleFilters | None = None) -> list[Need]:
    """The open part-time needs of ``filters`` left out of every bundle because their
    company asked not to be solicited, by ref."""
    session = session or db.session
    return list(session.scalars(_open_needs(filters).where(Company.do_not_solicit.is_(True))))


def open_need_bundles(
    session=None, filters: BundleFilters | None = None, *, reachable_only: bool = True
) -> Pooling:
    """Maximal bundles of the open part-time needs, best first, with the fitting candidates,
    and whether the list was cut (``Pooling.truncated``).

    Open needs are those not routed yet (``workflows.NEED_UNROUTED``) that the platform
    may work on (``conditions.workable``: confirmed by their owner, attached to their
    company) and, with ``reachable_only`` (the bundles the platform may propose), whose
    company may be contacted (not ``do_not_solicit``); without it, the interchange's pool.
    ``filters`` keeps those of one trade and of one commune. Candidates are the matchable
    ones (open to work, consented, address confirmed), the pure rules checking each
    need's hard constraints again, in their free hours and free days.
    """

    session = session or db.session
    filters = filters or BundleFilters()
    version = _version(session)
    if not reachable_only:
        return kept(
            session,
            "pooled_bundles_interchange",
            (version, filters),
            lambda: _pool_now(session, filters, reachable_only=False),
        )
    if filters.as_args():
        return kept(
            session,
            "pooled_bundles_filtered",
            (version, filters),
            lambda: _pool_now(session, filters),
        )
    return kept(session, "pooled_bundles", version, lambda: _pool_now(session, filters))


def _version(session) -> tuple:
    """What the kept bundles were computed at. Read before computing: a change committed
    meanwhile leaves a later version, so the next request computes again rather than keep
    a result older than its version."""
    generation = changes.generation(session, POOLED_NEEDS.name)
    return (generation, candidate_index(session).matchable_version)


def _pool_now(session, filters: BundleFilters, reachable_only: bool = True) -> Pooling:
    needs = [need_from_row(row) for row in _pooled_rows(session, filters, reachable_only)]
    # From the matcher's index, kept up to date per process: loading the matchable people
    # as ORM objects took 22 s at 65,000 of them.
    candidates = candidate_index(session).matchable()
    return pool(
        needs,
        candidates,
        distance=territory.distance_km,
        epci_of=territory.epci_of,
    )


def pool_open_needs(
    session=None, details: bool = False, filters: BundleFilters | None = None
) -> dict:
    """``{"bundles": [{"needs", "hours", "days", "candidates"}], "truncated": bool}`` (plus
    score and reasons with ``details``) for the open needs, best first: the interchange's
    pool, every open part-time need pooled (``reachable_only=False``). ``truncated``: the
    search was cut on dense data and only the bundles listed were found (each bundle is
    the interchange spec's; the flag is the list's, beside them)."""
    found = open_need_bundles(session, filters, reachable_only=False)
    return {
        "bundles": [b.to_json(details=details) for b in found.bundles],
        "truncated": found.truncated,
    }


BundleKey = tuple[int, tuple[str, ...]]
"""Where a bundle stands in the list: its score, its needs' refs (sorted)."""


def bundle_key(bundle: Bundle) -> BundleKey:
    return (bundle.score, bundle.needs)


# The last list fingerprinted and its fingerprint (a Pooling is kept per worker while
# the data stays the same: its fingerprint with it).
_fingerprinted: tuple[Pooling, str] | None = None


def bundles_order(found: Pooling) -> str:
    """A fingerprint of the order of ``found``'s bundles (their keys): a walk by key
    misses a bundle ranked before its cursor, or gives one twice, only when this
    changed between its pages (the content of a bundle may change: the next walk gives
    it)."""
    global _fingerprinted
    last = _fingerprinted
    if last is not None and last[0] is found:
        return last[1]
    keys = json.dumps([[b.score, list(b.needs)] for b in found.bundles]).encode()
    fingerprint = hashlib.sha256(keys).hexdigest()[:16]
    _fingerprinted = (found, fingerprint)
    return fingerprint


def bundles_after(
    found: Pooling, after: BundleKey | None, limit: int
) -> tuple[list[Bundle], BundleKey | None]:
    """A page of ``found``'s bundles in their order (best score first, then the needs'
    refs): the ``limit`` that follow the bundle keyed ``after`` (from the first without
    it), and the key of the page's last bundle when others follow (None at the end). A
    key, not a position: when the bundles changed between two pages, the next one starts
    after the same bundle, as a list synchronised by date does."""
    bundles = found.bundles
    start = 0
    if after is not None:
        start = bisect_right(bundles, (-after[0], after[1]), key=lambda b: (-b.score, b.needs))
    page = bundles[start : start + limit]
    more = page and start + limit < len(bundles)
    return page, bundle_key(page[-1]) if more else None


NEIGHBOURS_SHOWN = 5
"""Needs left out of a bundle said on the page, at most (the others counted)."""


@dataclass(frozen=True)
class _Neighbourhood:
    """The open needs as ``left_out`` compares them: plain data, compatibility keys and
    the needs sharing each key, and how a reason names each need."""

    data: dict[str, NeedData]
    key_of: dict[str, frozenset[str]]
    bucket: dict[str, frozenset[str]]
    in_order: list[str]  # by ref
    names: dict[str, str]
    skill_keys: SkillKeys


def _neighbourhood(session, filters: BundleFilters) -> _Neighbourhood:
    rows = _pooled_rows(session, filters)
    data = {row.ref: need_from_row(row) for row in rows}
    keys = SkillKeys()
    key_of = {ref: keys.of(n.skills, (n.rome,)) for ref, n in data.items()}
    bucket: dict[str, set[str]] = defaultdict(set)
    for ref, found in key_of.items():
        for key in found:
            bucket[key].add(ref)
    return _Neighbourhood(
        data=data,
        key_of=key_of,
        bucket={key: frozenset(refs) for key, refs in bucket.items()},
        in_order=sorted(data),
        names={row.ref: f"« {row.title} » ({row.company_name})" for row in rows},
        skill_keys=keys,
    )


def left_out(
    bundles: list[Bundle] | list[dict], session=None, filters: BundleFilters | None = None
) -> dict[tuple[str, ...], tuple[list[tuple[str, str]], int]]:
    """For each bundle (its needs' refs, sorted), how many open needs of a related trade
    (a ROME family or a skill in common with one of its needs) it leaves out, and the first
    ``NEIGHBOURS_SHOWN`` of them by ref with why (``pool.why_not``): what the page says
    under "why these needs together". Needs are bucketed by key, as the pool does, so a
    bundle reads only its neighbours, and stops at the ones it shows. The open needs so
    compared are kept like the bundles (under the ``pooled_needs`` generation); the
    needs shown are given by ref, for the page to read with its bundles' own."""
    session = session or db.session
    filters = filters or BundleFilters()
    refs_of = [tuple(sorted(b["needs"] if isinstance(b, dict) else b.needs)) for b in bundles]
    if not refs_of:
        return {}
    # Needs and companies only: a person changed leaves them as they are.
    version = changes.generation(session, POOLED_NEEDS.name)
    if filters.as_args():
        around = kept(
            session,
            "pooled_neighbours_filtered",
            (version, filters),
            lambda: _neighbourhood(session, filters),
        )
    else:
        around = kept(
            session, "pooled_neighbours", version, lambda: _neighbourhood(session, filters)
        )
    data, key_of, bucket = around.data, around.key_of, around.bucket

    found = {}
    for refs in refs_of:
        members = [data[r] for r in refs if r in data]
        near: set[str] = set()
        for ref in refs:
            for key in key_of.get(ref, ()):
                near |= bucket[key]
        near.difference_update(refs)
        shown = []
        for ref in sorted(near) if len(near) < 64 else around.in_order:
            if len(shown) == NEIGHBOURS_SHOWN:
                break
            if ref not in near:
                continue
            why = why_not(
                members,
                data[ref],
                distance=territory.distance_km,
                name=around.names.__getitem__,
                skill_keys=around.skill_keys,
            )
            if why is not None:
                shown.append((ref, why))
        found[refs] = (shown, len(near))
    return found
