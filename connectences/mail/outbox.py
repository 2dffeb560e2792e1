"""Writing to the outbox. Delivery over SMTP happens after commit, elsewhere.

Because the message is a row written in the same transaction as the change that
causes it, a rolled-back change never sends mail, and a committed one is never lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from connectences import config
from connectences.contacts import email_key
from connectences.mail.kinds import MailKind
from connectences.models import OutboxMessage

# ``OutboxMessage.headers`` holds a JSON object: the extra headers a message leaves with
# and, under this key, its attachments. No header can be named so (a field name holds no
# colon, RFC 5322 3.6.8), and the outbox has no column of its own for attachments: one
# would need a migration. Only ``extras_of`` and ``stored_extras`` read and write the key.
ATTACHMENTS_KEY = ":attachments"


@dataclass(frozen=True)
class Attachment:
    """A text file a mail carries (stored as text in its outbox row), e.g. an event's
    ``text/calendar`` invitation with ``params`` ``{"method": "REQUEST"}``."""

    filename: str
    mime_type: str  # "text/calendar": a text type, sent in UTF-8
    content: str
    params: Mapping[str, str] | None = None

    def stored(self) -> dict:
        return {
            "filename": self.filename,
            "mime_type": self.mime_type,
            "content": self.content,
            "params": dict(self.params or {}),
        }


def stored_extras(
    headers: Mapping[str, str] | None, attachments: Sequence[Attachment] = ()
) -> dict | None:
    """The JSON of ``OutboxMessage.headers`` for these extra headers and attachments."""
    extras: dict = dict(headers or {})
    if attachments:
        extras[ATTACHMENTS_KEY] = [item.stored() for item in attachments]
    return extras or None


def extras_of(stored: Mapping | None) -> tuple[dict[str, str], list[Attachment]]:
    """The extra headers and the attachments of an outbox row's ``headers`` JSON."""
    headers = dict(stored or {})
    attachments = [
        Attachment(
            filename=item["filename"],
            mime_type=item["mime_type"],
            content=item["content"],
            params=item.get("params") or None,
        )
        for item in headers.pop(ATTACHMENTS_KEY, None) or ()
    ]
    return headers, attachments


def queue_mail(
    session,
    *,
    kind: MailKind,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    candidate_id: int | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboxMessage:
    """Add one message to the outbox (not committed here: the caller's transaction decides).

    ``kind`` says what the mail is for; the flood limits count by it (``sent_recently``).
    ``headers`` are extra headers the message leaves with (``sender.EXTRA_HEADERS``
    only: the unsubscribe headers of list mail); ``attachments``, text files it carries.
    """
    platform = config.setting("PLATFORM_NAME")
    # A subject is one header line: names and titles put into it may hold line breaks
    # (an imported need's title), which the email package refuses when sending (the mail
    # never left) and which would start a header of their own if written raw.
    # Only line breaks go: the typography's narrow no-break spaces stay.
    subject = " ".join(line.strip() for line in f"[{platform}] {subject}".splitlines())
    if body_html is None:
        body_html = html_from_text(body_text)
    message = OutboxMessage(
        kind=MailKind(kind),
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        candidate_id=candidate_id,
        reply_to=reply_to,
        headers=stored_extras(headers, attachments),
    )
    session.add(message)
    return message


_URL = re.compile(r"https?://[^\s<>\"]+")


def html_from_text(text: str) -> str:
    """The HTML twin of a plain-text mail: same words, paragraphs kept, links clickable.

    Every mail leaves with both parts, whether it was written from templates or in code.
    """
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = []
        for line in block.splitlines():
            parts, last = [], 0
            for found in _URL.finditer(line):
                parts.append({"text": line[last : found.start()], "link": False})
                parts.append({"text": found.group(0), "link": True})
                last = found.end()
            parts.append({"text": line[last:], "link": False})
            lines.append(parts)
        paragraphs.append(lines)
    return current_app.jinja_env.get_template("mail/_plain.html").render(
        paragraphs=paragraphs,
        platform=config.setting("PLATFORM_NAME"),
    )


def platform_reply_to() -> str | None:
    """The platform's contact address, where answers to its mails go by default."""
    return config.setting("CONTACT_EMAIL") or None


def reply_to_of(user) -> str | None:
    """Where answers to a mail someone caused go: to them (the animateur who proposed or
    re-oriented a need) while their account is active, else to the platform's contact
    address, never to the no-reply sender of ``MAIL_FROM``."""
    if user is not None and getattr(user, "active", True) and getattr(user, "email", None):
        return user.email
    return platform_reply_to()


def queue_template(
    session,
    *,
    kind: MailKind,
    to: str,
    subject: str,
    template: str,
    candidate_id: int | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    **context,
) -> OutboxMessage:
    """Render ``mail/<template>.txt`` and ``.html``, then queue them (with ``attachments``).

    Links in the context are absolute, built by ``urls.external_url``.
    """
    context.setdefault("platform", config.setting("PLATFORM_NAME"))
    # The app's environment but not render_template: mail is also written outside any
    # request (CLI, scheduler), where the web's context processors have nothing to read.
    env = current_app.jinja_env
    text = env.get_template(f"mail/{template}.txt").render(**context)
    html = env.get_template(f"mail/{template}.html").render(**context)
    return queue_mail(
        session,
        kind=kind,
        to=to,
        subject=subject,
        body_text=text,
        body_html=html,
        candidate_id=candidate_id,
        reply_to=reply_to,
        headers=headers,
        attachments=attachments,
    )


def sent_recently(session, kind: MailKind, address: str, since: datetime) -> int:
    """How many mails of ``kind`` were queued to ``address`` (any case) since ``since``.

    The one count behind every flood limit: anyone may make the platform mail an
    address by typing it into a form, and nobody should be able to flood a mailbox.
    """
    return (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.kind == MailKind(kind),
                func.lower(OutboxMessage.to) == (email_key(address) or ""),
                OutboxMessage.created_at >= since,
            )
        )
        or 0
    )
