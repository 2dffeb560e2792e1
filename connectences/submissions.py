"""One-time keys of a form's sending: a form sent twice (a double click, a phone's retry
on a flaky network, a request retried after a lost answer) is stored once.

The page draws a token (:func:`new_token`) into a hidden field when it shows the form,
and keeps it when it shows the form again (an error, a confirmation to tick). The
sending's key (:func:`key`) hashes the token with what was typed: the same form sent
again has the same key, and finds what the first sending stored; the form changed
after the back button (the same token, something else typed) is another sending. The
area storing the sending keeps the key in a unique column, so that two sendings at the
same instant store one row on both databases (the second's flush or commit raises
IntegrityError, and the caller answers with the row the first stored).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping

# The hidden field of the token, in every form that has one.
FIELD = "submission_token"

# A token as :func:`new_token` draws them (and no longer than the key).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_token() -> str:
    """A one-time token for a form as it is shown."""
    return secrets.token_urlsafe(24)


def key(token: str | None, typed: Mapping) -> str | None:
    """What identifies one sending of a form: its token and what was typed, hashed (64
    hexadecimal characters). None without a well-formed token (a form shown before
    tokens, a made-up post): such a sending is stored as before."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    content = json.dumps(typed, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{token}\n{content}".encode()).hexdigest()


def kept_token(token: str | None) -> str:
    """The token to show the form again with: the one it was sent with when well formed
    (sent once corrected, it is still the same sending), a new one otherwise."""
    return token if isinstance(token, str) and _TOKEN.fullmatch(token) else new_token()
