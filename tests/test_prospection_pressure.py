"""The contact-pressure guard: window boundaries, the company's own cap, "ne plus
solliciter", and every channel that reaches a company counted."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from connectences.extensions import db
from connectences.models import (
    Company,
    CompanyMailing,
    Diagnosis,
    Lead,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Referral,
    User,
)
from connectences.prospection import round as rounds
from connectences.prospection.pressure import (
    ConfirmationRequired,
    ContactRefused,
    check_contact,
    company_contacts,
    company_timeline,
    contact_pressure,
    contacts_of_companies,
    refusal_before_contact,
)
from tests import factories
from tests.helpers import add_visit, recorded_statements

TODAY = date(2027, 3, 17)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


@pytest.fixture
def world():
    op, partner, comp, other = (
        factories.operator(),
        factories.partner(),
        factories.company(name="Boulangerie du Port"),
        factories.company(name="Garage Voisin"),
    )
    need = factories.need(company=comp["ref"])
    other_need = factories.need(company=other["ref"])
    factories.load(
        factories.document(
            operators=[op],
            partners=[partner],
            companies=[comp, other],
            needs=[need, other_need],
        )
    )
    user = User(email="anim@exemple.fr", role="animateur", full_name="Léa Martin")
    db.session.add(user)
    db.session.commit()
    get = lambda model, ref: db.session.query(model).filter_by(ref=ref).one()  # noqa: E731
    return {
        "company": get(Company, comp["ref"]),
        "other": get(Company, other["ref"]),
        "need": get(Need, need["ref"]),
        "other_need": get(Need, other_need["ref"]),
        "operator": get(Operator, op["ref"]),
        "partner": get(Partner, partner["ref"]),
        "user": user,
    }


def referral(world, day, **fields) -> None:
    """Add a re-orientation of the world's need to its partner, made on ``day``."""
    db.session.add(
        Referral(
            partner_id=world["partner"].id,
            need_id=world["need"].id,
            created_at=_at(day),
            **fields,
        )
    )


def test_no_contact_is_ok(world):
    pressure = contact_pressure(db.session, world["company"], on=TODAY, window_days=30)
    assert pressure.decision == "ok"
    assert pressure.last_contact_at is None
    assert pressure.contacts_in_window == 0 and pressure.contacts_this_month == 0
    assert pressure.reasons == ()


@pytest.mark.parametrize(
    ("days_ago", "decision"), [(0, "warn"), (1, "warn"), (29, "warn"), (30, "ok"), (31, "ok")]
)
def test_window_boundary(world, days_ago, decision):
    add_visit(world["company"], world["user"], TODAY - timedelta(days=days_ago))
    pressure = contact_pressure(db.session, world["company"], on=TODAY, window_days=30)
    assert pressure.decision == decision
    assert pressure.last_contact_at == TODAY - timedelta(days=days_ago)
    assert pressure.last_contact_by == "Léa Martin"
    assert pressure.last_channel == "porte_a_porte"
    if decision == "warn":
        assert pressure.contacts_in_window == 1
        assert "Léa Martin" in pressure.reasons[0]
        assert "30 derniers jours" in pressure.reasons[0]


def test_window_comes_from_config(world, app):
    add_visit(world["company"], None, TODAY - timedelta(days=40))
    assert contact_pressure(db.session, world["company"], on=TODAY).decision == "ok"
    app.config["CONTACT_WINDOW_DAYS"] = 45
    try:
        pressure = contact_pressure(db.session, world["company"], on=TODAY)
        assert pressure.window_days == 45 and pressure.decision == "warn"
    finally:
        app.config["CONTACT_WINDOW_DAYS"] = 30


def test_do_not_solicit_refuses_even_without_contact(world):
    world["company"].do_not_solicit = True
    db.session.commit()
    pressure = contact_pressure(db.session, world["company"], on=TODAY, window_days=30)
    assert pressure.decision == "refuse"
    assert "ne plus être sollicitée" in pressure.reasons[0]
    with pytest.raises(ContactRefused):
        check_contact(db.session, world["company"], on=TODAY, confirmed=True)


def test_cap_reached_refuses_and_below_cap_only_warns(world):
    company = world["company"]
    company.max_contacts_per_month = 2
    db.session.commit()
    add_visit(company, None, date(2027, 3, 2))
    pressure = contact_pressure(db.session, company, on=TODAY, window_days=30)
    # One contact this month out of 2 allowed: the window warns, the cap does not refuse.
    assert (pressure.contacts_this_month, pressure.cap, pressure.decision) == (1, 2, "warn")
    add_visit(company, None, date(2027, 3, 10))
    pressure = contact_pressure(db.session, company, on=TODAY, window_days=30)
    assert (pressure.contacts_this_month, pressure.decision) == (2, "refuse")
    assert any("au plus 2 contacts par mois" in r and "mars 2027" in r for r in pressure.reasons)
    with pytest.raises(ContactRefused):
        check_contact(db.session, company, on=TODAY, confirmed=True)


def test_the_cap_refusal_offers_passing_it_only_where_the_form_does(world):
    """Plain, the cap's refusal says to wait (the API, a page offering nothing else);
    where the form offers to pass the cap, it says both ways, never "wait" alone."""
    company = world["company"]
    company.max_contacts_per_month = 1
    db.session.commit()
    add_visit(company, None, date(2027, 3, 2))
    pressure = contact_pressure(db.session, company, on=TODAY, window_days=30)
    assert pressure.cap_may_be_passed
    plain = next(r for r in pressure.refusals if "au plus 1 contact" in r)
    assert plain.endswith(
        "en mars 2027. Attendez le mois prochain : elle pourra être recontactée à partir du "
        "1er avril 2027."
    )
    offered = pressure.refusals_offering("envoyez quand même")
    assert len(offered) == len(pressure.refusals)
    assert offered[0] == (
        "L'entreprise accepte au plus 1 contact par mois ; elle en a déjà eu 1 en mars 2027. "
        "Attendez le mois prochain (à partir du 1er avril 2027) ou, si elle a accepté d'être "
        "contactée malgré tout (elle a demandé à être rappelée, par exemple), envoyez quand "
        "même en indiquant pourquoi."
    )
    # The warning after it is kept as it is.
    assert pressure.reasons_offering("envoyez quand même")[1:] == pressure.reasons[1:]
    # A company that asked not to be solicited: no way around, the plain words.
    company.do_not_solicit = True
    db.session.commit()
    pressure = contact_pressure(db.session, company, on=TODAY, window_days=30)
    assert not pressure.cap_may_be_passed
    assert pressure.refusals_offering("envoyez quand même") == pressure.refusals
    assert pressure.reasons_offering("envoyez quand même") == pressure.reasons
    assert not any("malgré tout" in r for r in pressure.reasons)


def test_cap_counts_the_calendar_month_only(world):
    company = world["company"]
    company.max_contacts_per_month = 1
    db.session.commit()
    add_visit(company, None, date(2027, 2, 27))  # last month: outside the cap, inside the window
    pressure = contact_pressure(db.session, company, on=TODAY, window_days=30)
    assert pressure.contacts_this_month == 0
    assert pressure.decision == "warn"
    # A cap of 1 exceeded in the past does not refuse: already 2 in February.
    add_visit(company, None, date(2027, 2, 3))
    assert contact_pressure(db.session, company, on=TODAY, window_days=30).decision == "warn"
    assert contact_pressure(db.session, company, on=date(2027, 2, 28), window_days=30).decision == (
        "refuse"
    )


def test_warn_requires_confirmation(world):
    add_visit(world["company"], None, TODAY - timedelta(days=3))
    with pytest.raises(ConfirmationRequired) as caught:
        check_contact(db.session, world["company"], on=TODAY, confirmed=False, window_days=30)
    assert caught.value.pressure.decision == "warn"
    assert (
        check_contact(
            db.session, world["company"], on=TODAY, confirmed=True, window_days=30
        ).decision
        == "warn"
    )


def test_phone_call_counts(world):
    add_visit(world["company"], None, TODAY - timedelta(days=5), channel="telephone")
    pressure = contact_pressure(db.session, world["company"], on=TODAY, window_days=30)
    assert pressure.decision == "warn" and pressure.last_channel == "telephone"


def test_newsletter_counts(world):
    db.session.add(
        CompanyMailing(
            company_id=world["company"].id,
            subject="Lettre de mars",
            sent_at=_at(TODAY - timedelta(days=2)),
            sent_by_id=world["user"].id,
        )
    )
    db.session.commit()
    pressure = contact_pressure(db.session, world["company"], on=TODAY, window_days=30)
    assert pressure.decision == "warn"
    assert pressure.last_channel == "lettre_information"
    assert pressure.contacts_this_month == 1


def test_lead_counts_once_per_company_and_only_its_own(world):
    lead = Lead(
        operator_id=world["operator"].id,
        created_by_id=world["user"].id,
        created_at=_at(TODAY - timedelta(days=4)),
    )
    lead.needs = [LeadNeed(need=world["need"]), LeadNeed(need=world["other_need"])]
    db.session.add(lead)
    db.session.commit()
    pressure = contact_pressure(db.session, world["company"], on=TODAY, window_days=30)
    assert pressure.decision == "warn"
    assert pressure.last_channel == "proposition_operateur"
    assert pressure.contacts_in_window == 1
    assert world["operator"].name in pressure.last_contact_by
    # The bundle reaches the other company too, once.
    assert (
        contact_pressure(db.session, world["other"], on=TODAY, window_days=30).contacts_in_window
        == 1
    )


def test_referral_counts(world):
    referral(world, TODAY - timedelta(days=6), created_by_id=world["user"].id)
    db.session.commit()
    pressure = contact_pressure(db.session, world["company"], on=TODAY, window_days=30)
    assert pressure.decision == "warn"
    assert pressure.last_channel == "orientation_vers_partenaire"
    assert contact_pressure(db.session, world["other"], on=TODAY, window_days=30).decision == "ok"


def test_all_channels_add_up_against_the_cap(world):
    company = world["company"]
    company.max_contacts_per_month = 3
    db.session.commit()
    add_visit(company, None, date(2027, 3, 1), channel="telephone")
    db.session.add(
        CompanyMailing(company_id=company.id, subject="Lettre", sent_at=_at(date(2027, 3, 5)))
    )
    referral(world, date(2027, 3, 8))
    db.session.commit()
    pressure = contact_pressure(db.session, company, on=TODAY, window_days=30)
    assert pressure.contacts_this_month == 3
    assert pressure.decision == "refuse"


def test_a_need_posted_is_in_the_timeline_but_not_counted(world):
    events = company_timeline(db.session, world["company"])
    assert [e.kind for e in events] == ["besoin"]
    assert not events[0].counted
    assert contact_pressure(db.session, world["company"], on=TODAY, window_days=30).decision == "ok"


def _one_contact_of_each_kind(world) -> None:
    """A visit, a newsletter, a lead and a referral, a few weeks apart, oldest first."""
    company = world["company"]
    add_visit(company, world["user"], date(2027, 1, 10))
    db.session.add(
        CompanyMailing(company_id=company.id, subject="Lettre", sent_at=_at(date(2027, 2, 1)))
    )
    lead = Lead(operator_id=world["operator"].id, created_at=_at(date(2027, 2, 15)))
    lead.needs = [LeadNeed(need=world["need"])]
    db.session.add(lead)
    referral(world, date(2027, 3, 1))
    db.session.commit()


def test_timeline_lists_every_contact_newest_first(world):
    company = world["company"]
    _one_contact_of_each_kind(world)
    kinds = [e.kind for e in company_timeline(db.session, company)]
    assert kinds[:4] == ["orientation", "proposition", "lettre", "visite"]
    assert set(kinds) == {"orientation", "proposition", "lettre", "visite", "besoin"}


def test_the_guard_reads_only_the_contacts_it_counts(world):
    company = world["company"]
    _one_contact_of_each_kind(world)
    everything = company_timeline(db.session, company)
    with recorded_statements() as statements:
        counted = company_contacts(db.session, company)
    # The same contacts, in the same order, as the whole timeline's counted ones...
    assert counted == [event for event in everything if event.counted]
    assert {e.kind for e in counted} == {"visite", "lettre", "proposition", "orientation"}
    # ...without reading what it does not count (needs, callback requests, registrations).
    read = {table for s in statements for table in re.findall(r"\bFROM (\w+)", s)}
    assert not read & {"need", "callback_request", "event_registration"}, read


def test_the_cap_month_of_an_instant_is_the_paris_month(world):
    """A newsletter sent on the 1st of April at 00:30 in Arcachon (22:30 UTC on the 31st
    of March) is a contact of April: it counts against April's cap, not March's, and the
    warning names the day it was sent there."""
    company = world["company"]
    company.max_contacts_per_month = 1
    db.session.add(
        CompanyMailing(
            company_id=company.id,
            subject="Lettre d'avril",
            sent_at=datetime(2027, 3, 31, 22, 30, tzinfo=UTC),
            sent_by_id=world["user"].id,
        )
    )
    db.session.commit()
    april = contact_pressure(db.session, company, on=date(2027, 4, 1), window_days=30)
    assert april.contacts_this_month == 1 and april.decision == "refuse"
    assert april.last_contact_at == date(2027, 4, 1)
    march = contact_pressure(db.session, company, on=date(2027, 3, 31), window_days=30)
    assert march.contacts_this_month == 0 and march.decision == "warn"


def test_the_cap_refusal_says_from_which_day_the_company_may_be_contacted_again(world):
    company = world["company"]
    company.max_contacts_per_month = 1
    db.session.commit()
    add_visit(company, None, date(2027, 12, 2))
    pressure = contact_pressure(db.session, company, on=date(2027, 12, 31), window_days=30)
    assert pressure.decision == "refuse"
    assert pressure.refusals[0].endswith(
        "Attendez le mois prochain : elle pourra être recontactée à partir du 1er janvier 2028."
    )
    offered = pressure.refusals_offering("envoyez quand même")[0]
    assert "Attendez le mois prochain (à partir du 1er janvier 2028) ou, si elle a" in offered


def test_a_refusal_said_before_a_form_counts_contacts_only_against_a_cap(world):
    """``refusal_before_contact`` (the need's page, before its forms): the company's row
    decides alone when it set no monthly cap or asked not to be solicited, so the page
    reads no contact then; against a cap it counts them as the guard does."""
    company = world["company"]
    add_visit(company, world["user"], TODAY)
    db.session.commit()
    db.session.refresh(company)  # its row as a page holds it, loaded with the need
    with recorded_statements() as statements:
        assert refusal_before_contact(db.session, company, on=TODAY) is None  # no cap: ok
        company.do_not_solicit = True
        refused = refusal_before_contact(db.session, company, on=TODAY)
        assert refused.do_not_solicit and not refused.cap_may_be_passed
        company.max_contacts_per_month = 1  # a cap changes nothing to a "no"
        assert refusal_before_contact(db.session, company, on=TODAY).do_not_solicit
    assert statements == []
    company.do_not_solicit = False
    db.session.commit()
    refused = refusal_before_contact(db.session, company, on=TODAY)
    assert refused.cap_may_be_passed and refused.contacts_this_month == 1
    assert refused.refusals == check_refusal(company)
    db.session.refresh(company)
    company.max_contacts_per_month = 2
    assert refusal_before_contact(db.session, company, on=TODAY) is None


def check_refusal(company) -> tuple[str, ...]:
    """The refusals of the guard itself, when a contact is recorded."""
    with pytest.raises(ContactRefused) as refused:
        check_contact(db.session, company, on=TODAY, confirmed=True)
    db.session.rollback()
    return refused.value.pressure.refusals


def test_many_companies_read_at_once_have_the_pressures_each_has_alone(world):
    """A round reads the contacts of all its companies at once (``contacts_of_companies``):
    each company's contacts, and so its pressure, are those it has read alone, whatever
    the other companies' (a lead bundling needs of two companies, contacts around the
    window's and the month's edges, a company that asked not to be solicited, caps)."""
    user, partner = world["user"], world["partner"]
    items = [factories.company(name=f"Commerce {n}") for n in range(6)]
    needs = [
        factories.need(company=items[n]["ref"], title=title)
        for n, title in ((0, "Comptable"), (0, "Secrétaire"), (1, "Vendeur"))
    ]
    factories.load(factories.document(companies=items, needs=needs))
    shops = [db.session.query(Company).filter_by(ref=item["ref"]).one() for item in items]
    accountant, secretary, seller = (
        db.session.query(Need).filter_by(ref=need["ref"]).one() for need in needs
    )
    every, bundled, refused, capped, ahead, quiet = shops
    # Every channel, four contacts in March against a cap of 3.
    every.max_contacts_per_month = 3
    visit = add_visit(every, user, TODAY - timedelta(days=3), channel="telephone")
    add_visit(every, None, TODAY - timedelta(days=40))
    db.session.add_all(
        [
            CompanyMailing(company_id=every.id, subject="Lettre", sent_at=_at(date(2027, 3, 2))),
            Diagnosis(company_id=every.id, source="lien", sent_by_id=user.id,
                      sent_to="gerant@exemple.fr", sent_at=_at(date(2027, 3, 5))),
            Diagnosis(company_id=every.id, source="visite", filled_by_id=user.id,
                      submitted_at=_at(date(2027, 2, 1))),
            # Filled in during a visit: the visit is the contact, not the questionnaire.
            Diagnosis(company_id=every.id, source="visite", filled_by_id=user.id,
                      visit_id=visit.id, submitted_at=_at(TODAY - timedelta(days=3))),
        ]
    )  # fmt: skip
    # One lead bundles both needs of the first company and the need of the second.
    lead = Lead(
        operator_id=world["operator"].id, created_by_id=user.id, created_at=_at(date(2027, 3, 10))
    )
    lead.needs = [LeadNeed(need=accountant), LeadNeed(need=secretary), LeadNeed(need=seller)]
    db.session.add(lead)
    db.session.add(
        Referral(partner_id=partner.id, need_id=seller.id, created_at=_at(date(2027, 2, 20)))
    )
    refused.do_not_solicit = True
    add_visit(refused, user, date(2027, 3, 1))
    capped.max_contacts_per_month = 1
    add_visit(capped, user, TODAY - timedelta(days=30))  # a day past the window
    add_visit(capped, user, date(2027, 3, 1))
    # 1 April at 00:30 in Arcachon: April's, 15 days ahead; 30 days ahead is past the window.
    db.session.add(
        CompanyMailing(company_id=ahead.id, subject="Lettre d'avril",
                       sent_at=datetime(2027, 3, 31, 22, 30, tzinfo=UTC))
    )  # fmt: skip
    add_visit(ahead, user, TODAY + timedelta(days=30))
    db.session.commit()

    together = contacts_of_companies(db.session, [shop.id for shop in shops])
    alone = {shop.id: company_contacts(db.session, shop) for shop in shops}
    assert together == alone
    pressures = {}
    for shop in shops:
        pressures[shop.id] = contact_pressure(
            db.session, shop, on=TODAY, window_days=30, timeline=together[shop.id]
        )
        assert pressures[shop.id] == contact_pressure(db.session, shop, on=TODAY, window_days=30)
    # What each company has, as built above: the comparison compares something.
    assert [
        (p.decision, p.contacts_this_month, p.contacts_in_window) for p in pressures.values()
    ] == [
        ("refuse", 4, 4),
        ("warn", 1, 2),  # the lead in March, the re-orientation in February
        ("refuse", 1, 1),
        ("refuse", 1, 1),
        ("warn", 0, 1),
        ("ok", 0, 0),
    ]
    [proposed] = [e for e in together[every.id] if e.kind == "proposition"]
    assert "« Comptable », « Secrétaire »" in proposed.summary and "Vendeur" not in proposed.summary
    [proposed] = [e for e in together[bundled.id] if e.kind == "proposition"]
    assert "« Vendeur »" in proposed.summary and "Comptable" not in proposed.summary
    assert len(together[every.id]) == 6 and len(together[bundled.id]) == 2
    assert together[quiet.id] == []


def test_the_round_gives_each_company_the_pressure_it_has_alone(world):
    """« Préparer ma tournée » (``round.round_entries``) reads its companies' contacts at
    once: each entry's pressure is the one the company's page says."""
    add_visit(world["company"], world["user"], TODAY - timedelta(days=2))
    lead = Lead(operator_id=world["operator"].id, created_at=_at(TODAY - timedelta(days=8)))
    lead.needs = [LeadNeed(need=world["other_need"])]
    db.session.add(lead)
    world["other"].max_contacts_per_month = 1
    db.session.commit()
    entries, _more = rounds.round_entries(
        db.session,
        rounds.RoundFilters(commune=world["company"].commune),
        animateur_id=world["user"].id,
        today=TODAY,
        limit=10,
    )
    assert {entry.company.id for entry in entries} == {world["company"].id, world["other"].id}
    for entry in entries:
        assert entry.pressure == contact_pressure(db.session, entry.company, on=TODAY)
    assert {entry.pressure.decision for entry in entries} == {"warn", "refuse"}
