"""A shared computer (a France Services kiosk): what a public form keeps of the sending
it has just made (the need, its address; the CV's skills) lasts a few minutes, and is
forgotten as soon as the browser opens another page. The next person finds nothing."""

from __future__ import annotations

import io
import time

import pytest
import time_machine
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from connectences.extensions import db
from connectences.models import Candidate, Need
from connectences.web import just_sent
from tests import factories as f
from tests.cv_helpers import form_data, link_in, make_pdf, post_multipart, private_cv_folder
from tests.helpers import mails_to, page_text

ALICE = "alice.owner@exemple.fr"
CONFIRM_LINK = r"http://localhost(/exprimer-un-besoin/confirmer/\S+)"


@pytest.fixture(autouse=True)
def cv_dir(app, tmp_path, monkeypatch):
    yield from private_cv_folder(app, tmp_path, monkeypatch)


def _alice_sends_a_need(client):
    response = client.post(
        "/exprimer-un-besoin", data=f.public_need_form(owner_email=ALICE, owner_phone="0611223344")
    )
    assert response.status_code == 302 and response.location.endswith("/exprimer-un-besoin/envoye")
    assert ALICE in page_text(client.get(response.location))


def _nothing_sent_page(client) -> str:
    page = client.get("/exprimer-un-besoin/envoye")
    assert page.status_code == 200
    text = page_text(page)
    assert ALICE not in text and "Nous venons d'envoyer" not in text
    assert 'name="owner_email"' not in page.get_data(as_text=True)
    return text


@pytest.mark.parametrize(
    "elsewhere", ["/", "/exprimer-un-besoin", "/deposer-mon-cv", "/page-inconnue"]
)
def test_the_next_person_finds_nothing_once_the_browser_went_elsewhere(client, elsewhere):
    _alice_sends_a_need(client)
    client.get(elsewhere)
    assert "Aucun besoin n'a été envoyé" in _nothing_sent_page(client)
    # Nor can they move Alice's need to their own address.
    client.post("/exprimer-un-besoin/envoye", data={"owner_email": "next@exemple.fr"})
    assert db.session.scalars(select(Need)).one().owner_email == ALICE
    assert mails_to("next@exemple.fr") == []


def test_the_page_of_the_sending_lasts_minutes_not_hours(client):
    _alice_sends_a_need(client)
    # The page's own assets do not count as going elsewhere.
    client.get("/static/css/app.css").close()
    assert ALICE in page_text(client.get("/exprimer-un-besoin/envoye"))
    later = time.time() + just_sent.WINDOW.total_seconds() + 60
    with time_machine.travel(later, tick=False):
        _nothing_sent_page(client)
        client.post("/exprimer-un-besoin/envoye", data={"owner_email": "next@exemple.fr"})
    assert db.session.scalars(select(Need)).one().owner_email == ALICE


def test_the_page_says_nothing_was_sent_when_nothing_was(client):
    text = _nothing_sent_page(client)
    assert "Aucun besoin n'a été envoyé" in text and "Exprimer un besoin" in text


def test_a_corrected_address_is_not_shown_the_phone_before_confirming(client):
    _alice_sends_a_need(client)
    moved = client.post("/exprimer-un-besoin/envoye", data={"owner_email": "typo.fixed@exemple.fr"})
    assert moved.status_code == 302
    path = link_in(mails_to("typo.fixed@exemple.fr")[-1], CONFIRM_LINK)
    page = page_text(client.get(path))
    assert "06 11 22 33 44" not in page and "0611223344" not in page
    assert "se terminant par 44" in page
    assert "0611223344" not in mails_to("typo.fixed@exemple.fr")[-1].body_text


def _cv_with_skills_to_tick(client):
    data = dict(form_data(email="alice.cv@exemple.fr"))
    data["cv"] = FileStorage(
        io.BytesIO(make_pdf("Expérience : comptabilité, gestion de la paie")),
        "cv.pdf",
        content_type="application/pdf",
    )
    response = post_multipart(client, "/deposer-mon-cv", data)
    assert response.location.endswith("/deposer-mon-cv/competences")
    assert 'value="paie"' in client.get("/deposer-mon-cv/competences").get_data(as_text=True)


def _nothing_to_tick(client):
    response = client.get("/deposer-mon-cv/competences")
    assert response.status_code == 302 and response.location.endswith("/deposer-mon-cv/merci")
    client.post("/deposer-mon-cv/competences", data={"found": ["paie"]})
    db.session.expire_all()
    assert "paie" not in db.session.scalars(select(Candidate)).one().skill_labels
    thanks = client.get("/deposer-mon-cv/merci")
    assert "alice.cv@exemple.fr" not in page_text(thanks)
    assert 'name="email"' not in thanks.get_data(as_text=True)


def test_the_cv_s_skills_step_is_forgotten_once_the_browser_went_elsewhere(client):
    _cv_with_skills_to_tick(client)
    client.get("/")
    _nothing_to_tick(client)


def test_the_cv_s_skills_step_lasts_minutes_not_hours(client):
    _cv_with_skills_to_tick(client)
    with time_machine.travel(time.time() + just_sent.WINDOW.total_seconds() + 60, tick=False):
        _nothing_to_tick(client)


def test_the_window_is_minutes_not_hours():
    assert just_sent.WINDOW.total_seconds() <= 15 * 60
