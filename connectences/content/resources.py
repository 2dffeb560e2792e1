"""Resources for companies (aides, dispositifs, HR and regulation guides): short pages the
animateurs write in Markdown, tagged by topic and by the company profiles they concern.

A resource is public while it is published and its ``valid_until`` has not passed; an
expired one leaves the public pages and its author is reminded (``expired_to_remind``,
run by the ``resource_expiry`` job). The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, joinedload

from connectences import territory, tombstones, vocab
from connectences.clock import local_today
from connectences.content import fields
from connectences.content.markup import plain_text
from connectences.errors import DomainError
from connectences.listing import ListFilters, Refusal, choice_reader, text_arg
from connectences.models import Company, Resource, User
from connectences.prospection.naf import SECTION_LABELS, naf_section
from connectences.text import slug as slug_of

# What a resource is about: the topics the animateurs already speak of with companies.
TOPICS: dict[str, str] = vocab.VISIT_TOPICS
# Company sizes by number of employees (INSEE's bands, cut where TPEs are).
SIZE_BANDS: dict[str, str] = {
    "0": "Sans salarié",
    "1-4": "1 à 4 salariés",
    "5-9": "5 à 9 salariés",
    "10-49": "10 à 49 salariés",
    "50+": "50 salariés ou plus",
}
BODY_MAX = 20_000
FIELDS = ("title", "summary", "body", "topics", "naf_sections", "size_bands", "epcis")
FIELDS += ("source", "source_url", "valid_until", "published")


class ResourceError(DomainError):
    """Invalid resource data: ``errors`` maps each field to a French message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors=errors)


def size_band(employees: int | None) -> str | None:
    """The band of a number of employees (``SIZE_BANDS``), None when unknown."""
    if employees is None or employees < 0:
        return None
    for band, low, high in (("0", 0, 0), ("1-4", 1, 4), ("5-9", 5, 9), ("10-49", 10, 49)):
        if low <= employees <= high:
            return band
    return "50+"


@dataclass(frozen=True)
class CompanyProfile:
    """What resources are aimed at: the company's NAF section, size band and EPCI."""

    naf_section: str | None
    size_band: str | None
    epci: str | None

    @classmethod
    def of(cls, company: Company) -> CompanyProfile:
        return cls(
            naf_section(company.naf),
            size_band(company.employees),
            territory.epci_of(company.commune),
        )


def is_public(resource: Resource, today: date | None = None) -> bool:
    """Published and still valid today (the day of ``valid_until`` included)."""
    return resource.published and resource.valid_until >= (today or local_today())


def _fits(values: list, value: str | None) -> bool:
    # An empty list concerns every company; an unknown value cannot be excluded.
    return not values or value is None or value in values


def fits(resource: Resource, profile: CompanyProfile) -> bool:
    """Whether the resource concerns a company of this profile."""
    return (
        _fits(resource.naf_sections, profile.naf_section)
        and _fits(resource.size_bands, profile.size_band)
        and _fits(resource.epcis, profile.epci)
    )


def _precision(resource: Resource, profile: CompanyProfile) -> int:
    """How many of the resource's aims name this company's profile (more: more specific)."""
    pairs = (
        (resource.naf_sections, profile.naf_section),
        (resource.size_bands, profile.size_band),
        (resource.epcis, profile.epci),
    )
    return sum(1 for values, value in pairs if values and value in values)


def public_condition(today: date) -> tuple:
    """``is_public`` as a query's condition."""
    return (Resource.published.is_(True), Resource.valid_until >= today)


# Read by every company page (its suggestions): built once, the day given when run.
_PUBLIC = (
    select(Resource)
    .where(*public_condition(bindparam("today", type_=Resource.valid_until.type)))
    .order_by(Resource.updated_at.desc(), Resource.id.desc())
)


def published(
    session: Session,
    *,
    today: date | None = None,
    topic: str | None = None,
    limit: int | None = None,
) -> list[Resource]:
    """The public resources, last updated first (for the newsletter and the home page):
    of one ``topic`` if given, at most ``limit``."""
    rows = session.scalars(_PUBLIC, {"today": today or local_today()}).all()
    if topic:
        rows = [r for r in rows if topic in (r.topics or [])]
    return rows[:limit] if limit else list(rows)


# Suggestions on a company owner's home (their account, their signed link's space): a
# busy owner reads a few, the animateur's page of the company lists more.
OWNER_SUGGESTIONS = 3


def suggestions_for(
    session: Session, company: Company, *, today: date | None = None, limit: int = 5
) -> list[Resource]:
    """The public resources that fit the company's profile, the most specific first
    (shown to the animateur on the company's page before a visit, and the first
    ``OWNER_SUGGESTIONS`` to the company's owner on their home)."""
    profile = CompanyProfile.of(company)
    fitting = [r for r in published(session, today=today) if fits(r, profile)]
    fitting.sort(key=lambda r: (-_precision(r, profile), r.valid_until, r.id))
    return fitting[:limit]


@dataclass(frozen=True)
class ResourceFilters(ListFilters):
    """The public list's filters: words, topic, NAF section, size band, intercommunality."""

    ARGS = {
        "text": "q",
        "topic": "theme",
        "naf_section": "secteur",
        "size_band": "taille",
        "epci": "intercommunalite",
    }
    text: str = ""
    topic: str = ""
    naf_section: str = ""
    size_band: str = ""
    epci: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[ResourceFilters, list[Refusal]]:
        """The filters of the page's address and the values refused: one not in its
        list (a link kept from before a topic was renamed, say) is left out, and the
        page still opens and says so."""
        errors: list[Refusal] = []
        choice = choice_reader(args, errors)
        filters = cls(
            text=text_arg(args, "q", 100),
            topic=choice("theme", "Thème", TOPICS, "un thème"),
            naf_section=choice("secteur", "Secteur d'activité", SECTION_LABELS, "un secteur"),
            size_band=choice("taille", "Taille de l'entreprise", SIZE_BANDS, "une taille"),
            epci=choice(
                "intercommunalite", "Intercommunalité", territory.PAYS_EPCIS, "une intercommunalité"
            ),
        )
        return filters, errors

    @property
    def active(self) -> bool:
        return any(self.as_args().values())


def search(
    session: Session, filters: ResourceFilters, *, today: date | None = None
) -> list[Resource]:
    """The public resources that pass the filters. Words are searched, accents and case
    aside, in the title, summary, body and source; every word must be found. A profile
    filter keeps the resources aimed at that profile or at every company."""
    profile = CompanyProfile(
        filters.naf_section or None, filters.size_band or None, filters.epci or None
    )
    found = []
    for resource in published(session, today=today, topic=filters.topic or None):
        if not fits(resource, profile):
            continue
        if filters.text and not fields.has_words(
            filters.text,
            resource.title,
            resource.summary,
            plain_text(resource.body),
            resource.source,
        ):
            continue
        found.append(resource)
    return found


def get_public(session: Session, slug: str, *, today: date | None = None) -> Resource | None:
    """The public resource with this slug, None if there is none or it is not public."""
    resource = session.scalar(select(Resource).where(Resource.slug == slug))
    return resource if resource is not None and is_public(resource, today) else None


def all_for_staff() -> Select:
    """Every resource with its author, the most recently updated first (the staff list,
    a query to page)."""
    return (
        select(Resource)
        .options(joinedload(Resource.author))
        .order_by(Resource.updated_at.desc(), Resource.id.desc())
    )


def first_of(found: list[Resource]) -> Callable[[int], Select]:
    """``found`` (a ``search``, in its order) as a paged list reads it: ``window(n)`` is a
    query of its first ``n`` resources (``paging.paginate_window``)."""
    ids = [resource.id for resource in found]
    return lambda n: (
        select(Resource)
        .where(Resource.id.in_(ids[:n]))
        .order_by(Resource.updated_at.desc(), Resource.id.desc())
    )


# --- writing --------------------------------------------------------------------------


def _choices(values, allowed, field: str, label: str, errors: dict) -> list[str]:
    values = [v for v in dict.fromkeys(values or []) if v]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors[field] = f"{label} inconnu : « {str(unknown[0])[:40]} »."
    return [v for v in values if v in allowed]


def check(data: Mapping, *, today: date | None = None) -> dict:
    """The resource's values from a form (``data``: field -> text or list); raises
    ``ResourceError`` with a French message per field."""
    errors: dict[str, str] = {}
    values = fields.texts(
        data,
        (
            ("title", "le titre", 200),
            ("summary", "le résumé (une ou deux phrases)", 400),
            ("source", "la source (qui porte l'aide ou d'où vient l'information)", 300),
        ),
        errors,
    )
    values.update(
        fields.texts(data, (("body", "le texte de la ressource", BODY_MAX),), errors, squash=False)
    )
    values["source_url"] = fields.web_address(data, "source_url", 500, errors)
    values["topics"] = _choices(data.get("topics"), TOPICS, "topics", "Thème", errors)
    if not values["topics"] and "topics" not in errors:
        errors["topics"] = "Choisissez au moins un thème."
    values["naf_sections"] = _choices(
        data.get("naf_sections"), SECTION_LABELS, "naf_sections", "Secteur", errors
    )
    values["size_bands"] = _choices(
        data.get("size_bands"), SIZE_BANDS, "size_bands", "Taille", errors
    )
    values["epcis"] = _choices(
        data.get("epcis"), territory.PAYS_EPCIS, "epcis", "Intercommunalité", errors
    )
    values["valid_until"] = fields.day(
        data,
        "valid_until",
        "Date de validité",
        "Indiquez jusqu'à quand la ressource est valable (date de fin de l'aide, "
        "ou date à laquelle la relire).",
        errors,
    )
    values["published"] = str(data.get("published") or "") in ("1", "on", "true", "True")
    # An expired resource may still be kept as a draft (unpublished) until it is checked.
    if (
        values["published"]
        and values["valid_until"]
        and values["valid_until"] < (today or local_today())
    ):
        errors["valid_until"] = (
            "Cette date est passée : donnez une nouvelle date de validité, "
            "ou décochez « Publier la ressource »."
        )
    if errors:
        raise ResourceError(errors)
    return values


def _unique_slug(session: Session, title: str, own_id: int | None) -> str:
    base = (slug_of(title) or "ressource")[:100]
    candidate, number = base, 1
    while True:
        other = session.scalar(select(Resource.id).where(Resource.slug == candidate))
        if other is None or other == own_id:
            return candidate
        number += 1
        candidate = f"{base}-{number}"


def create(session: Session, data: Mapping, *, author: User) -> Resource:
    """A new resource written by ``author``; ``ResourceError`` when the data is invalid."""
    values = check(data)
    resource = Resource(slug=_unique_slug(session, values["title"], None), author_id=author.id)
    for name, value in values.items():
        setattr(resource, name, value)
    session.add(resource)
    session.flush()
    return resource


def update(session: Session, resource: Resource, data: Mapping) -> Resource:
    """Change a resource (its address stays: links already sent keep working). Unpublished,
    it leaves a tombstone for the platforms that copied it; published again, it goes."""
    values = check(data)
    was_public = is_public(resource)
    for name, value in values.items():
        setattr(resource, name, value)
    tombstones.public_changed(
        session, "resources", resource.slug, was=was_public, now=is_public(resource)
    )
    session.flush()
    return resource


def expired_to_remind(session: Session, today: date) -> list[Resource]:
    """The published resources whose validity has passed, oldest expiry first (the job
    reminds each author once per expiry date). Each has left the public: its tombstone is
    left once (until it is given a new date)."""
    expired = list(
        session.scalars(
            select(Resource)
            .where(Resource.published.is_(True), Resource.valid_until < today)
            .order_by(Resource.valid_until, Resource.id)
        )
    )
    for resource in expired:
        tombstones.left_public(session, "resources", resource.slug, since=resource.updated_at)
    return expired
