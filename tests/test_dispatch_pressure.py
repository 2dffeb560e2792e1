"""A lead or a referral reaches the company: the contact-pressure guard refuses it when
the company asked not to be solicited or reached the contacts per month it accepts."""

from __future__ import annotations

import pytest

from connectences import workflows
from connectences.extensions import db
from connectences.models import Company, Lead, Need, Operator, Partner, Referral
from connectences.workflows import TransitionError
from connectences.workflows.dispatch import send_lead, send_referral
from tests import factories as f
from tests.helpers import by_ref, count


@pytest.fixture
def world():
    f.load(
        f.document(
            operators=[f.operator(ref="ge")],
            partners=[f.partner(ref="ft")],
            companies=[f.company(ref="c1", name="Cabane Dubern")],
            needs=[f.need(ref="n1", company="c1"), f.need(ref="n2", company="c1")],
        )
    )
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    db.session.commit()


def test_no_lead_nor_referral_to_a_company_that_asked_not_to_be_solicited(world):
    by_ref(Company, "c1").do_not_solicit = True
    with pytest.raises(TransitionError, match="Cabane Dubern.*ne plus être sollicitée"):
        send_lead(db.session, needs=[by_ref(Need, "n1")], operator=by_ref(Operator, "ge"))
    with pytest.raises(TransitionError, match="ne plus être sollicitée"):
        send_referral(db.session, need=by_ref(Need, "n2"), partner=by_ref(Partner, "ft"))
    db.session.rollback()
    assert (count(Lead), count(Referral)) == (0, 0)
    assert by_ref(Need, "n1").status == "qualifie"


def test_the_monthly_cap_counts_leads_and_referrals(world):
    by_ref(Company, "c1").max_contacts_per_month = 1
    send_lead(db.session, needs=[by_ref(Need, "n1")], operator=by_ref(Operator, "ge"))
    db.session.commit()
    with pytest.raises(TransitionError, match="Cabane Dubern"):
        send_referral(db.session, need=by_ref(Need, "n2"), partner=by_ref(Partner, "ft"))
    db.session.rollback()
    assert count(Referral) == 0


def test_a_company_without_limits_receives_both(world):
    send_lead(db.session, needs=[by_ref(Need, "n1")], operator=by_ref(Operator, "ge"))
    send_referral(db.session, need=by_ref(Need, "n2"), partner=by_ref(Partner, "ft"))
    db.session.commit()
    assert (count(Lead), count(Referral)) == (1, 1)
