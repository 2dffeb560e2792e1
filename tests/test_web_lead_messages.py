"""Every action of the operator's lead page sends the browser back to the section it
acted on and shows its message there, not at the top of the page: on a phone the top
of a long page is out of view (web.actions.flash_in)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectences import workflows
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Candidate, Lead, Need
from connectences.workflows import inboxes
from connectences.workflows import leads as flow
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import by_ref, flashes_in, lead_by_refs, top_flashes

DECISION = "decision"


@pytest.fixture
def world(auth):
    """A lead for ``ok`` in n1, sent to ``ge``; a member of ``ge`` logged in."""
    f.load(f.dispatch_document(candidates=[]))
    animateur = auth.create("animateur", email="anim@exemple.fr")
    workflows.transition(db.session, by_ref(Need, "n1"), workflows.NEED, "qualifie")
    lead = lead_by_refs(animateur, "n1", "ge", "ok")
    db.session.commit()
    auth.login("operator", org_ref="ge")
    return {"lead": lead.id}


def _url(world) -> str:
    return f"/operateur/propositions/{world['lead']}"


def _post(client, world, path, data):
    token = csrf_token_from(client.get(_url(world)).get_data(as_text=True))
    return client.post(f"{_url(world)}{path}", data={**data, "csrf_token": token})


def _said_in(client, response, section: str) -> str:
    """The page the response leads to, checked to land on ``section``; what it says
    there, after checking the top says nothing of it."""
    assert response.status_code == 302
    assert response.location == f"{_url_of(response)}#{section}"
    page = client.get(response.location)
    said = flashes_in(page, section)
    assert said
    assert top_flashes(page) == ""
    return said


def _url_of(response) -> str:
    return response.location.partition("#")[0]


def _accepted(world):
    flow.accept(db.session, db.session.get(Lead, world["lead"]))
    db.session.commit()


@pytest.mark.parametrize(
    ("action", "form", "said"),
    [
        ("accepter", {}, "Proposition acceptée."),
        ("refuser", {"motif": "hors_perimetre", "precision": ""}, "l'animateur est prévenu"),
        ("rendre", {"precision": "Pas de candidat disponible"}, "Proposition rendue"),
        ("sans_suite", {"precision": ""}, "Proposition close sans suite."),
    ],
)
def test_a_decision_says_it_in_the_decision_section(client, world, action, form, said):
    response = _post(client, world, "/action", {"action": action, **form})
    assert said in _said_in(client, response, DECISION)


def test_contacting_the_candidates_says_it_in_the_decision_section(client, world):
    _accepted(world)
    response = _post(client, world, "/action", {"action": "contacter"})
    assert "candidats contactés" in _said_in(client, response, DECISION)


def test_a_move_no_longer_possible_says_why_in_the_decision_section(client, world):
    # Another member refused it meanwhile: this tab's « Accepter » is refused, said
    # where the operator clicked, the section still there with nothing to decide.
    lead = db.session.get(Lead, world["lead"])
    flow.refuse(db.session, lead, "hors_perimetre", "", None)
    db.session.commit()
    response = _post(client, world, "/action", {"action": "accepter"})
    said = _said_in(client, response, DECISION)
    assert said.startswith("Erreur :") and "déjà été refusée" in said


def test_an_unknown_action_says_it_in_the_decision_section(client, world):
    response = _post(client, world, "/action", {"action": "nimporte"})
    assert _said_in(client, response, DECISION) == "Erreur : Action inconnue."


def _placement_form(start):
    return {
        "candidat": str(by_ref(Candidate, "ok").id),
        "besoins": str(by_ref(Need, "n1").id),
        "heures": "7",
        "contrat": "cdi",
        "debut": start.isoformat(),
        "essai": "legale",
    }


def test_a_placement_recorded_says_it_in_the_placement(client, world):
    _accepted(world)
    response = _post(client, world, "/placement", _placement_form(local_today()))
    (placement,) = inboxes.lead_placements(db.session, world["lead"])
    said = _said_in(client, response, f"placement-{placement.id}")
    assert said.startswith("Fait : Placement enregistré.")


def test_a_placement_sent_again_once_placed_says_why_in_the_decision_section(client, world):
    _accepted(world)
    token = csrf_token_from(client.get(_url(world)).get_data(as_text=True))
    form = {**_placement_form(local_today() + timedelta(days=1)), "csrf_token": token}
    assert client.post(f"{_url(world)}/placement", data=form).status_code == 302
    response = client.post(f"{_url(world)}/placement", data=form)
    said = _said_in(client, response, DECISION)
    assert said.startswith("Erreur :")
