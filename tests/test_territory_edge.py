"""The territory's edge: a company or a need outside the 17 communes of the Pays is
accepted (the interchange takes any French commune), its owner is told before sending
and on the confirmation what the platform serves and what becomes of the need, and the
staff see the flag on the company's and the need's pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Company, Need, OutboxMessage
from connectences.needs import territory_edge
from tests import factories as f
from tests.helpers import count, mails_to, main_of, make_company

BORDEAUX = "33063"
BORDEAUX_METROPOLE = "243300316"
CONFIRM_LINK = re.compile(r"http://localhost(/exprimer-un-besoin/confirmer/[^\s<\"]+)")


def _written() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(count(model) for model in (Need, Company, OutboxMessage))


def _last_mail(email: str) -> OutboxMessage:
    db.session.expire_all()
    return mails_to(email)[-1]


def _confirm_path(email: str) -> str:
    return CONFIRM_LINK.search(_last_mail(email).body_text).group(1)


def test_the_rule_knows_the_pays_and_says_what_routing_does():
    assert not territory_edge.outside_pays(f.ARCACHON)
    assert not territory_edge.outside_pays(None)
    assert territory_edge.outside_pays(BORDEAUX)
    assert territory_edge.owner_notice(db.session, f.ARCACHON) is None
    notice = territory_edge.owner_notice(db.session, BORDEAUX)
    assert "La plateforme sert les 17 communes du Pays Bassin d'Arcachon" in notice
    assert "Bordeaux (33000) n'en fait pas partie" in notice
    assert "France Travail" in notice
    # An operator declaring the commune's intercommunality takes it like any other.
    f.load(f.document(operators=[f.operator(epcis=[f.COBAS, BORDEAUX_METROPOLE])]))
    notice = territory_edge.owner_notice(db.session, BORDEAUX)
    assert "étudié comme les autres" in notice and "France Travail" not in notice


def test_an_outside_need_is_pointed_out_before_sending_and_sent_once_the_owner_agrees(client):
    form = f.public_need_form(company_commune="Bordeaux")
    before = _written()
    response = client.post("/exprimer-un-besoin", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "La plateforme sert les 17 communes du Pays" in page
    assert "Bordeaux (33000) n&#39;en fait pas partie" in page
    assert "France Travail" in page
    assert 'name="confirm_outside"' in page
    assert _written() == before
    # The owner keeps their commune: the need is stored, its company in Bordeaux.
    response = client.post("/exprimer-un-besoin", data={**form, "confirm_outside": "1"})
    assert response.status_code == 302
    assert db.session.scalars(select(Company.commune)).one() == BORDEAUX
    # Said again on the page that asks to confirm the address, and on the confirmation.
    sent = client.get(response.location).get_data(as_text=True)
    assert "Bordeaux (33000) n&#39;en fait pas partie" in sent
    mail = _last_mail(form["owner_email"])
    assert "Bordeaux (33000) n'en fait pas partie" in mail.body_text
    confirm = client.get(_confirm_path(form["owner_email"])).get_data(as_text=True)
    assert "Bordeaux (33000) n&#39;en fait pas partie" in confirm


def test_the_work_place_decides_not_the_company_s_commune(client):
    # A company of Bordeaux whose need is worked in Arcachon is served as any other.
    inside = f.public_need_form(company_commune="Bordeaux", commune="Arcachon")
    assert client.post("/exprimer-un-besoin", data=inside).status_code == 302
    # A company of the Pays whose need is worked in Bordeaux is told.
    outside = f.public_need_form(commune="Bordeaux", owner_email="autre@exemple.fr")
    assert client.post("/exprimer-un-besoin", data=outside).status_code == 409


def test_a_need_inside_the_pays_is_sent_without_a_word(client):
    response = client.post("/exprimer-un-besoin", data=f.public_need_form())
    assert response.status_code == 302
    assert "n&#39;en fait pas partie" not in client.get(response.location).get_data(as_text=True)


def test_the_duplicate_and_the_territory_are_asked_together_and_each_box_is_kept(client):
    form = f.public_need_form(company_commune="Bordeaux")
    assert (
        client.post("/exprimer-un-besoin", data={**form, "confirm_outside": "1"}).status_code == 302
    )
    again = {**form, "submission_token": "", "title": "Comptabilité, 2 jours par semaine"}
    response = client.post("/exprimer-un-besoin", data=again)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'name="confirm_duplicate"' in page and 'name="confirm_outside"' in page
    # One box ticked: the other is asked again, the ticked one travels with the form.
    response = client.post("/exprimer-un-besoin", data={**again, "confirm_duplicate": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert '<input type="hidden" name="confirm_duplicate" value="1">' in page
    # And the other way round.
    response = client.post("/exprimer-un-besoin", data={**again, "confirm_outside": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="confirm_outside"' not in page and 'id="confirm_duplicate"' in page
    assert '<input type="hidden" name="confirm_outside" value="1">' in page
    response = client.post(
        "/exprimer-un-besoin", data={**again, "confirm_duplicate": "1", "confirm_outside": "1"}
    )
    assert response.status_code == 302 and count(Need) == 2


def test_a_logged_in_owner_is_told_when_their_need_is_transmitted(client, auth):
    owner = auth.login("company", client=client)
    form = f.public_need_form(
        commune="Bordeaux", owner_email=owner.email, confirm_outside="1", siret=None
    )
    form.update(
        siret=owner.companies[0].siret,
        company_name=owner.companies[0].name,
        company_commune=owner.companies[0].commune,
    )
    response = client.post("/exprimer-un-besoin", data=form)
    assert response.status_code == 302 and response.location == "/entreprise"
    page = client.get("/entreprise").get_data(as_text=True)
    assert "Bordeaux (33000) n&#39;en fait pas partie" in page


def test_the_staff_see_the_flag_on_the_company_and_the_need_pages(client, auth):
    # The interchange takes any current commune: an import of Bordeaux is accepted.
    outside = make_company(commune=BORDEAUX)
    inside = make_company(commune=f.ARCACHON)
    f.load(f.document(needs=[f.need(ref="n-out", company=outside.ref)]))
    f.load(f.document(needs=[f.need(ref="n-in", company=inside.ref)]))
    f.load(f.document(needs=[f.need(ref="n-away", company=inside.ref, commune=BORDEAUX)]))
    auth.login("animateur", client=client)
    flag = "Hors du territoire : Bordeaux (33000), Bordeaux Métropole, n&#39;est pas une des 17"
    assert flag in main_of(client.get(f"/animateur/entreprises/{outside.ref}"))
    assert "Hors du territoire" not in main_of(client.get(f"/animateur/entreprises/{inside.ref}"))
    assert flag in main_of(client.get("/animateur/besoins/n-out"))
    assert flag in main_of(client.get("/animateur/besoins/n-away"))
    assert "Hors du territoire" not in main_of(client.get("/animateur/besoins/n-in"))
    # The board's rows say it too, without the « hors » filter.
    board = main_of(client.get("/animateur/besoins"))
    tag = '<span class="status status-hors">hors du territoire</span>'
    assert board.count(tag) == 2
    row = re.search(r"<tr>(?:(?!</tr>).)*n-in(?:(?!</tr>).)*</tr>", board, re.S).group(0)
    assert tag not in row


def test_an_owner_moving_their_need_outside_the_pays_is_told_on_saving(client):
    from tests.test_owner_edit import _edit_link, _filled
    from tests.test_web_need_public import _post_and_confirm

    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    data = _filled(client.get(edit))
    assert client.post(edit, data={**data, "hours_per_week": "20"}).status_code == 302
    assert "n&#39;en fait pas partie" not in client.get(space).get_data(as_text=True)
    assert (
        client.post(edit, data={**_filled(client.get(edit)), "commune": "Bordeaux"}).status_code
        == 302
    )
    assert "Bordeaux (33000) n&#39;en fait pas partie" in client.get(space).get_data(as_text=True)
