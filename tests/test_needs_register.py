"""The needs register's domain: form rules, duplicates, confirmation, owner links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Company, Need, Transition
from connectences.needs import form_rules, links, register
from connectences.needs.status_words import status_for_company
from connectences.workflows import TransitionError
from tests import factories as f

TODAY = date(2027, 3, 1)


def _need_data(**overrides) -> dict:
    data = {
        "title": "Renfort pour la saison",
        "skills": "service en salle; plonge\nservice en salle",
        "level": "non_qualifie",
        "hours_per_week": "17,5",
        "days": ["sat", "sun"],
        "contract": "saisonnier",
        "reason": "pic_activite",
        "start": "15/04/2027",
        "duration_months": "4",
        "commune": "la teste",
    }
    data.update(overrides)
    return data


def test_need_rules_type_the_values():
    checked = form_rules.check_need(_need_data(), today=TODAY)
    assert checked.ok, checked.errors
    values = checked.values
    assert values["skills"] == ["service en salle", "plonge"]  # split, deduplicated
    assert values["hours_per_week"] == 17.5
    assert values["start"] == date(2027, 4, 15)
    assert values["commune"] == f.LA_TESTE
    assert values["days"] == ["sat", "sun"]


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"hours_per_week": "0,5"}, "hours_per_week"),
        ({"hours_per_week": "48,5"}, "hours_per_week"),
        ({"start": "28/02/2027"}, "start"),
        ({"start": "2027-13-01"}, "start"),
        ({"days": []}, "days"),
        ({"commune": "Xyzville"}, "commune"),
        ({"level": ""}, "level"),
        ({"duration_months": "-1"}, "duration_months"),
    ],
)
def test_need_rules_refuse_bad_values(overrides, field):
    checked = form_rules.check_need(_need_data(**overrides), today=TODAY)
    assert list(checked.errors) == [field]


def test_a_duration_of_zero_months_is_accepted_as_in_the_interchange():
    checked = form_rules.check_need(_need_data(duration_months="0"), today=TODAY)
    assert checked.ok, checked.errors
    assert checked.values["duration_months"] == 0


def test_start_today_and_bounds_of_hours_are_accepted():
    # 48 h on four days: 12 h a day, the longest working day the law allows.
    for hours in ("1", "48"):
        checked = form_rules.check_need(
            _need_data(
                hours_per_week=hours, start=TODAY.isoformat(), days=["mon", "tue", "wed", "thu"]
            ),
            today=TODAY,
        )
        assert checked.ok, checked.errors


def test_siret_checksum():
    good = f.make_siret(77)
    assert form_rules.valid_siret(good) == good
    assert form_rules.valid_siret(f"{good[:3]} {good[3:6]} {good[6:9]} {good[9:]}") == good
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert form_rules.valid_siret(bad) is None
    assert form_rules.valid_siret("1234") is None


def test_owner_reasons_map_to_the_interchange_vocabulary():
    from connectences import vocab

    assert set(form_rules.OWNER_REASONS) == set(vocab.REASONS)
    assert form_rules.OWNER_REASONS["nouvelle_fonction"] == (
        "C'est une nouvelle fonction dans l'entreprise"
    )


def test_phone_and_email():
    assert form_rules.valid_phone("06.12.34.56.78") == "0612345678"
    # One stored form for a French number, whichever way it was typed (the CV library's).
    assert form_rules.valid_phone("+33 6 12 34 56 78") == "0612345678"
    assert form_rules.valid_phone("12 34") is None
    # The owner is a local company: a foreign number is not asked for.
    assert form_rules.valid_phone("+44 20 7946 0958") is None
    owner = {"owner_name": "Claire Martin", "owner_phone": "0612345678"}
    refused = form_rules.check_owner({**owner, "owner_email": "a@b"})
    assert "Indiquez une adresse e-mail valide" in refused.errors["owner_email"]
    # Lower case, as accounts store it, so the owner's address finds their account.
    checked = form_rules.check_owner({**owner, "owner_email": "Claire@Exemple.fr"})
    assert checked.values["owner_email"] == "claire@exemple.fr"


def _submit(title="Renfort pour la saison", email="patron@exemple.fr", siret=None) -> Need:
    need_values = form_rules.check_need(_need_data(title=title), today=TODAY).values
    company = {
        "company_name": "Le Bistrot",
        "siret": siret or f.make_siret(9100),
        "company_commune": f.ARCACHON,
    }
    owner = {"owner_name": "Paul", "owner_email": email, "owner_phone": "0611223344"}
    need = register.submit_public_need(db.session, need_values, company, owner)
    db.session.commit()
    return need


def test_duplicates_are_open_needs_of_the_same_company_with_the_same_title():
    need = _submit()
    assert register.find_duplicates(db.session, need.company_id, "renfort pour la SAISON !") == [
        need
    ]
    assert register.find_duplicates(db.session, need.company_id, "Renfort pour l'été") == []
    other = f.company(ref="autre")
    f.load(f.document(companies=[other]))
    other_id = db.session.scalars(select(Company.id).where(Company.ref == "autre")).one()
    assert register.find_duplicates(db.session, other_id, need.title) == []
    need.status = "pourvu"  # settled needs are no longer duplicates
    db.session.commit()
    assert register.find_duplicates(db.session, need.company_id, need.title) == []


def test_confirmation_starts_the_log_once_and_only_for_the_right_address():
    need = _submit()
    assert status_for_company(need).startswith("En attente")
    with pytest.raises(TransitionError):
        register.confirm_need(db.session, need, "autre@exemple.fr")
    assert need.owner_confirmed_at is None
    assert register.confirm_need(db.session, need, "PATRON@exemple.fr") is True
    db.session.commit()
    assert register.confirm_need(db.session, need, "patron@exemple.fr") is False
    log = db.session.scalars(select(Transition).where(Transition.entity_id == need.id)).all()
    assert [(t.from_state, t.to_state) for t in log] == [(None, "nouveau")]
    assert status_for_company(need) == "Reçu : l'animateur va l'étudier avec vous"


def test_a_stranger_posting_with_a_siret_sees_only_their_own_need():
    first = _submit(email="patron@exemple.fr")
    register.confirm_need(db.session, first, "patron@exemple.fr")
    second = _submit(title="Comptable", email="intrus@exemple.fr", siret=first.company.siret)
    register.confirm_need(db.session, second, "intrus@exemple.fr")
    db.session.commit()
    assert second.company_id == first.company_id  # one company per SIRET
    assert register.needs_for_owner_email(db.session, "intrus@exemple.fr") == [second]
    assert register.needs_for_owner_email(db.session, "patron@exemple.fr") == [first]
    assert register.needs_for_owner_email(db.session, "") == []


def test_a_stranger_s_need_is_flagged_and_not_moved_on_until_attached():
    from connectences.workflows import dispatch

    first = _submit(email="patron@exemple.fr")
    register.confirm_need(db.session, first, "patron@exemple.fr")
    assert not first.owner_unattached  # the company was created by their need
    # The owner, now a contact, posts again: theirs at once.
    again = _submit(title="Plonge", email="Patron@Exemple.fr", siret=first.company.siret)
    assert not again.owner_unattached
    stranger = _submit(title="Comptable", email="intrus@exemple.fr", siret=first.company.siret)
    assert stranger.owner_unattached
    register.confirm_need(db.session, stranger, "intrus@exemple.fr")
    assert "intrus@exemple.fr" not in [c.email for c in first.company.contacts]
    assert status_for_company(stranger).startswith("Reçu : l'animateur va vérifier")
    assert not register.may_qualify(stranger)
    values = {"rome": "G1603", "shared_time": False}
    with pytest.raises(TransitionError, match="non rattaché"):
        register.qualify_need(db.session, stranger, values, actor=None)
    with pytest.raises(TransitionError, match="non rattaché"):
        dispatch.check_reorientation(db.session, stranger, partner_ref="ft", code="autre", text="x")
    # Unconfirmed, "again" is nobody's yet: anyone may type the owner's address.
    assert register.needs_of_companies(db.session, [first.company_id]) == [first]
    register.confirm_need(db.session, again, again.owner_email)
    assert register.needs_of_companies(db.session, [first.company_id]) == [again, first]
    register.attach_owner(db.session, stranger, actor=None)
    db.session.commit()
    assert not stranger.owner_unattached and register.may_qualify(stranger)
    assert "intrus@exemple.fr" in [c.email for c in first.company.contacts]
    assert stranger in register.needs_of_companies(db.session, [first.company_id])
    with pytest.raises(TransitionError):
        register.attach_owner(db.session, stranger, actor=None)


def test_duplicates_are_told_only_to_an_address_that_may_follow_them():
    first = _submit(email="patron@exemple.fr")
    siret, title = first.company.siret, first.title
    company_id = first.company_id
    # The owner who posted it, whatever the case of their address.
    assert register.duplicates_for_owner(db.session, company_id, title, "Patron@Exemple.fr") == [
        first
    ]
    # A stranger with the public SIRET, an empty address, an unknown company: nothing.
    assert register.duplicates_for_owner(db.session, company_id, title, "x@exemple.fr") == []
    assert register.duplicates_for_owner(db.session, company_id, title, "") == []
    assert register.duplicates_for_owner(db.session, None, title, "patron@exemple.fr") == []
    # The company's registered address sees its queued needs only, not one still waiting
    # for its owner's confirmation.
    first.company.contact_email = "contact@bistrot.fr"
    db.session.commit()
    assert register.duplicates_for_owner(db.session, company_id, title, "contact@bistrot.fr") == []
    register.confirm_need(db.session, first, "patron@exemple.fr")
    second = _submit(email="patron@exemple.fr", siret=siret)
    register.confirm_need(db.session, second, "patron@exemple.fr")
    db.session.commit()
    found = register.duplicates_for_owner(db.session, company_id, title, "CONTACT@bistrot.fr")
    assert found == [first, second]


def test_link_lives_come_from_the_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "NEED_CONFIRM_MAX_AGE_DAYS", 2)
    monkeypatch.setitem(app.config, "COMPANY_LINK_MAX_AGE_DAYS", 1)
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    with pytest.raises(links.LinkError) as error:
        links.read_confirmation(
            "s3cret", links.confirmation_token("s3cret", 4, "a@b.fr", three_days_ago)
        )
    assert error.value.expired
    with pytest.raises(links.LinkError):
        links.read_space("s3cret", links.space_token("s3cret", "a@b.fr", three_days_ago))
    assert (links.confirm_days(), links.space_days()) == (2, 1)


def test_links_are_signed_purpose_bound_and_expire():
    token = links.space_token("s3cret", "Claire@Exemple.fr")
    assert links.read_space("s3cret", token) == ("claire@exemple.fr", 0)
    with pytest.raises(links.LinkError) as error:
        links.read_space("other", token)
    assert not error.value.expired
    with pytest.raises(links.LinkError):
        links.read_confirmation("s3cret", token)  # another purpose
    old = links.confirmation_token(
        "s3cret", 4, "a@b.fr", issued_at=datetime.now(UTC) - timedelta(days=8)
    )
    with pytest.raises(links.LinkError) as error:
        links.read_confirmation("s3cret", old)
    assert error.value.expired and "expiré" in error.value.message
    fresh = links.confirmation_token("s3cret", 4, "a@b.fr")
    assert links.read_confirmation("s3cret", fresh) == (4, "a@b.fr", None, 0)
    typed = links.confirmation_token("s3cret", 4, "a@b.fr", company=("Le Bistrot", "33009"))
    assert links.read_confirmation("s3cret", typed) == (4, "a@b.fr", ("Le Bistrot", "33009"), 0)
