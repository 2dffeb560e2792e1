"""The blocks an issue is made of. Each kind of block is one function returning its
items; a new kind (resources, testimonials) plugs in with ``register_block``:

    def resource_items(session):
        return [BlockItem(title=r.title, text=r.summary, url=external_url(...))
                for r in content.resources.published(session)[:5]]

    register_block("ressources", title="Ressources pour les entreprises",
                   label="Ressources publiées", items=resource_items)

Blocks are read when the issue is previewed and frozen when it is sent (the archive
shows what was sent, not what the items became).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from sqlalchemy.orm import Session

from connectences.content import resources, testimonials
from connectences.events import catalogue
from connectences.ids import read_id
from connectences.models import Testimonial
from connectences.typography import time_slot
from connectences.urls import external_url

EVENTS_SHOWN = 6
SUMMARY_MAX = 300


@dataclass(frozen=True)
class BlockItem:
    """One item of a block, ready to read: a title, a short text, when (already in
    words), and the absolute link to its page."""

    title: str
    text: str = ""
    when: str = ""
    url: str = ""
    ref: str = ""  # what the item shows, for its block's still_shown (e.g. a testimonial id)


@dataclass(frozen=True)
class Block:
    kind: str
    title: str
    items: tuple[BlockItem, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BlockSource:
    title: str  # the block's heading in the mail
    label: str  # the choice in the composer
    items: Callable[[Session], list[BlockItem]]
    # Whether a sent item (by its ref) may still be shown in the public archive: a
    # testimonial whose owner withdrew their agreement disappears from past issues too.
    still_shown: Callable[[Session, str], bool] | None = None


BLOCKS: dict[str, BlockSource] = {}


def register_block(
    kind: str,
    *,
    title: str,
    label: str,
    items: Callable[[Session], list[BlockItem]],
    still_shown: Callable[[Session, str], bool] | None = None,
) -> None:
    """Make a kind of block available to issues (its key is stored on each issue)."""
    BLOCKS[kind] = BlockSource(title=title, label=label, items=items, still_shown=still_shown)


def summary(text: str | None, limit: int = SUMMARY_MAX) -> str:
    """The first words of ``text``, cut on a word boundary with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def event_items(session: Session) -> list[BlockItem]:
    """The next events open to registration."""
    return [
        BlockItem(
            title=event.title,
            text=summary(event.description),
            when=time_slot(event.starts_at, event.ends_at),
            url=external_url("events.show", event_id=event.id),
        )
        for event in catalogue.upcoming(session, limit=EVENTS_SHOWN)
    ]


register_block(
    "evenements", title="Les prochains événements", label="Prochains événements", items=event_items
)


RESOURCES_SHOWN = 5
TESTIMONIALS_SHOWN = 2


def resource_items(session: Session) -> list[BlockItem]:
    """The resources for companies published most recently (and still valid)."""
    return [
        BlockItem(
            title=resource.title,
            text=summary(resource.summary),
            url=external_url("content.resource", slug=resource.slug),
        )
        for resource in resources.published(session, limit=RESOURCES_SHOWN)
    ]


register_block(
    "ressources",
    title="Ressources pour les entreprises",
    label="Ressources publiées",
    items=resource_items,
)


def testimonial_items(session: Session) -> list[BlockItem]:
    """The latest testimonials whose owners agreed to the newsletter."""
    return [
        BlockItem(
            title=testimonial.title,
            text=summary(testimonial.body),
            when=testimonial.company_label,
            url=external_url("content.testimonials", _anchor=f"temoignage-{testimonial.id}"),
            ref=str(testimonial.id),
        )
        for testimonial in testimonials.for_newsletter(session, limit=TESTIMONIALS_SHOWN)
    ]


def testimonial_still_shown(session: Session, ref: str) -> bool:
    testimonial_id = read_id(ref)
    testimonial = session.get(Testimonial, testimonial_id) if testimonial_id else None
    return testimonial is not None and testimonials.is_shown(testimonial, "lettre")


register_block(
    "temoignages",
    title="Ils ont été accompagnés",
    label="Témoignages",
    items=testimonial_items,
    still_shown=testimonial_still_shown,
)


def shown_snapshot(session: Session, snapshot: list[dict]) -> list[dict]:
    """The blocks of a sent issue as its archive shows them today: what was sent, less
    the items that may no longer be shown (a withdrawn testimonial)."""
    shown = []
    for block in snapshot:
        source = BLOCKS.get(block.get("kind", ""))
        keep = source.still_shown if source is not None else None
        items = [
            i for i in block.get("items", []) if keep is None or keep(session, i.get("ref", ""))
        ]
        if items:
            shown.append({**block, "items": items})
    return shown


def build_blocks(session: Session, kinds: list[str]) -> list[Block]:
    """The blocks of an issue, in its order; a kind unknown or without items is left out."""
    blocks = []
    for kind in kinds:
        source = BLOCKS.get(kind)
        if source is None:
            continue
        items = tuple(source.items(session))
        if items:
            blocks.append(Block(kind=kind, title=source.title, items=items))
    return blocks
