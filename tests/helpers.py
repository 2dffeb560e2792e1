"""Small helpers shared by test modules: the page as read, row counts, stored records."""

from __future__ import annotations

import html
import re

from sqlalchemy import delete, func, select

from connectences import workflows
from connectences.extensions import db
from connectences.models import Base, Company, Need
from connectences.workflows import NEED
from tests import factories


def page_text(response) -> str:
    """The page as read: tags removed, entities decoded, white space collapsed."""
    raw = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(raw).split())


def html_of(response) -> str:
    """The page's HTML, with the no-break spaces of French typography read as spaces."""
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def main_of(response) -> str:
    """The HTML of the page's <main> only: what the page says, without the site's header
    and footer (whose team phone number is a ``tel:`` link on every page)."""
    page = html_of(response)
    start, end = page.find("<main"), page.rfind("</main>")
    return page[start:end] if start != -1 and end != -1 else page


# Loaded once per test session and kept: communes and intercommunalities.
REFERENCE_TABLES = {"commune", "epci"}


def empty_domain_tables() -> None:
    """Delete every row but the reference tables' and commit (what each test leaves)."""
    db.session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            db.session.execute(delete(table))
    db.session.commit()


def count(model) -> int:
    """How many rows the table of ``model`` holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def make_company(**overrides) -> Company:
    """A company imported through the interchange (``factories.company``), as stored."""
    item = factories.company(**overrides)
    factories.load(factories.document(companies=[item]))
    return db.session.scalar(select(Company).where(Company.ref == item["ref"]))


def need_by_ref(ref: str) -> Need:
    """The stored need ``ref``, read afresh (the session's cache is expired first)."""
    db.session.expire_all()
    return db.session.scalars(select(Need).where(Need.ref == ref)).one()


def qualify(*refs: str) -> None:
    """Move the needs ``refs`` to ``qualifie`` through the workflow."""
    for ref in refs:
        workflows.transition(db.session, need_by_ref(ref), NEED, "qualifie")
        db.session.commit()  # before the next need_by_ref() expires the session


def by_ref(model, ref: str):
    """The stored record of ``model`` whose ``ref`` is ``ref`` (exactly one)."""
    return db.session.scalars(select(model).where(model.ref == ref)).one()


def error_of(response, field_id: str) -> str:
    """The error shown under the field ``field_id`` of a form sent back with errors (its
    ``<ul id="{field_id}-erreurs">``), as read; the field says so (aria-invalid or
    aria-describedby) and the summary at the top links to it. Fails if any is missing."""
    page = html_of(response)
    marker = f'id="{field_id}-erreurs"'
    assert marker in page, f"pas d'erreur à côté du champ {field_id}"
    assert f'href="#{field_id}"' in page, f"le résumé ne mène pas au champ {field_id}"
    assert re.search(rf'id="{re.escape(field_id)}"[^>]*(aria-invalid|aria-describedby)', page) or (
        re.search(rf'(aria-invalid|aria-describedby)[^>]*id="{re.escape(field_id)}"', page)
    ), f"le champ {field_id} ne renvoie pas à son erreur"
    errors = page.split(marker, 1)[1].split("</ul>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", errors)).split())
