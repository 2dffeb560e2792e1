"""Matching never uses a skill that expresses a criterion the law forbids (L1132-1).

The audit's case: a need asking for ["comptabilité", "homme", "moins de 30 ans",
"nationalité française"] scored a candidate with those same skills 100 and one with
["comptabilité", "femme", "55 ans", "célibataire sans enfant"] 66.3, and its
explanation listed « homme », « moins de 30 ans »… as met or not. Every path of the
matcher must now give both the same score and name the forbidden terms only to say
they were set aside: the scorer, the columnar index, the stored data, "pourquoi pas",
and the pooling of needs.
"""

from __future__ import annotations

import pytest

from connectences.extensions import db
from connectences.matching.index import CandidateIndex
from connectences.matching.matches import explain_candidate, match_need
from connectences.matching.pool import pool
from connectences.matching.score import SET_ASIDE, explain_pair, rank_candidates, score_pair
from connectences.models import Candidate, Need
from connectences.vocab import DAYS
from tests.factories import candidate as candidate_item
from tests.factories import candidate_data, company, document, load, need_data
from tests.factories import need as need_item
from tests.helpers import html_of

NEED_SKILLS = ("comptabilité", "homme", "moins de 30 ans", "nationalité française")
SAME = ("comptabilité", "homme", "moins de 30 ans", "nationalité française")
OTHER = ("comptabilité", "femme", "55 ans", "célibataire sans enfant")
FORBIDDEN_TERMS = {
    "homme",
    "femme",
    "moins de 30 ans",
    "55 ans",
    "nationalité française",
    "célibataire sans enfant",
}
SET_ASIDE_TEXTS = [
    "« homme » écarté : la loi interdit de choisir selon le sexe "
    "(article L1132-1 du Code du travail).",
    "« moins de 30 ans » écarté : la loi interdit de choisir selon l'âge "
    "(article L1132-1 du Code du travail).",
    "« nationalité française » écarté : la loi interdit de choisir selon la nationalité "
    "ou l'origine (article L1132-1 du Code du travail).",
]


def _need():
    return need_data(skills=NEED_SKILLS, title="Comptabilité")


def _people():
    # Everything but the skills alike: the score may only differ by what the law allows.
    return [
        candidate_data(ref="cv-meme", skills=SAME, hours_min=7.0),
        candidate_data(ref="cv-autre", skills=OTHER, hours_min=7.0),
    ]


def _assert_explained_lawfully(entries):
    """The forbidden terms appear only in the "écarté" entries, of no points."""
    aside = [e for e in entries if e["criterion"] == SET_ASIDE]
    assert [e["text"] for e in aside] == SET_ASIDE_TEXTS
    assert all(e["points"] == 0 for e in aside)
    for entry in entries:
        if entry["criterion"] == SET_ASIDE:
            continue
        for term in FORBIDDEN_TERMS:
            assert f"« {term} »" not in entry["text"], entry


@pytest.mark.engine_free
def test_the_audit_case_gives_both_candidates_the_same_score():
    need = _need()
    same, other = _people()
    same_points, same_entries = score_pair(need, same, 5.0)
    other_points, other_entries = score_pair(need, other, 5.0)
    assert same_points == other_points == 100
    assert same_entries == other_entries
    skills = next(e for e in same_entries if e["criterion"] == "skills")
    assert (
        skills["text"]
        == "Compétences : 1 sur 1 retrouvée : « comptabilité » (indiquée telle quelle)."
    )
    _assert_explained_lawfully(same_entries)
    assert sum(e["points"] for e in same_entries) == same_points


@pytest.mark.engine_free
def test_the_columnar_index_agrees_and_explains_alike():
    need, people = _need(), _people()
    expected = rank_candidates(need, people, limit=None, distance=lambda a, b: 5.0)
    index = CandidateIndex.build(people, distance=lambda a, b: 5.0)
    assert index.top(need, limit=None) == [("cv-autre", 100), ("cv-meme", 100)]
    assert index.match(need, 20) == expected
    for result in expected:
        _assert_explained_lawfully(result["explanation"])


@pytest.mark.engine_free
def test_a_forbidden_skill_of_a_candidate_never_adds_points():
    need = need_data(skills=("comptabilité", "homme"), title="Comptabilité")
    with_it = candidate_data(skills=("paie", "homme"), rome=())
    without = candidate_data(skills=("paie",), rome=())
    assert score_pair(need, with_it, 5.0) == score_pair(need, without, 5.0)
    # Nor does a candidate's forbidden skill stand for a ROME code it is read from.
    need = need_data(skills=("comptabilité",), title="Comptabilité")
    alone = candidate_data(skills=("jeune",), rome=())
    points, entries = score_pair(need, alone, 5.0)
    skills = next(e for e in entries if e["criterion"] == "skills")
    assert skills["points"] == 0 and "jeune" not in skills["text"]


@pytest.mark.engine_free
def test_a_need_asking_only_forbidden_things_scores_no_skill_points_and_says_why():
    need = need_data(skills=("homme", "jeune"), title="Comptabilité")
    points, entries = score_pair(need, candidate_data(skills=("homme", "jeune")), 5.0)
    skills = next(e for e in entries if e["criterion"] == "skills")
    assert skills["points"] == 0
    assert "écartées" in skills["text"]
    assert [e["criterion"] for e in entries].count(SET_ASIDE) == 2


@pytest.mark.engine_free
def test_why_not_sets_the_requirement_aside_too():
    need = _need()
    same, other = _people()
    a, b = explain_pair(need, same, 5.0), explain_pair(need, other, 5.0)
    assert a["proposed"] and b["proposed"]
    assert a["score"] == b["score"]
    _assert_explained_lawfully(a["explanation"])


def test_stored_requirements_are_set_aside_without_a_migration(app, client, auth):
    # Data written before the forms and the import refused such skills.
    load(
        document(
            companies=[company(ref="entreprise-1")],
            needs=[need_item(ref="besoin-1", company="entreprise-1", skills=["comptabilité"])],
            candidates=[
                candidate_item(ref="cv-meme", skills=["comptabilité"]),
                candidate_item(ref="cv-autre", skills=["comptabilité"]),
            ],
        )
    )
    from connectences.cvtheque.profile import set_skills

    stored = db.session.scalar(db.select(Need).where(Need.ref == "besoin-1"))
    stored.skills = list(NEED_SKILLS)
    for ref, labels in (("cv-meme", SAME), ("cv-autre", OTHER)):
        person = db.session.scalar(db.select(Candidate).where(Candidate.ref == ref))
        set_skills(person, list(labels))
    db.session.commit()
    matches = match_need("besoin-1")["matches"]
    assert {m["candidate"] for m in matches} == {"cv-meme", "cv-autre"}
    assert len({m["score"] for m in matches}) == 1
    for match in matches:
        _assert_explained_lawfully(match["explanation"])
    why = explain_candidate("besoin-1", "cv-autre")
    _assert_explained_lawfully(why["explanation"])
    # The animateur's need page shows the row, of no points, in French.
    auth.login("animateur")
    html = html_of(client.get("/animateur/besoins/besoin-1"))
    assert '<th scope="row">Critère écarté</th>' in html
    assert "« homme » écarté : la loi interdit de choisir selon le sexe" in html


@pytest.mark.engine_free
def test_a_forbidden_skill_never_makes_two_needs_compatible():
    def need(ref, company, day, skills, rome):
        return need_data(
            ref=ref,
            company=company,
            days=frozenset({day}),
            hours_per_week=8.0,
            skills=skills,
            rome=rome,
            title="Besoin",
        )

    person = candidate_data(
        ref="cv-1", skills=("homme",), hours_max=35.0, days=frozenset(DAYS), rome=()
    )
    forbidden_only = [
        need("b1", "e1", "mon", ("jardinage", "homme"), "A1203"),
        need("b2", "e2", "tue", ("comptabilité", "Homme"), "M1203"),
    ]
    assert pool(forbidden_only, [person], distance=lambda a, b: 0.0).bundles == []
    for aged in (("moins de 30 ans",), ("jeune",)):
        pair = [
            need("b1", "e1", "mon", ("jardinage", *aged), "A1203"),
            need("b2", "e2", "tue", ("comptabilité", *aged), "M1203"),
        ]
        assert pool(pair, [person], distance=lambda a, b: 0.0).bundles == []
    # A real skill in common still bundles them.
    shared = [
        need("b1", "e1", "mon", ("accueil", "homme"), "A1203"),
        need("b2", "e2", "tue", ("accueil", "homme"), "M1203"),
    ]
    [bundle] = pool(shared, [person], distance=lambda a, b: 0.0).bundles
    assert bundle.needs == ("b1", "b2")


@pytest.mark.engine_free
@pytest.mark.parametrize("criterion_text", ["syndiqué CGT", "origine portugaise", "née au Maroc"])
def test_a_union_or_a_nationality_named_weighs_in_no_score(criterion_text):
    # Two people alike but for that line of their CV, for a need that asks for it.
    need = need_data(skills=("comptabilité", criterion_text), title="Comptabilité")
    with_it = candidate_data(ref="cv-a", skills=("comptabilité", criterion_text))
    without = candidate_data(ref="cv-b", skills=("comptabilité",))
    a_points, a_entries = score_pair(need, with_it, 5.0)
    assert (a_points, a_entries) == score_pair(need, without, 5.0)
    assert a_points == 100
    aside = [e for e in a_entries if e["criterion"] == SET_ASIDE]
    assert len(aside) == 1 and aside[0]["points"] == 0
    assert f"« {criterion_text} »" in aside[0]["text"]
