"""A company that only an unconfirmed public need knows of is provisional: nobody named
it yet. It is not in the animateurs' directory, its name is the first CONFIRMED
submission's, whoever sent first; whether an author speaks for it is decided when they
confirm; and the retention job deletes it with the unconfirmed need that created it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import Company, CompanyContact, Deletion, Need, OutboxMessage
from connectences.needs import register
from connectences.prospection import companies
from connectences.prospection.companies import siret_display
from tests import factories as f
from tests.helpers import count, page_text

SIRET = f.make_siret(7777)
FAKE = "Faux Nom SARL"
REAL = "Vrai Nom SAS"
STRANGER = "a.stranger@exemple.fr"
OWNER = "real.owner@exemple.fr"
CONFIRM_LINK = re.compile(r"http://localhost(/exprimer-un-besoin/confirmer/[^\s<\"]+)")


def _send(client, email: str, name: str, title: str) -> Need:
    data = f.public_need_form(siret=SIRET, company_name=name, owner_email=email, title=title)
    assert client.post("/exprimer-un-besoin", data=data).status_code == 302
    client.get("/")  # and the browser goes elsewhere
    db.session.expire_all()
    return db.session.scalars(select(Need).where(Need.title == title)).one()


def _mail(email: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id.desc())
    ).first()


def _confirm(client, email: str) -> None:
    path = CONFIRM_LINK.search(_mail(email).body_text).group(1)
    assert client.post(path).status_code == 302
    db.session.expire_all()


def _company() -> Company:
    db.session.expire_all()
    return db.session.scalars(select(Company).where(Company.siret == SIRET)).one()


def test_an_unconfirmed_sending_names_no_company_the_first_confirmed_one_does(app, client):
    stranger = _send(client, STRANGER, FAKE, "Besoin du faussaire")
    owner = _send(app.test_client(), OWNER, REAL, "Besoin du patron")
    company = _company()
    assert companies.is_provisional(company) and FAKE not in company.name
    # Until they confirm, nobody is attached: whoever sent first is no one's contact.
    assert stranger.owner_unattached == owner.owner_unattached
    assert company.contacts == []
    # Each mail repeats what its own author typed, and nothing the other one did.
    assert f"Vous avez exprimé un besoin pour {REAL}" in _mail(OWNER).body_text
    assert FAKE not in _mail(OWNER).body_text
    assert f"Vous avez exprimé un besoin pour {FAKE}" in _mail(STRANGER).body_text

    _confirm(app.test_client(), OWNER)
    company = _company()
    assert company.name == REAL and not companies.is_provisional(company)
    assert company.ref.startswith("ent-vrai-nom-sas")
    assert not db.session.get(Need, owner.id).owner_unattached
    assert [c.email for c in company.contacts] == [OWNER]

    # Confirming later names nothing and attaches no one: the animateur checks.
    _confirm(client, STRANGER)
    company = _company()
    assert company.name == REAL
    assert db.session.get(Need, stranger.id).owner_unattached
    assert [c.email for c in company.contacts] == [OWNER]


def test_whoever_confirms_first_names_it_even_if_they_sent_last(app, client):
    first = _send(client, STRANGER, FAKE, "Envoyé le premier")
    _send(app.test_client(), OWNER, REAL, "Envoyé le second")
    _confirm(client, STRANGER)
    assert _company().name == FAKE  # confirmed: a person proved an address for it
    assert not db.session.get(Need, first.id).owner_unattached
    _confirm(app.test_client(), OWNER)
    assert _company().name == FAKE
    assert db.session.scalars(select(Need).where(Need.owner_email == OWNER)).one().owner_unattached


def test_a_provisional_company_is_not_in_the_directory_until_confirmed(app, client, auth):
    staff = app.test_client()
    auth.login("animateur", client=staff)
    _send(client, OWNER, REAL, "Besoin du patron")
    for page in ("/animateur/entreprises", "/animateur/entreprises?q=Vrai"):
        text = page_text(staff.get(page))
        assert SIRET not in text and siret_display(SIRET) not in text
        assert "Entreprise au SIRET" not in text
    for typed in ("Vrai Nom", SIRET[:9], "Entreprise au SIRET"):
        found = staff.get(f"/animateur/entreprises/recherche?q={typed}").get_json()
        assert found["resultats"] == [], typed
    assert "0 entreprise" in page_text(staff.get("/animateur/entreprises"))
    _confirm(client, OWNER)
    text = page_text(staff.get("/animateur/entreprises"))
    assert REAL in text and "1 entreprise" in text
    assert staff.get("/animateur/entreprises/recherche?q=Vrai").get_json()["resultats"]


def test_the_staff_entering_the_company_names_it(app, client, auth):
    _send(client, STRANGER, FAKE, "Besoin du faussaire")
    staff = app.test_client()
    auth.login("animateur", client=staff)
    response = staff.post(
        "/animateur/entreprises/nouvelle",
        data={"name": REAL, "siret": SIRET, "commune": "Arès", "confirmer_similaire": "1"},
    )
    assert response.status_code == 302
    company = _company()
    assert company.name == REAL and not companies.is_provisional(company)
    assert response.location.endswith(f"/animateur/entreprises/{company.ref}")
    # The stranger's confirmation then attaches nothing.
    _confirm(client, STRANGER)
    assert db.session.scalars(select(Need)).one().owner_unattached
    assert _company().name == REAL


def test_the_retention_job_deletes_the_company_an_unconfirmed_need_created(app, client):
    _send(client, STRANGER, FAKE, "Jamais confirmé")
    other = f.make_siret(8888)
    data = f.public_need_form(siret=other, owner_email=OWNER, title="Confirmé")
    client.post("/exprimer-un-besoin", data=data)
    _confirm(client, OWNER)
    tombstones = count(Deletion)
    later = datetime.now(UTC) + timedelta(days=8)
    with time_machine.travel(later, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=later, dry_run=False)
    assert counts["needs_unconfirmed_deleted"] == 1
    assert counts["companies_provisional_deleted"] == 1
    db.session.expire_all()
    assert db.session.scalars(select(Company.siret)).all() == [other]
    # Another platform that copied it is told it is gone.
    assert count(Deletion) == tombstones + 2


def test_the_retention_job_keeps_a_provisional_company_someone_else_still_waits_on(app, client):
    _send(client, STRANGER, FAKE, "Le plus ancien")
    later = datetime.now(UTC) + timedelta(days=5)
    with time_machine.travel(later, tick=False):
        _send(app.test_client(), OWNER, REAL, "Le plus récent")
    with time_machine.travel(later + timedelta(days=3), tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=later + timedelta(days=3), dry_run=False)
    assert counts["needs_unconfirmed_deleted"] == 1
    assert counts.get("companies_provisional_deleted", 0) == 0
    assert companies.is_provisional(_company())


def test_the_retention_job_leaves_a_company_that_is_not_provisional(client):
    company = f.company(siret=SIRET, name="Connue")
    f.load(f.document(companies=[company]))
    _send(client, STRANGER, FAKE, "Jamais confirmé")
    later = datetime.now(UTC) + timedelta(days=8)
    with time_machine.travel(later, tick=False):
        execute(JOBS_BY_ID["data_retention"], now=later, dry_run=False)
    assert _company().name == "Connue" and count(Need) == 0


def test_a_stranger_typing_a_known_siret_is_not_told_the_company_s_name(client):
    f.load(f.document(companies=[f.company(siret=SIRET, name="Nom Enregistré")]))
    _send(client, STRANGER, FAKE, "Curieux")
    mail = _mail(STRANGER).body_text
    assert "Nom Enregistré" not in mail and FAKE in mail
    path = CONFIRM_LINK.search(mail).group(1)
    page = page_text(client.get(path))
    assert "Nom Enregistré" not in page and FAKE in page


def test_a_company_owner_s_own_need_names_a_new_company_at_once(client, auth):
    owner = auth.login("company")
    data = f.public_need_form(siret=SIRET, company_name=REAL, owner_email=owner.email)
    assert client.post("/exprimer-un-besoin", data=data).status_code == 302
    company = _company()
    assert company.name == REAL and not companies.is_provisional(company)


def test_the_confirmation_decides_attachment_for_a_need_confirmed_by_register():
    need_values = {"title": "Renfort", "level": "employe_qualifie", "hours_per_week": 7.0}
    need_values |= {"days": ["mon"], "contract": "cdd", "reason": "pic_activite"}
    need_values |= {"start": datetime.now(UTC).date(), "skills": ["accueil"]}
    typed = {"company_name": REAL, "siret": SIRET, "company_commune": f.ARCACHON}
    owner = {"owner_name": "Paul", "owner_email": OWNER, "owner_phone": "0611223344"}
    need = register.submit_public_need(db.session, need_values, typed, owner)
    assert companies.is_provisional(need.company) and need.owner_unattached
    register.confirm_need(db.session, need, OWNER, company_values=typed)
    assert need.company.name == REAL and not need.owner_unattached
    assert [c.email for c in need.company.contacts] == [OWNER]
    assert db.session.scalars(select(CompanyContact)).one().email == OWNER
