"""Each company's weekly hours of a placement are the placement's own
(``PlacementNeed.hours_per_week``, read by ``leads.company_hours``): recorded with it,
kept in step when they change (a commitment edited, one commitment shared out), and
still there once the person is erased, their commitments gone. A bundle placed 10 h +
6 h on needs of 7 h + 14 h, the person erased: leaving the first company leaves 6 h
(not 16 - 7), and the lead page still says 10 h and 6 h."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, update

from connectences.cvtheque.commitments import read_commitment, update_commitment
from connectences.cvtheque.erase import erase_candidate
from connectences.extensions import db
from connectences.models import Candidate, Commitment, Need, Placement, PlacementNeed
from connectences.workflows import leads as flow
from tests.helpers import by_ref, page_text
from tests.known_secrets import PASSWORD
from tests.test_bundle_company_hours import _bundle, _confirmation, _place
from tests.test_follow_up import NOW, TODAY, _placed, frozen, people
from tests.test_placement_company_end import LAST_DAY, _merged

__all__ = ["NOW", "frozen", "people"]  # the fixtures, used by name

# The revision before the one that gave each company's hours to the placement.
BEFORE = "c7d9e1f3a5b8"


def _row_hours(placement) -> dict[str, float | None]:
    """Need ref -> the hours stored on the placement's row for it (``placement`` or its
    id)."""
    placement_id = getattr(placement, "id", placement)
    db.session.expire_all()
    rows = db.session.execute(
        select(Need.ref, PlacementNeed.hours_per_week)
        .join(PlacementNeed, PlacementNeed.need_id == Need.id)
        .where(PlacementNeed.placement_id == placement_id)
    ).all()
    return dict(rows)


def _placed_10_and_6(people) -> Placement:
    lead = _bundle(people)
    return _place(people, lead, 10, 6, confirmed=_confirmation(10, 6))


def _erase(people, placement) -> None:
    erase_candidate(db.session, placement.candidate, reason="demande", actor=people[0])
    db.session.commit()
    db.session.refresh(placement)
    assert placement.candidate is None


def test_each_company_s_hours_are_written_on_the_placement(people):
    placement = _placed_10_and_6(people)
    assert _row_hours(placement) == {"n1": 10, "n2": 6}


def test_a_single_need_s_hours_are_the_placement_s(people):
    placement = _placed(people, refs=("n1",))
    assert _row_hours(placement) == {"n1": placement.hours_per_week}


def test_a_total_at_the_needs_hours_gives_each_its_need_s(people):
    placement = _placed(people, refs=("n1", "n2"))  # 21 h: the needs' 7 h + 14 h
    assert _row_hours(placement) == {"n1": 7, "n2": 14}


def test_a_total_whose_sharing_nobody_gave_writes_none(people):
    """18 h over needs of 7 h + 14 h, given as a total: one commitment over both
    companies, and no company's hours are known (the summary says their days only)."""
    animateur, member = people
    lead = _bundle(people)
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        hours_per_week=18,
        contract="cdi",
        start_date=lead.created_at.date(),
        actor=member,
        confirmed=flow.placement_confirmation(by_ref(Candidate, "ok").id, 18),
    )
    db.session.commit()
    assert _row_hours(placement) == {"n1": None, "n2": None}
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    assert flow.placement_companies(placement) == (
        f"{n1.company.name} le mardi, {n2.company.name} le jeudi"
    )


def test_erased_then_leaving_a_company_leaves_the_other_s_own_hours(people):
    _animateur, member = people
    placement = _placed_10_and_6(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    _erase(people, placement)
    # The summary still says what was agreed with each company, not their needs' hours.
    assert flow.placement_hours(placement) == 16
    assert flow.placement_companies(placement) == (
        f"{n1.company.name} 10 h le mardi, {n2.company.name} 6 h le jeudi"
    )
    flow.end_at_company(
        db.session, placement, n1.id, last_day=TODAY.replace(day=10), reason="x", actor=member
    )
    db.session.commit()
    assert flow.placement_hours(placement) == 6
    assert flow.placement_companies(placement) == f"{n2.company.name} 6 h le jeudi"


def test_the_lead_page_still_says_each_company_s_hours_after_the_erasure(people, client, auth):
    placement = _placed_10_and_6(people)
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    lead_id = placement.lead_id
    _erase(people, placement)
    auth.post_login("olivia@ge.fr", PASSWORD)
    page = page_text(client.get(f"/operateur/propositions/{lead_id}"))
    assert "16 h par semaine" in page
    assert f"{n1.company.name} 10 h le mardi, {n2.company.name} 6 h le jeudi" in page


def test_a_company_s_commitment_edited_keeps_the_placement_in_step(people):
    """The animateur corrects the hours of one company's commitment (10 h become 12 h):
    the placement's row says 12 h too, its total 18 h, and so once the person is erased."""
    animateur, _member = people
    placement = _placed_10_and_6(people)
    person = placement.candidate
    n1 = by_ref(Need, "n1")
    commitment = flow.company_commitment(placement, n1)
    values = read_commitment(
        person,
        label=commitment.label,
        hours="12",
        days=commitment.days,
        start=commitment.start.isoformat() if commitment.start else None,
        until=None,
        replacing=commitment,
    )
    assert update_commitment(db.session, person, commitment, values, actor=animateur)
    db.session.commit()
    assert _row_hours(placement) == {"n1": 12, "n2": 6}
    assert flow.placement_hours(placement) == 18
    _erase(people, placement)
    assert flow.placement_companies(placement).startswith(f"{n1.company.name} 12 h")
    assert flow.placement_hours(placement) == 18


def test_a_declared_commitment_edited_touches_no_placement(people):
    animateur, _member = people
    placement = _placed_10_and_6(people)
    person = placement.candidate
    declared = Commitment(label="Ailleurs", hours_per_week=3, days=["mon"], source="declared")
    person.commitments.append(declared)
    db.session.commit()
    values = read_commitment(
        person, label="Ailleurs", hours="4", days=["mon"], start=None, until=None,
        replacing=declared,
    )  # fmt: skip
    update_commitment(db.session, person, declared, values, actor=animateur)
    db.session.commit()
    assert _row_hours(placement) == {"n1": 10, "n2": 6}


def test_one_commitment_shared_out_gives_the_company_that_remains_its_hours(people):
    """A placement recorded before its companies' hours were kept (rows without hours),
    held in one commitment at its needs' hours: leaving n1's company shares it out, and
    n2's row takes the hours of the commitment written for it, kept after an erasure."""
    _animateur, member = people
    placement = _placed(people, refs=("n1", "n2"))
    db.session.execute(update(PlacementNeed).values(hours_per_week=None))
    db.session.commit()
    _merged(placement, 21, ["tue", "thu"])
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    flow.end_at_company(db.session, placement, n1.id, last_day=LAST_DAY, reason="x", actor=member)
    db.session.commit()
    assert _row_hours(placement)["n2"] == 14
    _erase(people, placement)
    assert flow.placement_companies(placement) == f"{n2.company.name} 14 h le jeudi"


@pytest.fixture
def migrated_again():
    """Run the migration's downgrade and upgrade on the suite's database (its rows kept),
    then give the next tests the schema they expect."""

    def run():
        db.session.remove()
        downgrade(revision=BEFORE)
        upgrade()
        db.session.remove()

    yield run
    db.session.remove()


def test_the_migration_fills_each_company_s_hours_from_its_commitment(people, migrated_again):
    placement_id = _placed_10_and_6(people).id
    db.session.execute(update(PlacementNeed).values(hours_per_week=None))
    db.session.commit()
    migrated_again()
    assert _row_hours(placement_id) == {"n1": 10, "n2": 6}


def test_the_migration_gives_a_single_need_the_placement_s_hours(people, migrated_again):
    """The person erased, no commitment left: a single need's hours are the placement's."""
    placement = _placed(people, refs=("n1",))
    _erase(people, placement)
    placement_id = placement.id
    db.session.execute(update(PlacementNeed).values(hours_per_week=None))
    db.session.commit()
    migrated_again()
    assert _row_hours(placement_id) == {"n1": 7}


def test_the_migration_leaves_a_sharing_nobody_gave_empty(people, migrated_again):
    placement = _placed(people, refs=("n1", "n2"))
    _merged(placement, 18, ["tue", "thu"])
    placement_id = placement.id
    db.session.execute(update(PlacementNeed).values(hours_per_week=None))
    db.session.commit()
    migrated_again()
    assert _row_hours(placement_id) == {"n1": None, "n2": None}
