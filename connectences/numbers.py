"""Numbers as people type them in forms: ``8h``, ``8 h``, ``8,5``, ``8h30``,
``20 km``, ``1 234``, ``-3`` (read, for the field's range check to refuse), and hours given per month or per year turned into hours per
week. Every form reads its hours and distances here."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

# Weeks in a month and in a year, to turn "8 h par mois" into hours per week.
WEEKS_PER_MONTH = 52 / 12
WEEKS_PER_YEAR = 52
PERIODS = {"semaine": 1.0, "mois": WEEKS_PER_MONTH, "an": WEEKS_PER_YEAR}
PERIOD_LABELS = {"semaine": "par semaine", "mois": "par mois", "an": "par an"}
# Decimals a number read from a form keeps: those its field shows back
# (``typography.decimal_input``), so « 8h20 » is stored as the 8,33 the form then shows
# and a form sent back unchanged changes nothing. A number typed with more decimals is
# refused (``too_precise`` says why), not rounded unsaid: « 8,555 » was stored and
# confirmed as « 8,55 h », a value the operator never typed.
DECIMALS = 2

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_QUANTITY = re.compile(
    r"(?P<sign>[-\u2212])?(?P<int>\d+)(?:[.,](?P<frac>\d+))?"
    r"(?:(?P<unit>h|heures?|hrs?|km|kms|kilom[eè]tres?)(?P<minutes>\d{1,2})?)?"
    r"(?:(?:par|/|une?fois(?:par)?)(?P<period>semaines?|sem|mois|ans?|années?))?",
    re.IGNORECASE,
)
_UNITS = {"h": ("h", "heure", "heures", "hr", "hrs"), "km": ("km", "kms", "kilometre", "kilomètre")}


def _period_key(word: str | None) -> str | None:
    if not word:
        return None
    word = word.lower()
    if word.startswith("sem"):
        return "semaine"
    if word.startswith("mois"):
        return "mois"
    return "an"


def _parse(text: str | None, unit: str | None) -> tuple[float, str | None] | None:
    if text is None:
        return None
    compact = _SPACES.sub("", str(text)).lower()
    if not compact:
        return None
    found = _QUANTITY.fullmatch(compact)
    if not found:
        return None
    typed_unit = found.group("unit")
    if typed_unit:
        kind = "h" if typed_unit.startswith("h") else "km"
        if unit is not None and kind != unit:
            return None  # "20 km" in an hours field is not 20 hours
    if _extra_decimals(found):
        return None  # said by ``too_precise``
    value = float(f"{found.group('int')}.{found.group('frac') or 0}")
    negative = found.group("sign") is not None
    minutes = found.group("minutes")
    if minutes:
        if found.group("frac") or typed_unit[0] != "h" or int(minutes) >= 60:
            return None
        value += int(minutes) / 60
    # A minus sign is read, not refused as "not a number": every field checks its own
    # range, and "-5" gets that range in its message.
    return (-value if negative else value), _period_key(found.group("period"))


def _extra_decimals(found: re.Match) -> bool:
    """Whether the number matched holds more than ``DECIMALS`` decimals (« 8,555 »;
    « 8,500 » does not: trailing zeros say nothing more)."""
    return len((found.group("frac") or "").rstrip("0")) > DECIMALS


def too_precise(text: str | None) -> str | None:
    """Why the number typed in ``text`` is refused for its decimals, in French: more than
    ``DECIMALS`` after the comma (« 8,555 »), which no field stores; None otherwise (a
    text that is not a number is said by its field). The one message of every form that
    reads a number here (``read_number``, ``read_hours_per_week`` return None for it)."""
    if text is None:
        return None
    found = _QUANTITY.fullmatch(_SPACES.sub("", str(text)).lower())
    if not found or not _extra_decimals(found):
        return None
    whole, frac = found.group("int"), found.group("frac").rstrip("0")
    sign = "-" if found.group("sign") else ""
    typed = f"{sign}{whole},{frac}"
    below = Decimal(f"{whole}.{frac}").quantize(Decimal(1).scaleb(-DECIMALS), ROUND_DOWN)
    above = below + Decimal(1).scaleb(-DECIMALS)
    near = [f"{sign}{value}".replace(".", ",") for value in (below, above)]
    return (
        f"« {typed} » a trop de chiffres après la virgule, {DECIMALS} au plus "
        f"(par exemple {near[0]} ou {near[1]})."
    )


def read_number(text: str | None, unit: str | None = None) -> float | None:
    """The number in ``text`` (``8,5``, ``8 h``, ``8h30``, ``20 km``), to ``DECIMALS``
    decimals (minutes: « 8h20 » is 8,33), or None when it is not one or is typed with
    more decimals (``too_precise``). ``unit`` (``"h"`` or ``"km"``) refuses the other
    unit."""
    parsed = _parse(text, unit)
    if parsed is None or parsed[1] is not None:
        return None
    return round(parsed[0], DECIMALS)


def read_hours_per_week(text: str | None, period: str | None = "semaine") -> float | None:
    """Hours per week from hours typed per week, month or year (``8 h par mois``, or
    ``8`` with ``period="mois"``); a period written in the text wins."""
    parsed = _parse(text, "h")
    if parsed is None:
        return None
    value, typed_period = parsed
    chosen = typed_period or (period if period in PERIODS else "semaine")
    return round(value / PERIODS[chosen], DECIMALS)
