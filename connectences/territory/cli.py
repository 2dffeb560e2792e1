"""`flask territory ...`: reference data of communes and intercommunalities."""

from pathlib import Path

import click
from flask.cli import AppGroup

from connectences.extensions import db
from connectences.territory.build import DATA_DIR, BuildError, build
from connectences.territory.load import load_reference

territory_cli = AppGroup("territory", help="Données de référence du territoire.")


@territory_cli.command("build")
@click.option(
    "--node-modules",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Dossier node_modules contenant déjà les paquets (sinon npm les installe).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False),
    default=None,
    help="Dossier de sortie (par défaut : connectences/data/territory).",
)
def build_command(node_modules: str | None, output: str | None) -> None:
    """Reconstruit le référentiel des communes et EPCI depuis les paquets npm."""

    try:
        report = build(Path(node_modules) if node_modules else None, Path(output or DATA_DIR))
    except BuildError as error:
        raise click.ClickException(f"Échec de la construction du référentiel : {error}") from error
    click.echo(
        f"Référentiel écrit : {report.path} ({report.size_bytes // 1024} Kio) — "
        f"{report.communes} communes, {report.epcis} EPCI, "
        f"{report.centres} centres connus "
        f"({report.centres_geonames} GeoNames, {report.centres_manual} saisis à la main)."
    )
    if report.dropped_outliers:
        click.echo(
            "Centres GeoNames écartés (trop loin de leur EPCI) : "
            + ", ".join(report.dropped_outliers)
        )


@territory_cli.command("load")
def load_command() -> None:
    """Charge (ou met à jour) les communes et EPCI dans la base de données."""

    report = load_reference(db.session)
    db.session.commit()
    click.echo(
        f"EPCI : {report.epcis_inserted} ajoutés, {report.epcis_updated} mis à jour ; "
        f"communes : {report.communes_inserted} ajoutées, {report.communes_updated} mises à jour."
    )
