"""A personal link asked for by typing an address (password reset, CV space, company
space): the form does the same work whatever the address, the minute job mails it.

Measured from outside, the forms answered a known address later than an unknown one
(median of 20 tries: 38 ms against 20 ms for the reset form, 9.5 against 6.2 ms for the
CV link): finding the account and queueing its mail took time that finding nobody did
not, enough to tell who has an account. Padding every answer with a sleep held the
(sync) workers; the forms now only record the request (``accounts.link_requests``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from connectences import accounts
from connectences.accounts import link_requests
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import AuditLog, Candidate, Invitation, LinkRequest, OutboxMessage
from tests.cv_helpers import link_in
from tests.helpers import count, mails_to, recorded_statements, resolve_link_requests
from tests.test_cv_public import EMAIL as CV_EMAIL
from tests.test_cv_public import post_form, submitted_and_confirmed
from tests.test_jobs import run
from tests.test_mail import mail_port, server, start_server  # noqa: F401 (fixtures)
from tests.test_newsletter import quiet_smtp_server_log  # noqa: F401 (fixture)
from tests.test_web_need_public import _post_and_confirm

UNKNOWN = "personne@inconnu.fr"
OWNER = "claire@huitres-dupont.fr"  # the owner of ``_post_and_confirm``'s need
ACCOUNT = "marc@pays.fr"


def _known_account(client, auth) -> str:
    auth.create("animateur", email=ACCOUNT)
    return ACCOUNT


def _known_profile(client, auth) -> str:
    submitted_and_confirmed(client)
    return CV_EMAIL


def _known_owner(client, auth) -> str:
    _post_and_confirm(client)
    return OWNER


FORMS = [
    ("/mot-de-passe-oublie", _known_account, MailKind.PASSWORD_RESET, r"(/invitation/\S+)"),
    ("/mon-cv/lien", _known_profile, MailKind.CV_SPACE_LINK, r"(/mon-cv/\S+)"),
    ("/entreprise/lien", _known_owner, MailKind.COMPANY_SPACE_LINK, r"(/entreprise/suivi/\S+)"),
]
IDS = ["reset", "cv", "company"]


def _statements(client, path: str, email: str) -> list[str]:
    with recorded_statements() as statements:
        answer = client.post(path, data={"email": email})
    assert answer.status_code in (200, 302)
    return statements


@pytest.mark.parametrize(("path", "known", "kind", "link"), FORMS, ids=IDS)
def test_the_form_sends_the_same_statements_for_a_known_and_an_unknown_address(
    app, client, auth, path, known, kind, link
):
    email = known(client, auth)
    _statements(client, path, "premier@inconnu.fr")  # what a first request loads once
    for_known = _statements(client, path, email)
    for_unknown = _statements(client, path, UNKNOWN)
    assert for_known == for_unknown
    # One insert of the request, nothing read of the accounts, profiles or needs.
    assert sum(s.startswith("INSERT INTO link_request") for s in for_known) == 1
    assert not any(
        table in s for s in for_known for table in ('FROM "user"', "FROM user ", "FROM candidate")
    )
    assert not any("outbox_message" in s or "need" in s for s in for_known)
    assert count(LinkRequest) == 3


@pytest.mark.parametrize(("path", "known", "kind", "link"), FORMS, ids=IDS)
def test_the_minute_job_mails_the_known_address_its_link_and_the_unknown_nothing(
    app, client, auth, path, known, kind, link
):
    email = known(client, auth)
    mails, audits = count(OutboxMessage), count(AuditLog)
    assert client.post(path, data={"email": UNKNOWN}).status_code in (200, 302)
    assert client.post(path, data={"email": email.upper()}).status_code in (200, 302)
    assert count(OutboxMessage) == mails  # nothing queued by the form itself
    assert run("mail_outbox", datetime.now(UTC))["links_mailed"] == 1
    assert count(LinkRequest) == 0  # both resolved, the unknown one leaving nothing behind
    assert mails_to(UNKNOWN) == []
    (mail,) = [m for m in mails_to(email) if m.kind == kind]
    assert count(OutboxMessage) == mails + 1
    if kind != MailKind.PASSWORD_RESET:
        assert count(AuditLog) == audits  # the reset alone is audited, as before
    page = client.get(link_in(mail, r"http://localhost" + link))
    assert page.status_code == 200


def test_a_reset_is_audited_with_the_requester_s_address_and_lasts_from_the_job(app, client, auth):
    _known_account(client, auth)
    where = {"REMOTE_ADDR": "203.0.113.7"}
    client.post("/mot-de-passe-oublie", data={"email": ACCOUNT}, environ_base=where)
    later = datetime.now(UTC).replace(microsecond=0)
    run("mail_outbox", later)
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "password_reset_requested")
    ).one()
    assert entry.ip == "203.0.113.7"
    invitation = db.session.scalars(select(Invitation)).one()
    hours = accounts.users.RESET_TTL_HOURS
    assert (invitation.expires_at - later).total_seconds() == hours * 3600


def test_an_account_disabled_before_the_job_runs_gets_no_reset_link(app, client, auth):
    _known_account(client, auth)
    client.post("/mot-de-passe-oublie", data={"email": ACCOUNT})
    accounts.disable(db.session, ACCOUNT)
    db.session.commit()
    assert resolve_link_requests() == 0
    assert mails_to(ACCOUNT) == [] and count(Invitation) == 0 and count(LinkRequest) == 0


def test_a_profile_whose_account_is_disabled_before_the_job_runs_gets_no_link(app, client, auth):
    space = submitted_and_confirmed(client)
    password = "une phrase de passe assez longue"  # noqa: S105 — a test's own fixed value
    client.post(f"{space}/compte", data={"password": password, "confirm": password})
    client.post("/mon-cv/lien", data={"email": CV_EMAIL})
    accounts.disable(db.session, CV_EMAIL)
    db.session.commit()
    assert resolve_link_requests() == 0
    assert [m for m in mails_to(CV_EMAIL) if m.kind == MailKind.CV_SPACE_LINK] == []


def test_flooding_an_unknown_address_is_refused_like_a_known_one(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_MAX_REQUESTS", 2)
    _known_account(client, auth)
    for email in (UNKNOWN, UNKNOWN):
        assert client.post("/mot-de-passe-oublie", data={"email": email}).status_code == 200
    for email in (UNKNOWN, ACCOUNT):
        refused = client.post("/mot-de-passe-oublie", data={"email": email})
        assert refused.status_code == 429
    assert count(LinkRequest) == 2  # the refused ones were not recorded
    assert resolve_link_requests() == 0


def test_many_requests_for_one_address_resolved_at_once_keep_its_daily_limit(client, auth):
    _known_account(client, auth)
    for number in range(accounts.users.MAX_RESETS_PER_DAY + 2):
        where = {"REMOTE_ADDR": f"198.51.100.{number}"}
        client.post("/mot-de-passe-oublie", data={"email": ACCOUNT}, environ_base=where)
    assert resolve_link_requests() == accounts.users.MAX_RESETS_PER_DAY
    assert len(mails_to(ACCOUNT)) == accounts.users.MAX_RESETS_PER_DAY
    assert count(LinkRequest) == 0


def test_a_request_whose_rule_fails_is_dropped_and_the_others_go_on(
    app, client, auth, monkeypatch, caplog
):
    _known_account(client, auth)
    client.post("/mon-cv/lien", data={"email": UNKNOWN})
    client.post("/mot-de-passe-oublie", data={"email": ACCOUNT})

    def broken(session, email):
        raise RuntimeError("broken rule")

    monkeypatch.setattr(link_requests, "send_space_link", broken)
    assert resolve_link_requests() == 1
    assert count(LinkRequest) == 0 and len(mails_to(ACCOUNT)) == 1
    assert "could not be resolved" in caplog.text


def test_an_unknown_link_is_refused_when_asked():
    with pytest.raises(ValueError):
        link_requests.ask(db.session, "autre", UNKNOWN)


def test_the_dry_run_counts_the_requests_without_resolving_them(client, auth):
    _known_account(client, auth)
    client.post("/mot-de-passe-oublie", data={"email": ACCOUNT})
    assert run("mail_outbox", datetime.now(UTC), dry_run=True)["links_asked"] == 1
    assert count(LinkRequest) == 1 and mails_to(ACCOUNT) == []


def test_the_command_line_send_resolves_the_requests_too(
    app,
    client,
    auth,
    server,  # noqa: F811
    runner,
    quiet_smtp_server_log,  # noqa: F811
):
    _known_account(client, auth)
    client.post("/mot-de-passe-oublie", data={"email": ACCOUNT})
    client.post("/mot-de-passe-oublie", data={"email": UNKNOWN})
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Liens demandés mis en file : 1." in result.output
    assert "Envoyés : 1 ;" in result.output
    ((envelope, _),) = server.messages
    assert envelope.rcpt_tos == [ACCOUNT]
    assert re.search(r"/invitation/\S+", envelope.content.decode())
    assert count(LinkRequest) == 0


def _correction_statements(app, email: str, typed: str) -> list[str]:
    """The statements of correcting, on the thanks page, the address a new profile was
    just sent with (``typed``) to ``email``."""
    author = app.test_client()
    assert post_form(author, email=typed, first_name="Sophie").status_code == 302
    with recorded_statements() as statements:
        answer = author.post("/deposer-mon-cv/merci", data={"email": email})
    assert answer.status_code == 302 and answer.location.endswith("/deposer-mon-cv/merci")
    return statements


def test_correcting_the_thanks_page_address_sends_the_same_statements_known_or_not(app, client):
    """Measured from outside, correcting to an address another profile held (its owner
    mailed their link) and to a free one (the profile moved, a confirmation queued)
    differed by a few ms; both now only record the wish, carried out by the minute job."""
    submitted_and_confirmed(client)  # CV_EMAIL: a profile of the library
    _correction_statements(app, "premier@inconnu.fr", "sophie.premier@gmial.com")
    for_known = _correction_statements(app, CV_EMAIL, "sophie.un@gmial.com")
    for_unknown = _correction_statements(app, UNKNOWN, "sophie.deux@gmial.com")
    assert for_known == for_unknown
    assert sum(s.startswith("INSERT INTO link_request") for s in for_known) == 1
    # Nothing looked up by address, nothing queued, no history written.
    assert not any("candidate.email =" in s for s in for_known)
    assert not any("outbox_message" in s or "candidate_event" in s for s in for_known)
    # The minute job: the free address is the profile's now and gets its confirmation;
    # the one held already gets its owner's link, the other profile keeping its address.
    before = len(mails_to(CV_EMAIL))
    assert resolve_link_requests() == 3
    db.session.expire_all()
    addresses = set(db.session.scalars(select(Candidate.email)))
    assert {UNKNOWN, "premier@inconnu.fr", "sophie.un@gmial.com"} <= addresses
    assert [m.kind for m in mails_to(UNKNOWN)] == [MailKind.CV_CONFIRM]
    assert [m.kind for m in mails_to(CV_EMAIL)[before:]] == [MailKind.CV_SPACE_LINK]
    assert db.session.scalars(select(Candidate.pending_email)).all() == [None] * 4
    assert count(LinkRequest) == 0


def test_the_address_typed_again_and_confirmed_before_the_job_leaves_no_change_asked(app, client):
    """Typing the same address again asks for its confirmation mail again; its first
    link still confirms meanwhile, and the job forgets the wish (no change shown as
    asked in the space)."""
    assert post_form(client).status_code == 302
    first_link = link_in(mails_to(CV_EMAIL)[-1], r"http://localhost(/mon-cv/confirmer/\S+)")
    client.post("/deposer-mon-cv/merci", data={"email": CV_EMAIL})
    assert client.post(first_link).status_code == 302
    assert resolve_link_requests() == 0
    db.session.expire_all()
    (candidate,) = db.session.scalars(select(Candidate))
    assert candidate.email_confirmed_at is not None and candidate.pending_email is None


def _correction_after(app, typed: str, meant: str) -> tuple[list, list, int, str | None]:
    """The statements of a bad correction, then of a good one to ``meant``, on the thanks
    page of a sending made with ``typed``; and the good one's answer."""
    author = app.test_client()
    assert post_form(author, email=typed, first_name="Sophie").status_code == 302
    with recorded_statements() as refused:
        assert author.post("/deposer-mon-cv/merci", data={"email": "sophie@"}).status_code == 422
    with recorded_statements() as taken:
        answer = author.post("/deposer-mon-cv/merci", data={"email": meant})
    return refused, taken, answer.status_code, answer.location


def test_a_correction_runs_the_same_statements_after_a_known_address_as_after_a_new_one(
    app, client
):
    """The thanks page now lets the sender of an address that held a profile correct it
    too (its box told who was in the library): what the request does must not tell
    either. One statement changes no row for the sending that stored nothing; the
    minute job does the rest."""
    submitted_and_confirmed(client)  # CV_EMAIL: a profile of the library
    _correction_after(app, "premier@inconnu.fr", "premier.bon@inconnu.fr")
    after_known = _correction_after(app, CV_EMAIL, "sophie.a@inconnu.fr")
    after_new = _correction_after(app, "sophie@gmial.com", "sophie.b@inconnu.fr")
    assert after_known == after_new
    refused, taken, status, location = after_known
    assert status == 302 and location.endswith("/deposer-mon-cv/merci")
    assert not any("candidate" in s for s in refused)
    assert sum(s.startswith("INSERT INTO link_request") for s in taken) == 1
    assert not any(s.startswith("SELECT") and "FROM candidate" in s for s in taken)
    assert not any("outbox_message" in s or "candidate_event" in s for s in taken)


def _unstored_sending(app):
    """A browser that sent the form with CV_EMAIL, a profile's address already: nothing
    stored, that profile's owner mailed their link."""
    author = app.test_client()
    assert post_form(author, first_name="Sophie", last_name="Tartempion").status_code == 302
    return author


def _corrected(author, meant: str) -> None:
    answer = author.post("/deposer-mon-cv/merci", data={"email": meant})
    assert answer.status_code == 302


def test_the_job_mails_the_corrected_address_of_a_sending_that_stored_nothing(app, client):
    """Its author meant another address: whoever holds a profile there gets its link, as
    from the link form; anyone else is invited to send the profile again, nothing of it
    having been kept. The owner of the address typed first learns nothing more, and
    neither mail names that address or that owner."""
    submitted_and_confirmed(client)  # Camille, at CV_EMAIL
    held = "lea.martin@exemple.fr"
    submitted_and_confirmed(app.test_client(), email=held, first_name="Léa")
    first, second = _unstored_sending(app), _unstored_sending(app)
    owner_mails = len(mails_to(CV_EMAIL))
    _corrected(first, held)
    _corrected(second, UNKNOWN)
    assert resolve_link_requests() == 2
    assert [m.kind for m in mails_to(held)][-1] == MailKind.CV_SPACE_LINK
    (invited,) = mails_to(UNKNOWN)
    assert invited.kind == MailKind.CV_SEND_AGAIN
    assert "déposez votre profil à nouveau" in invited.body_text
    assert "http://localhost/deposer-mon-cv" in invited.body_text
    for mail in (invited, mails_to(held)[-1]):
        for told in (CV_EMAIL, "Camille", "Sophie", "Tartempion"):
            assert told not in mail.body_text and told not in mail.body_html
    assert len(mails_to(CV_EMAIL)) == owner_mails
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Candidate.email))) == sorted([CV_EMAIL, held])
    assert db.session.scalars(select(Candidate.pending_email)).all() == [None, None]
    # Asked again and again: the invitation is not sent twice within minutes.
    _corrected(second, UNKNOWN)
    assert resolve_link_requests() == 0 and len(mails_to(UNKNOWN)) == 1
