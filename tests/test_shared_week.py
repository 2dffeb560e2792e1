"""Shared time through the platform: placements feed a person's week, the person and the
animateurs see and steer it, and « Compléter la semaine » lists what fits the rest."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from connectences import workflows
from connectences.clock import local_today
from connectences.cvtheque.commitments import CommitmentError, read_commitment
from connectences.cvtheque.consent import space_token
from connectences.exchange import export_document, validate
from connectences.extensions import db
from connectences.matching import week
from connectences.matching.complete_week import fitting_needs, people_with_free_time
from connectences.matching.data import candidate_from_model, need_from_model
from connectences.matching.matches import match_need
from connectences.models import (
    Candidate,
    CandidateEvent,
    Commitment,
    Lead,
    Need,
    Operator,
    Placement,
    utcnow,
)
from connectences.typography import decimal_fr
from connectences.workflows import TransitionError
from connectences.workflows import leads as flow
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import (
    audit_entries,
    by_ref,
    count,
    element_by_id,
    error_of,
    html_of,
    lead_by_refs,
    page_text,
    read_stamp_at,
    sent_on,
    stamp_in,
)

START = "2027-03-01"


@pytest.fixture
def world(auth):
    """Inès wants 10 to 24 h on Monday, Tuesday and Thursday; four open needs."""
    f.load(
        f.document(
            operators=[f.operator(ref="ge-a", name="GE Bassin Emploi"), f.operator(ref="ge-b")],
            companies=[
                f.company(ref="c1", name="Boulangerie du Port"),
                f.company(ref="c2", name="Garage Martin"),
                f.company(ref="c3", name="Cabinet Lune"),
                f.company(ref="c4", name="Hôtel Plage"),
            ],
            candidates=[
                f.candidate(
                    ref="ines",
                    first_name="Inès",
                    last_name="Marchal",
                    hours_min=10,
                    hours_max=24,
                    days=["mon", "tue", "thu"],
                )
            ],
            needs=[
                # Placed: 8 h on Tuesday.
                f.need(ref="placed", company="c1", days=["tue"], hours_per_week=8, start=START),
                # Fits the rest: 12 h Monday and Thursday.
                f.need(
                    ref="fits",
                    company="c2",
                    title="Comptabilité fournisseurs",
                    days=["mon", "thu"],
                    hours_per_week=12,
                    start=START,
                ),
                # Tuesday only: taken by the placement.
                f.need(
                    ref="tuesday",
                    company="c3",
                    title="Saisie du mardi",
                    days=["tue"],
                    hours_per_week=4,
                    start=START,
                ),
                # Too many hours for what is left (16).
                f.need(
                    ref="too-long",
                    company="c4",
                    title="Comptable 20 h",
                    days=["mon", "thu"],
                    hours_per_week=20,
                    start=START,
                ),
            ],
        )
    )
    animateur = auth.create("animateur")
    for ref in ("placed", "fits", "tuesday", "too-long"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    lead = lead_by_refs(animateur, "placed", "ge-a", "ines")
    flow.accept(db.session, lead)
    db.session.commit()
    return {"lead": lead.id, "animateur": animateur}


def _place(
    world, hours=8, contract="cdi_temps_partage", start_date=date(2027, 3, 1), confirm_hours=None,
    **kw,
):  # fmt: skip
    """Place Inès in the need "placed"; ``confirm_hours``: the hours the operator confirmed
    for her, when asked."""
    lead = sent_on(db.session.get(Lead, world["lead"]), min(start_date, local_today()))
    if confirm_hours is not None:
        kw["confirmed"] = _confirmation(confirm_hours)
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ines"),
        needs=[by_ref(Need, "placed")],
        hours_per_week=hours,
        contract=contract,
        start_date=start_date,
        **kw,
    )
    db.session.commit()
    return placement


def _confirmation(hours) -> str:
    """The placement form's hidden confirmation of Inès placed at ``hours``."""
    return flow.placement_confirmation(by_ref(Candidate, "ines").id, hours)


def _placement_form(**fields) -> dict:
    """The operator's placement form for Inès in the need "placed", ``fields`` changed."""
    return {
        "candidat": str(by_ref(Candidate, "ines").id),
        "besoins": str(by_ref(Need, "placed").id),
        "heures": "8",
        "contrat": "cdi_temps_partage",
        "debut": START,
        **fields,
    }


def _hold(commitment: Commitment) -> None:
    """Give Inès a commitment reported outside the platform."""
    ines = by_ref(Candidate, "ines")
    ines.commitments.append(commitment)
    db.session.commit()


def _matched(need_ref) -> set[str]:
    return {m["candidate"] for m in match_need(need_ref)["matches"]}


def _post(client, page_url, url, data):
    """``data`` sent from the form of ``page_url`` as read now: with its security token
    and its read stamp (``lu_le``) when it has them."""
    page = client.get(page_url)
    token = csrf_token_from(page.get_data(as_text=True))
    sent = {**data, "csrf_token": token} if token else dict(data)
    if 'name="lu_le"' in page.get_data(as_text=True):
        sent["lu_le"] = stamp_in(page)
    return client.post(url, data=sent)


# --- placements feed the week ------------------------------------------------------------


def test_a_placement_between_long_names_is_a_commitment_the_exchange_takes_back(world):
    """Spec (interchange v1.1, commitment): "label | string | optional: what and where,
    e.g. "Comptabilité, GE Bassin Emploi"", and the export "is what an import reads"
    (``exchange.exporter``). A placement named its commitment « company, operator », up to
    120 + 2 + 120 characters, over the 200 a label holds: PostgreSQL refused the placement,
    and SQLite's export was a document its own import refused. The company's name is
    shortened, the operator's kept."""
    company = by_ref(Need, "placed").company
    company.name = "Boulangerie pâtisserie " + "du Port d'Arcachon " * 5 + "x" * 2
    by_ref(Operator, "ge-a").name = "Groupement d'employeurs " + "Bassin Emploi " * 6 + "y"
    db.session.commit()
    _place(world)
    (held,) = by_ref(Candidate, "ines").commitments
    assert len(held.label) <= 200
    assert held.label.startswith("Boulangerie pâtisserie du Port")
    assert held.label.endswith("…, " + by_ref(Operator, "ge-a").name)
    assert validate(export_document(db.session)) == []
    # Still the company's own commitment when the company ends the placement.
    assert flow.company_commitment(held.placement, by_ref(Need, "placed")) is held


def test_a_placement_keeps_a_person_with_free_hours_in_fitting_matches_only(world):
    assert "ines" in _matched("fits") and "ines" in _matched("tuesday")  # before
    _place(world)
    ines = by_ref(Candidate, "ines")
    assert ines.status == "en_mission"
    (held,) = ines.commitments
    assert (held.hours_per_week, held.days, held.until, held.source) == (
        8.0,
        ["tue"],
        None,
        "placement",
    )
    assert held.label == "Boulangerie du Port, GE Bassin Emploi"
    assert "ines" in _matched("fits")
    assert "ines" not in _matched("tuesday")  # Tuesday is taken
    assert "ines" not in _matched("too-long")  # 20 h > 16 h left
    fits = next(m for m in match_need("fits")["matches"] if m["candidate"] == "ines")
    hours = next(e["text"] for e in fits["explanation"] if e["criterion"] == "hours")
    assert "Déjà 8 h le mardi (Boulangerie du Port, GE Bassin Emploi)" in hours
    assert "reste 16 h, libre lundi et jeudi" in hours


def test_a_placement_of_someone_already_en_mission_reaches_the_matches(world):
    """Already en mission before the placement, so their status does not move: the
    matching index must still see the new commitment (it re-reads changed people)."""
    from connectences.cvtheque.commitments import add_commitment, read_commitment

    ines = by_ref(Candidate, "ines")
    values = read_commitment(ines, label="Mairie", hours="4", days=["mon"], start=None, until=None)
    add_commitment(db.session, ines, values, actor=None)
    db.session.commit()
    assert ines.status == "en_mission"
    assert "ines" in _matched("tuesday")  # the index is built, Tuesday still free
    _place(world)
    assert by_ref(Candidate, "ines").status == "en_mission"
    assert "ines" not in _matched("tuesday")  # Tuesday is now taken by the placement
    assert "ines" in _matched("fits")
    # The status did not move, but the person's history still tells of the placement.
    summaries = db.session.scalars(
        select(CandidateEvent.summary).where(CandidateEvent.kind == "commitment")
    ).all()
    assert summaries[-1] == (
        "Placement par GE Bassin Emploi : 8 h le mardi (Boulangerie du Port, GE Bassin Emploi)."
    )


def test_the_status_change_of_a_placement_shows_in_the_history(client, auth, world):
    _place(world)
    events = db.session.scalars(select(CandidateEvent).where(CandidateEvent.kind == "status")).all()
    assert [e.summary for e in events] == [
        "Statut : Disponible → En mission (placement par GE Bassin Emploi)."
    ]
    auth.login("animateur")
    page = page_text(client.get("/animateur/cvtheque/ines"))
    assert "Disponible → En mission (placement par GE Bassin Emploi)" in page
    assert "Aucun changement enregistré" not in page


def test_a_fixed_term_placement_gives_its_time_back_when_it_ends(world):
    by_ref(Need, "placed").duration_months = 2
    _place(world, hours=24, contract="cdd", confirm_hours=24)
    ines = by_ref(Candidate, "ines")
    (held,) = ines.commitments
    assert held.until == date(2027, 4, 30)  # two months from 1 March, last day included
    # 24 h taken until 30 April: still en mission (the week comes back by itself).
    assert ines.status == "en_mission"
    assert "ines" not in _matched("fits")
    fits = by_ref(Need, "fits")
    fits.start = date(2027, 4, 30)  # the last day still counts
    db.session.commit()
    assert "ines" not in _matched("fits")
    fits.start = date(2027, 5, 1)  # the day after: free again, no job needed
    db.session.commit()
    assert "ines" in _matched("fits")


def test_a_placement_that_fills_the_week_for_good_makes_the_person_place(world):
    _place(world, hours=23.5, confirm_hours=23.5)  # 0,5 h left: nothing can fit any more
    assert by_ref(Candidate, "ines").status == "place"
    assert "ines" not in _matched("fits")


def test_a_placement_over_the_free_time_asks_for_a_confirmation(world):
    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie"))
    with pytest.raises(flow.PlacementOverWeek, match="dépasse le temps libre"):
        _place(world, hours=8)
    db.session.rollback()
    assert count(Commitment) == 1
    assert by_ref(Need, "placed").status == "propose"  # not filled
    # Confirmed for other hours than those placed: asked again.
    with pytest.raises(flow.PlacementOverWeek, match="Ce placement de 8 h par semaine dépasse"):
        _place(world, hours=8, confirm_hours=6)
    db.session.rollback()
    _place(world, hours=8, confirm_hours=8)
    assert count(Commitment) == 2


def test_a_placement_on_a_day_already_taken_asks_for_a_confirmation_and_says_why(world):
    _hold(Commitment(hours_per_week=4, days=["tue"], label="Mairie"))
    with pytest.raises(flow.PlacementOverWeek) as refused:
        _place(world, hours=8)
    assert refused.value.message == (
        "Aucun jour de ce placement n'est libre pour Inès Marchal. "
        "Déjà 4 h le mardi (Mairie) : reste 20 h, libre lundi et jeudi. "
        "Confirmez pour l'enregistrer quand même."
    )
    db.session.rollback()
    assert count(Commitment) == 1 and by_ref(Need, "placed").status == "propose"


def test_a_placement_over_48_hours_is_refused_even_confirmed(world):
    _hold(Commitment(hours_per_week=44, days=["mon"]))
    with pytest.raises(TransitionError, match="pas plus de 48 h"):
        _place(world, hours=8, confirm_hours=8)
    db.session.rollback()
    assert count(Commitment) == 1


def test_a_bundle_placed_where_one_company_s_days_are_all_taken_asks_for_a_confirmation(
    world,
):
    """A bundle is one job over several companies' days: the person must have a free day
    with each of them (as the pool and the lead check), not only with one. Inès was
    proposed for the office's Tuesday and the garage's Monday and Thursday, then took other work on
    Tuesday (16 h of her 22 h free, Monday and Thursday still free): placing her in both
    is over her week, and is said so."""
    from connectences.workflows.dispatch import send_lead

    bundle = send_lead(
        db.session,
        needs=[by_ref(Need, "tuesday"), by_ref(Need, "fits")],
        operator=by_ref(Operator, "ge-b"),
        candidates=[by_ref(Candidate, "ines")],
        actor=world["animateur"],
    )
    flow.accept(db.session, bundle)
    db.session.commit()
    _hold(Commitment(hours_per_week=2, days=["tue"], label="Mairie"))
    with pytest.raises(flow.PlacementOverWeek) as refused:
        flow.record_placement(
            db.session,
            bundle,
            candidate=by_ref(Candidate, "ines"),
            needs=[by_ref(Need, "tuesday"), by_ref(Need, "fits")],
            hours_per_week=16,
            contract="cdi_temps_partage",
            start_date=date(2027, 3, 1),
        )
    assert refused.value.message == (
        "Aucun jour de « Saisie du mardi » (Cabinet Lune) n'est libre pour Inès "
        "Marchal. Déjà 2 h le mardi (Mairie) : reste 22 h, libre lundi et jeudi. "
        "Confirmez pour l'enregistrer quand même."
    )
    db.session.rollback()
    assert count(Commitment) == 1 and by_ref(Need, "fits").status == "propose"


def test_the_placement_form_asks_for_the_confirmation_and_writes_nothing_before(
    client, auth, world
):
    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie"))
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['lead']}"
    form = _placement_form()
    response = _post(client, url, url + "/placement", form)
    assert response.status_code == 409
    text = page_text(response)
    assert (
        "Ce placement de 8 h par semaine dépasse le temps libre qui reste à Inès Marchal. "
        "Déjà 20 h le lundi (Mairie) : reste 4 h, libre mardi et jeudi. "
        "Confirmez pour l'enregistrer quand même."
    ) in text
    assert "Je confirme ce placement" in text
    # The page is long on a phone: the confirmation takes the focus, so it is in view.
    assert re.search(r'<input[^>]*id="confirmer"[^>]*autofocus', response.get_data(as_text=True))
    assert count(Commitment) == 1
    response = _post(
        client,
        url,
        url + "/placement",
        {**form, "confirmer": "1", "confirmation": _confirmation(8)},
    )
    assert response.status_code == 302
    assert count(Commitment) == 2


def test_the_placement_s_reason_to_confirm_sits_just_above_its_box(client, auth, world):
    """The box to confirm takes the focus on a long page, so on a phone the browser
    scrolls to it; the reason (« dépasse le temps libre… ») sat at the top of the form,
    twenty fields above, out of view: the operator ticked a box without its why. The
    reason now comes right before the box it explains."""
    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie"))
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['lead']}"
    asked = _post(client, url, url + "/placement", _placement_form())
    assert asked.status_code == 409
    assert re.search(
        r'id="placement-alerte"[^>]*>(?:(?!<input|<select|<textarea|<fieldset).)*</div>\s*'
        r'<div class="checkbox"><input[^>]*id="confirmer"',
        html_of(asked),
        re.DOTALL,
    ), "the reason is not right above the box"


def test_the_reason_to_confirm_a_placement_is_typeset_in_french(client, auth, world):
    """Like every message: no line break between « and the name it quotes, nor before
    the colon (on a phone the warning broke after « )."""
    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie"))
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['lead']}"
    asked = _post(client, url, url + "/placement", _placement_form())
    assert asked.status_code == 409
    alert = element_by_id(asked.get_data(as_text=True), "placement-alerte")
    assert "À confirmer\xa0:" in alert
    assert "Déjà 20\xa0h le lundi (Mairie)\xa0: reste 4\xa0h" in alert


def test_hours_changed_after_the_free_time_warning_are_asked_again(client, auth, world):
    """The over-free-time confirmation was a bare box: ticked at 8 h, then the hours
    changed to 12 h, the placement was written at 12 h without a question."""
    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie"))
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['lead']}"
    form = _placement_form(heures="8")
    asked = _post(client, url, url + "/placement", form)
    assert asked.status_code == 409
    assert f'name="confirmation" value="{_confirmation(8)}"' in html_of(asked)
    assert "Je confirme ce placement d'Inès Marchal à 8 h par semaine" in page_text(asked)
    changed = {**form, "heures": "12", "confirmer": "1", "confirmation": _confirmation(8)}
    again = _post(client, url, url + "/placement", changed)
    assert again.status_code == 409
    assert "Ce placement de 12 h par semaine dépasse le temps libre" in page_text(again)
    assert f'name="confirmation" value="{_confirmation(12)}"' in html_of(again)
    # A box ticked without the hours it was asked for confirms nothing either.
    bare = _post(client, url, url + "/placement", {**form, "confirmer": "1"})
    assert bare.status_code == 409
    assert count(Commitment) == 1 and by_ref(Need, "placed").status == "propose"
    done = _post(client, url, url + "/placement", {**changed, "confirmation": _confirmation(12)})
    assert done.status_code == 302
    assert sorted(c.hours_per_week for c in by_ref(Candidate, "ines").commitments) == [12, 20]


def test_a_confirmation_given_for_one_person_is_asked_again_for_another(client, auth, world):
    """The confirmation named only the hours: confirmed for Inès (over her free time),
    the form sent with « Personne placée » changed to Paul (over his too) at the same
    hours placed Paul without a question. It names the person and the hours now."""
    from connectences.workflows.dispatch import send_lead

    f.load(
        f.document(
            candidates=[
                f.candidate(
                    ref="paul", first_name="Paul", last_name="Dutour", hours_min=4,
                    hours_max=10, days=["mon", "tue"],
                )
            ]
        )
    )  # fmt: skip
    flow.close_without_outcome(db.session, db.session.get(Lead, world["lead"]))
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "placed")],
        operator=by_ref(Operator, "ge-a"),
        candidates=[by_ref(Candidate, "ines"), by_ref(Candidate, "paul")],
        actor=world["animateur"],
    )
    flow.accept(db.session, lead)
    db.session.commit()
    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie"))
    paul = by_ref(Candidate, "paul")
    paul.commitments.append(Commitment(hours_per_week=6, days=["mon"], label="Mairie"))
    db.session.commit()
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{lead.id}"
    form = _placement_form()
    asked = _post(client, url, url + "/placement", form)
    assert asked.status_code == 409
    assert "temps libre qui reste à Inès Marchal" in page_text(asked)
    hidden = re.search(r'name="confirmation" value="([^"]*)"', html_of(asked)).group(1)
    assert hidden == flow.placement_confirmation(by_ref(Candidate, "ines").id, 8)
    # The box ticked for Inès, the person changed to Paul, the hours kept: asked again.
    other = {**form, "candidat": str(paul.id), "confirmer": "1", "confirmation": hidden}
    again = _post(client, url, url + "/placement", other)
    assert again.status_code == 409
    assert "temps libre qui reste à Paul Dutour" in page_text(again)
    assert f'name="confirmation" value="{flow.placement_confirmation(paul.id, 8)}"' in html_of(
        again
    )
    assert count(Commitment) == 2 and by_ref(Need, "placed").status == "propose"
    confirmed = {**other, "confirmation": flow.placement_confirmation(paul.id, 8)}
    assert _post(client, url, url + "/placement", confirmed).status_code == 302
    assert [c.hours_per_week for c in by_ref(Candidate, "paul").commitments] == [6, 8]
    assert [c.hours_per_week for c in by_ref(Candidate, "ines").commitments] == [20]


def test_a_single_need_placed_at_other_hours_is_asked_through_the_form(client, auth, world):
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['lead']}"
    # One need: its one hours field, no company's hours, no empty description.
    page = html_of(client.get(url))
    assert 'id="heures"' in page and 'name="heures-' not in page
    assert 'aria-describedby=""' not in page
    form = _placement_form(heures="16")
    asked = _post(client, url, url + "/placement", form)
    assert asked.status_code == 409
    assert (
        "Le besoin « " + by_ref(Need, "placed").title + " » fait 8 h par semaine, vous "
        "indiquez 16 h : sera enregistré un engagement de 16 h par semaine le mardi"
    ) in page_text(asked)
    assert count(Commitment) == 0 and by_ref(Need, "placed").status == "propose"
    confirmed = {**form, "confirmer": "1", "confirmation": _confirmation(16)}
    assert _post(client, url, url + "/placement", confirmed).status_code == 302
    (held,) = by_ref(Candidate, "ines").commitments
    assert held.hours_per_week == 16 and held.days == ["tue"]


def _bundle_lead(world) -> int:
    """A bundle for Inès, accepted by GE Bassin Emploi: "placed" (8 h on Tuesday) and
    "fits" (12 h on Monday and Thursday), 20 h in all."""
    from connectences.workflows.dispatch import send_lead

    # The fixture's lead of "placed" alone, closed: its need is free to propose again.
    flow.close_without_outcome(db.session, db.session.get(Lead, world["lead"]))
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "placed"), by_ref(Need, "fits")],
        operator=by_ref(Operator, "ge-a"),
        candidates=[by_ref(Candidate, "ines")],
        actor=world["animateur"],
    )
    flow.accept(db.session, lead)
    db.session.commit()
    return lead.id


def _hours_fields(placed="8", fits="12") -> dict:
    """The bundle's placement form's hours at each company: "placed"'s (Boulangerie du
    Port) and "fits"'s (Garage Martin)."""
    return {
        f"heures-{by_ref(Need, 'placed').id}": placed,
        f"heures-{by_ref(Need, 'fits').id}": fits,
    }


def _bundle_form(placed="8", fits="12", **fields) -> dict:
    form = _placement_form(
        besoins=[str(by_ref(Need, "placed").id), str(by_ref(Need, "fits").id)],
        **_hours_fields(placed, fits),
        **fields,
    )
    del form["heures"]
    return form


def _split_confirmation(placed, fits) -> str:
    """The hidden confirmation of Inès placed in the bundle at ``placed`` h at the
    Boulangerie and ``fits`` h at the garage."""
    return flow.placement_confirmation(
        by_ref(Candidate, "ines").id,
        placed + fits,
        [(by_ref(Need, "placed"), placed), (by_ref(Need, "fits"), fits)],
    )


def test_the_bundle_placement_form_adds_up_its_hours_as_they_are_typed(client, auth, world):
    """A bundle's placement form loads placement-total.js, whose total (hidden until it
    runs: without it, the help's « Proposées » is the total) reads the rule's range of
    each company's hours; a single need's form, one hours field, has no total to add."""
    auth.login("operator", org_ref="ge-a")
    single = client.get(f"/operateur/propositions/{world['lead']}").get_data(as_text=True)
    assert 'id="heures"' in single and "placement-total" not in single
    lead_id = _bundle_lead(world)
    page = client.get(f"/operateur/propositions/{lead_id}").get_data(as_text=True)
    assert "js/placement-total.js" in page
    total = re.search(r"<p class=\"placement-total\"[^>]*>", page).group(0)
    assert 'aria-live="polite"' in total and " hidden" in total
    least, most = flow.PLACEMENT_HOURS_RANGE
    assert f'data-heures-min="{least}"' in total and f'data-heures-max="{most}"' in total


def test_the_bundle_placement_form_proposes_each_company_s_hours_and_confirms_others(
    client, auth, world
):
    """The form proposes each company's hours (its need's: 8 h and 12 h, 20 h in all).
    Typed 10 h and 14 h (24 h, within Inès's 24 h, so nothing else asks), the operator is
    told the needs' hours and the commitments written, one per company at its hours,
    and confirms them; the same total shared otherwise after the warning is asked
    again."""
    lead_id = _bundle_lead(world)
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{lead_id}"
    page = html_of(client.get(url))
    for field, value in _hours_fields().items():
        assert re.search(rf'<input[^>]*id="{field}"[^>]*value="{value}"', page)
    # The bundle's total is said; no total field of its own.
    assert "Proposées : celles des besoins, 20 h par semaine en tout." in page_text(client.get(url))
    assert 'id="heures"' not in page
    assert re.search(
        r'<fieldset id="besoins-choix"[^>]*aria-describedby="besoins-choix-aide"', page
    )
    form = _bundle_form(placed="10", fits="14")
    asked = _post(client, url, url + "/placement", form)
    assert asked.status_code == 409
    text = page_text(asked)
    assert (
        "Les besoins choisis font 20 h par semaine en tout (Boulangerie du Port 8 h, "
        "Garage Martin 12 h), vous indiquez 24 h (Boulangerie du Port 10 h, Garage Martin "
        "14 h) : sera enregistré un engagement par entreprise, 10 h par semaine le mardi "
        "(Boulangerie du Port) ; 14 h par semaine le lundi et le jeudi (Garage Martin)."
    ) in text
    assert (
        "Je confirme ce placement d'Inès Marchal à 24 h par semaine (Boulangerie du Port "
        "10 h, Garage Martin 14 h)"
    ) in text
    assert f'name="confirmation" value="{_split_confirmation(10, 14)}"' in html_of(asked)
    # What was typed is shown again.
    assert re.search(
        rf'<input[^>]*id="heures-{by_ref(Need, "fits").id}"[^>]*value="14"', html_of(asked)
    )
    assert count(Commitment) == 0
    # Confirmed for 10 h + 14 h, sent as 12 h + 12 h (the same 24 h): asked again.
    again = _post(
        client, url, url + "/placement",
        {**_bundle_form(placed="12", fits="12"), "confirmer": "1",
         "confirmation": _split_confirmation(10, 14)},
    )  # fmt: skip
    assert again.status_code == 409 and "(Boulangerie du Port 12 h, Garage Martin 12 h)" in (
        page_text(again)
    )
    assert count(Commitment) == 0
    done = _post(
        client,
        url,
        url + "/placement",
        {**form, "confirmer": "1", "confirmation": _split_confirmation(10, 14)},
    )
    assert done.status_code == 302
    held = sorted((c.hours_per_week, c.days) for c in by_ref(Candidate, "ines").commitments)
    assert held == [(10, ["tue"]), (14, ["mon", "thu"])]
    assert (
        "Garage Martin 14 h le lundi et le jeudi, Boulangerie du Port 10 h le mardi."
        in page_text(client.get(url))
    )


def test_the_bundle_placed_at_its_total_writes_one_commitment_per_company(client, auth, world):
    lead_id = _bundle_lead(world)
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{lead_id}"
    assert _post(client, url, url + "/placement", _bundle_form()).status_code == 302
    held = sorted((c.hours_per_week, tuple(c.days)) for c in by_ref(Candidate, "ines").commitments)
    assert held == [(8, ("tue",)), (12, ("mon", "thu"))]


def test_a_company_left_unticked_is_not_placed_whatever_its_hours_field_says(client, auth, world):
    """Only the companies ticked are placed and their hours read: the garage unticked,
    its field left as typed (« abc »), the person is placed at the Boulangerie's hours."""
    lead_id = _bundle_lead(world)
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{lead_id}"
    form = {**_bundle_form(fits="abc"), "besoins": [str(by_ref(Need, "placed").id)]}
    assert _post(client, url, url + "/placement", form).status_code == 302
    (held,) = by_ref(Candidate, "ines").commitments
    assert (held.hours_per_week, held.days, held.need_id) == (8, ["tue"], by_ref(Need, "placed").id)
    assert by_ref(Need, "fits").status == "en_recherche"


@pytest.mark.parametrize(
    ("placed", "fits", "said_placed", "said_fits"),
    [
        ("0", "12", "entre 1 et 48", None),
        ("8", "", None, "entre 1 et 48"),
        ("49", "0,5", "entre 1 et 48", "entre 1 et 48"),
        ("8,555", "12", "« 8,555 » a trop de chiffres après la virgule", None),
        ("huit", "nan", "entre 1 et 48", "entre 1 et 48"),
        # One unread, the other out of range: both said at once (the range was the
        # rule's, said on the next send only).
        ("8,555", "0", "« 8,555 » a trop de chiffres après la virgule", "entre 1 et 48"),
        ("49", "douze", "entre 1 et 48", "entre 1 et 48"),
    ],
)
def test_each_company_s_hours_are_refused_beside_their_own_field(
    client, auth, world, placed, fits, said_placed, said_fits
):
    lead_id = _bundle_lead(world)
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{lead_id}"
    refused = _post(
        client, url, url + "/placement", _bundle_form(placed=placed, fits=fits, confirmer="1")
    )
    assert refused.status_code == 422
    for ref, said, typed in (("placed", said_placed, placed), ("fits", said_fits, fits)):
        field = f"heures-{by_ref(Need, ref).id}"
        if said is None:
            assert f'id="{field}-erreurs"' not in html_of(refused)
        else:
            assert said in error_of(refused, field)
        assert re.search(
            rf'<input[^>]*id="{field}"[^>]*value="{re.escape(typed)}"', html_of(refused)
        )
    assert count(Commitment) == 0 and by_ref(Need, "placed").status == "propose"


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        # A date the form cannot read, hours out of the rule's range.
        (
            {"heures": "0", "debut": "31/02/2027"},
            {"debut": "Date de début invalide", "heures": "entre 1 et 48"},
        ),
        # Hours the form cannot read, a contract not in the list (the rule's).
        (
            {"heures": "8,555", "contrat": "stage"},
            {"heures": "« 8,555 » a trop de chiffres", "contrat": "type de contrat"},
        ),
        # A trial's last day the form cannot read, a contract's end the rule refuses.
        (
            {"essai": "convenue", "essai-fin": "demain", "fin": "01/03/2027"},
            {"essai-fin": "invalide", "fin-contrat": "n'a pas de date de fin"},
        ),
        # An agreed trial ending after the contract's last day, hours out of range: the
        # trial was judged only once the hours were right.
        (
            {
                "heures": "0",
                "contrat": "cdd",
                "fin": "30/04/2027",
                "essai": "convenue",
                "essai-fin": "15/05/2027",
            },
            {"heures": "entre 1 et 48", "essai-fin": "après le dernier jour du contrat"},
        ),
        # The legal trial of a CDD whose last day is not known, hours out of range.
        (
            {"heures": "0", "contrat": "cdd", "essai": "legale"},
            {"heures": "entre 1 et 48", "essai-choix": "Sans le dernier jour du contrat"},
        ),
        # A contract not in the list: a trial ending before the start is said all the same
        # (it needs the start alone).
        (
            {"contrat": "stage", "essai": "convenue", "essai-fin": "2027-02-15"},
            {"contrat": "type de contrat", "essai-fin": "avant le début du contrat"},
        ),
    ],
)
def test_every_wrong_field_of_the_placement_form_is_said_at_once(client, auth, world, fields, said):
    """The form read the numbers and dates first and the rule judged the rest only once
    all were read: a wrong date hid the hours out of range until the next send."""
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['lead']}"
    refused = _post(client, url, url + "/placement", _placement_form(**fields))
    assert refused.status_code == 422
    for field, words in said.items():
        assert words in error_of(refused, field)
    assert count(Commitment) == 0 and count(Placement) == 0
    assert by_ref(Need, "placed").status == "propose"


def test_the_bundle_placement_summary_says_each_company_s_hours_and_days(client, auth, world):
    """The lead page's placement summary said « 20 h par semaine, CDI à temps partagé, à
    partir du … — Boulangerie du Port, Garage Martin »: not who has the person when. In
    one commitment at other hours than the needs' (a total given without each company's
    hours), only each company's days (the sharing is unknown)."""
    lead_id = _bundle_lead(world)
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{lead_id}"
    assert _post(client, url, url + "/placement", _bundle_form()).status_code == 302
    page = page_text(client.get(url))
    assert (
        "à partir du 01/03/2027 — Garage Martin 12 h le lundi et le jeudi, Boulangerie du "
        "Port 8 h le mardi." in page
    )
    placement = db.session.scalars(select(Placement)).one()
    placement.hours_per_week = 24
    # As ``record_placement`` keeps a total given alone: no company's hours.
    for item in placement.needs:
        item.hours_per_week = None
    ines = by_ref(Candidate, "ines")
    ines.commitments = [
        Commitment(
            label="Boulangerie du Port, Garage Martin",
            hours_per_week=24,
            days=["mon", "tue", "thu"],
            placement=placement,
        )
    ]
    assert flow.placement_companies(placement) == (
        "Garage Martin le lundi et le jeudi, Boulangerie du Port le mardi"
    )


# Inès's work running today that is over the day before the needs' start.
DAY_BEFORE = date.fromisoformat(START) - timedelta(days=1)


@pytest.mark.parametrize(
    ("held", "ending", "said"),
    [
        # Her hours: 10 h held on Friday leave 14 h on the start, the job counts 20 h.
        (
            Commitment(hours_per_week=10, days=["fri"], label="Mairie"),
            Commitment(hours_per_week=6, days=["tue"], until=DAY_BEFORE, label="Cantine"),
            "Le poste de 20 h par semaine dépasse le temps libre qui reste à Inès Marchal "
            "(au plus 24 h par semaine en tout). Déjà 10 h le vendredi (Mairie) : reste "
            "14 h, libre lundi, mardi et jeudi. Son travail de 6 h le mardi (Cantine) se "
            "termine le 28/02/2027, avant le début du poste (01/03/2027).",
        ),
        # Her days: Thursday held on the start (Monday left for « fits » alone), Tuesday
        # only until the day before.
        (
            Commitment(hours_per_week=2, days=["thu"], label="Mairie"),
            Commitment(hours_per_week=3, days=["tue"], until=DAY_BEFORE, label="Cantine"),
            "Le poste en temps partagé prend le jeudi, que prend aussi le travail d'Inès "
            "Marchal. Déjà 2 h le jeudi (Mairie) : reste 22 h, libre lundi et mardi. Son "
            "travail de 3 h le mardi (Cantine) se termine le 28/02/2027, avant le début du "
            "poste (01/03/2027).",
        ),
        # Her hours on the start, with work ending after it: when it ends, and the hours
        # free then, said too.
        (
            Commitment(hours_per_week=10, days=["fri"], label="Mairie"),
            Commitment(hours_per_week=6, days=["fri"], until=date(2027, 3, 14), label="Club"),
            "Le poste de 20 h par semaine dépasse le temps libre qui reste à Inès Marchal "
            "(au plus 24 h par semaine en tout). Déjà 10 h le vendredi (Mairie) et 6 h le "
            "vendredi (Club) : reste 8 h, libre lundi, mardi et jeudi. Son travail de 6 h le "
            "vendredi (Club) se termine le 14/03/2027 : libre ensuite jusqu'à 14 h par "
            "semaine.",
        ),
    ],
)
def test_a_bundle_refused_for_the_person_s_week_says_the_work_over_before_its_start(
    world, held, ending, said
):
    """Refused for the week on the bundle's start, the person was said with that week
    alone: the work the operator sees taking the job's days today, over by its start,
    went unexplained, where the bundles page says it (``week.bundle_start_sentence``)."""
    from connectences.workflows.dispatch import send_lead

    flow.close_without_outcome(db.session, db.session.get(Lead, world["lead"]))
    _hold(held)
    _hold(ending)
    with pytest.raises(TransitionError) as refused:
        send_lead(
            db.session,
            needs=[by_ref(Need, "placed"), by_ref(Need, "fits")],
            operator=by_ref(Operator, "ge-a"),
            candidates=[by_ref(Candidate, "ines")],
            actor=world["animateur"],
        )
    assert refused.value.message == said
    db.session.rollback()
    assert count(Lead) == 1


def test_a_placement_over_the_free_time_says_the_work_over_before_its_start(world):
    """The confirmation said the week on the placement's start alone: the Tuesday the
    operator sees taken today, by work over the day before, went unexplained."""
    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie"))
    _hold(Commitment(hours_per_week=3, days=["tue"], until=DAY_BEFORE, label="Cantine"))
    with pytest.raises(flow.PlacementOverWeek) as refused:
        _place(world)
    assert refused.value.message == (
        "Ce placement de 8 h par semaine dépasse le temps libre qui reste à Inès Marchal. "
        "Déjà 20 h le lundi (Mairie) : reste 4 h, libre mardi et jeudi. Son travail de "
        "3 h le mardi (Cantine) se termine le 28/02/2027, avant le début du placement "
        "(01/03/2027). Confirmez pour l'enregistrer quand même."
    )
    db.session.rollback()
    assert count(Placement) == 0


def test_a_placement_over_the_free_time_says_when_the_work_in_the_way_ends(world):
    """The Mairie's 20 h end two weeks after the placement's start: the confirmation
    said « reste 4 h » alone; it says when all 24 h are free again. A placement over by
    then (its term on 10/03/2027) is not told of it."""
    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie", until=date(2027, 3, 14)))
    with pytest.raises(flow.PlacementOverWeek) as refused:
        _place(world)
    assert refused.value.message == (
        "Ce placement de 8 h par semaine dépasse le temps libre qui reste à Inès Marchal. "
        "Déjà 20 h le lundi (Mairie) : reste 4 h, libre mardi et jeudi. Ce travail se "
        "termine le 14/03/2027 : libre ensuite jusqu'à 24 h par semaine. Confirmez pour "
        "l'enregistrer quand même."
    )
    db.session.rollback()
    with pytest.raises(flow.PlacementOverWeek) as refused:
        _place(world, contract="cdd", end_date=date(2027, 3, 10))
    assert "se termine" not in refused.value.message
    assert "Déjà 20 h le lundi (Mairie) : reste 4 h" in refused.value.message
    db.session.rollback()
    assert count(Placement) == 0


def test_a_bundle_on_a_day_the_person_s_work_takes_is_refused_when_chosen_by_hand(
    client, auth, world
):
    """Inès holds Tuesday (the placement). A bundle on Monday and Tuesday (each need alone
    has a free day in common with her) is not listed for her, as the pool keeps every day
    of a job free; chosen by hand in the bundle's form, she is refused in French, beside
    the people's field, and nothing is sent."""
    from connectences.matching.open_bundles import open_need_bundles

    _place(world)
    f.load(
        f.document(
            companies=[f.company(ref="c5", name="Atelier Sud")],
            needs=[
                f.need(
                    ref="mon-tue",
                    company="c5",
                    title="Saisie lundi et mardi",
                    days=["mon", "tue"],
                    hours_per_week=6,
                    start=START,
                )
            ],
        )
    )
    # With Cabinet Lune's Thursday: a bundle of Monday, Tuesday and Thursday.
    f.load(
        f.document(
            needs=[
                f.need(
                    ref="thu",
                    company="c3",
                    title="Saisie du jeudi",
                    days=["thu"],
                    hours_per_week=4,
                    start=START,
                )
            ]
        )
    )
    for ref in ("mon-tue", "thu"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    db.session.commit()
    refs = ("mon-tue", "thu")
    (bundle,) = [b for b in open_need_bundles(db.session).bundles if set(refs) <= set(b.needs)]
    assert "ines" not in bundle.candidates
    auth.login("animateur")
    page = client.get("/animateur/postes-partages")
    sent = client.post(
        "/animateur/postes-partages/proposer",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "besoins": list(bundle.needs),
            "operateur": "ge-a",
            "candidats": ["ines"],
        },
    )
    assert sent.status_code == 422
    assert (
        "Le poste en temps partagé prend le mardi, que prend aussi le travail d'Inès "
        "Marchal. Déjà 8 h le mardi (Boulangerie du Port, GE Bassin Emploi)" in page_text(sent)
    )
    assert by_ref(Need, "mon-tue").status == "qualifie"


def test_a_need_of_a_live_bundle_keeps_its_hours_and_days_while_the_operator_holds_it(
    client, auth, world
):
    """The job the operator accepted (« placed » 8 h on Tuesday, « fits » 12 h on Monday
    and Thursday) cannot change under them: the staff's qualification and an
    interchange document are refused (French), nothing changes, and the lead's week and
    its placement form still say 20 h."""
    from connectences.exchange.importer import ExchangeError
    from connectences.needs import register

    lead_id = _bundle_lead(world)
    with pytest.raises(TransitionError, match="ne se qualifie plus"):
        register.qualify_need(
            db.session, by_ref(Need, "fits"), {"hours_per_week": 16}, actor=world["animateur"]
        )
    assert by_ref(Need, "fits").hours_per_week == 12
    with pytest.raises(ExchangeError) as raised:
        f.load(
            f.document(
                needs=[
                    f.need(
                        ref="fits",
                        company="c2",
                        title="Comptabilité fournisseurs",
                        days=["mon", "fri"],
                        hours_per_week=16,
                        start=START,
                    )
                ]
            )
        )
    said = [e["message"] for e in raised.value.as_dicts()]
    assert any(m.startswith("Ce besoin est proposé à GE Bassin Emploi") for m in said), said
    db.session.rollback()
    fits = by_ref(Need, "fits")
    assert fits.hours_per_week == 12 and fits.days == ["mon", "thu"]
    auth.logout()
    auth.login("operator", org_ref="ge-a")
    lead_page = client.get(f"/operateur/propositions/{lead_id}")
    assert "20 h par semaine sur 3 jours" in page_text(lead_page)
    for field, value in _hours_fields().items():
        assert re.search(rf'<input[^>]*id="{field}"[^>]*value="{value}"', html_of(lead_page))


def test_a_placement_making_a_seventh_day_is_refused_beside_the_companies(client, auth, world):
    lead_id = _bundle_lead(world)
    # Work taken since the bundle was proposed.
    _hold(Commitment(hours_per_week=10, days=["wed", "fri", "sat", "sun"], label="Mairie"))
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{lead_id}"
    refused = _post(client, url, url + "/placement", _bundle_form(confirmer="1"))
    assert refused.status_code == 422
    assert (
        "Placement impossible pour Inès Marchal. Ce travail le lundi, le mardi et le jeudi ; "
        "les autres engagements prennent déjà le mercredi, le vendredi, le samedi et le "
        "dimanche : la semaine compterait sept jours de travail"
    ) in error_of(refused, "besoins-choix")
    assert count(Commitment) == 1 and by_ref(Need, "fits").status == "propose"


@pytest.mark.parametrize("hours", ["nan", "0.5", "49", "inf"])
def test_a_placement_with_odd_hours_is_refused_and_nothing_is_written(client, auth, world, hours):
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['lead']}"
    form = _placement_form(heures=hours, confirmer="1")
    response = _post(client, url, url + "/placement", form)
    assert response.status_code == 422
    assert "entre 1 et 48" in error_of(response, "heures")
    assert f'value="{hours}"' in html_of(response)
    assert count(Commitment) == 0
    assert by_ref(Need, "placed").status == "propose"


@pytest.mark.parametrize(
    ("start", "said"),
    [
        # The lead was sent today: the nearer of the two lower bounds is said.
        ("2020-01-06", "ne peut pas précéder l'envoi de la proposition"),
        ("2400-01-01", "au plus tard"),
        ("0001-01-01", "Date de début invalide : « 01/01/0001 » est hors des dates possibles"),
        ("9999-12-31", "Date de début invalide : « 31/12/9999 » est hors des dates possibles"),
        ("2027-02-30", "Date de début invalide : « 30/02/2027 » n'existe pas dans le calendrier"),
        ("demain", "Date de début invalide : « demain » n'est pas une date"),
    ],
)
def test_a_placement_dated_out_of_any_plan_is_refused_beside_its_field(
    client, auth, world, start, said
):
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['lead']}"
    form = _placement_form(debut=start, confirmer="1")
    response = _post(client, url, url + "/placement", form)
    assert response.status_code == 422
    assert said in error_of(response, "debut")
    assert count(Commitment) == 0
    assert by_ref(Need, "placed").status == "propose"


def test_a_placement_recorded_late_may_have_started_up_to_a_year_ago(world):
    late = local_today() - timedelta(days=300)
    _place(world, hours=8, start_date=late)
    assert by_ref(Need, "placed").status == "pourvu"


# --- the person's week -------------------------------------------------------------------


def test_the_week_view_in_the_personal_space(client, world):
    _place(world, start_date=local_today())
    ines = by_ref(Candidate, "ines")
    page = page_text(client.get(f"/mon-cv/{space_token(ines)}"))
    assert "Ma semaine" in page
    assert "Déjà 8 h par semaine sur 24 h au plus : reste 16 h, libre lundi et jeudi." in page
    assert "Mardi Pris 8 h par semaine — Boulangerie du Port, GE Bassin Emploi" in page
    assert "Lundi Libre" in page and "Mercredi Pas disponible" in page


def test_work_not_started_yet_is_said_from_its_first_day_on_every_week(client, auth, world):
    """A placement starting in three months counts in the week (a need starting before
    it may run into it) but no week calls it work already done: each says « prévu … à
    partir du 01/03/2027 », the staff's record, the person's space, the operator's week
    and the need page's sentence on a start before it."""
    _hold(Commitment(hours_per_week=4, days=["mon"], label="Mairie", start=None))
    _place(world)  # 8 h on Tuesday from 01/03/2027
    ines = by_ref(Candidate, "ines")
    space = page_text(client.get(f"/mon-cv/{space_token(ines)}"))
    said = (
        "Déjà 4 h par semaine ; prévu 8 h de plus à partir du 01/03/2027 : 12 h sur 24 h "
        "au plus, reste 12 h, libre jeudi."
    )
    assert said in space and "Déjà 12 h" not in space
    assert (
        "Mardi Pris 8 h par semaine — Boulangerie du Port, GE Bassin Emploi, à partir du "
        "01/03/2027" in space
    )
    assert "mardi — Boulangerie du Port, GE Bassin Emploi, à partir du 01/03/2027" in space
    auth.login("animateur")
    record = page_text(client.get("/animateur/cvtheque/ines"))
    assert said in record
    assert "mardi — Boulangerie du Port, GE Bassin Emploi, à partir du 01/03/2027" in record
    assert "Mairie, à partir" not in record  # no first day known: nothing said
    complete = page_text(client.get("/animateur/cvtheque/ines/semaine"))
    assert said in complete and "aujourd'hui" not in complete
    auth.logout()
    auth.login("operator", org_ref="ge-a")
    operator = page_text(client.get("/operateur/personnes/ines/semaine"))
    assert said in operator
    # Matching's sentence on a day before the placement starts: counted, said as coming.
    person = candidate_from_model(ines)
    assert week.week_sentence(person, date(2027, 2, 1)) == (
        "Déjà 4 h le lundi (Mairie) ; prévu 8 h le mardi (Boulangerie du Port, GE Bassin "
        "Emploi) à partir du 01/03/2027 : reste 12 h, libre jeudi."
    )
    assert week.week_sentence(person, date(2027, 3, 1)) == (
        "Déjà 4 h le lundi (Mairie) et 8 h le mardi (Boulangerie du Port, GE Bassin Emploi) "
        ": reste 12 h, libre jeudi."
    )


def test_the_person_steers_their_week_through_the_status_function(client, world):
    _place(world)
    ines = by_ref(Candidate, "ines")
    space = f"/mon-cv/{space_token(ines)}"
    response = _post(client, space, space + "/semaine", {"choix": "complet"})
    assert response.status_code == 302
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert ines.status == "place" and ines.week_complete
    assert "ines" not in _matched("fits")
    _post(client, space, space + "/semaine", {"choix": "plus"})
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert ines.status == "en_mission" and not ines.week_complete
    assert "ines" in _matched("fits")
    summaries = [
        e.summary
        for e in db.session.scalars(
            select(CandidateEvent)
            .where(CandidateEvent.kind == "status")
            .order_by(CandidateEvent.id)
        )
    ]
    assert summaries[-2:] == [
        "Statut : En mission → Placé (emploi du temps complet).",
        "Statut : Placé → En mission (souhaite plus d'heures).",
    ]
    # Anything else is refused and changes nothing.
    assert _post(client, space, space + "/semaine", {"choix": "tout"}).status_code == 400


def test_the_week_choice_is_said_in_words_and_the_button_offers_the_other(client, world):
    """Found by a check: both buttons showed whatever the choice, the filled one being the
    choice NOT made, and a screen reader heard no state. Now a sentence says the choice
    and the one button (described by it) offers the other."""
    _place(world)
    ines = by_ref(Candidate, "ines")
    space = f"/mon-cv/{space_token(ines)}"

    def choice_form():
        page = html_of(client.get(space))
        return page[page.index('id="semaine-choix"') - 4 : page.index('class="week-choices"') + 400]

    form = choice_form()
    assert "Vous souhaitez plus d'heures : votre profil est proposé" in form
    assert 'value="plus"' not in form
    assert (
        '<button type="submit" name="choix" value="complet" class="button" '
        'aria-describedby="semaine-choix">Mon emploi du temps est complet</button>'
    ) in form
    _post(client, space, space + "/semaine", {"choix": "complet"})
    form = choice_form()
    assert "Vous nous avez dit que votre emploi du temps est complet" in form
    assert 'value="complet"' not in form
    assert (
        '<button type="submit" name="choix" value="plus" class="button" '
        'aria-describedby="semaine-choix">Je souhaite plus d\'heures</button>'
    ) in form


def test_a_week_without_work_cannot_be_complete(client, world):
    # Nothing placed yet: "complete" would make the person "placé" with no work, out of
    # matching while their page said they could be proposed. The choice is not offered,
    # and refused if posted anyway; pausing is the way to stop proposals.
    ines = by_ref(Candidate, "ines")
    assert not ines.commitments and ines.status == "disponible"
    space = f"/mon-cv/{space_token(ines)}"
    page = html_of(client.get(space))
    assert 'value="complet"' not in page and 'value="plus"' not in page
    response = _post(client, space, space + "/semaine", {"choix": "complet"})
    assert response.status_code == 302
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert ines.status == "disponible" and not ines.week_complete
    assert "ines" in _matched("fits")
    shown = page_text(client.get(space))
    assert "Votre semaine ne compte encore aucun travail" in shown
    assert "mettez votre profil en pause" in shown


def test_a_complete_week_is_not_said_open_to_employers(client, world):
    _place(world)
    ines = by_ref(Candidate, "ines")
    space = f"/mon-cv/{space_token(ines)}"
    assert 'value="complet"' in html_of(client.get(space))
    _post(client, space, space + "/semaine", {"choix": "complet"})
    shown = page_text(client.get(space))
    assert "Situation : Placé . Votre semaine est complète" in shown
    assert "Votre profil peut être proposé aux employeurs" not in shown


# --- animateurs edit the commitments a person reports --------------------------------------


def _commitment_form(**kw):
    data = {"libelle": "Ménage, Mairie", "heures": "6", "jours": ["wed"], "debut": "", "fin": ""}
    data.update(kw)
    return data


def test_animateur_adds_edits_and_removes_a_commitment(client, auth, world):
    auth.login("animateur")
    new = "/animateur/cvtheque/ines/engagements/nouveau"
    response = client.post(new, data=_commitment_form(jours=["mon"]))
    assert response.status_code == 302
    ines = by_ref(Candidate, "ines")
    (held,) = ines.commitments
    assert (held.hours_per_week, held.days, held.source) == (6.0, ["mon"], "declared")
    assert ines.status == "en_mission"
    page = page_text(client.get("/animateur/cvtheque/ines"))
    assert "Engagement ajouté : 6 h le lundi (Ménage, Mairie)." in page
    url = f"/animateur/cvtheque/ines/engagements/{held.id}"
    response = client.post(
        url, data={**_commitment_form(heures="7,5"), "lu_le": read_stamp_at(client, url)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert by_ref(Candidate, "ines").commitments[0].hours_per_week == 7.5
    remove = f"/animateur/cvtheque/ines/engagements/{held.id}/retirer"
    stamp = read_stamp_at(client, "/animateur/cvtheque/ines", remove)
    response = client.post(remove, data={"lu_le": stamp})
    assert response.status_code == 302
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert ines.commitments == [] and ines.status == "disponible"


def test_a_commitment_saved_from_a_page_read_before_another_save_is_refused(
    app, client, auth, world
):
    # Two animateurs open the same commitment; one changes its hours, the other its days.
    # The second save must not put the old hours back.
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    new = "/animateur/cvtheque/ines/engagements/nouveau"
    assert client.post(new, data=_commitment_form(jours=["mon"])).status_code == 302
    (held,) = by_ref(Candidate, "ines").commitments
    url = f"/animateur/cvtheque/ines/engagements/{held.id}"
    first, second = read_stamp_at(client, url), read_stamp_at(other, url)
    saved = client.post(url, data={**_commitment_form(jours=["mon"], heures="8"), "lu_le": first})
    assert saved.status_code == 302
    response = other.post(url, data={**_commitment_form(jours=["tue"]), "lu_le": second})
    assert response.status_code == 422
    said = page_text(response)
    assert "modifié par quelqu'un d'autre" in said
    assert "Il est maintenant : 8 h le lundi (Ménage, Mairie)." in said
    assert 'value="tue" id="jour-tue" checked' in response.get_data(as_text=True)  # kept
    db.session.expire_all()
    (held,) = by_ref(Candidate, "ines").commitments
    assert (held.hours_per_week, held.days) == (8.0, ["mon"])  # the first change only
    # Sent again from the page given back (read now), it is saved.
    again = other.post(
        url, data={**_commitment_form(jours=["tue"], heures="8"), "lu_le": stamp_in(response)}
    )
    assert again.status_code == 302
    db.session.expire_all()
    (held,) = by_ref(Candidate, "ines").commitments
    assert (held.hours_per_week, held.days) == (8.0, ["tue"])


def test_each_commitment_is_guarded_by_its_own_stamp(app, client, auth, world):
    """Two animateurs change two different commitments of one person, and a third saves
    her notes, all from pages read before: nothing is lost, so nothing is refused. The
    same commitment saved twice from one reading: the second is refused."""
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    new = "/animateur/cvtheque/ines/engagements/nouveau"
    assert client.post(new, data=_commitment_form(jours=["mon"])).status_code == 302
    assert client.post(new, data=_commitment_form(jours=["tue"])).status_code == 302
    first, second = by_ref(Candidate, "ines").commitments
    url_a = f"/animateur/cvtheque/ines/engagements/{first.id}"
    url_b = f"/animateur/cvtheque/ines/engagements/{second.id}"
    stamp_a, stamp_b = read_stamp_at(client, url_a), read_stamp_at(other, url_b)
    show = "/animateur/cvtheque/ines"
    notes = read_stamp_at(client, show, "/notes")
    assert (
        client.post(f"{show}/notes", data={"notes": "Rappeler", "lu_le": notes}).status_code == 302
    )
    typed_a = _commitment_form(jours=["mon"], heures="8")
    assert client.post(url_a, data={**typed_a, "lu_le": stamp_a}).status_code == 302
    typed_b = _commitment_form(jours=["tue"], heures="5")
    assert other.post(url_b, data={**typed_b, "lu_le": stamp_b}).status_code == 302
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert [(c.hours_per_week, c.days) for c in ines.commitments] == [
        (8.0, ["mon"]),
        (5.0, ["tue"]),
    ]
    assert ines.notes == "Rappeler"
    # From the same reading again, other values: refused, nothing written, typed kept.
    refused = client.post(url_a, data={**typed_a, "heures": "9", "lu_le": stamp_a})
    assert refused.status_code == 422
    assert "Il est maintenant : 8 h le lundi (Ménage, Mairie)." in page_text(refused)
    assert 'value="9"' in html_of(refused)
    db.session.expire_all()
    assert by_ref(Candidate, "ines").commitments[0].hours_per_week == 8.0
    # From the same reading, the values it holds now (a second tap): nothing to lose.
    assert client.post(url_a, data={**typed_a, "lu_le": stamp_a}).status_code == 302
    # Another person's commitment through Inès' address: not found, nothing changed.
    f.load(f.document(candidates=[f.candidate(ref="autre", days=["mon", "wed"])]))
    autre = by_ref(Candidate, "autre")
    autre.commitments.append(Commitment(hours_per_week=5, days=["wed"], label="Cantine"))
    db.session.commit()
    theirs = autre.commitments[0]
    stamp = read_stamp_at(client, f"/animateur/cvtheque/autre/engagements/{theirs.id}")
    stolen = f"/animateur/cvtheque/ines/engagements/{theirs.id}"
    assert client.post(stolen, data={**typed_a, "lu_le": stamp}).status_code == 404
    assert client.post(f"{stolen}/retirer", data={"lu_le": stamp}).status_code == 404
    db.session.expire_all()
    kept = db.session.get(Commitment, theirs.id)
    assert (kept.candidate_id, kept.hours_per_week, kept.days) == (autre.id, 5.0, ["wed"])


def test_a_commitment_changed_since_read_is_not_removed(app, client, auth, world):
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    new = "/animateur/cvtheque/ines/engagements/nouveau"
    assert client.post(new, data=_commitment_form(jours=["mon"])).status_code == 302
    (held,) = by_ref(Candidate, "ines").commitments
    show, url = "/animateur/cvtheque/ines", f"/animateur/cvtheque/ines/engagements/{held.id}"
    remove = read_stamp_at(other, show, f"{url}/retirer")
    edit = read_stamp_at(client, url)
    typed = _commitment_form(jours=["mon"], heures="8")
    assert client.post(url, data={**typed, "lu_le": edit}).status_code == 302
    refused = other.post(f"{url}/retirer", data={"lu_le": remove})
    assert refused.status_code == 302
    said = page_text(other.get(refused.headers["Location"]))
    assert "il n'est pas retiré. Il est maintenant : 8 h le lundi (Ménage, Mairie)." in said
    db.session.expire_all()
    assert [c.hours_per_week for c in by_ref(Candidate, "ines").commitments] == [8.0]
    # Read again; the person's notes saved meanwhile do not stop it: removed.
    stamp = read_stamp_at(other, show, f"{url}/retirer")
    notes = read_stamp_at(client, show, "/notes")
    assert client.post(f"{show}/notes", data={"notes": "Vu", "lu_le": notes}).status_code == 302
    assert other.post(f"{url}/retirer", data={"lu_le": stamp}).status_code == 302
    db.session.expire_all()
    assert by_ref(Candidate, "ines").commitments == []


def test_a_commitment_sent_without_its_read_stamp_is_refused(client, auth, world):
    auth.login("animateur")
    new = "/animateur/cvtheque/ines/engagements/nouveau"
    assert client.post(new, data=_commitment_form(jours=["mon"])).status_code == 302
    (held,) = by_ref(Candidate, "ines").commitments
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = _commitment_form(jours=["mon"], heures="9")
        if stamp is not None:
            data["lu_le"] = stamp
        response = client.post(f"/animateur/cvtheque/ines/engagements/{held.id}", data=data)
        assert response.status_code == 422
        db.session.expire_all()
        assert by_ref(Candidate, "ines").commitments[0].hours_per_week == 6.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"heures": "0"}, "entre 1 et 48"),
        ({"heures": "49"}, "entre 1 et 48"),
        ({"heures": "beaucoup"}, "un nombre"),
        ({"jours": []}, "Cochez au moins un jour."),
        ({"debut": "2027-05-01", "fin": "2027-04-30"}, "ne peut pas précéder"),
        ({"debut": "01/05/2027", "fin": "30/04/2027"}, "ne peut pas précéder"),
        ({"fin": "31/02/2027"}, "Dernier jour invalide : « 31/02/2027 » n&#39;existe pas"),
        ({"heures": "30"}, "la semaine compterait 50 h"),
        # Dates no commitment has: before a working life, or beyond any plan.
        ({"debut": "01/01/1900"}, "La date de début ne peut pas être avant le"),
        ({"debut": "1900-01-01"}, "(50 ans en arrière au plus)"),
        ({"fin": "1950-06-30"}, "Le dernier jour ne peut pas être avant le"),
        ({"debut": "0001-01-01"}, "hors des dates possibles (1900 à 2999)"),
        ({"fin": "9999-12-31"}, "hors des dates possibles (1900 à 2999)"),
        ({"fin": "31/12/2999"}, "Indiquez une date d&#39;ici le"),
        ({"debut": "x" * 5000}, "Date de début invalide"),
        # Odd numbers and texts: a message, never a server error.
        ({"heures": "-5"}, "entre 1 et 48"),
        ({"heures": "9" * 400}, "entre 1 et 48"),
        ({"heures": "1e400"}, "un nombre"),
        ({"libelle": "x" * 5000}, "ne doit pas dépasser 200 caractères"),
        ({"jours": ["mon", "funday"]}, "Choisissez des jours de la liste."),
        # With the 20 h held on Tuesday: a seventh working day (Code du travail L3132-1).
        (
            {"jours": ["mon", "wed", "thu", "fri", "sat", "sun"]},
            "les autres engagements prennent déjà le mardi : la semaine compterait sept "
            "jours de travail",
        ),
    ],
)
def test_a_bad_commitment_is_refused_next_to_its_field_and_nothing_is_written(
    client, auth, world, data, message
):
    _hold(Commitment(hours_per_week=20, days=["tue"]))
    auth.login("animateur")
    response = client.post(
        "/animateur/cvtheque/ines/engagements/nouveau", data=_commitment_form(**data)
    )
    assert response.status_code == 422
    html = html_of(response)  # the message carries French no-break spaces
    assert message in html
    assert 'class="errors"' in html  # the message sits next to its field
    assert count(Commitment) == 1
    assert not db.session.scalars(
        select(CandidateEvent).where(CandidateEvent.kind == "commitment")
    ).all()


def test_a_commitment_is_dated_as_every_form_dates(client, auth, world):
    auth.login("animateur")
    response = client.post(
        "/animateur/cvtheque/ines/engagements/nouveau",
        data=_commitment_form(heures="7h30", debut="15/03/1990", fin="31/12/2027"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (held,) = by_ref(Candidate, "ines").commitments
    assert (held.hours_per_week, held.start, held.until) == (
        7.5,
        date(1990, 3, 15),
        date(2027, 12, 31),
    )


def test_an_edited_commitment_keeps_the_dates_it_holds():
    person = Candidate(commitments=[])
    old = Commitment(id=7, hours_per_week=8, days=["mon"], start=date(1960, 1, 1))
    person.commitments.append(old)
    values = read_commitment(
        person,
        label=None,
        hours="10",
        days=["mon"],
        start="1960-01-01",
        until=None,
        replacing=old,
        today=date(2026, 12, 7),
    )
    assert values.start == date(1960, 1, 1) and values.hours_per_week == 10
    with pytest.raises(CommitmentError) as refused:
        read_commitment(
            person,
            label=None,
            hours="10",
            days=["mon"],
            start="1961-01-01",
            until=None,
            replacing=old,
            today=date(2026, 12, 7),
        )
    assert "avant le 07/12/1976" in refused.value.errors["start"]


def _seven_days(others, days=("tue",), start=None, until=None, replacing=None):
    person = Candidate(commitments=list(others))
    return read_commitment(
        person,
        label=None,
        hours="4",
        days=list(days),
        start=start,
        until=until,
        replacing=replacing,
        today=date(2027, 3, 1),
    )


def test_a_commitment_making_a_seventh_working_day_is_refused_when_it_runs_with_the_others():
    """Six days held (Monday, Wednesday to Sunday): Tuesday is the rest day. Work on it is
    refused while the others run, alone on seven days too; work that never meets them
    (ended, or starting after it ends), or that replaces the one it is, is not."""
    six = ["mon", "wed", "thu", "fri", "sat", "sun"]
    held = Commitment(id=1, hours_per_week=12, days=six)
    with pytest.raises(CommitmentError) as refused:
        _seven_days([held])
    assert refused.value.errors["days"].startswith(
        "Ce travail le mardi ; les autres engagements prennent déjà le lundi, le mercredi, "
        "le jeudi, le vendredi, le samedi et le dimanche : la semaine compterait sept jours"
    )
    with pytest.raises(CommitmentError, match="sept jours"):
        _seven_days([], days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    ended = Commitment(id=2, hours_per_week=12, days=six, until=date(2027, 2, 28))
    assert _seven_days([ended]).days == ["tue"]
    later = Commitment(id=3, hours_per_week=12, days=six, start=date(2027, 5, 1))
    assert _seven_days([later], until="2027-04-30").days == ["tue"]
    with pytest.raises(CommitmentError, match="sept jours"):
        _seven_days([later])  # open-ended: meets it in May
    assert _seven_days([held], days=["mon", "tue"], replacing=held).days == ["mon", "tue"]
    # Seven days already held without it (an import) are not its doing.
    everyday = Commitment(id=4, hours_per_week=14, days=[*six, "tue"])
    assert _seven_days([everyday]).days == ["tue"]


def test_a_commitment_that_ended_does_not_weigh_on_the_week_limit(client, auth, world):
    past = local_today() - timedelta(days=1)
    _hold(Commitment(hours_per_week=40, days=["tue"], until=past))
    auth.login("animateur")
    response = client.post(
        "/animateur/cvtheque/ines/engagements/nouveau",
        data=_commitment_form(heures="30", jours=["wed", "thu", "fri"]),
    )
    assert response.status_code == 302


def test_a_week_of_exactly_48_hours_is_allowed_whatever_the_float_sum(client, auth, world):
    # 1.1 + 39.2 + 7.7 is 48.00000000000001 in floats: 48 h, the legal limit, allowed.
    _hold(Commitment(hours_per_week=1.1, days=["mon"]))
    _hold(Commitment(hours_per_week=39.2, days=["tue"]))
    auth.login("animateur")
    response = client.post(
        "/animateur/cvtheque/ines/engagements/nouveau", data=_commitment_form(heures="7,7")
    )
    assert response.status_code == 302
    assert count(Commitment) == 3


def test_a_placement_bringing_the_week_to_exactly_48_hours_is_allowed(world):
    _hold(Commitment(hours_per_week=1.1, days=["mon"]))
    _hold(Commitment(hours_per_week=39.2, days=["thu"]))
    _place(world, hours=7.7, confirm_hours=7.7)
    assert count(Commitment) == 3


@pytest.mark.parametrize("role", ["operator", "partner", "company"])
def test_other_roles_cannot_edit_commitments(client, auth, world, role):
    auth.login(role)
    response = client.post("/animateur/cvtheque/ines/engagements/nouveau", data=_commitment_form())
    assert response.status_code in (403, 404)
    assert count(Commitment) == 0


# --- Compléter la semaine ------------------------------------------------------------------


def test_complete_the_week_lists_exactly_the_fitting_needs(world):
    _place(world)
    assert [fit.need.ref for fit in fitting_needs(by_ref(Candidate, "ines"))] == ["fits"]


def test_complete_the_week_never_offers_the_need_the_person_works_on(world):
    """A need back in the search while the person still works on it (a fixed-term
    placement ending before the need's start date) passed every hard constraint at its
    start, their work over by then: « Compléter la semaine » offered them, to fill their
    free time, the very work they hold."""
    today = local_today()
    _place(world, contract="cdd", start_date=today, end_date=date(2027, 2, 28))
    need = by_ref(Need, "placed")
    workflows.transition(db.session, need, workflows.NEED, "en_recherche")
    db.session.commit()
    assert by_ref(Candidate, "ines").commitments[0].until == date(2027, 2, 28)
    assert "placed" not in [fit.need.ref for fit in fitting_needs(by_ref(Candidate, "ines"))]
    # Once that work is over, the need is hers to take again like anyone's.
    by_ref(Candidate, "ines").commitments[0].until = today - timedelta(days=1)
    db.session.commit()
    assert "placed" in [fit.need.ref for fit in fitting_needs(by_ref(Candidate, "ines"))]


def test_every_week_says_when_work_ends_and_a_need_after_it_says_why_it_fits(client, auth, world):
    """A fixed-term placement takes Tuesday until 28/02/2027; the need « Saisie du
    mardi » starts on 01/03/2027, its Tuesday free again by then. The week read « Mardi
    Pris … » with no end, and the need's line under it was empty (no work runs on its
    start): a need on a day shown taken, listed as fitting, unexplained."""
    _place(world, contract="cdd", start_date=local_today(), end_date=date(2027, 2, 28))
    ines = by_ref(Candidate, "ines")
    row = "Mardi Pris 8 h par semaine — Boulangerie du Port, GE Bassin Emploi, jusqu'au 28/02/2027"
    why = (
        "Son travail de 8 h le mardi (Boulangerie du Port, GE Bassin Emploi) se termine le "
        "28/02/2027, avant le début du besoin (01/03/2027)."
    )
    fits = {fit.need.ref: fit.week for fit in fitting_needs(ines)}
    assert fits["tuesday"] == why
    # A need that fits the week as it is today has nothing to explain.
    assert fits["fits"] is None
    space = page_text(client.get(f"/mon-cv/{space_token(ines)}"))
    assert row in space
    assert "mardi — Boulangerie du Port, GE Bassin Emploi, jusqu'au 28/02/2027" in space
    auth.login("animateur")
    page = page_text(client.get("/animateur/cvtheque/ines/semaine"))
    assert row in page and why in page
    assert row in page_text(client.get("/animateur/cvtheque/ines"))
    auth.logout()
    auth.login("operator", org_ref="ge-a")
    page = page_text(client.get("/operateur/personnes/ines/semaine"))
    assert row in page and why in page


def test_work_not_started_with_an_end_is_said_from_its_first_to_its_last_day(client, world):
    _place(world, contract="cdd", start_date=date(2027, 1, 4), end_date=date(2027, 2, 26))
    space = page_text(client.get(f"/mon-cv/{space_token(by_ref(Candidate, 'ines'))}"))
    assert (
        "Mardi Pris 8 h par semaine — Boulangerie du Port, GE Bassin Emploi, du 04/01/2027 "
        "au 26/02/2027" in space
    )
    assert "à partir du 04/01/2027, jusqu'au" not in space


def test_a_need_fitting_the_hours_freed_by_work_ending_before_it_says_so(world):
    """20 h on Tuesday until 28/02/2027 leave 4 h today: the 12 h on Monday and Thursday
    fit at the need's start only, once those 20 h are over."""
    _place(
        world, hours=20, contract="cdd", start_date=local_today(), end_date=date(2027, 2, 28),
        confirm_hours=20,
    )  # fmt: skip
    fits = {fit.need.ref: fit.week for fit in fitting_needs(by_ref(Candidate, "ines"))}
    assert fits["fits"] == (
        "Son travail de 20 h le mardi (Boulangerie du Port, GE Bassin Emploi) se termine le "
        "28/02/2027, avant le début du besoin (01/03/2027)."
    )
    # Several such works are said in one sentence, earliest end first; work ending before
    # it on another day, whose hours it does not need (the 20 h free them), is not named.
    _hold(Commitment(hours_per_week=1, days=["mon"], label="Pharmacie", until=date(2027, 1, 8)))
    _hold(Commitment(hours_per_week=1, days=["fri"], label="Club", until=date(2027, 1, 15)))
    fits = {fit.need.ref: fit.week for fit in fitting_needs(by_ref(Candidate, "ines"))}
    assert fits["fits"] == (
        "Son travail de 1 h le lundi (Pharmacie) se termine le 08/01/2027 et celui de 20 h "
        "le mardi (Boulangerie du Port, GE Bassin Emploi) le 28/02/2027, avant le début du "
        "besoin (01/03/2027)."
    )
    # Work still running on the need's start is said as before, the ended work after it.
    for ended in by_ref(Candidate, "ines").commitments[-2:]:
        ended.until = local_today() - timedelta(days=1)
    _hold(Commitment(hours_per_week=2, days=["mon"], label="Mairie"))
    fits = {fit.need.ref: fit.week for fit in fitting_needs(by_ref(Candidate, "ines"))}
    assert fits["fits"] == (
        "Déjà 2 h le lundi (Mairie) : reste 22 h, libre mardi et jeudi. Son travail de 20 h "
        "le mardi (Boulangerie du Port, GE Bassin Emploi) se termine le 28/02/2027, avant "
        "le début du besoin (01/03/2027)."
    )


def test_the_operator_s_fitting_needs_name_its_own_placements_only(client, auth, world):
    """The lines under each fitting need name the work the person holds, as the week
    above them: the operator reads « autre emploi » for work that is none of its business
    (its own placement named), the animateur reads all of it."""
    _place(world)
    _hold(Commitment(hours_per_week=2, days=["wed"], label="Pharmacie Centrale"))
    _hold(Commitment(hours_per_week=4, days=["mon"], label="Mairie", until=date(2027, 2, 28)))
    auth.login("operator", org_ref="ge-a")
    page = page_text(client.get("/operateur/personnes/ines/semaine"))
    assert "Comptabilité fournisseurs — Garage Martin" in page
    assert "Pharmacie Centrale" not in page and "Mairie" not in page
    assert (
        "Déjà 8 h le mardi (Boulangerie du Port, GE Bassin Emploi) et 2 h le mercredi "
        "(autre emploi) : reste 14 h, libre lundi et jeudi. Son travail de 4 h le lundi "
        "(autre emploi) se termine le 28/02/2027, avant le début du besoin (01/03/2027)."
    ) in page
    auth.logout()
    auth.login("animateur")
    page = page_text(client.get("/animateur/cvtheque/ines/semaine"))
    assert "2 h le mercredi (Pharmacie Centrale)" in page and "4 h le lundi (Mairie)" in page


def test_the_need_page_says_why_work_taking_the_need_s_day_today_leaves_it_free(
    client, auth, world
):
    """Inès's fixed-term placement takes Tuesday until 28/02/2027; « Saisie du mardi »
    starts on 01/03/2027. The need page's candidates and its « Compléter la semaine »
    read her week at the need's start alone: her Tuesday, taken in every week shown
    today, was listed free without the sentence that says why."""
    _place(world, contract="cdd", start_date=local_today(), end_date=date(2027, 2, 28))
    _hold(Commitment(hours_per_week=2, days=["mon"], label="Mairie"))
    why = (
        "Déjà 2 h le lundi (Mairie) : reste 22 h, libre mardi et jeudi. Son travail de 8 h "
        "le mardi (Boulangerie du Port, GE Bassin Emploi) se termine le 28/02/2027, avant "
        "le début du besoin (01/03/2027)."
    )
    need = by_ref(Need, "tuesday")
    assert [(fit.person.ref, fit.week) for fit in people_with_free_time(need)] == [("ines", why)]
    auth.login("animateur")
    page = page_text(client.get("/animateur/besoins/tuesday"))
    ranked = page[page.index("Candidats proposés") : page.index("Compléter la semaine")]
    line = ranked[ranked.index("Inès Marchal") : ranked.index("Détail du score d'Inès")]
    assert why in line
    free_time = page[page.index("Compléter la semaine") :]
    assert re.search(rf"Inès Marchal — score \d+/100\. {re.escape(why)}", free_time)
    # Without the work on Monday, the placement she holds today is the whole sentence; all
    # her work over by the start, she is one of the need's candidates, not someone who
    # could take it beside her work.
    ines = by_ref(Candidate, "ines")
    ines.commitments.pop()
    ines.updated_at = utcnow()
    db.session.commit()
    why = why[why.index("Son travail") :]
    assert people_with_free_time(need) == []
    page = page_text(client.get("/animateur/besoins/tuesday"))
    ranked = page[page.index("Candidats proposés") : page.index("Compléter la semaine")]
    assert why in ranked[ranked.index("Inès Marchal") : ranked.index("Détail du score d'Inès")]


def _ines_said(client, need_ref: str) -> dict[str, str]:
    """What the animateur reads of Inès for the need: her line in the need's list, the
    score's detail under it, and the « Pourquoi pas ce candidat ? » page's hard
    constraints and score."""
    page = page_text(client.get(f"/animateur/besoins/{need_ref}"))
    ranked = page[page.index("Candidats proposés") : page.index("Compléter la semaine")]
    start = ranked.index("Inès Marchal")
    detail = ranked.index("Détail du score d'Inès", start)
    why_not = page_text(client.get(f"/animateur/besoins/{need_ref}/pourquoi-pas?candidat=ines"))
    score = why_not.index("Score :")
    return {
        "line": ranked[start:detail],
        "detail": ranked[detail : ranked.index("Total", detail)],
        "constraints": why_not[why_not.index("Contraintes obligatoires") : score],
        "score": why_not[score:],
    }


def test_the_score_and_why_not_say_the_week_as_the_need_s_list_says_it(client, auth, world):
    """The need's list says that Inès's placement, taking Tuesday today, ends before
    « Saisie du mardi » starts; the score's detail under it and « Pourquoi pas ce
    candidat ? » read her week on the start alone (week_sentence): the first said
    nothing of that work, the second her Monday only, and « Pourquoi pas » called her
    free for 24 h without a word of the Tuesday the animateur sees taken today."""
    _place(world, contract="cdd", start_date=local_today(), end_date=date(2027, 2, 28))
    _hold(Commitment(hours_per_week=2, days=["mon"], label="Mairie"))
    ending = (
        "Son travail de 8 h le mardi (Boulangerie du Port, GE Bassin Emploi) se termine le "
        "28/02/2027, avant le début du besoin (01/03/2027)."
    )
    why = f"Déjà 2 h le lundi (Mairie) : reste 22 h, libre mardi et jeudi. {ending}"
    ines = candidate_from_model(by_ref(Candidate, "ines"))
    need = need_from_model(by_ref(Need, "tuesday"))
    assert week.start_sentence(ines, need) == why
    auth.login("animateur")
    said = _ines_said(client, "tuesday")
    for where, text in said.items():
        assert why in text, where
    # Her work all over by the start but the placement's, the sentence is that work's
    # alone, everywhere, before what she may take.
    ines = by_ref(Candidate, "ines")
    ines.commitments.pop()
    ines.updated_at = utcnow()
    db.session.commit()
    said = _ines_said(client, "tuesday")
    for where, text in said.items():
        assert ending in text, where
        assert "Déjà" not in text, where
    assert f"{ending} 4 h par semaine, moins que souhaité (10 à 24 h souhaitées)" in said["score"]
    assert f"{ending} Le candidat peut travailler jusqu'à 24 h" in said["constraints"]


def test_work_ending_after_the_need_s_start_is_said_as_the_list_says_it(client, auth, world):
    """Inès's 8 h on Tuesday end two weeks after « Comptabilité fournisseurs » (a
    permanent need) starts: her week at its start holds them, and the list, the score's
    detail and « Pourquoi pas » said « reste 16 h » without a word of their end, two
    weeks later, when all her 24 h are free: they say it now, in the same words, and no
    end before the start."""
    _place(world, contract="cdd", start_date=local_today(), end_date=date(2027, 3, 14))
    why = (
        "Déjà 8 h le mardi (Boulangerie du Port, GE Bassin Emploi) : reste 16 h, libre lundi "
        "et jeudi. Ce travail se termine le 14/03/2027 : libre ensuite jusqu'à 24 h par "
        "semaine."
    )
    assert (
        week.start_sentence(
            candidate_from_model(by_ref(Candidate, "ines")), need_from_model(by_ref(Need, "fits"))
        )
        == why
    )
    auth.login("animateur")
    for where, text in _ines_said(client, "fits").items():
        assert why in text, where
        assert "avant le début" not in text, where


def test_the_need_page_never_offers_a_need_s_free_time_to_the_person_working_on_it(
    client, auth, world
):
    """The need back in the search while Inès's fixed-term placement on it runs to a
    term before its start (and she holds two hours on Monday besides): she passed every
    hard constraint at its start, her placement over by then, and the need's page listed
    her among the people who could take it in their free time: the very work she holds."""
    today = local_today()
    _place(world, contract="cdd", start_date=today, end_date=date(2027, 2, 28))
    _hold(Commitment(hours_per_week=2, days=["mon"], label="Mairie"))
    need = by_ref(Need, "placed")
    workflows.transition(db.session, need, workflows.NEED, "en_recherche")
    db.session.commit()
    assert "ines" not in [fit.person.ref for fit in people_with_free_time(need)]
    auth.login("animateur")
    page = page_text(client.get("/animateur/besoins/placed"))
    assert "Inès Marchal — score" not in page[page.index("Compléter la semaine") :]
    # Once that work is over, the need is hers to take again like anyone's (the change
    # stamped as the commitment's form stamps it: matching re-reads her).
    ines = by_ref(Candidate, "ines")
    ines.commitments[0].until = today - timedelta(days=1)
    ines.updated_at = utcnow()
    db.session.commit()
    assert "ines" in [fit.person.ref for fit in people_with_free_time(by_ref(Need, "placed"))]


def test_complete_the_week_says_when_work_running_on_the_need_s_start_ends(client, auth, world):
    """Inès's 4 h on Friday at the Mairie end on 14/03/2027, two weeks after « Comptabilité
    fournisseurs » (permanent) starts: her « Compléter la semaine » and the need page's
    people with free time said « reste 12 h » without a word of the 16 h free after."""
    _place(world)
    _hold(Commitment(hours_per_week=4, days=["fri"], label="Mairie", until=date(2027, 3, 14)))
    ending = (
        "Son travail de 4 h le vendredi (Mairie) se termine le 14/03/2027 : libre ensuite "
        "jusqu'à 16 h par semaine."
    )
    why = (
        "Déjà 8 h le mardi (Boulangerie du Port, GE Bassin Emploi) et 4 h le vendredi "
        f"(Mairie) : reste 12 h, libre lundi et jeudi. {ending}"
    )
    assert {fit.need.ref: fit.week for fit in fitting_needs(by_ref(Candidate, "ines"))} == {
        "fits": why
    }
    auth.login("animateur")
    page = page_text(client.get("/animateur/cvtheque/ines/semaine"))
    assert why in page
    need_page = page_text(client.get("/animateur/besoins/fits"))
    assert why in need_page[need_page.index("Compléter la semaine") :]


def test_complete_the_week_leaves_out_a_need_waiting_for_its_owner(world):
    _place(world)
    need = by_ref(Need, "fits")
    need.source, need.owner_confirmed_at = "entreprise", None
    db.session.commit()
    assert fitting_needs(by_ref(Candidate, "ines")) == []


def test_complete_the_week_page_for_the_animateur(client, auth, world):
    _place(world)
    auth.login("animateur")
    page = page_text(client.get("/animateur/cvtheque/ines/semaine"))
    assert "Compléter la semaine d'Inès Marchal" in page
    assert "Besoins ouverts qui tiennent dans son temps libre (1)" in page
    assert "Comptabilité fournisseurs — Garage Martin" in page
    assert "Saisie du mardi" not in page and "Comptable 20 h" not in page
    # The need page names her among those who could take it in their free time.
    need_page = page_text(client.get("/animateur/besoins/fits"))
    assert "Compléter la semaine" in need_page
    assert "Inès Marchal — score" in need_page
    assert "Déjà 8 h le mardi" in need_page


def test_complete_the_week_page_for_the_operator_who_placed_only(client, auth, world):
    _place(world)
    auth.login("operator", org_ref="ge-a")
    page = page_text(client.get("/operateur/personnes/ines/semaine"))
    assert "Comptabilité fournisseurs — Garage Martin" in page
    lead_page = page_text(client.get(f"/operateur/propositions/{world['lead']}"))
    assert "Compléter la semaine d'Inès Marchal" in lead_page
    auth.logout()
    auth.login("operator", org_ref="ge-b")
    assert client.get("/operateur/personnes/ines/semaine").status_code == 404
    assert client.get("/operateur/personnes/inconnue/semaine").status_code == 404
    refused = audit_entries("week_access_refused")
    assert len(refused) == 2


def test_complete_the_week_ends_for_the_operator_with_its_placement(client, auth, world):
    """Once the placement did not hold, the operator has no week left to complete: its
    lead page no longer offers the page, and the page (the person's other work, their
    free days) was still open to it at its address, for good."""
    placement = _place(world, start_date=local_today() - timedelta(days=40))
    (first, *_) = sorted(placement.follow_ups, key=lambda point: point.months)
    flow.record_follow_up(
        db.session,
        first,
        company_feedback="Arrêt d'un commun accord.",
        candidate_feedback=None,
        holds=False,
        search_again=False,
    )
    db.session.commit()
    auth.login("operator", org_ref="ge-a")
    lead_page = page_text(client.get(f"/operateur/propositions/{world['lead']}"))
    assert "Compléter la semaine" not in lead_page
    assert client.get("/operateur/personnes/ines/semaine").status_code == 404
    assert len(audit_entries("week_access_refused")) == 1


@pytest.mark.parametrize("role", ["partner", "company", "candidate"])
def test_complete_the_week_is_refused_to_other_roles(client, auth, world, role):
    _place(world)
    auth.login(role)
    assert client.get("/animateur/cvtheque/ines/semaine").status_code in (403, 404)
    assert client.get("/operateur/personnes/ines/semaine").status_code in (403, 404)


def _monday_and_thursday_bundle(thursday_start=START) -> None:
    """Two 6 h needs, Monday (from ``START``) and Thursday, from two companies: a 12 h
    bundle; the world's other Monday/Thursday needs closed, so that it stays maximal."""
    f.load(
        f.document(
            needs=[
                f.need(ref="mon", company="c3", days=["mon"], hours_per_week=6, start=START),
                f.need(
                    ref="thu", company="c4", days=["thu"], hours_per_week=6, start=thursday_start
                ),
            ]
        )
    )
    for need in db.session.scalars(select(Need).where(Need.ref.in_(["fits", "too-long"]))):
        workflows.transition(db.session, need, workflows.NEED, "abandonne", reason_code="doublon")
    db.session.commit()


def test_pool_page_says_who_could_take_a_bundle_in_their_free_time(client, auth, world):
    _place(world)
    # A 12 h bundle that fits her free time.
    _monday_and_thursday_bundle()
    auth.login("animateur")
    page = page_text(client.get("/animateur/postes-partages"))
    assert "Pourraient le prendre sur leur temps libre" in page
    assert "Inès Marchal — Déjà 8 h le mardi" in page


def test_pool_page_says_why_work_taking_a_bundle_s_day_today_leaves_it_free(client, auth, world):
    """Inès's work at the Mairie takes Monday until 28/02/2027; the bundle of Monday and
    Thursday starts on 01/03/2027. The page read her week at the bundle's start alone
    (« libre lundi et jeudi ») where every week shown today has her Monday taken: it
    says why, as the need pages do (``week.start_sentence``), from the job as a whole."""
    _place(world)
    _hold(Commitment(hours_per_week=4, days=["mon"], label="Mairie", until=date(2027, 2, 28)))
    # Friday's work, ending before the start too, is none of the bundle's days or hours.
    _hold(Commitment(hours_per_week=1, days=["fri"], label="Club", until=date(2027, 1, 31)))
    _monday_and_thursday_bundle(thursday_start="2027-04-01")
    auth.login("animateur")
    page = page_text(client.get("/animateur/postes-partages"))
    assert (
        "Inès Marchal — Déjà 8 h le mardi (Boulangerie du Port, GE Bassin Emploi) : reste "
        "16 h, libre lundi et jeudi. Son travail de 4 h le lundi (Mairie) se termine le "
        "28/02/2027, avant le début du poste (01/03/2027)."
    ) in page
    assert "Club" not in page


def test_pool_page_says_when_work_running_on_a_bundle_s_start_ends(client, auth, world):
    """Inès's 4 h on Friday end on 14/03/2027, two weeks after the bundle of Monday and
    Thursday starts: the page said « reste 12 h » alone; it says the 16 h free after."""
    _place(world)
    _hold(Commitment(hours_per_week=4, days=["fri"], label="Mairie", until=date(2027, 3, 14)))
    _monday_and_thursday_bundle()
    auth.login("animateur")
    page = page_text(client.get("/animateur/postes-partages"))
    assert (
        "Inès Marchal — Déjà 8 h le mardi (Boulangerie du Port, GE Bassin Emploi) et 4 h le "
        "vendredi (Mairie) : reste 12 h, libre lundi et jeudi. Son travail de 4 h le "
        "vendredi (Mairie) se termine le 14/03/2027 : libre ensuite jusqu'à 16 h par semaine."
    ) in page


def test_the_persons_data_export_holds_their_commitments(client, world):
    _place(world)
    ines = by_ref(Candidate, "ines")
    response = client.get(f"/mon-cv/{space_token(ines)}/export.json")
    (held,) = response.get_json()["profile"]["commitments"]
    assert held == {
        "label": "Boulangerie du Port, GE Bassin Emploi",
        "hours_per_week": 8.0,
        "days": ["tue"],
        "start": "2027-03-01",
        "until": None,
        "source": "placement",
    }


def test_the_animateurs_status_choice_goes_through_the_status_function(client, auth, world):
    _place(world)
    auth.login("animateur")
    client.post("/animateur/cvtheque/ines/statut", data={"statut": "place"})
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert ines.status == "place" and ines.week_complete  # wants no more hours
    client.post("/animateur/cvtheque/ines/statut", data={"statut": "en_mission"})
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert ines.status == "en_mission" and not ines.week_complete
    page = page_text(client.get("/animateur/cvtheque/ines"))
    assert "Statut : Placé → En mission." in page


@pytest.mark.parametrize("fmt", ["connectences/v1", "connectences/v1.1"])
def test_an_import_silent_about_a_placement_here_keeps_its_commitment(world, fmt):
    """A partner's list of people (v1, or v1.1 without this platform's placement) cannot
    know of a placement made here: its commitment stays, and so does the week it takes.
    A commitment declared elsewhere is the document's to keep or drop."""
    _place(world)
    _hold(Commitment(hours_per_week=3, days=["mon"], source="declared"))
    person = f.candidate(
        ref="ines",
        first_name="Inès",
        last_name="Marchal",
        hours_min=10,
        hours_max=24,
        days=["mon", "tue", "thu"],
        status="en_mission",
    )
    assert f.load({**f.document(candidates=[person]), "format": fmt}).changed == 1
    db.session.expire_all()
    (left,) = by_ref(Candidate, "ines").commitments
    assert (left.source, left.hours_per_week, left.days) == ("placement", 8, ["tue"])
    assert left.placement_id is not None
    assert "ines" not in _matched("tuesday")
    # The same document again changes nothing.
    assert f.load({**f.document(candidates=[person]), "format": fmt}).changed == 0


def test_an_erased_person_placed_here_leaves_no_name_in_the_log_nor_in_a_mail(world):
    """The placement wrote the person's name in the lead's log, and its news to the
    animateur (naming them) was kept and sent after their erasure; sent mails to them
    stayed too, for whoever took their id next."""
    from connectences.cvtheque.erase import erase_candidate
    from connectences.models import OutboxMessage, Transition

    _place(world)
    ines = by_ref(Candidate, "ines")
    assert db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.candidate_id == ines.id)
    ).all()  # the news of the placement, about her
    db.session.execute(update(OutboxMessage).values(status="sent"))  # delivered meanwhile
    erase_candidate(db.session, ines, reason="demande")
    db.session.commit()
    reasons = " ".join(t.reason_text or "" for t in db.session.scalars(select(Transition)))
    assert "Marchal" not in reasons and "Inès" not in reasons
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert not [m for m in mails if "Marchal" in m.subject + m.body_text]


# --- more hours held than the person wants at most: said, not refused -------------------


def test_a_commitment_beyond_the_hours_wished_is_recorded_with_a_note(client, auth, world):
    """Inès wants 24 h at most: 20 h then 8 h more are recorded (she may work more than
    she wished), but the animateur is told where the second is recorded, instead of
    seeing her turn "placée" with nothing said, and her week no longer reads "reste 0 h"."""
    auth.login("animateur")
    new = "/animateur/cvtheque/ines/engagements/nouveau"
    response = client.post(new, data=_commitment_form(heures="20", jours=["mon", "tue"]))
    page = page_text(client.get(response.headers["Location"]))
    assert "plus que les" not in page  # 20 h of 24: nothing to say
    response = client.post(new, data=_commitment_form(heures="8", jours=["thu"]))
    assert response.status_code == 302
    assert [c.hours_per_week for c in by_ref(Candidate, "ines").commitments] == [20.0, 8.0]
    assert by_ref(Candidate, "ines").status == "place"
    page = page_text(client.get(response.headers["Location"]))
    assert (
        "Avec ses engagements, Inès Marchal travaille 28 h par semaine, plus que les 24 h au "
        "plus de son profil : la personne passe au statut « Placé » et ne reçoit plus de "
        "propositions."
    ) in page
    assert "Déjà 28 h par semaine, plus que les 24 h au plus : aucune heure libre." in page
    # Fixed-term, the extra hours come back by themselves: she is not "placée".
    (_, extra) = by_ref(Candidate, "ines").commitments
    url = f"/animateur/cvtheque/ines/engagements/{extra.id}"
    response = client.post(
        url,
        data={
            **_commitment_form(heures="8", jours=["thu"], fin="2027-06-30"),
            "lu_le": read_stamp_at(client, url),
        },
    )
    assert by_ref(Candidate, "ines").status == "en_mission"
    page = page_text(client.get(response.headers["Location"]))
    assert "aucun besoin ne lui est proposé tant que ces engagements durent." in page


def test_a_placement_confirmed_beyond_the_hours_wished_tells_the_animateur(world):
    from connectences.models import OutboxMessage

    _hold(Commitment(hours_per_week=20, days=["mon"], label="Mairie"))
    _place(world, hours=8, confirm_hours=8)
    (mail,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == world["animateur"].email)
    ).all()
    assert "Avec ses engagements, Inès Marchal travaille 28 h par semaine, plus que les 24 h" in (
        mail.body_text.replace("\u00a0", " ").replace("\u202f", " ")
    )


def _edit_profile(client, ines, **fields):
    from connectences.web.cv_forms import CandidateForm

    space = f"/mon-cv/{space_token(ines)}"
    data = {k: v for k, v in CandidateForm.data_of(ines).items() if v is not None}
    data.update(fields)
    response = _post(client, space + "/modifier", space + "/modifier", data)
    assert response.status_code == 302, page_text(response)
    db.session.expire_all()
    return by_ref(Candidate, "ines"), page_text(client.get(space))


def test_hours_and_days_changed_in_the_space_settle_the_status(client, world):
    """The person's week is read against their profile: lowering their maximum to the
    hours they hold makes them "placé" (their page no longer says they are proposed with
    0 h left), raising it again puts them back in matching (they stayed "placé",
    proposed nothing, although the animateur's note tells them to raise it)."""
    _place(world)  # 8 h on Tuesday, of 24 h at most
    ines, page = _edit_profile(client, by_ref(Candidate, "ines"), hours_min="4", hours_max="8")
    assert ines.status == "place" and not ines.week_complete
    assert "Votre profil peut être proposé aux employeurs" not in page
    ines, page = _edit_profile(client, ines, hours_max="24")
    assert ines.status == "en_mission"
    assert "ines" in _matched("fits")
    # Days too: Tuesday alone is taken, so the week is full; Monday back frees it.
    ines, _ = _edit_profile(client, ines, days=["tue"])
    assert ines.status == "place"
    ines, _ = _edit_profile(client, ines, days=["mon", "tue"])
    assert ines.status == "en_mission"
    summaries = [
        e.summary
        for e in db.session.scalars(
            select(CandidateEvent)
            .where(CandidateEvent.kind == "status")
            .order_by(CandidateEvent.id)
        )
    ]
    assert summaries[-1] == "Statut : Placé → En mission (heures ou jours modifiés)."


def test_a_paused_person_or_a_complete_week_stays_so_when_hours_change(client, world):
    _place(world)
    ines = by_ref(Candidate, "ines")
    space = f"/mon-cv/{space_token(ines)}"
    _post(client, space, space + "/semaine", {"choix": "complet"})
    ines, _ = _edit_profile(client, by_ref(Candidate, "ines"), hours_max="30")
    assert ines.status == "place" and ines.week_complete
    _post(client, space, space + "/semaine", {"choix": "plus"})
    _post(client, space, space + "/pause", {})
    ines, _ = _edit_profile(client, by_ref(Candidate, "ines"), hours_max="8", hours_min="4")
    assert ines.status == "inactif"


def test_complete_the_week_page_writes_the_points_as_the_score_is_written(client, auth, world):
    """The explanation's points add up to the score shown beside them, both written the
    French way: the skill points are tenths ("45.0 pts" was shown beside "score 82/100")."""
    _place(world)
    auth.login("animateur")
    page = page_text(client.get("/animateur/cvtheque/ines/semaine"))
    fit = fitting_needs(by_ref(Candidate, "ines"))[0]
    skills = fit.explanation[0]
    assert skills["criterion"] == "skills"
    assert f"{decimal_fr(skills['points'])} pts — Compétences" in page
    assert f"score {decimal_fr(fit.score)}/100" in page
    assert not re.search(r"\d\.\d+ pts", page)


def test_the_operator_and_the_animateur_are_told_when_a_person_proposed_erases(client, world):
    # The lead accepted for Inès stayed « Acceptée » with nobody in it, without a word to
    # anyone: the operator could go on calling someone who had left the platform.
    from connectences.models import OutboxMessage

    ines = by_ref(Candidate, "ines")
    lead = db.session.get(Lead, world["lead"])
    operator_address = lead.operator.email
    done = client.post(f"/mon-cv/{space_token(ines)}/supprimer", data={"confirm": "y"})
    assert done.status_code == 302
    told = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "workflow_update")
    ).all()
    assert sorted(mail.to for mail in told) == sorted([operator_address, world["animateur"].email])
    for mail in told:
        assert mail.subject.endswith(
            f"Proposition n° {lead.id} : une personne proposée s'est retirée"
        )
        assert "a retiré ses données de la plateforme" in mail.body_text
        assert "Plus aucune personne n'y est proposée" in mail.body_text
        assert "Inès" not in mail.body_text + mail.subject and "Marchal" not in mail.body_text
        assert f"/operateur/propositions/{lead.id}" in mail.body_text
        assert mail.candidate_id is None
    db.session.expire_all()
    assert db.session.get(Lead, world["lead"]).status == "accepte"


def test_a_closed_lead_tells_nobody_when_its_person_erases(client, world):
    from connectences.models import OutboxMessage

    lead = db.session.get(Lead, world["lead"])
    flow.close_without_outcome(db.session, lead, "Le poste est pourvu autrement.")
    db.session.commit()
    before = count(OutboxMessage)
    ines = by_ref(Candidate, "ines")
    assert (
        client.post(f"/mon-cv/{space_token(ines)}/supprimer", data={"confirm": "y"}).status_code
        == 302
    )
    assert count(OutboxMessage) == before + 1  # the erasure's receipt only


def test_the_operator_s_week_page_names_its_own_placements_only(client, auth, world):
    """The week of a person placed by two operators, who also declared work of their
    own: the operator sees the hours and days of all of it, the place and company of its
    own placement only (the other operator's client is none of its business)."""
    from connectences.models import Placement

    _place(world)
    ines = by_ref(Candidate, "ines")
    other = Lead(operator_id=by_ref(Operator, "ge-b").id, status="place")
    db.session.add(other)
    db.session.flush()
    elsewhere = Placement(
        lead_id=other.id,
        candidate_id=ines.id,
        hours_per_week=4,
        contract="cdd",
        start_date=date(2027, 3, 1),
    )
    db.session.add(elsewhere)
    db.session.flush()
    db.session.add_all(
        [
            Commitment(
                candidate=ines,
                label="Cabinet Lune, Groupement B",
                hours_per_week=4,
                days=["thu"],
                source="placement",
                placement_id=elsewhere.id,
            ),
            Commitment(candidate=ines, label="Mairie", hours_per_week=3, days=["mon"]),
        ]
    )
    db.session.commit()
    own = db.session.scalar(
        select(Commitment).where(
            Commitment.candidate_id == ines.id,
            Commitment.placement_id.is_not(None),
            Commitment.placement_id != elsewhere.id,
        )
    )
    auth.login("operator", org_ref="ge-a")
    page = page_text(client.get("/operateur/personnes/ines/semaine"))
    assert own.label and own.label in page
    assert "Cabinet Lune" not in page and "Groupement B" not in page and "Mairie" not in page
    assert "4 h par semaine — autre emploi" in page and "3 h par semaine — autre emploi" in page
    auth.logout()
    auth.login("animateur")
    staff = page_text(client.get("/animateur/cvtheque/ines/semaine"))
    assert "Cabinet Lune, Groupement B" in staff and "Mairie" in staff and own.label in staff


def test_the_week_limit_reads_still_running_work_through_the_one_rule(monkeypatch):
    today = date(2027, 3, 1)
    held = [(30.0, None), (20.0, today), (20.0, today - timedelta(days=1))]
    # Ending today it still runs; ended yesterday it is history.
    assert week.over_week_limit(held, today) == 50.0
    assert week.still_runs(today, today) and not week.still_runs(date(2027, 2, 28), today)
    # The limit has no copy of the rule: what the owner says, it counts.
    monkeypatch.setattr(week, "still_runs", lambda until, on: until is None)
    assert week.over_week_limit(held, today) is None
