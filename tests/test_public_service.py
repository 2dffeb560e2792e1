"""Public-service basics: every page carries the legal footer; the legal notice, the
accessibility statement, the contact page and the site map say what the configuration
says; need, candidate and lead pages have a print stylesheet."""

from __future__ import annotations

import html
import re

import pytest

from tests.helpers import LEGAL_VALUES, main_of, page_text

EXAMPLE_MARK = "(valeur d'exemple, à définir pour cette installation)"

FOOTER_LINKS = {
    "Mentions légales": "/mentions-legales",
    "Accessibilité : partiellement conforme": "/accessibilite",
    "Données personnelles": "/donnees-personnelles",
    "Plan du site": "/plan-du-site",
    "Contact": "/contact",
}


def _footer(page: str) -> str:
    start = page.index('<footer class="site-footer">')
    text = html.unescape(page[start : page.index("</footer>", start)])
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    "path", ["/", "/connexion", "/exprimer-un-besoin", "/deposer-mon-cv", "/contact"]
)
def test_public_pages_carry_the_legal_footer(client, path):
    footer = _footer(client.get(path).get_data(as_text=True))
    for label, href in FOOTER_LINKS.items():
        assert f'href="{href}">{label}</a>' in footer, label


@pytest.mark.parametrize("role", ["animateur", "operator", "company", "territoire"])
def test_logged_in_pages_carry_the_legal_footer(client, auth, role):
    auth.login(role)
    page = client.get("/accueil", follow_redirects=True).get_data(as_text=True)
    footer = _footer(page)
    assert "Mentions légales" in footer and "Plan du site" in footer


def test_legal_notice_and_contact_come_from_the_configuration(app, client, monkeypatch):
    for key, value in {
        "LEGAL_PUBLISHER": "Syndicat mixte d'essai",
        "LEGAL_DIRECTOR": "Mme Directrice Essai",
        "LEGAL_HOST": "Hébergeur Essai SAS, Bordeaux",
        "CONTACT_PHONE": "05 56 11 22 33",
        "CONTACT_ADDRESS": "12 rue de l'Essai, 33260 La Teste-de-Buch",
        "CONTACT_EMAIL": "equipe@essai.example",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    legal = html.unescape(client.get("/mentions-legales").get_data(as_text=True))
    for value in ("Syndicat mixte d'essai", "Mme Directrice Essai", "Hébergeur Essai SAS"):
        assert value in legal
    contact = html.unescape(client.get("/contact").get_data(as_text=True))
    assert 'href="tel:0556112233">05 56 11 22 33</a>' in contact
    assert "12 rue de l'Essai, 33260 La Teste-de-Buch" in contact
    assert "equipe@essai.example" in contact
    # And every page gives the phone number in its footer.
    assert "05 56 11 22 33" in _footer(client.get("/").get_data(as_text=True))


def test_example_legal_values_are_marked_as_examples_never_shown_as_real(app, client, monkeypatch):
    # The shipped defaults: each value the legal notice states is marked as an example.
    legal = page_text(client.get("/mentions-legales"))
    for key in LEGAL_VALUES:
        assert f"{app.config[key]} {EXAMPLE_MARK}" in legal, key
    contact = main_of(client.get("/contact"))
    assert contact.count("valeur d'exemple") == 3  # phone, e-mail, address
    assert EXAMPLE_MARK in _footer(client.get("/").get_data(as_text=True))
    # One value set by the installation loses its mark; the others keep theirs.
    monkeypatch.setitem(app.config, "LEGAL_DIRECTOR", "Mme Camille Essai, présidente")
    legal = page_text(client.get("/mentions-legales"))
    assert f"Mme Camille Essai, présidente {EXAMPLE_MARK}" not in legal
    assert legal.count(EXAMPLE_MARK) == len(LEGAL_VALUES) - 1
    # All set: no mark anywhere.
    for key, value in LEGAL_VALUES.items():
        monkeypatch.setitem(app.config, key, value)
    for path in ("/mentions-legales", "/contact", "/accessibilite", "/"):
        assert "valeur d'exemple" not in client.get(path).get_data(as_text=True), path


def test_accessibility_statement_follows_the_rgaa_form(client):
    page = html.unescape(client.get("/accessibilite").get_data(as_text=True))
    for heading in (
        "Déclaration d'accessibilité",
        "État de conformité",
        "partiellement conforme",
        "Résultats des tests",
        "axe-core",
        "Contenus non accessibles",
        "Non-conformités connues",
        "Établissement de cette déclaration",
        "Retour d'information et contact",
        "Voies de recours",
        "Défenseur des droits",
    ):
        assert heading in page, heading


def test_site_map_lists_public_pages_and_the_visitor_space(client, auth):
    anonymous = html.unescape(client.get("/plan-du-site").get_data(as_text=True))
    assert 'href="/exprimer-un-besoin">Exprimer un besoin en compétences</a>' in anonymous
    assert 'href="/deposer-mon-cv">Déposer mon CV</a>' in anonymous
    # Each way back to one's own space by a mailed link: the CV's and the needs'.
    assert 'href="/mon-cv/lien">Recevoir le lien de mon espace CV</a>' in anonymous
    assert 'href="/entreprise/lien">Recevoir le lien de suivi de mes besoins</a>' in anonymous
    assert "Mon espace" not in anonymous
    auth.login("animateur")
    staff = html.unescape(client.get("/plan-du-site").get_data(as_text=True))
    assert "Mon espace" in staff and ">Tableau de bord</a>" in staff


def test_pages_link_a_print_stylesheet(client, app):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'href="/static/css/print\.css\?v=\w+" media="print"', page)
    css = app.root_path + "/static/css/print.css"
    with open(css, encoding="utf-8") as fh:
        text = fh.read()
    # Menus, buttons and forms are left off the paper.
    assert ".site-nav" in text and "form, button" in text
