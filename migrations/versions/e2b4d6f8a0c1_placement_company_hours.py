"""A placement keeps the weekly hours agreed with each of its companies

Revision ID: e2b4d6f8a0c1
Revises: c7d9e1f3a5b8
Create Date: 2026-12-07 14:30:00

A bundle placed company by company (10 h at one, 6 h at the other) held those hours only
in the person's commitments, which go with the person when they are erased: the
placement then read its needs' hours instead (« left the first company » took 8 h off,
not 10). ``placement_need.hours_per_week`` keeps them with the placement
(``workflows.leads.record_placement`` writes it, ``company_hours`` reads it).

The existing rows get the hours of what held them, as ``company_hours`` read them until
now (``company_commitment``): the commitment of that placement written for that need
(``commitment.need_id``, the lowest id when several), else the one of that placement
whose label names that company and the operator, when exactly one does; else, for a
placement of a single need, the placement's hours (they are that company's: the person
erased, nothing else says them). A bundle held in one commitment over its companies
(whose sharing nobody gave), or whose person was erased, keeps NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "e2b4d6f8a0c1"
down_revision = "c7d9e1f3a5b8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("placement_need", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hours_per_week", sa.Double(), nullable=True))
    _fill_hours()


def _fill_hours():
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT pn.id, pn.placement_id, pn.need_id, p.hours_per_week, co.name, o.name "
            "FROM placement_need pn "
            "JOIN placement p ON p.id = pn.placement_id "
            "JOIN lead l ON l.id = p.lead_id "
            "JOIN operator o ON o.id = l.operator_id "
            "JOIN need n ON n.id = pn.need_id "
            "JOIN company co ON co.id = n.company_id "
            "WHERE pn.hours_per_week IS NULL"
        )
    ).all()
    commitments: dict[int, list] = {}
    for placement_id, need_id, label, hours in bind.execute(
        sa.text(
            "SELECT placement_id, need_id, label, hours_per_week FROM commitment "
            "WHERE placement_id IS NOT NULL ORDER BY id"
        )
    ):
        commitments.setdefault(placement_id, []).append((need_id, label, hours))
    needs_of: dict[int, int] = {}
    for row in rows:
        needs_of[row[1]] = needs_of.get(row[1], 0) + 1
    filled = []
    for row_id, placement_id, need_id, placement_hours, company, operator in rows:
        mine = commitments.get(placement_id, [])
        linked = [hours for need, _label, hours in mine if need == need_id]
        named = [h for need, label, h in mine if need is None and label == f"{company}, {operator}"]
        if linked:
            hours = linked[0]
        elif len(named) == 1:
            hours = named[0]
        elif needs_of[placement_id] == 1:
            hours = placement_hours
        else:
            continue
        filled.append({"row_id": row_id, "hours": hours})
    if filled:
        bind.execute(
            sa.text("UPDATE placement_need SET hours_per_week = :hours WHERE id = :row_id"),
            filled,
        )


def downgrade():
    with op.batch_alter_table("placement_need", schema=None) as batch_op:
        batch_op.drop_column("hours_per_week")
