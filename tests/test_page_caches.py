"""What the staff pages keep between requests, and what they count without loading rows.

The observatory's figures are kept per (intercommunality, period) under a version of the
needs: any change to a need shows at the next request; what the version cannot see (a
company moving) shows once the figures expire, and the page says when they were computed.
The whole queue's counts (the home, the board without filters) are kept under the same
version; the totals of every visit until a new one is logged (a deletion shows when they
expire). The CV search keeps the library's vocabulary until a skill or a person changes. The
animateur's home counts follow-ups in SQL; the pager counts rows without their columns.
"""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select

from connectences import kept as kept_module
from connectences import territory
from connectences.clock import local_today
from connectences.cvtheque import search as search_module
from connectences.cvtheque.search import search_candidates
from connectences.extensions import db
from connectences.matching.matches import candidate_index
from connectences.models import Company, Need, Visit
from connectences.models.base import utcnow
from connectences.needs import board
from connectences.needs.register import delete_unconfirmed, queue_version
from connectences.observatory.cache import ObservatoryCache
from connectences.prospection import visits as visits_module
from connectences.prospection.visits import (
    FOLLOW_UP_BUCKETS,
    follow_up_bucket,
    follow_up_counts,
)
from connectences.tombstones import record_deletion
from connectences.web.paging import count_rows
from tests import factories
from tests.helpers import add_visit, recorded_statements


def _needs(*titles: str) -> list[Need]:
    company = factories.company(commune=factories.ARCACHON)
    factories.load(
        factories.document(
            companies=[company],
            needs=[factories.need(company=company["ref"], title=t) for t in titles],
        )
    )
    return list(db.session.scalars(select(Need).order_by(Need.id)))


def _delete(need: Need) -> None:
    """Delete ``need`` for good, as the platform does: with its tombstone."""
    record_deletion(db.session, "needs", need.ref)
    db.session.execute(delete(Need).where(Need.id == need.id))
    db.session.commit()


# The staff read the observatory's exact figures (officers see "< 5" below 5 companies).
EXACT = f"/territoire/intercommunalites/{factories.COBAS}"


def _received(client) -> str:
    page = html.unescape(client.get(EXACT).get_data(as_text=True))
    return page[page.index("<dt>Besoins reçus</dt>") :].split("</dd>")[0]


def test_the_observatory_shows_every_change_of_a_need_at_the_next_request(client, auth):
    needs = _needs("Paie du mardi")
    auth.login("animateur")
    assert _received(client).endswith(">1")
    _needs("Accueil du samedi")
    assert _received(client).endswith(">2")
    needs[0].status = "pourvu"
    db.session.commit()
    page = html.unescape(client.get(EXACT).get_data(as_text=True))
    assert "<dt>Besoins pourvus</dt><dd>1</dd>" in page
    _delete(needs[0])
    assert _received(client).endswith(">1")


def test_the_queue_counts_show_every_change_of_a_need_at_the_next_request(client, auth):
    # The whole queue's counts are kept under the version of the needs.
    def counts():
        return board.state_counts(db.session, board.BoardFilters(), now=utcnow())

    needs = _needs("Paie du mardi", "Accueil du samedi")
    assert counts()["nouveau"] == 2
    needs[0].status = "qualifie"
    db.session.commit()
    assert (counts()["nouveau"], counts()["qualifie"]) == (1, 1)
    # A need of the public form waits outside the queue until its owner confirms it.
    posted = factories.need_row(needs[1].company, ref="form-1", source="entreprise")
    db.session.add(posted)
    db.session.commit()
    assert counts()["nouveau"] == 1
    posted.owner_confirmed_at = utcnow()
    db.session.commit()
    assert counts()["nouveau"] == 2
    _delete(needs[0])
    assert counts()["qualifie"] == 0
    # The home reads the same counts as the board.
    auth.login("animateur")
    _needs("Paie du jeudi")
    home = html.unescape(client.get("/animateur").get_data(as_text=True))
    assert "<strong>3</strong> nouveaux besoins" in home


def test_the_queue_version_sees_every_deletion_the_platform_makes():
    # The version reads the latest tombstone for deletions: the platform's one way of
    # deleting needs (the company's never-confirmed ones, after a while) leaves them.
    needs = _needs("Paie du mardi", "Accueil du samedi")
    # Not the newest need, nor the latest changed: only its tombstone can tell.
    needs[0].source, needs[0].owner_confirmed_at = "entreprise", None
    needs[0].created_at = utcnow() - timedelta(days=60)
    db.session.commit()
    needs[1].title = "Accueil du dimanche"
    db.session.commit()
    before = queue_version(db.session)
    assert delete_unconfirmed(db.session, utcnow() - timedelta(days=30)) == 1
    db.session.commit()
    assert queue_version(db.session) != before


def test_the_observatory_page_says_when_its_figures_were_computed(client, auth):
    _needs("Paie du mardi")
    auth.login("territoire")
    page = html.unescape(client.get("/territoire").get_data(as_text=True))
    assert "Chiffres au " in page


def test_figures_the_version_cannot_see_change_when_they_expire():
    _needs("Paie du mardi")
    cache = ObservatoryCache(seconds=300)
    now = utcnow()
    first = cache.figures(db.session, factories.COBAS, "tout", now=now)
    assert first.figures.total == 1 and first.computed_at == now
    # The company moves to another intercommunality: no need changed.
    elsewhere = territory.communes_of_epci(factories.COBAN)[0].insee
    company = db.session.scalar(select(Company))
    company.commune = elsewhere
    db.session.commit()
    kept = cache.figures(db.session, factories.COBAS, "tout", now=now + timedelta(minutes=4))
    assert kept is first
    later = now + timedelta(minutes=6)
    fresh = cache.figures(db.session, factories.COBAS, "tout", now=later)
    assert fresh.figures.total == 0 and fresh.computed_at == later
    # Each period has its own figures.
    assert cache.figures(db.session, factories.COBAS, "3m", now=later).figures.period == "3m"


def test_figures_of_yesterday_are_not_served_after_midnight_in_arcachon():
    # The last 3 months at 23:58 on 31 January 2027 in Arcachon are November to January;
    # two minutes later, February has begun and they are December to February. Kept five
    # minutes whatever the day, the figures of 31 January went on counting November's
    # need as "celui-ci compris" into the new month.
    (need,) = _needs("Paie du mardi")
    need.created_at = datetime(2026, 11, 15, 10, tzinfo=UTC)
    db.session.commit()
    cache = ObservatoryCache(seconds=300)
    before = datetime(2027, 1, 31, 22, 58, tzinfo=UTC)  # 23:58 in Arcachon
    assert cache.figures(db.session, factories.COBAS, "3m", now=before).figures.total == 1
    after = before + timedelta(minutes=3)  # 00:01 on 1 February
    fresh = cache.figures(db.session, factories.COBAS, "3m", now=after)
    assert fresh.computed_at == after and fresh.figures.total == 0


def test_the_visit_totals_show_a_new_visit_at_once_and_a_deletion_when_they_expire(
    auth, monkeypatch
):
    user = auth.create("animateur")
    _needs("Paie du mardi")
    company = db.session.scalar(select(Company))

    def totals():
        total, by = visits_module.counted_visits(db.session, visits_module.VisitFilters())
        return total, {key: n for key, _, n in by["channels"] if n}

    first = add_visit(company, user, local_today(), channel="telephone", outcome="besoin_detecte")
    assert totals() == (1, {"telephone": 1})
    add_visit(company, user, local_today(), channel="porte_a_porte")
    assert totals() == (2, {"telephone": 1, "porte_a_porte": 1})
    # Filtered totals are always counted.
    filtered = visits_module.VisitFilters(channel="telephone")
    assert visits_module.counted_visits(db.session, filtered)[0] == 1
    # A deletion leaves the highest id as it was: it shows once the totals expire.
    db.session.execute(delete(Visit).where(Visit.id == first.id))
    db.session.commit()
    assert totals() == (2, {"telephone": 1, "porte_a_porte": 1})
    later = time.monotonic() + visits_module.VISIT_TOTALS_SECONDS + 1
    monkeypatch.setattr(kept_module, "time", SimpleNamespace(monotonic=lambda: later))
    assert totals() == (1, {"porte_a_porte": 1})


def test_the_directory_counts_a_new_company_at_the_next_request(client, auth):
    auth.login("animateur")
    factories.load(factories.document(companies=[factories.company(), factories.company()]))

    def heading(path="/animateur/entreprises") -> str:
        page = client.get(path).get_data(as_text=True)
        return page[page.index('id="titre-liste"') :].split("</h2>")[0]

    assert ">2 entreprises" in heading()
    factories.load(factories.document(companies=[factories.company()]))
    assert ">3 entreprises" in heading()
    # With filters the pager counts the matching companies.
    assert ">0 entreprises correspondant" in heading("/animateur/entreprises?naf=99.99Z")


def test_the_cv_search_finds_a_person_added_after_a_search():
    factories.load(factories.document(candidates=[factories.candidate()]))
    assert search_candidates(db.session, {"text": "ostréiculture"}).total == 0
    person = factories.candidate(skills=["ostréiculture", "conduite de chaland"])
    factories.load(factories.document(candidates=[person]))
    found = search_candidates(db.session, {"text": "ostréiculture"})
    assert [hit.candidate.ref for hit in found.items] == [person["ref"]]


def test_the_home_counts_follow_ups_as_the_full_list_does(auth):
    me = auth.create("animateur")
    _needs("Paie du mardi")
    company = db.session.scalar(select(Company))
    today = local_today()
    days = [-9, -3, -3, -1, 0, 0, 2, 30]
    for offset in days:
        db.session.add(
            Visit(
                company_id=company.id,
                channel="telephone",
                visited_on=today - timedelta(days=10),
                animateur_id=me.id,
                follow_up_on=today + timedelta(days=offset),
            )
        )
    # A closed follow-up is not counted.
    db.session.add(
        Visit(
            company_id=company.id,
            channel="telephone",
            visited_on=today,
            animateur_id=me.id,
            follow_up_on=today - timedelta(days=5),
            follow_up_closed_at=utcnow(),
        )
    )
    db.session.commit()
    full = {
        bucket: db.session.scalars(follow_up_bucket(me.id, bucket, today=today)).all()
        for bucket in FOLLOW_UP_BUCKETS
    }
    counted = follow_up_counts(db.session, me.id, today=today, shown=3)
    assert (counted.overdue, counted.today, counted.upcoming) == (4, 2, 2)
    assert [len(full[bucket]) for bucket in FOLLOW_UP_BUCKETS] == [4, 2, 2]
    due = full["overdue"] + full["today"]
    assert [v.id for v in counted.first_due] == [v.id for v in due[:3]]


def test_the_home_counts_follow_ups_when_none_is_due(auth):
    """Counted with the first rows (one statement): upcoming ones alone are counted and
    none is listed as due; with none at all, every count is zero."""
    me = auth.create("animateur")
    _needs("Paie du mardi")
    company = db.session.scalar(select(Company))
    today = local_today()
    none = follow_up_counts(db.session, me.id, today=today, shown=3)
    assert (none.overdue, none.today, none.upcoming, none.first_due) == (0, 0, 0, [])
    for offset in (1, 2, 40):
        add_visit(
            company, me, today, channel="telephone", follow_up_on=today + timedelta(days=offset)
        )
    counted = follow_up_counts(db.session, me.id, today=today, shown=2)
    assert (counted.overdue, counted.today, counted.upcoming, counted.first_due) == (0, 0, 3, [])


@pytest.mark.parametrize(
    "args",
    [{}, {"statut": "nouveau"}, {"q": "mardi"}, {"intercommunalite": factories.COBAS}],
    ids=["all", "status", "text", "epci"],
)
def test_the_pager_counts_the_rows_of_the_board(args):
    _needs("Paie du mardi", "Accueil du samedi", "Paie du jeudi")
    filters, _ = board.parse_filters(args)
    query = board.board_query(filters, now=utcnow())
    rows = db.session.scalars(query).unique().all()
    assert rows
    assert db.session.scalar(count_rows(query)) == len(rows)
    distinct = select(Need.company_id).distinct()
    assert db.session.scalar(count_rows(distinct)) == 1
    grouped = select(Need.status, func.count()).group_by(Need.status)
    assert db.session.scalar(count_rows(grouped)) == 1


def _whole_tables_read(statements) -> list[str]:
    """SQLite's plan lines that read one of the library's tables whole."""
    lines = []
    connection = db.session.connection()
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        lines += [
            row[-1]
            for row in plan
            if row[-1].startswith("SCAN ")
            and row[-1].split()[1] in {"candidate", "candidate_skill", "commitment"}
        ]
    db.session.rollback()
    return lines


def test_a_change_in_the_library_is_read_back_by_index_not_whole(auth):
    """After one person changes, the matching index and the CV search's vocabulary read
    that person again, never every person or every skill (tens of milliseconds a worker
    at 100,000 people, after each CV)."""
    people = [factories.candidate(skills=["comptabilité"]) for _ in range(3)]
    factories.load(factories.document(candidates=people))
    candidate_index(db.session)
    assert search_candidates(db.session, {"text": "ostréiculture"}).total == 0
    changed = dict(people[1], skills=["ostréiculture", "conduite de chaland"])
    factories.load(factories.document(candidates=[changed]))
    db.session.rollback()

    def read_again():
        candidate_index(db.session)
        found = search_candidates(db.session, {"text": "ostréiculture"})
        assert [hit.candidate.ref for hit in found.items] == [people[1]["ref"]]

    with recorded_statements(with_parameters=True) as statements:
        read_again()
    assert any("ostréiculture" in str(p) or "ostreiculture" in str(p) for _s, p in statements)
    assert not [
        s for s, _p in statements if "DISTINCT candidate_skill.norm" in s and "WHERE" not in s
    ]
    assert candidate_index(db.session).get(people[1]["ref"]).skills == (
        "ostréiculture",
        "conduite de chaland",
    )
    if db.engine.dialect.name == "sqlite":
        assert _whole_tables_read(statements) == []


def test_after_an_import_the_vocabulary_is_read_whole_again(monkeypatch):
    monkeypatch.setattr(search_module, "VOCABULARY_ADD_AT_MOST", 1)
    factories.load(factories.document(candidates=[factories.candidate()]))
    search_candidates(db.session, {"text": "comptabilité"})
    people = [factories.candidate(skills=["ostréiculture"]) for _ in range(2)]
    factories.load(factories.document(candidates=people))
    db.session.rollback()
    with recorded_statements(with_parameters=True) as statements:
        search_candidates(db.session, {"text": "ostréiculture"})
    whole = [s for s, _p in statements if "DISTINCT candidate_skill.norm" in s]
    assert len(whole) == 1 and "WHERE" not in whole[0]
    found = search_candidates(db.session, {"text": "ostréiculture"})
    assert sorted(hit.candidate.ref for hit in found.items) == sorted(p["ref"] for p in people)


def test_the_observatory_keeps_a_bounded_number_of_figures():
    """Each past day read is an entry of its own: without a bound, reading many days grew
    a worker's memory for good."""
    from datetime import date

    _needs("Paie du mardi")
    cache = ObservatoryCache(seconds=300, max_entries=3)
    now = utcnow()
    first = cache.figures(db.session, factories.COBAS, "tout", now=now)
    days = []
    for day in range(1, 6):
        days.append(
            cache.figures(db.session, factories.COBAS, "tout", now=now, at=date(2026, 1, day))
        )
        cache.figures(db.session, factories.COBAS, "tout", now=now)  # read again: kept
    assert len(cache) == 3
    assert cache.figures(db.session, factories.COBAS, "tout", now=now) is first
    last = cache.figures(db.session, factories.COBAS, "tout", now=now, at=date(2026, 1, 5))
    assert last is days[-1]
    # The least recently read went first: the first day is computed again.
    again = cache.figures(db.session, factories.COBAS, "tout", now=now, at=date(2026, 1, 1))
    assert again is not days[0] and again.figures.total == 0
