"""The animateur's visit form sent twice (a double click on « Enregistrer la visite », a
phone's retry on a flaky network) stores one visit: the form carries a one-time token
(``connectences.submissions``) and the visit the key of its sending, unique. Two forms
store two visits; a token sent again for another company or by another animateur
stores nothing of the first's and shows nothing of it."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from connectences import create_app, submissions
from connectences.extensions import db
from connectences.models import AuditLog, Visit
from connectences.prospection import visits as prospection
from tests.helpers import add_visit, count, html_of, make_company, page_text
from tests.test_web_visits import TODAY, URL, visit_form

TOKEN = re.compile(r'name="submission_token" value="([A-Za-z0-9_-]+)"')


def _form_token(client, company) -> str:
    """The token of the visit form as the page shows it for ``company``."""
    return TOKEN.search(html_of(client.get(URL, query_string={"entreprise": company.ref}))).group(1)


def _send(client, company, token, **fields):
    data = {**visit_form(**fields), submissions.FIELD: token}
    return client.post(f"{URL}?entreprise={company.ref}", data=data)


def _contacted_recently(auth):
    """A company a colleague called today: a new visit needs the box ticked."""
    colleague = auth.create("animateur", full_name="Paul Durand")
    company = make_company(name="Le Bistrot du Port")
    add_visit(company, colleague, TODAY, channel="telephone")
    return company


def _mine(user) -> list[Visit]:
    db.session.expire_all()
    return db.session.scalars(select(Visit).where(Visit.animateur_id == user.id)).all()


def test_the_same_form_sent_twice_stores_one_visit_and_answers_as_the_first(client, auth):
    me = auth.login("animateur")
    company = _contacted_recently(auth)
    token = _form_token(client, company)
    first = _send(client, company, token, confirmer="1")
    assert first.status_code == 302
    again = _send(client, company, token, confirmer="1")
    # The same page as the first answer, saying the visit was already recorded.
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert len(_mine(me)) == 1 and count(Visit) == 2
    confirmed = select(AuditLog).where(AuditLog.action == "visit.pressure_confirmed")
    assert len(db.session.scalars(confirmed).all()) == 1
    said = page_text(client.get(again.headers["Location"]))
    assert "Cette visite à « Le Bistrot du Port » était déjà enregistrée" in said
    assert "rien n'a été ajouté" in said


def test_the_visit_sent_twice_counts_once_towards_the_monthly_cap(client, auth):
    me = auth.login("animateur")
    company = make_company()
    company.max_contacts_per_month = 2
    db.session.commit()
    token = _form_token(client, company)
    assert _send(client, company, token).status_code == 302
    # Sent again: not refused as a second contact, not stored; the cap keeps room for one.
    assert _send(client, company, token, confirmer="1").status_code == 302
    assert len(_mine(me)) == 1
    other = _send(client, company, _form_token(client, company), confirmer="1")
    assert other.status_code == 302 and len(_mine(me)) == 2


def test_a_need_detected_sent_twice_opens_the_need_form_of_the_one_visit(client, auth):
    me = auth.login("animateur")
    company = make_company()
    token = _form_token(client, company)
    fields = {"outcome": "besoin_detecte", "need_detected": "1", "follow_up_on": None}
    first = _send(client, company, token, **fields)
    again = _send(client, company, token, confirmer="1", **fields)
    (visit,) = _mine(me)
    assert first.headers["Location"] == again.headers["Location"]
    assert again.headers["Location"].endswith(f"visite={visit.id}")


def test_two_forms_store_two_visits_and_a_form_changed_after_sending_is_another(client, auth):
    me = auth.login("animateur")
    company = _contacted_recently(auth)
    token = _form_token(client, company)
    assert _send(client, company, token, confirmer="1").status_code == 302
    # A second contact the same day, from a form opened again: recorded.
    assert _send(client, company, _form_token(client, company), confirmer="1").status_code == 302
    assert len(_mine(me)) == 2
    # Back to the first page, another contact typed in it: recorded too.
    changed = _send(client, company, token, confirmer="1", channel="porte_a_porte")
    assert changed.status_code == 302
    assert len(_mine(me)) == 3


def test_a_form_without_a_token_is_stored_as_before(client, auth):
    me = auth.login("animateur")
    company = _contacted_recently(auth)
    for token in ("", "court", "x" * 65):
        assert _send(client, company, token, confirmer="1").status_code == 302
    assert len(_mine(me)) == 3
    assert all(visit.submission_key is None for visit in _mine(me))


def test_the_form_shown_again_keeps_its_token(client, auth):
    me = auth.login("animateur")
    company = _contacted_recently(auth)
    token = _form_token(client, company)
    # The box not ticked: the form comes back, nothing stored, the same sending.
    asked = _send(client, company, token)
    assert asked.status_code == 409 and _mine(me) == []
    assert TOKEN.search(html_of(asked)).group(1) == token
    assert _send(client, company, token, confirmer="1").status_code == 302
    assert _send(client, company, token, confirmer="1").status_code == 302
    assert len(_mine(me)) == 1
    # A made-up token gets a well-formed one of its own.
    shown = TOKEN.search(html_of(_send(client, company, "x", channel="inconnu"))).group(1)
    assert shown != "x" and len(shown) >= 20


def test_a_token_sent_for_another_company_stores_its_own_visit_and_shows_nothing_of_the_first(
    client, auth
):
    me = auth.login("animateur")
    company = _contacted_recently(auth)
    other = make_company(name="Garage du Centre")
    token = _form_token(client, company)
    first = _send(client, company, token, confirmer="1")
    client.get(first.headers["Location"])  # its message read
    replayed = _send(client, other, token, confirmer="1")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].endswith(f"/animateur/entreprises/{other.ref}#historique")
    assert replayed.headers["Location"] != first.headers["Location"]
    visits = _mine(me)
    assert sorted(v.company_id for v in visits) == sorted([company.id, other.id])
    assert len({v.submission_key for v in visits}) == 2
    said = page_text(client.get(replayed.headers["Location"]))
    assert "Visite à « Garage du Centre » enregistrée" in said
    assert "était déjà enregistrée" not in said and "Le Bistrot du Port" not in said


def test_a_token_sent_by_another_animateur_attaches_nothing_to_the_first(client, auth):
    first_user = auth.login("animateur")
    company = _contacted_recently(auth)
    token = _form_token(client, company)
    assert _send(client, company, token, confirmer="1").status_code == 302
    (first_visit,) = _mine(first_user)
    auth.logout()
    client.get("/connexion")  # the messages of the first session read
    second_user = auth.login("animateur", email="second@connectences.example")
    replayed = _send(client, company, token, confirmer="1")
    assert replayed.status_code == 302
    (own,) = _mine(second_user)
    assert own.id != first_visit.id and own.submission_key != first_visit.submission_key
    assert [v.id for v in _mine(first_user)] == [first_visit.id]
    said = page_text(client.get(replayed.headers["Location"]))
    assert "Visite à « Le Bistrot du Port » enregistrée" in said
    assert "était déjà enregistrée" not in said
    # The lookup itself shows a visit to its animateur and for its company alone.
    key = first_visit.submission_key
    found = prospection.submitted_visit(db.session, key, company=company, animateur=first_user)
    assert found is not None and found.id == first_visit.id
    assert (
        prospection.submitted_visit(db.session, key, company=company, animateur=second_user) is None
    )
    other = make_company()
    assert prospection.submitted_visit(db.session, key, company=other, animateur=first_user) is None


def _late_lookup(monkeypatch):
    """The other request stores the sending after this one looked for it (both sent at
    the same instant): the first lookup finds nothing, the later ones the stored visit."""
    real = prospection.submitted_visit
    calls = []

    def lookup(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(prospection, "submitted_visit", lookup)
    return calls


def test_sent_at_the_same_instant_the_unique_key_stores_one(client, auth, monkeypatch):
    me = auth.login("animateur")
    company = _contacted_recently(auth)
    token = _form_token(client, company)
    first = _send(client, company, token, confirmer="1")
    calls = _late_lookup(monkeypatch)
    # The guard lets it through (the box is ticked); the unique key refuses the insert.
    again = _send(client, company, token, confirmer="1")
    assert len(calls) == 2
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert len(_mine(me)) == 1


def test_sent_at_the_same_instant_the_cap_it_reached_is_no_refusal(client, auth, monkeypatch):
    me = auth.login("animateur")
    company = make_company()
    company.max_contacts_per_month = 1
    db.session.commit()
    token = _form_token(client, company)
    first = _send(client, company, token)
    _late_lookup(monkeypatch)
    again = _send(client, company, token, confirmer="1")
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert len(_mine(me)) == 1
    # Another contact is still refused for the cap.
    assert _send(client, company, _form_token(client, company), confirmer="1").status_code == 409


def test_the_migration_adds_the_unique_key_and_takes_it_back(tmp_path):
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"}
    )

    def key_index():
        indexes = sa.inspect(db.engine).get_indexes("visit")
        return [(i["name"], i["column_names"], bool(i["unique"])) for i in indexes if
                i["name"] == "ix_visit_submission_key"]  # fmt: skip

    def columns():
        return {c["name"] for c in sa.inspect(db.engine).get_columns("visit")}

    with app.app_context():
        upgrade()
        assert key_index() == [("ix_visit_submission_key", ["submission_key"], True)]
        downgrade(revision="d4c1a7e9b3f5")
        assert "submission_key" not in columns() and key_index() == []
        upgrade()
        assert key_index() == [("ix_visit_submission_key", ["submission_key"], True)]
        db.engine.dispose()
