"""Skills: normalisation, taxonomy lookup, suggestions, extraction, fuzzy similarity."""

from __future__ import annotations

import pytest

from connectences import skills

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


def test_normalize():
    assert skills.normalize("  Tenue de la Comptabilité  (générale) ") == (
        "tenue de la comptabilite generale"
    )
    assert skills.normalize("Aide-soignant(e)/AS") == "aide soignant e as"
    assert skills.normalize("Œnologie & Cœur") == "oenologie coeur"
    assert skills.normalize("") == ""


def test_rome_codes_and_labels():
    assert skills.is_rome("M1203")
    assert not skills.is_rome("M120")
    assert not skills.is_rome("Z1203")
    assert not skills.is_rome(None)
    assert "M1203" in skills.rome_codes()
    assert skills.rome_label("M1203") == "Comptabilité"
    assert skills.rome_label("X9999") is None


@pytest.mark.parametrize(
    "written",
    [
        "compta",
        "comptabilite",
        "Comptabilité",
        "saisie comptable",
        "tenue de la comptabilité",
        "comptabilitée",  # typo
        "COMPTABILITE GENERALE",
    ],
)
def test_accounting_in_all_its_forms_meets_comptabilite_generale(written):
    target = skills.concept_of("comptabilité générale")
    assert target is not None
    assert skills.concepts_meet(skills.concept_of(written), target), written


@pytest.mark.parametrize(
    "decoy",
    ["comptage de caisse", "gestion des stocks", "cuisine", "pose de cuisines", "permis B"],
)
def test_decoys_do_not_meet_comptabilite_generale(decoy):
    target = skills.concept_of("comptabilité générale")
    assert not skills.concepts_meet(skills.concept_of(decoy), target), decoy


def test_unknown_or_ambiguous_text_has_no_concept():
    assert skills.concept_of("xqzv blorp") is None
    assert skills.concept_of("") is None
    # One generic word shared by many jobs does not place a text in one of them.
    assert skills.concept_of("gestion") is None


def test_concepts_meet_by_code_or_family():
    assert skills.concepts_meet("A1203", "A1203")
    assert skills.concepts_meet("A12", "A1203")
    assert skills.concepts_meet("A1203", "A12")
    assert not skills.concepts_meet("A1203", "A1201")
    assert not skills.concepts_meet(None, "A1203")


def test_typos_and_missing_accents_find_the_same_job():
    assert skills.concept_of("secretariat") == skills.concept_of("Secrétariat")
    assert skills.concept_of("ostreiculture") == skills.concept_of("ostréiculture")
    assert skills.concept_of("elagueur") == "A1201"


def test_gendered_appellations_are_both_known():
    assert skills.concept_of("Conductrice de tracteur") == "A1101"
    assert skills.concept_of("Conducteur de tracteur") == "A1101"


def test_suggest_offers_jobs_and_skills():
    found = skills.suggest("compta", limit=8)
    assert found and all({"kind", "code", "label"} <= set(s) for s in found)
    assert any(s["code"] == "M1203" for s in found)
    assert skills.suggest("M1203")[0] == {"kind": "rome", "code": "M1203", "label": "Comptabilité"}
    typo = skills.suggest("ostreicultur")
    assert any(s["code"] == "A1404" for s in typo)
    assert skills.suggest("") == []
    assert len(skills.suggest("a", limit=3)) <= 3


def test_extract_skills_from_a_cv_text():
    text = (
        "Expérience : 3 ans en saisie comptable et déclarations de TVA dans un cabinet. "
        "Aussi : taille de haies chez des particuliers. Loisirs : lecture."
    )
    found = skills.extract_skills(text)
    labels = [f["label"].lower() for f in found]
    assert "saisie comptable" in labels
    assert "déclarations de tva" in labels
    assert "taille de haies" in labels
    concepts = {f["label"].lower(): f["concept"] for f in found}
    assert concepts["saisie comptable"] == "M1203"
    assert all(f["concept"] != "lecture" for f in found)


def test_skill_similarity_for_text_the_taxonomy_does_not_know():
    assert skills.skill_similarity("anglais courant", "Anglais courrant") > 90
    assert skills.skill_similarity("logiciel Quadratus", "quadratus logiciel") == 100
    # A shared word alone is not enough.
    assert skills.skill_similarity("gestion", "gestion de la relation fournisseurs") < 80


def test_related_codes_are_neighbouring_jobs_by_taxonomy_vocabulary():
    assert "J1501" in skills.related_codes("K1302")  # aide-soignant beside aide à domicile
    assert "M1203" not in skills.related_codes("M1203")
    assert "A1404" not in skills.related_codes("M1203")  # accounting is no oyster farming
    assert skills.related_codes("X0000") == frozenset()


@pytest.mark.parametrize("word", ["vendeur", "vendeuse", "Vendeuses", "Vendeur / vendeuse"])
def test_a_word_heading_several_jobs_gives_them_all(word):
    from connectences.skills import job_titles

    codes = job_titles.job_choices(word)
    assert len(codes) >= 2 and len(set(codes)) == len(codes)
    tax = skills.taxonomy()
    for code in codes:  # each has an appellation that begins with the word
        heads = {skills.normalize(a).split()[0] for a in tax.codes[code]["appellations"]}
        assert heads & {"vendeur", "vendeuse"}
    # Shop sales in food and in clothing, where "vendeuse en boutique" is placed at once.
    assert skills.concept_of("vendeur en alimentation") in codes
    assert skills.concept_of("vendeuse en boutique") in codes
    examples = job_titles.head_examples(word, codes[0])
    assert examples and all(e.lower().startswith(word.lower().split()[0][:7]) for e in examples)
    assert job_titles.job_choices("xyzzy") == []


@pytest.mark.parametrize(
    ("typed", "trade", "contract"),
    [
        ("saisonnier", "", "saisonnier"),
        ("Saisonnière", "", "saisonnier"),
        ("employé saisonnier", "", "saisonnier"),
        ("renfort pour la saison", "", "saisonnier"),
        ("un CDD", "", "cdd"),
        ("saisonnière en ostréiculture", "ostreiculture", "saisonnier"),
        ("serveuse saisonnière", "serveuse", "saisonnier"),
        ("vendeur en CDD", "vendeur", "cdd"),
        ("vendeur", "vendeur", None),
    ],
)
def test_a_contract_s_words_are_told_apart_from_the_trade(typed, trade, contract):
    from connectences.skills import job_titles

    title = job_titles.split_contract(typed)
    assert (title.trade, title.contract) == (trade, contract)


def test_a_job_named_with_a_contract_word_is_still_that_job():
    from connectences.skills import job_titles

    assert job_titles.exact_job("Saisonnier agricole") == skills.concept_of("Saisonnier agricole")
    assert job_titles.exact_job("saisonnier agricole") is not None
    # A skill's name is not a job's: "saison" is a skill of a kitchen's job.
    assert job_titles.exact_job("saison") is None
