"""search: each person's target jobs (ROME codes) in an indexed table

The CV search looked for a job in ``candidate.rome`` with a LIKE over the JSON text of
every person (a full scan of the library per code). ``candidate_rome`` holds one row
per (code, person), its primary key led by the code; it is filled here from the JSON
lists, then kept in step by ``Candidate``'s validator of ``rome``. The skills' indexes
on norm and on concept carry the person too (the search reads them alone), and the
level is indexed (counting a level's people), the commune with the update time (a
commune's page without a sort).

Branch wt/search.

Revision ID: b4d8e2f6a1c3
Revises: b4d6f8a0c2e5
Create Date: 2026-12-05 05:00:00

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b4d8e2f6a1c3"
down_revision = "b4d6f8a0c2e5"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    rome = op.create_table(
        "candidate_rome",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate.id"],
            name=op.f("fk_candidate_rome_candidate_id_candidate"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", "candidate_id", name=op.f("pk_candidate_rome")),
    )
    op.create_index(
        op.f("ix_candidate_rome_candidate_id"), "candidate_rome", ["candidate_id"], unique=False
    )
    # Back-fill in Python: the same on SQLite and PostgreSQL, whatever JSON functions
    # each has, and the same rule as the model (each code of a list once).
    candidate = sa.table("candidate", sa.column("id", sa.Integer), sa.column("rome", sa.JSON))
    people = op.get_bind().execute(sa.select(candidate.c.id, candidate.c.rome)).all()
    rows: list[dict] = []
    for cid, codes in people:
        if isinstance(codes, str):  # a driver that hands the JSON back as text
            codes = json.loads(codes)
        rows.extend({"candidate_id": cid, "code": code} for code in dict.fromkeys(codes or []))
    for start in range(0, len(rows), BATCH):
        op.bulk_insert(rome, rows[start : start + BATCH])
    # The skills of a norm or concept, read from the index alone (covering).
    op.drop_index("ix_candidate_skill_norm", table_name="candidate_skill")
    op.drop_index("ix_candidate_skill_concept", table_name="candidate_skill")
    op.create_index(
        "ix_candidate_skill_norm_candidate", "candidate_skill", ["norm", "candidate_id"]
    )
    op.create_index(
        "ix_candidate_skill_concept_candidate", "candidate_skill", ["concept", "candidate_id"]
    )
    # Counting the people of a level reads this index, not every row.
    op.create_index("ix_candidate_level", "candidate", ["level"])
    # A commune's people, most recent first: a page straight off the index, no sort.
    op.drop_index("ix_candidate_commune", table_name="candidate")
    op.create_index("ix_candidate_commune_updated_at", "candidate", ["commune", "updated_at"])
    # Planner statistics for the new indexes: without them SQLite would, for instance,
    # sort every person of a level rather than walk the updated_at index to a page.
    for table in ("candidate", "candidate_skill", "candidate_rome"):
        op.execute(f"ANALYZE {table}")


def downgrade():
    op.drop_index("ix_candidate_commune_updated_at", table_name="candidate")
    op.create_index("ix_candidate_commune", "candidate", ["commune"])
    op.drop_index("ix_candidate_level", table_name="candidate")
    op.drop_index("ix_candidate_skill_concept_candidate", table_name="candidate_skill")
    op.drop_index("ix_candidate_skill_norm_candidate", table_name="candidate_skill")
    op.create_index("ix_candidate_skill_concept", "candidate_skill", ["concept"])
    op.create_index("ix_candidate_skill_norm", "candidate_skill", ["norm"])
    op.drop_index(op.f("ix_candidate_rome_candidate_id"), table_name="candidate_rome")
    op.drop_table("candidate_rome")
