"""Sending leads to operators and referrals to partners: records, state machines, mail."""

import pytest

from connectences import workflows
from connectences.extensions import db
from connectences.models import (
    Candidate,
    Lead,
    Need,
    Operator,
    OutboxMessage,
    Partner,
    Referral,
    Transition,
)
from connectences.workflows import NEED, TransitionError
from connectences.workflows.dispatch import send_lead, send_referral
from tests import factories as f
from tests.helpers import by_ref, count, organisation_mails


@pytest.fixture
def data():
    f.load(
        f.dispatch_document(
            candidates=[f.candidate(ref="weekend", days=["sat", "sun"])],
            needs=[f.need(ref="n3", company="c2", days=["tue"], hours_per_week=7)],
        )
    )


def _qualify(*refs):
    for ref in refs:
        workflows.transition(db.session, by_ref(Need, ref), NEED, "qualifie")
    db.session.commit()


def test_unqualified_need_cannot_be_proposed(data):
    with pytest.raises(TransitionError, match="qualifié"):
        send_lead(db.session, needs=[by_ref(Need, "n1")], operator=by_ref(Operator, "ge"))
    db.session.rollback()
    assert count(Lead) == 0


def test_send_lead_creates_record_moves_need_and_queues_mail(data):
    _qualify("n1")
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "n1")],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
        note="Candidate très motivée",
        reasons=["Le groupement couvre la COBAS."],
    )
    db.session.commit()
    assert lead.status == "envoye" and not lead.is_bundle
    assert [c.candidate.ref for c in lead.candidates] == ["ok"]
    assert lead.candidates[0].score is not None and lead.candidates[0].explanation
    assert by_ref(Need, "n1").status == "propose"
    log = workflows.history(db.session, workflows.LEAD, lead.id)
    assert [(t.from_state, t.to_state) for t in log] == [(None, "envoye")]
    mail = db.session.scalars(organisation_mails()).one()
    assert mail.to == "ge@exemple.fr" and mail.status == "pending"
    assert f"/operateur/propositions/{lead.id}" in mail.body_text
    assert "Candidate très motivée" in mail.body_html
    # Sent by no one in particular, an answer goes to the platform's contact address.
    assert mail.reply_to == "contact@connectences.local"


def test_the_operator_s_answer_to_a_lead_mail_goes_to_the_animateur_who_sent_it(data, auth):
    _qualify("n1")
    animateur = auth.create("animateur", email="anne@connectences.example")
    send_lead(
        db.session, needs=[by_ref(Need, "n1")], operator=by_ref(Operator, "ge"), actor=animateur
    )
    db.session.commit()
    assert db.session.scalars(organisation_mails()).one().reply_to == "anne@connectences.example"


def test_the_partner_s_answer_to_a_referral_mail_goes_to_the_animateur_who_sent_it(data, auth):
    animateur = auth.create("animateur", email="anne@connectences.example")
    send_referral(
        db.session, need=by_ref(Need, "n1"), partner=by_ref(Partner, "ft"), actor=animateur
    )
    db.session.commit()
    assert db.session.scalars(organisation_mails()).one().reply_to == "anne@connectences.example"


def test_candidate_breaking_a_hard_constraint_is_refused_and_nothing_written(data):
    _qualify("n1")
    transitions = count(Transition)
    with pytest.raises(TransitionError, match="jour"):
        send_lead(
            db.session,
            needs=[by_ref(Need, "n1")],
            operator=by_ref(Operator, "ge"),
            candidates=[by_ref(Candidate, "weekend")],
        )
    db.session.rollback()
    assert count(Lead) == 0 and count(OutboxMessage) == 0
    assert count(Transition) == transitions
    assert by_ref(Need, "n1").status == "qualifie"


def test_bundle_lead_is_one_shared_time_job(data):
    _qualify("n1", "n2")
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
    )
    db.session.commit()
    assert lead.is_bundle
    assert sorted(item.need.ref for item in lead.needs) == ["n1", "n2"]
    assert {by_ref(Need, "n1").status, by_ref(Need, "n2").status} == {"propose"}
    assert "temps partagé" in db.session.scalars(organisation_mails()).one().subject


@pytest.mark.parametrize(
    "refs,message", [(("n2", "n3"), "entreprises différentes"), (("n1", "n3"), "même jour")]
)
def test_invalid_bundles_are_refused(data, refs, message):
    _qualify(*refs)
    with pytest.raises(TransitionError, match=message):
        send_lead(
            db.session, needs=[by_ref(Need, r) for r in refs], operator=by_ref(Operator, "ge")
        )
    db.session.rollback()
    assert count(Lead) == 0


def test_send_referral(data):
    need = by_ref(Need, "n1")
    referral = send_referral(
        db.session,
        need=need,
        partner=by_ref(Partner, "ft"),
        reasons=["Emploi à temps plein : recrutement classique."],
    )
    db.session.commit()
    assert referral.status == "envoyee"
    assert need.status == "reoriente"
    mail = db.session.scalars(organisation_mails()).one()
    assert mail.to == "ft@exemple.fr"
    # Sent by no one in particular, the partner's answer goes to the platform's contact
    # address, not to the no-reply sender.
    assert mail.reply_to == "contact@connectences.local"
    assert count(Referral) == 1
    # A need already filled can no longer be re-oriented.
    need2 = by_ref(Need, "n2")
    _qualify("n2")
    for state in ("en_recherche", "propose", "pourvu"):
        workflows.transition(db.session, need2, NEED, state)
    with pytest.raises(TransitionError):
        send_referral(db.session, need=need2, partner=by_ref(Partner, "ft"))


def test_mail_written_as_plain_text_also_gets_an_html_part(app):
    from connectences.mail import queue_mail

    message = queue_mail(
        db.session,
        kind="other",
        to="a@exemple.fr",
        subject="Rappel",
        body_text="Bonjour,\n\nVoir https://exemple.fr/x?a=1&b=<2>\nMerci",
    )
    assert message.body_html.startswith("<!doctype html>")
    assert '<a href="https://exemple.fr/x?a=1&amp;b=">' in message.body_html
    assert "&lt;2&gt;" in message.body_html
    assert "Connect&#39;ences" in message.body_html or "Connect'ences" in message.body_html


def test_a_bundle_is_refused_for_a_person_whose_free_hours_cannot_hold_it():
    # 24 h at most, 16 h already held on Monday: 8 h free; each need fits alone (7 h,
    # 2,5 h) but the job of 9,5 h does not. The pool does not list the person for it
    # (free hours), and the lead must not take them either.
    doc = f.dispatch_document(
        candidates=[
            f.candidate(
                ref="held",
                days=["mon", "tue", "thu"],
                hours_max=24,
                status="en_mission",
                commitments=[{"hours_per_week": 16, "days": ["mon"], "label": "Boulangerie"}],
            )
        ],
        needs=[f.need(ref="n4", company="c2", days=["thu"], hours_per_week=2.5)],
    )
    f.load({**doc, "format": "connectences/v1.1"})
    _qualify("n1", "n4")
    with pytest.raises(TransitionError) as refused:
        send_lead(
            db.session,
            needs=[by_ref(Need, "n1"), by_ref(Need, "n4")],
            operator=by_ref(Operator, "ge"),
            candidates=[by_ref(Candidate, "held")],
        )
    db.session.rollback()
    assert count(Lead) == 0
    # In French, the week held named, the hours with a decimal comma.
    assert "9,5 h" in str(refused.value) and "reste 8 h" in str(refused.value)
    # Someone with the hours free is proposed for the same job.
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "n1"), by_ref(Need, "n4")],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
    )
    assert lead.is_bundle
