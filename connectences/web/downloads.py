"""Sending an export as a file download (CSV or XLSX), the same way on every page."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import IO

from flask import Response, abort, flash, redirect, request, stream_with_context, url_for

from connectences import accounts
from connectences.clock import local_today
from connectences.cvtheque import files
from connectences.extensions import db
from connectences.models import AuditLog
from connectences.tabular import csv_chunks, write_xlsx
from connectences.web.errors import render_error

log = logging.getLogger("connectences.cvtheque")

# What a reader of a person's record is told when their CV file cannot be sent.
CV_WITHHELD = (
    "Fichier retenu : contenu actif. Ce CV contient un script, un programme lancé à "
    "l'ouverture ou une pièce jointe : il n'est pas téléchargeable, par sécurité. La fiche "
    "reste consultable ; demandez à la personne de déposer de nouveau son CV en PDF."
)
CV_UNREADABLE = (
    "Fichier retenu : fichier illisible. Ce CV ne peut plus être lu comme un PDF, ni donc "
    "vérifié (script, programme lancé à l'ouverture, pièce jointe) : il n'est pas "
    "téléchargeable, par sécurité. La fiche reste consultable ; demandez à la personne de "
    "déposer de nouveau son CV en PDF."
)
CV_MISSING = (
    "Le fichier de ce CV est introuvable sur le serveur. La fiche reste consultable ; "
    "demandez à la personne de déposer de nouveau son CV, ou signalez-le à "
    "l'administrateur de la plateforme."
)
# What a file sent from disk is read by.
FILE_PIECE = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def refuse_export(endpoint: str) -> Response:
    """The answer to an export of a list whose filters have a refused value: the list
    leaves that value out and says so, but an export without it would hold rows nobody
    asked for. Back to the list (``endpoint``) with the same filters, which names them."""
    flash("Export non fait : corrigez d'abord les filtres de la liste.", "error")
    return redirect(url_for(endpoint, **request.args.to_dict(flat=False)))


def send_table(
    fmt: str, basename: str, headers: Sequence[str], rows: Iterable[Sequence], title: str = ""
) -> Response:
    """A download response of ``rows`` as ``fmt`` ("csv" or "xlsx"); 404 for other formats.

    Neither is held in memory whole: a CSV is sent as its rows are read (``rows`` is
    walked while the response is sent, in the request's context), an XLSX is written
    into a temporary file, then sent from it. The file name carries the date so that
    successive exports do not overwrite each other.
    """
    if fmt == "csv":
        return _dated(Response(stream_with_context(csv_chunks(headers, rows))), fmt, basename)
    if fmt == "xlsx":
        return _send_file(_xlsx_file(headers, rows, title or basename), basename)
    abort(404)


class _Counted:
    """``rows`` walked once, counting those given out (``sent``)."""

    def __init__(self, rows: Iterable[Sequence]):
        self.rows = rows
        self.sent = 0

    def __iter__(self) -> Iterator[Sequence]:
        for row in self.rows:
            self.sent += 1
            yield row


def send_audited_table(
    fmt: str,
    basename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    title: str,
    total: Callable[[], int],
    record: Callable[[int], AuditLog],
) -> Response:
    """``send_table`` of an export the audit log records: ``record(n)`` adds its entry
    for ``n`` rows (committed here), before a byte of the file is sent.

    An XLSX is written first: its entry holds the rows written, and an export that
    fails while written is not recorded (nothing was sent). A CSV is recorded with
    ``total()`` rows (a count of what ``rows`` will read) and then sent as it is read;
    when what was sent differs (rows deleted meanwhile), or the sending stops midway
    (an error, the reader gone), the entry is corrected to the rows sent, with
    ``interrupted`` when it stopped.
    """
    if fmt == "xlsx":
        counted = _Counted(rows)
        file = _xlsx_file(headers, counted, title)
        record(counted.sent)
        db.session.commit()
        return _send_file(file, basename)
    if fmt != "csv":
        abort(404)
    expected = total()
    entry = record(expected)
    db.session.flush()
    entry_id = entry.id
    db.session.commit()
    counted = _Counted(rows)

    def stream() -> Iterator[bytes]:
        sent = 0  # the rows of the pieces the server took and asked past
        try:
            for piece in csv_chunks(headers, counted):
                # A piece holds every row written before it: none waits in a buffer.
                written = counted.sent
                yield piece
                sent = written
        except BaseException:  # GeneratorExit too: the reader left
            _correct(entry_id, sent, interrupted=True)
            raise
        if sent != expected:
            _correct(entry_id, sent, interrupted=False)

    return _dated(Response(stream_with_context(stream())), fmt, basename)


def _correct(entry_id: int, sent: int, *, interrupted: bool) -> None:
    """The audit entry of a streamed export set to the rows it sent."""
    db.session.rollback()
    entry = db.session.get(AuditLog, entry_id)
    details = {**entry.details, "rows": sent}
    if interrupted:
        details["interrupted"] = True
    entry.details = details
    db.session.commit()


def _xlsx_file(headers: Sequence[str], rows: Iterable[Sequence], title: str) -> IO[bytes]:
    """The XLSX of ``rows`` in a temporary file (gone once closed), read from its start."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response once sent
    try:
        write_xlsx(file, headers, rows, title)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


def _send_file(file: IO[bytes], basename: str) -> Response:
    """The XLSX ``file`` sent in pieces, closed once sent (or the sending stopped)."""
    size = os.fstat(file.fileno()).st_size

    def pieces() -> Iterator[bytes]:
        with file:
            while piece := file.read(FILE_PIECE):
                yield piece

    response = Response(pieces(), direct_passthrough=True)
    response.content_length = size
    return _dated(response, "xlsx", basename)


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_TYPE,
    "pdf": "application/pdf",
    # A person's copy of their data (the right of access), handed to them as it is.
    "json": "application/json",
    # A standalone document to save (the observatory's report), never shown in the app.
    "html": "text/html; charset=utf-8",
}


def send_body(body: bytes, fmt: str, basename: str, day: date | None = None) -> Response:
    """``body`` (a file of format ``fmt``: csv, xlsx, pdf) as a dated, uncached download:
    named by ``day`` when its figures are those of a past day, else by today."""
    return _dated(Response(body), fmt, basename, day)


def _dated(response: Response, fmt: str, basename: str, day: date | None = None) -> Response:
    """``response`` as a dated (``day``, else today), uncached download of format ``fmt``."""
    stamp = (day or local_today()).isoformat()
    response.content_type = MIMETYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def send_cv(candidate, *, actor, ip: str | None, details: dict | None = None) -> Response:
    """The person's CV file as a download, with its audit entry; 404 without a file,
    a page saying why when the file is withheld (403) or missing from the store (404).

    Every page serving a CV calls this after its own rights check
    (``cvtheque.access.may_read_cv``): the file is always an attachment, never
    sniffed or rendered inline, never cached, and every download is in the audit log.
    """

    if not candidate.cv_filename:
        abort(404)
    try:
        body = files.read_pdf(candidate.cv_filename)
    except files.CvWithheld as withheld:
        unreadable = withheld.reason == files.UNREADABLE_FILE
        return render_error(403, CV_UNREADABLE if unreadable else CV_WITHHELD)
    except (FileNotFoundError, IsADirectoryError):
        log.warning("CV file missing from the store for candidate %s", candidate.id)
        return render_error(404, CV_MISSING)
    accounts.audit(
        db.session,
        "cv_download",
        actor=actor,
        entity="candidate",
        entity_id=candidate.id,
        ip=ip,
        details=details or {},
    )
    db.session.commit()
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="cv-{candidate.id}.pdf"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
