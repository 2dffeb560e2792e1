"""Plain data the matcher works on, free of SQLAlchemy and HTTP.

The domain functions (score, pool, route) take these and return plain results;
``from_models`` helpers build them from ORM rows. Field names follow the
interchange format v1.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class NeedData:
    ref: str
    company: str  # company ref
    title: str
    skills: tuple[str, ...]
    level: str
    hours_per_week: float
    days: frozenset[str]
    contract: str
    reason: str
    start: date
    commune: str  # where the work happens (the company's commune by default)
    rome: str | None = None
    duration_months: float | None = None


@dataclass(frozen=True, slots=True)
class CommitmentData:
    """Work the person already holds (interchange v1.1): hours, days, last day or None."""

    hours_per_week: float
    days: frozenset[str]
    until: date | None = None
    label: str | None = None
    # Its first day, when known (a placement's): words only. The spec has no start, and
    # matching counts the work from now on whatever it says (``week.running``); the
    # week's sentences say « à partir du » of work not started yet (``week.not_started``).
    start: date | None = None
    # The need it works for (a placement's ``Commitment.need_id``), None for declared
    # work: never offered to the person as free time while it runs (``week.worked_on``).
    need_id: int | None = None


@dataclass(frozen=True, slots=True)
class CandidateData:
    ref: str
    commune: str
    mobility_km: float
    skills: tuple[str, ...]
    level: str
    hours_min: float
    hours_max: float
    days: frozenset[str]
    contracts: frozenset[str]
    available_from: date
    rome: tuple[str, ...] = ()
    status: str = "disponible"
    consent: bool = True
    commitments: tuple[CommitmentData, ...] = ()
    # Identity and everything else outside the matching criteria never reach the
    # scorer; they are kept out of this class on purpose (Code du travail L1132-1).


@dataclass(frozen=True, slots=True)
class OperatorData:
    ref: str
    name: str
    kind: str
    epcis: frozenset[str]
    rome_domains: tuple[str, ...]
    levels: frozenset[str]
    contracts: frozenset[str]
    max_hours_per_week: float | None = None


@dataclass(frozen=True, slots=True)
class PartnerData:
    ref: str
    name: str
    kind: str
    epcis: frozenset[str] = field(default_factory=frozenset)


def need_from_model(need) -> NeedData:
    return _need_data(need, need.company.ref, need.commune or need.company.commune)


def need_from_row(row) -> NeedData:
    """``need_from_model`` from a row of ``open_bundles.NEED_COLUMNS`` (the need's columns,
    its company's ref and commune): the same values, without loading thousands of needs
    and companies as objects."""
    return _need_data(row, row.company_ref, row.commune or row.company_commune)


def _need_data(need, company: str, commune: str) -> NeedData:
    """A need's values from a model or a row (their columns have the same names), with
    its company's ref and its place (its own commune, else its company's)."""
    return NeedData(
        ref=need.ref,
        company=company,
        title=need.title,
        skills=tuple(need.skills or ()),
        level=need.level,
        hours_per_week=float(need.hours_per_week),
        days=frozenset(need.days or ()),
        contract=need.contract,
        reason=need.reason,
        start=need.start,
        commune=commune,
        rome=need.rome,
        duration_months=need.duration_months,
    )


def commitment_from_model(commitment) -> CommitmentData:
    return CommitmentData(
        hours_per_week=float(commitment.hours_per_week),
        days=frozenset(commitment.days or ()),
        until=commitment.until,
        label=commitment.label,
        start=commitment.start,
        need_id=commitment.need_id,
    )


def candidate_from_model(candidate) -> CandidateData:
    return CandidateData(
        ref=candidate.ref,
        commune=candidate.commune,
        mobility_km=float(candidate.mobility_km),
        skills=tuple(candidate.skill_labels),
        level=candidate.level,
        hours_min=float(candidate.hours_min),
        hours_max=float(candidate.hours_max),
        days=frozenset(candidate.days or ()),
        contracts=frozenset(candidate.contracts or ()),
        available_from=candidate.available_from,
        rome=tuple(candidate.rome or ()),
        status=candidate.status,
        # Matching only ever sees people who consented and confirmed their address.
        consent=bool(candidate.consent and candidate.email_confirmed_at is not None),
        commitments=tuple(commitment_from_model(c) for c in candidate.commitments),
    )


def operator_from_model(operator) -> OperatorData:
    return OperatorData(
        ref=operator.ref,
        name=operator.name,
        kind=operator.kind,
        epcis=frozenset(operator.epcis or ()),
        rome_domains=tuple(operator.rome_domains or ()),
        levels=frozenset(operator.levels or ()),
        contracts=frozenset(operator.contracts or ()),
        max_hours_per_week=operator.max_hours_per_week,
    )


def partner_from_model(partner) -> PartnerData:
    return PartnerData(
        ref=partner.ref, name=partner.name, kind=partner.kind, epcis=frozenset(partner.epcis or ())
    )
