"""Logging a visit through the web client (find or create the company, the contact-pressure
warning and refusals, need detected), "Mes relances", the visits list and its export,
and who may open these pages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import AuditLog, Company, Visit
from connectences.prospection.companies import siret_display
from connectences.tabular import read_table
from tests import factories
from tests.helpers import (
    add_visit,
    count,
    dates_without_format,
    element_by_id,
    error_of,
    flashes_in,
    html_of,
    make_company,
    on_day,
    page_text,
    page_text_of,
    read_stamp_at,
    top_flashes,
)

TODAY = local_today()


@pytest.fixture(autouse=True)
def _on_today():
    """TODAY is read once, at import: the tests run on that day, midnight or not."""
    with on_day(TODAY):
        yield


def visit_form(**overrides):
    data = {
        "channel": "telephone",
        "visited_on": TODAY.isoformat(),
        "topics": ["competences_partagees", "aides_relance"],
        "outcome": "a_relancer",
        "notes": "Rappeler après la saison.",
        "follow_up_on": (TODAY + timedelta(days=14)).isoformat(),
    }
    return factories.overridden(data, overrides)


URL = "/animateur/visites/nouvelle"


def post_visit(client, company, **fields):
    """Send the visit form (``visit_form(**fields)``) for ``company``."""
    return client.post(f"{URL}?entreprise={company.ref}", data=visit_form(**fields))


# --- finding or creating the company -------------------------------------------------------


def test_search_without_javascript_lists_links_to_the_visit_form(client, auth):
    auth.login("animateur")
    company = make_company(name="Boulangerie La Mie Dorée")
    make_company(name="Garage du Centre")
    page = client.get(URL, query_string={"q": "mie doree"})
    assert page.status_code == 200
    body = page_text(page)
    assert "1 entreprise trouvée" in body
    assert f'href="{URL}?entreprise={company.ref}"' in page.get_data(as_text=True)
    assert "Garage du Centre" not in body
    # The create-on-the-spot form's group of the person met is read with its help.
    html = html_of(page)
    assert '<fieldset aria-describedby="met-aide">' in html
    assert 'id="met-aide">Pour que l\'opérateur puisse la joindre' in html


def test_search_endpoint_by_siret(client, auth):
    auth.login("animateur")
    company = make_company(name="Crêperie La Bigoudène")
    response = client.get("/animateur/entreprises/recherche", query_string={"q": company.siret[:9]})
    assert response.status_code == 200
    results = response.get_json()["resultats"]
    assert [r["ref"] for r in results] == [company.ref]
    assert results[0]["url_visite"] == f"{URL}?entreprise={company.ref}"
    # The 14 digits to use, grouped to read (the live search's list shows this one).
    assert results[0]["siret"] == company.siret
    assert results[0]["siret_affiche"] == siret_display(company.siret) != company.siret


def test_create_on_the_spot_then_existing_siret_opens_it(client, auth):
    auth.login("animateur")
    siret = factories.make_siret()
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    response = client.post(
        URL,
        data={
            "action": "creer_entreprise",
            "name": "Le Petit Zinc",
            "siret": spaced,
            "commune": "Arcachon",
        },
    )
    assert response.status_code == 302
    company = db.session.scalar(select(Company).where(Company.siret == siret))
    assert (company.name, company.commune, company.siren) == ("Le Petit Zinc", "33009", siret[:9])
    assert response.headers["Location"].endswith(f"{URL}?entreprise={company.ref}")
    # The same SIRET again, under another name: the existing company opens.
    again = client.post(
        URL,
        data={"action": "creer_entreprise", "name": "Autre", "siret": siret, "commune": "33529"},
    )
    assert again.headers["Location"].endswith(f"{URL}?entreprise={company.ref}")
    assert count(Company) == 1
    page = page_text(client.get(again.headers["Location"]))
    assert "Ce SIRET est déjà enregistré : « Le Petit Zinc » (rien n'y a été changé)." in page
    # The name typed is not the stored one's: said not taken, so a wrong SIRET shows.
    assert "Le nom saisi, « Autre », n'a pas été repris" in page
    # The stored name typed again (other case, no accent matter) says nothing more.
    client.post(
        URL,
        data={
            "action": "creer_entreprise",
            "name": "le petit zinc",
            "siret": siret,
            "commune": "33009",
        },
    )
    page = page_text(client.get(again.headers["Location"]))
    assert "Ce SIRET est déjà enregistré" in page and "n'a pas été repris" not in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"siret": "12345678901234"}, "la clé de contrôle ne correspond pas"),
        ({"siret": "123"}, "Un SIRET compte 14 chiffres"),
        ({"commune": "Atlantide"}, "Commune inconnue : « Atlantide »"),
        ({"name": ""}, "Indiquez le nom de l'entreprise"),
    ],
)
def test_bad_company_is_refused_in_french_and_nothing_written(client, auth, fields, message):
    auth.login("animateur")
    data = {
        "action": "creer_entreprise",
        "name": "Le Petit Zinc",
        "siret": factories.make_siret(),
        "commune": "33009",
    }
    data.update(fields)
    response = client.post(URL, data=data)
    assert response.status_code == 400
    assert message in page_text(response)
    assert "rien n'a été enregistré" in page_text(response).lower()
    assert count(Company) == 0


def test_similar_name_is_pointed_out_then_confirmed(client, auth):
    auth.login("animateur")
    make_company(name="Boulangerie La Mie Dorée")
    data = {
        "action": "creer_entreprise",
        "name": "Boulangerie la mie doree",
        "siret": factories.make_siret(),
        "commune": "33009",
    }
    response = client.post(URL, data=data)
    assert response.status_code == 409
    assert "Des entreprises au nom proche existent déjà" in page_text(response)
    assert count(Company) == 1
    response = client.post(URL, data={**data, "confirmer_similaire": "1"})
    assert response.status_code == 302
    assert count(Company) == 2


# --- the visit and the contact-pressure guard -----------------------------------------------


def test_visit_journey_with_warning_and_confirmation(client, auth):
    user = auth.login("animateur", full_name="Léa Martin")
    company = make_company(name="Le Bistrot du Port")
    page = client.get(URL, query_string={"entreprise": company.ref})
    assert "Jamais contactée sur la plateforme" in page_text(page)
    assert "Enregistrer la visite" in page_text(page)

    response = post_visit(client, company)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/animateur/entreprises/{company.ref}#historique")
    # Its message is in the history the browser is sent to, in view on a phone.
    shown = client.get(response.headers["Location"])
    assert "enregistrée" in flashes_in(shown, "historique")
    assert "enregistrée" not in top_flashes(shown)
    visit = db.session.scalar(select(Visit))
    assert (visit.channel, visit.animateur_id, visit.outcome, visit.visited_on) == (
        "telephone",
        user.id,
        "a_relancer",
        TODAY,
    )
    assert visit.topics == ["competences_partagees", "aides_relance"]
    assert visit.follow_up_on == TODAY + timedelta(days=14)

    # A second contact the same day: the panel says when and by whom; confirmation needed.
    page = client.get(URL, query_string={"entreprise": company.ref})
    body = page_text(page)
    assert "Attention : entreprise déjà contactée récemment" in body
    assert f"{TODAY:%d/%m/%Y} (aujourd'hui) par Léa Martin — Téléphone" in body
    assert 'name="confirmer"' in page.get_data(as_text=True)
    response = post_visit(client, company, channel="porte_a_porte")
    assert response.status_code == 409
    assert "Confirmation nécessaire" in page_text(response)
    # The box to tick is the field in error: the summary (which takes the focus) links
    # to it, its error beside it and tied to it.
    assert "cochez la case de confirmation" in error_of(response, "confirmer")
    assert 'class="form-error" role="alert" tabindex="-1"' in html_of(response)
    # Nothing recorded: the title says so, as after any refused form (not the plain page).
    assert "<title>Erreur — Nouvelle visite" in response.get_data(as_text=True)
    assert "<title>Nouvelle visite" in page.get_data(as_text=True)
    assert count(Visit) == 1
    response = post_visit(client, company, channel="porte_a_porte", confirmer="1")
    assert response.status_code == 302
    assert count(Visit) == 2
    assert db.session.scalar(
        select(AuditLog.action).where(AuditLog.action == "visit.pressure_confirmed")
    )


def test_do_not_solicit_refuses_the_visit(client, auth):
    auth.login("animateur")
    company = make_company(do_not_solicit=True)
    page = client.get(URL, query_string={"entreprise": company.ref})
    body = page_text(page)
    assert "Contact impossible" in body
    assert "a demandé à ne plus être sollicitée" in body
    assert "Enregistrer la visite" not in body
    response = post_visit(client, company, confirmer="1")
    assert response.status_code == 409
    assert "ne plus être sollicitée" in page_text(response)
    assert count(Visit) == 0


def test_the_visit_form_says_since_when_the_company_asked_not_to_be_solicited(client, auth):
    from connectences.clock import local_today
    from connectences.prospection.companies import set_preferences

    user = auth.login("animateur", full_name="Léa Martin")
    company = make_company()
    set_preferences(
        db.session,
        company,
        do_not_solicit=True,
        newsletter_consent=False,
        max_contacts_per_month=None,
        actor=user,
    )
    db.session.commit()
    body = page_text(client.get(URL, query_string={"entreprise": company.ref}))
    assert "a demandé à ne plus être sollicitée" in body
    assert f"Demande notée le {local_today():%d/%m/%Y} par Léa Martin." in body


def test_monthly_cap_refuses_the_visit(client, auth):
    auth.login("animateur")
    colleague = auth.create("animateur", full_name="Paul Durand")
    company = make_company()
    company.max_contacts_per_month = 1
    db.session.commit()
    add_visit(company, colleague, TODAY)
    response = post_visit(client, company, confirmer="1")
    assert response.status_code == 409
    body = page_text(response)
    assert "au plus 1 contact par mois" in body
    assert "Paul Durand" in body
    assert count(Visit) == 1


def _over_cap_entries() -> int:
    return len(
        db.session.scalars(select(AuditLog).where(AuditLog.action == "visit.over_cap")).all()
    )


def _at_its_cap(auth, **fields) -> Company:
    """A company that accepts one contact a month and had it today, from a colleague."""
    colleague = auth.create("animateur", full_name="Paul Durand")
    company = make_company(**fields)
    company.max_contacts_per_month = 1
    db.session.commit()
    add_visit(company, colleague, TODAY)
    return company


def test_a_visit_passes_the_monthly_cap_when_the_company_agreed_with_the_reason(client, auth):
    auth.login("animateur")
    company = _at_its_cap(auth)
    form = html_of(client.get(URL, query_string={"entreprise": company.ref}))
    # The form is offered, with the box and the reason, instead of "contact impossible" alone.
    assert 'name="malgre_plafond"' in form and 'name="raison_plafond"' in form
    # Its refusal says both ways, not "wait" alone above a box that passes the cap.
    said = html.unescape(form)
    assert "Attendez le mois prochain (à partir du 1er " in said
    assert ") ou, si elle a accepté d'être contactée malgré tout" in said
    assert "enregistrez ce contact quand même en indiquant pourquoi" in said
    assert "Attendez le mois prochain : elle pourra être recontactée à partir du 1er " not in said
    # The company's page offers no way around: it keeps the plain words.
    card = html.unescape(html_of(client.get(f"/animateur/entreprises/{company.ref}")))
    assert (
        "Attendez le mois prochain : elle pourra être recontactée à partir du 1er " in card
        and "malgré tout" not in card
    )
    assert "L'entreprise a accepté d'être contactée : enregistrer ce contact quand même" in form
    reason = "Le gérant m'a demandé de repasser pour le devis"
    response = post_visit(client, company, malgre_plafond="1", raison_plafond=reason)
    assert response.status_code == 302
    assert count(Visit) == 2
    visit = db.session.scalars(select(Visit).order_by(Visit.id.desc())).first()
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "visit.over_cap")).one()
    assert entry.entity == "visit" and entry.entity_id == visit.id
    assert entry.details["reason"] == reason
    assert "1 par mois, déjà 1 en" in entry.details["cap"]
    # The company's timeline says why this contact passed the cap.
    timeline = page_text(client.get(f"/animateur/entreprises/{company.ref}"))
    assert f"au-delà du plafond de contacts, accepté par {company.name} (1 par mois" in timeline
    assert reason in timeline


def test_the_cap_panel_says_how_to_pass_the_cap_without_pointing_at_another_paragraph(client, auth):
    """At its cap after a colleague's visit today, the panel says the cap's refusal, then
    the recent contact's, then how to pass the cap: that last paragraph must name what it
    is for ('Pour cela' read as passing the recent contact)."""
    auth.login("animateur")
    company = _at_its_cap(auth)
    said = html.unescape(html_of(client.get(URL, query_string={"entreprise": company.ref})))
    assert "Déjà contactée le" in said
    assert "Pour cela, cochez" not in said
    assert "Pour enregistrer ce contact quand même, cochez « L'entreprise a accepté" in said


@pytest.mark.parametrize(
    ("reason", "said"),
    [("   ", "Indiquez pourquoi l'entreprise accepte ce contact"), ("x" * 2001, "2 000")],
)
def test_passing_the_cap_without_a_usable_reason_is_refused_and_records_nothing(
    client, auth, reason, said
):
    auth.login("animateur")
    company = _at_its_cap(auth)
    response = post_visit(client, company, malgre_plafond="1", raison_plafond=reason)
    assert response.status_code == 422
    assert said in page_text(response)
    assert count(Visit) == 1 and _over_cap_entries() == 0
    # What was typed comes back, the box still ticked.
    assert 'name="malgre_plafond" value="1" checked' in html_of(response)


def test_a_reason_without_the_box_or_a_company_that_asked_not_to_be_solicited_is_refused(
    client, auth
):
    auth.login("animateur")
    company = _at_its_cap(auth)
    response = post_visit(client, company, raison_plafond="Elle est d'accord")
    assert response.status_code == 409 and count(Visit) == 1
    company.do_not_solicit = True
    db.session.commit()
    page = html_of(client.get(URL, query_string={"entreprise": company.ref}))
    assert 'name="malgre_plafond"' not in page
    response = post_visit(client, company, malgre_plafond="1", raison_plafond="Elle est d'accord")
    assert response.status_code == 409
    assert "ne plus être sollicitée" in page_text(response)
    assert count(Visit) == 1 and _over_cap_entries() == 0


def test_need_detected_redirects_to_the_need_form(client, auth):
    auth.login("animateur")
    company = make_company()
    response = post_visit(
        client, company, outcome="besoin_detecte", need_detected="1", follow_up_on=None
    )
    visit = db.session.scalar(select(Visit))
    assert visit.need_detected
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/animateur/besoins/nouveau?entreprise={company.ref}&visite={visit.id}"
    )


def test_outcome_ne_plus_solliciter_sets_the_flag_and_closes_the_follow_ups(client, auth):
    auth.login("animateur")
    colleague = auth.create("animateur")
    company = make_company()
    planned = add_visit(company, colleague, TODAY - timedelta(days=9), follow_up_on=TODAY)
    post_visit(client, company, outcome="ne_plus_solliciter", follow_up_on="", confirmer="1")
    db.session.expire_all()
    assert db.session.get(Company, company.id).do_not_solicit
    # Nobody is to recontact it, nor be reminded to: the colleague's follow-up is closed.
    assert db.session.get(Visit, planned.id).follow_up_closed_at is not None


def test_a_company_that_wants_no_more_contact_is_given_no_follow_up(client, auth):
    auth.login("animateur")
    company = make_company()
    response = post_visit(client, company, outcome="ne_plus_solliciter")
    assert response.status_code == 400
    assert "Retirez la date de relance." in error_of(response, "follow_up_on")
    assert count(Visit) == 0
    db.session.expire_all()
    assert not db.session.get(Company, company.id).do_not_solicit


def test_a_visit_to_follow_up_needs_the_follow_up_date(client, auth):
    """« À relancer » without a date was stored and never came back in « Mes relances »
    nor in the morning reminders: the follow-up was lost the moment it was typed."""
    auth.login("animateur")
    company = make_company()
    response = post_visit(client, company, outcome="a_relancer", follow_up_on="")
    assert response.status_code == 400
    assert "indiquez la date de la prochaine relance" in error_of(response, "follow_up_on")
    assert count(Visit) == 0
    # The field's help says so before sending (it read « Facultatif »).
    assert "Obligatoire si l'issue est" in response.get_data(as_text=True)
    assert post_visit(client, company, outcome="a_relancer").status_code == 302
    assert count(Visit) == 1


def test_asking_for_no_more_contact_closes_the_follow_ups_planned_with_the_company(client, auth):
    """Its follow-ups stayed in "Mes relances" with "Enregistrer le contact", a contact
    the guard refuses, and the morning job kept reminding to recontact it."""
    me = auth.login("animateur")
    company = make_company(name="Ne Plus Appeler")
    other = make_company(name="Toujours Partante")
    add_visit(company, me, TODAY - timedelta(days=20), follow_up_on=TODAY - timedelta(days=2))
    add_visit(other, me, TODAY - timedelta(days=20), follow_up_on=TODAY - timedelta(days=2))
    assert "Ne Plus Appeler" in page_text(client.get("/animateur/relances"))

    shown = f"/animateur/entreprises/{company.ref}"
    said = {"do_not_solicit": "1"}
    response = client.post(
        f"{shown}/preferences", data={**said, "lu_le": read_stamp_at(client, shown)}
    )
    assert response.status_code == 302
    body = page_text(client.get("/animateur/relances"))
    assert "Ne Plus Appeler" not in body and "Toujours Partante" in body
    # Saving the preferences again closes nothing more, and the visit stays in the history.
    again = client.post(
        f"{shown}/preferences", data={**said, "lu_le": read_stamp_at(client, shown)}
    )
    assert again.status_code == 302
    closes = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "visit.follow_up_close")
    ).all()
    assert len(closes) == 1 and closes[0].details == {"reason": "ne_plus_solliciter"}
    assert count(Visit) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"visited_on": (TODAY + timedelta(days=1)).isoformat()}, "ne peut pas être dans le futur"),
        ({"visited_on": "31/02/2027"}, "Date du contact invalide : « 31/02/2027 »"),
        ({"visited_on": (TODAY - timedelta(days=400)).isoformat()}, "plus d'un an"),
        ({"follow_up_on": (TODAY - timedelta(days=1)).isoformat()}, "ne peut pas être déjà passée"),
        ({"channel": "pigeon"}, "Canal inconnu"),
        ({"channel": ""}, "Choisissez le canal"),
    ],
)
def test_bad_visit_is_refused_in_french_and_nothing_written(client, auth, fields, message):
    auth.login("animateur")
    company = make_company()
    response = post_visit(client, company, **fields)
    assert response.status_code == 400
    assert message in page_text(response)
    assert count(Visit) == 0


def test_unknown_company_is_404(client, auth):
    auth.login("animateur")
    assert client.get(URL, query_string={"entreprise": "inconnue"}).status_code == 404


# --- follow-ups --------------------------------------------------------------------------


def test_follow_ups_due_today_appear_for_their_animateur_only(client, auth):
    me = auth.login("animateur")
    other = auth.create("animateur")
    mine_today = make_company(name="Relance Aujourdhui")
    mine_late = make_company(name="Relance En Retard")
    mine_later = make_company(name="Relance A Venir")
    mine_closed = make_company(name="Relance Close")
    theirs = make_company(name="Relance Du Collegue")
    add_visit(mine_today, me, TODAY - timedelta(days=7), follow_up_on=TODAY)
    add_visit(mine_late, me, TODAY - timedelta(days=20), follow_up_on=TODAY - timedelta(days=3))
    add_visit(mine_later, me, TODAY - timedelta(days=2), follow_up_on=TODAY + timedelta(days=5))
    closed = add_visit(mine_closed, me, TODAY - timedelta(days=9), follow_up_on=TODAY)
    closed.follow_up_closed_at = closed.created_at
    db.session.commit()
    their_visit = add_visit(theirs, other, TODAY - timedelta(days=1), follow_up_on=TODAY)

    body = page_text(client.get("/animateur/relances"))
    assert "En retard (1)" in body and "Aujourd'hui (1)" in body and "À venir (1)" in body
    late, today_part = body.index("En retard"), body.index("Aujourd'hui (1)")
    upcoming = body.index("À venir")
    assert late < body.index("Relance En Retard") < today_part
    assert today_part < body.index("Relance Aujourdhui") < upcoming
    assert body.index("Relance A Venir") > upcoming
    assert "Relance Close" not in body
    assert "Relance Du Collegue" not in body

    # Someone else's follow-up cannot be touched.
    response = client.post(f"/animateur/relances/{their_visit.id}", data={"action": "clore"})
    assert response.status_code == 404
    assert db.session.get(Visit, their_visit.id).follow_up_closed_at is None


def test_reschedule_and_close_a_follow_up(client, auth):
    me = auth.login("animateur")
    visit = add_visit(
        make_company(name="A Relancer"), me, TODAY - timedelta(days=3), follow_up_on=TODAY
    )
    later = TODAY + timedelta(days=10)
    response = client.post(
        f"/animateur/relances/{visit.id}",
        data={"action": "reporter", "follow_up_on": later.isoformat()},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).follow_up_on == later
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    response = client.post(
        f"/animateur/relances/{visit.id}", data={"action": "reporter", "follow_up_on": yesterday}
    )
    # Back with the error next to the date, in the summary, and the date typed kept.
    assert response.status_code == 422
    assert "ne peut pas être déjà passée" in error_of(response, f"date-{visit.id}")
    assert f'value="{yesterday}"' in html_of(response)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).follow_up_on == later
    # Years away: said as something to check, as on the visit form.
    far = (TODAY + timedelta(days=3 * 365)).isoformat()
    response = client.post(
        f"/animateur/relances/{visit.id}", data={"action": "reporter", "follow_up_on": far}
    )
    assert response.status_code == 422
    assert "à plus de deux ans : vérifiez l'année." in error_of(response, f"date-{visit.id}")
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).follow_up_on == later
    client.post(f"/animateur/relances/{visit.id}", data={"action": "clore"})
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).follow_up_closed_at is not None
    body = page_text(client.get("/animateur/relances"))
    assert "Relance de « A Relancer » close." in body  # the flash message
    assert "En retard (0)" in body and "Aujourd'hui (0)" in body and "À venir (0)" in body


def test_a_closed_follow_up_says_so_and_changes_nothing(client, auth):
    me = auth.login("animateur")
    visit = add_visit(
        make_company(name="Deja Close"), me, TODAY - timedelta(days=3), follow_up_on=TODAY
    )
    url = f"/animateur/relances/{visit.id}"
    first = page_text(client.post(url, data={"action": "clore"}, follow_redirects=True))
    assert "Relance de « Deja Close » close." in first
    closed_at = db.session.get(Visit, visit.id).follow_up_closed_at
    # Closing it again (a form sent twice) says it was closed already.
    response = client.post(url, data={"action": "clore"}, follow_redirects=True)
    body = page_text(response)
    assert "Cette relance est déjà close. Rien n'a été modifié." in body
    assert "« Deja Close » close." not in body
    # "Reporter" from a stale page: the same clear message, the date unchanged.
    later = (TODAY + timedelta(days=10)).isoformat()
    response = client.post(url, data={"action": "reporter", "follow_up_on": later})
    assert response.status_code == 302
    assert "Cette relance est déjà close." in page_text(client.get("/animateur/relances"))
    db.session.expire_all()
    stored = db.session.get(Visit, visit.id)
    assert (stored.follow_up_on, stored.follow_up_closed_at) == (TODAY, closed_at)


# --- the visits list and its export -----------------------------------------------------------


@pytest.fixture
def visits_world(auth):
    me = auth.login("animateur", full_name="Léa Martin")
    other = auth.create("animateur", full_name="Paul Durand")
    arcachon = make_company(name="Arcachon Un", commune=factories.ARCACHON)  # COBAS
    andernos = make_company(name="Andernos Un", commune="33005")  # COBAN
    day = TODAY - timedelta(days=10)
    rows = {
        "a": add_visit(arcachon, me, day, channel="telephone", outcome="a_relancer"),
        "b": add_visit(
            arcachon, other, day - timedelta(days=40), channel="telephone", outcome="absent"
        ),
        "c": add_visit(andernos, me, day, channel="telephone", outcome="information_donnee"),
        "d": add_visit(
            arcachon, me, day - timedelta(days=1), channel="porte_a_porte", outcome="a_relancer"
        ),
    }
    return me, other, rows


def test_visits_list_filters_and_totals(client, visits_world):
    me, _other, rows = visits_world
    body = page_text(client.get("/animateur/visites"))
    assert "4 visites" in body
    body = page_text(
        client.get(
            "/animateur/visites",
            query_string={"canal": "telephone", "intercommunalite": factories.COBAS},
        )
    )
    assert "2 visites correspondant aux filtres" in body
    assert "Téléphone 2" in body and "Porte-à-porte 0" in body
    assert "À relancer 1" in body and "Interlocuteur absent 1" in body


def test_an_unreadable_date_filter_is_said_next_to_its_field(client, auth):
    auth.login("animateur")
    response = client.get("/animateur/visites", query_string={"du": "hier", "au": "2026-13-45"})
    assert response.status_code == 200  # the list is shown, without the bad filters
    assert error_of(response, "du") and error_of(response, "au")
    # A filter records nothing: its summary says the filters were not applied.
    summary = page_text_of(element_by_id(html_of(response), "erreurs"))
    assert summary.startswith(
        "Certains filtres n'ont pas été appliqués. Corrigez ces 2 points :"
    ), summary
    assert '<details class="filters-box" open>' in html_of(response)


def test_the_date_filters_say_their_format(client, auth):
    """As every form's date field, the list's « Du » and « Au » say how a date is
    written, also once refused (help and error both tied to the field)."""
    auth.login("animateur")
    assert dates_without_format(client.get("/animateur/visites")) == []
    refused = client.get("/animateur/visites", query_string={"du": "hier"})
    assert dates_without_format(refused) == []
    assert 'aria-describedby="du-aide du-erreurs"' in html_of(refused)


def test_an_inverted_date_range_is_said_not_answered_with_nothing(client, auth):
    auth.login("animateur")
    response = client.get(
        "/animateur/visites", query_string={"du": "2026-12-01", "au": "2026-01-01"}
    )
    assert "précède la date de début" in error_of(response, "au")
    # Both dates stay in their fields, the refused one as typed: the message speaks of them.
    page = html_of(response)
    assert _field_value(page, "du") == "2026-12-01"
    assert _field_value(page, "au") == "2026-01-01"


def _field_value(page: str, name: str) -> str | None:
    """The value of the input named ``name`` in ``page`` (None without one)."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def test_export_contains_exactly_the_filtered_rows(client, visits_world):
    me, _other, rows = visits_world
    since = (TODAY - timedelta(days=20)).isoformat()
    query = {
        "canal": "telephone",
        "intercommunalite": factories.COBAS,
        "animateur": me.id,
        "du": since,
    }
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/animateur/visites/export.{fmt}", query_string=query)
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        headers, table = read_table(f"visites.{fmt}", response.data)
        assert headers[:3] == ["Date", "Entreprise", "SIRET"]
        assert [(r["Entreprise"], r["Canal"], r["Issue"], r["Animateur"]) for r in table] == [
            ("Arcachon Un", "Téléphone", "À relancer", "Léa Martin")
        ]
    # Without filters: all four, newest first.
    _h, table = read_table("v.csv", client.get("/animateur/visites/export.csv").data)
    assert len(table) == 4
    assert client.get("/animateur/visites/export.pdf").status_code == 404


def test_export_by_outcome_and_period(client, visits_world):
    _me, _other, rows = visits_world
    query = {"issue": "a_relancer", "au": (TODAY - timedelta(days=11)).isoformat()}
    _h, table = read_table(
        "v.csv", client.get("/animateur/visites/export.csv", query_string=query).data
    )
    assert [(r["Entreprise"], r["Canal"]) for r in table] == [("Arcachon Un", "Porte-à-porte")]


@pytest.mark.parametrize("query", [{"du": "31/02/2026"}, {"du": "2026-06-10", "au": "2026-06-01"}])
def test_an_export_with_a_refused_filter_exports_nothing(client, visits_world, query):
    # The list leaves a refused filter out and says so: the export exported every visit.
    response = client.get("/animateur/visites/export.csv", query_string=query)
    assert response.status_code == 302 and "/animateur/visites?" in response.location
    said = page_text(client.get(response.location))
    assert "Export non fait : corrigez d'abord les filtres de la liste." in said


# --- permissions ------------------------------------------------------------------------------

ROUTES = [
    ("get", URL),
    ("get", "/animateur/visites"),
    ("get", "/animateur/visites/export.csv"),
    ("get", "/animateur/relances"),
    ("post", "/animateur/relances/1"),
]


@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_other_roles_are_refused_and_audited(client, auth, role, method, url):
    user = auth.login(role)
    response = getattr(client, method)(url)
    assert response.status_code == 403
    assert db.session.scalar(
        select(AuditLog).where(
            AuditLog.action == "visits_access_refused", AuditLog.actor_id == user.id
        )
    )


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_is_sent_to_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("role", ["animateur", "admin"])
def test_animateur_and_admin_may_open_the_pages(client, auth, role):
    auth.login(role)
    for url in (URL, "/animateur/visites", "/animateur/relances"):
        assert client.get(url).status_code == 200, url
    assert client.get("/animateur/visites/export.xlsx").status_code == 200
    nav = client.get("/animateur/visites").get_data(as_text=True)
    assert 'href="/animateur/visites"' in nav
    assert 'href="/animateur/entreprises"' in nav
    if role == "animateur":
        assert 'href="/animateur/relances"' in nav and f'href="{URL}"' in nav


def test_the_form_offers_need_detected_once(client, auth):
    auth.login("animateur")
    company = make_company()
    html = client.get(f"{URL}?entreprise={company.ref}").get_data(as_text=True)
    assert html.count("Besoin détecté") == 2  # the outcome's option and its help text
    assert 'name="need_detected"' not in html


def test_no_interest_with_a_need_detected_is_refused(client, auth):
    auth.login("animateur")
    company = make_company()
    response = post_visit(client, company, outcome="pas_interesse", need_detected="1")
    assert response.status_code in (400, 422)
    assert 'id="outcome-erreurs"' in response.get_data(as_text=True)
    assert "contredit" in page_text(response)
    assert count(Visit) == 0


def test_visit_notes_are_carried_into_the_need_they_open(client, auth):
    auth.login("animateur")
    company = make_company()
    response = post_visit(
        client, company, outcome="besoin_detecte", notes="Cherche un comptable le mardi."
    )
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cherche un comptable le mardi.</textarea>" in form
