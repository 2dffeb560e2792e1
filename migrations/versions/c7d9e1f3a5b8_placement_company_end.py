"""A shared-time placement can lose one company and keep the others

Revision ID: c7d9e1f3a5b8
Revises: a9e1c3d5f7b2
Create Date: 2026-12-07 09:00:00

A person placed in a bundle may leave one of its companies and stay in the others
(``workflows.leads.end_at_company``). Three nullable columns: ``commitment.need_id``, the
need a placement's commitment works for (written by ``record_placement``; the rows
before it were tied to their need only by their label's text), and on
``placement_need`` the last day worked in that company and why, once the person left it.

The existing rows of a placement get their need where it can be told without doubt: the
placement has a single need, or the commitment's label is « <company>, <operator> » for
exactly one of its needs (one commitment per company of a bundle placed at its needs'
hours). A commitment over several companies (hours not shared out) keeps NULL, and the
code falls back to its label.
"""

import sqlalchemy as sa
from alembic import op

revision = "c7d9e1f3a5b8"
down_revision = "a9e1c3d5f7b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("need_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_commitment_need_id"), ["need_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_commitment_need_id_need"),
            "need",
            ["need_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("placement_need", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("end_reason", sa.Text(), nullable=True))
    _fill_need_ids()


def _fill_need_ids():
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.label, c.placement_id, pn.need_id, co.name, o.name "
            "FROM commitment c "
            "JOIN placement p ON p.id = c.placement_id "
            "JOIN lead l ON l.id = p.lead_id "
            "JOIN operator o ON o.id = l.operator_id "
            "JOIN placement_need pn ON pn.placement_id = p.id "
            "JOIN need n ON n.id = pn.need_id "
            "JOIN company co ON co.id = n.company_id "
            "WHERE c.need_id IS NULL"
        )
    ).all()
    by_commitment: dict[int, list] = {}
    for row in rows:
        by_commitment.setdefault(row[0], []).append(row)
    for commitment_id, needs in by_commitment.items():
        if len(needs) == 1:
            need_id = needs[0][3]
        else:
            matching = [r[3] for r in needs if r[1] == f"{r[4]}, {r[5]}"]
            if len(matching) != 1:
                continue
            need_id = matching[0]
        bind.execute(
            sa.text("UPDATE commitment SET need_id = :need WHERE id = :id"),
            {"need": need_id, "id": commitment_id},
        )


def downgrade():
    with op.batch_alter_table("placement_need", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
        batch_op.drop_column("ended_on")
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_commitment_need_id_need"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_commitment_need_id"))
        batch_op.drop_column("need_id")
