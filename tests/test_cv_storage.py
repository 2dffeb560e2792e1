"""CV files go through one storage interface, with a tested local implementation."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectences.cvtheque import files, stored_files
from connectences.cvtheque.files import LocalCvStorage
from connectences.extensions import db

PDF = b"%PDF-1.4 not parsed here"


def test_local_storage_round_trip_private_and_never_overwrites(tmp_path):
    store = LocalCvStorage(tmp_path / "cv")
    assert not store.exists("a.pdf")
    store.write_new("a.pdf", PDF)
    assert store.exists("a.pdf") and store.read("a.pdf") == PDF
    assert stat.S_IMODE((tmp_path / "cv" / "a.pdf").stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        store.write_new("a.pdf", b"other")
    assert store.read("a.pdf") == PDF
    assert store.delete("a.pdf") is True
    assert store.delete("a.pdf") is False
    with pytest.raises(FileNotFoundError):
        store.read("a.pdf")


@pytest.mark.parametrize("name", ["../secret_key", "/etc/passwd", ".hidden", "", "sub/a.pdf"])
def test_local_storage_refuses_names_outside_its_folder(tmp_path, name):
    (tmp_path / "secret_key").write_text("s")
    store = LocalCvStorage(tmp_path / "cv")
    assert store.exists(name) is False
    assert store.delete(name) is False
    with pytest.raises(FileNotFoundError):
        store.read(name)
    assert (tmp_path / "secret_key").exists()


class MemoryStorage:
    """Another implementation: proves the platform uses nothing but the interface."""

    def __init__(self):
        self.blobs: dict[str, bytes] = {}
        self.written: dict[str, datetime] = {}

    def write_new(self, name, data):
        if name in self.blobs:
            raise FileExistsError(name)
        self.blobs[name] = data
        self.written[name] = datetime.now(UTC)

    def read(self, name):
        if name not in self.blobs:
            raise FileNotFoundError(name)
        return self.blobs[name]

    def exists(self, name):
        return name in self.blobs

    def delete(self, name):
        return self.blobs.pop(name, None) is not None

    def names(self):
        return ((name, self.written[name]) for name in self.blobs)


@pytest.fixture
def memory(app):
    store = MemoryStorage()
    app.extensions["cv_storage"] = store
    yield store
    del app.extensions["cv_storage"]


def _begin():
    db.session.execute(select(1))  # a transaction, as the row a file belongs to opens one


def test_files_follow_their_transaction_through_any_storage(app, memory):
    _begin()
    kept = files.store_pdf(PDF, session=db.session)
    db.session.commit()
    _begin()
    dropped = files.store_pdf(PDF, session=db.session)
    db.session.rollback()
    assert set(memory.blobs) == {kept}  # the rolled-back one left no orphan
    assert files.read_pdf(kept) == PDF and files.pdf_exists(kept)

    _begin()
    assert files.delete_pdf_after_commit(db.session, kept) is True
    db.session.rollback()
    assert files.pdf_exists(kept)  # a failed deletion keeps the file
    _begin()
    assert files.delete_pdf_after_commit(db.session, kept) is True
    db.session.commit()
    assert not files.pdf_exists(kept) and not files.pdf_exists(dropped)
    assert memory.blobs == {}


def test_the_nightly_sweep_goes_through_any_storage(app, memory):
    _begin()
    orphan = files.store_pdf(PDF, session=db.session)
    db.session.commit()  # a file no record names
    now = datetime.now(UTC)
    assert stored_files.sweep(db.session, now, min_age=timedelta(days=1)) == {
        "cv_orphans_deleted": 0,
        "cv_orphans_too_recent": 1,
        "cv_files_missing": 0,
    }
    later = now + timedelta(days=1, seconds=1)
    assert stored_files.sweep(db.session, later, min_age=timedelta(days=1))["cv_orphans_deleted"]
    assert orphan not in memory.blobs


def test_local_storage_lists_its_files_only(tmp_path):
    store = LocalCvStorage(tmp_path / "cv")
    assert list(store.names()) == []  # no folder yet
    store.write_new("a.pdf", PDF)
    (tmp_path / "cv" / ".partial").write_bytes(b"x")
    (tmp_path / "cv" / "sub").mkdir()
    ((name, written),) = store.names()
    assert name == "a.pdf" and abs(datetime.now(UTC) - written) < timedelta(minutes=1)


def test_default_storage_is_the_instance_folder(app):
    store = files.storage()
    assert isinstance(store, LocalCvStorage)
    assert store.folder == files.cv_folder()
