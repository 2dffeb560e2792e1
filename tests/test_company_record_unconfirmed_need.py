"""A public need its author has not confirmed yet, for a listed company's SIRET: the
company's record and history tell the staff it waits on its author, in the needs
board's words (« En attente de »), and whether that author is unattached, instead of
« enregistré (nouveau) » as if it were in the queue. Once confirmed, its status."""

from __future__ import annotations

import re

from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Need, OutboxMessage
from connectences.needs.board import WAITING_ON
from connectences.tabular import read_table
from tests import factories as f
from tests.helpers import make_company, page_text

STRANGER = "a.stranger@exemple.fr"
OWNER = "patron@dupond.fr"
CONFIRM_LINK = re.compile(r"http://localhost(/exprimer-un-besoin/confirmer/[^\s<\"]+)")
WAITING = "en attente de " + WAITING_ON["entreprise"][0].lower() + WAITING_ON["entreprise"][1:]


def _post_need(app, siret: str, email: str, title: str) -> None:
    data = f.public_need_form(siret=siret, owner_email=email, title=title)
    assert app.test_client().post("/exprimer-un-besoin", data=data).status_code == 302


def _sections(client, ref: str) -> tuple[str, str]:
    """The record's « Besoins » list and « Historique des contacts », as read."""
    said = page_text(client.get(f"/animateur/entreprises/{ref}"))
    needs = said[said.index("Besoins") : said.index("Historique des contacts")]
    return needs, said[said.index("Historique des contacts") :]


def test_an_unconfirmed_need_is_told_as_waiting_on_its_author(app, client, auth):
    company = make_company(name="Boulangerie Dupond", contact_email=OWNER)
    _post_need(app, company.siret, STRANGER, "Besoin d'un inconnu")
    _post_need(app, company.siret, OWNER, "Besoin du patron")
    auth.login("animateur")

    needs, history = _sections(client, company.ref)

    stranger_words = f"Non confirmé, {WAITING} ; demandeur non rattaché à l'entreprise"
    assert f"Besoin d'un inconnu — {stranger_words}" in needs
    assert f"Besoin du patron — Non confirmé, {WAITING} Reçu le" in needs
    assert f"Besoin « Besoin d'un inconnu » enregistré ({stranger_words.lower()})" in history
    assert f"Besoin « Besoin du patron » enregistré (non confirmé, {WAITING})" in history
    assert "(nouveau)" not in history and "Nouveau" not in needs


def test_once_confirmed_its_status_is_told(app, client, auth):
    company = make_company(name="Boulangerie Dupond", contact_email=OWNER)
    _post_need(app, company.siret, OWNER, "Besoin du patron")
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == OWNER)).one()
    assert client.post(CONFIRM_LINK.search(mail.body_text).group(1)).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Need)).one().owner_confirmed_at is not None
    auth.login("animateur")

    needs, history = _sections(client, company.ref)

    assert "Besoin du patron — Nouveau" in needs
    assert "Besoin « Besoin du patron » enregistré (nouveau)" in history
    assert "Non confirmé" not in needs and "non confirmé" not in history


def _need_page(client, title: str) -> str:
    need = db.session.scalars(select(Need).where(Need.title == title)).one()
    return page_text(client.get(f"/animateur/besoins/{need.ref}"))


def test_the_need_page_tells_its_status_as_waiting_on_its_author(app, client, auth):
    """The need's own page said « Statut actuel : Nouveau » above the warning that it
    waits for its author's confirmation; it says so in the record's words. The exports
    keep the status stored (« Nouveau »)."""
    company = make_company(name="Boulangerie Dupond", contact_email=OWNER)
    _post_need(app, company.siret, STRANGER, "Besoin d'un inconnu")
    _post_need(app, company.siret, OWNER, "Besoin du patron")
    auth.login("animateur")

    stranger = _need_page(client, "Besoin d'un inconnu")
    owner = _need_page(client, "Besoin du patron")

    stranger_words = f"Non confirmé, {WAITING} ; demandeur non rattaché à l'entreprise"
    assert f"Statut actuel : {stranger_words} ." in stranger
    assert f"Statut actuel : Non confirmé, {WAITING} ." in owner
    assert f"Besoin du patron Non confirmé, {WAITING} · Boulangerie Dupond" in owner
    for page in (stranger, owner):
        assert "Statut actuel : Nouveau" not in page and "Nouveau ·" not in page
        assert f"Statut actuel : non confirmé, {WAITING}" in page  # « Proposer » notice
    for fmt in ("csv", "xlsx"):
        export = client.get(f"/animateur/besoins/export/{fmt}?attente=entreprise")
        _, rows = read_table(f"besoins.{fmt}", export.get_data())
        assert {(row["Intitulé"], row["Statut"]) for row in rows} == {
            ("Besoin d'un inconnu", "Nouveau"),
            ("Besoin du patron", "Nouveau"),
        }


def test_once_confirmed_the_need_page_tells_its_status(app, client, auth):
    company = make_company(name="Boulangerie Dupond", contact_email=OWNER)
    _post_need(app, company.siret, OWNER, "Besoin du patron")
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == OWNER)).one()
    assert client.post(CONFIRM_LINK.search(mail.body_text).group(1)).status_code == 302
    auth.login("animateur")

    page = _need_page(client, "Besoin du patron")

    assert "Statut actuel : Nouveau ." in page and "Non confirmé" not in page
