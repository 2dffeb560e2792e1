"""Dates as people type them in forms (``2026-05-14`` from a date input, ``14/05/2026``
typed by hand), instants as programs send them (RFC 3339), and how far from today a
date a person plans with can be.

Every form reads its dates here: a date the calendar does not have, or year 1 and year
9999 typed by a slip of the keyboard, must get a French message, never a record that
starts in the year 9999 or follow-ups due two thousand years ago. Python's
``fromisoformat`` reads more than anyone documents (``2026-W53-1``, a week's day;
``20261207``; ``2026-12-07T10``): only the forms said are let through to it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

# How a date is written by hand, the format a date field's help states (WCAG 3.3.2): a
# browser without a date picker shows a plain text box, and a screen reader reads the
# picker's parts without saying the order.
TYPED_FORMAT = "jj/mm/aaaa"
_FRENCH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
# An instant as RFC 3339 writes it (section 5.6): a date, T (or a space), the time to
# the second with its fraction if any, then Z or an offset; the offset left out for the
# callers that give it a meaning (:func:`read_instant`).
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?")

# The days any date field may name. A date field lets anyone send 0001-01-01 or
# 9999-12-31, whose local midnight (or the next day, or six months on) Python cannot
# compute: an OverflowError or a ValueError, a 500. No record of the platform is that far.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
# How far ahead a start or an availability may be planned: a need, a CV or a placement
# dated further is a typing slip (9999-12-31), not a plan.
YEARS_AHEAD = 3
# How far back a placement may have started when it is recorded late.
YEARS_BACK = 1
# How far back a commitment (work a person holds, or held) may have started or ended: a
# working life. 1900 is a typing slip, not a job someone still holds.
COMMITMENT_YEARS_BACK = 50


def read_date(text: str | date | None) -> date | None:
    """The date in ``text`` (``AAAA-MM-JJ`` or ``JJ/MM/AAAA``), None when there is none,
    the calendar does not have it (31/02) or it falls outside FIRST_DAY..LAST_DAY."""
    if isinstance(text, datetime):
        text = text.date()
    if isinstance(text, date):
        return text if FIRST_DAY <= text <= LAST_DAY else None
    text = (text or "").strip()
    try:
        if found := _FRENCH.fullmatch(text):
            day_, month, year = (int(part) for part in found.groups())
            return read_date(date(year, month, day_))
        if _ISO.fullmatch(text):
            return read_date(date.fromisoformat(text))
    except ValueError:
        return None
    return None


def read_iso_date(text: object) -> date | None:
    """The date in ``text`` written ``AAAA-MM-JJ`` alone (what a program sends), None for
    anything else or a day the calendar lacks."""
    if not isinstance(text, str) or not _ISO.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def read_instant(text: object, *, offset_required: bool = True) -> datetime | None:
    """The instant in ``text`` written as RFC 3339 (``2026-12-07T10:30:00+01:00``,
    ``2026-12-07T09:30:00.250Z``; a lowercase t or z, or a space for the T, read alike),
    None for anything else, a time the clock lacks, or a missing offset unless
    ``offset_required`` is False (then the instant is naive: the caller says which zone
    it is in)."""
    if not isinstance(text, str):
        return None
    text = text.strip().upper()
    if not _INSTANT.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if offset_required and moment.tzinfo is None:
        return None
    return moment


def unread(text: str) -> str:
    """Why ``text`` gave no date, in French, for a form's message: not written as a
    date, a day the calendar lacks, or a year no record of the platform can have. A date
    input sends ``AAAA-MM-JJ`` while it shows the day as jj/mm/aaaa: the text is quoted
    as the person saw it (« 31/12/9999 », not « 9999-12-31 »)."""
    text = text.strip()
    found = _FRENCH.fullmatch(text)
    year = int(found.group(3)) if found else None
    if found is None and _ISO.fullmatch(text):
        year = int(text[:4])
        text = "/".join(reversed(text.split("-")))
    shown = f"« {text[:20]} »"
    if year is None:
        return f"{shown} n'est pas une date (format attendu {TYPED_FORMAT})"
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        return f"{shown} est hors des dates possibles ({FIRST_DAY.year} à {LAST_DAY.year})"
    return f"{shown} n'existe pas dans le calendrier"


def with_typed_format(help_text: str | None) -> str:
    """The help of a date field, saying the format unless it already does."""
    help_text = (help_text or "").strip()
    if TYPED_FORMAT in help_text:
        return help_text
    return f"{help_text} Format : {TYPED_FORMAT}.".strip()


def read_typed_date(
    text: str | None, name: str, *, missing: str | None = None
) -> tuple[date | None, str | None]:
    """The date typed in a form's field called ``name`` ("Date de début"), and the French
    message when the field is wrong (else None): ``missing`` when nothing was typed
    (None: the field may be left empty), or why the text gives no date (:func:`unread`),
    the same words for a start and an end."""
    text = (text or "").strip()
    if not text:
        return None, missing
    day = read_date(text)
    if day is None:
        return None, f"{name} invalide : {unread(text)}."
    return day, None


def period_text(first: date | None, last: date | None) -> str:
    """When something runs, in French, as every page and sentence says it: "du 01/03/2027
    au 30/04/2027", "à partir du 01/03/2027" (no last day), "jusqu'au 30/04/2027" (no
    first day said), empty with neither."""
    if first and last:
        return f"du {first.strftime('%d/%m/%Y')} au {last.strftime('%d/%m/%Y')}"
    if first:
        return f"à partir du {first.strftime('%d/%m/%Y')}"
    if last:
        return f"jusqu'au {last.strftime('%d/%m/%Y')}"
    return ""


def years_from(today: date, years: int) -> date:
    """The same day ``years`` later (or earlier when negative); 28 February for 29."""
    try:
        return today.replace(year=today.year + years)
    except ValueError:
        return today.replace(year=today.year + years, day=28)


def latest_plan(today: date) -> date:
    """The last day a start or an availability may be planned for."""
    return years_from(today, YEARS_AHEAD)


def too_far_ahead(day: date, today: date) -> str | None:
    """The French message for a date planned beyond :data:`YEARS_AHEAD` years, or None."""
    last = latest_plan(today)
    if day > last:
        return f"Indiquez une date d'ici le {last.strftime('%d/%m/%Y')} au plus tard."
    return None


def commitment_day_problem(day: date, today: date, *, what: str) -> str | None:
    """The French message for a commitment's first or last day (``what``: "La date de
    début", "Le dernier jour") outside the plausible window (at most
    :data:`COMMITMENT_YEARS_BACK` years back, at most :data:`YEARS_AHEAD` ahead), or None."""
    first = years_from(today, -COMMITMENT_YEARS_BACK)
    if day < first:
        return (
            f"{what} ne peut pas être avant le {first.strftime('%d/%m/%Y')} "
            f"({COMMITMENT_YEARS_BACK} ans en arrière au plus)."
        )
    return too_far_ahead(day, today)


def placement_start_problem(start: date, today: date) -> str | None:
    """The French message for a placement's start outside the plausible window (at most
    :data:`YEARS_BACK` year back, recorded late; at most :data:`YEARS_AHEAD` ahead), or None."""
    first = years_from(today, -YEARS_BACK)
    if start < first:
        return (
            f"La date de début ne peut pas être avant le {first.strftime('%d/%m/%Y')} "
            "(un an en arrière au plus)."
        )
    return too_far_ahead(start, today)


def contract_end_problem(last_day: date, start: date, today: date) -> str | None:
    """The French message for the planned last day of a fixed-term contract before its
    first day or beyond :data:`YEARS_AHEAD` years, or None."""
    if last_day < start:
        return (
            "La date de fin ne peut pas précéder la date de début "
            f"(le {start.strftime('%d/%m/%Y')})."
        )
    return too_far_ahead(last_day, today)


def placement_end_problem(
    last_day: date,
    start: date,
    today: date,
    term: date | None = None,
    *,
    ran_to_term: str = " Allé jusqu'à son terme, il a tenu : répondez « oui ».",
) -> str | None:
    """The French message for a placement's last day before its first day, after its
    term (the last day of a fixed-term contract: work that ran to it held, as
    ``ran_to_term`` tells the follow-up; "" for a form that asks no such thing) or after
    today (an end is recorded once it has happened; of the term and today, the earlier
    is said), or None. Each names the day as the forms that ask it label their field:
    « Dernier jour travaillé »."""
    if last_day < start:
        return (
            "Le dernier jour travaillé ne peut pas précéder le début du placement "
            f"(le {start.strftime('%d/%m/%Y')})."
        )
    # Of the two upper bounds (the term, today) the nearer is said: a term still ahead
    # is no bound yet, and « il a tenu » of a contract not run out is untrue.
    if term is not None and last_day > term and term <= today:
        return (
            f"Le placement prenait fin le {term.strftime('%d/%m/%Y')}, terme prévu : le "
            f"dernier jour travaillé ne peut pas être après.{ran_to_term}"
        )
    if last_day > today:
        return (
            "Le dernier jour travaillé ne peut pas être dans le futur : au plus tard "
            f"aujourd'hui ({today.strftime('%d/%m/%Y')})."
        )
    return None


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 → 28 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def period_end(start: date, months: int) -> date:
    """The last day of a period of ``months`` calendar months starting on ``start``
    (a contract's term, a trial's longest end), counted "de date à date" as French labour
    law counts them: the day before the same day ``months`` later (4 January + 1 month
    ends on 3 February). When that month has no such day, the period ends on its last
    day (31 January + 1 month ends on 28 February, not on the 27th: article 641 of the
    Code de procédure civile, « à défaut d'un quantième identique »)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return date(year, month, last)
    return date(year, month, start.day) - timedelta(days=1)


def first_kept(today: date, months: int) -> date:
    """The first day a rule keeping things ``months`` months after their day still keeps
    on ``today``: the days before it have reached their term (``add_months(day, months)``
    is ``today`` or earlier). The days a short month lacks reach it on its last day: on
    28 February, 29, 30 and 31 January are one month back too."""
    day = add_months(today, -months)
    while add_months(day, months) <= today:
        day += timedelta(days=1)
    return day
