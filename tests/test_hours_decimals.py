"""Hours typed with more decimals than a field stores (« 8,555 ») are refused with one
clear message in every form that takes hours, and nothing is written: the operator's
« 8,555 » was confirmed as « 8,55 h », a value they never typed (``numbers.too_precise``)."""

from __future__ import annotations

from datetime import date

import pytest

from connectences.cvtheque.commitments import CommitmentError, read_commitment
from connectences.cvtheque.profile import ProfileError, clean_profile
from connectences.extensions import db
from connectences.models import Candidate, Commitment, Need, Placement
from connectences.needs.form_rules import check_need
from tests import factories as f
from tests.helpers import by_ref, count, html_of, page_text
from tests.test_decimal_form_values import _form_as_shown
from tests.test_exchange_commitments import doc11, held
from tests.test_web_library import BASE, people  # noqa: F401 (fixture)
from tests.test_web_needs import animateur, data  # noqa: F401 (fixtures)
from tests.test_web_operators import _post, world  # noqa: F401 (fixture)

SAID = "« 8,555 » a trop de chiffres après la virgule, 2 au plus (par exemple 8,55 ou 8,56)."


def test_the_placement_form_refuses_hours_with_three_decimals(client, auth, world):  # noqa: F811
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{world['a']}"
    _post(client, url + "/action", {"action": "accepter"})
    action, sent = _form_as_shown(client.get(url), "heures")
    sent["candidat"] = str(by_ref(Candidate, "ok").id)
    sent["debut"] = "01/03/2027"
    sent["heures"] = "8,555"
    response = client.post(action.split("#")[0], data=sent)
    assert response.status_code == 422
    assert SAID in page_text(response)
    assert "8,55 h" not in page_text(response)
    assert count(Placement) == 0
    sent["heures"] = "8,55"  # two decimals: read, then asked to confirm (the need's 8 h)
    assert SAID not in page_text(client.post(action.split("#")[0], data=sent))


def test_the_commitment_form_refuses_hours_with_three_decimals(client, auth):
    f.load(doc11(f.candidate(ref="cv-a", commitments=[held(hours_per_week=7.5)])))
    (commitment,) = by_ref(Candidate, "cv-a").commitments
    auth.login("animateur")
    url = f"/animateur/cvtheque/cv-a/engagements/{commitment.id}"
    action, sent = _form_as_shown(client.get(url), "heures")
    sent["heures"] = "8,555"
    response = client.post(action or url, data=sent)
    assert response.status_code == 422
    assert SAID in page_text(response)
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).hours_per_week == 7.5


def test_a_commitment_read_anywhere_refuses_hours_with_three_decimals():
    """The person's own commitment form reads through the same ``read_commitment``."""
    with pytest.raises(CommitmentError) as refused:
        read_commitment(
            Candidate(commitments=[]),
            label="Ménage",
            hours="8,555",
            days=["mon"],
            start="",
            until="",
        )
    assert refused.value.errors["hours"] == SAID


def test_the_qualification_refuses_hours_with_three_decimals(client, animateur):  # noqa: F811
    need = by_ref(Need, "n1")
    need.hours_per_week, need.shared_time = 8.5, True
    db.session.commit()
    url = "/animateur/besoins/n1/qualifier"
    action, sent = _form_as_shown(client.get(url), "hours_per_week")
    sent["hours_per_week"] = "8,555"
    response = client.post(action or url, data=sent)
    assert response.status_code == 422
    assert SAID in page_text(response)
    db.session.expire_all()
    assert by_ref(Need, "n1").hours_per_week == 8.5


def test_a_need_s_hours_per_month_and_duration_with_three_decimals_are_refused():
    typed = {"hours_per_week": "8,555", "hours_period": "mois", "duration_months": "1,125"}
    checked = check_need(typed, today=date(2027, 1, 4))
    assert checked.errors["hours_per_week"] == SAID
    assert checked.errors["duration_months"].startswith("« 1,125 » a trop de chiffres")


def test_a_person_s_hours_with_three_decimals_are_refused():
    with pytest.raises(ProfileError) as refused:
        clean_profile({"hours_min": "8,555"}, partial=True)
    assert SAID in str(refused.value)
    # Numbers from a document (an import, a spreadsheet) are kept as sent.
    assert clean_profile({"hours_min": 8.555}, partial=True)["hours_min"] == 8.555


def test_the_cv_search_refuses_hours_with_three_decimals(client, auth, people):  # noqa: F811
    auth.login("animateur")
    page = client.get(BASE, query_string={"heures_min": "8,555"})
    assert "Heures" in page_text(page) and SAID in page_text(page)
    assert "saisissez un nombre" not in html_of(page)
