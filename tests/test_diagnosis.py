"""The GPECT diagnosis questionnaire: the owner's signed link, the animateur's visit
path, bad input, the contact-pressure guard, the company page and who may do what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from connectences.clock import local_today
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import Diagnosis, DiagnosisAnswer, OutboxMessage
from connectences.prospection import diagnosis as questionnaire
from connectences.prospection.pressure import contact_pressure
from tests.helpers import (
    add_visit,
    count,
    error_of,
    flashes_in,
    mails_to,
    make_company,
    page_text,
    top_flashes,
)

LINK = re.compile(r"(https?://\S+/entreprise/diagnostic/[\w.\-]+)")
OWNER = "gerante@huitres-exemple.fr"

# A whole answer as the form sends it.
GOOD = MultiDict(
    [
        ("difficulty", "fortes"),
        ("cause", "pas_de_candidats"),
        ("cause", "logement"),
        ("cause", "autre"),
        ("other_cause", "Concurrence des grandes surfaces"),
        ("competence_1", "Comptabilité"),
        ("competence_2", "cuisinier"),
        ("competence_3", ""),
        ("shared_time", "oui"),
        ("formation", "obligatoire"),
        ("contrainte", "transports"),
        ("contrainte", "logement_saisonnier"),
    ]
)


def _send(client, company, email=OWNER, **extra):
    return client.post(
        f"/animateur/entreprises/{company.ref}/diagnostic/envoyer", data={"email": email, **extra}
    )


def _link_path(address: str) -> str:
    body = mails_to(address)[-1].body_text
    return "/" + LINK.search(body).group(1).split("/", 3)[3]


def test_the_owner_answers_from_the_mailed_link(client, auth):
    company = make_company(name="Huîtres Exemple")
    animateur = auth.login("animateur", full_name="Léa Martin")
    response = _send(client, company)
    assert response.status_code == 302
    mail = mails_to(OWNER)[-1]
    assert mail.kind == MailKind.DIAGNOSIS_LINK
    assert "Léa Martin" in mail.body_text and "Huîtres Exemple" in mail.body_text
    diagnosis = db.session.scalars(select(Diagnosis)).one()
    assert (diagnosis.source, diagnosis.sent_to, diagnosis.sent_by_id) == (
        "lien",
        OWNER,
        animateur.id,
    )
    assert diagnosis.submitted_at is None
    # The link sent is a contact: it shows in the company's timeline and the guard counts it.
    pressure = contact_pressure(db.session, company, on=local_today())
    assert pressure.contacts_this_month == 1
    assert pressure.last_channel == "questionnaire_diagnostic"

    auth.logout()
    path = _link_path(OWNER)
    page = client.get(path)
    assert page.status_code == 200
    assert "Huîtres Exemple" in page_text(page)
    assert page.headers["Cache-Control"] == "no-store"
    # The token stays on the site: never in the Referer sent to another one.
    assert page.headers["Referrer-Policy"] == "same-origin"
    response = client.post(path, data=GOOD)
    assert response.status_code == 302 and response.location.endswith(
        "/entreprise/diagnostic/merci"
    )
    db.session.expire_all()
    diagnosis = db.session.get(Diagnosis, diagnosis.id)
    assert diagnosis.submitted_at is not None
    assert diagnosis.sent_to is None  # the owner's address is kept only until they answer
    assert (diagnosis.difficulty, diagnosis.shared_time) == ("fortes", "oui")
    assert diagnosis.other_cause == "Concurrence des grandes surfaces"
    assert diagnosis.values("cause") == ["pas_de_candidats", "logement", "autre"]
    assert diagnosis.values("competence") == ["M1203", "G1602"]
    assert diagnosis.values("formation") == ["obligatoire"]
    assert diagnosis.values("contrainte") == ["transports", "logement_saisonnier"]
    # The same link shows the answers again, and a new answer replaces them.
    again = client.get(path)
    assert "Vous avez déjà répondu" in page_text(again)
    assert 'value="Comptabilité"' in again.get_data(as_text=True)
    changed = MultiDict(GOOD)
    changed.setlist("contrainte", ["aucune"])
    assert client.post(path, data=changed).status_code == 302
    db.session.expire_all()
    assert db.session.get(Diagnosis, diagnosis.id).values("contrainte") == ["aucune"]
    assert count(DiagnosisAnswer) == 7


def test_another_cause_written_is_that_cause_ticked_and_a_family_reads_as_its_jobs(app):
    # Found by an audit: the cause written without "autre" ticked was dropped without a
    # word, and "cuisine" (a ROME family) showed as "G16" on the form and the company page.
    answer = MultiDict(GOOD)
    answer.setlist("cause", ["pas_de_candidats"])
    answer.setlist("competence_1", ["cuisine"])
    checked = questionnaire.check_answer(answer)
    assert checked.choices["cause"] == ["pas_de_candidats", "autre"]
    assert checked.other_cause == "Concurrence des grandes surfaces"
    family = checked.choices["competence"][0]
    assert len(family) == 3 and family.startswith("G1")
    lines = dict(questionnaire._lines("fortes", "oui", checked.other_cause, checked.choices))
    assert "Personnel de cuisine" in lines["Métiers et compétences d'ici 1 à 3 ans"]
    assert family not in lines["Métiers et compétences d'ici 1 à 3 ans"]
    # No difficulty and another cause written: said, not dropped.
    answer.setlist("difficulty", ["aucune"])
    try:
        questionnaire.check_answer(answer)
    except questionnaire.DiagnosisError as refused:
        assert "cause" in refused.errors
    else:
        raise AssertionError("an answer with no difficulty and a cause was accepted")


def test_expired_forged_or_tampered_links_are_refused(client, app, auth):
    company = make_company()
    auth.login("animateur")
    _send(client, company)
    auth.logout()
    diagnosis = db.session.scalars(select(Diagnosis)).one()
    good = _link_path(OWNER).rsplit("/", 1)[1]
    old = questionnaire.link_token(
        app.secret_key, diagnosis, issued_at=datetime.now(UTC) - timedelta(days=31)
    )
    forged = questionnaire.link_token("une-autre-cle", diagnosis)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for token, words in [
        (old, "Ce lien a expiré"),
        (forged, "Ce lien n'est pas valide"),
        (tampered, "Ce lien n'est pas valide"),
    ]:
        for method in ("get", "post"):
            response = getattr(client, method)(f"/entreprise/diagnostic/{token}", data=GOOD)
            assert response.status_code == 403, token
            assert words in page_text(response)
    db.session.expire_all()
    assert db.session.get(Diagnosis, diagnosis.id).submitted_at is None
    assert count(DiagnosisAnswer) == 0
    # No page mails a new questionnaire link: the expired link's page promises no mail
    # and says whom to call.
    expired = page_text(client.get(f"/entreprise/diagnostic/{old}"))
    assert "Ce lien a expiré" in expired and "par e-mail" not in expired
    assert "contactez l'animateur de la plateforme qui vous l'a envoyé" in expired
    phone = app.config["CONTACT_PHONE"]
    assert f"appelez {app.config['CONTACT_TEAM']} au {phone}" in expired


def test_a_link_cannot_open_a_questionnaire_filled_during_a_visit(client, app, auth):
    company = make_company()
    user = auth.login("animateur")
    response = client.post(f"/animateur/entreprises/{company.ref}/diagnostic", data=GOOD)
    assert response.status_code == 302
    filled = db.session.scalars(select(Diagnosis)).one()
    auth.logout()
    token = questionnaire.link_token(app.secret_key, filled)
    assert client.post(f"/entreprise/diagnostic/{token}", data=GOOD).status_code == 403
    assert filled.filled_by_id == user.id


def test_bad_input_is_explained_next_to_each_field_and_nothing_is_saved(client, auth):
    company = make_company()
    auth.login("animateur")
    _send(client, company)
    auth.logout()
    path = _link_path(OWNER)
    bad = MultiDict(
        [
            ("cause", "autre"),
            ("other_cause", ""),
            ("competence_1", "xyzzy qwrtp"),
            ("shared_time", "bientot"),
            ("formation", "aucune"),
            ("formation", "numerique"),
            ("contrainte", "teleportation"),
        ]
    )
    response = client.post(path, data=bad)
    assert response.status_code == 422
    assert "Indiquez si vous avez des difficultés à recruter" in error_of(response, "difficulty")
    assert "Précisez l'autre cause" in error_of(response, "other_cause")
    assert "Nous ne reconnaissons pas « xyzzy qwrtp »" in error_of(response, "competence_1")
    assert "temps partagé" in error_of(response, "shared_time")
    assert "ne va pas avec une autre réponse" in error_of(response, "formation")
    assert "Choisissez parmi les réponses proposées" in error_of(response, "contrainte")
    assert "Rien n'a été enregistré" in page_text(response)
    # What was typed is kept.
    assert 'value="xyzzy qwrtp"' in response.get_data(as_text=True)
    no_cause = MultiDict(GOOD)
    no_cause.setlist("cause", [])
    no_cause.setlist("other_cause", [""])  # written, another cause counts as ticked
    response = client.post(path, data=no_cause)
    assert response.status_code == 422
    assert "au moins une cause" in error_of(response, "cause")
    none_but_causes = MultiDict(GOOD)
    none_but_causes["difficulty"] = "aucune"
    assert client.post(path, data=none_but_causes).status_code == 422
    db.session.expire_all()
    assert db.session.scalars(select(Diagnosis)).one().submitted_at is None
    assert count(DiagnosisAnswer) == 0


def test_an_animateur_fills_it_in_during_a_visit_and_the_company_page_shows_it(client, auth):
    company = make_company(name="Boulangerie du Port")
    user = auth.login("animateur")
    visit = add_visit(company, user, local_today())
    url = f"/animateur/entreprises/{company.ref}/diagnostic?visite={visit.id}"
    # The company page opens the questionnaire of today's visit.
    assert f'href="{url}"' in client.get(f"/animateur/entreprises/{company.ref}").get_data(
        as_text=True
    )
    page = client.get(url)
    assert page.status_code == 200
    assert "pendant la visite du" in page_text(page)
    response = client.post(url, data=GOOD)
    assert response.status_code == 302
    diagnosis = db.session.scalars(select(Diagnosis)).one()
    assert (diagnosis.source, diagnosis.visit_id, diagnosis.filled_by_id) == (
        "visite",
        visit.id,
        user.id,
    )
    assert diagnosis.sent_at is None
    # Filling in during a visit is no contact of its own: the visit is the contact.
    assert contact_pressure(db.session, company, on=local_today()).contacts_this_month == 1
    shown = page_text(client.get(f"/animateur/entreprises/{company.ref}"))
    assert "Rempli lors d'une visite" in shown
    assert "De fortes difficultés" in shown
    assert "Autre cause : Concurrence des grandes surfaces" in shown
    assert "Comptabilité ; Personnel de cuisine" in shown
    assert "Pas de logement pour les saisonniers" in shown


def test_bad_input_during_a_visit_saves_nothing(client, auth):
    company = make_company()
    auth.login("animateur")
    response = client.post(
        f"/animateur/entreprises/{company.ref}/diagnostic", data={"difficulty": "aucune"}
    )
    assert response.status_code == 422
    assert "temps partagé" in error_of(response, "shared_time")
    assert count(Diagnosis) == 0


def test_filling_it_in_without_a_visit_is_a_contact_the_guard_checks(client, auth):
    refused = make_company(do_not_solicit=True)
    allowed = make_company(name="Boulangerie du Port")
    user = auth.login("animateur")
    typed = MultiDict(GOOD)
    response = client.post(f"/animateur/entreprises/{refused.ref}/diagnostic", data=typed)
    assert response.status_code == 409
    assert "ne plus être sollicitée" in page_text(response)
    # Said in place of the form: nothing more to fill in for nothing.
    assert 'name="difficulty"' not in response.get_data(as_text=True)
    assert count(Diagnosis) == 0
    # A recent contact does not block: the animateur is already with the company.
    add_visit(allowed, user, local_today() - timedelta(days=3))
    response = client.post(f"/animateur/entreprises/{allowed.ref}/diagnostic", data=GOOD)
    assert response.status_code == 302
    diagnosis = db.session.scalars(select(Diagnosis)).one()
    assert (diagnosis.source, diagnosis.visit_id) == ("visite", None)
    # Counted as a contact of its own, and shown in the company's timeline.
    assert contact_pressure(db.session, allowed, on=local_today()).contacts_in_window == 2
    shown = page_text(client.get(f"/animateur/entreprises/{allowed.ref}"))
    assert "Questionnaire de diagnostic rempli avec l'entreprise" in shown


def test_a_visit_of_another_company_is_not_found(client, auth):
    company, other = make_company(), make_company()
    user = auth.login("animateur")
    visit = add_visit(other, user, local_today())
    url = f"/animateur/entreprises/{company.ref}/diagnostic?visite={visit.id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data=GOOD).status_code == 404
    assert (
        client.get(f"/animateur/entreprises/{company.ref}/diagnostic?visite=x").status_code == 404
    )
    assert count(Diagnosis) == 0


def test_the_contact_pressure_guard_decides_whether_the_link_goes(client, auth):
    refused = make_company(do_not_solicit=True)
    recent = make_company()
    user = auth.login("animateur")
    response = _send(client, refused)
    assert response.status_code == 409
    assert "ne plus être sollicitée" in page_text(response)
    add_visit(recent, user, local_today() - timedelta(days=3))
    response = _send(client, recent)
    assert response.status_code == 409
    assert "Confirmation nécessaire" in page_text(response)
    assert count(Diagnosis) == 0 and mails_to(OWNER) == []
    # The box to tick is the field in error, as on the visit form: the summary (which
    # takes the focus) links to it, the guard's reason beside it and tied to it.
    assert "cochez la case de confirmation" in error_of(response, "confirmer-diagnostic").lower()
    assert 'tabindex="-1" id="confirmation-diagnostic"' in response.get_data(as_text=True)
    assert _send(client, recent, confirmer="1").status_code == 302
    assert count(Diagnosis) == 1 and len(mails_to(OWNER)) == 1


def test_a_bad_address_is_refused_next_to_the_field(client, auth):
    company = make_company()
    auth.login("animateur")
    response = _send(client, company, email="pas-une-adresse")
    assert response.status_code == 422
    assert "n'est pas une adresse e-mail valide" in error_of(response, "diagnostic-email")
    assert count(Diagnosis) == 0
    assert count(OutboxMessage) == 0


def test_only_the_staff_send_fill_in_or_export(client, auth):
    company = make_company()
    for role in ("territoire", "operator", "partner", "company", "candidate"):
        auth.login(role)
        for url in (
            f"/animateur/entreprises/{company.ref}/diagnostic",
            "/observatoire/diagnostic/export.csv",
            "/observatoire/diagnostic/export.xlsx",
        ):
            assert client.get(url).status_code == 403, (role, url)
        assert _send(client, company).status_code == 403, role
        filled = client.post(f"/animateur/entreprises/{company.ref}/diagnostic", data=GOOD)
        assert filled.status_code == 403, role
        auth.logout()
    assert count(Diagnosis) == 0 and count(OutboxMessage) == 0
    response = client.get(f"/animateur/entreprises/{company.ref}/diagnostic")
    assert response.status_code == 302 and "/connexion" in response.location


def test_a_job_typed_in_both_genders_is_placed_by_either():
    from connectences.prospection.diagnosis import _skill_code

    assert _skill_code("Serveur / serveuse") == _skill_code("serveur") is not None
    assert _skill_code("xyzzy / qwrtp") is None


# --- a job said as on a doorstep -----------------------------------------------------


@pytest.mark.parametrize("word", ["vendeur", "vendeuse", "Vendeur / vendeuse", "vendeuses"])
def test_a_word_for_several_sales_jobs_offers_them_to_choose_from(word):
    from connectences.skills import concept_of

    read = questionnaire.read_job(word)
    assert read.code is None and "correspond à plusieurs métiers" in read.problem
    offered = [choice.code for choice in read.choices]
    assert 2 <= len(offered) <= questionnaire.MAX_JOB_CHOICES
    # Sales in a food shop and in a clothes shop are among them, labelled in French.
    food, clothes = concept_of("vendeur en alimentation"), concept_of("vendeuse en boutique")
    assert {food, clothes} <= set(offered)
    labels = {choice.code: choice.label for choice in read.choices}
    assert labels[food] == "Vente en alimentation"
    assert all(choice.examples for choice in read.choices)
    # The one picked is the answer; a code not offered is not.
    assert questionnaire.read_job(word, clothes).code == clothes
    assert questionnaire.read_job(word, "M1203").code is None


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("vendeur en boulangerie", "vendeur en alimentation"),
        ("vendeuse en boulangerie", "vendeur en alimentation"),
        ("saisonnière en ostréiculture", "ostréiculture"),
        ("serveur saisonnier", "serveur"),
        ("cuisinière en CDD", "cuisinier"),
    ],
)
def test_a_precise_job_is_placed_at_once_a_contract_s_word_aside(typed, same_as):
    from connectences.skills import concept_of

    read = questionnaire.read_job(typed)
    assert read.code == concept_of(same_as) is not None
    assert read.problem is None


@pytest.mark.parametrize(
    "typed",
    ["saisonnier", "saisonnière", "Saisonniers", "employé saisonnier", "saison", "un CDD"],
)
def test_a_contract_is_not_a_trade_and_the_trade_is_asked_for(typed):
    read = questionnaire.read_job(typed)
    assert read.code is None and read.choices == ()
    assert f"« {typed} » indique le contrat, pas le métier : précisez le métier" in read.problem


def test_a_seasonal_job_the_taxonomy_names_stays_that_job_and_too_vague_a_word_is_said():
    from connectences.skills import concept_of

    assert questionnaire.read_job("Saisonnier agricole").code == concept_of("Saisonnier agricole")
    assert questionnaire.read_job("saisonnière en vendanges").code is not None
    read = questionnaire.read_job("agent")
    assert read.code is None and read.choices == ()
    assert "désigne trop de métiers différents : précisez-le (par exemple « Agent" in read.problem


def test_the_form_offers_the_jobs_of_a_word_and_keeps_the_one_picked(client, auth):
    company = make_company(name="Boulangerie du Port")
    auth.login("animateur")
    url = f"/animateur/entreprises/{company.ref}/diagnostic"
    answer = MultiDict(GOOD)
    answer.setlist("competence_1", ["vendeuse"])
    answer.setlist("competence_2", ["saisonnière"])
    response = client.post(url, data=answer)
    assert response.status_code == 422 and count(Diagnosis) == 0
    assert "correspond à plusieurs métiers" in error_of(response, "competence_1")
    assert "indique le contrat, pas le métier" in error_of(response, "competence_2")
    page = response.get_data(as_text=True)
    assert 'name="competence_1_metier" value="D1106"' in page
    assert "Vente en alimentation" in page_text(response)
    assert "vendeuse en alimentation" in page_text(response)  # examples in the gender typed
    assert 'name="competence_2_metier"' not in page  # a contract offers no jobs
    assert 'value="vendeuse"' in page  # what was typed is kept

    # The job picked stands in the field when the form comes back for another reason.
    answer.setlist("competence_1_metier", ["D1106"])
    answer.setlist("competence_2", ["ostréiculture"])
    answer.setlist("shared_time", [""])
    response = client.post(url, data=answer)
    assert response.status_code == 422
    assert 'id="competence_1-erreurs"' not in response.get_data(as_text=True)
    assert 'value="Vente en alimentation"' in response.get_data(as_text=True)

    answer.setlist("shared_time", ["oui"])
    assert client.post(url, data=answer).status_code == 302
    diagnosis = db.session.scalars(select(Diagnosis)).one()
    assert diagnosis.values("competence") == ["D1106", "A1404"]
    shown = page_text(client.get(f"/animateur/entreprises/{company.ref}"))
    assert "Vente en alimentation ; " in shown


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S).group(1)


def test_a_refused_sending_of_the_questionnaire_says_so_in_the_title(client, auth):
    """The company page given back after the questionnaire's sending was refused (a bad
    address, the guard's box to tick: nothing sent) is titled « Erreur — », as after
    every refused form of that page; the plain page is not."""
    company = make_company()
    user = auth.login("animateur")
    assert not _title(client.get(f"/animateur/entreprises/{company.ref}")).startswith("Erreur")
    bad = _send(client, company, email="pas-une-adresse")
    assert bad.status_code == 422 and _title(bad).startswith("Erreur — "), _title(bad)
    add_visit(company, user, local_today() - timedelta(days=3))
    warned = _send(client, company)
    assert warned.status_code == 409 and "Confirmation nécessaire" in page_text(warned)
    assert _title(warned).startswith("Erreur — "), _title(warned)
    assert count(Diagnosis) == 0


def test_sending_and_filling_the_questionnaire_say_it_in_the_diagnosis_section(client, auth):
    """Both sent the browser to ``#diagnostic`` while their message was drawn at the top
    of the company's page, out of view on a phone: it is now inside the section."""
    company = make_company(name="Huîtres Exemple")
    auth.login("animateur")
    page = f"/animateur/entreprises/{company.ref}"
    sent = _send(client, company)
    assert sent.location == f"{page}#diagnostic"
    shown = client.get(sent.location)
    assert f"Questionnaire envoyé à {OWNER}." in flashes_in(shown, "diagnostic")
    assert "Questionnaire envoyé" not in top_flashes(shown)
    filled = client.post(f"{page}/diagnostic", data=GOOD)
    assert filled.location == f"{page}#diagnostic"
    said = flashes_in(client.get(filled.location), "diagnostic")
    assert said == "Fait : Réponses au questionnaire de diagnostic enregistrées."


FILL_BUTTON = "Remplir le questionnaire avec l'entreprise"


def test_a_company_that_asked_not_to_be_solicited_is_said_before_the_questionnaire(client, auth):
    company = make_company(name="Bar Exemple")
    company.newsletter_consent = True
    db.session.commit()
    auth.login("animateur", full_name="Léa Martin")
    # It said so during a visit (the visit's outcome sets the flag, noted as such).
    response = client.post(
        "/animateur/visites/nouvelle",
        data={
            "entreprise": company.ref,
            "channel": "porte_a_porte",
            "visited_on": (local_today() - timedelta(days=40)).isoformat(),
            "outcome": "ne_plus_solliciter",
        },
    )
    assert response.status_code == 302
    db.session.refresh(company)
    assert company.do_not_solicit
    page = client.get(f"/animateur/entreprises/{company.ref}")
    html, shown = page.get_data(as_text=True), page_text(page)
    # No button leading to a questionnaire that would be refused once filled in, nor
    # the form to mail it, nor the newsletter's: the reason, since when, what to do.
    assert FILL_BUTTON not in shown
    assert "diagnostic/envoyer" not in html
    assert "/lettres" not in html and "Enregistrer l'envoi" not in shown
    assert "Questionnaire impossible à remplir avec l'entreprise ou à lui envoyer." in shown
    assert "Envoi de la lettre d'information impossible." in shown
    assert f"Demande notée le {local_today():%d/%m/%Y} par Léa Martin (lors d'une visite)." in shown
    assert "Mes préférences de contact" in shown and "décocher « Ne plus solliciter »" in shown
    assert f"Demande notée le {local_today():%d/%m/%Y} par Léa Martin" in shown
    # The questionnaire's page, opened by its address, says it at the top, no form.
    page = client.get(f"/animateur/entreprises/{company.ref}/diagnostic")
    assert page.status_code == 200
    assert 'name="difficulty"' not in page.get_data(as_text=True)
    assert "ne peut pas être rempli avec l'entreprise Bar Exemple" in page_text(page)
    assert "ne plus être sollicitée" in page_text(page)
    assert count(Diagnosis) == 0


def test_do_not_solicit_since_falls_back_on_the_visit_that_said_it(app, auth):
    from connectences.prospection.companies import do_not_solicit_since

    company = make_company()
    user = auth.login("animateur", full_name="Marc Dulucq")
    assert do_not_solicit_since(db.session, company) is None
    day = local_today() - timedelta(days=30)
    add_visit(company, user, day, outcome="ne_plus_solliciter")
    company.do_not_solicit = True  # stored without its change kept (older data, the demo)
    db.session.commit()
    since = do_not_solicit_since(db.session, company)
    assert (since.on, since.by) == (day, "Marc Dulucq (lors d'une visite)")


def test_a_cap_reached_is_said_before_the_questionnaire_and_a_visit_stays_possible(client, auth):
    company = make_company(name="Cabane Exemple")
    company.max_contacts_per_month = 1
    db.session.commit()
    user = auth.login("animateur")
    assert _send(client, company).status_code == 302  # the month's one contact
    page = client.get(f"/animateur/entreprises/{company.ref}")
    html, shown = page.get_data(as_text=True), page_text(page)
    assert FILL_BUTTON not in shown and "diagnostic/envoyer" not in html
    assert "L'entreprise accepte au plus 1 contact par mois" in shown
    assert "enregistrez d'abord la visite ou l'appel" in shown
    # The guard lets a visit pass the cap with the company's agreement: its button stays.
    assert f'href="/animateur/visites/nouvelle?entreprise={company.ref}"' in html
    page = client.get(f"/animateur/entreprises/{company.ref}/diagnostic")
    assert 'name="difficulty"' not in page.get_data(as_text=True)
    assert "au plus 1 contact par mois" in page_text(page)
    # Once the visit is logged (beyond the cap, with the reason), it is filled in
    # during that visit: the button comes back, naming it.
    visit = add_visit(company, user, local_today())
    page = client.get(f"/animateur/entreprises/{company.ref}")
    assert FILL_BUTTON in page_text(page)
    assert f"diagnostic?visite={visit.id}" in page.get_data(as_text=True)
    assert "Envoi du questionnaire par e-mail impossible." in page_text(page)
    page = client.get(f"/animateur/entreprises/{company.ref}/diagnostic")
    assert f"diagnostic?visite={visit.id}" in page.get_data(as_text=True)
    response = client.post(
        f"/animateur/entreprises/{company.ref}/diagnostic?visite={visit.id}", data=GOOD
    )
    assert response.status_code == 302
    assert count(Diagnosis) == 2
