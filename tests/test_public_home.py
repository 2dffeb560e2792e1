"""The public home, one door for companies: what the service does, the named animateurs
with their phone (set by an admin on the account, never written in the page), three
actions, the next events."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from connectences.clock import LOCAL_TZ
from connectences.events import catalogue
from connectences.extensions import db
from connectences.models import User
from tests.helpers import html_of, main_of, page_text


def _event(title: str, days_ahead: int):
    day = (datetime.now(LOCAL_TZ) + timedelta(days=days_ahead)).date()
    return catalogue.create_event(
        db.session,
        {
            "kind": "job_dating", "title": title, "audience": "tous", "day": day.isoformat(),
            "start": "14:00", "end": "17:00", "place": "Andernos-les-Bains", "capacity": "40",
        },
        by=None,
    )  # fmt: skip


def test_home_shows_the_three_actions_the_people_and_the_next_events(client, auth):
    shown = auth.create("animateur", full_name="Inès Moreau")
    shown.phone = "0556123456"
    hidden = auth.create("animateur", full_name="Sans Téléphone")
    gone = auth.create("animateur", full_name="Ancien Collègue")
    gone.phone, gone.active = "0556000011", False
    past = _event("Job dating passé", 3)
    # Held three days ago (the form takes only days to come): moved back in time.
    past.starts_at -= timedelta(days=6)
    past.ends_at -= timedelta(days=6)
    for days in (30, 10, 20, 40):
        _event(f"Job dating à J+{days}", days)
    db.session.commit()

    response = client.get("/")
    assert response.status_code == 200
    html, text = html_of(response), page_text(response)
    assert '<a class="button home-action" href="/exprimer-un-besoin">Exprimer un besoin</a>' in html
    assert '<a class="button home-action" href="/etre-rappele">Être rappelé</a>' in html
    assert 'href="/deposer-mon-cv">Déposer mon CV</a>' in html
    assert "Inès Moreau" in text and "05 56 12 34 56" in text and 'href="tel:0556123456"' in html
    # Her function in the words the product uses elsewhere (the call-back thanks page).
    assert "Inès Moreau , de l'équipe d'animation : 05 56 12 34 56" in text
    assert "animateur ou animatrice" not in text
    assert hidden.full_name not in text and gone.full_name not in text
    # The three soonest events, in date order; past ones are gone.
    main = main_of(response)
    order = [main.index(f"Job dating à J+{days}") for days in (10, 20, 30)]
    assert order == sorted(order)
    assert "J+40" not in main and past.title not in main


def test_the_home_leads_an_owner_who_already_sent_a_need_to_their_follow_up_link(client):
    html = html_of(client.get("/"))
    # One link per kind of space: an owner is not sent to the CV space's form.
    assert (
        'href="/entreprise/lien">Vous avez exprimé un besoin : recevoir le lien de suivi</a>'
        in html
    )
    assert (
        'href="/mon-cv/lien">Vous avez déposé votre CV : recevoir le lien vers votre espace</a>'
        in html
    )
    assert "Déjà inscrit" not in html


def test_without_an_animateur_phone_the_home_gives_the_team_phone(app, client):
    text = page_text(client.get("/"))
    assert app.config["CONTACT_TEAM"] in text and app.config["CONTACT_PHONE"] in text


def test_an_admin_sets_the_phone_shown_and_a_wrong_number_is_refused(client, auth):
    animateur = auth.create("animateur", full_name="Inès Moreau")
    auth.login("admin")
    response = client.post(
        f"/admin/utilisateurs/{animateur.id}/telephone",
        data={"phone": "12"},
        follow_redirects=True,
    )
    assert "n'est pas un numéro de téléphone valide" in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, animateur.id).phone is None
    client.post(f"/admin/utilisateurs/{animateur.id}/telephone", data={"phone": "05 56 12 34 56"})
    db.session.expire_all()
    assert db.session.get(User, animateur.id).phone == "0556123456"
    auth.logout()
    assert "05 56 12 34 56" in page_text(client.get("/"))


def test_only_an_admin_sets_an_animateur_phone(client, auth):
    animateur = auth.login("animateur")
    response = client.post(
        f"/admin/utilisateurs/{animateur.id}/telephone", data={"phone": "0556123456"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(User.phone).where(User.id == animateur.id)) is None


def test_only_animateurs_are_shown_to_companies(client, auth):
    operator = auth.create("operator")
    auth.login("admin")
    response = client.post(
        f"/admin/utilisateurs/{operator.id}/telephone",
        data={"phone": "0556123456"},
        follow_redirects=True,
    )
    assert "Seuls les animateurs sont présentés aux entreprises." in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, operator.id).phone is None
