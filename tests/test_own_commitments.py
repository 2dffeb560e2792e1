"""The person keeps the work they already hold from their space (personal link or
account), through the animateurs' rules: matching then proposes only what fits the
hours and days left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences.clock import local_today
from connectences.cvtheque.consent import SELF, space_token
from connectences.cvtheque.status import status_words
from connectences.extensions import db
from connectences.models import Candidate, CandidateEvent, Commitment
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import (
    by_ref,
    count,
    flashes_in,
    html_of,
    on_day,
    page_text,
    page_text_of,
    read_stamp_at,
    stamp_in,
    top_flashes,
)
from tests.test_shared_week import _commitment_form, _matched, _place, _post
from tests.test_shared_week import world as world  # noqa: F401  (the shared week fixture)


def _space(ref: str = "ines") -> str:
    return f"/mon-cv/{space_token(by_ref(Candidate, ref))}"


def _events() -> list[CandidateEvent]:
    return list(
        db.session.scalars(
            select(CandidateEvent)
            .where(CandidateEvent.kind.in_(("commitment", "status")))
            .order_by(CandidateEvent.id)
        )
    )


def _login_as_ines(auth):
    ines = by_ref(Candidate, "ines")
    return auth.login("candidate", org_ref="ines", email=ines.email)


@pytest.mark.parametrize("way", ["link", "account"])
def test_the_person_adds_work_they_hold_and_matching_follows(client, auth, world, way):
    """Inès wants 10 to 24 h on Monday, Tuesday and Thursday; "fits" asks 12 h on Monday
    and Thursday. Once she says she works Mondays and Thursdays elsewhere, it no longer
    fits her."""
    assert "ines" in _matched("fits")
    if way == "account":
        _login_as_ines(auth)
        space = "/candidat/mon-espace"
    else:
        space = _space()
    page = page_text(client.get(space))
    assert "Signalez-le à votre animateur" not in page
    assert "nous ne vous proposons que du travail qui tient dans vos heures et vos jours" in page
    assert f'href="{space}/engagements/nouveau"' in html_of(client.get(space))
    form = client.get(space + "/engagements/nouveau")
    assert form.status_code == 200
    assert "vos heures et vos jours encore libres" in page_text(form)
    response = _post(
        client,
        space + "/engagements/nouveau",
        space + "/engagements/nouveau",
        _commitment_form(jours=["mon", "thu"], fin="2027-06-30"),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{space}#semaine"
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    (held,) = ines.commitments
    assert (held.hours_per_week, held.days, held.label, str(held.until)) == (
        6.0,
        ["mon", "thu"],
        "Ménage, Mairie",
        "2027-06-30",
    )
    assert held.source == "declared" and held.created_by_id is None
    # The status settles as when an animateur adds one, both lines said by the person.
    assert ines.status == "en_mission"
    assert [(e.summary, e.actor_label, e.actor_id) for e in _events()] == [
        (
            "Engagement ajouté : 6 h le lundi et le jeudi (Ménage, Mairie), jusqu'au 30/06/2027.",
            SELF,
            None,
        ),
        ("Statut : Disponible → En mission (semaine modifiée).", SELF, None),
    ]
    # The matching index was refreshed: her free days are Tuesday alone, "fits" is gone.
    assert "ines" not in _matched("fits")
    page = page_text(client.get(space))
    assert "Lundi Pris 6 h par semaine — Ménage, Mairie" in page
    assert "Jeudi Pris 6 h par semaine — Ménage, Mairie" in page
    assert "C'est noté : ce travail est dans votre semaine" in page
    assert "Engagement ajouté : 6 h le lundi et le jeudi (Ménage, Mairie)" in page  # history


def test_open_ended_work_filling_the_week_makes_the_person_place_and_tells_them(client, world):
    space = _space()
    response = _post(
        client,
        space,
        space + "/engagements/nouveau",
        _commitment_form(heures="24", jours=["mon", "tue", "thu"]),
    )
    assert response.status_code == 302
    assert by_ref(Candidate, "ines").status == "place"
    page = page_text(client.get(response.headers["Location"]))
    assert "Vous travaillez déjà 24 h par semaine" not in page  # not over the maximum
    assert "Situation : Placé" in page
    response = _post(
        client, space, space + "/engagements/nouveau", _commitment_form(heures="4", jours=["wed"])
    )
    page = page_text(client.get(response.headers["Location"]))
    assert "Vous travaillez déjà 28 h par semaine, plus que les 24 h au plus" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"heures": "0"}, "entre 1 et 48"),
        ({"heures": "beaucoup"}, "un nombre"),
        ({"heures": "1e400"}, "un nombre"),
        ({"jours": []}, "Cochez au moins un jour."),
        ({"jours": ["mon", "funday"]}, "Choisissez des jours de la liste."),
        (
            {"debut": "01/05/2027", "fin": "30/04/2027"},
            "Le dernier jour ne peut pas précéder la date de début.",
        ),
        ({"fin": "31/02/2027"}, "« 31/02/2027 » n&#39;existe pas"),
        ({"debut": "01/01/1900"}, "La date de début ne peut pas être avant le"),
        ({"heures": "30"}, "la semaine compterait 50 h"),
        ({"libelle": "x" * 5000}, "ne doit pas dépasser 200 caractères"),
        # With the 20 h held on Tuesday: a seventh working day (Code du travail L3132-1).
        ({"jours": ["mon", "wed", "thu", "fri", "sat", "sun"]}, "sept jours de travail"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(client, world, data, message):
    ines = by_ref(Candidate, "ines")
    ines.commitments.append(Commitment(hours_per_week=20, days=["tue"]))
    db.session.commit()
    space = _space()
    response = client.post(space + "/engagements/nouveau", data=_commitment_form(**data))
    assert response.status_code == 422
    html = html_of(response)  # the message carries French no-break spaces
    assert message in html and 'class="errors"' in html
    assert 'name="libelle"' in html  # the form is shown again, what was typed kept
    assert count(Commitment) == 1
    assert _events() == []


def test_the_person_removes_work_they_declared(client, world):
    space = _space()
    _post(client, space, space + "/engagements/nouveau", _commitment_form(jours=["mon", "thu"]))
    (held,) = by_ref(Candidate, "ines").commitments
    assert "ines" not in _matched("fits")
    page = html_of(client.get(space))
    assert f'action="{space}/engagements/{held.id}/retirer"' in page
    response = _post(client, space, f"{space}/engagements/{held.id}/retirer", {})
    assert response.status_code == 302
    db.session.expire_all()
    ines = by_ref(Candidate, "ines")
    assert ines.commitments == [] and ines.status == "disponible"
    removed = _events()[-2:]
    assert [(e.summary, e.actor_label) for e in removed] == [
        ("Engagement retiré : 6 h le lundi et le jeudi (Ménage, Mairie).", SELF),
        ("Statut : En mission → Disponible (semaine modifiée).", SELF),
    ]
    assert "ines" in _matched("fits")
    assert "ce travail n'est plus dans votre semaine" in page_text(client.get(space))


def _staff_makes_it_8_h_monday_and_thursday(app, auth, held: Commitment):
    """An animateur, in another browser, changes the work ``held`` meanwhile; that
    browser."""
    staff = app.test_client()
    auth.login("animateur", client=staff)
    url = f"/animateur/cvtheque/ines/engagements/{held.id}"
    typed = {
        **_commitment_form(jours=["mon", "thu"], heures="8"),
        "lu_le": read_stamp_at(staff, url),
    }
    assert staff.post(url, data=typed).status_code == 302
    return staff


def test_the_person_removes_only_work_unchanged_since_read(app, client, auth, world):
    """The person's page read, then the team changes that work: removing it is refused
    (it says what it is now); the profile saved meanwhile does not stop a removal."""
    space = _space()
    _post(client, space, space + "/engagements/nouveau", _commitment_form(jours=["mon", "thu"]))
    (held,) = by_ref(Candidate, "ines").commitments
    remove = f"{space}/engagements/{held.id}/retirer"
    page = client.get(space)
    sent = {"csrf_token": csrf_token_from(html_of(page)), "lu_le": stamp_in(page, remove)}
    staff = _staff_makes_it_8_h_monday_and_thursday(app, auth, held)
    refused = client.post(remove, data=sent)
    assert refused.status_code == 302
    said = page_text(client.get(refused.headers["Location"]))
    assert "il n'est pas retiré. Il est maintenant : 8 h le lundi et le jeudi" in said
    db.session.expire_all()
    assert [c.hours_per_week for c in by_ref(Candidate, "ines").commitments] == [8.0]
    # Read again; the person's notes saved by the team meanwhile refuse nothing.
    page = client.get(space)
    sent = {"csrf_token": csrf_token_from(html_of(page)), "lu_le": stamp_in(page, remove)}
    show = "/animateur/cvtheque/ines"
    notes = {"notes": "Rappeler", "lu_le": read_stamp_at(staff, show, "/notes")}
    assert staff.post(f"{show}/notes", data=notes).status_code == 302
    assert client.post(remove, data=sent).status_code == 302
    db.session.expire_all()
    assert by_ref(Candidate, "ines").commitments == []


def test_a_placement_recorded_here_is_shown_but_not_removable_by_the_person(client, world):
    _place(world)
    (placed,) = by_ref(Candidate, "ines").commitments
    assert placed.source == "placement"
    space = _space()
    page = page_text(client.get(space))
    assert "8 h par semaine, mardi — Boulangerie du Port" in page
    assert "pour le retirer, demandez à votre animateur" in page
    assert f"/engagements/{placed.id}/retirer" not in html_of(client.get(space))
    before = len(_events())
    response = _post(client, space, f"{space}/engagements/{placed.id}/retirer", {})
    assert response.status_code == 302
    assert "pour le retirer, demandez à votre animateur" in page_text(
        client.get(response.headers["Location"])
    )
    db.session.expire_all()
    assert [c.id for c in by_ref(Candidate, "ines").commitments] == [placed.id]
    assert len(_events()) == before


@pytest.fixture
def other(world):
    f.load(f.document(candidates=[f.candidate(ref="autre", days=["mon", "wed"])]))
    autre = by_ref(Candidate, "autre")
    autre.commitments.append(Commitment(hours_per_week=5, days=["wed"], label="Cantine"))
    db.session.commit()
    return autre.commitments[0].id


def test_another_persons_commitment_cannot_be_removed_through_ones_link(client, world, other):
    space = _space("ines")
    response = _post(client, space, f"{space}/engagements/{other}/retirer", {})
    assert response.status_code == 302 and response.headers["Location"].startswith(space)
    assert db.session.get(Commitment, other) is not None
    assert _events() == []
    page = page_text(client.get(response.headers["Location"]))
    assert "Cantine" not in page and "n'est pas ou plus dans votre semaine" in page


def test_removing_work_already_removed_from_another_tab_leads_back_to_the_week(client, world):
    """A second tab (or a second tap) removes what the first removed: not a dead end
    "Page introuvable", the week as it is and what happened."""
    space = _space()
    _post(client, space, space + "/engagements/nouveau", _commitment_form(jours=["mon", "thu"]))
    (held,) = by_ref(Candidate, "ines").commitments
    url = f"{space}/engagements/{held.id}/retirer"
    assert _post(client, space, url, {}).status_code == 302
    before = len(_events())
    again = _post(client, space, url, {})
    assert again.status_code == 302 and again.headers["Location"] == f"{space}#semaine"
    assert "il a sans doute déjà été retiré" in page_text(client.get(again.headers["Location"]))
    assert len(_events()) == before


def test_a_forged_or_tampered_link_writes_nothing(client, world, other):
    good = space_token(by_ref(Candidate, "ines"))
    for token in ("pas-un-lien", good[:-2] + ("AA" if not good.endswith("AA") else "BB")):
        response = client.post(f"/mon-cv/{token}/engagements/nouveau", data=_commitment_form())
        assert response.status_code in (403, 410)
        response = client.post(f"/mon-cv/{token}/engagements/{other}/retirer")
        assert response.status_code in (403, 410)
        assert client.get(f"/mon-cv/{token}/engagements/nouveau").status_code in (403, 410)
        edit = f"/mon-cv/{token}/engagements/{other}"
        assert client.get(edit).status_code in (403, 410)
        assert client.post(edit, data=_commitment_form(heures="2")).status_code in (403, 410)
    assert count(Commitment) == 1 and _events() == []


def test_a_logged_in_job_seeker_cannot_use_another_persons_link(client, auth, world, other):
    _login_as_ines(auth)
    autre = f"/mon-cv/{space_token(by_ref(Candidate, 'autre'))}"
    response = client.post(autre + "/engagements/nouveau", data=_commitment_form())
    assert response.status_code == 403
    assert client.post(f"{autre}/engagements/{other}/retirer").status_code == 403
    assert client.post(f"{autre}/engagements/{other}", data=_commitment_form()).status_code == 403
    # Under their own session, someone else's commitment is not theirs to remove or change.
    mine = client.post(f"/candidat/mon-espace/engagements/{other}/retirer")
    assert mine.status_code == 302 and mine.headers["Location"] == "/candidat/mon-espace#semaine"
    mine = client.post(f"/candidat/mon-espace/engagements/{other}", data=_commitment_form())
    assert mine.status_code == 302 and mine.headers["Location"] == "/candidat/mon-espace#semaine"
    assert count(Commitment) == 1 and _events() == []


@pytest.mark.parametrize("role", ["animateur", "operator", "company", "partner"])
def test_the_session_pages_are_only_for_a_job_seeker(client, auth, world, other, role):
    anonymous = client.post("/candidat/mon-espace/engagements/nouveau", data=_commitment_form())
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    auth.login(role)
    response = client.post("/candidat/mon-espace/engagements/nouveau", data=_commitment_form())
    assert response.status_code == 403
    assert client.post(f"/candidat/mon-espace/engagements/{other}/retirer").status_code == 403
    edit = f"/candidat/mon-espace/engagements/{other}"
    assert client.post(edit, data=_commitment_form()).status_code == 403
    assert count(Commitment) == 1 and _events() == []


# --- the person changes the work they declared, or says it stops ------------------------


def test_work_ended_before_today_is_said_ended_not_still_in_the_week(client, world):
    """A job that stopped last week, its last day typed: the page said « ce travail est
    modifié dans votre semaine » while the week no longer showed it."""
    space = _space()
    _post(client, space, space + "/engagements/nouveau", _commitment_form(jours=["mon"]))
    (held,) = by_ref(Candidate, "ines").commitments
    edit = f"{space}/engagements/{held.id}"
    last = local_today() - timedelta(days=3)
    response = _post(client, edit, edit, _commitment_form(jours=["mon"], fin=last.isoformat()))
    said = flashes_in(client.get(response.location), "semaine")
    assert f"ce travail s'est arrêté le {last:%d/%m/%Y}" in said, said
    assert "modifié dans votre semaine" not in said
    # Declared already ended, it is not said to be in the week either.
    new = space + "/engagements/nouveau"
    response = _post(client, new, new, _commitment_form(jours=["tue"], fin=last.isoformat()))
    said = flashes_in(client.get(response.location), "semaine")
    assert f"ce travail s'est arrêté le {last:%d/%m/%Y}" in said, said
    assert "ne vous seront plus proposés" not in said


@pytest.mark.parametrize("way", ["link", "account"])
def test_the_person_changes_then_ends_work_they_declared(client, auth, world, way):
    """Inès's Monday and Thursday job grows to 8 h, then stops on 28/02/2027: her page
    only offered to remove it (its trace gone from her week) or to ask her animateur.
    Ended, it stays in her history and "fits" (from 01/03/2027) is hers again."""
    if way == "account":
        _login_as_ines(auth)
        space = "/candidat/mon-espace"
    else:
        space = _space()
    _post(client, space, space + "/engagements/nouveau", _commitment_form(jours=["mon", "thu"]))
    (held,) = by_ref(Candidate, "ines").commitments
    edit = f"{space}/engagements/{held.id}"
    assert f'href="{edit}"' in html_of(client.get(space))
    form = client.get(edit)
    assert form.status_code == 200
    assert "Modifier un travail que j'ai déjà" in page_text(form)
    assert 'value="Ménage, Mairie"' in html_of(form)
    response = _post(client, edit, edit, _commitment_form(heures="8", jours=["mon", "thu"]))
    assert response.status_code == 302 and response.headers["Location"] == f"{space}#semaine"
    assert "ce travail est modifié" in flashes_in(client.get(response.location), "semaine")
    db.session.expire_all()
    (held,) = by_ref(Candidate, "ines").commitments
    assert (held.hours_per_week, held.until) == (8.0, None)
    assert "ines" not in _matched("fits")
    ended = _commitment_form(heures="8", jours=["mon", "thu"], fin="2027-02-28")
    assert _post(client, edit, edit, ended).status_code == 302
    db.session.expire_all()
    (held,) = by_ref(Candidate, "ines").commitments
    assert str(held.until) == "2027-02-28"
    assert "ines" in _matched("fits")
    assert [(e.summary, e.actor_label) for e in _events() if e.kind == "commitment"][1:] == [
        (
            "Engagement modifié : 6 h le lundi et le jeudi (Ménage, Mairie) → "
            "8 h le lundi et le jeudi (Ménage, Mairie).",
            SELF,
        ),
        (
            "Engagement modifié : 8 h le lundi et le jeudi (Ménage, Mairie) → 8 h le lundi "
            "et le jeudi (Ménage, Mairie), jusqu'au 28/02/2027.",
            SELF,
        ),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"heures": "0"}, "entre 1 et 48"),
        ({"jours": []}, "Cochez au moins un jour."),
        ({"debut": "01/05/2027", "fin": "30/04/2027"}, "ne peut pas précéder"),
        ({"heures": "30"}, "la semaine compterait 50 h"),
        ({"libelle": "x" * 5000}, "ne doit pas dépasser 200 caractères"),
    ],
)
def test_a_bad_change_is_refused_next_to_its_field_and_changes_nothing(
    client, world, data, message
):
    ines = by_ref(Candidate, "ines")
    ines.commitments.append(Commitment(hours_per_week=20, days=["tue"]))
    ines.commitments.append(Commitment(hours_per_week=4, days=["mon"], label="Cantine"))
    db.session.commit()
    edit = f"{_space()}/engagements/{ines.commitments[1].id}"
    response = _post(client, edit, edit, _commitment_form(**data))
    assert response.status_code == 422
    html = html_of(response)
    assert message in html and 'class="errors"' in html
    assert 'name="lu_le"' in html  # the change is still the one shown
    db.session.expire_all()
    held = by_ref(Candidate, "ines").commitments
    assert [(c.hours_per_week, c.days, c.label) for c in held] == [
        (20.0, ["tue"], None),
        (4.0, ["mon"], "Cantine"),
    ]
    assert _events() == []


def test_a_change_of_work_the_team_changed_meanwhile_is_refused(app, client, auth, world):
    space = _space()
    _post(client, space, space + "/engagements/nouveau", _commitment_form(jours=["mon", "thu"]))
    (held,) = by_ref(Candidate, "ines").commitments
    edit = f"{space}/engagements/{held.id}"
    page = client.get(edit)
    sent = {
        **_commitment_form(heures="7", jours=["mon", "thu"]),
        "csrf_token": csrf_token_from(html_of(page)),
        "lu_le": stamp_in(page),
    }
    _staff_makes_it_8_h_monday_and_thursday(app, auth, held)
    refused = client.post(edit, data=sent)
    assert refused.status_code == 422
    said = page_text(refused)
    assert "rien n'a été enregistré" in said
    assert "Il est maintenant : 8 h le lundi et le jeudi" in said
    assert 'value="7"' in html_of(refused)  # what was typed is kept
    db.session.expire_all()
    assert [c.hours_per_week for c in by_ref(Candidate, "ines").commitments] == [8.0]


def test_a_placement_recorded_here_cannot_be_changed_by_the_person(client, world):
    _place(world)
    (placed,) = by_ref(Candidate, "ines").commitments
    space = _space()
    edit = f"{space}/engagements/{placed.id}"
    assert f'href="{edit}"' not in html_of(client.get(space))
    before = len(_events())
    for send in (
        lambda: client.get(edit),
        lambda: _post(client, space, edit, _commitment_form(fin="2027-04-30")),
    ):
        response = send()
        assert response.status_code == 302 and response.location == f"{space}#semaine"
        said = flashes_in(client.get(response.location), "semaine")
        assert "pour le modifier, demandez à votre animateur" in said
    db.session.expire_all()
    (kept,) = by_ref(Candidate, "ines").commitments
    assert (kept.id, kept.until, kept.hours_per_week) == (placed.id, placed.until, 8.0)
    assert len(_events()) == before


def test_another_persons_commitment_cannot_be_read_or_changed_through_ones_link(
    client, world, other
):
    edit = f"{_space('ines')}/engagements/{other}"
    page = client.get(edit)
    assert page.status_code == 302
    assert "Cantine" not in html_of(client.get(page.location))
    response = _post(client, _space("ines"), edit, _commitment_form(heures="2"))
    assert response.status_code == 302
    assert db.session.get(Commitment, other).hours_per_week == 5
    assert _events() == []


def test_the_candidate_area_says_where_to_declare_work(client, auth, world):
    _login_as_ines(auth)
    assert "indiquer un travail que vous avez déjà" in page_text(client.get("/candidat"))


def test_work_that_ends_before_the_other_starts_does_not_pile_on_its_day(client, world):
    """8 h on Monday in the first month, 8 h on Monday the two months after: never the
    same Monday, so never 16 h that day. Only periods that meet add up."""
    from datetime import timedelta

    from connectences.clock import local_today

    first_end = local_today() + timedelta(days=30)
    space = _space()
    new = space + "/engagements/nouveau"

    def form(label, start, end):
        return _commitment_form(
            libelle=label, heures="8", jours=["mon"], debut=start.isoformat(), fin=end.isoformat()
        )

    assert (
        _post(client, space, new, form("Marché d'été", local_today(), first_end)).status_code == 302
    )
    after = form("Marché d'hiver", first_end + timedelta(days=1), first_end + timedelta(days=60))
    assert _post(client, space, new, after).status_code == 302
    # Meets both: the summer one on its first days, the winter one on its last.
    meeting = form("Chevauche", first_end - timedelta(days=5), first_end + timedelta(days=5))
    refused = _post(client, space, new, meeting)
    assert refused.status_code == 422
    assert "plus de 12" in page_text(refused)
    db.session.expire_all()
    assert sorted(c.label for c in by_ref(Candidate, "ines").commitments) == [
        "Marché d'hiver",
        "Marché d'été",
    ]


def test_each_action_on_the_week_says_it_is_done_in_the_week(client, world):
    """The week's actions sent the browser to ``#semaine`` while their message was drawn
    at the top of the page, out of view on a phone: it is now inside the week."""
    space = _space()
    actions = [
        (
            space + "/engagements/nouveau",
            _commitment_form(jours=["mon"]),
            "C'est noté : ce travail est dans votre semaine",
        ),
        (space + "/semaine", {"choix": "complet"}, "votre emploi du temps est complet"),
    ]
    for url, data, message in actions:
        response = _post(client, space, url, data)
        assert response.status_code == 302 and response.location == f"{space}#semaine", url
        page = client.get(response.location)
        assert message in flashes_in(page, "semaine"), url
        assert message not in top_flashes(page), url
    (held,) = by_ref(Candidate, "ines").commitments
    gone = f"{space}/engagements/{held.id}/retirer"
    token = csrf_token_from(client.get(space).get_data(as_text=True))
    stale = client.post(gone, data={"csrf_token": token, "lu_le": "2000-01-01T00:00:00+00:00"})
    said = flashes_in(client.get(stale.location), "semaine")
    assert said.startswith("Erreur : Ce travail a été modifié"), said
    response = _post(client, space, gone, {})
    page = client.get(response.location)
    assert "C'est noté : ce travail n'est plus dans votre semaine." in flashes_in(page, "semaine")
    assert "ce travail n'est plus" not in top_flashes(page)


def test_work_declared_to_start_later_reads_as_coming_until_its_first_day(client, auth, world):
    """Declared today, work starting in ten days makes the person "en_mission" at once
    (matching counts it already), but no page tells them or the staff they are « En
    mission » before its first day: « Mission à venir à partir du … » until then."""
    space = _space()
    first = local_today() + timedelta(days=10)
    response = _post(
        client,
        space,
        space + "/engagements/nouveau",
        _commitment_form(debut=first.strftime("%d/%m/%Y"), jours=["mon"]),
    )
    assert response.status_code == 302
    ines = by_ref(Candidate, "ines")
    assert ines.status == "en_mission"  # matching's status, from the day it is declared
    coming = f"Mission à venir à partir du {first:%d/%m/%Y}"
    page = page_text(client.get(space))
    assert f"Situation : {coming} ." in page and "Situation : En mission" not in page
    assert status_words(ines, first - timedelta(days=1)) == coming
    assert status_words(ines, first) == "En mission"
    with on_day(first - timedelta(days=1)):
        assert f"Situation : {coming} ." in page_text(client.get(space))
    with on_day(first):
        assert "Situation : En mission ." in page_text(client.get(space))
    # Her home under her account, and the staff's record and week of her.
    _login_as_ines(auth)
    home = page_text(client.get("/candidat"))
    assert f"Situation {coming}" in home and "Situation En mission" not in home
    auth.logout()
    auth.login("animateur")
    for path in ("/animateur/cvtheque/ines", "/animateur/cvtheque/ines/semaine"):
        said = page_text(client.get(path))
        assert coming in said, path
    assert "Statut : Disponible → En mission" in page_text(client.get("/animateur/cvtheque/ines"))


def test_the_staff_list_says_work_not_started_as_the_record_does(client, auth, world):
    # The CV list said « En mission » where the record says « Mission à venir à partir
    # du … »; the status filter still finds her « en mission » (matching's status).
    space = _space()
    first = local_today() + timedelta(days=10)
    form = _commitment_form(debut=first.strftime("%d/%m/%Y"), jours=["mon"])
    assert _post(client, space, space + "/engagements/nouveau", form).status_code == 302
    coming = f"Mission à venir à partir du {first:%d/%m/%Y}"
    auth.login("animateur")
    for path in ("/animateur/cvtheque", "/animateur/cvtheque?statut=en_mission"):
        html = client.get(path).get_data(as_text=True)
        row = next(r for r in html.split("<tr") if "/animateur/cvtheque/ines" in r)
        assert coming in page_text_of(row) and "En mission" not in page_text_of(row), path
    with on_day(first):
        auth.login("animateur")  # ten days on: a new session
        html = client.get("/animateur/cvtheque").get_data(as_text=True)
        row = next(r for r in html.split("<tr") if "/animateur/cvtheque/ines" in r)
        assert "En mission" in page_text_of(row) and "à venir" not in page_text_of(row)


def test_work_started_and_work_coming_read_as_en_mission(world):
    ines = by_ref(Candidate, "ines")
    today = local_today()
    ines.commitments.append(Commitment(hours_per_week=4, days=["mon"], start=None))
    ines.commitments.append(
        Commitment(hours_per_week=4, days=["tue"], start=today + timedelta(days=5))
    )
    ines.status = "en_mission"
    assert status_words(ines, today) == "En mission"  # no first day known: under way
    ines.commitments[0].start = today + timedelta(days=3)
    assert status_words(ines, today) == (
        f"Mission à venir à partir du {today + timedelta(days=3):%d/%m/%Y}"
    )  # the earliest of the two
    ines.status = "disponible"
    assert status_words(ines, today) == "Disponible"
