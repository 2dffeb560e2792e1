"""The operator's inbox pages each of its sections on its own: new leads, leads waiting
on the operator, placements to follow and closed leads, each with its count in its
heading and its own page number in the query string."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import (
    Candidate,
    Company,
    FollowUpPoint,
    Lead,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Placement,
    Referral,
)
from connectences.web.leads import INBOX_PER_PAGE
from tests import factories as f
from tests.helpers import by_ref, cards_of, html_of

# More than one page in every section, the last one partly filled.
SIZES = {"envoye": 23, "accepte": 12, "refuse": 21}
FOLLOWED = 14


@pytest.fixture
def inbox(auth):
    """One operator with SIZES leads in each state (titles "<state> <n>", n=1 the
    oldest) and FOLLOWED placements with a follow-up still to do; another operator's
    leads beside them."""
    f.load(
        f.document(
            operators=[f.operator(ref="op-pages"), f.operator(ref="op-autre")],
            companies=[f.company(ref="c-pages")],
            needs=[f.need(ref="n-pages", company="c-pages")],
        )
    )
    operator_id = by_ref(Operator, "op-pages").id
    other_id = by_ref(Operator, "op-autre").id
    company = by_ref(Company, "c-pages")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for state, count in SIZES.items():
        for n in range(1, count + 1):
            need = f.need_row(company, ref=f"n-{state}-{n}", title=f"{state} {n}")
            lead = Lead(
                operator_id=operator_id, status=state, created_at=start + timedelta(hours=n)
            )
            lead.needs.append(LeadNeed(need=need))
            db.session.add(lead)
    db.session.add(Lead(operator_id=other_id, status="envoye"))
    placed = Lead(operator_id=operator_id, status="place", created_at=start)
    placed.needs.append(LeadNeed(need=by_ref(Need, "n-pages")))
    for n in range(1, FOLLOWED + 1):
        placement = Placement(
            lead=placed, hours_per_week=7, contract="cdi", start_date=date(2025, 1, n)
        )
        placement.follow_ups.append(FollowUpPoint(months=3, due_on=date(2025, 4, n)))
        db.session.add(placement)
    db.session.commit()
    auth.login("operator", org_ref="op-pages")


def _titles(response, prefix: str) -> list[str]:
    return [card.split(" ")[1] for card in cards_of(response) if card.startswith(prefix + " ")]


def test_each_section_shows_its_count_and_a_first_page_of_newest(client, inbox):
    response = client.get("/operateur/propositions")
    html = html_of(response)
    assert "Nouvelles propositions (23)" in html
    assert "En attente de votre action (12)" in html
    assert "Placements à suivre (14)" in html
    assert "Propositions closes (22)" in html  # 21 refused and the placed one
    assert _titles(response, "envoye") == [str(n) for n in range(23, 23 - INBOX_PER_PAGE, -1)]
    assert _titles(response, "accepte") == [str(n) for n in range(12, 12 - INBOX_PER_PAGE, -1)]
    assert _titles(response, "refuse") == [str(n) for n in range(21, 21 - INBOX_PER_PAGE, -1)]
    assert html.count("Prochain suivi à 3 mois") == INBOX_PER_PAGE
    for param in ("new_page", "waiting_page", "follow_page", "closed_page"):
        assert f"?{param}=2#" in html


def test_each_section_pages_on_its_own_and_keeps_the_others(client, inbox):
    response = client.get("/operateur/propositions?new_page=3&waiting_page=2")
    html = html_of(response)
    assert _titles(response, "envoye") == ["3", "2", "1"]
    assert _titles(response, "accepte") == ["2", "1"]
    assert _titles(response, "refuse") == [str(n) for n in range(21, 21 - INBOX_PER_PAGE, -1)]
    assert "Page 3 sur 3" in html and "Page 2 sur 2" in html
    # The closed section's next page keeps the other sections where they are.
    assert "new_page=3" in html.split('aria-label="Pages des propositions closes"')[1]

    response = client.get("/operateur/propositions?follow_page=2&closed_page=3")
    assert html_of(response).count("Prochain suivi à 3 mois") == FOLLOWED - INBOX_PER_PAGE
    assert _titles(response, "refuse") == ["1"]
    assert _titles(response, "envoye")[0] == "23"


@pytest.mark.parametrize("value", ["99", "0", "-4", "abc"])
def test_a_page_out_of_range_shows_the_nearest_one(client, inbox, value):
    response = client.get(f"/operateur/propositions?new_page={value}")
    assert response.status_code == 200
    titles = _titles(response, "envoye")
    assert titles == (["3", "2", "1"] if value == "99" else [str(n) for n in range(23, 13, -1)])


def test_a_placement_card_names_the_person_and_the_next_point_due(client, inbox):
    # The latest start (14 January), with a person and a second point due earlier than
    # the first one (the next point is the earliest due, whatever the order of entry).
    latest = db.session.scalars(
        select(Placement).order_by(Placement.start_date.desc()).limit(1)
    ).one()
    f.load(f.document(candidates=[f.candidate(ref="ines", first_name="Inès", last_name="Marchal")]))
    latest.candidate = by_ref(Candidate, "ines")
    latest.follow_ups.append(FollowUpPoint(months=1, due_on=date(2025, 2, 14)))
    db.session.commit()
    cards = [c for c in cards_of(client.get("/operateur/propositions")) if "Prochain suivi" in c]
    assert cards[0].startswith("Inès Marchal ")
    assert "Prochain suivi à 1 mois, le 14/02/2025" in cards[0]
    assert all(card.startswith("Personne supprimée ") for card in cards[1:])
    assert "Prochain suivi à 3 mois, le 13/04/2025" in cards[1]


# --- the partner's inbox: the same pattern --------------------------------------------

REFERRAL_SIZES = {"envoyee": 13, "prise_en_charge": 4, "close": 11}


@pytest.fixture
def referral_inbox(auth):
    """One partner with REFERRAL_SIZES referrals in each state (titles "<state> <n>",
    n=1 the oldest); another partner's referral beside them."""
    f.load(
        f.document(
            partners=[f.partner(ref="p-pages"), f.partner(ref="p-autre")],
            companies=[f.company(ref="c-pages")],
        )
    )
    partner_id = by_ref(Partner, "p-pages").id
    company = by_ref(Company, "c-pages")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for state, count in REFERRAL_SIZES.items():
        for n in range(1, count + 1):
            need = f.need_row(company, ref=f"n-{state}-{n}", title=f"{state} {n}")
            db.session.add(
                Referral(
                    partner_id=partner_id,
                    need=need,
                    status=state,
                    created_at=start + timedelta(hours=n),
                )
            )
    other = f.need_row(company, ref="n-autre", title="envoyee autre")
    db.session.add(Referral(partner_id=by_ref(Partner, "p-autre").id, need=other))
    db.session.commit()
    auth.login("partner", org_ref="p-pages")


def test_the_partner_inbox_pages_each_section_on_its_own(client, referral_inbox):
    from connectences.web.referrals import INBOX_PER_PAGE as PER_PAGE

    response = client.get("/partenaire/reorientations")
    html = html_of(response)
    assert "Nouvelles (13)" in html and "En cours (4)" in html and "Closes ou refusées (11)" in html
    assert _titles(response, "envoyee") == [str(n) for n in range(13, 13 - PER_PAGE, -1)]
    assert _titles(response, "prise_en_charge") == ["4", "3", "2", "1"]
    assert _titles(response, "close") == [str(n) for n in range(11, 11 - PER_PAGE, -1)]
    assert "?new_page=2#titre-nouvelles" in html and "?closed_page=2#titre-closes" in html
    response = client.get("/partenaire/reorientations?new_page=2&closed_page=9")
    assert _titles(response, "envoyee") == ["3", "2", "1"]
    assert _titles(response, "close") == ["1"]
    assert (
        "new_page=2" in html_of(response).split('aria-label="Pages des réorientations closes"')[1]
    )
