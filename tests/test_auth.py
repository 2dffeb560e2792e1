"""Accounts: passwords, login throttle, invitations, disabling, the login pages and the CLI."""

from __future__ import annotations

import hashlib
import html
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from connectences import accounts, create_app
from connectences.accounts import passwords, throttle
from connectences.config import Defaults
from connectences.extensions import db
from connectences.models import AuditLog, Invitation, LoginThrottle, OutboxMessage, User, utcnow
from tests import factories
from tests.helpers import element_by_id, error_of, html_of, page_text_of, recorded_statements
from tests.known_secrets import GOOD_PASSWORD, OTHER_PASSWORD, PASSWORD


def text(response) -> str:
    """The page as a person reads it (HTML entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def _throttle_row(key: str) -> LoginThrottle | None:
    db.session.expire_all()
    return db.session.get(LoginThrottle, key)


# --- passwords -------------------------------------------------------------------


def test_password_must_have_twelve_characters():
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_user(db.session, "a@exemple.fr", "animateur", password="x" * 11)
    assert "au moins 12 caractères" in refused.value.message
    twelve = "tulipe-rouge"  # noqa: S105 — a test's own fixed value, not a credential of any deployment
    user = accounts.create_user(db.session, "a@exemple.fr", "animateur", password=twelve)
    assert user.password_hash.startswith("$argon2id$")
    assert twelve not in user.password_hash


@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("aaaaaaaaaaaa", "trop peu de caractères différents"),
        ("abababababab", "trop peu de caractères différents"),
        ("password1234", "parmi les plus courants"),
        ("Azerty2027!!", "parmi les plus courants"),
        ("MotDePasse-1", "parmi les plus courants"),
        ("123456789012", "parmi les plus courants"),
        ("lea.martin@exemple.fr", "votre adresse e-mail"),
        ("Lea.Martin.2027", "votre adresse e-mail"),
    ],
)
def test_a_password_an_attacker_tries_first_is_refused(password, said):
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_user(db.session, "lea.martin@exemple.fr", "animateur", password=password)
    assert said in refused.value.message


@pytest.mark.parametrize(
    "password", ["une phrase de passe assez longue", "mot-de-passe-de-test-2027", "Tr0ub4dor&3x"]
)
def test_a_phrase_or_a_long_mixed_password_is_accepted(password):
    assert passwords.password_problem(password, email="lea.martin@exemple.fr") is None


def test_password_is_rehashed_when_parameters_change(app, monkeypatch):
    # This test keeps the production settings (the suite hashes cheaply, see conftest).
    for key in ("ARGON2_TIME_COST", "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM"):
        monkeypatch.setitem(app.config, key, getattr(Defaults, key))
    user = accounts.create_user(db.session, "r@exemple.fr", "animateur", password=GOOD_PASSWORD)
    db.session.commit()
    old_hash = user.password_hash
    assert "m=65536,t=3,p=4" in old_hash
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 1)
    monkeypatch.setitem(app.config, "ARGON2_MEMORY_KIB", 8192)
    accounts.authenticate(db.session, "r@exemple.fr", GOOD_PASSWORD, "192.0.2.1")
    assert user.password_hash != old_hash
    assert "m=8192,t=1," in user.password_hash
    # The new hash still opens the account, with the new parameters.
    assert accounts.authenticate(db.session, "r@exemple.fr", GOOD_PASSWORD, "192.0.2.1") is user


def test_unknown_account_costs_a_hash(monkeypatch):
    calls = []
    original = passwords.PasswordHasher.verify

    def spy(self, hash_, password):
        calls.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(passwords.PasswordHasher, "verify", spy)
    with pytest.raises(accounts.LoginRefused) as refused:
        accounts.authenticate(db.session, "personne@exemple.fr", GOOD_PASSWORD, "192.0.2.1")
    assert refused.value.message == "Adresse e-mail ou mot de passe incorrect."
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


# --- create_user -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "role", "org_ref", "message"),
    [
        ("pas-une-adresse", "animateur", None, "n'est pas valide"),
        ("x@exemple.fr", "directeur", None, "Rôle inconnu « directeur »"),
        ("x@exemple.fr", "admin", "op-1", "n'est rattaché à aucune organisation"),
        ("x@exemple.fr", "operator", None, "référence de l'opérateur"),
        ("x@exemple.fr", "operator", "inconnu", "Aucun opérateur n'a la référence « inconnu »"),
        ("x@exemple.fr", "partner", "inconnu", "Aucun partenaire n'a la référence"),
        ("x@exemple.fr", "company", None, "référence de l'entreprise"),
        ("x@exemple.fr", "company", "inconnue", "Aucune entreprise n'a la référence"),
        ("x@exemple.fr", "territoire", "1234", "il faut 9 chiffres"),
        ("x@exemple.fr", "territoire", "999999999", "Aucune intercommunalité"),
        ("x@exemple.fr", "candidate", "cv-inconnu", "Aucun candidat"),
    ],
)
def test_create_user_refusals_are_in_french(email, role, org_ref, message):
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_user(db.session, email, role, password=GOOD_PASSWORD, org_ref=org_ref)
    assert message in refused.value.message
    assert db.session.scalar(select(User.id)) is None


def test_create_user_attaches_each_role_to_its_organisation(auth):
    operator = auth.create("operator")
    partner = auth.create("partner")
    company = auth.create("company")
    officer = auth.create("territoire")
    candidate = auth.create("candidate")
    assert operator.operator is not None and operator.operator.ref.startswith("operateur-")
    assert partner.partner is not None
    assert [c.ref for c in company.companies] and company.companies[0].commune == "33009"
    assert officer.epci_siren == factories.COBAS
    assert candidate.candidate_id is not None
    with pytest.raises(accounts.AccountError, match="existe déjà"):
        accounts.create_user(db.session, operator.email.upper(), "animateur")


def test_company_user_may_own_several_companies():
    first, second = factories.company(), factories.company()
    factories.load(factories.document(companies=[first, second]))
    user = accounts.create_user(
        db.session, "patron@exemple.fr", "company", org_ref=f"{first['ref']}, {second['ref']}"
    )
    assert sorted(c.ref for c in user.companies) == sorted([first["ref"], second["ref"]])


def test_candidate_account_finds_its_profile_by_email():
    item = factories.candidate(email="lea@exemple.fr")
    factories.load(factories.document(candidates=[item]))
    user = accounts.create_user(db.session, "Lea@Exemple.fr", "candidate")
    assert user.email == "lea@exemple.fr"
    assert user.candidate_id is not None


# --- login throttle ----------------------------------------------------------------


def test_failures_from_one_address_lock_the_account_from_that_address_only(auth, app):
    """Anyone may type wrong passwords for an address: that must not lock its owner out."""
    user = auth.create("animateur")
    stranger, owner = "198.51.100.7", "203.0.113.50"
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, user.email, "mauvais", stranger)
    with pytest.raises(accounts.AccountLocked) as locked:
        accounts.authenticate(db.session, user.email, "mauvais", stranger)
    assert "bloquée" in locked.value.message
    row = _throttle_row(throttle.pair_key(user.email, stranger))
    assert row.locked_until > utcnow() + timedelta(seconds=app.config["LOGIN_LOCK_SECONDS"] - 60)
    assert _throttle_row(throttle.account_key(user.email)).locked_until is None
    # From the stranger's address, even the right password is refused: guessing stays slow.
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, user.email, PASSWORD, stranger)
    lockout = db.session.scalars(select(AuditLog).where(AuditLog.action == "login_lockout")).one()
    assert lockout.details == {"keys": ["compte depuis cette adresse"]}
    # The owner, from their own address, is not refused.
    assert accounts.authenticate(db.session, user.email, PASSWORD, owner) is user
    # When the lock ends, the right password works from the stranger's address too.
    with time_machine.travel(utcnow() + timedelta(seconds=app.config["LOGIN_LOCK_SECONDS"] + 1)):
        assert accounts.authenticate(db.session, user.email, PASSWORD, stranger) is user


def test_failures_spread_over_many_addresses_lock_the_account_everywhere(auth, app):
    user = auth.create("animateur")
    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    assert limit == 50 and limit > app.config["LOGIN_MAX_FAILURES"]
    # A guess spread over addresses, each staying under the lock of its own pair.
    for attempt in range(limit - 1):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, user.email, "mauvais", f"198.51.{attempt}.1")
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, user.email, "mauvais", "198.51.200.1")
    assert _throttle_row(throttle.account_key(user.email)).locked_until > utcnow()
    # Locked everywhere: the right password from a fresh address is refused.
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, user.email, PASSWORD, "203.0.113.51")
    # Another account is not concerned.
    other = auth.create("animateur")
    assert accounts.authenticate(db.session, other.email, PASSWORD, "203.0.113.51") is other


def test_the_limit_per_account_from_all_addresses_is_its_own_setting(auth, app, monkeypatch):
    user = auth.create("animateur")
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 3)
    for attempt in range(2):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, user.email, "mauvais", f"192.0.2.{attempt}")
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, user.email, "mauvais", "192.0.2.9")
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, user.email, PASSWORD, "192.0.2.10")


def test_a_login_typed_as_someone_s_pair_key_counts_apart_from_it(auth, app, monkeypatch):
    """Whatever is typed as the login address gives a per-account key: typed as
    « victim|ip:<their address> », it must not be the count of the victim's pair."""
    user = auth.create("animateur")
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 2)
    forged = f"{user.email}|ip:203.0.113.60"
    for attempt in range(2):
        with pytest.raises(accounts.AccountError):
            accounts.authenticate(db.session, forged, "x", f"192.0.2.{attempt}")
    assert _throttle_row(throttle.account_key(forged)).locked_until is not None
    assert accounts.authenticate(db.session, user.email, PASSWORD, "203.0.113.60") is user


def test_address_locks_after_many_failures_on_several_accounts(auth, app):
    user = auth.create("animateur")
    limit = app.config["LOGIN_ADDRESS_MAX_FAILURES"]
    assert limit > app.config["LOGIN_MAX_FAILURES"] * 5
    for attempt in range(limit - 1):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, f"inconnu{attempt}@exemple.fr", "x", "192.0.2.66")
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, "encore@exemple.fr", "x", "192.0.2.66")
    assert _throttle_row(throttle.address_key("192.0.2.66")).locked_until > utcnow()
    # A real user from that address is refused; from another address, welcome.
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, user.email, PASSWORD, "192.0.2.66")
    assert accounts.authenticate(db.session, user.email, PASSWORD, "192.0.2.67") is user


def test_one_person_mistyping_does_not_lock_out_others_on_a_shared_address(auth, app):
    """An office's wifi: one colleague locks their own account, the others still log in."""
    clumsy = auth.create("animateur")
    colleague = auth.create("animateur")
    shared = "203.0.113.80"
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, clumsy.email, "mauvais", shared)
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, clumsy.email, "mauvais", shared)
    # The clumsy account is locked, its right password included...
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, clumsy.email, PASSWORD, shared)
    # ...but the address is not: the colleague, and a third person's typo, go on.
    assert _throttle_row(throttle.address_key(shared)).locked_until is None
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(db.session, "troisieme@exemple.fr", "x", shared)
    assert accounts.authenticate(db.session, colleague.email, PASSWORD, shared) is colleague


def test_the_limit_per_address_is_its_own_setting(auth, app, monkeypatch):
    user = auth.create("animateur")
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_MAX_FAILURES", 3)
    for attempt in range(2):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, f"autre{attempt}@exemple.fr", "x", "192.0.2.90")
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, "encore@exemple.fr", "x", "192.0.2.90")
    with pytest.raises(accounts.AccountLocked):
        accounts.authenticate(db.session, user.email, PASSWORD, "192.0.2.90")


def test_the_longest_login_and_address_fit_the_key_column(auth):
    """The key column holds 300 characters (PostgreSQL refuses more): a long typed login
    and the longest IPv6 address are cut, each at its own length."""
    typed = "x" * 400 + "@exemple.fr"
    ip = "0000:0000:0000:0000:0000:ffff:192.168.100.200"
    assert len(ip) == 45
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(db.session, typed, "x", ip)
    keys = list(db.session.scalars(select(LoginThrottle.key)))
    assert len(keys) == 3 and max(len(key) for key in keys) <= 300
    assert throttle.pair_key(typed, ip) in keys and throttle.pair_key(typed, ip).endswith(ip)


def test_failures_outside_the_window_are_forgotten(auth, app):
    user = auth.create("animateur")
    limit = app.config["LOGIN_MAX_FAILURES"]
    start = utcnow()
    for _ in range(limit - 1):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, user.email, "mauvais", "198.51.100.9")
    later = start + timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 1)
    # A new window: not locked.
    with time_machine.travel(later), pytest.raises(accounts.LoginRefused):
        accounts.authenticate(db.session, user.email, "mauvais", "198.51.100.9")
    assert _throttle_row(throttle.pair_key(user.email, "198.51.100.9")).failures == 1
    assert _throttle_row(throttle.account_key(user.email)).failures == 1


def test_success_clears_the_count_of_the_account_from_that_address(auth, app):
    user = auth.create("animateur")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, user.email, "mauvais", "198.51.100.1")
    assert _throttle_row(throttle.pair_key(user.email, "198.51.100.1")).failures == 4
    accounts.authenticate(db.session, user.email, PASSWORD, "198.51.100.1")
    assert _throttle_row(throttle.pair_key(user.email, "198.51.100.1")).failures == 0
    # The count from all addresses is not the owner's to clear by logging in: a guess
    # spread over many addresses would start again after each of their logins.
    assert _throttle_row(throttle.account_key(user.email)).failures == 4
    # Four more mistakes do not lock the owner out.
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, user.email, "mauvais", "198.51.100.1")


def test_lock_is_in_the_database_so_every_worker_sees_it(auth, app):
    user = auth.create("animateur")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(accounts.AccountError):
            accounts.authenticate(db.session, user.email, "mauvais", "198.51.100.3")
    # Read before switching apps: the main session would otherwise refresh it
    # through the other app's engine (Flask-SQLAlchemy binds by current app).
    email = user.email
    # A second application on the same database: another gunicorn worker.
    worker = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "autre-worker",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        }
    )
    with worker.app_context():
        with pytest.raises(accounts.AccountLocked):
            accounts.authenticate(db.session, email, PASSWORD, "198.51.100.3")
        db.session.remove()
        db.engine.dispose()


def test_disabled_account_cannot_log_in(auth):
    user = auth.create("animateur")
    accounts.disable(db.session, user.email)
    db.session.commit()
    with pytest.raises(accounts.LoginRefused, match="désactivé"):
        accounts.authenticate(db.session, user.email, PASSWORD, "198.51.100.1")


def test_logins_and_failures_are_audited(auth):
    user = auth.create("animateur")
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(db.session, user.email, "mauvais", "198.51.100.1")
    accounts.authenticate(db.session, user.email, PASSWORD, "198.51.100.1")
    entries = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["user_created", "login_failed", "login"]
    assert entries[1].ip == "198.51.100.1" and entries[1].actor_id == user.id
    assert entries[2].actor_id == user.id


# --- web login / logout ------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("admin", "/admin"),
        ("animateur", "/animateur"),
        ("operator", "/operateur"),
        ("partner", "/partenaire"),
        ("company", "/entreprise"),
        ("candidate", "/candidat"),
        ("territoire", "/territoire"),
    ],
)
def test_each_role_lands_on_its_home_page(client, auth, role, home):
    user = auth.create(role)
    response = auth.post_login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200
    assert client.get("/accueil").headers["Location"] == home


def test_wrong_password_shows_a_french_message(client, auth):
    user = auth.create("animateur")
    response = auth.post_login(user.email, "mauvais mot de passe")
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in text(response)
    assert client.get("/animateur").status_code == 302


def test_a_refused_login_says_the_login_failed_not_that_nothing_was_recorded(client, auth):
    """Nothing is recorded by logging in: the summary says « Connexion impossible », in
    the same words for a wrong password and an unknown address (no account
    enumeration); other forms keep their wording (``test_meanwhile_summary``)."""
    user = auth.create("animateur")
    said = {}
    for case, email in (("wrong password", user.email), ("unknown", "inconnu@exemple.fr")):
        response = auth.post_login(email, "mauvais mot de passe")
        summary = element_by_id(html_of(response), "erreurs")
        said[case] = page_text_of(summary)
        assert 'tabindex="-1"' in summary
    assert said["wrong password"] == said["unknown"]
    assert said["unknown"] == "Connexion impossible : Adresse e-mail ou mot de passe incorrect."
    # Fields left empty: the points to correct, still under the login's own heading.
    empty = page_text_of(element_by_id(html_of(auth.post_login("", "")), "erreurs"))
    assert empty.startswith("Connexion impossible. Corrigez ces 2 points :"), empty
    assert "Rien n'a été enregistré" not in empty


def test_locked_login_page_answers_429(client, auth, app):
    user = auth.create("animateur")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        auth.post_login(user.email, "mauvais")
    response = auth.post_login(user.email, "mauvais")
    assert response.status_code == 429
    assert "Trop de tentatives" in text(response)
    assert auth.post_login(user.email).status_code == 429
    # The owner, on another connection, logs in.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.70"
    assert auth.post_login(user.email, client=elsewhere).status_code == 302


def _login_statements(auth, email: str, remote: str) -> tuple[list[str], int, str]:
    """The statements, status and page of six wrong passwords for ``email`` from ``remote``
    (the last two refused by the lock)."""
    client = auth.client.application.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    pages = []
    with recorded_statements() as statements:
        for _ in range(6):
            pages.append(auth.post_login(email, "mauvais", client=client))
    status = [page.status_code for page in pages]
    # The page as read, the address typed set aside (the form shows it back).
    said = [text(page).replace(email, "…") for page in pages]
    return statements, status, said


def test_the_login_page_answers_the_same_for_an_address_without_account(auth):
    user = auth.create("animateur", email="connu@exemple.fr")
    known = _login_statements(auth, user.email, "198.51.100.30")
    unknown = _login_statements(auth, "inconnu@exemple.fr", "198.51.100.31")
    assert known[1] == unknown[1] == [200, 200, 200, 200, 429, 429]
    assert "Trop de tentatives" in known[2][-1] and known[2] == unknown[2]
    assert known[0] == unknown[0]


def test_session_is_cleared_at_login(client, auth):
    user = auth.create("animateur")
    client.get("/connexion")
    with client.session_transaction() as session:
        session["planted"] = "avant connexion"
    auth.post_login(user.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}:{user.session_version}"


def test_login_page_says_who_may_create_an_account(client):
    page = text(client.get("/connexion"))
    # Job seekers create theirs from their CV space: the page must not say "invitation only".
    assert "Les comptes sont créés sur invitation" not in page
    assert "si vous avez déposé votre CV, vous pouvez créer le vôtre" in page


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/animateur", "/animateur"),
        ("//mechant.example/", "/animateur"),
        ("https://mechant.example/", "/animateur"),
        ("/\\mechant.example", "/animateur"),
    ],
)
def test_login_only_follows_local_next(auth, next_url, expected):
    user = auth.create("animateur")
    response = auth.post_login(user.email, next_url=next_url)
    assert response.headers["Location"] == expected


def test_logout_ends_the_session(client, auth):
    auth.login("animateur")
    assert client.get("/animateur").status_code == 200
    assert client.get("/deconnexion").status_code == 405  # logging out is a POST
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/animateur").status_code == 302
    assert "logout" in _actions()


def test_disable_ends_open_sessions(client, auth):
    user = auth.login("animateur")
    assert client.get("/animateur").status_code == 200
    accounts.disable(db.session, user.email)
    db.session.commit()
    response = client.get("/animateur")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_password_change_keeps_this_session_and_ends_the_others(app, client, auth):
    user = auth.login("animateur")
    other = app.test_client()
    auth.post_login(user.email, client=other)
    assert other.get("/animateur").status_code == 200

    refused = client.post(
        "/mot-de-passe",
        data={"current": "pas le bon", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert refused.status_code == 422
    assert "Le mot de passe actuel est incorrect." in error_of(refused, "current")

    response = client.post(
        "/mot-de-passe",
        data={"current": PASSWORD, "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/animateur").status_code == 200
    assert other.get("/animateur").status_code == 302
    assert accounts.authenticate(db.session, user.email, GOOD_PASSWORD, "192.0.2.1") is user


def test_the_password_summary_lists_the_errors_in_the_page_s_order(client, auth):
    auth.login("operator")
    refused = client.post("/mot-de-passe", data={})
    assert refused.status_code == 422
    summary = element_by_id(html_of(refused), "erreurs")
    # The current password is asked first: its error is the first the summary names.
    order = [
        summary.index(label)
        for label in ("Mot de passe actuel", "Nouveau mot de passe", "Confirmez le mot de passe")
    ]
    assert order == sorted(order)


def test_the_current_password_cannot_be_guessed_from_a_session(app, client, auth):
    # A session left open (or stolen) must not turn /mot-de-passe into an unlimited
    # guessing oracle: its wrong current passwords count as wrong logins do.
    user = auth.login("animateur")
    wrong = {"current": "pas le bon", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert client.post("/mot-de-passe", data=wrong).status_code == 422
    locked = client.post("/mot-de-passe", data=wrong)
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.get_data(as_text=True)
    # Even the right one is refused now, and nothing changed.
    right = dict(wrong, current=PASSWORD)
    assert client.post("/mot-de-passe", data=right).status_code == 429
    db.session.refresh(user)
    assert accounts.verify_password(user.password_hash, PASSWORD)
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions.count("password_change_failed") == app.config["LOGIN_MAX_FAILURES"]
    assert "login_lockout" in actions and "password_change_refused_locked" in actions
    assert "password_changed" not in actions


# --- invitations -------------------------------------------------------------------


def test_invitation_stores_only_the_token_hash():
    token = accounts.invite(db.session, "nouveau@exemple.fr", "animateur", None, None)
    db.session.commit()
    invitation = db.session.scalar(select(Invitation))
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str([invitation.token_hash, invitation.purpose, invitation.user.email])
    assert invitation.user.password_hash is None
    assert invitation.expires_at - utcnow() > timedelta(hours=71)


def test_invitation_link_works_once(client):
    token = accounts.invite(db.session, "invite@exemple.fr", "animateur", None, None)
    db.session.commit()
    link = f"/invitation/{token}"
    page = client.get(link)
    assert page.status_code == 200
    assert "invite@exemple.fr" in text(page)

    # A too-short password is refused and the link stays usable.
    short = client.post(link, data={"password": "court", "confirm": "court"})
    assert short.status_code == 422
    assert "au moins 12 caractères" in error_of(short, "password")

    done = client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/animateur"
    assert client.get("/animateur").status_code == 200

    again = client.get(link)
    assert again.status_code == 400
    assert "déjà servi" in text(again)
    reuse = client.post(link, data={"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})
    assert reuse.status_code == 400
    user = db.session.scalar(select(User).where(User.email == "invite@exemple.fr"))
    assert accounts.authenticate(db.session, user.email, GOOD_PASSWORD, "192.0.2.1") is user


def test_invitation_expires(client, app):
    token = accounts.invite(db.session, "tard@exemple.fr", "animateur", None, None)
    db.session.commit()
    later = utcnow() + timedelta(hours=app.config["INVITATION_TTL_HOURS"], minutes=1)
    with time_machine.travel(later):
        page = client.get(f"/invitation/{token}")
        assert page.status_code == 400
        assert "a expiré" in text(page)
        with pytest.raises(accounts.InvitationInvalid):
            accounts.accept_invitation(db.session, token, GOOD_PASSWORD)


def test_an_invitation_lasts_the_hours_its_mail_gives(app, monkeypatch):
    """A fractional setting used to give the link 1 h 30 while the mail said 1 hour; the
    link and its mail now both count whole hours."""
    monkeypatch.setitem(app.config, "INVITATION_TTL_HOURS", 1.5)
    before = utcnow()
    token = accounts.invite(db.session, "heure@exemple.fr", "animateur", None, None)
    accounts.queue_invitation_mail(db.session, "heure@exemple.fr", token)
    db.session.commit()
    invitation = db.session.scalar(select(Invitation))
    assert timedelta(minutes=59) < invitation.expires_at - before < timedelta(minutes=61)
    message = db.session.scalar(select(OutboxMessage))
    assert "valable 1 heures" not in message.body_text  # French: one hour is singular
    assert "valable 1 heure," in message.body_text
    # "Why this account?" reaches the team, not the no-reply sender.
    assert message.reply_to == "contact@connectences.local"


def test_invitation_mail_and_welcome_name_the_configured_platform(app, client, monkeypatch):
    """The invitation said « [Connect'ences] Votre invitation sur Connect'ences » whatever
    PLATFORM_NAME an instance set: the name comes from the setting, once in the subject."""
    monkeypatch.setitem(app.config, "PLATFORM_NAME", "Emploi Val de l'Eyre")
    token = accounts.invite(db.session, "nom@exemple.fr", "animateur", None, None)
    accounts.queue_invitation_mail(db.session, "nom@exemple.fr", token)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert message.subject == "[Emploi Val de l'Eyre] Votre invitation"
    assert "créé pour vous sur Emploi Val de l'Eyre, la plateforme" in message.body_text
    assert "Connect'ences" not in message.body_text + message.body_html
    done = client.post(
        f"/invitation/{token}",
        data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
        follow_redirects=True,
    )
    assert "Bienvenue sur Emploi Val de l'Eyre." in text(done)
    assert "Bienvenue sur Connect'ences" not in text(done)


def test_unknown_invitation_token(client):
    page = client.get("/invitation/nimporte-quoi")
    assert page.status_code == 400
    assert "n'est pas valable" in text(page)


def test_new_invitation_replaces_the_previous_one():
    first = accounts.invite(db.session, "deux@exemple.fr", "animateur", None, None)
    second = accounts.invite(db.session, "deux@exemple.fr", "animateur", None, None)
    db.session.commit()
    with pytest.raises(accounts.InvitationInvalid):
        accounts.find_invitation(db.session, first)
    assert accounts.find_invitation(db.session, second).user.email == "deux@exemple.fr"


def test_an_invitation_sent_again_takes_its_organisation_and_a_disabled_one_is_refused():
    # Found by an audit: sent again for another operator, the account kept the first one
    # (and would have seen its leads); sent to a disabled account, its link only said
    # "désactivé".
    factories.load(
        factories.document(
            operators=[factories.operator(ref="ge-un"), factories.operator(ref="ge-deux")]
        )
    )
    accounts.invite(db.session, "op@exemple.fr", "operator", "ge-un", None)
    accounts.invite(db.session, "op@exemple.fr", "operator", "ge-deux", None)
    db.session.commit()
    user = db.session.scalar(select(User).where(User.email == "op@exemple.fr"))
    assert user.operator.ref == "ge-deux"
    user.active = False
    db.session.commit()
    with pytest.raises(accounts.AccountError, match="désactivé"):
        accounts.invite(db.session, "op@exemple.fr", "operator", "ge-deux", None)


def test_cannot_invite_an_existing_account(auth):
    user = auth.create("animateur")
    with pytest.raises(accounts.AccountError, match="existe déjà"):
        accounts.invite(db.session, user.email, "animateur", None, None)


def test_admin_invites_and_disables_from_the_web(client, auth):
    admin = auth.login("admin")
    response = client.post(
        "/admin/invitations", data={"email": "salarie@exemple.fr", "role": "animateur"}
    )
    # The page itself shows the link (never flashed into the session cookie).
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    link = re.search(r"http://localhost/invitation/([\w-]+)", page)
    assert link, page
    assert "salarie@exemple.fr" in page and "Invitation en attente" in page
    assert "/invitation/" not in client.get("/admin").get_data(as_text=True)
    from connectences.models import OutboxMessage

    mail = db.session.scalar(select(OutboxMessage))
    assert mail.to == "salarie@exemple.fr" and link.group(0) in mail.body_text

    bad = client.post("/admin/invitations", data={"email": "x@exemple.fr", "role": "operator"})
    assert bad.status_code == 422
    assert "référence de l'opérateur" in error_of(bad, "org_ref")
    assert 'value="x@exemple.fr"' in bad.get_data(as_text=True)  # what was typed stays
    # WTForms' own message in French (it said "Not a valid choice.").
    odd = client.post("/admin/invitations", data={"email": "x@exemple.fr", "role": "bidon"})
    assert odd.status_code in (400, 422)
    assert "Not a valid" not in odd.get_data(as_text=True)
    assert "choix valide" in error_of(odd, "role")

    invited = db.session.scalar(select(User).where(User.email == "salarie@exemple.fr"))
    response = client.post(f"/admin/utilisateurs/{invited.id}/desactiver")
    assert response.status_code == 302
    db.session.expire_all()
    assert invited.active is False
    # The screen offers to re-enable it, and doing so works.
    page = client.get("/admin").get_data(as_text=True)
    assert f'action="/admin/utilisateurs/{invited.id}/reactiver"' in page
    assert client.post(f"/admin/utilisateurs/{invited.id}/reactiver").status_code == 302
    db.session.expire_all()
    assert invited.active is True and "user_enabled" in _actions()
    # Disabling goes through a confirmation step: the first button only opens it.
    page = client.get("/admin").get_data(as_text=True)
    assert '<summary class="button button-secondary">Désactiver…' in page
    assert "Confirmer : désactiver salarie@exemple.fr" in page.replace("\u00a0", " ")
    # The admin cannot lock themself out.
    client.post(f"/admin/utilisateurs/{admin.id}/desactiver")
    db.session.expire_all()
    assert admin.active is True
    assert "user_disabled" in _actions() and "invitation_sent" in _actions()


def test_the_last_working_admin_is_never_disabled(runner, auth):
    # The command line (no actor) disabled the only administrator: nobody could then
    # manage accounts. A second admin still invited (no password yet) does not count.
    admin = auth.create("admin")
    accounts.invite(db.session, "futur-admin@exemple.fr", "admin", None, None)
    db.session.commit()
    result = runner.invoke(args=["users", "disable", admin.email])
    assert result.exit_code == 1
    assert "dernier administrateur actif" in result.output
    db.session.expire_all()
    assert admin.active is True
    assert "user_disabled" not in _actions()
    # With another working admin, one of them may go; then the other is the last.
    other = auth.create("admin")
    accounts.disable(db.session, admin.email, actor=other)
    db.session.commit()
    with pytest.raises(accounts.AccountError, match="dernier administrateur actif"):
        accounts.disable(db.session, other.email)
    # Other roles are not concerned.
    animateur = auth.create("animateur")
    accounts.disable(db.session, animateur.email, actor=other)


def test_two_admins_disabling_each_other_at_once_leave_one_admin(app, auth):
    """Each request reads the two admins active before either writes (the barrier):
    without a lock both were disabled, and nobody could manage the platform any more."""
    first, second = auth.create("admin"), auth.create("admin")
    pairs = [(first.id, second.email), (second.id, first.email)]
    db.session.remove()
    read = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def member(actor_id: int, target: str):
        with app.app_context():
            session = db.session.session_factory()
            try:
                actor = session.get(User, actor_id)
                assert session.scalar(select(func.count()).where(User.active.is_(True))) == 2
                read.wait()
                try:
                    accounts.disable(session, target, actor=actor)
                    session.commit()
                    outcome = "disabled"
                except accounts.AccountError as refusal:
                    session.rollback()
                    outcome = (
                        "refused" if "dernier administrateur" in refusal.message else repr(refusal)
                    )
            except Exception as error:  # noqa: BLE001 — reported by the assertion below
                session.rollback()
                outcome = repr(error)
            finally:
                session.close()
            outcomes.append(outcome)

    threads = [threading.Thread(target=member, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["disabled", "refused"]
    assert db.session.scalar(select(func.count()).where(User.active.is_(True))) == 1


# --- CLI ---------------------------------------------------------------------------


def test_cli_create_reads_password_from_stdin(runner):
    result = runner.invoke(
        args=["users", "create", "chef@exemple.fr", "--role", "admin", "--password-stdin"],
        input=GOOD_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Compte créé : chef@exemple.fr (Administrateur)" in result.output
    user = accounts.authenticate(db.session, "chef@exemple.fr", GOOD_PASSWORD, "127.0.0.1")
    assert user.role == "admin"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["a@exemple.fr", "--role", "admin", "--password-stdin"], "court\n", "12 caractères"),
        (["a@exemple.fr", "--role", "operator", "--password-stdin"], GOOD_PASSWORD, "opérateur"),
        (["a@exemple.fr", "--role", "territoire", "--org", "12"], "", "9 chiffres"),
        (["a@exemple.fr", "--role", "admin", "--password-stdin"], "", "aucun mot de passe"),
        (["a@exemple.fr", "--role", "chef"], "", "Rôle inconnu « chef »"),
        (["pas-une-adresse", "--role", "admin"], "", "n'est pas valide"),
    ],
)
def test_cli_create_refusals(runner, args, stdin, message):
    result = runner.invoke(args=["users", "create", *args], input=stdin)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.startswith("Erreur : ")
    assert db.session.scalar(select(User.id)) is None


def test_cli_create_with_organisation(runner):
    item = factories.operator()
    factories.load(factories.document(operators=[item]))
    result = runner.invoke(
        args=[
            "users",
            "create",
            "op@exemple.fr",
            "--role",
            "operator",
            "--org",
            item["ref"],
            "--password-stdin",
        ],
        input=GOOD_PASSWORD,
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["users", "list"])
    assert "op@exemple.fr\tOpérateur\t" + item["ref"] + "\tactif" in listing.output


def test_cli_disable_and_invite(runner, auth):
    user = auth.create("animateur")
    result = runner.invoke(args=["users", "disable", user.email])
    assert result.exit_code == 0 and "Compte désactivé" in result.output
    db.session.expire_all()
    assert user.active is False
    assert runner.invoke(args=["users", "disable", "personne@exemple.fr"]).exit_code == 1

    result = runner.invoke(
        args=["users", "invite", "new@exemple.fr", "--role", "territoire", "--org", factories.COBAS]
    )
    assert result.exit_code == 0, result.output
    token = re.search(r"http://localhost/invitation/([\w-]+)", result.output).group(1)
    assert accounts.find_invitation(db.session, token).user.epci_siren == factories.COBAS
