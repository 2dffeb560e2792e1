"""Abbreviations and jargon of job seekers and employers, spelt out for lookup.

Only words that the taxonomy's prefix and stem rules cannot reach on their own
(an abbreviation that is not a prefix, an acronym, a slang word). Keys and
values are normalised (see ``skills.text.normalize``).
"""

from __future__ import annotations

JARGON: dict[str, str] = {
    "compta": "comptabilite",
    "paye": "paie",
    "rh": "ressources humaines",
    "grh": "gestion ressources humaines",
    "admin": "administratif",
    "adv": "administration des ventes",
    "sav": "service apres vente",
    "avs": "auxiliaire de vie sociale",
    "ash": "agent de service hospitalier",
    "cm": "community manager",
    "pao": "publication assistee par ordinateur",
    "dao": "dessin assiste par ordinateur",
    "cao": "conception assistee par ordinateur",
    "vl": "vehicule leger",
    "pl": "poids lourd",
    "spl": "super poids lourd",
    "btp": "batiment travaux publics",
    "bat": "batiment",
    "vrd": "voirie reseaux divers",
    "cvc": "chauffage ventilation climatisation",
    "qhse": "qualite hygiene securite environnement",
    "seo": "referencement naturel",
    "dev": "developpement",
    "mecano": "mecanicien",
    "cuistot": "cuisinier",
    "plonge": "plongeur",
    "secretaria": "secretariat",
    "info": "informatique",
    "elec": "electricite",
    "clim": "climatisation",
    "resto": "restaurant",
    "recep": "reception",
    "appro": "approvisionnement",
    "manut": "manutention",
    "logist": "logistique",
    "commercial": "commercial",
}
