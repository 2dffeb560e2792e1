"""An account stored with an accented name before the @ before the rule refusing it
(``contacts.clean_email``; an old import, the command line of the time) is still found
by every lookup of an account by its address; a new address stays refused.

Finding: the API token form looked the owner up through ``accounts.normalise_email``,
which refuses such an address: « élodie@exemple.fr », an account that logs in, got
« n'est pas valide » and no token; inviting again a pending one was refused the same."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from connectences.accounts import api_tokens
from connectences.accounts.users import request_password_reset
from connectences.extensions import db
from connectences.models import ApiToken, Invitation, OutboxMessage, User
from tests.helpers import page_text
from tests.test_web_api_tokens import _issue

STORED = "élodie@exemple.fr"


def _stored_accented(auth, *, opened: bool = True) -> User:
    """An account whose address was written as it stood before the rule (its row
    changed directly, as an old import left it)."""
    user = auth.create("animateur", email="elodie@exemple.fr")
    values = {"email": STORED} if opened else {"email": STORED, "password_hash": None}
    db.session.execute(update(User).where(User.id == user.id).values(**values))
    db.session.commit()
    db.session.expire_all()
    return user


@pytest.mark.parametrize("typed", [STORED, " Élodie@Exemple.FR "])
def test_the_api_token_form_finds_the_stored_account(client, auth, typed):
    owner = _stored_accented(auth)
    auth.login("admin")
    response = _issue(client, owner_email=typed, name="Outil de la Région")
    assert response.status_code == 200, page_text(response)
    assert db.session.scalars(select(ApiToken.user_id)).all() == [owner.id]


def test_the_token_domain_finds_it_from_the_command_line_too(auth):
    owner = _stored_accented(auth)
    token, _secret = api_tokens.issue_token(
        db.session, owner_email=STORED, name="Outil", days=30, actor=None
    )
    assert token.user_id == owner.id


def test_a_pending_stored_account_is_invited_again(client, auth):
    pending = _stored_accented(auth, opened=False)
    auth.login("admin")
    response = client.post(f"/admin/utilisateurs/{pending.id}/reinviter")
    assert response.status_code == 200
    assert f"Invitation envoyée à {STORED}" in page_text(response)
    assert db.session.scalars(select(Invitation.user_id)).all() == [pending.id]
    assert STORED in db.session.scalars(select(OutboxMessage.to)).all()


def test_the_invitation_form_typed_with_its_address_finds_it_and_no_new_one_passes(client, auth):
    pending = _stored_accented(auth, opened=False)
    auth.login("admin")
    response = client.post("/admin/invitations", data={"email": STORED, "role": "animateur"})
    assert response.status_code == 200
    assert f"Invitation envoyée à {STORED}" in page_text(response)
    assert db.session.scalars(select(Invitation.user_id)).all() == [pending.id]
    # Another accented address, stored nowhere: the rule refuses it.
    refused = client.post(
        "/admin/invitations", data={"email": "zoé@exemple.fr", "role": "animateur"}
    )
    assert refused.status_code == 422
    assert "que de nombreuses messageries refusent" in page_text(refused)
    assert db.session.scalar(select(User.id).where(User.email == "zoé@exemple.fr")) is None


def test_a_reset_link_is_queued_for_the_stored_account(auth):
    _stored_accented(auth)
    assert request_password_reset(db.session, STORED) is not None
