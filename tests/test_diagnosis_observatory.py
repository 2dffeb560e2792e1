"""The diagnosis in the observatory: counts against a hand-counted fixture, small numbers
hidden from officers (the subtraction case included), each officer kept to their own
intercommunality, the tables downloaded as read, and the analysts' export."""

from __future__ import annotations

import csv
import html
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from connectences import territory
from connectences.extensions import db
from connectences.models import Company, Diagnosis, User, utcnow
from connectences.observatory import diagnosis as observatory
from connectences.observatory.tables import protect
from connectences.prospection import diagnosis as questionnaire
from tests.factories import COBAN, COBAS, VAL_DE_L_EYRE
from tests.helpers import audit_entries, make_company, page_text

ARCACHON, LA_TESTE, GUJAN, ANDERNOS = "33009", "33529", "33199", "33005"


def _answer(company, *, source="visite", sent_to=None, **fields) -> Diagnosis:
    """A questionnaire of ``company`` answered with ``fields`` (lists for the boxes)."""
    form = MultiDict()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            form.add(key, item)
    diagnosis = Diagnosis(company_id=company.id, source=source, sent_to=sent_to)
    if sent_to:
        diagnosis.sent_at = utcnow()
    db.session.add(diagnosis)
    questionnaire.record_answer(db.session, diagnosis, questionnaire.check_answer(form))
    db.session.commit()
    return diagnosis


def _fixture():
    """Seven companies of the COBAS (one answered twice, one link not answered) and two
    of the COBAN; counted by hand in the tests below."""
    cobas = [make_company(commune=c) for c in (ARCACHON, LA_TESTE, GUJAN) * 3]
    c1, c2, c3, c4, c5, c6, c7, c8, _ = cobas
    _answer(c1, difficulty="fortes", cause=["pas_de_candidats", "logement"],
            competence_1="Comptabilité", shared_time="oui", formation="obligatoire",
            contrainte="transports")  # fmt: skip
    _answer(c2, difficulty="fortes", cause="pas_de_candidats", competence_1="Comptabilité",
            competence_2="Personnel de cuisine", shared_time="oui", formation="adaptation",
            contrainte=["transports", "logement_cher"], source="lien",
            sent_to="patron@c2.example")  # fmt: skip
    _answer(c3, difficulty="quelques", cause=["pas_de_candidats", "horaires"],
            competence_1="Personnel de cuisine", shared_time="peut_etre", formation="aucune",
            contrainte="aucune")  # fmt: skip
    _answer(c4, difficulty="quelques", cause="pas_de_candidats", shared_time="oui",
            formation="obligatoire", contrainte="transports")  # fmt: skip
    _answer(c5, difficulty="fortes", cause=["pas_de_candidats", "logement"],
            competence_1="Comptabilité", shared_time="oui", formation="obligatoire",
            contrainte="transports")  # fmt: skip
    _answer(c6, difficulty="aucune", shared_time="non", formation="aucune", contrainte="aucune")
    # c7 answered twice: only its newer answer counts.
    _answer(c7, difficulty="aucune", shared_time="non", formation="aucune", contrainte="aucune")
    _answer(c7, difficulty="fortes", cause="pas_de_candidats", competence_1="Comptabilité",
            shared_time="oui", formation="obligatoire", contrainte="transports")  # fmt: skip
    # c8 was sent the link and has not answered: not counted.
    db.session.add(Diagnosis(company_id=c8.id, source="lien", sent_to="x@c8.example",
                             sent_at=utcnow()))  # fmt: skip
    db.session.commit()
    d1, d2 = make_company(commune=ANDERNOS), make_company(commune=ANDERNOS)
    _answer(d1, difficulty="fortes", cause="pas_de_candidats", shared_time="oui",
            formation="obligatoire", contrainte="transports")  # fmt: skip
    _answer(d2, difficulty="quelques", cause="salaire", shared_time="non", formation="aucune",
            contrainte="aucune")  # fmt: skip


def _table(figures, key: str, siren: str) -> dict[str, object]:
    """label -> count of ``siren``'s column (None when hidden from this reader)."""
    table = figures.table(key)
    column = [s for s, _name in figures.epcis].index(siren)
    return {
        row.label: None if row.cells[column].hidden else row.cells[column].value
        for row in table.rows
    }


def test_counts_match_the_hand_counted_fixture():
    _fixture()
    seen = observatory.diagnosis_figures(db.session)
    assert seen.respondents == {COBAS: 7, COBAN: 2, VAL_DE_L_EYRE: 0}
    assert _table(seen, "difficulte", COBAS) == {
        "Aucune difficulté": 1,
        "Quelques difficultés": 2,
        "De fortes difficultés": 4,
    }
    causes = _table(seen, "cause", COBAS)
    assert causes["Pas ou trop peu de candidats"] == 6
    assert causes["Pas de logement près du travail"] == 2
    assert causes["Horaires ou saisonnalité peu attractifs"] == 1
    assert causes["Salaire jugé insuffisant"] == 0
    assert _table(seen, "cause", COBAN)["Salaire jugé insuffisant"] == 1
    # Skills, most cited first.
    assert list(_table(seen, "competence", COBAS).items()) == [
        ("Comptabilité", 4),
        ("Personnel de cuisine", 2),
    ]
    assert _table(seen, "temps_partage", COBAS) == {
        "Oui": 5,
        "Peut-être, je voudrais en savoir plus": 1,
        "Non": 1,
    }
    formation = _table(seen, "formation", COBAS)
    assert formation["Formations obligatoires (sécurité, hygiène, habilitations)"] == 4
    assert formation["Former une nouvelle recrue à son poste"] == 1
    assert formation["Pas de besoin de formation"] == 2
    constraints = _table(seen, "contrainte", COBAS)
    assert constraints["Transports en commun absents ou inadaptés aux horaires"] == 5
    assert constraints["Logement trop cher près du travail"] == 1
    assert constraints["Aucune contrainte connue"] == 2
    assert _table(seen, "difficulte", VAL_DE_L_EYRE) == dict.fromkeys(
        questionnaire.DIFFICULTIES.values(), 0
    )
    # One intercommunality alone gives the same counts.
    alone = observatory.diagnosis_figures(db.session, COBAN)
    assert alone.respondents == {COBAN: 2}
    assert _table(alone, "difficulte", COBAN) == _table(seen, "difficulte", COBAN)


def test_each_cell_names_the_companies_behind_it_and_what_adds_up():
    """The protection reads these: whom a count describes, and which counts sum to which."""
    _fixture()
    companies = db.session.scalars(select(Company).order_by(Company.id)).all()
    c1, c2, c3, c4, c5, c6, c7 = (f"c{c.id}" for c in companies[:7])
    d1, d2 = (f"c{c.id}" for c in companies[9:11])
    seen = observatory.diagnosis_figures(db.session)
    shared = seen.table("temps_partage")
    assert shared.columns == ("Réponse", "COBAS", "COBAN", "CC du Val de l'Eyre", "Ensemble")
    oui = shared.rows[0]
    assert [set(cell.members) for cell in oui.cells] == [
        {c1, c2, c4, c5, c7},
        {d1},
        set(),
        {c1, c2, c4, c5, c7, d1},
    ]
    # Single answer: the rows add up, in every column, to the companies that answered.
    assert shared.total.label == "Entreprises ayant répondu"
    assert [cell.value for cell in shared.total.cells] == [7, 2, 0, 9]
    assert shared.additive == (0, 1, 2, 3) and shared.parts == {3: (0, 1, 2)}
    # Several answers: no total to subtract from, but the "Ensemble" column still sums.
    causes = seen.table("cause")
    assert causes.total is None and causes.additive == () and causes.parts == {3: (0, 1, 2)}
    assert set(causes.rows[0].cells[0].members) == {c1, c2, c3, c4, c5, c7}
    assert set(causes.rows[0].cells[1].members) == {d1}
    # A company counts once in a row, whatever it ticked: c2 cited two skills, once each.
    skills = {row.label: row.cells[0].members for row in seen.table("competence").rows}
    assert skills["Personnel de cuisine"] == {c2, c3}
    assert d2 in seen.table("difficulte").rows[1].cells[1].members
    # One intercommunality: one column, nothing beside it to subtract from.
    alone = observatory.diagnosis_figures(db.session, COBAS).table("temps_partage")
    assert alone.columns == ("Réponse", "COBAS") and alone.parts == {}
    assert alone.additive == (0,)


def test_officers_read_small_counts_as_less_than_five_and_cannot_subtract():
    _fixture()
    seen = observatory.figures_for(db.session, COBAS, exact=False)
    assert seen.respondents == {COBAS: 7}
    assert _table(seen, "difficulte", COBAS) == dict.fromkeys(questionnaire.DIFFICULTIES.values())
    # Subtraction: 7 answered, "Oui" 5: 7 - 5 would give the two others away, so "Oui"
    # is hidden too, and the 7 stays.
    assert _table(seen, "temps_partage", COBAS) == {
        "Oui": None,
        "Peut-être, je voudrais en savoir plus": None,
        "Non": None,
    }
    assert seen.table("temps_partage").total.cells[0].text == "7"
    causes = _table(seen, "cause", COBAS)
    assert causes["Pas ou trop peu de candidats"] == 6  # several answers: no total to subtract
    assert causes["Pas de logement près du travail"] is None
    assert causes["Salaire jugé insuffisant"] == 0  # describes nobody
    assert (
        _table(seen, "contrainte", COBAS)["Transports en commun absents ou inadaptés aux horaires"]
        == 5
    )
    assert all(v is None for v in _table(seen, "competence", COBAS).values())
    coban = observatory.figures_for(db.session, COBAN, exact=False)
    assert coban.respondents == {COBAN: None}
    assert [v for v in _table(coban, "cause", COBAN).values() if v != 0] == [None, None]
    # Side by side, the "Ensemble" column is a sum too: COBAN's single company short of
    # candidates hidden, the COBAS's 6 goes with it, or 7 - 6 would give it away.
    both = observatory.diagnosis_figures(db.session)
    protected = protect(both.table("cause"))
    assert protected.rows[0].label == "Pas ou trop peu de candidats"
    assert [cell.text for cell in protected.rows[0].cells] == ["secret", "secret", "0", "7"]
    # The staff read every figure exact.
    assert observatory.figures_for(db.session, COBAS, exact=True).respondents == {COBAS: 7}


def _cells(response, key: str) -> dict[str, list[str]]:
    """The rows of the table under the heading ``titre-<key>``: label -> cells."""
    page = response.get_data(as_text=True)
    section = page.split(f'id="titre-{key}"', 1)[1].split("</section>", 1)[0]
    rows = {}
    for label, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', section, re.S):
        rows[html.unescape(label)] = [
            html.unescape(c).replace("\u202f", " ").replace("\u00a0", " ")
            for c in re.findall(r'<td class="num"[^>]*>(.*?)</td>', cells)
        ]
    return rows


def test_an_officer_sees_only_their_intercommunality_protected(client, auth):
    _fixture()
    officer = auth.login("territoire")  # of the COBAS
    page = client.get("/observatoire/diagnostic")
    assert page.status_code == 200
    text = page_text(page)
    assert _cells(page, "temps_partage") == {
        "Oui": ["secret"],
        "Peut-être, je voudrais en savoir plus": ["secret"],
        "Non": ["secret"],
        "Entreprises ayant répondu": ["7"],
    }
    assert _cells(page, "cause")["Pas ou trop peu de candidats"] == ["6"]
    assert "Ensemble" not in text and "COBAN" not in text
    # The export is the staff's; another intercommunality is refused, and logged.
    assert client.get("/observatoire/diagnostic/export.csv").status_code == 403
    assert client.get(f"/observatoire/diagnostic?epci={COBAN}").status_code == 403
    assert [e.actor_id for e in audit_entries("diagnosis_scope_refused")] == [officer.id]
    assert client.get(f"/observatoire/diagnostic?epci={COBAS}").status_code == 200
    # The page is in the officer's navigation, beside the observatory.
    assert 'href="/observatoire/diagnostic"' in client.get("/territoire").get_data(as_text=True)


def test_an_officer_of_the_coban_reads_only_hidden_figures(client, auth):
    _fixture()
    auth.login("territoire", org_ref=COBAN)
    page = client.get("/observatoire/diagnostic")
    # Two companies answered: each answer and their total hidden; nobody said "none".
    assert _cells(page, "difficulte") == {
        "Aucune difficulté": ["0"],
        "Quelques difficultés": ["secret"],
        "De fortes difficultés": ["secret"],
        "Entreprises ayant répondu": ["secret"],
    }
    assert client.get(f"/observatoire/diagnostic?epci={COBAS}").status_code == 403


def test_animateurs_read_exact_counts_side_by_side(client, auth):
    _fixture()
    auth.login("animateur")
    page = client.get("/observatoire/diagnostic")
    assert page.status_code == 200
    # Columns: COBAS, COBAN, Val de l'Eyre, all three.
    assert _cells(page, "temps_partage")["Oui"] == ["5", "1", "0", "6"]
    assert _cells(page, "difficulte")["Quelques difficultés"] == ["2", "1", "0", "3"]
    one = client.get(f"/observatoire/diagnostic?epci={COBAN}")
    assert _cells(one, "cause")["Salaire jugé insuffisant"] == ["1"]


def test_the_tables_download_as_the_reader_sees_them(client, auth):
    _fixture()
    auth.login("territoire")  # of the COBAS
    response = client.get("/observatoire/diagnostic/tableaux/temps_partage.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Réponse", "COBAS"],
        ["Oui", "secret"],
        ["Peut-être, je voudrais en savoir plus", "secret"],
        ["Non", "secret"],
        ["Entreprises ayant répondu", "7"],
    ]
    workbook = load_workbook(io.BytesIO(client.get("/observatoire/diagnostic/tableaux.xlsx").data))
    assert "Petits nombres protégés" in str(workbook["Diagnostic"]["B3"].value)
    sheet = list(workbook["Difficultés de recrutement"].iter_rows(values_only=True))
    assert sheet[1:4] == [("Aucune difficulté", "secret"), ("Quelques difficultés", "secret"),
                          ("De fortes difficultés", "secret")]  # fmt: skip
    # Another intercommunality's tables are refused, as its page is.
    for path in ("tableaux.xlsx", "tableaux/cause.csv"):
        assert client.get(f"/observatoire/diagnostic/{path}?epci={COBAN}").status_code == 403
    assert client.get("/observatoire/diagnostic/tableaux/inconnu.csv").status_code == 404
    auth.logout()
    auth.login("animateur")
    rows = client.get("/observatoire/diagnostic/tableaux/temps_partage.csv")
    rows = list(csv.reader(io.StringIO(rows.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["Oui", "5", "1", "0", "6"]


def test_the_export_has_one_row_per_questionnaire_and_no_person(client, auth):
    _fixture()
    auth.login("animateur", full_name="Léa Martin")
    response = client.get("/observatoire/diagnostic/export.csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert tuple(rows[0]) == questionnaire.EXPORT_HEADERS
    assert len(rows) - 1 == 10  # 9 companies answered, one of them twice
    assert "patron@c2.example" not in body and "x@c8.example" not in body
    animateurs = db.session.scalars(select(User.full_name)).all()
    assert all(name not in body for name in animateurs if name)
    by_siret = {}
    for row in rows[1:]:
        by_siret.setdefault(row[3], []).append(dict(zip(rows[0], row, strict=True)))
    c2 = next(r for rs in by_siret.values() for r in rs if r["Formation"].startswith("Former"))
    assert c2["Rempli par"] == "L'entreprise (lien reçu)"
    assert c2["Métiers et compétences d'ici 1 à 3 ans"] == "Comptabilité ; Personnel de cuisine"
    assert c2["Codes ROME"] == "M1203 ; G1602"
    assert c2["Intercommunalité"] == territory.epci_label(LA_TESTE)
    assert c2["Commune"] == territory.commune_label(LA_TESTE)
    assert c2["Déplacements et logement des salariés"] == (
        "Transports en commun absents ou inadaptés aux horaires ; "
        "Logement trop cher près du travail"
    )
    twice = [rs for rs in by_siret.values() if len(rs) == 2]
    assert len(twice) == 1
    workbook = load_workbook(io.BytesIO(client.get("/observatoire/diagnostic/export.xlsx").data))
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == questionnaire.EXPORT_HEADERS and len(values) == 11
    assert [v[3] for v in values[1:]] == [r[3] for r in rows[1:]]
