"""Company directory rules: SIRET checksum and dedup, NAF codes, communes, similar
names, contacts and preferences; invalid input refused in French, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import AuditLog, Company, CompanyContact, User
from connectences.prospection import naf
from connectences.prospection.companies import (
    CompanyError,
    SimilarCompaniesFound,
    add_contact,
    clean_siret,
    find_company_by_siret,
    find_or_create_company,
    search_companies,
    set_preferences,
    similar_companies,
    update_contact,
)
from tests import factories
from tests.helpers import count, recorded_statements

# A real, valid SIRET (INSEE's own example) and La Poste's special case.
VALID = "73282932000074"
LA_POSTE = "35600000000048"


@pytest.fixture
def user():
    u = User(email="anim@exemple.fr", role="animateur", full_name="Léa Martin")
    db.session.add(u)
    db.session.commit()
    return u


def data(**overrides):
    return {"name": "Boulangerie du Port", "siret": VALID, "commune": "33009", **overrides}


def test_siret_checksum_spaces_and_la_poste():
    assert clean_siret("732 829 320 00074") == VALID
    assert clean_siret(LA_POSTE) == LA_POSTE
    with pytest.raises(CompanyError) as caught:
        clean_siret("73282932000075")
    assert "clé de contrôle" in caught.value.errors["siret"]
    with pytest.raises(CompanyError) as caught:
        clean_siret("1234")
    assert "14 chiffres" in caught.value.errors["siret"]
    with pytest.raises(CompanyError) as caught:
        clean_siret("7328293200007A")
    assert "que des chiffres" in caught.value.errors["siret"]


def test_create_derives_siren_and_labels_naf(user):
    company, created = find_or_create_company(
        db.session, data(siret="732 829 320 00074", naf="5610a"), actor=user
    )
    db.session.commit()
    assert created
    assert (company.siret, company.siren, company.naf) == (VALID, "732829320", "56.10A")
    assert naf.naf_label(company.naf) == "Restauration traditionnelle"
    assert company.ref == "ent-boulangerie-du-port"
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.entity_id == company.id)) == (
        "company.create"
    )


def test_a_new_name_gets_its_ref_from_the_unique_index_and_a_taken_one_a_number(user):
    from connectences.prospection.companies import new_company_ref

    with recorded_statements() as statements:
        assert new_company_ref(db.session, "Boulangerie du Port") == "ent-boulangerie-du-port"
    assert not any(" LIKE " in s for s in statements), statements  # no pass over every ref
    for ref in ("ent-boulangerie-du-port", "ent-boulangerie-du-port-2"):
        factories.load(factories.document(companies=[factories.company(ref=ref)]))
    assert new_company_ref(db.session, "Boulangerie du Port") == "ent-boulangerie-du-port-3"


def test_existing_siret_opens_the_existing_company(user):
    first, created = find_or_create_company(db.session, data(), actor=user)
    db.session.commit()
    # Another name, another commune, SIRET typed with spaces: the same company, unchanged.
    again, created_again = find_or_create_company(
        db.session,
        data(name="Autre nom", siret="732 829 320 00074", commune="33529"),
        actor=user,
    )
    assert (again.id, created_again, again.name, again.commune) == (
        first.id,
        False,
        "Boulangerie du Port",
        "33009",
    )
    assert count(Company) == 1
    assert find_company_by_siret(db.session, "73282932000074").id == first.id


def test_a_company_stored_meanwhile_by_another_request_is_the_one_opened(user, monkeypatch):
    """Two people posting for one new company at the same instant: both looked the SIRET
    up before either stored it; the second insert meets the unique index and opens the
    first one's company (it was a 500), nothing else lost."""
    from connectences.prospection import companies

    first, _ = find_or_create_company(db.session, data(), actor=user)
    db.session.commit()
    real = companies.find_company_by_siret
    calls = []

    def not_yet_stored(session, siret):  # the look-up made before the other commit
        calls.append(siret)
        return None if len(calls) == 1 else real(session, siret)

    monkeypatch.setattr(companies, "find_company_by_siret", not_yet_stored)
    again, created = find_or_create_company(db.session, data(name="Autre nom"), actor=user)
    db.session.commit()
    assert (again.id, created) == (first.id, False)
    assert count(Company) == 1
    # The session goes on: another company is still created.
    other, created = find_or_create_company(db.session, data(siret=LA_POSTE), actor=user)
    db.session.commit()
    assert created and count(Company) == 2


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"siret": "73282932000075"}, "siret", "clé de contrôle"),
        ({"siret": ""}, "siret", "Indiquez le SIRET"),
        ({"commune": "Atlantide"}, "commune", "Commune inconnue"),
        ({"commune": "99999"}, "commune", "Commune inconnue"),
        ({"commune": ""}, "commune", "Indiquez la commune"),
        ({"name": "  "}, "name", "Indiquez le nom"),
        ({"naf": "99.99Z"}, "naf", "Code NAF inconnu"),
        ({"employees": "-3"}, "employees", "effectif"),
        ({"contact_email": "pas-une-adresse"}, "contact_email", "Adresse e-mail invalide"),
        ({"max_contacts_per_month": "0"}, "max_contacts_per_month", "Ne plus solliciter"),
        ({"max_contacts_per_month": "deux"}, "max_contacts_per_month", "nombre entier"),
        ({"phone": "abc"}, "phone", "n'est pas un numéro de téléphone valide"),
        ({"website": "javascript:alert(1)"}, "website", "n'est pas l'adresse d'un site web"),
        ({"website": "exemple"}, "website", "n'est pas une adresse de site web"),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_written(user, overrides, field, words):
    with pytest.raises(CompanyError) as caught:
        find_or_create_company(db.session, data(**overrides), actor=user)
    assert words in caught.value.errors[field]
    db.session.commit()
    assert count(Company) == 0
    assert count(AuditLog) == 0


def test_a_new_company_keeps_its_own_phone_and_website(user):
    company, _ = find_or_create_company(
        db.session, data(phone="05.56.00.00.00", website="WWW.Boulangerie-Port.fr"), actor=user
    )
    db.session.commit()
    assert (company.phone, company.website) == ("0556000000", "https://www.boulangerie-port.fr")


def test_every_error_at_once(user):
    with pytest.raises(CompanyError) as caught:
        find_or_create_company(db.session, {"name": "", "siret": "1", "commune": "x"}, actor=user)
    assert set(caught.value.errors) == {"name", "siret", "commune"}


def test_similar_name_is_pointed_out_before_creation(user):
    factories.load(
        factories.document(companies=[factories.company(name="Boulangerie La Mie Dorée")])
    )
    with pytest.raises(SimilarCompaniesFound) as caught:
        find_or_create_company(
            db.session, data(name="Boulangerie la mie doree"), actor=user, similar_ok=False
        )
    assert [s.company.name for s in caught.value.similar] == ["Boulangerie La Mie Dorée"]
    assert count(Company) == 1
    # Confirmed: created under its own SIRET.
    _company, created = find_or_create_company(
        db.session, data(name="Boulangerie la mie doree"), actor=user, similar_ok=True
    )
    assert created and count(Company) == 2
    assert similar_companies(db.session, "Garage du Centre") == []


def test_search_by_name_words_without_accents_or_by_siret():
    a = factories.company(name="Boulangerie La Mie Dorée")
    b = factories.company(name="Crêperie La Bigoudène")
    factories.load(factories.document(companies=[a, b]))
    assert [c.name for c in search_companies(db.session, "mie doree")] == [a["name"]]
    assert [c.name for c in search_companies(db.session, "crep")] == [b["name"]]
    assert [c.name for c in search_companies(db.session, b["siret"][:9])] == [b["name"]]
    spaced = " ".join([b["siret"][:3], b["siret"][3:6], b["siret"][6:]])
    assert [c.name for c in search_companies(db.session, spaced)] == [b["name"]]
    # A typo still finds it.
    assert [c.name for c in search_companies(db.session, "bigoudenne")] == [b["name"]]


def test_contacts_and_preferences(user):
    company, _ = find_or_create_company(db.session, data(), actor=user)
    contact = add_contact(
        db.session,
        company,
        {"name": "Sylvie Lafitte", "role": "Gérante", "phone": "05 56 00 00 00", "email": ""},
        actor=user,
    )
    db.session.commit()
    assert (contact.name, contact.role, contact.email) == ("Sylvie Lafitte", "Gérante", None)
    assert contact.phone == "0556000000"
    # Six digits used to pass as a phone number; the shared rule wants a whole number.
    for bad in ("abc", "123456"):
        with pytest.raises(CompanyError) as caught:
            update_contact(db.session, contact, {"name": "", "phone": bad}, actor=user)
        assert set(caught.value.errors) == {"name", "phone"}
        assert (
            caught.value.errors["phone"]
            == f"« {bad} » n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78)."
        )
    db.session.rollback()
    update_contact(
        db.session, contact, {"name": "Sylvie Lafitte", "email": "s@exemple.fr"}, actor=user
    )
    set_preferences(
        db.session,
        company,
        do_not_solicit=True,
        newsletter_consent=True,
        max_contacts_per_month="2",
        actor=user,
    )
    db.session.commit()
    stored = db.session.get(Company, company.id)
    assert (stored.do_not_solicit, stored.newsletter_consent, stored.max_contacts_per_month) == (
        True,
        True,
        2,
    )
    assert db.session.get(CompanyContact, contact.id).email == "s@exemple.fr"
    with pytest.raises(CompanyError):
        set_preferences(
            db.session,
            company,
            do_not_solicit=False,
            newsletter_consent=False,
            max_contacts_per_month="40",
            actor=user,
        )


def test_naf_lookup():
    assert naf.normalize_naf("56 10 a") == "56.10A"
    assert naf.is_naf("47.23Z") and not naf.is_naf("47.23Y")
    assert ("56.10A", "Restauration traditionnelle") in naf.search_naf("5610")
    assert any(code == "10.71C" for code, _ in naf.search_naf("boulangerie"))
    assert len(naf.all_naf()) == 732
