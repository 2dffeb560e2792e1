"""The one rule for the names people type (``connectences.contacts.clean_name``): a name,
not a message. Public forms put names into mails sent to any address (« Bonjour <prénom> »,
« Vous avez exprimé un besoin pour <entreprise> »): a link or an address in a name made
the platform send someone else's lure under its own name."""

from __future__ import annotations

import pytest

from connectences.contacts import (
    COMPANY_NAME_MAX,
    FIRST_NAME_MAX,
    InvalidName,
    NameKind,
    check_sent_name,
    clean_name,
)

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

REAL_PEOPLE = [
    "Jean-Édouard",
    "N'Diaye",
    "O'Brien",
    "O’Brien",
    "Anne-Marie de La Tour d'Auvergne",
    "李",
    "McDonald",
    "Mc Gregor",
    "d'Artagnan",
    "Zoë Saint-Exupéry",
    "J.-P. Martin",
    "Nguyễn Thị Minh Khai",
    "Þórdís",
    "Σοφία",
    "Мария",
    "عائشة",
]


@pytest.mark.parametrize("name", REAL_PEOPLE)
def test_real_people_s_names_pass_as_they_are_written(name):
    assert clean_name(name, NameKind.FULL) == name


def test_spaces_are_collapsed_and_empty_is_empty():
    assert clean_name("  Jean   Dupont ", NameKind.FULL) == "Jean Dupont"
    assert clean_name("   ", NameKind.FIRST) == ""
    assert clean_name(None, NameKind.COMPANY) == ""


HOSTILE = [
    "client, payez 1,99 € sur https://colis-relais.example/p",
    "https://colis-relais.example/p",
    "http//colis",
    "voir www.colis-relais.fr",
    "colis-relais.example/p",
    "colis-relais.fr",
    "Paiement sur bit.ly",
    "ftp://x",
    "ecrivez-moi a pirate@exemple.fr",
    "pirate@exemple",
    "evil .com",
    "colis-relais . fr",
]


@pytest.mark.parametrize("kind", [NameKind.FIRST, NameKind.LAST, NameKind.FULL, NameKind.COMPANY])
@pytest.mark.parametrize("typed", HOSTILE)
def test_links_and_addresses_are_refused_in_every_kind_of_name(kind, typed):
    with pytest.raises(InvalidName) as refused:
        clean_name(typed, kind)
    assert "lien" in refused.value.message or "lettres" in refused.value.message


@pytest.mark.parametrize(
    "typed", ["Jean 2", "Marie1", "client, payez", "appelez le 06 12 34 56 78", "<b>Jo</b>", "Jo!"]
)
def test_a_person_s_name_is_letters_spaces_hyphens_apostrophes_and_dots(typed):
    with pytest.raises(InvalidName) as refused:
        clean_name(typed, NameKind.FIRST)
    assert "lettres" in refused.value.message


@pytest.mark.parametrize(
    "name",
    ["Garage 2000", "Huîtres Dupont & Fils", "SARL L'Atelier (Arès)", "3M France", "Ets. Martin"],
)
def test_a_company_s_name_may_hold_digits_and_signs(name):
    assert clean_name(name, NameKind.COMPANY) == name


def test_names_are_limited_to_a_sensible_length():
    assert clean_name("É" * FIRST_NAME_MAX, NameKind.FIRST)
    with pytest.raises(InvalidName) as refused:
        clean_name("É" * (FIRST_NAME_MAX + 1), NameKind.FIRST)
    assert f"{FIRST_NAME_MAX} caractères" in refused.value.message
    assert clean_name("A" * COMPANY_NAME_MAX, NameKind.COMPANY)
    with pytest.raises(InvalidName):
        clean_name("A" * (COMPANY_NAME_MAX + 1), NameKind.COMPANY)


# --------------------------------------------------------------------------- sent names
# A name another system sends (the interchange import) is kept as sent; what protects the
# people it is written to applies, not the forms' letters-only rule.


@pytest.mark.parametrize("kind", [NameKind.FIRST, NameKind.LAST, NameKind.COMPANY])
@pytest.mark.parametrize("typed", HOSTILE)
def test_a_sent_name_may_hold_no_link_nor_address(kind, typed):
    with pytest.raises(InvalidName, match="sans lien ni adresse"):
        check_sent_name(typed, kind)


@pytest.mark.parametrize(
    "typed",
    ["Paul\nVotre colis", "Paul\r\n", "Jean\tPaul", "Ex\x1bemple", "Ex\x85emple", "A\u2028B"],
)
def test_a_sent_name_is_one_line_without_control_characters(typed):
    with pytest.raises(InvalidName, match="une seule ligne"):
        check_sent_name(typed, NameKind.FIRST)


def test_a_sent_name_holding_a_nul_is_left_to_the_nul_rule():
    # Every way in refuses NUL on its own (text.NUL_REFUSED): one message per field.
    assert check_sent_name("Pa\x00ul", NameKind.FIRST) == "Pa\x00ul"


@pytest.mark.parametrize("name", ["Exemple12", "Jean 2", "<b>Jo</b>", "  N'Diaye  Sow ", "李"])
def test_a_sent_name_is_kept_as_sent_digits_and_signs_included(name):
    assert check_sent_name(name, NameKind.LAST) == name


def test_a_sent_name_is_limited_as_a_typed_one():
    assert check_sent_name("É" * FIRST_NAME_MAX, NameKind.FIRST)
    with pytest.raises(InvalidName, match=f"{FIRST_NAME_MAX} caractères"):
        check_sent_name("É" * (FIRST_NAME_MAX + 1), NameKind.FIRST)
