"""Scores that tell apart people of the same trade (issue #12): skills below the job."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectences.matching.index import CandidateIndex
from connectences.matching.score import SAME_JOB, WEIGHTS, rank_candidates, score, score_pair
from tests.test_match import make_cand, make_need


def _skills_entry(need, cand) -> dict:
    return {e["criterion"]: e for e in score_pair(need, cand)[1]}["skills"]


# (need ROME, need skills, better candidate's skills, worse candidate's skills); both
# candidates seek the need's job and are alike in everything else.
WITHIN_JOB = [
    (
        "M1203",
        ("paie", "DSN", "Silae"),
        ("gestion de la paie", "déclarations sociales", "Silae"),
        ("comptabilité fournisseurs", "lettrage", "factures d'achat"),
    ),
    (
        "M1203",
        ("comptabilité fournisseurs", "saisie des factures d'achat", "lettrage des comptes"),
        ("comptabilité fournisseurs", "lettrage", "factures d'achat"),
        ("gestion de la paie", "déclarations sociales", "Silae"),
    ),
    (
        "A1203",
        ("élagage", "grimpe"),
        ("élagage", "travail sur corde"),
        ("tonte", "débroussaillage"),
    ),
    (
        "M1609",
        ("secrétariat médical", "terminologie médicale"),
        ("secrétariat médical", "Doctolib"),
        ("secrétariat", "accueil téléphonique", "gestion du courrier"),
    ),
    ("G1602", ("pâtisserie", "desserts"), ("pâtisserie", "entremets"), ("cuisine traditionnelle",)),
]


@pytest.mark.parametrize(("rome", "need_skills", "better", "worse"), WITHIN_JOB)
def test_the_speciality_asked_for_ranks_above_another_speciality_of_the_job(
    rome, need_skills, better, worse
):
    need = make_need(rome=rome, skills=need_skills, title="Besoin")
    good = make_cand(ref="cv-good", rome=(rome,), skills=better)
    other = make_cand(ref="cv-other", rome=(rome,), skills=worse)
    assert score(need, good) > score(need, other)
    assert _skills_entry(need, good)["points"] >= _skills_entry(need, other)["points"] + 15
    ranked = CandidateIndex.build([other, good], distance=lambda a, b: 0.0).top(need)
    assert [ref for ref, _ in ranked] == ["cv-good", "cv-other"]


def test_another_speciality_of_the_job_gets_explicit_smaller_credit():
    need = make_need(skills=("saisie comptable", "rapprochements bancaires", "déclarations de TVA"))
    cand = make_cand(skills=("comptabilité fournisseurs",))
    entry = _skills_entry(need, cand)
    assert entry["points"] == round(WEIGHTS["skills"] * SAME_JOB)
    assert "0 sur 3 retrouvée, 3 en partie" in entry["text"]
    assert "même métier, autre spécialité" in entry["text"]


def test_a_diploma_alone_does_not_meet_three_skills():
    need = make_need(skills=("saisie comptable", "rapprochements bancaires", "déclarations de TVA"))
    diploma = make_cand(ref="cv-bts", skills=("BTS CG",))
    specialist = make_cand(
        ref="cv-tenue", skills=("saisie comptable", "rapprochement bancaire", "TVA")
    )
    entry = _skills_entry(need, diploma)
    assert entry["points"] < WEIGHTS["skills"] / 2
    assert "diplôme du métier" in entry["text"]
    assert "0 sur 3 retrouvée" in entry["text"]
    assert score(need, specialist) > score(need, diploma)


def test_a_job_level_need_skill_is_still_met_by_any_skill_of_the_job():
    need = make_need(skills=("comptabilité",))
    cand = make_cand(skills=("comptabilité fournisseurs",))
    assert _skills_entry(need, cand)["points"] == WEIGHTS["skills"]


def test_one_candidate_skill_meets_only_the_need_skills_it_covers():
    need = make_need(skills=("paie", "DSN", "rapprochements bancaires"))
    cand = make_cand(skills=("paie et DSN",))
    entry = _skills_entry(need, cand)
    # Payroll (HR assistance) names nothing of bank reconciliation (accounting).
    assert "2 sur 3 retrouvées :" in entry["text"]
    assert "Non retrouvée : « rapprochements bancaires »" in entry["text"]
    assert entry["points"] == round(WEIGHTS["skills"] * 2 / 3)


def test_the_explanation_says_which_skill_met_which_and_why():
    need = make_need(skills=("paie",), rome="M1501")
    cand = make_cand(skills=("Silae",), rome=("M1501",))
    text = _skills_entry(need, cand)["text"]
    assert "« paie » par « Silae » (outil de paie)" in text
    cand = make_cand(skills=("fiches de paye",), rome=("M1501",))
    assert "(même compétence : paie)" in _skills_entry(need, cand)["text"]


def test_explanations_add_up_and_index_agrees_on_within_job_candidates():
    need = make_need(skills=("paie", "DSN", "Silae", "rapprochements bancaires"))
    people = [
        make_cand(ref=f"cv-{i}", skills=texts)
        for i, texts in enumerate(
            [
                ("gestion de la paie", "DSN"),
                ("comptabilité fournisseurs",),
                ("BTS CG",),
                ("compta", "Silae"),
                ("rapprochement bancaire", "paie"),
                ("Zorbatrix",),
            ]
        )
    ]
    naive = rank_candidates(need, people, limit=None, distance=lambda a, b: 0.0)
    for result in naive:
        assert result["score"] == sum(e["points"] for e in result["explanation"])
    index = CandidateIndex.build(people, distance=lambda a, b: 0.0)
    assert [(r["candidate"], r["score"]) for r in naive] == index.top(need, limit=None)


def test_ties_only_for_candidates_equal_on_every_criterion():
    need = make_need(skills=("saisie comptable", "rapprochements bancaires", "déclarations de TVA"))
    people = [
        make_cand(ref="cv-a", skills=("saisie comptable", "rapprochement bancaire", "TVA")),
        make_cand(ref="cv-b", skills=("saisie comptable", "rapprochement bancaire")),
        make_cand(ref="cv-c", skills=("saisie comptable",)),
        make_cand(ref="cv-d", skills=("comptabilité fournisseurs",)),
        make_cand(ref="cv-e", skills=("BTS CG",)),
        make_cand(ref="cv-f", skills=("saisie comptable", "rapprochement bancaire"), level="cadre"),
    ]
    ranked = rank_candidates(need, people, limit=None, distance=lambda a, b: 0.0)
    by_score: dict[int, list[dict]] = {}
    for r in ranked:
        by_score.setdefault(r["score"], []).append(r)
    for tied in by_score.values():
        points = {tuple(e["points"] for e in r["explanation"]) for r in tied}
        assert len(points) == 1, [r["candidate"] for r in tied]
    assert len(by_score) >= 5


def test_within_job_scores_ignore_name_contact_commune_and_distance():
    need = make_need(skills=("paie", "DSN"))
    cand = make_cand(skills=("gestion de la paie", "comptabilité fournisseurs"))
    moved = replace(cand, ref="autre-ref", commune="33009")
    assert score(need, cand) == score(need, moved)
    far = CandidateIndex.build([cand], distance=lambda a, b: 14.0).top(need)
    near = CandidateIndex.build([cand], distance=lambda a, b: 0.0).top(need)
    assert far == near
