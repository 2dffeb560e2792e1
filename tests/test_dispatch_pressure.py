"""A lead or a referral reaches the company: the contact-pressure guard refuses it when
the company asked not to be solicited or reached the contacts per month it accepts; past
the cap only, it is sent anyway when the animateur says why the company agreed."""

from __future__ import annotations

import pytest

from connectences import workflows
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Company, Lead, Need, Operator, Partner, Referral, Visit
from connectences.prospection.pressure import company_timeline
from connectences.typography import month_fr
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


# --- sending anyway to a company at its monthly cap -------------------------------------

OVER_CAP = "L'entreprise a demandé à être rappelée par le groupement"


@pytest.fixture
def at_cap(world):
    """The visit that qualified the need was the company's one contact of the month."""
    company = by_ref(Company, "c1")
    company.max_contacts_per_month = 1
    db.session.add(Visit(company=company, visited_on=local_today(), channel="porte_a_porte"))
    db.session.commit()


def _start_log(entity: str, entity_id: int):
    return workflows.history(
        db.session, workflows.LEAD if entity == "lead" else workflows.REFERRAL, entity_id
    )[0]


def test_the_cap_still_refuses_by_default_and_says_what_to_do(at_cap):
    with pytest.raises(TransitionError) as refusal:
        send_lead(db.session, needs=[by_ref(Need, "n1")], operator=by_ref(Operator, "ge"))
    message = refusal.value.message
    assert message.startswith("Cabane Dubern : L'entreprise accepte au plus 1 contact par mois")
    # Both ways, as one sentence: waiting, or sending with the company's agreement.
    assert "Attendez le mois prochain (à partir du 1er " in message
    assert (
        ") ou, si elle a accepté d'être contactée malgré tout (elle a "
        "demandé à être rappelée, par exemple), envoyez quand même en indiquant pourquoi."
    ) in message
    assert "recontactée à partir" not in message
    # The "recently contacted" warning does not block a lead: it is no reason given.
    assert "Déjà contactée" not in message
    db.session.rollback()
    assert count(Lead) == 0 and by_ref(Need, "n1").status == "qualifie"


@pytest.mark.parametrize("reason", ["", "   \n ", "x" * 2001])
def test_sending_anyway_needs_a_reason(at_cap, reason):
    with pytest.raises(TransitionError) as refusal:
        send_lead(
            db.session,
            needs=[by_ref(Need, "n1")],
            operator=by_ref(Operator, "ge"),
            over_cap_reason=reason,
        )
    assert set(refusal.value.errors) == {"over_cap_reason"}
    assert refusal.value.message.startswith(("Indiquez pourquoi", "Ce texte ne doit pas"))
    db.session.rollback()
    assert (count(Lead), count(Referral)) == (0, 0)
    assert by_ref(Need, "n1").status == "qualifie"


def test_a_lead_sent_anyway_records_why_in_its_log_and_on_the_timeline(at_cap):
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "n1")],
        operator=by_ref(Operator, "ge"),
        over_cap_reason=f"  {OVER_CAP}  ",
    )
    referral = send_referral(
        db.session, need=by_ref(Need, "n2"), partner=by_ref(Partner, "ft"), over_cap_reason=OVER_CAP
    )
    db.session.commit()
    passed = _start_log("lead", lead.id).reason_text
    assert passed == (
        "Envoyé au-delà du plafond de contacts accepté par Cabane Dubern "
        f"(1 par mois, déjà 1 en {_month()}) : {OVER_CAP}"
    )
    assert f"(1 par mois, déjà 2 en {_month()})" in _start_log("referral", referral.id).reason_text
    events = {e.kind: e for e in company_timeline(db.session, by_ref(Company, "c1"))}
    assert events["proposition"].summary.endswith(f". {passed}")
    assert events["orientation"].summary.endswith(f" : {OVER_CAP}")
    assert by_ref(Need, "n1").status == "propose"


def _month() -> str:
    today = local_today()
    return month_fr(today.year, today.month)


def test_a_reason_is_not_recorded_when_the_company_was_under_its_cap(world):
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "n1")],
        operator=by_ref(Operator, "ge"),
        over_cap_reason=OVER_CAP,
    )
    db.session.commit()
    assert _start_log("lead", lead.id).reason_text is None


def test_a_company_that_asked_not_to_be_solicited_is_never_sent_anyway(at_cap):
    by_ref(Company, "c1").do_not_solicit = True
    with pytest.raises(TransitionError, match="ne plus être sollicitée") as refusal:
        send_lead(
            db.session,
            needs=[by_ref(Need, "n1")],
            operator=by_ref(Operator, "ge"),
            over_cap_reason=OVER_CAP,
        )
    assert "envoyer quand même" not in refusal.value.message
    with pytest.raises(TransitionError, match="ne plus être sollicitée"):
        send_referral(
            db.session,
            need=by_ref(Need, "n2"),
            partner=by_ref(Partner, "ft"),
            over_cap_reason=OVER_CAP,
        )
    db.session.rollback()
    assert (count(Lead), count(Referral)) == (0, 0)
