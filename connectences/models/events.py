"""Events for companies and job seekers (webinars, petits déjeuners, job datings,
information sessions), the people who register to them, and the newsletter issues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connectences.models.base import Base, utcnow
from connectences.models.companies import Company
from connectences.models.organisations import Partner

event_partner = Table(
    "event_partner",
    Base.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
)


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    # Where it happens: a place, a link (webinar), or both.
    place: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    audience: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[int]
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    # The .ics SEQUENCE (RFC 5545 3.8.7.4): raised when the day, time or place changes or
    # the event is cancelled, so that agendas holding the event take the new version.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # Who came (``events.attendance``): recorded once the event has begun, by whom, and
    # how many came without registering (None: attendance not recorded yet).
    attendance_at: Mapped[datetime | None]
    attendance_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    walk_ins: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    partners: Mapped[list[Partner]] = relationship(
        secondary=event_partner, order_by="[Partner.sort_name, Partner.id]"
    )
    organiser: Mapped[User | None] = relationship("User", foreign_keys=[organiser_id])  # noqa: F821

    @property
    def partner_ids(self) -> list[int]:
        """Its partners' ids in order, as the staff form stores them (``catalogue.stored``)."""
        return sorted(partner.id for partner in self.partners)


class EventRegistration(Base):
    """One person registered to an event.

    pending (address not confirmed yet, holds no seat) -> registered | waiting
    (the event was full when they confirmed) -> cancelled; a cancellation promotes the
    first person waiting.
    """

    __tablename__ = "event_registration"
    __table_args__ = (Index("ix_event_registration_event_status", "event_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    siret: Mapped[str | None] = mapped_column(String(14))
    # The company of the directory this person registered for (matched by SIRET or
    # e-mail): the registration is on its timeline.
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # When the person took a seat (registered at once, or promoted from the waiting list).
    seated_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    # Whether they came (None: not recorded, see ``Event.attendance_at``).
    attended: Mapped[bool | None]

    event: Mapped[Event] = relationship()
    company: Mapped[Company | None] = relationship()


class NewsletterIssue(Base):
    """One issue of the newsletter: an introduction and blocks (events, and later
    resources and testimonials), composed, previewed, tested, then sent once."""

    __tablename__ = "newsletter_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    # The kinds of blocks chosen (``newsletter.blocks.BLOCKS`` keys), in order.
    blocks: Mapped[list] = mapped_column(default=list)
    # What was sent, frozen at sending time for the public archive.
    snapshot: Mapped[list | None]
    # Companies the issue went to, kept up to date by the sending job (its progress).
    sent_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When the sending was asked for: the issue no longer changes from then on. The
    # scheduler's job sends it by batches (``newsletter.issues.send_batch``) and stamps
    # ``send_done_at`` once every consenting company was dealt with.
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    send_done_at: Mapped[datetime | None]

    @property
    def sending(self) -> bool:
        """Asked for, not finished: the job is still sending it."""
        return self.sent_at is not None and self.send_done_at is None


class NewsletterDelivery(Base):
    """What sending an issue did for one company: sent (``reason`` None, ``address`` the
    normalised address it went to) or skipped with the reason. One row per issue and
    company (the unique constraint): the job's progress, so that a run interrupted and
    resumed, or a second scheduler, never sends it twice to a company, and the
    sent addresses, so that an address several companies share gets one mail."""

    __tablename__ = "newsletter_delivery"
    __table_args__ = (
        UniqueConstraint("issue_id", "company_id"),
        Index("ix_newsletter_delivery_issue_address", "issue_id", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("newsletter_issue.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(254))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Company] = relationship()
