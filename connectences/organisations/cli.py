"""`flask --app connectences organisations ...`: operators and partners switched off or
on again from the command line (as ``users disable`` / ``users enable`` for accounts)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from connectences import organisations
from connectences.extensions import db
from connectences.typography import plural

organisations_cli = AppGroup(
    "organisations", help="Opérateurs et partenaires : liste, désactivation, réactivation."
)

KIND_OPTION = click.option(
    "--kind",
    "side",
    required=True,
    help="operator (opérateur) ou partner (partenaire).",
)


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(f"Erreur : {message}", err=True)
    sys.exit(1)


@organisations_cli.command("list")
def list_command() -> None:
    """Lister les opérateurs et les partenaires (référence, type, nom, territoire, état,
    comptes membres, dossiers en cours)."""
    rows = organisations.organisation_rows(db.session)
    if not rows:
        click.echo("Aucun opérateur ni partenaire.")
        return
    for row in rows:
        organisation = row.organisation
        state = "actif" if organisation.active else "désactivé"
        held = "proposition" if row.side == "operator" else "réorientation"
        click.echo(
            "\t".join(
                [
                    organisation.ref,
                    f"{organisations.SIDE_LABELS[row.side]} ({row.kind_label})",
                    organisation.name,
                    row.territory_text,
                    organisation.email,
                    state,
                    plural(row.members, "compte membre", "comptes membres"),
                    plural(row.open_items, f"{held} en cours", f"{held}s en cours"),
                ]
            )
        )


@organisations_cli.command("deactivate")
@click.argument("ref")
@KIND_OPTION
def deactivate_command(ref: str, side: str) -> None:
    """Désactiver l'organisation REF : plus aucun besoin ni réorientation nouvelle ne lui
    est envoyé ; ses dossiers en cours et ses comptes membres restent."""
    try:
        organisation, warnings = organisations.deactivate(db.session, side, ref)
        db.session.commit()
    except organisations.OrganisationError as error:
        _fail(error.message)
        return
    for warning in warnings:
        click.echo(f"Attention : {warning}", err=True)
    click.echo(f"{organisations.named(organisation)} est désactivé.")


@organisations_cli.command("reactivate")
@click.argument("ref")
@KIND_OPTION
def reactivate_command(ref: str, side: str) -> None:
    """Réactiver l'organisation REF."""
    try:
        organisation = organisations.reactivate(db.session, side, ref)
        db.session.commit()
    except organisations.OrganisationError as error:
        _fail(error.message)
        return
    click.echo(f"{organisations.named(organisation)} est réactivé.")
