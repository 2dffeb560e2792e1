"""Each role, on a phone (390 px) and a desktop (1,280 px), walks its main pages: every
entry of its menu and the first page of each kind it opens from there. Each page is
screenshotted and fails on a sideways scroll, a folded phone menu taller than 80 px, a
raw ISO or UTC time, an internal code or reference, English words, or a serious or
critical axe-core violation; then each form of those pages that has a required field is
sent with its fields emptied, and fails unless the answer shows the error next to a
field (aria-invalid, with the summary) or a message saying what happened (nothing is
written: the form is refused). Keyboard only, the visit form and the public need form
are completed with Tab, Space, arrows and Enter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import select

from connectences import vocab
from connectences.clock import local_today
from connectences.demo import build_demo_document
from connectences.extensions import db
from connectences.models import Need, Visit
from connectences.numbers import WEEKS_PER_MONTH
from tests.browser.support import (
    DESKTOP,
    PHONE,
    check,
    describe,
    log_in,
    open_as,
    path_of,
    stored_row,
)

pytestmark = pytest.mark.browser

DOCUMENT = build_demo_document()
# References people must never read: the refs of organisations, companies, people and
# needs, and the platform's codes.
INTERNAL_REFS = sorted(
    {
        item["ref"]
        for kind in ("operators", "partners", "companies", "candidates", "needs")
        for item in DOCUMENT[kind]
    }
)
CODES = sorted(
    {
        code
        for table in (
            vocab.LEVELS,
            vocab.CONTRACTS,
            vocab.NEED_STATUSES,
            vocab.LEAD_STATUSES,
            vocab.REFERRAL_STATUSES,
            vocab.VISIT_OUTCOMES,
            vocab.NO_FIT_REASONS,
        )
        for code in table
        if "_" in code
    }
)
# Each page's text is cut into words once (a search per reference and code was a
# fifth of the role walks' own CPU): a reference is a run of letters, digits and
# hyphens not preceded by "/", "@" or ".", a code a run of letters, digits and "_".
REF_WORD = re.compile(r"(?<![\w/@.-])[\w-]+")
WORD = re.compile(r"\w+")
assert all(re.fullmatch(r"[\w-]+", ref) for ref in INTERNAL_REFS), INTERNAL_REFS
assert all(re.fullmatch(r"\w+", code) for code in CODES), CODES
RAW_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{2}:\d{2}:\d{2}\b|\bUTC\b|\+00:00")
ENGLISH = re.compile(
    r"\b(Please|Submit|Search|Loading|Next|Previous|Error|Not Found|Forbidden|Unauthorized"
    r"|Internal Server|None|True|False|null|undefined|Select|Choose|Click here|Back)\b"
)
# The first page of each kind a role opens from its menu pages.
DETAIL_LINKS = {
    "animateur": [
        'a[href^="/animateur/besoins/demo-besoin-"]',
        'a[href^="/animateur/entreprises/"]:not([href$="/nouvelle"])',
        'a[href^="/animateur/cvtheque/demo-cv-"]',
    ],
    "admin": ['a[href^="/animateur/besoins/demo-besoin-"]'],
    "operator": ['a[href^="/operateur/propositions/"]'],
    "partner": ['a[href^="/partenaire/reorientations/"]'],
    "company": [],
    "candidate": ['a[href="/candidat/mon-espace"]'],
    "territoire": [],
}


# What the layout says wrong: key-figure cards of a set with different widths, a field
# marked both required and optional.
LAYOUT = """() => {
    const found = [];
    for (const set of document.querySelectorAll('.figures')) {
        const widths = [...set.children].map(c => Math.round(c.getBoundingClientRect().width));
        if (widths.length && Math.max(...widths) - Math.min(...widths) > 1) {
            found.push(`chiffres clés de largeurs inégales (${widths.join(', ')} px)`);
        }
    }
    for (const el of document.querySelectorAll('.field, fieldset')) {
        const own = el.matches('fieldset') ? el.querySelector(':scope > legend') : el;
        if (own && /facultati/i.test(own.innerText) && el.querySelector('.required')) {
            found.push(`champ à la fois obligatoire et facultatif : « ${own.innerText.trim().slice(0, 60)} »`);
        }
    }
    return found;
}"""


def _problems(page, label: str) -> list[str]:
    text = page.evaluate("() => document.body.innerText")
    found = []
    if RAW_TIME.search(text):
        found.append(f"{label} : heure brute « {RAW_TIME.search(text).group(0)} »")
    # A reference stands alone: not inside a longer word, an e-mail address or a web
    # address (their domains may share it); a code is a whole word.
    refs = set(REF_WORD.findall(text))
    found += [f"{label} : référence interne « {ref} »" for ref in INTERNAL_REFS if ref in refs]
    words = set(WORD.findall(text))
    found += [f"{label} : code interne « {code} »" for code in CODES if code in words]
    if ENGLISH.search(text):
        found.append(f"{label} : texte anglais « {ENGLISH.search(text).group(0)} »")
    found += [f"{label} : {what}" for what in page.evaluate(LAYOUT)]
    if page.viewport_size["width"] <= PHONE["width"]:
        height = page.evaluate("() => document.querySelector('.site-nav').offsetHeight")
        if height > 80:
            found.append(f"{label} : menu replié de {height} px sur un téléphone")
    return found


# Empties the fields of the form number ``i`` of the page that a person fills in (text,
# numbers, dates, lists with an empty choice, ticks) and tells whether one of them was
# required: only such a form is sent, so that sending it empty changes nothing.
EMPTY_FORM = """(i) => {
    const form = document.querySelectorAll('main form[method="post" i]')[i];
    let required = false;
    for (const el of form.elements) {
        const marked = el.required
            || !!el.closest('.field')?.querySelector(':scope > .required');
        if (el.matches('textarea, input:not([type]), input[type="text"], input[type="email"],'
                + 'input[type="tel"], input[type="number"], input[type="date"],'
                + 'input[type="password"], input[type="search"], input[type="url"]')) {
            el.value = '';
            required ||= marked;
        } else if (el.matches('select') && [...el.options].some(o => o.value === '')) {
            el.value = '';
            required ||= marked;
        } else if (el.matches('input[type="checkbox"]')) {
            el.checked = false;
        }
    }
    return required;
}"""
SEND_FORM = """(i) => {
    const form = document.querySelectorAll('main form[method="post" i]')[i];
    const button = form.querySelector('button[type="submit"], button:not([type]), input[type="submit"]');
    form.requestSubmit(button || undefined);
}"""
# After the sending: an invalid field with its error tied to it and the summary, or a
# message of the page saying what happened.
ANSWER = """() => {
    const invalid = [...document.querySelectorAll('[aria-invalid="true"]')].filter(el => {
        const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/);
        return ids.some(id => id && document.getElementById(id)?.matches('.errors, .errors *'));
    });
    const summary = document.querySelector('.form-error');
    const flash = document.querySelector('.flash-error, .flash-warning');
    return {next_to_field: invalid.length > 0 && !!summary, message: flash?.innerText || ''};
}"""


# Each form of the page: its action (the attribute: a field named "action" hides the
# property) with the refs in it blurred, and its fields' names.
# Forms alike (the same action on another need, another bundle) are sent once.
FORM_KINDS = """() => [...document.querySelectorAll('main form[method="post" i]')].map(form =>
    new URL(form.getAttribute('action') || '', location.href).pathname.replace(/[^/]*\\d[^/]*/g, '*') + ' '
    + [...new Set([...form.elements].map(el => el.name).filter(Boolean))].sort().join(','))"""


def _forms_refused(page, server, paths: list[str], role: str) -> tuple[list[str], int]:
    """Send every kind of form of ``paths`` that has a required field, with its fields
    emptied; the problems found and how many forms were sent."""
    problems, sent, seen = [], 0, set()
    for path in paths:
        page.goto(server.url + path)
        fresh = True
        for i, kind in enumerate(page.evaluate(FORM_KINDS)):
            if kind in seen:
                continue
            seen.add(kind)
            if not fresh:
                page.goto(server.url + path)
            if not page.evaluate(EMPTY_FORM, i):
                fresh = False  # its fields were emptied
                continue
            fresh = False
            sent += 1
            label = f"{vocab.ROLES[role]}, {path}, formulaire n° {i + 1} envoyé vide"
            try:
                with page.expect_navigation(timeout=5000) as navigation:
                    page.evaluate(SEND_FORM, i)
            except PlaywrightTimeout:
                problems.append(f"{label} : le navigateur bloque l'envoi (bulle en anglais)")
                continue
            status = navigation.value.status if navigation.value else None
            answer = page.evaluate(ANSWER)
            if status == 500:
                problems.append(f"{label} : erreur 500")
            elif not answer["next_to_field"]:
                said = f" ; message seul : « {answer['message']} »" if answer["message"] else ""
                problems.append(
                    f"{label} : aucune erreur à côté d'un champ (statut {status}){said}"
                )
            problems += _problems(page, label)
    return problems, sent


def _menu_urls(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.site-nav a')]
              .map(a => a.getAttribute('href'))"""
    )


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "accueil"


@pytest.mark.parametrize("role", list(vocab.ROLES))
def test_each_role_walks_its_main_pages(page, live_server, role):
    log_in(page, live_server, role)
    home = page.url.removeprefix(live_server.url)
    account = path_of(live_server, "auth.change_password")
    menu = list(dict.fromkeys([home, *_menu_urls(page), account]))
    paths = list(menu)
    blocking, problems = [], []
    # Desktop first: each menu page, once checked, also gives the first page of each kind
    # it links to (appended to the walk); then every page again on a phone.
    for width, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, (path, response.status)
            label = f"{vocab.ROLES[role]}, {path} ({width} px)"
            blocking += check(page, f"role-{role}-{_slug(path)}-{width}", label)
            problems += _problems(page, label)
            if viewport is DESKTOP and path in menu:
                for selector in DETAIL_LINKS[role]:
                    link = page.locator(selector).first
                    if link.count() and link.get_attribute("href") not in paths:
                        paths.append(link.get_attribute("href"))
    assert len(paths) >= 2, paths
    refused, sent = _forms_refused(page, live_server, paths, role)
    problems += refused
    print(f"{role} : {len(paths)} pages, {sent} formulaires envoyés vides")
    assert not problems, "\n".join(problems)
    assert not blocking, describe(blocking)


def _tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} jamais atteint au clavier")


def _press_on(page, steps: list[tuple[str, str]]) -> None:
    """Tab to each selector in turn and press its key there."""
    for selector, key in steps:
        _tab_to(page, selector)
        page.keyboard.press(key)


def _type_over(page, fields: list[tuple[str, str]]) -> None:
    """Tab to each field in turn, select what it holds and type the text over it."""
    for selector, text in fields:
        _tab_to(page, selector)
        page.keyboard.press("Control+a")
        page.keyboard.type(text)


def test_the_public_need_form_by_keyboard_only(page, live_server):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + path_of(live_server, "need_public.form"))
    # Sent empty with Enter: the summary lists the errors, each next to its field.
    _tab_to(page, "#title")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator("#erreurs")
    expect(summary).to_be_visible()
    for link in summary.locator("a").all():
        target = link.get_attribute("href").lstrip("#")
        expect(page.locator(f"#{target}-erreurs"), target).to_be_visible()
    start = local_today() + timedelta(days=20)
    _type_over(
        page,
        [
            ("#title", "Quelqu'un pour la paie une fois par mois"),
            ("#skills", "paie, déclarations sociales"),
            ("#hours_per_week", "8 h"),
        ],
    )
    _press_on(
        page,
        [
            ("#hours_period", "ArrowDown"),  # heures par mois
            ("#days-mon", "Space"),
            ('input[name="level"]', "Space"),
            ('input[name="contract"]', "Space"),
            ('input[name="reason"]', "Space"),
        ],
    )
    _tab_to(page, "#start")
    # The date field's parts follow the browser's language: day first in French, month
    # first in a browser left in English. Shift+Tab goes back to the first part.
    page.keyboard.type(start.strftime("%d%m%Y"))
    if page.input_value("#start") != start.isoformat():
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        page.keyboard.type(start.strftime("%m%d%Y"))
    assert page.input_value("#start") == start.isoformat()
    _type_over(
        page,
        [
            ("#company_name", "Cabinet Pins et Dunes"),
            ("#siret", "82345678500018"),
            ("#company_commune", "Arcachon (33120)"),
            ("#owner_name", "Claire Dupuy"),
            ("#owner_email", "claire.dupuy@exemple.fr"),
            ("#owner_phone", "06 11 22 33 44"),
        ],
    )
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/exprimer-un-besoin/envoye" in page.url, page.locator("#erreurs").all_inner_texts()
    assert "?" not in page.url  # the address never goes in the URL
    expect(page.get_by_text("claire.dupuy@exemple.fr").first).to_be_visible()
    # "8 h par mois" was stored as hours per week.
    with live_server.app.app_context():
        need = db.session.scalars(
            select(Need).where(Need.title == "Quelqu'un pour la paie une fois par mois")
        ).one()
        assert need.hours_per_week == round(8 / WEEKS_PER_MONTH, 2)
        db.session.remove()


def test_the_visit_form_by_keyboard_only(page, live_server):
    open_as(page, live_server, "animateur", PHONE)
    company = next(c for c in DOCUMENT["companies"] if c["name"] == "Le Bistrot du Port")
    page.goto(live_server.url + f"/animateur/visites/nouvelle?entreprise={company['ref']}")
    _press_on(
        page,
        [
            ('input[name="channel"]', "Space"),
            ('input[name="topics"]', "Space"),
            ("#outcome", "ArrowDown"),
        ],
    )
    _tab_to(page, "#notes")
    page.keyboard.type("Passage au clavier seulement.")
    # The box of a company contacted recently (its name is "confirmer": the walk looked
    # for "confirm", never ticked it, and the refused form passed for a saved one).
    confirm = page.locator('input[name="confirmer"]')
    if confirm.count():
        _tab_to(page, 'input[name="confirmer"]')
        page.keyboard.press("Space")
    _tab_to(page, '.submit-row button[type="submit"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Saved (not the form sent back): the page after it, the visit stored.
    assert "/animateur/visites/nouvelle" not in page.url, page.locator("main").inner_text()
    assert stored_row(live_server, Visit, Visit.notes == "Passage au clavier seulement.")


def test_key_figures_keep_one_width_at_every_window_width(page, live_server):
    # At 390 and 1,280 px the observatory's four cards fill whole rows; in between
    # (a tablet), three go on the first row and the fourth used to stretch on its own.
    open_as(page, live_server, "territoire", {"width": 800, "height": 900})
    assert page.locator(".figures").count()
    for width in (600, 800, 1000):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(LAYOUT) == [], width


def test_a_menu_group_closes_with_escape_or_when_the_keyboard_leaves_it(page, live_server):
    # On a wide window a group of the menu opens over the page: left open, it covered
    # the page's top while the keyboard went on, and Escape did nothing.
    open_as(page, live_server, "animateur", DESKTOP, path_of(live_server, "public.home"))
    group = page.locator(".site-nav .nav-group details").first
    summary = group.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(group).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(group).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()

    page.keyboard.press("Enter")
    expect(group).to_have_attribute("open", "")
    links = group.locator("a").count()
    for _ in range(links + 1):
        page.keyboard.press("Tab")
    assert not group.evaluate("(details) => details.contains(document.activeElement)")
    expect(group).not_to_have_attribute("open", "")

    summary.click()
    expect(group).to_have_attribute("open", "")
    page.locator("main h1").click()
    expect(group).not_to_have_attribute("open", "")


def test_a_date_field_shows_its_focus_at_each_of_its_keyboard_stops(page, live_server):
    # Tab walks a date field's parts (day, month, year), then its calendar button: on
    # that last stop the field lost its focus ring (no longer :focus-visible), only
    # the browser's thin ring inside it showed where the keyboard was.
    open_as(page, live_server, "animateur", PHONE)
    company = next(c for c in DOCUMENT["companies"] if c["name"] == "Le Bistrot du Port")
    page.goto(live_server.url + f"/animateur/visites/nouvelle?entreprise={company['ref']}")
    field = page.locator("#visited_on")
    field.focus()
    stops = []
    while field.evaluate("(input) => input.matches(':focus-within')") and len(stops) < 6:
        stops.append(field.evaluate("(input) => getComputedStyle(input).outlineStyle"))
        page.keyboard.press("Tab")
    assert len(stops) >= 4, stops  # three parts and the calendar button at least
    assert "none" not in stops, stops
