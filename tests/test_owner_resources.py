"""The owner's home (their account, their signed link's space) suggests the few public
resources that fit each of their companies: the animateur's suggestions
(``content.resources.suggestions_for``), never a draft, an expired one, one aimed at
other companies, nor anything drawn from a company its author is not attached to."""

from __future__ import annotations

from datetime import date

from connectences.content.resources import OWNER_SUGGESTIONS
from connectences.extensions import db
from connectences.models import User
from tests import factories as f
from tests.helpers import main_of
from tests.test_content_resources import add
from tests.test_web_need_public import _owner_with_a_need, _post_and_confirm

LATER = date(2099, 1, 1)


def _restaurant(company) -> None:
    company.naf = "56.10A"
    company.employees = 3
    db.session.commit()


def _resources() -> None:
    add("Aide restauration", naf_sections=["I"], valid_until=LATER)
    add("Aide restauration COBAS", naf_sections=["I"], epcis=[f.COBAS], valid_until=LATER)
    add("Aide BTP", naf_sections=["F"], valid_until=LATER)
    add("Aide COBAN", epcis=[f.COBAN], valid_until=LATER)
    add("Brouillon restauration", naf_sections=["I"], valid_until=LATER, published=False)
    add("Échue restauration", naf_sections=["I"], valid_until=date(2020, 1, 1))


def test_the_owner_s_home_suggests_the_resources_that_fit_their_company(client, auth):
    owner = auth.login("company", client=client)
    _restaurant(db.session.get(User, owner.id).companies[0])
    _resources()
    page = main_of(client.get("/entreprise"))
    assert "Ressources utiles" in page
    # The most specific first, as on the animateur's page of the company.
    assert page.index("Aide restauration COBAS") < page.index("Aide restauration</a>")
    for unfit in ("Aide BTP", "Aide COBAN", "Brouillon restauration", "Échue restauration"):
        assert unfit not in page
    assert 'href="/ressources/aide-restauration-cobas"' in page


def test_a_few_only(client, auth):
    owner = auth.login("company", client=client)
    _restaurant(db.session.get(User, owner.id).companies[0])
    for n in range(OWNER_SUGGESTIONS + 2):
        add(f"Pour tous {n}", valid_until=LATER)
    assert main_of(client.get("/entreprise")).count('href="/ressources/pour-tous-') == (
        OWNER_SUGGESTIONS
    )


def test_nothing_is_said_when_no_resource_fits(client, auth):
    auth.login("company", client=client)
    add("Brouillon", valid_until=LATER, published=False)
    assert "Ressources utiles" not in main_of(client.get("/entreprise"))


def test_the_signed_space_suggests_them_too(client):
    _resources()
    _need, space = _post_and_confirm(client, company_commune="Arcachon")
    page = main_of(client.get(space))
    assert "Aide restauration COBAS" in page and "Brouillon restauration" not in page


def test_a_stranger_typing_a_known_siret_is_suggested_nothing_from_that_company(app, client, auth):
    owner_browser = app.test_client()
    _, company = _owner_with_a_need(auth, owner_browser)
    _restaurant(company)
    add("Aide restauration", naf_sections=["I"], valid_until=LATER)
    _need, space = _post_and_confirm(
        client,
        siret=company.siret,
        company_name="Société Pirate",
        company_commune="Arcachon",
        owner_email="curieux@concurrent.fr",
    )
    page = main_of(client.get(space))
    assert "Ressources utiles" not in page and "Aide restauration" not in page
    # The owner, on their home, is suggested it.
    assert "Aide restauration" in main_of(owner_browser.get("/entreprise"))
