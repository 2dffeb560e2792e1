"""What the platform tells companies (#15): resources written by the animateurs, the
partners' and operators' directory entries ("Qui fait quoi"), testimonials, and the
call-back requests of the public form."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connectences.models.base import Base, utcnow


class Resource(Base):
    """A short page (aide, dispositif, HR or regulation guide) written in Markdown.

    The profile lists (``naf_sections``, ``size_bands``, ``epcis``) say which companies
    it concerns; an empty list means every company. Past ``valid_until`` it leaves the
    public pages and its author is reminded (jobs ``resource_expiry``).
    """

    __tablename__ = "resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    topics: Mapped[list] = mapped_column(default=list)
    naf_sections: Mapped[list] = mapped_column(default=list)
    size_bands: Mapped[list] = mapped_column(default=list)
    epcis: Mapped[list] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(500))
    valid_until: Mapped[date] = mapped_column(index=True)
    published: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped[User | None] = relationship("User")  # noqa: F821


class DirectoryEntry(Base):
    """An operator's or partner's entry in "Qui fait quoi": the published version, and
    the version its members proposed, waiting for an animateur (``proposed``)."""

    __tablename__ = "directory_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operator.id", ondelete="CASCADE"), unique=True
    )
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), unique=True
    )
    # The published version (None until an animateur validated a first one).
    offer: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[str | None] = mapped_column(Text)
    topics: Mapped[list] = mapped_column(default=list)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The version a member proposed, until an animateur validates or refuses it.
    proposed: Mapped[dict | None]
    proposed_at: Mapped[datetime | None]
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    refusal: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    operator: Mapped[Operator | None] = relationship("Operator")  # noqa: F821
    partner: Mapped[Partner | None] = relationship("Partner")  # noqa: F821

    @property
    def organisation(self):
        return self.operator if self.operator_id is not None else self.partner


class Testimonial(Base):
    """The story of a company that was helped, shown only within the written agreement
    of its owner (``consent_scope``: where) and until that agreement is withdrawn."""

    __tablename__ = "testimonial"
    __test__ = False  # not a pytest class, whatever its name

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    company_label: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id", ondelete="SET NULL"))
    photo: Mapped[str | None] = mapped_column(String(80))
    photo_alt: Mapped[str | None] = mapped_column(String(300))
    consent_by: Mapped[str] = mapped_column(String(200))
    consent_on: Mapped[date]
    consent_scope: Mapped[list] = mapped_column(default=list)
    consent_note: Mapped[str | None] = mapped_column(String(500))
    published: Mapped[bool] = mapped_column(default=False)
    withdrawn_at: Mapped[datetime | None]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company | None] = relationship("Company")  # noqa: F821
    need: Mapped[Need | None] = relationship("Need")  # noqa: F821


class CallbackRequest(Base):
    """A company (or someone) asked to be called back through the public form: a
    follow-up for the animateur of its intercommunality, a contact the company asked for."""

    __tablename__ = "callback_request"
    __table_args__ = (Index("ix_callback_request_open", "animateur_id", "done_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(30))
    best_time: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(40))
    company_name: Mapped[str | None] = mapped_column(String(200))
    commune: Mapped[str | None] = mapped_column(String(5))
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    animateur_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    company: Mapped[Company | None] = relationship("Company")  # noqa: F821
    animateur: Mapped[User | None] = relationship("User")  # noqa: F821
