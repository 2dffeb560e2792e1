"""An operator or partner loses its last working member while it holds live work
(``organisations.unattended``): the account disabled (the admin's page, the command
line) or moved to another role. The animateurs who sent that work are mailed once what
now waits with nobody to answer, and the administrator reads it in the success message;
nothing is mailed while a member still works, when nothing is live, when the disabling
is refused, nor on re-enabling (the owner's words switch back by themselves)."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences.accounts import users
from connectences.clock import local_today
from connectences.extensions import db
from connectences.mail import MailKind, deliver_due
from connectences.models import Candidate, Lead, Need, Operator, OutboxMessage, User, utcnow
from connectences.needs.status_words import owner_holders
from connectences.organisations import unattended
from connectences.workflows import NEED, dispatch, transition
from connectences.workflows import leads as flow
from tests import factories as f
from tests.helpers import at_once, by_ref, sent_on, top_flashes
from tests.test_mail import mail_port, server, start_server  # noqa: F401 (fixtures)

NAME = "GE Bassin Emploi"
SAID = f"{NAME} n'a plus de compte actif : 3 propositions en cours attendent une réponse."
TITLES = ("Comptable un jour par semaine", "Secrétaire le lundi", "Vendeur le samedi")


@pytest.fixture
def world(auth):
    f.load(
        f.document(
            operators=[f.operator(ref="ge", name=NAME, email="ge@exemple.fr")],
            partners=[
                f.partner(ref="ft", name="France Travail Arcachon", email="ft@exemple.fr"),
                f.partner(ref="ml", name="Mission locale", email="ml@exemple.fr"),
            ],
            companies=[
                f.company(ref="c1", name="Boulangerie du Port"),
                f.company(ref="c2", name="Garage des Pins"),
            ],
            needs=[
                f.need(ref="n1", company="c1", title=TITLES[0]),
                f.need(ref="n2", company="c2", title=TITLES[1]),
                f.need(ref="n3", company="c1", title=TITLES[2]),
                f.need(ref="n4", company="c2", title="Jardinier le mardi"),
            ],
            candidates=[f.candidate(ref="ok")],
        )
    )
    anne = auth.create("animateur", email="anne@animation.example", full_name="Anne Imateur")
    auth.create("animateur", email="bruno@animation.example")
    member = auth.create(
        "operator", org_ref="ge", email="olivia@ge.example", full_name="Olivia Opératrice"
    )
    for ref in ("n1", "n2", "n3", "n4"):
        transition(db.session, by_ref(Need, ref), NEED, "qualifie")
    db.session.commit()
    return anne, member


def _propose(anne, *refs: str) -> None:
    for ref in refs:
        dispatch.propose_need(db.session, by_ref(Need, ref), operator_ref="ge", actor=anne)
    db.session.commit()


def _unattended() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == MailKind.ORGANISATION_UNATTENDED)
            .order_by(OutboxMessage.id)
        )
    )


def _owner_reads(ref: str) -> str:
    need = by_ref(Need, ref)
    return owner_holders(db.session, [need])[need.id]


def _disable(client, user: User):
    return client.post(f"/admin/utilisateurs/{user.id}/desactiver", follow_redirects=True)


def test_the_admin_disabling_the_last_member_is_told_and_the_sender_is_mailed(
    client,
    auth,
    world,
    server,  # noqa: F811
):
    anne, member = world
    _propose(anne, "n1", "n2", "n3")
    assert _owner_reads("n1").endswith("qui va vous contacter")
    deliver_due(db.session, now=utcnow() + timedelta(seconds=1))  # the proposals' mails
    server.messages.clear()
    auth.login("admin")

    response = _disable(client, member)
    said = top_flashes(response)
    assert f"Le compte {member.email} est désactivé. {SAID}" in said
    assert "Prévenu par e-mail : anne@animation.example." in said
    # Only the animateur who sent the three proposals: they all have a working sender.
    (mail,) = _unattended()
    assert mail.to == "anne@animation.example"
    assert deliver_due(db.session, now=utcnow() + timedelta(seconds=2)).sent == 1
    ((envelope, _),) = server.messages
    assert envelope.rcpt_tos == ["anne@animation.example"]
    message = server.parsed()[0]
    assert " ".join(message["Subject"].split()) == (  # folded as a long header
        f"[Connect'ences] Plus personne chez {NAME} pour répondre : 3 propositions en cours"
    )
    text = " ".join(message.get_body(("plain",)).get_content().split())
    today = f"{local_today():%d/%m/%Y}"
    assert "Le compte de Olivia Opératrice (olivia@ge.example) ne fonctionne plus" in text
    assert f"ne fonctionne plus : l'opérateur {NAME} (ge) n'a plus aucun membre" in text
    for title, company, ref in zip(
        TITLES,
        ("Boulangerie du Port", "Garage des Pins", "Boulangerie du Port"),
        ("n1", "n2", "n3"),
    ):
        assert f"« {title} » ({company}, {ref}), envoyée le {today}, état « Envoyée »" in text
        assert f"/animateur/besoins/{ref}" in text
    assert "Jardinier" not in text
    assert "inviter un autre membre de GE Bassin Emploi" in text
    assert "l'envoyer à une autre structure" in text
    # The owner reads that the animateur follows it; no call is promised any more.
    assert "l'animateur de la plateforme suit votre besoin" in _owner_reads("n1")

    # Disabling twice: refused, nothing more is mailed.
    again = _disable(client, member)
    assert "est déjà désactivé" in top_flashes(again)
    assert len(_unattended()) == 1

    # Re-enabling mails nobody, and the owner is promised the call again.
    client.post(f"/admin/utilisateurs/{member.id}/reactiver")
    assert len(_unattended()) == 1
    assert _owner_reads("n1").endswith("qui va vous contacter")


def test_nothing_is_mailed_while_another_member_still_answers(client, auth, world):
    anne, member = world
    other = auth.create("operator", org_ref="ge", email="paul@ge.example")
    _propose(anne, "n1", "n2", "n3")
    auth.login("admin")
    response = _disable(client, member)
    assert "n'a plus de compte actif" not in top_flashes(response)
    assert _unattended() == []
    # The second one is the last: now it is said.
    assert SAID in top_flashes(_disable(client, other))
    assert len(_unattended()) == 1


def test_nothing_is_mailed_when_nothing_is_live(client, auth, world):
    anne, member = world
    _propose(anne, "n1")
    (lead,) = db.session.scalars(select(Lead)).all()
    flow.refuse(db.session, lead, "autre", "Pas pour nous", member)
    db.session.commit()
    auth.login("admin")
    response = _disable(client, member)
    assert f"Le compte {member.email} est désactivé." in top_flashes(response)
    assert "n'a plus de compte actif" not in top_flashes(response)
    assert _unattended() == []


def test_a_refused_disabling_or_an_invitation_never_opened_mails_nobody(client, auth, world):
    anne, member = world
    _propose(anne, "n1", "n2", "n3")
    # The last working administrator: refused, rolled back, nothing queued.
    admin = auth.create("admin", email="seul-admin@exemple.fr")
    with pytest.raises(users.AccountError):
        unattended.disable_account(db.session, admin.email)
    db.session.rollback()
    assert _unattended() == []
    # An invitation never opened gave nobody access: losing it loses nobody, even when
    # it is the only account of the operator left.
    member.active = False
    db.session.commit()
    invited = auth.create("operator", org_ref="ge", email="jamais@ge.example", password=None)
    stopped = unattended.disable_account(db.session, invited.email)
    db.session.commit()
    assert stopped.left_alone is None and _unattended() == []


def test_work_with_no_working_sender_goes_to_every_animateur(auth, world):
    anne, member = world
    _propose(anne, "n1")
    lead = db.session.scalars(select(Lead)).one()
    lead.created_by_id = None  # an import, or an account since removed
    bruno = db.session.scalar(select(User).where(User.email == "bruno@animation.example"))
    dispatch.propose_need(db.session, by_ref(Need, "n2"), operator_ref="ge", actor=bruno)
    auth.create("animateur", email="invitee@animation.example", password=None)
    db.session.commit()
    stopped = unattended.disable_account(db.session, member.email)
    db.session.commit()
    # Bruno sent one; the other has no sender: every working animateur is told, once
    # each (not the one invited and never opened); each mail lists both.
    assert sorted(m.to for m in _unattended()) == [anne.email, "bruno@animation.example"]
    assert stopped.left_alone.told == ("bruno@animation.example", anne.email)
    for mail in _unattended():
        assert TITLES[0] in mail.body_text and TITLES[1] in mail.body_text


def test_a_placement_still_followed_is_waiting_work_too(auth, world):
    anne, member = world
    start = local_today() - timedelta(days=10)
    lead = dispatch.send_lead(
        db.session,
        needs=[by_ref(Need, "n4")],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
        actor=anne,
    )
    sent_on(lead, start)
    flow.accept(db.session, lead, member)
    need = by_ref(Need, "n4")
    flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[need],
        hours_per_week=need.hours_per_week,
        contract="cdi",
        start_date=start,
        actor=member,
    )
    db.session.commit()
    assert lead.status == "place"
    stopped = unattended.disable_account(db.session, member.email)
    db.session.commit()
    assert stopped.left_alone.notice.startswith(
        f"{NAME} n'a plus de compte actif : 1 placement en suivi attend une réponse."
    )
    (mail,) = _unattended()
    assert mail.to == anne.email
    assert "Placements en suivi" in mail.body_text
    assert (
        f"« Jardinier le mardi » (Garage des Pins, n4), placement commencé le {start:%d/%m/%Y}"
        in (mail.body_text)
    )


def test_a_partner_member_moved_to_another_role_tells_of_its_referrals(client, auth, world):
    anne, _ = world
    member = auth.create("partner", org_ref="ft", email="pierre@ft.example")
    dispatch.reorient_need(
        db.session,
        by_ref(Need, "n4"),
        partner_ref="ft",
        code="autre",
        text="Plein temps",
        actor=anne,
    )
    db.session.commit()
    assert "qui va vous contacter" in _owner_reads("n4")
    auth.login("admin")
    response = client.post(
        f"/admin/utilisateurs/{member.id}/role",
        data={"role": "partner", "org_ref": "ml"},
        follow_redirects=True,
    )
    said = top_flashes(response)
    assert "a désormais le rôle « Partenaire »" in said
    assert (
        "France Travail Arcachon n'a plus de compte actif : 1 réorientation en cours attend "
        "une réponse. Prévenu par e-mail : anne@animation.example." in said
    )
    (mail,) = _unattended()
    assert "Réorientations en cours" in mail.body_text and "Jardinier le mardi" in mail.body_text
    assert "l'animateur de la plateforme suit votre besoin" in _owner_reads("n4")
    # A new member opening their account: no mail, the owner is promised the call again.
    token = users.invite(db.session, "nouveau@ft.example", "partner", "ft", None)
    db.session.commit()
    users.accept_invitation(db.session, token, "un mot de passe assez long")
    db.session.commit()
    assert len(_unattended()) == 1
    assert "qui va vous contacter" in _owner_reads("n4")


def test_the_command_line_says_it_too(runner, world):
    anne, member = world
    _propose(anne, "n1", "n2", "n3")
    result = runner.invoke(args=["users", "disable", member.email])
    assert result.exit_code == 0, result.output
    assert f"Compte désactivé : {member.email}." in result.output
    assert SAID in result.output
    assert len(_unattended()) == 1


def test_another_role_cannot_disable_a_member(client, auth, world):
    anne, member = world
    _propose(anne, "n1", "n2", "n3")
    auth.login("animateur")
    response = client.post(f"/admin/utilisateurs/{member.id}/desactiver")
    assert response.status_code == 403
    db.session.expire_all()
    assert member.active is True and _unattended() == []


def _two_admins_at_once(app, auth, world, monkeypatch, change) -> None:
    """Two admins at the same moment each ``change`` (``unattended.disable_account`` or
    ``change_account_role`` with the session, the address and the actor) one of the last
    two working members of the operator holding three live leads: it is told once. The
    counts wait here for each other (the barrier, given up after two seconds): with the
    members' lock, the second change waits for the first to be committed and counts
    nobody left; without it, each counted the other member as still working (neither was
    committed when both counted), and nobody was told."""
    anne, member = world
    other = auth.create("operator", org_ref="ge", email="paul@ge.example")
    admins = [auth.create("admin").id, auth.create("admin").id]
    _propose(anne, "n1", "n2", "n3")
    targets = [member.email, other.email]
    db.session.remove()
    counting = threading.Barrier(2, timeout=2)
    count_members = unattended.without_working_member

    def counted_together(session, organisations):
        with contextlib.suppress(threading.BrokenBarrierError):
            counting.wait()
        return count_members(session, organisations)

    monkeypatch.setattr(unattended, "without_working_member", counted_together)

    def run(actor_id: int, email: str):
        with app.app_context():
            session = db.session.session_factory()
            try:
                stopped = change(session, email, session.get(User, actor_id))
                said = stopped.left_alone.notice if stopped.left_alone else None
                session.commit()
                return said
            finally:
                session.close()

    outcomes = at_once(*(lambda pair=pair: run(*pair) for pair in zip(admins, targets)))
    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert outcomes.count(None) == 1
    (said,) = [outcome for outcome in outcomes if outcome is not None]
    assert said.startswith(SAID)
    assert len(_unattended()) == 1


def test_two_admins_disabling_the_last_two_members_at_once_tell_it_once(
    app, auth, world, monkeypatch
):
    _two_admins_at_once(
        app,
        auth,
        world,
        monkeypatch,
        lambda session, email, actor: unattended.disable_account(session, email, actor=actor),
    )
    assert db.session.scalar(select(User.active).where(User.email == "paul@ge.example")) is False


def test_two_admins_moving_the_last_two_members_at_once_tell_it_once(app, auth, world, monkeypatch):
    """As for disabling: each member moved out of the operator, to a partner, at the same
    moment as the other. (To another role than animateur: one becoming an animateur
    changes the public home, whose generation bump happens to make the second change
    wait for the first.)"""
    _two_admins_at_once(
        app,
        auth,
        world,
        monkeypatch,
        lambda session, email, actor: unattended.change_account_role(
            session, email, "partner", "ft", actor=actor
        ),
    )
    moved = db.session.scalars(
        select(User.role).where(User.email.in_(["olivia@ge.example", "paul@ge.example"]))
    )
    assert sorted(moved) == ["partner", "partner"]
