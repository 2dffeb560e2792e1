"""Each figure of the observatory against the small territory counted by hand in
tests/observatory_world.py (COBAS, needs n1 to n5; the COBAN's need and the unconfirmed
one are never counted)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from connectences.extensions import db
from connectences.observatory import figures
from connectences.skills import rome_label
from tests import factories, observatory_world
from tests.helpers import query_plan


@pytest.fixture
def seen():
    observatory_world.build()
    return figures.observatory(db.session, factories.COBAS, "tout", now=observatory_world.NOW)


def values(table, column=0):
    return {row.label: row.cells[column].value for row in table.rows}


def test_headline(seen):
    assert values(seen.table("bref")) == {
        "Besoins reçus": 5,
        "Entreprises concernées": 3,
        "Heures de travail par semaine demandées": 59,
        "Besoins à temps partagé": 1,
        "Besoins regroupés dans un poste à temps partagé": 1,
        "Besoins pourvus": 1,
        "Besoins en cours à la fin de la période": 2,
    }


def test_breakdowns_by_place_job_sector_size_level_reason_contract(seen):
    assert values(seen.table("communes")) == {
        "Arcachon": 2,
        "La Teste-de-Buch": 2,
        "Gujan-Mestras": 1,
    }
    assert values(seen.table("communes"), 1) == {
        "Arcachon": 21,
        "La Teste-de-Buch": 18,
        "Gujan-Mestras": 20,
    }
    assert seen.table("communes").total.cells[0].value == 5
    assert values(seen.table("metiers")) == {
        rome_label("M1203"): 2,
        rome_label("G1602"): 2,
        rome_label("M1607"): 1,
    }
    assert values(seen.table("secteurs")) == {
        "Hébergement et restauration": 3,
        "Commerce, réparation d'automobiles": 2,
    }
    assert values(seen.table("tailles")) == {
        "3 à 5 salariés": 2,
        "6 à 9 salariés": 2,
        "10 à 49 salariés": 1,
    }
    assert values(seen.table("niveaux")) == {"Non qualifié": 1, "Employé qualifié": 4}
    assert values(seen.table("motifs")) == {"Besoin à temps partiel": 4, "Pic d'activité": 1}
    assert values(seen.table("contrats")) == {"CDI à temps partagé": 4, "CDD": 1}
    assert sum(values(seen.table("domaines")).values()) == 5


def test_states_at_the_end_of_the_period_come_from_the_log(seen):
    assert values(seen.table("etapes")) == {
        "Nouveau": 1,
        "Qualifié": 0,
        "En recherche": 0,
        "Proposé à un opérateur": 1,
        "Pourvu": 1,
        "Réorienté vers un partenaire": 1,
        "Abandonné": 1,
    }
    # At the end of March, n1 was still proposed and n3, n4, n5 not yet received.
    march = figures.figures_between(
        db.session, factories.COBAS, None, datetime(2026, 4, 1, tzinfo=UTC)
    )
    assert march.total == 2
    assert march.by_status["propose"] == 1 and march.by_status["abandonne"] == 1


def test_outcomes_funnel_and_reasons(seen):
    assert values(seen.table("entonnoir")) == {
        "Besoins reçus": 5,
        "Qualifiés par un animateur": 3,
        "Proposés à un opérateur": 2,
        "Pourvus": 1,
    }
    assert values(seen.table("issues")) == {
        "Pourvu dans un poste à temps partagé": 1,
        "Réorienté vers un partenaire": 1,
        "Abandonné": 1,
        "En attente de l'animateur (à qualifier)": 1,
        "En attente de l'opérateur qui l'a reçu": 1,
    }
    assert values(seen.table("reorientations")) == {"France Travail": 1}
    assert values(seen.table("abandons")) == {"Budget insuffisant": 1}


def test_time_each_step_took(seen):
    delays = values(seen.table("delais"), 1)
    assert delays["Qualification"] == 1  # 2, 1 and 1 days
    assert delays["Proposition à un opérateur"] == 6.5  # 10 and 3 days
    assert delays["Embauche (besoin pourvu)"] == 30
    assert delays["Abandon"] == 10
    assert values(seen.table("delais"))["Qualification"] == 2  # companies A and B


def test_unmet_jobs_and_skills_nobody_asks(seen):
    # Qualified needs ask M1203 (a person is available) and G1602 (nobody).
    assert values(seen.table("metiers_sans_candidat")) == {rome_label("G1602"): 1}
    # The person offers "saisie comptable" and "facturation"; n3 asks "facturation".
    assert values(seen.table("competences_non_demandees")) == {"saisie comptable": 1}


def test_activity(seen):
    assert values(seen.table("visites_canal")) == {"Porte-à-porte": 2, "Téléphone": 1}
    assert values(seen.table("visites_canal"), 1) == {"Porte-à-porte": 2, "Téléphone": 1}
    assert values(seen.table("visites_animateur")) == {"Léa Martin": 2, "Hugo Petit": 1}
    assert values(seen.table("visites_animateur"), 1) == {"Léa Martin": 1, "Hugo Petit": 1}
    reach = seen.table("tpe_touchees")
    assert values(reach) == {
        "Hébergement et restauration": 2,
        "Commerce, réparation d'automobiles": 1,
    }
    assert values(reach, 1) == {
        "Hébergement et restauration": 1,
        "Commerce, réparation d'automobiles": 1,
    }
    assert values(reach, 2) == {
        "Hébergement et restauration": 50,
        "Commerce, réparation d'automobiles": 100,
    }
    assert [c.value for c in reach.total.cells] == [3, 2, 66.7]
    assert values(seen.table("pression")) == {
        "1 contact": 2,
        "2 contacts": 1,
        "3 à 4 contacts": 0,
        "5 contacts ou plus": 0,
    }
    operators = seen.table("operateurs")
    assert [c.value for c in operators.rows[0].cells] == [2, 2, 2, 1, 1.5]
    assert [[c.value for c in row.cells] for row in seen.table("maintien").rows] == [
        [0, 0, 0, 0],
        [1, 1, 0, 0],
        [1, 0, 1, 0],
        [1, 0, 0, 1],
    ]
    assert values(seen.table("semaines_incompletes")) == {
        "Personnes": 1,
        "Heures par semaine encore libres": 28,
    }


def test_trends_month_by_month(seen):
    trend = seen.table("tendances")
    assert len(trend.rows) == 24
    assert trend.rows[-1].label == "06/2026" and trend.rows[0].label == "07/2024"
    months = {row.label: [c.value for c in row.cells] for row in trend.rows}
    assert months["03/2026"] == [2, 21, 0]
    assert months["04/2026"] == [1, 10, 1]
    assert months["05/2026"] == [2, 28, 0]
    assert sum(m[0] for m in months.values()) == 5


def test_a_shorter_period_counts_only_its_needs(seen):
    recent = figures.observatory(db.session, factories.COBAS, "3m", now=observatory_world.NOW)
    # Since 01/04/2026 (June and the two months before): n3, n4, n5.
    assert recent.total == 3
    assert values(recent.table("communes")) == {"La Teste-de-Buch": 2, "Gujan-Mestras": 1}


def test_every_figure_says_how_it_is_computed(seen):
    for table in seen.tables:
        assert len(table.explanation) > 40, table.key
        for row in table.all_rows:
            assert len(table.columns) == 1 + len(row.cells), table.key


def _shown_values(seen):
    return {
        table.key: [[c.value for c in row.cells] for row in table.all_rows] for table in seen.tables
    }


def test_a_person_placed_twice_then_erased_changes_no_figure_of_the_placements():
    """The placements followed count placements: a person placed twice is two placements
    before their erasure as after it (the placements stay, without the person: rgpd.md
    T5/T6); only the figures read in the CV library lose them."""
    from connectences.cvtheque.erase import erase_candidate
    from connectences.models import Candidate, FollowUpPoint, Lead, Placement, PlacementNeed

    world = observatory_world.build()
    person = db.session.scalar(db.select(Candidate).where(Candidate.ref == "cv-x"))
    single = db.session.scalar(db.select(Lead).where(Lead.is_bundle.is_(False)))
    second = Placement(
        lead_id=single.id,
        candidate_id=person.id,
        hours_per_week=8,
        contract="cdi",
        start_date=datetime(2026, 5, 1).date(),
        created_at=observatory_world.at("2026-05-01"),
    )
    db.session.add(second)
    db.session.flush()
    n5 = world["needs"][4]
    db.session.add_all(
        [
            PlacementNeed(placement_id=second.id, need_id=n5.id),
            FollowUpPoint(
                placement_id=second.id,
                months=1,
                due_on=datetime(2026, 6, 1).date(),
                done_at=observatory_world.at("2026-06-02"),
                holds=True,
            ),
        ]
    )
    db.session.commit()
    before = figures.observatory(db.session, factories.COBAS, "tout", now=observatory_world.NOW)
    # À 1 mois: the two placements, both holding.
    assert [c.value for c in before.table("maintien").rows[1].cells] == [2, 2, 0, 0]

    erase_candidate(db.session, person, reason="test")
    db.session.commit()
    after = figures.observatory(db.session, factories.COBAS, "tout", now=observatory_world.NOW)
    # The figures read in the CV library (who is placed and free, skills and jobs offered)
    # lose the person; every other one stays as it was.
    library = {"semaines_incompletes", "competences_non_demandees", "metiers_sans_candidat"}
    was, now = _shown_values(before), _shown_values(after)
    assert {k: v for k, v in now.items() if k not in library} == {
        k: v for k, v in was.items() if k not in library
    }
    # The protection still sees one person behind the two placements, not two.
    assert len(after.table("maintien").rows[1].cells[0].members) == 1


def test_a_past_day_counts_only_the_proposals_answers_and_placements_made_by_then():
    """The figures at a past day read the territory as it stood then (the staff at any
    day, an officer at a month end): a proposal sent, an answer given, a placement made
    or a follow-up point done after it is not counted yet."""
    from connectences.models import Lead, Transition

    observatory_world.build()
    bundle = db.session.scalar(db.select(Lead).where(Lead.is_bundle.is_(True)))
    db.session.add(
        Transition(
            entity="lead",
            entity_id=bundle.id,
            from_state="accepte",
            to_state="place",
            at=observatory_world.at("2026-04-01"),
        )
    )
    db.session.commit()

    def at_evening(day):
        return figures.observatory(
            db.session,
            factories.COBAS,
            "tout",
            now=figures.end_of_day(datetime.fromisoformat(day).date()),
        )

    # 31 March: n1 proposed (bundle sent 12/03, accepted 13/03), placed on 1 April only.
    march = at_evening("2026-03-31")
    assert [c.value for c in march.table("operateurs").rows[0].cells] == [1, 1, 1, 0, 1]
    assert [[c.value for c in row.cells] for row in march.table("maintien").rows] == [
        [0, 0, 0, 0]
    ] * 4
    assert values(march.table("semaines_incompletes")) == {
        "Personnes": 0,
        "Heures par semaine encore libres": 0,
    }
    # 27 May: n5 qualified (26/05), its proposal sent on the 28th; the placement's
    # 1-month point done (2 May, holding), its 3-month point done on 1 June only.
    may = at_evening("2026-05-27")
    assert values(may.table("entonnoir"))["Proposés à un opérateur"] == 1
    assert [c.value for c in may.table("operateurs").rows[0].cells] == [1, 1, 1, 1, 1]
    assert [[c.value for c in row.cells] for row in may.table("maintien").rows] == [
        [0, 0, 0, 0],
        [1, 1, 0, 0],
        [1, 0, 0, 1],
        [1, 0, 0, 1],
    ]
    # 9 April: n3 re-oriented on the 10th: not yet sent to France Travail.
    april = at_evening("2026-04-09")
    assert values(april.table("reorientations")) == {}


def test_a_need_is_labelled_by_the_proposal_that_filled_it():
    """n8 was proposed in a shared-time post that O1 refused, then alone, and filled by
    that second proposal: it was filled by an operator, not in a shared-time post (which
    it read, for having once been proposed in one)."""
    from connectences.models import Company, Lead, LeadNeed, Operator

    observatory_world.build()
    c = db.session.query(Company).filter_by(ref="c").one()
    operator = db.session.query(Operator).filter_by(ref="o1").one()
    n8 = observatory_world._need(
        c,
        "M1203",
        7,
        "2026-04-02",
        log=[("2026-04-03", "qualifie"), ("2026-04-04", "propose"), ("2026-04-20", "pourvu")],
    )
    pooled = Lead(
        operator_id=operator.id,
        is_bundle=True,
        status="refuse",
        created_at=observatory_world.at("2026-04-04"),
    )
    alone = Lead(
        operator_id=operator.id, status="place", created_at=observatory_world.at("2026-04-10")
    )
    db.session.add_all([pooled, alone])
    db.session.flush()
    db.session.add_all(
        [LeadNeed(lead_id=pooled.id, need_id=n8.id), LeadNeed(lead_id=alone.id, need_id=n8.id)]
    )
    db.session.commit()
    seen = figures.observatory(db.session, factories.COBAS, "tout", now=observatory_world.NOW)
    issues = values(seen.table("issues"))
    assert issues["Pourvu dans un poste à temps partagé"] == 1  # n1, its post placed
    assert issues["Pourvu par un opérateur"] == 1  # n8
    # Still proposed in a shared-time post, as the headline says.
    assert values(seen.table("bref"))["Besoins regroupés dans un poste à temps partagé"] == 2


def test_a_company_reached_through_two_channels_is_said_to_count_once_in_the_total(seen):
    """Company A was visited door to door and called: it counts on both rows and once in
    the total (2 companies, not 3), which the explanation says."""
    channels = seen.table("visites_canal")
    assert sum(values(channels, 1).values()) == 3
    assert channels.total.cells[1].value == 2
    assert "une seule fois dans le total" in channels.explanation
    assert "peut faire plus que son total" in channels.explanation


def test_the_leads_of_a_territorys_needs_are_read_by_the_need_index():
    # A region's territory lists 4,000 needs. Joined to the leads, SQLite walked every
    # lead (by date, or by operator) and sought each one against the whole list (0.4 s
    # of the observatory's 0.9 s at that size): the link table is read alone, then the
    # leads by their key.
    observatory_world.build()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))  # the planner's statistics, as in production
    pairs = query_plan(figures.lead_pairs(range(1, 4001)))
    leads = query_plan(figures.leads_by_id(range(1, 4001)))
    # The needs' list is sought in the link table's own index (or checked on one pass of
    # it), never inside a walk of the leads; the leads statement leaves the link alone.
    assert "lead_need" in pairs and " lead " not in f" {pairs} ", pairs
    assert "(lead_id=? AND need_id=?)" not in pairs and "lead_need" not in leads, leads
