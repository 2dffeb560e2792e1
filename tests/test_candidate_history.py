"""A person's history lines are recorded, listed newest first, and go with the person."""

from datetime import UTC, datetime

from sqlalchemy import select

from connectences.cvtheque.history import events_of, record_event
from connectences.extensions import db
from connectences.models import Candidate, CandidateEvent
from tests import factories


def test_events_are_listed_newest_first_and_deleted_with_the_person():
    factories.load(factories.document(candidates=[factories.candidate(ref="cv-h")]))
    person = db.session.scalar(select(Candidate).where(Candidate.ref == "cv-h"))
    record_event(db.session, person, "created", "Profil créé", at=datetime(2026, 1, 1, tzinfo=UTC))
    record_event(
        db.session,
        person.id,
        "updated",
        "Heures modifiées",
        actor_label="la personne",
        at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    db.session.commit()
    assert [e.kind for e in events_of(db.session, person.id)] == ["updated", "created"]
    db.session.delete(person)
    db.session.commit()
    assert db.session.scalars(select(CandidateEvent)).all() == []
