"""The animateurs' CV library pages: search, export, candidate page, CV, permissions."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from connectences import workflows
from connectences.cvtheque.access import may_read_cv
from connectences.cvtheque.history import record_event
from connectences.extensions import db
from connectences.models import Candidate, CandidateEvent, Need, Operator, User
from connectences.typography import NBSP
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_lead
from tests import factories as f
from tests.helpers import (
    audit_entries,
    by_ref,
    dates_without_format,
    element_by_id,
    error_of,
    flashes_in,
    html_of,
    page_text,
    page_text_of,
    read_guard_at,
    read_stamp_at,
    stamp_in,
)

BASE = "/animateur/cvtheque"
PDF = b"%PDF-1.4\n% test CV\n"


@pytest.fixture
def people():
    f.load(
        f.document(
            candidates=[
                f.candidate(
                    ref="ines",
                    first_name="Inès",
                    last_name="Marchal",
                    email="ines@exemple.fr",
                    skills=["Comptabilité générale", "paie"],
                    commune=f.ARCACHON,
                    source="forum",
                ),
                f.candidate(
                    ref="paul",
                    first_name="Paul",
                    last_name="Bernin",
                    skills=["jardinage"],
                    rome=[],
                    commune=f.LA_TESTE,
                ),
                f.candidate(
                    ref="piege",
                    first_name='=HYPERLINK("x")',
                    last_name="+33 6",
                    phone="-1",
                    skills=["comptabilité", "@SUM(A1)"],
                    commune=f.GUJAN,
                    source="@import",
                ),
            ]
        )
    )


@pytest.fixture
def cv_file(app, tmp_path, monkeypatch):
    """A stored CV for Inès, in a throw-away instance folder."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    (tmp_path / "cv").mkdir()
    (tmp_path / "cv" / "abc123.pdf").write_bytes(PDF)
    person = by_ref(Candidate, "ines")
    person.cv_filename = "abc123.pdf"
    db.session.commit()
    return person


# --- search page -----------------------------------------------------------------------


def test_search_page_lists_and_filters(client, auth, people):
    auth.login("animateur")
    page = client.get(BASE).get_data(as_text=True)
    assert "3 personnes" in page and "Inès Marchal" in page and "Paul Bernin" in page
    page = client.get(BASE, query_string={"q": "comptabilte"}).get_data(as_text=True)
    assert "Inès Marchal" in page and "Paul Bernin" not in page
    assert "2 personnes correspondant à la recherche" in page
    page = client.get(BASE, query_string={"q": "compta", "commune": f.ARCACHON}).get_data(
        as_text=True
    )
    assert "1 personne correspondant" in page and "Inès Marchal" in page
    assert "HYPERLINK" not in page
    # The CVthèque entry is in the animateur's menu.
    assert f'href="{BASE}"' in page and "CVthèque" in page


def test_search_page_keeps_filters_across_pages_and_sorts(client, auth):
    f.load(f.document(candidates=[f.candidate(ref=f"p{i}") for i in range(30)]))
    for i in range(30):
        by_ref(Candidate, f"p{i}").updated_at = datetime(2027, 1, 1, tzinfo=UTC) - timedelta(days=i)
    db.session.commit()
    auth.login("animateur")
    first = client.get(BASE, query_string={"statut": "disponible"}).get_data(as_text=True)
    assert "Page 1 sur 2" in first
    assert "page=2" in first and "statut=disponible" in first
    second = client.get(BASE, query_string={"statut": "disponible", "page": 2}).get_data(
        as_text=True
    )
    assert "Page 2 sur 2" in second
    # Most recent first: p0 on page 1, p29 on page 2.
    assert (
        by_ref(Candidate, "p0").last_name in first and by_ref(Candidate, "p29").last_name in second
    )
    assert by_ref(Candidate, "p29").last_name not in first


def test_the_availability_filter_says_its_date_format(client, auth):
    """As every form's date field, « Disponible au plus tard le » says how a date is
    written."""
    auth.login("animateur")
    assert dates_without_format(client.get(BASE)) == []


def test_bad_filters_are_explained_in_french_and_ignored(client, auth, people):
    auth.login("animateur")
    response = client.get(
        BASE,
        query_string={
            "heures_min": "beaucoup",
            "rayon": "15",
            "disponible_le": "hier",
            "niveau": "expert",
            "commune": "00000",
        },
    )
    page = page_text(response)
    assert response.status_code == 200
    assert "Heures libres par semaine (au moins) : saisissez un nombre." in page
    assert "Rayon : choisissez aussi la commune au centre de la recherche." in page
    assert "Disponible au plus tard le : date invalide" in page
    assert "Niveau : choisissez un niveau de la liste." in page
    assert "Commune : commune inconnue." in page
    assert "3 personnes" in page
    # The summary takes the focus and links each refused value to its field, the more
    # filters unfolded so that the fields it links to can be reached.
    summary = element_by_id(html_of(response), "erreurs")
    assert 'tabindex="-1"' in summary and 'role="alert"' in summary
    assert page_text_of(summary).startswith(
        "Certains filtres n'ont pas été appliqués. Corrigez ces 5 points :"
    )
    markup = html_of(response)
    for field in ("heures_min", "autour", "disponible_le", "niveau", "commune"):
        assert f'href="#{field}"' in summary and f'id="{field}"' in markup, field
    assert '<details class="more-filters field-wide" open>' in markup


def test_a_source_no_person_has_is_named_unknown_not_zero_people(client, auth, people):
    """« Source » is a free text suggesting the known channels (an interchange document
    may bring others): one typed by hand that no person has showed « 0 personne »
    without a word. It is named unknown, linked to its field, and left out."""
    auth.login("animateur")
    response = client.get(BASE, query_string={"source": "nimportequoi"})
    assert response.status_code == 200
    page = page_text(response)
    assert (
        "Source : aucune personne de la CVthèque n'a la source « nimportequoi » : "
        "choisissez-en une de la liste proposée." in page
    )
    assert 'href="#source"' in element_by_id(html_of(response), "erreurs")
    assert "3 personnes" in page
    # A channel of the platform's list no person has yet, and one only an imported
    # person has (the list stays open), are searched as typed, without a message.
    for typed, found in (
        ("papier", "0 personne"),
        ("@IMPORT", "1 personne"),
        ("Forum", "1 personne"),
    ):
        page = page_text(client.get(BASE, query_string={"source": typed}))
        assert "Certains filtres" not in page and found in page, typed
    # The suggestions are the platform's channels.
    assert '<option value="job dating">' in html_of(client.get(BASE))


def test_an_order_not_in_the_list_is_named(client, auth, people):
    auth.login("animateur")
    page = page_text(client.get(BASE, query_string={"tri": "taille"}))
    assert "Trier par : choisissez un ordre de la liste." in page
    assert "3 personnes" in page
    assert "Certains filtres" not in page_text(client.get(BASE, query_string={"tri": "nom"}))


def test_a_refused_group_of_boxes_is_linked_to_its_fieldset(client, auth, people):
    auth.login("animateur")
    response = client.get(BASE, query_string={"jours": "dimanche-soir", "statut": "perdu"})
    summary = element_by_id(html_of(response), "erreurs")
    assert 'href="#jours"' in summary and 'href="#statut"' in summary
    assert '<fieldset class="field-checks field-wide" id="jours">' in html_of(response)


def test_a_negative_radius_is_told_its_range(client, auth, people):
    auth.login("animateur")
    response = client.get(BASE, query_string={"autour": f.ARCACHON, "rayon": "-5"})
    page = page_text(response)
    assert response.status_code == 200
    assert "Rayon : saisissez un nombre entre 0 et 200." in page
    assert "3 personnes" in page  # the refused radius is left out, not replaced by 10 km


def test_a_radius_that_is_no_number_is_left_out_not_replaced_by_the_default(client, auth, people):
    auth.login("animateur")
    belin_beliet = "33042"  # 40 km from the three people, in the Val de l'Eyre
    page = client.get(BASE, query_string={"autour": belin_beliet}).get_data(as_text=True)
    assert "0 personne " in page  # no radius typed: 10 km around the commune
    for typed in ("beaucoup", "1e309", "nan"):
        page = page_text(client.get(BASE, query_string={"autour": belin_beliet, "rayon": typed}))
        assert "Rayon : saisissez un nombre." in page
        assert "3 personnes" in page


def test_an_availability_typed_the_french_way_is_read(client, auth, people):
    auth.login("animateur")
    page = client.get(BASE, query_string={"disponible_le": "15/01/2027"}).get_data(as_text=True)
    assert "date invalide" not in page
    assert 'value="2027-01-15"' in page


def test_admin_may_search_too(client, auth, people):
    auth.login("admin")
    assert client.get(BASE).status_code == 200


# --- export -----------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    text = response.data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_count_of_people_found_is_french(client, auth, people):
    auth.login("animateur")
    page = html_of(client.get(f"{BASE}?q=plomberie+sous-marine"))
    assert "0 personne correspondant à la recherche" in page  # 0 takes the singular


def test_a_person_opened_from_a_search_leads_back_to_that_search(client, auth, people):
    auth.login("animateur")
    search = (
        f"{BASE}?q=comptabilit%C3%A9+g%C3%A9n%C3%A9rale&autour={f.ARCACHON}&rayon=15&tri=recent"
    )
    page = html_of(client.get(search))
    link = html.unescape(re.search(r'href="(/animateur/cvtheque/ines\?[^"]+)"', page).group(1))
    assert link.startswith(f"{BASE}/ines?retour=")
    person = html_of(client.get(link))
    back = html.unescape(re.search(r'class="breadcrumb"><a href="([^"]+)"', person).group(1))
    assert "Retour aux résultats" in person
    again = html_of(client.get(back))
    assert again.count('href="/animateur/cvtheque/ines?') == 1  # the same search, found again
    assert "q=comptabilit%C3%A9+g%C3%A9n%C3%A9rale" in back and "rayon=15" in back
    assert "tri=recent" in back and "page=1" in back


def test_export_holds_every_filtered_row_escaped_and_is_audited(client, auth, people):
    # More people than one page: the export is the search, not the page.
    f.load(f.document(candidates=[f.candidate(skills=["comptabilité"]) for _ in range(30)]))
    f.load(f.document(candidates=[f.candidate(skills=["menuiserie"], rome=[])]))
    user = auth.login("animateur")
    response = client.get(f"{BASE}/export/csv", query_string={"q": "compta"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="cvtheque-')
    rows = _csv_rows(response)
    header, body = rows[0], rows[1:]
    assert header[0] == "Référence" and "Compétences" in header
    refs = {row[0] for row in body}
    expected = {
        c.ref
        for c in db.session.scalars(select(Candidate))
        if c.ref != "paul" and "menuiserie" not in c.skill_labels
    }
    assert refs == expected and len(body) == 32
    trap = next(row for row in body if row[0] == "piege")
    assert trap[1] == '\'=HYPERLINK("x")'
    assert trap[2] == "'+33 6"
    assert trap[4] == "'-1"
    assert trap[16] == "'@import"
    (entry,) = audit_entries("cv_export")
    assert entry.actor_id == user.id
    assert entry.details["rows"] == 32 and entry.details["format"] == "csv"
    assert entry.details["filters"] == {"text": "compta"}


def test_export_xlsx_follows_the_filters(client, auth, people):
    auth.login("animateur")
    response = client.get(f"{BASE}/export/xlsx", query_string={"commune": f.GUJAN})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][0] == "piege"
    assert values[1][1] == '\'=HYPERLINK("x")'
    assert audit_entries("cv_export")[0].details["filters"] == {"commune": f.GUJAN}
    assert client.get(f"{BASE}/export/pdf").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"heures_min": "abc"},
        {"commune": "99999"},
        {"statut": "nope"},
        {"jours": "xyz"},
        {"confirme": "peut-etre"},
        {"source": "nimportequoi"},
        {"tri": "taille"},
        {"heures_min": "30", "heures_max": "5"},
    ],
)
def test_an_export_with_a_refused_filter_exports_nothing(client, auth, people, query):
    """A filter the page refuses is left out of its search, with its message; the export
    of such a query (an address typed or kept) exported every person instead, without a
    word. It exports nothing, shows the search with the message, and logs no export."""
    auth.login("animateur")
    response = client.get(f"{BASE}/export/csv", query_string=query)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(BASE)
    page = html_of(client.get(response.headers["Location"]))
    assert "Certains filtres n&#39;ont pas été appliqués" in page or (
        "Certains filtres n'ont pas été appliqués" in page
    )
    assert "Export non fait" in page
    assert audit_entries("cv_export") == []


# --- candidate page ---------------------------------------------------------------------


def _lead_for(person: Candidate, operator_ref: str = "ge-a", *, accepted: bool = True):
    f.load(
        f.document(
            operators=[f.operator(ref=operator_ref)],
            companies=[f.company(ref=f"c-{operator_ref}", name="Boulangerie Dupin")],
            needs=[f.need(ref=f"n-{operator_ref}", company=f"c-{operator_ref}", title="Comptable")],
        )
    )
    need = db.session.scalars(select(Need).where(Need.ref == f"n-{operator_ref}")).one()
    workflows.transition(db.session, need, workflows.NEED, "qualifie")
    operator = db.session.scalars(select(Operator).where(Operator.ref == operator_ref)).one()
    lead = send_lead(db.session, needs=[need], operator=operator, candidates=[person])
    if accepted:
        flow.accept(db.session, lead)
    db.session.commit()
    return lead


def test_a_record_shows_its_leads_and_history_a_page_at_a_time(client, auth, people, monkeypatch):
    # A person named in 1,500 leads, with 1,600 events, made a page of 2.8 MB.
    monkeypatch.setattr("connectences.web.library.RECORD_PER_PAGE", 2)
    person = by_ref(Candidate, "ines")
    for n in range(5):
        record_event(
            db.session, person, "updated", f"Changement n° {n}.", actor_label="la personne"
        )
    db.session.commit()
    for ref in ("ge-a", "ge-b", "ge-c"):
        _lead_for(person, ref)
    auth.login("animateur")
    html = client.get(f"{BASE}/ines").get_data(as_text=True)
    history = _section_holding(html, "titre-historique")
    assert history.count("<li><time") == 2 and "Changement n° 4." in history
    assert f'href="{BASE}/ines?historique=2#titre-historique" rel="next"' in history
    leads = _section_holding(html, "titre-propositions")
    assert leads.count('<th scope="row" data-label="Envoyée le">') == 2
    assert f'href="{BASE}/ines?propositions=2#titre-propositions" rel="next"' in leads
    second = client.get(f"{BASE}/ines?propositions=2&historique=99").get_data(as_text=True)
    leads = _section_holding(second, "titre-propositions")
    assert leads.count('<th scope="row" data-label="Envoyée le">') == 1
    # Past the end: the last page of the history, its oldest events.
    history = _section_holding(second, "titre-historique")
    assert "Changement n° 0." in history and "Changement n° 4." not in history


def test_candidate_page_shows_everything_and_is_audited(client, auth, people):
    person = by_ref(Candidate, "ines")
    person.notes = "Rencontrée au forum de Gujan."
    record_event(db.session, person, "updated", "Téléphone modifié.", actor_label="la personne")
    db.session.commit()
    _lead_for(person)
    user = auth.login("animateur")
    response = client.get(f"{BASE}/ines")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "Inès Marchal",
        "ines@exemple.fr",
        "Comptabilité générale",
        "M1203",
        "Employé qualifié",
        f"de 7 à 35{NBSP}h",
        "mardi",
        "CDI à temps partagé",
        "04/01/2027",
        "forum",
        "Consentement",
        "Adresse e-mail confirmée",
        "Dernier contact",
        "Rencontrée au forum de Gujan.",
        "Téléphone modifié.",
        "Boulangerie Dupin",
        "Acceptée",
        "Pas de CV déposé.",
    ):
        assert text in page, text
    (entry,) = audit_entries("cv_view")
    assert entry.actor_id == user.id and entry.entity_id == person.id
    assert client.get(f"{BASE}/personne-inconnue").status_code == 404


def test_status_change_is_recorded(client, auth, people):
    user = auth.login("animateur")
    response = client.post(f"{BASE}/ines/statut", data={"statut": "en_mission"})
    assert response.status_code == 302
    person = by_ref(Candidate, "ines")
    assert person.status == "en_mission"
    (event,) = db.session.scalars(
        select(CandidateEvent).where(CandidateEvent.candidate_id == person.id)
    ).all()
    assert event.kind == "status" and event.actor_id == user.id
    assert event.details == {"from": "disponible", "to": "en_mission"}
    page = client.get(f"{BASE}/ines").get_data(as_text=True)
    assert "Statut : Disponible → En mission." in page
    for status in ("place", "inactif", "disponible"):
        client.post(f"{BASE}/ines/statut", data={"statut": status})
        assert by_ref(Candidate, "ines").status == status
    response = client.post(
        f"{BASE}/ines/statut", data={"statut": "vacances"}, follow_redirects=True
    )
    assert "Choisissez un statut de la liste." in response.get_data(as_text=True)
    assert by_ref(Candidate, "ines").status == "disponible"


def test_notes_and_contact(client, auth, people):
    auth.login("animateur")
    before = by_ref(Candidate, "ines").last_contact_at
    stamp = read_stamp_at(client, f"{BASE}/ines")
    client.post(f"{BASE}/ines/notes", data={"notes": "  Préfère les matinées.  ", "lu_le": stamp})
    assert by_ref(Candidate, "ines").notes == "Préfère les matinées."
    stamp = read_stamp_at(client, f"{BASE}/ines")
    response = client.post(
        f"{BASE}/ines/notes", data={"notes": "x" * 5001, "lu_le": stamp}, follow_redirects=True
    )
    assert "Les notes ne doivent pas dépasser 5 000 caractères" in html_of(response)
    assert by_ref(Candidate, "ines").notes == "Préfère les matinées."
    client.post(f"{BASE}/ines/contact")
    assert by_ref(Candidate, "ines").last_contact_at > before
    kinds = [
        e.kind
        for e in db.session.scalars(
            select(CandidateEvent).where(
                CandidateEvent.candidate_id == by_ref(Candidate, "ines").id
            )
        )
    ]
    assert sorted(kinds) == ["contact", "note"]


def test_notes_or_status_saved_unchanged_say_so_in_their_section(client, auth, people):
    """« Enregistrer les notes » (or the status) pressed with nothing changed brought the
    page back to its section without a word: had it been saved? It now says that
    nothing changed, where the person is, and writes nothing."""
    auth.login("animateur")
    stamp = read_stamp_at(client, f"{BASE}/ines")
    client.post(f"{BASE}/ines/notes", data={"notes": "Préfère les matinées.", "lu_le": stamp})
    stamp = read_stamp_at(client, f"{BASE}/ines")
    again = client.post(
        f"{BASE}/ines/notes",
        data={"notes": "Préfère les matinées. ", "lu_le": stamp},
        follow_redirects=True,
    )
    assert flashes_in(again, "notes") == (
        "Information : Les notes n'ont pas changé : rien n'a été modifié."
    )
    same = client.post(f"{BASE}/ines/statut", data={"statut": "disponible"}, follow_redirects=True)
    assert flashes_in(same, "statut") == (
        "Information : La personne était déjà « Disponible » : rien n'a été modifié."
    )
    events = db.session.scalars(
        select(CandidateEvent).where(CandidateEvent.candidate_id == by_ref(Candidate, "ines").id)
    ).all()
    assert [e.kind for e in events] == ["note"]


def test_refused_status_and_notes_come_back_next_to_their_fields(client, auth, people):
    auth.login("animateur")
    response = client.post(f"{BASE}/ines/statut", data={"statut": "vacances"})
    assert response.status_code == 422
    assert "Choisissez un statut de la liste." in error_of(response, "statut-choix")
    assert 'statut#erreurs-statut" novalidate' in html_of(response)
    assert by_ref(Candidate, "ines").status == "disponible"
    long_notes = "Préfère les matinées. " + "x" * 5000
    stamp = read_stamp_at(client, f"{BASE}/ines")
    response = client.post(f"{BASE}/ines/notes", data={"notes": long_notes, "lu_le": stamp})
    assert response.status_code == 422
    assert "ne doivent pas dépasser 5 000 caractères" in error_of(response, "notes-texte")
    assert f"{long_notes}</textarea>" in html_of(response)  # what was typed is kept
    assert by_ref(Candidate, "ines").notes is None
    events = db.session.scalars(
        select(CandidateEvent).where(CandidateEvent.candidate_id == by_ref(Candidate, "ines").id)
    ).all()
    assert events == []


def test_notes_saved_from_a_page_read_before_another_save_are_refused_not_overwriting(
    app, client, auth, people
):
    # Two animateurs open the person's page, each adds to the notes; the second save
    # must not silently erase the first's.
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    first_stamp = read_stamp_at(client, f"{BASE}/ines")
    second_stamp = read_stamp_at(other, f"{BASE}/ines")
    saved = client.post(
        f"{BASE}/ines/notes", data={"notes": "Préfère les matinées.", "lu_le": first_stamp}
    )
    assert saved.status_code == 302
    response = other.post(
        f"{BASE}/ines/notes", data={"notes": "Permis B, pas de voiture.", "lu_le": second_stamp}
    )
    assert response.status_code == 422
    page = html.unescape(html_of(response))
    assert "modifiées par quelqu'un d'autre" in page
    assert "Préfère les matinées." in page  # what changed meanwhile is shown
    assert "Permis B, pas de voiture.</textarea>" in page  # what was typed is kept
    assert by_ref(Candidate, "ines").notes == "Préfère les matinées."
    notes_events = db.session.scalars(
        select(CandidateEvent).where(
            CandidateEvent.candidate_id == by_ref(Candidate, "ines").id,
            CandidateEvent.kind == "note",
        )
    ).all()
    assert len(notes_events) == 1
    # The page given back holds the new stamp: sent again once read, it is saved.
    fresh = stamp_in(response)
    both = "Préfère les matinées. Permis B, pas de voiture."
    assert other.post(f"{BASE}/ines/notes", data={"notes": both, "lu_le": fresh}).status_code == 302
    assert by_ref(Candidate, "ines").notes == both


def test_notes_read_before_a_commitment_change_are_saved_what_they_edit_unchanged(
    app, client, auth, people
):
    # Tab A reads the notes; tab B adds a commitment, which stamps the person
    # (matching relies on it) but leaves the notes as read: saving them loses nothing.
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    guard = read_guard_at(client, f"{BASE}/ines", "/notes")
    assert guard.get("lu_valeurs")
    added = other.post(
        f"{BASE}/ines/engagements/nouveau",
        data={"libelle": "Ménage, Mairie", "heures": "6", "jours": ["wed"], "debut": "", "fin": ""},
    )
    assert added.status_code == 302
    assert by_ref(Candidate, "ines").updated_at.isoformat() != guard["lu_le"]
    saved = client.post(f"{BASE}/ines/notes", data={"notes": "Préfère les matinées.", **guard})
    assert saved.status_code == 302
    assert by_ref(Candidate, "ines").notes == "Préfère les matinées."
    # A form read before the digest existed (the stamp alone) is still refused.
    stale = client.post(
        f"{BASE}/ines/notes", data={"notes": "Autre chose.", "lu_le": guard["lu_le"]}
    )
    assert stale.status_code == 422
    assert by_ref(Candidate, "ines").notes == "Préfère les matinées."


def test_notes_changed_meanwhile_are_refused_even_with_the_digest(app, client, auth, people):
    auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    first = read_guard_at(client, f"{BASE}/ines", "/notes")
    second = read_guard_at(other, f"{BASE}/ines", "/notes")
    assert client.post(f"{BASE}/ines/notes", data={"notes": "A.", **first}).status_code == 302
    response = other.post(f"{BASE}/ines/notes", data={"notes": "B.", **second})
    assert response.status_code == 422
    assert "modifiées par quelqu'un d'autre" in html.unescape(html_of(response))
    assert "B.</textarea>" in html_of(response)  # what was typed is kept
    assert by_ref(Candidate, "ines").notes == "A."
    # A digest that does not match what was read (tampered, or another field's) is no pass.
    forged = {**second, "lu_valeurs": "0" * 24}
    assert other.post(f"{BASE}/ines/notes", data={"notes": "B.", **forged}).status_code == 422
    # The same notes sent again from the old page lose nothing: accepted (``holds``).
    assert other.post(f"{BASE}/ines/notes", data={"notes": " A. ", **second}).status_code == 302
    assert by_ref(Candidate, "ines").notes == "A."


def test_notes_are_refused_to_who_is_not_an_animateur_whatever_the_guard(app, client, auth, people):
    auth.login("animateur")
    guard = read_guard_at(client, f"{BASE}/ines", "/notes")
    other = app.test_client()
    auth.login("operator", client=other)
    response = other.post(f"{BASE}/ines/notes", data={"notes": "x", **guard})
    assert response.status_code == 403
    assert by_ref(Candidate, "ines").notes is None


def test_notes_sent_without_a_read_stamp_are_refused(client, auth, people):
    auth.login("animateur")
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = {"notes": "Préfère les matinées."}
        if stamp is not None:
            data["lu_le"] = stamp
        response = client.post(f"{BASE}/ines/notes", data=data)
        assert response.status_code == 422
        assert by_ref(Candidate, "ines").notes is None


# --- the CV file --------------------------------------------------------------------------


def test_cv_download_is_an_audited_attachment(client, auth, people, cv_file):
    user = auth.login("animateur")
    page = client.get(f"{BASE}/ines").get_data(as_text=True)
    assert "Télécharger le CV" in page
    response = client.get(f"{BASE}/ines/cv")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    (entry,) = audit_entries("cv_download")
    assert entry.actor_id == user.id and entry.entity_id == cv_file.id
    # No file on record, or the file is gone: 404, nothing logged.
    assert client.get(f"{BASE}/paul/cv").status_code == 404
    cv_file.cv_filename = "absent.pdf"
    db.session.commit()
    assert client.get(f"{BASE}/ines/cv").status_code == 404
    assert len(audit_entries("cv_download")) == 1


def test_may_read_cv_only_for_the_operator_of_an_accepted_lead(auth, people):
    person = by_ref(Candidate, "ines")
    lead = _lead_for(person, "ge-a", accepted=False)
    member = auth.create("operator", org_ref="ge-a")
    _lead_for(by_ref(Candidate, "paul"), "ge-b")
    other = auth.create("operator", org_ref="ge-b")
    assert not may_read_cv(db.session, member, person.id)  # sent, not accepted yet
    flow.accept(db.session, lead)
    db.session.commit()
    assert may_read_cv(db.session, member, person.id)
    assert may_read_cv(db.session, member, person.id, lead_id=lead.id)
    assert not may_read_cv(db.session, member, person.id, lead_id=lead.id + 1000)
    assert not may_read_cv(db.session, other, person.id)
    assert may_read_cv(db.session, auth.create("animateur"), person.id)
    assert may_read_cv(db.session, auth.create("admin"), person.id)
    for role in ("partner", "company", "territoire", "candidate"):
        assert not may_read_cv(db.session, auth.create(role), person.id), role
    assert not may_read_cv(db.session, None, person.id)


# --- permissions ----------------------------------------------------------------------------

ROUTES = [
    ("get", BASE),
    ("get", f"{BASE}/ines"),
    ("get", f"{BASE}/ines/cv"),
    ("get", f"{BASE}/export/csv"),
    ("get", f"{BASE}/export/xlsx"),
    ("post", f"{BASE}/ines/statut"),
    ("post", f"{BASE}/ines/notes"),
]


@pytest.mark.parametrize("role", ["operator", "partner", "company", "territoire", "candidate"])
def test_other_roles_cannot_reach_the_library(client, auth, people, cv_file, role):
    if role == "operator":
        # Even the operator of an accepted lead naming her: only through their inbox.
        _lead_for(by_ref(Candidate, "ines"), "ge-a")
        user = auth.login(role, org_ref="ge-a")
    else:
        user = auth.login(role)
    for method, url in ROUTES:
        response = getattr(client, method)(url, data={"statut": "inactif", "notes": "x"})
        assert response.status_code == 403, (role, url)
        assert b"%PDF" not in response.data and "Marchal" not in response.get_data(as_text=True)
    refused = audit_entries("cvtheque_access_refused")
    assert len(refused) == len(ROUTES)
    assert all(e.actor_id == user.id for e in refused)
    assert not any(audit_entries(a) for a in ("cv_view", "cv_download", "cv_export"))
    person = by_ref(Candidate, "ines")
    assert person.status == "disponible" and person.notes is None


def test_anonymous_visitors_are_sent_to_login(client, people, cv_file):
    for method, url in ROUTES:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/connexion" in response.headers["Location"]
    assert not any(audit_entries(a) for a in ("cv_view", "cv_download", "cv_export"))


def test_operator_reads_the_cv_through_the_accepted_lead_only(client, auth, people, cv_file):
    lead = _lead_for(by_ref(Candidate, "ines"), "ge-a", accepted=False)
    auth.login("operator", org_ref="ge-a")
    url = f"/operateur/propositions/{lead.id}/cv/{cv_file.id}"
    assert client.get(url).status_code == 404
    flow.accept(db.session, db.session.merge(lead))
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    (entry,) = audit_entries("cv_download")
    assert entry.details == {"lead": lead.id}
    assert db.session.get(User, entry.actor_id).role == "operator"


def test_the_list_names_each_persons_jobs_not_their_codes_alone(client, auth, people):
    """« M1203 — Comptabilité » in the row, on a phone as on a desktop: a tooltip on the
    bare code (abbr title) reaches neither a finger nor the keyboard."""
    auth.login("animateur")
    by_ref(Candidate, "ines").rome = ["M1203"]
    db.session.commit()
    row = re.search(r"<tr>(?:(?!</tr>).)*Inès Marchal.*?</tr>", html_of(client.get(BASE)), re.S)
    assert row, "la ligne d'Inès"
    cell = re.search(r'data-label="Métiers">(.*?)</td>', row.group(0), re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", " ", cell).split()) == "M1203 — Comptabilité"


def test_the_record_names_each_persons_jobs_as_the_list_does(client, auth, people):
    """The record cites a job as the results list and the score do, « M1203 —
    Comptabilité » (skills.rome_named), not « M1203 Comptabilité » of its own making; an
    unknown code stays shown alone."""
    auth.login("animateur")
    by_ref(Candidate, "ines").rome = ["M1203", "Z9999"]
    db.session.commit()
    page = html_of(client.get(f"{BASE}/ines"))
    cell = re.search(r"<dt>Métiers recherchés</dt>\s*<dd>(.*?)</dd>", page, re.S).group(1)
    assert " ".join(cell.split()) == "M1203 — Comptabilité, Z9999"


def _section_holding(page: str, anchor: str) -> str:
    """The HTML of the record's section holding the element ``id="{anchor}"``."""
    at = page.index(f'id="{anchor}"')
    return page[page.rindex("<section", 0, at) : page.index("</section>", at)]


def test_each_action_on_the_record_says_it_is_done_in_its_own_section(client, auth, people):
    """Noting a contact (and every action sending the browser back to its section's
    anchor) flashed its message at the top of the page: on a phone, out of view of the
    section the browser scrolled to. It is now inside that section."""
    auth.login("animateur")
    record = f"{BASE}/ines"
    new = f"{record}/engagements/nouveau"
    form = {"libelle": "Ménage, Mairie", "heures": "6", "jours": ["mon"], "debut": "", "fin": ""}
    actions = [
        (f"{record}/contact", {}, "contact", "Contact noté : la durée de conservation repart"),
        (f"{record}/statut", {"statut": "inactif"}, "statut", "Statut enregistré : Inactif."),
        (new, form, "semaine", "Engagement ajouté à la semaine de la personne."),
        (f"{record}/liens/desactiver", {"confirmer": "1"}, "liens", "Tous les liens personnels"),
    ]
    for url, data, anchor, message in actions:
        response = client.post(url, data=data)
        assert response.status_code == 302 and response.location == f"{record}#{anchor}", url
        page = html.unescape(html_of(client.get(response.location)))
        shown = _section_holding(page, anchor)
        assert 'class="flashes section-flashes"' in shown and message in shown, anchor
        assert message not in page[: page.index("<h1>")], anchor  # not at the top as well
    stamp = read_stamp_at(client, record, "/notes")
    response = client.post(f"{record}/notes", data={"notes": "Rappeler", "lu_le": stamp})
    assert response.location == f"{record}#notes"
    shown = _section_holding(
        html.unescape(client.get(response.location).get_data(as_text=True)), "notes"
    )
    assert "Fait : Notes enregistrées." in " ".join(re.sub(r"<[^>]+>", " ", shown).split())
    (held,) = by_ref(Candidate, "ines").commitments
    gone = f"{record}/engagements/{held.id}/retirer"
    stale = client.post(gone, data={"lu_le": "2000-01-01T00:00:00+00:00"})
    assert stale.location == f"{record}#semaine"
    shown = _section_holding(client.get(stale.location).get_data(as_text=True), "semaine")
    assert "flash-error" in shown and "il n&#39;est pas retiré" in shown
    stamp = read_stamp_at(client, record, f"/engagements/{held.id}/retirer")
    response = client.post(gone, data={"lu_le": stamp})
    shown = _section_holding(client.get(response.location).get_data(as_text=True), "semaine")
    assert "Engagement retiré de la semaine de la personne." in shown


def test_a_message_for_a_section_the_page_does_not_place_is_shown_at_the_top(client, auth, people):
    """A page that has not the section (another page read first) shows it at the top:
    a message is never lost."""
    auth.login("animateur")
    client.post(f"{BASE}/ines/contact")
    page = html_of(client.get(BASE))
    top = page[page.index('<div class="flashes">') : page.index("</main>")]
    assert "Fait :</strong>" in top and "Contact noté" in top
    assert "section-flashes" not in page


def _back_link(page: str) -> tuple[str, str]:
    """The record's back link: where it leads and what it reads."""
    found = re.search(r'class="breadcrumb"><a href="([^"]+)">← ([^<]+)</a>', page)
    return html.unescape(found.group(1)), found.group(2)


def test_the_records_actions_keep_the_search_it_was_opened_from(client, auth, people):
    """An action on a person's record opened from a search redirected to the record
    without its ``?retour=``: the back link read « CVthèque » instead of « Retour aux
    résultats ». Every action (and a refused one) keeps it, read as the record reads it."""
    auth.login("animateur")
    search = "q=compta&tri=recent&page=2"
    query = "?" + urlencode({"retour": search})
    record = f"{BASE}/ines"
    back = (f"{BASE}?{search}", "Retour aux résultats")
    assert _back_link(html_of(client.get(record + query))) == back
    actions = [
        ("/contact", lambda: {}, "contact"),
        ("/statut", lambda: {"statut": "inactif"}, "statut"),
        (
            "/notes",
            lambda: {"notes": "Rappeler", "lu_le": stamp_in(page, f"/notes{query}")},
            "notes",
        ),
        ("/liens/desactiver", lambda: {"confirmer": "1"}, "liens"),
    ]
    for path, data, anchor in actions:
        page = html_of(client.get(record + query))
        assert f'action="{record}{path}{query}' in page, path  # the form carries it
        response = client.post(f"{record}{path}{query}", data=data())
        assert response.location == f"{record}{query}#{anchor}", path
        assert _back_link(html_of(client.get(response.location))) == back, path
    refused = client.post(f"{record}/statut{query}", data={"statut": "parti"})
    assert refused.status_code == 422 and _back_link(html_of(refused)) == back
    # The week: the commitment's page is reached and left with it too.
    page = html_of(client.get(record + query))
    new = f"{record}/engagements/nouveau{query}"
    assert f'href="{html.escape(new)}"' in page
    assert _back_link(html_of(client.get(new)))[0] == f"{record}{query}#semaine"
    form = {"libelle": "Ménage, Mairie", "heures": "6", "jours": ["mon"], "debut": "", "fin": ""}
    assert client.post(new, data=form).location == f"{record}{query}#semaine"
    (held,) = by_ref(Candidate, "ines").commitments
    gone = f"{record}/engagements/{held.id}/retirer{query}"
    stamp = stamp_in(client.get(record + query), f"/retirer{query}")
    assert client.post(gone, data={"lu_le": stamp}).location == f"{record}{query}#semaine"


def test_a_return_that_is_not_a_search_of_the_library_is_not_kept(client, auth, people):
    """The ``?retour=`` an action keeps is read as the record reads it: only the search's
    own parameters, never an address elsewhere (no open redirect)."""
    auth.login("animateur")
    record = f"{BASE}/ines"
    for sent, kept in [
        ("https://ailleurs.example/piege", ""),
        ("//ailleurs.example", ""),
        ("next=https://ailleurs.example&q=compta", "?" + urlencode({"retour": "q=compta"})),
    ]:
        url = f"{record}/contact?" + urlencode({"retour": sent})
        response = client.post(url)
        assert response.location == f"{record}{kept}#contact", sent
        link, words = _back_link(html_of(client.get(response.location)))
        assert link.startswith(f"{BASE}") and "ailleurs" not in link, sent
        assert words == ("Retour aux résultats" if kept else "CVthèque"), sent
