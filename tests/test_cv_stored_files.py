"""CV files on disk: attachments refused at upload, orphans swept each night, records
naming a missing file reported, files stored before a check rechecked and withheld."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from connectences import workflows
from connectences.cvtheque import consent, files, stored_files
from connectences.cvtheque.files import CvFileError
from connectences.cvtheque.search import SearchFilters, search_candidates
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import Candidate, CandidateEvent, Need, Operator
from connectences.workflows import leads as lead_flow
from connectences.workflows.dispatch import send_lead
from tests import factories as f
from tests.cv_helpers import form_data, make_pdf, post_multipart, private_cv_folder
from tests.helpers import audit_entries, by_ref, page_text

BASE = "/animateur/cvtheque"
NOW = datetime(2027, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
def cv_dir(app, tmp_path, monkeypatch):
    yield from private_cv_folder(app, tmp_path, monkeypatch)


def _written(cv_dir, name: str, data: bytes, at: datetime) -> str:
    cv_dir.mkdir(exist_ok=True)
    (cv_dir / name).write_bytes(data)
    os.utime(cv_dir / name, (at.timestamp(), at.timestamp()))
    return name


def _pdf(change) -> bytes:
    """make_pdf's real file, opened by pypdf's writer and changed by ``change(writer)``."""
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf("Saisie comptable et paie")))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_attachment() -> bytes:
    return _pdf(lambda w: w.add_attachment("programme.exe", b"MZ\x90\x00 not a CV"))


def with_javascript_open_action() -> bytes:
    def change(writer):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert(1)"),
            }
        )

    return _pdf(change)


def with_attachment_annotation() -> bytes:
    """A page annotation pointing at a file (the paper-clip icon), no /EmbeddedFiles tree."""

    def change(writer):
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 30, 30)]),
                NameObject("/FS"): TextStringObject("programme.exe"),
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return _pdf(change)


def clean() -> bytes:
    return _pdf(lambda w: w.add_metadata({"/Title": "CV"}))


# --- (2) attachments refused at upload, with the actions -------------------------------------


@pytest.mark.parametrize("data", [with_attachment(), with_attachment_annotation()])
def test_a_pdf_carrying_a_file_is_refused_saying_what_to_do(data):
    with pytest.raises(CvFileError) as refused:
        files.check_pdf(data)
    assert "pièce jointe" in refused.value.message
    assert "Enregistrez le CV sans pièce jointe" in refused.value.message
    assert files.active_content(data) == files.ATTACHMENT


def test_a_javascript_open_action_and_a_clean_file_through_the_same_check():
    with pytest.raises(CvFileError, match="s'exécute"):
        files.check_pdf(with_javascript_open_action())
    assert files.active_content(with_javascript_open_action()) == files.CODE
    assert "Saisie comptable et paie" in files.check_pdf(clean())
    assert files.active_content(clean()) is None


def test_the_public_form_refuses_an_attachment_and_stores_nothing(client, cv_dir):
    data = form_data()
    data["cv"] = FileStorage(
        io.BytesIO(with_attachment()), "cv.pdf", content_type="application/pdf"
    )
    response = post_multipart(client, "/deposer-mon-cv", data)
    assert response.status_code == 400
    assert "Enregistrez le CV sans pièce jointe" in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0
    assert not cv_dir.exists() or list(cv_dir.iterdir()) == []


# --- (1) the nightly sweep -----------------------------------------------------------------


@pytest.fixture
def ines():
    f.load(
        f.document(
            candidates=[
                f.candidate(
                    ref="ines",
                    first_name="Inès",
                    last_name="Marchal",
                    email="ines@exemple.fr",
                    skills=["Comptabilité générale", "paie"],
                    commune=f.ARCACHON,
                ),
                f.candidate(ref="paul", first_name="Paul", last_name="Bernin", commune=f.LA_TESTE),
            ]
        )
    )
    return by_ref(Candidate, "ines")


def test_the_retention_job_sweeps_old_orphans_and_reports_missing_files(cv_dir, ines):
    old = NOW - timedelta(days=3)
    kept = _written(cv_dir, "a" * 32 + ".pdf", make_pdf(), old)
    orphan = _written(cv_dir, "b" * 32 + ".pdf", make_pdf(), old)
    uploading = _written(cv_dir, "c" * 32 + ".pdf", make_pdf(), NOW - timedelta(hours=2))
    ines.cv_filename = kept
    by_ref(Candidate, "paul").cv_filename = "d" * 32 + ".pdf"  # gone from the store
    db.session.commit()

    with time_machine.travel(NOW, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=NOW, dry_run=True)
    assert counts["cv_orphans_deleted"] == 1 and counts["cv_files_missing"] == 1
    assert sorted(p.name for p in cv_dir.iterdir()) == [kept, orphan, uploading]

    with time_machine.travel(NOW, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=NOW)
    assert counts["cv_orphans_deleted"] == 1
    assert counts["cv_orphans_too_recent"] == 1
    assert counts["cv_files_missing"] == 1
    assert sorted(p.name for p in cv_dir.iterdir()) == [kept, uploading]
    (entry,) = audit_entries("data_retention")
    assert entry.details["cv_orphans_deleted"] == 1 and "cv_files_missing" not in entry.details

    # A day later the upload that never got its row goes too; the others stay.
    later = NOW + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=later)
    assert counts["cv_orphans_deleted"] == 1
    assert [p.name for p in cv_dir.iterdir()] == [kept]


def test_the_sweep_leaves_the_files_of_people_the_same_run_erases(cv_dir, ines):
    # Inès is erased by the same run (24 months without contact): her file goes with
    # her deletion's commit, never before it.
    name = _written(cv_dir, "e" * 32 + ".pdf", make_pdf(), NOW - timedelta(days=800))
    ines.cv_filename = name
    ines.last_contact_at = NOW - timedelta(days=800)
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=NOW, dry_run=True)
    assert counts["deleted"] == 1 and counts["cv_orphans_deleted"] == 0
    assert (cv_dir / name).exists()
    with time_machine.travel(NOW, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=NOW)
    assert counts["files_deleted"] == 1 and counts["cv_orphans_deleted"] == 0
    assert not (cv_dir / name).exists()


def test_a_missing_file_is_said_in_french_and_a_wrong_user_still_refused(
    client, auth, cv_dir, ines
):
    ines.cv_filename = "f" * 32 + ".pdf"
    db.session.commit()
    auth.login("animateur")
    page = page_text(client.get(f"{BASE}/ines"))
    assert "Fichier introuvable" in page and "Télécharger le CV" not in page
    response = client.get(f"{BASE}/ines/cv")
    assert response.status_code == 404
    assert "introuvable sur le serveur" in page_text(response)
    assert audit_entries("cv_download") == []


# --- (3) the stored files rechecked -----------------------------------------------------------


def _stored_for(cv_dir, candidate: Candidate, data: bytes) -> str:
    """A file stored before today's check existed: written as it was, unchecked."""
    candidate.cv_filename = _written(
        cv_dir, os.urandom(16).hex() + ".pdf", data, NOW - timedelta(days=400)
    )
    db.session.commit()
    return candidate.cv_filename


def test_cv_recheck_withholds_active_files_keeps_the_person_and_is_idempotent(
    client, auth, runner, cv_dir, ines
):
    paul = by_ref(Candidate, "paul")
    bad = _stored_for(cv_dir, ines, with_javascript_open_action())
    good = _stored_for(cv_dir, paul, clean())
    stamped = ines.updated_at

    simulated = runner.invoke(args=["cv", "recheck"])
    assert "Simulation" in simulated.output and '"withheld": 1' in simulated.output
    db.session.expire_all()
    assert by_ref(Candidate, "ines").cv_filename == bad and audit_entries("cv_withheld") == []

    done = runner.invoke(args=["cv", "recheck", "--wet-run"])
    assert done.exit_code == 0, done.output
    assert '"checked": 2' in done.output and '"withheld": 1' in done.output
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert files.is_withheld(ines.cv_filename) and ines.updated_at == stamped
    assert by_ref(Candidate, "paul").cv_filename == good
    # The file is kept under its withheld name (an erasure removes it), the old name gone.
    assert sorted(p.name for p in cv_dir.iterdir()) == sorted([good, ines.cv_filename])
    (entry,) = audit_entries("cv_withheld")
    assert entry.entity_id == ines.id and entry.details == {"found": "code"}
    assert db.session.scalar(
        select(CandidateEvent.summary).where(CandidateEvent.candidate_id == ines.id)
    ).startswith("CV (PDF) retenu")

    again = runner.invoke(args=["cv", "recheck", "--wet-run"])
    assert '"withheld": 0' in again.output and '"already_withheld": 1' in again.output
    assert len(audit_entries("cv_withheld")) == 1

    # Staff see why, the file is never sent; the person stays in the search.
    auth.login("animateur")
    page = page_text(client.get(f"{BASE}/ines"))
    assert "Fichier retenu : contenu actif" in page and "Télécharger le CV" not in page
    response = client.get(f"{BASE}/ines/cv")
    assert response.status_code == 403 and b"%PDF" not in response.data
    assert "Fichier retenu : contenu actif" in page_text(response)
    assert audit_entries("cv_download") == []
    found = search_candidates(db.session, SearchFilters(text="paie"))
    assert "ines" in {hit.candidate.ref for hit in found.items}
    # The sweep keeps a withheld file: its record names it.
    with time_machine.travel(NOW, tick=False):
        counts = stored_files.sweep(db.session, NOW, min_age=timedelta(days=1))
    assert counts["cv_orphans_deleted"] == 0 and (cv_dir / ines.cv_filename).exists()


def test_a_withheld_file_is_refused_to_the_person_and_a_wrong_user_still_refused(
    client, auth, cv_dir, ines
):
    _stored_for(cv_dir, ines, with_attachment())
    assert stored_files.recheck(db.session)["withheld"] == 1
    with pytest.raises(files.CvWithheld):
        files.read_pdf(by_ref(Candidate, "ines").cv_filename)
    # The person is told in their space, and why, when they ask for it.
    space = f"/mon-cv/{consent.space_token(by_ref(Candidate, 'ines'))}"
    assert "retenu : il contient un contenu actif" in page_text(client.get(space))
    response = client.get(f"{space}/cv.pdf")
    assert response.status_code == 403 and b"%PDF" not in response.data
    assert "Enregistrez le CV sans pièce jointe" in page_text(response)
    auth.login("partner")
    response = client.get(f"{BASE}/ines/cv")
    assert response.status_code == 403 and "retenu" not in response.get_data(as_text=True)
    assert audit_entries("cvtheque_access_refused")


# --- the operator of a lead naming a withheld CV ----------------------------------------------


def _accepted_lead(person: Candidate, operator_ref: str):
    f.load(
        f.document(
            operators=[f.operator(ref=operator_ref)],
            companies=[f.company(ref=f"c-{operator_ref}", name="Boulangerie Dupin")],
            needs=[f.need(ref=f"n-{operator_ref}", company=f"c-{operator_ref}", title="Comptable")],
        )
    )
    need = by_ref(Need, f"n-{operator_ref}")
    workflows.transition(db.session, need, workflows.NEED, "qualifie")
    lead = send_lead(
        db.session, needs=[need], operator=by_ref(Operator, operator_ref), candidates=[person]
    )
    lead_flow.accept(db.session, lead)
    db.session.commit()
    return lead


def test_the_operator_of_the_lead_is_told_the_cv_is_withheld_and_never_gets_it(
    client, auth, cv_dir, ines
):
    _stored_for(cv_dir, ines, with_attachment())
    assert stored_files.recheck(db.session)["withheld"] == 1
    ines = by_ref(Candidate, "ines")
    lead = _accepted_lead(ines, "ge-a")
    page_url = f"/operateur/propositions/{lead.id}"
    cv_url = f"{page_url}/cv/{ines.id}"

    auth.login("operator", org_ref="ge-a")
    page = client.get(page_url)
    assert page.status_code == 200
    text = page_text(page)
    assert "CV : fichier retenu : contenu actif" in text and "Télécharger le CV" not in text
    assert cv_url not in page.get_data(as_text=True)
    response = client.get(cv_url)
    assert response.status_code == 403 and b"%PDF" not in response.data
    assert "Fichier retenu : contenu actif" in page_text(response)
    assert audit_entries("cv_download") == []

    # The operator of another lead learns nothing of it, withheld or not.
    _accepted_lead(by_ref(Candidate, "paul"), "ge-b")
    auth.logout()
    auth.login("operator", org_ref="ge-b")
    response = client.get(cv_url)
    assert response.status_code in (403, 404) and "retenu" not in page_text(response)
    assert audit_entries("cv_download") == []


# --- a stored CV pypdf can no longer read -----------------------------------------------------


def test_cv_recheck_withholds_an_unreadable_file_saying_so_and_is_idempotent(
    client, auth, runner, cv_dir, ines
):
    """A stored file pypdf cannot read cannot be checked for active content: it is
    withheld like one found with it, said « fichier illisible » to every reader, and the
    person is asked to upload their CV again."""
    paul = by_ref(Candidate, "paul")
    broken = _stored_for(cv_dir, ines, make_pdf("Saisie comptable")[:60])
    good = _stored_for(cv_dir, paul, clean())

    simulated = runner.invoke(args=["cv", "recheck"])
    assert '"unreadable": 1' in simulated.output and '"withheld": 0' in simulated.output
    db.session.expire_all()
    assert by_ref(Candidate, "ines").cv_filename == broken and audit_entries("cv_withheld") == []

    done = runner.invoke(args=["cv", "recheck", "--wet-run"])
    assert done.exit_code == 0, done.output
    assert '"checked": 2' in done.output and '"unreadable": 1' in done.output
    assert '"withheld": 0' in done.output
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert files.withheld_reason(ines.cv_filename) == files.UNREADABLE_FILE
    assert files.file_state(ines.cv_filename) == files.FILE_UNREADABLE
    assert by_ref(Candidate, "paul").cv_filename == good
    assert sorted(p.name for p in cv_dir.iterdir()) == sorted([good, ines.cv_filename])
    (entry,) = audit_entries("cv_withheld")
    assert entry.entity_id == ines.id and entry.details == {"found": "unreadable"}
    assert db.session.scalar(
        select(CandidateEvent.summary).where(CandidateEvent.candidate_id == ines.id)
    ).startswith("CV (PDF) retenu : fichier illisible")

    again = runner.invoke(args=["cv", "recheck", "--wet-run"])
    assert '"unreadable": 0' in again.output and '"already_withheld": 1' in again.output
    assert len(audit_entries("cv_withheld")) == 1

    # The person is told, and asked to upload again; the file is never sent.
    space = f"/mon-cv/{consent.space_token(ines)}"
    assert "ne peut plus être lu comme un PDF" in page_text(client.get(space))
    response = client.get(f"{space}/cv.pdf")
    assert response.status_code == 403 and b"%PDF" not in response.data
    assert "ne peut plus être lu comme un PDF" in page_text(response)
    assert "Modifier mon profil" in page_text(response)

    # Staff and the operator of the lead are told why, never given the file.
    lead = _accepted_lead(ines, "ge-a")
    auth.login("animateur")
    page = page_text(client.get(f"{BASE}/ines"))
    assert "Fichier retenu : fichier illisible" in page and "Télécharger le CV" not in page
    response = client.get(f"{BASE}/ines/cv")
    assert response.status_code == 403 and b"%PDF" not in response.data
    assert "Fichier retenu : fichier illisible" in page_text(response)
    auth.logout()
    auth.login("operator", org_ref="ge-a")
    text = page_text(client.get(f"/operateur/propositions/{lead.id}"))
    assert "CV : fichier retenu : fichier illisible" in text and "contenu actif" not in text
    response = client.get(f"/operateur/propositions/{lead.id}/cv/{ines.id}")
    assert response.status_code == 403 and "fichier illisible" in page_text(response)
    assert audit_entries("cv_download") == []
