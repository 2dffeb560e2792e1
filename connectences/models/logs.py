"""The transition log of every state machine, the audit log, tombstones, and the
generations of watched data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from connectences.models.base import Base, utcnow


class Transition(Base):
    """Who moved which record from which state to which, when and why."""

    __tablename__ = "transition"
    __table_args__ = (Index("ix_transition_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))  # need, lead, referral, candidate
    entity_id: Mapped[int]
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditLog(Base):
    """Security- and privacy-relevant actions: logins, exports, refusals, deletions."""

    __tablename__ = "audit_log"
    # The admin's search of the log is by record and by person (web/admin.py).
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity: Mapped[str | None] = mapped_column(String(30))
    entity_id: Mapped[int | None]
    ip: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict] = mapped_column(default=dict)


class Deletion(Base):
    """A record deleted for good (a tombstone): what another platform synchronising by
    ``updated_since`` needs to delete its copy too. Holds the record's kind and ref only,
    with the ids of the organisations whose API tokens reached it (no foreign keys: they
    may be gone as well), never personal data."""

    __tablename__ = "deletion"
    __table_args__ = (Index("ix_deletion_kind_at", "kind", "deleted_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # needs, candidates, leads, referrals...
    ref: Mapped[str] = mapped_column(String(100))
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
    company_id: Mapped[int | None]
    operator_id: Mapped[int | None]
    partner_id: Mapped[int | None]


class ChangeGeneration(Base):
    """How many committed changes a watch of ``connectences.changes`` has seen: the
    version, shared by every process and host, of what a process keeps of that data."""

    __tablename__ = "change_generation"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
