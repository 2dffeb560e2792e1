"""The newsletter: composed, previewed, tested, then sent through the outbox to the
companies that consented, within the contact-pressure guard (opted-out, capped and
recently contacted companies are skipped, and the page says why); each send is on the
company's timeline; every mail carries its one-click unsubscribe link and the RFC 8058
headers, and the link stops the newsletter for that address only; an address shared by
companies gets one mail. Delivery goes through a real SMTP server on loopback
(tests/test_mail.py)."""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from connectences import create_app
from connectences.clock import LOCAL_TZ, local_today
from connectences.content import testimonials
from connectences.events import catalogue
from connectences.events.registrations import make_token
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import run_guarded
from connectences.mail import MailKind, queue_mail
from connectences.mail.sender import build_message, deliver_due
from connectences.models import (
    Company,
    CompanyMailing,
    NewsletterDelivery,
    NewsletterIssue,
    OutboxMessage,
    Resource,
    Testimonial,
)
from connectences.newsletter import blocks, issues, unsubscribe
from connectences.prospection.pressure import company_timeline
from connectences.web import newsletter as newsletter_views
from tests.helpers import add_visit, audit_entries, mails_to, make_company, page_text
from tests.test_mail import mail_port, server, start_server  # noqa: F401 (fixtures)

UNSUBSCRIBE = re.compile(r"http://localhost(/lettres/desinscription/[^\s\"<>]+)")


@pytest.fixture
def quiet_smtp_server_log():
    """The test SMTP server (aiosmtpd) logs each line of a message at DEBUG; these mails
    carry signed links, which the run's log scan rightly refuses to find in a log."""
    logger = logging.getLogger("mail.log")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(level)


def _company(name: str, *, consent=True, **fields) -> Company:
    company = make_company(name=name)
    company.newsletter_consent = consent
    for key, value in fields.items():
        setattr(company, key, value)
    db.session.commit()
    return company


def _issue(user, subject="La lettre de décembre") -> NewsletterIssue:
    day = (datetime.now(LOCAL_TZ) + timedelta(days=12)).date()
    catalogue.create_event(
        db.session,
        {
            "kind": "petit_dejeuner", "title": "Petit déjeuner des aides", "audience": "entreprises",
            "day": day.isoformat(), "start": "08:30", "end": "10:00", "place": "Arcachon",
            "capacity": "20",
        },
        by=user,
    )  # fmt: skip
    issue = issues.create_issue(
        db.session,
        {
            "subject": subject,
            "introduction": "Bonjour à toutes et à tous.\n\nVoici les nouvelles du Bassin.",
            "blocks": ["evenements"],
        },
        by=user,
    )
    db.session.commit()
    return issue


def _send(issue, by, **options) -> dict:
    """Ask for the issue to be sent, then what the scheduler's job does: send it."""
    issues.queue_issue(db.session, issue, by=by)
    db.session.commit()
    return issues.send_queued(db.session, today=local_today(), **options)


def _deliveries(issue) -> tuple[list[str], dict[str, str]]:
    """The companies the issue went to and those skipped with the reason, by name."""
    rows = db.session.scalars(
        select(NewsletterDelivery).where(NewsletterDelivery.issue_id == issue.id)
    ).all()
    sent = sorted(row.company.name for row in rows if row.reason is None)
    return sent, {row.company.name: row.reason for row in rows if row.reason is not None}


def test_sending_skips_opted_out_capped_and_recently_contacted_companies(
    app,
    auth,
    quiet_smtp_server_log,
    server,  # noqa: F811
):
    animateur = auth.create("animateur", full_name="Inès Animatrice")
    today = local_today()
    welcome = _company("Atelier Bienvenu")
    _company("Refus Total", do_not_solicit=True)
    capped = _company("Plafond Atteint", max_contacts_per_month=1)
    add_visit(capped, animateur, today)
    recent = _company("Vue Récemment")
    add_visit(recent, animateur, today - timedelta(days=5))
    no_consent = _company("Sans Accord", consent=False)
    _company("Sans Adresse", contact_email=None)
    issue = _issue(animateur)

    assert _send(issue, animateur) == {"sent": 1, "skipped": 4, "issues_done": 1}

    sent, reasons = _deliveries(issue)
    assert sent == ["Atelier Bienvenu"]
    assert set(reasons) == {"Refus Total", "Plafond Atteint", "Vue Récemment", "Sans Adresse"}
    assert "demandé à ne plus être sollicitée" in reasons["Refus Total"]
    assert "au plus 1 contact par mois" in reasons["Plafond Atteint"]
    assert "Déjà contactée" in reasons["Vue Récemment"]
    assert reasons["Sans Adresse"] == issues.NO_ADDRESS
    assert no_consent.name not in reasons
    # One send recorded, on that company's timeline, linked to the issue.
    mailings = db.session.scalars(select(CompanyMailing)).all()
    assert [(m.company_id, m.issue_id) for m in mailings] == [(welcome.id, issue.id)]
    [letter] = [e for e in company_timeline(db.session, welcome) if e.kind == "lettre"]
    assert letter.counted and letter.summary == "Lettre d'information : La lettre de décembre"
    assert letter.by == "Inès Animatrice"
    # The issue keeps what it said (its archive) and is done.
    assert issue.send_done_at is not None
    assert issue.sent_count == 1 and issue.snapshot[0]["items"][0]["title"] == (
        "Petit déjeuner des aides"
    )

    # Delivered by SMTP with its one-click unsubscribe link and headers.
    assert deliver_due(db.session).sent == 1
    [message] = server.parsed()
    assert message["To"] == welcome.contact_email
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://localhost/lettres/desinscription/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert url in text and url in html
    assert "Petit déjeuner des aides" in text and "Voici les nouvelles du Bassin." in html

    # Sent once: a second send is refused and records nothing more.
    with pytest.raises(issues.IssueError):
        issues.queue_issue(db.session, issue, by=animateur)
    db.session.rollback()
    assert issues.send_queued(db.session, today=today) == {
        "sent": 0,
        "skipped": 0,
        "issues_done": 0,
    }
    assert len(db.session.scalars(select(CompanyMailing)).all()) == 1


def test_the_send_page_says_who_was_skipped_and_why(client, auth):
    animateur = auth.login("animateur")
    _company("Atelier Bienvenu")
    _company("Refus Total", do_not_solicit=True)
    issue = _issue(animateur)
    response = client.post(f"/animateur/lettre/{issue.id}/envoyer", data={})
    assert response.status_code == 422
    assert "Cochez la case pour confirmer l'envoi." in page_text(response)
    assert db.session.scalars(select(CompanyMailing)).all() == []
    response = client.post(
        f"/animateur/lettre/{issue.id}/envoyer", data={"confirmer": "1"}, follow_redirects=True
    )
    # The request asks; the scheduler's job sends.
    text = page_text(response)
    assert "Envoi en cours" in text and "0 entreprise traitée sur 2" in text
    assert mails_to(db.session.scalars(select(Company.contact_email)).first()) == []
    assert db.session.scalars(select(CompanyMailing)).all() == []
    assert "Envoi en cours" in page_text(client.get("/animateur/lettre"))
    again = client.post(
        f"/animateur/lettre/{issue.id}/envoyer", data={"confirmer": "1"}, follow_redirects=True
    )
    assert "L'envoi de cette lettre est en cours" in page_text(again)

    issues.send_queued(db.session, today=local_today())
    text = page_text(client.get(f"/animateur/lettre/{issue.id}"))
    assert "Envoi en cours" not in text and "à 1 entreprise." in text
    assert "Entreprises non destinataires (1)" in text and "Refus Total" in text
    assert "demandé à ne plus être sollicitée" in text


def test_one_click_post_unsubscribes_without_login_or_csrf_token(app, client, monkeypatch):
    company = _company("Atelier Bienvenu")
    other = _company("Voisin")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    # CSRF protection is on: another public form without its token is refused...
    assert client.post("/evenements/1/inscription", data={"name": "x"}).status_code == 400
    # ...but the unsubscribe link's POST, as a mail client sends it, works.
    path = unsubscribe.unsubscribe_url(company, company.contact_email).removeprefix(
        "http://localhost"
    )
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 303
    assert "ne recevra plus la lettre d'information" in page_text(client.get(path))
    db.session.expire_all()
    assert db.session.get(Company, company.id).newsletter_consent is False
    # Only that company: its neighbour and its other choices are untouched.
    assert db.session.get(Company, other.id).newsletter_consent is True
    assert db.session.get(Company, company.id).do_not_solicit is False
    assert client.post(path).status_code == 303  # twice: nothing more happens


def test_an_address_shared_by_companies_receives_one_mail_and_one_unsubscribe_stops_it(
    client, auth
):
    """An accountant (or a manager with two shops) whose address several companies gave
    gets the issue once, and after unsubscribing gets no later issue for the others."""
    animateur = auth.create("animateur")
    first = _company("Atelier Alpha", contact_email="compta@cabinet.fr")
    _company("Boutique Beta", contact_email="compta@cabinet.fr")
    own = _company("Café Gamma", contact_email="gerant@gamma.fr")
    issue = _issue(animateur)

    _send(issue, animateur)

    assert _deliveries(issue) == (
        ["Atelier Alpha", "Café Gamma"],
        {"Boutique Beta": issues.same_address(first)},
    )
    assert len(mails_to("compta@cabinet.fr")) == 1
    assert [m.company_id for m in db.session.scalars(select(CompanyMailing))] == [
        first.id,
        own.id,
    ]

    path = unsubscribe.unsubscribe_url(first, first.contact_email).removeprefix("http://localhost")
    assert client.post(path).status_code == 303
    db.session.expire_all()
    consents = {c.name: c.newsletter_consent for c in db.session.scalars(select(Company))}
    assert consents == {"Atelier Alpha": False, "Boutique Beta": False, "Café Gamma": True}


def test_the_unsubscribe_link_shows_a_button_before_acting(client):
    company = _company("Atelier Bienvenu")
    path = unsubscribe.unsubscribe_url(company, company.contact_email).removeprefix(
        "http://localhost"
    )
    response = client.get(path)
    assert response.status_code == 200 and "Me désinscrire" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Company, company.id).newsletter_consent is True


def test_an_unsubscribe_link_cannot_unsubscribe_someone_else(client):
    company = _company("Atelier Bienvenu")
    other = _company("Voisin")
    token = unsubscribe.unsubscribe_token(company, company.contact_email)
    forged_for_other = unsubscribe.unsubscribe_token(other, other.contact_email)
    tampered = forged_for_other.split(".", 1)[0] + "." + token.split(".", 1)[1]
    wrong_purpose = make_token(
        "event-registration-cancel", {"c": other.id, "e": other.contact_email}
    )
    for bad in (tampered, token[:-3] + "abc", wrong_purpose):
        assert client.post(f"/lettres/desinscription/{bad}").status_code == 400
    # A link sent to the company's former address stops nothing for the new person.
    company.contact_email = "nouvelle.gerante@atelier.fr"
    db.session.commit()
    response = client.post(f"/lettres/desinscription/{token}")
    assert response.status_code == 400
    assert "ne correspond plus à l'adresse" in page_text(response)
    db.session.expire_all()
    assert {c.newsletter_consent for c in db.session.scalars(select(Company))} == {True}


def test_only_unsubscribe_headers_may_be_added_to_a_mail():
    moment = datetime.now(UTC)
    with pytest.raises(ValueError):
        build_message(outbox_id=1, to="a@exemple.fr", subject="s", body_text="b", body_html=None,
                      created_at=moment, mail_from="x@exemple.fr", headers={"Bcc": "b@x.fr"})  # fmt: skip
    message = queue_mail(
        db.session, kind=MailKind.NEWSLETTER, to="a@exemple.fr", subject="s", body_text="b",
        headers=unsubscribe.list_headers("http://localhost/lettres/desinscription/t"),
    )  # fmt: skip
    db.session.commit()
    assert db.session.get(OutboxMessage, message.id).headers == {
        "List-Unsubscribe": "<http://localhost/lettres/desinscription/t>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_compose_preview_and_test_goes_to_the_author_only(client, auth):
    animateur = auth.login("animateur")
    _company("Atelier Bienvenu")
    response = client.post("/animateur/lettre/nouvelle", data={"subject": "", "introduction": ""})
    assert response.status_code == 422
    text = page_text(response)
    assert "Indiquez l'objet de la lettre." in text and "Écrivez quelques lignes" in text
    assert db.session.scalars(select(NewsletterIssue)).all() == []
    issue = _issue(animateur)
    page = page_text(client.get(f"/animateur/lettre/{issue.id}"))
    assert "Voici les nouvelles du Bassin." in page and "Petit déjeuner des aides" in page
    html = client.get(f"/animateur/lettre/{issue.id}/apercu.html")
    assert html.mimetype == "text/html" and "Petit déjeuner des aides" in html.get_data(True)
    assert "Petit déjeuner des aides" in client.get(f"/animateur/lettre/{issue.id}/apercu.txt")\
        .get_data(True)  # fmt: skip
    client.post(f"/animateur/lettre/{issue.id}/essai")
    tests = db.session.scalars(select(OutboxMessage)).all()
    assert [(m.to, m.kind) for m in tests] == [(animateur.email, MailKind.NEWSLETTER_TEST)]
    assert tests[0].subject.endswith("[Essai] La lettre de décembre")
    assert db.session.scalars(select(CompanyMailing)).all() == []


def test_the_public_archive_shows_issues_sent_not_drafts(client, auth):
    animateur = auth.create("animateur")
    _company("Atelier Bienvenu")
    sent = _issue(animateur, "Lettre envoyée")
    draft = _issue(animateur, "Brouillon secret")
    _send(sent, animateur)
    archive = page_text(client.get("/lettres"))
    assert "Lettre envoyée" in archive and "Brouillon secret" not in archive
    shown = page_text(client.get(f"/lettres/{sent.id}"))
    assert "Voici les nouvelles du Bassin." in shown and "Petit déjeuner des aides" in shown
    assert client.get(f"/lettres/{draft.id}").status_code == 404
    assert mails_to("contact@exemple.fr") == []


@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
def test_other_roles_cannot_compose_or_send_the_newsletter(client, auth, role):
    animateur = auth.create("animateur")
    _company("Atelier Bienvenu")
    issue = _issue(animateur)
    auth.login(role)
    for url in ("/animateur/lettre", f"/animateur/lettre/{issue.id}",
                f"/animateur/lettre/{issue.id}/apercu.html"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    assert client.post(f"/animateur/lettre/{issue.id}/envoyer",
                       data={"confirmer": "1"}).status_code == 403  # fmt: skip
    assert client.post(f"/animateur/lettre/{issue.id}/essai").status_code == 403
    assert db.session.scalars(select(CompanyMailing)).all() == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_new_kind_of_block_plugs_in_with_one_function(auth, monkeypatch):
    animateur = auth.create("animateur")

    def resource_items(session):
        return [blocks.BlockItem(title="Aide à l'embauche d'un premier salarié",
                                 text="Jusqu'à 4 000 euros.", url="http://localhost/r/1")]  # fmt: skip

    # The registry is restored after the test (the new kind is this test's only).
    monkeypatch.setattr(blocks, "BLOCKS", dict(blocks.BLOCKS))
    monkeypatch.setattr(issues, "BLOCKS", blocks.BLOCKS)
    blocks.register_block(
        "ressources", title="Ressources", label="Ressources publiées", items=resource_items
    )
    issue = issues.create_issue(
        db.session,
        {"subject": "Lettre", "introduction": "Bonjour.", "blocks": ["ressources"]},
        by=animateur,
    )
    text, html = issues.render_mail(db.session, issue, unsubscribe_url=None)
    assert "RESSOURCES" in text and "Aide à l'embauche d'un premier salarié" in text
    assert '<a href="http://localhost/r/1">' in html
    with pytest.raises(issues.IssueError):
        issues.create_issue(
            db.session, {"subject": "L", "introduction": "B", "blocks": ["inconnu"]}, by=animateur
        )


def test_a_draft_changes_until_it_is_sent_then_no_more(client, auth):
    animateur = auth.login("animateur")
    _company("Atelier Bienvenu")
    issue = _issue(animateur)
    response = client.post(
        f"/animateur/lettre/{issue.id}",
        data={"subject": "Nouvel objet", "introduction": "Texte.", "blocks": ["evenements"]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(NewsletterIssue, issue.id).subject == "Nouvel objet"
    _send(db.session.get(NewsletterIssue, issue.id), animateur)
    response = client.post(
        f"/animateur/lettre/{issue.id}",
        data={"subject": "Trop tard", "introduction": "Texte."},
        follow_redirects=True,
    )
    assert "Cette lettre est déjà envoyée" in page_text(response)
    db.session.expire_all()
    assert db.session.get(NewsletterIssue, issue.id).subject == "Nouvel objet"


def test_resources_and_testimonials_blocks_and_a_withdrawn_testimonial_leaves_the_archive(
    client, auth
):
    animateur = auth.create("animateur")
    company = _company("Atelier Bienvenu")
    db.session.add_all(
        [
            Resource(
                slug="aide-embauche", title="Aide à l'embauche", summary="Jusqu'à 4 000 euros.",
                body="Texte", topics=["recrutement"], source="État",
                valid_until=local_today() + timedelta(days=90), published=True,
            ),
            Testimonial(
                title="Un comptable à mi-temps", company_label="Atelier Bienvenu",
                body="Huit heures par semaine, partagées avec deux voisins.",
                company_id=company.id, consent_by="La gérante", consent_on=local_today(),
                consent_scope=["site", "lettre"], published=True,
            ),
            Testimonial(
                title="Réservé au site", company_label="Autre", body="Texte",
                consent_by="Le gérant", consent_on=local_today(), consent_scope=["site"],
                published=True,
            ),
        ]
    )  # fmt: skip
    issue = issues.create_issue(
        db.session,
        {"subject": "Lettre", "introduction": "Bonjour.", "blocks": ["ressources", "temoignages"]},
        by=animateur,
    )
    text, html = issues.render_mail(db.session, issue, unsubscribe_url=None)
    assert "Aide à l'embauche" in text and "http://localhost/ressources/aide-embauche" in html
    assert "Un comptable à mi-temps" in text and "Réservé au site" not in text
    # A testimonial's link opens the testimonials' page at that testimonial.
    shown_id = db.session.scalar(select(Testimonial.id).where(Testimonial.title.like("Un%")))
    link = f"http://localhost/temoignages#temoignage-{shown_id}"
    assert link in text and f'href="{link}"' in html and "_anchor" not in text + html
    _send(issue, animateur)
    archived = client.get(f"/lettres/{issue.id}")
    assert "Un comptable à mi-temps" in page_text(archived)
    assert f'href="{link}"' in archived.get_data(as_text=True)
    home = page_text(client.get("/"))
    assert "Un comptable à mi-temps" in home and "Réservé au site" in home

    shown = db.session.scalars(select(Testimonial).where(Testimonial.title.like("Un%"))).one()
    testimonials.withdraw(db.session, shown, by=animateur)
    db.session.commit()
    archive = page_text(client.get(f"/lettres/{issue.id}"))
    assert "Un comptable à mi-temps" not in archive and "Aide à l'embauche" in archive
    assert "Un comptable à mi-temps" not in page_text(client.get("/"))
    assert blocks.testimonial_items(db.session) == []


def test_a_second_sending_that_read_the_issue_unsent_is_refused_and_sends_nothing(auth):
    """A double tap or two tabs: the second request read the issue before the first
    committed. It is refused, and the issue goes once to each company."""
    animateur = auth.create("animateur")
    _company("Atelier Bienvenu")
    issue = _issue(animateur)
    other = db.session.session_factory()  # another request, with its own transaction
    try:
        seen_unsent = other.get(NewsletterIssue, issue.id)
        assert seen_unsent.sent_at is None
        issues.queue_issue(db.session, issue, by=animateur)
        db.session.commit()
        with pytest.raises(issues.IssueError, match="vient d'être demandé"):
            issues.queue_issue(other, seen_unsent, by=other.get(type(animateur), animateur.id))
        other.rollback()
    finally:
        other.close()
    assert issues.send_queued(db.session, today=local_today())["sent"] == 1
    db.session.expire_all()
    kept = db.session.get(NewsletterIssue, issue.id)
    assert kept.sent_count == 1 and _deliveries(kept)[1] == {}
    assert len(db.session.scalars(select(CompanyMailing)).all()) == 1
    assert len(audit_entries("newsletter.send")) == 1


def _outbox_by_address() -> dict[str, int]:
    rows = db.session.scalars(
        select(OutboxMessage.to).where(OutboxMessage.kind == MailKind.NEWSLETTER)
    ).all()
    return {address: rows.count(address) for address in rows}


def test_the_scheduler_job_sends_once_and_a_second_run_sends_nothing(auth):
    animateur = auth.create("animateur")
    for name in ("Atelier Un", "Boutique Deux", "Café Trois"):
        _company(name)
    issue = _issue(animateur)
    issues.queue_issue(db.session, issue, by=animateur)
    db.session.commit()
    assert _outbox_by_address() == {}  # asked for, not sent by the request

    job = JOBS_BY_ID["newsletter_sending"]
    now = datetime.now(UTC)
    first = run_guarded(job, now=now)
    assert first.outcome == "ok" and first.counts == {"sent": 3, "skipped": 0, "issues_done": 1}
    second = run_guarded(job, now=now + timedelta(minutes=1))
    assert second.outcome == "ok" and second.counts == {"sent": 0, "skipped": 0, "issues_done": 0}
    assert sorted(_outbox_by_address().values()) == [1, 1, 1]
    db.session.expire_all()
    assert db.session.get(NewsletterIssue, issue.id).send_done_at is not None
    assert len(audit_entries("newsletter.sent")) == 1


def test_a_sending_interrupted_midway_goes_on_without_sending_anything_twice(auth, monkeypatch):
    """A crash in the second batch: the first batch stays sent, the second is rolled back
    with its mails, and the next run sends the rest, each address once."""
    animateur = auth.create("animateur")
    for number in range(5):
        _company(f"Entreprise {number}", contact_email=f"dirigeant{number}@exemple.fr")
    _company("Même Adresse", contact_email="dirigeant4@exemple.fr")
    issue = _issue(animateur)
    issues.queue_issue(db.session, issue, by=animateur)
    db.session.commit()
    monkeypatch.setattr(issues, "BATCH_SIZE", 2)
    real_render = issues.render_mail
    calls = []

    def failing_render(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("le serveur s'est arrêté")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(issues, "render_mail", failing_render)
    job = JOBS_BY_ID["newsletter_sending"]
    now = datetime.now(UTC)
    assert run_guarded(job, now=now).outcome == "error"
    assert sorted(_outbox_by_address()) == ["dirigeant0@exemple.fr", "dirigeant1@exemple.fr"]
    db.session.expire_all()
    assert db.session.get(NewsletterIssue, issue.id).sending

    monkeypatch.setattr(issues, "render_mail", real_render)
    resumed = run_guarded(job, now=now + timedelta(minutes=1))
    assert resumed.outcome == "ok" and resumed.counts["sent"] == 3
    assert resumed.counts["skipped"] == 1  # the second company at dirigeant4@
    assert _outbox_by_address() == {f"dirigeant{n}@exemple.fr": 1 for n in range(5)}
    assert len(db.session.scalars(select(CompanyMailing)).all()) == 5
    assert run_guarded(job, now=now + timedelta(minutes=2)).counts["sent"] == 0
    db.session.expire_all()
    done = db.session.get(NewsletterIssue, issue.id)
    assert not done.sending and done.sent_count == 5


def test_two_schedulers_sending_at_once_send_each_address_once(app, auth):
    animateur = auth.create("animateur")
    for number in range(6):
        _company(f"Entreprise {number}", contact_email=f"dirigeant{number}@exemple.fr")
    issue = _issue(animateur)
    issues.queue_issue(db.session, issue, by=animateur)
    db.session.commit()
    barrier = threading.Barrier(2)
    counts = []

    def scheduler():
        with app.app_context():
            barrier.wait()
            counts.append(issues.send_queued(db.session, today=local_today(), size=1))
            db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(c["sent"] for c in counts) == 6 and sum(c["issues_done"] for c in counts) == 1
    assert _outbox_by_address() == {f"dirigeant{n}@exemple.fr": 1 for n in range(6)}


def test_the_not_sent_list_is_paged(client, auth, monkeypatch):
    animateur = auth.login("animateur")
    for number in range(3):
        _company(f"Refus {number}", do_not_solicit=True)
    issue = _issue(animateur)
    _send(issue, animateur)
    monkeypatch.setattr(newsletter_views, "SKIPPED_PER_PAGE", 2)
    first = page_text(client.get(f"/animateur/lettre/{issue.id}"))
    assert "Entreprises non destinataires (3)" in first
    assert "Refus 0" in first and "Refus 1" in first and "Refus 2" not in first
    assert "Page 1 sur 2" in first
    second = page_text(client.get(f"/animateur/lettre/{issue.id}?page=2"))
    assert "Refus 2" in second and "Refus 0" not in second


def test_the_migration_keeps_what_the_issues_already_sent_did(tmp_path, auth):
    """Issues sent before the job kept their skipped companies as a JSON list: the
    upgrade turns it and their mailings into rows, and marks them done; the downgrade
    gives the list back."""
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"}
    )
    with app.app_context():
        upgrade()
        animateur = auth.create("animateur")
        received = _company("Atelier Reçu", contact_email="Gerant@Recu.fr")
        _company("Refus Total", do_not_solicit=True)
        issue = _issue(animateur)
        _send(issue, animateur)
        issue_id, received_id = issue.id, received.id
        db.session.remove()
        downgrade(revision="9316801b748e")
        with db.engine.begin() as connection:
            skipped = connection.exec_driver_sql("SELECT skipped FROM newsletter_issue").scalar()
            assert [row["company"] for row in json.loads(skipped)] == ["Refus Total"]
            connection.exec_driver_sql("DELETE FROM newsletter_issue")  # an old-style one:
            connection.exec_driver_sql(
                "INSERT INTO newsletter_issue (id, subject, introduction, blocks, snapshot,"
                " skipped, sent_count, sent_at, created_at, updated_at) VALUES (?, 'Lettre',"
                " '', '[]', '[]', ?, 1, '2026-01-02 10:00:00', '2026-01-02 10:00:00',"
                " '2026-01-02 10:00:00')",
                (issue_id, skipped),
            )
            connection.exec_driver_sql(
                "UPDATE company_mailing SET issue_id = ? WHERE company_id = ?",
                (issue_id, received_id),
            )
        upgrade()
        done = db.session.get(NewsletterIssue, issue_id)
        assert done.send_done_at == done.sent_at and not done.sending
        assert _deliveries(done) == (["Atelier Reçu"], {"Refus Total": skipped_reason(skipped)})
        row = db.session.scalars(
            select(NewsletterDelivery).where(NewsletterDelivery.reason.is_(None))
        ).one()
        assert row.address == "gerant@recu.fr"
        db.session.remove()
        db.engine.dispose()


def skipped_reason(skipped: str) -> str:
    return json.loads(skipped)[0]["reason"]
