"""Account rules: creation, login, invitations, disabling, password change.

Functions take the SQLAlchemy session and leave the commit to the caller, so a
view or a command does its whole change in one transaction. ``authenticate`` is
the exception: a failed login must be counted even though it raises.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Row, Select, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from connectences import config, locks
from connectences.accounts import throttle
from connectences.accounts.audit import audit
from connectences.accounts.passwords import (
    CLOSED_HASH,
    hash_password,
    is_closed,
    needs_rehash,
    password_problem,
    verify_password,
)
from connectences.contacts import (
    InvalidEmail,
    InvalidPhone,
    clean_email,
    clean_phone,
    email_key,
    email_refusal,
)
from connectences.db_session import stamp_once
from connectences.errors import DomainError
from connectences.listing import (
    ListFilters,
    Refusal,
    choice_reader,
    every_word_somewhere,
    text_arg,
    text_search,
)
from connectences.mail.kinds import MailKind
from connectences.mail.outbox import platform_reply_to, queue_mail
from connectences.models import (
    Candidate,
    Company,
    Epci,
    Invitation,
    Operator,
    Partner,
    User,
    utcnow,
)
from connectences.typography import plural
from connectences.urls import external_url
from connectences.vocab import ROLES


class AccountError(DomainError):
    """An account operation refused, with a message in French for the person; ``field``
    names what it is about (email, role, org_ref, password, current) when it is one
    field of a form."""

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(message, errors={field: message} if field else None)


class LoginRefused(AccountError):
    """Wrong address or password (one message for both: no account enumeration).

    ``forgot`` (the default refusal): the page points to « Mot de passe oublié », the way
    forward for a forgotten password and for a closed one alike (``roles.close_password``),
    so the answer for an unknown address and for a closed account is the same."""

    def __init__(
        self, message: str = "Adresse e-mail ou mot de passe incorrect.", *, forgot: bool = True
    ):
        super().__init__(message)
        self.forgot = forgot


class AccountLocked(AccountError):
    """Too many failures for this account or this address: locked for a while."""

    def __init__(self, until: datetime, now: datetime | None = None):
        minutes = max(1, math.ceil((until - (now or utcnow())).total_seconds() / 60))
        super().__init__(
            "Trop de tentatives de connexion infructueuses. Par sécurité, la connexion "
            f"est bloquée pendant encore {minutes} minute{'s' if minutes > 1 else ''}. "
            "Réessayez plus tard ou contactez l'administrateur."
        )
        self.until = until


class InvitationInvalid(AccountError):
    """The invitation link is unknown, already used or expired; ``reset`` when it was a
    password-reset link (its page names it so, and leads to « Mot de passe oublié »)."""

    def __init__(self, message: str | None = None, *, reset: bool = False):
        super().__init__(message)
        self.reset = reset


def normalise_email(email: str | None) -> str:
    """``contacts.clean_email`` for account operations: the stored form, AccountError (French)
    when empty or invalid."""
    try:
        address = clean_email(email)
    except InvalidEmail as refusal:
        usual = f"L'adresse e-mail « {(email or '').strip()} » n'est pas valide."
        raise AccountError(email_refusal(refusal, usual), field="email") from None
    if address is None:
        raise AccountError("L'adresse e-mail est obligatoire.", field="email")
    return address


def role_label(role: str) -> str:
    """The French name of a role ("Opérateur"), the key itself when unknown."""
    return ROLES.get(role, role)


def check_role(role: str) -> None:
    if role not in ROLES:
        choices = ", ".join(f"{key} ({label})" for key, label in ROLES.items())
        raise AccountError(f"Rôle inconnu « {role} ». Rôles possibles : {choices}.", field="role")


def _organisation(session: Session, model, ref: str | None, of_the: str, none: str):
    """The operator or partner with reference ``ref`` an account belongs to; the French
    refusal (``of_the``: "de l'opérateur", ``none``: "Aucun opérateur") otherwise."""
    if not ref:
        raise AccountError(
            f"Indiquez la référence {of_the} auquel ce compte appartient.", field="org_ref"
        )
    found = session.scalar(select(model).where(model.ref == ref))
    if found is None:
        raise AccountError(f"{none} n'a la référence « {ref} ».", field="org_ref")
    return found


def _epci_siren(session: Session, ref: str | None) -> str:
    """The SIREN of an existing intercommunality typed as ``ref``; AccountError otherwise."""
    siren = re.sub(r"\s+", "", ref or "")
    if not siren:
        raise AccountError("Indiquez le SIREN de l'intercommunalité de ce compte.", field="org_ref")
    if not re.fullmatch(r"\d{9}", siren):
        raise AccountError(f"« {ref} » n'est pas un SIREN : il faut 9 chiffres.", field="org_ref")
    if session.get(Epci, siren) is None:
        raise AccountError(f"Aucune intercommunalité n'a le SIREN {siren}.", field="org_ref")
    return siren


def attach_organisation(session: Session, user: User, role: str, org_ref: str | None) -> None:
    """Link the user to what its role belongs to, checking that it exists."""
    ref = (org_ref or "").strip() or None
    if role == "animateur":
        # Optional: the intercommunality the animateur follows (call-back requests from
        # its companies go to them, content/callbacks.py); none means the whole Pays.
        user.epci_siren = _epci_siren(session, ref) if ref else None
        return
    if role == "admin":
        if ref:
            raise AccountError(
                f"Le rôle « {role_label(role)} » n'est rattaché à aucune organisation : "
                "n'indiquez pas de référence.",
                field="org_ref",
            )
        return
    if role == "operator":
        user.operator = _organisation(session, Operator, ref, "de l'opérateur", "Aucun opérateur")
    elif role == "partner":
        user.partner = _organisation(session, Partner, ref, "du partenaire", "Aucun partenaire")
    elif role == "company":
        refs = [part.strip() for part in (ref or "").split(",") if part.strip()]
        if not refs:
            raise AccountError(
                "Indiquez la référence de l'entreprise (ou des entreprises, séparées par des "
                "virgules) dont ce compte est responsable.",
                field="org_ref",
            )
        companies = []
        for company_ref in refs:
            company = session.scalar(select(Company).where(Company.ref == company_ref))
            if company is None:
                raise AccountError(
                    f"Aucune entreprise n'a la référence « {company_ref} ».", field="org_ref"
                )
            companies.append(company)
        user.companies = companies
    elif role == "territoire":
        user.epci_siren = _epci_siren(session, ref)
    elif role == "candidate":
        if ref:
            candidate = session.scalar(select(Candidate).where(Candidate.ref == ref))
            if candidate is None:
                raise AccountError(f"Aucun candidat n'a la référence « {ref} ».", field="org_ref")
        else:
            # A person already in the CV library gets their profile under the same address.
            candidate = session.scalar(select(Candidate).where(Candidate.email == user.email))
        if candidate is not None:
            user.candidate_id = candidate.id


def organisation_problem(session: Session, role: str, org_ref: str | None) -> str | None:
    """What :func:`attach_organisation` would refuse of ``org_ref`` for an account of
    ``role`` (French), or None (also for a role not in the list), changing nothing: the
    invitation form says it with its other fields' errors, not on the next send."""
    if role not in ROLES:
        return None
    try:
        # A transient account: User's links to organisations have no backref, so nothing
        # of it reaches the session.
        with session.no_autoflush:
            attach_organisation(session, User(), role, org_ref)
    except AccountError as refusal:
        return refusal.message
    return None


def create_user(
    session: Session,
    email: str,
    role: str,
    *,
    password: str | None = None,
    org_ref: str | None = None,
    full_name: str | None = None,
    actor: User | None = None,
) -> User:
    """Create an account of a role, attached to its organisation (operator, partner,
    company refs, EPCI SIREN, or candidate ref). Without a password the account
    cannot log in until an invitation sets one. Raises AccountError (French)."""
    address = normalise_email(email)
    check_role(role)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise AccountError(f"Un compte existe déjà pour l'adresse {address}.", field="email")
    if password is not None:
        problem = password_problem(password, email=address)
        if problem:
            raise AccountError(problem, field="password")
    user = User(email=address, role=role, full_name=(full_name or "").strip() or None)
    attach_organisation(session, user, role, org_ref)
    if password is not None:
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    audit(
        session,
        "user_created",
        actor=actor,
        entity="user",
        entity_id=user.id,
        details={"email": address, "role": role},
    )
    return user


# What a lock audited says was locked, in the order of ``LoginPolicies.keys``.
_LOCK_LABELS = ("compte depuis cette adresse", "compte depuis toutes les adresses", "adresse")


def _typed_password_holds(
    session: Session,
    address: str,
    user: User | None,
    password: str,
    ip: str | None,
    now: datetime,
    *,
    action: str,
    policies: throttle.LoginPolicies | None = None,
) -> bool:
    """The one rule for a password typed for an account: at the login page, when it is
    asked again before a sensitive action, and on the CV space's address change.

    Refused (``AccountLocked``, audited ``<action>_refused_locked`` and committed) while
    the account is locked from this address, the account everywhere, or this address
    (``throttle.LoginPolicies``). True when the password is ``user``'s: the failures of
    the account from this address are forgotten, the caller goes on and commits. False
    when it is not: one failure counted under each key, audited ``<action>_failed`` and
    committed; ``AccountLocked`` when that failure locked one of them. The statements are
    the same whether ``address`` has an account or not (``user`` None), so is the hashing
    time."""
    policies = policies or throttle.LoginPolicies.from_config()
    keys = policies.keys(address, ip)
    until = throttle.locked_until(session, [key for key, _ in keys], now)
    if until is not None:
        audit(session, f"{action}_refused_locked", actor=user, ip=ip)
        session.commit()
        raise AccountLocked(until, now)
    if verify_password(user.password_hash if user else None, password or "") and user:
        throttle.clear(session, keys[0][0], now)
        return True
    locked = [
        label
        for (key, policy), label in zip(keys, _LOCK_LABELS, strict=True)
        if throttle.record_failure(session, key, policy, now)
    ]
    # The attempted address is kept only for known accounts: a stranger's typo may be a password.
    audit(
        session, f"{action}_failed", actor=user, ip=ip, details={"known_account": user is not None}
    )
    if locked:
        audit(session, "login_lockout", actor=user, ip=ip, details={"keys": locked})
    session.commit()
    if locked:
        raise AccountLocked(now + timedelta(seconds=policies.pair.lock_seconds), now)
    return False


def authenticate(
    session: Session,
    email: str,
    password: str,
    ip: str | None,
    *,
    policies: throttle.LoginPolicies | None = None,
) -> User:
    """Check a login. Returns the user, or raises LoginRefused / AccountLocked.

    Failures are counted and locked by ``_typed_password_holds`` (committed here, even
    when the login is refused). An unknown address costs the same statements and
    hashing time as a known one.
    """
    now = utcnow()
    address = email_key(email) or ""
    user = session.scalar(select(User).where(User.email == address)) if address else None
    if not _typed_password_holds(
        session, address, user, password, ip, now, action="login", policies=policies
    ):
        raise LoginRefused()
    if not user.active:
        audit(session, "login_refused_disabled", actor=user, ip=ip)
        session.commit()
        raise LoginRefused("Ce compte est désactivé. Contactez l'administrateur.", forgot=False)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    audit(session, "login", actor=user, ip=ip)
    session.commit()
    return user


def reauthenticate(
    session: Session,
    user: User,
    password: str,
    ip: str | None,
    *,
    policies: throttle.LoginPolicies | None = None,
) -> None:
    """Check the password of a logged-in user, asked again before a sensitive action
    (and on the CV space's address change of a profile with an account).

    The same rule as ``authenticate`` (``_typed_password_holds``): failures committed here;
    raises LoginRefused or AccountLocked.
    """
    if not _typed_password_holds(
        session, user.email, user, password, ip, utcnow(), action="reauth", policies=policies
    ):
        raise LoginRefused("Mot de passe incorrect.")
    audit(session, "reauthenticated", actor=user, ip=ip)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_link(token: str) -> str:
    """The absolute link a person follows to set their password."""
    return external_url("auth.invitation", token=token)


def invitation_hours() -> int:
    """Whole hours an invitation link lasts (``INVITATION_TTL_HOURS``): the link expires
    when its mail says it does (a fractional setting is cut to the hour, both places)."""
    return config.integer("INVITATION_TTL_HOURS")


def invite(
    session: Session,
    email: str,
    role: str,
    org_ref: str | None,
    invited_by: User | None,
    *,
    ttl_hours: int | None = None,
) -> str:
    """Create (or reuse, while it has no password) an account and a single-use,
    expiring invitation. Returns the token; only its SHA-256 is stored."""
    # An account already stored is found as stored (an accented name before the @, from
    # before the rule); a new one takes the rule of every new address.
    user = stored_account(session, email)
    address = user.email if user is not None else normalise_email(email)
    check_role(role)
    now = utcnow()
    if user is None:
        user = create_user(session, address, role, org_ref=org_ref, actor=invited_by)
    else:
        if user.password_hash:
            raise AccountError(f"Un compte existe déjà pour l'adresse {address}.", field="email")
        if user.role != role:
            raise AccountError(
                f"Un compte en attente existe déjà pour {address} avec le rôle "
                f"« {role_label(user.role)} ».",
                field="email",
            )
        if not user.active:
            raise AccountError(
                f"Le compte en attente de {address} est désactivé : réactivez-le d'abord "
                "(son lien ne fonctionnerait pas).",
                field="email",
            )
        # Never used: the organisation of the latest invitation is the account's (an
        # invitation sent again to correct it left the first one in place).
        attach_organisation(session, user, role, org_ref)
        # A new link replaces the earlier ones: only the latest works.
        session.execute(
            update(Invitation)
            .where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
    if ttl_hours is None:
        ttl_hours = invitation_hours()
    token = secrets.token_urlsafe(32)
    session.add(
        Invitation(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=now + timedelta(hours=ttl_hours),
        )
    )
    audit(
        session,
        "invitation_sent",
        actor=invited_by,
        entity="user",
        entity_id=user.id,
        details={"role": role},
    )
    session.flush()
    return token


def queue_invitation_mail(session: Session, email: str, token: str) -> None:
    """Queue the invitation mail (outbox, same transaction as the invitation)."""
    hours = plural(invitation_hours(), "heure")
    platform = config.setting("PLATFORM_NAME")
    queue_mail(
        session,
        kind=MailKind.ACCOUNT_INVITATION,
        to=email_key(email),
        # queue_mail puts the platform's name before every subject: not twice.
        subject="Votre invitation",
        body_text=(
            "Bonjour,\n\n"
            f"Un compte a été créé pour vous sur {platform}, la plateforme des besoins en "
            "compétences à temps partagé du Pays Bassin d'Arcachon–Val de l'Eyre.\n\n"
            f"Pour choisir votre mot de passe, ouvrez ce lien (valable {hours}, "
            f"utilisable une seule fois) :\n{invitation_link(token)}\n\n"
            "Si vous n'attendiez pas ce message, ignorez-le.\n"
        ),
        # "Why this account?" reaches the team, not the no-reply sender.
        reply_to=platform_reply_to(),
    )


# A reset link is short-lived, and one address gets a few a day at most (no flooding).
RESET_TTL_HOURS = 2
MAX_RESETS_PER_DAY = 3


def _end_links(session: Session, user: User, now: datetime | None, *purposes: str) -> None:
    """Stamp the links of ``user`` not used yet (of these ``purposes``, every one when
    none is named) as used: they stop working."""
    unused = [Invitation.user_id == user.id, Invitation.used_at.is_(None)]
    if purposes:
        unused.append(Invitation.purpose.in_(purposes))
    session.execute(
        update(Invitation)
        .where(*unused)
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def end_reset_links(session: Session, user: User, now: datetime | None = None) -> None:
    """Make the reset links of ``user`` not used yet stop working (a newer one is sent, or
    the password was changed: a link read by someone else must not outlive either)."""
    _end_links(session, user, now, "reset")


def end_mailed_links(session: Session, user: User, now: datetime | None = None) -> None:
    """Make every link mailed to the account's address and not used yet stop working
    (password reset and invitation alike): its login address changed, and whoever reads
    the former mailbox must not choose the password of the account it now names."""
    _end_links(session, user, now)


def _reset_mail_text(user: User, token: str) -> str:
    """The reset mail: the link, and for a closed password what closed it."""
    account = f"{config.setting('PLATFORM_NAME')} {user.email}"
    link = (
        f"Pour choisir un nouveau mot de passe, ouvrez ce lien (valable {RESET_TTL_HOURS} "
        f"heures, utilisable une seule fois) :\n{invitation_link(token)}\n\n"
    )
    if is_closed(user.password_hash):
        return (
            "Bonjour,\n\n"
            "Quelqu'un (vous, sans doute) a demandé un nouveau mot de passe pour votre compte "
            f"{account}.\n\n"
            "L'ancien mot de passe de ce compte ne fonctionne plus : il a été désactivé en "
            "même temps que les liens personnels de votre profil (« Désactiver mes anciens "
            "liens »), au cas où quelqu'un d'autre l'aurait choisi avec l'un de ces liens. "
            "C'est pourquoi la connexion disait « mot de passe incorrect ».\n\n"
            f"{link}"
            "Si vous n'avez rien demandé, ignorez ce message : personne ne peut se connecter "
            "à votre compte tant que vous n'avez pas choisi de nouveau mot de passe.\n"
        )
    return (
        "Bonjour,\n\n"
        "Quelqu'un (vous, sans doute) a demandé à changer le mot de passe de votre compte "
        f"{account}.\n\n"
        f"{link}"
        "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste le même.\n"
    )


def request_password_reset(session: Session, email: str, ip: str | None = None) -> str | None:
    """Queue a password-reset link for the active account with a password at ``email``,
    or whose password was closed (``roles.close_password``: this link is its way back, and
    its mail says what happened).

    Returns the token, or None when nothing was sent (unknown, disabled or never
    activated account, or the daily limit reached): the caller answers the same either
    way, so the page tells nobody whether an address has an account. Earlier unused
    reset links stop working.
    """
    user = stored_account(session, email)  # not an address: none, as an unknown one
    if user is None or not user.active or not user.password_hash:
        return None
    now = utcnow()
    recent = session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.user_id == user.id,
            Invitation.purpose == "reset",
            Invitation.created_at >= now - timedelta(hours=24),
        )
    )
    if recent >= MAX_RESETS_PER_DAY:
        return None
    end_reset_links(session, user, now)
    token = secrets.token_urlsafe(32)
    session.add(
        Invitation(
            user_id=user.id,
            token_hash=_token_hash(token),
            purpose="reset",
            expires_at=now + timedelta(hours=RESET_TTL_HOURS),
        )
    )
    queue_mail(
        session,
        kind=MailKind.PASSWORD_RESET,
        to=user.email,
        subject="Choisir un nouveau mot de passe",
        body_text=_reset_mail_text(user, token),
        # "I did not ask for this" reaches the team, not the no-reply sender.
        reply_to=platform_reply_to(),
    )
    audit(session, "password_reset_requested", entity="user", entity_id=user.id, ip=ip)
    session.flush()
    return token


def find_invitation(session: Session, token: str) -> Invitation:
    """The valid invitation of a token, or InvitationInvalid saying why (French)."""
    invitation = None
    if token and len(token) <= 200:
        invitation = session.scalar(
            select(Invitation).where(Invitation.token_hash == _token_hash(token))
        )
    if invitation is None:
        raise InvitationInvalid(
            "Ce lien d'invitation n'est pas valable. Vérifiez qu'il a été copié en entier."
        )
    spent = invitation.used_at is not None or invitation.expires_at <= utcnow()
    if invitation.purpose == "reset" and spent:
        raise InvitationInvalid(
            "Ce lien de changement de mot de passe n'est plus valable (déjà utilisé, "
            "remplacé par un plus récent ou expiré). Demandez-en un nouveau depuis la page "
            "« Mot de passe oublié ».",
            reset=True,
        )
    if invitation.used_at is not None:
        raise InvitationInvalid(
            "Ce lien d'invitation a déjà servi. Connectez-vous avec votre mot de passe, "
            "ou demandez une nouvelle invitation à l'administrateur."
        )
    if invitation.expires_at <= utcnow():
        raise InvitationInvalid(
            "Ce lien d'invitation a expiré. Demandez une nouvelle invitation à l'administrateur."
        )
    if not invitation.user.active:
        raise InvitationInvalid("Ce compte est désactivé. Contactez l'administrateur.")
    return invitation


def accept_invitation(session: Session, token: str, password: str, ip: str | None = None) -> User:
    """Set the password of an invited account; the link then stops working."""
    invitation = find_invitation(session, token)
    problem = password_problem(password, email=invitation.user.email)
    if problem:
        raise AccountError(problem, field="password")
    # Two simultaneous submissions cannot both use the link.
    if not stamp_once(session, invitation, "used_at", used_at=utcnow()):
        raise InvitationInvalid("Ce lien a déjà servi.", reset=invitation.purpose == "reset")
    user = invitation.user
    user.password_hash = hash_password(password)
    user.session_version += 1
    # A new password: the failures counted against the old one, and the locks they set
    # (a stranger's included), no longer stand between the owner and the login page.
    throttle.forget_account(session, user.email)
    audit(session, "invitation_accepted", actor=user, entity="user", entity_id=user.id, ip=ip)
    return user


def stored_account(session: Session, email: str | None) -> User | None:
    """The account of ``email`` as stored (compared as ``email_key``: an accented name
    before the @ stored before the rule is found too), or None."""
    address = email_key(email)
    return session.scalar(select(User).where(User.email == address)) if address else None


def user_by_email(session: Session, email: str) -> User:
    """The account of ``email`` (``stored_account``); AccountError (French) when none."""
    user = stored_account(session, email)
    if user is None:
        address = email_key(email)
        raise AccountError(f"Aucun compte n'existe pour l'adresse {address or '(vide)'}.")
    return user


# The lock every disabling of an administrator takes (``locks.hold``): two admins
# disabling each other at the same moment would each still see the other one active.
ADMINS_LOCK = "accounts.admins"
ADMINS_LOCK_WAIT_SECONDS = 10


def _other_working_admins(session: Session, user: User) -> int:
    """Active administrators other than ``user`` who can log in (an invitation not yet
    accepted gives nobody access)."""
    return session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.role == "admin",
            User.active.is_(True),
            User.password_hash.is_not(None),
            User.password_hash != CLOSED_HASH,
            User.id != user.id,
        )
    )


def keep_a_working_admin(session: Session, user: User, refusal: str) -> None:
    """Refuse (AccountError, ``refusal`` in French) to take the administrator role away
    from ``user``, by disabling the account or changing its role, when no other
    administrator who can log in would be left. Holds ``ADMINS_LOCK`` for the rest of the
    transaction: two admins removing each other at once would each see the other."""
    if user.role != "admin" or not user.active:
        return
    if not locks.hold(session, ADMINS_LOCK, wait_seconds=ADMINS_LOCK_WAIT_SECONDS):
        raise AccountError(
            "Un autre compte administrateur est en train d'être modifié : réessayez "
            "dans un instant."
        )
    if _other_working_admins(session, user) == 0:
        raise AccountError(refusal)


def set_public_phone(session: Session, user: User, phone: str | None, *, actor: User) -> User:
    """Set the work phone an animateur shows companies on the public home (empty: none,
    the animateur is then not listed). AccountError for another role or a wrong number."""
    if user.role != "animateur":
        raise AccountError("Seuls les animateurs sont présentés aux entreprises.")
    try:
        user.phone = clean_phone(phone, foreign=False)
    except InvalidPhone as exc:
        raise AccountError(str(exc)) from None
    audit(session, "user_phone", actor=actor, entity="user", entity_id=user.id)
    return user


def set_monthly_report(session: Session, user: User, wanted: bool, *, actor: User) -> bool:
    """Record whether the intercommunality officer ``user`` receives the observatory's
    monthly report by e-mail; whether it changed (nothing recorded when it did not).
    AccountError for another role: only officers are sent it."""
    if user.role != "territoire":
        raise AccountError("Seuls les comptes des intercommunalités reçoivent le rapport mensuel.")
    if user.monthly_report == wanted:
        return False
    user.monthly_report = wanted
    audit(
        session,
        "user_monthly_report",
        actor=actor,
        entity="user",
        entity_id=user.id,
        details={"monthly_report": wanted},
    )
    return True


# What the public home shows of an animateur; the page keeps these rows.
PUBLIC_ANIMATEUR_COLUMNS = (User.full_name, User.email, User.phone)
_PUBLIC_ANIMATEURS = (
    select(*PUBLIC_ANIMATEUR_COLUMNS)
    .where(User.role == "animateur", User.active.is_(True), User.phone.is_not(None))
    .order_by(User.sort_name, User.id)
)


def public_animateurs(session: Session) -> list[Row]:
    """The active animateurs who gave a phone to show companies, by name: rows of
    ``PUBLIC_ANIMATEUR_COLUMNS``, bound to no session."""
    return list(session.execute(_PUBLIC_ANIMATEURS))


def enable(session: Session, email: str, *, actor: User | None = None) -> User:
    """Re-enable a disabled account (its password is unchanged). An account already
    active is refused (AccountError): nothing is changed nor logged for a page sent twice."""
    user = user_by_email(session, email)
    if user.active:
        raise AccountError(f"Le compte {user.email} est déjà actif : il n'y a rien à réactiver.")
    user.active = True
    audit(session, "user_enabled", actor=actor, entity="user", entity_id=user.id)
    return user


def change_password(
    session: Session, user: User, current: str, new: str, ip: str | None = None
) -> None:
    """Change one's own password; every other open session of the account ends, and so
    do the reset links sent before. The current password is counted as at the login
    (``_typed_password_holds``): a stolen session cannot guess it without limit."""
    if not _typed_password_holds(
        session, user.email, user, current or "", ip, utcnow(), action="password_change"
    ):
        raise AccountError("Le mot de passe actuel est incorrect.", field="current")
    problem = password_problem(new, email=user.email)
    if problem:
        raise AccountError(problem, field="password")
    if current == new:
        raise AccountError(
            "Le nouveau mot de passe doit être différent de l'actuel.", field="password"
        )
    user.password_hash = hash_password(new)
    user.session_version += 1
    end_reset_links(session, user)
    audit(session, "password_changed", actor=user, entity="user", entity_id=user.id, ip=ip)


# The roles that run prospection: visits are theirs, and they appear in the visits filter.
PROSPECTION_ROLES = ("animateur", "admin")


# Read by every view of the visits list (its filter): built once.
_PROSPECTION_STAFF = (
    select(User).where(User.role.in_(PROSPECTION_ROLES)).order_by(User.sort_name, User.id)
)


def prospection_staff(session: Session) -> list[User]:
    """The accounts that make visits (animateurs and administrators), by name."""
    return list(session.scalars(_PROSPECTION_STAFF))


def candidate_has_account(session: Session, candidate) -> bool:
    """Whether a log-in account belongs to the candidate: tied to their profile, or holding
    their address (their login)."""
    found = session.scalar(
        select(User.id)
        .where((User.candidate_id == candidate.id) | (User.email == candidate.email))
        .limit(1)
    )
    return found is not None


# --------------------------------------------------------------------------- accounts list

# An account's state as the admin's list filters it (and shows it).
ACCOUNT_STATES: dict[str, str] = {
    "actif": "Actif",
    "invitation": "Invitation en attente",
    "desactive": "Désactivé",
}
# The accounts someone logs in with (« Actif »): not disabled, and their invitation
# accepted (a password chosen; one closed since, ``roles.close_password``, is chosen
# again by its owner through "mot de passe oublié"). Conditions for ``where(*...)``.
WORKING_ACCOUNT = (User.active.is_(True), User.password_hash.is_not(None))
# The accounts invited and never opened (« Invitation en attente »): nobody logs in with
# them yet, so nobody reads or answers anything through them.
INVITED_ACCOUNT = (User.active.is_(True), User.password_hash.is_(None))


def organisation_named(user: User) -> str | None:
    """The organisation the account acts for, as a person reads it: « GE Bassin Emploi
    (ge-bassin) », its companies one after the other; None for the platform's team."""
    named = [user.operator, user.partner, *user.companies]
    return ", ".join(f"{o.name} ({o.ref})" for o in named if o is not None) or None


def is_working(user: User | None) -> bool:
    """Whether someone logs in with ``user`` (``WORKING_ACCOUNT`` for one row already
    read): the one test of every mail whose recipient is chosen among accounts. An
    address invited and never opened was typed by the staff and never confirmed; a
    disabled account is read by nobody on the platform."""
    return user is not None and user.active and user.password_hash is not None


def invitation_pending(user: User) -> bool:
    """Whether ``user`` was invited and never opened the account (no password chosen
    yet): ``INVITED_ACCOUNT`` for one row already read."""
    return user.active and user.password_hash is None


@dataclass(frozen=True)
class AccountFilters(ListFilters):
    """The admin's accounts list: words of the address, name or organisation, role, state."""

    ARGS = {"text": "q", "role": "profil", "state": "etat"}
    text: str = ""
    role: str = ""
    state: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[AccountFilters, list[Refusal]]:
        """The filters from query arguments and the values refused (left out, and named
        by the page)."""
        errors: list[Refusal] = []
        choice = choice_reader(args, errors)
        filters = cls(
            text=text_arg(args, "q", 254),
            role=choice("profil", "Profil", ROLES, "un profil"),
            state=choice("etat", "État", ACCOUNT_STATES, "un état"),
        )
        return filters, errors

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def _account_or_organisation(typed: str) -> ColumnElement:
    """The accounts ``typed`` finds: by their address or name, or by the name or ref of
    what they belong to (operator, partner, company; an intercommunality by its name or
    SIREN), so that an organisation's members are listed by its name. Each word may be
    in either (« Hélène GE Bassin »), every word somewhere."""

    def found(word: str) -> ColumnElement:
        return or_(
            text_search((User.email, User.full_name), word),
            User.operator.has(text_search((Operator.name, Operator.ref), word)),
            User.partner.has(text_search((Partner.name, Partner.ref), word)),
            User.companies.any(text_search((Company.name, Company.ref), word)),
            User.epci_siren.in_(
                select(Epci.siren).where(text_search((Epci.name, Epci.siren), word))
            ),
        )

    return every_word_somewhere(typed, found)


def accounts_query(filters: AccountFilters) -> Select:
    """The accounts that pass ``filters``, by role then address, each with its
    organisation read in the same page (not one query per account)."""
    query = (
        select(User)
        .options(joinedload(User.operator), joinedload(User.partner), selectinload(User.companies))
        .where(_account_or_organisation(filters.text))
        .order_by(User.role, User.email)
    )
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.state == "desactive":
        query = query.where(User.active.is_(False))
    elif filters.state == "invitation":
        query = query.where(*INVITED_ACCOUNT)
    elif filters.state == "actif":
        query = query.where(*WORKING_ACCOUNT)
    return query
