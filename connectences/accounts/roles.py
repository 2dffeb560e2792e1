"""Changing an account's role: a person moves from one organisation or job to another
(an animateur becomes an operator's employee, a company account is handed to the
territory's officer) and keeps their address and password.

A role decides what the account reaches, so the change is made whole or not at all: the
organisation the new role needs is given in the same step (``users.attach_organisation``,
the rule of account creation), what the former role belonged to is let go, every open
session of the account ends and its API tokens are revoked (both acted with the former
role), and the audit log says who changed what. An administrator never changes their own
role, and the last administrator who can log in never loses theirs. Disabling an account
ends its access the same way (``disable``). No HTTP here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from connectences.accounts.api_tokens import revoke_tokens_of
from connectences.accounts.audit import audit
from connectences.accounts.passwords import CLOSED_HASH
from connectences.accounts.sessions import end_sessions_of
from connectences.accounts.users import (
    AccountError,
    attach_organisation,
    check_role,
    end_reset_links,
    invite,
    keep_a_working_admin,
    role_label,
    user_by_email,
)
from connectences.models import Candidate, User, utcnow


def organisation_ref(session: Session, user: User) -> str | None:
    """What the account belongs to, as the command line and the admin type it: the ref of
    its operator, partner or candidate profile, its companies' refs (comma-separated), or
    its intercommunality's SIREN; None when nothing."""
    if user.operator is not None:
        return user.operator.ref
    if user.partner is not None:
        return user.partner.ref
    if user.companies:
        return ",".join(company.ref for company in user.companies)
    if user.epci_siren:
        return user.epci_siren
    if user.candidate_id is not None:
        candidate = session.get(Candidate, user.candidate_id)
        return candidate.ref if candidate is not None else None
    return None


def invite_again(session: Session, user: User, actor: User | None) -> str:
    """Send an account never opened a new invitation (``users.invite``: the earlier links
    stop working) for its role and organisation as they stand, nothing typed again.
    Returns the token. AccountError (French) once its password is chosen."""
    if user.password_hash:
        raise AccountError(
            f"{user.email} a déjà choisi son mot de passe : son invitation a servi, il n'y a "
            "rien à renvoyer.",
            field="email",
        )
    return invite(session, user.email, user.role, organisation_ref(session, user), actor)


def _rights(user: User) -> tuple:
    """What decides what the account reaches: its role and each of its attachments."""
    return (
        user.role,
        user.operator.id if user.operator is not None else None,
        user.partner.id if user.partner is not None else None,
        tuple(sorted(company.id for company in user.companies)),
        user.epci_siren,
        user.candidate_id,
    )


def _let_go(user: User) -> None:
    """Detach the account from whatever its former role belonged to."""
    user.operator = None
    user.partner = None
    user.companies = []
    user.epci_siren = None
    user.candidate_id = None


def _end_access(session: Session, user: User, now: datetime) -> tuple[int, int]:
    """End what the account acted with until now: its open sessions (those on other
    workers too, by ``session_version``), its live API tokens and its password-reset
    links not used yet (a link read by someone else must not outlive a disabling: the
    account re-enabled within its 2 hours, it would set a password still). Returns how
    many sessions ended and tokens were revoked, for the audit of the change."""
    user.session_version += 1
    end_reset_links(session, user, now)
    return end_sessions_of(session, user.id, now=now), revoke_tokens_of(session, user, now=now)


def close_password(
    session: Session, user: User, *, actor: User | None = None, now: datetime | None = None
) -> None:
    """Make the account's password unusable and end what it acted with (sessions,
    tokens): whoever knew the password can no longer log in; its owner chooses a new one
    through "mot de passe oublié", mailed to the account's address (the mail says why:
    ``passwords.CLOSED_HASH`` tells a closed password from one never chosen). ``actor``:
    the staff member who closed it for its owner (none: the owner, from their space).
    The caller commits."""
    user.password_hash = CLOSED_HASH
    ended, revoked = _end_access(session, user, now or utcnow())
    audit(
        session,
        "password_closed",
        actor=actor,
        entity="user",
        entity_id=user.id,
        details={"sessions_ended": ended, "tokens_revoked": revoked},
    )


def change_role(
    session: Session,
    email: str,
    role: str,
    org_ref: str | None = None,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> User:
    """Give the account of ``email`` the role ``role``, attached to ``org_ref`` (what
    ``create_user`` takes: operator, partner or candidate ref, company refs, SIREN).

    The same role with another organisation is a change too (an operator's employee
    moving to another groupement). Its sessions end and its API tokens are revoked; the
    public phone of a former animateur is removed. Raises AccountError (French, with
    ``field`` for the role or the organisation) and changes nothing when refused: an
    unknown role, a missing or unknown organisation, nothing to change, one's own
    account (``actor``), or the last working administrator. The caller commits."""
    user = user_by_email(session, email)
    check_role(role)
    if actor is not None and actor.id == user.id:
        raise AccountError(
            "Vous ne pouvez pas changer le rôle de votre propre compte : demandez-le à un "
            "autre administrateur.",
            field="role",
        )
    before = _rights(user)
    former_role, former_ref = user.role, organisation_ref(session, user)
    if role != "admin":
        keep_a_working_admin(
            session,
            user,
            f"Le compte {user.email} est le dernier administrateur actif : il ne peut pas "
            "changer de rôle. Créez ou réactivez d'abord un autre administrateur.",
        )
    _let_go(user)
    attach_organisation(session, user, role, org_ref)
    user.role = role
    if _rights(user) == before:
        raise AccountError(
            f"Le compte {user.email} a déjà le rôle « {role_label(role)} » avec cette "
            "organisation : il n'y a rien à changer.",
            field="role",
        )
    if role != "animateur":
        user.phone = None  # shown to companies on the public home as an animateur's only
    ended, revoked = _end_access(session, user, now or utcnow())
    session.flush()
    audit(
        session,
        "user_role_changed",
        actor=actor,
        entity="user",
        entity_id=user.id,
        details={
            key: value
            for key, value in {
                "email": user.email,
                "role_before": former_role,
                "role": role,
                "organisation_before": former_ref,
                "organisation": organisation_ref(session, user),
                "sessions_ended": ended,
                "tokens_revoked": revoked,
            }.items()
            if value is not None  # an admin's or animateur's "no organisation" says nothing
        },
    )
    return user


def disable(session: Session, email: str, *, actor: User | None = None) -> User:
    """Disable an account: its open sessions end, its API tokens are revoked and its
    reset links stop working, for good (re-enabling it brings back none of them: the
    secret may be in the hands it was disabled for; the admin issues a new token, the
    owner asks for a new link).

    The last administrator who can log in is never disabled, whoever asks (the web or
    the command line): nobody could then manage accounts, tokens or failed mails."""
    user = user_by_email(session, email)
    if actor is not None and actor.id == user.id:
        raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
    if not user.active:
        # Sent twice (a second tab, a second admin): nothing left to end, nothing to log.
        raise AccountError(f"Le compte {user.email} est déjà désactivé.")
    keep_a_working_admin(
        session,
        user,
        f"Le compte {user.email} est le dernier administrateur actif : il ne peut "
        "pas être désactivé. Créez ou réactivez d'abord un autre administrateur.",
    )
    user.active = False
    ended, revoked = _end_access(session, user, utcnow())
    audit(
        session,
        "user_disabled",
        actor=actor,
        entity="user",
        entity_id=user.id,
        details={"sessions_ended": ended, "tokens_revoked": revoked},
    )
    return user
