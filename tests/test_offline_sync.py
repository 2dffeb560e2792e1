"""Visits recorded on a phone without network and sent later: the sync endpoint applies
the online form's rules (validation, contact-pressure guard), stores each idempotency key
once, keeps the phone's recorded time within bounds, answers 401 in JSON when the
session expired, and is for animateurs only. Also "Préparer ma tournée", its data for
the phone, the service worker and the manifest."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from connectences import clock
from connectences.contacts import clean_phone, clean_website
from connectences.extensions import db
from connectences.models import AuditLog, Company, Need, OfflineRecord, Visit
from connectences.prospection import offline
from tests import factories
from tests.fixtures_auth import csrf_token_from
from tests.helpers import count, error_of, make_company, page_text

SYNC = "/api/hors-ligne/envoi"
SESSION = "/api/hors-ligne/session"
ROUND_DATA = "/api/hors-ligne/tournee"


def now() -> datetime:
    return datetime.now(UTC)


def visit_record(company, *, key=None, at=None, confirme=False, **fields):
    data = {
        "entreprise": company.ref if company is not None else "",
        "channel": "porte_a_porte",
        "visited_on": clock.local_today().isoformat(),
        "topics": ["competences_partagees"],
        "outcome": "a_relancer",
        "notes": "Gérante intéressée, rappeler en janvier.",
        "need_detected": "",
        "follow_up_on": (clock.local_today() + timedelta(days=10)).isoformat(),
    }
    data.update(fields)
    return {
        "cle": key or str(uuid.uuid4()),
        "type": "visite",
        "enregistre_le": (at or now() - timedelta(hours=2)).isoformat(),
        "confirme": confirme,
        "donnees": data,
    }


def company_record(*, key=None, at=None, **fields):
    data = {"name": "Poissonnerie du Port", "siret": factories.make_siret(), "commune": "Arcachon"}
    data.update(fields)
    return {
        "cle": key or str(uuid.uuid4()),
        "type": "entreprise",
        "enregistre_le": (at or now() - timedelta(hours=3)).isoformat(),
        "donnees": data,
    }


def send(client, *records):
    return client.post(SYNC, json={"enregistrements": list(records)})


def results(response) -> dict[str, dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["cle"]: item for item in response.get_json()["resultats"]}


# --- storing, replay, idempotency ---------------------------------------------------------


def test_visit_is_stored_once_with_the_phone_time(client, auth):
    user = auth.login("animateur")
    company = make_company(name="Boulangerie La Mie Dorée")
    recorded = now() - timedelta(hours=5, minutes=12)
    record = visit_record(company, at=recorded)

    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "enregistre"
    assert answer["message"] == "Visite à « Boulangerie La Mie Dorée » enregistrée."

    visit = db.session.scalars(select(Visit)).one()
    assert visit.animateur_id == user.id and visit.company_id == company.id
    assert visit.channel == "porte_a_porte" and visit.outcome == "a_relancer"
    assert visit.created_at == recorded
    stored = db.session.scalars(select(OfflineRecord)).one()
    assert (stored.key, stored.kind, stored.visit_id) == (record["cle"], "visite", visit.id)
    assert stored.recorded_at == recorded


def test_a_visit_sent_without_its_date_is_dated_the_day_the_phone_recorded_it(client, auth):
    """Finding: a visit queued without « Date du contact » (the online form submitted
    without network, the field emptied) was dated the day it reached the server: a round
    of Friday sent on Monday read Monday. It is the local day of its recording time."""
    auth.login("animateur")
    recorded = now() - timedelta(days=3)
    record = visit_record(make_company(), at=recorded, visited_on="")
    assert results(send(client, record))[record["cle"]]["statut"] == "enregistre"
    visit = db.session.scalars(select(Visit)).one()
    assert visit.visited_on == clock.local_date(recorded) != clock.local_today()


def test_a_dateless_visit_recorded_by_a_phone_slightly_ahead_at_midnight_is_dated_today(
    client, auth
):
    """The phone's clock may be a few minutes ahead: recorded at 00:03 on its clock
    while the server is at 23:58, the visit is dated today, not refused as future."""
    company = make_company()
    server_now = datetime(2026, 11, 20, 23, 58, tzinfo=clock.LOCAL_TZ)
    with time_machine.travel(server_now, tick=False):
        auth.login("animateur")
        record = visit_record(
            company, at=server_now + timedelta(minutes=5), visited_on="", follow_up_on=""
        )
        record["donnees"]["outcome"] = "information_donnee"
        answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "enregistre", answer
    assert db.session.scalars(select(Visit.visited_on)).one() == date(2026, 11, 20)


def test_replayed_key_returns_the_stored_visit_and_stores_nothing_more(client, auth):
    auth.login("animateur")
    company = make_company()
    record = visit_record(company)
    first = results(send(client, record))[record["cle"]]
    again = results(send(client, record))[record["cle"]]
    assert again["statut"] == "deja_recu"
    assert again["visite"]["id"] == first["visite"]["id"]
    # The same key with other content (edited on the phone) is still the stored record.
    tampered = {**record, "donnees": {**record["donnees"], "notes": "Autre chose"}}
    third = results(send(client, tampered))[record["cle"]]
    assert third["statut"] == "deja_recu" and third["visite"]["id"] == first["visite"]["id"]
    assert count(Visit) == 1 and count(OfflineRecord) == 1
    assert db.session.scalars(select(Visit)).one().notes.startswith("Gérante")


def test_same_queue_twice_in_one_request_stores_each_record_once(client, auth):
    auth.login("animateur")
    first, second = make_company(), make_company()
    queue = [visit_record(first), visit_record(second)]
    answers = results(send(client, *queue, *queue))
    assert {a["statut"] for a in answers.values()} <= {"enregistre", "deja_recu"}
    assert count(Visit) == 2 and count(OfflineRecord) == 2


def test_key_stored_meanwhile_by_another_request_answers_already_received(
    client, auth, monkeypatch
):
    """Two tabs send the same queue: the second one's insert hits the unique key."""
    user = auth.login("animateur")
    company = make_company()
    record = visit_record(company)
    results(send(client, record))
    real_replay = offline.replay
    calls = []

    def replay_as_if_not_yet_committed(session, key, animateur):
        calls.append(key)
        # The first look-up happens before the other tab's commit; the one after the
        # unique constraint fired sees it.
        return None if len(calls) == 1 else real_replay(session, key, animateur)

    monkeypatch.setattr(offline, "replay", replay_as_if_not_yet_committed)
    # Confirmed, as the other tab's visit is not committed yet when this one's guard runs.
    answer = results(send(client, {**record, "confirme": True}))[record["cle"]]
    assert answer["statut"] == "deja_recu"
    assert len(calls) == 2
    assert count(Visit) == 1
    assert db.session.scalars(select(Visit)).one().animateur_id == user.id


def test_key_of_another_animateur_is_refused_without_showing_its_visit(client, auth, app):
    auth.login("animateur")
    company = make_company(name="Garage Secret")
    record = visit_record(company)
    results(send(client, record))
    other = app.test_client()
    auth.login("animateur", client=other)
    answer = results(send(other, record))[record["cle"]]
    assert answer["statut"] == "invalide"
    assert "autre compte" in answer["message"]
    assert "visite" not in answer and "entreprise" not in answer
    assert count(Visit) == 1


def test_a_visit_linked_to_another_animateur_s_company_is_refused_not_left_waiting(
    client, auth, app
):
    # Found by an audit: answered "en attente" for ever, and the phone kept retrying.
    auth.login("animateur")
    created = company_record()
    assert results(send(client, created))[created["cle"]]["statut"] == "enregistre"
    other = app.test_client()
    auth.login("animateur", client=other)
    visit = visit_record(None, entreprise_cle=created["cle"])
    answer = results(send(other, visit))[visit["cle"]]
    assert answer["statut"] == "invalide"
    assert "aucune fiche de votre tournée" in answer["erreurs"]["entreprise_cle"]
    assert count(Visit) == 0
    # A key stored nowhere yet still waits (its company may come in the next batch).
    waiting = visit_record(None, entreprise_cle=str(uuid.uuid4()))
    assert results(send(other, waiting))[waiting["cle"]]["statut"] == "en_attente"


# --- the same rules as online -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"channel": "pigeon_voyageur"}, "channel", "Canal inconnu"),
        ({"channel": ""}, "channel", "Choisissez le canal"),
        ({"topics": ["rien"]}, "topics", "Sujet inconnu"),
        ({"topics": "competences_partagees"}, "topics", "illisible"),
        ({"topics": [1, 2]}, "topics", "illisible"),
        ({"outcome": "gagne"}, "outcome", "Issue inconnue"),
        ({"notes": "x" * 4001}, "notes", "4\u202f000 caractères (4\u202f001 saisis)"),
        # Found by a review: over 5,000 characters it read « Valeur illisible ».
        ({"notes": "x" * 10_000}, "notes", "4\u202f000 caractères (10\u202f000 saisis)"),
        ({"notes": {"a": 1}}, "notes", "illisible"),
        ({"notes": "nul\x00"}, "notes", "illisible"),
        ({"visited_on": "31/02/2026"}, "visited_on", "invalide"),
        ({"follow_up_on": "2001-01-01"}, "follow_up_on", "déjà passée"),
    ],
)
def test_tampered_record_goes_through_full_validation(client, auth, fields, field, words):
    auth.login("animateur")
    company = make_company()
    record = visit_record(company, **fields)
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "invalide"
    assert words in answer["erreurs"][field]
    assert count(Visit) == 0 and count(OfflineRecord) == 0


def test_future_visit_date_is_refused_as_online(client, auth):
    auth.login("animateur")
    company = make_company()
    tomorrow = (clock.local_today() + timedelta(days=1)).isoformat()
    record = visit_record(company, visited_on=tomorrow, follow_up_on="")
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "invalide"
    assert "futur" in answer["erreurs"]["visited_on"]


@pytest.mark.parametrize(
    "record",
    [
        {"type": "visite"},
        {"cle": "court", "type": "visite"},
        {"cle": "x" * 65, "type": "visite"},
        "pas un objet",
    ],
)
def test_record_without_a_usable_key_is_refused(client, auth, record):
    auth.login("animateur")
    answer = send(client, record).get_json()["resultats"][0]
    assert answer["statut"] == "invalide" and "cle" in answer["erreurs"]
    assert count(OfflineRecord) == 0


def test_unknown_kind_and_unknown_company_are_refused(client, auth):
    auth.login("animateur")
    odd = {**visit_record(None), "type": "commande"}
    shapeless = {**visit_record(None), "type": ["visite"]}
    ghost = visit_record(None, entreprise="ent-inexistante")
    answers = results(send(client, odd, shapeless, ghost))
    assert "type" in answers[odd["cle"]]["erreurs"]
    assert "type" in answers[shapeless["cle"]]["erreurs"]
    assert "introuvable" in answers[ghost["cle"]]["erreurs"]["entreprise"]
    assert count(Visit) == 0


def test_unreadable_body_is_a_json_400(client, auth):
    auth.login("animateur")
    for body in ({"enregistrements": "non"}, [], {"autre": []}):
        response = client.post(SYNC, json=body)
        assert response.status_code == 400 and "illisible" in response.get_json()["message"]
    response = client.post(SYNC, data="{pas du json", content_type="application/json")
    assert response.status_code == 400


# --- the contact-pressure guard -------------------------------------------------------------


def test_guard_refusal_is_returned_with_its_reason_and_nothing_is_stored(client, auth):
    auth.login("animateur")
    company = make_company(name="Le Bistrot")
    company.do_not_solicit = True
    db.session.commit()
    record = visit_record(company)
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "refuse"
    assert "Le Bistrot" in answer["message"]
    assert any("ne plus être sollicitée" in reason for reason in answer["raisons"])
    assert count(Visit) == 0 and count(OfflineRecord) == 0
    # The company changed its mind: the same record, sent again, is stored.
    company.do_not_solicit = False
    db.session.commit()
    assert results(send(client, record))[record["cle"]]["statut"] == "enregistre"


def _called_today_by_a_colleague(auth, name: str, cap: int | None = None) -> Company:
    """A company a colleague, Claire Dupuis, called today (``cap``: the contacts a month
    it accepts)."""
    colleague = auth.create("animateur", full_name="Claire Dupuis")
    company = make_company(name=name)
    company.max_contacts_per_month = cap
    db.session.add(
        Visit(
            company_id=company.id,
            animateur_id=colleague.id,
            channel="telephone",
            visited_on=clock.local_today(),
            topics=[],
        )
    )
    db.session.commit()
    return company


def _at_its_cap(auth, name: str) -> Company:
    """A company that accepts one contact a month and had it today, from a colleague."""
    return _called_today_by_a_colleague(auth, name, cap=1)


def _over_cap_entries() -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "visit.over_cap")).all()


def test_a_queued_visit_refused_for_the_cap_says_it_may_pass_it(client, auth):
    """The phone's visit refused for the cap came back with "wait for next month" and no
    way to record it with the company's agreement, as the online form allows."""
    auth.login("animateur")
    company = _at_its_cap(auth, "Cave du Bassin")
    record = visit_record(company)
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "refuse" and answer["plafond_depassable"] is True
    assert "Cave du Bassin" in answer["message"]
    said = " ".join(answer["raisons"])
    assert "au plus 1 contact par mois" in said
    assert "Attendez le mois prochain (à partir du 1er " in said
    assert ") ou, si elle a accepté d'être contactée malgré tout" in said
    assert count(Visit) == 1 and count(OfflineRecord) == 0


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("  ", "Indiquez pourquoi l'entreprise accepte ce contact"),
        ("x" * 2001, "ne doit pas dépasser"),
    ],
)
def test_passing_the_cap_offline_needs_a_usable_reason(client, auth, reason, said):
    auth.login("animateur")
    company = _at_its_cap(auth, "Cave du Bassin")
    record = visit_record(company, malgre_plafond="1", raison_plafond=reason)
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "invalide"
    assert said in answer["erreurs"]["raison_plafond"]
    assert count(Visit) == 1 and _over_cap_entries() == []


def test_a_queued_visit_passes_the_cap_with_the_company_s_agreement_and_its_reason(client, auth):
    me = auth.login("animateur")
    company = _at_its_cap(auth, "Cave du Bassin")
    reason = "La gérante m'a demandé de repasser pour le devis"
    record = visit_record(company, malgre_plafond="1", raison_plafond=reason)
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "enregistre", answer
    visit = db.session.scalar(select(Visit).where(Visit.animateur_id == me.id))
    (entry,) = _over_cap_entries()
    assert entry.entity_id == visit.id and entry.details["reason"] == reason
    assert "1 par mois, déjà 1 en" in entry.details["cap"]


def test_a_company_that_asked_not_to_be_solicited_is_never_passed_offline(client, auth):
    auth.login("animateur")
    company = _at_its_cap(auth, "Cave du Bassin")
    company.do_not_solicit = True
    db.session.commit()
    record = visit_record(company, malgre_plafond="1", raison_plafond="Elle est d'accord")
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "refuse" and not answer.get("plafond_depassable")
    assert not any("malgré tout" in reason for reason in answer["raisons"])
    assert count(Visit) == 1 and _over_cap_entries() == []


def test_the_round_offers_a_visit_to_a_company_at_its_cap(client, auth):
    auth.login("animateur")
    company = _at_its_cap(
        auth,
        "Cave du Bassin",
    )
    company.naf = "56.30Z"
    db.session.commit()
    data = client.get(ROUND_DATA, query_string={"naf": "56.30Z"}).get_json()
    (entry,) = data["entreprises"]
    assert entry["decision"] == "refuse" and entry["plafond_depassable"] is True
    assert any("malgré tout" in reason for reason in entry["raisons"])
    company.do_not_solicit = True
    db.session.commit()
    (entry,) = client.get(ROUND_DATA, query_string={"naf": "56.30Z"}).get_json()["entreprises"]
    assert entry["plafond_depassable"] is False


def test_colleague_visit_meanwhile_asks_for_confirmation(client, auth, app):
    me = auth.login("animateur")
    company = _called_today_by_a_colleague(auth, "Cave du Bassin")
    record = visit_record(company)
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "a_confirmer"
    assert any("Claire Dupuis" in reason for reason in answer["raisons"])
    assert count(Visit) == 1
    confirmed = results(send(client, {**record, "confirme": True}))[record["cle"]]
    assert confirmed["statut"] == "enregistre"
    assert db.session.scalar(select(Visit).where(Visit.animateur_id == me.id)) is not None


def test_a_visit_s_text_loses_its_control_characters_as_every_way_in(client, auth):
    auth.login("animateur")
    company = make_company()
    record = visit_record(company, notes="Rappeler\x07 en janvier\x1b[31m")
    assert results(send(client, record))[record["cle"]]["statut"] == "enregistre"
    assert db.session.scalars(select(Visit.notes)).one() == "Rappeler en janvier[31m"


# --- the phone's time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "words"),
    [
        (lambda: (now() + timedelta(hours=2)).isoformat(), "dans le futur"),
        (lambda: (now() - timedelta(days=31)).isoformat(), "plus de 30 jours"),
        (lambda: now().replace(tzinfo=None).isoformat(), "fuseau horaire"),
        (lambda: "hier soir", "illisible"),
        (lambda: None, "manque"),
    ],
)
def test_recorded_time_is_bounded(client, auth, at, words):
    auth.login("animateur")
    company = make_company()
    record = {**visit_record(company), "enregistre_le": at()}
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "invalide"
    assert words in answer["erreurs"]["enregistre_le"]
    assert count(Visit) == 0


def test_small_clock_drift_and_a_month_old_record_are_accepted(client, auth, app, monkeypatch):
    auth.login("animateur")
    ahead = visit_record(make_company(), at=now() + timedelta(minutes=5))
    old = visit_record(make_company(), at=now() - timedelta(days=29))
    answers = results(send(client, ahead, old))
    assert {a["statut"] for a in answers.values()} == {"enregistre"}
    # The bound is a setting.
    monkeypatch.setitem(app.config, "OFFLINE_MAX_AGE_DAYS", 7)
    late = visit_record(make_company(), at=now() - timedelta(days=8))
    assert "plus de 7 jours" in results(send(client, late))[late["cle"]]["message"]


# --- new companies and detected needs ---------------------------------------------------------


def test_new_company_and_its_visit_in_one_queue_in_any_order(client, auth):
    auth.login("animateur")
    created = company_record(met_name="Jeanne Martin", met_phone="06 12 34 56 78")
    visit = visit_record(None, entreprise="", entreprise_cle=created["cle"])
    answers = results(send(client, visit, created))
    assert answers[created["cle"]]["statut"] == "enregistre"
    assert answers[visit["cle"]]["statut"] == "enregistre"
    company = db.session.scalars(select(Company)).one()
    assert company.name == "Poissonnerie du Port"
    assert company.created_at == datetime.fromisoformat(created["enregistre_le"])
    assert [c.name for c in company.contacts] == ["Jeanne Martin"]
    assert db.session.scalars(select(Visit)).one().company_id == company.id


def test_a_company_typed_with_a_village_tells_the_phone_its_commune(client, auth):
    # The round's phone has no resolver of its own: the server reads the commune
    # when the record arrives, and its answer says which one it recorded.
    auth.login("animateur")
    created = company_record(commune="Cazaux")
    answer = results(send(client, created))[created["cle"]]
    assert answer["statut"] == "enregistre"
    assert "Commune enregistrée : La Teste-de-Buch (33260), pour « Cazaux »" in answer["message"]
    assert db.session.scalars(select(Company)).one().commune == "33529"


def test_visit_of_a_company_not_yet_received_waits(client, auth):
    auth.login("animateur")
    bad = company_record(siret="123")
    visit = visit_record(None, entreprise="", entreprise_cle=bad["cle"])
    answers = results(send(client, bad, visit))
    assert answers[bad["cle"]]["statut"] == "invalide"
    assert "14 chiffres" in answers[bad["cle"]]["erreurs"]["siret"]
    assert answers[visit["cle"]]["statut"] == "en_attente"
    assert count(Company) == 0 and count(Visit) == 0


def test_similar_company_name_asks_for_confirmation(client, auth):
    auth.login("animateur")
    make_company(name="Poissonnerie du Port")
    record = company_record(name="Poissonnerie du Port ")
    answer = results(send(client, record))[record["cle"]]
    assert answer["statut"] == "a_confirmer"
    assert "Poissonnerie du Port" in answer["raisons"][0]
    assert results(send(client, {**record, "confirme": True}))[record["cle"]]["statut"] == (
        "enregistre"
    )
    assert count(Company) == 2


def need_record(visit_key, **fields):
    data = {
        "visite_cle": visit_key,
        "title": "Comptabilité, un jour par semaine",
        "skills": "tenue de la comptabilité",
        "level": "employe_qualifie",
        "hours_per_week": "7",
        "days": ["mon"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": (clock.local_today() + timedelta(days=30)).isoformat(),
    }
    data.update(fields)
    return {
        "cle": str(uuid.uuid4()),
        "type": "besoin",
        "enregistre_le": (now() - timedelta(hours=1)).isoformat(),
        "donnees": data,
    }


def test_detected_need_is_created_from_its_offline_visit(client, auth):
    user = auth.login("animateur")
    company = make_company()
    visit = visit_record(company, need_detected="1")
    need = need_record(visit["cle"])
    answers = results(send(client, need, visit))
    assert answers[need["cle"]]["statut"] == "enregistre"
    assert "url_besoin" not in answers[need["cle"]]
    # Its need came with it: the visit does not invite describing it a second time.
    assert "url_besoin" not in answers[visit["cle"]]
    stored = db.session.scalars(select(Need)).one()
    saved_visit = db.session.scalars(select(Visit)).one()
    assert (stored.visit_id, stored.company_id, stored.created_by_id) == (
        saved_visit.id,
        company.id,
        user.id,
    )
    assert stored.status == "nouveau" and saved_visit.need_detected


def test_detected_need_with_bad_fields_is_refused_field_by_field(client, auth):
    auth.login("animateur")
    company = make_company()
    visit = visit_record(company, need_detected="1")
    need = need_record(visit["cle"], hours_per_week="300", days=["lundi"])
    answers = results(send(client, visit, need))
    assert answers[visit["cle"]]["statut"] == "enregistre"
    # The need stays on the phone to be corrected: no invitation to describe it online
    # as well (the same need twice).
    assert "url_besoin" not in answers[visit["cle"]]
    errors = answers[need["cle"]]["erreurs"]
    assert set(errors) == {"hours_per_week", "days"}
    assert count(Need) == 0


def test_a_visit_sent_without_its_need_points_to_the_need_form(client, auth):
    auth.login("animateur")
    visit = visit_record(make_company(), need_detected="1")
    answers = results(send(client, visit))
    assert answers[visit["cle"]]["url_besoin"].startswith("/animateur/besoins/nouveau?")


def send_holding(client, held, *records):
    """Send ``records`` from a phone that says it still holds the keys ``held``."""
    body = {"enregistrements": list(records), "cles_sur_le_telephone": list(held)}
    return client.post(SYNC, json=body)


def test_need_of_a_visit_the_phone_no_longer_holds_is_refused_not_left_waiting(client, auth):
    # Found by an audit: the need of an abandoned visit answered "en attente" for ever.
    auth.login("animateur")
    gone = str(uuid.uuid4())
    need = need_record(gone)
    answer = results(send_holding(client, [need["cle"]], need))[need["cle"]]
    assert answer["statut"] == "refuse"
    assert "n'est plus sur ce téléphone" in answer["message"]
    assert "Abandonnez ce besoin" in answer["erreurs"]["visite_cle"]
    assert count(Need) == 0 and count(OfflineRecord) == 0


def test_visit_of_a_company_the_phone_no_longer_holds_is_refused(client, auth):
    auth.login("animateur")
    visit = visit_record(None, entreprise="", entreprise_cle=str(uuid.uuid4()))
    answer = results(send_holding(client, [], visit))[visit["cle"]]
    assert answer["statut"] == "refuse"
    assert "Abandonnez cette visite" in answer["erreurs"]["entreprise_cle"]
    assert count(Visit) == 0


def test_records_waiting_for_one_the_phone_still_holds_keep_waiting(client, auth):
    auth.login("animateur")
    company = make_company()
    # The visit is on the phone, to correct (not sent): its need waits for it.
    held_visit = str(uuid.uuid4())
    need = need_record(held_visit)
    answer = results(send_holding(client, [held_visit, need["cle"]], need))[need["cle"]]
    assert answer["statut"] == "en_attente"
    # Sent in the same batch and refused there: the need waits too, whatever the list.
    bad_visit = visit_record(company, channel="pigeon_voyageur")
    waiting = need_record(bad_visit["cle"])
    answers = results(send_holding(client, [], bad_visit, waiting))
    assert answers[bad_visit["cle"]]["statut"] == "invalide"
    assert answers[waiting["cle"]]["statut"] == "en_attente"
    # A page that does not say what it holds (or says it unreadably) is never refused.
    for body in ({}, {"cles_sur_le_telephone": "tout"}, {"cles_sur_le_telephone": [1] * 3000}):
        response = client.post(SYNC, json={"enregistrements": [need], **body})
        assert results(response)[need["cle"]]["statut"] == "en_attente"
    assert count(Need) == 0


# --- session, CSRF and permissions ---------------------------------------------------------------


def test_expired_session_answers_401_in_json_and_stores_nothing(client, auth, app):
    auth.login("animateur")
    company = make_company()
    auth.logout()
    for response in (client.get(SESSION), send(client, visit_record(company))):
        assert response.status_code == 401
        assert response.get_json() == {"erreur": "Authentification requise."}
    assert count(Visit) == 0


def test_session_check_gives_a_token_that_the_sync_requires(client, auth, app, monkeypatch):
    user = auth.login("animateur")
    company = make_company()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    record = visit_record(company)
    refused = send(client, record)
    assert refused.status_code == 400
    assert "expiré" in refused.get_json()["message"]
    assert count(Visit) == 0
    session = client.get(SESSION).get_json()
    assert session["animateur"] == user.id
    response = client.post(
        SYNC, json={"enregistrements": [record]}, headers={"X-CSRFToken": session["csrf_token"]}
    )
    assert results(response)[record["cle"]]["statut"] == "enregistre"


@pytest.mark.parametrize("role", ["admin", "operator", "partner", "company", "candidate"])
def test_other_roles_are_refused(client, auth, role):
    auth.login(role)
    company = make_company()
    for url in (SESSION, f"{ROUND_DATA}?commune=33009", "/animateur/tournee"):
        assert client.get(url).status_code == 403, url
    assert client.get("/animateur/tournee/preparer").status_code == 403
    response = send(client, visit_record(company))
    assert response.status_code == 403
    assert response.get_json()["erreur"] == "Accès refusé"
    assert count(Visit) == 0


# --- preparing a round ---------------------------------------------------------------------------


def test_round_data_holds_pressure_and_last_contact_of_the_picked_companies(client, auth):
    me = auth.login("animateur", full_name="Léa Morel")
    refused = make_company(name="Atelier Fermé", commune="33009")
    refused.do_not_solicit = True
    visited = make_company(name="Boulangerie Marine", commune="33009")
    elsewhere = make_company(name="Garage de Biganos", commune="33051")
    db.session.add(
        Visit(
            company_id=visited.id,
            animateur_id=me.id,
            channel="porte_a_porte",
            visited_on=clock.local_today() - timedelta(days=3),
            topics=[],
            follow_up_on=clock.local_today(),
        )
    )
    db.session.commit()
    data = client.get(ROUND_DATA, query_string={"commune": "Arcachon"}).get_json()
    by_name = {c["nom"]: c for c in data["entreprises"]}
    assert set(by_name) == {"Atelier Fermé", "Boulangerie Marine"}
    assert by_name["Atelier Fermé"]["decision"] == "refuse"
    assert by_name["Atelier Fermé"]["etat"] == "Contact impossible"
    marine = by_name["Boulangerie Marine"]
    assert marine["decision"] == "warn"
    day = (clock.local_today() - timedelta(days=3)).strftime("%d/%m/%Y")
    assert marine["dernier_contact"] == f"{day} par Léa Morel — Porte-à-porte"
    assert marine["relance"] == clock.local_today().strftime("%d/%m/%Y")
    assert data["animateur"] == me.id
    expires = datetime.fromisoformat(data["expire_le"])
    assert timedelta(hours=13) < expires - now() <= timedelta(hours=14)
    # Only the companies picked; by follow-up due; nothing without a filter.
    picked = client.get(ROUND_DATA, query_string={"commune": "33009", "ref": visited.ref})
    assert [c["nom"] for c in picked.get_json()["entreprises"]] == ["Boulangerie Marine"]
    due = client.get(ROUND_DATA, query_string={"relances": "1"}).get_json()
    assert [c["nom"] for c in due["entreprises"]] == ["Boulangerie Marine"]
    assert client.get(ROUND_DATA).status_code == 400
    assert elsewhere.name not in {c["nom"] for c in data["entreprises"]}


def test_the_round_gives_each_company_s_phone_and_website_and_nothing_when_unknown(client, auth):
    auth.login("animateur")
    shop = make_company(name="Poissonnerie Lucas", commune="33009")
    shop.phone = clean_phone("05 36 49 12 34")
    shop.website = clean_website("www.poissonnerie-lucas.example")
    abroad = make_company(name="Bodega Vasca", commune="33009")
    abroad.phone = clean_phone("+34 912 345 678")
    make_company(name="Cordonnerie Sans Numéro", commune="33009")
    db.session.commit()
    data = client.get(ROUND_DATA, query_string={"commune": "33009"}).get_json()
    by_name = {c["nom"]: c for c in data["entreprises"]}
    lucas = by_name["Poissonnerie Lucas"]
    # Shown as the company's page shows it, dialled as stored.
    assert lucas["telephone"] == "05 36 49 12 34"
    assert lucas["url_telephone"] == "tel:0536491234"
    assert lucas["site"] == "https://www.poissonnerie-lucas.example"
    vasca = by_name["Bodega Vasca"]
    assert (vasca["telephone"], vasca["url_telephone"]) == ("+34912345678", "tel:+34912345678")
    assert vasca["site"] is None
    unknown = by_name["Cordonnerie Sans Numéro"]
    assert (unknown["telephone"], unknown["url_telephone"], unknown["site"]) == (None, None, None)

    # The page the round is picked (and printed) from says them too, only where known.
    page = client.get("/animateur/tournee/preparer", query_string={"commune": "33009"})
    html = page.get_data(as_text=True)
    assert '<a href="tel:0536491234">05 36 49 12 34</a>' in html
    assert (
        '<a href="https://www.poissonnerie-lucas.example" rel="noopener noreferrer nofollow"'
        in html
    )
    body = page_text(page)
    assert body.count("Téléphone :") == 2 and body.count("Site web :") == 1
    sans = body.split("Cordonnerie Sans Numéro", 1)[1].split("Dernier contact", 1)[0]
    assert "Téléphone" not in sans and "Site web" not in sans


def test_round_by_naf_prefix_and_bad_filters(client, auth):
    auth.login("animateur")
    make_company(name="Restaurant Le Port", naf="56.10A")
    make_company(name="Plombier Durand", naf="43.22A")
    data = client.get(ROUND_DATA, query_string={"naf": "56"}).get_json()
    assert [c["nom"] for c in data["entreprises"]] == ["Restaurant Le Port"]
    assert data["entreprises"][0]["activite"].startswith("56.10A — ")
    bad = client.get(ROUND_DATA, query_string={"naf": "cuisine", "commune": "Atlantide"})
    assert bad.status_code == 400
    assert set(bad.get_json()["erreurs"]) == {"naf", "commune"}
    page = client.get("/animateur/tournee/preparer", query_string={"naf": "cuisine"})
    assert page.status_code == 200 and "Code NAF illisible" in error_of(page, "naf")


def test_prepare_page_lists_companies_with_their_pressure_without_javascript(client, auth):
    auth.login("animateur")
    company = make_company(name="Crêperie du Moulleau", commune="33009")
    company.do_not_solicit = True
    db.session.commit()
    page = client.get("/animateur/tournee/preparer", query_string={"commune": "33009"})
    body = page_text(page)
    assert "1 entreprise" in body and "Crêperie du Moulleau" in body
    assert "Contact impossible" in body
    assert "Dernier contact : jamais contactée sur la plateforme" in body


def test_round_page_holds_nothing_personal(client, auth):
    auth.login("animateur")
    make_company(name="Entreprise Très Privée")
    body = client.get("/animateur/tournee").get_data(as_text=True)
    assert "Entreprise Très Privée" not in body
    assert 'id="form-visite"' in body and "Envoyer maintenant" in body
    assert "<script>" not in body  # CSP: no inline script


# --- the installable app ----------------------------------------------------------------------------


def test_service_worker_is_served_from_the_root_with_a_versioned_cache(client, app, monkeypatch):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert "var CONFIG = null" not in body and '"version": "' in body
    version = body.split('"version": "')[1].split('"')[0]
    assert len(version) == 12
    monkeypatch.setitem(app.config, "OFFLINE_CACHE_VERSION", "2")
    bumped = client.get("/sw.js").get_data(as_text=True)
    assert version not in bumped


def test_manifest_and_its_icons(app, client, monkeypatch):
    # The platform's configured name, as every page and mail says it.
    monkeypatch.setitem(app.config, "PLATFORM_NAME", "Emploi Partagé Sud")
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.get_json(force=True)
    assert data["short_name"] == "Emploi Partagé Sud"
    assert data["name"] == "Emploi Partagé Sud — visites de prospection"
    assert data["lang"] == "fr" and data["display"] == "standalone"
    assert data["start_url"] == "/animateur/tournee"
    sizes = set()
    for icon in data["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            raw = image.get_data()
            assert raw.startswith(b"\x89PNG")
            width = int.from_bytes(raw[16:20], "big")
            assert icon["sizes"] == f"{width}x{width}"
            sizes.add(width)
        image.close()
    assert {192, 512} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])


def test_logout_tells_the_browser_to_clear_the_offline_store(client, auth):
    auth.login("animateur")
    page = client.get("/animateur/tournee").get_data(as_text=True)
    assert "data-deconnexion" in page and "offline-boot.js" in page
    response = client.post("/deconnexion", data={"csrf_token": csrf_token_from(page) or ""})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_offline_scripts_are_loaded_for_animateurs_only(client, auth):
    auth.login("operator")
    body = client.get("/operateur").get_data(as_text=True)
    assert "offline-boot.js" not in body
    assert 'rel="manifest"' in body


@pytest.mark.parametrize("field", ["channel", "outcome"])
def test_a_pasted_value_is_quoted_cut_in_its_message(client, auth, field):
    # The length bound of the sync went (a long note gets its limit): an unknown value of
    # 100,000 characters came back whole in its message, a 100 KB answer per record.
    auth.login("animateur")
    pasted = "x" * 100_000
    record = visit_record(make_company(), **{field: pasted})
    message = results(send(client, record))[record["cle"]]["erreurs"][field]
    assert "« " + "x" * 40 + "… »" in message and len(message) < 100


@pytest.mark.parametrize("typed", ["1" * 5000, "a" * 5000, "4" * 13 + "x" * 5000])
def test_a_pasted_siret_is_quoted_cut_in_its_message(typed):
    from connectences.prospection.companies import CompanyError, clean_siret

    with pytest.raises(CompanyError) as refused:
        clean_siret(typed)
    assert len(refused.value.errors["siret"]) < 200
