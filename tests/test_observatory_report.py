"""The monthly report of an intercommunality: its French summary written from the figures,
the `observatory report` command writing HTML and PDF, and the scheduler mailing it to the
officers of each intercommunality at the start of the month."""

from __future__ import annotations

from pypdf import PdfReader

from connectences.clock import local_today
from connectences.extensions import db
from connectences.observatory.report import monthly_report, render_html, summary
from tests import factories, observatory_world
from tests.helpers import opened_account
from tests.test_mail import mail_port, start_server  # noqa: F401 (fixtures: a real SMTP server)


def test_the_summary_is_written_from_the_exact_figures():
    observatory_world.build()
    # May 2026 in the COBAS: n4 (Gujan, 20 h) and n5 (La Teste, 8 h), companies B and C.
    report = monthly_report(db.session, factories.COBAS, 2026, 5, exact=True)
    assert report.summary[0] == (
        "Ce mois-ci, 2 besoins ont été exprimés à la COBAS, par 2 entreprises, "
        "pour 28 heures de travail par semaine."
    )
    march = monthly_report(db.session, factories.COBAS, 2026, 3, exact=True)
    # n1 (shared time, placed in April) and n2 (abandoned on 20 March), both of company A.
    assert march.summary[0] == (
        "Ce mois-ci, 2 besoins ont été exprimés à la COBAS, dont 1 à temps partagé, "
        "par 1 entreprise, pour 21 heures de travail par semaine."
    )
    assert march.summary[1] == "À la fin du mois : 1 abandonné."
    april = monthly_report(db.session, factories.COBAS, 2026, 4, exact=True)
    assert april.summary[0].startswith("Ce mois-ci, 1 besoin a été exprimé à la COBAS")
    assert april.summary[1] == "À la fin du mois : 1 réorienté."


def test_the_officers_summary_says_a_secret_number_and_nothing_exact():
    observatory_world.build()
    report = monthly_report(db.session, factories.COBAS, 2026, 5)
    assert report.summary[0] == (
        "Ce mois-ci, un nombre secret de besoins ont été exprimés à la COBAS, par un nombre "
        "secret d'entreprises."
    )
    assert summary(report.shown) == report.summary


def test_an_empty_month_says_so():
    observatory_world.build()
    report = monthly_report(db.session, factories.VAL_DE_L_EYRE, 2026, 5)
    assert report.summary == ["Ce mois-ci, aucun besoin n'a été exprimé à la CC du Val de l'Eyre."]


def test_the_report_command_writes_html_and_pdf(runner, tmp_path):
    observatory_world.build()
    result = runner.invoke(
        args=[
            "observatory", "report", "--epci", factories.COBAS, "--month", "2026-05",
            "--output", str(tmp_path), "--exact",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Ce mois-ci, 2 besoins ont été exprimés à la COBAS" in result.output
    html = (tmp_path / f"observatoire-{factories.COBAS}-2026-05.html").read_text()
    assert "<h1>Observatoire — CA Bassin d&#39;Arcachon Sud (COBAS)</h1>" in html
    assert 'role="img"' in html and "<title" in html and "Comment ce chiffre est calculé" in html
    pdf = PdfReader(tmp_path / f"observatoire-{factories.COBAS}-2026-05.pdf")
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Besoins par commune" in text and "Gujan-Mestras" in text
    assert len(pdf.pages) >= 2


def test_the_report_command_refuses_bad_input(runner, tmp_path):
    bad_month = runner.invoke(
        args=["observatory", "report", "--epci", factories.COBAS, "--month", "2026-13"]
    )
    assert bad_month.exit_code == 2 and "AAAA-MM" in bad_month.output
    future = runner.invoke(
        args=["observatory", "report", "--epci", factories.COBAS, "--month", "2099-01",
              "--output", str(tmp_path)]
    )  # fmt: skip
    assert future.exit_code == 2 and "pas commencé" in future.output
    bad_epci = runner.invoke(
        args=["observatory", "report", "--epci", "123", "--month", "2026-05",
              "--output", str(tmp_path)]
    )  # fmt: skip
    assert bad_epci.exit_code == 2 and "SIREN" in bad_epci.output
    assert not list(tmp_path.iterdir())


def test_the_scheduler_mails_each_officer_their_own_report_through_the_outbox(
    start_server,  # noqa: F811 (the fixture imported above)
):
    from datetime import UTC, datetime

    import time_machine

    from connectences.jobs.registry import JOBS_BY_ID
    from connectences.jobs.runner import execute
    from connectences.mail import deliver_due
    from connectences.models import User

    observatory_world.build()
    db.session.add_all(
        [
            User(
                email="agent1@cobas.fr",
                role="territoire",
                epci_siren=factories.COBAS,
                password_hash=opened_account(),
            ),
            User(
                email="agent2@cobas.fr",
                role="territoire",
                epci_siren=factories.COBAS,
                password_hash=opened_account(),
            ),
            User(
                email="agent@coban.fr",
                role="territoire",
                epci_siren=factories.COBAN,
                password_hash=opened_account(),
            ),
            User(
                email="parti@cobas.fr",
                role="territoire",
                epci_siren=factories.COBAS,
                active=False,
                password_hash=opened_account(),
            ),
        ]
    )
    db.session.commit()
    first_of_june = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 06:00 in Arcachon
    with time_machine.travel(first_of_june, tick=False):
        counts = execute(JOBS_BY_ID["monthly_digest"], now=first_of_june)
        assert counts == {"officers": 3, "mails": 3, "reports": 2}
        again = execute(JOBS_BY_ID["monthly_digest"], now=first_of_june)
        assert again["mails"] == 0
    recorder = start_server()
    assert deliver_due(db.session).sent == 3
    received = {message["To"]: message for message in recorder.parsed()}
    assert sorted(received) == ["agent1@cobas.fr", "agent2@cobas.fr", "agent@coban.fr"]
    cobas = received["agent1@cobas.fr"]
    assert cobas["Subject"].endswith(
        "L'observatoire de CA Bassin d'Arcachon Sud (COBAS) : mai 2026"
    )
    text = cobas.get_body(preferencelist=("plain",)).get_content()
    assert "Ce mois-ci, un nombre secret de besoins ont été exprimés à la COBAS" in text
    assert "rapport-2026-05.pdf" in text
    html = cobas.get_body(preferencelist=("html",)).get_content()
    assert "Gujan-Mestras" in html and ">secret</td>" in html and 'role="img"' in html
    assert "&lt; 5" not in html
    # The COBAN's officer reads the COBAN's report, where nothing was received in May.
    coban = received["agent@coban.fr"].get_body(preferencelist=("plain",)).get_content()
    assert "aucun besoin n'a été exprimé à la COBAN" in coban and "Gujan" not in coban


def test_the_report_of_the_month_in_progress_says_its_figures_are_as_of_today():
    # Its figures are those of today, not of a month's end still to come: the report
    # says so, and the stages of its needs are told "à ce jour".
    world = observatory_world.build()
    today = local_today()
    observatory_world._need(
        world["companies"][0],
        "G1602",
        10,
        today.isoformat(),
        log=[(today.isoformat(), "abandonne")],
    )
    db.session.commit()
    running = monthly_report(db.session, factories.COBAS, today.year, today.month, exact=True)
    assert running.running_on == today
    assert running.summary[1] == "À ce jour : 1 abandonné."
    html = render_html(running)
    assert "mois en cours\xa0: besoins reçus du 1<sup>er</sup>" in html
    assert f"au {today:%d/%m/%Y}, leur étape ce jour-là" in html
    assert "à la fin du mois" not in html
    # A month that is over keeps its words.
    march = monthly_report(db.session, factories.COBAS, 2026, 3, exact=True)
    assert march.running_on is None and "leur étape à la fin du mois" in render_html(march)
