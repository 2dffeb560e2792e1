"""A need's owner hears of it when it moves on: confided to an operator, re-oriented to
a partner, filled. One short mail each time, saying what their space says, what comes
next, with the link to that space (``needs.owner_news``); nothing for the back-and-forth
behind it, nothing to an address the owner did not give."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.accounts.passwords import hash_password
from connectences.clock import local_today
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import (
    Candidate,
    CompanyContact,
    Need,
    Operator,
    OutboxMessage,
    Partner,
)
from connectences.needs.register import reply_to_for
from connectences.workflows import NEED, leads
from connectences.workflows.dispatch import send_lead, send_referral
from tests import factories as f
from tests.helpers import by_ref, count, mails_to, make_company, page_text
from tests.test_web_need_public import _post_and_confirm

SPACE_LINK = re.compile(r"http://localhost(/entreprise/suivi/\S+)")


@pytest.fixture
def structures(auth):
    f.load(
        f.document(
            operators=[f.operator(ref="ge", name="GE du Bassin")],
            partners=[f.partner(ref="ml", name="Mission Locale du Bassin", kind="mission_locale")],
            candidates=[f.candidate(ref="cv-placee"), f.candidate(ref="cv-autre")],
        )
    )
    # A member each who can answer: the owner is promised their call.
    auth.create("operator", org_ref="ge")
    auth.create("partner", org_ref="ml")
    db.session.commit()


def _news(address: str) -> list:
    return [m for m in mails_to(address) if m.kind == MailKind.NEED_NEWS]


def _place(need: Need, lead, start, person: str = "cv-placee") -> None:
    leads.accept(db.session, lead)
    leads.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, person),
        needs=[need],
        hours_per_week=need.hours_per_week,
        contract=need.contract,
        start_date=start,
    )


def _said_in(mail) -> str:
    return " ".join(mail.body_text.split())


def test_the_owner_hears_whom_to_expect_and_who_filled_it_as_their_space_says(client, structures):
    need, space = _post_and_confirm(client)
    owner = need.owner_email
    workflows.transition(db.session, need, NEED, "qualifie")
    lead = send_lead(db.session, needs=[need], operator=by_ref(Operator, "ge"))
    db.session.commit()
    (confided,) = _news(owner)
    said = "Confié à GE du Bassin (groupement d'employeurs), qui va vous contacter"
    assert said in page_text(client.get(space)) and said in _said_in(confided)
    assert confided.subject.endswith(f"« {need.title} » : une structure va vous appeler")
    assert (
        need.company.name in confided.body_text
        and "Attendez son appel dans les prochains jours" in confided.body_text
    )
    # Its link opens their space, where the need says the same; an answer goes to the team.
    link = SPACE_LINK.search(confided.body_text).group(1)
    assert said in page_text(client.get(urlsplit(link).path))
    assert confided.reply_to == reply_to_for(db.session, need)
    assert link in (confided.body_html or "")

    # The operator refuses: the back-and-forth is not theirs to follow, nothing is sent.
    leads.refuse(db.session, lead, "pas_de_candidat")
    db.session.commit()
    assert len(_news(owner)) == 1
    # Re-oriented: the partner that will call them now is named.
    referral = send_referral(db.session, need=need, partner=by_ref(Partner, "ml"))
    db.session.commit()
    referred = _news(owner)[-1]
    assert "Transmis à Mission Locale du Bassin, qui va vous contacter" in _said_in(referred)
    assert "un partenaire de l'emploi va vous appeler" in referred.subject
    leads.take_charge(db.session, referral)
    leads.close_referral(db.session, referral, "Pas de jeune disponible")
    workflows.transition(db.session, need, NEED, "en_recherche")
    db.session.commit()
    assert len(_news(owner)) == 2
    # Proposed again, then filled: told each time, with the day the person starts.
    lead = send_lead(
        db.session,
        needs=[need],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "cv-placee")],
    )
    start = local_today() + timedelta(days=10)
    _place(need, lead, start)
    db.session.commit()
    filled = _news(owner)[-1]
    said = f"Pourvu : une personne commence le {start:%d/%m/%Y}, recrutée par GE du Bassin"
    assert said in _said_in(filled) and said in page_text(client.get(space))
    assert filled.subject.endswith(f"« {need.title} » est pourvu")
    assert len(_news(owner)) == 4  # confided, re-oriented, confided again, filled


def _staff_need(company, ref: str = "besoin-saisi") -> Need:
    f.load(f.document(needs=[f.need(ref=ref, company=company.ref)]))
    need = by_ref(Need, ref)
    workflows.transition(db.session, need, NEED, "qualifie")
    db.session.commit()
    return need


def test_a_need_the_staff_entered_is_told_at_the_company_s_address_or_to_nobody(
    client, auth, structures
):
    known = make_company(ref="connue", contact_email="gerant@connue.fr")
    need = _staff_need(known)
    send_lead(db.session, needs=[need], operator=by_ref(Operator, "ge"))
    db.session.commit()
    (told,) = _news("gerant@connue.fr")
    # Nobody named at that address: no name made up.
    assert "Confié à GE du Bassin" in told.body_text and told.body_text.startswith("Bonjour,")
    assert SPACE_LINK.search(told.body_text)

    # No address given, only a phone an operator calls: nothing to send, to anyone.
    silent = make_company(ref="sans-adresse", contact_email=None)
    db.session.add(CompanyContact(company=silent, name="Paul Martin", phone="0612345678"))
    db.session.commit()
    other = _staff_need(silent, ref="besoin-sans-adresse")
    assert other.owner_email is None
    # The animateur's page says so, before anything is sent; not for a company mailed.
    auth.login("animateur")
    said = "Pas d'e-mail à l'entreprise quand ce besoin sera confié, réorienté ou pourvu"
    assert said in page_text(client.get("/animateur/besoins/besoin-sans-adresse"))
    assert "elle n'a pas donné d'adresse e-mail" in page_text(
        client.get("/animateur/besoins/besoin-sans-adresse")
    )
    assert said not in page_text(client.get(f"/animateur/besoins/{need.ref}"))
    before = count(OutboxMessage)
    send_lead(db.session, needs=[other], operator=by_ref(Operator, "ge"))
    db.session.commit()
    assert [m.kind for m in _latest(count(OutboxMessage) - before)] == [MailKind.LEAD_SENT]


def _latest(n: int) -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(n))
    )


def test_a_company_not_to_solicit_hears_of_the_need_its_owner_posted_only(client, structures):
    # Asked not to be solicited once their needs were confided: each is filled.
    posted, _space = _post_and_confirm(client)
    entered = _staff_need(make_company(ref="saisie", contact_email="gerant@saisie.fr"))
    workflows.transition(db.session, posted, NEED, "qualifie")
    people = {posted.id: "cv-placee", entered.id: "cv-autre"}
    placed = {}
    for need in (posted, entered):
        placed[need.id] = send_lead(
            db.session,
            needs=[need],
            operator=by_ref(Operator, "ge"),
            candidates=[by_ref(Candidate, people[need.id])],
        )
        db.session.commit()
    assert len(_news(posted.owner_email)) == len(_news("gerant@saisie.fr")) == 1
    for need in (posted, entered):
        need.company.do_not_solicit = True
        _place(need, placed[need.id], local_today() + timedelta(days=3), people[need.id])
        db.session.commit()
    # The answer to the owner's own request reaches them, like its confirmation did;
    # the platform writes unasked to no company that asked to be left alone.
    assert _news(posted.owner_email)[-1].subject.endswith("est pourvu")
    assert len(_news("gerant@saisie.fr")) == 1


def test_each_company_of_a_bundle_hears_it_shares_a_person_and_on_which_days(client, structures):
    """Found living shared time: each company of a bundle was told « Confié à GE ... » as
    for a job of its own; nothing said a person would share its week with another
    company, nor on which days it would have them. Their space and mail say it now."""
    a = make_company(ref="a", contact_email="gerant@a.fr")
    b = make_company(ref="b", contact_email="gerant@b.fr")
    f.load(
        f.document(
            needs=[
                f.need(ref="na", company="a", days=["thu"], hours_per_week=4),
                f.need(ref="nb", company="b", days=["mon", "fri"], hours_per_week=7),
            ]
        )
    )
    na, nb = by_ref(Need, "na"), by_ref(Need, "nb")
    for need in (na, nb):
        workflows.transition(db.session, need, NEED, "qualifie")
    lead = send_lead(
        db.session,
        needs=[na, nb],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "cv-placee")],
    )
    db.session.commit()
    (to_a,) = _news("gerant@a.fr")
    (to_b,) = _news("gerant@b.fr")
    shared_a = (
        "Confié à GE du Bassin (groupement d'employeurs), qui va vous contacter ; un poste "
        "en temps partagé : la personne travaillera chez vous le jeudi, les autres jours "
        "dans 1 autre entreprise"
    )
    assert shared_a in _said_in(to_a)
    assert "chez vous le lundi et le vendredi, les autres jours" in _said_in(to_b)
    # Its space says the same; the other company is not named to it.
    space = urlsplit(SPACE_LINK.search(to_a.body_text).group(0)).path
    assert shared_a in page_text(client.get(space))
    assert b.name not in _said_in(to_a)
    assert a.name not in _said_in(to_b)
    # Filled: the same, said of the placement.
    leads.accept(db.session, lead)
    leads.record_placement(
        db.session, lead, candidate=by_ref(Candidate, "cv-placee"), needs=[na, nb],
        hours_per_week=11, contract=na.contract, start_date=local_today() + timedelta(days=7),
    )  # fmt: skip
    db.session.commit()
    filled = _said_in(_news("gerant@a.fr")[-1])
    assert "recrutée par GE du Bassin ; un poste en temps partagé : la personne " in filled
    assert "travaillera chez vous le jeudi, les autres jours dans 1 autre entreprise" in filled


def test_a_need_on_its_own_is_not_said_shared(client, structures):
    need = _staff_need(make_company(ref="seule", contact_email="gerant@seule.fr"))
    send_lead(db.session, needs=[need], operator=by_ref(Operator, "ge"))
    db.session.commit()
    (told,) = _news("gerant@seule.fr")
    assert "temps partagé :" not in _said_in(told)


def test_no_call_is_promised_when_nobody_at_the_structure_can_answer(client, auth):
    """Confided to an operator, re-oriented to a partner none of whose members has a
    working account (invitations never opened, disabled): nobody there would call. The
    owner is told the animateur follows it up; the animateur was warned on sending
    (``organisations.nobody_answers``) and is the one their answer reaches."""
    f.load(
        f.document(
            operators=[f.operator(ref="vide", name="GE Vide")],
            partners=[f.partner(ref="ml", name="Mission Locale du Bassin", kind="mission_locale")],
        )
    )
    invited = auth.create("operator", org_ref="vide", password=None)
    auth.create("partner", org_ref="ml").active = False
    need, space = _post_and_confirm(client)
    owner = need.owner_email
    workflows.transition(db.session, need, NEED, "qualifie")
    lead = send_lead(db.session, needs=[need], operator=by_ref(Operator, "vide"))
    db.session.commit()
    (confided,) = _news(owner)
    said = (
        "Confié à GE Vide (groupement d'employeurs) : l'animateur de la plateforme suit "
        "votre besoin avec cette structure"
    )
    assert said in page_text(client.get(space)) and said in _said_in(confided)
    assert confided.subject.endswith(f"« {need.title} » : confié à une structure de temps partagé")
    for body in (confided.body_text, confided.body_html):
        assert "va vous contacter" not in body and "appel" not in body
        assert "L'animateur de la plateforme fait le lien avec elle" in " ".join(
            body.replace("&#39;", "'").split()
        )
    assert confided.reply_to == reply_to_for(db.session, need)
    # A member opens their account: the structure will call, the space says so again.
    invited.password_hash = hash_password("un-mot-de-passe-solide-42")
    db.session.commit()
    assert "Confié à GE Vide (groupement d'employeurs), qui va vous contacter" in page_text(
        client.get(space)
    )
    leads.refuse(db.session, lead, "pas_de_candidat")
    db.session.commit()
    send_referral(db.session, need=need, partner=by_ref(Partner, "ml"))
    db.session.commit()
    referred = _news(owner)[-1]
    said = (
        "Transmis à Mission Locale du Bassin : l'animateur de la plateforme suit votre "
        "besoin avec ce partenaire"
    )
    assert said in _said_in(referred) and said in page_text(client.get(space))
    assert referred.subject.endswith(f"« {need.title} » : transmis à un partenaire de l'emploi")
    assert "va vous contacter" not in referred.body_text and "appel" not in referred.body_text


def test_news_of_a_need_searched_again_says_no_structure_takes_it_while_the_choice_stands(
    client,
):
    # The person placed left; the company meanwhile asked not to be solicited: « vous
    # serez prévenu dès qu'une structure le prend en charge » would not come true.
    from connectences.needs import owner_news

    posted, _space = _post_and_confirm(client)
    posted.company.do_not_solicit = True
    assert owner_news.tell_owner_left(db.session, posted) == 1
    db.session.commit()
    [mail] = _news(posted.owner_email)
    assert "il ne sera transmis à une structure qu'avec votre accord" in mail.body_text
    assert "dès qu'une structure le prend en charge" not in mail.body_text
    assert f"/preferences/{posted.company.ref}" in mail.body_text
    assert f"/preferences/{posted.company.ref}" in mail.body_html
    assert posted.company.do_not_solicit is True
