"""Needs in the order another platform synchronises them: by last change, then id, so
that a page ends at a key (updated_at, id) and the next page starts right after it,
whatever is written meanwhile (keyset pagination, stable under inserts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from connectences.models import Need

SyncKey = tuple[datetime, int]


def changed_needs(
    session: Session,
    *,
    companies: frozenset[int] | None,
    since: datetime | None = None,
    after: SyncKey | None = None,
    limit: int = 50,
) -> tuple[list[Need], SyncKey | None]:
    """Up to ``limit`` needs of ``companies`` (None: every company) changed at or after
    ``since``, after the key ``after``; with the key of the last one when more follow."""
    query = select(Need).options(joinedload(Need.company))
    if companies is not None:
        query = query.where(Need.company_id.in_(sorted(companies)))
    if since is not None:
        query = query.where(Need.updated_at >= since)
    if after is not None:
        moment, need_id = after
        query = query.where(
            or_(Need.updated_at > moment, and_(Need.updated_at == moment, Need.id > need_id))
        )
    rows = list(session.scalars(query.order_by(Need.updated_at, Need.id).limit(limit + 1)))
    page = rows[:limit]
    more = len(rows) > limit
    return page, ((page[-1].updated_at, page[-1].id) if more else None)
