"""Where a need stands, told to the company owner in plain words."""

from __future__ import annotations

from connectences.workflows import NEED_FINAL

# What each need status means for the company, in its own words.
NEED_STATUS_FOR_COMPANY: dict[str, str] = {
    "nouveau": "Reçu : l'animateur va l'étudier avec vous",
    "qualifie": "Étudié : nous cherchons la meilleure solution",
    "en_recherche": "Recherche de candidats en cours",
    "propose": "Confié à une structure de temps partagé (groupement d'employeurs ou "
    "association de cadres), qui va vous contacter",
    "pourvu": "Pourvu",
    "reoriente": "Transmis à un partenaire de l'emploi (France Travail, Mission Locale...), "
    "qui va vous contacter",
    "abandonne": "Clos sans suite",
}
AWAITING_CONFIRMATION = (
    "En attente : confirmez votre adresse e-mail avec le lien reçu pour que nous l'étudiions"
)


def awaiting_owner(need) -> bool:
    """True while a need posted by its owner waits for the owner's e-mail confirmation
    (it is then not yet in the animateurs' queue)."""
    return need.source == "entreprise" and need.owner_confirmed_at is None


AWAITING_ATTACHMENT = (
    "Reçu : l'animateur va vérifier auprès de l'entreprise que vous parlez en son nom, "
    "puis l'étudier avec vous"
)


# Told to the staff when they try to move such a need on.
UNATTACHED_REFUSAL = (
    "Demandeur non rattaché à l'entreprise : vérifiez auprès de l'entreprise que cette "
    "personne parle en son nom et rattachez-la avant de qualifier ou de réorienter ce besoin."
)


def unattached_owner(need) -> bool:
    """True while the person who posted ``need`` for a company already known is not
    attached to it (see ``Need.owner_unattached``): the need is not the company's yet."""
    return bool(need.owner_unattached)


def status_for_company(need) -> str:
    """The plain-words sentence telling the owner where ``need`` stands."""
    if awaiting_owner(need):
        return AWAITING_CONFIRMATION
    if unattached_owner(need) and need.status not in NEED_FINAL:
        return AWAITING_ATTACHMENT
    return NEED_STATUS_FOR_COMPANY.get(need.status, need.status)
