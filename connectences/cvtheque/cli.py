"""`flask --app connectences cv recheck`: the stored CVs read again by today's checks."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from connectences.cvtheque.stored_files import recheck
from connectences.extensions import db


@click.group("cv", help="Fichiers des CV de la CVthèque.")
def cv_cli() -> None:
    pass


@cv_cli.command(
    "recheck",
    help="Relit chaque CV stocké avec la vérification des dépôts (scripts, programmes, "
    "pièces jointes) et retient du téléchargement ceux qui y échouent (simulation par défaut).",
)
@click.option("--wet-run", is_flag=True, help="Agir vraiment (sinon : simulation).")
@with_appcontext
def recheck_cli(wet_run: bool) -> None:
    counts = recheck(db.session, dry_run=not wet_run)
    summary = json.dumps(counts, ensure_ascii=False, sort_keys=True)
    if wet_run:
        click.echo(f"CV relus : {summary}")
    else:
        click.echo(f"Simulation (rien n'a été modifié) : {summary}")
