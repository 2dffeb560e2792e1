"""The animateurs' side of the needs register, through the client: every need transition
(allowed and refused) with its log, a need entered from a visit, qualification, and the
board's filters, counts and export."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from connectences import workflows
from connectences.clock import LOCAL_TZ, local_today
from connectences.extensions import db
from connectences.models import (
    Candidate,
    FollowUpPoint,
    Lead,
    Need,
    Operator,
    OutboxMessage,
    Partner,
    Referral,
    Transition,
    User,
    Visit,
)
from connectences.tabular import read_table
from connectences.workflows import NEED, dispatch
from connectences.workflows import leads as lead_flow
from tests import factories as f
from tests.helpers import (
    count,
    element_by_id,
    guard_in,
    html_of,
    need_by_ref,
    page_text,
    page_text_of,
    read_guard_at,
    read_stamp_at,
    stamp_in,
)

STATES = list(NEED.labels)
FUTURE = (local_today() + timedelta(days=20)).isoformat()


def _need_log(need_id: int) -> list[Transition]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Transition)
            .where(Transition.entity == "need", Transition.entity_id == need_id)
            .order_by(Transition.id)
        )
    )


@pytest.fixture
def data():
    f.load(
        f.document(
            operators=[f.operator(ref="ge", name="GE Bassin", email="ge@exemple.fr")],
            partners=[f.partner(ref="ft", name="France Travail Arcachon", email="ft@exemple.fr")],
            companies=[
                f.company(ref="c1", name="Boulangerie du Port"),
                f.company(ref="c2", name="Garage des Pins", commune=f.GUJAN),
                f.company(ref="c3", name="Scierie du Val", commune="33019"),  # Audenge, COBAN
            ],
            candidates=[
                f.candidate(
                    ref="ok",
                    first_name="Camille",
                    last_name="Comptable",
                    skills=["tenue de la comptabilité", "facturation"],
                    level="technicien",
                    days=["tue", "thu"],
                )
            ],
            needs=[
                f.need(ref="n1", company="c1", title="Comptable un jour par semaine", days=["tue"]),
            ],
        )
    )


@pytest.fixture
def animateur(auth, data):
    return auth.login("animateur", full_name="Alex Animateur")


# --- the full state x state table of needs, through the web ------------------------------


def _put_in_state(state: str) -> dict:
    """Bring need n1 into ``state`` through the domain (setup); return the lead, if any."""
    need = need_by_ref("n1")
    operator = db.session.scalars(select(Operator).where(Operator.ref == "ge")).one()
    partner = db.session.scalars(select(Partner).where(Partner.ref == "ft")).one()
    person = db.session.scalars(select(Candidate).where(Candidate.ref == "ok")).one()
    lead = None
    if state in ("qualifie", "en_recherche", "propose", "pourvu"):
        workflows.transition(db.session, need, NEED, "qualifie")
    if state == "en_recherche":
        workflows.transition(db.session, need, NEED, "en_recherche")
    if state in ("propose", "pourvu"):
        lead = dispatch.send_lead(db.session, needs=[need], operator=operator, candidates=[person])
        db.session.flush()
    if state == "pourvu":
        lead_flow.accept(db.session, lead)
        lead_flow.record_placement(
            db.session,
            lead,
            candidate=person,
            needs=[need],
            hours_per_week=7,
            contract="cdi_temps_partage",
            start_date=local_today(),
        )
    if state == "reoriente":
        dispatch.send_referral(db.session, need=need, partner=partner, reasons=["Test"])
    if state == "abandonne":
        workflows.transition(db.session, need, NEED, "abandonne", reason_code="doublon")
    db.session.commit()
    assert need_by_ref("n1").status == state
    return {"lead_id": lead.id if lead else None, "candidate_id": person.id, "need_id": need.id}


def _move_through_the_web(app, client, auth, source: str, target: str, setup: dict):
    """Ask for ``target`` the way a person would from ``source``; return who acted."""
    if source == "pourvu" and target == "en_recherche":
        # Leaving "pourvu" follows the placement: its follow-up says it does not hold.
        operator_client = app.test_client()
        user = auth.login("operator", client=operator_client, org_ref="ge")
        point = db.session.scalars(select(FollowUpPoint).where(FollowUpPoint.months == 1)).one()
        operator_client.post(
            f"/operateur/propositions/{setup['lead_id']}/suivi/{point.id}",
            data={"entreprise": "Ne vient plus", "tient": "non", "relancer": "1"},
        )
        return user, None
    if source == "propose" and target in ("en_recherche", "pourvu"):
        # Leaving "propose" follows the lead: the operator refuses it or places someone.
        operator_client = app.test_client()
        user = auth.login("operator", client=operator_client, org_ref="ge")
        lead = setup["lead_id"]
        if target == "en_recherche":
            operator_client.post(
                f"/operateur/propositions/{lead}/action",
                data={"action": "refuser", "motif": "pas_de_candidat"},
            )
        else:
            operator_client.post(
                f"/operateur/propositions/{lead}/action", data={"action": "accepter"}
            )
            operator_client.post(
                f"/operateur/propositions/{lead}/placement",
                data={
                    "candidat": str(setup["candidate_id"]),
                    "besoins": [str(setup["need_id"])],
                    "heures": "7",
                    "contrat": "cdi_temps_partage",
                    "debut": local_today().isoformat(),
                },
            )
        return user, None
    if target == "propose":
        response = client.post(
            "/animateur/besoins/n1/proposer", data={"operateur": "ge", "candidats": ["ok"]}
        )
    elif target == "reoriente":
        response = client.post(
            "/animateur/besoins/n1/reorienter",
            data={"partenaire": "ft", "motif": "aucun_operateur"},
        )
    elif target == "abandonne":
        response = client.post(
            "/animateur/besoins/n1/statut",
            data={"etat": "abandonne", "motif": "autre", "precision": "L'entreprise a fermé"},
        )
    elif target == "qualifie" and source == "nouveau":
        # Qualifying goes through its form (ROME code, shared time), not a status button.
        response = client.post("/animateur/besoins/n1/qualifier", data=_qualify_form())
    else:
        response = client.post("/animateur/besoins/n1/statut", data={"etat": target})
    return None, response


@pytest.mark.parametrize("target", STATES)
@pytest.mark.parametrize("source", STATES)
def test_every_need_transition_allowed_or_refused(app, client, auth, animateur, source, target):
    setup = _put_in_state(source)
    need_id = setup["need_id"]
    log_before = len(_need_log(need_id))
    leads, referrals = count(Lead), count(Referral)
    actor, response = _move_through_the_web(app, client, auth, source, target, setup)
    allowed = target in NEED.allowed(source)
    log = _need_log(need_id)
    if allowed:
        assert need_by_ref("n1").status == target
        new = log[log_before:]
        assert [(t.from_state, t.to_state) for t in new] == [(source, target)]
        assert new[0].actor_id == (actor or animateur).id
        assert new[0].at is not None
        if target == "abandonne":
            assert (new[0].reason_code, new[0].reason_text) == ("autre", "L'entreprise a fermé")
        if actor is None:
            page = client.get("/animateur/besoins/n1").get_data(as_text=True)
            assert "Alex Animateur" in page  # who, in the history shown on the need page
    else:
        assert need_by_ref("n1").status == source
        assert len(log) == log_before
        assert (count(Lead), count(Referral)) == (leads, referrals)
        assert response.status_code == 302
        page = client.get(response.location).get_data(as_text=True)
        assert "flash flash-error" in page  # a French message says why


def test_the_table_covers_every_pair():
    allowed = sum(len(NEED.allowed(s)) for s in STATES)
    assert allowed == 18 and len(STATES) ** 2 - allowed == 31


def test_abandon_without_a_reason_is_refused_and_changes_nothing(client, animateur):
    need = need_by_ref("n1")
    before = len(_need_log(need.id))
    for form in (
        {"etat": "abandonne"},
        {"etat": "abandonne", "motif": "nimporte"},
        {"etat": "abandonne", "motif": "autre"},  # "autre" needs its text
    ):
        client.post("/animateur/besoins/n1/statut", data=form)
        assert need_by_ref("n1").status == "nouveau" and len(_need_log(need.id)) == before
    client.post("/animateur/besoins/n1/statut", data={"etat": "abandonne", "motif": "budget"})
    assert need_by_ref("n1").status == "abandonne"
    assert _need_log(need.id)[-1].reason_code == "budget"
    html = client.get("/animateur/besoins/n1").get_data(as_text=True)
    assert "Budget insuffisant" in html


# --- a need entered by an animateur ------------------------------------------------------


def _need_form(**overrides) -> dict:
    data = {
        "title": "Secrétariat le jeudi",
        "skills": "accueil téléphonique\nfacturation",
        "level": "employe_qualifie",
        "hours_per_week": "7",
        "days": ["thu"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": FUTURE,
    }
    return f.overridden(data, overrides)


def _visit(company_ref: str, animateur) -> Visit:
    from connectences.models import Company

    company = db.session.scalars(select(Company).where(Company.ref == company_ref)).one()
    visit = Visit(
        company_id=company.id,
        animateur_id=animateur.id,
        channel="porte_a_porte",
        visited_on=local_today(),
        need_detected=True,
    )
    db.session.add(visit)
    db.session.commit()
    return visit


def test_need_from_a_visit_is_prefilled_linked_and_queued(client, animateur):
    visit = _visit("c2", animateur)
    url = f"/animateur/besoins/nouveau?entreprise=c2&visite={visit.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Garage des Pins" in page and f'name="visite" value="{visit.id}"' in page
    response = client.post(
        "/animateur/besoins/nouveau", data={**_need_form(), "entreprise": "c2", "visite": visit.id}
    )
    assert response.status_code == 302
    need = db.session.scalars(select(Need).where(Need.title == "Secrétariat le jeudi")).one()
    assert need.visit_id == visit.id and need.company.ref == "c2"
    assert need.source == "animateur" and need.created_by_id == animateur.id
    assert need.skills == ["accueil téléphonique", "facturation"]
    log = _need_log(need.id)
    assert [(t.from_state, t.to_state, t.actor_id) for t in log] == [
        (None, "nouveau", animateur.id)
    ]
    assert "Secrétariat le jeudi" in client.get("/animateur/besoins").get_data(as_text=True)


def test_need_from_scratch_picks_the_company(client, animateur):
    page = client.get("/animateur/besoins/nouveau?recherche=garage").get_data(as_text=True)
    assert 'href="/animateur/besoins/nouveau?entreprise=c2"' in page
    assert "Boulangerie" not in page
    siret = need_by_ref("n1").company.siret
    page = client.get(f"/animateur/besoins/nouveau?recherche={siret[:9]}").get_data(as_text=True)
    assert "?entreprise=c1" in page and "Garage" not in page
    page = client.get("/animateur/besoins/nouveau?recherche=Boulan").get_data(as_text=True)
    assert "?entreprise=c1" in page
    before = count(Need)
    response = client.post("/animateur/besoins/nouveau", data=_need_form())
    assert response.status_code == 422 and "Choisissez l&#39;entreprise" in response.get_data(
        as_text=True
    )
    assert count(Need) == before


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"hours_per_week": "50"}, "entre 1 et 48"),
        ({"start": (local_today() - timedelta(days=3)).isoformat()}, "dans le passé"),
        ({"days": None}, "Cochez au moins un jour"),
        ({"commune": "Inconnue-les-Bains"}, "Commune inconnue"),
        ({"reason": "nope"}, "la raison de ce besoin"),
    ],
)
def test_bad_input_on_the_animateur_form_writes_nothing(client, animateur, overrides, message):
    before = (count(Need), count(Transition))
    response = client.post(
        "/animateur/besoins/nouveau", data={**_need_form(**overrides), "entreprise": "c1"}
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert (count(Need), count(Transition)) == before


def test_visit_of_another_company_is_refused(client, animateur):
    visit = _visit("c2", animateur)
    response = client.post(
        "/animateur/besoins/nouveau", data={**_need_form(), "entreprise": "c1", "visite": visit.id}
    )
    assert response.status_code == 422
    assert "ne concerne pas cette entreprise" in response.get_data(as_text=True)
    assert count(Need) == 1


def test_duplicate_is_pointed_out_to_the_animateur(client, animateur):
    form = {**_need_form(title="  COMPTABLE un jour, par semaine"), "entreprise": "c1"}
    response = client.post("/animateur/besoins/nouveau", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'href="/animateur/besoins/n1"' in html and "même intitulé" in html
    assert count(Need) == 1
    client.post("/animateur/besoins/nouveau", data={**form, "confirm_duplicate": "1"})
    assert count(Need) == 2


# --- qualification -----------------------------------------------------------------------


def _qualify_form(**overrides) -> dict:
    need = need_by_ref("n1")
    data = {
        "title": need.title,
        "skills": "tenue de la comptabilité",
        "level": "technicien",
        "hours_per_week": "7",
        "days": ["tue"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": FUTURE,
        "rome": "M1203",
        "shared_time": "oui",
        # As the page read now gives it (``workflows.unchanged_since``).
        "lu_le": workflows.read_stamp(need),
    }
    return f.overridden(data, overrides)


def test_qualification_page_suggests_rome_codes_and_qualifies(client, animateur):
    page = client.get("/animateur/besoins/n1/qualifier").get_data(as_text=True)
    assert 'name="rome" value="M1203"' in page and "Comptabilité" in page
    response = client.post("/animateur/besoins/n1/qualifier", data=_qualify_form())
    assert response.status_code == 302
    need = need_by_ref("n1")
    assert need.status == "qualifie" and need.rome == "M1203" and need.shared_time is True
    assert need.level == "technicien" and need.skills == ["tenue de la comptabilité"]
    last = _need_log(need.id)[-1]
    assert (last.from_state, last.to_state, last.actor_id) == ("nouveau", "qualifie", animateur.id)
    # Qualifying again updates the fields without another transition.
    client.post(
        "/animateur/besoins/n1/qualifier",
        data=_qualify_form(rome="autre", rome_saisi="M1204", shared_time="non"),
    )
    need = need_by_ref("n1")
    assert need.rome == "M1204" and need.shared_time is False and need.status == "qualifie"
    assert _need_log(need.id)[-1].id == last.id


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"rome": None}, "Choisissez le métier"),
        ({"rome": "autre", "rome_saisi": "Z9999"}, "Code ROME inconnu"),
        ({"shared_time": None}, "temps partagé"),
        ({"hours_per_week": "0"}, "entre 1 et 48"),
    ],
)
def test_bad_qualification_changes_nothing(client, animateur, overrides, message):
    before = (
        need_by_ref("n1").status,
        need_by_ref("n1").rome,
        len(_need_log(need_by_ref("n1").id)),
    )
    response = client.post("/animateur/besoins/n1/qualifier", data=_qualify_form(**overrides))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    need = need_by_ref("n1")
    assert (need.status, need.rome, len(_need_log(need.id))) == before


def test_a_need_whose_start_has_passed_is_qualified_with_that_start_kept(client, animateur):
    # Entered weeks ago for a start that has now passed: qualifying it keeps that date
    # as it was, and moving it to another past day is still refused.
    passed = local_today() - timedelta(days=10)
    need = need_by_ref("n1")
    need.start = passed
    db.session.commit()
    # The form says the date may stay, and its date field offers it.
    form = client.get("/animateur/besoins/n1/qualifier").get_data(as_text=True)
    assert f"sauf la date déjà prévue ({passed:%d/%m/%Y}) qui peut rester" in form
    assert f'min="{passed.isoformat()}"' in form
    response = client.post(
        "/animateur/besoins/n1/qualifier", data=_qualify_form(start=passed.isoformat())
    )
    assert response.status_code == 302
    need = need_by_ref("n1")
    assert need.status == "qualifie" and need.start == passed
    earlier = (passed - timedelta(days=1)).isoformat()
    refused = client.post("/animateur/besoins/n1/qualifier", data=_qualify_form(start=earlier))
    assert refused.status_code == 422 and "dans le passé" in refused.get_data(as_text=True)
    assert need_by_ref("n1").start == passed


def test_a_qualification_saved_from_a_page_read_before_another_save_is_refused(
    app, client, auth, animateur
):
    # Two animateurs have the qualification page of a qualified need open; the first
    # changes the hours, the second the notes: the second save must not silently put
    # the hours back.
    assert client.post("/animateur/besoins/n1/qualifier", data=_qualify_form()).status_code == 302
    other = app.test_client()
    auth.login("animateur", client=other)
    first_stamp = read_stamp_at(client, "/animateur/besoins/n1/qualifier")
    second_stamp = read_stamp_at(other, "/animateur/besoins/n1/qualifier")
    log_before = len(_need_log(need_by_ref("n1").id))
    saved = client.post(
        "/animateur/besoins/n1/qualifier", data=_qualify_form(hours_per_week="9", lu_le=first_stamp)
    )
    assert saved.status_code == 302
    typed = _qualify_form(notes="Voir le gérant le mardi.", lu_le=second_stamp)
    response = other.post("/animateur/besoins/n1/qualifier", data=typed)
    assert response.status_code == 422
    page = html.unescape(html_of(response))
    assert "modifié par quelqu'un d'autre" in page
    assert "heures par semaine : 9 h" in page  # what the need holds now
    assert "Voir le gérant le mardi.</textarea>" in page  # what was typed is kept
    assert 'name="hours_per_week" value="7"' in page or 'value="7"' in page
    need = need_by_ref("n1")
    assert need.hours_per_week == 9 and need.notes is None
    assert len(_need_log(need.id)) == log_before
    # The page given back holds the need's new stamp: sent again once read, it is saved.
    again = other.post(
        "/animateur/besoins/n1/qualifier",
        data={**typed, "hours_per_week": "9", "lu_le": stamp_in(page)},
    )
    assert again.status_code == 302
    need = need_by_ref("n1")
    assert need.hours_per_week == 9 and need.notes == "Voir le gérant le mardi."


def test_a_qualification_refused_for_a_typing_error_keeps_the_stamp_it_was_read_with(
    app, client, auth, animateur
):
    # Refused for a typing error after someone else saved, the form comes back with the
    # stamp it was read with: corrected and sent again, it is still refused.
    stamp = read_stamp_at(client, "/animateur/besoins/n1/qualifier")
    other = app.test_client()
    auth.login("animateur", client=other)
    assert other.post("/animateur/besoins/n1/qualifier", data=_qualify_form()).status_code == 302
    refused = client.post(
        "/animateur/besoins/n1/qualifier",
        data=_qualify_form(hours_per_week="0", rome="autre", rome_saisi="M1204", lu_le=stamp),
    )
    assert refused.status_code == 422 and stamp_in(refused) == stamp
    response = client.post(
        "/animateur/besoins/n1/qualifier",
        data=_qualify_form(rome="autre", rome_saisi="M1204", lu_le=stamp_in(refused)),
    )
    assert response.status_code == 422
    assert "modifié par quelqu'un d'autre" in html.unescape(html_of(response))
    assert need_by_ref("n1").rome == "M1203"


def test_a_qualification_read_before_a_change_outside_it_is_saved_a_real_change_refused(
    app, client, auth, animateur
):
    # The page read, the need's requester corrects their phone (outside the form): its
    # stamp moved, nothing the form edits changed, so the qualification loses nothing.
    url = "/animateur/besoins/n1/qualifier"
    other = app.test_client()
    auth.login("animateur", client=other)
    first, second = read_guard_at(client, url), read_guard_at(other, url)
    assert first.get("lu_valeurs")
    need = need_by_ref("n1")
    need.owner_phone = "0556000000"
    db.session.commit()
    assert need.updated_at.isoformat() != first["lu_le"]
    saved = client.post(url, data=_qualify_form(hours_per_week="9", **first))
    assert saved.status_code == 302
    # Read before that save, the other page's hours changed meanwhile: refused.
    response = other.post(url, data=_qualify_form(notes="Voir le gérant le mardi.", **second))
    assert response.status_code == 422
    page = html.unescape(html_of(response))
    assert "modifié par quelqu'un d'autre" in page
    assert "Voir le gérant le mardi.</textarea>" in page  # what was typed is kept
    need = need_by_ref("n1")
    assert (need.hours_per_week, need.notes, need.owner_phone) == (9, None, "0556000000")
    # Refused for a typing error, the form keeps the guard it was read with.
    typo = other.post(url, data=_qualify_form(hours_per_week="0", **second))
    assert typo.status_code == 422 and guard_in(typo) == second


@pytest.mark.parametrize("stamp", [None, "", "hier", "2026-01-01T00:00:00"])
def test_a_qualification_sent_without_a_read_stamp_is_refused(client, animateur, stamp):
    data = _qualify_form(hours_per_week="9")
    del data["lu_le"]
    if stamp is not None:
        data["lu_le"] = stamp
    response = client.post("/animateur/besoins/n1/qualifier", data=data)
    assert response.status_code == 422
    assert need_by_ref("n1").status == "nouveau" and need_by_ref("n1").hours_per_week != 9


def test_a_closed_need_cannot_be_qualified(client, animateur):
    _put_in_state("abandonne")
    client.post("/animateur/besoins/n1/qualifier", data=_qualify_form())
    assert need_by_ref("n1").status == "abandonne" and need_by_ref("n1").rome == "M1203"
    html = client.get("/animateur/besoins/n1").get_data(as_text=True)
    assert "ne se qualifie plus" in html


# --- the board ---------------------------------------------------------------------------


@pytest.fixture
def board_data(animateur):
    """Needs in several states, places, domains and ages."""
    f.load(
        f.document(
            needs=[
                f.need(ref="b-new", company="c1", title="Besoin neuf", rome="M1203"),
                f.need(ref="b-old", company="c2", title="Besoin ancien", rome="I1604"),
                f.need(ref="b-mid", company="c3", title="Besoin moyen", rome="G1803"),
                f.need(ref="b-prop", company="c1", title="Besoin proposé", rome="M1607"),
                f.need(ref="b-reo", company="c3", title="Besoin réorienté", rome="D1211"),
            ]
        )
    )
    now = datetime.now(UTC)
    ages = {"b-old": 45, "b-mid": 12, "b-new": 1, "b-prop": 3, "b-reo": 20, "n1": 2}
    # One load, no expire in between: expiring would drop the changes not yet flushed.
    needs = {n.ref: n for n in db.session.scalars(select(Need))}
    for ref, days in ages.items():
        needs[ref].created_at = now - timedelta(days=days)
    workflows.transition(db.session, needs["b-mid"], NEED, "qualifie")
    workflows.transition(db.session, needs["b-prop"], NEED, "qualifie")
    operator = db.session.scalars(select(Operator).where(Operator.ref == "ge")).one()
    partner = db.session.scalars(select(Partner).where(Partner.ref == "ft")).one()
    dispatch.send_lead(db.session, needs=[needs["b-prop"]], operator=operator)
    dispatch.send_referral(db.session, need=needs["b-reo"], partner=partner, reasons=["Test"])
    db.session.commit()
    # A need posted by its owner and not yet confirmed.
    pending = f.need(ref="b-wait", company="c2", title="Besoin non confirmé")
    f.load(f.document(needs=[pending]))
    need = need_by_ref("b-wait")
    need.source, need.owner_email = "entreprise", "patron@exemple.fr"
    db.session.commit()


def _exported(client, query: str, fmt: str = "csv") -> list[str]:
    response = client.get(f"/animateur/besoins/export/{fmt}?{query}")
    assert response.status_code == 200
    _, rows = read_table(f"besoins.{fmt}", response.get_data())
    return sorted(row["Référence"] for row in rows)


def _shown(client, query: str) -> str:
    return html_of(client.get(f"/animateur/besoins?{query}"))


BOARD_CASES = [
    ("", ["b-mid", "b-new", "b-old", "b-prop", "b-reo", "n1"]),
    ("statut=qualifie", ["b-mid"]),
    ("statut=nouveau", ["b-new", "b-old", "n1"]),
    (f"intercommunalite={f.COBAS}", ["b-new", "b-old", "b-prop", "n1"]),
    (f"intercommunalite={f.COBAN}", ["b-mid", "b-reo"]),
    ("intercommunalite=hors", []),
    ("domaine=M", ["b-new", "b-prop", "n1"]),
    ("domaine=G", ["b-mid"]),
    ("domaine=m", ["b-new", "b-prop", "n1"]),  # typed by hand in small letters
    ("rome=I16", ["b-old"]),
    ("rome=i16", ["b-old"]),
    ("age=moins_7", ["b-new", "b-prop", "n1"]),
    ("age=7_30", ["b-mid", "b-reo"]),
    ("age=plus_30", ["b-old"]),
    ("attente=animateur", ["b-new", "b-old", "n1"]),
    ("attente=recherche", ["b-mid"]),
    ("attente=operateur", ["b-prop"]),
    ("attente=partenaire", ["b-reo"]),
    ("attente=entreprise", ["b-wait"]),
    ("domaine=M&age=moins_7&statut=nouveau", ["b-new", "n1"]),
    ("q=scierie", ["b-mid", "b-reo"]),
]


# Every filter on one board (a subtest each): reading and exporting change no need.
def test_board_filters_and_export_contain_exactly_the_filtered_rows(client, board_data, subtests):
    refs = ["b-new", "b-old", "b-mid", "b-prop", "b-reo", "n1", "b-wait"]
    assert all(need_by_ref(ref) is not None for ref in refs)
    for query, expected in BOARD_CASES:
        with subtests.test(query=query):
            assert _exported(client, query) == expected
            html = _shown(client, query)
            for ref in refs:
                shown = f'href="/animateur/besoins/{ref}"' in html
                assert shown == (ref in expected), (ref, query)


def test_a_value_not_in_its_list_is_named_in_french_and_left_out(client, board_data):
    """A value typed by hand in the address, or kept from an outdated link, was dropped
    without a word (or, for the ROME code, matched nothing): the board says which, in
    French, linked to its field, and shows the needs without it."""
    query = "statut=junk&attente=y&intercommunalite=999&domaine=Z&rome=M12%25&age=x&q=scierie"
    response = client.get(f"/animateur/besoins?{query}")
    assert response.status_code == 200
    markup = html_of(response)
    summary = element_by_id(markup, "erreurs")
    assert page_text_of(summary) == (
        "Certains filtres n'ont pas été appliqués. Corrigez ces 6 points : "
        "Statut : choisissez un statut de la liste. "
        "En attente de : choisissez une réponse de la liste. "
        "Intercommunalité : choisissez une intercommunalité de la liste. "
        "Domaine professionnel : choisissez un domaine de la liste. "
        "Code ROME : saisissez un code (M1203) ou son début (M12). "
        "Ancienneté du besoin : choisissez une ancienneté de la liste."
    )
    for field in ("statut", "attente", "intercommunalite", "domaine", "rome", "age"):
        assert f'href="#{field}"' in summary and f'id="{field}"' in markup, field
    assert '<details class="filters-box" open>' in markup
    # The refused values are left out; the one accepted (the text) still applies.
    for ref in ("b-mid", "b-reo"):
        assert f'href="/animateur/besoins/{ref}"' in markup
    assert 'href="/animateur/besoins/b-new"' not in markup
    # Their export exports nothing and sends back to the board saying why.
    exported = client.get(f"/animateur/besoins/export/csv?{query}")
    assert exported.status_code == 302
    board = page_text(client.get(exported.headers["Location"]))
    assert "Export non fait" in board and "Statut : choisissez un statut de la liste." in board


def test_xlsx_export_matches_csv(client, board_data):
    assert _exported(client, "domaine=M", "xlsx") == _exported(client, "domaine=M", "csv")
    response = client.get("/animateur/besoins/export/pdf")
    assert response.status_code == 404


def test_a_need_holding_a_control_character_still_exports_to_xlsx(client, auth):
    # Stored before input dropped them (or by any path that keeps one): XLSX cannot
    # hold \x08, and openpyxl's refusal made the export a 500 for everyone.
    auth.login("animateur")
    f.load(f.document(companies=[f.company(ref="c1")], needs=[f.need(ref="n1", company="c1")]))
    need_by_ref("n1").title = "Cais\x08sier\x1b"
    db.session.commit()
    response = client.get("/animateur/besoins/export/xlsx")
    assert response.status_code == 200
    _, rows = read_table("besoins.xlsx", response.get_data())
    assert [row["Intitulé"] for row in rows] == ["Caissier"]


def test_a_need_s_age_counts_the_days_of_arcachon_not_24_hours(client, auth, data):
    # Monday 7 December 2026, 08:00 in Arcachon. "n1" was recorded last night at 23:30
    # (22:30 UTC), "late" a week earlier at 23:30: counted in 24-hour periods from the
    # instant, the board said "aujourd'hui" beside "Reçu le 06/12/2026", put the need of
    # 30/11 among those of less than 7 days, and its export said it was recorded on the
    # UTC day (2026-12-06 for a need of the 7th at 00:30).
    f.load(f.document(needs=[f.need(ref="late", company="c2"), f.need(ref="dawn", company="c3")]))
    recorded = {
        "n1": datetime(2026, 12, 6, 23, 30, tzinfo=LOCAL_TZ),
        "late": datetime(2026, 11, 30, 23, 30, tzinfo=LOCAL_TZ),
        "dawn": datetime(2026, 12, 7, 0, 30, tzinfo=LOCAL_TZ),
    }
    needs = {n.ref: n for n in db.session.scalars(select(Need))}
    for ref, moment in recorded.items():
        needs[ref].created_at = moment.astimezone(UTC)
    db.session.commit()
    with time_machine.travel(datetime(2026, 12, 7, 8, tzinfo=LOCAL_TZ), tick=False):
        auth.login("animateur")
        page = page_text(client.get("/animateur/besoins"))
        assert "06/12/2026 (hier)" in page
        assert "30/11/2026 (il y a 7 jours)" in page
        assert "07/12/2026 (aujourd'hui)" in page
        assert _exported(client, "age=moins_7") == ["dawn", "n1"]
        assert _exported(client, "age=7_30") == ["late"]
        response = client.get("/animateur/besoins/export/csv")
        _, rows = read_table("besoins.csv", response.get_data())
        assert {row["Référence"]: row["Enregistré le"] for row in rows} == {
            "n1": "2026-12-06",
            "late": "2026-11-30",
            "dawn": "2026-12-07",
        }


def test_board_counts_per_state_sections_and_waiting_on(client, board_data):
    html = _shown(client, "")
    assert "Nouveau : <strong>3</strong>" in html
    assert "Qualifié : <strong>1</strong>" in html
    assert "Proposé à un opérateur : <strong>1</strong>" in html
    assert "Réorienté vers un partenaire : <strong>1</strong>" in html
    assert "Pourvu : <strong>0</strong>" in html
    # Sections in workflow order.
    assert html.index('id="etat-nouveau"') < html.index('id="etat-qualifie"')
    assert html.index('id="etat-qualifie"') < html.index('id="etat-propose"')
    assert "Un opérateur, pour répondre à la proposition" in html
    assert "Un partenaire, pour prendre en charge la réorientation" in html
    # Counts follow the other filters.
    assert "Nouveau : <strong>1</strong>" in _shown(client, f"intercommunalite={f.COBAS}&domaine=I")
    # The export links carry the filters.
    assert "/animateur/besoins/export/csv?domaine=M" in _shown(client, "domaine=M")


def test_export_columns(client, board_data):
    response = client.get("/animateur/besoins/export/csv?rome=I1604")
    headers, rows = read_table("b.csv", response.get_data())
    assert "Intercommunalité" in headers and "En attente de" in headers
    (row,) = rows
    assert row["Entreprise"] == "Garage des Pins" and row["Code ROME"] == "I1604"
    assert row["Statut"] == "Nouveau" and row["Lieu de travail"].startswith("Gujan-Mestras")
    assert row["En attente de"] == "L'animateur, pour qualifier le besoin"


# --- access ------------------------------------------------------------------------------

PAGES = [
    ("get", "/animateur/besoins?attente=entreprise"),
    ("get", "/animateur/besoins/export/csv"),
    ("get", "/animateur/besoins/export/xlsx"),
    ("get", "/animateur/besoins/nouveau"),
    ("post", "/animateur/besoins/nouveau"),
    ("get", "/animateur/besoins/n1/qualifier"),
    ("post", "/animateur/besoins/n1/qualifier"),
    ("post", "/animateur/besoins/n1/statut"),
]


def _untouched() -> tuple:
    db.session.expire_all()
    return (count(Need), count(Transition), count(OutboxMessage), need_by_ref("n1").status)


# Each role tries every page in one test (a subtest per page): a refusal changes nothing
# the next one reads, and the data and the login are made once per role.
@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
def test_other_roles_are_refused(client, auth, data, subtests, role):
    auth.login(role)
    form = {**_need_form(), "entreprise": "c1", **_qualify_form(), "etat": "qualifie"}
    for method, url in PAGES:
        with subtests.test(method=method, url=url):
            before = _untouched()
            response = getattr(client, method)(url, data=form)
            assert response.status_code == 403
            assert _untouched() == before


@pytest.mark.parametrize("method,url", PAGES)
def test_anonymous_is_sent_to_login(client, data, method, url):
    before = _untouched()
    response = getattr(client, method)(url, data={**_need_form(), "entreprise": "c1"})
    assert response.status_code == 302 and "/connexion" in response.location
    assert _untouched() == before


def test_admin_may_use_the_new_pages(client, auth, data):
    auth.login("admin")
    assert client.get("/animateur/besoins/nouveau?entreprise=c1").status_code == 200
    assert client.get("/animateur/besoins/n1/qualifier").status_code == 200
    assert client.get("/animateur/besoins/export/csv").status_code == 200
    assert db.session.scalars(select(User).where(User.role == "admin")).first() is not None
