"""Helpers of the CV library tests: real PDF bytes, the form's fields, mail links."""

from __future__ import annotations

import io
import re

from werkzeug.test import stream_encode_multipart

from connectences.matching.matches import forget_indexes
from connectences.models import OutboxMessage
from tests.factories import overridden
from tests.known_secrets import CV_DEFAULT_TEXT, remember_cv_text


def make_pdf(text: str = CV_DEFAULT_TEXT) -> bytes:
    """A small real PDF whose page shows ``text`` (pypdf extracts it back); the text is
    looked for in the log of the run (tests/log_capture.py)."""
    remember_cv_text(text)
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    # Latin-1 with WinAnsiEncoding: accents survive the round trip.
    stream = f"BT /F1 12 Tf 50 750 Td ({safe}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(make_pdf())).pages:
        writer.add_page(page)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form_data(**overrides) -> dict:
    """A valid public submission, as the browser posts it."""
    data = {
        "first_name": "Camille",
        "last_name": "Martin",
        "email": "camille.martin@exemple.fr",
        "phone": "06 12 34 56 78",
        "commune": "La Teste-de-Buch",
        "mobility_km": "25",
        "skills": "saisie comptable\nfacturation",
        "rome": "M1203",
        "level": "employe_qualifie",
        "hours_min": "7",
        "hours_max": "24",
        "days": ["mon", "tue", "thu"],
        "contracts": ["cdi_temps_partage", "cdd"],
        "available_from": "2027-01-04",
        "consent": "y",
    }
    return overridden(data, overrides)


def link_in(message: OutboxMessage, pattern: str = r"http://localhost(/mon-cv/\S+)") -> str:
    """The local path of the first link of a queued mail matching ``pattern``."""
    found = re.search(pattern, message.body_text)
    assert found, message.body_text
    return found.group(1)


def private_cv_folder(app, tmp_path, monkeypatch):
    """Body of a ``cv_dir`` fixture: the instance folder moved to ``tmp_path``, the CV
    folder below it yielded; the matcher's indexes are forgotten before and after (ids
    are reused from one test to the next)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    forget_indexes()
    yield tmp_path / "cv"
    forget_indexes()


def post_multipart(client, path: str, data: dict):
    """Post a multipart body built here: werkzeug's test client leaves the temporary file
    of a large body open (a ResourceWarning, an error under this suite's settings)."""
    stream, length, boundary = stream_encode_multipart(data)
    try:
        body = stream.read()
    finally:
        stream.close()
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")
