"""Visits on the doorstep without network, in a real Chromium on a phone-size window with
the site's strict CSP (not bypassed): an animateur prepares a round online, goes offline,
records visits and a new company, reloads the page offline and still sees them pending;
back online they are stored exactly once with the times they were recorded on the
phone, and sending the same queue again stores nothing more. A visit the guard refuses
after reconnection stays with its reason; an expired session keeps the queue and asks
to log in again; logout clears the phone's store; the service worker's cache is
versioned and a new version replaces it. A need typed on the doorstep is checked before
it is kept, comes back to be corrected when the server refuses it, and is sent when
typed while correcting a visit; abandoning a record abandons what depends on it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from connectences.accounts.users import create_user
from connectences.clock import LOCAL_TZ, local_today
from connectences.contacts import clean_phone, clean_website
from connectences.extensions import db
from connectences.models import Company, Need, OfflineRecord, User, Visit
from connectences.needs.form_rules import HOURS_CONVERTED_OUT_OF_BOUNDS, NEED_REQUIRED
from connectences.numbers import WEEKS_PER_MONTH
from connectences.prospection import companies as directory
from connectences.prospection.visits import FOLLOW_UP_MISSING
from connectences.web.webapp import cache_version
from tests import factories
from tests.browser.support import ACCOUNTS, PHONE, audit, log_in, path_of, screenshot

pytestmark = pytest.mark.browser

PREPARE = "/animateur/tournee/preparer"
ROUND = "/animateur/tournee"
QUEUE_JS = "() => ConnectencesOffline.records()"


@pytest.fixture
def phone(browser):
    """A phone-size profile with the CSP enforced and service workers on."""
    context = browser.new_context(
        viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris", service_workers="allow"
    )
    yield context
    context.close()


def add_companies(server, naf: str, *names: str) -> list[str]:
    """Companies of the round (a NAF code of their own), straight into the live database."""
    refs = []
    with server.app.app_context():
        for name in names:
            company, _ = directory.find_or_create_company(
                db.session,
                {"name": name, "siret": factories.make_siret(), "commune": "33009", "naf": naf},
                actor=None,
            )
            refs.append(company.ref)
        db.session.commit()
        db.session.remove()
    return refs


def prepare_round(page, server, naf: str, count: int) -> None:
    log_in(page, server, "animateur")
    page.goto(f"{server.url}{PREPARE}?naf={naf}")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.get_by_role("button", name="Garder la tournée sur ce téléphone").click()
    companies = f"{count} entreprise{'s' if count > 1 else ''}"
    page.get_by_text(f"Tournée gardée sur ce téléphone : {companies}, jusqu'au").wait_for()


def open_round(phone, server, naf: str, *names: str):
    """The companies ``names`` added with the NAF code ``naf``, their round kept on a new
    page of the phone and opened there; returns the page and the companies' refs."""
    refs = add_companies(server, naf, *names)
    page = phone.new_page()
    prepare_round(page, server, naf, len(names))
    page.goto(server.url + ROUND)
    return page, refs


def record_visit(page, company: str, topic: str) -> None:
    page.get_by_role("button", name=f"Noter une visite à {company}").click()
    form = page.locator("#form-visite")
    form.get_by_label("Porte-à-porte").check()
    form.get_by_label(topic).check()
    form.get_by_label("Notes").fill(f"Rencontre à {company}.")
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    page.locator("#file-liste li", has_text=f"Visite — « {company} »").wait_for()


def stored_visits(server, refs: list[str]) -> list[Visit]:
    with server.app.app_context():
        visits = db.session.scalars(
            select(Visit).join(Company).where(Company.ref.in_(refs)).order_by(Visit.id)
        ).all()
        for visit in visits:
            db.session.expunge(visit)
        db.session.remove()
        return visits


def phone_time(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_round_recorded_offline_is_stored_once_with_its_phone_times(phone, live_server):
    server = live_server
    refs = add_companies(server, "03.22Z", "Huîtres Cap Ferret", "Cabane du Mimbeau")
    page = phone.new_page()
    prepare_round(page, server, "03.22Z", 2)
    screenshot(page, "tournee-preparer-390")

    page.goto(server.url + ROUND)
    page.locator("#tournee-liste li", has_text="Huîtres Cap Ferret").wait_for()
    assert page.get_by_text("Dernier contact : jamais contactée sur la plateforme").count() == 2

    # On the doorstep, no network. The phone's clock says three hours ago.
    phone.set_offline(True)
    recorded_clock = datetime.now(UTC) - timedelta(hours=3)
    page.clock.set_fixed_time(recorded_clock)
    page.reload()
    assert "Hors ligne" in page.locator("#reseau").inner_text()
    record_visit(page, "Huîtres Cap Ferret", "Compétences partagées")
    record_visit(page, "Cabane du Mimbeau", "Aides et plans de relance")
    page.locator("#entreprise-details summary").click()
    new_siret = factories.make_siret()
    company_form = page.locator("#form-entreprise")
    company_form.get_by_label("Nom de l'entreprise").fill("Chantier Naval du Canal")
    # A mistyped SIRET is refused on the phone, beside its field, as the server would.
    wrong = new_siret[:-1] + str((int(new_siret[-1]) + 1) % 10)
    company_form.get_by_label("SIRET (14 chiffres)").fill(wrong)
    company_form.get_by_label("Commune").fill("Gujan-Mestras")
    company_form.get_by_role("button", name="Garder l'entreprise sur le téléphone").click()
    expect(company_form.locator("#form-entreprise-siret-erreurs")).to_contain_text(
        "la clé de contrôle ne correspond pas"
    )
    expect(page.locator("#file-liste li", has_text="Chantier Naval du Canal")).to_have_count(0)
    company_form.get_by_label("SIRET (14 chiffres)").fill(new_siret)
    company_form.get_by_role("button", name="Garder l'entreprise sur le téléphone").click()
    page.locator("#file-liste li", has_text="Chantier Naval du Canal").wait_for()
    expect(page.locator("#file-resume")).to_have_text(
        "3 enregistrements en attente d'envoi.", use_inner_text=True
    )

    # Reloaded without network: the page comes from the service worker, the queue from
    # the phone's store.
    page.reload()
    page.locator("#file-liste li").nth(2).wait_for()
    expect(page.locator("#file-resume")).to_have_text(
        "3 enregistrements en attente d'envoi.", use_inner_text=True
    )
    assert page.locator("#file-liste li", has_text="En attente d'envoi").count() == 3
    screenshot(page, "tournee-hors-ligne-390")
    queue = page.evaluate(QUEUE_JS)
    assert {r["type"] for r in queue} == {"visite", "entreprise"}
    assert all(
        abs(phone_time(r["enregistre_le"]) - recorded_clock) < timedelta(seconds=1) for r in queue
    )
    assert stored_visits(server, refs) == []

    # Back online: the queue leaves, each record stored once, with the phone's time.
    phone.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    assert page.get_by_text("Visite à « Huîtres Cap Ferret » enregistrée.").count() >= 1
    visits = stored_visits(server, refs)
    assert len(visits) == 2
    times = {r["cle"]: phone_time(r["enregistre_le"]) for r in queue}
    with server.app.app_context():
        keys = db.session.scalars(
            select(OfflineRecord).where(OfflineRecord.key.in_(list(times)))
        ).all()
        assert len(keys) == 3
        for stored in keys:
            assert stored.recorded_at == times[stored.key]
        by_visit = {k.visit_id: k for k in keys if k.visit_id}
        for visit in visits:
            assert visit.created_at == times[by_visit[visit.id].key]
            assert visit.animateur_id == by_visit[visit.id].user_id
        animateur = db.session.scalar(select(User).where(User.email == ACCOUNTS["animateur"].email))
        assert {v.animateur_id for v in visits} == {animateur.id}
        created = db.session.scalar(select(Company).where(Company.siret == new_siret))
        assert created.name == "Chantier Naval du Canal"
        assert created.created_at == times[next(k.key for k in keys if k.kind == "entreprise")]
        db.session.remove()

    # The same queue sent again (a second tab, a lost answer): nothing more is stored.
    page.evaluate(
        """(records) => new Promise((resolve, reject) => {
            const open = indexedDB.open("connectences-hors-ligne");
            open.onsuccess = () => {
                const tx = open.result.transaction("file", "readwrite");
                records.forEach((r) => tx.objectStore("file").put(r));
                tx.oncomplete = () => { open.result.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
        })""",
        queue,
    )
    page.reload()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    assert len(stored_visits(server, refs)) == 2
    with server.app.app_context():
        assert (
            db.session.scalar(
                select(db.func.count()).select_from(Company).where(Company.siret == new_siret)
            )
            == 1
        )
        db.session.remove()

    # Logout wipes the phone's store and caches.
    page.clock.resume()
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    leftovers = page.evaluate(
        """async () => ({
            databases: (await indexedDB.databases()).map((d) => d.name),
            caches: (await caches.keys()).filter((n) => n.startsWith("connectences-")),
        })"""
    )
    assert "connectences-hors-ligne" not in leftovers["databases"]
    assert leftovers["caches"] == []


def refused_after_reconnection(phone, server, naf: str, name: str, meanwhile):
    """A visit of the company ``name`` noted offline; ``meanwhile(company)`` changes the
    company on the server; back online and sent, the visit comes back refused. Returns
    the page, the company's ref and the refused visit's item in the queue."""
    page, (ref,) = open_round(phone, server, naf, name)
    phone.set_offline(True)
    record_visit(page, name, "Compétences partagées")
    with server.app.app_context():
        meanwhile(db.session.scalar(select(Company).where(Company.ref == ref)))
        db.session.commit()
        db.session.remove()
    phone.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    item = page.locator("#file-liste li", has_text="Refusé par le serveur")
    item.wait_for()
    return page, ref, item


def test_visit_refused_by_the_guard_after_reconnection_shows_its_reason(phone, live_server):
    server = live_server

    def asked_not_to_be_solicited(company):  # to a colleague, meanwhile
        company.do_not_solicit = True

    page, ref, item = refused_after_reconnection(
        phone, server, "03.11Z", "Parc à Huîtres Larros", asked_not_to_be_solicited
    )
    assert "a demandé à ne plus être sollicitée" in item.inner_text()
    expect(page.locator("#file-resume")).to_have_text(
        ("1 enregistrement demande votre décision."), use_inner_text=True
    )
    assert stored_visits(server, [ref]) == []
    screenshot(page, "tournee-refus-390")
    assert audit(page, "Ma tournée, visite refusée (390 px)") == []

    # Kept across reloads until the animateur decides: here, to abandon it.
    page.reload()
    item.wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="Abandonner").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    assert page.evaluate(QUEUE_JS) == []


def test_visit_refused_for_the_cap_is_noted_with_the_company_s_agreement(phone, live_server):
    """A queued visit refused for the company's monthly cap alone could only be sent
    again (refused again) or abandoned: it is reopened with the box and the reason, as
    on the online visit form, and noted with them."""
    server = live_server

    def reached_its_cap(company):  # a colleague made its one contact a month, meanwhile
        company.max_contacts_per_month = 1
        db.session.add(Visit(company_id=company.id, visited_on=local_today(), channel="telephone"))

    page, ref, item = refused_after_reconnection(
        phone, server, "47.24Z", "Boulangerie Lafon", reached_its_cap
    )
    assert ") ou, si elle a accepté" in item.inner_text()
    expect(item.get_by_role("button", name="Renvoyer")).to_have_count(0)
    screenshot(page, "tournee-plafond-390")
    assert audit(page, "Ma tournée, visite au-delà du plafond (390 px)") == []

    page.reload()  # kept across reloads, with its way out
    item.get_by_role("button", name="L'entreprise a accepté : noter quand même").click()
    form = page.locator("#form-visite")
    expect(form.get_by_label("L'entreprise a accepté d'être contactée")).to_be_checked()
    # Not the "recently contacted" box: the agreement stands for it (it showed, hidden
    # but laid out by its class).
    expect(form.get_by_label("Je confirme : enregistrer ce contact malgré")).to_be_hidden()
    screenshot(page, "tournee-plafond-formulaire-390")
    assert audit(page, "Ma tournée, visite rouverte au-delà du plafond (390 px)") == []
    # Without a reason, nothing is kept: the field says why.
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    expect(form.locator("[data-champ=raison_plafond] .errors")).to_contain_text(
        "Indiquez pourquoi l'entreprise accepte ce contact"
    )
    reason = "La gérante m'a demandé de repasser pour le devis"
    form.get_by_label("Pourquoi").fill(reason)
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    assert page.evaluate(QUEUE_JS) == []
    mine = [v for v in stored_visits(server, [ref]) if v.animateur_id is not None]
    assert len(mine) == 1 and mine[0].notes == "Rencontre à Boulangerie Lafon."
    with server.app.app_context():
        from connectences.models import AuditLog

        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "visit.over_cap"))
        assert entry.entity_id == mine[0].id and entry.details["reason"] == reason
        db.session.remove()


def test_expired_session_keeps_the_queue_and_asks_to_log_in(phone, live_server):
    server = live_server
    page, (ref,) = open_round(phone, server, "03.12Z", "Pêcherie de la Teste")
    phone.set_offline(True)
    record_visit(page, "Pêcherie de la Teste", "Compétences partagées")
    phone.clear_cookies()  # the session ended while the phone was offline
    phone.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    notice = page.locator("#session-expiree")
    notice.wait_for()
    assert "reconnectez-vous" in notice.inner_text()
    assert len(page.evaluate(QUEUE_JS)) == 1
    assert stored_visits(server, [ref]) == []

    # Logged in again, the queue leaves on the next page load.
    log_in(page, server, "animateur")
    page.goto(server.url + ROUND)
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    assert len(stored_visits(server, [ref])) == 1


def test_service_worker_cache_is_versioned_and_replaced_on_update(phone, live_server):
    server = live_server
    page = phone.new_page()
    log_in(page, server, "animateur")
    page.goto(server.url + ROUND)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    with server.app.app_context():
        first = cache_version()
    names = page.evaluate("() => caches.keys()")
    assert f"connectences-static-{first}" in names
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    manifest = page.locator('link[rel="manifest"]').get_attribute("href")
    assert manifest == "/manifest.webmanifest"

    server.app.config["OFFLINE_CACHE_VERSION"] = "mise-a-jour-de-test"
    try:
        with server.app.app_context():
            second = cache_version()
        assert second != first
        page.evaluate("""() => navigator.serviceWorker.getRegistration().then((r) => r.update())""")
        page.wait_for_function(
            """([fresh, old]) => caches.keys().then((names) =>
                names.includes("connectences-static-" + fresh)
                && !names.includes("connectences-static-" + old))""",
            arg=[second, first],
        )
    finally:
        server.app.config["OFFLINE_CACHE_VERSION"] = ""
    assert re.fullmatch(r"[0-9a-f]{12}", second)


def test_a_closed_door_is_called_back_from_the_round_even_offline(phone, live_server):
    server = live_server
    refs = add_companies(server, "01.13Z", "Maraîcher du Teich", "Serres de Mios")
    with server.app.app_context():
        for ref, number, site in (
            (refs[0], "05 36 49 77 01", "www.maraicher-teich.example"),
            (refs[1], None, None),
        ):
            company = db.session.scalar(select(Company).where(Company.ref == ref))
            company.phone = clean_phone(number)
            company.website = clean_website(site)
        db.session.commit()
        db.session.remove()
    page = phone.new_page()
    prepare_round(page, server, "01.13Z", 2)
    page.goto(server.url + ROUND)
    phone.set_offline(True)
    page.reload()
    assert "Hors ligne" in page.locator("#reseau").inner_text()
    screenshot(page, "tournee-telephone-390")

    known = page.locator("#tournee-liste li", has_text="Maraîcher du Teich")
    call = known.get_by_role("link", name="05 36 49 77 01")
    expect(call).to_have_attribute("href", "tel:0536497701")
    # On one line, and a target a thumb hits on a 390 px screen.
    assert call.evaluate("(a) => getComputedStyle(a).whiteSpace") == "nowrap"
    box = call.bounding_box()
    assert box is not None and box["height"] >= 44
    site = known.get_by_role("link", name="https://www.maraicher-teich.example")
    expect(site).to_have_attribute("rel", "noopener noreferrer nofollow")
    unknown = page.locator("#tournee-liste li", has_text="Serres de Mios")
    expect(unknown.get_by_role("button", name="Noter une visite à Serres de Mios")).to_be_visible()
    expect(unknown).not_to_contain_text("Téléphone")
    expect(unknown).not_to_contain_text("Site web")
    assert audit(page, "Ma tournée, téléphones") == []

    # A round kept on the phone before its companies had phones still shows them.
    page.evaluate(
        """async () => {
            const kept = await ConnectencesOffline.roundCompanies();
            const info = await ConnectencesOffline.roundInfo();
            const older = kept.map((c) => {
                const copy = Object.assign({}, c);
                delete copy.telephone; delete copy.url_telephone; delete copy.site;
                return copy;
            });
            await ConnectencesOffline.saveRound(Object.assign({}, info, {entreprises: older}));
        }"""
    )
    page.reload()
    known = page.locator("#tournee-liste li", has_text="Maraîcher du Teich")
    expect(
        known.get_by_role("button", name="Noter une visite à Maraîcher du Teich")
    ).to_be_visible()
    expect(page.locator("#tournee-liste")).not_to_contain_text("Téléphone")


def test_round_is_wiped_from_the_phone_after_its_delay(phone, live_server):
    server = live_server
    page, _ = open_round(phone, server, "01.50Z", "Ferme Aquacole du Teich")
    page.locator("#tournee-liste li", has_text="Ferme Aquacole du Teich").wait_for()
    pages_cached = "() => caches.keys().then((n) => n.filter((x) => x.includes('-pages-')))"
    assert len(page.evaluate(pages_cached)) == 1

    # The phone's clock moves past OFFLINE_ROUND_MAX_HOURS (14 hours).
    page.clock.set_fixed_time(datetime.now(UTC) + timedelta(hours=15))
    page.reload()
    page.get_by_text("Aucune tournée sur ce téléphone.").wait_for()
    assert page.evaluate("() => ConnectencesOffline.roundCompanies()") == []
    assert page.evaluate(pages_cached) == []


def test_online_visit_form_submitted_without_network_is_kept_on_the_phone(phone, live_server):
    server = live_server
    (ref,) = add_companies(server, "01.70Z", "Chasse-Marée d'Andernos")
    page = phone.new_page()
    log_in(page, server, "animateur")
    page.goto(f"{server.url}/animateur/visites/nouvelle?entreprise={ref}")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    phone.set_offline(True)
    page.get_by_label("Compétences partagées").check()
    page.get_by_role("button", name="Enregistrer la visite").click()
    page.get_by_text(
        "la visite à « Chasse-Marée d'Andernos » est gardée sur ce téléphone"
    ).wait_for()
    queue = page.evaluate(QUEUE_JS)
    assert [(r["type"], r["donnees"]["entreprise"]) for r in queue] == [("visite", ref)]
    assert stored_visits(server, [ref]) == []

    phone.set_offline(False)
    page.goto(server.url + ROUND)
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    (visit,) = stored_visits(server, [ref])
    assert visit.topics == ["competences_partagees"]


# --- the need detected on the doorstep ----------------------------------------------------


def fill_need(form, title: str, start: date) -> None:
    """Tick "Besoin détecté" and describe the need in full."""
    if not form.get_by_label("Besoin détecté").is_checked():
        form.get_by_label("Besoin détecté").check()
    form.get_by_label("Intitulé").fill(title)
    form.get_by_label("Compétences attendues").fill("gestion de stock")
    form.get_by_label("Niveau", exact=True).select_option("employe_qualifie")
    form.get_by_label("Heures", exact=True).fill("7")
    form.get_by_label("lundi").check()
    form.get_by_label("Contrat envisagé").select_option("cdi_temps_partage")
    form.get_by_label("Raison du besoin").select_option("temps_partiel")
    form.get_by_label("Démarrage souhaité").fill(start.isoformat())


def stored_needs(server, ref: str) -> list[Need]:
    with server.app.app_context():
        needs = db.session.scalars(
            select(Need).join(Company, Need.company_id == Company.id).where(Company.ref == ref)
        ).all()
        for need in needs:
            db.session.expunge(need)
        db.session.remove()
        return needs


def test_need_typed_offline_is_checked_before_it_is_kept_and_corrected_after(phone, live_server):
    # Found by an audit: a need with a title and hours only was kept, came back "À
    # corriger" with six errors, and could only be abandoned.
    server = live_server
    page, (ref,) = open_round(phone, server, "02.10Z", "Scierie des Landes")
    phone.set_offline(True)
    page.get_by_role("button", name="Noter une visite à Scierie des Landes").click()
    form = page.locator("#form-visite")
    form.get_by_label("Besoin détecté").check()
    form.get_by_label("Intitulé").fill("Magasinier, un jour par semaine")
    form.get_by_label("Heures", exact=True).fill("7")
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()

    # Told on the doorstep, next to each field, in the server's words; nothing is lost.
    summary = form.locator(".form-error")
    expect(summary).to_contain_text("le besoin détecté est incomplet")
    expect(summary).to_be_focused()
    for name in ("skills", "level", "days", "contract", "reason", "start"):
        expect(form.locator(f"[data-champ={name}] .errors")).to_have_text(
            "Erreur : " + NEED_REQUIRED[name]
        )
    assert form.locator(".errors").count() == 6
    expect(form.get_by_label("Compétences attendues")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Intitulé")).to_have_value("Magasinier, un jour par semaine")
    assert page.evaluate(QUEUE_JS) == []
    screenshot(page, "tournee-besoin-incomplet-390")
    assert audit(page, "Ma tournée, besoin incomplet (390 px)") == []

    # Complete, but starting beyond what the server accepts: kept, then "À corriger".
    fill_need(form, "Magasinier, un jour par semaine", date(2099, 1, 4))
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    page.locator("#file-liste li", has_text="Besoin détecté — « Magasinier").wait_for()
    assert sorted(r["type"] for r in page.evaluate(QUEUE_JS)) == ["besoin", "visite"]
    phone.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    item = page.locator("#file-liste li", has_text="À corriger")
    item.wait_for()
    assert len(stored_visits(server, [ref])) == 1
    assert stored_needs(server, ref) == []

    # "Corriger" reopens the need as it was typed, the server's error next to its field.
    item.get_by_role("button", name="Corriger").click()
    expect(page.locator("#titre-visite")).to_have_text("Besoin détecté chez Scierie des Landes")
    expect(form.locator("#hl-visite-champs")).to_be_hidden()
    expect(form.get_by_label("Intitulé")).to_have_value("Magasinier, un jour par semaine")
    expect(form.get_by_label("Compétences attendues")).to_have_value("gestion de stock")
    expect(form.locator("[data-champ=start] .errors")).to_contain_text("au plus tard")
    start = local_today() + timedelta(days=30)
    form.get_by_label("Démarrage souhaité").fill(start.isoformat())
    form.get_by_role("button", name="Garder le besoin sur le téléphone").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    (need,) = stored_needs(server, ref)
    (visit,) = stored_visits(server, [ref])
    assert (need.title, need.start, need.visit_id) == (
        "Magasinier, un jour par semaine",
        start,
        visit.id,
    )


def test_follow_up_without_its_date_is_told_on_the_doorstep(phone, live_server):
    # Found by an audit: « À relancer » without a date was kept offline and came back
    # « À corriger » once online, away from the company the date was agreed with.
    # A NAF code of its own: each test's round holds only the companies it added.
    page, (ref,) = open_round(phone, live_server, "01.30Z", "Pépinière du Lac")
    phone.set_offline(True)
    page.get_by_role("button", name="Noter une visite à Pépinière du Lac").click()
    form = page.locator("#form-visite")
    form.get_by_label("Issue").select_option("a_relancer")
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()

    summary = form.locator(".form-error")
    expect(summary).to_contain_text("La visite n'est pas encore gardée")
    expect(summary).to_be_focused()
    expect(form.locator("[data-champ=follow_up_on] .errors")).to_have_text(
        "Erreur : " + FOLLOW_UP_MISSING
    )
    expect(form.get_by_label("Prochaine relance")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate(QUEUE_JS) == []

    follow_up = local_today() + timedelta(days=10)
    form.get_by_label("Prochaine relance").fill(follow_up.isoformat())
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    page.locator("#file-liste li", has_text="Visite — « Pépinière du Lac »").wait_for()
    phone.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    (visit,) = stored_visits(live_server, [ref])
    assert (visit.outcome, visit.follow_up_on) == ("a_relancer", follow_up)


def test_abandoning_a_visit_abandons_its_need_and_an_orphan_need_is_refused(phone, live_server):
    # Found by an audit: the need of an abandoned (or refused) visit waited for ever, sent
    # at every page load, without any button.
    server = live_server
    page, (ref,) = open_round(phone, server, "02.20Z", "Gemmage du Bourg")
    phone.set_offline(True)
    page.get_by_role("button", name="Noter une visite à Gemmage du Bourg").click()
    form = page.locator("#form-visite")
    fill_need(form, "Résinier, deux jours par semaine", local_today() + timedelta(days=20))
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    page.locator("#file-liste li", has_text="Besoin détecté — « Résinier").wait_for()
    with server.app.app_context():
        company = db.session.scalar(select(Company).where(Company.ref == ref))
        company.do_not_solicit = True
        db.session.commit()
        db.session.remove()

    phone.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    visit_item = page.locator("#file-liste li", has_text="Refusé par le serveur")
    visit_item.wait_for()
    need_item = page.locator("#file-liste li", has_text="Besoin détecté — « Résinier")
    expect(need_item).to_contain_text("après l'enregistrement dont il dépend")
    expect(need_item.get_by_role("button", name="Abandonner")).to_be_visible()

    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    visit_item.get_by_role("button", name="Abandonner").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    assert (
        "Besoin détecté — « Résinier, deux jours par semaine » chez « Gemmage du Bourg »"
        in (questions[0])
    )
    assert page.evaluate(QUEUE_JS) == []
    page.goto(server.url + "/animateur/visites/nouvelle")
    assert page.locator(".offline-banner:visible").count() == 0

    # A need left behind by an earlier page, its visit abandoned: refused with a reason,
    # not waiting for ever, and it can be abandoned.
    page.goto(server.url + ROUND)
    page.evaluate(
        """() => ConnectencesOffline.addRecord("besoin", {
            visite_cle: "visite-abandonnee-0001", title: "Résinier", skills: "gemmage",
            level: "non_qualifie", hours_per_week: "7", days: ["mon"],
            contract: "cdi", reason: "temps_partiel", start: ""
        }, ConnectencesOfflineBoot.animateur, "« Résinier » chez « Gemmage du Bourg »")"""
    )
    page.reload()
    orphan = page.locator("#file-liste li", has_text="Refusé par le serveur")
    orphan.wait_for()
    expect(orphan).to_contain_text("sa visite n'a jamais été enregistrée")
    expect(orphan.get_by_role("button", name="Renvoyer")).to_have_count(0)
    expect(orphan.get_by_role("button", name="Corriger")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    orphan.get_by_role("button", name="Abandonner").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    assert stored_needs(server, ref) == []


def test_need_typed_while_correcting_a_visit_is_sent_with_it(phone, live_server):
    # Found by an audit: only the corrected visit was queued, its need silently dropped.
    server = live_server
    page, (ref,) = open_round(phone, server, "02.30Z", "Pignada Bois")
    phone.set_offline(True)
    page.get_by_role("button", name="Noter une visite à Pignada Bois").click()
    form = page.locator("#form-visite")
    form.get_by_label("Date du contact").fill("2020-01-15")
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    page.locator("#file-liste li", has_text="Visite — « Pignada Bois »").wait_for()
    phone.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    item = page.locator("#file-liste li", has_text="À corriger")
    item.wait_for()
    expect(item).to_contain_text("plus d'un an")

    item.get_by_role("button", name="Corriger").click()
    form.get_by_label("Date du contact").fill(local_today().isoformat())
    start = local_today() + timedelta(days=15)
    fill_need(form, "Scieur, un jour par semaine", start)
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    (visit,) = stored_visits(server, [ref])
    (need,) = stored_needs(server, ref)
    assert (need.title, need.visit_id) == ("Scieur, un jour par semaine", visit.id)
    assert visit.need_detected


def test_need_hours_counted_per_month_are_recorded_offline(phone, live_server):
    # Found by an audit: the phone's need form had no « par mois » choice, yet its error
    # told the animateur to choose it; 20 hours a month (the payroll, a day of
    # bookkeeping) were refused on the doorstep as fewer than 1 hour a week... or more
    # than 48.
    server = live_server
    page, (ref,) = open_round(phone, server, "01.63Z", "Résinerie du Val")
    phone.set_offline(True)
    page.get_by_role("button", name="Noter une visite à Résinerie du Val").click()
    form = page.locator("#form-visite")
    fill_need(form, "Paie, une journée par mois", local_today() + timedelta(days=20))
    hours = form.get_by_label("Heures", exact=True)
    period = form.get_by_label("Heures comptées")

    # 300 hours a month are more than 48 a week: said on the doorstep, nothing kept.
    hours.fill("300")
    period.select_option("mois")
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    expect(form.locator("[data-champ=hours_per_week] .errors")).to_have_text(
        "Erreur : " + HOURS_CONVERTED_OUT_OF_BOUNDS
    )
    assert page.evaluate(QUEUE_JS) == []

    hours.fill("20")
    form.get_by_role("button", name="Garder la visite sur le téléphone").click()
    page.locator("#file-liste li", has_text="Besoin détecté — « Paie").wait_for()
    phone.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    (need,) = stored_needs(server, ref)
    assert need.hours_per_week == pytest.approx(20 / WEEKS_PER_MONTH, abs=0.01)
    assert audit(page, "Ma tournée, heures par mois (390 px)") == []


def test_new_company_left_incomplete_is_told_next_to_its_fields(phone, live_server):
    # Found by an audit: the phone's company form answered a missing name, SIRET or
    # commune with a browser dialog (no field marked, the message gone once closed).
    server = live_server
    page, _refs = open_round(phone, server, "01.61Z", "Gemmage du Val")
    phone.set_offline(True)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_text("Entreprise absente de la tournée ? La créer sur place").click()
    form = page.locator("#form-entreprise")
    form.get_by_label("SIRET (14 chiffres)").fill("123")
    form.get_by_role("button", name="Garder l'entreprise sur le téléphone").click()

    summary = form.locator(".form-error")
    expect(summary).to_contain_text("complétez les champs signalés")
    expect(summary).to_be_focused()
    expect(form.locator("[data-champ=name] .errors")).to_have_text(
        "Erreur : " + directory.COMPANY_REQUIRED["name"]
    )
    expect(form.locator("[data-champ=commune] .errors")).to_have_text(
        "Erreur : " + directory.COMPANY_REQUIRED["commune"]
    )
    expect(form.locator("[data-champ=siret] .errors")).to_contain_text("14 chiffres ; « 123 »")
    expect(form.get_by_label("Nom de l'entreprise")).to_have_attribute("aria-invalid", "true")
    assert dialogs == []
    assert page.evaluate(QUEUE_JS) == []
    assert audit(page, "Ma tournée, entreprise incomplète (390 px)") == []

    form.get_by_label("Nom de l'entreprise").fill("Gemmage des Landes")
    form.get_by_label("SIRET (14 chiffres)").fill(factories.make_siret())
    form.get_by_label("Commune").fill("Andernos-les-Bains")
    form.get_by_role("button", name="Garder l'entreprise sur le téléphone").click()
    page.locator(
        "#file-liste li", has_text="Nouvelle entreprise — « Gemmage des Landes »"
    ).wait_for()
    expect(form.locator(".errors")).to_have_count(0)


def test_keyboard_user_keeps_their_place_in_the_round(phone, live_server):
    # Found by an audit: once a visit was kept (or the form cancelled, or a new company
    # kept), the focus fell to the page's top, the form being hidden: with a keyboard or
    # a screen reader, the animateur lost their place in the round.
    server = live_server
    page, _refs = open_round(phone, server, "01.62Z", "Sève du Teich", "Pins du Barp")
    phone.set_offline(True)
    opener = page.get_by_role("button", name="Noter une visite à Pins du Barp")
    opener.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#titre-visite")).to_be_focused()
    page.locator("#form-visite").get_by_role("button", name="Annuler").focus()
    page.keyboard.press("Enter")
    expect(opener).to_be_focused()

    page.keyboard.press("Enter")
    page.locator("#form-visite").get_by_label("Notes").fill("Vu au clavier.")
    page.get_by_role("button", name="Garder la visite sur le téléphone").focus()
    page.keyboard.press("Enter")
    summary = page.locator("#file-resume")
    expect(summary).to_have_text("1 enregistrement en attente d'envoi.")
    expect(summary).to_be_focused()

    page.get_by_text("Entreprise absente de la tournée ? La créer sur place").click()
    form = page.locator("#form-entreprise")
    form.get_by_label("Nom de l'entreprise").fill("Gemmage du Barp")
    form.get_by_label("SIRET (14 chiffres)").fill(factories.make_siret())
    form.get_by_label("Commune").fill("Le Barp")
    form.get_by_role("button", name="Garder l'entreprise sur le téléphone").focus()
    page.keyboard.press("Enter")
    expect(summary).to_have_text("2 enregistrements en attente d'envoi.")
    expect(summary).to_be_focused()


def a_colleague(server) -> tuple[int, str, str]:
    """A second animateur account (id, e-mail, password), for a phone two animateurs share."""
    email, password = "second.animateur@connectences.example", "tournee-du-collegue"
    with server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(
                db.session, email, "animateur", password=password, full_name="Bruno Lafon"
            )
            db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id, email, password


def log_in_with(page, server, email: str, password: str) -> None:
    page.goto(server.url + path_of(server, "auth.login"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


def kept_round_page(page) -> str:
    """The text of "Ma tournée" as the service worker keeps it ("" when it keeps none)."""
    return page.evaluate(
        """async (path) => {
            for (const name of await caches.keys()) {
                if (!name.includes("-pages-")) { continue; }
                const found = await (await caches.open(name)).match(path);
                if (found) { return await found.text(); }
            }
            return "";
        }""",
        ROUND,
    )


def test_logging_out_warns_of_a_colleague_s_unsent_records(phone, live_server):
    """A colleague's session ended on the phone before their visit was sent; the next
    animateur who logs out there is told that it would be wiped, and may stay."""
    server = live_server
    page, (ref,) = open_round(phone, server, "02.40Z", "Parc à huîtres de Lanton")
    phone.set_offline(True)
    record_visit(page, "Parc à huîtres de Lanton", "Compétences partagées")
    phone.clear_cookies()  # the first animateur's session ended on the phone
    phone.set_offline(False)
    _id, email, password = a_colleague(server)
    log_in_with(page, server, email, password)
    page.goto(server.url + ROUND)
    page.get_by_text("Rien en attente d'envoi.").wait_for()  # not theirs to see or send

    questions = []

    def stay(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_function("() => true")
    for _ in range(50):
        if questions:
            break
        page.wait_for_timeout(100)
    assert questions, "logging out wiped a colleague's unsent visit without a word"
    assert "1 enregistrement noté sur ce téléphone avec un autre compte" in questions[0]
    assert "Se déconnecter les effacera de ce téléphone" in questions[0]
    assert len(page.evaluate(QUEUE_JS)) == 1  # still on the phone
    assert stored_visits(server, [ref]) == []

    # The colleague logs in again on the phone: the visit leaves, stored once.
    phone.clear_cookies()
    log_in(page, server, "animateur")
    page.goto(server.url + ROUND)
    page.get_by_text("Rien en attente d'envoi.").wait_for()
    assert len(stored_visits(server, [ref])) == 1


def test_pages_kept_for_a_colleague_never_serve_the_next_account(phone, live_server):
    """ "Ma tournée" kept while a colleague was logged in names them and queues under
    their id: once another animateur is logged in on the phone, offline it is theirs."""
    server = live_server
    page = phone.new_page()
    log_in(page, server, "animateur")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.goto(server.url + ROUND)  # controlled: kept in the first animateur's name
    first = page.locator("#hors-ligne-boot").get_attribute("data-animateur")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()
    assert f'data-animateur="{first}"' in kept_round_page(page)

    phone.clear_cookies()  # their session ended on the phone, without logout
    second, email, password = a_colleague(server)
    log_in_with(page, server, email, password)  # lands on the home page, online
    for _ in range(100):
        kept = kept_round_page(page)
        if f'data-animateur="{first}"' not in kept and f'data-animateur="{second}"' in kept:
            break
        page.wait_for_timeout(100)

    phone.set_offline(True)
    page.goto(server.url + ROUND)
    assert page.locator("#hors-ligne-boot").get_attribute("data-animateur") == str(second)
    assert "Bruno Lafon" in page.locator("header").inner_text()
    phone.set_offline(False)


@pytest.mark.parametrize(
    ("zone", "naf", "hour"),
    [
        # 22:30 in Paris is the next morning in Nouméa, 01:30 the evening before in Cayenne.
        ("Pacific/Noumea", "01.19Z", 22),
        ("America/Cayenne", "01.64Z", 1),
    ],
)
def test_a_phone_on_another_time_zone_shows_and_fills_the_times_of_paris(
    browser, live_server, zone, naf, hour
):
    # Found by a review: the round's page wrote the day of the visit and the time a record
    # was kept in the phone's time zone, the rest of the site in Paris's.
    context = browser.new_context(
        viewport=PHONE, locale="fr-FR", timezone_id=zone, service_workers="allow"
    )
    try:
        page, _refs = open_round(context, live_server, naf, "Cabane de l'Aiguillon")
        paris_day = local_today() - timedelta(days=1)
        moment = datetime.combine(paris_day, time(hour, 30), tzinfo=LOCAL_TZ)
        assert moment.astimezone(ZoneInfo(zone)).date() != paris_day  # two calendars
        # On the doorstep, no network (what is kept waits on the phone).
        context.set_offline(True)
        page.clock.set_fixed_time(moment)
        page.reload()
        page.get_by_role("button", name="Noter une visite à Cabane de l'Aiguillon").click()
        form = page.locator("#form-visite")
        expect(form.locator("[name=visited_on]")).to_have_value(paris_day.isoformat())
        form.get_by_label("Porte-à-porte").check()
        form.get_by_label("Compétences partagées").check()
        # A need starting on Paris's day is not "in the past" on a phone a day ahead.
        fill_need(form, "Écailler, deux matinées", paris_day)
        form.get_by_role("button", name="Garder la visite sur le téléphone").click()
        kept = page.locator("#file-liste li", has_text="Visite — « Cabane de l'Aiguillon »")
        expect(kept).to_contain_text(f"Notée le {paris_day:%d/%m/%Y} à {hour:02d}:30")
        assert sorted(r["type"] for r in page.evaluate(QUEUE_JS)) == ["besoin", "visite"]
    finally:
        context.close()
