"""The mail outbox: written in the same transaction as the change that causes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from connectences.models.base import Base, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the mail is for (``mail.kinds.MailKind``): rules count mails by it, never by
    # their subject, which is wording.
    kind: Mapped[str] = mapped_column(String(40), index=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Where an answer goes (mail leaves from a no-reply address): the animateur in
    # charge, or the platform's contact address.
    reply_to: Mapped[str | None] = mapped_column(String(254))
    # Extra headers of list mail (List-Unsubscribe, List-Unsubscribe-Post: RFC 8058) and,
    # under a key no header can have, the mail's attachments (``mail.outbox.extras_of``).
    headers: Mapped[dict | None]
    # pending -> sending (claimed by one sender) -> sent | pending (retry) | failed
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # The claim of the sender delivering it now: only the holder of the token may record
    # the outcome, and a claim older than the stale delay is given back (sender crashed).
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # Whom it concerns, so that deleting a person also drops their queued mail.
    candidate_id: Mapped[int | None] = mapped_column(index=True)


# Flood limits count a kind of mail to an address in any case (``mail.sent_recently``, on
# every public form sent): without this index, a pass over the whole outbox, which keeps
# every mail sent.
Index("ix_outbox_message_to_lower", func.lower(OutboxMessage.to), OutboxMessage.kind)


class LinkRequest(Base):
    """A personal link someone asked for by typing an address (password reset, CV space,
    company space), or the address a new CV profile's author corrected, waiting for the
    minute job (``accounts.link_requests``).

    The form only records it, the same single insert whatever the address, so that its
    answer takes the same time for an address with an account and one without; the job
    finds whom it is for, mails them, and deletes it either way.
    """

    __tablename__ = "link_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which link (``accounts.link_requests.LINKS``).
    link: Mapped[str] = mapped_column(String(10))
    # As typed (each link's rule reads it as it always did); gone within the minute.
    email: Mapped[str] = mapped_column(String(254))
    # The requester's address, for the audit log of a reset asked for.
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
