"""CV upload checks, fuzzed: fake PDFs, polyglots, truncated and oversized files are
refused with a French message and never stored, by the domain check and through the
public form."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from connectences.cvtheque.files import CvFileError, check_pdf
from connectences.extensions import db
from connectences.models import Candidate
from tests.cv_helpers import form_data, make_pdf

REAL = make_pdf("Comptabilité, saisie comptable")
# Everything before the page object: what is left can never show a page.
BEFORE_PAGE = REAL[: REAL.index(b"3 0 obj")]
FOREIGN_HEADERS = [
    b"MZ\x90\x00",  # Windows executable
    b"\x7fELF\x02\x01",
    b"PK\x03\x04",  # zip, docx, xlsx, odt
    b"#!/bin/sh\n",
    b"<!doctype html><script>alert(1)</script>",
    b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'>",
    b"<?xml version='1.0'?>",
    b"GIF89a",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
]

# Random bytes without a PDF object in them (a generator left free writes, in the end, a
# minimal real PDF, which is then rightly read).
junk = st.binary(max_size=2048).filter(lambda b: b"obj" not in b)

fake_pdfs = st.one_of(
    # Random bytes, with or without a PDF header.
    junk,
    junk.map(lambda tail: b"%PDF-1.7\n" + tail),
    junk.map(lambda tail: b"%PDF-1.7\n" + tail + b"\n%%EOF\n"),
    # Polyglots: another format first, a PDF after it (or the other way round with junk).
    st.tuples(st.sampled_from(FOREIGN_HEADERS), st.binary(max_size=256)).map(
        lambda parts: parts[0] + parts[1] + REAL
    ),
    st.tuples(st.sampled_from(FOREIGN_HEADERS), st.binary(max_size=64)).map(
        lambda parts: b"%PDF-1.4\n" + parts[0] + parts[1]
    ),
    # Truncated real PDFs (cut before any page exists).
    st.integers(0, len(BEFORE_PAGE)).map(lambda cut: BEFORE_PAGE[:cut]),
    # A real PDF whose page tree was corrupted.
    st.binary(min_size=1, max_size=32).map(
        lambda junk: REAL.replace(b"/Type /Pages", b"/Type /" + junk.hex().encode())
    ),
)

FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(FUZZ, max_examples=300)
@given(data=fake_pdfs)
def test_the_check_refuses_every_fake_pdf_with_a_french_message(data):
    with pytest.raises(CvFileError) as refusal:
        check_pdf(data)
    assert refusal.value.message[0].isupper() and refusal.value.message.endswith(".")


@settings(FUZZ, max_examples=30)
@given(extra=st.integers(1, 4096))
def test_files_over_the_limit_are_refused_even_when_they_are_real_pdfs(app, extra):
    limit = len(REAL) + 100
    app.config["CV_MAX_BYTES"], saved = limit, app.config["CV_MAX_BYTES"]
    try:
        assert check_pdf(REAL + b"\n" * 99)  # within the limit: read
        with pytest.raises(CvFileError, match="trop lourd"):
            check_pdf(REAL + b"\n" * (100 + extra))
    finally:
        app.config["CV_MAX_BYTES"] = saved


@settings(FUZZ, max_examples=25)
@given(
    data=fake_pdfs.filter(len), name=st.sampled_from(["cv.pdf", "../../cv.pdf", "cv.pdf.exe", "x"])
)
def test_the_public_form_refuses_fake_pdfs_and_stores_nothing(app, tmp_path, data, name):
    # (An empty file is no file at all: the CV is optional on the form.)
    app.instance_path, saved = str(tmp_path), app.instance_path
    try:
        fields = form_data(email="fuzz@exemple.fr")
        fields["cv"] = (io.BytesIO(data), name)
        response = app.test_client().post(
            "/deposer-mon-cv", data=fields, content_type="multipart/form-data"
        )
        assert response.status_code in (400, 422), response.status_code
        assert db.session.scalar(select(func.count(Candidate.id))) == 0
        stored = list((tmp_path / "cv").glob("*")) if (tmp_path / "cv").exists() else []
        assert stored == []
    finally:
        app.instance_path = saved
        db.session.rollback()


def test_a_polyglot_opening_as_an_image_and_a_pdf_cut_before_its_end_are_refused():
    # Findings of the fuzzing: a GIF header before a real PDF was read as a CV (the PDF
    # header was only looked for in the first kilobyte), and so was a forged file without
    # its end-of-file marker (pypdf repairs what it can).
    with pytest.raises(CvFileError, match="n'est pas un PDF"):
        check_pdf(b"GIF89a" + REAL)
    forged = (
        b"%PDF-1\x000 obj<</Type/Catalog/Pages 0 0 R0\x000 obj<<trailer<</Size 1>\nstartxref0\n%"
    )
    with pytest.raises(CvFileError, match="incomplet"):
        check_pdf(forged)
    with pytest.raises(CvFileError):
        check_pdf(REAL[: REAL.rindex(b"%%EOF")])
    assert check_pdf(REAL)  # the real one still reads
