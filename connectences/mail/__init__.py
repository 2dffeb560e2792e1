"""Mail: messages are queued in the outbox inside the transaction that causes them."""

from connectences.mail.outbox import queue_mail, queue_template

__all__ = ["queue_mail", "queue_template"]
