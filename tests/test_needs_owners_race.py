"""Two company owners, each logged in, send a need for the same SIRET at the same instant.

A logged-in owner's need is confirmed in the request that stores it (``register.
confirm_need``, by login): the first confirmation names a provisional company and makes
its author the company's contact; the second finds it named, its author unknown to it,
and enters the queue flagged for an animateur (``owner_unattached``). Neither owner's
account is linked to the company: the staff do that. The races run on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL, where the confirmations of a provisional company once
deadlocked: the other request's need held a key-share lock on the company (its foreign
key), one request's confirmation locked the company and renamed it (its ``ref``, under a
unique index, needs the stronger lock), waiting for the other's key-share lock, while
the other request waited for a lock of the confirming one (the generation row that
one's need's flush had bumped, ``changes``). The confirmation by a mail's link of a provisional company's first
need, meeting another need for the company, deadlocked the same way.
"""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from connectences import changes
from connectences.extensions import db
from connectences.mail.kinds import MailKind
from connectences.models import Company, Need, OutboxMessage
from connectences.models.accounts import user_company
from connectences.needs import register
from connectences.prospection.companies import is_provisional
from connectences.web.need_public import SUBMISSION_FIELD
from tests import factories as f
from tests.helpers import mails_to, wait_for_a_blocked_transaction

TOKEN = re.compile(r'name="submission_token" value="([A-Za-z0-9_-]+)"')
CONFIRM_LINK = re.compile(r"http://localhost(/exprimer-un-besoin/confirmer/[^\s<\"]+)")
SIRET = f.make_siret(9191)


def _owner_browser(app, auth, number: int):
    """A browser logged in as a company owner (of another company); its account."""
    browser = app.test_client()
    user = auth.login("company", client=browser, email=f"patron{number}@exemple.fr")
    return browser, user


def _form(browser, user, name: str) -> dict:
    page = browser.get("/exprimer-un-besoin").get_data(as_text=True)
    return f.public_need_form(
        siret=SIRET,
        company_name=name,
        owner_email=user.email,
        owner_name=f"Patron {name}",
        title=f"Comptabilité pour {name}",
        **{SUBMISSION_FIELD: TOKEN.search(page).group(1)},
    )


def _send_at_once(browsers, forms, done: threading.Event) -> list[object]:
    """Post each form from its browser, in two threads at once; their answers (status
    and redirection, or the error raised). ``done`` is set once either is answered."""
    answers: list[object] = [None, None]

    def send(number):
        try:
            response = browsers[number].post("/exprimer-un-besoin", data=forms[number])
            answers[number] = (response.status_code, response.location)
        except Exception as error:  # noqa: BLE001 — reported by the caller's assertion
            answers[number] = repr(error)
        finally:
            done.set()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _anonymous_need(browser) -> None:
    """Send, from a browser nobody is logged in, a need for ``SIRET`` (unconfirmed)."""
    page = browser.get("/exprimer-un-besoin").get_data(as_text=True)
    form = f.public_need_form(siret=SIRET, **{SUBMISSION_FIELD: TOKEN.search(page).group(1)})
    assert browser.post("/exprimer-un-besoin", data=form).status_code == 302


def _line_up(monkeypatch) -> threading.Event:
    """Two requests lined up: both pass every check (nothing of theirs stored yet)
    before either writes; on PostgreSQL, the first to confirm a need by login does so
    once the other waits on a lock, having stored what it could (its need, for a known
    company) by then, or is over (it wrote first). The event to set once one is over."""
    lined_up, done = threading.Barrier(2, timeout=30), threading.Event()
    real_submit = register.submit_public_need

    def both_checked(*args, **kwargs):
        lined_up.wait()
        return real_submit(*args, **kwargs)

    monkeypatch.setattr(register, "submit_public_need", both_checked)
    if db.engine.dialect.name == "postgresql":
        first = threading.Lock()
        real_confirm = register.confirm_need

        def once_the_other_waits(*args, **kwargs):
            if first.acquire(blocking=False):
                wait_for_a_blocked_transaction(done)
            return real_confirm(*args, **kwargs)

        monkeypatch.setattr(register, "confirm_need", once_the_other_waits)
    return done


@pytest.mark.parametrize("company", ["new", "provisional"])
def test_two_owners_sending_for_the_same_siret_at_once(app, auth, monkeypatch, company):
    """``new``: both requests pass every check (no company yet) before either writes;
    the second insert of the SIRET waits for the first request (PostgreSQL) or comes
    after it (SQLite), fails, and takes the company the first one stored. ``provisional``:
    an earlier unconfirmed need created the company, which both requests find; on
    PostgreSQL the first to confirm does so once the other waits on a lock."""
    if company == "provisional":
        _anonymous_need(app.test_client())  # unconfirmed: the company stays provisional
    owners = [_owner_browser(app, auth, n) for n in range(2)]
    browsers = [browser for browser, _ in owners]
    users = [user for _, user in owners]
    forms = [_form(browser, user, name) for (browser, user), name in zip(owners, ("Alpha", "Beta"))]
    done = _line_up(monkeypatch)
    answers = _send_at_once(browsers, forms, done)

    assert answers == [(302, "/entreprise")] * 2  # each owner's area, the need in it
    db.session.expire_all()
    stored = db.session.scalars(select(Company).where(Company.siret == SIRET)).one()
    assert not is_provisional(stored) and stored.name in ("Alpha", "Beta")
    needs = db.session.scalars(
        select(Need).where(Need.created_by_id.in_([u.id for u in users])).order_by(Need.id)
    ).all()
    assert len(needs) == 2 and {need.company_id for need in needs} == {stored.id}
    assert all(need.owner_confirmed_at is not None for need in needs)
    # The author of the need that named the company speaks for it; the other is flagged.
    namer = next(u for u, name in zip(users, ("Alpha", "Beta")) if name == stored.name)
    assert {(need.owner_email, need.owner_unattached) for need in needs} == {
        (u.email, u is not namer) for u in users
    }
    assert [contact.email for contact in stored.contacts] == [namer.email]
    # No confirmation mail (the login proves the address), no account linked.
    mails = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.kind == MailKind.NEED_CONFIRM,
            OutboxMessage.to.in_([u.email for u in users]),
        )
    )
    assert mails == 0
    linked = db.session.scalar(
        select(func.count()).select_from(user_company).where(user_company.c.company_id == stored.id)
    )
    assert linked == 0


def test_an_owner_and_an_anonymous_author_sending_for_a_provisional_company_at_once(
    app, auth, monkeypatch
):
    """The same lock order with an author who is not logged in: their need waits for
    the company's lock before it holds anything the owner's confirmation waits for."""
    _anonymous_need(app.test_client())
    owner_browser, owner = _owner_browser(app, auth, 1)
    forms = [_form(owner_browser, owner, "Alpha")]
    anonymous = app.test_client()
    page = anonymous.get("/exprimer-un-besoin").get_data(as_text=True)
    forms.append(
        f.public_need_form(
            siret=SIRET,
            owner_email="voisin@exemple.fr",
            **{SUBMISSION_FIELD: TOKEN.search(page).group(1)},
        )
    )
    done = _line_up(monkeypatch)

    answers = _send_at_once([owner_browser, anonymous], forms, done)

    assert answers == [(302, "/entreprise"), (302, "/exprimer-un-besoin/envoye")]
    db.session.expire_all()
    stored = db.session.scalars(select(Company).where(Company.siret == SIRET)).one()
    assert stored.name == "Alpha" and [c.email for c in stored.contacts] == [owner.email]
    confirmed, waiting = (
        db.session.scalars(select(Need).where(Need.owner_email == email)).one()
        for email in (owner.email, "voisin@exemple.fr")
    )
    assert confirmed.owner_confirmed_at is not None and not confirmed.owner_unattached
    assert waiting.owner_confirmed_at is None and waiting.company_id == stored.id
    mails = db.session.scalars(
        select(OutboxMessage.to).where(OutboxMessage.kind == MailKind.NEED_CONFIRM)
    ).all()
    assert "voisin@exemple.fr" in mails and owner.email not in mails


def test_a_confirmation_by_link_and_another_need_for_the_company_at_once(app, monkeypatch):
    """The author of the need that created a provisional company confirms it with their
    mail's link (which names the company) while someone else sends a need for it. On
    PostgreSQL the confirmation goes on once the other request waits on a lock, after
    it bumped the generation of the pooled needs (its UPDATE of the company's ref to
    come): the other request's need must not be holding the company's key-share lock."""
    _anonymous_need(app.test_client())
    author = f.public_need_form()["owner_email"]
    link = CONFIRM_LINK.search(mails_to(author)[-1].body_text).group(1)
    other = app.test_client()
    page = other.get("/exprimer-un-besoin").get_data(as_text=True)
    form = f.public_need_form(
        siret=SIRET,
        owner_email="voisin@exemple.fr",
        title="Secrétariat le lundi",
        **{SUBMISSION_FIELD: TOKEN.search(page).group(1)},
    )
    bumped, sent = threading.Event(), threading.Event()
    confirmer: list[int] = []
    real_bump = changes._bump

    def bump_then_let_the_other_go(session, names):
        real_bump(session, names)
        if threading.get_ident() in confirmer and not bumped.is_set():
            bumped.set()
            if db.engine.dialect.name == "postgresql":
                wait_for_a_blocked_transaction(sent)

    monkeypatch.setattr(changes, "_bump", bump_then_let_the_other_go)
    answers: dict[str, object] = {}

    def confirm():
        confirmer.append(threading.get_ident())
        try:
            answers["confirm"] = app.test_client().post(link).status_code
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            answers["confirm"] = repr(error)
        bumped.set()

    def send():
        assert bumped.wait(timeout=30)
        try:
            response = other.post("/exprimer-un-besoin", data=form)
            answers["send"] = (response.status_code, response.location)
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            answers["send"] = repr(error)
        finally:
            sent.set()

    threads = [threading.Thread(target=confirm), threading.Thread(target=send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert answers == {"confirm": 302, "send": (302, "/exprimer-un-besoin/envoye")}
    db.session.expire_all()
    stored = db.session.scalars(select(Company).where(Company.siret == SIRET)).one()
    assert not is_provisional(stored) and [c.email for c in stored.contacts] == [author]
    confirmed, waiting = (
        db.session.scalars(select(Need).where(Need.owner_email == email)).one()
        for email in (author, "voisin@exemple.fr")
    )
    assert confirmed.owner_confirmed_at is not None and not confirmed.owner_unattached
    assert waiting.company_id == stored.id and waiting.owner_confirmed_at is None
    assert waiting.owner_unattached  # unknown to the company its author did not name
