"""Each role, on a phone (390 px) and a desktop (1,280 px), walks its main pages: every
entry of its menu and the first page of each kind it opens from there. Each page is
screenshotted and fails on a sideways scroll, a folded phone menu taller than 80 px, a
raw ISO or UTC time, an internal code or reference, English words, or a serious or
critical axe-core violation. Keyboard only, the visit form and the public need form
are completed with Tab, Space, arrows and Enter."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from connectences import vocab
from connectences.demo import build_demo_document
from connectences.extensions import db
from connectences.models import Need
from connectences.numbers import WEEKS_PER_MONTH
from tests.browser.support import DESKTOP, PHONE, check, describe, log_in, open_as, path_of

pytestmark = pytest.mark.browser

DOCUMENT = build_demo_document()
# References people must never read: organisations' refs and the platform's codes.
INTERNAL_REFS = sorted(
    {o["ref"] for o in DOCUMENT["operators"]} | {p["ref"] for p in DOCUMENT["partners"]}
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
RAW_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{2}:\d{2}:\d{2}\b|\bUTC\b|\+00:00")
ENGLISH = re.compile(
    r"\b(Please|Submit|Search|Loading|Next|Previous|Error|Not Found|Forbidden|Unauthorized"
    r"|Internal Server|None|True|False|null|undefined|Select|Choose|Click here|Back)\b"
)
# The first page of each kind a role opens from its menu pages.
DETAIL_LINKS = {
    "animateur": [
        'a[href^="/animateur/besoins/besoin-"]',
        'a[href^="/animateur/entreprises/"]:not([href$="/nouvelle"])',
        'a[href^="/animateur/cvtheque/cv-"]',
    ],
    "admin": ['a[href^="/animateur/besoins/besoin-"]'],
    "operator": ['a[href^="/operateur/propositions/"]'],
    "partner": ['a[href^="/partenaire/reorientations/"]'],
    "company": [],
    "candidate": ['a[href="/candidat/mon-espace"]'],
    "territoire": [],
}


def _problems(page, label: str) -> list[str]:
    text = page.evaluate("() => document.body.innerText")
    found = []
    if RAW_TIME.search(text):
        found.append(f"{label} : heure brute « {RAW_TIME.search(text).group(0)} »")
    for ref in INTERNAL_REFS:
        # Not inside an e-mail address or a web address (their domains may share it).
        if re.search(rf"(?<![\w/@.-]){re.escape(ref)}(?![\w-])", text):
            found.append(f"{label} : référence interne « {ref} »")
    for code in CODES:
        if re.search(rf"\b{re.escape(code)}\b", text):
            found.append(f"{label} : code interne « {code} »")
    if ENGLISH.search(text):
        found.append(f"{label} : texte anglais « {ENGLISH.search(text).group(0)} »")
    if page.viewport_size["width"] <= PHONE["width"]:
        height = page.evaluate("() => document.querySelector('.site-nav').offsetHeight")
        if height > 80:
            found.append(f"{label} : menu replié de {height} px sur un téléphone")
    return found


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
    assert summary.is_visible()
    for link in summary.locator("a").all():
        target = link.get_attribute("href").lstrip("#")
        assert page.locator(f"#{target}-erreurs").is_visible(), target
    start = date.today() + timedelta(days=20)
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
    assert page.get_by_text("claire.dupuy@exemple.fr").first.is_visible()
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
    confirm = page.locator('input[name="confirm"]')
    if confirm.count():
        _tab_to(page, 'input[name="confirm"]')
        page.keyboard.press("Space")
    _tab_to(page, '.submit-row button[type="submit"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/animateur/" in page.url
    assert page.get_by_text("Passage au clavier seulement.").count() >= 1
