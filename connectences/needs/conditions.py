"""Which needs the platform works on, as SQL conditions on ``Need``: read by the needs'
register, the board, the observatory, the matching and the interchange export (a module
of its own, below all of them: the export sits under the register's imports)."""

from __future__ import annotations

from sqlalchemy import String, and_, literal_column, or_

from connectences.models import Need


def in_queue():
    """SQL condition: the need is in the animateurs' queue (not waiting for its owner).

    It is the condition of the queue's partial indexes (``models.needs.IN_QUEUE``), the
    source written in the statement: as a bound parameter, SQLite prepared the statement
    again at each execution to see whether its value let the indexes serve (the board's
    statement twice as slow).
    """
    return or_(
        Need.source != literal_column("'entreprise'", String), Need.owner_confirmed_at.is_not(None)
    )


def workable():
    """SQL condition: a need the platform may offer to people and operators: in the queue
    (its owner confirmed it, see :func:`in_queue`) and attached to its company (not a
    need posted under a company's SIRET by someone it has not vouched for)."""
    return and_(in_queue(), Need.owner_unattached.is_(False))
