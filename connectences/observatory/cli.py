"""`flask observatory report --epci SIREN --month AAAA-MM`: write an intercommunality's
monthly report as HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from connectences.clock import local_today
from connectences.extensions import db
from connectences.observatory.report import (
    ReportError,
    monthly_report,
    parse_month,
    render_html,
    render_pdf,
)

observatory_cli = AppGroup("observatory", help="Observatoire : rapports des intercommunalités.")


@observatory_cli.command("report")
@click.option("--epci", "siren", required=True, help="SIREN de l'intercommunalité.")
@click.option("--month", required=True, help="Mois du rapport, AAAA-MM.")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Dossier où écrire le rapport.",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Chiffres exacts (usage interne) ; par défaut les petits nombres sont masqués "
    "comme pour les agents des intercommunalités.",
)
def report_command(siren: str, month: str, output: Path, exact: bool) -> None:
    """Écrit le rapport mensuel d'une intercommunalité en HTML et en PDF."""
    try:
        year, number = parse_month(month, local_today())
        report = monthly_report(db.session, siren.strip(), year, number, exact=exact)
    except ReportError as error:
        raise click.UsageError(error.message) from error
    output.mkdir(parents=True, exist_ok=True)
    html_path = output / f"{report.basename}.html"
    pdf_path = output / f"{report.basename}.pdf"
    html_path.write_text(render_html(report), encoding="utf-8")
    pdf_path.write_bytes(render_pdf(report))
    click.echo(f"Rapport de {report.label} pour {report.name} :")
    for sentence in report.summary:
        click.echo(f"  {sentence}")
    click.echo(f"Écrit : {html_path}")
    click.echo(f"Écrit : {pdf_path}")
