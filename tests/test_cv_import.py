"""Bulk import of CVs from a spreadsheet, through the animateur's pages."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook
from sqlalchemy import func, select

from connectences.cvtheque import bulk_import
from connectences.extensions import db
from connectences.models import AuditLog, Candidate, CandidateEvent, CandidateImport, OutboxMessage
from connectences.tabular import read_table, to_csv
from tests.helpers import html_of, page_text

GOOD = {
    "Prénom": "Inès",
    "Nom": "Lambert",
    "E-mail": "ines.lambert@exemple.fr",
    "Téléphone": "06 12 34 56 78",
    "Commune": "Arcachon",
    "Rayon de mobilité (km)": "15",
    "Compétences": "accueil, facturation",
    "Métiers visés (ROME)": "M1203",
    "Niveau": "Employé qualifié",
    "Heures min": "10",
    "Heures max": "24",
    "Jours": "lundi-vendredi",
    "Contrats": "CDI à temps partagé, CDD",
    "Disponible à partir du": "04/01/2027",
    "Source": "",
}


def _row(**changes) -> dict:
    return {**GOOD, **changes}


def _csv(rows: list[dict], headers=None) -> bytes:
    headers = headers or list(GOOD)
    return to_csv(headers, [[row.get(h, "") for h in headers] for row in rows])


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _upload(client, data: bytes, filename="cv.csv", source="forum"):
    return client.post(
        "/animateur/cvtheque/import",
        data={"fichier": (io.BytesIO(data), filename), "source": source},
        content_type="multipart/form-data",
    )


def _preview(client, data: bytes, filename="cv.csv", source="forum") -> str:
    response = _upload(client, data, filename, source)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _confirm(client, location: str) -> str:
    response = client.post(location + "/confirmer")
    assert response.status_code == 302
    return client.get(location).get_data(as_text=True)


def _figures(html: str) -> dict[str, int]:
    return {dt: int(dd) for dt, dd in re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html)}


def test_template_columns_are_the_parser_columns(client, auth):
    auth.login("animateur")
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/animateur/cvtheque/import/modele.{fmt}")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        headers, rows = read_table(f"modele.{fmt}", response.data)
        assert headers == list(bulk_import.HEADERS) and rows == []
        assert [bulk_import.column_for(h) for h in headers] == [c.key for c in bulk_import.COLUMNS]


def test_headers_are_recognised_without_accents_or_case():
    assert bulk_import.column_for("PRENOM") == "first_name"
    assert bulk_import.column_for("e-mail") == "email"
    assert bulk_import.column_for("Courriel") == "email"
    assert bulk_import.column_for("telephone") == "phone"
    assert bulk_import.column_for("Rayon de mobilite (KM)") == "mobility_km"
    assert bulk_import.column_for("métiers visés (rome)") == "rome"
    assert bulk_import.column_for("Age") is None


def test_preview_lists_every_row_with_its_errors_and_writes_no_one(client, auth):
    auth.login("animateur")
    rows = [
        _row(),
        _row(
            **{"E-mail": "pas-une-adresse", "Heures min": "30", "Heures max": "20", "Prénom": "Bad"}
        ),
        _row(
            **{
                "E-mail": "autre@exemple.fr",
                "Commune": "Atlantis-sur-Mer",
                "Jours": "funday",
                "Prénom": "Nadia",
            }
        ),
    ]
    location = _preview(client, _csv(rows))
    html = html_of(client.get(location))
    assert _count(Candidate) == 0 and _count(OutboxMessage) == 0
    assert "Rien n&#39;est encore enregistré" in html or "Rien n'est encore enregistré" in html
    figures = _figures(html)
    assert figures["Lignes"] == 3 and figures["À importer"] == 1
    assert figures["Avec des erreurs"] == 2
    assert "E-mail : " in html and "pas-une-adresse" in html
    assert "Heures max : " in html
    assert "Commune : " in html and "Atlantis-sur-Mer" in html
    assert "Jours : " in html and "funday" in html
    # The rows wait server-side, not in the cookie.
    assert _count(CandidateImport) == 1
    assert "ines.lambert" not in (
        client.get_cookie("session").value if client.get_cookie("session") else ""
    )


def test_a_source_outside_the_list_is_an_error_of_its_row(client, auth):
    auth.login("animateur")
    rows = [
        _row(**{"Source": "salon des métiers"}),
        _row(**{"Prénom": "Hugo", "E-mail": "hugo@exemple.fr", "Source": "RESEAUX-SOCIAUX"}),
        # Both of its errors at once: the profile's and the source's.
        _row(
            **{"Prénom": "Zoé", "E-mail": "zoe@exemple.fr", "Heures max": "99", "Source": "x" * 500}
        ),
    ]
    location = _preview(client, _csv(rows))
    html = html_of(client.get(location))
    assert _figures(html)["Avec des erreurs"] == 2
    assert "Source : Source inconnue « salon des métiers » : indiquez forum, job dating" in html
    assert "Heures max : " in html and f"Source inconnue « {'x' * 40} »" in html
    _confirm(client, location)
    people = db.session.scalars(select(Candidate)).all()
    assert [(c.email, c.source) for c in people] == [("hugo@exemple.fr", "réseaux sociaux")]


def test_an_upload_s_source_outside_the_list_is_refused(client, auth):
    auth.login("animateur")
    response = _upload(client, _csv([_row()]), source="salon")
    assert response.status_code == 422
    assert "Source inconnue « salon »" in html_of(response)
    assert _count(CandidateImport) == 0


def test_missing_required_column_and_unreadable_file_are_refused(client, auth):
    auth.login("animateur")
    headers = [h for h in GOOD if h != "E-mail"]
    response = _upload(client, _csv([_row()], headers))
    assert response.status_code == 422
    assert "Colonnes obligatoires absentes" in response.get_data(as_text=True)
    assert "E-mail" in response.get_data(as_text=True)
    response = _upload(client, b"PK\x03\x04\x00\x01garbage", filename="cv.xlsx")
    assert response.status_code == 422
    assert "XLSX lisible" in response.get_data(as_text=True)
    response = _upload(client, b"\x00\x01garbage", filename="cv.xlsx")
    assert response.status_code == 422
    assert "Format non reconnu" in response.get_data(as_text=True)
    assert _count(CandidateImport) == 0


def test_the_file_s_content_not_its_name_says_csv_or_xlsx(client, auth):
    """An XLSX renamed « liste.csv » was refused « pas un texte lisible (encodage
    inconnu) », one without extension « Format non reconnu »; an ODS or an old .xls is
    refused saying how to save it."""
    auth.login("animateur")
    workbook = _xlsx([_row()])
    for name in ("liste.csv", "liste"):
        location = _preview(client, workbook, filename=name)
        assert _figures(html_of(client.get(location)))["À importer"] == 1
    location = _preview(client, _csv([_row()]), filename="liste.xlsx")
    assert _figures(html_of(client.get(location)))["À importer"] == 1
    before = _count(CandidateImport)
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    response = _upload(client, ods.getvalue(), filename="liste.ods")
    assert response.status_code == 422
    assert "classeur OpenDocument (.ods" in page_text(response)
    assert "enregistrez-le au format XLSX (Classeur Excel) ou CSV" in page_text(response)
    response = _upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "liste.xls")
    assert response.status_code == 422
    assert "ancien format (.xls)" in page_text(response)
    assert _count(CandidateImport) == before and _count(Candidate) == 0


def test_partial_import_imports_valid_rows_and_reports_invalid_ones(client, auth):
    user = auth.login("animateur")
    rows = [
        _row(),
        _row(
            **{
                "Prénom": "Hugo",
                "Nom": "Petit",
                "E-mail": "hugo.petit@exemple.fr",
                "Téléphone": "",
                "Source": "job dating",
            }
        ),
        _row(**{"Prénom": "Zoé", "E-mail": "zoe@exemple.fr", "Niveau": "expert"}),
    ]
    location = _preview(client, _csv(rows), source="permanence")
    html = _confirm(client, location)
    figures = _figures(html)
    assert figures == {
        "Lignes du fichier": 3,
        "Importées": 2,
        "Déjà dans la CVthèque": 0,
        "Non importées (erreurs)": 1,
    }
    people = {c.email: c for c in db.session.scalars(select(Candidate))}
    assert set(people) == {"ines.lambert@exemple.fr", "hugo.petit@exemple.fr"}
    ines = people["ines.lambert@exemple.fr"]
    assert ines.source == "permanence" and people["hugo.petit@exemple.fr"].source == "job dating"
    assert ines.days == ["mon", "tue", "wed", "thu", "fri"]
    assert ines.contracts == ["cdi_temps_partage", "cdd"] and ines.level == "employe_qualifie"
    assert ines.commune == "33009" and ines.skill_labels == ["accueil", "facturation"]
    # Not matched until they confirm: consent mail queued for each, address unconfirmed.
    assert all(c.email_confirmed_at is None for c in people.values())
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert sorted(m.to for m in mails) == sorted(people)
    assert {m.candidate_id for m in mails} == {c.id for c in people.values()}
    kinds = db.session.scalars(
        select(CandidateEvent.kind).where(CandidateEvent.candidate_id == ines.id)
    ).all()
    assert "imported" in kinds
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "candidate_import")).one()
    assert entry.actor_id == user.id
    assert entry.details["imported"] == 2 and entry.details["invalid"] == 1
    assert entry.details["rows"] == 3 and entry.details["source"] == "permanence"
    assert "Ligne 4" in html and "Niveau" in html

    # The invalid rows come back as a file with an "Erreurs" column, to fix and re-import.
    token = location.rsplit("/", 1)[1]
    response = client.get(f"/animateur/cvtheque/import/{token}/erreurs.csv")
    headers, back = read_table("erreurs.csv", response.data)
    assert headers == [*bulk_import.HEADERS, "Erreurs"]
    assert len(back) == 1 and back[0]["E-mail"] == "zoe@exemple.fr"
    assert "Niveau" in back[0]["Erreurs"] and "expert" in back[0]["Erreurs"]
    fixed = {**back[0], "Niveau": "Cadre"}
    location2 = _preview(client, _csv([fixed], [*bulk_import.HEADERS, "Erreurs"]))
    figures2 = _figures(_confirm(client, location2))
    assert figures2["Importées"] == 1 and figures2["Non importées (erreurs)"] == 0
    assert people["ines.lambert@exemple.fr"].phone == "0612345678"
    assert _count(Candidate) == 3


def test_reimporting_the_same_file_creates_no_duplicate(client, auth):
    auth.login("animateur")
    rows = [_row(), _row(**{"Prénom": "Hugo", "Nom": "Petit", "E-mail": "HUGO.petit@exemple.fr"})]
    data = _csv(rows)
    _confirm(client, _preview(client, data))
    assert _count(Candidate) == 2 and _count(OutboxMessage) == 2
    location = _preview(client, data)
    preview_html = client.get(location).get_data(as_text=True)
    assert _figures(preview_html)["Déjà dans la CVthèque"] == 2
    figures = _figures(_confirm(client, location))
    assert figures["Importées"] == 0 and figures["Déjà dans la CVthèque"] == 2
    assert figures["Lignes du fichier"] == 2
    assert _count(Candidate) == 2 and _count(OutboxMessage) == 2
    # Confirming twice (double click) changes nothing either.
    client.post(location + "/confirmer")
    assert _count(Candidate) == 2


def test_same_person_twice_in_one_file_is_created_once(client, auth):
    auth.login("animateur")
    rows = [_row(), _row(**{"E-mail": " Ines.Lambert@exemple.fr "})]
    location = _preview(client, _csv(rows))
    assert "même adresse que la ligne 2" in client.get(location).get_data(as_text=True)
    figures = _figures(_confirm(client, location))
    assert figures["Importées"] == 1 and figures["Déjà dans la CVthèque"] == 1
    assert _count(Candidate) == 1


def test_one_person_on_two_rows_is_flagged_by_the_preview_and_the_report(client, auth):
    """Same name and phone, another address: flagged before anything is stored, then
    handled as a row that looks like a record already there (imported, offered on the
    duplicates page), and named again in the report."""
    auth.login("animateur")
    rows = [
        _row(),
        _row(**{"Prénom": "Hugo", "Nom": "Petit", "E-mail": "hugo@exemple.fr"}),
        # Inès again: another address, her phone written another way, names swapped.
        _row(
            **{
                "Prénom": "LAMBERT",
                "Nom": "Ines",
                "E-mail": "ines.l@exemple.fr",
                "Téléphone": "+33 6 12 34 56 78",
                "Commune": "Gujan-Mestras",
            }
        ),
        # Her brother, on the family's phone: another person.
        _row(**{"Prénom": "Paul", "E-mail": "paul.lambert@exemple.fr"}),
        # Inès a third time, with a typo in her name.
        _row(**{"Nom": "Lambret", "E-mail": "ines.pro@exemple.fr"}),
    ]
    location = _preview(client, _csv(rows))
    html = html_of(client.get(location))
    assert "Lignes 2 et 4 : même personne (nom et téléphone)" in html
    assert "Lignes 2 et 6 : même personne (nom très proche et téléphone)" in html
    assert "Même personne que la ligne 4 (nom et téléphone)" in html
    assert "Même personne que la ligne 2 (nom et téléphone)" in html
    assert "Lignes 2 et 5" not in html and "Lignes 4 et 6" not in html
    assert "page des doublons" in html
    assert _count(Candidate) == 0 and _figures(html)["À importer"] == 5

    report = page_text(client.post(location + "/confirmer", follow_redirects=True))
    # Handled as a row like a record already there: imported, then offered as a pair.
    assert _count(Candidate) == 5
    assert "Doublons possibles à vérifier" in report
    refs = {c.email: c.ref for c in db.session.scalars(select(Candidate))}
    assert (
        "Lignes 2 et 4 : même personne (nom et téléphone) — fiches "
        f"{refs['ines.lambert@exemple.fr']} et {refs['ines.l@exemple.fr']}"
    ) in report
    assert "Lignes 2 et 6 : même personne (nom très proche et téléphone)" in report
    pairs = html_of(client.get("/animateur/cvtheque/doublons"))
    assert "même numéro de téléphone" in pairs
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "candidate_import")).one()
    assert entry.details["same_person"] == 2


def test_one_person_twice_with_one_address_is_still_stored_once(client, auth):
    auth.login("animateur")
    rows = [_row(), _row(**{"Prénom": "INES", "E-mail": "Ines.Lambert@exemple.fr"})]
    location = _preview(client, _csv(rows))
    html = html_of(client.get(location))
    assert "même adresse que la ligne 2" in html and "même personne (" not in html
    assert _figures(html)["Déjà dans la CVthèque"] == 1
    report = _confirm(client, location)
    assert _count(Candidate) == 1 and "Doublons possibles" not in report


def test_xlsx_with_real_dates_and_possible_duplicates_flagged(client, auth):
    from datetime import datetime

    auth.login("animateur")
    _confirm(client, _preview(client, _csv([_row()])))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(GOOD))
    # Same phone in another format and a new address: flagged, still imported.
    values = _row(**{"E-mail": "ines.l@exemple.fr", "Téléphone": "+33 6 12 34 56 78"})
    values["Disponible à partir du"] = datetime(2027, 2, 1)
    values["Rayon de mobilité (km)"] = 15
    sheet.append([values[h] for h in GOOD])
    buffer = io.BytesIO()
    workbook.save(buffer)
    location = _preview(client, buffer.getvalue(), filename="cv.xlsx")
    html = client.get(location).get_data(as_text=True)
    assert "Doublon possible" in html and "même numéro de téléphone" in html
    assert "même personne (" not in html  # one row of this file: no pair within it
    report = page_text(client.post(location + "/confirmer", follow_redirects=True))
    assert "Ligne 2 : Inès Lambert" in report
    assert "ressemble à une fiche existante (même numéro de téléphone, même nom)" in report
    second = db.session.scalars(
        select(Candidate).where(Candidate.email == "ines.l@exemple.fr")
    ).one()
    assert second.available_from.isoformat() == "2027-02-01"
    pairs = client.get("/animateur/cvtheque/doublons").get_data(as_text=True)
    assert "même numéro de téléphone" in pairs


def _xlsx(rows: list[dict], floats: tuple[int, ...] = ()) -> bytes:
    """A workbook of ``rows``; the numbers in ``floats`` stored as "612345678.0", as
    some spreadsheets write a whole number (openpyxl writes them bare)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(GOOD))
    for row in rows:
        sheet.append([row.get(h, "") for h in GOOD])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            for number in floats:
                data = data.replace(f"<v>{number}</v>".encode(), f"<v>{number}.0</v>".encode())
            target.writestr(info, data)
    return out.getvalue()


def test_a_phone_number_an_xlsx_holds_as_a_number_gets_its_zero_back(client, auth):
    auth.login("animateur")
    people = [
        ("Inès", "ines", 612345678),
        ("Hugo", "hugo", 698765432),
        ("Zoé", "zoe", 61234567),
        ("Léo", "leo", 612345678.5),
    ]
    rows = [
        _row(**{"Prénom": first, "E-mail": f"{box}@exemple.fr", "Téléphone": number})
        for first, box, number in people
    ]
    # Text is not guessed: what was typed as text is checked as typed.
    rows.append(_row(**{"Prénom": "Paul", "E-mail": "paul@exemple.fr", "Téléphone": "612345679"}))
    data = _xlsx(rows, floats=(698765432,))
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<v>698765432.0</v>" in sheet
    location = _preview(client, data, filename="cv.xlsx")
    html = html_of(client.get(location))
    assert _figures(html)["À importer"] == 2 and _figures(html)["Avec des erreurs"] == 3
    assert (
        "Téléphone : « 61234567 » n&#39;est pas un numéro de téléphone valide : le tableur" in html
    )
    assert "« 612345678,5 » est un nombre à virgule" in html
    assert "au format Texte" in html
    assert (
        "« 612345679 » n&#39;est pas un numéro de téléphone valide : il manque un chiffre" in html
    )
    _confirm(client, location)
    phones = {c.first_name: c.phone for c in db.session.scalars(select(Candidate))}
    assert phones == {"Inès": "0612345678", "Hugo": "0698765432"}
    # The rows to correct come back with the number as the file held it, and why.
    token = location.rsplit("/", 1)[1]
    response = client.get(f"/animateur/cvtheque/import/{token}/erreurs.csv")
    _, back = read_table("erreurs.csv", response.data)
    assert [(r["Prénom"], r["Téléphone"]) for r in back] == [
        ("Zoé", "61234567"),
        ("Léo", "612345678.5"),
        ("Paul", "612345679"),
    ]
    assert "au format Texte" in back[0]["Erreurs"]


def test_phone_numbers_as_a_csv_exported_by_excel_writes_them(client, auth):
    auth.login("animateur")
    rows = [
        _row(**{"Téléphone": "+33612345678"}),
        _row(**{"Prénom": "Hugo", "E-mail": "hugo@exemple.fr", "Téléphone": "6 12 34 56 79"}),
    ]
    location = _preview(client, _csv(rows))
    html = html_of(client.get(location))
    assert "S&#39;il manque le 0 du début, écrivez 06 12 34 56 79." in html
    _confirm(client, location)
    assert [c.phone for c in db.session.scalars(select(Candidate))] == ["0612345678"]


def test_unknown_import_token_is_404(client, auth):
    auth.login("animateur")
    assert client.get("/animateur/cvtheque/import/inconnu").status_code == 404
    assert client.post("/animateur/cvtheque/import/inconnu/confirmer").status_code == 404


def test_an_import_s_report_is_forgotten_by_the_retention_job(client, auth):
    """A report's rows hold every line's name, address and phone (erased people's too):
    kept 30 days for its errors to be downloaded, then gone; previews after 2 days."""
    from datetime import timedelta

    from connectences.cvtheque.retention import apply_retention
    from connectences.models.base import utcnow

    auth.login("animateur")
    done = _preview(client, _csv([_row()]))
    _confirm(client, done)
    _preview(client, _csv([_row(**{"E-mail": "autre@exemple.fr"})]))  # never confirmed
    assert _count(CandidateImport) == 2
    now = utcnow()
    assert apply_retention(db.session, now + timedelta(days=3))["imports_forgotten"] == 1
    assert client.get(done).status_code == 200  # the report, still there
    assert apply_retention(db.session, now + timedelta(days=31))["imports_forgotten"] == 1
    db.session.commit()
    assert _count(CandidateImport) == 0
    assert client.get(done).status_code == 404
