"""The matcher's rules: hard constraints, the score, its explanation, and the law."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connectences.matching.constraints import (
    CONSTRAINT_CODES,
    breaks_hard_constraint,
    hard_constraint_checks,
)
from connectences.matching.data import CandidateData, NeedData
from connectences.matching.matches import explain_candidate, match_need
from connectences.matching.score import (
    WEIGHTS,
    explain_pair,
    rank_candidates,
    score,
    score_pair,
)
from connectences.models import Candidate
from tests.factories import candidate as candidate_item
from tests.factories import candidate_data, company, document, load, need_data
from tests.factories import need as need_item

START = date(2027, 2, 1)


def make_need(**kw) -> NeedData:
    return need_data(**{"title": "Comptable", **kw})


def make_cand(**kw) -> CandidateData:
    return candidate_data(**kw)


def failing(need, cand, distance=5.0) -> list[str]:
    return [c.code for c in hard_constraint_checks(need, cand, distance) if not c.ok]


# --- hard constraints ----------------------------------------------------------------


def test_a_fitting_candidate_passes_every_constraint_in_a_fixed_order():
    checks = hard_constraint_checks(make_need(), make_cand(), 5.0)
    assert [c.code for c in checks] == list(CONSTRAINT_CODES)
    assert all(c.ok for c in checks)
    assert not breaks_hard_constraint(make_need(), make_cand(), 5.0)


@pytest.mark.parametrize("status", ["place", "inactif"])
def test_status_closed_to_work_breaks(status):
    cand = make_cand(status=status)
    assert failing(make_need(), cand) == ["status"]
    text = next(c.text for c in hard_constraint_checks(make_need(), cand, 5.0) if not c.ok)
    assert "n'est pas disponible" in text


def test_en_mission_is_open_to_work_since_v1_1():
    checks = hard_constraint_checks(make_need(), make_cand(status="en_mission"), 5.0)
    assert all(c.ok for c in checks)
    assert "compléter sa semaine" in checks[0].text


def test_no_consent_breaks():
    assert failing(make_need(), make_cand(consent=False)) == ["consent"]


def test_available_from_after_start_breaks_but_the_start_day_itself_is_allowed():
    assert failing(make_need(), make_cand(available_from=START + timedelta(days=1))) == [
        "available_from"
    ]
    assert failing(make_need(), make_cand(available_from=START)) == []


def test_distance_over_mobility_breaks_equal_is_allowed_unknown_is_not_applied():
    need, cand = make_need(), make_cand(mobility_km=15.0)
    assert failing(need, cand, 15.01) == ["distance"]
    assert failing(need, cand, 15.0) == []
    checks = {c.code: c for c in hard_constraint_checks(need, cand, None)}
    assert checks["distance"].ok
    assert "inconnue" in checks["distance"].text
    assert "n'est pas appliquée" in checks["distance"].text
    text = next(c.text for c in hard_constraint_checks(need, cand, 22.5) if not c.ok)
    assert "22,5 km" in text and "rayon de mobilité" in text


def test_an_unknown_distance_is_said_in_the_match_explanation_with_no_points():
    # The spec: "the constraint is not applied, and the explanation says so" -- in the
    # ranked list's explanation, not only in "why not this candidate".
    need, cand = make_need(), make_cand(mobility_km=15.0)
    (ranked,) = rank_candidates(need, [cand], distance=lambda a, b: None)
    entry = ranked["explanation"][-1]
    assert entry["criterion"] == "distance" and entry["points"] == 0
    assert "Distance inconnue" in entry["text"] and "n'est pas appliquée" in entry["text"]
    assert sum(e["points"] for e in ranked["explanation"]) == ranked["score"]
    (known,) = rank_candidates(need, [cand], distance=lambda a, b: 3.0)
    assert all(e["criterion"] != "distance" for e in known["explanation"])
    assert known["score"] == ranked["score"]


def test_no_common_day_breaks_one_common_day_is_enough():
    need = make_need(days=frozenset({"tue", "thu"}))
    assert failing(need, make_cand(days=frozenset({"mon", "fri"}))) == ["days"]
    assert failing(need, make_cand(days=frozenset({"thu"}))) == []


def test_hours_max_below_hours_breaks_equal_is_allowed():
    need = make_need(hours_per_week=12.0)
    assert failing(need, make_cand(hours_min=5.0, hours_max=11.5)) == ["hours"]
    assert failing(need, make_cand(hours_min=5.0, hours_max=12.0)) == []


def test_contract_not_accepted_breaks():
    need = make_need(contract="cdi")
    assert failing(need, make_cand(contracts=frozenset({"cdd"}))) == ["contract"]
    text = next(
        c.text
        for c in hard_constraint_checks(need, make_cand(contracts=frozenset({"cdd"})), 1.0)
        if not c.ok
    )
    assert "n'accepte pas" in text and "CDI" in text


def test_level_more_than_one_step_below_breaks_one_step_below_is_allowed():
    need = make_need(level="technicien")
    assert failing(need, make_cand(level="non_qualifie")) == ["level"]
    assert failing(need, make_cand(level="employe_qualifie")) == []
    # Above is always allowed, however far.
    assert failing(make_need(level="non_qualifie"), make_cand(level="cadre")) == []


def test_a_candidate_breaking_a_constraint_is_never_ranked():
    need = make_need()
    good = make_cand(ref="cv-ok")
    breakers = [
        make_cand(ref="cv-status", status="place"),
        make_cand(ref="cv-consent", consent=False),
        make_cand(ref="cv-late", available_from=START + timedelta(days=3)),
        make_cand(ref="cv-far", mobility_km=1.0),
        make_cand(ref="cv-days", days=frozenset({"sat"})),
        make_cand(ref="cv-hours", hours_max=6.0),
        make_cand(ref="cv-contract", contracts=frozenset({"mission"})),
        make_cand(ref="cv-level", level="non_qualifie", skills=("comptabilité",)),
    ]
    need = make_need(level="technicien")
    ranked = rank_candidates(need, [good, *breakers], distance=lambda a, b: 10.0)
    assert [r["candidate"] for r in ranked] == ["cv-ok"]


# --- score and explanation -------------------------------------------------------------


def test_explanation_adds_up_to_the_score_and_has_every_criterion():
    for cand in [
        make_cand(),
        make_cand(skills=("plomberie",), rome=("F1603",), level="technicien", hours_min=10.0),
        make_cand(skills=("comptabilite", "paie"), rome=(), days=frozenset({"tue"})),
    ]:
        points, entries = score_pair(make_need(), cand)
        assert [e["criterion"] for e in entries] == list(WEIGHTS)
        assert sum(e["points"] for e in entries) == points
        assert 0 <= points <= 100
        assert all(e["text"] for e in entries)
        # Whole points, the skills to the tenth: the score has at most one decimal.
        assert all(isinstance(e["points"], int) for e in entries if e["criterion"] != "skills")
        assert round(points, 1) == points
        for entry in entries:
            assert 0 <= entry["points"] <= WEIGHTS[entry["criterion"]]


def test_a_perfect_fit_scores_100():
    cand = make_cand(skills=("comptabilité générale",), hours_min=7.0, hours_max=7.0)
    points, entries = score_pair(make_need(), cand)
    assert points == 100, entries


@pytest.mark.parametrize(
    "written", ["compta", "comptabilite", "saisie comptable", "tenue de la comptabilité"]
)
def test_accounting_written_many_ways_meets_comptabilite_generale(written):
    need = make_need(skills=("comptabilité générale",), rome=None, title="Besoin ponctuel")
    cand = make_cand(skills=(written,), rome=())
    entries = dict((e["criterion"], e) for e in score_pair(need, cand)[1])
    assert entries["skills"]["points"] == WEIGHTS["skills"], entries["skills"]["text"]
    assert "comptabilité générale" in entries["skills"]["text"]


def test_decoys_sharing_words_do_not_meet_the_skill():
    need = make_need(skills=("comptabilité générale",), rome=None, title="Besoin ponctuel")
    for decoy in ["comptage de caisse", "gestion des stocks", "pose de cuisines", "cuisine"]:
        cand = make_cand(skills=(decoy,), rome=())
        entries = {e["criterion"]: e for e in score_pair(need, cand)[1]}
        assert entries["skills"]["points"] == 0, (decoy, entries["skills"]["text"])


def test_unknown_skills_meet_by_fuzzy_text_only_when_close():
    # Software the taxonomy does not know (Quadratus, Silae... are skill concepts now).
    need = make_need(skills=("logiciel Zorbatrix expert",), rome=None, title="Besoin ponctuel")
    close = make_cand(skills=("logiciel zorbatrix exper",), rome=())
    far = make_cand(skills=("logiciel de caisse",), rome=())
    close_pts = {e["criterion"]: e for e in score_pair(need, close)[1]}["skills"]
    far_pts = {e["criterion"]: e for e in score_pair(need, far)[1]}["skills"]
    assert close_pts["points"] > 40
    assert "proche" in close_pts["text"]
    assert far_pts["points"] == 0


def test_rome_same_code_beats_same_family_beats_other():
    need = make_need(skills=("xyz",))
    same = score(need, make_cand(rome=("M1203",), skills=("abc",)))
    family = score(need, make_cand(rome=("M1204",), skills=("abc",)))
    other = score(need, make_cand(rome=("G1602",), skills=("abc",)))
    assert same - family == 10 and family - other == 10


def test_a_neighbouring_job_scores_below_the_family_and_above_an_unrelated_one():
    need = make_need(rome="K1302", skills=("xyz",), title="Besoin")
    related = score(need, make_cand(rome=("J1501",), skills=("abc",)))
    family = score(need, make_cand(rome=("K1303",), skills=("abc",)))
    other = score(need, make_cand(rome=("A1404",), skills=("abc",)))
    assert family > related > other
    entries = {e["criterion"]: e for e in score_pair(need, make_cand(rome=("J1501",)))[1]}
    assert "Métier voisin" in entries["rome"]["text"]


def test_level_exact_beats_one_above_beats_one_below():
    need = make_need(level="employe_qualifie")
    exact = score(need, make_cand(level="employe_qualifie"))
    above = score(need, make_cand(level="technicien"))
    below = score(need, make_cand(level="non_qualifie"))
    assert exact > above > below


def test_hours_days_points():
    need = make_need(hours_per_week=10.0, days=frozenset({"mon", "tue"}))
    inside = score(need, make_cand(hours_min=8.0, hours_max=12.0, days=frozenset({"mon", "tue"})))
    fewer = score(need, make_cand(hours_min=20.0, hours_max=30.0, days=frozenset({"mon", "tue"})))
    one_day = score(need, make_cand(hours_min=8.0, hours_max=12.0, days=frozenset({"mon"})))
    assert inside - fewer == 2  # 10 h of the 20 h minimum: 5 + 2.5 -> 8 of 10
    assert inside - one_day == 5


def test_ranking_best_first_ties_by_ref():
    need = make_need()
    a = make_cand(ref="cv-b")
    b = make_cand(ref="cv-a")
    c = make_cand(ref="cv-c", skills=("plomberie",))
    ranked = rank_candidates(need, [a, b, c], distance=lambda x, y: 1.0)
    assert [r["candidate"] for r in ranked] == ["cv-a", "cv-b", "cv-c"]
    assert ranked[0]["score"] > ranked[2]["score"]


def test_explain_pair_names_the_failing_constraint_in_french():
    result = explain_pair(make_need(), make_cand(hours_max=5.0, hours_min=2.0), 3.0)
    assert result["proposed"] is False
    assert result["score"] is None
    assert [c["code"] for c in result["failed"]] == ["hours"]
    assert "au plus 5 h par semaine" in result["failed"][0]["text"]
    assert "non proposé" in result["summary"]
    ok = explain_pair(make_need(), make_cand(), 3.0)
    assert ok["proposed"] is True
    assert ok["score"] == sum(e["points"] for e in ok["explanation"])
    assert len(ok["checks"]) == len(CONSTRAINT_CODES)


# --- the law: nothing outside the job criteria changes a score ---------------------------


def test_distance_and_commune_never_change_the_score():
    need = make_need()
    base = score(need, make_cand())
    for commune in ["33009", "33199", "75056", "99999"]:
        assert score(need, make_cand(commune=commune, mobility_km=200.0)) == base
    # Same candidate at different distances within their radius: same score.
    results = {
        d: explain_pair(need, make_cand(mobility_km=50.0), d)["score"] for d in (0.0, 20.0, 50.0)
    }
    assert set(results.values()) == {base}


def _setup_db_pair():
    load(
        document(
            companies=[company(ref="entreprise-1")],
            needs=[need_item(ref="besoin-1", company="entreprise-1", days=["tue", "thu"])],
            candidates=[
                candidate_item(ref="cv-1", skills=["saisie comptable", "TVA", "Excel"]),
                candidate_item(ref="cv-2", skills=["compta"], level="technicien"),
            ],
        )
    )


def test_changing_identity_contact_source_or_notes_never_changes_a_score(app):
    from datetime import UTC, datetime

    from connectences.extensions import db

    _setup_db_pair()
    reference = match_need("besoin-1")
    assert {m["candidate"] for m in reference["matches"]} == {"cv-1", "cv-2"}
    changes = [
        {"first_name": "Mohamed", "last_name": "Benali"},
        {"first_name": "Marie-Thérèse", "last_name": "de La Tour"},
        {"email": "autre.adresse@exemple.org"},
        {"phone": "+33 6 12 34 56 78"},
        {"phone": None},
        {"source": "réseaux sociaux"},
        {"source": None},
        {"notes": "Mère de trois enfants, 58 ans, reconnue travailleuse handicapée."},
        {"cv_filename": "cv-2025.pdf"},
        {"last_contact_at": datetime(2020, 1, 1, tzinfo=UTC)},
        {"commune": "33199"},  # another commune within the mobility radius
    ]
    for change in changes:
        person = db.session.scalar(db.select(Candidate).where(Candidate.ref == "cv-1"))
        for field, value in change.items():
            setattr(person, field, value)
        db.session.commit()
        again = match_need("besoin-1")
        assert again == reference, change


def test_service_shapes_and_unknown_refs(app):
    from connectences.matching.matches import UnknownRef

    _setup_db_pair()
    result = match_need("besoin-1", limit=1)
    assert result["need"] == "besoin-1"
    assert len(result["matches"]) == 1
    match = result["matches"][0]
    assert set(match) == {"candidate", "score", "explanation"}
    assert match["score"] == sum(e["points"] for e in match["explanation"])
    with pytest.raises(UnknownRef, match="Besoin inconnu"):
        match_need("besoin-absent")
    with pytest.raises(UnknownRef, match="Candidat inconnu"):
        explain_candidate("besoin-1", "cv-absent")


def test_a_person_whose_commune_has_no_known_centre_is_matched_and_told_so(app):
    load(
        document(
            companies=[company(ref="entreprise-1")],
            needs=[need_item(ref="besoin-1", company="entreprise-1", days=["tue", "thu"])],
            # L'Abergement-Clémenciat (01001): known, but its centre is not in the table.
            candidates=[candidate_item(ref="cv-loin", skills=["compta"], commune="01001")],
        )
    )
    (found,) = match_need("besoin-1")["matches"]
    assert found["candidate"] == "cv-loin"
    assert [e["criterion"] for e in found["explanation"]][-1] == "distance"
    assert found["score"] == sum(e["points"] for e in found["explanation"])


def test_service_sees_updates_and_unconfirmed_people_are_not_matched(app):
    from connectences.extensions import db

    _setup_db_pair()
    assert {m["candidate"] for m in match_need("besoin-1")["matches"]} == {"cv-1", "cv-2"}
    person = db.session.scalar(db.select(Candidate).where(Candidate.ref == "cv-2"))
    person.email_confirmed_at = None
    db.session.commit()
    assert {m["candidate"] for m in match_need("besoin-1")["matches"]} == {"cv-1"}
    explained = explain_candidate("besoin-1", "cv-2")
    assert [c["code"] for c in explained["failed"]] == ["consent"]
    # A skill-only change is seen too (skill rows live in their own table).
    load(document(candidates=[candidate_item(ref="cv-1", skills=["plomberie"])]))
    scores = {m["candidate"]: m["score"] for m in match_need("besoin-1")["matches"]}
    first = scores["cv-1"]
    load(document(candidates=[candidate_item(ref="cv-1", skills=["comptabilité générale"])]))
    scores = {m["candidate"]: m["score"] for m in match_need("besoin-1")["matches"]}
    assert scores["cv-1"] > first
    # A deleted candidate disappears.
    db.session.delete(db.session.scalar(db.select(Candidate).where(Candidate.ref == "cv-1")))
    db.session.commit()
    assert match_need("besoin-1")["matches"] == []


def test_the_index_is_rebuilt_when_the_database_went_back():
    """Rows written "in the future" (a clock set back later, a restored backup), then
    deleted, then new people with reused ids: the cached index must still see them."""
    from datetime import UTC, datetime

    import time_machine

    from connectences.extensions import db
    from connectences.models import Need

    def people(prefix):
        return [
            candidate_item(ref=f"{prefix}-{i}", skills=["comptabilité générale"]) for i in range(3)
        ]

    doc = document(companies=[company(ref="c1")], needs=[need_item(ref="n1", company="c1")])
    with time_machine.travel(datetime(2027, 6, 1, tzinfo=UTC), tick=False):
        load({**doc, "candidates": people("avant")})
        assert {m["candidate"] for m in match_need("n1", 10)["matches"]} >= {"avant-0"}
    db.session.execute(db.delete(Candidate))
    db.session.execute(db.delete(Need))
    db.session.commit()
    load({**doc, "candidates": people("apres")})
    found = {m["candidate"] for m in match_need("n1", 10)["matches"]}
    assert found == {"apres-0", "apres-1", "apres-2"}


def test_the_job_criterion_names_every_job_it_cites_not_its_code_alone():
    """An operator reads « Comptabilité », not « M1203 » alone, in a lead's score."""
    need = make_need(rome="M1607", skills=("xyz",), title="Besoin")
    other = {e["criterion"]: e for e in score_pair(need, make_cand(rome=("M1203",)))[1]}
    assert "M1203 — Comptabilité" in other["rome"]["text"], other["rome"]["text"]
    family = {e["criterion"]: e for e in score_pair(need, make_cand(rome=("M1604",)))[1]}
    assert "M1604 — Assistanat de direction" in family["rome"]["text"], family["rome"]


def test_a_job_read_from_the_needs_title_is_said_so_in_the_job_criterion():
    """The need's page shows « Métier (code ROME) — » when none was chosen: the score's
    sentence says the job was read from the title, not « Même métier ROME » out of nowhere."""
    read = make_need(rome=None, skills=("xyz",), title="Boulanger")
    entries = {e["criterion"]: e for e in score_pair(read, make_cand(rome=("D1102",)))[1]}
    assert entries["rome"]["text"].startswith("Métier du besoin déduit de son intitulé."), entries
    assert "D1102" in entries["rome"]["text"]
    given = make_need(rome="D1102", skills=("xyz",), title="Boulanger")
    entries = {e["criterion"]: e for e in score_pair(given, make_cand(rome=("D1102",)))[1]}
    assert "intitulé" not in entries["rome"]["text"], entries
