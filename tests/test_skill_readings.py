"""The stored skills of the CV library read again by today's skill rules
(``cvtheque.restamp``, the nightly ``skill_readings`` job): a row written by an earlier
version keeps its old concept until then, and the search goes on finding people by it."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import select, update

from connectences import skills
from connectences.cvtheque.restamp import restamp_skills
from connectences.cvtheque.search import iter_candidates
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import CandidateSkill
from tests import factories as f


def _found(text: str) -> set[str]:
    return {h.candidate.ref for h in iter_candidates(db.session, {"text": text})}


def _stored(label: str) -> tuple[str, str | None]:
    return db.session.execute(
        select(CandidateSkill.norm, CandidateSkill.concept).where(CandidateSkill.label == label)
    ).one()


def _written_by_an_earlier_version() -> None:
    """Two people; the plain driving licence stored as an earlier version read it
    (marine mechanics, I1605), with another reading of its norm too."""
    f.load(
        f.document(
            candidates=[
                f.candidate(ref="driver", skills=["permis de conduire"]),
                f.candidate(ref="mechanic", skills=["mécanique marine"]),
            ]
        )
    )
    db.session.execute(
        update(CandidateSkill)
        .where(CandidateSkill.label == "permis de conduire")
        .values(concept="I1605", norm="permis conduire")
    )
    db.session.commit()


def test_stale_readings_are_written_again_and_the_search_follows():
    _written_by_an_earlier_version()
    assert _found("mécanique marine") == {"driver", "mechanic"}  # the stale reading
    counts = restamp_skills(db.session)
    db.session.commit()
    assert counts == {"labels": 2, "labels_changed": 1, "rows": 1}
    assert _stored("permis de conduire") == (
        skills.normalize("permis de conduire"),
        skills.concept_of("permis de conduire"),
    )
    assert skills.concept_of("permis de conduire") != "I1605"
    assert _found("mécanique marine") == {"mechanic"}
    # Read again, nothing is left to change.
    assert restamp_skills(db.session) == {"labels": 2, "labels_changed": 0, "rows": 0}


def test_the_nightly_job_restamps_and_its_dry_run_changes_nothing():
    _written_by_an_earlier_version()
    night = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    with time_machine.travel(night, tick=False):
        dry = execute(JOBS_BY_ID["skill_readings"], now=night, dry_run=True)
    assert dry["rows"] == 1 and _stored("permis de conduire")[1] == "I1605"
    with time_machine.travel(night, tick=False):
        done = execute(JOBS_BY_ID["skill_readings"], now=night)
    assert done["rows"] == 1
    db.session.expire_all()
    assert _stored("permis de conduire")[1] == skills.concept_of("permis de conduire")
