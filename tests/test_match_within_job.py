"""Scores that tell apart people of the same trade (issue #12): skills below the job."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectences.matching.index import CandidateIndex
from connectences.matching.score import (
    DIPLOMA,
    RELATED,
    SAME_JOB,
    WEIGHTS,
    rank_candidates,
    score,
    score_pair,
    skill_points_of,
)
from tests.test_match import make_cand, make_need

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


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


def test_another_speciality_of_the_job_gets_explicit_smaller_credit_once():
    # Nothing of accounts payable is close to VAT, tax returns or payroll: only the
    # trade is shared, and that is one fact, worth partial credit for one need skill.
    need = make_need(skills=("déclarations de TVA", "liasse fiscale", "paie"))
    cand = make_cand(skills=("comptabilité fournisseurs", "lettrage", "factures d'achat"))
    entry = _skills_entry(need, cand)
    assert entry["points"] == skill_points_of(SAME_JOB, 3) == 3.0
    assert "0 sur 3 retrouvée, 1 en partie" in entry["text"]
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
    # Payroll names nothing of bank reconciliation: the trade only, partial credit.
    assert "2 sur 3 retrouvées, 1 en partie" in entry["text"]
    assert "« rapprochements bancaires » en partie par « paie et DSN »" in entry["text"]
    assert entry["points"] == skill_points_of(2.0 + SAME_JOB, 3) == 33.0


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


# --- second pass: related concepts, graded partial credit, resolution ------------------


def test_a_related_technique_ranks_above_another_speciality_and_says_why():
    need = make_need(rome="A1203", title="Jardinier élagueur", skills=("élagage", "grimpe"))
    hedges = make_cand(ref="cv-haies", rome=("A1203",), skills=("taille de haies",))
    mowing = make_cand(ref="cv-tonte", rome=("A1203",), skills=("tonte",))
    assert score(need, hedges) > score(need, mowing)
    text = _skills_entry(need, hedges)["text"]
    assert "« taille de haies » proche de « élagage » (techniques de taille des végétaux)" in text
    assert _skills_entry(need, hedges)["points"] == skill_points_of(RELATED, 2)
    ranked = CandidateIndex.build([mowing, hedges], distance=lambda a, b: 0.0).top(need)
    assert [ref for ref, _ in ranked] == ["cv-haies", "cv-tonte"]


def test_relations_cross_jobs_and_reach_general_secretarial_work():
    need = make_need(rome="M1609", title="Secrétaire médicale", skills=("secrétariat médical",))
    general = make_cand(ref="cv-sec", rome=("M1609",), skills=("secrétariat",))
    accounting = make_cand(ref="cv-compta", rome=("M1609",), skills=("comptabilité clients",))
    assert _skills_entry(need, general)["points"] == skill_points_of(RELATED, 1)
    assert (
        "« secrétariat » proche de « secrétariat médical »" in _skills_entry(need, general)["text"]
    )
    assert _skills_entry(need, accounting)["points"] == 0
    # A need for general secretarial work is still met by any skill of the job.
    need = make_need(rome="M1607", title="Secrétaire", skills=("secrétariat",))
    cand = make_cand(rome=("M1607",), skills=("accueil téléphonique",))
    assert _skills_entry(need, cand)["points"] == WEIGHTS["skills"]


def test_one_candidate_skill_gives_partial_credit_to_one_need_skill():
    need = make_need(rome="A1203", skills=("élagage", "grimpe"))
    for skills in [("débroussaillage",), ("débroussaillage", "tonte", "arrosage")]:
        entry = _skills_entry(need, make_cand(rome=("A1203",), skills=skills))
        assert "0 sur 2 retrouvée, 1 en partie" in entry["text"], skills
        assert entry["points"] == skill_points_of(SAME_JOB, 2), skills
    # Accounts payable is close to both customer accounts and matching of accounts:
    # one skill, one of them.
    need = make_need(skills=("comptabilité clients", "lettrage"))
    entry = _skills_entry(need, make_cand(skills=("comptabilité fournisseurs",)))
    assert "0 sur 2 retrouvée, 1 en partie" in entry["text"]
    assert entry["points"] == skill_points_of(RELATED, 2)
    # Two related skills of the candidate: one each.
    cand = make_cand(skills=("comptabilité fournisseurs", "saisie comptable"))
    entry = _skills_entry(need, cand)
    assert "0 sur 2 retrouvée, 2 en partie" in entry["text"]
    assert entry["points"] == skill_points_of(RELATED + RELATED, 2)


def test_a_full_meet_does_not_use_the_skill_up():
    need = make_need(skills=("paie", "DSN", "comptabilité fournisseurs"))
    cand = make_cand(skills=("paie et DSN",))
    entry = _skills_entry(need, cand)
    assert "2 sur 3 retrouvées, 1 en partie" in entry["text"]
    assert entry["points"] == skill_points_of(1.0 + 1.0 + SAME_JOB, 3)


def test_a_diploma_of_the_job_ranks_above_unrelated_specialities():
    need = make_need(title="Gestionnaire de paie", skills=("paie", "DSN", "Silae"))
    diploma = make_cand(ref="cv-bts", skills=("BTS CG",))
    payables = make_cand(
        ref="cv-fournisseurs",
        skills=("comptabilité fournisseurs", "lettrage des comptes", "saisie des factures d'achat"),
    )
    assert _skills_entry(need, diploma)["points"] == skill_points_of(DIPLOMA, 3)
    assert _skills_entry(need, payables)["points"] == skill_points_of(SAME_JOB, 3)
    assert score(need, diploma) > score(need, payables)
    ranked = CandidateIndex.build([payables, diploma], distance=lambda a, b: 0.0).top(need)
    assert [ref for ref, _ in ranked] == ["cv-bts", "cv-fournisseurs"]


def test_skill_points_keep_tenths_and_still_add_up():
    need = make_need(skills=("paie", "DSN"))
    cand = make_cand(skills=("BTS CG",))
    points, entries = score_pair(need, cand)
    skills_points = entries[0]["points"]
    # 45 x 0.3 / 2 = 6.75, kept to the tenth (halves up), not rounded to 7.
    assert skills_points == 6.8
    assert points == sum(e["points"] for e in entries)
    assert round(points, 1) == points and points != round(points)


# Payroll need of the issue: five people of the trade who all scored 55 in the first
# pass (accounts payable, treasury, tax, audit, diploma).
BOOKKEEPING = [
    ("cv-fournisseurs", ("comptabilité fournisseurs", "lettrage", "factures d'achat")),
    ("cv-tresorerie", ("rapprochements bancaires", "suivi de trésorerie")),
    ("cv-fiscal", ("déclarations de TVA", "liasse fiscale")),
    ("cv-revision", ("révision des comptes", "préparation du bilan")),
    ("cv-bts", ("BTS CG",)),
    ("cv-paie", ("gestion de la paie", "Silae")),
    ("cv-clients", ("comptabilité clients", "recouvrement")),
]


def test_fewer_ties_among_people_of_the_trade_on_named_cases():
    people = [make_cand(ref=ref, skills=skills) for ref, skills in BOOKKEEPING]
    need = make_need(
        title="Aide-comptable",
        skills=("saisie comptable", "rapprochements bancaires", "déclarations de TVA"),
    )
    ranked = rank_candidates(need, people, limit=None, distance=lambda a, b: 0.0)
    assert [r["candidate"] for r in ranked[:2]] == ["cv-tresorerie", "cv-fiscal"]
    # Ties are left only where people are alike for this need: customer and supplier
    # accounts (both close to bookkeeping), payroll and audit (only the trade).
    tied: dict[float, set[str]] = {}
    for r in ranked:
        tied.setdefault(r["score"], set()).add(r["candidate"])
    groups = [group for group in tied.values() if len(group) > 1]
    assert sorted(map(sorted, groups)) == [
        ["cv-clients", "cv-fournisseurs"],
        ["cv-paie", "cv-revision"],
    ]
    by_ref = {r["candidate"]: r for r in ranked}
    assert by_ref["cv-bts"]["score"] > by_ref["cv-paie"]["score"]
    for a, b in groups:
        assert by_ref[a]["explanation"][0]["points"] == by_ref[b]["explanation"][0]["points"]
    need = make_need(title="Gestionnaire de paie", skills=("paie", "DSN", "Silae"))
    ranked = rank_candidates(need, people, limit=None, distance=lambda a, b: 0.0)
    assert [r["candidate"] for r in ranked[:2]] == ["cv-paie", "cv-bts"]
    index = CandidateIndex.build(people, distance=lambda a, b: 0.0)
    assert index.top(need, limit=None) == [(r["candidate"], r["score"]) for r in ranked]


def test_relations_are_symmetric_with_a_reason_and_unknown_ids_are_refused(tmp_path):
    from connectences.skills import concepts

    index = concepts.concept_index()
    assert index.related["taille"]["elagage"] == index.related["elagage"]["taille"]
    for a, others in index.related.items():
        for b, why in others.items():
            assert why and index.related[b][a] == why
            assert index.concepts[a].kind != "diploma" and index.concepts[b].kind != "diploma"
    (tmp_path / "X.json").write_text(
        '{"related": [{"concepts": ["tonte", "tontes"], "why": "faute de frappe"}],'
        ' "jobs": {"A1203": {"concepts": [{"id": "tonte", "label": "tonte"}]}}}',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="tontes"):
        concepts.load(tmp_path)


def test_the_person_of_the_trade_named_by_the_skill_meets_it_fully():
    # "pâtissier" is the trade of "pâtisserie": no "other speciality", and no chocolatier
    # (a related technique) before them.
    need = make_need(title="Pâtissier", rome="D1104", skills=("pâtisserie",))
    baker = make_cand(ref="cv-patissier", skills=("pâtissière",), rome=("D1104",))
    other = make_cand(ref="cv-chocolat", skills=("chocolaterie",), rome=("D1104",))
    ranked = rank_candidates(need, [other, baker], distance=lambda a, b: 5.0)
    assert [r["candidate"] for r in ranked] == ["cv-patissier", "cv-chocolat"]
    text = _skills_entry(need, baker)["text"]
    assert "autre spécialité" not in text and "1 sur 1 retrouvée" in text
    index = CandidateIndex.build([other, baker], distance=lambda a, b: 5.0)
    assert index.top(need, None) == [(r["candidate"], r["score"]) for r in ranked]
