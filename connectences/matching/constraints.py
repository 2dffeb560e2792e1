"""Hard constraints of matching (interchange v1.1, "What the platform derives").

A candidate who breaks one of them is never proposed for the need. Days and
hours are the person's *free* days and hours on the need's start
(``matching.week``): a person "en mission" holds work already and is matched on
the rest of their week. Boundaries are allowed: available on the start date,
free hours equal to the need's hours (compared through ``week.hours_fit``, float
error aside), a distance equal to ``mobility_km``. When the distance is unknown (a
commune centre is missing) the mobility constraint is not applied, and the
check says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectences.matching import week
from connectences.matching.data import CandidateData, NeedData
from connectences.typography import hours_plain
from connectences.vocab import (
    CANDIDATE_STATUSES,
    CONTRACTS,
    DAYS,
    LEVEL_RANK,
    LEVELS,
    OPEN_TO_WORK,
    label,
)

# Stable codes, in the order the checks are reported.
CONSTRAINT_CODES: tuple[str, ...] = (
    "status",
    "consent",
    "available_from",
    "distance",
    "days",
    "hours",
    "contract",
    "level",
)

KM_TOLERANCE = 1e-9
"""Float error on distances: two formulas of the great-circle distance (a sender's and
ours) differ in the last bits, and a mobility equal to the distance is allowed."""


def within_mobility(distance_km, mobility_km):
    """Whether ``distance_km`` is at most ``mobility_km``, float error aside.

    The one comparison of a known distance with a mobility radius in matching: plain
    floats or numpy arrays (the index compares columns with the very same expression).
    """
    return distance_km <= mobility_km + KM_TOLERANCE


# Said of a candidate whose commune's centre, or the need's, is unknown (spec: "the
# constraint is not applied, and the explanation says so"): in the hard constraints'
# checks and, with no points, in the score's explanation.
UNKNOWN_DISTANCE = (
    "Distance inconnue (centre de commune non renseigné) : "
    "la contrainte de mobilité n'est pas appliquée."
)


@dataclass(frozen=True, slots=True)
class ConstraintCheck:
    """One hard constraint checked for a need and a candidate, said in French."""

    code: str
    ok: bool
    text: str

    def as_dict(self) -> dict:
        return {"code": self.code, "ok": self.ok, "text": self.text}


def _km(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def _days(days) -> str:
    return ", ".join(DAYS[d] for d in DAYS if d in days) or "aucun"


def _date(value) -> str:
    return value.strftime("%d/%m/%Y")


def hard_constraint_checks(
    need: NeedData, cand: CandidateData, distance_km: float | None
) -> list[ConstraintCheck]:
    """Every hard constraint of the spec, checked for this pair, in a fixed order."""
    checks: list[ConstraintCheck] = []

    status_label = label(CANDIDATE_STATUSES, cand.status).lower()
    if cand.status == "disponible":
        checks.append(ConstraintCheck("status", True, "Le candidat est disponible."))
    elif cand.status in OPEN_TO_WORK:
        checks.append(
            ConstraintCheck(
                "status",
                True,
                f"Le candidat est {status_label} et cherche à compléter sa semaine.",
            )
        )
    else:
        checks.append(
            ConstraintCheck(
                "status",
                False,
                f"Le candidat n'est pas disponible (statut : {status_label}).",
            )
        )

    if cand.consent:
        checks.append(
            ConstraintCheck(
                "consent",
                True,
                "Le candidat a consenti à être mis en relation (adresse confirmée).",
            )
        )
    else:
        checks.append(
            ConstraintCheck(
                "consent",
                False,
                "Le candidat n'a pas donné (ou pas confirmé) son consentement à être mis en relation.",
            )
        )

    if cand.available_from <= need.start:
        checks.append(
            ConstraintCheck(
                "available_from",
                True,
                f"Disponible dès le {_date(cand.available_from)}, "
                f"avant ou le jour du démarrage ({_date(need.start)}).",
            )
        )
    else:
        checks.append(
            ConstraintCheck(
                "available_from",
                False,
                f"Disponible seulement à partir du {_date(cand.available_from)}, "
                f"après le démarrage prévu le {_date(need.start)}.",
            )
        )

    if distance_km is None:
        checks.append(ConstraintCheck("distance", True, UNKNOWN_DISTANCE))
    elif within_mobility(distance_km, cand.mobility_km):
        checks.append(
            ConstraintCheck(
                "distance",
                True,
                f"Le lieu de travail est à {_km(distance_km)} km, dans le rayon de mobilité "
                f"du candidat ({_km(cand.mobility_km)} km).",
            )
        )
    else:
        checks.append(
            ConstraintCheck(
                "distance",
                False,
                f"Le lieu de travail est à {_km(distance_km)} km, au-delà du rayon de mobilité "
                f"du candidat ({_km(cand.mobility_km)} km).",
            )
        )

    # The person's week as the need's lines say it (``week.start_sentence``): the week at
    # its start, and the work taking its time today that ends before it.
    sentence = week.start_sentence(cand, need) if cand.commitments else None
    holds_work = bool(week.running(cand.commitments, need.start))
    free = week.free_days(cand, need.start)
    common = need.days & free
    if common:
        checks.append(ConstraintCheck("days", True, f"Jours en commun : {_days(common)}."))
    elif holds_work:
        checks.append(
            ConstraintCheck(
                "days",
                False,
                f"Aucun jour libre en commun : le besoin porte sur {_days(need.days)}. {sentence}",
            )
        )
    else:
        checks.append(
            ConstraintCheck(
                "days",
                False,
                f"Aucun jour en commun : le besoin porte sur {_days(need.days)}, "
                f"le candidat est disponible {_days(cand.days)}.",
            )
        )

    asked = hours_plain(need.hours_per_week)
    if week.hours_fit(need.hours_per_week, week.free_hours(cand, need.start)):
        if holds_work:
            text = f"{sentence} Le besoin demande {asked}."
        else:
            text = (
                f"Le candidat peut travailler jusqu'à {hours_plain(cand.hours_max)} par semaine, "
                f"le besoin en demande {asked}."
            )
            # Work over by the start, taking some of the need's time today: said first.
            text = f"{sentence} {text}" if sentence else text
        checks.append(ConstraintCheck("hours", True, text))
    elif holds_work:
        checks.append(
            ConstraintCheck(
                "hours",
                False,
                f"{sentence} Le besoin demande {asked} : plus que son temps libre "
                f"(au plus {hours_plain(cand.hours_max)} par semaine en tout).",
            )
        )
    else:
        checks.append(
            ConstraintCheck(
                "hours",
                False,
                f"Le candidat souhaite au plus {hours_plain(cand.hours_max)} par semaine, "
                f"le besoin en demande {asked}.",
            )
        )

    contract_label = label(CONTRACTS, need.contract)
    if need.contract in cand.contracts:
        checks.append(
            ConstraintCheck(
                "contract", True, f"Le candidat accepte le contrat proposé ({contract_label})."
            )
        )
    else:
        checks.append(
            ConstraintCheck(
                "contract",
                False,
                f"Le candidat n'accepte pas le contrat proposé ({contract_label}).",
            )
        )

    need_rank = LEVEL_RANK[need.level]
    cand_rank = LEVEL_RANK[cand.level]
    if cand_rank >= need_rank - 1:
        checks.append(
            ConstraintCheck(
                "level",
                True,
                f"Niveau du candidat ({label(LEVELS, cand.level)}) compatible avec celui "
                f"du besoin ({label(LEVELS, need.level)}).",
            )
        )
    else:
        checks.append(
            ConstraintCheck(
                "level",
                False,
                f"Niveau du candidat ({label(LEVELS, cand.level)}) inférieur de plus d'un cran "
                f"à celui du besoin ({label(LEVELS, need.level)}).",
            )
        )
    return checks


def breaks_hard_constraint(need: NeedData, cand: CandidateData, distance_km: float | None) -> bool:
    """True when the candidate breaks at least one hard constraint for this need."""
    return not passes_hard_constraints(need, cand, distance_km)


def passes_hard_constraints(need: NeedData, cand: CandidateData, distance_km: float | None) -> bool:
    """Fast path of ``hard_constraint_checks``: no sentences, stops at the first failure."""
    if not (
        cand.status in OPEN_TO_WORK
        and cand.consent
        and cand.available_from <= need.start
        and (distance_km is None or within_mobility(distance_km, cand.mobility_km))
        and need.contract in cand.contracts
        and LEVEL_RANK[cand.level] >= LEVEL_RANK[need.level] - 1
    ):
        return False
    if not cand.commitments:
        return bool(need.days & cand.days) and week.hours_fit(need.hours_per_week, cand.hours_max)
    return bool(need.days & week.free_days(cand, need.start)) and week.hours_fit(
        need.hours_per_week, week.free_hours(cand, need.start)
    )


def failed_checks(
    need: NeedData, cand: CandidateData, distance_km: float | None
) -> list[ConstraintCheck]:
    """Only the hard constraints this pair breaks (empty when the candidate can be proposed)."""
    return [c for c in hard_constraint_checks(need, cand, distance_km) if not c.ok]
