"""A placement's follow-up on the lead page, through the client: the point to record
next, an answer "ne tient pas" with its last day and the need searched again or not,
who recorded each point, what a wrong date or a wrong user gets, and nothing changed
when refused."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from connectences import workflows
from connectences.clock import LOCAL_TZ, local_today
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import (
    Candidate,
    Commitment,
    FollowUpPoint,
    Need,
    OutboxMessage,
    Placement,
    Transition,
    User,
)
from connectences.workflows import leads as flow
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import (
    by_ref,
    count,
    element_by_id,
    error_of,
    flashes_in,
    html_of,
    lead_by_refs,
    on_day,
    page_text,
    page_text_of,
    sent_on,
    top_flashes,
)

TODAY = local_today()


@pytest.fixture(autouse=True)
def _on_today():
    """TODAY is read once, at import: the tests run on that day, midnight or not."""
    with on_day(TODAY):
        yield


START = TODAY - timedelta(days=100)  # the 1-month and 3-month points are due


@pytest.fixture
def world(auth):
    """``ok`` placed by ``ge`` in n1 from START (an open-ended contract), the lead sent
    by an animateur; a member of ``ge`` logged in."""
    f.load(f.dispatch_document(candidates=[]))
    animateur = auth.create("animateur", email="anim@exemple.fr", full_name="Anne Imateur")
    workflows.transition(db.session, by_ref(Need, "n1"), workflows.NEED, "qualifie")
    lead = sent_on(lead_by_refs(animateur, "n1", "ge", "ok"), START)
    flow.accept(db.session, lead)
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1")],
        hours_per_week=7,
        contract="cdi",
        start_date=START,
    )
    db.session.commit()
    member = auth.login("operator", org_ref="ge", full_name="Olivia Opératrice")
    points = {p.months: p.id for p in placement.follow_ups}
    return {"lead": lead.id, "placement": placement.id, "points": points, "member": member}


def _url(world, months=None) -> str:
    url = f"/operateur/propositions/{world['lead']}"
    return url if months is None else f"{url}/suivi/{world['points'][months]}"


def _post(client, world, months, data):
    token = csrf_token_from(client.get(_url(world)).get_data(as_text=True))
    return client.post(_url(world, months), data={**data, "csrf_token": token} if token else data)


NOT_HOLDING = {"entreprise": "La personne ne vient plus", "personne": "", "tient": "non"}


def _stored(world) -> dict:
    """Everything an answer may change, read again."""
    db.session.expire_all()
    placement = db.session.get(Placement, world["placement"])
    commitment = db.session.scalars(
        select(Commitment).where(Commitment.placement_id == placement.id)
    ).one()
    return {
        "points": [(p.months, p.done_at, p.holds, p.done_by_id) for p in placement.follow_ups],
        "ended": (placement.ended_on, placement.ended_by),
        "until": commitment.until,
        "status": by_ref(Candidate, "ok").status,
        "need": by_ref(Need, "n1").status,
        "mails": count(OutboxMessage),
        "log": count(Transition),
    }


def test_only_the_next_point_has_a_form_with_its_end_fields(client, world):
    html = html_of(client.get(_url(world)))
    assert html.count('action="/operateur/propositions/') == 1  # the one point's form
    assert f'action="{_url(world, 1)}#erreurs-suivi-' in html
    assert html.count("À remplir après le suivi à 1 mois.") == 2
    # The last day defaults to today, the search is relaunched unless unticked.
    assert f'name="fin" id="fin-{world["points"][1]}" value="{TODAY.isoformat()}"' in html
    assert "Le besoin de l'entreprise demeure : relancer la recherche" in html
    assert f'id="relancer-{world["points"][1]}" checked' in html


def test_a_later_point_sent_first_is_refused_naming_the_earlier_one(client, world):
    before = _stored(world)
    response = _post(client, world, 3, {**NOT_HOLDING, "relancer": "1"})
    assert response.status_code == 422
    assert "Enregistrez d'abord le suivi à 1 mois." in page_text(response)
    assert _stored(world) == before


def test_not_holding_ends_the_placement_and_the_page_says_so(client, world):
    last_day = TODAY - timedelta(days=3)
    response = _post(
        client,
        world,
        1,
        {**NOT_HOLDING, "fin": last_day.strftime("%d/%m/%Y"), "relancer": "1"},
    )
    assert response.status_code == 302
    stored = _stored(world)
    assert stored["ended"] == (last_day, "suivi")
    assert stored["until"] == last_day
    assert (stored["status"], stored["need"]) == ("disponible", "en_recherche")
    assert stored["points"][0][3] == world["member"].id

    page = page_text(client.get(response.location))
    assert "Le placement a pris fin ; l'animateur est prévenu." in page
    assert f"Placement terminé le {last_day:%d/%m/%Y} (dernier jour travaillé)" in page
    assert f"Enregistré le {TODAY:%d/%m/%Y} par Olivia Opératrice" in page
    assert page.count(f"Plus à faire : le placement a pris fin le {last_day:%d/%m/%Y}.") == 2
    assert "Enregistrer le suivi" not in page
    inbox = page_text(client.get("/operateur/propositions"))
    assert "Placements à suivre" not in inbox or "Placements à suivre (0)" in inbox


def test_unticked_the_need_stays_filled(client, world):
    response = _post(client, world, 1, NOT_HOLDING)  # no "relancer": unticked
    assert response.status_code == 302
    stored = _stored(world)
    assert stored["ended"] == (TODAY, "suivi")  # the last day left empty: today
    assert stored["need"] == "pourvu"


@pytest.mark.parametrize(
    "typed, message",
    [
        (lambda: (TODAY + timedelta(days=1)).isoformat(), "ne peut pas être dans le futur"),
        (lambda: (START - timedelta(days=1)).isoformat(), "ne peut pas précéder le début"),
        (lambda: "31/02/2026", "Dernier jour travaillé invalide : "),
        (lambda: "bientôt", "n'est pas une date"),
    ],
)
def test_a_wrong_last_day_comes_back_next_to_its_field(client, world, typed, message):
    before = _stored(world)
    form = {**NOT_HOLDING, "fin": typed()}
    response = _post(client, world, 1, form)
    assert response.status_code == 422
    assert message in error_of(response, f"fin-{world['points'][1]}")
    html = html_of(response)
    assert f'value="{form["fin"]}"' in html  # what was typed stays
    assert f'id="relancer-{world["points"][1]}" checked' not in html  # and what was unticked
    assert _stored(world) == before


def test_a_point_says_who_recorded_it_and_when_even_once_deleted(client, world):
    _post(client, world, 1, {"entreprise": "Bien", "tient": "oui"})
    page = page_text(client.get(_url(world)))
    assert f"Enregistré le {TODAY:%d/%m/%Y} par Olivia Opératrice" in page
    # An account deleted by hand in the database: the point keeps its answer.
    other = User(email="ancien@ge.fr", role="operator")
    db.session.add(other)
    db.session.flush()
    point = db.session.get(FollowUpPoint, world["points"][1])
    point.done_by_id = other.id
    db.session.commit()
    db.session.delete(other)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(FollowUpPoint, world["points"][1]).done_by_id is None
    page = page_text(client.get(_url(world)))
    assert f"Enregistré le {TODAY:%d/%m/%Y} (auteur inconnu)" in page


def test_the_same_answer_sent_twice_ends_the_placement_once(client, world):
    assert _post(client, world, 1, {**NOT_HOLDING, "relancer": "1"}).status_code == 302
    after = _stored(world)
    again = _post(client, world, 1, {**NOT_HOLDING, "relancer": "1"})
    assert again.status_code == 422
    assert "Le suivi à 1 mois a été enregistré entre-temps par vous (dans un autre onglet" in (
        page_text(again)
    )
    assert _stored(world) == after
    told = db.session.scalars(select(OutboxMessage.subject)).all()
    assert len([subject for subject in told if "ne tient pas" in subject]) == 1


def test_a_point_recorded_meanwhile_says_so_and_keeps_what_was_typed(app, client, auth, world):
    """Two members at the same point: the second answer was refused with « Corrigez ce
    point : Le suivi à 1 mois est déjà enregistré : il ne se modifie pas. », nothing to
    correct, and what they typed was gone (the point drawn read-only). The refusal says,
    in the point, who recorded it and when; what was recorded shows, and the answer
    refused is kept to be copied."""
    sid = f"suivi-{world['points'][1]}"
    token = csrf_token_from(client.get(_url(world)).get_data(as_text=True))  # page read
    colleague = app.test_client()
    auth.login("operator", client=colleague, org_ref="ge", full_name="Paul Collègue")
    recorded = _post(colleague, world, 1, {"entreprise": "Tout va bien", "tient": "oui"})
    assert recorded.status_code == 302
    done_at = db.session.get(FollowUpPoint, world["points"][1]).done_at
    before = _stored(world)
    typed = {
        "entreprise": "La gérante voudrait 2 h de plus le jeudi",
        "personne": "Trajet trop long l'hiver",
        "tient": "non",
        "fin": (TODAY - timedelta(days=2)).isoformat(),
        "relancer": "1",
    }
    response = client.post(_url(world, 1), data={**typed, "csrf_token": token})
    assert response.status_code == 422
    assert _stored(world) == before  # nothing of it written
    point = page_text_of(element_by_id(html_of(response), sid))
    at = done_at.astimezone(LOCAL_TZ)
    assert (
        "Rien n'a été enregistré : Le suivi à 1 mois a été enregistré entre-temps par Paul "
        f"Collègue, le {at:%d/%m/%Y à %H:%M} : votre réponse ne l'a pas remplacé"
    ) in point, point
    assert "Corrigez" not in point and "il ne se modifie pas" not in point
    assert "Le recrutement tient. Entreprise : Tout va bien" in point  # what was recorded
    kept = element_by_id(html_of(response), f"saisie-{sid}")
    assert "Votre réponse, non enregistrée" in kept
    assert typed["entreprise"] in kept and typed["personne"] in html.unescape(kept)
    assert f"dernier jour travaillé le {TODAY - timedelta(days=2):%d/%m/%Y}" in page_text_of(kept)
    assert f'action="{_url(world, 1)}' not in html_of(response)  # no form to send again


@pytest.mark.parametrize(
    "role, status",
    [
        ("operator", 404),  # a member of another operator
        ("partner", 403),
        ("candidate", 403),
        ("company", 403),
        ("animateur", 403),
        ("admin", 403),
        ("territoire", 403),
    ],
)
def test_nobody_but_the_operator_s_members_records_a_follow_up(app, auth, world, role, status):
    before = _stored(world)
    stranger = app.test_client()
    auth.login(role, client=stranger)
    response = stranger.post(_url(world, 1), data={**NOT_HOLDING, "relancer": "1"})
    assert response.status_code == status
    assert _stored(world) == before


def test_a_fixed_term_placement_s_last_day_is_offered_up_to_its_term(client, world):
    # The contract ran to a term already past: the field stops there and says why.
    term = TODAY - timedelta(days=10)
    db.session.execute(
        update(Commitment).where(Commitment.placement_id == world["placement"]).values(until=term)
    )
    db.session.commit()
    html = html_of(client.get(_url(world)))
    point = world["points"][1]
    assert f'value="{term.isoformat()}" min="{START.isoformat()}" max="{term.isoformat()}"' in html
    assert f"et le {term.strftime('%d/%m/%Y')}, terme prévu du contrat" in page_text(
        client.get(_url(world))
    )
    refused = _post(client, world, 1, {**NOT_HOLDING, "fin": TODAY.isoformat()})
    assert "terme prévu" in error_of(refused, f"fin-{point}")


@pytest.mark.parametrize("answer", [None, "peut-être"])
def test_an_unanswered_holds_asks_only_that_not_an_end_date(client, world, answer):
    # Past its term, a fixed-term placement refuses today as its last day: a form sent
    # without saying whether it holds must ask that, not complain of an end date the
    # person never gave (the "non" that the date belongs to was not chosen).
    term = TODAY - timedelta(days=10)
    db.session.execute(
        update(Commitment).where(Commitment.placement_id == world["placement"]).values(until=term)
    )
    db.session.commit()
    before = _stored(world)
    form = {"entreprise": "Bien", "fin": TODAY.isoformat()}
    if answer is not None:
        form["tient"] = answer
    response = _post(client, world, 1, form)
    assert response.status_code == 422
    point = world["points"][1]
    assert "Dites si le recrutement tient." in error_of(response, f"tient-{point}")
    assert f'id="fin-{point}-erreurs"' not in html_of(response)
    assert "terme prévu : le dernier jour travaillé" not in page_text(response)
    assert _stored(world) == before


def test_a_point_recorded_says_it_in_the_point(client, world):
    """The point recorded sent the browser to the top of the lead page where its message
    was drawn: a phone lost the placement it was at. It lands on the point, the message
    inside it."""
    response = _post(client, world, 1, {"entreprise": "Tout va bien", "tient": "oui"})
    point = f"suivi-{world['points'][1]}"
    assert response.status_code == 302 and response.location == f"{_url(world)}#{point}"
    page = client.get(response.location)
    assert flashes_in(page, point) == "Fait : Suivi à 1 mois enregistré."
    assert "Suivi à 1 mois" not in top_flashes(page)
    assert flashes_in(page, f"suivi-{world['points'][3]}") == ""


def test_a_point_recorded_meanwhile_shows_names_and_answers_as_text(app, client, auth, world):
    """The refusal names who recorded the point, and the point shows what they recorded
    then the answer refused, read-only in text areas: a name or an answer holding markup
    (or closing the text area) is shown as typed, never read as markup."""
    hostile = '</textarea><img src=x onerror=alert(1)>"><b>gras</b> {{7*7}}'
    sid = f"suivi-{world['points'][1]}"
    token = csrf_token_from(client.get(_url(world)).get_data(as_text=True))  # page read
    colleague = app.test_client()
    auth.login("operator", client=colleague, org_ref="ge", full_name=f"Paul {hostile}")
    recorded = _post(colleague, world, 1, {"entreprise": f"Bien {hostile}", "tient": "oui"})
    assert recorded.status_code == 302
    typed = {"entreprise": f"Entreprise {hostile}", "personne": f"Personne {hostile}"}
    response = client.post(_url(world, 1), data={**typed, "tient": "oui", "csrf_token": token})
    assert response.status_code == 422
    point = element_by_id(html_of(response), sid)
    text = html.unescape(page_text_of(point))
    assert f"enregistré entre-temps par Paul {hostile}, le" in text
    assert f"Entreprise : Bien {hostile}" in text
    kept = element_by_id(point, f"saisie-{sid}")
    assert typed["entreprise"] in html.unescape(kept) and typed["personne"] in html.unescape(kept)
    assert "<img" not in point and "<b>" not in point and "</textarea><" not in point


# --- not before its time -------------------------------------------------------------------


def _record_due_points(client, world):
    for months in (1, 3):
        assert (
            _post(client, world, months, {"entreprise": "Bien", "tient": "oui"}).status_code == 302
        )


def test_a_point_before_its_window_offers_only_the_end_of_the_placement(client, world):
    _record_due_points(client, world)
    six = db.session.get(FollowUpPoint, world["points"][6])
    opens = flow.point_opens_on(six)
    assert opens > TODAY  # START + 6 months, 80 days or so ahead
    html = html_of(client.get(_url(world)))
    section = element_by_id(html, f"suivi-{six.id}")
    text = page_text_of(section)
    assert f"À remplir à partir du {opens:%d/%m/%Y}." in text
    assert "La personne a quitté son poste : enregistrer la fin du placement" in text
    # No "does it hold?" question: this form only ends the placement.
    assert f'id="tient-oui-{six.id}"' not in html
    assert 'name="tient" value="non"' in html
    assert "Enregistrer la fin du placement" in text and "Enregistrer le suivi" not in text


def test_a_holding_answer_sent_early_is_refused_in_french_and_changes_nothing(client, world):
    _record_due_points(client, world)
    before = _stored(world)
    six = db.session.get(FollowUpPoint, world["points"][6])
    response = _post(client, world, 6, {"entreprise": "Tout va bien", "tient": "oui"})
    assert response.status_code == 422
    assert f"Le suivi à 6 mois se remplit à partir du {flow.point_opens_on(six):%d/%m/%Y}" in (
        page_text(response)
    )
    assert "Tout va bien" in html_of(response)  # what was typed stays
    assert _stored(world) == before


def test_the_person_who_left_early_ends_the_placement_from_the_page(client, world):
    _record_due_points(client, world)
    last_day = TODAY - timedelta(days=2)
    response = _post(
        client, world, 6, {**NOT_HOLDING, "fin": last_day.isoformat(), "relancer": "1"}
    )
    assert response.status_code == 302
    stored = _stored(world)
    assert stored["ended"] == (last_day, "suivi")
    assert (stored["status"], stored["need"]) == ("disponible", "en_recherche")
    months, done_at, holds, _ = stored["points"][2]
    assert (months, done_at is not None, holds) == (6, True, False)


def test_the_page_offers_the_form_whenever_the_reminder_is_sent(client, world):
    """The reminder job and the page agree: before the point's window no reminder and no
    form; from the window the form; on the due date the reminder, the form still there.
    The point's due date is moved around today (a session does not last months)."""
    _record_due_points(client, world)
    point_id = world["points"][6]

    def due_in(days):
        db.session.execute(
            update(FollowUpPoint)
            .where(FollowUpPoint.id == point_id)
            .values(due_on=TODAY + timedelta(days=days))
        )
        db.session.commit()
        reminded = execute(JOBS_BY_ID["follow_ups"], now=datetime.now(UTC))["points"]
        section = element_by_id(html_of(client.get(_url(world))), f"suivi-{point_id}")
        text = page_text_of(section)
        return reminded, "Enregistrer le suivi" in text, "À remplir à partir du" in text

    days = flow.FOLLOW_UP_OPENS_DAYS_BEFORE
    assert due_in(days + 1) == (0, False, True)
    assert due_in(days) == (0, True, False)
    assert due_in(1) == (0, True, False)
    assert due_in(0) == (1, True, False)


def test_a_point_sent_after_the_placement_ended_says_nothing_was_saved_not_correct_it(
    client, world
):
    """A stale tab: the placement ended meanwhile. Nothing typed is wrong, so the summary
    does not ask to correct anything."""
    placement = db.session.get(Placement, world["placement"])
    placement.ended_on, placement.ended_by = TODAY, "suivi"
    db.session.commit()
    before = _stored(world)
    response = _post(client, world, 1, {"entreprise": "Tout va bien", "tient": "oui"})
    text = page_text(response)
    assert response.status_code in (409, 422)
    assert f"Rien n'a été enregistré : Le placement a pris fin le {TODAY:%d/%m/%Y}" in text
    assert "Corrigez" not in text
    assert _stored(world) == before
