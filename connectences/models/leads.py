"""Leads to operators, referrals to partners, placements and their follow-up points."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connectences.models.accounts import User
from connectences.models.base import Base, utcnow
from connectences.models.candidates import Candidate
from connectences.models.needs import Need
from connectences.models.organisations import Operator, Partner


class Lead(Base):
    """A need, or a bundle of needs ("un poste en temps partagé"), proposed to an operator."""

    __tablename__ = "lead"
    # An operator's inbox: its leads by state, newest first.
    __table_args__ = (Index("ix_lead_operator_status", "operator_id", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"), index=True)
    is_bundle: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="envoye", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list] = mapped_column(default=list)  # routing reasons, French sentences
    refusal_reason: Mapped[str | None] = mapped_column(String(40))
    refusal_text: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    operator: Mapped[Operator] = relationship()
    needs: Mapped[list[LeadNeed]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", order_by="LeadNeed.id"
    )
    candidates: Mapped[list[LeadCandidate]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", order_by="LeadCandidate.id"
    )


class LeadNeed(Base):
    __tablename__ = "lead_need"
    __table_args__ = (UniqueConstraint("lead_id", "need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)

    lead: Mapped[Lead] = relationship(back_populates="needs")
    need: Mapped[Need] = relationship()


class LeadCandidate(Base):
    __tablename__ = "lead_candidate"
    __table_args__ = (UniqueConstraint("lead_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float | None]  # 0 to 100, at most one decimal (``matching.score``)
    explanation: Mapped[list] = mapped_column(default=list)

    lead: Mapped[Lead] = relationship(back_populates="candidates")
    candidate: Mapped[Candidate] = relationship()


class Referral(Base):
    """A need re-oriented to a partner (France Travail, Mission Locale, interim...)."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="envoyee", index=True)
    reasons: Mapped[list] = mapped_column(default=list)
    note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    refusal_reason: Mapped[str | None] = mapped_column(String(40))
    refusal_text: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    partner: Mapped[Partner] = relationship()
    need: Mapped[Need] = relationship()


class Placement(Base):
    """One person placed by an operator, in one company or several (a bundle)."""

    __tablename__ = "placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate.id", ondelete="SET NULL"), index=True
    )
    hours_per_week: Mapped[float]
    contract: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[date]
    # The placement's last day, once it has ended before its term, and what ended it
    # (``vocab.PLACEMENT_ENDINGS``): its follow-up points left are then no longer due.
    ended_on: Mapped[date | None]
    ended_by: Mapped[str | None] = mapped_column(String(20))
    # The trial period (``workflows.trial``): how the operator set it (the legal maximum
    # proposed, an end agreed in the contract, none) and its last day. Both None for the
    # placements recorded before the trial was asked.
    trial: Mapped[str | None] = mapped_column(String(10))
    trial_end: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead: Mapped[Lead] = relationship()
    candidate: Mapped[Candidate | None] = relationship()
    needs: Mapped[list[PlacementNeed]] = relationship(
        back_populates="placement", cascade="all, delete-orphan"
    )
    follow_ups: Mapped[list[FollowUpPoint]] = relationship(
        back_populates="placement", cascade="all, delete-orphan", order_by="FollowUpPoint.due_on"
    )

    @property
    def needs_in_play(self) -> list[Need]:
        """The needs the placement still works for: those of the companies the person has
        not left (``PlacementNeed.ended_on``); all of them once it has ended as a whole."""
        return [item.need for item in self.needs if item.ended_on is None]


class PlacementNeed(Base):
    __tablename__ = "placement_need"
    __table_args__ = (UniqueConstraint("placement_id", "need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    # The person left this company and kept the placement's others
    # (``workflows.leads.end_at_company``): their last day worked there, and why.
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    # The weekly hours agreed with this company (``record_placement``: a bundle's
    # company by company, a single need's the placement's), kept here and not only in
    # the person's commitments, which go with them when they are erased. None for rows
    # recorded before, whose sharing nobody gave (``workflows.leads.company_hours``).
    hours_per_week: Mapped[float | None]

    placement: Mapped[Placement] = relationship(back_populates="needs")
    need: Mapped[Need] = relationship()


class FollowUpPoint(Base):
    """A planned check at 1, 3 or 6 months after a placement starts, or a few days before
    its trial period ends (``months`` 0: ``workflows.trial.TRIAL_POINT``)."""

    __tablename__ = "follow_up_point"
    __table_args__ = (UniqueConstraint("placement_id", "months"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    months: Mapped[int]
    due_on: Mapped[date] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    company_feedback: Mapped[str | None] = mapped_column(Text)
    candidate_feedback: Mapped[str | None] = mapped_column(Text)
    holds: Mapped[bool | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    placement: Mapped[Placement] = relationship(back_populates="follow_ups")
    # None once the account is deleted, and for points recorded before authors were kept.
    done_by: Mapped[User | None] = relationship()
