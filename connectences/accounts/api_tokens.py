"""Personal API tokens: issued by an admin to a user, shown once, stored hashed, named,
with an expiry, revocable, their last use kept. A token acts with its owner's role and
scope (``accounts.scope``), exactly as the owner does on the web. No HTTP here."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from connectences import locks
from connectences.accounts.audit import audit
from connectences.accounts.scope import API_ROLES
from connectences.accounts.users import (
    AccountError,
    invitation_pending,
    organisation_named,
    stored_account,
)
from connectences.models import ApiToken, AuditLog, User
from connectences.models.base import utcnow
from connectences.typography import too_long
from connectences.vocab import ROLES

# What every secret starts with, so that one found in a log or a repository is recognised.
PREFIX = "cte_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_NAME = 100
# The last use is written at most this often (a busy client would write at every call).
LAST_USE_STEP = timedelta(minutes=1)
# Issuing a token from a form's sending (``submissions.key``) is one at a time, so that the
# same form sent twice at once (a double click) finds the first sending's token.
ISSUE_LOCK = "accounts.api_token_issue"
ISSUE_LOCK_WAIT_SECONDS = 10


class TokenAlreadyIssued(AccountError):
    """The form issuing a token was sent again (the page reloaded, a double click): its
    token exists, and its secret, shown once, cannot be shown again."""

    def __init__(self) -> None:
        super().__init__(
            "Ce jeton a déjà été créé : son secret n'est montré qu'une fois ; révoquez-le "
            "et créez-en un autre si vous ne l'avez pas noté."
        )


class TokenRefused(AccountError):
    """A request's token is missing, unknown, expired, revoked or its owner disabled;
    ``reason`` says which (data, for tests and logs), the message says it in French."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def hash_secret(secret: str) -> str:
    """The stored form of a secret (SHA-256, hex)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def read_days(typed: object) -> int | None:
    """A validity as a form sends it (``"90"``), or None when it is no whole number of
    days in ASCII digits: ``str.isdigit`` also holds for "²", which ``int`` refuses, and
    for thousands of digits, more than ``int`` converts (both were a server error)."""
    text = str(typed or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_DAYS)):
        return None
    return int(text)


def issue_token(
    session: Session,
    *,
    owner_email: str,
    name: str,
    days: int | None,
    actor: User | None,
    now: datetime | None = None,
    submission_key: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for the active user ``owner_email`` of a role the API serves
    (``scope.API_ROLES``: a candidate's or an intercommunality's would be refused at every
    call); return it with its secret, which is not stored and cannot be shown again. Refusals name their field
    (``owner_email``, ``name``, ``days``). ``actor`` is the admin who issues it (None from
    the command line). ``submission_key`` (``submissions.key``) names the form's sending:
    kept in the audit entry of the issue, a sending already issued raises
    ``TokenAlreadyIssued`` and issues nothing (no column of its own: the audit entry is
    the record of the issue)."""
    now = now or utcnow()
    if submission_key is not None and not locks.hold(
        session, ISSUE_LOCK, wait_seconds=ISSUE_LOCK_WAIT_SECONDS
    ):
        raise AccountError("Un autre jeton est en train d'être créé : réessayez dans un instant.")
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Donnez un nom au jeton (par exemple l'outil qui l'utilisera)."
    elif too := too_long("Le nom", name, MAX_NAME):
        errors["name"] = too
    if days is None or not 1 <= days <= MAX_DAYS:
        errors["days"] = f"Choisissez une durée de validité entre 1 et {MAX_DAYS} jours."
    owner = stored_account(session, owner_email)
    if owner is None:
        errors["owner_email"] = "Aucun compte n'a cette adresse e-mail."
    elif not owner.active:
        errors["owner_email"] = "Ce compte est désactivé : réactivez-le d'abord."
    elif invitation_pending(owner):
        errors["owner_email"] = (
            "Ce compte n'a pas encore accepté son invitation : un jeton ne lui est délivré "
            "qu'une fois son mot de passe choisi."
        )
    elif owner.role not in API_ROLES:
        served = ", ".join(ROLES[role].lower() for role in ROLES if role in API_ROLES)
        errors["owner_email"] = (
            f"Ce compte (rôle « {ROLES.get(owner.role, owner.role)} ») n'a pas accès à "
            f"l'API : un jeton n'est délivré qu'aux comptes qu'elle sert ({served})."
        )
    if errors:
        refusal = AccountError(next(iter(errors.values())))
        refusal.errors = errors
        raise refusal
    if submission_key is not None and _issued_from(session, owner, submission_key):
        raise TokenAlreadyIssued()
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        user=owner,
        secret_hash=hash_secret(secret),
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit(
        session,
        "api_token.issued",
        actor=actor,
        entity="user",
        entity_id=owner.id,
        details={
            **_named(token),
            "days": days,
            **({"submission": submission_key} if submission_key is not None else {}),
        },
    )
    return token, secret


def _named(token: ApiToken) -> dict:
    """Which token an audit entry is about, as an administrator reads it: its number, its
    name and the organisation its owner acts for (never its secret nor its hash)."""
    organisation = organisation_named(token.user)
    return {
        "token": token.id,
        "name": token.name,
        **({"organisation": organisation} if organisation else {}),
    }


def _issued_from(session: Session, owner: User, submission_key: str) -> bool:
    """Whether a token of ``owner`` was issued from the sending ``submission_key``."""
    return (
        session.scalar(
            select(AuditLog.id)
            .where(
                AuditLog.entity == "user",
                AuditLog.entity_id == owner.id,
                AuditLog.action == "api_token.issued",
                AuditLog.details["submission"].as_string() == submission_key,
            )
            .limit(1)
        )
        is not None
    )


# Read on every API request: the token with its owner, in one statement built once.
_TOKEN_AND_OWNER = (
    select(ApiToken)
    .where(ApiToken.secret_hash == bindparam("secret_hash"))
    .options(joinedload(ApiToken.user, innerjoin=True))
)


def verify_token(session: Session, secret: str | None, now: datetime | None = None) -> ApiToken:
    """The live token whose secret is ``secret``; its last use is recorded (flushed, not
    committed). Raises ``TokenRefused`` otherwise."""
    now = now or utcnow()
    if not secret:
        raise TokenRefused(
            "missing",
            "Jeton d'accès manquant : envoyez l'en-tête « Authorization: Bearer <jeton> ».",
        )
    token = session.scalar(_TOKEN_AND_OWNER, {"secret_hash": hash_secret(secret)})
    if token is None:
        raise TokenRefused("invalid", "Jeton d'accès inconnu : vérifiez qu'il est copié en entier.")
    if token.revoked_at is not None:
        raise TokenRefused("revoked", "Ce jeton d'accès a été révoqué.")
    if token.expires_at <= now:
        raise TokenRefused("expired", "Ce jeton d'accès a expiré : demandez-en un nouveau.")
    if not token.user.active:
        raise TokenRefused("disabled", "Le compte de ce jeton d'accès est désactivé.")
    if invitation_pending(token.user):
        # Issued before tokens were refused to such accounts: nobody opened it yet.
        raise TokenRefused(
            "invited", "Le compte de ce jeton d'accès n'a pas encore accepté son invitation."
        )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_STEP:
        token.last_used_at = now
        session.flush()
    return token


def revoke_token(
    session: Session, token_id: int, *, actor: User, now: datetime | None = None
) -> ApiToken:
    """Revoke a token for good (revoking it again changes nothing)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccountError("Ce jeton d'accès n'existe pas.")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        audit(
            session,
            "api_token.revoked",
            actor=actor,
            entity="user",
            entity_id=token.user_id,
            details=_named(token),
        )
    return token


def revoke_tokens_of(session: Session, user: User, *, now: datetime | None = None) -> int:
    """Revoke every live token of ``user`` (its role or rights changed: a token acts with
    the owner's role, and a tool given one for the former role must not keep it). Returns
    how many were revoked; the caller audits the change that ends them."""
    now = now or utcnow()
    return session.execute(
        update(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, the newest first (the admin's list)."""
    return list(
        session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    )
