"""Spreadsheets in and out: CSV and XLSX exports that cannot run formulas, and reading
CSV or XLSX uploads (told apart by their content) into rows of text.

One place for both directions so that every export of the platform (CV library, visits,
needs) escapes the same way and every import reads French spreadsheets the same way.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from connectences.errors import DomainError
from connectences.text import NUL, NUL_REFUSED, without_controls

# A cell starting with one of these is read as a formula by Excel or LibreOffice
# (OWASP "CSV injection"): tab and carriage return too, since some tools strip them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

MAX_ROWS = 20_000
# An XLSX is a zip: a few kilobytes may unpack to gigabytes, or claim a sheet of
# 16,384 columns that openpyxl fills with empty cells on every row. Bounds on both.
MAX_COLUMNS = 200
MAX_XLSX_UNPACKED = 100 * 1024 * 1024


class TableError(DomainError):
    """An upload that cannot be read as a table; the message is in French."""


def neutralise(value) -> object:
    """The value made safe for a spreadsheet cell: text that would start a formula is
    prefixed with an apostrophe; numbers and dates are kept as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float, date, datetime)):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _cell_text(value) -> str:
    value = neutralise(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        # Every digit, never an exponent: ``:g`` kept six significant digits (150 000,5
        # hours read « 150000 », 1 234 567 « 1,23457e+06 »).
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f").replace(".", ",")
    return str(value)


# Rows written into one piece of a streamed CSV: a few dozen kilobytes each.
CSV_CHUNK_ROWS = 500


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """``to_csv`` in pieces of ``CSV_CHUNK_ROWS`` rows, for a response sent as it is
    written: only one piece is ever held, whatever the number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([_cell_text(h) for h in headers])
    for n, row in enumerate(rows, 1):
        writer.writerow([_cell_text(value) for value in row])
        if n % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 CSV with a byte-order mark and semicolons, as French Excel opens it."""
    return b"".join(csv_chunks(headers, rows))


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], title: str = "Export") -> bytes:
    """An XLSX workbook with one sheet; every text cell is stored as text, never a formula."""
    return to_xlsx_sheets([(title, headers, rows)])


def write_xlsx(
    target: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence], title: str = "Export"
) -> None:
    """``to_xlsx`` written into ``target`` (a file open for writing): openpyxl's
    write-only sheets keep no row in memory, so a file of any size costs the same."""
    write_xlsx_sheets(target, [(title, headers, rows)])


# Characters Excel refuses in a sheet's name.
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
# The longest sheet name Excel accepts.
SHEET_NAME_MAX = 31


def _fit_sheet_name(name: str, limit: int = SHEET_NAME_MAX) -> str:
    """``name`` within ``limit`` characters: whole words and an ellipsis, as a reader
    expects a shortened title ("Entreprises touchées parmi…", not "…parmi les ");
    a single word too long is cut inside. Never starting or ending with an apostrophe
    or a space, which Excel refuses or hides."""
    name = name.strip(" '") or "Export"
    if len(name) <= limit:
        return name
    cut = name[: limit - 1]
    if " " in cut and name[limit - 1] != " ":
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;.-–'") + "…"


def _xlsx_cell(value) -> object:
    """The value as an XLSX cell holds it: text without the control characters the
    format cannot store (openpyxl refuses them: one stored in a record made every export
    holding it fail), then neutralised (after, so that what the removal uncovers cannot
    start a formula); an aware datetime in its own wall time, as Excel has no zones."""
    if type(value) is str:
        # Most cells of an export: text. Printable text holds none of those characters
        # (a region's CV export writes two million cells: no search, no second dispatch).
        if not value.isprintable():
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    value = neutralise(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return value


def to_xlsx_sheets(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """An XLSX workbook with a sheet per (title, headers, rows), in order; titles are
    shortened to Excel's 31 characters (``_fit_sheet_name``) and made unique. Text is stored as text, never a formula,
    and without the control characters XLSX cannot hold."""
    buffer = io.BytesIO()
    write_xlsx_sheets(buffer, sheets)
    return buffer.getvalue()


def write_xlsx_sheets(
    target: IO[bytes], sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]
) -> None:
    """``to_xlsx_sheets`` written into ``target`` (a file open for writing)."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, headers, rows in sheets:
        title = ILLEGAL_CHARACTERS_RE.sub("", str(title))
        # "Réorientés : vers qui" reads "Réorientés vers qui", not with three spaces.
        base = " ".join(title.translate(_SHEET_FORBIDDEN).split())
        name, n = _fit_sheet_name(base), 2
        while name.lower() in used:
            suffix = f" ({n})"
            name, n = _fit_sheet_name(base, SHEET_NAME_MAX - len(suffix)) + suffix, n + 1
        used.add(name.lower())
        sheet = workbook.create_sheet(title=name)
        sheet.append([str(_xlsx_cell(h)) for h in headers])
        for row in rows:
            sheet.append([_xlsx_cell(value) for value in row])
    workbook.save(target)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Texte Unicode (*.txt)": UTF-16 with its byte-order mark, tab-separated.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise TableError("Le fichier n'est pas un texte lisible (UTF-16 abîmé).") from error
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("Le fichier n'est pas un texte lisible (encodage inconnu).")


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=_delimiter(text))]


def _delimiter(text: str) -> str:
    """The separator of the columns, read from the header line: the column names hold
    none of them, where a row's cell may hold many (skills separated by commas) and
    fooled a guess made on the first kilobytes. Semicolon first (French spreadsheets),
    then tab (Excel's Unicode text), then comma."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda sep: counts[sep])  # first of equals: ";" then tab
    return best if counts[best] else ";"


@dataclass(frozen=True)
class NumberCell:
    """A cell an XLSX sheet holds as a number, as ``read_table(keep_numbers=True)``
    gives it: ``text`` is what ``read_table`` gives otherwise, ``value`` the number,
    for a column where the spreadsheet's reading loses something (a phone number's
    leading 0)."""

    value: int | float
    text: str


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unpacked_size(data: bytes) -> int:
    # The sizes a zip announces are upper bounds: zipfile stops reading a member at
    # its announced size (and a member that lied then fails its checksum).
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise TableError("Le fichier n'est pas un classeur XLSX lisible.") from error


def _xlsx_value(value, keep_numbers: bool) -> str | NumberCell:
    text = _xlsx_text(value)
    if keep_numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        return NumberCell(value, text)
    return text


# A formula in a sheet's XML (``<f>``, with or without a namespace prefix): only then is
# the sheet read a second time for formulas that hold no result.
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_ROW, _CELL, _FORMULA, _VALUE = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("row", "c", "f", "v"))


def _holds_result(cell) -> bool:
    """True when a formula's cell holds a computed value: a ``<v>`` with something in
    it, or an empty one typed as text (``t="str"``: a formula whose result is "")."""
    value = cell.find(_VALUE)
    if value is None:
        return False
    return bool(value.text) or cell.get("t") == "str"


def _formula_without_result(source) -> tuple[int, int] | None:
    """(row, column) of the first cell of a sheet's XML (``source``: a file) holding a
    formula and no computed value (libraries that write formulas without computing them
    leave ``<v>`` out or empty: a spreadsheet program computes and stores it when
    saving); None when there is none."""
    row = column = 0
    for event, element in iterparse(source, events=("start", "end")):
        if element.tag == _ROW:
            if event == "start":
                row, column = int(element.get("r") or row + 1), 0
            else:
                element.clear()  # a sheet of 20,000 rows is not kept whole in memory
            continue
        if event != "end" or element.tag != _CELL:
            continue
        reference = element.get("r")
        if reference:
            row, column = coordinate_to_tuple(reference)
        else:
            column += 1
        if column > MAX_COLUMNS:
            continue  # not read (``_read_xlsx``'s bound)
        if element.find(_FORMULA) is not None and not _holds_result(element):
            return row, column
    return None


def _refuse_formulas_without_result(data: bytes, sheet) -> None:
    """Raise :class:`TableError` naming the sheet, row and column of a formula whose
    result the file ``data`` does not hold: read as data, it would be an empty cell."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        path = sheet._worksheet_path  # openpyxl's read-only sheet: its part in the zip
        with archive.open(path) as source:
            if not any(_FORMULA_TAG.search(chunk) for chunk in _overlapping_chunks(source)):
                return
        with archive.open(path) as source:
            try:
                found = _formula_without_result(source)
            except Exception as error:  # a damaged sheet (XML, zip member)
                raise TableError("Le fichier n'est pas un classeur XLSX lisible.") from error
    if found is not None:
        row, column = found
        raise TableError(
            f"Feuille « {sheet.title} », ligne {row}, colonne {get_column_letter(column)} : "
            "la cellule contient une formule dont le fichier n'a pas enregistré le résultat "
            "(classeur créé par un programme qui ne calcule pas les formules). Ouvrez-le "
            "dans votre tableur (Excel, LibreOffice), enregistrez-le, puis envoyez-le de "
            "nouveau ; ou remplacez la formule par sa valeur. Rien n'a été importé."
        )


def _overlapping_chunks(source, size: int = 1 << 20):
    """The bytes of ``source`` in chunks that overlap by a few bytes, so that a tag cut
    between two reads is still found whole in one of them."""
    tail = b""
    while chunk := source.read(size):
        yield tail + chunk
        tail = chunk[-16:]


def _read_xlsx(data: bytes, keep_numbers: bool = False) -> list[list[str | NumberCell]]:
    if _unpacked_size(data) > MAX_XLSX_UNPACKED:
        raise TableError(
            "Ce classeur est trop volumineux une fois décompressé : enregistrez-le en CSV "
            "ou découpez-le."
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as error:
        raise TableError("Le fichier n'est pas un classeur XLSX lisible.") from error
    except Exception as error:  # zipfile.BadZipFile and friends from a damaged file
        raise TableError("Le fichier n'est pas un classeur XLSX lisible.") from error
    try:
        sheet = workbook.worksheets[0]
        _refuse_formulas_without_result(data, sheet)
        rows = []
        width = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)
        for row in sheet.iter_rows(max_col=width, values_only=True):
            rows.append([_xlsx_value(value, keep_numbers) for value in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


XLSX, CSV = "xlsx", "csv"
_ZIP_MAGIC = b"PK\x03\x04"
# OLE2 compound file: Excel 97-2003 (.xls), and also an XLSX saved with a password
# (Office encrypts the workbook inside such a container).
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Files people send by mistake, recognised by their first bytes.
_OTHER_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b")
SAVE_AS = "Ouvrez-le dans votre tableur et enregistrez-le au format XLSX (Classeur Excel) ou CSV"
NOT_A_TABLE = "Format non reconnu : envoyez un tableau enregistré au format XLSX ou CSV."


def table_format(data: bytes) -> str:
    """``"xlsx"`` or ``"csv"``: what an upload holds, read from its content. An XLSX is
    a zip holding ``xl/workbook.xml``; anything that is not a zip or another known
    binary is text, read as CSV. Raises :class:`TableError` in French for what cannot
    be read: an OpenDocument sheet (.ods), a legacy or password-protected Excel
    workbook, a web page saved as « .xls », another zip (a Word document…), a PDF, an
    image."""
    if data.startswith(_OLE2_MAGIC):
        raise TableError(
            "Ce fichier est un classeur Excel ancien format (.xls) ou protégé par un mot "
            f"de passe : ce format n'est pas lu. {SAVE_AS}, sans mot de passe."
        )
    if data.startswith(_ZIP_MAGIC):
        return _zip_format(data)
    # Text has no NUL before its first line ends (UTF-16 has a byte-order mark); almost
    # every binary format has one in its first bytes.
    first_line = data[:512].split(b"\n", 1)[0]
    if data.startswith(_OTHER_MAGIC) or (
        b"\x00" in first_line and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    ):
        raise TableError(NOT_A_TABLE)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        # HTML tables or "XML Spreadsheet 2003" that some software names « .xls ».
        raise TableError(
            f"Ce fichier est une page web ou un tableau XML, pas un classeur. {SAVE_AS}."
        )
    return CSV


def _zip_format(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return XLSX
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(len(_ODS_MIMETYPE) + 16).strip()
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as error:
        raise TableError("Le fichier n'est pas un classeur XLSX lisible.") from error
    if mimetype.startswith(_ODS_MIMETYPE):
        raise TableError(
            "Ce fichier est un classeur OpenDocument (.ods, LibreOffice) : ce format n'est "
            f"pas lu. {SAVE_AS}."
        )
    raise TableError(NOT_A_TABLE)


def read_table(
    filename: str, data: bytes, *, keep_numbers: bool = False
) -> tuple[list[str], list[dict]]:
    """Headers and rows (header -> stripped text) of an uploaded CSV or XLSX file, told
    apart by their content (:func:`table_format`), never by ``filename``: people rename
    files, and a name says nothing of what was saved.

    Blank rows are dropped; row order is kept. Control characters are removed as from
    any text coming in (``connectences.text``). Raises :class:`TableError` with a French
    message when the file cannot be read, has no header or too many rows, or holds a NUL
    character (the whole file is refused: it is damaged or not the table it claims).

    With ``keep_numbers``, a cell an XLSX sheet holds as a number comes as a
    :class:`NumberCell` instead of its text (a CSV holds only text).
    """
    if table_format(data) == "xlsx":
        raw = _read_xlsx(data, keep_numbers)
    else:
        raw = _read_csv(data)
    for number, row in enumerate(raw, start=1):
        if any(isinstance(cell, str) and NUL in cell for cell in row):
            raise TableError(f"Ligne {number} : le texte {NUL_REFUSED}. Rien n'a été importé.")
    raw = [[_clean_cell(cell) for cell in row] for row in raw]
    raw = [row for row in raw if any(_text_of(cell) for cell in row)]
    if not raw:
        raise TableError("Le fichier est vide.")
    headers = [_text_of(cell) for cell in raw[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise TableError("La première ligne doit contenir les noms des colonnes.")
    body = raw[1:]
    if len(body) > MAX_ROWS:
        raise TableError(f"Le fichier dépasse {MAX_ROWS} lignes : découpez-le.")
    rows = []
    for row in body:
        cells = [_stripped(cell) for cell in row] + [""] * max(0, len(headers) - len(row))
        rows.append({header: cells[i] for i, header in enumerate(headers) if header})
    return headers, rows


def _clean_cell(cell: str | NumberCell) -> str | NumberCell:
    return without_controls(cell) if isinstance(cell, str) else cell


def _text_of(cell: str | NumberCell) -> str:
    return (cell if isinstance(cell, str) else cell.text).strip()


def _stripped(cell: str | NumberCell) -> str | NumberCell:
    return cell.strip() if isinstance(cell, str) else cell
