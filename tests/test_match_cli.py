"""`flask match NEED_REF --json [--limit N] [--explain CANDIDATE_REF]`."""

from __future__ import annotations

import json
import re

from tests.factories import candidate, company, document, load, need


def _data():
    load(
        document(
            companies=[company(ref="entreprise-1")],
            needs=[need(ref="besoin-1", company="entreprise-1", days=["tue"], hours_per_week=7)],
            candidates=[
                candidate(ref="cv-a", skills=["compta", "facturation"]),
                candidate(ref="cv-b", skills=["comptabilité générale"], rome=["M1203"]),
                candidate(ref="cv-c", skills=["plomberie"], rome=["F1603"]),
                candidate(ref="cv-lundi", days=["mon"]),
                candidate(ref="cv-loin", commune="33236", mobility_km=5),  # Lège-Cap-Ferret
            ],
        )
    )


def test_match_json_shape_best_first(runner):
    _data()
    result = runner.invoke(args=["match", "besoin-1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["need"] == "besoin-1"
    refs = [m["candidate"] for m in data["matches"]]
    assert set(refs) == {"cv-a", "cv-b", "cv-c"}  # cv-lundi and cv-loin break a constraint
    scores = [m["score"] for m in data["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert refs[-1] == "cv-c"  # the plumber comes last
    for match in data["matches"]:
        assert set(match) == {"candidate", "score", "explanation"}
        assert match["score"] == sum(e["points"] for e in match["explanation"])
        for entry in match["explanation"]:
            assert set(entry) == {"criterion", "points", "text"}


def test_match_limit(runner):
    _data()
    result = runner.invoke(args=["match", "besoin-1", "--json", "--limit", "1"])
    assert result.exit_code == 0
    assert len(json.loads(result.output)["matches"]) == 1


def test_unknown_need_is_a_french_error_with_exit_code_1(runner):
    result = runner.invoke(args=["match", "besoin-inexistant", "--json"])
    assert result.exit_code == 1
    assert "Besoin inconnu" in result.output
    _data()
    result = runner.invoke(args=["match", "besoin-1", "--explain", "cv-inexistant", "--json"])
    assert result.exit_code == 1
    assert "Candidat inconnu" in result.output


def test_explain_names_the_failing_constraint_in_french(runner):
    _data()
    result = runner.invoke(args=["match", "besoin-1", "--explain", "cv-lundi", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["proposed"] is False
    assert [c["code"] for c in data["failed"]] == ["days"]
    assert "Aucun jour en commun" in data["failed"][0]["text"]
    far = json.loads(
        runner.invoke(args=["match", "besoin-1", "--explain", "cv-loin", "--json"]).output
    )
    assert [c["code"] for c in far["failed"]] == ["distance"]
    assert "au-delà du rayon de mobilité" in far["failed"][0]["text"]
    good = json.loads(
        runner.invoke(args=["match", "besoin-1", "--explain", "cv-b", "--json"]).output
    )
    assert good["proposed"] is True
    assert good["score"] == sum(e["points"] for e in good["explanation"])


def test_human_output_is_french(runner):
    _data()
    result = runner.invoke(args=["match", "besoin-1"])
    assert result.exit_code == 0
    assert re.search(r"\d+ candidats? proposés?\.", result.output)
    assert "(s)" not in result.output
    result = runner.invoke(args=["match", "besoin-1", "--explain", "cv-lundi"])
    assert "Candidat non proposé" in result.output
