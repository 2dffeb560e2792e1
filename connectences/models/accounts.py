"""Users, roles, invitations and the login throttle."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from connectences.models.base import Base, sort_name_column, utcnow
from connectences.models.companies import Company
from connectences.models.organisations import Operator, Partner
from connectences.text import sort_key

user_company = Table(
    "user_company",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("company_id", ForeignKey("company.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    # A work phone an animateur chooses to show companies (the public home lists the
    # animateurs who gave one).
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)
    # An intercommunality officer's choice to receive the observatory's monthly report by
    # e-mail (``jobs.tasks.monthly_digest``); they read it on the observatory either way.
    monthly_report: Mapped[bool] = mapped_column(default=True, server_default=true())
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    epci_siren: Mapped[str | None] = mapped_column(ForeignKey("epci.siren"))
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    # Bumped on password change or disable, so that old sessions stop working.
    session_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # What lists sort by: the name the pages show (the full name, else the address), kept
    # in step with both (``listing.sort_key``). A few dozen accounts: no index.
    sort_name: Mapped[str] = sort_name_column()

    @validates("full_name", "email")
    def _set_sort_name(self, key: str, value: str | None) -> str | None:
        full_name = value if key == "full_name" else self.full_name
        email = value if key == "email" else self.email
        self.sort_name = sort_key(full_name or email)
        return value

    operator: Mapped[Operator | None] = relationship()
    partner: Mapped[Partner | None] = relationship()
    companies: Mapped[list[Company]] = relationship(secondary=user_company)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class ApiToken(Base):
    """A personal API token an admin issued to a user: only a hash of its secret is kept
    (the secret is shown once, when issued); it acts with its owner's role and scope."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the secret, hex: the secret is 256 random bits, so a fast hash is enough.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Invitation(Base):
    """A single-use, expiring link to set a password. Only the token's hash is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20), default="invitation")  # or "reset"
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed-login counter per key ("pair:<email>|ip:<address>", "account:<email>" or
    "ip:<address>": ``accounts.throttle.LoginPolicies``), shared by all workers."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]


class LoginSession(Base):
    """One logged-in browser: what makes its cookie valid, for how long.

    The session cookie names this row by a random token (only its hash is stored);
    logging out ends the row, so a copy of the cookie replayed later is anonymous.
    ``authenticated_at`` is when the password was last given (sensitive actions ask
    for it again when that is too old); ``last_seen_at`` feeds the idle lifetime.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    authenticated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
