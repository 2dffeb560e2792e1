"""The shared-time page: bundles of part-time needs and turning one into a lead."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from connectences.clock import local_today
from connectences.extensions import db
from connectences.matching.open_bundles import open_need_bundles, pool_open_needs
from connectences.models import (
    Candidate,
    Company,
    Lead,
    Need,
    Operator,
    OutboxMessage,
    Transition,
    Visit,
)
from connectences.typography import month_fr
from tests import factories as f
from tests.helpers import (
    by_ref,
    count,
    html_of,
    need_by_ref,
    organisation_mails,
    page_text,
    page_text_of,
    qualify,
    recorded_statements,
)

URL = "/animateur/postes-partages"


def _state() -> tuple:
    db.session.expire_all()
    statuses = tuple(db.session.execute(select(Need.ref, Need.status).order_by(Need.ref)).all())
    return statuses, count(Lead), count(OutboxMessage), count(Transition)


@pytest.fixture
def data():
    f.load(
        f.document(
            operators=[
                f.operator(ref="z-geiq", name="GEIQ Bassin", kind="geiq", email="geiq@exemple.fr"),
                f.operator(ref="ge", name="GE Bassin", email="ge@exemple.fr"),
            ],
            companies=[
                f.company(ref="c1", name="Boulangerie du Port"),
                f.company(ref="c2", name="Garage des Pins", commune=f.GUJAN),
                f.company(ref="c3", name="Camping des Dunes", commune=f.LA_TESTE),
            ],
            candidates=[
                f.candidate(
                    ref="ok",
                    first_name="Camille",
                    last_name="Partagée",
                    days=["tue", "thu"],
                    hours_min=14,
                    hours_max=28,
                ),
                f.candidate(ref="court", first_name="Sacha", last_name="Court", hours_max=10),
            ],
            needs=[
                f.need(ref="n1", company="c1", title="Comptabilité boulangerie", days=["tue"]),
                f.need(
                    ref="n2",
                    company="c2",
                    title="Comptabilité garage",
                    days=["thu"],
                    hours_per_week=14,
                ),
                f.need(
                    ref="n3",
                    company="c3",
                    title="Entretien des espaces verts",
                    rome="A1203",
                    skills=["tonte", "taille de haies"],
                    days=["mon"],
                ),
            ],
        )
    )


@pytest.fixture
def animateur(auth, data):
    return auth.login("animateur")


def test_page_lists_the_bundle_with_needs_hours_days_and_candidates(client, animateur):
    html = client.get(URL).get_data(as_text=True)
    # The rule as the spec states it: sites 25 km apart are bundled (boundary allowed).
    assert "sites à 25\u00a0km au plus les uns des autres" in html
    assert "1 poste possible" in html
    assert "21\u00a0h par semaine" in html
    assert "Comptabilité boulangerie" in html and "Boulangerie du Port" in html
    assert "Comptabilité garage" in html and "Garage des Pins" in html
    assert "Entretien des espaces verts" not in html  # another trade: not pooled
    assert "mardi, jeudi" in html
    assert "Camille Partagée" in html  # fits the whole 21 h job
    assert "Sacha Court" not in html  # at most 10 h a week
    # Neither need is qualified: no operator to choose yet, each need to qualify linked.
    assert 'name="operateur"' not in html
    assert "Ce poste ne pourra être proposé qu'une fois ces besoins qualifiés" in html
    assert 'href="/animateur/besoins/n1/qualifier"' in html
    assert 'href="/animateur/besoins/n2/qualifier"' in html
    assert (
        "1 personne de la CVthèque convient à l'ensemble du poste : Camille Partagée."
        in page_text_of(html)
    )
    qualify("n1", "n2")
    html = client.get(URL).get_data(as_text=True)
    assert "qualifié" not in html.split("Transformer en proposition", 1)[1].split("<form", 1)[0]
    # Groupements d'employeurs are offered first.
    assert html.index("GE Bassin —") < html.index("GEIQ Bassin —")
    assert "Camille Partagée" in html.split('name="operateur"', 1)[0].rsplit("<form", 1)[1]


def test_a_bundle_with_one_need_to_qualify_sends_there_not_to_a_form_refused_on_sending(
    client, animateur
):
    """The bundle's proposal form was offered while one of its needs was still new: the
    animateur chose an operator, wrote a message, sent, and was told the need had to be
    qualified first. The box now names that need, linked to its qualification."""
    qualify("n1")
    html = html_of(client.get(URL))
    box = html.split('<details class="propose-box">', 1)[1].split("</details>", 1)[0]
    assert "<form" not in box and 'name="operateur"' not in box
    assert "Ce poste ne pourra être proposé qu'une fois ce besoin qualifié" in box
    assert 'href="/animateur/besoins/n2/qualifier">Qualifier « Comptabilité garage »</a>' in box
    assert "/animateur/besoins/n1/qualifier" not in box


def test_pooling_reads_the_people_from_the_matcher_index_not_one_object_each(data):
    # At 65,000 matchable people, loading each as an ORM object took the page 22 s.
    loaded = []

    def on_load(target, context):
        loaded.append(target)

    event.listen(Candidate, "load", on_load)
    try:
        found = open_need_bundles()
    finally:
        event.remove(Candidate, "load", on_load)
    assert [(b.needs, b.candidates) for b in found.bundles] == [(("n1", "n2"), ("ok",))]
    assert loaded == []


@pytest.mark.parametrize("waiting", ["owner_confirmation", "attachment"])
def test_a_need_the_platform_may_not_work_yet_is_in_no_bundle(client, animateur, waiting):
    """A company's need waiting for its owner's confirmation (or posted under a SIRET by
    someone the company has not vouched for) is not the animateurs' yet: no bundle offers
    it, to the staff or to operators (it was listed, then refused at "Qualifier")."""
    need = by_ref(Need, "n2")
    if waiting == "owner_confirmation":
        need.source, need.owner_confirmed_at = "entreprise", None
    else:
        need.owner_unattached = True
    db.session.commit()
    html = client.get(URL).get_data(as_text=True)
    assert "Comptabilité garage" not in html and "Comptabilité boulangerie" not in html
    assert open_need_bundles().bundles == []


def test_bundle_becomes_one_shared_time_lead(client, animateur):
    qualify("n1", "n2")
    response = client.post(
        f"{URL}/proposer",
        data={"besoins": ["n2", "n1"], "operateur": "ge", "candidats": ["ok"], "note": "Top"},
    )
    assert response.status_code == 302 and response.location.endswith(f"{URL}#contenu")
    lead = db.session.scalars(select(Lead)).one()
    assert lead.is_bundle and lead.operator.ref == "ge"
    assert sorted(item.need.ref for item in lead.needs) == ["n1", "n2"]
    assert [c.candidate.ref for c in lead.candidates] == ["ok"]
    assert lead.note == "Top"
    assert {need_by_ref("n1").status, need_by_ref("n2").status} == {"propose"}
    mail = db.session.scalars(organisation_mails()).one()
    assert mail.to == "ge@exemple.fr" and "temps partagé" in mail.subject
    html = html_of(client.get(URL))
    assert "Poste en temps partagé (21 h par semaine, 2 entreprises) proposé à GE Bassin" in html
    # Proposed needs are no longer open: the bundle is gone.
    assert "Aucun poste en temps partagé" in html
    need_page = client.get("/animateur/besoins/n1").get_data(as_text=True)
    assert "Poste en temps partagé (2 besoins) à GE Bassin" in need_page


def test_a_bundle_proposed_to_an_operator_nobody_can_answer_goes_with_a_warning(
    client, auth, animateur
):
    """Its members: none for the GEIQ, one invited and never opened for the GE. The
    choice list says it; the lead goes, and the animateur is told nobody will answer."""
    auth.create("operator", org_ref="ge", password=None)
    qualify("n1", "n2")
    page = html_of(client.get(URL))
    assert "GE Bassin — Groupement d&#39;employeurs — aucun compte actif</option>" in page
    assert "GEIQ Bassin — GEIQ — aucun compte actif</option>" in page
    response = client.post(
        f"{URL}/proposer",
        data={"besoins": ["n2", "n1"], "operateur": "ge"},
        follow_redirects=True,
    )
    said = page_text(response)
    assert "proposé à GE Bassin. Un e-mail lui a été envoyé." in said
    assert "Personne ne lira cet envoi sur la plateforme" in said
    assert "(1 invitation envoyée, jamais ouverte)" in said
    assert db.session.scalars(select(Lead)).one().operator.ref == "ge"


def test_each_bundle_says_why_a_neighbouring_need_is_not_in_it(client, animateur):
    """Why these needs together, and why not that one: a need of the same trade left out
    says the rule it breaks; one of another trade is no neighbour."""
    f.load(
        f.document(
            companies=[f.company(ref="c4", name="Pharmacie du Port")],
            needs=[f.need(ref="n4", company="c4", title="Comptabilité pharmacie", days=["tue"])],
        )
    )
    html = html_of(client.get(URL))
    first = html.split('id="poste-1"', 1)[1].split("</section>", 1)[0]
    assert "Besoins voisins laissés de côté (1)" in first
    assert (
        "Comptabilité pharmacie</a> (Pharmacie du Port) : le mardi est déjà pris par "
        "« Comptabilité boulangerie » (Boulangerie du Port)." in first
    ) or (
        "Comptabilité boulangerie</a> (Boulangerie du Port) : le mardi est déjà pris par "
        "« Comptabilité pharmacie » (Pharmacie du Port)." in first
    )
    assert "Entretien des espaces verts" not in first


def test_the_operator_reads_the_week_of_the_job_day_by_day(client, auth, data):
    """A bundle is one job: the lead shows the week as the person would work it, day by
    day (company, place, hours), the days left free and the distance between the sites;
    the mail says each company's days and place."""
    f.load(
        f.document(
            companies=[f.company(ref="c4", name="Hôtel des Pins", commune=f.LA_TESTE)],
            needs=[
                f.need(
                    ref="n4",
                    company="c4",
                    title="Comptabilité hôtel",
                    days=["mon", "wed"],
                    hours_per_week=13,
                )
            ],
        )
    )
    qualify("n1", "n2", "n4")
    auth.login("animateur")
    response = client.post(
        f"{URL}/proposer", data={"besoins": ["n1", "n2", "n4"], "operateur": "ge"}
    )
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    mail = db.session.scalars(organisation_mails()).one()
    body = mail.body_text.replace("\u202f", " ").replace("\xa0", " ")
    assert "La semaine : 34 h par semaine sur 4 jours ; libre vendredi" in body
    assert "- lundi : Hôtel des Pins, La Teste-de-Buch (33260), 6,5 h (13 h sur lundi et" in body
    assert "Arcachon (33120) – Gujan-Mestras (33470) : 8,7 km" in body
    auth.logout()
    auth.login("operator", org_ref="ge")
    html = html_of(client.get(f"/operateur/propositions/{lead.id}"))
    week = html.split('id="semaine-poste"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", week, re.S)
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows[1:]]
    assert text == [
        "lundi Hôtel des Pins Comptabilité hôtel La Teste-de-Buch (33260) 6,5 h (13 h sur lundi et mercredi)",
        "mardi Boulangerie du Port Comptabilité boulangerie Arcachon (33120) 7 h",
        "mercredi Hôtel des Pins Comptabilité hôtel La Teste-de-Buch (33260) 6,5 h (13 h sur lundi et mercredi)",
        "jeudi Garage des Pins Comptabilité garage Gujan-Mestras (33470) 14 h",
    ]
    assert "34 h par semaine sur 4 jours ; libre vendredi, samedi et dimanche." in week
    assert "Arcachon (33120) – Gujan-Mestras (33470) : 8,7 km" in week
    assert "La Teste-de-Buch (33260)" in week.split("Trajets", 1)[1]


def _typed_back(response, message: str, heading: str = "Rien n'a été enregistré") -> None:
    """The page of a refused proposal: 422, the bundle's form open with the refusal at the
    top of its summary, and the operator, the ticked person and the note as typed."""
    assert response.status_code == 422
    html = html_of(response)
    summary = html.split('id="erreurs-poste-1"', 1)[1].split("</div>", 1)[0]
    assert heading in summary and message in summary
    assert '<details class="propose-box" open>' in html
    assert '<option value="ge" selected>' in html
    assert 'name="candidats" value="ok" checked' in html
    assert ">Rappeler la boulangerie mardi</textarea>" in html


TYPED = {"operateur": "ge", "candidats": ["ok"], "note": "Rappeler la boulangerie mardi"}


def test_unqualified_bundle_is_refused_with_the_reason(client, animateur):
    qualify("n1")
    before = _state()
    response = client.post(f"{URL}/proposer", data={"besoins": ["n1", "n2"], **TYPED})
    assert _state() == before
    _typed_back(response, "Le besoin « Comptabilité garage » doit être qualifié")


def test_a_company_that_asked_not_to_be_solicited_is_in_no_bundle_and_the_page_says_why(
    client, animateur
):
    """No lead may ever reach it (the contact guard refuses it whatever is typed): a bundle
    holding its need could never be sent, and, being maximal, hid the smaller bundle of
    the other companies that could (n1 + n2 + n4 hid n2 + n4)."""
    f.load(
        f.document(
            companies=[f.company(ref="c4", name="Hôtel des Pins", commune=f.LA_TESTE)],
            needs=[f.need(ref="n4", company="c4", title="Comptabilité hôtel", days=["wed"])],
        )
    )
    qualify("n1", "n2", "n4")
    assert [b.needs for b in open_need_bundles().bundles] == [("n1", "n2", "n4")]
    by_ref(Company, "c1").do_not_solicit = True
    db.session.commit()
    assert [b.needs for b in open_need_bundles().bundles] == [("n2", "n4")]
    html = html_of(client.get(URL))
    assert "1 poste possible" in html
    set_aside = html.split('id="mis-de-cote"', 1)[1].split("</section>", 1)[0]
    assert "Comptabilité boulangerie" in set_aside and "Boulangerie du Port" in set_aside
    assert "a demandé à ne plus être sollicitée" in set_aside
    # The bundle it was in is gone: proposing it changes nothing.
    before = _state()
    response = client.post(f"{URL}/proposer", data={"besoins": ["n2", "n1", "n4"], **TYPED})
    assert response.status_code == 302 and _state() == before
    assert "n&#39;existe plus" in client.get(URL).get_data(as_text=True)
    # The other two are sent as one job.
    response = client.post(f"{URL}/proposer", data={"besoins": ["n2", "n4"], "operateur": "ge"})
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert sorted(item.need.ref for item in lead.needs) == ["n2", "n4"]


def test_a_bundle_whose_company_is_at_its_cap_is_sent_anyway_with_the_reason(client, animateur):
    qualify("n1", "n2")
    company = by_ref(Company, "c1")
    company.max_contacts_per_month = 1
    db.session.add(Visit(company=company, visited_on=local_today(), channel="telephone"))
    db.session.commit()
    before = _state()
    response = client.post(f"{URL}/proposer", data={"besoins": ["n2", "n1"], **TYPED})
    assert _state() == before
    _typed_back(response, "accepte au plus 1 contact par mois", "Rien n'a été envoyé")
    assert 'id="poste-1-malgre-plafond" name="malgre_plafond" value="1">' in html_of(response)
    anyway = {"malgre_plafond": "1", "raison_plafond": "La boulangère a rappelé le groupement"}
    response = client.post(f"{URL}/proposer", data={"besoins": ["n2", "n1"], **TYPED, **anyway})
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    first = db.session.scalars(
        select(Transition).where(Transition.entity == "lead", Transition.entity_id == lead.id)
    ).first()
    assert first.reason_text == (
        "Envoyé au-delà du plafond de contacts accepté par Boulangerie du Port "
        f"(1 par mois, déjà 1 en {month_fr(local_today().year, local_today().month)}) : "
        "La boulangère a rappelé le groupement"
    )


@pytest.mark.parametrize(
    "form,message",
    [
        ({"besoins": ["n1", "n3"], "operateur": "ge"}, "n&#39;existe plus"),
        ({"besoins": ["n1"], "operateur": "ge"}, "n&#39;existe plus"),
        ({"besoins": ["n1", "n2", "zzz"], "operateur": "ge"}, "n&#39;existe plus"),
    ],
)
def test_a_bundle_that_is_gone_changes_nothing(client, animateur, form, message):
    qualify("n1", "n2", "n3")
    before = _state()
    response = client.post(f"{URL}/proposer", data=form)
    assert response.status_code == 302
    assert _state() == before
    assert message in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize(
    "form,field,message",
    [
        # The post, not « le besoin »: a bundle holds several.
        (
            {"operateur": ""},
            "poste-1-operateur",
            "Choisissez l&#39;opérateur à qui proposer le poste.",
        ),
        ({"operateur": "999"}, "poste-1-operateur", "Cet opérateur n&#39;existe pas"),
        ({"operateur": "ge", "candidats": ["x"]}, "poste-1-candidats", "Candidat inconnu"),
        (
            {"operateur": "ge", "candidats": ["court"]},
            "poste-1-candidats",
            "Sacha Court souhaite au plus 10 h",
        ),
    ],
)
def test_refused_proposal_comes_back_with_the_error_next_to_its_field(
    client, animateur, form, field, message
):
    qualify("n1", "n2", "n3")
    before = _state()
    response = client.post(
        f"{URL}/proposer", data={"besoins": ["n2", "n1"], "note": "À rappeler", **form}
    )
    assert response.status_code == 422
    assert _state() == before
    html = html_of(response)
    # A summary linking to the field, the message under it, the form open.
    assert 'id="erreurs-poste-1"' in html and f'href="#{field}"' in html
    assert f'id="{field}-erreurs"' in html and message in html
    assert '<details class="propose-box" open>' in html
    # What was typed and chosen is kept.
    assert ">À rappeler</textarea>" in html
    if form.get("operateur") == "ge":
        assert '<option value="ge" selected>' in html


def test_refused_proposal_keeps_the_ticked_candidates(client, animateur):
    qualify("n1", "n2")
    response = client.post(
        f"{URL}/proposer", data={"besoins": ["n1", "n2"], "operateur": "", "candidats": ["ok"]}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'name="candidats" value="ok" checked' in html
    assert 'id="poste-1-operateur" name="operateur" required aria-invalid="true"' in html


def test_inactive_operator_is_refused(client, animateur):
    qualify("n1", "n2")
    db.session.scalars(select(Operator).where(Operator.ref == "ge")).one().active = False
    db.session.commit()
    before = _state()
    client.post(f"{URL}/proposer", data={"besoins": ["n1", "n2"], "operateur": "ge"})
    assert _state() == before


@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
@pytest.mark.parametrize("method,url", [("get", URL), ("post", f"{URL}/proposer")])
def test_other_roles_are_refused(client, auth, data, role, method, url):
    auth.login(role)
    qualify("n1", "n2")
    before = _state()
    response = getattr(client, method)(url, data={"besoins": ["n1", "n2"], "operateur": "ge"})
    assert response.status_code == 403
    assert _state() == before


@pytest.mark.parametrize("method,url", [("get", URL), ("post", f"{URL}/proposer")])
def test_anonymous_is_sent_to_login(client, data, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and "/connexion" in response.location


def test_admin_may_use_the_page(client, auth, data):
    auth.login("admin")
    assert client.get(URL).status_code == 200


# --------------------------------------------------------------------------- dense data

NOTICE = "premières combinaisons sont affichées ; affinez par métier ou par commune."


def _dense(per_day: int = 8) -> None:
    """40 needs (8 a day) of one trade in one commune, each of its own company, 7 h:
    8**5 = 32,768 full-week bundles, more than the pooling search lists."""
    days = ["mon", "tue", "wed", "thu", "fri"]
    companies, needs = [], []
    for d, day in enumerate(days):
        for k in range(per_day):
            companies.append(f.company(ref=f"dense-c{d}{k}", name=f"Cabinet {d}{k}"))
            needs.append(
                f.need(ref=f"dense-{d}{k}", company=f"dense-c{d}{k}", days=[day], hours_per_week=7)
            )
    f.load(
        f.document(
            companies=companies,
            needs=needs,
            candidates=[f.candidate(ref="libre", first_name="Lou", last_name="Libre")],
        )
    )


def test_a_cut_list_says_so_with_the_number_shown(client, auth):
    _dense()
    auth.login("animateur")
    response = client.get(URL)
    page = page_text(response)
    shown = int(re.search(r"(\d+) postes possibles", page).group(1))
    assert 0 < shown < 8**5
    assert f"Seules les {shown} {NOTICE}" in page
    # The way to narrow it is open beside the notice.
    assert '<details class="filters-box" open>' in response.get_data(as_text=True)


def test_ordinary_data_is_not_said_to_be_cut(client, animateur):
    page = page_text(client.get(URL))
    assert "1 poste possible" in page and NOTICE not in page
    assert '<details class="filters-box">' in client.get(URL).get_data(as_text=True)


def test_filters_narrow_the_needs_pooled(client, auth):
    _dense()
    auth.login("animateur")
    # Another trade, another commune: none of the dense needs.
    for args in ("metier=A12", f"commune={f.GUJAN}"):
        page = page_text(client.get(f"{URL}?{args}"))
        assert "Aucun poste en temps partagé" in page and NOTICE not in page
    # A value not understood is dropped: the whole list, cut.
    assert NOTICE in page_text(client.get(f"{URL}?metier=comptable&commune=Paris"))
    # The same trade and commune: still the same dense list.
    assert NOTICE in page_text(client.get(f"{URL}?metier=M12&commune={f.ARCACHON}"))


def test_a_bundle_chosen_from_a_filtered_list_is_proposed_from_that_list(client, animateur):
    # A third need sharing a skill but not the trade makes the whole list's bundle bigger;
    # the bundle of accounting needs alone exists only among the M12 needs.
    f.load(
        f.document(
            companies=[f.company(ref="c4", name="Agence du Bassin")],
            needs=[
                f.need(
                    ref="n4",
                    company="c4",
                    title="Accueil et comptabilité",
                    rome="D1401",
                    skills=["comptabilité générale"],
                    days=["wed"],
                )  # fmt: skip
            ],
        )
    )
    qualify("n1", "n2")
    assert [b.needs for b in open_need_bundles().bundles] == [("n1", "n2", "n4")]
    html = client.get(f"{URL}?metier=M12").get_data(as_text=True)
    assert 'action="/animateur/postes-partages/proposer?metier=M12#erreurs-poste-1"' in html
    form = {"besoins": ["n1", "n2"], "operateur": "ge", "note": ""}
    response = client.post(f"{URL}/proposer?metier=M12", data=form)
    assert response.status_code == 302, page_text(response)
    # On the list's content, not on the form's « #erreurs-poste-1 » carried over.
    assert response.headers["Location"].endswith(f"{URL}?metier=M12#contenu")
    assert count(Lead) == 1


def test_the_week_page_says_other_bundles_may_fit(client, auth):
    _dense()
    auth.login("animateur")
    page = page_text(client.get("/animateur/cvtheque/libre/semaine"))
    assert "trop de combinaisons possibles parmi les besoins ouverts" in page
    assert "permet d'affiner par métier ou par commune" in page


def test_the_api_and_the_cli_say_the_list_was_cut(client, auth, runner):
    from tests.test_api_v1 import bearer, token_for

    _dense()
    secret = token_for(auth.create("animateur"))
    body = client.get("/api/v1/pools", headers=bearer(secret)).get_json()
    assert body["truncated"] is True and body["bundles"]
    human = runner.invoke(args=["pool"])
    assert human.exit_code == 0
    assert NOTICE in human.output
    assert json.loads(runner.invoke(args=["pool", "--json"]).output)["truncated"] is True
    narrowed = runner.invoke(args=["pool", "--json", "--commune", f.GUJAN])
    assert json.loads(narrowed.output) == {"bundles": [], "truncated": False}
    wrong = runner.invoke(args=["pool", "--metier", "comptable"])
    assert wrong.exit_code != 0 and "--metier" in wrong.output


def test_a_long_list_is_shown_a_page_at_a_time(client, auth):
    # 3**5 = 243 bundles: a region's data gave 30,000 on one page of 241 MB.
    from connectences.web.bundles import PER_PAGE

    _dense(per_day=3)
    auth.login("animateur")
    html = client.get(f"{URL}?commune={f.ARCACHON}").get_data(as_text=True)
    numbers = [int(n) for n in re.findall(r"Poste n°\s(\d+)\s:", html)]
    assert numbers == list(range(1, PER_PAGE + 1))
    assert "243 postes possibles" in page_text_of(html) and "page 1 sur 13" in page_text_of(html)
    assert f'href="{URL}?page=2&amp;commune={f.ARCACHON}" rel="next"' in html
    second = client.get(f"{URL}?commune={f.ARCACHON}&page=2").get_data(as_text=True)
    assert re.findall(r"Poste n°\s(\d+)\s:", second)[0] == str(PER_PAGE + 1)
    # A number past the end gives the last page.
    last = client.get(f"{URL}?commune={f.ARCACHON}&page=99").get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Poste n°\s(\d+)\s:", last)] == list(range(241, 244))


def test_a_bundle_offers_its_first_people_and_counts_the_others(client, animateur, monkeypatch):
    # Hundreds of people may fit one bundle: 1,202 check boxes on a page of 20 bundles.
    monkeypatch.setattr("connectences.web.bundles.FITTING_SHOWN", 1)
    f.load(
        f.document(
            candidates=[
                f.candidate(
                    ref="ok2",
                    first_name="Dominique",
                    last_name="Partagée",
                    days=["tue", "thu"],
                    hours_min=14,
                    hours_max=28,
                )
            ]
        )
    )
    assert open_need_bundles().bundles[0].candidates == ("ok", "ok2")
    # Needs still to qualify: the people named, the others counted, nothing to tick yet.
    page = page_text(client.get(URL))
    assert "2 personnes de la CVthèque conviennent à l'ensemble du poste : " in page
    assert "Camille Partagée et 1 autre." in page and "Dominique Partagée" not in page
    qualify("n1", "n2")
    html = client.get(URL).get_data(as_text=True)
    assert html.count('name="candidats"') == 1 and "Camille Partagée" in html
    assert "Dominique Partagée" not in html
    page = page_text_of(html)
    assert "Candidats qui conviennent à l'ensemble du poste (2)" in page
    assert "Les 1 premiers" in page


def _elsewhere(app):
    """A session of its own engine: what another worker, the scheduler or the API writes."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    return engine, Session(engine)


def _week_bundles(client) -> int:
    """How many bundles Camille's week page says would complete her week."""
    page = page_text(client.get("/animateur/cvtheque/ok/semaine"))
    return int(re.search(r"compléteraient sa semaine \((\d+)\)", page).group(1))


def _pooled(monkeypatch) -> list[int]:
    """Counts the poolings of the territory (each one is seconds on a region's data)."""
    from connectences.matching import open_bundles

    calls = []
    real = open_bundles.pool

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(open_bundles, "pool", counted)
    return calls


def test_the_bundles_are_pooled_once_until_the_data_changes(client, animateur, monkeypatch):
    calls = _pooled(monkeypatch)
    assert "Comptabilité garage" in client.get(URL).get_data(as_text=True)
    assert _week_bundles(client) == 1
    client.get("/api/v1/pools")
    assert "Comptabilité garage" in client.get(URL).get_data(as_text=True)
    assert len(calls) == 1
    # A filtered list is kept apart from the whole one.
    client.get(URL, query_string={"commune": f.GUJAN})
    client.get(URL, query_string={"commune": f.GUJAN})
    client.get(URL)
    assert len(calls) == 2


def test_a_need_changed_by_another_process_shows_at_the_next_view(client, app, animateur):
    html = client.get(URL).get_data(as_text=True)
    assert "1 poste possible" in html and "Comptabilité garage" in html
    engine, other = _elsewhere(app)
    try:
        # The garage's need now works on Tuesday too: a day in common with the bakery's.
        other.scalar(select(Need).where(Need.ref == "n2")).days = ["tue", "thu"]
        other.commit()
    finally:
        other.close()
        engine.dispose()
    html = client.get(URL).get_data(as_text=True)
    assert "Comptabilité garage" not in html
    assert _week_bundles(client) == 0


def test_a_company_no_longer_solicited_elsewhere_leaves_the_bundles(client, app, animateur):
    assert "Comptabilité garage" in client.get(URL).get_data(as_text=True)
    engine, other = _elsewhere(app)
    try:
        other.scalar(select(Company).where(Company.ref == "c2")).do_not_solicit = True
        other.commit()
    finally:
        other.close()
        engine.dispose()
    assert "1 poste possible" not in client.get(URL).get_data(as_text=True)


def test_a_person_changed_by_another_process_shows_at_the_next_view(client, app, animateur):
    assert "Camille Partagée" in client.get(URL).get_data(as_text=True)
    assert _week_bundles(client) == 1
    engine, other = _elsewhere(app)
    try:
        other.scalar(select(Candidate).where(Candidate.ref == "ok")).hours_max = 12
        other.commit()
    finally:
        other.close()
        engine.dispose()
    assert "Camille Partagée" not in client.get(URL).get_data(as_text=True)
    assert _week_bundles(client) == 0


def test_a_person_erased_by_another_process_leaves_the_bundles(client, app, animateur):
    # Pooling reads every person of the matcher's index: a person erased (at their request,
    # by the retention job) must leave it, not only the need pages' matches.
    from connectences.cvtheque.erase import ON_REQUEST, erase_candidate

    assert "Camille Partagée" in client.get(URL).get_data(as_text=True)
    engine, other = _elsewhere(app)
    try:
        person = other.scalar(select(Candidate).where(Candidate.ref == "ok"))
        erase_candidate(other, person, reason=ON_REQUEST)
        other.commit()
    finally:
        other.close()
        engine.dispose()
    assert "Camille Partagée" not in client.get(URL).get_data(as_text=True)
    assert "ok" not in {ref for bundle in open_need_bundles().bundles for ref in bundle.candidates}


def test_the_week_page_reads_as_models_only_the_needs_it_shows(client, animateur):
    week_url = "/animateur/cvtheque/ok/semaine"
    client.get(week_url)  # the open needs kept
    loaded = []

    def on_load(target, context):
        loaded.append(target.ref)

    event.listen(Need, "load", on_load)
    try:
        page = page_text(client.get(week_url))
    finally:
        event.remove(Need, "load", on_load)
    assert "Comptabilité garage" in page
    assert "Entretien des espaces verts" not in page  # on Monday: not a free day of hers
    assert "n3" not in loaded and {"n1", "n2"} <= set(loaded)


def test_a_need_opened_elsewhere_shows_on_the_week_page_at_the_next_view(client, app, animateur):
    week_url = "/animateur/cvtheque/ok/semaine"
    assert "Entretien des espaces verts" not in page_text(client.get(week_url))
    engine, other = _elsewhere(app)
    try:
        other.scalar(select(Need).where(Need.ref == "n3")).days = ["thu"]
        other.commit()
    finally:
        other.close()
        engine.dispose()
    assert "Entretien des espaces verts" in page_text(client.get(week_url))


def test_the_api_gives_the_bundles_a_page_at_a_time(client, auth):
    from tests.test_api_v1 import bearer, token_for

    _dense(per_day=3)  # 3**5 = 243 full-week bundles, all listed
    headers = bearer(token_for(auth.create("animateur")))
    whole = pool_open_needs(details=True)
    assert len(whole["bundles"]) == 243 and whole["truncated"] is False
    first = client.get("/api/v1/pools", headers=headers).get_json()
    assert first["bundles"] == whole["bundles"][:50]  # 50 by default, as the other lists
    read, cursor, pages = [], None, 0
    while True:
        query = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/pools", headers=headers, query_string=query).get_json()
        read += body["bundles"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and read == whole["bundles"]


@pytest.mark.parametrize(
    "query,message",
    [
        ({"cursor": "pas-un-curseur"}, "Curseur invalide"),
        ({"cursor": "WzEsIFtdXQ"}, "Curseur invalide"),  # [1, []]: no bundle's key
        ({"limit": 0}, "Choisissez une taille de page entre 1 et 200."),
        ({"limit": 201}, "Choisissez une taille de page entre 1 et 200."),
        ({"limit": "dix"}, "Écrivez un nombre entier."),
    ],
)
def test_a_wrong_page_of_bundles_is_refused_in_french(client, auth, data, query, message):
    from tests.test_api_v1 import bearer, token_for

    headers = bearer(token_for(auth.create("animateur")))
    response = client.get("/api/v1/pools", headers=headers, query_string=query)
    assert response.status_code == 422
    assert message in json.dumps(response.get_json(), ensure_ascii=False)


def test_a_need_read_as_columns_is_the_need_read_as_an_object(data):
    from connectences.matching.data import need_from_model, need_from_row
    from connectences.matching.open_bundles import NEED_COLUMNS

    n1 = db.session.scalar(select(Need).where(Need.ref == "n1"))
    n1.commune, n1.skills, n1.days = f.LA_TESTE, None, None  # its own place; nothing typed
    db.session.commit()
    statement = select(Need).join(Need.company).order_by(Need.ref)
    objects = [need_from_model(n) for n in db.session.scalars(statement)]
    rows = db.session.execute(statement.with_only_columns(*NEED_COLUMNS))
    assert [need_from_row(row) for row in rows] == objects
    assert objects[0].commune == f.LA_TESTE and objects[1].commune == f.GUJAN


def test_a_neighbour_renamed_elsewhere_is_said_under_its_new_name(client, app, animateur):
    """The needs a bundle leaves out are kept with the bundles: a company renamed by
    another process is named anew at the next view."""
    f.load(
        f.document(
            companies=[f.company(ref="c4", name="Pharmacie du Port")],
            needs=[f.need(ref="n4", company="c4", title="Comptabilité pharmacie", days=["tue"])],
        )
    )
    assert "(Pharmacie du Port) : le mardi est déjà pris" in html_of(client.get(URL))
    engine, other = _elsewhere(app)
    try:
        other.scalar(select(Company).where(Company.ref == "c4")).name = "Pharmacie des Dunes"
        other.commit()
    finally:
        other.close()
        engine.dispose()
    html = html_of(client.get(URL))
    assert "(Pharmacie des Dunes) : le mardi est déjà pris" in html
    assert "Pharmacie du Port" not in html


def test_a_need_s_notes_changed_elsewhere_do_not_pool_again(client, app, animateur, monkeypatch):
    calls = _pooled(monkeypatch)
    client.get(URL)
    engine, other = _elsewhere(app)
    try:
        other.scalar(select(Need).where(Need.ref == "n2")).notes = "Rappeler lundi"
        other.commit()
        client.get(URL)
        assert len(calls) == 1  # nothing the bundles show changed
        other.scalar(select(Need).where(Need.ref == "n2")).title = "Comptabilité du garage"
        other.commit()
    finally:
        other.close()
        engine.dispose()
    assert "Comptabilité du garage" in client.get(URL).get_data(as_text=True)
    assert len(calls) == 2


def test_a_need_moved_to_another_company_pools_again(client, animateur):
    assert "Comptabilité garage" in client.get(URL).get_data(as_text=True)
    need = db.session.scalar(select(Need).where(Need.ref == "n2"))
    need.company = db.session.scalar(select(Company).where(Company.ref == "c1"))
    db.session.commit()
    # Both needs now of the bakery: no bundle of different companies is left.
    assert "1 poste possible" not in client.get(URL).get_data(as_text=True)


def test_a_person_nobody_may_propose_changed_elsewhere_does_not_pool_again(
    client, app, animateur, monkeypatch
):
    f.load(f.document(candidates=[f.candidate(ref="placee", status="place")]))
    calls = _pooled(monkeypatch)
    client.get(URL)
    engine, other = _elsewhere(app)
    try:
        other.scalar(select(Candidate).where(Candidate.ref == "placee")).mobility_km = 40
        other.commit()
        client.get(URL)
        assert len(calls) == 1  # placed: in no bundle before or after
        other.scalar(select(Candidate).where(Candidate.ref == "court")).mobility_km = 40
        other.commit()
    finally:
        other.close()
        engine.dispose()
    client.get(URL)
    assert len(calls) == 2


def test_a_warm_pools_page_reads_no_need_nor_person(client, auth):
    """Kept bundles: a warm /api/v1/pools reads the pooled_needs generation and the
    candidate index's stamp, plus its token, whatever the number of bundles."""
    from tests.test_api_v1 import bearer, token_for

    _dense(per_day=3)
    headers = bearer(token_for(auth.create("animateur")))
    client.get("/api/v1/pools", headers=headers)
    with recorded_statements() as statements:
        body = client.get("/api/v1/pools", headers=headers).get_json()
    assert len(body["bundles"]) == 50
    assert not [s for s in statements if "FROM need" in s or "candidate.ref" in s]
    assert any("FROM change_generation" in s for s in statements)
    assert len(statements) <= 5  # the token, its rate, the generation, the people's stamp


def test_a_walk_of_the_bundles_they_changed_under_starts_again_and_misses_none(client, auth):
    """Bundles are ranked, not dated: a bundle ranked before the cursor after a change
    would be skipped by the walk under way. The next page says the list changed (409);
    the walk made again from the first page is the whole list of now."""
    from tests.test_api_v1 import bearer, token_for

    _dense(per_day=3)
    headers = bearer(token_for(auth.create("animateur")))

    def walk(change=None) -> list[dict]:
        read, cursor = [], None
        while True:
            query = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            response = client.get("/api/v1/pools", headers=headers, query_string=query)
            if response.status_code == 409:
                assert response.mimetype == "application/problem+json"
                assert "reprenez" in response.get_json()["detail"]
                read, cursor = [], None  # as the documentation says: from the start
                continue
            assert response.status_code == 200, response.get_data(as_text=True)
            body = response.get_json()
            read += body["bundles"]
            cursor = body["next_cursor"]
            if cursor is None:
                return read
            if change is not None:
                change()
                change = None

    def another_monday_need():
        # Its refs sort between the first page's bundles ("dense-00", then "dense-01").
        f.load(
            f.document(
                companies=[f.company(ref="dense-c000", name="Cabinet 000")],
                needs=[
                    f.need(ref="dense-000", company="dense-c000", days=["mon"], hours_per_week=7)
                ],
            )
        )

    read = walk(change=another_monday_need)
    whole = pool_open_needs(details=True)["bundles"]
    assert len(whole) == 4 * 3**4
    assert read == whole


def test_a_page_of_bundles_ending_on_long_accented_refs_has_a_next_one(client, auth):
    """Refs are the sender's, up to 100 characters of any kind: the cursor of a page
    ending on a bundle of such needs was longer than the API read back (a 422)."""
    from tests.test_api_v1 import bearer, token_for

    days = ["mon", "tue", "wed", "thu", "fri"]
    companies, needs = [], []
    for d, day in enumerate(days):
        for k in range(2):
            companies.append(f.company(ref=f"longue-c{d}{k}", name=f"Cabinet {d}{k}"))
            ref = f"{d}{k}-" + "é" * 97  # 100 characters, none of them ASCII but three
            needs.append(f.need(ref=ref, company=f"longue-c{d}{k}", days=[day], hours_per_week=7))
    f.load(f.document(companies=companies, needs=needs, candidates=[f.candidate(ref="libre")]))
    headers = bearer(token_for(auth.create("animateur")))
    read, cursor = [], None
    while True:
        query = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/pools", headers=headers, query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        read += body["bundles"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(read) == 2**5 and read == pool_open_needs(details=True)["bundles"]


def test_a_bundle_s_note_too_long_is_refused_and_given_back_whole(client, animateur):
    # Found by a review: the form sent back showed the note cut to 2,000 characters.
    qualify("n1", "n2")
    typed = "é" * 2000 + " et la fin"
    before = _state()
    response = client.post(
        f"{URL}/proposer", data={"besoins": ["n2", "n1"], "operateur": "ge", "note": typed}
    )
    assert _state() == before
    assert response.status_code == 422
    assert "(2 010 saisis)" in " ".join(html_of(response).split())
    assert f">{typed}</textarea>" in html_of(response)
