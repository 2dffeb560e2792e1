"""The job seeker's journey through the web client: submit, confirm, manage, leave."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import threading
import time
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from connectences import accounts
from connectences.clock import local_date
from connectences.cvtheque import consent, files, profile, retention
from connectences.cvtheque.erase import ON_REQUEST, erase_candidate
from connectences.cvtheque.profile import MAX_SKILLS
from connectences.cvtheque.status import status_words
from connectences.extensions import db
from connectences.mail.sender import deliver_due
from connectences.matching.matches import match_need
from connectences.models import (
    AuditLog,
    Candidate,
    CandidateEvent,
    Commitment,
    Lead,
    LeadCandidate,
    LinkRequest,
    Operator,
    OutboxMessage,
    User,
    utcnow,
)
from connectences.web.cv_forms import CandidateForm, CandidateUpdateForm
from tests import factories
from tests.cv_helpers import form_data, link_in, make_pdf, post_multipart, private_cv_folder
from tests.fixtures_auth import PASSWORD, csrf_token_from
from tests.helpers import (
    audit_entries,
    count,
    error_of,
    guard_in,
    html_of,
    mails_to,
    page_text,
    page_text_of,
    read_guard_at,
    read_stamp_at,
    recorded_statements,
    resolve_link_requests,
    same_page,
    stamp_in,
)
from tests.test_mail import mail_port, server, start_server  # noqa: E402, F401 (fixtures)
from tests.test_newsletter import quiet_smtp_server_log  # noqa: E402, F401 (fixture)

EMAIL = "camille.martin@exemple.fr"


@pytest.fixture(autouse=True)
def cv_dir(app, tmp_path, monkeypatch):
    yield from private_cv_folder(app, tmp_path, monkeypatch)


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def post_form(client, data=None, pdf: bytes | None = None, filename="cv.pdf", **overrides):
    data = dict(data or form_data(**overrides))
    if pdf is not None:
        data["cv"] = FileStorage(io.BytesIO(pdf), filename, content_type="application/pdf")
    return post_multipart(client, "/deposer-mon-cv", data)


def the_candidate() -> Candidate:
    db.session.expire_all()
    return db.session.scalars(select(Candidate)).one()


def the_candidate_by(address: str) -> Candidate:
    db.session.expire_all()
    return db.session.scalars(select(Candidate).where(Candidate.email == address)).one()


def confirm_from_mail(client, address=EMAIL) -> str:
    """Follow the confirmation link of the real queued mail; return the space path."""
    path = link_in(mails_to(address)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    page = client.get(path)
    assert page.status_code == 200 and "Confirmer mon adresse" in page.get_data(as_text=True)
    response = client.post(path)
    assert response.status_code == 302
    return response.headers["Location"]


def submitted_and_confirmed(client, **overrides) -> str:
    assert post_form(client, **overrides).status_code == 302
    return confirm_from_mail(client, overrides.get("email", EMAIL))


# --------------------------------------------------------------------------- the form


def test_the_form_asks_nothing_french_law_forbids(client):
    page = client.get("/deposer-mon-cv")
    assert page.status_code == 200
    html = page.get_data(as_text=True).lower()
    for form_class in (CandidateForm, CandidateUpdateForm):
        names = {name for name, _ in form_class()._fields.items()}
        for forbidden in (
            "age",
            "birth",
            "naissance",
            "sex",
            "sexe",
            "gender",
            "nationalit",
            "famil",
            "marital",
            "enfant",
            "sant",
            "health",
            "handicap",
            "photo",
        ):
            assert not any(forbidden in name for name in names), (forbidden, names)
    for word in ("date de naissance", "nationalité", "situation de famille", "photo d"):
        assert f'name="{word}' not in html
    # The notice is on the page before consent, with the 2 years and the rights.
    assert "2 ans après notre dernier contact" in page.get_data(as_text=True)
    assert "cnil" in html and 'name="consent"' in html
    assert re.search(r'src="/static/js/cv-suggest\.js\?v=\w+"', html) and "<script>" not in html


def test_the_person_s_own_fields_name_their_purpose_and_the_consent_says_it_is_required(
    client,
):
    """WCAG 1.3.5: what the form asks of the person themselves names its purpose (a
    browser fills it in, an aid may show its icon), their commune included; the consent
    box, refused when not ticked, says in words that it is required (3.3.2)."""
    page = html_of(client.get("/deposer-mon-cv"))
    for field_id, purpose in (
        ("first_name", "given-name"),
        ("last_name", "family-name"),
        ("email", "email"),
        ("phone", "tel"),
        ("commune", "address-level2"),
    ):
        tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', page).group(0)
        assert f'autocomplete="{purpose}"' in tag, tag
    assert re.search(
        r'<label for="consent">.*?</label>\s*<span class="required">\(obligatoire\)</span>',
        page,
        re.S,
    )


def test_public_home_links_to_the_cv_form(client):
    assert 'href="/deposer-mon-cv"' in client.get("/").get_data(as_text=True)


def test_submission_without_pdf_creates_an_unconfirmed_profile_and_mails(client, cv_dir):
    response = post_form(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/merci")
    candidate = the_candidate()
    assert candidate.email == EMAIL and candidate.commune == "33529"
    assert candidate.skill_labels == ["saisie comptable", "facturation"]
    assert candidate.skills[0].concept == "M1203"
    assert candidate.days == ["mon", "tue", "thu"] and candidate.hours_max == 24
    assert candidate.phone == "0612345678" and candidate.rome == ["M1203"]
    assert candidate.consent and candidate.consent_at and candidate.email_confirmed_at is None
    assert candidate.source == "public" and candidate.cv_filename is None
    [mail] = mails_to(EMAIL)
    assert "/mon-cv/confirmer/" in mail.body_text and mail.candidate_id == candidate.id
    # A job seeker who answers the mail reaches the platform's team, not a void.
    assert mail.reply_to == "contact@connectences.local"
    # Read on a phone: a button to tap, the address written out for clients without.
    assert 'name="viewport"' in mail.body_html
    link = re.search(
        r'<a href="([^"]+)" style="display: inline-block;[^"]*">([^<]+)</a>', mail.body_html
    )
    assert link and link[2] == "Confirmer mon adresse e-mail"
    assert re.search(
        r"Si le bouton ne marche pas, copiez [^<]*: " + re.escape(link[1]), mail.body_html
    )
    assert files_in(cv_dir) == []
    assert "Ouvrez l'e-mail" in client.get("/deposer-mon-cv/merci").get_data(as_text=True)


def test_submission_reads_nothing_back_after_its_commit(client):
    # The new profile's id is kept from the flush: reading it after the commit would
    # load the profile again, with its skills and commitments.
    with recorded_statements() as statements:
        assert post_form(client).status_code == 302
    reads = [table for s in statements for table in re.findall(r"\bFROM (\w+)", s)]
    assert "candidate_skill" not in reads and "commitment" not in reads, reads
    assert len(the_candidate().skills) == 2


def test_submission_with_pdf_proposes_the_skills_found_for_confirmation(client, cv_dir):
    pdf = make_pdf("Expérience : comptabilité, gestion de la paie, saisie comptable")
    response = post_form(client, pdf=pdf)
    assert response.headers["Location"].endswith("/deposer-mon-cv/competences")
    candidate = the_candidate()
    assert files_in(cv_dir) == [candidate.cv_filename]
    assert (cv_dir / candidate.cv_filename).read_bytes() == pdf
    page = client.get("/deposer-mon-cv/competences").get_data(as_text=True)
    assert "Nous avons trouvé ces compétences dans votre CV" in page
    assert 'value="paie"' in page and 'value="Comptabilité"' in page
    assert 'value="saisie comptable"' not in page  # already written by the person
    response = client.post("/deposer-mon-cv/competences", data={"found": ["paie"]})
    assert response.headers["Location"].endswith("/merci")
    assert the_candidate().skill_labels == ["saisie comptable", "facturation", "paie"]
    # The proposal is used once.
    client.post("/deposer-mon-cv/competences", data={"found": ["Comptabilité"]})
    assert "Comptabilité" not in the_candidate().skill_labels


def test_a_cv_with_no_text_is_kept_and_the_person_told_nothing_could_be_read(client, cv_dir):
    # A scan or a phone photo saved as PDF: accepted, but no skill can be read from it.
    response = post_form(client, pdf=make_pdf(" "))
    assert response.headers["Location"].endswith("/merci")
    assert files_in(cv_dir) == [the_candidate().cv_filename]
    said = page_text(client.get("/deposer-mon-cv/merci"))
    assert "la plateforme n'a pu y lire aucun texte" in said
    # A CV without a file, or with text, says nothing of the kind.
    other = post_form(client, email="autre.personne@exemple.fr")
    assert "aucun texte" not in page_text(client.get(other.headers["Location"]))


WRITTEN = [f"compétence écrite {n}" for n in range(1, MAX_SKILLS)]  # one short of the limit


def _refused_ticks(response) -> None:
    """Too many boxes ticked: back with the error next to them and the ticks kept."""
    assert response.status_code == 422
    error = error_of(response, "found")
    assert f"Indiquez au plus {MAX_SKILLS} compétences" in error
    assert f"déjà {MAX_SKILLS - 1} compétences" in error
    page = html_of(response)
    assert 'value="paie" checked' in page and 'value="Comptabilité" checked' in page
    assert "flash-error" not in page
    assert the_candidate().skill_labels == WRITTEN


def test_too_many_skills_ticked_come_back_next_to_the_boxes(client, cv_dir):
    pdf = make_pdf("Expérience : comptabilité, gestion de la paie")
    response = post_form(client, pdf=pdf, skills="\n".join(WRITTEN))
    assert response.headers["Location"].endswith("/deposer-mon-cv/competences")
    ticked = {"found": ["paie", "Comptabilité"]}
    _refused_ticks(client.post("/deposer-mon-cv/competences", data=ticked))
    # The proposal stays open: one box fewer is added.
    response = client.post("/deposer-mon-cv/competences", data={"found": ["paie"]})
    assert response.headers["Location"].endswith("/merci")
    assert the_candidate().skill_labels == [*WRITTEN, "paie"]


def test_the_skills_step_answers_the_same_after_a_known_address_and_a_new_one(app, client):
    """Too many boxes ticked were refused only where the sending had made a profile: a
    sending whose address held one (nothing stored, nothing to add to) went on to the
    thanks page, which told whose address was in the library."""
    submitted_and_confirmed(client)  # Camille, at EMAIL
    pdf = make_pdf("Expérience : comptabilité, gestion de la paie")
    known, new = app.test_client(), app.test_client()
    skills = "\n".join(WRITTEN)
    assert post_form(known, pdf=pdf, skills=skills).location.endswith("/competences")
    assert post_form(new, pdf=pdf, skills=skills, email=NEW).location.endswith("/competences")
    pages = [same_page(browser.get("/deposer-mon-cv/competences")) for browser in (known, new)]
    assert pages[0] == pages[1]
    ticked = {"found": ["paie", "Comptabilité"]}
    refused = [browser.post("/deposer-mon-cv/competences", data=ticked) for browser in (known, new)]
    assert [r.status_code for r in refused] == [422, 422]
    assert same_page(refused[0]) == same_page(refused[1])
    assert f"déjà {MAX_SKILLS - 1} compétences" in error_of(refused[0], "found")
    taken = [
        browser.post("/deposer-mon-cv/competences", data={"found": ["paie"]})
        for browser in (known, new)
    ]
    assert [(r.status_code, r.location) for r in taken] == [(302, "/deposer-mon-cv/merci")] * 2
    assert the_candidate_by(NEW).skill_labels == [*WRITTEN, "paie"]
    assert "paie" not in the_candidate_by(EMAIL).skill_labels


def test_too_many_skills_ticked_in_the_space_come_back_next_to_the_boxes(client, cv_dir):
    space = submitted_and_confirmed(client, skills="\n".join(WRITTEN))
    data = form_data(skills="\n".join(WRITTEN))
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    data["cv"] = FileStorage(io.BytesIO(make_pdf("comptabilité, gestion de la paie")), "cv.pdf")
    step = post_multipart(client, f"{space}/modifier", data).headers["Location"]
    assert step.endswith("/competences")
    _refused_ticks(client.post(step, data={"found": ["paie", "Comptabilité"]}))
    response = client.post(step, data={"found": ["Comptabilité"]})
    assert response.headers["Location"] == space
    assert the_candidate().skill_labels == [*WRITTEN, "Comptabilité"]


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        # As the suggestions write them and the update form shows them: the job's name,
        # its code in brackets (a name may hold commas), then a semicolon.
        (
            "Comptabilité (M1203); Pâtisserie, confiserie, chocolaterie et glacerie (D1104); ",
            ["M1203", "D1104"],
        ),
        # As they wrote them before: a comma after the code.
        (
            "Comptabilité (M1203), Pâtisserie, confiserie, chocolaterie et glacerie (D1104), ",
            ["M1203", "D1104"],
        ),
        # A name holding commas typed whole is one job, not its pieces.
        ("Pâtisserie, confiserie, chocolaterie et glacerie", ["D1104"]),
        ("cafe,bar brasserie ; comptabilite", ["G1801", "M1203"]),
        ("Comptabilité, Café, bar brasserie", ["M1203", "G1801"]),
        # Codes alone, as imports and older forms send them.
        ("M1203 k1302", ["M1203", "K1302"]),
        # A job's name typed whole without picking it: found without its code.
        ("comptabilite, Secrétariat", ["M1203", "M1607"]),
        ("", []),
    ],
)
def test_trades_are_read_from_their_names_or_their_codes(typed, codes):
    assert profile.read_trades(typed) == codes


def test_trades_are_shown_in_the_form_by_their_names(client, cv_dir):
    assert post_form(client, rome="M1203 D1104").status_code == 302
    shown = CandidateForm.data_of(the_candidate())["rome"]
    assert shown == "Comptabilité (M1203); Pâtisserie, confiserie, chocolaterie et glacerie (D1104)"
    assert profile.read_trades(shown) == ["M1203", "D1104"]


def test_the_person_s_pages_list_jobs_apart_when_their_names_hold_commas(client, auth):
    # « Café, bar brasserie, Comptabilité » read as three jobs: the names hold commas,
    # so the person's space and home separate them as the form does, by a semicolon.
    user = auth.login("candidate")
    candidate = db.session.get(Candidate, user.candidate_id)
    candidate.rome = ["G1801", "M1203"]
    db.session.commit()
    for path in ("/candidat/mon-espace", "/candidat"):
        page = page_text(client.get(path))
        assert "Café, bar brasserie ; Comptabilité" in page, path
        assert "brasserie, Comptabilité" not in page, path


def test_a_paused_person_reads_their_own_words_for_it_on_their_home_and_space(client, auth):
    # The home said « Situation Inactif », the staff's word, where the space said « Votre
    # profil est en pause »: the person reads the pause they chose, in one set of words.
    user = auth.login("candidate")
    candidate = db.session.get(Candidate, user.candidate_id)
    candidate.status = "inactif"
    db.session.commit()
    home = page_text(client.get("/candidat"))
    assert "Situation En pause : votre profil n'est proposé à aucun employeur" in home
    assert "Inactif" not in home
    space = page_text(client.get("/candidat/mon-espace"))
    assert "Votre profil est en pause" in space and "Inactif" not in space
    # The staff keep their word for it.
    assert status_words(candidate) == "Inactif"


def _rome_error(response) -> str:
    shown = unescape(response.get_data(as_text=True)).split('id="rome-erreurs"')[1]
    return " ".join(re.sub(r"<[^>]+>", " ", shown.split("</ul>")[0]).split())


@pytest.mark.parametrize(
    ("typed", "refused"),
    [
        ("Agent de restauration, plonge", "« Agent de restauration, plonge »"),
        ("Comptabilité; Comptable, gestion de paie", "« Comptable, gestion de paie »"),
    ],
)
def test_a_job_typed_with_a_comma_is_one_entry_on_the_public_form(client, typed, refused):
    # The job a person typed is told back whole, never cut at its comma into a
    # « Agent de restauration » they did not write; the form keeps what they typed.
    response = post_form(client, rome=typed)
    assert response.status_code == 400
    assert refused in _rome_error(response)
    assert f'value="{typed}"' in unescape(response.get_data(as_text=True))
    assert count(Candidate) == 0
    assert "points-virgules" in page_text(client.get("/deposer-mon-cv"))
    named = post_form(client, rome="Pâtisserie, confiserie, chocolaterie et glacerie")
    assert named.status_code == 302 and the_candidate().rome == ["D1104"]


def test_a_job_typed_with_a_comma_is_one_entry_in_the_logged_in_edit(client, auth):
    user = auth.login("candidate")
    path = "/candidat/mon-espace/modifier"
    candidate = db.session.get(Candidate, user.candidate_id)
    data = {
        **_profile_form(),
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "email": candidate.email,
    }
    data.update(rome="Café, bar brasserie; Agent de restauration, plonge")
    data["lu_le"] = read_stamp_at(client, path)
    refused = client.post(path, data=data)
    assert refused.status_code in (400, 422)
    assert "« Agent de restauration, plonge »" in _rome_error(refused)
    before = list(db.session.get(Candidate, user.candidate_id).rome or [])
    data.update(rome="Café, bar brasserie; Pâtisserie, confiserie, chocolaterie et glacerie")
    data["lu_le"] = read_stamp_at(client, path)
    assert client.post(path, data=data).status_code == 302
    db.session.expire_all()
    assert before != ["G1801", "D1104"]
    assert db.session.get(Candidate, user.candidate_id).rome == ["G1801", "D1104"]
    shown = unescape(client.get(path).get_data(as_text=True))
    assert "Café, bar brasserie (G1801); Pâtisserie, confiserie" in shown


NO_WORD_JOBS = ["((((", ";;;", ",,", " ; - ( ) . "]


@pytest.mark.parametrize("typed", NO_WORD_JOBS)
def test_jobs_typed_with_no_word_are_refused_on_the_public_form(client, typed):
    # « (((( » passed as « no jobs »: the field is optional, but left empty to say so.
    response = post_form(client, rome=typed)
    assert response.status_code == 400
    assert f"Aucun métier reconnu dans « {' '.join(typed.split())} »" in _rome_error(response)
    assert count(Candidate) == 0


@pytest.mark.parametrize("typed", NO_WORD_JOBS)
def test_jobs_typed_with_no_word_never_empty_the_person_s_jobs(client, auth, typed):
    user = auth.login("candidate")
    path = "/candidat/mon-espace/modifier"
    candidate = db.session.get(Candidate, user.candidate_id)
    candidate.rome = ["G1801", "M1203"]
    db.session.commit()
    data = {
        **_profile_form(),
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "email": candidate.email,
        "rome": typed,
        "lu_le": read_stamp_at(client, path),
    }
    refused = client.post(path, data=data)
    assert refused.status_code in (400, 422)
    assert "Aucun métier reconnu dans" in _rome_error(refused)
    db.session.expire_all()
    assert db.session.get(Candidate, user.candidate_id).rome == ["G1801", "M1203"]
    # Emptied, the field says « none »: that is how jobs are taken away.
    data.update(rome="", lu_le=read_stamp_at(client, path))
    assert client.post(path, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Candidate, user.candidate_id).rome == []


@pytest.mark.parametrize("typed", ["06.12.34.56.78", "+33 6 12 34 56 78"])
def test_the_phone_comes_back_in_the_form_as_the_space_shows_it(client, cv_dir, typed):
    # The form showed « 0612345678 », its own example and the space « 06 12 34 56 78 ».
    space = submitted_and_confirmed(client, phone=typed)
    html = unescape(client.get(f"{space}/modifier").get_data(as_text=True))
    assert re.search(r'id="phone"[^>]*value="06 12 34 56 78"', html), html
    assert the_candidate().phone == "0612345678"


def test_the_space_says_where_to_withdraw_the_consent_the_notice_speaks_of(client, cv_dir):
    # The notice says « vous pouvez aussi retirer votre accord »: the space named no such
    # thing, only a deletion the person had to guess was it.
    space = submitted_and_confirmed(client)
    html = unescape(client.get(space).get_data(as_text=True))
    link = re.search(
        r'<a href="([^"]+)">Supprimer mon profil et mon CV \(retirer mon accord\)</a>', html
    )
    assert link is not None and link.group(1) == f"{space}/supprimer"


def test_words_that_name_no_job_are_refused_without_jargon(client, cv_dir):
    # A job seeker types the job as they say it, without picking a suggestion: told in
    # their words, not about codes they never saw.
    response = post_form(client, pdf=make_pdf(), rome="aide à domicile")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    shown = html.split('id="rome-erreurs"')[1].split("</ul>")[0]
    message = " ".join(re.sub(r"<[^>]+>", " ", shown).split())
    assert "aide à domicile" in message and "suggestions" in message, message
    assert "ROME" not in message and "code" not in message, message
    assert count(Candidate) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"first_name": ""}, "first_name", "Indiquez votre prénom"),
        ({"last_name": " "}, "last_name", "Indiquez votre nom"),
        ({"email": "pas-une-adresse"}, "email", "n'est pas une adresse e-mail valide"),
        ({"phone": "12"}, "phone", "n'est pas un numéro de téléphone valide"),
        ({"commune": "Nulle-Part-sur-Mer"}, "commune", "Commune inconnue"),
        ({"commune": ""}, "commune", "Indiquez la commune"),
        ({"mobility_km": "500"}, "mobility_km", "entre 0 et 200"),
        ({"mobility_km": "loin"}, "mobility_km", "n'est pas un nombre"),
        ({"skills": " , "}, "skills", "au moins une compétence"),
        ({"rome": "Z9999"}, "rome", "n'est pas un code ROME connu"),
        ({"level": None}, "level", "Choisissez votre niveau"),
        ({"level": "expert"}, "level", "Niveau inconnu"),
        ({"hours_min": "0"}, "hours_min", "entre 1 et 48"),
        ({"hours_max": "60"}, "hours_max", "entre 1 et 48"),
        ({"hours_min": "30", "hours_max": "10"}, "hours_max", "supérieur ou égal au minimum"),
        ({"days": None}, "days", "au moins un jour"),
        ({"days": ["mon", "funday"]}, "days", "Jour inconnu"),
        ({"contracts": None}, "contracts", "au moins un type de contrat"),
        ({"available_from": "demain"}, "available_from", "n'est pas une date"),
        ({"available_from": "2100-01-01"}, "available_from", "au plus tard"),
        ({"available_from": "9999-12-31"}, "available_from", "hors des dates possibles"),
        ({"available_from": "30/02/2027"}, "available_from", "n'existe pas dans le calendrier"),
        ({"consent": None}, "consent", "sans votre accord"),
    ],
)
def test_each_field_has_its_french_error_and_nothing_is_written(
    client, cv_dir, overrides, field, words
):
    response = post_form(client, pdf=make_pdf(), **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Rien n'a été enregistré" in html
    assert f'id="{field}-erreurs"' in html, html
    assert words.replace("'", "&#39;") in html or words in html
    assert count(Candidate) == 0 and count(OutboxMessage) == 0 and count(CandidateEvent) == 0
    assert files_in(cv_dir) == []


@pytest.mark.parametrize(
    ("content", "filename", "words"),
    [
        (
            b"<!doctype html><html><body><script>alert(1)</script></body></html>",
            "cv.pdf",
            "n&#39;est pas un PDF",
        ),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, "cv.pdf", "n&#39;est pas un PDF"),
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "cv.pdf", "n&#39;est pas un PDF"),
        (make_pdf() + b"%" * (5 * 1024 * 1024), "gros.pdf", "trop lourd"),
    ],
)
def test_fake_or_oversize_pdf_is_refused_with_no_orphan_file(
    client, cv_dir, content, filename, words
):
    response = post_form(client, pdf=content, filename=filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="cv-erreurs"' in html and words in html
    assert files_in(cv_dir) == [] and count(Candidate) == 0 and count(OutboxMessage) == 0


class _FullDisk:
    """What ``os.fdopen`` gives when the disk fills up: ten bytes written, then ENOSPC."""

    real_fdopen = staticmethod(os.fdopen)

    def __init__(self, fd, mode):
        self.fh = self.real_fdopen(fd, mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, data):
        self.fh.write(data[:10])
        self.fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")


def _read_only_folder(path, flags, mode=0o777):
    raise PermissionError(errno.EACCES, "Permission denied", path)


@pytest.mark.parametrize("call, failure", [("open", _read_only_folder), ("fdopen", _FullDisk)])
def test_a_cv_the_disk_cannot_keep_stores_nothing_and_says_to_try_again(
    client, cv_dir, monkeypatch, caplog, call, failure
):
    # The real local storage writes (LocalCvStorage): only the system refuses.
    monkeypatch.setattr(files.os, call, failure)
    response = post_form(client, pdf=make_pdf("Expérience : comptabilité"))
    monkeypatch.undo()
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert 'id="cv-erreurs"' in html and "réessayez dans quelques minutes" in html
    assert form_data()["email"] in html  # what was typed is kept
    # No person without their file, no file without its person, no mail.
    assert files_in(cv_dir) == [] and count(Candidate) == 0 and count(OutboxMessage) == 0
    assert "CV file could not be stored" in caplog.text  # the log says why
    assert post_form(client, pdf=make_pdf("Expérience : comptabilité")).status_code == 302


def test_a_new_cv_the_disk_cannot_keep_leaves_the_profile_and_its_file_as_they_were(
    client, cv_dir, monkeypatch
):
    space = submitted_and_confirmed(client, pdf=None)
    before = the_candidate()
    kept = (before.cv_filename, before.hours_max)
    data = form_data(hours_max="30")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    data["cv"] = FileStorage(io.BytesIO(make_pdf("gestion de la paie")), "nouveau.pdf")
    monkeypatch.setattr(files.os, "fdopen", _FullDisk)
    response = post_multipart(client, f"{space}/modifier", data)
    monkeypatch.undo()
    assert response.status_code == 503
    assert "réessayez dans quelques minutes" in response.get_data(as_text=True)
    after = the_candidate()
    assert (after.cv_filename, after.hours_max) == kept and files_in(cv_dir) == []


def test_an_unreadable_photo_of_a_cv_is_refused_saying_how_to_go_on_and_the_form_is_kept(
    client, cv_dir
):
    # Photos are accepted (tests/test_cv_photos.py): one whose pixels cannot be decoded
    # is refused, the person told to take it again.
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000
    response = post_form(client, pdf=photo, filename="IMG_2041.jpg", first_name="Anouk")
    assert response.status_code == 400
    said = error_of(response, "cv")
    assert "Cette photo n'a pas pu être lue" in said and "Reprenez la photo" in said
    # Nobody is stopped by a file they cannot turn into a PDF: the CV is optional.
    assert "Le CV est facultatif" in said
    assert 'value="Anouk"' in html_of(response)
    assert files_in(cv_dir) == [] and count(Candidate) == 0 and count(OutboxMessage) == 0


def test_a_scanned_cv_of_9_mb_is_refused_beside_the_file_and_the_form_is_kept(client, cv_dir):
    # Over the old 6 MB body limit, this gave the bare "Envoi trop volumineux" page.
    response = post_form(client, pdf=make_pdf() + b"%" * (9 * 1024 * 1024), first_name="Anouk")
    assert response.status_code == 400
    assert "la taille maximale est de 5 Mo" in error_of(response, "cv")
    assert 'value="Anouk"' in html_of(response)
    assert files_in(cv_dir) == [] and count(Candidate) == 0


def test_a_refused_then_accepted_form_sent_again_makes_no_second_profile(client, cv_dir):
    # The refused sending's page is marked as answering a POST: its script makes its
    # history entry a GET one (static/js/send-once.js, tests/browser/test_cv_back.py),
    # so that going back after the accepted one does not send the refused form again.
    assert "data-reponse-envoi" not in html_of(client.get("/deposer-mon-cv"))
    refused = post_form(client, hours_max="60")
    assert refused.status_code == 400 and "<body data-reponse-envoi>" in html_of(refused)
    accepted = post_form(client)
    assert accepted.status_code == 302
    assert accepted.headers["Location"].split("#")[0] == "/deposer-mon-cv/merci"
    thanks = client.get("/deposer-mon-cv/merci")
    assert "data-reponse-envoi" not in html_of(thanks) and EMAIL in page_text(thanks)
    # The accepted form sent once more (a resend): the same answer, no second profile.
    again = post_form(client)
    assert again.status_code == 302 and count(Candidate) == 1


def test_same_email_twice_leads_to_the_existing_record_and_reveals_nothing(client, cv_dir):
    post_form(client)
    confirm_from_mail(client)
    original = the_candidate()
    other = post_form(
        client,
        pdf=make_pdf(),
        email="  Camille.MARTIN@exemple.fr ",
        first_name="Intrus",
        skills="piratage",
    )
    # The same neutral answer as a new submission...
    assert other.status_code == 302
    assert "Ouvrez l'e-mail" in client.get("/deposer-mon-cv/merci").get_data(as_text=True)
    # ...no duplicate, nothing overwritten, no file kept, and the person gets their link.
    assert count(Candidate) == 1
    kept = the_candidate()
    assert kept.first_name == "Camille" and kept.skill_labels == original.skill_labels
    assert kept.cv_filename is None and files_in(cv_dir) == []
    last = mails_to(EMAIL)[-1]
    assert "Votre lien vers votre espace" in last.subject
    assert "Intrus" not in last.body_text


def _line_up(monkeypatch, moment: str):
    """Two submissions of one address in two threads, lined up at ``moment``:

    - ``checked``: both have looked for the address and checked it is no profile's
      (a barrier): the second insert fails on the address's unique constraint, waiting
      for the first on PostgreSQL, after it on SQLite;
    - ``stored``: both have looked for the address (a barrier), then the second goes on
      once the first has stored it and answered: its second look finds it taken.

    Returns what each thread calls once its request has been answered."""
    together = threading.Barrier(2, timeout=30)
    arrivals: list[int] = []
    lock = threading.Lock()
    first_answered = threading.Event()
    real_ref, real_apply = profile.new_ref, profile.apply_profile

    def looked():  # a new profile's ref: drawn once its address was found unknown
        together.wait()
        with lock:
            arrivals.append(threading.get_ident())
            second = len(arrivals) == 2
        if second:
            assert first_answered.wait(timeout=30)
        return real_ref()

    def checked(*args, **kwargs):
        changed = real_apply(*args, **kwargs)
        together.wait()
        return changed

    if moment == "stored":
        monkeypatch.setattr(profile, "new_ref", looked)
    else:
        monkeypatch.setattr(profile, "apply_profile", checked)

    def answered():
        if arrivals and arrivals[0] == threading.get_ident():
            first_answered.set()

    return answered


@pytest.mark.parametrize("moment", ["checked", "stored"])
@pytest.mark.parametrize("with_pdf", [False, True], ids=["form", "form-and-pdf"])
def test_the_same_form_sent_twice_at_once_stores_one_profile_and_one_mail(
    app, cv_dir, monkeypatch, with_pdf, moment
):
    """Both requests find the address unknown before either writes. Whether the second
    then finds it taken (its second look) or fails to insert it (the unique constraint,
    then submitted again), it takes the known address's path: one profile, one
    confirmation mail, one file, and the same answer to both."""
    pdf = make_pdf("Expérience : comptabilité, saisie comptable") if with_pdf else None
    answered = _line_up(monkeypatch, moment)
    answers: list[object] = [None, None]

    def send(number):
        try:
            response = post_form(app.test_client(), pdf=pdf)
            answers[number] = (response.status_code, response.location)
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            answers[number] = repr(error)
        finally:
            answered()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    page = "/deposer-mon-cv/competences" if with_pdf else "/deposer-mon-cv/merci"
    assert answers == [(302, page)] * 2
    assert count(Candidate) == 1
    assert [mail.kind for mail in mails_to(EMAIL)] == ["cv_confirm"]
    assert len(files_in(cv_dir)) == (1 if with_pdf else 0)


def test_unconfirmed_person_is_not_matched_and_confirmed_one_is(client):
    factories.load(
        factories.document(
            companies=[factories.company(ref="entreprise-1")],
            needs=[factories.need(ref="besoin-cv", days=["tue"], hours_per_week=7)],
        )
    )
    post_form(client)
    candidate = the_candidate()
    assert candidate.ref not in [m["candidate"] for m in match_need("besoin-cv")["matches"]]
    space = confirm_from_mail(client)
    assert space.startswith("/mon-cv/")
    candidate = the_candidate()
    assert candidate.email_confirmed_at is not None
    assert candidate.ref in [m["candidate"] for m in match_need("besoin-cv")["matches"]]
    # A paused person is no longer proposed.
    client.post(f"{space}/pause")
    assert the_candidate().status == "inactif"


def test_tampered_or_foreign_confirmation_link_is_refused(client):
    post_form(client)
    path = link_in(mails_to(EMAIL)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    response = client.post(path[:-3] + "abc")
    assert response.status_code == 403
    assert the_candidate().email_confirmed_at is None
    # A space token is not a confirmation token (different salt).
    token = consent.space_token(the_candidate())
    assert client.post(f"/mon-cv/confirmer/{token}").status_code == 403
    assert (
        db.session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "cv.link_refused")
        )
        == 2
    )


def test_a_confirmation_link_opened_again_says_the_address_is_confirmed_already(client):
    # Finding: opened a second time, the link showed « Confirmer mon adresse » again, and
    # its button « Votre adresse est confirmée » as if it had just been.
    post_form(client)
    path = link_in(mails_to(EMAIL)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    client.get(client.post(path).headers["Location"])  # confirmed; the flash read
    again = client.get(path)
    assert again.status_code == 200
    assert "Adresse déjà confirmée" in page_text(again)
    assert "Confirmer mon adresse" not in page_text(again)
    space = client.post(path)
    assert space.status_code == 302 and "/mon-cv/" in space.headers["Location"]
    landed = page_text(client.get(space.headers["Location"]))
    assert "Votre adresse était déjà confirmée" in landed
    assert "Votre adresse est confirmée" not in landed


def test_an_expired_confirmation_link_says_so_when_opened_and_how_to_get_a_new_one(client):
    # Finding: an expired link showed its button as a valid one; « expiré » came after it.
    post_form(client)
    path = link_in(mails_to(EMAIL)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    with time_machine.travel(utcnow() + timedelta(days=consent.confirm_days(), hours=1)):
        opened = client.get(path)
    assert opened.status_code == 403
    text = page_text(opened)
    assert "a expiré" in text and "Recevoir un nouveau lien par e-mail" in text
    assert "Confirmer mon adresse" not in text
    assert the_candidate().email_confirmed_at is None


# --------------------------------------------------------------------------- the personal space


def test_space_shows_the_profile_and_every_view_is_audited(client):
    space = submitted_and_confirmed(client)
    page = client.get(space)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mon espace CVthèque" in html
    assert "saisie comptable" in html and EMAIL in html
    assert page.headers["Cache-Control"] == "no-store"
    assert '<meta name="referrer" content="strict-origin">' in html
    views = db.session.scalars(select(AuditLog).where(AuditLog.action == "cv.viewed")).all()
    assert views and views[-1].entity_id == the_candidate().id


def test_the_forms_of_a_personal_link_go_through_over_https(app, client, monkeypatch):
    """Over HTTPS, Flask-WTF refuses a form sent without a Referer ("The referrer header
    is missing"): the pages of a personal link ask browsers for their origin alone
    (strict-origin), which keeps the link's secret out of the Referer and lets their forms
    through. With no-referrer, every one of them answered "Requête incorrecte"."""
    space = submitted_and_confirmed(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    browser = app.test_client()
    for path in (space, f"{space}/modifier", f"{space}/supprimer", f"{space}/compte"):
        page = browser.get(path, base_url="https://localhost")
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert '<meta name="referrer" content="strict-origin">' in html, path
        assert "no-referrer" not in html, path
    token = csrf_token_from(browser.get(space, base_url="https://localhost").get_data(as_text=True))
    # What a browser sends under no-referrer: refused.
    refused = browser.post(
        f"{space}/pause", base_url="https://localhost", data={"csrf_token": token}
    )
    assert refused.status_code == 400 and the_candidate().status != "inactif"
    # Under strict-origin, the origin alone: the form goes through.
    paused = browser.post(
        f"{space}/pause",
        base_url="https://localhost",
        data={"csrf_token": token},
        headers={"Referer": "https://localhost/"},
    )
    assert paused.status_code == 302 and the_candidate().status == "inactif"


def test_a_disabled_account_closes_the_personal_links_of_its_profile(client):
    """The administrator disables a job seeker's account: their session stops at once, and
    so must the mailed links to the same profile (they opened, changed and exported it)."""
    from connectences.accounts import roles, users

    space = submitted_and_confirmed(client)
    users.create_user(db.session, EMAIL, "candidate")
    roles.disable(db.session, EMAIL)
    db.session.commit()
    for path in (space, f"{space}/modifier", f"{space}/export.json"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert consent.DISABLED in unescape(response.get_data(as_text=True))
        # The page it asks them to contact is one tap away, in the card that says so.
        card = response.get_data(as_text=True).split('<div class="card">', 1)[1]
        assert 'href="/contact"' in card.split("</div>", 1)[0], path
    assert client.post(f"{space}/pause", data={}).status_code in (400, 403)
    assert consent.send_space_link(db.session, EMAIL, force=True) is False
    users.enable(db.session, EMAIL)
    db.session.commit()
    assert client.get(space).status_code == 200


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        # Cazalis's INSEE code is the postcode of Pyla (La Teste-de-Buch), Cauvignac's
        # one shared by several communes: the commune was once resolved a second time
        # from its INSEE code read as a postcode, and the person moved or refused.
        ("Cazalis (33113)", "33115"),
        ("Cauvignac", "33113"),
        ("Arcachon", "33009"),
    ],
)
def test_the_commune_typed_is_the_commune_stored_on_submission_and_update(client, typed, insee):
    response = post_form(client, commune=typed)
    assert response.status_code == 302
    assert the_candidate().commune == insee
    space = confirm_from_mail(client)
    data = form_data(commune=typed, hours_max="30")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    assert post_multipart(client, f"{space}/modifier", data).status_code == 302
    candidate = the_candidate()
    assert (candidate.commune, candidate.hours_max) == (insee, 30)


def test_raw_values_submitted_by_staff_or_a_file_keep_their_commune():
    # The library's own form and the spreadsheet import send raw values: cleaned once.
    from connectences.cvtheque.profile import submit_candidate

    data = {**form_data(commune="Cazalis (33113)"), "consent": True}
    candidate, created = submit_candidate(db.session, data, source="forum", send_mail=False)
    db.session.commit()
    assert created and the_candidate().commune == "33115"


def test_a_profile_is_cleaned_once_per_submission(client, monkeypatch):
    from connectences.cvtheque import profile

    calls = []
    real = profile.clean_profile
    monkeypatch.setattr(profile, "clean_profile", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(
        "connectences.web.cv_forms.clean_profile",
        lambda *a, **k: calls.append(1) or real(*a, **k),
    )
    assert post_form(client).status_code == 302
    assert len(calls) == 1  # by the form; the library writes what the form checked


def test_self_service_update_writes_history_and_reaches_matching(client, cv_dir):
    space = submitted_and_confirmed(client)
    before = the_candidate().updated_at
    data = form_data(skills="comptabilité générale\nsaisie comptable", hours_max="30")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    data["cv"] = FileStorage(io.BytesIO(make_pdf("gestion de la paie")), "nouveau.pdf")
    response = post_multipart(client, f"{space}/modifier", data)
    assert response.status_code == 302
    candidate = the_candidate()
    assert candidate.hours_max == 30 and candidate.skill_labels[0] == "comptabilité générale"
    assert candidate.updated_at >= before and files_in(cv_dir) == [candidate.cv_filename]
    summaries = [e.summary for e in db.session.scalars(select(CandidateEvent))]
    assert any("compétences" in s and "heures maximum" in s for s in summaries)
    assert any("CV (PDF)" in s for s in summaries)
    # The PDF's skills are proposed in the space too.
    assert response.headers["Location"].endswith("/competences")
    client.post(response.headers["Location"], data={"found": ["paie"]})
    assert "paie" in the_candidate().skill_labels
    # A refused update changes nothing.
    bad = dict(data, hours_min="40", hours_max="10")
    bad.pop("cv")
    bad["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    refused = client.post(f"{space}/modifier", data=bad)
    assert refused.status_code == 400 and the_candidate().hours_max == 30


def test_the_profile_form_gives_back_a_decimal_as_it_was_typed_with_a_comma(client):
    """« 7,5 » km and « 8,5 » h were taken and shown « 7,5 km » in the space, but the
    form to change the profile gave them back as « 7.5 » and « 8.5 ». Sent again as
    shown, they are saved unchanged."""
    space = submitted_and_confirmed(client, mobility_km="7,5", hours_min="8,5")
    candidate = the_candidate()
    assert (candidate.mobility_km, candidate.hours_min) == (7.5, 8.5)
    page = html_of(client.get(f"{space}/modifier"))
    assert 'value="7,5"' in page and 'value="8,5"' in page
    assert 'value="7.5"' not in page and 'value="8.5"' not in page
    data = form_data(mobility_km="7,5", hours_min="8,5")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    assert client.post(f"{space}/modifier", data=data).status_code == 302
    assert (the_candidate().mobility_km, the_candidate().hours_min) == (7.5, 8.5)


def test_a_name_another_platform_sent_is_kept_when_its_owner_sends_it_back(client):
    """The interchange import takes names with digits and signs (another platform's way
    of writing them); the form refused them to their owner, who could not save any other
    change without retyping their name. Sent back as shown, it is kept; changed, the
    form's rule applies."""
    space = submitted_and_confirmed(client)
    candidate = the_candidate()
    candidate.first_name, candidate.last_name = "Camille2", "Lesbats (GE)"
    db.session.commit()
    data = form_data(first_name="Camille2", last_name=" Lesbats  (GE) ", hours_max="30")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    assert client.post(f"{space}/modifier", data=data).status_code == 302
    candidate = the_candidate()
    assert (candidate.first_name, candidate.last_name, candidate.hours_max) == (
        "Camille2",
        "Lesbats (GE)",
        30,
    )
    data = form_data(first_name="Camille3", last_name="Lesbats (GE)")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    refused = client.post(f"{space}/modifier", data=data)
    assert refused.status_code == 400
    assert "Un nom s'écrit en lettres" in page_text(refused)
    assert the_candidate().first_name == "Camille2"


def test_a_new_address_waits_for_its_confirmation_and_the_profile_keeps_its_own(client):
    space = submitted_and_confirmed(client)
    data = form_data(email="nouvelle@exemple.fr")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    response = client.post(f"{space}/modifier", data=data)
    assert response.status_code == 302
    candidate = the_candidate()
    # Still matched under its confirmed address until the new one is confirmed.
    assert candidate.email == EMAIL and candidate.email_confirmed_at is not None
    assert candidate.pending_email == "nouvelle@exemple.fr"
    page = client.get(space).get_data(as_text=True)
    assert "Changement demandé pour nouvelle@exemple.fr" in page
    mail = mails_to("nouvelle@exemple.fr")[-1]
    assert "utilise désormais cette adresse" in mail.body_text
    # The link from the new mailbox makes it the profile's address.
    confirm_from_mail(client, "nouvelle@exemple.fr")
    candidate = the_candidate()
    assert candidate.email == "nouvelle@exemple.fr" and candidate.pending_email is None
    assert candidate.email_confirmed_at is not None


def test_the_links_mailed_to_the_former_address_stop_opening_the_space(client):
    # Whoever reads the former mailbox must not keep the space (and with it the profile's
    # address, hence its login) once its owner moved to another address.
    space = submitted_and_confirmed(client)
    assert client.post("/mon-cv/lien", data={"email": EMAIL}).status_code == 200
    resolve_link_requests()
    mailed = link_in(mails_to(EMAIL)[-1], r"http://localhost(/mon-cv/[^/\s]+)\s")
    assert client.get(mailed).status_code == 200
    data = form_data(email="nouvelle@exemple.fr")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    assert client.post(f"{space}/modifier", data=data).status_code == 302
    assert (
        "envoyés à l'ancienne ne fonctionneront plus"
        in mails_to("nouvelle@exemple.fr")[-1].body_text
    )
    fresh = confirm_from_mail(client, "nouvelle@exemple.fr")
    assert client.get(fresh).status_code == 200  # the confirmation leads on to the space
    for old in (space, mailed):
        refused = client.get(old)
        assert refused.status_code == 403 and "n'est plus valide" in page_text(refused)
        assert client.get(f"{old}/export.json").status_code == 403


def test_asking_for_an_address_another_profile_holds_reveals_nothing(client):
    submitted_and_confirmed(client, email="autre@exemple.fr", first_name="Autre")
    space = submitted_and_confirmed(client)
    mails_before = len(mails_to("autre@exemple.fr"))
    answers = []
    for address in ("autre@exemple.fr", "libre@exemple.fr"):
        data = form_data(email=address)
        data.pop("consent")
        data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
        response = client.post(f"{space}/modifier", data=data, follow_redirects=True)
        assert response.status_code == 200
        said = page_text(response).split("Mon espace CVthèque")[0]  # the page's message
        answers.append(said.replace(address, "ADRESSE"))
    assert answers[0] == answers[1]  # the same answer
    # The owner of the address held gets their own link, never a link to take it over.
    sent = mails_to("autre@exemple.fr")[mails_before:]
    assert sent and all("/mon-cv/confirmer/" not in m.body_text for m in sent)


def test_a_pending_address_taken_meanwhile_cannot_be_confirmed(client):
    space = submitted_and_confirmed(client)
    data = form_data(email="convoitee@exemple.fr")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    client.post(f"{space}/modifier", data=data)
    link = link_in(mails_to("convoitee@exemple.fr")[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    submitted_and_confirmed(client, email="convoitee@exemple.fr", first_name="Autre")
    response = client.post(link)
    assert "déjà celle d&#39;un autre profil" in response.get_data(as_text=True)
    assert the_candidate_by(EMAIL).pending_email == "convoitee@exemple.fr"


def test_the_same_number_written_otherwise_is_no_change(client):
    # Imported profiles hold "06 39 98 12 34"; the form writes "0639981234": saving the
    # form unchanged recorded "Profil modifié : téléphone".
    submitted_and_confirmed(client)
    candidate = the_candidate()
    candidate.phone = "06 12 34 56 78"
    db.session.commit()
    assert profile.apply_profile(db.session, candidate, {"phone": "0612345678"}, partial=True) == []
    assert profile.apply_profile(db.session, candidate, {"phone": "0612345679"}, partial=True) == [
        "phone"
    ]


def test_pause_and_back(client):
    space = submitted_and_confirmed(client)
    client.post(f"{space}/pause")
    assert the_candidate().status == "inactif"
    assert "en pause" in client.get(space).get_data(as_text=True)
    client.post(f"{space}/pause")
    assert the_candidate().status == "disponible"


def test_a_pause_button_from_a_page_read_before_does_not_undo_the_persons_choice(client):
    """Two tabs show "Je ne suis plus disponible"; paused from the first, the second
    one's button asks for a pause too: the profile stays paused (no toggle back)."""
    space = submitted_and_confirmed(client)
    page = client.get(space).get_data(as_text=True)
    assert 'name="vers" value="pause"' in page
    client.post(f"{space}/pause", data={"vers": "pause"})
    assert the_candidate().status == "inactif"
    stale = client.post(f"{space}/pause", data={"vers": "pause"})
    assert stale.status_code == 302
    assert the_candidate().status == "inactif"
    assert "déjà en pause : rien n&#39;a changé" in html_of(client.get(space))
    assert 'name="vers" value="reprise"' in client.get(space).get_data(as_text=True)
    client.post(f"{space}/pause", data={"vers": "reprise"})
    assert the_candidate().status == "disponible"
    client.post(f"{space}/pause", data={"vers": "reprise"})
    assert the_candidate().status == "disponible"
    assert client.post(f"{space}/pause", data={"vers": "autre"}).status_code == 400
    assert the_candidate().status == "disponible"


def test_export_gives_everything_held_and_the_pdf(client):
    pdf = make_pdf("Mon CV")
    post_form(client, pdf=pdf)
    space = confirm_from_mail(client)
    response = client.get(f"{space}/export.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == EMAIL and data["profile"]["commune_name"]
    assert [s["label"] for s in data["skills"]] == ["saisie comptable", "facturation"]
    assert data["consent"]["consent_at"] and data["consent"]["email_confirmed_at"]
    assert {e["kind"] for e in data["history"]} >= {"created", "confirmed"}
    # The log of the record tells the person their own export was theirs.
    again = json.loads(client.get(f"{space}/export.json").get_data(as_text=True))
    assert [e["by"] for e in again["audit"] if e["action"] == "cv.exported"] == ["vous-même"]
    download = client.get(f"{space}/cv.pdf")
    assert download.data == pdf and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"cv.exported", "cv.downloaded"} <= actions


def test_delete_removes_row_file_lead_lines_and_queued_mail(client, cv_dir):
    post_form(client, pdf=make_pdf())
    space = confirm_from_mail(client)
    candidate = the_candidate()
    cid = candidate.id
    operator = Operator(ref="ge", name="GE", kind="groupement_employeurs", email="ge@ge.fr")
    db.session.add(operator)
    db.session.flush()
    lead = Lead(operator_id=operator.id)
    db.session.add(lead)
    db.session.flush()
    db.session.add(LeadCandidate(lead_id=lead.id, candidate_id=cid))
    db.session.add(
        OutboxMessage(kind="other", to=EMAIL, subject="x", body_text="x", candidate_id=cid)
    )
    db.session.commit()
    assert files_in(cv_dir)
    # A confirmation step first: nothing is deleted without the box ticked.
    assert "définitivement" in client.get(f"{space}/supprimer").get_data(as_text=True)
    refused = client.post(f"{space}/supprimer", data={})
    assert refused.status_code == 400 and error_of(refused, "confirm")
    # The summary names the box by its sentence, without a full stop before its colon.
    summary = re.search(r'<div[^>]*id="erreurs".*?</div>', refused.get_data(as_text=True), re.S)
    assert re.search(r"définitivement</a>\s:", summary.group(0)), summary.group(0)
    assert count(Candidate) == 1
    done = client.post(f"{space}/supprimer", data={"confirm": "y"})
    # A page of its own, not the form's address with its "#erreurs" (nothing went wrong).
    assert done.status_code == 302
    assert done.location.endswith("/mon-cv/supprime#contenu"), done.location
    page = client.get(done.location)
    assert page.status_code == 200 and "Votre profil est supprimé" in page.get_data(as_text=True)
    assert count(Candidate) == 0 and count(CandidateEvent) == 0
    assert count(LeadCandidate) == 0 and count(Lead) == 1
    assert (
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.candidate_id == cid)
        )
        == 0
    )
    assert files_in(cv_dir) == []
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "candidate.deleted")).one()
    assert entry.entity_id == cid and EMAIL not in json.dumps(entry.details)
    # The link no longer opens anything: it is gone for good.
    assert client.get(space).status_code == 410


def test_tampered_expired_or_revoked_space_links_are_refused(client, app):
    space = submitted_and_confirmed(client)
    assert client.get(space[:-2] + "xx").status_code == 403
    assert client.get("/mon-cv/n-importe-quoi").status_code == 403
    with time_machine.travel(time.time() + 31 * 86400):
        response = client.get(space)
        assert response.status_code == 403 and "expiré" in response.get_data(as_text=True)
    assert client.get(space).status_code == 200
    client.post(f"{space}/nouveau-lien")
    assert client.get(space).status_code == 403  # revoked
    fresh = link_in(mails_to(EMAIL)[-1])
    assert client.get(fresh).status_code == 200
    refused = db.session.scalars(
        select(AuditLog.details).where(AuditLog.action == "cv.link_refused")
    ).all()
    assert {d["reason"] for d in refused} == {"invalid", "expired"}


def test_a_confirmation_mail_read_by_someone_else_opens_no_space_once_links_are_revoked(
    client, app
):
    """The confirmation link led to the space with a fresh link: whoever read the
    person's mail came back in through it (their profile, their CV, its deletion) after
    they had asked for a new link precisely to shut the old ones."""
    post_form(client)
    confirm = link_in(mails_to(EMAIL)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    space = client.post(confirm).location
    assert client.post(f"{space}/nouveau-lien").status_code == 200
    intruder = app.test_client()
    again = intruder.post(confirm)
    assert again.status_code == 302 and again.location.endswith("/mon-cv/lien")
    assert intruder.get(space).status_code == 403
    fresh = link_in(mails_to(EMAIL)[-1])
    assert app.test_client().get(fresh).status_code == 200


def test_link_request_without_an_address_says_so_next_to_the_field(client):
    refused = client.post("/mon-cv/lien", data={"email": " "})
    assert refused.status_code == 400
    assert "Indiquez votre adresse e-mail" in error_of(refused, "email")
    typo = client.post("/mon-cv/lien", data={"email": "camille.martin@"})
    assert "n'est pas une adresse e-mail valide" in error_of(typo, "email")
    assert 'value="camille.martin@"' in html_of(typo)
    assert mails_to("camille.martin@") == []


def test_account_with_a_short_password_says_so_next_to_the_field(client):
    space = submitted_and_confirmed(client)
    refused = client.post(f"{space}/compte", data={"password": "court", "confirm": "court"})
    assert refused.status_code == 400 and "12 caractères" in error_of(refused, "password")
    assert count(User) == 0


def test_link_renewal_gives_the_same_answer_for_known_and_unknown_addresses(client):
    client.get(submitted_and_confirmed(client))  # shows (and clears) the confirmation flash
    before = len(mails_to(EMAIL))
    known = client.post("/mon-cv/lien", data={"email": EMAIL.upper()})
    unknown = client.post("/mon-cv/lien", data={"email": "inconnu@exemple.fr"})
    assert known.status_code == unknown.status_code == 200
    assert same_page(known) == same_page(unknown)
    resolve_link_requests()
    assert len(mails_to(EMAIL)) == before + 1 and mails_to("inconnu@exemple.fr") == []
    assert client.get(link_in(mails_to(EMAIL)[-1])).status_code == 200


def test_a_person_may_create_a_password_account_and_log_in(client, auth):
    space = submitted_and_confirmed(client)
    password = "une phrase de passe assez longue"  # noqa: S105 — a test's own fixed value, not a credential of any deployment
    response = client.post(f"{space}/compte", data={"password": password, "confirm": password})
    # The login page, not its "#erreurs" inherited from the form's address.
    assert response.status_code == 302 and response.location == "/connexion#contenu"
    user = db.session.scalars(select(User).where(User.email == EMAIL)).one()
    assert user.role == "candidate" and user.candidate_id == the_candidate().id
    login = client.post("/connexion", data={"email": EMAIL, "password": password})
    assert login.status_code == 302
    home = client.get("/candidat").get_data(as_text=True)
    assert "Gérer mon profil" in home
    # From the logged-in area, the same actions on their own profile.
    # From the logged-in area, the same pages under the session: no token in any address.
    page = client.get("/candidat/mon-espace")
    assert page.status_code == 200
    # Logged in, the person is not told about a personal link that expires.
    text = page.get_data(as_text=True)
    assert "Ce lien est personnel" not in text and "Vous êtes connecté à votre compte" in text
    assert "/mon-cv/" not in text and the_candidate().email in text
    for path in ("modifier", "export.json", "supprimer"):
        assert f'href="/candidat/mon-espace/{path}"' in text
    assert client.get("/candidat/mon-espace/modifier").status_code == 200
    assert client.get("/candidat/mon-espace/export.json").get_json() is not None
    token = csrf_token_from(client.get("/candidat/mon-espace/modifier").get_data(as_text=True))
    paused = client.post("/candidat/mon-espace/pause", data={"csrf_token": token} if token else {})
    assert paused.status_code == 302 and paused.headers["Location"] == "/candidat/mon-espace"
    assert the_candidate().status == "inactif"


def test_the_space_reads_only_the_twenty_events_it_shows(client, auth):
    # A history only grows: the page read all of it (1,600 events) to show twenty.
    from sqlalchemy import event

    from connectences.cvtheque.history import record_event
    from connectences.models import CandidateEvent

    user = auth.login("candidate")
    person = db.session.get(Candidate, user.candidate_id)
    for n in range(25):
        record_event(db.session, person, "updated", f"Changement n° {n}.", actor_label="vous")
    db.session.commit()
    db.session.expunge_all()
    loaded = []

    def on_load(target, context):
        loaded.append(target.summary)

    event.listen(CandidateEvent, "load", on_load)
    try:
        text = client.get("/candidat/mon-espace").get_data(as_text=True)
    finally:
        event.remove(CandidateEvent, "load", on_load)
    assert "Changement n° 24." in text and "Changement n° 5." in text
    assert "Changement n° 4." not in text
    assert len(loaded) == 20


def test_a_logged_in_candidate_cannot_open_another_candidates_space(client, auth):
    factories.load(factories.document(candidates=[factories.candidate(ref="autre")]))
    other = db.session.scalars(select(Candidate).where(Candidate.ref == "autre")).one()
    other_link = f"/mon-cv/{consent.space_token(other)}"
    auth.login("candidate")
    response = client.get(other_link)
    assert response.status_code == 403
    assert "ne correspond pas à votre compte" in response.get_data(as_text=True)
    assert client.get(f"{other_link}/export.json").status_code == 403
    assert (
        db.session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "cv.link_refused")
        )
        == 2
    )
    # Their own space is reachable from their area, and it is theirs.
    own = client.get("/candidat/mon-espace")
    assert own.status_code == 200 and other.email not in own.get_data(as_text=True)


def test_a_logged_in_job_seeker_deletes_their_own_profile_and_account(client, auth):
    # Found by the hostile battery: the account went with the profile before the audit
    # entry naming it as the actor was written (a foreign key error, a 500).
    user = auth.login("candidate")
    candidate_id, user_id = user.candidate_id, user.id
    response = client.post("/candidat/mon-espace/supprimer", data={"confirm": "y"})
    assert response.status_code == 302
    assert response.location.endswith("/mon-cv/supprime#contenu"), response.location
    db.session.expire_all()
    assert db.session.get(Candidate, candidate_id) is None
    assert db.session.get(User, user_id) is None
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "candidate.deleted")).one()
    assert entry.entity_id == candidate_id and entry.actor_id is None
    assert entry.details["reason"] == "demande de la personne"
    assert client.get("/candidat/mon-espace").status_code == 302  # logged out
    # Nothing in the audit log says whose the account was any more.
    for kept in db.session.scalars(select(AuditLog)):
        assert user.email not in json.dumps(kept.details), kept.action


def test_an_erased_profiles_link_says_it_is_erased_and_offers_no_new_link(client):
    """The link of an erased profile, opened again (the back button, a double click on
    "Tout supprimer", the mail read later), said "ce lien n'est plus valide, demandez un
    nouveau lien": as if the erasure had failed, and asking led nowhere."""
    space = submitted_and_confirmed(client)
    assert client.post(f"{space}/supprimer", data={"confirm": "y"}).status_code == 302
    for again in (client.get(space), client.post(f"{space}/supprimer", data={"confirm": "y"})):
        text = page_text(again)
        assert again.status_code == 410, text
        assert "Votre profil a été supprimé" in text and "à votre demande" in text
        assert "nouveau lien" not in text and "Recevoir" not in text
        assert 'href="/deposer-mon-cv"' in again.get_data(as_text=True)
    # Another link, of a profile merged away or never erased, keeps the general answer.
    assert client.get("/mon-cv/n-importe-quoi").status_code == 403


def test_the_link_of_a_profile_the_retention_rule_erased_says_so(client):
    space = submitted_and_confirmed(client)
    erase_candidate(db.session, the_candidate(), reason=retention.REASON_STALE)
    db.session.commit()
    page = client.get(space)
    text = page_text(page)
    assert page.status_code == 410 and "durées de conservation" in text
    assert "à votre demande" not in text and "nouveau lien" not in text
    assert mails_to(EMAIL) == []  # no receipt of an erasure the person did not ask for


def test_the_confirmation_link_of_an_erased_profile_says_it_is_erased(client):
    """Its token names the id and the address, not the ref: it said "ce lien de
    confirmation n'est plus valide" and offered a new link, which sends nothing."""
    assert post_form(client).status_code == 302
    path = link_in(mails_to(EMAIL)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    erased = the_candidate()
    erased_id = erased.id
    erase_candidate(db.session, erased, reason=ON_REQUEST)
    db.session.commit()
    page = client.post(path)
    text = page_text(page)
    assert page.status_code == 410, text
    assert "Votre profil a été supprimé à votre demande" in text
    assert "nouveau lien" not in text and "Recevoir" not in text
    # Someone given the same id since: the old link still names the erased profile,
    # and confirms nothing of theirs.
    with time_machine.travel(time.time() + 5):
        assert post_form(client, email="suivante@exemple.fr").status_code == 302
        page = client.post(path)
        assert page.status_code == 410 and "supprimé" in page_text(page)
        following = the_candidate_by("suivante@exemple.fr")
        assert following.email_confirmed_at is None
        own = consent.confirmation_token(following)
    if following.id != erased_id:
        return  # this database gives no id twice
    # Their own link, made after that erasure and outdated by an address change, is
    # outdated, not erased.
    with time_machine.travel(time.time() + 10):
        following.email = "changee@exemple.fr"
        db.session.commit()
        page = client.post(f"/mon-cv/confirmer/{own}")
        assert page.status_code == 403
        assert "n'est plus valide" in page_text(page) and "supprimé" not in page_text(page)


def test_an_erasure_is_confirmed_by_mail_and_the_mail_is_forgotten_once_sent(
    client,
    server,  # noqa: F811
    quiet_smtp_server_log,  # noqa: F811
):
    space = submitted_and_confirmed(client)
    before = len(mails_to(EMAIL))
    assert client.post(f"{space}/supprimer", data={"confirm": "y"}).status_code == 302
    queued = mails_to(EMAIL)
    # Every earlier mail went with the profile; one says the erasure is done.
    assert len(queued) == 1 and before >= 1
    mail = queued[0]
    assert mail.kind == "cv_erased" and mail.candidate_id is None
    assert "supprimé" in mail.subject and "Camille" in mail.body_text
    assert "/mon-cv/" not in mail.body_text  # no link to a space that is no more
    assert deliver_due(db.session).sent == 1
    assert [str(m["To"]) for m in server.parsed()] == [EMAIL]
    # Sent, it is not kept: the outbox holds nothing more of the person.
    db.session.expire_all()
    assert mails_to(EMAIL) == []


def test_a_logged_in_job_seeker_erasing_their_profile_gets_the_mail_too(client, auth):
    user = auth.login("candidate")
    address = db.session.get(Candidate, user.candidate_id).email
    assert client.post("/candidat/mon-espace/supprimer", data={"confirm": "y"}).status_code == 302
    mail = mails_to(address)[-1]
    assert mail.kind == "cv_erased" and "votre compte" in mail.body_text


def test_a_confirmed_new_address_becomes_the_login(client, auth):
    user = auth.login("candidate")
    old_address = user.email
    candidate = db.session.get(Candidate, user.candidate_id)
    consent.request_address_change(db.session, candidate, "nouvelle@exemple.fr")
    db.session.commit()
    assert db.session.get(User, user.id).email == old_address  # not before it is confirmed
    consent.confirm(db.session, consent.confirmation_token(candidate, "nouvelle@exemple.fr"))
    db.session.commit()
    assert db.session.get(User, user.id).email == "nouvelle@exemple.fr"
    assert len(audit_entries("user.email_changed")) == 1
    auth.logout()
    assert auth.post_login(old_address, PASSWORD).status_code != 302  # refused
    assert auth.post_login("nouvelle@exemple.fr", PASSWORD).status_code == 302


def test_a_reset_link_mailed_to_the_former_address_dies_with_the_change(client, auth):
    # Whoever reads the former mailbox (an old employer's, a shared one) must not choose
    # the password of the account that now logs in with the new address.
    user = auth.login("candidate")
    old_address = user.email
    token = accounts.request_password_reset(db.session, old_address)
    assert token is not None
    candidate = db.session.get(Candidate, user.candidate_id)
    consent.request_address_change(db.session, candidate, "nouvelle@exemple.fr")
    consent.confirm(db.session, consent.confirmation_token(candidate, "nouvelle@exemple.fr"))
    db.session.commit()
    auth.logout()
    page = client.get(f"/invitation/{token}")
    assert page.status_code == 400 and "n'est plus valable" in page_text(page)
    sent = client.post(
        f"/invitation/{token}",
        data={"password": "Choisi-par-un-autre-2026", "confirm": "Choisi-par-un-autre-2026"},
    )
    assert sent.status_code == 400
    assert auth.post_login("nouvelle@exemple.fr", PASSWORD).status_code == 302


def test_an_invitation_mailed_to_the_former_address_dies_with_the_change(client):
    factories.load(
        factories.document(candidates=[factories.candidate(ref="cv-invite", email=EMAIL)])
    )
    token = accounts.invite(db.session, EMAIL, "candidate", "cv-invite", None)
    db.session.commit()
    candidate = the_candidate_by(EMAIL)
    consent.request_address_change(db.session, candidate, "nouvelle@exemple.fr")
    consent.confirm(db.session, consent.confirmation_token(candidate, "nouvelle@exemple.fr"))
    db.session.commit()
    assert db.session.scalars(select(User.email)).all() == ["nouvelle@exemple.fr"]
    page = client.get(f"/invitation/{token}")
    assert page.status_code == 400 and "déjà servi" in page_text(page)


def test_a_new_address_another_account_logs_in_with_leaves_the_login_alone(client, auth):
    staff = auth.create("animateur")
    user = auth.login("candidate")
    candidate = db.session.get(Candidate, user.candidate_id)
    consent.request_address_change(db.session, candidate, staff.email)
    consent.confirm(db.session, consent.confirmation_token(candidate, staff.email))
    db.session.commit()
    assert db.session.get(User, user.id).email != staff.email
    assert audit_entries("user.email_changed") == []


@pytest.mark.parametrize("role", ["animateur", "operator", "company"])
def test_the_session_space_is_only_for_a_logged_in_job_seeker(client, auth, role):
    assert client.get("/candidat/mon-espace").status_code == 302  # to the login page
    assert (
        client.get("/candidat/mon-espace/export.json").headers["Location"].startswith("/connexion")
    )
    auth.login(role)
    assert client.get("/candidat/mon-espace").status_code == 403
    assert client.get("/candidat/mon-espace/export.json").status_code == 403


def test_self_service_counts_as_contact(client):
    space = submitted_and_confirmed(client)
    candidate = the_candidate()
    candidate.last_contact_at = utcnow().replace(year=utcnow().year - 1)
    db.session.commit()
    client.get(space)
    assert the_candidate().last_contact_at.year == utcnow().year


def test_suggestions_are_bounded_and_come_from_the_taxonomy(client):
    assert client.get("/deposer-mon-cv/suggestions?q=c").json == {"suggestions": []}
    skills = client.get("/deposer-mon-cv/suggestions?q=compta").json["suggestions"]
    assert 0 < len(skills) <= 8 and any("ompta" in s["label"] for s in skills)
    jobs = client.get("/deposer-mon-cv/suggestions?type=rome&q=comptable").json["suggestions"]
    assert jobs and jobs[0]["code"] == "M1203"
    # A long query, within the address limit (MAX_URL_BYTES), is answered all the same.
    long = client.get("/deposer-mon-cv/suggestions?q=" + "a" * 4000)
    assert long.status_code == 200


def test_link_requests_cannot_flood_a_mailbox(client):
    client.get(submitted_and_confirmed(client))
    for _ in range(5):
        assert client.post("/mon-cv/lien", data={"email": EMAIL}).status_code == 200
    resolve_link_requests()
    links = [m for m in mails_to(EMAIL) if m.subject.endswith(consent.LINK_SUBJECT)]
    assert len(links) == 1
    with time_machine.travel(time.time() + 3 * 60):
        client.post("/mon-cv/lien", data={"email": EMAIL})
        resolve_link_requests()
    assert len([m for m in mails_to(EMAIL) if m.subject.endswith(consent.LINK_SUBJECT)]) == 2


# --------------------------------------------------------------------------- the address sent to


TYPO = "sophie.martin@gmial.com"


def test_the_thanks_page_shows_the_address_and_a_typo_is_corrected_in_place(client):
    assert post_form(client, email=TYPO, first_name="Sophie").status_code == 302
    page = client.get("/deposer-mon-cv/merci")
    assert TYPO in page_text(page)
    # A common mailbox domain mistyped is pointed out, nothing refused.
    assert "Vouliez-vous dire sophie.martin@gmail.com ?" in page_text(page)
    first_link = link_in(mails_to(TYPO)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    fixed = client.post("/deposer-mon-cv/merci", data={"email": "sophie.martin@gmail.com"})
    assert fixed.status_code == 302 and fixed.location.endswith("/deposer-mon-cv/merci")
    assert "sophie.martin@gmail.com" in page_text(client.get(fixed.location))
    # Asked at once, carried out by the minute job (``link_requests``); meanwhile the
    # mistyped address's link confirms nothing already.
    assert client.post(first_link).status_code == 403
    assert resolve_link_requests() == 1
    candidate = the_candidate()
    assert candidate.email == "sophie.martin@gmail.com" and candidate.first_name == "Sophie"
    # The mistyped address's link confirms nothing any more; the new one does.
    assert client.post(first_link).status_code == 403
    assert confirm_from_mail(client, "sophie.martin@gmail.com").startswith("/mon-cv/")
    assert the_candidate().email_confirmed_at is not None


def test_a_bad_correction_says_so_next_to_the_field(client):
    post_form(client, email=TYPO)
    refused = client.post("/deposer-mon-cv/merci", data={"email": "sophie@"})
    assert refused.status_code == 422
    assert "adresse e-mail valide" in error_of(refused, "email")
    assert the_candidate().email == TYPO


def test_another_browser_or_a_later_visit_cannot_correct_the_address(app, client):
    post_form(client, email=TYPO)
    other = app.test_client()
    other.post("/deposer-mon-cv/merci", data={"email": "pirate@exemple.fr"})
    assert the_candidate().email == TYPO and "Aucun profil" in page_text(
        other.get("/deposer-mon-cv/merci")
    )
    client.get("/")  # the author went elsewhere: the page is closed
    client.post("/deposer-mon-cv/merci", data={"email": "pirate@exemple.fr"})
    assert the_candidate().email == TYPO and mails_to("pirate@exemple.fr") == []


def test_a_correction_to_an_address_another_profile_holds_reveals_nothing(client, app):
    submitted_and_confirmed(app.test_client())  # Camille, at EMAIL
    post_form(client, email=TYPO, first_name="Sophie")
    answer = client.post("/deposer-mon-cv/merci", data={"email": EMAIL})
    assert answer.status_code == 302  # the same answer as any correction
    assert resolve_link_requests() == 1  # what the minute job does
    # Its words hold whichever happened: no "corrected" said of a profile kept as it was.
    said = page_text(client.get(answer.location))
    assert f"Un nouvel e-mail part vers {EMAIL} : ouvrez-le." in said
    assert "Si cette adresse avait déjà un profil dans la CVthèque" in said
    assert "Adresse corrigée" not in said
    # Camille is sent her own link; Sophie's profile keeps its address, and Camille's
    # profile is untouched.
    assert "Votre lien vers votre espace" in mails_to(EMAIL)[-1].subject
    assert the_candidate_by(TYPO).first_name == "Sophie"
    assert the_candidate_by(EMAIL).first_name == "Camille"


NEW = "sophie.neuve@exemple.fr"
MEANT = "sophie.bonne@exemple.fr"


def _seen(response, typed: str) -> tuple[int, str | None, str]:
    """An answer of the thanks page as two browsers' are compared: the address each
    typed, and its forms' security tokens, left out."""
    return response.status_code, response.location, same_page(response).replace(typed, "@")


def test_the_thanks_page_is_the_same_after_a_known_address_and_a_new_one(app, client):
    """After a sending whose address held a profile, the thanks page had no box to correct
    the address, which it had after any other: sending the form told anyone, every time,
    whether an address was in the library. The page, the refusal of a bad correction and
    the answer to a good one are now the same."""
    submitted_and_confirmed(client)  # Camille, at EMAIL
    known, new = app.test_client(), app.test_client()
    assert post_form(known, first_name="Sophie").status_code == 302
    assert post_form(new, email=NEW, first_name="Sophie").status_code == 302
    page = _seen(known.get("/deposer-mon-cv/merci"), EMAIL)
    assert page == _seen(new.get("/deposer-mon-cv/merci"), NEW)
    assert page[0] == 200 and 'name="email"' in page[2]
    # Nothing it says holds for one sending only: "your profile is kept" was false of
    # the one that stored nothing.
    assert "est gardé" not in page_text(known.get("/deposer-mon-cv/merci"))
    refused = _seen(known.post("/deposer-mon-cv/merci", data={"email": "sophie@"}), EMAIL)
    assert refused == _seen(new.post("/deposer-mon-cv/merci", data={"email": "sophie@"}), NEW)
    assert refused[0] == 422 and "adresse e-mail valide" in refused[2]
    fixed = known.post("/deposer-mon-cv/merci", data={"email": MEANT})
    assert _seen(fixed, EMAIL) == _seen(
        new.post("/deposer-mon-cv/merci", data={"email": MEANT}), NEW
    )
    assert fixed.status_code == 302 and fixed.location.endswith("/deposer-mon-cv/merci")
    after = same_page(known.get(fixed.location))
    assert after == same_page(new.get(fixed.location)) and MEANT in after
    # Its words hold for each outcome the minute job may bring (``test_link_requests``).
    said = page_text_of(after)
    assert f"Un nouvel e-mail part vers {MEANT} : ouvrez-le." in said
    assert "S'il vous invite à déposer à nouveau votre profil" in said


def test_a_profile_confirmed_meanwhile_is_not_corrected_from_the_thanks_page(app, client):
    """Confirmed from another device while its thanks page was open: its address changes
    from its space only, and the page says so instead of promising a mail."""
    assert post_form(client, email=TYPO).status_code == 302
    page = client.get("/deposer-mon-cv/merci")
    assert 'name="email"' in page.get_data(as_text=True)
    confirm_from_mail(app.test_client(), TYPO)  # the phone
    answer = client.post("/deposer-mon-cv/merci", data={"email": NEW})
    assert answer.status_code == 302
    shown = client.get(answer.location)
    assert "déjà confirmée" in page_text(shown)
    assert 'name="email"' not in shown.get_data(as_text=True)
    assert count(LinkRequest) == 0 and resolve_link_requests() == 0
    candidate = the_candidate()
    assert candidate.email == TYPO and candidate.pending_email is None


def test_a_link_naming_a_channel_records_it_as_the_profiles_source(client):
    """A QR code at a forum or a job dating, a post on social networks, a permanence's
    poster: each links to the form with ``?canal=...``. The channel was dropped (every
    profile recorded as « Dépôt par la personne sur le site »), so the CV library could not
    count what each channel brought. A name outside the list is ignored, never refused."""
    page = client.get("/deposer-mon-cv?canal=Job-Dating").get_data(as_text=True)
    assert 'name="canal" value="job dating"' in page
    assert post_form(client, canal="job dating").status_code == 302
    candidate = the_candidate()
    assert candidate.source == "job dating"
    (created,) = db.session.scalars(
        select(CandidateEvent).where(
            CandidateEvent.candidate_id == candidate.id, CandidateEvent.kind == "created"
        )
    )
    assert "par la personne elle-même" in created.summary
    assert "Job dating" in created.summary
    assert len(mails_to(EMAIL)) == 1  # the confirmation, as for any public submission


def test_an_unknown_or_missing_channel_leaves_the_public_source(client):
    page = client.get("/deposer-mon-cv?canal=<script>").get_data(as_text=True)
    assert 'name="canal" value=""' in page
    assert post_form(client, canal="<b>spam</b>").status_code == 302
    assert the_candidate().source == "public"
    assert post_form(client, email="autre@exemple.fr").status_code == 302
    assert the_candidate_by("autre@exemple.fr").source == "public"


def test_hours_are_asked_in_total_and_lowering_them_under_the_work_held_is_told(client):
    """A person already working 8 h (a commitment) who typed the hours they still look for
    (2 to 5) was silently turned « placé » and proposed nothing more: the form never said
    the hours are the week's total, and the space only said « enregistrés »."""
    assert "y compris" in page_text(client.get("/deposer-mon-cv"))
    space = submitted_and_confirmed(client)
    candidate = the_candidate()
    candidate.commitments.append(Commitment(hours_per_week=8, days=["mon"], label="Mairie"))
    db.session.commit()
    form = page_text(client.get(f"{space}/modifier"))
    assert "Vous travaillez déjà 8 h par semaine" in form
    data = form_data(hours_min="2", hours_max="5")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    saved = post_multipart(client, f"{space}/modifier", data)
    assert saved.status_code == 302
    page = page_text(client.get(saved.headers["Location"]))
    assert "plus aucune proposition" in page
    assert "indiquez un maximum plus élevé" in page


def _profile_form(**overrides) -> dict:
    data = form_data(**overrides)
    data.pop("consent")
    return data


def test_the_profile_saved_from_a_tab_read_before_another_save_is_refused(client):
    # The person opens their profile form in two tabs, changes the hours in one and the
    # phone in the other: the second save must not put the old hours back.
    space = submitted_and_confirmed(client)
    first = read_stamp_at(client, f"{space}/modifier")
    second = read_stamp_at(client, f"{space}/modifier")
    saved = client.post(f"{space}/modifier", data={**_profile_form(hours_max="30"), "lu_le": first})
    assert saved.status_code == 302
    typed = "06 99 88 77 66"
    response = client.post(
        f"{space}/modifier", data={**_profile_form(phone=typed), "lu_le": second}
    )
    assert response.status_code == 422
    assert "Votre profil a été modifié depuis que vous avez ouvert cette page" in page_text(
        response
    )
    assert f'value="{typed}"' in unescape(response.get_data(as_text=True))  # kept
    candidate = the_candidate()
    assert candidate.hours_max == 30  # the first change kept
    assert candidate.phone != typed.replace(" ", "")  # nothing of the second
    assert "99" not in (candidate.phone or "")
    # Sent again from the page given back (read now), it is saved.
    again = client.post(
        f"{space}/modifier",
        data={**_profile_form(phone=typed, hours_max="30"), "lu_le": stamp_in(response)},
    )
    assert again.status_code == 302
    candidate = the_candidate()
    assert candidate.hours_max == 30 and "99" in candidate.phone


def test_the_profile_refused_as_changed_meanwhile_says_what_it_holds_now(client):
    # The kept form still holds what the tab had read: the hours the other tab changed
    # are back at 24 in it. Saved again as it is, it would put them back; the refusal
    # says what the profile holds now where the form differs, on this very page (on a
    # phone, "your space in another tab" is out of reach).
    space = submitted_and_confirmed(client)
    first = read_stamp_at(client, f"{space}/modifier")
    second = read_stamp_at(client, f"{space}/modifier")
    saved = client.post(
        f"{space}/modifier",
        data={**_profile_form(hours_max="30", days=["mon", "tue", "fri"]), "lu_le": first},
    )
    assert saved.status_code == 302
    response = client.post(
        f"{space}/modifier", data={**_profile_form(phone="06 99 88 77 66"), "lu_le": second}
    )
    assert response.status_code == 422
    text = page_text(response)
    # Nothing typed is wrong: no « Corrigez ce point », and said once that nothing was saved.
    assert "Rien n'a été enregistré : Votre profil a été modifié depuis que" in text
    assert "Corrigez" not in text and text.lower().count("rien n'a été enregistré") == 1
    assert "Il indique maintenant :" in text
    assert "heures maximum : 30 h" in text
    assert "jours : lundi, mardi, vendredi" in text
    assert "téléphone" in text  # the phone typed differs from the stored one
    assert "prénom" not in text.split("Il indique maintenant")[1].split(".")[0]


def test_the_profile_sent_without_its_read_stamp_is_refused(client):
    space = submitted_and_confirmed(client)
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = _profile_form(hours_max="30")
        if stamp is not None:
            data["lu_le"] = stamp
        response = client.post(f"{space}/modifier", data=data)
        assert response.status_code == 422
        assert the_candidate().hours_max == 24


def test_the_profile_read_before_the_team_adds_a_commitment_is_saved(app, client, auth):
    # A commitment the team adds stamps the person (matching relies on it) and changes
    # nothing of what the profile form edits: the form opened before is saved.
    space = submitted_and_confirmed(client)
    guard = read_guard_at(client, f"{space}/modifier")
    assert guard.get("lu_valeurs")
    team = app.test_client()
    auth.login("animateur", client=team)
    added = team.post(
        f"/animateur/cvtheque/{the_candidate().ref}/engagements/nouveau",
        data={"libelle": "Ménage, Mairie", "heures": "6", "jours": ["wed"], "debut": "", "fin": ""},
    )
    assert added.status_code == 302
    assert the_candidate().updated_at.isoformat() != guard["lu_le"]
    saved = client.post(f"{space}/modifier", data={**_profile_form(phone="0699887766"), **guard})
    assert saved.status_code == 302
    assert "99" in the_candidate().phone
    assert len(the_candidate().commitments) == 1  # the team's commitment kept


def test_the_profile_changed_meanwhile_is_refused_even_with_its_digest(client):
    # The same field changed in another tab: refused, nothing written, what was typed kept;
    # a form without the digest (read before it existed) is guarded by its stamp alone.
    space = submitted_and_confirmed(client)
    first = read_guard_at(client, f"{space}/modifier")
    second = read_guard_at(client, f"{space}/modifier")
    assert (
        client.post(
            f"{space}/modifier", data={**_profile_form(hours_max="30"), **first}
        ).status_code
        == 302
    )
    response = client.post(
        f"{space}/modifier", data={**_profile_form(phone="0699887766"), **second}
    )
    assert response.status_code == 422
    assert 'value="0699887766"' in unescape(response.get_data(as_text=True))  # kept
    assert the_candidate().hours_max == 30 and "99" not in (the_candidate().phone or "")
    fresh = guard_in(response)
    bare = client.post(
        f"{space}/modifier",
        data={**_profile_form(phone="0699887766"), "lu_le": second["lu_le"]},
    )
    assert bare.status_code == 422
    again = client.post(
        f"{space}/modifier", data={**_profile_form(phone="0699887766", hours_max="30"), **fresh}
    )
    assert again.status_code == 302


def test_opening_the_space_meanwhile_does_not_refuse_the_profile_form(client):
    # A visit counts as a contact (the retention period starts again) but changes nothing
    # of the profile: a form opened before it is still saved.
    space = submitted_and_confirmed(client)
    stamp = read_stamp_at(client, f"{space}/modifier")
    before = the_candidate().last_contact_at
    assert client.get(space).status_code == 200
    assert the_candidate().last_contact_at > before  # the visit was counted
    saved = client.post(f"{space}/modifier", data={**_profile_form(hours_max="30"), "lu_le": stamp})
    assert saved.status_code == 302
    assert the_candidate().hours_max == 30


def test_the_profile_sent_again_with_what_it_holds_now_is_saved_another_change_refused(client):
    # Two tabs read the profile; the first saves new hours, skills and a new address.
    # The second, read before, sends exactly those values: nothing would be lost (its
    # skills, a relationship, compared as the labels stored), it is saved.
    space = submitted_and_confirmed(client)
    first = read_guard_at(client, f"{space}/modifier")
    second = read_guard_at(client, f"{space}/modifier")
    same = _profile_form(
        hours_max="30",
        skills="Facturation\nsaisie comptable\n  paie  ",
        email="camille.nouvelle@exemple.fr",
    )
    assert client.post(f"{space}/modifier", data={**same, **first}).status_code == 302
    candidate = the_candidate()
    skill_ids = [skill.id for skill in candidate.skills]
    changes = select(func.count(CandidateEvent.id)).where(
        CandidateEvent.summary.like("Profil modifié%")
    )
    history = db.session.scalar(changes)
    again = client.post(f"{space}/modifier", data={**same, **second})
    assert again.status_code == 302, page_text(again)
    candidate = the_candidate()
    assert candidate.hours_max == 30
    assert candidate.skill_labels == ["Facturation", "saisie comptable", "paie"]
    assert [skill.id for skill in candidate.skills] == skill_ids  # the rows untouched
    assert candidate.email == "camille.martin@exemple.fr"
    assert candidate.pending_email == "camille.nouvelle@exemple.fr"
    assert db.session.scalar(changes) == history  # no change of the profile recorded
    # From that same stale tab, other skills are still refused, nothing written.
    typed = "Facturation\nsaisie comptable"
    response = client.post(f"{space}/modifier", data={**same, "skills": typed, **second})
    assert response.status_code == 422
    assert "Votre profil a été modifié depuis" in page_text(response)
    assert "saisie comptable</textarea>" in unescape(response.get_data(as_text=True))  # kept
    assert the_candidate().skill_labels == ["Facturation", "saisie comptable", "paie"]


def test_the_profile_sent_again_as_typed_holds_what_an_import_stored_so_is_saved(client):
    # An import stores the phone, the address and the names as the other platform sent
    # them (« 06 12 34 56 78 », capitals, two spaces); a save from the person's space
    # keeps them when they are the same once cleaned. A second tab read before that save
    # sends the very same values, typed as the form shows them: once cleaned they are
    # what the profile holds, nothing would be lost, it is saved (not "changed meanwhile").
    space = submitted_and_confirmed(client)
    candidate = the_candidate()
    candidate.phone = "06 12 34 56 78"
    candidate.email = "Camille.Martin@Exemple.fr"
    candidate.first_name = "Camille  Anne"
    db.session.commit()
    first = read_guard_at(client, f"{space}/modifier")
    second = read_guard_at(client, f"{space}/modifier")
    same = _profile_form(
        hours_max="30",
        phone="06 12 34 56 78",
        email=" Camille.Martin@Exemple.fr ",
        first_name="Camille  Anne",
    )
    mails = db.session.scalar(select(func.count(OutboxMessage.id)))
    saved = client.post(f"{space}/modifier", data={**same, **first}, follow_redirects=True)
    assert "Vos changements sont enregistrés." in page_text(saved)
    assert "ouvrez le lien" not in page_text(saved)  # their own address: nothing to confirm
    candidate = the_candidate()
    assert (candidate.hours_max, candidate.phone) == (30, "06 12 34 56 78")  # stored form kept
    assert (candidate.email, candidate.pending_email) == ("Camille.Martin@Exemple.fr", None)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == mails
    again = client.post(f"{space}/modifier", data={**same, "phone": "06.12.34.56.78", **second})
    assert again.status_code == 302, page_text(again)
    assert the_candidate().hours_max == 30
    # A phone that differs once cleaned is still a change made meanwhile: refused.
    other = client.post(f"{space}/modifier", data={**same, "phone": "06 12 34 56 79", **second})
    assert other.status_code == 422
    assert the_candidate().phone == "06 12 34 56 78"


# --------------------------------------------------------------------------- a leaked link


def space_with_account(client) -> str:
    """A confirmed profile whose person made a password account from their space; the
    space path (opened by the link alone, nobody logged in)."""
    space = submitted_and_confirmed(client)
    made = client.post(f"{space}/compte", data={"password": PASSWORD, "confirm": PASSWORD})
    assert made.status_code == 302
    return space


def ask_address(client, space: str, address: str, **extra):
    data = {**_profile_form(email=address), **extra}
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    return client.post(f"{space}/modifier", data=data)


def test_a_link_alone_does_not_move_the_address_an_account_logs_in_with(client):
    # Whoever holds a forwarded or leaked link typed their own address, confirmed it and
    # reset the password to it: the account was theirs, its owner locked out.
    space = space_with_account(client)
    page = client.get(f"{space}/modifier")
    assert 'name="password"' in html_of(page) and 'autocomplete="current-password"' in html_of(page)
    for typed, said in (
        ({}, "tapez le mot de passe de votre compte"),
        ({"password": "pas-le-bon-mot-de-passe"}, "Mot de passe incorrect"),
    ):
        refused = ask_address(client, space, "intrus@exemple.org", hours_max="30", **typed)
        assert refused.status_code == 400
        assert said in error_of(refused, "password")
        candidate = the_candidate()
        # Nothing written: neither the address asked nor the rest of the form.
        assert candidate.pending_email is None and candidate.hours_max != 30
        assert mails_to("intrus@exemple.org") == []
    # The account's own password proves it: the change waits for the new mailbox.
    accepted = ask_address(client, space, "nouvelle@exemple.fr", password=PASSWORD)
    assert accepted.status_code == 302
    assert the_candidate().pending_email == "nouvelle@exemple.fr"
    assert "/mon-cv/confirmer/" in mails_to("nouvelle@exemple.fr")[-1].body_text


def test_the_rest_of_the_profile_is_saved_by_the_link_without_a_password(client):
    space = space_with_account(client)
    saved = ask_address(client, space, EMAIL, hours_max="30")
    assert saved.status_code == 302 and the_candidate().hours_max == 30


def test_wrong_passwords_for_an_address_change_count_toward_the_account_s_lock(client, app):
    space = space_with_account(client)
    wrong = "devine-encore-2026"  # noqa: S105 — a wrong guess typed by the test, no credential
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        ask_address(client, space, "intrus@exemple.org", password=wrong)
    # Locked: even the right password is refused for a while, as at the login page.
    locked = ask_address(client, space, "intrus@exemple.org", password=PASSWORD)
    assert locked.status_code == 429 and "réessayez" in page_text(locked).lower()
    assert the_candidate().pending_email is None
    assert len(audit_entries("reauth_failed")) == app.config["LOGIN_MAX_FAILURES"]


def test_an_address_change_locks_the_account_from_that_address_only(client, app, auth):
    """The form's password counts under the rule of the login page, in the same counts: a
    stranger holding the link locks the account from their address, not its owner."""
    space = space_with_account(client)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.40"
    wrong = "devine-encore-2026"  # noqa: S105 — a wrong guess typed by the test, no credential
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert ask_address(client, space, "intrus@exemple.org", password=wrong).status_code == 400
    # One more at the login page, from the same address, locks the pair.
    assert auth.post_login(EMAIL, wrong, client=client).status_code == 429
    locked = ask_address(client, space, "intrus@exemple.org", password=PASSWORD)
    assert locked.status_code == 429 and the_candidate().pending_email is None
    # The owner, on another connection, logs in and changes the address with the password.
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "203.0.113.41"
    accepted = ask_address(owner, space, "nouvelle@exemple.fr", password=PASSWORD)
    assert accepted.status_code == 302
    assert the_candidate().pending_email == "nouvelle@exemple.fr"
    assert auth.post_login(EMAIL, client=owner).status_code == 302


def test_the_account_s_owner_logged_in_changes_the_address_without_typing_it_again(client, auth):
    user = auth.login("candidate")
    page = client.get("/candidat/mon-espace/modifier")
    assert page.status_code == 200 and 'name="password"' not in html_of(page)
    data = {**_profile_form(email="nouvelle@exemple.fr")}
    candidate = db.session.get(Candidate, user.candidate_id)
    data.update(
        first_name=candidate.first_name,
        last_name=candidate.last_name,
        lu_le=read_stamp_at(client, "/candidat/mon-espace/modifier"),
    )
    saved = client.post("/candidat/mon-espace/modifier", data=data)
    assert saved.status_code == 302, page_text(saved)
    assert db.session.get(Candidate, user.candidate_id).pending_email == "nouvelle@exemple.fr"


def test_someone_else_logged_in_still_needs_the_account_s_password(client, auth):
    space = space_with_account(client)
    auth.login("animateur")  # a staff member opening a link forwarded to them
    refused = ask_address(client, space, "intrus@exemple.org")
    assert refused.status_code == 400 and the_candidate().pending_email is None


def test_a_profile_without_account_changes_its_address_by_its_link(client):
    space = submitted_and_confirmed(client)
    assert 'name="password"' not in html_of(client.get(f"{space}/modifier"))
    assert ask_address(client, space, "nouvelle@exemple.fr").status_code == 302
    assert the_candidate().pending_email == "nouvelle@exemple.fr"


def test_the_former_address_is_told_of_the_change(client):
    space = submitted_and_confirmed(client)
    before = len(mails_to(EMAIL))
    assert ask_address(client, space, "nouvelle@exemple.fr").status_code == 302
    assert len(mails_to(EMAIL)) == before  # asked only: nothing changed yet
    confirm_from_mail(client, "nouvelle@exemple.fr")
    told = mails_to(EMAIL)[before:]
    assert [m.kind for m in told] == ["cv_address_changed"]
    text = told[0].body_text
    # Which address (masked: whoever reads the former mailbox learns no full address),
    # when, and whom to write to.
    assert "n•••@exemple.fr" in text and "nouvelle@exemple.fr" not in told[0].body_html
    assert "nouvelle@exemple.fr" not in text
    assert f"{local_date(utcnow()):%d/%m/%Y}" in text
    assert "contact@" in text and "ne fonctionnent plus" in text
    assert "/mon-cv/" not in text  # no link: the former mailbox no longer opens anything
    assert told[0].candidate_id == the_candidate().id


def test_the_former_address_of_an_account_is_told_its_login_moved(client):
    space = space_with_account(client)
    before = len(mails_to(EMAIL))
    ask_address(client, space, "nouvelle@exemple.fr", password=PASSWORD)
    confirm_from_mail(client, "nouvelle@exemple.fr")
    text = mails_to(EMAIL)[before:][-1].body_text
    assert "vous connecter" in text and "n•••@exemple.fr" in text


def test_a_change_asked_before_the_account_existed_does_not_move_its_login(client):
    # Asked by the link alone while the profile had no account, then the person made
    # one: confirmed afterwards, that change moved the new account's login unproved.
    space = submitted_and_confirmed(client)
    assert ask_address(client, space, "intrus@exemple.org").status_code == 302
    link = link_in(mails_to("intrus@exemple.org")[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    with time_machine.travel(time.time() + 5):
        made = client.post(f"{space}/compte", data={"password": PASSWORD, "confirm": PASSWORD})
        assert made.status_code == 302
        for refused in (client.get(link), client.post(link)):
            assert refused.status_code == 403
            assert "avant la création de son compte" in page_text(refused)
    assert the_candidate().email == EMAIL
    assert db.session.scalars(select(User.email)).all() == [EMAIL]
