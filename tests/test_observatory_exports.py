"""The observatory's exports: a workbook with a sheet per table and each table as CSV,
holding what the reader sees on the page ("secret" for an officer, exact for the staff)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests import factories, observatory_world

EXACT = f"/territoire/intercommunalites/{factories.COBAS}"


@pytest.fixture
def world():
    return observatory_world.build()


def _sheets(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="observatoire-ca-bassin-d-arcachon-sud'
    )
    book = load_workbook(io.BytesIO(response.data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_the_staff_workbook_has_a_sheet_per_table_with_exact_figures(world, app, auth):
    staff = app.test_client()
    auth.login("animateur", client=staff)
    sheets = _sheets(staff.get(f"{EXACT}/observatoire.xlsx"))
    assert "Besoins par commune" in sheets and "Les tendances" not in sheets
    assert len(sheets) >= 20
    communes = sheets["Besoins par commune"]
    assert communes[0] == ("Commune", "Besoins", "Heures par semaine")
    assert ("Arcachon", 2, 21) in communes and ("Total", 5, 59) in communes
    assert communes[-1][0] == "Comment ce chiffre est calculé"
    assert sheets["Observatoire"][3][1].startswith("exacts")
    # The first sheet's head names its columns (it was an empty row).
    assert sheets["Observatoire"][0] == ("Rubrique", "Contenu")


def test_the_officer_workbook_and_csv_hold_the_protected_figures(world, app, auth):
    officer = app.test_client()
    auth.login("territoire", client=officer)
    sheets = _sheets(officer.get(f"{EXACT}/observatoire.xlsx"))
    communes = sheets["Besoins par commune"]
    assert ("Arcachon", "secret", "secret") in communes
    assert ("Total", "secret", "secret") in communes
    assert "moins de 5" in sheets["Observatoire"][3][1]
    csv = officer.get(f"{EXACT}/communes.csv")
    assert csv.status_code == 200
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"  # charset said once
    text = csv.data.decode("utf-8-sig")
    assert text.splitlines() == [
        "Commune;Besoins;Heures par semaine",
        "Arcachon;secret;secret",
        "La Teste-de-Buch;secret;secret",
        "Gujan-Mestras;secret;secret",
        "Total;secret;secret",
    ]


def test_the_staff_csv_of_one_table(world, app, auth):
    staff = app.test_client()
    auth.login("admin", client=staff)
    text = staff.get(f"{EXACT}/etapes.csv").data.decode("utf-8-sig")
    assert "Pourvu;1" in text.splitlines() and text.splitlines()[-1] == "Total;5"
    assert staff.get(f"{EXACT}/inconnu.csv").status_code == 404


def test_exports_of_another_intercommunality_are_refused_to_an_officer(world, app, auth):
    officer = app.test_client()
    auth.login("territoire", client=officer)
    other = f"/territoire/intercommunalites/{factories.COBAN}"
    assert officer.get(f"{other}/observatoire.xlsx").status_code == 403
    assert officer.get(f"{other}/communes.csv").status_code == 403


def test_monthly_reports_download_as_pdf_and_html_for_their_readers(world, app, auth):
    officer = app.test_client()
    auth.login("territoire", client=officer)
    pdf = officer.get(f"{EXACT}/rapport-2026-05.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # Named as the other downloads, by the intercommunality and the day its figures are
    # at, the month's end: "observatoire-243300563-2026-05-2026-12-07.pdf" was read as
    # the figures of the day of download, by a number nobody reads.
    assert pdf.headers["Content-Disposition"] == (
        'attachment; filename="rapport-ca-bassin-d-arcachon-sud-cobas-2026-05-31.pdf"'
    )
    html_name = officer.get(f"{EXACT}/rapport-2026-05.html").headers["Content-Disposition"]
    assert html_name.endswith('filename="rapport-ca-bassin-d-arcachon-sud-cobas-2026-05-31.html"')
    page = officer.get(f"{EXACT}/rapport-2026-05.html").get_data(as_text=True)
    assert "un nombre secret de besoins ont été exprimés" in page
    assert officer.get(f"{EXACT}/rapport-2026-13.pdf").status_code == 404
    # December 9999 has no month after it: its window was a 500.
    assert officer.get(f"{EXACT}/rapport-9999-12.pdf").status_code == 404
    assert officer.get(f"{EXACT}/rapport-2099-01.html").status_code == 404  # not begun
    assert officer.get(f"{EXACT}/rapport-9999-12.html").status_code == 404
    assert officer.get(f"{EXACT}/rapport-2026-05.doc").status_code == 404
    other = f"/territoire/intercommunalites/{factories.COBAN}"
    assert officer.get(f"{other}/rapport-2026-05.pdf").status_code == 403
    staff = app.test_client()
    auth.login("animateur", client=staff)
    page = staff.get(f"{EXACT}/rapport-2026-05.html").get_data(as_text=True)
    assert "Ce mois-ci, 2 besoins ont été exprimés à la COBAS" in page


def test_the_figures_at_a_past_day_come_from_the_log(world, app, auth):
    import html

    staff = app.test_client()
    auth.login("animateur", client=staff)
    page = " ".join(
        html.unescape(staff.get(f"{EXACT}?au=2026-03-31").get_data(as_text=True)).split()
    )
    # On 31 March only n1 (proposed) and n2 (abandoned) had been received.
    assert "<dt>Besoins reçus</dt><dd>2</dd>" in page
    assert '<th scope="row">Proposé à un opérateur</th><td class="num">1</td>' in page
    assert '<th scope="row">Pourvu</th><td class="num">0</td>' in page
    assert "Étapes telles qu'elles étaient le 31/03/2026 au soir" in page
    assert (
        'href="/territoire/intercommunalites/243300563/observatoire.xlsx?periode=tout&amp;au=2026-03-31"'
        in staff.get(f"{EXACT}?au=2026-03-31").get_data(as_text=True)
    )
    csv = staff.get(f"{EXACT}/etapes.csv?au=2026-03-31").data.decode("utf-8-sig")
    assert csv.splitlines()[-1] == "Total;2"
    for bad, message in (
        ("2026-02-30", "Date invalide : « 30/02/2026 » n'existe pas dans le calendrier"),
        # ISO 8601 forms Python reads (a week's day, no dashes) but no date field sends.
        ("2026-W14-2", "Date invalide : « 2026-W14-2 » n'est pas une date"),
        ("20260331", "Date invalide : « 20260331 » n'est pas une date"),
        ("2999-01-01", "Choisissez un jour passé"),
    ):
        response = staff.get(f"{EXACT}?au={bad}")
        assert response.status_code == 200
        shown = " ".join(html.unescape(response.get_data(as_text=True)).split())
        assert message in shown and 'aria-invalid="true"' in shown
        assert "<dt>Besoins reçus</dt><dd>5</dd>" in shown  # today's figures instead


def test_the_workbook_at_a_past_day_says_that_day_included(world, app, auth):
    # The figures at 31 March count up to the midnight after it: the first sheet said
    # "jusqu'au 01/04/2026 00:00", read as the 1 April counted, unlike the page.
    staff = app.test_client()
    auth.login("animateur", client=staff)
    about = _sheets(staff.get(f"{EXACT}/observatoire.xlsx?periode=3m&au=2026-03-31"))
    assert about["Observatoire"][2] == (
        "Besoins reçus",
        # « depuis 01/01/2026 » lacked its article: not how a date is said in French.
        "depuis le 01/01/2026, jusqu'au 31/03/2026 inclus",
    )
    officer = app.test_client()
    auth.login("territoire", client=officer)
    about = _sheets(officer.get(f"{EXACT}/observatoire.xlsx?au=2026-03-31"))
    assert about["Observatoire"][2] == (
        "Besoins reçus",
        "depuis le début, jusqu'au 31/03/2026 inclus",
    )
    # Today's figures say the moment they were computed.
    now = _sheets(staff.get(f"{EXACT}/observatoire.xlsx"))["Observatoire"][2][1]
    assert now.startswith("depuis le début, jusqu'au ") and not now.endswith("inclus")


def test_a_download_at_a_past_day_is_named_by_that_day(world, app, auth):
    # Named by the day it was downloaded, a file of figures at 31 March read as today's.
    from connectences.clock import local_today

    officer = app.test_client()
    auth.login("territoire", client=officer)
    for path, name in (
        ("observatoire.xlsx", "observatoire-ca-bassin-d-arcachon-sud-cobas-2026-03-31.xlsx"),
        ("etapes.csv", "etapes-ca-bassin-d-arcachon-sud-cobas-2026-03-31.csv"),
    ):
        response = officer.get(f"{EXACT}/{path}?au=2026-03-31")
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    today = officer.get(f"{EXACT}/observatoire.xlsx").headers["Content-Disposition"]
    assert today.endswith(f'-{local_today().isoformat()}.xlsx"')
    # The month in progress: its report's figures are as of today.
    running = officer.get(f"{EXACT}/rapport-{local_today():%Y-%m}.pdf")
    assert running.headers["Content-Disposition"] == (
        f'attachment; filename="rapport-ca-bassin-d-arcachon-sud-cobas-{local_today()}.pdf"'
    )


def test_a_figure_s_unit_is_in_its_export_header(world, app, auth):
    # The page prints "12,5 j" and "40 %"; the exports hold bare numbers (a spreadsheet
    # computes with them) and said nothing else: "49,4" under "Délai médian depuis la
    # réception", "100" under "Part touchée", read as a count.
    staff = app.test_client()
    auth.login("animateur", client=staff)
    sheets = _sheets(staff.get(f"{EXACT}/observatoire.xlsx"))
    assert sheets["Le temps de chaque étape"][0] == (
        "Étape",
        "Entreprises concernées",
        "Délai médian depuis la réception (jours)",
    )
    reached = next(rows for name, rows in sheets.items() if name.startswith("Entreprises touch"))
    assert reached[0][-1] == "Part touchée (%)"
    assert sheets["Propositions aux opérateurs"][0][-1] == "Délai médian de réponse (jours)"
    # A header that names its unit already, or a column of several kinds, is left as it is.
    assert sheets["Besoins par commune"][0] == ("Commune", "Besoins", "Heures par semaine")
    assert sheets["En bref"][0] == ("Chiffre", "Valeur")
    csv = staff.get(f"{EXACT}/delais.csv").data.decode("utf-8-sig")
    assert csv.splitlines()[0] == (
        "Étape;Entreprises concernées;Délai médian depuis la réception (jours)"
    )
    csv = staff.get(f"{EXACT}/tpe_touchees.csv").data.decode("utf-8-sig")
    assert csv.splitlines()[0].endswith(";Part touchée (%)")
