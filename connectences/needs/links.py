"""Signed, expiring links sent to company owners: confirming a need's e-mail address,
and opening their company space without a password.

Nothing is stored for a link: the signature (the app's secret, a salt per purpose) proves
it was issued here, and its timestamp bounds its life.
"""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

CONFIRM_SALT = "need-owner-confirmation"
SPACE_SALT = "company-space"
CONFIRM_MAX_AGE = 7 * 24 * 3600  # a week to click the confirmation link
SPACE_MAX_AGE = 30 * 24 * 3600  # the company space link lasts a month, renewable by e-mail


class LinkError(ValueError):
    """A link that cannot be used; ``message`` is French, for the person holding it."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.message = message
        self.expired = expired


def _serializer(secret: str, salt: str, issued_at: datetime | None = None):
    signer = TimestampSigner
    if issued_at is not None:
        stamp = int(issued_at.timestamp())

        class _IssuedAt(TimestampSigner):  # a link dated in the past, for expiry checks
            def get_timestamp(self) -> int:
                return stamp

        signer = _IssuedAt
    return URLSafeTimedSerializer(secret, salt=salt, signer=signer)


def _read(secret: str, salt: str, token: str, max_age: int) -> dict:
    try:
        payload = _serializer(secret, salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkError(
            "Ce lien a expiré. Demandez-en un nouveau : il vous sera envoyé par e-mail.",
            expired=True,
        ) from error
    except BadSignature as error:
        raise LinkError(
            "Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier."
        ) from error
    if not isinstance(payload, dict):
        raise LinkError("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier.")
    return payload


def confirmation_token(secret: str, need_id: int, email: str, issued_at=None) -> str:
    """The token of the link that confirms the owner's address for one need."""
    return _serializer(secret, CONFIRM_SALT, issued_at).dumps({"n": need_id, "e": email})


def read_confirmation(secret: str, token: str, max_age: int = CONFIRM_MAX_AGE) -> tuple[int, str]:
    """``(need id, e-mail)`` of a confirmation token; raises LinkError when tampered or old."""
    payload = _read(secret, CONFIRM_SALT, token, max_age)
    need_id, email = payload.get("n"), payload.get("e")
    if not isinstance(need_id, int) or not isinstance(email, str):
        raise LinkError("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier.")
    return need_id, email


def space_token(secret: str, email: str, issued_at=None) -> str:
    """The token of the link that opens the company space of the owner at ``email``."""
    return _serializer(secret, SPACE_SALT, issued_at).dumps({"e": email.lower()})


def read_space(secret: str, token: str, max_age: int = SPACE_MAX_AGE) -> str:
    """The e-mail address a company space token was issued to; LinkError otherwise."""
    email = _read(secret, SPACE_SALT, token, max_age).get("e")
    if not isinstance(email, str) or not email:
        raise LinkError("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier.")
    return email
