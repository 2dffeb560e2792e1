"""`flask mail ...`: deliver the outbox and see how it stands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from connectences.accounts.link_requests import resolve_due
from connectences.clock import LOCAL_TZ
from connectences.extensions import db
from connectences.mail.sender import (
    deliver_due,
    failed_messages,
    outbox_counts,
    requeue_failed,
    waiting,
)
from connectences.typography import plural

mail_cli = AppGroup("mail", help="E-mails : envoi de la file d'attente et état.")

STATUS_LABELS = {
    "pending": "en attente",
    "sending": "en cours d'envoi",
    "sent": "envoyés",
    "failed": "en échec",
}


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="Nombre maximal d'e-mails.")
def send_command(limit: int) -> None:
    """Envoie les liens demandés puis les e-mails dus (le planificateur le fait chaque
    minute)."""

    links = resolve_due(db.session)
    if links:
        click.echo(f"Liens demandés mis en file : {links}.")
    report = deliver_due(db.session, limit=limit)
    click.echo(
        f"Envoyés : {report.sent} ; à réessayer : {report.retried} ; "
        f"abandonnés : {report.failed} ; pris par un autre envoi : {report.skipped}."
    )
    if report.released:
        click.echo(f"Envois interrompus remis en file : {report.released}.")
    if report.stopped:
        click.echo("Serveur de messagerie injoignable : le reste attend le prochain passage.")


@mail_cli.command("status")
@click.option("--last", default=10, show_default=True, help="Nombre d'échecs affichés.")
def status_command(last: int) -> None:
    """Compte les e-mails par état et montre les derniers échecs."""

    counts = outbox_counts(db.session)
    click.echo(" ; ".join(f"{STATUS_LABELS[status]} : {count}" for status, count in counts.items()))
    queue = waiting(db.session)
    if queue.retrying:
        click.echo(
            f"Dont {queue.retrying} en nouvel essai après un échec (essais pendant 24 heures) ; "
            f"dernier motif : {queue.last_error}"
        )
    if queue.oldest is not None:
        click.echo(
            f"Le plus ancien attend depuis le {queue.oldest.astimezone(LOCAL_TZ):%d/%m/%Y à %H:%M}."
        )
    failures = failed_messages(db.session, limit=last)
    if not failures:
        click.echo("Aucun échec.")
        return
    click.echo("Derniers échecs :")
    for message in failures:
        click.echo(
            f"  #{message.id} {message.created_at:%d/%m/%Y %H:%M} UTC → {message.to} "
            f"« {message.subject} » ({plural(message.attempts, 'essai')}) : "
            f"{message.last_error or '?'}"
        )


@mail_cli.command("retry")
@click.argument("ids", nargs=-1, type=int, required=True)
def retry_command(ids: tuple[int, ...]) -> None:
    """Remet des e-mails en échec dans la file pour un nouvel essai."""

    count = requeue_failed(db.session, ids)
    db.session.commit()
    click.echo(f"Remis en file : {count}.")
