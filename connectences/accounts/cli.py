"""`flask --app connectences users ...`: accounts from the command line.

On a fresh production install the first accounts come from here; the password
is read from standard input so that it never shows in the shell history.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from connectences.accounts import api_tokens, roles, users
from connectences.accounts.passwords import is_closed
from connectences.extensions import db
from connectences.models import User
from connectences.organisations import unattended
from connectences.vocab import ROLES
from connectences.web.formats import local_date

users_cli = AppGroup("users", help="Comptes utilisateurs : création, liste, rôle, désactivation.")

# Plain text rather than click.Choice, so that a wrong role gets the domain's French message.
ROLE_HELP = "Rôle du compte : " + ", ".join(ROLES) + "."


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(f"Erreur : {message}", err=True)
    sys.exit(1)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, help=ROLE_HELP)
@click.option(
    "--org",
    "org_ref",
    default=None,
    help="Référence de l'opérateur, du partenaire ou de l'entreprise ; SIREN de "
    "l'intercommunalité pour le rôle territoire.",
)
@click.option("--name", "full_name", default=None, help="Nom affiché.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Lire le mot de passe sur l'entrée standard (première ligne).",
)
def create_command(
    email: str, role: str, org_ref: str | None, full_name: str | None, password_stdin: bool
) -> None:
    """Créer un compte EMAIL avec le rôle ROLE."""
    password = None
    if password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            _fail("aucun mot de passe reçu sur l'entrée standard.")
    try:
        user = users.create_user(
            db.session,
            email,
            role.strip().lower(),
            password=password,
            org_ref=org_ref,
            full_name=full_name,
        )
        db.session.commit()
    except users.AccountError as error:
        _fail(error.message)
        return
    click.echo(f"Compte créé : {user.email} ({ROLES[user.role]}).")
    if password is None:
        click.echo(
            "Ce compte n'a pas encore de mot de passe : envoyez-lui une invitation "
            "(users invite) ou recréez-le avec --password-stdin."
        )


@users_cli.command("token")
@click.argument("email")
@click.option("--name", required=True, help="Nom du jeton (l'outil qui l'utilisera).")
@click.option(
    "--days",
    type=int,
    default=api_tokens.DEFAULT_DAYS,
    show_default=True,
    help=f"Durée de validité, de 1 à {api_tokens.MAX_DAYS} jours.",
)
def token_command(email: str, name: str, days: int) -> None:
    """Créer un jeton d'accès à l'API pour le compte EMAIL ; il n'est affiché qu'une fois."""
    try:
        token, secret = api_tokens.issue_token(
            db.session, owner_email=email, name=name, days=days, actor=None
        )
        db.session.commit()
    except users.AccountError as error:
        _fail(error.message)
        return
    click.echo(
        f"Jeton « {token.name} » créé pour {token.user.email}, valable jusqu'au "
        f"{local_date(token.expires_at)} ; notez-le, il ne sera plus affiché :",
        err=True,
    )
    click.echo(secret)


@users_cli.command("list")
def list_command() -> None:
    """Lister les comptes."""
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    if not users:
        click.echo("Aucun compte.")
        return
    for user in users:
        state = "actif" if user.active else "désactivé"
        if not user.password_hash:
            state += ", sans mot de passe"
        elif is_closed(user.password_hash):
            state += ", mot de passe désactivé"
        organisation = roles.organisation_ref(db.session, user) or "-"
        click.echo(f"{user.email}\t{ROLES.get(user.role, user.role)}\t{organisation}\t{state}")


@users_cli.command("role")
@click.argument("email")
@click.option("--role", required=True, help=ROLE_HELP)
@click.option(
    "--org", "org_ref", default=None, help="Organisation du nouveau rôle (voir users create)."
)
def role_command(email: str, role: str, org_ref: str | None) -> None:
    """Changer le rôle du compte EMAIL : ses sessions ouvertes prennent fin et ses jetons
    d'accès à l'API sont révoqués."""
    try:
        stopped = unattended.change_account_role(db.session, email, role.strip().lower(), org_ref)
        db.session.commit()
    except users.AccountError as error:
        _fail(error.message)
        return
    user = stopped.user
    organisation = roles.organisation_ref(db.session, user)
    shown = f", {organisation}" if organisation else ""
    click.echo(f"Rôle changé : {user.email} est désormais {ROLES[user.role]}{shown}.")
    click.echo("Ses sessions ouvertes ont pris fin et ses jetons d'accès à l'API sont révoqués.")
    _say_left_alone(stopped)


def _set_active(change, email: str, done: str):
    try:
        result = change(db.session, email)
        db.session.commit()
    except users.AccountError as error:
        _fail(error.message)
        return None
    user = result.user if isinstance(result, unattended.AccountStopped) else result
    click.echo(f"{done} : {user.email}.")
    return result


def _say_left_alone(stopped: unattended.AccountStopped | None) -> None:
    """What the account's operator or partner now holds with nobody to answer, when so."""
    if stopped is not None and stopped.left_alone is not None:
        click.echo(stopped.left_alone.notice)


@users_cli.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Désactiver le compte EMAIL (ses sessions ouvertes prennent fin, ses jetons d'accès à
    l'API sont révoqués ; les animateurs sont prévenus si sa structure n'a plus de compte
    actif alors qu'elle a des dossiers en cours)."""
    _say_left_alone(_set_active(unattended.disable_account, email, "Compte désactivé"))


@users_cli.command("enable")
@click.argument("email")
def enable_command(email: str) -> None:
    """Réactiver le compte EMAIL."""
    _set_active(users.enable, email, "Compte réactivé")


@users_cli.command("invite")
@click.argument("email")
@click.option("--role", required=True, help=ROLE_HELP)
@click.option("--org", "org_ref", default=None, help="Organisation (voir users create).")
def invite_command(email: str, role: str, org_ref: str | None) -> None:
    """Inviter EMAIL : envoie et affiche le lien (à usage unique) pour choisir son mot de passe."""
    try:
        token = users.invite(db.session, email, role.strip().lower(), org_ref, None)
        users.queue_invitation_mail(db.session, email, token)
        db.session.commit()
    except users.AccountError as error:
        _fail(error.message)
        return
    click.echo(f"Invitation créée pour {users.email_key(email)}.")
    click.echo(users.invitation_link(token))
