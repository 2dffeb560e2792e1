"""A job seeker's rights exercised through the team (RGPD art. 12: a request made by any
means): the copy of their data and their erasure from their record in the CV library,
for a person who calls or comes to a permanence. docs/rgpd.md § 2."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest
import time_machine
from sqlalchemy import func, select

from connectences.clock import local_today
from connectences.cvtheque.consent import space_token
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import AuditLog, Candidate, OutboxMessage, User
from tests import factories as f
from tests.helpers import audit_entries, by_ref, error_of, html_of, page_text, stamp_in

BASE = "/animateur/cvtheque"
PAGE = f"{BASE}/ines"
EXPORT = f"{PAGE}/donnees.json"
ERASE = f"{PAGE}/effacer"


@pytest.fixture
def people():
    f.load(
        f.document(
            candidates=[
                f.candidate(ref="ines", first_name="Inès", last_name="Marchal",
                            email="ines@exemple.fr", phone="0671294853"),
                f.candidate(ref="paul", first_name="Paul", last_name="Bernin",
                            email="paul@exemple.fr"),
            ]
        )
    )  # fmt: skip
    return by_ref(Candidate, "ines")


def _people() -> int:
    return db.session.scalar(select(func.count(Candidate.id)))


def _erase(client, **data):
    stamp = stamp_in(client.get(PAGE), ERASE)
    return client.post(ERASE, data={"lu_le": stamp, **data})


def test_the_record_offers_the_copy_and_the_erasure(client, auth, people):
    auth.login("animateur")
    page = client.get(PAGE)
    text = page_text(page)
    assert "Droits de la personne" in text and "Télécharger ses données (JSON)" in text
    assert "Lui envoyer la confirmation de l'effacement à ines@exemple.fr" in text
    assert f'action="{ERASE}#erreurs-droits"' in html_of(page)


def test_the_team_downloads_the_persons_copy_recorded_without_their_data(client, auth, people):
    animateur = auth.login("animateur")
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    # The very document of the person's own space.
    assert document["format"] == "connectences/cvtheque-export-v1"
    assert document["profile"]["email"] == "ines@exemple.fr"
    (entry,) = audit_entries("candidate.exported")
    assert entry.actor_id == animateur.id and entry.entity_id == people.id
    assert entry.details == {"format": "json"}
    # The person's next copy says who took it: the team, by its role.
    again = json.loads(client.get(EXPORT).get_data(as_text=True))
    assert [a["by"] for a in again["audit"] if a["action"] == "candidate.exported"] == ["Animateur"]


def test_the_copy_is_named_by_the_persons_reference_and_day_never_their_address(
    client, auth, people
):
    """The animateur hands the file to the person: its name says whose copy it is (the
    record's reference, as in its address) and of which day, in ASCII whatever the
    reference holds (a sender's ref may hold accents, quotes, or be an address)."""
    f.load(
        f.document(
            candidates=[
                f.candidate(ref='Inès "B" 2', email="ib@exemple.fr"),
                f.candidate(ref="ines.b@exemple.fr", email="ib2@exemple.fr"),
            ]
        )
    )
    auth.login("animateur")
    day = local_today().isoformat()
    named = client.get(EXPORT).headers["Content-Disposition"]
    assert named == f'attachment; filename="donnees-cvtheque-ines-{day}.json"'
    odd = by_ref(Candidate, 'Inès "B" 2')
    named = client.get(f"{BASE}/{quote(odd.ref)}/donnees.json").headers["Content-Disposition"]
    assert named == f'attachment; filename="donnees-cvtheque-ines-b-2-{day}.json"'
    mailed = by_ref(Candidate, "ines.b@exemple.fr")
    response = client.get(f"{BASE}/{mailed.ref}/donnees.json")
    assert response.status_code == 200
    named = response.headers["Content-Disposition"]
    assert "exemple" not in named and "@" not in named
    assert named == f'attachment; filename="donnees-cvtheque-{mailed.id}-{day}.json"'


def test_the_team_erases_the_person_on_request_recorded_with_the_request(client, auth, people):
    animateur = auth.login("animateur")
    link = f"/mon-cv/{space_token(people)}"
    person_id = people.id
    done = _erase(client, motif="appel du 3 mars", confirmer="1")
    assert done.status_code == 302
    assert done.headers["Location"] == f"{BASE}#contenu"
    page = client.get(done.headers["Location"])
    assert "La personne a été effacée de la CVthèque" in page_text(page)
    assert "Aucune confirmation ne lui est envoyée" in page_text(page)
    assert db.session.get(Candidate, person_id) is None and _people() == 1
    (entry,) = audit_entries("candidate.deleted")
    assert entry.actor_id == animateur.id
    assert entry.details == {"reason": "demande de la personne", "request": "appel du 3 mars"}
    # No receipt asked: none goes to the address she may no longer read.
    kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert MailKind.CV_ERASED not in kinds
    # Her old link says she asked for it, not that the keeping period ended.
    client.get("/deconnexion")
    assert "supprimé à votre demande" in page_text(client.get(link))


def test_the_receipt_goes_to_the_profiles_address_only_when_asked(client, auth, people):
    auth.login("animateur")
    done = _erase(client, motif="permanence du 12 mars", confirmer="1", recu="1")
    assert done.status_code == 302
    assert "La confirmation de l'effacement part à ines@exemple.fr" in page_text(
        client.get(done.headers["Location"])
    )
    (receipt,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MailKind.CV_ERASED)
    ).all()
    assert receipt.to == "ines@exemple.fr" and receipt.candidate_id is None


def test_bad_input_is_refused_in_french_and_erases_nothing(app, client, auth, people):
    auth.login("animateur")
    refused = _erase(client, motif="", confirmer="1")
    assert refused.status_code == 422
    assert "Indiquez la demande reçue" in error_of(refused, "droits-motif")
    refused = _erase(client, motif="appel du 3 mars")
    assert refused.status_code == 422
    assert "Cochez la case pour confirmer l'effacement" in error_of(refused, "droits-confirmer")
    assert 'value="appel du 3 mars"' in html_of(refused)  # what was typed stays
    long = "appel du 3 mars, " + "x" * 250
    refused = _erase(client, motif=long, confirmer="1")
    assert refused.status_code == 422
    assert "ne doit pas dépasser 200 caractères (267 saisis)" in error_of(refused, "droits-motif")
    # A receipt to an address nobody ever confirmed: refused, and not offered.
    people.email_confirmed_at = None
    db.session.commit()
    assert "Lui envoyer la confirmation" not in page_text(client.get(PAGE))
    refused = _erase(client, motif="appel du 3 mars", confirmer="1", recu="1")
    assert refused.status_code == 422
    assert "n'a jamais été confirmée" in page_text(refused)
    # Without the page's stamp, or from a page read before the record changed (another
    # address put in meanwhile): nothing erased, and said.
    bare = client.post(ERASE, data={"motif": "appel du 3 mars", "confirmer": "1"})
    assert bare.status_code == 422
    stamp = stamp_in(client.get(PAGE), ERASE)
    people.email = "autre@exemple.fr"
    db.session.commit()
    stale = client.post(ERASE, data={"motif": "appel", "confirmer": "1", "lu_le": stamp})
    assert stale.status_code == 422
    assert "rien n'a été effacé" in page_text(stale)
    assert _people() == 2
    assert audit_entries("candidate.deleted") == []
    # Another person's ref, or none: not found.
    assert client.post(f"{BASE}/personne/effacer", data={"confirmer": "1"}).status_code == 404
    assert client.get(f"{BASE}/personne/donnees.json").status_code == 404
    assert _people() == 2


def test_the_password_is_asked_again_after_fifteen_minutes(client, auth, people):
    auth.login("animateur")
    stamp = stamp_in(client.get(PAGE), ERASE)
    with time_machine.travel(time.time() + 16 * 60, tick=False):
        for response in (
            client.get(EXPORT),
            client.post(ERASE, data={"motif": "appel", "confirmer": "1", "lu_le": stamp}),
        ):
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/confirmer-mot-de-passe")
    assert _people() == 2 and audit_entries("candidate.exported") == []


@pytest.mark.parametrize("role", ["operator", "partner", "company", "territoire", "candidate"])
def test_another_role_is_refused_and_nothing_is_given_or_erased(app, auth, people, role):
    stranger = app.test_client()
    if role == "candidate":
        # Another person of the library, logged in to their own account.
        account = auth.create("candidate", email="paul@exemple.fr")
        account.candidate_id = by_ref(Candidate, "paul").id
        db.session.commit()
        assert auth.post_login(account.email, client=stranger).status_code == 302
    else:
        auth.login(role, client=stranger)
    before = _people()
    response = stranger.get(EXPORT)
    assert response.status_code == 403 and "ines@exemple.fr" not in response.get_data(as_text=True)
    erased = stranger.post(ERASE, data={"motif": "appel", "confirmer": "1"})
    assert erased.status_code == 403
    assert _people() == before and db.session.get(Candidate, people.id) is not None
    assert audit_entries("candidate.exported") == []
    refusals = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "cvtheque_access_refused")
    ).all()
    assert len(refusals) == 2
    assert db.session.scalar(select(func.count(User.id)).where(User.role == role)) == 1
