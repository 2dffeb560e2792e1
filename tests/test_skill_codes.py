"""Short codes that look like French words ("permis CE", "TP SA") stay part of their term:
the common "permis de conduire" is no truck licence, and "TP" (any titre professionnel)
is no secretarial diploma."""

from __future__ import annotations

import pytest

from connectences import skills
from connectences.matching.index import CandidateIndex
from connectences.matching.score import meet_pair, rank_candidates, score_pair, skill_ref
from tests.test_match import make_cand, make_need

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


@pytest.mark.parametrize(
    "text", ["permis de conduire", "permis de conduire B", "permis", "TP agent de propreté"]
)
def test_a_code_word_dropped_as_a_stopword_names_no_concept(text):
    found = {h.concept for h in skills.skill_concepts(text)}
    assert "conduite-pl" not in found
    assert "diplome:tp sa" not in found


@pytest.mark.parametrize(
    ("text", "concept"),
    [("permis CE", "conduite-pl"), ("TP SA", "diplome:tp sa"), ("permis C", "conduite-pl")],
)
def test_the_codes_themselves_are_still_found(text, concept):
    assert concept in {h.concept for h in skills.skill_concepts(text)}


@pytest.mark.parametrize(
    ("need_skill", "cand_skill"),
    [
        ("permis C", "permis de conduire"),
        ("conduite poids lourd", "permis de conduire B"),
        ("FIMO", "permis de conduire"),
        ("secrétariat", "TP agent de propreté"),
    ],
)
def test_a_car_licence_or_another_titre_professionnel_does_not_meet_the_skill(
    need_skill, cand_skill
):
    assert meet_pair(skill_ref(need_skill), skill_ref(cand_skill)).value < 1.0


def test_the_truck_driver_ranks_above_the_car_driver_and_the_explanation_says_why():
    need = make_need(title="Chauffeur poids lourd", rome="N4101", skills=("permis C",))
    truck = make_cand(ref="cv-pl", skills=("permis CE",), rome=("N4101",))
    car = make_cand(ref="cv-vl", skills=("permis de conduire",), rome=("N4101",))
    ranked = rank_candidates(need, [car, truck], distance=lambda a, b: 5.0)
    assert [r["candidate"] for r in ranked] == ["cv-pl", "cv-vl"]
    assert ranked[0]["score"] > ranked[1]["score"]
    text = {e["criterion"]: e["text"] for e in score_pair(need, car, 5.0)[1]}["skills"]
    assert "Non retrouvée : « permis C »" in text
    index = CandidateIndex.build([car, truck], distance=lambda a, b: 5.0)
    assert index.top(need, None) == [(r["candidate"], r["score"]) for r in ranked]


def test_a_driving_licence_is_no_marine_mechanic():
    # The taxonomy's "permis de conduire les moteurs marins" (PCMM) placed the plain
    # "permis de conduire" of most CVs in marine mechanics (I1605).
    need = make_need(
        title="Mécanicien marine", rome="I1605", skills=("mécanique marine", "hors-bord")
    )
    licence = make_cand(ref="cv-permis", skills=("permis de conduire",), rome=())
    entries = {e["criterion"]: e for e in score_pair(need, licence, 5.0)[1]}
    assert entries["skills"]["points"] == 0 and entries["rome"]["points"] == 0
    assert "Mécanique de marine" not in entries["skills"]["text"]
    assert skills.concept_of("permis de conduire") != "I1605"
    # The certificate itself, written out or as its acronym, is still the trade's.
    assert skills.concept_of("permis de conduire les moteurs marins") == "I1605"
    assert skills.concept_of("PCMM") == "I1605"
