"""The CV library. Only what matching needs: nothing French law forbids in hiring."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship, validates

from connectences import vocab
from connectences.contacts import email_key, fold_name, name_key, phone_key
from connectences.models.base import Base, sort_name_column, utcnow
from connectences.text import sort_key


class Candidate(Base):
    __tablename__ = "candidate"
    # The people of a commune, most recently updated first, read from the index alone.
    # Lists of people by name, paged.
    __table_args__ = (
        Index("ix_candidate_commune_updated_at", "commune", "updated_at"),
        Index("ix_candidate_sort_name", "sort_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    commune: Mapped[str] = mapped_column(String(5))
    mobility_km: Mapped[float]
    rome: Mapped[list] = mapped_column(default=list)
    level: Mapped[str] = mapped_column(String(20), index=True)
    hours_min: Mapped[float]
    hours_max: Mapped[float]
    days: Mapped[list] = mapped_column(default=list)
    contracts: Mapped[list] = mapped_column(default=list)
    available_from: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="disponible", index=True)
    consent: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(100))
    email_confirmed_at: Mapped[datetime | None]
    # A new address the person asked for in their space, until they confirm it from that
    # mailbox: ``email`` stays theirs (and matched) meanwhile, and nobody learns from the
    # form whether another profile holds the new one.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    cv_filename: Mapped[str | None] = mapped_column(String(200))
    # Bumped to revoke every personal link (cvtheque.consent.space_token) at once.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The person said their week is complete ("mon emploi du temps est complet"): they
    # stay "placé" even with free hours (see cvtheque.status.settle_status).
    week_complete: Mapped[bool] = mapped_column(default=False, server_default=false())
    notes: Mapped[str | None] = mapped_column(Text)
    last_contact_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    # Comparison forms kept in step by the validators below, so that duplicate detection
    # is an indexed lookup (see connectences.cvtheque.duplicates).
    email_norm: Mapped[str | None] = mapped_column(String(254), index=True)
    phone_norm: Mapped[str | None] = mapped_column(String(30), index=True)
    last_name_norm: Mapped[str | None] = mapped_column(String(100), index=True)
    name_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # What lists sort by: last name, then first name (``listing.sort_key``).
    sort_name: Mapped[str] = sort_name_column()

    @validates("email")
    def _set_email_norm(self, _key: str, value: str | None) -> str | None:
        self.email_norm = email_key(value)
        return value

    @validates("phone")
    def _set_phone_norm(self, _key: str, value: str | None) -> str | None:
        self.phone_norm = phone_key(value)
        return value

    @validates("rome")
    def _set_rome_codes(self, _key: str, value: list | None) -> list | None:
        # One indexed row per target job, so that a search by job reads an index instead
        # of every person's JSON list (see connectences.cvtheque.search). Replacing the
        # collection loads the old rows: no flush of a half-edited person meanwhile.
        session = object_session(self)
        with session.no_autoflush if session is not None else nullcontext():
            self.rome_codes = [
                CandidateRome(code=row["code"]) for row in rome_code_rows(None, value)
            ]
        return value

    @validates("days")
    def _order_days(self, _key: str, value: list | None) -> list:
        return vocab.week_order(value)

    @validates("first_name", "last_name")
    def _set_name_norms(self, key: str, value: str | None) -> str | None:
        first = value if key == "first_name" else self.first_name
        last = value if key == "last_name" else self.last_name
        self.last_name_norm = fold_name(last)[:100] or None
        self.name_key = name_key(first, last)[:200] or None
        self.sort_name = sort_key(last, first)
        return value

    skills: Mapped[list[CandidateSkill]] = relationship(
        back_populates="candidate",
        cascade="all, delete-orphan",
        order_by="CandidateSkill.position",
        lazy="selectin",
    )

    rome_codes: Mapped[list[CandidateRome]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", passive_deletes=True
    )

    commitments: Mapped[list[Commitment]] = relationship(
        back_populates="candidate",
        cascade="all, delete-orphan",
        order_by="Commitment.id",
        lazy="selectin",
    )

    @property
    def skill_labels(self) -> list[str]:
        return [s.label for s in self.skills]

    @property
    def address_asked(self) -> str:
        """The address the person asked their profile to use: the one waiting for its
        confirmation, else their own (what a save of their form leaves, ``consent``)."""
        return self.pending_email or self.email


class Commitment(Base):
    """Part-time work the person already holds (interchange v1.1 ``commitments``).

    Shared time assembles one week from several companies: each commitment takes
    ``hours_per_week`` on its ``days`` until ``until`` (its last day; None: open-ended).
    It comes from a placement recorded on the platform (``source="placement"``, with
    ``placement_id``) or is declared by the person or an animateur (work found elsewhere).
    Matching counts the ones still running on a need's start (``matching.week``).
    """

    __tablename__ = "commitment"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(200))
    hours_per_week: Mapped[float]
    days: Mapped[list] = mapped_column(default=list)
    start: Mapped[date | None]
    until: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(20), default="declared")
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL"), index=True
    )
    # The need of the placement this commitment works for (one commitment per company of
    # a bundle, at the hours agreed with it): None for a declared commitment, for one over
    # several companies, and for placements older than the column whose label did not
    # name one need without doubt (``workflows.leads.company_commitment`` reads the label).
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("need.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Its own read stamp (``workflows.unchanged_since``): a commitment's form is refused
    # only when that commitment changed, not the person's notes or another commitment.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @validates("days")
    def _order_days(self, _key: str, value: list | None) -> list:
        return vocab.week_order(value)

    candidate: Mapped[Candidate] = relationship(back_populates="commitments")
    placement: Mapped[Placement | None] = relationship()  # noqa: F821 (models.leads)


class CandidateSkill(Base):
    """One skill as the person wrote it, with its normalised form and taxonomy concept."""

    __tablename__ = "candidate_skill"
    # The search reads the people of a norm or a concept from these indexes alone.
    __table_args__ = (
        Index("ix_candidate_skill_norm_candidate", "norm", "candidate_id"),
        Index("ix_candidate_skill_concept_candidate", "concept", "candidate_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(200))
    norm: Mapped[str] = mapped_column(String(200))
    # Taxonomy concept id (see connectences.skills), None when the taxonomy does not know it.
    concept: Mapped[str | None] = mapped_column(String(60))

    candidate: Mapped[Candidate] = relationship(back_populates="skills")


class CandidateRome(Base):
    """One ROME code of ``Candidate.rome`` (the jobs the person looks for), indexed.

    Written only by ``Candidate``'s validator of ``rome`` (and the benchmarks' bulk
    inserts, which bypass the ORM): the JSON list stays the record, this is its index.
    """

    __tablename__ = "candidate_rome"

    # The code first: a search reads the people of a code from the primary key alone.
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    candidate: Mapped[Candidate] = relationship(back_populates="rome_codes")


def rome_code_rows(candidate_id: int | None, codes: list | None) -> list[dict]:
    """The ``candidate_rome`` rows of a person's ``rome`` list, each code once (bulk
    inserts bypass the validator of ``Candidate.rome`` and write these themselves)."""
    return [{"candidate_id": candidate_id, "code": code} for code in dict.fromkeys(codes or [])]


class CandidateEvent(Base):
    """One line of a person's history: created, updated (which fields), confirmed,
    paused, merged, imported... Deleted with the person (their history is theirs)."""

    __tablename__ = "candidate_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # "self" when the person acted through their own link, else None with actor_id.
    actor_label: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)  # in French, shown as is
    details: Mapped[dict] = mapped_column(default=dict)


class CandidateDistinct(Base):
    """An animateur's decision that two look-alike records are two different people,
    so that the pair is not proposed as a duplicate again (ids stored low, high)."""

    __tablename__ = "candidate_distinct"
    __table_args__ = (UniqueConstraint("low_id", "high_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    low_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    high_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidateImport(Base):
    """A spreadsheet of CVs between its preview and its import: the rows read from the
    file wait here (not in the browser's cookie), then the outcome of each row."""

    __tablename__ = "candidate_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    filename: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(100))
    # {"line": n, "values": {column key: text}} per row of the file.
    rows: Mapped[list] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(10), default="preview")  # or "done"
    finished_at: Mapped[datetime | None]
    result: Mapped[dict] = mapped_column(default=dict)
