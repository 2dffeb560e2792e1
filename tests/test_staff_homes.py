"""What the staff and partner homes tell, checked on the server side: the animateur's
home lists what is due (own follow-ups, needs to qualify, proposals unanswered or
handed back) with links; the observatory counts over a period and leaves out needs
never confirmed; numbers are written the French way."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Company, Lead, LeadNeed, Need, Operator, Visit
from connectences.models.base import utcnow
from connectences.observatory.figures import observatory
from connectences.web.formats import french_number
from tests import factories
from tests.helpers import page_text


def _company_with_needs(*titles: str, commune: str = factories.ARCACHON) -> list[Need]:
    company = factories.company(commune=commune)
    factories.load(
        factories.document(
            companies=[company],
            needs=[factories.need(company=company["ref"], title=t) for t in titles],
        )
    )
    return list(db.session.scalars(select(Need).order_by(Need.id)))


def test_french_number():
    assert french_number(1234.5) == "1\u202f234,5"
    assert french_number(16.0) == "16"
    assert french_number(None) == "—"


def test_animateur_home_lists_what_is_due(client, auth):
    me = auth.login("animateur")
    other = auth.create("animateur", email="collegue@exemple.fr")
    needs = _company_with_needs("Paie du mardi", "Accueil du samedi")
    company = db.session.scalar(select(Company))
    yesterday = local_today() - timedelta(days=1)
    db.session.add_all(
        [
            Visit(
                company_id=company.id,
                channel="telephone",
                visited_on=yesterday,
                animateur_id=me.id,
                follow_up_on=yesterday,
            ),
            # A colleague's follow-up is theirs, not mine.
            Visit(
                company_id=company.id,
                channel="telephone",
                visited_on=yesterday,
                animateur_id=other.id,
                follow_up_on=local_today(),
            ),
        ]
    )
    factories.load(factories.document(operators=[factories.operator(name="GE du Bassin")]))
    operator = db.session.scalar(select(Operator))
    needs[1].status = "propose"
    lead = Lead(operator_id=operator.id, status="envoye")
    lead.needs.append(LeadNeed(need=needs[1]))
    db.session.add(lead)
    db.session.commit()

    page = client.get("/animateur").get_data(as_text=True)
    relances = page[page.index('id="titre-relances"') : page.index('id="titre-qualifier"')]
    assert "<strong>0</strong> aujourd'hui, <strong>1</strong> en retard" in relances
    qualify = page[page.index('id="titre-qualifier"') : page.index('id="titre-propositions"')]
    assert f'href="/animateur/besoins/{needs[0].ref}/qualifier">Paie du mardi</a>' in qualify
    assert "Accueil du samedi" not in qualify  # already proposed
    proposals = page[page.index('id="titre-propositions"') : page.index('id="titre-statuts"')]
    assert "<strong>1</strong> sans réponse" in proposals
    assert "Accueil du samedi</a>" in proposals and "envoyée à GE du Bassin" in proposals
    # Refused by the operator: listed with its need, to propose elsewhere.
    lead.status = "refuse"
    db.session.commit()
    page = client.get("/animateur").get_data(as_text=True)
    proposals = page[page.index('id="titre-propositions"') : page.index('id="titre-statuts"')]
    assert "<strong>0</strong> sans réponse, <strong>1</strong> refusée ou rendue" in proposals
    assert f'href="/animateur/besoins/{needs[1].ref}">Accueil du samedi</a>' in proposals
    assert "— refusée par GE du Bassin le " in proposals


def test_the_home_counts_every_item_due_and_lists_the_first_three(client, auth):
    # Counted with the first rows, in one statement each: the count covers them all.
    me = auth.login("animateur")
    titles = [f"Besoin {i}" for i in range(5)]
    needs = _company_with_needs(*titles)
    company = db.session.scalar(select(Company))
    today = local_today()
    for days in (1, 2, 3, 4, 5, 0, -3):  # five overdue, one today, one upcoming
        db.session.add(
            Visit(company_id=company.id, channel="telephone", visited_on=today,
                  animateur_id=me.id, follow_up_on=today - timedelta(days=days))
        )  # fmt: skip
    factories.load(factories.document(operators=[factories.operator(name="GE du Bassin")]))
    operator = db.session.scalar(select(Operator))
    for need in needs:
        need.status = "propose"
        lead = Lead(operator_id=operator.id, status="envoye")
        lead.needs.append(LeadNeed(need=need))
        db.session.add(lead)
    db.session.commit()

    page = client.get("/animateur").get_data(as_text=True)
    relances = page[page.index('id="titre-relances"') : page.index('id="titre-qualifier"')]
    assert "<strong>1</strong> aujourd'hui, <strong>5</strong> en retard" in relances
    # The three oldest due, overdue first.
    assert relances.count("— prévue le") == 3
    assert (today - timedelta(days=5)).strftime("%d/%m/%Y") in relances
    assert (today - timedelta(days=2)).strftime("%d/%m/%Y") not in relances
    proposals = page[page.index('id="titre-propositions"') : page.index('id="titre-statuts"')]
    assert "<strong>5</strong> sans réponse" in proposals
    assert sum(f"{title}</a>" in proposals for title in titles) == 3


def test_observatory_counts_over_a_period_without_unconfirmed_needs():
    needs = _company_with_needs("Ancien besoin", "Besoin récent", "Jamais confirmé")
    now = utcnow()
    needs[0].created_at = now - timedelta(days=200)
    needs[2].source = "entreprise"
    needs[2].owner_confirmed_at = None
    db.session.commit()

    everything = observatory(db.session, factories.COBAS, "tout", now=now)
    assert everything.total == 2 and everything.hours_per_week == 14
    assert everything.by_commune == [("Arcachon", 2)]
    recent = observatory(db.session, factories.COBAS, "3m", now=now)
    assert recent.total == 1 and recent.by_status["nouveau"] == 1
    assert recent.since is not None
    # Another intercommunality sees none of them; an unknown period is "since the start".
    assert observatory(db.session, factories.COBAN, "tout", now=now).total == 0
    assert observatory(db.session, factories.COBAS, "n'importe", now=now).period == "tout"


def test_observatory_page_says_the_period_and_each_step(client, auth):
    _company_with_needs("Besoin récent")
    auth.login("territoire")
    page = html.unescape(client.get("/territoire?periode=12m").get_data(as_text=True))
    assert '<option value="12m" selected>' in page
    assert "Besoins reçus du " in page
    assert "Transmis à un partenaire de l'emploi" in page


def test_observatory_says_which_jobs_and_why(client, auth):
    company = factories.company(commune=factories.ARCACHON)
    needs = [
        factories.need(company=company["ref"], rome="M1203", reason="temps_partiel"),
        factories.need(company=company["ref"], rome="M1203", reason="pic_activite"),
        factories.need(company=company["ref"], rome="G1602", reason="pic_activite"),
        factories.need(company=company["ref"], rome=None, reason="remplacement"),
    ]
    factories.load(factories.document(companies=[company], needs=needs))
    seen = observatory(db.session, factories.COBAS, "tout", now=utcnow())
    jobs = [(row.label, row.cells[0].value) for row in seen.table("metiers").rows]
    assert jobs[0] == ("Comptabilité", 2)
    assert jobs[-1] == ("Métier pas encore précisé", 1)
    reasons = [(row.label, row.cells[0].value) for row in seen.table("motifs").rows]
    assert reasons == [
        ("Besoin à temps partiel", 1),
        ("Pic d'activité", 2),
        ("Remplacement", 1),
    ]
    auth.login("territoire")
    page = html.unescape(client.get("/territoire").get_data(as_text=True))
    assert "Les métiers les plus demandés" in page and "Comptabilité" in page
    assert "Pourquoi les entreprises ont ce besoin" in page


# What the animateur reads of a lead in each state, said of « proposition », the word of
# the need's page (« proposition du … · état : »), of the home (« envoyée à … le ») and of
# the company's history (« état de la proposition : »).
PROPOSITION_STATES = {
    "envoye": "Envoyée",
    "vu": "Vue",
    "accepte": "Acceptée",
    "en_cours": "En cours",
    "place": "Placement enregistré",
    "sans_suite": "Sans suite",
    "refuse": "Refusée",
    "rendu": "Rendue à l'animateur",
}


@pytest.mark.parametrize("state", sorted(PROPOSITION_STATES))
def test_the_animateur_reads_a_leads_state_as_a_proposition(client, auth, state):
    """« proposition du 03/12 · état : Accepté » and, on the home, « — refusé par GE … »
    under « — envoyée à GE … »: the animateur's labels were masculine where every page
    calls the lead a « proposition »."""
    auth.login("animateur")
    [need] = _company_with_needs("Accueil du samedi")
    company = db.session.scalar(select(Company))
    factories.load(factories.document(operators=[factories.operator(name="GE du Bassin")]))
    need.status = "propose"
    lead = Lead(operator_id=db.session.scalar(select(Operator.id)), status=state)
    lead.needs.append(LeadNeed(need=need))
    db.session.add(lead)
    db.session.commit()
    said = PROPOSITION_STATES[state]

    shown = page_text(client.get(f"/animateur/besoins/{need.ref}"))
    assert f"· état : {said} " in shown
    history = page_text(client.get(f"/animateur/entreprises/{company.ref}"))
    assert f"proposé à GE du Bassin (état de la proposition : {said.lower()})" in history
    home = page_text(client.get("/animateur"))
    proposals = home[home.index("Propositions aux opérateurs") :]
    if state == "envoye":
        assert "Accueil du samedi — envoyée à GE du Bassin le " in proposals
    elif state in ("refuse", "rendu"):
        assert f"Accueil du samedi — {said.lower()} par GE du Bassin le " in proposals
