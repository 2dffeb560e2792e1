"""Who may open what: anonymous visitors, and each role against every home page."""

from __future__ import annotations

import html
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import (
    ApiToken,
    AuditLog,
    Company,
    Lead,
    LeadNeed,
    Need,
    Operator,
    OutboxMessage,
    Partner,
    Referral,
    User,
    Visit,
)
from connectences.web.access import ROLE_HOME, is_public_endpoint
from tests import factories
from tests.helpers import sample_url
from tests.test_api_v1 import token_for

# The public allow-list. A new public page must be added here on purpose.
PUBLIC_ENDPOINTS = {
    "public.index",
    "public.matching",
    "public.privacy",
    "public.legal",
    "public.accessibility",
    "public.contact",
    "public.sitemap",
    "public.health",
    "auth.login",
    "auth.invitation",
    "auth.forgot_password",
    # The JSON API's OpenAPI document: it describes the API and holds no data.
    "api_openapi",
    "api_docs",
    # The job seeker's side of the CV library: no password, a signed personal link.
    "cv_public.submit",
    "cv_public.skills_found",
    "cv_public.thanks",
    "cv_public.suggestions",
    "cv_public.confirm",
    "cv_public.request_link",
    "cv_public.space",
    "cv_public.update",
    "cv_public.space_skills",
    "cv_public.add_own_commitment",  # the work the person already holds
    "cv_public.edit_own",
    "cv_public.remove_own",
    "cv_public.pause",
    "cv_public.choose",
    "cv_public.export_json",
    "cv_public.download_pdf",
    "cv_public.delete",
    "cv_public.deleted",
    "cv_public.account",
    "cv_public.revoke",
    # The needs register: a TPE owner's form, e-mail confirmation and company space link.
    "need_public.form",
    "need_public.sent",
    "need_public.confirm",
    "need_public.space",
    "need_public.disable_links",  # its own link is the key
    "need_public.stop",  # idem
    "need_public.edit",  # idem
    "need_public.preferences",  # idem
    "need_public.details",  # idem
    "diagnosis_public.answer",
    "diagnosis_public.thanks",
    "need_public.renew",
    # What the platform tells companies (#15): resources, "Qui fait quoi", testimonials
    # (their photos only while shown), the call-back form and its confirmation.
    "content.resources",
    "content.resource",
    "content.who_does_what",
    "content.testimonials",
    "content.testimonial_photo",
    "content.callback",
    "content.callback_sent",
    # Events: the list, each event, registration by e-mail with signed confirm and cancel
    # links, the .ics of an event and the calendar feed.
    "events.index",
    "events.show",
    "events.register",
    "events.confirm",
    "events.cancel",
    "events.ics",
    "events.feed",
    # The newsletter's public archive and its signed one-click unsubscribe link.
    "newsletter_public.archive",
    "newsletter_public.show",
    "newsletter_public.unsubscribe",
    # The installable web app: its manifest and service worker (nothing personal in them).
    "webapp.manifest",
    "webapp.service_worker",
    "static",
}


HOMES = {
    "admin": "/admin",
    "animateur": "/animateur",
    "operator": "/operateur",
    "partner": "/partenaire",
    "company": "/entreprise",
    "candidate": "/candidat",
    "territoire": "/territoire",
}


def text(response) -> str:
    """The page as read: entities decoded, runs of white space as one space."""
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_public_allow_list_is_exactly_the_public_views(app):
    public = {
        rule.endpoint for rule in app.url_map.iter_rules() if is_public_endpoint(app, rule.endpoint)
    }
    assert public == PUBLIC_ENDPOINTS


def test_every_route_refuses_anonymous_visitors_except_public_ones(app, client):
    checked = 0
    for rule, method in _routes(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = sample_url(app, rule)
        with client.open(url, method=method) as response:
            status, location = response.status_code, response.headers.get("Location", "")
        checked += 1
        if url.startswith("/api/"):
            assert status == 401, (method, url)
        elif "GET" in rule.methods:
            assert status == 302, (method, url, status)
            assert location.startswith("/connexion?next="), (method, url)
        else:  # an action's address is no page to come back to after the login
            assert (status, location) == (302, "/connexion"), (method, url)
    assert checked >= 10


def test_public_pages_open_without_login(client):
    for url in (
        "/",
        "/mise-en-relation",
        "/donnees-personnelles",
        "/connexion",
        "/health",
        "/static/css/app.css",
    ):
        with client.get(url) as response:  # static files stream: close them
            assert response.status_code == 200, url


def test_anonymous_is_sent_back_to_the_page_after_login(client, auth):
    user = auth.create("animateur")
    response = client.get("/animateur")
    assert response.headers["Location"] == "/connexion?next=/animateur"
    assert "Connectez-vous pour accéder à cette page." in text(client.get("/connexion"))
    assert auth.post_login(user.email, next_url="/animateur").headers["Location"] == "/animateur"


def test_every_role_has_a_home(app):
    assert set(ROLE_HOME) == set(HOMES)
    with app.test_request_context():
        from flask import url_for

        assert {role: url_for(endpoint) for role, endpoint in ROLE_HOME.items()} == HOMES


@pytest.mark.parametrize("role", sorted(HOMES))
def test_each_role_is_refused_the_other_homes(app, auth, role):
    client = app.test_client()
    auth.login(role, client=client)
    statuses = {home_role: client.get(url).status_code for home_role, url in HOMES.items()}
    expected = {home_role: 200 if home_role == role else 403 for home_role in HOMES}
    assert statuses == expected
    refused = client.get(HOMES["admin" if role != "admin" else "animateur"])
    assert "Accès refusé" in text(refused)
    assert '<html lang="fr">' in text(refused)


def test_admin_actions_are_refused_to_other_roles(client, auth):
    auth.login("animateur")
    assert (
        client.post(
            "/admin/invitations", data={"email": "x@exemple.fr", "role": "admin"}
        ).status_code
        == 403
    )
    assert client.post("/admin/utilisateurs/1/desactiver").status_code == 403
    assert client.post("/admin/utilisateurs/1/reactiver").status_code == 403
    assert db.session.scalar(select(OutboxMessage.id)) is None


def _watched() -> dict[str, object]:
    """What an action of the administration would change: accounts (their role, state,
    phone), tokens, e-mails queued, organisations active or not."""
    return {
        "users": db.session.execute(select(User.id, User.role, User.active, User.phone)).all(),
        "tokens": db.session.execute(select(ApiToken.id, ApiToken.revoked_at)).all(),
        "mail": db.session.execute(select(OutboxMessage.id, OutboxMessage.status)).all(),
        "operators": db.session.execute(select(Operator.id, Operator.active)).all(),
        "partners": db.session.execute(select(Partner.id, Partner.active)).all(),
    }


@pytest.mark.parametrize("role", sorted(set(HOMES) - {"admin"}))
def test_every_address_of_the_administration_refuses_the_other_roles(app, auth, role):
    """Each page and action of /admin (those added later too), read or sent by another
    role at a real target (an account, an operator, a live token): a 403 logged as such,
    and nothing else changed (no account, token, e-mail, organisation or action logged)."""
    client = app.test_client()
    user = auth.login(role, client=client)
    target = auth.create("animateur", email="cible@exemple.fr")
    token_for(target)
    factories.load(factories.document(operators=[factories.operator()]))
    values = {
        "user_id": target.id,
        "token_id": db.session.scalar(select(ApiToken.id)),
        "side_word": "operateur",
        "org_id": db.session.scalar(select(Operator.id)),
        "fmt": "csv",
    }
    data = {"email": "x@exemple.fr", "role": "admin", "owner_email": user.email}
    data |= {"name": "x", "days": "90", "phone": "05 56 00 00 00"}
    before = _watched()
    sent = []
    for rule, method in _routes(app):
        if rule.endpoint.partition(".")[0] != "admin":
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        with client.open(url, method=method, data=data) as response:
            assert response.status_code == 403, (method, url)
        sent.append((method, url))
    assert len(sent) >= 17  # 15 addresses, two of them a page and its form
    assert _watched() == before
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.actor_id == user.id).order_by(AuditLog.id)
    ).all()
    assert [(entry.action, entry.details.get("method")) for entry in entries[1:]] == [
        ("admin_access_refused", method) for method, _ in sent
    ]
    assert entries[0].action == "login"


# --- the homes show this user's own data ---------------------------------------------


def _needs(company_ref: str, commune: str | None = None, count: int = 1) -> list[dict]:
    extra = {"commune": commune} if commune else {}
    return [factories.need(company=company_ref, **extra) for _ in range(count)]


def test_animateur_home_counts_needs_and_lists_visits(client, auth):
    company = factories.company(name="Boulangerie du Port")
    factories.load(factories.document(companies=[company], needs=_needs(company["ref"], count=3)))
    stored = db.session.scalar(select(Company))
    db.session.add(
        Visit(company_id=stored.id, channel="porte_a_porte", visited_on=date(2026, 5, 4))
    )
    db.session.commit()
    auth.login("animateur")
    page = text(client.get("/animateur"))
    assert '<th scope="row">Nouveau</th><td class="num">3</td>' in page
    assert "Boulangerie du Port</strong> — 04/05/2026, Porte-à-porte" in page


def test_operator_sees_only_its_own_leads(client, auth):
    mine = auth.create("operator")
    theirs = factories.operator()
    company = factories.company()
    need_a, need_b = (
        factories.need(company=company["ref"], title="Secrétariat du mardi"),
        factories.need(company=company["ref"], title="Paie confidentielle"),
    )
    factories.load(
        factories.document(operators=[theirs], companies=[company], needs=[need_a, need_b])
    )
    needs = {n.title: n for n in db.session.scalars(select(Need))}
    other_operator_id = db.session.scalar(select(Operator.id).where(Operator.ref == theirs["ref"]))
    for operator_id, title in (
        (mine.operator_id, "Secrétariat du mardi"),
        (other_operator_id, "Paie confidentielle"),
    ):
        lead = Lead(operator_id=operator_id)
        lead.needs.append(LeadNeed(need=needs[title]))
        db.session.add(lead)
    db.session.commit()
    auth.post_login(mine.email)
    page = text(client.get("/operateur"))
    assert "Secrétariat du mardi" in page
    assert "Paie confidentielle" not in page
    assert '<th scope="row">Nouvelle</th><td class="num">1</td>' in page  # the inbox's word


def test_partner_sees_only_its_referrals(client, auth):
    mine = auth.create("partner")
    theirs = factories.partner()
    company = factories.company()
    need_a = factories.need(company=company["ref"], title="Vendeur 35 h")
    need_b = factories.need(company=company["ref"], title="Chauffeur poids lourd")
    factories.load(
        factories.document(partners=[theirs], companies=[company], needs=[need_a, need_b])
    )
    other_id = db.session.scalar(select(Partner.id).where(Partner.ref == theirs["ref"]))
    needs = {n.title: n for n in db.session.scalars(select(Need))}
    db.session.add(Referral(partner_id=mine.partner_id, need_id=needs["Vendeur 35 h"].id))
    db.session.add(Referral(partner_id=other_id, need_id=needs["Chauffeur poids lourd"].id))
    db.session.commit()
    auth.post_login(mine.email)
    page = text(client.get("/partenaire"))
    assert "Vendeur 35 h" in page and "Chauffeur poids lourd" not in page


def test_company_sees_its_needs_in_plain_words_and_not_others(client, auth):
    owner = auth.create("company")
    mine = owner.companies[0]
    other = factories.company(name="Concurrent SARL")
    factories.load(
        factories.document(
            companies=[other],
            needs=[
                factories.need(company=mine.ref, title="Accueil le samedi"),
                factories.need(company=other["ref"], title="Besoin du concurrent"),
            ],
        )
    )
    auth.post_login(owner.email)
    page = text(client.get("/entreprise"))
    assert mine.name in page and "Arcachon" in page
    assert "Accueil le samedi" in page
    assert "Reçu : l'animateur va l'étudier avec vous" in page
    assert "Concurrent SARL" not in page and "Besoin du concurrent" not in page


def test_candidate_sees_their_profile(client, auth):
    auth.login("candidate")
    page = text(client.get("/candidat"))
    assert "La Teste-de-Buch" in page
    assert "saisie comptable, facturation" in page
    assert "lundi, mardi, mercredi, jeudi, vendredi" in page
    assert "de 7 à 35 h" in page


def test_territoire_sees_needs_of_its_intercommunality_by_commune(app, client, auth):
    company = factories.company(commune=factories.ARCACHON)
    factories.load(
        factories.document(
            companies=[company],
            needs=_needs(company["ref"], count=2)
            + _needs(company["ref"], commune=factories.LA_TESTE)
            # Andernos-les-Bains is in the COBAN, not the COBAS: not counted.
            + _needs(company["ref"], commune="33005"),
        )
    )
    auth.login("territoire")
    page = text(client.get("/territoire"))
    # One company: the officer reads "secret" (observatory/tables.py), never the counts.
    assert '<th scope="row">Arcachon</th><td class="num">secret</td>' in page
    assert '<th scope="row">La Teste-de-Buch</th><td class="num">secret</td>' in page
    assert "Andernos" not in page
    assert '<tfoot><tr><th scope="row">Total</th><td class="num">secret</td>' in page
    # The animateurs read the same figures exact.
    staff = app.test_client()
    auth.login("animateur", client=staff)
    page = text(staff.get(f"/territoire/intercommunalites/{factories.COBAS}"))
    assert '<th scope="row">Arcachon</th><td class="num">2</td>' in page
    assert '<th scope="row">La Teste-de-Buch</th><td class="num">1</td>' in page
    assert "Andernos" not in page
    assert '<tfoot><tr><th scope="row">Total</th><td class="num">3</td>' in page


def test_admin_sees_accounts_and_failed_mail(client, auth):
    auth.create("partner", email="partenaire@exemple.fr")
    db.session.add_all(
        [
            OutboxMessage(
                kind="other", to="a@exemple.fr", subject="s", body_text="b", status="failed"
            ),
            OutboxMessage(
                kind="other", to="b@exemple.fr", subject="s", body_text="b", status="failed"
            ),
            OutboxMessage(kind="other", to="c@exemple.fr", subject="s", body_text="b"),
        ]
    )
    db.session.commit()
    auth.login("admin")
    page = text(client.get("/admin"))
    assert "<dt>E-mails en échec</dt><dd>2</dd>" in page
    assert "<dt>E-mails en attente d'envoi</dt><dd>1</dd>" in page
    assert "partenaire@exemple.fr" in page
