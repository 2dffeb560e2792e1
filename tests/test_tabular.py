"""CSV/XLSX exports neutralise formulas; uploads are read into rows or refused in French."""

import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from connectences.tabular import (
    NumberCell,
    TableError,
    _xlsx_cell,
    neutralise,
    read_table,
    to_csv,
    to_xlsx,
    to_xlsx_sheets,
)

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


@pytest.mark.parametrize("text", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_escaped(text):
    assert neutralise(text) == "'" + text


def test_plain_values_are_kept():
    assert neutralise("Dupont") == "Dupont"
    assert neutralise(12) == 12
    assert neutralise(None) == ""
    assert neutralise(True) == "oui"


def test_csv_export_escapes_and_opens_in_french_excel():
    body = to_csv(["Nom", "Note"], [['=HYPERLINK("x")', "ok"], ["Léa", 2.5]])
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "Nom;Note"
    assert "'=HYPERLINK" in text
    assert "Léa;2,5" in text


def test_csv_export_writes_every_digit_of_a_large_number():
    """A CSV writes the number the page and the workbook show: six significant digits
    (``:g``) wrote the observatory's 150 000,5 hours a week as « 150000 » and 1 234 567
    as « 1,23457e+06 »."""
    body = to_csv(["Chiffre", "Valeur"], [["a", 150000.5], ["b", 1234567.0], ["c", 0.25]])
    rows = body.decode("utf-8-sig").splitlines()[1:]
    assert rows == ["a;150000,5", "b;1234567", "c;0,25"]


def test_xlsx_export_stores_text_not_formulas():
    body = to_xlsx(["Nom", "Début"], [["=cmd|' /C calc'!A0", date(2026, 1, 5)]], "Essai")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.title == "Essai"
    assert sheet["A2"].value == "'=cmd|' /C calc'!A0"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value.date() == date(2026, 1, 5)


def test_read_excel_unicode_text_utf16_tab_separated():
    # Excel's "Texte Unicode" export: read as cp1252 it gave NUL-riddled headers and
    # "Colonnes obligatoires absentes".
    data = "Prénom\tNom\r\nLéa\tMartin\r\nJean\tDurand\r\n".encode("utf-16")
    headers, rows = read_table("personnes.txt", data)
    assert headers == ["Prénom", "Nom"]
    assert rows == [{"Prénom": "Léa", "Nom": "Martin"}, {"Prénom": "Jean", "Nom": "Durand"}]


def test_read_csv_with_semicolons_and_cp1252():
    data = "Prénom;Nom\r\nLéa;Martin\r\n;\r\nJean;Durand\r\n".encode("cp1252")
    headers, rows = read_table("cv.csv", data)
    assert headers == ["Prénom", "Nom"]
    assert rows == [{"Prénom": "Léa", "Nom": "Martin"}, {"Prénom": "Jean", "Nom": "Durand"}]


def test_read_csv_with_commas_and_short_rows():
    headers, rows = read_table("x.CSV", b"a,b,c\n1,2\n")
    assert rows == [{"a": "1", "b": "2", "c": ""}]


def test_read_xlsx():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nom", "Heures", "Date"])
    sheet.append(["Martin", 12, date(2027, 3, 1)])
    sheet.append([None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    headers, rows = read_table("cv.xlsx", buffer.getvalue())
    assert headers == ["Nom", "Heures", "Date"]
    assert rows == [{"Nom": "Martin", "Heures": "12", "Date": "01/03/2027"}]


def test_read_xlsx_keeps_numbers_apart_when_asked():
    """A phone number typed in a number cell lost its leading 0: the column that knows
    it may want the number, not its text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Téléphone", "Texte", "Case", "Heures"])
    sheet.append([612345678, "612345678", True, 12.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _, rows = read_table("cv.xlsx", buffer.getvalue(), keep_numbers=True)
    assert rows == [
        {
            "Téléphone": NumberCell(612345678, "612345678"),
            "Texte": "612345678",
            "Case": "True",
            "Heures": NumberCell(12.5, "12.5"),
        }
    ]
    # Without it, the same text as ever; a CSV holds text only.
    _, rows = read_table("cv.xlsx", buffer.getvalue())
    assert rows[0]["Téléphone"] == "612345678" and rows[0]["Heures"] == "12.5"
    _, rows = read_table("cv.csv", b"Tel\r\n612345678\r\n", keep_numbers=True)
    assert rows == [{"Tel": "612345678"}]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cv.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "Format non reconnu"),
        ("cv.xlsx", b"PK\x03\x04 a damaged zip", "XLSX"),
        ("cv.csv", b"", "vide"),
        ("cv.csv", b"\n\n", "vide"),
    ],
)
def test_unreadable_uploads_are_refused_in_french(name, data, message):
    with pytest.raises(TableError, match=message):
        read_table(name, data)


def test_xlsx_export_drops_the_control_characters_xlsx_cannot_hold():
    # openpyxl refuses them (IllegalCharacterError): one in a stored record made every
    # export holding it fail. Tab, newline and carriage return are kept.
    body = to_xlsx_sheets(
        [
            (
                "Besoins\x1b",
                ["Intitulé\x0b"],
                [["Cais\x08sier\x1f\tjour\nnuit\x00"], ["\x08=1+1"], ["\x0c-2"]],
            )
        ]
    )
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.title == "Besoins"
    assert sheet["A1"].value == "Intitulé"
    assert sheet["A2"].value == "Caissier\tjour\nnuit"
    # What the removal uncovers is still kept from being a formula.
    assert (sheet["A3"].value, sheet["A3"].data_type) == ("'=1+1", "s")
    assert sheet["A4"].value == "'-2"


class _Text(str):
    """Text of a subclass (markup, an enum's value): not the plain text's quick way."""


@pytest.mark.parametrize(
    "value",
    [
        "Dupont",
        "",
        " ",
        "=1+1",
        "-2",
        "\x08=1+1",
        "Cais\x08sier\x1f\tjour\nnuit\x00",
        "\tTab",
        "\rretour",
        "Arcachon\xa0(33120)",
        "Jean\u2028Marie",
        "\x7fsuppr",
        "@mention",
        _Text("=SOMME(A1)"),
        _Text("ok\x01"),
        None,
        True,
        3,
        2.5,
        date(2026, 12, 7),
    ],
)
def test_a_cell_is_what_removal_then_neutralising_made(value):
    # The text of a cell takes a quicker way (two million cells in a region's CV
    # export): the same value as removing XLSX's refused characters, then neutralising.
    expected = ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
    expected = neutralise(expected)
    assert _xlsx_cell(value) == expected
    assert type(_xlsx_cell(value)) is type(expected)


def test_the_separator_is_read_from_the_header_not_from_a_long_first_row():
    # Found by an audit: the import template's header, then a row of 3,000
    # comma-separated skills: the guess made on the first 4 KB took the comma, and every
    # column was "missing".
    from connectences.cvtheque.bulk_import import HEADERS

    skills = ", ".join(f"compétence{n}" for n in range(3000))
    row = {header: "x" for header in HEADERS} | {"Compétences": skills, "Jours": "lundi, mardi"}
    lines = [";".join(HEADERS), ";".join(row[h] for h in HEADERS)]
    headers, rows = read_table("cv.csv", "\r\n".join(lines).encode())
    assert headers == list(HEADERS)
    assert rows[0]["Compétences"] == skills and rows[0]["Jours"] == "lundi, mardi"


def test_sheet_names_are_shortened_on_whole_words():
    # Excel takes 31 characters: the names were cut inside a word, with a trailing space
    # ("Entreprises touchées parmi les ", "Besoins par domaine professionn"), and a colon
    # left three spaces ("Réorientés   vers qui").
    body = to_xlsx_sheets(
        [
            ("Entreprises touchées parmi les TPE du territoire", ["A"], []),
            ("Besoins par domaine professionnel", ["A"], []),
            ("Réorientés : vers qui", ["A"], []),
            ("Les placements tiennent-ils ?", ["A"], []),
            ("Besoins par domaine professionnel", ["A"], []),
            ("Anticonstitutionnellementissimeetplusencore", ["A"], []),
            ("'?'", ["A"], []),
        ]
    )
    names = load_workbook(io.BytesIO(body)).sheetnames
    assert names == [
        "Entreprises touchées parmi les…",
        "Besoins par domaine…",
        "Réorientés vers qui",
        "Les placements tiennent-ils",
        "Besoins par domaine… (2)",
        "Anticonstitutionnellementissim…",
        "Export",
    ]
    assert all(len(name) <= 31 for name in names)


def _with_results(workbook: Workbook, results: dict[str, str | None]) -> bytes:
    """``workbook`` saved as a spreadsheet program saves it: each formula's cell (by
    reference) with the result last computed (``<v>``), which openpyxl never writes
    (None: no ``<v>`` at all)."""
    import re
    import zipfile

    buffer = io.BytesIO()
    workbook.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for ref, value in results.items():
                    cell = r"\1>\2" if value is None else rf'\1 t="str">\2<v>{value}</v>'
                    text = re.sub(
                        rf'(<c r="{ref}"[^>]*?)(?: t="\w+")?>(<f>.*?</f>)(<v\s*/>|<v></v>)?',
                        cell,
                        text,
                    )
                body = text.encode()
            target.writestr(info, body)
    return out.getvalue()


def _sheet_with_formulas() -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Candidats"
    sheet.append(["Prénom", "Nom", "Nom complet"])
    sheet.append(["Léa", "Martin", '=A2&" "&B2'])
    sheet.append(["Paul", "Durand", '=IF(B3="","",A3&" "&B3)'])
    return workbook


def test_read_xlsx_reads_the_result_a_formula_last_computed():
    data = _with_results(_sheet_with_formulas(), {"C2": "Léa Martin", "C3": "Paul Durand"})
    _, rows = read_table("cv.xlsx", data)
    assert [row["Nom complet"] for row in rows] == ["Léa Martin", "Paul Durand"]


def test_read_xlsx_keeps_a_formula_whose_result_is_empty_text():
    """=SI(B3="";"";…) computed to nothing: an empty cell, not a missing result."""
    data = _with_results(_sheet_with_formulas(), {"C2": "Léa Martin", "C3": ""})
    _, rows = read_table("cv.xlsx", data)
    assert [row["Nom complet"] for row in rows] == ["Léa Martin", ""]


def test_read_xlsx_refuses_a_formula_without_its_result_naming_where():
    """A library that writes formulas without computing them (openpyxl itself): the
    cell would read as empty; the file is refused, saying which sheet, row, column."""
    data = _with_results(_sheet_with_formulas(), {"C2": "Léa Martin"})
    with pytest.raises(TableError) as refusal:
        read_table("cv.xlsx", data)
    message = str(refusal.value)
    assert "Feuille « Candidats », ligne 3, colonne C" in message
    assert "formule" in message and "Rien n'a été importé" in message
    buffer = io.BytesIO()
    _sheet_with_formulas().save(buffer)
    with pytest.raises(TableError, match="ligne 2, colonne C"):
        read_table("cv.xlsx", buffer.getvalue())
    # Without any <v> at all (other libraries), the same refusal.
    data = _with_results(_sheet_with_formulas(), {"C2": "Léa Martin", "C3": None})
    with pytest.raises(TableError, match="ligne 3, colonne C"):
        read_table("cv.xlsx", data)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _workbook_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Prénom", "Nom"])
    workbook.active.append(["Léa", "Martin"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["liste.csv", "liste", "liste.txt", "", "LISTE.XLS"])
def test_an_xlsx_is_read_whatever_its_name(name):
    """The format was chosen by the name: an XLSX renamed « liste.csv » was refused as
    « pas un texte lisible (encodage inconnu) », one without extension as « Format non
    reconnu »."""
    headers, rows = read_table(name, _workbook_bytes())
    assert headers == ["Prénom", "Nom"] and rows == [{"Prénom": "Léa", "Nom": "Martin"}]


@pytest.mark.parametrize("name", ["liste.xlsx", "liste", "liste.dat"])
def test_a_csv_is_read_whatever_its_name(name):
    headers, rows = read_table(name, "Prénom;Nom\r\nLéa;Martin\r\n".encode("cp1252"))
    assert headers == ["Prénom", "Nom"] and rows == [{"Prénom": "Léa", "Nom": "Martin"}]


def test_an_ods_sheet_is_refused_saying_to_save_it_as_xlsx_or_csv():
    ods = _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b"<office:document-content/>",
        }
    )
    for name in ("liste.ods", "liste.csv", "liste.xlsx"):
        with pytest.raises(TableError) as refusal:
            read_table(name, ods)
        message = str(refusal.value)
        assert "OpenDocument (.ods" in message and "XLSX" in message and "CSV" in message


def test_a_legacy_xls_workbook_is_refused_saying_to_save_it_as_xlsx():
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    for name in ("liste.xls", "liste.csv", "liste"):
        with pytest.raises(TableError, match=r"ancien format \(\.xls\).*XLSX"):
            read_table(name, xls)


@pytest.mark.parametrize(
    "data",
    [
        _zip({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<Types/>"}),
        _zip({"mimetype": b"application/vnd.oasis.opendocument.text"}),
        b"\x89PNG\r\n\x1a\n\x00\x00",
    ],
    ids=["docx", "odt", "png"],
)
def test_other_files_are_refused_as_not_a_table(data):
    with pytest.raises(TableError, match="Format non reconnu"):
        read_table("liste.csv", data)


def test_a_web_page_named_xls_is_refused_saying_to_save_it_as_xlsx():
    page = b"\xef\xbb\xbf\r\n<html><table><tr><td>Nom</td></tr></table></html>"
    with pytest.raises(TableError, match="page web.*XLSX"):
        read_table("export.xls", page)
