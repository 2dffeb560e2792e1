"""The one rule for typed e-mail addresses, phone numbers and websites
(``connectences.contacts``)."""

from __future__ import annotations

import pytest

from connectences.contacts import (
    InvalidEmail,
    InvalidPhone,
    InvalidWebsite,
    clean_email,
    clean_phone,
    clean_website,
    email_key,
    likely_typo,
    phone_from_number,
    phone_key,
)

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


@pytest.mark.parametrize(
    "typed",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "06/12/34/56/78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "0033 6 12 34 56 78",
        " +33612345678 ",
    ],
)
def test_french_numbers_are_stored_in_national_form(typed):
    assert clean_phone(typed) == "0612345678"
    # The stored form is its own comparison key: a stored number finds itself.
    assert phone_key(typed) == "0612345678"


@pytest.mark.parametrize("typed", ["+33612345678", "06 12 34 56 78", "0612345678"])
def test_numbers_as_a_csv_exported_by_excel_writes_them(typed):
    assert clean_phone(typed) == "0612345678"


def test_a_number_that_lost_its_zero_as_text_is_refused_saying_what_is_missing():
    # Text is what someone typed: the digit missing may be any, so it is not guessed.
    for typed in ("6 12 34 56 78", "612345678"):
        with pytest.raises(InvalidPhone) as caught:
            clean_phone(typed)
        assert "il manque un chiffre" in caught.value.message
        assert "S'il manque le 0 du début, écrivez 06 12 34 56 78." in caught.value.message


@pytest.mark.parametrize("number", [612345678, 612345678.0, 6.12345678e8])
def test_a_number_cell_of_nine_digits_is_a_french_number_without_its_zero(number):
    assert phone_from_number(number) == "0612345678"
    assert phone_from_number(123456789) == "0123456789"


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (612345678.5, "« 612345678,5 » est un nombre à virgule"),
        (61234567, "« 61234567 » n'est pas un numéro de téléphone valide"),
        (6123456789, "« 6123456789 » n'est pas un numéro de téléphone valide"),
        (33612345678.0, "« 33612345678 » n'est pas un numéro de téléphone valide"),
        (-612345678, "« -612345678 »"),
        (0, "« 0 »"),
    ],
)
def test_any_other_number_cell_is_refused_in_french(number, shown):
    with pytest.raises(InvalidPhone) as caught:
        phone_from_number(number)
    assert caught.value.message.startswith(shown)
    assert "au format Texte" in caught.value.message
    with pytest.raises(TypeError):
        phone_from_number(True)


def test_foreign_numbers_keep_their_country_code_unless_refused():
    assert clean_phone("+44 20 7946 0958") == "+442079460958"
    assert clean_phone("0044 20 7946 0958") == "+442079460958"
    with pytest.raises(InvalidPhone):
        clean_phone("+44 20 7946 0958", foreign=False)


def test_empty_phone_is_none():
    assert clean_phone("") is None
    assert clean_phone(None) is None
    assert clean_phone("   ") is None


@pytest.mark.parametrize(
    "typed",
    ["12 34", "123456", "abc", "06 12 34 56 78 poste 12", "6 12 34 56 78", "33612345678", "00"],
)
def test_what_is_not_a_phone_number_is_refused_in_french(typed):
    with pytest.raises(InvalidPhone) as caught:
        clean_phone(typed)
    assert "n'est pas un numéro de téléphone valide" in str(caught.value)


def test_email_stored_form_is_checked_and_lower_case():
    assert clean_email("  Marie.Dupont@Exemple.FR ") == "marie.dupont@exemple.fr"
    assert clean_email("") is None
    assert clean_email(None) is None
    for bad in ("pas-une-adresse", "claire@", "a@b", "x" * 250 + "@exemple.fr"):
        with pytest.raises(InvalidEmail) as caught:
            clean_email(bad)
        assert "n'est pas une adresse e-mail valide" in str(caught.value)


def test_email_key_is_lenient():
    assert email_key("  Marie.Dupont@Exemple.FR ") == "marie.dupont@exemple.fr"
    assert email_key("pas-une-adresse") == "pas-une-adresse"
    assert email_key("  ") is None


def test_profile_uses_the_one_rule():
    # Before the rule was shared, a profile kept "+33612345678" while the duplicate
    # key said "0612345678": the national form is now what is stored too.
    from connectences.cvtheque.profile import clean_profile

    clean = clean_profile(
        {"email": "Camille@Exemple.fr", "phone": "+33 6 12 34 56 78"}, partial=True
    )
    assert clean == {"email": "camille@exemple.fr", "phone": "0612345678"}


def test_a_required_address_refuses_empty_input_in_french():
    with pytest.raises(InvalidEmail, match="Indiquez votre adresse e-mail"):
        clean_email("   ", required=True)
    assert clean_email(" Lea@Exemple.FR ", required=True) == "lea@exemple.fr"


@pytest.mark.parametrize(
    "typed", [" Marie.Dupont@Exemple.FR ", "marie.dupont@exemple.fr", "MARIE.DUPONT@EXEMPLE.FR"]
)
def test_the_comparison_key_of_an_address_is_its_stored_form(typed):
    assert email_key(typed) == clean_email(typed) == "marie.dupont@exemple.fr"


def test_the_comparison_key_of_junk_is_what_was_typed_in_lower_case():
    assert email_key("  Pas Une Adresse ") == "pas une adresse"
    assert email_key("") is None and email_key(None) is None


@pytest.mark.parametrize(
    "typed,meant",
    [
        ("sophie.martin@gmial.com", "sophie.martin@gmail.com"),
        ("sophie.martin@gmail.fr", "sophie.martin@gmail.com"),
        ("sophie.martin@gmal.com", "sophie.martin@gmail.com"),
        ("sophie.martin@gmail.con", "sophie.martin@gmail.com"),
        ("sophie.martin@hotmial.com", "sophie.martin@hotmail.com"),
        ("sophie.martin@hotmail.fe", "sophie.martin@hotmail.fr"),
        ("sophie.martin@yahou.fr", "sophie.martin@yahoo.fr"),
        ("sophie.martin@ornage.fr", "sophie.martin@orange.fr"),
        ("sophie.martin@wanadoo.ft", "sophie.martin@wanadoo.fr"),
        ("sophie.martin@laposte.nt", "sophie.martin@laposte.net"),
    ],
)
def test_a_common_mailbox_domain_mistyped_is_pointed_out(typed, meant):
    assert likely_typo(typed) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "sophie.martin@gmail.com",
        "sophie.martin@orange.fr",
        "sophie.martin@wanadoo.fr",
        "sophie.martin@yahoo.fr",
        "sophie.martin@hotmail.fr",
        "sophie.martin@hotmail.com",
        "sophie.martin@laposte.net",
        "sophie.martin@laposte.fr",
        "sophie.martin@free.fr",
        "sophie.martin@sfr.fr",
        "claire@huitres-dupont.fr",
        "contact@mairie-ares.fr",
        "pas une adresse",
        "",
        None,
    ],
)
def test_a_right_or_unknown_domain_is_left_alone(typed):
    assert likely_typo(typed) is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("www.exemple.fr", "https://www.exemple.fr"),
        ("exemple.fr", "https://exemple.fr"),
        ("  exemple.fr/contact  ", "https://exemple.fr/contact"),
        ("https://exemple.fr/page", "https://exemple.fr/page"),
        ("http://exemple.fr", "http://exemple.fr"),
        # The scheme and the host are case-blind; the path is kept as typed.
        ("HTTPS://WWW.Exemple.FR/Nos-Horaires?x=1#plan", "https://www.exemple.fr/Nos-Horaires?x=1#plan"),
        ("exemple.fr:8080/page", "https://exemple.fr:8080/page"),
        ("boulangerie-du-port.fr", "https://boulangerie-du-port.fr"),
        ("www.boulangerie-du-port.fr", "https://www.boulangerie-du-port.fr"),
        ("exémple.fr", "https://exémple.fr"),
        # The host as browsers read it (NFKC), so that the link reads where it leads:
        # full-width letters, a ligature, an accent typed apart, a dot look-alike.
        ("https://ｅｘｅｍｐｌｅ.fr/Ｐage", "https://exemple.fr/Ｐage"),
        ("https://\ufb01le.fr", "https://file.fr"),
        ("exe\u0301mple.fr", "https://exémple.fr"),
        ("exemple.fr\u2024autre.example", "https://exemple.fr.autre.example"),
        # One alphabet throughout, however far from Latin.
        ("пример.рф", "https://пример.рф"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)  # fmt: skip
def test_a_website_is_stored_with_its_scheme(typed, stored):
    assert clean_website(typed) == stored


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("javascript:alert(1)", "n'est pas l'adresse d'un site web"),
        ("JavaScript://exemple.fr/%0aalert(1)", "n'est pas l'adresse d'un site web"),
        ("data:text/html,<b>x</b>", "caractères"),
        ("data:text/html;base64,PHNjcmlwdD4=", "n'est pas l'adresse d'un site web"),
        ("ftp://exemple.fr", "n'est pas l'adresse d'un site web"),
        ("mailto:contact@exemple.fr", "n'est pas l'adresse d'un site web"),
        ("www.exemple .fr", "pas d'espace"),
        ("https://exemple.fr/a\tb", "pas d'espace"),
        ("exemple", "n'est pas une adresse de site web"),
        # « www. » and a name, its end left out: no site, whatever the name.
        (
            "www.monfournil",
            "il manque la fin du nom du site (.fr, .com…), par exemple www.monfournil.fr",
        ),
        ("https://WWW.Fournil/", "par exemple www.fournil.fr"),
        ("https://localhost/", "n'est pas une adresse de site web"),
        ("http://192.168.1.1", "n'est pas une adresse de site web"),
        ("exemple..fr", "n'est pas une adresse de site web"),
        ("-exemple.fr", "n'est pas une adresse de site web"),
        ("https://[abc", "n'est pas une adresse de site web"),
        ("https://exemple.fr:99999", "n'est pas une adresse de site web"),
        ("//exemple.fr", "n'est pas une adresse de site web"),
        # What leads elsewhere than it reads.
        ("https://exemple.fr@autre.example", "identifiant"),
        ("https://exemple.fr\\@autre.example", "caractères"),
        # Latin, Cyrillic and Greek letters that look alike, mixed: « paypal » in Cyrillic
        # but its « l », a Cyrillic name under « .com », a Greek β for a b.
        ("https://\u0440\u0430\u0443\u0440\u0430l.com", "alphabets différents"),
        ("\u043f\u0440\u0438\u043c\u0435\u0440.com", "alphabets différents"),
        ("https://\u03b2eta.fr", "alphabets différents"),
        ('"><script>alert(1)</script>', "caractères"),
        ("exemple.fr/\x00", "caractères"),
        ("exemple.fr/" + "a" * 300, "ne doit pas dépasser 300 caractères (311 saisis)"),
        # Within the limit as typed, over it once the scheme is added.
        ("exemple.fr/" + "a" * 285, "une fois « https:// » ajouté"),
    ],
)
def test_what_is_no_website_is_refused_in_french(typed, words):
    with pytest.raises(InvalidWebsite) as caught:
        clean_website(typed)
    assert words in caught.value.message
    assert "\x00" not in caught.value.message


def test_a_website_limit_is_the_callers():
    assert clean_website("exemple.fr/abc", limit=30) == "https://exemple.fr/abc"
    with pytest.raises(InvalidWebsite):
        clean_website("exemple.fr/" + "a" * 20, limit=30)
