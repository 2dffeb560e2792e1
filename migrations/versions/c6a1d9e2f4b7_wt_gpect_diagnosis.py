"""gpect: the GPECT diagnosis questionnaire (diagnosis, diagnosis_answer)

Revision ID: c6a1d9e2f4b7
Revises: b8d4f0a2c6e1
Create Date: 2026-12-05 01:56:59.284372

"""

import sqlalchemy as sa
from alembic import op

import connectences.models.base

# revision identifiers, used by Alembic.
revision = "c6a1d9e2f4b7"
down_revision = "b8d4f0a2c6e1"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "diagnosis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("filled_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_to", sa.String(length=254), nullable=True),
        sa.Column("sent_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.Column("submitted_at", connectences.models.base.UTCDateTime(), nullable=True),
        sa.Column("difficulty", sa.String(length=20), nullable=True),
        sa.Column("shared_time", sa.String(length=20), nullable=True),
        sa.Column("other_cause", sa.String(length=200), nullable=True),
        sa.Column("created_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", connectences.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_diagnosis_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["filled_by_id"],
            ["user.id"],
            name=op.f("fk_diagnosis_filled_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user.id"],
            name=op.f("fk_diagnosis_sent_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.id"],
            name=op.f("fk_diagnosis_visit_id_visit"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnosis")),
    )
    with op.batch_alter_table("diagnosis", schema=None) as batch_op:
        batch_op.create_index(
            "ix_diagnosis_company_submitted", ["company_id", "submitted_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_diagnosis_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "diagnosis_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("diagnosis_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["diagnosis_id"],
            ["diagnosis.id"],
            name=op.f("fk_diagnosis_answer_diagnosis_id_diagnosis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnosis_answer")),
    )
    with op.batch_alter_table("diagnosis_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_diagnosis_answer_diagnosis_id"), ["diagnosis_id"], unique=False
        )
        batch_op.create_index(
            "ix_diagnosis_answer_question_value", ["question", "value"], unique=False
        )


def downgrade():

    with op.batch_alter_table("diagnosis_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_diagnosis_answer_question_value")
        batch_op.drop_index(batch_op.f("ix_diagnosis_answer_diagnosis_id"))

    op.drop_table("diagnosis_answer")
    with op.batch_alter_table("diagnosis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diagnosis_sent_at"))
        batch_op.drop_index("ix_diagnosis_company_submitted")

    op.drop_table("diagnosis")
