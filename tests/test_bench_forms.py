"""The forms the benchmarks send are accepted as people's are, and the load journeys'
CVs spread over several trades and communes (a run must not make the next one's
searches heavier by adding thousands of people of one trade in one place)."""

from __future__ import annotations

from sqlalchemy import select

from connectences.bench.forms import LOAD_TRADES, cv_submission
from connectences.extensions import db
from connectences.models import Candidate
from tests.cv_helpers import post_multipart


def test_every_trade_of_the_load_journeys_cvs_is_accepted(client):
    for n in range(len(LOAD_TRADES)):
        response = post_multipart(client, "/deposer-mon-cv", cv_submission("", "essai", n))
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    people = db.session.scalars(select(Candidate).order_by(Candidate.id)).all()
    assert len(people) == len(LOAD_TRADES)
    assert len({p.commune for p in people}) == len(LOAD_TRADES)
    assert len({frozenset(s.label for s in p.skills) for p in people}) == len(LOAD_TRADES)


def test_one_trade_in_eight_is_an_accountant_around_arcachon():
    comptables = [n for n in range(80) if "comptable" in cv_submission("", "t", n)["skills"]]
    assert len(comptables) == 10
