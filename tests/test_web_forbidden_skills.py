"""Every form where people type skills refuses one that expresses a criterion the law
forbids in hiring (Code du travail L1132-1), next to the field, in French, naming the
criterion, and stores nothing: the public need form, a company owner's own need, the
animateur's new need and qualification, the API's qualification, the CV submission, the
candidate's space, the animateur's CV entry, the spreadsheet import of CVs and a need
recorded offline on a phone.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.clock import local_today
from connectences.cvtheque import consent, profile
from connectences.extensions import db
from connectences.models import Candidate, Company, Need, OutboxMessage, Transition
from connectences.needs import form_rules
from connectences.skills.forbidden import AGE, SEX, refusal
from connectences.tabular import to_csv
from tests import factories as f
from tests.cv_helpers import form_data, post_multipart, private_cv_folder
from tests.helpers import by_ref, count, error_of, html_of, make_company
from tests.test_api_v1 import _problem, bearer, token_for
from tests.test_offline_sync import need_record, results, send, visit_record

AGE_REFUSED = (
    "« moins de 30 ans » : la plateforme ne tient jamais compte de l'âge (critère "
    "interdit par la loi, article L1132-1 du Code du travail). Retirez-le."
)
FUTURE = (local_today() + timedelta(days=30)).isoformat()


@pytest.fixture(autouse=True)
def cv_dir(app, tmp_path, monkeypatch):
    yield from private_cv_folder(app, tmp_path, monkeypatch)


def _written() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(count(m) for m in (Need, Company, Candidate, OutboxMessage, Transition))


def test_the_domain_rules_refuse_it_for_needs_and_people():
    checked = form_rules.check_need(
        {"title": "Comptable", "skills": "comptabilité\nmoins de 30 ans"}, today=local_today()
    )
    assert checked.errors["skills"] == AGE_REFUSED
    with pytest.raises(profile.ProfileError) as raised:
        profile.clean_profile({"skills": "accueil, homme"}, partial=True)
    assert raised.value.errors == {"skills": refusal("homme", SEX)}
    assert refusal("moins de 30 ans", AGE) == AGE_REFUSED


# --- needs -----------------------------------------------------------------------------


def _public_need(**overrides) -> dict:
    return f.public_need_form(
        **{"skills": "saisie comptable\nmoins de 30 ans", "start": FUTURE, **overrides}
    )


def test_the_public_need_form_refuses_it_and_writes_nothing(client):
    before = _written()
    response = client.post("/exprimer-un-besoin", data=_public_need())
    assert response.status_code == 422
    assert AGE_REFUSED in error_of(response, "skills")
    assert "saisie comptable" in html_of(response)  # what was typed stays to be corrected
    assert _written() == before
    # Once removed, the same need goes through (femme de chambre, H/F are real wording).
    fixed = _public_need(skills="saisie comptable\nfemme de chambre H/F")
    assert client.post("/exprimer-un-besoin", data=fixed).status_code == 302


def test_a_company_owner_s_own_need_is_refused_alike(client, auth):
    owner = auth.login("company", full_name="Sylvie Lafitte")
    company = db.session.get(type(owner), owner.id).companies[0]
    before = _written()
    data = _public_need(
        siret=company.siret,
        company_name=company.name,
        owner_email=owner.email,
        skills="accueil\nfemme uniquement",
    )
    response = client.post("/exprimer-un-besoin", data=data)
    assert response.status_code == 422
    assert refusal("femme uniquement", SEX) in error_of(response, "skills")
    assert _written() == before


@pytest.fixture
def stored(auth):
    f.load(
        f.document(
            companies=[f.company(ref="c1", name="Boulangerie du Port")],
            needs=[f.need(ref="n1", company="c1", skills=["comptabilité générale"])],
        )
    )
    return auth


def test_the_animateur_s_new_need_is_refused(client, stored):
    stored.login("animateur")
    before = _written()
    form = {
        "entreprise": "c1",
        "title": "Secrétariat le jeudi",
        "skills": "accueil téléphonique\nnationalité française",
        "level": "employe_qualifie",
        "hours_per_week": "7",
        "days": ["thu"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": FUTURE,
    }
    response = client.post("/animateur/besoins/nouveau", data=form)
    assert response.status_code == 422
    assert "la nationalité ou de l'origine" in error_of(response, "skills")
    assert _written() == before


def _qualification(**overrides) -> dict:
    data = {
        "title": "Comptable un jour par semaine",
        "skills": "tenue de la comptabilité\nmoins de 30 ans",
        "level": "technicien",
        "hours_per_week": "7",
        "days": ["tue"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": FUTURE,
        "rome": "M1203",
        "shared_time": "oui",
        "lu_le": workflows.read_stamp(by_ref(Need, "n1")),
    }
    return f.overridden(data, overrides)


def test_the_qualification_is_refused_and_changes_nothing(client, stored):
    stored.login("animateur")
    response = client.post("/animateur/besoins/n1/qualifier", data=_qualification())
    assert response.status_code == 422
    assert AGE_REFUSED in error_of(response, "skills")
    need = by_ref(Need, "n1")
    assert need.status == "nouveau" and need.skills == ["comptabilité générale"]


def test_the_api_s_qualification_points_at_the_skills(client, stored):
    token = token_for(stored.create("animateur"))
    etag = client.get("/api/v1/needs/n1", headers=bearer(token)).headers["ETag"]
    body = {
        "title": "Comptabilité un jour par semaine",
        "skills": ["comptabilité générale", "moins de 30 ans"],
        "level": "employe_qualifie",
        "hours_per_week": 7,
        "days": ["tue"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": FUTURE,
        "rome": "M1203",
        "shared_time": True,
    }
    headers = bearer(token) | {"If-Match": etag}
    response = client.post("/api/v1/needs/n1/qualification", json=body, headers=headers)
    problem = _problem(response, 422)
    assert problem["errors"] == [{"pointer": "/json/skills", "detail": AGE_REFUSED}]
    need = by_ref(Need, "n1")
    assert need.status == "nouveau" and need.skills == ["comptabilité générale"]


# --- people ----------------------------------------------------------------------------


def test_the_cv_form_refuses_it_and_stores_no_one(client):
    before = _written()
    response = post_multipart(
        client, "/deposer-mon-cv", form_data(skills="saisie comptable\nmoins de 30 ans")
    )
    assert response.status_code == 400
    assert AGE_REFUSED in error_of(response, "skills")
    assert _written() == before


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_candidate_s_space_refuses_it_and_keeps_the_skills(client, auth, logged_in):
    f.load(f.document(candidates=[f.candidate(ref="cv-1", skills=["saisie comptable"])]))
    person = by_ref(Candidate, "cv-1")
    if logged_in:
        auth.login("candidate", org_ref="cv-1")
        url = "/candidat/mon-espace/modifier"
    else:
        url = f"/mon-cv/{consent.space_token(person)}/modifier"
    data = form_data(email=person.email, skills="saisie comptable\nbonne santé")
    data.pop("consent")
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert (
        "« bonne santé » : la plateforme ne tient jamais compte de l'état de santé ou du "
        "handicap (critère interdit par la loi, article L1132-1 du Code du travail). "
        "Retirez-le."
    ) in error_of(response, "skills")
    assert by_ref(Candidate, "cv-1").skill_labels == ["saisie comptable"]


def test_the_animateur_s_cv_entry_refuses_it(client, auth):
    auth.login("animateur")
    before = _written()
    form = {
        "first_name": "Yanis",
        "last_name": "Morel",
        "email": "yanis.morel@exemple.fr",
        "commune": "La Teste-de-Buch",
        "mobility_km": "25",
        "skills": "entretien des espaces verts\ncélibataire sans enfant",
        "level": "non_qualifie",
        "hours_min": "8",
        "hours_max": "20",
        "days": ["mon", "wed"],
        "contracts": ["cdd"],
        "available_from": "2027-03-01",
        "source": "forum",
        "consent": "1",
    }
    response = client.post("/animateur/cvtheque/nouveau", data=form)
    assert response.status_code == 422
    assert "la situation de famille" in error_of(response, "skills")
    assert _written() == before


def test_the_spreadsheet_import_leaves_the_row_out_with_the_reason(client, auth):
    auth.login("animateur")
    good = {
        "Prénom": "Inès",
        "Nom": "Lambert",
        "E-mail": "ines.lambert@exemple.fr",
        "Commune": "Arcachon",
        "Rayon de mobilité (km)": "15",
        "Compétences": "accueil, facturation",
        "Niveau": "Employé qualifié",
        "Heures min": "10",
        "Heures max": "24",
        "Jours": "lundi-vendredi",
        "Contrats": "CDD",
        "Disponible à partir du": "04/01/2027",
    }
    bad = {**good, "E-mail": "hugo@exemple.fr", "Compétences": "accueil; homme; 55 ans"}
    headers = list(good)
    table = to_csv(headers, [[row[h] for h in headers] for row in (good, bad)])
    response = client.post(
        "/animateur/cvtheque/import",
        data={"fichier": (io.BytesIO(table), "cv.csv"), "source": "forum"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    preview = html_of(client.get(location))
    assert "« homme » et « 55 ans » : la plateforme ne tient jamais compte du sexe ni de " in (
        preview.replace("&#39;", "'")
    )
    assert count(Candidate) == 0
    assert client.post(location + "/confirmer").status_code == 302
    db.session.expire_all()
    assert [c.email for c in db.session.scalars(select(Candidate))] == ["ines.lambert@exemple.fr"]


def test_a_qualified_need_is_not_reopened_by_a_refused_skill(client, stored):
    # Refusing is the whole answer: no transition, no partial write, even when qualified.
    workflows.transition(db.session, by_ref(Need, "n1"), workflows.NEED, "qualifie")
    db.session.commit()
    stored.login("animateur")
    before = _written()
    response = client.post(
        "/animateur/besoins/n1/qualifier", data=_qualification(skills="compta\njeune")
    )
    assert response.status_code == 422
    assert _written() == before and by_ref(Need, "n1").skills == ["comptabilité générale"]


def test_the_public_page_on_matching_says_such_a_skill_is_refused(client):
    page = html_of(client.get("/mise-en-relation"))
    assert "Une compétence qui exprime l'un de ces critères" in page


def test_a_need_recorded_offline_on_a_phone_is_refused_at_its_skills(client, auth):
    auth.login("animateur")
    company = make_company()
    visit = visit_record(company, need_detected="1")
    need = need_record(visit["cle"], skills="tenue de la comptabilité\nmoins de 30 ans")
    answers = results(send(client, visit, need))
    assert answers[need["cle"]]["erreurs"] == {"skills": AGE_REFUSED}
    assert count(Need) == 0
