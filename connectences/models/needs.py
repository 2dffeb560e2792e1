"""A company's need: qualified and routed, never published."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from connectences import vocab
from connectences.models.base import Base, utcnow
from connectences.models.companies import Company

# A need is in the animateurs' queue unless a company posted it and never confirmed it
# (``needs.conditions.in_queue``, the same condition, is what queries say: the partial
# indexes below serve the queries that say it).
IN_QUEUE = "source != 'entreprise' OR owner_confirmed_at IS NOT NULL"


def work_place(need_commune: str | None, company_commune: str) -> str:
    """INSEE code of where a need's work happens: its own commune, else its company's."""
    return need_commune or company_commune


class Need(Base):
    __tablename__ = "need"
    # The needs board and the animateur's home count the queue by state: answered from
    # the first index alone, without reading the rows. The other two hold only the needs
    # of the queue (``conditions.in_queue``) and give its newest needs, by state (the board's
    # window, ``board.board_query``) and overall, without a sort: needs posted by companies
    # and never confirmed (a flood of them from the public form) are not walked through.
    # The last gives the queue's latest change.
    __table_args__ = (
        Index("ix_need_status_queue", "status", "source", "owner_confirmed_at"),
        Index(
            "ix_need_queue_state_order",
            "status",
            "created_at",
            "id",
            sqlite_where=text(IN_QUEUE),
            postgresql_where=text(IN_QUEUE),
        ),
        Index(
            "ix_need_queue_order",
            "created_at",
            "id",
            sqlite_where=text(IN_QUEUE),
            postgresql_where=text(IN_QUEUE),
        ),
        # The queue's latest change (``register.queue_version``), read from its end.
        Index(
            "ix_need_queue_changed",
            "updated_at",
            "id",
            sqlite_where=text(IN_QUEUE),
            postgresql_where=text(IN_QUEUE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    rome: Mapped[str | None] = mapped_column(String(5), index=True)
    skills: Mapped[list] = mapped_column(default=list)
    level: Mapped[str] = mapped_column(String(20))
    hours_per_week: Mapped[float]
    days: Mapped[list] = mapped_column(default=list)
    contract: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(30))
    start: Mapped[date]
    duration_months: Mapped[float | None]
    # None: the company's commune (interchange default).
    commune: Mapped[str | None] = mapped_column(String(5))
    shared_time: Mapped[bool | None]  # set by the animateur when qualifying
    status: Mapped[str] = mapped_column(String(20), default="nouveau", index=True)
    reason_text: Mapped[str | None] = mapped_column(Text)  # the owner's own words
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="animateur")
    owner_email: Mapped[str | None] = mapped_column(String(254))
    # Who posted the need from the public form, kept until an animateur calls them back.
    owner_name: Mapped[str | None] = mapped_column(String(200))
    owner_phone: Mapped[str | None] = mapped_column(String(30))
    owner_confirmed_at: Mapped[datetime | None]
    # Posted on the public form for a company already known, by an address that is none
    # of that company's (its registered address, its contacts', its owners' accounts'):
    # anyone can type a SIRET. Until an animateur checks with the company and attaches
    # the person (``register.attach_owner``), the need is not the company's: its owners
    # do not see it, and it is neither qualified nor re-oriented.
    owner_unattached: Mapped[bool] = mapped_column(default=False, server_default=false())
    # One sending of the public form (``submissions.key``): unique, so that the
    # same form sent twice at the same instant (a double click, a retried request) is
    # stored once, on both databases; empty for needs entered otherwise.
    submission_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"))
    # Indexed: a company account's area lists the needs it sent for other companies
    # (``register.needs_sent_elsewhere``), 38 ms a visit through 10,000 needs without.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Indexed: its maximum tells the observatory's cache that a need changed.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    company: Mapped[Company] = relationship()

    @validates("days")
    def _order_days(self, _key: str, value: list | None) -> list:
        return vocab.week_order(value)

    @property
    def place(self) -> str:
        """INSEE code of where the work happens."""
        return work_place(self.commune, self.company.commune)


class OwnerLinks(Base):
    """The company-space links of one owner's address: the version their links carry.
    Raised when the owner disables every link sent so far (a link read by someone else):
    a link of an older version opens nothing. No row: version 0, the links never
    disabled."""

    __tablename__ = "owner_links"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)  # contacts.email_key
    version: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None]
