"""Signed, expiring tokens for the links mailed to people without an account (a
company owner, a person in the CV library).

Nothing is stored for a link: the signature (the app's secret, a salt per purpose)
proves it was issued here, and its timestamp bounds its life. What a token names is
checked again by its reader (the record may have changed or gone since).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from connectences.errors import DomainError

EXPIRED = "Ce lien a expiré. Demandez-en un nouveau : il vous sera envoyé par e-mail."
INVALID = "Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier."


class LinkError(DomainError):
    """A link that cannot be used (tampered, expired, revoked); ``message`` is French,
    for the person holding it, and ``expired`` says whether asking again would help."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def _serializer(salt: str, secret: str | None, issued_at: datetime | None = None):
    signer = TimestampSigner
    if issued_at is not None:
        stamp = int(issued_at.timestamp())

        class _IssuedAt(TimestampSigner):  # a link dated in the past, for expiry checks
            def get_timestamp(self) -> int:
                return stamp

        signer = _IssuedAt
    secret = secret if secret is not None else current_app.config["SECRET_KEY"]
    return URLSafeTimedSerializer(secret, salt=salt, signer=signer)


def make_token(
    salt: str, payload: dict, *, secret: str | None = None, issued_at: datetime | None = None
) -> str:
    """A signed token carrying ``payload`` for the purpose ``salt`` (the app's secret by
    default; ``issued_at`` backdates it, for tests of expiry)."""
    return _serializer(salt, secret, issued_at).dumps(payload)


def read_token(
    salt: str,
    token: str,
    max_age: int,
    *,
    secret: str | None = None,
    expired: str = EXPIRED,
    invalid: str = INVALID,
) -> dict:
    """The payload of a token made by ``make_token`` for ``salt``, at most ``max_age``
    seconds old. Raises ``LinkError`` with the French ``expired`` or ``invalid`` message."""
    payload, _issued = read_token_issued(
        salt, token, max_age, secret=secret, expired=expired, invalid=invalid
    )
    return payload


def read_token_issued(
    salt: str,
    token: str,
    max_age: int,
    *,
    secret: str | None = None,
    expired: str = EXPIRED,
    invalid: str = INVALID,
) -> tuple[dict, datetime]:
    """As :func:`read_token`, with the instant the token was made (UTC, to the second):
    what it names may have gone since, and its reader may ask what happened after."""
    try:
        payload, issued = _serializer(salt, secret).loads(
            token, max_age=max_age, return_timestamp=True
        )
    except SignatureExpired:
        raise LinkError(expired, expired=True) from None
    except BadSignature:
        raise LinkError(invalid) from None
    if not isinstance(payload, dict):
        raise LinkError(invalid)
    return payload, issued
