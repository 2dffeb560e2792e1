"""A need's texts in people's own words (its title, "le besoin dans les mots de
l'entreprise", the animateur's notes, a visit's notes, the message to an operator or a
partner) never state a requirement on a criterion the law forbids in hiring (Code du
travail L1132-1, Code pénal 225-1): each way they come in refuses one next to its field,
in French, naming the criterion and the law, keeps what was typed and writes nothing.

The tables are the rule's specification for prose: what is refused, with its words and
criteria, and the ordinary job prose that shares a word with a criterion and is kept.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connectences import workflows
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Company, Lead, Need, Referral, Visit
from connectences.needs import form_rules
from connectences.skills.forbidden import (
    AGE,
    APPEARANCE,
    FAMILY,
    HEALTH,
    ORIGIN,
    PREGNANCY,
    RELIGION,
    SEX,
    forbidden_in_text,
    text_problem,
)
from tests import factories as f
from tests.helpers import by_ref, count, error_of, html_of, make_company, qualify
from tests.test_api_exchange import _document, _post
from tests.test_api_v1 import _problem, bearer, token_for
from tests.test_offline_sync import need_record, results, send, visit_record
from tests.test_web_needs import (
    _post_changes_nothing,
    data,  # noqa: F401
)

# The need page tests' world (operators, a partner, needs), the animateur logged in.
from tests.test_web_needs import animateur as _animateur  # noqa: F401

FUTURE = (local_today() + timedelta(days=30)).isoformat()

REFUSED = [
    # The outside check.
    ("Nous voulons une femme de moins de 25 ans", "femme de moins de 25 ans", (AGE, SEX)),
    ("Serveuse jeune et dynamique", "jeune et dynamique", (AGE,)),
    # Explicit requirements about the person, in sentences.
    ("Un homme pour la manutention", "homme pour la manutention", (SEX,)),
    ("Nous cherchons une femme en CDI", "femme", (SEX,)),
    ("Une femme serait préférable pour l'accueil", "femme serait préférable", (SEX,)),
    ("Des hommes pour porter les cartons", "hommes pour porter les cartons", (SEX,)),
    ("Serveur homme uniquement", "homme uniquement", (SEX,)),
    ("Profil recherché : entre 20 et 30 ans", "entre 20 et 30 ans", (AGE,)),
    ("Jeune serveur motivé pour la saison", "Jeune serveur", (AGE,)),
    ("Il nous faut un jeune pour l'été", "jeune", (AGE,)),
    ("Nous voulons quelqu'un de moins de 40 ans", "moins de 40 ans", (AGE,)),
    ("Vendeuse, 30 ans maximum", "30 ans maximum", (AGE,)),
    ("Candidat sans enfants, disponible le week-end", "Candidat sans enfants", (FAMILY,)),
    ("Célibataire de préférence", "Célibataire de préférence", (FAMILY,)),
    ("Aide-cuisinier de nationalité française", "nationalité française", (ORIGIN,)),
    ("Pas de voile en boutique", "Pas de voile", (RELIGION,)),
    ("Le candidat doit être en bonne santé", "candidat doit être en bonne santé", (HEALTH,)),
    ("Maçon en bonne santé", "bonne santé", (HEALTH,)),
    ("Hôtesse d'accueil, physique agréable", "physique agréable", (APPEARANCE,)),
    ("Pas de femme enceinte", "Pas de femme enceinte", (PREGNANCY, SEX)),
    ("Homme ou femme, 30 ans minimum", "30 ans minimum", (AGE,)),
    # A courtesy word or a "s'abstenir" beside the requirement changes nothing.
    ("Femme svp", "Femme", (SEX,)),
    ("Nous voulons une femme svp", "femme", (SEX,)),
    ("Pas de handicapé s'il vous plaît", "Pas de handicapé", (HEALTH,)),
    ("Pas d'étrangers merci", "Pas d'étrangers", (ORIGIN,)),
    ("Jeune stp", "Jeune", (AGE,)),
    ("Handicapés s'abstenir", "Handicapés s'abstenir", (HEALTH,)),
    ("Seniors s'abstenir", "Seniors s'abstenir", (AGE,)),
    ("De confession chrétienne", "confession chrétienne", (RELIGION,)),
    # A sex after a job that serves no clientele of a sex is the person hired.
    ("Secrétaire femme svp", "femme", (SEX,)),
    ("Secrétaire femme", "femme", (SEX,)),
    ("Comptable homme", "homme", (SEX,)),
    ("Vendeuse en alimentation femme", "femme", (SEX,)),
    ("Poste femme", "femme", (SEX,)),
    # An origin said with "type".
    ("Caissière de type européen", "type européen", (ORIGIN,)),
    ("profil type caucasien", "profil type caucasien", (ORIGIN,)),
    ("Serveur de type maghrébin", "type maghrébin", (ORIGIN,)),
    # A group of a criterion said welcome is preferred: a criterion.
    ("Jeunes retraités bienvenus", "Jeunes retraités bienvenus", (AGE,)),
    ("Jeunes bienvenus", "Jeunes bienvenus", (AGE,)),
    ("Femmes bienvenues", "Femmes bienvenues", (SEX,)),
    ("Seniors bienvenus", "Seniors bienvenus", (AGE,)),
    # A disability or the RQTH refused is the criterion (named positively, it is not).
    ("Pas de RQTH", "Pas de RQTH", (HEALTH,)),
    ("RQTH s'abstenir", "RQTH s'abstenir", (HEALTH,)),
]

KEPT = [
    # Job titles that begin with a criterion's word, and both sexes named.
    "Recherche femme de ménage pour 2 matinées",
    "Homme d'entretien H/F",
    "Agent d'entretien H/F",
    "Femme / valet de chambre pour la saison",
    "Une femme de chambre pour l'été",
    "Nous cherchons un homme toutes mains",
    "Sage-femme libérale",
    "Un homme-clé de notre organisation",
    "Coiffeur homme",
    "Coiffeur homme/femme, salon mixte",
    # Who the company is, who it serves, and experience.
    "Nous sommes une jeune entreprise",
    "Nous sommes une équipe jeune et dynamique",
    "Entreprise créée il y a 20 ans, équipe jeune",
    "Notre entreprise est en bonne santé financière",
    "Entreprise familiale de 12 salariés",
    "Vêtements homme, femme et enfant",
    "Magasin de vêtements pour femme",
    "Coupe femme et brushing",
    "Garde d'enfants de moins de 3 ans",
    "Accompagnement des femmes enceintes",
    "Accueil de jeunes enfants",
    "Poste accessible aux personnes en situation de handicap",
    "5 ans d'expérience minimum",
    "Plus de 10 ans d'expérience en comptabilité",
    "Jeune diplômé accepté",
    "Poste de 20 h maximum",
    "L'entreprise a 30 ans",
    "L'ancienne salariée part à la retraite",
    "La personne doit parler français couramment",
    "Cuisine du monde, plats africains",
    "Tenue correcte exigée",
    "Bonne présentation",
    "Contact : Marie au 06 12 34 56 78",
    "Je fais la compta le soir, je n'y arrive plus.",
    "Merci de nous rappeler le matin, s'il vous plaît",
    "Débutants s'abstenir",
    # A sex after a trade that serves a clientele of a sex is that clientele, and one
    # after "pour" the person served.
    "Coiffeuse femme",
    "Barbier homme",
    "Esthéticienne femme",
    "Esthéticienne à domicile",
    "Couturière homme et femme",
    "Vendeuse prêt-à-porter femme",
    "Vendeuse en chaussures homme",
    "Vendeur rayon homme",
    "Coiffeur pour homme",
    "Aide à domicile pour femme âgée",
    # "type" beside no person, and a word of an origin with no condition.
    "Restaurant de type asiatique",
    "Cuisine de type méditerranéen",
    "Élevage de bergers caucasiens",
    # Welcome to people of no criterion, or to both sexes.
    "Débutants bienvenus",
    "Étudiants bienvenus",
    "Jeune diplômé bienvenu",
    "Hommes et femmes bienvenus",
    # A post open to disabled workers (L5212-2, L1133-4): the law allows saying it.
    "Poste ouvert aux personnes en situation de handicap",
    "Candidatures RQTH bienvenues",
    "Poste RQTH",
    "RQTH bienvenue",
    "Personnes handicapées bienvenues",
    "Poste réservé aux travailleurs handicapés",
]


@pytest.mark.parametrize(("text", "words", "criteria"), REFUSED)
def test_a_requirement_in_prose_is_found_with_its_words_and_criteria(text, words, criteria):
    assert forbidden_in_text(text) == [(words, criteria)]


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_job_prose_is_kept(text):
    assert forbidden_in_text(text) == []


def test_the_message_quotes_the_words_names_each_criterion_and_the_law():
    assert text_problem("Nous voulons une femme de moins de 25 ans") == (
        "« femme de moins de 25 ans » : la plateforme ne tient jamais compte de l'âge ni "
        "du sexe (critères interdits par la loi, article L1132-1 du Code du travail). "
        "Décrivez le travail et les compétences attendues, pas la personne."
    )
    assert text_problem("Serveuse, jeune. Sans enfants.") == (
        "« jeune » et « Sans enfants » : la plateforme ne tient jamais compte de la "
        "situation de famille ni de l'âge (critères interdits par la loi, article L1132-1 "
        "du Code du travail). Décrivez le travail et les compétences attendues, pas la "
        "personne."
    )
    assert text_problem("") is None and text_problem(None) is None


def test_the_need_rules_refuse_the_title_the_company_s_words_and_the_notes():
    checked = form_rules.check_need(
        {
            "title": "Serveuse jeune et dynamique",
            "reason_text": "Nous voulons une femme de moins de 25 ans",
        },
        today=local_today(),
    )
    assert "de l'âge" in checked.errors["title"]
    assert "« femme de moins de 25 ans »" in checked.errors["reason_text"]
    notes = form_rules.check_notes({"notes": "Le gérant veut un homme"})
    assert "du sexe" in notes.errors["notes"]
    kept = form_rules.check_need(
        {"title": "Femme de ménage H/F", "reason_text": "Nous sommes une jeune entreprise"},
        today=local_today(),
    )
    assert "title" not in kept.errors and "reason_text" not in kept.errors


# --- the forms ---------------------------------------------------------------------------


def test_the_public_form_refuses_the_company_s_words_keeps_them_and_writes_nothing(client):
    before = (count(Need), count(Company))
    said = "Nous voulons une femme de moins de 25 ans"
    response = client.post(
        "/exprimer-un-besoin",
        data=f.public_need_form(
            start=FUTURE, reason_text=said, title="Serveuse jeune et dynamique"
        ),
    )
    assert response.status_code == 422
    assert "critères interdits par la loi" in error_of(response, "reason_text")
    assert "« jeune et dynamique »" in error_of(response, "title")
    assert said in html_of(response)  # kept, to be reworded
    assert (count(Need), count(Company)) == before
    reworded = "Service en salle le midi, accueil des clients"
    fixed = f.public_need_form(start=FUTURE, reason_text=reworded, title="Serveuse H/F")
    assert client.post("/exprimer-un-besoin", data=fixed).status_code == 302


def test_the_animateur_s_new_need_refuses_notes_that_state_a_criterion(client, auth):
    f.load(f.document(companies=[f.company(ref="c1", name="Boulangerie du Port")]))
    auth.login("animateur")
    form = {
        "entreprise": "c1",
        "title": "Vente en boulangerie le samedi",
        "skills": "vente",
        "level": "employe_qualifie",
        "hours_per_week": "7",
        "days": ["sat"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": FUTURE,
        "notes": "Le patron préfère une femme sans enfants",
    }
    response = client.post("/animateur/besoins/nouveau", data=form)
    assert response.status_code == 422
    assert "la situation de famille ni du sexe" in error_of(response, "notes")
    assert count(Need) == 0


@pytest.mark.usefixtures("_animateur")
def test_the_qualification_refuses_notes_and_changes_nothing(client):
    need = by_ref(Need, "n1")
    title, status = need.title, need.status
    response = client.post(
        "/animateur/besoins/n1/qualifier",
        data={
            "title": need.title,
            "skills": "\n".join(need.skills),
            "level": need.level,
            "hours_per_week": "7",
            "days": need.days,
            "contract": need.contract,
            "reason": need.reason,
            "start": FUTURE,
            "rome": "M1203",
            "shared_time": "oui",
            "notes": "De nationalité française uniquement",
            "lu_le": workflows.read_stamp(need),
        },
    )
    assert response.status_code == 422
    assert "de la nationalité ou de l'origine" in error_of(response, "notes")
    db.session.expire_all()
    need = by_ref(Need, "n1")
    assert (need.title, need.status, need.notes) == (title, status, None)


@pytest.mark.usefixtures("_animateur")
def test_the_message_to_an_operator_is_refused_and_kept(client):
    qualify("n1")
    response = _post_changes_nothing(
        client,
        "/animateur/besoins/n1/proposer",
        {"operateur": "ge", "note": "L'entreprise veut un jeune homme"},
    )
    assert response.status_code == 422
    assert "de l'âge ni du sexe" in error_of(response, "note")
    assert "L&#39;entreprise veut un jeune homme</textarea>" in html_of(response)
    assert count(Lead) == 0


@pytest.mark.usefixtures("_animateur")
def test_the_reorientation_s_precision_and_message_are_refused(client):
    qualify("plein")
    form = {"partenaire": "ft", "motif": "autre", "precision": "Ils veulent une femme"}
    response = _post_changes_nothing(client, "/animateur/besoins/plein/reorienter", form)
    assert response.status_code == 422
    assert "du sexe" in error_of(response, "precision-reo")
    form = {"partenaire": "ft", "motif": "temps_plein", "note": "Pas de femme enceinte"}
    response = _post_changes_nothing(client, "/animateur/besoins/plein/reorienter", form)
    assert response.status_code == 422
    assert "de la grossesse" in error_of(response, "note-reo")
    assert "Pas de femme enceinte</textarea>" in html_of(response)
    assert count(Referral) == 0


# --- offline, the API, the interchange ---------------------------------------------------


def test_a_visit_and_a_need_recorded_offline_are_refused_at_their_texts(client, auth):
    auth.login("animateur")
    company = make_company()
    visit = visit_record(company, need_detected="1", outcome="besoin_detecte")
    need = need_record(visit["cle"], title="Jeune serveuse pour l'été")
    answers = results(send(client, visit, need))
    assert set(answers[need["cle"]]["erreurs"]) == {"title"}
    assert count(Need) == 0
    bad_visit = visit_record(company, notes="La gérante cherche une femme de moins de 30 ans")
    answers = results(send(client, bad_visit))
    assert "de l'âge ni du sexe" in answers[bad_visit["cle"]]["erreurs"]["notes"]
    assert (
        db.session.scalar(
            select(func.count()).select_from(Visit).where(Visit.notes.like("%femme%"))
        )
        == 0
    )


@pytest.mark.usefixtures("_animateur")
def test_the_api_s_qualification_and_proposal_point_at_the_text(client, auth):
    token = token_for(auth.create("animateur", email="api@connectences.example"))
    need = by_ref(Need, "n1")
    etag = client.get("/api/v1/needs/n1", headers=bearer(token)).headers["ETag"]
    body = {
        "title": "Comptable, homme de préférence",
        "skills": list(need.skills),
        "level": need.level,
        "hours_per_week": 7,
        "days": list(need.days),
        "contract": need.contract,
        "reason": need.reason,
        "start": FUTURE,
        "rome": "M1203",
        "shared_time": True,
    }
    headers = bearer(token) | {"If-Match": etag}
    response = client.post("/api/v1/needs/n1/qualification", json=body, headers=headers)
    problem = _problem(response, 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/json/title"]
    assert "du sexe" in problem["errors"][0]["detail"]
    qualify("n1")
    etag = client.get("/api/v1/needs/n1", headers=bearer(token)).headers["ETag"]
    headers = bearer(token) | {"If-Match": etag}
    proposal = {"operator": "ge", "candidates": [], "note": "Plutôt une femme"}
    response = client.post("/api/v1/needs/n1/leads", json=proposal, headers=headers)
    problem = _problem(response, 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/json/note"]
    assert count(Lead) == 0


def test_an_imported_need_s_title_is_refused_and_nothing_stored(client, auth):
    document = _document()
    document["needs"][0]["title"] = "Serveuse jeune et dynamique"
    body = _problem(_post(client, token_for(auth.create("animateur")), document), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/needs/0/title"]
    assert "« jeune et dynamique »" in body["errors"][0]["detail"]
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0
