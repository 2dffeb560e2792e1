"""Another platform walking ``/api/v1`` lists while people write: what the documented
recipe (walk with ``updated_since`` and the cursor, keep the walk's
``next_updated_since``, then the deletions) gives it, with the writes made through a
second engine (another worker's connection) in the middle of the walk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from connectences.extensions import db
from connectences.models import Candidate, Company, Need, utcnow
from connectences.needs.register import delete_unconfirmed
from connectences.sync import OVERLAP
from tests import factories
from tests.helpers import by_ref
from tests.test_api_v1 import bearer, token_for

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin(auth):
    factories.load(
        factories.document(
            companies=[factories.company(ref="ent-1")],
            needs=[factories.need(ref=f"besoin-{i}", company="ent-1") for i in range(5)],
            candidates=[factories.candidate(ref="cv-1"), factories.candidate(ref="cv-2")],
        )
    )
    return token_for(auth.create("admin"), days=365)


def _elsewhere(app) -> tuple:
    """A session of its own engine: what another worker writes meanwhile."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    return engine, Session(engine)


def _walk(client, token, path="/api/v1/needs", *, since=None, limit=2, between=None, **query):
    """Every page of ``path`` from ``since``: the items in order and the last page's
    ``next_updated_since``; ``between(page_number)`` runs after each page but the last."""
    items, cursor, page = [], None, 0
    while True:
        args = {"limit": limit, **query}
        if since is not None:
            args["updated_since"] = since
        if cursor:
            args["cursor"] = cursor
        response = client.get(path, query_string=args, headers=bearer(token))
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items, body["next_updated_since"]
        page += 1
        if between is not None:
            between(page)


def _mirror(copy: dict, items: list[dict]) -> None:
    for item in items:
        copy[item["ref"]] = item


def test_a_record_committed_after_the_walk_passed_its_stamp_comes_next_time(app, client, admin):
    """The "updated_since gap": a transaction stamps a need at T1 and commits after a
    walk started at T1 + 30 s. A client keeping the walk's start as its next
    ``updated_since`` never gets it; the ``next_updated_since`` the API gives does."""
    engine, other = _elsewhere(app)
    try:
        with time_machine.travel(T0, tick=False):
            company = other.scalar(select(Company).where(Company.ref == "ent-1"))
            late = factories.need_row(company, ref="tardif", updated_at=utcnow())
            other.add(late)
            if other.bind.dialect.name != "sqlite":  # (SQLite: one writer, the token's)
                other.flush()
        walk_start = T0 + timedelta(seconds=30)
        with time_machine.travel(walk_start, tick=False):
            first, kept = _walk(client, admin, since="2027-01-01")
        assert "tardif" not in {i["ref"] for i in first}
        assert datetime.fromisoformat(kept) == walk_start - OVERLAP
        with time_machine.travel(T0 + timedelta(seconds=40), tick=False):
            other.commit()
    finally:
        other.close()
        engine.dispose()
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        naive, _ = _walk(client, admin, since=walk_start.isoformat())
        second, _ = _walk(client, admin, since=kept)
    assert "tardif" not in {i["ref"] for i in naive}  # why the walk's start is not kept
    assert "tardif" in {i["ref"] for i in second}


def test_every_page_of_a_walk_gives_the_first_pages_next_updated_since(client, admin):
    """A walk lasting minutes keeps the moment its first page was read (less the
    overlap): what was committed during the walk behind its cursor is not lost."""
    with time_machine.travel(T0, tick=False) as traveller:

        def later(page):
            traveller.move_to(T0 + timedelta(minutes=page))

        items, kept = _walk(client, admin, limit=1, between=later)
    assert len(items) == 5
    assert datetime.fromisoformat(kept) == T0 - OVERLAP


def test_a_record_changed_during_the_walk_is_given_again_at_its_end(app, client, admin):
    engine, other = _elsewhere(app)
    copy: dict = {}

    def change_the_first(page):
        if page == 1:
            other.execute(update(Need).where(Need.ref == "besoin-0").values(title="Modifié"))
            other.commit()

    try:
        items, _ = _walk(client, admin, limit=1, between=change_the_first)
    finally:
        other.close()
        engine.dispose()
    refs = [i["ref"] for i in items]
    assert refs[0] == "besoin-0" and refs[-1] == "besoin-0"  # at least once, then again
    _mirror(copy, items)
    assert copy["besoin-0"]["title"] == "Modifié"  # the latest version
    now = {i["ref"]: i for i in _walk(client, admin, limit=200)[0]}
    assert copy == now


def test_records_sharing_an_instant_across_a_page_boundary_are_each_given_once(client, admin):
    instant = datetime(2027, 1, 5, 8, 0, 0, 123456, tzinfo=UTC)
    db.session.execute(update(Need).values(updated_at=instant))
    db.session.execute(
        update(Need)
        .where(Need.ref == "besoin-4")
        .values(updated_at=instant + timedelta(microseconds=1))
    )
    db.session.commit()
    for limit in (1, 2, 3, 4):
        items, _ = _walk(client, admin, limit=limit)
        refs = [i["ref"] for i in items]
        assert len(refs) == len(set(refs)) == 5, limit
        assert refs[-1] == "besoin-4"


def test_a_record_deleted_then_made_again_with_its_ref_stays_in_the_copy(client, admin):
    """A need sent on the public form and never confirmed is dropped (a tombstone), then
    the other platform sends it again under the same ref: a client applying the records,
    then the tombstones since its last synchronisation must keep the new record."""
    company = by_ref(Company, "ent-1")
    db.session.add(
        factories.need_row(
            company, ref="public-x", source="entreprise", created_at=T0 - timedelta(days=40)
        )
    )
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        copy: dict = {}
        items, since = _walk(client, admin)
        _mirror(copy, items)
        gone_since = _walk(client, admin, "/api/v1/deletions", kind="needs")[1]
    assert "public-x" in copy
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert delete_unconfirmed(db.session, T0 - timedelta(days=30)) == 1
        db.session.commit()
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        factories.load(factories.document(needs=[factories.need(ref="public-x", company="ent-1")]))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        items, _ = _walk(client, admin, since=since)
        _mirror(copy, items)
        gone, _ = _walk(client, admin, "/api/v1/deletions", since=gone_since, kind="needs")
        for tombstone in gone:
            copy.pop(tombstone["ref"], None)
        now = {i["ref"]: i for i in _walk(client, admin, limit=200)[0]}
    assert "public-x" in now
    assert copy == now


def test_a_tombstone_of_a_ref_out_of_the_tokens_reach_again_is_still_given(client, auth):
    """A need deleted then made again under another company: the first company's token
    no longer reaches it, its tombstone stays."""
    owner = auth.create("company")
    own = owner.companies[0]
    factories.load(factories.document(needs=[factories.need(ref="partie", company=own.ref)]))
    token = token_for(owner, days=365)
    need = by_ref(Need, "partie")
    from connectences.sync import record_deletion

    record_deletion(db.session, "needs", need.ref, company_id=own.id)
    db.session.delete(need)
    db.session.commit()
    factories.load(
        factories.document(
            companies=[factories.company(ref="ailleurs")],
            needs=[factories.need(ref="partie", company="ailleurs")],
        )
    )
    gone, _ = _walk(client, token, "/api/v1/deletions", kind="needs")
    assert [t["ref"] for t in gone] == ["partie"]


def test_a_need_of_a_company_named_since_is_given_again_with_its_new_ref(client, admin):
    """A need sent on the public form under an unknown SIRET holds a provisional
    company's ref until someone names the company: the need's record changes (its
    ``company``), so a client synchronising since then gets it again."""
    from connectences.prospection.companies import create_provisional, name_company

    with time_machine.travel(T0, tick=False):
        company = create_provisional(db.session, "73282932000074", "33009")
        db.session.add(factories.need_row(company, ref="du-formulaire", source="entreprise"))
        db.session.commit()
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        copy: dict = {}
        items, since = _walk(client, admin)
        _mirror(copy, items)
    assert copy["du-formulaire"]["company"].startswith("provisoire-")
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        name_company(db.session, company, "Boulangerie du Port", "33009", actor=None)
        db.session.commit()
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        _mirror(copy, _walk(client, admin, since=since)[0])
        now = {i["ref"]: i for i in _walk(client, admin, limit=200)[0]}
    assert copy["du-formulaire"] == now["du-formulaire"]


def test_a_long_import_stamps_what_it_wrote_when_it_ends(client, admin, monkeypatch):
    """An import is one transaction, flushed collection by collection: a region's
    document takes minutes (5,000 people: 26 s), longer than ``OVERLAP`` at 100,000. Its
    companies, stamped at the first flush, would be committed long after: a walk read
    meanwhile and its next_updated_since would both miss them. What it wrote is stamped
    again at its end."""
    from connectences.exchange import importer

    with time_machine.travel(T0, tick=False) as traveller:
        handled = importer.set_skills

        def slow(record, skills):  # a minute a person
            traveller.shift(timedelta(minutes=1))
            return handled(record, skills)

        monkeypatch.setattr(importer, "set_skills", slow)
        people = [factories.candidate(ref=f"long-{i}", email=f"l{i}@exemple.fr") for i in range(30)]
        importer.import_document_and_commit(
            factories.document(
                companies=[factories.company(ref="ent-longue", siret="73282932000074")],
                candidates=people,
                needs=[factories.need(ref="besoin-long", company="ent-longue")],
            )
        )
        ended = utcnow()
    stamps = [
        by_ref(Company, "ent-longue").updated_at,
        by_ref(Need, "besoin-long").updated_at,
        *db.session.scalars(select(Candidate.updated_at).where(Candidate.ref.like("long-%"))),
    ]
    assert ended - T0 == timedelta(minutes=30)
    assert min(stamps) == max(stamps) == ended


def test_a_person_whose_new_address_waits_for_its_confirmation_leaves_the_copy(client, admin):
    """A person shared (consent, address confirmed) who gives a new address is not shared
    until the new one is confirmed: the copy must not keep them with the address they
    left, and gets them again once it is confirmed."""
    from connectences.cvtheque.profile import apply_profile

    def synchronise(copy: dict, marks: dict) -> None:
        items, marks["records"] = _walk(
            client, admin, "/api/v1/candidates", since=marks.get("records")
        )
        _mirror(copy, items)
        gone, marks["gone"] = _walk(
            client, admin, "/api/v1/deletions", since=marks.get("gone"), kind="candidates"
        )
        for tombstone in gone:
            copy.pop(tombstone["ref"], None)

    copy: dict = {}
    marks: dict = {}
    with time_machine.travel(T0, tick=False):
        synchronise(copy, marks)
    assert copy["cv-1"]["email"] != "nouvelle@exemple.fr"
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        apply_profile(
            db.session, by_ref(Candidate, "cv-1"), {"email": "nouvelle@exemple.fr"}, partial=True
        )
        db.session.commit()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        synchronise(copy, marks)
    assert "cv-1" not in copy
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        by_ref(Candidate, "cv-1").email_confirmed_at = utcnow()
        db.session.commit()
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        synchronise(copy, marks)
        now = {i["ref"]: i for i in _walk(client, admin, "/api/v1/candidates", limit=200)[0]}
    assert copy == now and now["cv-1"]["email"] == "nouvelle@exemple.fr"
