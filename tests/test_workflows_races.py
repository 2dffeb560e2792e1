"""Two people acting on the same lead, or the same person's status, at the same instant:
one wins, the other is refused.

Each request reads the record, checks the state machine, then writes. A move is written
only where the stored record still holds the state it was read in (``workflows
.transition``), so the second of two requests that read the same state changes nothing
and is told, in French, to reload the page; a person's status (``cvtheque.status
.set_status``) is guarded by the same compare-and-set. The races are made deterministic: two
sessions where the second reads before the first commits, or two threads lined up by a
barrier after their reads; they run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.accounts import create_user
from connectences.clock import local_today
from connectences.cvtheque import consent
from connectences.cvtheque import library as person_records
from connectences.extensions import db
from connectences.jobs import tasks
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import (
    Candidate,
    CandidateEvent,
    Commitment,
    FollowUpPoint,
    Lead,
    Need,
    Operator,
    OutboxMessage,
    Partner,
    Placement,
    Referral,
    Transition,
    User,
)
from connectences.models.base import utcnow
from connectences.needs import moves
from connectences.web import cv_public as space_pages
from connectences.web import leads as lead_pages
from connectences.web import library as library_pages
from connectences.workflows import (
    CHANGED_MEANWHILE,
    LEAD,
    NEED,
    REFERRAL,
    ChangedMeanwhile,
    TransitionError,
)
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead, send_referral
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import by_ref, count, page_text, sent_on
from tests.known_secrets import PASSWORD

START = date(2027, 1, 4)


@pytest.fixture
def animateur():
    f.load(f.dispatch_document(candidates=[]))
    user = create_user(db.session, "anim@exemple.fr", "animateur", password=PASSWORD)
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), NEED, "qualifie")
    db.session.commit()
    return user


def _lead(animateur, state: str = "envoye", refs=("n1",)) -> int:
    """A lead of the needs ``refs`` to ``ge`` with the candidate ``ok``, moved to
    ``state``; its id."""
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, ref) for ref in refs],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
        actor=animateur,
    )
    if state in ("vu", "accepte"):
        flow.mark_seen(db.session, lead)
    if state == "accepte":
        flow.accept(db.session, lead)
    db.session.commit()
    lead_id = lead.id
    db.session.remove()
    return lead_id


def _session():
    """A session of its own: another request, with its own connection and transaction."""
    return db.session.session_factory()


def _animateur(session) -> User:
    """The animateur of the ``animateur`` fixture, in ``session``."""
    return session.scalars(select(User).where(User.email == "anim@exemple.fr")).one()


def _read(session, lead_id: int) -> Lead:
    """The lead as its page reads it: with its needs and candidates."""
    lead = session.get(Lead, lead_id)
    assert [item.need.status for item in lead.needs] and lead.candidates
    assert [item.candidate.commitments for item in lead.candidates] and lead.operator
    return lead


def _place(session, lead_id: int):
    """Place ``ok`` in n1 through the lead, in ``session`` (from what it has read)."""
    lead = _read(session, lead_id)
    return flow.record_placement(
        session,
        lead,
        candidate=next(i.candidate for i in lead.candidates if i.candidate.ref == "ok"),
        needs=[item.need for item in lead.needs if item.need.ref == "n1"],
        hours_per_week=7,
        contract="cdi_temps_partage",
        start_date=START,
    )


def _lead_log(lead_id: int) -> list[tuple[str | None, str]]:
    return [(t.from_state, t.to_state) for t in workflows.history(db.session, LEAD, lead_id)]


def _mails(subject: str) -> int:
    return len(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject.contains(subject))
        ).all()
    )


# --- the state machine's guard ---------------------------------------------------------


def test_a_move_from_a_state_the_record_has_left_writes_nothing(animateur):
    lead_id = _lead(animateur, "vu")
    first, second = _session(), _session()
    try:
        theirs = first.get(Lead, lead_id)
        ours = second.get(Lead, lead_id)  # read "vu" before the other request commits
        assert theirs.status == ours.status == "vu"
        flow.accept(first, theirs)
        first.commit()

        with pytest.raises(ChangedMeanwhile) as refused:
            flow.refuse(second, ours, "doublon")
        assert refused.value.message == CHANGED_MEANWHILE
        assert isinstance(refused.value, TransitionError)  # every view already answers it
        second.rollback()
    finally:
        first.close()
        second.close()

    lead = db.session.get(Lead, lead_id)
    assert lead.status == "accepte"
    assert (lead.refusal_reason, lead.refusal_text) == (None, None)
    assert _lead_log(lead_id) == [(None, "envoye"), ("envoye", "vu"), ("vu", "accepte")]
    # The refusal's side effects did not happen either: the need stays proposed and
    # the animateur was told nothing.
    assert by_ref(Need, "n1").status == "propose"
    assert _mails("Proposition refusée") == 0
    assert _mails("Proposition acceptée") == 1


def test_the_record_in_memory_says_what_the_row_holds(animateur):
    lead_id = _lead(animateur, "vu")
    lead = db.session.get(Lead, lead_id)
    before = lead.updated_at
    flow.accept(db.session, lead)
    # No pending change of the status is left to flush, and the stamp the UPDATE wrote
    # is the one read.
    assert lead.status == "accepte"
    assert not db.session.is_modified(lead)
    assert lead.updated_at >= before
    db.session.commit()
    stored = db.session.scalar(select(Lead.status).where(Lead.id == lead_id))
    assert stored == "accepte"


def test_two_placements_of_one_lead_store_one(animateur):
    lead_id = _lead(animateur, "accepte")
    first, second = _session(), _session()
    try:
        theirs = _read(first, lead_id)
        ours = _read(second, lead_id)  # read before the other request commits
        assert ours.status == "accepte"
        _place(first, lead_id)
        first.commit()
        with pytest.raises(ChangedMeanwhile):
            _place(second, lead_id)
        second.rollback()
        assert theirs.status == "place"
    finally:
        first.close()
        second.close()

    assert count(Placement) == 1
    assert count(FollowUpPoint) == 3
    assert count(Commitment) == 1
    assert _lead_log(lead_id)[-1] == ("accepte", "place")
    assert len(_lead_log(lead_id)) == 4
    assert _mails("Placement enregistré") == 1
    assert by_ref(Need, "n1").status == "pourvu"


def test_a_need_moved_meanwhile_refuses_the_placement_whole(animateur):
    """A bundle's lead stays open when one of its needs is abandoned: the placement that
    read that need still proposed passes the lead's move, then fails on the need's, and
    nothing of it stays."""
    lead_id = _lead(animateur, "accepte", refs=("n1", "n2"))
    first, second = _session(), _session()
    try:
        ours = _read(second, lead_id)
        assert {item.need.status for item in ours.needs} == {"propose"}
        moves.move_by_hand(
            first,
            first.scalars(select(Need).where(Need.ref == "n1")).one(),
            "abandonne",
            actor=None,
            reason_code="autre",
            reason_text="L'entreprise a renoncé",
        )
        first.commit()
        with pytest.raises(ChangedMeanwhile):
            _place(second, lead_id)
        second.rollback()
    finally:
        first.close()
        second.close()

    assert count(Placement) == 0 and count(Commitment) == 0 and count(FollowUpPoint) == 0
    assert db.session.get(Lead, lead_id).status == "accepte"
    assert by_ref(Need, "n1").status == "abandonne"
    assert by_ref(Need, "n2").status == "propose"


def test_two_threads_placing_at_once_store_one_placement(app, animateur):
    """Both requests have read the lead ``accepte`` before either writes (the barrier);
    PostgreSQL makes the second UPDATE wait for the first transaction, SQLite the second
    writer: either way one placement is stored and the other request is refused."""
    lead_id = _lead(animateur, "accepte")
    read = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def member():
        with app.app_context():
            session = _session()
            try:
                # Held until the placement: the session's identity map keeps objects
                # only while they are referenced, and a lead collected meanwhile would
                # be read again after the other request committed (a different race).
                held = _read(session, lead_id)
                assert held.status == "accepte"
                read.wait()
                try:
                    assert _place(session, lead_id).lead is held
                    session.commit()
                    outcome = "placed"
                except (ChangedMeanwhile, flow.PlacementOverWeek):
                    # Refused either way: the lead moved meanwhile, or (when the second
                    # reads the person's week after the first committed) the week is
                    # already taken by the first placement.
                    session.rollback()
                    outcome = "refused"
            except Exception as error:  # noqa: BLE001 — reported by the assertion below
                session.rollback()
                outcome = repr(error)
            finally:
                session.close()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=member) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["placed", "refused"]
    assert count(Placement) == 1 and count(FollowUpPoint) == 3
    assert _mails("Placement enregistré") == 1


def test_two_answers_to_one_follow_up_point_record_one(animateur):
    """Two members answer the same point "ne tient pas" from pages read before either
    wrote (or one form sent twice): the placement ends once, and the second answer,
    which would end it again (another last day, the search relaunched or not), is
    refused whole."""
    lead_id = _lead(animateur, "accepte")
    today = local_today()
    lead = sent_on(db.session.get(Lead, lead_id), today - timedelta(days=40))
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1")],
        hours_per_week=7,
        contract="cdi_temps_partage",
        start_date=today - timedelta(days=40),
    )
    db.session.commit()
    point_id = placement.follow_ups[0].id
    db.session.remove()
    first, second = _session(), _session()
    try:
        theirs = first.get(FollowUpPoint, point_id)
        ours = second.get(FollowUpPoint, point_id)
        assert theirs.placement.candidate.commitments and ours.placement.candidate.commitments
        answer = {"company_feedback": "Ne vient plus", "candidate_feedback": None}
        flow.record_follow_up(first, theirs, holds=False, search_again=False, **answer)
        first.commit()
        with pytest.raises(ChangedMeanwhile) as refused:
            flow.record_follow_up(
                second, ours, holds=False, ended_on=today - timedelta(days=5), **answer
            )
        # Said as it is: the point was recorded, this answer did not replace it.
        assert refused.value.message.startswith(
            "Le suivi à 1 mois a été enregistré entre-temps, le "
        ), refused.value.message
        second.rollback()
    finally:
        first.close()
        second.close()

    ended = db.session.get(Placement, placement.id)
    assert ended.ended_on == today and by_ref(Need, "n1").status == "pourvu"
    assert db.session.scalars(select(Commitment)).one().until == today
    assert _mails("ne tient pas") == 1


def test_two_threads_accepting_and_refusing_at_once_apply_one(app, animateur):
    lead_id = _lead(animateur, "vu")
    read = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def member(name, answer):
        with app.app_context():
            session = _session()
            try:
                lead = _read(session, lead_id)
                assert lead.status == "vu"
                read.wait()
                try:
                    answer(session, lead)
                    session.commit()
                    outcomes[name] = "done"
                except ChangedMeanwhile:
                    session.rollback()
                    outcomes[name] = "refused"
            except Exception as error:  # noqa: BLE001 — reported by the assertion below
                session.rollback()
                outcomes[name] = repr(error)
            finally:
                session.close()

    threads = [
        threading.Thread(target=member, args=("accept", lambda s, lead: flow.accept(s, lead))),
        threading.Thread(
            target=member, args=("refuse", lambda s, lead: flow.refuse(s, lead, "doublon"))
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["done", "refused"], outcomes
    winner = "accepte" if outcomes["accept"] == "done" else "refuse"
    assert db.session.get(Lead, lead_id).status == winner
    assert _lead_log(lead_id)[2:] == [("vu", winner)]
    assert by_ref(Need, "n1").status == ("propose" if winner == "accepte" else "en_recherche")


# --- the first opening is no answer ------------------------------------------------------


def test_two_members_opening_a_new_lead_at_once_record_one_opening(animateur):
    lead_id = _lead(animateur)
    first, second = _session(), _session()
    try:
        theirs, ours = _read(first, lead_id), _read(second, lead_id)
        assert flow.mark_seen(first, theirs) is True
        first.commit()
        # The page opens as usual, the lead as it now is.
        assert flow.mark_seen(second, ours) is False
        assert ours.status == "vu"
        second.commit()
    finally:
        first.close()
        second.close()
    assert _lead_log(lead_id) == [(None, "envoye"), ("envoye", "vu")]


def test_accepting_a_lead_another_member_answered_is_refused_not_read_again(animateur):
    """``accept`` opens a new lead itself: when another member refused it meanwhile, the
    acceptance is refused as changed meanwhile, whatever state the lead reached."""
    lead_id = _lead(animateur)
    first, second = _session(), _session()
    try:
        theirs, ours = _read(first, lead_id), _read(second, lead_id)
        flow.refuse(first, theirs, "doublon")
        first.commit()
        with pytest.raises(ChangedMeanwhile):
            flow.accept(second, ours)
        second.rollback()
    finally:
        first.close()
        second.close()
    assert db.session.get(Lead, lead_id).status == "refuse"
    assert _mails("Proposition acceptée") == 0


def test_referrals_are_guarded_the_same_way(animateur):
    referral = send_referral(db.session, need=by_ref(Need, "n2"), partner=by_ref(Partner, "ft"))
    db.session.commit()
    referral_id = referral.id
    db.session.remove()
    first, second = _session(), _session()
    try:
        theirs, ours = first.get(Referral, referral_id), second.get(Referral, referral_id)
        assert flow.receive(first, theirs) is True
        first.commit()
        # Opened by another member meanwhile: no error, the page shows it as it is.
        assert flow.receive(second, ours) is False
        assert ours.status == "recue"
        second.commit()
        assert ours.status == "recue"  # read again, before the other member takes it on
        flow.take_charge(first, theirs)
        first.commit()
        with pytest.raises(ChangedMeanwhile):
            flow.refuse_referral(second, ours, "doublon")
        second.rollback()
    finally:
        first.close()
        second.close()
    log = [(t.from_state, t.to_state) for t in workflows.history(db.session, REFERRAL, referral_id)]
    assert log == [(None, "envoyee"), ("envoyee", "recue"), ("recue", "prise_en_charge")]
    assert by_ref(Need, "n2").status == "reoriente"


# --- the scheduler ------------------------------------------------------------------------


def _changed_before_closing(monkeypatch, lead_id: int, change) -> None:
    """``change(session)`` is committed by another request once the job has read the
    lead ``lead_id`` (and its needs) past its closing delay, before it closes it."""
    real = tasks._close_unanswered
    done = []

    def changed_first(ctx, row, *args, **kwargs):
        if isinstance(row, Lead) and row.id == lead_id and not done:
            done.append(lead_id)
            other = _session()
            try:
                change(other)
                other.commit()
            finally:
                other.close()
        return real(ctx, row, *args, **kwargs)

    monkeypatch.setattr(tasks, "_close_unanswered", changed_first)


def _escalate() -> dict:
    return execute(JOBS_BY_ID["lead_escalation"], now=utcnow() + timedelta(days=400))


def test_the_job_leaves_a_lead_answered_while_it_ran(animateur, monkeypatch):
    """The lead is past its closing delay when the job reads it, and the operator accepts
    it before the job writes: the acceptance stands, nothing is closed nor counted, and
    the job ends well (one failure would roll back every other lead's closing)."""
    lead_id = _lead(animateur, "vu")
    _changed_before_closing(
        monkeypatch, lead_id, lambda other: flow.accept(other, other.get(Lead, lead_id))
    )
    counts = _escalate()
    assert counts["closed"] == 0 and counts["needs_released"] == 0
    assert db.session.get(Lead, lead_id).status == "accepte"
    assert by_ref(Need, "n1").status == "propose"
    assert _lead_log(lead_id)[-1] == ("vu", "accepte")


def test_the_job_skips_a_lead_whose_need_moved_and_closes_the_others(
    animateur, monkeypatch, caplog
):
    """A bundle's lead stays open when the animateur abandons one of its needs. The job
    read that need still proposed: closing the lead passes, putting the need back in
    the search does not. That lead alone is left as it was (for the next run), and
    the other lead of the run is closed; before, the whole run failed and closed none."""
    f.load(f.document(needs=[f.need(ref="n3", company="c1", days=["tue"], hours_per_week=7)]))
    workflows.transition(db.session, by_ref(Need, "n3"), NEED, "qualifie")
    db.session.commit()
    bundle_id = _lead(animateur, "vu", refs=("n1", "n2"))
    other_id = _lead(_animateur(db.session), "vu", refs=("n3",))
    assert bundle_id < other_id  # the job takes the bundle first

    def abandon_n1(other):
        moves.move_by_hand(
            other,
            other.scalars(select(Need).where(Need.ref == "n1")).one(),
            "abandonne",
            actor=None,
            reason_code="autre",
            reason_text="L'entreprise a renoncé",
        )

    _changed_before_closing(monkeypatch, bundle_id, abandon_n1)
    with caplog.at_level("INFO", logger="connectences.jobs"):
        counts = _escalate()

    assert counts["closed"] == 1 and counts["needs_released"] == 1
    # The bundle's lead: nothing of its closing kept, the abandonment stands.
    assert db.session.get(Lead, bundle_id).status == "vu"
    assert _lead_log(bundle_id) == [(None, "envoye"), ("envoye", "vu")]
    assert by_ref(Need, "n1").status == "abandonne"
    assert by_ref(Need, "n2").status == "propose"
    assert [r.getMessage() for r in caplog.records if f"lead {bundle_id} " in r.getMessage()]
    # The other lead of the run is closed and its need back in the search.
    assert db.session.get(Lead, other_id).status == "sans_suite"
    assert by_ref(Need, "n3").status == "en_recherche"

    # The next run reads the bundle again: closed, its need still proposed released.
    monkeypatch.undo()
    counts = _escalate()
    assert counts["closed"] == 1 and counts["needs_released"] == 1
    assert db.session.get(Lead, bundle_id).status == "sans_suite"
    assert by_ref(Need, "n2").status == "en_recherche"
    assert by_ref(Need, "n1").status == "abandonne"


# --- the lead page -------------------------------------------------------------------------


def _answered_meanwhile(monkeypatch, answer):
    """Another member's ``answer`` is committed just after this request read the lead."""
    real = lead_pages._own_lead
    done = []

    def read_then_other_member_answers(lead_id, **kwargs):
        lead = real(lead_id, **kwargs)
        if not done:
            done.append(lead_id)
            other = _session()
            try:
                answer(other, other.get(Lead, lead_id))
                other.commit()
            finally:
                other.close()
        return lead

    monkeypatch.setattr(lead_pages, "_own_lead", read_then_other_member_answers)


def test_the_answer_that_loses_the_race_is_told_on_the_lead_page(
    client, auth, animateur, monkeypatch
):
    lead_id = _lead(animateur, "vu")
    auth.login("operator", org_ref="ge")
    url = f"/operateur/propositions/{lead_id}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    _answered_meanwhile(monkeypatch, lambda session, lead: flow.accept(session, lead))
    data = {"action": "refuser", "motif": "doublon"}
    response = client.post(url + "/action", data={**data, "csrf_token": token} if token else data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert CHANGED_MEANWHILE in page_text(page)
    assert db.session.get(Lead, lead_id).status == "accepte"
    assert _mails("Proposition refusée") == 0


def test_the_placement_that_loses_the_race_is_told_on_the_lead_page(
    client, auth, animateur, monkeypatch
):
    lead_id = _lead(animateur, "accepte")
    auth.login("operator", org_ref="ge")
    url = f"/operateur/propositions/{lead_id}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    _answered_meanwhile(monkeypatch, lambda session, lead: _place(session, lead.id))
    data = {
        "candidat": str(by_ref(Candidate, "ok").id),
        "besoins": str(by_ref(Need, "n1").id),
        "heures": "7",
        "contrat": "cdi_temps_partage",
        "debut": START.isoformat(),
    }
    response = client.post(
        url + "/placement", data={**data, "csrf_token": token} if token else data
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert CHANGED_MEANWHILE in page_text(page)
    assert count(Placement) == 1 and count(Commitment) == 1
    assert _mails("Placement enregistré") == 1


# --- a person's status ---------------------------------------------------------------------


def _status_lines(candidate_id: int) -> list[tuple[str, str]]:
    """The person's history lines about their status, oldest first: (from, to)."""
    events = db.session.scalars(
        select(CandidateEvent)
        .where(CandidateEvent.candidate_id == candidate_id, CandidateEvent.kind == "status")
        .order_by(CandidateEvent.id)
    )
    return [(e.details["from"], e.details["to"]) for e in events]


def _candidate_log(candidate_id: int) -> list[tuple[str | None, str]]:
    entries = db.session.scalars(
        select(Transition)
        .where(Transition.entity == "candidate", Transition.entity_id == candidate_id)
        .order_by(Transition.id)
    )
    return [(t.from_state, t.to_state) for t in entries]


def _person(session) -> Candidate:
    return session.scalars(select(Candidate).where(Candidate.ref == "ok")).one()


def _pause(session) -> bool:
    """The animateur sets the person ``ok`` "inactif" on their record, in ``session``."""
    return person_records.set_status(
        session, _person(session), "inactif", actor=_animateur(session)
    )


def test_a_placement_after_the_person_was_paused_meanwhile_writes_nothing(animateur):
    """The operator's page read the person ``disponible``; the animateur pauses them
    before the placement is written: the placement would settle them ``en_mission`` over
    the pause, so it is refused whole, and the pause stands."""
    lead_id = _lead(animateur, "accepte")
    person_id = by_ref(Candidate, "ok").id
    first, second = _session(), _session()
    try:
        ours = _read(second, lead_id)  # the operator's request, read before the pause
        assert ours.candidates[0].candidate.status == "disponible"
        assert _pause(first) is True
        first.commit()
        with pytest.raises(ChangedMeanwhile) as refused:
            _place(second, lead_id)
        assert refused.value.message == CHANGED_MEANWHILE
        second.rollback()
    finally:
        first.close()
        second.close()

    person = db.session.get(Candidate, person_id)
    assert person.status == "inactif"
    assert _status_lines(person_id) == [("disponible", "inactif")]
    assert _candidate_log(person_id) == [("disponible", "inactif")]
    # Nothing of the placement stayed: the lead, the need, the person's week.
    assert count(Placement) == 0 and count(Commitment) == 0 and count(FollowUpPoint) == 0
    assert db.session.get(Lead, lead_id).status == "accepte"
    assert by_ref(Need, "n1").status == "propose"
    assert _mails("Placement enregistré") == 0


def test_a_pause_after_the_person_was_placed_meanwhile_writes_nothing(animateur):
    lead_id = _lead(animateur, "accepte")
    person_id = by_ref(Candidate, "ok").id
    first, second = _session(), _session()
    try:
        ours = _person(second)  # the animateur's page, read before the placement
        assert ours.status == "disponible"
        _place(first, lead_id)
        first.commit()
        with pytest.raises(ChangedMeanwhile):
            person_records.set_status(second, ours, "inactif", actor=_animateur(second))
        second.rollback()
    finally:
        first.close()
        second.close()

    person = db.session.get(Candidate, person_id)
    assert person.status == "en_mission"
    assert person.week_complete is False
    assert _status_lines(person_id) == [("disponible", "en_mission")]
    assert _candidate_log(person_id) == [("disponible", "en_mission")]
    assert count(Placement) == 1


def test_two_threads_pausing_and_placing_at_once_apply_one(app, animateur):
    """Both have read the person ``disponible`` before either writes: PostgreSQL makes
    the second UPDATE wait for the first transaction, SQLite the second writer; the
    second finds the status changed and writes nothing."""
    lead_id = _lead(animateur, "accepte")
    person_id = by_ref(Candidate, "ok").id
    read = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def member(name, act):
        with app.app_context():
            session = _session()
            try:
                # Held as a request holds what it read: the session keeps unchanged
                # objects only while something refers to them, and would read them
                # again, changed, after the barrier.
                held = (_read(session, lead_id), _person(session))
                assert held[1].status == "disponible"
                read.wait()
                try:
                    act(session)
                    session.commit()
                    outcomes[name] = "done"
                except ChangedMeanwhile:
                    session.rollback()
                    outcomes[name] = "refused"
            except Exception as error:  # noqa: BLE001 — reported by the assertion below
                session.rollback()
                outcomes[name] = repr(error)
            finally:
                session.close()

    threads = [
        threading.Thread(target=member, args=("pause", _pause)),
        threading.Thread(target=member, args=("place", lambda s: _place(s, lead_id))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["done", "refused"], outcomes
    winner = "inactif" if outcomes["pause"] == "done" else "en_mission"
    assert db.session.get(Candidate, person_id).status == winner
    assert _status_lines(person_id) == [("disponible", winner)]
    assert _candidate_log(person_id) == [("disponible", winner)]
    assert count(Placement) == (1 if winner == "en_mission" else 0)


def _placed_meanwhile(monkeypatch, module, reader: str, lead_id: int):
    """The person is placed through ``lead_id`` in another request just after the page's
    ``module.<reader>`` read them."""
    real = getattr(module, reader)
    done = []

    def read_then_placed(*args, **kwargs):
        person = real(*args, **kwargs)
        if not done:
            done.append(True)
            other = _session()
            try:
                _place(other, lead_id)
                other.commit()
            finally:
                other.close()
        return person

    monkeypatch.setattr(module, reader, read_then_placed)


def test_the_status_change_that_loses_the_race_is_told_on_the_record(
    client, auth, animateur, monkeypatch
):
    lead_id = _lead(animateur, "accepte")
    auth.login("animateur")
    _placed_meanwhile(monkeypatch, library_pages, "_candidate_or_404", lead_id)
    response = client.post("/animateur/cvtheque/ok/statut", data={"statut": "inactif"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert CHANGED_MEANWHILE in page_text(page)
    person = by_ref(Candidate, "ok")
    assert person.status == "en_mission"
    assert _status_lines(person.id) == [("disponible", "en_mission")]


def test_the_person_pausing_their_profile_as_they_are_placed_is_told_not_failed(
    client, animateur, monkeypatch
):
    """The person's own page answers no refusal itself: the application's answer to a
    change made meanwhile is a French page (409), never an error of the server."""
    lead_id = _lead(animateur, "accepte")
    token = consent.space_token(by_ref(Candidate, "ok"))
    _placed_meanwhile(monkeypatch, space_pages, "_space_candidate", lead_id)
    response = client.post(f"/mon-cv/{token}/pause")
    assert response.status_code == 409
    assert CHANGED_MEANWHILE in page_text(response)
    person = by_ref(Candidate, "ok")
    assert person.status == "en_mission"
    assert _status_lines(person.id) == [("disponible", "en_mission")]


def test_a_read_stamp_in_another_iso_form_is_no_stamp(animateur):
    """The stamp a form sends back is the one ``read_stamp`` wrote (RFC 3339): the same
    instant written as a week's day (``2026-W50-1T...``), which Python's fromisoformat
    read, is refused like any altered stamp, never taken as a reading."""
    lead = db.session.get(Lead, _lead(animateur))
    stamp = workflows.read_stamp(lead)
    year, week, weekday = lead.updated_at.isocalendar()
    weekly = f"{year}-W{week:02d}-{weekday}" + stamp[10:]
    with pytest.raises(ChangedMeanwhile):
        workflows.unchanged_since(db.session, lead, weekly)
    db.session.rollback()
    workflows.unchanged_since(db.session, lead, stamp)  # the stamp as written passes
