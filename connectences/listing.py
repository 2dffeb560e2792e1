"""Filters of a list page, one pattern for every list (needs board, visits, CV library,
company directory): a frozen dataclass in the domain package, read from the page's query
arguments by ``from_args`` and written back by ``as_args``.

Every list returns the values it refused beside its filters, ``from_args(args) ->
(filters, errors)``, as ``Refusal`` triples: a value typed by hand in the address, or kept
from an outdated link, that is not in its list (``choice_reader``) or cannot be read is
left out, so a shared or edited link always opens, and the page names it (the template
macro ``_filters.refused_filters``) rather than silently showing more, or nothing. An
export of a list with a refused value is not made (``web.downloads.refuse_export``).

Each filter has its query argument (French, as in the page's URL) in ``ARGS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date
from typing import ClassVar, NamedTuple

from sqlalchemy import ColumnElement, String, and_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from connectences.text import fold_text, strip_accents


class ListFilters:
    """Mixin of the filters dataclasses: ``ARGS`` maps each field to its query argument."""

    ARGS: ClassVar[Mapping[str, str]] = {}

    def form_values(self) -> dict[str, str]:
        """Every filter by its query argument, as the filter form shows it ("" for none)."""
        values = {}
        for item in fields(self):  # type: ignore[arg-type]
            if item.name not in self.ARGS:
                continue
            value = getattr(self, item.name)
            if isinstance(value, date):
                value = value.isoformat()
            values[self.ARGS[item.name]] = "" if value is None else str(value)
        return values

    def form_values_as_typed(self, args: Mapping[str, str], refused: list) -> dict[str, str]:
        """``form_values``, each value ``refused`` (``Refusal``s) given back as typed: a
        date refused for coming before the start showed the field empty beside its
        message (« inversez-les » of what?)."""
        values = self.form_values()
        typed = {refusal.field for refusal in refused if refusal.field in values}
        return {**values, **{name: text_arg(args, name, 60) for name in typed}}

    def as_args(self) -> dict[str, str]:
        """The active filters as query arguments (for links, the pager and the export)."""
        return {key: value for key, value in self.form_values().items() if value}


class Refusal(NamedTuple):
    """A filter value refused: the id of its field on the page, its label and why (the
    triple the error summary links to its field, ``_forms.error_summary``)."""

    field: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label} : {self.message}"


def refused_by_field(errors: list[Refusal]) -> dict[str, str]:
    """The message of each field refused (its first), to show under the field too."""
    by_field: dict[str, str] = {}
    for refusal in errors:
        by_field.setdefault(refusal.field, refusal.message)
    return by_field


def from_the_list(what: str) -> str:
    """What a filter value not in its list is told: « choisissez un thème de la liste. »
    (``what`` with its article)."""
    return f"choisissez {what} de la liste."


def choice_refused(
    args: Mapping[str, str],
    name: str,
    label: str,
    choices,
    message: str,
    errors: list,
    normalise: Callable[[str], str] | None = None,
) -> str:
    """A query argument that must be one of ``choices`` (once ``normalise``d, when the
    choices have one spelling a person may type otherwise): its value, or "" with a
    ``Refusal`` added to ``errors`` when it is another (``message`` says what to choose)."""
    value = text_arg(args, name, 60)
    if normalise is not None:
        value = normalise(value)
    if value and value not in choices:
        errors.append(Refusal(name, label, message))
        return ""
    return value


def choice_reader(args: Mapping[str, str], errors: list) -> Callable[..., str]:
    """``choice(name, label, choices, what, normalise=None)``: ``choice_refused`` of
    ``args`` into ``errors``, told with ``from_the_list(what)`` (``what`` with its
    article: « un thème »), for a list page reading its filters one after the other."""

    def choice(name: str, label: str, choices, what: str, normalise=None) -> str:
        message = from_the_list(what)
        return choice_refused(args, name, label, choices, message, errors, normalise)

    return choice


# A ROME code (M1203) or its start (M12): ASCII only, since the code is matched by LIKE
# (a "%" or "_" typed there was a wildcard) and "²".isdigit() holds.
_ROME_START = re.compile(r"[A-Z][0-9]{2,4}", re.ASCII)
ROME_PROBLEM = "saisissez un code (M1203) ou son début (M12)."


def rome_refused(args: Mapping[str, str], name: str, label: str, errors: list) -> str:
    """A ROME code or its start typed in a filter, in capitals; "" with a ``Refusal``
    added to ``errors`` when it is not one."""
    rome = (args.get(name) or "").strip().upper()[:5]
    if rome and not _ROME_START.fullmatch(rome):
        errors.append(Refusal(name, label, ROME_PROBLEM))
        return ""
    return rome


def text_arg(args: Mapping[str, str], name: str, limit: int) -> str:
    """A query argument as text, trimmed and cut at ``limit`` characters."""
    return (args.get(name) or "").strip()[:limit]


def list_arg(args, name: str) -> list[str]:
    """A repeated query argument (check boxes) as a list; a plain mapping gives its one
    value, or a list it holds."""
    if hasattr(args, "getlist"):
        return args.getlist(name)
    value = args.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# --- searching text in a list -----------------------------------------------------------


def folded_words(typed: str) -> list[str]:
    """The words of a typed search, folded: "LÈGE-Cap" -> ["lege", "cap"]."""
    return fold_text(typed).split()


# SQLite runs fold_text itself (registered on each connection as this function).
SQLITE_FOLD = "connectences_fold"


class _Folded(FunctionElement):
    """A text column as :func:`fold_text` gives it, in SQL."""

    type = String()
    inherit_cache = True
    name = "folded"


@compiles(_Folded)
def _folded_sqlite(element, compiler, **kw):
    return f"{SQLITE_FOLD}({compiler.process(element.clauses, **kw)})"


def _postgresql_folds() -> tuple[str, str, dict[str, str]]:
    """translate()'s two alphabets (each letter of Latin-1 and Latin Extended that folds
    to one ASCII letter, hyphens and apostrophes to spaces, the combining accents to
    nothing) and the ligatures, which fold to two letters, for PostgreSQL."""
    source, target, longer = "", "", {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        folded = strip_accents(ch).lower()
        if folded == ch or not folded.isascii() or not folded.isalpha():
            continue
        if len(folded) == 1:
            source, target = source + ch, target + folded
        elif ch in "ÆæŒœß":  # the ligatures French writes (and German's ß)
            longer[ch] = folded
    source, target = source + "-'\u2019", target + "   "
    marks = "".join(chr(c) for c in range(0x300, 0x370))  # removed: no letter for them
    return source + marks, target, longer


_PG_SOURCE, _PG_TARGET, _PG_LONGER = _postgresql_folds()


@compiles(_Folded, "postgresql")
def _folded_postgresql(element, compiler, **kw):
    sql = compiler.process(element.clauses, **kw)
    for ch, folded in _PG_LONGER.items():
        sql = f"replace({sql}, '{ch}', '{folded}')"
    source = _PG_SOURCE.replace("'", "''")  # the apostrophe, quoted
    return f"lower(translate({sql}, '{source}', '{_PG_TARGET}'))"


def text_search(columns, typed: str) -> ColumnElement:
    """Every word of ``typed`` appears in one of ``columns``, without regard to accents or
    case ("lege" finds "Lège-Cap-Ferret", "ÉCOLE" finds "école") and with no wildcard
    ("%", "_" and "\\" are letters), alike on SQLite and PostgreSQL."""
    words = folded_words(typed)
    if not words:
        return true()
    folded = [_Folded(column) for column in columns]
    return and_(*(or_(*(f.contains(word, autoescape=True) for f in folded)) for word in words))


def every_word_somewhere(typed: str, found: Callable[[str], ColumnElement]) -> ColumnElement:
    """Every word of ``typed`` is ``found``, each in its own place: ``found(word)`` is
    where one (folded) word may be, say a person's fields or their organisation's name
    (``text_search`` of the word in each), so that a search mixing both (« Hélène GE
    Bassin ») finds them, where a ``text_search`` of each place wants all the words in
    that one place."""
    words = folded_words(typed)
    if not words:
        return true()
    return and_(*(found(word) for word in words))
