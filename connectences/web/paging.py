"""Paged lists: one reader of the page number, one pagination (``db.paginate``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from weakref import WeakKeyDictionary

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


# What is derived from a statement to page it (a page's limit and offset, the count of
# its rows), kept as long as the statement lives: for a statement its owner built once
# (a list's select kept per filters), the same derived object again, whose cache key
# SQLAlchemy computed once instead of walking the whole statement at each request
# (6-7 % of the board). A statement built for one request takes its derived ones with it.
_PAGED: WeakKeyDictionary[Select, dict[tuple[int, int], Select]] = WeakKeyDictionary()
_COUNTED: WeakKeyDictionary[Select, Select] = WeakKeyDictionary()
_PAGES_KEPT = 64  # pages kept per statement (a list is read at its first pages mostly)


def paged(query: Select, limit: int, offset: int) -> Select:
    """``query.limit(limit).offset(offset)``, the same object each time for the same
    ``query`` object."""
    pages = _PAGED.get(query)
    if pages is None:
        pages = _PAGED[query] = {}
    found = pages.get((limit, offset))
    if found is None:
        if len(pages) >= _PAGES_KEPT:
            pages.clear()
        found = pages[(limit, offset)] = query.limit(limit).offset(offset)
    return found


def counted(query: Select) -> Select:
    """``count_rows(query)``, the same object each time for the same ``query`` object."""
    found = _COUNTED.get(query)
    if found is None:
        found = _COUNTED[query] = count_rows(query)
    return found


def _rows(session, query: Select, limit: int, offset: int) -> list:
    """A page of ``query``: objects when it selects one entity, rows when it selects
    several columns (Flask-SQLAlchemy would keep the first column only)."""
    result = session.execute(paged(query, limit, offset))
    if len(query.column_descriptions) == 1:
        return list(result.unique().scalars())
    return list(result.all())


class _Pagination(SelectPagination):
    def _query_items(self) -> list:
        window = self._query_args.get("window")
        if window is not None:
            query = window(self.page * self.per_page)
            return _rows(self._query_args["session"], query, self.per_page, self._query_offset)
        query = self._query_args["select"]
        return _rows(self._query_args["session"], query, self.per_page, self._query_offset)

    def _query_count(self) -> int:
        if self._query_args.get("total") is not None:
            return self._query_args["total"]
        session = self._query_args["session"]
        return session.execute(counted(self._query_args["select"])).scalar()


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


def page_of(items: Sequence, per_page: int, param: str = "page") -> tuple[Sequence, int, int]:
    """One page of a list already in memory (a history merged from several tables, newest
    first): its items, its number read from the ``param`` query argument (a number past
    the end gives the last page) and the number of pages."""
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(page_number(param), pages)
    return items[(page - 1) * per_page : page * per_page], page, pages


def kept_pages(sections: dict, params: dict[str, str]) -> dict[str, int]:
    """The page numbers past the first of a page's paged lists (``sections``: name ->
    pagination, or the page number of a list paged in memory, ``page_of``), by their
    query argument (``params``: name -> argument): what the pager of one list keeps of
    the others."""
    pages = {
        name: section if isinstance(section, int) else section.page
        for name, section in sections.items()
    }
    return {params[name]: page for name, page in pages.items() if page > 1}
