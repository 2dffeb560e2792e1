"""What the public home shows of the platform's people and life: the animateurs a company
may call, the next events and what companies say of it.

The busiest public page reads them at every visit; they change a few times a month.
Each worker keeps them (``kept``) under the generation of the ``public_home`` watch
(``changes``): a visit reads one primary-key row instead of four statements, and any
committed change of what they show (a testimonial withdrawn, an event cancelled, an
animateur's phone, an account disabled), made by any worker or by the scheduler, is seen
at the next visit. They are read again at least every minute all the same: an event
leaves the list once it is over, which no change of a row tells.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row
from sqlalchemy.orm import Session

from connectences import changes
from connectences.accounts.users import PUBLIC_ANIMATEUR_COLUMNS, public_animateurs
from connectences.content import testimonials
from connectences.events import catalogue
from connectences.kept import kept
from connectences.models import Event, Testimonial, User

HOME_EVENTS = 3
HOME_TESTIMONIALS = 2
# The longest an event may stay on the home once it is over.
READ_AGAIN_SECONDS = 60

_ANIMATEUR_SHOWN = tuple(column.key for column in PUBLIC_ANIMATEUR_COLUMNS)


def _changes_animateurs(user: User, how: str) -> bool:
    """Whether this change of an account can change the home's animateurs: an animateur's
    account (before or after the change) added, deleted, or whose role, activity or shown
    details changed."""
    if not changes.may_be(user, "role", "animateur"):
        return False
    return how != changes.CHANGED or changes.changed(user, "role", "active", *_ANIMATEUR_SHOWN)


HOME = changes.watch(
    "public_home",
    {User: _changes_animateurs, Event: None, Testimonial: None},
)


@dataclass(frozen=True)
class Showcase:
    animateurs: tuple[Row, ...]  # PUBLIC_ANIMATEUR_COLUMNS
    events: tuple[Row, ...]  # catalogue.CARD_COLUMNS
    testimonials: tuple[Row, ...]  # testimonials.CARD_COLUMNS


def home_showcase(session: Session) -> Showcase:
    """The home page's animateurs, next events and testimonials, as of the last commit."""
    return kept(
        session,
        HOME.name,
        changes.generation(session, HOME.name),
        lambda: _read(session),
        seconds=READ_AGAIN_SECONDS,
    )


def _read(session: Session) -> Showcase:
    return Showcase(
        animateurs=tuple(public_animateurs(session)),
        events=tuple(catalogue.upcoming_cards(session, limit=HOME_EVENTS)),
        testimonials=tuple(testimonials.for_home(session, limit=HOME_TESTIMONIALS)),
    )
