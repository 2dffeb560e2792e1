"""The CV library's hours and days filters read the person's free time (interchange
v1.1, ``matching.week``): work already held is deducted on the filters' date."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from connectences.clock import local_today
from connectences.cvtheque.search import (
    SearchFilters,
    count_by_wish,
    matching_candidates,
    search_candidates,
)
from connectences.extensions import db
from connectences.matching import week
from connectences.matching.data import candidate_from_model
from connectences.models import Candidate, Commitment
from connectences.vocab import DAYS
from tests import factories as f
from tests.helpers import by_ref, page_text, recorded_statements

LONG_AGO = "2020-01-06"  # everyone is available by then: the date filter keeps them all


def _person(ref: str, *held: tuple[float, list[str], date | None], **wish) -> None:
    f.load(f.document(candidates=[f.candidate(ref=ref, available_from=LONG_AGO, **wish)]))
    person = by_ref(Candidate, ref)
    for hours, days, until in held:
        db.session.add(Commitment(candidate=person, hours_per_week=hours, days=days, until=until))
    db.session.commit()


def _refs(**filters) -> set[str]:
    result = search_candidates(db.session, SearchFilters(**filters), per_page=200)
    assert result.total == len(result.items)
    return {hit.candidate.ref for hit in result.items}


def test_a_monday_held_open_ended_is_not_free_on_monday():
    # 10 to 24 h on Monday, Tuesday and Thursday, 24 h held on Monday with no end.
    _person("tenu", (24, ["mon"], None), hours_min=10, hours_max=24, days=["mon", "tue", "thu"])
    assert _refs() == {"tenu"}
    assert _refs(hours_min=10, days=("mon",)) == set()
    assert _refs(hours_min=10) == set()  # no hour left
    assert _refs(days=("mon",)) == set()  # Monday taken
    assert _refs(days=("tue",)) == {"tenu"}


def test_hours_filters_read_free_hours_and_hours_still_wished():
    # 20 to 30 h, 15 h held: 15 h free, 5 h still wished at least.
    _person("moitie", (15, ["tue"], None), hours_min=20, hours_max=30)
    assert _refs(hours_min=15) == {"moitie"}
    assert _refs(hours_min=16) == set()  # the wish (30 h) allowed it, the week does not
    assert _refs(hours_max=5) == {"moitie"}  # the wish (20 h at least) did not allow it
    assert _refs(hours_max=4) == set()


def test_decimal_hours_at_the_boundary_are_free_as_matching_says():
    # 8 - 4.4 is 3.5999999999999996 in floats: matching reads 3.6 h free.
    _person("virgule", (4.4, ["tue"], None), hours_min=4.4, hours_max=8)
    assert _refs(hours_min=3.6) == {"virgule"}
    assert _refs(hours_min=3.61) == set()


def test_the_free_time_is_read_on_the_availability_date_else_today():
    today = local_today()
    _person(
        "fin",
        (20, ["mon"], today + timedelta(days=10)),
        hours_min=5,
        hours_max=24,
        days=["mon", "tue"],
    )
    assert _refs(hours_min=10) == set()
    assert _refs(days=("mon",)) == set()
    # Ending on that very day it still runs; the day after, its time is back.
    on_last_day = today + timedelta(days=10)
    assert _refs(hours_min=10, days=("mon",), available_by=on_last_day) == set()
    after = today + timedelta(days=11)
    assert _refs(hours_min=10, days=("mon",), available_by=after) == {"fin"}
    assert SearchFilters().on == today
    assert SearchFilters(available_by=after).on == after


def test_ended_work_gives_its_time_back():
    yesterday = local_today() - timedelta(days=1)
    _person("libre", (24, ["mon"], yesterday), hours_min=10, hours_max=24, days=["mon"])
    assert _refs(hours_min=24, days=("mon",)) == {"libre"}


def _total(**filters) -> int:
    """The page's count, one person a page: never the length of the page."""
    total = search_candidates(db.session, SearchFilters(**filters), per_page=1).total
    assert total == len(_refs(**filters))
    return total


def test_the_count_follows_work_held_both_ways():
    # 10 to 24 h, 16 h held: the wish allows 10 h free, the week leaves 8.
    _person("tenu", (16, ["mon"], None), hours_min=10, hours_max=24)
    # 20 to 30 h, 15 h held: the wish (20 h at least) is above 5 h, what is still
    # wished (5 h) is not.
    _person("moitie", (15, ["tue"], None), hours_min=20, hours_max=30)
    # Work ended: the wish alone.
    _person("fini", (30, ["mon"], local_today() - timedelta(days=1)), hours_min=10, hours_max=24)
    _person("souhait", hours_min=10, hours_max=24)
    # tenu has 8 h free: out; moitie 15 h: in.
    assert _total(hours_min=10) == 3  # the wish alone would keep tenu: 4
    assert _total(hours_min=9, hours_max=12) == 3  # the wish alone would leave moitie out
    assert _total(hours_min=8, hours_max=12) == 4
    # Still wished: tenu 0 h (10 - 16), moitie 5 h; the wish alone keeps neither.
    assert _total(hours_min=5, hours_max=5) == 2
    assert _total(hours_min=15, hours_max=5) == 1  # moitie
    assert _total(hours_min=16, hours_max=5) == 0
    # Without heures_min, or with another filter: counted over the page's conditions,
    # the same answers.
    assert _total(hours_max=5) == 2  # tenu and moitie
    assert _total(hours_min=10, days=("mon",)) == 3  # tenu holds Monday too
    assert _total(hours_min=1, days=("tue",)) == 3  # moitie holds Tuesday
    assert _total(hours_min=5, hours_max=5, commune=f.LA_TESTE) == 2
    assert _total(days=("tue",)) == 3
    # One statement counts, as before: no more statements than without any filter.
    with recorded_statements() as plain:
        search_candidates(db.session, SearchFilters(), per_page=1)
    with recorded_statements() as counted:
        search_candidates(db.session, SearchFilters(hours_min=10), per_page=1)
    assert len(counted) == len(plain)


def _random_library(rng: random.Random, on: date, people: int) -> None:
    """``people`` people with 0 to 4 commitments each: ended before ``on``, ending on
    it or after, open-ended; days overlapping; hours with decimals."""
    keys = list(DAYS)
    for n in range(people):
        hours_min = rng.choice([1, 2.5, 4, 7.25, 10, 12.5, 20])
        hours_max = hours_min + rng.choice([0, 0.5, 4.4, 8, 14, 20.75])
        days = rng.sample(keys, rng.randint(1, 6))
        f.load(
            f.document(
                candidates=[
                    f.candidate(
                        ref=f"p{n}",
                        email=f"p{n}@exemple.fr",
                        hours_min=hours_min,
                        hours_max=min(hours_max, 48),
                        days=days,
                        available_from=LONG_AGO,
                    )
                ]
            )
        )
        person = by_ref(Candidate, f"p{n}")
        for _ in range(rng.randint(0, 4)):
            until = rng.choice(
                [None, on - timedelta(days=1), on, on + timedelta(days=1), on + timedelta(30)]
            )
            db.session.add(
                Commitment(
                    candidate=person,
                    hours_per_week=rng.choice([1, 1.1, 2.2, 3.3, 4.4, 7.25, 8, 10.33, 24]),
                    days=rng.sample(keys, rng.randint(0, 3)),
                    until=until,
                )
            )
    db.session.commit()


def _free_as_matching_reads_it(filters: SearchFilters) -> set[str]:
    """The people the hours and days filters keep, computed in Python by ``week``."""
    on = filters.on
    kept = set()
    for person in db.session.query(Candidate):
        cand = candidate_from_model(person)
        if filters.hours_min is not None and not week.hours_fit(
            filters.hours_min, week.free_hours(cand, on)
        ):
            continue
        if filters.hours_max is not None and not week.hours_fit(
            week.wished_hours(cand, on), filters.hours_max
        ):
            continue
        if not set(filters.days) <= week.free_days(cand, on):
            continue
        kept.add(person.ref)
    return kept


@pytest.mark.parametrize("seed", [1, 2])
def test_the_sql_filters_keep_the_people_week_says_are_free(seed):
    rng = random.Random(seed)  # noqa: S311 — synthetic data, never a secret
    today = local_today()
    on = today + timedelta(days=rng.randint(1, 40))
    _random_library(rng, on, 40)
    people = list(db.session.query(Candidate))
    # The hours that are free or wished on either date, the boundaries included.
    boundaries = sorted(
        {
            round(value, 2)
            for p in people
            for day in (today, on)
            for value in (
                week.free_hours(candidate_from_model(p), day),
                week.wished_hours(candidate_from_model(p), day),
            )
            if 0 <= value <= 48
        }
    )
    seen = set()
    for _ in range(60):
        low = rng.choice([None, *boundaries])
        high = rng.choice([None, *(b for b in boundaries if low is None or b >= low)])
        filters = SearchFilters(
            hours_min=low,
            hours_max=high,
            days=tuple(d for d in DAYS if rng.random() < 0.25),
            available_by=rng.choice([None, on]),
        )
        expected = _free_as_matching_reads_it(filters)
        seen.add(len(expected))
        assert _refs(**filters.__dict__) == expected, filters
        # Counted by the wish and corrected by the holders, whatever the filters.
        assert count_by_wish(db.session, filters) == len(expected), filters
        exported = matching_candidates(db.session, filters)
        assert {hit.candidate.ref for hit in exported.hits} == expected
    assert len(seen) > 5  # the filters kept many different sets, not always none or all


BASE = "/animateur/cvtheque"


def test_the_page_says_free_time_and_lists_what_is_left(client, auth):
    _person("tenu", (16, ["mon"], None), hours_min=10, hours_max=24, days=["mon", "tue", "thu"])
    _person("souhait", hours_min=10, hours_max=24, days=["mon", "tue", "thu"])
    auth.login("animateur")
    page = page_text(client.get(BASE))
    assert "Heures libres par semaine : de" in page
    assert "Jours libres (tous ceux cochés)" in page
    assert "Ce qui reste libre aujourd'hui" in page
    # The hours column: what is left beside the wish, only where work is held.
    assert "10 à 24 h, reste 8 h" in page
    assert "10 à 24" in page.replace("10 à 24 h, reste 8 h", "")
    later = local_today() + timedelta(days=30)
    page = page_text(client.get(BASE, query_string={"disponible_le": later.isoformat()}))
    assert f"Ce qui reste libre le {later:%d/%m/%Y}" in page
    # Monday is not free for the one who holds it; the export follows the page.
    query = {"heures_min": "10", "jours": "mon"}
    page = page_text(client.get(BASE, query_string=query))
    assert "1 personne" in page and "Exemple" in page
    exported = client.get(f"{BASE}/export/csv", query_string=query).get_data(as_text=True)
    assert "souhait" in exported and "tenu" not in exported


def test_a_wrong_role_cannot_search_free_time(client, auth):
    _person("tenu", (16, ["mon"], None), hours_min=10, hours_max=24, days=["mon"])
    auth.login("candidate")
    response = client.get(BASE, query_string={"heures_min": "10", "jours": "mon"})
    assert response.status_code in (302, 403)
    assert "Exemple" not in response.get_data(as_text=True)  # no one's name
