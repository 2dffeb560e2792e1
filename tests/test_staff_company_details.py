"""The staff correct a company's details from its record (« Modifier les coordonnées »):
its name, SIRET (one company per SIRET) and NAF code as well as what its owner may
correct, through the owner's rule and guard (``companies.update_details``,
``owner_details.save_details``), recorded with the staff member's name on the
company's history and in the audit log. Nobody else reaches the form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import AuditLog, Company
from connectences.prospection.companies import (
    create_provisional,
    is_provisional,
    update_details,
)
from connectences.prospection.pressure import COMPANY_DETAILS, company_timeline
from tests.factories import make_siret
from tests.fixtures_auth import csrf_token_from
from tests.helpers import (
    html_of,
    make_company,
    page_text,
    read_guard_at,
    staff_details_form,
    stamp_in,
)

ARCACHON, BORDEAUX = "33009", "33063"
ACTION = "/animateur/entreprises/{ref}/coordonnees"


def _record(company: Company) -> str:
    return f"/animateur/entreprises/{company.ref}"


def _stored(company_id: int) -> tuple:
    db.session.expire_all()
    company = db.session.get(Company, company_id)
    return (
        company.name,
        company.siret,
        company.siren,
        company.naf,
        company.address,
        company.commune,
        company.employees,
        company.contact_email,
    )


def _entries(company_id: int) -> list[AuditLog]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.action == COMPANY_DETAILS, AuditLog.entity_id == company_id)
            .order_by(AuditLog.id)
        )
    )


def _post(client, company: Company, **changes):
    page = _record(company)
    data = {**staff_details_form(company, **changes), **read_guard_at(client, page, "/coordonnees")}
    return client.post(ACTION.format(ref=company.ref), data=data)


@pytest.mark.parametrize("role", ["animateur", "admin"])
def test_the_staff_correct_every_detail_and_the_history_names_them(client, auth, role):
    company = make_company(name="Boulangerie Dupond", naf="10.71C")
    old_siret = company.siret
    member = auth.login(role, full_name="Julie Marchand")
    record = client.get(_record(company))
    html = html_of(record)
    assert "Modifier les coordonnées" in page_text(record)
    assert f'action="{ACTION.format(ref=company.ref)}#erreurs-coordonnees"' in html
    assert f'value="{company.siret}"' in html and 'value="Arcachon (33120)"' in html

    new_siret = make_siret()
    done = _post(
        client,
        company,
        name="Boulangerie Dupont",
        siret=f"{new_siret[:3]} {new_siret[3:9]} {new_siret[9:]}",
        naf="5610a",
        address=" 3  rue du Port ",
        commune="Bordeaux",  # the staff may record a company outside the Pays
        employees="5",
        contact_email="Accueil@Dupont.fr",
    )
    assert done.status_code == 302
    assert done.location == f"{_record(company)}#fiche"
    assert _stored(company.id) == (
        "Boulangerie Dupont",
        new_siret,
        new_siret[:9],
        "56.10A",
        "3 rue du Port",
        BORDEAUX,
        5,
        "accueil@dupont.fr",
    )
    shown = page_text(client.get(done.location))
    assert "Coordonnées de l'entreprise enregistrées." in shown
    (entry,) = _entries(company.id)
    assert entry.actor_id == member.id and "said_by_owner" not in entry.details
    assert entry.details["before"]["siret"] == old_siret
    assert entry.details["after"]["name"] == "Boulangerie Dupont"
    [changed] = [e for e in company_timeline(db.session, company.id) if e.kind == "coordonnees"]
    assert changed.by == "Julie Marchand" and changed.by_id == member.id
    assert changed.summary.startswith(
        f"Nom : « Boulangerie Dupond » → « Boulangerie Dupont » ; SIRET : {old_siret} → "
        f"{new_siret} ; code NAF : 10.71C → 56.10A ; adresse : (vide) → « 3 rue du Port »"
    )
    assert "Julie Marchand" in shown and "« Boulangerie Dupond » → « Boulangerie Dupont »" in shown


def test_the_company_s_own_phone_and_website_are_recorded_and_linked(client, auth):
    company = make_company(name="Boulangerie Dupont")
    member = auth.login("animateur", full_name="Julie Marchand")
    record = page_text(client.get(_record(company)))
    assert "Téléphone Non renseigné" in record and "Site web Non renseigné" in record
    done = _post(client, company, phone="05 56 12 34 56", website="www.boulangerie-dupont.fr")
    assert done.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.phone, stored.website) == ("0556123456", "https://www.boulangerie-dupont.fr")
    page = client.get(done.location)
    html = html_of(page)
    # A number to call from a phone, an address that opens no door back to the platform.
    assert '<a href="tel:0556123456">05 56 12 34 56</a>' in html
    assert (
        '<a href="https://www.boulangerie-dupont.fr" rel="noopener noreferrer nofollow" '
        'class="web-address">https://www.boulangerie-dupont.fr</a>'
    ) in html
    # The form shows them as people read them.
    assert 'value="05 56 12 34 56"' in html and 'value="https://www.boulangerie-dupont.fr"' in html
    (entry,) = _entries(company.id)
    assert entry.actor_id == member.id
    assert entry.details["after"] == {
        "phone": "0556123456",
        "website": "https://www.boulangerie-dupont.fr",
    }
    [changed] = [e for e in company_timeline(db.session, company.id) if e.kind == "coordonnees"]
    assert changed.summary == (
        "Téléphone de l'entreprise : (vide) → 05 56 12 34 56 ; "
        "site web : (vide) → https://www.boulangerie-dupont.fr"
    )
    # Sent again as the form shows them: nothing changed.
    assert _post(client, stored).status_code == 302 and len(_entries(company.id)) == 1
    # Emptied, they are gone.
    assert _post(client, stored, phone="", website="").status_code == 302
    db.session.expire_all()
    assert (db.session.get(Company, company.id).phone, stored.website) == (None, None)


def test_every_error_at_once_each_value_back_as_typed(client, auth):
    company = make_company()
    auth.login("animateur")
    before = _stored(company.id)
    refused = _post(
        client, company, employees="-1", phone="12", website="ftp://exemple.fr", address="1 rue X"
    )
    assert refused.status_code == 422
    said = page_text(refused)
    assert "« 12 » n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78)." in said
    assert "« ftp://exemple.fr » n'est pas l'adresse d'un site web" in said
    assert "L'effectif est un nombre entier" in said
    html = html_of(refused)
    for typed in ("-1", "12", "ftp://exemple.fr", "1 rue X"):
        assert f'value="{typed}"' in html, typed
    assert _stored(company.id) == before and _entries(company.id) == []


def test_the_same_details_again_change_nothing_and_log_nothing(client, auth):
    company = make_company()
    auth.login("animateur")
    again = _post(client, company)
    assert again.status_code == 302
    assert "Rien n'a changé dans les coordonnées" in page_text(client.get(again.location))
    assert _entries(company.id) == []


def test_another_company_s_siret_is_refused_in_french(client, auth):
    company, other = make_company(), make_company(name="Garage des Pins")
    auth.login("animateur")
    before = _stored(company.id)
    refused = _post(client, company, siret=other.siret, address="1 rue Neuve")
    assert refused.status_code == 422
    said = page_text(refused)
    assert "est déjà celui de l'entreprise « Garage des Pins »" in said
    assert "Rien n'a été enregistré" in said
    # Shown again as typed, the form open.
    assert 'value="1 rue Neuve"' in html_of(refused)
    assert "<details open>\n      <summary>Modifier les coordonnées" in html_of(refused)
    assert _stored(company.id) == before and _entries(company.id) == []


def test_a_provisional_company_s_siret_is_refused_too(client, auth):
    company = make_company()
    typed = make_siret()
    create_provisional(db.session, typed, ARCACHON)
    db.session.commit()
    auth.login("animateur")
    before = _stored(company.id)
    refused = _post(client, company, siret=typed)
    assert refused.status_code == 422
    assert "un besoin du formulaire public pas encore confirmé" in page_text(refused)
    assert _stored(company.id) == before and _entries(company.id) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Indiquez le nom de l'entreprise."),
        ("siret", "", "Indiquez le SIRET (14 chiffres)."),
        ("siret", "1234", "Un SIRET compte 14 chiffres"),
        ("siret", "73282932000075", "la clé de contrôle ne correspond pas"),
        ("naf", "99.99Z", "Code NAF inconnu"),
        ("commune", "Nullepart", "Commune inconnue"),
        ("employees", "-1", "L'effectif est un nombre entier de salariés (0 ou plus)."),
        ("contact_email", "pas-une-adresse", "Adresse e-mail invalide"),
        (
            "phone",
            "05 56",
            "« 05 56 » n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78).",
        ),
        ("phone", "5 56 12 34 56", "S'il manque le 0 du début, écrivez 05 56 12 34 56."),
        ("website", "javascript:alert(1)", "n'est pas l'adresse d'un site web"),
        ("website", "www.exemple .fr", "Une adresse de site web ne contient pas d'espace"),
        ("website", "intranet", "n'est pas une adresse de site web"),
    ],
)
def test_bad_input_changes_nothing(client, auth, field, value, message):
    company = make_company()
    auth.login("animateur")
    before = _stored(company.id)
    refused = _post(client, company, **{field: value})
    assert refused.status_code == 422
    assert message in page_text(refused)
    assert "Le formulaire n'a pas été envoyé." in page_text(refused)
    assert _stored(company.id) == before and _entries(company.id) == []


def test_details_read_before_another_save_are_refused(client, auth, app):
    company = make_company()
    auth.login("animateur", client=client)
    other = app.test_client()
    auth.login("admin", client=other)
    page, action = _record(company), ACTION.format(ref=company.ref)
    first = read_guard_at(client, page, "/coordonnees")
    second = read_guard_at(other, page, "/coordonnees")
    sent = client.post(action, data={**staff_details_form(company, address="1 rue Haute"), **first})
    assert sent.status_code == 302
    refused = other.post(action, data={**staff_details_form(company, name="Autre nom"), **second})
    assert refused.status_code == 422
    said = page_text(refused)
    assert "modifiée par quelqu'un d'autre" in said and "Rien n'a été enregistré" in said
    assert "adresse : « 1 rue Haute »" in said
    assert _stored(company.id)[0] == company.name and len(_entries(company.id)) == 1
    # Sent again from the page as read now: saved.
    again = other.post(
        action,
        data={
            **staff_details_form(company, address="1 rue Haute", name="Autre nom"),
            "lu_le": stamp_in(refused, "/coordonnees"),
            "lu_valeurs": read_guard_at(other, page, "/coordonnees")["lu_valeurs"],
        },
    )
    assert again.status_code == 302 and _stored(company.id)[0] == "Autre nom"


def test_wrong_users_are_refused(client, auth, app):
    company = make_company()
    company.phone, company.website = "0556987654", "https://www.secret-atelier.fr"
    db.session.commit()
    action = ACTION.format(ref=company.ref)
    before = _stored(company.id)
    for role in ("operator", "partner", "territoire", "company", "candidate"):
        someone = app.test_client()
        auth.login(role, client=someone)
        refused = someone.get(_record(company))
        assert refused.status_code == 403, role
        assert "98 76 54" not in page_text(refused) and "secret-atelier" not in html_of(refused)
        assert (
            someone.post(action, data=staff_details_form(company, name="Pirate")).status_code == 403
        ), role
    anonymous = app.test_client()
    assert anonymous.post(action, data=staff_details_form(company, name="Pirate")).status_code in (
        302,
        401,
    )
    assert _stored(company.id) == before and _entries(company.id) == []
    db.session.expire_all()
    assert db.session.get(Company, company.id).website == "https://www.secret-atelier.fr"


def test_an_unknown_company_is_not_found(client, auth):
    auth.login("animateur")
    assert client.post(ACTION.format(ref="inconnue"), data={"name": "X"}).status_code == 404


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_a_form_without_its_security_token_changes_nothing(client, auth, csrf_on):
    company = make_company()
    auth.login("animateur")
    page = _record(company)
    token = csrf_token_from(html_of(client.get(page)))
    guard = read_guard_at(client, page, "/coordonnees")
    action = ACTION.format(ref=company.ref)
    refused = client.post(action, data={**staff_details_form(company, name="Autre nom"), **guard})
    assert refused.status_code in (400, 303)
    assert _stored(company.id)[0] == company.name and _entries(company.id) == []
    sent = {**staff_details_form(company, name="Autre nom"), **guard, "csrf_token": token}
    assert client.post(action, data=sent).status_code == 302
    assert _stored(company.id)[0] == "Autre nom"


def test_the_rule_names_a_provisional_company_the_staff_rename(app, auth):
    """A company only an unconfirmed public need knew of is the staff's own once they
    name it, as when they enter it: listed, with a ref made from its name."""
    member = auth.create("animateur")
    company = create_provisional(db.session, make_siret(), ARCACHON)
    data = staff_details_form(company, name="Ostréiculture Lafitte")
    changed = update_details(db.session, company, data, actor=member, staff=True)
    db.session.commit()
    assert set(changed) == {"name"}
    assert not is_provisional(company) and company.ref == "ent-ostreiculture-lafitte"


def test_the_owner_s_rule_still_leaves_the_registry_fields_alone(app):
    company = make_company()
    data = staff_details_form(
        company, name="Autre nom", siret=make_siret(), naf="01.11Z", address="2 rue"
    )
    changed = update_details(db.session, company, data, actor=None, said_by_owner="a@b.fr")
    assert set(changed) == {"address"}


def test_a_siret_taken_meanwhile_is_refused_by_the_unique_index(app, auth, monkeypatch):
    """Two requests giving one SIRET at the same instant: the second is refused in
    French (the unique index), its savepoint rolled back."""
    from connectences.prospection import companies

    member = auth.create("animateur")
    company, other = make_company(), make_company(name="Garage des Pins")
    real, calls = companies.siret_taken, []

    def checked_before_the_other_request(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(companies, "siret_taken", checked_before_the_other_request)
    with pytest.raises(companies.CompanyError) as refused:
        update_details(
            db.session,
            company,
            staff_details_form(company, siret=other.siret),
            actor=member,
            staff=True,
        )
    assert "« Garage des Pins »" in refused.value.errors["siret"] and len(calls) == 2
    db.session.rollback()
    assert _stored(company.id)[1] != other.siret and _entries(company.id) == []
