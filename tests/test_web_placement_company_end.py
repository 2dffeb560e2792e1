"""« Fin chez une entreprise » on the lead page, through the client: the operator of the
placement records that the person left one company of a bundle; the page then names
the companies left and the one quitted; bad input comes back in the form with nothing
changed; another operator's member is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectences import workflows
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Candidate, Need, Operator, Placement
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead
from tests import factories as f
from tests.fixtures_auth import csrf_token_from
from tests.helpers import by_ref, html_of, on_day, page_text, sent_on

TODAY = local_today()
START = TODAY - timedelta(days=100)


@pytest.fixture(autouse=True)
def _on_today():
    with on_day(TODAY):
        yield


@pytest.fixture
def world(auth):
    """``ok`` placed by ``ge`` in the bundle n1 (c1, Tuesday) + n2 (c2, Thursday)."""
    f.load(f.dispatch_document(candidates=[]))
    animateur = auth.create("animateur", email="anim@exemple.fr", full_name="Anne Imateur")
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    lead = send_lead(
        db.session,
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        operator=by_ref(Operator, "ge"),
        candidates=[by_ref(Candidate, "ok")],
        actor=animateur,
    )
    sent_on(lead, START)
    flow.accept(db.session, lead)
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=by_ref(Candidate, "ok"),
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        hours_per_week=21,
        contract="cdi",
        start_date=START,
    )
    db.session.commit()
    return {"lead": lead.id, "placement": placement.id}


def _post(client, world, data):
    page = f"/operateur/propositions/{world['lead']}"
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    url = f"{page}/placement/{world['placement']}/fin-entreprise"
    return client.post(url, data={**data, "csrf_token": token} if token else data)


def _state():
    db.session.expire_all()
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    commitments = sorted(
        (c.need_id, c.until) for c in by_ref(Candidate, "ok").commitments if c.placement_id
    )
    return (n1.status, n2.status, commitments)


def test_the_operator_ends_one_company_and_the_page_says_it(client, auth, world):
    auth.login("operator", org_ref="ge")
    html = html_of(client.get(f"/operateur/propositions/{world['lead']}"))
    assert "Fin chez une entreprise" in html
    # Whom it tells: the companies that remain hear it too.
    assert "l'entreprise quittée, celles qui restent et l'animateur sont prévenus" in (
        page_text(client.get(f"/operateur/propositions/{world['lead']}"))
    )
    n1 = by_ref(Need, "n1")
    last = TODAY - timedelta(days=2)
    response = _post(
        client,
        world,
        {"besoin": str(n1.id), "dernier-jour": last.strftime("%d/%m/%Y"), "motif": "Départ"},
    )
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    company = n1.company.name
    assert f"Fin chez {company} enregistrée" in page
    assert f"A quitté {company}" in page and "Motif : Départ" in page
    # The summary names the company kept only, at its hours; one company left: no form.
    summary = flow.placement_companies(db.session.get(Placement, world["placement"]))
    assert company not in summary and "14 h par semaine" in page
    assert "Fin chez une entreprise" not in page
    assert _state()[0] == "en_recherche"


def test_the_same_end_sent_again_says_why_where_the_placement_is_shown(client, auth, world):
    """Sent twice (back button, a second tab): the form is gone from the page, which
    has one company left; the refusal is said in the placement's section, not in a
    form no longer shown (a 422 page with no message on it)."""
    auth.login("operator", org_ref="ge")
    n1 = by_ref(Need, "n1")
    leaving = {"besoin": str(n1.id), "dernier-jour": TODAY.strftime("%d/%m/%Y"), "motif": "x"}
    assert _post(client, world, leaving).status_code == 302
    before = _state()
    again = _post(client, world, leaving)
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"#placement-{world['placement']}")
    page = page_text(client.get(again.headers["Location"]))
    assert f"La personne a déjà quitté {n1.company.name}" in page
    assert "Rien n'a été modifié." in page
    assert _state() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"besoin": "", "dernier-jour": "", "motif": "x"}, "Choisissez une entreprise"),
        ({"besoin": "n1", "dernier-jour": "32/13/2027", "motif": "x"}, "Dernier jour"),
        ({"besoin": "n1", "dernier-jour": "today", "motif": ""}, "Indiquez pourquoi"),
        # Named as the field's label names it.
        (
            {"besoin": "n1", "dernier-jour": "tomorrow", "motif": "x"},
            "Le dernier jour travaillé ne peut pas être dans le futur",
        ),
    ],
)
def test_bad_input_comes_back_in_the_form_and_changes_nothing(client, auth, world, data, message):
    auth.login("operator", org_ref="ge")
    before = _state()
    days = {"today": TODAY, "tomorrow": TODAY + timedelta(days=1)}
    data = dict(data)
    if data["besoin"] == "n1":
        data["besoin"] = str(by_ref(Need, "n1").id)
    if data["dernier-jour"] in days:
        data["dernier-jour"] = days[data["dernier-jour"]].strftime("%d/%m/%Y")
    response = _post(client, world, data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _state() == before


def test_another_operator_and_other_roles_are_refused(client, auth, world):
    f.load(f.document(operators=[f.operator(ref="autre", email="autre@exemple.fr")]))
    before = _state()
    data = {"besoin": str(by_ref(Need, "n1").id), "dernier-jour": "", "motif": "x"}
    auth.login("operator", org_ref="autre")
    assert _post(client, world, data).status_code in (403, 404)
    auth.login("candidate")
    assert _post(client, world, data).status_code in (403, 404)
    assert _state() == before


# --- the animateur, on the person's CV record -----------------------------------------


def _record() -> str:
    return f"/animateur/cvtheque/{by_ref(Candidate, 'ok').ref}"


def _post_record(client, world, data):
    return client.post(f"{_record()}/placements/{world['placement']}/fin-entreprise", data=data)


def _n1_leaving(days_ago: int = 2) -> dict[str, str]:
    last = TODAY - timedelta(days=days_ago)
    n1 = by_ref(Need, "n1")
    return {"besoin": str(n1.id), "dernier-jour": last.strftime("%d/%m/%Y"), "motif": "Départ"}


def test_the_animateur_ends_one_company_on_the_record_and_the_operator_is_told(client, auth, world):
    auth.login("animateur")
    html = html_of(client.get(_record()))
    assert "Placement par" in html and "Fin chez une entreprise" in html
    company = by_ref(Need, "n1").company.name
    response = _post_record(client, world, _n1_leaving())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#placements")
    page = page_text(client.get(response.headers["Location"]))
    assert f"Fin chez {company} enregistrée" in page and "le groupement est prévenu" in page
    assert f"A quitté {company}" in page and "Motif : Départ" in page
    # One company left: nothing more to end there.
    assert "Fin chez une entreprise" not in page
    assert _state()[:2] == ("en_recherche", by_ref(Need, "n2").status)
    placement = db.session.get(Placement, world["placement"])
    assert [item.ended_on for item in placement.needs if item.need.ref == "n1"] == [
        TODAY - timedelta(days=2)
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"besoin": ""}, "besoin", "Choisissez une entreprise"),
        ({"dernier-jour": "32/13/2027"}, "dernier-jour", "Dernier jour travaillé invalide"),
        (
            {"dernier-jour": "tomorrow"},
            "dernier-jour",
            "Le dernier jour travaillé ne peut pas être dans le futur",
        ),
        ({"motif": "  "}, "motif", "Indiquez pourquoi"),
    ],
)
def test_the_animateurs_bad_input_comes_back_in_the_record_and_changes_nothing(
    client, auth, world, change, field, message
):
    auth.login("animateur")
    before = _state()
    data = {**_n1_leaving(), **change}
    if data["dernier-jour"] == "tomorrow":
        data["dernier-jour"] = (TODAY + timedelta(days=1)).strftime("%d/%m/%Y")
    response = _post_record(client, world, data)
    assert response.status_code == 422
    html = html_of(response)
    assert message in page_text(response)
    pid = world["placement"]
    # The form comes back open, its summary linking the field, the field marked.
    assert f'<details class="placement-company-end" id="fin-entreprise-{pid}" open>' in html
    assert f'href="#{field}-{pid}"' in html and f'id="{field}-{pid}-erreurs"' in html
    assert _state() == before


def test_wrong_users_are_refused_on_the_record_and_nothing_changes(client, auth, world):
    f.load(f.document(operators=[f.operator(ref="autre", email="autre@exemple.fr")]))
    before = _state()
    # The placement's own operator records it on its lead page, not in the CV library.
    for role, org in [
        ("operator", "ge"),
        ("operator", "autre"),
        ("partner", None),
        ("company", None),
        ("territoire", None),
        ("candidate", None),
    ]:
        auth.login(role, **({"org_ref": org} if org else {}))
        assert _post_record(client, world, _n1_leaving()).status_code in (403, 404), role
        assert _state() == before, role
    # The admin reads the record but is no party to the placement: no form, refused.
    auth.login("admin")
    assert "Fin chez une entreprise" not in html_of(client.get(_record()))
    assert _post_record(client, world, _n1_leaving()).status_code == 403
    assert _state() == before


def test_a_placement_of_another_person_is_not_found_from_this_record(client, auth, world):
    f.load(f.document(candidates=[f.candidate(ref="autre-personne", email="ap@exemple.fr")]))
    auth.login("animateur")
    before = _state()
    other = by_ref(Candidate, "autre-personne").ref
    url = f"/animateur/cvtheque/{other}/placements/{world['placement']}/fin-entreprise"
    assert client.post(url, data=_n1_leaving()).status_code == 404
    assert _state() == before


def test_the_form_names_the_companies_in_the_order_of_the_placement_summary(client, auth, world):
    # n2 (Thursday) before n1 (Tuesday) in the week as recorded: the form follows the
    # summary's week order (Tuesday's company first), not the order of recording.
    placement = db.session.get(Placement, world["placement"])
    n1, n2 = by_ref(Need, "n1"), by_ref(Need, "n2")
    n1.days, n2.days = ["fri"], ["mon"]
    db.session.commit()
    auth.login("animateur")
    html = html_of(client.get(_record()))
    pid = placement.id
    assert html.index(f'id="besoin-{pid}-{n2.id}"') < html.index(f'id="besoin-{pid}-{n1.id}"')
    summary = flow.placement_companies(db.session.get(Placement, pid))
    assert summary.index(n2.company.name) < summary.index(n1.company.name)
