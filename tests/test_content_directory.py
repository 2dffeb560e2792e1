""" "Qui fait quoi": members propose their own entry, an animateur validates or refuses it,
the public sees only the validated version; anyone else is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectences.content import directory
from connectences.extensions import db
from connectences.models import DirectoryEntry, Operator, Partner
from tests import factories
from tests.helpers import audit_entries, main_of, page_text

FORM = {
    "offer": "Nous mettons à disposition des salariés à temps partagé.",
    "audience": "Les TPE du Bassin qui ont besoin de quelques heures par semaine.",
    "topics": ["competences_partagees", "recrutement"],
    "phone": "05 56 00 00 00",
    "email": "Contact@GE-Bassin.fr",
    "website": "https://ge-bassin.fr",
    "address": "1 rue du Port, Arcachon",
}


def entry_of(model, organisation_id) -> DirectoryEntry:
    column = DirectoryEntry.operator_id if model is Operator else DirectoryEntry.partner_id
    return db.session.scalar(select(DirectoryEntry).where(column == organisation_id))


@pytest.mark.parametrize(
    ("role", "url", "model"),
    [("operator", "/operateur/fiche", Operator), ("partner", "/partenaire/fiche", Partner)],
)
def test_member_proposes_and_the_public_sees_it_once_validated(client, app, auth, role, url, model):
    member = auth.login(role)
    organisation_id = member.operator_id if role == "operator" else member.partner_id
    assert client.get(url).status_code == 200
    response = client.post(url, data=FORM)
    assert response.status_code == 302
    entry = entry_of(model, organisation_id)
    assert entry.proposed["offer"] == FORM["offer"]
    assert entry.proposed["email"] == "contact@ge-bassin.fr"  # stored form
    assert entry.published_at is None
    name = db.session.get(model, organisation_id).name
    # Waiting: not public yet.
    public = app.test_client()
    assert name not in main_of(public.get("/qui-fait-quoi"))
    assert "attend la validation" in main_of(client.get(url))

    staff = app.test_client()
    animateur = auth.login("animateur", client=staff)
    pending = main_of(staff.get("/animateur/contenus/qui-fait-quoi"))
    assert name in pending and FORM["offer"] in pending
    response = staff.post(
        f"/animateur/contenus/qui-fait-quoi/{entry.id}", data={"decision": "valider"}
    )
    assert response.status_code == 302
    db.session.refresh(entry)
    assert entry.proposed is None and entry.published_by_id == animateur.id
    page = main_of(public.get("/qui-fait-quoi"))
    assert name in page and FORM["offer"] in page and "05 56 00 00 00" in page

    # A later change waits again; the published version stays until it is validated.
    client.post(url, data={**FORM, "offer": "Nouvelle offre"})
    page = main_of(public.get("/qui-fait-quoi"))
    assert FORM["offer"] in page and "Nouvelle offre" not in page
    assert [e.actor_id for e in audit_entries("directory_entry_validated")] == [animateur.id]


def test_refusal_keeps_the_published_version_and_tells_the_members_why(client, app, auth):
    member = auth.login("partner")
    entry = directory.entry_of(db.session, "partner", member.partner_id)
    directory.propose(db.session, entry, FORM, by=member)
    db.session.commit()
    staff = app.test_client()
    auth.login("animateur", client=staff)
    empty = staff.post(
        f"/animateur/contenus/qui-fait-quoi/{entry.id}", data={"decision": "refuser", "reason": ""}
    )
    assert empty.status_code == 422 and "Dites à la structure" in main_of(empty)
    staff.post(
        f"/animateur/contenus/qui-fait-quoi/{entry.id}",
        data={"decision": "refuser", "reason": "Le téléphone ne répond pas."},
    )
    db.session.refresh(entry)
    assert entry.proposed is None and entry.published_at is None
    assert "Le téléphone ne répond pas." in main_of(client.get("/partenaire/fiche"))


def test_a_member_of_another_organisation_is_refused(auth):
    mine = auth.create("operator")
    other = auth.create("operator")
    partner = auth.create("partner")
    entry = directory.entry_of(db.session, "operator", mine.operator_id)
    for intruder in (other, partner, auth.create("animateur"), auth.create("company")):
        with pytest.raises(directory.DirectoryError):
            directory.propose(db.session, entry, FORM, by=intruder)
    assert entry.proposed is None
    directory.propose(db.session, entry, FORM, by=mine)
    # Members do not validate their own entry, even their own organisation's.
    with pytest.raises(directory.DirectoryError):
        directory.validate(db.session, entry, by=mine)
    assert entry.published_at is None


def test_each_member_edits_only_their_own_entry_through_the_web(client, app, auth):
    first = auth.login("operator")
    other_operator = auth.create("operator")
    client.post("/operateur/fiche", data=FORM)
    intruder = app.test_client()
    auth.login("operator", client=intruder, org_ref=other_operator.operator.ref)
    intruder.post("/operateur/fiche", data={**FORM, "offer": "Intrus"})
    mine = entry_of(Operator, first.operator_id)
    theirs = entry_of(Operator, other_operator.operator_id)
    assert mine.proposed["offer"] == FORM["offer"]
    assert theirs.proposed["offer"] == "Intrus"
    # Another role cannot reach the operators' page, nor validate.
    partner_client = app.test_client()
    auth.login("partner", client=partner_client)
    assert partner_client.post("/operateur/fiche", data=FORM).status_code == 403
    assert (
        partner_client.post(
            f"/animateur/contenus/qui-fait-quoi/{mine.id}", data={"decision": "valider"}
        ).status_code
        == 403
    )
    assert client.get("/animateur/contenus/qui-fait-quoi").status_code == 403
    db.session.refresh(mine)
    assert mine.published_at is None


def test_form_errors_are_french_by_field_and_nothing_is_proposed(client, auth):
    member = auth.login("operator")
    response = client.post(
        "/operateur/fiche",
        data={"offer": "", "audience": "x", "phone": "abc", "email": "pas-une-adresse",
              "website": "javascript:alert(1)", "topics": ["inconnu"]},
    )  # fmt: skip
    assert response.status_code == 422
    page = page_text(response)
    assert "Indiquez ce que votre structure propose" in page
    assert "n'est pas un numéro de téléphone valide" in page
    assert "n'est pas une adresse e-mail valide" in page
    assert "commençant par https://" in page
    assert "Choisissez parmi les thèmes proposés." in page
    assert entry_of(Operator, member.operator_id).proposed is None


def test_public_filters_by_kind_topic_and_intercommunality(auth):
    validator = auth.create("animateur")
    factories.load(
        factories.document(
            operators=[factories.operator(ref="ge", name="GE Bassin", epcis=[factories.COBAS])],
            partners=[factories.partner(ref="ml", name="Mission Locale", epcis=[])],
        )
    )
    ge = db.session.scalar(select(Operator).where(Operator.ref == "ge"))
    ml = db.session.scalar(select(Partner).where(Partner.ref == "ml"))
    for kind, organisation, topics in (
        ("operator", ge, ["recrutement"]),
        ("partner", ml, ["formation"]),
    ):
        member = auth.create(kind, org_ref=organisation.ref)
        entry = directory.entry_of(db.session, kind, organisation.id)
        directory.propose(db.session, entry, {**FORM, "topics": topics}, by=member)
        directory.validate(db.session, entry, by=validator)
    db.session.commit()

    def names(**args):
        filters, errors = directory.DirectoryFilters.from_args(args)
        assert errors == [], args
        return [e.organisation.name for e in directory.public_entries(db.session, filters)]

    assert names() == ["GE Bassin", "Mission Locale"]
    assert names(type="partenaire") == ["Mission Locale"]
    assert names(theme="recrutement") == ["GE Bassin"]
    # An organisation covering no intercommunality in particular covers all the Pays.
    assert names(intercommunalite=factories.COBAN) == ["Mission Locale"]
    assert names(q="mission") == ["Mission Locale"]
    ge.active = False
    db.session.commit()
    assert names() == ["Mission Locale"]


def test_an_empty_entry_opens_with_empty_fields(client, auth):
    auth.login("partner")
    page = client.get("/partenaire/fiche").get_data(as_text=True)
    assert 'value="None"' not in page and ">None<" not in page
