"""A company owner corrects their company's details ("Coordonnées de l'entreprise"), from
their account and from their space's signed link: through the staff's validators
(``companies.update_details``), recorded as changed by the owner, shown to the staff on
the company's history and in the audit log. Nobody else reaches the page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import AuditLog, Company, User
from connectences.prospection.companies import CompanyError, update_details
from connectences.prospection.pressure import COMPANY_DETAILS, company_timeline
from tests.fixtures_auth import csrf_token_from
from tests.helpers import html_of, make_company, page_text, read_guard_at, stamp_in
from tests.test_web_need_public import _post_and_confirm

GUJAN, ARCACHON, BORDEAUX = "33199", "33009", "33063"
CORRECTED = {
    "address": "  12   allée des Pins ",
    "commune": ARCACHON,
    "employees": "4",
    "contact_email": "Contact@Huitres-Dupont.fr",
}


def _details_of(company_id: int) -> tuple:
    db.session.expire_all()
    company = db.session.get(Company, company_id)
    return company.address, company.commune, company.employees, company.contact_email


def _entries(company_id: int) -> list[AuditLog]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditLog).where(
                AuditLog.action == COMPANY_DETAILS, AuditLog.entity_id == company_id
            )
        )
    )


def _as_read(client, page: str, data: dict) -> dict:
    """``data`` sent from the form of ``page`` as read now (its read guard)."""
    return {**data, **read_guard_at(client, page)}


def _space_page(client) -> tuple[Company, str, str]:
    """An owner's space (a need posted and confirmed) and its company details page."""
    need, space = _post_and_confirm(client)
    page = f"{space}/coordonnees/{need.company.ref}"
    assert page in html_of(client.get(space)), "the space offers the company's details"
    return need.company, space, page


def _own_company(auth) -> tuple[User, Company, str]:
    owner = auth.login("company", full_name="Sylvie Lafitte")
    company = db.session.get(User, owner.id).companies[0]
    return owner, company, f"/entreprise/coordonnees/{company.ref}"


# --- from the space's link ------------------------------------------------------------


def test_the_owner_corrects_them_through_their_link_and_the_staff_see_it(client, auth, app):
    company, space, page = _space_page(client)
    assert company.commune == GUJAN and company.address is None
    form = client.get(page)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    text = page_text(form)
    assert "Coordonnées de l'entreprise" in text and "Adresse de l'établissement" in text
    # What the owner may not change here is said, and not offered.
    assert "son SIRET et son code NAF viennent du répertoire" in text
    assert 'name="siret"' not in html_of(form) and 'name="name"' not in html_of(form)
    assert 'name="do_not_solicit"' not in html_of(form)
    # The current values, the Pays' communes only.
    assert f'<option value="{GUJAN}" selected>' in html_of(form)
    assert f'value="{BORDEAUX}"' not in html_of(form)

    done = client.post(page, data=_as_read(client, page, CORRECTED))
    assert done.status_code == 302 and done.location == f"{space}#contenu"
    assert _details_of(company.id) == (
        "12 allée des Pins",
        ARCACHON,
        4,
        "contact@huitres-dupont.fr",
    )
    assert "Les coordonnées d'Huîtres Dupont sont enregistrées." in page_text(client.get(space))
    (entry,) = _entries(company.id)
    assert entry.actor_id is None
    assert entry.details["said_by_owner"] == "claire@huitres-dupont.fr"
    assert entry.details["before"] == {
        "address": None,
        "commune": GUJAN,
        "employees": None,
        "contact_email": None,
    }
    assert entry.details["after"]["commune"] == ARCACHON
    # The form shows what is stored now.
    assert f'<option value="{ARCACHON}" selected>' in html_of(client.get(page))

    [changed] = [e for e in company_timeline(db.session, company.id) if e.kind == "coordonnees"]
    assert not changed.counted
    assert changed.by == "le dirigeant (espace entreprise) : claire@huitres-dupont.fr"
    assert changed.summary == (
        "Adresse : (vide) → « 12 allée des Pins » ; commune : Gujan-Mestras (33470) → "
        "Arcachon (33120) ; salariés : (vide) → 4 ; e-mail de l'entreprise : (vide) → "
        "contact@huitres-dupont.fr"
    )
    auth.login("animateur")
    staff = page_text(client.get(f"/animateur/entreprises/{company.ref}"))
    assert "le dirigeant (espace entreprise) : claire@huitres-dupont.fr" in staff
    assert "Gujan-Mestras (33470) → Arcachon (33120)" in staff
    admin = app.test_client()
    auth.login("admin", client=admin)
    log = page_text(admin.get(f"/admin/journal?action={COMPANY_DETAILS}"))
    assert "Coordonnées d'une entreprise modifiées" in log


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "pas-une-adresse", "Adresse e-mail invalide : « pas-une-adresse »."),
        ("employees", "-3", "L'effectif est un nombre entier de salariés (0 ou plus)."),
        ("employees", "beaucoup", "L'effectif est un nombre entier de salariés (0 ou plus)."),
        ("address", "x" * 301, "L'adresse"),
        ("commune", "", "Indiquez la commune de l'établissement."),
        ("commune", "99999", "Commune inconnue"),
        ("commune", BORDEAUX, "Choisissez une commune du Pays Bassin d'Arcachon"),
        (
            "phone",
            "06 12",
            "« 06 12 » n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78).",
        ),
        # The owner who left out the leading 0 is told so, as every other phone field does.
        (
            "phone",
            "6 12 34 56 78",
            "il manque un chiffre. S'il manque le 0 du début, écrivez 06 12 34 56 78.",
        ),
        # The owner who left out the name's end: no link leading nowhere.
        ("website", "www.aufournil", "il manque la fin du nom du site"),
        ("website", "javascript:alert(1)", "n'est pas l'adresse d'un site web"),
        ("website", "data:text/html;base64,PHN2Zz4=", "n'est pas l'adresse d'un site web"),
        ("website", "https://huitres.fr@autre.example", "identifiant avant le nom du site"),
    ],
)
def test_bad_input_changes_nothing(client, field, value, message):
    company, _space, page = _space_page(client)
    before = _details_of(company.id)
    sent = client.post(page, data=_as_read(client, page, {**CORRECTED, field: value}))
    assert sent.status_code == 422
    assert message in page_text(sent)
    assert _details_of(company.id) == before and _entries(company.id) == []
    # Sent back as typed.
    typed = value if field in ("address", "phone", "website") else CORRECTED["address"]
    assert f'value="{typed}"' in html_of(sent) or field == "commune"


def test_the_owner_gives_the_company_s_phone_and_website(client, auth):
    company, space, page = _space_page(client)
    form = html_of(client.get(page))
    assert 'name="phone"' in form and 'name="website"' in form
    sent = {**CORRECTED, "phone": "+33 5 56 12 34 56", "website": "huitres-dupont.fr"}
    assert client.post(page, data=_as_read(client, page, sent)).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.phone, stored.website) == ("0556123456", "https://huitres-dupont.fr")
    # Shown back as people read them.
    form = html_of(client.get(page))
    assert 'value="05 56 12 34 56"' in form and 'value="https://huitres-dupont.fr"' in form
    (entry,) = _entries(company.id)
    assert entry.details["said_by_owner"] == "claire@huitres-dupont.fr"
    assert (entry.details["before"]["phone"], entry.details["after"]["phone"]) == (
        None,
        "0556123456",
    )
    assert entry.details["after"]["website"] == "https://huitres-dupont.fr"
    [changed] = [e for e in company_timeline(db.session, company.id) if e.kind == "coordonnees"]
    assert changed.summary.endswith(
        "téléphone de l'entreprise : (vide) → 05 56 12 34 56 ; "
        "site web : (vide) → https://huitres-dupont.fr"
    )
    # The staff see them on the company's record and its history.
    auth.login("animateur")
    staff = html_of(client.get(f"/animateur/entreprises/{company.ref}"))
    assert '<a href="tel:0556123456">05 56 12 34 56</a>' in staff
    assert 'href="https://huitres-dupont.fr" rel="noopener noreferrer nofollow"' in staff


def test_every_error_at_once_each_value_back_as_typed(client):
    company, _space, page = _space_page(client)
    before = _details_of(company.id)
    bad = {**CORRECTED, "employees": "x", "phone": "123", "website": "mailto:a@b.fr"}
    sent = client.post(page, data=_as_read(client, page, bad))
    assert sent.status_code == 422
    said = page_text(sent)
    assert "« 123 » n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78)." in said
    assert "« mailto:a@b.fr » n'est pas l'adresse d'un site web" in said
    assert "L'effectif est un nombre entier" in said
    for typed in ("x", "123", "mailto:a@b.fr"):
        assert f'value="{typed}"' in html_of(sent), typed
    assert _details_of(company.id) == before and _entries(company.id) == []


def test_the_same_details_again_change_nothing_and_log_nothing(client):
    company, space, page = _space_page(client)
    client.post(page, data=_as_read(client, page, CORRECTED))
    again = client.post(page, data=_as_read(client, page, CORRECTED), follow_redirects=True)
    assert "Rien n'a changé dans les coordonnées d'Huîtres Dupont." in page_text(again)
    assert len(_entries(company.id)) == 1
    # A second change: the history shows the newest first, within the same day too.
    client.post(page, data=_as_read(client, page, {**CORRECTED, "address": "3 rue Neuve"}))
    changes = [e for e in company_timeline(db.session, company.id) if e.kind == "coordonnees"]
    assert [e.summary for e in changes] == [
        "Adresse : « 12 allée des Pins » → « 3 rue Neuve »",
        "Adresse : (vide) → « 12 allée des Pins » ; commune : Gujan-Mestras (33470) → "
        "Arcachon (33120) ; salariés : (vide) → 4 ; e-mail de l'entreprise : (vide) → "
        "contact@huitres-dupont.fr",
    ]


def test_details_read_before_another_save_are_refused(client, app):
    company, _space, page = _space_page(client)
    other = app.test_client()
    first, second = read_guard_at(client, page), read_guard_at(other, page)
    assert client.post(page, data={**CORRECTED, **first}).status_code == 302
    refused = other.post(page, data={**CORRECTED, "address": "3 rue Neuve", **second})
    assert refused.status_code == 422
    said = page_text(refused)
    assert "modifiée par quelqu'un d'autre" in said and "Rien n'a été enregistré" in said
    assert "maintenant : adresse : « 12 allée des Pins »" in said
    assert _details_of(company.id)[0] == "12 allée des Pins"
    # Sent again once read: saved.
    again = {**CORRECTED, "address": "3 rue Neuve", "lu_le": stamp_in(refused)}
    again["lu_valeurs"] = read_guard_at(other, page)["lu_valeurs"]
    assert other.post(page, data=again).status_code == 302
    assert _details_of(company.id)[0] == "3 rue Neuve"
    # Without a stamp: refused, nothing changed.
    assert client.post(page, data={**CORRECTED, "address": "Autre"}).status_code == 422
    assert _details_of(company.id)[0] == "3 rue Neuve"


def test_another_address_link_reaches_no_other_company(client, app):
    company, _space, _page = _space_page(client)
    other = app.test_client()
    need, other_space = _post_and_confirm(
        other, owner_email="marc@garage-pins.fr", company_name="Garage des Pins"
    )
    assert need.company_id != company.id
    stolen = f"{other_space}/coordonnees/{company.ref}"
    assert other.get(stolen).status_code == 404
    own_page = f"{other_space}/coordonnees/{need.company.ref}"
    assert other.post(stolen, data=_as_read(other, own_page, CORRECTED)).status_code == 404
    assert _details_of(company.id)[0] is None and _entries(company.id) == []


def test_an_unattached_author_does_not_correct_the_company(client, app):
    """Anyone may type a known company's SIRET: their space gives them no say on the
    company's details."""
    company, _space, _page = _space_page(client)
    stranger = app.test_client()
    _need, space = _post_and_confirm(
        stranger, owner_email="intrus@exemple.fr", siret=company.siret, title="Autre"
    )
    assert "/coordonnees/" not in html_of(stranger.get(space))
    page = f"{space}/coordonnees/{company.ref}"
    assert stranger.get(page).status_code == 404
    assert stranger.post(page, data=CORRECTED).status_code == 404
    assert _details_of(company.id)[0] is None and _entries(company.id) == []


def test_a_forged_token_is_refused(client):
    company, space, page = _space_page(client)
    token = space.rsplit("/", 1)[1]
    forged = page.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert client.post(forged, data=CORRECTED).status_code == 403
    assert _details_of(company.id)[0] is None and _entries(company.id) == []


# --- from the account -----------------------------------------------------------------


def test_the_owner_corrects_them_from_their_account(client, auth):
    owner, company, page = _own_company(auth)
    assert page in html_of(client.get("/entreprise"))
    done = client.post(page, data=_as_read(client, page, {**CORRECTED, "commune": company.commune}))
    assert done.status_code == 302 and done.location == "/entreprise#contenu"
    assert _details_of(company.id)[0] == "12 allée des Pins"
    (entry,) = _entries(company.id)
    assert entry.actor_id == owner.id and entry.details["said_by_owner"] == owner.email


def test_a_commune_outside_the_pays_the_staff_recorded_is_kept(client, auth):
    """The staff may record a company outside the Pays: its owner correcting the address
    keeps it, and is offered it, but cannot move a company out of the Pays."""
    _owner, company, page = _own_company(auth)
    company.commune = BORDEAUX
    db.session.commit()
    assert f'<option value="{BORDEAUX}" selected>' in html_of(client.get(page))
    kept = {**CORRECTED, "commune": BORDEAUX}
    assert client.post(page, data=_as_read(client, page, kept)).status_code == 302
    assert _details_of(company.id)[:2] == ("12 allée des Pins", BORDEAUX)


def test_wrong_users_are_refused(client, auth, app):
    _owner, company, page = _own_company(auth)
    company.phone, company.website = "0556987654", "https://www.secret-atelier.fr"
    db.session.commit()
    other = app.test_client()
    other_owner = auth.login("company", client=other)
    refused = other.get(page)
    assert refused.status_code == 404
    assert "0556987654" not in html_of(refused) and "secret-atelier" not in html_of(refused)
    # Nor on their own company's page.
    own = db.session.get(User, other_owner.id).companies[0]
    assert own.id != company.id
    theirs = html_of(other.get(f"/entreprise/coordonnees/{own.ref}"))
    assert "98 76 54" not in theirs and "secret-atelier" not in theirs
    assert other.post(page, data=CORRECTED).status_code == 404
    for role in ("animateur", "candidate", "operator", "partner", "territoire", "admin"):
        someone = app.test_client()
        auth.login(role, client=someone)
        assert someone.get(page).status_code == 403, role
        assert someone.post(page, data=CORRECTED).status_code == 403, role
    anonymous = app.test_client()
    assert anonymous.post(page, data=CORRECTED).status_code in (302, 401)
    assert make_company().ref != company.ref  # a company nobody owns
    assert _details_of(company.id)[0] != "12 allée des Pins" and _entries(company.id) == []
    assert db.session.get(Company, company.id).phone == "0556987654"


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_a_form_without_its_security_token_changes_nothing(client, auth, csrf_on):
    _owner, company, page = _own_company(auth)
    token = csrf_token_from(html_of(client.get(page)))
    assert token
    refused = client.post(page, data=_as_read(client, page, CORRECTED))
    assert refused.status_code in (400, 303)
    assert _details_of(company.id)[0] is None and _entries(company.id) == []
    sent = _as_read(client, page, {**CORRECTED, "commune": company.commune, "csrf_token": token})
    assert client.post(page, data=sent).status_code == 302
    assert _details_of(company.id)[0] == "12 allée des Pins"


def test_the_space_form_with_an_expired_token_is_shown_again_as_sent(client, app, monkeypatch):
    company, _space, page = _space_page(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = client.post(page, data=_as_read(client, page, CORRECTED))
    assert refused.status_code == 400
    assert 'value="  12   allée des Pins "' in html_of(refused)
    assert _details_of(company.id)[0] is None and _entries(company.id) == []


# --- the rule itself ------------------------------------------------------------------


def test_the_rule_changes_only_the_owner_fields(app):
    company = make_company()
    name, siret, naf = company.name, company.siret, company.naf
    data = {
        **CORRECTED,
        "commune": company.commune,
        "name": "Autre nom",
        "siret": "73282932000074",
        "naf": "01.11Z",
        "do_not_solicit": "1",
    }
    changed = update_details(db.session, company, data, actor=None, said_by_owner="a@b.fr")
    db.session.commit()
    assert set(changed) == {"address", "employees", "contact_email"}
    assert (company.name, company.siret, company.naf) == (name, siret, naf)
    assert company.do_not_solicit is False
    with pytest.raises(CompanyError):
        update_details(db.session, company, {"commune": ""}, actor=None)
