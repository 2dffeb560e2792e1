"""Accounts: users, roles, passwords, login throttle, invitations. No HTTP here."""

from connectences.accounts.audit import audit
from connectences.accounts.passwords import hash_password, password_problem, verify_password
from connectences.accounts.users import (
    AccountError,
    AccountLocked,
    InvitationInvalid,
    LoginRefused,
    accept_invitation,
    authenticate,
    change_password,
    create_user,
    disable,
    enable,
    find_invitation,
    invitation_hours,
    invitation_link,
    invite,
    normalise_email,
    queue_invitation_mail,
    reauthenticate,
    request_password_reset,
)

__all__ = [
    "AccountError",
    "AccountLocked",
    "InvitationInvalid",
    "LoginRefused",
    "accept_invitation",
    "audit",
    "authenticate",
    "change_password",
    "create_user",
    "disable",
    "enable",
    "find_invitation",
    "hash_password",
    "invitation_hours",
    "invitation_link",
    "invite",
    "normalise_email",
    "password_problem",
    "queue_invitation_mail",
    "reauthenticate",
    "request_password_reset",
    "verify_password",
]
