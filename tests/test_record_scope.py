"""Record-level rules of the newer pages: a user who may open the page is still refused a
record that is not reachable through it (404, recorded where the rule audits), and nothing
changes. The other rules have theirs beside their pages (test_web_operators,
test_web_partners, test_contact_rights, test_cv_public, test_offline_sync, test_audit_log,
test_web_visits, test_shared_week) and in test_scope_properties."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connectences.extensions import db
from connectences.models import AuditLog, Candidate, Commitment, FollowUpPoint, Lead
from tests import hostile_battery as battery
from tests.helpers import by_ref, error_of, html_of


@pytest.fixture
def world(app, auth, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return battery.make_world(app, auth, tmp_path)


def _commitment_state(commitment_id):
    db.session.expire_all()
    c = db.session.get(Commitment, commitment_id)
    return (c.candidate_id, c.label, c.hours_per_week) if c else None


@pytest.mark.parametrize("role", ["animateur", "admin"])
def test_a_commitment_is_reached_only_under_its_own_person(app, auth, world, role):
    commitment_id = world.params["library:commitment_id"]  # held by p1
    before = _commitment_state(commitment_id)
    client = battery.client_for(app, auth, world, role)
    wrong = f"/animateur/cvtheque/p2/engagements/{commitment_id}"
    assert client.get(wrong).status_code == 404
    form = {"libelle": "Changé", "heures": "20", "jours": "mon"}
    assert client.post(wrong, data=form).status_code == 404
    assert client.post(f"{wrong}/retirer").status_code == 404
    assert _commitment_state(commitment_id) == before
    # Under its own person, the same pages answer.
    assert client.get(f"/animateur/cvtheque/p1/engagements/{commitment_id}").status_code == 200


def _point_done(point_id):
    db.session.expire_all()
    return db.session.get(FollowUpPoint, point_id).done_at


def _refusals():
    return db.session.scalar(
        select(func.count(AuditLog.id)).where(AuditLog.action == "lead_access_refused")
    )


def test_a_follow_up_point_is_reached_only_through_its_own_lead(app, auth, world):
    point_id = world.params["leads:point_id"]  # a point of the placed lead
    own_lead, other_lead = world.params["placed_lead_id"], world.params["leads:lead_id"]
    feedback = {"entreprise": "Tout va bien", "personne": "", "tient": "oui"}
    client = battery.client_for(app, auth, world, "operator")
    # The operator's other lead does not carry that point.
    response = client.post(f"/operateur/propositions/{other_lead}/suivi/{point_id}", data=feedback)
    assert response.status_code == 404
    assert _point_done(point_id) is None and _refusals() == 1
    # Through its own lead, the same post records it.
    response = client.post(f"/operateur/propositions/{own_lead}/suivi/{point_id}", data=feedback)
    assert response.status_code == 302 and _point_done(point_id) is not None


def test_a_follow_up_too_long_is_refused_with_its_length_not_cut(app, auth, world):
    point_id = world.params["leads:point_id"]
    lead_id = world.params["placed_lead_id"]
    client = battery.client_for(app, auth, world, "operator")
    feedback = {"entreprise": "Bien", "personne": "é" * 2001, "tient": "oui"}
    response = client.post(f"/operateur/propositions/{lead_id}/suivi/{point_id}", data=feedback)
    assert response.status_code == 422
    assert "2 001 saisis" in error_of(response, f"personne-{point_id}")
    assert ">Bien</textarea>" in html_of(response)  # what was typed is kept
    assert _point_done(point_id) is None


def test_another_operator_cannot_record_the_follow_up_of_a_placement(app, auth, world):
    point_id = world.params["leads:point_id"]
    lead_id = world.params["placed_lead_id"]
    stranger = app.test_client()
    auth.login("operator", client=stranger)  # an operator of another organisation
    url = f"/operateur/propositions/{lead_id}"
    assert stranger.get(url).status_code == 404
    response = stranger.post(f"{url}/suivi/{point_id}", data={"tient": "oui"})
    assert response.status_code == 404
    assert stranger.get("/operateur/personnes/p1/semaine").status_code == 404
    assert _point_done(point_id) is None
    assert db.session.get(Lead, lead_id).status == "place"


def test_a_job_seeker_cannot_act_on_another_persons_personal_link(app, auth, world):
    other = by_ref(Candidate, "p4")
    token = world.params["cv_public:token"]  # p4's personal link
    client = battery.client_for(app, auth, world, "candidate")  # logged in as p2
    for path in ("", "/export.json", "/cv.pdf", "/modifier", "/supprimer"):
        assert client.get(f"/mon-cv/{token}{path}").status_code == 403, path
    for path in ("/pause", "/semaine", "/supprimer", "/nouveau-lien", "/modifier"):
        assert client.post(f"/mon-cv/{token}{path}", data={"confirm": "y"}).status_code == 403
    db.session.expire_all()
    person = db.session.get(Candidate, other.id)
    assert person is not None and person.status == "disponible" and not person.token_version
