"""One accent folding for every area that compares or slugs text."""

from __future__ import annotations

import pytest

from connectences.contacts import fold_name
from connectences.prospection.companies import new_company_ref
from connectences.skills.text import normalize as fold_skill
from connectences.territory.text import fold as fold_place
from connectences.text import slug, strip_accents


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Lège-Cap-Ferret", "Lege-Cap-Ferret"),
        ("Œuvre cœur", "OEuvre coeur"),
        ("Ægir, Straße", "AEgir, Strasse"),
        ("", ""),
        (None, ""),
    ],
)
def test_strip_accents_keeps_case_and_spells_ligatures_out(text, expected):
    assert strip_accents(text) == expected


def test_slug_is_ascii_words_joined_by_hyphens():
    assert slug("La Mie Dorée — Œufs & Cie") == "la-mie-doree-oeufs-cie"
    assert slug("Bjørn") == "bj-rn"  # a letter with no ASCII form never leaks into a ref


def test_every_area_folds_accents_and_ligatures_alike():
    # The commune search once dropped "œ" and the name keys a capital "Œ": each area
    # now reads "Œ" and "œ" as "oe", whatever its own word rules.
    assert fold_place("Sainte-Œuvre-du-Cœur") == "sainte oeuvre du coeur"
    assert fold_name("ŒHLER Cœur") == "oehler coeur"
    assert fold_skill("Chef de cœur, ŒNOLOGIE") == "chef de coeur oenologie"


def test_company_refs_use_the_same_slug(app):
    from connectences.extensions import db

    assert new_company_ref(db.session, "Le Bœuf Doré") == "ent-le-boeuf-dore"
