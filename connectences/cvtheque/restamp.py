"""The stored skills of the CV library kept in step with the skill rules.

Each skill a person wrote is stored with its normalised form and its taxonomy concept
(``profile.set_skills``), read by the CV search from its indexes. Both come from the
code of ``connectences.skills`` (normalisation, taxonomy, concept rules) at the time the
skill was written: when a new version corrects a rule ("permis de conduire" no longer
read as marine mechanics, "pâtissier" named pâtisserie), the rows written before keep
the old reading, and the search goes on finding (or missing) people by it, while the
matcher, which reads the labels, already says otherwise.

:func:`restamp_skills` writes again the norm and the concept of every stored skill whose
reading changed, one distinct label at a time (a library of 100,000 people holds a few
thousand distinct labels). The scheduler runs it each night (``jobs`` ``skill_readings``),
so a new version's readings reach the rows within a day; run it right after an upgrade
with ``flask --app connectences jobs run skill_readings --wet-run``.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectences import skills
from connectences.models import CandidateSkill


def restamp_skills(session: Session) -> dict[str, int]:
    """Write again the stored norm and concept of each skill whose reading by today's
    rules differs. Returns the counts: ``labels`` read, ``labels_changed``, ``rows``
    rewritten. Nothing is committed here (the caller's transaction)."""
    counts = Counter(labels=0, labels_changed=0, rows=0)
    stored = session.execute(
        select(CandidateSkill.label, CandidateSkill.norm, CandidateSkill.concept)
        .group_by(CandidateSkill.label, CandidateSkill.norm, CandidateSkill.concept)
        .order_by(CandidateSkill.label)
    ).all()
    for label, norm, concept in stored:
        counts["labels"] += 1
        new_norm, new_concept = skills.normalize(label), skills.concept_of(label)
        if (new_norm, new_concept) == (norm, concept):
            continue
        counts["labels_changed"] += 1
        result = session.execute(
            update(CandidateSkill)
            .where(
                CandidateSkill.label == label,
                CandidateSkill.norm == norm,
                CandidateSkill.concept.is_not_distinct_from(concept),
            )
            .values(norm=new_norm, concept=new_concept)
            .execution_options(synchronize_session=False)
        )
        counts["rows"] += result.rowcount
    return dict(counts)
