"""The newsletter is sent by the scheduler, company by company, with one row per company

Revision ID: 5065cc06a09c
Revises: 9316801b748e
Create Date: 2026-12-06 13:17:30

Sending an issue ran inside the web request (13 s for 6,000 companies). The request now
only asks for it (``newsletter_issue.sent_at``); the scheduler's job sends it by batches
and stamps ``send_done_at`` when done. What it did for each company is a row of
``newsletter_delivery`` (sent, with the address, or skipped, with the reason), unique per
issue and company: the job's progress, which a resumed run reads so as to send nothing
twice, and the "not sent" list, which is paged. It replaces the JSON list
``newsletter_issue.skipped``: the issues already sent get their rows from it and from
their ``company_mailing`` rows (a skipped company since deleted is dropped, as its row
would be), and are done.
"""

import sqlalchemy as sa
from alembic import op

import connectences.models.base

revision = "5065cc06a09c"
down_revision = "9316801b748e"
branch_labels = None
depends_on = None

issue_table = sa.table(
    "newsletter_issue",
    sa.column("id", sa.Integer),
    sa.column("sent_at", connectences.models.base.UTCDateTime),
    sa.column("send_done_at", connectences.models.base.UTCDateTime),
    sa.column("skipped", sa.JSON),
)
delivery_table = sa.table(
    "newsletter_delivery",
    sa.column("issue_id", sa.Integer),
    sa.column("company_id", sa.Integer),
    sa.column("address", sa.String),
    sa.column("reason", sa.Text),
    sa.column("created_at", connectences.models.base.UTCDateTime),
)
company_table = sa.table(
    "company",
    sa.column("id", sa.Integer),
    sa.column("ref", sa.String),
    sa.column("name", sa.String),
    sa.column("contact_email", sa.String),
)
mailing_table = sa.table(
    "company_mailing",
    sa.column("company_id", sa.Integer),
    sa.column("issue_id", sa.Integer),
)


def upgrade():
    op.create_table(
        "newsletter_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"],
            name=op.f("fk_newsletter_delivery_company_id_company"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["newsletter_issue.id"],
            name=op.f("fk_newsletter_delivery_issue_id_newsletter_issue"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_delivery")),
        sa.UniqueConstraint(
            "issue_id", "company_id", name=op.f("uq_newsletter_delivery_issue_id")
        ),
    )  # fmt: skip
    with op.batch_alter_table("newsletter_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_delivery_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            "ix_newsletter_delivery_issue_address", ["issue_id", "address"], unique=False
        )
    with op.batch_alter_table("newsletter_issue", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_done_at", connectences.models.base.UTCDateTime(), nullable=True)
        )

    bind = op.get_bind()
    sent = bind.execute(
        sa.select(issue_table.c.id, issue_table.c.sent_at, issue_table.c.skipped).where(
            issue_table.c.sent_at.is_not(None)
        )
    ).all()
    for issue_id, sent_at, skipped in sent:
        done = set()
        rows = []
        received = bind.execute(
            sa.select(company_table.c.id, company_table.c.contact_email)
            .join(mailing_table, mailing_table.c.company_id == company_table.c.id)
            .where(mailing_table.c.issue_id == issue_id)
        ).all()
        for company_id, email in received:
            if company_id not in done:
                done.add(company_id)
                address = (email or "").strip().lower() or None
                rows.append({"company_id": company_id, "address": address, "reason": None})
        refs = [row.get("ref") for row in skipped or [] if isinstance(row, dict)]
        ids = dict(
            bind.execute(
                sa.select(company_table.c.ref, company_table.c.id).where(
                    company_table.c.ref.in_([ref for ref in refs if ref])
                )
            ).all()
        )
        for row in skipped or []:
            company_id = ids.get(row.get("ref")) if isinstance(row, dict) else None
            if company_id is not None and company_id not in done:
                done.add(company_id)
                rows.append(
                    {"company_id": company_id, "address": None,
                     "reason": str(row.get("reason") or "")}
                )  # fmt: skip
        if rows:
            bind.execute(
                sa.insert(delivery_table),
                [{"issue_id": issue_id, "created_at": sent_at, **row} for row in rows],
            )
        bind.execute(
            sa.update(issue_table).where(issue_table.c.id == issue_id).values(send_done_at=sent_at)
        )

    with op.batch_alter_table("newsletter_issue", schema=None) as batch_op:
        batch_op.drop_column("skipped")


def downgrade():
    with op.batch_alter_table("newsletter_issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped", sa.JSON(), nullable=True))

    bind = op.get_bind()
    skipped = {}
    for issue_id, name, ref, reason in bind.execute(
        sa.select(
            delivery_table.c.issue_id, company_table.c.name, company_table.c.ref,
            delivery_table.c.reason,
        )
        .join(company_table, company_table.c.id == delivery_table.c.company_id)
        .where(delivery_table.c.reason.is_not(None))
        .order_by(company_table.c.name, company_table.c.id)
    ):  # fmt: skip
        skipped.setdefault(issue_id, []).append({"company": name, "ref": ref, "reason": reason})
    sent = bind.execute(
        sa.select(issue_table.c.id).where(issue_table.c.sent_at.is_not(None))
    ).scalars()
    for issue_id in list(sent):
        bind.execute(
            sa.update(issue_table)
            .where(issue_table.c.id == issue_id)
            .values(skipped=skipped.get(issue_id, []))
        )

    with op.batch_alter_table("newsletter_issue", schema=None) as batch_op:
        batch_op.drop_column("send_done_at")
    with op.batch_alter_table("newsletter_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_newsletter_delivery_issue_address")
        batch_op.drop_index(batch_op.f("ix_newsletter_delivery_company_id"))
    op.drop_table("newsletter_delivery")
