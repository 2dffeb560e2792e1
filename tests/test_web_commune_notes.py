"""Every form that records a commune tells the person which one it recorded when it is
not plainly what they typed (a village, a short name, a typo, a postcode alone): the
note of ``territory.read_commune``, shown on the page after the form is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import CallbackRequest, Candidate, Company, Need
from tests import factories
from tests.cv_helpers import form_data, link_in, post_multipart, private_cv_folder
from tests.helpers import mails_to, page_text, read_stamp_at

RECORDED_LA_TESTE = "Commune enregistrée : La Teste-de-Buch (33260), pour « Cazaux »"


@pytest.fixture(autouse=True)
def cv_dir(app, tmp_path, monkeypatch):
    yield from private_cv_folder(app, tmp_path, monkeypatch)


def _after(client, response) -> str:
    assert response.status_code == 302, page_text(response)
    return page_text(client.get(response.headers["Location"]))


def test_cv_submission_and_update_name_the_commune_recorded_for_a_village(client):
    shown = _after(client, post_multipart(client, "/deposer-mon-cv", form_data(commune="Cazaux")))
    assert RECORDED_LA_TESTE in shown
    assert "« Cazaux (09120) »" in shown  # the Ariège one, to type if meant
    candidate = db.session.scalars(select(Candidate)).one()
    assert candidate.commune == "33529"

    path = link_in(mails_to(candidate.email)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    space = client.post(path).headers["Location"]
    data = form_data(commune="Cap Ferret")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    shown = _after(client, post_multipart(client, f"{space}/modifier", data))
    assert "Commune enregistrée : Lège-Cap-Ferret (33950), pour « Cap Ferret »" in shown
    db.session.expire_all()
    assert db.session.get(Candidate, candidate.id).commune == "33236"


def test_no_note_when_the_commune_is_what_was_typed(client):
    shown = _after(client, post_multipart(client, "/deposer-mon-cv", form_data(commune="Arcachon")))
    assert "Commune enregistrée" not in shown


def test_the_animateur_adding_a_cv_is_told_the_commune(client, auth):
    auth.login("animateur")
    data = {**form_data(commune="Belin"), "source": "forum", "consent": "1"}
    shown = _after(client, client.post("/animateur/cvtheque/nouveau", data=data))
    assert "Commune enregistrée : Belin-Béliet (33830), pour « Belin »" in shown


def test_the_public_need_form_names_both_communes_recorded(client):
    form = factories.public_need_form(commune="Pyla", company_commune="Cazaux 33260")
    shown = _after(client, client.post("/exprimer-un-besoin", data=form))
    assert "Commune enregistrée : La Teste-de-Buch (33260), pour « Pyla »" in shown
    assert "pour « Cazaux 33260 »" in shown
    need = db.session.scalars(select(Need)).one()
    assert need.commune == "33529"


def test_the_animateur_creating_a_company_or_a_need_is_told_the_commune(client, auth):
    auth.login("animateur")
    data = {"name": "Atelier Vélo", "siret": factories.make_siret(), "commune": "Taussat"}
    shown = _after(client, client.post("/animateur/entreprises/nouvelle", data=data))
    assert "Commune enregistrée : Lanton (33138), pour « Taussat »" in shown
    company = db.session.scalars(select(Company)).one()
    assert company.commune == "33229"

    need = {
        "entreprise": company.ref,
        "title": "Secrétariat le jeudi",
        "skills": "accueil téléphonique",
        "level": "employe_qualifie",
        "hours_per_week": "7",
        "days": ["thu"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": factories.public_need_form()["start"],
        "commune": "Gujan-Mestra 33470",
    }
    shown = _after(client, client.post("/animateur/besoins/nouveau", data=need))
    assert "Commune enregistrée : Gujan-Mestras (33470), pour « Gujan-Mestra 33470 »" in shown


def test_the_callback_form_names_the_commune_recorded(client, auth):
    auth.create("animateur", org_ref=factories.COBAN)
    data = {
        "name": "Marie Durand",
        "phone": "06 12 34 56 78",
        "best_time": "matin",
        "topic": "recrutement",
        "company_name": "",
        "commune": "Claouey",
    }
    shown = _after(client, client.post("/etre-rappele", data=data))
    assert "Commune enregistrée : Lège-Cap-Ferret (33950), pour « Claouey »" in shown
    assert db.session.scalars(select(CallbackRequest)).one().commune == "33236"


def test_the_qualification_names_the_commune_recorded(client, auth):
    factories.load(
        factories.document(
            companies=[factories.company(ref="c1", name="Boulangerie du Port")],
            needs=[factories.need(ref="n1", company="c1", skills=["comptabilité générale"])],
        )
    )
    auth.login("animateur")
    data = {
        "title": "Comptable un jour par semaine",
        "skills": "tenue de la comptabilité",
        "level": "technicien",
        "hours_per_week": "7",
        "days": ["tue"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": factories.public_need_form()["start"],
        "rome": "M1203",
        "shared_time": "oui",
        "commune": "Le Moulleau",
        "lu_le": read_stamp_at(client, "/animateur/besoins/n1/qualifier"),
    }
    shown = _after(client, client.post("/animateur/besoins/n1/qualifier", data=data))
    assert "Commune enregistrée : Arcachon (33120), pour « Le Moulleau »" in shown
    assert db.session.scalars(select(Need)).one().commune == "33009"


def test_one_commune_typed_in_both_fields_is_noted_once(client):
    form = factories.public_need_form(commune="Cazaux", company_commune="Cazaux")
    shown = _after(client, client.post("/exprimer-un-besoin", data=form))
    assert shown.count("Commune enregistrée : La Teste-de-Buch (33260), pour « Cazaux »") == 1
