"""Every form that gives a stored decimal back to be changed shows it as people type it and
the pages show it, « 8,5 » (``typography.decimal_input``), not « 8.5 »; and the form sent
back exactly as shown saves the same number (or finds the same people)."""

from __future__ import annotations

import re

import lxml.html
from werkzeug.datastructures import MultiDict

from connectences.extensions import db
from connectences.models import Candidate, Commitment, Need, Placement
from connectences.numbers import read_number
from connectences.typography import decimal_input
from tests import factories as f
from tests.helpers import by_ref, html_of
from tests.test_exchange_commitments import doc11, held
from tests.test_owner_edit import _edit_link, _filled
from tests.test_web_library import BASE, people  # noqa: F401 (fixture)
from tests.test_web_need_public import _post_and_confirm, _written
from tests.test_web_needs import animateur, data  # noqa: F401 (fixtures)
from tests.test_web_operators import _post, world  # noqa: F401 (fixture)


def _form_as_shown(response, field_id: str) -> tuple[str, MultiDict]:
    """The action of the form holding ``field_id`` and what it sends untouched: its
    fields as a browser would send them (text, hidden, ticked boxes, chosen options)."""
    assert response.status_code == 200, response.status_code
    tree = lxml.html.fromstring(html_of(response))
    (form,) = tree.xpath(f'//form[.//*[@id="{field_id}"]]')
    return form.get("action") or "", MultiDict(form.form_values())


def _people_found(response) -> list[str]:
    return re.findall(r'data-label="Personne"><a [^>]*>([^<]+)</a>', html_of(response))


def test_a_decimal_is_given_back_with_a_comma_and_read_back_as_the_same_number():
    assert decimal_input(8.5) == "8,5"
    assert decimal_input(8.0) == "8" and decimal_input(0) == "0"
    assert decimal_input(1234.5) == "1234,5"  # a field to edit: no thousands space
    assert decimal_input(None) == ""
    assert decimal_input(8.333333, 6) == "8,333333"
    for value in (0, 0.5, 7.5, 8.25, 12.75, 48, 1234.5):
        assert read_number(decimal_input(value)) == value


def test_the_commitment_form_gives_its_hours_back_with_a_comma(client, auth):
    f.load(doc11(f.candidate(ref="cv-a", commitments=[held(hours_per_week=7.5)])))
    (commitment,) = by_ref(Candidate, "cv-a").commitments
    auth.login("animateur")
    url = f"/animateur/cvtheque/cv-a/engagements/{commitment.id}"
    action, sent = _form_as_shown(client.get(url), "heures")
    assert sent["heures"] == "7,5"
    response = client.post(action or url, data=sent)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).hours_per_week == 7.5


def test_the_placement_form_proposes_the_hours_with_a_comma(client, auth, world):  # noqa: F811
    by_ref(Need, "n1").hours_per_week = 8.5
    db.session.commit()
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    page = client.get(url)
    action, sent = _form_as_shown(page, "heures")
    assert sent["heures"] == "8,5"
    sent["candidat"] = str(by_ref(Candidate, "ok").id)
    sent["debut"] = "01/03/2027"
    response = client.post(action.split("#")[0], data=sent)
    assert response.status_code == 302, response.get_data(as_text=True)
    (placement,) = db.session.query(Placement).all()
    assert placement.hours_per_week == 8.5


def test_the_cv_search_gives_its_radius_and_hours_back_with_a_comma(client, auth, people):  # noqa: F811
    auth.login("animateur")
    typed = {"autour": f.ARCACHON, "rayon": "7,5", "heures_min": "6,5", "heures_max": "35"}
    first = client.get(BASE, query_string=typed)
    action, sent = _form_as_shown(first, "rayon")
    assert (sent["rayon"], sent["heures_min"], sent["heures_max"]) == ("7,5", "6,5", "35")
    # Typed fields, not number inputs: those show nothing for « 7,5 » in some browsers.
    page = html_of(first)
    assert 'type="number" id="rayon"' not in page and 'type="number" id="heures_min"' not in page
    again = client.get(action or BASE, query_string=sent)
    assert "saisissez un nombre" not in html_of(again)
    assert _people_found(again) == _people_found(first) == ["Paul Bernin", "Inès Marchal"]
    assert _form_as_shown(again, "rayon")[1] == sent


def test_the_qualification_gives_a_need_s_hours_and_duration_back_with_a_comma(
    client,
    animateur,  # noqa: F811
):
    need = by_ref(Need, "n1")
    need.hours_per_week, need.duration_months, need.shared_time = 8.5, 1.5, True
    db.session.commit()
    url = "/animateur/besoins/n1/qualifier"
    action, sent = _form_as_shown(client.get(url), "duration_months")
    assert (sent["hours_per_week"], sent["duration_months"]) == ("8,5", "1,5")
    response = client.post(action or url, data=sent)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    need = by_ref(Need, "n1")
    assert (need.hours_per_week, need.duration_months, need.status) == (8.5, 1.5, "qualifie")


def test_the_owner_s_correction_gives_hours_and_duration_back_with_a_comma(client):
    need, space = _post_and_confirm(client)
    stored = by_ref(Need, need.ref)
    stored.hours_per_week, stored.duration_months = 8.5, 1.5
    db.session.commit()
    edit = _edit_link(client, space, need)
    sent = _filled(client.get(edit))
    assert (sent["hours_per_week"], sent["duration_months"]) == ("8,5", "1,5")
    before = _written()
    response = client.post(edit, data=sent)
    assert response.status_code == 302 and _written() == before  # nothing changed
    db.session.expire_all()
    stored = by_ref(Need, need.ref)
    assert (stored.hours_per_week, stored.duration_months) == (8.5, 1.5)
