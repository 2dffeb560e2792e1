"""A company owner corrects a need they posted (from their space's signed link or their
account) while no operator or partner has it, through the public form's rules; once one
has it, they write to the animateur instead."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectences import workflows
from connectences.clock import local_today
from connectences.dates import read_date
from connectences.extensions import db
from connectences.mail.outbox import platform_reply_to
from connectences.models import Need, Operator, OutboxMessage, Partner, Transition, User
from connectences.needs import owner_edit
from connectences.workflows import NEED
from connectences.workflows.dispatch import send_lead, send_referral
from tests import factories as f
from tests.helpers import by_ref, count, error_of, html_of, need_by_ref, page_text
from tests.test_web_need_public import _last_mail_to, _post_and_confirm, _written


def _edit_link(client, space: str, need: Need) -> str:
    """The space's link to correct ``need`` (fails if the space does not offer it)."""
    found = [
        link
        for link in re.findall(r'href="([^"]+/modifier)"', html_of(client.get(space)))
        if need.ref in link
    ]
    assert found, "the space offers to correct the need"
    return found[0]


def _filled(page) -> dict:
    """What the correction form sends as shown (its text fields, radios and days)."""
    html = html_of(page)
    data: dict = {"envoi": "modifier"}
    for name, value in re.findall(
        r'<input type="(?:text|date)" id="[^"]+" name="([^"]+)" value="([^"]*)"', html
    ):
        data[name] = value
    data["days"] = []
    for name, value in re.findall(r'name="([^"]+)" value="([^"]+)" checked', html):
        if name == "days":
            data["days"].append(value)
        else:
            data[name] = value
    for name, text in re.findall(
        r'<textarea id="([^"]+)" name="[^"]+"[^>]*>([^<]*)</textarea>', html
    ):
        data[name] = text.replace("&#39;", "'")
    data["hours_period"] = "semaine"
    stamp = re.search(r'name="lu_le" value="([^"]+)"', html)  # the correction form's
    if stamp:
        data["lu_le"] = stamp.group(1)
    values = re.search(r'name="lu_valeurs" value="([^"]+)"', html)  # with its digest
    if values:
        data["lu_valeurs"] = values.group(1)
    return data


def _edit_entries(need: Need) -> list[Transition]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Transition).where(
                Transition.entity == "need",
                Transition.entity_id == need.id,
                Transition.reason_text.startswith("Modifié par l'entreprise"),
            )
        )
    )


def test_the_owner_corrects_hours_and_days_and_the_animateur_is_told(client):
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    page = client.get(edit)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    data = _filled(page)
    assert data["hours_per_week"] == "14" and data["days"] == ["mon", "tue"]
    data.update(hours_per_week="21", days=["mon", "tue", "wed"])
    done = client.post(edit, data=data)
    assert done.status_code == 302 and done.location == f"{space}#contenu"
    assert f"Le besoin « {need.title} » est modifié" in page_text(client.get(space))
    need = need_by_ref(need.ref)
    assert need.hours_per_week == 21 and need.days == ["mon", "tue", "wed"]
    assert need.status == "nouveau"
    # Logged as said by the company, with the fields it changed; the state stays.
    (entry,) = _edit_entries(need)
    assert entry.from_state == entry.to_state == "nouveau"
    assert entry.reason_text == (
        "Modifié par l'entreprise (claire@huitres-dupont.fr) : heures par semaine, jours"
    )
    # The platform (no animateur entered this need) is mailed what changed.
    told = _last_mail_to(platform_reply_to())
    assert told.subject.endswith(f"Besoin modifié par l'entreprise : {need.title}")
    assert "heures par semaine : 14 h → 21 h" in told.body_text
    assert "jours : lundi, mardi → lundi, mardi, mercredi" in told.body_text
    # Sent again unchanged: nothing written, nothing mailed.
    before = _written()
    again = client.post(edit, data={**data})
    assert again.status_code == 302 and _written() == before


def test_a_correction_from_a_link_read_before_another_save_is_refused(app, client):
    # The owner's link opened twice (two people of the company, two tabs): one changes
    # the hours, the other the title; the second save must not put the hours back.
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    other = app.test_client()
    first, second = _filled(client.get(edit)), _filled(other.get(edit))
    assert client.post(edit, data={**first, "hours_per_week": "21"}).status_code == 302
    before = _written()
    typed = {**second, "title": "Écailler le week-end"}
    refused = other.post(edit, data=typed)
    assert refused.status_code == 422
    page = page_text(refused)
    assert "Rien n'a été enregistré : Ce besoin a été modifié par quelqu'un d'autre" in page
    assert "Corrigez ce point" not in page and page.lower().count("rien n") == 1
    assert "heures par semaine : 21 h" in page  # what the need holds now
    assert 'value="Écailler le week-end"' in html_of(refused)  # what was typed is kept
    assert _written() == before
    need = need_by_ref(need.ref)
    assert need.hours_per_week == 21 and need.title != "Écailler le week-end"
    assert len(_edit_entries(need)) == 1
    # Sent again from the page given back (its new stamp), once read: saved.
    again = _filled(refused)
    assert again["title"] == "Écailler le week-end" and again["hours_per_week"] == "14"
    assert other.post(edit, data={**again, "hours_per_week": "21"}).status_code == 302
    need = need_by_ref(need.ref)
    assert need.hours_per_week == 21 and need.title == "Écailler le week-end"


def test_a_correction_from_the_account_read_before_another_save_is_refused(client, auth):
    # The owner's account, the page open in two tabs: the second save is refused.
    owner = auth.login("company", client=client)
    company = db.session.get(User, owner.id).companies[0]
    f.load(f.document(needs=[f.need(company=company.ref, title="Secrétariat le lundi")]))
    need = db.session.scalars(select(Need).where(Need.company_id == company.id)).one()
    edit = f"/entreprise/besoins/{need.ref}/modifier"
    start = (local_today() + timedelta(days=10)).isoformat()
    first, second = _filled(client.get(edit)), _filled(client.get(edit))
    saved = client.post(edit, data={**first, "start": start, "title": "Secrétariat le mardi"})
    assert saved.status_code == 302
    refused = client.post(edit, data={**second, "start": start, "hours_per_week": "3"})
    assert refused.status_code == 422
    assert "intitulé : Secrétariat le mardi" in page_text(refused)
    need = need_by_ref(need.ref)
    assert need.title == "Secrétariat le mardi" and need.hours_per_week != 3
    assert len(_edit_entries(need)) == 1
    # Without a stamp, or with one that reads as none, the correction is refused too.
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = {**_filled(client.get(edit)), "start": start, "hours_per_week": "3"}
        data.pop("lu_le")
        if stamp is not None:
            data["lu_le"] = stamp
        assert client.post(edit, data=data).status_code == 422
        assert need_by_ref(need.ref).hours_per_week != 3


def test_the_animateur_who_entered_the_need_is_the_one_told(client, auth):
    owner = auth.login("company", client=client)
    company = db.session.get(User, owner.id).companies[0]
    animateur = auth.create("animateur", email="lea@connectences.example")
    f.load(f.document(needs=[f.need(company=company.ref, title="Secrétariat le lundi")]))
    need = db.session.scalars(select(Need).where(Need.company_id == company.id)).one()
    need.created_by_id = animateur.id
    db.session.commit()
    edit = f"/entreprise/besoins/{need.ref}/modifier"
    assert edit in html_of(client.get("/entreprise"))
    data = _filled(client.get(edit))
    data["title"] = "Secrétariat le lundi et le mardi"
    data["start"] = (local_today() + timedelta(days=10)).isoformat()
    assert client.post(edit, data=data).status_code == 302
    need = need_by_ref(need.ref)
    assert need.title == "Secrétariat le lundi et le mardi"
    (entry,) = _edit_entries(need)
    assert entry.actor_id == owner.id
    assert "intitulé" in entry.reason_text
    told = _last_mail_to("lea@connectences.example")
    assert told is not None and "Besoin modifié par l'entreprise" in told.subject
    assert "intitulé : Secrétariat le lundi → Secrétariat le lundi et le mardi" in told.body_text
    # The stop page sends a change to this page rather than to a stop.
    stop = html_of(client.get(f"/entreprise/besoins/{need.ref}/arreter"))
    assert f'href="{edit}"' in stop


@pytest.mark.parametrize(
    ("changes", "field", "said"),
    [
        ({"hours_per_week": "60"}, "hours_per_week", "entre 1 et 48"),
        ({"hours_per_week": "40", "days": ["mon"]}, "days", "par jour"),
        ({"days": []}, "days", "Cochez au moins un jour"),
        ({"title": ""}, "title", "Décrivez le besoin"),
        # The limit, and how many were typed: the owner knows how much to cut.
        ({"title": "x" * 300}, "title", "ne doit pas dépasser 200 caractères (300 saisis)."),
        ({"reason_text": "Une femme de moins de 30 ans"}, "reason_text", ""),
        ({"start": "2001-01-01"}, "start", "dans le passé"),
        ({"commune": "Paris-sur-Lune"}, "commune", ""),
        ({"contract": "esclavage"}, "contract", "type de contrat"),
    ],
)
def test_bad_corrections_are_refused_in_french_and_change_nothing(client, changes, field, said):
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    data = {**_filled(client.get(edit)), **changes}
    before = _written()
    refused = client.post(edit, data=data)
    assert refused.status_code == 422
    assert said in error_of(refused, field) and error_of(refused, field)
    assert "Erreur —" in html_of(refused)
    assert _written() == before
    stored = need_by_ref(need.ref)
    assert stored.hours_per_week == 14 and stored.title == need.title


def test_a_need_whose_start_has_passed_is_corrected_with_that_start_kept(client):
    # Posted for a start that has now passed: the owner corrects the hours without
    # having to invent a new date; another past date is still refused.
    need, space = _post_and_confirm(client)
    passed = local_today() - timedelta(days=5)
    stored = need_by_ref(need.ref)
    stored.start = passed
    db.session.commit()
    edit = _edit_link(client, space, need)
    form = client.get(edit)
    assert f"la date déjà prévue, le {passed:%d/%m/%Y}, peut rester" in page_text(form)
    assert f'min="{passed.isoformat()}"' in html_of(form)
    data = _filled(form)
    assert read_date(data["start"]) == passed
    done = client.post(edit, data={**data, "hours_per_week": "10"})
    assert done.status_code == 302
    stored = need_by_ref(need.ref)
    assert stored.hours_per_week == 10 and stored.start == passed
    before = _written()
    earlier = (passed - timedelta(days=1)).isoformat()
    refused = client.post(edit, data={**data, "hours_per_week": "12", "start": earlier})
    assert refused.status_code == 422 and "dans le passé" in error_of(refused, "start")
    assert _written() == before


def _proposed(need: Need) -> None:
    f.load(f.document(operators=[f.operator(ref="ge", email="ge@exemple.fr")]))
    workflows.transition(db.session, need, NEED, "qualifie")
    send_lead(db.session, needs=[need], operator=by_ref(Operator, "ge"))
    db.session.commit()


def _reoriented(need: Need) -> None:
    f.load(f.document(partners=[f.partner(ref="ft", email="ft@exemple.fr")]))
    send_referral(db.session, need=need, partner=by_ref(Partner, "ft"))
    db.session.commit()


@pytest.mark.parametrize("route", [_proposed, _reoriented])
def test_a_need_an_operator_or_partner_has_is_not_edited_the_owner_writes_instead(client, route):
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    data = _filled(client.get(edit))
    route(need_by_ref(need.ref))
    # The space now offers to write, and the page says why it no longer edits.
    assert "Écrire à l'animateur" in page_text(client.get(space))
    page = client.get(edit)
    assert owner_edit.OWNER_EDIT_HELD in page_text(page)
    assert 'name="hours_per_week"' not in html_of(page)
    # Its heading says what the page is for, as its title does; one way back, not two.
    heading = re.search(r"<h1>(.*?)</h1>", html_of(page), re.S).group(1)
    assert heading.startswith("Écrire à propos du besoin")
    assert re.search(r"<title>Écrire à propos du besoin", html_of(page))
    assert html_of(page).count(f'href="{space}"') == 1
    # A correction sent from a page opened before is refused: nothing changes.
    before = _written()
    refused = client.post(edit, data={**data, "hours_per_week": "21"})
    assert refused.status_code == 409 and owner_edit.OWNER_EDIT_HELD in page_text(refused)
    assert _written() == before and need_by_ref(need.ref).hours_per_week == 14
    # The message: required, bounded, then logged and mailed.
    empty = client.post(edit, data={"envoi": "message", "message": "  "})
    assert empty.status_code == 422 and "Écrivez votre message" in error_of(empty, "message")
    too_long = client.post(edit, data={"envoi": "message", "message": "x" * 1600})
    assert too_long.status_code == 422 and "1 500 caractères" in error_of(too_long, "message")
    # Counted as typed, not after a cut to 4,000 characters (found by a review).
    too_long = client.post(edit, data={"envoi": "message", "message": "x" * 10_000})
    assert "(10 000 saisis)" in error_of(too_long, "message")
    assert "x" * 10_000 + "</textarea>" in html_of(too_long)
    assert _written() == before
    sent = client.post(edit, data={"envoi": "message", "message": "Plutôt 3 jours dès mars"})
    assert sent.status_code == 302 and sent.location == f"{space}#contenu"
    status = need_by_ref(need.ref).status
    entry = db.session.scalars(
        select(Transition).where(Transition.reason_text.startswith("Message de l'entreprise"))
    ).one()
    assert entry.from_state == entry.to_state == status
    assert entry.reason_text.endswith(": Plutôt 3 jours dès mars")
    told = _last_mail_to(platform_reply_to())
    assert "Plutôt 3 jours dès mars" in told.body_text
    assert told.reply_to == "claire@huitres-dupont.fr"  # the animateur answers the owner
    # A day's messages are bounded: each one mails the animateur.
    for _ in range(owner_edit.MESSAGES_PER_DAY - 1):
        assert client.post(edit, data={"envoi": "message", "message": "Encore"}).status_code == 302
    mails = count(OutboxMessage)
    spent = client.post(edit, data={"envoi": "message", "message": "Encore"})
    assert spent.status_code == 422 and "plusieurs fois aujourd'hui" in page_text(spent)
    assert count(OutboxMessage) == mails


def test_a_settled_need_is_neither_edited_nor_written_about(client):
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    data = _filled(client.get(edit))
    stop = re.findall(r'href="([^"]+/arreter)"', html_of(client.get(space)))[0]
    assert client.post(stop, data={"motif": "budget"}).status_code == 302
    assert "/modifier" not in html_of(client.get(space))
    before = _written()
    assert client.post(edit, data={**data, "hours_per_week": "21"}).status_code == 409
    refused = client.post(edit, data={"envoi": "message", "message": "Finalement si"})
    assert refused.status_code == 422 and "clos" in page_text(refused)
    assert _written() == before


def test_no_one_else_edits_an_owners_need(app, client, auth):
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    data = {**_filled(client.get(edit)), "hours_per_week": "30"}
    stranger = app.test_client()
    # Another address's space, a forged token: nothing.
    _, other_space = _post_and_confirm(stranger, owner_email="paul@autre-entreprise.fr")
    assert stranger.get(edit.replace(space, other_space)).status_code == 404
    assert stranger.post(edit.replace(space, other_space), data=data).status_code == 404
    assert stranger.post(edit.replace(space, space + "x"), data=data).status_code == 403
    # A logged-in owner of another company, the staff: not through the owners' pages.
    auth.login("company", client=stranger)
    assert stranger.post(f"/entreprise/besoins/{need.ref}/modifier", data=data).status_code == 404
    for role in ("animateur", "admin"):
        staff = app.test_client()
        auth.login(role, client=staff)
        answer = staff.post(f"/entreprise/besoins/{need.ref}/modifier", data=data)
        assert answer.status_code in (302, 403)
    assert need_by_ref(need.ref).hours_per_week == 14 and not _edit_entries(need)


def test_the_correction_form_is_refused_without_its_security_token(app, client, monkeypatch):
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    data = {**_filled(client.get(edit)), "hours_per_week": "21"}
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(edit, data=data).status_code == 400
    assert need_by_ref(need.ref).hours_per_week == 14


def test_an_unconfirmed_need_corrected_by_its_owner_tells_no_animateur(client):
    _, space = _post_and_confirm(client)
    # A second need from the same address, its confirmation mail not opened yet.
    assert client.post("/exprimer-un-besoin", data=f.public_need_form(title="Vente le samedi"))
    waiting = db.session.scalars(select(Need).where(Need.title == "Vente le samedi")).one()
    edit = _edit_link(client, space, waiting)
    mails = count(OutboxMessage)
    data = {**_filled(client.get(edit)), "hours_per_week": "7"}
    assert client.post(edit, data=data).status_code == 302
    assert need_by_ref(waiting.ref).hours_per_week == 7
    # Its log starts at the confirmation (the queue's entry, which the observatory dates).
    assert not _edit_entries(waiting) and count(OutboxMessage) == mails


def test_a_correction_read_before_the_animateur_s_notes_is_saved_a_real_change_refused(app, client):
    # The link opened twice; meanwhile the animateur writes notes on the need (outside
    # the owner's form): its stamp moved, nothing the form edits changed, no loss.
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    other = app.test_client()
    first, second = _filled(client.get(edit)), _filled(other.get(edit))
    assert first.get("lu_valeurs")
    stored = need_by_ref(need.ref)
    stored.notes = "Rappeler après 17 h."
    db.session.commit()
    assert stored.updated_at.isoformat() != first["lu_le"]
    assert client.post(edit, data={**first, "hours_per_week": "21"}).status_code == 302
    # Read before that save, the other page's hours changed meanwhile: refused.
    refused = other.post(edit, data={**second, "title": "Écailler le week-end"})
    assert refused.status_code == 422
    assert "modifié par quelqu'un d'autre" in page_text(refused)
    assert 'value="Écailler le week-end"' in html_of(refused)  # what was typed is kept
    need = need_by_ref(need.ref)
    assert (need.hours_per_week, need.notes) == (21, "Rappeler après 17 h.")
    assert need.title != "Écailler le week-end"


def test_a_refused_correction_gives_its_text_back_whole(client):
    # The view cut every text to 4,000 characters before the rules read it: a precision
    # of 5,000 came back cut (and a text between would have been judged cut).
    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    typed = "Précision : " + "x" * 5000
    refused = client.post(edit, data={**_filled(client.get(edit)), "reason_text": typed})
    assert refused.status_code == 422
    said = error_of(refused, "reason_text")
    assert f"ne doit pas dépasser 2 000 caractères (5 {len(typed) - 5000:03d} saisis)" in said
    assert typed in html_of(refused)


def test_the_correction_s_error_summary_lists_the_fields_in_the_order_of_the_form(client):
    from tests.test_web_need_public import _page_order, _summary_order

    need, space = _post_and_confirm(client)
    edit = _edit_link(client, space, need)
    wrong = {"hours_per_week": "0", "days": [], "level": "", "start": "31/02/2027"}
    refused = html_of(client.post(edit, data={**_filled(client.get(edit)), **wrong, "reason": ""}))
    listed = _summary_order(refused)
    assert {"hours_per_week", "level", "start", "reason"} <= set(listed)
    assert listed == _page_order(refused, listed)
