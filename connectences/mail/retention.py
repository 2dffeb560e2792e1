"""How long the outbox keeps what it sent.

A sent message keeps its envelope (kind, recipient, subject, dates: what the outbox's
"sent recently" checks read) but its body, extra headers, attachments and last error are blanked
``MAIL_BODY_RETENTION_DAYS`` after it left; a message given up (``failed``) is deleted ``MAIL_FAILED_RETENTION_DAYS``
after it was queued, once the administrator has had time to requeue it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from connectences.models import OutboxMessage


def blank_sent_bodies(session: Session, before: datetime) -> int:
    """Blank the bodies of the messages sent before ``before`` (each counted once), with
    their attachments (an event's invitation names its registrant's address) and their
    last error (a refusal names the recipient; sent before the sender cleared it)."""
    return session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == "sent",
            OutboxMessage.sent_at < before,
            or_(
                OutboxMessage.body_text != "",
                OutboxMessage.body_html.is_not(None),
                OutboxMessage.last_error.is_not(None),
            ),
        )
        .values(body_text="", body_html=None, headers=None, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def delete_failed(session: Session, before: datetime) -> int:
    """Delete the messages given up on and queued before ``before``."""
    return session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status == "failed", OutboxMessage.created_at < before)
        .execution_options(synchronize_session=False)
    ).rowcount
