"""Backups hold the stored files (CVs, photos) with the database, owner only, whole or
not at all (``connectences.jobs.backups``)."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta

import pytest

from connectences.cvtheque.files import LocalCvStorage
from connectences.jobs import backups
from tests.test_cv_storage import MemoryStorage

NOW = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


def _live_database(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE candidate (id INTEGER PRIMARY KEY, cv_filename TEXT)")
    con.execute("INSERT INTO candidate (cv_filename) VALUES ('a.pdf')")
    con.commit()
    con.close()
    return path


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("backup_on_another_disk", [False, True])
def test_a_backup_holds_the_stored_files_readable_by_the_owner_only(
    tmp_path, monkeypatch, backup_on_another_disk
):
    cv = LocalCvStorage(tmp_path / "instance" / "cv")
    cv.write_new("a.pdf", b"%PDF-1.4 a")
    photos = MemoryStorage()  # another kind of store: read through the interface
    photos.write_new("p.jpg", b"jpeg")
    if backup_on_another_disk:
        monkeypatch.setattr(backups.os, "link", _cross_device)
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o755)  # made by an older version: readable by all
    source = _live_database(tmp_path / "live.sqlite3")

    made, _ = backups.make_backup(source, folder, NOW, 14, {"cv": cv, "photos": photos})

    assert made == folder / "connectences-20260301-013000"
    assert (made / "cv" / "a.pdf").read_bytes() == b"%PDF-1.4 a"
    assert (made / "photos" / "p.jpg").read_bytes() == b"jpeg"
    restored = sqlite3.connect(made / backups.DATABASE)
    assert restored.execute("SELECT cv_filename FROM candidate").fetchall() == [("a.pdf",)]
    restored.close()
    for path in (folder, made, made / "cv", made / "photos"):
        assert _mode(path) == 0o700, path
    for path in (made / backups.DATABASE, made / "cv" / "a.pdf", made / "photos" / "p.jpg"):
        assert _mode(path) == 0o600, path
    # The stored file, never rewritten, is shared with the backup when it can be.
    shared = os.stat(made / "cv" / "a.pdf").st_ino == os.stat(cv.folder / "a.pdf").st_ino
    assert shared is not backup_on_another_disk
    # Deleted from the live store (a person erased): the backup keeps its copy.
    cv.delete("a.pdf")
    assert (made / "cv" / "a.pdf").read_bytes() == b"%PDF-1.4 a"


def _cross_device(_source, _target):
    raise OSError(18, "Invalid cross-device link")


def test_a_file_put_there_by_hand_is_copied_not_linked(tmp_path):
    cv = LocalCvStorage(tmp_path / "cv")
    cv.write_new("a.pdf", b"%PDF-1.4 a")
    os.chmod(cv.folder / "a.pdf", 0o644)
    source = _live_database(tmp_path / "live.sqlite3")
    made, _ = backups.make_backup(source, tmp_path / "b", NOW, 14, {"cv": cv})
    assert _mode(made / "cv" / "a.pdf") == 0o600
    assert _mode(cv.folder / "a.pdf") == 0o644  # the live file left as it was


def test_files_written_or_deleted_while_the_database_is_copied_are_in_the_backup(
    tmp_path, monkeypatch
):
    """A CV replaced during the backup: the copied record may name the old file or the
    new one; both are in the backup (the other one an orphan the sweep removes)."""
    cv = LocalCvStorage(tmp_path / "cv")
    cv.write_new("old.pdf", b"%PDF old")
    real_copy = backups._copy_database

    def replaced_meanwhile(source, target):
        cv.write_new("new.pdf", b"%PDF new")
        real_copy(source, target)
        cv.delete("old.pdf")

    monkeypatch.setattr(backups, "_copy_database", replaced_meanwhile)
    source = _live_database(tmp_path / "live.sqlite3")
    made, _ = backups.make_backup(source, tmp_path / "b", NOW, 14, {"cv": cv})
    assert sorted(p.name for p in (made / "cv").iterdir()) == ["new.pdf", "old.pdf"]


def test_a_backup_failing_on_the_files_leaves_nothing(tmp_path):
    store = MemoryStorage()
    store.write_new("a.pdf", b"%PDF a")
    store.write_new("b.pdf", b"%PDF b")

    def unreadable(name):
        raise PermissionError(13, "Permission denied", name)

    store.read = unreadable
    source = _live_database(tmp_path / "live.sqlite3")
    folder = tmp_path / "b"
    earlier, _ = backups.make_backup(source, folder, NOW - timedelta(days=1), 14, {})
    with pytest.raises(PermissionError):
        backups.make_backup(source, folder, NOW, 14, {"cv": store})
    assert list(folder.iterdir()) == [earlier]


def test_retention_removes_old_backups_of_both_forms_and_abandoned_partial_ones(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    # Before backups held the files: a bare database file each.
    (folder / "connectences-20260225-013000.sqlite3").write_bytes(b"")
    (folder / "connectences-20260226-013000.sqlite3").write_bytes(b"")
    # Left by a process killed half way, two days ago and an hour ago (maybe still running).
    (folder / "connectences-20260226-020000.partial" / "cv").mkdir(parents=True)
    (folder / "connectences-20260301-003000.partial").mkdir()
    (folder / "notes.txt").write_text("kept")  # not a backup: left alone
    source = _live_database(tmp_path / "live.sqlite3")
    cv = LocalCvStorage(tmp_path / "cv")
    cv.write_new("a.pdf", b"%PDF a")
    for day in (-2, -1, 0):
        made, removed = backups.make_backup(
            source, folder, NOW + timedelta(days=day), 3, {"cv": cv}
        )
    assert [path.name for path in backups.backups(folder)] == [
        "connectences-20260227-013000",
        "connectences-20260228-013000",
        "connectences-20260301-013000",
    ]
    assert sorted(path.name for path in folder.iterdir()) == [
        "connectences-20260227-013000",
        "connectences-20260228-013000",
        "connectences-20260301-003000.partial",
        "connectences-20260301-013000",
        "notes.txt",
    ]
    assert [path.name for path in removed] == ["connectences-20260226-013000.sqlite3"]
    assert (cv.folder / "a.pdf").read_bytes() == b"%PDF a"  # the live file stays
