"""Delivering the outbox over SMTP, after commit, once per message.

How a message is delivered, and what is guaranteed:

- **Claim before sending.** Each due message is claimed by an atomic
  ``UPDATE ... SET status='sending', claim_token=<random> WHERE id=? AND status='pending'``
  whose row count tells whether this sender won it; the claim is committed *before* the
  SMTP conversation starts. Two senders running at once (two processes, two threads)
  therefore never hand the same message to the SMTP server: the loser sees 0 rows and
  skips it. This holds on PostgreSQL (READ COMMITTED re-checks the WHERE clause on the
  row after a concurrent update) and on SQLite (writers are serialised).
- **Exactly one outcome.** Only the holder of the claim token may record the outcome
  (``sent``, retry, ``failed``): the final ``UPDATE`` also filters on the token.
- **At least once, with a small window.** The outcome is committed right after the SMTP
  server accepted the message (250 after DATA), before anything else. If the process dies
  in between (or the database refuses that commit), the message stays ``sending``; after
  ``STALE_CLAIM`` (10 minutes) the next run gives the claim back and the message is sent
  again: a duplicate is possible in that window only, never a loss. SMTP itself has the
  same window (RFC 1047): if the connection drops after the final dot but before the
  server's reply arrives, the message counts as failed and is retried. The ``Message-ID`` is
  stable per outbox row, so receivers (and their filters) can recognise the repeat.
  The stale delay is far longer than one claim lasts (one SMTP transaction, bounded by
  ``MAIL_TIMEOUT_SECONDS``, 30 s by default), so a live sender never loses its claim unless it
  is frozen for minutes.
- **Retries for 24 hours.** Any failure (connection refused, timeout, 4xx or 5xx
  refusal) counts one attempt, records ``last_error`` and schedules the next attempt
  after 1, 2, 4, 8, ... minutes, capped at one hour, never later than 24 hours after
  ``created_at``. A failure at or after that deadline marks the message ``failed``,
  visible to admins (``failed_messages``). Permanent (5xx) refusals are retried too, on
  purpose: on this platform they mostly come from the relay's configuration (relay
  denied, authentication required), which an admin fixes within hours, and failing at
  once would lose those messages; a truly bad address costs a few dozen attempts.
  A message is never failed without having been tried after its deadline: a sender that
  did not run for a day still tries everything once.
- **One bad message never stops the others.** Errors while building or sending one
  message are recorded on that message and the batch goes on, over a new connection.
  If the server cannot be reached at all (connect, STARTTLS or login fails), the batch
  stops after recording that failure on the message it was for: the rest stays pending,
  untouched, for the next run, instead of waiting for one timeout per message.

``deliver_due`` commits on the session it is given: call it from the CLI or a job with a
session of its own, never inside a request's unit of work.
"""

from __future__ import annotations

import contextlib
import email.policy
import logging
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app
from sqlalchemy import delete, func, select, update

from connectences.mail.kinds import FORGOTTEN_ONCE_SENT
from connectences.mail.outbox import Attachment, extras_of
from connectences.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "sent", "failed")
STALE_CLAIM = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(hours=24)
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
MAX_ERROR_LENGTH = 1000

SmtpFactory = Callable[[], smtplib.SMTP]
# The extra headers an outbox row may carry (``OutboxMessage.headers``, beside its
# attachments: ``outbox.extras_of``): those of list
# mail (RFC 2369, RFC 8058). Any other name is refused when the message is built, so
# that no row can set From, To or another header the sender owns.
EXTRA_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id")
# Headers holding a URL, written on one line however long (RFC 5322 allows 998
# characters): folded at 78 like any header, the email package turned the URL into
# RFC 2047 encoded words, which mail clients do not decode there (one-click unsubscribe,
# RFC 8058, did not work).
_URL_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
_ONE_LINE = email.policy.default.clone(max_line_length=998)


class _MailPolicy(email.policy.EmailPolicy):
    """The email package's default policy, but ``_URL_HEADERS`` are not folded at 78."""

    def fold(self, name, value):
        if name.lower() in _URL_HEADERS:
            return _ONE_LINE.clone(linesep=self.linesep).fold(name, value)
        return super().fold(name, value)

    def fold_binary(self, name, value):
        if name.lower() in _URL_HEADERS:
            return _ONE_LINE.clone(linesep=self.linesep).fold_binary(name, value)
        return super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy()


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    retried: int = 0  # failed this time, scheduled again
    failed: int = 0  # failed for good (24 hours elapsed)
    released: int = 0  # stale claims given back before the run
    skipped: int = 0  # due, but claimed by another sender first
    stopped: bool = False  # server unreachable: the rest of the batch waits


class _Unreachable(Exception):
    """Opening the SMTP connection failed: nothing after it can be sent either."""


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed tries: 1, 2, 4... min, max 1 h."""
    exponent = min(max(attempts - 1, 0), 16)
    return min(FIRST_BACKOFF * 2**exponent, MAX_BACKOFF)


def _sender_domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "connectences.local"


def message_id(outbox_id: int, created_at: datetime, domain: str) -> str:
    """The Message-ID of an outbox row: identical on every retry of that row.

    The creation time is part of it because row ids restart when a database is rebuilt
    (a new install, a test server): two different messages must not share an id.
    """
    return f"<outbox-{outbox_id}.{created_at:%Y%m%d%H%M%S}@{domain}>"


def build_message(
    *,
    outbox_id: int,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    created_at: datetime,
    mail_from: str,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The MIME message of an outbox row: text, plus HTML as an alternative, in UTF-8,
    then its attachments (the message becomes multipart/mixed).

    Bodies are quoted-printable so that the message is 7-bit clean (any relay accepts
    it, with or without 8BITMIME) and French text survives intact; attachments are
    base64, their bytes (an .ics's CRLF line ends) unchanged; the subject is encoded
    as RFC 2047 words by the email package.
    """
    email = EmailMessage(policy=MAIL_POLICY)
    email["From"] = mail_from
    email["To"] = to
    email["Subject"] = subject
    if reply_to:
        email["Reply-To"] = reply_to
    # The date the change happened, like the Message-ID, does not move between retries.
    email["Date"] = format_datetime(created_at)
    email["Message-ID"] = message_id(outbox_id, created_at, _sender_domain(mail_from))
    # RFC 3834: a robot wrote it, so out-of-office replies must not answer it.
    email["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        if name not in EXTRA_HEADERS:
            raise ValueError(f"header not allowed on an outbox message: {name}")
        email[name] = value
    email.set_content(body_text, charset="utf-8", cte="quoted-printable")
    if body_html:
        email.add_alternative(body_html, subtype="html", charset="utf-8", cte="quoted-printable")
    for item in attachments:
        maintype, _, subtype = item.mime_type.partition("/")
        email.add_attachment(
            item.content.encode("utf-8"),
            maintype=maintype,
            subtype=subtype,
            filename=item.filename,
            params={**(item.params or {}), "charset": "utf-8"},
        )
    return email


def smtp_from_config(config) -> SmtpFactory:
    """A factory opening a ready connection (STARTTLS, login) from the MAIL_* settings."""

    def connect() -> smtplib.SMTP:
        connection = smtplib.SMTP(
            config["MAIL_SERVER"],
            int(config["MAIL_PORT"]),
            timeout=config["MAIL_TIMEOUT_SECONDS"],
        )
        try:
            if config["MAIL_USE_TLS"]:
                connection.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            connection.close()
            raise
        return connection

    return connect


# What an admin reads first for a failure to reach or talk to the relay, in French, the
# system's own words following (most specific class first).
_REACH_FAILURES: tuple[tuple[type[BaseException], str], ...] = (
    (smtplib.SMTPAuthenticationError, "Identifiants du serveur de messagerie refusés"),
    (smtplib.SMTPServerDisconnected, "Connexion coupée par le serveur de messagerie"),
    (
        smtplib.SMTPNotSupportedError,
        "Le serveur de messagerie ne propose pas le chiffrement ou l'identification demandés "
        "(MAIL_USE_TLS, MAIL_USERNAME)",
    ),
    (ssl.SSLError, "Échec du chiffrement (TLS) avec le serveur de messagerie"),
    (socket.gaierror, "Serveur de messagerie introuvable (nom inconnu)"),
    (ConnectionRefusedError, "Serveur de messagerie injoignable (connexion refusée)"),
    (TimeoutError, "Serveur de messagerie sans réponse (délai dépassé)"),
)


def smtp_address(address: str) -> str:
    """``address`` as an SMTP server without SMTPUTF8 takes it: an accented domain
    (``exémple.fr``) in its ASCII form (``xn--exmple-cva.fr``, IDNA). An accented name
    before the @ has no such form: only a server offering SMTPUTF8 takes it."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def describe_error(error: BaseException) -> str:
    """A short, readable account of an SMTP failure, for ``last_error``: what happened in
    French, then the server's or the system's words."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"{address}: {code} {_decode(reply)}"
            for address, (code, reply) in error.recipients.items()
        )
        text = f"Destinataire refusé — {text}"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_decode(error.smtp_error)}"
    else:
        text = f"{type(error).__name__}: {error}"
    reach = next((words for kind, words in _REACH_FAILURES if isinstance(error, kind)), None)
    if isinstance(error, smtplib.SMTPServerDisconnected) and "timed out" in str(error):
        reach = "Serveur de messagerie sans réponse (délai dépassé)"  # smtplib's words
    elif isinstance(error, smtplib.SMTPNotSupportedError) and "SMTPUTF8" in str(error):
        reach = (
            "Adresse accentuée avant le @ : le serveur de messagerie ne la prend pas "
            "(SMTPUTF8) ; corrigez l'adresse ou activez SMTPUTF8 sur le relais"
        )
    if (
        reach is None
        and isinstance(error, OSError)
        and not isinstance(error, smtplib.SMTPException)
    ):
        reach = "Serveur de messagerie injoignable"
    if reach is not None:
        text = f"{reach} — {text}"
    return text[:MAX_ERROR_LENGTH]


def _decode(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _quit(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        connection.quit()
    connection.close()


def release_stale_claims(session, *, now: datetime | None = None) -> int:
    """Give back the claims of senders that died mid-message (older than STALE_CLAIM).

    The interrupted attempt may have reached the server: it counts as an attempt and the
    message will be sent again (the at-least-once window described above).
    """
    now = now or utcnow()
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(
            status="pending",
            claimed_at=None,
            claim_token=None,
            attempts=OutboxMessage.attempts + 1,
            last_error="Envoi interrompu (expéditeur arrêté pendant l'envoi) : nouvel essai.",
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


def deliver_due(
    session,
    *,
    now: datetime | None = None,
    limit: int = 100,
    smtp_factory: SmtpFactory | None = None,
) -> DeliveryReport:
    """Send the pending messages that are due, each claimed first, over one connection.

    ``now`` freezes the clock of the run (tests, replays); by default the real time is
    read at each step. ``smtp_factory`` returns an open, ready ``smtplib.SMTP``; by
    default one is built from the MAIL_* settings. Never raises because of one message;
    database errors do propagate. See the module docstring for the guarantees.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    config = current_app.config
    mail_from = config["MAIL_FROM"]
    envelope_from = parseaddr(mail_from)[1]
    connect = smtp_factory or smtp_from_config(config)

    report = DeliveryReport(released=release_stale_claims(session, now=clock()))
    due_at = clock()
    ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= due_at)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    session.commit()  # hold no read transaction while talking to the server

    connection: smtplib.SMTP | None = None
    try:
        for outbox_id in ids:
            token = _claim(session, outbox_id, due_at, clock())
            if token is None:
                report.skipped += 1
                continue
            row = session.execute(
                select(
                    OutboxMessage.to,
                    OutboxMessage.subject,
                    OutboxMessage.body_text,
                    OutboxMessage.body_html,
                    OutboxMessage.created_at,
                    OutboxMessage.attempts,
                    OutboxMessage.reply_to,
                    OutboxMessage.headers,
                ).where(OutboxMessage.id == outbox_id)
            ).one()
            session.commit()
            try:
                to = smtp_address(row.to)
                headers, attachments = extras_of(row.headers)
                email = build_message(
                    outbox_id=outbox_id,
                    to=to,
                    subject=row.subject,
                    body_text=row.body_text,
                    body_html=row.body_html,
                    created_at=row.created_at,
                    mail_from=mail_from,
                    reply_to=row.reply_to,
                    headers=headers,
                    attachments=attachments,
                )
                if connection is None:
                    try:
                        connection = connect()
                    except Exception as error:
                        raise _Unreachable(error) from error
                connection.send_message(email, from_addr=envelope_from, to_addrs=[to])
            except Exception as error:
                cause = error.__cause__ if isinstance(error, _Unreachable) else error
                if connection is not None:
                    # The connection's state is unknown after a failure: start afresh.
                    connection.close()
                    connection = None
                outcome = _record_failure(session, outbox_id, token, row, cause, clock())
                if outcome == "failed":
                    report.failed += 1
                else:
                    report.retried += 1
                if isinstance(error, _Unreachable):
                    report.stopped = True
                    break
            else:
                # First thing after the server's 250: the shorter this gap, the smaller
                # the window in which a crash leads to a second copy.
                _record_sent(session, outbox_id, token, clock())
                report.sent += 1
    finally:
        if connection is not None:
            _quit(connection)
    log.info(
        "outbox: %d sent, %d retried, %d failed, %d skipped, %d stale claims released",
        report.sent,
        report.retried,
        report.failed,
        report.skipped,
        report.released,
    )
    return report


def _claim(session, outbox_id: int, due_at: datetime, now: datetime) -> str | None:
    """Take the message for this sender; None if another one took it (or it changed)."""
    token = uuid.uuid4().hex
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= due_at,
        )
        .values(status="sending", claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token if result.rowcount == 1 else None


def _owned(outbox_id: int, token: str):
    return (
        OutboxMessage.id == outbox_id,
        OutboxMessage.status == "sending",
        OutboxMessage.claim_token == token,
    )


def _record_sent(session, outbox_id: int, token: str, now: datetime) -> None:
    result = session.execute(
        update(OutboxMessage)
        .where(*_owned(outbox_id, token))
        .values(
            status="sent",
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            # An earlier refusal may name the recipient ("Destinataire refusé — x@y: 550"):
            # once sent, it describes nothing pending and would outlive the body's retention.
            last_error=None,
            claimed_at=None,
            claim_token=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.kind.in_(FORGOTTEN_ONCE_SENT))
            .execution_options(synchronize_session=False)
        )
    session.commit()
    if result.rowcount != 1:
        # Only possible if this sender was frozen longer than STALE_CLAIM: another one
        # took the message over and records its own outcome.
        log.warning("outbox %s: sent, but the claim had been taken over", outbox_id)


def _record_failure(session, outbox_id: int, token: str, row, error, now: datetime) -> str:
    attempts = row.attempts + 1
    deadline = row.created_at + GIVE_UP_AFTER
    values: dict = {
        "attempts": OutboxMessage.attempts + 1,
        "last_error": describe_error(error),
        "claimed_at": None,
        "claim_token": None,
    }
    if now >= deadline:
        values["status"] = "failed"
    else:
        values["status"] = "pending"
        # The last try falls on the deadline itself, so "24 hours" really means 24 hours.
        values["next_attempt_at"] = min(now + backoff(attempts), deadline)
    session.execute(
        update(OutboxMessage)
        .where(*_owned(outbox_id, token))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    log.warning(
        "outbox %s: attempt %d failed (%s)%s",
        outbox_id,
        attempts,
        values["last_error"],
        ", given up" if values["status"] == "failed" else "",
    )
    return values["status"]


def failed_messages(session, limit: int = 50) -> list[OutboxMessage]:
    """The messages given up on, most recent first, for the admins' page."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "failed")
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def outbox_counts(session) -> dict[str, int]:
    """Number of messages per status (every status present, zero included)."""
    counts = dict.fromkeys(STATUSES, 0)
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    for status, count in rows:
        counts[status] = count
    return counts


@dataclass(frozen=True)
class Waiting:
    """Why mail is waiting: how many are pending, how many of them after a failed try,
    the last failure's reason, and since when the oldest waits."""

    pending: int
    retrying: int
    last_error: str | None
    oldest: datetime | None


def waiting(session) -> Waiting:
    """The pending messages as an admin needs them during a relay outage."""
    pending, retrying, oldest = session.execute(
        select(
            func.count(),
            func.count(OutboxMessage.last_error),
            func.min(OutboxMessage.created_at),
        ).where(OutboxMessage.status == "pending")
    ).one()
    # The latest failure: the message whose next try was set last.
    last_error = session.scalar(
        select(OutboxMessage.last_error)
        .where(OutboxMessage.status == "pending", OutboxMessage.last_error.is_not(None))
        .order_by(OutboxMessage.next_attempt_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    )
    if oldest is not None and oldest.tzinfo is None:  # SQLite gives it back naive (UTC)
        oldest = oldest.replace(tzinfo=UTC)
    return Waiting(pending, retrying, last_error, oldest)


def requeue_failed(session, ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Put failed messages back in the queue for one more try (after fixing the relay).

    Their 24 hours have passed, so a new failure fails them again at once; the
    Message-ID and Date are unchanged. Not committed: the caller decides.
    """
    if not ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.status == "failed")
        .values(status="pending", next_attempt_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
