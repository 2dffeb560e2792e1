"""Operators and partners switched off and on again by the administrator: the page, the
command line, the audit log, and what routing, dispatch and the events then offer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from connectences import organisations
from connectences.accounts import users
from connectences.content import directory
from connectences.events import catalogue
from connectences.exchange.exporter import export_document
from connectences.exchange.importer import import_document_and_commit
from connectences.extensions import db
from connectences.mail import MailKind, deliver_due
from connectences.matching.routing import decide_route
from connectences.models import AuditLog, Need, Operator, OutboxMessage, Partner, utcnow
from connectences.workflows import dispatch
from tests import factories
from tests.fixtures_auth import csrf_token_from
from tests.helpers import page_text
from tests.test_content_directory import FORM
from tests.test_mail import mail_port, server, start_server  # noqa: F401 (fixtures)

NON_ADMIN_ROLES = ["animateur", "operator", "partner", "company", "candidate", "territoire"]


def _world() -> None:
    """Operator ``ge`` (the three intercommunalities), partners ``a-ft`` and ``b-ft``
    (France Travail, everywhere) and ``interim`` (COBAS), company ``c1`` (Arcachon),
    a shared-time need ``temps-partage`` and a full-time one ``plein-temps``."""
    factories.load(
        factories.document(
            operators=[factories.operator(ref="ge", name="GE Bassin")],
            partners=[
                factories.partner(ref="a-ft", name="France Travail Arcachon"),
                factories.partner(ref="b-ft", name="France Travail Biganos"),
                factories.partner(
                    ref="interim", name="Intérim Bassin", kind="interim", epcis=[factories.COBAS]
                ),
            ],
            companies=[factories.company(ref="c1")],
            needs=[
                factories.need(ref="temps-partage", company="c1"),
                factories.need(ref="plein-temps", company="c1", hours_per_week=35, contract="cdi"),
            ],
        )
    )


def _org(model, ref):
    return db.session.scalar(select(model).where(model.ref == ref))


def _entries(action: str) -> list[AuditLog]:
    return list(
        db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
    )


# ------------------------------------------------------------------------------ domain


def test_a_deactivated_partner_is_proposed_no_more_and_again_once_reactivated():
    _world()
    assert decide_route("plein-temps").partner == "a-ft"
    organisations.deactivate(db.session, "partner", "a-ft")
    db.session.commit()
    assert decide_route("plein-temps").partner == "b-ft"
    assert "a-ft" not in {p.ref for p in dispatch.active_partners(db.session)}
    assert "a-ft" not in {p.ref for p in catalogue.active_partners(db.session)}
    organisations.reactivate(db.session, "partner", "a-ft")
    db.session.commit()
    assert decide_route("plein-temps").partner == "a-ft"
    assert "a-ft" in {p.ref for p in dispatch.active_partners(db.session)}
    assert "a-ft" in {p.ref for p in catalogue.active_partners(db.session)}


def test_a_deactivated_operator_gets_no_need_routed_to_it():
    _world()
    assert decide_route("temps-partage").operator == "ge"
    _, warnings = organisations.deactivate(db.session, "operator", "ge")
    db.session.commit()
    decision = decide_route("temps-partage")
    assert decision.decision == "reorientation" and decision.operator is None
    assert warnings and "dernier opérateur actif" in warnings[0]
    organisations.reactivate(db.session, "operator", "ge")
    db.session.commit()
    assert decide_route("temps-partage").operator == "ge"


def test_deactivating_the_last_france_travail_or_last_partner_is_allowed_but_warned():
    _world()
    _, warnings = organisations.deactivate(db.session, "partner", "a-ft")
    assert warnings == []  # another France Travail partner is left
    _, warnings = organisations.deactivate(db.session, "partner", "b-ft")
    assert len(warnings) == 1 and "dernier partenaire France Travail actif" in warnings[0]
    db.session.commit()
    # What routing then answers: no default partner, the animateur chooses.
    assert decide_route("plein-temps").partner is None
    _, warnings = organisations.deactivate(db.session, "partner", "interim")
    assert len(warnings) == 1 and "dernier partenaire actif" in warnings[0]
    db.session.commit()
    assert not _org(Partner, "interim").active
    entry = _entries("organisation_deactivated")[-1]
    assert entry.details["warnings"] == warnings


def test_a_deactivated_partner_leaves_the_public_directory_and_comes_back(auth):
    _world()
    member = auth.create("partner", org_ref="a-ft")
    animateur = auth.create("animateur")
    entry = directory.entry_of(db.session, "partner", member.partner_id)
    directory.propose(db.session, entry, FORM, by=member)
    directory.validate(db.session, entry, by=animateur)
    db.session.commit()

    def listed() -> bool:
        return entry in directory.public_entries(db.session, directory.DirectoryFilters())

    assert listed()
    organisations.deactivate(db.session, "partner", "a-ft")
    db.session.commit()
    assert not listed()
    organisations.reactivate(db.session, "partner", "a-ft")
    db.session.commit()
    assert listed()


def test_members_of_a_deactivated_operator_still_log_in_to_answer_their_leads(client, auth):
    """Its open leads stay its own: the people who answer them keep their access."""
    _world()
    organisations.deactivate(db.session, "operator", "ge")
    db.session.commit()
    member = auth.login("operator", org_ref="ge")
    assert member.operator.ref == "ge" and not member.operator.active
    assert client.get("/operateur").status_code == 200


NOTICE = "ne reçoit plus de nouveaux besoins"


def _deactivated_on(side: str, ref: str, day: datetime) -> None:
    """Deactivate, then date its audit entry ``day`` and touch the row later (as an
    import renaming it would): the pages must date it from the audit entry."""
    organisation, _ = organisations.deactivate(db.session, side, ref)
    _entries("organisation_deactivated")[-1].at = day
    organisation.name = organisation.name + " "
    db.session.commit()
    assert organisation.updated_at.date() != day.date()


@pytest.mark.parametrize(
    ("role", "ref", "pages", "open_work"),
    [
        (
            "operator",
            "ge",
            ["/operateur", "/operateur/propositions"],
            "répondre aux propositions déjà reçues et suivre les placements",
        ),
        (
            "partner",
            "a-ft",
            ["/partenaire", "/partenaire/reorientations"],
            "prendre en charge et clore les réorientations déjà reçues",
        ),
    ],
)
def test_members_of_a_deactivated_organisation_are_told_since_when_and_whom_to_ask(
    app, client, auth, role, ref, pages, open_work
):
    _world()
    auth.login(role, org_ref=ref)
    for url in pages:
        assert NOTICE not in page_text(client.get(url)), url
    _deactivated_on(role, ref, datetime(2026, 3, 14, 22, 30, tzinfo=UTC))
    for url in pages:
        response = client.get(url)
        # A style every page loads (app.css), not animateur.css's .notice.
        assert 'class="flash flash-warning" role="status" id="organisation-desactivee"' in (
            response.get_data(as_text=True)
        )
        page = page_text(response)
        # 22:30 UTC is the 14th in Paris (UTC+1 in March).
        assert f"{NOTICE} depuis le 14/03/2026" in page, url
        assert "Vous pouvez terminer ce qui est en cours, votre compte reste ouvert" in page
        assert open_work in page
        assert "contactez l'administrateur de la plateforme" in page
        assert app.config["CONTACT_EMAIL"] in page


def _single_page(side: str, ref: str) -> str:
    """A lead proposed to operator ``ge`` or a referral sent to partner ``a-ft``: the
    address of its page."""
    from connectences import workflows

    need = db.session.scalar(select(Need).where(Need.ref == "temps-partage"))
    workflows.transition(db.session, need, workflows.NEED, "qualifie")
    if side == "operator":
        lead = dispatch.send_lead(db.session, needs=[need], operator=_org(Operator, ref))
        db.session.commit()
        return f"/operateur/propositions/{lead.id}"
    referral = dispatch.send_referral(
        db.session, need=need, partner=_org(Partner, ref), reasons=["hors_perimetre"]
    )
    db.session.commit()
    return f"/partenaire/reorientations/{referral.id}"


@pytest.mark.parametrize(
    ("role", "ref", "open_work"),
    [
        ("operator", "ge", "répondre aux propositions déjà reçues et suivre les placements"),
        ("partner", "a-ft", "prendre en charge et clore les réorientations déjà reçues"),
    ],
)
def test_the_single_lead_or_referral_page_shows_the_notice_too(
    app, client, auth, role, ref, open_work
):
    """A member opening a lead or referral from a link (a mail, a bookmark) reads it too."""
    _world()
    url = _single_page(role, ref)
    auth.login(role, org_ref=ref)
    assert NOTICE not in page_text(client.get(url))
    _deactivated_on(role, ref, datetime(2026, 3, 14, 22, 30, tzinfo=UTC))
    response = client.get(url)
    assert response.status_code == 200
    assert 'id="organisation-desactivee"' in response.get_data(as_text=True)
    page = page_text(response)
    assert f"{NOTICE} depuis le 14/03/2026" in page
    assert open_work in page and app.config["CONTACT_EMAIL"] in page


def test_with_its_audit_entry_purged_the_notice_gives_no_date_rather_than_a_wrong_one(client, auth):
    _world()
    auth.login("operator", org_ref="ge")
    organisations.deactivate(db.session, "operator", "ge")
    db.session.commit()
    operator = _org(Operator, "ge")
    assert organisations.deactivated_since(db.session, operator) is not None
    db.session.execute(delete(AuditLog).where(AuditLog.action == "organisation_deactivated"))
    db.session.commit()
    assert organisations.deactivated_since(db.session, operator) is None
    page = page_text(client.get("/operateur"))
    assert f"{NOTICE} :" in page and "depuis le" not in page


def test_the_latest_deactivation_dates_the_notice():
    _world()
    organisations.deactivate(db.session, "partner", "a-ft")
    _entries("organisation_deactivated")[-1].at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    organisations.reactivate(db.session, "partner", "a-ft")
    partner, _ = organisations.deactivate(db.session, "partner", "a-ft")
    _entries("organisation_deactivated")[-1].at = datetime(2026, 2, 9, 9, tzinfo=UTC)
    db.session.commit()
    since = organisations.deactivated_since(db.session, partner)
    assert since.date() == date(2026, 2, 9)
    organisations.reactivate(db.session, "partner", "a-ft")
    assert organisations.deactivated_since(db.session, partner) is None


def test_with_the_last_operator_off_the_need_page_reorients_and_says_why(client, auth):
    """Every shared-time need then goes to a partner: the animateur's page says so with
    the true reason (none is active, not « none registered ») and who can change it."""
    _world()
    db.session.execute(update(Need).values(status="qualifie"))
    organisations.deactivate(db.session, "operator", "ge")
    db.session.commit()
    auth.login("animateur")
    page = page_text(client.get("/animateur/besoins/temps-partage"))
    assert (
        "Réorientation vers un partenaire : France Travail Arcachon — Aucun opérateur ne "
        "couvre ce besoin." in page
    )
    assert "Aucun opérateur actif n'est enregistré sur la plateforme" in page
    assert "Un administrateur peut réactiver un opérateur désactivé" in page
    assert "Aucun opérateur n'est enregistré" not in page
    assert "Proposer à un opérateur Aucun opérateur actif n'est enregistré." in page


def test_the_interchange_export_leaves_a_deactivated_organisation_out_and_an_import_keeps_it_off():
    """The spec says nothing of activity and rejects unknown keys: exported, a
    deactivated partner would read as an open one to the platform importing the file,
    which would send it needs; it is left out. A document that still names it (its
    sender's file sent again, an upsert by ref) does not switch it on again."""
    _world()
    before = export_document()
    organisations.deactivate(db.session, "partner", "a-ft")
    db.session.commit()
    document = export_document()
    assert "a-ft" not in {record["ref"] for record in document["partners"]}
    import_document_and_commit(before)
    db.session.expire_all()
    assert not _org(Partner, "a-ft").active


@pytest.mark.parametrize(
    ("side", "ref", "message"),
    [
        ("partner", "inconnu", "Aucun partenaire n'a la référence « inconnu »."),
        ("operator", "a-ft", "Aucun opérateur n'a la référence « a-ft »."),
        ("societe", "a-ft", "Type d'organisation inconnu : « societe »."),
    ],
)
def test_an_unknown_reference_or_kind_is_refused_in_french(side, ref, message):
    _world()
    with pytest.raises(organisations.OrganisationError) as refusal:
        organisations.deactivate(db.session, side, ref)
    assert refusal.value.message.startswith(message)
    db.session.rollback()
    assert _entries("organisation_deactivated") == []


def test_deactivating_twice_or_reactivating_an_active_one_is_said_and_not_logged():
    _world()
    with pytest.raises(organisations.AlreadySo, match="est déjà actif"):
        organisations.reactivate(db.session, "partner", "a-ft")
    organisations.deactivate(db.session, "partner", "a-ft")
    db.session.commit()
    with pytest.raises(organisations.AlreadySo, match="est déjà désactivé"):
        organisations.deactivate(db.session, "partner", "a-ft")
    db.session.rollback()
    assert len(_entries("organisation_deactivated")) == 1
    assert _entries("organisation_reactivated") == []


# ------------------------------------------------------------------------------ members' mail


def _mails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.parametrize(
    ("side", "ref", "inbox", "open_work"),
    [
        (
            "operator",
            "ge",
            "http://localhost/operateur/propositions",
            "répondre aux propositions déjà reçues et suivre les placements",
        ),
        (
            "partner",
            "a-ft",
            "http://localhost/partenaire/reorientations",
            "prendre en charge et clore les réorientations déjà reçues",
        ),
    ],
)
def test_each_active_member_is_mailed_when_the_organisation_goes_off_then_on(
    app,
    auth,
    server,  # noqa: F811
    side,
    ref,
    inbox,
    open_work,
):
    """One mail to the organisation's address and one per working member account, none
    to a disabled one nor to another organisation's members, delivered by the real SMTP
    server; the same on reactivation."""
    _world()
    first = auth.create(side, org_ref=ref, email="un@membre.example")
    second = auth.create(side, org_ref=ref, email="deux@membre.example")
    gone = auth.create(side, org_ref=ref, email="parti@membre.example")
    gone.active = False
    auth.create("partner", org_ref="b-ft", email="autre@ft.example")
    db.session.commit()
    organisation = _org(Operator, ref) if side == "operator" else _org(Partner, ref)
    name, address = organisation.name, organisation.email

    organisations.deactivate(db.session, side, ref)
    db.session.commit()
    mails = _mails()
    assert [(m.kind, m.to) for m in mails] == [
        (MailKind.ORGANISATION_DEACTIVATED, address),
        (MailKind.ORGANISATION_DEACTIVATED, first.email),
        (MailKind.ORGANISATION_DEACTIVATED, second.email),
    ]
    assert deliver_due(db.session, now=utcnow() + timedelta(seconds=1)).sent == 3
    assert sorted(to for envelope, _ in server.messages for to in envelope.rcpt_tos) == sorted(
        [address, "deux@membre.example", "un@membre.example"]
    )
    message = server.parsed()[0]
    assert message["Subject"] == f"[Connect'ences] {name} ne reçoit plus de nouveaux besoins"
    assert message["Reply-To"] == app.config["CONTACT_EMAIL"]
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "a désactivé" in text and "Ce qui change : aucun besoin ne vous est plus" in text
    assert "envoyé à son adresse de contact et à chacun de ses membres" in text
    assert f"restent ouverts pour terminer ce qui est en cours : {open_work}" in text
    assert inbox in text
    for setting in ("CONTACT_TEAM", "CONTACT_EMAIL", "CONTACT_PHONE"):
        assert app.config[setting] in text
    assert "demander sa réactivation" in text

    organisations.reactivate(db.session, side, ref)
    db.session.commit()
    again = _mails()[3:]
    assert [(m.kind, m.to) for m in again] == [
        (MailKind.ORGANISATION_REACTIVATED, address),
        (MailKind.ORGANISATION_REACTIVATED, first.email),
        (MailKind.ORGANISATION_REACTIVATED, second.email),
    ]
    assert again[0].subject == f"[Connect'ences] {name} reçoit de nouveau des besoins"
    text = " ".join(again[0].body_text.split())
    assert "a réactivé" in text and "de nouveau vous être" in text and inbox in text
    assert app.config["CONTACT_EMAIL"] in text


def test_an_invitation_never_accepted_is_no_member_and_the_organisation_address_is_told(
    client, auth
):
    """An account invited and never opened logs nobody in: it is not counted among the
    members nor mailed as one (the mail points to pages it cannot open); the
    organisation's own address, where its leads go, is told even when it has no member
    yet. A disabled account is not counted either."""
    _world()
    token = users.invite(db.session, "invitee@ge.example", "operator", "ge", None)
    gone = auth.create("operator", org_ref="ge", email="parti@ge.example")
    gone.active = False
    db.session.commit()
    operator = _org(Operator, "ge")
    row = organisations.organisation_row(db.session, operator)
    assert (row.members, row.invited) == (0, 1)
    listed = next(r for r in organisations.organisation_rows(db.session) if r.side == "operator")
    assert (listed.members, listed.invited) == (0, 1)

    auth.login("admin")
    page = page_text(client.get("/admin/organisations"))
    assert "Actif 0 compte de GE Bassin + 1 invitation en attente" in page
    page = page_text(client.get(f"/admin/organisations/operateur/{operator.id}/desactiver"))
    assert "Comptes membres 0 (+ 1 invitation en attente)" in page
    assert "ses invitations en attente (1) restent valables" in page

    organisations.deactivate(db.session, "operator", "ge")
    db.session.commit()
    assert [m.to for m in _mails()] == [operator.email]
    (entry,) = _entries("organisation_deactivated")
    assert (entry.details["members"], entry.details["invited"]) == (0, 1)

    # Once the invitation is accepted, the person is a member: counted and told.
    users.accept_invitation(db.session, token, "un mot de passe assez long")
    db.session.commit()
    assert organisations.organisation_row(db.session, operator).members == 1
    organisations.reactivate(db.session, "operator", "ge")
    db.session.commit()
    assert [m.to for m in _mails()[1:]] == [operator.email, "invitee@ge.example"]


def test_the_organisation_address_is_told_once_when_a_member_logs_in_with_it(auth):
    _world()
    operator = _org(Operator, "ge")
    auth.create("operator", org_ref="ge", email=operator.email.upper())
    organisations.deactivate(db.session, "operator", "ge")
    db.session.commit()
    assert [m.to for m in _mails()] == [operator.email]


def test_a_refused_switch_queues_no_mail(client, auth):
    """Already off, already on, unknown: no mail; nor from the admin's page."""
    _world()
    auth.create("operator", org_ref="ge", email="un@membre.example")
    admin_client = client
    with pytest.raises(organisations.AlreadySo):
        organisations.reactivate(db.session, "operator", "ge")
    db.session.rollback()
    assert _mails() == []
    organisations.deactivate(db.session, "operator", "ge")
    db.session.commit()
    assert len(_mails()) == 2  # its address and its member
    with pytest.raises(organisations.AlreadySo):
        organisations.deactivate(db.session, "operator", "ge")
    db.session.rollback()
    auth.login("admin", client=admin_client)
    operator = _org(Operator, "ge")
    page = admin_client.get("/admin/organisations")
    token = csrf_token_from(page.get_data(as_text=True))
    response = admin_client.post(
        f"/admin/organisations/operateur/{operator.id}/desactiver", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert "est déjà désactivé" in page_text(admin_client.get("/admin/organisations"))
    assert len(_mails()) == 2


# ------------------------------------------------------------------------------ web


def test_the_page_lists_operators_and_partners_with_what_they_hold(client, auth):
    _world()
    auth.create("partner", org_ref="a-ft", email="agent@ft.example")
    organisations.deactivate(db.session, "partner", "b-ft")
    db.session.commit()
    auth.login("admin")
    page = page_text(client.get("/admin/organisations"))
    assert "Opérateurs (1)" in page and "Partenaires (3)" in page
    assert "GE Bassin ge Groupement d'employeurs COBAS, COBAN, CC du Val de l'Eyre" in page
    assert "France Travail Arcachon a-ft France Travail Tout le territoire" in page
    assert "Intérim Bassin interim Agence d'intérim COBAS" in page
    assert "Actif 1 compte de France Travail Arcachon 0" in page
    assert "France Travail Biganos b-ft France Travail Tout le territoire" in page
    assert "Désactivé 0 0 Réactiver France Travail Biganos" in page
    assert "peuvent toujours se connecter" in page
    assert 'href="/admin/organisations"' in client.get("/admin").get_data(as_text=True)


def test_the_admin_deactivates_after_a_confirmation_page_and_reactivates(client, auth):
    _world()
    admin = auth.login("admin")
    partner = _org(Partner, "b-ft")
    organisations.deactivate(db.session, "partner", "a-ft")
    db.session.commit()
    url = f"/admin/organisations/partenaire/{partner.id}/desactiver"
    confirm = client.get(url)
    text = page_text(confirm)
    assert "Désactiver le partenaire France Travail Biganos" in text
    assert "Attention : C'est le dernier partenaire France Travail actif" in text
    assert "ses comptes membres (0) restent ouverts" in text
    token = csrf_token_from(confirm.get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/organisations")
    db.session.expire_all()
    assert not _org(Partner, "b-ft").active
    page = page_text(client.get("/admin/organisations"))
    done = page.index("Fait : Le partenaire France Travail Biganos (b-ft) est désactivé")
    assert page.index("Attention : C'est le dernier partenaire France Travail actif") > done
    entry = _entries("organisation_deactivated")[-1]
    assert (entry.actor_id, entry.entity, entry.entity_id) == (admin.id, "partner", partner.id)
    assert entry.details["ref"] == "b-ft" and entry.details["open_referrals"] == 0

    response = client.post(
        f"/admin/organisations/partenaire/{partner.id}/reactiver", data={"csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _org(Partner, "b-ft").active
    entry = _entries("organisation_reactivated")[-1]
    assert (entry.actor_id, entry.entity, entry.details["name"]) == (
        admin.id,
        "partner",
        "France Travail Biganos",
    )
    journal = page_text(client.get("/admin/journal?action=organisation_reactivated"))
    assert "Opérateur ou partenaire réactivé" in journal and "Partenaire nº" in journal


def test_a_second_deactivation_or_reactivation_is_said_and_changes_nothing(client, auth):
    _world()
    auth.login("admin")
    operator = _org(Operator, "ge")
    token = csrf_token_from(client.get("/admin").get_data(as_text=True))
    again = f"/admin/organisations/operateur/{operator.id}/reactiver"
    client.post(again, data={"csrf_token": token})
    assert "L'opérateur GE Bassin (ge) est déjà actif." in page_text(
        client.get("/admin/organisations")
    )
    url = f"/admin/organisations/operateur/{operator.id}/desactiver"
    client.post(url, data={"csrf_token": token})
    client.post(url, data={"csrf_token": token})
    assert "est déjà désactivé" in page_text(client.get("/admin/organisations"))
    # The confirmation page of an inactive one sends back to the list.
    assert client.get(url).headers["Location"].endswith("/admin/organisations")
    assert len(_entries("organisation_deactivated")) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/admin/organisations/partenaire/999999/desactiver",
        "/admin/organisations/operateur/999999/reactiver",
        "/admin/organisations/entreprise/1/desactiver",
    ],
)
def test_an_unknown_organisation_is_not_found(client, auth, url):
    _world()
    auth.login("admin")
    token = csrf_token_from(client.get("/admin").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert _entries("organisation_deactivated") == []


def test_a_post_without_its_csrf_token_changes_nothing(app, client, auth, monkeypatch):
    _world()
    auth.login("admin")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    partner = _org(Partner, "a-ft")
    # Held to be sent again from the page (``held.FORM_EXPIRED``), not carried out.
    response = client.post(f"/admin/organisations/partenaire/{partner.id}/desactiver")
    assert response.status_code in (302, 303, 400)
    db.session.expire_all()
    assert _org(Partner, "a-ft").active
    assert _entries("organisation_deactivated") == []


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_every_other_role_is_refused(client, auth, role):
    _world()
    auth.login(role)
    partner = _org(Partner, "a-ft")
    urls = [
        ("get", "/admin/organisations"),
        ("get", f"/admin/organisations/partenaire/{partner.id}/desactiver"),
        ("post", f"/admin/organisations/partenaire/{partner.id}/desactiver"),
        ("post", f"/admin/organisations/partenaire/{partner.id}/reactiver"),
    ]
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, url
    db.session.expire_all()
    assert _org(Partner, "a-ft").active
    assert len(_entries("admin_access_refused")) == len(urls)


def test_anonymous_is_sent_to_the_login_page(client):
    _world()
    partner = _org(Partner, "a-ft")
    for response in (
        client.get("/admin/organisations"),
        client.post(f"/admin/organisations/partenaire/{partner.id}/desactiver"),
    ):
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]
    db.session.expire_all()
    assert _org(Partner, "a-ft").active


# ------------------------------------------------------------------------------ command line


def test_the_command_line_lists_deactivates_and_reactivates(runner):
    _world()
    listed = runner.invoke(args=["organisations", "list"])
    assert listed.exit_code == 0
    assert "a-ft\tPartenaire (France Travail)\tFrance Travail Arcachon\t" in listed.output
    assert "\tactif\t0 compte membre\t0 réorientation en cours" in listed.output

    done = runner.invoke(args=["organisations", "deactivate", "ge", "--kind", "operator"])
    assert done.exit_code == 0, done.output
    assert "L'opérateur GE Bassin (ge) est désactivé." in done.output
    assert "Attention : C'est le dernier opérateur actif" in done.output
    db.session.expire_all()
    assert not _org(Operator, "ge").active
    assert _entries("organisation_deactivated")[-1].actor_id is None

    again = runner.invoke(args=["organisations", "deactivate", "ge", "--kind", "operator"])
    assert again.exit_code == 1 and "est déjà désactivé" in again.output

    back = runner.invoke(args=["organisations", "reactivate", "ge", "--kind", "operator"])
    assert back.exit_code == 0 and "est réactivé" in back.output
    db.session.expire_all()
    assert _org(Operator, "ge").active


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deactivate", "nope", "--kind", "partner"], "Aucun partenaire n'a la référence"),
        (["reactivate", "ge", "--kind", "societe"], "Type d'organisation inconnu"),
    ],
)
def test_the_command_line_refuses_in_french(runner, args, message):
    _world()
    result = runner.invoke(args=["organisations", *args])
    assert result.exit_code == 1
    assert f"Erreur : {message}" in result.output
