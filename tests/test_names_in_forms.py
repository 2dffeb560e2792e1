"""Every form that takes a name refuses a link or an address in it, through the one rule
(``contacts.clean_name``), with its French message next to the field and nothing written
nor mailed; real names pass everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from connectences.clock import LOCAL_TZ
from connectences.contacts import LINK_IN_NAME, SIGNS_IN_NAME
from connectences.content import callbacks
from connectences.cvtheque import profile
from connectences.events import catalogue
from connectences.extensions import db
from connectences.models import CallbackRequest, Candidate, EventRegistration, Need, OutboxMessage
from connectences.prospection import companies
from tests import factories as f
from tests.cv_helpers import form_data, link_in, post_multipart
from tests.helpers import count, error_of, mails_to, page_text, read_stamp_at

LURE = "client, payez 1,99 € sur https://colis-relais.example/p"


def test_the_cv_form_sends_no_lure_to_the_address_typed(client):
    response = post_multipart(
        client, "/deposer-mon-cv", dict(form_data(first_name=LURE, email="victim@exemple.fr"))
    )
    assert response.status_code == 400
    assert LINK_IN_NAME in page_text(response)
    assert count(Candidate) == 0 and mails_to("victim@exemple.fr") == []
    response = post_multipart(
        client, "/deposer-mon-cv", dict(form_data(last_name="Martin 06 12 34 56 78"))
    )
    assert response.status_code == 400 and SIGNS_IN_NAME in page_text(response)
    assert count(Candidate) == 0


@pytest.mark.parametrize(
    "first,last",
    [("Jean-Édouard", "N'Diaye"), ("Anne-Marie", "de La Tour d'Auvergne"), ("李", "O'Brien")],
)
def test_the_cv_form_takes_real_names(client, first, last):
    response = post_multipart(
        client, "/deposer-mon-cv", dict(form_data(first_name=first, last_name=last))
    )
    assert response.status_code == 302
    candidate = db.session.scalars(select(Candidate)).one()
    assert (candidate.first_name, candidate.last_name) == (first, last)
    assert f"Bonjour {first}" in mails_to(candidate.email)[-1].body_text


def test_the_candidate_s_space_refuses_a_link_in_a_name(client):
    assert post_multipart(client, "/deposer-mon-cv", dict(form_data())).status_code == 302
    [mail] = mails_to("camille.martin@exemple.fr")
    path = link_in(mail, r"http://localhost(/mon-cv/confirmer/\S+)")
    space = client.post(path).location
    data = dict(form_data(first_name="Camille www.colis-relais.fr"))
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    response = post_multipart(client, f"{space}/modifier", data)
    assert response.status_code == 400 and LINK_IN_NAME in page_text(response)
    db.session.expire_all()
    assert db.session.scalars(select(Candidate)).one().first_name == "Camille"


def test_a_profile_entered_by_staff_or_imported_refuses_a_link_in_a_name():
    # The animateurs' entry and the spreadsheet import read a profile through clean_profile.
    with pytest.raises(profile.ProfileError) as refused:
        profile.clean_profile({"first_name": "www.colis.fr", "last_name": "Martin"}, partial=True)
    assert refused.value.errors == {"first_name": LINK_IN_NAME}
    with pytest.raises(profile.ProfileError) as refused:
        profile.clean_profile({"first_name": "É" * 61}, partial=True)
    assert "60 caractères" in refused.value.errors["first_name"]


@pytest.mark.parametrize(
    "field,typed,message",
    [
        ("company_name", "Faux Nom SARL https://colis-relais.example/p", LINK_IN_NAME),
        ("company_name", "colis-relais.example/p", LINK_IN_NAME),
        ("company_name", "A" * 121, "120 caractères"),
        ("owner_name", "pirate@exemple.fr", LINK_IN_NAME),
        ("owner_name", LURE, LINK_IN_NAME),
        ("owner_name", "Claire 2", SIGNS_IN_NAME),
    ],
)
def test_the_need_form_refuses_a_link_in_the_company_or_owner_name(client, field, typed, message):
    response = client.post("/exprimer-un-besoin", data=f.public_need_form(**{field: typed}))
    assert response.status_code == 422
    assert message in error_of(response, field)
    assert count(Need) == 0 and count(OutboxMessage) == 0


def test_the_need_form_takes_real_names(client):
    data = f.public_need_form(
        company_name="SARL L'Atelier d'Anne-Marie & Fils (Arès)",
        owner_name="Anne-Marie de La Tour d'Auvergne",
    )
    assert client.post("/exprimer-un-besoin", data=data).status_code == 302


@pytest.mark.parametrize("typed", ["<b>Claire</b> Dupont", "Claire Dupont 😀", "Claire & Co"])
def test_the_need_and_call_back_forms_judge_a_name_by_one_rule(client, typed):
    # « Votre nom » on both public forms for companies: HTML, an emoji, a sign are
    # refused alike (``contacts.read_name``), nothing written nor mailed.
    need = client.post("/exprimer-un-besoin", data=f.public_need_form(owner_name=typed))
    callback = client.post(
        "/etre-rappele",
        data={
            "name": typed,
            "phone": "06 12 34 56 78",
            "best_time": "matin",
            "topic": "recrutement",
        },
    )
    assert need.status_code == callback.status_code == 422
    assert error_of(need, "owner_name") == error_of(callback, "name") != ""
    assert count(Need) == count(CallbackRequest) == count(OutboxMessage) == 0


def _event():
    day = (datetime.now(LOCAL_TZ) + timedelta(days=10)).date()
    data = {
        "kind": "petit_dejeuner",
        "title": "Petit déjeuner des entreprises",
        "description": "Les aides à l'embauche.",
        "audience": "entreprises",
        "day": day.isoformat(),
        "start": "08:30",
        "end": "10:00",
        "place": "Salle des fêtes, Gujan-Mestras",
        "capacity": "2",
        "partners": [],
    }
    event = catalogue.create_event(db.session, data, by=None)
    db.session.commit()
    return event


def test_an_event_registration_mails_no_lure(client):
    event = _event()
    for data in (
        {"name": LURE, "email": "victim@exemple.fr"},
        {"name": "Ana", "organisation": "voir www.colis.fr", "email": "victim@exemple.fr"},
    ):
        response = client.post(f"/evenements/{event.id}/inscription", data=data)
        assert response.status_code == 422 and LINK_IN_NAME in page_text(response)
    assert db.session.scalars(select(EventRegistration)).all() == []
    assert mails_to("victim@exemple.fr") == []
    response = client.post(
        f"/evenements/{event.id}/inscription",
        data={"name": "Ségolène N'Diaye", "email": "s@exemple.fr"},
    )
    assert response.status_code == 200


def test_a_call_back_request_refuses_a_link_in_a_name():
    form = {
        "name": "Marie Durand",
        "phone": "06 12 34 56 78",
        "best_time": "matin",
        "topic": "recrutement",
    }
    for field in ("name", "company_name"):
        with pytest.raises(callbacks.CallbackError) as refused:
            callbacks.check({**form, field: "https://colis-relais.example/p"})
        assert refused.value.errors == {field: LINK_IN_NAME}
    assert callbacks.check(form)["name"] == "Marie Durand"


def test_the_directory_and_its_contacts_refuse_a_link_in_a_name():
    with pytest.raises(companies.CompanyError) as refused:
        companies.validate_company(
            {"name": "Garage bit.ly/promo", "siret": f.make_siret(), "commune": "Arès"}
        )
    assert refused.value.errors == {"name": LINK_IN_NAME}
    with pytest.raises(companies.CompanyError) as refused:
        companies.validate_contact({"name": "écrire à pirate@exemple.fr"})
    assert refused.value.errors == {"name": LINK_IN_NAME}
    assert (
        companies.validate_contact({"name": "Jean-Édouard O'Brien"})["name"]
        == "Jean-Édouard O'Brien"
    )
    assert companies.validate_company(
        {"name": "Garage 2000", "siret": f.make_siret(), "commune": "Arès"}
    )
