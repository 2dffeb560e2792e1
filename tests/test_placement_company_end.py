"""A person placed in a shared-time bundle leaves one company and keeps the others
(``leads.end_at_company``): that company's commitment ends, its need goes back to the
search and its owner hears it, the placement goes on with the others (its summary, its
term, its follow-up points, the person's week); ending the last company ends the
placement. Refusals change nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from connectences.accounts import create_user
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.matching import week
from connectences.matching.data import candidate_from_model
from connectences.models import Commitment, Need, OutboxMessage, Transition
from connectences.needs.status_words import owner_holders, status_for_company
from connectences.workflows import TransitionError
from connectences.workflows import leads as flow
from tests.helpers import by_ref, mails_to
from tests.known_secrets import PASSWORD
from tests.test_follow_up import NOW, START, TODAY, _answer, _placed, _point, frozen, people

__all__ = ["NOW", "frozen", "people"]  # the fixtures, used by name

LAST_DAY = date(2027, 6, 10)


def _bundle(people):
    placement = _placed(people, refs=("n1", "n2"))
    return placement, by_ref(Need, "n1"), by_ref(Need, "n2")


def _commitment(placement, need) -> Commitment:
    return next(c for c in placement.candidate.commitments if c.need_id == need.id)


def test_placement_ties_each_company_commitment_to_its_need(people):
    placement, n1, n2 = _bundle(people)
    assert {c.need_id for c in placement.candidate.commitments} == {n1.id, n2.id}
    assert flow.company_commitment(placement, n1).days == ["tue"]


def test_leaving_one_company_keeps_the_others(people):
    animateur, member = people
    placement, n1, n2 = _bundle(people)
    db.session.query(OutboxMessage).delete()
    flow.end_at_company(
        db.session,
        placement,
        n1.id,
        last_day=LAST_DAY,
        reason="Déménagement de l'entreprise",
        actor=member,
    )
    db.session.commit()
    # That company's commitment ends on the last day; the other runs on.
    assert _commitment(placement, n1).until == LAST_DAY
    assert _commitment(placement, n2).until is None
    # The placement goes on: its summary, hours and term name the company left only.
    assert placement.ended_on is None
    assert placement.needs_in_play == [n2]
    assert flow.placement_companies(placement).startswith(n2.company.name)
    assert n1.company.name not in flow.placement_companies(placement)
    assert flow.placement_hours(placement) == n2.hours_per_week
    assert flow.placement_term(placement) is None
    assert flow.placement_period(placement) == f"à partir du {START:%d/%m/%Y}"
    # The follow-up points are the placement's: still planned.
    assert flow.point_to_record(placement) is not None
    # The need left is searched again, logged with the reason; the other stays filled.
    assert n1.status == "en_recherche" and n2.status == "pourvu"
    logged = db.session.scalars(
        select(Transition)
        .where(Transition.entity == "need", Transition.entity_id == n1.id)
        .order_by(Transition.id.desc())
    ).first()
    assert logged.to_state == "en_recherche" and "Déménagement" in logged.reason_text
    # Its owner's sentence is no longer « pourvu »; the other's names no second company.
    said = status_for_company(n1, holders=owner_holders(db.session, [n1]))
    assert "Pourvu" not in said and said == "Recherche de candidats en cours"
    other = owner_holders(db.session, [n2])[n2.id]
    assert other.startswith("Pourvu") and "autre entreprise" not in other
    news = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MailKind.NEED_NEWS)
    ).all()
    assert {(m.to, m.subject.removeprefix("[Connect'ences] ")) for m in news} == {
        (
            n1.company.contact_email,
            f"« {n1.title} » : la personne recrutée ne travaille plus chez vous",
        ),
        (n2.company.contact_email, f"« {n2.title} » : la personne recrutée continue chez vous"),
    }
    # The animateur is told; the operator did it, no mail to itself.
    told = mails_to(animateur.email)
    assert len(told) == 1 and "continue" in told[0].subject
    assert "Déménagement" in told[0].body_text and n2.company.name in told[0].body_text
    assert mails_to("ge@exemple.fr") == []
    # The person's week: Tuesday is free again after the last day.
    person = candidate_from_model(placement.candidate)
    assert "tue" in week.free_days(person, TODAY)
    assert "thu" not in week.free_days(person, TODAY)


def test_the_animateur_records_it_and_the_operator_is_told(people):
    animateur, _member = people
    placement, n1, _n2 = _bundle(people)
    db.session.query(OutboxMessage).delete()
    flow.end_at_company(
        db.session, placement, n1.id, last_day=LAST_DAY, reason="Fin d'activité", actor=animateur
    )
    db.session.commit()
    told = mails_to("ge@exemple.fr")
    assert len(told) == 1 and "Fin d'activité" in told[0].body_text


def test_leaving_the_last_company_ends_the_placement(people):
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    flow.end_at_company(
        db.session, placement, n1.id, last_day=LAST_DAY, reason="Départ", actor=member
    )
    db.session.commit()
    # Another need filled by another placement meanwhile must not be released by this one.
    flow.end_at_company(
        db.session, placement, n2.id, last_day=TODAY, reason="Fin de contrat", actor=member
    )
    db.session.commit()
    assert placement.ended_on == TODAY and placement.ended_by == "entreprise"
    assert _commitment(placement, n2).until == TODAY
    assert _commitment(placement, n1).until == LAST_DAY  # kept as it ended
    assert n2.status == "en_recherche"
    assert flow.point_to_record(placement) is None


def test_a_follow_up_end_after_a_company_left_releases_only_the_remaining_need(people):
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    n1.status = "pourvu"  # filled again meanwhile by someone else
    _answer(_point(placement, 1), member, holds=False, ended_on=TODAY)
    db.session.commit()
    assert n1.status == "pourvu" and n2.status == "en_recherche"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"need_id": -1}, "Choisissez une entreprise de ce placement."),
        # The field's label names it « Dernier jour travaillé » (not « date de fin »).
        (
            {"last_day": date(2026, 12, 31)},
            "^Le dernier jour travaillé ne peut pas précéder le début du placement",
        ),
        ({"last_day": date(2027, 6, 16)}, "^Le dernier jour travaillé ne peut pas être dans le"),
        ({"last_day": None}, "Indiquez le dernier jour travaillé"),
        ({"reason": "  "}, "Indiquez pourquoi"),
        ({"reason": "x" * 5000}, "Ce texte"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(people, change, message):
    _animateur, member = people
    placement, n1, _n2 = _bundle(people)
    values = {"need_id": n1.id, "last_day": LAST_DAY, "reason": "Départ"} | change
    with pytest.raises(TransitionError, match=message):
        flow.end_at_company(db.session, placement, values.pop("need_id"), actor=member, **values)
    db.session.rollback()
    assert _commitment(placement, n1).until is None and n1.status == "pourvu"
    assert all(item.ended_on is None for item in placement.needs)


def test_already_left_not_started_and_ended_are_refused(people):
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    with pytest.raises(TransitionError, match="a déjà quitté"):
        flow.end_at_company(db.session, placement, n1.id, last_day=TODAY, reason="x", actor=member)
    flow.end_at_company(db.session, placement, n2.id, last_day=TODAY, reason="x", actor=member)
    db.session.commit()
    with pytest.raises(TransitionError, match="a pris fin le"):
        flow.end_at_company(db.session, placement, n2.id, last_day=TODAY, reason="x", actor=member)


def test_not_started_is_refused(people):
    _animateur, member = people
    placement = _placed(people, refs=("n1", "n2"), start=date(2027, 7, 5))
    with pytest.raises(TransitionError, match="commence le 05/07/2027"):
        flow.end_at_company(
            db.session, placement, by_ref(Need, "n1").id, last_day=TODAY, reason="x", actor=member
        )
    assert by_ref(Need, "n1").status == "pourvu"


@pytest.mark.parametrize("role", ["other_operator", "company", "partner", "candidate"])
def test_wrong_users_are_refused(people, role):
    placement, n1, _n2 = _bundle(people)
    from tests import factories as f

    if role == "other_operator":
        f.load(f.document(operators=[f.operator(ref="autre", email="autre@exemple.fr")]))
        user = create_user(db.session, "x@autre.fr", "operator", password=PASSWORD, org_ref="autre")
    elif role == "company":  # the very company of the need
        user = create_user(db.session, "g@c1.fr", "company", password=PASSWORD, org_ref="c1")
    elif role == "partner":
        user = create_user(db.session, "p@ft.fr", "partner", password=PASSWORD, org_ref="ft")
    else:
        user = create_user(db.session, f"{role}@exemple.fr", role, password=PASSWORD)
    db.session.commit()
    with pytest.raises(TransitionError, match="n'est pas le vôtre"):
        flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=user)
    assert n1.status == "pourvu" and _commitment(placement, n1).until is None


# --- the companies that remain are told ------------------------------------------------


def _news() -> dict[str, OutboxMessage]:
    """The need news queued, by address."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MailKind.NEED_NEWS))
    return {m.to: m for m in rows}


def _three_companies(people):
    from tests import factories as f

    f.load(
        f.document(
            candidates=[f.candidate(ref="trois", days=["tue", "wed", "thu"])],
            companies=[f.company(ref="c3", contact_email="c3@exemple.fr")],
            needs=[f.need(ref="n3", company="c3", days=["wed"], hours_per_week=7)],
        )
    )
    from connectences import workflows
    from connectences.workflows import NEED

    workflows.transition(db.session, by_ref(Need, "n3"), NEED, "qualifie")
    db.session.commit()
    placement = _placed(people, refs=("n1", "n2", "n3"), who="trois")
    return placement, by_ref(Need, "n1"), by_ref(Need, "n2"), by_ref(Need, "n3")


def test_the_companies_that_remain_hear_the_person_works_on_for_them(people):
    _animateur, member = people
    placement, n1, n2, n3 = _three_companies(people)
    person = placement.candidate
    db.session.query(OutboxMessage).delete()
    flow.end_at_company(
        db.session, placement, n1.id, last_day=LAST_DAY, reason="Déménagement", actor=member
    )
    db.session.commit()
    news = _news()
    assert set(news) == {n.company.contact_email for n in (n1, n2, n3)}
    left = news[n1.company.contact_email]
    assert "ne travaille plus chez vous" in left.subject
    for need in (n2, n3):
        mail = news[need.company.contact_email]
        assert mail.subject.endswith(f"« {need.title} » : la personne recrutée continue chez vous")
        # The bundle sentence of their space, now one other company instead of two.
        assert owner_holders(db.session, [need])[need.id] in mail.body_text
        assert "les autres jours dans 1 autre entreprise" in mail.body_text
        assert "partageait sa semaine" in mail.body_text
        # Neither the company left nor the other remaining one is named, nor the reason.
        for other in {n1, n2, n3} - {need}:
            assert other.company.name not in mail.body_text + (mail.body_html or "")
        assert "Déménagement" not in mail.body_text
    # Nobody is given the person's name (the company left above all).
    for mail in news.values():
        assert person.last_name not in mail.body_text + (mail.body_html or "") + mail.subject


def test_the_last_company_that_remains_hears_it_works_alone_with_the_person(people):
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    db.session.query(OutboxMessage).delete()
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    mail = _news()[n2.company.contact_email]
    assert "continue chez vous" in mail.subject
    assert "autre entreprise" not in owner_holders(db.session, [n2])[n2.id]
    assert owner_holders(db.session, [n2])[n2.id] in mail.body_text
    # Ending the last one ends the placement: the company left hears it, nobody else.
    db.session.query(OutboxMessage).delete()
    flow.end_at_company(db.session, placement, n2.id, last_day=TODAY, reason="x", actor=member)
    db.session.commit()
    news = _news()
    assert list(news) == [n2.company.contact_email]
    assert "ne travaille plus chez vous" in news[n2.company.contact_email].subject


# --- a placement recorded in one commitment over its companies -------------------------


def _merged(placement, hours: float, days: list[str]) -> Commitment:
    """Replace the per-company commitments of ``placement`` by one over all its companies
    (a placement recorded before the column ``need_id``, or merged by the animateur)."""
    person = placement.candidate
    mine = [c for c in person.commitments if c.placement_id == placement.id]
    merged = Commitment(
        label="Entreprises c1 et c2, GE",
        hours_per_week=hours,
        days=days,
        start=placement.start_date,
        source="placement",
        placement_id=placement.id,
    )
    for c in mine:
        person.commitments.remove(c)
    person.commitments.append(merged)
    db.session.commit()
    return merged


def test_one_commitment_at_the_needs_hours_is_shared_out_from_the_day_after(people):
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    merged = _merged(placement, 21, ["tue", "thu"])
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    # What was held ends on the last day; the company that remains has its own from then.
    assert merged.until == LAST_DAY and merged.need_id is None
    kept = _commitment(placement, n2)
    assert (kept.hours_per_week, kept.days, kept.start, kept.until) == (
        14,
        ["thu"],
        date(2027, 6, 11),
        None,
    )
    assert (
        kept.source == "placement"
        and kept.label == f"{n2.company.name}, {placement.lead.operator.name}"
    )
    # The placement's summary, hours and term are those of the company that remains.
    assert flow.placement_hours(placement) == 14
    assert flow.placement_term(placement) is None
    assert n1.status == "en_recherche" and n2.status == "pourvu"
    person = candidate_from_model(placement.candidate)
    assert "tue" in week.free_days(person, TODAY) and "thu" not in week.free_days(person, TODAY)
    assert week.free_hours(person, TODAY) == person.hours_max - 14
    # The company that remains can be left in turn: the placement ends.
    flow.end_at_company(db.session, placement, n2.id, last_day=TODAY, reason="x", actor=member)
    db.session.commit()
    assert kept.until == TODAY and placement.ended_on == TODAY


def test_a_commitment_shared_out_between_long_names_fits_its_label(people):
    """Spec (interchange v1.1, commitment): "label | string | optional: what and where";
    the import takes 200 characters at most, as the column. A company that remains, of
    120 characters, with an operator of 120, was labelled with 242: PostgreSQL refused
    the company's end, and SQLite kept a label the export could not give back."""
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    n2.company.name = "Cabinet comptable " + "des Prés Salés " * 6 + "x" * 12
    placement.lead.operator.name = "Groupement d'employeurs " + "Bassin Emploi " * 6 + "y"
    _merged(placement, 21, ["tue", "thu"])
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    kept = _commitment(placement, n2)
    assert len(kept.label) <= 200
    assert kept.label.startswith("Cabinet comptable des Prés Salés")
    assert kept.label.endswith(f"…, {placement.lead.operator.name}")


def test_a_fixed_term_commitment_shared_out_keeps_its_term(people):
    _animateur, member = people
    placement = _placed(people, refs=("n1", "n2"), contract="cdd", end=date(2027, 12, 31))
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    merged = _merged(placement, 21, ["tue", "thu"])
    merged.until = date(2027, 12, 31)
    db.session.commit()
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    assert _commitment(placement, n2).until == date(2027, 12, 31)
    assert flow.placement_term(placement) == date(2027, 12, 31)


@pytest.mark.parametrize(
    ("hours", "days"),
    [(18, ["tue", "thu"]), (21, ["tue"])],  # other hours than the needs'; a day not held
)
def test_one_commitment_whose_sharing_is_not_known_is_refused_saying_what_to_do(
    people, hours, days
):
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    merged = _merged(placement, hours, days)
    with pytest.raises(TransitionError) as refused:
        flow.end_at_company(
            db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member
        )
    why = refused.value.errors["need"]
    # What to do, exactly: what the needs hold, to give the commitment if it is so.
    assert f"({n1.company.name} 7 h le mardi, {n2.company.name} 14 h le jeudi)" in why
    assert "sur la fiche de la personne" in why and "la fin du placement au suivi" in why
    db.session.rollback()
    assert merged.until is None and n1.status == "pourvu"
    assert len([c for c in placement.candidate.commitments if c.placement_id == placement.id]) == 1


def test_several_commitments_over_the_companies_are_refused_naming_the_follow_up(people):
    _animateur, member = people
    placement, n1, _n2 = _bundle(people)
    _merged(placement, 21, ["tue", "thu"])
    second = Commitment(label="Autre part", hours_per_week=3, days=["tue"], source="placement")
    second.placement_id = placement.id
    placement.candidate.commitments.append(second)
    db.session.commit()
    with pytest.raises(TransitionError) as refused:
        flow.end_at_company(
            db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member
        )
    assert refused.value.errors["need"].endswith("Enregistrez la fin du placement au suivi.")
    db.session.rollback()
    assert n1.status == "pourvu"


def test_a_person_erased_since_leaves_a_company_all_the_same(people):
    from connectences.cvtheque.erase import erase_candidate

    animateur, member = people
    placement, n1, n2 = _bundle(people)
    _merged(placement, 18, ["tue", "thu"])  # not split: no commitment is left to split
    erase_candidate(db.session, placement.candidate, reason="demande", actor=animateur)
    db.session.commit()
    db.session.refresh(placement)
    assert placement.candidate is None
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    assert placement.needs_in_play == [n2] and n1.status == "en_recherche"


def test_a_commitment_whose_term_is_the_last_day_is_not_shared_out(people):
    _animateur, member = people
    placement = _placed(people, refs=("n1", "n2"), contract="cdd", end=date(2027, 12, 31))
    n1 = by_ref(Need, "n1")
    merged = _merged(placement, 21, ["tue", "thu"])
    merged.until = LAST_DAY
    db.session.commit()
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    mine = [c for c in placement.candidate.commitments if c.placement_id == placement.id]
    assert mine == [merged] and merged.until == LAST_DAY
    assert flow.placement_term(placement) == LAST_DAY


def test_a_last_day_after_the_companys_term_is_refused_in_the_fields_words(people):
    _animateur, member = people
    placement = _placed(people, refs=("n1", "n2"), contract="cdd", end=date(2027, 3, 31))
    n1 = by_ref(Need, "n1")
    with pytest.raises(TransitionError) as refused:
        flow.end_at_company(
            db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member
        )
    # Not the follow-up's « répondez oui »: this form has no such question.
    assert refused.value.errors["last_day"] == (
        "Le placement prenait fin le 31/03/2027, terme prévu : le dernier jour travaillé "
        "ne peut pas être après."
    )


def test_the_placement_cannot_end_before_a_company_it_left_later(people):
    """The person left n1 on LAST_DAY (recorded): the whole placement cannot have ended
    before that day, by the follow-up or by leaving the last company; nothing changes."""
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    earlier = date(2027, 6, 5)
    with pytest.raises(TransitionError, match="a quitté .* le 10/06/2027") as refused:
        _answer(_point(placement, 1), member, holds=False, ended_on=earlier)
    assert "ended_on" in refused.value.errors
    db.session.rollback()
    with pytest.raises(TransitionError, match="a quitté .* le 10/06/2027") as refused:
        flow.end_at_company(
            db.session, placement, n2.id, last_day=earlier, reason="x", actor=member
        )
    assert "last_day" in refused.value.errors
    db.session.rollback()
    assert placement.ended_on is None and n2.status == "pourvu"
    assert _commitment(placement, n1).until == LAST_DAY
    assert _commitment(placement, n2).until is None


def test_a_company_share_not_begun_when_the_placement_ends_is_withdrawn(people):
    """Shared out from the day after n1's end, n2's own commitment has not begun when the
    placement ends that same day: it is withdrawn, not left ending before it starts."""
    _animateur, member = people
    placement, n1, n2 = _bundle(people)
    merged = _merged(placement, 21, ["tue", "thu"])
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    assert _commitment(placement, n2).start == date(2027, 6, 11)
    _answer(_point(placement, 1), member, holds=False, ended_on=LAST_DAY)
    db.session.commit()
    db.session.expire_all()
    held = [c for c in placement.candidate.commitments if c.placement_id == placement.id]
    assert held == [merged] and merged.until == LAST_DAY
    assert all(c.until is None or c.start is None or c.start <= c.until for c in held)
    assert placement.ended_on == LAST_DAY
