"""One rule for the commune a person types, in every form and import."""

import pytest

from connectences import territory
from tests import factories as f

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("Arcachon", f.ARCACHON),
        ("  arcachon ", f.ARCACHON),
        ("arcachon (33120)", f.ARCACHON),
        ("lege cap ferret", "33236"),
        ("Gujan-Mestras (33470)", f.GUJAN),
        ("33120", f.ARCACHON),  # Arcachon's postcode, not the INSEE code of Cérons
        ("33260", f.LA_TESTE),  # La Teste's postcode, not the INSEE code of Lugos
        ("33009", f.ARCACHON),  # an INSEE code that no postcode uses
        ("33529", f.LA_TESTE),
        ("2A004", "2A004"),  # Ajaccio, Corsican INSEE code
    ],
)
def test_communes_people_type(typed, insee):
    assert territory.resolve_commune(typed).insee == insee


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Indiquez la commune"),
        ("Nulle-Part-sur-Mer", "Commune inconnue"),
        ("33470", "Plusieurs communes ont le code postal 33470"),  # Gujan and Le Teich
        ("99999", "Commune inconnue : aucune commune"),
        ("Saint-Paul", "ajoutez le code postal"),  # many communes, none in the Pays
    ],
)
def test_unknown_or_ambiguous_communes_get_a_french_message(typed, message):
    with pytest.raises(territory.UnknownCommune, match=message):
        territory.resolve_commune(typed)


def test_a_name_shared_elsewhere_means_the_pays_one():
    # "Le Teich" exists once; "Salles" exists in several departments, the Pays has one.
    assert territory.resolve_commune("Salles").epci == f.VAL_DE_L_EYRE
