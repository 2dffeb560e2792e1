"""The CV library as its users live it, in a real browser.

A job seeker on a 390 px phone submits "Déposer mon CV" with a real PDF, ticks the
skills found in it, confirms their address through the link of the queued mail,
then pauses and deletes their profile from their personal space. An animateur
searches the library around a commune on a phone and a desktop, opens a person's
page and previews an import with one bad row. Each page is screenshotted
(``test-artifacts/screenshots/cv-*``), passes axe-core with no serious or critical
violation and never scrolls sideways at 390 px.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from connectences.clock import local_today
from connectences.models import Candidate
from tests.browser.support import (
    DESKTOP,
    PHONE,
    check,
    describe,
    fill_cv_form,
    log_in,
    queued_mail,
    stored_row,
)

pytestmark = pytest.mark.browser

EMAIL = "camille.navarre@exemple.fr"


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text is ``lines`` (Helvetica, WinAnsi: accents kept)."""

    def literal(text: str) -> str:
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    stream = "BT /F1 14 Tf 50 780 Td 18 TL " + " ".join(f"{literal(t)} '" for t in lines) + " ET"
    stream_bytes = stream.encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream_bytes) + stream_bytes + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def stored_candidate(server, address: str) -> Candidate | None:
    return stored_row(server, Candidate, Candidate.email == address)


def test_a_job_seeker_submits_confirms_pauses_and_deletes_on_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    base = live_server.url
    page.goto(base + "/")
    # Every public page leads to the form (the menu), not only the home page's button.
    # On a phone the menu folds behind its "Menu" button (static/js/nav.js).
    menu = page.get_by_role("navigation").get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    # Escape closes the open menu and leaves the focus on its button.
    menu.click()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    menu.click()
    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role("link", name="Déposer mon CV").click()
    assert page.get_by_role("heading", name="Déposer mon CV", level=1).count() == 1
    # A returning person finds the way to their space before the long form.
    already = page.get_by_role("link", name="Recevez le lien vers votre espace")
    assert already.bounding_box()["y"] < page.get_by_label("Prénom", exact=True).bounding_box()["y"]
    blocking = check(page, "cv-formulaire-390", "déposer mon CV, formulaire vide (390 px)")

    # Sent empty: nothing stored, every error listed on top and tied to its field.
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mon profil").click()
    summary = page.locator("#erreurs")
    expect(summary).to_be_visible()
    assert page.get_by_label("Prénom", exact=True).get_attribute("aria-invalid") == "true"
    # The summary's links lead to the fields; the file must be chosen again.
    assert summary.get_by_role("link", name="Prénom").get_attribute("href") == "#first_name"
    expect(page.get_by_text("Si vous aviez choisi un CV, choisissez-le à nouveau")).to_be_visible()
    blocking += check(page, "cv-erreurs-390", "déposer mon CV, erreurs (390 px)")

    page.get_by_label("Prénom", exact=True).fill("Camille")
    page.get_by_label("Nom", exact=True).fill("Navarre")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Téléphone (facultatif)").fill("06 12 34 56 78")
    page.get_by_label("Commune où vous habitez").fill("Biganos")
    page.get_by_label("Distance que vous acceptez de parcourir (en km)").fill("20")
    # The suggestions (static JS) propose skills of the taxonomy while typing.
    skills = page.get_by_label("Vos compétences")
    skills.fill("")
    skills.press_sequentially("secr", delay=40)
    suggestion = page.locator("#skills-suggestions button", has_text="Secrétariat").first
    suggestion.wait_for()
    blocking += check(page, "cv-suggestions-390", "déposer mon CV, suggestions (390 px)")
    suggestion.click()
    assert "Secrétariat" in skills.input_value()
    # Written with commas, as the help allows: the suggestion replaces only the skill
    # being typed, never the ones before it.
    skills.fill("")
    skills.press_sequentially("accueil téléphonique, ménage, secr", delay=20)
    suggestion = page.locator("#skills-suggestions button", has_text="Secrétariat").first
    suggestion.wait_for()
    suggestion.click()
    assert skills.input_value().startswith("accueil téléphonique, ménage, Secrétariat")
    skills.fill("")
    skills.press_sequentially("accueil téléphonique\nsecr", delay=20)
    suggestion = page.locator("#skills-suggestions button", has_text="Secrétariat").first
    suggestion.wait_for()
    suggestion.click()
    assert skills.input_value().startswith("accueil téléphonique\nSecrétariat")
    skills.press_sequentially("tenue de caisse", delay=10)
    page.get_by_label("Employé qualifié").check()
    page.get_by_label("Heures par semaine : au moins").fill("10")
    page.get_by_label("Heures par semaine : au plus").fill("24")
    page.get_by_label("Lundi").check()
    page.get_by_label("Mardi").check()
    page.get_by_label("Jeudi").check()
    page.get_by_label("CDI à temps partagé").check()
    page.get_by_label("CDD").check()
    page.get_by_label("Disponible à partir du").fill(
        (local_today() + timedelta(days=7)).isoformat()
    )
    page.get_by_label("Votre CV (facultatif)").set_input_files(
        files=[
            {
                "name": "cv-camille.pdf",
                "mimeType": "application/pdf",
                "buffer": make_pdf(
                    [
                        "Camille Navarre",
                        "Comptabilité, paie, facturation",
                        "Accueil téléphonique",
                    ]
                ),
            }
        ]
    )
    page.get_by_role("checkbox", name=re.compile("J'ai lu l'information")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mon profil").click()

    # Second step: the skills read in the PDF, to tick.
    assert page.url.endswith("/deposer-mon-cv/competences")
    found = page.get_by_role("checkbox", name="Comptabilité", exact=True)
    assert found.count() == 1
    blocking += check(page, "cv-competences-390", "compétences trouvées dans le CV (390 px)")
    found.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    # The form aims at its error summary (#erreurs); the redirect keeps that fragment.
    assert page.url.split("#")[0].endswith("/deposer-mon-cv/merci")
    blocking += check(page, "cv-merci-390", "merci (390 px)")

    candidate = stored_candidate(live_server, EMAIL)
    assert candidate is not None and candidate.email_confirmed_at is None
    assert "Comptabilité" in candidate.skill_labels
    assert "Secrétariat" in candidate.skill_labels

    # The confirmation link of the queued mail, opened in the browser.
    mail = queued_mail(live_server, EMAIL, "Confirmez")
    link = re.search(r"https?://\S+/mon-cv/confirmer/\S+", mail.body_text)
    assert link is not None, mail.body_text
    page.goto(link.group(0))
    assert page.get_by_role("heading", name="Confirmer mon adresse", level=1).count() == 1
    blocking += check(page, "cv-confirmer-390", "confirmer mon adresse (390 px)")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer mon adresse").click()
    assert "/mon-cv/" in page.url
    assert page.get_by_role("heading", name="Mon espace CVthèque", level=1).count() == 1
    expect(page.get_by_text("Votre adresse est confirmée")).to_be_visible()
    blocking += check(page, "cv-espace-390", "mon espace (390 px)")
    assert stored_candidate(live_server, EMAIL).email_confirmed_at is not None
    space_url = page.url

    # Pause: the profile is no longer proposed; the button turns back into "available".
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Je ne suis plus disponible")).click()
    expect(page.get_by_text("Votre profil est en pause").first).to_be_visible()
    expect(page.get_by_role("button", name="Je suis de nouveau disponible")).to_be_visible()
    assert stored_candidate(live_server, EMAIL).status == "inactif"
    blocking += check(page, "cv-pause-390", "mon espace en pause (390 px)")

    # Delete: a confirmation page, a refusal without the tick, then everything is gone.
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Supprimer mon profil")).click()
    blocking += check(page, "cv-supprimer-390", "supprimer mon profil (390 px)")
    with page.expect_navigation():
        page.get_by_role("button", name="Tout supprimer définitivement").click()
    expect(page.get_by_text("Cochez la case pour confirmer la suppression.").first).to_be_visible()
    assert stored_candidate(live_server, EMAIL) is not None
    page.get_by_role("checkbox", name=re.compile("Je comprends")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Tout supprimer définitivement").click()
    assert page.get_by_role("heading", name="Votre profil est supprimé").count() == 1
    assert "#erreurs" not in page.url and "supprimer" not in page.url, page.url
    blocking += check(page, "cv-supprime-390", "profil supprimé (390 px)")
    assert stored_candidate(live_server, EMAIL) is None

    # The personal link no longer opens anything, and says the profile was erased.
    response = page.goto(space_url)
    assert response.status == 410
    assert page.get_by_text("supprimé à votre demande").count() >= 1
    blocking += check(page, "cv-lien-mort-390", "lien après suppression (390 px)")
    assert not blocking, describe(blocking)


def _search_around(page, base: str) -> None:
    page.goto(base + "/animateur/cvtheque")
    page.get_by_label("Compétence ou métier").fill("compta")
    page.get_by_label("Autour de").select_option(label="Biganos (33380)")
    page.get_by_label("Rayon (km)").fill("25")
    with page.expect_navigation():
        page.get_by_role("button", name="Rechercher").click()
    assert "q=compta" in page.url and "rayon=25" in page.url
    # A typed search is ranked by relevance, even after a first visit without text.
    assert page.get_by_label("Trier par").input_value() == "pertinence"


def test_an_animateur_searches_opens_a_person_and_previews_an_import(page, live_server):
    base = live_server.url
    log_in(page, live_server, "animateur")
    blocking = []
    for name, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        _search_around(page, base)
        results = page.locator("main table.stack tbody th a")
        assert results.count() >= 1, "aucun résultat pour « compta » autour de Biganos"
        # A radius search tells how far each person lives from the chosen commune.
        communes = page.locator("main table.stack tbody td[data-label=Commune]")
        for text in communes.all_inner_texts():
            distance = re.search(r"à (\d+)\s+km", text)
            assert distance and int(distance.group(1)) <= 25, text
        # The rare filters are folded: on a phone the first result comes soon after.
        expect(page.get_by_label("Code ROME")).to_be_hidden()
        if name == "390":
            assert results.first.bounding_box()["y"] < 2 * PHONE["height"] + 600
        blocking += check(
            page,
            f"cv-animateur-recherche-{name}",
            f"CVthèque, « compta » autour de Biganos ({name} px)",
        )

    with page.expect_navigation():
        results.first.click()
    assert page.get_by_role("heading", name="Historique").count() == 1
    blocking += check(page, "cv-animateur-fiche-390", "CVthèque, fiche (390 px)")
    # Back to the same results, not to an empty search.
    with page.expect_navigation():
        page.get_by_role("link", name="← Retour aux résultats").click()
    assert "q=compta" in page.url and "rayon=25" in page.url
    assert page.get_by_label("Compétence ou métier").input_value() == "compta"

    page.goto(base + "/animateur/cvtheque/import")
    blocking += check(page, "cv-animateur-import-390", "import, formulaire (390 px)")
    available = (local_today() + timedelta(days=3)).strftime("%d/%m/%Y")
    rows = [
        "Prénom;Nom;E-mail;Téléphone;Commune;Rayon de mobilité (km);Compétences;"
        "Niveau;Heures min;Heures max;Jours;Contrats;Disponible à partir du",
        f"Lina;Ferrand;lina.ferrand@exemple.fr;0611223344;Biganos;15;comptabilité, paie;"
        f"Employé qualifié;10;20;lundi, mardi;CDD;{available}",
        f"Hugo;Berthet;pas-une-adresse;;Commune-inconnue;15;accueil;"
        f"Employé qualifié;30;20;lundi;CDD;{available}",
    ]
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(
        files=[
            {
                "name": "forum.csv",
                "mimeType": "text/csv",
                "buffer": ("\n".join(rows) + "\n").encode("utf-8"),
            }
        ]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Voir l'aperçu").click()
    main = page.locator("main")
    assert "Ferrand" in main.inner_text() and "Berthet" in main.inner_text()
    # The bad row's errors are readable on the phone without scrolling sideways.
    bad = main.locator("tr", has_text="Berthet")
    for error in ("n'est pas une adresse e-mail valide", "Commune inconnue", "Heures max"):
        message = bad.get_by_text(error)
        expect(message, error).to_be_visible()
        box = message.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], error
    expect(main.get_by_role("button", name="Importer la ligne valide")).to_be_visible()
    blocking += check(page, "cv-animateur-apercu-390", "import, aperçu (390 px)")
    page.set_viewport_size(DESKTOP)
    blocking += check(page, "cv-animateur-apercu-1280", "import, aperçu (1280 px)")
    # Nothing was written by the preview.
    assert stored_candidate(live_server, "lina.ferrand@exemple.fr") is None
    assert not blocking, describe(blocking)


def test_jobs_picked_in_the_suggestions_are_written_by_their_names(page, live_server):
    # The field held bare codes (« M1607 D1104 ») that no job seeker can read or check.
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/deposer-mon-cv")
    jobs = page.get_by_label("Métiers recherchés (facultatif)")
    for letters, name in (("secr", "Secrétariat"), ("pâtis", "Pâtisserie, confiserie")):
        jobs.press_sequentially(letters, delay=40)
        suggestion = page.locator("#rome-suggestions button", has_text=name).first
        suggestion.click()
        expect(jobs).to_be_focused()
    # Jobs are separated by semicolons: a job's name may hold commas.
    expect(jobs).to_have_value(
        "Secrétariat (M1607); Pâtisserie, confiserie, chocolaterie et glacerie (D1104); "
    )
    # The same job picked again is not written twice.
    jobs.press_sequentially("secr", delay=40)
    page.locator("#rome-suggestions button", has_text="Secrétariat").first.click()
    expect(jobs).to_have_value(
        "Secrétariat (M1607); Pâtisserie, confiserie, chocolaterie et glacerie (D1104); "
    )


def test_a_job_typed_with_its_comma_is_suggested_and_picked_whole(page, live_server):
    # Typed up to its comma and beyond, the job was looked up from « conf » alone and,
    # picked, written after a « Pâtisserie » left alone that named no job.
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/deposer-mon-cv")
    jobs = page.get_by_label("Métiers recherchés (facultatif)")
    jobs.press_sequentially("Pâtisserie, conf", delay=40)
    page.locator("#rome-suggestions button", has_text="Pâtisserie, confiserie").first.click()
    expect(jobs).to_have_value("Pâtisserie, confiserie, chocolaterie et glacerie (D1104); ")


def test_the_consent_sentence_takes_the_width_of_a_phone(page, live_server):
    # « (obligatoire) » sat in a column of its own beside the box, squeezing the sentence
    # the person must read into half the width, six lines long.
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/deposer-mon-cv")
    box = page.locator("#consent").bounding_box()
    sentence = page.locator("label[for=consent]").bounding_box()
    card = page.locator("#consent").locator("xpath=ancestor::div[@class='checkbox']")
    width = card.bounding_box()["width"]
    assert sentence["width"] > 0.8 * (width - box["width"]), (sentence, width)
    required = card.locator(".required").bounding_box()
    assert required["y"] >= sentence["y"] + sentence["height"] - 1  # below, not beside


def test_a_file_too_heavy_is_refused_as_soon_as_it_is_chosen(page, live_server):
    # Sent, a file over the request limit would have the whole form refused before
    # anything typed could be kept: the page refuses it at once, beside the field.
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/deposer-mon-cv")
    page.get_by_label("Prénom", exact=True).fill("Camille")
    chooser = page.get_by_label("Votre CV (facultatif)")
    chooser.set_input_files(
        files=[{"name": "cv-scan.pdf", "mimeType": "application/pdf", "buffer": b"%" * (6 << 20)}]
    )
    message = page.locator("#cv-trop-lourd li")
    expect(message).to_have_text(re.compile(r"Ce fichier pèse 6 Mo : 5 Mo au plus\."))
    expect(chooser).to_have_attribute("aria-invalid", "true")
    assert chooser.evaluate("input => input.files.length") == 0
    assert page.get_by_label("Prénom", exact=True).input_value() == "Camille"
    # A lighter file clears the message.
    chooser.set_input_files(
        files=[{"name": "cv.pdf", "mimeType": "application/pdf", "buffer": make_pdf(["Camille"])}]
    )
    expect(message).to_have_count(0)
    assert chooser.get_attribute("aria-invalid") is None


def phone_photo(shade: int, orientation: int = 6) -> bytes:
    """A JPEG as a phone takes it: stored sideways (EXIF orientation), with its GPS
    position and device in the EXIF."""
    image = Image.new("RGB", (1200, 900), (shade, shade, shade))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x0110] = "PhoneMaker Model-X-9231"
    exif.get_ifd(0x8825)[2] = (44.0, 39.0, 21.5)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_job_seeker_sends_photos_of_a_paper_cv_from_a_phone(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/deposer-mon-cv")
    chooser = page.get_by_label("Votre CV (facultatif)")
    expect(page.locator("#cv-aide")).to_contain_text(
        "Un PDF, ou une photo de votre CV papier (une par page"
    )
    assert "image/jpeg" in chooser.get_attribute("accept")
    # Five photos: refused at once, beside the field (four pages at most).
    chooser.set_input_files(
        files=[
            {"name": f"page{i}.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(240)}
            for i in range(5)
        ]
    )
    expect(page.locator("#cv-trop-lourd li")).to_have_text(re.compile("4 au plus"))
    assert chooser.evaluate("input => input.files.length") == 0
    address = "nora.belkacem@exemple.fr"
    fill_cv_form(page, "Nora", "Belkacem", address, "ménage\nrepassage")
    chooser.set_input_files(
        files=[
            {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(245)},
            {"name": "IMG_2042.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(235)},
        ]
    )
    expect(page.locator("#cv-trop-lourd li")).to_have_count(0)
    blocking = check(page, "cv-photos-formulaire-390", "déposer mon CV en photos (390 px)")
    page.get_by_role("checkbox", name=re.compile("J'ai lu l'information")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mon profil").click()
    assert page.url.split("#")[0].endswith("/deposer-mon-cv/merci"), page.url
    expect(page.get_by_text("la plateforme en a fait un PDF")).to_be_visible()
    blocking += check(page, "cv-photos-merci-390", "merci, CV en photos (390 px)")
    candidate = stored_candidate(live_server, address)
    assert candidate is not None and candidate.cv_filename.endswith(".pdf")
    assert candidate.skill_labels == ["ménage", "repassage"]
    assert not blocking, describe(blocking)
