"""CV files: checked by content, stored privately under random names, tied to the transaction."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import func, select

from connectences.cvtheque import files
from connectences.cvtheque.files import CvFileError
from connectences.cvtheque.profile import ProfileError, submit_candidate
from connectences.extensions import db
from connectences.models import Candidate
from tests.cv_helpers import encrypted_pdf, form_data, make_pdf


@pytest.fixture
def cv_dir(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "cv"


def stored(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_real_pdf_gives_its_text():
    assert "Saisie comptable et paie" in files.check_pdf(make_pdf("Saisie comptable et paie"))


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "n'est pas un PDF"),
        (b"<html><body>%PDF-1.4</body></html>", "n'est pas un PDF"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100 + b"%PDF-1.4", "n'est pas un PDF"),
        (b"MZ\x90\x00" + b"\x00" * 100 + b"%PDF-1.4", "n'est pas un PDF"),
        (b"PK\x03\x04 a zip renamed", "n'est pas un PDF"),
        (b"%PDF-1.4\nnot really a pdf", "n'a pas pu être lu"),
        (b"", "vide"),
    ],
)
def test_what_is_not_a_readable_pdf_is_refused_in_french(data, words):
    with pytest.raises(CvFileError) as refused:
        files.check_pdf(data)
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("data", "words", "how"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "photo", "Reprenez la photo"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100, "photo", "Reprenez la photo"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100, "HEIC", "JPEG"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00[Content_Types].xml" + b"\x00" * 50, "Word", "Enregistrer sous"),
        (b"PK\x03\x04\x14\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.text", "Word", "Enregistrer sous"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Word", "Enregistrer sous"),
    ],
)  # fmt: skip
def test_a_photo_or_a_word_document_is_named_with_what_to_do(data, words, how):
    # A job seeker on a phone sends the photo of their paper CV, or their Word file: "Ce
    # fichier n'est pas un PDF. Enregistrez votre CV au format PDF" told them nothing
    # they could do. A photo is taken (tests/test_cv_photos.py); one that cannot be read
    # (damaged, HEIC) and a document are named, with what to do.
    with pytest.raises(CvFileError) as refused:
        files.read_cv(data)
    message = refused.value.message
    assert words in message and how in message


def _with_action(catalog_entry: bytes = b"", page_entry: bytes = b"", text: str = "Paie") -> bytes:
    """make_pdf's file (showing ``text``) with ``catalog_entry`` added to its catalog and ``page_entry`` to
    its page (offsets shift, which pypdf's lenient reading repairs, as for a real file)."""
    data = make_pdf(text)
    data = data.replace(b"/Pages 2 0 R >>", b"/Pages 2 0 R " + catalog_entry + b" >>", 1)
    return data.replace(b"/Contents 4 0 R", b"/Contents 4 0 R " + page_entry, 1)


@pytest.mark.parametrize(
    "data",
    [
        # Script run at opening by Acrobat and most desktop readers.
        _with_action(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        # The same name written with an escape, as a scanner looking for bytes misses it.
        _with_action(b"/OpenAction << /S /J#61vaScript /JS (app.alert(1)) >>"),
        # A document-level script (the /Names tree).
        _with_action(b"/Names << /JavaScript << /Names [(a) << /S /JavaScript /JS (x) >>] >> >>"),
        # A program launched at opening.
        _with_action(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
        # A page's own action when it is shown.
        _with_action(page_entry=b"/AA << /O << /S /JavaScript /JS (x) >> >>"),
        # An XFA form: its scripts sit in its XML streams, which the check does not read.
        _with_action(b"/AcroForm << /Fields [] /XFA 3 0 R >>"),
        # A web address opened at opening (the reader's address known to whoever sent it).
        _with_action(b"/OpenAction << /S /URI /URI (https://autre.example/vu) >>"),
        # The same behind a first action that only shows the page (/Next).
        _with_action(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (x) >> >>"),
        # The form's data sent as the page is shown; another file opened.
        _with_action(page_entry=b"/AA << /O << /S /SubmitForm /F (https://autre.example) >> >>"),
        _with_action(b"/OpenAction << /S /GoToR /F (\\\\autre.example\\cv.pdf) /D [0 /Fit] >>"),
    ],
)
def test_a_pdf_that_runs_code_when_opened_is_refused(data):
    # A CV is opened by staff and operators: a script or a launched program in it
    # would run on their computers.
    with pytest.raises(CvFileError) as refused:
        files.check_pdf(data)
    assert "s'exécute" in refused.value.message


def test_a_pdf_opening_at_its_first_page_is_accepted():
    # Word and LibreOffice write an /OpenAction that only shows a page: not code.
    data = _with_action(b"/OpenAction [3 0 R /Fit]", text="Saisie comptable et paie")
    assert "Saisie comptable et paie" in files.check_pdf(data)


def test_a_link_the_reader_clicks_is_accepted():
    # A CV's e-mail or LinkedIn link is a page's link annotation, run only when clicked.
    link = b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://exemple.fr) >> >>]"
    data = _with_action(b"/OpenAction [3 0 R /Fit]", page_entry=link, text="Saisie et paie")
    assert "Saisie et paie" in files.check_pdf(data)


def test_an_encrypted_pdf_is_refused():
    with pytest.raises(CvFileError, match="mot de passe"):
        files.check_pdf(encrypted_pdf())


def test_a_file_over_the_limit_is_refused_before_parsing(app, monkeypatch):
    assert app.config["CV_MAX_BYTES"] == 5 * 1024 * 1024
    big = make_pdf() + b"%" * (5 * 1024 * 1024)
    with pytest.raises(CvFileError, match="trop lourd"):
        files.check_pdf(big)
    monkeypatch.setitem(app.config, "CV_MAX_BYTES", len(big) + 1)
    assert files.check_pdf(big)  # the limit is a setting


def test_stored_files_have_random_private_names_outside_static(app, cv_dir):
    data = make_pdf()
    first, second = files.store_pdf(data), files.store_pdf(data)
    assert first != second and first.endswith(".pdf") and len(first) == 36
    path = cv_dir / first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "static" not in str(path)
    assert files.read_pdf(first) == data
    # A name never reaches outside the folder.
    with pytest.raises(FileNotFoundError):
        files.read_pdf("../../etc/passwd")
    assert files.delete_pdf(first) is True
    assert files.delete_pdf(first) is False
    assert stored(cv_dir) == [second]


def test_a_file_stored_in_a_rolled_back_transaction_is_removed(cv_dir):
    db.session.execute(select(1))
    name = files.store_pdf(make_pdf(), session=db.session)
    assert stored(cv_dir) == [name]
    db.session.rollback()
    assert stored(cv_dir) == []


def test_a_file_deleted_after_commit_stays_if_the_deletion_is_rolled_back(cv_dir):
    name = files.store_pdf(make_pdf())
    db.session.execute(select(1))
    assert files.delete_pdf_after_commit(db.session, name)
    db.session.rollback()
    assert stored(cv_dir) == [name]
    db.session.execute(select(1))
    files.delete_pdf_after_commit(db.session, name)
    db.session.commit()
    assert stored(cv_dir) == []


def _profile(**overrides) -> dict:
    data = form_data(**overrides)
    data["consent"] = True
    return data


def test_submission_stores_the_file_only_when_everything_is_valid(cv_dir):
    with pytest.raises(ProfileError) as refused:
        submit_candidate(
            db.session, _profile(hours_min="30", hours_max="10"), source="t", pdf=make_pdf()
        )
    assert "hours_max" in refused.value.errors
    with pytest.raises(CvFileError):
        submit_candidate(db.session, _profile(), source="t", pdf=b"<html>x</html>")
    db.session.rollback()
    assert stored(cv_dir) == []
    assert db.session.scalar(select(func.count(Candidate.id))) == 0


def test_a_failed_commit_leaves_no_orphan_file(cv_dir):
    candidate, created = submit_candidate(db.session, _profile(), source="t", pdf=make_pdf())
    assert created and stored(cv_dir) == [candidate.cv_filename]
    # A concurrent insert of the same ref makes the commit fail.
    db.session.add(
        Candidate(
            ref=candidate.ref,
            first_name="x",
            last_name="y",
            email="other@exemple.fr",
            commune="33009",
            mobility_km=1,
            level="cadre",
            hours_min=1,
            hours_max=2,
            available_from=candidate.available_from,
        )
    )
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        db.session.commit()
    db.session.rollback()
    assert stored(cv_dir) == []
    assert db.session.scalar(select(func.count(Candidate.id))) == 0
