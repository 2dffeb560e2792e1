"""Helpers of the browser tests: the accessibility audit and the screenshots."""

from __future__ import annotations

import functools
import os
from datetime import timedelta
from pathlib import Path

from flask import url_for
from sqlalchemy import select

from connectences.accounts import link_requests
from connectences.clock import local_today
from connectences.demo import build_demo_document, demo_accounts
from connectences.extensions import db
from connectences.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
BLOCKING_IMPACTS = {"serious", "critical"}
# Screenshots are for people reviewing the pages: taken of every page checked, unless
# BROWSER_SCREENSHOTS=failures (what .ci/run sets: a CI run keeps no files), then only of
# a page that fails its check. A sixth of the browser suite's time goes to them.
EVERY_SCREENSHOT = os.environ.get("BROWSER_SCREENSHOTS", "all") != "failures"


# Where the live server (tests/browser/conftest.py) serves axe-core, outside the app.
AXE_PATH = "/__tests__/axe.min.js"


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _load_axe(page) -> None:
    """axe-core in the current page: by a script tag, which the browser keeps compiled
    from one page of a test to the next (about 25 ms a page instead of 55 for the
    source sent each time), else (a page read offline) by its source."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.add_script_tag(url=AXE_PATH)
    except PlaywrightError:
        page.evaluate(axe_source())


def run_axe(page) -> list[dict]:
    """axe-core's violations on the current page."""
    _load_axe(page)
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }"""
    )


def serious_violations(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary']}".replace("\n", " / "))
    return "\n".join(lines)


def screenshot(page, name: str, *, failing: bool = False) -> Path | None:
    """The whole page as ``test-artifacts/screenshots/<name>.jpg`` (see EVERY_SCREENSHOT:
    a ``failing`` page's is always taken)."""
    if not (EVERY_SCREENSHOT or failing):
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.jpg"
    page.screenshot(path=str(path), full_page=True, type="jpeg", quality=80)
    return path


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ACCOUNTS = {account.role: account for account in demo_accounts(build_demo_document())}


def path_of(server, endpoint: str) -> str:
    """The URL path of an endpoint of the live application."""
    with server.app.test_request_context():
        return url_for(endpoint)


def audit(page, label: str) -> list[dict]:
    """Run axe and print every violation; return the blocking ones."""
    violations = run_axe(page)
    if violations:
        print(f"\naxe-core, {label}:\n{describe(violations)}")
    return serious_violations(violations)


def log_in(page, server, role: str):
    """Log in with the demo account of ``role`` through the real form."""
    account = ACCOUNTS[role]
    page.goto(server.url + path_of(server, "auth.login"))
    page.get_by_label("Adresse e-mail").fill(account.email)
    page.get_by_label("Mot de passe").fill(account.password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Se connecter").click()
    return navigation.value


def open_as(page, server, role: str, size: dict, path: str | None = None) -> None:
    """On a window of ``size``, log in with the demo account of ``role``, then open ``path``
    (a path of the live server) if one is given."""
    page.set_viewport_size(size)
    log_in(page, server, role)
    if path is not None:
        page.goto(server.url + path)


def stored_row(server, model, condition):
    """The first row of ``model`` meeting ``condition`` in the live server's database,
    detached from its session so that the test may read it (None when there is none)."""
    with server.app.app_context():
        row = db.session.scalars(select(model).where(condition)).first()
        if row is not None:
            db.session.expunge(row)
        db.session.remove()
        return row


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0 or less: it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def dates_without_format(page) -> list[str]:
    """The date fields of the page whose label and description (aria-describedby) do
    not say the format jj/mm/aaaa ([] when all do; WCAG 3.3.2)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input[type=date]')].filter(input => {
            const ids = (input.getAttribute('aria-describedby') || '').split(/\\s+/);
            const said = [...input.labels].map(label => label.textContent).concat(
                ids.map(id => (id && document.getElementById(id) || {}).textContent || ''));
            return !said.join(' ').includes('jj/mm/aaaa');
        }).map(input => input.id || input.name)"""
    )


def check(page, name: str, label: str) -> list[dict]:
    """Screenshot ``name``; on a phone-wide window, no sideways scroll; axe's blocking list."""
    wider = overflow(page) if page.viewport_size["width"] <= PHONE["width"] else 0
    blocking = audit(page, label)
    screenshot(page, name, failing=wider > 0 or bool(blocking))
    assert wider <= 0, f"{label} : la page déborde de {wider} px en largeur sur un téléphone"
    return blocking


def resolve_link_requests(server) -> int:
    """What the live server's minute job does first: queue the personal links asked for
    on the public forms (``link_requests.resolve_due``); the number of mails queued."""
    with server.app.app_context():
        queued = link_requests.resolve_due(db.session)
        db.session.remove()
        return queued


def queued_mail(server, address: str, subject_part: str) -> OutboxMessage:
    """The last mail queued to ``address`` whose subject holds ``subject_part``."""
    with server.app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to == address, OutboxMessage.subject.contains(subject_part))
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None, f"aucun e-mail « {subject_part} » pour {address}"
        db.session.expunge(message)
        db.session.remove()
        return message


def lead_to_accept(page, server, fits=None) -> str:
    """The address of a lead of the operator's inbox that still waits to be accepted
    (another test of the session may have taken the first one on); with ``fits``, the
    first such lead whose id ``fits(lead_id)`` accepts."""
    page.goto(server.url + path_of(server, "leads.index"))
    links = page.locator(
        "section[aria-labelledby='titre-nouvelles'] li a, "
        "section[aria-labelledby='titre-attente'] li a"
    )
    for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
        if fits is not None and not fits(int(href.rstrip("/").rsplit("/", 1)[1])):
            continue
        page.goto(server.url + href)
        if page.get_by_role("button", name="Accepter la proposition").count():
            return href
    raise AssertionError("aucune proposition de démonstration à accepter")


def fill_cv_form(page, first: str, last: str, address: str, skills: str, hours_max: str = "20"):
    """The public CV form's required fields typed (no file, consent not yet ticked): a
    commune, 20 km, employé qualifié, 10 h at least, Monday, a shared-time CDI, free in
    a week."""
    page.get_by_label("Prénom", exact=True).fill(first)
    page.get_by_label("Nom", exact=True).fill(last)
    page.get_by_label("Adresse e-mail").fill(address)
    page.get_by_label("Commune où vous habitez").fill("Biganos")
    page.get_by_label("Distance que vous acceptez de parcourir (en km)").fill("20")
    page.get_by_label("Vos compétences").fill(skills)
    page.get_by_label("Employé qualifié").check()
    page.get_by_label("Heures par semaine : au moins").fill("10")
    page.get_by_label("Heures par semaine : au plus").fill(hours_max)
    page.get_by_label("Lundi").check()
    page.get_by_label("CDI à temps partagé").check()
    page.get_by_label("Disponible à partir du").fill(
        (local_today() + timedelta(days=7)).isoformat()
    )
