"""The monthly report of an intercommunality: the observatory's figures for one calendar
month, with a short summary in French written from them, as HTML and as PDF.

It is written from the same figures as the page (``figures.figures_between``), protected
for the officers it is sent to (``present.present``): where the tables say "secret", the
summary says "un nombre secret de besoins", never how many. Rendering uses the
application's Jinja environment (like the mail outbox), never a request: the command line
and the scheduler write it too.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from connectences.clock import LOCAL_TZ, local_today
from connectences.dates import LAST_DAY
from connectences.errors import DomainError
from connectences.observatory.figures import figures_between, month_window
from connectences.observatory.present import Shown, present
from connectences.observatory.tables import HIDDEN_AMOUNT, PROTECTION_NOTE, Cell
from connectences.typography import decimal_fr, month_fr, plural

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ReportError(DomainError):
    """A month or an intercommunality the report cannot be written for (French message)."""


def parse_month(text: str, today: date | None = None) -> tuple[int, int]:
    """(year, month) of ``AAAA-MM``; ReportError with a French message otherwise, or
    for a month after ``today``'s (a report of January 2099 read "aucun besoin")."""
    match = _MONTH.match((text or "").strip())
    # Up to the last year any date of the platform may name (``dates.LAST_DAY``): the
    # month after December 9999 does not exist, and its window was a 500.
    if (
        not match
        or not 1 <= int(match.group(2)) <= 12
        or not 2000 <= int(match.group(1)) <= LAST_DAY.year
    ):
        raise ReportError("Mois attendu au format AAAA-MM, par exemple 2026-03.")
    year, month = int(match.group(1)), int(match.group(2))
    if today is not None and (year, month) > (today.year, today.month):
        raise ReportError("Ce mois n'a pas commencé : choisissez un mois passé ou celui-ci.")
    return year, month


def previous_month(today: date) -> str:
    """``AAAA-MM`` of the month before ``today``'s (the last complete month)."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


@dataclass(frozen=True)
class MonthlyReport:
    siren: str
    name: str
    year: int
    month: int
    shown: Shown
    summary: list[str]
    # The local day of writing when the month is still running (its figures and the
    # needs' stages are as of that day, not of the month's end); None for a past month.
    running_on: date | None = None

    @property
    def label(self) -> str:
        return month_fr(self.year, self.month)

    @property
    def basename(self) -> str:
        return f"observatoire-{self.siren}-{self.year}-{self.month:02d}"

    @property
    def figures_on(self) -> date:
        """The day its figures are at: the month's last, or today's while it runs."""
        if self.running_on is not None:
            return self.running_on
        return month_window(self.year, self.month)[1].date() - timedelta(days=1)


def monthly_report(
    session: Session, siren: str, year: int, month: int, *, exact: bool = False
) -> MonthlyReport:
    """The report of ``siren`` for the needs received in that local month, states as of
    its end (as of today for the month in progress, which the report says); small
    numbers protected unless ``exact``."""
    since, until = month_window(year, month)
    seen = figures_between(session, siren, since, until, period=f"{year}-{month:02d}")
    if seen.name == siren:
        raise ReportError("Intercommunalité inconnue : vérifiez le numéro SIREN.")
    shown = present(seen, exact=exact)
    today = local_today()
    running_on = today if (year, month) == (today.year, today.month) else None
    return MonthlyReport(
        siren,
        seen.name,
        year,
        month,
        shown,
        summary(shown, running=running_on is not None),
        running_on,
    )


def short_name(name: str) -> str:
    """Where, in a sentence: ``à la COBAN`` for « CA du Bassin d'Arcachon Nord (COBAN) »,
    ``à la CC du Val de l'Eyre``, else ``sur le territoire de …``."""
    acronym = re.search(r"\(([A-ZÉÈ][A-ZÉÈ' -]+)\)\s*$", name)
    if acronym:
        return f"à la {acronym.group(1)}"
    if name.startswith(("CA ", "CC ", "CU ", "Communauté", "Métropole")):
        return f"à la {name}"
    return f"sur le territoire de {name}"


def _hidden_amount(plural_form: str) -> str:
    """``un nombre secret de besoins``, ``un nombre secret d'entreprises``: a hidden count
    in a sentence. A hidden cell may be a large figure hidden to protect a small one
    beside it: "moins de 5" would be false of it (``tables.HIDDEN``)."""
    article = "d'" if plural_form[:1].lower() in "aeiouyéè" else "de "
    return f"{HIDDEN_AMOUNT} {article}{plural_form}"


def _amount(cell: Cell, singular: str, plural_form: str) -> str:
    """``12 besoins``, ``1 besoin``, ``un nombre secret de besoins`` (a hidden count)."""
    if cell.hidden:
        return _hidden_amount(plural_form)
    return plural(int(cell.value or 0), singular, plural_form)


def _verb(cell: Cell, singular: str, plural_form: str) -> str:
    if cell.hidden:
        return plural_form
    return singular if int(cell.value or 0) < 2 else plural_form


def summary(shown: Shown, *, running: bool = False) -> list[str]:
    """A few French sentences written from the figures (those an officer may read);
    ``running``: the month is still in progress, its needs' stages are those of today."""
    seen = shown.seen
    where = short_name(seen.name)
    bref = {row.label: row.cells[0] for row in shown.table("bref").rows}
    received = bref["Besoins reçus"]
    if not received.hidden and not received.value:
        return [f"Ce mois-ci, aucun besoin n'a été exprimé {where}."]
    shared = bref["Besoins à temps partagé"]
    first = (
        f"Ce mois-ci, {_amount(received, 'besoin', 'besoins')} "
        f"{_verb(received, 'a été exprimé', 'ont été exprimés')} {where}"
    )
    if shared.hidden:
        first += f", dont {HIDDEN_AMOUNT} à temps partagé"
    elif shared.value:
        first += f", dont {decimal_fr(shared.value, 0)} à temps partagé"
    companies = bref["Entreprises concernées"]
    hours = bref["Heures de travail par semaine demandées"]
    first += f", par {_amount(companies, 'entreprise', 'entreprises')}"
    if not hours.hidden:
        first += f", pour {decimal_fr(hours.value, 1)} heures de travail par semaine"
    sentences = [first + "."]
    outcomes = {row.label: row.cells[0] for row in shown.table("etapes").rows}
    parts = []
    for label, singular, plural_form in (
        ("Pourvu", "pourvu", "pourvus"),
        ("Réorienté vers un partenaire", "réorienté", "réorientés"),
        ("Abandonné", "abandonné", "abandonnés"),
    ):
        cell = outcomes[label]
        if cell.hidden:
            parts.append(_hidden_amount(f"besoins {plural_form}"))
        elif cell.value:
            parts.append(
                f"{decimal_fr(cell.value, 0)} {singular if cell.value < 2 else plural_form}"
            )
    if parts:
        listed = ", ".join(parts[:-1]) + (" et " if len(parts) > 1 else "") + parts[-1]
        sentences.append(f"{'À ce jour' if running else 'À la fin du mois'} : {listed}.")
    jobs = [
        row
        for row in shown.table("metiers").rows
        if not row.cells[0].hidden and not row.label.startswith(("Autres", "Métier pas"))
    ][:3]
    if jobs:
        names = ", ".join(f"{row.label} ({row.cells[0].text})" for row in jobs)
        sentences.append(f"Métiers les plus demandés : {names}.")
    unmet = shown.table("metiers_sans_candidat").rows
    if unmet:
        sentences.append(
            f"{plural(len(unmet), 'métier demandé', 'métiers demandés')} sans personne "
            "disponible dans la CVthèque."
        )
    return sentences


def _env():
    return current_app.jinja_env


def render_html(
    report: MonthlyReport, *, for_pdf: bool = False, opt_out_url: str | None = None
) -> str:
    """The report as a standalone HTML document (inline SVG charts; images for the PDF);
    mailed, with ``opt_out_url``: where its reader stops receiving it."""
    charts = {}
    if for_pdf:
        chart_macro = _env().get_template("observatory/_chart.html").module.svg_chart
        for section in report.shown.sections:
            for table, chart in section.figures:
                if chart is not None:
                    svg = str(chart_macro(chart)).encode("utf-8")
                    charts[table.key] = "data:image/svg+xml;base64," + base64.b64encode(svg).decode(
                        "ascii"
                    )
    template = _env().get_template("observatory/report.html")
    context = {
        "report": report,
        "shown": report.shown,
        "for_pdf": for_pdf,
        "charts": charts,
        "opt_out_url": opt_out_url,
    }
    return template.render(
        context, written_at=datetime.now(LOCAL_TZ), protection_note=PROTECTION_NOTE
    )


def render_pdf(report: MonthlyReport) -> bytes:
    """The report as PDF (xhtml2pdf, from the same HTML with the charts as images)."""
    from xhtml2pdf import pisa  # imported here: heavy, and only the report needs it

    out = io.BytesIO()
    status = pisa.CreatePDF(render_html(report, for_pdf=True), dest=out, encoding="utf-8")
    if status.err:
        raise ReportError("Le rapport n'a pas pu être mis en PDF.")
    return out.getvalue()
