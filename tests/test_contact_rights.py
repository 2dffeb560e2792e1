"""Rights of a company's contact person: export of what is held on them, erasure on
request, both recorded in the audit log (domain functions and the animateur's page)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connectences.events.catalogue import SEATED, WAITING
from connectences.extensions import db
from connectences.mail.kinds import MailKind
from connectences.models import (
    AuditLog,
    CallbackRequest,
    CompanyContact,
    Diagnosis,
    Event,
    EventRegistration,
    Need,
    OutboxMessage,
    utcnow,
)
from connectences.prospection import contact_rights
from connectences.prospection.pressure import ERASED_PHONE
from tests import factories
from tests.helpers import (
    by_ref,
    error_of,
    html_of,
    make_company,
    page_text,
    read_stamp_at,
    stamp_in,
)


@pytest.fixture
def company():
    company = make_company(ref="boulangerie", contact_email="Claire@Boulangerie.fr")
    contact = CompanyContact(
        company=company, name="Claire Dupont", role="Gérante", phone="0612345678",
        email="claire@boulangerie.fr",
    )  # fmt: skip
    other = CompanyContact(company=company, name="Paul Martin", email="paul@boulangerie.fr")
    db.session.add_all([contact, other])
    factories.load(
        factories.document(
            needs=[
                factories.need(
                    ref="besoin-claire", company="boulangerie", title="Vendeuse le samedi"
                ),
                factories.need(ref="besoin-autre", company="boulangerie"),
            ]
        )
    )
    need = by_ref(Need, "besoin-claire")
    need.owner_name, need.owner_email, need.owner_phone = "Claire D.", "CLAIRE@boulangerie.fr", "06"
    db.session.add(
        OutboxMessage(
            kind=MailKind.COMPANY_SPACE_LINK,
            to="claire@boulangerie.fr",
            subject="Votre lien",
            body_text="x",
        )
    )
    db.session.add(
        OutboxMessage(
            kind=MailKind.NEED_CONFIRM, to="paul@boulangerie.fr", subject="Bonjour", body_text="y"
        )
    )
    # A diagnosis questionnaire mailed to Claire, not answered yet, and one to Paul.
    for to in ("Claire@Boulangerie.fr", "paul@boulangerie.fr"):
        db.session.add(Diagnosis(company=company, source="lien", sent_to=to, sent_at=utcnow()))
    db.session.commit()
    return company


def _event_and_call_back(company) -> Event:
    """A one-seat event Claire holds the seat of, Paul waiting; a call-back request from
    Claire's number and one from another."""
    soon = utcnow() + timedelta(days=10)
    event = Event(
        kind="atelier", title="Atelier paie", starts_at=soon, ends_at=soon + timedelta(hours=2),
        audience="entreprises", capacity=1,
    )  # fmt: skip
    db.session.add(event)
    db.session.add_all(
        [
            EventRegistration(
                event=event,
                name="Claire Dupont",
                email="Claire@boulangerie.fr",
                organisation="Boulangerie",
                company_id=company.id,
                status=SEATED,
                confirmed_at=utcnow(),
                seated_at=utcnow(),
            ),  # fmt: skip
            EventRegistration(
                event=event,
                name="Paul Martin",
                email="paul@boulangerie.fr",
                status=WAITING,
                confirmed_at=utcnow(),
            ),  # fmt: skip
            CallbackRequest(
                name="Claire",
                phone="06 12 34 56 78",
                best_time="matin",
                topic="besoin",
                company_id=company.id,
            ),  # fmt: skip
            CallbackRequest(
                name="Paul",
                phone="06 99 99 99 99",
                best_time="matin",
                topic="besoin",
                company_id=company.id,
            ),  # fmt: skip
        ]
    )
    db.session.commit()
    return event


def test_event_registrations_and_call_backs_are_exported_and_erased(company, auth):
    # Found by an audit: both kept the person's name, address or number after erasure
    # (and the registration would have mailed the erased address), and neither was in
    # the export.
    event = _event_and_call_back(company)
    document = contact_rights.export_contact(db.session, _claire(), actor=None)
    assert [(r["evenement"], r["etat"]) for r in document["inscriptions_aux_evenements"]] == [
        ("Atelier paie", SEATED)
    ]
    assert [r["telephone"] for r in document["demandes_de_rappel"]] == ["06 12 34 56 78"]
    counts = contact_rights.erase_contact(db.session, _claire(), actor=None, reason="demande")
    db.session.commit()
    assert counts["registrations_deleted"] == 1 and counts["callbacks_deleted"] == 1
    db.session.expire_all()
    left = db.session.scalars(select(EventRegistration)).all()
    assert [(r.name, r.status) for r in left] == [("Paul Martin", SEATED)]  # promoted
    assert db.session.scalars(select(CallbackRequest.name)).all() == ["Paul"]
    assert event.id


def _claire():
    return db.session.scalar(select(CompanyContact).where(CompanyContact.name == "Claire Dupont"))


def test_the_export_holds_everything_about_the_person_and_is_recorded(company, auth):
    animateur = auth.create("animateur")
    document = contact_rights.export_contact(db.session, _claire(), actor=animateur)
    db.session.commit()
    assert document["personne"] == {
        "nom": "Claire Dupont",
        "fonction": "Gérante",
        "telephone": "0612345678",
        "email": "claire@boulangerie.fr",
    }
    assert document["adresse_de_contact_de_l_entreprise"] == "Claire@Boulangerie.fr"
    assert [n["intitule"] for n in document["besoins_exprimes"]] == ["Vendeuse le samedi"]
    assert [m["objet"] for m in document["courriels_envoyes"]] == ["Votre lien"]
    assert len(document["questionnaires_de_diagnostic_envoyes"]) == 1
    assert "Paul" not in json.dumps(document)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "company.contact_export"))
    assert (entry.actor_id, entry.entity, entry.entity_id) == (
        animateur.id,
        "company_contact",
        _claire().id,
    )


def test_erasure_removes_the_person_everywhere_and_keeps_the_rest(company, auth):
    animateur = auth.create("animateur")
    claire_id = _claire().id
    counts = contact_rights.erase_contact(
        db.session, _claire(), actor=animateur, reason="courriel du 3 mars"
    )
    db.session.commit()
    db.session.expire_all()
    assert counts == {
        "needs_cleared": 1,
        "mail_deleted": 1,
        "company_address_cleared": 1,
        "company_phone_cleared": 0,
        "diagnosis_links_cleared": 1,
        "registrations_deleted": 0,
        "callbacks_deleted": 0,
        "audit_addresses_cleared": 0,
    }
    assert db.session.scalars(select(Diagnosis.sent_to).order_by(Diagnosis.id)).all() == [
        None,
        "paul@boulangerie.fr",
    ]
    assert db.session.get(CompanyContact, claire_id) is None
    assert [c.name for c in company.contacts] == ["Paul Martin"]
    need = by_ref(Need, "besoin-claire")
    assert (need.title, need.owner_name, need.owner_email, need.owner_phone) == (
        "Vendeuse le samedi",
        None,
        None,
        None,
    )
    assert company.contact_email is None
    assert db.session.scalars(select(OutboxMessage.to)).all() == ["paul@boulangerie.fr"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "company.contact_erased"))
    assert entry.entity_id == claire_id and entry.details["reason"] == "courriel du 3 mars"
    stored = json.dumps([e.details for e in db.session.scalars(select(AuditLog))])
    assert "claire" not in stored.lower() and "Dupont" not in stored
    with pytest.raises(ValueError):
        contact_rights.erase_contact(db.session, company.contacts[0], actor=None, reason=" ")


def test_the_companys_phone_when_it_is_the_persons_is_exported_and_erased(company, auth):
    # A sole trader's mobile given as the company's number: erasing the person left it
    # on the record and in the record's history, as their address was before.
    company.phone = "0612345678"
    db.session.add(
        AuditLog(
            action="company.details",
            entity="company",
            entity_id=company.id,
            details={"before": {"phone": None}, "after": {"phone": "0612345678"}},
        )
    )
    db.session.commit()
    document = contact_rights.export_contact(db.session, _claire(), actor=None)
    assert document["telephone_de_l_entreprise"] == "0612345678"
    counts = contact_rights.erase_contact(db.session, _claire(), actor=None, reason="appel")
    db.session.commit()
    db.session.expire_all()
    assert counts["company_phone_cleared"] == 1 and counts["audit_addresses_cleared"] == 1
    assert company.phone is None
    stored = json.dumps([e.details for e in db.session.scalars(select(AuditLog))])
    assert "0612345678" not in stored
    change = db.session.scalar(select(AuditLog).where(AuditLog.action == "company.details"))
    assert change.details == {"before": {"phone": None}, "after": {"phone": ERASED_PHONE}}


def test_the_companys_own_number_stays_when_it_is_not_the_persons(company, auth):
    company.phone = "0556000000"
    db.session.commit()
    assert (
        contact_rights.export_contact(db.session, _claire(), actor=None)[
            "telephone_de_l_entreprise"
        ]
        is None
    )
    counts = contact_rights.erase_contact(db.session, _claire(), actor=None, reason="appel")
    db.session.commit()
    db.session.expire_all()
    assert counts["company_phone_cleared"] == 0 and company.phone == "0556000000"


def test_the_animateur_exports_and_erases_from_the_company_page(client, auth, company):
    auth.login("animateur")
    claire = _claire()
    page = page_text(client.get("/animateur/entreprises/boulangerie"))
    assert "Droits de la personne" in page and "Télécharger ses données (JSON)" in page
    response = client.get(f"/animateur/entreprises/boulangerie/contacts/{claire.id}/donnees.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.get_json()["personne"]["nom"] == "Claire Dupont"
    # Without the reason and the confirmation, nothing is erased.
    url = f"/animateur/entreprises/boulangerie/contacts/{claire.id}/effacer"
    # Each missing piece is said next to its field, with a summary; what was typed stays.
    stamp = read_stamp_at(client, "/animateur/entreprises/boulangerie", url)
    refused = client.post(url, data={"motif": "", "confirmer": "1", "lu_le": stamp})
    assert refused.status_code == 422
    assert "Indiquez la demande reçue" in error_of(refused, f"motif-{claire.id}")
    assert f'id="confirmer-effacement-{claire.id}-erreurs"' not in html_of(refused)
    refused = client.post(url, data={"motif": "appel du 3 mars", "lu_le": stamp})
    assert refused.status_code == 422
    assert "Cochez la case" in error_of(refused, f"confirmer-effacement-{claire.id}")
    assert 'value="appel du 3 mars"' in html_of(refused)
    assert "flash-error" not in html_of(refused)
    # A reason over 200 characters was recorded cut without a word: it is refused, and
    # comes back whole.
    long = "appel du 3 mars, " + "x" * 250
    refused = client.post(url, data={"motif": long, "confirmer": "1", "lu_le": stamp})
    assert refused.status_code == 422
    assert "ne doit pas dépasser 200 caractères (267 saisis)" in error_of(
        refused, f"motif-{claire.id}"
    )
    assert f'value="{long}"' in html_of(refused)
    assert db.session.scalar(select(func.count(CompanyContact.id))) == 2
    done = client.post(
        url,
        data={"motif": "appel du 3 mars", "confirmer": "1", "lu_le": stamp},
        follow_redirects=True,
    )
    assert "ont été effacés" in page_text(done)
    assert "Claire Dupont" not in page_text(done)
    assert db.session.scalar(select(func.count(CompanyContact.id))) == 1


def test_a_contact_changed_since_the_page_was_read_is_not_erased(app, client, auth, company):
    # The erasure form read Claire's entry; a colleague then puts another person's
    # details in it: erasing from the old page would erase that other person.
    auth.login("animateur")
    claire = _claire()
    page = "/animateur/entreprises/boulangerie"
    url = f"{page}/contacts/{claire.id}/effacer"
    stamp = read_stamp_at(client, page, url)
    colleague = app.test_client()
    auth.login("animateur", client=colleague)
    edit = f"{page}/contacts/{claire.id}"
    changed = colleague.post(
        edit,
        data={
            "name": "Marc Lefort",
            "role": "",
            "phone": "",
            "email": "marc@boulangerie.fr",
            "lu_le": read_stamp_at(colleague, page, edit),
        },
    )
    assert changed.status_code == 302
    refused = client.post(url, data={"motif": "appel du 3 mars", "confirmer": "1", "lu_le": stamp})
    assert refused.status_code == 422
    text = page_text(refused)
    assert "rien n'a été effacé" in text
    assert "Ce contact est maintenant : Marc Lefort, marc@boulangerie.fr." in text
    assert 'value="appel du 3 mars"' in html_of(refused)  # what was typed is kept
    assert db.session.scalar(select(func.count(CompanyContact.id))) == 2
    # Without a stamp (a form read before it carried one): refused too.
    bare = client.post(url, data={"motif": "appel du 3 mars", "confirmer": "1"})
    assert bare.status_code == 422
    assert db.session.scalar(select(func.count(CompanyContact.id))) == 2
    # Confirmed from the page given back (read now), it is erased.
    done = client.post(
        url, data={"motif": "appel du 3 mars", "confirmer": "1", "lu_le": stamp_in(refused, url)}
    )
    assert done.status_code == 302
    assert db.session.scalar(select(func.count(CompanyContact.id))) == 1


def test_another_companys_contact_or_another_role_is_refused(app, client, auth, company):
    other = make_company(ref="autre")
    claire = _claire()
    auth.login("animateur")
    assert client.get(f"/animateur/entreprises/autre/contacts/{claire.id}/donnees.json").status_code == 404  # fmt: skip
    assert client.post(f"/animateur/entreprises/{other.ref}/contacts/{claire.id}/effacer",
                       data={"motif": "x", "confirmer": "1"}).status_code == 404  # fmt: skip
    for role in ("operator", "company", "territoire"):
        stranger = app.test_client()
        auth.login(role, client=stranger)
        base = f"/animateur/entreprises/boulangerie/contacts/{claire.id}"
        assert stranger.get(f"{base}/donnees.json").status_code == 403
        assert stranger.post(f"{base}/effacer", data={"motif": "x", "confirmer": "1"}).status_code == 403  # fmt: skip
    assert db.session.scalar(select(func.count(CompanyContact.id))) == 2


def test_the_erased_address_leaves_the_company_s_details_history(company):
    """The owner's corrections of the company's details keep its contact address before
    and after, and who said them: an erased person's address goes from there too (the
    other address and the rest of the change stay, for the staff)."""
    from connectences.models import AuditLog
    from connectences.prospection.companies import update_details
    from connectences.prospection.pressure import COMPANY_DETAILS, company_timeline

    said = {"commune": company.commune, "address": "1 rue Haute"}
    update_details(
        db.session,
        company,
        {**said, "contact_email": "accueil@boulangerie.fr"},
        actor=None,
        said_by_owner="Claire@Boulangerie.fr",
    )
    update_details(
        db.session,
        company,
        {**said, "contact_email": "claire@boulangerie.fr"},
        actor=None,
        said_by_owner="paul@boulangerie.fr",
    )
    db.session.commit()
    claire = db.session.scalar(select(CompanyContact).where(CompanyContact.name == "Claire Dupont"))
    counts = contact_rights.erase_contact(db.session, claire, actor=None, reason="Demande écrite")
    db.session.commit()
    assert counts["audit_addresses_cleared"] == 2
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.action == COMPANY_DETAILS).order_by(AuditLog.id)
    ).all()
    stored = json.dumps([entry.details for entry in entries]).lower()
    assert "claire@boulangerie.fr" not in stored
    assert "accueil@boulangerie.fr" in stored and "paul@boulangerie.fr" in stored
    assert "1 rue haute" in stored
    history = " ".join(
        f"{e.by} {e.summary}"
        for e in company_timeline(db.session, company)
        if e.kind == "coordonnees"
    )
    assert "claire@" not in history.lower() and "(adresse effacée)" in history


def test_the_erased_address_leaves_the_company_s_preferences_history(company, client, auth):
    """The contact preferences an owner says themselves keep their address (who said
    them): an erasure takes it out of there too; the change stays, said by the company."""
    from connectences.prospection.companies import preferences_last_set, set_preferences
    from connectences.prospection.pressure import COMPANY_PREFERENCES, company_timeline

    for cap, owner in ((3, "paul@boulangerie.fr"), (2, "Claire@Boulangerie.fr")):
        set_preferences(
            db.session,
            company,
            do_not_solicit=False,
            newsletter_consent=True,
            max_contacts_per_month=cap,
            actor=None,
            said_by_owner=owner,
        )
    db.session.commit()
    claire = db.session.scalar(select(CompanyContact).where(CompanyContact.name == "Claire Dupont"))
    counts = contact_rights.erase_contact(db.session, claire, actor=None, reason="Demande écrite")
    db.session.commit()
    assert counts["audit_addresses_cleared"] == 1
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.action == COMPANY_PREFERENCES).order_by(AuditLog.id)
    ).all()
    stored = json.dumps([entry.details for entry in entries]).lower()
    assert "claire@boulangerie.fr" not in stored and "paul@boulangerie.fr" in stored
    assert [entry.details["after"]["max_contacts_per_month"] for entry in entries] == [3, 2]
    said = [e.by for e in company_timeline(db.session, company) if e.kind == "preferences"]
    assert said == ["l'entreprise (adresse effacée)", "l'entreprise (paul@boulangerie.fr)"]
    assert preferences_last_set(db.session, company).by == "l'entreprise (adresse effacée)"
    auth.login("animateur")
    page = page_text(client.get("/animateur/entreprises/boulangerie"))
    assert "claire@" not in page.lower()
    assert "par l'entreprise (adresse effacée), elle-même" in page
