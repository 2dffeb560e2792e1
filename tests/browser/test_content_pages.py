"""On a phone: a company owner finds a resource with the filters, reads it, then asks to be
called back (sending the form wrong first); every page passes axe-core without a serious
or critical violation and never scrolls sideways."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import CallbackRequest, DirectoryEntry, Resource
from tests.browser.support import (
    DESKTOP,
    PHONE,
    check,
    describe,
    open_as,
    path_of,
    stored_row,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def resources(live_server):
    """A resource with a script typed in its Markdown, beside the demo's (removed afterwards)."""
    with live_server.app.app_context():
        db.session.add(
            Resource(
                slug="prime-embauche-saisonniers",
                title="Prime à l'embauche de saisonniers",
                summary="En bref : une prime pour un premier contrat saisonnier.",
                body="## Qui peut en bénéficier ?\n\nLes TPE **de moins de 11 salariés**.\n\n"
                "- un contrat de 3 mois au moins\n"
                "- [la fiche officielle](https://www.service-public.fr)\n\n"
                "<script>alert('piège')</script>",
                topics=["saisonniers", "aides_relance"],
                source="Région Nouvelle-Aquitaine",
                valid_until=date(2099, 12, 31),
                published=True,
            )
        )
        db.session.commit()
        db.session.remove()
    yield
    with live_server.app.app_context():
        db.session.query(Resource).filter(Resource.slug == "prime-embauche-saisonniers").delete()
        db.session.commit()
        db.session.remove()


def test_resources_and_call_back_on_a_phone(page, live_server, resources):
    page.set_viewport_size(PHONE)
    blocking = []
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(live_server.url + path_of(live_server, "content.resources"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ressources pour les entreprises", use_inner_text=True
    )
    blocking += check(page, "ressources-390", "ressources (390 px)")
    page.get_by_role("searchbox", name="Recherche").fill("prime")
    page.get_by_label("Thème").select_option("saisonniers")
    with page.expect_navigation():
        page.get_by_role("button", name="Rechercher").click()
    assert (
        page.locator("#titre-liste").inner_text() == "1 ressource correspondant à votre recherche"
    )
    # The demo's other resources on seasonal work do not speak of a "prime".
    assert page.get_by_role("link", name="Recruter et loger ses saisonniers").count() == 0
    blocking += check(page, "ressources-filtre-390", "ressources filtrées (390 px)")

    with page.expect_navigation():
        page.get_by_role("link", name="Prime à l'embauche de saisonniers").click()
    expect(page.get_by_role("heading", name="Qui peut en bénéficier ?")).to_be_visible()
    # The script typed in the Markdown is shown as text, never run.
    expect(page.get_by_text("<script>alert('piège')</script>")).to_be_visible()
    blocking += check(page, "ressource-390", "une ressource (390 px)")

    with page.expect_navigation():
        page.get_by_role("link", name="Être rappelé pour en parler").click()
    assert page.url.endswith(path_of(live_server, "content.callback"))
    blocking += check(page, "etre-rappele-390", "être rappelé (390 px)")

    # Sent wrong first: French errors next to their fields, nothing stored.
    page.get_by_label("Votre téléphone").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="Être rappelé").click()
    expect(page.locator(".form-error").first).to_be_visible()
    assert (
        page.locator("#phone-erreurs")
        .inner_text()
        .endswith("n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78).")
    )
    assert page.locator("#name-erreurs").inner_text().endswith("Indiquez votre nom.")
    blocking += check(page, "etre-rappele-erreurs-390", "être rappelé, erreurs (390 px)")

    page.get_by_label("Votre nom").fill("Marie Durand")
    page.get_by_label("Votre téléphone").fill("06 12 34 56 78")
    page.get_by_label("Le matin (9 h – 12 h)").check()
    page.get_by_label("De quoi voulez-vous parler ?").select_option("saisonniers")
    page.get_by_label("Sa commune (facultatif)").fill("Arcachon (33120)")
    with page.expect_navigation():
        page.get_by_role("button", name="Être rappelé").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Merci, Marie Durand")
    blocking += check(page, "etre-rappele-merci-390", "être rappelé, confirmation (390 px)")

    stored = stored_row(live_server, CallbackRequest, CallbackRequest.name == "Marie Durand")
    assert stored is not None and stored.commune == "33009" and stored.topic == "saisonniers"
    assert stored.animateur_id is not None
    assert not dialogs
    assert not blocking, describe(blocking)


def test_staff_resources_list_is_stacked_cards_on_a_phone(page, live_server, resources):
    """Each resource is a card (title, state, date, author each labelled), not a table
    row whose 'Auteur' column scrolls sideways inside the page."""
    open_as(page, live_server, "animateur", PHONE, path_of(live_server, "content_staff.resources"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ressources pour les entreprises")
    widths = page.locator("main table").evaluate(
        "t => ({table: t.scrollWidth, window: document.documentElement.clientWidth,"
        " author: getComputedStyle(t.querySelector('td[data-label=Auteur]')).display})"
    )
    assert widths["table"] <= widths["window"], f"the list scrolls sideways: {widths}"
    assert widths["author"] == "block", widths  # its own labelled line in the card
    check(page, "ressources-equipe-390", "ressources de l'équipe (390 px)")


@pytest.fixture
def proposed_entry(live_server):
    """The operator's directory entry as the demo has it, given back after the test."""
    with live_server.app.app_context():
        entry = db.session.scalars(
            select(DirectoryEntry).where(DirectoryEntry.operator_id.is_not(None))
        ).first()
        entry_id, proposed = entry.id, entry.proposed
        db.session.remove()
    yield
    with live_server.app.app_context():
        entry = db.session.get(DirectoryEntry, entry_id)
        entry.proposed, entry.proposed_at, entry.proposed_by_id = proposed, None, None
        db.session.commit()
        db.session.remove()


def test_staff_directory_versions_are_cards_on_a_phone(page, live_server, proposed_entry):
    """The operator proposes a change to its « Qui fait quoi » entry; the animateur reads
    its versions (Rubrique, Publiée, Proposée) as one card per line on a phone, a long
    address included, without scrolling sideways, and as a table on a desktop."""
    website = "https://www.ge-bassin-emploi.example/" + "x" * 120  # one unbroken word
    open_as(page, live_server, "operator", PHONE, "/operateur/fiche")
    page.get_by_label("Site web").fill(website)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer pour validation").click()
    page.context.clear_cookies()
    path = path_of(live_server, "content_staff.directory_pending")
    open_as(page, live_server, "animateur", PHONE, path)
    table = page.locator("main table", has_text=website)
    expect(table).to_be_visible()
    shown = table.evaluate(
        "t => ({table: t.scrollWidth, box: t.parentElement.clientWidth,"
        " cell: getComputedStyle(t.querySelector('td[data-label=Proposée]')).display})"
    )
    assert shown["table"] <= shown["box"], f"the versions scroll sideways: {shown}"
    assert shown["cell"] == "block", shown  # its own labelled line in the card
    blocking = check(page, "qui-fait-quoi-equipe-390", "qui fait quoi, équipe (390 px)")
    page.set_viewport_size(DESKTOP)
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    assert not blocking, describe(blocking)
