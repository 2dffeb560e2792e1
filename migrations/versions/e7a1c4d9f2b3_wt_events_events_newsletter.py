"""Events (registrations, waiting list, reminders), newsletter issues sent through the
outbox (extra List-Unsubscribe headers per message, each send linked to its issue),
and the phone an animateur shows companies.

Revision ID: e7a1c4d9f2b3
Revises: c4e7a1b9d2f3
Create Date: 2026-12-05 01:59:13.451866

"""

import sqlalchemy as sa
from alembic import op

import connectences.models.base

# revision identifiers, used by Alembic.
revision = "e7a1c4d9f2b3"
down_revision = "c4e7a1b9d2f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.Column("ends_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["user.id"],
            name=op.f("fk_event_organiser_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "newsletter_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("introduction", sa.Text(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("skipped", sa.JSON(), nullable=True),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.Column("sent_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_newsletter_issue_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user.id"],
            name=op.f("fk_newsletter_issue_sent_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_issue")),
    )
    with op.batch_alter_table("newsletter_issue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_newsletter_issue_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "event_partner",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_partner_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_event_partner_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "partner_id", name=op.f("pk_event_partner")),
    )
    op.create_table(
        "event_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.Column("seated_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.Column("reminded_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_event_registration_company_id_company"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_registration_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_registration")),
    )
    with op.batch_alter_table("event_registration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_registration_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_event_registration_email"), ["email"], unique=False)
        batch_op.create_index(
            "ix_event_registration_event_status", ["event_id", "status"], unique=False
        )

    with op.batch_alter_table("company_mailing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issue_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_company_mailing_issue_id"), ["issue_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_company_mailing_issue_id_newsletter_issue"),
            "newsletter_issue",
            ["issue_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=30), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("phone")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("headers")

    with op.batch_alter_table("company_mailing", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_company_mailing_issue_id_newsletter_issue"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_company_mailing_issue_id"))
        batch_op.drop_column("issue_id")

    with op.batch_alter_table("event_registration", schema=None) as batch_op:
        batch_op.drop_index("ix_event_registration_event_status")
        batch_op.drop_index(batch_op.f("ix_event_registration_email"))
        batch_op.drop_index(batch_op.f("ix_event_registration_company_id"))

    op.drop_table("event_registration")
    op.drop_table("event_partner")
    with op.batch_alter_table("newsletter_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_issue_sent_at"))

    op.drop_table("newsletter_issue")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_starts_at"))

    op.drop_table("event")
