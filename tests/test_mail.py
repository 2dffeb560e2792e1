"""Outbox delivery against real SMTP servers on loopback (aiosmtpd).

One server records what it accepts, the same can refuse (4xx / 5xx), a port where
nothing listens stands for a server that is down, and a socket that never answers for a
server that hangs. Time moves through the ``now=`` parameter of ``deliver_due``.
"""

from __future__ import annotations

import email
import smtplib
import socket
import subprocess
import threading
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select, update

from connectences.extensions import db
from connectences.mail import queue_mail
from connectences.mail.sender import (
    GIVE_UP_AFTER,
    STALE_CLAIM,
    backoff,
    deliver_due,
    describe_error,
    failed_messages,
    outbox_counts,
    smtp_from_config,
)
from connectences.models import Need, OutboxMessage, Partner, utcnow
from connectences.workflows.dispatch import send_referral
from tests import factories as f
from tests.helpers import page_text

MINUTE = timedelta(minutes=1)


class Recorder:
    """An SMTP handler that keeps what it accepts and can be told to refuse."""

    def __init__(self):
        self.messages = []  # (envelope, client address) per accepted message
        self.refusals = 0
        self.reply: str | None = None  # e.g. "451 ...": refuse every message with it
        self.refused_rcpt: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused_rcpt:
            self.refusals += 1
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.reply:
            self.refusals += 1
            return self.reply
        self.messages.append((envelope, session.peer))
        return "250 2.0.0 Queued"

    def parsed(self):
        return [
            email.message_from_bytes(envelope.content, policy=policy.default)
            for envelope, _ in self.messages
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_port(app, monkeypatch):
    """A free loopback port the app sends to; nothing listens on it unless started."""
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    return port


@pytest.fixture
def start_server(mail_port):
    """Start a recording server on the app's port (now or later in the test)."""
    controllers = []

    def start(handler=None, **smtp_options) -> Recorder:
        handler = handler or Recorder()
        controller = Controller(handler, hostname="127.0.0.1", port=mail_port, **smtp_options)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def server(start_server):
    return start_server()


def _queue(n=1, to="ge@exemple.fr", subject="Besoin proposé : Comptabilité"):
    messages = [
        queue_mail(
            db.session,
            kind="lead_sent",
            to=to,
            subject=f"{subject} {i}" if n > 1 else subject,
            body_text=f"Bonjour,\nVoici le message n° {i}.\n",
            body_html=f"<p>Bonjour, voici le message n° {i}.</p>",
        )
        for i in range(n)
    ]
    db.session.commit()
    return [m.id for m in messages]


def _row(outbox_id) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, outbox_id)


def _now():
    # A little after the messages were queued, so that they are due.
    return utcnow() + timedelta(seconds=1)


@pytest.fixture
def referral_data():
    f.load(
        f.document(
            partners=[f.partner(ref="ft", email="entreprises@francetravail.exemple.fr")],
            # No address of the company's: the partner's mail is the only one queued.
            companies=[f.company(ref="c1", name="Huîtres Sœurs Dupré", contact_email=None)],
            needs=[f.need(ref="n1", company="c1", title="Secrétaire comptable à mi-temps")],
        )
    )


def _referral():
    need = db.session.scalars(select(Need).where(Need.ref == "n1")).one()
    partner = db.session.scalars(select(Partner).where(Partner.ref == "ft")).one()
    return send_referral(db.session, need=need, partner=partner, reasons=["hors_perimetre"])


# --- the message -------------------------------------------------------------------------


def test_committed_change_is_delivered_once_with_text_html_and_headers(app, referral_data, server):
    referral = _referral()
    db.session.commit()
    outbox = db.session.scalars(select(OutboxMessage)).one()

    report = deliver_due(db.session, now=_now())

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    assert len(server.messages) == 1
    envelope, _ = server.messages[0]
    assert envelope.mail_from == "ne-pas-repondre@connectences.local"
    assert envelope.rcpt_tos == ["entreprises@francetravail.exemple.fr"]
    # 7-bit clean on the wire: accents travel encoded, whatever the relay supports.
    envelope.content.decode("ascii")
    message = server.parsed()[0]
    assert (
        message["Subject"] == "[Connect'ences] Besoin réorienté : Secrétaire comptable à mi-temps"
    )
    assert message["From"].addresses[0].display_name == "Connect'ences"
    assert message["From"].addresses[0].addr_spec == "ne-pas-repondre@connectences.local"
    assert message["To"] == "entreprises@francetravail.exemple.fr"
    assert message["Message-ID"] == (
        f"<outbox-{outbox.id}.{outbox.created_at:%Y%m%d%H%M%S}@connectences.local>"
    )
    assert message["Date"].datetime == outbox.created_at.replace(microsecond=0)
    assert message["Auto-Submitted"] == "auto-generated"
    # A partner answering reaches someone (the platform's contact), not the no-reply.
    assert message["Reply-To"] == "contact@connectences.local"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert "Huîtres Sœurs Dupré" in text.get_content()
    assert f"http://localhost/partenaire/reorientations/{referral.id}" in text.get_content()
    assert "Huîtres Sœurs Dupré" in html.get_content() or "Huîtres Sœurs Dupré" in (
        html.get_content().replace("&#39;", "'")
    )
    row = _row(outbox.id)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert row.claim_token is None and row.claimed_at is None

    # A success is not resent, neither now nor later.
    for later in (_now(), _now() + timedelta(days=2)):
        assert deliver_due(db.session, now=later).sent == 0
    assert len(server.messages) == 1
    assert _row(outbox.id).sent_at == row.sent_at


def test_rolled_back_change_writes_no_mail(app, referral_data, server):
    _referral()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalars(select(Need.status)).one() == "nouveau"
    assert deliver_due(db.session, now=_now() + timedelta(hours=1)).sent == 0
    assert server.messages == []


def test_message_written_as_text_leaves_with_text_and_html(app, server):
    queue_mail(
        db.session,
        kind="other",
        to="a@exemple.fr",
        subject="Rappel",
        body_text="Élodie, à bientôt.",
    )
    db.session.commit()
    deliver_due(db.session, now=_now())
    message = server.parsed()[0]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert text == "Élodie, à bientôt.\n"
    assert "Élodie, à bientôt." in html and "Connect" in html


def test_a_subject_with_line_breaks_leaves_on_one_line_to_its_recipient_only(app, server):
    """A need imported with a line break in its title (the interchange format takes any
    string) put it into the referral mail's subject: the mail never left (the email
    package refuses a header holding one) and, had it been written raw, 'Bcc:' would
    have become a header of its own."""
    queue_mail(
        db.session,
        kind="referral_sent",
        to="a@exemple.fr",
        subject="Besoin réorienté\u202f: Plonge\r\nBcc: victime@evil.example\n\tX-Faux: 1",
        body_text="Bonjour",
    )
    db.session.commit()
    assert deliver_due(db.session, now=_now()).sent == 1
    message = server.parsed()[0]
    assert message["Subject"] == (
        "[Connect'ences] Besoin réorienté\u202f: Plonge Bcc: victime@evil.example X-Faux: 1"
    )
    assert message["Bcc"] is None and message["X-Faux"] is None
    assert server.messages[0][0].rcpt_tos == ["a@exemple.fr"]


def test_one_connection_per_batch(app, server):
    _queue(3)
    assert deliver_due(db.session, now=_now()).sent == 3
    assert len({peer for _, peer in server.messages}) == 1
    assert [m["Subject"] for m in server.parsed()] == [
        f"[Connect'ences] Besoin proposé : Comptabilité {i}" for i in range(3)
    ]


# --- failures and retries ------------------------------------------------------------------


def test_backoff_doubles_from_one_minute_up_to_one_hour():
    assert [backoff(n) for n in range(1, 9)] == [MINUTE * m for m in (1, 2, 4, 8, 16, 32, 60, 60)]


def test_refusing_server_leads_to_retries_then_delivery(app, server):
    (outbox_id,) = _queue()
    t0 = _now()
    server.reply = "451 4.3.0 Mailbox busy, try later"

    report = deliver_due(db.session, now=t0)
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    row = _row(outbox_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == t0 + MINUTE
    assert row.last_error == "451 4.3.0 Mailbox busy, try later"
    assert row.claim_token is None

    # Not due yet: the server is not asked again.
    assert deliver_due(db.session, now=t0 + timedelta(seconds=30)).retried == 0
    assert server.refusals == 1

    t1 = t0 + MINUTE
    deliver_due(db.session, now=t1)
    row = _row(outbox_id)
    assert (row.attempts, row.next_attempt_at) == (2, t1 + 2 * MINUTE)

    # A permanent refusal is retried as well (the relay's configuration may be at fault).
    server.reply = "550 5.7.1 Relaying denied"
    t2 = t1 + 2 * MINUTE
    deliver_due(db.session, now=t2)
    row = _row(outbox_id)
    assert (row.status, row.attempts) == ("pending", 3)
    assert row.next_attempt_at == t2 + 4 * MINUTE
    assert row.last_error.startswith("550 5.7.1")
    assert server.messages == []

    server.reply = None
    t3 = t2 + 4 * MINUTE
    report = deliver_due(db.session, now=t3)
    assert (report.sent, report.retried) == (1, 0)
    row = _row(outbox_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 4, t3)
    # The refusal described a try, not the message: it goes once the message is sent.
    assert row.last_error is None
    assert len(server.messages) == 1
    assert deliver_due(db.session, now=t3 + timedelta(hours=3)).sent == 0
    assert len(server.messages) == 1


def test_down_server_leads_to_retries_then_delivery(app, mail_port, start_server):
    ids = _queue(3)
    t0 = _now()

    report = deliver_due(db.session, now=t0)
    # The server cannot be reached: the failure is recorded on the message it was for,
    # and the batch stops instead of trying to connect once per message.
    assert (report.sent, report.retried, report.stopped) == (0, 1, True)
    first, *others = (_row(i) for i in ids)
    assert (first.status, first.attempts, first.next_attempt_at) == ("pending", 1, t0 + MINUTE)
    assert first.last_error.startswith("Serveur de messagerie injoignable (connexion refusée) — ")
    assert "ConnectionRefusedError" in first.last_error
    assert [(m.status, m.attempts) for m in others] == [("pending", 0), ("pending", 0)]

    server = start_server()
    report = deliver_due(db.session, now=t0 + MINUTE)
    assert (report.sent, report.retried, report.stopped) == (3, 0, False)
    assert sorted(m["Message-ID"] for m in server.parsed()) == sorted(
        f"<outbox-{i}.{_row(i).created_at:%Y%m%d%H%M%S}@connectences.local>" for i in ids
    )
    assert {_row(i).status for i in ids} == {"sent"}


def test_server_that_never_answers_times_out_and_is_retried(app, monkeypatch):
    with socket.socket() as silent:
        # Accepts connections (the kernel completes them) but never sends a greeting.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", silent.getsockname()[1])
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT_SECONDS", 0.3)
        (outbox_id,) = _queue()
        report = deliver_due(db.session, now=_now())
    assert (report.retried, report.stopped) == (1, True)
    row = _row(outbox_id)
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error.startswith("Serveur de messagerie sans réponse (délai dépassé)")
    assert "timed out" in row.last_error


def test_one_bad_message_does_not_stop_the_others(app, server):
    server.refused_rcpt = {"inconnu@exemple.fr"}
    good_1 = _queue(subject="Premier")[0]
    refused = _queue(to="inconnu@exemple.fr", subject="Refusé")[0]
    # A header injection attempt: the email package refuses to build it.
    broken = _queue(to="x@exemple.fr\r\nBcc: victime@exemple.fr", subject="Cassé")[0]
    good_2 = _queue(subject="Dernier")[0]

    report = deliver_due(db.session, now=_now())

    assert (report.sent, report.retried, report.failed, report.stopped) == (2, 2, 0, False)
    assert [m["Subject"] for m in server.parsed()] == [
        "[Connect'ences] Premier",
        "[Connect'ences] Dernier",
    ]
    # After a failure the connection is replaced by a fresh one.
    assert server.messages[0][1] != server.messages[1][1]
    assert _row(refused).last_error.startswith("Destinataire refusé — inconnu@exemple.fr: 550")
    assert _row(broken).status == "pending" and "ValueError" in _row(broken).last_error
    assert {_row(good_1).status, _row(good_2).status} == {"sent"}

    # The mailbox now exists: once sent, the refusal naming the address is not kept.
    server.refused_rcpt = set()
    assert deliver_due(db.session, now=_now() + 2 * MINUTE).sent == 1
    assert (_row(refused).status, _row(refused).last_error) == ("sent", None)


def test_failing_for_24_hours_marks_failed_and_visible_to_admins(app, server):
    (outbox_id,) = _queue()
    created = _row(outbox_id).created_at
    deadline = created + GIVE_UP_AFTER
    server.reply = "451 4.3.0 Try later"

    # Just before the deadline: retried, and the next try falls on the deadline itself.
    report = deliver_due(db.session, now=deadline - timedelta(seconds=30))
    assert report.retried == 1
    assert _row(outbox_id).next_attempt_at == deadline
    assert failed_messages(db.session) == []

    report = deliver_due(db.session, now=deadline)
    assert (report.retried, report.failed) == (0, 1)
    row = _row(outbox_id)
    assert (row.status, row.attempts) == ("failed", 2)
    assert [m.id for m in failed_messages(db.session)] == [outbox_id]
    assert outbox_counts(db.session) == {"pending": 0, "sending": 0, "sent": 0, "failed": 1}

    # Given up: not tried again, even once the server works.
    server.reply = None
    assert deliver_due(db.session, now=deadline + timedelta(hours=5)).sent == 0
    assert server.refusals == 2 and server.messages == []


def test_old_message_never_tried_is_tried_before_being_given_up(app, server):
    # The sender did not run for a day: the message must still be tried, not dropped.
    (outbox_id,) = _queue()
    report = deliver_due(db.session, now=_now() + timedelta(hours=30))
    assert report.sent == 1
    assert _row(outbox_id).status == "sent"


def test_failed_message_can_be_requeued_from_the_cli(app, server, runner):
    (outbox_id,) = _queue()
    server.reply = "554 5.7.1 Rejected"
    deliver_due(db.session, now=_row(outbox_id).created_at + GIVE_UP_AFTER)
    assert _row(outbox_id).status == "failed"

    # The administrator sees it, with the server's answer, in French (one try: singular).
    status = runner.invoke(args=["mail", "status"]).output
    assert "en échec : 1" in status and "554 5.7.1 Rejected" in status
    assert "(1 essai)" in status

    server.reply = None
    result = runner.invoke(args=["mail", "retry", str(outbox_id)])
    assert result.exit_code == 0, result.output
    assert "Remis en file : 1." in result.output
    assert deliver_due(db.session).sent == 1
    assert _row(outbox_id).status == "sent" and len(server.messages) == 1


# --- concurrent senders ---------------------------------------------------------------------


def _in_thread(app, target):
    """Run ``target()`` in a thread with its own app context (so its own session)."""
    outcome = {}

    def run():
        with app.app_context():
            try:
                outcome["value"] = target()
            except BaseException as error:  # re-raised in the test's thread
                outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _result(thread, outcome):
    thread.join(timeout=60)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_concurrent_senders_deliver_each_message_exactly_once(app, server):
    ids = _queue(30)
    now = _now()
    barrier = threading.Barrier(2)

    def sender():
        barrier.wait(timeout=10)
        return deliver_due(db.session, now=now)

    runs = [_in_thread(app, sender) for _ in range(2)]
    reports = [_result(*run) for run in runs]

    assert sum(r.sent for r in reports) == 30
    assert sum(r.retried + r.failed for r in reports) == 0
    message_ids = [m["Message-ID"] for m in server.parsed()]
    assert len(message_ids) == len(set(message_ids)) == 30
    assert {_row(i).status for i in ids} == {"sent"}
    assert all(_row(i).attempts == 1 for i in ids)


def test_second_sender_skips_what_the_first_claimed(app, server):
    # Deterministic interleaving: sender A has listed every due message and claimed the
    # first; while it connects, sender B runs to completion. A must then send only its
    # own claim and skip the rest, which B took.
    ids = _queue(5)
    now = _now()
    connect = smtp_from_config(app.config)
    other = {}

    def connect_while_another_sender_runs():
        thread, outcome = _in_thread(app, lambda: deliver_due(db.session, now=now))
        other["report"] = _result(thread, outcome)
        return connect()

    report = deliver_due(db.session, now=now, smtp_factory=connect_while_another_sender_runs)

    assert (report.sent, report.skipped) == (1, 4)
    assert (other["report"].sent, other["report"].skipped) == (4, 0)
    assert len(server.messages) == 5
    assert len({m["Message-ID"] for m in server.parsed()}) == 5
    assert {_row(i).status for i in ids} == {"sent"}


def test_fresh_claim_is_left_alone_and_stale_claim_is_sent_again(app, server):
    fresh, stale = _queue(2)
    now = _now()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == fresh)
        .values(status="sending", claimed_at=now - MINUTE, claim_token="a" * 32)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == stale)
        .values(status="sending", claimed_at=now - STALE_CLAIM - MINUTE, claim_token="b" * 32)
    )
    db.session.commit()

    report = deliver_due(db.session, now=now)

    assert (report.released, report.sent) == (1, 1)
    assert [m["Message-ID"].split(".")[0] for m in server.parsed()] == [f"<outbox-{stale}"]
    row = _row(stale)
    # The interrupted attempt counts: it may have reached the server.
    assert (row.status, row.attempts) == ("sent", 2)
    assert _row(fresh).status == "sending"


def test_outcome_is_recorded_only_by_the_holder_of_the_claim(app, server):
    # A sender frozen past the stale delay loses its claim to another one: when it wakes
    # up, it must not overwrite the new holder's record.
    (outbox_id,) = _queue()
    connect = smtp_from_config(app.config)

    class FrozenThenTakenOver:
        def __init__(self):
            self.smtp = connect()

        def send_message(self, *args, **kwargs):
            result = self.smtp.send_message(*args, **kwargs)
            with db.engine.begin() as other_sender:
                other_sender.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == outbox_id)
                    .values(claim_token="c" * 32)
                )
            return result

        def quit(self):
            self.smtp.quit()

        def close(self):
            self.smtp.close()

    deliver_due(db.session, now=_now(), smtp_factory=FrozenThenTakenOver)

    row = _row(outbox_id)
    assert (row.status, row.claim_token, row.sent_at) == ("sending", "c" * 32, None)


# --- authentication and STARTTLS ---------------------------------------------------------


@pytest.fixture
def tls_files(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, trusted by the client's default context."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 — fixed argument list, no shell, nothing from input
        [  # noqa: S607 — the test runs the tool from the PATH on purpose
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


@pytest.mark.parametrize(("password", "delivered"), [("sel-de-guerande", True), ("mauvais", False)])
def test_starttls_and_login(app, start_server, tls_files, monkeypatch, password, delivered):
    import ssl

    cert, key = tls_files
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, session.ssl is not None))
        # handled=False: aiosmtpd then replies 535 itself on a refusal.
        good = (auth_data.login, auth_data.password) == (b"connectences", b"sel-de-guerande")
        return AuthResult(success=good, handled=False)

    server = start_server(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "connectences")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", password)
    (outbox_id,) = _queue()

    report = deliver_due(db.session, now=_now())

    # The password only ever travelled inside TLS (smtplib tries each offered mechanism).
    assert logins and set(logins) == {(b"connectences", True)}
    if delivered:
        assert report.sent == 1 and len(server.messages) == 1
    else:
        assert (report.sent, report.retried, report.stopped) == (0, 1, True)
        assert _row(outbox_id).last_error.startswith(
            "Identifiants du serveur de messagerie refusés — 535"
        )


# --- command line ------------------------------------------------------------------------


def test_cli_send_and_status(app, server, runner):
    _queue(2)
    refused = _queue(to="inconnu@exemple.fr", subject="Refusé")[0]
    server.refused_rcpt = {"inconnu@exemple.fr"}

    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Envoyés : 2 ; à réessayer : 1 ; abandonnés : 0" in result.output
    assert len(server.messages) == 2

    result = runner.invoke(args=["mail", "status"])
    assert result.exit_code == 0, result.output
    assert "en attente : 1 ; en cours d'envoi : 0 ; envoyés : 2 ; en échec : 0" in result.output
    assert "Aucun échec." in result.output

    deliver_due(db.session, now=_row(refused).created_at + GIVE_UP_AFTER)
    result = runner.invoke(args=["mail", "status"])
    assert "en attente : 0 ; en cours d'envoi : 0 ; envoyés : 2 ; en échec : 1" in result.output
    assert f"#{refused} " in result.output
    assert "inconnu@exemple.fr « [Connect'ences] Refusé » (2 essais)" in result.output
    assert "550 5.1.1 No such user" in result.output


def test_reply_to_goes_into_the_message_when_given():
    from datetime import UTC, datetime

    from connectences.mail.sender import build_message

    common = dict(
        outbox_id=1,
        to="a@exemple.fr",
        subject="s",
        body_text="b",
        body_html=None,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        mail_from="Connect'ences <ne-pas-repondre@connectences.local>",
    )
    assert build_message(**common, reply_to="marc@pays.example")["Reply-To"] == (
        "marc@pays.example"
    )
    assert build_message(**common)["Reply-To"] is None


def test_an_unsubscribe_url_is_written_plain_on_one_line():
    """Folded at 78 like any header, the long URL became RFC 2047 encoded words that mail
    clients do not decode in List-Unsubscribe (one-click unsubscribe did not work)."""
    from datetime import UTC, datetime

    from connectences.mail.sender import build_message

    url = "https://connectences.example/lettres/desinscription/" + "x" * 120
    message = build_message(
        outbox_id=1,
        to="a@exemple.fr",
        subject="Lettre d'information : les besoins des entreprises du Bassin en décembre",
        body_text="Bonjour, " + "é" * 300,
        body_html=None,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        mail_from="Connect'ences <ne-pas-repondre@connectences.local>",
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    raw = message.as_bytes().decode("ascii")
    lines = raw.split("\n")
    assert f"List-Unsubscribe: <{url}>" in lines
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    # Everything else is folded and encoded as before: 7-bit, short lines.
    assert "=?utf-8?" in raw.split("\n\n")[0]  # the accented subject
    assert all(len(line) <= 78 for line in lines if not line.startswith("List-Unsubscribe:"))


def test_an_attachment_travels_beside_the_extra_headers_bytes_unchanged(app, server):
    from connectences.mail import Attachment

    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Réunion\r\nEND:VCALENDAR\r\n"
    queue_mail(
        db.session,
        kind="event_changed",
        to="a@exemple.fr",
        subject="Changement",
        body_text="Bonjour.",
        headers={"List-Id": "<evenements.connectences.local>"},
        attachments=[Attachment("evenement-1.ics", "text/calendar", ics, {"method": "REQUEST"})],
    )
    db.session.commit()
    assert deliver_due(db.session, now=_now()).sent == 1
    [message] = server.parsed()
    assert message["List-Id"] == "<evenements.connectences.local>"
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)).get_content().strip() == "Bonjour."
    [part] = message.iter_attachments()
    assert part.get_content_type() == "text/calendar"
    assert (part.get_param("method"), part.get_content_charset()) == ("REQUEST", "utf-8")
    assert part.get_payload(decode=True) == ics.encode("utf-8")


def test_while_the_relay_is_down_the_admin_reads_why_mail_waits_in_french(
    app, mail_port, start_server, runner, client, auth
):
    ids = _queue(2, subject="Besoin proposé : Zoé Hervé-Müller, pâtisserie")
    t0 = _now()
    deliver_due(db.session, now=t0)  # nothing listens on the port
    result = runner.invoke(args=["mail", "status"])
    assert "en attente : 2" in result.output and "Aucun échec." in result.output
    assert (
        "Dont 1 en nouvel essai après un échec (essais pendant 24 heures) ; dernier motif : "
        "Serveur de messagerie injoignable (connexion refusée)"
    ) in result.output
    assert "Le plus ancien attend depuis le " in result.output
    auth.login("admin")
    page = page_text(client.get("/admin"))
    assert (
        "1 e-mail n'a pas pu partir au dernier essai ; il est réessayé "
        "automatiquement pendant 24 heures. Dernier motif : Serveur de messagerie injoignable"
    ) in page
    # The relay back: each message leaves once, its accented subject intact, and the
    # page no longer speaks of a failure.
    server = start_server()
    assert deliver_due(db.session, now=t0 + MINUTE).sent == 2
    assert deliver_due(db.session, now=t0 + 2 * MINUTE).sent == 0
    assert sorted(m["Subject"] for m in server.parsed()) == [
        f"[Connect'ences] Besoin proposé : Zoé Hervé-Müller, pâtisserie {n}" for n in range(2)
    ]
    assert {_row(i).status for i in ids} == {"sent"}
    assert "n'ont pas pu partir" not in page_text(client.get("/admin"))


@pytest.mark.parametrize(
    ("error", "french"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "injoignable (connexion refusée)"),
        (TimeoutError("timed out"), "sans réponse (délai dépassé)"),
        (socket.gaierror(-2, "Name or service not known"), "introuvable (nom inconnu)"),
        (
            smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
            "MAIL_USE_TLS",
        ),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), "Identifiants"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "Connexion coupée"),
    ],
)
def test_a_relay_failure_is_told_in_french_before_the_system_s_words(error, french):
    text = describe_error(error)
    assert french in text.split(" — ")[0]
    assert type(error).__name__ in text or "535" in text  # the server's words kept


def test_a_refusal_of_the_message_itself_is_the_server_s_words_only():
    error = smtplib.SMTPDataError(451, b"4.3.0 Mailbox busy")
    assert describe_error(error) == "451 4.3.0 Mailbox busy"


def test_an_accented_domain_is_sent_in_its_ascii_form(app, server):
    domain = _queue(to="zoe@exémple.fr")[0]
    assert deliver_due(db.session, now=_now()).sent == 1
    ((envelope, _),) = server.messages
    assert envelope.rcpt_tos == ["zoe@xn--exmple-cva.fr"]
    assert server.parsed()[0]["To"] == "zoe@xn--exmple-cva.fr"
    assert _row(domain).status == "sent"


def test_an_accented_name_a_relay_without_smtputf8_refuses_is_explained():
    error = smtplib.SMTPNotSupportedError(
        "One or more source or delivery addresses require internationalized email "
        "support, but the server does not advertise the required SMTPUTF8 capability"
    )
    assert describe_error(error).startswith(
        "Adresse accentuée avant le @ : le serveur de messagerie ne la prend pas (SMTPUTF8)"
    )
