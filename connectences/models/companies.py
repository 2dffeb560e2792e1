"""Companies (TPEs), their contacts, and the prospection visits made to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from connectences.models.base import Base, sort_name_column, utcnow
from connectences.text import sort_key


class Company(Base):
    __tablename__ = "company"
    # The directory and the other lists of companies, by name, paged.
    __table_args__ = (Index("ix_company_sort_name", "sort_name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    siren: Mapped[str] = mapped_column(String(9), index=True)
    naf: Mapped[str | None] = mapped_column(String(6))
    employees: Mapped[int | None]
    commune: Mapped[str] = mapped_column(String(5), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # The company's own switchboard or shop number and its website (the contact persons
    # have their own phones): stored checked (``prospection.companies.clean_phone``,
    # ``clean_website``). Not part of the interchange format.
    phone: Mapped[str | None] = mapped_column(String(30))
    website: Mapped[str | None] = mapped_column(String(300))
    newsletter_consent: Mapped[bool] = mapped_column(default=False)
    do_not_solicit: Mapped[bool] = mapped_column(default=False)
    # The number of contacts per month the company itself accepts (None: no cap chosen).
    max_contacts_per_month: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # What lists sort by, kept in step with the name (``listing.sort_key``).
    sort_name: Mapped[str] = sort_name_column()

    @validates("name")
    def _set_sort_name(self, _key: str, value: str | None) -> str | None:
        self.sort_name = sort_key(value)
        return value

    contacts: Mapped[list[CompanyContact]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="CompanyContact.id"
    )


class CompanyContact(Base):
    __tablename__ = "company_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    # Its own read stamp (``workflows.unchanged_since``): a contact's form is refused only
    # when that contact changed, not another one of the company or its preferences.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship(back_populates="contacts")


class Visit(Base):
    """A prospection contact with a company (door to door, phone, collective session...)."""

    __tablename__ = "visit"
    # An animateur's open follow-ups in date order (their home page and their list); the
    # visits list's counts by channel and outcome, read from an index alone; the
    # observatory's visits of a territory's companies over a period, by channel and
    # animateur, likewise.
    __table_args__ = (
        Index("ix_visit_follow_ups", "animateur_id", "follow_up_closed_at", "follow_up_on"),
        # The open ones alone (a few in a hundred visits): an animateur's home counts them
        # and lists the first due at every request. With the index above PostgreSQL walked
        # every follow-up date of the platform to find one animateur's first (13 ms at
        # 50,000 visits); this one holds only what the home reads, in its order.
        Index(
            "ix_visit_open_follow_ups",
            "animateur_id",
            "follow_up_on",
            "id",
            sqlite_where=text("follow_up_on IS NOT NULL AND follow_up_closed_at IS NULL"),
            postgresql_where=text("follow_up_on IS NOT NULL AND follow_up_closed_at IS NULL"),
        ),
        Index("ix_visit_channel_outcome", "channel", "outcome"),
        Index("ix_visit_company_day", "company_id", "visited_on", "channel", "animateur_id"),
        # The latest visits (the home, the visits list) in their order, ties on the day
        # included: with the day alone PostgreSQL read and sorted every visit of the last
        # day to show ten (SQLite's indexes end with the row id already).
        Index("ix_visit_day_order", "visited_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    animateur_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(40))
    visited_on: Mapped[date]
    topics: Mapped[list] = mapped_column(default=list)
    outcome: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    need_detected: Mapped[bool] = mapped_column(default=False)
    follow_up_on: Mapped[date | None] = mapped_column(index=True)
    follow_up_closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # One sending of the online visit form (``submissions.key``, the animateur and the
    # company hashed in): unique, so that the form sent twice (a double click, a phone's
    # retry) is stored once, on both databases; empty for visits recorded otherwise.
    submission_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)

    company: Mapped[Company] = relationship()
    # Who made the contact, shown by the contact-pressure guard and the timelines.
    animateur: Mapped[User | None] = relationship("User")  # noqa: F821


class CompanyMailing(Base):
    """A newsletter (lettre d'information) sent to a company: a contact like a visit,
    counted by the contact-pressure guard."""

    __tablename__ = "company_mailing"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    subject: Mapped[str] = mapped_column(String(200))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The issue sent through the platform (None: a newsletter sent elsewhere, recorded).
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("newsletter_issue.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Company] = relationship()
    sent_by: Mapped[User | None] = relationship("User")  # noqa: F821
