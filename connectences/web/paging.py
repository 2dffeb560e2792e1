"""Paged lists: one reader of the page number, one pagination (``db.paginate``)."""

from __future__ import annotations

import math
from collections.abc import Callable

from flask import request
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, func, literal_column, select

from connectences.extensions import db

MAX_PAGE = 10_000


def page_number(param: str = "page") -> int:
    """The ``param`` query argument (``page`` unless a page shows several paged lists):
    1 when absent or not a number, kept within 1..MAX_PAGE."""
    return max(1, min(MAX_PAGE, request.args.get(param, 1, type=int) or 1))


def count_rows(query: Select) -> Select:
    """``SELECT count(*)`` over the rows of ``query``, without its columns and order.

    Flask-SQLAlchemy counts over a subquery of every selected column (the whole need and
    its company on the needs board); the count only needs the rows, which the database
    can then take from an index. A query with DISTINCT or GROUP BY keeps its columns,
    since they decide the rows.
    """
    if query._distinct or query._group_by_clauses:
        rows = query.order_by(None)
    else:
        rows = query.with_only_columns(literal_column("1"), maintain_column_froms=True).order_by(
            None
        )
    return select(func.count()).select_from(rows.subquery())


# Pages of statements built once (kept by their owner for their filters): the same
# page's statement object again, whose cache key SQLAlchemy computed once instead of
# walking the whole statement at each request. Keyed by the statement's id, with the
# statement kept alongside so that an id reused by another object never matches.
_PAGED: dict[tuple[int, int, int], tuple[Select, Select]] = {}
_PAGED_MAX = 512


def paged(query: Select, limit: int, offset: int) -> Select:
    """``query.limit(limit).offset(offset)``, the same object each time for a ``query``
    built once (a list's statement kept per filters): SQLAlchemy's cache key of a
    statement is computed once per object, by walking all of it (6-7 % of the board)."""
    key = (id(query), limit, offset)
    known = _PAGED.get(key)
    if known is not None and known[0] is query:
        return known[1]
    paged = query.limit(limit).offset(offset)
    if len(_PAGED) >= _PAGED_MAX:
        _PAGED.clear()
    _PAGED[key] = (query, paged)
    return paged


class _Pagination(SelectPagination):
    def _query_items(self) -> list:
        window = self._query_args.get("window")
        if window is not None:
            query = paged(window(self.page * self.per_page), self.per_page, self._query_offset)
            return list(self._query_args["session"].execute(query).unique().scalars())
        query = self._query_args["select"]
        if len(query.column_descriptions) == 1:
            return super()._query_items()
        # Several columns: their rows (Flask-SQLAlchemy would keep the first column only).
        page = query.limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(page).all())

    def _query_count(self) -> int:
        if self._query_args.get("total") is not None:
            return self._query_args["total"]
        session = self._query_args["session"]
        return session.execute(count_rows(self._query_args["select"])).scalar()


def _paginate(
    query: Select | None, page: int, per_page: int, total: int | None = None, **window
) -> _Pagination:
    return _Pagination(
        select=query,
        session=db.session(),
        total=total,
        page=page,
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        count=True,
        **window,
    )


def paginate_window(
    window: Callable[[int], Select], per_page: int, *, total: int, param: str = "page"
):
    """One page of a list whose rows are counted already (``total``) and whose query can
    read only its first rows: ``window(n)`` gives a query of at least its first ``n``
    rows, in order. No count query; a number past the end gives the last page."""
    page = min(page_number(param), max(1, math.ceil(total / per_page)))
    return _paginate(None, page, per_page, total, window=window)


def paginate(query: Select, per_page: int, param: str = "page", *, total: int | None = None):
    """One page of ``query`` (Flask-SQLAlchemy's ``Pagination``) at the page number read
    from the ``param`` query argument; a number past the end gives the last page.

    Its items are objects when ``query`` selects one entity, rows when it selects several
    columns. ``total``, when the caller counted the rows already (several lists counted
    by one grouped query), spares the count query."""
    pagination = _paginate(query, page_number(param), per_page, total)
    if pagination.page > pagination.pages >= 1:
        pagination = _paginate(query, pagination.pages, per_page, total)
    return pagination
