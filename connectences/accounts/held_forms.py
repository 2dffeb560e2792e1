"""Forms held for the person who sent them while they log in again. No HTTP here.

A logged-in person who sends a form after their session ended (a visit noted on a
doorstep for half an hour), or whose form's security token was refused, would lose what
they typed. The web layer hands what was sent to ``hold`` instead: kept on the server for
a short time, under a random key that only that browser's session knows, bound to the
account the form was typed under. The web layer gives it back to that account alone and
carries nothing out with it: the person checks the form and sends it again.

One file per held form, in one folder (mode 0700, files 0600), named by its owner, the
instant it ends and a hash of its key: finding, purging and forgetting read names, never
contents (``held_forms_folder``; the data retention job purges it too). An owner has one held form at most (holding a new one forgets the last), so
the folder holds at most one form per account, for ``HELD_FORM_MINUTES``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from connectences import config

# Everything sent, names and values together, at most (characters): far above the
# largest form (a need with long notes), far below what would fill a disk.
MAX_CHARS = 64 * 1024
MAX_FIELDS = 500
# An owner is an account's fingerprint (hex, see accounts.sessions.account_binding): it names
# files, so nothing else is accepted.
_OWNER = re.compile(r"[0-9a-f]{16,64}")
# A file being written is ``.partial`` until renamed; one left by a crash goes with its time.
_NAME = re.compile(
    r"(?P<owner>[0-9a-f]{16,64})\.(?P<until>\d{1,12})\.(?P<hash>[0-9a-f]{64})\.(?P<ext>json|partial)"
)


@dataclass(frozen=True)
class HeldForm:
    """A form as it was sent: ``page`` shows it (a local path and query), ``action`` is
    where it was sent, ``fields`` the names and values in their order (never a security
    token, a password or a file: the web layer leaves them out), ``reason`` why it was
    not carried out (a word the web layer defines)."""

    page: str
    action: str
    fields: tuple[tuple[str, str], ...]
    reason: str

    def size(self) -> int:
        return sum(len(name) + len(value) for name, value in self.fields)


def held_forms_folder() -> Path:
    """Where held forms are kept: ``HELD_FORMS_DIR``, by default ``instance/held-forms/``,
    outside anything the web serves."""
    configured = config.setting("HELD_FORMS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "held-forms"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _entries(folder: Path):
    """(path, owner, end as a POSIX timestamp, key hash, whole) of every held form's file
    (``whole`` is False for one still being written)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        match = _NAME.fullmatch(name)
        if match:
            yield (
                folder / name,
                match["owner"],
                int(match["until"]),
                match["hash"],
                match["ext"] == "json",
            )


def hold(folder: Path, owner: str, form: HeldForm, *, until: datetime, now: datetime) -> str | None:
    """Hold ``form`` for the account ``owner`` until ``until``; the key that finds it
    again, or None when nothing is held (an owner that is no fingerprint, too many fields
    or characters). The owner's previous held form is forgotten, and every expired one."""
    if not _OWNER.fullmatch(owner or ""):
        return None
    if len(form.fields) > MAX_FIELDS or form.size() > MAX_CHARS:
        return None
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    purge(folder, now=now)
    forget_owner(folder, owner)
    key = secrets.token_urlsafe(32)
    path = folder / f"{owner}.{int(until.timestamp())}.{_hash(key)}.json"
    body = json.dumps(
        {
            "page": form.page,
            "action": form.action,
            "fields": [list(pair) for pair in form.fields],
            "reason": form.reason,
        },
        ensure_ascii=False,
    )
    partial = path.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)
    os.replace(partial, path)
    return key


def find(folder: Path, key: str | None, *, now: datetime) -> tuple[str, HeldForm] | None:
    """The owner and the form held under ``key``, while it lasts; None when there is none
    (never held, taken, forgotten or expired: an expired one is deleted here)."""
    if not key:
        return None
    wanted = _hash(key)
    for path, owner, until, digest, whole in _entries(folder):
        if digest != wanted or not whole:
            continue
        if until <= now.timestamp():
            path.unlink(missing_ok=True)
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        fields = tuple((str(name), str(value)) for name, value in data.get("fields", ()))
        form = HeldForm(
            page=str(data.get("page", "")),
            action=str(data.get("action", "")),
            fields=fields,
            reason=str(data.get("reason", "")),
        )
        return owner, form
    return None


def drop(folder: Path, key: str | None) -> None:
    """Forget the form held under ``key`` (given back, or not for this account)."""
    if not key:
        return
    wanted = _hash(key)
    for path, _owner, _until, digest, _whole in _entries(folder):
        if digest == wanted:
            path.unlink(missing_ok=True)


def forget_owner(folder: Path, owner: str) -> int:
    """Forget every form held for ``owner``; how many there were."""
    count = 0
    for path, found, _until, _digest, _whole in _entries(folder):
        if found == owner:
            path.unlink(missing_ok=True)
            count += 1
    return count


def purge(folder: Path, *, now: datetime, dry_run: bool = False) -> int:
    """Delete the held forms whose time is over (only count them in a ``dry_run``); how
    many."""
    count = 0
    for path, _owner, until, _digest, _whole in _entries(folder):
        if until <= now.timestamp():
            if not dry_run:
                path.unlink(missing_ok=True)
            count += 1
    return count
