"""The operator's lead inbox through the web: who sees what, actions, placement, refusals."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from connectences import workflows
from connectences.clock import LOCAL_TZ, local_today
from connectences.extensions import db
from connectences.models import (
    Candidate,
    FollowUpPoint,
    Lead,
    Need,
    Operator,
    Placement,
    Transition,
    User,
)
from connectences.workflows import LEAD
from connectences.workflows import leads as flow
from connectences.workflows.leads import add_months
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import (
    audit_entries,
    by_ref,
    cards_of,
    error_of,
    flashes_in,
    html_of,
    lead_by_refs,
    page_text,
    recorded_statements,
    refused_and_logged,
    sent_on,
    top_flashes,
)


@pytest.fixture
def world(auth):
    """Two operators with one lead each; the animateur who sent them."""
    f.load(
        f.document(
            operators=[f.operator(ref="ge-a"), f.operator(ref="ge-b")],
            companies=[f.company(ref="c1", name="Boulangerie Dupin"), f.company(ref="c2")],
            candidates=[
                f.candidate(
                    ref="ok",
                    first_name="Inès",
                    last_name="Marchal",
                    email="ines@exemple.fr",
                    days=["tue", "thu"],
                ),
                f.candidate(ref="autre", first_name="Paul", last_name="Bernin", days=["tue"]),
            ],
            needs=[
                f.need(ref="n1", company="c1", title="Comptable", days=["tue"], hours_per_week=7),
                f.need(ref="n2", company="c2", title="Secrétaire", days=["tue"], hours_per_week=7),
            ],
        )
    )
    animateur = auth.create("animateur")
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    lead_a = lead_by_refs(animateur, "n1", "ge-a", "ok", note="Personne très motivée")
    lead_b = lead_by_refs(animateur, "n2", "ge-b", "autre")
    db.session.commit()
    return {"a": lead_a.id, "b": lead_b.id}


def _post(client, url, data):
    page = client.get(url.rsplit("/", 1)[0] if url.endswith(("/action", "/placement")) else url)
    token = csrf_token_from(page.get_data(as_text=True))
    if token:
        data = {**data, "csrf_token": token}
    return client.post(url, data=data)


@pytest.mark.parametrize(
    "who, sees, hidden",
    [
        ("ge-a", "Comptable", "Secrétaire"),
        ("ge-b", "Secrétaire", "Comptable"),
    ],
)
def test_each_operator_inbox_shows_only_its_own(client, auth, world, who, sees, hidden):
    auth.login("operator", org_ref=who)
    page = client.get("/operateur/propositions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert sees in html and hidden not in html
    assert "Nouvelles propositions (1)" in html


def test_inbox_shows_each_lead_as_a_card_in_plain_words(client, auth, world):
    auth.login("operator", org_ref="ge-a")
    response = client.get("/operateur/propositions")
    received = db.session.get(Lead, world["a"]).created_at
    [card] = cards_of(response)
    assert card.startswith("Comptable Nouvelle · reçue le ")
    assert received.astimezone(LOCAL_TZ).strftime("%d/%m/%Y") in card
    assert card.endswith("Boulangerie Dupin 7 h par semaine · Arcachon (33120)")
    assert "état" not in card and "envoy" not in card.lower()  # no workflow word
    assert f'<h3><a href="/operateur/propositions/{world["a"]}">Comptable</a></h3>' in html_of(
        response
    )


def test_the_home_page_names_a_new_lead_as_the_inbox_does(client, auth, world):
    auth.login("operator", org_ref="ge-a")
    page = page_text(client.get("/operateur"))
    # « Envoyé » is the animateur's word: the one who received it reads « Nouvelle ».
    assert "envoy" not in page.lower()
    assert "Comptable Nouvelle · reçue le " in page
    assert "Nouvelle 1" in page  # the table by state


def test_the_operator_reads_every_state_of_a_lead_as_a_proposition(client, auth, world):
    """« Nouvelle · reçue le » above « Accepté · reçue le », « Proposition … état : Vu »:
    a lead is a « proposition » to the operator, and its states agree with it."""
    auth.login("operator", org_ref="ge-a")
    show = f"/operateur/propositions/{world['a']}"
    assert "état : Vue" in page_text(client.get(show))
    assert _post(client, f"{show}/action", {"action": "accepter"}).status_code == 302
    assert "état : Acceptée" in page_text(client.get(show))
    [card] = cards_of(client.get("/operateur/propositions"))
    assert card.startswith("Comptable Acceptée · reçue le ")
    home = page_text(client.get("/operateur"))
    assert "Comptable Acceptée · reçue le " in home
    assert "Acceptée 1" in home and "Vue 0" in home and "Refusée 0" in home


@pytest.mark.parametrize("role", ["animateur", "partner", "company", "candidate", "admin"])
def test_other_roles_are_refused_and_logged(client, auth, world, role):
    user = auth.login(role)
    urls = ["/operateur/propositions", f"/operateur/propositions/{world['a']}"]
    refused_and_logged(client, user, urls, "lead_access_refused")
    assert db.session.get(Lead, world["a"]).status == "envoye"


def test_a_refusal_reads_the_account_once_after_writing_its_entry(client, auth, world):
    """The refusal's entry is committed without expiring what the request had loaded:
    its page reads the account once more (after the rollback), not once per commit."""
    auth.login("animateur")
    with recorded_statements(lambda sql: 'FROM "user"' in sql or "FROM user" in sql) as read:
        assert client.get("/operateur/propositions").status_code == 403
    assert len(read) == 1, read
    assert len(audit_entries("lead_access_refused")) == 1


def test_opening_marks_seen_and_hides_contacts_until_accepted(client, auth, world):
    user = auth.login("operator", org_ref="ge-a")
    html = html_of(client.get(f"/operateur/propositions/{world['a']}"))
    lead = db.session.get(Lead, world["a"])
    assert lead.status == "vu"
    log = workflows.history(db.session, LEAD, lead.id)
    assert (log[-1].to_state, log[-1].actor_id) == ("vu", user.id)
    for text in ("Comptable", "Boulangerie Dupin", "7 h par semaine", "mardi", "Inès Marchal"):
        assert text in html
    assert "Personne très motivée" in html and "Détail du score" in html
    assert "Paul" not in html  # a candidate of another lead
    assert "ines@exemple.fr" not in html
    # Opening again does not log a second "vu".
    client.get(f"/operateur/propositions/{world['a']}")
    assert len(workflows.history(db.session, LEAD, lead.id)) == len(log)

    response = _post(client, f"/operateur/propositions/{world['a']}/action", {"action": "accepter"})
    assert response.status_code == 302  # post / redirect / get
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Proposition acceptée" in page and "ines@exemple.fr" in page
    assert db.session.get(Lead, world["a"]).status == "accepte"


def test_lead_of_another_operator_is_404_and_logged(client, auth, world):
    user = auth.login("operator", org_ref="ge-a")
    assert client.get(f"/operateur/propositions/{world['b']}").status_code == 404
    # CSRF is off in tests (its own test below): post as a forged form would.
    response = client.post(
        f"/operateur/propositions/{world['b']}/action",
        data={"action": "refuser", "motif": "doublon"},
    )
    assert response.status_code == 404
    entries = audit_entries("lead_access_refused")
    assert [(e.actor_id, e.entity, e.entity_id) for e in entries] == [
        (user.id, "lead", world["b"]),
        (user.id, "lead", world["b"]),
    ]
    assert db.session.get(Lead, world["b"]).status == "envoye"


def test_action_not_allowed_in_state_flashes_and_changes_nothing(client, auth, world):
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    response = _post(client, url + "/action", {"action": "contacter"})  # still "vu"
    assert response.status_code == 302
    # Said in the operator's words, with what to do instead, never the machine's states.
    said = page_text(client.get(url))
    assert "Impossible de passer" not in said
    assert (
        "Cette proposition n'est pas encore acceptée : choisissez d'abord « Accepter la "
        "proposition »" in said
    )
    assert "Rien n'a été modifié." in said
    assert db.session.get(Lead, world["a"]).status == "vu"
    assert [t.to_state for t in workflows.history(db.session, LEAD, world["a"])] == [
        "envoye",
        "vu",
    ]


def test_an_acceptance_sent_twice_says_so_in_agreeing_french(client, auth, world):
    """A double click read « la proposition est déjà « Accepté » »: the state's label
    (masculine, as in « état : Accepté ») after a feminine noun."""
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    _post(client, url + "/action", {"action": "accepter"})
    page = page_text(client.get(url))
    # One label, the page's: « Information : », never « Erreur : Déjà fait : ».
    said = "Information : La proposition est déjà à l'état « Acceptée » : rien n'a été modifié."
    assert said in page
    assert "Erreur" not in page and "Déjà fait" not in page
    assert [t.to_state for t in workflows.history(db.session, LEAD, world["a"])] == [
        "envoye",
        "vu",
        "accepte",
    ]


def test_refusal_with_autre_needs_text(client, auth, world):
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    response = _post(
        client, url + "/action", {"action": "refuser", "motif": "autre", "precision": ""}
    )
    # Sent back with the motif still chosen and the error under the text to fill in.
    assert response.status_code == 422
    assert "Précisez le motif" in error_of(response, "precision-refus")
    assert '<option value="autre" selected>' in html_of(response)
    assert db.session.get(Lead, world["a"]).status == "vu"
    _post(
        client,
        url + "/action",
        {"action": "refuser", "motif": "autre", "precision": "Hors de nos métiers"},
    )
    lead = db.session.get(Lead, world["a"])
    assert (lead.status, lead.refusal_reason, lead.refusal_text) == (
        "refuse",
        "autre",
        "Hors de nos métiers",
    )
    assert by_ref(Need, "n1").status == "en_recherche"


def test_handing_back_without_a_reason_comes_back_next_to_the_field(client, auth, world):
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    response = _post(client, url + "/action", {"action": "rendre", "precision": "  "})
    assert response.status_code == 422
    assert "Expliquez pourquoi" in error_of(response, "precision-rendu")
    assert '<details class="risky-action" open>' in html_of(response)
    assert db.session.get(Lead, world["a"]).status == "vu"


@pytest.mark.parametrize(
    ("start", "said"),
    [
        ("9999-12-31", "« 31/12/9999 » est hors des dates possibles (1900 à 2999)."),
        ("0001-01-01", "« 01/01/0001 » est hors des dates possibles (1900 à 2999)."),
        ("hier", "« hier » n'est pas une date (format attendu jj/mm/aaaa)."),
        ("29/02/2026", "« 29/02/2026 » n'existe pas dans le calendrier."),
        ("30/02/2026", "« 30/02/2026 » n'existe pas dans le calendrier."),
        ("", "Indiquez la date de début (jj/mm/aaaa)."),
    ],
)
def test_a_placement_starting_at_no_real_day_comes_back_next_to_the_field(
    client, auth, world, start, said
):
    # 9999-12-31: its follow-up points a month on did not exist (a 500).
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    form = {
        "besoins": str(by_ref(Need, "n1").id),
        "candidat": str(by_ref(Candidate, "ok").id),
        "heures": "7",
        "contrat": "cdd",
        "debut": start,
    }
    response = _post(client, url + "/placement", form)
    assert response.status_code == 422
    # What is wrong, in the words of the end date's field: not just "Indiquez la date".
    prefix = "" if not start else "Date de début invalide : "
    assert error_of(response, "debut").endswith(f"{prefix}{said}")
    assert db.session.get(Lead, world["a"]).status == "accepte"


@pytest.mark.parametrize(
    "sent, said",
    [
        ("", "Choisissez la personne placée."),
        ("999999", "Cette personne ne fait pas partie des candidats proposés."),
    ],
)
def test_a_placement_without_its_person_asks_to_choose_one(client, auth, world, sent, said):
    """Nobody chosen read « Cette personne ne fait pas partie des candidats proposés »:
    no person was named, the operator only forgot to tick one."""
    url, form = _accepted_form(client, auth, world)
    response = _post(client, url + "/placement", {**form, "candidat": sent})
    assert response.status_code == 422
    assert error_of(response, "candidat").endswith(said)
    assert db.session.get(Lead, world["a"]).status == "accepte"


def test_placement_through_the_form(client, auth, world):
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    need = by_ref(Need, "n1")
    person = by_ref(Candidate, "ok")
    other = by_ref(Candidate, "autre")
    # Starting today: its follow-up is recorded once the person is in post.
    start = local_today()
    # A CDD of unknown length: no trial period can be proposed, the operator says none.
    form = {"besoins": str(need.id), "heures": "7", "contrat": "cdd", "debut": start.isoformat(),
            "essai": "aucune"}  # fmt: skip

    # A candidate not named in the lead is refused, nothing changes.
    response = _post(client, url + "/placement", {**form, "candidat": str(other.id)})
    assert response.status_code == 422
    assert "ne fait pas partie des candidats" in error_of(response, "candidat")
    assert f'value="{start.isoformat()}"' in html_of(response)  # what was typed stays
    assert db.session.get(Lead, world["a"]).status == "accepte"
    assert other.status == "disponible"

    response = _post(client, url + "/placement", {**form, "candidat": str(person.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Lead, world["a"]).status == "place"
    assert by_ref(Candidate, "ok").status == "en_mission"
    assert by_ref(Need, "n1").status == "pourvu"
    points = db.session.scalars(select(FollowUpPoint).order_by(FollowUpPoint.months)).all()
    assert [(p.months, p.due_on) for p in points] == [
        (months, add_months(start, months)) for months in (1, 3, 6)
    ]
    assert db.session.scalars(
        select(Transition).where(Transition.entity == "candidate")
    ).one().to_state == ("en_mission")

    # The follow-up form records the first point; the inbox lists the placement to follow.
    inbox = client.get("/operateur/propositions").get_data(as_text=True)
    assert "Placements à suivre (1)" in inbox and "Prochain suivi à 1 mois" in inbox
    # A month later, the 1-month point due (its date brought to today: a point is not
    # recorded before its window, and a session does not last a month).
    db.session.execute(
        update(FollowUpPoint).where(FollowUpPoint.id == points[0].id).values(due_on=start)
    )
    db.session.commit()
    # Sent without saying whether it holds: back with the feedback kept, nothing recorded.
    response = _post(
        client, f"{url}/suivi/{points[0].id}", {"entreprise": "Bonne intégration", "personne": ""}
    )
    assert response.status_code == 422
    assert "Dites si le recrutement tient" in error_of(response, f"tient-{points[0].id}")
    assert ">Bonne intégration</textarea>" in html_of(response)
    db.session.expire_all()
    assert db.session.get(FollowUpPoint, points[0].id).done_at is None
    response = _post(
        client,
        f"{url}/suivi/{points[0].id}",
        {"entreprise": "Bonne intégration", "personne": "", "tient": "oui"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    point = db.session.get(FollowUpPoint, points[0].id)
    assert point.done_at is not None and point.holds is True
    assert "Prochain suivi à 3 mois" in client.get("/operateur/propositions").get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, auth, world, app, monkeypatch):
    auth.login("operator", org_ref="ge-a")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(
        f"/operateur/propositions/{world['a']}/action", data={"action": "accepter"}
    )
    assert response.status_code == 400
    assert db.session.get(Lead, world["a"]).status == "envoye"


def test_cv_only_once_accepted(client, auth, world, app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    (tmp_path / "cv").mkdir()
    (tmp_path / "cv" / "cv-ines.pdf").write_bytes(b"%PDF-1.4 CV")
    person = by_ref(Candidate, "ok")
    person.cv_filename = "cv-ines.pdf"
    db.session.commit()
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    cv_url = f"{url}/cv/{person.id}"
    assert "Télécharger le CV" not in client.get(url).get_data(as_text=True)
    assert client.get(cv_url).status_code == 404
    assert len(audit_entries("lead_access_refused")) == 1

    _post(client, url + "/action", {"action": "accepter"})
    assert "Télécharger le CV" in client.get(url).get_data(as_text=True)
    response = client.get(cv_url)
    assert response.status_code == 200 and response.data == b"%PDF-1.4 CV"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    # A candidate of another lead stays out of reach, even after acceptance.
    other = by_ref(Candidate, "autre")
    assert client.get(f"{url}/cv/{other.id}").status_code == 404
    assert len(audit_entries("lead_access_refused")) == 2


def test_a_follow_up_waits_for_the_person_s_first_day_and_is_answered_once(client, auth, world):
    # Found by an audit: the 6-month point was recorded before the placement started,
    # and answering a recorded point again replaced its answer without a trace.
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    start = local_today() + timedelta(days=14)
    form = {"besoins": str(by_ref(Need, "n1").id), "heures": "7", "contrat": "cdd",
            "debut": start.isoformat(), "candidat": str(by_ref(Candidate, "ok").id),
            "essai": "aucune"}  # fmt: skip
    assert _post(client, url + "/placement", form).status_code == 302
    page = page_text(client.get(url))
    assert f"À remplir une fois la personne en poste, à partir du {start:%d/%m/%Y}" in page
    point = db.session.scalars(select(FollowUpPoint).order_by(FollowUpPoint.months)).first()
    answer = {"entreprise": "Bien", "personne": "", "tient": "oui"}
    early = _post(client, f"{url}/suivi/{point.id}", answer)
    assert early.status_code in (302, 422)
    db.session.expire_all()
    assert db.session.get(FollowUpPoint, point.id).done_at is None


def test_a_placement_sent_again_once_placed_says_why_at_the_top(client, auth, world):
    # Found by an audit: a 422 page with no message (the placement form, where the error
    # went, is no longer shown once the lead is placed).
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    form = {"besoins": str(by_ref(Need, "n1").id), "heures": "7", "contrat": "cdd",
            "debut": local_today().isoformat(), "candidat": str(by_ref(Candidate, "ok").id),
            "essai": "aucune"}  # fmt: skip
    assert _post(client, url + "/placement", form).status_code == 302
    again = _post(client, url + "/placement", form)
    assert again.status_code == 302
    assert "Cette proposition est placée : le placement est enregistré" in page_text(
        client.get(url)
    )
    assert len(db.session.scalars(select(FollowUpPoint)).all()) == 3


@pytest.mark.parametrize(
    "typed",
    [
        {"heures": "abc"},
        {"candidat": ""},
        {"debut": "hier", "besoins": []},
    ],
)
def test_a_placement_typed_wrong_once_placed_says_the_lead_is_placed(client, auth, world, typed):
    """A form with wrong fields sent once the lead is placed came back at 422 with field
    errors while the placement form is no longer on the page: the lead's sentence is said
    in its decision section, where the browser lands, nothing changed, whatever was
    typed."""
    url, form = _accepted_form(client, auth, world)
    assert _post(client, url + "/placement", form).status_code == 302
    before = len(workflows.history(db.session, LEAD, world["a"]))
    again = _post(client, url + "/placement", {**form, **typed})
    assert again.status_code == 302 and again.location.endswith(f"{url}#decision")
    page = client.get(url)
    said = flashes_in(page, "decision")
    assert top_flashes(page) == ""
    assert said == f"Erreur : {LEAD.why_impossible('place', 'place')}"
    assert said.startswith("Erreur : Cette proposition est placée")
    assert len(db.session.scalars(select(Placement)).all()) == 1
    assert len(workflows.history(db.session, LEAD, world["a"])) == before


@pytest.mark.parametrize("state", ["refuse", "place", "rendu", "sans_suite"])
def test_handing_back_a_settled_lead_without_a_reason_says_the_lead_s_state(
    client, auth, world, state
):
    """« Rendre » sent with an empty reason on a lead refused or placed meanwhile asked for
    the reason (a field no longer on the page) instead of saying the lead is settled."""
    lead = db.session.get(Lead, world["a"])
    lead.status = state  # set up directly: the refusal of the move is under test
    db.session.commit()
    before = len(workflows.history(db.session, LEAD, world["a"]))
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    response = _post(client, url + "/action", {"action": "rendre", "precision": " "})
    assert response.status_code == 302 and response.location.endswith(f"{url}#decision")
    page = client.get(url)
    said = flashes_in(page, "decision")
    assert top_flashes(page) == ""
    assert "Expliquez pourquoi" not in said
    if state == "rendu":
        assert said == (
            "Information : La proposition est déjà à l'état « Rendue à l'animateur » : rien "
            "n'a été modifié."
        )
    else:
        assert said == f"Erreur : {LEAD.why_impossible(state, 'rendu')}"
    db.session.expire_all()
    assert db.session.get(Lead, world["a"]).status == state
    assert len(workflows.history(db.session, LEAD, world["a"])) == before


def _accepted_form(client, auth, world) -> tuple[str, dict]:
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    start = local_today()
    return url, {
        "besoins": str(by_ref(Need, "n1").id),
        "candidat": str(by_ref(Candidate, "ok").id),
        "heures": "7",
        "contrat": "cdd",
        "debut": start.isoformat(),
        "essai": "aucune",
    }


def test_a_fixed_term_placement_takes_its_last_day_and_is_followed_up_to_it(client, auth, world):
    url, form = _accepted_form(client, auth, world)
    start = local_today()
    last = add_months(start, 2) - timedelta(days=1)
    response = _post(client, url + "/placement", {**form, "fin": last.strftime("%d/%m/%Y")})
    assert response.status_code == 302
    page = page_text(client.get(url))
    assert "Placement enregistré. Suivi prévu à 1 mois." in page
    assert f"CDD, du {start:%d/%m/%Y} au {last:%d/%m/%Y}" in page
    points = db.session.scalars(select(FollowUpPoint)).all()
    assert [p.months for p in points] == [1]


@pytest.mark.parametrize(
    "contract, typed, said",
    [
        ("cdd", "30/02/2027", "n'existe pas dans le calendrier."),
        ("cdd", "bientôt", "n'est pas une date"),
        ("cdd", "2020-01-01", "ne peut pas précéder la date de début"),
        ("cdi", "2027-12-31", "Un CDI n'a pas de date de fin"),
    ],
)
def test_a_wrong_contract_end_comes_back_next_to_its_field(
    client, auth, world, contract, typed, said
):
    url, form = _accepted_form(client, auth, world)
    response = _post(client, url + "/placement", {**form, "contrat": contract, "fin": typed})
    assert response.status_code == 422
    assert said in error_of(response, "fin-contrat")
    assert f'value="{typed}"' in html_of(response)
    assert db.session.get(Lead, world["a"]).status == "accepte"
    assert db.session.scalars(select(FollowUpPoint)).all() == []


def test_the_placement_reads_d_before_a_vowel(client, auth, world):
    url, form = _accepted_form(client, auth, world)
    assert _post(client, url + "/placement", form).status_code == 302
    page = page_text(client.get(url))
    assert "Placement d'Inès Marchal" in page and "Placement de Inès" not in page


def test_a_placement_starting_before_its_lead_was_sent_is_refused_beside_its_field(
    client, auth, world
):
    """The person was proposed in this lead: work that began before it was sent is not
    its placement (it read as recorded late, its follow-up points all overdue at once)."""
    url, form = _accepted_form(client, auth, world)
    sent = local_today()
    response = _post(
        client, url + "/placement", {**form, "debut": (sent - timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 422
    assert error_of(response, "debut").endswith(
        "La date de début ne peut pas précéder l'envoi de la proposition "
        f"(le {sent.strftime('%d/%m/%Y')})."
    )
    db.session.expire_all()
    assert db.session.get(Lead, world["a"]).status == "accepte"
    assert by_ref(Need, "n1").status == "propose"
    assert db.session.scalars(select(FollowUpPoint)).all() == []
    # The day it was sent is a possible first day.
    assert _post(client, url + "/placement", {**form, "debut": sent.isoformat()}).status_code == 302


def test_a_placement_start_too_early_is_told_the_nearest_first_day_it_may_take(client, auth, world):
    """Two lower bounds, the lead's sending and one year back: the message names the
    later one. A lead sent today, a start typed years back, said « pas avant » a year
    ago; the operator then typed a date of that year, refused again for the sending."""
    url, form = _accepted_form(client, auth, world)
    sent = local_today()
    refused = _post(client, url + "/placement", {**form, "debut": "01/01/2020"})
    assert refused.status_code == 422
    assert error_of(refused, "debut").endswith(
        "La date de début ne peut pas précéder l'envoi de la proposition "
        f"(le {sent.strftime('%d/%m/%Y')})."
    )
    # A lead sent more than a year ago: the year back is then the nearer bound.
    sent_on(db.session.get(Lead, world["a"]), add_months(sent, -18))
    db.session.commit()
    refused = _post(client, url + "/placement", {**form, "debut": "01/01/2020"})
    assert "un an en arrière au plus" in error_of(refused, "debut")
    db.session.expire_all()
    assert db.session.scalars(select(Placement)).all() == []
    assert db.session.get(Lead, world["a"]).status == "accepte"


@pytest.mark.parametrize("typed", ["1e9", "-5", "0", "49", "sept"])
def test_placement_hours_out_of_range_get_one_message_whatever_was_typed(
    client, auth, world, typed
):
    # The form's reading and the placement rule said the same thing in two ways.
    url, form = _accepted_form(client, auth, world)
    refused = _post(client, url + "/placement", {**form, "heures": typed})
    assert refused.status_code == 422
    assert flow.PLACEMENT_HOURS in page_text(refused)
    assert db.session.scalars(select(Placement)).all() == []


# --- the trial period -------------------------------------------------------------------


def test_the_form_proposes_the_legal_trial_and_the_page_says_why(client, auth, world):
    url, form = _accepted_form(client, auth, world)
    page = page_text(client.get(url))
    assert "Durée maximale légale (proposée)" in page
    assert "CDI et CDI à temps partagé : 2 mois pour les ouvriers et employés" in page
    start = local_today()
    # The radio left as the form offers it: the legal maximum of a CDI.
    response = _post(client, url + "/placement", {**form, "contrat": "cdi", "essai": "legale"})
    assert response.status_code == 302
    end = add_months(start, 2) - timedelta(days=1)
    placement = db.session.scalars(select(Placement)).one()
    assert (placement.trial, placement.trial_end) == ("legale", end)
    page = page_text(client.get(url))
    assert (
        f"Période d'essai jusqu'au {end:%d/%m/%Y}, durée maximale légale. CDI : 2 mois au "
        "plus pour les ouvriers et employés (article L1221-19 du Code du travail)." in page
    )
    due = end - timedelta(days=7)
    assert f"Avant la fin de la période d'essai (le {due:%d/%m/%Y})" in page
    assert "À remplir après le suivi à 1 mois" in page  # the 1-month point comes first


def test_an_agreed_trial_end_is_kept_and_one_after_the_contract_is_refused(client, auth, world):
    url, form = _accepted_form(client, auth, world)
    start = local_today()
    last = start + timedelta(days=179)  # a CDD of six months at most: two weeks of trial
    form = {**form, "fin": last.isoformat(), "essai": "convenue"}
    response = _post(client, url + "/placement", {**form, "essai-fin": "31/02/2027"})
    assert response.status_code == 422
    assert "Dernier jour de la période d'essai invalide" in error_of(response, "essai-fin")
    response = _post(
        client, url + "/placement", {**form, "essai-fin": (last + timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 422
    assert error_of(response, "essai-fin").endswith(
        "La période d'essai ne peut pas finir après le dernier jour du contrat "
        f"(le {last:%d/%m/%Y})."
    )
    assert 'id="essai-convenue" checked' in html_of(response)  # the choice stays
    db.session.expire_all()
    assert db.session.get(Lead, world["a"]).status == "accepte"
    assert db.session.scalars(select(Placement)).all() == []
    assert db.session.scalars(select(FollowUpPoint)).all() == []
    # Beyond the two weeks the law allows this CDD: refused, the rule said.
    response = _post(
        client, url + "/placement", {**form, "essai-fin": (start + timedelta(days=14)).isoformat()}
    )
    assert response.status_code == 422
    assert (
        "La période d'essai ne peut pas aller au-delà du "
        f"{start + timedelta(days=13):%d/%m/%Y}. CDD de 25 semaines : un jour par semaine"
    ) in error_of(response, "essai-fin")
    assert db.session.scalars(select(Placement)).all() == []
    agreed = start + timedelta(days=9)
    response = _post(client, url + "/placement", {**form, "essai-fin": agreed.isoformat()})
    assert response.status_code == 302
    point = db.session.scalars(select(FollowUpPoint).where(FollowUpPoint.months == 0)).one()
    assert point.due_on == agreed - timedelta(days=7)
    assert f"Période d'essai jusqu'au {agreed:%d/%m/%Y}, convenue au contrat." in page_text(
        client.get(url)
    )
    # Due before the 1-month point, it is the next one the inbox names.
    index = page_text(client.get("/operateur/propositions"))
    assert f"Prochain suivi avant la fin de la période d'essai, le {point.due_on:%d/%m/%Y}" in (
        index
    )


def test_a_trial_point_is_answered_on_the_lead_page_and_not_by_another_operator(
    app, client, auth, world
):
    url, form = _accepted_form(client, auth, world)
    start = local_today()
    response = _post(
        client, url + "/placement", {**form, "fin": (start + timedelta(days=13)).isoformat(),
                                     "essai": "legale"},
    )  # fmt: skip
    assert response.status_code == 302
    point = db.session.scalars(select(FollowUpPoint).where(FollowUpPoint.months == 0)).one()
    answer = {"entreprise": "Satisfaite", "personne": "Bien", "tient": "oui"}
    stranger = app.test_client()
    auth.login("operator", org_ref="ge-b", client=stranger)  # a member of another operator
    refused = stranger.post(f"{url}/suivi/{point.id}", data=answer)
    assert refused.status_code == 404
    db.session.expire_all()
    assert db.session.get(FollowUpPoint, point.id).done_at is None
    response = _post(client, f"{url}/suivi/{point.id}", answer)
    assert response.status_code == 302
    assert "Suivi avant la fin de la période d'essai enregistré." in page_text(client.get(url))
    db.session.expire_all()
    done = db.session.get(FollowUpPoint, point.id)
    assert (done.holds, done.company_feedback, done.candidate_feedback) == (
        True,
        "Satisfaite",
        "Bien",
    )


def test_a_lead_withdrawn_while_its_page_is_open_says_why_and_by_whom(client, auth, world):
    # Found in a two-tab run: the animateur abandoned the need while the operator was
    # placing; the page then read only « état : Sans suite », the why left to a mail.
    from connectences.needs.moves import move_by_hand

    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    animateur = db.session.get(User, db.session.get(Lead, world["a"]).created_by_id)
    move_by_hand(db.session, by_ref(Need, "n1"), "abandonne", actor=animateur,
                 reason_code="besoin_disparu")  # fmt: skip
    db.session.commit()
    response = _post(client, url + "/action", {"action": "contacter"})
    said = page_text(client.get(response.headers["Location"]))
    today = local_today().strftime("%d/%m/%Y")
    assert f"Close sans suite le {today} par la plateforme : le besoin est abandonné." in said
    # The platform's move names no member of its staff.
    assert animateur.email not in said
    assert db.session.get(Lead, world["a"]).status == "sans_suite"


def test_a_lead_handed_back_by_a_colleague_says_who_and_why(client, auth, world):
    colleague = auth.create("operator", org_ref="ge-a", full_name="Hélène Castaing")
    flow.hand_back(db.session, db.session.get(Lead, world["a"]), "Pas de GE sur ce secteur",
                   actor=colleague)  # fmt: skip
    db.session.commit()
    auth.login("operator", org_ref="ge-a")
    said = page_text(client.get(f"/operateur/propositions/{world['a']}"))
    today = local_today().strftime("%d/%m/%Y")
    assert f"Rendue le {today} par Hélène Castaing : Pas de GE sur ce secteur." in said
    # A lead still open says nothing of the kind.
    auth.login("operator", org_ref="ge-b")
    assert "Close sans suite" not in page_text(client.get(f"/operateur/propositions/{world['b']}"))


def test_a_placement_with_several_wrong_fields_says_each_at_once(client, auth, world):
    # Sent with 0 hours, no contract of the list and a start years back, the form came
    # back for the contract alone, then for the hours, then for the date.
    url, form = _accepted_form(client, auth, world)
    wrong = {**form, "contrat": "stage", "heures": "0", "debut": "01/01/2020"}
    refused = _post(client, url + "/placement", wrong)
    assert refused.status_code == 422
    assert "Choisissez un type de contrat dans la liste." in error_of(refused, "contrat")
    assert flow.PLACEMENT_HOURS in error_of(refused, "heures")
    assert "ne peut pas précéder l'envoi de la proposition" in error_of(refused, "debut")
    assert db.session.scalars(select(Placement)).all() == []
    # A last day is judged once the start stands: one error for the start only.
    late = {**form, "debut": "01/01/2020", "fin": "01/02/2020"}
    refused = _post(client, url + "/placement", late)
    assert "ne peut pas précéder l'envoi de la proposition" in error_of(refused, "debut")
    assert 'id="fin-erreurs"' not in html_of(refused)


def test_a_company_that_left_an_accepted_bundle_is_out_of_its_page(client, auth):
    """Found living shared time: one company of an accepted bundle stopped its need; the
    operator's page still read « 2 entreprises, 21 h », its week kept that company's day
    and the placement form ticked it, to be refused « ne peut plus être pourvu »."""
    from connectences.needs.moves import move_by_hand
    from connectences.workflows.dispatch import send_lead

    f.load(f.dispatch_document(candidates=[]))
    animateur = auth.create("animateur")
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
        actor=animateur,
    )
    db.session.commit()
    auth.login("operator", org_ref="ge")
    url = f"/operateur/propositions/{lead.id}"
    _post(client, url + "/action", {"action": "accepter"})
    before = page_text(client.get(url))
    assert "2 entreprises, 21 h par semaine" in before
    move_by_hand(db.session, by_ref(Need, "n1"), "abandonne", actor=animateur,
                 reason_code="besoin_disparu")  # fmt: skip
    db.session.commit()
    page = client.get(url)
    said = page_text(page)
    gone = by_ref(Need, "n1").company.name
    assert "1 entreprise, 14 h par semaine" in said
    assert "14 h par semaine sur 1 jour" in said
    assert f"Retiré de la proposition : {gone} n'a plus ce besoin à pourvoir" in said
    html = page.get_data(as_text=True)
    assert f'name="besoins" value="{by_ref(Need, "n1").id}"' not in html
    assert f'name="besoins" value="{by_ref(Need, "n2").id}"' in html
    n2 = by_ref(Need, "n2").id
    assert f'name="heures-{n2}" id="heures-{n2}" value="14"' in html
    assert f'name="heures-{by_ref(Need, "n1").id}"' not in html
