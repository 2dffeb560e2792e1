"""Attaching a provisional company to a listed one (« Rattacher à cette fiche »).

A public need not confirmed yet creates a provisional company for the SIRET its author
typed (``companies.create_provisional``). When that SIRET is the right one of a company
the staff already follow, under another SIRET (a typo at its creation, an establishment
that moved), the one-SIRET-one-company rule refused to correct the record until the
retention job deleted the provisional company. The staff attach it instead: its needs
and whatever else refers to it move to the record, the provisional row is deleted (its
tombstone kept for the platforms that copied it), and the record takes the SIRET, in
the caller's transaction, audited (:data:`pressure.COMPANY_MERGED`) and on the
company's history. Nothing the author typed about the company (its name, its commune)
is taken: nobody vouched for it; nor is the author made the company's owner
(``register.moved_to_company``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connectences.accounts.audit import audit
from connectences.db_session import begin_writing
from connectences.models import Company, Need, User
from connectences.needs import register
from connectences.prospection.companies import (
    CompanyError,
    find_company_by_siret,
    is_provisional,
    move_references,
    siret_display,
    write_details,
)
from connectences.prospection.pressure import needs_brought
from connectences.tombstones import record_deletion

NOT_PROVISIONAL_ANY_MORE = (
    "Cette fiche provisoire n'est plus provisoire : l'auteur du besoin a confirmé son "
    "adresse entre-temps (l'entreprise a maintenant sa propre fiche), ou elle a été "
    "supprimée. Rien n'a été rattaché ; vérifiez le SIRET."
)
CHANGED_MEANWHILE = (
    "La fiche a été modifiée entre-temps : son SIRET n'est plus celui que vous aviez "
    "sous les yeux. Rien n'a été rattaché ; rouvrez la fiche et recommencez."
)


@dataclass(frozen=True)
class Merged:
    """What attaching a provisional company brought to the record."""

    siret: str
    needs: int  # needs moved
    rows: int  # other rows that referred to it, moved


def provisional_holding(session: Session, company: Company, siret: str | None) -> Company | None:
    """The provisional company holding ``siret`` (any spacing), which ``company``, a
    listed company, may take over; None otherwise (an invalid SIRET, one nobody holds,
    a listed company's)."""
    if is_provisional(company):
        return None
    other = find_company_by_siret(session, siret)
    if other is None or other.id == company.id or not is_provisional(other):
        return None
    return other


def needs_of(session: Session, provisional: Company) -> list[Need]:
    """The needs of a provisional company, oldest first (what attaching it moves)."""
    return list(
        session.scalars(
            select(Need).where(Need.company_id == provisional.id).order_by(Need.created_at, Need.id)
        )
    )


def merge_provisional(
    session: Session,
    company: Company,
    provisional_ref: str | None,
    *,
    siret_before: str | None,
    actor: User,
) -> Merged:
    """Attach the provisional company ``provisional_ref`` to the listed ``company``
    (see the module). ``siret_before``: the record's SIRET as the staff read it; a
    record changed since is refused. CompanyError (French, under ``provisoire``): a
    ref that is not a provisional company's (named meanwhile by its author's
    confirmation, deleted, or a listed company's); nothing changed then."""
    if is_provisional(company):
        raise CompanyError({"provisoire": "Une fiche provisoire ne se rattache qu'à une fiche."})
    # The provisional row is the lock: a confirmation naming it, or a public need sent
    # for its SIRET, waits for this transaction (SQLite: the database's write lock).
    begin_writing(session.connection())
    session.flush()
    provisional = session.scalars(
        select(Company)
        .where(Company.ref == (provisional_ref or "").strip())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if provisional is None or not is_provisional(provisional) or provisional.id == company.id:
        raise CompanyError({"provisoire": NOT_PROVISIONAL_ANY_MORE})
    session.refresh(company)
    if company.siret != (siret_before or "").strip():
        raise CompanyError({"provisoire": CHANGED_MEANWHILE})

    needs = needs_of(session, provisional)
    for need in needs:
        register.moved_to_company(session, need, company)
    session.flush()
    rows = move_references(session, provisional.id, company.id)
    siret, old_siret, dropped_ref = provisional.siret, company.siret, provisional.ref
    # Other platforms may have copied it under its ref: they delete their copy.
    record_deletion(session, "companies", dropped_ref, company_id=provisional.id)
    session.execute(delete(Company).where(Company.id == provisional.id))
    session.expunge(provisional)
    session.expire_all()
    write_details(company, {"siret": (old_siret, siret)})
    session.flush()
    audit(
        session,
        "company.provisional_merged",
        actor=actor,
        entity="company",
        entity_id=company.id,
        details={
            "before": {"siret": old_siret},
            "after": {"siret": siret},
            "dropped_ref": dropped_ref,
            "needs_moved": len(needs),
            "rows_moved": rows,
        },
    )
    return Merged(siret=siret, needs=len(needs), rows=rows)


def merged_message(merged: Merged) -> str:
    """What the staff are told once it is done (French)."""
    return (
        f"Fiche provisoire rattachée à cette fiche : {needs_brought(merged.needs)}. "
        f"Le SIRET de l'entreprise est désormais {siret_display(merged.siret)}."
    )
