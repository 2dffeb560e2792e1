"""Signed, expiring links sent to company owners: confirming a need's e-mail address,
and opening their company space without a password.

Signing and reading are ``connectences.signed``'s; this module names the purposes and
what each token carries.
"""

from __future__ import annotations

from connectences import config
from connectences.signed import INVALID, LinkError, make_token, read_token

__all__ = [
    "LinkError",
    "confirm_days",
    "confirmation_token",
    "read_confirmation",
    "read_space",
    "space_days",
    "space_token",
]

CONFIRM_SALT = "need-owner-confirmation"
SPACE_SALT = "company-space"


def confirm_days() -> int:
    """Days the owner has to click the confirmation link (``NEED_CONFIRM_MAX_AGE_DAYS``)."""
    return config.integer("NEED_CONFIRM_MAX_AGE_DAYS")


def space_days() -> int:
    """Days a company space link lasts (``COMPANY_LINK_MAX_AGE_DAYS``)."""
    return config.integer("COMPANY_LINK_MAX_AGE_DAYS")


def confirmation_token(
    secret: str,
    need_id: int,
    email: str,
    issued_at=None,
    *,
    company: tuple[str, str] | None = None,
    version: int = 0,
) -> str:
    """The token of the link that confirms the owner's address for one need, with the
    company's name and commune (INSEE) as its author typed them: nothing stores them
    until the author confirms (an unconfirmed form names no company), and the link,
    signed, carries them to the confirmation. Like a space link, it carries the
    ``version`` of the address's links: it leads on to the space only while that version
    is the address's (``register.space_link_version``)."""
    payload: dict = {"n": need_id, "e": email, "v": version}
    if company is not None:
        payload["c"] = list(company)
    return make_token(CONFIRM_SALT, payload, secret=secret, issued_at=issued_at)


# Both ways on from an expired confirmation link: a need confirmed in time is followed
# from the company space; one never confirmed was not passed on (and is deleted).
CONFIRM_EXPIRED = (
    "Ce lien de confirmation a expiré. Si vous aviez déjà confirmé votre besoin, recevez "
    "par e-mail un nouveau lien pour le suivre. Sinon, il n'a pas été transmis : "
    "exprimez-le à nouveau."
)


def read_confirmation(secret: str, token: str) -> tuple[int, str, tuple[str, str] | None, int]:
    """``(need id, e-mail, (company name, commune) or None, links' version)`` of a
    confirmation token (version 0 for links made before versions); raises LinkError when
    tampered or old."""
    payload = read_token(
        CONFIRM_SALT, token, confirm_days() * 86400, secret=secret, expired=CONFIRM_EXPIRED
    )
    need_id, email, company = payload.get("n"), payload.get("e"), payload.get("c")
    version = payload.get("v", 0)
    if not isinstance(need_id, int) or not isinstance(email, str) or not isinstance(version, int):
        raise LinkError(INVALID)
    if not (
        isinstance(company, list) and len(company) == 2 and all(isinstance(v, str) for v in company)
    ):
        company = None
    return need_id, email, tuple(company) if company else None, version


def space_token(secret: str, email: str, issued_at=None, *, version: int = 0) -> str:
    """The token of the link that opens the company space of the owner at ``email``,
    of the ``version`` of that address's links (``register.space_link_version``)."""
    payload = {"e": email.lower(), "v": version}
    return make_token(SPACE_SALT, payload, secret=secret, issued_at=issued_at)


def read_space(secret: str, token: str) -> tuple[str, int]:
    """The e-mail address a company space token was issued to, and the version of its
    links it carries (0 for links made before versions); LinkError otherwise. Whether
    that version is still the address's is the caller's check (it reads the database)."""
    payload = read_token(SPACE_SALT, token, space_days() * 86400, secret=secret)
    email, version = payload.get("e"), payload.get("v", 0)
    if not isinstance(email, str) or not email or not isinstance(version, int):
        raise LinkError(INVALID)
    return email, version
