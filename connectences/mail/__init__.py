"""Mail: messages are queued in the outbox inside the transaction that causes them,
then delivered over SMTP after commit by ``deliver_due`` (see ``sender``)."""

from connectences.mail.kinds import MailKind
from connectences.mail.outbox import Attachment, queue_mail, queue_template, sent_recently
from connectences.mail.sender import (
    DeliveryReport,
    Waiting,
    deliver_due,
    failed_messages,
    outbox_counts,
    waiting,
)

__all__ = [
    "Attachment",
    "DeliveryReport",
    "MailKind",
    "Waiting",
    "deliver_due",
    "failed_messages",
    "outbox_counts",
    "queue_mail",
    "queue_template",
    "sent_recently",
    "waiting",
]
