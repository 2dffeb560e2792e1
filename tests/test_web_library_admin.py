"""Animateur pages of the CV library: duplicates, merge, keep both, on-behalf creation,
and who may open them."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from connectences.extensions import db
from connectences.models import (
    AuditLog,
    Candidate,
    CandidateDistinct,
    CandidateEvent,
    CandidateImport,
    Lead,
    LeadCandidate,
    Operator,
    OutboxMessage,
)
from tests import factories
from tests.helpers import count, error_of

FORM = {
    "first_name": "Yanis",
    "last_name": "Morel",
    "email": "yanis.morel@exemple.fr",
    "phone": "07 11 22 33 44",
    "commune": "La Teste-de-Buch",
    "mobility_km": "25",
    "skills": "entretien des espaces verts\ntaille de haies",
    "rome": "A1203",
    "level": "non_qualifie",
    "hours_min": "8",
    "hours_max": "20",
    "days": ["mon", "wed"],
    "contracts": ["cdd", "saisonnier"],
    "available_from": "2027-03-01",
    "source": "forum",
    "consent": "1",
}


def _store(**fields) -> Candidate:
    item = factories.candidate(**fields)
    factories.load(factories.document(candidates=[item]))
    return db.session.scalars(select(Candidate).where(Candidate.ref == item["ref"])).one()


def test_create_on_behalf_queues_the_confirmation_and_waits_for_it(client, auth):
    user = auth.login("animateur")
    page = client.get("/animateur/cvtheque/nouveau").get_data(as_text=True)
    assert "Information à lire avec la personne" in page and "Qui voit votre profil" in page
    response = client.post("/animateur/cvtheque/nouveau", data=FORM)
    assert response.status_code == 302
    person = db.session.scalars(select(Candidate)).one()
    assert response.headers["Location"].endswith(f"/animateur/cvtheque/{person.ref}")
    assert person.email == "yanis.morel@exemple.fr" and person.source == "forum"
    assert person.consent and person.consent_at is not None
    assert person.email_confirmed_at is None  # not matched before confirming
    assert person.days == ["mon", "wed"] and person.commune == factories.LA_TESTE
    mail = db.session.scalars(select(OutboxMessage)).one()
    assert mail.to == person.email and mail.candidate_id == person.id
    assert "/mon-cv/confirmer/" in mail.body_text
    event = db.session.scalars(
        select(CandidateEvent).where(CandidateEvent.candidate_id == person.id)
    ).first()
    assert event is not None and event.actor_id == user.id


def test_create_on_behalf_reads_a_job_named_with_commas_as_one_job(client, auth):
    # The staff form reads jobs as the person's own form does (profile.read_trades):
    # a name holding commas is one job, jobs are separated by semicolons.
    auth.login("animateur")
    page = client.get("/animateur/cvtheque/nouveau").get_data(as_text=True)
    assert "points-virgules" in page
    typed = "Café, bar brasserie; M1203"
    response = client.post("/animateur/cvtheque/nouveau", data={**FORM, "rome": typed})
    assert response.status_code == 302
    assert db.session.scalars(select(Candidate)).one().rome == ["M1203", "G1801"]


@pytest.mark.parametrize("typed", ["((((", ";;;", ",,"])
def test_create_on_behalf_refuses_jobs_typed_with_no_word(client, auth, typed):
    auth.login("animateur")
    response = client.post("/animateur/cvtheque/nouveau", data={**FORM, "rome": typed})
    assert response.status_code == 422
    assert f"Aucun métier reconnu dans « {typed} »" in error_of(response, "rome")
    assert count(Candidate) == 0 and count(OutboxMessage) == 0


def test_create_on_behalf_requires_the_consent_and_reports_field_errors(client, auth):
    auth.login("animateur")
    data = {**FORM, "consent": "", "hours_max": "60", "email": "nope"}
    response = client.post("/animateur/cvtheque/nouveau", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "la personne doit avoir lu la notice" in html
    assert "entre 1 et 48" in html and "adresse e-mail valide" in html
    assert count(Candidate) == 0 and count(OutboxMessage) == 0


@pytest.mark.parametrize("source", ["salon de l'emploi", "x" * 5000, "-1", "1e400", "anim ateur"])
def test_create_on_behalf_refuses_a_source_outside_the_list(client, auth, source):
    auth.login("animateur")
    response = client.post("/animateur/cvtheque/nouveau", data={**FORM, "source": source})
    assert response.status_code == 422
    message = error_of(response, "source")
    assert "Source inconnue « " in message and "forum, job dating, permanence" in message
    assert count(Candidate) == 0 and count(OutboxMessage) == 0 and count(CandidateEvent) == 0
    # What was typed comes back with it.
    html = response.get_data(as_text=True)
    assert 'value="Yanis"' in html and 'value="yanis.morel@exemple.fr"' in html


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("Réseaux sociaux", "réseaux sociaux"),
        (" JOB-DATING ", "job dating"),
        ("forum\u202e", "forum"),  # stored as the list has it, never as typed
        ("", "animateur"),
    ],
)
def test_create_on_behalf_reads_a_source_of_the_list_however_written(client, auth, typed, stored):
    auth.login("animateur")
    response = client.post("/animateur/cvtheque/nouveau", data={**FORM, "source": typed})
    assert response.status_code == 302
    assert db.session.scalars(select(Candidate)).one().source == stored


def test_suspected_duplicate_is_shown_before_creation_then_create_anyway(client, auth):
    auth.login("animateur")
    existing = _store(first_name="Yanis", last_name="Morel", phone="0711223344")
    response = client.post(
        "/animateur/cvtheque/nouveau", data={**FORM, "email": "y.morel@exemple.fr"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "peut-être déjà dans la CVthèque" in html
    assert f"/animateur/cvtheque/{existing.ref}" in html
    assert "même numéro de téléphone" in html and "même nom" in html
    assert 'name="create_anyway" value="1"' in html
    assert count(Candidate) == 1 and count(OutboxMessage) == 0
    response = client.post(
        "/animateur/cvtheque/nouveau",
        data={**FORM, "email": "y.morel@exemple.fr", "create_anyway": "1"},
    )
    assert response.status_code == 302
    assert count(Candidate) == 2 and count(OutboxMessage) == 1


def test_same_email_leads_to_the_existing_record(client, auth):
    auth.login("animateur")
    existing = _store(email="yanis.morel@exemple.fr")
    html = client.post("/animateur/cvtheque/nouveau", data=FORM).get_data(as_text=True)
    assert "même adresse e-mail" in html
    response = client.post("/animateur/cvtheque/nouveau", data={**FORM, "create_anyway": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(existing.ref)
    assert count(Candidate) == 1 and count(OutboxMessage) == 0


def test_merge_through_the_pages(client, auth):
    user = auth.login("animateur")
    a = _store(first_name="Chloé", last_name="Faure", phone="06 55 44 33 22", hours_max=30)
    b = _store(
        first_name="Chloe",
        last_name="Faure",
        phone="+33655443322",
        hours_max=12,
        email="chloe.f@exemple.fr",
    )
    op = factories.operator()
    factories.load(factories.document(operators=[op]))
    lead = Lead(operator_id=db.session.scalars(select(Operator.id)).one())
    db.session.add(lead)
    db.session.flush()
    db.session.add(LeadCandidate(lead_id=lead.id, candidate_id=b.id))
    db.session.commit()
    a_id, b_id, b_ref = a.id, b.id, b.ref

    listing = client.get("/animateur/cvtheque/doublons").get_data(as_text=True)
    compare_url = f"/animateur/cvtheque/doublons/{a_id}/{b_id}"
    assert compare_url in listing and "même numéro de téléphone" in listing
    page = client.get(compare_url).get_data(as_text=True)
    assert "chloe.f@exemple.fr" in page and "Fusionner" in page
    response = client.post(
        compare_url + "/fusionner",
        data={"keep": "a", "field_hours_max": "b", "field_email": "b"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Candidate, b_id) is None
    kept = db.session.get(Candidate, a_id)
    assert kept.hours_max == 12 and kept.email == "chloe.f@exemple.fr"
    assert db.session.scalars(select(LeadCandidate.candidate_id)).all() == [a_id]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "candidate_merged")).one()
    assert entry.actor_id == user.id and entry.details["dropped_ref"] == b_ref
    assert "même numéro" not in client.get("/animateur/cvtheque/doublons").get_data(as_text=True)


def test_keep_both_through_the_pages_is_not_proposed_again(client, auth):
    auth.login("animateur")
    a = _store(first_name="Marc", last_name="Blanc", phone="0601010101")
    b = _store(first_name="Marc", last_name="Blanc", phone="0601010101")
    url = f"/animateur/cvtheque/doublons/{a.id}/{b.id}"
    assert url in client.get("/animateur/cvtheque/doublons").get_data(as_text=True)
    response = client.post(url + "/distincts")
    assert response.status_code == 302
    assert count(CandidateDistinct) == 1 and count(Candidate) == 2
    listing = client.get("/animateur/cvtheque/doublons").get_data(as_text=True)
    assert url not in listing and "Aucun doublon possible" in listing


def test_admin_may_open_the_pages(client, auth):
    auth.login("admin")
    for path in (
        "/animateur/cvtheque/doublons",
        "/animateur/cvtheque/nouveau",
        "/animateur/cvtheque/import",
    ):
        assert client.get(path).status_code == 200


PAGES = [
    ("get", "/animateur/cvtheque/doublons"),
    ("get", "/animateur/cvtheque/doublons/{a}/{b}"),
    ("post", "/animateur/cvtheque/doublons/{a}/{b}/fusionner"),
    ("post", "/animateur/cvtheque/doublons/{a}/{b}/distincts"),
    ("get", "/animateur/cvtheque/nouveau"),
    ("post", "/animateur/cvtheque/nouveau"),
    ("get", "/animateur/cvtheque/import"),
    ("post", "/animateur/cvtheque/import"),
    ("get", "/animateur/cvtheque/import/modele.csv"),
    ("get", "/animateur/cvtheque/import/{token}"),
    ("post", "/animateur/cvtheque/import/{token}/confirmer"),
    ("get", "/animateur/cvtheque/import/{token}/erreurs.csv"),
]


@pytest.mark.parametrize(
    "role", ["operator", "partner", "company", "candidate", "territoire", None]
)
def test_other_roles_and_anonymous_are_refused_everywhere(client, auth, app, role):
    a = _store(first_name="Anne", last_name="Roy", phone="0602020202")
    b = _store(first_name="Anne", last_name="Roy", phone="0602020202")
    staff = app.test_client()
    auth.login("animateur", client=staff)
    headers = (
        "Prénom;Nom;E-mail;Commune;Rayon de mobilité (km);Compétences;Niveau;Heures min;"
        "Heures max;Jours;Contrats;Disponible à partir du\n"
    )
    csv = (headers + "A;B;ab@exemple.fr;Arcachon;5;x;Cadre;5;10;lundi;CDD;01/01/2027\n").encode()
    location = staff.post(
        "/animateur/cvtheque/import",
        data={"fichier": (io.BytesIO(csv), "cv.csv"), "source": "forum"},
        content_type="multipart/form-data",
    ).headers["Location"]
    token = location.rsplit("/", 1)[1]
    if role is not None:
        auth.login(role)
    refused_before = count(AuditLog)
    people_before = count(Candidate)
    for method, path in PAGES:
        url = path.format(a=a.id, b=b.id, token=token)
        response = getattr(client, method)(url, data={"keep": "a"})
        if role is None:
            assert response.status_code == 302 and "/connexion" in response.headers["Location"]
        else:
            assert response.status_code == 403, (role, url)
    assert count(Candidate) == people_before
    assert db.session.scalar(select(CandidateImport.status)) == "preview"
    if role is not None:
        refusals = db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "cvtheque_access_refused")
        )
        assert refusals == len(PAGES) and count(AuditLog) >= refused_before + len(PAGES)


def test_import_refusals_come_back_next_to_their_fields_with_a_summary(client, auth):
    auth.login("animateur")
    response = client.post(
        "/animateur/cvtheque/import",
        data={"source": "inconnue"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="erreurs"' in html and 'href="#fichier"' in html and 'href="#source"' in html
    # Each message under its own field, the field marked invalid.
    assert '<ul class="errors" id="fichier-erreurs">' in html
    assert '<ul class="errors" id="source-erreurs">' in html
    assert 'id="source" name="source" aria-invalid="true"' in html
    assert count(CandidateImport) == 0
    # The source chosen is kept when only the file is missing.
    response = client.post(
        "/animateur/cvtheque/import",
        data={"source": "forum"},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="forum" selected' in html
    assert 'id="source-erreurs"' not in html


def test_merge_without_the_kept_record_comes_back_with_the_error_and_deletes_nothing(client, auth):
    auth.login("animateur")
    a = _store(first_name="Lina", last_name="Roux", phone="0603030303")
    b = _store(first_name="Lina", last_name="Roux", phone="0603030303")
    response = client.post(f"/animateur/cvtheque/doublons/{a.id}/{b.id}/fusionner", data={})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="erreurs"' in html and 'href="#keep-a"' in html
    assert 'id="keep-erreurs"' in html and "Choisissez la fiche à conserver." in html
    assert count(Candidate) == 2


def test_duplicates_pages_name_people_not_their_references(client, auth):
    auth.login("animateur")
    a = _store(first_name="Noé", last_name="Petit", phone="0604040404")
    b = _store(first_name="Noé", last_name="Petit", phone="0604040404")
    for url in (
        "/animateur/cvtheque/doublons",
        f"/animateur/cvtheque/doublons/{a.id}/{b.id}",
        f"/animateur/cvtheque/{a.ref}",
    ):
        html = client.get(url).get_data(as_text=True)
        text = html.replace(f"/{a.ref}", "").replace(f"/{b.ref}", "")
        assert a.ref not in text and b.ref not in text, url


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.mark.parametrize(
    ("reason", "words"),
    [("active", "CV retenu : contenu actif"), ("unreadable", "CV retenu : fichier illisible")],
)
def test_the_comparison_says_a_cv_is_withheld_and_the_merge_keeps_the_usable_one(
    client, auth, app, tmp_path, monkeypatch, reason, words
):
    """Both sides read « CV joint (PDF) », a withheld file too: staff could keep the one
    nobody can open and delete the other without being told."""
    from connectences.cvtheque import files

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    auth.login("animateur")
    a = _store(first_name="Lina", last_name="Roux", phone="0603030303")
    b = _store(first_name="Lina", last_name="Roux", phone="0603030303")
    withheld = files.withheld_name(reason)
    files.storage().write_new(withheld, MINIMAL_PDF)
    a.cv_filename, b.cv_filename = withheld, files.store_pdf(MINIMAL_PDF)
    db.session.commit()
    a_id, b_id, clean = a.id, b.id, b.cv_filename
    url = f"/animateur/cvtheque/doublons/{a_id}/{b_id}"
    page = client.get(url).get_data(as_text=True)
    assert f"{words}</label>" in page and "CV joint (PDF)</label>" in page
    # The file that can be downloaded is the one chosen unless staff change it.
    assert 'value="b" id="f-cv_filename-b" checked' in page
    response = client.post(url + "/fusionner", data={"keep": "a", "field_cv_filename": "a"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = error_of(response, "f-cv_filename-a")
    assert error.endswith(" Gardez le CV de l'autre fiche.")
    assert f"Le CV choisi est retenu ({words.removeprefix('CV retenu : ')})" in error
    assert "CV (fichier)</a>" in html
    assert 'value="a" id="f-cv_filename-a" checked' in html
    db.session.expire_all()
    assert count(Candidate) == 2 and files.pdf_exists(withheld) and files.pdf_exists(clean)
    response = client.post(url + "/fusionner", data={"keep": "a", "field_cv_filename": "b"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Candidate, a_id).cv_filename == clean and count(Candidate) == 1
