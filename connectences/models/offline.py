"""Records an animateur made on a phone without network and sent later (see
``connectences.prospection.offline``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from connectences.models.base import Base, utcnow


class OfflineRecord(Base):
    """One record received from a phone's offline queue, by its idempotency key.

    The key is generated on the phone when the animateur records a visit, a new company
    or a detected need; its unique constraint is what makes a replayed or doubly sent
    record (two tabs, a lost answer) stored once. The row points at what was stored,
    so that a replay answers with it.
    """

    __tablename__ = "offline_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # entreprise, visite, besoin
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # When the animateur recorded it on the phone (the phone's clock, bounded on receipt).
    recorded_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="SET NULL"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id", ondelete="SET NULL"))
