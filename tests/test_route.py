"""Routing rules (spec "What the platform derives" -> route), one test per rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectences.matching.data import NeedData, OperatorData, PartnerData
from connectences.matching.route import is_shared_time, rome_specificity, route
from tests.factories import need_data, need_row

COBAS = "243300563"
COBAN = "243301504"
VAL_EYRE = "243301405"
ALL_LEVELS = frozenset({"non_qualifie", "employe_qualifie", "technicien", "cadre"})
ALL_CONTRACTS = frozenset({"cdi_temps_partage", "cdi", "cdd", "saisonnier", "mission"})


def need(**over) -> NeedData:
    return need_data(**{"hours_per_week": 14.0, **over})


def operator(ref: str, **over) -> OperatorData:
    values = dict(
        ref=ref,
        name=f"Opérateur {ref}",
        kind="groupement_employeurs",
        epcis=frozenset({COBAS, COBAN, VAL_EYRE}),
        rome_domains=(),
        levels=ALL_LEVELS,
        contracts=ALL_CONTRACTS,
        max_hours_per_week=None,
    )
    values.update(over)
    return OperatorData(**values)


FT = PartnerData(ref="ft-arcachon", name="France Travail Arcachon", kind="france_travail")
INTERIM_COBAS = PartnerData(
    ref="interim-bassin", name="Intérim Bassin", kind="interim", epcis=frozenset({COBAS})
)
PARTNERS = [INTERIM_COBAS, FT]


def test_operator_that_covers_is_chosen_with_reasons():
    ops = [operator("ge-a", rome_domains=("K22",)), operator("ge-b", rome_domains=("M",))]
    decision = route(need(), ops, PARTNERS, COBAS)
    assert decision.decision == "operator"
    assert decision.operator == "ge-b"
    assert decision.partner is None
    text = " ".join(decision.reasons)
    assert "temps partagé" in text
    # The operator set aside is named with why.
    assert "ge-a" in text and "ne traite pas le domaine ROME M1203" in text
    assert decision.to_json() == {
        "need": "besoin-1",
        "decision": "operator",
        "operator": "ge-b",
        "reasons": list(decision.reasons),
    }


def test_cadre_need_prefers_cadres_temps_partage_even_over_more_specific_rome():
    ops = [
        operator("ge-a", rome_domains=("M1203",)),
        operator("ctp", kind="cadres_temps_partage", rome_domains=()),
    ]
    decision = route(need(level="cadre"), ops, PARTNERS, COBAS)
    assert decision.operator == "ctp"
    assert any("cadres à temps partagé" in r for r in decision.reasons)
    # Without the cadre level, the ROME specificity decides.
    assert route(need(), ops, PARTNERS, COBAS).operator == "ge-a"


@pytest.mark.parametrize(
    ("domains", "expected"),
    [
        ({"a": (), "b": ("M",), "c": ("M12",), "d": ("M1203",)}, "d"),
        ({"a": (), "b": ("M",), "c": ("M12",)}, "c"),
        ({"a": (), "b": ("M",)}, "b"),
        ({"b": (), "a": ()}, "a"),
    ],
)
def test_most_specific_rome_domain_wins_then_first_by_ref(domains, expected):
    ops = [operator(ref, rome_domains=d) for ref, d in domains.items()]
    assert route(need(), ops, PARTNERS, COBAS).operator == expected


def test_first_by_ref_among_equals():
    ops = [
        operator("ge-z", name="GE Zénith"),
        operator("ge-m", name="GE Marais"),
        operator("ge-b", name="GE Bassin"),
    ]
    decision = route(need(), ops, PARTNERS, COBAS)
    assert decision.operator == "ge-b"
    assert any("GE Marais" in r and "GE Bassin passe avant" in r for r in decision.reasons), (
        decision.reasons
    )
    # People read names, never the internal references.
    assert not any(ref in r for r in decision.reasons for ref in ("ge-z", "ge-m", "ge-b"))


def test_need_without_rome_only_goes_to_operators_with_empty_domains():
    ops = [operator("ge-a", rome_domains=("M",)), operator("ge-b", rome_domains=())]
    assert route(need(rome=None), ops, PARTNERS, COBAS).operator == "ge-b"
    only_specific = route(need(rome=None), [operator("ge-a", rome_domains=("M",))], PARTNERS, COBAS)
    assert only_specific.decision == "reorientation"
    assert rome_specificity(operator("x", rome_domains=("M",)), None) is None
    assert rome_specificity(operator("x", rome_domains=()), None) == 0


def test_max_hours_limits_the_operator_boundary_included():
    ops = [operator("ge-a", max_hours_per_week=10), operator("ge-b", max_hours_per_week=14)]
    decision = route(need(hours_per_week=14.0), ops, PARTNERS, COBAS)
    assert decision.operator == "ge-b"
    assert any("ge-a" in r and "au plus 10 h" in r for r in decision.reasons)
    too_many = route(need(hours_per_week=15.0), ops, PARTNERS, COBAS)
    assert too_many.decision == "reorientation"


def test_level_and_contract_must_be_covered():
    ops = [
        operator("ge-a", levels=frozenset({"non_qualifie"})),
        operator("ge-b", contracts=frozenset({"cdd"})),
    ]
    decision = route(need(), ops, PARTNERS, COBAS)
    assert decision.decision == "reorientation"
    text = " ".join(decision.reasons)
    assert "ne prend pas le niveau" in text and "ne prend pas le contrat" in text


def test_epci_mismatch_is_not_covered():
    ops = [operator("ge-a", epcis=frozenset({COBAN}))]
    decision = route(need(), ops, PARTNERS, COBAS)
    assert decision.decision == "reorientation"
    assert decision.partner == "ft-arcachon"
    assert any("intercommunalité" in r for r in decision.reasons)
    assert route(need(), ops, PARTNERS, COBAN).operator == "ge-a"
    # An unknown intercommunality is covered by no operator.
    assert route(need(), ops, PARTNERS, None).decision == "reorientation"


@pytest.mark.parametrize("contract", ["cdi", "cdd"])
def test_full_time_standard_hire_goes_to_france_travail(contract):
    ops = [operator("ge-a")]  # covers everything, yet a full-time hire is not shared time
    decision = route(need(hours_per_week=35.0, contract=contract), ops, PARTNERS, COBAS)
    assert decision.decision == "reorientation"
    assert decision.partner == "ft-arcachon"
    assert decision.no_fit_reason == "temps_plein"
    assert any("recrutement classique" in r for r in decision.reasons)
    assert decision.to_json() == {
        "need": "besoin-1",
        "decision": "reorientation",
        "partner": "ft-arcachon",
        "reasons": list(decision.reasons),
    }


@pytest.mark.parametrize(
    ("hours", "contract", "shared"),
    [
        (34.5, "cdi", True),
        (35.0, "cdi", False),
        (39.0, "cdi_temps_partage", True),
        (39.0, "saisonnier", True),
        (35.0, "cdd", False),
        (35.0, "mission", False),
        (20.0, "mission", True),
    ],
)
def test_shared_time_definition(hours, contract, shared):
    assert is_shared_time(need(hours_per_week=hours, contract=contract)) is shared


def test_full_time_seasonal_work_goes_to_an_operator():
    decision = route(
        need(hours_per_week=39.0, contract="saisonnier"), [operator("ge-a")], [], COBAS
    )
    assert decision.decision == "operator"


def test_mission_goes_to_interim():
    decision = route(need(hours_per_week=35.0, contract="mission"), [], PARTNERS, COBAS)
    assert decision.decision == "reorientation"
    assert decision.partner == "interim-bassin"
    assert decision.no_fit_reason == "mission_courte"
    assert any("intérim" in r for r in decision.reasons)


def test_interim_absent_from_the_epci_falls_back_to_france_travail():
    decision = route(need(hours_per_week=35.0, contract="mission"), [], PARTNERS, VAL_EYRE)
    assert decision.partner == "ft-arcachon"
    assert any("France Travail prend le relais" in r for r in decision.reasons)


REFUSED = "a refusé la réorientation de ce besoin le 06/12/2026 (Hors de notre périmètre)"


def test_a_mission_the_interim_agency_refused_says_it_refused_not_that_none_covers():
    """Found by a check: once the interim agency of the need's intercommunality refused a
    mission, the next route read « aucun partenaire de type « Agence d'intérim » ne
    couvre l'intercommunalité du besoin », which the animateur knew false."""
    mission = need(hours_per_week=35.0, contract="mission")
    decision = route(mission, [], PARTNERS, COBAS, declined_partners={"interim-bassin": REFUSED})
    assert decision.partner == "ft-arcachon"
    assert decision.reasons[-1] == (
        "Réorientation vers France Travail Arcachon : Intérim Bassin (« Agence d'intérim »), "
        "qui couvre l'intercommunalité du besoin, l'a refusé, France Travail prend le relais."
    )
    assert not any("ne couvre" in r for r in decision.reasons)
    # France Travail reads why it gets the need, never who refused it.
    assert decision.shared[-1] == (
        "Réorientation vers France Travail Arcachon : aucun partenaire de type « Agence "
        "d'intérim » ne prend ce besoin, France Travail prend le relais."
    )
    assert not any("Intérim Bassin" in r for r in decision.shared)


def test_a_refused_need_with_no_covering_partner_left_says_who_covered_it():
    far_ft = PartnerData(
        ref="ft-z", name="France Travail Z", kind="france_travail", epcis=frozenset({COBAN})
    )
    partners = [INTERIM_COBAS, far_ft]
    mission = need(hours_per_week=35.0, contract="mission")
    decision = route(mission, [], partners, COBAS, declined_partners={"interim-bassin": REFUSED})
    assert decision.partner == "ft-z"
    assert decision.reasons[-1].startswith(
        "Réorientation vers France Travail Z : Intérim Bassin (« Agence d'intérim »), qui "
        "couvre l'intercommunalité du besoin, l'a refusé, et aucun partenaire France Travail "
        "ne déclare la couvrir ; "
    )
    assert not any("Intérim Bassin" in r for r in decision.shared)
    # A France Travail partner of the intercommunality refused: « no other » covers it.
    partners = [replace(FT, epcis=frozenset({COBAS})), far_ft]
    cdi = need(hours_per_week=35.0, contract="cdi")
    decision = route(cdi, [], partners, COBAS, declined_partners={"ft-arcachon": REFUSED})
    assert decision.partner == "ft-z"
    assert decision.reasons[-1].startswith(
        "Réorientation vers France Travail Z : aucun autre partenaire France Travail ne "
        "déclare couvrir l'intercommunalité du besoin ; "
    )


def test_an_interim_agency_elsewhere_that_refused_leaves_none_covering():
    # Refused, but it did not cover the need's intercommunality anyway: « none covers ».
    mission = need(hours_per_week=35.0, contract="mission")
    decision = route(mission, [], PARTNERS, VAL_EYRE, declined_partners={"interim-bassin": REFUSED})
    assert decision.reasons[-1] == (
        "Réorientation vers France Travail Arcachon : aucun partenaire de type « Agence "
        "d'intérim » ne couvre l'intercommunalité du besoin, France Travail prend le relais."
    )


def test_first_fitting_partner_by_ref():
    partners = [
        PartnerData(ref="ft-z", name="FT Z", kind="france_travail"),
        PartnerData(ref="ft-b", name="FT B", kind="france_travail", epcis=frozenset({COBAN})),
        PartnerData(ref="ft-m", name="FT M", kind="france_travail"),
    ]
    assert route(need(hours_per_week=35.0, contract="cdi"), [], partners, COBAS).partner == "ft-m"
    assert route(need(hours_per_week=35.0, contract="cdi"), [], partners, COBAN).partner == "ft-b"


def test_nothing_covers_goes_to_partner_with_the_reason():
    ops = [operator("ge-a", rome_domains=("K22",), levels=frozenset({"non_qualifie"}))]
    decision = route(need(), ops, PARTNERS, COBAS)
    assert decision.decision == "reorientation"
    assert decision.partner == "ft-arcachon"
    assert decision.no_fit_reason == "aucun_operateur"
    text = " ".join(decision.reasons)
    # Each reason is a sentence of its own (one bullet each on the pages and in the mails,
    # and the spec's "list of sentences"): no lead-in ending with a colon.
    assert "Aucun opérateur ne couvre ce besoin." in decision.reasons
    assert "ne traite pas le domaine ROME M1203" in text and "ne prend pas le niveau" in text
    # French puts a space before a semicolon (found by an audit: "du besoin; ne prend").
    assert "ne traite pas le domaine ROME M1203 — Comptabilité ; ne prend pas le niveau" in text


FT_COBAN = PartnerData(
    ref="ft-coban", name="France Travail Andernos", kind="france_travail", epcis=frozenset({COBAN})
)


@pytest.mark.parametrize(
    ("hours", "contract"), [(35.0, "cdi"), (14.0, "cdi_temps_partage"), (35.0, "mission")]
)
def test_france_travail_not_listing_the_epci_still_takes_the_need(hours, contract):
    """Spec: the output is always a partner, France Travail when no partner of the
    preferred kind fits; France Travail is the national public employment service."""
    decision = route(need(hours_per_week=hours, contract=contract), [], [FT_COBAN], COBAS)
    assert (decision.decision, decision.partner) == ("reorientation", "ft-coban")
    assert decision.to_json()["partner"] == "ft-coban"
    reason = decision.reasons[-1]
    assert reason.startswith("Réorientation vers France Travail Andernos : ")
    if contract == "mission":
        assert (
            "aucun partenaire de type « Agence d'intérim » ne couvre l'intercommunalité du "
            "besoin, et aucun partenaire France Travail ne déclare la couvrir ; " in reason
        )
    else:
        assert "aucun partenaire France Travail ne déclare couvrir l'intercommunalité" in reason
    assert "service public de l'emploi" in reason
    assert "ni France Travail" not in reason and "(ni" not in reason
    # The partner reads why it was chosen.
    assert reason in decision.shared


def test_france_travail_that_covers_comes_before_the_first_by_ref():
    partners = [FT_COBAN, PartnerData(ref="ft-z", name="FT Z", kind="france_travail")]
    full_time = need(hours_per_week=35.0, contract="cdi")
    assert route(full_time, [], partners, COBAS).partner == "ft-z"  # no epcis: everywhere
    listing_none = [
        FT_COBAN,
        PartnerData(ref="ft-a", name="FT A", kind="france_travail", epcis=frozenset({VAL_EYRE})),
    ]
    assert route(full_time, [], listing_none, COBAS).partner == "ft-a"  # first by ref
    # An unknown intercommunality: only partners without epcis cover it; else the first.
    decision = route(full_time, [], listing_none, None)
    assert decision.partner == "ft-a"
    assert "intercommunalité inconnue" in decision.reasons[-1]


@pytest.mark.parametrize(
    ("contract", "said"),
    [
        (
            "cdi",
            "Aucun partenaire France Travail n'est enregistré et actif sur la plateforme : ",
        ),
        (
            "mission",
            "Aucun partenaire de type « Agence d'intérim » ne couvre l'intercommunalité du besoin "
            "et "
            "aucun partenaire France Travail n'est enregistré et actif sur la plateforme : ",
        ),
    ],
)
def test_without_any_france_travail_partner_the_animateur_chooses(contract, said):
    partners = [PartnerData(ref="ml", name="ML", kind="mission_locale")]
    decision = route(need(hours_per_week=35.0, contract=contract), [], partners, COBAS)
    assert decision.decision == "reorientation"
    assert decision.partner is None
    assert decision.to_json()["partner"] is None
    assert decision.reasons[-1] == (
        said + "l'animateur doit choisir lui-même le partenaire de la réorientation."
    )


def test_with_the_only_france_travail_partner_refusing_none_other_is_active():
    """Routing reads the active partners only: « none other registered » alone would be
    false when the others were switched off; it says none other is registered and active."""
    partners = [FT, PartnerData(ref="ml", name="ML", kind="mission_locale")]
    cdi = need(hours_per_week=35.0, contract="cdi")
    decision = route(cdi, [], partners, COBAS, declined_partners={"ft-arcachon": REFUSED})
    assert decision.partner is None
    assert decision.reasons[-1] == (
        "Aucun autre partenaire France Travail n'est enregistré et actif sur la plateforme : "
        "l'animateur doit choisir lui-même le partenaire de la réorientation."
    )


@pytest.mark.parametrize("contract", ["cdi", "mission", "cdi_temps_partage"])
def test_without_any_partner_the_reason_says_what_to_do_not_to_choose_among_none(contract):
    decision = route(need(hours_per_week=35.0, contract=contract), [], [], COBAS)
    assert decision.decision == "reorientation"
    assert decision.partner is None
    assert decision.to_json()["partner"] is None
    last = decision.reasons[-1]
    assert last.startswith("Aucun partenaire actif n'est enregistré sur la plateforme : ")
    assert "France Travail" in last and "administrateur" in last
    assert "choisir lui-même le partenaire" not in last


def test_without_any_active_operator_the_reason_says_none_is_active_and_who_can_change_it():
    """Routing reads the active operators only: with every operator switched off, « none
    registered » would be false; the reason says none is active and who can fix it."""
    decision = route(need(), [], [FT], COBAS)
    assert decision.decision == "reorientation" and decision.partner == FT.ref
    assert decision.no_fit_reason == "aucun_operateur"
    assert decision.reasons[1] == (
        "Aucun opérateur actif n'est enregistré sur la plateforme : aucune structure de "
        "temps partagé ne peut recevoir ce besoin. Un administrateur peut réactiver un "
        "opérateur désactivé (page « Organisations ») ou en enregistrer un."
    )
    # Nothing of it for the partner: it reads that no shared-time structure covers it.
    assert not any("administrateur" in reason for reason in decision.shared)


# --- over the database, through the CLI ---------------------------------------------


def _stored_need(ref: str, company_ref: str, siret: str, commune: str, **over):
    from connectences.extensions import db
    from connectences.models import Company

    company = db.session.query(Company).filter_by(ref=company_ref).one_or_none()
    if company is None:
        company = Company(
            ref=company_ref, name=company_ref, siret=siret, siren=siret[:9], commune=commune
        )
        db.session.add(company)
    need = need_row(company, **{"ref": ref, **over})
    db.session.add(need)
    return need


def _stored_organisations():
    from connectences.extensions import db
    from connectences.models import Operator, Partner

    db.session.add_all(
        [
            Operator(
                ref="ge-bassin",
                name="GE Bassin",
                kind="groupement_employeurs",
                email="ge@exemple.fr",
                epcis=[COBAS, COBAN],
                rome_domains=["M"],
                levels=["employe_qualifie", "technicien"],
                contracts=["cdi_temps_partage"],
            ),
            Operator(
                ref="ge-inactif",
                name="GE fermé",
                kind="groupement_employeurs",
                email="old@exemple.fr",
                epcis=[COBAS],
                rome_domains=["M1203"],
                levels=["employe_qualifie"],
                contracts=["cdi_temps_partage"],
                active=False,
            ),
            Partner(
                ref="ft-arcachon",
                name="France Travail Arcachon",
                kind="france_travail",
                email="ft@exemple.fr",
            ),
            Partner(
                ref="interim-cobas",
                name="Intérim COBAS",
                kind="interim",
                email="interim@exemple.fr",
                epcis=[COBAS],
            ),
        ]
    )


def test_route_cli_json_operator_and_reorientations(runner):
    import json

    from connectences.extensions import db

    _stored_organisations()
    # 33009 Arcachon is in the COBAS; 33042 Belin-Béliet in the Val de l'Eyre.
    _stored_need("besoin-1", "ent-1", "90412345200016", "33009")
    _stored_need("besoin-tp", "ent-1", "90412345200016", "33009", hours_per_week=35, contract="cdi")
    _stored_need(
        "besoin-mission", "ent-2", "73282932000074", "33042", hours_per_week=35, contract="mission"
    )
    db.session.commit()

    result = runner.invoke(args=["route", "besoin-1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # The inactive operator, though more specific, is not considered.
    assert {k: data[k] for k in ("need", "decision", "operator")} == {
        "need": "besoin-1",
        "decision": "operator",
        "operator": "ge-bassin",
    }
    assert set(data) == {"need", "decision", "operator", "reasons"}
    assert data["reasons"] and all(isinstance(r, str) for r in data["reasons"])

    data = json.loads(runner.invoke(args=["route", "besoin-tp", "--json"]).output)
    assert (data["decision"], data["partner"]) == ("reorientation", "ft-arcachon")
    assert set(data) == {"need", "decision", "partner", "reasons"}

    # A mission in the Val de l'Eyre: the interim agency only serves the COBAS.
    data = json.loads(runner.invoke(args=["route", "besoin-mission", "--json"]).output)
    assert (data["decision"], data["partner"]) == ("reorientation", "ft-arcachon")

    human = runner.invoke(args=["route", "besoin-1"])
    assert human.exit_code == 0 and "ge-bassin" in human.output


def test_route_cli_names_france_travail_outside_its_listed_epcis(runner):
    import json

    from tests.factories import company, document, load, partner
    from tests.factories import need as need_item

    # The audit's case: France Travail lists only the COBAN; the need is at Arcachon.
    load(
        document(
            partners=[partner(ref="p-ft", name="France Travail", epcis=[COBAN])],
            companies=[company(ref="co1")],
            needs=[need_item(ref="n1", company="co1", hours_per_week=35, contract="cdi")],
        )
    )
    result = runner.invoke(args=["route", "n1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["decision"], data["partner"]) == ("reorientation", "p-ft")
    assert "ne déclare couvrir l'intercommunalité du besoin" in data["reasons"][-1]


def test_route_cli_unknown_need(runner):
    result = runner.invoke(args=["route", "nope", "--json"])
    assert result.exit_code == 1
    assert "Besoin inconnu" in result.output


def test_the_chosen_operator_reads_no_word_about_the_others():
    ops = [
        operator("ge-a", name="GE Alpha", rome_domains=("M12",)),
        operator("ge-b", name="GE Bêta", rome_domains=("M",)),
        operator("ge-c", name="GE Gamma", epcis=frozenset({VAL_EYRE})),
    ]
    decision = route(need(), ops, PARTNERS, COBAS)
    assert decision.operator == "ge-a"
    everything = " ".join(decision.reasons)
    assert "GE Bêta" in everything and "GE Gamma" in everything  # the animateur sees why
    shared = " ".join(decision.shared)
    assert "GE Alpha" in shared
    assert "GE Bêta" not in shared and "GE Gamma" not in shared
    assert set(decision.shared) <= set(decision.reasons)
    assert "shared" not in decision.to_json()  # the interchange shape is unchanged


def test_a_partner_reads_that_no_operator_fits_without_their_names():
    ops = [operator("ge-c", name="GE Gamma", epcis=frozenset({VAL_EYRE}))]
    decision = route(need(), ops, PARTNERS, COBAS)
    assert decision.decision == "reorientation"
    shared = " ".join(decision.shared)
    assert "GE Gamma" not in shared and "Aucune structure de temps partagé" in shared
    assert decision.shared[-1].startswith("Réorientation vers")


def test_shared_time_need_without_operator_never_reads_as_a_classic_recruitment():
    decision = route(need(hours_per_week=8), [], PARTNERS, COBAS)
    assert decision.decision == "reorientation"
    text = " ".join(decision.reasons)
    assert "relève du temps partagé" in text
    assert "recrutements classiques" not in text
    assert "aucune structure de temps partagé ne couvre ce besoin" in text


def test_the_covering_operator_is_said_to_cover_the_needs_job_by_its_name():
    """« le domaine ROME M12 » alone told an operator nothing: the job is named."""
    ops = [operator("ge-b", rome_domains=("M12",))]
    decision = route(need(), ops, PARTNERS, COBAS)
    text = " ".join(decision.reasons)
    assert "le métier du besoin (M1203 — Comptabilité, domaine ROME M12)" in text, text
    every = route(need(), [operator("ge-c", rome_domains=())], PARTNERS, COBAS)
    assert "tous les métiers" in " ".join(every.reasons)
