"""Closed vocabularies of the interchange format v1, with their French labels.

The order of each mapping is meaningful where the spec says so (levels are
ordered lowest first). Every other module takes its lists from here.
"""

from __future__ import annotations

LEVELS: dict[str, str] = {
    "non_qualifie": "Non qualifié",
    "employe_qualifie": "Employé qualifié",
    "technicien": "Technicien / agent de maîtrise",
    "cadre": "Cadre",
}
LEVEL_RANK: dict[str, int] = {name: rank for rank, name in enumerate(LEVELS)}

DAYS: dict[str, str] = {
    "mon": "lundi",
    "tue": "mardi",
    "wed": "mercredi",
    "thu": "jeudi",
    "fri": "vendredi",
    "sat": "samedi",
    "sun": "dimanche",
}
DAY_BIT: dict[str, int] = {day: 1 << i for i, day in enumerate(DAYS)}


def week_order(days) -> list:
    """``days`` once each, in the week's order (Monday first): how every record keeps
    them, whatever order a form or an imported document gave. A value that is no day is
    kept after them, for the validation that refuses it to name it."""
    given = list(days or ())
    return [d for d in DAYS if d in given] + list(dict.fromkeys(d for d in given if d not in DAYS))


CONTRACTS: dict[str, str] = {
    "cdi_temps_partage": "CDI à temps partagé",
    "cdi": "CDI",
    "cdd": "CDD",
    "saisonnier": "Contrat saisonnier",
    "mission": "Mission courte (moins d'un mois)",
}
CONTRACT_BIT: dict[str, int] = {c: 1 << i for i, c in enumerate(CONTRACTS)}

REASONS: dict[str, str] = {
    "temps_partiel": "Besoin à temps partiel",
    "nouvelle_fonction": "Développement d'une nouvelle fonction",
    "pic_activite": "Pic d'activité",
    "qualification_candidats": "Difficulté à trouver des candidats qualifiés",
    "remplacement": "Remplacement",
}

OPERATOR_KINDS: dict[str, str] = {
    "groupement_employeurs": "Groupement d'employeurs",
    "geiq": "GEIQ",
    "cadres_temps_partage": "Association de cadres à temps partagé",
    "autre": "Autre opérateur",
}

PARTNER_KINDS: dict[str, str] = {
    "france_travail": "France Travail",
    "mission_locale": "Mission Locale",
    "cap_emploi": "Cap Emploi",
    "cci": "CCI",
    "cma": "Chambre de métiers et de l'artisanat",
    "interim": "Agence d'intérim",
    "plie": "PLIE",
    "autre": "Autre partenaire",
}

CANDIDATE_STATUSES: dict[str, str] = {
    "disponible": "Disponible",
    "en_mission": "En mission",
    "place": "Placé",
    "inactif": "Inactif",
}
# What a page says of a person "en_mission" whose work has not started yet (followed by
# « à partir du jj/mm/aaaa »): the status is theirs from the day the work is declared, for
# matching, but « En mission » is only true from its first day (``cvtheque.status``).
MISSION_AHEAD = "Mission à venir"
# What a person reads of their own status where the staff's word is not theirs: they
# paused their profile, they are not « Inactif » (``cvtheque.status.own_status_words``).
OWN_STATUSES: dict[str, str] = {"inactif": "En pause"}
# Statuses open to work (interchange v1.1): a person "en mission" still has free time to fill.
OPEN_TO_WORK: tuple[str, ...] = ("disponible", "en_mission")

ROLES: dict[str, str] = {
    "admin": "Administrateur",
    "animateur": "Animateur",
    "operator": "Opérateur",
    "partner": "Partenaire",
    "company": "Entreprise",
    "candidate": "Candidat",
    "territoire": "Intercommunalité",
}

VISIT_CHANNELS: dict[str, str] = {
    "porte_a_porte": "Porte-à-porte",
    "telephone": "Téléphone",
    "information_collective": "Information collective",
    "salon_forum": "Salon / forum",
    "orientation_partenaire": "Orientation par un partenaire",
    "rendez_vous": "Rendez-vous",
}

VISIT_TOPICS: dict[str, str] = {
    "competences_partagees": "Compétences partagées, temps partagé",
    "aides_relance": "Aides et plans de relance",
    "rh_reglementation": "RH et réglementation",
    "formation": "Formation",
    "recrutement": "Recrutement",
    "saisonniers": "Emploi saisonnier",
    "autre": "Autre",
}

VISIT_OUTCOMES: dict[str, str] = {
    "besoin_detecte": "Besoin détecté",
    "a_relancer": "À relancer",
    "information_donnee": "Information donnée, pas de besoin",
    "pas_interesse": "Pas intéressé",
    "absent": "Interlocuteur absent",
    "ne_plus_solliciter": "Ne souhaite plus être sollicité",
}

NEED_STATUSES: dict[str, str] = {
    "nouveau": "Nouveau",
    "qualifie": "Qualifié",
    "en_recherche": "En recherche",
    "propose": "Proposé à un opérateur",
    "pourvu": "Pourvu",
    "reoriente": "Réorienté vers un partenaire",
    "abandonne": "Abandonné",
}

# A lead is a « proposition » on every page that names it (the need's follow-up, the
# animateur's home, a person's record, the operator's inbox), so its states agree with
# that feminine noun: « proposition du 03/12 · état : Acceptée », « refusée par … le »
# beside « envoyée à … le ». A placed lead is « Placement enregistré » (« Placée » reads
# as said of the person).
LEAD_STATUSES: dict[str, str] = {
    "envoye": "Envoyée",
    "vu": "Vue",
    "accepte": "Acceptée",
    "en_cours": "En cours",
    "place": "Placement enregistré",
    "sans_suite": "Sans suite",
    "refuse": "Refusée",
    "rendu": "Rendue à l'animateur",
}
# The same states as the operator reads them (its inbox, its home page, a lead's page): a
# lead just sent is « Nouvelle » to the one who received it; « Envoyée » is the
# animateur's word.
OPERATOR_LEAD_STATUSES: dict[str, str] = {**LEAD_STATUSES, "envoye": "Nouvelle"}

# What ended a placement before its term (``Placement.ended_by``).
PLACEMENT_ENDINGS: dict[str, str] = {
    "suivi": "Le recrutement ne tient pas (constaté au suivi)",
    "entreprise": "La personne a quitté la dernière entreprise du placement",
}

LEAD_REFUSAL_REASONS: dict[str, str] = {
    "hors_perimetre": "Hors de notre périmètre",
    "pas_de_candidat": "Pas de candidat disponible",
    "entreprise_injoignable": "Entreprise injoignable",
    "conditions_inadaptees": "Conditions inadaptées",
    "doublon": "Doublon",
    "autre": "Autre (préciser)",
}

REFERRAL_STATUSES: dict[str, str] = {
    "envoyee": "Envoyée",
    "recue": "Reçue",
    "prise_en_charge": "Prise en charge",
    "close": "Close",
    "refusee": "Refusée",
    # Closed by the scheduler when the partner never took it in hand.
    "sans_suite": "Sans suite",
}

# The same states as a partner reads them: one it has not opened yet is new to it (its
# inbox's « Nouvelles »), not « envoyée », a word of the animateur's side.
PARTNER_REFERRAL_STATUSES: dict[str, str] = {**REFERRAL_STATUSES, "envoyee": "Nouvelle"}

REFERRAL_REFUSAL_REASONS: dict[str, str] = {
    "hors_perimetre": "Hors de notre périmètre",
    "deja_suivi": "Entreprise déjà accompagnée",
    "entreprise_injoignable": "Entreprise injoignable",
    "doublon": "Doublon",
    "autre": "Autre (préciser)",
}

NEED_ABANDON_REASONS: dict[str, str] = {
    "besoin_disparu": "Le besoin a disparu",
    "pourvu_autrement": "Pourvu par l'entreprise elle-même",
    "entreprise_injoignable": "Entreprise injoignable",
    "budget": "Budget insuffisant",
    "doublon": "Doublon",
    "autre": "Autre (préciser)",
}

NO_FIT_REASONS: dict[str, str] = {
    "temps_plein": "Emploi à temps plein dans une seule entreprise",
    "mission_courte": "Mission courte",
    "aucun_operateur": "Aucun opérateur ne couvre ce besoin",
    "autre": "Autre (préciser)",
}


def label(vocabulary: dict[str, str], value: str | None) -> str:
    """French label of a value, or the value itself when unknown."""
    if value is None:
        return ""
    return vocabulary.get(value, value)


def motive(reasons: dict[str, str], code: str | None, text: str | None) -> str:
    """A refusal's motive as the animateur reads it: the reason's label, then the text."""
    name, text = label(reasons, code), (text or "").strip()
    return f"{name} — {text}" if text else name


# Where a CV came from: codes the platform writes itself; the channels an animateur
# chooses are CV_SOURCES below.
CANDIDATE_SOURCES = {
    "public": "Dépôt par la personne sur le site",
    "animateur": "Saisie par un animateur",
    "import": "Import d'un tableur",
}
# The channels a CV may come from when the platform's staff bring it in (the
# animateur's form, a spreadsheet's « Source » column, the source of an upload), stored
# as these codes: a closed list, so that the CV library can be searched and counted by
# channel. An interchange document may name others (the spec's list is open: "forum,
# job dating, permanence, réseaux sociaux, ..."); they are kept as sent.
CV_SOURCES = {
    "forum": "Forum",
    "job dating": "Job dating",
    "permanence": "Permanence",
    "réseaux sociaux": "Réseaux sociaux",
    "papier": "CV papier",
    "autre": "Autre",
}
