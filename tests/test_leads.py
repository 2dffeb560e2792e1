"""What operators do with leads and partners with referrals: states, log, placement, mail."""

from datetime import date

import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.accounts import create_user
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import (
    Candidate,
    FollowUpPoint,
    Need,
    Operator,
    Partner,
    Placement,
    Transition,
)
from connectences.workflows import LEAD, REFERRAL, AlreadyDone, LeadState, TransitionError
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead, send_referral
from tests import factories as f
from tests.helpers import by_ref, mails_to
from tests.known_secrets import PASSWORD


@pytest.fixture
def animateur():
    f.load(f.dispatch_document(candidates=[f.candidate(ref="other", days=["tue", "thu"])]))
    user = create_user(db.session, "anim@exemple.fr", "animateur", password=PASSWORD)
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    db.session.commit()
    return user


def _lead(animateur, refs=("n1",), candidates=("ok",)):
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, r) for r in refs],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, c) for c in candidates],
        actor=animateur,
    )
    db.session.commit()
    return lead


def _log(workflow, entity_id):
    return [(t.from_state, t.to_state) for t in workflows.history(db.session, workflow, entity_id)]


def test_lead_happy_path_is_logged(animateur):
    lead = _lead(animateur)
    assert flow.mark_seen(db.session, lead) is True
    assert flow.mark_seen(db.session, lead) is False  # a second opening changes nothing
    flow.accept(db.session, lead)
    flow.start_contacting(db.session, lead)
    db.session.commit()
    assert _log(LEAD, lead.id) == [
        (None, "envoye"),
        ("envoye", "vu"),
        ("vu", "accepte"),
        ("accepte", "en_cours"),
    ]


@pytest.mark.parametrize(
    "state, action",
    [
        ("envoye", "start_contacting"),
        ("vu", "start_contacting"),
        ("accepte", "accept"),
        ("en_cours", "refuse"),
        ("refuse", "accept"),
        ("rendu", "hand_back"),
        ("sans_suite", "close_without_outcome"),
    ],
)
def test_refused_lead_transitions_change_nothing(animateur, state, action):
    lead = _lead(animateur)
    lead.status = state  # set up the state directly: the move under test is the refusal
    db.session.commit()
    before = len(_log(LEAD, lead.id))
    call = {
        "start_contacting": lambda: flow.start_contacting(db.session, lead),
        "accept": lambda: flow.accept(db.session, lead),
        "refuse": lambda: flow.refuse(db.session, lead, "doublon"),
        "hand_back": lambda: flow.hand_back(db.session, lead, "Pas pour nous"),
        "close_without_outcome": lambda: flow.close_without_outcome(db.session, lead),
    }[action]
    # The very state asked for again (a form sent twice) says it is done already.
    with pytest.raises(TransitionError, match="Cette proposition |La proposition est déjà"):
        call()
    db.session.rollback()
    assert lead.status == state
    assert len(_log(LEAD, lead.id)) == before


# Each thing an operator does to a lead, and the state it asks for.
OPERATOR_MOVES = {
    "accept": ("accepte", lambda lead: flow.accept(db.session, lead)),
    "start_contacting": ("en_cours", lambda lead: flow.start_contacting(db.session, lead)),
    "refuse": ("refuse", lambda lead: flow.refuse(db.session, lead, "doublon")),
    "hand_back": ("rendu", lambda lead: flow.hand_back(db.session, lead, "Pas pour nous")),
    "close_without_outcome": (
        "sans_suite",
        lambda lead: flow.close_without_outcome(db.session, lead),
    ),
    "record_placement": (
        "place",
        lambda lead: flow.record_placement(
            db.session,
            lead,
            candidate=by_ref(Candidate, "ok"),
            needs=[by_ref(Need, "n1")],
            hours_per_week=by_ref(Need, "n1").hours_per_week,
            contract="cdi",
            start_date=date(2027, 1, 31),
        ),
    ),
}


@pytest.mark.parametrize("action", sorted(OPERATOR_MOVES))
@pytest.mark.parametrize("state", [s.value for s in LeadState])
def test_every_move_an_operator_cannot_make_says_what_to_do_instead(animateur, state, action):
    """« Impossible de passer de « Vu » à « En cours » » named the machine's states and no
    way forward: each state × action the machine refuses says it in the operator's words."""
    target, call = OPERATOR_MOVES[action]
    lead = _lead(animateur)
    lead.status = state
    by_ref(Need, "n1").status = "propose" if state in workflows.LEAD_LIVE else "en_recherche"
    db.session.commit()
    if target in LEAD.allowed(state) or (state, action) == ("envoye", "accept"):
        return  # a move it makes (accepting a new lead opens it first)
    before = len(_log(LEAD, lead.id))
    with pytest.raises(TransitionError) as refused:
        call(lead)
    said = refused.value.message
    assert "Impossible de passer" not in said
    if state == target and isinstance(refused.value, AlreadyDone):
        assert said.endswith("rien n'a été modifié.")  # a form sent twice: done already
    else:
        assert said == LEAD.impossible.get((state, target), LEAD.impossible.get(state))
        assert said.startswith("Cette proposition ") and said.endswith("Rien n'a été modifié.")
    db.session.rollback()
    assert lead.status == state and len(_log(LEAD, lead.id)) == before


def test_a_lead_not_accepted_says_to_accept_it_first(animateur):
    lead = _lead(animateur)
    flow.mark_seen(db.session, lead)
    with pytest.raises(TransitionError) as refused:
        flow.start_contacting(db.session, lead)
    assert refused.value.message == (
        "Cette proposition n'est pas encore acceptée : choisissez d'abord « Accepter la "
        "proposition » ; vous pourrez ensuite dire que vous avez contacté les candidats, puis "
        "enregistrer le placement. Rien n'a été modifié."
    )
    with pytest.raises(TransitionError, match="déjà acceptée : elle ne peut plus être refusée"):
        flow.accept(db.session, lead)
        flow.refuse(db.session, lead, "doublon")


def test_refuse_needs_closed_reason_and_text_for_autre(animateur):
    lead = _lead(animateur)
    with pytest.raises(TransitionError, match="liste"):
        flow.refuse(db.session, lead, "pas_envie")
    with pytest.raises(TransitionError, match="autre"):
        flow.refuse(db.session, lead, "autre", "  ")
    db.session.rollback()
    assert lead.status == "envoye"


def test_refuse_sends_need_back_and_tells_animateur(animateur):
    lead = _lead(animateur)
    flow.refuse(db.session, lead, "autre", "Trop loin de nos adhérents", actor=None)
    db.session.commit()
    assert lead.status == "refuse"
    assert (lead.refusal_reason, lead.refusal_text) == ("autre", "Trop loin de nos adhérents")
    last = workflows.history(db.session, LEAD, lead.id)[-1]
    assert (last.reason_code, last.reason_text) == ("autre", "Trop loin de nos adhérents")
    assert by_ref(Need, "n1").status == "en_recherche"
    mails = mails_to("anim@exemple.fr")
    assert len(mails) == 1 and "Trop loin de nos adhérents" in mails[0].body_text
    assert "/animateur/besoins/n1" in mails[0].body_text


def test_hand_back_requires_text_and_frees_the_needs(animateur):
    lead = _lead(animateur, refs=("n1", "n2"))
    flow.mark_seen(db.session, lead)
    with pytest.raises(TransitionError, match="rendez"):
        flow.hand_back(db.session, lead, " ")
    flow.hand_back(db.session, lead, "Adhérents complets ce trimestre")
    db.session.commit()
    assert lead.status == "rendu"
    assert {by_ref(Need, r).status for r in ("n1", "n2")} == {"en_recherche"}
    assert _log(LEAD, lead.id)[-1] == ("vu", "rendu")
    assert "rendu" in mails_to("anim@exemple.fr")[0].subject


def test_close_without_outcome(animateur):
    lead = _lead(animateur)
    flow.accept(db.session, lead)
    flow.close_without_outcome(db.session, lead, "Entreprise a renoncé")
    db.session.commit()
    assert lead.status == "sans_suite" and by_ref(Need, "n1").status == "en_recherche"


@pytest.mark.parametrize(
    # The placement takes both of the person's days: full for good when open-ended; a
    # six-month CDD gives the week back when it ends, so the person stays en mission; so
    # does a CDD of 0 months (under a month: a month's commitment), not an open-ended one.
    # Followed at 1, 3 and 6 months, as far as the contract goes: the six-month CDD ends
    # the day before its 6-month point, which says whether it ran to its term.
    "contract, months, person_status, points",
    [
        ("cdi_temps_partage", None, "place", (1, 3, 6)),
        ("cdd", 6, "en_mission", (1, 3, 6)),
        ("cdd", 0, "en_mission", (1,)),
    ],
)
def test_placement_effects(animateur, contract, months, person_status, points):
    lead = _lead(animateur, refs=("n1", "n2"))
    flow.accept(db.session, lead)
    for ref in ("n1", "n2"):
        by_ref(Need, ref).duration_months = months
    person = by_ref(Candidate, "ok")
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=person,
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        hours_per_week=21,
        contract=contract,
        start_date=date(2027, 1, 31),
    )
    db.session.commit()
    assert lead.status == "place"
    assert person.status == person_status
    assert {by_ref(Need, r).status for r in ("n1", "n2")} == {"pourvu"}
    person_log = db.session.scalars(
        select(Transition).where(
            Transition.entity == "candidate", Transition.entity_id == person.id
        )
    ).all()
    assert [(t.from_state, t.to_state) for t in person_log] == [("disponible", person_status)]
    planned = db.session.scalars(
        select(FollowUpPoint)
        .where(FollowUpPoint.placement_id == placement.id)
        .order_by(FollowUpPoint.months)
    ).all()
    due = {1: date(2027, 2, 28), 3: date(2027, 4, 30), 6: date(2027, 7, 31)}
    assert [(p.months, p.due_on) for p in planned] == [(m, due[m]) for m in points]
    assert sorted(n.need.ref for n in placement.needs) == ["n1", "n2"]
    assert "Placement" in mails_to("anim@exemple.fr")[0].subject


def test_placement_refuses_candidate_not_in_lead_and_foreign_need(animateur):
    lead = _lead(animateur, refs=("n1",))
    flow.accept(db.session, lead)
    db.session.commit()
    kwargs = dict(hours_per_week=7, contract="cdd", start_date=date(2027, 1, 4))
    with pytest.raises(TransitionError, match="candidats proposés"):
        flow.record_placement(
            db.session,
            lead,
            candidate=by_ref(Candidate, "other"),
            needs=[by_ref(Need, "n1")],
            **kwargs,
        )
    with pytest.raises(TransitionError, match="ne fait pas partie"):
        flow.record_placement(
            db.session,
            lead,
            candidate=by_ref(Candidate, "ok"),
            needs=[by_ref(Need, "n2")],
            **kwargs,
        )
    db.session.rollback()
    assert lead.status == "accepte"
    assert by_ref(Candidate, "other").status == "disponible"
    assert by_ref(Need, "n1").status == "propose"
    assert db.session.scalars(select(FollowUpPoint)).all() == []


def test_placement_before_acceptance_is_refused(animateur):
    lead = _lead(animateur)
    with pytest.raises(TransitionError, match="pas encore acceptée"):
        flow.record_placement(
            db.session,
            lead,
            candidate=by_ref(Candidate, "ok"),
            needs=[by_ref(Need, "n1")],
            hours_per_week=7,
            contract="cdi",
            start_date=date(2027, 1, 4),
        )
    db.session.rollback()
    assert lead.status == "envoye" and by_ref(Candidate, "ok").status == "disponible"


def test_follow_up_records_feedback(animateur):
    lead = _lead(animateur)
    flow.accept(db.session, lead)
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1")],
        hours_per_week=7,
        contract="cdi",
        start_date=date(2027, 1, 4),
    )
    point = placement.follow_ups[0]
    # Not before the person's first day, then once.
    with pytest.raises(TransitionError, match="commence le 04/01/2027"):
        flow.record_follow_up(
            db.session, point, company_feedback="Bien", candidate_feedback=None, holds=True
        )
    # Started a year earlier, its 1-month point with it (a point is not recorded before
    # its window: ``flow.point_opens_on``).
    placement.start_date, point.due_on = date(2026, 1, 4), date(2026, 2, 4)
    with pytest.raises(TransitionError):
        flow.record_follow_up(
            db.session, point, company_feedback="", candidate_feedback=None, holds=True
        )
    flow.record_follow_up(
        db.session, point, company_feedback="Très satisfait", candidate_feedback="", holds=True
    )
    db.session.commit()
    assert point.done_at is not None and point.holds is True
    assert (point.company_feedback, point.candidate_feedback) == ("Très satisfait", None)
    with pytest.raises(TransitionError, match="a été enregistré entre-temps"):
        flow.record_follow_up(
            db.session, point, company_feedback="Finalement non", candidate_feedback="", holds=False
        )
    assert point.holds is True


def _referral(animateur):
    referral = send_referral(
        db.session, need=by_ref(Need, "n1"), partner=by_ref(Partner, "ft"), actor=animateur
    )
    db.session.commit()
    return referral


def test_referral_path_and_outcome(animateur):
    referral = _referral(animateur)
    assert flow.receive(db.session, referral) is True
    assert flow.receive(db.session, referral) is False
    flow.take_charge(db.session, referral)
    with pytest.raises(TransitionError, match="issue"):
        flow.close_referral(db.session, referral, "  ")
    flow.close_referral(db.session, referral, "Recrutement en alternance lancé")
    db.session.commit()
    assert referral.outcome == "Recrutement en alternance lancé"
    assert _log(REFERRAL, referral.id) == [
        (None, "envoyee"),
        ("envoyee", "recue"),
        ("recue", "prise_en_charge"),
        ("prise_en_charge", "close"),
    ]
    assert "alternance" in mails_to("anim@exemple.fr")[0].body_text


def test_referral_refusal_frees_need(animateur):
    referral = _referral(animateur)
    flow.receive(db.session, referral)
    flow.refuse_referral(db.session, referral, "deja_suivi")
    db.session.commit()
    assert referral.status == "refusee" and referral.refusal_reason == "deja_suivi"
    assert by_ref(Need, "n1").status == "en_recherche"
    assert len(mails_to("anim@exemple.fr")) == 1


@pytest.mark.parametrize(
    "state, said",
    [
        ("close", "Cette réorientation est close, son issue enregistrée"),
        ("refusee", "Cette réorientation a été refusée : le besoin est revenu à l'animateur"),
        ("sans_suite", "Cette réorientation est classée sans suite"),
    ],
)
def test_final_referral_cannot_move(animateur, state, said):
    # Said in the partner's words, never the machine's « Impossible de passer de … ».
    referral = _referral(animateur)
    referral.status = state
    db.session.commit()
    with pytest.raises(TransitionError, match=said):
        flow.take_charge(db.session, referral)
    with pytest.raises(TransitionError, match=f"{said}|La réorientation est déjà"):
        flow.refuse_referral(db.session, referral, "deja_suivi")
    with pytest.raises(TransitionError, match=f"{said}|La réorientation est déjà"):
        flow.close_referral(db.session, referral, "Embauche")
    db.session.rollback()
    assert referral.status == state and len(_log(REFERRAL, referral.id)) == 1


def test_refusal_motif_is_chosen_never_defaulted_and_risky_actions_confirm(app):
    from flask import render_template_string

    with app.test_request_context():
        html = render_template_string(
            '{% from "_forms.html" import refusal_form %}{{ refusal_form("/x", reasons) }}',
            reasons={"complet": "Complet", "autre": "Autre"},
        )
    assert '<option value="" selected>Choisissez un motif</option>' in html
    assert 'value="complet">' in html and 'value="complet" selected' not in html
    # A secondary button that opens the confirmation step, not the action itself.
    assert '<summary class="button button-secondary">Refuser…</summary>' in html
    assert "Confirmer le refus" in html


def test_a_need_another_live_lead_holds_stays_proposed(animateur):
    first = _lead(animateur)
    need = by_ref(Need, "n1")
    need.status = "en_recherche"  # set up directly: a second lead now carries the need too
    db.session.commit()
    second = _lead(animateur)
    flow.refuse(db.session, first, "doublon")
    db.session.commit()
    assert need.status == "propose"
    flow.refuse(db.session, second, "doublon")
    db.session.commit()
    assert need.status == "en_recherche"


def test_a_need_another_live_referral_holds_stays_reoriented(animateur):
    first = _referral(animateur)
    need = by_ref(Need, "n1")
    need.status = "en_recherche"  # set up directly: a second referral now carries it too
    db.session.commit()
    second = _referral(animateur)
    flow.refuse_referral(db.session, first, "doublon")
    db.session.commit()
    assert need.status == "reoriente"
    flow.refuse_referral(db.session, second, "doublon")
    db.session.commit()
    assert need.status == "en_recherche"


def test_the_accepted_lead_s_mail_answers_to_the_animateur_who_proposed(animateur):
    lead = _lead(animateur)
    member = create_user(db.session, "ines@exemple.fr", "operator", password=PASSWORD, org_ref="ge")
    flow.accept(db.session, lead, actor=member)
    db.session.commit()
    told = mails_to("ines@exemple.fr")[-1]
    assert "Proposition acceptée" in told.subject
    assert told.reply_to == "anim@exemple.fr"
    # The animateur gone, a question reaches the platform's contact address.
    animateur.active = False
    db.session.commit()
    assert flow.creator_reply_to(db.session, lead) == "contact@connectences.local"


def test_abandoning_a_proposed_need_withdraws_its_lead_and_tells_the_operator(animateur):
    # Found by two audits: the lead stayed live; the operator could still accept it and
    # be mailed the company's details for a need the platform had dropped.
    from connectences.needs.moves import move_by_hand

    lead = _lead(animateur)
    flow.mark_seen(db.session, lead)
    db.session.commit()
    move_by_hand(db.session, by_ref(Need, "n1"), "abandonne", actor=animateur,
                 reason_code="autre", reason_text="L'entreprise a recruté seule")  # fmt: skip
    db.session.commit()
    assert lead.status == "sans_suite"
    told = mails_to("ge@exemple.fr")[-1]
    assert "besoin est abandonné" in told.body_text
    # Its link opens the operator's lead page, and says so (not « le besoin », an
    # animateur's page the operator cannot open).
    link = f"/operateur/propositions/{lead.id}"
    assert f"Consultez la proposition\xa0: http://localhost{link}" in told.body_text
    assert "Consultez le besoin" not in told.body_text
    assert f'{link}">Consulter la proposition</a>' in told.body_html
    # The operator's question reaches the animateur who proposed, not the no-reply.
    assert told.reply_to == "anim@exemple.fr"
    with pytest.raises(TransitionError):
        flow.accept(db.session, lead)


def test_abandoning_a_reoriented_need_tells_its_partner_and_closes_what_is_not_begun(animateur):
    from connectences.needs.moves import move_by_hand

    referral = _referral(animateur)
    db.session.commit()
    move_by_hand(db.session, by_ref(Need, "n1"), "abandonne", actor=animateur,
                 reason_code="besoin_disparu")  # fmt: skip
    db.session.commit()
    assert referral.status == "sans_suite"
    told = mails_to("ft@exemple.fr")[-1]
    assert "Réorientation retirée" in told.subject and "besoin est abandonné" in told.body_text
    link = f"/partenaire/reorientations/{referral.id}"
    assert f"Consultez la réorientation\xa0: http://localhost{link}" in told.body_text
    assert f'{link}">Consulter la réorientation</a>' in told.body_html
    assert told.reply_to == "anim@exemple.fr"


def test_reorienting_a_proposed_need_withdraws_its_lead_and_no_placement_follows(animateur):
    lead = _lead(animateur)
    flow.mark_seen(db.session, lead)
    flow.accept(db.session, lead)
    db.session.commit()
    send_referral(
        db.session, need=by_ref(Need, "n1"), partner=by_ref(Partner, "ft"), actor=animateur
    )
    db.session.commit()
    assert lead.status == "sans_suite"
    assert by_ref(Need, "n1").status == "reoriente"
    with pytest.raises(TransitionError):
        flow.record_placement(
            db.session, lead, candidate=by_ref(Candidate, "ok"), needs=[by_ref(Need, "n1")],
            hours_per_week=8, contract="cdi_temps_partage", start_date=local_today(),
        )  # fmt: skip


def test_a_bundle_lead_keeps_living_for_its_other_need_but_not_for_the_abandoned_one(animateur):
    from connectences.needs.moves import move_by_hand

    lead = _lead(animateur, refs=("n1", "n2"))
    flow.mark_seen(db.session, lead)
    flow.accept(db.session, lead)
    db.session.commit()
    move_by_hand(db.session, by_ref(Need, "n1"), "abandonne", actor=animateur,
                 reason_code="autre", reason_text="Fermeture")  # fmt: skip
    db.session.commit()
    assert lead.status == "accepte"  # n2 is still proposed to the operator
    with pytest.raises(TransitionError, match="ne peut plus être pourvu"):
        flow.record_placement(
            db.session, lead, candidate=by_ref(Candidate, "ok"), needs=[by_ref(Need, "n1")],
            hours_per_week=8, contract="cdi_temps_partage", start_date=local_today(),
        )  # fmt: skip


def test_a_company_leaving_an_accepted_bundle_is_told_to_its_operator(animateur):
    """Found living shared time: one company of an accepted bundle stopped its need; the
    lead went on for the other one without a word to the operator, whose page still
    showed the week, the hours and the form with both companies (the placement then
    refused « ne peut plus être pourvu »)."""
    from connectences.needs.moves import move_by_hand

    lead = _accepted_bundle(animateur)
    before = len(mails_to("ge@exemple.fr"))
    move_by_hand(db.session, by_ref(Need, "n1"), "abandonne", actor=animateur,
                 reason_code="autre", reason_text="Fermeture")  # fmt: skip
    db.session.commit()
    assert lead.status == "accepte"
    told = mails_to("ge@exemple.fr")[before:]
    assert len(told) == 1
    text = " ".join(told[0].body_text.split())
    c1, c2 = by_ref(Need, "n1").company.name, by_ref(Need, "n2").company.name
    assert c1 in told[0].subject
    assert f"« {by_ref(Need, 'n1').title} » ({c1}) n'est plus à pourvoir" in text
    assert "le besoin est abandonné" in text
    assert f"avec {c2} seule : 14 h par semaine, le jeudi" in text
    assert told[0].reply_to == "anim@exemple.fr"
    # What the operator reads and places is what is still held.
    assert flow.needs_in_play(lead) == [by_ref(Need, "n2")]


def test_a_bundle_need_withdrawn_before_acceptance_is_out_of_play_too(animateur):
    from connectences.needs.moves import move_by_hand

    lead = _lead(animateur, refs=("n1", "n2"))
    assert flow.needs_in_play(lead) == [by_ref(Need, "n1"), by_ref(Need, "n2")]
    move_by_hand(db.session, by_ref(Need, "n2"), "abandonne", actor=animateur,
                 reason_code="besoin_disparu")  # fmt: skip
    db.session.commit()
    assert flow.needs_in_play(lead) == [by_ref(Need, "n1")]
    # A lead no longer live keeps the needs it was sent with, for its history.
    move_by_hand(db.session, by_ref(Need, "n1"), "abandonne", actor=animateur,
                 reason_code="besoin_disparu")  # fmt: skip
    db.session.commit()
    assert lead.status == "sans_suite"
    assert len(flow.needs_in_play(lead)) == 2


def test_bundle_placed_in_part_frees_the_needs_left_out(animateur):
    lead = _lead(animateur, refs=("n1", "n2"))
    flow.accept(db.session, lead)
    flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1")],
        hours_per_week=7,
        contract="cdi_temps_partage",
        start_date=date(2027, 1, 4),
    )
    db.session.commit()
    left_out = by_ref(Need, "n2")
    assert lead.status == "place" and by_ref(Need, "n1").status == "pourvu"
    # Back in the search, so it can be proposed to an operator again.
    assert left_out.status == "en_recherche"
    last = workflows.history(db.session, workflows.NEED, left_out.id)[-1]
    assert (last.from_state, last.to_state) == ("propose", "en_recherche")
    assert "Non retenu au placement" in last.reason_text
    assert "de nouveau en recherche" in " ".join(mails_to("anim@exemple.fr")[0].body_text.split())


def _accepted_bundle(animateur):
    lead = _lead(animateur, refs=("n1", "n2"))
    flow.accept(db.session, lead)
    db.session.commit()
    return lead


def _place_bundle(animateur, hours: float, lead=None, confirm_hours=None, **kw):
    """Place the person "ok" in both needs of the bundle; ``confirm_hours``: the hours the
    operator confirmed for them, when asked."""
    if lead is None:
        lead = _accepted_bundle(animateur)
    if confirm_hours is not None:
        kw["confirmed"] = flow.placement_confirmation(by_ref(Candidate, "ok").id, confirm_hours)
    flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        hours_per_week=hours,
        contract="cdi_temps_partage",
        start_date=date(2027, 1, 4),
        **kw,
    )
    db.session.commit()
    return lead


def test_a_bundle_placed_at_its_hours_is_one_commitment_per_company(animateur):
    """The person's week then says who takes each day: Tuesday at the first company,
    Thursday at the second, not the whole job's hours and every company on both days."""
    from connectences.cvtheque.commitments import week_view

    lead = _place_bundle(animateur, 21)
    person = by_ref(Candidate, "ok")
    held = sorted(
        (c.hours_per_week, tuple(c.days), c.label, c.placement_id) for c in person.commitments
    )
    placement_id = db.session.scalars(select(Placement.id)).one()
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    assert held == [
        (7.0, ("tue",), f"{n1.company.name}, {lead.operator.name}", placement_id),
        (14.0, ("thu",), f"{n2.company.name}, {lead.operator.name}", placement_id),
    ]
    rows = {row.day: row.taken_by for row in week_view(person, date(2027, 1, 4)).rows}
    assert rows["mardi"] == [f"7 h par semaine — {n1.company.name}, {lead.operator.name}"]
    assert rows["jeudi"] == [f"14 h par semaine — {n2.company.name}, {lead.operator.name}"]


def test_a_bundle_placed_at_other_hours_keeps_one_commitment(animateur):
    """How hours the operator changed are shared among the companies is not known: the
    placement stays one commitment over the bundle's days, as typed."""
    _place_bundle(animateur, 18, confirm_hours=18)
    (held,) = by_ref(Candidate, "ok").commitments
    assert held.hours_per_week == 18 and sorted(held.days) == ["thu", "tue"]


def test_a_bundle_placed_at_other_hours_than_its_total_asks_for_a_confirmation(animateur):
    """A 21 h bundle placed at 40 h, for a person who accepts up to 48 h: within their
    free time, so nothing else would ask. The operator is told the total and what will
    be written, and only a confirmation of those very hours writes it."""
    person = by_ref(Candidate, "ok")
    person.hours_max = 48
    lead = _accepted_bundle(animateur)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    first, second = sorted([(n1.company.name, "7 h"), (n2.company.name, "14 h")])
    with pytest.raises(flow.PlacementOverWeek) as asked:
        _place_bundle(animateur, 40, lead=lead)
    assert asked.value.hours == 40
    assert asked.value.message == (
        f"Les besoins choisis font 21 h par semaine en tout ({first[0]} {first[1]}, "
        f"{second[0]} {second[1]}), vous indiquez 40 h : sera enregistré un engagement "
        f"de 40 h par semaine le mardi et le jeudi ({n1.company.name}, {n2.company.name}), "
        "faute de savoir comment ces heures se répartissent entre les entreprises "
        "(à 21 h, un engagement par entreprise aux heures de son besoin). "
        "Confirmez pour l'enregistrer quand même."
    )
    db.session.rollback()
    assert by_ref(Candidate, "ok").commitments == [] and lead.status == "accepte"
    # A confirmation given for other hours (the figure changed after the warning) is not one.
    with pytest.raises(flow.PlacementOverWeek, match="vous indiquez 40 h"):
        _place_bundle(animateur, 40, lead=lead, confirm_hours=33)
    db.session.rollback()
    assert by_ref(Candidate, "ok").commitments == []
    _place_bundle(animateur, 40, lead=lead, confirm_hours=40)
    (held,) = by_ref(Candidate, "ok").commitments
    assert held.hours_per_week == 40 and held.days == ["tue", "thu"]


def test_a_lead_of_one_need_placed_at_other_hours_asks_for_a_confirmation(animateur):
    """A 20 h need could be placed at 40 h without a question (only a bundle asked)."""
    lead = _lead(animateur, refs=("n1",))
    flow.accept(db.session, lead)
    db.session.commit()
    need = by_ref(Need, "n1")
    place = dict(
        candidate=by_ref(Candidate, "ok"), needs=[need], contract="cdi_temps_partage",
        start_date=date(2027, 1, 4),
    )  # fmt: skip
    with pytest.raises(flow.PlacementOverWeek) as asked:
        flow.record_placement(db.session, lead, hours_per_week=9, **place)
    assert asked.value.message == (
        f"Le besoin « {need.title} » fait 7 h par semaine, vous indiquez 9 h : sera "
        "enregistré un engagement de 9 h par semaine le mardi "
        f"({need.company.name}). Confirmez pour l'enregistrer quand même."
    )
    assert asked.value.hours == 9
    assert asked.value.confirmation == flow.placement_confirmation(by_ref(Candidate, "ok").id, 9)

    def asked_for(hours):
        return flow.placement_confirmation(by_ref(Candidate, "ok").id, hours)

    db.session.rollback()
    # Confirmed for other hours: asked again; at its need's hours: nothing to ask.
    with pytest.raises(flow.PlacementOverWeek, match="vous indiquez 9 h"):
        flow.record_placement(db.session, lead, hours_per_week=9, confirmed=asked_for(7), **place)
    db.session.rollback()
    assert flow.hours_to_confirm(lead, [need], 7) is None
    flow.record_placement(db.session, lead, hours_per_week=9, confirmed=asked_for(9), **place)
    db.session.commit()
    assert [c.hours_per_week for c in by_ref(Candidate, "ok").commitments] == [9]


def test_a_bundle_placed_at_its_total_asks_nothing_whatever_the_float_sum(animateur):
    by_ref(Need, "n1").hours_per_week = 7.1
    by_ref(Need, "n2").hours_per_week = 13.2  # 7.1 + 13.2 is 20.299999999999997
    _place_bundle(animateur, 20.3)
    assert len(by_ref(Candidate, "ok").commitments) == 2


def test_a_bundle_placed_in_one_of_its_needs_at_other_hours_asks_for_a_confirmation(animateur):
    lead = _accepted_bundle(animateur)
    n1 = by_ref(Need, "n1")
    # The form proposes the bundle's 21 h: kept while only one company is ticked.
    assert flow.hours_to_confirm(lead, [n1], 21) == (
        f"Le besoin choisi fait 7 h par semaine en tout ({n1.company.name} 7 h), vous "
        f"indiquez 21 h : sera enregistré un engagement de 21 h par semaine le mardi "
        f"({n1.company.name})."
    )
    assert flow.hours_to_confirm(lead, [n1], 7) is None


def _hold_days(person, days, until=None, start=None, hours=2.0):
    from connectences.models import Commitment

    person.commitments.append(
        Commitment(hours_per_week=hours, days=days, until=until, start=start, label="Mairie")
    )
    db.session.commit()


def test_a_placement_making_a_seventh_working_day_is_refused_even_confirmed(animateur):
    """Code du travail L3132-1: six days a week at most. Work held on Monday, Wednesday,
    Friday, Saturday and Sunday leaves Tuesday and Thursday; a bundle taking both is a
    seventh day, refused outright with the days named and nothing written."""
    person = by_ref(Candidate, "ok")
    person.hours_max = 48
    _hold_days(person, ["mon", "wed", "fri", "sat", "sun"])
    lead = _accepted_bundle(animateur)
    with pytest.raises(TransitionError) as refused:
        _place_bundle(animateur, 21, lead=lead, confirm_hours=21)
    assert not isinstance(refused.value, flow.PlacementOverWeek)
    assert refused.value.errors == {"needs": refused.value.message}
    assert refused.value.message == (
        f"Placement impossible pour {person.first_name} {person.last_name}. Ce travail le mardi et "
        "le jeudi ; les autres engagements prennent déjà le lundi, le mercredi, le vendredi, "
        "le samedi et le dimanche : la semaine compterait sept jours de travail, plus que "
        "les 6 jours par semaine que permet le Code du travail (article L3132-1, repos "
        "hebdomadaire). Laissez au moins un jour de la semaine sans travail."
    )
    db.session.rollback()
    assert len(by_ref(Candidate, "ok").commitments) == 1 and lead.status == "accepte"
    # One of the two companies leaves Thursday free: six days, allowed.
    flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1")],
        hours_per_week=7,
        contract="cdi_temps_partage",
        start_date=date(2027, 1, 4),
        confirmed=flow.placement_confirmation(by_ref(Candidate, "ok").id, 7),
    )
    db.session.commit()
    assert len(by_ref(Candidate, "ok").commitments) == 2


@pytest.mark.parametrize(
    "held",
    [
        {"until": date(2027, 1, 3)},  # over the day before the placement starts
        {"start": date(2027, 7, 1)},  # starts after the mission ends
    ],
)
def test_work_never_running_with_the_placement_makes_no_seventh_day(animateur, held):
    person = by_ref(Candidate, "ok")
    person.hours_max = 48
    _hold_days(person, ["mon", "wed", "fri", "sat", "sun"], **held)
    lead = _accepted_bundle(animateur)
    flow.record_placement(
        db.session,
        lead,
        candidate=person,
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        hours_per_week=21,
        contract="cdd",
        start_date=date(2027, 1, 4),
        end_date=date(2027, 6, 30),
        confirmed=flow.placement_confirmation(person.id, 21),
    )
    db.session.commit()
    assert len(person.commitments) == 3
