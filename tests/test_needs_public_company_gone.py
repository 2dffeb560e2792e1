"""A public need sent for a SIRET whose provisional company goes at the same instant:
the staff attach it to a listed company (« Rattacher à cette fiche »), or the retention
job deletes it. The request had resolved the SIRET to that company; its need's insert
then fails the foreign key (on PostgreSQL after waiting for the other transaction's
lock). The need is sent once again, its company resolved again: it lands on the listed
company, or on a new provisional one; never a 500, nothing lost. The other transaction
commits between the resolution and the insert (the resolution patched to let it), on
SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Company, Need, OutboxMessage, User
from connectences.needs import register
from connectences.prospection import provisional_merge
from connectences.prospection.companies import (
    create_provisional,
    delete_forgotten_provisional,
    find_company_by_siret,
    is_provisional,
)
from connectences.web import need_public
from tests import factories as f
from tests.helpers import make_company, page_text

STRANGER = "a.stranger@exemple.fr"


def _gone_after_resolution(monkeypatch, meanwhile) -> list:
    """The first resolution of the SIRET returns the company it finds, after ``meanwhile``
    (another session, committed) took it away; the ids it returned, in order."""
    returned: list[int] = []

    def resolve(session, siret, commune):
        company = create_provisional(session, siret, commune)
        if not returned:
            other = db.session.session_factory()
            try:
                meanwhile(other, company.id)
                other.commit()
            finally:
                other.close()
        returned.append(company.id)
        return company

    monkeypatch.setattr(register, "create_provisional", resolve)
    return returned


def _post(client, siret: str, title: str = "Besoin au même instant"):
    data = f.public_need_form(siret=siret, owner_email=STRANGER, title=title)
    return client.post("/exprimer-un-besoin", data=data)


def _stored(title: str = "Besoin au même instant") -> Need:
    db.session.expire_all()
    return db.session.scalars(select(Need).where(Need.title == title)).one()


def test_sent_as_the_staff_attach_its_company_it_lands_on_the_record(
    app, client, auth, monkeypatch
):
    member = auth.create("animateur")
    company = make_company(name="Boulangerie Dupond")
    company_id, siret = company.id, f.make_siret()
    provisional = create_provisional(db.session, siret, company.commune)
    provisional_id = provisional.id
    db.session.commit()

    def attach(session, _company_id):
        provisional_merge.merge_provisional(
            session,
            session.get(Company, company_id),
            session.get(Company, provisional_id).ref,
            siret_before=session.get(Company, company_id).siret,
            actor=session.get(User, member.id),
        )

    returned = _gone_after_resolution(monkeypatch, attach)
    response = _post(client, siret)

    assert response.status_code == 302 and response.location == "/exprimer-un-besoin/envoye"
    assert returned == [provisional_id, company_id]
    need = _stored()
    # On the record, apart: nobody at the company knows the address.
    assert need.company_id == company_id and need.owner_unattached
    assert need.owner_confirmed_at is None
    assert db.session.get(Company, provisional_id) is None


def test_sent_as_the_retention_job_deletes_its_company_it_makes_a_new_one(app, client, monkeypatch):
    siret = f.make_siret()
    provisional = create_provisional(db.session, siret, "33005")
    provisional_id = provisional.id
    db.session.commit()

    def forget(session, _company_id):
        assert delete_forgotten_provisional(session, datetime.now(UTC) + timedelta(days=1)) == 1

    returned = _gone_after_resolution(monkeypatch, forget)
    response = _post(client, siret)

    assert response.status_code == 302
    need = _stored()
    company = find_company_by_siret(db.session, siret)
    # Resolved again once the first was deleted: a new provisional company (SQLite may
    # give it the same id).
    assert returned == [provisional_id, company.id]
    assert need.company_id == company.id and is_provisional(company)


def test_a_need_whose_company_goes_twice_is_given_back_in_french(app, client, monkeypatch):
    """Beyond the one new try, the form comes back filled in with a French message and
    nothing is stored (never a 500)."""
    siret = f.make_siret()

    def resolve(session, siret, commune):
        company = create_provisional(session, siret, commune)
        other = db.session.session_factory()
        try:
            assert delete_forgotten_provisional(other, datetime.now(UTC) + timedelta(days=1))
            other.commit()
        finally:
            other.close()
        return company

    created = []

    def resolve_committed(session, siret, commune):
        # The company must be committed for another session to delete it.
        fresh = db.session.session_factory()
        try:
            create_provisional(fresh, siret, commune)
            fresh.commit()
        finally:
            fresh.close()
        created.append(siret)
        return resolve(session, siret, commune)

    monkeypatch.setattr(register, "create_provisional", resolve_committed)
    response = _post(client, siret, title="Deux fois perdu")

    assert response.status_code == 409 and len(created) == 2
    assert need_public.NOT_STORED.split(" :")[0] in page_text(response)
    assert 'value="Deux fois perdu"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.scalars(select(Need).where(Need.title == "Deux fois perdu")).all()


def test_a_need_stored_as_the_retention_job_checks_its_company_is_not_deleted_with_it(
    app, client, monkeypatch
):
    """The job has found the provisional company referred to by nothing; a need for its
    SIRET is sent before it deletes it. The job holds the company's lock from before its
    check: the need's insert waits for the job, then finds the company gone and makes a
    new one. Unlocked, the need was stored, then deleted with the company."""
    import threading

    from connectences.prospection import companies

    siret = f.make_siret()
    provisional_id = create_provisional(db.session, siret, "33005").id
    db.session.commit()
    real = companies._referred_to
    sent: list = []

    def checked_then_sent(session, company_id):
        referred = real(session, company_id)
        if company_id == provisional_id and not sent:
            thread = threading.Thread(target=lambda: sent.append(_post(app.test_client(), siret)))
            sent.append(thread)
            thread.start()
            thread.join(timeout=1)  # stored by now when nothing holds it back
        return referred

    monkeypatch.setattr(companies, "_referred_to", checked_then_sent)
    assert delete_forgotten_provisional(db.session, datetime.now(UTC) + timedelta(days=1)) == 1
    db.session.commit()
    sent[0].join(timeout=30)

    assert sent[1].status_code == 302
    need = _stored()
    company = find_company_by_siret(db.session, siret)
    assert company is not None and is_provisional(company) and need.company_id == company.id


def test_a_need_sent_while_the_staff_attach_its_company_waits_and_lands_on_the_record(
    app, client, auth, monkeypatch
):
    """Two connections: the attach holds the provisional company's lock when the need is
    sent; its insert waits (PostgreSQL: the foreign key's lock; SQLite: the write lock),
    then finds the company gone and lands on the record."""
    import threading

    member = auth.create("animateur")
    company = make_company(name="Boulangerie Dupond")
    company_id, siret = company.id, f.make_siret()
    provisional = create_provisional(db.session, siret, company.commune)
    db.session.commit()
    real = provisional_merge.needs_of
    sent: list = []

    def locked_then_sent(session, held):
        thread = threading.Thread(target=lambda: sent.append(_post(app.test_client(), siret)))
        sent.append(thread)
        thread.start()
        thread.join(timeout=1)  # waiting on the lock
        return real(session, held)

    monkeypatch.setattr(provisional_merge, "needs_of", locked_then_sent)
    merged = provisional_merge.merge_provisional(
        db.session, company, provisional.ref, siret_before=company.siret, actor=member
    )
    db.session.commit()
    sent[0].join(timeout=30)

    assert merged.needs == 0 and sent[1].status_code == 302
    need = _stored()
    assert need.company_id == company_id and need.owner_unattached


# --- the author confirms while the staff attach its provisional company ------------------

CONFIRM_LINK = re.compile(r"http://localhost(/exprimer-un-besoin/confirmer/[^\s<\"]+)")


def _sent_unconfirmed(app, siret: str, email: str, title: str) -> str:
    """A public need sent by ``email`` for ``siret`` (a provisional company): the path of
    its confirmation link."""
    data = f.public_need_form(siret=siret, owner_email=email, title=title)
    assert app.test_client().post("/exprimer-un-besoin", data=data).status_code == 302
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == email)).one()
    return CONFIRM_LINK.search(mail.body_text).group(1)


def _attach(member_id: int, company_id: int, provisional_ref: str):
    def attach(session):
        provisional_merge.merge_provisional(
            session,
            session.get(Company, company_id),
            provisional_ref,
            siret_before=session.get(Company, company_id).siret,
            actor=session.get(User, member_id),
        )

    return attach


@pytest.mark.parametrize("author", [STRANGER, "patron@dupond.fr"])
def test_confirmed_as_the_staff_attach_its_company_it_lands_on_the_record(
    app, client, auth, monkeypatch, author
):
    """The confirmation has read the need (and its provisional company) when the staff's
    attach commits: it lands on the record, named as the staff know it (the author's
    typed name is not taken), its author apart unless the record knows their address.
    It used to write on the deleted row (StaleDataError: a 500)."""
    member = auth.create("animateur")
    company = make_company(name="Boulangerie Dupond", contact_email="patron@dupond.fr")
    company_id, siret = company.id, f.make_siret()
    db.session.commit()
    link = _sent_unconfirmed(app, siret, author, "Confirmé au même instant")
    provisional = find_company_by_siret(db.session, siret)
    assert is_provisional(provisional)
    attach = _attach(member.id, company_id, provisional.ref)
    real = register.confirm_need
    attached: list = []

    def confirm_once_attached(session, need, email, **kwargs):
        assert is_provisional(need.company)  # read before the attach
        other = db.session.session_factory()
        try:
            attach(other)
            other.commit()
        finally:
            other.close()
        attached.append(need.id)
        return real(session, need, email, **kwargs)

    monkeypatch.setattr(register, "confirm_need", confirm_once_attached)
    response = client.post(link)

    assert response.status_code == 302 and "/entreprise/suivi/" in response.location
    assert attached
    need = _stored("Confirmé au même instant")
    listed = db.session.get(Company, company_id)
    assert need.company_id == company_id and need.owner_confirmed_at is not None
    assert need.status == "nouveau" and listed.name == "Boulangerie Dupond"
    assert listed.siret == siret and find_company_by_siret(db.session, siret).id == company_id
    assert need.owner_unattached == (author == STRANGER)
    contacts = {contact.email for contact in listed.contacts}
    assert (author in contacts) == (author != STRANGER)


def test_a_confirmation_sent_while_the_staff_attach_its_company_waits_and_lands_on_the_record(
    app, client, auth, monkeypatch
):
    """Two connections: the attach holds the provisional company's lock when the author
    confirms; the confirmation waits for it (PostgreSQL: the row's lock; SQLite: the
    write lock), then confirms the need on the record."""
    import threading

    member = auth.create("animateur")
    company = make_company(name="Boulangerie Dupond")
    company_id, siret = company.id, f.make_siret()
    db.session.commit()
    link = _sent_unconfirmed(app, siret, STRANGER, "Confirmé pendant le rattachement")
    provisional = find_company_by_siret(db.session, siret)
    real = provisional_merge.needs_of
    sent: list = []

    def locked_then_confirmed(session, held):
        thread = threading.Thread(target=lambda: sent.append(app.test_client().post(link)))
        sent.append(thread)
        thread.start()
        thread.join(timeout=1)  # waiting on the lock
        return real(session, held)

    monkeypatch.setattr(provisional_merge, "needs_of", locked_then_confirmed)
    merged = provisional_merge.merge_provisional(
        db.session,
        db.session.get(Company, company_id),
        provisional.ref,
        siret_before=company.siret,
        actor=member,
    )
    db.session.commit()
    sent[0].join(timeout=30)

    assert merged.needs == 1 and sent[1].status_code == 302
    need = _stored("Confirmé pendant le rattachement")
    assert need.company_id == company_id and need.owner_confirmed_at is not None
    assert (
        need.owner_unattached and db.session.get(Company, company_id).name == "Boulangerie Dupond"
    )


def test_a_confirmation_whose_need_was_deleted_meanwhile_is_told_in_french(
    app, client, monkeypatch
):
    """The retention job deletes the unconfirmed need between the confirmation's read and
    its write: a French page, nothing confirmed, never a 500."""
    siret = f.make_siret()
    link = _sent_unconfirmed(app, siret, STRANGER, "Effacé au même instant")
    real = register.confirm_need

    def confirm_once_deleted(session, need, email, **kwargs):
        other = db.session.session_factory()
        try:
            other.delete(other.get(Need, need.id))
            other.commit()
        finally:
            other.close()
        return real(session, need, email, **kwargs)

    monkeypatch.setattr(register, "confirm_need", confirm_once_deleted)
    response = client.post(link, follow_redirects=True)

    assert response.status_code in (200, 403)
    assert register.NEED_GONE in page_text(response)
    db.session.expire_all()
    assert not db.session.scalars(select(Need).where(Need.title == "Effacé au même instant")).all()


# --- a need sent while the retention job deletes the unconfirmed needs -------------------


def test_a_need_sent_as_the_retention_job_deletes_the_unconfirmed_ones_waits_for_it(
    app, monkeypatch
):
    """The retention job deletes the unconfirmed needs (which bumps the generation of the
    pooled needs, ``changes``) and the provisional companies only they knew of, while a
    need is sent for such a company's SIRET. The need is sent once the job has bumped
    the generation (on PostgreSQL, the job goes on once the need's request waits on a
    lock). The job used to lock the company after its bump: the need's insert held the
    company's key-share lock (its foreign key) and waited for the generation row, the
    job waited for the key-share lock: a deadlock, one of them aborted (a 500, or a
    failed night). The job holds the company before it bumps anything: the need waits
    for it, finds the company gone, and lands on a new provisional one."""
    import threading

    from connectences import changes
    from connectences.jobs.registry import JOBS_BY_ID
    from connectences.jobs.runner import execute
    from connectences.matching.open_bundles import POOLED_NEEDS
    from tests.helpers import wait_for_a_blocked_transaction

    siret = f.make_siret()
    _sent_unconfirmed(app, siret, "premier@exemple.fr", "Jamais confirmé")
    old = find_company_by_siret(db.session, siret)
    week_ago = datetime.now(UTC) - timedelta(days=8)
    old.created_at = week_ago
    db.session.scalars(select(Need).where(Need.company_id == old.id)).one().created_at = week_ago
    db.session.commit()
    job = threading.get_ident()
    answers: list = []
    sent, done = [], threading.Event()

    def send():
        try:
            response = _post(app.test_client(), siret, title="Envoyé pendant la nuit")
            answers.append((response.status_code, response.location))
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            answers.append(repr(error))
        finally:
            done.set()

    real_bump = changes._bump

    def bump_then_send(session, names):
        real_bump(session, names)
        if threading.get_ident() == job and POOLED_NEEDS.name in names and not sent:
            sent.append(threading.Thread(target=send))
            sent[0].start()
            if db.engine.dialect.name == "postgresql":
                wait_for_a_blocked_transaction(done)
            else:
                sent[0].join(timeout=1)  # waiting for the job's write lock

    monkeypatch.setattr(changes, "_bump", bump_then_send)
    try:
        counts = execute(JOBS_BY_ID["data_retention"], now=datetime.now(UTC))
    except Exception as error:  # noqa: BLE001 — reported by the assertion below
        counts = {"failed": repr(error)}
    assert sent
    sent[0].join(timeout=30)

    assert answers == [(302, "/exprimer-un-besoin/envoye")]
    assert (
        counts.get("needs_unconfirmed_deleted"),
        counts.get("companies_provisional_deleted"),
    ) == (
        1,
        1,
    ), counts
    need = _stored("Envoyé pendant la nuit")
    company = find_company_by_siret(db.session, siret)
    assert need.company_id == company.id and is_provisional(company)
    assert not db.session.scalars(select(Need).where(Need.title == "Jamais confirmé")).all()


class _Aborted(Exception):
    """What the driver raises when PostgreSQL breaks a deadlock (or cancels a statement)."""

    def __init__(self, sqlstate: str):
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def _aborted_once(monkeypatch, sqlstate: str) -> list:
    """The first storing of a need writes it, then fails as the database aborting its
    transaction with ``sqlstate`` would; the calls, in order."""
    from sqlalchemy.exc import OperationalError

    real = register.submit_public_need
    calls: list = []

    def submit(session, *args, **kwargs):
        need = real(session, *args, **kwargs)
        calls.append(need.title)
        if len(calls) == 1:
            raise OperationalError("INSERT INTO need", {}, _Aborted(sqlstate))
        return need

    monkeypatch.setattr(register, "submit_public_need", submit)
    return calls


def test_a_need_whose_transaction_the_database_aborts_in_a_deadlock_is_sent_again(
    app, client, monkeypatch
):
    """PostgreSQL aborts one transaction of a deadlock (SQLSTATE 40P01), all of it rolled
    back: the need is sent once again, stored once, its confirmation mailed once."""
    calls = _aborted_once(monkeypatch, "40P01")
    response = _post(client, f.make_siret(), title="Après un interblocage")

    assert response.status_code == 302 and response.location == "/exprimer-un-besoin/envoye"
    assert calls == ["Après un interblocage"] * 2
    need = _stored("Après un interblocage")
    assert need.owner_confirmed_at is None and is_provisional(need.company)
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == STRANGER)).all()
    assert len(mails) == 1


def test_another_failure_of_the_database_is_not_sent_again(app, client, monkeypatch):
    """Only a deadlock is repeated: a statement cancelled (57014) is no race, it fails."""
    from sqlalchemy.exc import OperationalError

    calls = _aborted_once(monkeypatch, "57014")
    with pytest.raises(OperationalError):
        _post(client, f.make_siret(), title="Annulé")
    assert calls == ["Annulé"]
    db.session.rollback()  # the request's end does (a 500): nothing was committed
    assert not db.session.scalars(select(Need).where(Need.title == "Annulé")).all()
