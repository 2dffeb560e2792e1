"""The territory reference: communes, intercommunalities (EPCI), distances.

The reference is read once, lazily, from ``data/territory/reference.json.gz``
(built by ``connectences.territory.build`` from registry packages, see
``data/territory/SOURCES.md``) and cached for the life of the process. Nothing
here touches the database or Flask: ``connectences.territory.load`` copies the
same reference into the ``commune`` and ``epci`` tables.
"""

from __future__ import annotations

import gzip
import json
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache

from connectences.territory.build import (
    DATA_DIR,
    REFERENCE_FILE,
    ordered_postcodes,
    read_main_postcodes,
    read_places,
)
from connectences.territory.geo import haversine_km
from connectences.territory.text import fold
from connectences.text import sort_key

# The three intercommunalities of the Pays Bassin d'Arcachon - Val de l'Eyre
# (SIREN -> short name), checked against decoupage-administratif's EPCI list.
PAYS_EPCIS: dict[str, str] = {
    "243300563": "COBAS",
    "243301504": "COBAN",
    "243301405": "CC du Val de l'Eyre",
}


@dataclass(frozen=True, slots=True)
class CommuneRef:
    """A current French commune; ``lat``/``lon`` are its centre, None when unknown."""

    insee: str
    name: str
    postcodes: tuple[str, ...]
    department: str
    epci: str | None
    lat: float | None
    lon: float | None

    @property
    def has_centre(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def label(self) -> str:
        """Name with its main postcode, as shown in forms ("Arcachon (33120)")."""
        return f"{self.name} ({self.postcodes[0]})" if self.postcodes else self.name


@dataclass(frozen=True, slots=True)
class EpciRef:
    """An intercommunality with its own taxation (``kind``: CC, CA, CU, METRO, MET69)."""

    siren: str
    name: str
    kind: str


@dataclass(frozen=True)
class _Reference:
    communes: dict[str, CommuneRef]
    epcis: dict[str, EpciRef]
    members: dict[str, tuple[str, ...]]  # EPCI SIREN -> INSEE codes
    population: dict[str, int]
    folded: dict[str, str]  # INSEE -> folded name
    # (word, INSEE) for every word of every name, sorted: prefix search by bisection
    words: tuple[tuple[str, str], ...]
    # (postcode, INSEE) for every postcode of every commune, and (lowercased INSEE,
    # INSEE), sorted: a code typed in a form is looked up by bisection, not by a pass
    # over the 35,000 communes (30 ms, three times per CV submitted)
    postcodes: tuple[tuple[str, str], ...]
    insees: tuple[tuple[str, str], ...]
    meta: dict


@cache
def _reference() -> _Reference:
    with gzip.open(DATA_DIR / REFERENCE_FILE, "rt", encoding="utf-8") as handle:
        document = json.load(handle)
    epcis = {siren: EpciRef(siren, name, kind) for siren, name, kind in document["epcis"]}
    communes: dict[str, CommuneRef] = {}
    members: dict[str, list[str]] = {}
    population: dict[str, int] = {}
    # Files built before main_postcodes.csv listed postcodes in plain order: order
    # them again here, so that every commune's label carries its main postcode.
    main = read_main_postcodes()
    for insee, name, postcodes, department, epci, lat, lon, people in document["communes"]:
        postcodes = tuple(ordered_postcodes(insee, postcodes, main))
        communes[insee] = CommuneRef(insee, name, postcodes, department, epci, lat, lon)
        population[insee] = people
        if epci is not None:
            members.setdefault(epci, []).append(insee)
    folded = {insee: fold(commune.name) for insee, commune in communes.items()}
    return _Reference(
        communes=communes,
        epcis=epcis,
        members={siren: tuple(codes) for siren, codes in members.items()},
        population=population,
        folded=folded,
        words=tuple(sorted({(w, insee) for insee, name in folded.items() for w in name.split()})),
        postcodes=tuple(sorted({(p, c.insee) for c in communes.values() for p in c.postcodes})),
        insees=tuple(sorted((insee.lower(), insee) for insee in communes)),
        meta=document["meta"],
    )


def reference_meta() -> dict:
    """Where the loaded reference comes from: package versions and build date."""
    return _reference().meta


def all_communes() -> list[CommuneRef]:
    """Every current commune, ordered by INSEE code."""
    return list(_reference().communes.values())


def all_epcis() -> list[EpciRef]:
    """Every EPCI, ordered by SIREN."""
    return list(_reference().epcis.values())


def get_commune(insee: str) -> CommuneRef | None:
    """The current commune with this INSEE code, or None (old or unknown code)."""
    return _reference().communes.get(insee)


def commune_label(insee: str | None) -> str:
    """ "Arcachon (33120)" for an INSEE code; the code itself when unknown, "" for none."""
    if not insee:
        return ""
    commune = _reference().communes.get(insee)
    return commune.label if commune else insee


def epci_label(insee: str | None, unknown: str = "Hors intercommunalité connue") -> str:
    """Short name of the commune's intercommunality (the Pays' own names for its three),
    ``unknown`` when the commune is in none the reference knows."""
    siren = epci_of(insee) if insee else None
    if not siren:
        return unknown
    return epci_name(siren)


def epci_name(siren: str) -> str:
    """Short name of an intercommunality (the Pays' own names for its three), its SIREN
    when the reference does not know it."""
    epci = get_epci(siren)
    return PAYS_EPCIS.get(siren) or (epci.name if epci else siren)


def is_commune(insee: str) -> bool:
    """True when ``insee`` is the code of a current French commune."""
    return insee in _reference().communes


def epci_of(insee: str) -> str | None:
    """SIREN of the commune's intercommunality (None: unknown commune, or in none)."""
    commune = _reference().communes.get(insee)
    return commune.epci if commune else None


def get_epci(siren: str) -> EpciRef | None:
    """The EPCI with this SIREN, or None."""
    return _reference().epcis.get(siren)


def is_epci(siren: str) -> bool:
    """True when ``siren`` is the SIREN of a current EPCI."""
    return siren in _reference().epcis


def communes_of_epci(siren: str) -> list[CommuneRef]:
    """Member communes of an EPCI, by INSEE code; empty for an unknown SIREN."""
    ref = _reference()
    return [ref.communes[insee] for insee in ref.members.get(siren, ())]


def pays_communes() -> list[CommuneRef]:
    """The communes of the Pays Bassin d'Arcachon - Val de l'Eyre (its three EPCIs)."""
    return sorted(
        (c for siren in PAYS_EPCIS for c in communes_of_epci(siren)), key=lambda c: c.insee
    )


def pays_communes_by_name() -> list[CommuneRef]:
    """The Pays' communes as forms and filters offer them: in French directory order
    (:func:`connectences.text.sort_key`, accents and case folded), so that "Le Teich"
    comes before "Lège-Cap-Ferret" and "Lège-Cap-Ferret" before "Lugos"."""
    return sorted(pays_communes(), key=lambda c: (sort_key(c.name), c.insee))


def pays_commune_labels() -> list[str]:
    """The Pays' communes as the forms' suggestions show them ("Arcachon (33120)"), in
    the order of :func:`pays_communes_by_name`."""
    return [c.label for c in pays_communes_by_name()]


def population(insee: str) -> int:
    """The commune's population as the reference gives it (0 when unknown): only to rank
    communes of one name, the largest first."""
    return _reference().population.get(insee, 0)


def in_pays(insee: str) -> bool:
    """True when the commune belongs to one of the Pays' three EPCIs."""
    return epci_of(insee) in PAYS_EPCIS


def distance_km(insee_a: str, insee_b: str) -> float | None:
    """Distance as the crow flies between two commune centres, in kilometres.

    0 for the same commune (even when its centre is unknown: living and working
    in one commune is no journey to rule out); None when either code is unknown
    or either centre is unknown, which callers treat as "distance unknown".
    """
    ref = _reference()
    a = ref.communes.get(insee_a)
    b = ref.communes.get(insee_b)
    if a is None or b is None:
        return None
    if insee_a == insee_b:
        return 0.0
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


# More distinct words than any French commune's name has (« Saint-Germain-de-la-Rivière »
# has five): such a text matches nothing, and is not looked up word by word.
MAX_NAME_WORDS = 10
# Below this many communes left, the next words are checked on their names directly.
FEW_COMMUNES = 200


def _insees_with_prefix(index: tuple[tuple[str, str], ...], prefix: str) -> set[str]:
    """INSEE codes of the sorted ``(key, INSEE)`` pairs whose key starts with ``prefix``."""
    start = bisect_left(index, (prefix,))
    found = set()
    for position in range(start, len(index)):
        word, insee = index[position]
        if not word.startswith(prefix):
            break
        found.add(insee)
    return found


def communes_with_postcode(postcode: str) -> list[CommuneRef]:
    """The communes that use this postcode (main or not), by INSEE code."""
    ref = _reference()
    found = _insees_with_prefix(ref.postcodes, postcode) if len(postcode) == 5 else set()
    return sorted(
        (ref.communes[insee] for insee in found if postcode in ref.communes[insee].postcodes),
        key=lambda c: c.insee,
    )


@cache
def places() -> tuple[tuple[str, CommuneRef], ...]:
    """(name, commune) for the villages, quartiers and short names of the Pays' communes
    that people write for their commune (``data/territory/places.csv``: "Cazaux" is in
    La Teste-de-Buch, "Cap Ferret" in Lège-Cap-Ferret)."""
    ref = _reference()
    found = []
    for name, insee in read_places():
        commune = ref.communes.get(insee)
        if commune is None:  # a row out of step with the reference: fail loudly, once
            raise LookupError(f"places.csv: {name} names an unknown commune {insee}")
        found.append((name, commune))
    return tuple(found)


def search_communes(text: str, limit: int = 10) -> list[CommuneRef]:
    """Communes matching what a person types, best first (for forms' autocomplete).

    Digits match a postcode or INSEE code prefix ("33510", "335"). Words match
    the start of the name's words, without accents or case ("lege cap" finds
    Lège-Cap-Ferret, "st jean illac" Saint-Jean-d'Illac). The Pays' communes come
    first, then names that start with the text, then the most populated.
    """
    query = fold(text)
    if not query or limit <= 0:
        return []
    ref = _reference()
    compact = query.replace(" ", "")
    if compact.isdigit() or (len(compact) == 5 and compact[:2] in {"2a", "2b"}):
        # A postcode match is what people mean; an INSEE code match comes after.
        starts = _insees_with_prefix(ref.postcodes, compact)
        found = starts | _insees_with_prefix(ref.insees, compact)
    else:
        words = list(dict.fromkeys(query.split()))  # each word once, in the typed order
        query = " ".join(words)
        if len(words) > MAX_NAME_WORDS:
            return []  # no commune's name has that many words: nothing to look up
        found = None
        # The longest prefixes first: they narrow the most, and an empty set ends the search.
        for word in sorted(words, key=len, reverse=True):
            if found is not None and len(found) <= FEW_COMMUNES:
                # Few communes left: read their own names rather than every name having
                # a short word ("la", "de": thousands), the same filter.
                found = {
                    insee
                    for insee in found
                    if any(w.startswith(word) for w in ref.folded[insee].split())
                }
            else:
                having = _insees_with_prefix(ref.words, word)
                found = having if found is None else found & having
            if not found:
                return []
        starts = {insee for insee in found if ref.folded[insee].startswith(query)}
    matches = [ref.communes[insee] for insee in found]
    matches.sort(
        key=lambda c: (
            c.epci not in PAYS_EPCIS,
            c.insee not in starts,
            -ref.population.get(c.insee, 0),
            c.name,
        )
    )
    return matches[:limit]
