"""One rule for the commune a person types, in every form and import."""

import csv
import re

import pytest

from connectences import territory
from connectences.territory.build import DATA_DIR
from connectences.territory.text import fold
from tests import factories as f

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

LEGE_CAP_FERRET = "33236"
LANTON = "33229"
BELIN_BELIET = "33042"
MIOS = "33284"
BIGANOS = "33051"
ANDERNOS = "33005"
SALLES = "33498"
LE_TEICH = "33527"
SAINT_MAGNE = "33436"
MARCHEPRIME = "33555"
AUDENGE = "33019"


def _department(typed: str) -> str:
    return territory.resolve_commune(typed).department


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("Arcachon", f.ARCACHON),
        ("  arcachon ", f.ARCACHON),
        ("ARCACHON", f.ARCACHON),
        ("arcachon (33120)", f.ARCACHON),
        ("lege cap ferret", LEGE_CAP_FERRET),
        ("Gujan-Mestras (33470)", f.GUJAN),
        ("33120", f.ARCACHON),  # Arcachon's postcode, not the INSEE code of Cérons
        ("33260", f.LA_TESTE),  # La Teste's postcode, not the INSEE code of Lugos
        ("33009", f.ARCACHON),  # an INSEE code that no postcode uses
        ("33529", f.LA_TESTE),
        ("2A004", "2A004"),  # Ajaccio, Corsican INSEE code
        ("33510", ANDERNOS),
        ("Le Teich", LE_TEICH),
        ("Saint-Magne", SAINT_MAGNE),
        ("St Magne", SAINT_MAGNE),
        ("Marcheprime", MARCHEPRIME),
        ("Audenge", AUDENGE),
        ("Andernos", ANDERNOS),
        ("La Teste", f.LA_TESTE),
        ("La Teste de Buch", f.LA_TESTE),
        ("Gujan", f.GUJAN),
        ("Salles", SALLES),  # the Pays' one: four other communes bear the name
    ],
)
def test_communes_people_type(typed, insee):
    assert territory.resolve_commune(typed).insee == insee


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        # Villages, quartiers and short names people on the Bassin write
        ("Lège", LEGE_CAP_FERRET),
        ("Lège (33950)", LEGE_CAP_FERRET),
        ("Lege 33970", LEGE_CAP_FERRET),
        ("Cap Ferret", LEGE_CAP_FERRET),
        ("Cap-Ferret", LEGE_CAP_FERRET),
        ("Le Cap-Ferret (33970)", LEGE_CAP_FERRET),
        ("Claouey", LEGE_CAP_FERRET),
        ("Le Canon", LEGE_CAP_FERRET),
        ("Piquey", LEGE_CAP_FERRET),
        ("Grand Piquey", LEGE_CAP_FERRET),
        ("Petit-Piquey", LEGE_CAP_FERRET),
        ("L'Herbe", LEGE_CAP_FERRET),
        ("Lherbe", LEGE_CAP_FERRET),
        ("Le Four", LEGE_CAP_FERRET),
        ("Pyla", f.LA_TESTE),
        ("Pilat", f.LA_TESTE),  # the dune, and the first name of Pyla-sur-Mer
        ("Pilat-Plage", f.LA_TESTE),
        ("Pyla-sur-Mer", f.LA_TESTE),
        ("Pyla sur Mer (33115)", f.LA_TESTE),
        ("Le Pyla", f.LA_TESTE),
        ("Cazaux", f.LA_TESTE),
        ("Cazaux (33260)", f.LA_TESTE),
        ("Le Moulleau", f.ARCACHON),
        ("Les Abatilles", f.ARCACHON),
        ("Taussat", LANTON),
        ("Cassy", LANTON),
        ("Belin", BELIN_BELIET),
        ("Belin (33830)", BELIN_BELIET),
        ("Béliet", BELIN_BELIET),
        ("Lacanau-de-Mios", MIOS),
        ("Lacanau de Mios 33380", MIOS),
        ("Facture", BIGANOS),
        ("La Hume", f.GUJAN),
    ],
)
def test_villages_and_short_names_resolve_to_their_commune(typed, insee):
    assert territory.resolve_commune(typed).insee == insee


@pytest.mark.parametrize(
    "typed",
    [
        "Gujan-Mestras 33470",
        "Gujan-Mestras, 33470",
        "Gujan-Mestras - 33470",
        "Gujan-Mestras (33 470)",
        "33470 Gujan-Mestras",
        "33470, Gujan-Mestras",
        "(33470) Gujan-Mestras",
        "gujan mestras 33470",
        "Gujan-Mestra",  # typos
        "Gujan Mestras",
        "Gujan-Mestra 33470",
        "gujn-mestras",
        "Gujan 33470",
    ],
)
def test_name_and_postcode_in_any_order_or_with_a_typo(typed):
    assert territory.resolve_commune(typed).insee == f.GUJAN


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("lanton 33138", LANTON),
        ("Arcachonn", f.ARCACHON),
        ("Andernos-les-Bain", ANDERNOS),
        ("Biganoss", BIGANOS),
        ("Marcheprim", MARCHEPRIME),
        ("Lege-Cap-Feret", LEGE_CAP_FERRET),
    ],
)
def test_more_typos_and_bare_postcodes(typed, insee):
    assert territory.resolve_commune(typed).insee == insee


def test_a_name_without_a_commune_in_the_pays_means_gironde_s_one():
    # Saint-Paul: none in the Pays, one in Gironde, seven elsewhere
    assert territory.resolve_commune("Saint-Paul").label == "Saint-Paul (33390)"


def test_a_given_postcode_decides_between_homonyms():
    assert _department("Cazaux (09120)") == "09"
    assert _department("Lège (31440)") == "31"
    assert _department("Legé 44650") == "44"
    assert territory.resolve_commune("Salles (79800)").insee == "79303"


@pytest.mark.parametrize(
    ("typed", "message", "offered"),
    [
        # A postcode is never overruled: the name does not move to another department.
        ("Cazaux (33120)", "n'a le code postal 33120", "Arcachon (33120)"),
        ("Arcachon (33000)", "n'a le code postal 33000", "Bordeaux (33000)"),
        ("Blabla 33120", "n'a le code postal 33120", "Arcachon (33120)"),
        ("Arcachon 33999", "Aucune commune n'a le code postal 33999", "Arcachon (33120)"),
    ],
)
def test_a_postcode_that_does_not_fit_the_name_is_refused(typed, message, offered):
    with pytest.raises(territory.UnknownCommune, match=message) as caught:
        territory.resolve_commune(typed)
    assert f"« {offered} »" in caught.value.message
    assert offered in caught.value.choices


def test_cazaux_with_a_wrong_postcode_names_both_cazaux():
    with pytest.raises(territory.UnknownCommune) as caught:
        territory.resolve_commune("Cazaux (33120)")
    assert "La Teste-de-Buch (33260)" in caught.value.choices
    assert "Cazaux (09120)" in caught.value.choices


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Indiquez la commune"),
        ("Nulle-Part-sur-Mer", "Commune inconnue"),
        ("Atlantide", "Commune inconnue"),
        ("Inconnue-les-Bains", "Commune inconnue"),
        ("33470", "Plusieurs communes ont le code postal 33470"),  # Gujan and Le Teich
        ("99999", "Commune inconnue : aucune commune"),
        ("Saint-Aubin", "ajoutez le code postal"),  # ten communes, none in Gironde
        ("Arcachon " * 40, "Commune inconnue"),  # longer than any name: not searched
    ],
)
def test_unknown_or_ambiguous_communes_get_a_french_message(typed, message):
    with pytest.raises(territory.UnknownCommune, match=message):
        territory.resolve_commune(typed)


def _offered_back(error: territory.UnknownCommune) -> list:
    """Every choice the message offers, typed back as shown."""
    assert error.choices
    for choice in error.choices:
        assert f"« {choice} »" in error.message, (choice, error.message)
    return [territory.resolve_commune(choice) for choice in error.choices]


@pytest.mark.parametrize(
    "typed", ["33470", "33380", "33830", "Saint-Aubin", "Beaulieu", "Cazaux (33120)"]
)
def test_every_choice_offered_resolves_when_typed_back(typed):
    with pytest.raises(territory.UnknownCommune) as caught:
        territory.resolve_commune(typed)
    communes = _offered_back(caught.value)
    assert len({c.insee for c in communes}) == len(communes)


def test_every_homonym_in_france_is_reachable_by_the_choices_offered():
    """Each name several communes share (spaces aside: « La Celle » and « Lacelle »):
    either one is meant (the Pays', then Gironde's) and the note offers the others, or
    the message offers them; every choice, typed back, is a commune of that name."""
    named: dict[str, list] = {}
    for commune in territory.all_communes():
        named.setdefault(fold(commune.name).replace(" ", ""), []).append(commune)
    places = {}
    for place, commune in territory.places():
        places.setdefault(fold(place).replace(" ", ""), []).append(commune)
    for name, communes in named.items():
        if len(communes) < 2:
            continue
        try:
            reading = territory.read_commune(communes[0].name)
        except territory.UnknownCommune as error:
            offered = _offered_back(error)
            reached = {c.insee for c in offered}
        else:
            reached = {reading.commune.insee}
            for choice in reading.alternatives:
                assert f"« {choice} »" in reading.note
                reached.add(territory.resolve_commune(choice).insee)
        wanted = {c.insee for c in communes + places.get(name, [])}
        assert reached <= wanted, name
        # The message names six at most; those it names all resolve.
        assert len(reached) >= min(len(wanted), 6), name


# --------------------------------------------------------------------- what the form is told


@pytest.mark.parametrize(
    "typed", ["Arcachon", "arcachon", "Arcachon (33120)", "Le Teich", "Lanton 33138"]
)
def test_no_note_when_the_commune_is_what_was_typed(typed):
    assert territory.read_commune(typed).note is None


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        ("Cazaux", "La Teste-de-Buch (33260)"),
        ("Cap Ferret", "Lège-Cap-Ferret (33950)"),
        ("Belin", "Belin-Béliet (33830)"),
        ("Gujan-Mestra", "Gujan-Mestras (33470)"),
        ("33510", "Andernos-les-Bains (33510)"),
        ("La Teste", "La Teste-de-Buch (33260)"),
        ("Salles", "Salles (33770)"),
    ],
)
def test_the_note_names_the_commune_recorded(typed, recorded):
    note = territory.read_commune(typed).note
    assert note is not None and recorded in note


def test_a_local_choice_among_homonyms_says_how_to_pick_another():
    reading = territory.read_commune("Cazaux")
    assert "Cazaux (09120)" in reading.alternatives
    assert "« Cazaux (09120) »" in reading.note
    reading = territory.read_commune("Lège")
    assert {"Lège (31440)", "Legé (44650)"} <= set(reading.alternatives)
    reading = territory.read_commune("Salles")
    assert "Salles (79800)" in reading.alternatives


# --------------------------------------------------------------------- the shipped list


def _places() -> list[dict]:
    with (DATA_DIR / "places.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_listed_place_is_in_the_pays_has_a_source_and_resolves():
    pays = {c.insee: c for c in territory.pays_communes()}
    rows = _places()
    assert rows
    for row in rows:
        assert row["insee"] in pays, row
        assert pays[row["insee"]].name == row["commune"], row
        assert row["source"].strip(), row
        assert territory.resolve_commune(row["place"]).insee == row["insee"], row
        # A place named like a commune of the Pays would hide it.
        assert not any(
            re.sub(" ", "", fold(c.name)) == re.sub(" ", "", fold(row["place"]))
            for c in pays.values()
        ), row


@pytest.mark.parametrize("typed", [None, "", "  ", "Atlantide", "Arcachon"])
def test_commune_note_says_nothing_when_there_is_nothing_to_tell(typed):
    assert territory.commune_note(typed) is None


def test_commune_note_is_the_reading_s_note():
    assert territory.commune_note("Pyla") == territory.read_commune("Pyla").note
