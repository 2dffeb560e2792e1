"""`flask --app connectences demo`: seed the demo and print the address and the accounts."""

from __future__ import annotations

import click
from flask import current_app, url_for
from flask.cli import with_appcontext

from connectences import config, vocab
from connectences.demo.common import DEMO_SEED
from connectences.demo.seed import seed_demo
from connectences.exchange import ExchangeError
from connectences.extensions import db


@click.command("demo", help="Charge la démonstration du territoire (sans doublon si relancée).")
@click.option("--seed", default=DEMO_SEED, show_default=True, help="Graine du générateur.")
@with_appcontext
def demo_cli(seed: int) -> None:
    """`flask --app connectences demo`: seed the demo and print the address and accounts."""
    if current_app.config.get("CONNECTENCES_ENV") == "production":
        raise click.ClickException(
            "La démonstration ne se charge pas sur une installation de production "
            "(CONNECTENCES_ENV=production) : elle créerait des comptes aux mots de passe connus."
        )
    try:
        summary = seed_demo(db.session, seed=seed)
    except ExchangeError as error:
        db.session.rollback()
        for problem in error.errors:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException("Le document de démonstration a été refusé.") from error

    counts = summary.counts
    click.echo(
        f"Démonstration prête : {counts['entreprises']} entreprises, {counts['besoins']} besoins, "
        f"{counts['candidats']} candidats, {counts['visites']} visites, {counts['comptes']} comptes."
    )
    base_url = config.setting("BASE_URL").rstrip("/")
    with current_app.test_request_context(base_url=base_url):
        login_url = url_for("auth.login", _external=True)
    click.echo(f"Adresse : {login_url}")
    click.echo("Comptes de démonstration :")
    width = max(len(a.email) for a in summary.accounts)
    click.echo(f"  {'Rôle':<17} {'Adresse e-mail':<{width}}  Mot de passe")
    for account in summary.accounts:
        role = vocab.label(vocab.ROLES, account.role)
        click.echo(f"  {role:<17} {account.email:<{width}}  {account.password}")
    if len(summary.created_accounts) < len(summary.accounts):
        click.echo("(Comptes déjà présents : leur mot de passe n'a pas été modifié.)")
