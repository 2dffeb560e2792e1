"""The trial period (période d'essai) of a placement: the longest the law allows, proposed
to the operator, and the follow-up point planned a few days before it ends.

A shared-time recruitment most often breaks at the end of the trial, so the follow-up
that secures it must happen before that day. The maximum durations are those of the Code
du travail when no branch agreement or contract says shorter:

- CDI, including the CDI à temps partagé of a groupement d'employeurs (L1221-19):
  2 months for workers and employees, 3 for technicians and agents de maîtrise,
  4 for cadres;
- CDD and seasonal contract (L1242-10): one day per week of contract, at most two weeks
  for a contract of six months or less, at most one month beyond;
- mission (interim, L1251-14): 2 days for a mission of one month or less, 3 days up to
  two months, 5 days beyond.

The operator may give a trial agreed in the contract (shorter, or for a CDI renewed once
as a branch agreement allows: twice those months at most, L1221-21), or none; an agreed
trial beyond those bounds is refused. This module owns
that rule; ``workflows.leads`` plans the point from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from connectences import vocab
from connectences.dates import period_end

# ``FollowUpPoint.months`` of the point before the trial's end (the other points are
# 1, 3 and 6 months after the start): at most one for a placement, like each of them.
TRIAL_POINT = 0
# How many days before the trial's last day its follow-up point is due.
POINT_DAYS_BEFORE = 7

# How the operator set the trial (``Placement.trial``).
LEGAL = "legale"  # the longest the law allows, as proposed
AGREED = "convenue"  # an end agreed in the contract, given by the operator
NONE = "aucune"  # no trial period
CHOICES = (LEGAL, AGREED, NONE)

OPEN_ENDED = ("cdi", "cdi_temps_partage")
FIXED_TERM = ("cdd", "saisonnier")
# Months of a CDI's trial by level (L1221-19).
CDI_MONTHS = {"non_qualifie": 2, "employe_qualifie": 2, "technicien": 3, "cadre": 4}
CDI_LEVEL_WORDS = {
    "non_qualifie": "ouvriers et employés",
    "employe_qualifie": "ouvriers et employés",
    "technicien": "agents de maîtrise et techniciens",
    "cadre": "cadres",
}


@dataclass(frozen=True)
class Proposal:
    """The trial the law allows at most: its last day (None: no trial at all) and why."""

    end: date | None
    reason: str


def placement_level(levels: Iterable[str]) -> str | None:
    """The level a placement's trial is read for: the highest of its needs' (a person
    placed as cadre in one company of a bundle is recruited as cadre)."""
    known = [level for level in levels if level in vocab.LEVEL_RANK]
    return max(known, key=vocab.LEVEL_RANK.__getitem__, default=None)


def _days(count: int) -> str:
    return f"{count} jour" if count == 1 else f"{count} jours"


def _end_after_days(start: date, days: int) -> date:
    return start + timedelta(days=days - 1)


def proposed_trial(contract: str, level: str | None, start: date, term: date | None):
    """The longest trial the law allows for a placement (``Proposal``), or None when it
    cannot be computed: a fixed-term contract whose last day (``term``) is unknown, or a
    contract the law above does not cover."""
    if contract in OPEN_ENDED:
        months = CDI_MONTHS.get(level or "", 2)
        words = CDI_LEVEL_WORDS.get(level or "", "ouvriers et employés")
        return Proposal(
            period_end(start, months),
            f"{vocab.label(vocab.CONTRACTS, contract)} : {months} mois au plus pour les "
            f"{words} (article L1221-19 du Code du travail).",
        )
    if term is None:
        return None
    length = (term - start).days + 1
    if contract in FIXED_TERM:
        weeks = length // 7
        if weeks == 0:
            return Proposal(
                None,
                "Contrat de moins d'une semaine : un jour d'essai par semaine de contrat, "
                "donc pas de période d'essai (article L1242-10 du Code du travail).",
            )
        if term <= period_end(start, 6):
            days = min(weeks, 14)
            cap = "deux semaines au plus pour un contrat de six mois ou moins"
        else:
            days = min(weeks, (period_end(start, 1) - start).days + 1)
            cap = "un mois au plus pour un contrat de plus de six mois"
        return Proposal(
            _end_after_days(start, days),
            f"{vocab.label(vocab.CONTRACTS, contract)} de {weeks} semaine"
            f"{'s' if weeks > 1 else ''} : un jour par semaine de contrat, {cap}, soit "
            f"{_days(days)} (article L1242-10 du Code du travail).",
        )
    if contract == "mission":
        if term <= period_end(start, 1):
            days, span = 2, "d'un mois ou moins"
        elif term <= period_end(start, 2):
            days, span = 3, "d'un à deux mois"
        else:
            days, span = 5, "de plus de deux mois"
        return Proposal(
            _end_after_days(start, days),
            f"Mission {span} : {_days(days)} au plus (article L1251-14 du Code du travail).",
        )
    return None


@dataclass(frozen=True)
class Longest:
    """The last day an agreed trial may reach (None: the contract has no trial at all),
    and the rule that says so."""

    end: date | None
    rule: str


def longest_agreed(contract: str, level: str | None, start: date, term: date | None):
    """How long a trial agreed in the contract may run at most (``Longest``), or None when
    it cannot be said (a fixed-term contract of unknown length). A CDI's trial may be
    renewed once when a branch agreement provides for it, renewal included at most twice
    the months of L1221-19 (L1221-21); the other contracts' durations are maxima the
    contract may shorten, never extend."""
    if contract in OPEN_ENDED:
        months = 2 * CDI_MONTHS.get(level or "", 2)
        words = CDI_LEVEL_WORDS.get(level or "", "ouvriers et employés")
        return Longest(
            period_end(start, months),
            f"{months} mois au plus pour les {words}, renouvellement compris "
            "(article L1221-21 du Code du travail)",
        )
    proposal = proposed_trial(contract, level, start, term)
    if proposal is None:
        return None
    return Longest(proposal.end, proposal.reason.rstrip("."))


def trial_problem(
    end: date, start: date, term: date | None, longest: Longest | None = None
) -> str | None:
    """The French message for a trial ending before the contract starts, after its last
    day, or beyond the longest the law allows (``longest``), or None."""
    if end < start:
        return (
            "La période d'essai ne peut pas finir avant le début du contrat "
            f"(le {start.strftime('%d/%m/%Y')})."
        )
    if term is not None and end > term:
        return (
            "La période d'essai ne peut pas finir après le dernier jour du contrat "
            f"(le {term.strftime('%d/%m/%Y')})."
        )
    if longest is not None and longest.end is None:
        return f"{longest.rule}. Choisissez « pas de période d'essai »."
    if longest is not None and end > longest.end:
        return (
            "La période d'essai ne peut pas aller au-delà du "
            f"{longest.end.strftime('%d/%m/%Y')}. {longest.rule[:1].upper()}{longest.rule[1:]}."
        )
    return None


def point_due(start: date, end: date) -> date:
    """When the follow-up before the trial's end is due: ``POINT_DAYS_BEFORE`` days before
    its last day, never before the start (a trial shorter than that: on its first day)."""
    return max(start, end - timedelta(days=POINT_DAYS_BEFORE))


def point_label(months: int) -> str:
    """A follow-up point as sentences name it: "suivi à 3 mois", "suivi avant la fin de
    la période d'essai"."""
    if months == TRIAL_POINT:
        return "suivi avant la fin de la période d'essai"
    return f"suivi à {months} mois"


def rules(level: str | None) -> list[str]:
    """The longest trial of each contract, as the placement form explains what it
    proposes for a lead of ``level``."""
    months = CDI_MONTHS.get(level or "", 2)
    words = CDI_LEVEL_WORDS.get(level or "", "ouvriers et employés")
    return [
        f"CDI et CDI à temps partagé : {months} mois pour les {words} (article L1221-19).",
        "CDD et contrat saisonnier : un jour par semaine de contrat, au plus deux semaines "
        "pour six mois ou moins, un mois au-delà (article L1242-10).",
        "Mission : 2 jours jusqu'à un mois, 3 jours jusqu'à deux mois, 5 jours au-delà "
        "(article L1251-14).",
    ]
