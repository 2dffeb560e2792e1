"""Every secret the test suite handles, in one place, and the scan that looks for them.

Fixed values (the fixtures' passwords, the app's SECRET_KEY, CV texts) are constants
here; values made during the run (signed link tokens, session and invitation tokens,
session cookies) are recorded by the hooks of ``tests/log_capture.py``. ``scan`` finds
any of them in a text (the log of a whole test run) and says what it found without
repeating the secret.
"""

from __future__ import annotations

import re

PASSWORD = "mot-de-passe-de-test-2027"  # noqa: S105 — a test value, no deployment uses it
GOOD_PASSWORD = "une phrase de passe assez longue"  # noqa: S105 — a test value, no deployment uses it
RESET_PASSWORD = "un-nouveau-mot-de-passe-2027"  # noqa: S105 — a test value, no deployment uses it
WRONG_PASSWORD = "mauvais-mot-de-passe-tape-9876"  # noqa: S105 — a test value, no deployment uses it
NEW_PASSWORD = "nouvelle phrase de passe tres longue 5678"  # noqa: S105 — a test value, no deployment uses it
INVITED_PASSWORD = "phrase de passe de l invite 1357"  # noqa: S105 — a test value, no deployment uses it
OTHER_PASSWORD = "un autre mot de passe"  # noqa: S105 — a test value, no deployment uses it
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 — a test value, no deployment uses it

CV_DEFAULT_TEXT = "Comptabilité, saisie comptable, gestion de la paie"
CV_SECRET = "Phrase confidentielle du CV Zorglub 4242"  # noqa: S105 — a test value, no deployment uses it

PASSWORDS = {
    "PASSWORD": PASSWORD,
    "GOOD_PASSWORD": GOOD_PASSWORD,
    "RESET_PASSWORD": RESET_PASSWORD,
    "WRONG_PASSWORD": WRONG_PASSWORD,
    "NEW_PASSWORD": NEW_PASSWORD,
    "INVITED_PASSWORD": INVITED_PASSWORD,
    "OTHER_PASSWORD": OTHER_PASSWORD,
}
# What only a stored password hash or raw PDF bytes would show.
MARKERS = {"a password hash": "$argon2", "raw PDF bytes": "%PDF-1."}

# Shorter CV texts are ordinary words ("Mon CV") that may rightly appear elsewhere.
CV_TEXT_MIN = 20
# Tokens and cookie values shorter than this are not worth a lookup (and could be words).
TOKEN_MIN = 16

_cv_texts: set[str] = {CV_DEFAULT_TEXT, CV_SECRET}
_tokens: dict[str, str] = {}  # a token (or one of its dot-separated parts) -> its kind

# The shape of an itsdangerous token (signed link, Flask's session cookie): payload,
# timestamp (6 characters until 2106) and a SHA-1 HMAC (27 characters), base64url.
ITSDANGEROUS = re.compile(r"(?<![\w.-])\.?[\w-]{8,}\.[\w-]{6}\.[\w-]{27}(?![\w-])", re.ASCII)
WORD = re.compile(rf"[\w-]{{{TOKEN_MIN},}}", re.ASCII)


def remember_cv_text(text: str) -> None:
    """Note a text put in a test PDF, so that it is looked for in the logs."""
    if len(text) >= CV_TEXT_MIN:
        _cv_texts.add(text)


def remember_token(value: str, kind: str) -> None:
    """Note a token made during the run (the whole of it and each long dotted part)."""
    if not value or len(value) < TOKEN_MIN:
        return
    _tokens[value] = kind
    for part in value.split("."):
        if len(part) >= TOKEN_MIN:
            _tokens[part] = kind


def recorded_tokens() -> int:
    return len(_tokens)


def _hint(secret: str) -> str:
    return f"{secret[:4]}… ({len(secret)} characters)"


def scan(text: str) -> list[str]:
    """What of the known secrets ``text`` contains: one line per finding, with the line
    number where it first appears and a hint, never the whole secret."""

    def line_of(position: int) -> int:
        return text.count("\n", 0, position) + 1

    findings = []
    fixed = [(f"the fixture password {name}", value) for name, value in PASSWORDS.items()]
    fixed.append(("the app's SECRET_KEY", SECRET_KEY))
    fixed += [("CV text", value) for value in sorted(_cv_texts)]
    fixed += [(what, marker) for what, marker in MARKERS.items()]
    for what, value in fixed:
        position = text.find(value)
        if position >= 0:
            findings.append(f"line {line_of(position)}: {what} {_hint(value)}")
    seen = set()
    for match in WORD.finditer(text):
        kind = _tokens.get(match.group())
        if kind and match.group() not in seen:
            seen.add(match.group())
            findings.append(f"line {line_of(match.start())}: {kind} {_hint(match.group())}")
    for match in ITSDANGEROUS.finditer(text):
        findings.append(
            f"line {line_of(match.start())}: a signed token (itsdangerous shape) "
            f"{_hint(match.group())}"
        )
    return findings
