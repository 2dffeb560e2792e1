"""Small helpers shared by test modules: the page as read, row counts, a stored company."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from connectences.extensions import db
from connectences.models import Company
from tests import factories


def page_text(response) -> str:
    """The page as read: tags removed, entities decoded, white space collapsed."""
    raw = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(raw).split())


def count(model) -> int:
    """How many rows the table of ``model`` holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def make_company(**overrides) -> Company:
    """A company imported through the interchange (``factories.company``), as stored."""
    item = factories.company(**overrides)
    factories.load(factories.document(companies=[item]))
    return db.session.scalar(select(Company).where(Company.ref == item["ref"]))
