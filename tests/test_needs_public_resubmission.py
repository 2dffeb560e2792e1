"""The public need form sent twice: a double click, a retried request, the back button.

The form carries a one-time token; the need keeps the key of its sending (token and what
was typed) under a unique index. The same sending again, one after the other or at the
same instant, stores one need and sends one confirmation mail, and both browsers land on
the page of that need. The races run on SQLite and, with TEST_DATABASE_URL, on
PostgreSQL: two threads lined up by a barrier after the checks, before either writes.
"""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from connectences import create_app, submissions
from connectences.extensions import db
from connectences.mail.kinds import MailKind
from connectences.models import Company, Need, OutboxMessage
from connectences.needs import register
from connectences.web import need_public
from connectences.web.need_public import SENT_KEY, SUBMISSION_FIELD
from tests import factories as f
from tests.helpers import count

OWNER = "claire@huitres-dupont.fr"
TOKEN = re.compile(r'name="submission_token" value="([A-Za-z0-9_-]+)"')


def _form(**overrides) -> dict:
    # One SIRET for the whole file: the same new company sent twice.
    return f.public_need_form(
        **{"reason_text": "", "siret": f.make_siret(777), "owner_email": OWNER, **overrides}
    )


def _token(client) -> str:
    """The token of the form as a browser is shown it."""
    return TOKEN.search(client.get("/exprimer-un-besoin").get_data(as_text=True)).group(1)


def _confirmation_mails() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == MailKind.NEED_CONFIRM, OutboxMessage.to == OWNER)
    )


def _sent_need_id(client) -> int | None:
    with client.session_transaction() as browser:
        return (browser.get(SENT_KEY) or {}).get("need")


def test_each_form_shown_has_its_own_token(client):
    first, second = _token(client), _token(client)
    assert first != second and len(first) >= 32


def test_the_same_form_sent_twice_stores_one_need_and_sends_one_mail(client, app):
    data = {**_form(), SUBMISSION_FIELD: _token(client)}
    first = client.post("/exprimer-un-besoin", data=data)
    assert first.status_code == 302 and first.location.endswith("/exprimer-un-besoin/envoye")
    stored = db.session.scalars(select(Need)).one()
    assert stored.submission_key is not None

    # The same form again from another browser tab (the session of the first one gone).
    other = app.test_client()
    again = other.post("/exprimer-un-besoin", data=data)
    assert again.status_code == 302 and again.location == first.location
    assert count(Need) == 1 and count(Company) == 1
    assert _confirmation_mails() == 1
    # It lands on the page of that need, where a mistyped address can be corrected.
    assert _sent_need_id(other) == stored.id
    assert OWNER in other.get(again.location).get_data(as_text=True)


def test_a_form_changed_after_the_back_button_is_another_need(client):
    token = _token(client)
    first = client.post("/exprimer-un-besoin", data={**_form(), SUBMISSION_FIELD: token})
    assert first.status_code == 302
    changed = _form(title="Secrétariat le lundi", days=["mon"], hours_per_week="7")
    response = client.post("/exprimer-un-besoin", data={**changed, SUBMISSION_FIELD: token})
    assert response.status_code == 302
    assert sorted(db.session.scalars(select(Need.title))) == [
        "Comptabilité 2 jours par semaine",
        "Secrétariat le lundi",
    ]
    assert _confirmation_mails() == 2


def test_a_form_shown_again_keeps_its_token_until_it_is_stored(client):
    token = _token(client)
    refused = client.post(
        "/exprimer-un-besoin", data={**_form(hours_per_week="60"), SUBMISSION_FIELD: token}
    )
    assert refused.status_code == 422
    assert TOKEN.search(refused.get_data(as_text=True)).group(1) == token
    assert count(Need) == 0
    corrected = {**_form(), SUBMISSION_FIELD: token}
    assert client.post("/exprimer-un-besoin", data=corrected).status_code == 302
    assert client.post("/exprimer-un-besoin", data=corrected).status_code == 302
    assert count(Need) == 1 and _confirmation_mails() == 1


@pytest.mark.parametrize("token", ["", "court", "x" * 65, "<script>é</script>" * 3])
def test_a_missing_or_odd_token_stores_the_need_as_before(client, token):
    response = client.post("/exprimer-un-besoin", data={**_form(), SUBMISSION_FIELD: token})
    assert response.status_code == 302
    assert db.session.scalars(select(Need.submission_key)).one() is None
    # Shown again (here: the duplicate warning), the form gets a token of its own.
    warned = client.post("/exprimer-un-besoin", data={**_form(), SUBMISSION_FIELD: token})
    assert warned.status_code == 409
    assert TOKEN.search(warned.get_data(as_text=True)).group(1) != token


def test_the_key_is_the_token_and_what_was_typed():
    token = submissions.new_token()
    key = submissions.key(token, {"title": "Paie", "days": ["mon"]})
    assert key == submissions.key(token, {"days": ["mon"], "title": "Paie"})
    assert key != submissions.key(token, {"title": "Paie", "days": ["tue"]})
    assert key != submissions.key(submissions.new_token(), {"title": "Paie", "days": ["mon"]})
    assert len(key) == 64 and submissions.key(None, {}) is None


def _send_at_once(app, data) -> tuple[list[object], list]:
    """Post ``data`` from two browsers in two threads at once; their answers (status and
    redirection, or the error raised) and the browsers."""
    answers: list[object] = [None, None]
    browsers = [app.test_client(), app.test_client()]

    def send(number):
        try:
            response = browsers[number].post("/exprimer-un-besoin", data=data)
            answers[number] = (response.status_code, response.location)
        except Exception as error:  # noqa: BLE001 — reported by the caller's assertion
            answers[number] = repr(error)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers, browsers


def _one_need_for_both(answers, browsers) -> None:
    assert answers == [(302, "/exprimer-un-besoin/envoye")] * 2
    need = db.session.scalars(select(Need)).one()
    assert need.submission_key is not None
    assert count(Company) == 1 and _confirmation_mails() == 1
    assert [_sent_need_id(browser) for browser in browsers] == [need.id, need.id]


@pytest.mark.parametrize("company", ["new", "known"])
def test_the_same_form_sent_twice_at_once_stores_one_need(app, client, monkeypatch, company):
    """Both requests pass every check (nothing stored yet) before either writes: the
    barrier. A new company: the second insert of its SIRET waits for the first request
    (PostgreSQL) or comes after it (SQLite) and fails; a known one: the second insert of
    the need's key does. Either way the second request answers with the first's need."""
    siret = f.make_siret(4242)
    if company == "known":
        f.load(f.document(companies=[f.company(ref="c1", siret=siret)]))
    data = {**_form(siret=siret), SUBMISSION_FIELD: _token(client)}
    checked = threading.Barrier(2, timeout=30)
    real = register.submit_public_need

    def both_checked(*args, **kwargs):
        checked.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(register, "submit_public_need", both_checked)
    _one_need_for_both(*_send_at_once(app, data))


def test_the_sending_stored_while_the_other_request_checked_answers_it(app, client, monkeypatch):
    """Both requests have looked for their sending (none yet); the first one stores it
    before the second looks for the company and its duplicates, which finds it: no
    duplicate warning, the page of the need that was stored."""
    data = {**_form(), SUBMISSION_FIELD: _token(client)}
    looked = threading.Barrier(2, timeout=30)
    first_stored = threading.Event()
    arrivals: list[int] = []
    lock = threading.Lock()
    real_waiting, real_company = register.too_many_waiting, register.company_by_siret

    def both_looked(*args, **kwargs):
        looked.wait()  # once per request, after its look for the sending
        return real_waiting(*args, **kwargs)

    def second_after_first(*args, **kwargs):
        with lock:
            arrivals.append(threading.get_ident())
            second = len(arrivals) == 2
        if second:
            assert first_stored.wait(timeout=30)
        return real_company(*args, **kwargs)

    monkeypatch.setattr(register, "too_many_waiting", both_looked)
    monkeypatch.setattr(register, "company_by_siret", second_after_first)
    monkeypatch.setattr(
        need_public,
        "_sent_page",
        _lets_the_second_go(need_public._sent_page, arrivals, first_stored),
    )
    _one_need_for_both(*_send_at_once(app, data))


def _lets_the_second_go(sent_page, arrivals, first_stored):
    """``_sent_page`` that, in the request which looked for the company first (its
    transaction committed by then), lets the other one go on."""

    def sent(need, *args):
        response = sent_page(need, *args)
        if arrivals and arrivals[0] == threading.get_ident():
            first_stored.set()
        return response

    return sent


def test_the_migration_adds_the_unique_key_and_takes_it_back(tmp_path):
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"}
    )

    def key_index():
        indexes = sa.inspect(db.engine).get_indexes("need")
        return [(i["name"], i["column_names"], bool(i["unique"])) for i in indexes if
                i["name"] == "ix_need_submission_key"]  # fmt: skip

    def columns():
        return {c["name"] for c in sa.inspect(db.engine).get_columns("need")}

    with app.app_context():
        upgrade()
        assert "submission_key" in columns()
        assert key_index() == [("ix_need_submission_key", ["submission_key"], True)]
        downgrade(revision="a7c3e5f9b1d4")
        assert "submission_key" not in columns() and key_index() == []
        upgrade()
        assert key_index() == [("ix_need_submission_key", ["submission_key"], True)]
        db.engine.dispose()
