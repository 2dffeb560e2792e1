"""`flask exchange import FILE` and `flask exchange export [FILE]`: interchange v1."""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup

from connectences.accounts.audit import audit
from connectences.errors import DomainError
from connectences.exchange.exporter import export_document
from connectences.exchange.importer import COLLECTION_NOUNS, ExchangeError, import_document
from connectences.exchange.parse import dump_document, parse_document
from connectences.extensions import db
from connectences.typography import plural

exchange_cli = AppGroup(
    "exchange", help="Import et export au format d'échange connectences/v1 et v1.1."
)


# What the system says of a file, in French (``OSError.strerror`` is the C library's English).
_OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENAMETOOLONG: "nom de fichier trop long",
}


def _os_reason(exc: OSError) -> str:
    return _OS_REASONS.get(exc.errno, f"erreur du système (code {exc.errno})")


def _fail(refused: ExchangeError) -> None:
    click.echo(refused.refusal, err=True)
    for error in refused.listed():
        click.echo(str(error), err=True)
    sys.exit(1)


@exchange_cli.command("import")
@click.argument("file", type=click.Path(allow_dash=True))
def import_command(file: str) -> None:
    """Importer un document (FILE, ou - pour l'entrée standard) : tout ou rien."""
    try:
        with click.open_file(file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        click.echo(f"Impossible de lire le fichier « {file} » : {_os_reason(exc)}.", err=True)
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
@click.argument("file", required=False, type=click.Path(allow_dash=True))
def export_command(file: str | None) -> None:
    """Exporter toutes les données au format d'échange (FILE, sinon la sortie standard)."""
    document = export_document(db.session)
    text = dump_document(document)
    counts = {name: len(document[name]) for name in COLLECTION_NOUNS}
    # Exporting the CV library hands personal data out: it goes to the audit log.
    audit(db.session, "exchange.export", details={"file": file or "-", **counts})
    if file is None or file == "-":
        # Bytes: the locale's codec must not decide the encoding.
        click.echo(text.encode("utf-8"), nl=False)
    else:
        _write_atomically(Path(file), text)
    db.session.commit()
    if file not in (None, "-"):
        summary = ", ".join(plural(n, COLLECTION_NOUNS[name]) for name, n in counts.items())
        click.echo(f"Export écrit dans {file} : {summary}.")


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target then rename, so that a reader never sees half a file."""
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent or ".", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:  # a disk full or a directory at the target: not left behind
            Path(temporary).unlink(missing_ok=True)
        click.echo(f"Impossible d'écrire « {path} » : {_os_reason(exc)}.", err=True)
        sys.exit(1)
