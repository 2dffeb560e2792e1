"""Small numbers: an officer never reads a figure describing 1 to 4 companies or people,
nor works one out by subtracting visible cells from a total; the staff read exact
figures; an officer reads only its own intercommunality."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from connectences.extensions import db
from connectences.models import Candidate
from connectences.models.base import utcnow
from connectences.observatory import figures
from connectences.observatory.tables import COUNT, HOURS, Cell, Row, Table, protect
from tests import factories, observatory_world


def members(n: int, prefix: str = "c") -> frozenset:
    return frozenset(f"{prefix}{i}" for i in range(n))


def cell(n: int, prefix: str = "c") -> Cell:
    return Cell(n, COUNT, members(n, prefix))


def table(*counts: int, total: bool = True) -> Table:
    rows = tuple(Row(f"ligne {i}", (cell(n, f"r{i}-"),)) for i, n in enumerate(counts))
    every = frozenset().union(*(r.cells[0].members for r in rows))
    return Table(
        key="t",
        title="T",
        columns=("Ligne", "Besoins"),
        rows=rows,
        explanation="…",
        total=Row("Total", (Cell(len(every), COUNT, every),)) if total else None,
        additive=(0,),
    )


def hidden(t: Table) -> list[bool]:
    return [row.cells[0].hidden for row in t.rows]


def recoverable(t: Table, column: int = 0) -> int | None:
    """What a reader recovers by subtracting the visible cells of a column from its
    visible total: the number of members behind the hidden cells together (None when the
    total is hidden or nothing is)."""
    if t.total is None or t.total.cells[column].hidden:
        return None
    gone = [row.cells[column] for row in t.rows if row.cells[column].hidden]
    if not gone:
        return None
    return len(frozenset().union(*(c.members for c in gone)))


def test_a_cell_of_1_to_4_is_hidden_5_and_0_are_shown():
    shown = protect(table(5, 0, 12, 7))
    assert hidden(shown) == [False, False, False, False]
    shown = protect(table(4, 12, 9))
    assert shown.rows[0].cells[0].text == "secret"


def test_subtraction_cannot_give_back_a_hidden_cell():
    # 10 + 6 + 1 = 17 shown as total: hiding only the 1 would let 17 - 10 - 6 = 1 be read.
    shown = protect(table(10, 6, 1))
    assert hidden(shown) == [False, True, True]
    assert shown.total.cells[0].text == "17"
    assert recoverable(shown) >= 5
    # Two small cells are not enough together (1 + 2 < 5): a larger one goes with them.
    shown = protect(table(20, 8, 1, 2))
    assert hidden(shown) == [False, True, True, True]
    assert recoverable(shown) == 11


def test_a_neighbour_hidden_for_a_small_cell_reads_the_same_mark():
    # Tempting to mark it "5 ou plus" since it describes 5 or more, but then 7 answers
    # split "5 ou plus", "< 5", "< 5" give 5, 1 and 1 back to anyone (at least 5, at least
    # 1 each). One mark for every hidden figure, which says nothing of its size (it may be
    # large: "< 5" was false of it); the note beside the figures says why.
    shown = protect(table(5, 1, 1))
    assert [row.cells[0].text for row in shown.rows] == ["secret", "secret", "secret"]
    assert shown.total.cells[0].text == "7"


def test_a_total_under_5_is_hidden_with_every_cell():
    shown = protect(table(1, 2))
    assert hidden(shown) == [True, True]
    assert shown.total.cells[0].hidden and shown.total.cells[0].text == "secret"


def test_a_measure_describing_too_few_reads_the_same_mark():
    t = Table(
        key="h",
        title="H",
        columns=("Ligne", "Heures"),
        rows=(Row("a", (Cell(12.5, HOURS, members(2)),)),),
        explanation="…",
    )
    assert protect(t).rows[0].cells[0].text == "secret"


def test_cells_of_a_row_that_sum_to_another_are_protected_together():
    # 7 placements followed: 1 still in post, 6 no longer, 0 pending.
    row = Row("À 1 mois", (cell(7, "p"), cell(1, "p"), cell(6, "q"), cell(0)))
    t = Table(
        "m", "M", ("Point", "Suivis", "Oui", "Non", "Attente"), (row,), "…", parts={0: (1, 2, 3)}
    )
    cells = protect(t).rows[0].cells
    assert [c.hidden for c in cells] == [False, True, True, False]


def test_no_protected_figure_of_the_territory_lets_anyone_subtract_to_a_person():
    observatory_world.build()
    seen = figures.observatory(db.session, factories.COBAS, "tout", now=observatory_world.NOW)
    for t in seen.tables:
        shown = protect(t)
        if t.private_labels:  # rows about too few are left out, labels and all
            assert all(len(row.cells[0].members) >= 5 for row in shown.rows), t.key
            continue
        for row, raw in zip(shown.all_rows, t.all_rows, strict=True):
            for c, original in zip(row.cells, raw.cells, strict=True):
                if 0 < len(original.members) < 5:
                    assert c.hidden, (t.key, row.label)
        for column in t.additive:
            got = recoverable(shown, column)
            assert got is None or got >= 5, (t.key, column)


@pytest.fixture
def territory():
    """COBAS: 6 companies in Arcachon, 6 in La Teste-de-Buch and 1 in Gujan-Mestras, one
    need each; the COBAN: one need in Andernos."""
    for i in range(13):
        commune = factories.ARCACHON if i < 6 else factories.LA_TESTE if i < 12 else factories.GUJAN
        company = observatory_world._company(f"t{i}", commune, "56.10A", 3)
        db.session.flush()
        observatory_world._need(company, "M1203", 7, "2026-05-02")
    other = observatory_world._company("coban", observatory_world.ANDERNOS, "56.10A", 3)
    db.session.flush()
    observatory_world._need(other, "M1203", 7, "2026-05-02")
    db.session.commit()


def page(client, url: str) -> str:
    """The page's text as compared whole, its forms' security tokens left out: each
    request signs its own, with the second it was made."""
    response = client.get(url)
    assert response.status_code == 200, url
    text = " ".join(html.unescape(response.get_data(as_text=True)).split())
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', text)
    return re.sub(r'data-csrf="[^"]*"', "data-csrf", text)  # the keep-alive script's


def test_the_officer_reads_small_numbers_protected_and_the_staff_exact(app, territory, auth):
    officer = app.test_client()
    auth.login("territoire", client=officer)
    seen = page(officer, "/territoire")
    assert '<th scope="row">Arcachon</th><td class="num">6</td>' in seen
    # Gujan-Mestras (1) is hidden, and so is La Teste-de-Buch: 13 - 6 would give it back.
    assert '<th scope="row">Gujan-Mestras</th><td class="num">secret</td>' in seen
    assert '<th scope="row">La Teste-de-Buch</th><td class="num">secret</td>' in seen
    assert '<tfoot><tr><th scope="row">Total</th><td class="num">13</td>' in seen
    assert "Andernos" not in seen
    staff = app.test_client()
    auth.login("animateur", client=staff)
    exact = page(staff, f"/territoire/intercommunalites/{factories.COBAS}")
    assert '<th scope="row">Gujan-Mestras</th><td class="num">1</td>' in exact
    assert '<th scope="row">La Teste-de-Buch</th><td class="num">6</td>' in exact


def test_charts_drawn_for_the_staff_are_never_shown_to_an_officer(app, territory, auth):
    """The sections are drawn once per computed figures and kind of reader: the staff's
    exact ones, drawn first, are not what an officer of the same territory reads next."""
    staff = app.test_client()
    auth.login("animateur", client=staff)
    staff.get("/animateur")  # the login's message shown, pages compare whole below
    exact = page(staff, f"/territoire/intercommunalites/{factories.COBAS}")
    assert '<th scope="row">Gujan-Mestras</th><td class="num">1</td>' in exact
    officer = app.test_client()
    auth.login("territoire", client=officer)
    officer.get("/territoire")
    seen = page(officer, "/territoire")
    assert '<th scope="row">Gujan-Mestras</th><td class="num">secret</td>' in seen
    assert '<th scope="row">Gujan-Mestras</th><td class="num">1</td>' not in seen
    # Read again, each from what was kept for it.
    assert page(staff, f"/territoire/intercommunalites/{factories.COBAS}") == exact
    assert page(officer, "/territoire") == seen


def test_an_officer_is_refused_another_intercommunality(app, territory, auth):
    officer = app.test_client()
    auth.login("territoire", client=officer)  # an officer of the COBAS
    assert officer.get(f"/territoire/intercommunalites/{factories.COBAN}").status_code == 403
    assert officer.get(f"/territoire/intercommunalites/{factories.COBAS}").status_code == 200
    assert officer.get("/territoire/intercommunalites").status_code == 403
    for role, status in (("operator", 403), ("company", 403), ("animateur", 200), ("admin", 200)):
        other = app.test_client()
        auth.login(role, client=other)
        url = f"/territoire/intercommunalites/{factories.COBAN}"
        assert other.get(url).status_code == status, role


def test_who_reads_which_observatory(auth):
    from connectences.accounts.scope import observatory_view

    officer = auth.create("territoire")  # of the COBAS
    assert observatory_view(officer, factories.COBAS) == "protected"
    assert observatory_view(officer, factories.COBAN) is None
    assert observatory_view(officer, None) is None
    for role in ("animateur", "admin"):
        assert observatory_view(auth.create(role), factories.COBAN) == "exact"
    for role in ("operator", "partner", "company", "candidate"):
        assert observatory_view(auth.create(role), factories.COBAS) is None
    officer.active = False
    assert observatory_view(officer, factories.COBAS) is None
    assert observatory_view(None, factories.COBAS) is None


def test_the_staff_choose_an_intercommunality_among_those_with_needs(app, territory, auth):
    staff = app.test_client()
    auth.login("admin", client=staff)
    listed = page(staff, "/territoire/intercommunalites")
    assert f'href="/territoire/intercommunalites/{factories.COBAS}">' in listed
    assert "CA Bassin d'Arcachon Sud (COBAS)</a> — 13 besoins" in listed
    assert "CA du Bassin d'Arcachon Nord (COBAN)</a> — 1 besoin" in listed
    assert f"/territoire/intercommunalites/{factories.VAL_DE_L_EYRE}" not in listed


def test_a_row_whose_label_people_typed_is_left_out_when_it_describes_too_few():
    """A skill as a person wrote it may name them: under 5 people, no row at all (a
    "secret" beside "Accompagnement RQTH - Océane F. 06…" would still show the label)."""
    rows = (Row("Comptabilité", (cell(6, "a"),)), Row("RQTH - Océane F. 06 11", (cell(1, "b"),)))
    t = Table("s", "S", ("Compétence", "Personnes"), rows, "…", private_labels=True,
              empty_private="Aucune compétence assez répandue.")  # fmt: skip
    assert [row.label for row in protect(t).rows] == ["Comptabilité"]
    alone = replace(t, rows=rows[1:])
    assert protect(alone).rows == () and protect(alone).empty == "Aucune compétence assez répandue."
    # An ordinary table keeps its row, hidden.
    assert protect(replace(t, private_labels=False)).rows[1].cells[0].hidden


def test_an_officer_never_reads_the_skill_a_person_typed(app, territory, auth):
    typed = "Accompagnement RQTH - Océane Fernandes 06 11 22 33 44"
    factories.load(factories.document(candidates=[
        factories.candidate(commune=factories.ARCACHON, skills=[typed]),
        *(factories.candidate(commune=factories.ARCACHON, skills=["taille des haies"])
          for _ in range(5)),
    ]))  # fmt: skip
    db.session.execute(update(Candidate).values(email_confirmed_at=utcnow()))
    db.session.commit()
    officer = app.test_client()
    auth.login("territoire", client=officer)
    seen = page(officer, "/territoire")
    assert "Océane" not in seen and "RQTH" not in seen
    assert '<th scope="row">taille des haies</th><td class="num">5</td>' in seen
    csv = officer.get(
        f"/territoire/intercommunalites/{factories.COBAS}/competences_non_demandees.csv"
    )
    assert "Océane" not in csv.data.decode("utf-8-sig")
    staff = app.test_client()
    auth.login("animateur", client=staff)
    assert typed in page(staff, f"/territoire/intercommunalites/{factories.COBAS}")


def test_an_officer_reads_the_past_at_the_end_of_a_month_only(app, territory, auth):
    """Two views a day apart differ by that day's needs: one company's need, its commune,
    sector and hours, given back by subtraction. An officer reads past month ends."""
    base = f"/territoire/intercommunalites/{factories.COBAS}"
    officer = app.test_client()
    auth.login("territoire", client=officer)
    at_end = page(officer, f"{base}?au=2026-05-31")
    assert "Étapes telles qu'elles étaient le 31/05/2026 au soir" in at_end
    assert '<option value="2026-05-31" selected>Fin mai 2026 (31/05/2026)</option>' in at_end
    refused = page(officer, f"{base}?au=2026-05-15")
    assert figures.MONTH_END_ONLY in refused and 'aria-invalid="true"' in refused
    assert "Étapes telles qu'elles étaient" not in refused  # today's figures instead
    assert officer.get(f"{base}/communes.csv?au=2026-05-15").status_code == 404
    assert officer.get(f"{base}/observatoire.xlsx?au=2026-05-15").status_code == 404
    assert officer.get(f"{base}/communes.csv?au=2026-05-31").status_code == 200
    # The staff, who read exact figures anyway, read any past day.
    staff = app.test_client()
    auth.login("animateur", client=staff)
    assert "le 15/05/2026 au soir" in page(staff, f"{base}?au=2026-05-15")
    assert staff.get(f"{base}/communes.csv?au=2026-05-15").status_code == 200


def test_an_officer_s_month_end_older_than_the_list_is_said_selected(app, territory, auth):
    """A month end older than the months offered (a kept link) is read: the list showed
    « Aujourd'hui » chosen over figures of years ago, and the sentence under it said « Aucun
    besoin reçu pour l'instant » of a day long past."""
    from connectences.clock import local_today

    old = date(local_today().year - 3, 1, 31)
    assert old not in figures.month_ends(local_today())
    officer = app.test_client()
    auth.login("territoire", client=officer)
    shown = page(officer, f"/territoire/intercommunalites/{factories.COBAS}?au={old.isoformat()}")
    label = f"Fin janvier {old.year} ({old:%d/%m/%Y})"
    assert f'<option value="{old.isoformat()}" selected>{label}</option>' in shown
    assert shown.count(" selected>") == 2  # the period and this month end
    assert f"Aucun besoin reçu au {old:%d/%m/%Y}." in shown
    assert "pour l'instant" not in shown
    in_12m = page(
        officer, f"/territoire/intercommunalites/{factories.COBAS}?periode=12m&au={old.isoformat()}"
    )
    assert f"Aucun besoin reçu du {date(old.year - 1, 2, 1):%d/%m/%Y} au {old:%d/%m/%Y}." in in_12m


def test_an_officer_s_wrong_date_points_to_the_list_of_months(app, territory, auth):
    """An officer chooses a month end in a list: a refused date told them to choose "un
    jour dans le calendrier", which their page does not have."""
    base = f"/territoire/intercommunalites/{factories.COBAS}"
    officer = app.test_client()
    auth.login("territoire", client=officer)
    for bad, reason in (
        ("0001-01-01", "Date invalide : « 01/01/0001 » est hors des dates possibles"),
        ("9999-12-31", "Date invalide : « 31/12/9999 » est hors des dates possibles"),
        ("2026-02-30", "Date invalide : « 30/02/2026 » n'existe pas dans le calendrier"),
        ("9" * 4000, "n'est pas une date"),
        # Said as a person would: « l'observatoire ne prévoit pas » read as a riddle.
        ("2099-01-31", "Ce jour est à venir : il n'a pas encore de chiffres."),
        ("1999-12-31", "Les chiffres commencent en l'an 2000."),
    ):
        shown = page(officer, f"{base}?au={bad}")
        assert reason in shown and 'aria-invalid="true"' in shown, bad
        assert "Choisissez un mois dans la liste." in shown, bad
        assert "Choisissez un jour" not in shown, bad
    # The staff's field is a calendar: its advice is unchanged.
    staff = app.test_client()
    auth.login("animateur", client=staff)
    shown = page(staff, f"{base}?au=0001-01-01")
    assert (
        "Choisissez un jour dans le calendrier." in shown
        and "Choisissez un mois dans la liste." not in shown
    )
    shown = page(staff, f"{base}?au=2099-01-31")
    assert "Ce jour est à venir : il n'a pas encore de chiffres. Choisissez un jour passé" in shown


def test_the_month_ends_offered_to_an_officer():
    from datetime import date

    assert figures.month_ends(date(2026, 3, 10), 3) == [
        date(2026, 2, 28), date(2026, 1, 31), date(2025, 12, 31)
    ]  # fmt: skip
    today = date(2026, 12, 6)
    assert figures.parse_day("2026-11-30", today, month_end=True) == (date(2026, 11, 30), None)
    assert figures.parse_day("2024-02-29", today, month_end=True) == (date(2024, 2, 29), None)
    assert figures.parse_day("2026-11-29", today, month_end=True) == (None, figures.MONTH_END_ONLY)
    assert figures.parse_day("2026-11-29", today) == (date(2026, 11, 29), None)
    assert figures.parse_day("2026-12-06", today, month_end=True) == (None, None)  # today


def test_an_officer_never_reads_a_named_animateur_activity(app, territory, auth):
    """Visits by animateur name a member of the team: the staff read them, an
    intercommunality's officers (page, exports) do not."""
    from connectences.clock import local_today
    from connectences.models import Company, Visit

    lea = auth.create("animateur", full_name="Léa Martin")
    company = db.session.scalar(select(Company).where(Company.commune == factories.ARCACHON))
    db.session.add(Visit(company_id=company.id, animateur_id=lea.id, visited_on=local_today(),
                         channel="telephone", outcome="besoin_detecte"))  # fmt: skip
    db.session.commit()
    base = f"/territoire/intercommunalites/{factories.COBAS}"
    staff = app.test_client()
    auth.login("admin", client=staff)
    assert "Visites par animateur" in page(staff, base)
    assert staff.get(f"{base}/visites_animateur.csv").status_code == 200
    officer = app.test_client()
    auth.login("territoire", client=officer)
    seen = page(officer, base)
    assert "Visites par animateur" not in seen and "Léa Martin" not in seen
    assert "Visites par canal" in seen
    assert officer.get(f"{base}/visites_animateur.csv").status_code == 404
    import io

    from openpyxl import load_workbook

    def sheets(client):
        book = load_workbook(io.BytesIO(client.get(f"{base}/observatoire.xlsx").data))
        return {sheet.title for sheet in book.worksheets}

    assert "Visites par animateur" in sheets(staff)
    assert "Visites par animateur" not in sheets(officer) and "Visites par canal" in sheets(officer)


def test_periods_are_whole_months_so_no_view_starts_on_any_day():
    """A "3 months" counted as 91 days back from 30 September started on 2 July: with the
    view of 30 June and that of 30 September "since the start", one day's needs came back
    by subtraction. Periods are calendar months, the figures' own month included."""
    from datetime import date, datetime

    from connectences.clock import LOCAL_TZ

    def start(at, months):
        return figures.period_start(figures.end_of_day(at), months).astimezone(LOCAL_TZ)

    assert start(date(2026, 9, 30), 3) == datetime(2026, 7, 1, tzinfo=LOCAL_TZ)
    assert start(date(2026, 9, 30), 12) == datetime(2025, 10, 1, tzinfo=LOCAL_TZ)
    assert start(date(2026, 3, 31), 3) == datetime(2026, 1, 1, tzinfo=LOCAL_TZ)
    live = datetime(2026, 12, 6, 9, 30, tzinfo=LOCAL_TZ)
    assert figures.period_start(live, 3) == datetime(2026, 10, 1, tzinfo=LOCAL_TZ)
    assert figures.period_start(live, 1) == datetime(2026, 12, 1, tzinfo=LOCAL_TZ)


def _protected(period: str, now):
    from connectences.observatory.present import present

    seen = figures.observatory(db.session, factories.COBAS, period, now=now)
    return {t.key: t for t in present(seen, exact=False).tables}


def _value(t: Table, label: str, column: int = 0) -> Cell:
    return next(row for row in t.all_rows if row.label == label).cells[column]


def test_a_period_s_needs_minus_its_months_shown_give_no_hidden_month_back():
    """3 last months on 15 June: 3 companies in April (hidden), 7 in May; March's 5, out
    of the period, were the April's neighbour hidden in the trends' column. The headline's
    10 needs minus May's 7 gave April's 3 back: May hides too."""
    now = datetime(2026, 6, 15, 10, tzinfo=UTC)
    for month, count in (("2026-03-10", 5), ("2026-04-10", 3), ("2026-05-10", 7)):
        for i in range(count):
            company = observatory_world._company(f"m{month}-{i}", factories.ARCACHON, "56.10A", 3)
            db.session.flush()
            observatory_world._need(company, "M1203", 7, month)
    db.session.commit()
    shown = _protected("3m", now)
    bref, trends = shown["bref"], shown["tendances"]
    assert _value(bref, "Besoins reçus").text == "10"
    assert _value(trends, "04/2026").hidden
    for column in (0, 1):  # needs, and their hours
        months = [_value(trends, f"{m:02d}/2026", column) for m in (4, 5, 6)]
        gone = [c for c in months if c.hidden]
        assert len(gone) != 1, column
        assert len(frozenset().union(*(c.members for c in gone))) >= 5


def test_the_months_hide_alike_in_every_period_s_view():
    """The trends' months are the same in every period's view; each view settled only its
    own sum. On 15 June, 6 needs in January, 3 in April, 7 in May, 8 in June: the whole
    view hid January beside April, the 3 months' view hid May beside it and showed
    January's 6; the whole's 24 minus 6, 7 and 8 gave April's 3 back."""
    now = datetime(2026, 6, 15, 10, tzinfo=UTC)
    for month, count in (
        ("2026-01-10", 6),
        ("2026-04-10", 3),
        ("2026-05-10", 7),
        ("2026-06-10", 8),
    ):
        for i in range(count):
            company = observatory_world._company(f"m{month}-{i}", factories.ARCACHON, "56.10A", 3)
            db.session.flush()
            observatory_world._need(company, "M1203", 7, month)
    db.session.commit()
    views = {period: _protected(period, now) for period in figures.PERIODS}
    assert _value(views["tout"]["bref"], "Besoins reçus").text == "24"
    assert _value(views["3m"]["bref"], "Besoins reçus").text == "18"
    for column in (0, 1):  # needs, and their hours
        seen = {
            period: [(r.label, r.cells[column].text) for r in shown["tendances"].rows]
            for period, shown in views.items()
        }
        assert seen["tout"] == seen["12m"] == seen["3m"], column
        april = dict(seen["tout"])["04/2026"]
        assert april == "secret"
        # Together the views hide at least two months, never April alone.
        hidden = [label for label, text in seen["tout"] if text == "secret"]
        assert len(hidden) >= 2 and "04/2026" in hidden
    assert "periodes" not in views["3m"] and "periodes" not in views["tout"]


def test_the_needs_still_open_minus_the_open_steps_give_no_closed_step_back():
    """15 companies' needs still new, 1 re-oriented: the steps hide the re-oriented one
    and, beside it, the 15 new; the headline's 15 needs still open, read against the
    total of 16, gave the re-oriented need back: it hides too."""
    now = datetime(2026, 6, 15, 10, tzinfo=UTC)
    _open_but_one_reoriented()
    shown = _protected("tout", now)
    bref, steps = shown["bref"], shown["etapes"]
    assert _value(steps, "Réorienté vers un partenaire").hidden
    assert _value(steps, "Total").text == "16"
    assert _value(bref, "Besoins en cours à la fin de la période").hidden
    # The same figure reads the same everywhere: hidden in the steps, hidden as an issue.
    issues = shown["issues"]
    assert _value(issues, "Réorienté vers un partenaire").hidden
    assert _value(issues, "En attente de l'animateur (à qualifier)").hidden


def test_the_needs_still_open_hidden_in_the_whole_view_hide_in_a_shorter_period():
    """« En cours » counts every need open at the end, whatever the period: the same
    figure in each period's view. The whole view hides it (with the open steps, it gives
    the one re-oriented need back from the total), but the 3 months' view, whose steps
    count only its own needs, showed it: 21 received minus 20 open gave the re-oriented
    need back all the same."""
    now = datetime(2026, 6, 15, 10, tzinfo=UTC)
    _open_but_one_reoriented()
    for i in range(5):  # older than the 3 months: in the whole view only
        company = observatory_world._company(f"old{i}", factories.ARCACHON, "56.10A", 3)
        db.session.flush()
        observatory_world._need(company, "M1203", 7, "2025-10-10")
    db.session.commit()
    whole = _protected("tout", now)
    assert _value(whole["etapes"], "Total").text == "21"
    assert _value(whole["etapes"], "Réorienté vers un partenaire").hidden
    assert _value(whole["bref"], "Besoins en cours à la fin de la période").hidden
    three_months = _protected("3m", now)
    assert _value(three_months["bref"], "Besoins reçus").text == "16"
    assert _value(three_months["bref"], "Besoins en cours à la fin de la période").hidden
    # Unseen, the steps of every need shape the protection and are never shown.
    assert "etapes_toutes" not in three_months


def test_a_figure_hidden_in_one_table_hides_wherever_it_is_shown():
    """The steps hide 6 placed needs beside 1 re-oriented (13 - 6 would give it back);
    the headline's « 6 placed », the same figure, would have given it back all the same."""
    from connectences.observatory.tables import protect_view

    placed, other, new = cell(6, "p"), cell(1, "r"), cell(6, "n")
    every = placed.members | other.members | new.members
    steps = Table(
        "etapes",
        "E",
        ("Étape", "Besoins"),
        (Row("Nouveau", (new,)), Row("Pourvu", (placed,)), Row("Réorienté", (other,))),
        "…",
        total=Row("Total", (Cell(len(every), COUNT, every),)),
        additive=(0,),
    )
    headline = Table("bref", "B", ("Chiffre", "Valeur"), (Row("Pourvus", (placed,)),), "…")
    assert not protect(headline).rows[0].cells[0].hidden
    shown = {t.key: t for t in protect_view([steps, headline])}
    assert [r.cells[0].hidden for r in shown["etapes"].rows] == [False, True, True]
    assert shown["bref"].rows[0].cells[0].hidden


def test_an_unknown_period_is_said_on_the_page_and_refused_as_a_download(app, territory, auth):
    """A link with a period the page does not offer (an old « 6m ») reads « depuis le
    début » with its reason, and a download never holds other figures than those asked."""
    officer = app.test_client()
    auth.login("territoire", client=officer)
    seen = page(officer, "/territoire?periode=6m")
    assert "Période inconnue : choisissez-la dans la liste." in seen
    assert 'aria-invalid="true" aria-describedby="periode-erreurs"' in seen
    assert "Période inconnue" not in page(officer, "/territoire?periode=3m")
    base = f"/territoire/intercommunalites/{factories.COBAS}"
    assert officer.get(f"{base}/observatoire.xlsx?periode=6m").status_code == 404
    assert officer.get(f"{base}/bref.csv?periode=6m").status_code == 404
    assert officer.get(f"{base}/bref.csv?periode=3m").status_code == 200
    assert officer.get(f"{base}/bref.csv").status_code == 200


def _open_but_one_reoriented(count: int = 16) -> None:
    """``count`` companies' needs received on 10 May 2026, all still new but one,
    re-oriented on the 13th."""
    for i in range(count):
        company = observatory_world._company(f"o{i}", factories.ARCACHON, "56.10A", 3)
        db.session.flush()
        log = [("2026-05-12", "qualifie"), ("2026-05-13", "reoriente")] if i == 0 else []
        observatory_world._need(company, "M1203", 7, "2026-05-10", log=log)
    db.session.commit()


def test_a_large_figure_hidden_for_a_neighbour_is_never_called_small(app, auth):
    """15 needs still open hide beside the one re-oriented need (the total of 16 would give
    it back): the officer read "Besoins en cours : < 5" for 15, a false statement, on the
    page, in the exports and in the report. Every hidden figure reads "secret", which says
    nothing of its size, and the note says what it covers."""
    import io

    from openpyxl import load_workbook

    from connectences.observatory.report import monthly_report, render_html
    from connectences.observatory.tables import PROTECTION_NOTE

    _open_but_one_reoriented()
    officer = app.test_client()
    auth.login("territoire", client=officer)
    seen = page(officer, "/territoire")
    assert "<dt>Besoins en cours à la fin de la période</dt><dd>secret</dd>" in seen
    assert '<th scope="row">Nouveau</th><td class="num">secret</td>' in seen
    assert "< 5" not in seen and "&lt; 5" not in seen
    assert "quelle que soit leur taille" in seen
    base = f"/territoire/intercommunalites/{factories.COBAS}"
    csv = officer.get(f"{base}/bref.csv").data.decode("utf-8-sig")
    assert "Besoins en cours à la fin de la période;secret" in csv and "< 5" not in csv
    book = load_workbook(io.BytesIO(officer.get(f"{base}/observatoire.xlsx").data))
    cells = [c for sheet in book.worksheets for r in sheet.iter_rows(values_only=True) for c in r]
    assert "secret" in cells and "< 5" not in cells and PROTECTION_NOTE in cells
    report = monthly_report(db.session, factories.COBAS, 2026, 5)
    assert "À la fin du mois : un nombre secret de besoins réorientés." in report.summary
    assert "moins de 5" not in " ".join(report.summary)
    written = render_html(report)
    assert "&lt; 5" not in written and ">secret</td>" in written


def _reach(*sectors: tuple[int, int]) -> Table:
    """TPEs of the directory and those visited, by sector, as ``figures._reach`` builds
    them: (TPEs, visited) a row, the visited ones among the sector's TPEs."""
    from connectences.observatory.tables import PERCENT

    rows, every, reached = [], frozenset(), frozenset()
    for i, (tpes, visited) in enumerate(sectors):
        whole = members(tpes, f"s{i}-")
        part = members(visited, f"s{i}-")
        every, reached = every | whole, reached | part
        share = Cell(round(100 * visited / tpes, 1), PERCENT, part)
        rows.append(
            Row(f"secteur {i}", (Cell(tpes, COUNT, whole), Cell(visited, COUNT, part), share))
        )
    share = Cell(round(100 * len(reached) / len(every), 1), PERCENT, reached)
    total = Row(
        "Total", (Cell(len(every), COUNT, every), Cell(len(reached), COUNT, reached), share)
    )
    return Table(
        "tpe_touchees",
        "T",
        ("Secteur", "TPE", "Visitées", "Part"),
        tuple(rows),
        "…",
        total=total,
        additive=(0, 1),
        shares={2: (1, 0)},
    )


def test_a_total_share_never_says_every_hidden_sector_was_visited_whole():
    """16 TPEs, all visited: four small sectors read « secret », and the total's 16 / 16 /
    100 % told that every TPE of each of them was visited. The total's visited and share
    hide (what the visits leave of the hidden sectors is nobody, a small number)."""
    shown = protect(_reach((6, 6), (4, 4), (3, 3), (2, 2), (1, 1)))
    assert [r.cells[1].hidden for r in shown.rows] == [False, True, True, True, True]
    assert [c.text for c in shown.total.cells] == ["16", "secret", "secret"]
    # Not visited among the hidden sectors: 2 companies, a small number; a shown sector's
    # visits hide with them, then enough is left unknown.
    shown = protect(_reach((10, 7), (4, 3), (3, 2)))
    left = [r for r in shown.rows if r.cells[1].hidden]
    assert len(left) == 3 and shown.total.cells[1].text == "12"


def test_a_share_hides_with_its_part():
    """2 visited among 10 hide, and 7 among 10 beside them: 70 % of the 10 TPEs shown gave
    the 7 back, then the 2 by subtraction from the total."""
    shown = protect(_reach((10, 7), (10, 2), (10, 9)))
    for row in shown.rows:
        assert row.cells[1].hidden == row.cells[2].hidden, row.label
    assert shown.rows[0].cells[2].hidden and shown.rows[1].cells[2].hidden


def test_a_single_hidden_cell_of_a_column_is_never_left_alone():
    """A figure hidden because another table hides it (6, forced) was the only hidden
    cell of its column: the total minus the others gave it back."""
    shown = protect(table(10, 6, 7), forced=frozenset({(1, 0)}))
    assert hidden(shown) == [False, True, True]
    assert recoverable(shown) == 13


def test_an_officer_reads_no_total_share_that_gives_hidden_sectors_away(app, auth):
    """Page, CSV and XLSX: 6 TPEs of one sector and 4 of four others, all visited, with 5
    larger companies, visited too, whose needs the territory received."""
    import io

    from openpyxl import load_workbook

    from connectences.models import Visit

    nafs = ["56.10A"] * 6 + ["47.11B", "43.21A", "10.71C", "96.02A"] + ["56.10A"] * 5
    for i, naf in enumerate(nafs):
        company = observatory_world._company(f"v{i}", factories.ARCACHON, naf, 3 if i < 10 else 20)
        db.session.flush()
        db.session.add(
            Visit(company_id=company.id, channel="telephone", visited_on=utcnow().date())
        )
        if i >= 10:
            observatory_world._need(company, "M1203", 7, "2026-05-02")
    db.session.commit()
    officer = app.test_client()
    auth.login("territoire", client=officer)
    base = f"/territoire/intercommunalites/{factories.COBAS}"
    csv = officer.get(f"{base}/tpe_touchees.csv?periode=tout").data.decode("utf-8-sig")
    assert "Total;10;secret;secret" in csv, csv
    assert "100" not in csv
    seen = page(officer, "/territoire")
    figure = seen[seen.index('id="tableau-tpe_touchees"') :]
    figure = figure[: figure.index("</table>")]
    assert (
        '<th scope="row">Total</th><td class="num" data-label="TPE de l\'annuaire">10</td>'
        '<td class="num" data-label="TPE visitées">secret</td>'
    ) in figure
    assert "100" not in figure
    book = load_workbook(io.BytesIO(officer.get(f"{base}/observatoire.xlsx").data))
    sheet = next(s for s in book.worksheets if s.title.startswith("Entreprises touchées"))
    rows = list(sheet.iter_rows(values_only=True))
    assert ("Total", 10, "secret", "secret") in rows


def _tables_named_once(written: str) -> int:
    """Every table of an observatory page or report is named by the heading above it
    (aria-labelledby), which no caption repeats: read once, shown once."""
    tables = re.findall(r"<table[^>]*>", written)
    assert tables
    assert "<caption" not in written
    for tag in tables:
        named = re.search(r'aria-labelledby="([^"]+)"', tag)
        assert named, tag
        assert re.search(rf'<h[23] id="{named.group(1)}">[^<]+</h[23]>', written), tag
    return len(tables)


def test_each_table_has_one_title_the_heading_that_names_it(app, territory, auth):
    from connectences.observatory.report import monthly_report, render_html

    officer = app.test_client()
    auth.login("territoire", client=officer)
    assert _tables_named_once(officer.get("/territoire").get_data(as_text=True)) > 5
    assert _tables_named_once(render_html(monthly_report(db.session, factories.COBAS, 2026, 5)))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-11-30", (date(2026, 11, 30), None)),
        ("30/11/2026", (date(2026, 11, 30), None)),  # typed where there is no date picker
        ("2026-W49-1", (None, "Date invalide : « 2026-W49-1 » n'est pas une date")),
        ("20261130", (None, "Date invalide : « 20261130 » n'est pas une date")),
    ],
)
def test_the_day_asked_is_read_as_the_date_fields_say(typed, expected):
    """Python's fromisoformat read ``2026-W49-1`` (Monday of week 49) and ``20261130``:
    forms no field documents, now refused with the message of every date field."""
    day, error = figures.parse_day(typed, date(2026, 12, 6))
    assert day == expected[0]
    assert (error or "").startswith(expected[1] or "")
    assert (error is None) == (expected[1] is None)


def _needs_by_job(counts: dict[str, int]) -> None:
    """``count`` needs of 7 h for each ROME code, each from a company of its own in
    Arcachon, received on 10 May 2026."""
    for rome, count in counts.items():
        for i in range(count):
            company = observatory_world._company(f"{rome}-{i}", factories.ARCACHON, "56.10A", 3)
            db.session.flush()
            observatory_world._need(company, rome, 7, "2026-05-10")
    db.session.commit()


def test_a_domain_minus_its_jobs_shown_gives_no_hidden_job_back():
    """A ROME domain is the sum of its jobs: « Support à l'entreprise » 7 needs beside
    « Secrétariat » 5 and « Comptabilité » hidden (with « Nettoyage » in the jobs' column)
    gave the 2 accounting needs, and their hours, back by subtraction."""
    now = datetime(2026, 6, 15, 10, tzinfo=UTC)
    _needs_by_job({"M1607": 5, "M1203": 2, "G1602": 6, "K2204": 3})
    shown = _protected("tout", now)
    domains, jobs = shown["domaines"], shown["metiers"]
    assert _value(jobs, "Comptabilité").hidden
    for column in (0, 1):  # needs, and their hours
        whole = _value(domains, "Support à l'entreprise", column)
        inside = [_value(jobs, label, column) for label in ("Secrétariat", "Comptabilité")]
        gone = [c for c in inside if c.hidden]
        assert whole.hidden or (
            len(gone) != 1 and len(frozenset().union(*(c.members for c in gone))) >= 5
        ), column


def test_domains_beside_the_jobs_grouped_in_autres_give_no_hidden_job_back():
    """« Autres » groups jobs of two domains: « Support à l'entreprise » 10 minus
    « Secrétariat » 6 minus what « Autres » 7 holds beyond the 6 needs of « Services à la
    personne », all of its jobs grouped there, gave « Comptabilité » 3 back."""
    now = datetime(2026, 6, 15, 10, tzinfo=UTC)
    counts = {code: 6 for code in ("A1203", "A1201", "G1602", "G1603", "H2206", "N4105")}
    counts |= {"D1106": 6, "F1602": 6, "M1607": 6, "M1203": 3}
    counts |= {"K1302": 2, "K1303": 2, "K2204": 2, "M1205": 1}
    _needs_by_job(counts)
    shown = _protected("tout", now)
    domains, jobs = shown["domaines"], shown["metiers"]
    assert _value(jobs, "Comptabilité").hidden
    for column in (0, 1):
        relation = [
            _value(domains, "Support à l'entreprise", column),
            _value(domains, "Services à la personne et à la collectivité", column),
            _value(jobs, "Secrétariat", column),
            _value(jobs, "Comptabilité", column),
            _value(jobs, "Autres (4)", column),
        ]
        gone = [c for c in relation if c.hidden]
        assert len(gone) != 1 and len(frozenset().union(*(c.members for c in gone))) >= 5, [
            c.text for c in relation
        ]
