"""The company directory through the web client: list and filters, creation with dedup,
the company page (contacts, preferences, pressure figures, one timeline of every
contact, its needs), newsletters recorded, and who may open it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from connectences import vocab
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import (
    AuditLog,
    Company,
    CompanyContact,
    CompanyMailing,
    Lead,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Referral,
)
from connectences.prospection.companies import siret_display
from tests import factories
from tests.helpers import (
    add_visit,
    audit_entries,
    count,
    element_by_id,
    error_of,
    flashes_in,
    html_of,
    make_company,
    on_day,
    page_text,
    page_text_of,
    read_guard_at,
    read_stamp_at,
    stamp_in,
    top_flashes,
)

TODAY = local_today()


@pytest.fixture(autouse=True)
def _on_today():
    """TODAY is read once, at import: the tests run on that day, midnight or not."""
    with on_day(TODAY):
        yield


BASE = "/animateur/entreprises"


# --- list ---------------------------------------------------------------------------------


def test_list_search_and_filters(client, auth):
    auth.login("animateur")
    make_company(name="Le Bistrot du Port", commune="33009", naf="56.10A")
    make_company(name="Boulangerie d'Andernos", commune="33005", naf="10.71C")
    make_company(name="Scierie du Val", commune="33436", naf="16.10A")
    body = page_text(client.get(BASE))
    assert "3 entreprises" in body
    assert "56.10A — Restauration traditionnelle" in body

    def names(**query):
        page = page_text(client.get(BASE, query_string=query))
        return [
            n
            for n in ("Le Bistrot du Port", "Boulangerie d'Andernos", "Scierie du Val")
            if n in page
        ]

    assert names(q="bistrot") == ["Le Bistrot du Port"]
    assert names(intercommunalite=factories.COBAN) == ["Boulangerie d'Andernos"]
    assert names(commune="33436") == ["Scierie du Val"]
    assert names(naf="10") == ["Boulangerie d'Andernos"]
    assert names(naf="5610a") == ["Le Bistrot du Port"]


def test_list_paginates(client, auth):
    auth.login("animateur")
    factories.load(
        factories.document(
            companies=[factories.company(name=f"Entreprise {i:02d}") for i in range(30)]
        )
    )
    first = page_text(client.get(BASE))
    assert "Page 1 sur 2" in first and "Entreprise 00" in first and "Entreprise 29" not in first
    second = page_text(client.get(BASE, query_string={"page": 2}))
    assert "Entreprise 29" in second and "Entreprise 00" not in second


# --- creation -----------------------------------------------------------------------------


def test_create_then_existing_siret_opens_the_company(client, auth):
    auth.login("animateur")
    siret = factories.make_siret()
    data = {
        "name": "Atelier Vélo",
        "siret": siret,
        "commune": "La Teste-de-Buch",
        "naf": "47.64Z",
        "employees": "2",
        "newsletter_consent": "1",
        "max_contacts_per_month": "2",
    }
    response = client.post(f"{BASE}/nouvelle", data=data)
    company = db.session.scalar(select(Company))
    assert response.headers["Location"].endswith(f"{BASE}/{company.ref}")
    assert (company.commune, company.naf, company.employees, company.newsletter_consent) == (
        "33529",
        "47.64Z",
        2,
        True,
    )
    assert company.max_contacts_per_month == 2
    again = client.post(f"{BASE}/nouvelle", data={**data, "name": "Autre nom"})
    assert again.headers["Location"].endswith(f"{BASE}/{company.ref}")
    assert count(Company) == 1
    assert "Ce SIRET est déjà enregistré" in page_text(client.get(again.headers["Location"]))


def test_create_refuses_bad_input_with_every_message(client, auth):
    auth.login("animateur")
    response = client.post(
        f"{BASE}/nouvelle",
        data={"name": "X", "siret": "12345678901234", "commune": "Atlantide", "naf": "00.00Z"},
    )
    assert response.status_code == 422
    body = page_text(response)
    assert "rien n'a été enregistré" in body.lower()
    assert "Atlantide" in error_of(response, "commune")
    assert "la clé de contrôle ne correspond pas" in body
    assert "Commune inconnue : « Atlantide »" in body
    assert "Code NAF inconnu" in body
    assert count(Company) == 0


def test_create_takes_the_company_s_phone_and_website_or_says_what_is_wrong(client, auth):
    auth.login("animateur")
    data = {
        "name": "Atelier Vélo",
        "siret": factories.make_siret(),
        "commune": "La Teste-de-Buch",
        "phone": "056",
        "website": "ftp://atelier-velo.fr",
    }
    refused = client.post(f"{BASE}/nouvelle", data=data)
    assert refused.status_code == 422
    assert (
        "« 056 » n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78)."
        in error_of(refused, "phone")
    )
    assert "n'est pas l'adresse d'un site web" in error_of(refused, "website")
    assert 'value="056"' in html_of(refused) and 'value="ftp://atelier-velo.fr"' in html_of(refused)
    assert count(Company) == 0
    done = client.post(
        f"{BASE}/nouvelle", data={**data, "phone": "05 56 66 00 11", "website": "atelier-velo.fr"}
    )
    assert done.status_code == 302
    company = db.session.scalar(select(Company))
    assert (company.phone, company.website) == ("0556660011", "https://atelier-velo.fr")


# --- the company page -----------------------------------------------------------------------


@pytest.fixture
def full_company(auth):
    """A company with a visit, a newsletter, a need, a lead and a referral."""
    me = auth.login("animateur", full_name="Léa Martin")
    op, partner = (
        factories.operator(name="GE Bassin Emploi"),
        factories.partner(name="France Travail Arcachon"),
    )
    comp = factories.company(name="Le Bistrot du Port", naf="56.10A")
    need = factories.need(company=comp["ref"], title="Plonge le week-end")
    factories.load(
        factories.document(operators=[op], partners=[partner], companies=[comp], needs=[need])
    )
    company = db.session.scalar(select(Company).where(Company.ref == comp["ref"]))
    need_row = db.session.scalar(select(Need).where(Need.ref == need["ref"]))
    operator = db.session.scalar(select(Operator).where(Operator.ref == op["ref"]))
    partner_row = db.session.scalar(select(Partner).where(Partner.ref == partner["ref"]))

    def at(days):
        return datetime.combine(TODAY - timedelta(days=days), time(10), tzinfo=UTC)

    add_visit(
        company,
        me,
        TODAY - timedelta(days=40),
        channel="telephone",
        topics=["formation"],
        outcome="information_donnee",
        notes="Appel de présentation.",
    )
    db.session.add(
        CompanyMailing(company_id=company.id, subject="Lettre de printemps", sent_at=at(35))
    )
    lead = Lead(operator_id=operator.id, created_by_id=me.id, created_at=at(12))
    lead.needs = [LeadNeed(need=need_row)]
    db.session.add(lead)
    db.session.add(
        Referral(
            partner_id=partner_row.id, need_id=need_row.id, created_by_id=me.id, created_at=at(5)
        )
    )
    db.session.commit()
    return company, need_row


def test_company_page_shows_details_pressure_timeline_and_needs(client, full_company):
    company, need = full_company
    page = client.get(f"{BASE}/{company.ref}")
    assert page.status_code == 200
    body = page_text(page)
    assert f"SIRET {siret_display(company.siret)}" in body and f"SIREN {company.siren}" in body
    assert company.siret not in body
    assert "56.10A — Restauration traditionnelle" in body
    assert "Intercommunalité COBAS" in body
    # Pressure: the referral 5 days ago is the last contact; 2 contacts within 30 days.
    assert "Dernier contact" in body and "il y a 5 jours" in body
    assert "Orientation vers un partenaire" in body
    assert "Contacts sur 30 jours 2" in body
    assert "Attention : entreprise déjà contactée récemment" in body
    # One timeline with every kind of contact, newest first.
    history = body[body.index("Historique des contacts") :]
    positions = [
        history.index("Orientation vers un partenaire"),
        history.index("Proposition à un opérateur"),
        history.index("Lettre d'information : Lettre de printemps"),
        history.index("Appel de présentation."),
    ]
    assert positions == sorted(positions)
    assert "Besoin enregistré" in history and "(non compté comme sollicitation)" in history
    # Who sent them, said of the proposition and of the orientation, not of the
    # organisation: « GE Bassin Emploi (envoyé par …) », « France Travail (orienté par …) ».
    assert "GE Bassin Emploi (proposition envoyée par Léa Martin)" in history
    assert "France Travail Arcachon (orientation envoyée par Léa Martin)" in history
    # Its needs, with status and link.
    assert f'href="/animateur/besoins/{need.ref}"' in page.get_data(as_text=True)
    assert "Plonge le week-end — Nouveau" in body


@pytest.mark.parametrize("state", sorted(vocab.REFERRAL_STATUSES))
def test_the_history_says_a_referrals_state_of_the_orientation(client, full_company, state):
    """« Besoin « Plonge » orienté vers France Travail (envoyée) » read as said of the
    need: the referral's state names the orientation, as a lead's names the proposition."""
    company, need = full_company
    referral = db.session.scalar(select(Referral))
    referral.status = state
    db.session.commit()
    said = vocab.REFERRAL_STATUSES[state].lower()
    history = page_text(client.get(f"{BASE}/{company.ref}"))
    history = history[history.index("Historique des contacts") :]
    assert (
        f"Besoin « Plonge le week-end » orienté vers France Travail Arcachon "
        f"(état de l'orientation : {said})" in history
    )
    assert f"Arcachon ({said})" not in history


def test_a_company_followed_for_years_shows_its_needs_and_history_a_page_at_a_time(
    client, auth, monkeypatch
):
    # 600 visits and 400 needs of one company made a page of 1.9 MB on a region's data.
    monkeypatch.setattr("connectences.web.directory.SHOWN_PER_PAGE", 3)
    me = auth.login("animateur")
    comp = factories.company(name="Le Bistrot du Port")
    needs = [
        factories.need(company=comp["ref"], title=f"Besoin {word}")
        for word in ("alpha", "bravo", "charlie", "delta")
    ]
    factories.load(factories.document(companies=[comp], needs=needs))
    company = db.session.scalar(select(Company).where(Company.ref == comp["ref"]))
    for days, note in ((40, "Premier appel"), (30, "Deuxième appel"), (20, "Troisième appel")):
        add_visit(company, me, TODAY - timedelta(days=days), notes=note)
    db.session.commit()
    url = f"{BASE}/{company.ref}"
    html = client.get(url).get_data(as_text=True)
    body = page_text_of(html)
    history = body[body.index("Historique des contacts") :]
    # Three visits and four needs recorded: seven contacts, the newest three shown.
    assert "(7 contacts, page 1 sur 3)" in history
    assert "Premier appel" not in history
    assert f'href="{url}?historique=2#historique" rel="next"' in html
    assert f'href="{url}?besoins=2#besoins" rel="next"' in html
    assert html.count('class="status status-nouveau"') == 3
    last = page_text(client.get(f"{url}?historique=3&besoins=2"))
    assert "Premier appel" in last[last.index("Historique des contacts") :]
    assert "page 3 sur 3" in last
    assert len([w for w in ("alpha", "bravo", "charlie", "delta") if f"Besoin {w} —" in last]) == 1


def test_a_company_with_hundreds_of_contacts_lists_them_a_page_at_a_time(client, auth, monkeypatch):
    # 400 contact persons, each with its edit and erasure forms, made a page of 1.4 MB
    # on a region's data: a page of them at a time, each form sent back to its page.
    monkeypatch.setattr("connectences.web.directory.SHOWN_PER_PAGE", 2)
    me = auth.login("animateur")
    company = make_company()
    for name in ("Alice Arnaud", "Bruno Bertin", "Chloé Castaing", "Denis Dupuy", "Emma Eymet"):
        db.session.add(CompanyContact(company_id=company.id, name=name))
    for days in (30, 20, 10):
        add_visit(company, me, TODAY - timedelta(days=days))
    db.session.commit()
    url = f"{BASE}/{company.ref}"
    html = client.get(url).get_data(as_text=True)
    contacts = page_text_of(html)
    contacts = contacts[contacts.index("Contacts") : contacts.index("Ajouter un contact")]
    assert "5 contacts, page 1 sur 3" in contacts
    assert "Alice Arnaud" in contacts and "Bruno Bertin" in contacts
    assert "Chloé Castaing" not in contacts
    assert f'href="{url}?contacts=2#contacts" rel="next"' in html
    # The second page of the contacts, the second of the history: each pager keeps the
    # other's page, and moves its own.
    second = client.get(f"{url}?contacts=2&historique=2").get_data(as_text=True)
    assert "Chloé Castaing" in second and "Alice Arnaud" not in second
    assert f'href="{url}?contacts=3&amp;historique=2#contacts" rel="next"' in second
    assert f'href="{url}?contacts=1&amp;historique=2#contacts" rel="prev"' in second
    assert f'href="{url}?historique=1&amp;contacts=2#historique" rel="prev"' in second
    # A contact edited on its page comes back to that page, the history's kept.
    chloe = db.session.scalar(select(CompanyContact).where(CompanyContact.name == "Chloé Castaing"))
    action = f"{url}/contacts/{chloe.id}?contacts=2&historique=2"
    assert f'action="{action.replace("&", "&amp;")}#erreurs-contact-{chloe.id}"' in second
    stamp = stamp_in(second, action)
    saved = client.post(action, data={"name": "Chloé Castaing", "role": "Gérante", "lu_le": stamp})
    assert saved.headers["Location"] == f"{url}?contacts=2&historique=2#contacts"
    # Refused, the same page again, with the contact's form and its error.
    again = client.get(saved.headers["Location"])
    bad = client.post(action, data={"name": "", "lu_le": stamp_in(again, action)})
    assert bad.status_code == 422
    assert "Indiquez le nom de la personne" in error_of(bad, f"nom-{chloe.id}")
    # A contact added is shown on the last page, where it is listed.
    added = client.post(f"{url}/contacts?historique=2", data={"name": "Fanny Fargues"})
    assert added.headers["Location"] == f"{url}?historique=2&contacts=3#contacts"
    assert "Fanny Fargues" in page_text(client.get(f"{url}?contacts=3"))


def test_unknown_company_is_404(client, auth):
    auth.login("animateur")
    assert client.get(f"{BASE}/inconnue").status_code == 404


def test_contacts_add_and_edit(client, auth):
    auth.login("animateur")
    company = make_company()
    response = client.post(
        f"{BASE}/{company.ref}/contacts",
        data={
            "name": "Sylvie Lafitte",
            "role": "Gérante",
            "phone": "05 56 00 00 00",
            "email": "s@exemple.fr",
        },
    )
    assert response.status_code == 302
    contact = db.session.scalar(select(CompanyContact))
    # Stored in the one national form every form uses (contacts.clean_phone).
    assert (contact.name, contact.role, contact.phone, contact.email) == (
        "Sylvie Lafitte",
        "Gérante",
        "0556000000",
        "s@exemple.fr",
    )
    bad = client.post(f"{BASE}/{company.ref}/contacts", data={"name": "", "email": "faux"})
    assert bad.status_code == 422
    assert "Indiquez le nom de la personne" in error_of(bad, "contact-nom")
    assert "Adresse e-mail invalide" in error_of(bad, "contact-email")
    assert 'value="faux"' in html_of(bad)
    assert count(CompanyContact) == 1
    client.post(
        f"{BASE}/{company.ref}/contacts/{contact.id}",
        data={
            "name": "Sylvie Lafitte",
            "role": "Co-gérante",
            "phone": "",
            "email": "",
            "lu_le": read_stamp_at(client, f"{BASE}/{company.ref}", f"/contacts/{contact.id}"),
        },
    )
    db.session.expire_all()
    assert db.session.get(CompanyContact, contact.id).role == "Co-gérante"
    other = make_company()
    assert (
        client.post(f"{BASE}/{other.ref}/contacts/{contact.id}", data={"name": "X"}).status_code
        == 404
    )


def test_preferences_change_the_guard(client, auth):
    auth.login("animateur")
    company = make_company()
    response = client.post(
        f"{BASE}/{company.ref}/preferences",
        data={
            "do_not_solicit": "1",
            "newsletter_consent": "1",
            "max_contacts_per_month": "3",
            "lu_le": read_stamp_at(client, f"{BASE}/{company.ref}"),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.do_not_solicit, stored.newsletter_consent, stored.max_contacts_per_month) == (
        True,
        True,
        3,
    )
    body = page_text(client.get(f"{BASE}/{company.ref}"))
    assert "Contact impossible" in body and "0 sur 3 acceptés par l'entreprise" in body
    stamp = read_stamp_at(client, f"{BASE}/{company.ref}")
    bad = client.post(
        f"{BASE}/{company.ref}/preferences", data={"max_contacts_per_month": "99", "lu_le": stamp}
    )
    assert bad.status_code == 422
    assert "de 1 à 31" in error_of(bad, "max_contacts_per_month")
    db.session.expire_all()
    assert db.session.get(Company, company.id).max_contacts_per_month == 3
    # What was sent comes back as it was sent (the boxes unticked, "99"), not as stored.
    form = html_of(bad).split('id="titre-preferences"', 1)[1].split("</form>", 1)[0]
    assert 'value="99"' in form and "checked" not in form
    assert db.session.scalar(
        select(AuditLog.action).where(AuditLog.action == "company.preferences")
    )


def test_preferences_saved_from_a_page_read_before_another_save_are_refused(app, client, auth):
    # Two animateurs have the company's page open: the first records the monthly cap,
    # the second the newsletter consent; the second save must not take the cap away.
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    company = make_company(name="Au Fournil d'Andernos")
    page = f"{BASE}/{company.ref}"
    first, second = read_stamp_at(client, page), read_stamp_at(other, page)
    saved = client.post(f"{page}/preferences", data={"max_contacts_per_month": "2", "lu_le": first})
    assert saved.status_code == 302
    refused = other.post(f"{page}/preferences", data={"newsletter_consent": "1", "lu_le": second})
    assert refused.status_code == 422
    said = page_text(refused)
    assert "modifiée par quelqu'un d'autre" in said and "Rien n'a été enregistré" in said
    assert "La fiche d'Au Fournil d'Andernos a été modifiée" in said  # elided before a vowel
    assert "au plus 2 contacts par mois ; lettre d'information : non" in said
    form = html_of(refused).split('id="titre-preferences"', 1)[1].split("</form>", 1)[0]
    assert 'id="newsletter_consent" name="newsletter_consent" value="1" checked' in form
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.newsletter_consent, stored.max_contacts_per_month) == (False, 2)
    assert len(audit_entries("company.preferences")) == 1
    # Sent again from the page given back, once read: saved.
    again = {"newsletter_consent": "1", "max_contacts_per_month": "2"}
    again["lu_le"] = stamp_in(refused)
    assert other.post(f"{page}/preferences", data=again).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.newsletter_consent, stored.max_contacts_per_month) == (True, 2)


def test_a_contact_saved_from_a_page_read_before_another_save_is_refused(app, client, auth):
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    company = make_company()
    contact = CompanyContact(company=company, name="Sylvie Lafitte", phone="0556000000")
    db.session.add(contact)
    db.session.commit()
    page, contact_id = f"{BASE}/{company.ref}", contact.id
    own = f"/contacts/{contact_id}"
    first, second = read_stamp_at(client, page, own), read_stamp_at(other, page, own)
    typed = {"name": "Sylvie Lafitte", "phone": "05 56 00 00 00"}
    saved = client.post(
        f"{page}/contacts/{contact_id}", data={**typed, "role": "Gérante", "lu_le": first}
    )
    assert saved.status_code == 302
    refused = other.post(
        f"{page}/contacts/{contact_id}",
        data={**typed, "email": "sylvie@exemple.fr", "lu_le": second},
    )
    assert refused.status_code == 422
    said = page_text(refused)
    assert "modifiée par quelqu'un d'autre" in said
    assert "Ce contact est maintenant : Sylvie Lafitte, Gérante, 05 56 00 00 00." in said
    assert 'value="sylvie@exemple.fr"' in html_of(refused)  # what was typed is kept
    db.session.expire_all()
    stored = db.session.get(CompanyContact, contact_id)
    assert (stored.role, stored.email) == ("Gérante", None)
    assert len(audit_entries("company.contact_edit")) == 1
    # Without a stamp, or with one that reads as none: refused too.
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = {**typed, "email": "sylvie@exemple.fr"}
        if stamp is not None:
            data["lu_le"] = stamp
        assert client.post(f"{page}/contacts/{contact_id}", data=data).status_code == 422
    db.session.expire_all()
    assert db.session.get(CompanyContact, contact_id).email is None


def test_a_contact_sent_again_as_typed_holds_what_was_stored_another_way(app, client, auth):
    # A contact stored as another way in wrote it (« 05 56 00 00 00 », an address in
    # capitals, two spaces in the name), stamped since the page was read: the same
    # details typed again are the same once cleaned, nothing to lose, saved.
    auth.login("animateur")
    company = make_company()
    contact = CompanyContact(
        company=company,
        name="Sylvie  Lafitte",
        role="Gérante",
        phone="05 56 00 00 00",
        email="Sylvie.Lafitte@Exemple.fr",
    )
    db.session.add(contact)
    db.session.commit()
    page, contact_id = f"{BASE}/{company.ref}", contact.id
    stamp = read_stamp_at(client, page, f"/contacts/{contact_id}")
    contact.updated_at = contact.updated_at + timedelta(seconds=1)  # saved meanwhile
    db.session.commit()
    typed = {
        "name": "Sylvie Lafitte",
        "role": "Gérante",
        "phone": "05.56.00.00.00",
        "email": " sylvie.lafitte@exemple.fr ",
    }
    saved = client.post(f"{page}/contacts/{contact_id}", data={**typed, "lu_le": stamp})
    assert saved.status_code == 302, page_text(saved)
    db.session.expire_all()
    stored = db.session.get(CompanyContact, contact_id)
    assert (stored.phone, stored.email) == ("0556000000", "sylvie.lafitte@exemple.fr")
    # Another number from that reading is still a change made meanwhile: refused.
    refused = client.post(
        f"{page}/contacts/{contact_id}", data={**typed, "phone": "05 56 00 00 01", "lu_le": stamp}
    )
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(CompanyContact, contact_id).phone == "0556000000"


def test_each_contact_is_guarded_by_its_own_stamp(app, client, auth):
    """Two animateurs edit two contacts of one company, a third its preferences, all
    from pages read before: nothing is lost, nothing refused. One contact saved twice
    from one reading with other values: the second refused, nothing written."""
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    company = make_company()
    db.session.add_all(
        [
            CompanyContact(company=company, name="Sylvie Lafitte", phone="0556000000"),
            CompanyContact(company=company, name="Marc Dupuy"),
        ]
    )
    db.session.commit()
    page = f"{BASE}/{company.ref}"
    first, second = (c.id for c in company.contacts)
    stamp_a = read_stamp_at(client, page, f"/contacts/{first}")
    stamp_b = read_stamp_at(other, page, f"/contacts/{second}")
    prefs = read_stamp_at(client, page, "/preferences")
    sent = client.post(f"{page}/preferences", data={"max_contacts_per_month": "2", "lu_le": prefs})
    assert sent.status_code == 302
    typed_a = {"name": "Sylvie Lafitte", "role": "Gérante", "phone": "05 56 00 00 00"}
    assert (
        client.post(f"{page}/contacts/{first}", data={**typed_a, "lu_le": stamp_a}).status_code
        == 302
    )
    typed_b = {"name": "Marc Dupuy", "email": "marc@exemple.fr", "lu_le": stamp_b}
    assert other.post(f"{page}/contacts/{second}", data=typed_b).status_code == 302
    db.session.expire_all()
    stored = [(c.role, c.email) for c in db.session.get(Company, company.id).contacts]
    assert stored == [("Gérante", None), (None, "marc@exemple.fr")]
    assert db.session.get(Company, company.id).max_contacts_per_month == 2
    # The first contact again from the same reading, another role: refused.
    refused = client.post(
        f"{page}/contacts/{first}", data={**typed_a, "role": "Associée", "lu_le": stamp_a}
    )
    assert refused.status_code == 422
    assert "Ce contact est maintenant : Sylvie Lafitte, Gérante, 05 56 00 00 00." in page_text(
        refused
    )
    assert 'value="Associée"' in html_of(refused)
    # Sent again as it was (a second tap): it holds that already, nothing to lose.
    again = client.post(f"{page}/contacts/{first}", data={**typed_a, "lu_le": stamp_a})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(CompanyContact, first).role == "Gérante"
    assert len(audit_entries("company.contact_edit")) == 3
    # Another company's contact, its own stamp in hand, through this company: not found.
    elsewhere = make_company()
    theirs = CompanyContact(company=elsewhere, name="Jean Castaing")
    db.session.add(theirs)
    db.session.commit()
    stamp = read_stamp_at(client, f"{BASE}/{elsewhere.ref}", f"/contacts/{theirs.id}")
    stolen = client.post(f"{page}/contacts/{theirs.id}", data={"name": "X", "lu_le": stamp})
    assert stolen.status_code == 404
    db.session.expire_all()
    assert db.session.get(CompanyContact, theirs.id).name == "Jean Castaing"


def test_preferences_sent_again_unchanged_are_not_refused(app, client, auth):
    """The company's form sent twice from one reading (a second tap, the browser's
    resend), or after a colleague saved the same values: nothing would be lost."""
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    company = make_company()
    page = f"{BASE}/{company.ref}"
    stamp, theirs = read_stamp_at(client, page), read_stamp_at(other, page)
    typed = {"newsletter_consent": "1", "max_contacts_per_month": "3"}
    assert client.post(f"{page}/preferences", data={**typed, "lu_le": stamp}).status_code == 302
    assert client.post(f"{page}/preferences", data={**typed, "lu_le": stamp}).status_code == 302
    assert other.post(f"{page}/preferences", data={**typed, "lu_le": theirs}).status_code == 302
    # Something else from that reading still is refused.
    changed = {**typed, "max_contacts_per_month": "4", "lu_le": theirs}
    assert other.post(f"{page}/preferences", data=changed).status_code == 422
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.newsletter_consent, stored.max_contacts_per_month) == (True, 3)
    assert len(audit_entries("company.preferences")) == 1


def test_newsletter_needs_consent_and_goes_through_the_guard(client, auth):
    auth.login("animateur")
    company = make_company()
    url = f"{BASE}/{company.ref}/lettre"
    refused = client.post(url, data={"subject": "Lettre de mai"})
    assert refused.status_code == 422
    assert "n'a pas accepté de recevoir la lettre" in page_text(refused)
    company.newsletter_consent = True
    db.session.commit()
    assert client.post(url, data={"subject": "Lettre de mai"}).status_code == 302
    assert count(CompanyMailing) == 1
    # A second one now: contacted within the window, confirmation needed.
    warned = client.post(url, data={"subject": "Lettre de juin"})
    assert warned.status_code == 409 and "Confirmation nécessaire" in page_text(warned)
    # The box to tick is the field in error, as on the visit form: the summary (which
    # takes the focus) links to it, the guard's reason beside it and tied to it.
    assert "Déjà contactée le" in error_of(warned, "confirmer-lettre")
    assert 'class="form-error" role="alert" tabindex="-1" id="confirmation-lettre"' in html_of(
        warned
    )
    # Nothing recorded: the page says so in its title too, as after any refused form.
    assert "<title>Erreur — " in warned.get_data(as_text=True)
    assert count(CompanyMailing) == 1
    assert client.post(url, data={"subject": "Lettre de juin", "confirmer": "1"}).status_code == 302
    assert count(CompanyMailing) == 2
    company.do_not_solicit = True
    db.session.commit()
    blocked = client.post(url, data={"subject": "Lettre de juillet", "confirmer": "1"})
    assert blocked.status_code == 409 and "ne plus être sollicitée" in page_text(blocked)
    assert count(CompanyMailing) == 2


def test_a_newsletter_refused_is_said_where_its_form_sends_the_browser(client, auth):
    """The newsletter form posts to #lettre (its heading) and the guard's refusal was
    drawn above that heading: at 390 px the page opened on the form again, the message
    « ne plus être sollicitée » out of view above it. The refusal now follows the
    heading; with the consent withdrawn meanwhile (no heading, no form) it is #lettre."""
    auth.login("animateur")
    company = make_company()
    company.newsletter_consent = True
    company.do_not_solicit = True
    db.session.commit()
    url = f"{BASE}/{company.ref}/lettre"
    blocked = client.post(url, data={"subject": "Lettre de juillet", "confirmer": "1"})
    assert blocked.status_code == 409
    html = html_of(blocked)
    at = html.index('id="lettre"')
    assert html.find('id="lettre-erreur"') > at
    assert "ne plus être sollicitée" in page_text_of(html[at:].split("<form")[0])
    company.newsletter_consent = False
    company.do_not_solicit = False
    db.session.commit()
    refused = client.post(url, data={"subject": "Lettre de juillet"})
    assert refused.status_code == 422
    assert "n'a pas accepté de recevoir la lettre" in page_text_of(
        element_by_id(html_of(refused), "lettre")
    )
    assert count(CompanyMailing) == 0


# --- permissions ------------------------------------------------------------------------------


@pytest.fixture
def some_company():
    return make_company()


def routes(ref):
    return [
        ("get", BASE),
        ("get", f"{BASE}/recherche?q=ent"),
        ("get", f"{BASE}/nouvelle"),
        ("get", f"{BASE}/{ref}"),
        ("post", f"{BASE}/{ref}/preferences"),
        ("post", f"{BASE}/{ref}/contacts"),
        ("post", f"{BASE}/{ref}/lettre"),
    ]


@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
def test_other_roles_are_refused_and_audited(client, auth, some_company, role):
    user = auth.login(role)
    for method, url in routes(some_company.ref):
        assert getattr(client, method)(url).status_code == 403, (role, url)
    refusals = db.session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "company_directory_access_refused", AuditLog.actor_id == user.id)
    )
    assert refusals == len(routes(some_company.ref))
    db.session.expire_all()
    assert db.session.get(Company, some_company.id).do_not_solicit is False


def test_anonymous_is_sent_to_login(client, some_company):
    for method, url in routes(some_company.ref):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["animateur", "admin"])
def test_animateur_and_admin_may_open_the_directory(client, auth, some_company, role):
    auth.login(role)
    for method, url in routes(some_company.ref)[:4]:
        assert getattr(client, method)(url).status_code == 200, url


def test_preferences_read_before_a_change_outside_them_are_saved_a_real_change_refused(
    app, client, auth
):
    # The page read, the company's contact address is corrected (outside the form): its
    # stamp moved, nothing the form edits changed, so the preferences lose nothing.
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    company = make_company(name="Au Fournil d'Andernos")
    page = f"{BASE}/{company.ref}"
    first = read_guard_at(client, page, "/preferences")
    second = read_guard_at(other, page, "/preferences")
    assert first.get("lu_valeurs")
    company.contact_email = "gerant@fournil.example"
    db.session.commit()
    assert company.updated_at.isoformat() != first["lu_le"]
    saved = client.post(f"{page}/preferences", data={"max_contacts_per_month": "2", **first})
    assert saved.status_code == 302
    # Read before that save, the other page's cap changed meanwhile: refused.
    refused = other.post(f"{page}/preferences", data={"newsletter_consent": "1", **second})
    assert refused.status_code == 422
    assert "modifiée par quelqu'un d'autre" in page_text(refused)
    form = html_of(refused).split('id="titre-preferences"', 1)[1].split("</form>", 1)[0]
    assert 'id="newsletter_consent" name="newsletter_consent" value="1" checked' in form
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.newsletter_consent, stored.max_contacts_per_month) == (False, 2)
    assert stored.contact_email == "gerant@fournil.example"


def test_each_action_on_the_company_says_it_is_done_in_its_own_section(client, auth):
    """Adding or changing a contact, the preferences, the company's details and a
    newsletter sent the browser to their section's anchor while their message was drawn
    at the top of the page, out of view on a phone: it is now inside that section."""
    auth.login("animateur")
    company = make_company()
    page = f"{BASE}/{company.ref}"
    person = {"name": "Sylvie Lafitte", "role": "Gérante", "phone": "", "email": ""}
    actions = [
        ("/contacts", lambda: person, "contacts", "Contact ajouté."),
        (
            "/contacts/{contact}",
            lambda: {
                **person,
                "role": "Co-gérante",
                "lu_le": read_stamp_at(
                    client, page, f"/contacts/{db.session.scalar(select(CompanyContact.id))}"
                ),
            },
            "contacts",
            "Contact modifié.",
        ),
        (
            "/coordonnees",
            lambda: {
                "name": company.name,
                "siret": company.siret,
                "commune": company.commune,
                "address": "3 rue du Port",
                **read_guard_at(client, page, "/coordonnees"),
            },
            "fiche",
            "Coordonnées de l'entreprise enregistrées.",
        ),
        (
            "/preferences",
            lambda: {"newsletter_consent": "1", **read_guard_at(client, page, "/preferences")},
            "preferences",
            "Préférences de contact enregistrées.",
        ),
        ("/lettre", lambda: {"subject": "Lettre de mai"}, "historique", "Envoi de la lettre"),
    ]
    for path, data, anchor, message in actions:
        contact = db.session.scalar(select(CompanyContact.id))
        response = client.post(page + path.format(contact=contact), data=data())
        assert response.status_code == 302 and response.location == f"{page}#{anchor}", path
        shown = client.get(response.location)
        assert message in flashes_in(shown, anchor), path
        assert message not in top_flashes(shown), path
