"""The admins see every failed mail with its error and can put them back in the queue."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from connectences.extensions import db
from connectences.models import AuditLog, OutboxMessage, User
from tests.fixtures_auth import csrf_token_from
from tests.helpers import error_of, page_text


def _failed(to: str, error: str = "550 5.1.1 mailbox unknown") -> OutboxMessage:
    message = OutboxMessage(
        kind="lead_sent",
        to=to,
        subject="[Connect'ences] Une proposition",
        body_text="b",
        status="failed",
        attempts=9,
        last_error=error,
        created_at=datetime(2026, 11, 20, 23, 30, tzinfo=UTC),
    )
    db.session.add(message)
    return message


def test_failed_mails_are_listed_with_their_error_in_paris_time(client, auth):
    _failed("a@exemple.fr")
    _failed("b@exemple.fr", "Connection refused")
    db.session.add(OutboxMessage(kind="other", to="ok@exemple.fr", subject="s", body_text="b"))
    db.session.commit()
    auth.login("admin")
    page = html.unescape(client.get("/admin").get_data(as_text=True))
    assert "a@exemple.fr" in page and "b@exemple.fr" in page
    assert "550 5.1.1 mailbox unknown" in page and "Connection refused" in page
    assert "ok@exemple.fr" not in page  # pending, not failed
    assert "21/11/2026 00:30" in page  # 23:30 UTC is past midnight in Paris


def test_admin_requeues_one_failed_mail(client, auth):
    first, second = _failed("a@exemple.fr"), _failed("b@exemple.fr")
    db.session.commit()
    auth.login("admin")
    token = csrf_token_from(client.get("/admin").get_data(as_text=True))
    response = client.post(
        "/admin/courriels/relancer", data={"csrf_token": token, "message": str(first.id)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (first.status, second.status) == ("pending", "failed")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "mail_requeued"))
    assert entry.details == {"count": 1}


def test_admin_requeues_all_failed_mail(client, auth):
    messages = [_failed(f"{n}@exemple.fr") for n in range(3)]
    db.session.commit()
    auth.login("admin")
    token = csrf_token_from(client.get("/admin").get_data(as_text=True))
    client.post("/admin/courriels/relancer", data={"csrf_token": token})
    db.session.expire_all()
    assert {m.status for m in messages} == {"pending"}


def test_requeue_with_a_bad_id_changes_nothing(client, auth):
    message = _failed("a@exemple.fr")
    db.session.commit()
    auth.login("admin")
    token = csrf_token_from(client.get("/admin").get_data(as_text=True))
    response = client.post(
        "/admin/courriels/relancer", data={"csrf_token": token, "message": "abc"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert message.status == "failed"


@pytest.mark.parametrize("role", ["animateur", "operator", "partner", "company", "territoire"])
def test_other_roles_cannot_requeue_mail(client, auth, role):
    message = _failed("a@exemple.fr")
    db.session.commit()
    auth.login(role)
    assert client.post("/admin/courriels/relancer").status_code == 403
    db.session.expire_all()
    assert message.status == "failed"


def test_anonymous_cannot_requeue_mail(client):
    message = _failed("a@exemple.fr")
    db.session.commit()
    response = client.post("/admin/courriels/relancer")
    assert response.status_code in (302, 401, 403)
    db.session.expire_all()
    assert message.status == "failed"


def test_an_invitation_mail_has_text_and_html(client, auth):
    auth.login("admin")
    token = csrf_token_from(client.get("/admin").get_data(as_text=True))
    client.post(
        "/admin/invitations",
        data={"csrf_token": token, "email": "nouvelle@exemple.fr", "role": "animateur"},
    )
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to == "nouvelle@exemple.fr")
    )
    assert "/invitation/" in message.body_text
    assert '<a href="' in message.body_html


def test_the_invitation_link_is_shown_on_the_page_never_in_the_session_cookie(client, auth, app):
    """The link opens an account to whoever holds it: flashed, it travelled (readable,
    only signed) in the session cookie."""
    auth.login("admin")
    token = csrf_token_from(client.get("/admin").get_data(as_text=True))
    response = client.post(
        "/admin/invitations",
        data={"csrf_token": token, "email": "lien@exemple.fr", "role": "animateur"},
    )
    assert response.status_code == 200
    assert "Invitation envoyée à lien@exemple.fr" in response.get_data(as_text=True)
    assert "/invitation/" in response.get_data(as_text=True)
    serializer = app.session_interface.get_signing_serializer(app)
    session = serializer.loads(client.get_cookie("session").value)
    assert "/invitation/" not in repr(session) and "lien@exemple.fr" not in repr(session)


def _accounts(count: int, prefix: str, role: str = "candidate", **fields) -> None:
    """``count`` accounts without a password (cheaper than hashing one for each)."""
    from connectences.models import User

    for n in range(count):
        db.session.add(User(email=f"{prefix}{n:03d}@exemple.fr", role=role, **fields))
    db.session.commit()


def _listed(page: str) -> list[str]:
    import re

    return re.findall(r'<th scope="row" data-label="Adresse e-mail">([^<]+)</th>', page)


def test_the_accounts_list_is_paged_keeping_its_search_in_the_links(client, auth):
    from connectences.web.admin import ACCOUNTS_PER_PAGE

    _accounts(ACCOUNTS_PER_PAGE + 5, "dupont")
    _accounts(3, "martin")
    auth.login("admin")
    first = html.unescape(client.get("/admin?q=dupont").get_data(as_text=True))
    assert len(_listed(first)) == ACCOUNTS_PER_PAGE
    assert f"Comptes ({ACCOUNTS_PER_PAGE + 5} correspondant à la recherche)" in first
    assert "Page 1 sur 2" in first
    assert 'href="/admin?page=2&amp;q=dupont"' in client.get("/admin?q=dupont").get_data(
        as_text=True
    )
    second = html.unescape(client.get("/admin?q=dupont&page=2").get_data(as_text=True))
    rest = _listed(second)
    assert len(rest) == 5 and all(email.startswith("dupont") for email in rest)
    assert not set(rest) & set(_listed(first))
    # Past the end: the last page, never an empty one or an error.
    assert _listed(html.unescape(client.get("/admin?q=dupont&page=99").get_data(as_text=True)))


def test_the_accounts_list_filters_by_role_and_state(client, auth):
    _accounts(2, "op", role="operator")
    _accounts(2, "off", active=False)
    auth.login("admin")
    page = html.unescape(client.get("/admin?profil=operator").get_data(as_text=True))
    assert sorted(_listed(page)) == ["op000@exemple.fr", "op001@exemple.fr"]
    page = html.unescape(client.get("/admin?etat=desactive").get_data(as_text=True))
    assert sorted(_listed(page)) == ["off000@exemple.fr", "off001@exemple.fr"]
    # An unknown value filters nothing (an edited link still opens the list).
    page = client.get("/admin?profil=pirate&etat=inconnu&page=abc")
    assert page.status_code == 200 and "op000@exemple.fr" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "role", ["animateur", "operator", "company", "candidate", "partner", "territoire"]
)
def test_other_roles_cannot_list_accounts(client, auth, role):
    _accounts(1, "secret")
    auth.login(role)
    response = client.get("/admin?q=secret")
    assert response.status_code in (302, 403)
    assert "secret000@exemple.fr" not in response.get_data(as_text=True)


def _hidden_back(page: str, action: str) -> str:
    """The return address the form posting to ``action`` carries."""
    import re

    form = re.search(
        rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S
    )
    assert form, action
    found = re.search(r'name="retour" value="([^"]*)"', form.group(1))
    assert found, action
    return html.unescape(found.group(1))


def test_disabling_and_enabling_come_back_to_the_page_and_search_they_were_sent_from(client, auth):
    from connectences.models import User
    from connectences.web.admin import ACCOUNTS_PER_PAGE

    _accounts(ACCOUNTS_PER_PAGE + 5, "dupont")
    auth.login("admin")
    page = client.get("/admin?q=dupont&page=2").get_data(as_text=True)
    target = db.session.scalar(select(User).where(User.email == "dupont054@exemple.fr"))
    back = _hidden_back(page, f"/admin/utilisateurs/{target.id}/desactiver")
    assert back == "/admin?page=2&q=dupont"
    response = client.post(f"/admin/utilisateurs/{target.id}/desactiver", data={"retour": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    db.session.expire_all()
    assert target.active is False

    page = client.get("/admin?etat=desactive").get_data(as_text=True)
    back = _hidden_back(page, f"/admin/utilisateurs/{target.id}/reactiver")
    assert back == "/admin?etat=desactive"
    response = client.post(f"/admin/utilisateurs/{target.id}/reactiver", data={"retour": back})
    assert response.headers["Location"] == back
    db.session.expire_all()
    assert target.active is True


@pytest.mark.parametrize(
    "back",
    [
        "https://ailleurs.example/admin",
        "//ailleurs.example/admin",
        "/\\ailleurs.example/admin",
        "/operateur",
        "/adminx?q=a",
        "",
    ],
)
def test_a_return_address_off_the_accounts_list_falls_back_to_the_plain_list(client, auth, back):
    user = auth.create("candidate")
    auth.login("admin")
    response = client.post(f"/admin/utilisateurs/{user.id}/desactiver", data={"retour": back})
    assert response.status_code == 302 and response.headers["Location"] == "/admin"
    response = client.post(f"/admin/utilisateurs/{user.id}/reactiver", data={"retour": back})
    assert response.headers["Location"] == "/admin"


def test_changing_a_role_comes_back_to_the_filtered_list(client, auth):
    user = auth.create("animateur")
    auth.login("admin")
    page = html.unescape(client.get("/admin?profil=animateur").get_data(as_text=True))
    link = f"/admin/utilisateurs/{user.id}/role?retour=/admin?profil%3Danimateur"
    assert f'href="{link}"' in page
    form = html.unescape(client.get(link).get_data(as_text=True))
    assert 'href="/admin?profil=animateur">Retour' in form
    assert _hidden_back(form, f"/admin/utilisateurs/{user.id}/role#erreurs-role") == (
        "/admin?profil=animateur"
    )
    # A refusal keeps the return address in the form sent again.
    refused = client.post(
        f"/admin/utilisateurs/{user.id}/role",
        data={"role": "operator", "org_ref": "ge-zz", "retour": "/admin?profil=animateur"},
    )
    assert refused.status_code == 422
    assert _hidden_back(
        refused.get_data(as_text=True), f"/admin/utilisateurs/{user.id}/role#erreurs-role"
    ) == ("/admin?profil=animateur")
    response = client.post(
        f"/admin/utilisateurs/{user.id}/role",
        data={"role": "admin", "retour": "/admin?profil=animateur"},
    )
    assert response.headers["Location"] == "/admin?profil=animateur"
    elsewhere = client.post(
        f"/admin/utilisateurs/{user.id}/role",
        data={"role": "animateur", "retour": "https://ailleurs.example/admin"},
    )
    assert elsewhere.headers["Location"] == "/admin"


@pytest.mark.parametrize(
    "role", ["animateur", "operator", "company", "candidate", "partner", "territoire"]
)
def test_another_role_trying_the_administration_is_refused_and_logged(app, client, auth, role):
    """The accounts, tokens and the audit log are the administrator's: an attempt by
    anyone else is written to the audit log (who, which address), as for the CV library."""
    target = auth.create("animateur", email="cible@exemple.fr")
    user = auth.login(role)
    attempts = [
        ("get", "/admin/journal"),
        ("post", f"/admin/utilisateurs/{target.id}/desactiver"),
    ]
    for method, url in attempts:
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
    db.session.expire_all()
    refusals = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "admin_access_refused").order_by(AuditLog.id)
    ).all()
    assert [
        (entry.actor_id, entry.details["role"], entry.details["path"]) for entry in refusals
    ] == [(user.id, role, url) for _method, url in attempts]
    assert db.session.get(type(target), target.id).active


def test_re_enabling_an_active_account_or_disabling_a_disabled_one_is_said_and_not_logged(
    client, auth
):
    """A second tab or a second admin sending the same action again: the page said
    « réactivé » of an account never disabled, and the log gained an entry for nothing
    (a second disabling ended nothing but was logged as a disabling)."""
    from connectences.models import User

    user = auth.create("candidate", email="deux.fois@exemple.fr")
    auth.login("admin")

    def entries(action):
        return db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == action, AuditLog.entity_id == user.id)
        )

    response = client.post(f"/admin/utilisateurs/{user.id}/reactiver", follow_redirects=True)
    text = page_text(response)
    assert "Le compte deux.fois@exemple.fr est déjà actif" in text
    assert "est réactivé" not in text
    assert entries("user_enabled") == 0

    client.post(f"/admin/utilisateurs/{user.id}/desactiver")
    db.session.expire_all()
    version = db.session.get(User, user.id).session_version
    response = client.post(f"/admin/utilisateurs/{user.id}/desactiver", follow_redirects=True)
    text = page_text(response)
    assert "Le compte deux.fois@exemple.fr est déjà désactivé" in text
    assert entries("user_disabled") == 1
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == version


def test_an_organisations_members_are_found_by_its_name_or_ref(client, auth):
    """« Qui a un compte chez ce groupement ? » : the search read the address and the
    person's name only, so an organisation's members could not be listed."""
    from tests import factories

    operator = factories.operator(name="Groupement Côte d'Argent", ref="ge-cote")
    partner = factories.partner(name="Mission Locale du Bassin", ref="ml-bassin")
    factories.load(factories.document(operators=[operator], partners=[partner]))
    auth.create("operator", email="paul@ge-cote.fr", org_ref="ge-cote")
    auth.create("operator", email="zoe@ge-cote.fr", org_ref="ge-cote")
    auth.create("operator", email="autre@exemple.fr")
    auth.create("partner", email="ines@ml.fr", org_ref="ml-bassin")
    auth.create("territoire", email="agent.un@exemple.fr", org_ref=factories.COBAS)
    auth.create("territoire", email="agent.deux@exemple.fr", org_ref=factories.COBAN)
    auth.login("admin")

    def found(query):
        return sorted(
            _listed(html.unescape(client.get(f"/admin?q={query}").get_data(as_text=True)))
        )

    assert found("cote argent") == ["paul@ge-cote.fr", "zoe@ge-cote.fr"]
    assert found("ge-cote") == ["paul@ge-cote.fr", "zoe@ge-cote.fr"]
    assert found("mission locale") == ["ines@ml.fr"]
    assert found("cobas") == ["agent.un@exemple.fr"]
    assert found(factories.COBAN) == ["agent.deux@exemple.fr"]
    assert found("val eyre") == []
    # Still the address and the name as before; a word found nowhere finds nobody.
    assert found("ines") == ["ines@ml.fr"]
    assert found("introuvable") == []


def test_words_of_a_person_and_of_their_organisation_together_find_them(client, auth):
    """« Hélène GE Bassin » found nobody: the person's fields had to hold every word, or
    the organisation's name every word. Each word is now looked for in either, and every
    word must be found somewhere."""
    from tests import factories

    ge = factories.operator(name="GE Bassin Emploi", ref="ge-bassin")
    other = factories.operator(name="Groupement du Médoc", ref="ge-medoc")
    factories.load(factories.document(operators=[ge, other]))
    auth.create(
        "operator", email="h.lafon@exemple.fr", full_name="Hélène Lafon", org_ref="ge-bassin"
    )
    auth.create("operator", email="paul@exemple.fr", full_name="Paul Dupin", org_ref="ge-bassin")
    auth.create("operator", email="hmarty@exemple.fr", full_name="Hélène Marty", org_ref="ge-medoc")
    auth.login("admin")

    def found(query):
        page = client.get("/admin", query_string={"q": query}).get_data(as_text=True)
        return sorted(_listed(html.unescape(page)))

    assert found("Hélène GE Bassin") == ["h.lafon@exemple.fr"]
    assert found("bassin helene lafon") == ["h.lafon@exemple.fr"]
    assert found("Hélène Médoc") == ["hmarty@exemple.fr"]
    assert found("Hélène") == ["h.lafon@exemple.fr", "hmarty@exemple.fr"]
    # Every word must be found somewhere: one found nowhere finds nobody.
    assert found("Hélène GE Bassin introuvable") == []
    assert found("Paul Médoc") == []


def test_a_pending_invitation_is_sent_again_from_its_row_with_its_organisation(client, auth):
    """« Renvoyer l'invitation » on the row of an account never opened: a new link, for
    its role and organisation as they stand (no typing them again), the earlier link dead."""
    from connectences import accounts
    from connectences.models import User
    from tests import factories

    factories.load(factories.document(operators=[factories.operator(ref="ge-renvoi")]))
    first = accounts.invite(db.session, "attente@exemple.fr", "operator", "ge-renvoi", None)
    db.session.commit()
    user = db.session.scalar(select(User).where(User.email == "attente@exemple.fr"))
    auth.login("admin")
    page = client.get("/admin").get_data(as_text=True)
    assert f'action="/admin/utilisateurs/{user.id}/reinviter"' in page

    response = client.post(f"/admin/utilisateurs/{user.id}/reinviter")
    assert response.status_code == 200
    text = page_text(response)
    assert "Invitation envoyée à attente@exemple.fr" in text and "/invitation/" in text
    with pytest.raises(accounts.InvitationInvalid):
        accounts.find_invitation(db.session, first)
    db.session.expire_all()
    assert user.role == "operator" and user.operator.ref == "ge-renvoi"
    (mail,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == "attente@exemple.fr")
    ).all()
    link = re.search(r"http://localhost/invitation/[\w-]+", text).group(0)
    assert link in mail.body_text


def test_an_account_with_its_password_or_disabled_gets_no_invitation_sent_again(client, auth):
    """A stale page (the person chose their password meanwhile, or another admin disabled
    the account): said in French, no mail, no link."""
    from connectences import accounts
    from connectences.models import User

    active = auth.create("candidate")
    accounts.invite(db.session, "coupe@exemple.fr", "animateur", None, None)
    db.session.commit()
    disabled = db.session.scalar(select(User).where(User.email == "coupe@exemple.fr"))
    disabled.active = False
    db.session.commit()
    auth.login("admin")
    page = client.get("/admin").get_data(as_text=True)
    assert f"/admin/utilisateurs/{active.id}/reinviter" not in page
    assert f"/admin/utilisateurs/{disabled.id}/reinviter" not in page
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    for user, said in ((active, "a déjà choisi son mot de passe"), (disabled, "désactivé")):
        response = client.post(f"/admin/utilisateurs/{user.id}/reinviter", follow_redirects=True)
        assert response.status_code == 200
        text = page_text(response)
        assert said in text and "/invitation/" not in text
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    assert client.post("/admin/utilisateurs/999999/reinviter").status_code == 404


@pytest.mark.parametrize("role", ["animateur", "operator", "company"])
def test_other_roles_cannot_send_an_invitation_again(client, auth, role):
    from connectences import accounts
    from connectences.models import User

    accounts.invite(db.session, "autre@exemple.fr", "animateur", None, None)
    db.session.commit()
    user = db.session.scalar(select(User).where(User.email == "autre@exemple.fr"))
    auth.login(role)
    assert client.post(f"/admin/utilisateurs/{user.id}/reinviter").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_invitation_with_no_address_and_no_role_tells_both_at_once(client, auth):
    """Finding: « pas-une-adresse » without a role was told only « Choisissez un rôle » ;
    the role chosen, the form came back a second time for the address."""
    auth.login("admin")
    response = client.post("/admin/invitations", data={"email": "pas-une-adresse", "role": ""})
    assert response.status_code == 422
    assert "adresse e-mail valide" in error_of(response, "email")
    assert "Choisissez un rôle" in error_of(response, "role")
    assert db.session.scalar(select(User.id).where(User.email == "pas-une-adresse")) is None


@pytest.mark.parametrize(
    "role,org_ref,message",
    [
        ("operator", "ge-inconnu", "Aucun opérateur n'a la référence « ge-inconnu »"),
        ("territoire", "123", "n'est pas un SIREN"),
        ("admin", "ge-bassin", "n'est rattaché à aucune organisation"),
    ],
)
def test_an_invitation_tells_a_wrong_address_and_a_wrong_organisation_at_once(
    client, auth, role, org_ref, message
):
    """The organisation was checked only once the address was right: a second send."""
    auth.login("admin")
    users = db.session.scalar(select(func.count()).select_from(User))
    response = client.post(
        "/admin/invitations", data={"email": "pas-une-adresse", "role": role, "org_ref": org_ref}
    )
    assert response.status_code == 422
    assert "adresse e-mail valide" in error_of(response, "email")
    assert message in error_of(response, "org_ref")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User)) == users
