"""The admin's screens for API tokens: create (secret shown once), list, revoke."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences import accounts
from connectences.accounts import api_tokens, shown_once
from connectences.extensions import db
from connectences.models import ApiToken, User, utcnow
from tests.helpers import api_token_of, audit_entries, error_of, page_text

SECRET = re.compile(r"cte_[A-Za-z0-9_-]{20,}")


def _issue(client, *, follow=True, **data):
    """Send the creation form as the page shows it (its one-time token, unless given),
    and follow the redirect to the page that shows the secret unless ``follow`` is False."""
    if "submission_token" not in data:
        data["submission_token"] = _form_token(client.get("/admin/jetons"))
    return client.post("/admin/jetons", data={"days": "90", **data}, follow_redirects=follow)


def test_an_admin_creates_a_token_sees_its_secret_once_and_it_works(client, auth):
    auth.login("admin")
    owner = auth.create("animateur")
    response = _issue(client, owner_email=owner.email, name="Outil de la Région")
    assert response.status_code == 200
    secret = SECRET.search(response.get_data(as_text=True)).group(0)
    token = db.session.scalars(select(ApiToken)).one()
    assert token.user_id == owner.id and token.name == "Outil de la Région"
    assert token.secret_hash == api_tokens.hash_secret(secret)
    assert [e.details["name"] for e in audit_entries("api_token.issued")] == ["Outil de la Région"]
    # The list shows it, never its secret again.
    listing = client.get("/admin/jetons").get_data(as_text=True)
    assert "Outil de la Région" in listing and owner.email in listing
    assert "jamais" in listing and SECRET.search(listing) is None
    api = client.get("/api/v1/needs", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    # Its last use is now shown.
    assert db.session.get(ApiToken, token.id).last_used_at is not None
    assert "jamais" not in client.get("/admin/jetons").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"owner_email": "personne@exemple.fr", "name": "Outil"}, "owner_email", "Aucun compte"),
        ({"owner_email": "", "name": "Outil"}, "owner_email", "obligatoire"),
        # Not an address: no account has it, said next to the field (the lookup's
        # refusal of an invalid address named no field of this form).
        ({"owner_email": "pas-une-adresse", "name": "Outil"}, "owner_email", "Aucun compte"),
        ({"name": ""}, "name", "obligatoire"),
        ({"name": "Outil", "days": "9999"}, "days", "entre 1 et 365"),
        ({"name": "Outil", "days": "beaucoup"}, "days", "entre 1 et 365"),
        # Digits int() cannot read ("²".isdigit() holds) or reads but no form offers (an
        # Arabic-Indic three), and more digits than int() converts: refused, never a 500.
        ({"name": "Outil", "days": "²"}, "days", "entre 1 et 365"),
        ({"name": "Outil", "days": "٣"}, "days", "entre 1 et 365"),
        ({"name": "Outil", "days": "9" * 5000}, "days", "entre 1 et 365"),
    ],
)
def test_bad_fields_are_refused_next_to_the_field(client, auth, data, field, words):
    auth.login("admin")
    owner = auth.create("company")
    response = _issue(client, **{"owner_email": owner.email, **data})
    assert response.status_code == 422
    assert words in error_of(response, field)
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_token_for_a_candidate_is_refused_next_to_the_account(client, auth):
    auth.login("admin")
    owner = auth.create("candidate")
    response = _issue(client, owner_email=owner.email, name="Outil")
    assert response.status_code == 422
    assert "n'a pas accès à l'API" in error_of(response, "owner_email")
    assert SECRET.search(response.get_data(as_text=True)) is None
    assert db.session.scalars(select(ApiToken)).all() == []


def test_an_admin_revokes_a_token(client, auth):
    admin = auth.login("admin")
    owner = auth.create("company")
    token, secret = api_tokens.issue_token(
        db.session, owner_email=owner.email, name="Essai", days=30, actor=admin
    )
    db.session.commit()
    response = client.post(f"/admin/jetons/{token.id}/revoquer", follow_redirects=True)
    assert "révoqué" in page_text(response)
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert len(audit_entries("api_token.revoked")) == 1
    api = client.get("/api/v1/needs", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


@pytest.mark.parametrize("role", ["animateur", "company", "operator", "partner", "candidate"])
def test_other_roles_cannot_see_create_or_revoke_tokens(app, auth, role):
    admin = auth.create("admin")
    owner = auth.create("company")
    token, _ = api_tokens.issue_token(
        db.session, owner_email=owner.email, name="Essai", days=30, actor=admin
    )
    db.session.commit()
    client = app.test_client()
    auth.login(role, client=client)
    assert client.get("/admin/jetons").status_code == 403
    created = client.post(
        "/admin/jetons", data={"owner_email": owner.email, "name": "Pirate", "days": "90"}
    )
    assert created.status_code == 403
    assert client.post(f"/admin/jetons/{token.id}/revoquer").status_code == 403
    assert [t.name for t in db.session.scalars(select(ApiToken))] == ["Essai"]
    assert db.session.get(ApiToken, token.id).revoked_at is None


def _form_token(response) -> str:
    """The one-time token of the creation form the page shows."""
    page = response.get_data(as_text=True)
    return re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page).group(1)


def test_the_page_reloaded_after_a_creation_creates_no_second_token(client, auth):
    # Finding: the browser's « send the form again » after « Créer le jeton » created a
    # second live token (its secret shown, the first one's lost).
    auth.login("admin")
    owner = auth.create("animateur")
    shown = client.get("/admin/jetons")
    sent = {"owner_email": owner.email, "name": "Outil", "submission_token": _form_token(shown)}
    first = _issue(client, **sent)
    assert first.status_code == 200 and SECRET.search(first.get_data(as_text=True))
    again = _issue(client, follow=False, **sent)
    assert again.status_code == 409
    assert (
        "Aucun nouveau jeton : Ce jeton a déjà été créé : son secret n'est montré qu'une fois"
        in page_text(again)
    )
    assert SECRET.search(again.get_data(as_text=True)) is None
    assert len(db.session.scalars(select(ApiToken)).all()) == 1
    assert len(audit_entries("api_token.issued")) == 1
    # The form shown with that answer is a new sending: it creates another token.
    other = _issue(client, **{**sent, "submission_token": _form_token(again)})
    assert other.status_code == 200 and SECRET.search(other.get_data(as_text=True))
    assert len(db.session.scalars(select(ApiToken)).all()) == 2
    # The form shown with the secret is still the same sending: typed alike, nothing.
    third = _issue(client, follow=False, **{**sent, "submission_token": _form_token(first)})
    assert third.status_code == 409
    assert len(db.session.scalars(select(ApiToken)).all()) == 2


def test_a_form_corrected_after_an_error_is_still_one_sending(client, auth):
    auth.login("admin")
    owner = auth.create("animateur")
    token = _form_token(client.get("/admin/jetons"))
    wrong = _issue(client, owner_email=owner.email, name="", submission_token=token)
    assert wrong.status_code == 422 and _form_token(wrong) == token
    sent = {"owner_email": owner.email, "name": "Outil", "submission_token": token}
    assert _issue(client, **sent).status_code == 200
    assert _issue(client, follow=False, **sent).status_code == 409
    assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_a_token_for_an_invitation_not_yet_accepted_is_refused(client, auth):
    auth.login("admin")
    accounts.invite(db.session, "invite@exemple.fr", "animateur", None, None)
    db.session.commit()
    response = _issue(client, owner_email="invite@exemple.fr", name="Outil")
    assert response.status_code == 422
    assert "n'a pas encore accepté son invitation" in error_of(response, "owner_email")
    assert SECRET.search(response.get_data(as_text=True)) is None
    assert db.session.scalars(select(ApiToken)).all() == []


def test_the_api_refuses_a_token_of_an_invitation_not_yet_accepted(client, auth):
    # A token issued to such an account before it was refused.
    accounts.invite(db.session, "invite@exemple.fr", "animateur", None, None)
    owner = db.session.scalar(select(User).where(User.email == "invite@exemple.fr"))
    secret = api_token_of(owner)
    db.session.commit()
    api = client.get("/api/v1/needs", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    assert "n'a pas encore accepté son invitation" in api.get_json()["detail"]
    with pytest.raises(api_tokens.TokenRefused) as refused:
        api_tokens.verify_token(db.session, secret)
    assert refused.value.reason == "invited"


HEXLIKE = re.compile(r"\b[0-9a-f]{32,}\b")


def test_the_audit_log_names_a_token_by_its_label_and_organisation_never_a_hash(client, auth):
    # Finding: the log showed the key of the form's sending, 64 hexadecimal characters
    # that look like a secret, and not the organisation the token serves.
    auth.login("admin")
    owner = auth.create("operator")
    operator = db.session.get(User, owner.id).operator
    shown = client.get("/admin/jetons")
    issued = _issue(
        client, owner_email=owner.email, name="Outil du GE", submission_token=_form_token(shown)
    )
    secret = SECRET.search(issued.get_data(as_text=True)).group(0)
    token = db.session.scalars(select(ApiToken)).one()
    client.post(f"/admin/jetons/{token.id}/revoquer")
    assert db.session.get(ApiToken, token.id).revoked_at is not None

    said = f"organisation : {operator.name} ({operator.ref})"
    search = f"fiche=user&numero={owner.id}"
    log = page_text(client.get(f"/admin/journal?{search}"))
    for action in ("Jeton d'accès à l'API créé", "Jeton d'accès à l'API révoqué"):
        assert action in log
    assert log.count("nom : Outil du GE") == 2 and log.count(said) == 2
    exported = client.get(f"/admin/journal/export.csv?{search}").get_data(as_text=True)
    assert exported.count("nom : Outil du GE") == 2 and exported.count(said) == 2
    for text in (log, exported):
        assert secret not in text and token.secret_hash not in text
        assert HEXLIKE.search(text) is None and "envoi du formulaire" not in text
    # The key is still kept: the same sending issues no second token.
    assert "submission" in audit_entries("api_token.issued")[0].details


def test_revoking_a_token_asks_a_confirmation_first(client, auth):
    """Revoking is final (the platform using the token loses its access; only a new token,
    with a new secret to hand over, restores it): as disabling an account, the first
    click opens a confirmation step saying so, and nothing is sent before its button."""
    admin = auth.login("admin")
    owner = auth.create("company")
    token, _ = api_tokens.issue_token(
        db.session, owner_email=owner.email, name="Outil de la Région", days=30, actor=admin
    )
    db.session.commit()
    page = client.get("/admin/jetons").get_data(as_text=True)
    step = re.search(
        r'<details class="risky-action">\s*<summary[^>]*>(.*?)</summary>(.*?)</details>', page, re.S
    )
    assert step, "no confirmation step"
    summary, body = step.groups()
    # Each step named for its token: a list of « Révoquer… » alone says not which.
    assert "Révoquer…" in summary and "Outil de la Région" in summary
    assert f'action="/admin/jetons/{token.id}/revoquer"' in body
    said = html.unescape(body).replace("\xa0", " ")
    assert "Confirmer : révoquer le jeton « Outil de la Région »" in said


def test_a_creation_redirects_and_the_secret_is_shown_once_on_the_page_it_opens(app, auth):
    # Finding: the secret was the answer of the POST itself, so the browser's back then
    # « send again », or its resending of the POST on a reload, sent the form again.
    # Now the POST redirects (Post/Redirect/Get) and the page it opens shows the secret
    # once: kept on the server meanwhile, never in the address nor the session cookie.
    client = app.test_client()
    auth.login("admin", client=client)
    owner = auth.create("animateur")
    sent = {"owner_email": owner.email, "name": "Outil", "submission_token": None}
    sent["submission_token"] = _form_token(client.get("/admin/jetons"))
    created = _issue(client, follow=False, **sent)
    assert created.status_code == 303
    assert created.headers["Location"] == "/admin/jetons#secret-cree"
    assert SECRET.search(created.get_data(as_text=True)) is None
    token = db.session.scalars(select(ApiToken)).one()
    with client.session_transaction() as kept:
        assert "cte_" not in repr(dict(kept))
    assert SECRET.search(created.headers.get("Set-Cookie", "")) is None

    shown = client.get("/admin/jetons")
    secret = SECRET.search(shown.get_data(as_text=True)).group(0)
    assert token.secret_hash == api_tokens.hash_secret(secret)
    assert shown.headers["Cache-Control"] == "no-store"
    assert "Jeton « Outil » créé" in page_text(shown)
    # Reloaded: no secret any more, and nothing left on the server.
    again = client.get("/admin/jetons")
    assert SECRET.search(again.get_data(as_text=True)) is None
    assert list(shown_once.shown_once_folder().glob("*")) == []
    # The same form sent again (back, then « Créer le jeton »): no second token.
    resent = _issue(client, follow=False, **sent)
    assert resent.status_code == 409 and SECRET.search(resent.get_data(as_text=True)) is None
    assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_the_secret_is_shown_to_the_creating_session_only_and_not_after_its_window(
    app, auth, monkeypatch
):
    creator = app.test_client()
    auth.login("admin", client=creator)
    other = app.test_client()
    auth.login("admin", client=other)
    owner = auth.create("animateur")
    _issue(creator, follow=False, owner_email=owner.email, name="Outil")
    # Another admin's page never shows it.
    assert SECRET.search(other.get("/admin/jetons").get_data(as_text=True)) is None
    # Opened after the window: not shown, and deleted.
    later = utcnow() + shown_once.WINDOW + timedelta(seconds=1)
    monkeypatch.setattr("connectences.web.admin.utcnow", lambda: later)
    assert SECRET.search(creator.get("/admin/jetons").get_data(as_text=True)) is None
    assert list(shown_once.shown_once_folder().glob("*")) == []


def test_a_creation_form_without_its_one_time_token_creates_nothing(client, auth):
    auth.login("admin")
    owner = auth.create("animateur")
    data = {"owner_email": owner.email, "name": "Outil", "days": "90"}
    for _ in range(2):
        response = client.post("/admin/jetons", data=data)
        assert response.status_code == 422
        assert "Ce formulaire n'est plus valable" in page_text(response)
        # Shown again with a token of its own: sent as is, it creates the token.
        assert _form_token(response)
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_secret_kept_is_taken_once_and_purged_when_never_shown(app, tmp_path):
    now = utcnow()
    key = shown_once.keep(tmp_path, "cte_secret", now=now)
    (stored,) = tmp_path.iterdir()
    assert b"cte_secret" not in stored.read_bytes() and oct(stored.stat().st_mode)[-3:] == "600"
    assert shown_once.take(tmp_path, "another-key", now=now) is None
    assert shown_once.take(tmp_path, key, now=now) == "cte_secret"
    assert shown_once.take(tmp_path, key, now=now) is None
    shown_once.keep(tmp_path, "cte_never_shown", now=now)
    assert shown_once.purge(tmp_path, now=now) == 0
    later = now + shown_once.WINDOW
    assert shown_once.purge(tmp_path, now=later, dry_run=True) == 1
    assert shown_once.purge(tmp_path, now=later) == 1
    assert list(tmp_path.iterdir()) == []


def test_back_then_the_form_sent_again_creates_no_second_token(client, auth):
    """Finding (in Chromium): logged-in pages are never cached, so « back » after a
    creation loaded the form page anew, with a new one-time token, and the browser refilled
    the fields; sent again, that was a new sending, and a second token. The page now shows
    the session's token until « Aucun nouveau jeton » offers a new form."""
    auth.login("admin")
    owner = auth.create("animateur")
    typed = {"owner_email": owner.email, "name": "Outil", "days": "90"}
    shown = _form_token(client.get("/admin/jetons"))
    created = client.post("/admin/jetons", data={**typed, "submission_token": shown})
    assert created.status_code == 303
    assert SECRET.search(client.get("/admin/jetons").get_data(as_text=True))
    # « Back »: the form page loaded anew, its fields refilled, sent again.
    again = _form_token(client.get("/admin/jetons"))
    assert again == shown
    resent = client.post("/admin/jetons", data={**typed, "submission_token": again})
    assert resent.status_code == 409 and "Aucun nouveau jeton" in page_text(resent)
    assert len(db.session.scalars(select(ApiToken)).all()) == 1
    # Another name is another sending; so is the new form the refusal offers.
    other = client.post(
        "/admin/jetons", data={**typed, "name": "Autre outil", "submission_token": again}
    )
    assert other.status_code == 303
    offered = client.post("/admin/jetons", data={**typed, "submission_token": _form_token(resent)})
    assert offered.status_code == 303
    assert len(db.session.scalars(select(ApiToken)).all()) == 3
