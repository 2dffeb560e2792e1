"""A profile taken over: someone holding a leaked personal link replaced its address by
theirs. The staff sees the addresses the profile held before and puts one back
(``consent.restore_address``), from the person's record in the CV library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectences.accounts.passwords import is_closed
from connectences.cvtheque import consent
from connectences.cvtheque.erase import erase_candidate
from connectences.cvtheque.retention import REASON_STALE
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import Candidate, CandidateEvent, User
from tests.cv_helpers import link_in
from tests.fixtures_auth import PASSWORD
from tests.helpers import audit_entries, mails_to, page_text
from tests.test_cv_public import (  # noqa: F401 (cv_dir: a fixture)
    EMAIL,
    ask_address,
    confirm_from_mail,
    cv_dir,
    space_with_account,
    submitted_and_confirmed,
    the_candidate,
)
from tests.test_jobs import run

INTRUDER = "intrus@exemple.org"


def _taken_over(app, client, *, password: str | None = None) -> tuple[str, object]:
    """The person's profile, confirmed; someone else holding its link (``intruder``, a
    client of their own) changed its address to theirs and confirmed it. Returns the
    intruder's space path and client."""
    space = submitted_and_confirmed(client) if password is None else space_with_account(client)
    intruder = app.test_client()
    extra = {"password": password} if password else {}
    assert ask_address(intruder, space, INTRUDER, **extra).status_code == 302
    taken = confirm_from_mail(intruder, INTRUDER)
    assert the_candidate().email == INTRUDER
    return taken, intruder


def _email_of(person: Candidate) -> str:
    db.session.expire_all()
    return db.session.get(Candidate, person.id).email


def _record(person: Candidate) -> str:
    return f"/animateur/cvtheque/{person.ref}"


def test_the_staff_puts_back_the_address_a_takeover_replaced(app, client, auth):
    taken, intruder = _taken_over(app, client)
    person = the_candidate()
    staff = app.test_client()
    animateur = auth.login("animateur", client=staff, full_name="Anne Animatrice")
    page = page_text(staff.get(_record(person)))
    assert "Adresses précédentes connues" in page and EMAIL in page
    assert f"Je remets l'adresse choisie à la place de {INTRUDER}" in page
    # « Désactiver ses liens » would mail the new link to the intruder: the page says so.
    assert "ce nouveau lien partirait chez la personne qui l'a remplacée" in page
    before = {address: len(mails_to(address)) for address in (EMAIL, INTRUDER)}

    done = staff.post(
        f"{_record(person)}/adresse/remettre", data={"adresse": EMAIL, "confirmer": "1"}
    )
    assert done.status_code == 302 and done.location == _record(person) + "#liens"
    said = page_text(staff.get(done.location))
    assert f"L'adresse {EMAIL} est remise sur le profil ; {INTRUDER} en est informée." in said
    assert f"Un nouveau lien a été envoyé à {EMAIL}." in said

    person = the_candidate()
    assert person.email == EMAIL and person.pending_email is None
    assert person.email_confirmed_at is not None  # still matched, never erased as unconfirmed
    # The intruder's link opens nothing more.
    assert intruder.get(taken).status_code != 200
    # The replaced address is told, the restored one masked, with no link.
    (told,) = mails_to(INTRUDER)[before[INTRUDER] :]
    assert told.kind == MailKind.CV_ADDRESS_RESTORED and told.candidate_id == person.id
    text = " ".join(told.body_text.split())
    assert "c•••@exemple.fr" in text and EMAIL not in text and EMAIL not in told.body_html
    assert "/mon-cv/" not in text and "ne fonctionnent plus" in text
    # A fresh link goes to the restored address, and opens the space.
    (fresh,) = mails_to(EMAIL)[before[EMAIL] :]
    assert fresh.kind == MailKind.CV_SPACE_LINK
    assert app.test_client().get(link_in(fresh)).status_code == 200
    # Who did it: the audit log (addresses masked) and the person's history.
    (entry,) = audit_entries("candidate.address_restored")
    assert entry.actor_id == animateur.id and entry.entity_id == person.id
    assert entry.details == {
        "restored": "c•••@exemple.fr",
        "replaced": "i•••@exemple.org",
        "login_moved": False,
    }
    assert audit_entries("candidate.links_revoked")[-1].actor_id == animateur.id
    line = db.session.scalar(
        select(CandidateEvent)
        .where(CandidateEvent.candidate_id == person.id)
        .where(CandidateEvent.summary.like("Adresse e-mail précédente remise%"))
    )
    assert line is not None and line.actor_id == animateur.id
    # The replaced address is a former one now (a mistake can be undone the same way).
    assert [f.address for f in consent.former_addresses(db.session, person)] == [INTRUDER]


def test_an_account_made_from_the_leaked_link_logs_in_with_the_restored_address_again(
    app, client, auth
):
    # Whoever made the account knows its password: they moved its login with the address.
    taken, intruder = _taken_over(app, client, password=PASSWORD)
    account = db.session.scalar(select(User).where(User.candidate_id == the_candidate().id))
    assert account.email == INTRUDER
    staff = app.test_client()
    auth.login("admin", client=staff)
    person = the_candidate()
    done = staff.post(
        f"{_record(person)}/adresse/remettre", data={"adresse": EMAIL, "confirmer": "1"}
    )
    said = page_text(staff.get(done.location))
    assert "Le compte du profil se connecte de nouveau avec cette adresse." in said
    assert "Mot de passe oublié" in said
    db.session.expire_all()
    account = db.session.get(User, account.id)
    assert account.email == EMAIL and is_closed(account.password_hash)
    assert audit_entries("candidate.address_restored")[-1].details["login_moved"] is True
    told = mails_to(INTRUDER)[-1]
    assert told.kind == MailKind.CV_ADDRESS_RESTORED and "se connecte le compte" in told.body_text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"adresse": EMAIL}, "Cochez la case pour confirmer le changement d'adresse."),
        ({"confirmer": "1"}, "Choisissez l'adresse à remettre."),
        (
            {"adresse": "quelquun@exemple.fr", "confirmer": "1"},
            "Cette adresse n'est pas une adresse précédente de ce profil",
        ),
        ({"adresse": INTRUDER, "confirmer": "1"}, "n'est pas une adresse précédente"),
    ],
)
def test_a_refused_restoring_says_why_in_french_and_changes_nothing(
    app, client, auth, data, message
):
    taken, intruder = _taken_over(app, client)
    person = the_candidate()
    version, before = person.token_version, len(mails_to(EMAIL)) + len(mails_to(INTRUDER))
    staff = app.test_client()
    auth.login("animateur", client=staff)
    refused = staff.post(f"{_record(person)}/adresse/remettre", data=data)
    assert refused.status_code == 422
    assert message in page_text(refused)
    person = the_candidate()
    assert person.email == INTRUDER and person.token_version == version
    assert len(mails_to(EMAIL)) + len(mails_to(INTRUDER)) == before
    assert intruder.get(taken).status_code == 200
    assert not audit_entries("candidate.address_restored")


def test_a_former_address_another_profile_holds_now_is_not_put_back(app, client, auth):
    _taken_over(app, client)
    person = the_candidate()
    # The person, locked out, submitted a new profile under their address meanwhile.
    other = app.test_client()
    submitted_and_confirmed(other)
    staff = app.test_client()
    auth.login("animateur", client=staff)
    refused = staff.post(
        f"{_record(person)}/adresse/remettre", data={"adresse": EMAIL, "confirmer": "1"}
    )
    assert refused.status_code == 422
    assert f"L'adresse {EMAIL} est maintenant celle d'un autre profil" in page_text(refused)
    db.session.expire_all()
    assert db.session.get(Candidate, person.id).email == INTRUDER


def test_a_profile_never_changed_has_no_former_address(app, client, auth):
    submitted_and_confirmed(client)
    person = the_candidate()
    staff = app.test_client()
    auth.login("animateur", client=staff)
    page = page_text(staff.get(_record(person)))
    assert "Aucune adresse précédente n'est connue pour ce profil" in page
    assert "partirait chez la personne qui l'a remplacée" not in page
    assert consent.former_addresses(db.session, person) == []


@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
def test_only_the_platforms_team_puts_a_former_address_back(app, client, auth, role):
    taken, intruder = _taken_over(app, client)
    person = the_candidate()
    other = app.test_client()
    auth.login(role, client=other)
    answer = other.post(
        f"{_record(person)}/adresse/remettre", data={"adresse": EMAIL, "confirmer": "1"}
    )
    assert answer.status_code in (403, 404)
    assert _email_of(person) == INTRUDER
    assert intruder.get(taken).status_code == 200
    assert not audit_entries("candidate.address_restored")
    anonymous = app.test_client().post(
        f"{_record(person)}/adresse/remettre", data={"adresse": EMAIL, "confirmer": "1"}
    )
    assert anonymous.status_code == 302 and "/connexion" in anonymous.location
    assert _email_of(person) == INTRUDER


def test_a_former_address_whose_warning_failed_stays_restorable_after_the_outbox_purge(
    app, client, auth
):
    # The warning to the address left was given up (a full mailbox, a relay down), and
    # the outbox deletes a given-up mail after MAIL_FAILED_RETENTION_DAYS: the address
    # left must stay restorable as long as the profile is kept (its history).
    _taken_over(app, client)
    person = the_candidate()
    (warning,) = [m for m in mails_to(EMAIL) if m.kind == MailKind.CV_ADDRESS_CHANGED]
    warning.status = "failed"
    db.session.commit()
    later = datetime.now(UTC) + timedelta(days=91)
    assert run("data_retention", later)["mail_failed_deleted"] >= 1
    assert not [m for m in mails_to(EMAIL) if m.kind == MailKind.CV_ADDRESS_CHANGED]

    assert [f.address for f in consent.former_addresses(db.session, person)] == [EMAIL]
    staff = app.test_client()
    auth.login("animateur", client=staff)
    assert EMAIL in page_text(staff.get(_record(person)))
    done = staff.post(
        f"{_record(person)}/adresse/remettre", data={"adresse": EMAIL, "confirmer": "1"}
    )
    assert done.status_code == 302
    assert _email_of(person) == EMAIL


def test_the_address_left_goes_with_the_profile_when_it_is_erased(app, client):
    # Kept as long as the profile, not longer: erased with it (its retention's end).
    _taken_over(app, client)
    person = the_candidate()
    assert [f.address for f in consent.former_addresses(db.session, person)] == [EMAIL]
    erase_candidate(db.session, person, reason=REASON_STALE)
    db.session.commit()
    kept = db.session.scalars(select(CandidateEvent.details)).all()
    assert not [d for d in kept if consent.LEFT_ADDRESS in (d or {})]
