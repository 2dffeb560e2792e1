"""`flask exchange import FILE` and `flask exchange export [FILE]`: interchange v1."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup

from connectences.accounts.audit import audit
from connectences.errors import DomainError
from connectences.exchange.exporter import export_document
from connectences.exchange.importer import COLLECTION_LABELS, ExchangeError, import_document
from connectences.exchange.parse import dump_document, parse_document
from connectences.extensions import db

exchange_cli = AppGroup(
    "exchange", help="Import et export au format d'échange connectences/v1 et v1.1."
)


def _fail(refused: ExchangeError) -> None:
    click.echo(refused.refusal, err=True)
    for error in refused.errors:
        click.echo(str(error), err=True)
    sys.exit(1)


@exchange_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def import_command(file: str) -> None:
    """Importer un document (FILE, ou - pour l'entrée standard) : tout ou rien."""
    try:
        with click.open_file(file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        click.echo(f"Impossible de lire le fichier « {file} » : {exc.strerror}.", err=True)
        sys.exit(1)
    try:
        document = parse_document(data)
        result = import_document(document, db.session)
    except ExchangeError as exc:
        db.session.rollback()
        _fail(exc)
    except DomainError as exc:  # another import kept running, a record changed meanwhile
        db.session.rollback()
        click.echo(f"Import refusé : {exc.message}", err=True)
        sys.exit(1)
    if result.changed:
        audit(db.session, "exchange.import", details={"file": file, **result.as_dict()})
    db.session.commit()
    click.echo("Import terminé.")
    click.echo(result.summary())


@exchange_cli.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
def export_command(file: str | None) -> None:
    """Exporter toutes les données au format d'échange (FILE, sinon la sortie standard)."""
    document = export_document(db.session)
    text = dump_document(document)
    counts = {name: len(document[name]) for name in COLLECTION_LABELS}
    # Exporting the CV library hands personal data out: it goes to the audit log.
    audit(db.session, "exchange.export", details={"file": file or "-", **counts})
    if file is None or file == "-":
        # Bytes: the locale's codec must not decide the encoding.
        click.echo(text.encode("utf-8"), nl=False)
    else:
        _write_atomically(Path(file), text)
    db.session.commit()
    if file not in (None, "-"):
        summary = ", ".join(f"{n} {COLLECTION_LABELS[name]}" for name, n in counts.items())
        click.echo(f"Export écrit dans {file} : {summary}.")


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target then rename, so that a reader never sees half a file."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent or ".", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        click.echo(f"Impossible d'écrire « {path} » : {exc.strerror}.", err=True)
        sys.exit(1)
