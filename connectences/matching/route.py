"""Routing: send a need to an operator, or re-orient it to a partner.

The rules are the spec's ("What the platform derives" -> route), applied in this
order:

1. Shared-time work is work under 35 hours a week, or a ``cdi_temps_partage``,
   or any ``saisonnier`` contract (groupements share seasonal work across the
   year). Anything else (35 hours or more on a ``cdi``, ``cdd`` or ``mission``)
   is a standard hire and is re-oriented.
2. An operator covers a shared-time need when its epcis contain the need's
   intercommunality, its rome_domains cover the need's ROME code (prefix match;
   an empty list covers every domain; a need without ROME is covered only by an
   operator with an empty list), its levels contain the need's level, its
   contracts contain the need's contract, and its max hours (when set) are at
   least the need's hours.
3. Several operators cover: a ``cadre`` need prefers ``cadres_temps_partage``;
   then the most specific rome_domains entry (``M1203`` > ``M12`` > ``M`` >
   empty list); then the first by ``ref``.
4. Re-orientation goes to the partner of the preferred kind (``interim`` for a
   ``mission``, ``france_travail`` otherwise) whose epcis cover the need's
   intercommunality (no epcis: everywhere), the first by ``ref``; when none of
   that kind fits, to France Travail: the first by ``ref`` that covers it, else
   the first by ``ref`` of all (France Travail is the national public
   employment service: the spec's output always names a partner), with a reason
   saying its epcis do not list the need's intercommunality.

Only when no France Travail partner is registered at all (and none of the
preferred kind fits) is ``partner`` ``None``, with a French reason asking the
animateur to choose the partner by hand; when no partner at all is registered, the
reason says so and what to do instead (there is nobody to choose from).

An operator or a partner none of whose members can answer on the platform
(``unattended``, ``unattended_partners``: refs the database layer reads,
``organisations.without_working_member``) comes after the others of its rank: the
need goes to the next one that covers (or fits) it when there is one, and the
reasons say why the first was passed over; when all of them are unattended, the
order above holds (the animateur is warned when sending). The spec knows nothing of
accounts: without these arguments the decision is the spec's.

An operator that refused the need already (``declined``: its last lead for the need
was refused) covers it no more: the need is routed again among the others, or
re-oriented when none is left, and the reasons say who refused, when and why. The
spec is silent on a refusal; routing the need back to the operator that just refused
it would make the animateur go round in circles. A partner that refused the need's
re-orientation (its last referral for the need was refused) fits it no more, for the
same reason: the need goes to another partner by the rules above, or to none (the
animateur chooses) when no other is registered. A partner set aside so that covered the
need is why its kind does not take it (« Intérim Bassin (« Agence d'intérim »), qui
couvre l'intercommunalité du besoin, l'a refusé »), never « none covers it »; the
partner the need goes to reads no name.

Pure functions over plain data: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from connectences.matching.data import NeedData, OperatorData, PartnerData
from connectences.skills import rome_named
from connectences.typography import hours_plain
from connectences.vocab import CONTRACTS, LEVELS, OPERATOR_KINDS, PARTNER_KINDS, label

FULL_TIME_HOURS = 35.0
"""Weekly hours from which work in one company is a full-time job."""

SHARED_TIME_CONTRACTS = frozenset({"cdi_temps_partage", "saisonnier"})


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """The outcome of routing one need, with the French sentences that justify it.

    ``no_fit_reason`` is a key of ``vocab.NO_FIT_REASONS`` for a re-orientation
    (``temps_plein``, ``mission_courte`` or ``aucun_operateur``), ``None`` for an
    operator decision: the referral record keeps it as its closed-list reason.
    """

    need: str
    decision: str  # "operator" | "reorientation"
    operator: str | None = None
    partner: str | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)
    no_fit_reason: str | None = None
    # The reasons the chosen organisation may read on its lead or referral: about the
    # need and itself only, never why other organisations were not chosen.
    shared: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        """The interchange shape: ``{"need", "decision", "operator"|"partner", "reasons"}``."""
        out: dict = {"need": self.need, "decision": self.decision}
        if self.decision == "operator":
            out["operator"] = self.operator
        else:
            out["partner"] = self.partner
        out["reasons"] = list(self.reasons)
        return out


def is_shared_time(need: NeedData) -> bool:
    """Shared-time work: under 35 h a week, or a ``cdi_temps_partage``, or any seasonal work."""
    return need.hours_per_week < FULL_TIME_HOURS or need.contract in SHARED_TIME_CONTRACTS


def rome_specificity(operator: OperatorData, rome: str | None) -> int | None:
    """How specifically the operator's rome_domains cover ``rome``.

    Returns the length of the longest matching entry (``M1203`` -> 5, ``M12`` -> 3,
    ``M`` -> 1), 0 for an empty list (every domain), ``None`` when not covered.
    A need without ROME is covered only by an empty list.
    """
    domains = [d.strip().upper() for d in operator.rome_domains if d and d.strip()]
    if not domains:
        return 0
    if not rome:
        return None
    code = rome.strip().upper()
    matching = [len(d) for d in domains if code.startswith(d)]
    return max(matching) if matching else None


def operator_gaps(operator: OperatorData, need: NeedData, epci: str | None) -> list[str]:
    """French reasons why ``operator`` does not cover ``need`` (empty when it covers it)."""
    gaps: list[str] = []
    if epci is None:
        gaps.append("l'intercommunalité du lieu du besoin est inconnue")
    elif epci not in operator.epcis:
        gaps.append("n'intervient pas sur l'intercommunalité du besoin")
    if rome_specificity(operator, need.rome) is None:
        if need.rome:
            gaps.append(f"ne traite pas le domaine ROME {rome_named(need.rome)}")
        else:
            gaps.append("ne traite que certains domaines ROME et le besoin n'a pas de code ROME")
    if need.level not in operator.levels:
        gaps.append(f"ne prend pas le niveau « {label(LEVELS, need.level)} »")
    if need.contract not in operator.contracts:
        gaps.append(f"ne prend pas le contrat « {label(CONTRACTS, need.contract)} »")
    if (
        operator.max_hours_per_week is not None
        and operator.max_hours_per_week < need.hours_per_week
    ):
        gaps.append(
            f"prend au plus {hours_plain(operator.max_hours_per_week)} par semaine "
            f"(le besoin en demande {hours_plain(need.hours_per_week)})"
        )
    return gaps


def _preference_key(operator: OperatorData, need: NeedData) -> tuple:
    cadre_first = not (need.level == "cadre" and operator.kind == "cadres_temps_partage")
    return (cadre_first, -(rome_specificity(operator, need.rome) or 0), operator.ref)


# Why an organisation the rules put first is passed over for another (animateurs only).
NOBODY_THERE = "aucun de ses membres n'a de compte actif sur la plateforme"


def _why_not_preferred(
    loser: OperatorData, winner: OperatorData, need: NeedData, unattended: Collection[str] = ()
) -> str:
    if loser.ref in unattended and _preference_key(loser, need) < _preference_key(winner, need):
        why = NOBODY_THERE
    elif (
        need.level == "cadre"
        and winner.kind == "cadres_temps_partage"
        and loser.kind != "cadres_temps_partage"
    ):
        why = "n'est pas une association de cadres à temps partagé"
    elif (rome_specificity(loser, need.rome) or 0) < (rome_specificity(winner, need.rome) or 0):
        why = "ses domaines ROME correspondent moins précisément au besoin"
    else:
        why = f"{winner.name} passe avant dans l'ordre de priorité"
    return f"{loser.name} couvre aussi ce besoin mais {why}."


def _shared_time_sentence(need: NeedData) -> str:
    hours = hours_plain(need.hours_per_week)
    if need.hours_per_week < FULL_TIME_HOURS:
        return f"Le besoin relève du temps partagé : {hours} par semaine, moins de 35 h."
    return (
        f"Le besoin relève du temps partagé : contrat « {label(CONTRACTS, need.contract)} » "
        f"({hours} par semaine)."
    )


def _coverage_sentence(operator: OperatorData, need: NeedData) -> str:
    spec = rome_specificity(operator, need.rome) or 0
    code = (need.rome or "").strip().upper()
    if spec == 0:
        domain = "tous les métiers"
    else:
        # The matching entry is the need's code cut to the specificity length; the
        # job itself is named, as a code alone tells its reader nothing.
        within = f", domaine ROME {code[:spec]}" if spec < len(code) else ""
        domain = f"le métier du besoin ({rome_named(code)}{within})"
    return (
        f"{operator.name} ({label(OPERATOR_KINDS, operator.kind)}) couvre l'intercommunalité "
        f"du besoin, {domain}, le niveau « {label(LEVELS, need.level)} », le contrat "
        f"« {label(CONTRACTS, need.contract)} » et {hours_plain(need.hours_per_week)} par semaine."
    )


def route(
    need: NeedData,
    operators: Iterable[OperatorData],
    partners: Iterable[PartnerData],
    epci: str | None,
    declined: Mapping[str, str] | None = None,
    declined_partners: Mapping[str, str] | None = None,
    unattended: Collection[str] = (),
    unattended_partners: Collection[str] = (),
) -> RouteDecision:
    """Decide where ``need`` goes: an operator that covers it, or a partner.

    ``epci`` is the SIREN of the intercommunality of the need's commune (``None``
    when unknown: then no operator covers it and only partners without epcis fit).
    ``declined`` maps the ref of an operator that refused the need already to what it
    said, in French ("a refusé ce besoin le 06/12/2026 (Hors de notre périmètre)"):
    that operator no longer covers the need. ``declined_partners``: the same for the
    partners that refused its re-orientation; such a partner fits it no more.
    ``unattended``, ``unattended_partners``: the refs of those nobody would answer for
    (see the module's doc). Returns a ``RouteDecision`` whose
    ``reasons`` explain the decision in French, including in short why the other
    operators were not chosen.
    """
    operators = sorted(operators, key=lambda o: o.ref)
    partners = sorted(partners, key=lambda p: p.ref)
    declined = declined or {}
    reasons: list[str] = []

    def gaps_of(operator: OperatorData) -> list[str]:
        refused = [declined[operator.ref]] if operator.ref in declined else []
        return refused + operator_gaps(operator, need, epci)

    if is_shared_time(need):
        reasons.append(_shared_time_sentence(need))
        covering = [o for o in operators if not gaps_of(o)]
        if covering:
            covering.sort(key=lambda o: (o.ref in unattended, _preference_key(o, need)))
            chosen = covering[0]
            reasons.append(_coverage_sentence(chosen, need))
            if need.level == "cadre" and chosen.kind == "cadres_temps_partage":
                reasons.append(
                    "Besoin de niveau cadre : une association de cadres à temps partagé est "
                    "préférée."
                )
            shared = tuple(reasons)
            for other in covering[1:]:
                reasons.append(_why_not_preferred(other, chosen, need, unattended))
            for other in operators:
                if other not in covering:
                    gaps = gaps_of(other)
                    reasons.append(f"{other.name} n'est pas retenu : {gaps[0]}.")
            return RouteDecision(
                need=need.ref,
                decision="operator",
                operator=chosen.ref,
                reasons=tuple(reasons),
                shared=shared,
            )
        shared_head = ["Aucune structure de temps partagé du territoire ne couvre ce besoin."]
        if operators:
            reasons.append("Aucun opérateur ne couvre ce besoin.")
            for other in operators:
                gaps = gaps_of(other)
                reasons.append(f"{other.name} {' ; '.join(gaps)}.")
        else:
            # Inactive ones are not passed in: « none registered » would be false once
            # the administrator has switched the last one off (``organisations``).
            reasons.append(
                "Aucun opérateur actif n'est enregistré sur la plateforme : aucune structure "
                "de temps partagé ne peut recevoir ce besoin. Un administrateur peut "
                "réactiver un opérateur désactivé (page « Organisations ») ou en "
                "enregistrer un."
            )
        no_fit = "mission_courte" if need.contract == "mission" else "aucun_operateur"
    else:
        reasons.append(
            f"Le besoin n'est pas du temps partagé : {hours_plain(need.hours_per_week)} par "
            f"semaine dans une seule entreprise en « {label(CONTRACTS, need.contract)} », "
            "c'est un recrutement classique."
        )
        shared_head = list(reasons)
        no_fit = "mission_courte" if need.contract == "mission" else "temps_plein"

    refused = [p for p in partners if declined_partners and p.ref in declined_partners]
    if refused:
        # Named to the animateur only: never to the partner the need goes to now.
        reasons.extend(
            f"{p.name} {declined_partners[p.ref]} : le besoin ne lui est plus proposé."
            for p in refused
        )
        partners = [p for p in partners if p.ref not in declined_partners]
    partner, partner_reasons, partner_shared = _choose_partner(
        need, partners, epci, refused, unattended_partners
    )
    reasons.extend(partner_reasons)
    return RouteDecision(
        need=need.ref,
        decision="reorientation",
        partner=partner.ref if partner else None,
        reasons=tuple(reasons),
        no_fit_reason=no_fit,
        shared=tuple(shared_head + partner_shared) if partner else tuple(shared_head),
    )


def partner_fits(partner: PartnerData, epci: str | None) -> bool:
    """A partner fits when its epcis cover the need's intercommunality (no epcis: everywhere)."""
    return not partner.epcis or (epci is not None and epci in partner.epcis)


def _choose_partner(
    need: NeedData,
    partners: list[PartnerData],
    epci: str | None,
    refused: Sequence[PartnerData] = (),
    unattended: Collection[str] = (),
) -> tuple[PartnerData | None, list[str], list[str]]:
    """The partner a re-oriented need goes to (``partners`` sorted by ref), with why:
    the reasons for the animateur, then those the chosen partner may read.

    The preferred kind that fits; else France Travail that fits; else, France
    Travail being the national public employment service, the first France Travail
    partner by ref although its epcis do not list the need's intercommunality.
    ``None`` only when no France Travail partner is registered at all (and, with
    no partner at all, a reason that does not ask to choose among none).
    ``refused``: the partners set aside for having refused the need's re-orientation;
    one that would have fitted is why its kind does not take the need, never « none
    covers it ». The animateur's reasons name it; the chosen partner's do not.
    ``unattended``: the refs of the partners nobody would answer for; within each rank,
    one with a member who can answer is chosen first, and the animateur's reasons name
    those passed over (:func:`_passed_over`).
    """
    if not partners and refused:
        said = [
            "Aucun autre partenaire actif n'est enregistré : l'animateur oriente lui-même "
            "l'entreprise ou renvoie le besoin à un partenaire qui l'a refusé, avec un message."
        ]
        return None, said, said
    if not partners:
        # Nobody to choose from: "choose the partner yourself" would send the animateur to
        # an empty list. Said as what to do instead.
        said = [
            "Aucun partenaire actif n'est enregistré sur la plateforme : la réorientation ne "
            "peut pas y être envoyée. L'animateur oriente lui-même l'entreprise vers France "
            "Travail, le service public de l'emploi, ou fait d'abord enregistrer les "
            "partenaires du territoire par un administrateur."
        ]
        return None, said, said
    preferred = "interim" if need.contract == "mission" else "france_travail"
    kind = label(PARTNER_KINDS, preferred)
    where = (
        "l'intercommunalité du besoin"
        if epci is not None
        else "le lieu du besoin (intercommunalité inconnue)"
    )
    of_preferred = [p for p in partners if p.kind == preferred and partner_fits(p, epci)]
    if of_preferred:
        chosen, passed = _passed_over(of_preferred, unattended)
        if preferred == "interim":
            why = "une mission courte relève d'une agence d'intérim"
        elif is_shared_time(need):
            # Never "a classic recruitment" right after "this is shared time".
            why = (
                "aucune structure de temps partagé ne couvre ce besoin, France Travail "
                "peut chercher des candidats"
            )
        else:
            why = "France Travail accompagne les recrutements classiques"
        said = [f"Réorientation vers {chosen.name} : {why}."]
        return chosen, said + passed, said

    # The partners of each kind that covered the need but refused it.
    refused_fit = [p for p in refused if partner_fits(p, epci)]
    refused_preferred = [p for p in refused_fit if p.kind == preferred]
    # Said first when the preferred kind was another one (interim for a mission).
    no_preferred = shared_no_preferred = None
    if preferred != "france_travail":
        if refused_preferred:
            names = " et ".join(p.name for p in refused_preferred)
            cover, refuse = (
                ("couvre", "l'a refusé")
                if len(refused_preferred) == 1
                else ("couvrent", "l'ont refusé")
            )
            no_preferred = f"{names} (« {kind} »), qui {cover} {where}, {refuse}"
            shared_no_preferred = f"aucun partenaire de type « {kind} » ne prend ce besoin"
        else:
            no_preferred = f"aucun partenaire de type « {kind} » ne couvre {where}"
            shared_no_preferred = no_preferred
    france_travail = [p for p in partners if p.kind == "france_travail"]
    covering = [p for p in france_travail if partner_fits(p, epci)]
    if covering:
        chosen, passed = _passed_over(covering, unattended)
        return (
            chosen,
            [f"Réorientation vers {chosen.name} : {no_preferred}, France Travail prend le relais."]
            + passed,
            [
                f"Réorientation vers {chosen.name} : {shared_no_preferred}, France Travail "
                "prend le relais."
            ],
        )
    # A France Travail partner that covered the need but refused it: « no other ».
    other = " autre" if any(p.kind == "france_travail" for p in refused_fit) else ""
    if france_travail:
        chosen, passed = _passed_over(france_travail, unattended)

        def missing_from(opening: str | None) -> str:
            if opening:
                again = "la" if epci is not None else "le"  # l'intercommunalité, le lieu
                return (
                    f"{opening}, et aucun{other} partenaire France Travail ne déclare "
                    f"{again} couvrir"
                )
            return f"aucun{other} partenaire France Travail ne déclare couvrir {where}"

        def sentence(missing: str) -> str:
            return (
                f"Réorientation vers {chosen.name} : {missing} ; France Travail étant le "
                "service public de l'emploi sur tout le territoire, le besoin lui est "
                "confié quand même."
            )

        return (
            chosen,
            [sentence(missing_from(no_preferred)), *passed],
            [sentence(missing_from(shared_no_preferred))],
        )
    # Only the active partners are passed in: « registered » alone would be false once
    # the administrator has switched the last France Travail one off (``organisations``).
    missing = "aucun partenaire France Travail n'est enregistré et actif sur la plateforme"
    if refused:
        missing = (
            "aucun autre partenaire France Travail n'est enregistré et actif sur la plateforme"
        )
    if no_preferred:
        missing = f"{no_preferred} et {missing}"
    said = [
        f"{missing[0].upper()}{missing[1:]} : l'animateur doit choisir lui-même le partenaire "
        "de la réorientation."
    ]
    return None, said, said


def _passed_over(
    ranked: Sequence[PartnerData], unattended: Collection[str]
) -> tuple[PartnerData, list[str]]:
    """The first of ``ranked`` (partners of one rank, in the rules' order) that someone
    would answer for, else the first of all; with the sentences naming, for the
    animateur, those set aside ahead of it."""
    chosen = next((p for p in ranked if p.ref not in unattended), ranked[0])
    ahead = ranked[: ranked.index(chosen)]
    return chosen, [f"{p.name} n'est pas retenu : {NOBODY_THERE}." for p in ahead]
