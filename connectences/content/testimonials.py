"""Testimonials: the story of a company that was helped, linked to the need it concerns,
shown only where its owner agreed in writing (``consent_scope``) and never again once
that agreement is withdrawn.

Every reader (the public page, the home page, the newsletter) goes through
``is_shown`` or the lists below, so a withdrawal takes the testimonial off all of them
at once; its photo is deleted when the withdrawal is committed. The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from sqlalchemy import Row, Select, String, cast, select
from sqlalchemy.orm import Session

from connectences import territory, tombstones
from connectences.accounts.audit import audit
from connectences.clock import local_today
from connectences.content import fields, photos
from connectences.errors import DomainError
from connectences.models import Need, Testimonial, User, utcnow

# Where the owner agreed that the story be shown.
SCOPES: dict[str, str] = {
    "site": "Sur le site public (page des témoignages et page d'accueil)",
    "lettre": "Dans la lettre d'information envoyée aux entreprises",
}
BODY_MAX = 5000


class TestimonialError(DomainError):
    """Invalid testimonial data: ``errors`` maps each field to a French message."""

    __test__ = False  # not a pytest class, whatever its name

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors=errors)


def is_shown(testimonial: Testimonial, channel: str) -> bool:
    """Whether the testimonial may appear on ``channel`` ("site" or "lettre"): published,
    not withdrawn, and that channel within its owner's written agreement."""
    return (
        testimonial.published
        and testimonial.withdrawn_at is None
        and channel in (testimonial.consent_scope or [])
    )


def shown_condition(channel: str) -> tuple:
    """``is_shown`` as a query's condition (the agreement's scope is a JSON list of the
    closed ``SCOPES`` words: its text holds the quoted word)."""
    if channel not in SCOPES:
        raise ValueError(f"unknown channel: {channel}")
    return (
        Testimonial.published.is_(True),
        Testimonial.withdrawn_at.is_(None),
        cast(Testimonial.consent_scope, String).like(f'%"{channel}"%'),
    )


# What a testimonial's card shows (content/_testimonial.html): the home keeps these rows.
CARD_COLUMNS = (
    Testimonial.id,
    Testimonial.title,
    Testimonial.body,
    Testimonial.company_label,
    Testimonial.photo,
    Testimonial.photo_alt,
)


def _shown(session: Session, channel: str, limit: int | None) -> list[Testimonial]:
    return list(session.scalars(_shown_query(channel, limit)))


@lru_cache(maxsize=16)
def _shown_query(channel: str, limit: int | None, cards: bool = False) -> Select:
    # Built once per channel and limit.
    query = (
        (select(*CARD_COLUMNS) if cards else select(Testimonial))
        .where(*shown_condition(channel))
        .order_by(Testimonial.consent_on.desc(), Testimonial.id.desc())
    )
    return query.limit(limit) if limit else query


def public_list() -> Select:
    """The testimonials of the public page, the most recent agreement first (a query to
    page)."""
    return _shown_query("site", None)


def for_home(session: Session, limit: int = 2) -> list[Row]:
    """The latest testimonials the public home page may show (``limit`` of them), as
    rows of ``CARD_COLUMNS``: bound to no session, a worker keeps them."""
    return list(session.execute(_shown_query("site", limit, cards=True)))


def for_newsletter(session: Session, limit: int | None = None) -> list[Testimonial]:
    """The testimonials whose owners agreed to the newsletter, the most recent first."""
    return _shown(session, "lettre", limit)


def get_public(session: Session, testimonial_id: int) -> Testimonial | None:
    """The testimonial if the public site may show it, else None."""
    testimonial = session.get(Testimonial, testimonial_id)
    return testimonial if testimonial is not None and is_shown(testimonial, "site") else None


def all_for_staff() -> Select:
    """Every testimonial, withdrawn ones included, the most recent first (a query to
    page)."""
    return select(Testimonial).order_by(Testimonial.created_at.desc(), Testimonial.id.desc())


def check(session: Session, data: Mapping, *, today: date | None = None) -> dict:
    """The testimonial's values from a form; ``TestimonialError`` (French, per field)."""
    today = today or local_today()
    errors: dict[str, str] = {}
    values = fields.texts(
        data,
        (
            ("title", "le titre", 200),
            ("company_label", "", 200),
            ("consent_by", "qui a donné son accord écrit (nom et fonction)", 200),
            ("consent_note", "", 500),
            ("photo_alt", "", 300),
        ),
        errors,
    )
    values.update(fields.texts(data, (("body", "le témoignage", BODY_MAX),), errors, squash=False))
    need_ref = str(data.get("need_ref") or "").strip()
    need = session.scalar(select(Need).where(Need.ref == need_ref)) if need_ref else None
    if not need_ref:
        errors["need_ref"] = "Indiquez la référence du besoin dont parle le témoignage."
    elif need is None:
        errors["need_ref"] = f"Aucun besoin n'a la référence « {need_ref[:60]} »."
    values["need"] = need
    consent_on = fields.day(
        data, "consent_on", "Date de l'accord", "Indiquez la date de l'accord écrit.", errors
    )
    if consent_on and consent_on > today:
        errors["consent_on"] = "La date de l'accord ne peut pas être dans le futur."
    values["consent_on"] = consent_on
    scope = [s for s in dict.fromkeys(data.get("consent_scope") or []) if s]
    if any(s not in SCOPES for s in scope):
        errors["consent_scope"] = "Choisissez parmi les usages proposés."
    elif not scope:
        errors["consent_scope"] = "Cochez où l'entreprise a accepté que son témoignage paraisse."
    values["consent_scope"] = [s for s in scope if s in SCOPES]
    values["published"] = str(data.get("published") or "") in ("1", "on", "true", "True")
    if errors:
        raise TestimonialError(errors)
    if values["company_label"] is None and need is not None:
        commune = territory.get_commune(need.company.commune)
        where = f", {commune.name}" if commune else ""
        values["company_label"] = f"{need.company.name}{where}"[:200]
    return values


def stored(values: dict) -> dict:
    """``values`` (``check``) as a testimonial holds them once saved (attribute: value,
    its need by id): what ``workflows.unchanged_since`` compares a form sent again with."""
    held = {name: value for name, value in values.items() if name != "need"}
    return {**held, "need_id": values["need"].id}


def _apply(session: Session, testimonial: Testimonial, values: dict, photo: bytes | None) -> None:
    if photo:
        try:
            stored = photos.store_photo(session, photo)
        except photos.PhotoError as error:
            raise TestimonialError({"photo": error.message}) from None
        photos.delete_photo_after_commit(session, testimonial.photo)
        testimonial.photo = stored
    if testimonial.photo and not values.get("photo_alt"):
        raise TestimonialError({"photo_alt": "Décrivez la photo en une phrase (lecteurs d'écran)."})
    need = values.pop("need")
    for name, value in values.items():
        setattr(testimonial, name, value)
    testimonial.need_id = need.id
    testimonial.company_id = need.company_id


def create(
    session: Session, data: Mapping, *, author: User, photo: bytes | None = None
) -> Testimonial:
    """A new testimonial; ``TestimonialError`` for invalid data or a refused photo."""
    values = check(session, data)
    testimonial = Testimonial(author_id=author.id)
    _apply(session, testimonial, values, photo)
    session.add(testimonial)
    session.flush()
    audit(
        session, "testimonial_created", actor=author, entity="testimonial", entity_id=testimonial.id
    )
    return testimonial


def update(
    session: Session, testimonial: Testimonial, data: Mapping, *, photo: bytes | None = None
) -> Testimonial:
    """Change a testimonial that is not withdrawn (a withdrawn one stays withdrawn)."""
    if testimonial.withdrawn_at is not None:
        raise TestimonialError({"_": "Ce témoignage a été retiré : il ne peut plus être modifié."})
    values = check(session, data)
    was_shown = is_shown(testimonial, "site")
    _apply(session, testimonial, values, photo)
    _site_changed(session, testimonial, was_shown)
    session.flush()
    return testimonial


def _site_changed(session: Session, testimonial: Testimonial, was_shown: bool) -> None:
    # The platforms that copied it from the API (the site's testimonials) delete it too.
    tombstones.public_changed(
        session,
        "testimonials",
        str(testimonial.id),
        was=was_shown,
        now=is_shown(testimonial, "site"),
    )


def withdraw(session: Session, testimonial: Testimonial, *, by: User) -> None:
    """The owner withdrew their agreement: the testimonial leaves every page and mail,
    its photo is deleted once this is committed, and the withdrawal is audited."""
    if testimonial.withdrawn_at is not None:
        return
    was_shown = is_shown(testimonial, "site")
    testimonial.withdrawn_at = utcnow()
    testimonial.published = False
    photos.delete_photo_after_commit(session, testimonial.photo)
    testimonial.photo = None
    testimonial.photo_alt = None
    _site_changed(session, testimonial, was_shown)
    audit(
        session, "testimonial_withdrawn", actor=by, entity="testimonial", entity_id=testimonial.id
    )
