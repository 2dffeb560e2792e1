"""Backups of a SQLite installation: the database and the stored files, together.

One dated folder a backup, ``connectences-YYYYMMDD-HHMMSS/`` in ``BACKUP_DIR`` (default
``instance/backups/``), holding ``connectences.sqlite3`` (the online backup API's copy,
``PRAGMA integrity_check`` passed) and one folder a store of files (``cv/``,
``photos/``: ``STORES``), so that a restored record finds the file it names. The folder
is written as ``connectences-....partial/`` and renamed once complete: a backup that
failed (disk full, a file unreadable) leaves nothing; one killed half way leaves a
``.partial`` folder the next backup removes once a day old. Folders 0700, files 0600:
they hold every CV.

The files are copied before and after the database: a file of a record in the copy is
in the backup even if it was deleted meanwhile (a CV replaced during the backup); a file
written after the copy, no record of it naming it, is swept as an orphan after a restore
(``stored_files.sweep_store``). On the local disk a stored file, never rewritten once
written (``LocalCvStorage.write_new``), is hard-linked rather than copied when the backup
folder is on the same file system: fourteen backups do not hold fourteen copies of every
CV.

On PostgreSQL nothing is done here: the README gives the ``pg_dump`` and the copy of the
folders to schedule.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from connectences import config
from connectences.content import photos
from connectences.cvtheque import files

DATABASE = "connectences.sqlite3"
# Each store of uploaded files, by the name of its folder in a backup (the same as in
# instance/, so that a restore copies the folders back as they are).
STORES: dict[str, Callable[[], files.CvStorage]] = {
    "cv": files.storage,
    "photos": photos.photo_storage,
}
# A backup folder; before backups held the files, a bare database file of the same name.
_BACKUP = re.compile(r"connectences-(?P<stamp>\d{8}-\d{6})(?P<old>\.sqlite3)?")
_PARTIAL = re.compile(r"connectences-(?P<stamp>\d{8}-\d{6})\.partial")
_STAMP = "%Y%m%d-%H%M%S"
# A partial backup older than this was left by a process killed half way.
_ABANDONED = timedelta(days=1)


def backup_folder() -> Path:
    configured = config.setting("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def current_stores() -> dict[str, files.CvStorage]:
    """The app's stores of files, by their folder's name in a backup."""
    return {name: store() for name, store in STORES.items()}


def backups(folder: Path) -> list[Path]:
    """The complete backups in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    found = [
        (match["stamp"], path)
        for path in folder.iterdir()
        if (match := _BACKUP.fullmatch(path.name))
    ]
    return [path for _stamp, path in sorted(found)]


def make_backup(
    source: Path,
    folder: Path,
    now: datetime,
    keep: int,
    stores: Mapping[str, files.CvStorage],
) -> tuple[Path, list[Path]]:
    """Back up the live SQLite database ``source`` and the files of ``stores`` into a new
    dated folder of ``folder``, then keep the last ``keep`` backups.

    Returns the new backup's folder and the old backups removed. Raises (nothing left of
    the new backup) when the copy fails or ``integrity_check`` does not say ``ok``."""
    _private_folder(folder)
    final = folder / f"connectences-{now:{_STAMP}}"
    partial = final.with_name(final.name + ".partial")
    _private_folder(partial, exist_ok=False)
    try:
        copied = {kind: _copy_files(store, partial / kind, set()) for kind, store in stores.items()}
        _copy_database(source, partial / DATABASE)
        for kind, store in stores.items():
            # Written while the database was copied: their records may be in the copy.
            _copy_files(store, partial / kind, copied[kind])
        partial.rename(final)
    except BaseException:
        # A disk filling up mid-copy: what was written goes, not one more folder each night.
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final, _prune(folder, now, keep)


def _private_folder(path: Path, *, exist_ok: bool = True) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=exist_ok)
    path.chmod(0o700)  # mkdir's mode goes through the umask, and the folder may be older


def _copy_database(source: Path, target: Path) -> None:
    # Created empty, owner only, before SQLite writes a page into it.
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if result != "ok":
        raise RuntimeError(f"integrity_check of the backup failed: {result}")


def _copy_files(store: files.CvStorage, target: Path, done: set[str]) -> set[str]:
    """Copy into ``target`` each file of ``store`` not in ``done``; return ``done`` with
    them. A file deleted between the listing and its copy is no longer anyone's."""
    _private_folder(target)
    local = store.folder if isinstance(store, files.LocalCvStorage) else None
    for name, _written in store.names():
        if name in done:
            continue
        copy = target / name
        try:
            if local is None or not _linked(local / name, copy):
                data = store.read(name)
                fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
        except FileNotFoundError:
            continue
        done.add(name)
    return done


def _linked(stored: Path, copy: Path) -> bool:
    """Hard-link a stored file (0600, as the store writes it) into the backup; False when
    the backup is on another file system, or the file is not the store's own mode."""
    try:
        if stored.stat().st_mode & 0o077:
            return False  # put there by hand: a copy, 0600, leaves the stored file alone
        os.link(stored, copy)
    except FileNotFoundError:
        raise
    except OSError:
        return False
    return True


def _prune(folder: Path, now: datetime, keep: int) -> list[Path]:
    """Remove all but the last ``keep`` backups, and the partial ones a killed process
    left more than a day ago; return the backups removed."""
    complete = backups(folder)
    removed = complete[:-keep] if keep > 0 else []
    for old in removed:
        _remove(old)
    for path in folder.iterdir():
        match = _PARTIAL.fullmatch(path.name)
        if match:
            started = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=now.tzinfo)
            if now - started > _ABANDONED:
                _remove(path)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
