"""A company owner says how often they accept to be contacted ("Mes préférences de
contact"), from their account and from their space's signed link: through the staff's
rule (``companies.set_preferences``), recorded as said by the company, shown to the staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import AuditLog, Company, User, Visit
from connectences.prospection.pressure import COMPANY_PREFERENCES, company_timeline
from tests.fixtures_auth import csrf_token_from
from tests.helpers import (
    add_visit,
    html_of,
    make_company,
    page_text,
    read_guard_at,
    read_stamp_at,
    stamp_in,
)
from tests.test_web_need_public import _post_and_confirm

CHOSEN = {"newsletter_consent": "1", "max_contacts_per_month": "2"}


def _preferences_of(company_id: int) -> tuple:
    db.session.expire_all()
    company = db.session.get(Company, company_id)
    return company.do_not_solicit, company.newsletter_consent, company.max_contacts_per_month


def _entries(company_id: int) -> list[AuditLog]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditLog).where(
                AuditLog.action == COMPANY_PREFERENCES, AuditLog.entity_id == company_id
            )
        )
    )


def _as_read(client, page: str, data: dict) -> dict:
    """``data`` sent from the form of ``page`` as read now (its read stamp)."""
    return {**data, "lu_le": read_stamp_at(client, page)}


def _space_page(client) -> tuple[Company, str, str]:
    """An owner's space (a need posted and confirmed) and its preferences page."""
    need, space = _post_and_confirm(client)
    page = f"{space}/preferences/{need.company.ref}"
    assert page in html_of(client.get(space)), "the space offers the owner's preferences"
    return need.company, space, page


# --- from the space's link ------------------------------------------------------------


def test_the_owner_says_it_through_their_link_and_the_staff_see_it(client, auth):
    company, space, page = _space_page(client)
    form = client.get(page)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    text = page_text(form)
    assert "Mes préférences de contact" in text and "Contacts acceptés par mois" in text
    assert "Pas de plafond" in text and "31 contacts par mois au plus" in text
    assert "32 contacts" not in text and ">0 contact" not in html_of(form)

    done = client.post(page, data=_as_read(client, page, CHOSEN))
    # Back on the space where the word of success shows, not on the form's error anchor
    # (sent to "…#erreurs", a redirect without a fragment of its own kept that one).
    assert done.status_code == 302 and done.location == f"{space}#contenu"
    assert _preferences_of(company.id) == (False, True, 2)
    (entry,) = _entries(company.id)
    assert entry.actor_id is None
    assert entry.details["said_by_owner"] == "claire@huitres-dupont.fr"
    assert entry.details["after"]["max_contacts_per_month"] == 2
    # The form shows what is stored now.
    assert '<option value="2" selected>' in html_of(client.get(page))

    [said] = [e for e in company_timeline(db.session, company.id) if e.kind == "preferences"]
    assert not said.counted and said.by == "l'entreprise (claire@huitres-dupont.fr)"
    assert said.summary == "Au plus 2 contacts par mois ; lettre d'information : oui"
    auth.login("animateur")
    staff = page_text(client.get(f"/animateur/entreprises/{company.ref}"))
    assert "par l'entreprise (claire@huitres-dupont.fr), elle-même" in staff
    assert "Préférences de contact dites par l'entreprise" in staff


def test_two_changes_of_the_same_day_show_the_newest_first(client):
    """As every other kind of the company's history: within a day, the latest first."""
    company, _space, page = _space_page(client)
    client.post(page, data=_as_read(client, page, CHOSEN))
    client.post(page, data=_as_read(client, page, {"max_contacts_per_month": "4"}))
    said = [e for e in company_timeline(db.session, company.id) if e.kind == "preferences"]
    assert [e.summary for e in said] == [
        "Au plus 4 contacts par mois ; lettre d'information : non",
        "Au plus 2 contacts par mois ; lettre d'information : oui",
    ]


def test_no_more_solicitation_closes_the_planned_follow_ups(client, auth):
    company, _space, page = _space_page(client)
    animateur = auth.create("animateur")
    visit = add_visit(
        company,
        animateur,
        local_today() - timedelta(days=40),
        follow_up_on=local_today() + timedelta(days=5),
    )
    assert (
        client.post(page, data=_as_read(client, page, {"do_not_solicit": "1"})).status_code == 302
    )
    assert _preferences_of(company.id) == (True, False, None)
    assert db.session.get(Visit, visit.id).follow_up_closed_at is not None


def test_no_more_solicitation_with_the_newsletter_ticked_says_no_issue_will_come(client, auth):
    """The newsletter goes through the contact guard, which skips a company that asked
    not to be solicited: an owner ticking both boxes is told, not left waiting for it."""
    owner = auth.login("company")
    company = db.session.get(User, owner.id).companies[0]
    page = f"/entreprise/preferences/{company.ref}"
    assert "ni la lettre d'information" in page_text(client.get(page))
    both = _as_read(client, page, {"do_not_solicit": "1", "newsletter_consent": "1"})
    area = page_text(client.post(page, data=both, follow_redirects=True))
    assert "ne sera plus sollicitée" in area
    assert "La lettre d'information ne vous sera pas envoyée non plus" in area
    assert _preferences_of(company.id) == (True, True, None)
    # Without the newsletter ticked, nothing to add.
    alone = _as_read(client, page, {"do_not_solicit": "1"})
    area = page_text(client.post(page, data=alone, follow_redirects=True))
    assert "ne sera plus sollicitée" in area and "lettre d'information" not in area


@pytest.mark.parametrize(
    ("cap", "message"),
    [
        ("0", "cochez « Ne plus solliciter » plutôt que 0"),
        ("32", "Indiquez un nombre de contacts de 1 à 31."),
        ("deux", "Indiquez un nombre entier de 1 à 31."),
    ],
)
def test_a_cap_out_of_range_changes_nothing(client, cap, message):
    company, _space, page = _space_page(client)
    before = _preferences_of(company.id)
    sent = client.post(
        page, data=_as_read(client, page, {"do_not_solicit": "1", "max_contacts_per_month": cap})
    )
    assert sent.status_code == 422
    assert message in page_text(sent)
    assert _preferences_of(company.id) == before and _entries(company.id) == []
    # Sent back as typed: the box stays ticked.
    assert 'name="do_not_solicit" value="1" aria-describedby="do_not_solicit-aide" checked' in (
        html_of(sent)
    )


def test_preferences_said_from_a_page_read_before_another_save_are_refused(client, app):
    # The owner's link opened twice (two people of the company, two tabs): one says no
    # more solicitation, the other accepts the newsletter; the second save must not
    # take the first's refusal back.
    company, _space, page = _space_page(client)
    other = app.test_client()
    first, second = read_stamp_at(client, page), read_stamp_at(other, page)
    assert client.post(page, data={"do_not_solicit": "1", "lu_le": first}).status_code == 302
    refused = other.post(page, data={"newsletter_consent": "1", "lu_le": second})
    assert refused.status_code == 422
    said = page_text(refused)
    assert "modifiée par quelqu'un d'autre" in said and "Rien n'a été enregistré" in said
    assert "maintenant : ne plus être sollicitée" in said
    assert 'id="newsletter_consent" name="newsletter_consent" value="1"' in html_of(refused)
    assert 'value="1" checked' in html_of(refused).split('id="newsletter_consent"', 1)[1][:80]
    assert _preferences_of(company.id) == (True, False, None)
    assert len(_entries(company.id)) == 1
    # Sent again once read, with what the first said: saved.
    again = {"do_not_solicit": "1", "newsletter_consent": "1", "lu_le": stamp_in(refused)}
    assert other.post(page, data=again).status_code == 302
    assert _preferences_of(company.id) == (True, True, None)
    # Without a stamp, or with one that reads as none: refused, nothing changed.
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = {"max_contacts_per_month": "4"}
        if stamp is not None:
            data["lu_le"] = stamp
        assert client.post(page, data=data).status_code == 422
    assert _preferences_of(company.id) == (True, True, None)


def test_another_address_link_reaches_no_other_company(client, app):
    company, _space, _page = _space_page(client)
    other = app.test_client()
    need, other_space = _post_and_confirm(
        other, owner_email="marc@garage-pins.fr", company_name="Garage des Pins"
    )
    assert need.company_id != company.id
    stolen = f"{other_space}/preferences/{company.ref}"
    assert other.get(stolen).status_code == 404
    assert other.post(stolen, data=CHOSEN).status_code == 404
    assert _entries(company.id) == []


def test_an_unattached_author_does_not_speak_for_the_company(client, app):
    """Anyone may type a known company's SIRET: their space shows the need apart, and
    gives them no say on the company's contacts."""
    company, _space, _page = _space_page(client)
    stranger = app.test_client()
    _need, space = _post_and_confirm(
        stranger, owner_email="intrus@exemple.fr", siret=company.siret, title="Autre"
    )
    assert "/preferences/" not in html_of(stranger.get(space))
    page = f"{space}/preferences/{company.ref}"
    assert stranger.post(page, data={"do_not_solicit": "1"}).status_code == 404
    assert _preferences_of(company.id)[0] is False and _entries(company.id) == []


def test_a_forged_token_is_refused(client):
    company, space, page = _space_page(client)
    token = space.rsplit("/", 1)[1]
    forged = page.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    refused = client.post(forged, data={"do_not_solicit": "1"})
    assert refused.status_code == 403
    assert _preferences_of(company.id)[0] is False and _entries(company.id) == []


def test_whoever_holds_the_link_speaks_as_its_address(client, auth):
    """The link is the owner's key, as for the space's other pages: a person signed in
    who opens it (an animateur the owner forwarded it to) says what the company said,
    recorded under the link's address, never under their own account."""
    company, _space, page = _space_page(client)
    auth.login("animateur")
    assert client.get(page).status_code == 200
    assert (
        client.post(page, data=_as_read(client, page, {"do_not_solicit": "1"})).status_code == 302
    )
    assert _preferences_of(company.id)[0] is True
    (entry,) = _entries(company.id)
    assert entry.actor_id is None and entry.details["said_by_owner"]


# --- from the account -----------------------------------------------------------------


def test_the_owner_says_it_from_their_account(client, auth):
    owner = auth.login("company", full_name="Sylvie Lafitte")
    company = db.session.get(User, owner.id).companies[0]
    page = f"/entreprise/preferences/{company.ref}"
    assert page in html_of(client.get("/entreprise"))
    done = client.post(page, data=_as_read(client, page, {"max_contacts_per_month": "3"}))
    assert done.status_code == 302 and done.location == "/entreprise#contenu"
    assert _preferences_of(company.id) == (False, False, 3)
    (entry,) = _entries(company.id)
    assert entry.actor_id == owner.id and entry.details["said_by_owner"] == owner.email
    # The same again changes nothing and logs nothing more.
    again = _as_read(client, page, {"max_contacts_per_month": "3"})
    assert client.post(page, data=again).status_code == 302
    assert len(_entries(company.id)) == 1


def test_another_company_account_and_the_staff_are_refused(client, auth, app):
    owner = auth.login("company")
    company = db.session.get(User, owner.id).companies[0]
    page = f"/entreprise/preferences/{company.ref}"
    other = app.test_client()
    auth.login("company", client=other)
    assert other.get(page).status_code == 404
    assert other.post(page, data={"do_not_solicit": "1"}).status_code == 404
    staff = app.test_client()
    auth.login("animateur", client=staff)
    assert staff.post(page, data={"do_not_solicit": "1"}).status_code == 403
    assert make_company().ref != company.ref  # a company nobody owns
    assert _preferences_of(company.id)[0] is False and _entries(company.id) == []


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_a_form_without_its_security_token_changes_nothing(client, auth, csrf_on):
    owner = auth.login("company")
    company = db.session.get(User, owner.id).companies[0]
    page = f"/entreprise/preferences/{company.ref}"
    token = csrf_token_from(html_of(client.get(page)))
    assert token
    refused = client.post(page, data={"do_not_solicit": "1"})
    assert refused.status_code in (400, 303)
    assert _preferences_of(company.id)[0] is False and _entries(company.id) == []
    sent = _as_read(client, page, {"do_not_solicit": "1", "csrf_token": token})
    assert client.post(page, data=sent).status_code == 302
    assert _preferences_of(company.id)[0] is True


# --- the staff page -------------------------------------------------------------------


def test_the_staff_page_says_who_set_them_last(client, auth):
    user = auth.login("animateur", full_name="Léa Martin")
    company = make_company()
    shown = f"/animateur/entreprises/{company.ref}"
    assert "Jamais modifiées" in page_text(client.get(shown))
    client.post(
        f"{shown}/preferences", data=_as_read(client, shown, {"max_contacts_per_month": "4"})
    )
    assert _preferences_of(company.id)[2] == 4
    assert "par Léa Martin." in page_text(client.get(shown))
    (entry,) = _entries(company.id)
    assert entry.actor_id == user.id and "said_by_owner" not in entry.details
    # The staff's own changes are on the page, not on the timeline of what the company said.
    assert [e for e in company_timeline(db.session, company.id) if e.kind == "preferences"] == []


def test_preferences_read_before_a_change_outside_them_are_saved_a_real_change_refused(client, app):
    # The link opened twice; meanwhile the company's contact address is corrected
    # (outside the form): its stamp moved, nothing the form edits changed, no loss.
    company, _space, page = _space_page(client)
    other = app.test_client()
    first, second = read_guard_at(client, page), read_guard_at(other, page)
    assert first.get("lu_valeurs")
    stored = db.session.get(Company, company.id)
    stored.contact_email = "gerant@fournil.example"
    db.session.commit()
    assert stored.updated_at.isoformat() != first["lu_le"]
    assert client.post(page, data={"do_not_solicit": "1", **first}).status_code == 302
    # Read before that save, the other page's choice changed meanwhile: refused.
    refused = other.post(page, data={"newsletter_consent": "1", **second})
    assert refused.status_code == 422
    assert "modifiée par quelqu'un d'autre" in page_text(refused)
    assert 'value="1" checked' in html_of(refused).split('id="newsletter_consent"', 1)[1][:80]
    assert _preferences_of(company.id) == (True, False, None)
    assert len(_entries(company.id)) == 1


def test_the_cap_help_fits_its_drop_down_list(client):
    # The help sat beside a list to choose from, not a box to type a figure in.
    _company, _space, page = _space_page(client)
    text = page_text(client.get(page))
    assert "Pas de plafond, ou de 1 à 31" not in text
    assert "Choisissez dans la liste « Pas de plafond » ou le nombre de contacts" in text


# --- a need posted while the company asks not to be solicited ---------------------------

HELD = (
    "vous avez demandé à ne plus être sollicité : un animateur peut vous appeler au sujet "
    "de ce besoin, mais il ne sera transmis à une structure qu'avec votre accord"
)


def test_a_logged_in_owner_who_asked_for_no_contact_is_told_the_need_goes_nowhere(client, auth):
    from tests.test_web_need_public import _form

    owner = auth.login("company", full_name="Sylvie Lafitte")
    company = db.session.get(User, owner.id).companies[0]
    company.do_not_solicit = True
    db.session.commit()
    sent = client.post(
        "/exprimer-un-besoin",
        data=_form(title="Paie du mois", siret=company.siret, owner_email=owner.email),
    )
    assert sent.status_code == 302 and sent.location == "/entreprise"
    area = client.get(sent.location)
    text = page_text(area)
    # No promise the guard would not keep: the need reaches no structure meanwhile.
    assert "votre besoin est transmis" in text and HELD in text
    assert "va l'étudier et vous appellera" not in text
    assert "Reçu : l'animateur va l'étudier avec vous" not in text
    assert f'href="/entreprise/preferences/{company.ref}"' in html_of(area)
    assert "Modifier mes préférences" in text
    # The choice stands: only the owner lifts it.
    assert _preferences_of(company.id)[0] is True


def test_an_owner_through_the_public_form_reads_the_same_truth_in_their_space(client):
    company, space, page = _space_page(client)
    client.post(page, data=_as_read(client, page, {"do_not_solicit": "1"}))
    assert _preferences_of(company.id)[0] is True

    need, space = _post_and_confirm(client, title="Un second besoin", siret=company.siret)
    assert need.company_id == company.id and not need.owner_unattached
    shown = client.get(space)
    text = page_text(shown)
    assert "votre besoin est confirmé" in text and HELD in text
    assert "va l'étudier et vous appellera" not in text
    # The second space link is signed anew (its token may carry a later second than
    # the first one's), so the link is the preferences page of *this* space.
    assert f'href="{space}/preferences/{company.ref}"' in html_of(shown)
    assert "Modifier mes préférences" in text
    assert _preferences_of(company.id)[0] is True

    # Once they lift the choice, the usual words come back, with no link to change it.
    client.post(page, data=_as_read(client, page, {}))
    text = page_text(client.get(space))
    assert HELD not in text and "Reçu : l'animateur va l'étudier avec vous" in text
    assert "Modifier mes préférences" not in text


def _confirmation_mail_for(client, company: Company, email: str):
    from tests.test_web_need_public import _form, _last_mail_to

    sent = client.post(
        "/exprimer-un-besoin", data=_form(title="Paie", siret=company.siret, owner_email=email)
    )
    assert sent.status_code == 302
    return _last_mail_to(email)


def test_the_confirmation_mail_promises_no_call_to_a_company_that_asked_for_none(client):
    """The mail asking to confirm a need said an animateur would call: not so for a
    company that asked not to be solicited (its need goes nowhere without its say)."""
    company = make_company(contact_email="direction@fournil.example")
    company.do_not_solicit = True
    db.session.commit()
    mail = _confirmation_mail_for(client, company, "direction@fournil.example")
    for body in (mail.body_text, mail.body_html):
        assert "vous appellera ensuite" not in body
        assert "Vous avez demandé à ne plus être sollicité" in body
        assert "ne sera transmis à une structure qu'avec votre accord" in body
        assert "préférences de contact" in body


def test_the_confirmation_mail_tells_a_stranger_nothing_of_the_company_s_choice(client, app):
    """Anyone may type a known SIRET: an address the company does not know is not told
    the company asked not to be solicited (nor promised a call it will not get: its
    need waits for the animateur to attach its author)."""
    company = make_company(contact_email="direction@fournil.example")
    company.do_not_solicit = True
    db.session.commit()
    mail = _confirmation_mail_for(client, company, "intrus@exemple.fr")
    assert "ne plus être sollicité" not in mail.body_text
    # Without the choice, the usual words.
    company = db.session.get(Company, company.id)
    company.do_not_solicit = False
    db.session.commit()
    mail = _confirmation_mail_for(app.test_client(), company, "direction@fournil.example")
    assert "vous appellera ensuite" in mail.body_text
    assert "ne plus être sollicité" not in mail.body_text
