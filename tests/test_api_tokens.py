"""Personal API tokens, the domain: issued once, stored hashed, expiring, revocable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectences import accounts, sync
from connectences.accounts import api_tokens
from connectences.accounts.scope import API_ROLES
from connectences.accounts.users import AccountError
from connectences.extensions import db
from connectences.models import ApiToken, AuditLog
from connectences.vocab import ROLES

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _issue(auth, role="company", days=30, **kwargs):
    admin = auth.create("admin")
    owner = auth.create(role)
    token, secret = api_tokens.issue_token(
        db.session,
        owner_email=kwargs.pop("owner_email", owner.email.upper()),
        name=kwargs.pop("name", "Outil de la Région"),
        days=days,
        actor=admin,
        now=NOW,
    )
    db.session.commit()
    return admin, owner, token, secret


def test_issue_keeps_only_a_hash_and_audits(auth):
    admin, owner, token, secret = _issue(auth)
    assert secret.startswith("cte_") and len(secret) > 40
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.user_id == owner.id
    assert secret not in stored.secret_hash
    assert stored.secret_hash == api_tokens.hash_secret(secret)
    assert stored.expires_at == NOW + timedelta(days=30)
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "api_token.issued")).one()
    assert entry.actor_id == admin.id and entry.entity_id == owner.id
    assert secret not in str(entry.details)


def test_verify_accepts_a_live_token_and_records_its_use(auth):
    _, owner, token, secret = _issue(auth)
    found = api_tokens.verify_token(db.session, secret, now=NOW + timedelta(hours=1))
    assert found.id == token.id and found.user.id == owner.id
    assert found.last_used_at == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("secret", "reason"),
    [(None, "missing"), ("", "missing"), ("cte_nimportequoi", "invalid")],
)
def test_verify_refuses_missing_and_unknown_secrets(auth, secret, reason):
    _issue(auth)
    with pytest.raises(api_tokens.TokenRefused) as refusal:
        api_tokens.verify_token(db.session, secret, now=NOW)
    assert refusal.value.reason == reason


def test_a_token_expires_at_its_date(auth):
    _, _, token, secret = _issue(auth, days=1)
    api_tokens.verify_token(db.session, secret, now=NOW + timedelta(hours=23))
    with pytest.raises(api_tokens.TokenRefused) as refusal:
        api_tokens.verify_token(db.session, secret, now=NOW + timedelta(days=1))
    assert refusal.value.reason == "expired"
    assert "expiré" in refusal.value.message


def test_a_revoked_token_is_refused_and_revoking_twice_changes_nothing(auth):
    admin, _, token, secret = _issue(auth)
    api_tokens.revoke_token(db.session, token.id, actor=admin, now=NOW)
    api_tokens.revoke_token(db.session, token.id, actor=admin, now=NOW + timedelta(days=1))
    db.session.commit()
    assert db.session.get(ApiToken, token.id).revoked_at == NOW
    revoked = db.session.scalars(select(AuditLog).where(AuditLog.action == "api_token.revoked"))
    assert len(revoked.all()) == 1
    with pytest.raises(api_tokens.TokenRefused) as refusal:
        api_tokens.verify_token(db.session, secret, now=NOW)
    assert refusal.value.reason == "revoked"


def test_a_disabled_owner_s_token_is_refused(auth):
    _, owner, _, secret = _issue(auth)
    owner.active = False
    db.session.commit()
    with pytest.raises(api_tokens.TokenRefused) as refusal:
        api_tokens.verify_token(db.session, secret, now=NOW)
    assert refusal.value.reason == "disabled"


def test_disabling_the_owner_revokes_its_tokens_for_good(auth):
    """Re-enabling an account does not bring back the tokens it had: as its sessions, they
    end when it is disabled (the secret may be in the hands it was disabled for)."""
    admin, owner, token, secret = _issue(auth)
    accounts.disable(db.session, owner.email, actor=admin)
    db.session.commit()
    accounts.enable(db.session, owner.email, actor=admin)
    db.session.commit()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    with pytest.raises(api_tokens.TokenRefused) as refusal:
        api_tokens.verify_token(db.session, secret, now=NOW)
    assert refusal.value.reason == "revoked"
    disabled = db.session.scalar(select(AuditLog).where(AuditLog.action == "user_disabled"))
    assert disabled.details["tokens_revoked"] == 1


def test_issue_refuses_bad_fields_each_by_name(auth):
    admin = auth.create("admin")
    with pytest.raises(AccountError) as refusal:
        api_tokens.issue_token(
            db.session, owner_email="personne@exemple.fr", name=" ", days=0, actor=admin
        )
    assert set(refusal.value.errors) == {"owner_email", "name", "days"}
    assert db.session.scalars(select(ApiToken)).all() == []


@pytest.mark.parametrize("role", ["candidate", "territoire"])
def test_no_token_for_a_role_the_api_does_not_serve(auth, role):
    """A candidate's or an intercommunality's token was issued, then every call of it
    refused (403): the API serves neither role, so none is issued, said in French."""
    admin = auth.create("admin")
    owner = auth.create(role)
    with pytest.raises(AccountError) as refusal:
        api_tokens.issue_token(
            db.session, owner_email=owner.email, name="Outil", days=30, actor=admin
        )
    assert refusal.value.errors == {"owner_email": refusal.value.message}
    assert refusal.value.message.startswith(
        f"Ce compte (rôle « {ROLES[role]} ») n'a pas accès à l'API"
    )
    assert db.session.scalars(select(ApiToken)).all() == []
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "api_token.issued")) is None


@pytest.mark.parametrize("role", sorted(API_ROLES))
def test_every_role_the_api_serves_gets_a_token(auth, role):
    _admin, owner, token, _secret = _issue(auth, role=role)
    assert token.user_id == owner.id


def test_the_roles_given_a_token_are_those_the_api_reads_for():
    assert set().union(*sync.READERS.values()) == API_ROLES


def test_the_command_line_issues_a_token_shown_once(app, runner, auth):
    user = auth.create("animateur")
    result = runner.invoke(
        args=["users", "token", user.email, "--name", "Outil FT", "--days", "30"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("cte_")
    token = api_tokens.verify_token(db.session, secret)
    assert (token.user_id, token.name, token.created_by_id) == (user.id, "Outil FT", None)
    assert "il ne sera plus affiché" in result.stderr
    refused = runner.invoke(args=["users", "token", "personne@exemple.fr", "--name", "x"])
    assert refused.exit_code == 1 and "Aucun compte" in refused.stderr
