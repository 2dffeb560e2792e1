"""Communes, intercommunalities (EPCI) and distances: the territory reference.

The reference is read once, lazily, from ``data/territory/reference.json.gz``
(built by ``connectences.territory.build`` from registry packages, see
``data/territory/SOURCES.md``) and cached for the life of the process
(``territory.reference``); what people type becomes a commune through
``territory.resolve``. Nothing here touches the database or Flask:
``connectences.territory.load`` copies the same reference into the ``commune`` and
``epci`` tables.
"""

from connectences.territory.reference import (
    PAYS_EPCIS,
    CommuneRef,
    EpciRef,
    all_communes,
    all_epcis,
    commune_label,
    communes_of_epci,
    communes_with_postcode,
    distance_km,
    epci_label,
    epci_name,
    epci_of,
    get_commune,
    get_epci,
    in_pays,
    is_commune,
    is_epci,
    pays_commune_labels,
    pays_communes,
    pays_communes_by_name,
    places,
    population,
    reference_meta,
    search_communes,
)
from connectences.territory.resolve import (
    CommuneReading,
    UnknownCommune,
    commune_note,
    read_commune,
    resolve_commune,
)

__all__ = [
    "CommuneReading",
    "CommuneRef",
    "EpciRef",
    "PAYS_EPCIS",
    "UnknownCommune",
    "all_communes",
    "all_epcis",
    "commune_label",
    "commune_note",
    "communes_of_epci",
    "communes_with_postcode",
    "distance_km",
    "epci_label",
    "epci_name",
    "epci_of",
    "get_commune",
    "get_epci",
    "in_pays",
    "is_commune",
    "is_epci",
    "pays_commune_labels",
    "pays_communes",
    "pays_communes_by_name",
    "places",
    "population",
    "read_commune",
    "reference_meta",
    "resolve_commune",
    "search_communes",
]
