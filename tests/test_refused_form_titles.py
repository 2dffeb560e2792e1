"""A refused form says so in the page's title (« Erreur — … »), the first thing a
screen reader reads of the answer: on every form that answers with an error summary,
not only on those that pass a WTForms ``form`` (base.html) or wrote it by hand."""

from __future__ import annotations

import re

import pytest

from connectences.models import Candidate
from tests.helpers import by_ref, html_of
from tests.test_own_commitments import _login_as_ines, _space
from tests.test_shared_week import world as world  # noqa: F401  (the shared week fixture)


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", html_of(response), re.S).group(1).strip()


def _refused_then_fine(client, url: str, data: dict) -> None:
    fine = _title(client.get(url))
    assert not fine.startswith("Erreur"), fine
    refused = client.post(url, data=data)
    assert refused.status_code in (400, 422), refused.status_code
    assert 'class="form-error" role="alert"' in html_of(refused)
    assert _title(refused) == f"Erreur — {fine}", _title(refused)


# (page, what is sent: nothing the form accepts)
STAFF_FORMS = [
    ("/animateur/entreprises/nouvelle", {"name": ""}),
    ("/animateur/cvtheque/nouveau", {"first_name": ""}),
    ("/animateur/besoins/nouveau", {"title": ""}),
    ("/animateur/cvtheque/ines/engagements/nouveau", {"heures": "", "jours": []}),
    ("/animateur/visites/nouvelle", {"action": "creer_entreprise", "name": ""}),
    ("/animateur/visites/nouvelle?entreprise=c1", {"channel": "", "outcome": ""}),
]


@pytest.mark.parametrize(("url", "data"), STAFF_FORMS)
def test_a_refused_staff_form_says_so_in_the_title(client, auth, world, url, data):
    auth.login("animateur")
    _refused_then_fine(client, url, data)


def test_a_refused_need_qualification_says_so_in_the_title(client, auth, world):
    auth.login("animateur")
    _refused_then_fine(client, "/animateur/besoins/fits/qualifier", {"hours": "abc", "rome": "ZZZ"})


@pytest.mark.parametrize("way", ["link", "account"])
def test_the_persons_refused_commitment_says_so_in_the_title(client, auth, world, way):
    if way == "account":
        _login_as_ines(auth)
        space = "/candidat/mon-espace"
    else:
        space = _space()
    assert by_ref(Candidate, "ines")
    _refused_then_fine(client, space + "/engagements/nouveau", {"heures": "", "jours": []})


# (the page, where its form is sent, what is sent): a page of several forms, or a form
# sent to another address that answers with the page.
SENT_ELSEWHERE = [
    ("/animateur/cvtheque/ines", "/animateur/cvtheque/ines/statut", {"statut": "inconnu"}),
    ("/animateur/cvtheque/import", "/animateur/cvtheque/import", {"source": ""}),
]


@pytest.mark.parametrize(("page", "action", "data"), SENT_ELSEWHERE)
def test_a_page_whose_form_was_refused_says_so_in_the_title(
    client, auth, world, page, action, data
):
    auth.login("animateur")
    fine = _title(client.get(page))
    assert not fine.startswith("Erreur"), fine
    refused = client.post(action, data=data)
    assert refused.status_code in (400, 422), refused.status_code
    assert 'class="form-error" role="alert"' in html_of(refused)
    assert _title(refused) == f"Erreur — {fine}", _title(refused)
