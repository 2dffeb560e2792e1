"""The pages of the people who work the platform, as they use them in a real browser:
an animateur's home on a doorstep (what is due today, direct links, "Nouvelle visite"
first), the visits list with its filters folded on a phone, the shared-time posts;
an operator's and a partner's homes and inboxes; the intercommunality officer's
observatory over a period; the administrator's accounts and failed mails; a job
seeker's own profile; the login, password and French error pages.

Each page is screenshotted to ``test-artifacts/screenshots/revue-*.jpg``, passes
axe-core with no serious or critical violation and, at 390 px, never scrolls sideways.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import OutboxMessage, User
from tests.browser.support import (
    ACCOUNTS,
    DESKTOP,
    PHONE,
    check,
    describe,
    log_in,
    open_as,
)

pytestmark = pytest.mark.browser


def both_sizes(page, name: str, label: str) -> list[dict]:
    """The current page checked on a desktop, then on a phone (left at phone size)."""
    blocking = []
    for suffix, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        blocking += check(page, f"revue-{name}-{suffix}", f"{label} ({suffix} px)")
    return blocking


def count_in(text: str) -> int:
    """The first whole number of a sentence ("12 besoins correspondant aux filtres")."""
    match = re.search(r"\d[\d\u202f\u00a0 ]*", text)
    assert match, f"aucun nombre dans « {text} »"
    return int(re.sub(r"\D", "", match.group()))


# --- animateur -------------------------------------------------------------------------


def test_animateur_home_says_what_is_due_with_direct_links(page, live_server):
    open_as(page, live_server, "animateur", PHONE)
    # On a doorstep, logging the visit comes first: the button is on the first screen.
    new_visit = page.get_by_role("link", name="Nouvelle visite", exact=True).first
    main_visit = page.locator("main").get_by_role("link", name="Nouvelle visite")
    expect(main_visit).to_be_visible()
    box = main_visit.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], "« Nouvelle visite » hors du 1er écran"
    assert new_visit.count() == 1

    due = page.locator("section.todo-item", has=page.get_by_role("heading", name="Mes relances"))
    assert re.search(r"\d+ aujourd'hui", due.locator(".todo-count").inner_text())
    qualify = page.locator(
        "section.todo-item", has=page.get_by_role("heading", name="Besoins à qualifier")
    )
    shown = count_in(qualify.locator(".todo-count").inner_text())
    proposals = page.locator(
        "section.todo-item", has=page.get_by_role("heading", name="Propositions aux opérateurs")
    )
    # The demo has proposals waiting on an operator: the home names their needs.
    assert "sans réponse" in proposals.inner_text()
    assert proposals.locator("li a").count() >= 1
    blocking = both_sizes(page, "animateur-accueil", "accueil de l'animateur")

    # The count on the home is the one of the board's "to qualify" filter.
    with page.expect_navigation():
        qualify.get_by_role("link", name="Tous les besoins à qualifier").click()
    assert "attente=animateur" in page.url
    assert count_in(page.locator("#titre-liste").inner_text()) == shown

    # A need to qualify opens straight on its qualification form.
    page.go_back()
    first = qualify.locator("li a").first
    title = first.inner_text()
    with page.expect_navigation():
        first.click()
    assert page.url.endswith("/qualifier")
    assert title in page.content()

    page.go_back()
    with page.expect_navigation():
        due.get_by_role("link", name="Voir toutes mes relances").click()
    assert page.url.endswith("/animateur/relances")
    blocking += check(page, "revue-relances-390", "mes relances (390 px)")
    assert not blocking, describe(blocking)


def test_visits_list_folds_its_filters_on_a_phone(page, live_server):
    open_as(page, live_server, "animateur", PHONE, "/animateur/visites")
    summary = page.locator("summary", has_text="Filtrer les visites")
    expect(summary).to_be_visible()
    expect(page.get_by_label("Canal")).to_be_hidden()  # folded until asked for
    # The first visit of the list shows within two screens, not after the whole form.
    first_row = page.locator("#titre-liste ~ .table-wrap tbody tr").first
    assert first_row.bounding_box()["y"] < 2 * PHONE["height"]
    blocking = both_sizes(page, "visites", "liste des visites")
    page.set_viewport_size(PHONE)

    summary.click()
    page.get_by_label("Canal").select_option(label="Téléphone")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    # The filters stay open and say how many apply; every row is a phone call.
    expect(summary).to_have_text("Filtrer les visites (1 filtre actif)", use_inner_text=True)
    expect(page.get_by_label("Canal")).to_be_visible()
    channels = page.locator("tbody td[data-label='Canal']").all_inner_texts()
    assert channels and set(channels) == {"Téléphone"}
    total = count_in(page.locator("#titre-totaux").inner_text())
    page.get_by_text("Répartition par canal et par issue").click()
    row = page.locator("table", has_text="Par canal").locator("tr", has_text="Téléphone")
    assert count_in(row.locator("td").inner_text()) == total
    blocking += check(page, "revue-visites-filtrees-390", "visites filtrées (390 px)")
    assert not blocking, describe(blocking)


def test_shared_time_posts_fold_their_proposal_forms(page, live_server):
    log_in(page, live_server, "animateur")
    page.goto(live_server.url + "/animateur/postes-partages")
    posts = page.locator("section.bundle")
    assert posts.count() >= 1
    first = posts.first
    # The first demo post holds a need still to qualify: its box leads there (the form
    # once they are all qualified: test_bundle_proposal.py; a demo post is ready to
    # propose: test_demo.py).
    to_qualify = first.get_by_role("link", name=re.compile(r"^Qualifier « "))
    expect(to_qualify.first).to_be_hidden()
    blocking = both_sizes(page, "postes-partages", "postes en temps partagé")
    first.get_by_text("Transformer en proposition").click()
    expect(to_qualify.first).to_be_visible()
    blocking += check(
        page, "revue-postes-partages-proposition-390", "proposition d'un poste (390 px)"
    )
    assert not blocking, describe(blocking)


# --- operator and partner --------------------------------------------------------------


def test_operator_home_lists_proposals_by_title(page, live_server):
    open_as(page, live_server, "operator", PHONE)
    nav = page.get_by_role("navigation", name="Navigation principale")
    # Three entries on a phone fold into « Menu · Accueil », the current page marked.
    expect(nav.get_by_role("button")).to_have_text("Menu · Accueil", use_inner_text=True)
    expect(nav.locator('a[aria-current="page"]')).to_have_text("Accueil", use_inner_text=True)
    items = page.locator("main .inbox-list > li > a")
    assert items.count() >= 1
    titles = items.all_inner_texts()
    assert "Besoin" not in titles  # each link says which need, not a bare word
    blocking = both_sizes(page, "operateur-accueil", "accueil de l'opérateur")

    page.goto(live_server.url + "/operateur/propositions")
    blocking += both_sizes(page, "operateur-propositions", "propositions de l'opérateur")
    assert "h/semaine" not in page.content()  # hours read "16 h par semaine"

    page.goto(live_server.url + "/operateur")
    with page.expect_navigation():
        items.first.click()
    assert "/operateur/propositions/" in page.url
    assert titles[0] in page.content()
    blocking += both_sizes(page, "operateur-proposition", "une proposition")
    assert not blocking, describe(blocking)


def test_partner_home_and_inbox(page, live_server):
    open_as(page, live_server, "partner", PHONE)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Réorientations reçues")
    items = page.locator("main .inbox-list > li > a")
    assert items.count() >= 1
    title = items.first.inner_text()
    blocking = both_sizes(page, "partenaire-accueil", "accueil du partenaire")

    page.goto(live_server.url + "/partenaire/reorientations")
    blocking += both_sizes(page, "partenaire-reorientations", "réorientations du partenaire")

    page.goto(live_server.url + "/partenaire")
    with page.expect_navigation():
        page.locator("main .inbox-list > li > a").first.click()
    assert "/partenaire/reorientations/" in page.url
    assert title in page.content()
    assert not blocking, describe(blocking)


# --- intercommunality ------------------------------------------------------------------


def test_observatory_reads_plainly_over_a_period(page, live_server):
    log_in(page, live_server, "territoire")
    figures = page.locator("dl.figures")
    received = figures.locator("div", has_text="Besoins reçus").locator("dd").inner_text()
    total = page.locator("tfoot td").first.inner_text()
    assert received == total
    hours = figures.locator("div", has_text="Heures de travail").locator("dd").inner_text()
    assert re.fullmatch(r"\d[\d\u202f]*(,\d)?[ \u00a0]h", hours), hours  # French number, no "."
    assert "Tous les besoins reçus, du" in page.locator("#periode-texte").inner_text()
    # Every step is told in words.
    glossary = page.locator("dl.glossary")
    expect(glossary.get_by_text("Réorienté vers un partenaire")).to_be_visible()
    assert "France Travail" in glossary.inner_text()
    blocking = both_sizes(page, "observatoire", "observatoire")

    page.get_by_label("Période").select_option(label="Les 3 derniers mois (celui-ci compris)")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher").click()
    assert "periode=3m" in page.url
    assert page.get_by_label("Période").input_value() == "3m"
    period = " ".join(page.locator("#periode-texte").inner_text().split())
    assert re.match(r"(Besoins reçus du|Aucun besoin reçu depuis le) \d\d/\d\d/\d{4}", period)
    assert count_in(page.locator("tfoot td").first.inner_text()) <= count_in(total)
    blocking += check(page, "revue-observatoire-3-mois-390", "observatoire sur 3 mois (390 px)")
    assert not blocking, describe(blocking)


# --- administrator ---------------------------------------------------------------------


def test_admin_accounts_and_failed_mail_on_a_phone(page, live_server):
    with live_server.app.app_context():
        db.session.add(
            OutboxMessage(
                kind="account_invitation",
                to="injoignable@exemple.fr",
                subject="[Connect'ences] Votre invitation",
                body_text="Bonjour",
                status="failed",
                attempts=5,
                last_error="Connexion refusée par le relais",
            )
        )
        db.session.commit()
        db.session.remove()
    open_as(page, live_server, "admin", PHONE)
    failed = page.locator("main tr", has_text="injoignable@exemple.fr")
    assert "Connexion refusée par le relais" in failed.inner_text()
    # Accounts are cards on a phone: every "Désactiver" button is on screen.
    for button in page.get_by_role("button", name=re.compile("^Désactiver")).all():
        box = button.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"]
    officer = page.locator("main tr", has_text=ACCOUNTS["territoire"].email)
    assert "COBAS" in officer.inner_text()
    blocking = both_sizes(page, "admin", "administration")
    page.set_viewport_size(PHONE)

    with page.expect_navigation():
        failed.get_by_role("button", name=re.compile("^Relancer")).click()
    expect(page.get_by_text("1 e-mail remis en file d'envoi.")).to_be_visible()
    assert page.locator("main tr", has_text="injoignable@exemple.fr").count() == 0
    blocking += check(page, "revue-admin-courriel-relance-390", "courriel relancé (390 px)")
    assert not blocking, describe(blocking)


def test_admin_confirms_disabling_an_account_without_scrolling_on_a_desktop(page, live_server):
    # The confirmation button names the account ("Confirmer : désactiver
    # animateur@connectences.example"): an address does not wrap, so the table grew wider
    # than its box and, at 1280 px, the button and the phone field were cut at its edge.
    open_as(page, live_server, "admin", DESKTOP)
    row = page.locator("main tr", has_text=ACCOUNTS["animateur"].email)
    row.get_by_text("Désactiver…").click()
    confirm = row.get_by_role("button", name=re.compile("^Confirmer"))
    expect(confirm).to_be_visible()
    email = ACCOUNTS["animateur"].email
    box = page.locator("main .table-wrap", has=page.locator("tr", has_text=email))
    wrap = box.evaluate("e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right]")
    assert wrap[0] <= wrap[1], f"le tableau des comptes déborde de {wrap[0] - wrap[1]} px"
    for control in (confirm, row.get_by_role("textbox")):
        edge = control.bounding_box()
        assert edge["x"] + edge["width"] <= wrap[2] + 0.5
    blocking = check(page, "revue-admin-desactiver-1280", "désactiver un compte (1280 px)")
    assert not blocking, describe(blocking)


def test_admin_changes_a_role_on_a_phone_without_the_page_widening(page, live_server):
    # The page names the account in its title: an address has no place to wrap, and the
    # page grew to 488 px on a 390 px phone.
    open_as(page, live_server, "admin", PHONE, "/admin")
    row = page.locator("main li, main tr", has_text=ACCOUNTS["animateur"].email).first
    row.get_by_role("link", name=re.compile("^Changer le rôle")).click()
    page.get_by_role("button", name="Changer le rôle").click()  # no role chosen
    expect(page.locator("#erreurs-role")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"la page fait {width} px de large"
    blocking = check(page, "revue-admin-role-390", "changer un rôle, refusé (390 px)")
    assert not blocking, describe(blocking)


# --- job seeker ------------------------------------------------------------------------


def test_job_seeker_reads_their_profile_and_pauses_it(page, live_server):
    open_as(page, live_server, "candidate", PHONE)
    profile = page.locator("dl.details")
    jobs = profile.locator("div", has_text="Métiers recherchés").locator("dd").inner_text()
    assert "Comptabilité" in jobs and "M1203" not in jobs  # a job's name, not its code
    assert re.search(r"\d\d/\d\d/\d{4}", profile.inner_text())
    blocking = both_sizes(page, "candidat-profil", "profil du candidat")
    page.set_viewport_size(PHONE)

    with page.expect_navigation():
        page.get_by_role("link", name="Gérer mon profil").click()
    expect(page.get_by_role("link", name="Modifier mon profil")).to_be_visible()
    blocking += check(page, "revue-candidat-espace-390", "espace du candidat (390 px)")
    pause = page.get_by_role("button", name="Je ne suis plus disponible (mettre en pause)")
    with page.expect_navigation():
        pause.click()
    resume = page.get_by_role("button", name="Je suis de nouveau disponible")
    expect(resume).to_be_visible()
    blocking += check(page, "revue-candidat-en-pause-390", "profil en pause (390 px)")
    with page.expect_navigation():
        resume.click()  # the demo profile is shared by other tests: put it back
    expect(pause).to_be_visible()
    assert not blocking, describe(blocking)


# --- login, password, error pages ------------------------------------------------------


def test_login_error_and_password_page_in_french(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill("personne.inconnue@exemple.fr")
    page.get_by_label("Mot de passe").fill("ce n'est pas le bon mot de passe")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    error = page.get_by_role("alert")
    assert error.count() >= 1 and "mot de passe" in error.first.inner_text().lower()
    # Someone who forgot their password is told where to turn; the job seeker's way works.
    forgot = page.locator(".forgot")
    expect(forgot.get_by_role("heading", name="Mot de passe oublié ?")).to_be_visible()
    reset = forgot.get_by_role("link", name="recevez par e-mail un lien pour en choisir un nouveau")
    assert reset.get_attribute("href") == "/mot-de-passe-oublie"
    link = forgot.get_by_role("link", name="recevez par e-mail un lien vers votre espace")
    assert link.get_attribute("href") == "/mon-cv/lien"
    blocking = check(page, "revue-connexion-erreur-390", "connexion refusée (390 px)")

    log_in(page, live_server, "territoire")
    page.goto(live_server.url + "/mot-de-passe")
    expect(page.get_by_role("heading", name="Changer de mot de passe")).to_be_visible()
    blocking += both_sizes(page, "mot-de-passe", "changer de mot de passe")
    page.set_viewport_size(PHONE)
    with page.expect_navigation():
        page.get_by_role("button", name="Changer le mot de passe").click()
    # Nothing filled: each field says what is missing, in French.
    assert page.locator(".errors, .field-error").count() >= 1
    blocking += check(page, "revue-mot-de-passe-erreurs-390", "mot de passe, erreurs (390 px)")
    assert not blocking, describe(blocking)


@pytest.mark.parametrize(
    ("role", "path", "status", "heading"),
    [
        ("candidate", "/animateur", 403, "Accès refusé"),
        ("operator", "/page-qui-n-existe-pas", 404, "Page introuvable"),
    ],
)
def test_error_pages_in_french(page, live_server, role, path, status, heading):
    log_in(page, live_server, role)
    response = page.goto(live_server.url + path)
    assert response.status == status
    expect(page.get_by_role("heading", level=1)).to_have_text(heading, use_inner_text=True)
    back = page.get_by_role("link", name="Retour à l'accueil")
    blocking = both_sizes(page, f"erreur-{status}", f"page d'erreur {status}")
    with page.expect_navigation():
        back.click()
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == ACCOUNTS[role].email))
        home = {"candidate": "/candidat", "operator": "/operateur"}[user.role]
        db.session.remove()
    assert page.url == live_server.url + home
    assert not blocking, describe(blocking)
