"""The partner's referral inbox through the web: who sees what, actions, refusals."""

import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import (
    CompanyContact,
    Need,
    OutboxMessage,
    Partner,
    Referral,
    Transition,
    User,
)
from connectences.typography import NBSP
from connectences.workflows import REFERRAL
from connectences.workflows.dispatch import send_referral
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import (
    audit_entries,
    by_ref,
    cards_of,
    count,
    error_of,
    html_of,
    page_text,
    refused_and_logged,
)


@pytest.fixture
def world(auth):
    """Two partners with one referral each, sent by one animateur."""
    f.load(
        f.document(
            partners=[f.partner(ref="ft"), f.partner(ref="ml")],
            companies=[
                f.company(ref="c1", name="Garage Lafon", contact_email="garage@exemple.fr"),
                f.company(ref="c2"),
            ],
            needs=[
                f.need(ref="n1", company="c1", title="Mécanicien", hours_per_week=35),
                f.need(ref="n2", company="c2", title="Jardinier", hours_per_week=10),
            ],
        )
    )
    animateur = auth.create("animateur", email="anim@exemple.fr")
    ref_ft = send_referral(
        db.session,
        need=by_ref(Need, "n1"),
        partner=by_ref(Partner, "ft"),
        actor=animateur,
        reasons=["Temps plein : hors du temps partagé."],
    )
    ref_ml = send_referral(
        db.session, need=by_ref(Need, "n2"), partner=by_ref(Partner, "ml"), actor=animateur
    )
    db.session.commit()
    return {"ft": ref_ft.id, "ml": ref_ml.id}


def _post(client, url, data):
    token = csrf_token_from(client.get(url.rsplit("/", 1)[0]).get_data(as_text=True))
    if token:
        data = {**data, "csrf_token": token}
    return client.post(url, data=data)


@pytest.mark.parametrize(
    "who, sees, hidden", [("ft", "Mécanicien", "Jardinier"), ("ml", "Jardinier", "Mécanicien")]
)
def test_each_partner_inbox_shows_only_its_own(client, auth, world, who, sees, hidden):
    auth.login("partner", org_ref=who)
    html = client.get("/partenaire/reorientations").get_data(as_text=True)
    assert sees in html and hidden not in html
    assert "Nouvelles (1)" in html


def test_home_counts_the_referrals_opened_but_not_answered_as_still_to_take(client, auth, world):
    """Opening a referral (to read it, to call later) marks it received: the home said
    « 0 nouvelle réorientation à prendre en charge » while it still waited to be taken in
    charge or refused, and named its state « envoyée » where the inbox says « Nouvelle »."""
    auth.login("partner", org_ref="ft")
    home = page_text(client.get("/partenaire"))
    assert "1 réorientation à prendre en charge ou à refuser, dont 1 nouvelle." in home
    assert "état : nouvelle" in home and "état : envoyée" not in home
    client.get(f"/partenaire/reorientations/{world['ft']}")  # opened: received
    home = page_text(client.get("/partenaire"))
    assert "1 réorientation à prendre en charge ou à refuser." in home
    assert "0 nouvelle" not in home and "état : reçue" in home
    _post(client, f"/partenaire/reorientations/{world['ft']}/action", {"action": "prendre"})
    home = page_text(client.get("/partenaire"))
    assert "Aucune réorientation à prendre en charge ou à refuser." in home


def test_inbox_shows_each_referral_as_a_card_in_plain_words(client, auth, world):
    auth.login("partner", org_ref="ft")
    response = client.get("/partenaire/reorientations")
    [card] = cards_of(response)
    assert card.startswith("Mécanicien Nouvelle · orientée vers vous le ")
    assert card.endswith("Garage Lafon 35 h par semaine · Arcachon (33120)")
    assert "état" not in card and "envoy" not in card.lower()
    assert f'<h3><a href="/partenaire/reorientations/{world["ft"]}">Mécanicien</a></h3>' in (
        html_of(response)
    )


@pytest.mark.parametrize("role", ["animateur", "operator", "company", "candidate", "admin"])
def test_other_roles_are_refused_and_logged(client, auth, world, role):
    user = auth.login(role)
    urls = ["/partenaire/reorientations", f"/partenaire/reorientations/{world['ft']}"]
    refused_and_logged(client, user, urls, "referral_access_refused")


def test_referral_of_another_partner_is_404_and_logged(client, auth, world):
    user = auth.login("partner", org_ref="ft")
    assert client.get(f"/partenaire/reorientations/{world['ml']}").status_code == 404
    response = client.post(
        f"/partenaire/reorientations/{world['ml']}/action", data={"action": "prendre"}
    )
    assert response.status_code == 404
    entries = audit_entries("referral_access_refused")
    assert [(e.actor_id, e.entity, e.entity_id) for e in entries] == [
        (user.id, "referral", world["ml"])
    ] * 2
    assert db.session.get(Referral, world["ml"]).status == "envoyee"


def test_open_take_charge_and_close_with_outcome(client, auth, world):
    user = auth.login("partner", org_ref="ft")
    url = f"/partenaire/reorientations/{world['ft']}"
    html = client.get(url).get_data(as_text=True)
    for text in ("Mécanicien", "Garage Lafon", "Temps plein", f"35{NBSP}h"):
        assert text in html
    referral = db.session.get(Referral, world["ft"])
    assert referral.status == "recue"

    # Closing before taking charge is not allowed: French message, nothing changed.
    _post(client, url + "/action", {"action": "clore", "issue": "Embauche"})
    assert (
        "Erreur : Cette réorientation n'est pas encore prise en charge : choisissez d'abord "
        "« Prendre en charge », puis indiquez son issue" in page_text(client.get(url))
    )
    assert db.session.get(Referral, world["ft"]).status == "recue"

    assert _post(client, url + "/action", {"action": "prendre"}).status_code == 302
    response = _post(client, url + "/action", {"action": "clore", "issue": " "})
    assert response.status_code == 422
    assert "Indiquez l'issue" in error_of(response, "issue")
    response = _post(client, url + "/action", {"action": "clore", "issue": "x" * 2001})
    assert response.status_code == 422
    assert "ne doit pas dépasser 2 000 caractères (2 001 saisis)" in error_of(response, "issue")
    assert db.session.get(Referral, world["ft"]).status == "prise_en_charge"
    _post(client, url + "/action", {"action": "clore", "issue": "Contrat d'apprentissage signé"})
    db.session.expire_all()
    referral = db.session.get(Referral, world["ft"])
    assert (referral.status, referral.outcome) == ("close", "Contrat d'apprentissage signé")
    log = workflows.history(db.session, REFERRAL, referral.id)
    assert [(t.from_state, t.to_state, t.actor_id) for t in log[1:]] == [
        ("envoyee", "recue", user.id),
        ("recue", "prise_en_charge", user.id),
        ("prise_en_charge", "close", user.id),
    ]
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == "anim@exemple.fr"))
    assert "Contrat d'apprentissage signé" in mail.one().body_text


def test_refusal_frees_the_need(client, auth, world):
    auth.login("partner", org_ref="ml")
    url = f"/partenaire/reorientations/{world['ml']}"
    response = _post(
        client, url + "/action", {"action": "refuser", "motif": "", "precision": "Déjà suivi"}
    )
    assert response.status_code == 422
    assert "Choisissez un motif" in error_of(response, "motif")
    assert ">Déjà suivi</textarea>" in html_of(response)  # what was typed stays
    assert db.session.get(Referral, world["ml"]).status == "recue"
    _post(client, url + "/action", {"action": "refuser", "motif": "hors_perimetre"})
    db.session.expire_all()
    referral = db.session.get(Referral, world["ml"])
    assert (referral.status, referral.refusal_reason) == ("refusee", "hors_perimetre")
    assert by_ref(Need, "n2").status == "en_recherche"
    # A final state offers no action form.
    assert 'name="action"' not in client.get(url).get_data(as_text=True)


def test_taking_charge_twice_says_it_is_done_already(client, auth, world):
    # A double click: the second answer finds the referral where the first left it.
    auth.login("partner", org_ref="ft")
    url = f"/partenaire/reorientations/{world['ft']}"
    assert _post(client, url + "/action", {"action": "prendre"}).status_code == 302
    log = count(Transition)
    assert _post(client, url + "/action", {"action": "prendre"}).status_code == 302
    page = page_text(client.get(url))
    # One label, the page's: « Information : », never « Erreur : Déjà fait : ».
    assert (
        "Information : La réorientation est déjà à l'état « Prise en charge » : rien n'a été "
        "modifié." in page
    )
    assert "Impossible de passer" not in page
    assert "Erreur" not in page and "Déjà fait" not in page
    assert count(Transition) == log


def test_a_need_whose_partner_refused_is_not_routed_back_to_it(client, auth, world):
    """Found by a check: once a partner refused a re-orientation, the need page proposed
    that same partner again, preselected in the form, without a word of its refusal: a
    second mail to the partner that had just said no. It is now set aside as an operator
    that refused is, the reasons say who refused, when and why."""
    from connectences.matching.routing import decide_route

    ft_name = by_ref(Partner, "ft").name
    assert decide_route("n1").partner == "ft"  # the first France Travail by ref
    auth.login("partner", org_ref="ft")
    url = f"/partenaire/reorientations/{world['ft']}"
    client.get(url)
    mails = count(OutboxMessage)
    _post(client, url + "/action", {"action": "refuser", "motif": "hors_perimetre"})
    assert count(OutboxMessage) == mails + 1  # the animateur is told, once
    told = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert told.to == "anim@exemple.fr"

    decision = decide_route("n1")
    assert decision.decision == "reorientation" and decision.partner == "ml"
    refusal = next(r for r in decision.reasons if r.startswith(ft_name))
    assert "a refusé la réorientation de ce besoin le " in refusal
    assert refusal.endswith(") : le besoin ne lui est plus proposé.")
    # The partner the need goes to now never reads another's refusal.
    assert not any(ft_name in r for r in decision.shared)
    auth.logout()
    auth.login("animateur")
    page = html_of(client.get("/animateur/besoins/n1"))
    assert 'value="ml" selected' in page and 'value="ft" selected' not in page

    # Refused by every partner registered: none is proposed, and the page preselects none.
    again = send_referral(db.session, need=by_ref(Need, "n1"), partner=by_ref(Partner, "ml"))
    workflows.transition(db.session, again, REFERRAL, "refusee", reason_code="hors_perimetre")
    db.session.commit()
    decision = decide_route("n1")
    assert decision.partner is None
    assert decision.reasons[-1].startswith("Aucun autre partenaire actif n'est enregistré : ")
    page = html_of(client.get("/animateur/besoins/n1"))
    assert 'value="ml" selected' not in page and 'value="ft" selected' not in page


def test_refusing_a_referral_taken_in_charge_says_to_close_it_with_its_outcome(client, auth, world):
    """Found by a check: a refusal sent from a page read before the referral was taken in
    charge (another tab, a colleague) read « Impossible de passer de « Prise en charge » à
    « Refusée ». », the machine's states, and nothing about what to do instead."""
    auth.login("partner", org_ref="ft")
    url = f"/partenaire/reorientations/{world['ft']}"
    assert _post(client, url + "/action", {"action": "prendre"}).status_code == 302
    log, mails = count(Transition), count(OutboxMessage)
    response = _post(client, url + "/action", {"action": "refuser", "motif": "hors_perimetre"})
    assert response.status_code == 302
    page = page_text(client.get(url))
    assert (
        "Erreur : Cette réorientation est déjà prise en charge : elle ne peut plus être "
        "refusée. Si elle n'aboutit pas, dites-le dans son issue avec « Clore la "
        "réorientation » : l'animateur la lit sur le besoin." in page
    )
    assert "Impossible de passer" not in page
    referral = db.session.get(Referral, world["ft"])
    assert (referral.status, referral.refusal_reason) == ("prise_en_charge", None)
    assert by_ref(Need, "n1").status == "reoriente"
    assert (count(Transition), count(OutboxMessage)) == (log, mails)


@pytest.mark.parametrize(
    "state, said",
    [
        ("close", "Cette réorientation est close, son issue enregistrée"),
        ("refusee", "Cette réorientation a été refusée"),
        ("sans_suite", "Cette réorientation est classée sans suite"),
    ],
)
def test_a_settled_referral_says_so_to_every_action(client, auth, world, state, said):
    auth.login("partner", org_ref="ft")
    url = f"/partenaire/reorientations/{world['ft']}"
    client.get(url)
    db.session.get(Referral, world["ft"]).status = state
    db.session.commit()
    log = count(Transition)
    for data in (
        {"action": "prendre"},
        {"action": "clore", "issue": "Embauche"},
        {"action": "refuser", "motif": "hors_perimetre"},
    ):
        assert _post(client, url + "/action", data).status_code == 302
        page = page_text(client.get(url))
        assert said in page or "Information : La réorientation est déjà" in page
        assert "Impossible de passer" not in page
    assert count(Transition) == log
    assert db.session.get(Referral, world["ft"]).status == state


def test_company_contact_comes_with_taking_the_referral_in_charge(client, auth, world):
    """Found by a check: a partner read the company's contact people, phone and e-mail as
    soon as it opened a referral, while an operator reads them only once it accepts a
    lead. They now come with « Prendre en charge », and the page says so before."""
    garage = by_ref(Need, "n1").company
    db.session.add(
        CompanyContact(company=garage, name="Paul Lafon", phone="0612345678", email="paul@l.fr")
    )
    db.session.commit()
    secrets = ("Paul Lafon", "0612345678", "06 12 34 56 78", "paul@l.fr", "garage@exemple.fr")
    # Nor does the mail that told the partner of the referral carry them.
    [mail] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == by_ref(Partner, "ft").email)
    )
    assert not any(s in mail.body_text or s in (mail.body_html or "") for s in secrets)

    auth.login("partner", org_ref="ft")
    url = f"/partenaire/reorientations/{world['ft']}"
    page = page_text(client.get(url))
    assert db.session.get(Referral, world["ft"]).status == "recue"
    assert not any(s in page for s in secrets)
    assert (
        "Contact Les coordonnées de l'entreprise (personne à contacter, téléphone, e-mail) "
        "apparaissent une fois la réorientation prise en charge (« Prendre en charge »)." in page
    )
    # Another partner: 404, and nothing of the company's contact in the answer.
    other = client.get(f"/partenaire/reorientations/{world['ml']}")
    assert other.status_code == 404
    auth.logout()
    auth.login("partner", org_ref="ml")
    response = client.get(url)
    assert response.status_code == 404
    assert not any(s in response.get_data(as_text=True) for s in secrets)
    auth.logout()

    auth.login("partner", org_ref="ft")
    _post(client, url + "/action", {"action": "prendre"})
    page = page_text(client.get(url))
    assert "Paul Lafon" in page and "paul@l.fr" in page and "garage@exemple.fr" in page
    assert "apparaissent une fois" not in page
    _post(client, url + "/action", {"action": "clore", "issue": "Embauche signée"})
    assert "Paul Lafon" in page_text(client.get(url))  # kept once closed


def test_a_referral_refused_before_its_charge_never_shows_the_contact(client, auth, world):
    auth.login("partner", org_ref="ml")
    url = f"/partenaire/reorientations/{world['ml']}"
    client.get(url)
    _post(client, url + "/action", {"action": "refuser", "motif": "hors_perimetre"})
    page = page_text(client.get(url))
    email = by_ref(Need, "n2").company.contact_email
    assert email not in page and "apparaissent une fois" not in page


def test_a_referral_withdrawn_by_the_platform_says_why_on_its_page(client, auth, world):
    from connectences.needs.moves import move_by_hand

    animateur = db.session.get(User, db.session.get(Referral, world["ml"]).created_by_id)
    move_by_hand(db.session, by_ref(Need, "n2"), "abandonne", actor=animateur,
                 reason_code="besoin_disparu")  # fmt: skip
    db.session.commit()
    auth.login("partner", org_ref="ml")
    said = page_text(client.get(f"/partenaire/reorientations/{world['ml']}"))
    today = local_today().strftime("%d/%m/%Y")
    assert f"Close sans suite le {today} par la plateforme : le besoin est abandonné." in said
    assert animateur.email not in said
