"""Finding people in the CV library: by their refs (ticked in a form) or by what an
animateur types (a ref, an e-mail address or words of a name)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Row, bindparam, func, or_, select
from sqlalchemy.orm import Session

from connectences.errors import DomainError
from connectences.listing import text_search
from connectences.models import Candidate

MAX_NAME_WORDS = 4
# One more than a page shows: the page can say there are more.
MAX_FOUND = 21


class UnknownCandidate(DomainError, LookupError):
    """A candidate ref that is not in the library (message in French)."""


def candidates_by_ref(session: Session, refs: Iterable[str]) -> dict[str, Candidate]:
    """The stored candidates among ``refs``, by ref (unknown refs are left out)."""
    refs = list(dict.fromkeys(refs))
    if not refs:
        return {}
    return {c.ref: c for c in session.scalars(select(Candidate).where(Candidate.ref.in_(refs)))}


# What a list of people shows of each: name, level, hours, days, mobility.
CARD_COLUMNS = (
    Candidate.ref,
    Candidate.first_name,
    Candidate.last_name,
    Candidate.level,
    Candidate.hours_min,
    Candidate.hours_max,
    Candidate.days,
    Candidate.mobility_km,
)


_CARDS = select(*CARD_COLUMNS).where(Candidate.ref.in_(bindparam("refs", expanding=True)))


def candidate_cards(session: Session, refs: Iterable[str]) -> dict[str, Row]:
    """``CARD_COLUMNS`` of the stored candidates among ``refs``, by ref (unknown refs are
    left out): plain rows, read in one statement, without the skills and commitments
    that loading whole candidates brings (two more statements, and objects to build)."""
    refs = list(dict.fromkeys(refs))
    if not refs:
        return {}
    return {row.ref: row for row in session.execute(_CARDS, {"refs": refs})}


def chosen_candidates(session: Session, refs: Iterable[str]) -> list[Candidate]:
    """The candidates ticked in a form, in the order given, each once.

    Raises ``UnknownCandidate`` naming the first ref that is not in the library.
    """
    wanted = list(dict.fromkeys(r.strip() for r in refs if r and r.strip()))
    found = candidates_by_ref(session, wanted)
    unknown = [r for r in wanted if r not in found]
    if unknown:
        why = f"Candidat inconnu : « {unknown[0][:100]} ». Rien n'a été envoyé."
        raise UnknownCandidate(why, errors={"candidates": why})
    return [found[r] for r in wanted]


def find_candidates(session: Session, text: str) -> list[Candidate]:
    """Candidates by exact ref or e-mail address, else by name (every word must appear in
    the first or last name), at most ``MAX_FOUND``."""
    text = text.strip()
    exact = session.scalars(
        select(Candidate).where(
            or_(Candidate.ref == text, func.lower(Candidate.email) == text.lower())
        )
    ).all()
    if exact:
        return list(exact)
    words = text.split()[:MAX_NAME_WORDS]
    if not words:
        return []
    # Accents and case ignored ("helene lege" finds "Hélène Lège-Dupré") alike on SQLite
    # and PostgreSQL.
    query = select(Candidate).where(
        text_search((Candidate.first_name, Candidate.last_name), " ".join(words))
    )
    return list(session.scalars(query.order_by(Candidate.sort_name, Candidate.id).limit(MAX_FOUND)))
