"""French typography, in one place: the spaces French puts before « : ; ? ! », inside
« », decimal commas and plural agreement.

Templates get it twice: their own literal text is corrected when they are compiled
(``FrenchTypography``, a Jinja extension), and values computed elsewhere go through the
``typo`` filter. Mails are rendered by the same environment, so they read the same.
"""

from __future__ import annotations

import re
from datetime import datetime

from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup

from connectences.clock import LOCAL_TZ
from connectences.numbers import DECIMALS

NBSP = "\u00a0"  # before ":" and inside « »
NNBSP = "\u202f"  # narrow, before ";", "?", "!"

# An ordinary space (or none) before a high punctuation mark that ends a word or
# sentence: "Statut :", "Envoyé ?", "Attention !". Not "19:02", "http://", "a:hover".
_BEFORE_COLON = re.compile(r"[ \t]+:(?=\s|$|<|&)")
_BEFORE_OTHERS = re.compile(r"[ \t]+([;?!])(?=\s|$|<|&|\)|»)")
_AFTER_OPENING_QUOTE = re.compile(r"«[ \t]*")
_BEFORE_CLOSING_QUOTE = re.compile(r"[ \t]*»")
# A number and its unit stay on one line: "12 km", "8,5 h" (not "8 heures", "3 hôtels").
_NUMBER_UNIT = re.compile(r"(?<=\d)[ \t]+(?=(?:km|h)\b)")


def french_typography(text: str) -> str:
    """``Statut : envoyé ?`` with no-break spaces where French puts them, so that the
    mark never starts a line on its own, nor a unit (``12 km``, ``8 h``) without its number."""
    if not text:
        return text
    if isinstance(text, Markup):
        # Only no-break spaces are added: markup safe before stays safe.
        return Markup(french_typography(str(text)))  # noqa: S704 — only no-break spaces added
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _BEFORE_OTHERS.sub(lambda m: NNBSP + m.group(1), text)
    text = _NUMBER_UNIT.sub(NBSP, text)
    text = _AFTER_OPENING_QUOTE.sub("«" + NBSP, text)
    return _BEFORE_CLOSING_QUOTE.sub(NBSP + "»", text)


_VOWELS = frozenset("aeiouàâäéèêëîïôöùûüœæ")


def of_name(name: str) -> str:
    """``de`` before a name, elided before a vowel or a mute h: "d'Inès Marchal", "d'Hélène",
    "d'Yves", but "de Marc", "de Yann" (a y sounded as a consonant)."""
    name = (name or "").strip()
    letters = name.casefold()[:2]
    elided = bool(letters) and (
        letters[0] in _VOWELS
        or letters[0] == "h"
        or (letters[0] == "y" and len(letters) > 1 and letters[1] not in _VOWELS)
    )
    return f"d'{name}" if elided else f"de {name}"


# A company's name opening on an article: « de » + « le » reads « du », + « les » « des »
# (« la fiche du Bistrot du Port », « des Jardins de l'Eyre »). « La » and « L' » stay.
_CONTRACTED = (("le ", "du "), ("les ", "des "))


def of_company(name: str) -> str:
    """``de`` before a company's name, contracted with its article or elided as
    ``of_name`` does: « du Bistrot du Port », « des Viviers », « de La Poste »,
    « d'Atelier Bois ». Only for a company: a person named « Le Goff » keeps « de »."""
    name = (name or "").strip()
    for article, contracted in _CONTRACTED:
        if name[: len(article)].casefold() == article and name[len(article) :].strip():
            return contracted + name[len(article) :].lstrip()
    return of_name(name)


def quoted(value: str, limit: int = 40) -> str:
    """A typed value quoted in a message, « like this », cut after ``limit`` characters:
    a message never sends back a whole paste (an offline record's 100,000 characters)."""
    value = value.strip()
    return f"« {value[:limit]}… »" if len(value) > limit else f"« {value} »"


def decimal_fr(value: float | int | None, decimals: int = 1, empty: str = "—") -> str:
    """``1 234,5``: thousands apart (narrow no-break space), decimal comma, no ``,0``."""
    if value is None:
        return empty
    text = f"{value:,.{decimals}f}" if decimals else f"{value:,.0f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", NNBSP).replace(".", ",")


def too_long(what: str, text: str | None, limit: int, *, plural: bool = False) -> str | None:
    """The one message refusing a text over ``limit`` characters, None within it: what
    is too long (``what``, its subject: "L'intitulé", "Les notes" with ``plural``), the
    limit and how many were typed, so that the person knows how much to cut: « L'intitulé
    ne doit pas dépasser 200 caractères (300 saisis). »"""
    if text is None or len(text) <= limit:
        return None
    verb = "ne doivent pas" if plural else "ne doit pas"
    return (
        f"{what} {verb} dépasser {decimal_fr(limit, 0)} caractères "
        f"({decimal_fr(len(text), 0)} saisis)."
    )


def decimal_input(value: float | int | None, decimals: int = DECIMALS) -> str:
    """A stored number as a form field gives it back to change it: ``7,5``, decimal comma
    as the person types it and the pages show it, no thousands space (a field to edit,
    not a figure to read), empty when there is none. ``numbers.read_number`` reads it
    back as the same number, so a form sent back as shown saves nothing new."""
    return decimal_fr(value, decimals, empty="").replace(NNBSP, "")


def plural(count: int | None, singular: str, plural_form: str | None = None) -> str:
    """``0 entreprise trouvée``, ``1 candidat proposé``, ``2 candidats proposés``.

    French puts 0 and 1 in the singular. Without a plural form given, every word of
    ``singular`` takes an ``s`` (``candidat proposé`` → ``candidats proposés``)."""
    count = count or 0
    if abs(count) < 2:
        words = singular
    elif plural_form is not None:
        words = plural_form
    else:
        words = " ".join(w if w.endswith(("s", "x", "z")) else w + "s" for w in singular.split())
    return f"{decimal_fr(count, 0)} {words}"


MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def month_fr(year: int, month: int) -> str:
    """``mars 2026``: a calendar month as French writes it."""
    return f"{MONTHS_FR[month - 1]} {year}"


def hours_fr(value: float | int | None, unit: str = "h") -> str:
    """``8 h``, ``8,5 h``: a number of hours as written in French."""
    if value is None:
        return "—"
    return f"{decimal_fr(value, 2)}{NBSP}{unit}"


def distance_fr(value: float | int | None, decimals: int = 1) -> str:
    """``12 km``, ``7,5 km``: a distance as written in French, the unit never alone at the
    start of a line."""
    if value is None:
        return "—"
    return f"{decimal_fr(value, decimals)}{NBSP}km"


def hours_plain(value: float | int | None) -> str:
    """``8,5 h`` with an ordinary space: the same number as ``hours_fr`` for the sentences
    the domain writes (match and route explanations in JSON and on the command line, the
    refusals of a placement), which travel as plain text; pages add their no-break spaces."""
    return hours_fr(value).replace(NBSP, " ")


def days_ago(days: int | None) -> str:
    """``aujourd'hui``, ``hier``, ``il y a 3 jours``, ``demain``, ``dans 2 jours``."""
    if days is None:
        return "—"
    if days == 0:
        return "aujourd'hui"
    if days == 1:
        return "hier"
    if days == -1:
        return "demain"
    if days > 0:
        return f"il y a {plural(days, 'jour')}"
    return f"dans {plural(-days, 'jour')}"


class FrenchTypography(Extension):
    """Corrects the literal text of every template when it is compiled (not the values
    it shows: those take the ``typo`` filter when they hold prose)."""

    def filter_stream(self, stream):
        for token in stream:
            if token.type == "data":
                token = Token(token.lineno, "data", french_typography(token.value))
            yield token


_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _hour(moment: datetime) -> str:
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def time_slot(start: datetime, end: datetime | None = None) -> str:
    """``vendredi 11 décembre 2026, de 8 h 30 à 10 h`` in Paris time (an event's slot)."""
    start = start.astimezone(LOCAL_TZ)
    weekday = _WEEKDAYS[start.weekday()]
    day = "1er" if start.day == 1 else str(start.day)
    text = f"{weekday} {day} {MONTHS_FR[start.month - 1]} {start.year}"
    if end is None:
        return f"{text}, à {_hour(start)}"
    end = end.astimezone(LOCAL_TZ)
    # An evening ending at 00:00 ends at midnight, not "à 0 h".
    until = (
        "minuit" if (end.hour, end.minute) == (0, 0) and end.date() > start.date() else _hour(end)
    )
    return f"{text}, de {_hour(start)} à {until}"
