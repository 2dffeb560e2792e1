"""An operator can act on an accepted lead: the company's contact (person, role, phone,
e-mail, work place) and the animateur's note appear on the lead page and in the
confirmation mail only once the lead is accepted, never for another operator or role;
a need whose company cannot be reached is not proposed; the person met during a visit
becomes a company contact."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date

import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.demo import build_demo_document, demo_accounts, seed_demo
from connectences.extensions import db
from connectences.models import (
    Candidate,
    Company,
    CompanyContact,
    Lead,
    Need,
    Operator,
    OutboxMessage,
    Partner,
    Referral,
    Transition,
)
from connectences.prospection.companies import add_contact, reachable_contacts
from connectences.workflows import TransitionError
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead, send_referral
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import by_ref, count, main_of, page_text

NOTE = "L'entreprise attend un appel le matin, avant 10 h."
PHONE = "0556123456"
SHOWN_PHONE = "05 56 12 34 56"
CONTACT_EMAIL = "sylvie@boulangerie-dupin.fr"
STREET = "3 rue du Port"
# What no one may read before the lead is accepted, nor from another organisation.
PRIVATE = ("Sylvie Lafitte", PHONE, SHOWN_PHONE, CONTACT_EMAIL, STREET, "tel:")


def _stored_contact(company_ref: str, **fields) -> CompanyContact:
    company = by_ref(Company, company_ref)
    contact = add_contact(db.session, company, fields, actor=None)
    db.session.commit()
    return contact


@pytest.fixture
def world(auth):
    """Two operators with one lead each. Boulangerie Dupin (lead "a", to ge-a) has no
    e-mail of its own but a contact person and a street address."""
    f.load(
        f.document(
            operators=[
                f.operator(ref="ge-a", email="ge-a@exemple.fr"),
                f.operator(ref="ge-b", email="ge-b@exemple.fr"),
            ],
            companies=[
                f.company(ref="c1", name="Boulangerie Dupin", contact_email=None),
                f.company(ref="c2", name="Garage Lafon"),
            ],
            candidates=[f.candidate(ref="ok", days=["tue"])],
            needs=[
                f.need(ref="n1", company="c1", title="Comptable", days=["tue"]),
                f.need(ref="n2", company="c2", title="Secrétaire", days=["tue"]),
            ],
        )
    )
    by_ref(Company, "c1").address = STREET
    _stored_contact(
        "c1", name="Sylvie Lafitte", role="Gérante", phone="05 56 12 34 56", email=CONTACT_EMAIL
    )
    animateur = auth.create("animateur")
    leads = {}
    for key, need, operator in (("a", "n1", "ge-a"), ("b", "n2", "ge-b")):
        workflows.transition(db.session, by_ref(Need, need), workflows.NEED, "qualifie")
        leads[key] = send_lead(
            db.session,
            needs=[by_ref(Need, need)],
            operator=by_ref(Operator, operator),
            candidates=[by_ref(Candidate, "ok")],
            actor=animateur,
            note=NOTE,
        ).id
    db.session.commit()
    return leads


def _post(client, url, data):
    page = client.get(url.rsplit("/", 1)[0])
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token} if token else data)


def _accepted_mails():
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.contains("Proposition acceptée"))
    ).all()


# --- the lead page and the mail --------------------------------------------------------


def test_before_acceptance_only_the_company_name_and_commune(client, auth, world):
    auth.login("operator", org_ref="ge-a")
    response = client.get(f"/operateur/propositions/{world['a']}")
    html, text = main_of(response), page_text(response)
    assert response.status_code == 200
    assert "Comptable — Boulangerie Dupin" in text and "Arcachon (33120)" in text
    assert "apparaissent une fois la proposition acceptée" in text
    for private in PRIVATE:
        assert private not in html
    # Nor in the mail that announced the lead.
    announce = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == "ge-a@exemple.fr")
    ).one()
    for private in PRIVATE:
        assert private not in announce.body_text and private not in announce.body_html
    assert _accepted_mails() == []


def test_after_acceptance_the_page_and_the_mail_give_the_contact(client, auth, world):
    member = auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    response = _post(client, url + "/action", {"action": "accepter"})
    assert response.status_code == 302

    page = client.get(url)
    html, text = page.get_data(as_text=True), page_text(page)
    assert db.session.get(Lead, world["a"]).status == "accepte"
    assert "Joindre Boulangerie Dupin" in text
    assert f'<a href="tel:{PHONE}">{SHOWN_PHONE}</a>' in html
    assert f'<a href="mailto:{CONTACT_EMAIL}">{CONTACT_EMAIL}</a>' in html
    assert "Sylvie Lafitte (Gérante)" in text
    assert f"Lieu de travail {STREET}, Arcachon (33120)" in text
    assert NOTE in text

    (mail,) = _accepted_mails()
    body = mail.body_text.replace("\u00a0", " ")
    assert mail.to == member.email  # the member who will make the call
    assert "Boulangerie Dupin" in mail.subject
    assert f"Contact : Sylvie Lafitte (Gérante), tél. {SHOWN_PHONE}, {CONTACT_EMAIL}" in body
    assert f"Lieu de travail : {STREET}, Arcachon (33120)" in body
    assert f"Note de l'animateur : {NOTE}" in body
    assert f"/operateur/propositions/{world['a']}" in body
    assert f'href="tel:{PHONE}"' in mail.body_html
    assert f'href="mailto:{CONTACT_EMAIL}"' in mail.body_html


def test_a_company_known_by_its_address_only_shows_it(client, auth, world):
    auth.login("operator", org_ref="ge-b")
    url = f"/operateur/propositions/{world['b']}"
    _post(client, url + "/action", {"action": "accepter"})
    page = client.get(url)
    html = page.get_data(as_text=True)
    email = by_ref(Company, "c2").contact_email
    assert f'<a href="mailto:{email}">{email}</a>' in html
    assert "E-mail de l'entreprise" in page_text(page)
    assert "Lieu de travail Arcachon (33120)" in page_text(page)  # no street known
    assert "Sylvie Lafitte" not in html  # the other company's contact


def test_the_work_place_is_the_needs_commune_when_the_work_is_elsewhere(world):
    need = by_ref(Need, "n1")
    assert flow.work_place(need) == f"{STREET}, Arcachon (33120)"
    need.commune = f.LA_TESTE
    assert flow.work_place(need) == "La Teste-de-Buch (33260)"


@pytest.mark.parametrize("state", ["envoye", "vu", "refuse", "rendu", "sans_suite"])
def test_the_domain_gives_no_contact_before_the_lead_is_taken_on(world, state):
    lead = db.session.get(Lead, world["a"])
    lead.status = state
    assert flow.company_reach(lead) == []


def test_another_operator_gets_nothing_even_once_accepted(client, app, auth, world):
    # ge-a accepts its lead; a member of ge-b tries to read it or to accept it.
    owner = app.test_client()
    auth.login("operator", org_ref="ge-a", client=owner)
    _post(owner, f"/operateur/propositions/{world['a']}/action", {"action": "accepter"})
    assert len(_accepted_mails()) == 1

    intruder = auth.login("operator", org_ref="ge-b")
    for response in (
        client.get(f"/operateur/propositions/{world['a']}"),
        client.post(f"/operateur/propositions/{world['a']}/action", data={"action": "accepter"}),
    ):
        assert response.status_code == 404
        for private in PRIVATE:
            assert private not in main_of(response)
    assert all(m.to != intruder.email for m in _accepted_mails())


def test_another_operator_cannot_accept_a_lead_that_is_not_theirs(client, auth, world):
    auth.login("operator", org_ref="ge-b")
    response = client.post(
        f"/operateur/propositions/{world['a']}/action", data={"action": "accepter"}
    )
    assert response.status_code == 404
    assert db.session.get(Lead, world["a"]).status == "envoye"
    assert _accepted_mails() == []


@pytest.mark.parametrize("role", ["partner", "company", "candidate", "animateur", "territoire"])
def test_other_roles_get_no_contact_data(client, app, auth, world, role):
    owner = app.test_client()
    auth.login("operator", org_ref="ge-a", client=owner)
    _post(owner, f"/operateur/propositions/{world['a']}/action", {"action": "accepter"})
    auth.login(role)
    response = client.get(f"/operateur/propositions/{world['a']}")
    assert response.status_code == 403
    for private in PRIVATE:
        assert private not in main_of(response)


def test_the_partners_referral_shows_the_contact_with_the_same_macro(client, auth, world):
    f.load(f.document(partners=[f.partner(ref="ft")]))
    referral = send_referral(db.session, need=by_ref(Need, "n1"), partner=by_ref(Partner, "ft"))
    db.session.commit()
    auth.login("partner", org_ref="ft")
    client.get(f"/partenaire/reorientations/{referral.id}")
    # Once taken in charge, as an operator's lead once accepted.
    flow.take_charge(db.session, db.session.get(Referral, referral.id))
    db.session.commit()
    page = client.get(f"/partenaire/reorientations/{referral.id}")
    html = page.get_data(as_text=True)
    assert f'<a href="tel:{PHONE}">{SHOWN_PHONE}</a>' in html
    assert "Sylvie Lafitte (Gérante)" in page_text(page)


# --- no lead to a company that cannot be reached ---------------------------------------


@pytest.fixture
def unreachable(auth):
    """A qualified need of a company with neither e-mail nor contact; an operator."""
    f.load(
        f.document(
            operators=[f.operator(ref="ge")],
            companies=[f.company(ref="muet", name="Huîtres Muettes", contact_email=None)],
            candidates=[f.candidate(ref="ok", days=["tue"])],
            needs=[f.need(ref="n", company="muet", days=["tue"])],
        )
    )
    workflows.transition(db.session, by_ref(Need, "n"), workflows.NEED, "qualifie")
    db.session.commit()
    return by_ref(Need, "n")


def _send(need):
    return send_lead(
        db.session,
        needs=[need],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
    )


def _written() -> tuple[int, int, int]:
    return count(Lead), count(Transition), count(OutboxMessage)


def test_dispatch_refuses_a_company_without_a_way_to_reach_it(unreachable):
    before = _written()
    with pytest.raises(TransitionError) as refusal:
        _send(unreachable)
    assert refusal.value.message == (
        "L'opérateur n'aurait aucun moyen de joindre Huîtres Muettes : ajoutez sur sa fiche "
        "un contact avec un téléphone ou une adresse e-mail, ou l'adresse e-mail de "
        "l'entreprise."
    )
    db.session.rollback()
    assert _written() == before
    assert by_ref(Need, "n").status == "qualifie"


def test_a_contact_with_only_a_name_is_not_a_way_to_reach_it(unreachable):
    _stored_contact("muet", name="M. Arnaud")
    with pytest.raises(TransitionError, match="aucun moyen de joindre"):
        _send(by_ref(Need, "n"))


@pytest.mark.parametrize(
    "way",
    [{"phone": "06 12 34 56 78"}, {"email": "arnaud@huitres.fr"}],
)
def test_a_contact_with_a_phone_or_an_email_is_enough(unreachable, way):
    _stored_contact("muet", name="M. Arnaud", **way)
    lead = _send(by_ref(Need, "n"))
    db.session.commit()
    assert lead.status == "envoye" and by_ref(Need, "n").status == "propose"


def test_a_bundle_with_one_unreachable_company_is_refused(unreachable):
    f.load(
        f.document(
            companies=[f.company(ref="ok-co")],
            needs=[f.need(ref="n2", company="ok-co", days=["thu"])],
        )
    )
    workflows.transition(db.session, by_ref(Need, "n2"), workflows.NEED, "qualifie")
    db.session.commit()
    before = _written()
    with pytest.raises(TransitionError, match="Huîtres Muettes"):
        send_lead(
            db.session,
            needs=[by_ref(Need, "n2"), by_ref(Need, "n")],
            operator=by_ref(Operator, "ge"),
        )
    db.session.rollback()
    assert _written() == before


def test_the_proposal_form_says_what_to_add_then_works_once_added(client, auth, unreachable):
    auth.login("animateur")
    url = f"/animateur/besoins/{unreachable.ref}"
    page = client.get(url)
    html, text = page.get_data(as_text=True), page_text(page)
    assert "L'opérateur n'aurait aucun moyen de joindre Huîtres Muettes" in text
    assert 'href="/animateur/entreprises/muet#contacts"' in html
    assert "Ajouter un contact sur la fiche de Huîtres Muettes" in text
    assert "Proposer à l'opérateur" not in text

    # Posted anyway (an old page, a forged form): refused, nothing written.
    before = _written()
    response = client.post(url + "/proposer", data={"operateur": "ge", "candidats": "ok"})
    assert response.status_code == 302
    assert "aucun moyen de joindre Huîtres Muettes" in page_text(client.get(url))
    assert _written() == before

    # The animateur adds the person to call on the company page, then proposes.
    added = client.post(
        "/animateur/entreprises/muet/contacts",
        data={"name": "Paul Arnaud", "role": "Gérant", "phone": "06 12 34 56 78"},
    )
    assert added.status_code == 302
    assert "Proposer à l'opérateur" in page_text(client.get(url))
    response = client.post(url + "/proposer", data={"operateur": "ge", "candidats": "ok"})
    assert response.status_code == 302
    assert count(Lead) == 1 and by_ref(Need, "n").status == "propose"


# --- the person met during a visit -----------------------------------------------------

VISIT_URL = "/animateur/visites/nouvelle"


def _create(client, **fields):
    data = {
        "action": "creer_entreprise",
        "name": "Le Petit Zinc",
        "siret": f.make_siret(),
        "commune": "Arcachon",
        **fields,
    }
    return client.post(VISIT_URL, data=data), data["siret"]


def test_creating_a_company_during_a_visit_stores_the_person_met(client, auth):
    auth.login("animateur")
    page = page_text(client.get(VISIT_URL))
    assert "Personne rencontrée (facultatif)" in page
    response, siret = _create(
        client,
        met_name="  Jeanne   Cazaux ",
        met_role="Gérante",
        met_phone="+33 6 12 34 56 78",
        met_email="Jeanne@Petit-Zinc.fr",
    )
    assert response.status_code == 302
    company = db.session.scalar(select(Company).where(Company.siret == siret))
    assert [(c.name, c.role, c.phone, c.email) for c in company.contacts] == [
        ("Jeanne Cazaux", "Gérante", "0612345678", "jeanne@petit-zinc.fr")
    ]
    # Met again, same SIRET: the existing company keeps one contact for her.
    again = client.post(
        VISIT_URL,
        data={
            "action": "creer_entreprise",
            "name": "Le Petit Zinc",
            "siret": siret,
            "commune": "Arcachon",
            "met_name": "Jeanne Cazaux",
            "met_phone": "06 12 34 56 78",
        },
    )
    assert again.status_code == 302
    assert count(CompanyContact) == 1


def test_the_person_met_is_optional(client, auth):
    auth.login("animateur")
    response, siret = _create(client)
    assert response.status_code == 302
    assert count(Company) == 1 and count(CompanyContact) == 0


def test_a_person_met_at_an_existing_company_is_added_to_it(client, auth):
    auth.login("animateur")
    _response, siret = _create(client)
    response = client.post(
        VISIT_URL,
        data={
            "action": "creer_entreprise",
            "siret": siret,
            "met_name": "Luc Darriet",
            "met_email": "luc@petit-zinc.fr",
        },
    )
    assert response.status_code == 302
    (contact,) = db.session.scalars(select(CompanyContact)).all()
    assert (contact.name, contact.email) == ("Luc Darriet", "luc@petit-zinc.fr")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"met_name": "Jeanne", "met_phone": "123456"}, "met_phone", "« 123456 » n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78)."),
        ({"met_name": "Jeanne", "met_email": "jeanne@"}, "met_email", "Adresse e-mail invalide : « jeanne@ »."),
        ({"met_name": "Jeanne"}, "met_phone", "Indiquez un téléphone ou une adresse e-mail pour joindre cette personne."),
        ({"met_phone": "06 12 34 56 78"}, "met_name", "Indiquez le nom de la personne."),
        ({"met_name": "J" * 201, "met_phone": "06 12 34 56 78"}, "met_name", "Le nom ne doit pas dépasser 120 caractères (201 saisis)."),
    ],
)  # fmt: skip
def test_a_bad_person_met_is_refused_next_to_its_field_and_nothing_written(
    client, auth, fields, field, message
):
    auth.login("animateur")
    response, _siret = _create(client, **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-erreurs"' in html
    errors = html.split(f'id="{field}-erreurs"', 1)[1].split("</ul>", 1)[0]
    assert message in " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", errors)).split())
    assert "rien n'a été enregistré" in page_text(response).lower()
    assert count(Company) == 0 and count(CompanyContact) == 0
    # What was typed stays in the form.
    assert 'value="Le Petit Zinc"' in html


def test_company_and_person_errors_are_given_together(client, auth):
    auth.login("animateur")
    response, _siret = _create(client, commune="Atlantide", met_name="Jeanne", met_phone="abc")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="commune-erreurs"' in html and 'id="met_phone-erreurs"' in html
    assert count(Company) == 0 and count(CompanyContact) == 0


# --- the demo --------------------------------------------------------------------------


def test_every_demo_lead_reaches_a_company_with_a_contact_and_its_operator_can_call(app):
    seed_demo(db.session, today=date(2027, 1, 4))
    leads = db.session.scalars(select(Lead)).all()
    assert leads
    for lead in leads:
        for item in lead.needs:
            people = reachable_contacts(item.need.company)
            assert people and all(p.phone for p in people), item.need.company.name
    # Every demo company has the person to call, not only those with a lead.
    assert all(c.contacts and c.address for c in db.session.scalars(select(Company)))

    account = next(a for a in demo_accounts(build_demo_document()) if a.role == "operator")
    own = [lead for lead in leads if lead.operator.ref == account.org_ref]
    assert own, "the demo operator has no lead"
    client = app.test_client()
    client.post("/connexion", data={"email": account.email, "password": account.password})
    url = f"/operateur/propositions/{own[0].id}"
    assert "tel:" not in main_of(client.get(url))
    client.post(url + "/action", data={"action": "accepter"})
    company = own[0].needs[0].need.company
    phone = company.contacts[0].phone
    assert f'href="tel:{phone}"' in client.get(url).get_data(as_text=True)
