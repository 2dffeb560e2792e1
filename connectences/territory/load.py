"""Copy the territory reference into the ``epci`` and ``commune`` tables."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from connectences.models.territory import Commune, Epci
from connectences.territory import all_communes, all_epcis

# Rows per executemany batch: large enough to be fast, small enough to keep
# PostgreSQL's parameter count (and SQLite's) far from their limits.
BATCH = 5000


@dataclass(frozen=True)
class LoadReport:
    """Rows written by one ``load_reference`` call (all zero when already up to date)."""

    epcis_inserted: int
    epcis_updated: int
    communes_inserted: int
    communes_updated: int


def _upsert(session: Session, model, wanted: dict[str, dict]) -> tuple[int, int]:
    """Insert the missing rows and update the changed ones; return (inserted, updated).

    Each row's primary key is its first value. The table is read once into memory (a few MB for every commune) and compared
    in Python, so an up-to-date table costs one SELECT and no write; writes go
    through Core INSERT / UPDATE executemany (the ORM's bulk INSERT splits rows
    by which values are None and is two to three times slower here).
    """
    columns = [getattr(model, name) for name in next(iter(wanted.values()))]
    existing = {row[0]: row for row in session.execute(select(*columns))}
    to_insert, to_update = [], []
    for pk, values in wanted.items():
        row = existing.get(pk)
        if row is None:
            to_insert.append(values)
        elif tuple(row) != tuple(values.values()):
            to_update.append(values)
    table = model.__table__
    pk_name = columns[0].key
    insert_rows = table.insert()
    # UPDATE ... WHERE pk = :b_pk, with the new values bound by column name.
    update_rows = (
        table.update()
        .where(table.c[pk_name] == bindparam("b_pk"))
        .values({name: bindparam(name) for name in wanted[next(iter(wanted))] if name != pk_name})
    )
    for start in range(0, len(to_insert), BATCH):
        session.execute(insert_rows, to_insert[start : start + BATCH])
    updates = [{"b_pk": values[pk_name], **values} for values in to_update]
    for start in range(0, len(updates), BATCH):
        session.execute(update_rows, updates[start : start + BATCH])
    return len(to_insert), len(to_update)


def load_reference(session: Session) -> LoadReport:
    """Make the ``epci`` and ``commune`` tables match the shipped reference.

    Idempotent: missing rows are inserted, changed rows updated, nothing is
    duplicated. Rows that the reference no longer has are kept, since companies,
    candidates and needs may still point at them. EPCIs go first (communes
    reference them). The caller commits.
    """
    epcis = {e.siren: {"siren": e.siren, "name": e.name, "kind": e.kind} for e in all_epcis()}
    communes = {
        c.insee: {
            "insee": c.insee,
            "name": c.name,
            "postcodes": list(c.postcodes),
            "department": c.department,
            "epci_siren": c.epci,
            "lat": c.lat,
            "lon": c.lon,
        }
        for c in all_communes()
    }
    epcis_inserted, epcis_updated = _upsert(session, Epci, epcis)
    communes_inserted, communes_updated = _upsert(session, Commune, communes)
    session.flush()
    return LoadReport(epcis_inserted, epcis_updated, communes_inserted, communes_updated)
