"""The observatory's figures as spreadsheets: a workbook with a sheet per table, or one
table as CSV. They write what the reader sees on the page (``present.present``): an
officer's export holds "secret" where the page does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta

from connectences.clock import LOCAL_TZ
from connectences.observatory.present import Shown
from connectences.observatory.tables import PROTECTION_NOTE, Table
from connectences.tabular import to_csv, to_xlsx_sheets

EXACT_NOTE = "exacts (animateurs et administrateurs)"


def table_columns(table: Table) -> list[str]:
    """The column headers of ``table`` as an export writes them: a figure's unit, which the
    page prints beside each value ("12,5 j", "40 %"), is said once in its header, since the
    cells hold bare numbers ("Délai médian depuis la réception (jours)")."""
    headers = [table.columns[0]]
    for column, header in enumerate(table.columns[1:]):
        unit = table.unit(column)
        named = unit is None or unit.rstrip("s") in header.lower() or unit in header
        headers.append(header if named else f"{header} ({unit})")
    return headers


def table_rows(table: Table) -> Iterator[list]:
    """The rows of ``table`` as an export writes them: label then values, the total last."""
    for row in table.all_rows:
        yield [row.label, *(cell.shown for cell in row.cells)]


def table_csv(table: Table) -> bytes:
    """One table as CSV (French Excel: semicolons, BOM)."""
    return to_csv(table_columns(table), table_rows(table))


def tables_workbook(first: str, about: list[list], tables: list[Table], *, exact: bool) -> bytes:
    """An XLSX workbook: a first sheet ``first`` saying what the figures are (``about``,
    then whether they are exact or protected), then a sheet per table with its
    explanation under it."""
    about = [*about, ["Chiffres", EXACT_NOTE if exact else PROTECTION_NOTE]]
    sheets = [(first, ["Rubrique", "Contenu"], about)]
    for table in tables:
        rows = [*table_rows(table), [], ["Comment ce chiffre est calculé", table.explanation]]
        sheets.append((table.title, table_columns(table), rows))
    return to_xlsx_sheets(sheets)


def workbook(shown: Shown) -> bytes:
    """Every table of the view as an XLSX workbook: a first sheet saying what the figures
    are, then a sheet per table with its explanation under it."""
    seen = shown.seen
    since = seen.since.astimezone(LOCAL_TZ).strftime("le %d/%m/%Y") if seen.since else "le début"
    until = seen.until.astimezone(LOCAL_TZ)
    if until.time() == time():
        # Figures at a past day end at the midnight after it (``figures.end_of_day``):
        # "jusqu'au 01/04/2026 00:00" was read as the 1 April included.
        until_text = f"{(until - timedelta(days=1)).strftime('%d/%m/%Y')} inclus"
    else:
        until_text = until.strftime("%d/%m/%Y %H:%M")
    about = [
        ["Intercommunalité", seen.name],
        ["Besoins reçus", f"depuis {since}, jusqu'au {until_text}"],
    ]
    return tables_workbook("Observatoire", about, shown.tables, exact=shown.exact)
