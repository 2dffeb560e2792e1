"""Forgotten password: a short-lived, single-use link by e-mail, for any account that has
a password; the page never says whether an address has an account."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import func, select, text

from connectences.extensions import db
from connectences.models import AuditLog, LoginThrottle, OutboxMessage, User
from connectences.models.base import utcnow
from tests.fixtures_auth import csrf_token_from
from tests.helpers import resolve_link_requests, same_page
from tests.known_secrets import OTHER_PASSWORD, PASSWORD
from tests.known_secrets import RESET_PASSWORD as NEW_PASSWORD

LINK = re.compile(r"http://[^/\s]+(/invitation/[^\s<\"]+)")


def _ask(client, email: str):
    """Ask for a link, then let the minute job queue it (``link_requests``)."""
    token = csrf_token_from(client.get("/mot-de-passe-oublie").get_data(as_text=True))
    data = {"email": email}
    if token:
        data["csrf_token"] = token
    answer = client.post("/mot-de-passe-oublie", data=data)
    resolve_link_requests()
    return answer


def _mails_to(email: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id)
        )
    )


def _log_in(client, email: str, password: str):
    return client.post("/connexion", data={"email": email, "password": password})


def test_a_staff_member_resets_a_forgotten_password(app, client, auth):
    user = auth.create("animateur", email="marc@pays.fr")
    answer = _ask(client, "Marc@Pays.fr ")
    assert answer.status_code == 200
    assert "Si un compte existe pour cette adresse" in answer.get_data(as_text=True)
    (mail,) = _mails_to("marc@pays.fr")
    assert mail.reply_to == "contact@connectences.local"  # not the no-reply sender
    path = LINK.search(mail.body_text).group(1)
    page = client.get(path).get_data(as_text=True)
    assert "Choisir un nouveau mot de passe" in page
    before = db.session.get(User, user.id).session_version
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == before + 1  # other sessions end
    other = app.test_client()
    assert _log_in(other, "marc@pays.fr", PASSWORD).status_code != 302
    assert _log_in(other, "marc@pays.fr", NEW_PASSWORD).status_code == 302
    # The link served once: its page names it and leads to a new one.
    spent = client.get(path)
    assert spent.status_code == 400
    html = spent.get_data(as_text=True)
    assert "Lien de changement de mot de passe non valable" in html
    assert "Lien d'invitation" not in html
    assert 'href="/mot-de-passe-oublie"' in html


def test_the_reset_mail_names_the_configured_platform(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_NAME", "Emploi Val de l'Eyre")
    auth.create("animateur", email="nom@pays.fr")
    _ask(client, "nom@pays.fr")
    (mail,) = _mails_to("nom@pays.fr")
    assert mail.subject == "[Emploi Val de l'Eyre] Choisir un nouveau mot de passe"
    assert "de votre compte Emploi Val de l'Eyre nom@pays.fr." in mail.body_text
    assert "Connect'ences" not in mail.body_text + mail.body_html


def test_unknown_disabled_or_never_activated_accounts_get_the_same_answer_and_no_mail(client, auth):
    auth.create("operator", email="parti@ge.fr").active = False
    pending = User(email="invite@ge.fr", role="operator")  # invited, no password yet
    db.session.add(pending)
    db.session.commit()
    known = same_page(_ask(client, "parti@ge.fr"))
    for email in ("personne@nulle-part.fr", "invite@ge.fr"):
        assert same_page(_ask(client, email)) == known
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_new_link_replaces_the_old_one_and_links_expire(client, auth):
    auth.create("partner", email="ft@ft.fr")
    _ask(client, "ft@ft.fr")
    _ask(client, "ft@ft.fr")
    first, second = (LINK.search(m.body_text).group(1) for m in _mails_to("ft@ft.fr"))
    assert "plus valable" in client.get(first).get_data(as_text=True)
    assert client.get(second).status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=3)):
        assert "plus valable" in client.get(second).get_data(as_text=True)


def test_one_address_gets_three_links_a_day_at_most(client, auth):
    auth.create("territoire", email="elu@cobas.fr")
    for _ in range(6):
        assert _ask(client, "elu@cobas.fr").status_code == 200
    assert len(_mails_to("elu@cobas.fr")) == 3
    with time_machine.travel(utcnow() + timedelta(hours=25)):
        _ask(client, "elu@cobas.fr")
    assert len(_mails_to("elu@cobas.fr")) == 4
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "password_reset_requested")
        )
        == 4
    )


def test_an_empty_or_invalid_request_is_refused_in_french(client):
    response = _ask(client, "")
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.get_data(as_text=True)


def test_something_that_is_not_an_address_is_refused_in_french(client):
    for typed in ("pasmail", "1e309", "claire@", "@exemple.fr"):
        response = _ask(client, typed)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "Indiquez une adresse e-mail valide" in html
        assert "Si un compte existe pour cette adresse" not in html
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_well_formed_address_gets_the_neutral_answer_whether_known_or_not(client, auth):
    auth.create("operator", email="connue@ge.fr")
    known = same_page(_ask(client, "connue@ge.fr"))
    assert "Si un compte existe pour cette adresse" in known
    assert same_page(_ask(client, "inconnue@ge.fr")) == known


def test_a_password_changed_ends_the_reset_links_sent_before(app, client, auth):
    """Someone who read a reset mail (a shared mailbox, a phone left open) could still use
    it after the owner, warned, changed their password: it stayed valid for its 2 hours."""
    auth.create("operator", email="rh@ge.fr")
    _ask(client, "rh@ge.fr")
    (mail,) = _mails_to("rh@ge.fr")
    path = LINK.search(mail.body_text).group(1)
    owner = app.test_client()
    assert _log_in(owner, "rh@ge.fr", PASSWORD).status_code == 302
    changed = owner.post(
        "/mot-de-passe",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert "plus valable" in client.get(path).get_data(as_text=True)
    taken = client.post(path, data={"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})
    assert taken.status_code == 400
    assert _log_in(app.test_client(), "rh@ge.fr", NEW_PASSWORD).status_code == 302


def test_an_owner_locked_out_by_someone_else_s_failures_gets_in_through_a_reset(app, client, auth):
    """Anyone typing wrong passwords for an address locks it (15 minutes, again and again):
    the page said only « Réessayez plus tard ». The reset link is the owner's way in
    meanwhile, and the locked page now points to it (as it does for an unknown address)."""
    auth.create("operator", email="rh@ge.fr")
    attacker = app.test_client()
    for _ in range(5):
        _log_in(attacker, "rh@ge.fr", OTHER_PASSWORD)
    locked = _log_in(client, "rh@ge.fr", PASSWORD)
    assert locked.status_code == 429
    unknown = _log_in(attacker, "absent@ge.fr", OTHER_PASSWORD)
    for _ in range(5):
        unknown = _log_in(attacker, "absent@ge.fr", OTHER_PASSWORD)
    assert unknown.status_code == 429
    for page in (locked, unknown):
        html = page.get_data(as_text=True).split("</form>")[0]
        assert 'href="/mot-de-passe-oublie"' in html and "connecté aussitôt" in html
    _ask(client, "rh@ge.fr")
    (mail,) = _mails_to("rh@ge.fr")
    path = LINK.search(mail.body_text).group(1)
    chosen = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert chosen.status_code == 302
    assert client.get(chosen.location).status_code == 200  # logged in, lock or not
    # The new password is not locked out by the guesses at the old one, on that same
    # connection either (another device of the owner's, at the office).
    assert _log_in(app.test_client(), "rh@ge.fr", NEW_PASSWORD).status_code == 302


def test_a_reset_clears_the_lock_a_guess_from_many_addresses_set(app, client, auth):
    """Failures spread over many addresses lock the account everywhere, its owner's
    connection included: the reset link lets them in and clears every lock of the
    account, from each address and from all together."""
    auth.create("operator", email="rh@ge.fr")
    for attempt in range(app.config["LOGIN_ACCOUNT_MAX_FAILURES"]):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.100.{attempt}"
        _log_in(guesser, "rh@ge.fr", OTHER_PASSWORD)
    # One guess from each address, the owner's connection never used: locked all the same.
    assert _log_in(client, "rh@ge.fr", PASSWORD).status_code == 429
    _ask(client, "rh@ge.fr")
    (mail,) = _mails_to("rh@ge.fr")
    path = LINK.search(mail.body_text).group(1)
    chosen = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert chosen.status_code == 302
    assert client.get(chosen.location).status_code == 200
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(LoginThrottle)
            .where(LoginThrottle.key.contains("rh@ge.fr"))
        )
        == 0
    )
    for remote in ("127.0.0.1", "198.51.100.0", "203.0.113.5"):
        elsewhere = app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = remote
        assert _log_in(elsewhere, "rh@ge.fr", NEW_PASSWORD).status_code == 302, remote
    # The counts of the addresses are not the account's: they stay.
    assert db.session.get(LoginThrottle, "ip:198.51.100.1").failures == 1


def test_disabling_an_account_ends_its_reset_links_for_good(app, client, auth):
    # Finding: a reset asked, the account disabled then re-enabled within the 2 hours,
    # the link sent before still set a password (whoever read it got the account back).
    from connectences.accounts import roles, users

    auth.create("operator", email="leon@ge.fr")
    auth.create("admin", email="chef@pays.fr")
    assert _ask(client, "leon@ge.fr").status_code == 200
    path = LINK.search(_mails_to("leon@ge.fr")[-1].body_text).group(1)
    roles.disable(db.session, "leon@ge.fr")
    db.session.commit()
    users.enable(db.session, "leon@ge.fr")
    db.session.commit()
    refused = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused.status_code == 400
    assert "non valable" in refused.get_data(as_text=True)
    assert _log_in(app.test_client(), "leon@ge.fr", NEW_PASSWORD).status_code != 302
    assert _log_in(app.test_client(), "leon@ge.fr", PASSWORD).status_code == 302


def test_the_migration_marks_the_passwords_closed_before_the_marker(tmp_path):
    # Finding: « Désactiver mes anciens liens » used to leave password_hash NULL, as an
    # invitation never accepted; the reset skips those: the owner could never get back in.
    from flask_migrate import upgrade

    from connectences import create_app
    from connectences.accounts import request_password_reset
    from connectences.accounts.audit import audit
    from connectences.accounts.passwords import CLOSED_HASH, hash_password

    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"}
    )
    with app.app_context():
        upgrade(revision="c4d8e2a6f0b1")
        # The accounts as that revision holds them, written in its own columns (the model
        # has grown since: it would write columns this schema does not have yet).
        insert = text(
            'INSERT INTO "user" (email, role, password_hash, active, session_version, '
            "created_at, sort_name) VALUES (:email, :role, :hash, 1, 0, :now, :email)"
        )
        now = datetime(2026, 11, 1)
        for email, role, hashed in (
            ("ferme@exemple.fr", "candidate", None),
            ("invite@exemple.fr", "operator", None),  # never activated
            ("revenu@exemple.fr", "candidate", hash_password(NEW_PASSWORD)),  # chose one since
        ):
            db.session.execute(insert, {"email": email, "role": role, "hash": hashed, "now": now})
        ids = tuple(
            db.session.execute(
                text('SELECT id FROM "user" WHERE email = :email'), {"email": email}
            ).scalar_one()
            for email in ("ferme@exemple.fr", "invite@exemple.fr", "revenu@exemple.fr")
        )
        for user_id in (ids[0], ids[2]):
            audit(db.session, "password_closed", entity="user", entity_id=user_id)
        audit(db.session, "invitation_sent", entity="user", entity_id=ids[1])
        # Another kind of record with the same id: not an account's closing.
        audit(db.session, "password_closed", entity="candidate", entity_id=ids[1])
        db.session.commit()
        db.session.remove()
        upgrade()
        closed, invited, chosen = (db.session.get(User, i) for i in ids)
        assert closed.password_hash == CLOSED_HASH
        assert invited.password_hash is None
        assert chosen.password_hash.startswith("$argon2")
        # Its owner now gets back in through « Mot de passe oublié »; the invited one not.
        assert request_password_reset(db.session, "ferme@exemple.fr") is not None
        assert request_password_reset(db.session, "invite@exemple.fr") is None
        db.session.remove()
        db.engine.dispose()
