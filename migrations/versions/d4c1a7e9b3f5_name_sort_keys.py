"""Lists sort names as a French directory does: a folded sort key beside each name

Revision ID: d4c1a7e9b3f5
Revises: 5065cc06a09c
Create Date: 2026-12-06 15:30:00

Lists sorted by the raw name put "Élodie" after "Zoé" and "de Lacanau" after "Zola".
Companies, candidates, operators, partners and accounts get ``sort_name``
(``connectences.listing.sort_key`` of the name: accents, ligatures and case folded),
which their models keep in step with the name, compared in collation "C" on PostgreSQL
as on SQLite. The existing rows get theirs here. The lists that page (companies,
candidates) read it through an index on (sort_name, id).
"""

import sqlalchemy as sa
from alembic import op

from connectences.text import SORT_KEY_MAX, sort_key

revision = "d4c1a7e9b3f5"
down_revision = "5065cc06a09c"
branch_labels = None
depends_on = None

# The table, the columns its key is made of (in turn), and its index.
_TABLES = {
    "company": (("name",), "ix_company_sort_name"),
    "candidate": (("last_name", "first_name"), "ix_candidate_sort_name"),
    "operator": (("name",), None),
    "partner": (("name",), None),
    "user": (("full_name", "email"), None),
}
_BATCH = 1000


def _sort_type():
    return sa.String(SORT_KEY_MAX).with_variant(
        sa.String(SORT_KEY_MAX, collation="C"), "postgresql"
    )


def _key(table: str, values: tuple) -> str:
    if table == "user":  # the name the pages show: the full name, else the address
        full_name, email = values
        return sort_key(full_name or email)
    return sort_key(*values)


def _fill(bind, name: str, columns: tuple[str, ...]) -> None:
    table = sa.table(
        name, sa.column("id", sa.Integer), sa.column("sort_name", sa.String),
        *(sa.column(column, sa.String) for column in columns),
    )  # fmt: skip
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(sort_name=sa.bindparam("key"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, *(table.c[column] for column in columns))
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            update, [{"row_id": row[0], "key": _key(name, tuple(row[1:]))} for row in rows]
        )
        last = rows[-1][0]


def upgrade():
    bind = op.get_bind()
    for name, (columns, index) in _TABLES.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("sort_name", _sort_type(), server_default="", nullable=False)
            )
        _fill(bind, name, columns)
        if index:
            with op.batch_alter_table(name, schema=None) as batch_op:
                batch_op.create_index(index, ["sort_name", "id"], unique=False)


def downgrade():
    for name, (_columns, index) in _TABLES.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            if index:
                batch_op.drop_index(index)
            batch_op.drop_column("sort_name")
