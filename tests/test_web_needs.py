"""The animateurs' need pages, through the client: what a person sees and what is stored."""

from __future__ import annotations

import math
import re
from html import unescape

import pytest
from sqlalchemy import select

from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Lead, Need, OutboxMessage, Referral, Transition, Visit
from connectences.web.formats import french_number
from connectences.web.needs import PER_PAGE
from tests import factories as f
from tests.helpers import (
    count,
    element_by_id,
    error_of,
    html_of,
    main_of,
    need_by_ref,
    organisation_mails,
    page_text,
    page_text_of,
    qualify,
)


def _state() -> tuple:
    """Everything a refused action must leave untouched."""
    db.session.expire_all()
    statuses = tuple(db.session.execute(select(Need.ref, Need.status).order_by(Need.ref)).all())
    return (
        statuses,
        count(Lead),
        count(Referral),
        count(OutboxMessage),
        count(Transition),
    )


def _post_changes_nothing(client, url: str, data: dict):
    """Post ``data`` to ``url``: a refused action leaves ``_state()`` as it was."""
    before = _state()
    response = client.post(url, data=data)
    assert _state() == before
    return response


@pytest.fixture
def data():
    f.load(
        f.document(
            operators=[
                f.operator(ref="ge", name="GE Bassin", email="ge@exemple.fr"),
                f.operator(ref="ge2", name="GE Val", email="ge2@exemple.fr"),
                f.operator(ref="ancien", name="GE Fermé", email="old@exemple.fr"),
            ],
            partners=[
                f.partner(ref="ft", name="France Travail Arcachon", email="ft@exemple.fr"),
            ],
            companies=[
                f.company(ref="c1", name="Boulangerie du Port"),
                f.company(ref="c2", name="Garage des Pins", commune=f.GUJAN),
            ],
            candidates=[
                f.candidate(
                    ref="ok",
                    first_name="Camille",
                    last_name="Comptable",
                    email="camille.comptable@exemple.fr",
                    skills=["tenue de la comptabilité", "facturation"],
                    level="technicien",
                    days=["tue", "thu"],
                ),
                f.candidate(
                    ref="moyen",
                    first_name="Morgane",
                    last_name="Moyenne",
                    email="morgane@exemple.fr",
                    skills=["accueil"],
                    rome=["M1601"],
                    level="non_qualifie",
                    days=["tue"],
                ),
                f.candidate(
                    ref="weekend",
                    first_name="Dominique",
                    last_name="Weekend",
                    email="dominique@exemple.fr",
                    days=["sat", "sun"],
                ),
            ],
            needs=[
                f.need(
                    ref="n1",
                    company="c1",
                    title="Comptable un jour par semaine",
                    days=["tue"],
                    hours_per_week=7,
                ),
                f.need(
                    ref="n2",
                    company="c2",
                    title="Mécanicien auto",
                    rome="I1604",
                    skills=["mécanique automobile"],
                    days=["thu"],
                    hours_per_week=14,
                ),
                f.need(
                    ref="plein",
                    company="c2",
                    title="Vendeur à temps plein",
                    rome="D1211",
                    skills=["vente"],
                    hours_per_week=35,
                    days=["mon", "tue", "wed", "thu", "fri"],
                    contract="cdi",
                ),
            ],
        )
    )
    from connectences.models import Operator

    db.session.scalars(select(Operator).where(Operator.ref == "ancien")).one().active = False
    db.session.commit()


@pytest.fixture
def animateur(auth, data):
    return auth.login("animateur", full_name="Alex Animateur")


# --- list ------------------------------------------------------------------------------


def test_list_shows_needs_with_links(client, animateur):
    page = client.get("/animateur/besoins")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "3 besoins" in html
    assert 'href="/animateur/besoins/n1"' in html
    assert "Boulangerie du Port" in html and "Garage des Pins" in html


@pytest.mark.parametrize(
    "query,shown,hidden",
    [
        ("statut=qualifie", ["Comptable un jour"], ["Mécanicien", "Vendeur"]),
        ("rome=I16", ["Mécanicien"], ["Comptable un jour", "Vendeur"]),
        ("q=garage", ["Mécanicien", "Vendeur"], ["Comptable un jour"]),
        ("q=%25", [], ["Mécanicien", "Vendeur", "Comptable un jour"]),  # no wildcard
        # Accents and case ignored alike on SQLite and PostgreSQL; every word anywhere.
        ("q=MECANICIEN", ["Mécanicien"], ["Comptable un jour", "Vendeur"]),
        ("q=M%C3%89CANICIEN", ["Mécanicien"], ["Comptable un jour", "Vendeur"]),
        ("q=garage+pins+auto", ["Mécanicien"], ["Comptable un jour", "Vendeur"]),
        ("q=_", [], ["Mécanicien", "Vendeur", "Comptable un jour"]),
        ("q=%5C", [], ["Mécanicien", "Vendeur", "Comptable un jour"]),
        (f"intercommunalite={f.COBAS}", ["Comptable un jour", "Mécanicien"], []),
        ("intercommunalite=243301504", [], ["Comptable un jour", "Mécanicien"]),
    ],
)
def test_list_filters(client, animateur, query, shown, hidden):
    qualify("n1")
    html = html_of(client.get(f"/animateur/besoins?{query}"))
    for text in shown:
        assert text in html
    for text in hidden:
        assert text not in html


def test_list_paginates(client, animateur):
    f.load(f.document(needs=[f.need(company="c1", title=f"Besoin n° {i:02d}") for i in range(30)]))
    first = html_of(client.get("/animateur/besoins"))
    pages = -(-count(Need) // PER_PAGE)
    assert pages >= 2
    assert f"Page 1 sur {pages}" in first and "page=2" in first
    second = html_of(client.get("/animateur/besoins?page=2"))
    assert f"Page 2 sur {pages}" in second
    # Junk page numbers never break the page.
    assert client.get("/animateur/besoins?page=abc").status_code == 200
    assert client.get("/animateur/besoins?page=999").status_code == 200


# --- the need page ---------------------------------------------------------------------


def test_need_page_shows_fields_route_and_explained_matches(client, animateur):
    html = html_of(client.get("/animateur/besoins/n1"))
    assert 'name="candidats" value="ok"' not in html  # not qualified yet: nothing to tick
    qualify("n1")  # the platform advises a route once the need is qualified
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Comptable un jour par semaine" in html
    assert "Employé qualifié" in html and "CDI à temps partagé" in html and "mardi" in html
    assert "Besoin à temps partiel" in html  # the reason, in French
    assert "M1203" in html
    # Route decision with its reasons.
    assert "Vers un opérateur : GE Bassin" in html
    assert html.index('id="candidats"') < html.index('id="reorienter"')
    assert "relève du temps partagé" in html
    # The matching candidate with score and explanation; the weekend one is never listed.
    assert "Camille Comptable" in html
    assert "Dominique Weekend" not in html
    assert "Compétences" in html and "Contrat accepté" in html


def test_an_operator_route_against_the_company_s_no_to_shared_time_says_so(client, animateur):
    # The route rule reads hours and contract (the spec); the company's own "no" to
    # shared time is not forgotten on the page that proposes an operator.
    qualify("n1")
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Vers un opérateur : GE Bassin" in html and "À vérifier :" not in html
    need = need_by_ref("n1")
    need.shared_time = False
    db.session.commit()
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Vers un opérateur : GE Bassin" in html
    assert "À vérifier" in html and "répondu" in html and "travail à temps partagé" in html


def test_need_page_ranks_as_the_matcher(client, animateur):
    from connectences.matching.matches import match_need

    expected = match_need("n1")["matches"]
    assert [m["candidate"] for m in expected] == ["ok", "moyen"]
    html = html_of(client.get("/animateur/besoins/n1"))
    assert html.index("Camille Comptable") < html.index("Morgane Moyenne")
    for match in expected:
        shown = french_number(match["score"])  # decimal comma, no ",0"
        assert f'aria-label="Score : {shown} sur 100"' in html
        for entry in match["explanation"]:
            assert entry["text"].replace("'", "&#39;") in html


def test_each_criterion_says_its_points_out_of_its_maximum(client, animateur):
    # "22,5" alone means nothing to the person choosing: out of how much?
    from connectences.matching.matches import match_need
    from connectences.matching.score import WEIGHTS

    match = match_need("n1")["matches"][0]
    html = html_of(client.get("/animateur/besoins/n1"))
    card = html[html.index("Camille Comptable") : html.index("Morgane Moyenne")]
    for entry in match["explanation"]:
        shown = f"{french_number(entry['points'])} sur {WEIGHTS[entry['criterion']]}"
        assert f'<td class="num">{shown}</td>' in card, entry
    # The quoted skills never leave a lone "»" at the start of a line: no-break spaces,
    # as every French text of the site (``html_of`` reads them as spaces).
    raw = client.get("/animateur/besoins/n1").get_data(as_text=True)
    assert "« comptabilité générale »" not in raw
    assert "«\u00a0comptabilité générale\u00a0»" in raw


def test_match_filters_level_days_and_distance(client, animateur):
    html = html_of(client.get("/animateur/besoins/n1?niveau_exact=1"))
    assert "Morgane Moyenne" not in html and "Camille Comptable" not in html  # technicien
    html = html_of(client.get("/animateur/besoins/n1?distance_max=0"))
    assert "Camille Comptable" not in html  # La Teste is not in Arcachon
    html = html_of(client.get("/animateur/besoins/n1?nombre=10&tous_les_jours=1"))
    assert "Camille Comptable" in html and "Morgane Moyenne" in html


def test_match_filters_not_understood_are_named_and_the_page_opens(client, animateur):
    """?nombre=500 fell back to 20 and ?distance_max=x was dropped without a word: the
    page still opens (a shared or edited link), shows the candidates with the defaults,
    and names each value left out as every list does, linked to its field."""
    response = client.get("/animateur/besoins/n1?score_min=abc&distance_max=x&nombre=500")
    assert response.status_code == 200
    markup = html_of(response)
    summary = element_by_id(markup, "erreurs")
    assert page_text_of(summary) == (
        "Certains filtres n'ont pas été appliqués. Corrigez ces 3 points : "
        "Score minimum : saisissez un nombre entier. "
        "Distance maximale : saisissez un nombre entier. "
        "Nombre de candidats : choisissez un nombre de la liste."
    )
    links = [link.split('"')[0] for link in summary.split('href="#')[1:]]
    assert links == ["score_min", "distance_max", "nombre"]
    for field in links:
        assert f'id="{field}-erreurs"' in markup
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', markup), field
    # The defaults apply: nobody left out by a distance, the usual 20 offered.
    assert "Camille Comptable" in markup and "Morgane Moyenne" in markup
    assert '<option value="20" selected>' in markup
    # The values the form offers are taken silently; out of range, brought into it.
    for query in ("score_min=0&distance_max=50&nombre=10", "score_min=250&distance_max=900"):
        assert "Certains filtres" not in page_text(client.get(f"/animateur/besoins/n1?{query}"))


def test_min_score_filter_hides_candidates(client, animateur):
    from connectences.matching.matches import match_need

    score = match_need("n1")["matches"][0]["score"]
    assert score < 100
    # The filter takes whole points; scores may have a tenth.
    floor = math.floor(score)
    html = html_of(client.get(f"/animateur/besoins/n1?score_min={floor}"))
    assert "Camille Comptable" in html and f"<strong>{french_number(score)}</strong>" in html
    html = html_of(client.get(f"/animateur/besoins/n1?score_min={floor + 1}"))
    assert "Camille Comptable" not in html
    assert "sur 2 respectant" in html


def test_unknown_need_is_404(client, animateur):
    assert client.get("/animateur/besoins/inconnu").status_code == 404
    response = client.post("/animateur/besoins/inconnu/proposer", data={"operateur": "ge"})
    assert response.status_code == 404


# --- transitions -----------------------------------------------------------------------


def test_a_bare_qualify_is_refused_and_points_to_the_qualification_form(client, animateur):
    response = client.post("/animateur/besoins/n1/statut", data={"etat": "qualifie"})
    assert response.status_code == 302
    assert need_by_ref("n1").status == "nouveau"
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "choisissez son métier" in html
    assert "Marquer comme qualifié" not in html


def test_a_move_then_history_shows_who_and_when(client, animateur):
    qualify("n1")
    response = client.post("/animateur/besoins/n1/statut", data={"etat": "en_recherche"})
    assert response.status_code == 302 and response.location.endswith("/animateur/besoins/n1#etat")
    assert need_by_ref("n1").status == "en_recherche"
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Le besoin est maintenant « en recherche »." in html
    assert "Alex Animateur" in html  # who, in the history
    assert 'name="candidats" value="ok"' in html  # proposable
    # Oldest first: the record and its qualification, by nobody (the platform), then
    # the move by hand.
    assert re.findall(r'<td data-label="Par">([^<]*)</td>', html) == [
        "La plateforme",
        "La plateforme",
        "Alex Animateur",
    ]


def test_abandon_needs_a_reason_from_the_list(client, animateur):
    before = _state()
    response = client.post("/animateur/besoins/n1/statut", data={"etat": "abandonne"})
    assert _state() == before
    # The form comes back, open, with the error next to the reasons and a summary.
    assert response.status_code == 422
    assert "Choisissez un motif dans la liste." in error_of(response, "motif-abandon")
    page = html_of(response)
    assert '<details class="abandon no-print" open>' in page
    assert 'statut#erreurs-abandonner" novalidate' in page
    response = client.post(
        "/animateur/besoins/n1/statut",
        data={"etat": "abandonne", "motif": "autre", "precision": "  "},
    )
    assert _state() == before and response.status_code == 422
    assert "Précisez le motif « autre »." in error_of(response, "precision-abandon")
    assert 'value="autre" required checked' in html_of(response)  # the choice kept
    client.post(
        "/animateur/besoins/n1/statut",
        data={"etat": "abandonne", "motif": "autre", "precision": "L'entreprise a fermé"},
    )
    assert need_by_ref("n1").status == "abandonne"
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Autre (préciser) — L&#39;entreprise a fermé" in html


def test_a_move_the_state_forbids_is_flashed_not_sent_back_as_a_form(client, animateur):
    qualify("n1")
    client.post("/animateur/besoins/n1/statut", data={"etat": "en_recherche"})
    client.post("/animateur/besoins/n1/proposer", data={"operateur": "ge"})
    # An abandonment typed well but a state that no longer offers the move by hand.
    response = _post_changes_nothing(
        client, "/animateur/besoins/n1/statut", {"etat": "pourvu", "motif": "budget"}
    )
    assert response.status_code == 302 and response.location.endswith("#etat")
    assert (
        "Impossible de passer directement de « Proposé à un opérateur » à « Pourvu »."
        in html_of(client.get("/animateur/besoins/n1"))
    )


@pytest.mark.parametrize("target", ["propose", "reoriente", "nimporte", ""])
def test_statuses_reserved_to_dispatch_cannot_be_set_by_hand(client, animateur, target):
    response = _post_changes_nothing(client, "/animateur/besoins/n1/statut", {"etat": target})
    assert response.status_code == 302


def test_a_proposed_need_follows_its_lead_not_the_buttons(client, animateur):
    qualify("n1")
    client.post("/animateur/besoins/n1/proposer", data={"operateur": "ge"})
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Lancer la recherche" not in html and "Marquer comme pourvu" not in html
    assert "Abandonner le besoin" in html
    before = _state()
    for target in ("en_recherche", "pourvu"):
        client.post("/animateur/besoins/n1/statut", data={"etat": target})
    assert _state() == before


def test_transition_not_allowed_from_current_state_is_refused(client, animateur):
    _post_changes_nothing(client, "/animateur/besoins/n1/statut", {"etat": "pourvu"})
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Impossible de passer directement de « Nouveau » à « Pourvu »." in html


# --- proposing to an operator ----------------------------------------------------------


def test_send_lead_with_candidates(client, animateur):
    qualify("n1")
    response = client.post(
        "/animateur/besoins/n1/proposer",
        data={"operateur": "ge", "candidats": ["ok"], "note": "À rappeler vite"},
    )
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.operator.ref == "ge" and not lead.is_bundle
    assert [c.candidate.ref for c in lead.candidates] == ["ok"]
    assert lead.candidates[0].score is not None
    assert lead.note == "À rappeler vite"
    assert lead.reasons  # the route's reasons travel with the lead
    assert need_by_ref("n1").status == "propose"
    mail = db.session.scalars(organisation_mails()).one()
    assert mail.to == "ge@exemple.fr" and mail.status == "pending"
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Besoin proposé à GE Bassin avec 1 candidat." in html
    assert (
        "Proposition à GE Bassin" in html and 'état : <span class="status">Envoyée</span>' in html
    )


def test_operator_can_be_changed_from_the_route_choice(client, animateur):
    qualify("n1")
    client.post("/animateur/besoins/n1/proposer", data={"operateur": "ge2"})
    lead = db.session.scalars(select(Lead)).one()
    assert lead.operator.ref == "ge2" and lead.candidates == [] and lead.reasons == []


def _need_history(ref: str) -> list[tuple[str, str | None, int | None]]:
    need = need_by_ref(ref)
    return [
        (t.to_state, t.reason_text, t.actor_id)
        for t in db.session.scalars(
            select(Transition)
            .where(Transition.entity == "need", Transition.entity_id == need.id)
            .order_by(Transition.id)
        )
    ]


def test_choosing_against_the_route_is_kept_with_who_and_what_was_advised(client, animateur):
    """Found by a check: an animateur sending a need elsewhere than the platform proposed
    left « Proposé à GE Val » in its history, as if GE Val had been the advice."""
    qualify("n1")
    qualify("n2")
    assert "Vers un opérateur : GE Bassin" in html_of(client.get("/animateur/besoins/n1"))
    client.post("/animateur/besoins/n1/proposer", data={"operateur": "ge2"})
    client.post(
        "/animateur/besoins/n2/reorienter",
        data={"partenaire": "ft", "motif": "autre", "precision": "Déjà suivi par FT"},
    )
    said = {
        ref: [
            (text, actor)
            for state, text, actor in _need_history(ref)
            if state in ("propose", "reoriente")
        ]
        for ref in ("n1", "n2")
    }
    assert said["n1"] == [
        (
            "Proposé à GE Val (choix de l'animateur : la plateforme proposait l'opérateur "
            "GE Bassin)",
            animateur.id,
        )
    ]
    assert said["n2"] == [
        (
            "Réorienté vers France Travail Arcachon (choix de l'animateur : la plateforme "
            "proposait l'opérateur GE Bassin)",
            animateur.id,
        )
    ]
    # Its history says it, with who.
    page = main_of(client.get("/animateur/besoins/n1"))
    assert "la plateforme proposait l'opérateur GE Bassin" in unescape(page)


def test_following_the_route_logs_no_override(client, animateur):
    qualify("n1")
    qualify("plein")
    client.post("/animateur/besoins/n1/proposer", data={"operateur": "ge"})
    client.post(
        "/animateur/besoins/plein/reorienter", data={"partenaire": "ft", "motif": "temps_plein"}
    )
    assert ("propose", "Proposé à GE Bassin", animateur.id) in _need_history("n1")
    assert ("reoriente", "Réorienté vers France Travail Arcachon", animateur.id) in _need_history(
        "plein"
    )


@pytest.mark.parametrize(
    "form,field,message",
    [
        ({"operateur": "inconnu", "candidats": ["ok"]}, "operateur", "Cet opérateur n'existe pas"),
        ({"operateur": "ancien", "candidats": ["ok"]}, "operateur", "Cet opérateur n'existe pas"),
        ({"candidats": ["ok"]}, "operateur", "Choisissez l'opérateur"),
        (
            {"operateur": "ge", "candidats": ["ok", "fantome"]},
            "candidats-choisis",
            "Candidat inconnu : « fantome »",
        ),
        (
            {"operateur": "ge", "candidats": ["weekend"]},
            "candidats-choisis",
            "Dominique Weekend ne peut pas être proposé",
        ),
    ],
)
def test_bad_lead_input_changes_nothing(client, animateur, form, field, message):
    qualify("n1")
    response = _post_changes_nothing(
        client, "/animateur/besoins/n1/proposer", {**form, "note": "À rappeler"}
    )
    assert response.status_code == 422
    # The error next to its field, the summary linking to it, what was typed kept.
    assert message in error_of(response, field)
    html = html_of(response)
    assert "À rappeler</textarea>" in html
    assert 'proposer#erreurs-proposer" id="proposer" class="print-keep" novalidate' in html
    if form.get("operateur") == "inconnu":
        assert 'value="ok" checked' in html  # the ticked candidate stays ticked
        assert 'value="ge" selected' not in html  # no operator chosen for them


def test_unqualified_need_cannot_be_proposed(client, animateur):
    _post_changes_nothing(client, "/animateur/besoins/n1/proposer", {"operateur": "ge"})
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "doit être qualifié avant d&#39;être proposé" in html


def test_a_proposal_sent_twice_says_to_whom_the_need_is_proposed(client, animateur):
    qualify("n1")
    assert (
        client.post("/animateur/besoins/n1/proposer", data={"operateur": "ge"}).status_code == 302
    )
    # The form sent again (a replayed POST): no second lead, and a clear answer.
    _post_changes_nothing(client, "/animateur/besoins/n1/proposer", {"operateur": "ge"})
    html = html_of(client.get("/animateur/besoins/n1"))
    assert "Le besoin « Comptable un jour par semaine » est déjà proposé à GE Bassin." in html
    assert "doit être qualifié" not in html
    assert count(Lead) == 1


def test_a_company_not_to_contact_brings_the_proposal_back_with_what_was_typed(client, animateur):
    qualify("n1")
    need_by_ref("n1").company.do_not_solicit = True
    db.session.commit()
    response = _post_changes_nothing(
        client,
        "/animateur/besoins/n1/proposer",
        {"operateur": "ge", "candidats": ["ok"], "note": "À rappeler vite"},
    )
    assert response.status_code == 422
    html = html_of(response)
    assert "ne plus être sollicitée" in html
    assert "À rappeler vite</textarea>" in html
    assert 'value="ok" checked' in html


# --- a company at its monthly cap of contacts ------------------------------------------

OVER_CAP = "L'entreprise a demandé à être rappelée par le groupement"


def _at_cap(ref: str) -> None:
    """The visit that qualified the need was the company's one contact of the month."""
    company = need_by_ref(ref).company
    company.max_contacts_per_month = 1
    db.session.add(Visit(company=company, visited_on=local_today(), channel="porte_a_porte"))
    db.session.commit()


def test_a_company_at_its_cap_is_refused_with_what_to_do_instead(client, animateur):
    qualify("n1")
    _at_cap("n1")
    response = _post_changes_nothing(
        client, "/animateur/besoins/n1/proposer", {"operateur": "ge", "note": "Urgent"}
    )
    assert response.status_code == 422
    page = main_of(response)
    assert "Rien n'a été envoyé : l'entreprise ne peut pas être contactée en ce moment." in page
    assert "Corrigez" not in page
    assert "accepte au plus 1 contact par mois" in page
    # What to do instead: send anyway, with the reason, in the form that came back.
    assert 'name="malgre_plafond" value="1">' in page and 'name="raison_plafond"' in page
    assert "Urgent</textarea>" in page


@pytest.mark.parametrize(
    "url,form",
    [
        ("/animateur/besoins/n1/proposer", {"operateur": "ge"}),
        ("/animateur/besoins/n1/reorienter", {"partenaire": "ft", "motif": "temps_plein"}),
    ],
)
def test_sending_anyway_without_a_reason_is_refused_next_to_the_reason(
    client, animateur, url, form
):
    qualify("n1")
    _at_cap("n1")
    form = {**form, "malgre_plafond": "1", "raison_plafond": "  "}
    response = _post_changes_nothing(client, url, form)
    assert response.status_code == 422
    prefix = "proposer" if url.endswith("proposer") else "reorienter"
    assert "Indiquez pourquoi l'entreprise accepte ce contact au-delà de son plafond" in error_of(
        response, f"{prefix}-raison-plafond"
    )
    assert 'name="malgre_plafond" value="1" checked>' in html_of(response)


def test_a_proposal_sent_anyway_says_why_on_the_company_timeline(client, animateur):
    qualify("n1")
    _at_cap("n1")
    response = client.post(
        "/animateur/besoins/n1/proposer",
        data={"operateur": "ge", "malgre_plafond": "1", "raison_plafond": OVER_CAP},
    )
    assert response.status_code == 302
    assert need_by_ref("n1").status == "propose" and count(Lead) == 1
    page = html_of(client.get(f"/animateur/entreprises/{need_by_ref('n1').company.ref}"))
    assert "Envoyé au-delà du plafond de contacts accepté par Boulangerie du Port" in page
    assert OVER_CAP.replace("'", "&#39;") in page


def test_a_reoriented_need_sent_anyway_records_why(client, animateur):
    _at_cap("plein")
    response = client.post(
        "/animateur/besoins/plein/reorienter",
        data={
            "partenaire": "ft",
            "motif": "temps_plein",
            "malgre_plafond": "1",
            "raison_plafond": OVER_CAP,
        },
    )
    assert response.status_code == 302
    referral = db.session.scalars(select(Referral)).one()
    first = db.session.scalars(
        select(Transition).where(
            Transition.entity == "referral", Transition.entity_id == referral.id
        )
    ).first()
    assert first.reason_text.endswith(f" : {OVER_CAP}")


def test_a_company_not_to_contact_is_never_sent_anyway(client, animateur):
    qualify("n1")
    _at_cap("n1")
    need_by_ref("n1").company.do_not_solicit = True
    db.session.commit()
    response = _post_changes_nothing(
        client,
        "/animateur/besoins/n1/proposer",
        {"operateur": "ge", "malgre_plafond": "1", "raison_plafond": OVER_CAP},
    )
    assert response.status_code == 422
    page = main_of(response)
    assert "ne plus être sollicitée" in page and "Corrigez" not in page
    assert "Préférences de contact de Boulangerie du Port" in page


# --- the guard's refusal said before the forms are filled in ----------------------------


def test_a_company_not_to_contact_is_said_in_place_of_the_proposal_and_the_reorientation(
    client, animateur
):
    qualify("n1")
    need_by_ref("n1").company.do_not_solicit = True
    db.session.commit()
    response = client.get("/animateur/besoins/n1")
    assert response.status_code == 200
    page = main_of(response)
    for box, what in (
        ("proposer-impossible", "Proposition à un opérateur impossible."),
        ("reorienter-impossible", "Réorientation vers un partenaire impossible."),
    ):
        notice = element_by_id(page, box)
        assert what in notice and "ne plus être sollicitée" in notice
        # What the animateur can do: the company's preferences, at its request.
        assert 'href="/animateur/entreprises/c1#preferences"' in notice
    # No form to fill in for nothing: no operator, no partner, no candidate to tick.
    assert "Proposer à l'opérateur" not in page and 'name="operateur"' not in page
    assert 'name="partenaire"' not in page and 'name="candidats"' not in page
    assert "Camille Comptable" in page  # the people found are still listed
    # Drawn as the company page draws it (``.refused-here``, room under it).
    assert "css/prospection.css" in html_of(response)


def test_a_company_at_its_cap_is_said_before_the_forms_which_offer_to_send_anyway(
    client, animateur
):
    qualify("n1")
    _at_cap("n1")
    page = main_of(client.get("/animateur/besoins/n1"))
    for box, prefix in (
        ("proposer-impossible", "proposer"),
        ("reorienter-impossible", "reorienter"),
    ):
        notice = element_by_id(page, box)
        assert "sans l&#39;accord de l&#39;entreprise" in notice
        assert "accepte au plus 1 contact par mois" in notice
        assert "cochez « L'entreprise a accepté d'être contactée » ci-dessous" in notice
        # The forms stay, with the box to pass the cap shown before anything is sent.
        assert f'id="{prefix}-malgre-plafond"' in page
    assert "Proposer à l'opérateur" in page and 'name="partenaire"' in page


def test_a_company_free_to_contact_shows_no_refusal(client, animateur):
    qualify("n1")
    need_by_ref("n1").company.max_contacts_per_month = 2  # one contact this month: below it
    db.session.add(
        Visit(company=need_by_ref("n1").company, visited_on=local_today(), channel="telephone")
    )
    db.session.commit()
    page = main_of(client.get("/animateur/besoins/n1"))
    assert 'id="proposer-impossible"' not in page and 'id="reorienter-impossible"' not in page
    assert 'name="malgre_plafond"' not in page and "Proposer à l'opérateur" in page


@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate"])
def test_no_one_but_the_staff_sends_anyway(client, auth, data, role):
    qualify("n1")
    _at_cap("n1")
    auth.login(role)
    response = _post_changes_nothing(
        client,
        "/animateur/besoins/n1/proposer",
        {"operateur": "ge", "malgre_plafond": "1", "raison_plafond": OVER_CAP},
    )
    assert response.status_code == 403, response.status_code
    assert count(Lead) == 0


# --- re-orientation --------------------------------------------------------------------


def test_full_time_need_is_reoriented_to_the_partner(client, animateur):
    qualify("plein")
    html = html_of(client.get("/animateur/besoins/plein"))
    assert "Réorientation vers un partenaire : France Travail Arcachon" in html
    assert "recrutement classique" in html
    # The motif is the animateur's choice: none is ticked in advance.
    assert 'value="temps_plein" required>' in html
    # What the platform suggests comes before the candidates.
    assert html.index('id="reorienter"') < html.index('id="candidats"')
    response = client.post(
        "/animateur/besoins/plein/reorienter",
        data={"partenaire": "ft", "motif": "temps_plein", "note": "Urgent"},
    )
    assert response.status_code == 302
    referral = db.session.scalars(select(Referral)).one()
    assert referral.partner.ref == "ft" and referral.need.ref == "plein"
    assert referral.reasons[0] == "Emploi à temps plein dans une seule entreprise"
    assert any("recrutement classique" in r for r in referral.reasons)
    assert need_by_ref("plein").status == "reoriente"
    assert db.session.scalars(organisation_mails()).one().to == "ft@exemple.fr"
    html = html_of(client.get("/animateur/besoins/plein"))
    assert "Réorientation vers France Travail Arcachon" in html and "Envoyée" in html


def test_a_company_not_to_contact_brings_the_reorientation_back_with_what_was_typed(
    client, animateur
):
    qualify("plein")
    need_by_ref("plein").company.do_not_solicit = True
    db.session.commit()
    response = _post_changes_nothing(
        client,
        "/animateur/besoins/plein/reorienter",
        {"partenaire": "ft", "motif": "temps_plein", "note": "Urgent et précis"},
    )
    assert response.status_code == 422
    html = html_of(response)
    assert "ne plus être sollicitée" in html
    assert "Urgent et précis</textarea>" in html


def test_without_any_partner_the_page_says_why_and_what_to_do_instead(client, animateur):
    from connectences.models import Partner

    qualify("plein")
    for partner in db.session.scalars(select(Partner)):
        partner.active = False
    db.session.commit()
    response = client.get("/animateur/besoins/plein")
    assert response.status_code == 200
    page = main_of(response)
    assert "Réorientation vers un partenaire</strong> — Emploi à temps plein" in page
    assert "Aucun partenaire actif n'est enregistré sur la plateforme" in page
    # A way forward, not a bare « none »: no empty form, the company oriented by hand
    # (its follow-up in the need's status), or the partners registered by an administrator.
    section = html_of(response)
    section = section[section.index('id="reorienter"') :]
    assert 'id="aucun-partenaire"' in section and 'name="partenaire"' not in section
    assert 'href="#etat"' in section and "administrateur" in section
    assert "choisir lui-même le partenaire" not in page
    # A partner that is no more is refused in French, nothing sent.
    response = _post_changes_nothing(
        client, "/animateur/besoins/plein/reorienter", {"partenaire": "ft", "motif": "temps_plein"}
    )
    assert response.status_code == 422
    refused = unescape(main_of(response))
    assert "Rien n'a été envoyé.</strong> Aucun partenaire actif n'est enregistré : " in refused
    assert "dans la liste" not in refused


def test_without_any_partner_an_unqualified_need_is_not_offered_a_reorientation(client, animateur):
    from connectences.models import Partner

    for partner in db.session.scalars(select(Partner)):
        partner.active = False
    db.session.commit()
    response = client.get("/animateur/besoins/plein")  # not qualified yet
    assert response.status_code == 200
    section = html_of(response)
    section = unescape(
        section[
            section.index('id="reorienter"') : section.index(
                "</section>", section.index('id="reorienter"')
            )
        ]
    )
    # One thing said, not « vous pouvez néanmoins le réorienter… Réorienter quand
    # même… » opening on « ne peut pas être envoyée d'ici ».
    assert "néanmoins" not in section and "Réorienter quand même" not in section
    assert "<details" not in section and 'name="partenaire"' not in section
    assert "ne peut pas être réorienté vers un partenaire d'ici" in section
    # The ways that work: qualify it first (an operator may then cover it), orient the
    # company by hand, or an administrator reactivates or registers partners.
    assert 'href="/animateur/besoins/plein/qualifier"' in section
    assert "qualifier d'abord le besoin" in section
    assert "demander à un administrateur de réactiver les partenaires" in section


@pytest.mark.parametrize(
    "form,field,message",
    [
        ({"partenaire": "nulle-part", "motif": "temps_plein"}, "partenaire", "partenaire actif"),
        ({"partenaire": "ft", "motif": "invente"}, "motif-reo", "Choisissez le motif"),
        ({"partenaire": "ft", "motif": "autre"}, "precision-reo", "Précisez le motif « Autre »"),
    ],
)
def test_bad_referral_input_changes_nothing_and_keeps_what_was_typed(
    client, animateur, form, field, message
):
    before = _state()
    form = {**form, "precision": "", "note": "Urgent, merci"}
    response = client.post("/animateur/besoins/plein/reorienter", data=form)
    assert _state() == before
    assert response.status_code == 422
    html = html_of(response)
    # The error next to its field, a summary linking to it, what was typed and chosen kept.
    assert f'id="{field}-erreurs"' in html and message in html
    assert f'href="#{field}"' in html
    assert "Urgent, merci</textarea>" in html
    if form["motif"] == "autre":
        assert 'value="autre" required checked' in html
        assert 'value="ft" selected' in html
    # The page opens on the form, not at its top.
    assert 'reorienter#reorienter" novalidate' in html


# --- "Pourquoi pas ce candidat ?" --------------------------------------------------------


def test_why_not_names_the_failing_constraint(client, animateur):
    page = client.get("/animateur/besoins/n1/pourquoi-pas?candidat=weekend")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Candidat non proposé" in html
    assert "✗" in html and "Non respectée :" in html
    assert "jour" in html.split("Non respectée :", 1)[1].split("</li>", 1)[0]


def test_why_not_by_email_or_name_gives_the_score(client, animateur):
    for query in ("camille.comptable@exemple.fr", "camille comptable", "Comptable"):
        html = client.get(f"/animateur/besoins/n1/pourquoi-pas?candidat={query}").get_data(
            as_text=True
        )
        assert "Candidat proposé avec un score de" in html, query
        assert "Détail du score" in html and "Respectée :" in html


def test_why_not_finds_a_name_without_its_accents_or_case(client, animateur):
    f.load(
        f.document(
            candidates=[
                f.candidate(
                    ref="helene",
                    first_name="Hélène",
                    last_name="Lège-Dupré",
                    email="helene@exemple.fr",
                    days=["tue"],
                )
            ]
        )
    )
    for query in ("helene", "HÉLÈNE", "lege dupre", "Dupré Hélène", "LÈGE-DUPRÉ"):
        page = client.get(f"/animateur/besoins/n1/pourquoi-pas?candidat={query}")
        assert page.status_code == 200, query
        assert "Hélène" in page.get_data(as_text=True), query
    for query in ("%", "_", "h_l"):
        assert client.get(f"/animateur/besoins/n1/pourquoi-pas?candidat={query}").status_code == 404


def test_why_not_unknown_candidate(client, animateur):
    page = client.get("/animateur/besoins/n1/pourquoi-pas?candidat=personne")
    assert page.status_code == 404
    assert "aucun candidat ne correspond" in page.get_data(as_text=True)
    empty = client.get("/animateur/besoins/n1/pourquoi-pas?candidat=")
    assert empty.status_code == 302


# --- access ----------------------------------------------------------------------------

PAGES = [
    ("get", "/animateur/besoins"),
    ("get", "/animateur/besoins/n1"),
    ("get", "/animateur/besoins/n1/pourquoi-pas?candidat=ok"),
    ("post", "/animateur/besoins/n1/statut"),
    ("post", "/animateur/besoins/n1/proposer"),
    ("post", "/animateur/besoins/n1/reorienter"),
]


# Each role tries every page in one test (a subtest per page): a refusal changes nothing
# the next one reads, and the data and the login are made once per role.
@pytest.mark.parametrize("role", ["operator", "partner", "company", "candidate", "territoire"])
def test_other_roles_are_refused(client, auth, data, subtests, role):
    auth.login(role)
    for method, url in PAGES:
        with subtests.test(method=method, url=url):
            before = _state()
            response = getattr(client, method)(url, data={"etat": "qualifie", "operateur": "ge"})
            assert response.status_code == 403
            assert _state() == before


@pytest.mark.parametrize("method,url", PAGES)
def test_anonymous_is_sent_to_login(client, data, method, url):
    response = getattr(client, method)(url, data={"etat": "qualifie"})
    assert response.status_code == 302 and "/connexion" in response.location
    assert need_by_ref("n1").status == "nouveau"


def test_admin_may_use_the_pages(client, auth, data):
    auth.login("admin")
    assert client.get("/animateur/besoins/n1").status_code == 200
    client.post("/animateur/besoins/n1/statut", data={"etat": "abandonne", "motif": "budget"})
    assert need_by_ref("n1").status == "abandonne"


def test_post_without_csrf_token_is_refused(app, client, animateur):
    qualify("n1")
    before = _state()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/animateur/besoins/n1/proposer", data={"operateur": "ge"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert _state() == before


def test_a_need_of_zero_months_shows_and_edits_as_zero(client, animateur):
    need_by_ref("n1").duration_months = 0
    db.session.commit()
    page = html_of(client.get("/animateur/besoins/n1"))
    assert "0 mois" in page and "Non précisée" not in page
    form = html_of(client.get("/animateur/besoins/n1/qualifier"))
    assert re.search(r'name="duration_months"[^>]*value="0"', form), form


def test_a_need_s_duration_reads_as_french_typography_writes_numbers(client, animateur):
    """Written as every number of the pages (``decimal_fr``): a decimal comma, two
    decimals at most (a third of a month from a document is not « 0,333333 mois »), the
    unit never alone at the start of a line."""
    need = need_by_ref("n1")
    for months, shown in ((1 / 3, "0,33\u00a0mois"), (1.5, "1,5\u00a0mois"), (6, "6\u00a0mois")):
        need.duration_months = months
        db.session.commit()
        page = client.get("/animateur/besoins/n1").get_data(as_text=True)
        assert shown in page, months


def test_no_routing_advice_before_the_need_is_qualified(client, animateur):
    html = html_of(client.get("/animateur/besoins/plein"))  # imported: "nouveau"
    assert "proposera une orientation" in html
    assert "Réorientation vers un partenaire : France Travail" not in html
    assert "recrutement classique" not in html
    # The re-orientation form stays within reach, folded, with nothing chosen for the user.
    form = html[html.index('id="reorienter"') :]
    form = form[: form.index("</section>")]
    assert "<details" in form and "button-secondary" in form
    assert " selected>" not in form and " checked" not in form
    # Once qualified, the platform advises.
    qualify("plein")
    html = html_of(client.get("/animateur/besoins/plein"))
    assert "Réorientation vers un partenaire : France Travail Arcachon" in html


def test_the_reorientation_form_says_which_reasons_the_partner_receives(client, animateur):
    """The form said « Les raisons ci-dessus seront jointes à l'e-mail envoyé au
    partenaire », but the partner receives the motive and the routing's reasons about the
    need and itself only, never why each operator was not chosen: the form lists what goes,
    and the referral and its mail hold exactly that."""
    f.load(f.document(needs=[
        f.need(ref="daf", company="c1", title="Direction financière à temps partagé",
               level="cadre", hours_per_week=7, days=["tue"]),
    ]))  # fmt: skip
    qualify("daf")
    page = unescape(html_of(client.get("/animateur/besoins/daf")))
    assert "GE Bassin ne prend pas le niveau" in page  # shown to the animateur
    assert "seront jointes" not in page
    # Read with the button that sends it (a screen reader reaches the button, not it).
    assert re.search(r'<button[^>]*aria-describedby="reorienter-envoi"[^>]*>Réorienter', page)
    sent = page[page.index('id="reorienter-envoi"') :]
    sent = sent[: sent.index("</div>")]
    assert "Si vous choisissez France Travail Arcachon, la plateforme y joint ces raisons" in sent
    assert "Les autres raisons de l'orientation ci-dessus ne lui sont pas envoyées." in sent
    listed = re.findall(r"<li>(.*?)</li>", sent)
    assert listed and not any("GE Bassin" in reason for reason in listed)
    response = client.post(
        "/animateur/besoins/daf/reorienter",
        data={"partenaire": "ft", "motif": "aucun_operateur", "note": "Urgent"},
    )
    assert response.status_code == 302
    referral = db.session.scalars(select(Referral)).one()
    assert referral.reasons == ["Aucun opérateur ne couvre ce besoin", *listed]
    mail = db.session.scalars(organisation_mails()).one()
    assert all(reason in mail.body_text for reason in listed)
    assert "GE Bassin" not in mail.body_text and "GE Bassin" not in mail.body_html


def test_a_reorientation_the_routing_did_not_advise_sends_none_of_its_reasons(client, animateur):
    """An operator covers the need: the animateur may re-orient it anyway, and the form says
    that the partner then receives none of the routing's reasons, which the mail keeps."""
    qualify("n1")
    page = unescape(html_of(client.get("/animateur/besoins/n1")))
    sent = page[page.index('id="reorienter-envoi"') :]
    sent = sent[: sent.index("</div>")]
    assert "la plateforme y joint" not in sent and "<li>" not in sent
    assert "Les raisons de l'orientation ci-dessus ne lui sont pas envoyées." in sent
    client.post(
        "/animateur/besoins/n1/reorienter",
        data={"partenaire": "ft", "motif": "autre", "precision": "L'entreprise préfère"},
    )
    assert db.session.scalars(select(Referral)).one().reasons == ["L'entreprise préfère"]
    # An operator covers it: the mail no longer says that none can take it.
    mail = db.session.scalars(organisation_mails()).one()
    assert "Pourquoi :\n* L'entreprise préfère" in mail.body_text.replace("\xa0", " ")
    assert "ne peut le prendre en charge" not in mail.body_text + mail.body_html
    # Before qualification the routing advises nothing (``route_advice``) and sends nothing.
    page = unescape(html_of(client.get("/animateur/besoins/plein")))
    assert "la plateforme y joint" not in page and "recrutement classique" not in page
    client.post(
        "/animateur/besoins/plein/reorienter", data={"partenaire": "ft", "motif": "temps_plein"}
    )
    referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
    assert referral.need.ref == "plein"
    assert referral.reasons == ["Emploi à temps plein dans une seule entreprise"]


# --- texts longer than allowed: refused with their length, never cut ------------------------


LONG = "é" * 2001


def _words(text: str) -> str:
    """``text`` with its spaces (non-breaking and thin ones too) as plain spaces."""
    return " ".join(text.split())


@pytest.mark.usefixtures("animateur")
def test_a_message_to_an_operator_too_long_is_refused_not_cut(client):
    # Found by an audit: a message of 10,000 characters was cut to its first 2,000
    # without a word, and mailed so.
    qualify("n1")
    response = _post_changes_nothing(
        client, "/animateur/besoins/n1/proposer", {"operateur": "ge", "note": LONG}
    )
    assert response.status_code == 422
    assert "ne doit pas dépasser 2 000 caractères (2 001 saisis)" in _words(
        error_of(response, "note")
    )
    assert count(Lead) == 0


@pytest.mark.usefixtures("animateur")
def test_a_reorientation_s_texts_too_long_are_refused_not_cut(client):
    qualify("plein")
    form = {"partenaire": "ft", "motif": "autre", "precision": LONG}
    response = _post_changes_nothing(client, "/animateur/besoins/plein/reorienter", form)
    assert response.status_code == 422
    assert "(2 001 saisis)" in _words(error_of(response, "precision-reo"))
    form = {"partenaire": "ft", "motif": "temps_plein", "note": LONG}
    response = _post_changes_nothing(client, "/animateur/besoins/plein/reorienter", form)
    assert response.status_code == 422
    assert "(2 001 saisis)" in _words(error_of(response, "note-reo"))
    assert count(Referral) == 0


@pytest.mark.usefixtures("animateur")
def test_a_reorientation_without_motive_and_with_a_long_note_says_both_at_once(client):
    # Found by a review: only « Choisissez le motif » came, the note's length on the
    # next try.
    qualify("plein")
    form = {"partenaire": "ft", "note": LONG}
    response = _post_changes_nothing(client, "/animateur/besoins/plein/reorienter", form)
    assert response.status_code == 422
    assert "Choisissez le motif" in error_of(response, "motif-reo")
    assert "(2 001 saisis)" in _words(error_of(response, "note-reo"))
    assert count(Referral) == 0


def _typed_in(response, field_id: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", element_by_id(html_of(response), field_id)))


@pytest.mark.usefixtures("animateur")
@pytest.mark.parametrize(
    ("url", "form", "field_id"),
    [
        ("/animateur/besoins/n1/proposer", {"operateur": "ge"}, "note"),
        (
            "/animateur/besoins/n1/reorienter",
            {"partenaire": "ft", "motif": "temps_plein"},
            "note-reo",
        ),
        (
            "/animateur/besoins/n1/reorienter",
            {"partenaire": "ft", "motif": "autre"},
            "precision-reo",
        ),
    ],
)
def test_a_refused_text_too_long_is_given_back_whole(client, url, form, field_id):
    # Found by a review: the form sent back showed the text cut to 2,000 characters,
    # the end of what the person typed lost.
    qualify("n1")
    typed = "é" * 2000 + " et la fin"
    name = "precision" if field_id == "precision-reo" else "note"
    response = _post_changes_nothing(client, url, {**form, name: typed})
    assert response.status_code == 422
    assert "(2 010 saisis)" in _words(error_of(response, field_id))
    assert _typed_in(response, field_id).strip() == typed


@pytest.mark.usefixtures("animateur")
def test_an_abandonment_s_precision_too_long_is_refused_not_cut(client):
    # Found with the review above: the view cut the precision to 2,000 characters before
    # the rule read it, and the need was abandoned with the end of the text lost.
    typed = "é" * 2000 + " et la fin"
    form = {"etat": "abandonne", "motif": "autre", "precision": typed}
    response = _post_changes_nothing(client, "/animateur/besoins/n1/statut", form)
    assert response.status_code == 422
    assert "(2 010 saisis)" in _words(error_of(response, "precision-abandon"))
    assert _typed_in(response, "precision-abandon").strip() == typed
    assert need_by_ref("n1").status != "abandonne"


@pytest.mark.usefixtures("animateur")
@pytest.mark.parametrize(
    ("url", "form", "prefix"),
    [
        ("/animateur/besoins/n1/proposer", {"operateur": "ge"}, "proposer"),
        (
            "/animateur/besoins/n1/reorienter",
            {"partenaire": "ft", "motif": "temps_plein"},
            "reorienter",
        ),
    ],
)
def test_a_refused_over_cap_reason_too_long_is_given_back_whole(client, url, form, prefix):
    qualify("n1")
    _at_cap("n1")
    typed = "é" * 2000 + " et la fin"
    form = {**form, "malgre_plafond": "1", "raison_plafond": typed}
    response = _post_changes_nothing(client, url, form)
    assert response.status_code == 422
    assert "(2 010 saisis)" in _words(error_of(response, f"{prefix}-raison-plafond"))
    assert _typed_in(response, f"{prefix}-raison-plafond").strip() == typed
