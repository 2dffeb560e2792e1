"""The territory's edge: a company or a need whose commune is outside the Pays Bassin
d'Arcachon - Val de l'Eyre (its three intercommunalities, ``territory.in_pays``).

Such a record is accepted everywhere (the interchange format takes any current French
commune, and a company of Mios's neighbour may well need a person of the Bassin), but
nobody is left unaware of it: the owner is told before sending and on the confirmation
what the platform serves and what becomes of their need, the staff see a flag on the
company's and the need's pages.

What the owner is told is what routing does (``matching.route``): an operator covers a
need only when its intercommunalities contain the need's, so outside them the routing
advises a re-orientation to a partner, France Travail when no other fits
(``workflows.dispatch``, chosen by an animateur after a call). When an active operator
declares the commune's intercommunality, the need is studied like any other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences import territory
from connectences.models import Operator

PAYS_NAME = "Pays Bassin d'Arcachon – Val de l'Eyre"


def outside_pays(insee: str | None) -> bool:
    """True when ``insee`` names a commune outside the Pays (an unknown code too: no
    operator covers it); False for none (nothing typed yet)."""
    return bool(insee) and not territory.in_pays(insee)


def pays_sentence() -> str:
    """« La plateforme sert les 17 communes du Pays … » (their number from the reference)."""
    return f"La plateforme sert les {len(territory.pays_communes())} communes du {PAYS_NAME}."


def _covering_operator(session: Session, insee: str) -> bool:
    """Whether an active operator declares the commune's intercommunality."""
    epci = territory.epci_of(insee)
    if epci is None:
        return False
    declared = session.scalars(select(Operator.epcis).where(Operator.active.is_(True)))
    return any(epci in (epcis or []) for epcis in declared)


def owner_notice(session: Session, insee: str | None) -> str | None:
    """What an owner is told about a need whose work happens in ``insee``, in French;
    None inside the Pays (or when no commune is known)."""
    if not outside_pays(insee):
        return None
    commune = territory.commune_label(insee)
    head = f"{pays_sentence()} {commune} n'en fait pas partie."
    if _covering_operator(session, insee):
        return (
            f"{head} Une structure de temps partagé de la plateforme intervient aussi dans "
            "votre commune : votre besoin sera étudié comme les autres, un animateur vous "
            "appellera."
        )
    return (
        f"{head} Aucune structure de temps partagé de la plateforme (groupement "
        "d'employeurs) n'y intervient : un animateur étudiera quand même votre besoin et "
        "vous appellera, puis le transmettra le plus souvent à France Travail, le service "
        "public de l'emploi, ou à un autre partenaire de l'emploi qui couvre votre commune."
    )


def staff_flag(insee: str | None) -> str | None:
    """The flag the staff read on a company's or a need's page when its commune is outside
    the Pays: the commune and its intercommunality; None inside it."""
    if not outside_pays(insee):
        return None
    epci = territory.epci_label(insee, unknown="")
    where = f", {epci}," if epci else ""
    return (
        f"Hors du territoire : {territory.commune_label(insee)}{where} n'est pas une des "
        f"{len(territory.pays_communes())} communes du Pays."
    )
