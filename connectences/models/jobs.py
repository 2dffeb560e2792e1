"""Scheduled-job bookkeeping: the run guard and the notices each job sends only once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connectences.models.base import Base, utcnow


class JobRun(Base):
    """One run of one job for one period (e.g. ``lead_escalation`` / ``2026-11-26``).

    The unique (job_id, period) pair is the guard: the row is inserted and committed
    before the job runs, so a second scheduler process (started by mistake) gets an
    IntegrityError for the same period and skips the run.
    """

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(60), index=True)
    period: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(10), default="running")  # running, ok, error
    counts: Mapped[dict] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class JobNotice(Base):
    """A reminder, alert or warning already sent: (kind, key) is written once, never twice.

    ``key`` names what the notice was about, e.g. ``lead:12`` or
    ``candidate:7:2025-01-03`` (the contact date, so a person contacted again can be
    warned again two years later).
    """

    __tablename__ = "job_notice"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)
