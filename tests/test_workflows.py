"""State machines: every allowed move is logged, every other move is refused and changes nothing."""

from datetime import date

import pytest

from connectences import workflows
from connectences.contacts import email_key, phone_key, spaced_name
from connectences.extensions import db
from connectences.models import Company, Need, Transition, User
from connectences.workflows import LEAD, NEED, REFERRAL, HeldAs, TransitionError, _held


@pytest.fixture
def need():
    company = Company(
        ref="c1", name="Boulangerie", siret="73282932000074", siren="732829320", commune="33009"
    )
    need = Need(
        ref="n1",
        company=company,
        title="Compta",
        skills=["compta"],
        level="employe_qualifie",
        hours_per_week=7,
        days=["tue"],
        contract="cdd",
        reason="temps_partiel",
        start=date(2027, 1, 4),
    )
    db.session.add(need)
    workflows.start(db.session, need, NEED)
    db.session.commit()
    return need


@pytest.fixture
def animateur():
    user = User(email="anim@exemple.fr", role="animateur")
    db.session.add(user)
    db.session.commit()
    return user


def test_start_logs_creation(need):
    log = workflows.history(db.session, NEED, need.id)
    assert [(t.from_state, t.to_state) for t in log] == [(None, "nouveau")]


def test_allowed_path_is_logged_with_actor(need, animateur):
    for state in ("qualifie", "en_recherche", "propose", "pourvu"):
        workflows.transition(db.session, need, NEED, state, actor=animateur)
    db.session.commit()
    log = workflows.history(db.session, NEED, need.id)
    assert [(t.from_state, t.to_state) for t in log] == [
        (None, "nouveau"),
        ("nouveau", "qualifie"),
        ("qualifie", "en_recherche"),
        ("en_recherche", "propose"),
        ("propose", "pourvu"),
    ]
    assert all(t.actor_id == animateur.id for t in log[1:])
    assert all(t.at is not None and t.at.tzinfo is not None for t in log)
    # Filled is settled, though a placement that does not hold sends it back to the
    # search (its follow-up): the only way out.
    assert NEED.allowed("pourvu") == {"en_recherche"}
    assert "pourvu" in workflows.NEED_FINAL


@pytest.mark.parametrize(
    "path,target",
    [
        ((), "pourvu"),
        ((), "propose"),
        (("qualifie", "en_recherche", "propose", "pourvu"), "nouveau"),
        (("abandonne",), "qualifie"),
        ((), "inexistant"),
    ],
)
def test_impossible_transition_refused_and_nothing_changes(need, path, target):
    for state in path:
        workflows.transition(
            db.session,
            need,
            NEED,
            state,
            reason_code="doublon" if state == "abandonne" else None,
        )
    db.session.commit()
    before = db.session.query(Transition).count()
    status = need.status
    with pytest.raises(TransitionError) as err:
        workflows.transition(db.session, need, NEED, target)
    assert err.value.message  # a French sentence for people
    assert need.status == status
    db.session.commit()
    assert db.session.query(Transition).count() == before


def test_abandon_needs_a_closed_reason_and_text_for_autre(need):
    with pytest.raises(TransitionError, match="motif"):
        workflows.transition(db.session, need, NEED, "abandonne")
    with pytest.raises(TransitionError, match="motif"):
        workflows.transition(db.session, need, NEED, "abandonne", reason_code="parce que")
    with pytest.raises(TransitionError, match="autre"):
        workflows.transition(
            db.session, need, NEED, "abandonne", reason_code="autre", reason_text="  "
        )
    assert need.status == "nouveau"
    entry = workflows.transition(
        db.session, need, NEED, "abandonne", reason_code="autre", reason_text="Projet reporté"
    )
    assert (entry.reason_code, entry.reason_text) == ("autre", "Projet reporté")


def test_reason_refused_where_none_is_expected(need):
    with pytest.raises(TransitionError):
        workflows.transition(db.session, need, NEED, "qualifie", reason_code="doublon")


def test_lead_and_referral_machines_are_consistent():
    for machine in (NEED, LEAD, REFERRAL):
        assert machine.initial in machine.labels
        for state, targets in machine.moves.items():
            assert state in machine.labels
            assert targets <= set(machine.labels)
        assert set(machine.moves) == set(machine.labels)
    assert LEAD.allowed("envoye") >= {"vu", "refuse"}
    assert "refuse" in LEAD.reasons and "autre" in LEAD.reasons["refuse"]
    assert REFERRAL.texts["close"]


def test_a_value_held_as_its_key_is_held_once_cleaned_never_when_empty():
    # ``holds`` compares a phone, an address or a name as cleaned: the same once cleaned
    # is held; an empty key is no match (junk stored and nothing typed differ).
    assert _held("06 12 34 56 78", HeldAs("0612345678", phone_key))
    assert _held("+33 6 12 34 56 78", HeldAs("0612345678", phone_key))
    assert _held("Camille@Exemple.fr", HeldAs("camille@exemple.fr", email_key))
    assert _held("Marie  Claire", HeldAs("Marie Claire", spaced_name))
    assert _held(None, HeldAs(None, phone_key))
    assert not _held("06 12 34 56 78", HeldAs("0612345679", phone_key))
    assert not _held("12", HeldAs(None, phone_key))
    assert not _held("Marie Claire", HeldAs("marie claire", spaced_name))
    assert not _held("0612345678", "06 12 34 56 78")  # a bare value: compared as it is
