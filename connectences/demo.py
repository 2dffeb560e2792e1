"""The demo of the territory, built as an interchange v1 document and imported like any other.

`build_demo_document` is a pure function of its seed and reference date: the same
arguments always give the same document, so tests can validate it and the demo
can be re-imported without duplicating anything (the import upserts by `ref`).
Visits and accounts are not part of the interchange format; `seed_demo` adds them
after the import, keyed so that a second run finds them instead of adding more.

Every person, company and SIRET here is invented. Phone numbers use the range
ARCEP reserves for fiction (06 39 98 xx xx); emails use `exemple.fr` or `.example`.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import luhn

from connectences import vocab

DEMO_SEED = 3309
DEMO_PREFIX = "demo-"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
ALL_DAYS = list(vocab.DAYS)

# The three intercommunalities of the Pays (SIREN) and their communes (INSEE), each with
# a rough weight for where demo companies and people are, close to the population.
COBAS = "243300563"
COBAN = "243301504"
CC_VAL_DE_L_EYRE = "243301405"
PAYS_EPCI_SIRENS = [COBAS, COBAN, CC_VAL_DE_L_EYRE]
PAYS_COMMUNE_WEIGHTS: dict[str, int] = {
    "33529": 27,  # La Teste-de-Buch
    "33199": 22,  # Gujan-Mestras
    "33009": 11,  # Arcachon
    "33527": 8,  # Le Teich
    "33005": 12,  # Andernos-les-Bains
    "33051": 11,  # Biganos
    "33284": 10,  # Mios
    "33019": 9,  # Audenge
    "33236": 8,  # Lège-Cap-Ferret
    "33229": 7,  # Lanton
    "33011": 7,  # Arès
    "33555": 5,  # Marcheprime
    "33498": 8,  # Salles
    "33029": 6,  # Le Barp
    "33042": 5,  # Belin-Béliet
    "33436": 2,  # Saint-Magne
    "33260": 1,  # Lugos
}
# Where people commute from, around the Pays.
AROUND_COMMUNE_WEIGHTS: dict[str, int] = {
    "33063": 6,  # Bordeaux
    "33281": 4,  # Mérignac
    "33318": 4,  # Pessac
    "33122": 4,  # Cestas
    "33422": 3,  # Saint-Jean-d'Illac
    "33214": 2,  # Lacanau
    "33333": 1,  # Le Porge
    "40046": 3,  # Biscarrosse
    "40287": 2,  # Sanguinet
    "40217": 2,  # Parentis-en-Born
}

# ---------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------

OPERATORS: list[dict] = [
    {
        "ref": "ge-bassin-emploi",
        "name": "GE Bassin Emploi",
        "kind": "groupement_employeurs",
        "email": "contact@ge-bassin-emploi.example",
        "epcis": PAYS_EPCI_SIRENS,
        # Accounting, admin, HR; hotels and restaurants; shops; oyster farming and green
        # spaces; building finishing trades; cleaning; logistics.
        "rome_domains": ["M16", "M12", "M15", "G", "D11", "D12", "D15", "A", "F16", "K22", "N11"],
        "levels": ["non_qualifie", "employe_qualifie", "technicien"],
        "contracts": ["cdi_temps_partage", "cdd", "saisonnier"],
        "max_hours_per_week": 35,
    },
    {
        "ref": "cadres-partages-atlantique",
        "name": "Cadres Partagés Atlantique",
        "kind": "cadres_temps_partage",
        "email": "missions@cadres-partages-atlantique.example",
        "epcis": PAYS_EPCI_SIRENS,
        "rome_domains": ["M", "E11", "D14", "H13"],
        "levels": ["technicien", "cadre"],
        "contracts": ["cdi_temps_partage", "cdd"],
        "max_hours_per_week": 28,
    },
]

PARTNERS: list[dict] = [
    {
        "ref": "france-travail-arcachon",
        "name": "France Travail La Teste-de-Buch – Bassin d'Arcachon",
        "kind": "france_travail",
        "email": "entreprises.bassin@francetravail.example",
    },
    {
        "ref": "mission-locale-bassin",
        "name": "Mission Locale du Bassin d'Arcachon et du Val de l'Eyre",
        "kind": "mission_locale",
        "email": "contact@mission-locale-bassin.example",
    },
    {
        "ref": "cap-emploi-gironde",
        "name": "Cap Emploi Gironde",
        "kind": "cap_emploi",
        "email": "bassin@cap-emploi-gironde.example",
    },
    {
        "ref": "interim-ocean-gujan",
        "name": "Océan Intérim Gujan-Mestras",
        "kind": "interim",
        "email": "gujan@ocean-interim.example",
        "epcis": [COBAS, COBAN],
    },
    {
        "ref": "cci-bordeaux-gironde-bassin",
        "name": "CCI Bordeaux Gironde – Délégation Bassin d'Arcachon",
        "kind": "cci",
        "email": "bassin@cci-gironde.example",
    },
]

# ---------------------------------------------------------------------------
# Companies: (name, NAF, commune, employees, sector)
# ---------------------------------------------------------------------------

COMPANIES: list[tuple[str, str, str, int, str]] = [
    ("Le Bistrot du Port", "56.10A", "33009", 6, "restaurant"),
    ("Poissonnerie Marée du Jour", "47.23Z", "33009", 3, "commerce_alimentaire"),
    ("Hôtel Les Mimosas", "55.10Z", "33009", 9, "hotel"),
    ("Le Comptoir du Bassin", "47.29Z", "33009", 2, "commerce"),
    ("Boutique Vent d'Ouest", "47.71Z", "33009", 2, "commerce"),
    ("Dégustation Les Parcs de l'Aiguillon", "03.21Z", "33009", 4, "ostreiculture"),
    ("Camping de la Dune", "55.30Z", "33529", 12, "camping"),
    ("Chantier Naval Bernard", "33.15Z", "33529", 7, "nautisme"),
    ("Nettoyage Pro Bassin", "81.21Z", "33529", 14, "nettoyage"),
    ("Cabane Chez Pierrot", "03.21Z", "33529", 3, "ostreiculture"),
    ("Boulangerie La Mie Testerine", "10.71C", "33529", 5, "boulangerie"),
    ("Garage du Pyla", "45.20A", "33529", 4, "garage"),
    ("Ostréiculture Duprat et Fils", "03.21Z", "33199", 5, "ostreiculture"),
    ("Traiteur Saveurs d'Arguin", "56.21Z", "33199", 6, "restaurant"),
    ("Fleurs L'Atelier de Lou", "47.76Z", "33199", 2, "commerce"),
    ("Menuiserie Alu Bassin Fermetures", "43.32A", "33199", 8, "batiment"),
    ("Les Vins du Bassin", "47.25Z", "33527", 2, "commerce_alimentaire"),
    ("Pâtisserie Les Douceurs du Teich", "10.71D", "33527", 4, "boulangerie"),
    ("Au Fournil d'Andernos", "10.71C", "33005", 7, "boulangerie"),
    ("Océan Immo Andernos", "68.31Z", "33005", 4, "immobilier"),
    ("Brasserie La Jetée", "56.30Z", "33005", 5, "restaurant"),
    ("Ostréiculture La Perle d'Arès", "03.21Z", "33011", 3, "ostreiculture"),
    ("Camping Les Goélands", "55.30Z", "33011", 8, "camping"),
    ("Électricité Générale du Bassin", "43.21A", "33019", 6, "batiment"),
    ("Imprimerie du Delta", "18.12Z", "33019", 5, "imprimerie"),
    ("Boulangerie La Mie Dorée", "10.71C", "33051", 6, "boulangerie"),
    ("Bassin Informatique Services", "62.02A", "33051", 3, "informatique"),
    ("Garage Auto Service Biganos", "45.20A", "33051", 5, "garage"),
    ("Camping Le Bois de Taussat", "55.30Z", "33229", 10, "camping"),
    ("Bassin Services à Domicile", "88.10A", "33229", 13, "aide_domicile"),
    ("Huîtres du Cap – Maison Lafon", "03.21Z", "33236", 4, "ostreiculture"),
    ("Crêperie La Bigoudène", "56.10A", "33236", 4, "restaurant"),
    ("Cap Ride Surf Shop", "47.64Z", "33236", 3, "commerce"),
    ("Plomberie Chauffage Martin", "43.22A", "33284", 4, "batiment"),
    ("Paysages du Bassin", "81.30Z", "33284", 6, "espaces_verts"),
    ("Le Relais de Mios", "55.10Z", "33284", 8, "hotel"),
    ("Transports Lacoste", "49.41A", "33555", 9, "transport"),
    ("Auto-école du Val", "85.53Z", "33555", 3, "services"),
    ("Maçonnerie Ferreira", "43.99C", "33498", 7, "batiment"),
    ("Charpente Laborde", "43.91B", "33498", 5, "batiment"),
    ("Bar-Tabac Le Central", "56.30Z", "33498", 3, "restaurant"),
    ("Peinture et Déco du Val de l'Eyre", "43.34Z", "33029", 4, "batiment"),
    ("Pharmacie des Pins", "47.73Z", "33029", 8, "pharmacie"),
    ("Brasserie Artisanale de l'Eyre", "11.05Z", "33042", 3, "brasserie"),
    ("Menuiserie Lescarret", "16.23Z", "33042", 6, "batiment"),
    ("Scierie du Val de l'Eyre", "16.10A", "33436", 11, "scierie"),
    ("Centre Équestre des Landes de Lugos", "93.19Z", "33260", 3, "equestre"),
]
# Companies that asked not to be prospected any more (the visits say so).
DO_NOT_SOLICIT = {"Garage du Pyla", "Bar-Tabac Le Central"}

# ---------------------------------------------------------------------------
# Needs: templates by sector, then needs any TPE has (accounting, HR, admin...)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedTemplate:
    titles: tuple[str, ...]
    rome: str | None
    skills: tuple[str, ...]
    levels: tuple[str, ...]
    hours: tuple[float, ...]
    contracts: tuple[str, ...]
    reasons: tuple[str, ...]
    days: tuple[str, ...] = tuple(WEEKDAYS)
    durations: tuple[float | None, ...] = (None,)
    # Seasonal work starts in its season (6: June, 12: December); None: soon after today.
    start_month: int | None = None


def _t(
    titles,
    rome,
    skills,
    levels,
    hours,
    contracts,
    reasons,
    days=None,
    durations=(None,),
    start_month=None,
):
    return NeedTemplate(
        tuple(titles),
        rome,
        tuple(skills),
        tuple(levels),
        tuple(hours),
        tuple(contracts),
        tuple(reasons),
        tuple(days or WEEKDAYS),
        tuple(durations),
        start_month,
    )


SUMMER = (2, 3, 4)
WEEK_AND_WEEKEND = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# fmt: off
SECTOR_NEEDS: dict[str, list[NeedTemplate]] = {
    "restaurant": [
        _t(["Renfort saison été plonge", "Plongeur pour juillet-août", "Plonge le soir en saison"],
           "G1605", ["plonge", "entretien de la cuisine", "respect des normes HACCP"],
           ["non_qualifie"], [20, 24, 28], ["saisonnier"], ["pic_activite"], WEEK_AND_WEEKEND, SUMMER, 6),
        _t(["Commis de cuisine les week-ends", "Aide cuisine vendredi samedi dimanche"],
           "G1602", ["mise en place", "cuisine traditionnelle", "HACCP"],
           ["non_qualifie", "employe_qualifie"], [16, 20], ["cdd", "saisonnier"], ["pic_activite", "qualification_candidats"], ["fri", "sat", "sun"], (3, 6)),
        _t(["Serveur / serveuse saison", "Extra service en salle midi"],
           "G1803", ["service en salle", "prise de commande", "anglais"],
           ["employe_qualifie"], [15, 20, 25], ["saisonnier", "cdd"], ["pic_activite"], WEEK_AND_WEEKEND, SUMMER, 6),
        _t(["Cuisinier temps plein à l'année"],
           "G1602", ["cuisine traditionnelle", "produits de la mer", "gestion des commandes"],
           ["employe_qualifie", "technicien"], [35, 39], ["cdi"], ["qualification_candidats"]),
    ],
    "hotel": [
        _t(["Réceptionniste de nuit 2 nuits par semaine", "Night audit week-end"],
           "G1703", ["night audit", "accueil clientèle", "anglais courant", "logiciel hôtelier"],
           ["employe_qualifie"], [20, 24], ["cdi_temps_partage", "cdd"], ["temps_partiel", "qualification_candidats"], ["fri", "sat", "sun"]),
        _t(["Femme / valet de chambre pour la saison", "Ménage des chambres matin"],
           "G1501", ["entretien des chambres", "lingerie", "rigueur"],
           ["non_qualifie"], [18, 25, 30], ["saisonnier"], ["pic_activite"], WEEK_AND_WEEKEND, SUMMER, 6),
    ],
    "camping": [
        _t(["Accueil camping juillet-août", "Réception et réservations saison"],
           "G1703", ["accueil clientèle", "anglais", "logiciel de réservation", "encaissement"],
           ["employe_qualifie"], [25, 30], ["saisonnier"], ["pic_activite"], WEEK_AND_WEEKEND, SUMMER, 6),
        _t(["Animateur / animatrice club enfants", "Animations soirées camping"],
           "G1202", ["BAFA", "animation enfants", "organisation de soirées"],
           ["non_qualifie", "employe_qualifie"], [20, 28], ["saisonnier"], ["pic_activite"], WEEK_AND_WEEKEND, (2, 3), 7),
        _t(["Entretien des espaces verts du camping", "Jardinier 2 jours par semaine"],
           "A1203", ["tonte", "taille de haies", "débroussailleuse", "arrosage"],
           ["non_qualifie", "employe_qualifie"], [14, 16], ["cdi_temps_partage", "saisonnier"], ["temps_partiel"]),
        _t(["Ménage des mobil-homes le samedi"],
           "K2204", ["ménage", "nettoyage", "rapidité"],
           ["non_qualifie"], [8, 10], ["saisonnier"], ["pic_activite"], ["sat", "sun"], (3, 4), 6),
    ],
    "ostreiculture": [
        _t(["Ouvrier ostréicole pour les marées", "Aide sur les parcs à huîtres"],
           "A1404", ["travail sur les parcs", "détroquage", "permis bateau", "tri et calibrage"],
           ["non_qualifie", "employe_qualifie"], [20, 25, 30], ["cdi_temps_partage", "cdd"], ["qualification_candidats", "temps_partiel"], WEEK_AND_WEEKEND),
        _t(["Renfort fêtes de fin d'année (tri, bourriches)", "Coup de main pour Noël au chantier"],
           "A1404", ["tri et calibrage", "conditionnement", "bourriches"],
           ["non_qualifie"], [25, 30], ["saisonnier", "mission"], ["pic_activite"], WEEK_AND_WEEKEND, (1,), 12),
        _t(["Vente à la cabane le week-end", "Service dégustation huîtres"],
           "D1106", ["vente", "ouverture des huîtres", "encaissement"],
           ["non_qualifie", "employe_qualifie"], [12, 16], ["saisonnier", "cdd"], ["pic_activite"], ["fri", "sat", "sun"], SUMMER, 6),
    ],
    "boulangerie": [
        _t(["Vendeuse boulangerie le week-end", "Vente en boutique samedi dimanche"],
           "D1106", ["vente", "encaissement", "conseil client"],
           ["non_qualifie", "employe_qualifie"], [12, 15], ["cdi_temps_partage", "cdd"], ["temps_partiel"], ["sat", "sun"]),
        _t(["Boulanger 2 nuits par semaine", "Ouvrier boulanger pour remplacer le tour"],
           "D1102", ["panification", "façonnage", "viennoiserie", "CAP boulanger"],
           ["employe_qualifie"], [14, 16], ["cdi_temps_partage", "cdd"], ["remplacement", "qualification_candidats"]),
        _t(["Pâtissier renfort fêtes"],
           "D1104", ["pâtisserie", "entremets", "CAP pâtissier"],
           ["employe_qualifie"], [20, 28], ["cdd", "saisonnier"], ["pic_activite"], WEEK_AND_WEEKEND, (1, 2), 12),
    ],
    "commerce": [
        _t(["Vendeur / vendeuse saison", "Renfort boutique été"],
           "D1214", ["vente", "conseil client", "merchandising", "anglais"],
           ["non_qualifie", "employe_qualifie"], [15, 20, 24], ["saisonnier", "cdd"], ["pic_activite"], WEEK_AND_WEEKEND, SUMMER, 6),
        _t(["Quelqu'un pour la caisse le samedi", "Caisse et mise en rayon"],
           "D1505", ["encaissement", "caisse", "mise en rayon"],
           ["non_qualifie"], [7, 8], ["cdi_temps_partage", "cdd"], ["temps_partiel"], ["sat"]),
    ],
    "commerce_alimentaire": [
        _t(["Vendeur en poissonnerie matin", "Caviste pour la saison"],
           "D1106", ["vente", "conseil client", "produits frais"],
           ["employe_qualifie"], [15, 20], ["cdd", "saisonnier"], ["pic_activite"], WEEK_AND_WEEKEND, SUMMER, 6),
    ],
    "batiment": [
        _t(["Secrétariat devis / factures 2 jours", "Aide administrative pour les devis"],
           "M1607", ["devis et factures", "accueil téléphonique", "Pack Office", "relances clients"],
           ["employe_qualifie"], [14, 16], ["cdi_temps_partage"], ["temps_partiel"]),
        _t(["Plombier chauffagiste 3 jours par semaine", "Dépannage chauffage / PAC"],
           "F1603", ["plomberie", "chauffage", "pompe à chaleur", "soudure cuivre"],
           ["employe_qualifie", "technicien"], [21, 24], ["cdi_temps_partage", "cdd"], ["qualification_candidats"]),
        _t(["Électricien confirmé", "Électricien bâtiment habilité"],
           "F1602", ["habilitation électrique", "tableaux électriques", "rénovation"],
           ["employe_qualifie", "technicien"], [28, 35], ["cdi_temps_partage", "cdi"], ["qualification_candidats"]),
        _t(["Manœuvre / aide maçon", "Aide maçon pour les chantiers"],
           "F1703", ["maçonnerie", "coffrage", "port de charges"],
           ["non_qualifie"], [35, 39], ["cdd", "mission"], ["pic_activite"], durations=(1, 3)),
        _t(["Poseur menuiseries alu et PVC", "Poseur de fenêtres et volets"],
           "F1607", ["pose de menuiseries", "volets roulants", "lecture de plans"],
           ["employe_qualifie"], [24, 28], ["cdi_temps_partage", "cdd"], ["qualification_candidats"]),
        _t(["Peintre en bâtiment pour la saison des chantiers"],
           "F1606", ["peinture", "enduits", "ravalement"],
           ["employe_qualifie"], [21, 28], ["cdd"], ["pic_activite"], durations=(3, 4)),
    ],
    "garage": [
        _t(["Mécanicien auto 3 jours", "Mécano pour l'entretien courant"],
           "I1604", ["mécanique automobile", "diagnostic", "vidange", "distribution"],
           ["employe_qualifie"], [21, 24], ["cdi_temps_partage"], ["qualification_candidats"]),
    ],
    "nautisme": [
        _t(["Mécanicien moteurs hors-bord", "Entretien des bateaux avant la saison"],
           None, ["mécanique marine", "moteurs hors-bord", "Yamaha", "Mercury"],
           ["employe_qualifie", "technicien"], [24, 28], ["cdd", "saisonnier"], ["pic_activite", "qualification_candidats"], durations=(3, 5), start_month=3),
        _t(["Stratifieur polyester"],
           "H3203", ["stratification", "résine polyester", "réparation de coques"],
           ["employe_qualifie"], [35], ["cdd"], ["qualification_candidats"], durations=(6,)),
    ],
    "nettoyage": [
        _t(["Agent de propreté le soir", "Nettoyage bureaux 6h-9h"],
           "K2204", ["nettoyage de locaux", "autolaveuse", "produits d'entretien"],
           ["non_qualifie"], [10, 15, 20], ["cdi_temps_partage", "cdi"], ["temps_partiel"]),
    ],
    "espaces_verts": [
        _t(["Jardinier paysagiste", "Ouvrier paysagiste 3 jours"],
           "A1203", ["taille de haies", "tonte", "CAPA travaux paysagers", "débroussaillage"],
           ["non_qualifie", "employe_qualifie"], [21, 28], ["cdi_temps_partage", "saisonnier"], ["pic_activite", "temps_partiel"]),
    ],
    "aide_domicile": [
        _t(["Auxiliaire de vie le week-end", "Aide à domicile personnes âgées"],
           "K1302", ["aide à domicile", "aide aux repas", "accompagnement des personnes âgées"],
           ["employe_qualifie"], [15, 20, 24], ["cdi", "cdi_temps_partage"], ["qualification_candidats", "remplacement"], WEEK_AND_WEEKEND),
    ],
    "transport": [
        _t(["Chauffeur livreur tournées", "Chauffeur PL tournées régionales"],
           "N4105", ["permis C", "FIMO", "livraison", "tournées"],
           ["employe_qualifie"], [35, 39], ["cdi", "cdd"], ["qualification_candidats"]),
        _t(["Magasinier / préparateur de commandes 2 jours"],
           "N1103", ["préparation de commandes", "CACES", "gestion de stock"],
           ["non_qualifie", "employe_qualifie"], [14, 16], ["cdi_temps_partage", "cdd"], ["temps_partiel"]),
    ],
    "immobilier": [
        _t(["Assistant(e) gestion locative saisonnière", "Gestion des locations de vacances"],
           None, ["gestion locative", "états des lieux", "accueil des vacanciers"],
           ["employe_qualifie"], [20, 24], ["saisonnier", "cdd"], ["pic_activite"], WEEK_AND_WEEKEND, SUMMER, 6),
    ],
    "imprimerie": [
        _t(["Infographiste PAO à mi-temps", "Graphiste pour la PAO"],
           "E1205", ["PAO", "InDesign", "Illustrator", "préparation de fichiers"],
           ["employe_qualifie", "technicien"], [17.5, 20], ["cdi_temps_partage"], ["temps_partiel"]),
    ],
    "informatique": [
        _t(["Technicien support / hotline", "Technicien informatique itinérant"],
           "I1401", ["maintenance informatique", "réseaux", "Windows", "support utilisateurs"],
           ["technicien"], [21, 28], ["cdi_temps_partage", "cdd"], ["pic_activite", "qualification_candidats"]),
    ],
    "services": [
        _t(["Secrétaire auto-école mi-temps", "Accueil et inscriptions"],
           "M1607", ["accueil", "planning", "dossiers ANTS", "encaissement"],
           ["employe_qualifie"], [17.5, 20], ["cdi_temps_partage", "cdi"], ["temps_partiel"]),
    ],
    "pharmacie": [
        _t(["Préparateur en pharmacie le samedi"],
           "J1307", ["BP préparateur en pharmacie", "tiers payant", "conseil"],
           ["technicien"], [8, 10], ["cdi_temps_partage", "cdd"], ["temps_partiel"], ["sat"]),
    ],
    "brasserie": [
        _t(["Aide brasseur", "Coup de main brassage et embouteillage"],
           None, ["brassage", "embouteillage", "nettoyage des cuves"],
           ["non_qualifie"], [14, 16], ["cdd", "cdi_temps_partage"], ["pic_activite"]),
        _t(["Commercial CHR quelques jours par mois", "Développer les ventes auprès des bars"],
           "D1402", ["prospection", "négociation", "réseau CHR"],
           ["technicien"], [7, 14], ["cdi_temps_partage"], ["nouvelle_fonction"]),
    ],
    "scierie": [
        _t(["Cariste / conducteur de ligne", "Cariste CACES 3"],
           "N1101", ["CACES 3", "conduite de chariot", "tri des bois"],
           ["employe_qualifie"], [35], ["cdi"], ["qualification_candidats"]),
    ],
    "equestre": [
        _t(["Palefrenier / soigneur", "Aide pour les soins des chevaux"],
           "A1501", ["soins aux chevaux", "curage des box", "alimentation"],
           ["non_qualifie"], [15, 20], ["cdd", "cdi_temps_partage"], ["temps_partiel", "pic_activite"], WEEK_AND_WEEKEND),
    ],
}

TRANSVERSE_NEEDS: list[NeedTemplate] = [
    _t(["Comptabilité 1 jour par semaine", "Compta une journée par semaine", "Saisie comptable"],
       "M1203", ["saisie comptable", "rapprochement bancaire", "déclarations de TVA"],
       ["employe_qualifie", "technicien"], [7, 8], ["cdi_temps_partage"], ["temps_partiel"]),
    _t(["Aide comptable mi-temps", "Quelqu'un pour la compta et les factures"],
       "M1203", ["comptabilité générale", "facturation", "relances clients", "EBP"],
       ["employe_qualifie"], [14, 17.5], ["cdi_temps_partage", "cdd"], ["temps_partiel"]),
    _t(["RH partagé", "Responsable RH 1 jour par semaine", "Quelqu'un pour la paie et les contrats"],
       "M1503", ["gestion de la paie", "contrats de travail", "entretiens annuels", "droit du travail"],
       ["technicien", "cadre"], [7, 8], ["cdi_temps_partage"], ["nouvelle_fonction", "temps_partiel"]),
    _t(["Recrutement des saisonniers", "Aide pour recruter et organiser les plannings"],
       "M1501", ["recrutement", "plannings", "DPAE", "gestion administrative du personnel"],
       ["employe_qualifie", "technicien"], [7, 10], ["cdd", "cdi_temps_partage"], ["pic_activite"], durations=(3, 4)),
    _t(["Responsable administratif et financier 2 jours par semaine", "DAF à temps partagé"],
       "M1205", ["contrôle de gestion", "trésorerie", "tableaux de bord", "relation banques"],
       ["cadre"], [14, 16], ["cdi_temps_partage"], ["nouvelle_fonction"]),
    _t(["Secrétariat / accueil le matin", "Secrétaire 3 matinées"],
       "M1607", ["accueil téléphonique", "Pack Office", "courrier", "agenda"],
       ["employe_qualifie"], [10, 12], ["cdi_temps_partage", "cdd"], ["temps_partiel"]),
    _t(["Community manager quelques heures", "Gérer Instagram et Facebook"],
       "E1103", ["réseaux sociaux", "Canva", "Instagram", "photo"],
       ["employe_qualifie", "technicien"], [4, 6], ["cdi_temps_partage", "cdd"], ["nouvelle_fonction"]),
    _t(["Commercial terrain à temps partagé", "Développement commercial 1 jour par semaine"],
       "D1402", ["prospection", "négociation", "CRM", "fidélisation"],
       ["technicien", "cadre"], [7, 14], ["cdi_temps_partage"], ["nouvelle_fonction"]),
    _t(["Mise en place HACCP et plan de maîtrise sanitaire", "Quelqu'un pour l'hygiène"],
       None, ["HACCP", "plan de maîtrise sanitaire", "traçabilité"],
       ["technicien"], [4, 7], ["cdd", "mission"], ["nouvelle_fonction"], durations=(1, 2)),
    _t(["Aide pour les papiers, devis et factures", "Un coup de main administratif"],
       None, ["devis", "factures", "classement", "relances"],
       ["employe_qualifie"], [4, 7], ["cdi_temps_partage", "cdd"], ["temps_partiel"]),
    _t(["Site internet et boutique en ligne", "Refaire le site et la boutique WooCommerce"],
       "E1101", ["WordPress", "WooCommerce", "référencement", "photos produits"],
       ["technicien"], [7], ["cdd", "cdi_temps_partage"], ["nouvelle_fonction"], durations=(2, 3)),
]
# fmt: on

# ---------------------------------------------------------------------------
# Candidates
# ---------------------------------------------------------------------------

FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Laura", "Julie", "Pauline",
    "Marion", "Céline", "Sandrine", "Nathalie", "Isabelle", "Sophie", "Aurélie", "Élodie",
    "Amandine", "Mélanie", "Coralie", "Audrey", "Yasmine", "Fatou", "Nadia", "Océane",
    "Maëlys", "Lucie", "Claire", "Anaïs", "Lucas", "Hugo", "Thomas", "Nicolas", "Julien",
    "Maxime", "Antoine", "Kevin", "Romain", "Florian", "Alexandre", "Sébastien", "Mathieu",
    "Jérôme", "Christophe", "Stéphane", "Laurent", "Franck", "Thierry", "Patrick", "Mehdi",
    "Karim", "Yanis", "Enzo", "Théo", "Baptiste", "Quentin", "Jordan", "Dylan", "Mamadou",
    "Joao", "Pierre", "Jean-Marc", "Dominique", "Pascal", "Gaëlle", "Véronique", "Jessica",
]  # fmt: skip
LAST_NAMES = [
    "Dupuy", "Lafon", "Duprat", "Labat", "Lalanne", "Dubos", "Castaing", "Darriet",
    "Lesbats", "Dulucq", "Lacoste", "Dupouy", "Cazenave", "Lafitte", "Larrieu", "Baillet",
    "Martin", "Bernard", "Petit", "Moreau", "Laurent", "Simon", "Michel", "Lefebvre",
    "Garcia", "Fernandes", "Da Silva", "Pereira", "Rodrigues", "Lopez", "Martinez",
    "Nguyen", "Benali", "Haddad", "Diallo", "Traoré", "Mendy", "Roux", "Fournier",
    "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller",
    "Lemaire", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Chevalier",
    "Robin", "Masson", "Sanchez", "Gauthier", "Perrin", "Morel", "Mathieu", "Clément",
    "Brunet", "Barbier", "Arnaud", "Giraud", "Roche", "Renard", "Schmitt", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Dumas", "Lacroix", "Marchand", "Lucas",
]  # fmt: skip
SOURCES = [
    ("forum", 30),
    ("job dating", 20),
    ("permanence", 20),
    ("réseaux sociaux", 15),
    ("bouche-à-oreille", 8),
    ("orientation France Travail", 7),
]


@dataclass(frozen=True)
class Profile:
    """A kind of job seeker, with the words such people use for what they can do."""

    rome: tuple[str, ...]
    skills: tuple[str, ...]
    levels: tuple[str, ...]
    hours_max: tuple[float, ...]
    contracts: tuple[str, ...]
    days: tuple[str, ...] = tuple(WEEKDAYS)
    weight: int = 4


def _p(rome, skills, levels, hours_max, contracts, days=None, weight=4):
    return Profile(
        tuple(rome),
        tuple(skills),
        tuple(levels),
        tuple(hours_max),
        tuple(contracts),
        tuple(days or WEEKDAYS),
        weight,
    )


# fmt: off
PROFILES: list[Profile] = [
    _p(["M1203"], ["saisie compta", "compta generale", "Sage 100", "EBP", "rapprochements bancaires", "TVA", "bilan", "Cegid", "comptabilité fournisseurs", "Excel (TCD)", "BTS CG"],
       ["employe_qualifie", "technicien"], [14, 21, 24, 28], ["cdi_temps_partage", "cdi", "cdd"], weight=8),
    _p(["M1501", "M1503"], ["paie Silae", "gestion admin du personnel", "DPAE", "recrutement", "GPEC", "RRH", "droit du travail", "onboarding", "People & culture", "HRBP"],
       ["technicien", "cadre"], [14, 21, 28], ["cdi_temps_partage", "cdi"], weight=5),
    _p(["M1205", "M1203"], ["DAF temps partagé", "controle de gestion", "tresorerie", "budget previsionnel", "tableaux de bord", "consolidation", "ex-expert comptable"],
       ["cadre"], [14, 21, 28], ["cdi_temps_partage", "cdd"], weight=3),
    _p(["G1602", "G1605"], ["commis", "cuisine tradi", "plonge", "HACCP", "mise en place", "cuisine de collectivité", "CAP cuisine", "poisson / fruits de mer", "cuisson", "second de cuisine"],
       ["non_qualifie", "employe_qualifie"], [20, 25, 30, 35, 39], ["saisonnier", "cdd", "cdi"], WEEK_AND_WEEKEND, weight=9),
    _p(["G1803", "G1801"], ["service en salle", "serveur", "limonade", "bar", "anglais courant", "encaissement", "port de plateau", "barista", "cocktails", "serveuse extra"],
       ["non_qualifie", "employe_qualifie"], [15, 20, 25, 35], ["saisonnier", "cdd", "mission"], WEEK_AND_WEEKEND, weight=8),
    _p(["G1703"], ["accueil clients", "anglais", "espagnol", "logiciel de réservation", "night audit", "Opera PMS", "front office", "réception hotel", "standard"],
       ["employe_qualifie"], [20, 25, 30], ["saisonnier", "cdd", "cdi_temps_partage"], WEEK_AND_WEEKEND, weight=5),
    _p(["G1501", "K2204"], ["femme de chambre", "menage", "entretien des chambres", "lingerie", "nettoyage", "autolaveuse", "bionettoyage", "vitrerie"],
       ["non_qualifie"], [10, 15, 20, 25, 30], ["saisonnier", "cdd", "cdi_temps_partage", "cdi"], WEEK_AND_WEEKEND, weight=8),
    _p(["A1404"], ["ostreiculture", "détroquage", "permis bateau", "conduite de chaland", "tri et calibrage", "BPA cultures marines", "travail en marée", "ouverture huitres"],
       ["non_qualifie", "employe_qualifie"], [20, 25, 30, 35], ["cdi_temps_partage", "cdd", "saisonnier"], WEEK_AND_WEEKEND, weight=6),
    _p(["D1106", "D1214", "D1505"], ["vente", "encaissement", "merchandising", "conseil client", "caisse", "mise en rayon", "vitrine", "vendeuse pret a porter", "vente boulangerie"],
       ["non_qualifie", "employe_qualifie"], [10, 15, 20, 24, 30], ["saisonnier", "cdd", "cdi_temps_partage"], WEEK_AND_WEEKEND, weight=9),
    _p(["D1102", "D1104"], ["CAP boulanger", "viennoiserie", "façonnage", "travail de nuit", "pétrin", "CAP patissier", "entremets", "tour"],
       ["employe_qualifie"], [15, 20, 35], ["cdi_temps_partage", "cdd", "cdi"], WEEK_AND_WEEKEND, weight=4),
    _p(["F1603"], ["plomberie", "chauffage", "PAC", "clim", "soudure cuivre", "depannage", "sanitaire"],
       ["employe_qualifie", "technicien"], [24, 28, 35], ["cdi_temps_partage", "cdi", "cdd"], weight=3),
    _p(["F1602"], ["habilitation électrique B1V BR", "tableaux électriques", "domotique", "courant faible", "electricite batiment"],
       ["employe_qualifie", "technicien"], [28, 35], ["cdi_temps_partage", "cdi"], weight=3),
    _p(["F1703", "F1606"], ["maconnerie", "coffrage", "carrelage", "parpaings", "placo", "peinture", "enduit", "manoeuvre"],
       ["non_qualifie", "employe_qualifie"], [35, 39], ["cdd", "mission", "cdi"], weight=4),
    _p(["F1607", "H2206"], ["pose menuiseries", "menuiserie alu", "volets roulants", "agencement", "CAP menuisier"],
       ["employe_qualifie"], [24, 28, 35], ["cdi_temps_partage", "cdd"], weight=2),
    _p(["M1607", "M1602"], ["accueil physique et tel", "Pack Office", "Word Excel", "devis factures", "standard", "agenda", "courrier", "secretariat", "saisie", "classement"],
       ["employe_qualifie"], [10, 15, 20, 24, 28], ["cdi_temps_partage", "cdi", "cdd"], weight=8),
    _p(["E1103", "E1101"], ["community management", "Canva", "Insta / Facebook", "Wordpress", "rédaction web", "photo", "SEO", "woocommerce", "TikTok"],
       ["employe_qualifie", "technicien"], [10, 14, 20], ["cdi_temps_partage", "cdd", "mission"], weight=4),
    _p(["I1401"], ["maintenance PC", "reseau", "Windows 11", "sauvegarde NAS", "helpdesk", "office 365", "depannage informatique"],
       ["technicien"], [20, 28, 35], ["cdi_temps_partage", "cdd", "cdi"], weight=3),
    _p(["A1203"], ["taille de haies", "tonte", "débroussailleuse", "CAPA travaux paysagers", "élagage", "arrosage automatique", "entretien espaces verts"],
       ["non_qualifie", "employe_qualifie"], [14, 21, 28, 35], ["cdi_temps_partage", "saisonnier", "cdd"], weight=5),
    _p(["K1302"], ["aide a domicile", "DEAVS", "aide aux repas", "accompagnement personnes agees", "ADVF", "toilette"],
       ["employe_qualifie"], [15, 20, 24, 28], ["cdi", "cdi_temps_partage", "cdd"], WEEK_AND_WEEKEND, weight=4),
    _p(["G1202"], ["BAFA", "animation enfants", "club enfants", "soirées", "sport", "BPJEPS"],
       ["non_qualifie", "employe_qualifie"], [20, 28, 35], ["saisonnier", "cdd"], WEEK_AND_WEEKEND, weight=3),
    _p(["N4105", "N1103"], ["permis C", "FIMO", "livraison", "permis B", "tournées", "CACES 1 3 5", "préparation de commandes", "gestion de stock", "cariste"],
       ["non_qualifie", "employe_qualifie"], [20, 35, 39], ["cdi", "cdd", "mission", "cdi_temps_partage"], weight=5),
    _p(["D1402", "D1401"], ["prospection", "développement commercial", "négociation", "CRM", "B to B", "grands comptes", "commercial terrain"],
       ["technicien", "cadre"], [14, 21, 28], ["cdi_temps_partage", "cdi"], weight=3),
    _p(["I1604"], ["mécanique auto", "diagnostic", "vidange", "distribution", "CQP", "pneus"],
       ["employe_qualifie"], [24, 35], ["cdi_temps_partage", "cdi"], weight=2),
    _p([], ["mecanique marine", "moteurs hors bord", "Yamaha", "entretien bateaux", "permis cotier", "stratification"],
       ["employe_qualifie", "technicien"], [24, 28, 35], ["cdd", "saisonnier"], weight=2),
    _p([], ["HACCP", "démarche qualité", "DUERP", "ISO 9001", "hygiene alimentaire"],
       ["technicien"], [7, 14, 21], ["cdd", "mission", "cdi_temps_partage"], weight=2),
    _p(["E1205"], ["PAO", "InDesign", "Illustrator", "graphisme", "suite Adobe"],
       ["employe_qualifie", "technicien"], [17.5, 20, 28], ["cdi_temps_partage", "cdd"], weight=2),
    _p([], ["gestion locative", "état des lieux", "baux", "logiciel ICS", "location saisonnière"],
       ["employe_qualifie"], [20, 24, 28], ["saisonnier", "cdd", "cdi_temps_partage"], WEEK_AND_WEEKEND, weight=2),
    _p(["J1307"], ["préparateur en pharmacie", "BP préparateur", "tiers payant", "conseil officine"],
       ["technicien"], [8, 15, 24], ["cdi_temps_partage", "cdd"], WEEK_AND_WEEKEND, weight=1),
    _p(["A1501"], ["soins aux chevaux", "palefrenier", "galop 7", "curage des box"],
       ["non_qualifie"], [15, 20, 28], ["cdd", "cdi_temps_partage", "saisonnier"], WEEK_AND_WEEKEND, weight=1),
]
# fmt: on
CANDIDATE_STATUS_WEIGHTS = [("disponible", 80), ("en_mission", 10), ("place", 6), ("inactif", 4)]

# ---------------------------------------------------------------------------
# Visits (not in the interchange format: stored directly)
# ---------------------------------------------------------------------------

VISIT_CHANNEL_WEIGHTS = [
    ("porte_a_porte", 35),
    ("telephone", 30),
    ("rendez_vous", 15),
    ("information_collective", 8),
    ("salon_forum", 7),
    ("orientation_partenaire", 5),
]
VISIT_NOTES: dict[str, list[str]] = {
    "besoin_detecte": [
        "Le gérant cherche depuis des mois, sans succès : « {need} ».",
        "Besoin exprimé spontanément : « {need} ». Intéressée par le temps partagé.",
        "La patronne voudrait régler « {need} » avant la saison, à voir avec le GE.",
    ],
    "a_relancer": [
        "Pas le temps aujourd'hui, rappeler après la saison.",
        "Intéressé par le temps partagé mais veut en parler à son associé.",
        "Demande une documentation sur les groupements d'employeurs.",
    ],
    "information_donnee": [
        "Présentation de Connect'ences et des aides à l'embauche, pas de besoin pour l'instant.",
        "Information sur le plan de relance et l'apprentissage.",
        "A déjà un salarié partagé avec un voisin, satisfait.",
    ],
    "pas_interesse": [
        "Ne souhaite pas embaucher, activité en baisse.",
        "Préfère passer par l'intérim.",
    ],
    "absent": [
        "Fermé le jour du passage, carte laissée.",
        "Responsable absent, rappeler le matin.",
    ],
    "ne_plus_solliciter": [
        "Demande à ne plus être sollicité par le dispositif.",
    ],
}

# ---------------------------------------------------------------------------
# The people to call in each company, and where it is
# ---------------------------------------------------------------------------

# First names and roles in pairs of the same gender, so that "Sylvie, gérante" agrees.
CONTACT_PEOPLE: dict[str, tuple[list[str], list[str]]] = {
    "f": (
        ["Sylvie", "Nathalie", "Isabelle", "Sandrine", "Céline", "Véronique", "Sophie",
         "Aurélie", "Gaëlle", "Marion", "Christelle", "Karine"],
        ["Gérante", "Co-gérante", "Responsable administrative", "Directrice"],
    ),
    "m": (
        ["Laurent", "Thierry", "Patrick", "Stéphane", "Christophe", "Franck", "Pascal",
         "Jérôme", "Sébastien", "Julien", "Olivier", "Philippe"],
        ["Gérant", "Co-gérant", "Responsable administratif", "Directeur"],
    ),
}  # fmt: skip
STREETS = [
    "rue du Port", "avenue de la Plage", "rue des Écoles", "place du Marché",
    "route de Bordeaux", "allée des Pins", "boulevard de la Côte d'Argent",
    "rue Jules Ferry", "avenue de la Libération", "chemin des Ostréiculteurs",
]  # fmt: skip

# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------

DEMO_COMPANY_OWNER = "Au Fournil d'Andernos"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    full_name: str
    org_ref: str | None = None


# ---------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens, for refs and email local parts."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_text.lower()).split()
    return "-".join(words)


def strip_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def demo_siret(rng: random.Random, taken: set[str]) -> str:
    """A SIRET with valid Luhn keys on both the SIREN and the full number, not in `taken`."""
    while True:
        body = str(rng.choice((8, 9))) + "".join(str(rng.randrange(10)) for _ in range(7))
        siren = body + luhn.calc_check_digit(body)
        head = siren + "0001"
        siret = head + luhn.calc_check_digit(head)
        if siret not in taken:
            taken.add(siret)
            return siret


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _ordered_days(days) -> list[str]:
    return [day for day in ALL_DAYS if day in set(days)]


def _company_ref(name: str) -> str:
    return DEMO_PREFIX + "ent-" + slug(name)


def _build_need(
    rng: random.Random, ref: str, company: dict, template: NeedTemplate, today: date
) -> dict:
    hours = rng.choice(template.hours)
    # About seven hours a working day; a need never has more days than its template allows.
    n_days = max(1, min(len(template.days), math.ceil(hours / 7.5)))
    days = _ordered_days(rng.sample(template.days, n_days))
    contract = rng.choice(template.contracts)
    need = {
        "ref": ref,
        "company": company["ref"],
        "title": rng.choice(template.titles),
        "skills": rng.sample(template.skills, k=rng.randint(2, len(template.skills))),
        "level": rng.choice(template.levels),
        "hours_per_week": hours,
        "days": days,
        "contract": contract,
        "reason": rng.choice(template.reasons),
        "start": _start(rng, template, today).isoformat(),
    }
    if template.rome:
        need["rome"] = template.rome
    duration = rng.choice(template.durations)
    if contract in {"saisonnier", "cdd", "mission"} and duration is None:
        duration = 6 if contract != "mission" else 1
    if contract in {"cdi", "cdi_temps_partage"}:
        duration = None
    if duration is not None:
        need["duration_months"] = duration
    return need


def _start(rng: random.Random, template: NeedTemplate, today: date) -> date:
    if template.start_month is None:
        return today + timedelta(days=rng.randint(10, 120))
    start = date(today.year, template.start_month, rng.randint(1, 15))
    if start < today + timedelta(days=10):
        start = start.replace(year=today.year + 1)
    return start


def _messy(rng: random.Random, skill: str) -> str:
    """A skill as people type it: sometimes without accents, in capitals, or with a typo."""
    roll = rng.random()
    if roll < 0.15:
        return strip_accents(skill)
    if roll < 0.22:
        return skill.lower()
    if roll < 0.27 and len(skill) > 6:
        i = rng.randrange(1, len(skill) - 2)
        return skill[:i] + skill[i + 1] + skill[i] + skill[i + 2 :]  # swapped letters
    if roll < 0.30:
        return skill.upper()
    return skill


def _build_candidate(rng: random.Random, index: int, used_emails: set[str], today: date) -> dict:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    local = f"{slug(first).replace('-', '')}.{slug(last).replace('-', '')}"
    email = f"{local}@exemple.fr"
    n = 2
    while email in used_emails:
        email = f"{local}{n}@exemple.fr"
        n += 1
    used_emails.add(email)

    profile = rng.choices(PROFILES, weights=[p.weight for p in PROFILES], k=1)[0]
    around = rng.random() < 0.22
    pool = AROUND_COMMUNE_WEIGHTS if around else PAYS_COMMUNE_WEIGHTS
    commune = _weighted(rng, pool.items())
    mobility = rng.choice([30, 40, 50, 60]) if around else rng.choice([5, 10, 15, 20, 25, 30, 40])

    hours_max = rng.choice(profile.hours_max)
    hours_min = max(1, min(hours_max, rng.choice([4, 7, 10, 14, 20, 24])))
    if hours_min > hours_max * 0.8:
        hours_min = round(hours_max / 2)
    n_days = min(len(profile.days), max(2, math.ceil(hours_max / 7)) + rng.randint(0, 1))
    days = _ordered_days(rng.sample(profile.days, n_days))
    contracts = sorted(
        rng.sample(profile.contracts, k=rng.randint(1, len(profile.contracts))),
        key=list(vocab.CONTRACTS).index,
    )
    skills = [
        _messy(rng, s)
        for s in rng.sample(profile.skills, k=rng.randint(2, min(5, len(profile.skills))))
    ]
    candidate = {
        "ref": f"{DEMO_PREFIX}cv-{index:03d}",
        "first_name": first,
        "last_name": last,
        "email": email,
        "commune": commune,
        "mobility_km": mobility,
        "skills": skills,
        "level": rng.choice(profile.levels),
        "hours_min": hours_min,
        "hours_max": hours_max,
        "days": days,
        "contracts": contracts,
        "available_from": (today + timedelta(days=rng.randint(-60, 45))).isoformat(),
        "status": _weighted(rng, CANDIDATE_STATUS_WEIGHTS),
        "consent": True,
        "source": _weighted(rng, SOURCES),
    }
    # Most say which jobs they look for; some only describe what they can do.
    if profile.rome and rng.random() < 0.85:
        candidate["rome"] = rng.sample(profile.rome, k=rng.randint(1, len(profile.rome)))
    if rng.random() < 0.7:
        candidate["phone"] = f"06 39 98 {rng.randrange(100):02d} {rng.randrange(100):02d}"
    return candidate


def _showcase_candidate(today: date) -> dict:
    return {
        "ref": f"{DEMO_PREFIX}cv-001",
        "first_name": "Camille",
        "last_name": "Lesbats",
        "email": "camille.lesbats@exemple.fr",
        "phone": "06 39 98 12 34",
        "commune": "33529",
        "mobility_km": 25,
        "skills": [
            "saisie compta",
            "rapprochements bancaires",
            "Sage 100",
            "declarations TVA",
            "paie",
        ],
        "rome": ["M1203"],
        "level": "employe_qualifie",
        "hours_min": 14,
        "hours_max": 24,
        "days": ["mon", "tue", "thu", "fri"],
        "contracts": ["cdi_temps_partage", "cdd"],
        "available_from": (today - timedelta(days=10)).isoformat(),
        # Holds 8 h of bookkeeping on Tuesday through the groupement: a week to complete.
        "status": "en_mission",
        "consent": True,
        "source": "permanence",
        "commitments": [
            {"label": "Comptabilité, GE Bassin Emploi", "hours_per_week": 8, "days": ["tue"]}
        ],
    }


# Work people of the demo already hold (interchange v1.1 commitments).
HELD_WORK = [
    "Secrétariat, mairie",
    "Entretien des locaux, camping",
    "Accueil, office de tourisme",
    "Comptabilité, GE Bassin Emploi",
    "Vente, marché du samedi",
    "Aide en cuisine, restaurant du port",
]


def _add_commitments(seed: int, candidates: list[dict], today: date) -> None:
    """One or two commitments for the people "en mission", leaving them free time.

    A random stream of its own, so that the rest of the demo stays what it was.
    """
    rng = random.Random(seed * 7919 + 11)  # noqa: S311 — synthetic or sampled data, never a secret
    for candidate in candidates:
        if candidate["status"] != "en_mission" or candidate.get("commitments"):
            continue
        days, hours_max = candidate["days"], candidate["hours_max"]
        if len(days) < 2 or hours_max < 8:
            continue
        k = 2 if len(days) >= 3 and rng.random() < 0.4 else 1
        taken = rng.sample(days, k)
        room = hours_max - 4  # at least 4 h left to fill
        held = []
        for day in taken:
            hours = min(rng.choice([4, 6, 7, 8]), room)
            if hours < 1:
                break
            room -= hours
            item = {"label": rng.choice(HELD_WORK), "hours_per_week": hours, "days": [day]}
            if rng.random() < 0.4:
                item["until"] = (today + timedelta(days=rng.randint(20, 200))).isoformat()
            held.append(item)
        if held:
            candidate["commitments"] = held


def build_demo_document(
    seed: int = DEMO_SEED,
    today: date | None = None,
    *,
    n_needs: int = 60,
    n_candidates: int = 150,
) -> dict:
    """The interchange v1.1 document of the demo territory.

    Deterministic for a given `seed` and `today` (dates are spread around `today`,
    which defaults to the current date, so that the demo always looks current).
    """
    today = today or date.today()
    rng = random.Random(seed)  # noqa: S311 — synthetic or sampled data, never a secret
    sirets: set[str] = set()

    companies = []
    for name, naf, commune, employees, _sector in COMPANIES:
        ref = _company_ref(name)
        company = {
            "ref": ref,
            "name": name,
            "siret": demo_siret(rng, sirets),
            "commune": commune,
            "naf": naf,
            "employees": employees,
            "contact_email": f"contact@{slug(name)}.example",
        }
        if name in DO_NOT_SOLICIT:
            company["do_not_solicit"] = True
        companies.append(company)

    needs: list[dict] = []
    used: set[tuple[str, int]] = set()  # (company, template) pairs already drawn
    # One need from each company's own trade, except those that refuse contact...
    open_companies = [
        (company, sector)
        for company, (name, *_rest, sector) in zip(companies, COMPANIES, strict=True)
        if name not in DO_NOT_SOLICIT
    ]
    for company, sector in open_companies:
        if len(needs) >= n_needs:
            break
        templates = SECTOR_NEEDS.get(sector)
        if templates:
            template = rng.choice(templates)
            used.add((company["ref"], id(template)))
            ref = f"{DEMO_PREFIX}besoin-{len(needs) + 1:03d}"
            needs.append(_build_need(rng, ref, company, template, today))
    # ...then the functions every TPE lacks, and a second trade need here and there,
    # never the same need twice in one company.
    while len(needs) < n_needs:
        company, sector = rng.choice(open_companies)
        if rng.random() < 0.6:
            template = rng.choice(TRANSVERSE_NEEDS)
        else:
            template = rng.choice(SECTOR_NEEDS.get(sector) or TRANSVERSE_NEEDS)
        if (company["ref"], id(template)) in used:
            continue
        used.add((company["ref"], id(template)))
        ref = f"{DEMO_PREFIX}besoin-{len(needs) + 1:03d}"
        needs.append(_build_need(rng, ref, company, template, today))

    # The demo candidate account is someone with a full profile, so their space shows it all.
    showcase = _showcase_candidate(today)
    used_emails: set[str] = {showcase["email"]}
    candidates = [showcase] + [
        _build_candidate(rng, i, used_emails, today) for i in range(2, n_candidates + 1)
    ]
    _add_commitments(seed, candidates, today)

    return {
        "format": "connectences/v1.1",
        "operators": [dict(op, epcis=list(op["epcis"])) for op in OPERATORS],
        "partners": [dict(p) for p in PARTNERS],
        "companies": companies,
        "candidates": candidates,
        "needs": needs,
    }


def build_demo_visits(
    document: dict, seed: int = DEMO_SEED, today: date | None = None, n_visits: int = 100
) -> list[dict]:
    """About `n_visits` prospection visits to the document's companies, oldest first.

    Each company is visited at least once; a company with needs had the need
    detected at its latest visit; a company that refuses contact said so.
    Each visit is a dict with `company` (ref), `channel`, `visited_on`, `topics`,
    `outcome`, `notes`, `need_detected`, `follow_up_on`, `follow_up_closed`.
    """
    today = today or date.today()
    rng = random.Random(seed * 7919 + 1)  # noqa: S311 — synthetic or sampled data, never a secret
    companies = document["companies"]
    need_title = {}
    for need in document["needs"]:
        need_title.setdefault(need["company"], need["title"])

    per_company: dict[str, list[date]] = {c["ref"]: [] for c in companies}
    refs = [c["ref"] for c in companies]
    chosen = refs + [rng.choice(refs) for _ in range(max(0, n_visits - len(refs)))]
    for ref in chosen:
        while True:
            day = today - timedelta(days=rng.randint(1, 300))
            if day.weekday() < 5 and day not in per_company[ref]:
                break
        per_company[ref].append(day)

    do_not_solicit = {c["ref"] for c in companies if c.get("do_not_solicit")}
    # A quarter of the needs came from the owners themselves (public form), not from a visit.
    own_initiative = {ref for ref in sorted(need_title) if rng.random() < 0.25}
    visits = []
    topics = list(vocab.VISIT_TOPICS)
    for ref, days in per_company.items():
        days.sort()
        for position, day in enumerate(days):
            last = position == len(days) - 1
            if last and ref in do_not_solicit:
                outcome = "ne_plus_solliciter"
            elif last and ref in need_title and ref not in own_initiative:
                outcome = "besoin_detecte"
            else:
                outcome = _weighted(
                    rng,
                    [
                        ("a_relancer", 35),
                        ("information_donnee", 35),
                        ("pas_interesse", 15),
                        ("absent", 15),
                    ],
                )
            note = rng.choice(VISIT_NOTES[outcome]).format(need=need_title.get(ref, "un renfort"))
            follow_up = None
            closed = False
            if outcome in {"besoin_detecte", "a_relancer", "absent"}:
                follow_up = day + timedelta(days=rng.choice([7, 14, 21, 30, 45, 60]))
                # Follow-ups long past were mostly done; recent ones are still open or overdue.
                closed = follow_up < today - timedelta(days=20) and rng.random() < 0.85
            visits.append(
                {
                    "company": ref,
                    "channel": _weighted(rng, VISIT_CHANNEL_WEIGHTS),
                    "visited_on": day,
                    "topics": sorted(rng.sample(topics, k=rng.randint(1, 3)), key=topics.index),
                    "outcome": outcome,
                    "notes": note,
                    "need_detected": outcome == "besoin_detecte",
                    "follow_up_on": follow_up,
                    "follow_up_closed": closed,
                }
            )
    visits.sort(key=lambda v: (v["visited_on"], v["company"]))
    return visits


def build_demo_contacts(document: dict, seed: int = DEMO_SEED) -> dict[str, dict]:
    """For each company of the document (by ref): its street address and the person an
    operator calls there (``name``, ``role``, ``phone``, and ``email`` for about half).

    Not part of the interchange format, so added by ``seed_demo`` after the import.
    Phone numbers are in the range reserved for fiction (06 39 98 xx xx). The owner
    of the demo company account is that company's contact.
    """
    rng = random.Random(seed * 104_729 + 3)  # noqa: S311 — synthetic or sampled data, never a secret
    people: dict[str, dict] = {}
    for company in document["companies"]:
        gender = rng.choice(sorted(CONTACT_PEOPLE))
        first_names, roles = CONTACT_PEOPLE[gender]
        first, last = rng.choice(first_names), rng.choice(LAST_NAMES)
        domain = slug(company["name"]) + ".example"
        number = rng.randrange(10_000)
        people[company["ref"]] = {
            "address": f"{rng.randint(1, 60)} {rng.choice(STREETS)}",
            "name": f"{first} {last}",
            "role": rng.choice(roles),
            "phone": f"06 39 98 {number // 100:02d} {number % 100:02d}",
            "email": f"{slug(first)}@{domain}" if rng.random() < 0.5 else None,
        }
    owner = people.get(_company_ref(DEMO_COMPANY_OWNER))
    if owner is not None:
        owner.update(name="Sylvie Lafitte", role="Gérante", email=_owner_email())
    return people


def _owner_email() -> str:
    return "entreprise@" + slug(DEMO_COMPANY_OWNER) + ".example"


def demo_accounts(document: dict) -> list[DemoAccount]:
    """One account per role, tied to the document's organisations and people."""
    candidate = document["candidates"][0]
    return [
        DemoAccount("admin", "admin@connectences.example", "demo-admin-bassin", "Alice Lambert"),
        DemoAccount("animateur", "animateur@connectences.example", "demo-animateur-bassin", "Marc Dulucq"),
        DemoAccount(
            "operator", "operateur@ge-bassin-emploi.example", "demo-operateur-bassin",
            "Hélène Castaing", org_ref="ge-bassin-emploi",
        ),
        DemoAccount(
            "partner", "partenaire@francetravail.example", "demo-partenaire-bassin",
            "Bruno Lacoste", org_ref="france-travail-arcachon",
        ),
        DemoAccount(
            "company", _owner_email(), "demo-entreprise-bassin",
            "Sylvie Lafitte", org_ref=_company_ref(DEMO_COMPANY_OWNER),
        ),
        DemoAccount(
            "candidate", candidate["email"], "demo-candidat-bassin",
            f"{candidate['first_name']} {candidate['last_name']}", org_ref=candidate["ref"],
        ),
        DemoAccount(
            "territoire", "territoire@cobas.example", "demo-territoire-bassin",
            "Claire Dubos", org_ref=COBAS,
        ),
    ]  # fmt: skip


# ---------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------


@dataclass
class DemoSummary:
    counts: dict[str, int]
    accounts: list[DemoAccount]
    created_accounts: list[str] = field(default_factory=list)
    created_visits: int = 0


def seed_demo(session: Session, *, seed: int = DEMO_SEED, today: date | None = None) -> DemoSummary:
    """Import the demo document, then add its visits and accounts; safe to run again.

    Raises `connectences.exchange.ExchangeError` when the document is refused
    (nothing is written then).
    """
    from connectences.accounts import create_user
    from connectences.exchange.importer import import_document
    from connectences.models import Candidate, Company, Need, User, Visit

    today = today or date.today()
    _ensure_reference(session)
    document = build_demo_document(seed, today)
    import_document(document, session)
    session.flush()

    _seed_contacts(session, document, seed)

    accounts = demo_accounts(document)
    created_accounts = []
    for account in accounts:
        existing = session.scalar(select(User).where(User.email == account.email))
        if existing is not None:
            continue
        user = create_user(
            session,
            account.email,
            account.role,
            password=account.password,
            org_ref=account.org_ref,
            full_name=account.full_name,
        )
        created_accounts.append(user.email)
    session.flush()

    animateur = session.scalar(select(User).where(User.email == accounts[1].email))
    created_visits = 0
    # Visits are seeded once: their dates follow the day of the first run, so a later
    # run would otherwise add the same visits on other days.
    already = session.scalar(select(func.count(Visit.id)).where(Visit.animateur_id == animateur.id))
    if not already:
        company_ids = dict(session.execute(select(Company.ref, Company.id)).all())
        first_need = {}
        for need_id, company_id in session.execute(
            select(Need.id, Need.company_id)
            .where(Need.ref.startswith(DEMO_PREFIX))
            .order_by(Need.ref)
        ):
            first_need.setdefault(company_id, need_id)
        for item in build_demo_visits(document, seed, today):
            company_id = company_ids[item["company"]]
            visit = Visit(
                company_id=company_id,
                animateur_id=animateur.id,
                channel=item["channel"],
                visited_on=item["visited_on"],
                topics=item["topics"],
                outcome=item["outcome"],
                notes=item["notes"],
                need_detected=item["need_detected"],
                follow_up_on=item["follow_up_on"],
                created_at=datetime.combine(item["visited_on"], time(18, 0), tzinfo=UTC),
                follow_up_closed_at=(
                    datetime.combine(item["follow_up_on"], time(17, 0), tzinfo=UTC)
                    if item["follow_up_closed"]
                    else None
                ),
            )
            session.add(visit)
            created_visits += 1
            if item["need_detected"] and company_id in first_need:
                session.flush()
                need = session.get(Need, first_need[company_id])
                if need.visit_id is None:
                    need.visit_id = visit.id
                    need.created_by_id = animateur.id
        session.flush()
        _backdate(session, seed, today)
        _progress_needs(session, animateur)
    session.commit()

    counts = {
        "entreprises": _count(session, Company),
        "besoins": _count(session, Need),
        "candidats": _count(session, Candidate),
        "visites": _count(session, Visit),
        "comptes": _count(session, User),
    }
    return DemoSummary(counts, accounts, created_accounts, created_visits)


def _seed_contacts(session: Session, document: dict, seed: int) -> None:
    """Give each demo company its address and the person to call, through the contact
    checks of the directory; a company that already has a contact or an address keeps it."""
    from connectences.models import Company, CompanyContact
    from connectences.prospection.companies import validate_contact

    people = build_demo_contacts(document, seed)
    for company in session.scalars(select(Company).where(Company.ref.in_(list(people)))):
        person = people[company.ref]
        if company.address is None:
            company.address = person["address"]
        if not company.contacts:
            company.contacts.append(CompanyContact(**validate_contact(person)))
    session.flush()


def _progress_needs(session: Session, animateur) -> None:
    """Move part of the register along its state machine, as a living platform has it.

    Every third need is qualified, every sixth is then in search; two of them are
    proposed to their operator with their best candidates and one full-time need is
    re-oriented, all through the workflows (so the transition log and the outbox are
    filled as they would be by hand). Done once, with the visits.
    """
    from connectences import workflows
    from connectences.matching.service import match_need
    from connectences.matching.service_route_pool import decide_route
    from connectences.models import Candidate, Need, Operator, Partner
    from connectences.workflows.dispatch import send_lead, send_referral

    needs = list(
        session.scalars(select(Need).where(Need.ref.startswith(DEMO_PREFIX)).order_by(Need.ref))
    )
    for position, need in enumerate(needs):
        if position % 3 == 0:
            workflows.transition(session, need, workflows.NEED, "qualifie", actor=animateur)
        if position % 6 == 0:
            workflows.transition(session, need, workflows.NEED, "en_recherche", actor=animateur)
    session.flush()
    proposed = referred = 0
    for need in needs:
        if need.status != "en_recherche" or (proposed >= 2 and referred >= 1):
            continue
        decision = decide_route(need.ref, session)
        try:
            if decision.decision == "operator" and proposed < 2:
                refs = [m["candidate"] for m in match_need(need.ref, 2, session)["matches"]]
                candidates = session.scalars(select(Candidate).where(Candidate.ref.in_(refs)))
                send_lead(
                    session,
                    needs=[need],
                    operator=session.scalar(
                        select(Operator).where(Operator.ref == decision.operator)
                    ),
                    candidates=list(candidates),
                    actor=animateur,
                    reasons=decision.shared,
                    note="Besoin qualifié lors d'une visite ; l'entreprise attend un appel.",
                )
                proposed += 1
            elif decision.decision == "reorientation" and decision.partner and referred < 1:
                send_referral(
                    session,
                    need=need,
                    partner=session.scalar(select(Partner).where(Partner.ref == decision.partner)),
                    actor=animateur,
                    reasons=decision.shared,
                )
                referred += 1
        except workflows.TransitionError:
            continue  # the demo shows what the rules allow, nothing forced
    session.flush()


def _backdate(session: Session, seed: int, today: date) -> None:
    """Spread the demo's creation dates over the past months, as a real register has them.

    Done once, with the visits: a need detected on a visit was recorded that day;
    the others came in over the last four months; people joined the CV library
    over the last ten. Companies existed before their first visit.
    """
    from connectences.models import Candidate, Company, Need, Visit

    rng = random.Random(seed * 31 + 5)  # noqa: S311 — synthetic or sampled data, never a secret

    def moment(day: date) -> datetime:
        return datetime.combine(day, time(rng.randint(8, 17), rng.randrange(60)), tzinfo=UTC)

    first_visit = dict(
        session.execute(
            select(Visit.company_id, func.min(Visit.visited_on)).group_by(Visit.company_id)
        ).all()
    )
    for company in session.scalars(select(Company).where(Company.ref.startswith(DEMO_PREFIX))):
        day = first_visit.get(company.id, today) - timedelta(days=rng.randint(1, 30))
        company.created_at = company.updated_at = moment(day)
    for need in session.scalars(select(Need).where(Need.ref.startswith(DEMO_PREFIX))):
        if need.visit_id is not None:
            day = session.get(Visit, need.visit_id).visited_on
        else:
            day = today - timedelta(days=rng.randint(1, 120))
        need.created_at = need.updated_at = moment(day)
    for candidate in session.scalars(
        select(Candidate).where(Candidate.ref.startswith(DEMO_PREFIX))
    ):
        joined = moment(today - timedelta(days=rng.randint(1, 300)))
        candidate.created_at = candidate.updated_at = candidate.last_contact_at = joined
        if candidate.consent_at is not None:
            candidate.consent_at = joined
        if candidate.email_confirmed_at is not None:
            candidate.email_confirmed_at = joined


def _count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _ensure_reference(session: Session) -> None:
    """The demo needs the communes and intercommunalities; load them on an empty database."""
    from connectences.models import Commune
    from connectences.territory.load import load_reference

    if not session.scalar(select(func.count()).select_from(Commune)):
        load_reference(session)
        session.flush()


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


@click.command("demo", help="Charge la démonstration du territoire (sans doublon si relancée).")
@click.option("--seed", default=DEMO_SEED, show_default=True, help="Graine du générateur.")
@with_appcontext
def demo_cli(seed: int) -> None:
    """`flask --app connectences demo`: seed the demo and print the address and accounts."""
    from connectences.exchange import ExchangeError
    from connectences.extensions import db

    if current_app.config.get("CONNECTENCES_ENV") == "production":
        raise click.ClickException(
            "La démonstration ne se charge pas sur une installation de production "
            "(CONNECTENCES_ENV=production) : elle créerait des comptes aux mots de passe connus."
        )
    try:
        summary = seed_demo(db.session, seed=seed)
    except ExchangeError as error:
        db.session.rollback()
        for problem in error.errors:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException("Le document de démonstration a été refusé.") from error

    counts = summary.counts
    click.echo(
        f"Démonstration prête : {counts['entreprises']} entreprises, {counts['besoins']} besoins, "
        f"{counts['candidats']} candidats, {counts['visites']} visites, {counts['comptes']} comptes."
    )
    base_url = current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context(base_url=base_url):
        login_url = url_for("auth.login", _external=True)
    click.echo(f"Adresse : {login_url}")
    click.echo("Comptes de démonstration :")
    width = max(len(a.email) for a in summary.accounts)
    click.echo(f"  {'Rôle':<17} {'Adresse e-mail':<{width}}  Mot de passe")
    for account in summary.accounts:
        role = vocab.label(vocab.ROLES, account.role)
        click.echo(f"  {role:<17} {account.email:<{width}}  {account.password}")
    if len(summary.created_accounts) < len(summary.accounts):
        click.echo("(Comptes déjà présents : leur mot de passe n'a pas été modifié.)")
