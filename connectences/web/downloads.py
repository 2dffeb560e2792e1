"""Sending an export as a file download (CSV or XLSX), the same way on every page."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from flask import Response, abort

from connectences import accounts
from connectences.clock import local_today
from connectences.cvtheque import files
from connectences.extensions import db
from connectences.tabular import to_csv, to_xlsx
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
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_table(
    fmt: str, basename: str, headers: Sequence[str], rows: Iterable[Sequence], title: str = ""
) -> Response:
    """A download response of ``rows`` as ``fmt`` ("csv" or "xlsx"); 404 for other formats.

    The file name carries the date so that successive exports do not overwrite each other.
    """
    if fmt == "csv":
        return send_body(to_csv(headers, rows), fmt, basename)
    if fmt == "xlsx":
        return send_body(to_xlsx(headers, rows, title or basename), fmt, basename)
    abort(404)


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_TYPE,
    "pdf": "application/pdf",
    # A standalone document to save (the observatory's report), never shown in the app.
    "html": "text/html; charset=utf-8",
}


def send_body(body: bytes, fmt: str, basename: str) -> Response:
    """``body`` (a file of format ``fmt``: csv, xlsx, pdf) as a dated, uncached download."""
    stamp = local_today().isoformat()
    response = Response(body, content_type=MIMETYPES[fmt])
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
