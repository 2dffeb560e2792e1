"""Secrets shown once, on the page a creation redirects to. No HTTP here.

A form that creates a secret (an API token) answers with a redirect, so that reloading
the page or going back never sends the form again (Post/Redirect/Get); the page it
redirects to shows the secret, once. Between the two requests the secret is kept on the
server for ``WINDOW`` at most, under a random key that only the creating browser's session
knows, and taken (deleted) by the first page that shows it: a reload shows nothing.

Neither half gives the secret alone: the file holds it masked with a pad drawn from the
key (SHAKE-256 of the key, used once), and the key travels in the session cookie. One file
per secret, in one folder (mode 0700, files 0600), named by the instant it ends and a hash
of its key; the data retention job purges what was never shown (``purge``).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

# Between the creation and the page that shows it: a redirect, seconds; a slow phone, more.
WINDOW = timedelta(minutes=10)
# Far above a token's secret (``api_tokens.PREFIX`` and 43 characters).
MAX_BYTES = 1024
_NAME = re.compile(r"(?P<until>\d{1,12})\.(?P<hash>[0-9a-f]{64})\.secret")


def shown_once_folder() -> Path:
    """Where secrets wait to be shown: ``instance/shown-once/``, outside what the web serves."""
    return Path(current_app.instance_path) / "shown-once"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _masked(data: bytes, key: str) -> bytes:
    pad = hashlib.shake_256(b"shown-once\n" + key.encode("utf-8")).digest(len(data))
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def _entries(folder: Path):
    """(path, end as a POSIX timestamp, key hash) of every secret waiting."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        match = _NAME.fullmatch(name)
        if match:
            yield folder / name, int(match["until"]), match["hash"]


def keep(folder: Path, secret: str, *, now: datetime) -> str:
    """Keep ``secret`` until it is taken or ``WINDOW`` ends; the key that takes it."""
    data = secret.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise ValueError("secret too long")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    purge(folder, now=now)
    key = secrets.token_urlsafe(32)
    path = folder / f"{int((now + WINDOW).timestamp())}.{_hash(key)}.secret"
    partial = path.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_masked(data, key))
    os.replace(partial, path)
    return key


def take(folder: Path, key: str | None, *, now: datetime) -> str | None:
    """The secret kept under ``key``, deleted as it is read: the first caller gets it, any
    other (a reload, the same page opened twice at once) None; None too when it expired."""
    if not isinstance(key, str) or not key:
        return None
    wanted = _hash(key)
    for path, until, digest in _entries(folder):
        if digest != wanted:
            continue
        # Renamed before it is read: of two takers at once, one rename succeeds.
        taken = path.with_name(f"{path.name}.{secrets.token_hex(8)}.taken")
        try:
            os.rename(path, taken)
        except FileNotFoundError:
            return None
        try:
            data = taken.read_bytes()
        finally:
            taken.unlink(missing_ok=True)
        if until <= now.timestamp():
            return None
        try:
            return _masked(data, key).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def purge(folder: Path, *, now: datetime, dry_run: bool = False) -> int:
    """Delete the secrets whose time is over, never shown (only count them in a
    ``dry_run``); how many. A file left half-written or half-taken by a crash goes too."""
    count = 0
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in names:
        match = _NAME.fullmatch(name)
        path = folder / name
        if match is None:
            if not (name.endswith(".partial") or name.endswith(".taken")):
                continue
            try:
                old = path.stat().st_mtime <= (now - WINDOW).timestamp()
            except FileNotFoundError:
                continue
            if not old:
                continue
        elif int(match["until"]) > now.timestamp():
            continue
        if not dry_run:
            path.unlink(missing_ok=True)
        count += 1
    return count
