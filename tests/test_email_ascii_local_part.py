"""An address with an accent or an emoji before the @ is refused by every place an
address is typed, saying why; an accented domain is accepted (``contacts.clean_email``).

Finding: « marie😀@exemple.fr » or « élodie@exemple.fr » was accepted, and the mail to it
then failed on every relay without SMTPUTF8: the person never received their link."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import func, select, update

from connectences import contacts
from connectences.accounts import AccountError, link_requests, normalise_email
from connectences.content import directory
from connectences.cvtheque import profile
from connectences.events import registrations
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import Candidate, LinkRequest, Need, OutboxMessage, User
from connectences.needs import form_rules
from connectences.prospection import companies
from tests import factories as f
from tests.helpers import page_text

ACCENTED = ["élodie@exemple.fr", "marie😀@exemple.fr", "Zoë.Durand@exemple.fr"]
WHY = "que de nombreuses messageries refusent"


@pytest.mark.parametrize("typed", ACCENTED)
def test_the_rule_refuses_a_name_before_the_at_outside_ascii_and_says_why(typed):
    with pytest.raises(contacts.AccentedEmail) as refused:
        contacts.clean_email(typed)
    message = refused.value.message
    assert WHY in message and "sans accent ni symbole avant le @" in message
    assert typed in message
    # The comparison key stays lenient: an address stored before still finds itself.
    assert contacts.email_key(typed) == typed.lower()


def test_the_refusal_names_the_characters_at_fault():
    with pytest.raises(contacts.AccentedEmail) as refused:
        contacts.clean_email("élodie.😀é@exemple.fr")
    assert "(é 😀)" in refused.value.message


def test_an_accented_domain_is_accepted_and_has_an_ascii_form_for_the_sender():
    from connectences.mail.sender import smtp_address

    stored = contacts.clean_email("Jean@Exémple.fr")
    assert stored == "jean@exémple.fr"
    assert smtp_address(stored) == "jean@xn--exmple-cva.fr"
    # Typed in its ASCII form, it is the same address.
    assert contacts.clean_email("jean@xn--exmple-cva.fr") == stored


def _contact_person(typed):
    companies.validate_contact({"name": "Jeanne Martin", "email": typed})


def _company_email(typed):
    companies.clean_email(typed)


def _need_owner(typed):
    checked = form_rules.check_owner(
        {"owner_name": "Paul Martin", "owner_email": typed, "owner_phone": "0612345678"}
    )
    if checked.errors.get("owner_email"):
        raise ValueError(checked.errors["owner_email"])


def _event_registration(typed):
    registrations._validate({"name": "Ana Lopez", "email": typed})


def _cv_profile(typed):
    profile.clean_profile({"email": typed}, partial=True)


def _directory_entry(typed):
    directory.check({"email": typed})


def _account(typed):
    normalise_email(typed)


def _interchange(typed):
    # The module (``connectences.exchange.validate`` is also the name of its function).
    validate = importlib.import_module("connectences.exchange.validate")
    ctx = validate._Context(session=None)
    validate.email(typed, "/candidates/0/email", ctx)
    if ctx.errors:
        raise ValueError(ctx.errors[0].message)


@pytest.mark.parametrize(
    "entry",
    [
        _contact_person,
        _company_email,
        _need_owner,
        _event_registration,
        _cv_profile,
        _directory_entry,
        _account,
        _interchange,
    ],
)
@pytest.mark.parametrize("typed", ACCENTED)
def test_every_entry_point_refuses_it_with_the_rules_words(app, entry, typed):
    with pytest.raises((ValueError, AccountError)) as refused:
        entry(typed)
    assert WHY in str(refused.value) or WHY in repr(getattr(refused.value, "errors", ""))


def test_the_admin_invitation_refuses_it_next_to_the_field(client, auth):
    auth.login("admin")
    response = client.post(
        "/admin/invitations", data={"email": "élodie@exemple.fr", "role": "animateur"}
    )
    assert response.status_code == 422
    assert WHY in page_text(response)
    assert db.session.scalar(select(User).where(User.email == "élodie@exemple.fr")) is None


@pytest.mark.parametrize("path", ["/mot-de-passe-oublie", "/mon-cv/lien", "/entreprise/lien"])
def test_the_public_link_forms_still_refuse_what_is_no_address(client, path):
    response = client.post(path, data={"email": "marie😀exemple.fr"})
    assert response.status_code in (400, 422)
    assert "adresse e-mail valide" in page_text(response)
    assert db.session.scalar(select(func.count(LinkRequest.id))) == 0


def _stored_accented(model, row_id: int) -> None:
    """An address written as it stood before the rule (an old import)."""
    db.session.execute(update(model).where(model.id == row_id).values(email=STORED))
    db.session.commit()


STORED = "élodie@exemple.fr"


def _sent_link(client, path: str, kind: MailKind) -> list[OutboxMessage]:
    """Ask for the link of ``path`` with the stored address, resolve the request (the
    scheduler's job): the mails of ``kind`` queued to it."""
    response = client.post(path, data={"email": STORED}, follow_redirects=True)
    assert response.status_code == 200, page_text(response)
    link_requests.resolve_due(db.session)
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.to == STORED)
        )
    )


def test_a_stored_account_with_an_accented_address_gets_its_reset_link(client, auth):
    """Finding: someone stored before the rule (« élodie@… ») was told their address is
    refused by the very forms that find them: no reset link, no space link. Those forms
    look someone up (``clean_email(to_find=True)``): what is stored is found, and an
    unknown accented address gets the same answer as any unknown address."""
    _stored_accented(User, auth.create("animateur").id)
    assert len(_sent_link(client, "/mot-de-passe-oublie", MailKind.PASSWORD_RESET)) == 1


def test_a_stored_candidate_with_an_accented_address_gets_a_link(client):
    f.load(f.document(candidates=[f.candidate(ref="elodie")]))
    candidate = db.session.scalar(select(Candidate).where(Candidate.ref == "elodie"))
    _stored_accented(Candidate, candidate.id)
    response = client.post("/mon-cv/lien", data={"email": STORED}, follow_redirects=True)
    assert response.status_code == 200
    link_requests.resolve_due(db.session)
    assert db.session.scalars(select(OutboxMessage.to)).all() == [STORED]


def test_a_stored_need_owner_with_an_accented_address_gets_their_space_link(client):
    f.load(f.document(companies=[f.company(ref="c1")], needs=[f.need(ref="n1", company="c1")]))
    db.session.execute(update(Need).where(Need.ref == "n1").values(owner_email=STORED))
    db.session.commit()
    assert len(_sent_link(client, "/entreprise/lien", MailKind.COMPANY_SPACE_LINK)) == 1


def test_an_unknown_accented_address_is_answered_as_any_unknown_one(client):
    for path in ("/mot-de-passe-oublie", "/mon-cv/lien", "/entreprise/lien"):
        response = client.post(path, data={"email": "zoé@exemple.fr"}, follow_redirects=True)
        assert response.status_code == 200
        assert WHY not in page_text(response)
    assert link_requests.resolve_due(db.session) == 0
