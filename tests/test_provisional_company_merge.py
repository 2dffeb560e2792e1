"""A listed company whose right SIRET is held by a provisional company (created by a
public need not confirmed yet, for the SIRET its author typed): the staff attach the
provisional company to the record (« Rattacher à cette fiche ») instead of waiting for
the retention job to delete it. Everything pointing at it moves to the record, the
provisional row is deleted (its tombstone kept), the record takes the SIRET, in one
transaction, audited and on the company's history. An author nobody at the company
knows is not made its owner by the merge: their need stays apart until an animateur
attaches them, and their own link still shows it."""

from __future__ import annotations

import re

import pytest
from flask import current_app
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import AuditLog, CallbackRequest, Company, Deletion, Need
from connectences.models.accounts import user_company
from connectences.needs import links, register
from connectences.prospection import provisional_merge
from connectences.prospection.companies import (
    CompanyError,
    create_provisional,
    get_company,
    is_provisional,
)
from connectences.prospection.pressure import COMPANY_DETAILS, company_timeline
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import html_of, make_company, page_text, staff_details_form

STRANGER = "a.stranger@exemple.fr"
CONFIRM_LINK = re.compile(r"http://localhost(/exprimer-un-besoin/confirmer/[^\s<\"]+)")


def _post_need(client, siret: str, email: str = STRANGER, title: str = "Besoin tapé") -> Need:
    data = f.public_need_form(
        siret=siret, company_name="Nom tapé SARL", owner_email=email, title=title
    )
    assert client.post("/exprimer-un-besoin", data=data).status_code == 302
    client.get("/")
    db.session.expire_all()
    return db.session.scalars(select(Need).where(Need.title == title)).one()


def _provisional(siret: str) -> Company:
    db.session.expire_all()
    company = db.session.scalars(select(Company).where(Company.siret == siret)).one()
    assert is_provisional(company)
    return company


def _merge(company: Company, provisional: Company, actor, siret_before: str | None = None):
    return provisional_merge.merge_provisional(
        db.session,
        company,
        provisional.ref,
        siret_before=company.siret if siret_before is None else siret_before,
        actor=actor,
    )


def _confirm(client, email: str) -> None:
    from connectences.models import OutboxMessage

    db.session.expire_all()
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id.desc())
    ).first()
    assert client.post(CONFIRM_LINK.search(mail.body_text).group(1)).status_code == 302
    db.session.expire_all()


# --- the rule --------------------------------------------------------------------------


def test_the_provisional_company_s_needs_move_and_the_record_takes_its_siret(app, client, auth):
    member = auth.create("animateur", full_name="Julie Marchand")
    company = make_company(name="Boulangerie Dupond")
    old_siret, siret = company.siret, f.make_siret()
    need = _post_need(client, siret)
    provisional = _provisional(siret)
    provisional_id, provisional_ref = provisional.id, provisional.ref
    callback = CallbackRequest(
        name="Claire", phone="0612345678", best_time="matin", topic="besoin",
        company_id=provisional_id,
    )  # fmt: skip
    db.session.add(callback)
    db.session.commit()

    merged = _merge(company, provisional, member)
    db.session.commit()
    db.session.expire_all()

    assert merged.needs == 1
    assert db.session.get(Company, provisional_id) is None
    company = db.session.get(Company, company.id)
    assert (company.siret, company.siren) == (siret, siret[:9])
    # The record keeps its own name: the one the author typed is nobody's word.
    assert company.name == "Boulangerie Dupond" and not is_provisional(company)
    need = db.session.get(Need, need.id)
    assert need.company_id == company.id
    assert db.session.get(CallbackRequest, callback.id).company_id == company.id
    # Other platforms are told the provisional ref is gone.
    assert db.session.scalar(
        select(Deletion.id).where(Deletion.kind == "companies", Deletion.ref == provisional_ref)
    )
    (entry,) = db.session.scalars(
        select(AuditLog).where(
            AuditLog.action == "company.provisional_merged", AuditLog.entity_id == company.id
        )
    ).all()
    assert entry.actor_id == member.id
    assert entry.details["dropped_ref"] == provisional_ref and entry.details["needs_moved"] == 1
    [changed] = [e for e in company_timeline(db.session, company.id) if e.kind == "coordonnees"]
    assert changed.by == "Julie Marchand"
    assert f"SIRET : {old_siret} → {siret}" in changed.summary
    assert "fiche provisoire rattachée (1 besoin non confirmé repris)" in changed.summary
    assert entry.details["before"] == {"siret": old_siret}
    assert entry.details["after"] == {"siret": siret}
    # One entry: the SIRET changed by the merge is not told twice.
    assert not db.session.scalars(
        select(AuditLog).where(AuditLog.action == COMPANY_DETAILS, AuditLog.entity_id == company.id)
    ).all()


def test_an_author_the_company_does_not_know_is_not_made_its_owner(app, client, auth):
    """Unconfirmed, the stranger's need stays apart; confirmed later, it enters the queue
    flagged for an animateur to check: the record is not renamed, they are no contact."""
    member = auth.create("animateur")
    company = make_company(name="Boulangerie Dupond")
    siret = f.make_siret()
    need = _post_need(client, siret)
    _merge(company, _provisional(siret), member)
    db.session.commit()
    need = db.session.get(Need, need.id)
    assert need.owner_unattached and need.owner_confirmed_at is None
    assert not register.followed_as_company_own(need)

    _confirm(client, STRANGER)
    need, company = db.session.get(Need, need.id), db.session.get(Company, company.id)
    assert need.owner_confirmed_at is not None and need.owner_unattached
    assert company.name == "Boulangerie Dupond"
    assert STRANGER not in [contact.email for contact in company.contacts]
    # Their own link still shows their need, under the SIRET they typed only.
    token = links.space_token(current_app.secret_key, STRANGER)
    space = page_text(client.get(f"/entreprise/suivi/{token}"))
    assert "Besoin tapé" in space and "Boulangerie Dupond" not in space


def test_an_author_the_company_knows_is_attached_as_if_they_had_typed_its_siret(app, client, auth):
    member = auth.create("animateur")
    company = make_company(name="Boulangerie Dupond", contact_email="patron@dupond.fr")
    siret = f.make_siret()
    need = _post_need(client, siret, email="patron@dupond.fr")
    assert need.owner_unattached  # a provisional company knows nobody
    _merge(company, _provisional(siret), member)
    db.session.commit()
    need = db.session.get(Need, need.id)
    assert not need.owner_unattached and need.owner_confirmed_at is None


def test_a_provisional_company_named_meanwhile_is_refused_and_nothing_changes(app, client, auth):
    member = auth.create("animateur")
    company = make_company()
    siret = f.make_siret()
    need = _post_need(client, siret)
    stale = _provisional(siret)
    stale_ref = stale.ref
    _confirm(client, STRANGER)  # named by its author's confirmation: no longer provisional
    before = (company.siret, db.session.get(Need, need.id).company_id)
    with pytest.raises(CompanyError) as refused:
        provisional_merge.merge_provisional(
            db.session, company, stale_ref, siret_before=company.siret, actor=member
        )
    assert "n'est plus provisoire" in " ".join(refused.value.errors.values())
    db.session.rollback()
    db.session.expire_all()
    company = db.session.get(Company, company.id)
    assert (company.siret, db.session.get(Need, need.id).company_id) == before


def test_a_listed_company_s_ref_is_never_merged(app, auth):
    member = auth.create("animateur")
    company, other = make_company(), make_company(name="Garage des Pins")
    with pytest.raises(CompanyError):
        provisional_merge.merge_provisional(
            db.session, company, other.ref, siret_before=company.siret, actor=member
        )
    db.session.rollback()
    assert get_company(db.session, other.ref) is not None


def test_a_record_whose_siret_changed_meanwhile_is_refused(app, client, auth):
    member = auth.create("animateur")
    company = make_company()
    siret = f.make_siret()
    provisional = create_provisional(db.session, siret, "33009")
    db.session.commit()
    with pytest.raises(CompanyError) as refused:
        _merge(company, provisional, member, siret_before=f.make_siret())
    assert "modifiée entre-temps" in " ".join(refused.value.errors.values())
    db.session.rollback()
    assert is_provisional(_provisional(siret))


def test_every_row_referring_to_it_moves_and_a_repeated_link_is_kept_once(app, auth):
    """Anything that refers to the provisional company moves, read from the models (an
    owner's account, here): a link the record already has is not made twice."""
    member = auth.create("animateur")
    company = make_company()
    provisional = create_provisional(db.session, f.make_siret(), "33009")
    provisional_id = provisional.id
    both = auth.create("company", email="both@exemple.fr")
    only = auth.create("company", email="only@exemple.fr")
    both.companies.extend([company, provisional])
    only.companies.append(provisional)
    db.session.commit()
    merged = _merge(company, provisional, member)
    db.session.commit()
    linked = db.session.execute(
        select(user_company.c.user_id).where(user_company.c.company_id == company.id)
    ).scalars()
    assert sorted(linked) == sorted([both.id, only.id])
    assert merged.rows == 1  # the repeated link dropped, the other one moved
    assert not db.session.execute(
        select(user_company).where(user_company.c.company_id == provisional_id)
    ).all()


# --- through the record -----------------------------------------------------------------


def test_the_refusal_offers_to_attach_and_the_staff_do(app, client, auth):
    company = make_company(name="Boulangerie Dupond")
    siret = f.make_siret()
    anonymous = app.test_client()
    need = _post_need(anonymous, siret)
    auth.login("animateur")
    refused = client.post(
        f"/animateur/entreprises/{company.ref}/coordonnees",
        data=staff_details_form(company, siret=siret),
    )
    assert refused.status_code == 422
    link = f"/animateur/entreprises/{company.ref}/rattacher?siret={siret}"
    assert f'href="{link}"' in html_of(refused)
    assert "Rattacher à cette fiche" in page_text(refused)

    page = client.get(link)
    assert page.status_code == 200
    said = page_text(page)
    assert "Besoin tapé" in said and STRANGER in said
    # The name its author typed is not shown as the company's: nobody vouched for it.
    assert "Nom tapé SARL" not in said
    done = client.post(
        f"/animateur/entreprises/{company.ref}/rattacher",
        data={"provisoire": _provisional(siret).ref, "siret_avant": company.siret},
    )
    assert done.status_code == 302 and done.location.endswith("#fiche")
    shown = page_text(client.get(done.location))
    assert "rattachée à cette fiche : 1 besoin non confirmé repris" in shown
    assert db.session.get(Need, need.id).company_id == company.id


def test_a_stale_attachment_is_told_in_french(app, client, auth):
    company = make_company()
    siret = f.make_siret()
    _post_need(app.test_client(), siret)
    stale_ref = _provisional(siret).ref
    _confirm(app.test_client(), STRANGER)
    auth.login("animateur")
    refused = client.post(
        f"/animateur/entreprises/{company.ref}/rattacher",
        data={"provisoire": stale_ref, "siret_avant": company.siret},
    )
    assert refused.status_code == 422
    assert "n'est plus provisoire" in page_text(refused)
    # The page of a SIRET no provisional company holds offers nothing to attach.
    page = client.get(f"/animateur/entreprises/{company.ref}/rattacher?siret={siret}")
    assert page.status_code == 404
    assert "Aucune fiche provisoire ne porte ce SIRET" in page_text(page)
    assert 'name="provisoire"' not in html_of(page)
    assert f'href="/animateur/entreprises/{company.ref}#fiche"' in html_of(page)


def test_wrong_users_are_refused(app, client, auth):
    company = make_company()
    siret = f.make_siret()
    provisional = create_provisional(db.session, siret, "33009")
    db.session.commit()
    ref, action = provisional.ref, f"/animateur/entreprises/{company.ref}/rattacher"
    data = {"provisoire": ref, "siret_avant": company.siret}
    for role in ("operator", "partner", "territoire", "company", "candidate"):
        someone = app.test_client()
        auth.login(role, client=someone)
        assert someone.get(f"{action}?siret={siret}").status_code == 403, role
        assert someone.post(action, data=data).status_code == 403, role
    assert app.test_client().post(action, data=data).status_code in (302, 401)
    assert is_provisional(_provisional(siret))


def test_a_form_without_its_security_token_changes_nothing(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    company = make_company()
    siret = f.make_siret()
    provisional = create_provisional(db.session, siret, "33009")
    db.session.commit()
    ref = provisional.ref
    auth.login("animateur")
    page = client.get(f"/animateur/entreprises/{company.ref}/rattacher?siret={siret}")
    action = f"/animateur/entreprises/{company.ref}/rattacher"
    data = {"provisoire": ref, "siret_avant": company.siret}
    assert client.post(action, data=data).status_code in (400, 303)
    assert is_provisional(_provisional(siret))
    token = csrf_token_from(html_of(page))
    assert client.post(action, data={**data, "csrf_token": token}).status_code == 302
    assert db.session.get(Company, company.id).siret == siret
