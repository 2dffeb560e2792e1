"""Changing an account's role: from the account's admin page and the command line, with
the organisation the new role needs, every session and API token of the account ended,
the audit log saying who changed what; never one's own role, never the last admin's."""

from __future__ import annotations

import html
import time

import pytest
import time_machine
from sqlalchemy import func, select

from connectences import accounts
from connectences.accounts import api_tokens
from connectences.extensions import db
from connectences.models import ApiToken, AuditLog, LoginSession, User
from tests import factories
from tests.helpers import error_of, page_text
from tests.known_secrets import PASSWORD


def _changes() -> list[AuditLog]:
    # In the order written: without ORDER BY, PostgreSQL may hand them in another.
    return list(
        db.session.scalars(
            select(AuditLog).where(AuditLog.action == "user_role_changed").order_by(AuditLog.id)
        )
    )


def _token(owner: User, admin: User) -> str:
    _, secret = api_tokens.issue_token(
        db.session, owner_email=owner.email, name="Outil", days=30, actor=admin
    )
    db.session.commit()
    return secret


def _partner_ref() -> str:
    item = factories.partner()
    factories.load(factories.document(partners=[item]))
    return item["ref"]


# --------------------------------------------------------------------------- domain


def test_a_role_change_moves_the_account_to_its_new_organisation(auth):
    admin = auth.create("admin")
    user = auth.create("operator")
    former = user.operator.ref
    partner = _partner_ref()
    accounts.change_role(db.session, user.email.upper(), "partner", f" {partner} ", actor=admin)
    db.session.commit()
    db.session.expire_all()
    assert user.role == "partner" and user.partner.ref == partner
    assert user.operator is None  # the former operator's leads are no longer reached
    entry = _changes()[0]
    assert entry.actor_id == admin.id and entry.entity == "user" and entry.entity_id == user.id
    assert entry.details["role_before"] == "operator" and entry.details["role"] == "partner"
    assert entry.details["organisation_before"] == former
    assert entry.details["organisation"] == partner


def test_former_attachments_are_let_go(auth):
    admin = auth.create("admin")
    company = auth.create("company")
    accounts.change_role(db.session, company.email, "territoire", factories.COBAS, actor=admin)
    db.session.commit()
    db.session.expire_all()
    assert company.companies == [] and company.epci_siren == factories.COBAS
    animateur = auth.create("animateur")
    accounts.set_public_phone(db.session, animateur, "06 12 34 56 78", actor=admin)
    accounts.change_role(db.session, animateur.email, "admin", actor=admin)
    db.session.commit()
    db.session.expire_all()
    # No organisation before nor after: nothing said about it (not "None").
    assert {"organisation", "organisation_before"}.isdisjoint(_changes()[-1].details)
    # Shown to companies as an animateur's number only.
    assert animateur.phone is None and animateur.role == "admin"
    assert [row.email for row in accounts.public_animateurs(db.session)] == []


def test_sessions_and_api_tokens_of_the_account_end(auth):
    admin = auth.create("admin")
    user = auth.create("operator")
    secret = _token(user, admin)
    other_secret = _token(auth.create("operator"), admin)
    accounts.change_role(db.session, user.email, "animateur", actor=admin)
    db.session.commit()
    with pytest.raises(api_tokens.TokenRefused) as refused:
        api_tokens.verify_token(db.session, secret)
    assert refused.value.reason == "revoked"
    assert api_tokens.verify_token(db.session, other_secret)  # another account's stays
    assert _changes()[0].details["tokens_revoked"] == 1


@pytest.mark.parametrize(
    ("role", "org_ref", "field", "message"),
    [
        ("chef", None, "role", "Rôle inconnu « chef »"),
        ("operator", None, "org_ref", "Indiquez la référence de l'opérateur"),
        ("partner", "inconnu", "org_ref", "Aucun partenaire n'a la référence « inconnu »"),
        ("territoire", "12345", "org_ref", "« 12345 » n'est pas un SIREN"),
        ("company", "nulle-part", "org_ref", "Aucune entreprise n'a la référence"),
        ("admin", "ge-1", "org_ref", "n'est rattaché à aucune organisation"),
        ("animateur", None, "role", "a déjà le rôle « Animateur »"),
    ],
)
def test_each_refusal_says_why_and_changes_nothing(auth, role, org_ref, field, message):
    admin = auth.create("admin")
    user = auth.create("animateur")
    secret = _token(user, admin)
    with pytest.raises(accounts.AccountError) as refusal:
        accounts.change_role(db.session, user.email, role, org_ref, actor=admin)
    db.session.rollback()
    assert message in refusal.value.message
    assert list(refusal.value.errors) == [field]
    db.session.expire_all()
    assert user.role == "animateur" and user.session_version == 0
    assert api_tokens.verify_token(db.session, secret)
    assert _changes() == []


def test_an_unknown_account_is_said(auth):
    with pytest.raises(accounts.AccountError, match="Aucun compte n'existe pour l'adresse"):
        accounts.change_role(db.session, "personne@exemple.fr", "animateur")


def test_nobody_changes_their_own_role(auth):
    admin = auth.create("admin")
    auth.create("admin")  # not the last one: the refusal is about changing oneself
    with pytest.raises(accounts.AccountError, match="votre propre compte"):
        accounts.change_role(db.session, admin.email, "animateur", actor=admin)
    db.session.rollback()
    db.session.expire_all()
    assert admin.role == "admin"


def test_the_last_working_admin_keeps_the_role(auth):
    admin = auth.create("admin")
    accounts.invite(db.session, "futur-admin@exemple.fr", "admin", None, None)
    db.session.commit()
    # From the command line (no actor): an invited admin with no password does not count.
    with pytest.raises(accounts.AccountError, match="dernier administrateur actif"):
        accounts.change_role(db.session, admin.email, "animateur")
    db.session.rollback()
    other = auth.create("admin")
    accounts.change_role(db.session, admin.email, "animateur", actor=other)
    db.session.commit()
    with pytest.raises(accounts.AccountError, match="dernier administrateur actif"):
        accounts.change_role(db.session, other.email, "animateur", actor=None)
    db.session.rollback()
    # An invited admin's role may change: nobody logs in with it yet.
    pending = db.session.scalar(select(User).where(User.email == "futur-admin@exemple.fr"))
    accounts.change_role(db.session, pending.email, "animateur", actor=other)


# --------------------------------------------------------------------------- web


def test_the_admin_changes_a_role_and_the_account_sessions_end(app, client, auth):
    other = app.test_client()
    user = auth.login("operator", client=other)
    assert other.get("/operateur").status_code == 200
    admin = auth.login("admin")
    secret = _token(user, admin)
    page = client.get("/admin")
    assert f'href="/admin/utilisateurs/{user.id}/role"' in page.get_data(as_text=True)
    assert f'href="/admin/utilisateurs/{admin.id}/role"' not in page.get_data(as_text=True)
    form = client.get(f"/admin/utilisateurs/{user.id}/role")
    assert form.status_code == 200 and user.operator.ref in form.get_data(as_text=True)

    response = client.post(
        f"/admin/utilisateurs/{user.id}/role",
        data={"role": "territoire", "org_ref": factories.COBAS},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin"
    db.session.expire_all()
    assert (user.role, user.epci_siren, user.operator) == ("territoire", factories.COBAS, None)
    # The operator's browser is anonymous now; its token no longer opens the API.
    assert other.get("/operateur").status_code == 302
    open_rows = (
        select(func.count())
        .select_from(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    )
    assert db.session.scalar(open_rows) == 0
    api = client.get("/api/v1/needs", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    assert db.session.scalar(select(ApiToken.revoked_at)) is not None
    entry = _changes()[0]
    assert entry.actor_id == admin.id and entry.details["sessions_ended"] == 1
    assert "organisation_before" in entry.details and "organisation" in entry.details
    # Logging in again, the person lands on the new role's pages.
    assert auth.post_login(user.email, client=other).headers["Location"].startswith("/territoire")
    # Read as shown: the flash sets « » with no-break spaces, the French way.
    assert "a désormais le rôle « Intercommunalité »" in page_text(client.get("/admin"))


def test_a_refusal_comes_back_beside_its_field(client, auth):
    user = auth.create("animateur")
    auth.login("admin")
    response = client.post(
        f"/admin/utilisateurs/{user.id}/role", data={"role": "operator", "org_ref": "ge-zz"}
    )
    assert response.status_code == 422
    assert "Aucun opérateur n'a la référence « ge-zz »." in error_of(response, "org_ref")
    assert 'value="ge-zz"' in response.get_data(as_text=True)  # what was typed stays
    missing = client.post(f"/admin/utilisateurs/{user.id}/role", data={"role": ""})
    assert missing.status_code == 422 and "Choisissez un rôle." in error_of(missing, "role")
    db.session.expire_all()
    assert user.role == "animateur" and _changes() == []


def test_the_admin_page_refuses_changing_ones_own_role(client, auth):
    admin = auth.login("admin")
    auth.create("admin")
    page = html.unescape(client.get(f"/admin/utilisateurs/{admin.id}/role").get_data(as_text=True))
    assert "Vous ne pouvez pas changer le rôle de votre propre compte" in page
    assert 'name="role"' not in page
    response = client.post(f"/admin/utilisateurs/{admin.id}/role", data={"role": "animateur"})
    assert response.status_code == 422
    db.session.expire_all()
    assert admin.role == "admin" and _changes() == []


def test_an_unknown_account_is_a_404(client, auth):
    auth.login("admin")
    assert client.get("/admin/utilisateurs/999999/role").status_code == 404
    assert client.post("/admin/utilisateurs/999999/role", data={"role": "admin"}).status_code == 404


@pytest.mark.parametrize("role", ["animateur", "operator", "partner", "company", "territoire"])
def test_other_roles_cannot_change_a_role(app, client, auth, role):
    target = auth.create("partner")
    auth.login(role)
    assert client.get(f"/admin/utilisateurs/{target.id}/role").status_code == 403
    response = client.post(f"/admin/utilisateurs/{target.id}/role", data={"role": "admin"})
    assert response.status_code == 403
    db.session.expire_all()
    assert target.role == "partner" and _changes() == []


def test_anonymous_cannot_change_a_role(client, auth):
    target = auth.create("partner")
    response = client.post(f"/admin/utilisateurs/{target.id}/role", data={"role": "admin"})
    assert response.status_code in (302, 401, 403)
    db.session.expire_all()
    assert target.role == "partner"


def test_changing_a_role_asks_for_the_password_again(client, auth):
    target = auth.create("partner")
    auth.login("admin")
    with time_machine.travel(time.time() + 16 * 60, tick=False):
        response = client.post(f"/admin/utilisateurs/{target.id}/role", data={"role": "admin"})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/confirmer-mot-de-passe?next=/admin")
        db.session.expire_all()
        assert target.role == "partner"
        client.post("/confirmer-mot-de-passe?next=/admin", data={"password": PASSWORD})
        response = client.post(f"/admin/utilisateurs/{target.id}/role", data={"role": "admin"})
        assert response.status_code == 302 and response.headers["Location"] == "/admin"
    db.session.expire_all()
    assert target.role == "admin"


# --------------------------------------------------------------------------- command line


def test_the_command_line_changes_a_role(runner, auth):
    user = auth.create("animateur")
    partner = _partner_ref()
    result = runner.invoke(
        args=["users", "role", user.email, "--role", "Partner", "--org", partner]
    )
    assert result.exit_code == 0, result.output
    assert f"{user.email} est désormais Partenaire, {partner}" in result.output
    db.session.expire_all()
    assert user.role == "partner" and user.partner.ref == partner
    assert _changes()[0].actor_id is None
    listing = runner.invoke(args=["users", "list"]).output
    assert f"{user.email}\tPartenaire\t{partner}\tactif" in listing


def test_the_command_line_says_each_refusal(runner, auth):
    admin = auth.create("admin")
    auth.create("admin")  # not the last one from the third refusal on
    result = runner.invoke(args=["users", "role", "x@exemple.fr", "--role", "animateur"])
    assert result.exit_code == 1 and "Aucun compte n'existe" in result.output
    result = runner.invoke(args=["users", "role", admin.email, "--role", "operator"])
    assert result.exit_code == 1 and "Indiquez la référence de l'opérateur" in result.output
    db.session.expire_all()
    assert admin.role == "admin" and _changes() == []


def test_the_command_line_never_demotes_the_last_admin(runner, auth):
    admin = auth.create("admin")
    result = runner.invoke(args=["users", "role", admin.email, "--role", "animateur"])
    assert result.exit_code == 1 and "dernier administrateur actif" in result.output
    db.session.expire_all()
    assert admin.role == "admin" and _changes() == []
