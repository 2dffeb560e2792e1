"""What an animateur reads of a person who already holds work, on a need's page: the
partial overlap of days said with its cause, the filter « tous les jours du besoin » on
the days the person has *free*, and the summary line naming the work held."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from connectences.clock import local_today
from connectences.cvtheque.commitments import CommitmentError, read_commitment
from connectences.extensions import db
from connectences.matching import week
from connectences.matching.data import CommitmentData
from connectences.matching.routing import decide_route
from connectences.matching.score import days_points
from connectences.models import Candidate, Need
from connectences.workflows import leads as lead_flow
from tests import factories as f
from tests.helpers import count, error_of, lead_by_refs, page_text, qualify
from tests.test_commitments import person, tuesday
from tests.test_match import make_need


@pytest.mark.engine_free
def test_a_day_taken_by_work_held_is_told_apart_from_a_day_never_offered():
    # Free on Monday and Thursday (Tuesday taken), never on Wednesday or Friday.
    cand = person(commitments=(tuesday(8),))
    need = make_need(days=frozenset({"mon", "tue", "wed", "fri"}))
    points, text = days_points(need, cand)
    assert points == 3
    assert text == (
        "Libre 1 jour sur 4 (lundi) ; pas le mercredi ni le vendredi ; "
        "le mardi est déjà pris par son travail actuel."
    )
    points, text = days_points(make_need(days=frozenset({"mon", "tue"})), cand)
    assert text == "Libre 1 jour sur 2 (lundi) ; le mardi est déjà pris par son travail actuel."
    # Without work held, the days never offered only, joined as French joins them.
    points, text = days_points(make_need(days=frozenset({"mon", "wed", "fri"})), person())
    assert text == "Disponible 1 jour sur 3 (lundi) ; pas le mercredi ni le vendredi."


@pytest.mark.engine_free
def test_a_day_taken_by_work_planned_after_the_need_s_start_is_not_said_current_work():
    """Work starting after the need's start takes its day all the same (matching counts
    it: the need runs into it), but it is no work the person « already » does: the days
    line said « déjà pris par son travail actuel » beside the hours line's « Prévu 8 h le
    mardi (…) à partir du 01/06/2027 »."""
    planned = replace(tuesday(8), start=date(2027, 6, 1))
    begun = CommitmentData(hours_per_week=4, days=frozenset({"mon"}), label="Mairie")
    need = make_need(days=frozenset({"mon", "tue", "thu"}), start=date(2027, 3, 1))
    points, text = days_points(need, person(commitments=(planned,)))
    assert text == "Libre 2 jours sur 3 (lundi, jeudi) ; le mardi sera pris par son travail prévu."
    points, text = days_points(need, person(commitments=(planned, begun)))
    assert text == (
        "Libre 1 jour sur 3 (jeudi) ; le lundi est déjà pris par son travail actuel ; "
        "le mardi sera pris par son travail prévu."
    )
    # Begun by the need's start (if not today): the work the person does then.
    started = replace(tuesday(8), start=date(2027, 2, 1))
    points, text = days_points(need, person(commitments=(started,)))
    assert text.endswith("le mardi est déjà pris par son travail actuel.")


@pytest.fixture
def held(auth):
    """Inès offers Monday, Tuesday and Thursday but works on Tuesdays already; Léo offers
    Monday and Tuesday and holds no work. The need asks for Monday and Tuesday."""
    f.load(
        {
            **f.document(
                companies=[f.company(ref="c1", name="Boulangerie du Port")],
                candidates=[
                    f.candidate(
                        ref="ines",
                        first_name="Inès",
                        last_name="Marchal",
                        hours_min=6,
                        hours_max=24,
                        days=["mon", "tue", "thu"],
                        commitments=[
                            {"label": "Cabinet Lune", "hours_per_week": 8, "days": ["tue"]}
                        ],
                    ),
                    f.candidate(
                        ref="leo", first_name="Léo", last_name="Libre", days=["mon", "tue"]
                    ),
                ],
                needs=[
                    f.need(ref="lundi-mardi", company="c1", days=["mon", "tue"], hours_per_week=8)
                ],
            ),
            "format": "connectences/v1.1",
        }
    )
    auth.login("animateur")


def _ranked(client, query: str) -> str:
    """The ranked candidates of the need's page (the people holding work who could take
    it are listed apart, under « Compléter la semaine », whatever the filters)."""
    page = page_text(client.get(f"/animateur/besoins/lundi-mardi?nombre=10{query}"))
    return page[page.index("Candidats proposés") : page.index("Compléter la semaine")]


def test_the_every_day_filter_reads_the_free_days(client, held):
    ranked = _ranked(client, "")
    assert "Inès Marchal" in ranked and "Léo Libre" in ranked
    ranked = _ranked(client, "&tous_les_jours=1")
    # Her Tuesday is taken: she is not free every day of the need.
    assert "Léo Libre" in ranked and "Inès Marchal" not in ranked


def test_the_summary_line_of_a_person_holding_work_names_it(client, held):
    page = _ranked(client, "")
    # The summary and the table's hidden caption both elide: "d'Inès".
    assert "Détail du score de Inès" not in page
    line = page[page.index("Inès Marchal") : page.index("Détail du score d'Inès")]
    assert "Déjà 8 h le mardi (Cabinet Lune) : reste 16 h, libre lundi et jeudi." in line
    line = page[page.index("Léo Libre") : page.index("Détail du score de Léo")]
    assert "Déjà" not in line
    # Below, apart, the one person holding work who could take the need.
    page = page_text(client.get("/animateur/besoins/lundi-mardi"))
    assert "1 personne déjà en poste pourrait le prendre sur son temps libre" in page


@pytest.mark.engine_free
def test_a_bundle_that_fills_a_persons_free_week_scores_full_hours():
    """The hours criterion of a bundle compares its total with what the fitting people
    can still take: 24 h at most with 16 h already held leaves 8 h, which a bundle of
    8 h fills; 24 h at most and no work held, a bundle of 8 h is a third of it."""
    from tests.test_pool import candidate, need, run

    needs = [need("b1", "e1", "mon", 4), need("b2", "e2", "thu", 4)]
    held = CommitmentData(hours_per_week=16, days=frozenset({"tue", "wed"}), label="GE")
    (full,) = run(needs, [candidate("busy", hours_min=4, hours_max=24, commitments=(held,))])
    (third,) = run(needs, [candidate("idle", hours_min=4, hours_max=24)])
    assert full.candidates == ("busy",) and third.candidates == ("idle",)
    assert full.reasons[1] == (
        "Heures : 30 points. 8 h par semaine, proche des souhaits des candidats qui "
        "conviennent (100 % des heures qu'ils peuvent encore prendre, en moyenne)."
    )
    assert third.reasons[1].startswith("Heures : 10 points.")
    assert full.score - third.score == 20


# --- hours the days chosen cannot hold ----------------------------------------------------


@pytest.mark.engine_free
def test_hours_beyond_twelve_a_day_are_a_slip_said_in_french():
    assert week.beyond_days(24, ["mon", "tue"]) is None  # 12 h a day: the legal bound
    assert week.beyond_days(48, ["mon", "tue", "wed", "thu"]) is None
    assert week.beyond_days(40, []) is None  # no day: said by the form apart
    assert week.beyond_days(40, ["mon"]) == (
        "40 h par semaine sur 1 jour, c'est plus de 12 h par jour, au-delà de la durée "
        "maximale légale : cochez d'autres jours ou réduisez les heures."
    )
    assert "sur 2 jours" in week.beyond_days(24.5, ["mon", "tue"])


def test_a_need_of_forty_hours_on_monday_alone_is_refused_and_nothing_is_written(client):
    before = count(Need)
    refused = client.post(
        "/exprimer-un-besoin", data=f.public_need_form(hours_per_week="40", days=["mon"])
    )
    assert refused.status_code == 422
    assert "plus de 12 h par jour" in error_of(refused, "days")
    assert count(Need) == before
    # The same typed per month (173 h a month, 40 h a week) on five days is a week.
    kept = client.post(
        "/exprimer-un-besoin",
        data=f.public_need_form(
            hours_per_week="173", hours_period="mois", days=["mon", "tue", "wed", "thu", "fri"]
        ),
    )
    assert kept.status_code == 302


@pytest.mark.engine_free
def test_a_commitment_or_a_wish_beyond_the_days_is_refused():
    from connectences.cvtheque.profile import ProfileError, clean_profile

    with pytest.raises(CommitmentError) as refused:
        read_commitment(
            Candidate(commitments=[]), label="Ménage", hours="30", days=["mon"], start="", until=""
        )
    assert "plus de 12 h par jour" in refused.value.errors["days"]
    with pytest.raises(ProfileError) as refused:
        clean_profile({"hours_min": "30", "hours_max": "35", "days": ["mon"]}, partial=True)
    assert "plus de 12 h par jour" in refused.value.errors["hours_min"]
    # At most is a wish: 35 h at most on two days is no slip, 20 h at least would be.
    clean_profile({"hours_min": "10", "hours_max": "35", "days": ["mon", "tue"]}, partial=True)


@pytest.mark.engine_free
def test_commitments_that_pile_up_on_one_day_beyond_twelve_hours_are_refused():
    """Each commitment may hold on its own days while together they do not: two jobs
    of 7,5 h on Wednesday alone make 15 h that day, beyond the legal day, which the law
    bounds for work held with several employers too (Code du travail L8261-1)."""
    from connectences.models import Commitment

    wednesday = Commitment(hours_per_week=7.5, days=["wed"], label="Mairie")
    held = Candidate(commitments=[wednesday])
    with pytest.raises(CommitmentError) as refused:
        read_commitment(held, label="Cantine", hours="7,5", days=["wed"], start="", until="")
    assert refused.value.errors["days"] == (
        "Avec les autres engagements, 15 h par semaine tombent sur 1 jour (mercredi), "
        "c'est plus de 12 h par jour, au-delà de la durée maximale légale : cochez "
        "d'autres jours ou réduisez les heures."
    )
    # Spread over another day, or with work that has ended, the same hours hold.
    read_commitment(held, label="Cantine", hours="7,5", days=["wed", "thu"], start="", until="")
    ended = Commitment(hours_per_week=7.5, days=["wed"], until=date(2020, 1, 31))
    read_commitment(
        Candidate(commitments=[ended]),
        label="Cantine",
        hours="7,5",
        days=["wed"],
        start="",
        until="",
    )
    # Editing the commitment itself does not count it twice.
    read_commitment(
        held, label="Mairie", hours="9", days=["wed"], start="", until="", replacing=wednesday
    )
    # Over two days: 10 h on Monday only, then 16 h on Monday and Tuesday make 26 h there.
    monday = Commitment(hours_per_week=10, days=["mon"])
    with pytest.raises(CommitmentError) as refused:
        read_commitment(
            Candidate(commitments=[monday]),
            label=None,
            hours="16",
            days=["mon", "tue"],
            start="",
            until="",
        )
    assert "26 h par semaine tombent sur 2 jours (lundi et mardi)" in refused.value.errors["days"]
    # A day already over without it (work imported as the sender had it) is not its doing.
    imported = Candidate(commitments=[Commitment(hours_per_week=20, days=["tue"])])
    read_commitment(imported, label=None, hours="4", days=["fri"], start="", until="")


@pytest.mark.engine_free
def test_the_why_not_summary_writes_the_score_the_french_way():
    from connectences.matching.score import explain_pair

    # One skill of four met: 45 / 4 = 11,3 points, a score with a tenth.
    need = make_need(skills=("saisie comptable", "soudure", "élagage", "plomberie"))
    result = explain_pair(need, person(), 5.0)
    assert result["proposed"] and result["score"] == 65.3
    assert result["summary"] == "Candidat proposé avec un score de 65,3 sur 100."
    whole = explain_pair(make_need(), person(), 5.0)
    assert float(whole["score"]).is_integer()
    assert whole["summary"] == f"Candidat proposé avec un score de {whole['score']:.0f} sur 100."


@pytest.mark.engine_free
def test_the_gaps_of_an_operator_are_joined_the_french_way():
    from connectences.matching.route import route
    from tests.test_route import COBAS, FT, operator

    far = operator("ge-far", name="GE Loin", epcis=frozenset({"200000001"}), levels=frozenset())
    decision = route(make_need(), [far], [FT], COBAS)
    assert decision.decision == "reorientation"
    assert (
        "GE Loin n'intervient pas sur l'intercommunalité du besoin ; "
        "ne prend pas le niveau « Employé qualifié »."
    ) in decision.reasons


def test_a_bundle_lists_its_needs_as_the_week_goes(client, auth):
    """Refs in one order, days in the other: the page reads Monday's company first."""
    f.load(
        f.document(
            operators=[f.operator(ref="ge", name="GE Bassin")],
            companies=[
                f.company(ref="c1", name="Hôtel du Jeudi"),
                f.company(ref="c2", name="Bistrot du Lundi"),
            ],
            needs=[
                f.need(ref="a-rh", company="c1", title="RH du jeudi", days=["thu"]),
                f.need(ref="b-rh", company="c2", title="RH du lundi", days=["mon"]),
            ],
        )
    )
    auth.login("animateur")
    page = page_text(client.get("/animateur/postes-partages"))
    assert "1 poste possible" in page
    assert page.index("RH du lundi") < page.index("RH du jeudi")


# --- routing again after an operator refused ----------------------------------------------


@pytest.fixture
def refused(auth):
    """A need only GE Bassin covers (the other operator takes cadres only), proposed to
    GE Bassin, which refused it."""
    f.load(
        f.document(
            operators=[
                f.operator(ref="ge", name="GE Bassin", email="ge@exemple.fr"),
                f.operator(
                    ref="cadres",
                    name="Cadres Partagés",
                    kind="cadres_temps_partage",
                    levels=["cadre"],
                ),
            ],
            partners=[f.partner(ref="ft", name="France Travail Arcachon", kind="france_travail")],
            companies=[f.company(ref="c1", name="Boulangerie du Port")],
            candidates=[f.candidate(ref="cv", days=["tue"])],
            needs=[f.need(ref="compta", company="c1")],
        )
    )
    animateur = auth.create("animateur")
    qualify("compta")
    lead = lead_by_refs(animateur, "compta", "ge", "cv")
    db.session.commit()
    lead_flow.refuse(db.session, lead, "hors_perimetre", actor=animateur)
    db.session.commit()
    return animateur


def test_a_need_an_operator_refused_is_routed_elsewhere_and_says_why(refused):
    decision = decide_route("compta")
    assert decision.decision == "reorientation" and decision.partner == "ft"
    today = local_today().strftime("%d/%m/%Y")
    assert f"GE Bassin a refusé ce besoin le {today} (Hors de notre périmètre)." in decision.reasons
    assert decision.no_fit_reason == "aucun_operateur"
    # What the partner reads says nothing of the operator's refusal.
    assert not any("GE Bassin" in r for r in decision.shared)


def test_proposed_again_to_the_operator_that_refused_the_routing_follows(refused):
    lead_by_refs(refused, "compta", "ge", "cv")
    db.session.commit()
    decision = decide_route("compta")
    assert decision.decision == "operator" and decision.operator == "ge"


def test_the_need_page_no_longer_preselects_the_operator_that_refused(client, auth, refused):
    auth.login("animateur")
    page = page_text(client.get("/animateur/besoins/compta"))
    assert "Réorientation vers un partenaire : France Travail Arcachon" in page
    assert "GE Bassin a refusé ce besoin le" in page


@pytest.mark.engine_free
def test_the_why_not_summary_names_the_work_held_once():
    from connectences.matching.score import explain_pair

    # Tuesday taken by 20 h of work: no free day of the need, nor enough hours. Both
    # checks say the week (each is read alone); the summary joining them says it once.
    cand = person(days=frozenset({"tue"}), commitments=(tuesday(20),))
    need = make_need(days=frozenset({"tue"}), hours_per_week=7)
    result = explain_pair(need, cand, 5.0)
    assert [c["code"] for c in result["failed"]] == ["days", "hours"]
    sentence = week.week_sentence(cand, need.start)
    assert all(sentence in c["text"] for c in result["failed"])
    assert result["summary"].count(sentence) == 1
    assert result["summary"] == (
        "Candidat non proposé : Aucun jour libre en commun : le besoin porte sur mardi. "
        f"{sentence} Le besoin demande 7 h : plus que son temps libre "
        "(au plus 24 h par semaine en tout)."
    )
