"""Testimonial links of the newsletters already sent point at their testimonial

Revision ID: a7c3e5f9b1d4
Revises: c4e6a8b0d2f3
Create Date: 2026-12-08 10:00:00

``external_url`` did not read ``_anchor``: the testimonials' links were written as
``/temoignages?_anchor=temoignage-2`` instead of ``/temoignages#temoignage-2``, and the
archive of an issue sent (``newsletter_issue.snapshot``) keeps them as written. This
rewrites them as the builder now writes them; nothing else in a snapshot changes.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "a7c3e5f9b1d4"
down_revision = "c4e6a8b0d2f3"
branch_labels = None
depends_on = None

newsletter_issue = sa.table(
    "newsletter_issue",
    sa.column("id", sa.Integer),
    sa.column("snapshot", sa.JSON),
)
# The anchor was the only value the route did not know, so it is the whole query.
BROKEN = re.compile(r"\?_anchor=([A-Za-z0-9_-]+)$")


def _fixed(snapshot):
    changed = False
    for block in snapshot if isinstance(snapshot, list) else []:
        for item in block.get("items", []) if isinstance(block, dict) else []:
            url = item.get("url") if isinstance(item, dict) else None
            if isinstance(url, str) and BROKEN.search(url):
                item["url"] = BROKEN.sub(r"#\1", url)
                changed = True
    return changed


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(newsletter_issue.c.id, newsletter_issue.c.snapshot).where(
            newsletter_issue.c.snapshot.is_not(None)
        )
    ).all()
    for issue_id, snapshot in rows:
        if _fixed(snapshot):
            bind.execute(
                sa.update(newsletter_issue)
                .where(newsletter_issue.c.id == issue_id)
                .values(snapshot=snapshot)
            )


def downgrade():
    pass  # a broken link is not put back
