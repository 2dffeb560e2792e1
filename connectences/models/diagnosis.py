"""The GPECT diagnosis: a company's answers to the questionnaire on its recruitment
difficulties, the skills it will need, shared time, training, and its employees'
mobility and housing constraints.

A questionnaire is either sent to the owner as a signed link (``sent_at``: it counts as
a contact in the contact-pressure guard) or filled in by an animateur during a visit;
it holds answers once ``submitted_at`` is set. The closed lists and the rules are in
``connectences.prospection.diagnosis``; the aggregates in
``connectences.observatory.diagnosis``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connectences.models.accounts import User
from connectences.models.base import Base, utcnow
from connectences.models.companies import Company


class Diagnosis(Base):
    __tablename__ = "diagnosis"
    # The latest answered questionnaire of each company (the observatory counts those).
    __table_args__ = (Index("ix_diagnosis_company_submitted", "company_id", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    # "lien": the owner answers from a mailed link; "visite": an animateur fills it in.
    source: Mapped[str] = mapped_column(String(10))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"))
    filled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sent_to: Mapped[str | None] = mapped_column(String(254))
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    submitted_at: Mapped[datetime | None]
    # Single-choice answers (closed lists); the multiple ones are DiagnosisAnswer rows.
    difficulty: Mapped[str | None] = mapped_column(String(20))
    shared_time: Mapped[str | None] = mapped_column(String(20))
    other_cause: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    answers: Mapped[list[DiagnosisAnswer]] = relationship(
        back_populates="diagnosis", cascade="all, delete-orphan", order_by="DiagnosisAnswer.id"
    )

    def values(self, question: str) -> list[str]:
        """The values ticked for a multiple-choice ``question``, in the order given."""
        return [answer.value for answer in self.answers if answer.question == question]


class DiagnosisAnswer(Base):
    """One value ticked for a multiple-choice question (a cause, a skill, a constraint)."""

    __tablename__ = "diagnosis_answer"
    __table_args__ = (Index("ix_diagnosis_answer_question_value", "question", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    diagnosis_id: Mapped[int] = mapped_column(
        ForeignKey("diagnosis.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(40))

    diagnosis: Mapped[Diagnosis] = relationship(back_populates="answers")
