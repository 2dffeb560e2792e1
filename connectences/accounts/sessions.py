"""Login sessions kept on the server: idle and absolute lifetimes, logout that sticks,
and "recent login" for sensitive actions. No HTTP here: the web layer keeps the token
in its signed cookie and passes it in.

A session is valid while its row is not ended, was used within the idle lifetime and
was opened within the absolute lifetime. Ending the row (logout) makes every copy of
the cookie anonymous, which a signed client-side cookie alone cannot do.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from connectences.models import LoginSession, User, utcnow


def account_binding(user) -> str:
    """A fingerprint of the account a session was opened for (id and address).

    Flask-Login names the user by id; an id is handed out again once its row is
    deleted (a person erasing their profile), so a session left open elsewhere must
    also match the account itself, or it would become the next account with that id.
    """
    return hashlib.sha256(f"{user.id}:{(user.email or '').lower()}".encode()).hexdigest()[:32]


# A session's last use is written at most this often (one write a minute, not per page).
TOUCH_SECONDS = 60


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lives unused, at most, and how recent a login sensitive
    actions want (minutes; from the IDLE/ABSOLUTE/RECENT settings of config.py)."""

    idle_minutes: float
    absolute_minutes: float
    recent_login_minutes: float

    @classmethod
    def from_config(cls, config) -> Lifetimes:
        return cls(
            idle_minutes=float(config["SESSION_IDLE_MINUTES"]),
            absolute_minutes=float(config["SESSION_ABSOLUTE_MINUTES"]),
            recent_login_minutes=float(config["RECENT_LOGIN_MINUTES"]),
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, user: User, *, now: datetime | None = None) -> str:
    """Start a session for ``user`` (just authenticated); return its token for the cookie."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            authenticated_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


# Read on every request of a logged-in person: built once (its SQL is cached by it).
_SESSION_AND_USER = (
    select(LoginSession, User)
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.token_hash == bindparam("token_hash"))
)


def live_session(
    session: Session,
    token: str | None,
    user_id: int,
    lifetimes: Lifetimes,
    *,
    now: datetime | None = None,
) -> tuple[LoginSession, User] | None:
    """The session of ``token`` and its account, if the session belongs to ``user_id``
    and is still alive, else None. One statement reads both: every page needs them."""
    if not token:
        return None
    now = now or utcnow()
    found = session.execute(_SESSION_AND_USER, {"token_hash": _hash(token)}).first()
    if found is None:
        return None
    row, user = found
    if row.user_id != user_id or row.ended_at is not None:
        return None
    if now - row.last_seen_at > timedelta(minutes=lifetimes.idle_minutes):
        return None
    if now - row.created_at > timedelta(minutes=lifetimes.absolute_minutes):
        return None
    return row, user


def touch(row: LoginSession, *, now: datetime | None = None) -> bool:
    """Record a use of the session (for the idle lifetime); True when the row changed."""
    now = now or utcnow()
    if now - row.last_seen_at < timedelta(seconds=TOUCH_SECONDS):
        return False
    row.last_seen_at = now
    return True


def end_session(session: Session, token: str | None, *, now: datetime | None = None) -> None:
    """End the session of ``token`` (logout): its cookie, wherever copied, stops working."""
    if not token:
        return
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == _hash(token)))
    if row is not None and row.ended_at is None:
        row.ended_at = now or utcnow()


def end_sessions_of(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    """End every open session of an account (its role or rights changed): each browser
    logged in as it is anonymous at its next request. Returns how many were open."""
    return session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def login_is_recent(
    row: LoginSession | None, lifetimes: Lifetimes, *, now: datetime | None = None
) -> bool:
    """Whether the password was given within ``recent_login_minutes`` in this session."""
    if row is None:
        return False
    now = now or utcnow()
    return now - row.authenticated_at <= timedelta(minutes=lifetimes.recent_login_minutes)


def confirm_password_given(row: LoginSession, *, now: datetime | None = None) -> None:
    """The person has just typed their password again in this session."""
    row.authenticated_at = now or utcnow()


def purge_sessions(session: Session, lifetimes: Lifetimes, *, now: datetime) -> int:
    """Delete sessions that can no longer be used (ended, idle or too old); the count."""
    oldest = now - timedelta(minutes=lifetimes.absolute_minutes)
    idle = now - timedelta(minutes=lifetimes.idle_minutes)
    return session.execute(
        delete(LoginSession).where(
            or_(
                LoginSession.ended_at.is_not(None),
                LoginSession.created_at < oldest,
                LoginSession.last_seen_at < idle,
            )
        )
    ).rowcount
