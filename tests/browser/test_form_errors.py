"""Forms sent with mistakes, in the browser, on a phone: the page comes back on a
summary that takes the focus and links to each field in error (the link giving it the
focus, a group of boxes included), each error shown next
to its field, what was typed still there, and no browser popup in English (every form
is ``novalidate``: the server says what is wrong, in French)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from connectences.clock import local_today
from tests.browser.support import (
    PHONE,
    check,
    dates_without_format,
    describe,
    lead_to_accept,
    log_in,
    open_as,
    overflow,
    path_of,
)

pytestmark = pytest.mark.browser


def _errors_next_to_their_fields(page, label: str) -> list[str]:
    """What is wrong with the page of a form sent back with errors ([] when all is well)."""
    problems = []
    summary = page.locator('.form-error[tabindex="-1"]')
    if summary.count() != 1 or not summary.is_visible():
        return [f"{label} : pas de résumé des erreurs visible"]
    if not page.evaluate("() => document.activeElement.classList.contains('form-error')"):
        problems.append(f"{label} : le résumé des erreurs n'a pas le focus")
    links = summary.locator("a").all()
    if not links:
        problems.append(f"{label} : le résumé ne mène à aucun champ")
    for link in links:
        target = link.get_attribute("href").lstrip("#")
        field = page.locator(f"#{target}")
        error = page.locator(f"#{target}-erreurs")
        if not field.count() or not error.count() or not error.is_visible():
            problems.append(f"{label} : l'erreur du champ « {target} » n'est pas à côté de lui")
            continue
        # Next to it: within the same field block, at most a screen's third apart.
        gap = abs(error.bounding_box()["y"] - field.bounding_box()["y"])
        if gap > PHONE["height"] / 3:
            problems.append(f"{label} : l'erreur du champ « {target} » est à {gap:.0f} px de lui")
        # Followed with the keyboard, the link brings the focus to the field (into it,
        # for a group of boxes), not just the page's scroll.
        link.press("Enter")
        if not page.evaluate(
            "(id) => document.getElementById(id).contains(document.activeElement)", target
        ):
            problems.append(f"{label} : le lien du résumé ne donne pas le focus à « {target} »")
    # A form whose fields the browser would check itself (with its English popups).
    unguarded = page.evaluate(
        """() => [...document.querySelectorAll('form:not([novalidate])')]
              .filter(f => f.querySelector('[required], [pattern], [min], [max], '
                  + 'input[type=email], input[type=number], input[type=date], input[type=url]'))
              .map(f => f.getAttribute('action'))"""
    )
    if unguarded:
        problems.append(f"{label} : formulaires sans novalidate {unguarded}")
    return problems


def _send(page, button_name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button_name).click()


def _after(page, label: str, problems: list[str], blocking: list) -> None:
    problems += _errors_next_to_their_fields(page, label)
    blocking += check(page, "erreurs-" + label.split(" : ")[0].replace(" ", "-").lower(), label)


def _none_found(problems: list[str], blocking: list) -> None:
    assert not problems, "\n".join(problems)
    assert not blocking, describe(blocking)


def test_operator_forms_bring_their_errors_next_to_their_fields(page, live_server):
    open_as(page, live_server, "operator", PHONE)
    url = live_server.url + lead_to_accept(page, live_server)
    problems, blocking = [], []

    page.goto(url)
    page.get_by_text("Refuser…").click()
    page.locator("#precision-refus").fill("Trop loin de nos métiers")
    _send(page, "Confirmer le refus")
    _after(page, "refus de proposition", problems, blocking)
    assert page.input_value("#precision-refus") == "Trop loin de nos métiers"

    page.goto(url)
    page.get_by_text("Rendre la proposition…").click()
    _send(page, "Confirmer : rendre à l'animateur")
    _after(page, "rendre la proposition", problems, blocking)
    _none_found(problems, blocking)


def test_partner_refusal_brings_its_errors_next_to_its_fields(page, live_server):
    open_as(page, live_server, "partner", PHONE)
    page.goto(live_server.url + path_of(live_server, "referrals.index"))
    page.locator('main a[href^="/partenaire/reorientations/"]').first.click()
    page.get_by_text("Refuser…").click()
    _send(page, "Confirmer le refus")
    problems, blocking = [], []
    _after(page, "refus de réorientation", problems, blocking)
    _none_found(problems, blocking)


def test_admin_and_account_forms_bring_their_errors_next_to_their_fields(page, live_server):
    open_as(page, live_server, "admin", PHONE)
    problems, blocking = [], []

    page.goto(live_server.url + path_of(live_server, "admin.index"))
    page.get_by_label("Adresse e-mail de la personne").fill("nouvelle.personne@exemple.fr")
    page.get_by_label("Rôle").select_option("operator")
    _send(page, "Envoyer l'invitation")
    _after(page, "invitation", problems, blocking)
    assert page.input_value("#email") == "nouvelle.personne@exemple.fr"

    page.goto(live_server.url + path_of(live_server, "admin.api_tokens_index"))
    page.get_by_label("Adresse e-mail du compte").fill("personne.inconnue@exemple.fr")
    page.get_by_label("Nom du jeton").fill("Outil de la Région")
    _send(page, "Créer le jeton")
    _after(page, "jeton d'accès", problems, blocking)
    assert page.input_value("#name") == "Outil de la Région"

    page.goto(live_server.url + path_of(live_server, "auth.change_password"))
    page.get_by_label("Mot de passe actuel").fill("pas le bon mot de passe")
    page.get_by_label("Nouveau mot de passe").fill("une phrase assez longue pour passer")
    page.get_by_label("Confirmez le mot de passe").fill("une phrase assez longue pour passer")
    _send(page, "Changer le mot de passe")
    _after(page, "mot de passe", problems, blocking)
    _none_found(problems, blocking)


def test_animateur_forms_bring_their_errors_next_to_their_fields(page, live_server):
    open_as(page, live_server, "animateur", PHONE)
    problems, blocking = [], []

    page.goto(live_server.url + path_of(live_server, "directory.index"))
    page.locator('main a[href^="/animateur/entreprises/"]:not([href$="/nouvelle"])').first.click()
    page.get_by_text("Ajouter un contact").click()
    page.locator("#contact-email").fill("pas-une-adresse")
    _send(page, "Ajouter le contact")
    _after(page, "contact d'entreprise", problems, blocking)
    assert page.input_value("#contact-email") == "pas-une-adresse"

    page.goto(live_server.url + path_of(live_server, "library.index"))
    page.locator('main a[href*="/cvtheque/demo-cv-"]').first.click()
    page.get_by_role("link", name="Ajouter un engagement").click()
    page.get_by_label("Heures par semaine").fill("60")
    _send(page, "Ajouter à sa semaine")
    _after(page, "engagement", problems, blocking)
    assert page.input_value("#heures") == "60"

    page.goto(live_server.url + path_of(live_server, "library_admin.new_candidate"))
    page.get_by_label("Prénom").fill("Maïa")
    _send(page, "Créer le profil")
    _after(page, "profil créé par l'animateur", problems, blocking)
    assert page.input_value("#first_name") == "Maïa"
    _none_found(problems, blocking)


def test_animateur_follow_up_and_contact_erasure_bring_their_errors_next_to_their_fields(
    page, live_server
):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "animateur")
    problems, blocking = [], []

    page.goto(live_server.url + path_of(live_server, "visits.follow_ups"))
    first = page.locator('main input[name="follow_up_on"]').first
    assert first.count() == 1, "aucune relance dans la démonstration"
    past = (local_today() - timedelta(days=2)).isoformat()
    first.fill(past)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Reporter")).first.click()
    _after(page, "report de relance", problems, blocking)
    assert (
        page.locator('main input[name="follow_up_on"][aria-invalid="true"]').input_value() == past
    )

    page.goto(live_server.url + path_of(live_server, "directory.index"))
    page.locator('main a[href^="/animateur/entreprises/"]:not([href$="/nouvelle"])').first.click()
    rights = page.locator("main details").filter(has_text="Droits de la personne").first
    assert rights.count() == 1, "aucun contact dans la fiche de démonstration"
    rights.locator("summary").click()
    rights.get_by_label("Demande reçue").fill("appel du 3 mars")
    _send(page, "Effacer ce contact")
    _after(page, "effacement de contact", problems, blocking)
    assert page.locator('input[name="motif"][value="appel du 3 mars"]').count() == 1
    _none_found(problems, blocking)


def _typed_and_sent_back(page, label, button, typed, problems, blocking) -> None:
    """Type ``typed`` (field selector: value), send the form with ``button``, check the
    page it comes back on and that every value is still there."""
    for selector, value in typed.items():
        page.locator(selector).fill(value)
    _send(page, button)
    _after(page, label, problems, blocking)
    for selector, value in typed.items():
        assert page.input_value(selector) == value, f"{label} : {selector} perdu"


def test_need_page_and_cv_forms_bring_their_errors_next_to_their_fields(page, live_server):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "animateur")
    problems, blocking = [], []

    # A need in search whose company can be reached: it may be proposed and abandoned.
    page.goto(live_server.url + path_of(live_server, "needs.index") + "?statut=en_recherche")
    links = page.locator('main a[href^="/animateur/besoins/"]')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    hrefs = [h for h in hrefs if re.fullmatch(r"/animateur/besoins/[\w-]+", h)]
    for href in hrefs:
        page.goto(live_server.url + href)
        if page.locator("#operateur").count():
            break
    else:
        pytest.fail(f"aucun besoin en recherche à proposer parmi {hrefs}")
    url = page.url
    page.locator("#operateur").select_option("")
    typed = {"#note": "À rappeler demain"}
    _typed_and_sent_back(
        page, "proposition à un opérateur", "Proposer à l'opérateur", typed, problems, blocking
    )

    page.goto(url)
    page.get_by_text("Abandonner le besoin…").click()
    typed = {"#precision-abandon": "Vu au téléphone"}
    _typed_and_sent_back(
        page, "abandon du besoin", "Abandonner le besoin", typed, problems, blocking
    )

    page.goto(live_server.url + path_of(live_server, "library.index"))
    page.locator('main a[href*="/cvtheque/demo-cv-"]').first.click()
    # Past the field's own limit (a browser may let it through): the server refuses it.
    page.locator("#notes-texte").evaluate("(area) => area.removeAttribute('maxlength')")
    typed = {"#notes-texte": "x" * 5001}
    _typed_and_sent_back(
        page, "notes de la CVthèque", "Enregistrer les notes", typed, problems, blocking
    )
    _none_found(problems, blocking)


def test_public_forms_bring_their_errors_next_to_their_fields(page, live_server):
    """The CV and need forms sent empty: among their errors, groups of boxes (level,
    days, contracts) whose summary links must bring the focus into the group."""
    page.set_viewport_size(PHONE)
    problems, blocking = [], []
    for endpoint, button, label in (
        ("cv_public.submit", "Envoyer mon profil", "dépôt de CV"),
        ("need_public.form", "Envoyer mon besoin", "besoin public"),
    ):
        page.goto(live_server.url + path_of(live_server, endpoint))
        _send(page, button)
        _after(page, label, problems, blocking)
        # The date fields (availability, start) say how a date is written.
        problems += [f"{label} : « {d} » ne dit pas jj/mm/aaaa" for d in dates_without_format(page)]
    _none_found(problems, blocking)


def test_an_error_quoting_a_long_typed_value_wraps_on_a_phone(page, live_server):
    """An error quotes what was typed (« … » n'est pas une adresse e-mail valide): a
    long unbroken value, pasted in the address or the phone, widened the summary and
    the field's error beyond a 390 px window (the page scrolled sideways)."""
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path_of(live_server, "cv_public.submit"))
    page.get_by_label("Adresse e-mail").fill("a" * 300 + "@exemple.fr")
    page.get_by_label("Téléphone (facultatif)").fill("0" * 120)
    page.get_by_label("Commune où vous habitez").fill("z" * 200)
    _send(page, "Envoyer mon profil")
    assert "n'est pas une adresse e-mail valide" in page.locator(".form-error").inner_text()
    assert "n'est pas une adresse e-mail valide" in page.locator("#email-erreurs").inner_text()
    assert overflow(page) <= 0


def test_the_drawn_marks_of_errors_and_menus_are_not_read(page, live_server):
    """The ⚠ before each error and the ▾ ▴ of the menus are drawn by the style sheet: a
    screen reader read them too (the menu button was named « Menu ▾ », each error began
    with « ⚠ » before its own « Erreur : »). Read from Chromium's accessibility tree."""
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path_of(live_server, "cv_public.submit"))
    _send(page, "Envoyer mon profil")
    assert page.locator(".errors li").count() and page.locator(".nav-toggle").count()
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    read = {node.get("name", {}).get("value", "") for node in nodes}
    assert not [name for name in read if any(mark in name for mark in "⚠▾▴")]
    assert page.get_by_role("button", name="Menu").count() == 1
