"""The bundles of today's open part-time needs: the needs not routed yet and the
matchable people loaded, then the pure pooling rule (``matching.pool``, which knows
nothing of SQLAlchemy) makes the bundles, best first, and says when its search was cut.

The animateurs' page narrows the needs pooled (``BundleFilters``: a trade, a commune)
when the whole territory gives too many combinations to list them all.

A company that asked not to be solicited (``Company.do_not_solicit``) is in no bundle:
the contact guard refuses every lead to it, so a bundle holding its need could never be
sent, and, a bundle being maximal, it hid the smaller one of the other companies that
could. Its open needs are listed apart (``set_aside_needs``), the page saying why."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from connectences import territory
from connectences.extensions import db
from connectences.listing import ListFilters, text_arg
from connectences.matching.data import need_from_model
from connectences.matching.matches import candidate_index
from connectences.matching.pool import Bundle, Pooling, SkillKeys, pool, why_not
from connectences.models import Company, Need
from connectences.needs.conditions import workable
from connectences.workflows import NEED_UNROUTED

# A ROME code (M1203) or its beginning (M12, M).
_ROME_START = re.compile(r"^[A-Z](?:\d{1,4})?$")


@dataclass(frozen=True)
class BundleFilters(ListFilters):
    """Which open needs are pooled: one trade, one commune (empty: all of them)."""

    ARGS = {"rome": "metier", "commune": "commune"}

    rome: str = ""  # a ROME code or its beginning
    commune: str = ""  # INSEE code of one of the Pays' communes: its needs only

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> BundleFilters:
        """The filters from query arguments; a value not understood is dropped."""
        rome = text_arg(args, cls.ARGS["rome"], 5).upper()
        commune = text_arg(args, cls.ARGS["commune"], 5)
        return cls(
            rome=rome if _ROME_START.match(rome) else "",
            commune=commune if commune in {c.insee for c in territory.pays_communes()} else "",
        )


def _open_needs(filters: BundleFilters | None):
    """The open part-time needs of ``filters``, their company joined."""
    filters = filters or BundleFilters()
    query = (
        select(Need)
        .join(Need.company)
        .where(Need.status.in_(NEED_UNROUTED), workable(), Need.hours_per_week < 35)
        .options(contains_eager(Need.company))
        .order_by(Need.ref)
    )
    if filters.rome:
        query = query.where(Need.rome.startswith(filters.rome, autoescape=True))
    if filters.commune:
        # A need's place is its own commune, else its company's (as need_from_model).
        query = query.where(func.coalesce(Need.commune, Company.commune) == filters.commune)
    return query


def set_aside_needs(session=None, filters: BundleFilters | None = None) -> list[Need]:
    """The open part-time needs of ``filters`` left out of every bundle because their
    company asked not to be solicited, by ref."""
    session = session or db.session
    return list(session.scalars(_open_needs(filters).where(Company.do_not_solicit.is_(True))))


def open_need_bundles(session=None, filters: BundleFilters | None = None) -> Pooling:
    """Maximal bundles of the open part-time needs, best first, with the fitting candidates,
    and whether the list was cut (``Pooling.truncated``).

    Open needs are those not routed yet (``workflows.NEED_UNROUTED``) that the platform
    may work on (``conditions.workable``: confirmed by their owner, attached to their
    company) and whose company may be contacted (not ``do_not_solicit``); ``filters`` keeps those of one trade and of one commune. Candidates are
    the matchable ones (open to work, consented, address confirmed), the pure rules
    checking each need's hard constraints again, in their free hours and free days.
    """

    session = session or db.session
    needs = session.scalars(_open_needs(filters).where(Company.do_not_solicit.is_(False)))
    # From the matcher's index, kept up to date per process: loading the matchable people
    # as ORM objects took 22 s at 65,000 of them.
    candidates = candidate_index(session).matchable()
    return pool(
        [need_from_model(n) for n in needs],
        candidates,
        distance=territory.distance_km,
        epci_of=territory.epci_of,
    )


def pool_open_needs(
    session=None, details: bool = False, filters: BundleFilters | None = None
) -> dict:
    """``{"bundles": [{"needs", "hours", "days", "candidates"}], "truncated": bool}`` (plus
    score and reasons with ``details``) for the open needs, best first. ``truncated``:
    the search was cut on dense data and only the bundles listed were found (each bundle
    is the interchange spec's; the flag is the list's, beside them)."""
    found = open_need_bundles(session, filters)
    return {
        "bundles": [b.to_json(details=details) for b in found.bundles],
        "truncated": found.truncated,
    }


NEIGHBOURS_SHOWN = 5
"""Needs left out of a bundle said on the page, at most (the others counted)."""


def left_out(
    bundles: list[Bundle] | list[dict], session=None, filters: BundleFilters | None = None
) -> dict[tuple[str, ...], tuple[list[tuple[Need, str]], int]]:
    """For each bundle (its needs' refs, sorted), how many open needs of a related trade
    (a ROME family or a skill in common with one of its needs) it leaves out, and the first
    ``NEIGHBOURS_SHOWN`` of them by ref with why (``pool.why_not``): what the page says
    under "why these needs together". Needs are bucketed by key, as the pool does, so a
    bundle reads only its neighbours, and stops at the ones it shows."""
    session = session or db.session
    refs_of = [tuple(sorted(b["needs"] if isinstance(b, dict) else b.needs)) for b in bundles]
    if not refs_of:
        return {}
    needs = list(session.scalars(_open_needs(filters).where(Company.do_not_solicit.is_(False))))
    data = {n.ref: need_from_model(n) for n in needs}
    models = {n.ref: n for n in needs}
    keys = SkillKeys()
    key_of = {ref: keys.of(n.skills, (n.rome,)) for ref, n in data.items()}
    bucket: dict[str, set[str]] = defaultdict(set)
    for ref, found in key_of.items():
        for key in found:
            bucket[key].add(ref)
    in_order = sorted(data)  # by ref

    def name(ref: str) -> str:
        need = models[ref]
        return f"« {need.title} » ({need.company.name})"

    out = {}
    for refs in refs_of:
        members = [data[r] for r in refs if r in data]
        near: set[str] = set()
        for ref in refs:
            for key in key_of.get(ref, ()):
                near |= bucket[key]
        near.difference_update(refs)
        shown = []
        for ref in sorted(near) if len(near) < 64 else in_order:
            if len(shown) == NEIGHBOURS_SHOWN:
                break
            if ref not in near:
                continue
            why = why_not(
                members, data[ref], distance=territory.distance_km, name=name, skill_keys=keys
            )
            if why is not None:
                shown.append((models[ref], why))
        out[refs] = (shown, len(near))
    return out
