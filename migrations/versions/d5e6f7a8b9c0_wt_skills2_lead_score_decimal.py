"""A lead line's score keeps its decimal: scores are to the tenth since the skills
criterion counts partial credit to the tenth of a point (issue #12, second pass).

Branch wt/skills2.

Revision ID: d5e6f7a8b9c0
Revises: c0ffee140001
Create Date: 2026-12-15 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b9c0'
down_revision = 'c0ffee140001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lead_candidate', schema=None) as batch_op:
        batch_op.alter_column(
            'score',
            existing_type=sa.Integer(),
            type_=sa.Double(),
            existing_nullable=True,
        )


def downgrade():
    # Back to whole points: scores are rounded half up, as the first pass did.
    whole = (
        "FLOOR(score + 0.5)"
        if op.get_bind().dialect.name == "postgresql"
        else "CAST(score + 0.5 AS INTEGER)"  # SQLite: truncation, scores are >= 0
    )
    op.execute(f"UPDATE lead_candidate SET score = {whole} WHERE score IS NOT NULL")
    with op.batch_alter_table('lead_candidate', schema=None) as batch_op:
        batch_op.alter_column(
            'score',
            existing_type=sa.Double(),
            type_=sa.Integer(),
            existing_nullable=True,
            postgresql_using='score::integer',
        )
