"""A need proposed or re-oriented to an organisation none of whose members can answer on
the platform (no account, invitations never opened, disabled accounts): the proposal
still goes (its address is mailed), the choice lists say « aucun compte actif », and the
animateur is told plainly, on the page and in the API's answer, that nobody will answer
it until a member opens their account."""

from __future__ import annotations

import re

import pytest

from connectences import organisations
from connectences.extensions import db
from connectences.models import Lead, Operator, Partner, Referral
from tests import factories as f
from tests.helpers import (
    by_ref,
    count,
    element_by_id,
    flashes_in,
    html_of,
    mails_to,
    organisation_mails,
    qualify,
    top_flashes,
)
from tests.test_api_v1 import bearer, token_for

NOBODY = "Personne ne lira cet envoi sur la plateforme"
MAIL_SAYS = "Personne de votre structure n'a encore de compte actif sur la plateforme"


@pytest.fixture
def data(auth):
    f.load(
        f.document(
            operators=[
                f.operator(ref="ge", name="GE Bassin", email="ge@exemple.fr"),
                f.operator(ref="vide", name="GE Vide", email="vide@exemple.fr"),
                f.operator(ref="invite", name="GE Invité", email="invite@exemple.fr"),
                f.operator(ref="ferme", name="GE Fermé", email="ferme@exemple.fr"),
            ],
            partners=[
                f.partner(ref="ft", name="France Travail Arcachon", email="ft@exemple.fr"),
                f.partner(ref="ft-vide", name="Mission locale", email="ml@exemple.fr"),
            ],
            companies=[f.company(ref="c1", name="Boulangerie du Port")],
            needs=[
                f.need(ref="n1", company="c1", title="Comptable un jour par semaine"),
                f.need(
                    ref="plein",
                    company="c1",
                    title="Vendeur à temps plein",
                    rome="D1211",
                    skills=["vente"],
                    hours_per_week=35,
                    days=["mon", "tue", "wed", "thu", "fri"],
                    contract="cdi",
                ),
            ],
        )
    )
    auth.create("operator", org_ref="ge")
    auth.create("operator", org_ref="invite", password=None)
    auth.create("operator", org_ref="invite", password=None)
    closed = auth.create("operator", org_ref="ferme")
    closed.active = False
    auth.create("partner", org_ref="ft")
    auth.create("partner", org_ref="ft-vide", password=None)
    db.session.commit()
    qualify("n1", "plein")


def _operator(ref: str) -> Operator:
    return by_ref(Operator, ref)


def test_the_organisations_without_a_working_member(data):
    every = [*db.session.scalars(db.select(Operator)), *db.session.scalars(db.select(Partner))]
    unattended = organisations.without_working_member(db.session, every)
    assert sorted(o.ref for o in unattended) == ["ferme", "ft-vide", "invite", "vide"]
    assert organisations.without_working_member(db.session, []) == []


def test_what_the_animateur_is_told_names_the_invitations_never_opened(data):
    assert organisations.nobody_answers(db.session, _operator("ge")) is None
    assert organisations.nobody_answers(db.session, by_ref(Partner, "ft")) is None
    invited = organisations.nobody_answers(db.session, _operator("invite"))
    assert invited == (
        f"{NOBODY} : aucun membre de GE Invité n'a de compte actif (2 invitations "
        "envoyées, jamais ouvertes). L'e-mail est parti à son adresse (invite@exemple.fr), "
        "mais personne ne pourra l'accepter ou la refuser tant qu'un membre n'aura pas "
        "ouvert son compte. Prévenez-les, ou demandez à l'administrateur d'inviter un de "
        "leurs membres. L'entreprise, elle, lit que l'animateur de la plateforme suit son "
        "besoin avec eux : aucun appel ne lui est promis."
    )
    # A disabled account is no invitation: not counted as one.
    closed = organisations.nobody_answers(db.session, _operator("ferme"))
    assert "aucun membre de GE Fermé n'a de compte actif. L'e-mail" in closed
    partner = organisations.nobody_answers(db.session, by_ref(Partner, "ft-vide"))
    assert "(1 invitation envoyée, jamais ouverte)" in partner
    assert "personne ne pourra la prendre en charge" in partner


def test_the_choice_lists_say_which_organisations_have_no_active_account(client, auth, data):
    auth.login("animateur")
    html = html_of(client.get("/animateur/besoins/n1"))
    # (The routing's advice preselects GE Bassin, the one someone answers for.)
    assert '<option value="ge" selected>GE Bassin — Groupement d&#39;employeurs</option>' in html
    for ref, name in (("vide", "GE Vide"), ("invite", "GE Invité"), ("ferme", "GE Fermé")):
        assert re.search(
            f'<option value="{ref}"( selected)?>{name} — Groupement d&#39;employeurs '
            "— aucun compte actif</option>",
            html,
        ), ref
    assert "« Aucun compte actif » : aucun membre de cette structure n" in html
    partners = element_by_id(html_of(client.get("/animateur/besoins/plein")), "partenaire")
    assert '<option value="ft-vide">Mission locale — France Travail — aucun compte actif<' in (
        partners
    )
    assert partners.count("— aucun compte actif</option>") == 1


def test_a_proposal_to_an_operator_nobody_can_answer_goes_and_the_animateur_is_told(
    client, auth, data
):
    auth.login("animateur")
    response = client.post(
        "/animateur/besoins/n1/proposer", data={"operateur": "invite"}, follow_redirects=True
    )
    # Said in the follow-up section the page opens on, not at its top out of view.
    said = flashes_in(response, "suivi")
    assert "Besoin proposé à GE Invité sans candidat. Un e-mail lui a été envoyé." in said
    assert NOBODY not in top_flashes(response)
    assert NOBODY in said and "(2 invitations envoyées, jamais ouvertes)" in said
    assert 'class="flash flash-warning" role="alert"' in html_of(response)
    # Sent all the same: the lead is theirs, their address mailed.
    (lead,) = db.session.scalars(db.select(Lead)).all()
    assert lead.operator.ref == "invite" and lead.status == "envoye"
    (mail,) = mails_to("invite@exemple.fr")
    # Its reader is told how to answer: the link opens a login page they cannot pass.
    for body in (mail.body_text, mail.body_html):
        assert MAIL_SAYS in body and "pour l'accepter ou la refuser" in body


def test_a_proposal_to_an_operator_with_a_member_says_nothing_more(client, auth, data):
    auth.login("animateur")
    response = client.post(
        "/animateur/besoins/n1/proposer", data={"operateur": "ge"}, follow_redirects=True
    )
    said = flashes_in(response, "suivi")
    assert "Besoin proposé à GE Bassin" in said and NOBODY not in said
    (mail,) = mails_to("ge@exemple.fr")
    assert MAIL_SAYS not in mail.body_text and MAIL_SAYS not in mail.body_html


def test_a_referral_to_a_partner_nobody_can_answer_goes_and_the_animateur_is_told(
    client, auth, data
):
    auth.login("animateur")
    response = client.post(
        "/animateur/besoins/plein/reorienter",
        data={"partenaire": "ft-vide", "motif": "temps_plein"},
        follow_redirects=True,
    )
    said = flashes_in(response, "suivi")
    assert "Besoin réorienté vers Mission locale." in said
    assert NOBODY in said and "personne ne pourra la prendre en charge" in said
    assert count(Referral) == 1
    (mail,) = mails_to("ml@exemple.fr")
    assert MAIL_SAYS in mail.body_text and "pour la prendre en charge" in mail.body_text
    other = client.post(
        "/animateur/besoins/n1/reorienter",
        data={"partenaire": "ft", "motif": "temps_plein"},
        follow_redirects=True,
    )
    said = flashes_in(other, "suivi")
    assert "Besoin réorienté vers" in said and NOBODY not in said
    assert MAIL_SAYS not in mails_to("ft@exemple.fr")[0].body_text


def _proposal(client, token: str, operator: str):
    etag = client.get("/api/v1/needs/n1", headers=bearer(token)).headers["ETag"]
    return client.post(
        "/api/v1/needs/n1/leads",
        json={"operator": operator},
        headers=bearer(token) | {"If-Match": etag},
    )


def test_the_api_answer_warns_and_keeps_the_records_etag(client, auth, data):
    token = token_for(auth.create("animateur"))
    response = _proposal(client, token, "vide")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    (warning,) = body["warnings"]
    assert warning.startswith(f"{NOBODY} : aucun membre de GE Vide n'a de compte actif.")
    # The warning is the answer's, not the lead's: its record and ETag are as read.
    read = client.get(f"/api/v1/leads/{body['ref']}", headers=bearer(token))
    assert "warnings" not in read.get_json()
    assert read.headers["ETag"] == response.headers["ETag"]
    assert {k: v for k, v in body.items() if k != "warnings"} == read.get_json()
    assert len(db.session.scalars(organisation_mails()).all()) == 1


def test_the_api_answer_has_no_warning_for_an_operator_with_a_member(client, auth, data):
    token = token_for(auth.create("animateur"))
    response = _proposal(client, token, "ge")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["warnings"] == []


# --- the routing passes them over when another one would answer ----------------------


def test_the_routing_passes_over_an_operator_nobody_answers_for_another_that_covers():
    from connectences.matching.route import route
    from tests.test_route import COBAS, FT, need, operator

    first, second = operator("a-vide", name="GE Vide"), operator("b-ge", name="GE Bassin")
    # The spec's rule (the first by ref) when nothing is known of the accounts.
    assert route(need(), [first, second], [FT], COBAS).operator == "a-vide"
    decision = route(need(), [first, second], [FT], COBAS, unattended={"a-vide"})
    assert decision.operator == "b-ge"
    assert (
        "GE Vide couvre aussi ce besoin mais aucun de ses membres n'a de compte actif sur la "
        "plateforme." in decision.reasons
    )
    # What GE Bassin reads names no other operator.
    assert not any("GE Vide" in reason for reason in decision.shared)
    # Nobody answers for either: the rules' order holds (the animateur is warned on sending).
    both = route(need(), [first, second], [FT], COBAS, unattended={"a-vide", "b-ge"})
    assert both.operator == "a-vide"
    assert not any("compte actif" in reason for reason in both.reasons)
    # One the rules put after anyway is not said to be passed over for its accounts.
    specific = operator("c-ge", name="GE Précis", rome_domains=("M",))
    ranked = route(need(rome="M1203"), [first, specific], [FT], COBAS, unattended={"a-vide"})
    assert ranked.operator == "c-ge"
    assert not any("compte actif" in reason for reason in ranked.reasons)


def test_the_routing_passes_over_a_partner_nobody_answers_for_another_of_its_rank():
    from connectences.matching.data import PartnerData
    from connectences.matching.route import route
    from tests.test_route import COBAS, FT, need

    empty = PartnerData(ref="ft-a", name="France Travail Vide", kind="france_travail")
    full_time = need(hours_per_week=35, contract="cdi")
    assert route(full_time, [], [empty, FT], COBAS).partner == "ft-a"
    decision = route(full_time, [], [empty, FT], COBAS, unattended_partners={"ft-a"})
    assert decision.partner == FT.ref
    assert (
        "France Travail Vide n'est pas retenu : aucun de ses membres n'a de compte actif sur "
        "la plateforme." in decision.reasons
    )
    assert not any("Vide" in reason for reason in decision.shared)
    alone = route(full_time, [], [empty], COBAS, unattended_partners={"ft-a"})
    assert alone.partner == "ft-a"


def test_the_need_page_preselects_an_operator_someone_answers_for(client, auth, data):
    auth.login("animateur")
    # The rules' first by ref is « ferme », whose only account is disabled.
    select_ = element_by_id(html_of(client.get("/animateur/besoins/n1")), "operateur")
    assert re.findall(r'<option value="([^"]*)" selected>', select_) == ["ge"]
    assert "GE Fermé — Groupement d&#39;employeurs — aucun compte actif</option>" in select_
    # The API's routing says the same.
    token = token_for(auth.create("animateur"))
    route = client.get("/api/v1/needs/n1/route", headers=bearer(token)).get_json()
    assert route["operator"] == "ge"
    assert any(
        "GE Fermé couvre aussi ce besoin mais aucun de ses membres" in r for r in route["reasons"]
    )


def test_the_need_page_preselects_a_partner_someone_answers_for(client, auth, data):
    f.load(f.document(partners=[f.partner(ref="a-ft", name="France Travail Vide")]))
    auth.login("animateur")
    select_ = element_by_id(html_of(client.get("/animateur/besoins/plein")), "partenaire")
    assert re.findall(r'<option value="([^"]*)" selected>', select_) == ["ft"]
    # Sent where it was preselected: no « choix de l'animateur » against the platform.
    client.post(
        "/animateur/besoins/plein/reorienter",
        data={"partenaire": "ft", "motif": "temps_plein"},
        follow_redirects=True,
    )
    (referral,) = db.session.scalars(db.select(Referral)).all()
    assert referral.partner.ref == "ft"
    assert "choix de l'animateur" not in html_of(client.get("/animateur/besoins/plein"))
