"""Skills that express a criterion French law forbids in hiring (Code du travail L1132-1).

The table is the rule's specification: what must be caught, with the criterion named,
and what must never be (real skills and jobs that merely share a word with a criterion).
"""

from __future__ import annotations

import pytest

from connectences.skills import forbidden
from connectences.skills.forbidden import (
    AGE,
    APPEARANCE,
    FAMILY,
    GENDER_IDENTITY,
    HEALTH,
    OPINIONS,
    ORIENTATION,
    ORIGIN,
    PREGNANCY,
    RELIGION,
    SEX,
    forbidden_criterion,
)

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

CAUGHT = [
    # The audit's list.
    ("homme", SEX),
    ("femme", SEX),
    ("un homme", SEX),
    ("femme uniquement", SEX),
    ("sexe masculin", SEX),
    ("H uniquement", SEX),
    ("moins de 30 ans", AGE),
    ("25-35 ans", AGE),
    ("âge maximum 40", AGE),
    ("55 ans", AGE),
    ("jeune", AGE),
    ("jeune homme", AGE),
    ("nationalité française", ORIGIN),
    ("français de naissance", ORIGIN),
    ("origine européenne", ORIGIN),
    ("célibataire", FAMILY),
    ("marié(e)", FAMILY),
    ("sans enfant", FAMILY),
    ("pas d'enfants", FAMILY),
    ("enceinte", PREGNANCY),
    ("non enceinte", PREGNANCY),
    ("bonne santé", HEALTH),
    ("en bonne santé", HEALTH),
    ("pas de handicap", HEALTH),
    ("non handicapé", HEALTH),
    ("catholique", RELIGION),
    ("musulman", RELIGION),
    ("religion", RELIGION),
    ("hétérosexuel", ORIENTATION),
    ("belle apparence", APPEARANCE),
    ("physique agréable", APPEARANCE),
    ("non syndiqué", OPINIONS),
    # Our additions: other spellings, plurals, word orders and criteria of L1132-1.
    ("HOMME", SEX),
    ("Homme.", SEX),
    ("une femme", SEX),
    ("de préférence une femme", SEX),
    ("homme de préférence", SEX),
    ("sexe féminin", SEX),
    ("masculin", SEX),
    ("F uniquement", SEX),
    ("hommes uniquement", SEX),
    ("candidat homme", SEX),
    ("profil féminin", SEX),
    ("jeune femme", AGE),
    ("jeune fille", AGE),
    ("moins de 25 ans", AGE),
    ("plus de 50 ans", AGE),
    ("+ de 45 ans", AGE),
    ("40 ans maximum", AGE),
    ("entre 25 et 35 ans", AGE),
    ("âgé de 25 à 35 ans", AGE),
    ("âge", AGE),
    ("18-25 ans", AGE),
    ("né après 1990", AGE),
    ("la trentaine", AGE),
    ("nationalité", ORIGIN),
    ("origine maghrébine", ORIGIN),
    ("origines", ORIGIN),
    ("née en France", ORIGIN),
    ("couleur de peau", ORIGIN),
    ("français de souche", ORIGIN),
    ("ethnie", ORIGIN),
    ("mariée", FAMILY),
    ("pacsé", FAMILY),
    ("divorcée", FAMILY),
    ("célibataire sans enfant", FAMILY),
    ("situation de famille", FAMILY),
    ("mère de famille", FAMILY),
    ("aucun enfant", FAMILY),
    ("femme sans enfant", FAMILY),
    ("mère au foyer", FAMILY),
    ("sans enfants à charge", FAMILY),
    ("femme enceinte", PREGNANCY),
    ("pas enceinte", PREGNANCY),
    ("ne pas être enceinte", PREGNANCY),
    ("pas de grossesse", PREGNANCY),
    ("grossesse", PREGNANCY),
    ("parfaite santé", HEALTH),
    ("état de santé", HEALTH),
    ("sans handicap", HEALTH),
    ("aucun handicap", HEALTH),
    ("pas de maladie chronique", HEALTH),
    ("RQTH", HEALTH),
    ("musulmane", RELIGION),
    ("chrétien", RELIGION),
    ("juive", RELIGION),
    ("athée", RELIGION),
    ("non pratiquant", RELIGION),
    ("non voilée", RELIGION),
    ("convictions religieuses", RELIGION),
    ("homosexuel", ORIENTATION),
    ("hétéro", ORIENTATION),
    ("lesbienne", ORIENTATION),
    ("orientation sexuelle", ORIENTATION),
    ("transgenre", GENDER_IDENTITY),
    ("identité de genre", GENDER_IDENTITY),
    ("apparence", APPEARANCE),
    ("jolie", APPEARANCE),
    ("mince", APPEARANCE),
    ("physique avantageux", APPEARANCE),
    ("sans tatouage", APPEARANCE),
    ("syndiqué", OPINIONS),
    ("pas d'activité syndicale", OPINIONS),
    ("opinions politiques", OPINIONS),
    ("apolitique", OPINIONS),
    # The second audit: a criterion said with a word of character or of availability
    # ("dynamique", "motivé"), a plural, a negation, a person named for a task.
    ("jeune et dynamique", AGE),
    # The third audit: a union named, a nationality named after "origine" or a birth.
    ("syndiqué CGT", OPINIONS),
    ("non syndiqué FO", OPINIONS),
    ("pas de CGT", OPINIONS),
    ("origine portugaise", ORIGIN),
    ("nationalité marocaine", ORIGIN),
    ("d'origine italienne", ORIGIN),
    ("née en Pologne", ORIGIN),
    ("de type asiatique", ORIGIN),
    ("jeune homme dynamique", AGE),
    ("jeune motivé", AGE),
    ("retraité", AGE),
    ("retraitée", AGE),
    ("pas de retraités", AGE),
    ("senior exclu", AGE),
    ("junior uniquement", AGE),
    ("jeunes uniquement", AGE),
    ("pas trop âgé", AGE),
    ("vieux", AGE),
    ("pas trop vieux", AGE),
    ("homme motivé", SEX),
    ("homme costaud", SEX),
    ("femme sérieuse", SEX),
    ("homme pour manutention", SEX),
    ("femme pour ménage", SEX),
    ("homme de préférence pour la manutention", SEX),
    ("un homme pour porter les charges", SEX),
    ("pas de grossesse prévue", PREGNANCY),
    ("pas de projet de grossesse", PREGNANCY),
    ("femmes enceintes", PREGNANCY),
    ("pas d'étrangers", ORIGIN),
    ("pas de noirs", ORIGIN),
    ("pas d'arabes", ORIGIN),
    ("peau blanche", ORIGIN),
    ("européen uniquement", ORIGIN),
    ("sans voile", RELIGION),
    ("pas de voile", RELIGION),
    ("pas de trans", GENDER_IDENTITY),
    ("personne valide", HEALTH),
    ("valide uniquement", HEALTH),
    ("sans contraintes familiales", FAMILY),
    ("disponible sans enfants", FAMILY),
    ("père de famille", FAMILY),
    # Our additions to it: the same rules at their edges.
    ("RETRAITÉ", AGE),
    ("retraités exclus", AGE),
    ("retraites exclus", AGE),
    ("senior 55 ans", AGE),
    ("personne de moins de 30 ans", AGE),
    ("jeunes de moins de 25 ans uniquement", AGE),
    ("une jeune fille pour garder les enfants", AGE),
    ("H pour manutention", SEX),
    ("homme fort", SEX),
    ("pas de femmes enceintes", PREGNANCY),
    ("pays de naissance", ORIGIN),
    ("peau noire", ORIGIN),
    ("française uniquement", ORIGIN),
    ("voile obligatoire", RELIGION),
    ("sans tatouage visible", APPEARANCE),
    ("mère sans enfant", FAMILY),
    # A person named with a qualification, as with a task: the qualification is a
    # skill, the person beside it a requirement.
    ("homme avec CACES", SEX),
    ("H avec permis B", SEX),
    ("femme ayant de l'expérience en vente", SEX),
    ("homme titulaire du CACES 3", SEX),
    ("fille titulaire du bac", SEX),
    ("garçon capable de porter des charges", SEX),
    ("jeune avec permis B", AGE),
    ("jeune sachant nager", AGE),
    ("jeunes avec BAFA pour animation", AGE),
    # An origin said with "type", a group of a criterion said welcome.
    ("type européen", ORIGIN),
    ("de type caucasien", ORIGIN),
    ("jeunes bienvenus", AGE),
    ("femmes bienvenues", SEX),
]

ALLOWED = [
    "débutants bienvenus",
    "cuisine de type asiatique",
    "caucasien",
    # The audit's list: real skills and jobs.
    "femme de chambre",
    "valet de chambre",
    "homme toutes mains",
    "homme d'entretien",
    "garde d'enfants",
    "accompagnement de personnes en situation de handicap",
    "aide aux personnes âgées",
    "français courant",
    "français langue étrangère",
    "anglais",
    "5 ans d'expérience",
    "3 ans d'ancienneté",
    "H/F",
    "agent de propreté H/F",
    "permis B",
    "CACES",
    "santé au travail",
    "auxiliaire de puériculture",
    "pâtisserie orientale",
    "cuisine du monde",
    "soins esthétiques",
    "religieuse au chocolat",
    "jeune plant (horticulture)",
    # Our additions: where a criterion's word names a trade, a product, a public or a
    # language, and what a lone word says too little about to be refused.
    "F/H",
    "homme ou femme",
    "homme de ménage",
    "femme de ménage",
    "sage-femme",
    "coiffure homme",
    "coupe femme",
    "prêt-à-porter femme",
    "football féminin",
    "accompagnement des femmes victimes de violences",
    "suivi de grossesse",
    "préparation à la naissance",
    "installation d'enceintes acoustiques",
    "enceinte connectée",
    "santé",
    "handicap",
    "personnes âgées",
    "personnes handicapées",
    "éducation à la santé",
    "bonne présentation",
    "enfants",
    "petite enfance",
    "accueil du jeune enfant",
    "jeune public",
    "jeunes",
    "animation jeunesse",
    "moins de 3 ans (petite enfance)",
    "2 ans",
    "15 ans d'expérience",
    "30 ans d'expérience",
    "troisième âge",
    "animation 3e âge",
    "histoire du Moyen Âge",
    "français",
    "arabe",
    "espagnol courant",
    "langue des signes française",
    "cuisine européenne",
    "boucherie halal",
    "cuisine casher",
    "enseignement catholique",
    "droit de la famille",
    "médiation familiale",
    "organisation de mariages",
    "assistante maternelle",
    "physique-chimie",
    "physique",
    "politique commerciale",
    "sciences politiques",
    "gestion de syndicat de copropriété",
    "taille de haies",
    "noir et blanc",
    "vente de vêtements homme",
    "garçon de café",
    "Père Noël",
    "éducateur en foyer de jeunes travailleurs",
    "famille d'accueil",
    "jeune diplômé",
    "bonne condition physique",
    "éducation sexuelle",
    "origine contrôlée",
    "travail en équipe",
    "Excel",
    "",
    "   ",
    "H",
    "20 h maximum",
    "pas plus de 48 h",
    "35 h",
    # The second audit: a public described by its age is who the work serves, not the
    # worker; a word of a criterion that also names a thing, a sport or a document.
    "personnes âgées de plus de 60 ans",
    "enfants de moins de 16 ans",
    "enfants de moins de 18 ans",
    "accueil d'enfants de moins de 3 ans",
    "mère et enfant",
    "naissance",
    "accompagnement à la naissance",
    "moniteur de voile",
    "voile",
    "permis valide",
    "gestion des retraites",
    "caisse de retraite",
    "disponible le week-end",
    "projet",
    "gestion de projet",
    "anglais courant",
    # The third audit: a language, a cuisine or a union word that asks nothing of a person.
    "anglais",
    "portugais",
    "portugais courant",
    "bilingue espagnol",
    "cuisine italienne",
    "pâtisserie portugaise",
    "CGT",
    "droit syndical",
    "relations avec la CFDT",
    "conseiller prud'homme",
    "accompagnement du handicap",
    "auxiliaire de vie",
    "jeune plant",
    "mère de vinaigre",
    "3 ans minimum d'expérience",
    "service en salle",
    "sérieux",
    "dynamique",
    # Our additions to it: what the new rules must leave alone.
    "retraite",
    "préparation à la retraite",
    "homme ou femme pour manutention",
    "femme de ménage pour particuliers",
    "femme de chambre pour hôtel",
    "parfum pour homme",
    "jeunes de 16 à 25 ans",
    "seniors de plus de 60 ans",
    "patients de plus de 60 ans",
    "développeur senior",
    "senior",
    "français obligatoire",
    "arabe souhaité",
    "France uniquement",
    "mère-enfant",
    "soins peau noire",
    "diplôme validé",
    "restauration de vieilles pierres",
    "enceintes bluetooth",
    "disponible immédiatement",
    # A job title or a both-sexes text before the link stays a skill; "validé" is a
    # diploma's, not the worker's health.
    "homme ou femme avec CACES",
    "femme de chambre avec expérience",
    "homme d'entretien avec permis",
    "garde d'enfants avec permis",
    "cuisinier avec expérience",
    "jeune plant avec racines",
    "20 h avec pause",
    "validé",
    "validés",
    "permis validé",
]


@pytest.mark.parametrize(("text", "criterion"), CAUGHT)
def test_a_forbidden_criterion_is_named(text, criterion):
    assert forbidden_criterion(text) == criterion


@pytest.mark.parametrize("text", ALLOWED)
def test_a_real_skill_is_never_refused(text):
    assert forbidden_criterion(text) is None


def test_every_criterion_is_caught_and_named_in_french():
    named = {criterion for _, criterion in CAUGHT}
    assert named == set(forbidden.CRITERIA)
    for criterion in forbidden.CRITERIA:
        assert criterion.startswith(("l'", "le ", "la ", "les "))


def test_no_term_of_the_taxonomy_or_the_skill_concepts_is_refused():
    # Thousands of job titles, skills, tools and diplomas as the data words them: the
    # rule must let every one of them through (femme de chambre, sage-femme...).
    from connectences.skills.concepts import concept_index
    from connectences.skills.taxonomy import taxonomy

    labels = {term.label for term in taxonomy().terms}
    labels |= {hit.term for hits in concept_index().phrases.values() for hit in hits}
    labels |= {c.label for c in concept_index().concepts.values()}
    refused = sorted(label for label in labels if forbidden_criterion(label))
    assert refused == []


def test_refusal_names_the_skill_the_criterion_and_the_law():
    assert forbidden.refusal("moins de 30 ans", AGE) == (
        "« moins de 30 ans » : la plateforme ne tient jamais compte de l'âge "
        "(critère interdit par la loi, article L1132-1 du Code du travail). Retirez-le."
    )
    assert forbidden.refusal("homme", SEX) == (
        "« homme » : la plateforme ne tient jamais compte du sexe "
        "(critère interdit par la loi, article L1132-1 du Code du travail). Retirez-le."
    )
    assert "des convictions religieuses" in forbidden.refusal("catholique", RELIGION)


def test_problem_of_a_list_names_each_forbidden_skill_once():
    assert forbidden.forbidden_problem(["comptabilité", "permis B"]) is None
    one = forbidden.forbidden_problem(["comptabilité", "moins de 30 ans"])
    assert one == forbidden.refusal("moins de 30 ans", AGE)
    several = forbidden.forbidden_problem(
        ["comptabilité", "homme", "moins de 30 ans", "nationalité française", "femme"]
    )
    assert several == (
        "« homme », « moins de 30 ans », « nationalité française » et « femme » : la "
        "plateforme ne tient jamais compte du sexe, de l'âge ni de la nationalité ou de "
        "l'origine (critères interdits par la loi, article L1132-1 du Code du travail). "
        "Retirez-les."
    )


def test_set_aside_says_why_in_the_explanation_words():
    assert forbidden.set_aside("homme", SEX) == (
        "« homme » écarté : la loi interdit de choisir selon le sexe "
        "(article L1132-1 du Code du travail)."
    )


def test_the_skill_reader_refuses_a_forbidden_skill():
    from connectences.skills import skills_problem, split_skills

    labels = split_skills("comptabilité\nmoins de 30 ans")
    assert skills_problem(labels, 20) == forbidden.refusal("moins de 30 ans", AGE)
    assert skills_problem(split_skills("femme de chambre, H/F"), 20) is None
