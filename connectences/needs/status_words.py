"""Where a need stands, told to the company owner in plain words."""

from __future__ import annotations

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


def status_for_company(need) -> str:
    """The plain-words sentence telling the owner where ``need`` stands."""
    if awaiting_owner(need):
        return AWAITING_CONFIRMATION
    return NEED_STATUS_FOR_COMPANY.get(need.status, need.status)
