"""The follow-up of a placement as a rule of the domain: points answered in order, and an
answer "le recrutement ne tient pas" that ends the placement honestly (its last day, the
person's commitment and status, the later points, the need, the animateur told), or
changes nothing when refused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from connectences import workflows
from connectences.accounts import create_user
from connectences.accounts.audit import action_label, audit
from connectences.cvtheque.erase import erase_candidate, export_candidate
from connectences.exchange.exporter import export_document
from connectences.exchange.validate import validate
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import (
    Candidate,
    CandidateEvent,
    Commitment,
    FollowUpPoint,
    Need,
    Operator,
    OutboxMessage,
    Placement,
    Transition,
)
from connectences.observatory import figures
from connectences.workflows import NEED, TransitionError, inboxes
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead
from tests import factories as f
from tests.helpers import by_ref, count, mails_to, sent_on
from tests.known_secrets import PASSWORD

# Every test of this module lives on 15 June 2027, noon in Arcachon.
NOW = datetime(2027, 6, 15, 10, 0, tzinfo=UTC)
TODAY = date(2027, 6, 15)
START = date(2027, 1, 4)  # the 1-month and 3-month points are due, the 6-month one not yet


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people():
    """The animateur who sends the lead, and a member of the operator who answers it."""
    f.load(f.dispatch_document(candidates=[f.candidate(ref="other", days=["tue", "thu"])]))
    animateur = create_user(
        db.session, "anim@exemple.fr", "animateur", password=PASSWORD, full_name="Anne Imateur"
    )
    member = create_user(
        db.session,
        "olivia@ge.fr",
        "operator",
        password=PASSWORD,
        org_ref="ge",
        full_name="Olivia Opératrice",
    )
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), NEED, "qualifie")
    db.session.commit()
    return animateur, member


def _placed(
    people, *, contract="cdi", refs=("n1",), start=START, who="ok", end=None, **trial
) -> Placement:
    """The candidate ``who`` placed by ``ge`` in the needs ``refs``, from ``start`` (to
    ``end``, the last day of a fixed-term contract, when given; ``trial`` and
    ``trial_end``: the trial period, none asked when not given)."""
    animateur, member = people
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, r) for r in refs],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, who)],
        actor=animateur,
    )
    sent_on(lead, start)
    flow.accept(db.session, lead, member)
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, who),
        needs=[by_ref(Need, r) for r in refs],
        hours_per_week=sum(by_ref(Need, r).hours_per_week for r in refs),  # the bundle's
        contract=contract,
        start_date=start,
        end_date=end,
        actor=member,
        **trial,
    )
    db.session.commit()
    return placement


def _point(placement: Placement, months: int) -> FollowUpPoint:
    return next(p for p in placement.follow_ups if p.months == months)


def _answer(point, member, *, holds=True, **values):
    return flow.record_follow_up(
        db.session,
        point,
        company_feedback=values.pop("company_feedback", "Retour de l'entreprise"),
        candidate_feedback=values.pop("candidate_feedback", None),
        holds=holds,
        actor=member,
        **values,
    )


def _state(placement: Placement) -> dict:
    """What an answer may change, read again from the database."""
    db.session.expire_all()
    person = by_ref(Candidate, "ok")
    # A bundle placed at its total holds one commitment per company, all ending together.
    (until,) = set(
        db.session.scalars(
            select(Commitment.until).where(Commitment.placement_id == placement.id)
        ).all()
    )
    return {
        "points": [
            (p.months, p.done_at is not None, p.holds, p.done_by_id)
            for p in db.session.get(Placement, placement.id).follow_ups
        ],
        "ended": (placement.ended_on, placement.ended_by),
        "until": until,
        "status": person.status,
        "needs": {need.ref: need.status for need in db.session.scalars(select(Need))},
        "mails": count(OutboxMessage),
        "log": count(Transition),
        "history": count(CandidateEvent),
    }


# --- in order --------------------------------------------------------------------------


def test_a_point_waits_for_the_earlier_ones_and_names_the_first_to_record(people):
    placement = _placed(people)
    member = people[1]
    before = _state(placement)
    for months in (3, 6):
        with pytest.raises(TransitionError) as refused:
            _answer(_point(placement, months), member)
        assert refused.value.message == "Enregistrez d'abord le suivi à 1 mois."
        db.session.rollback()
    assert _state(placement) == before

    _answer(_point(placement, 1), member)
    db.session.commit()
    with pytest.raises(TransitionError, match=r"^Enregistrez d'abord le suivi à 3 mois\.$"):
        _answer(_point(placement, 6), member, holds=False)
    db.session.rollback()
    assert [p[1] for p in _state(placement)["points"]] == [True, False, False]
    assert flow.point_to_record(db.session.get(Placement, placement.id)).months == 3


def test_an_answer_records_its_author(people):
    placement = _placed(people)
    _answer(_point(placement, 1), people[1])
    db.session.commit()
    assert _state(placement)["points"][0] == (1, True, True, people[1].id)


# --- "ne tient pas" ----------------------------------------------------------------------


def test_the_animateur_s_mail_of_a_placement_not_holding_elides_de_before_a_vowel(people):
    # Read in a demo's mail: « le placement de Anaïs Lucas ».
    placement = _placed(people)
    _, member = people
    person = by_ref(Candidate, "ok")
    person.first_name, person.last_name = "Inès", "Marchal"
    _answer(_point(placement, 1), member, holds=False, ended_on=TODAY - timedelta(days=1))
    db.session.commit()
    [mail] = [m for m in mails_to("anim@exemple.fr") if "ne tient pas" in m.subject]
    assert "le placement d'Inès Marchal chez" in mail.body_text
    assert "de Inès" not in mail.body_text


def test_not_holding_ends_the_placement_and_frees_the_person(people):
    placement = _placed(people)
    animateur, member = people
    assert by_ref(Candidate, "ok").status == "en_mission"
    _answer(_point(placement, 1), member)
    db.session.commit()
    last_day = TODAY - timedelta(days=10)

    _answer(
        _point(placement, 3),
        member,
        holds=False,
        company_feedback="La personne ne vient plus",
        ended_on=last_day,
    )
    db.session.commit()

    state = _state(placement)
    assert state["ended"] == (last_day, "suivi")
    # The person's week: the placement's hours are free again, for matching too.
    assert state["until"] == last_day
    assert state["status"] == "disponible"
    status_log = db.session.scalars(
        select(Transition).where(Transition.entity == "candidate").order_by(Transition.id)
    ).all()
    assert [(t.from_state, t.to_state) for t in status_log] == [
        ("disponible", "en_mission"),
        ("en_mission", "disponible"),
    ]
    assert status_log[-1].actor_id == member.id
    # The 6-month point is no longer due: not to record, not in the inbox, not reminded.
    assert state["points"][2] == (6, False, None, None)
    assert flow.point_to_record(db.session.get(Placement, placement.id)) is None
    operator_id = by_ref(Operator, "ge").id
    assert db.session.execute(inboxes.placements_to_follow(operator_id)).all() == []
    with pytest.raises(TransitionError, match="a pris fin le 05/06/2027"):
        _answer(_point(placement, 6), member)
    db.session.rollback()
    # The company still needs someone (the default): the need is searched again.
    assert state["needs"]["n1"] == "en_recherche"
    need_log = workflows.history(db.session, NEED, by_ref(Need, "n1").id)
    assert (need_log[-1].from_state, need_log[-1].to_state) == ("pourvu", "en_recherche")
    assert need_log[-1].actor_id == member.id
    assert "ne tient pas" in need_log[-1].reason_text
    # The animateur who sent the lead is told, with the date and the need searched again.
    [mail] = [m for m in mails_to("anim@exemple.fr") if "ne tient pas" in m.subject]
    assert "05/06/2027" in mail.body_text and "de nouveau en recherche" in mail.body_text
    assert "/animateur/besoins/n1" in mail.body_text
    assert mail.candidate_id == by_ref(Candidate, "ok").id  # erased with the person


def test_not_holding_leaves_the_need_filled_when_the_company_needs_nobody(people):
    placement = _placed(people)
    _answer(_point(placement, 1), people[1], holds=False, search_again=False)
    db.session.commit()
    state = _state(placement)
    assert state["ended"] == (TODAY, "suivi")  # the last day defaults to today
    assert state["needs"]["n1"] == "pourvu"
    [mail] = [m for m in mails_to("anim@exemple.fr") if "ne tient pas" in m.subject]
    assert "n'est pas relancé" in mail.body_text


def test_ending_today_frees_the_person_for_what_comes_next(people):
    # Its last day is today: from tomorrow on the person holds no work, which is what
    # their status says as the placement ends (no job would settle it tomorrow).
    placement = _placed(people)
    _answer(_point(placement, 1), people[1], holds=False)
    db.session.commit()
    state = _state(placement)
    assert state["until"] == TODAY and state["status"] == "disponible"


def test_a_bundle_that_does_not_hold_sends_each_of_its_needs_back(people):
    placement = _placed(people, refs=("n1", "n2"))
    _answer(_point(placement, 1), people[1], holds=False)
    db.session.commit()
    assert _state(placement)["needs"] == {"n1": "en_recherche", "n2": "en_recherche"}


def test_a_fixed_term_placement_ends_no_later_than_its_term(people):
    # A one-month mission, to 3 February: run to its term, it held; "does not hold"
    # with a later last day is refused (the need would be relaunched, the animateur
    # told it failed, for a contract that simply ran out), an earlier one ends it.
    placement = _placed(people, contract="mission")
    before = _state(placement)
    assert before["until"] == date(2027, 2, 3)
    with pytest.raises(TransitionError) as refused:
        _answer(_point(placement, 1), people[1], holds=False, ended_on=TODAY - timedelta(days=2))
    assert refused.value.errors["ended_on"] == (
        "Le placement prenait fin le 03/02/2027, terme prévu : le dernier jour travaillé "
        "ne peut pas être après. Allé jusqu'à son terme, il a tenu : répondez « oui »."
    )
    db.session.rollback()
    assert _state(placement) == before
    _answer(_point(placement, 1), people[1], holds=False, ended_on=date(2027, 1, 20))
    db.session.commit()
    assert _state(placement)["until"] == date(2027, 1, 20)
    assert _state(placement)["ended"] == (date(2027, 1, 20), "suivi")


def test_a_last_day_after_a_term_still_ahead_is_told_today_as_its_bound(people):
    """A contract running to 30 September, on 15 June a last day typed in October:
    refused as in the future (at the latest today), not as after the term: « Allé
    jusqu'à son terme, il a tenu : répondez oui » of a term not yet reached, and a
    July date, looking allowed, refused again once typed."""
    placement = _placed(people, contract="cdd", end=date(2027, 9, 30))
    before = _state(placement)
    with pytest.raises(TransitionError) as refused:
        _answer(_point(placement, 1), people[1], holds=False, ended_on=date(2027, 10, 15))
    assert refused.value.errors["ended_on"] == (
        "Le dernier jour travaillé ne peut pas être dans le futur : au plus tard "
        "aujourd'hui (15/06/2027)."
    )
    db.session.rollback()
    assert _state(placement) == before


def test_the_person_keeps_the_status_their_other_work_calls_for(people):
    placement = _placed(people)
    person = by_ref(Candidate, "ok")
    person.commitments.append(
        Commitment(label="Ailleurs", hours_per_week=7, days=["thu"], source="declared")
    )
    db.session.commit()
    _answer(_point(placement, 1), people[1], holds=False)
    db.session.commit()
    state = _state(placement)
    assert state["until"] == TODAY and state["status"] == "en_mission"


@pytest.mark.parametrize(
    "last_day, message",
    [
        # Named as the form's field is labelled: « Dernier jour travaillé ».
        (
            START - timedelta(days=1),
            "Le dernier jour travaillé ne peut pas précéder le début du placement",
        ),
        (TODAY + timedelta(days=1), "Le dernier jour travaillé ne peut pas être dans le futur"),
        ("03/06/2027", "Indiquez le dernier jour travaillé"),  # text not read as a date
    ],
)
def test_an_end_date_out_of_the_placement_is_refused_and_changes_nothing(people, last_day, message):
    placement = _placed(people)
    before = _state(placement)
    with pytest.raises(TransitionError) as refused:
        _answer(_point(placement, 1), people[1], holds=False, ended_on=last_day)
    assert message in refused.value.errors["ended_on"]
    db.session.rollback()
    assert _state(placement) == before


def test_the_first_day_is_a_possible_last_day(people):
    placement = _placed(people)
    _answer(_point(placement, 1), people[1], holds=False, ended_on=START)
    db.session.commit()
    assert _state(placement)["ended"] == (START, "suivi")


def test_a_point_answered_twice_is_refused_and_its_effects_happen_once(people):
    placement = _placed(people)
    _answer(_point(placement, 1), people[1], holds=False)
    db.session.commit()
    before = _state(placement)
    assert before["ended"] == (TODAY, "suivi") and before["needs"]["n1"] == "en_recherche"
    with pytest.raises(TransitionError, match="a été enregistré entre-temps"):
        _answer(_point(placement, 1), people[1], holds=False)
    db.session.rollback()
    assert _state(placement) == before


# --- what else reads the points ----------------------------------------------------------


def _run_follow_ups(now: datetime) -> dict:
    with time_machine.travel(now, tick=False):
        return execute(JOBS_BY_ID["follow_ups"], now=now)


def test_the_points_of_an_ended_placement_are_not_reminded(people):
    placement = _placed(people, start=date(2027, 3, 1))  # its 3-month point is due 1 June
    _answer(_point(placement, 1), people[1], holds=False)
    db.session.commit()
    mails = count(OutboxMessage)
    counts = _run_follow_ups(datetime(2027, 9, 2, 6, tzinfo=UTC))  # the 6-month one too
    assert counts["points"] == 0 and count(OutboxMessage) == mails
    db.session.expire_all()
    assert all(p.reminded_at is None for p in db.session.get(Placement, placement.id).follow_ups)


def test_the_observatory_counts_an_ended_placement_as_no_longer_in_post_after(people):
    held = _placed(people, refs=("n1",))
    ended = _placed(people, refs=("n2",), who="other")
    _answer(_point(held, 1), people[1])
    _answer(_point(ended, 1), people[1], holds=False)
    db.session.commit()
    seen = figures.observatory(db.session, f.COBAS, "tout", now=NOW + timedelta(hours=1))
    rows = {row.label: [c.value for c in row.cells] for row in seen.table("maintien").rows}
    # Followed, still in post, no longer in post, not done yet: the ended placement is
    # known to be out of post at 3 and 6 months, not waiting for a point nobody makes.
    assert rows == {
        "Avant la fin de l'essai": [0, 0, 0, 0],
        "À 1 mois": [2, 1, 1, 0],
        "À 3 mois": [2, 0, 1, 1],
        "À 6 mois": [2, 0, 1, 1],
    }
    # Nor is the person whose placement ended "placed with a week not complete".
    weeks = seen.table("semaines_incompletes")
    assert weeks.rows[0].cells[0].members == frozenset({f"p{held.candidate_id}"})


def test_a_person_whose_placement_ended_can_be_erased(people):
    placement = _placed(people)
    _answer(_point(placement, 1), people[1], holds=False)
    db.session.commit()
    erase_candidate(db.session, by_ref(Candidate, "ok"), reason="demande")
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Placement, placement.id)
    assert kept.candidate_id is None and kept.ended_on == TODAY
    assert [p.holds for p in kept.follow_ups] == [False, None, None]
    assert not [m for m in mails_to("anim@exemple.fr") if "ne tient pas" in m.subject]


def test_the_words_about_an_erased_person_s_placement_go_with_them(people):
    # The points' feedback (the company's words about the person, the person's own) is
    # about them: it goes with the person; what the observatory counts (done, holds) stays.
    placement = _placed(people)
    _answer(
        _point(placement, 1),
        people[1],
        company_feedback="Mme Ok arrive en retard le lundi",
        candidate_feedback="Je m'entends mal avec le gérant",
    )
    db.session.commit()
    erase_candidate(db.session, by_ref(Candidate, "ok"), reason="demande")
    db.session.commit()
    db.session.expire_all()
    point = _point(db.session.get(Placement, placement.id), 1)
    assert (point.company_feedback, point.candidate_feedback) == (None, None)
    assert point.holds is True and point.done_at is not None


def test_a_placement_whose_person_was_erased_can_still_end(people):
    placement = _placed(people)
    erase_candidate(db.session, by_ref(Candidate, "ok"), reason="demande")
    db.session.commit()
    _answer(_point(placement, 1), people[1], holds=False)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).ended_on == TODAY
    assert by_ref(Need, "n1").status == "en_recherche"
    [mail] = [m for m in mails_to("anim@exemple.fr") if "ne tient pas" in m.subject]
    assert "le placement de la personne chez" in mail.body_text and mail.candidate_id is None


def test_the_interchange_export_only_says_the_commitment_ends(people):
    placement = _placed(people)
    person = by_ref(Candidate, "ok")
    person.email_confirmed_at = NOW  # shareable
    db.session.commit()
    _answer(_point(placement, 1), people[1], holds=False, ended_on=TODAY - timedelta(days=1))
    db.session.commit()
    document = export_document()
    assert validate(document) == []
    [exported] = [c for c in document["candidates"] if c["ref"] == "ok"]
    [commitment] = exported["commitments"]
    assert (commitment["hours_per_week"], commitment["until"]) == (7, "2027-06-14")
    assert "follow" not in repr(document) and "ended" not in repr(document)


def test_an_unanswered_holds_is_refused_without_judging_a_last_day(people):
    # A mission past its term: had "no" been answered, today would be refused as its
    # last day; unanswered, only the question is asked.
    placement = _placed(people, contract="mission")
    before = _state(placement)
    with pytest.raises(TransitionError) as refused:
        _answer(_point(placement, 1), people[1], holds=None, ended_on=TODAY)
    assert refused.value.errors == {"holds": "Dites si le recrutement tient."}
    db.session.rollback()
    assert _state(placement) == before


# --- fixed-term placements -------------------------------------------------------------


@pytest.mark.parametrize(
    "contract, end, until, months",
    [
        ("cdi", None, None, [1, 3, 6]),
        # A one-month mission: the 1-month point, the day after its last day, says how
        # it went; none later (the operator was reminded of a contract long over).
        ("mission", None, date(2027, 2, 3), [1]),
        ("cdd", date(2027, 5, 31), date(2027, 5, 31), [1, 3]),
        ("saisonnier", date(2027, 7, 4), date(2027, 7, 4), [1, 3, 6]),
        # The contract's own last day, typed by the operator, wins over the need's length.
        ("mission", date(2027, 1, 15), date(2027, 1, 15), [1]),
    ],
)
def test_a_placement_plans_the_follow_up_points_its_term_reaches(
    people, contract, end, until, months
):
    placement = _placed(people, contract=contract, end=end)
    assert [p.months for p in placement.follow_ups] == months
    assert _state(placement)["until"] == until
    assert flow.placement_term(placement) == until


@pytest.mark.parametrize(
    "contract, end, message",
    [
        ("cdi", date(2027, 5, 31), "Un CDI n'a pas de date de fin"),
        ("cdi_temps_partage", date(2027, 5, 31), "Un CDI à temps partagé n'a pas de date de fin"),
        ("cdd", START - timedelta(days=1), "ne peut pas précéder la date de début (le 04/01/2027)"),
        ("cdd", date(2031, 1, 1), "au plus tard"),
    ],
)
def test_a_placement_end_out_of_its_contract_is_refused_and_changes_nothing(
    people, contract, end, message
):
    before = {"points": count(FollowUpPoint), "commitments": count(Commitment)}
    with pytest.raises(TransitionError) as refused:
        _placed(people, contract=contract, end=end)
    assert message in refused.value.errors["end_date"]
    db.session.rollback()
    assert {"points": count(FollowUpPoint), "commitments": count(Commitment)} == before


def test_the_animateur_reads_the_term_and_the_points_planned(people):
    _placed(people, contract="cdd", end=date(2027, 5, 31))
    told = mails_to("anim@exemple.fr")[-1]
    assert "CDD, du 04/01/2027 au 31/05/2027" in told.body_text
    assert "Suivi prévu à 1 et 3 mois." in told.body_text


# --- the trial period -------------------------------------------------------------------


def _points(placement: Placement) -> list[tuple[int, date]]:
    db.session.expire_all()
    return [(p.months, p.due_on) for p in db.session.get(Placement, placement.id).follow_ups]


def test_the_legal_trial_is_proposed_and_its_point_planned_a_week_before_it_ends(people):
    placement = _placed(people, trial="legale")
    # A CDI for an employé qualifié: 2 months, to 3 March; the point on 24 February.
    assert placement.trial == "legale" and placement.trial_end == date(2027, 3, 3)
    assert _points(placement) == [
        (1, date(2027, 2, 4)),
        (0, date(2027, 2, 24)),
        (3, date(2027, 4, 4)),
        (6, date(2027, 7, 4)),
    ]
    assert flow.trial_summary(placement) == (
        "Période d'essai jusqu'au 03/03/2027, durée maximale légale. CDI : 2 mois au plus "
        "pour les ouvriers et employés (article L1221-19 du Code du travail)."
    )
    told = mails_to("anim@exemple.fr")[-1]
    assert (
        "Suivi prévu à 1, 3 et 6 mois, et le 24/02/2027 avant la fin de la période d'essai "
        "(le 03/03/2027)." in told.body_text
    )


def test_a_technician_s_trial_point_is_recorded_in_its_turn(people):
    by_ref(Need, "n1").level = "technicien"
    placement = _placed(people, trial="legale")
    # 3 months, to 3 April: the point on 27 March, between the 1- and 3-month ones.
    assert placement.trial_end == date(2027, 4, 3)
    assert [m for m, _ in _points(placement)] == [1, 0, 3, 6]
    assert (0, date(2027, 3, 27)) in _points(placement)
    placement = db.session.get(Placement, placement.id)
    with pytest.raises(TransitionError, match="Enregistrez d'abord le suivi à 1 mois"):
        _answer(_point(placement, 0), people[1])
    db.session.rollback()
    _answer(_point(placement, 1), people[1])
    assert flow.point_to_record(placement) is _point(placement, 0)


def test_a_short_cdd_s_trial_point_is_the_first_to_record(people):
    placement = _placed(people, contract="cdd", end=date(2027, 5, 31), trial="legale")
    # 21 weeks: 14 days at most, to 17 January; the point on the 10th.
    assert placement.trial_end == date(2027, 1, 17)
    assert flow.point_to_record(placement) is _point(placement, 0)
    with pytest.raises(TransitionError, match="Enregistrez d'abord le suivi avant la fin"):
        _answer(_point(placement, 1), people[1])


def test_an_ended_placement_s_trial_is_not_explained_by_its_shortened_term(people):
    placement = _placed(people, contract="cdd", end=date(2027, 5, 31), trial="legale")
    assert placement.trial_end == date(2027, 1, 17)
    # It does not hold: its commitment now ends on the last day worked, four days in.
    _answer(_point(placement, 0), people[1], holds=False, ended_on=date(2027, 1, 8))
    db.session.commit()
    db.session.expire_all()
    placement = db.session.get(Placement, placement.id)
    # Not "a contract of less than a week: no trial", next to the trial it had.
    assert flow.trial_summary(placement) == (
        "Période d'essai jusqu'au 17/01/2027, durée maximale légale."
    )


def test_an_agreed_end_or_none_replaces_the_proposal(people):
    agreed = _placed(people, trial="convenue", trial_end=date(2027, 1, 31))
    assert agreed.trial_end == date(2027, 1, 31)
    assert (0, date(2027, 1, 24)) in _points(agreed)
    assert flow.trial_summary(agreed) == "Période d'essai jusqu'au 31/01/2027, convenue au contrat."
    nothing = _placed(people, refs=("n2",), who="other", trial="aucune")
    assert nothing.trial == "aucune" and nothing.trial_end is None
    assert [m for m, _ in _points(nothing)] == [1, 3, 6]
    assert flow.trial_summary(nothing) == "Pas de période d'essai."


def test_a_trial_shorter_than_a_week_is_followed_on_its_first_day(people):
    placement = _placed(people, contract="mission", trial="legale")
    assert placement.trial_end == date(2027, 1, 5)
    assert (0, START) in _points(placement)


def test_placements_recorded_without_a_trial_keep_their_points(people):
    placement = _placed(people)
    assert placement.trial is None and flow.trial_summary(placement) is None
    assert [m for m, _ in _points(placement)] == [1, 3, 6]


@pytest.mark.parametrize(
    "values, field, message",
    [
        (
            {"contract": "cdd", "end": date(2027, 3, 31), "trial_end": date(2027, 4, 1)},
            "trial_end",
            "La période d'essai ne peut pas finir après le dernier jour du contrat "
            "(le 31/03/2027).",
        ),
        (
            {"trial_end": date(2027, 1, 3)},
            "trial_end",
            "La période d'essai ne peut pas finir avant le début du contrat (le 04/01/2027).",
        ),
        (
            {"trial_end": None},
            "trial_end",
            "Indiquez le dernier jour de la période d'essai convenue (jj/mm/aaaa).",
        ),
    ],
)
def test_an_agreed_trial_out_of_its_contract_is_refused_and_changes_nothing(
    people, values, field, message
):
    before = {"points": count(FollowUpPoint), "placements": count(Placement)}
    contract, end = values.pop("contract", "cdi"), values.pop("end", None)
    with pytest.raises(TransitionError) as refused:
        _placed(people, contract=contract, end=end, trial="convenue", **values)
    assert refused.value.errors[field] == message
    db.session.rollback()
    assert {"points": count(FollowUpPoint), "placements": count(Placement)} == before
    assert by_ref(Need, "n1").status == "qualifie"


def test_a_legal_trial_of_a_contract_of_unknown_length_is_refused(people):
    with pytest.raises(TransitionError) as refused:
        _placed(people, contract="cdd", trial="legale")
    assert "Sans le dernier jour du contrat" in refused.value.errors["trial"]
    db.session.rollback()
    assert count(Placement) == 0 and count(FollowUpPoint) == 0
    with pytest.raises(TransitionError) as refused:
        _placed(people, trial="peut-etre")
    assert refused.value.errors["trial"] == "Choisissez une option pour la période d'essai."
    db.session.rollback()
    assert count(Placement) == 0


def test_the_trial_point_is_reminded_once_to_the_operator_and_the_animateur(people):
    # A mission from 16 June: 2 days of trial, its point on its first day (the 1-month
    # one on 16 July).
    placement = _placed(people, contract="mission", start=date(2027, 6, 16), trial="legale")
    mails = count(OutboxMessage)
    assert _run_follow_ups(datetime(2027, 6, 15, 11, tzinfo=UTC))["points"] == 0
    assert _run_follow_ups(datetime(2027, 6, 16, 6, tzinfo=UTC))["points"] == 1
    assert _run_follow_ups(datetime(2027, 6, 17, 6, tzinfo=UTC))["points"] == 0
    reminders = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[mails:]
    assert sorted(m.to for m in reminders) == ["anim@exemple.fr", "ge@exemple.fr"]
    assert {m.subject for m in reminders} == {
        "[Connect'ences] Suivi avant la fin de la période d'essai à faire"
    }
    assert "échéance le 16/06/2027" in reminders[0].body_text
    db.session.expire_all()
    assert _point(db.session.get(Placement, placement.id), 0).reminded_at is not None


def test_the_trial_point_answered_no_ends_the_placement_and_counts_in_the_observatory(people):
    held = _placed(people, contract="cdd", end=date(2027, 5, 31), trial="legale")
    broke = _placed(
        people, contract="cdd", end=date(2027, 5, 31), refs=("n2",), who="other", trial="legale"
    )
    _answer(_point(held, 0), people[1], candidate_feedback="Tout va bien")
    _answer(_point(broke, 0), people[1], holds=False, ended_on=date(2027, 1, 12))
    db.session.commit()
    db.session.expire_all()
    point = _point(db.session.get(Placement, held.id), 0)
    assert (point.holds, point.candidate_feedback, point.done_by_id) == (
        True,
        "Tout va bien",
        people[1].id,
    )
    assert db.session.get(Placement, broke.id).ended_on == date(2027, 1, 12)
    told = mails_to("anim@exemple.fr")[-1]
    assert "indique au suivi avant la fin de la période d'essai que le placement" in (
        told.body_text
    )
    seen = figures.observatory(db.session, f.COBAS, "tout", now=NOW + timedelta(hours=1))
    rows = {row.label: [c.value for c in row.cells] for row in seen.table("maintien").rows}
    assert rows["Avant la fin de l'essai"] == [2, 1, 1, 0]
    assert list(rows)[0] == "Avant la fin de l'essai"


def test_the_export_of_a_person_s_data_holds_their_placements_and_who_read_them(people):
    # The right of access (RGPD art. 15) gives everything held about the person: their
    # placements (the trial, the end) with the words of each follow-up point, which the
    # erasure takes as theirs, and the log of who read or exported their record.
    placement = _placed(people, trial="legale")
    _answer(
        _point(placement, 1),
        people[1],
        company_feedback="Mme Ok arrive en retard le lundi",
        candidate_feedback="Je m'entends bien avec le gérant",
    )
    person = by_ref(Candidate, "ok")
    audit(db.session, "cv_view", actor=people[1], entity="candidate", entity_id=person.id)
    audit(db.session, "cv_view", actor=people[0], entity="candidate", entity_id=person.id + 1)
    db.session.commit()

    exported = export_candidate(db.session, person)

    [held] = exported["placements"]
    assert held["companies"] == [by_ref(Need, "n1").company.name]
    assert (held["start_date"], held["trial"], held["trial_end"]) == (
        "2027-01-04",
        "legale",
        "2027-03-03",
    )
    first = next(p for p in held["follow_ups"] if p["months"] == 1)
    assert first["company_feedback"] == "Mme Ok arrive en retard le lundi"
    assert first["candidate_feedback"] == "Je m'entends bien avec le gérant"
    assert first["holds"] is True and first["done_at"]
    # Who read the record: their role and organisation, never another person's entry,
    # and no staff address.
    views = [e for e in exported["audit"] if e["action"] == "cv_view"]
    assert [(e["action_label"], e["by"]) for e in views] == [
        (action_label("cv_view"), f"Opérateur ({by_ref(Operator, 'ge').name})")
    ]
    assert "olivia@ge.fr" not in json.dumps(exported["audit"], ensure_ascii=False)


# --- not before its time -------------------------------------------------------------------


def test_a_point_is_not_recorded_as_holding_before_its_window_and_nothing_is_written(people):
    """The review's case: started 1 May, the 1-month point recorded, « the 3-month point »
    (due 1 August) answered on 15 June, six weeks in, is refused."""
    placement = _placed(people, start=date(2027, 5, 1))
    _answer(_point(placement, 1), people[1])
    db.session.commit()
    before = _state(placement)
    with pytest.raises(TransitionError) as refused:
        _answer(_point(placement, 3), people[1])
    assert refused.value.message == (
        "Le suivi à 3 mois se remplit à partir du 25/07/2027, 7 jours avant son échéance "
        "du 01/08/2027. Si la personne a quitté son poste, enregistrez la fin du "
        "placement : elle se fait à tout moment."
    )
    db.session.rollback()
    assert _state(placement) == before


def test_a_point_opens_the_set_number_of_days_before_it_is_due(people):
    placement = _placed(people)  # its 6-month point is due 4 July 2027
    _answer(_point(placement, 1), people[1])
    _answer(_point(placement, 3), people[1])
    db.session.commit()
    six = _point(placement, 6)
    assert flow.FOLLOW_UP_OPENS_DAYS_BEFORE == 7
    assert flow.point_opens_on(six) == date(2027, 6, 27)
    with time_machine.travel(datetime(2027, 6, 26, 20, tzinfo=UTC), tick=False):  # 22:00
        with pytest.raises(TransitionError, match="se remplit à partir du 27/06/2027"):
            _answer(six, people[1])
        db.session.rollback()
        with pytest.raises(TransitionError, match="se remplit à partir du"):
            _answer(six, people[1], holds=None)  # unanswered: not yet its time either
        db.session.rollback()
    with time_machine.travel(datetime(2027, 6, 27, 6, tzinfo=UTC), tick=False):
        _answer(six, people[1])
        db.session.commit()
    assert _state(placement)["points"][2] == (6, True, True, people[1].id)


def test_the_trial_point_opens_a_week_before_its_own_date(people):
    # Agreed trial to 30 June: its point is due 23 June, recorded from 16 June.
    placement = _placed(
        people, start=date(2027, 6, 1), trial="convenue", trial_end=date(2027, 6, 30)
    )
    trial = _point(placement, 0)
    assert trial.due_on == date(2027, 6, 23) and flow.point_to_record(placement) is trial
    with pytest.raises(TransitionError, match="se remplit à partir du 16/06/2027"):
        _answer(trial, people[1])
    db.session.rollback()
    with time_machine.travel(datetime(2027, 6, 16, 8, tzinfo=UTC), tick=False):
        _answer(trial, people[1])


def test_a_person_who_left_ends_the_placement_at_any_time_on_the_next_point(people):
    placement = _placed(people, start=date(2027, 5, 1))
    _answer(_point(placement, 1), people[1])
    db.session.commit()
    # Six weeks in, long before the 3-month point's window: the ending is recorded.
    _answer(_point(placement, 3), people[1], holds=False, ended_on=date(2027, 6, 11))
    db.session.commit()
    state = _state(placement)
    assert state["ended"] == (date(2027, 6, 11), "suivi")
    assert state["until"] == date(2027, 6, 11)
    assert state["points"][1] == (3, True, False, people[1].id)
    assert flow.point_to_record(db.session.get(Placement, placement.id)) is None


def test_a_placement_that_just_started_can_end_before_its_first_point_opens(people):
    placement = _placed(people, start=date(2027, 6, 14))  # 1-month point due 14 July
    with pytest.raises(TransitionError, match="se remplit à partir du 07/07/2027"):
        _answer(_point(placement, 1), people[1])
    db.session.rollback()
    _answer(_point(placement, 1), people[1], holds=False)
    db.session.commit()
    assert _state(placement)["ended"] == (TODAY, "suivi")


def test_the_reminder_is_sent_once_the_point_can_be_recorded(people):
    """The job reminds a point on its due date, which is always inside its window: a
    point reminded can be answered that day, and none is reminded before it opens."""
    placement = _placed(people, start=date(2027, 5, 1))  # 1-month point due 1 June
    _answer(_point(placement, 1), people[1])
    db.session.commit()
    three = _point(placement, 3)  # due 1 August, open from 25 July
    for day in (date(2027, 7, 24), date(2027, 7, 25), date(2027, 7, 31)):
        assert _run_follow_ups(datetime.combine(day, datetime.min.time(), UTC))["points"] == 0
    due = datetime(2027, 8, 1, 6, tzinfo=UTC)
    assert _run_follow_ups(due)["points"] == 1
    db.session.expire_all()
    three = db.session.get(FollowUpPoint, three.id)
    assert three.reminded_at is not None and flow.point_opens_on(three) <= three.due_on
    with time_machine.travel(due, tick=False):
        _answer(three, people[1])
        db.session.commit()
