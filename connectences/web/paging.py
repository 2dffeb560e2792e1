"""Paged lists: one reader of the page number, one pagination (``db.paginate``)."""

from __future__ import annotations

from flask import request
from sqlalchemy import Select

from connectences.extensions import db

MAX_PAGE = 10_000


def page_number() -> int:
    """The ``page`` query argument: 1 when absent or not a number, kept within 1..MAX_PAGE."""
    return max(1, min(MAX_PAGE, request.args.get("page", 1, type=int) or 1))


def paginate(query: Select, per_page: int):
    """One page of ``query`` (Flask-SQLAlchemy's ``Pagination``) at the requested page
    number; a number past the end gives the last page."""
    pagination = db.paginate(query, page=page_number(), per_page=per_page, error_out=False)
    if pagination.page > pagination.pages >= 1:
        pagination = db.paginate(query, page=pagination.pages, per_page=per_page)
    return pagination
