"""Sending an export as a file download (CSV or XLSX), the same way on every page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from flask import Response, abort

from connectences.tabular import to_csv, to_xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_table(
    fmt: str, basename: str, headers: Sequence[str], rows: Iterable[Sequence], title: str = ""
) -> Response:
    """A download response of ``rows`` as ``fmt`` ("csv" or "xlsx"); 404 for other formats.

    The file name carries the date so that successive exports do not overwrite each other.
    """
    stamp = datetime.now().strftime("%Y-%m-%d")
    if fmt == "csv":
        body, mimetype = to_csv(headers, rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = to_xlsx(headers, rows, title or basename), XLSX_TYPE
    else:
        abort(404)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
